/*
 * heap_query.c - what the views read of the heap: plain values copied out of its structures,
 * and what the fold does not keep but derives when asked (a pool's index and free-list length,
 * an arena's last change and place in usable_arenas).
 */
#include "fold.h"
#include "graph.h"
#include "heap.h"

#include <tracer/codec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_geometry(const struct model *m, struct model_geometry *out)
{
    const struct mheap *h = model_parts(m)->heap;
    *out = h->geo;
}

uint32_t model_class_size(const struct model *m, uint32_t szidx)
{
    const struct mheap *h = model_parts(m)->heap;
    return szidx < h->geo.nclasses ? h->classes[szidx].size : 0;
}

uint32_t model_class_capacity(const struct model *m, uint32_t szidx)
{
    const struct mheap *h = model_parts(m)->heap;
    return szidx < h->geo.nclasses ? h->classes[szidx].cap : 0;
}

/* ---- arenas ---------------------------------------------------------------------------------- */

uint32_t model_arena_slots(const struct model *m)
{
    const struct mheap *h = model_parts(m)->heap;
    return h->nslots;
}

uint32_t model_arena_count(const struct model *m)
{
    const struct mheap *h = model_parts(m)->heap;
    return h->narenas;
}

/* The live arena in slot, or NULL. */
static const struct marena *live_arena(const struct mheap *h, uint32_t slot)
{
    return slot < h->nslots && h->arenas[slot].live ? &h->arenas[slot] : NULL;
}

/* Describes arena a in out; false (out untouched) when there is none. */
static bool arena_fill(const struct mheap *h, const struct marena *a, struct model_arena *out)
{
    if (!a)
        return false;
    *out = (struct model_arena){
        .slot = (uint32_t)(a - h->arenas),
        .serial = a->serial,
        .base = a->base,
        .first_pool = a->first_pool,
        .sliver = a->sliver,
        .npools = a->npools,
        .nfreepools = a->nfreepools,
        .ncarved = a->ncarved,
        .nused = a->nused,
        .nfull = a->nfull,
        .nempty = a->nempty,
        .seq_new = a->seq_new,
        .seq_changed = marena_changed(a),
    };
    if (a->on_usable) {
        out->list = MODEL_ARENA_USABLE;
        if (h->usable_dirty) {
            /* Positions are recounted once after the list changed, not per query: drawing 1000
             * arenas stays linear.  The cache is the model's own, hence the cast. */
            struct mheap *mh = (struct mheap *)(uintptr_t)h;
            uint32_t pos = 0;
            for (int32_t s = h->usable_head; s >= 0; s = h->arenas[s].usable_next)
                mh->arenas[s].usable_pos = pos++;
            mh->usable_dirty = false;
        }
        out->usable_pos = a->usable_pos;
        out->is_finger = a->usable_next < 0 ||
                         h->arenas[a->usable_next].nfreepools != a->nfreepools;
        out->is_retained = a->nfreepools == a->npools;
    } else {
        out->list = a->nfreepools == 0 ? MODEL_ARENA_FULL : MODEL_ARENA_DETACHED;
    }
    return true;
}

bool model_arena_at(const struct model *m, uint32_t slot, struct model_arena *out)
{
    const struct mheap *h = model_parts(m)->heap;
    return arena_fill(h, live_arena(h, slot), out);
}

bool model_arena_find(const struct model *m, uint64_t addr, struct model_arena *out)
{
    const struct mheap *h = model_parts(m)->heap;
    return arena_fill(h, mheap_arena_lookup(h, addr), out);
}

size_t model_usable_arenas(const struct model *m, uint32_t *slots, size_t max)
{
    const struct mheap *h = model_parts(m)->heap;
    size_t n = 0;
    for (int32_t s = h->usable_head; s >= 0; s = h->arenas[s].usable_next) {
        if (n < max)
            slots[n] = (uint32_t)s;
        n++;
    }
    return n;
}

