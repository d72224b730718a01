/*
 * checkpoint.c - checkpoints: the model's state as a blob, and back.
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
 * Layout (version 9), in order: magic "ASMC", version, geometry (must match the model's), the
 * position; arenas (each live slot with its carved pools: state,
 * class, nextoffset, the free list in LIFO order, then for each other block below nextoffset,
 * which is allocated, its requested size and stack; its cache in LIFO order); usable_arenas in
 * order; each class's ring from the front; released arenas; counters; radix-tree nodes; raw
 * blocks; strings; types; stacks; objects; edges; generations (each as its list of objects in
 * order, after their counters and the interpreter's own objects they count, version 9); the collector; marks; frames and names; the step marker; the prints; the object free
 * lists; a real program's names at its last two line steps (version 7; with their generations,
 * version 8); and the magic again.
 */
#include "checkpoint.h"
#include "collector.h"
#include "fold.h"
#include "graph.h"
#include "heap.h"
#include "valid.h"
#include "workload.h"

#include <tracer/codec.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CK_MAGIC 0x434d5341u /* "ASMC" little-endian */
/* Written: 9.  Read too: 8 (generations without the interpreter's own objects), 7 (names without their generations), 6 (without a real program's names), 5 (that, with the transition the
 * model expected next, which it no longer keeps) and 4 (that, stacks without parents and frames,
 * steps without kinds). */
#define CK_VERSION 9
#define CK_VERSION_EXPECT 5 /* the last to keep the expected transition */
#define CK_VERSION_NAMES 7  /* the first to keep the names */
#define CK_VERSION_GENS 8   /* the first to keep the names' generations */
#define CK_VERSION_STARTUP 9 /* the first to keep the interpreter's own objects of each generation */
#define CK_VERSION_OLD 4

/* ---- the structs written member by member (codec_buf_put_fields) ----------------------------- */

/* the geometry: a checkpoint loads only into a model of the same */
static const struct codec_field geometry_fields[] = {
    CODEC_FIELD(struct model_geometry, alignment),     CODEC_FIELD(struct model_geometry, threshold),
    CODEC_FIELD(struct model_geometry, pool_size),     CODEC_FIELD(struct model_geometry, arena_size),
    CODEC_FIELD(struct model_geometry, pool_overhead), CODEC_FIELD(struct model_geometry, ngenerations),
};
static const struct codec_field released_fields[] = {
    CODEC_FIELD(struct model_released, slot),     CODEC_FIELD(struct model_released, serial),
    CODEC_FIELD(struct model_released, base),     CODEC_FIELD(struct model_released, npools),
    CODEC_FIELD(struct model_released, sliver),   CODEC_FIELD(struct model_released, seq_new),
    CODEC_FIELD(struct model_released, seq_freed),
};
static const struct codec_field heap_counter_fields[] = {
    CODEC_FIELD(struct mheap, arenas_total), CODEC_FIELD(struct mheap, arenas_highwater),
    CODEC_FIELD_BOOL(struct mheap, any_serial), CODEC_FIELD(struct mheap, last_serial),
    CODEC_FIELD(struct mheap, mallocs),      CODEC_FIELD(struct mheap, frees),
};
/* a raw block, after its address */
static const struct codec_field raw_fields[] = {
    CODEC_FIELD(struct mraw, size), CODEC_FIELD(struct mraw, seq),
    CODEC_FIELD_UPTO(struct mraw, why, EV_RAW_WHY_COUNT - 1), CODEC_FIELD(struct mraw, stack),
    CODEC_FIELD(struct mraw, objs),
};
/* a stack, before its text; its parent and frame only from version 5 (CK_VERSION_OLD + 1) */
static const struct codec_field stack_fields[] = {
    CODEC_FIELD(struct mstack, id), CODEC_FIELD(struct mstack, depth), CODEC_FIELD(struct mstack, parent),
    CODEC_FIELD(struct mstack, frame),
};
#define CK_STACK_FIELDS_OLD 2
static const struct codec_field type_fields[] = {
    CODEC_FIELD(struct mtype, id),       CODEC_FIELD(struct mtype, name), CODEC_FIELD(struct mtype, basicsize),
    CODEC_FIELD(struct mtype, itemsize), CODEC_FIELD(struct mtype, flags),
};
/* a generation's counters (its list follows them); the interpreter's own objects only from
 * version 9 (CK_VERSION_STARTUP) */
