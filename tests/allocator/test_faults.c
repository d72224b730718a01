/*
 * test_faults.c - the arena source refuses: the Nth request, or every request from the Nth on.
 * CPython then serves the request from the raw layer, silently (docs/cpython-memory.md 3.1).
 * Nothing may leak (every arena obtained is given back, the sanitizer build checks the rest), the
 * heap stays valid, every block is still freed correctly, and each refusal shows as one raw
 * allocation with why RAW_NO_ARENA.
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>


struct why_counts {
    uint64_t no_arena, raw, arena_new;
};

static void count_events(void *ctx, const struct event *ev)
{
    struct why_counts *w = ctx;
    if (ev->kind == EV_RAW_ALLOC) {
        w->raw++;
        w->no_arena += ev->u.raw_alloc.why == EV_RAW_NO_ARENA;
    } else if (ev->kind == EV_ARENA_NEW) {
        w->arena_new++;
    }
}

static void run_failing(const char *profile, const struct sbuf *text, uint64_t fail_at, bool sticky)
{
    struct th_counting cnt = {heap_arena_source_mmap(), 0, 0};
    struct heap_failing_source fs = {th_counting_source(&cnt), fail_at, sticky, 0, 0};
    struct heap_arena_source src = heap_arena_source_failing(&fs);
    struct why_counts w = {0};
    struct event_sink sink = {count_events, &w};
    struct heap_profile p = th_profile(profile);
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &p, &src, &sink), 0);
    struct ops_script s;
    th_parse(&s, "faults", text);
    th_run_ex(h, &s, 97, NULL, true, NULL, NULL);

    struct heap_counters c;
    heap_inspect_counters(h, &c);
    cr_assert(fs.failed >= 1 || fs.requests < fail_at, "%s, fail #%lu: the source never refused", profile,
              (unsigned long)fail_at);
    cr_assert_eq(w.no_arena, fs.failed, "%s, fail #%lu%s: %lu refusals but %lu raw fall-backs", profile,
                 (unsigned long)fail_at, sticky ? " on" : "", (unsigned long)fs.failed, (unsigned long)w.no_arena);
    cr_assert_eq(c.arena_failures, fs.failed);
    cr_assert_eq(c.arenas_total, fs.requests - fs.failed, "serial numbers count the arenas obtained only");
    cr_assert_eq(w.arena_new, c.arenas_total);
    cr_assert(c.raw_blocks == 0 && c.pool_blocks == 0, "%s: everything was freed", profile);
    cr_assert_leq(c.arenas_current, p.keep_last_free_arena ? 1 : 0);
    ops_script_release(&s);
    heap_delete(h);
    cr_assert_eq(cnt.frees, cnt.allocs, "%s: %lu arenas obtained, %lu given back", profile,
                 (unsigned long)cnt.allocs, (unsigned long)cnt.frees);
}

Test(faults, each_arena_request_refused, .timeout = 240)
{
    static const char *const profiles[] = {"cpython-3.10", "cpython-3.8", "classic"};
    for (size_t i = 0; i < 3; i++) {
        struct heap_profile p = th_profile(profiles[i]);
        struct sbuf scenario = {0};
        for (size_t k = 0; k < th_nscenarios; k++)
            if (strcmp(th_scenarios[k].name, "arena-release") == 0)
                th_scenarios[k].write(&scenario, &p);
        struct sbuf random = {0};
        th_random_script(&random, 4242 + i, 6000);
        for (uint64_t n = 1; n <= 7; n++) {
            run_failing(profiles[i], &scenario, n, false);
            run_failing(profiles[i], &scenario, n, true);
            run_failing(profiles[i], &random, n, n % 2);
        }
        sbuf_release(&scenario);
        sbuf_release(&random);
    }
}

/* With no arena at all, the heap is a thin layer over malloc that still works and stays valid. */
Test(faults, no_arena_ever)
{
    struct heap_failing_source fs = {heap_arena_source_aligned(), 1, true, 0, 0};
    struct heap_arena_source src = heap_arena_source_failing(&fs);
    struct heap_profile p = th_profile("cpython-3.9");
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &p, &src, NULL), 0);
    char *a = heap_malloc(h, 16);
    char *b = heap_calloc(h, 2, 8);
    cr_assert(a && b && !heap_owns(h, a) && !heap_owns(h, b) && b[15] == 0);
    char *c = heap_realloc(h, a, 32);
    cr_assert(c && !heap_owns(h, c), "a raw block stays raw");
    struct heap_location loc;
    cr_assert(heap_locate(h, c, &loc) && loc.raw);
    th_valid(h, "no arena");
    heap_free(h, b);
    heap_free(h, c);
    struct heap_counters k;
    heap_inspect_counters(h, &k);
    cr_assert(k.raw_blocks == 0 && k.arenas_total == 0 && k.arena_failures == fs.failed && fs.failed == 2);
    cr_assert_eq(k.slots, 16, "the vector grew before the source refused");
    heap_delete(h);
}

/* The slot of a refused request stays on top of the unused stack: the next arena takes it. */
Test(faults, refused_slot_is_reused)
{
    struct heap_failing_source fs = {heap_arena_source_aligned(), 2, false, 0, 0};
    struct heap_arena_source src = heap_arena_source_failing(&fs);
    struct heap_profile p = th_profile("cpython-3.8");
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &p, &src, NULL), 0);
    void *blocks[7 * 64 + 2];
    for (int i = 0; i < 7 * 64; i++)
        blocks[i] = heap_malloc(h, 512); /* arena 0, full */
    blocks[7 * 64] = heap_malloc(h, 512); /* refused: raw */
    blocks[7 * 64 + 1] = heap_malloc(h, 512); /* arena 1 in slot 1 */
    struct heap_location loc;
    cr_assert(heap_locate(h, blocks[7 * 64], &loc) && loc.raw);
    cr_assert(heap_locate(h, blocks[7 * 64 + 1], &loc) && !loc.raw && loc.slot == 1 && loc.serial == 1);
    for (int i = 0; i < 7 * 64 + 2; i++)
        heap_free(h, blocks[i]);
    th_valid(h, "after a refusal");
    heap_delete(h);
}
