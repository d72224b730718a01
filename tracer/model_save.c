/*
 * model_save.c - checkpoints: the model's state as a blob, and back.
 *
 * A checkpoint is what the seeker loads before folding the few events up to a target, so it is
 * written for loading speed and for robustness, not for size alone:
 *
 *   - canonical: everything is written in an order that depends only on the state (objects,
 *     raw blocks and edges sorted by address, lists in their list order), so two models in the
 *     same state give the same bytes.  model_equals() compares two models that way, and the
 *     seeking test compares a model loaded and folded with one folded from the start.
 *   - only what cannot be derived: counts kept for speed (blocks per class, pools per state,
 *     bytes) are recounted while loading; ring and cache links are rebuilt from their order.
 *   - every number is a LEB128 varint (signed ones zigzagged); text is a length and bytes.
 *   - never trusted: the loader checks each index, address and length against what it has
 *     rebuilt so far, and the result against model_check() (the invariants that hold at any
 *     position), so a damaged blob gives MODEL_EFORMAT, never a crash or a broken model.
 *
 * Layout (version 3), in order: magic "ASMC", version, geometry (must match the model's), the
 * position and the pending transition; arenas (each live slot with its carved pools: state,
 * class, nextoffset, the free list in LIFO order, then for each other block below nextoffset,
 * which is allocated, its requested size and stack; its cache in LIFO order); usable_arenas in
 * order; each class's ring from the front; released arenas; counters; radix-tree nodes; raw
 * blocks; strings; types; stacks; objects; edges; generations (each as its list of objects in
 * order); the collector; marks; frames and names; the step marker; the prints; the object free
 * lists; and the magic again.
 */
#include "model_impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MAGIC 0x434d5341u /* "ASMC" little-endian */
#define CK_VERSION 4

/* ---- writing --------------------------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted keys of a map (minus the +1 the model stores), in a malloc'd array. */
static uint64_t *sorted_keys(const struct map *mp, size_t *n)
{
    uint64_t *k = malloc((mp->n ? mp->n : 1) * sizeof *k);
    size_t i = 0, cur = 0;
    const struct map_entry *e;
    if (!k)
        return NULL;
    while ((e = map_next(mp, &cur)))
        k[i++] = e->key;
    qsort(k, i, sizeof *k, cmp_u64);
    *n = i;
    return k;
}

struct edge_ref {
    uint64_t owner, obj;
    uint32_t idx;
};
static int cmp_edge(const void *a, const void *b)
{
    const struct edge_ref *x = a, *y = b;
    if (x->owner != y->owner)
        return x->owner < y->owner ? -1 : 1;
    return x->obj < y->obj ? -1 : x->obj > y->obj;
}

static void save_pool(const struct model *m, const struct mpool *p, struct codec_buf *b)
{
    codec_buf_put_varint(b, p->state);
    codec_buf_put_varint(b, p->szidx == MODEL_NO_CLASS ? 0 : (uint64_t)p->szidx + 1);
    codec_buf_put_varint(b, p->seq_changed);
    if (p->szidx >= m->geo.nclasses || !p->blk)
        return;
    uint32_t cap = m->classes[p->szidx].cap, size = m->classes[p->szidx].size;
    codec_buf_put_varint(b, p->nextoffset);
    codec_buf_put_varint(b, model_pool_nfree(p));
    for (uint32_t h = p->freehead; h; h = p->blk[h - 1])
        codec_buf_put_varint(b, h - 1);
    /* Every block below nextoffset that is not on the free list is allocated: only its
     * requested size (as what it falls short of the block, one byte for most) and flags. */
    for (uint32_t i = 0; i < cap; i++) {
        uint32_t w = p->blk[i];
        if (!(w & BLK_ALLOC))
            continue;
        codec_buf_put_varint(b, (uint64_t)(size - (w & BLK_REQ_MASK)) << 2 | (w & BLK_STACK ? 1 : 0) |
                      (w & BLK_OBJ ? 2 : 0));
        if (w & BLK_STACK) {
            const uint64_t *v = map_get(&m->block_stacks, p->addr + m->geo.pool_overhead +
                                                              (uint64_t)i * size);
            codec_buf_put_varint(b, v ? *v : 0);
        }
    }
}