static const struct codec_field gen_fields[] = {
    CODEC_FIELD(struct mgen, count), CODEC_FIELD(struct mgen, threshold), CODEC_FIELD(struct mgen, collections),
    CODEC_FIELD(struct mgen, startup),
};
#define CK_GEN_FIELDS_OLD 3
static const struct codec_field collector_fields[] = {
    CODEC_FIELD_BOOL(struct mcollector, gc_enabled), CODEC_FIELD_BOOL(struct mcollector, collecting),
    CODEC_FIELD_UPTO(struct mcollector, collecting_gen, MODEL_MAX_GENERATIONS - 1),
    CODEC_FIELD_UPTO(struct mcollector, gc_reason, EV_GC_REASON_COUNT - 1),
    CODEC_FIELD_BOOL(struct mcollector, has_phase),
    CODEC_FIELD_UPTO(struct mcollector, phase, EV_GC_PHASE_COUNT - 1),
    CODEC_FIELD(struct mcollector, phase_n), CODEC_FIELD(struct mcollector, seq_start),
    CODEC_FIELD(struct mcollector, seq_phase), CODEC_FIELD(struct mcollector, collections),
    CODEC_FIELD(struct mcollector, collected_total), CODEC_FIELD(struct mcollector, uncollectable_total),
    CODEC_FIELD(struct mcollector, garbage), CODEC_FIELD(struct mcollector, garbage_list),
    CODEC_FIELD(struct mcollector, garbage_pending),
};
static const struct codec_field collection_fields[] = {
    CODEC_FIELD_UPTO(struct model_collection, gen, MODEL_MAX_GENERATIONS - 1),
    CODEC_FIELD_UPTO(struct model_collection, reason, EV_GC_REASON_COUNT - 1),
    CODEC_FIELD(struct model_collection, seq_start), CODEC_FIELD(struct model_collection, seq_end),
    CODEC_FIELD(struct model_collection, collected), CODEC_FIELD(struct model_collection, uncollectable),
    CODEC_FIELD(struct model_collection, nanos),
};
static const struct codec_field mark_fields[] = {
    CODEC_FIELD(struct mmark, obj), CODEC_FIELD(struct mmark, via), CODEC_FIELD(struct mmark, seq),
    CODEC_FIELD_MARK(struct mmark, mark, EV_GC_MARK_COUNT - 1), CODEC_FIELD_BOOL(struct mmark, freed),
};
/* the step marker; the last two only from version 5 (CK_VERSION_OLD + 1) */
static const struct codec_field step_fields[] = {
    CODEC_FIELD_BOOL(struct mworkload, has_step), CODEC_FIELD(struct mworkload, step_number),
    CODEC_FIELD(struct mworkload, step_seq), CODEC_FIELD(struct mworkload, nsteps),
    CODEC_FIELD_UPTO(struct mworkload, step_kind, EV_STEP_KIND_COUNT - 1),
    CODEC_FIELD(struct mworkload, step_stack),
};
#define CK_STEP_FIELDS_OLD 4

/* ---- writing --------------------------------------------------------------------------------- */

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

/* Writes how many keys `m` holds, and returns them in ascending order (NULL when out of memory). */
static uint64_t *save_count_sorted(struct codec_buf *b, const struct map *m, size_t *n)
{
    uint64_t *keys = map_sorted_keys(m);
    *n = m->n;
    codec_buf_put_varint(b, *n);
    return keys;
}

static void save_pool(const struct mheap *h, const struct mpool *p, struct codec_buf *b)
{
    codec_buf_put_varint(b, p->state);
    codec_buf_put_varint(b, p->szidx == MODEL_NO_CLASS ? 0 : (uint64_t)p->szidx + 1);
    codec_buf_put_varint(b, p->seq_changed);
    if (p->szidx >= h->geo.nclasses || !p->blk)
        return;
    uint32_t cap = h->classes[p->szidx].cap, size = h->classes[p->szidx].size;
    codec_buf_put_varint(b, p->nextoffset);
    codec_buf_put_varint(b, mpool_nfree(p));
    for (uint32_t link = p->freehead; link; link = p->blk[link - 1])
        codec_buf_put_varint(b, link - 1);
    /* Every block below nextoffset that is not on the free list is allocated: only its
     * requested size (as what it falls short of the block, one byte for most) and flags. */
    for (uint32_t i = 0; i < cap; i++) {
        uint32_t w = p->blk[i];
        if (!(w & BLK_ALLOC))
            continue;
        codec_buf_put_varint(b, (uint64_t)(size - (w & BLK_REQ_MASK)) << 2 |
                                    (w & BLK_STACK ? 1 : 0) | (w & BLK_OBJ ? 2 : 0));
        if (w & BLK_STACK)
            codec_buf_put_varint(b, mpool_stacks(p)[i]);
    }
}

int model_save(const struct model *m, void **out, size_t *outlen)
{
    size_t cap = 0;
    *out = NULL;
    return model_save_into(m, out, outlen, &cap);
}

