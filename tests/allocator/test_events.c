/*
 * test_events.c - the event contract of allocator/event.h, to the letter.
 *
 * First, exact sequences: the events of each kind of operation, in the order of their effects.
 * Then a fold: a small independent model that knows nothing of the allocator's policy and only
 * applies what the events say (arena lists, pool states, rings, counts, raw blocks).  After every
 * operation of random scripts, on every profile and both arena sources, the fold must equal what
 * heap_inspect reports: every change of state was announced, in an order that can be applied.
 */
#include "evlist.h"
#include "helpers.h"

#include <criterion/criterion.h>
#include <tracer/model.h> /* MODEL_NO_CLASS */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- recording sink ----------------------------------------------------------------------- */

/* Checks that the events recorded since `from` have exactly these kinds. */
static void expect_kinds(const struct evlist *r, size_t from, const enum event_kind *kinds, size_t n, const char *what)
{
    cr_assert_eq(r->n - from, n, "%s: %zu events, expected %zu", what, r->n - from, n);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(r->ev[from + i].kind, kinds[i], "%s: event %zu is kind %d, expected %d", what, i,
                     r->ev[from + i].kind, kinds[i]);
}
#define EXPECT(r, from, what, ...)                                                               \
    do {                                                                                         \
        const enum event_kind k_[] = {__VA_ARGS__};                                              \
        expect_kinds((r), (from), k_, sizeof k_ / sizeof k_[0], (what));                         \
    } while (0)