size_t model_arena_cache(const struct model *m, uint32_t slot, uint64_t *pools, size_t max)
{
    const struct marena *a = live_arena(model_parts(m)->heap, slot);
    size_t n = 0;
    for (const struct mpool *p = a ? a->cache : NULL; p; p = p->next) {
        if (n < max)
            pools[n] = p->addr;
        n++;
    }
    return n;
}

size_t model_released(const struct model *m, struct model_released *out, size_t max)
{
    const struct mheap *h = model_parts(m)->heap;
    return mring_copy(out, max, h->released, sizeof *out, h->released_head, h->nreleased, MODEL_RELEASED_KEEP);
}

/* ---- pools ----------------------------------------------------------------------------------- */

const char *model_pool_state_name(enum model_pool_state s)
{
    switch (s) {
    case MODEL_POOL_UNTOUCHED: return "untouched";
    case MODEL_POOL_CARVED: return "carved";
    case MODEL_POOL_USED: return "used";
    case MODEL_POOL_FULL: return "full";
    case MODEL_POOL_EMPTY: return "empty";
    case MODEL_POOL_STATE_COUNT: break;
    }
    return "?";
}

size_t model_arena_cells(const struct model *m, uint32_t slot, struct model_pool_cell *cells,
                         size_t max)
{
    const struct mheap *h = model_parts(m)->heap;
    const struct marena *a = live_arena(h, slot);
    if (!a)
        return 0;
    size_t n = a->npools < max ? a->npools : max;
    for (size_t i = 0; i < n; i++) {
        const struct mpool *p = &a->pools[i];
        uint32_t cap = p->szidx < h->geo.nclasses ? h->classes[p->szidx].cap : 0;
        cells[i] = (struct model_pool_cell){
            .state = p->state,
            .szidx = p->szidx,
            .fill = cap ? (uint16_t)((uint64_t)p->count * 1000 / cap) : 0,
            .count = p->count,
        };
    }
    return n;
}

static uint32_t list_pos(const struct mpool *head, const struct mpool *p)
{
    uint32_t n = 0;
    for (const struct mpool *q = head; q && q != p; q = q->next)
        n++;
    return n;
}

/* Describes pool p in out; false (out untouched) when there is none. */
static bool pool_fill(const struct mheap *h, const struct mpool *p, struct model_pool *out)
{
    if (!p)
        return false;
    bool has_class = p->szidx < h->geo.nclasses && p->state != MODEL_POOL_UNTOUCHED;
    uint32_t size = has_class ? h->classes[p->szidx].size : 0;
    *out = (struct model_pool){
        .addr = p->addr,
        .slot = p->slot,
        .index = (uint32_t)(p - h->arenas[p->slot].pools),
        .state = (enum model_pool_state)p->state,
        .szidx = has_class ? p->szidx : MODEL_NO_CLASS,
        .size = size,
        .count = p->count,
        .capacity = has_class ? h->classes[p->szidx].cap : 0,
        .nfree = has_class ? mpool_nfree(p) : 0,
        .seq_changed = p->seq_changed,
    };
    if (has_class) {
        out->freeblock = p->freehead
                             ? p->addr + h->geo.pool_overhead + (uint64_t)(p->freehead - 1) * size
                             : 0;
        out->nextoffset = p->nextoffset;
        out->maxnextoffset = h->geo.pool_size - size;
        out->nvirgin = p->nextoffset < h->geo.pool_size
                           ? (h->geo.pool_size - p->nextoffset) / size
                           : 0;
    }
    if (p->state == MODEL_POOL_USED) {
        out->nextpool = p->next->addr;
        out->prevpool = p->prev->addr;
        out->ring_pos = list_pos(h->classes[p->szidx].ring, p);
        /* list_pos stops at the ring's front again only through p itself */
    } else if (p->state == MODEL_POOL_EMPTY) {
        out->nextpool = p->next ? p->next->addr : 0;
        out->cache_pos = list_pos(h->arenas[p->slot].cache, p);
    }
    return true;
}

bool model_pool_at(const struct model *m, uint32_t slot, uint32_t index, struct model_pool *out)
{
    const struct mheap *h = model_parts(m)->heap;
    const struct marena *a = live_arena(h, slot);
    return pool_fill(h, a && index < a->npools ? &a->pools[index] : NULL, out);
}

