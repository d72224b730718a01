/*
 * gc_profile.h - how a CPython version's cycle collector is set up (docs/cpython-memory.md 7.3):
 * the generations, their thresholds, and whether cycles with __del__ are collectable.
 * A value header, like stats.h: the recorder copies it into trace headers.
 *
 * The built-in profiles (allocator/gc_profile.c; parsed by gc_profile_parse in gc.h):
 *   cpython-3.8    generations gen0, gen1, gen2 with thresholds (700, 10, 10): 3.8 to 3.12,
 *                  the default
 *   cpython-3.13   (2000, 10, 10): 3.13.0 and 3.14.5+
 *   cpython-3.14   3.14.0 to 3.14.4: two generations, young and old, the old one collected
 *                  incrementally (docs/cpython-memory.md 7.12); thresholds (2000, 10), the
 *                  second scaling each increment's work
 *   legacy         (700, 10, 10) with 2.7's rule: a cycle holding an object with __del__ is
 *                  uncollectable and goes to gc.garbage (alias cpython-2.7)
 * The number of generations and their names are data (1 to GC_MAX_GENERATIONS).
 */
#ifndef ALLOCATOR_GC_PROFILE_H
#define ALLOCATOR_GC_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GC_MAX_GENERATIONS 4

struct gc_profile {
    char name[32];                           /* "cpython-3.8", "cpython-3.13", "legacy" */
    uint32_t ngenerations;                   /* generations, the permanent one not counted */
    char generation_names[GC_MAX_GENERATIONS][16];
    uint32_t thresholds[GC_MAX_GENERATIONS]; /* threshold of each generation */
    bool legacy_finalizers;                  /* a cycle with __del__ goes to gc.garbage (2.7) */
    bool incremental;                        /* 3.14.0-3.14.4: young and old, the old one in
                                              * increments; ngenerations == 2 */
    char help[160];                          /* one line for --help and `info` */
};

/* The functions below are the allocator library's (allocator/gc_profile.c); readers of trace
 * headers use the struct alone. */

/* ---- profiles ----------------------------------------------------------------------------- */

/* The built-in profiles: cpython-3.8 (the default; also 3.9-3.12), cpython-3.13, cpython-3.14,
 * legacy. */
size_t gc_profile_count(void);
const struct gc_profile *gc_profile_at(size_t i);
const struct gc_profile *gc_profile_default(void);
/*
 * Parses "NAME" or "NAME:T0,T1,..." (thresholds overriding the profile's, one per generation).
 * On error returns -1 (RT_EINVAL) and writes a one-line reason to err.
 */
int gc_profile_parse(const char *spec, struct gc_profile *out, char *err, size_t errlen);
/* Checks a profile value (from a trace header, say): 1..GC_MAX_GENERATIONS generations with
 * names.  Returns 0 or -1 (RT_EINVAL) with a reason. */
int gc_profile_check(const struct gc_profile *p, char *err, size_t errlen);
/* The profile whose collector a CPython release runs: cpython-3.8 before 3.13, cpython-3.14 for
 * 3.14.0 to 3.14.4 (the incremental collector), cpython-3.13 for 3.13 and 3.14.5 on, legacy for
 * 2.x.  The name of a built-in profile. */
const char *gc_profile_for_python(int major, int minor, int micro);
/* How many generations the gc module numbers (gc.get_count()'s numbers, gc.collect()'s and the
 * callbacks' generations): the profile's, or 3 for the incremental collector, as 3.14.0-3.14.4
 * keep NUM_GENERATIONS at 3 for young and old. */
uint32_t gc_profile_module_generations(const struct gc_profile *p);

#endif
