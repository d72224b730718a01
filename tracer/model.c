/*
 * model.c - the events of a run folded into the state of its heap.
 *
 * What the model is
 * -----------------
 * The model is the picture the UI draws, kept up to date one event at a time.  It holds the
 * same structures as CPython's obmalloc and its object runtime (reference sections 2, 3 and 7),
 * but it never decides anything: every change comes from an event, and the model only checks
 * that the change is one the allocator could have made.  So a trace stays readable when the
 * allocator's policy changes, and a damaged or hand-made trace is caught at its first bad event.
 *
 *   arenas    a vector of slots (ARENA_VECTOR grows it); a live slot holds an arena with its
 *             base, sliver, pools, high-water mark (ncarved), cache of empty pools (LIFO) and its
 *             links in usable_arenas (a doubly linked list through slots, moved by ARENA_MOVE).
 *   pools     one record per pool of every live arena, untouched ones included, so that the
 *             arena map is drawn without lookups.  A carved pool has one 32-bit word per block:
 *
 *               bit 31 set    allocated; bits 0..28 the requested size; bit 30: a stack id is
 *                             kept in block_stacks; bit 29: a live object lives in the block
 *               bit 31 clear  free: bits 0..30 are the next free block's index + 1 (0 ends the
 *                             list), or virgin (0, at or above nextoffset)
 *
 *             so a pool's free list is walked in LIFO order from `freehead` exactly as CPython
 *             walks pool->freeblock, and a block's state is one load.
 *   classes   the usedpools rings: a circular doubly linked list of USED pools per class, the
 *             front being where the next allocation of that class goes.
 *   raw       blocks the C library served, by address.
 *   objects   by address: type, size, memory, refcount and the event that last changed it,
 *             generation (a doubly linked list per generation, in the collector's order),
 *             weakrefs, finalized/garbage flags; the references whose owner the events name
 *             are edges (owner, obj, count) linked into the owner's out-list and the object's
 *             in-list, so referents and referrers are walks, not searches.
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
 *   - what the fold would only keep for the views is derived when asked (model_query.c): a
 *     pool's index and free-list length, its requested bytes (from the block words), an arena's
 *     last change (its own or its pools'), the heap's blocks and requested bytes (the classes'
 *     sums).  The fold keeps per event only what a check or the timeline needs;
 *   - model_fold_batch() folds the four frequent kinds inline, the failure paths out of line
 *     (cold), every other kind through one call; and it prefetches the block word of the event a
 *     few places ahead, since random frees find it outside the first two cache levels;
 *   - callers decode and fold MODEL_BATCH events at a time, so that the decoded events are still
 *     in the first-level cache when folded.
 * Block words hold a pool's free list, so a block costs the viewer 4 bytes and a pool 64 bytes
 * plus its words, whatever the trace's length.

 * The two implicit effects
 * ------------------------
 * The events state every transition but two, which follow from CPython's pool layout and are
 * part of the event contract as the model reads it:
 *   - pool_init threads the pool's first two blocks on its free list (block 0 at the head) and
 *     leaves the rest virgin: nextoffset = overhead + 2 * size.
 *   - when block_alloc takes the last block of the free list and the pool has virgin space, the
 *     next virgin block is threaded (pymalloc_pool_extend): it becomes the free list and
 *     nextoffset grows by one block.  Without virgin space the pool is full, and the next event
 *     must be its pool_full.
 * The model checks the other direction too: after a block_free the next event must be the
 * pool_unfull or pool_empty that the free made certain.
 *
 * Objects
 * -------
 * An object's count must follow from the event before (incref +1, decref -1), except for static
 * objects (None, the small ints): they are announced when first used, with whatever count they
 * had, so their counts are the events'.  References whose owner the events name are edges;
 * ref_move hands one over without changing the count (list.pop()).  An object's count is never
 * below the references objects hold to it.  gc.garbage is a list like any other: an object is in
 * it from its gc_garbage until the list drops its reference (the list's address is learnt from
 * the incref that follows the first gc_garbage).
 *
 * Inconsistent events
 * -------------------
 * Each handler validates the event against the state before changing anything; on a
 * contradiction model_fail() records "event N (kind): reason" and the model stops, keeping the
 * state before that event.  Invariants that only hold between operations (usable_arenas sorted,
 * no pool in the ring with zero blocks) are checked by model_is_valid() (model_valid.c).
 */
#include "model_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *model_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case MODEL_ENOMEM: return "out of memory";
    case MODEL_EINCONSISTENT: return "inconsistent event";
    case MODEL_EFORMAT: return "damaged checkpoint";
    case MODEL_EGEOMETRY: return "unsupported allocator geometry";
    case MODEL_ETRACE: return "trace read error";
    case MODEL_ERANGE: return "position past the last event";
    case MODEL_ESTOPPED: return "the model stopped at an inconsistent event";
    default: return "unknown error";
    }
}

int model_fail(struct model *m, int err, const char *fmt, ...)
{
    if (m->stopped)
        return err;
    m->stopped = true;
    m->stop_err = err;
    m->err_seq = m->pos;
    char reason[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(m->err, sizeof m->err, "event %" PRIu64 ": %s", m->pos, reason);
    return err;
}

static int fail_kind(struct model *m, const struct event *ev, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));
static int fail_kind(struct model *m, const struct event *ev, const char *fmt, ...)
{
    char reason[180];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return model_fail(m, MODEL_EINCONSISTENT, "%s: %s", event_kind_name(ev->kind), reason);
}

static int oom(struct model *m) __attribute__((cold));
static int oom(struct model *m)
{
    return model_fail(m, MODEL_ENOMEM, "out of memory");
}

/* For the few functions on the fold's straight path: a compiler judges them by their size, cold
 * failure branches included, and would leave some out of line. */
#define FOLD_INLINE static inline __attribute__((always_inline))

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

