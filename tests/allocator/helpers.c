/*
 * helpers.c - see helpers.h.
 *
 * Random scripts move through phases: each phase picks a target number of live blocks (from a
 * handful to tens of thousands, so that pools fill and empty and arenas are obtained, emptied,
 * kept and released) and walks towards it, allocating (malloc, calloc, realloc of NULL) below
 * the target and freeing random live blocks above it, with reallocs of random live blocks
 * throughout (grow, shrink, across the threshold, to zero).
 *
 * The scenarios are the transitions of docs/cpython-memory.md 3.7 written out by hand, scaled to a
 * profile's geometry (blocks per pool, pools per arena) so that the same scenario means the same
 * thing for every profile.
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct heap_profile th_profile(const char *name)
{
    struct heap_profile p;
    char err[256];
    cr_assert_eq(heap_profile_parse(name, &p, err, sizeof err), 0, "profile %s: %s", name, err);
    return p;
}

struct heap *th_heap(const char *profile, const char *source, const struct event_sink *sink)
{
    struct heap_profile p = th_profile(profile);
    struct heap_arena_source src =
        strcmp(source, "mmap") == 0 ? heap_arena_source_mmap() : heap_arena_source_aligned();
    struct heap *h = NULL;
    int rc = heap_new(&h, &p, &src, sink);
    cr_assert_eq(rc, 0, "heap_new(%s): %s", profile, heap_strerror(rc));
    return h;
}

void th_valid(const struct heap *h, const char *what)
{
    char err[512];
    bool ok = heap_is_valid(h, err, sizeof err);
    cr_assert(ok, "%s: heap not valid: %s", what, err);
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    cr_assert(n >= 0);
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (b->len + (size_t)n + 1 > cap)
            cap *= 2;
        b->s = realloc(b->s, cap);
        cr_assert(b->s);
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sbuf_release(struct sbuf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}


uint64_t th_python_size(struct rng *r)
{
    /* Requests of a 64-bit CPython: object() 16, small int 28, float 24, 1-tuple 48 (with its GC
     * header), empty list 56+16, short str 49..80, small dict 64+, dict keys 100..400, frames,
     * list item arrays 8*n. */
    static const uint16_t common[] = {16, 24, 28, 32, 40, 48, 48, 56, 56, 64, 72, 72, 80, 88, 96, 104,
                                      112, 120, 136, 152, 168, 184, 200, 216, 232, 256, 280, 312, 360, 400, 472, 512};
    uint64_t u = rng_below(r, 1000);
    if (u < 15)
        return 0;
    if (u < 60)
        return 513 + rng_below(r, 8000);
    if (u < 200)
        return 1 + rng_below(r, 512);
    if (u < 400)
        return 49 + rng_below(r, 40); /* short strings */
    return common[rng_below(r, sizeof common / sizeof common[0])];
}

