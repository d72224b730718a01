/*
 * heap.c - the heap of the model: arenas, pools, blocks, size classes and raw blocks, folded from
 * the allocator's events; and the fold's loop, since nearly every event is one of the heap's.
 *
 * What it holds
 * -------------
 * The same structures as CPython's obmalloc, kept up to date one event at a time, and never a
 * decision of its own: every change comes from an event, checked to be one the allocator could
 * have made (model.c).
 *
 *   arenas    a vector of slots (ARENA_VECTOR grows it); a live slot holds an arena with its
 *             base, sliver, pools, high-water mark (ncarved), cache of empty pools (LIFO) and its
 *             links in usable_arenas (a doubly linked list through slots, moved by ARENA_MOVE).
 *   pools     one record per pool of every live arena, untouched ones included, so that the
 *             arena map is drawn without lookups.  A carved pool has one 32-bit word per block:
 *
 *               bit 31 set    allocated; bits 0..28 the requested size; bit 30: a stack id is
 *                             kept in mpool_stacks; bit 29: a live object lives in the block
 *               bit 31 clear  free: bits 0..30 are the next free block's index + 1 (0 ends the
 *                             list), or virgin (0, at or above nextoffset)
 *
 *             so a pool's free list is walked in LIFO order from `freehead` exactly as CPython
 *             walks pool->freeblock, and a block's state is one load.
 *   classes   the usedpools rings: a circular doubly linked list of USED pools per class, the
 *             front being where the next allocation of that class goes.
 *   raw       blocks the C library served, by address.
 *
 * Finding things fast
 * -------------------
 * Block events carry an address only.  Its pool is address & ~(pool_size - 1); its arena is
 * found through a hash map keyed by address >> arena_bits (an arena that is not aligned to its
 * size straddles two such keys, and one key can be shared by two arenas, so each entry holds two
 * slots).  In front of that map, a direct-mapped cache of pool records keyed by the pool's
 * address bits answers nearly every lookup with one load and one comparison.  The block index is
 * (offset - overhead) / size, computed by a multiplication with a per-class reciprocal.  No event
 * allocates memory except when the heap itself grows (a new arena, a pool initialised, a new
 * object, edge or raw block when their tables are full).
 *
 * The fold's speed
 * ----------------
 * Most of a trace is block_alloc and block_free, and pool_full and pool_unfull after them (about
 * a third of the events when a pool fills and empties by one block at a time).  They decide the
 * fold's speed, so they are laid out for it:
 *   - a pool record is one cache line with all a block event or a ring change touches, and a
 *     class record one line with the block size, its reciprocal, the ring and the counts: a block
 *     event reads the event, the pool's line, the block's word and the class's line;
 *   - what the fold would only keep for the views is derived when asked (heap_query.c): a
 *     pool's index and free-list length, its requested bytes (from the block words), an arena's
 *     last change (its own or its pools'), the heap's blocks and requested bytes (the classes'
 *     sums).  The fold keeps per event only what a check or the timeline needs;
 *   - the fold's loop (model_fold_batch(), at the end of this file) folds the four frequent kinds
 *     inline, the failure paths out of line (cold), every other kind through one call to
 *     model_fold_other() (model.c); and it prefetches the block word of the event a few places
 *     ahead, since random frees find it outside the first two cache levels;
 *   - callers decode and fold MODEL_BATCH events at a time, so that the decoded events are still
 *     in the first-level cache when folded.
 * Block words hold a pool's free list, so a block costs the viewer 4 bytes and a pool 64 bytes
 * plus its words, whatever the trace's length.
 *
 * What the events say
 * -------------------
 * Every change of a pool is an event's, stated in the event: block_alloc's `virgin` says how the
 * pool's free list and virgin space change with the block (the next virgin block threaded when
 * the list runs dry, pymalloc_pool_extend; the first two blocks of a pool just initialised), and
 * a pool becoming full, used again or empty is an event of its own.  A version 1 trace left the
 * first two unsaid: compat_v1.c works them out for it, and nothing else here does.
 *
 * So the fold is plain: each event is checked against the state it finds (a block_free in a full
 * pool that already has a free block means its pool_unfull is missing) and applied.  It predicts
 * nothing: whether the events that follow complete what an operation began (the pool_full after
 * the allocation of a pool's last block) is the validator's to say, from the states they leave
 * (model_check_settled() in valid.c, which `arenascope check` runs between events).
 */
#include "fold.h"
#include "heap.h"

#include <tracer/codec.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* For the few functions on the fold's straight path: a compiler judges them by their size, cold
 * failure branches included, and would leave some out of line. */
#define FOLD_INLINE static inline __attribute__((always_inline))

/* ==== the heap's lifetime ===================================================================== */

static bool is_pow2(uint64_t x)
{
    return x && (x & (x - 1)) == 0;
}

static uint32_t log2u(uint64_t x)
{
    uint32_t n = 0;
    while (x > 1)
        x >>= 1, n++;
    return n;
}

int mheap_init(struct mheap *h, const struct trace_header *hdr)
{
    uint32_t align = hdr->alignment, thr = hdr->threshold;
    uint32_t psize = hdr->pool_size, asize = hdr->arena_size, over = hdr->pool_overhead;
    memset(h, 0, sizeof *h);
    if (!is_pow2(align) || align < 4 || align > 4096 || thr == 0 || thr % align ||
        thr / align > HEAP_STATS_MAX_CLASSES || !is_pow2(psize) || psize < 256 ||
        psize > (1u << 24) || !is_pow2(asize) || asize < 2 * (uint64_t)psize ||
        asize / psize > (1u << 20) || over >= psize ||
        (hdr->pointer_size != 4 && hdr->pointer_size != 8) ||
        (hdr->arena_map_bits && (hdr->arena_map_bits > 64 ||
                                 hdr->arena_map_bits < log2u(asize) + 3)))
        return MODEL_EGEOMETRY;
    uint32_t nclasses = thr / align;
    for (uint32_t i = 0; i < nclasses; i++)
        if ((psize - over) / ((i + 1) * align) < 2)
            return MODEL_EGEOMETRY; /* pool_init threads two blocks */
    h->pool_none = (struct mpool){.addr = 1, .szidx = MODEL_NO_CLASS};
    h->geo = (struct model_geometry){
        .alignment = align,
        .threshold = thr,
        .pool_size = psize,
        .arena_size = asize,
        .pool_overhead = over,
        .pointer_size = hdr->pointer_size,
        .nclasses = nclasses,
        .max_pools = asize / psize,
        .keep_last_free_arena = hdr->keep_last_free_arena,
        .radix_tree = hdr->arena_map_bits != 0,
        .ngenerations = hdr->ngenerations,
    };
    h->pool_shift = log2u(psize);
    h->arena_shift = log2u(asize);
    h->align_shift = log2u(align);
    h->pool_mask = psize - 1;
    h->map_bits = hdr->arena_map_bits;
    h->v1 = hdr->version == 1;
    for (uint32_t i = 0; i < nclasses; i++) {
        uint32_t size = (i + 1) * align;
        h->classes[i].size = size;
        h->classes[i].cap = (psize - over) / size;
        h->classes[i].magic = ((1ull << 40) + size - 1) / size;
    }
    map_init(&h->arena_map);
    map_init(&h->radix_mid);
    map_init(&h->radix_bot);
    map_init(&h->raw_index);
    mheap_clear(h);
    return 0;
}

