/*
 * gc.h - the cycle collector's surface: Python's gc module as functions of the runtime.
 *
 * The collector itself is CPython's classic generational collector (docs/cpython-memory.md 7,
 * the 3.9-3.13 form) and is described in allocator/gc.c.  Its profile (gc_profile.h) gives the
 * number of generations, their names and thresholds, and the finalizer rules; the functions
 * here are what `import gc` offers, with CPython's return values.
 *
 * Every function that takes a generation accepts 0 .. gc_generation_count() - 1 and returns
 * RT_EINVAL otherwise (Python raises ValueError there), except gc_collect, which accepts
 * 0 .. gc_full_generation().  Under the incremental profile (cpython-3.14, 3.14.0-3.14.4;
 * allocator/gc_incremental.c) the generations are young (0) and old (1), and gc_collect(0) is a
 * young collection, gc_collect(1) one increment of the old generation and gc_collect(2) a full
 * collection, as in 3.14's gc.collect.
 */
#ifndef ALLOCATOR_GC_H
#define ALLOCATOR_GC_H

#include <allocator/gc_profile.h>
#include <allocator/runtime.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- the gc module ------------------------------------------------------------------------- */

/* gc.collect(generation): the number of unreachable objects found (collected plus
 * uncollectable); 0 without collecting when a collection is already running. */
int64_t gc_collect(struct runtime *rt, int generation);

size_t gc_generation_count(const struct runtime *rt);
/* What gc.collect() without an argument collects: the oldest generation, or 2 (a full
 * collection) under the incremental profile. */
int gc_full_generation(const struct runtime *rt);
/* How many numbers gc.get_count() and gc.get_threshold() give, and the generations gc.collect(),
 * gc.get_objects() and the callbacks number: the generations, or 3 under the incremental profile
 * (3.14.0-3.14.4 keep three: young, old's visited space, old's pending space). */
size_t gc_module_generations(const struct runtime *rt);
/* gc.get_count(): fills out[0 .. gc_module_generations); under the incremental profile young's
 * count, then the young collections counted in old's visited space and in its pending one. */
void gc_get_count(const struct runtime *rt, uint32_t *out);
/* gc.get_threshold(): out[0 .. gc_module_generations); under the incremental profile young's,
 * old's (the scale of an increment's work) and 0. */
void gc_get_threshold(const struct runtime *rt, uint32_t *out);
/* gc.set_threshold(t0[, t1[, t2]]): n values, 1 .. gc_module_generations (the incremental
 * profile keeps no third). */
int gc_set_threshold(struct runtime *rt, size_t n, const uint32_t *thresholds);

void gc_enable(struct runtime *rt);
void gc_disable(struct runtime *rt);
bool gc_isenabled(const struct runtime *rt);

void gc_freeze(struct runtime *rt);
void gc_unfreeze(struct runtime *rt);
/* The permanent generation's size, the interpreter's own objects included. */
size_t gc_get_freeze_count(const struct runtime *rt);

bool gc_is_tracked(const struct rt_object *o);
bool gc_is_finalized(const struct rt_object *o);

/* gc.get_objects(generation): a new list; generation -1 for all.  Under the incremental profile,
 * as 3.14.0-3.14.4: 0 young, 1 none (3.14 has no generation 1 to list), 2 all of old. */
struct rt_object *gc_get_objects(struct runtime *rt, int generation);
/* How many of the objects gc.get_objects(generation) would list are the interpreter's own
 * (which it cannot list: see gc_startup_objects). */
size_t gc_get_objects_startup(const struct runtime *rt, int generation);
/* gc.get_referrers(o) and gc.get_referents(o): new lists. */
struct rt_object *gc_get_referrers(struct runtime *rt, const struct rt_object *o);
struct rt_object *gc_get_referents(struct runtime *rt, const struct rt_object *o);
/* Tracked objects in generation g (the permanent generation when g == generations), the
 * interpreter's own included. */
size_t gc_generation_size(const struct runtime *rt, size_t g);

/* gc.garbage: borrowed; created on first use. */
struct rt_object *gc_garbage(struct runtime *rt);

/* gc.callbacks: called as fn(rt, "start" or "stop", info, ctx). */
struct gc_info {
    int generation;
    int64_t collected, uncollectable;
};
typedef void (*gc_callback_fn)(struct runtime *rt, const char *phase, const struct gc_info *info,
                               void *ctx);
int gc_callback_add(struct runtime *rt, gc_callback_fn fn, void *ctx);
void gc_callback_remove(struct runtime *rt, gc_callback_fn fn, void *ctx);

/* gc.set_debug(flags): CPython 3.x's values. */
enum {
    GC_DEBUG_STATS = 1,
    GC_DEBUG_COLLECTABLE = 2,
    GC_DEBUG_UNCOLLECTABLE = 4,
    GC_DEBUG_SAVEALL = 32,
    GC_DEBUG_LEAK = GC_DEBUG_COLLECTABLE | GC_DEBUG_UNCOLLECTABLE | GC_DEBUG_SAVEALL,
};
void gc_set_debug(struct runtime *rt, unsigned flags);
unsigned gc_get_debug(const struct runtime *rt);
/* Where the debug lines go besides the `print` events (stream 2): NULL for nowhere. */
void gc_set_debug_stream(struct runtime *rt, FILE *out);

/* gc.get_stats() */
struct gc_gen_stats {
    uint64_t collections, collected, uncollectable;
};
/* gc.get_stats(): out[0 .. gc_module_generations). */
void gc_get_stats(const struct runtime *rt, struct gc_gen_stats *out);

/* The incremental collector's state (the cpython-3.14 profile, docs/cpython-memory.md 7.12). */
struct gc_incr_state {
    uint32_t visited_space; /* 0 or 1 */
    bool marking_next;      /* the next increment marks from the roots and collects nothing */
    int64_t work_to_do;     /* objects the next increment may scan (may be negative) */
    int64_t heap_size;      /* containers allocated minus freed */
    size_t pending, visited; /* the old generation's two spaces, in objects */
    uint32_t old_count[2];  /* young collections counted by each space */
};
void gc_incr_get_state(const struct runtime *rt, struct gc_incr_state *out);

/*
 * The interpreter's own objects: the tracked objects a real interpreter of the runtime's version
 * starts with, which the collector counts without making them (allocator/gc.c).  A row of
 * allocator/gc_startup.c, measured by allocator/gc_startup.py: `oldest` in the oldest generation
 * after a first gc.collect(), `permanent` already frozen.  NULL for a layout never measured.
 */
struct gc_startup {
    char layout[16];    /* the object layout's name, "cpython-3.11" */
    char version[16];   /* the interpreter measured, "3.11.2" */
    uint32_t oldest;    /* objects in the oldest generation */
    uint32_t permanent; /* objects in the permanent generation */
};
const struct gc_startup *gc_startup_find(const char *layout);
/* How many of generation g's objects (the permanent one when g == generations) are the
 * interpreter's own; gc_generation_size() counts them, gc_get_objects() cannot list them. */
size_t gc_startup_objects(const struct runtime *rt, size_t g);

/* The long-lived heuristic's counters (docs/cpython-memory.md 7.5). */
void gc_get_long_lived(const struct runtime *rt, uint64_t *pending, uint64_t *total);

/*
 * The collector's invariants (docs/cpython-memory.md 8.4, invariant 9): every tracked object is in
 * exactly one generation list and every object in a list is tracked; the lists are well linked; no
 * COLLECTING or UNREACHABLE flag survives a collection; the counts agree with the objects.
 */
bool gc_is_valid(const struct runtime *rt, char *err, size_t errlen);

#endif