void th_random_script(struct sbuf *out, uint64_t seed, size_t nops)
{
    struct rng r = {seed * 0x2545F4914F6CDD1Dull + 1};
    static const uint32_t caps[] = {8, 64, 600, 4000, 12000, 30000};
    uint32_t cap = caps[rng_below(&r, sizeof caps / sizeof caps[0])];
    uint32_t *live = malloc(((size_t)cap + 1) * sizeof *live); /* handles of live blocks */
    uint32_t *spare = malloc(((size_t)cap + 1) * sizeof *spare); /* free handle numbers */
    cr_assert(live && spare);
    uint32_t nlive = 0, nspare = 0, next_handle = 0;
    uint32_t target = 0;
    size_t phase_left = 0;
    sbuf_printf(out, "# random script, seed %lu, up to %u live blocks\n", (unsigned long)seed, cap);
    for (size_t i = 0; i < nops; i++) {
        if (phase_left == 0) {
            phase_left = 200 + rng_below(&r, 4000);
            target = (uint32_t)rng_below(&r, (uint64_t)cap + 1);
            sbuf_printf(out, "step phase towards %u live blocks\n", target);
        }
        phase_left--;
        bool grow = nlive < target ? rng_below(&r, 10) < 8 : rng_below(&r, 10) < 2;
        if (nlive == 0)
            grow = true;
        if (nlive >= cap)
            grow = false;
        uint64_t kind = rng_below(&r, 100);
        if (nlive && kind < 10) {
            /* realloc a live block: mostly nearby sizes, sometimes across the threshold or to 0 */
            uint32_t h = live[rng_below(&r, nlive)];
            uint64_t n = rng_below(&r, 4) ? th_python_size(&r) : (rng_below(&r, 2) ? 400 + rng_below(&r, 300) : 0);
            sbuf_printf(out, "realloc %u %lu\n", h, (unsigned long)n);
            continue;
        }
        if (grow) {
            uint32_t h = nspare ? spare[--nspare] : next_handle++;
            live[nlive++] = h;
            uint64_t n = th_python_size(&r);
            if (kind < 18) {
                uint64_t m = 1 + rng_below(&r, 8);
                sbuf_printf(out, "calloc %u %lu %lu\n", h, (unsigned long)m, (unsigned long)(n / m));
            } else if (kind < 21) {
                sbuf_printf(out, "realloc %u %lu\n", h, (unsigned long)n); /* realloc(NULL, n) */
            } else {
                sbuf_printf(out, "alloc %u %lu\n", h, (unsigned long)n);
            }
        } else {
            uint32_t at = (uint32_t)rng_below(&r, nlive);
            uint32_t h = live[at];
            live[at] = live[--nlive];
            spare[nspare++] = h;
            sbuf_printf(out, "free %u\n", h);
        }
    }
    free(live);
    free(spare);
}

/* ---- scenarios ---------------------------------------------------------------------------- */

struct sw {
    struct sbuf *b;
    const struct heap_profile *p;
    uint32_t next;
};

static uint32_t sw_alloc(struct sw *w, uint64_t n)
{
    sbuf_printf(w->b, "alloc %u %lu\n", w->next, (unsigned long)n);
    return w->next++;
}

static void sw_free(struct sw *w, uint32_t h)
{
    sbuf_printf(w->b, "free %u\n", h);
}

static void sw_realloc(struct sw *w, uint32_t h, uint64_t n)
{
    sbuf_printf(w->b, "realloc %u %lu\n", h, (unsigned long)n);
}

static uint32_t nb(const struct heap_profile *p, uint32_t k)
{
    return heap_profile_blocks_per_pool(p, k);
}

static uint32_t csize(const struct heap_profile *p, uint32_t k)
{
    return heap_profile_class_size(p, k);
}

static uint32_t last_class(const struct heap_profile *p)
{
    return heap_profile_nclasses(p) - 1;
}

/* Every class, blocks freed and reused in LIFO order, classes interleaved. */
static void scenario_class_churn(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t nc = heap_profile_nclasses(p);
    uint32_t *h = malloc(nc * 4 * sizeof *h);
    cr_assert(h);
    sbuf_printf(b, "step three blocks of every class, sizes just above the class below\n");
    for (uint32_t k = 0; k < nc; k++)
        for (uint32_t j = 0; j < 3; j++)
            h[k * 4 + j] = sw_alloc(&w, k ? csize(p, k - 1) + 1 + j : 1 + j);
    sbuf_printf(b, "step free the middle one of each class, then reuse it (LIFO)\n");
    for (uint32_t k = 0; k < nc; k++)
        sw_free(&w, h[k * 4 + 1]);
    for (uint32_t k = nc; k-- > 0;)
        h[k * 4 + 1] = sw_alloc(&w, csize(p, k));
    sbuf_printf(b, "step free in one order, allocate back across classes\n");
    for (uint32_t k = 0; k < nc; k += 2)
        for (uint32_t j = 0; j < 3; j++)
            sw_free(&w, h[k * 4 + j]);
    for (uint32_t round = 0; round < 5; round++)
        for (uint32_t k = 0; k < nc; k += 2) {
            uint32_t a = sw_alloc(&w, csize(p, k));
            uint32_t c = sw_alloc(&w, csize(p, (k + round) % nc));
            sw_free(&w, a);
            if (round % 2)
                sw_free(&w, c);
        }
    free(h);
}