static uint64_t A(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

Test(events, first_allocation)
{
    struct evlist r = {0};
    struct event_sink s = evlist_sink(&r);
    struct heap *h = th_heap("cpython-3.10", "aligned", &s);
    char *p = heap_malloc(h, 40);
    EXPECT(&r, 0, "first malloc", EV_ARENA_VECTOR, EV_ARENA_NEW, EV_ARENA_MOVE, EV_POOL_CARVE, EV_POOL_INIT,
           EV_BLOCK_ALLOC);
    cr_assert_eq(r.ev[0].u.arena_vector.slots, 16);
    const struct event_arena_new *an = &r.ev[1].u.arena_new;
    cr_assert(an->serial == 0 && an->slot == 0 && an->npools == 64 && an->sliver == 0);
    cr_assert(r.ev[2].u.arena_move.slot == 0 && r.ev[2].u.arena_move.after == 0, "to the head");
    uint64_t pool = A(p) - 48;
    cr_assert(r.ev[3].u.pool_carve.pool == pool && r.ev[3].u.pool_carve.slot == 0);
    cr_assert(r.ev[4].u.pool_init.pool == pool && r.ev[4].u.pool_init.szidx == 2);
    cr_assert(r.ev[5].u.block_alloc.addr == A(p) && r.ev[5].u.block_alloc.size == 40 && r.ev[5].u.block_alloc.stack == 0);
    size_t m = r.n;
    char *q = heap_malloc(h, 33);
    EXPECT(&r, m, "second malloc", EV_BLOCK_ALLOC);
    m = r.n;
    heap_free(h, q);
    EXPECT(&r, m, "free", EV_BLOCK_FREE);
    cr_assert_eq(r.ev[m].u.block_free.addr, A(q));
    m = r.n;
    heap_free(h, p);
    EXPECT(&r, m, "free of the last block: the pool empties, the arena stays (3.9+: the tail)", EV_BLOCK_FREE,
           EV_POOL_EMPTY);
    heap_delete(h);
    evlist_release(&r);
}

Test(events, raw_layer)
{
    struct evlist r = {0};
    struct event_sink s = evlist_sink(&r);
    struct heap *h = th_heap("cpython-3.10", "aligned", &s);
    void *z = heap_malloc(h, 0);
    EXPECT(&r, 0, "malloc(0)", EV_RAW_ALLOC);
    cr_assert(r.ev[0].u.raw_alloc.addr == A(z) && r.ev[0].u.raw_alloc.size == 0 && r.ev[0].u.raw_alloc.why == EV_RAW_ZERO);
    size_t m = r.n;
    void *l = heap_malloc(h, 1000);
    EXPECT(&r, m, "malloc(1000)", EV_RAW_ALLOC);
    cr_assert(r.ev[m].u.raw_alloc.size == 1000 && r.ev[m].u.raw_alloc.why == EV_RAW_LARGE);
    m = r.n;
    void *l2 = heap_realloc(h, l, 3000);
    EXPECT(&r, m, "realloc of a raw block", EV_RAW_REALLOC, EV_REALLOC);
    cr_assert(r.ev[m].u.raw_realloc.old == A(l) && r.ev[m].u.raw_realloc.addr == A(l2) && r.ev[m].u.raw_realloc.size == 3000);
    cr_assert(r.ev[m + 1].u.realloc.outcome == EV_REALLOC_RAW && r.ev[m + 1].u.realloc.addr == A(l2));
    m = r.n;
    heap_free(h, z);
    heap_free(h, l2);
    EXPECT(&r, m, "raw frees", EV_RAW_FREE, EV_RAW_FREE);
    cr_assert_eq(r.ev[m].u.raw_free.addr, A(z));
    m = r.n;
    void *c = heap_calloc(h, 0, 5);
    EXPECT(&r, m, "calloc(0, 5)", EV_RAW_ALLOC, EV_CALLOC);
    cr_assert(r.ev[m + 1].u.calloc.addr == A(c) && r.ev[m + 1].u.calloc.nmemb == 0 && r.ev[m + 1].u.calloc.size == 5);
    heap_free(h, c);
    heap_delete(h);
    evlist_release(&r);
}

Test(events, realloc_outcomes)
{
    struct evlist r = {0};
    struct event_sink s = evlist_sink(&r);
    struct heap *h = th_heap("cpython-3.10", "aligned", &s);
    char *a = heap_malloc(h, 512);
    heap_malloc(h, 512); /* keeps a's pool used when a moves */
    size_t m = r.n;
    cr_assert_eq(heap_realloc(h, a, 400), a);
    EXPECT(&r, m, "in place", EV_REALLOC);
    cr_assert(r.ev[m].u.realloc.old == A(a) && r.ev[m].u.realloc.addr == A(a) &&
              r.ev[m].u.realloc.outcome == EV_REALLOC_IN_PLACE && r.ev[m].u.realloc.size == 400);
    m = r.n;
    char *b = heap_realloc(h, a, 300);
    EXPECT(&r, m, "shrunk: new block (new pool), then the old freed", EV_POOL_CARVE, EV_POOL_INIT, EV_BLOCK_ALLOC,
           EV_BLOCK_FREE, EV_REALLOC);
    cr_assert(r.ev[m + 2].u.block_alloc.addr == A(b) && r.ev[m + 3].u.block_free.addr == A(a));
    cr_assert_eq(r.ev[m + 4].u.realloc.outcome, EV_REALLOC_SHRUNK);
    m = r.n;
    char *c = heap_realloc(h, b, 310);
    EXPECT(&r, m, "moved up", EV_POOL_CARVE, EV_POOL_INIT, EV_BLOCK_ALLOC, EV_BLOCK_FREE, EV_POOL_EMPTY, EV_REALLOC);
    cr_assert_eq(r.ev[m + 5].u.realloc.outcome, EV_REALLOC_MOVED);
    m = r.n;
    char *d = heap_realloc(h, c, 513);
    EXPECT(&r, m, "to the raw layer", EV_RAW_ALLOC, EV_BLOCK_FREE, EV_POOL_EMPTY, EV_REALLOC);
    cr_assert(r.ev[m].u.raw_alloc.why == EV_RAW_REALLOC_MIGRATE && r.ev[m + 3].u.realloc.outcome == EV_REALLOC_TO_RAW);
    m = r.n;
    char *e = heap_realloc(h, NULL, 16);
    EXPECT(&r, m, "realloc(NULL): the pool emptied last comes back for class 0", EV_POOL_UNCACHE, EV_POOL_INIT,
           EV_BLOCK_ALLOC, EV_REALLOC);
    cr_assert(r.ev[m + 3].u.realloc.old == 0 && r.ev[m + 3].u.realloc.outcome == EV_REALLOC_NEW);
    m = r.n;
    char *f = heap_realloc(h, e, 0);
    EXPECT(&r, m, "realloc to 0", EV_RAW_ALLOC, EV_BLOCK_FREE, EV_POOL_EMPTY, EV_REALLOC);
    cr_assert(r.ev[m].u.raw_alloc.why == EV_RAW_ZERO && r.ev[m + 3].u.realloc.outcome == EV_REALLOC_TO_RAW);
    heap_free(h, d);
    heap_free(h, f);
    heap_delete(h);
    evlist_release(&r);
}

/* A pool fills, leaves its ring, comes back; an arena fills and leaves usable_arenas; a wholly
 * free arena is released at once (3.8). */
Test(events, transitions)
{
    struct evlist r = {0};
    struct event_sink s = evlist_sink(&r);
    struct heap *h = th_heap("cpython-3.8", "aligned", &s);
    enum { PER_POOL = 7, PER_ARENA = 7 * 64 };
    void *b[PER_ARENA + 1];
    for (int i = 0; i < PER_POOL; i++)
        b[i] = heap_malloc(h, 512);
    cr_assert_eq(r.ev[r.n - 2].kind, EV_BLOCK_ALLOC);
    cr_assert_eq(r.ev[r.n - 1].kind, EV_POOL_FULL, "the block that fills a pool, then pool_full");
    size_t m = r.n;
    for (int i = PER_POOL; i < PER_ARENA - PER_POOL; i++)
        b[i] = heap_malloc(h, 512);
    m = r.n;
    b[PER_ARENA - PER_POOL] = heap_malloc(h, 512);
    EXPECT(&r, m, "the arena's last pool", EV_POOL_CARVE, EV_ARENA_MOVE, EV_POOL_INIT, EV_BLOCK_ALLOC);
    cr_assert_eq(r.ev[m + 1].u.arena_move.after, -1, "a wholly allocated arena leaves usable_arenas");
    for (int i = PER_ARENA - PER_POOL + 1; i < PER_ARENA; i++)
        b[i] = heap_malloc(h, 512);
    m = r.n;
    heap_free(h, b[3]);
    EXPECT(&r, m, "full -> used", EV_BLOCK_FREE, EV_POOL_UNFULL);
    m = r.n;
    heap_free(h, b[PER_ARENA - 1]);
    EXPECT(&r, m, "full -> used in a full arena", EV_BLOCK_FREE, EV_POOL_UNFULL);
    for (int i = 0; i < PER_POOL; i++)
        if (i != 3) {
            m = r.n;
            heap_free(h, b[i]);
        }
    EXPECT(&r, m, "used -> empty in a full arena: back on usable_arenas", EV_BLOCK_FREE, EV_POOL_EMPTY, EV_ARENA_MOVE);
    cr_assert_eq(r.ev[m + 2].u.arena_move.after, 0);
    for (int i = PER_POOL; i < PER_ARENA - 1; i++) {
        m = r.n;
        heap_free(h, b[i]);
    }
    EXPECT(&r, m, "the last block: the arena is released (3.8)", EV_BLOCK_FREE, EV_POOL_EMPTY, EV_ARENA_MOVE,
           EV_ARENA_FREE);
    cr_assert(r.ev[m + 2].u.arena_move.after == -1 && r.ev[m + 3].u.arena_free.slot == 0);
    heap_delete(h);
    evlist_release(&r);
}

/* No arena to be had: the request goes to the raw layer with why RAW_NO_ARENA. */
Test(events, no_arena)
{
    struct evlist r = {0};
    struct event_sink s = evlist_sink(&r);
    struct heap_failing_source fs = {heap_arena_source_aligned(), 1, true, 0, 0};
    struct heap_arena_source src = heap_arena_source_failing(&fs);
    struct heap_profile p = th_profile("cpython-3.10");
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &p, &src, &s), 0);
    void *x = heap_malloc(h, 16);
    EXPECT(&r, 0, "no arena", EV_ARENA_VECTOR, EV_RAW_ALLOC);
    cr_assert(r.ev[1].u.raw_alloc.why == EV_RAW_NO_ARENA && r.ev[1].u.raw_alloc.addr == A(x));
    heap_free(h, x);
    heap_delete(h);
    evlist_release(&r);
}