int model_save_into(const struct model *m, void **out, size_t *outlen, size_t *cap)
{
    const struct mfold *f = model_parts(m)->fold;
    const struct mheap *h = model_parts(m)->heap;
    const struct mgraph *g = model_parts(m)->graph;
    const struct mcollector *c = model_parts(m)->gc;
    const struct mworkload *w = model_parts(m)->work;
    struct codec_buf b = {.data = *out, .cap = *out ? *cap : 0};
    *out = NULL;
    *outlen = 0;
    const struct model_geometry *geo = &h->geo;
    uint64_t *keys = NULL, prev;
    struct edge_ref *er = NULL;
    size_t n;

    codec_buf_put_varint(&b, CK_MAGIC);
    codec_buf_put_varint(&b, CK_VERSION);
    codec_buf_put_fields(&b, geo, geometry_fields, CODEC_COUNT(geometry_fields));
    codec_buf_put_varint(&b, f->pos);

    /* arenas */
    codec_buf_put_varint(&b, h->nslots);
    codec_buf_put_varint(&b, h->narenas);
    for (uint32_t s = 0; s < h->nslots; s++) {
        const struct marena *a = &h->arenas[s];
        if (!a->live)
            continue;
        codec_buf_put_varint(&b, s);
        codec_buf_put_varint(&b, a->serial);
        codec_buf_put_varint(&b, a->base);
        codec_buf_put_varint(&b, a->seq_new);
        codec_buf_put_varint(&b, marena_changed(a));
        codec_buf_put_varint(&b, a->ncarved);
        for (uint32_t i = 0; i < a->ncarved; i++)
            save_pool(h, &a->pools[i], &b);
        codec_buf_put_varint(&b, a->nempty);
        for (const struct mpool *p = a->cache; p; p = p->next)
            codec_buf_put_varint(&b, (uint64_t)(p - a->pools));
    }
    n = 0;
    for (int32_t s = h->usable_head; s >= 0; s = h->arenas[s].usable_next)
        n++;
    codec_buf_put_varint(&b, n);
    for (int32_t s = h->usable_head; s >= 0; s = h->arenas[s].usable_next)
        codec_buf_put_varint(&b, (uint64_t)s);
    for (uint32_t cls = 0; cls < geo->nclasses; cls++) {
        const struct mclass *k = &h->classes[cls];
        codec_buf_put_varint(&b, k->ring_len);
        const struct mpool *p = k->ring;
        for (uint32_t i = 0; i < k->ring_len; i++, p = p->next) {
            codec_buf_put_varint(&b, p->slot);
            codec_buf_put_varint(&b, (uint64_t)(p - h->arenas[p->slot].pools));
        }
    }
    codec_buf_put_varint(&b, h->nreleased);
    for (size_t i = 0; i < h->nreleased; i++) {
        const struct model_released *r =
            &h->released[(h->released_head + i) % MODEL_RELEASED_KEEP];
        codec_buf_put_fields(&b, r, released_fields, CODEC_COUNT(released_fields));
    }
    codec_buf_put_fields(&b, h, heap_counter_fields, CODEC_COUNT(heap_counter_fields));
    for (int r = 0; r < 2; r++) {
        if (!(keys = save_count_sorted(&b, r ? &h->radix_bot : &h->radix_mid, &n)))
            goto out_free;
        for (size_t i = 0; i < n; i++)
            codec_buf_put_varint(&b, keys[i]);
        free(keys);
        keys = NULL;
    }

    /* raw blocks, by address */
    if (!(keys = save_count_sorted(&b, &h->raw_index, &n)))
        goto out_free;
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mraw *r = &h->raws[*map_get(&h->raw_index, keys[i])];
        codec_buf_put_varint(&b, r->addr - prev); /* ascending: the gap */
        prev = r->addr;
        codec_buf_put_fields(&b, r, raw_fields, CODEC_COUNT(raw_fields));
    }
    free(keys);
    keys = NULL;

    /* strings, types, stacks: in the order they were defined */
    codec_buf_put_varint(&b, g->strs.n);
    for (uint32_t i = 0; i < g->strs.n; i++) {
        size_t len;
        const char *s = strtab_get(&g->strs, i, &len);
        codec_buf_put_text(&b, s, len);
    }
    codec_buf_put_varint(&b, g->ntypes);
    for (size_t i = 0; i < g->ntypes; i++)
        codec_buf_put_fields(&b, &g->types[i], type_fields, CODEC_COUNT(type_fields));
    codec_buf_put_varint(&b, g->nframedefs);
    for (size_t i = 0; i < g->nframedefs; i++) {
        const struct mframedef *d = &g->framedefs[i];
        codec_buf_put_varint(&b, d->id);
        codec_buf_put_text(&b, g->stack_bytes + d->off, d->len);
    }
    codec_buf_put_varint(&b, g->nstacks);
    for (size_t i = 0; i < g->nstacks; i++) {
        const struct mstack *s = &g->stacks[i];
        codec_buf_put_fields(&b, s, stack_fields, CODEC_COUNT(stack_fields));
        codec_buf_put_text(&b, g->stack_bytes + s->off, s->len);
    }

    /* objects, by address */
    if (!(keys = save_count_sorted(&b, &g->obj_index, &n)))
        goto out_free;
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mobj *o = &g->objs[*map_get(&g->obj_index, keys[i])];
        /* addresses as gaps and distances: a few bytes instead of eight */
        codec_buf_put_varint(&b, o->addr - prev);
        prev = o->addr;
        codec_buf_put_varint(&b, o->type);
        codec_buf_put_varint(&b, o->size);
        codec_buf_put_zigzag(&b, o->block ? (int64_t)(o->addr - o->block) : INT64_MIN);
        codec_buf_put_varint(&b, o->refcnt);
        codec_buf_put_varint(&b, f->pos - o->seq_refcnt);
        codec_buf_put_varint(&b, o->seq_refcnt - o->seq_new);
        codec_buf_put_zigzag(&b, o->storage ? (int64_t)(o->storage - o->addr) : INT64_MIN);
        codec_buf_put_varint(&b, o->storage_size);
        codec_buf_put_zigzag(&b, o->weak_target ? (int64_t)(o->weak_target - o->addr)
                                                : INT64_MIN);
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
    er = malloc((g->nedges ? g->nedges : 1) * sizeof *er);
    if (!er)
        goto out_free;
    n = 0;
    for (size_t i = 0; i < g->nedge_slots; i++)
        if (g->edges[i].live)
            er[n++] = (struct edge_ref){g->edges[i].owner, g->edges[i].obj, (uint32_t)i};
    qsort(er, n, sizeof *er, cmp_edge);
    codec_buf_put_varint(&b, n);
    prev = 0;
    for (size_t i = 0; i < n; i++) {
        codec_buf_put_varint(&b, er[i].owner - prev); /* ascending owners: the gap */
        prev = er[i].owner;
        codec_buf_put_zigzag(&b, (int64_t)(er[i].obj - er[i].owner));
        codec_buf_put_varint(&b, g->edges[er[i].idx].count);
    }
    free(er);
    er = NULL;

    /* generations, each in list order */
    for (uint32_t gi = 0; gi < MODEL_MAX_GENERATIONS; gi++) {
        const struct mgen *gen = &c->gens[gi];
        codec_buf_put_fields(&b, gen, gen_fields, CODEC_COUNT(gen_fields));
        codec_buf_put_varint(&b, gen->objects);
        for (uint32_t i = gen->head; i != NONE; i = g->objs[i].gen_next)
            codec_buf_put_varint(&b, g->objs[i].addr);
    }

    /* the collector */
    codec_buf_put_fields(&b, c, collector_fields, CODEC_COUNT(collector_fields));
    codec_buf_put_varint(&b, c->nhistory);
    for (size_t i = 0; i < c->nhistory; i++)
        codec_buf_put_fields(&b, &c->history[(c->history_head + i) % MODEL_HISTORY_KEEP], collection_fields,
               CODEC_COUNT(collection_fields));
    codec_buf_put_varint(&b, c->nmarks);
    for (size_t i = 0; i < c->nmarks; i++)
        codec_buf_put_fields(&b, &c->marks[i], mark_fields, CODEC_COUNT(mark_fields));

    /* frames and names */
    codec_buf_put_varint(&b, g->nframes);
    for (size_t i = 0; i < g->nframes; i++) {
        const struct mframe *fr = &g->frames[i];
        codec_buf_put_varint(&b, fr->id);
        codec_buf_put_varint(&b, fr->function);
        codec_buf_put_varint(&b, fr->nnames);
        for (size_t j = 0; j < fr->nnames; j++) {
            codec_buf_put_varint(&b, fr->names[j].name);
            codec_buf_put_varint(&b, fr->names[j].obj);
        }
    }

    /* the workload */
    codec_buf_put_fields(&b, w, step_fields, CODEC_COUNT(step_fields));
    codec_buf_put_text(&b, w->step_label, w->has_step ? w->step_label_len : 0);
    codec_buf_put_varint(&b, w->nprints);
    for (size_t i = 0; i < w->nprints; i++) {
        const struct mprint *p = &w->prints[(w->prints_head + i) % MODEL_PRINTS_KEEP];
        codec_buf_put_varint(&b, p->seq);
        codec_buf_put_varint(&b, p->stream);
        codec_buf_put_text(&b, p->text, p->len);
    }
    n = 0;
    for (size_t i = 0; i < HEAP_STATS_MAX_FREELISTS; i++)
        n += w->freelists[i].set;
    codec_buf_put_varint(&b, n);
    for (size_t i = 0; i < HEAP_STATS_MAX_FREELISTS; i++) {
        const struct mfreelist *fl = &w->freelists[i];
        if (!fl->set)
            continue;
        codec_buf_put_varint(&b, i);
        codec_buf_put_varint(&b, fl->count);
        codec_buf_put_varint(&b, fl->each);
        codec_buf_put_text(&b, fl->label, strlen(fl->label));
    }
    msnapshot_save(&w->snap, &b);
    codec_buf_put_varint(&b, CK_MAGIC);
    if (b.failed)
        goto out_free;
    *out = b.data;
    *outlen = b.len;
    *cap = b.cap;
    return 0;

