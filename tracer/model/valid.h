/*
 * valid.h - the model's invariant walker (tracer/model/ only), beyond model_is_valid().
 */
#ifndef TRACER_MODEL_VALID_H
#define TRACER_MODEL_VALID_H

#include <tracer/model.h>

struct mheap;
struct mpool;

#include <stdbool.h>
#include <stddef.h>

/* model_is_valid(), or when !quiescent only what holds at any position (inside an operation
 * of the allocator, as at the end of a cut recording). */
bool model_check(const struct model *m, bool quiescent, char *err, size_t errlen);
/* The objects, their edges and the generations only (what the checkpoint loader does not check
 * while it rebuilds the heap). */
bool model_check_objects(const struct model *m, char *err, size_t errlen);
/* What the state of p (a pool with a size class) requires of its blocks, its free list and its
 * virgin space: between two operations of the allocator (quiescent), or within one, where a
 * pool passes through the states its events leave it in.  NULL when p is as its state requires,
 * else what is wrong, as words to follow "pool 0x...". */
const char *mpool_state_problem(const struct mheap *h, const struct mpool *p, bool quiescent);

#endif