/* The stack hook runs before any event of its allocation, and its id rides on them. */
struct hook_ctx {
    struct evlist *r;
    uint64_t next;
    size_t calls;
};

static uint64_t hook(void *ctx)
{
    struct hook_ctx *c = ctx;
    c->calls++;
    /* Like the stack table: a definition precedes the first use of an id. */
    struct event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = EV_STACK_DEF;
    ev.u.stack_def.id = ++c->next;
    evlist_emit(c->r, &ev);
    return c->next;
}

Test(events, stack_ids)
{
    struct evlist r = {0};
    struct event_sink s = evlist_sink(&r);
    struct heap *h = th_heap("cpython-3.10", "aligned", &s);
    struct hook_ctx hc = {&r, 0, 0};
    struct heap_stack_hook hk = {hook, &hc};
    heap_set_stack_hook(h, &hk);
    void *a = heap_malloc(h, 24);
    cr_assert_eq(r.ev[0].kind, EV_STACK_DEF, "the hook runs before the allocator's first event");
    cr_assert_eq(r.ev[r.n - 1].u.block_alloc.stack, 1);
    size_t m = r.n;
    void *b = heap_malloc(h, 2000);
    EXPECT(&r, m, "raw with a stack", EV_STACK_DEF, EV_RAW_ALLOC);
    cr_assert_eq(r.ev[m + 1].u.raw_alloc.stack, 2);
    m = r.n;
    void *c = heap_calloc(h, 2, 8);
    EXPECT(&r, m, "calloc with a stack", EV_STACK_DEF, EV_POOL_CARVE, EV_POOL_INIT, EV_BLOCK_ALLOC, EV_CALLOC);
    cr_assert_eq(r.ev[m + 3].u.block_alloc.stack, 3);
    m = r.n;
    void *d = heap_realloc(h, c, 100);
    cr_assert_eq(r.ev[m].kind, EV_STACK_DEF);
    heap_free(h, a);
    heap_free(h, b);
    heap_free(h, d);
    cr_assert_eq(hc.calls, 4, "malloc, calloc and realloc capture; free does not");
    heap_set_stack_hook(h, NULL);
    m = r.n;
    heap_free(h, heap_malloc(h, 24));
    cr_assert(r.n > m);
    for (size_t i = m; i < r.n; i++) {
        cr_assert_neq(r.ev[i].kind, EV_STACK_DEF, "no hook, no capture");
        if (r.ev[i].kind == EV_BLOCK_ALLOC)
            cr_assert_eq(r.ev[i].u.block_alloc.stack, 0);
    }
    heap_delete(h);
    evlist_release(&r);
}

