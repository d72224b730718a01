/*
 * valid.c - the model's invariant walker: recounts every structure from scratch and
 * compares it with the counts kept while folding (docs/cpython-memory.md 8.4).
 *
 * Some invariants hold only between two operations of the allocator: usable_arenas is sorted
 * only once a free has moved its arena; a pool sits in its ring with no block allocated only
 * between its pool_init and the block_alloc that follows.  model_is_valid() checks all of them
 * and so must be called between operations (tests do it after each malloc or free; the trace
 * checker does it just before a block_free, which always starts an operation).
 */
#include "collector.h"
#include "fold.h"
#include "graph.h"
#include "heap.h"
#include "valid.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct walk {
    char *err;
    size_t errlen;
    bool ok;
    bool quiescent; /* between two operations: every invariant holds */
};

static bool bad(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool bad(struct walk *w, const char *fmt, ...)
{
    if (w->ok && w->err && w->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(w->err, w->errlen, fmt, ap);
        va_end(ap);
    }
    w->ok = false;
    return false;
}

/* Per class: blocks allocated and the bytes requested for them, recounted. */
struct class_sums {
    uint64_t blocks[HEAP_STATS_MAX_CLASSES], requested[HEAP_STATS_MAX_CLASSES];
};

static bool check_pool(const struct model *m, const struct mpool *p, struct walk *w,
                       struct class_sums *sums)
{
    const struct mheap *h = model_parts(m)->heap;
    if (p->state == MODEL_POOL_UNTOUCHED)
        return p->count == 0 || bad(w, "untouched pool 0x%" PRIx64 " has blocks", p->addr);
    if (p->szidx >= h->geo.nclasses) {
        if (p->state != MODEL_POOL_CARVED)
            return bad(w, "pool 0x%" PRIx64 " is %s with no size class", p->addr,
                       model_pool_state_name(p->state));
        if (w->quiescent)
            return bad(w, "pool 0x%" PRIx64 " was carved but its allocation is missing", p->addr);
        return p->count == 0 || bad(w, "carved pool 0x%" PRIx64 " has blocks", p->addr);
    }
    uint32_t size = h->classes[p->szidx].size, cap = h->classes[p->szidx].cap;
    uint32_t over = h->geo.pool_overhead;
    /* nextoffset is past the two blocks pool_init's allocation hands out and threads, or (just
     * initialised, that allocation next) at the first block */
    if ((p->nextoffset < over + 2 * size && p->nextoffset != over) ||
        p->nextoffset > h->geo.pool_size || (p->nextoffset - over) % size)
        return bad(w, "pool 0x%" PRIx64 ": nextoffset %" PRIu32 " is not a block boundary", p->addr,
                   p->nextoffset);
    uint32_t below = (p->nextoffset - over) / size; /* blocks handed out at least once */
    if (below > cap)
        below = cap;
    uint32_t alloc = 0;
    uint64_t req = 0;
    for (uint32_t i = 0; i < cap; i++) {
        uint32_t wd = p->blk[i];
        if (wd & BLK_ALLOC) {
            if (i >= below)
                return bad(w, "pool 0x%" PRIx64 ": block %" PRIu32 " is allocated above nextoffset",
                           p->addr, i);
            alloc++;
            req += wd & BLK_REQ_MASK;
            if (!(wd & BLK_STACK) != !mpool_stacks(p)[i])
                return bad(w, "pool 0x%" PRIx64 ": block %" PRIu32 "'s stack is not recorded",
                           p->addr, i);
        } else if (i >= below && wd != 0) {
            return bad(w, "pool 0x%" PRIx64 ": virgin block %" PRIu32 " has a link", p->addr, i);
        }
    }
    uint32_t listed = 0;
    for (uint32_t link = p->freehead; link; link = p->blk[link - 1]) {
        if (link - 1 >= below || (p->blk[link - 1] & BLK_ALLOC) || ++listed > cap)
            return bad(w, "pool 0x%" PRIx64 ": the free list reaches block %" PRIu32
                          " which is not free",
                       p->addr, link - 1);
    }
    if (alloc != p->count || alloc + listed != below)
        return bad(w,
                   "pool 0x%" PRIx64 ": count %" PRIu32 " but %" PRIu32 " allocated and %" PRIu32
                   " listed below %" PRIu32 " handed-out blocks",
                   p->addr, p->count, alloc, listed, below);
    const char *why = mpool_state_problem(h, p, w->quiescent);
    if (why)
        return bad(w, "pool 0x%" PRIx64 " %s", p->addr, why);
    sums->blocks[p->szidx] += alloc;
    sums->requested[p->szidx] += req;
    return true;
}

const char *mpool_state_problem(const struct mheap *h, const struct mpool *p, bool quiescent)
{
    uint32_t size = h->classes[p->szidx].size, cap = h->classes[p->szidx].cap;
    bool virgin_left = p->nextoffset <= h->geo.pool_size - size;
    bool fresh = p->nextoffset == h->geo.pool_overhead;
    switch ((enum model_pool_state)p->state) {
    case MODEL_POOL_USED:
        if (p->count > 0 && p->count < cap && p->freehead && !fresh)
            return NULL;
        if (quiescent)
            return p->count == cap ? "is used, yet gave out its last block (its pool_full?)"
                   : p->count == 0 ? "is used with no block allocated (its pool_empty, or the "
                                     "allocation after its pool_init?)"
                                   : "is used with nothing to give out";
        /* within an operation: initialised, its first allocation next; its last block freed,
         * pool_empty next; its last block taken, pool_full next */
        if ((fresh && p->count == 0 && !p->freehead) || (!fresh && p->count == 0 && p->freehead) ||
            (p->count == cap && !p->freehead && !virgin_left))
            return NULL;
        return "is used with blocks and free list that do not agree";
    case MODEL_POOL_FULL:
        if (p->count == cap && !p->freehead && !virgin_left)
            return NULL;
        /* within an operation: a block freed, pool_unfull next */
        if (!quiescent && p->count == cap - 1 && p->freehead)
            return NULL;
        return "is full, yet has a block available (its pool_unfull?)";
    case MODEL_POOL_EMPTY:
        return p->count == 0 && !fresh ? NULL : "is empty, yet has blocks allocated";
    case MODEL_POOL_CARVED:
        if (quiescent)
            return "was taken from the cache or carved, but not used";
        return p->count == 0 ? NULL : "was taken from the cache, yet has blocks allocated";
    case MODEL_POOL_UNTOUCHED:
    case MODEL_POOL_STATE_COUNT:
        break;
    }
    return "has a bad state";
}

static bool check_arenas(const struct model *m, struct walk *w, struct class_sums *sums,
                         uint64_t *used_by_class, uint64_t *full_by_class, uint64_t *empty_by_class)
{
    const struct mheap *h = model_parts(m)->heap;
    uint32_t live = 0;
    for (uint32_t s = 0; s < h->nslots; s++) {
        const struct marena *a = &h->arenas[s];
        if (!a->live) {
            if (a->on_usable)
                return bad(w, "empty slot %" PRIu32 " is on usable_arenas", s);
            continue;
        }
        live++;
        uint32_t nused = 0, nfull = 0, nempty = 0;
        for (uint32_t i = 0; i < a->npools; i++) {
            const struct mpool *p = &a->pools[i];
            if ((i < a->ncarved) == (p->state == MODEL_POOL_UNTOUCHED))
                return bad(w, "arena %" PRIu32 ": pool %" PRIu32 " is %s against high-water mark %"
                              PRIu32, s, i, model_pool_state_name(p->state), a->ncarved);
            if (p->slot != s)
                return bad(w, "arena %" PRIu32 ": pool %" PRIu32 " names slot %" PRIu32, s, i,
                           p->slot);
            if (!check_pool(m, p, w, sums))
                return false;
            if (p->state == MODEL_POOL_USED)
                nused++, used_by_class[p->szidx]++;
            else if (p->state == MODEL_POOL_FULL)
                nfull++, full_by_class[p->szidx]++;
            else if (p->state == MODEL_POOL_EMPTY)
                nempty++, empty_by_class[p->szidx]++;
        }
        uint32_t cached = 0;
        for (const struct mpool *p = a->cache; p; p = p->next)
            if (p->state != MODEL_POOL_EMPTY || p->slot != s || ++cached > a->npools)
                return bad(w, "arena %" PRIu32 ": its cache holds a pool that is not empty", s);
        if (nused != a->nused || nfull != a->nfull || nempty != a->nempty || cached != nempty)
            return bad(w, "arena %" PRIu32 ": pool counts do not add up", s);
        if (a->nfreepools != nempty + (a->npools - a->ncarved))
            return bad(w, "arena %" PRIu32 ": nfreepools %" PRIu32 " is not %" PRIu32
                          " empty + %" PRIu32 " untouched",
                       s, a->nfreepools, nempty, a->npools - a->ncarved);
        if (w->quiescent && !a->on_usable && a->nfreepools != 0)
            return bad(w, "arena %" PRIu32 " has %" PRIu32 " free pools but is not on usable_arenas",
                       s, a->nfreepools);
    }
    if (live != h->narenas)
        return bad(w, "%" PRIu32 " arenas live, %" PRIu32 " counted", live, h->narenas);

    /* usable_arenas: linked both ways, sorted by nfreepools, wholly free only at the tail */
    int32_t prev = -1;
    uint32_t n = 0;
    for (int32_t s = h->usable_head; s >= 0; s = h->arenas[s].usable_next) {
        const struct marena *a = &h->arenas[s];
        if (!a->live || !a->on_usable || a->usable_prev != prev || ++n > h->nslots)
            return bad(w, "usable_arenas is broken at slot %" PRId32, s);
        if (!w->quiescent) {
            prev = s;
            continue;
        }
        if (a->nfreepools == 0)
            return bad(w, "arena %" PRId32 " is on usable_arenas with no free pool", s);
        if (prev >= 0 && h->arenas[prev].nfreepools > a->nfreepools)
            return bad(w, "usable_arenas is not sorted: slot %" PRId32 " (%" PRIu32
                          " free) before slot %" PRId32 " (%" PRIu32 ")",
                       prev, h->arenas[prev].nfreepools, s, a->nfreepools);
        if (a->nfreepools == a->npools &&
            (!h->geo.keep_last_free_arena || (a->usable_next >= 0 &&
                                              h->arenas[a->usable_next].nfreepools != a->nfreepools)))
            return bad(w, "arena %" PRId32 " is wholly free but kept", s);
        prev = s;
    }
    if (prev != h->usable_tail)
        return bad(w, "usable_arenas' tail is wrong");
    for (uint32_t s = 0; s < h->nslots; s++)
        if (h->arenas[s].on_usable)
            n--;
    if (n != 0)
        return bad(w, "an arena is marked usable but not linked");
    return true;
}

static bool check_classes(const struct model *m, struct walk *w, const struct class_sums *sums,
                          const uint64_t *used, const uint64_t *full, const uint64_t *empty)
{
    const struct mheap *h = model_parts(m)->heap;
    uint64_t bytes = 0;
    for (uint32_t c = 0; c < h->geo.nclasses; c++) {
        const struct mclass *k = &h->classes[c];
        uint32_t len = 0;
        if (k->ring) {
            const struct mpool *p = k->ring;
            do {
                if (p->state != MODEL_POOL_USED || p->szidx != c || p->next->prev != p ||
                    ++len > h->geo.max_pools * h->narenas)
                    return bad(w, "class %" PRIu32 "'s ring is broken at 0x%" PRIx64, c, p->addr);
                p = p->next;
            } while (p != k->ring);
        }
        if (len != k->ring_len || len != used[c] || k->full != full[c] || k->empty != empty[c])
            return bad(w, "class %" PRIu32 ": ring %" PRIu32 "/%" PRIu32 ", full %" PRIu64
                          "/%" PRIu64 ", empty %" PRIu64 "/%" PRIu64,
                       c, len, k->ring_len, k->full, full[c], k->empty, empty[c]);
        if (sums->blocks[c] != k->in_use || sums->requested[c] != k->requested)
            return bad(w, "class %" PRIu32 ": %" PRIu64 " blocks in use, counted %" PRIu64, c,
                       k->in_use, sums->blocks[c]);
        bytes += sums->blocks[c] * k->size;
    }
    if (bytes != h->block_bytes)
        return bad(w, "%" PRIu64 " bytes in blocks allocated, counted %" PRIu64, h->block_bytes,
                   bytes);
    return true;
}

static bool check_objects(const struct model *m, struct walk *w)
{
    const struct mgraph *g = model_parts(m)->graph;
    const struct mcollector *c = model_parts(m)->gc;
    size_t live = 0;
    for (size_t i = 0; i < g->nobjs_slots; i++) {
        const struct mobj *o = &g->objs[i];
        if (!o->live)
            continue;
        live++;
        if (mgraph_obj_lookup(g, o->addr) != i)
            return bad(w, "object 0x%" PRIx64 " is not indexed", o->addr);
        uint64_t in = 0;
        uint32_t n = 0;
        for (uint32_t e = o->in_head; e != NONE; e = g->edges[e].in_next) {
            const struct medge *d = &g->edges[e];
            if (!d->live || d->obj_idx != i || d->count == 0 || ++n > g->nedges)
                return bad(w, "object 0x%" PRIx64 ": its referrer list is broken", o->addr);
            in += d->count;
        }
        if (in != o->in_total || o->refcnt < in)
            return bad(w, "object 0x%" PRIx64 ": refcount %" PRIu64 " below %" PRIu64
                          " references held by objects",
                       o->addr, o->refcnt, in);
        for (uint32_t e = o->out_head; e != NONE; e = g->edges[e].out_next)
            if (!g->edges[e].live || g->edges[e].owner_idx != i)
                return bad(w, "object 0x%" PRIx64 ": its referent list is broken", o->addr);
        if (o->gen >= (int)MODEL_MAX_GENERATIONS)
            return bad(w, "object 0x%" PRIx64 " is in no generation", o->addr);
        if (!(o->flags & MODEL_OBJ_STATIC) && o->block == 0)
            return bad(w, "object 0x%" PRIx64 " has no memory", o->addr);
    }
    if (live != g->nobjs || g->obj_index.n != live)
        return bad(w, "%zu objects live, %zu counted", live, g->nobjs);
    for (uint32_t gi = 0; gi < MODEL_MAX_GENERATIONS; gi++) {
        const struct mgen *gen = &c->gens[gi];
        uint64_t n = 0;
        uint32_t prev = NONE;
        for (uint32_t i = gen->head; i != NONE; i = g->objs[i].gen_next) {
            const struct mobj *o = &g->objs[i];
            if (!o->live || o->gen != (int)gi || o->gen_prev != prev || ++n > live)
                return bad(w, "generation %" PRIu32 "'s list is broken", gi);
            prev = i;
        }
        if (prev != gen->tail || n != gen->objects)
            return bad(w, "generation %" PRIu32 " holds %" PRIu64 " objects, counted %" PRIu64,
                       gi, n, gen->objects);
    }
    /* the interpreter's own objects move between generations, never in or out */
    uint64_t startup = 0, startup0 = 0;
    for (uint32_t gi = 0; gi < MODEL_MAX_GENERATIONS; gi++) {
        startup += c->gens[gi].startup;
        startup0 += c->startup0[gi];
    }
    if (startup != startup0)
        return bad(w, "%" PRIu64 " of the interpreter's own objects in the generations, %" PRIu64 " in the header",
                   startup, startup0);
    return true;
}

bool model_is_valid(const struct model *m, char *err, size_t errlen)
{
    return model_check(m, true, err, errlen);
}

bool model_check(const struct model *m, bool quiescent, char *err, size_t errlen)
{
    const struct mheap *h = model_parts(m)->heap;
    struct walk w = {.err = err, .errlen = errlen, .ok = true, .quiescent = quiescent};
    if (err && errlen)
        err[0] = '\0';
    uint64_t counts[3][HEAP_STATS_MAX_CLASSES];
    memset(counts, 0, sizeof counts);
    struct class_sums sums;
    memset(&sums, 0, sizeof sums);
    if (!check_arenas(m, &w, &sums, counts[0], counts[1], counts[2]) ||
        !check_classes(m, &w, &sums, counts[0], counts[1], counts[2]))
        return false;
    uint64_t raw = 0;
    for (size_t i = 0; i < h->nraws; i++) {
        const uint64_t *v = map_get(&h->raw_index, h->raws[i].addr);
        if (!v || *v != i)
            return bad(&w, "raw block 0x%" PRIx64 " is not indexed", h->raws[i].addr);
        raw += h->raws[i].size;
    }
    if (raw != h->raw_bytes || h->raw_index.n != h->nraws)
        return bad(&w, "raw bytes do not add up");
    /* arenascope's own blocks, counted as they came and went */
    struct mheap_stack_count tool;
    mheap_count_stack(h, h->tool_stack, &tool);
    if (memcmp(&tool, &h->tool, sizeof tool) != 0)
        return bad(&w, "arenascope's own blocks: %" PRIu64 " (%" PRIu64 " bytes) and %" PRIu64
                       " raw are counted, %" PRIu64 " (%" PRIu64 " bytes) and %" PRIu64 " are there",
                   h->tool.blocks, h->tool.block_bytes, h->tool.raw_blocks, tool.blocks, tool.block_bytes,
                   tool.raw_blocks);
    return check_objects(m, &w);
}

/* ==== between events =========================================================================== */

/* An arena, between two operations: on usable_arenas exactly when it has a free pool, in its place
 * there (sorted by free pools), and wholly free only when kept (valid.c's whole walk, for one). */
static const char *arena_problem(const struct mheap *h, const struct marena *a)
{
    if (a->on_usable != (a->nfreepools > 0))
        return a->on_usable ? "is on usable_arenas with no free pool (its arena_move off it?)"
                            : "has free pools but is not on usable_arenas (its arena_move?)";
    if (!a->on_usable)
        return NULL;
    if (a->usable_prev >= 0 && h->arenas[a->usable_prev].nfreepools > a->nfreepools)
        return "has fewer free pools than the arena before it in usable_arenas (its arena_move?)";
    if (a->usable_next >= 0 && h->arenas[a->usable_next].nfreepools < a->nfreepools)
        return "has more free pools than the arena after it in usable_arenas (its arena_move?)";
    if (a->nfreepools == a->npools &&
        (!h->geo.keep_last_free_arena ||
         (a->usable_next >= 0 && h->arenas[a->usable_next].nfreepools != a->nfreepools)))
        return "is wholly free but kept (its arena_free?)";
    return NULL;
}

/* By kind, the field that names the pool an event touches (its pool, else its block's) and the
 * one that names its arena's slot, or -1: asked at every event, so looked up once. */
static int8_t touch_fields[EV_KIND_COUNT][2];
static pthread_once_t touch_fields_once = PTHREAD_ONCE_INIT;

static void touch_fields_fill(void)
{
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        int pool = event_kind_role((enum event_kind)k, EV_ROLE_POOL);
        touch_fields[k][0] = (int8_t)(pool >= 0 ? pool : event_kind_role((enum event_kind)k, EV_ROLE_ADDR));
        touch_fields[k][1] = (int8_t)event_kind_role((enum event_kind)k, EV_ROLE_SLOT);
    }
}