bool model_pool_find(const struct model *m, uint64_t addr, struct model_pool *out)
{
    const struct mheap *h = model_parts(m)->heap;
    return pool_fill(h, mheap_pool_lookup(h, addr), out);
}

/* The pool at addr when it has blocks of a class, with that class in *cls; else NULL. */
static const struct mpool *carved_pool(const struct mheap *h, uint64_t addr, const struct mclass **cls)
{
    const struct mpool *p = mheap_pool_lookup(h, addr);
    if (!p || p->state == MODEL_POOL_UNTOUCHED || p->szidx >= h->geo.nclasses || !p->blk)
        return NULL;
    *cls = &h->classes[p->szidx];
    return p;
}

static enum model_block_state block_state(const struct mheap *h, const struct mpool *p, uint32_t i)
{
    uint32_t w = p->blk[i];
    if (w & BLK_ALLOC)
        return MODEL_BLOCK_ALLOCATED;
    uint64_t off = h->geo.pool_overhead + (uint64_t)i * h->classes[p->szidx].size;
    if (off >= p->nextoffset)
        return MODEL_BLOCK_VIRGIN;
    return MODEL_BLOCK_FREE;
}

size_t model_pool_blocks(const struct model *m, uint64_t pool_addr, uint8_t *states, size_t max)
{
    const struct mheap *h = model_parts(m)->heap;
    const struct mclass *k = NULL;
    const struct mpool *p = carved_pool(h, pool_addr, &k);
    for (uint32_t i = 0; p && i < k->cap && i < max; i++)
        states[i] = (uint8_t)block_state(h, p, i);
    return p ? k->cap : 0;
}

size_t model_pool_free_list(const struct model *m, uint64_t pool_addr, uint64_t *addrs, size_t max)
{
    const struct mheap *h = model_parts(m)->heap;
    const struct mclass *k = NULL;
    const struct mpool *p = carved_pool(h, pool_addr, &k);
    if (!p)
        return 0;
    size_t n = 0;
    for (uint32_t link = p->freehead; link && n <= k->cap; link = p->blk[link - 1] & ~BLK_ALLOC) {
        if (n < max)
            addrs[n] = p->addr + h->geo.pool_overhead + (uint64_t)(link - 1) * k->size;
        n++;
    }
    return n;
}

bool model_block_find(const struct model *m, uint64_t addr, struct model_block *out)
{
    const struct mheap *h = model_parts(m)->heap;
    const struct mclass *k = NULL;
    const struct mpool *p = carved_pool(h, addr, &k);
    bool exact;
    uint32_t i = p ? mheap_block_index(h, p, addr, &exact) : NONE;
    if (i == NONE)
        return false;
    uint32_t size = k->size;
    *out = (struct model_block){
        .addr = p->addr + h->geo.pool_overhead + (uint64_t)i * size,
        .pool = p->addr,
        .index = i,
        .szidx = p->szidx,
        .size = size,
        .state = block_state(h, p, i),
    };
    uint32_t w = p->blk[i];
    if (out->state == MODEL_BLOCK_ALLOCATED) {
        out->requested = w & BLK_REQ_MASK;
        if (w & BLK_STACK)
            out->stack = mpool_stacks(p)[i];
        if (w & BLK_OBJ)
            out->object = mgraph_object_in(model_parts(m)->graph, out->addr, size,
                                           h->geo.alignment);
    } else if (out->state == MODEL_BLOCK_FREE) {
        out->free_pos = 0;
        for (uint32_t link = p->freehead; link && link != i + 1;
             link = p->blk[link - 1] & ~BLK_ALLOC)
            out->free_pos++;
    }
    return true;
}