/* ---- the fold ------------------------------------------------------------------------------ */

enum fstate { F_NONE, F_PENDING, F_USED, F_FULL, F_EMPTY };

struct fpool {
    uint64_t addr;
    uint32_t slot, szidx, count;
    enum fstate state;
};

struct farena {
    bool live;
    uint64_t serial, base;
    uint32_t npools, nfree, ncarved, sliver;
    uint64_t *cache; /* LIFO, top at the end */
    size_t ncache, capcache;
};

struct fold {
    uint32_t pool_size, nclasses, align_shift;
    struct farena *arenas;
    uint32_t nslots;
    uint32_t *usable, nusable;
    uint32_t *unused, nunused; /* top at the end */
    uint64_t total;
    struct fpool *pools; /* open addressing on addr */
    size_t cap;
    uint64_t **rings; /* per class, front at 0 */
    size_t *nring;
    struct heap_raw_info *raw;
    size_t nraw, capraw;
    const char *err; /* first inconsistency seen while folding */
};

static struct fpool *fpool_get(struct fold *f, uint64_t addr)
{
    size_t i = (size_t)((addr >> 10) * 0x9E3779B97F4A7C15ull >> 40) & (f->cap - 1);
    while (f->pools[i].addr && f->pools[i].addr != addr)
        i = (i + 1) & (f->cap - 1);
    f->pools[i].addr = addr;
    return &f->pools[i];
}

static void fold_init(struct fold *f, const struct heap_profile *p)
{
    memset(f, 0, sizeof *f);
    f->pool_size = p->pool_size;
    f->nclasses = heap_profile_nclasses(p);
    while ((1u << f->align_shift) < p->alignment)
        f->align_shift++;
    f->cap = 1u << 16;
    f->pools = calloc(f->cap, sizeof *f->pools);
    f->rings = calloc(f->nclasses, sizeof *f->rings);
    f->nring = calloc(f->nclasses, sizeof *f->nring);
    cr_assert(f->pools && f->rings && f->nring);
    for (uint32_t i = 0; i < f->nclasses; i++) {
        f->rings[i] = malloc(4096 * sizeof **f->rings);
        cr_assert(f->rings[i]);
    }
}

