/*
 * heap_inspect.h - read-only introspection of a heap: every arena, pool, ring, free list and
 * counter, exactly as the allocator keeps them.
 *
 * This is the ground truth that other parts compare themselves with: the model's "model equals
 * program" test folds the event stream and, after every event, checks its state against what
 * these functions report; `arenascope placements` and the differential test against CPython use
 * heap_locate().  Nothing here changes the heap or emits an event, and nothing allocates: lists
 * are copied into caller-provided arrays.
 *
 * List functions follow one convention: they write at most `max` entries into `out` (which may be
 * NULL when max is 0) and return the full length of the list, so a caller can size its array with
 * a first call, or from the counts in the info structs.
 *
 * Addresses are uint64_t, like the address fields of events (allocator/event.h).
 *
 * Vocabulary (docs/cpython-memory.md 3.7):
 *  - an arena slot is an entry of the arenas vector; it holds an arena (live) or sits on the
 *    stack of unused slots (CPython's unused_arena_objects);
 *  - a pool is carved when the arena's high-water mark (pool_address) passes it; a carved pool
 *    is used (in its class's ring), full (on no list) or empty (on its arena's freepools);
 *  - a pool's free list is the chain from its freeblock head as CPython keeps it: the freed
 *    blocks, most recently freed first, ending with at most one never-used block that the bump
 *    allocator threaded when the list ran dry.  Blocks at or above nextoffset are virgin.
 */
#ifndef ALLOCATOR_HEAP_INSPECT_H
#define ALLOCATOR_HEAP_INSPECT_H

#include <allocator/heap.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- counters ------------------------------------------------------------------------------ */

struct heap_counters {
    uint32_t slots;               /* length of the arenas vector (maxarenas): 0, 16, 32, 64... */
    uint64_t arenas_current;      /* live arenas (narenas_currently_allocated) */
    uint64_t arenas_total;        /* arenas ever obtained (ntimes_arena_allocated); the next
                                   * arena's serial number */
    uint64_t arenas_highwater;    /* most live arenas at once (narenas_highwater) */
    uint64_t arena_failures;      /* requests the arena source refused */
    uint64_t raw_blocks;          /* live blocks of the raw layer (raw_allocated_blocks) */
    uint64_t raw_bytes;           /* bytes requested by those blocks */
    uint64_t raw_domain_blocks;   /* of raw_blocks, those of the raw domain (heap_raw_malloc) */
    uint64_t pool_blocks;         /* sum of count over all carved pools */
    uint64_t usable_arenas;       /* length of usable_arenas */
};
void heap_inspect_counters(const struct heap *h, struct heap_counters *out);
/* sys.getallocatedblocks(): the blocks the object allocator has handed out and not taken back,
 * pool blocks and its own requests to the C library (pool_blocks + raw_blocks -
 * raw_domain_blocks). */
uint64_t heap_allocated_blocks(const struct heap *h);

/* ---- arenas -------------------------------------------------------------------------------- */

struct heap_arena_info {
    uint32_t slot;           /* index in the arenas vector (pool headers' arenaindex) */
    bool live;               /* false: no arena; the slot is on the unused stack */
    uint64_t serial;         /* 0-based number of the arena allocation (live only) */
    uint64_t base;           /* address the arena source returned (live only) */
    uint32_t sliver;         /* bytes from base to the first pool boundary: 0 when aligned */
    uint64_t first_pool;     /* base + sliver */
    uint32_t npools;         /* pools it can hold (ntotalpools): all, or one fewer when
                              * the base is not pool-aligned */
    uint32_t nfreepools;     /* cached empty pools + never-carved pools */
    uint32_t ncarved;        /* pools below the high-water mark */
    uint64_t pool_address;   /* the high-water mark: where the next pool will be carved */
    uint32_t ncached;        /* length of its freepools list (empty pools) */
    int32_t usable_pos;      /* 0-based position in usable_arenas, -1 when not on it (full,
                              * or not live) */
};

