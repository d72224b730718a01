/*
 * heap_inspect.c - reading a heap without changing it: introspection (heap_inspect.h), the
 * validator that recounts everything (heap_is_valid) and the figures of sys._debugmallocstats()
 * (heap_get_stats).
 *
 * The validator checks the invariants of docs/cpython-memory.md 8.4 and the bookkeeping under them:
 *  - every slot is live or on the unused stack, never both; counters match the live slots;
 *  - a live arena's first pool, pool count, high-water mark and nfreepools agree;
 *  - every carved pool names its arena, has a class, a free list that stays inside the pool on
 *    the block grid below nextoffset without repeats, and count + list + virgin = blocks;
 *  - used pools are exactly the members of their class's ring (prev links consistent), full
 *    pools have no free list, empty pools are exactly the members of their arena's freepools;
 *  - usable_arenas holds exactly the live arenas with free pools, sorted ascending, with
 *    consistent links, and nfp2lasta[k] is the rightmost member with k free pools;
 *  - the arena map covers every live arena's pools; raw blocks are outside every arena.
 */
#include "heap_internal.h"

#include <allocator/errmsg.h>
#include <allocator/heap_inspect.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- introspection ------------------------------------------------------------------------ */

static uint64_t addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

void heap_inspect_counters(const struct heap *h, struct heap_counters *out)
{
    memset(out, 0, sizeof *out);
    out->slots = h->maxarenas;
    out->arenas_current = h->narenas_currently_allocated;
    out->arenas_total = h->ntimes_arena_allocated;
    out->arenas_highwater = h->narenas_highwater;
    out->arena_failures = h->arena_failures;
    out->raw_blocks = h->raw_allocated_blocks;
    out->raw_bytes = h->raw_bytes;
    out->raw_domain_blocks = h->raw_domain_blocks;
    for (uint32_t i = 0; i < h->maxarenas; i++) {
        const struct arena_object *ao = &h->arenas[i];
        if (!ao->address)
            continue;
        uintptr_t first = ao->address + ((h->pool_size - (ao->address & h->pool_mask)) & h->pool_mask);
        for (uintptr_t p = first; p < (uintptr_t)ao->pool_address; p += h->pool_size)
            out->pool_blocks += ((const struct pool_header *)p)->ref.count;
    }
    for (const struct arena_object *ao = h->usable_arenas; ao; ao = ao->nextarena)
        out->usable_arenas++;
}

uint64_t heap_allocated_blocks(const struct heap *h)
{
    struct heap_counters c;
    heap_inspect_counters(h, &c);
    return c.pool_blocks + c.raw_blocks - c.raw_domain_blocks;
}

static uint32_t sliver_of(const struct heap *h, uintptr_t base)
{
    return (uint32_t)((h->pool_size - (base & h->pool_mask)) & h->pool_mask);
}

void heap_inspect_arena(const struct heap *h, uint32_t slot, struct heap_arena_info *out)
{
    memset(out, 0, sizeof *out);
    out->slot = slot;
    out->usable_pos = -1;
    if (slot >= h->maxarenas || !h->arenas[slot].address)
        return;
    const struct arena_object *ao = &h->arenas[slot];
    out->live = true;
    out->serial = ao->serial;
    out->base = ao->address;
    out->sliver = sliver_of(h, ao->address);
    out->first_pool = ao->address + out->sliver;
    out->npools = ao->ntotalpools;
    out->nfreepools = ao->nfreepools;
    out->pool_address = addr(ao->pool_address);
    out->ncarved = (uint32_t)((out->pool_address - out->first_pool) / h->pool_size);
    for (const struct pool_header *p = ao->freepools; p; p = p->nextpool)
        out->ncached++;
    int32_t pos = 0;
    for (const struct arena_object *a = h->usable_arenas; a; a = a->nextarena, pos++)
        if (a == ao) {
            out->usable_pos = pos;
            break;
        }
}