static void fold_release(struct fold *f)
{
    for (uint32_t i = 0; i < f->nslots; i++)
        free(f->arenas[i].cache);
    free(f->arenas);
    free(f->usable);
    free(f->unused);
    free(f->pools);
    for (uint32_t i = 0; i < f->nclasses; i++)
        free(f->rings[i]);
    free(f->rings);
    free(f->nring);
    free(f->raw);
}

static void list_remove(uint64_t *v, size_t *n, uint64_t x)
{
    for (size_t i = 0; i < *n; i++)
        if (v[i] == x) {
            memmove(v + i, v + i + 1, (*n - i - 1) * sizeof *v);
            (*n)--;
            return;
        }
}

static void usable_remove(struct fold *f, uint32_t slot)
{
    for (uint32_t i = 0; i < f->nusable; i++)
        if (f->usable[i] == slot) {
            memmove(f->usable + i, f->usable + i + 1, (f->nusable - i - 1) * sizeof *f->usable);
            f->nusable--;
            return;
        }
}

static void ring_push_front(struct fold *f, uint32_t k, uint64_t pool)
{
    cr_assert(f->nring[k] < 4096);
    memmove(f->rings[k] + 1, f->rings[k], f->nring[k] * sizeof **f->rings);
    f->rings[k][0] = pool;
    f->nring[k]++;
}

#define FOLD_CHECK(f, cond, msg)                                                                 \
    do {                                                                                         \
        if (!(cond) && !(f)->err)                                                                \
            (f)->err = (msg);                                                                    \
    } while (0)

