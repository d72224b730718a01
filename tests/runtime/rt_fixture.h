/*
 * rt_fixture.h - what the runtime tests share: a heap and runtime on aligned arenas, a sink
 * that folds the runtime's events into its own picture of the objects (and complains when an
 * event disagrees with the runtime), and the validators run after every step.
 */
#ifndef TESTS_RUNTIME_RT_FIXTURE_H
#define TESTS_RUNTIME_RT_FIXTURE_H

#include <allocator/event.h>
#include <allocator/gc.h>
#include <allocator/heap.h>
#include <allocator/runtime.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A fold of the object events: live objects with their counts, tracked objects, names. */
struct fold {
    uint64_t *obj;     /* addresses of live objects (open addressing, 0 = empty) */
    int64_t *refcnt;   /* their counts as the events tell */
    bool *tracked;
    size_t cap, n;
    uint64_t events, incref, decref, obj_new, obj_free, gc_start, gc_end, steps;
    uint64_t kinds[EV_KIND_COUNT];
    char error[256]; /* the first disagreement, empty when none */
    uint64_t last_collected, last_uncollectable;
};

void fold_init(struct fold *f);
void fold_release(struct fold *f);
void fold_emit(void *ctx, const struct event *ev);
/* The count the events gave the object, or -1 when it is not alive for them. */
int64_t fold_refcnt(const struct fold *f, const void *obj);

struct rt_fixture {
    struct heap *heap;
    struct runtime *rt;
    struct fold fold;
};

/* profile: a gc profile name, NULL for the default */
void fixture_open(struct rt_fixture *fx, const char *gc_profile);
/* fixture_open with the given object layout (NULL: the one the profiles give). */
void fixture_open_layout(struct rt_fixture *fx, const char *gc_profile, const struct rt_layout *layout);
void fixture_close(struct rt_fixture *fx);
/* heap_is_valid, gc_is_valid and the fold's verdict; aborts the test with the reason */
void fixture_check(struct rt_fixture *fx);

/* The value CPython 3.11 gives for a named snippet number (cpython_numbers.h). */
const char *cpython_number(const char *name);
long cpython_int(const char *name);

#endif