out_free:
    free(keys);
    free(er);
    codec_buf_release(&b);
    return MODEL_ENOMEM;
}

/* ---- reading --------------------------------------------------------------------------------- */

/* Loads a carved pool; *requested gets the bytes its allocated blocks were asked for. */
static bool load_pool(struct mheap *h, struct mpool *p, struct codec_reader *r,
                      uint64_t *requested)
{
    uint64_t state = codec_read_varint(r), cls = codec_read_varint(r);
    p->seq_changed = codec_read_varint(r);
    if (r->bad || state == MODEL_POOL_UNTOUCHED || state >= MODEL_POOL_STATE_COUNT ||
        cls > h->geo.nclasses)
        return false;
    p->state = (uint8_t)state;
    p->szidx = cls ? (uint16_t)(cls - 1) : MODEL_NO_CLASS;
    if (!cls)
        return state == MODEL_POOL_CARVED;
    if (!mheap_pool_prepare_blocks(h, p))
        return false;
    uint32_t cap = h->classes[p->szidx].cap, size = h->classes[p->szidx].size;
    uint32_t over = h->geo.pool_overhead;
    uint64_t next = codec_read_varint(r), nfree = codec_read_varint(r);
    if (r->bad || (next < over + 2 * (uint64_t)size && next != over) ||
        next > h->geo.pool_size || (next - over) % size || nfree > cap)
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
            if (r->bad || st == 0 || st > UINT32_MAX)
                return false;
            mpool_stacks(p)[idx] = (uint32_t)st;
            word |= BLK_STACK;
        }
        if (w & 2)
            word |= BLK_OBJ;
        p->blk[idx] = word;
        *requested += req;
    }
    for (uint32_t link = p->freehead; link; link = p->blk[link - 1]) /* drop the marks */
        p->blk[link - 1] &= ~BLK_STACK;
    p->count = (uint32_t)count;
    /* what its state requires, at any position (valid.c) */
    return mpool_state_problem(h, p, false) == NULL;
}

