/*
 * test_heap.c - the heap on its own: profiles and size classes (docs/cpython-memory.md 1.1 to 1.3),
 * the behaviours measured on real interpreters (docs/cpython-memory.md 1.4, 3.2, 3.6, 3.8, 8.1),
 * the arena sources, introspection, and the validator (docs/cpython-memory.md 8.4), which must also
 * catch damage.
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const profiles[] = {"cpython-3.10", "cpython-3.9", "cpython-3.8", "classic",
                                       "custom:align=8,threshold=256,pool=4K,arena=256K,keep-last=no"};
#define NPROFILES (sizeof profiles / sizeof profiles[0])

/* ---- profiles ------------------------------------------------------------------------------ */

Test(profiles, builtins)
{
    cr_assert_eq(heap_profile_count(), 4);
    cr_assert_str_eq(heap_profile_at(0)->name, "cpython-3.10", "the default comes first");
    struct heap_profile p = th_profile("cpython-3.10");
    cr_assert(p.alignment == 16 && p.threshold == 512 && p.pool_size == 16384 && p.arena_size == 1048576);
    cr_assert(p.keep_last_free_arena && p.arena_map_bits == 64);
    p = th_profile("cpython-3.9");
    cr_assert(p.alignment == 16 && p.pool_size == 4096 && p.arena_size == 262144 && p.keep_last_free_arena);
    p = th_profile("cpython-3.8");
    cr_assert(p.alignment == 16 && p.pool_size == 4096 && !p.keep_last_free_arena && p.arena_map_bits == 0);
    p = th_profile("classic");
    cr_assert(p.alignment == 8 && heap_profile_nclasses(&p) == 64 && !p.keep_last_free_arena);
    cr_assert_eq(heap_profile_pool_overhead(&p), 48);
    cr_assert_null(heap_profile_at(4));
}

/* "class:size/blocks/waste" tables of docs/cpython-memory.md 1.3. */
static void check_table(const char *profile, const char *table)
{
    struct heap_profile p = th_profile(profile);
    const char *s = table;
    unsigned k, size, blocks, waste, n = 0;
    int used;
    while (sscanf(s, "%u:%u/%u/%u%n", &k, &size, &blocks, &waste, &used) == 4) {
        cr_assert_eq(heap_profile_class_size(&p, k), size, "%s class %u", profile, k);
        cr_assert_eq(heap_profile_blocks_per_pool(&p, k), blocks, "%s class %u blocks", profile, k);
        cr_assert_eq((p.pool_size - heap_profile_pool_overhead(&p)) % size, waste, "%s class %u waste", profile, k);
        s += used;
        n++;
    }
    cr_assert_eq(n, heap_profile_nclasses(&p));
}

Test(profiles, class_tables)
{
    check_table("cpython-3.10",
                "0:16/1021/0 1:32/510/16 2:48/340/16 3:64/255/16 4:80/204/16 5:96/170/16 6:112/145/96 7:128/127/80 "
                "8:144/113/64 9:160/102/16 10:176/92/144 11:192/85/16 12:208/78/112 13:224/72/208 14:240/68/16 "
                "15:256/63/208 16:272/60/16 17:288/56/208 18:304/53/224 19:320/51/16 20:336/48/208 21:352/46/144 "
                "22:368/44/144 23:384/42/208 24:400/40/336 25:416/39/112 26:432/37/352 27:448/36/208 28:464/35/96 "
                "29:480/34/16 30:496/32/464 31:512/31/464");
    check_table("cpython-3.8",
                "0:16/253/0 1:32/126/16 2:48/84/16 3:64/63/16 4:80/50/48 5:96/42/16 6:112/36/16 7:128/31/80 "
                "8:144/28/16 9:160/25/48 10:176/23/0 11:192/21/16 12:208/19/96 13:224/18/16 14:240/16/208 "
                "15:256/15/208 16:272/14/240 17:288/14/16 18:304/13/96 19:320/12/208 20:336/12/16 21:352/11/176 "
                "22:368/11/0 23:384/10/208 24:400/10/48 25:416/9/304 26:432/9/160 27:448/9/16 28:464/8/336 "
                "29:480/8/208 30:496/8/80 31:512/7/464");
    struct heap_profile c = th_profile("classic");
    cr_assert_eq(heap_profile_blocks_per_pool(&c, 0), 506);
    cr_assert_eq(heap_profile_blocks_per_pool(&c, 63), 7);
}

