/*
 * collector.h - the model's cycle collector (tracer/model/ only): the generations as lists of
 * objects, the collection in progress and its marks, the collections finished, gc.garbage.
 *
 * The design is explained at the top of collector.c.
 */
#ifndef TRACER_MODEL_COLLECTOR_H
#define TRACER_MODEL_COLLECTOR_H

#include <tracer/model.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mfold;
struct mgraph;
struct mobj;

struct mgen {
    uint32_t head, tail; /* object indices in the graph, NONE when empty */
    uint64_t objects, count, threshold, collections;
    uint64_t startup; /* the interpreter's own objects counted here, not in the list (FORMAT.md 4) */
};

/* An object marked in the collection in progress, in the order first marked. */
struct mmark {
    uint64_t obj, via, seq;
    int32_t mark; /* -1: only gc_refs was set */
    bool freed;
};

struct mcollector {
    uint32_t ngenerations; /* the permanent one not counted: gens[ngenerations] is permanent */
    bool incremental;      /* the cpython-3.14 profile: collections and counts numbered 0 to 2
                            * as 3.14's gc module numbers them (model_gc) */
    uint64_t threshold0[MODEL_MAX_GENERATIONS]; /* the thresholds of the trace's header */
    uint64_t startup0[MODEL_MAX_GENERATIONS];   /* the interpreter's own objects at event 0 */
    bool gc_enabled, collecting, has_phase;
    uint32_t collecting_gen, gc_reason, phase;
    uint64_t phase_n, seq_start, seq_phase;
    uint64_t collections, collected_total, uncollectable_total;
    uint64_t garbage;         /* objects in gc.garbage */
    uint64_t garbage_list;    /* gc.garbage's address, once known */
    uint64_t garbage_pending; /* the object last put in gc.garbage, until its incref */
    struct mgen gens[MODEL_MAX_GENERATIONS];
    struct model_collection history[MODEL_HISTORY_KEEP];
    size_t nhistory, history_head; /* ring: history_head is the most recent */
    struct mmark *marks;
    size_t nmarks, marks_cap;
};

/* The generations and thresholds of the trace's collector profile. */
void mcollector_init(struct mcollector *c, const struct trace_header *hdr);
/* Back to no collection and empty generations; the marks keep their storage. */
void mcollector_clear(struct mcollector *c);
void mcollector_release(struct mcollector *c);

/* ---- the fold: the collector's events -------------------------------------------------------- */

/* Its handlers are rows of fold.h's MFOLD_KINDS. */
/* What the collector learns from the graph's events, after the graph folded them: an object is
 * gone (gone: its record as it was), a reference was taken or dropped (incref or decref). */
void mcollector_note_free(struct mcollector *c, const struct mobj *gone);
void mcollector_note_ref(struct mcollector *c, struct mgraph *g, const struct event *ev);

/* ---- for the checkpoint loader --------------------------------------------------------------- */

/* Object i of g joins the end of generation gen. */
void mcollector_gen_append(struct mcollector *c, struct mgraph *g, uint32_t gen, uint32_t i);

#endif