/* A vector of n slots (16, 32, 64..., as the fold allows) took n / 2 arenas, each an event,
 * before position pos: a count the position cannot back is damage, not an allocation. */
static bool load_arenas(struct mheap *h, struct codec_reader *r, uint64_t pos)
{
    uint64_t nslots = codec_read_varint(r), narenas = codec_read_varint(r);
    if (r->bad || nslots > (1u << 24) || narenas > nslots)
        return false;
    if (nslots && (nslots < MODEL_FIRST_ARENA_SLOTS || (nslots & (nslots - 1)) ||
                   (nslots > MODEL_FIRST_ARENA_SLOTS && nslots / 2 > pos)))
        return false;
    if (nslots) {
        h->arenas = malloc((size_t)nslots * sizeof *h->arenas);
        if (!h->arenas)
            return false;
        for (uint64_t s = 0; s < nslots; s++)
            h->arenas[s] = (struct marena){.usable_prev = -1, .usable_next = -1};
    }
    h->nslots = (uint32_t)nslots;
    uint64_t psize = h->geo.pool_size, asize = h->geo.arena_size;
    int64_t last = -1;
    for (uint64_t k = 0; k < narenas; k++) {
        uint64_t slot = codec_read_varint(r), serial = codec_read_varint(r);
        uint64_t base = codec_read_varint(r);
        if (r->bad || slot >= nslots || (int64_t)slot <= last || base == 0 ||
            base > UINT64_MAX - 2 * asize || (base & (h->geo.alignment - 1)) ||
            mheap_arena_lookup(h, base) || mheap_arena_lookup(h, base + asize - 1))
            return false;
        last = (int64_t)slot;
        struct marena *a = &h->arenas[slot];
        uint64_t excess = base & h->pool_mask;
        a->sliver = excess ? (uint32_t)(psize - excess) : 0;
        a->npools = h->geo.max_pools - (excess ? 1 : 0);
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
        h->narenas++;
        for (uint32_t i = 0; i < a->npools; i++)
            a->pools[i] = (struct mpool){.addr = a->first_pool + (uint64_t)i * psize,
                                         .szidx = MODEL_NO_CLASS,
                                         .slot = (uint32_t)slot,
                                         .state = MODEL_POOL_UNTOUCHED};
        if (!mheap_arena_map_add(h, base, (uint32_t)slot))
            return false;
        for (uint32_t i = 0; i < ncarved; i++) {
            struct mpool *p = &a->pools[i];
            uint64_t requested = 0;
            if (!load_pool(h, p, r, &requested))
                return false;
            if (p->state == MODEL_POOL_USED)
                a->nused++;
            else if (p->state == MODEL_POOL_FULL)
                a->nfull++, h->classes[p->szidx].full++;
            else if (p->state == MODEL_POOL_EMPTY)
                a->nempty++, h->classes[p->szidx].empty++;
            if (p->szidx < h->geo.nclasses && p->state != MODEL_POOL_EMPTY) {
                h->classes[p->szidx].in_use += p->count;
                h->classes[p->szidx].requested += requested;
            }
            if (p->szidx < h->geo.nclasses)
                h->block_bytes += (uint64_t)p->count * h->classes[p->szidx].size;
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
    if (h->narenas != narenas)
        return false;

    uint64_t nusable = codec_read_varint(r);
    if (r->bad || nusable > h->narenas)
        return false;
    for (uint64_t k = 0; k < nusable; k++) {
        uint64_t s = codec_read_varint(r);
        if (r->bad || s >= nslots || !h->arenas[s].live || h->arenas[s].on_usable)
            return false;
        mheap_usable_insert_after(h, (int32_t)s, h->usable_tail);
    }
    uint64_t ring_total = 0, used_total = 0;
    for (uint32_t cls = 0; cls < h->geo.nclasses; cls++) {
        uint64_t len = codec_read_varint(r);
        if (r->bad || len > (uint64_t)h->narenas * h->geo.max_pools)
            return false;
        for (uint64_t k = 0; k < len; k++) {
            uint64_t s = codec_read_varint(r), i = codec_read_varint(r);
            if (r->bad || s >= nslots || !h->arenas[s].live || i >= h->arenas[s].ncarved)
                return false;
            struct mpool *p = &h->arenas[s].pools[i];
            if (p->state != MODEL_POOL_USED || p->szidx != cls || p->next)
                return false;
            struct mpool *front = h->classes[cls].ring;
            mheap_ring_link_front(h, p);
            if (front)
                h->classes[cls].ring = front; /* p goes to the back */
        }
        ring_total += len;
    }
    for (uint32_t s = 0; s < h->nslots; s++)
        used_total += h->arenas[s].live ? h->arenas[s].nused : 0;
    return ring_total == used_total;
}

static bool load_objects(const struct mfold *f, struct mgraph *g, struct mcollector *c, uint64_t version,
                         struct codec_reader *r)
{
    uint64_t n = codec_read_count(r), last = 0;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t gap = codec_read_varint(r), addr = last + gap, type = codec_read_varint(r);
        if (r->bad || gap == 0 || addr < last)
            return false;
        last = addr;
        const uint64_t *t = map_get(&g->type_index, type);
        if (!t)
            return false;
        uint32_t i = mgraph_obj_alloc(g, addr);
        if (i == NONE)
            return false;
        struct mobj *o = &g->objs[i];
        o->type = (uint32_t)type;
        o->size = codec_read_varint(r);
        int64_t block = codec_read_zigzag(r);
        o->block = block == INT64_MIN ? 0 : addr - (uint64_t)block;
        o->refcnt = codec_read_varint(r);
        o->seq_refcnt = f->pos - codec_read_varint(r);
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
            if (r->bad || len > UINT32_MAX || !(o->value = text_dup(s, len)))
                return false;
            o->value_len = (uint32_t)len;
        }
        g->types[*t - 1].live++;
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
        uint32_t oi = mgraph_obj_lookup(g, e.owner), bi = mgraph_obj_lookup(g, e.obj);
        if (oi == NONE || bi == NONE || !mgraph_edge_add(g, oi, bi, e.owner, e.obj, count))
            return false;
    }
    for (uint32_t gi = 0; gi < MODEL_MAX_GENERATIONS; gi++) {
        struct mgen *gen = &c->gens[gi];
        if (!codec_read_fields(r, gen, gen_fields,
                               version >= CK_VERSION_STARTUP ? CODEC_COUNT(gen_fields) : CK_GEN_FIELDS_OLD))
            return false;
        uint64_t len = codec_read_count(r);
        if (r->bad || (len && gi > c->ngenerations))
            return false;
        for (uint64_t k = 0; k < len; k++) {
            uint32_t i = mgraph_obj_lookup(g, codec_read_varint(r));
            if (r->bad || i == NONE || g->objs[i].gen >= 0)
                return false;
            mcollector_gen_append(c, g, gi, i);
        }
    }
    return true;
}

