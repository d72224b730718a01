/*
 * collector.c - the cycle collector of the model: generations, collections and their marks,
 * gc.garbage, folded from the collector's events, and what the views read of them.
 *
 * What it holds
 * -------------
 * Each generation is a doubly linked list of objects, in the collector's order, threaded through
 * the object records of the graph (graph.h: gen_prev, gen_next, gen), as CPython threads
 * PyGC_Head; merging a generation into another is a splice, as CPython's gc_list_merge.  During
 * a collection, each object whose working count (gc_refs) or mark an event gave is listed in
 * `marks`, in the order first seen, and the object points back at its entry (mark_idx); the
 * collection's end forgets them.  The last MODEL_HISTORY_KEEP collections finished are kept.
 *
 * gc.garbage
 * ----------
 * gc.garbage is a list like any other: an object is in it from its gc_garbage until the list
 * drops its reference.  The list's address is learnt from the incref that follows the first
 * gc_garbage; from then on a decref by the list that leaves it no reference to the object takes
 * the object out.  Those increfs and decrefs are the graph's events: model.c hands them here
 * once the graph folded them (mcollector_note_ref), and likewise an object's end
 * (mcollector_note_free).
 */
#include "collector.h"
#include "fold.h"
#include "graph.h"

#include <tracer/codec.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ==== the collector's lifetime ================================================================ */

void mcollector_init(struct mcollector *c, const struct trace_header *hdr)
{
    memset(c, 0, sizeof *c);
    c->ngenerations = hdr->ngenerations;
    c->incremental = strncmp(hdr->gc_profile, "cpython-3.14", 12) == 0 &&
                     (hdr->gc_profile[12] == '\0' || hdr->gc_profile[12] == ':') && hdr->ngenerations == 2;
    for (uint32_t g = 0; g < hdr->ngenerations && g < TRACE_MAX_GENERATIONS; g++)
        c->threshold0[g] = hdr->thresholds[g];
    for (uint32_t g = 0; g <= hdr->ngenerations && g < MODEL_MAX_GENERATIONS; g++)
        c->startup0[g] = hdr->gc_startup[g];
    mcollector_clear(c);
}

void mcollector_clear(struct mcollector *c)
{
    c->gc_enabled = true;
    c->collecting = c->has_phase = false;
    c->collecting_gen = c->gc_reason = c->phase = 0;
    c->phase_n = c->seq_start = c->seq_phase = 0;
    c->collections = c->collected_total = c->uncollectable_total = c->garbage = 0;
    c->garbage_list = c->garbage_pending = 0;
    for (uint32_t g = 0; g < MODEL_MAX_GENERATIONS; g++)
        c->gens[g] = (struct mgen){
            .head = NONE, .tail = NONE, .threshold = c->threshold0[g], .startup = c->startup0[g]};
    c->nhistory = c->history_head = 0;
    c->nmarks = 0;
}

void mcollector_release(struct mcollector *c)
{
    free(c->marks);
    c->marks = NULL;
    c->marks_cap = c->nmarks = 0;
}

/* ==== the generations ========================================================================= */

static void gen_unlink(struct mcollector *c, struct mgraph *g, uint32_t i)
{
    struct mobj *o = &g->objs[i];
    struct mgen *gen = &c->gens[o->gen];
    mlist_unlink((struct mlist){g->objs, sizeof *g->objs, offsetof(struct mobj, gen_prev),
                                offsetof(struct mobj, gen_next), &gen->head, &gen->tail},
                 i);
    o->gen_prev = o->gen_next = NONE;
    o->gen = -1;
    gen->objects--;
}

void mcollector_gen_append(struct mcollector *c, struct mgraph *g, uint32_t gen, uint32_t i)
{
    struct mobj *o = &g->objs[i];
    struct mgen *to = &c->gens[gen];
    o->gen = (int8_t)gen;
    o->gen_next = NONE;
    o->gen_prev = to->tail;
    if (to->tail != NONE)
        g->objs[to->tail].gen_next = i;
    else
        to->head = i;
    to->tail = i;
    to->objects++;
}