/* used -> full -> used: a full pool that gets a block back goes to the front of its ring. */
static void scenario_full_to_used(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t classes[] = {0, 3, last_class(p)};
    for (size_t c = 0; c < 3; c++) {
        uint32_t k = classes[c], n = nb(p, k);
        uint32_t first = w.next;
        sbuf_printf(b, "step fill a pool of class %u: it becomes full\n", k);
        for (uint32_t i = 0; i < n; i++)
            sw_alloc(&w, csize(p, k));
        sbuf_printf(b, "step the next block of class %u needs a new pool\n", k);
        uint32_t second = sw_alloc(&w, csize(p, k));
        sw_alloc(&w, csize(p, k));
        sbuf_printf(b, "step a block freed in the full pool: it goes back to the front of the ring\n");
        sw_free(&w, first + n - 1);
        sw_alloc(&w, csize(p, k)); /* reuses it; the pool is full again */
        sw_alloc(&w, csize(p, k)); /* from the second pool */
        sbuf_printf(b, "step two full-to-used pools: the most recent is in front\n");
        for (uint32_t i = 0; i < n - 2; i++)
            sw_alloc(&w, csize(p, k)); /* fill the second pool */
        sw_free(&w, first);
        sw_free(&w, second);
        sw_free(&w, first + 1);
        sw_alloc(&w, csize(p, k));
        sw_alloc(&w, csize(p, k));
        sw_alloc(&w, csize(p, k));
        sw_alloc(&w, csize(p, k));
    }
}

/* used -> empty -> reused: for another class (re-initialised) and for the same class (kept). */
static void scenario_pool_reuse(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t a = 2, c = 7 < last_class(p) ? 7 : 1;
    uint32_t n = nb(p, a);
    uint32_t base = w.next;
    sbuf_printf(b, "step three pools of class %u, the third partly used\n", a);
    for (uint32_t i = 0; i < 2 * n + 5; i++)
        sw_alloc(&w, csize(p, a));
    sbuf_printf(b, "step empty the second pool, then the first: both cached, the first on top\n");
    for (uint32_t i = 0; i < n; i += 2)
        sw_free(&w, base + n + i);
    for (uint32_t i = 1; i < n; i += 2)
        sw_free(&w, base + n + i);
    for (uint32_t i = n; i-- > 0;)
        sw_free(&w, base + i);
    sbuf_printf(b, "step class %u takes the cached pool on top and re-initialises it\n", c);
    for (uint32_t i = 0; i < 3; i++)
        sw_alloc(&w, csize(p, c));
    sbuf_printf(b, "step fill the third pool of class %u, then the next takes the cached pool of its class\n", a);
    for (uint32_t i = 0; i < n - 5; i++)
        sw_alloc(&w, csize(p, a));
    for (uint32_t i = 0; i < n + 3; i++)
        sw_alloc(&w, csize(p, a) - 1);
}

/* Blocks to fill `arenas` arenas with the largest class (aligned arenas). */
static uint32_t fill_arenas(struct sw *w, uint32_t arenas)
{
    const struct heap_profile *p = w->p;
    uint32_t k = last_class(p);
    uint32_t per = nb(p, k) * (p->arena_size / p->pool_size);
    uint32_t first = w->next;
    for (uint32_t i = 0; i < arenas * per; i++)
        sw_alloc(w, csize(p, k));
    return first;
}