static void free_arena_pools(struct marena *a)
{
    if (a->pools)
        for (uint32_t i = 0; i < a->npools; i++)
            free(a->pools[i].blk);
    free(a->pools);
    a->pools = NULL;
}

void mheap_clear(struct mheap *h)
{
    for (uint32_t s = 0; s < h->nslots; s++)
        free_arena_pools(&h->arenas[s]);
    free(h->arenas);
    h->arenas = NULL;
    h->nslots = 0;
    h->narenas = 0;
    h->usable_head = h->usable_tail = -1;
    map_clear(&h->arena_map);
    map_clear(&h->radix_mid);
    map_clear(&h->radix_bot);
    h->arenas_total = h->arenas_highwater = h->last_serial = 0;
    h->any_serial = false;
    h->nreleased = h->released_head = 0;
    for (uint32_t i = 0; i < HEAP_STATS_MAX_CLASSES; i++) {
        struct mclass *c = &h->classes[i];
        *c = (struct mclass){.magic = c->magic, .size = c->size, .cap = c->cap};
    }
    for (size_t i = 0; i < MODEL_POOL_CACHE; i++)
        h->pool_cache[i] = &h->pool_none;
    map_clear(&h->raw_index);
    h->nraws = 0;
    h->raw_bytes = 0;
    h->block_bytes = h->mallocs = h->frees = 0;
    h->tool_stack = 0;
    h->tool = (struct mheap_stack_count){0};
}

void mheap_release(struct mheap *h)
{
    mheap_clear(h);
    map_release(&h->arena_map);
    map_release(&h->radix_mid);
    map_release(&h->radix_bot);
    map_release(&h->raw_index);
    free(h->raws);
}

/* ==== lookups ================================================================================= */

static inline struct mpool *pool_in_slot(const struct mheap *h, uint32_t slot, uint64_t paddr)
{
    if (slot >= h->nslots)
        return NULL;
    struct marena *a = &h->arenas[slot];
    if (!a->live || paddr < a->first_pool)
        return NULL;
    uint64_t i = (paddr - a->first_pool) >> h->pool_shift;
    return i < a->npools ? &a->pools[i] : NULL;
}

struct mpool *mheap_pool_lookup(const struct mheap *h, uint64_t addr)
{
    uint64_t paddr = addr & ~h->pool_mask;
    const uint64_t *v = map_get(&h->arena_map, (addr >> h->arena_shift) + 1);
    if (!v)
        return NULL;
    uint32_t lo = (uint32_t)*v, hi = (uint32_t)(*v >> 32);
    struct mpool *p = lo ? pool_in_slot(h, lo - 1, paddr) : NULL;
    if (!p && hi)
        p = pool_in_slot(h, hi - 1, paddr);
    return p;
}

const struct marena *mheap_arena_lookup(const struct mheap *h, uint64_t addr)
{
    const uint64_t *v = map_get(&h->arena_map, (addr >> h->arena_shift) + 1);
    if (!v)
        return NULL;
    for (int k = 0; k < 2; k++) {
        uint32_t s = (uint32_t)(*v >> (32 * k));
        if (!s)
            continue;
        const struct marena *a = &h->arenas[s - 1];
        if (a->live && addr >= a->base && addr - a->base < h->geo.arena_size)
            return a;
    }
    return NULL;
}

FOLD_INLINE struct mpool **pool_cache_slot(struct mheap *h, uint64_t paddr)
{
    return &h->pool_cache[(paddr >> h->pool_shift) & (MODEL_POOL_CACHE - 1)];
}

/* The pool holding addr, through the cache. */
FOLD_INLINE struct mpool *pool_of(struct mheap *h, uint64_t addr)
{
    uint64_t paddr = addr & ~h->pool_mask;
    struct mpool **slot = pool_cache_slot(h, paddr);
    struct mpool *p = *slot;
    if (__builtin_expect(p->addr == paddr, 1))
        return p;
    p = mheap_pool_lookup(h, addr);
    if (p)
        *slot = p;
    return p;
}

/* For the fold's hot paths: the index of the block of class c that starts at addr in p, or NONE
 * when no block starts there.  An address below the first block makes the offset wrap to a
 * number no block index times a size can equal. */
FOLD_INLINE uint32_t block_start_index(const struct mheap *h, const struct mpool *p,
                                       const struct mclass *c, uint64_t addr)
{
    uint64_t off = addr - p->addr - h->geo.pool_overhead;
    uint32_t idx = (uint32_t)((off * c->magic) >> 40);
    return idx < c->cap && (uint64_t)idx * c->size == off ? idx : NONE;
}

/* Block index of addr in p (a pool with a class); *exact when addr is the block's start.
 * NONE when addr is in the header or past the last block. */
uint32_t mheap_block_index(const struct mheap *h, const struct mpool *p, uint64_t addr, bool *exact)
{
    *exact = false;
    if (p->szidx >= h->geo.nclasses)
        return NONE;
    uint64_t off = addr - p->addr;
    if (off < h->geo.pool_overhead)
        return NONE;
    off -= h->geo.pool_overhead;
    uint32_t size = h->classes[p->szidx].size;
    uint32_t idx = (uint32_t)((off * h->classes[p->szidx].magic) >> 40);
    if (idx >= h->classes[p->szidx].cap)
        return NONE;
    *exact = (uint64_t)idx * size == off;
    return idx;
}

