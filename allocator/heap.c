/*
 * heap.c - CPython's small-object allocator (Objects/obmalloc.c, 3.9+ logic), instrumented.
 *
 * Layers
 * ------
 *     heap_malloc / heap_calloc / heap_realloc / heap_free      PyObject_Malloc, ...
 *        |  0 bytes, more than the threshold, or no arena to be had
 *        |--------------------------------------------------> the raw layer: libc malloc
 *        |                                                     (malloc(0) is malloc(1))
 *        v
 *     size classes: (n - 1) >> log2(alignment), one ring of used pools per class
 *        v
 *     pools (pool_size bytes: a 48-byte header, then blocks of one class)
 *        v
 *     arenas (arena_size bytes from the arena source: mmap, aligned, failing)
 *
 * Allocation (docs/cpython-memory.md 3.2, 3.3)
 * --------------------------------------------
 * The front pool of the class's ring gives the head of its free list.  When the list runs dry
 * the pool's virgin space is bumped one block at a time (the block is threaded as a one-element
 * list); when there is none left the pool is full and leaves the ring.  An empty ring takes a
 * pool from the head of usable_arenas, the arena with the fewest free pools: its most recently
 * emptied pool (freepools, LIFO) or else a new pool carved at its high-water mark.  A pool that
 * last held the same class is reused as it is; otherwise its header is initialised with the
 * first block handed out and the second threaded.
 *
 *   pool states:  (carved) -> used <-> full
 *                              used  -> empty (freepools) -> used (any class)
 *
 * Free (docs/cpython-memory.md 3.5)
 * ---------------------------------
 * The block is pushed on its pool's free list.  A full pool goes to the FRONT of its ring, an
 * emptied pool leaves the ring for the front of its arena's freepools.  Then the arena moves in
 * usable_arenas, which stays sorted by nfreepools with O(1) upkeep: nfp2lasta[n] points at the
 * rightmost arena with n free pools, and an arena that gained one is re-inserted right after the
 * rightmost arena of its old count.  A wholly free arena goes back to the source, except, in
 * profiles with keep_last_free_arena (3.9+), while it is the tail of usable_arenas.
 *
 * Realloc (docs/cpython-memory.md 3.6): in place when the new size is at most the block's and more
 * than 3/4 of it; otherwise a new allocation (which lands in the raw layer past the threshold), a
 * copy and a free.  A raw block is resized by the C library and never adopted by the pools.
 *
 * Ownership (docs/cpython-memory.md 2.8) is decided by CPython 3.10's radix tree over arena-size
 * slots of the address space, for every profile: it never reads memory the heap does not own.
 *
 * Events (allocator/event.h): with no sink and no stack hook, an allocation pays one branch
 * (h->observed) and a free one (h->sink.emit); the event-building code is compiled out of the
 * fast paths by instantiating them with a constant `obs`.
 */
#include "heap_internal.h"

#include <stdio.h>
#include <stdlib.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define NONNULL_RESULT __attribute__((returns_nonnull))

const char *heap_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case HEAP_EINVAL: return "invalid profile or argument";
    case HEAP_ENOMEM: return "out of memory for the heap's own bookkeeping";
    default: return "unknown heap error";
    }
}

/* ---- events ------------------------------------------------------------------------------- */

/*
 * The heap's events are built in h->ev, which is all zeros but for the kind and the fields
 * being sent: the hot paths write a kind and three words and hand it over (often as their last
 * act, a jump), rather than building 80 bytes on the stack.  The sink contract allows it: the
 * event is valid only during the call, and a sink never calls back into the heap.
 */
static ALWAYS_INLINE void emit_inline(struct heap *h, enum event_kind kind, uint64_t a, uint64_t b, uint64_t c)
{
    h->ev.kind = kind;
    h->ev.u.f[0] = a;
    h->ev.u.f[1] = b;
    h->ev.u.f[2] = c;
    h->sink.emit(h->sink.ctx, &h->ev);
}

/* Any of the heap's kinds: up to five words (fields past the third are zeroed again after). */
static NOINLINE void emit(struct heap *h, enum event_kind kind, uint64_t a, uint64_t b, uint64_t c, uint64_t d,
                          uint64_t e)
{
    h->ev.u.f[3] = d;
    h->ev.u.f[4] = e;
    emit_inline(h, kind, a, b, c);
    h->ev.u.f[3] = 0;
    h->ev.u.f[4] = 0;
}

#define EMIT(h, kind, a, b, c, d, e)                                                             \
    do {                                                                                         \
        if (UNLIKELY((h)->sink.emit != NULL))                                                    \
            emit((h), (kind), (a), (b), (c), (d), (e));                                          \
    } while (0)

static uint64_t addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* block_alloc with its `virgin` word (the fourth, zeroed again after): an allocation that took
 * blocks from the pool's virgin space. */
static ALWAYS_INLINE void emit_alloc_virgin(struct heap *h, uint8_t *bp, size_t n, uint64_t stack, uint64_t virgin)
{
    h->ev.u.f[3] = virgin;
    emit_inline(h, EV_BLOCK_ALLOC, addr(bp), n, stack);
    h->ev.u.f[3] = 0;
}