/* Arenas emptied: released at once (3.8, classic) or kept while the tail (3.9+). */
static void scenario_arena_release(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t k = last_class(p), per_pool = nb(p, k), pools = p->arena_size / p->pool_size;
    uint32_t per = per_pool * pools;
    sbuf_printf(b, "step fill three arenas and start a fourth\n");
    uint32_t first = fill_arenas(&w, 3);
    uint32_t extra = sw_alloc(&w, csize(p, k));
    sbuf_printf(b, "step empty the fourth arena (the tail)\n");
    sw_free(&w, extra);
    sbuf_printf(b, "step empty the second arena, pool by pool\n");
    for (uint32_t i = 0; i < per; i++)
        sw_free(&w, first + per + i);
    sbuf_printf(b, "step empty the first arena from its last pool down\n");
    for (uint32_t i = per; i-- > 0;)
        sw_free(&w, first + i);
    sbuf_printf(b, "step allocate again: which arena serves it\n");
    uint32_t again = w.next;
    for (uint32_t i = 0; i < per + 10; i++)
        sw_alloc(&w, csize(p, k) - 8);
    sbuf_printf(b, "step empty the third arena, then everything\n");
    for (uint32_t i = 0; i < per; i++)
        sw_free(&w, first + 2 * per + i);
    for (uint32_t i = 0; i < per + 10; i++)
        sw_free(&w, again + i);
    sbuf_printf(b, "step a small block after everything was freed\n");
    sw_alloc(&w, 16);
}

/* usable_arenas stays sorted: arenas with different numbers of free pools, slides right. */
static void scenario_usable_order(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t k = last_class(p), per_pool = nb(p, k), pools = p->arena_size / p->pool_size;
    uint32_t per = per_pool * pools;
    sbuf_printf(b, "step fill four arenas\n");
    uint32_t first = fill_arenas(&w, 4);
    /* pool j of arena a holds handles first + a*per + j*per_pool ... */
    static const uint32_t empties[4] = {3, 1, 2, 1};
    bool *emptied = calloc(4 * (size_t)pools, sizeof *emptied);
    cr_assert(emptied);
    sbuf_printf(b, "step empty 3, 1, 2 and 1 pools of the four arenas\n");
    for (uint32_t a = 0; a < 4; a++)
        for (uint32_t j = 0; j < empties[a]; j++) {
            uint32_t pool = j * 7 % pools;
            emptied[a * pools + pool] = true;
            for (uint32_t i = 0; i < per_pool; i++)
                sw_free(&w, first + a * per + pool * per_pool + i);
        }
    sbuf_printf(b, "step one more pool emptied in the fourth arena slides it right\n");
    emptied[3 * pools + pools - 1] = true;
    for (uint32_t i = 0; i < per_pool; i++)
        sw_free(&w, first + 3 * per + (pools - 1) * per_pool + i);
    sbuf_printf(b, "step new pools come from the head: the arena with the fewest free pools\n");
    for (uint32_t i = 0; i < 5 * nb(p, 0); i++)
        sw_alloc(&w, 16);
    for (uint32_t i = 0; i < 3 * nb(p, 4); i++)
        sw_alloc(&w, csize(p, 4));
    sbuf_printf(b, "step half-empty pools everywhere: no pool empties, no arena moves\n");
    for (uint32_t a = 0; a < 4; a++)
        for (uint32_t i = 0; i < per; i += 2)
            if ((i / per_pool) % 5 == 1 && !emptied[a * pools + i / per_pool])
                sw_free(&w, first + a * per + i);
    free(emptied);
}

/* Realloc: in place above 3/4, shrink by copy, growth inside the pools, migration to the raw
 * layer past the threshold, raw blocks that stay raw, realloc of NULL, realloc to zero. */