uint64_t marena_changed(const struct marena *a)
{
    uint64_t seq = a->seq_changed;
    for (uint32_t i = 0; i < a->ncarved; i++)
        if (a->pools[i].seq_changed > seq)
            seq = a->pools[i].seq_changed;
    return seq;
}

uint32_t mpool_nfree(const struct mpool *p)
{
    uint32_t n = 0;
    for (uint32_t h = p->freehead; h && n <= p->blk_cap; h = p->blk[h - 1] & ~BLK_ALLOC)
        n++;
    return n;
}

/* ==== arenas ================================================================================== */

static bool arena_map_put(struct mheap *h, uint64_t key, uint32_t slot)
{
    uint64_t *v = map_get(&h->arena_map, key);
    uint64_t cur = v ? *v : 0;
    if ((uint32_t)cur == 0)
        cur |= slot + 1;
    else
        cur |= (uint64_t)(slot + 1) << 32;
    return map_put(&h->arena_map, key, cur);
}

static void arena_map_remove(struct mheap *h, uint64_t key, uint32_t slot)
{
    uint64_t *v = map_get(&h->arena_map, key);
    if (!v)
        return;
    uint64_t cur = *v;
    if ((uint32_t)cur == slot + 1)
        cur &= ~(uint64_t)UINT32_MAX;
    if ((uint32_t)(cur >> 32) == slot + 1)
        cur &= UINT32_MAX;
    if (cur == 0)
        map_del(&h->arena_map, key);
    else
        *v = cur;
}

/* The arena map's keys for an arena at base: one, or two when it straddles a boundary. */
static void arena_keys(const struct mheap *h, uint64_t base, uint64_t *k0, uint64_t *k1)
{
    *k0 = (base >> h->arena_shift) + 1;
    *k1 = ((base + h->geo.arena_size - 1) >> h->arena_shift) + 1;
}

static void arena_map_drop(struct mheap *h, uint64_t base, uint32_t slot)
{
    uint64_t k0, k1;
    arena_keys(h, base, &k0, &k1);
    arena_map_remove(h, k0, slot);
    if (k1 != k0)
        arena_map_remove(h, k1, slot);
}

bool mheap_arena_map_add(struct mheap *h, uint64_t base, uint32_t slot)
{
    uint64_t k0, k1;
    arena_keys(h, base, &k0, &k1);
    if (arena_map_put(h, k0, slot) && (k1 == k0 || arena_map_put(h, k1, slot)))
        return true;
    arena_map_drop(h, base, slot);
    return false;
}

/* The radix tree of 3.10+ marks the ideal arena slots an arena covers (its base's and, for a base
 * off an arena-size boundary, base + arena_size's); its mid and bottom nodes are created on first
 * use and never freed (docs/cpython-memory.md 2.8).  Addresses above the tree's width are not marked. */
static bool radix_mark(struct mheap *h, uint64_t base)
{
    uint32_t bits = h->map_bits, abits = h->arena_shift;
    struct mradix rx = mheap_radix(h);
    uint32_t interior = rx.interior_bits, bot = rx.bottom_bits;
    uint64_t keys[2] = {base, base + h->geo.arena_size};
    int n = (base & (h->geo.arena_size - 1)) ? 2 : 1;
    for (int i = 0; i < n; i++) {
        if (bits < 64 && keys[i] >> bits)
            continue;
        uint64_t midkey = keys[i] >> (abits + bot + interior);
        uint64_t botkey = keys[i] >> (abits + bot);
        if (!map_put(&h->radix_mid, midkey + 1, 1) || !map_put(&h->radix_bot, botkey + 1, 1))
            return false;
    }
    return true;
}

int mheap_fold_arena_vector(struct mheap *h, struct mfold *f, const struct event *ev)
{
    /* CPython grows it 16, 32, 64... and only when every slot holds an arena: so a vector of
     * n slots took n / 2 arenas' events first, and its memory is the trace's own */
    uint64_t slots = ev->u.arena_vector.slots;
    uint64_t next = h->nslots ? 2 * (uint64_t)h->nslots : MODEL_FIRST_ARENA_SLOTS;
    if (slots != next || next > (1u << 24))
        return mfold_reject(f, ev, "the arenas vector cannot go from %" PRIu32 " to %" PRIu64
                                   " slots",
                            h->nslots, slots);
    if (h->narenas != h->nslots)
        return mfold_reject(f, ev, "the arenas vector grows with %" PRIu32 " of its %" PRIu32
                                   " slots free",
                            h->nslots - h->narenas, h->nslots);
    struct marena *a = realloc(h->arenas, (size_t)slots * sizeof *a);
    if (!a && slots)
        return mfold_oom(f);
    for (uint64_t s = h->nslots; s < slots; s++)
        a[s] = (struct marena){.usable_prev = -1, .usable_next = -1};
    h->arenas = a;
    h->nslots = (uint32_t)slots;
    return 0;
}