size_t heap_inspect_freepools(const struct heap *h, uint32_t slot, uint64_t *out, size_t max)
{
    if (slot >= h->maxarenas || !h->arenas[slot].address)
        return 0;
    size_t n = 0;
    for (const struct pool_header *p = h->arenas[slot].freepools; p; p = p->nextpool, n++)
        if (n < max)
            out[n] = addr(p);
    return n;
}

/* The slots of a list of arena objects linked by nextarena, from its head. */
static size_t arena_list_slots(const struct heap *h, const struct arena_object *head, uint32_t *out, size_t max)
{
    size_t n = 0;
    for (const struct arena_object *a = head; a; a = a->nextarena, n++)
        if (n < max)
            out[n] = (uint32_t)(a - h->arenas);
    return n;
}

size_t heap_inspect_usable(const struct heap *h, uint32_t *out, size_t max)
{
    return arena_list_slots(h, h->usable_arenas, out, max);
}

size_t heap_inspect_unused(const struct heap *h, uint32_t *out, size_t max)
{
    return arena_list_slots(h, h->unused_arena_objects, out, max);
}

int64_t heap_inspect_nfp2lasta(const struct heap *h, uint32_t nf)
{
    if (nf > h->max_pools || !h->nfp2lasta[nf])
        return -1;
    return h->nfp2lasta[nf] - h->arenas;
}

const char *heap_pool_state_name(enum heap_pool_state s)
{
    switch (s) {
    case HEAP_POOL_USED: return "used";
    case HEAP_POOL_FULL: return "full";
    case HEAP_POOL_EMPTY: return "empty";
    }
    return "?";
}

static uint32_t blocks_per_pool(const struct heap *h, uint32_t szidx)
{
    return (h->pool_size - h->pool_overhead) / heap_class_size(h, szidx);
}

static void pool_info(const struct heap *h, const struct pool_header *pool, struct heap_pool_info *out)
{
    memset(out, 0, sizeof *out);
    const struct arena_object *ao = &h->arenas[pool->arenaindex];
    uintptr_t first = ao->address + sliver_of(h, ao->address);
    out->addr = addr(pool);
    out->slot = pool->arenaindex;
    out->index = (uint32_t)(((uintptr_t)pool - first) / h->pool_size);
    out->szidx = pool->szidx;
    out->size = pool->szidx < h->nclasses ? heap_class_size(h, pool->szidx) : 0;
    out->count = pool->ref.count;
    out->nblocks = pool->szidx < h->nclasses ? blocks_per_pool(h, pool->szidx) : 0;
    out->freeblock = addr(pool->freeblock);
    for (const uint8_t *b = pool->freeblock; b && out->nfree <= out->nblocks; b = block_next(b))
        out->nfree++;
    out->nextoffset = pool->nextoffset;
    out->maxnextoffset = pool->maxnextoffset;
    if (pool->ref.count == 0)
        out->state = HEAP_POOL_EMPTY;
    else if (pool->freeblock == NULL)
        out->state = HEAP_POOL_FULL;
    else
        out->state = HEAP_POOL_USED;
}

void heap_inspect_pool(const struct heap *h, uint32_t slot, uint32_t index, struct heap_pool_info *out)
{
    const struct arena_object *ao = &h->arenas[slot];
    uintptr_t first = ao->address + sliver_of(h, ao->address);
    pool_info(h, (const struct pool_header *)(first + (uintptr_t)index * h->pool_size), out);
}

/* The carved pool holding p, or NULL. */
static const struct pool_header *carved_pool_at(const struct heap *h, uintptr_t p)
{
    if (!arena_map_owns(h, (const void *)p))
        return NULL;
    const struct pool_header *pool = pool_of(h, (const void *)p);
    if (pool->arenaindex >= h->maxarenas)
        return NULL;
    const struct arena_object *ao = &h->arenas[pool->arenaindex];
    uintptr_t first = ao->address + sliver_of(h, ao->address);
    if (!ao->address || (uintptr_t)pool < first || (uintptr_t)pool >= (uintptr_t)ao->pool_address)
        return NULL;
    return pool;
}