int model_save(const struct model *m, void **out, size_t *outlen)
{
    *out = NULL;
    *outlen = 0;
    struct codec_buf b;
    codec_buf_init(&b);
    const struct model_geometry *g = &m->geo;
    uint64_t *keys = NULL, prev;
    struct edge_ref *er = NULL;
    size_t n;

    codec_buf_put_varint(&b, CK_MAGIC);
    codec_buf_put_varint(&b, CK_VERSION);
    codec_buf_put_varint(&b, g->alignment);
    codec_buf_put_varint(&b, g->threshold);
    codec_buf_put_varint(&b, g->pool_size);
    codec_buf_put_varint(&b, g->arena_size);
    codec_buf_put_varint(&b, g->pool_overhead);
    codec_buf_put_varint(&b, g->ngenerations);
    codec_buf_put_varint(&b, m->pos);
    codec_buf_put_varint(&b, m->expect.kind);
    codec_buf_put_varint(&b, m->expect.pool);

    /* arenas */
    codec_buf_put_varint(&b, m->nslots);
    codec_buf_put_varint(&b, m->narenas);
    for (uint32_t s = 0; s < m->nslots; s++) {
        const struct marena *a = &m->arenas[s];
        if (!a->live)
            continue;
        codec_buf_put_varint(&b, s);
        codec_buf_put_varint(&b, a->serial);
        codec_buf_put_varint(&b, a->base);
        codec_buf_put_varint(&b, a->seq_new);
        codec_buf_put_varint(&b, model_arena_changed(a));
        codec_buf_put_varint(&b, a->ncarved);
        for (uint32_t i = 0; i < a->ncarved; i++)
            save_pool(m, &a->pools[i], &b);
        codec_buf_put_varint(&b, a->nempty);
        for (const struct mpool *p = a->cache; p; p = p->next)
            codec_buf_put_varint(&b, (uint64_t)(p - a->pools));
    }
    n = 0;
    for (int32_t s = m->usable_head; s >= 0; s = m->arenas[s].usable_next)
        n++;
    codec_buf_put_varint(&b, n);
    for (int32_t s = m->usable_head; s >= 0; s = m->arenas[s].usable_next)
        codec_buf_put_varint(&b, (uint64_t)s);
    for (uint32_t c = 0; c < g->nclasses; c++) {
        const struct mclass *k = &m->classes[c];
        codec_buf_put_varint(&b, k->ring_len);
        const struct mpool *p = k->ring;
        for (uint32_t i = 0; i < k->ring_len; i++, p = p->next) {
            codec_buf_put_varint(&b, p->slot);
            codec_buf_put_varint(&b, (uint64_t)(p - m->arenas[p->slot].pools));
        }
    }
    codec_buf_put_varint(&b, m->nreleased);
    for (size_t i = 0; i < m->nreleased; i++) {
        const struct model_released *r = &m->released[(m->released_head + i) % MODEL_RELEASED_KEEP];
        codec_buf_put_varint(&b, r->slot);
        codec_buf_put_varint(&b, r->serial);
        codec_buf_put_varint(&b, r->base);
        codec_buf_put_varint(&b, r->npools);
        codec_buf_put_varint(&b, r->sliver);
        codec_buf_put_varint(&b, r->seq_new);
        codec_buf_put_varint(&b, r->seq_freed);
    }
    codec_buf_put_varint(&b, m->arenas_total);
    codec_buf_put_varint(&b, m->arenas_highwater);
    codec_buf_put_varint(&b, m->any_serial);
    codec_buf_put_varint(&b, m->last_serial);
    codec_buf_put_varint(&b, m->mallocs);
    codec_buf_put_varint(&b, m->frees);
    for (int r = 0; r < 2; r++) {
        keys = sorted_keys(r ? &m->radix_bot : &m->radix_mid, &n);
        if (!keys)
            goto out_free;
        codec_buf_put_varint(&b, n);
        for (size_t i = 0; i < n; i++)
            codec_buf_put_varint(&b, keys[i]);
        free(keys);
        keys = NULL;
    }

    /* raw blocks, by address */
    keys = sorted_keys(&m->raw_index, &n);
    if (!keys)
        goto out_free;
    codec_buf_put_varint(&b, n);
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mraw *r = &m->raws[*map_get(&m->raw_index, keys[i])];
        codec_buf_put_varint(&b, r->addr - prev); /* ascending: the gap */
        prev = r->addr;
        codec_buf_put_varint(&b, r->size);
        codec_buf_put_varint(&b, r->seq);
        codec_buf_put_varint(&b, r->why);
        codec_buf_put_varint(&b, r->stack);
        codec_buf_put_varint(&b, r->obj);
    }
    free(keys);
    keys = NULL;

    /* strings, types, stacks: in the order they were defined */
    codec_buf_put_varint(&b, m->strs.n);
    for (uint32_t i = 0; i < m->strs.n; i++) {
        size_t len;
        const char *s = strtab_get(&m->strs, i, &len);
        codec_buf_put_text(&b, s, len);
    }
    codec_buf_put_varint(&b, m->ntypes);
    for (size_t i = 0; i < m->ntypes; i++) {
        const struct mtype *t = &m->types[i];
        codec_buf_put_varint(&b, t->id);
        codec_buf_put_varint(&b, t->name);
        codec_buf_put_varint(&b, t->basicsize);
        codec_buf_put_varint(&b, t->itemsize);
        codec_buf_put_varint(&b, t->flags);
    }
    codec_buf_put_varint(&b, m->nstacks);
    for (size_t i = 0; i < m->nstacks; i++) {
        const struct mstack *s = &m->stacks[i];
        codec_buf_put_varint(&b, s->id);
        codec_buf_put_varint(&b, s->depth);
        codec_buf_put_text(&b, m->stack_bytes + s->off, s->len);
    }

    /* objects, by address */
    keys = sorted_keys(&m->obj_index, &n);
    if (!keys)
        goto out_free;
    codec_buf_put_varint(&b, n);
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mobj *o = &m->objs[*map_get(&m->obj_index, keys[i])];
        /* addresses as gaps and distances: a few bytes instead of eight */
        codec_buf_put_varint(&b, o->addr - prev);
        prev = o->addr;
        codec_buf_put_varint(&b, o->type);
        codec_buf_put_varint(&b, o->size);
        codec_buf_put_zigzag(&b, o->block ? (int64_t)(o->addr - o->block) : INT64_MIN);
        codec_buf_put_varint(&b, o->refcnt);
        codec_buf_put_varint(&b, m->pos - o->seq_refcnt);
        codec_buf_put_varint(&b, o->seq_refcnt - o->seq_new);
        codec_buf_put_zigzag(&b, o->storage ? (int64_t)(o->storage - o->addr) : INT64_MIN);
        codec_buf_put_varint(&b, o->storage_size);
        codec_buf_put_zigzag(&b, o->weak_target ? (int64_t)(o->weak_target - o->addr) : INT64_MIN);
        codec_buf_put_varint(&b, o->weakrefs);
        codec_buf_put_varint(&b, o->flags);
        codec_buf_put_varint(&b, o->stack);
        codec_buf_put_varint(&b, o->has_gc_refs);
        codec_buf_put_zigzag(&b, o->gc_refs);
        codec_buf_put_varint(&b, o->value ? 1 : 0);
        if (o->value)
            codec_buf_put_text(&b, o->value, o->value_len);
    }
    free(keys);
    keys = NULL;

    /* edges, by (owner, obj) */
    er = malloc((m->nedges ? m->nedges : 1) * sizeof *er);
    if (!er)
        goto out_free;
    n = 0;
    for (size_t i = 0; i < m->nedge_slots; i++)
        if (m->edges[i].live)
            er[n++] = (struct edge_ref){m->edges[i].owner, m->edges[i].obj, (uint32_t)i};
    qsort(er, n, sizeof *er, cmp_edge);
    codec_buf_put_varint(&b, n);
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        codec_buf_put_varint(&b, er[i].owner - prev); /* ascending owners: the gap */
        prev = er[i].owner;
        codec_buf_put_zigzag(&b, (int64_t)(er[i].obj - er[i].owner));
        codec_buf_put_varint(&b, m->edges[er[i].idx].count);
    }
    free(er);
    er = NULL;

    /* generations, each in list order */
    for (uint32_t gi = 0; gi < MODEL_MAX_GENERATIONS; gi++) {
        const struct mgen *gen = &m->gens[gi];
        codec_buf_put_varint(&b, gen->count);
        codec_buf_put_varint(&b, gen->threshold);
        codec_buf_put_varint(&b, gen->collections);
        codec_buf_put_varint(&b, gen->objects);
        for (uint32_t i = gen->head; i != NONE; i = m->objs[i].gen_next)
            codec_buf_put_varint(&b, m->objs[i].addr);
    }

    /* the collector */
    codec_buf_put_varint(&b, m->gc_enabled);
    codec_buf_put_varint(&b, m->collecting);
    codec_buf_put_varint(&b, m->collecting_gen);
    codec_buf_put_varint(&b, m->gc_reason);
    codec_buf_put_varint(&b, m->has_phase);
    codec_buf_put_varint(&b, m->phase);
    codec_buf_put_varint(&b, m->phase_n);
    codec_buf_put_varint(&b, m->seq_start);
    codec_buf_put_varint(&b, m->seq_phase);
    codec_buf_put_varint(&b, m->collections);
    codec_buf_put_varint(&b, m->collected_total);
    codec_buf_put_varint(&b, m->uncollectable_total);
    codec_buf_put_varint(&b, m->garbage);
    codec_buf_put_varint(&b, m->garbage_list);
    codec_buf_put_varint(&b, m->garbage_pending);
    codec_buf_put_varint(&b, m->nhistory);
    for (size_t i = 0; i < m->nhistory; i++) {
        const struct model_collection *c = &m->history[(m->history_head + i) % MODEL_HISTORY_KEEP];
        codec_buf_put_varint(&b, c->gen);
        codec_buf_put_varint(&b, c->reason);
        codec_buf_put_varint(&b, c->seq_start);
        codec_buf_put_varint(&b, c->seq_end);
        codec_buf_put_varint(&b, c->collected);
        codec_buf_put_varint(&b, c->uncollectable);
        codec_buf_put_varint(&b, c->nanos);
    }
    codec_buf_put_varint(&b, m->nmarks);
    for (size_t i = 0; i < m->nmarks; i++) {
        const struct mmark *k = &m->marks[i];
        codec_buf_put_varint(&b, k->obj);
        codec_buf_put_varint(&b, k->via);
        codec_buf_put_varint(&b, k->seq);
        codec_buf_put_zigzag(&b, k->mark);
        codec_buf_put_varint(&b, k->freed);
    }

    /* frames and names */
    codec_buf_put_varint(&b, m->nframes);
    for (size_t i = 0; i < m->nframes; i++) {
        const struct mframe *f = &m->frames[i];
        codec_buf_put_varint(&b, f->id);
        codec_buf_put_varint(&b, f->function);
        codec_buf_put_varint(&b, f->nnames);
        for (size_t j = 0; j < f->nnames; j++) {
            codec_buf_put_varint(&b, f->names[j].name);
            codec_buf_put_varint(&b, f->names[j].obj);
        }
    }

    /* the workload */
    codec_buf_put_varint(&b, m->has_step);
    codec_buf_put_varint(&b, m->step_number);
    codec_buf_put_varint(&b, m->step_seq);
    codec_buf_put_varint(&b, m->nsteps);
    codec_buf_put_text(&b, m->step_label, m->has_step ? m->step_label_len : 0);
    codec_buf_put_varint(&b, m->nprints);
    for (size_t i = 0; i < m->nprints; i++) {
        const struct mprint *p = &m->prints[(m->prints_head + i) % MODEL_PRINTS_KEEP];
        codec_buf_put_varint(&b, p->seq);
        codec_buf_put_varint(&b, p->stream);
        codec_buf_put_text(&b, p->text, p->len);
    }
    n = 0;
    for (size_t i = 0; i < HEAP_STATS_MAX_FREELISTS; i++)
        n += m->freelists[i].set;
    codec_buf_put_varint(&b, n);
    for (size_t i = 0; i < HEAP_STATS_MAX_FREELISTS; i++) {
        const struct mfreelist *f = &m->freelists[i];
        if (!f->set)
            continue;
        codec_buf_put_varint(&b, i);
        codec_buf_put_varint(&b, f->count);
        codec_buf_put_varint(&b, f->each);
        codec_buf_put_text(&b, f->label, strlen(f->label));
    }
    codec_buf_put_varint(&b, CK_MAGIC);
    if (b.failed)
        goto out_free;
    *out = b.data;
    *outlen = b.len;
    return 0;