static void scenario_realloc(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t t = p->threshold;
    sbuf_printf(b, "step a block of the threshold's size, shrunk in place then by copy\n");
    uint32_t a = sw_alloc(&w, t);
    sw_realloc(&w, a, t * 3 / 4 + 1);
    sw_realloc(&w, a, t * 3 / 4);
    sw_realloc(&w, a, t * 3 / 4);
    sbuf_printf(b, "step growth moves to a bigger class, then past the threshold to the raw layer\n");
    uint32_t c = sw_alloc(&w, 1);
    for (uint64_t n = 2; n <= 2u * t; n *= 2)
        sw_realloc(&w, c, n);
    sbuf_printf(b, "step a raw block stays raw, even when it shrinks below the threshold\n");
    sw_realloc(&w, c, 16);
    sw_realloc(&w, c, t + 1);
    sw_realloc(&w, c, 0);
    sbuf_printf(b, "step realloc of nothing, and to zero bytes from a pool block\n");
    uint32_t d = w.next++;
    sw_realloc(&w, d, 40);
    sw_realloc(&w, d, 0);
    uint32_t e = sw_alloc(&w, 100);
    sw_realloc(&w, e, 100);
    sw_realloc(&w, e, 75);
    sw_realloc(&w, e, 76);
    sw_realloc(&w, e, csize(p, 6));
    sbuf_printf(b, "step reallocs that empty and fill pools\n");
    uint32_t k = 5, n = nb(p, k);
    uint32_t first = w.next;
    for (uint32_t i = 0; i < n; i++)
        sw_alloc(&w, csize(p, k));
    for (uint32_t i = 0; i < n; i++)
        sw_realloc(&w, first + i, i % 3 ? csize(p, k + 2) : t + 8);
    for (uint32_t i = 0; i < n; i += 2)
        sw_free(&w, first + i);
    sw_free(&w, a);
    sw_free(&w, c);
    sw_free(&w, e);
}

/* Zero bytes, large requests and calloc, which all have raw-layer corners. */
static void scenario_zero_large_calloc(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t t = p->threshold;
    sbuf_printf(b, "step zero-byte requests go to the raw layer\n");
    uint32_t z = sw_alloc(&w, 0);
    sbuf_printf(b, "calloc %u 0 0\ncalloc %u 0 16\ncalloc %u 16 0\n", w.next, w.next + 1, w.next + 2);
    w.next += 3;
    sbuf_printf(b, "step the threshold itself is small, one byte more is raw\n");
    uint32_t s = sw_alloc(&w, t);
    uint32_t l = sw_alloc(&w, t + 1);
    sbuf_printf(b, "calloc %u 1 %u\ncalloc %u 2 %u\ncalloc %u 3 %u\ncalloc %u 7 3\n", w.next, t, w.next + 1, t / 2,
                w.next + 2, t / 3 + 1, w.next + 3);
    w.next += 4;
    sw_free(&w, z);
    sw_free(&w, s);
    sw_free(&w, l);
    for (uint32_t i = 0; i < 20; i++) {
        sbuf_printf(b, "calloc %u %u %u\n", w.next, 1 + i % 4, 8 + 9 * i);
        uint32_t h = w.next++;
        if (i % 3 == 0)
            sw_free(&w, h);
    }
}

/* More than 16 arenas: the arenas vector grows to 32; released slots are reused by new serials. */
static void scenario_vector_growth(struct sbuf *b, const struct heap_profile *p)
{
    struct sw w = {b, p, 0};
    uint32_t k = last_class(p), pools = p->arena_size / p->pool_size;
    uint32_t per = nb(p, k) * pools;
    sbuf_printf(b, "step seventeen arenas\n");
    uint32_t first = fill_arenas(&w, 17);
    sbuf_printf(b, "step empty arenas 3 to 9\n");
    for (uint32_t a = 3; a < 10; a++)
        for (uint32_t i = 0; i < per; i++)
            sw_free(&w, first + a * per + i);
    sbuf_printf(b, "step fill three more: they take the released slots, with new serial numbers\n");
    fill_arenas(&w, 3);
}

const struct scenario th_scenarios[] = {
    {"size-class-churn", scenario_class_churn},
    {"full-to-used", scenario_full_to_used},
    {"pool-reuse", scenario_pool_reuse},
    {"arena-release", scenario_arena_release},
    {"usable-order", scenario_usable_order},
    {"realloc", scenario_realloc},
    {"zero-large-calloc", scenario_zero_large_calloc},
    {"vector-growth", scenario_vector_growth},
};
const size_t th_nscenarios = sizeof th_scenarios / sizeof th_scenarios[0];