int model_new(struct model **out, const struct trace_header *hdr)
{
    *out = NULL;
    uint32_t align = hdr->alignment, thr = hdr->threshold;
    uint32_t psize = hdr->pool_size, asize = hdr->arena_size, over = hdr->pool_overhead;
    if (!is_pow2(align) || align < 4 || align > 4096 || thr == 0 || thr % align ||
        thr / align > HEAP_STATS_MAX_CLASSES || !is_pow2(psize) || psize < 256 ||
        psize > (1u << 24) || !is_pow2(asize) || asize < 2 * (uint64_t)psize ||
        asize / psize > (1u << 20) || over >= psize || hdr->ngenerations > TRACE_MAX_GENERATIONS ||
        (hdr->pointer_size != 4 && hdr->pointer_size != 8) ||
        (hdr->arena_map_bits && (hdr->arena_map_bits > 64 ||
                                 hdr->arena_map_bits < log2u(asize) + 3)))
        return MODEL_EGEOMETRY;
    uint32_t nclasses = thr / align;
    for (uint32_t i = 0; i < nclasses; i++)
        if ((psize - over) / ((i + 1) * align) < 2)
            return MODEL_EGEOMETRY; /* pool_init threads two blocks */

    struct model *m = aligned_alloc(_Alignof(struct model), sizeof *m); /* its pool_none */
    if (!m)
        return MODEL_ENOMEM;
    memset(m, 0, sizeof *m);
    m->pool_none = (struct mpool){.addr = 1, .szidx = MODEL_NO_CLASS};
    m->geo = (struct model_geometry){
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
    memcpy(m->profile, hdr->profile, sizeof m->profile);
    m->profile[sizeof m->profile - 1] = '\0';
    m->pool_shift = log2u(psize);
    m->arena_shift = log2u(asize);
    m->align_shift = log2u(align);
    m->pool_mask = psize - 1;
    m->map_bits = hdr->arena_map_bits;
    for (uint32_t i = 0; i < nclasses; i++) {
        uint32_t size = (i + 1) * align;
        m->classes[i].size = size;
        m->classes[i].cap = (psize - over) / size;
        m->classes[i].magic = ((1ull << 40) + size - 1) / size;
    }
    for (uint32_t g = 0; g < hdr->ngenerations; g++)
        m->gen_threshold0[g] = hdr->thresholds[g];
    map_init(&m->arena_map);
    map_init(&m->radix_mid);
    map_init(&m->radix_bot);
    map_init(&m->block_stacks);
    map_init(&m->raw_index);
    map_init(&m->obj_index);
    map_init(&m->edge_index);
    map_init(&m->type_index);
    map_init(&m->stack_index);
    strtab_init(&m->strs);
    model_clear_state(m);
    *out = m;
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

/* Back to the empty heap; the containers keep their storage. */
void model_clear_state(struct model *m)
{
    for (uint32_t s = 0; s < m->nslots; s++)
        free_arena_pools(&m->arenas[s]);
    free(m->arenas);
    m->arenas = NULL;
    m->nslots = 0;
    m->narenas = 0;
    m->usable_head = m->usable_tail = -1;
    map_clear(&m->arena_map);
    map_clear(&m->radix_mid);
    map_clear(&m->radix_bot);
    m->arenas_total = m->arenas_highwater = m->last_serial = 0;
    m->any_serial = false;
    m->nreleased = m->released_head = 0;
    for (uint32_t i = 0; i < HEAP_STATS_MAX_CLASSES; i++) {
        struct mclass *c = &m->classes[i];
        *c = (struct mclass){.magic = c->magic, .size = c->size, .cap = c->cap};
    }
    for (size_t i = 0; i < MODEL_POOL_CACHE; i++)
        m->pool_cache[i] = &m->pool_none;
    map_clear(&m->block_stacks);
    map_clear(&m->raw_index);
    m->nraws = 0;
    m->raw_bytes = 0;
    m->block_bytes = m->mallocs = m->frees = 0;

    for (size_t i = 0; i < m->nobjs_slots; i++)
        free(m->objs[i].value);
    map_clear(&m->obj_index);
    m->nobjs_slots = m->nobjs = 0;
    m->obj_free_head = NONE;
    map_clear(&m->edge_index);
    m->nedge_slots = m->nedges = 0;
    m->edge_free_head = NONE;
    map_clear(&m->type_index);
    m->ntypes = 0;
    map_clear(&m->stack_index);
    m->nstacks = 0;
    m->nstack_bytes = 0;
    strtab_clear(&m->strs);
    for (size_t i = 0; i < m->nframes; i++)
        free(m->frames[i].names);
    m->nframes = 0;

    m->gc_enabled = true;
    m->collecting = m->has_phase = false;
    m->collecting_gen = m->gc_reason = m->phase = 0;
    m->phase_n = m->seq_start = m->seq_phase = 0;
    m->collections = m->collected_total = m->uncollectable_total = m->garbage = 0;
    m->garbage_list = m->garbage_pending = 0;
    for (uint32_t g = 0; g < MODEL_MAX_GENERATIONS; g++)
        m->gens[g] = (struct mgen){.head = NONE, .tail = NONE, .threshold = m->gen_threshold0[g]};
    m->nhistory = m->history_head = 0;
    m->nmarks = 0;

    m->has_step = false;
    m->step_number = m->step_seq = m->nsteps = 0;
    m->step_label_len = 0;
    for (size_t i = 0; i < MODEL_PRINTS_KEEP; i++) {
        free(m->prints[i].text);
        m->prints[i] = (struct mprint){0};
    }
    m->nprints = m->prints_head = 0;
    memset(m->freelists, 0, sizeof m->freelists);

    m->pos = 0;
    m->stopped = false;
    m->err_seq = 0;
    m->err[0] = '\0';
    m->expect = (struct mexpect){.kind = EV_KIND_COUNT};
}

void model_reset(struct model *m)
{
    model_clear_state(m);
}

void model_free(struct model *m)
{
    if (!m)
        return;
    model_clear_state(m);
    map_release(&m->arena_map);
    map_release(&m->radix_mid);
    map_release(&m->radix_bot);
    map_release(&m->block_stacks);
    map_release(&m->raw_index);
    map_release(&m->obj_index);
    map_release(&m->edge_index);
    map_release(&m->type_index);
    map_release(&m->stack_index);
    strtab_release(&m->strs);
    free(m->raws);
    free(m->objs);
    free(m->edges);
    free(m->types);
    free(m->stacks);
    free(m->stack_bytes);
    free(m->frames);
    free(m->marks);
    free(m->step_label);
    free(m);
}

uint64_t model_position(const struct model *m)
{
    return m->pos;
}

bool model_is_stopped(const struct model *m)
{
    return m->stopped;
}

const char *model_error(const struct model *m)
{
    return m->err;
}

uint64_t model_error_seq(const struct model *m)
{
    return m->err_seq;
}

/* ==== lookups ================================================================================= */

static inline struct mpool *pool_in_slot(const struct model *m, uint32_t slot, uint64_t paddr)
{
    if (slot >= m->nslots)
        return NULL;
    struct marena *a = &m->arenas[slot];
    if (!a->live || paddr < a->first_pool)
        return NULL;
    uint64_t i = (paddr - a->first_pool) >> m->pool_shift;
    return i < a->npools ? &a->pools[i] : NULL;
}

struct mpool *model_pool_lookup(const struct model *m, uint64_t addr)
{
    uint64_t paddr = addr & ~m->pool_mask;
    const uint64_t *v = map_get(&m->arena_map, (addr >> m->arena_shift) + 1);
    if (!v)
        return NULL;
    uint32_t lo = (uint32_t)*v, hi = (uint32_t)(*v >> 32);
    struct mpool *p = lo ? pool_in_slot(m, lo - 1, paddr) : NULL;
    if (!p && hi)
        p = pool_in_slot(m, hi - 1, paddr);
    return p;
}

const struct marena *model_arena_lookup(const struct model *m, uint64_t addr)
{
    const uint64_t *v = map_get(&m->arena_map, (addr >> m->arena_shift) + 1);
    if (!v)
        return NULL;
    for (int k = 0; k < 2; k++) {
        uint32_t s = (uint32_t)(*v >> (32 * k));
        if (!s)
            continue;
        const struct marena *a = &m->arenas[s - 1];
        if (a->live && addr >= a->base && addr - a->base < m->geo.arena_size)
            return a;
    }
    return NULL;
}

FOLD_INLINE struct mpool **pool_cache_slot(struct model *m, uint64_t paddr)
{
    return &m->pool_cache[(paddr >> m->pool_shift) & (MODEL_POOL_CACHE - 1)];
}

/* The pool holding addr, through the cache. */
FOLD_INLINE struct mpool *pool_of(struct model *m, uint64_t addr)
{
    uint64_t paddr = addr & ~m->pool_mask;
    struct mpool **slot = pool_cache_slot(m, paddr);
    struct mpool *p = *slot;
    if (__builtin_expect(p->addr == paddr, 1))
        return p;
    p = model_pool_lookup(m, addr);
    if (p)
        *slot = p;
    return p;
}

/* For the fold's hot paths: the index of the block of class c that starts at addr in p, or NONE
 * when no block starts there.  An address below the first block makes the offset wrap to a
 * number no block index times a size can equal. */
FOLD_INLINE uint32_t block_start_index(const struct model *m, const struct mpool *p,
                                       const struct mclass *c, uint64_t addr)
{
    uint64_t off = addr - p->addr - m->geo.pool_overhead;
    uint32_t idx = (uint32_t)((off * c->magic) >> 40);
    return idx < c->cap && (uint64_t)idx * c->size == off ? idx : NONE;
}

/* Block index of addr in p (a pool with a class); *exact when addr is the block's start.
 * NONE when addr is in the header or past the last block. */
uint32_t model_block_index(const struct model *m, const struct mpool *p, uint64_t addr, bool *exact)
{
    *exact = false;
    if (p->szidx >= m->geo.nclasses)
        return NONE;
    uint64_t off = addr - p->addr;
    if (off < m->geo.pool_overhead)
        return NONE;
    off -= m->geo.pool_overhead;
    uint32_t size = m->classes[p->szidx].size;
    uint32_t idx = (uint32_t)((off * m->classes[p->szidx].magic) >> 40);
    if (idx >= m->classes[p->szidx].cap)
        return NONE;
    *exact = (uint64_t)idx * size == off;
    return idx;
}

uint64_t model_arena_changed(const struct marena *a)
{
    uint64_t seq = a->seq_changed;
    for (uint32_t i = 0; i < a->ncarved; i++)
        if (a->pools[i].seq_changed > seq)
            seq = a->pools[i].seq_changed;
    return seq;
}

uint32_t model_pool_nfree(const struct mpool *p)
{
    uint32_t n = 0;
    for (uint32_t h = p->freehead; h && n <= p->blk_cap; h = p->blk[h - 1] & ~BLK_ALLOC)
        n++;
    return n;
}

uint32_t model_obj_lookup(const struct model *m, uint64_t addr)
{
    const uint64_t *v = map_get(&m->obj_index, addr);
    return v ? (uint32_t)*v : NONE;
}

/* ==== arenas ================================================================================== */

static bool arena_map_add(struct model *m, uint64_t key, uint32_t slot)
{
    uint64_t *v = map_get(&m->arena_map, key);
    uint64_t cur = v ? *v : 0;
    if ((uint32_t)cur == 0)
        cur |= slot + 1;
    else
        cur |= (uint64_t)(slot + 1) << 32;
    return map_put(&m->arena_map, key, cur);
}

static void arena_map_remove(struct model *m, uint64_t key, uint32_t slot)
{
    uint64_t *v = map_get(&m->arena_map, key);
    if (!v)
        return;
    uint64_t cur = *v;
    if ((uint32_t)cur == slot + 1)
        cur &= ~(uint64_t)UINT32_MAX;
    if ((uint32_t)(cur >> 32) == slot + 1)
        cur &= UINT32_MAX;
    if (cur == 0)
        map_del(&m->arena_map, key);
    else
        *v = cur;
}

/* The radix tree of 3.10+ marks the ideal arena slots an arena covers (its base's and, for a base
 * off an arena-size boundary, base + arena_size's); its mid and bottom nodes are created on first
 * use and never freed (reference section 2.8).  Addresses above the tree's width are not marked. */
bool model_radix_mark(struct model *m, uint64_t base)
{
    uint32_t bits = m->map_bits, abits = m->arena_shift;
    uint32_t interior = (bits - abits + 2) / 3, bot = bits - abits - 2 * interior;
    uint64_t keys[2] = {base, base + m->geo.arena_size};
    int n = (base & (m->geo.arena_size - 1)) ? 2 : 1;
    for (int i = 0; i < n; i++) {
        if (bits < 64 && keys[i] >> bits)
            continue;
        uint64_t midkey = keys[i] >> (abits + bot + interior);
        uint64_t botkey = keys[i] >> (abits + bot);
        if (!map_put(&m->radix_mid, midkey + 1, 1) || !map_put(&m->radix_bot, botkey + 1, 1))
            return false;
    }
    return true;
}

static int fold_arena_vector(struct model *m, const struct event *ev)
{
    uint64_t slots = ev->u.arena_vector.slots;
    if (slots < m->nslots || slots > (1u << 24))
        return fail_kind(m, ev, "the arenas vector cannot go from %" PRIu32 " to %" PRIu64 " slots",
                         m->nslots, slots);
    struct marena *a = realloc(m->arenas, (size_t)slots * sizeof *a);
    if (!a && slots)
        return oom(m);
    for (uint64_t s = m->nslots; s < slots; s++)
        a[s] = (struct marena){.usable_prev = -1, .usable_next = -1};
    m->arenas = a;
    m->nslots = (uint32_t)slots;
    return 0;
}

static int fold_arena_new(struct model *m, const struct event *ev)
{
    const struct event_arena_new *e = &ev->u.arena_new;
    if (e->slot >= m->nslots)
        return fail_kind(m, ev, "slot %" PRIu64 " is past the arenas vector (%" PRIu32 " slots)",
                         e->slot, m->nslots);
    struct marena *a = &m->arenas[e->slot];
    if (a->live)
        return fail_kind(m, ev, "slot %" PRIu64 " already holds an arena", e->slot);
    uint64_t asize = m->geo.arena_size, psize = m->geo.pool_size;
    if (e->base == 0 || e->base > UINT64_MAX - 2 * asize || (e->base & (m->geo.alignment - 1)))
        return fail_kind(m, ev, "base 0x%" PRIx64 " is not a possible arena address", e->base);
    uint64_t excess = e->base & m->pool_mask;
    uint64_t sliver = excess ? psize - excess : 0;
    uint64_t npools = m->geo.max_pools - (excess ? 1 : 0);
    if (e->sliver != sliver || e->npools != npools)
        return fail_kind(m, ev,
                         "an arena at 0x%" PRIx64 " has %" PRIu64 " pools and a sliver of %" PRIu64
                         " bytes, not %" PRIu64 " and %" PRIu64,
                         e->base, npools, sliver, e->npools, e->sliver);
    if (m->any_serial && e->serial <= m->last_serial)
        return fail_kind(m, ev, "serial %" PRIu64 " after serial %" PRIu64, e->serial,
                         m->last_serial);
    if (model_arena_lookup(m, e->base) || model_arena_lookup(m, e->base + asize - 1))
        return fail_kind(m, ev, "0x%" PRIx64 " overlaps a live arena", e->base);
    for (size_t i = 0; i < m->nraws; i++) /* arenas are rare: a walk is fine */
        if (m->raws[i].addr - e->base < asize)
            return fail_kind(m, ev, "raw block 0x%" PRIx64 " lies in it", m->raws[i].addr);
    struct mpool *pools = pools_new(npools);
    if (!pools)
        return oom(m);
    uint32_t slot = (uint32_t)e->slot;
    uint64_t first = e->base + sliver;
    for (uint32_t i = 0; i < npools; i++)
        pools[i] = (struct mpool){.addr = first + (uint64_t)i * psize,
                                  .szidx = MODEL_NO_CLASS,
                                  .slot = slot,
                                  .state = MODEL_POOL_UNTOUCHED};
    uint64_t k0 = (e->base >> m->arena_shift) + 1, k1 = ((e->base + asize - 1) >> m->arena_shift) + 1;
    if (!arena_map_add(m, k0, slot) || (k1 != k0 && !arena_map_add(m, k1, slot)) ||
        (m->geo.radix_tree && !model_radix_mark(m, e->base))) {
        arena_map_remove(m, k0, slot);
        arena_map_remove(m, k1, slot);
        free(pools);
        return oom(m);
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
        .seq_new = m->pos,
        .seq_changed = m->pos,
    };
    m->narenas++;
    m->arenas_total++;
    if (m->narenas > m->arenas_highwater)
        m->arenas_highwater = m->narenas;
    m->last_serial = e->serial;
    m->any_serial = true;
    return 0;
}

static void usable_unlink(struct model *m, struct marena *a)
{
    if (!a->on_usable)
        return;
    if (a->usable_prev >= 0)
        m->arenas[a->usable_prev].usable_next = a->usable_next;
    else
        m->usable_head = a->usable_next;
    if (a->usable_next >= 0)
        m->arenas[a->usable_next].usable_prev = a->usable_prev;
    else
        m->usable_tail = a->usable_prev;
    a->usable_prev = a->usable_next = -1;
    a->on_usable = false;
    m->usable_dirty = true;
}

/* Links arena `slot` after arena `after` (-1: at the head). */
void model_usable_insert_after(struct model *m, int32_t slot, int32_t after)
{
    struct marena *a = &m->arenas[slot];
    a->usable_prev = after;
    a->usable_next = after >= 0 ? m->arenas[after].usable_next : m->usable_head;
    if (after >= 0)
        m->arenas[after].usable_next = slot;
    else
        m->usable_head = slot;
    if (a->usable_next >= 0)
        m->arenas[a->usable_next].usable_prev = slot;
    else
        m->usable_tail = slot;
    a->on_usable = true;
    m->usable_dirty = true;
}

static int fold_arena_move(struct model *m, const struct event *ev)
{
    const struct event_arena_move *e = &ev->u.arena_move;
    if (e->slot >= m->nslots || !m->arenas[e->slot].live)
        return fail_kind(m, ev, "no arena in slot %" PRIu64, e->slot);
    int64_t after = e->after;
    if (after < -1 || after > (int64_t)m->nslots)
        return fail_kind(m, ev, "no slot %" PRId64 " to move after", after - 1);
    if (after > 0) {
        uint64_t t = (uint64_t)after - 1;
        if (t == e->slot || !m->arenas[t].live || !m->arenas[t].on_usable)
            return fail_kind(m, ev, "slot %" PRIu64 " is not on usable_arenas", t);
    }
    struct marena *a = &m->arenas[e->slot];
    usable_unlink(m, a);
    if (after >= 0)
        model_usable_insert_after(m, (int32_t)e->slot, (int32_t)after - 1);
    a->seq_changed = m->pos;
    return 0;
}

static int fold_arena_free(struct model *m, const struct event *ev)
{
    const struct event_arena_free *e = &ev->u.arena_free;
    if (e->slot >= m->nslots || !m->arenas[e->slot].live)
        return fail_kind(m, ev, "no arena in slot %" PRIu64, e->slot);
    struct marena *a = &m->arenas[e->slot];
    if (a->base != e->base)
        return fail_kind(m, ev, "slot %" PRIu64 " holds the arena at 0x%" PRIx64 ", not 0x%" PRIx64,
                         e->slot, a->base, e->base);
    if (a->on_usable)
        return fail_kind(m, ev, "the arena in slot %" PRIu64 " is still on usable_arenas", e->slot);
    if (a->nfreepools != a->npools)
        return fail_kind(m, ev, "the arena in slot %" PRIu64 " still has %" PRIu32 " pools in use",
                         e->slot, a->npools - a->nfreepools);
    for (struct mpool *p = a->cache; p; p = p->next)
        if (p->szidx < m->geo.nclasses)
            m->classes[p->szidx].empty--;
    uint32_t slot = (uint32_t)e->slot;
    uint64_t k0 = (a->base >> m->arena_shift) + 1;
    uint64_t k1 = ((a->base + m->geo.arena_size - 1) >> m->arena_shift) + 1;
    arena_map_remove(m, k0, slot);
    if (k1 != k0)
        arena_map_remove(m, k1, slot);
    size_t i = (m->released_head + MODEL_RELEASED_KEEP - 1) % MODEL_RELEASED_KEEP;
    m->released[i] = (struct model_released){
        .slot = slot,
        .serial = a->serial,
        .base = a->base,
        .npools = a->npools,
        .sliver = a->sliver,
        .seq_new = a->seq_new,
        .seq_freed = m->pos,
    };
    m->released_head = i;
    if (m->nreleased < MODEL_RELEASED_KEEP)
        m->nreleased++;
    for (struct mpool *p = a->pools; p < a->pools + a->npools; p++) {
        struct mpool **c = pool_cache_slot(m, p->addr);
        if (*c == p)
            *c = &m->pool_none;
    }
    free_arena_pools(a);
    *a = (struct marena){.usable_prev = -1, .usable_next = -1};
    m->narenas--;
    return 0;
}

/* ==== pools =================================================================================== */

/* Makes room for the block words of p's class and marks every block virgin. */
bool model_pool_prepare_blocks(struct model *m, struct mpool *p)
{
    uint32_t cap = m->classes[p->szidx].cap;
    if (p->blk_cap < cap) {
        uint32_t *b = realloc(p->blk, (size_t)cap * sizeof *b);
        if (!b)
            return false;
        p->blk = b;
        p->blk_cap = cap;
    }
    memset(p->blk, 0, (size_t)cap * sizeof *p->blk);
    return true;
}

FOLD_INLINE struct mpool *pool_event_target(struct model *m, const struct event *ev, uint64_t addr)
{
    if (addr & m->pool_mask) {
        fail_kind(m, ev, "0x%" PRIx64 " is not a pool address", addr);
        return NULL;
    }
    struct mpool *p = pool_of(m, addr);
    if (!p)
        fail_kind(m, ev, "0x%" PRIx64 " is not a pool of a live arena", addr);
    return p;
}

/* A pool is taken from the head of usable_arenas; when that took its last free pool the arena
 * may already have left the list (ARENA_MOVE before or after the pool event). */
static bool arena_can_give_pool(const struct model *m, uint32_t slot)
{
    const struct marena *a = &m->arenas[slot];
    if (a->nfreepools == 0)
        return false;
    if (a->on_usable)
        return m->usable_head == (int32_t)slot;
    return a->nfreepools == 1;
}

static int fold_pool_carve(struct model *m, const struct event *ev)
{
    const struct event_pool_carve *e = &ev->u.pool_carve;
    struct mpool *p = pool_event_target(m, ev, e->pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    struct marena *a = &m->arenas[p->slot];
    if (p->slot != e->slot)
        return fail_kind(m, ev, "pool 0x%" PRIx64 " is in slot %" PRIu32 ", not %" PRIu64, e->pool,
                         p->slot, e->slot);
    if (p != &a->pools[a->ncarved])
        return fail_kind(m, ev, "pool 0x%" PRIx64 " is not at the arena's high-water mark 0x%" PRIx64,
                         e->pool, a->first_pool + ((uint64_t)a->ncarved << m->pool_shift));
    if (a->cache)
        return fail_kind(m, ev, "the arena has an empty pool to reuse at 0x%" PRIx64,
                         a->cache->addr);
    if (!arena_can_give_pool(m, p->slot))
        return fail_kind(m, ev, "the arena in slot %" PRIu32 " is not the head of usable_arenas",
                         p->slot);
    p->state = MODEL_POOL_CARVED;
    p->szidx = MODEL_NO_CLASS;
    p->seq_changed = m->pos;
    a->ncarved++;
    a->nfreepools--;
    return 0;
}

static int fold_pool_uncache(struct model *m, const struct event *ev)
{
    struct mpool *p = pool_event_target(m, ev, ev->u.pool_uncache.pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    struct marena *a = &m->arenas[p->slot];
    if (p->state != MODEL_POOL_EMPTY || a->cache != p)
        return fail_kind(m, ev, "pool 0x%" PRIx64 " is not the head of its arena's cache", p->addr);
    if (!arena_can_give_pool(m, p->slot))
        return fail_kind(m, ev, "the arena in slot %" PRIu32 " is not the head of usable_arenas",
                         p->slot);
    a->cache = p->next;
    p->next = NULL;
    a->nempty--;
    a->nfreepools--;
    m->classes[p->szidx].empty--;
    p->state = MODEL_POOL_CARVED;
    p->seq_changed = m->pos;
    return 0;
}

FOLD_INLINE void pool_become_used(struct model *m, struct mpool *p)
{
    model_ring_link_front(m, p);
    p->state = MODEL_POOL_USED;
    m->arenas[p->slot].nused++;
}

static int fold_pool_init(struct model *m, const struct event *ev)
{
    const struct event_pool_init *e = &ev->u.pool_init;
    struct mpool *p = pool_event_target(m, ev, e->pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    if (p->state != MODEL_POOL_CARVED)
        return fail_kind(m, ev, "pool 0x%" PRIx64 " is %s, not newly carved or uncached", p->addr,
                         model_pool_state_name(p->state));
    if (e->szidx >= m->geo.nclasses)
        return fail_kind(m, ev, "no size class %" PRIu64, e->szidx);
    if (m->classes[e->szidx].ring)
        return fail_kind(m, ev, "class %" PRIu64 " still has a used pool at 0x%" PRIx64, e->szidx,
                         m->classes[e->szidx].ring->addr);
    uint16_t old = p->szidx;
    p->szidx = (uint16_t)e->szidx;
    if (!model_pool_prepare_blocks(m, p)) {
        p->szidx = old;
        return oom(m);
    }
    p->count = 0;
    p->blk[0] = 2; /* block 0 -> block 1 -> end */
    p->blk[1] = 0;
    p->freehead = 1;
    p->nextoffset = m->geo.pool_overhead + 2 * m->classes[p->szidx].size;
    pool_become_used(m, p);
    p->seq_changed = m->pos;
    return 0;
}

/* Pool transitions.  A pool_full or pool_unfull follows the block event that made it certain
 * (m->expect); the checks here catch one that comes from nowhere. */
FOLD_INLINE int fold_pool_full(struct model *m, const struct event *ev)
{
    struct mpool *p = pool_event_target(m, ev, ev->u.pool_full.pool);
    if (__builtin_expect(!p, 0))
        return MODEL_EINCONSISTENT;
    if (__builtin_expect(p->state != MODEL_POOL_USED || p->freehead ||
                             p->nextoffset <= m->geo.pool_size - m->classes[p->szidx].size,
                         0))
        return fail_kind(m, ev, "pool 0x%" PRIx64 " still has a block available", p->addr);
    model_ring_unlink(m, p);
    p->state = MODEL_POOL_FULL;
    struct marena *a = &m->arenas[p->slot];
    a->nused--;
    a->nfull++;
    m->classes[p->szidx].full++;
    p->seq_changed = m->pos;
    return 0;
}

FOLD_INLINE int fold_pool_unfull(struct model *m, const struct event *ev)
{
    struct mpool *p = pool_event_target(m, ev, ev->u.pool_unfull.pool);
    if (__builtin_expect(!p, 0))
        return MODEL_EINCONSISTENT;
    if (__builtin_expect(p->state != MODEL_POOL_FULL || !p->freehead, 0))
        return fail_kind(m, ev, "pool 0x%" PRIx64 " is %s, not a full pool with a freed block",
                         p->addr, model_pool_state_name(p->state));
    m->classes[p->szidx].full--;
    m->arenas[p->slot].nfull--;
    pool_become_used(m, p);
    p->seq_changed = m->pos;
    return 0;
}

static int fold_pool_empty(struct model *m, const struct event *ev)
{
    struct mpool *p = pool_event_target(m, ev, ev->u.pool_empty.pool);
    if (!p)
        return MODEL_EINCONSISTENT;
    if (p->state != MODEL_POOL_USED || p->count != 0)
        return fail_kind(m, ev, "pool 0x%" PRIx64 " is %s with %" PRIu32 " blocks allocated",
                         p->addr, model_pool_state_name(p->state), p->count);
    model_ring_unlink(m, p);
    struct marena *a = &m->arenas[p->slot];
    p->next = a->cache;
    a->cache = p;
    p->state = MODEL_POOL_EMPTY;
    a->nused--;
    a->nempty++;
    a->nfreepools++;
    m->classes[p->szidx].empty++;
    p->seq_changed = m->pos;
    return 0;
}

/* ==== blocks ================================================================================== */

/* The two events that make most of a trace.  Each touches the event, the pool's record, the
 * block's word and the class's record, and checks the event against them before changing
 * anything; what is rare (a stack id, a reused pool, a failure) is off the straight path. */

FOLD_INLINE int fold_block_alloc(struct model *m, const struct event *ev)
{
    const struct event_block_alloc *e = &ev->u.block_alloc;
    struct mpool *p = pool_of(m, e->addr);
    if (__builtin_expect(!p || p->szidx >= m->geo.nclasses, 0))
        return fail_kind(m, ev, "0x%" PRIx64 " is not in a pool with a size class", e->addr);
    struct mclass *c = &m->classes[p->szidx];
    /* An uncached pool of the same class is reused without pool_init: the allocation names
     * its class, and it becomes the only member of the ring. */
    bool reuse = p->state == MODEL_POOL_CARVED;
    if (__builtin_expect(reuse ? c->ring != NULL : p->state != MODEL_POOL_USED || c->ring != p, 0))
        return fail_kind(m, ev, "pool 0x%" PRIx64 " is not the front of class %" PRIu32 "'s ring",
                         p->addr, p->szidx);
    /* a class index below nclasses bounds the size by the threshold */
    if (__builtin_expect(e->size == 0 || ((e->size - 1) >> m->align_shift) != p->szidx, 0))
        return fail_kind(m, ev, "a request of %" PRIu64 " bytes is not for class %" PRIu32, e->size,
                         p->szidx);
    uint32_t idx = block_start_index(m, p, c, e->addr);
    if (__builtin_expect(idx + 1 != p->freehead || idx == NONE, 0))
        return fail_kind(m, ev, "0x%" PRIx64 " is not the head of pool 0x%" PRIx64 "'s free list",
                         e->addr, p->addr);
    uint32_t word = BLK_ALLOC | (uint32_t)e->size;
    if (__builtin_expect(e->stack != 0, 0)) {
        if (e->stack > UINT32_MAX)
            return fail_kind(m, ev, "stack id %" PRIu64 " is too large", e->stack);
        if (!map_put(&m->block_stacks, e->addr, e->stack))
            return oom(m);
        word |= BLK_STACK;
    }
    if (__builtin_expect(reuse, 0))
        pool_become_used(m, p);
    p->freehead = p->blk[idx];
    p->blk[idx] = word;
    p->count++;
    p->seq_changed = m->pos;
    c->in_use++;
    c->requested += e->size;
    m->block_bytes += c->size;
    m->mallocs++;
    if (!p->freehead) {
        if (p->nextoffset <= m->geo.pool_size - c->size) {
            /* pymalloc_pool_extend: the next virgin block becomes the free list */
            uint32_t v = (p->nextoffset - m->geo.pool_overhead) / c->size;
            p->blk[v] = 0;
            p->freehead = v + 1;
            p->nextoffset += c->size;
        } else {
            m->expect = (struct mexpect){.kind = EV_POOL_FULL, .pool = p->addr};
        }
    }
    return 0;
}

FOLD_INLINE int fold_block_free(struct model *m, const struct event *ev)
{
    uint64_t addr = ev->u.block_free.addr;
    struct mpool *p = pool_of(m, addr);
    /* USED and FULL are the two states with blocks allocated, and neighbours */
    if (__builtin_expect(!p || (unsigned)(p->state - MODEL_POOL_USED) > 1, 0))
        return fail_kind(m, ev, "0x%" PRIx64 " is not in a pool with allocated blocks", addr);
    struct mclass *c = &m->classes[p->szidx];
    uint32_t idx = block_start_index(m, p, c, addr);
    uint32_t w = idx != NONE ? p->blk[idx] : 0;
    if (__builtin_expect(!(w & BLK_ALLOC), 0))
        return fail_kind(m, ev, "0x%" PRIx64 " is not an allocated block", addr);
    if (__builtin_expect(w & (BLK_OBJ | BLK_STACK), 0)) {
        if (w & BLK_OBJ)
            return fail_kind(m, ev, "block 0x%" PRIx64 " still holds a live object", addr);
        map_del(&m->block_stacks, addr);
    }
    uint32_t req = w & BLK_REQ_MASK;
    p->blk[idx] = p->freehead;
    p->freehead = idx + 1;
    p->count--;
    p->seq_changed = m->pos;
    c->in_use--;
    c->requested -= req;
    m->block_bytes -= c->size;
    m->frees++;
    if (p->state == MODEL_POOL_FULL)
        m->expect = (struct mexpect){.kind = EV_POOL_UNFULL, .pool = p->addr};
    else if (p->count == 0)
        m->expect = (struct mexpect){.kind = EV_POOL_EMPTY, .pool = p->addr};
    return 0;
}

/* ==== the raw layer =========================================================================== */

static struct mraw *raw_get(const struct model *m, uint64_t addr)
{
    const uint64_t *v = map_get(&m->raw_index, addr);
    return v ? &m->raws[*v] : NULL;
}

static bool raw_insert(struct model *m, const struct mraw *r)
{
    if (!codec_array_reserve((void **)&m->raws, &m->raws_cap, m->nraws + 1, sizeof *m->raws))
        return false;
    if (!map_put(&m->raw_index, r->addr, m->nraws))
        return false;
    m->raws[m->nraws++] = *r;
    m->raw_bytes += r->size;
    return true;
}

static void raw_remove(struct model *m, uint64_t addr)
{
    uint64_t *v = map_get(&m->raw_index, addr);
    size_t i = (size_t)*v;
    m->raw_bytes -= m->raws[i].size;
    map_del(&m->raw_index, addr);
    if (i != m->nraws - 1) {
        m->raws[i] = m->raws[m->nraws - 1];
        *map_get(&m->raw_index, m->raws[i].addr) = i;
    }
    m->nraws--;
}

static int fold_raw_alloc(struct model *m, const struct event *ev)
{
    const struct event_raw_alloc *e = &ev->u.raw_alloc;
    if (e->addr == 0 || raw_get(m, e->addr))
        return fail_kind(m, ev, "0x%" PRIx64 " is already a raw block", e->addr);
    if (model_arena_lookup(m, e->addr))
        return fail_kind(m, ev, "0x%" PRIx64 " lies in an arena", e->addr);
    if (e->why >= EV_RAW_WHY_COUNT || e->stack > UINT32_MAX)
        return fail_kind(m, ev, "bad reason %" PRIu64 " or stack %" PRIu64, e->why, e->stack);
    struct mraw r = {.addr = e->addr, .size = e->size, .seq = m->pos, .why = (uint32_t)e->why,
                     .stack = (uint32_t)e->stack};
    if (!raw_insert(m, &r))
        return oom(m);
    m->mallocs++;
    return 0;
}

static int fold_raw_free(struct model *m, const struct event *ev)
{
    struct mraw *r = raw_get(m, ev->u.raw_free.addr);
    if (!r)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a raw block", ev->u.raw_free.addr);
    if (r->obj)
        return fail_kind(m, ev, "raw block 0x%" PRIx64 " still holds a live object", r->addr);
    raw_remove(m, ev->u.raw_free.addr);
    m->frees++;
    return 0;
}

static int fold_raw_realloc(struct model *m, const struct event *ev)
{
    const struct event_raw_realloc *e = &ev->u.raw_realloc;
    struct mraw *r = raw_get(m, e->old);
    if (!r)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a raw block", e->old);
    if (e->addr == 0 || (e->addr != e->old && raw_get(m, e->addr)))
        return fail_kind(m, ev, "0x%" PRIx64 " is already a raw block", e->addr);
    if (e->addr != e->old && model_arena_lookup(m, e->addr))
        return fail_kind(m, ev, "0x%" PRIx64 " lies in an arena", e->addr);
    if (r->obj)
        return fail_kind(m, ev, "raw block 0x%" PRIx64 " holds a live object", r->addr);
    struct mraw n = *r;
    raw_remove(m, e->old);
    n.addr = e->addr;
    n.size = e->size;
    n.seq = m->pos;
    if (!raw_insert(m, &n))
        return oom(m);
    return 0;
}

/* True when addr starts a live allocation: an allocated pool block or a raw block. */
static bool is_live_allocation(const struct model *m, uint64_t addr)
{
    if (raw_get(m, addr))
        return true;
    const struct mpool *p = model_pool_lookup(m, addr);
    if (!p || (p->state != MODEL_POOL_USED && p->state != MODEL_POOL_FULL))
        return false;
    bool exact;
    uint32_t idx = model_block_index(m, p, addr, &exact);
    return idx != NONE && exact && (p->blk[idx] & BLK_ALLOC);
}

static int fold_realloc(struct model *m, const struct event *ev)
{
    const struct event_realloc *e = &ev->u.realloc;
    if (e->outcome >= EV_REALLOC_OUTCOME_COUNT)
        return fail_kind(m, ev, "no outcome %" PRIu64, e->outcome);
    if (e->outcome == EV_REALLOC_IN_PLACE) {
        if (e->addr != e->old)
            return fail_kind(m, ev, "in place, yet 0x%" PRIx64 " became 0x%" PRIx64, e->old, e->addr);
        struct mpool *p = pool_of(m, e->addr);
        bool exact;
        uint32_t idx = p && p->szidx < m->geo.nclasses ? model_block_index(m, p, e->addr, &exact)
                                                       : NONE;
        if (idx == NONE || !exact || !(p->blk[idx] & BLK_ALLOC))
            return fail_kind(m, ev, "0x%" PRIx64 " is not an allocated block", e->addr);
        if (e->size == 0 || e->size > m->classes[p->szidx].size)
            return fail_kind(m, ev, "%" PRIu64 " bytes do not fit in a block of %" PRIu32, e->size,
                             m->classes[p->szidx].size);
        uint32_t w = p->blk[idx], req = w & BLK_REQ_MASK;
        p->blk[idx] = (w & ~BLK_REQ_MASK) | (uint32_t)e->size;
        m->classes[p->szidx].requested += e->size - req;
        p->seq_changed = m->pos;
        return 0;
    }
    if (!is_live_allocation(m, e->addr))
        return fail_kind(m, ev, "0x%" PRIx64 " is not allocated", e->addr);
    return 0;
}

static int fold_calloc(struct model *m, const struct event *ev)
{
    if (!is_live_allocation(m, ev->u.calloc.addr))
        return fail_kind(m, ev, "0x%" PRIx64 " is not allocated", ev->u.calloc.addr);
    return 0;
}

/* ==== types and stacks ======================================================================== */

static int fold_type_new(struct model *m, const struct event *ev)
{
    const struct event_type_new *e = &ev->u.type_new;
    if (e->type == 0 || e->type > UINT32_MAX || map_get(&m->type_index, e->type))
        return fail_kind(m, ev, "type %" PRIu64 " is already defined or not a type id", e->type);
    if (!codec_array_reserve((void **)&m->types, &m->types_cap, m->ntypes + 1, sizeof *m->types))
        return oom(m);
    uint32_t name = strtab_intern(&m->strs, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    if (name == STR_NONE || !map_put(&m->type_index, e->type, m->ntypes + 1))
        return oom(m);
    m->types[m->ntypes++] = (struct mtype){.id = (uint32_t)e->type,
                                           .name = name,
                                           .basicsize = e->basicsize,
                                           .itemsize = e->itemsize,
                                           .flags = (uint32_t)e->flags};
    return 0;
}

static struct mtype *type_get(const struct model *m, uint64_t id)
{
    const uint64_t *v = map_get(&m->type_index, id);
    return v ? &m->types[*v - 1] : NULL;
}

static int fold_stack_def(struct model *m, const struct event *ev)
{
    const struct event_stack_def *e = &ev->u.stack_def;
    if (e->id == 0 || e->id > UINT32_MAX || map_get(&m->stack_index, e->id))
        return fail_kind(m, ev, "stack %" PRIu64 " is already defined or not a stack id", e->id);
    size_t len = ev->str ? ev->str_len : 0;
    if (!codec_array_reserve((void **)&m->stacks, &m->stacks_cap, m->nstacks + 1, sizeof *m->stacks) ||
        !codec_array_reserve((void **)&m->stack_bytes, &m->stack_bytes_cap, m->nstack_bytes + len + 1, 1) ||
        !map_put(&m->stack_index, e->id, m->nstacks + 1))
        return oom(m);
    if (len)
        memcpy(m->stack_bytes + m->nstack_bytes, ev->str, len);
    m->stack_bytes[m->nstack_bytes + len] = '\0';
    m->stacks[m->nstacks++] = (struct mstack){.id = (uint32_t)e->id,
                                              .depth = e->depth > UINT32_MAX ? UINT32_MAX
                                                                             : (uint32_t)e->depth,
                                              .off = m->nstack_bytes,
                                              .len = (uint32_t)len};
    m->nstack_bytes += len + 1;
    return 0;
}

/* ==== objects ================================================================================= */

uint32_t model_obj_alloc(struct model *m, uint64_t addr)
{
    uint32_t i;
    if (m->obj_free_head != NONE) {
        i = m->obj_free_head;
        m->obj_free_head = m->objs[i].gen_next;
    } else {
        if (m->nobjs_slots >= NONE - 1 ||
            !codec_array_reserve((void **)&m->objs, &m->objs_cap, m->nobjs_slots + 1, sizeof *m->objs))
            return NONE;
        i = (uint32_t)m->nobjs_slots++;
    }
    if (!map_put(&m->obj_index, addr, i)) {
        m->objs[i].gen_next = m->obj_free_head;
        m->obj_free_head = i;
        return NONE;
    }
    m->objs[i] = (struct mobj){
        .addr = addr,
        .gen_prev = NONE,
        .gen_next = NONE,
        .out_head = NONE,
        .in_head = NONE,
        .mark_idx = NONE,
        .gen = -1,
        .live = true,
    };
    m->nobjs++;
    return i;
}

/* Finds the allocation holding a new object: its pool block, or a raw block that starts at most
 * 64 bytes before it (the GC header).  Returns false when obj is in no live allocation. */
static bool object_memory(struct model *m, uint64_t obj, uint64_t *block, struct mpool **pool,
                          uint32_t *idx, struct mraw **raw)
{
    *pool = NULL;
    *raw = NULL;
    struct mpool *p = pool_of(m, obj);
    if (p) {
        if (p->state != MODEL_POOL_USED && p->state != MODEL_POOL_FULL)
            return false;
        bool exact;
        uint32_t i = model_block_index(m, p, obj, &exact);
        if (i == NONE || !(p->blk[i] & BLK_ALLOC))
            return false;
        *pool = p;
        *idx = i;
        *block = p->addr + m->geo.pool_overhead + (uint64_t)i * m->classes[p->szidx].size;
        return true;
    }
    for (uint64_t back = 0; back <= 64 && back <= obj; back += m->geo.alignment) {
        struct mraw *r = raw_get(m, obj - back);
        if (r) {
            if (r->size <= back)
                return false;
            *raw = r;
            *block = r->addr;
            return true;
        }
    }
    return false;
}

static int fold_obj_new(struct model *m, const struct event *ev)
{
    const struct event_obj_new *e = &ev->u.obj_new;
    if (e->obj == 0 || model_obj_lookup(m, e->obj) != NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is already a live object", e->obj);
    struct mtype *t = type_get(m, e->type);
    if (!t)
        return fail_kind(m, ev, "type %" PRIu64 " is not defined", e->type);
    if (e->flags & ~(uint64_t)(EV_OBJ_FREELIST | EV_OBJ_STATIC) || e->stack > UINT32_MAX)
        return fail_kind(m, ev, "bad flags %#" PRIx64 " or stack %" PRIu64, e->flags, e->stack);
    uint64_t block = 0;
    struct mpool *p = NULL;
    struct mraw *r = NULL;
    uint32_t bi = 0;
    if (!(e->flags & EV_OBJ_STATIC)) {
        if (!object_memory(m, e->obj, &block, &p, &bi, &r))
            return fail_kind(m, ev, "0x%" PRIx64 " is not in allocated memory", e->obj);
        if ((p && (p->blk[bi] & BLK_OBJ)) || (r && r->obj))
            return fail_kind(m, ev, "the memory at 0x%" PRIx64 " already holds a live object",
                             block);
    }
    uint32_t i = model_obj_alloc(m, e->obj);
    if (i == NONE)
        return oom(m);
    struct mobj *o = &m->objs[i];
    o->type = (uint32_t)e->type;
    o->size = e->size;
    o->block = block;
    o->refcnt = 1;
    o->seq_refcnt = o->seq_new = m->pos;
    o->stack = (uint32_t)e->stack;
    o->flags = (e->flags & EV_OBJ_STATIC ? MODEL_OBJ_STATIC : 0) |
               (e->flags & EV_OBJ_FREELIST ? MODEL_OBJ_FREELIST : 0);
    if (p)
        p->blk[bi] |= BLK_OBJ;
    if (r)
        r->obj = true;
    t->live++;
    return 0;
}

static inline uint64_t edge_key(uint64_t owner, uint64_t obj)
{
    uint64_t k = map_hash(owner) ^ (obj * 0xC2B2AE3D27D4EB4Full) ^ (obj >> 31);
    return k ? k : 1;
}

static uint32_t edge_find(const struct model *m, uint64_t owner, uint64_t obj)
{
    const uint64_t *v = map_get(&m->edge_index, edge_key(owner, obj));
    for (uint32_t i = v ? (uint32_t)*v - 1 : NONE; i != NONE; i = m->edges[i].hash_next)
        if (m->edges[i].owner == owner && m->edges[i].obj == obj)
            return i;
    return NONE;
}

bool model_edge_add(struct model *m, uint32_t owner_idx, uint32_t obj_idx, uint64_t owner,
                    uint64_t obj, uint64_t count)
{
    uint32_t i;
    if (m->edge_free_head != NONE) {
        i = m->edge_free_head;
        m->edge_free_head = m->edges[i].hash_next;
    } else {
        if (m->nedge_slots >= NONE - 1 ||
            !codec_array_reserve((void **)&m->edges, &m->edges_cap, m->nedge_slots + 1, sizeof *m->edges))
            return false;
        i = (uint32_t)m->nedge_slots++;
    }
    uint64_t key = edge_key(owner, obj);
    uint64_t *v = map_get(&m->edge_index, key);
    uint32_t next = v ? (uint32_t)*v - 1 : NONE;
    if (!map_put(&m->edge_index, key, (uint64_t)i + 1)) {
        m->edges[i].hash_next = m->edge_free_head;
        m->edge_free_head = i;
        return false;
    }
    struct mobj *ow = &m->objs[owner_idx], *ob = &m->objs[obj_idx];
    m->edges[i] = (struct medge){
        .owner = owner,
        .obj = obj,
        .count = count,
        .owner_idx = owner_idx,
        .obj_idx = obj_idx,
        .out_next = ow->out_head,
        .out_prev = NONE,
        .in_next = ob->in_head,
        .in_prev = NONE,
        .hash_next = next,
        .live = true,
    };
    if (ow->out_head != NONE)
        m->edges[ow->out_head].out_prev = i;
    ow->out_head = i;
    if (ob->in_head != NONE)
        m->edges[ob->in_head].in_prev = i;
    ob->in_head = i;
    ob->in_total += count;
    m->nedges++;
    return true;
}

static void edge_remove(struct model *m, uint32_t i)
{
    struct medge *e = &m->edges[i];
    struct mobj *ow = &m->objs[e->owner_idx], *ob = &m->objs[e->obj_idx];
    if (e->out_prev != NONE)
        m->edges[e->out_prev].out_next = e->out_next;
    else
        ow->out_head = e->out_next;
    if (e->out_next != NONE)
        m->edges[e->out_next].out_prev = e->out_prev;
    if (e->in_prev != NONE)
        m->edges[e->in_prev].in_next = e->in_next;
    else
        ob->in_head = e->in_next;
    if (e->in_next != NONE)
        m->edges[e->in_next].in_prev = e->in_prev;
    ob->in_total -= e->count;
    uint64_t key = edge_key(e->owner, e->obj);
    uint64_t *v = map_get(&m->edge_index, key);
    if ((uint32_t)*v - 1 == i) {
        if (e->hash_next == NONE)
            map_del(&m->edge_index, key);
        else
            *v = (uint64_t)e->hash_next + 1;
    } else {
        uint32_t j = (uint32_t)*v - 1;
        while (m->edges[j].hash_next != i)
            j = m->edges[j].hash_next;
        m->edges[j].hash_next = e->hash_next;
    }
    e->live = false;
    e->hash_next = m->edge_free_head;
    m->edge_free_head = i;
    m->nedges--;
}

static void gen_unlink(struct model *m, uint32_t i)
{
    struct mobj *o = &m->objs[i];
    struct mgen *g = &m->gens[o->gen];
    if (o->gen_prev != NONE)
        m->objs[o->gen_prev].gen_next = o->gen_next;
    else
        g->head = o->gen_next;
    if (o->gen_next != NONE)
        m->objs[o->gen_next].gen_prev = o->gen_prev;
    else
        g->tail = o->gen_prev;
    o->gen_prev = o->gen_next = NONE;
    o->gen = -1;
    g->objects--;
}

void model_gen_append(struct model *m, uint32_t gen, uint32_t i)
{
    struct mobj *o = &m->objs[i];
    struct mgen *g = &m->gens[gen];
    o->gen = (int8_t)gen;
    o->gen_next = NONE;
    o->gen_prev = g->tail;
    if (g->tail != NONE)
        m->objs[g->tail].gen_next = i;
    else
        g->head = i;
    g->tail = i;
    g->objects++;
}

static int fold_obj_free(struct model *m, const struct event *ev)
{
    const struct event_obj_free *e = &ev->u.obj_free;
    uint32_t i = model_obj_lookup(m, e->obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", e->obj);
    struct mobj *o = &m->objs[i];
    if (o->refcnt != 0)
        return fail_kind(m, ev, "0x%" PRIx64 " still has %" PRIu64 " references", e->obj, o->refcnt);
    if (o->gen >= 0)
        return fail_kind(m, ev, "0x%" PRIx64 " is still tracked by the collector", e->obj);
    while (o->out_head != NONE)
        edge_remove(m, o->out_head);
    while (o->in_head != NONE) /* none while refcnt >= in_total holds; kept for safety */
        edge_remove(m, o->in_head);
    if (o->block) {
        struct mpool *p = pool_of(m, o->block);
        if (p) {
            bool exact;
            uint32_t bi = model_block_index(m, p, o->block, &exact);
            if (bi != NONE)
                p->blk[bi] &= ~BLK_OBJ;
        } else {
            struct mraw *r = raw_get(m, o->block);
            if (r)
                r->obj = false;
        }
    }
    if (o->weak_target) {
        uint32_t t = model_obj_lookup(m, o->weak_target);
        if (t != NONE && m->objs[t].weakrefs && m->objs[t].seq_new <= o->seq_new)
            m->objs[t].weakrefs--;
    }
    if (o->mark_idx != NONE)
        m->marks[o->mark_idx].freed = true;
    if ((o->flags & MODEL_OBJ_GARBAGE) && m->garbage)
        m->garbage--;
    if (m->garbage_pending == e->obj)
        m->garbage_pending = 0;
    struct mtype *t = type_get(m, o->type);
    if (t && t->live)
        t->live--;
    free(o->value);
    o->value = NULL;
    o->live = false;
    map_del(&m->obj_index, e->obj);
    o->gen_next = m->obj_free_head;
    m->obj_free_head = i;
    m->nobjs--;
    return 0;
}

static int fold_obj_storage(struct model *m, const struct event *ev)
{
    const struct event_obj_storage *e = &ev->u.obj_storage;
    uint32_t i = model_obj_lookup(m, e->obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", e->obj);
    m->objs[i].storage = e->addr;
    m->objs[i].storage_size = e->addr ? e->size : 0;
    return 0;
}

static int fold_obj_value(struct model *m, const struct event *ev)
{
    uint32_t i = model_obj_lookup(m, ev->u.obj_value.obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", ev->u.obj_value.obj);
    size_t len = ev->str ? ev->str_len : 0;
    char *s = malloc(len + 1);
    if (!s)
        return oom(m);
    if (len)
        memcpy(s, ev->str, len);
    s[len] = '\0';
    free(m->objs[i].value);
    m->objs[i].value = s;
    m->objs[i].value_len = (uint32_t)len;
    return 0;
}

static int fold_ref(struct model *m, const struct event *ev, bool inc)
{
    struct event_incref e = inc ? ev->u.incref
                                : (struct event_incref){.obj = ev->u.decref.obj,
                                                        .refcnt = ev->u.decref.refcnt,
                                                        .reason = ev->u.decref.reason,
                                                        .owner = ev->u.decref.owner};
    uint32_t i = model_obj_lookup(m, e.obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", e.obj);
    if (e.reason >= EV_REF_REASON_COUNT)
        return fail_kind(m, ev, "no reason %" PRIu64, e.reason);
    struct mobj *o = &m->objs[i];
    /* A static object (None, small ints) is announced when first used, with whatever count it
     * had then: its counts are the events'. */
    bool follows = o->flags & MODEL_OBJ_STATIC
                       ? (inc ? e.refcnt > 0 : true)
                       : (inc ? e.refcnt == o->refcnt + 1 : o->refcnt > 0 && e.refcnt == o->refcnt - 1);
    if (!follows)
        return fail_kind(m, ev, "the refcount of 0x%" PRIx64 " goes from %" PRIu64 " to %" PRIu64,
                         e.obj, o->refcnt, e.refcnt);
    uint32_t oi = NONE, ei = NONE;
    if (e.owner) {
        oi = model_obj_lookup(m, e.owner);
        if (oi == NONE)
            return fail_kind(m, ev, "the owner 0x%" PRIx64 " is not a live object", e.owner);
        ei = edge_find(m, e.owner, e.obj);
        if (!inc && ei == NONE)
            return fail_kind(m, ev, "0x%" PRIx64 " holds no reference to 0x%" PRIx64, e.owner,
                             e.obj);
    }
    if (!inc && e.refcnt < o->in_total - (e.owner ? 1 : 0))
        return fail_kind(m, ev,
                         "0x%" PRIx64 " would have %" PRIu64 " references while objects hold %" PRIu64,
                         e.obj, e.refcnt, o->in_total - (e.owner ? 1 : 0));
    if (e.owner) {
        if (inc && ei == NONE) {
            if (!model_edge_add(m, oi, i, e.owner, e.obj, 1))
                return oom(m);
        } else if (inc) {
            m->edges[ei].count++;
            m->objs[i].in_total++;
        } else if (m->edges[ei].count == 1) {
            edge_remove(m, ei);
        } else {
            m->edges[ei].count--;
            m->objs[i].in_total--;
        }
    }
    o = &m->objs[i];
    o->refcnt = e.refcnt;
    o->seq_refcnt = m->pos;
    if (inc && e.owner && e.obj == m->garbage_pending) {
        if (!m->garbage_list)
            m->garbage_list = e.owner;
        m->garbage_pending = 0;
    } else if (!inc && e.owner && e.owner == m->garbage_list && (o->flags & MODEL_OBJ_GARBAGE) &&
               edge_find(m, e.owner, e.obj) == NONE) {
        o->flags &= ~(uint32_t)MODEL_OBJ_GARBAGE; /* taken out of gc.garbage */
        m->garbage--;
    }
    return 0;
}

static int fold_ref_move(struct model *m, const struct event *ev)
{
    const struct event_ref_move *e = &ev->u.ref_move;
    uint32_t i = model_obj_lookup(m, e->obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", e->obj);
    uint32_t from = NONE, to = NONE;
    if (e->from && (from = edge_find(m, e->from, e->obj)) == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " holds no reference to 0x%" PRIx64, e->from, e->obj);
    uint32_t ti = e->to ? model_obj_lookup(m, e->to) : NONE;
    if (e->to && ti == NONE)
        return fail_kind(m, ev, "the new owner 0x%" PRIx64 " is not a live object", e->to);
    if (e->to && !e->from && m->objs[i].in_total >= m->objs[i].refcnt)
        return fail_kind(m, ev, "0x%" PRIx64 " has no reference outside objects to give", e->obj);
    if (e->to) {
        to = edge_find(m, e->to, e->obj);
        if (to == NONE && !model_edge_add(m, ti, i, e->to, e->obj, 1))
            return oom(m);
        if (to != NONE) {
            m->edges[to].count++;
            m->objs[i].in_total++;
        }
    }
    if (from != NONE) {
        from = edge_find(m, e->from, e->obj); /* adding may have moved the edges */
        if (m->edges[from].count == 1) {
            edge_remove(m, from);
        } else {
            m->edges[from].count--;
            m->objs[i].in_total--;
        }
    }
    return 0;
}

/* ==== frames and names ======================================================================== */

static struct mframe *frame_get(struct model *m, uint64_t id)
{
    for (size_t i = m->nframes; i-- > 0;)
        if (m->frames[i].id == id)
            return &m->frames[i];
    return NULL;
}

static int fold_frame_push(struct model *m, const struct event *ev)
{
    if (frame_get(m, ev->u.frame_push.frame))
        return fail_kind(m, ev, "frame %" PRIu64 " is already on the stack", ev->u.frame_push.frame);
    if (!codec_array_reserve((void **)&m->frames, &m->frames_cap, m->nframes + 1, sizeof *m->frames))
        return oom(m);
    uint32_t fn = strtab_intern(&m->strs, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    if (fn == STR_NONE)
        return oom(m);
    m->frames[m->nframes++] = (struct mframe){.id = ev->u.frame_push.frame, .function = fn};
    return 0;
}

static int fold_frame_pop(struct model *m, const struct event *ev)
{
    if (m->nframes == 0 || m->frames[m->nframes - 1].id != ev->u.frame_pop.frame)
        return fail_kind(m, ev, "frame %" PRIu64 " is not the innermost frame", ev->u.frame_pop.frame);
    free(m->frames[--m->nframes].names);
    return 0;
}

static int fold_name_bind(struct model *m, const struct event *ev)
{
    const struct event_name_bind *e = &ev->u.name_bind;
    struct mframe *f = frame_get(m, e->frame);
    if (!f)
        return fail_kind(m, ev, "no frame %" PRIu64, e->frame);
    if (model_obj_lookup(m, e->obj) == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", e->obj);
    uint32_t name = strtab_intern(&m->strs, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    if (name == STR_NONE)
        return oom(m);
    for (size_t i = 0; i < f->nnames; i++)
        if (f->names[i].name == name) {
            f->names[i].obj = e->obj;
            return 0;
        }
    if (!codec_array_reserve((void **)&f->names, &f->cap, f->nnames + 1, sizeof *f->names))
        return oom(m);
    f->names[f->nnames++] = (struct mname){.name = name, .obj = e->obj};
    return 0;
}

static int fold_name_unbind(struct model *m, const struct event *ev)
{
    struct mframe *f = frame_get(m, ev->u.name_unbind.frame);
    if (!f)
        return fail_kind(m, ev, "no frame %" PRIu64, ev->u.name_unbind.frame);
    const char *s = ev->str ? ev->str : "";
    size_t len = ev->str ? ev->str_len : 0;
    for (size_t i = 0; i < f->nnames; i++) {
        size_t l;
        const char *t = strtab_get(&m->strs, f->names[i].name, &l);
        if (l == len && memcmp(s, t, len) == 0) {
            memmove(&f->names[i], &f->names[i + 1], (f->nnames - i - 1) * sizeof *f->names);
            f->nnames--;
            return 0;
        }
    }
    return fail_kind(m, ev, "no name '%.*s' in frame %" PRIu64, (int)(len > 40 ? 40 : len), s,
                     ev->u.name_unbind.frame);
}

/* ==== weak references and finalizers ========================================================== */

static int fold_weakref_new(struct model *m, const struct event *ev)
{
    const struct event_weakref_new *e = &ev->u.weakref_new;
    uint32_t r = model_obj_lookup(m, e->ref), t = model_obj_lookup(m, e->obj);
    if (r == NONE || t == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " or 0x%" PRIx64 " is not a live object", e->ref,
                         e->obj);
    if (m->objs[r].weak_target)
        return fail_kind(m, ev, "weakref 0x%" PRIx64 " already refers to 0x%" PRIx64, e->ref,
                         m->objs[r].weak_target);
    m->objs[r].weak_target = e->obj;
    m->objs[t].weakrefs++;
    return 0;
}

static int fold_weakref_clear(struct model *m, const struct event *ev)
{
    const struct event_weakref_clear *e = &ev->u.weakref_clear;
    uint32_t r = model_obj_lookup(m, e->ref);
    if (r == NONE || e->why >= EV_WEAKREF_WHY_COUNT)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live weakref", e->ref);
    struct mobj *o = &m->objs[r];
    if (o->weak_target) {
        uint32_t t = model_obj_lookup(m, o->weak_target);
        if (t != NONE && m->objs[t].weakrefs && m->objs[t].seq_new <= o->seq_new)
            m->objs[t].weakrefs--;
        o->weak_target = 0;
    }
    return 0;
}

static int fold_finalize(struct model *m, const struct event *ev)
{
    uint32_t i = model_obj_lookup(m, ev->u.finalize.obj);
    if (i == NONE || ev->u.finalize.kind >= EV_FINALIZER_KIND_COUNT)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", ev->u.finalize.obj);
    m->objs[i].flags |= MODEL_OBJ_FINALIZED;
    return 0;
}

/* ==== the collector =========================================================================== */

static int fold_gc_track(struct model *m, const struct event *ev)
{
    const struct event_gc_track *e = &ev->u.gc_track;
    uint32_t i = model_obj_lookup(m, e->obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", e->obj);
    if (m->objs[i].gen >= 0)
        return fail_kind(m, ev, "0x%" PRIx64 " is already tracked", e->obj);
    if (e->gen > m->geo.ngenerations)
        return fail_kind(m, ev, "no generation %" PRIu64, e->gen);
    model_gen_append(m, (uint32_t)e->gen, i);
    return 0;
}

static int fold_gc_untrack(struct model *m, const struct event *ev)
{
    uint32_t i = model_obj_lookup(m, ev->u.gc_untrack.obj);
    if (i == NONE || m->objs[i].gen < 0)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a tracked object", ev->u.gc_untrack.obj);
    gen_unlink(m, i);
    return 0;
}

bool model_mark_entry(struct model *m, uint32_t i, uint64_t seq)
{
    struct mobj *o = &m->objs[i];
    if (o->mark_idx != NONE)
        return true;
    if (!codec_array_reserve((void **)&m->marks, &m->marks_cap, m->nmarks + 1, sizeof *m->marks))
        return false;
    m->marks[m->nmarks] = (struct mmark){.obj = o->addr, .seq = seq, .mark = -1};
    o->mark_idx = (uint32_t)m->nmarks++;
    return true;
}

static int fold_gc_count(struct model *m, const struct event *ev)
{
    uint32_t ngen = m->geo.ngenerations;
    if (ev->u.gc_count.gen > ngen)
        return fail_kind(m, ev, "no generation %" PRIu64, ev->u.gc_count.gen);
    m->gens[ev->u.gc_count.gen].count = ev->u.gc_count.count;
    return 0;
}

static int fold_gc_threshold(struct model *m, const struct event *ev)
{
    uint32_t ngen = m->geo.ngenerations;
    if (ev->u.gc_threshold.gen > ngen)
        return fail_kind(m, ev, "no generation %" PRIu64, ev->u.gc_threshold.gen);
    m->gens[ev->u.gc_threshold.gen].threshold = ev->u.gc_threshold.threshold;
    return 0;
}

static int fold_gc_enable(struct model *m, const struct event *ev)
{
    m->gc_enabled = ev->u.gc_enable.enabled != 0;
    return 0;
}

static int fold_gc_start(struct model *m, const struct event *ev)
{
    uint32_t ngen = m->geo.ngenerations;
    if (m->collecting)
        return fail_kind(m, ev, "a collection of generation %" PRIu32 " is in progress",
                         m->collecting_gen);
    if (ev->u.gc_start.gen >= (ngen ? ngen : 1) || ev->u.gc_start.reason >= EV_GC_REASON_COUNT)
        return fail_kind(m, ev, "no generation %" PRIu64 " or reason %" PRIu64,
                         ev->u.gc_start.gen, ev->u.gc_start.reason);
    m->collecting = true;
    m->collecting_gen = (uint32_t)ev->u.gc_start.gen;
    m->gc_reason = (uint32_t)ev->u.gc_start.reason;
    m->has_phase = false;
    m->seq_start = m->pos;
    return 0;
}

static int fold_gc_phase(struct model *m, const struct event *ev)
{
    if (!m->collecting || ev->u.gc_phase.phase >= EV_GC_PHASE_COUNT)
        return fail_kind(m, ev, "no collection in progress or no phase %" PRIu64,
                         ev->u.gc_phase.phase);
    m->has_phase = true;
    m->phase = (uint32_t)ev->u.gc_phase.phase;
    m->phase_n = ev->u.gc_phase.n;
    m->seq_phase = m->pos;
    return 0;
}

static int fold_gc_refs(struct model *m, const struct event *ev)
{
    uint32_t i = model_obj_lookup(m, ev->u.gc_refs.obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", ev->u.gc_refs.obj);
    if (!model_mark_entry(m, i, m->pos))
        return oom(m);
    m->objs[i].gc_refs = ev->u.gc_refs.refs;
    m->objs[i].has_gc_refs = true;
    return 0;
    
}

static int fold_gc_mark(struct model *m, const struct event *ev)
{
    const struct event_gc_mark *e = &ev->u.gc_mark;
    uint32_t i = model_obj_lookup(m, e->obj);
    if (!m->collecting || i == NONE || e->mark >= EV_GC_MARK_COUNT)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object in a collection", e->obj);
    if (!model_mark_entry(m, i, m->pos))
        return oom(m);
    struct mmark *k = &m->marks[m->objs[i].mark_idx];
    k->mark = (int32_t)e->mark;
    k->via = e->via;
    k->seq = m->pos;
    return 0;
    
}

static int fold_gc_merge(struct model *m, const struct event *ev)
{
    uint32_t ngen = m->geo.ngenerations;
    uint64_t from = ev->u.gc_merge.from, to = ev->u.gc_merge.to;
    if (from > ngen || to > ngen || from == to)
        return fail_kind(m, ev, "cannot merge generation %" PRIu64 " into %" PRIu64, from, to);
    struct mgen *f = &m->gens[from], *t = &m->gens[to];
    for (uint32_t i = f->head; i != NONE; i = m->objs[i].gen_next)
        m->objs[i].gen = (int8_t)to;
    if (f->head != NONE) {
        if (t->tail != NONE) {
            m->objs[t->tail].gen_next = f->head;
            m->objs[f->head].gen_prev = t->tail;
        } else {
            t->head = f->head;
        }
        t->tail = f->tail;
        t->objects += f->objects;
    }
    f->head = f->tail = NONE;
    f->objects = 0;
    return 0;
    
}

static int fold_gc_move(struct model *m, const struct event *ev)
{
    uint32_t ngen = m->geo.ngenerations;
    uint32_t i = model_obj_lookup(m, ev->u.gc_move.obj);
    if (i == NONE || m->objs[i].gen < 0 || ev->u.gc_move.to > ngen)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a tracked object", ev->u.gc_move.obj);
    gen_unlink(m, i);
    model_gen_append(m, (uint32_t)ev->u.gc_move.to, i);
    return 0;
    
}

/* gc.garbage is a list: an object is in it while the list holds a reference to it.  The list's
 * address is learnt from the incref that follows the first gc_garbage. */
static int fold_gc_garbage(struct model *m, const struct event *ev)
{
    uint32_t i = model_obj_lookup(m, ev->u.gc_garbage.obj);
    if (i == NONE)
        return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", ev->u.gc_garbage.obj);
    if (!(m->objs[i].flags & MODEL_OBJ_GARBAGE)) {
        m->objs[i].flags |= MODEL_OBJ_GARBAGE;
        m->garbage++;
    }
    m->garbage_pending = ev->u.gc_garbage.obj;
    return 0;
}

static int fold_gc_end(struct model *m, const struct event *ev)
{
    const struct event_gc_end *e = &ev->u.gc_end;
    if (!m->collecting || e->gen != m->collecting_gen)
        return fail_kind(m, ev, "no collection of generation %" PRIu64 " in progress", e->gen);
    struct model_collection c = {.gen = m->collecting_gen,
                                 .reason = m->gc_reason,
                                 .seq_start = m->seq_start,
                                 .seq_end = m->pos,
                                 .collected = e->collected,
                                 .uncollectable = e->uncollectable,
                                 .nanos = e->nanos};
    model_history_push(m, &c);
    m->collections++;
    m->gens[m->collecting_gen].collections++;
    m->collected_total += e->collected;
    m->uncollectable_total += e->uncollectable;
    for (size_t k = 0; k < m->nmarks; k++) {
        if (m->marks[k].freed)
            continue;
        uint32_t i = model_obj_lookup(m, m->marks[k].obj);
        if (i != NONE) {
            m->objs[i].mark_idx = NONE;
            m->objs[i].has_gc_refs = false;
            m->objs[i].gc_refs = 0;
        }
    }
    m->nmarks = 0;
    m->collecting = m->has_phase = false;
    return 0;
    
}

bool model_history_push(struct model *m, const struct model_collection *c)
{
    size_t i = (m->history_head + MODEL_HISTORY_KEEP - 1) % MODEL_HISTORY_KEEP;
    m->history[i] = *c;
    m->history_head = i;
    if (m->nhistory < MODEL_HISTORY_KEEP)
        m->nhistory++;
    return true;
}

/* ==== the workload ============================================================================ */

bool model_set_step_label(struct model *m, const char *s, size_t len)
{
    if (!codec_array_reserve((void **)&m->step_label, &m->step_label_cap, len + 1, 1))
        return false;
    if (len)
        memcpy(m->step_label, s, len);
    m->step_label[len] = '\0';
    m->step_label_len = len;
    return true;
}

bool model_print_push(struct model *m, uint64_t seq, uint32_t stream, const char *s, size_t len)
{
    char *t = malloc(len + 1);
    if (!t)
        return false;
    if (len)
        memcpy(t, s, len);
    t[len] = '\0';
    size_t i = (m->prints_head + MODEL_PRINTS_KEEP - 1) % MODEL_PRINTS_KEEP;
    free(m->prints[i].text);
    m->prints[i] = (struct mprint){.seq = seq, .stream = stream, .text = t, .len = len};
    m->prints_head = i;
    if (m->nprints < MODEL_PRINTS_KEEP)
        m->nprints++;
    return true;
}

static int fold_step(struct model *m, const struct event *ev)
{
    if (!model_set_step_label(m, ev->str ? ev->str : "", ev->str ? ev->str_len : 0))
        return oom(m);
    m->has_step = true;
    m->step_number = ev->u.step.number;
    m->step_seq = m->pos;
    m->nsteps++;
    return 0;
}

static int fold_print(struct model *m, const struct event *ev)
{
    if (!model_print_push(m, m->pos, (uint32_t)ev->u.print.stream, ev->str ? ev->str : "",
                          ev->str ? ev->str_len : 0))
        return oom(m);
    return 0;
}

static int fold_freelist(struct model *m, const struct event *ev)
{
    const struct event_freelist *e = &ev->u.freelist;
    if (e->index >= HEAP_STATS_MAX_FREELISTS)
        return fail_kind(m, ev, "no free list line %" PRIu64 " (at most %d)", e->index,
                         HEAP_STATS_MAX_FREELISTS);
    struct mfreelist *f = &m->freelists[e->index];
    size_t len = ev->str ? ev->str_len : 0;
    if (len >= sizeof f->label)
        len = sizeof f->label - 1;
    if (len)
        memcpy(f->label, ev->str, len);
    f->label[len] = '\0';
    f->count = e->count;
    f->each = e->each;
    f->set = true;
    return 0;
}

/* ==== the fold ================================================================================ */

/* Every kind; fold_checked() folds the frequent ones itself and comes here for the others. */
static __attribute__((noinline)) int fold_one(struct model *m, const struct event *ev)
{
    switch (ev->kind) {
    case EV_ARENA_NEW: return fold_arena_new(m, ev);
    case EV_ARENA_FREE: return fold_arena_free(m, ev);
    case EV_ARENA_MOVE: return fold_arena_move(m, ev);
    case EV_ARENA_VECTOR: return fold_arena_vector(m, ev);
    case EV_POOL_CARVE: return fold_pool_carve(m, ev);
    case EV_POOL_UNCACHE: return fold_pool_uncache(m, ev);
    case EV_POOL_INIT: return fold_pool_init(m, ev);
    case EV_POOL_FULL: return fold_pool_full(m, ev);
    case EV_POOL_UNFULL: return fold_pool_unfull(m, ev);
    case EV_POOL_EMPTY: return fold_pool_empty(m, ev);
    case EV_BLOCK_ALLOC: return fold_block_alloc(m, ev);
    case EV_BLOCK_FREE: return fold_block_free(m, ev);
    case EV_RAW_ALLOC: return fold_raw_alloc(m, ev);
    case EV_RAW_FREE: return fold_raw_free(m, ev);
    case EV_RAW_REALLOC: return fold_raw_realloc(m, ev);
    case EV_REALLOC: return fold_realloc(m, ev);
    case EV_CALLOC: return fold_calloc(m, ev);
    case EV_TYPE_NEW: return fold_type_new(m, ev);
    case EV_OBJ_NEW: return fold_obj_new(m, ev);
    case EV_OBJ_FREE: return fold_obj_free(m, ev);
    case EV_OBJ_STORAGE: return fold_obj_storage(m, ev);
    case EV_INCREF: return fold_ref(m, ev, true);
    case EV_DECREF: return fold_ref(m, ev, false);
    case EV_REF_MOVE: return fold_ref_move(m, ev);
    case EV_OBJ_VALUE: return fold_obj_value(m, ev);
    case EV_FRAME_PUSH: return fold_frame_push(m, ev);
    case EV_FRAME_POP: return fold_frame_pop(m, ev);
    case EV_NAME_BIND: return fold_name_bind(m, ev);
    case EV_NAME_UNBIND: return fold_name_unbind(m, ev);
    case EV_WEAKREF_NEW: return fold_weakref_new(m, ev);
    case EV_WEAKREF_CLEAR: return fold_weakref_clear(m, ev);
    case EV_WEAKREF_CALL:
        if (model_obj_lookup(m, ev->u.weakref_call.ref) == NONE)
            return fail_kind(m, ev, "0x%" PRIx64 " is not a live object", ev->u.weakref_call.ref);
        return 0;
    case EV_FINALIZE: return fold_finalize(m, ev);
    case EV_GC_TRACK: return fold_gc_track(m, ev);
    case EV_GC_UNTRACK: return fold_gc_untrack(m, ev);
    case EV_GC_COUNT: return fold_gc_count(m, ev);
    case EV_GC_THRESHOLD: return fold_gc_threshold(m, ev);
    case EV_GC_ENABLE: return fold_gc_enable(m, ev);
    case EV_GC_START: return fold_gc_start(m, ev);
    case EV_GC_PHASE: return fold_gc_phase(m, ev);
    case EV_GC_REFS: return fold_gc_refs(m, ev);
    case EV_GC_MARK: return fold_gc_mark(m, ev);
    case EV_GC_MERGE: return fold_gc_merge(m, ev);
    case EV_GC_MOVE: return fold_gc_move(m, ev);
    case EV_GC_GARBAGE: return fold_gc_garbage(m, ev);
    case EV_GC_END: return fold_gc_end(m, ev);
    case EV_STEP: return fold_step(m, ev);
    case EV_STACK_DEF: return fold_stack_def(m, ev);
    case EV_PRINT: return fold_print(m, ev);
    case EV_FREELIST: return fold_freelist(m, ev);
    case EV_KIND_COUNT: break;
    }
    return model_fail(m, MODEL_EINCONSISTENT, "unknown event kind %d", (int)ev->kind);
}

static const char *const expect_text[EV_KIND_COUNT] = {
    [EV_POOL_FULL] = "took its last block",
    [EV_POOL_UNFULL] = "was full and got a block back",
    [EV_POOL_EMPTY] = "lost its last allocated block",
};

/* One event, with the pending transition checked: the body of model_fold and model_fold_batch. */
FOLD_INLINE int fold_checked(struct model *m, const struct event *ev)
{
    struct mexpect want = m->expect;
    if (__builtin_expect(want.kind != EV_KIND_COUNT, 0)) {
        /* the pool field is the first word of every pool event */
        if ((unsigned)ev->kind != want.kind || ev->u.f[0] != want.pool)
            return model_fail(m, MODEL_EINCONSISTENT, "%s: pool 0x%" PRIx64 " %s, yet no %s follows",
                              event_kind_name(ev->kind), want.pool, expect_text[want.kind],
                              event_kind_name((enum event_kind)want.kind));
        m->expect.kind = EV_KIND_COUNT;
    }
    int rc;
    if (ev->kind == EV_BLOCK_ALLOC)
        rc = fold_block_alloc(m, ev);
    else if (ev->kind == EV_BLOCK_FREE)
        rc = fold_block_free(m, ev);
    else if (ev->kind == EV_POOL_FULL)
        rc = fold_pool_full(m, ev);
    else if (ev->kind == EV_POOL_UNFULL)
        rc = fold_pool_unfull(m, ev);
    else
        rc = fold_one(m, ev);
    if (__builtin_expect(rc < 0, 0)) {
        m->expect = want;
        return rc;
    }
    m->pos++;
    return 0;
}

int model_fold(struct model *m, const struct event *ev)
{
    if (m->stopped)
        return MODEL_ESTOPPED;
    return fold_checked(m, ev);
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

FOLD_INLINE void prefetch_block(const struct model *m, const struct event *ev)
{
    if ((unsigned)(ev->kind - EV_BLOCK_ALLOC) > 1)
        return;
    uint64_t addr = ev->u.f[0], paddr = addr & ~m->pool_mask;
    const struct mpool *p = m->pool_cache[(paddr >> m->pool_shift) & (MODEL_POOL_CACHE - 1)];
    if (p->addr != paddr)
        return;
    uint64_t off = addr - paddr - m->geo.pool_overhead;
    uint64_t idx = (off * m->classes[p->szidx & (HEAP_STATS_MAX_CLASSES - 1)].magic) >> 40;
    __builtin_prefetch((const void *)((uintptr_t)p->blk + idx * sizeof *p->blk), 1);
}

size_t model_fold_batch(struct model *m, const struct event *evs, size_t n)
{
    if (m->stopped)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (i + PREFETCH_AHEAD < n)
            prefetch_block(m, &evs[i + PREFETCH_AHEAD]);
        if (fold_checked(m, &evs[i]) < 0)
            return i;
    }
    return n;
}