out_free:
    free(keys);
    free(er);
    codec_buf_release(&b);
    return MODEL_ENOMEM;
}

/* ---- reading --------------------------------------------------------------------------------- */

/* Loads a carved pool; *requested gets the bytes its allocated blocks were asked for. */
static bool load_pool(struct model *m, struct mpool *p, struct codec_reader *r, uint64_t *requested)
{
    uint64_t state = codec_read_varint(r), cls = codec_read_varint(r);
    p->seq_changed = codec_read_varint(r);
    if (r->bad || state == MODEL_POOL_UNTOUCHED || state >= MODEL_POOL_STATE_COUNT ||
        cls > m->geo.nclasses)
        return false;
    p->state = (uint8_t)state;
    p->szidx = cls ? (uint16_t)(cls - 1) : MODEL_NO_CLASS;
    if (!cls)
        return state == MODEL_POOL_CARVED;
    if (!model_pool_prepare_blocks(m, p))
        return false;
    uint32_t cap = m->classes[p->szidx].cap, size = m->classes[p->szidx].size;
    uint32_t over = m->geo.pool_overhead;
    uint64_t next = codec_read_varint(r), nfree = codec_read_varint(r);
    if (r->bad || next < over + 2 * (uint64_t)size || next > m->geo.pool_size ||
        (next - over) % size || nfree > cap)
        return false;
    p->nextoffset = (uint32_t)next;
    uint32_t below = (uint32_t)((next - over) / size);
    if (below > cap)
        below = cap;
    /* The free list, in LIFO order.  While loading, a listed block carries BLK_STACK as a
     * "seen" mark (free words use only the low bits), so that repeats are caught. */
    uint32_t prev = NONE;
    if (nfree > below)
        return false;
    for (uint64_t k = 0; k < nfree; k++) {
        uint64_t i = codec_read_varint(r);
        if (r->bad || i >= below || p->blk[i])
            return false;
        p->blk[i] = BLK_STACK;
        if (prev == NONE)
            p->freehead = (uint32_t)i + 1;
        else
            p->blk[prev] = BLK_STACK | ((uint32_t)i + 1);
        prev = (uint32_t)i;
    }
    uint64_t count = below - nfree;
    for (uint32_t idx = 0; idx < below; idx++) {
        if (p->blk[idx])
            continue; /* on the free list */
        uint64_t w = codec_read_varint(r);
        uint64_t shortfall = w >> 2;
        if (r->bad || shortfall >= size)
            return false;
        uint64_t req = size - shortfall;
        uint32_t word = BLK_ALLOC | (uint32_t)req;
        if (w & 1) {
            uint64_t st = codec_read_varint(r);
            if (r->bad || st == 0 || st > UINT32_MAX ||
                !map_put(&m->block_stacks, p->addr + over + (uint64_t)idx * size, st))
                return false;
            word |= BLK_STACK;
        }
        if (w & 2)
            word |= BLK_OBJ;
        p->blk[idx] = word;
        *requested += req;
    }
    for (uint32_t h = p->freehead; h; h = p->blk[h - 1]) /* drop the marks */
        p->blk[h - 1] &= ~BLK_STACK;
    p->count = (uint32_t)count;
    /* what each state requires (model_valid.c checks the same on a folded model) */
    bool virgin_left = p->nextoffset <= m->geo.pool_size - size;
    uint32_t pending = m->expect.pool == p->addr ? m->expect.kind : EV_KIND_COUNT;
    switch ((enum model_pool_state)p->state) {
    case MODEL_POOL_USED:
        if (pending == EV_POOL_FULL) /* took its last block, pool_full next */
            return count == cap && !p->freehead && !virgin_left;
        return count < cap && p->freehead;
    case MODEL_POOL_FULL:
        if (pending == EV_POOL_UNFULL) /* got a block back, pool_unfull next */
            return count == cap - 1 && p->freehead;
        return count == cap && !p->freehead && !virgin_left;
    case MODEL_POOL_EMPTY:
    case MODEL_POOL_CARVED: return count == 0;
    case MODEL_POOL_UNTOUCHED:
    case MODEL_POOL_STATE_COUNT: break;
    }
    return false;
}