static bool load_rest(struct mgraph *g, struct mcollector *c, struct mworkload *w, uint64_t version,
                      struct codec_reader *r)
{
    if (!codec_read_fields(r, c, collector_fields, CODEC_COUNT(collector_fields)))
        return false;
    uint64_t nh = codec_read_varint(r);
    if (r->bad || nh > MODEL_HISTORY_KEEP)
        return false;
    for (uint64_t k = 0; k < nh; k++)
        if (!codec_read_fields(r, &c->history[k], collection_fields, CODEC_COUNT(collection_fields)))
            return false;
    c->nhistory = (size_t)nh;
    c->history_head = 0;
    uint64_t nm = codec_read_count(r);
    if (r->bad || !codec_array_reserve((void **)&c->marks, &c->marks_cap, nm, sizeof *c->marks))
        return false;
    for (uint64_t k = 0; k < nm; k++) {
        struct mmark *mk = &c->marks[k];
        if (!codec_read_fields(r, mk, mark_fields, CODEC_COUNT(mark_fields)))
            return false;
        if (!mk->freed) {
            uint32_t i = mgraph_obj_lookup(g, mk->obj);
            if (i == NONE || g->objs[i].mark_idx != NONE)
                return false;
            g->objs[i].mark_idx = (uint32_t)k;
        }
    }
    c->nmarks = (size_t)nm;