int mcollector_fold_track(struct mcollector *c, struct mgraph *g, struct mfold *f,
                          const struct event *ev, uint32_t i)
{
    const struct event_gc_track *e = &ev->u.gc_track;
    if (g->objs[i].gen >= 0)
        return mfold_reject(f, ev, "0x%" PRIx64 " is already tracked", e->obj);
    if (e->gen > c->ngenerations)
        return mfold_reject(f, ev, "no generation %" PRIu64, e->gen);
    mcollector_gen_append(c, g, (uint32_t)e->gen, i);
    return 0;
}

int mcollector_fold_untrack(struct mcollector *c, struct mgraph *g, struct mfold *f,
                            const struct event *ev)
{
    uint32_t i = mgraph_obj_lookup(g, ev->u.gc_untrack.obj);
    if (i == NONE || g->objs[i].gen < 0)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a tracked object", ev->u.gc_untrack.obj);
    gen_unlink(c, g, i);
    return 0;
}

int mcollector_fold_count(struct mcollector *c, struct mfold *f, const struct event *ev)
{
    if (ev->u.gc_count.gen > c->ngenerations)
        return mfold_reject(f, ev, "no generation %" PRIu64, ev->u.gc_count.gen);
    c->gens[ev->u.gc_count.gen].count = ev->u.gc_count.count;
    return 0;
}

int mcollector_fold_threshold(struct mcollector *c, struct mfold *f, const struct event *ev)
{
    if (ev->u.gc_threshold.gen > c->ngenerations)
        return mfold_reject(f, ev, "no generation %" PRIu64, ev->u.gc_threshold.gen);
    c->gens[ev->u.gc_threshold.gen].threshold = ev->u.gc_threshold.threshold;
    return 0;
}

int mcollector_fold_enable(struct mcollector *c, const struct event *ev)
{
    c->gc_enabled = ev->u.gc_enable.enabled != 0;
    return 0;
}

int mcollector_fold_merge(struct mcollector *c, struct mgraph *g, struct mfold *f,
                          const struct event *ev)
{
    uint32_t ngen = c->ngenerations;
    uint64_t from = ev->u.gc_merge.from, to = ev->u.gc_merge.to;
    if (from > ngen || to > ngen || from == to)
        return mfold_reject(f, ev, "cannot merge generation %" PRIu64 " into %" PRIu64, from, to);
    struct mgen *src = &c->gens[from], *dst = &c->gens[to];
    for (uint32_t i = src->head; i != NONE; i = g->objs[i].gen_next)
        g->objs[i].gen = (int8_t)to;
    if (src->head != NONE) {
        if (dst->tail != NONE) {
            g->objs[dst->tail].gen_next = src->head;
            g->objs[src->head].gen_prev = dst->tail;
        } else {
            dst->head = src->head;
        }
        dst->tail = src->tail;
        dst->objects += src->objects;
    }
    src->head = src->tail = NONE;
    src->objects = 0;
    dst->startup += src->startup;
    src->startup = 0;
    return 0;
}

int mcollector_fold_move(struct mcollector *c, struct mgraph *g, struct mfold *f,
                         const struct event *ev)
{
    uint32_t i = mgraph_obj_lookup(g, ev->u.gc_move.obj);
    if (i == NONE || g->objs[i].gen < 0 || ev->u.gc_move.to > c->ngenerations)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a tracked object", ev->u.gc_move.obj);
    gen_unlink(c, g, i);
    mcollector_gen_append(c, g, (uint32_t)ev->u.gc_move.to, i);
    return 0;
}

/* ==== collections ============================================================================= */

int mcollector_fold_start(struct mcollector *c, struct mfold *f, const struct event *ev)
{
    uint32_t ngen = c->ngenerations;
    if (c->collecting)
        return mfold_reject(f, ev, "a collection of generation %" PRIu32 " is in progress",
                            c->collecting_gen);
    uint32_t ncollect = c->incremental ? ngen + 1 : ngen ? ngen : 1; /* 3.14's full one is 2 */
    if (ev->u.gc_start.gen >= ncollect || ev->u.gc_start.reason >= EV_GC_REASON_COUNT)
        return mfold_reject(f, ev, "no generation %" PRIu64 " or reason %" PRIu64,
                            ev->u.gc_start.gen, ev->u.gc_start.reason);
    c->collecting = true;
    c->collecting_gen = (uint32_t)ev->u.gc_start.gen;
    c->gc_reason = (uint32_t)ev->u.gc_start.reason;
    c->has_phase = false;
    c->seq_start = f->pos;
    return 0;
}