int mheap_fold_arena_new(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_arena_new *e = &ev->u.arena_new;
    if (e->slot >= h->nslots)
        return mfold_reject(f, ev, "slot %" PRIu64 " is past the arenas vector (%" PRIu32 " slots)",
                            e->slot, h->nslots);
    struct marena *a = &h->arenas[e->slot];
    if (a->live)
        return mfold_reject(f, ev, "slot %" PRIu64 " already holds an arena", e->slot);
    uint64_t asize = h->geo.arena_size, psize = h->geo.pool_size;
    if (e->base == 0 || e->base > UINT64_MAX - 2 * asize || (e->base & (h->geo.alignment - 1)))
        return mfold_reject(f, ev, "base 0x%" PRIx64 " is not a possible arena address", e->base);
    uint64_t excess = e->base & h->pool_mask;
    uint64_t sliver = excess ? psize - excess : 0;
    uint64_t npools = h->geo.max_pools - (excess ? 1 : 0);
    if (e->sliver != sliver || e->npools != npools)
        return mfold_reject(f, ev,
                            "an arena at 0x%" PRIx64 " has %" PRIu64 " pools and a sliver"
                            " of %" PRIu64 " bytes, not %" PRIu64 " and %" PRIu64,
                            e->base, npools, sliver, e->npools, e->sliver);
    if (h->any_serial && e->serial <= h->last_serial)
        return mfold_reject(f, ev, "serial %" PRIu64 " after serial %" PRIu64, e->serial,
                            h->last_serial);
    if (mheap_arena_lookup(h, e->base) || mheap_arena_lookup(h, e->base + asize - 1))
        return mfold_reject(f, ev, "0x%" PRIx64 " overlaps a live arena", e->base);
    for (size_t i = 0; i < h->nraws; i++) /* arenas are rare: a walk is fine */
        if (h->raws[i].addr - e->base < asize)
            return mfold_reject(f, ev, "raw block 0x%" PRIx64 " lies in it", h->raws[i].addr);
    struct mpool *pools = pools_new(npools);
    if (!pools)
        return mfold_oom(f);
    uint32_t slot = (uint32_t)e->slot;
    uint64_t first = e->base + sliver;
    for (uint32_t i = 0; i < npools; i++)
        pools[i] = (struct mpool){.addr = first + (uint64_t)i * psize,
                                  .szidx = MODEL_NO_CLASS,
                                  .slot = slot,
                                  .state = MODEL_POOL_UNTOUCHED};
    if (!mheap_arena_map_add(h, e->base, slot) ||
        (h->geo.radix_tree && !radix_mark(h, e->base))) {
        arena_map_drop(h, e->base, slot);
        free(pools);
        return mfold_oom(f);
    }
    *a = (struct marena){
        .live = true,
        .serial = e->serial,
        .base = e->base,
        .first_pool = first,
        .npools = (uint32_t)npools,
        .sliver = (uint32_t)sliver,
        .nfreepools = (uint32_t)npools,
        .usable_prev = -1,
        .usable_next = -1,
        .pools = pools,
        .seq_new = f->pos,
        .seq_changed = f->pos,
    };
    h->narenas++;
    h->arenas_total++;
    if (h->narenas > h->arenas_highwater)
        h->arenas_highwater = h->narenas;
    h->last_serial = e->serial;
    h->any_serial = true;
    return 0;
}

static void usable_unlink(struct mheap *h, struct marena *a)
{
    if (!a->on_usable)
        return;
    if (a->usable_prev >= 0)
        h->arenas[a->usable_prev].usable_next = a->usable_next;
    else
        h->usable_head = a->usable_next;
    if (a->usable_next >= 0)
        h->arenas[a->usable_next].usable_prev = a->usable_prev;
    else
        h->usable_tail = a->usable_prev;
    a->usable_prev = a->usable_next = -1;
    a->on_usable = false;
    h->usable_dirty = true;
}

/* Links arena `slot` after arena `after` (-1: at the head). */
void mheap_usable_insert_after(struct mheap *h, int32_t slot, int32_t after)
{
    struct marena *a = &h->arenas[slot];
    a->usable_prev = after;
    a->usable_next = after >= 0 ? h->arenas[after].usable_next : h->usable_head;
    if (after >= 0)
        h->arenas[after].usable_next = slot;
    else
        h->usable_head = slot;
    if (a->usable_next >= 0)
        h->arenas[a->usable_next].usable_prev = slot;
    else
        h->usable_tail = slot;
    a->on_usable = true;
    h->usable_dirty = true;
}

int mheap_fold_arena_move(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_arena_move *e = &ev->u.arena_move;
    if (e->slot >= h->nslots || !h->arenas[e->slot].live)
        return mfold_reject(f, ev, "no arena in slot %" PRIu64, e->slot);
    int64_t after = e->after;
    if (after < -1 || after > (int64_t)h->nslots)
        return mfold_reject(f, ev, "no slot %" PRId64 " to move after", after - 1);
    if (after > 0) {
        uint64_t t = (uint64_t)after - 1;
        if (t == e->slot || !h->arenas[t].live || !h->arenas[t].on_usable)
            return mfold_reject(f, ev, "slot %" PRIu64 " is not on usable_arenas", t);
    }
    struct marena *a = &h->arenas[e->slot];
    usable_unlink(h, a);
    if (after >= 0)
        mheap_usable_insert_after(h, (int32_t)e->slot, (int32_t)after - 1);
    a->seq_changed = f->pos;
    return 0;
}

int mheap_fold_arena_free(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_arena_free *e = &ev->u.arena_free;
    if (e->slot >= h->nslots || !h->arenas[e->slot].live)
        return mfold_reject(f, ev, "no arena in slot %" PRIu64, e->slot);
    struct marena *a = &h->arenas[e->slot];
    if (a->base != e->base)
        return mfold_reject(f, ev, "slot %" PRIu64 " holds the arena at 0x%" PRIx64
                                   ", not 0x%" PRIx64,
                            e->slot, a->base, e->base);
    if (a->on_usable)
        return mfold_reject(f, ev, "the arena in slot %" PRIu64 " is still on usable_arenas",
                            e->slot);
    if (a->nfreepools != a->npools)
        return mfold_reject(f, ev, "the arena in slot %" PRIu64 " still has %" PRIu32
                                   " pools in use",
                            e->slot, a->npools - a->nfreepools);
    for (struct mpool *p = a->cache; p; p = p->next)
        if (p->szidx < h->geo.nclasses)
            h->classes[p->szidx].empty--;
    uint32_t slot = (uint32_t)e->slot;
    arena_map_drop(h, a->base, slot);
    size_t i = (h->released_head + MODEL_RELEASED_KEEP - 1) % MODEL_RELEASED_KEEP;
    h->released[i] = (struct model_released){
        .slot = slot,
        .serial = a->serial,
        .base = a->base,
        .npools = a->npools,
        .sliver = a->sliver,
        .seq_new = a->seq_new,
        .seq_freed = f->pos,
    };
    h->released_head = i;
    if (h->nreleased < MODEL_RELEASED_KEEP)
        h->nreleased++;
    for (struct mpool *p = a->pools; p < a->pools + a->npools; p++) {
        struct mpool **c = pool_cache_slot(h, p->addr);
        if (*c == p)
            *c = &h->pool_none;
    }
    free_arena_pools(a);
    *a = (struct marena){.usable_prev = -1, .usable_next = -1};
    h->narenas--;
    return 0;
}

/* ==== pools =================================================================================== */

