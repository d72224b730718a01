/*
 * heap_internal.h - the structures behind struct heap, shared by the files of the allocator
 * (heap.c: the algorithms; heap_inspect.c: introspection, validator, stats).  Not a public
 * header: nothing outside allocator/ includes it.
 *
 * The names and layouts are CPython's (docs/cpython-memory.md 2): a reader of Objects/obmalloc.c
 * should recognise every field.
 */
#ifndef ALLOCATOR_HEAP_INTERNAL_H
#define ALLOCATOR_HEAP_INTERNAL_H

#include <allocator/heap.h>
#include <allocator/map.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* szidx of a pool that was carved but not yet initialised for a class. */
#define DUMMY_SIZE_IDX 0xffffu

/*
 * The header at the start of every pool, 48 bytes on 64-bit (docs/cpython-memory.md 2.1).  The
 * order of the first four fields is CPython's; the ring heads in struct heap are whole headers, so
 * nothing depends on it here, but the size does: the pool overhead is this size rounded up to the
 * alignment, and every block offset follows from it.
 */
struct pool_header {
    union {
        uint8_t *padding;
        uint32_t count; /* blocks allocated from this pool */
    } ref;
    uint8_t *freeblock;           /* head of the free list; NULL: none (the pool may be full) */
    struct pool_header *nextpool; /* next in the class's ring, or in the arena's freepools */
    struct pool_header *prevpool; /* previous in the ring; meaningless when full or empty */
    uint32_t arenaindex;          /* slot of the owning arena in the arenas vector */
    uint32_t szidx;               /* size class, kept while empty; DUMMY_SIZE_IDX when new */
    uint32_t nextoffset;          /* offset of the next virgin block */
    uint32_t maxnextoffset;       /* pool_size - size: the largest valid nextoffset */
};
_Static_assert(sizeof(struct pool_header) == 4 * sizeof(void *) + 4 * sizeof(uint32_t),
               "struct pool_header must have CPython's size: the pool overhead depends on it");

/* One entry of the arenas vector (docs/cpython-memory.md 2.2), plus arenascope's serial number. */
struct arena_object {
    uintptr_t address;             /* base from the arena source; 0: no arena in this slot */
    uint8_t *pool_address;         /* next pool to carve: the high-water mark */
    uint32_t nfreepools;           /* cached empty pools + never-carved pools */
    uint32_t ntotalpools;          /* pools it can hold: all, or one fewer when misaligned */
    struct pool_header *freepools; /* empty pools, most recently emptied first */
    struct arena_object *nextarena; /* usable_arenas, or unused_arena_objects when address == 0 */
    struct arena_object *prevarena; /* usable_arenas only */
    uint64_t serial;               /* 0-based number of the arena allocation */
};

/*
 * The arena map: which arena-size slots of the address space ("ideal" arena addresses) hold a live
 * arena, and where in the slot it starts or ends, as the bottom entries of CPython 3.10's radix
 * tree record it (docs/cpython-memory.md 2.8).  An arena that is not aligned to its size straddles
 * two slots.  Here the entries live in an open-addressing table indexed by the slot number, which
 * costs one probe: arenas obtained one after another occupy consecutive slots, which never collide.
 */
struct arena_map_entry {
    uintptr_t key;   /* slot number (address >> arena_bits) + 1; 0: empty */
    int32_t tail_hi; /* an arena starts in this slot at this offset (-1: at offset 0) */
    int32_t tail_lo; /* an arena that started in the previous slot ends at this offset */
};

/* CPython's radix-tree nodes, counted for the stats report: they are created as arenas are
 * marked and never freed, so the census only grows. */
struct map_census {
    uint64_t *mids;  /* top indices that have a mid node */
    uint64_t *bots;  /* (top << 32 | mid) pairs that have a bottom node */
    size_t nmids, nbots, cap;
};