/* Fills *out for slot < counters.slots. */
void heap_inspect_arena(const struct heap *h, uint32_t slot, struct heap_arena_info *out);
/* The arena's cache of empty pools, most recently emptied first (LIFO order). */
size_t heap_inspect_freepools(const struct heap *h, uint32_t slot, uint64_t *out, size_t max);
/* usable_arenas from head to tail, as slots (sorted by nfreepools, ascending). */
size_t heap_inspect_usable(const struct heap *h, uint32_t *out, size_t max);
/* The unused slots, top of the stack first (the next arena obtained takes out[0]). */
size_t heap_inspect_unused(const struct heap *h, uint32_t *out, size_t max);
/* nfp2lasta[nf]: the slot of the rightmost usable arena with nf free pools, or -1 (none).
 * Kept by every profile, as CPython 3.8+ does. */
int64_t heap_inspect_nfp2lasta(const struct heap *h, uint32_t nf);

/* ---- pools --------------------------------------------------------------------------------- */

enum heap_pool_state {
    HEAP_POOL_USED,  /* in its class's ring: some blocks allocated, some available */
    HEAP_POOL_FULL,  /* every block allocated; on no list */
    HEAP_POOL_EMPTY, /* no block allocated; on its arena's freepools, keeping its old class */
};
const char *heap_pool_state_name(enum heap_pool_state s); /* "used", "full", "empty" */

struct heap_pool_info {
    uint64_t addr;              /* the pool's first byte (its header) */
    uint32_t slot;              /* its arena's slot */
    uint32_t index;             /* 0-based pool index from the arena's first pool */
    enum heap_pool_state state;
    uint32_t szidx;             /* size class (kept while empty) */
    uint32_t size;              /* block size of that class */
    uint32_t count;             /* blocks allocated (ref.count) */
    uint32_t nblocks;           /* blocks the pool holds: (pool_size - overhead) / size */
    uint64_t freeblock;         /* head of the free list, 0 when none */
    uint32_t nfree;             /* length of the free list */
    uint32_t nextoffset;        /* offset of the next virgin block */
    uint32_t maxnextoffset;     /* pool_size - size: the last offset a block can start at */
};

/* Pool `index` (0-based, < ncarved) of the arena in `slot`. */
void heap_inspect_pool(const struct heap *h, uint32_t slot, uint32_t index, struct heap_pool_info *out);
/* The pool holding address p (any byte of a carved pool); false when there is none. */
bool heap_inspect_pool_at(const struct heap *h, uint64_t p, struct heap_pool_info *out);
/* The free list of the pool at `pool`, head first (LIFO order). */
size_t heap_inspect_pool_freelist(const struct heap *h, uint64_t pool, uint64_t *out, size_t max);
/* The used-pool ring of size class szidx, from the front (where allocation takes blocks). */
size_t heap_inspect_ring(const struct heap *h, uint32_t szidx, uint64_t *out, size_t max);

/* ---- the raw layer ------------------------------------------------------------------------- */

struct heap_raw_info {
    uint64_t addr;
    uint64_t size; /* bytes requested (0 for a malloc(0), which the C library saw as 1) */
};
/* The live raw blocks, sorted by address. */
size_t heap_inspect_raw(const struct heap *h, struct heap_raw_info *out, size_t max);

/* ---- placements ---------------------------------------------------------------------------- */

/* Where a block lives, in the terms of `arenascope placements`. */
struct heap_location {
    bool raw;         /* a block of the raw layer (the other fields are 0) */
    uint64_t serial;  /* 0-based serial number of the arena allocation holding it */
    uint32_t slot;    /* that arena's slot */
    uint32_t pool;    /* the pool's index from the arena's base: (pool - base) / pool_size,
                       * rounded down, so the first pool is 0 also in a misaligned arena */
    uint32_t offset;  /* the block's byte offset in its pool */
};

/* Locates a live block this heap handed out.  Returns false when p is neither in a carved pool
 * nor a live raw block. */
bool heap_locate(const struct heap *h, const void *p, struct heap_location *out);

#endif