/* Makes room for the block words of p's class and marks every block virgin. */
bool mheap_pool_prepare_blocks(struct mheap *h, struct mpool *p)
{
    uint32_t cap = h->classes[p->szidx].cap;
    if (p->blk_cap < cap) {
        uint32_t *b = realloc(p->blk, 2 * (size_t)cap * sizeof *b);
        if (!b)
            return false;
        p->blk = b;
        p->blk_cap = cap;
    }
    memset(p->blk, 0, 2 * (size_t)p->blk_cap * sizeof *p->blk); /* the words and the stacks */
    return true;
}

FOLD_INLINE struct mpool *pool_event_target(struct mheap *h, struct mfold *f,
                                            const struct event *ev, uint64_t addr)
{
    if (addr & h->pool_mask) {
        mfold_reject(f, ev, "0x%" PRIx64 " is not a pool address", addr);
        return NULL;
    }
    struct mpool *p = pool_of(h, addr);
    if (!p)
        mfold_reject(f, ev, "0x%" PRIx64 " is not a pool of a live arena", addr);
    return p;
}

/* A pool is taken from the head of usable_arenas; when that took its last free pool the arena
 * may already have left the list (ARENA_MOVE before or after the pool event). */
static bool arena_can_give_pool(const struct mheap *h, uint32_t slot)
{
    const struct marena *a = &h->arenas[slot];
    if (a->nfreepools == 0)
        return false;
    if (a->on_usable)
        return h->usable_head == (int32_t)slot;
    return a->nfreepools == 1;
}

int mheap_fold_pool_carve(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_pool_carve *e = &ev->u.pool_carve;
    struct mpool *p = pool_event_target(h, f, ev, e->pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    struct marena *a = &h->arenas[p->slot];
    if (p->slot != e->slot)
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " is in slot %" PRIu32 ", not %" PRIu64,
                            e->pool, p->slot, e->slot);
    if (p != &a->pools[a->ncarved])
        return mfold_reject(f, ev, "pool 0x%" PRIx64
                                   " is not at the arena's high-water mark 0x%" PRIx64,
                            e->pool, a->first_pool + ((uint64_t)a->ncarved << h->pool_shift));
    if (a->cache)
        return mfold_reject(f, ev, "the arena has an empty pool to reuse at 0x%" PRIx64,
                            a->cache->addr);
    if (!arena_can_give_pool(h, p->slot))
        return mfold_reject(f, ev, "the arena in slot %" PRIu32 " is not the head of usable_arenas",
                            p->slot);
    p->state = MODEL_POOL_CARVED;
    p->szidx = MODEL_NO_CLASS;
    p->seq_changed = f->pos;
    a->ncarved++;
    a->nfreepools--;
    return 0;
}

int mheap_fold_pool_uncache(struct mheap *h, struct mfold *f, const struct event *ev)
{
    struct mpool *p = pool_event_target(h, f, ev, ev->u.pool_uncache.pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    struct marena *a = &h->arenas[p->slot];
    if (p->state != MODEL_POOL_EMPTY || a->cache != p)
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " is not the head of its arena's cache",
                            p->addr);
    if (!arena_can_give_pool(h, p->slot))
        return mfold_reject(f, ev, "the arena in slot %" PRIu32 " is not the head of usable_arenas",
                            p->slot);
    a->cache = p->next;
    p->next = NULL;
    a->nempty--;
    a->nfreepools--;
    h->classes[p->szidx].empty--;
    p->state = MODEL_POOL_CARVED;
    p->seq_changed = f->pos;
    return 0;
}

FOLD_INLINE void pool_become_used(struct mheap *h, struct mpool *p)
{
    mheap_ring_link_front(h, p);
    p->state = MODEL_POOL_USED;
    h->arenas[p->slot].nused++;
}

int mheap_fold_pool_init(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_pool_init *e = &ev->u.pool_init;
    struct mpool *p = pool_event_target(h, f, ev, e->pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    if (p->state != MODEL_POOL_CARVED)
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " is %s, not newly carved or uncached",
                            p->addr, model_pool_state_name(p->state));
    if (e->szidx >= h->geo.nclasses)
        return mfold_reject(f, ev, "no size class %" PRIu64, e->szidx);
    if (h->classes[e->szidx].ring)
        return mfold_reject(f, ev, "class %" PRIu64 " still has a used pool at 0x%" PRIx64,
                            e->szidx, h->classes[e->szidx].ring->addr);
    uint16_t old = p->szidx;
    p->szidx = (uint16_t)e->szidx;
    if (!mheap_pool_prepare_blocks(h, p)) {
        p->szidx = old;
        return mfold_oom(f);
    }
    p->count = 0;
    p->freehead = 0; /* every block virgin: the allocation that follows takes the first */
    p->nextoffset = h->geo.pool_overhead;
    pool_become_used(h, p);
    p->seq_changed = f->pos;
    if (h->v1)
        mheap_v1_pool_init(h, p);
    return 0;
}

/* Pool transitions, each checked against the state the block events left: a pool_full or
 * pool_unfull that comes from nowhere stops the fold. */
FOLD_INLINE int fold_pool_full(struct mheap *h, struct mfold *f, const struct event *ev)
{
    struct mpool *p = pool_event_target(h, f, ev, ev->u.pool_full.pool);
    if (__builtin_expect(!p, 0))
        return MODEL_EINCONSISTENT;
    if (__builtin_expect(p->state != MODEL_POOL_USED || p->freehead ||
                             p->nextoffset <= h->geo.pool_size - h->classes[p->szidx].size,
                         0))
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " still has a block available", p->addr);
    mheap_ring_unlink(h, p);
    p->state = MODEL_POOL_FULL;
    struct marena *a = &h->arenas[p->slot];
    a->nused--;
    a->nfull++;
    h->classes[p->szidx].full++;
    p->seq_changed = f->pos;
    return 0;
}

FOLD_INLINE int fold_pool_unfull(struct mheap *h, struct mfold *f, const struct event *ev)
{
    struct mpool *p = pool_event_target(h, f, ev, ev->u.pool_unfull.pool);
    if (__builtin_expect(!p, 0))
        return MODEL_EINCONSISTENT;
    if (__builtin_expect(p->state != MODEL_POOL_FULL || !p->freehead, 0))
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " is %s, not a full pool with a freed block",
                            p->addr, model_pool_state_name(p->state));
    h->classes[p->szidx].full--;
    h->arenas[p->slot].nfull--;
    pool_become_used(h, p);
    p->seq_changed = f->pos;
    return 0;
}