static uint32_t slot_of(const struct heap *h, const struct arena_object *ao)
{
    return (uint32_t)(ao - h->arenas);
}

/* ---- the raw table ------------------------------------------------------------------------ */

/* A pointer this heap never handed out was given back: a programming error, stopped here. */
static _Noreturn NOINLINE void misuse(const char *what, uintptr_t a)
{
    fprintf(stderr, "arenascope heap: %s of %#lx, which this heap did not hand out\n", what, (unsigned long)a);
    abort();
}

/* Removes a, which must be in the table; returns its size. */
static uint64_t raw_table_remove(struct map *raw, uintptr_t a)
{
    struct map_entry *e = map_find(raw, a);
    if (!e)
        misuse("free", a);
    uint64_t size = e->val;
    map_del_at(raw, e);
    return size;
}

/* ---- the raw layer ------------------------------------------------------------------------ */

static NOINLINE void *raw_alloc(struct heap *h, size_t nmemb, size_t size, bool zero, enum ev_raw_why why,
                       uint64_t stack)
{
    if (!map_reserve(&h->raw, 1))
        return NULL; /* before the block: once it is had, its entry cannot fail */
    size_t n = nmemb * size;
    void *p;
    if (zero)
        p = (nmemb && size) ? calloc(nmemb, size) : calloc(1, 1);
    else
        p = malloc(n ? n : 1);
    if (!p)
        return NULL;
    map_put(&h->raw, addr(p), n);
    h->raw_allocated_blocks++;
    h->raw_bytes += n;
    EMIT(h, EV_RAW_ALLOC, addr(p), n, (uint64_t)why, stack, 0);
    return p;
}

static void raw_free(struct heap *h, void *p)
{
    uint64_t a = addr(p);
    h->raw_bytes -= raw_table_remove(&h->raw, (uintptr_t)p);
    h->raw_allocated_blocks--;
    free(p);
    EMIT(h, EV_RAW_FREE, a, 0, 0, 0, 0);
}

/* ---- the arena map -------------------------------------------------------------------------- */

static size_t arena_map_home(const struct heap *h, uintptr_t key)
{
    return key & h->map_mask;
}

static void arena_map_put(struct arena_map_entry *map, size_t mask, const struct arena_map_entry *e)
{
    size_t i = e->key & mask;
    while (map[i].key)
        i = (i + 1) & mask;
    map[i] = *e;
}

/* Room for two more entries (an arena covers at most two slots); false when out of memory. */
static bool arena_map_reserve(struct heap *h)
{
    size_t cap = h->map_mask + 1;
    if ((h->map_count + 2) * 2 <= cap)
        return true;
    struct arena_map_entry *map = calloc(2 * cap, sizeof *map);
    if (!map)
        return false;
    for (size_t i = 0; i < cap; i++)
        if (h->map[i].key)
            arena_map_put(map, 2 * cap - 1, &h->map[i]);
    free(h->map);
    h->map = map;
    h->map_mask = 2 * cap - 1;
    return true;
}

/* The entry of slot k, created empty when missing (room was reserved). */
static struct arena_map_entry *arena_map_slot(struct heap *h, uintptr_t k)
{
    uintptr_t key = k + 1;
    size_t i = arena_map_home(h, key);
    while (h->map[i].key && h->map[i].key != key)
        i = (i + 1) & h->map_mask;
    if (!h->map[i].key) {
        h->map[i] = (struct arena_map_entry){key, 0, 0};
        h->map_count++;
    }
    return &h->map[i];
}

/* Drops the entry at i when it no longer covers anything (backward-shift deletion). */
static void arena_map_drop_if_empty(struct heap *h, struct arena_map_entry *e)
{
    if (e->tail_hi || e->tail_lo)
        return;
    size_t i = (size_t)(e - h->map);
    for (size_t j = (i + 1) & h->map_mask; h->map[j].key; j = (j + 1) & h->map_mask) {
        size_t home = arena_map_home(h, h->map[j].key);
        bool in_between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_between) {
            h->map[i] = h->map[j];
            i = j;
        }
    }
    h->map[i].key = 0;
    h->map_count--;
}

/* CPython's radix tree would create a mid node for a new top index and a bottom node for a new
 * (top, mid) pair of address a; count them. */
static bool census_add(struct heap *h, uintptr_t a)
{
    struct map_census *c = &h->census;
    if (a & h->map_high_mask)
        return true; /* above the tree's addresses; CPython asserts this never happens */
    uint64_t top = (uint64_t)a >> h->map_top_shift;
    uint64_t pair = top << 32 | (((uint64_t)a >> h->map_mid_shift) & h->map_mid_mask);
    bool have_mid = false, have_bot = false;
    for (size_t i = 0; i < c->nmids; i++)
        have_mid |= c->mids[i] == top;
    for (size_t i = 0; i < c->nbots; i++)
        have_bot |= c->bots[i] == pair;
    if (have_mid && have_bot)
        return true;
    if (c->nbots + 1 > c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 8;
        uint64_t *mids = realloc(c->mids, cap * sizeof *mids);
        if (!mids)
            return false;
        c->mids = mids;
        uint64_t *bots = realloc(c->bots, cap * sizeof *bots);
        if (!bots)
            return false;
        c->bots = bots;
        c->cap = cap;
    }
    if (!have_mid)
        c->mids[c->nmids++] = top;
    if (!have_bot)
        c->bots[c->nbots++] = pair;
    return true;
}

