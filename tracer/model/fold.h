/*
 * fold.h - what every part of the model shares (tracer/model/ only): where the fold is, how it
 * stops at an inconsistent event, and how a file finds the parts it uses in a struct model.
 *
 * The model is made of parts, each a struct of its own, declared in its own header beside the
 * files that fold and read it:
 *
 *   struct mfold        here: the position and the reason the fold stopped, if it did
 *   struct mheap        heap.h: arenas, pools, blocks, size classes, raw blocks
 *   struct mgraph       graph.h: objects, references, types, stacks, frames and names
 *   struct mcollector   collector.h: generations, collections, marks
 *   struct mworkload    workload.h: step markers, prints, the runtime's free lists
 *
 * struct model (model.c) holds them all.  A part's functions take the parts they use as
 * arguments, and a file that is handed a struct model finds its parts through model_parts(), so
 * that every file includes the headers of the parts it uses and no others.  The parts depend on
 * one another in one direction only: the graph on the heap (an object lives in a block), the
 * collector on the graph (a generation is a list of objects).  Only the files about the whole
 * state see them all: model.c, which puts them together, the checkpoints (checkpoint.c) and the
 * validator (valid.c).
 */
#ifndef TRACER_MODEL_FOLD_H
#define TRACER_MODEL_FOLD_H

#include <tracer/model.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NONE UINT32_MAX /* "no index" in 32-bit links */

struct mfold {
    uint64_t pos;     /* events folded: the model is at position pos */
    bool stopped;     /* an event was inconsistent, or memory ran out: nothing folds any more */
    int stop_err;     /* the MODEL_E* it stopped with */
    uint64_t err_seq; /* the event it stopped at */
    char err[256];    /* "event N: kind: reason" */
};

/* Stops the fold at the current event with err and the reason; returns err.  Only the first
 * failure counts: a stopped fold keeps its reason. */
int mfold_fail(struct mfold *f, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));
/* MODEL_EINCONSISTENT: ev contradicts the state ("event N: kind: reason"). */
int mfold_reject(struct mfold *f, const struct event *ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));
/* MODEL_ENOMEM. */
int mfold_oom(struct mfold *f) __attribute__((cold));

/* The parts keep the most recent few of some things (arenas released, collections finished,
 * lines printed) in rings of `keep` entries, the most recent at *head, *n of them in use: the
 * entry a new one goes to. */
static inline size_t mring_push(size_t *head, size_t *n, size_t keep)
{
    *head = (*head + keep - 1) % keep;
    if (*n < keep)
        (*n)++;
    return *head;
}

/* Copies such a ring's entries of `size` bytes, the most recent first, to out (at most max);
 * returns how many it copied. */
static inline size_t mring_copy(void *out, size_t max, const void *ring, size_t size, size_t head, size_t n,
                                size_t keep)
{
    size_t k = n < max ? n : max;
    for (size_t i = 0; i < k; i++)
        memcpy((char *)out + i * size, (const char *)ring + (head + i) % keep * size, size);
    return k;
}

/* The parts link records of their arrays into lists by index (a generation's objects, an
 * object's references out and in): `prev` and `next` are the offsets of a record's uint32_t
 * links, NONE at the ends, and *head (and *tail, when the list keeps one) its ends. */
struct mlist {
    void *items;
    size_t size, prev, next; /* a record's size; its links' offsets */
    uint32_t *head, *tail;   /* tail NULL: not kept */
};

static inline uint32_t *mlist_link(const struct mlist *l, uint32_t i, size_t off)
{
    return (uint32_t *)(void *)((char *)l->items + (size_t)i * l->size + off);
}

/* Takes record i out of its list (its own links are left as they were). */
static inline void mlist_unlink(struct mlist l, uint32_t i)
{
    uint32_t prev = *mlist_link(&l, i, l.prev), next = *mlist_link(&l, i, l.next);
    if (prev != NONE)
        *mlist_link(&l, prev, l.next) = next;
    else
        *l.head = next;
    if (next != NONE)
        *mlist_link(&l, next, l.prev) = prev;
    else if (l.tail)
        *l.tail = prev;
}

/* ---- the parts of a struct model ------------------------------------------------------------- */

struct mheap;
struct mgraph;
struct mcollector;
struct mworkload;

/* The first member of struct model: its parts.  Like strchr(), model_parts() takes a const model
 * and gives its parts writable; only the fold and the checkpoint loader write through them. */