int mheap_fold_pool_empty(struct mheap *h, struct mfold *f, const struct event *ev)
{
    struct mpool *p = pool_event_target(h, f, ev, ev->u.pool_empty.pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    if (p->state != MODEL_POOL_USED || p->count != 0)
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " is %s with %" PRIu32 " blocks allocated",
                            p->addr, model_pool_state_name(p->state), p->count);
    mheap_ring_unlink(h, p);
    struct marena *a = &h->arenas[p->slot];
    p->next = a->cache;
    a->cache = p;
    p->state = MODEL_POOL_EMPTY;
    a->nused--;
    a->nempty++;
    a->nfreepools++;
    h->classes[p->szidx].empty++;
    p->seq_changed = f->pos;
    return 0;
}

/* ==== blocks ================================================================================== */

/* The two events that make most of a trace.  Each touches the event, the pool's record, the
 * block's word and the class's record, and checks the event against them before changing
 * anything; what is rare (a stack id, a reused pool, a block from virgin space, a failure) is off
 * the straight path. */

/* One of arenascope's own pool blocks (of `size` bytes, `req` asked for) comes (+1) or goes (-1). */
static inline void tool_count(struct mheap *h, uint64_t size, uint64_t req, int sign)
{
    h->tool.blocks += (uint64_t)(int64_t)sign;
    h->tool.block_bytes += (uint64_t)((int64_t)sign * (int64_t)size);
    h->tool.requested += (uint64_t)((int64_t)sign * (int64_t)req);
}

/* The block at idx is handed out: from the head of the free list, or (from_virgin) the first
 * virgin block.  The event was checked; only the stack's entry can still fail. */
FOLD_INLINE int take_block(struct mheap *h, struct mfold *f, struct mpool *p, struct mclass *c,
                           uint32_t idx, const struct event_block_alloc *e, bool from_virgin)
{
    uint32_t word = BLK_ALLOC | (uint32_t)e->size;
    if (__builtin_expect(e->stack != 0, 0)) {
        mpool_stacks(p)[idx] = (uint32_t)e->stack; /* checked against UINT32_MAX */
        word |= BLK_STACK;
        if (e->stack == h->tool_stack)
            tool_count(h, c->size, e->size, 1);
    }
    if (__builtin_expect(p->state == MODEL_POOL_CARVED, 0))
        pool_become_used(h, p);
    if (from_virgin)
        p->nextoffset += c->size;
    else
        p->freehead = p->blk[idx];
    p->blk[idx] = word;
    p->count++;
    p->seq_changed = f->pos;
    c->in_use++;
    c->requested += e->size;
    h->block_bytes += c->size;
    h->mallocs++;
    return 0;
}

/* The next virgin block of p becomes its free list (the list is empty). */
FOLD_INLINE void thread_virgin(const struct mheap *h, struct mpool *p, const struct mclass *c)
{
    uint32_t v = (p->nextoffset - h->geo.pool_overhead) / c->size;
    p->blk[v] = 0;
    p->freehead = v + 1;
    p->nextoffset += c->size;
}

/* A block_alloc off the straight path: one that moves the pool's virgin space (`virgin` 1 or 2),
 * takes the last block of the free list, or is wrong. */
static int fold_block_alloc_slow(struct mheap *h, struct mfold *f, const struct event *ev,
                                 struct mpool *p, struct mclass *c, uint32_t idx)
{
    const struct event_block_alloc *e = &ev->u.block_alloc;
    uint64_t virgin = h->v1 ? mheap_v1_virgin(h, p, idx) : e->virgin;
    bool virgin_left = p->nextoffset <= h->geo.pool_size - c->size;
    int rc;
    if (e->stack > UINT32_MAX)
        return mfold_reject(f, ev, "stack id %" PRIu64 " is too large", e->stack);
    if (virgin == 2) {
        /* a pool just initialised: its first block, and the second threaded */
        if (p->count != 0 || p->freehead || p->nextoffset != h->geo.pool_overhead || idx != 0)
            return mfold_reject(f, ev, "0x%" PRIx64 " is not the first block of pool 0x%" PRIx64
                                       " just initialised",
                                e->addr, p->addr);
        if ((rc = take_block(h, f, p, c, idx, e, true)) < 0)
            return rc;
        thread_virgin(h, p, c);
        return 0;
    }
    if (!p->freehead && p->count == c->cap)
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " gave out its last block: it is full (its "
                                   "pool_full is missing)",
                            p->addr);
    if (p->count == 0 && p->freehead && p->state == MODEL_POOL_USED && !h->v1)
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " lost its last allocated block: it is empty "
                                   "(its pool_empty is missing)",
                            p->addr);
    if (idx + 1 != p->freehead || idx == NONE)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not the head of pool 0x%" PRIx64
                                   "'s free list",
                            e->addr, p->addr);
    bool last = p->blk[idx] == 0;
    if (virgin > 1 || (virgin == 1 && (!last || !virgin_left)))
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " cannot thread %" PRIu64
                                   " virgin blocks when 0x%" PRIx64 " is taken",
                            p->addr, virgin, e->addr);
    if (virgin == 0 && last && virgin_left)
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " has virgin blocks left, yet none is "
                                   "threaded when its last free block is taken",
                            p->addr);
    if ((rc = take_block(h, f, p, c, idx, e, false)) < 0)
        return rc;
    if (virgin)
        thread_virgin(h, p, c);
    return 0;
}