/* Marks [base, base + arena_size) as ours (used) or not; false when memory ran out. */
static bool arena_map_mark(struct heap *h, uintptr_t base, bool used)
{
    if (used && (!arena_map_reserve(h) || !census_add(h, base)))
        return false;
    int32_t tail = (int32_t)(base & h->arena_mask);
    uintptr_t k = base >> h->arena_bits;
    struct arena_map_entry *hi = arena_map_slot(h, k);
    if (tail == 0) {
        hi->tail_hi = used ? -1 : 0;
        if (!used)
            arena_map_drop_if_empty(h, hi);
        return true;
    }
    /* An arena off an arena-size boundary straddles two slots. */
    if (used && !census_add(h, base + h->arena_size)) {
        hi->tail_hi = 0;
        arena_map_drop_if_empty(h, hi);
        return false;
    }
    hi->tail_hi = used ? tail : 0;
    if (!used)
        arena_map_drop_if_empty(h, hi); /* before the next lookup: it may move entries */
    struct arena_map_entry *lo = arena_map_slot(h, k + 1);
    lo->tail_lo = used ? tail : 0;
    if (!used)
        arena_map_drop_if_empty(h, lo);
    return true;
}

/* ---- arenas ------------------------------------------------------------------------------- */

/* new_arena() (docs/cpython-memory.md 3.4): a live arena in a slot popped from the unused
 * stack, or NULL. */
static struct arena_object *new_arena(struct heap *h)
{
    if (!h->unused_arena_objects) {
        /* Grow the vector: 16, 32, 64...  Only here, when no arena is usable, so nothing
         * points into it but the pools' indices. */
        uint32_t n = h->maxarenas ? h->maxarenas * 2 : 16;
        if (n <= h->maxarenas)
            return NULL;
        struct arena_object *v = realloc(h->arenas, (size_t)n * sizeof *v);
        if (!v)
            return NULL;
        h->arenas = v;
        for (uint32_t i = h->maxarenas; i < n; i++) {
            memset(&v[i], 0, sizeof v[i]);
            v[i].nextarena = i + 1 < n ? &v[i + 1] : NULL;
        }
        h->unused_arena_objects = &v[h->maxarenas];
        h->maxarenas = n;
        EMIT(h, EV_ARENA_VECTOR, n, 0, 0, 0, 0);
    }
    struct arena_object *ao = h->unused_arena_objects;
    void *base = h->source.alloc(h->source.ctx, h->arena_size);
    if (base && !arena_map_mark(h, (uintptr_t)base, true)) {
        h->source.free(h->source.ctx, base, h->arena_size);
        base = NULL;
    }
    if (!base) {
        h->arena_failures++;
        return NULL; /* the slot stays on top of the unused stack */
    }
    h->unused_arena_objects = ao->nextarena;
    ao->address = (uintptr_t)base;
    ao->serial = h->ntimes_arena_allocated++;
    if (++h->narenas_currently_allocated > h->narenas_highwater)
        h->narenas_highwater = h->narenas_currently_allocated;
    ao->freepools = NULL;
    ao->nextarena = ao->prevarena = NULL;
    ao->pool_address = base;
    ao->nfreepools = h->max_pools;
    uint32_t excess = (uint32_t)(ao->address & h->pool_mask);
    uint32_t sliver = 0;
    if (excess) {
        ao->nfreepools--;
        sliver = h->pool_size - excess;
        ao->pool_address += sliver;
    }
    ao->ntotalpools = ao->nfreepools;
    EMIT(h, EV_ARENA_NEW, ao->serial, slot_of(h, ao), ao->address, ao->ntotalpools, sliver);
    return ao;
}

/* Takes ao out of usable_arenas. */
static void usable_unlink(struct heap *h, struct arena_object *ao)
{
    if (ao->prevarena)
        ao->prevarena->nextarena = ao->nextarena;
    else
        h->usable_arenas = ao->nextarena;
    if (ao->nextarena)
        ao->nextarena->prevarena = ao->prevarena;
}

/* ---- pools -------------------------------------------------------------------------------- */