static bool load_arenas(struct model *m, struct codec_reader *r)
{
    uint64_t nslots = codec_read_varint(r), narenas = codec_read_varint(r);
    if (r->bad || nslots > (1u << 24) || narenas > nslots)
        return false;
    if (nslots) {
        m->arenas = malloc((size_t)nslots * sizeof *m->arenas);
        if (!m->arenas)
            return false;
        for (uint64_t s = 0; s < nslots; s++)
            m->arenas[s] = (struct marena){.usable_prev = -1, .usable_next = -1};
    }
    m->nslots = (uint32_t)nslots;
    uint64_t psize = m->geo.pool_size, asize = m->geo.arena_size;
    int64_t last = -1;
    for (uint64_t k = 0; k < narenas; k++) {
        uint64_t slot = codec_read_varint(r), serial = codec_read_varint(r), base = codec_read_varint(r);
        if (r->bad || slot >= nslots || (int64_t)slot <= last || base == 0 ||
            base > UINT64_MAX - 2 * asize || (base & (m->geo.alignment - 1)) ||
            model_arena_lookup(m, base) || model_arena_lookup(m, base + asize - 1))
            return false;
        last = (int64_t)slot;
        struct marena *a = &m->arenas[slot];
        uint64_t excess = base & m->pool_mask;
        a->sliver = excess ? (uint32_t)(psize - excess) : 0;
        a->npools = m->geo.max_pools - (excess ? 1 : 0);
        a->base = base;
        a->serial = serial;
        a->first_pool = base + a->sliver;
        a->seq_new = codec_read_varint(r);
        a->seq_changed = codec_read_varint(r);
        uint64_t ncarved = codec_read_varint(r);
        if (r->bad || ncarved > a->npools)
            return false;
        a->pools = pools_new(a->npools);
        if (!a->pools)
            return false;
        a->live = true;
        a->ncarved = (uint32_t)ncarved;
        m->narenas++;
        for (uint32_t i = 0; i < a->npools; i++)
            a->pools[i] = (struct mpool){.addr = a->first_pool + (uint64_t)i * psize,
                                         .szidx = MODEL_NO_CLASS,
                                         .slot = (uint32_t)slot,
                                         .state = MODEL_POOL_UNTOUCHED};
        uint64_t k0 = (base >> m->arena_shift) + 1, k1 = ((base + asize - 1) >> m->arena_shift) + 1;
        uint64_t *v0 = map_get(&m->arena_map, k0);
        uint64_t cur0 = v0 ? *v0 : 0;
        if (!map_put(&m->arena_map, k0, (uint32_t)cur0 ? cur0 | (slot + 1) << 32 : cur0 | (slot + 1)))
            return false;
        if (k1 != k0) {
            uint64_t *v1 = map_get(&m->arena_map, k1);
            uint64_t cur1 = v1 ? *v1 : 0;
            if (!map_put(&m->arena_map, k1,
                         (uint32_t)cur1 ? cur1 | (slot + 1) << 32 : cur1 | (slot + 1)))
                return false;
        }
        for (uint32_t i = 0; i < ncarved; i++) {
            struct mpool *p = &a->pools[i];
            uint64_t requested = 0;
            if (!load_pool(m, p, r, &requested))
                return false;
            if (p->state == MODEL_POOL_USED)
                a->nused++;
            else if (p->state == MODEL_POOL_FULL)
                a->nfull++, m->classes[p->szidx].full++;
            else if (p->state == MODEL_POOL_EMPTY)
                a->nempty++, m->classes[p->szidx].empty++;
            if (p->szidx < m->geo.nclasses && p->state != MODEL_POOL_EMPTY) {
                m->classes[p->szidx].in_use += p->count;
                m->classes[p->szidx].requested += requested;
            }
            if (p->szidx < m->geo.nclasses)
                m->block_bytes += (uint64_t)p->count * m->classes[p->szidx].size;
        }
        uint64_t nempty = codec_read_varint(r);
        if (r->bad || nempty != a->nempty)
            return false;
        struct mpool **tail = &a->cache;
        for (uint64_t j = 0; j < nempty; j++) {
            uint64_t i = codec_read_varint(r);
            if (r->bad || i >= ncarved)
                return false;
            struct mpool *p = &a->pools[i];
            if (p->state != MODEL_POOL_EMPTY || p->next || tail == &p->next)
                return false;
            *tail = p;
            tail = &p->next;
        }
        for (const struct mpool *p = a->cache; p; p = p->next) /* a repeat would make a cycle */
            if (++nempty > 2 * (uint64_t)a->nempty)
                return false;
        a->nfreepools = a->nempty + (a->npools - a->ncarved);
    }
    if (m->narenas != narenas)
        return false;

    uint64_t nusable = codec_read_varint(r);
    if (r->bad || nusable > m->narenas)
        return false;
    for (uint64_t k = 0; k < nusable; k++) {
        uint64_t s = codec_read_varint(r);
        if (r->bad || s >= nslots || !m->arenas[s].live || m->arenas[s].on_usable)
            return false;
        model_usable_insert_after(m, (int32_t)s, m->usable_tail);
    }
    uint64_t ring_total = 0, used_total = 0;
    for (uint32_t c = 0; c < m->geo.nclasses; c++) {
        uint64_t len = codec_read_varint(r);
        if (r->bad || len > (uint64_t)m->narenas * m->geo.max_pools)
            return false;
        for (uint64_t k = 0; k < len; k++) {
            uint64_t s = codec_read_varint(r), i = codec_read_varint(r);
            if (r->bad || s >= nslots || !m->arenas[s].live || i >= m->arenas[s].ncarved)
                return false;
            struct mpool *p = &m->arenas[s].pools[i];
            if (p->state != MODEL_POOL_USED || p->szidx != c || p->next)
                return false;
            struct mpool *front = m->classes[c].ring;
            model_ring_link_front(m, p);
            if (front)
                m->classes[c].ring = front; /* p goes to the back */
        }
        ring_total += len;
    }
    for (uint32_t s = 0; s < m->nslots; s++)
        used_total += m->arenas[s].live ? m->arenas[s].nused : 0;
    return ring_total == used_total;
}

