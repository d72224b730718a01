/*
 * graph.h - the model's object graph (tracer/model/ only): live objects and the references
 * between them, types, allocation stacks, frames and the names bound in them, weak references.
 *
 * The design is explained at the top of graph.c; graph_query.c reads it for the views.
 */
#ifndef TRACER_MODEL_GRAPH_H
#define TRACER_MODEL_GRAPH_H

#include "strtab.h"

#include <tracer/model.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mfold;
struct mheap;

/* An object.  Its generation links, gc_refs and mark are the collector's (collector.h): a
 * collector, like CPython's, keeps its own state in the objects it tracks. */
struct mobj {
    uint64_t addr, size, block, refcnt, seq_refcnt, seq_new;
    uint64_t storage, storage_size, weak_target;
    uint64_t in_total;          /* references counted by in-edges */
    int64_t gc_refs;
    uint32_t type, flags, stack, weakrefs;
    uint32_t gen_prev, gen_next; /* object indices in its generation's list; gen_next links the
                                    free slots */
    uint32_t out_head, in_head;  /* edge indices */
    uint32_t mark_idx;           /* index in the collector's marks, NONE */
    int8_t gen;                  /* -1 untracked */
    bool has_gc_refs;
    bool live;
    char *value;                 /* obj_value text (malloc'd), or NULL */
    uint32_t value_len;
};

/* `count` references from owner to obj, linked into the owner's out-list and obj's in-list. */
struct medge {
    uint64_t owner, obj, count;
    uint32_t owner_idx;          /* object index of the owner */
    uint32_t obj_idx;
    uint32_t out_next, out_prev, in_next, in_prev;
    uint32_t hash_next; /* next edge with the same key in edge_index, NONE */
    bool live;
};

struct mtype {
    uint32_t id, name;
    uint64_t basicsize, itemsize, live;
    uint32_t flags;
};

/* A stack is its own innermost frames (a frame's id, or text of its own) on top of a parent. */
struct mstack {
    uint32_t id, depth;
    uint32_t parent;  /* stack id of the callers, 0 none */
    uint32_t frame;   /* frame id of its own frame, 0: its own text (off, len) */
    uint64_t off;     /* in stack_bytes */
    uint32_t len;
};

/* A frame of call stacks (frame_def): its text in stack_bytes. */
struct mframedef {
    uint32_t id;
    uint64_t off;
    uint32_t len;
};

struct mname {
    uint32_t name; /* string id */
    uint64_t obj;
};

struct mframe {
    uint64_t id;
    uint32_t function; /* string id */
    struct mname *names;
    size_t nnames, cap;
};

struct mgraph {
    struct map obj_index; /* address -> index in objs */
    /* The object the fold last found or made (hot_addr 0: none): the events of one object come
     * in runs (obj_new, obj_storage, gc_track; decref, gc_untrack, obj_free), and a run costs one
     * search of obj_index.  Only the fold writes it; a freed object leaves it. */
    uint64_t hot_addr;
    uint32_t hot_idx;
    struct mobj *objs;
    size_t nobjs_slots, objs_cap, nobjs;
    uint32_t obj_free_head; /* free object slots, linked through gen_next */
    struct map edge_index; /* edge key (owner, obj) -> first edge index + 1, chained by hash_next */
    struct medge *edges;
    size_t nedge_slots, edges_cap, nedges;
    uint32_t edge_free_head;

    struct mtype *types;
    size_t ntypes, types_cap;
    struct map type_index; /* id -> index + 1 */

    struct mstack *stacks;
    size_t nstacks, stacks_cap;
    struct map stack_index; /* id -> index + 1 */
    struct mframedef *framedefs;
    size_t nframedefs, framedefs_cap;
    struct map framedef_index; /* id -> index + 1 */
    char *stack_bytes;         /* the texts of stacks and frames */
    size_t nstack_bytes, stack_bytes_cap;

    struct strtab strs; /* type names, function names, bound names */

    struct mframe *frames; /* from the outermost */
    size_t nframes, frames_cap;
};

void mgraph_init(struct mgraph *g);
/* Back to no objects; the containers keep their storage. */
void mgraph_clear(struct mgraph *g);
void mgraph_release(struct mgraph *g);

/* The index of the live object at addr, or NONE. */
static inline uint32_t mgraph_obj_lookup(const struct mgraph *g, uint64_t addr)
{
    if (addr == g->hot_addr && addr)
        return g->hot_idx;
    const uint64_t *v = map_get(&g->obj_index, addr);
    return v ? (uint32_t)*v : UINT32_MAX;
}
/* The live object at addr for the fold of ev: its index (the fold's hot object from now on), or
 * NONE after rejecting ev ("0x... is not a live object"); the fold then returns
 * MODEL_EINCONSISTENT. */
uint32_t mgraph_obj_live(struct mgraph *g, struct mfold *f, const struct event *ev, uint64_t addr);
/* The type of that id, or NULL. */
static inline struct mtype *mgraph_type_get(const struct mgraph *g, uint64_t id)
{
    if (id - 1 < g->ntypes && g->types[id - 1].id == id)
        return &g->types[id - 1]; /* ids 1, 2, 3... in order, as the runtime numbers them */
    const uint64_t *v = map_get(&g->type_index, id);
    return v ? &g->types[*v - 1] : NULL;
}
uint32_t mgraph_edge_find(const struct mgraph *g, uint64_t owner, uint64_t obj); /* or NONE */
/* The live object whose memory starts at block (its header may come first: the first 64 bytes
 * are probed, `alignment` apart), or 0. */
uint64_t mgraph_object_in(const struct mgraph *g, uint64_t block, uint64_t size,
                          uint32_t alignment);

/* ---- the fold: the events of objects, types, stacks, frames and names ------------------------ */

/* Its handlers are rows of fold.h's MFOLD_KINDS but for these three, which model.c calls with the
 * collector's or the heap's part of the event after them. */
/* On success *gone is the object's record as it was, for the collector. */
int mgraph_fold_obj_free(struct mgraph *g, struct mheap *h, struct mfold *f,
                         const struct event *ev, struct mobj *gone);
/* incref and decref */
int mgraph_fold_ref(struct mgraph *g, struct mfold *f, const struct event *ev, bool inc);
/* stack_def: the heap learns from model.c whether the stack is the capture's own */
int mgraph_fold_stack_def(struct mgraph *g, struct mfold *f, const struct event *ev);

/* ---- for the checkpoint loader (they keep the derived counts and links right) ---------------- */

/* A new live object at addr, its fields zero but its links; NONE when out of memory. */
uint32_t mgraph_obj_alloc(struct mgraph *g, uint64_t addr);
bool mgraph_edge_add(struct mgraph *g, uint32_t owner_idx, uint32_t obj_idx, uint64_t owner,
                     uint64_t obj, uint64_t count);
/* Defines a type or a stack (the caller checked that the id is new); false when out of memory. */
bool mgraph_type_add(struct mgraph *g, const struct mtype *t);
bool mgraph_framedef_add(struct mgraph *g, uint32_t id, const char *text, size_t len);
bool mgraph_stack_add(struct mgraph *g, uint32_t id, uint32_t depth, uint32_t parent, uint32_t frame,
                      const char *frames,
                      size_t len);

#endif