struct model_parts {
    struct mfold *fold;
    struct mheap *heap;
    struct mgraph *graph;
    struct mcollector *gc;
    struct mworkload *work;
};

static inline const struct model_parts *model_parts(const struct model *m)
{
    return (const struct model_parts *)(const void *)m;
}

/* ---- who folds what -------------------------------------------------------------------------- */

/*
 * The handler of each kind a part folds, in one table: X(KIND, handler, PARTS), where PARTS names
 * what the handler takes (MFOLD_PARAMS_PARTS) and is given (MFOLD_ARGS_PARTS: model_fold_other()'s
 * h, g, c, w, f and ev are the parts, the fold and the event).  The table declares the handlers
 * here and is the switch of model_fold_other() (tracer/model/model.c): a kind that a part folds
 * is a row here and its handler in the part, and nothing else in the model changes.
 *
 * A handler whose PARTS end in _OBJ is about a live object, the one its event's OBJ role names
 * (EV_ROLE in allocator/event.h): the switch looks it up first and rejects the event when it is
 * not live, and the handler is given its index in the graph, `i`.
 */
struct msnapshot;
#define MFOLD_PARAMS_HEAP struct mheap *h, struct mfold *f, const struct event *ev
#define MFOLD_ARGS_HEAP h, f, ev
#define MFOLD_PARAMS_GRAPH struct mgraph *g, struct mfold *f, const struct event *ev
#define MFOLD_ARGS_GRAPH g, f, ev
#define MFOLD_PARAMS_GRAPH_HEAP struct mgraph *g, struct mheap *h, struct mfold *f, const struct event *ev
#define MFOLD_ARGS_GRAPH_HEAP g, h, f, ev
#define MFOLD_PARAMS_GC struct mcollector *c, struct mfold *f, const struct event *ev
#define MFOLD_ARGS_GC c, f, ev
#define MFOLD_PARAMS_GC_GRAPH struct mcollector *c, struct mgraph *g, struct mfold *f, const struct event *ev
#define MFOLD_ARGS_GC_GRAPH c, g, f, ev
#define MFOLD_PARAMS_GRAPH_OBJ struct mgraph *g, struct mfold *f, const struct event *ev, uint32_t i
#define MFOLD_ARGS_GRAPH_OBJ g, f, ev, i
#define MFOLD_PARAMS_GC_OBJ                                                                      \
    struct mcollector *c, struct mgraph *g, struct mfold *f, const struct event *ev, uint32_t i
#define MFOLD_ARGS_GC_OBJ c, g, f, ev, i
#define MFOLD_PARAMS_GC_ALONE struct mcollector *c, const struct event *ev
#define MFOLD_ARGS_GC_ALONE c, ev
#define MFOLD_PARAMS_WORK struct mworkload *w, struct mfold *f, const struct event *ev
#define MFOLD_ARGS_WORK w, f, ev
#define MFOLD_PARAMS_SNAP struct msnapshot *s, struct mfold *f, const struct event *ev
#define MFOLD_ARGS_SNAP &w->snap, f, ev

/* 1 for the parts that are given the event's live object */
#define MFOLD_OBJ_HEAP 0
#define MFOLD_OBJ_GRAPH 0
#define MFOLD_OBJ_GRAPH_HEAP 0
#define MFOLD_OBJ_GC 0
#define MFOLD_OBJ_GC_GRAPH 0
#define MFOLD_OBJ_GC_ALONE 0
#define MFOLD_OBJ_WORK 0
#define MFOLD_OBJ_SNAP 0
#define MFOLD_OBJ_GRAPH_OBJ 1
#define MFOLD_OBJ_GC_OBJ 1

