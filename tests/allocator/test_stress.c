/*
 * test_stress.c - ten million random operations (malloc, calloc, realloc, free) on one heap, with
 * the validator run every half million and a stamp in every block checked when it is freed, so
 * that overlapping blocks or a corrupted free list show at once.  It runs in the sanitizer build
 * too (CI), where the raw layer's blocks are checked by AddressSanitizer.
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#define STRESS_OPS 10000000u
#define STRESS_SLOTS 65536u
#define VALIDATE_EVERY 500000u

struct slot {
    unsigned char *p;
    size_t n;
};

static void stamp(struct slot *s, uint32_t i)
{
    size_t k = s->n < 8 ? s->n : 8;
    for (size_t j = 0; j < k; j++)
        s->p[j] = (unsigned char)(i * 31 + j);
}

static bool stamp_ok(const struct slot *s, uint32_t i)
{
    size_t k = s->n < 8 ? s->n : 8;
    for (size_t j = 0; j < k; j++)
        if (s->p[j] != (unsigned char)(i * 31 + j))
            return false;
    return true;
}

Test(stress, ten_million_operations, .timeout = 300)
{
    struct heap *h = th_heap("cpython-3.10", "mmap", NULL);
    struct slot *slots = calloc(STRESS_SLOTS, sizeof *slots);
    cr_assert(slots);
    struct rng r = {12345};
    /* The number of live blocks drifts between phases, so arenas fill and drain. */
    uint32_t live_cap = 1024;
    for (uint32_t op = 0; op < STRESS_OPS; op++) {
        if (op % 250000 == 0) {
            uint32_t cap = 256u << rng_below(&r, 9); /* 256 .. 65536 */
            for (uint32_t j = cap; j < live_cap; j++) /* a shrinking phase drains the rest */
                if (slots[j].p) {
                    cr_assert(stamp_ok(&slots[j], j), "op %u: the block of slot %u was overwritten", op, j);
                    heap_free(h, slots[j].p);
                    slots[j].p = NULL;
                }
            live_cap = cap;
        }
        uint64_t x = rng_next(&r);
        uint32_t i = (uint32_t)(x % (live_cap < STRESS_SLOTS ? live_cap : STRESS_SLOTS));
        struct slot *s = &slots[i];
        unsigned kind = (unsigned)((x >> 32) % 16);
        if (s->p && kind < 8) {
            cr_assert(stamp_ok(s, i), "op %u: the block of slot %u was overwritten", op, i);
            heap_free(h, s->p);
            s->p = NULL;
        } else if (s->p && kind < 10) {
            size_t n = th_python_size(&r);
            cr_assert(stamp_ok(s, i), "op %u: slot %u overwritten before realloc", op, i);
            unsigned char *q = heap_realloc(h, s->p, n);
            cr_assert(q || n > 8000);
            if (q) {
                size_t keep = s->n < n ? s->n : n;
                s->p = q;
                s->n = keep;
                cr_assert(stamp_ok(s, i), "op %u: realloc lost the contents of slot %u", op, i);
                s->n = n;
                stamp(s, i);
            }
        } else if (!s->p) {
            size_t n = th_python_size(&r);
            if (kind == 15) {
                size_t m = 1 + rng_below(&r, 4);
                s->p = heap_calloc(h, m, n / m);
                s->n = m * (n / m);
                for (size_t j = 0; j < s->n && j < 16; j++)
                    cr_assert_eq(s->p[j], 0, "op %u: calloc not zeroed", op);
            } else {
                s->p = heap_malloc(h, n);
                s->n = n;
            }
            cr_assert_not_null(s->p);
            stamp(s, i);
        }
        if ((op + 1) % VALIDATE_EVERY == 0)
            th_valid(h, "stress");
    }
    for (uint32_t i = 0; i < STRESS_SLOTS; i++)
        if (slots[i].p) {
            cr_assert(stamp_ok(&slots[i], i));
            heap_free(h, slots[i].p);
        }
    th_valid(h, "stress, all freed");
    struct heap_counters c;
    heap_inspect_counters(h, &c);
    cr_assert(c.raw_blocks == 0 && c.pool_blocks == 0 && c.arenas_current <= 2);
    cr_assert(c.arenas_total > 10, "the run obtained and released arenas (%lu)", (unsigned long)c.arenas_total);
    free(slots);
    heap_delete(h);
}
