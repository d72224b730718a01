/*
 * model_query.c - what the views read from the model: plain values copied out of its structures.
 */
#include "model_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void model_geometry(const struct model *m, struct model_geometry *out)
{
    *out = m->geo;
}

uint32_t model_class_size(const struct model *m, uint32_t szidx)
{
    return szidx < m->geo.nclasses ? m->classes[szidx].size : 0;
}

uint32_t model_class_capacity(const struct model *m, uint32_t szidx)
{
    return szidx < m->geo.nclasses ? m->classes[szidx].cap : 0;
}

/* ---- arenas ---------------------------------------------------------------------------------- */

uint32_t model_arena_slots(const struct model *m)
{
    return m->nslots;
}

uint32_t model_arena_count(const struct model *m)
{
    return m->narenas;
}

static void arena_fill(const struct model *m, uint32_t slot, struct model_arena *out)
{
    const struct marena *a = &m->arenas[slot];
    *out = (struct model_arena){
        .slot = slot,
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
        .seq_changed = model_arena_changed(a),
    };
    if (a->on_usable) {
        out->list = MODEL_ARENA_USABLE;
        if (m->usable_dirty) {
            /* Positions are recounted once after the list changed, not per query: drawing 1000
             * arenas stays linear.  The cache is the model's own, hence the cast. */
            struct model *mm = (struct model *)(uintptr_t)m;
            uint32_t pos = 0;
            for (int32_t s = m->usable_head; s >= 0; s = m->arenas[s].usable_next)
                mm->arenas[s].usable_pos = pos++;
            mm->usable_dirty = false;
        }
        out->usable_pos = a->usable_pos;
        out->is_finger = a->usable_next < 0 ||
                         m->arenas[a->usable_next].nfreepools != a->nfreepools;
        out->is_retained = a->nfreepools == a->npools;
    } else {
        out->list = a->nfreepools == 0 ? MODEL_ARENA_FULL : MODEL_ARENA_DETACHED;
    }
}

bool model_arena_at(const struct model *m, uint32_t slot, struct model_arena *out)
{
    if (slot >= m->nslots || !m->arenas[slot].live)
        return false;
    arena_fill(m, slot, out);
    return true;
}

bool model_arena_find(const struct model *m, uint64_t addr, struct model_arena *out)
{
    const struct marena *a = model_arena_lookup(m, addr);
    if (!a)
        return false;
    arena_fill(m, (uint32_t)(a - m->arenas), out);
    return true;
}

size_t model_usable_arenas(const struct model *m, uint32_t *slots, size_t max)
{
    size_t n = 0;
    for (int32_t s = m->usable_head; s >= 0; s = m->arenas[s].usable_next) {
        if (n < max)
            slots[n] = (uint32_t)s;
        n++;
    }
    return n;
}

size_t model_arena_cache(const struct model *m, uint32_t slot, uint64_t *pools, size_t max)
{
    if (slot >= m->nslots || !m->arenas[slot].live)
        return 0;
    size_t n = 0;
    for (const struct mpool *p = m->arenas[slot].cache; p; p = p->next) {
        if (n < max)
            pools[n] = p->addr;
        n++;
    }
    return n;
}