/* clang-format off */
#define MFOLD_KINDS(X)                                                                          \
    X(ARENA_NEW,     mheap_fold_arena_new,      HEAP)                                           \
    X(ARENA_FREE,    mheap_fold_arena_free,     HEAP)                                           \
    X(ARENA_MOVE,    mheap_fold_arena_move,     HEAP)                                           \
    X(ARENA_VECTOR,  mheap_fold_arena_vector,   HEAP)                                           \
    X(POOL_CARVE,    mheap_fold_pool_carve,     HEAP)                                           \
    X(POOL_UNCACHE,  mheap_fold_pool_uncache,   HEAP)                                           \
    X(POOL_INIT,     mheap_fold_pool_init,      HEAP)                                           \
    X(POOL_EMPTY,    mheap_fold_pool_empty,     HEAP)                                           \
    X(POOL_FULL,     mheap_fold_frequent,       HEAP)                                           \
    X(POOL_UNFULL,   mheap_fold_frequent,       HEAP)                                           \
    X(BLOCK_ALLOC,   mheap_fold_frequent,       HEAP)                                           \
    X(BLOCK_FREE,    mheap_fold_frequent,       HEAP)                                           \
    X(RAW_ALLOC,     mheap_fold_raw_alloc,      HEAP)                                           \
    X(RAW_FREE,      mheap_fold_raw_free,       HEAP)                                           \
    X(RAW_REALLOC,   mheap_fold_raw_realloc,    HEAP)                                           \
    X(REALLOC,       mheap_fold_realloc,        HEAP)                                           \
    X(CALLOC,        mheap_fold_calloc,         HEAP)                                           \
    X(TYPE_NEW,      mgraph_fold_type_new,      GRAPH)                                          \
    X(OBJ_NEW,       mgraph_fold_obj_new,       GRAPH_HEAP)                                     \
    X(OBJ_STORAGE,   mgraph_fold_obj_storage,   GRAPH_OBJ)                                      \
    X(REF_MOVE,      mgraph_fold_ref_move,      GRAPH_OBJ)                                      \
    X(OBJ_VALUE,     mgraph_fold_obj_value,     GRAPH_OBJ)                                      \
    X(FRAME_PUSH,    mgraph_fold_frame_push,    GRAPH)                                          \
    X(FRAME_POP,     mgraph_fold_frame_pop,     GRAPH)                                          \
    X(NAME_BIND,     mgraph_fold_name_bind,     GRAPH)                                          \
    X(NAME_UNBIND,   mgraph_fold_name_unbind,   GRAPH)                                          \
    X(WEAKREF_NEW,   mgraph_fold_weakref_new,   GRAPH)                                          \
    X(WEAKREF_CLEAR, mgraph_fold_weakref_clear, GRAPH)                                          \
    X(WEAKREF_CALL,  mgraph_fold_weakref_call,  GRAPH)                                          \
    X(FINALIZE,      mgraph_fold_finalize,      GRAPH)                                          \
    X(FRAME_DEF,     mgraph_fold_frame_def,     GRAPH)                                          \
    X(SNAP_NAME,     msnapshot_fold_name,       SNAP)                                           \
    X(SNAP_REF,      msnapshot_fold_ref,        SNAP)                                           \
    X(GC_TRACK,      mcollector_fold_track,     GC_OBJ)                                         \
    X(GC_UNTRACK,    mcollector_fold_untrack,   GC_GRAPH)                                       \
    X(GC_COUNT,      mcollector_fold_count,     GC)                                             \
    X(GC_THRESHOLD,  mcollector_fold_threshold, GC)                                             \
    X(GC_ENABLE,     mcollector_fold_enable,    GC_ALONE)                                       \
    X(GC_START,      mcollector_fold_start,     GC)                                             \
    X(GC_PHASE,      mcollector_fold_phase,     GC)                                             \
    X(GC_REFS,       mcollector_fold_refs,      GC_OBJ)                                         \
    X(GC_MARK,       mcollector_fold_mark,      GC_GRAPH)                                       \
    X(GC_MERGE,      mcollector_fold_merge,     GC_GRAPH)                                       \
    X(GC_MOVE,       mcollector_fold_move,      GC_GRAPH)                                       \
    X(GC_GARBAGE,    mcollector_fold_garbage,   GC_OBJ)                                         \
    X(GC_END,        mcollector_fold_end,       GC_GRAPH)                                       \
    X(STEP,          mworkload_fold_step,       WORK)                                           \
    X(PRINT,         mworkload_fold_print,      WORK)                                           \
    X(FREELIST,      mworkload_fold_freelist,   WORK)
/* clang-format on */

#define MFOLD_DECLARE(kind, handler, parts) int handler(MFOLD_PARAMS_##parts);
MFOLD_KINDS(MFOLD_DECLARE)
#undef MFOLD_DECLARE

/* model.c: folds an event of any kind.  The heap's loop folds the frequent kinds itself and
 * comes here for the others. */
int model_fold_other(struct model *m, const struct event *ev) __attribute__((noinline));
/* model.c: tells the heap which stack is the capture's own, after a checkpoint was loaded. */
void model_tool_stack_found(struct model *m);

#endif