Test(profiles, custom)
{
    struct heap_profile p = th_profile("custom:align=8,threshold=256,pool=4K,arena=256K,keep-last=no");
    cr_assert_str_eq(p.name, "custom");
    cr_assert(p.alignment == 8 && p.threshold == 256 && heap_profile_nclasses(&p) == 32);
    cr_assert(!p.keep_last_free_arena && p.arena_map_bits == 64);
    p = th_profile("custom:arena-map=48,pool=1K,arena=4K,threshold=256");
    cr_assert(p.arena_map_bits == 48 && p.pool_size == 1024 && p.arena_size == 4096);
    p = th_profile("custom");
    cr_assert(p.pool_size == 16384, "an empty custom spec takes cpython-3.10's values");

    static const struct {
        const char *spec, *words;
    } bad[] = {
        {"cpython-2.7", "unknown profile 'cpython-2.7'"},
        {"customs", "unknown profile"},
        {"custom:align=12", "align=12: must be a power of two"},
        {"custom:align=4", "from 8 to 64"},
        {"custom:threshold=100", "multiple of align"},
        {"custom:pool=512", "pool=512"},
        {"custom:pool=3000", "power of two"},
        {"custom:pool=4K,arena=8K", "must hold 4 to 65536 pools"},
        {"custom:arena=2G", "at most 1G"},
        {"custom:arena=8G", "not a size"},
        {"custom:threshold=4096,pool=4K,arena=256K", "two blocks of every class"},
        {"custom:colour=blue", "unknown key 'colour'"},
        {"custom:pool", "'pool' is not KEY=VALUE"},
        {"custom:keep-last=maybe", "expected yes or no"},
        {"custom:arena-map=32", "expected no, 48 or 64"},
        {"custom:pool=-4K", "not a size"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        cr_assert_eq(heap_profile_parse(bad[i].spec, &p, err, sizeof err), HEAP_EINVAL, "%s accepted", bad[i].spec);
        cr_assert(strstr(err, bad[i].words), "%s: message '%s' lacks '%s'", bad[i].spec, err, bad[i].words);
        cr_assert(!strchr(err, '\n'), "one line");
    }
    /* heap_new checks a profile built by hand too. */
    struct heap_profile hand = th_profile("cpython-3.10");
    hand.pool_size = 12345;
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &hand, NULL, NULL), HEAP_EINVAL);
    cr_assert_null(h);
    cr_assert_str_neq(heap_strerror(HEAP_EINVAL), heap_strerror(HEAP_ENOMEM));
}

/* ---- measured behaviours ----------------------------------------------------------------- */

static struct heap_location where(const struct heap *h, const void *p)
{
    struct heap_location loc;
    cr_assert(heap_locate(h, p, &loc), "the heap cannot locate %p", p);
    return loc;
}

