/*
 * record.h - traces for the model's tests: a random allocation workload on the real allocator,
 * recorded by the real trace writer, in a scratch directory removed at exit.
 */
#ifndef TESTS_MODEL_RECORD_H
#define TESTS_MODEL_RECORD_H

#include <allocator/event.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rng {
    uint64_t s;
};
uint64_t rng_next(struct rng *r);
uint64_t rng_below(struct rng *r, uint64_t n);

/* scratch/name, in a buffer that stays valid until 8 more calls. */
const char *rec_path(const char *name);

struct rec_options {
    const char *profile;  /* heap profile name or custom spec */
    bool mmap_source;
    uint64_t seed;
    uint64_t nops;        /* allocation operations */
    size_t live;          /* about this many blocks live at the most */
    bool finish;          /* write the index (false: as a killed recording leaves the file) */
    uint64_t flush_every; /* end a chunk every so many operations (0: let the writer decide) */
    /* called after every operation with the writer's event count; may be NULL */
    void (*after_op)(void *ctx, uint64_t events);
    void *ctx;
};

/* Records the workload to path; returns the number of events written. */
uint64_t rec_random(const char *path, const struct rec_options *o);

#endif
