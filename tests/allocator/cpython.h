/*
 * cpython.h - CPython's own obmalloc as a test oracle: a libpython loaded with dlopen, its
 * PyObject_Malloc/Calloc/Realloc/Free called without initialising the interpreter (3.6 to 3.11;
 * the allocator state is static there), with an arena allocator of ours installed through
 * PyObject_SetArenaAllocator so that arenas are aligned (always all their pools) and numbered
 * like the heap's.
 *
 * One libpython per process: Criterion runs each test in its own process.
 */
#ifndef TESTS_ALLOCATOR_CPYTHON_H
#define TESTS_ALLOCATOR_CPYTHON_H

#include <allocator/heap_inspect.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CPY_MAX_ARENAS 4096

struct cpython {
    void *dl;
    const char *path;
    char version[64];   /* from Py_GetVersion(): "3.11.2 (main, ...)" */
    void *(*malloc)(size_t);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    void (*free)(void *);
    int (*debug_malloc_stats)(FILE *);
    uint32_t pool_size, arena_size;

    /* the arena allocator's bookkeeping */
    uintptr_t region;   /* when non-zero: arenas are placed from this address up */
    uintptr_t bases[CPY_MAX_ARENAS];
    uint64_t serials[CPY_MAX_ARENAS];
    size_t nlive;
    uint64_t nserial;   /* arenas obtained so far */
};

/* The libpython versions a test may use, with the profile each should match. */
struct cpython_lib {
    const char *label;   /* "3.11 (Debian)" */
    const char *path;
    const char *profile; /* "cpython-3.10" */
    bool needs_interpreter; /* 3.12+: the allocator state lives in the interpreter */
    uint32_t arena_map_bits; /* the profile's, except 3.10 whose radix tree covers 48 bits */
};
extern const struct cpython_lib cpython_libs[];
extern const size_t cpython_nlibs;
const struct cpython_lib *cpython_lib_find(const char *label);

/*
 * Loads a libpython and installs the arena allocator (region: 0, or an address aligned to 16 GiB
 * from which arenas are mapped in order).  Returns false with the reason in why when the library
 * is missing or unusable.
 */
bool cpython_open(struct cpython *py, const char *path, const struct heap_profile *profile, uintptr_t region,
                  char *why, size_t whylen);

/* Where CPython put p, in the terms of heap_locate(): arena serial, pool index, offset, or raw. */
void cpython_locate(const struct cpython *py, const void *p, struct heap_location *out);

/* The arena source that places arenas from a fixed region, for the heap's side of a comparison
 * that needs the same addresses modulo 16 GiB (the arena map's node counts depend on them). */
struct region_source {
    uintptr_t next;
};
struct heap_arena_source region_source(struct region_source *r);

#endif