/* docs/cpython-memory.md 3.8: 40 bytes on a fresh 3.11. */
Test(heap, worked_example)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    char *a = heap_malloc(h, 40);
    struct heap_location la = where(h, a);
    cr_assert(!la.raw && la.serial == 0 && la.pool == 0 && la.offset == 48);
    struct heap_pool_info pi;
    cr_assert(heap_inspect_pool_at(h, (uint64_t)(uintptr_t)a, &pi));
    cr_assert(pi.szidx == 2 && pi.size == 48 && pi.count == 1 && pi.nblocks == 340 && pi.state == HEAP_POOL_USED);
    cr_assert(pi.nextoffset == 144 && pi.maxnextoffset == 16336 && pi.nfree == 1);
    cr_assert_eq(pi.freeblock, pi.addr + 96, "the second block is threaded");
    char *b = heap_malloc(h, 40);
    cr_assert_eq(where(h, b).offset, 96);
    cr_assert(heap_inspect_pool_at(h, (uint64_t)(uintptr_t)a, &pi) && pi.nextoffset == 192 && pi.freeblock == pi.addr + 144);
    for (int i = 2; i < 340; i++)
        heap_malloc(h, 33 + i % 16);
    cr_assert(heap_inspect_pool_at(h, (uint64_t)(uintptr_t)a, &pi));
    cr_assert(pi.state == HEAP_POOL_FULL && pi.count == 340 && pi.freeblock == 0);
    cr_assert_eq(heap_inspect_ring(h, 2, NULL, 0), 0, "a full pool leaves its ring");
    char *c = heap_malloc(h, 48);
    cr_assert_eq(where(h, c).pool, 1);
    heap_free(h, b);
    uint64_t ring[4];
    cr_assert_eq(heap_inspect_ring(h, 2, ring, 4), 2);
    cr_assert_eq(ring[0], pi.addr, "full -> used goes to the front of the ring");
    cr_assert_eq(heap_malloc(h, 45), b, "and serves the next request");
    th_valid(h, "worked example");
    heap_delete(h);
}

/* docs/cpython-memory.md 3.2: free blocks are a LIFO stack, on every version. */
Test(heap, lifo_reuse)
{
    for (size_t i = 0; i < NPROFILES; i++) {
        struct heap *h = th_heap(profiles[i], "aligned", NULL);
        char *p[10];
        for (int j = 0; j < 10; j++)
            p[j] = heap_malloc(h, 16);
        for (int j = 2; j < 8; j++)
            heap_free(h, p[j]);
        char *q[6];
        for (int j = 0; j < 6; j++)
            q[j] = heap_malloc(h, 9);
        for (int j = 0; j < 6; j++)
            cr_assert_eq(q[j], p[7 - j], "%s: reuse in reverse order of freeing", profiles[i]);
        cr_assert_eq(q[1] - q[0], -(long)heap_block_size(h, q[0]));
        uint64_t fl[4];
        heap_free(h, q[0]);
        heap_free(h, q[3]);
        struct heap_pool_info pi;
        cr_assert(heap_inspect_pool_at(h, (uint64_t)(uintptr_t)q[0], &pi));
        cr_assert_eq(heap_inspect_pool_freelist(h, pi.addr, fl, 4), pi.nfree);
        cr_assert(fl[0] == (uintptr_t)q[3] && fl[1] == (uintptr_t)q[0], "free list head first");
        th_valid(h, profiles[i]);
        heap_delete(h);
    }
}

Test(heap, raw_layer)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    char *z = heap_malloc(h, 0);
    cr_assert_not_null(z, "malloc(0) returns a block (the C library's malloc(1))");
    cr_assert(!heap_owns(h, z) && where(h, z).raw);
    cr_assert_eq(heap_block_size(h, z), 0);
    char *t = heap_malloc(h, 512), *l = heap_malloc(h, 513);
    cr_assert(heap_owns(h, t) && !heap_owns(h, l));
    cr_assert_eq(heap_block_size(h, t), 512);
    struct heap_counters c;
    heap_inspect_counters(h, &c);
    cr_assert(c.raw_blocks == 2 && c.raw_bytes == 513 && c.pool_blocks == 1);
    struct heap_raw_info raw[2];
    cr_assert_eq(heap_inspect_raw(h, raw, 2), 2);
    cr_assert(raw[0].addr < raw[1].addr, "sorted by address");
    cr_assert(heap_inspect_raw(h, raw, 1) == 2, "the full length even when fewer fit");
    cr_assert_null(heap_malloc(h, (size_t)PTRDIFF_MAX + 1));
    struct heap_location loc;
    int stack_var;
    cr_assert(!heap_locate(h, &stack_var, &loc), "not a block of the heap");
    cr_assert(!heap_owns(h, &stack_var) && !heap_owns(h, NULL));
    heap_free(h, z);
    heap_free(h, l);
    heap_free(h, NULL);
    heap_inspect_counters(h, &c);
    cr_assert(c.raw_blocks == 0 && c.raw_bytes == 0);
    th_valid(h, "raw");
    heap_delete(h);
}

