/*
 * heap.h - the model's heap (tracer/model/ only): arenas, pools and their blocks, size classes
 * and their rings, raw blocks, and the geometry they are laid out by.
 *
 * The design is explained at the top of heap.c; heap_raw.c keeps the raw layer; heap_query.c
 * reads it for the views.
 */
#ifndef TRACER_MODEL_HEAP_H
#define TRACER_MODEL_HEAP_H

#include <allocator/map.h>
#include <tracer/model.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct mfold;

/* A block word: what the model knows of one block of a pool. */
#define BLK_ALLOC 0x80000000u /* allocated; the low bits are the requested size */
#define BLK_STACK 0x40000000u /* allocated with a stack id (kept in mpool_stacks) */
#define BLK_OBJ 0x20000000u   /* a live object lives in the block */
#define BLK_REQ_MASK 0x1fffffffu
#define MODEL_FIRST_ARENA_SLOTS 16u /* the arenas vector's first size, INITIAL_ARENA_OBJECTS in CPython */
/* free: the low 31 bits are the next free block's index + 1, 0 at the end of the list.
 * virgin: 0, and the block lies at or above nextoffset. */

/*
 * One pool: one cache line, all a block event, a pool transition or a ring walk touches.  What
 * the fold need not keep is derived when asked: the pool's index (its place in its arena's
 * records), the length of its free list, its requested bytes (the block words hold them).
 */
struct mpool {
    _Alignas(64) uint64_t addr;
    uint32_t *blk;             /* blk_cap block words, then blk_cap stack ids (mpool_stacks) */
    struct mpool *next, *prev; /* ring (USED) or cache (EMPTY, next only) */
    uint64_t seq_changed;      /* the last event that changed it */
    uint32_t count;            /* blocks allocated */
    uint32_t freehead;         /* index of the free list's head + 1, 0 when empty */
    uint32_t nextoffset;
    uint32_t blk_cap;          /* words allocated in blk */
    uint32_t slot;             /* its arena */
    uint16_t szidx;            /* MODEL_NO_CLASS before the first pool_init */
    uint8_t state;             /* enum model_pool_state */
};
_Static_assert(sizeof(struct mpool) == 64, "a pool record is one cache line");
_Static_assert(MODEL_NO_CLASS <= UINT16_MAX, "no class fits a pool record");

/* The stack id of each block of the pool (0: none), beside its word: a block's stack is looked up
 * by its index, as its word is, not by its address in a map. */
static inline uint32_t *mpool_stacks(const struct mpool *p)
{
    return p->blk + p->blk_cap;
}