static void fold_emit(void *ctx, const struct event *ev)
{
    struct fold *f = ctx;
    switch ((int)ev->kind) { /* only the allocator's kinds */
    case EV_ARENA_VECTOR: {
        uint32_t n = (uint32_t)ev->u.arena_vector.slots;
        FOLD_CHECK(f, n == (f->nslots ? 2 * f->nslots : 16), "arena_vector: not 16, 32, 64...");
        f->arenas = realloc(f->arenas, n * sizeof *f->arenas);
        f->usable = realloc(f->usable, n * sizeof *f->usable);
        f->unused = realloc(f->unused, n * sizeof *f->unused);
        cr_assert(f->arenas && f->usable && f->unused);
        memset(f->arenas + f->nslots, 0, (n - f->nslots) * sizeof *f->arenas);
        for (uint32_t s = n; s-- > f->nslots;)
            f->unused[f->nunused++] = s;
        f->nslots = n;
        break;
    }
    case EV_ARENA_NEW: {
        const struct event_arena_new *e = &ev->u.arena_new;
        FOLD_CHECK(f, f->nunused && f->unused[f->nunused - 1] == e->slot, "arena_new: not the top unused slot");
        FOLD_CHECK(f, e->serial == f->total, "arena_new: serial out of sequence");
        f->nunused--;
        f->total++;
        struct farena *a = &f->arenas[e->slot];
        a->live = true;
        a->serial = e->serial;
        a->base = e->base;
        a->npools = a->nfree = (uint32_t)e->npools;
        a->ncarved = 0;
        a->sliver = (uint32_t)e->sliver;
        a->ncache = 0;
        break;
    }
    case EV_ARENA_MOVE: {
        uint32_t slot = (uint32_t)ev->u.arena_move.slot;
        int64_t after = ev->u.arena_move.after;
        usable_remove(f, slot);
        if (after < 0)
            break;
        uint32_t at = 0;
        if (after > 0) {
            at = UINT32_MAX;
            for (uint32_t i = 0; i < f->nusable; i++)
                if (f->usable[i] == (uint32_t)(after - 1))
                    at = i + 1;
            FOLD_CHECK(f, at != UINT32_MAX, "arena_move: `after` names an arena not on the list");
            if (at == UINT32_MAX)
                break;
        }
        memmove(f->usable + at + 1, f->usable + at, (f->nusable - at) * sizeof *f->usable);
        f->usable[at] = slot;
        f->nusable++;
        break;
    }
    case EV_ARENA_FREE: {
        uint32_t slot = (uint32_t)ev->u.arena_free.slot;
        struct farena *a = &f->arenas[slot];
        FOLD_CHECK(f, a->live && a->base == ev->u.arena_free.base, "arena_free: not that live arena");
        FOLD_CHECK(f, a->nfree == a->npools, "arena_free: the arena is not wholly free");
        for (uint32_t i = 0; i < f->nusable; i++)
            FOLD_CHECK(f, f->usable[i] != slot, "arena_free: still on usable_arenas (arena_move -1 first)");
        for (size_t i = 0; i < a->ncarved; i++) {
            struct fpool *p = fpool_get(f, a->base + a->sliver + i * f->pool_size);
            p->state = F_NONE;
        }
        a->live = false;
        f->unused[f->nunused++] = slot;
        break;
    }
    case EV_POOL_CARVE: {
        uint32_t slot = (uint32_t)ev->u.pool_carve.slot;
        struct farena *a = &f->arenas[slot];
        FOLD_CHECK(f, ev->u.pool_carve.pool == a->base + a->sliver + (uint64_t)a->ncarved * f->pool_size,
                   "pool_carve: not at the high-water mark");
        a->ncarved++;
        a->nfree--;
        struct fpool *p = fpool_get(f, ev->u.pool_carve.pool);
        p->slot = slot;
        p->szidx = MODEL_NO_CLASS;
        p->count = 0;
        p->state = F_PENDING;
        break;
    }
    case EV_POOL_UNCACHE: {
        struct fpool *p = fpool_get(f, ev->u.pool_uncache.pool);
        struct farena *a = &f->arenas[p->slot];
        FOLD_CHECK(f, a->ncache && a->cache[a->ncache - 1] == p->addr, "pool_uncache: not the top of freepools");
        a->ncache--;
        a->nfree--;
        p->state = F_PENDING;
        break;
    }
    case EV_POOL_INIT: {
        struct fpool *p = fpool_get(f, ev->u.pool_init.pool);
        FOLD_CHECK(f, p->state == F_PENDING, "pool_init: of a pool not just carved or uncached");
        p->szidx = (uint32_t)ev->u.pool_init.szidx;
        break;
    }
    case EV_BLOCK_ALLOC: {
        uint64_t pa = ev->u.block_alloc.addr & ~(uint64_t)(f->pool_size - 1);
        struct fpool *p = fpool_get(f, pa);
        uint32_t k = (uint32_t)((ev->u.block_alloc.size - 1) >> f->align_shift);
        if (p->state == F_PENDING) {
            FOLD_CHECK(f, p->szidx == k, "block_alloc: a new pool of another class");
            FOLD_CHECK(f, f->nring[k] == 0, "block_alloc: a new pool for a class whose ring is not empty");
            ring_push_front(f, k, pa);
            p->state = F_USED;
        }
        FOLD_CHECK(f, p->state == F_USED && p->szidx == k, "block_alloc: from a pool not in use for its class");
        FOLD_CHECK(f, f->nring[k] && f->rings[k][0] == pa, "block_alloc: not from the front pool of the ring");
        p->count++;
        break;
    }
    case EV_POOL_FULL: {
        struct fpool *p = fpool_get(f, ev->u.pool_full.pool);
        list_remove(f->rings[p->szidx], &f->nring[p->szidx], p->addr);
        p->state = F_FULL;
        break;
    }
    case EV_BLOCK_FREE: {
        struct fpool *p = fpool_get(f, ev->u.block_free.addr & ~(uint64_t)(f->pool_size - 1));
        FOLD_CHECK(f, p->count > 0 && (p->state == F_USED || p->state == F_FULL), "block_free: in no live pool");
        p->count--;
        break;
    }
    case EV_POOL_UNFULL: {
        struct fpool *p = fpool_get(f, ev->u.pool_unfull.pool);
        FOLD_CHECK(f, p->state == F_FULL, "pool_unfull: not full");
        p->state = F_USED;
        ring_push_front(f, p->szidx, p->addr);
        break;
    }
    case EV_POOL_EMPTY: {
        struct fpool *p = fpool_get(f, ev->u.pool_empty.pool);
        FOLD_CHECK(f, p->count == 0 && p->state == F_USED, "pool_empty: not an emptied used pool");
        list_remove(f->rings[p->szidx], &f->nring[p->szidx], p->addr);
        p->state = F_EMPTY;
        struct farena *a = &f->arenas[p->slot];
        if (a->ncache == a->capcache) {
            a->capcache = a->capcache ? 2 * a->capcache : 16;
            a->cache = realloc(a->cache, a->capcache * sizeof *a->cache);
            cr_assert(a->cache);
        }
        a->cache[a->ncache++] = p->addr;
        a->nfree++;
        break;
    }
    case EV_RAW_ALLOC:
        if (f->nraw == f->capraw) {
            f->capraw = f->capraw ? 2 * f->capraw : 64;
            f->raw = realloc(f->raw, f->capraw * sizeof *f->raw);
            cr_assert(f->raw);
        }
        f->raw[f->nraw++] = (struct heap_raw_info){ev->u.raw_alloc.addr, ev->u.raw_alloc.size};
        break;
    case EV_RAW_FREE:
    case EV_RAW_REALLOC: {
        uint64_t old = ev->kind == EV_RAW_FREE ? ev->u.raw_free.addr : ev->u.raw_realloc.old;
        size_t i = 0;
        while (i < f->nraw && f->raw[i].addr != old)
            i++;
        FOLD_CHECK(f, i < f->nraw, "raw_free/raw_realloc: of an unknown block");
        if (i == f->nraw)
            break;
        if (ev->kind == EV_RAW_FREE)
            f->raw[i] = f->raw[--f->nraw];
        else
            f->raw[i] = (struct heap_raw_info){ev->u.raw_realloc.addr, ev->u.raw_realloc.size};
        break;
    }
    default:
        break;
    }
}