static bool load_objects(struct model *m, struct codec_reader *r)
{
    uint64_t n = codec_read_count(r), last = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t gap = codec_read_varint(r), addr = last + gap, type = codec_read_varint(r);
        if (r->bad || gap == 0 || addr < last)
            return false;
        last = addr;
        const uint64_t *t = map_get(&m->type_index, type);
        if (!t)
            return false;
        uint32_t i = model_obj_alloc(m, addr);
        if (i == NONE)
            return false;
        struct mobj *o = &m->objs[i];
        o->type = (uint32_t)type;
        o->size = codec_read_varint(r);
        int64_t block = codec_read_zigzag(r);
        o->block = block == INT64_MIN ? 0 : addr - (uint64_t)block;
        o->refcnt = codec_read_varint(r);
        o->seq_refcnt = m->pos - codec_read_varint(r);
        o->seq_new = o->seq_refcnt - codec_read_varint(r);
        int64_t storage = codec_read_zigzag(r);
        o->storage = storage == INT64_MIN ? 0 : addr + (uint64_t)storage;
        o->storage_size = codec_read_varint(r);
        int64_t weak = codec_read_zigzag(r);
        o->weak_target = weak == INT64_MIN ? 0 : addr + (uint64_t)weak;
        uint64_t weakrefs = codec_read_varint(r), flags = codec_read_varint(r), stack = codec_read_varint(r);
        o->has_gc_refs = codec_read_varint(r) != 0;
        o->gc_refs = codec_read_zigzag(r);
        if (r->bad || weakrefs > UINT32_MAX || flags > 15 || stack > UINT32_MAX)
            return false;
        o->weakrefs = (uint32_t)weakrefs;
        o->flags = (uint32_t)flags;
        o->stack = (uint32_t)stack;
        if (codec_read_varint(r)) {
            size_t len;
            const char *s = codec_read_text(r, &len);
            if (r->bad || len > UINT32_MAX || !(o->value = malloc(len + 1)))
                return false;
            memcpy(o->value, s, len);
            o->value[len] = '\0';
            o->value_len = (uint32_t)len;
        }
        m->types[*t - 1].live++;
    }
    uint64_t ne = codec_read_count(r), owner = 0;
    struct edge_ref prev = {0};
    for (uint64_t k = 0; k < ne; k++) {
        owner += codec_read_varint(r);
        struct edge_ref e = {owner, owner + (uint64_t)codec_read_zigzag(r), 0};
        uint64_t count = codec_read_varint(r);
        if (r->bad || count == 0 || (k && cmp_edge(&prev, &e) >= 0))
            return false;
        prev = e;
        uint32_t oi = model_obj_lookup(m, e.owner), bi = model_obj_lookup(m, e.obj);
        if (oi == NONE || bi == NONE || !model_edge_add(m, oi, bi, e.owner, e.obj, count))
            return false;
    }
    for (uint32_t gi = 0; gi < MODEL_MAX_GENERATIONS; gi++) {
        struct mgen *g = &m->gens[gi];
        g->count = codec_read_varint(r);
        g->threshold = codec_read_varint(r);
        g->collections = codec_read_varint(r);
        uint64_t len = codec_read_count(r);
        if (r->bad || (len && gi > m->geo.ngenerations))
            return false;
        for (uint64_t k = 0; k < len; k++) {
            uint32_t i = model_obj_lookup(m, codec_read_varint(r));
            if (r->bad || i == NONE || m->objs[i].gen >= 0)
                return false;
            model_gen_append(m, gi, i);
        }
    }
    return true;
}

