/*
 * gc_profile.h - how a CPython version's cycle collector is set up (reference section 7.3):
 * the generations, their thresholds, and whether cycles with __del__ are collectable.
 * A value header, like stats.h: the recorder copies it into trace headers.
 */
#ifndef ALLOCATOR_GC_PROFILE_H
#define ALLOCATOR_GC_PROFILE_H

#include <stdbool.h>
#include <stdint.h>

#define GC_MAX_GENERATIONS 4

struct gc_profile {
    char name[32];                           /* "cpython-3.8", "cpython-3.13", "legacy" */
    uint32_t ngenerations;                   /* generations, the permanent one not counted */
    char generation_names[GC_MAX_GENERATIONS][16];
    uint32_t thresholds[GC_MAX_GENERATIONS]; /* threshold of each generation */
    bool legacy_finalizers;                  /* a cycle with __del__ goes to gc.garbage (2.7) */
};

#endif