/* ---- placements and running --------------------------------------------------------------- */

void placements_add(struct placements *pl, const char *line)
{
    if (pl->n == pl->cap) {
        pl->cap = pl->cap ? 2 * pl->cap : 1024;
        pl->lines = realloc(pl->lines, pl->cap * sizeof *pl->lines);
        cr_assert(pl->lines);
    }
    pl->lines[pl->n] = strdup(line);
    cr_assert(pl->lines[pl->n]);
    pl->n++;
}

void placements_release(struct placements *pl)
{
    for (size_t i = 0; i < pl->n; i++)
        free(pl->lines[i]);
    free(pl->lines);
    memset(pl, 0, sizeof *pl);
}

long placements_diff(const struct placements *a, const struct placements *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (strcmp(a->lines[i], b->lines[i]) != 0)
            return (long)i;
    return a->n == b->n ? -1 : (long)n;
}

void th_parse(struct ops_script *s, const char *name, const struct sbuf *text)
{
    char err[512];
    int rc = ops_script_parse(s, name, text->s ? text->s : "", text->len, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
}

struct run_ctx {
    struct heap *h;
    unsigned every;
    struct placements *pl;
    uint64_t last;
    void (*at_last)(void *ctx);
    void *ctx;
};

uint64_t th_count_ops(const struct ops_script *s)
{
    uint64_t n = 0;
    for (size_t i = 0; i < s->nops; i++)
        n += s->ops[i].kind != OPS_STEP;
    return n;
}

static void r_placed(void *ctx, uint64_t opno, const struct ops_op *op, void *block)
{
    struct run_ctx *r = ctx;
    (void)op;
    if (!r->pl)
        return;
    struct heap_location loc;
    char line[96];
    bool found = heap_locate(r->h, block, &loc);
    cr_assert(found || !block, "op %lu: the heap cannot locate the block it returned", (unsigned long)opno);
    placements_add(r->pl, ops_placement_format(line, sizeof line, opno, block, &loc));
}

static bool r_after(void *ctx, uint64_t opno, const struct ops_op *op, char *err, size_t errlen)
{
    struct run_ctx *r = ctx;
    if (opno == r->last && r->at_last)
        r->at_last(r->ctx);
    if (r->every && opno % r->every == 0 && !heap_is_valid(r->h, err, errlen)) {
        size_t n = strlen(err);
        snprintf(err + n, errlen - n, " (after op %lu, line %u)", (unsigned long)opno, op->line);
        return false;
    }
    return true;
}

void th_run(struct heap *h, const struct ops_script *s, unsigned validate_every, struct placements *pl)
{
    th_run_ex(h, s, validate_every, pl, false, NULL, NULL);
}

void th_run_ex(struct heap *h, const struct ops_script *s, unsigned validate_every, struct placements *pl,
               bool free_at_end, void (*at_last)(void *ctx), void *ctx)
{
    struct run_ctx r = {h, validate_every, pl, th_count_ops(s), at_last, ctx};
    struct ops_target t = {.heap = h, .placed = r_placed, .after = r_after, .ctx = &r};
    char err[512];
    int rc = ops_script_run(s, &t, free_at_end, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    th_valid(h, s->name);
}

static void *counting_alloc(void *ctx, size_t size)
{
    struct th_counting *c = ctx;
    void *p = c->inner.alloc(c->inner.ctx, size);
    c->allocs += p != NULL;
    return p;
}

static void counting_free(void *ctx, void *p, size_t size)
{
    struct th_counting *c = ctx;
    c->frees++;
    c->inner.free(c->inner.ctx, p, size);
}

struct heap_arena_source th_counting_source(struct th_counting *c)
{
    return (struct heap_arena_source){counting_alloc, counting_free, c};
}
