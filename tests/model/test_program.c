/*
 * test_program.c - the model equals the program: random allocation workloads run on the real
 * allocator, whose events are folded as they are emitted; after every operation the model must
 * match the allocator's own structures (heap_inspect.h) arena by arena, pool by pool, list by
 * list, and its stats report must match heap_get_stats() figure by figure.
 */
#include "heapcmp.h"
#include "record.h"

#include <allocator/heap.h>
#include <tracer/model.h>

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>



/* Mostly small requests of a few popular sizes, now and then any size, zero or a large one. */
static size_t random_size(struct rng *r, uint32_t threshold)
{
    uint64_t k = rng_below(r, 100);
    if (k < 2)
        return 0;
    if (k < 6)
        return threshold + 1 + rng_below(r, 4 * threshold);
    if (k < 50)
        return 16 + 8 * rng_below(r, 8);
    return 1 + rng_below(r, threshold);
}

struct drive {
    struct heap *h;
    struct folding f;
    void **live;
    size_t nlive, cap;
    char err[512];
};

static void check(struct drive *d, uint64_t op, const char *what)
{
    cr_assert_eq(d->f.rc, 0, "op %lu (%s): %s", (unsigned long)op, what, model_error(d->f.m));
    cr_assert(hc_compare(d->f.m, d->h, d->err, sizeof d->err), "op %lu (%s): %s",
              (unsigned long)op, what, d->err);
    cr_assert(model_is_valid(d->f.m, d->err, sizeof d->err), "op %lu (%s): model: %s",
              (unsigned long)op, what, d->err);
    cr_assert_eq(d->f.rc_copy, 0, "op %lu: the reloaded model: %s", (unsigned long)op,
                 model_error(d->f.copy));
    if (op % 97 == 0) {
        cr_assert(model_equals(d->f.m, d->f.copy, d->err, sizeof d->err), "op %lu: %s",
                  (unsigned long)op, d->err);
        void *blob;
        size_t len;
        cr_assert_eq(model_save(d->f.m, &blob, &len), 0);
        cr_assert_eq(model_load(d->f.copy, blob, len), 0);
        free(blob);
        cr_assert_eq(model_position(d->f.copy), model_position(d->f.m));
    }
}

/* Grows the live set to `high` blocks and shrinks it to `low`, `rounds` times, comparing after
 * every operation. */
static void run_random(const char *profile, bool mmap_source, uint64_t seed, size_t high, size_t low,
                       int rounds)
{
    struct heap_profile p;
    char perr[128];
    cr_assert_eq(heap_profile_parse(profile, &p, perr, sizeof perr), 0, "%s", perr);
    struct trace_header hdr = hc_header(&p, mmap_source ? "mmap" : "aligned");
    struct drive d = {0};
    cr_assert_eq(model_new(&d.f.m, &hdr), 0);
    cr_assert_eq(model_new(&d.f.copy, &hdr), 0);
    d.f.checkpoint_every = 1013;
    struct event_sink sink = {folding_sink, &d.f};
    struct heap_arena_source src = mmap_source ? heap_arena_source_mmap() : heap_arena_source_aligned();
    cr_assert_eq(heap_new(&d.h, &p, &src, &sink), 0);
    d.cap = high + 1;
    d.live = calloc(d.cap, sizeof *d.live);
    struct rng r = {seed};
    uint64_t op = 0;
    for (int round = 0; round < rounds; round++) {
        while (d.nlive < high) {
            size_t n = random_size(&r, p.threshold);
            void *q;
            uint64_t k = rng_below(&r, 20);
            if (k == 0 && d.nlive) {
                size_t i = rng_below(&r, d.nlive);
                q = heap_realloc(d.h, d.live[i], n);
                cr_assert(q || n == 0);
                d.live[i] = q;
                check(&d, ++op, "realloc");
                if (!q)
                    d.live[i] = d.live[--d.nlive];
                continue;
            }
            q = k == 1 ? heap_calloc(d.h, 1 + rng_below(&r, 4), n / 4 + 1) : heap_malloc(d.h, n);
            cr_assert_not_null(q);
            d.live[d.nlive++] = q;
            check(&d, ++op, k == 1 ? "calloc" : "malloc");
            if (rng_below(&r, 3) == 0) { /* interleave frees */
                size_t i = rng_below(&r, d.nlive);
                heap_free(d.h, d.live[i]);
                d.live[i] = d.live[--d.nlive];
                check(&d, ++op, "free");
            }
        }
        while (d.nlive > low) {
            size_t i = rng_below(&r, d.nlive);
            heap_free(d.h, d.live[i]);
            d.live[i] = d.live[--d.nlive];
            check(&d, ++op, "free");
        }
    }
    while (d.nlive) {
        heap_free(d.h, d.live[--d.nlive]);
        check(&d, ++op, "free");
    }
    cr_assert_gt(d.f.events, op, "the workload emitted no transitions");
    struct event_sink off = {0};
    heap_set_sink(d.h, &off);
    heap_delete(d.h);
    cr_assert(model_equals(d.f.m, d.f.copy, d.err, sizeof d.err), "at the end: %s", d.err);
    model_free(d.f.m);
    model_free(d.f.copy);
    free(d.live);
}

Test(program, cpython310_mmap)
{
    for (uint64_t seed = 1; seed <= 2; seed++)
        run_random("cpython-3.10", true, seed, 2500, 100, 2);
}

Test(program, cpython310_aligned)
{
    run_random("cpython-3.10", false, 11, 2500, 0, 2);
}

Test(program, cpython39_keeps_one_free_arena)
{
    for (uint64_t seed = 21; seed <= 22; seed++)
        run_random("cpython-3.9", true, seed, 1500, 10, 3);
}

Test(program, cpython38_frees_arenas)
{
    for (uint64_t seed = 31; seed <= 32; seed++)
        run_random("cpython-3.8", true, seed, 1500, 10, 3);
}

Test(program, classic_eight_byte_classes)
{
    run_random("classic", true, 41, 1500, 10, 3);
}

Test(program, tiny_custom_geometry_churns_arenas)
{
    for (uint64_t seed = 51; seed <= 56; seed++)
        run_random("custom:align=16,threshold=128,pool=1K,arena=4K,keep-last=yes", false, seed, 400,
                   0, 4);
    for (uint64_t seed = 61; seed <= 63; seed++)
        run_random("custom:align=8,threshold=64,pool=1K,arena=8K,keep-last=no,arena-map=48", true,
                   seed, 400, 5, 4);
}