int mcollector_fold_phase(struct mcollector *c, struct mfold *f, const struct event *ev)
{
    if (!c->collecting || ev->u.gc_phase.phase >= EV_GC_PHASE_COUNT)
        return mfold_reject(f, ev, "no collection in progress or no phase %" PRIu64,
                            ev->u.gc_phase.phase);
    c->has_phase = true;
    c->phase = (uint32_t)ev->u.gc_phase.phase;
    c->phase_n = ev->u.gc_phase.n;
    c->seq_phase = f->pos;
    return 0;
}

/* Object i's entry in the marks, made at seq when it has none; false when out of memory. */
static bool mark_entry(struct mcollector *c, struct mgraph *g, uint32_t i, uint64_t seq)
{
    struct mobj *o = &g->objs[i];
    if (o->mark_idx != NONE)
        return true;
    if (!codec_array_reserve((void **)&c->marks, &c->marks_cap, c->nmarks + 1, sizeof *c->marks))
        return false;
    c->marks[c->nmarks] = (struct mmark){.obj = o->addr, .seq = seq, .mark = -1};
    o->mark_idx = (uint32_t)c->nmarks++;
    return true;
}

int mcollector_fold_refs(struct mcollector *c, struct mgraph *g, struct mfold *f,
                         const struct event *ev, uint32_t i)
{
    if (!mark_entry(c, g, i, f->pos))
        return mfold_oom(f);
    g->objs[i].gc_refs = ev->u.gc_refs.refs;
    g->objs[i].has_gc_refs = true;
    return 0;
}

int mcollector_fold_mark(struct mcollector *c, struct mgraph *g, struct mfold *f,
                         const struct event *ev)
{
    const struct event_gc_mark *e = &ev->u.gc_mark;
    uint32_t i = mgraph_obj_lookup(g, e->obj);
    if (!c->collecting || i == NONE || e->mark >= EV_GC_MARK_COUNT)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a live object in a collection", e->obj);
    if (!mark_entry(c, g, i, f->pos))
        return mfold_oom(f);
    struct mmark *k = &c->marks[g->objs[i].mark_idx];
    k->mark = (int32_t)e->mark;
    k->via = e->via;
    k->seq = f->pos;
    return 0;
}

int mcollector_fold_end(struct mcollector *c, struct mgraph *g, struct mfold *f,
                        const struct event *ev)
{
    const struct event_gc_end *e = &ev->u.gc_end;
    if (!c->collecting || e->gen != c->collecting_gen)
        return mfold_reject(f, ev, "no collection of generation %" PRIu64 " in progress", e->gen);
    size_t slot = mring_push(&c->history_head, &c->nhistory, MODEL_HISTORY_KEEP);
    c->history[slot] = (struct model_collection){.gen = c->collecting_gen,
                                                 .reason = c->gc_reason,
                                                 .seq_start = c->seq_start,
                                                 .seq_end = f->pos,
                                                 .collected = e->collected,
                                                 .uncollectable = e->uncollectable,
                                                 .nanos = e->nanos};
    c->collections++;
    c->gens[c->collecting_gen].collections++;
    c->collected_total += e->collected;
    c->uncollectable_total += e->uncollectable;
    for (size_t k = 0; k < c->nmarks; k++) {
        if (c->marks[k].freed)
            continue;
        uint32_t i = mgraph_obj_lookup(g, c->marks[k].obj);
        if (i != NONE) {
            g->objs[i].mark_idx = NONE;
            g->objs[i].has_gc_refs = false;
            g->objs[i].gc_refs = 0;
        }
    }
    c->nmarks = 0;
    c->collecting = c->has_phase = false;
    return 0;
}

/* ==== gc.garbage ============================================================================== */

int mcollector_fold_garbage(struct mcollector *c, struct mgraph *g, struct mfold *f,
                            const struct event *ev, uint32_t i)
{
    (void)f; /* any live object may be put in gc.garbage */
    if (!(g->objs[i].flags & MODEL_OBJ_GARBAGE)) {
        g->objs[i].flags |= MODEL_OBJ_GARBAGE;
        c->garbage++;
    }
    c->garbage_pending = ev->u.gc_garbage.obj;
    return 0;
}