bool heap_inspect_pool_at(const struct heap *h, uint64_t p, struct heap_pool_info *out)
{
    const struct pool_header *pool = carved_pool_at(h, (uintptr_t)p);
    if (!pool)
        return false;
    pool_info(h, pool, out);
    return true;
}

size_t heap_inspect_pool_freelist(const struct heap *h, uint64_t pool_addr, uint64_t *out, size_t max)
{
    const struct pool_header *pool = carved_pool_at(h, (uintptr_t)pool_addr);
    if (!pool)
        return 0;
    size_t n = 0;
    for (const uint8_t *b = pool->freeblock; b; b = block_next(b), n++)
        if (n < max)
            out[n] = addr(b);
    return n;
}

size_t heap_inspect_ring(const struct heap *h, uint32_t szidx, uint64_t *out, size_t max)
{
    if (szidx >= h->nclasses)
        return 0;
    const struct pool_header *head = &h->used[szidx];
    size_t n = 0;
    for (const struct pool_header *p = head->nextpool; p != head; p = p->nextpool, n++)
        if (n < max)
            out[n] = addr(p);
    return n;
}

static int raw_cmp(const void *a, const void *b)
{
    const struct heap_raw_info *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

size_t heap_inspect_raw(const struct heap *h, struct heap_raw_info *out, size_t max)
{
    if (max < h->raw.n) {
        /* Sorted order needs all of them: collect into a temporary array. */
        struct heap_raw_info *all = malloc((h->raw.n + 1) * sizeof *all);
        if (!all)
            return h->raw.n;
        size_t n = heap_inspect_raw(h, all, h->raw.n);
        if (max)
            memcpy(out, all, max * sizeof *all);
        free(all);
        return n;
    }
    size_t n = 0;
    size_t cur = 0;
    for (const struct map_entry *e; (e = map_next(&h->raw, &cur));)
        out[n++] = (struct heap_raw_info){e->key, e->val};
    if (n > 1)
        qsort(out, n, sizeof *out, raw_cmp);
    return n;
}

bool heap_locate(const struct heap *h, const void *p, struct heap_location *out)
{
    memset(out, 0, sizeof *out);
    if (!p)
        return false;
    const struct pool_header *pool = carved_pool_at(h, (uintptr_t)p);
    if (pool) {
        const struct arena_object *ao = &h->arenas[pool->arenaindex];
        out->serial = ao->serial;
        out->slot = pool->arenaindex;
        out->pool = (uint32_t)(((uintptr_t)pool - ao->address) / h->pool_size);
        out->offset = (uint32_t)((uintptr_t)p - (uintptr_t)pool);
        return true;
    }
    if (map_find(&h->raw, (uintptr_t)p)) {
        out->raw = true;
        return true;
    }
    return false;
}

/* ---- the validator ------------------------------------------------------------------------ */

struct check {
    char *err;
    size_t errlen;
    bool ok;
};

static bool bad(struct check *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool bad(struct check *c, const char *fmt, ...)
{
    if (c->ok) { /* the first problem is the one reported */
        va_list ap;
        va_start(ap, fmt);
        errmsg_vformat(c->err, c->errlen, NULL, fmt, ap);
        va_end(ap);
    }
    c->ok = false;
    return false;
}

/* Checks one carved pool's header and free list; counts its state. */
static bool check_pool(const struct heap *h, struct check *c, const struct pool_header *pool, uint32_t slot,
                       uint8_t *seen, uint32_t *nused, uint32_t *nfull, uint32_t *nempty)
{
    uintptr_t pa = (uintptr_t)pool;
    if (pool->arenaindex != slot)
        return bad(c, "pool %#lx: arenaindex %u, but it lies in slot %u", (unsigned long)pa, pool->arenaindex,
                   slot);
    if (pool->szidx >= h->nclasses)
        return bad(c, "pool %#lx: size class %u out of range", (unsigned long)pa, pool->szidx);
    uint32_t size = heap_class_size(h, pool->szidx);
    uint32_t nblocks = blocks_per_pool(h, pool->szidx);
    if (pool->maxnextoffset != h->pool_size - size)
        return bad(c, "pool %#lx: maxnextoffset %u, expected %u", (unsigned long)pa, pool->maxnextoffset,
                   h->pool_size - size);
    if (pool->nextoffset < h->pool_overhead + 2 * size || pool->nextoffset > pool->maxnextoffset + size ||
        (pool->nextoffset - h->pool_overhead) % size)
        return bad(c, "pool %#lx: nextoffset %u off the block grid or out of range", (unsigned long)pa,
                   pool->nextoffset);
    if (pool->ref.count > nblocks)
        return bad(c, "pool %#lx: count %u above its %u blocks", (unsigned long)pa, pool->ref.count, nblocks);
    uint32_t nfree = 0;
    memset(seen, 0, nblocks);
    for (const uint8_t *b = pool->freeblock; b; b = block_next(b)) {
        uintptr_t off = (uintptr_t)b - pa;
        if ((uintptr_t)b < pa || off >= pool->nextoffset || off < h->pool_overhead ||
            (off - h->pool_overhead) % size)
            return bad(c, "pool %#lx: free block %#lx outside the pool's handed-out blocks", (unsigned long)pa,
                       (unsigned long)(uintptr_t)b);
        uint32_t i = (uint32_t)((off - h->pool_overhead) / size);
        if (seen[i])
            return bad(c, "pool %#lx: block %#lx twice on the free list (a cycle or a double free)",
                       (unsigned long)pa, (unsigned long)(uintptr_t)b);
        seen[i] = 1;
        nfree++;
    }
    uint32_t virgin = (h->pool_size - pool->nextoffset) / size;
    if (pool->nextoffset > h->pool_size)
        virgin = 0;
    if (pool->ref.count + nfree + virgin != nblocks)
        return bad(c, "pool %#lx: %u allocated + %u free + %u virgin blocks != %u", (unsigned long)pa,
                   pool->ref.count, nfree, virgin, nblocks);
    if (pool->ref.count == 0) {
        if (nfree < 2)
            return bad(c, "pool %#lx: empty with %u blocks on its free list (at least 2)", (unsigned long)pa,
                       nfree);
        (*nempty)++;
    } else if (pool->freeblock == NULL) {
        if (pool->ref.count != nblocks)
            return bad(c, "pool %#lx: no free list but only %u of %u blocks allocated", (unsigned long)pa,
                       pool->ref.count, nblocks);
        (*nfull)++;
    } else {
        (*nused)++;
    }
    return true;
}

static bool check_arena(const struct heap *h, struct check *c, uint32_t slot, uint8_t *seen, uint64_t *nused_by_class)
{
    const struct arena_object *ao = &h->arenas[slot];
    uint32_t sliver = sliver_of(h, ao->address);
    uint32_t expect = sliver ? h->max_pools - 1 : h->max_pools;
    if (ao->ntotalpools != expect)
        return bad(c, "arena slot %u: %u pools, expected %u (sliver %u)", slot, ao->ntotalpools, expect, sliver);
    uintptr_t first = ao->address + sliver;
    uintptr_t hw = (uintptr_t)ao->pool_address;
    if (hw < first || hw > first + (uintptr_t)ao->ntotalpools * h->pool_size || (hw - first) % h->pool_size)
        return bad(c, "arena slot %u: high-water mark %#lx out of range", slot, (unsigned long)hw);
    uint32_t ncarved = (uint32_t)((hw - first) / h->pool_size);
    if (!arena_map_owns(h, (const void *)first) ||
        !arena_map_owns(h, (const void *)(ao->address + h->arena_size - 1)) ||
        !arena_map_owns(h, (const void *)ao->address))
        return bad(c, "arena slot %u: not covered by the arena map", slot);
    uint32_t nused = 0, nfull = 0, nempty = 0;
    for (uint32_t i = 0; i < ncarved; i++) {
        const struct pool_header *pool = (const struct pool_header *)(first + (uintptr_t)i * h->pool_size);
        uint32_t before = nused;
        if (!check_pool(h, c, pool, slot, seen, &nused, &nfull, &nempty))
            return false;
        if (nused != before)
            nused_by_class[pool->szidx]++;
    }
    uint32_t ncached = 0;
    for (const struct pool_header *p = ao->freepools; p; p = p->nextpool) {
        if ((uintptr_t)p < first || (uintptr_t)p >= hw || ((uintptr_t)p - first) % h->pool_size)
            return bad(c, "arena slot %u: freepools holds %#lx, not one of its carved pools", slot,
                       (unsigned long)(uintptr_t)p);
        if (p->ref.count != 0)
            return bad(c, "arena slot %u: freepools holds pool %#lx with %u blocks allocated", slot,
                       (unsigned long)(uintptr_t)p, p->ref.count);
        if (++ncached > nempty)
            return bad(c, "arena slot %u: freepools longer than its %u empty pools (a cycle?)", slot, nempty);
    }
    if (ncached != nempty)
        return bad(c, "arena slot %u: %u empty pools but %u on freepools", slot, nempty, ncached);
    if (ao->nfreepools != ncached + (ao->ntotalpools - ncarved))
        return bad(c, "arena slot %u: nfreepools %u != %u cached + %u never carved", slot, ao->nfreepools, ncached,
                   ao->ntotalpools - ncarved);
    return true;
}

bool heap_is_valid(const struct heap *h, char *err, size_t errlen)
{
    struct check c = {err, errlen, true};
    if (err && errlen)
        err[0] = '\0';
    uint64_t *nused_by_class = calloc(h->nclasses, sizeof *nused_by_class);
    uint8_t *seen = malloc(h->pool_size / h->profile.alignment + 1);
    if (!nused_by_class || !seen) {
        free(nused_by_class);
        free(seen);
        return bad(&c, "out of memory while validating");
    }

    /* Slots: live arenas, and the unused stack. */
    uint64_t live = 0, nunused = 0, with_free = 0;
    for (uint32_t i = 0; i < h->maxarenas && c.ok; i++) {
        if (h->arenas[i].address) {
            live++;
            if (h->arenas[i].nfreepools)
                with_free++;
            check_arena(h, &c, i, seen, nused_by_class);
        }
    }
    for (const struct arena_object *a = h->unused_arena_objects; a && c.ok; a = a->nextarena) {
        if (a < h->arenas || a >= h->arenas + h->maxarenas)
            bad(&c, "unused stack points outside the arenas vector");
        else if (a->address)
            bad(&c, "slot %u is on the unused stack but holds an arena", (unsigned)(a - h->arenas));
        else if (++nunused > h->maxarenas)
            bad(&c, "the unused stack has a cycle");
    }
    if (c.ok && live + nunused != h->maxarenas)
        bad(&c, "%lu live slots + %lu unused != %u slots", (unsigned long)live, (unsigned long)nunused,
            h->maxarenas);
    if (c.ok && live != h->narenas_currently_allocated)
        bad(&c, "%lu live arenas, but the counter says %lu", (unsigned long)live,
            (unsigned long)h->narenas_currently_allocated);
    if (c.ok && (h->narenas_highwater < live || h->ntimes_arena_allocated < h->narenas_highwater))
        bad(&c, "arena counters out of order: total %lu, highwater %lu, current %lu",
            (unsigned long)h->ntimes_arena_allocated, (unsigned long)h->narenas_highwater, (unsigned long)live);

    /* usable_arenas: sorted, linked both ways, exactly the live arenas with free pools. */
    const struct arena_object *prev = NULL;
    uint64_t nusable = 0;
    for (const struct arena_object *a = h->usable_arenas; a && c.ok; prev = a, a = a->nextarena) {
        uint32_t slot = (uint32_t)(a - h->arenas);
        if (a < h->arenas || a >= h->arenas + h->maxarenas)
            bad(&c, "usable_arenas points outside the arenas vector");
        else if (!a->address)
            bad(&c, "slot %u is on usable_arenas without an arena", slot);
        else if (a->nfreepools == 0)
            bad(&c, "slot %u is on usable_arenas with no free pool", slot);
        else if (a->prevarena != prev)
            bad(&c, "slot %u on usable_arenas: prevarena does not point back", slot);
        else if (prev && prev->nfreepools > a->nfreepools)
            bad(&c, "usable_arenas out of order: slot %u (%u free pools) before slot %u (%u)",
                (unsigned)(prev - h->arenas), prev->nfreepools, slot, a->nfreepools);
        else if (++nusable > live)
            bad(&c, "usable_arenas has a cycle");
        else if ((!a->nextarena || a->nextarena->nfreepools != a->nfreepools) && h->nfp2lasta[a->nfreepools] != a)
            bad(&c, "nfp2lasta[%u] is not slot %u, the rightmost arena with %u free pools", a->nfreepools, slot,
                a->nfreepools);
    }
    if (c.ok && nusable != with_free)
        bad(&c, "%lu arenas have free pools but %lu are on usable_arenas", (unsigned long)with_free,
            (unsigned long)nusable);
    for (uint32_t k = 0; k <= h->max_pools && c.ok; k++) {
        const struct arena_object *f = h->nfp2lasta[k];
        if (!f) {
            for (const struct arena_object *a = h->usable_arenas; a; a = a->nextarena)
                if (a->nfreepools == k) {
                    bad(&c, "nfp2lasta[%u] is empty but slot %u has %u free pools", k,
                        (unsigned)(a - h->arenas), k);
                    break;
                }
        } else if (f < h->arenas || f >= h->arenas + h->maxarenas || !f->address || f->nfreepools != k) {
            bad(&c, "nfp2lasta[%u] points at an arena without %u free pools", k, k);
        }
    }

    /* Rings: each used pool is in the ring of its class, exactly once. */
    for (uint32_t sz = 0; sz < h->nclasses && c.ok; sz++) {
        const struct pool_header *head = &h->used[sz];
        const struct pool_header *p = head;
        uint64_t n = 0;
        do {
            const struct pool_header *next = p->nextpool;
            if (next->prevpool != p) {
                bad(&c, "class %u ring: prevpool of %#lx does not point back", sz,
                    (unsigned long)(uintptr_t)next);
                break;
            }
            if (next != head) {
                struct heap_pool_info info;
                if (!carved_pool_at(h, (uintptr_t)next)) {
                    bad(&c, "class %u ring holds %#lx, not a carved pool", sz, (unsigned long)(uintptr_t)next);
                    break;
                }
                pool_info(h, next, &info);
                if (info.szidx != sz || info.state != HEAP_POOL_USED) {
                    bad(&c, "class %u ring holds pool %#lx of class %u in state %s", sz,
                        (unsigned long)(uintptr_t)next, info.szidx, heap_pool_state_name(info.state));
                    break;
                }
                if (++n > nused_by_class[sz]) {
                    bad(&c, "class %u ring is longer than its %lu used pools", sz,
                        (unsigned long)nused_by_class[sz]);
                    break;
                }
            }
            p = next;
        } while (p != head);
        if (c.ok && n != nused_by_class[sz])
            bad(&c, "class %u has %lu used pools but %lu in its ring", sz, (unsigned long)nused_by_class[sz],
                (unsigned long)n);
    }

    /* The raw layer. */
    uint64_t nraw = 0, raw_bytes = 0;
    size_t cur = 0;
    for (const struct map_entry *e; c.ok && (e = map_next(&h->raw, &cur));) {
        nraw++;
        raw_bytes += e->val;
        if (arena_map_owns(h, (const void *)(uintptr_t)e->key))
            bad(&c, "raw block %#lx lies inside an arena", (unsigned long)e->key);
        else if (map_find(&h->raw, e->key) != e)
            bad(&c, "raw block %#lx cannot be found by its hash", (unsigned long)e->key);
    }
    if (c.ok && h->raw_domain_blocks > nraw)
        bad(&c, "raw layer: %lu blocks of the raw domain among %lu raw blocks", (unsigned long)h->raw_domain_blocks,
            (unsigned long)nraw);
    if (c.ok && (nraw != h->raw_allocated_blocks || nraw != h->raw.n || raw_bytes != h->raw_bytes))
        bad(&c, "raw layer: %lu blocks of %lu bytes, counters say %lu of %lu", (unsigned long)nraw,
            (unsigned long)raw_bytes, (unsigned long)h->raw_allocated_blocks, (unsigned long)h->raw_bytes);

    /* Invariant 7: the stats add up. */
    if (c.ok) {
        struct heap_stats *st = malloc(sizeof *st);
        if (st) {
            heap_get_stats(h, st);
            uint64_t total = st->bytes_allocated + st->bytes_available + st->unused_pools * st->pool_size +
                             st->bytes_pool_headers + st->bytes_quantization + st->bytes_alignment;
            if (total != st->arenas_current * st->arena_size)
                bad(&c, "stats: byte accounting sums to %lu, not %lu arenas * %u", (unsigned long)total,
                    (unsigned long)st->arenas_current, st->arena_size);
            free(st);
        }
    }
    free(seen);
    free(nused_by_class);
    return c.ok;
}

/* ---- stats -------------------------------------------------------------------------------- */

void heap_get_stats(const struct heap *h, struct heap_stats *out)
{
    heap_stats_begin(out, (struct heap_stats_geometry){h->profile.alignment, h->profile.threshold, h->pool_size,
                                                       h->arena_size, h->pool_overhead, h->nclasses,
                                                       h->profile.arena_map_bits != 0});
    for (uint32_t i = 0; i < h->nclasses; i++)
        out->classes[i].size = heap_class_size(h, i);

    /* As _PyObject_DebugMallocStats does it: full pools are on no list, so walk every arena. */
    for (uint32_t i = 0; i < h->maxarenas; i++) {
        const struct arena_object *ao = &h->arenas[i];
        if (!ao->address)
            continue;
        out->arenas_current++;
        out->unused_pools += ao->nfreepools;
        uintptr_t base = ao->address;
        if (base & h->pool_mask) {
            out->bytes_alignment += h->pool_size;
            base = (base & ~h->pool_mask) + h->pool_size;
        }
        for (; base < (uintptr_t)ao->pool_address; base += h->pool_size) {
            const struct pool_header *p = (const struct pool_header *)base;
            if (p->ref.count == 0)
                continue;
            struct heap_stats_class *k = &out->classes[p->szidx];
            k->pools++;
            k->in_use += p->ref.count;
            k->avail += blocks_per_pool(h, p->szidx) - p->ref.count;
        }
    }
    heap_stats_count_classes(out);
    out->arenas_allocated_total = h->ntimes_arena_allocated;
    out->arenas_highwater = h->narenas_highwater;
    if (out->radix_tree) {
        /* CPython's nodes: pointer arrays above, pairs of int32 tails at the bottom */
        out->map_mid_nodes = h->census.nmids;
        out->map_bot_nodes = h->census.nbots;
        out->map_root_bytes = (uint64_t)h->map_top_len * sizeof(void *);
        out->map_mid_bytes = h->census.nmids * h->map_mid_len * sizeof(void *);
        out->map_bot_bytes = h->census.nbots * h->map_bot_len * 2 * sizeof(int32_t);
    }
    out->raw_blocks = h->raw_allocated_blocks;
    out->raw_bytes = h->raw_bytes;
}