/* The raw table through growth and backward-shift deletion: thousands of raw blocks, resized and
 * freed in random order, each found by its hash (the validator walks the table) and counted. */
Test(heap, raw_table_churn)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    struct rng r = {42};
    enum { N = 3000 };
    static struct {
        char *p;
        size_t n;
        bool domain; /* heap_raw_malloc's, given back by heap_raw_free */
    } b[N];
    uint64_t bytes = 0;
    for (int i = 0; i < N; i++) {
        b[i].n = 513 + (size_t)rng_below(&r, 4000);
        b[i].domain = i % 7 == 0;
        b[i].p = b[i].domain ? heap_raw_malloc(h, b[i].n) : heap_malloc(h, b[i].n);
        cr_assert_not_null(b[i].p);
        bytes += b[i].n;
    }
    th_valid(h, "raw blocks made");
    for (int i = 1; i < N; i += 3) {
        if (b[i].domain)
            continue;
        size_t n = 513 + (size_t)rng_below(&r, 9000);
        char *q = heap_realloc(h, b[i].p, n);
        cr_assert(q && where(h, q).raw, "a raw block stays raw");
        bytes += n - b[i].n;
        b[i].p = q;
        b[i].n = n;
    }
    th_valid(h, "raw blocks resized");
    struct heap_counters c;
    heap_inspect_counters(h, &c);
    cr_assert(c.raw_blocks == N && c.raw_bytes == bytes);
    for (int i = N - 1; i > 0; i--) {
        int j = (int)rng_below(&r, (uint64_t)i + 1);
        char *p = b[i].p;
        b[i].p = b[j].p;
        b[j].p = p;
        bool d = b[i].domain;
        b[i].domain = b[j].domain;
        b[j].domain = d;
    }
    for (int i = 0; i < N; i++) {
        if (b[i].domain)
            heap_raw_free(h, b[i].p);
        else
            heap_free(h, b[i].p);
        if (i % 500 == 0)
            th_valid(h, "raw blocks freed");
    }
    heap_inspect_counters(h, &c);
    cr_assert(c.raw_blocks == 0 && c.raw_bytes == 0);
    th_valid(h, "raw blocks all freed");
    heap_delete(h);
}

/* A pointer the heap never handed out, given back, stops the program (unless the heap was told
 * to pass such pointers to the C library). */
Test(heap, foreign_free_aborts, .signal = SIGABRT)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    heap_free(h, heap_malloc(h, 600));
    char *p = malloc(600);
    heap_free(h, p);
}

Test(heap, foreign_realloc_aborts, .signal = SIGABRT)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    char *p = malloc(600);
    heap_realloc(h, p, 700);
}

Test(heap, foreign_raw_free_aborts, .signal = SIGABRT)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    char *p = malloc(600);
    heap_raw_free(h, p);
}

Test(heap, foreign_to_libc)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    heap_set_foreign_to_libc(h, true);
    char *raw = heap_malloc(h, 600);
    char *p = realloc(malloc(600), 800);
    p = heap_realloc(h, p, 900);
    heap_free(h, p);
    cr_assert_eq(heap_foreign_count(h), 2);
    heap_free(h, raw);
    th_valid(h, "foreign pointers passed to libc");
    heap_delete(h);
}