struct heap {
    /* --- read by every allocation and free --------------------------------------------- */
    bool observed;                 /* a sink or a stack hook is set */
    uint32_t align_shift;          /* log2(alignment) */
    size_t threshold;              /* largest small request */
    uintptr_t pool_mask;           /* pool_size - 1 */
    struct arena_map_entry *map;  /* the arena map: map_mask + 1 entries */
    size_t map_mask;
    uint32_t arena_bits;
    uintptr_t arena_mask;
    struct event_sink sink;
    struct heap_stack_hook hook;
    struct event ev;               /* the event being emitted (heap.c): zeros but what is sent */

    /* --- geometry ------------------------------------------------------------------------ */
    struct heap_profile profile;
    struct heap_arena_source source;
    uint32_t pool_size, arena_size, pool_overhead, nclasses;
    uint32_t max_pools; /* pools in an aligned arena (MAX_POOLS_IN_ARENA) */
    size_t map_count;   /* entries in use in the arena map */

    /* CPython's radix tree for the stats (arena_map_bits address bits; 64 when the profile
     * has none): the shape of its levels, and the census of its nodes */
    uint32_t map_top_shift, map_mid_shift;
    uint64_t map_mid_mask, map_high_mask;
    uint32_t map_top_len, map_mid_len, map_bot_len; /* entries per node of each level */
    struct map_census census;

    /* --- arena management (docs/cpython-memory.md 2.5 to 2.7) -------------------------------- */
    struct arena_object *arenas; /* the vector; never shrinks, indices are stable */
    uint32_t maxarenas;          /* its length */
    struct arena_object *unused_arena_objects;
    struct arena_object *usable_arenas;
    struct arena_object **nfp2lasta; /* max_pools + 1 fingers */
    uint64_t narenas_currently_allocated, ntimes_arena_allocated, narenas_highwater;
    uint64_t arena_failures;

    /* --- the raw layer ------------------------------------------------------------------- */
    struct map raw;                /* the raw table: each live block's address -> the bytes requested */
    uint64_t raw_allocated_blocks, raw_bytes;
    uint64_t raw_domain_blocks;    /* of raw_allocated_blocks, those of heap_raw_malloc */
    bool foreign_to_libc;          /* pointers never handed out go to libc (heap_set_foreign_to_libc) */
    uint64_t foreign;              /* such pointers freed or resized so far */

    /* --- one ring head per size class: a header whose nextpool is the front pool ---------- */
    struct pool_header used[];
};

int heap_profile_check(const struct heap_profile *p, char *err, size_t errlen);

static inline uint8_t *block_next(const uint8_t *b)
{
    uint8_t *n;
    memcpy(&n, b, sizeof n);
    return n;
}

static inline void block_set_next(uint8_t *b, uint8_t *n)
{
    memcpy(b, &n, sizeof n);
}

static inline uint32_t heap_class_size(const struct heap *h, uint32_t szidx)
{
    return (szidx + 1) << h->align_shift;
}

/* The arena map's entry for slot number k, or NULL. */
static inline const struct arena_map_entry *arena_map_find(const struct heap *h, uintptr_t k)
{
    uintptr_t key = k + 1;
    for (size_t i = key & h->map_mask;; i = (i + 1) & h->map_mask) {
        const struct arena_map_entry *e = &h->map[i];
        if (LIKELY(e->key == key))
            return e;
        if (e->key == 0)
            return NULL;
    }
}

/* address_in_range: true when p lies in one of the heap's live arenas. */
static inline bool arena_map_owns(const struct heap *h, const void *ptr)
{
    uintptr_t p = (uintptr_t)ptr;
    const struct arena_map_entry *e = arena_map_find(h, p >> h->arena_bits);
    if (!e)
        return false;
    int32_t tail = (int32_t)(p & h->arena_mask);
    return tail < e->tail_lo || (tail >= e->tail_hi && e->tail_hi != 0);
}

static inline struct pool_header *pool_of(const struct heap *h, const void *p)
{
    return (struct pool_header *)((uintptr_t)p & ~h->pool_mask);
}

#endif