/* The pool and the arena (slot + 1) an event touches, by its roles: a pool it names, or the pool
 * of the block it names; an arena it names, or that pool's. */
static void touched(const struct mheap *h, const struct event *ev, uint64_t *pool, uint32_t *slot)
{
    const struct mpool *p = NULL;
    *pool = 0;
    *slot = 0;
    if (!ev || (unsigned)ev->kind >= EV_KIND_COUNT)
        return;
    pthread_once(&touch_fields_once, touch_fields_fill);
    const int8_t *fi = touch_fields[ev->kind];
    if (fi[0] >= 0)
        p = mheap_pool_find(h, ev->u.f[fi[0]]);
    if (p)
        *pool = p->addr;
    if (fi[1] >= 0)
        *slot = ev->u.f[fi[1]] < UINT32_MAX ? (uint32_t)ev->u.f[fi[1]] + 1 : 0;
    else if (p)
        *slot = p->slot + 1;
}

bool model_check_settled(const struct model *m, struct model_settle *s, const struct event *next,
                         char *err, size_t errlen)
{
    const struct mheap *h = model_parts(m)->heap;
    struct walk w = {.err = err, .errlen = errlen, .ok = true};
    uint64_t pool;
    uint32_t slot;
    touched(h, next, &pool, &slot);
    /* An event that names an arena but no pool (arena_move, arena_free) goes on with the pool
     * before it in that arena: taking a pool from the cache or carving one moves its arena before
     * the allocation names the pool again.  (Most events stay in the pool of the one before:
     * touched() found it, and it needs no second search.) */
    bool stays = pool && pool == s->pool;
    const struct mpool *p = s->pool && !stays ? mheap_pool_find(h, s->pool) : NULL;
    bool same_pool = stays || (p && !pool && slot == p->slot + 1);
    if (p && !same_pool) {
        const char *why = NULL;
        if (p->state == MODEL_POOL_CARVED && p->szidx >= h->geo.nclasses)
            why = "was carved, but no allocation used it";
        else if (p->state != MODEL_POOL_UNTOUCHED && p->szidx < h->geo.nclasses)
            why = mpool_state_problem(h, p, true);
        if (why)
            return bad(&w, "pool 0x%" PRIx64 " %s", p->addr, why);
    }
    if (s->slot && s->slot != slot && s->slot - 1 < h->nslots && h->arenas[s->slot - 1].live) {
        const char *why = arena_problem(h, &h->arenas[s->slot - 1]);
        if (why)
            return bad(&w, "arena %" PRIu32 " %s", s->slot - 1, why);
    }
    s->pool = pool ? pool : same_pool ? s->pool : 0;
    s->slot = slot;
    return true;
}

bool model_check_objects(const struct model *m, char *err, size_t errlen)
{
    struct walk w = {.err = err, .errlen = errlen, .ok = true};
    return check_objects(m, &w);
}
