/*
 * heap.h - the instrumented obmalloc: raw layer, arenas, pools, blocks.
 *
 * A `struct heap` is one instance of CPython's small-object allocator (Objects/obmalloc.c) with
 * the geometry of a profile, taking its arenas from an arena source and reporting every change of
 * state to an event sink (allocator/event.h).  Placement decisions are CPython's: the same pool
 * chosen, the same block handed out, the same reuse order (docs/cpython-memory.md 1 to 4).
 *
 * Return convention: functions that can fail return 0 or a negative HEAP_E* code, explained by
 * heap_strerror(); allocation functions return NULL on failure like malloc; predicates return bool;
 * misuse (freeing a foreign pointer, a NULL heap) is an assertion, not a code, unless the heap
 * was told to hand foreign pointers to the C library (heap_set_foreign_to_libc).
 *
 * Names: heap_new()/heap_delete() create and destroy a heap; heap_malloc(), heap_calloc(),
 * heap_realloc() and heap_free() are PyObject_Malloc, _Calloc, _Realloc and _Free.
 *
 * Threads: a heap is used by one thread at a time.
 */
#ifndef ALLOCATOR_HEAP_H
#define ALLOCATOR_HEAP_H

#include <allocator/event.h>
#include <allocator/stats.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    HEAP_EINVAL = -1, /* a profile or argument out of range */
    HEAP_ENOMEM = -2, /* the heap's own bookkeeping could not be allocated */
};
const char *heap_strerror(int err);

/* The geometry and policy of one CPython layout (docs/cpython-memory.md 1.1). */
struct heap_profile {
    char name[32];              /* "cpython-3.10", "cpython-3.9", "cpython-3.8", "classic", "custom" */
    uint32_t alignment;         /* bytes; power of two, 8..64 */
    uint32_t threshold;         /* largest small request, bytes; multiple of alignment */
    uint32_t pool_size;         /* bytes; power of two, >= 1 KiB */
    uint32_t arena_size;        /* bytes; power of two, 4 to 65536 pools, at most 1 GiB */
    bool keep_last_free_arena;  /* 3.9+: a wholly free arena that is the tail of usable_arenas stays */
    uint32_t arena_map_bits;    /* CPython 3.10+ finds arenas with a radix tree over this many
                                 * address bits and reports its nodes ("arena map" section of the
                                 * stats): 64 (3.11+), 48 (3.10); 0: no tree (before 3.10) */
};

/* The built-in profiles, in the order `--help` lists them; the first is the default. */
size_t heap_profile_count(void);
const struct heap_profile *heap_profile_at(size_t i);

/*
 * Parses a profile name ("cpython-3.10", ...) or "custom:align=8,threshold=256,pool=4K,
 * arena=256K,keep-last=no,arena-map=no" (arena-map: no, 48 or 64).  Keys left out of a custom spec take cpython-3.10's
 * values.  Every class must fit at least two blocks in a pool.  On error returns HEAP_EINVAL and
 * writes a one-line reason to err.
 */
int heap_profile_parse(const char *spec, struct heap_profile *out, char *err, size_t errlen);

/* Size classes of a profile (docs/cpython-memory.md 1.2 and 1.3). */
uint32_t heap_profile_nclasses(const struct heap_profile *p);
uint32_t heap_profile_class_size(const struct heap_profile *p, uint32_t szidx);
uint32_t heap_profile_pool_overhead(const struct heap_profile *p); /* header rounded to alignment */
uint32_t heap_profile_blocks_per_pool(const struct heap_profile *p, uint32_t szidx);

/*
 * Where arenas come from: CPython's PyObjectArenaAllocator.  alloc returns NULL on failure.
 */
struct heap_arena_source {
    void *(*alloc)(void *ctx, size_t size);
    void (*free)(void *ctx, void *addr, size_t size);
    void *ctx;
};

/* mmap as CPython does it: page-aligned, so an arena has 63 or 64 pools as it falls. */
struct heap_arena_source heap_arena_source_mmap(void);

