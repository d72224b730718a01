/*
 * test_cpython.c - the differential test: the same scripts through CPython's own obmalloc
 * (each libpython on this machine, see cpython.c) and through a heap of the matching profile,
 * with identical placements required for every allocation: arena serial, pool index, offset, or
 * the raw layer.  After each script the stats reports must be equal too, line for line (the
 * arenas of both sides are placed at the same addresses modulo 16 GiB, so that even the arena
 * map's node counts agree).
 *
 * Scripts: the hand-written scenarios (helpers.c), then random scripts over many seeds.  Both
 * sides keep their state from one script to the next (CPython's is a process-wide static), and
 * each script frees what it left at the end.  A library that is not installed is skipped with
 * the reason, so the suite passes on machines without pyenv.
 */
#include "cpython.h"
#include "helpers.h"

#include <tracer/stats_report.h>

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CPY_REGION ((uintptr_t)0x7e0000000000)
#define HEAP_REGION ((uintptr_t)0x7d0000000000)

#define RANDOM_SEEDS 24
#define RANDOM_OPS 12000

struct cpy_run {
    struct cpython *py;
    struct placements *pl;
    uint64_t last;
    char **stats;
};

static void *c_malloc(void *ctx, size_t n)
{
    return ((struct cpy_run *)ctx)->py->malloc(n);
}

static void *c_calloc(void *ctx, size_t m, size_t n)
{
    return ((struct cpy_run *)ctx)->py->calloc(m, n);
}

static void *c_realloc(void *ctx, void *p, size_t n)
{
    return ((struct cpy_run *)ctx)->py->realloc(p, n);
}

static void c_free(void *ctx, void *p)
{
    ((struct cpy_run *)ctx)->py->free(p);
}

static void c_placed(void *ctx, uint64_t opno, const struct ops_op *op, void *block)
{
    struct cpy_run *r = ctx;
    (void)op;
    struct heap_location loc;
    char line[96];
    cpython_locate(r->py, block, &loc);
    placements_add(r->pl, ops_placement_format(line, sizeof line, opno, block, &loc));
}

static char *capture_cpython_stats(struct cpython *py)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert(f);
    py->debug_malloc_stats(f);
    fclose(f);
    return text;
}

static bool c_after(void *ctx, uint64_t opno, const struct ops_op *op, char *err, size_t errlen)
{
    struct cpy_run *r = ctx;
    (void)op, (void)err, (void)errlen;
    if (opno == r->last)
        *r->stats = capture_cpython_stats(r->py);
    return true;
}

struct heap_stats_capture {
    const struct heap *h;
    char *text;
};

static void capture_heap_stats(void *ctx)
{
    struct heap_stats_capture *c = ctx;
    size_t len = 0;
    struct heap_stats *st = malloc(sizeof *st);
    cr_assert(st);
    heap_get_stats(c->h, st);
    FILE *f = open_memstream(&c->text, &len);
    cr_assert(f);
    stats_report_print(f, st, 0);
    fclose(f);
    free(st);
}

/* Runs one script on both sides and compares placements, and the stats reports after its last
 * operation; then both sides free what the script left. */
static void compare_script(struct cpython *py, struct heap *h, const char *label, const char *name,
                           const struct sbuf *text)
{
    struct ops_script s;
    th_parse(&s, name, text);
    struct placements mine = {0}, theirs = {0};
    char *cs = NULL;
    struct cpy_run r = {py, &theirs, th_count_ops(&s), &cs};
    struct ops_target t = {.malloc = c_malloc,
                           .calloc = c_calloc,
                           .realloc = c_realloc,
                           .free = c_free,
                           .placed = c_placed,
                           .after = c_after,
                           .ctx = &r};
    char err[512];
    int rc = ops_script_run(&s, &t, true, err, sizeof err);
    cr_assert_eq(rc, 0, "CPython %s: %s", label, err);
    struct heap_stats_capture hc = {h, NULL};
    th_run_ex(h, &s, 4000, &mine, true, capture_heap_stats, &hc);

    long at = placements_diff(&theirs, &mine);
    if (at >= 0) {
        const char *a = (size_t)at < theirs.n ? theirs.lines[at] : "(nothing)";
        const char *b = (size_t)at < mine.n ? mine.lines[at] : "(nothing)";
        cr_assert_fail("CPython %s, script %s: allocation %ld placed at '%s' by CPython but '%s' by the heap (%s)", label,
                name, at + 1, a, b, py->version);
    }
    if (cs && hc.text && strcmp(cs, hc.text) != 0) {
        const char *x = cs, *y = hc.text;
        int line = 1;
        while (*x && *x == *y) {
            if (*x == '\n')
                line++;
            x++;
            y++;
        }
        cr_assert_fail("CPython %s, script %s: stats reports differ at line %d\n--- CPython:\n%s\n--- heap:\n%s", label,
                name, line, cs, hc.text);
    }
    cr_assert(!r.last || (cs && hc.text), "script %s: no stats captured", name);
    free(cs);
    free(hc.text);
    ops_script_release(&s);
    placements_release(&mine);
    placements_release(&theirs);
}

static void differential(const char *label)
{
    const struct cpython_lib *lib = cpython_lib_find(label);
    cr_assert(lib);
    struct heap_profile prof = th_profile(lib->profile);
    prof.arena_map_bits = lib->arena_map_bits; /* placements do not depend on it; the report does */
    struct cpython py;
    char why[512];
    if (lib->needs_interpreter)
        cr_skip_test("CPython %s keeps its allocator state in the interpreter; see the startup test", label);
    if (!cpython_open(&py, lib->path, &prof, CPY_REGION, why, sizeof why))
        cr_skip_test("CPython %s: %s", label, why);
    struct region_source rs = {HEAP_REGION};
    struct heap_arena_source src = region_source(&rs);
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &prof, &src, NULL), 0);

    for (size_t i = 0; i < th_nscenarios; i++) {
        struct sbuf text = {0};
        th_scenarios[i].write(&text, &prof);
        compare_script(&py, h, label, th_scenarios[i].name, &text);
        sbuf_release(&text);
    }
    for (uint64_t seed = 1; seed <= RANDOM_SEEDS; seed++) {
        struct sbuf text = {0};
        char name[64];
        snprintf(name, sizeof name, "random-%lu", (unsigned long)seed);
        th_random_script(&text, seed, RANDOM_OPS);
        compare_script(&py, h, label, name, &text);
        sbuf_release(&text);
    }
    heap_delete(h);
}

Test(cpython, v3_11_debian, .timeout = 300) { differential("3.11-debian"); }
Test(cpython, v3_11_7, .timeout = 300) { differential("3.11.7"); }
Test(cpython, v3_10_13, .timeout = 300) { differential("3.10.13"); }
Test(cpython, v3_9_18, .timeout = 300) { differential("3.9.18"); }
Test(cpython, v3_8_18, .timeout = 300) { differential("3.8.18"); }
Test(cpython, v3_7_16, .timeout = 300) { differential("3.7.16"); }
Test(cpython, v3_6_15, .timeout = 300) { differential("3.6.15"); }