void model_next_block(const struct model *m, uint32_t szidx, struct model_next *out)
{
    const struct mheap *h = model_parts(m)->heap;
    *out = (struct model_next){.source = MODEL_NEXT_NEW_ARENA};
    if (szidx >= h->geo.nclasses)
        return;
    uint32_t size = h->classes[szidx].size;
    const struct mpool *r = h->classes[szidx].ring;
    if (r) {
        out->source = MODEL_NEXT_RING;
        out->pool = r->addr;
        out->slot = r->slot;
        /* the head of its free list, or the first virgin block of a pool just initialised */
        if (r->freehead)
            out->addr = r->addr + h->geo.pool_overhead + (uint64_t)(r->freehead - 1) * size;
        else if (r->count == 0)
            out->addr = r->addr + r->nextoffset;
        return;
    }
    if (h->usable_head < 0)
        return;
    const struct marena *a = &h->arenas[h->usable_head];
    out->slot = (uint32_t)h->usable_head;
    if (a->cache) {
        const struct mpool *p = a->cache;
        out->source = MODEL_NEXT_CACHED_POOL;
        out->pool = p->addr;
        if (p->szidx == szidx && p->freehead)
            out->addr = p->addr + h->geo.pool_overhead + (uint64_t)(p->freehead - 1) * size;
        else
            out->addr = p->addr + h->geo.pool_overhead;
        return;
    }
    if (a->ncarved < a->npools) {
        out->source = MODEL_NEXT_NEW_POOL;
        out->pool = a->pools[a->ncarved].addr;
        out->addr = out->pool + h->geo.pool_overhead;
    }
}

/* ---- size classes ---------------------------------------------------------------------------- */

bool model_class_at(const struct model *m, uint32_t szidx, struct model_class *out)
{
    const struct mheap *h = model_parts(m)->heap;
    if (szidx >= h->geo.nclasses)
        return false;
    const struct mclass *c = &h->classes[szidx];
    uint64_t pools = c->ring_len + c->full;
    *out = (struct model_class){
        .szidx = szidx,
        .size = h->classes[szidx].size,
        .capacity = h->classes[szidx].cap,
        .pools = pools,
        .used_pools = c->ring_len,
        .full_pools = c->full,
        .empty_pools = c->empty,
        .in_use = c->in_use,
        .avail = pools * h->classes[szidx].cap - c->in_use,
        .requested = c->requested,
    };
    return true;
}

size_t model_class_ring(const struct model *m, uint32_t szidx, uint64_t *pools, size_t max)
{
    const struct mheap *h = model_parts(m)->heap;
    if (szidx >= h->geo.nclasses || !h->classes[szidx].ring)
        return 0;
    const struct mpool *head = h->classes[szidx].ring, *p = head;
    size_t n = 0;
    do {
        if (n == max)
            return h->classes[szidx].ring_len; /* the rest need not be walked to be counted */
        pools[n++] = p->addr;
        p = p->next;
    } while (p != head);
    return n;
}

/* ---- raw blocks ------------------------------------------------------------------------------ */

size_t model_raw_count(const struct model *m)
{
    const struct mheap *h = model_parts(m)->heap;
    return h->nraws;
}

/* Describes raw block r in out; false (out untouched) when there is none. */
static bool raw_fill(const struct model *m, const struct mraw *r, struct model_raw *out)
{
    if (!r)
        return false;
    const struct mheap *h = model_parts(m)->heap;
    const struct mgraph *g = model_parts(m)->graph;
    *out = (struct model_raw){
        .addr = r->addr,
        .size = r->size,
        .why = r->why,
        .stack = r->stack,
        .seq = r->seq,
        .object = r->objs ? mgraph_object_in(g, r->addr, r->size, h->geo.alignment) : 0,
    };
    return true;
}

bool model_raw_find(const struct model *m, uint64_t addr, struct model_raw *out)
{
    const struct mheap *h = model_parts(m)->heap;
    const uint64_t *v = map_get(&h->raw_index, addr);
    return raw_fill(m, v ? &h->raws[*v] : NULL, out);
}

bool model_raw_next(const struct model *m, size_t *cursor, struct model_raw *out)
{
    const struct mheap *h = model_parts(m)->heap;
    return raw_fill(m, *cursor < h->nraws ? &h->raws[(*cursor)++] : NULL, out);
}

/* ---- who pins an arena ------------------------------------------------------------------------ */

