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

/* model.c: folds an event of any kind.  The heap's loop folds the frequent kinds itself and
 * comes here for the others. */
int model_fold_other(struct model *m, const struct event *ev) __attribute__((noinline));

#endif