FOLD_INLINE int fold_block_alloc(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_block_alloc *e = &ev->u.block_alloc;
    struct mpool *p = pool_of(h, e->addr);
    if (__builtin_expect(!p || p->szidx >= h->geo.nclasses, 0))
        return mfold_reject(f, ev, "0x%" PRIx64 " is not in a pool with a size class", e->addr);
    struct mclass *c = &h->classes[p->szidx];
    /* An uncached pool of the same class is reused without pool_init: the allocation names
     * its class, and it becomes the only member of the ring. */
    bool reuse = p->state == MODEL_POOL_CARVED;
    if (__builtin_expect(reuse ? c->ring != NULL : p->state != MODEL_POOL_USED || c->ring != p, 0))
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " is not the front of class %" PRIu32
                                   "'s ring",
                            p->addr, p->szidx);
    /* a class index below nclasses bounds the size by the threshold */
    if (__builtin_expect(e->size == 0 || ((e->size - 1) >> h->align_shift) != p->szidx, 0))
        return mfold_reject(f, ev, "a request of %" PRIu64 " bytes is not for class %" PRIu32,
                            e->size, p->szidx);
    uint32_t idx = block_start_index(h, p, c, e->addr);
    /* the straight path: the head of the free list, which goes on after it */
    if (__builtin_expect(e->virgin != 0 || idx + 1 != p->freehead || idx == NONE ||
                             p->blk[idx] == 0 || p->count == 0 || e->stack > UINT32_MAX,
                         0))
        return fold_block_alloc_slow(h, f, ev, p, c, idx);
    return take_block(h, f, p, c, idx, e, false);
}

FOLD_INLINE int fold_block_free(struct mheap *h, struct mfold *f, const struct event *ev)
{
    uint64_t addr = ev->u.block_free.addr;
    struct mpool *p = pool_of(h, addr);
    /* USED and FULL are the two states with blocks allocated, and neighbours */
    if (__builtin_expect(!p || (unsigned)(p->state - MODEL_POOL_USED) > 1, 0))
        return mfold_reject(f, ev, "0x%" PRIx64 " is not in a pool with allocated blocks", addr);
    /* a used pool has a block to give, a full one none: else its transition is missing */
    if (__builtin_expect((p->state == MODEL_POOL_FULL) == (p->freehead != 0), 0))
        return mfold_reject(f, ev, "pool 0x%" PRIx64 " %s", p->addr,
                            p->freehead ? "is full, yet has a free block (its pool_unfull is missing)"
                                        : "gave out its last block: it is full (its pool_full is "
                                          "missing)");
    struct mclass *c = &h->classes[p->szidx];
    uint32_t idx = block_start_index(h, p, c, addr);
    uint32_t w = idx != NONE ? p->blk[idx] : 0;
    if (__builtin_expect(!(w & BLK_ALLOC), 0))
        return mfold_reject(f, ev, "0x%" PRIx64 " is not an allocated block", addr);
    if (__builtin_expect(w & (BLK_OBJ | BLK_STACK), 0)) {
        if (w & BLK_OBJ)
            return mfold_reject(f, ev, "block 0x%" PRIx64 " still holds a live object", addr);
        if (h->tool_stack && mpool_stacks(p)[idx] == h->tool_stack)
            tool_count(h, c->size, w & BLK_REQ_MASK, -1);
        mpool_stacks(p)[idx] = 0;
    }
    uint32_t req = w & BLK_REQ_MASK;
    p->blk[idx] = p->freehead;
    p->freehead = idx + 1;
    p->count--;
    p->seq_changed = f->pos;
    c->in_use--;
    c->requested -= req;
    h->block_bytes -= c->size;
    h->frees++;
    return 0;
}

/* ==== blocks by stack ========================================================================== */

bool mheap_set_stack(struct mheap *h, uint64_t addr, uint32_t stack)
{
    struct mpool *p = mheap_pool_lookup(h, addr);
    if (p && (p->state == MODEL_POOL_USED || p->state == MODEL_POOL_FULL)) {
        const struct mclass *c = &h->classes[p->szidx];
        uint32_t idx = block_start_index(h, p, c, addr);
        if (idx == NONE || !(p->blk[idx] & BLK_ALLOC))
            return false;
        uint32_t was = p->blk[idx] & BLK_STACK ? mpool_stacks(p)[idx] : 0;
        if (h->tool_stack && (was == h->tool_stack) != (stack == h->tool_stack))
            tool_count(h, c->size, p->blk[idx] & BLK_REQ_MASK, stack == h->tool_stack ? 1 : -1);
        mpool_stacks(p)[idx] = stack;
        p->blk[idx] |= BLK_STACK;
        return true;
    }
    struct mraw *r = mheap_raw_get(h, addr);
    if (!r)
        return false;
    if (h->tool_stack && (r->stack == h->tool_stack) != (stack == h->tool_stack)) {
        int sign = stack == h->tool_stack ? 1 : -1;
        h->tool.raw_blocks += (uint64_t)(int64_t)sign;
        h->tool.raw_bytes += (uint64_t)((int64_t)sign * (int64_t)r->size);
    }
    r->stack = stack;
    return true;
}

void mheap_set_tool_stack(struct mheap *h, uint32_t stack)
{
    h->tool_stack = stack;
    mheap_count_stack(h, stack, &h->tool);
}

void mheap_count_stack(const struct mheap *h, uint32_t stack, struct mheap_stack_count *out)
{
    *out = (struct mheap_stack_count){0};
    if (!stack)
        return;
    for (uint32_t s = 0; s < h->nslots; s++) {
        const struct marena *a = &h->arenas[s];
        if (!a->live)
            continue;
        for (uint32_t i = 0; i < a->ncarved; i++) {
            const struct mpool *p = &a->pools[i];
            if (!p->count || !p->blk || p->szidx >= h->geo.nclasses)
                continue;
            const struct mclass *c = &h->classes[p->szidx];
            for (uint32_t k = 0; k < p->blk_cap; k++)
                if ((p->blk[k] & (BLK_ALLOC | BLK_STACK)) == (BLK_ALLOC | BLK_STACK) && mpool_stacks(p)[k] == stack) {
                    out->blocks++;
                    out->block_bytes += c->size;
                    out->requested += p->blk[k] & BLK_REQ_MASK;
                }
        }
    }
    for (size_t i = 0; i < h->nraws; i++)
        if (h->raws[i].stack == stack) {
            out->raw_blocks++;
            out->raw_bytes += h->raws[i].size;
        }
}

uint32_t mheap_pool_count_stack(const struct mheap *h, uint64_t pool, uint32_t stack)
{
    const struct mpool *p = stack ? mheap_pool_lookup(h, pool) : NULL;
    uint32_t n = 0;
    if (!p || !p->count || !p->blk)
        return 0;
    for (uint32_t k = 0; k < p->blk_cap; k++)
        n += (p->blk[k] & (BLK_ALLOC | BLK_STACK)) == (BLK_ALLOC | BLK_STACK) && mpool_stacks(p)[k] == stack;
    return n;
}