size_t model_released(const struct model *m, struct model_released *out, size_t max)
{
    size_t n = m->nreleased < max ? m->nreleased : max;
    for (size_t i = 0; i < n; i++)
        out[i] = m->released[(m->released_head + i) % MODEL_RELEASED_KEEP];
    return n;
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
    if (slot >= m->nslots || !m->arenas[slot].live)
        return 0;
    const struct marena *a = &m->arenas[slot];
    size_t n = a->npools < max ? a->npools : max;
    for (size_t i = 0; i < n; i++) {
        const struct mpool *p = &a->pools[i];
        uint32_t cap = p->szidx < m->geo.nclasses ? m->classes[p->szidx].cap : 0;
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

static void pool_fill(const struct model *m, const struct mpool *p, struct model_pool *out)
{
    bool has_class = p->szidx < m->geo.nclasses && p->state != MODEL_POOL_UNTOUCHED;
    uint32_t size = has_class ? m->classes[p->szidx].size : 0;
    *out = (struct model_pool){
        .addr = p->addr,
        .slot = p->slot,
        .index = (uint32_t)(p - m->arenas[p->slot].pools),
        .state = (enum model_pool_state)p->state,
        .szidx = has_class ? p->szidx : MODEL_NO_CLASS,
        .size = size,
        .count = p->count,
        .capacity = has_class ? m->classes[p->szidx].cap : 0,
        .nfree = has_class ? model_pool_nfree(p) : 0,
        .seq_changed = p->seq_changed,
    };
    if (has_class) {
        out->freeblock = p->freehead
                             ? p->addr + m->geo.pool_overhead + (uint64_t)(p->freehead - 1) * size
                             : 0;
        out->nextoffset = p->nextoffset;
        out->maxnextoffset = m->geo.pool_size - size;
        out->nvirgin = p->nextoffset < m->geo.pool_size
                           ? (m->geo.pool_size - p->nextoffset) / size
                           : 0;
    }
    if (p->state == MODEL_POOL_USED) {
        out->nextpool = p->next->addr;
        out->prevpool = p->prev->addr;
        out->ring_pos = list_pos(m->classes[p->szidx].ring, p);
        /* list_pos stops at the ring's front again only through p itself */
    } else if (p->state == MODEL_POOL_EMPTY) {
        out->nextpool = p->next ? p->next->addr : 0;
        out->cache_pos = list_pos(m->arenas[p->slot].cache, p);
    }
}

bool model_pool_at(const struct model *m, uint32_t slot, uint32_t index, struct model_pool *out)
{
    if (slot >= m->nslots || !m->arenas[slot].live || index >= m->arenas[slot].npools)
        return false;
    pool_fill(m, &m->arenas[slot].pools[index], out);
    return true;
}

bool model_pool_find(const struct model *m, uint64_t addr, struct model_pool *out)
{
    const struct mpool *p = model_pool_lookup(m, addr);
    if (!p)
        return false;
    pool_fill(m, p, out);
    return true;
}

static const struct mpool *carved_pool(const struct model *m, uint64_t addr)
{
    const struct mpool *p = model_pool_lookup(m, addr);
    if (!p || p->state == MODEL_POOL_UNTOUCHED || p->szidx >= m->geo.nclasses || !p->blk)
        return NULL;
    return p;
}

static enum model_block_state block_state(const struct model *m, const struct mpool *p, uint32_t i)
{
    uint32_t w = p->blk[i];
    if (w & BLK_ALLOC)
        return MODEL_BLOCK_ALLOCATED;
    uint64_t off = m->geo.pool_overhead + (uint64_t)i * m->classes[p->szidx].size;
    if (off >= p->nextoffset)
        return MODEL_BLOCK_VIRGIN;
    return MODEL_BLOCK_FREE;
}

size_t model_pool_blocks(const struct model *m, uint64_t pool_addr, uint8_t *states, size_t max)
{
    const struct mpool *p = carved_pool(m, pool_addr);
    if (!p)
        return 0;
    uint32_t cap = m->classes[p->szidx].cap;
    for (uint32_t i = 0; i < cap && i < max; i++)
        states[i] = (uint8_t)block_state(m, p, i);
    return cap;
}

size_t model_pool_free_list(const struct model *m, uint64_t pool_addr, uint64_t *addrs, size_t max)
{
    const struct mpool *p = carved_pool(m, pool_addr);
    if (!p)
        return 0;
    uint32_t size = m->classes[p->szidx].size, cap = m->classes[p->szidx].cap;
    size_t n = 0;
    for (uint32_t h = p->freehead; h && n <= cap; h = p->blk[h - 1] & ~BLK_ALLOC) {
        if (n < max)
            addrs[n] = p->addr + m->geo.pool_overhead + (uint64_t)(h - 1) * size;
        n++;
    }
    return n;
}

/* The live object whose memory starts at block (its header may come first: probe the first
 * 64 bytes). */
static uint64_t object_in(const struct model *m, uint64_t block, uint64_t size)
{
    for (uint64_t off = 0; off <= 64 && off < size; off += m->geo.alignment) {
        uint32_t i = model_obj_lookup(m, block + off);
        if (i != NONE && m->objs[i].block == block)
            return block + off;
    }
    return 0;
}

bool model_block_find(const struct model *m, uint64_t addr, struct model_block *out)
{
    const struct mpool *p = carved_pool(m, addr);
    if (!p)
        return false;
    bool exact;
    uint32_t i = model_block_index(m, p, addr, &exact);
    if (i == NONE)
        return false;
    uint32_t size = m->classes[p->szidx].size;
    *out = (struct model_block){
        .addr = p->addr + m->geo.pool_overhead + (uint64_t)i * size,
        .pool = p->addr,
        .index = i,
        .szidx = p->szidx,
        .size = size,
        .state = block_state(m, p, i),
    };
    uint32_t w = p->blk[i];
    if (out->state == MODEL_BLOCK_ALLOCATED) {
        out->requested = w & BLK_REQ_MASK;
        if (w & BLK_STACK) {
            const uint64_t *v = map_get(&m->block_stacks, out->addr);
            out->stack = v ? (uint32_t)*v : 0;
        }
        if (w & BLK_OBJ)
            out->object = object_in(m, out->addr, size);
    } else if (out->state == MODEL_BLOCK_FREE) {
        out->free_pos = 0;
        for (uint32_t h = p->freehead; h && h != i + 1; h = p->blk[h - 1] & ~BLK_ALLOC)
            out->free_pos++;
    }
    return true;
}

void model_next_block(const struct model *m, uint32_t szidx, struct model_next *out)
{
    *out = (struct model_next){.source = MODEL_NEXT_NEW_ARENA};
    if (szidx >= m->geo.nclasses)
        return;
    uint32_t size = m->classes[szidx].size;
    const struct mpool *r = m->classes[szidx].ring;
    if (r) {
        out->source = MODEL_NEXT_RING;
        out->pool = r->addr;
        out->slot = r->slot;
        out->addr = r->freehead ? r->addr + m->geo.pool_overhead + (uint64_t)(r->freehead - 1) * size
                                : 0;
        return;
    }
    if (m->usable_head < 0)
        return;
    const struct marena *a = &m->arenas[m->usable_head];
    out->slot = (uint32_t)m->usable_head;
    if (a->cache) {
        const struct mpool *p = a->cache;
        out->source = MODEL_NEXT_CACHED_POOL;
        out->pool = p->addr;
        if (p->szidx == szidx && p->freehead)
            out->addr = p->addr + m->geo.pool_overhead + (uint64_t)(p->freehead - 1) * size;
        else
            out->addr = p->addr + m->geo.pool_overhead;
        return;
    }
    if (a->ncarved < a->npools) {
        out->source = MODEL_NEXT_NEW_POOL;
        out->pool = a->pools[a->ncarved].addr;
        out->addr = out->pool + m->geo.pool_overhead;
    }
}

/* ---- size classes ---------------------------------------------------------------------------- */

bool model_class_at(const struct model *m, uint32_t szidx, struct model_class *out)
{
    if (szidx >= m->geo.nclasses)
        return false;
    const struct mclass *c = &m->classes[szidx];
    uint64_t pools = c->ring_len + c->full;
    *out = (struct model_class){
        .szidx = szidx,
        .size = m->classes[szidx].size,
        .capacity = m->classes[szidx].cap,
        .pools = pools,
        .used_pools = c->ring_len,
        .full_pools = c->full,
        .empty_pools = c->empty,
        .in_use = c->in_use,
        .avail = pools * m->classes[szidx].cap - c->in_use,
        .requested = c->requested,
    };
    return true;
}

size_t model_class_ring(const struct model *m, uint32_t szidx, uint64_t *pools, size_t max)
{
    if (szidx >= m->geo.nclasses || !m->classes[szidx].ring)
        return 0;
    const struct mpool *head = m->classes[szidx].ring, *p = head;
    size_t n = 0;
    do {
        if (n == max)
            return m->classes[szidx].ring_len; /* the rest need not be walked to be counted */
        pools[n++] = p->addr;
        p = p->next;
    } while (p != head);
    return n;
}

/* ---- raw blocks ------------------------------------------------------------------------------ */

size_t model_raw_count(const struct model *m)
{
    return m->nraws;
}

static void raw_fill(const struct model *m, const struct mraw *r, struct model_raw *out)
{
    *out = (struct model_raw){.addr = r->addr,
                              .size = r->size,
                              .why = r->why,
                              .stack = r->stack,
                              .seq = r->seq,
                              .object = r->obj ? object_in(m, r->addr, r->size) : 0};
}

bool model_raw_find(const struct model *m, uint64_t addr, struct model_raw *out)
{
    const uint64_t *v = map_get(&m->raw_index, addr);
    if (!v)
        return false;
    raw_fill(m, &m->raws[*v], out);
    return true;
}

bool model_raw_next(const struct model *m, size_t *cursor, struct model_raw *out)
{
    if (*cursor >= m->nraws)
        return false;
    raw_fill(m, &m->raws[(*cursor)++], out);
    return true;
}

/* ---- totals and stats ------------------------------------------------------------------------ */

void model_totals(const struct model *m, struct model_totals *out)
{
    uint64_t blocks = 0, requested = 0;
    for (uint32_t i = 0; i < m->geo.nclasses; i++) {
        blocks += m->classes[i].in_use;
        requested += m->classes[i].requested;
    }
    *out = (struct model_totals){
        .blocks = blocks,
        .block_bytes = m->block_bytes,
        .requested_bytes = requested,
        .raw_blocks = m->nraws,
        .raw_bytes = m->raw_bytes,
        .arena_bytes = (uint64_t)m->narenas * m->geo.arena_size,
        .objects = m->nobjs,
        .mallocs = m->mallocs,
        .frees = m->frees,
        .arenas_total = m->arenas_total,
        .arenas_highwater = m->arenas_highwater,
    };
}

void model_get_stats(const struct model *m, struct heap_stats *out)
{
    memset(out, 0, sizeof *out);
    const struct model_geometry *g = &m->geo;
    out->alignment = g->alignment;
    out->threshold = g->threshold;
    out->pool_size = g->pool_size;
    out->arena_size = g->arena_size;
    out->pool_overhead = g->pool_overhead;
    out->nclasses = g->nclasses;
    out->radix_tree = g->radix_tree;
    uint64_t nonempty_pools = 0;
    for (uint32_t i = 0; i < g->nclasses; i++) {
        const struct mclass *c = &m->classes[i];
        struct heap_stats_class *s = &out->classes[i];
        s->size = m->classes[i].size;
        s->pools = c->ring_len + c->full;
        s->in_use = c->in_use;
        s->avail = s->pools * m->classes[i].cap - c->in_use;
        nonempty_pools += s->pools;
        out->bytes_allocated += s->in_use * s->size;
        out->bytes_available += s->avail * s->size;
        out->bytes_quantization += s->pools * ((g->pool_size - g->pool_overhead) % s->size);
    }
    out->arenas_allocated_total = m->arenas_total;
    out->arenas_highwater = m->arenas_highwater;
    out->arenas_current = m->narenas;
    uint64_t unused = 0, misaligned = 0;
    for (uint32_t s = 0; s < m->nslots; s++) {
        const struct marena *a = &m->arenas[s];
        if (!a->live)
            continue;
        unused += a->nfreepools;
        misaligned += a->sliver != 0;
    }
    out->unused_pools = unused;
    out->bytes_pool_headers = nonempty_pools * g->pool_overhead;
    out->bytes_alignment = misaligned * g->pool_size;
    if (g->radix_tree) {
        uint32_t abits = m->arena_shift;
        uint32_t interior = (m->map_bits - abits + 2) / 3, bot = m->map_bits - abits - 2 * interior;
        out->map_mid_nodes = m->radix_mid.n;
        out->map_bot_nodes = m->radix_bot.n;
        out->map_root_bytes = ((uint64_t)1 << interior) * g->pointer_size;
        out->map_mid_bytes = out->map_mid_nodes * ((uint64_t)1 << interior) * g->pointer_size;
        out->map_bot_bytes = out->map_bot_nodes * ((uint64_t)1 << bot) * 8;
    }
    out->raw_blocks = m->nraws;
    out->raw_bytes = m->raw_bytes;
    for (uint32_t i = 0; i < HEAP_STATS_MAX_FREELISTS; i++) {
        const struct mfreelist *f = &m->freelists[i];
        if (!f->set)
            continue;
        struct heap_stats_freelist *o = &out->freelists[i];
        snprintf(o->label, sizeof o->label, "%s", f->label);
        o->count = f->count;
        o->each = f->each;
        out->nfreelists = i + 1;
    }
}

/* ---- types and stacks ------------------------------------------------------------------------ */

static void type_fill(const struct model *m, const struct mtype *t, struct model_type *out)
{
    size_t len;
    *out = (struct model_type){.id = t->id,
                               .name = strtab_get(&m->strs, t->name, &len),
                               .basicsize = t->basicsize,
                               .itemsize = t->itemsize,
                               .flags = t->flags,
                               .live = t->live};
}

bool model_type(const struct model *m, uint32_t id, struct model_type *out)
{
    const uint64_t *v = map_get(&m->type_index, id);
    if (!v)
        return false;
    type_fill(m, &m->types[*v - 1], out);
    return true;
}

uint32_t model_type_count(const struct model *m)
{
    return (uint32_t)m->ntypes;
}

bool model_type_next(const struct model *m, size_t *cursor, struct model_type *out)
{
    if (*cursor >= m->ntypes)
        return false;
    type_fill(m, &m->types[(*cursor)++], out);
    return true;
}

bool model_stack(const struct model *m, uint32_t id, struct model_stack *out)
{
    const uint64_t *v = map_get(&m->stack_index, id);
    if (!v)
        return false;
    const struct mstack *s = &m->stacks[*v - 1];
    *out = (struct model_stack){.id = s->id,
                                .depth = s->depth,
                                .frames = m->stack_bytes + s->off,
                                .len = s->len};
    return true;
}

/* ---- objects --------------------------------------------------------------------------------- */

static void object_fill(const struct model *m, const struct mobj *o, struct model_object *out)
{
    struct model_type t = {0};
    model_type(m, o->type, &t);
    *out = (struct model_object){
        .addr = o->addr,
        .type = o->type,
        .type_name = t.name ? t.name : "?",
        .size = o->size,
        .block = o->block,
        .szidx = MODEL_NO_CLASS,
        .refcnt = o->refcnt,
        .seq_refcnt = o->seq_refcnt,
        .seq_new = o->seq_new,
        .gen = o->gen,
        .tracked = o->gen >= 0,
        .flags = o->flags,
        .stack = o->stack,
        .storage = o->storage,
        .storage_size = o->storage_size,
        .weakref_target = o->weak_target,
        .weakrefs = o->weakrefs,
        .value = o->value,
        .value_len = o->value_len,
        .has_gc_refs = o->has_gc_refs,
        .gc_refs = o->gc_refs,
        .mark = -1,
    };
    if (o->block) {
        const struct mpool *p = model_pool_lookup(m, o->block);
        if (p && p->szidx < m->geo.nclasses)
            out->szidx = p->szidx;
    }
    if (o->mark_idx != NONE) {
        out->mark = m->marks[o->mark_idx].mark;
        out->mark_via = m->marks[o->mark_idx].via;
    }
}

size_t model_object_count(const struct model *m)
{
    return m->nobjs;
}

bool model_object_find(const struct model *m, uint64_t addr, struct model_object *out)
{
    uint32_t i = model_obj_lookup(m, addr);
    if (i == NONE)
        return false;
    object_fill(m, &m->objs[i], out);
    return true;
}

bool model_object_next(const struct model *m, size_t *cursor, struct model_object *out)
{
    while (*cursor < m->nobjs_slots) {
        const struct mobj *o = &m->objs[(*cursor)++];
        if (o->live) {
            object_fill(m, o, out);
            return true;
        }
    }
    return false;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

size_t model_objects_sorted(const struct model *m, uint64_t *addrs, size_t max)
{
    uint64_t *all = malloc((m->nobjs ? m->nobjs : 1) * sizeof *all);
    size_t n = 0;
    if (!all)
        return 0;
    for (size_t i = 0; i < m->nobjs_slots; i++)
        if (m->objs[i].live)
            all[n++] = m->objs[i].addr;
    qsort(all, n, sizeof *all, cmp_u64);
    memcpy(addrs, all, (n < max ? n : max) * sizeof *all);
    free(all);
    return n;
}

size_t model_object_referents(const struct model *m, uint64_t addr, struct model_ref *out,
                              size_t max)
{
    uint32_t i = model_obj_lookup(m, addr);
    size_t n = 0;
    if (i == NONE)
        return 0;
    for (uint32_t e = m->objs[i].out_head; e != NONE; e = m->edges[e].out_next) {
        if (n < max)
            out[n] = (struct model_ref){.obj = m->edges[e].obj, .count = m->edges[e].count};
        n++;
    }
    return n;
}

size_t model_object_referrers(const struct model *m, uint64_t addr, struct model_ref *out,
                              size_t max)
{
    uint32_t i = model_obj_lookup(m, addr);
    size_t n = 0;
    if (i == NONE)
        return 0;
    for (uint32_t e = m->objs[i].in_head; e != NONE; e = m->edges[e].in_next) {
        if (n < max)
            out[n] = (struct model_ref){.obj = m->edges[e].owner, .count = m->edges[e].count};
        n++;
    }
    return n;
}

/* ---- frames and names ------------------------------------------------------------------------ */

uint32_t model_frame_count(const struct model *m)
{
    return (uint32_t)m->nframes;
}

bool model_frame_at(const struct model *m, uint32_t depth, struct model_frame *out)
{
    if (depth >= m->nframes)
        return false;
    const struct mframe *f = &m->frames[depth];
    *out = (struct model_frame){.id = f->id, .nnames = (uint32_t)f->nnames};
    out->function = strtab_get(&m->strs, f->function, &out->function_len);
    return true;
}

static void name_fill(const struct model *m, const struct mframe *f, const struct mname *nm,
                      struct model_name *out)
{
    *out = (struct model_name){.frame = f->id, .obj = nm->obj};
    out->name = strtab_get(&m->strs, nm->name, &out->name_len);
}

size_t model_frame_names(const struct model *m, uint32_t depth, struct model_name *out, size_t max)
{
    if (depth >= m->nframes)
        return 0;
    const struct mframe *f = &m->frames[depth];
    for (size_t i = 0; i < f->nnames && i < max; i++)
        name_fill(m, f, &f->names[i], &out[i]);
    return f->nnames;
}

size_t model_object_names(const struct model *m, uint64_t obj, struct model_name *out, size_t max)
{
    size_t n = 0;
    for (size_t d = 0; d < m->nframes; d++) {
        const struct mframe *f = &m->frames[d];
        for (size_t i = 0; i < f->nnames; i++) {
            if (f->names[i].obj != obj)
                continue;
            if (n < max)
                name_fill(m, f, &f->names[i], &out[n]);
            n++;
        }
    }
    return n;
}

/* ---- the collector --------------------------------------------------------------------------- */

void model_gc(const struct model *m, struct model_gc *out)
{
    *out = (struct model_gc){
        .ngenerations = m->geo.ngenerations,
        .enabled = m->gc_enabled,
        .collecting = m->collecting,
        .collecting_gen = m->collecting_gen,
        .reason = m->gc_reason,
        .has_phase = m->has_phase,
        .phase = m->phase,
        .phase_n = m->phase_n,
        .seq_start = m->seq_start,
        .seq_phase = m->seq_phase,
        .collections = m->collections,
        .collected_total = m->collected_total,
        .uncollectable_total = m->uncollectable_total,
        .garbage = m->garbage,
    };
    for (uint32_t g = 0; g < MODEL_MAX_GENERATIONS; g++)
        out->gen[g] = (struct model_generation){.count = m->gens[g].count,
                                                .threshold = m->gens[g].threshold,
                                                .objects = m->gens[g].objects,
                                                .collections = m->gens[g].collections};
}

size_t model_gc_generation(const struct model *m, uint32_t gen, uint64_t *objs, size_t max)
{
    if (gen >= MODEL_MAX_GENERATIONS)
        return 0;
    size_t n = 0;
    for (uint32_t i = m->gens[gen].head; i != NONE; i = m->objs[i].gen_next) {
        if (n < max)
            objs[n] = m->objs[i].addr;
        n++;
    }
    return n;
}

size_t model_gc_history(const struct model *m, struct model_collection *out, size_t max)
{
    size_t n = m->nhistory < max ? m->nhistory : max;
    for (size_t i = 0; i < n; i++)
        out[i] = m->history[(m->history_head + i) % MODEL_HISTORY_KEEP];
    return n;
}

size_t model_gc_marks(const struct model *m, struct model_mark *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->nmarks; i++) {
        const struct mmark *k = &m->marks[i];
        if (k->mark < 0)
            continue; /* only its working refcount was shown */
        if (n < max)
            out[n] = (struct model_mark){.obj = k->obj,
                                         .mark = (uint32_t)k->mark,
                                         .via = k->via,
                                         .seq = k->seq,
                                         .freed = k->freed};
        n++;
    }
    return n;
}

/* ---- the workload ---------------------------------------------------------------------------- */

bool model_step_current(const struct model *m, struct model_step *out)
{
    if (!m->has_step)
        return false;
    *out = (struct model_step){.number = m->step_number,
                               .seq = m->step_seq,
                               .label = m->step_label ? m->step_label : "",
                               .label_len = m->step_label_len};
    return true;
}

uint64_t model_step_count(const struct model *m)
{
    return m->nsteps;
}

size_t model_prints(const struct model *m, struct model_print *out, size_t max)
{
    size_t n = m->nprints < max ? m->nprints : max;
    for (size_t i = 0; i < n; i++) {
        const struct mprint *p = &m->prints[(m->prints_head + i) % MODEL_PRINTS_KEEP];
        out[i] = (struct model_print){.seq = p->seq, .stream = p->stream, .text = p->text,
                                      .len = p->len};
    }
    return n;
}