/* allocate_from_new_pool(): the class's ring is empty; NULL when no arena can be had. */
static NOINLINE void *allocate_from_new_pool(struct heap *h, uint32_t sz, size_t n, uint64_t stack)
{
    if (!h->usable_arenas) {
        struct arena_object *ao = new_arena(h);
        if (!ao)
            return NULL;
        h->usable_arenas = ao;
        h->nfp2lasta[ao->nfreepools] = ao;
        EMIT(h, EV_ARENA_MOVE, slot_of(h, ao), 0, 0, 0, 0);
    }
    struct arena_object *ua = h->usable_arenas;
    /* Taking a pool from the head keeps the order; only the fingers change. */
    if (h->nfp2lasta[ua->nfreepools] == ua)
        h->nfp2lasta[ua->nfreepools] = NULL;
    if (ua->nfreepools > 1)
        h->nfp2lasta[ua->nfreepools - 1] = ua;

    struct pool_header *pool;
    if (ua->freepools) {
        pool = ua->freepools;
        ua->freepools = pool->nextpool;
        ua->nfreepools--;
        EMIT(h, EV_POOL_UNCACHE, addr(pool), 0, 0, 0, 0);
    } else {
        pool = (struct pool_header *)ua->pool_address;
        pool->arenaindex = slot_of(h, ua);
        pool->szidx = DUMMY_SIZE_IDX;
        ua->pool_address += h->pool_size;
        ua->nfreepools--;
        EMIT(h, EV_POOL_CARVE, addr(pool), slot_of(h, ua), 0, 0, 0);
    }
    if (ua->nfreepools == 0) {
        /* Wholly allocated: it leaves the list. */
        h->usable_arenas = ua->nextarena;
        if (h->usable_arenas)
            h->usable_arenas->prevarena = NULL;
        EMIT(h, EV_ARENA_MOVE, slot_of(h, ua), (uint64_t)-1, 0, 0, 0);
    }

    struct pool_header *head = &h->used[sz];
    pool->nextpool = pool->prevpool = head;
    head->nextpool = head->prevpool = pool;
    pool->ref.count = 1;
    uint8_t *bp;
    if (pool->szidx == sz) {
        /* Last held this class: header and free list are still good. */
        bp = pool->freeblock;
        pool->freeblock = block_next(bp);
    } else {
        uint32_t size = heap_class_size(h, sz);
        pool->szidx = sz;
        bp = (uint8_t *)pool + h->pool_overhead;
        pool->nextoffset = h->pool_overhead + 2 * size;
        pool->maxnextoffset = h->pool_size - size;
        pool->freeblock = bp + size;
        block_set_next(pool->freeblock, NULL);
        if (h->sink.emit) {
            emit(h, EV_POOL_INIT, addr(pool), sz, 0, 0, 0);
            emit_alloc_virgin(h, bp, n, stack, 2); /* the first block, and the second threaded */
        }
        return bp;
    }
    EMIT(h, EV_BLOCK_ALLOC, addr(bp), n, stack, 0, 0);
    return bp;
}

/* The events of an allocation that ran the pool's free list dry: the block, which threaded the
 * next virgin block, or else pool_full.  Out of line so that pool_extend stays leaf code. */
static NOINLINE NONNULL_RESULT void *extend_emit(struct heap *h, uint8_t *bp, size_t n, uint64_t stack, struct pool_header *full)
{
    if (full) {
        emit_inline(h, EV_BLOCK_ALLOC, addr(bp), n, stack);
        emit_inline(h, EV_POOL_FULL, addr(full), 0, 0);
    } else {
        emit_alloc_virgin(h, bp, n, stack, 1);
    }
    return bp;
}

/* The state change of pymalloc_pool_extend(), without events: the pool's free list ran dry.
 * Returns the pool when it became full (it left its ring), else NULL. */
static ALWAYS_INLINE struct pool_header *pool_extend_quiet(struct heap *h, struct pool_header *pool, uint32_t sz)
{
    if (pool->nextoffset <= pool->maxnextoffset) {
        /* Thread the next virgin block as a one-element free list. */
        pool->freeblock = (uint8_t *)pool + pool->nextoffset;
        pool->nextoffset += heap_class_size(h, sz);
        block_set_next(pool->freeblock, NULL);
        return NULL;
    }
    /* Full: it leaves the ring. */
    struct pool_header *next = pool->nextpool, *prev = pool->prevpool;
    next->prevpool = prev;
    prev->nextpool = next;
    return pool;
}

/* pymalloc_pool_extend() when nobody listens: bp was just taken and the free list ran dry.  Out
 * of line so that the allocation's fast path stays leaf code. */
static NOINLINE NONNULL_RESULT void *pool_extend(struct heap *h, struct pool_header *pool, uint8_t *bp, uint32_t sz)
{
    pool_extend_quiet(h, pool, sz);
    return bp;
}

/* The fast path of pymalloc_alloc(): the head of the free list of the first pool in class sz's
 * ring, taken and counted, its pool in *out; NULL when the ring is empty.  When the pool's list
 * is empty now (freeblock NULL), the pool must extend before anything else. */
static ALWAYS_INLINE uint8_t *ring_take(struct heap *h, uint32_t sz, struct pool_header **out)
{
    struct pool_header *head = &h->used[sz];
    struct pool_header *pool = head->nextpool;
    if (UNLIKELY(pool == head))
        return NULL;
    pool->ref.count++;
    uint8_t *bp = pool->freeblock;
    pool->freeblock = block_next(bp);
    *out = pool;
    return bp;
}