void mcollector_note_ref(struct mcollector *c, struct mgraph *g, const struct event *ev)
{
    bool inc = ev->kind == EV_INCREF;
    uint64_t obj = inc ? ev->u.incref.obj : ev->u.decref.obj;
    uint64_t owner = inc ? ev->u.incref.owner : ev->u.decref.owner;
    if (!owner)
        return;
    if (inc && obj == c->garbage_pending) {
        if (!c->garbage_list)
            c->garbage_list = owner;
        c->garbage_pending = 0;
        return;
    }
    if (inc || owner != c->garbage_list)
        return;
    struct mobj *o = &g->objs[mgraph_obj_lookup(g, obj)];
    if ((o->flags & MODEL_OBJ_GARBAGE) && mgraph_edge_find(g, owner, obj) == NONE) {
        o->flags &= ~(uint32_t)MODEL_OBJ_GARBAGE; /* taken out of gc.garbage */
        c->garbage--;
    }
}

void mcollector_note_free(struct mcollector *c, const struct mobj *gone)
{
    if (gone->mark_idx != NONE)
        c->marks[gone->mark_idx].freed = true;
    if ((gone->flags & MODEL_OBJ_GARBAGE) && c->garbage)
        c->garbage--;
    if (c->garbage_pending == gone->addr)
        c->garbage_pending = 0;
    if (c->garbage_list == gone->addr)
        c->garbage_list = 0;
}

/* ==== what the views read ===================================================================== */

void model_gc(const struct model *m, struct model_gc *out)
{
    const struct mcollector *c = model_parts(m)->gc;
    *out = (struct model_gc){
        .ngenerations = c->ngenerations,
        .incremental = c->incremental,
        .enabled = c->gc_enabled,
        .collecting = c->collecting,
        .collecting_gen = c->collecting_gen,
        .reason = c->gc_reason,
        .has_phase = c->has_phase,
        .phase = c->phase,
        .phase_n = c->phase_n,
        .seq_start = c->seq_start,
        .seq_phase = c->seq_phase,
        .collections = c->collections,
        .collected_total = c->collected_total,
        .uncollectable_total = c->uncollectable_total,
        .garbage = c->garbage,
        .garbage_list = c->garbage_list,
    };
    for (uint32_t g = 0; g < MODEL_MAX_GENERATIONS; g++)
        out->gen[g] = (struct model_generation){.count = c->gens[g].count,
                                                .threshold = c->gens[g].threshold,
                                                .objects = c->gens[g].objects + c->gens[g].startup,
                                                .startup = c->gens[g].startup,
                                                .collections = c->gens[g].collections};
}

size_t model_gc_generation(const struct model *m, uint32_t gen, uint64_t *objs, size_t max)
{
    const struct mcollector *c = model_parts(m)->gc;
    const struct mgraph *g = model_parts(m)->graph;
    if (gen >= MODEL_MAX_GENERATIONS)
        return 0;
    size_t n = 0;
    for (uint32_t i = c->gens[gen].head; i != NONE; i = g->objs[i].gen_next) {
        if (n < max)
            objs[n] = g->objs[i].addr;
        n++;
    }
    return n;
}

size_t model_gc_history(const struct model *m, struct model_collection *out, size_t max)
{
    const struct mcollector *c = model_parts(m)->gc;
    return mring_copy(out, max, c->history, sizeof *out, c->history_head, c->nhistory, MODEL_HISTORY_KEEP);
}

size_t model_gc_marks(const struct model *m, struct model_mark *out, size_t max)
{
    const struct mcollector *c = model_parts(m)->gc;
    size_t n = 0;
    for (size_t i = 0; i < c->nmarks; i++) {
        const struct mmark *k = &c->marks[i];
        if (k->mark < 0)
            continue; /* only its working refcount was shown */
        if (n < max)
            out[n] = (struct model_mark){.obj = k->obj,
                                         .mark = (uint32_t)k->mark,
                                         .via = k->via,
                                         .seq = k->seq,
                                         .freed = k->freed};
        n++;
    }
    return n;
}