    uint64_t nf = codec_read_count(r);
    if (r->bad ||
        !codec_array_reserve((void **)&g->frames, &g->frames_cap, nf, sizeof *g->frames))
        return false;
    for (uint64_t k = 0; k < nf; k++) {
        struct mframe *fr = &g->frames[g->nframes];
        *fr = (struct mframe){.id = codec_read_varint(r)};
        uint64_t fn = codec_read_varint(r), nn = codec_read_count(r);
        if (r->bad || fn >= g->strs.n)
            return false;
        for (size_t j = 0; j < g->nframes; j++)
            if (g->frames[j].id == fr->id)
                return false;
        fr->function = (uint32_t)fn;
        if (nn && !(fr->names = malloc((size_t)nn * sizeof *fr->names)))
            return false;
        fr->cap = fr->nnames = (size_t)nn;
        g->nframes++;
        for (uint64_t j = 0; j < nn; j++) {
            uint64_t name = codec_read_varint(r);
            fr->names[j] = (struct mname){.name = (uint32_t)name, .obj = codec_read_varint(r)};
            if (r->bad || name >= g->strs.n)
                return false;
        }
    }

    w->step_kind = w->step_stack = 0;
    if (!codec_read_fields(r, w, step_fields, version > CK_VERSION_OLD ? CODEC_COUNT(step_fields) : CK_STEP_FIELDS_OLD))
        return false;
    size_t len;
    const char *s = codec_read_text(r, &len);
    if (r->bad || !mworkload_set_step_label(w, s, len))
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
        if (!mworkload_print_push(w, pr[k].seq, (uint32_t)pr[k].stream, pr[k].s, pr[k].len))
            return false;
    uint64_t nfl = codec_read_varint(r);
    if (r->bad || nfl > HEAP_STATS_MAX_FREELISTS)
        return false;
    for (uint64_t k = 0; k < nfl; k++) {
        uint64_t i = codec_read_varint(r);
        if (r->bad || i >= HEAP_STATS_MAX_FREELISTS || w->freelists[i].set)
            return false;
        struct mfreelist *fl = &w->freelists[i];
        fl->count = codec_read_varint(r);
        fl->each = codec_read_varint(r);
        const char *label = codec_read_text(r, &len);
        if (r->bad || len >= sizeof fl->label)
            return false;
        memcpy(fl->label, label, len);
        fl->label[len] = '\0';
        fl->set = true;
    }
    return version < CK_VERSION_NAMES || msnapshot_load(&w->snap, r, version >= CK_VERSION_GENS);
}

int model_load(struct model *m, const void *buf, size_t len)
{
    return model_load_at(m, buf, len, UINT64_MAX);
}