/* The block of a request of n bytes from the first pool in class sz's ring, after the pool's
 * extension when that ran its free list dry; NULL when the ring is empty.  With obs false the
 * event code is compiled out (the caller checked that nobody listens); with obs true someone
 * does. */
static ALWAYS_INLINE void *ring_alloc(struct heap *h, uint32_t sz, size_t n, bool obs, uint64_t stack)
{
    struct pool_header *pool;
    uint8_t *bp = ring_take(h, sz, &pool);
    if (UNLIKELY(bp == NULL))
        return NULL;
    if (UNLIKELY(pool->freeblock == NULL))
        return obs ? extend_emit(h, bp, n, stack, pool_extend_quiet(h, pool, sz)) : pool_extend(h, pool, bp, sz);
    if (obs)
        emit_inline(h, EV_BLOCK_ALLOC, addr(bp), n, stack);
    return bp;
}

/* pymalloc_alloc() for 1 <= n <= threshold: from the ring, else from a new pool; NULL when no
 * arena can be had. */
static ALWAYS_INLINE void *pool_alloc(struct heap *h, size_t n, bool obs, uint64_t stack)
{
    uint32_t sz = (uint32_t)((n - 1) >> h->align_shift);
    void *p = ring_alloc(h, sz, n, obs, stack);
    return LIKELY(p != NULL) ? p : allocate_from_new_pool(h, sz, n, stack);
}

/* insert_to_usedpool(): a full pool got a block back; it goes to the front of its ring. */
static ALWAYS_INLINE void insert_to_usedpool(struct heap *h, struct pool_header *pool)
{
    struct pool_header *head = &h->used[pool->szidx];
    struct pool_header *next = head->nextpool;
    pool->nextpool = next;
    pool->prevpool = head;
    next->prevpool = pool;
    head->nextpool = pool;
}

/* insert_to_freepool(): the pool's last block was freed.  Then the arena bookkeeping. */
static NOINLINE void insert_to_freepool(struct heap *h, struct pool_header *pool)
{
    struct pool_header *next = pool->nextpool, *prev = pool->prevpool;
    next->prevpool = prev;
    prev->nextpool = next;

    struct arena_object *ao = &h->arenas[pool->arenaindex];
    pool->nextpool = ao->freepools;
    ao->freepools = pool;
    EMIT(h, EV_POOL_EMPTY, addr(pool), 0, 0, 0, 0);

    uint32_t nf = ao->nfreepools;
    struct arena_object *lastnf = h->nfp2lasta[nf]; /* NULL when nf == 0 */
    if (lastnf == ao) {
        /* ao was the rightmost with nf: the finger moves left, if anything is there. */
        struct arena_object *p = ao->prevarena;
        h->nfp2lasta[nf] = (p && p->nfreepools == nf) ? p : NULL;
    }
    ao->nfreepools = ++nf;

    /* Case 1: wholly free.  Returned to the source unless kept as the tail (3.9+). */
    if (nf == ao->ntotalpools && (!h->profile.keep_last_free_arena || ao->nextarena != NULL)) {
        uint32_t slot = slot_of(h, ao); /* the pool's header goes away with the arena */
        uintptr_t base = ao->address;
        usable_unlink(h, ao);
        ao->nextarena = h->unused_arena_objects;
        h->unused_arena_objects = ao;
        arena_map_mark(h, base, false);
        h->source.free(h->source.ctx, (void *)base, h->arena_size);
        ao->address = 0;
        h->narenas_currently_allocated--;
        EMIT(h, EV_ARENA_MOVE, slot, (uint64_t)-1, 0, 0, 0);
        EMIT(h, EV_ARENA_FREE, slot, base, 0, 0, 0);
        return;
    }
    /* Case 2: it was wholly allocated and on no list; now it has the fewest free pools. */
    if (nf == 1) {
        ao->nextarena = h->usable_arenas;
        ao->prevarena = NULL;
        if (h->usable_arenas)
            h->usable_arenas->prevarena = ao;
        h->usable_arenas = ao;
        if (!h->nfp2lasta[1])
            h->nfp2lasta[1] = ao;
        EMIT(h, EV_ARENA_MOVE, pool->arenaindex, 0, 0, 0, 0);
        return;
    }
    if (!h->nfp2lasta[nf])
        h->nfp2lasta[nf] = ao;
    /* Case 4: it was the rightmost of its old count, so it is still in order. */
    if (ao == lastnf)
        return;
    /* Case 3: slide it right, to just after the rightmost arena of its old count. */
    usable_unlink(h, ao);
    ao->prevarena = lastnf;
    ao->nextarena = lastnf->nextarena;
    if (ao->nextarena)
        ao->nextarena->prevarena = ao;
    lastnf->nextarena = ao;
    EMIT(h, EV_ARENA_MOVE, pool->arenaindex, (uint64_t)slot_of(h, lastnf) + 1, 0, 0, 0);
}

