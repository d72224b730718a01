/*
 * record.h - traces for the model's tests: a random allocation workload on the real allocator,
 * recorded by the real trace writer, in a scratch directory removed at exit.
 */
#ifndef TESTS_MODEL_RECORD_H
#define TESTS_MODEL_RECORD_H

#include "rng.h"
#include "scratch.h"
#include <allocator/event.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>


/*
 * A sink that folds every event into a model and into a second one that is reloaded from the
 * first's checkpoint every checkpoint_every events (mid-operation too, with a transition
 * pending): loading and folding on must give what folding all along gave.
 */
#define FOLDING_RECENT 40
struct model;
struct folding {
    struct model *m, *copy;
    int rc, rc_copy;           /* first fold error of each, 0 while none */
    uint64_t events;
    uint64_t checkpoint_every; /* 0: never reload */
    struct event recent[FOLDING_RECENT]; /* the last events (texts dropped), to explain a failure */
};
void folding_sink(void *ctx, const struct event *ev);
/* Prints the events before the model's failure to stderr. */
void folding_show_recent(const struct folding *f);


struct rec_options {
    const char *profile;  /* heap profile name or custom spec */
    bool mmap_source;
    uint64_t seed;
    uint64_t nops;        /* allocation operations */
    size_t live;          /* about this many blocks live at the most */
    bool finish;          /* write the index (false: as a killed recording leaves the file) */
    uint64_t flush_every; /* end a chunk every so many operations (0: let the writer decide) */
    uint64_t window;      /* bytes: the trace drops its oldest chunks past this (0: none) */
    bool checkpoints;     /* the model's checkpoints go into the stream (ckpt_tee) */
    const char *copy;     /* every event also to this trace, whole (no window): a reference */
    /* called after every operation with the writer's event count; may be NULL */
    void (*after_op)(void *ctx, uint64_t events);
    void *ctx;
};

/* Records the workload to path; returns the number of events written. */
uint64_t rec_random(const char *path, const struct rec_options *o);

#endif