/* docs/cpython-memory.md 3.6, measured on every version. */
Test(heap, realloc_rules)
{
    for (size_t i = 0; i < NPROFILES; i++) {
        struct heap *h = th_heap(profiles[i], "aligned", NULL);
        uint32_t t = heap_profile(h)->threshold;
        char *a = heap_malloc(h, t);
        memset(a, 7, t);
        cr_assert_eq(heap_realloc(h, a, t * 3 / 4 + 1), a, "%s: more than 3/4 stays in place", profiles[i]);
        char *b = heap_realloc(h, a, t * 3 / 4);
        cr_assert_neq(b, a, "%s: 3/4 or less is copied to a smaller block", profiles[i]);
        cr_assert(heap_owns(h, b) && b[0] == 7 && b[t * 3 / 4 - 1] == 7);
        size_t mid = t >= 304 ? 304 : t - 16; /* a block realloc'd to its own size stays */
        char *c = heap_malloc(h, mid);
        cr_assert_eq(heap_realloc(h, c, mid), c);
        char *d = heap_realloc(h, c, t + 88);
        cr_assert(!heap_owns(h, d) && where(h, d).raw, "%s: growth past the threshold migrates to malloc", profiles[i]);
        char *e = heap_realloc(h, d, 100);
        cr_assert(!heap_owns(h, e) && where(h, e).raw, "%s: a raw block is never adopted", profiles[i]);
        char *f = heap_realloc(h, NULL, 40);
        cr_assert(heap_owns(h, f));
        char *g = heap_realloc(h, f, 0);
        cr_assert(g && !heap_owns(h, g), "%s: realloc to 0 is a new raw malloc(1)", profiles[i]);
        char *k = heap_malloc(h, 20);
        char *m = heap_realloc(h, k, 40);
        cr_assert(m != k && heap_owns(h, m) && heap_block_size(h, m) == heap_profile_class_size(heap_profile(h), 39 / heap_profile(h)->alignment));
        cr_assert_null(heap_realloc(h, m, (size_t)PTRDIFF_MAX + 1));
        heap_free(h, b);
        heap_free(h, e);
        heap_free(h, g);
        heap_free(h, m);
        th_valid(h, profiles[i]);
        heap_delete(h);
    }
}

Test(heap, calloc)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    unsigned char *a = heap_malloc(h, 64);
    memset(a, 0xff, 64);
    heap_free(h, a);
    unsigned char *b = heap_calloc(h, 4, 16);
    cr_assert_eq(b, a, "the freed block comes back");
    for (int i = 0; i < 64; i++)
        cr_assert_eq(b[i], 0, "zeroed");
    cr_assert_null(heap_calloc(h, SIZE_MAX / 2, 4), "overflow is refused");
    void *z = heap_calloc(h, 0, 0), *zz = heap_calloc(h, 0, 8);
    cr_assert(z && zz && !heap_owns(h, z) && !heap_owns(h, zz));
    unsigned char *big = heap_calloc(h, 3, 200);
    cr_assert(big && !heap_owns(h, big) && big[599] == 0);
    heap_free(h, z);
    heap_free(h, zz);
    heap_free(h, big);
    heap_free(h, b);
    th_valid(h, "calloc");
    heap_delete(h);
}

/* docs/cpython-memory.md 8.1: 3.9+ keep one wholly free arena (the tail of usable_arenas); 3.8
 * and classic return it at once. */
Test(heap, keep_last_free_arena)
{
    for (size_t i = 0; i < NPROFILES; i++) {
        struct heap *h = th_heap(profiles[i], "aligned", NULL);
        const struct heap_profile *p = heap_profile(h);
        uint32_t k = heap_profile_nclasses(p) - 1;
        size_t n = (size_t)heap_profile_blocks_per_pool(p, k) * (p->arena_size / p->pool_size) * 2 + 5;
        void **blocks = malloc(n * sizeof *blocks);
        cr_assert(blocks);
        for (size_t j = 0; j < n; j++)
            blocks[j] = heap_malloc(h, p->threshold);
        struct heap_counters c;
        heap_inspect_counters(h, &c);
        cr_assert_eq(c.arenas_current, 3, "%s", profiles[i]);
        for (size_t j = 0; j < n; j++)
            heap_free(h, blocks[j]);
        heap_inspect_counters(h, &c);
        uint64_t kept = p->keep_last_free_arena ? 1 : 0;
        cr_assert_eq(c.arenas_current, kept, "%s: %lu arenas left after freeing all", profiles[i],
                     (unsigned long)c.arenas_current);
        cr_assert(c.arenas_total == 3 && c.arenas_highwater == 3);
        /* Thrashing: a loop of one malloc and one free keeps (3.9+) or cycles (3.8) an arena. */
        for (int j = 0; j < 5; j++)
            heap_free(h, heap_malloc(h, 16));
        heap_inspect_counters(h, &c);
        cr_assert_eq(c.arenas_total, p->keep_last_free_arena ? 3u : 8u, "%s", profiles[i]);
        th_valid(h, profiles[i]);
        free(blocks);
        heap_delete(h);
    }
}