static bool load_rest(struct model *m, struct codec_reader *r)
{
    m->gc_enabled = codec_read_varint(r) != 0;
    m->collecting = codec_read_varint(r) != 0;
    uint64_t cgen = codec_read_varint(r), reason = codec_read_varint(r);
    m->has_phase = codec_read_varint(r) != 0;
    uint64_t phase = codec_read_varint(r);
    m->phase_n = codec_read_varint(r);
    m->seq_start = codec_read_varint(r);
    m->seq_phase = codec_read_varint(r);
    m->collections = codec_read_varint(r);
    m->collected_total = codec_read_varint(r);
    m->uncollectable_total = codec_read_varint(r);
    m->garbage = codec_read_varint(r);
    m->garbage_list = codec_read_varint(r);
    m->garbage_pending = codec_read_varint(r);
    if (r->bad || cgen >= MODEL_MAX_GENERATIONS || reason >= EV_GC_REASON_COUNT ||
        phase >= EV_GC_PHASE_COUNT)
        return false;
    m->collecting_gen = (uint32_t)cgen;
    m->gc_reason = (uint32_t)reason;
    m->phase = (uint32_t)phase;
    uint64_t nh = codec_read_varint(r);
    if (r->bad || nh > MODEL_HISTORY_KEEP)
        return false;
    for (uint64_t k = 0; k < nh; k++) {
        struct model_collection c;
        uint64_t gen = codec_read_varint(r), why = codec_read_varint(r);
        c.seq_start = codec_read_varint(r);
        c.seq_end = codec_read_varint(r);
        c.collected = codec_read_varint(r);
        c.uncollectable = codec_read_varint(r);
        c.nanos = codec_read_varint(r);
        if (r->bad || gen >= MODEL_MAX_GENERATIONS || why >= EV_GC_REASON_COUNT)
            return false;
        c.gen = (uint32_t)gen;
        c.reason = (uint32_t)why;
        m->history[k] = c;
    }
    m->nhistory = (size_t)nh;
    m->history_head = 0;
    uint64_t nm = codec_read_count(r);
    if (r->bad || !codec_array_reserve((void **)&m->marks, &m->marks_cap, nm, sizeof *m->marks))
        return false;
    for (uint64_t k = 0; k < nm; k++) {
        struct mmark *mk = &m->marks[k];
        mk->obj = codec_read_varint(r);
        mk->via = codec_read_varint(r);
        mk->seq = codec_read_varint(r);
        int64_t mark = codec_read_zigzag(r);
        mk->freed = codec_read_varint(r) != 0;
        if (r->bad || mark < -1 || mark >= EV_GC_MARK_COUNT)
            return false;
        mk->mark = (int32_t)mark;
        if (!mk->freed) {
            uint32_t i = model_obj_lookup(m, mk->obj);
            if (i == NONE || m->objs[i].mark_idx != NONE)
                return false;
            m->objs[i].mark_idx = (uint32_t)k;
        }
    }
    m->nmarks = (size_t)nm;

    uint64_t nf = codec_read_count(r);
    if (r->bad || !codec_array_reserve((void **)&m->frames, &m->frames_cap, nf, sizeof *m->frames))
        return false;
    for (uint64_t k = 0; k < nf; k++) {
        struct mframe *f = &m->frames[m->nframes];
        *f = (struct mframe){.id = codec_read_varint(r)};
        uint64_t fn = codec_read_varint(r), nn = codec_read_count(r);
        if (r->bad || fn >= m->strs.n)
            return false;
        for (size_t j = 0; j < m->nframes; j++)
            if (m->frames[j].id == f->id)
                return false;
        f->function = (uint32_t)fn;
        if (nn && !(f->names = malloc((size_t)nn * sizeof *f->names)))
            return false;
        f->cap = f->nnames = (size_t)nn;
        m->nframes++;
        for (uint64_t j = 0; j < nn; j++) {
            uint64_t name = codec_read_varint(r);
            f->names[j] = (struct mname){.name = (uint32_t)name, .obj = codec_read_varint(r)};
            if (r->bad || name >= m->strs.n)
                return false;
        }
    }

    m->has_step = codec_read_varint(r) != 0;
    m->step_number = codec_read_varint(r);
    m->step_seq = codec_read_varint(r);
    m->nsteps = codec_read_varint(r);
    size_t len;
    const char *s = codec_read_text(r, &len);
    if (r->bad || !model_set_step_label(m, s, len))
        return false;
    uint64_t np = codec_read_varint(r);
    if (r->bad || np > MODEL_PRINTS_KEEP)
        return false;
    struct {
        uint64_t seq, stream;
        const char *s;
        size_t len;
    } pr[MODEL_PRINTS_KEEP];
    for (uint64_t k = 0; k < np; k++) {
        pr[k].seq = codec_read_varint(r);
        pr[k].stream = codec_read_varint(r);
        pr[k].s = codec_read_text(r, &pr[k].len);
        if (r->bad || pr[k].stream > UINT32_MAX)
            return false;
    }
    for (uint64_t k = np; k-- > 0;) /* oldest first: each push goes to the front */
        if (!model_print_push(m, pr[k].seq, (uint32_t)pr[k].stream, pr[k].s, pr[k].len))
            return false;
    uint64_t nfl = codec_read_varint(r);
    if (r->bad || nfl > HEAP_STATS_MAX_FREELISTS)
        return false;
    for (uint64_t k = 0; k < nfl; k++) {
        uint64_t i = codec_read_varint(r);
        if (r->bad || i >= HEAP_STATS_MAX_FREELISTS || m->freelists[i].set)
            return false;
        struct mfreelist *f = &m->freelists[i];
        f->count = codec_read_varint(r);
        f->each = codec_read_varint(r);
        const char *label = codec_read_text(r, &len);
        if (r->bad || len >= sizeof f->label)
            return false;
        memcpy(f->label, label, len);
        f->label[len] = '\0';
        f->set = true;
    }
    return true;
}