/* Arenas aligned to their own size: always every pool, deterministic; for tests and teaching. */
struct heap_arena_source heap_arena_source_aligned(void);

/*
 * Fault injection: wraps `inner` and fails its Nth request (1-based) and, when `sticky`, every
 * request after it.  The returned source points into *state, which the caller keeps alive.
 */
struct heap_failing_source {
    struct heap_arena_source inner;
    uint64_t fail_at;  /* 1-based request number to fail; 0 never */
    bool sticky;
    uint64_t requests; /* requests seen so far */
    uint64_t failed;   /* requests failed so far */
};
struct heap_arena_source heap_arena_source_failing(struct heap_failing_source *state);

struct heap;

int heap_new(struct heap **out, const struct heap_profile *profile,
             const struct heap_arena_source *source, const struct event_sink *sink);
/* Releases every arena and raw block still held, then the heap. */
void heap_delete(struct heap *h);

const struct heap_profile *heap_profile(const struct heap *h);
void heap_set_sink(struct heap *h, const struct event_sink *sink);

/*
 * Call stacks.  When a hook is set, heap_malloc, heap_calloc and heap_realloc call it on entry,
 * before they touch any of the heap's state, and attach the id it returns to the events of that
 * allocation (0: no stack).  The hook unwinds and interns (src/ wires libunwind capture to the
 * tracer's stack table); the allocator itself never unwinds while its structures are in flux.
 */
struct heap_stack_hook {
    uint64_t (*capture)(void *ctx);
    void *ctx;
};
/* Frames between the hook's own frame and the allocation's caller: the hook is called by a
 * function of the allocator two calls below heap_malloc/heap_calloc/heap_realloc (at every
 * optimisation level). */
#define HEAP_STACK_HOOK_FRAMES 3
void heap_set_stack_hook(struct heap *h, const struct heap_stack_hook *hook);

void *heap_malloc(struct heap *h, size_t n);
void *heap_calloc(struct heap *h, size_t nmemb, size_t size);
void *heap_realloc(struct heap *h, void *p, size_t n);
void heap_free(struct heap *h, void *p);

/*
 * PyMem_RawMalloc and PyMem_RawFree: the raw domain (PYMEM_DOMAIN_RAW, docs/cpython-memory.md
 * 5.1), which is the C library's malloc in every version, 0 bytes becoming 1.  The block is the
 * raw layer's (a raw_alloc event with why RAW_DOMAIN) but, as in CPython, not one of the blocks
 * pymalloc counts (heap_allocated_blocks, heap_inspect.h).  A raw-domain block goes back through heap_raw_free
 * only; heap_raw_free(NULL) does nothing.
 */
void *heap_raw_malloc(struct heap *h, size_t n);
void heap_raw_free(struct heap *h, void *p);

/*
 * Pointers this heap never handed out.  By default freeing or resizing one stops the program (a
 * bug in the caller).  A heap that serves a real interpreter (tracer/capture) takes them as
 * obmalloc does: whatever address_in_range does not claim belongs to the raw domain, so it goes
 * to the C library's free() or realloc(), with no event (the heap never saw the block) and
 * counted by heap_foreign_count().
 */
void heap_set_foreign_to_libc(struct heap *h, bool on);
uint64_t heap_foreign_count(const struct heap *h);

/* True when p is a block of one of this heap's pools (address_in_range). */
bool heap_owns(const struct heap *h, const void *p);

/* Usable size of a pool block, or 0 when p is not a pool block. */
size_t heap_block_size(const struct heap *h, const void *p);

/*
 * Walks every arena, pool, ring and free list and recounts them against the invariants of
 * docs/cpython-memory.md 8.4.  Returns true when all hold; otherwise writes the first
 * violation to err.
 */
bool heap_is_valid(const struct heap *h, char *err, size_t errlen);

/* The figures of sys._debugmallocstats(), from the allocator's own structures. */
void heap_get_stats(const struct heap *h, struct heap_stats *out);

#endif