/* docs/cpython-memory.md 1.4: mmap is page-aligned, so with 16 KiB pools most arenas lose a pool
 * to the sliver; with 4 KiB pools (= the page) never. */
Test(heap, mmap_sliver)
{
    const char *which[] = {"cpython-3.10", "cpython-3.9"};
    for (int w = 0; w < 2; w++) {
        struct heap *h = th_heap(which[w], "mmap", NULL);
        const struct heap_profile *p = heap_profile(h);
        size_t n = (size_t)heap_profile_blocks_per_pool(p, 31) * 64 * 12;
        void **blocks = malloc(n * sizeof *blocks);
        cr_assert(blocks);
        for (size_t j = 0; j < n; j++)
            blocks[j] = heap_malloc(h, 512);
        struct heap_counters c;
        heap_inspect_counters(h, &c);
        uint64_t misaligned = 0;
        for (uint32_t s = 0; s < c.slots; s++) {
            struct heap_arena_info ai;
            heap_inspect_arena(h, s, &ai);
            if (!ai.live)
                continue;
            uint32_t excess = (uint32_t)(ai.base % p->pool_size);
            cr_assert_eq(ai.sliver, excess ? p->pool_size - excess : 0);
            cr_assert_eq(ai.npools, excess ? 63u : 64u, "%s: %u pools with sliver %u", which[w], ai.npools, ai.sliver);
            cr_assert_eq(ai.first_pool, ai.base + ai.sliver);
            misaligned += excess != 0;
            if (w == 1)
                cr_assert_eq(excess, 0, "4 KiB pools in page-aligned arenas are always aligned");
        }
        struct heap_stats *st = malloc(sizeof *st);
        cr_assert(st);
        heap_get_stats(h, st);
        cr_assert_eq(st->bytes_alignment, misaligned * p->pool_size);
        th_valid(h, which[w]);
        for (size_t j = 0; j < n; j++)
            heap_free(h, blocks[j]);
        th_valid(h, which[w]);
        free(st);
        free(blocks);
        heap_delete(h);
    }
}

/* docs/cpython-memory.md 2.7: the vector grows 16, 32...; freed slots go on a stack and are
 * reused first, with new serial numbers. */
Test(heap, arenas_vector)
{
    struct heap *h = th_heap("cpython-3.8", "aligned", NULL);
    size_t per = 7 * 64;
    void **b = malloc(per * 18 * sizeof *b);
    cr_assert(b);
    for (size_t j = 0; j < per * 17; j++)
        b[j] = heap_malloc(h, 512);
    struct heap_counters c;
    heap_inspect_counters(h, &c);
    cr_assert(c.slots == 32 && c.arenas_current == 17);
    uint32_t unused[32];
    cr_assert_eq(heap_inspect_unused(h, unused, 32), 15);
    cr_assert_eq(unused[0], 17, "the stack hands out slots in index order");
    for (size_t j = per * 3; j < per * 4; j++)
        heap_free(h, b[j]);
    for (size_t j = per * 9; j < per * 10; j++)
        heap_free(h, b[j]);
    cr_assert_eq(heap_inspect_unused(h, unused, 32), 17);
    cr_assert(unused[0] == 9 && unused[1] == 3, "the last slot freed is on top");
    void *n = heap_malloc(h, 512);
    struct heap_location loc = where(h, n);
    cr_assert(loc.slot == 9 && loc.serial == 17, "slot 9 again, as arena number 17");
    struct heap_arena_info ai;
    heap_inspect_arena(h, 3, &ai);
    cr_assert(!ai.live && ai.usable_pos == -1);
    heap_inspect_arena(h, 9, &ai);
    cr_assert(ai.live && ai.serial == 17 && ai.usable_pos == 0 && ai.ncarved == 1 && ai.nfreepools == 63);
    th_valid(h, "vector");
    free(b);
    heap_delete(h);
}