int model_load(struct model *m, const void *buf, size_t len)
{
    struct codec_reader r = codec_reader_of(buf, len);
    const struct model_geometry *g = &m->geo;
    model_clear_state(m);
    if (codec_read_varint(&r) != CK_MAGIC || codec_read_varint(&r) != CK_VERSION || codec_read_varint(&r) != g->alignment ||
        codec_read_varint(&r) != g->threshold || codec_read_varint(&r) != g->pool_size || codec_read_varint(&r) != g->arena_size ||
        codec_read_varint(&r) != g->pool_overhead || codec_read_varint(&r) != g->ngenerations || r.bad)
        goto out_reset;
    m->pos = codec_read_varint(&r);
    uint64_t ek = codec_read_varint(&r);
    m->expect.pool = codec_read_varint(&r);
    if (r.bad || (ek != EV_KIND_COUNT && ek != EV_POOL_FULL && ek != EV_POOL_UNFULL &&
                  ek != EV_POOL_EMPTY))
        goto out_reset;
    m->expect.kind = (uint32_t)ek;
    if (!load_arenas(m, &r))
        goto out_reset;

    uint64_t nrel = codec_read_varint(&r);
    if (r.bad || nrel > MODEL_RELEASED_KEEP)
        goto out_reset;
    for (uint64_t k = 0; k < nrel; k++) {
        struct model_released *x = &m->released[k];
        uint64_t slot = codec_read_varint(&r), serial = codec_read_varint(&r), base = codec_read_varint(&r), np = codec_read_varint(&r),
                 sl = codec_read_varint(&r);
        x->seq_new = codec_read_varint(&r);
        x->seq_freed = codec_read_varint(&r);
        if (r.bad || slot > UINT32_MAX || np > UINT32_MAX || sl > UINT32_MAX)
            goto out_reset;
        x->slot = (uint32_t)slot;
        x->serial = serial;
        x->base = base;
        x->npools = (uint32_t)np;
        x->sliver = (uint32_t)sl;
    }
    m->nreleased = (size_t)nrel;
    m->released_head = 0;
    m->arenas_total = codec_read_varint(&r);
    m->arenas_highwater = codec_read_varint(&r);
    m->any_serial = codec_read_varint(&r) != 0;
    m->last_serial = codec_read_varint(&r);
    m->mallocs = codec_read_varint(&r);
    m->frees = codec_read_varint(&r);
    for (int k = 0; k < 2; k++) {
        uint64_t n = codec_read_count(&r);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t key = codec_read_varint(&r);
            if (r.bad || key == 0 || !map_put(k ? &m->radix_bot : &m->radix_mid, key, 1))
                goto out_reset;
        }
    }

    uint64_t nraw = codec_read_count(&r), last = 0;
    for (uint64_t k = 0; k < nraw; k++) {
        uint64_t gap = codec_read_varint(&r);
        struct mraw x = {.addr = last + gap, .size = codec_read_varint(&r), .seq = codec_read_varint(&r)};
        uint64_t why = codec_read_varint(&r), stack = codec_read_varint(&r), obj = codec_read_varint(&r);
        if (r.bad || gap == 0 || x.addr < last || why >= EV_RAW_WHY_COUNT || stack > UINT32_MAX || obj > 1 ||
            model_arena_lookup(m, x.addr))
            goto out_reset;
        last = x.addr;
        x.why = (uint32_t)why;
        x.stack = (uint32_t)stack;
        x.obj = obj != 0;
        if (!codec_array_reserve((void **)&m->raws, &m->raws_cap, m->nraws + 1, sizeof *m->raws) ||
            !map_put(&m->raw_index, x.addr, m->nraws))
            goto out_reset;
        m->raws[m->nraws++] = x;
        m->raw_bytes += x.size;
    }

    uint64_t nstr = codec_read_count(&r);
    for (uint64_t k = 0; k < nstr; k++) {
        size_t l;
        const char *s = codec_read_text(&r, &l);
        if (r.bad || strtab_intern(&m->strs, s, l) != k)
            goto out_reset;
    }
    uint64_t ntypes = codec_read_count(&r);
    for (uint64_t k = 0; k < ntypes; k++) {
        struct mtype t = {0};
        uint64_t id = codec_read_varint(&r), name = codec_read_varint(&r);
        t.basicsize = codec_read_varint(&r);
        t.itemsize = codec_read_varint(&r);
        uint64_t flags = codec_read_varint(&r);
        if (r.bad || id == 0 || id > UINT32_MAX || name >= m->strs.n || flags > UINT32_MAX ||
            map_get(&m->type_index, id) ||
            !codec_array_reserve((void **)&m->types, &m->types_cap, m->ntypes + 1, sizeof *m->types) ||
            !map_put(&m->type_index, id, m->ntypes + 1))
            goto out_reset;
        t.id = (uint32_t)id;
        t.name = (uint32_t)name;
        t.flags = (uint32_t)flags;
        m->types[m->ntypes++] = t;
    }
    uint64_t nstacks = codec_read_count(&r);
    for (uint64_t k = 0; k < nstacks; k++) {
        uint64_t id = codec_read_varint(&r), depth = codec_read_varint(&r);
        size_t l;
        const char *s = codec_read_text(&r, &l);
        if (r.bad || id == 0 || id > UINT32_MAX || depth > UINT32_MAX || l > UINT32_MAX ||
            map_get(&m->stack_index, id) ||
            !codec_array_reserve((void **)&m->stacks, &m->stacks_cap, m->nstacks + 1, sizeof *m->stacks) ||
            !codec_array_reserve((void **)&m->stack_bytes, &m->stack_bytes_cap, m->nstack_bytes + l + 1, 1) ||
            !map_put(&m->stack_index, id, m->nstacks + 1))
            goto out_reset;
        memcpy(m->stack_bytes + m->nstack_bytes, s, l);
        m->stack_bytes[m->nstack_bytes + l] = '\0';
        m->stacks[m->nstacks++] = (struct mstack){.id = (uint32_t)id, .depth = (uint32_t)depth,
                                                  .off = m->nstack_bytes, .len = (uint32_t)l};
        m->nstack_bytes += l + 1;
    }
    if (!load_objects(m, &r) || !load_rest(m, &r) || codec_read_varint(&r) != CK_MAGIC || r.bad ||
        r.p != r.end)
        goto out_reset;
    /* The heap's structures were checked while they were rebuilt; the objects' remain. */
    if (!model_check_objects(m, NULL, 0))
        goto out_reset;
    return 0;

out_reset:
    model_clear_state(m);
    return MODEL_EFORMAT;
}

bool model_equals(const struct model *a, const struct model *b, char *err, size_t errlen)
{
    void *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    bool same = false;
    if (model_save(a, &x, &nx) || model_save(b, &y, &ny)) {
        snprintf(err, errlen, "out of memory");
        goto out_free;
    }
    size_t i = 0;
    while (i < nx && i < ny && ((uint8_t *)x)[i] == ((uint8_t *)y)[i])
        i++;
    same = nx == ny && i == nx;
    if (!same && err && errlen)
        snprintf(err, errlen, "states differ at byte %zu of %zu/%zu of their checkpoints", i, nx,
                 ny);
out_free:
    free(x);
    free(y);
    return same;
}