static int raw_cmp(const void *a, const void *b)
{
    const struct heap_raw_info *x = a, *y = b;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The fold against the heap, everything heap_inspect can tell. */
static bool fold_matches(struct fold *f, const struct heap *h, char *err, size_t errlen)
{
#define MISMATCH(...) return snprintf(err, errlen, __VA_ARGS__), false
    if (f->err)
        MISMATCH("the events were inconsistent: %s", f->err);
    struct heap_counters c;
    heap_inspect_counters(h, &c);
    if (c.slots != f->nslots || c.arenas_total != f->total)
        MISMATCH("slots %u/%u, arenas total %lu/%lu", c.slots, f->nslots, (unsigned long)c.arenas_total,
                 (unsigned long)f->total);
    uint32_t buf32[4096];
    if (heap_inspect_usable(h, buf32, 4096) != f->nusable || (f->nusable && memcmp(buf32, f->usable, f->nusable * 4)))
        MISMATCH("usable_arenas differ");
    size_t nu = heap_inspect_unused(h, buf32, 4096);
    if (nu != f->nunused)
        MISMATCH("unused stacks differ in length");
    for (size_t i = 0; i < nu; i++)
        if (buf32[i] != f->unused[f->nunused - 1 - i])
            MISMATCH("unused stacks differ at %zu", i);
    static uint64_t buf64[65536];
    for (uint32_t s = 0; s < f->nslots; s++) {
        struct heap_arena_info ai;
        heap_inspect_arena(h, s, &ai);
        const struct farena *a = &f->arenas[s];
        if (ai.live != a->live)
            MISMATCH("slot %u: live %d/%d", s, ai.live, a->live);
        if (!a->live)
            continue;
        if (ai.serial != a->serial || ai.base != a->base || ai.npools != a->npools || ai.nfreepools != a->nfree ||
            ai.ncarved != a->ncarved || ai.sliver != a->sliver)
            MISMATCH("slot %u: arena fields differ (nfree %u/%u, carved %u/%u)", s, ai.nfreepools, a->nfree,
                     ai.ncarved, a->ncarved);
        size_t n = heap_inspect_freepools(h, s, buf64, 65536);
        if (n != a->ncache)
            MISMATCH("slot %u: %zu cached pools, fold has %zu", s, n, a->ncache);
        for (size_t i = 0; i < n; i++)
            if (buf64[i] != a->cache[a->ncache - 1 - i])
                MISMATCH("slot %u: freepools order differs", s);
        for (uint32_t i = 0; i < ai.ncarved; i++) {
            struct heap_pool_info pi;
            heap_inspect_pool(h, s, i, &pi);
            struct fpool *p = fpool_get(f, pi.addr);
            enum fstate want = pi.state == HEAP_POOL_USED ? F_USED : pi.state == HEAP_POOL_FULL ? F_FULL : F_EMPTY;
            if (p->state != want || p->count != pi.count || p->szidx != pi.szidx)
                MISMATCH("pool %#lx: state %d/%d count %u/%u class %u/%u", (unsigned long)pi.addr, p->state, want,
                         p->count, pi.count, p->szidx, pi.szidx);
        }
    }
    for (uint32_t k = 0; k < f->nclasses; k++) {
        size_t n = heap_inspect_ring(h, k, buf64, 65536);
        if (n != f->nring[k] || (n && memcmp(buf64, f->rings[k], n * 8)))
            MISMATCH("class %u: rings differ (%zu/%zu pools)", k, n, f->nring[k]);
    }
    static struct heap_raw_info raw[65536];
    size_t nr = heap_inspect_raw(h, raw, 65536);
    if (f->nraw > 1)
        qsort(f->raw, f->nraw, sizeof *f->raw, raw_cmp);
    if (nr != f->nraw)
        MISMATCH("%zu raw blocks, fold has %zu", nr, f->nraw);
    for (size_t i = 0; i < nr; i++)
        if (raw[i].addr != f->raw[i].addr || raw[i].size != f->raw[i].size)
            MISMATCH("raw block %zu differs", i);
    return true;
#undef MISMATCH
}

struct fold_run {
    struct fold *f;
    struct heap *h;
};

static bool fr_after(void *ctx, uint64_t opno, const struct ops_op *op, char *err, size_t errlen)
{
    struct fold_run *r = ctx;
    char why[400];
    if (!fold_matches(r->f, r->h, why, sizeof why)) {
        snprintf(err, errlen, "after op %lu (line %u): %s", (unsigned long)opno, op->line, why);
        return false;
    }
    return true;
}

static void fold_script(const char *profile, const char *source, const struct sbuf *text, const char *name)
{
    struct heap_profile p = th_profile(profile);
    struct fold f;
    fold_init(&f, &p);
    struct event_sink s = {fold_emit, &f};
    struct heap *h = th_heap(profile, source, &s);
    struct ops_script sc;
    th_parse(&sc, name, text);
    struct fold_run r = {&f, h};
    struct ops_target t = {.heap = h, .after = fr_after, .ctx = &r};
    char err[512];
    int rc = ops_script_run(&sc, &t, true, err, sizeof err);
    cr_assert_eq(rc, 0, "%s on %s (%s): %s", name, profile, source, err);
    cr_assert(fold_matches(&f, h, err, sizeof err), "%s at the end: %s", name, err);
    ops_script_release(&sc);
    heap_delete(h);
    fold_release(&f);
}

Test(events, fold_equals_heap, .timeout = 240)
{
    static const char *const profiles[] = {"cpython-3.10", "cpython-3.9", "cpython-3.8", "classic",
                                           "custom:pool=1K,arena=8K,threshold=256,keep-last=yes"};
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        struct heap_profile p = th_profile(profiles[i]);
        for (size_t k = 0; k < th_nscenarios; k++) {
            if (strcmp(th_scenarios[k].name, "vector-growth") == 0)
                continue; /* its 20 arenas make the per-operation comparison slow; the random
                           * scripts and the small-arena profile grow the vector too */
            struct sbuf text = {0};
            th_scenarios[k].write(&text, &p);
            fold_script(profiles[i], i % 2 ? "aligned" : "mmap", &text, th_scenarios[k].name);
            sbuf_release(&text);
        }
        for (uint64_t seed = 1; seed <= 3; seed++) {
            struct sbuf text = {0};
            th_random_script(&text, seed * 7 + i, 1500);
            fold_script(profiles[i], seed % 2 ? "aligned" : "mmap", &text, "random");
            sbuf_release(&text);
        }
    }
}