int model_load_at(struct model *m, const void *buf, size_t len, uint64_t pos)
{
    const struct model_parts *parts = model_parts(m);
    struct mfold *f = parts->fold;
    struct mheap *h = parts->heap;
    struct mgraph *g = parts->graph;
    struct codec_reader r = codec_reader_of(buf, len);
    const struct model_geometry *geo = &h->geo;
    model_reset(m);
    uint64_t version;
    struct model_geometry stored;
    memcpy(&stored, geo, sizeof stored); /* what the checkpoint does not hold stays the same */
    if (codec_read_varint(&r) != CK_MAGIC ||
        (version = codec_read_varint(&r)) > CK_VERSION || version < CK_VERSION_OLD ||
        !codec_read_fields(&r, &stored, geometry_fields, CODEC_COUNT(geometry_fields)) ||
        memcmp(&stored, geo, sizeof stored) != 0)
        goto out_reset;
    f->pos = codec_read_varint(&r);
    if (r.bad || (pos != UINT64_MAX && f->pos != pos))
        goto out_reset; /* before anything the blob's counts would size */
    if (version <= CK_VERSION_EXPECT) {
        /* versions 4 and 5: the transition the model then expected next (a kind and a pool),
         * which it no longer keeps: a pool loads in whatever state the events left it */
        codec_read_varint(&r);
        codec_read_varint(&r);
    }
    if (!load_arenas(h, &r, f->pos))
        goto out_reset;

    uint64_t nrel = codec_read_varint(&r);
    if (r.bad || nrel > MODEL_RELEASED_KEEP)
        goto out_reset;
    for (uint64_t k = 0; k < nrel; k++) {
        if (!codec_read_fields(&r, &h->released[k], released_fields, CODEC_COUNT(released_fields)))
            goto out_reset;
    }
    h->nreleased = (size_t)nrel;
    h->released_head = 0;
    if (!codec_read_fields(&r, h, heap_counter_fields, CODEC_COUNT(heap_counter_fields)))
        goto out_reset;
    for (int k = 0; k < 2; k++) {
        uint64_t n = codec_read_count(&r);
        for (uint64_t i = 0; i < n; i++) {
            uint64_t key = codec_read_varint(&r);
            if (r.bad || key == 0 || !map_put(k ? &h->radix_bot : &h->radix_mid, key, 1))
                goto out_reset;
        }
    }

    uint64_t nraw = codec_read_count(&r), last = 0;
    for (uint64_t k = 0; k < nraw; k++) {
        uint64_t gap = codec_read_varint(&r);
        struct mraw x = {.addr = last + gap};
        if (!codec_read_fields(&r, &x, raw_fields, CODEC_COUNT(raw_fields)) || gap == 0 || x.addr < last ||
            mheap_arena_lookup(h, x.addr))
            goto out_reset;
        last = x.addr;
        if (!mheap_raw_insert(h, &x))
            goto out_reset;
    }

    uint64_t nstr = codec_read_count(&r);
    for (uint64_t k = 0; k < nstr; k++) {
        size_t l;
        const char *s = codec_read_text(&r, &l);
        if (r.bad || strtab_intern(&g->strs, s, l) != k)
            goto out_reset;
    }
    uint64_t ntypes = codec_read_count(&r);
    for (uint64_t k = 0; k < ntypes; k++) {
        struct mtype t = {0};
        if (!codec_read_fields(&r, &t, type_fields, CODEC_COUNT(type_fields)) || t.id == 0 || t.name >= g->strs.n ||
            map_get(&g->type_index, t.id))
            goto out_reset;
        if (!mgraph_type_add(g, &t))
            goto out_reset;
    }
    uint64_t nframedefs = version > CK_VERSION_OLD ? codec_read_count(&r) : 0;
    for (uint64_t k = 0; k < nframedefs; k++) {
        uint64_t id = codec_read_varint(&r);
        size_t l;
        const char *s = codec_read_text(&r, &l);
        if (r.bad || id == 0 || id > UINT32_MAX || map_get(&g->framedef_index, id) ||
            !mgraph_framedef_add(g, (uint32_t)id, s, l))
            goto out_reset;
    }
    uint64_t nstacks = codec_read_count(&r);
    for (uint64_t k = 0; k < nstacks; k++) {
        struct mstack t = {0};
        codec_read_fields(&r, &t, stack_fields, version > CK_VERSION_OLD ? CODEC_COUNT(stack_fields)
                                                                         : CK_STACK_FIELDS_OLD);
        size_t l;
        const char *s = codec_read_text(&r, &l);
        if (r.bad || t.id == 0 || l > UINT32_MAX || map_get(&g->stack_index, t.id) || t.parent >= t.id ||
            (t.parent && !map_get(&g->stack_index, t.parent)) ||
            (t.frame && !map_get(&g->framedef_index, t.frame)) ||
            !mgraph_stack_add(g, t.id, t.depth, t.parent, t.frame, s, l))
            goto out_reset;
    }
    if (!load_objects(f, g, parts->gc, version, &r) || !load_rest(g, parts->gc, parts->work, version, &r) ||
        codec_read_varint(&r) != CK_MAGIC || r.bad || r.p != r.end)
        goto out_reset;
    /* The heap's structures were checked while they were rebuilt; the objects' remain. */
    if (!model_check_objects(m, NULL, 0))
        goto out_reset;
    model_tool_stack_found(m);
    return 0;

out_reset:
    model_reset(m);
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