/* docs/cpython-memory.md 2.5, 2.6 and 3.5: usable_arenas sorted by free pools, kept in order in
 * O(1): an arena that was full goes to the head; one that gained a pool slides right past the
 * arenas that had its old count; new pools come from the head. */
static void expect_usable(const struct heap *h, const uint32_t *slots, const uint32_t *nfree, size_t n)
{
    uint32_t order[16];
    cr_assert_eq(heap_inspect_usable(h, order, 16), n);
    for (size_t i = 0; i < n; i++) {
        struct heap_arena_info ai;
        heap_inspect_arena(h, order[i], &ai);
        cr_assert(order[i] == slots[i] && ai.nfreepools == nfree[i] && ai.usable_pos == (int32_t)i,
                  "position %zu: slot %u with %u free pools, expected slot %u with %u", i, order[i], ai.nfreepools,
                  slots[i], nfree[i]);
    }
    th_valid(h, "usable order");
}

Test(heap, usable_order)
{
    struct heap *h = th_heap("cpython-3.9", "aligned", NULL);
    enum { PER_POOL = 7, PER_ARENA = 7 * 64 };
    void **b = malloc(4 * PER_ARENA * sizeof *b);
    cr_assert(b);
    for (int i = 0; i < 4 * PER_ARENA; i++)
        b[i] = heap_malloc(h, 512);
    cr_assert_eq(heap_inspect_usable(h, NULL, 0), 0, "four full arenas: none usable");
#define EMPTY_POOL(arena, pool)                                                                  \
    for (int i = 0; i < PER_POOL; i++)                                                           \
        heap_free(h, b[(arena) * PER_ARENA + (pool) * PER_POOL + i])
    EMPTY_POOL(0, 5);
    EMPTY_POOL(0, 6);
    EMPTY_POOL(0, 7);
    expect_usable(h, (uint32_t[]){0}, (uint32_t[]){3}, 1);
    EMPTY_POOL(1, 9);
    expect_usable(h, (uint32_t[]){1, 0}, (uint32_t[]){1, 3}, 2);
    EMPTY_POOL(2, 1);
    expect_usable(h, (uint32_t[]){2, 1, 0}, (uint32_t[]){1, 1, 3}, 3);
    EMPTY_POOL(2, 2);
    expect_usable(h, (uint32_t[]){1, 2, 0}, (uint32_t[]){1, 2, 3}, 3);
    cr_assert(heap_inspect_nfp2lasta(h, 1) == 1 && heap_inspect_nfp2lasta(h, 2) == 2 && heap_inspect_nfp2lasta(h, 3) == 0);
    EMPTY_POOL(3, 0);
    expect_usable(h, (uint32_t[]){3, 1, 2, 0}, (uint32_t[]){1, 1, 2, 3}, 4);
    /* A pool for another class comes from the head, which then has none left. */
    void *x = heap_malloc(h, 16);
    struct heap_location loc;
    cr_assert(heap_locate(h, x, &loc) && loc.slot == 3 && loc.pool == 0);
    expect_usable(h, (uint32_t[]){1, 2, 0}, (uint32_t[]){1, 2, 3}, 3);
    /* The rightmost with 1 free pool gains one: it stays in place. */
    EMPTY_POOL(1, 10);
    expect_usable(h, (uint32_t[]){1, 2, 0}, (uint32_t[]){2, 2, 3}, 3);
    cr_assert(heap_inspect_nfp2lasta(h, 1) == -1 && heap_inspect_nfp2lasta(h, 2) == 2);
    /* The leftmost with 2 gains one: it slides past slot 2, to just after it, before slot 0. */
    EMPTY_POOL(1, 11);
    expect_usable(h, (uint32_t[]){2, 1, 0}, (uint32_t[]){2, 3, 3}, 3);
    cr_assert(heap_inspect_nfp2lasta(h, 3) == 0 && heap_inspect_nfp2lasta(h, 2) == 2);
#undef EMPTY_POOL
    free(b);
    heap_delete(h);
}