/* pymalloc_free() with a sink when the pool changes state: the event, then the transition. */
static NOINLINE void pool_free_emit_transition(struct heap *h, struct pool_header *pool, void *p,
                                               const uint8_t *lastfree)
{
    emit_inline(h, EV_BLOCK_FREE, addr(p), 0, 0);
    if (lastfree == NULL) {
        insert_to_usedpool(h, pool);
        emit_inline(h, EV_POOL_UNFULL, addr(pool), 0, 0);
    } else {
        insert_to_freepool(h, pool);
    }
}

/* pymalloc_free() with a sink: the event, then the pool's transition if it has one.  The common
 * case ends with the sink's call, so that nothing is kept across it. */
static NOINLINE void pool_free_emit(struct heap *h, struct pool_header *pool, void *p, const uint8_t *lastfree)
{
    if (UNLIKELY(lastfree == NULL || pool->ref.count == 0)) {
        pool_free_emit_transition(h, pool, p, lastfree);
        return;
    }
    emit_inline(h, EV_BLOCK_FREE, addr(p), 0, 0);
}

/* pymalloc_free() of a block known to be in one of our arenas.  Leaf code but for the rare
 * used -> empty transition and the sink. */
static ALWAYS_INLINE void pool_free(struct heap *h, void *p)
{
    struct pool_header *pool = pool_of(h, p);
    uint8_t *lastfree = pool->freeblock;
    block_set_next(p, lastfree);
    pool->freeblock = p;
    uint32_t count = --pool->ref.count;
    if (UNLIKELY(h->sink.emit != NULL)) {
        pool_free_emit(h, pool, p, lastfree);
        return;
    }
    if (UNLIKELY(lastfree == NULL)) {
        insert_to_usedpool(h, pool); /* full -> used */
        return;
    }
    if (UNLIKELY(count == 0))
        insert_to_freepool(h, pool); /* used -> empty */
}

/* ---- the entry points ----------------------------------------------------------------------- */

static enum ev_raw_why raw_why(const struct heap *h, size_t n, bool from_realloc)
{
    if (n == 0)
        return EV_RAW_ZERO;
    if (n > h->threshold)
        return from_realloc ? EV_RAW_REALLOC_MIGRATE : EV_RAW_LARGE;
    return EV_RAW_NO_ARENA;
}

/* _PyObject_Malloc() with events. */
static ALWAYS_INLINE void *alloc_any_inline(struct heap *h, size_t n, uint64_t stack, bool from_realloc)
{
    if (LIKELY(n - 1 < h->threshold)) {
        void *p = h->sink.emit ? pool_alloc(h, n, true, stack) : pool_alloc(h, n, false, 0);
        if (LIKELY(p != NULL))
            return p;
    }
    return raw_alloc(h, n, 1, false, raw_why(h, n, from_realloc), stack);
}

static NOINLINE void *alloc_any(struct heap *h, size_t n, uint64_t stack, bool from_realloc)
{
    return alloc_any_inline(h, n, stack, from_realloc);
}

/*
 * Stack capture.  The hook must sit exactly HEAP_STACK_HOOK_FRAMES frames below the caller of
 * heap_malloc/heap_calloc/heap_realloc, whatever the optimisation level: every function on the
 * way is never inlined and never calls the next in tail position (the empty asm after the call
 * keeps the frame).
 *
 *   hook <- capture_stack <- capture_entry <- heap_calloc/heap_realloc <- caller
 *   hook <- capture_stack <- malloc_observed <- heap_malloc <- caller
 */
#define KEEP_FRAME() __asm__ __volatile__("" ::: "memory")
_Static_assert(HEAP_STACK_HOOK_FRAMES == 3, "the capture path below has three frames");

static NOINLINE uint64_t capture_stack(struct heap *h)
{
    uint64_t id = h->hook.capture ? h->hook.capture(h->hook.ctx) : 0;
    KEEP_FRAME();
    return id;
}

static NOINLINE uint64_t capture_entry(struct heap *h)
{
    uint64_t id = capture_stack(h);
    KEEP_FRAME();
    return id;
}

/* heap_malloc() when someone listens: the allocation's fast path and its events in one function
 * (the stack is captured only when a hook is set, from the same depth as always); everything
 * else in alloc_any. */
static NOINLINE void *malloc_observed(struct heap *h, size_t n)
{
    uint64_t stack = h->hook.capture ? capture_stack(h) : 0;
    if (UNLIKELY(n - 1 >= h->threshold || h->sink.emit == NULL)) {
        if (n > PTRDIFF_MAX)
            return NULL;
        return alloc_any(h, n, stack, false);
    }
    void *p = ring_alloc(h, (uint32_t)((n - 1) >> h->align_shift), n, true, stack);
    return LIKELY(p != NULL) ? p : alloc_any(h, n, stack, false);
}

/* heap_malloc() of 0 or more than the threshold bytes, or when the class's ring is empty. */
static NOINLINE void *malloc_slow(struct heap *h, size_t n)
{
    if (n - 1 < h->threshold) {
        void *p = allocate_from_new_pool(h, (uint32_t)((n - 1) >> h->align_shift), n, 0);
        return p ? p : raw_alloc(h, n, 1, false, EV_RAW_NO_ARENA, 0);
    }
    if (n > PTRDIFF_MAX)
        return NULL;
    return raw_alloc(h, n, 1, false, n ? EV_RAW_LARGE : EV_RAW_ZERO, 0);
}