/* ==== the memory of objects (for the object graph) ============================================ */

bool mheap_memory_of(struct mheap *h, uint64_t obj, struct mmemory *out)
{
    *out = (struct mmemory){0};
    struct mpool *p = pool_of(h, obj);
    if (p) {
        if (p->state != MODEL_POOL_USED && p->state != MODEL_POOL_FULL)
            return false;
        bool exact;
        uint32_t i = mheap_block_index(h, p, obj, &exact);
        if (i == NONE || !(p->blk[i] & BLK_ALLOC))
            return false;
        out->pool = p;
        out->index = i;
        out->block = p->addr + h->geo.pool_overhead + (uint64_t)i * h->classes[p->szidx].size;
        return true;
    }
    /* a raw block holds one object at its start (after a GC head and pre-header), or 2.7's
     * ints at every 24 bytes of a 1000-byte PyIntBlock: the block starting nearest below */
    for (uint64_t back = 0; back < MODEL_RAW_OBJECT_REACH && back <= obj; back += 8) {
        struct mraw *r = mheap_raw_get(h, obj - back);
        if (r) {
            if (r->size <= back)
                return false;
            out->raw = r;
            out->block = r->addr;
            return true;
        }
    }
    return false;
}

bool mmemory_holds_object(const struct mmemory *mem)
{
    /* a pool block holds one object; a raw block may hold several (2.7's PyIntBlock), which
     * the graph keeps apart by their addresses */
    return mem->pool ? (mem->pool->blk[mem->index] & BLK_OBJ) != 0 : false;
}

void mmemory_set_object(const struct mmemory *mem)
{
    if (mem->pool)
        mem->pool->blk[mem->index] |= BLK_OBJ;
    if (mem->raw)
        mem->raw->objs++;
}

void mheap_memory_release(struct mheap *h, uint64_t block)
{
    struct mpool *p = pool_of(h, block);
    if (p) {
        bool exact;
        uint32_t bi = mheap_block_index(h, p, block, &exact);
        if (bi != NONE)
            p->blk[bi] &= ~BLK_OBJ;
    } else {
        struct mraw *r = mheap_raw_get(h, block);
        if (r && r->objs)
            r->objs--;
    }
}

struct mradix mheap_radix(const struct mheap *h)
{
    uint32_t interior = (h->map_bits - h->arena_shift + 2) / 3;
    return (struct mradix){.interior_bits = interior,
                           .bottom_bits = h->map_bits - h->arena_shift - 2 * interior};
}

/* ==== the fold's loop ========================================================================= */

int mheap_fold_frequent(struct mheap *h, struct mfold *f, const struct event *ev)
{
    if (ev->kind == EV_BLOCK_ALLOC)
        return fold_block_alloc(h, f, ev);
    if (ev->kind == EV_BLOCK_FREE)
        return fold_block_free(h, f, ev);
    if (ev->kind == EV_POOL_FULL)
        return fold_pool_full(h, f, ev);
    return fold_pool_unfull(h, f, ev);
}

/* One event: the body of model_fold and model_fold_batch. */
FOLD_INLINE int fold_one(struct model *m, struct mheap *h, struct mfold *f, const struct event *ev)
{
    int rc;
    if (ev->kind == EV_BLOCK_ALLOC)
        rc = fold_block_alloc(h, f, ev);
    else if (ev->kind == EV_BLOCK_FREE)
        rc = fold_block_free(h, f, ev);
    else if (ev->kind == EV_POOL_FULL)
        rc = fold_pool_full(h, f, ev);
    else if (ev->kind == EV_POOL_UNFULL)
        rc = fold_pool_unfull(h, f, ev);
    else
        rc = model_fold_other(m, ev);
    if (__builtin_expect(rc < 0, 0))
        return rc;
    f->pos++;
    return 0;
}

int model_fold(struct model *m, const struct event *ev)
{
    const struct model_parts *parts = model_parts(m);
    if (parts->fold->stopped)
        return MODEL_ESTOPPED;
    return fold_one(m, parts->heap, parts->fold, ev);
}

/* The fold waits on memory: a block's word is rarely in cache when a trace frees blocks at
 * random.  A batch knows the events to come, so it asks for the word PREFETCH_AHEAD events
 * early; finding it reads the pool's record, which so comes early too.  Nothing here may fault or
 * be undefined for an event that is not a block event or turns out inconsistent: the pool is one
 * the cache holds (pool_none at worst), the class index is masked into the table and the word's
 * address is computed as an integer.
 * Four events ahead is about the latency of the last-level cache at the fold's pace; further
 * ahead measured no better.  The helper is always inlined: a prefetch has no effect the compiler
 * can see, and GCC judges an out-of-line helper free of side effects and deletes its calls. */
#define PREFETCH_AHEAD 4
_Static_assert(EV_BLOCK_FREE == EV_BLOCK_ALLOC + 1, "block events are neighbours");
_Static_assert(MODEL_POOL_FULL == MODEL_POOL_USED + 1, "the states with blocks are neighbours");
_Static_assert(PREFETCH_AHEAD < MODEL_BATCH, "a batch holds the events prefetched for");

FOLD_INLINE void prefetch_block(const struct mheap *h, const struct event *ev)
{
    if ((unsigned)(ev->kind - EV_BLOCK_ALLOC) > 1)
        return;
    uint64_t addr = ev->u.f[0], paddr = addr & ~h->pool_mask;
    const struct mpool *p = h->pool_cache[(paddr >> h->pool_shift) & (MODEL_POOL_CACHE - 1)];
    if (p->addr != paddr)
        return;
    uint64_t off = addr - paddr - h->geo.pool_overhead;
    uint64_t idx = (off * h->classes[p->szidx & (HEAP_STATS_MAX_CLASSES - 1)].magic) >> 40;
    __builtin_prefetch((const void *)((uintptr_t)p->blk + idx * sizeof *p->blk), 1);
}

size_t model_fold_batch(struct model *m, const struct event *evs, size_t n)
{
    const struct model_parts *parts = model_parts(m);
    struct mheap *h = parts->heap;
    struct mfold *f = parts->fold;
    if (f->stopped)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            prefetch_block(h, &evs[i + PREFETCH_AHEAD]);
        if (fold_one(m, h, f, &evs[i]) < 0)
            return i;
    }
    return n;
}