/* Every scenario on every profile, validated after every operation. */
Test(heap, scenarios_validated, .timeout = 240)
{
    for (size_t i = 0; i < NPROFILES; i++) {
        struct heap_profile p = th_profile(profiles[i]);
        for (size_t k = 0; k < th_nscenarios; k++) {
            struct sbuf text = {0};
            th_scenarios[k].write(&text, &p);
            struct ops_script s;
            th_parse(&s, th_scenarios[k].name, &text);
            struct heap *h = th_heap(profiles[i], i % 2 ? "mmap" : "aligned", NULL);
            bool big = strcmp(th_scenarios[k].name, "vector-growth") == 0;
            th_run(h, &s, big ? 211 : 1, NULL);
            ops_script_release(&s);
            sbuf_release(&text);
            heap_delete(h);
        }
    }
}

Test(heap, random_validated, .timeout = 240)
{
    for (size_t i = 0; i < NPROFILES; i++)
        for (uint64_t seed = 100; seed < 106; seed++) {
            struct sbuf text = {0};
            th_random_script(&text, seed, 2500);
            struct ops_script s;
            th_parse(&s, "random", &text);
            struct heap *h = th_heap(profiles[i], seed % 2 ? "mmap" : "aligned", NULL);
            th_run(h, &s, 1, NULL);
            ops_script_release(&s);
            sbuf_release(&text);
            heap_delete(h);
        }
}

/* ---- the validator must see damage ------------------------------------------------------- */

static void expect_invalid(const struct heap *h, const char *words)
{
    char err[512];
    cr_assert(!heap_is_valid(h, err, sizeof err), "damage not seen (%s)", words);
    cr_assert(strstr(err, words), "message '%s' lacks '%s'", err, words);
}

Test(heap, validator_sees_damage)
{
    struct heap *h = th_heap("cpython-3.10", "aligned", NULL);
    char *a = heap_malloc(h, 32), *b = heap_malloc(h, 32), *c = heap_malloc(h, 32);
    (void)c;
    struct heap_pool_info pi;
    cr_assert(heap_inspect_pool_at(h, (uint64_t)(uintptr_t)a, &pi));
    uint8_t *pool = (uint8_t *)(uintptr_t)pi.addr;
    uint32_t count;
    memcpy(&count, pool, 4);

    uint32_t bad = count + 1;
    memcpy(pool, &bad, 4);
    expect_invalid(h, "allocated");
    memcpy(pool, &count, 4);
    th_valid(h, "restored");

    heap_free(h, b); /* b is now the head of the free list; make its link point to itself */
    uint8_t *saved;
    memcpy(&saved, b, sizeof saved);
    char *self = b;
    memcpy(b, &self, sizeof self);
    expect_invalid(h, "twice");
    memcpy(b, &saved, sizeof saved);

    uint32_t szidx;
    memcpy(&szidx, pool + 36, 4);
    uint32_t wrong = 77;
    memcpy(pool + 36, &wrong, 4);
    expect_invalid(h, "size class 77");
    memcpy(pool + 36, &szidx, 4);

    uint8_t *outside = (uint8_t *)(uintptr_t)(pi.addr + 16384 + 48);
    memcpy(b, &outside, sizeof outside);
    expect_invalid(h, "outside");
    memcpy(b, &saved, sizeof saved);
    th_valid(h, "restored");
    heap_delete(h);
}

/* heap_delete gives every arena back to its source, and every raw block to the C library (the
 * sanitizer build checks the latter). */

Test(heap, delete_releases_everything)
{
    struct th_counting cnt = {heap_arena_source_aligned(), 0, 0};
    struct heap_arena_source src = th_counting_source(&cnt);
    struct heap_profile p = th_profile("cpython-3.9");
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &p, &src, NULL), 0);
    for (int i = 0; i < 20000; i++)
        heap_malloc(h, (size_t)(i % 700));
    cr_assert(cnt.allocs > 3 && cnt.frees == 0);
    heap_delete(h);
    cr_assert_eq(cnt.frees, cnt.allocs);
}