/*
 * The fast paths.  With no sink and no hook, heap_malloc pays one branch for the instruments
 * (h->observed) and heap_free one (h->sink.emit, folded with the pool's transition test); both
 * are leaf code: every slow path is a separate function.
 */
void *heap_malloc(struct heap *h, size_t n)
{
    if (UNLIKELY(h->observed)) {
        void *p = malloc_observed(h, n);
        KEEP_FRAME();
        return p;
    }
    if (UNLIKELY(n - 1 >= h->threshold))
        return malloc_slow(h, n);
    uint32_t sz = (uint32_t)((n - 1) >> h->align_shift);
    struct pool_header *head = &h->used[sz];
    struct pool_header *pool = head->nextpool;
    if (UNLIKELY(pool == head))
        return malloc_slow(h, n);
    pool->ref.count++;
    uint8_t *bp = pool->freeblock;
    uint8_t *next = block_next(bp);
    pool->freeblock = next;
    if (UNLIKELY(next == NULL)) {
        pool_extend_quiet(h, pool, sz); /* nobody listens: no events */
        return bp;
    }
    __builtin_prefetch(next, 1); /* the next allocation of the class reads it, its caller writes */
    return bp;
}

/* heap_free() of NULL, of a block of the raw layer, or of a pointer the heap never handed out
 * (heap_set_foreign_to_libc). */
static NOINLINE void free_foreign(struct heap *h, void *p)
{
    if (!p)
        return;
    if (UNLIKELY(h->foreign_to_libc) && !map_find(&h->raw, addr(p))) {
        h->foreign++;
        free(p);
        return;
    }
    raw_free(h, p);
}

void heap_free(struct heap *h, void *p)
{
    if (LIKELY(arena_map_owns(h, p)))
        pool_free(h, p);
    else
        free_foreign(h, p);
}

void *heap_calloc(struct heap *h, size_t nmemb, size_t size)
{
    uint64_t stack = h->observed ? capture_entry(h) : 0;
    if (size && nmemb > (size_t)PTRDIFF_MAX / size)
        return NULL;
    size_t n = nmemb * size;
    void *p = NULL;
    if (n - 1 < h->threshold) {
        p = h->sink.emit ? pool_alloc(h, n, true, stack) : pool_alloc(h, n, false, 0);
        if (p)
            memset(p, 0, n);
    }
    if (!p)
        p = raw_alloc(h, nmemb, size, true, raw_why(h, n, false), stack);
    if (p)
        EMIT(h, EV_CALLOC, addr(p), nmemb, size, 0, 0);
    return p;
}

void *heap_realloc(struct heap *h, void *p, size_t n)
{
    uint64_t stack = h->observed ? capture_entry(h) : 0;
    if (n > PTRDIFF_MAX)
        return NULL;
    if (!p) {
        void *q = alloc_any(h, n, stack, false);
        if (q)
            EMIT(h, EV_REALLOC, 0, addr(q), n, EV_REALLOC_NEW, 0);
        return q;
    }
    if (arena_map_owns(h, p)) {
        size_t size = heap_class_size(h, pool_of(h, p)->szidx);
        size_t copy = size;
        if (n <= size) {
            if (4 * n > 3 * size) {
                EMIT(h, EV_REALLOC, addr(p), addr(p), n, EV_REALLOC_IN_PLACE, 0);
                return p;
            }
            copy = n;
        }
        void *q = alloc_any(h, n, stack, true);
        if (!q)
            return NULL;
        memcpy(q, p, copy);
        pool_free(h, p);
        enum ev_realloc_outcome outcome = !arena_map_owns(h, q) ? EV_REALLOC_TO_RAW
                                          : n > size            ? EV_REALLOC_MOVED
                                                                : EV_REALLOC_SHRUNK;
        EMIT(h, EV_REALLOC, addr(p), addr(q), n, outcome, 0);
        return q;
    }
    /* A raw block stays raw, whatever its new size. */
    struct map_entry *e = map_find(&h->raw, addr(p));
    if (!e && h->foreign_to_libc) {
        h->foreign++;
        return realloc(p, n ? n : 1);
    }
    if (!e)
        misuse("realloc", (uintptr_t)p);
    uint64_t old_size = e->val;
    uint64_t old = addr(p);
    void *q = realloc(p, n ? n : 1);
    if (!q)
        return NULL;
    map_del_at(&h->raw, e);
    map_put(&h->raw, addr(q), n); /* cannot fail: an entry was just freed */
    h->raw_bytes += n - old_size;
    EMIT(h, EV_RAW_REALLOC, old, addr(q), n, 0, 0);
    EMIT(h, EV_REALLOC, old, addr(q), n, EV_REALLOC_RAW, 0);
    return q;
}