/* Calls fn for every allocated block of the arena (or of its pool `pool` when >= 0) with the frame
 * of the line that allocated it. */
static void each_pinned_block(const struct model *m, uint32_t slot, int32_t pool,
                              void (*fn)(void *ctx, uint64_t addr, uint32_t size, uint32_t frame, uint32_t stack),
                              void *ctx)
{
    const struct mheap *h = model_parts(m)->heap;
    const struct marena *a = live_arena(h, slot);
    if (!a)
        return;
    for (uint32_t i = 0; i < a->npools; i++) {
        if (pool >= 0 && (uint32_t)pool != i)
            continue;
        const struct mpool *p = &a->pools[i];
        if (!p->blk || p->count == 0 || p->szidx == MODEL_NO_CLASS)
            continue;
        uint32_t size = h->classes[p->szidx].size, cap = h->classes[p->szidx].cap;
        for (uint32_t b = 0; b < cap && b < p->blk_cap; b++) {
            uint32_t w = p->blk[b];
            if (block_state(h, p, b) != MODEL_BLOCK_ALLOCATED)
                continue;
            uint64_t addr = p->addr + h->geo.pool_overhead + (uint64_t)b * size;
            uint32_t stack = w & BLK_STACK ? mpool_stacks(p)[b] : 0;
            fn(ctx, addr, size, stack ? model_stack_line_frame(m, stack) : 0, stack);
        }
    }
}

struct pins {
    struct map index; /* frame + 1 -> group index + 1 */
    struct model_pin *groups;
    size_t n, cap;
    bool oom;
};

static void pin_add(void *ctx, uint64_t addr, uint32_t size, uint32_t frame, uint32_t stack)
{
    (void)addr;
    struct pins *ps = ctx;
    uint64_t *v = map_get(&ps->index, (uint64_t)frame + 1);
    if (!v) {
        if (!codec_array_reserve((void **)&ps->groups, &ps->cap, ps->n + 1, sizeof *ps->groups) ||
            !map_put(&ps->index, (uint64_t)frame + 1, ps->n + 1)) {
            ps->oom = true;
            return;
        }
        ps->groups[ps->n++] = (struct model_pin){.frame = frame, .stack = stack};
        v = map_get(&ps->index, (uint64_t)frame + 1);
    }
    struct model_pin *g = &ps->groups[*v - 1];
    g->blocks++;
    g->bytes += size;
}

static int cmp_pin(const void *a, const void *b)
{
    const struct model_pin *x = a, *y = b;
    if (x->bytes != y->bytes)
        return x->bytes > y->bytes ? -1 : 1;
    if (x->blocks != y->blocks)
        return x->blocks > y->blocks ? -1 : 1;
    return x->frame < y->frame ? -1 : x->frame > y->frame;
}

size_t model_pins(const struct model *m, uint32_t slot, int32_t pool, struct model_pin *out, size_t max)
{
    struct pins ps = {0};
    map_init(&ps.index);
    each_pinned_block(m, slot, pool, pin_add, &ps);
    if (ps.n > 1)
        qsort(ps.groups, ps.n, sizeof *ps.groups, cmp_pin);
    for (size_t i = 0; i < ps.n && i < max; i++)
        out[i] = ps.groups[i];
    size_t n = ps.n;
    map_release(&ps.index);
    free(ps.groups);
    return n;
}

struct pin_blocks {
    uint32_t frame;
    uint64_t *addrs;
    size_t n, max;
};

static void pin_block_add(void *ctx, uint64_t addr, uint32_t size, uint32_t frame, uint32_t stack)
{
    (void)size;
    (void)stack;
    struct pin_blocks *pb = ctx;
    if (frame != pb->frame)
        return;
    if (pb->n < pb->max)
        pb->addrs[pb->n] = addr;
    pb->n++;
}

size_t model_pin_blocks(const struct model *m, uint32_t slot, int32_t pool, uint32_t frame, uint64_t *addrs,
                        size_t max)
{
    struct pin_blocks pb = {frame, addrs, 0, max};
    each_pinned_block(m, slot, pool, pin_block_add, &pb);
    return pb.n;
}