/* An arena's pool records, zeroed, aligned as struct mpool wants (calloc only gives 16). */
static inline struct mpool *pools_new(size_t n)
{
    size_t bytes = (n ? n : 1) * sizeof(struct mpool);
    struct mpool *p = aligned_alloc(_Alignof(struct mpool), bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

/* Blocks on p's free list (a walk). */
uint32_t mpool_nfree(const struct mpool *p);

struct marena {
    bool live;
    uint64_t serial, base, first_pool;
    uint32_t npools, sliver, nfreepools, ncarved;
    uint32_t nused, nfull, nempty;
    int32_t usable_prev, usable_next; /* slots, -1 none */
    bool on_usable;
    uint32_t usable_pos;              /* position in usable_arenas, valid unless usable_dirty */
    struct mpool *cache;              /* empty pools, LIFO */
    struct mpool *pools;              /* npools records */
    uint64_t seq_new;
    uint64_t seq_changed; /* the last event that changed the arena itself (marena_changed) */
};

/* The last event that changed the arena or one of its pools. */
uint64_t marena_changed(const struct marena *a);

/* A size class: its geometry and its counts, in the one cache line a block event touches. */
struct mclass {
    _Alignas(64) uint64_t magic; /* ceil(2^40 / size): offset / size by a multiplication */
    uint32_t size, cap;          /* block size, blocks per pool */
    struct mpool *ring;          /* the front pool, NULL when the ring is empty */
    uint64_t in_use, requested;  /* blocks allocated and the bytes asked for them */
    uint64_t full, empty;        /* pools full, and empty pools that last held the class */
    uint32_t ring_len;
};
_Static_assert(sizeof(struct mclass) == 64, "a class record is one cache line");

/* bytes from a raw block's start within which its objects start: 2.7's PyIntBlock is 1000 */
#define MODEL_RAW_OBJECT_REACH 1024

struct mraw {
    uint64_t addr, size, seq;
    uint32_t why, stack;
    uint32_t objs; /* live objects in it: one, or the ints of a PyIntBlock (2.7) */
};

#define MODEL_POOL_CACHE 4096 /* entries; a power of two */
_Static_assert((MODEL_POOL_CACHE & (MODEL_POOL_CACHE - 1)) == 0, "a power of two");

/* Allocated blocks charged to one stack. */
struct mheap_stack_count {
    uint64_t blocks, block_bytes, requested; /* pool blocks, their sizes and the bytes asked */
    uint64_t raw_blocks, raw_bytes;
};

struct mheap {
    /* what every block event reads or counts, first */
    struct model_geometry geo;
    uint32_t pool_shift, arena_shift, align_shift;
    uint64_t pool_mask; /* pool_size - 1 */
    uint64_t block_bytes, mallocs, frees; /* blocks and requested bytes: the classes' sums */
    uint32_t map_bits; /* address bits of the radix tree, 0 without one */
    bool v1;           /* the events are of format version 1 (compat_v1.c) */

    /* arenas */
    struct marena *arenas;
    uint32_t nslots;
    uint32_t narenas;
    int32_t usable_head, usable_tail;
    bool usable_dirty; /* the usable_pos fields need recounting (a query does it) */
    struct map arena_map; /* (address >> arena_shift) + 1 -> slot + 1 | (slot + 1) << 32 */
    uint64_t arenas_total, arenas_highwater, last_serial;
    bool any_serial;
    struct model_released released[MODEL_RELEASED_KEEP];
    size_t nreleased, released_head; /* ring: released_head is the most recent */
    struct map radix_mid, radix_bot; /* radix-tree nodes ever created (never freed) */

    struct mclass classes[HEAP_STATS_MAX_CLASSES];
    /* Pools recently found, by pool address: a direct-mapped cache in front of the arena map.
     * An empty entry points to pool_none, whose address no pool has, so that a lookup is one
     * comparison; an arena's entries are emptied when it goes away. */
    struct mpool *pool_cache[MODEL_POOL_CACHE];
    struct mpool pool_none; /* never written */

    struct map raw_index;    /* raw address -> index in raws */
    struct mraw *raws;
    size_t nraws, raws_cap;
    uint64_t raw_bytes;

    /* arenascope's own blocks in a real program: those charged to the capture's stack (0: none
     * known yet), counted as they come and go so that every figure can leave them out */
    uint32_t tool_stack;
    struct mheap_stack_count tool;
};

/* The geometry of the trace's allocator profile; MODEL_EGEOMETRY when the model cannot hold it.
 * h is zeroed first: an empty heap. */
int mheap_init(struct mheap *h, const struct trace_header *hdr);
/* Back to the empty heap; the containers keep their storage. */
void mheap_clear(struct mheap *h);
void mheap_release(struct mheap *h);

/* ---- lookups --------------------------------------------------------------------------------- */

/* The pool record holding addr (by the arena map: the fold asks its pool cache first). */
struct mpool *mheap_pool_lookup(const struct mheap *h, uint64_t addr);
/* mheap_pool_lookup() through the pools recently found, leaving them as they are: for the checks
 * between events, which look up a pool at every event. */
static inline struct mpool *mheap_pool_find(const struct mheap *h, uint64_t addr)
{
    uint64_t paddr = addr & ~h->pool_mask;
    struct mpool *p = h->pool_cache[(paddr >> h->pool_shift) & (MODEL_POOL_CACHE - 1)];
    return p->addr == paddr ? p : mheap_pool_lookup(h, addr);
}
const struct marena *mheap_arena_lookup(const struct mheap *h, uint64_t addr);
/* Block index of addr in p (a pool with a class); *exact when addr is the block's start.
 * NONE when addr is in the header or past the last block. */
uint32_t mheap_block_index(const struct mheap *h, const struct mpool *p, uint64_t addr,
                           bool *exact);
struct mraw *mheap_raw_get(const struct mheap *h, uint64_t addr);

/* The memory an object lives in: a block of a pool, or a raw block. */
struct mmemory {
    uint64_t block;     /* its start */
    struct mpool *pool; /* the pool, with the block's index; or NULL */
    uint32_t index;
    struct mraw *raw;   /* or the raw block */
};
/* The allocation holding a new object at obj: its pool block, or a raw block that starts at most
 * 64 bytes before it (the GC header).  False when obj is in no live allocation. */
bool mheap_memory_of(struct mheap *h, uint64_t obj, struct mmemory *out);
bool mmemory_holds_object(const struct mmemory *mem);
void mmemory_set_object(const struct mmemory *mem);
/* The object that lived in the allocation starting at block is gone. */
void mheap_memory_release(struct mheap *h, uint64_t block);

/* ---- the fold: the events of the heap (heap.c also runs the fold's loop) --------------------- */

/* Its handlers are rows of fold.h's MFOLD_KINDS; mheap_fold_frequent() takes block_alloc,
 * block_free, pool_full and pool_unfull, which the loop folds inline. */

/* ---- reading version 1 (compat_v1.c) --------------------------------------------------------- */

/* After pool_init of a version 1 trace: its first two blocks threaded (block 0 at the head). */
void mheap_v1_pool_init(struct mheap *h, struct mpool *p);
/* The `virgin` a block_alloc of block idx of p means in a version 1 trace, whose block_alloc
 * does not say it. */
uint64_t mheap_v1_virgin(const struct mheap *h, const struct mpool *p, uint32_t idx);

/* ---- for the checkpoint loader (they keep the derived counts and links right) ---------------- */

/* Makes room for the block words of p's class and marks every block virgin. */
bool mheap_pool_prepare_blocks(struct mheap *h, struct mpool *p);
/* Enters the arena at base, in slot, into the arena map; false (with nothing entered) when out
 * of memory. */
bool mheap_arena_map_add(struct mheap *h, uint64_t base, uint32_t slot);
/* Links arena `slot` after arena `after` (-1: at the head) in usable_arenas. */
void mheap_usable_insert_after(struct mheap *h, int32_t slot, int32_t after);
bool mheap_raw_insert(struct mheap *h, const struct mraw *r);
/* Charges the allocated block (of a pool or the raw layer) at addr to `stack`; false when there
 * is none. */
bool mheap_set_stack(struct mheap *h, uint64_t addr, uint32_t stack);
/* The allocated blocks charged to `stack`, counted from scratch. */
void mheap_count_stack(const struct mheap *h, uint32_t stack, struct mheap_stack_count *out);
/* The capture's own stack becomes `stack`: its blocks are counted from scratch, then kept
 * counted by the fold (h->tool). */
void mheap_set_tool_stack(struct mheap *h, uint32_t stack);
/* The allocated blocks of the pool at `pool` charged to `stack`. */
uint32_t mheap_pool_count_stack(const struct mheap *h, uint64_t pool, uint32_t stack);

/* The ring of p's class: p becomes its front, or leaves it. */
static inline void mheap_ring_link_front(struct mheap *h, struct mpool *p)
{
    struct mclass *c = &h->classes[p->szidx];
    if (!c->ring) {
        p->next = p->prev = p;
    } else {
        p->next = c->ring;
        p->prev = c->ring->prev;
        p->prev->next = p;
        c->ring->prev = p;
    }
    c->ring = p;
    c->ring_len++;
}

static inline void mheap_ring_unlink(struct mheap *h, struct mpool *p)
{
    struct mclass *c = &h->classes[p->szidx];
    if (p->next == p) {
        c->ring = NULL;
    } else {
        p->prev->next = p->next;
        p->next->prev = p->prev;
        if (c->ring == p)
            c->ring = p->next;
    }
    p->next = p->prev = NULL;
    c->ring_len--;
}

/* The radix tree of 3.10+: how its levels split an address. */
struct mradix {
    uint32_t interior_bits; /* of the root and of a mid node's index */
    uint32_t bottom_bits;   /* of a bottom node's index */
};
struct mradix mheap_radix(const struct mheap *h);

#endif