/* PyMem_RawMalloc: the raw layer whatever the size, and not among pymalloc's blocks. */
void *heap_raw_malloc(struct heap *h, size_t n)
{
    uint64_t stack = h->observed ? capture_entry(h) : 0;
    if (n > PTRDIFF_MAX)
        return NULL;
    void *p = raw_alloc(h, n, 1, false, EV_RAW_DOMAIN, stack);
    if (p)
        h->raw_domain_blocks++;
    return p;
}

void heap_raw_free(struct heap *h, void *p)
{
    if (!p)
        return;
    if (!map_find(&h->raw, addr(p)))
        misuse("PyMem_RawFree", (uintptr_t)p);
    h->raw_domain_blocks--;
    raw_free(h, p);
}

bool heap_owns(const struct heap *h, const void *p)
{
    return p && arena_map_owns(h, p);
}

size_t heap_block_size(const struct heap *h, const void *p)
{
    if (!heap_owns(h, p))
        return 0;
    return heap_class_size(h, pool_of(h, p)->szidx);
}

/* ---- lifecycle ------------------------------------------------------------------------------ */

static uint32_t log2u(uint64_t v)
{
    uint32_t n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

int heap_new(struct heap **out, const struct heap_profile *profile, const struct heap_arena_source *source,
             const struct event_sink *sink)
{
    *out = NULL;
    if (!profile || heap_profile_check(profile, NULL, 0) < 0)
        return HEAP_EINVAL;
    uint32_t nclasses = heap_profile_nclasses(profile);
    struct heap *h = calloc(1, sizeof *h + nclasses * sizeof h->used[0]);
    if (!h)
        return HEAP_ENOMEM;
    h->profile = *profile;
    h->source = source ? *source : heap_arena_source_mmap();
    h->align_shift = log2u(profile->alignment);
    h->threshold = profile->threshold;
    h->pool_size = profile->pool_size;
    h->pool_mask = profile->pool_size - 1;
    h->arena_size = profile->arena_size;
    h->arena_bits = log2u(profile->arena_size);
    h->arena_mask = profile->arena_size - 1;
    h->pool_overhead = heap_profile_pool_overhead(profile);
    h->nclasses = nclasses;
    h->max_pools = profile->arena_size / profile->pool_size;

    /* CPython's geometry of the tree, for the census: two interior levels of equal width, the
     * bottom level taking the rest of the address bits above the arena offset. */
    uint32_t addr_bits = profile->arena_map_bits ? profile->arena_map_bits : 64;
    uint32_t interior = (addr_bits - h->arena_bits + 2) / 3;
    uint32_t bot_bits = addr_bits - h->arena_bits - 2 * interior;
    h->map_high_mask = addr_bits >= 64 ? 0 : ~((UINT64_C(1) << addr_bits) - 1);
    h->map_top_len = 1u << interior;
    h->map_mid_len = 1u << interior;
    h->map_bot_len = 1u << bot_bits;
    h->map_mid_shift = h->arena_bits + bot_bits;
    h->map_top_shift = h->map_mid_shift + interior;
    h->map_mid_mask = h->map_mid_len - 1;

    h->map_mask = 63;
    h->map = calloc(h->map_mask + 1, sizeof *h->map);
    h->nfp2lasta = calloc(h->max_pools + 1, sizeof *h->nfp2lasta);
    if (!h->map || !h->nfp2lasta) {
        heap_delete(h); /* takes a heap in any state since the calloc */
        return HEAP_ENOMEM;
    }
    for (uint32_t i = 0; i < nclasses; i++) {
        h->used[i].nextpool = h->used[i].prevpool = &h->used[i];
        h->used[i].szidx = i;
    }
    heap_set_sink(h, sink);
    *out = h;
    return 0;
}

void heap_delete(struct heap *h)
{
    if (!h)
        return;
    for (uint32_t i = 0; i < h->maxarenas; i++)
        if (h->arenas[i].address)
            h->source.free(h->source.ctx, (void *)h->arenas[i].address, h->arena_size);
    free(h->arenas);
    size_t cur = 0;
    for (const struct map_entry *e; (e = map_next(&h->raw, &cur));)
        free((void *)(uintptr_t)e->key);
    map_release(&h->raw);
    free(h->map);
    free(h->census.mids);
    free(h->census.bots);
    free(h->nfp2lasta);
    free(h);
}

const struct heap_profile *heap_profile(const struct heap *h)
{
    return &h->profile;
}

static void update_observed(struct heap *h)
{
    h->observed = h->sink.emit != NULL || h->hook.capture != NULL;
}

void heap_set_sink(struct heap *h, const struct event_sink *sink)
{
    h->sink = sink ? *sink : (struct event_sink){0};
    update_observed(h);
}

void heap_set_foreign_to_libc(struct heap *h, bool on)
{
    h->foreign_to_libc = on;
}

uint64_t heap_foreign_count(const struct heap *h)
{
    return h->foreign;
}

void heap_set_stack_hook(struct heap *h, const struct heap_stack_hook *hook)
{
    h->hook = hook ? *hook : (struct heap_stack_hook){0};
    update_observed(h);
}
