/*
 * test_demos.c - every built-in demo and the churn workload, run with the allocator's and the
 * collector's validators and the event fold checked at every step; their labels are one
 * sentence; each records a trace that `arenascope check` accepts.
 */
#include "rt_fixture.h"

#include "cli.h"
#include "commands.h"
#include "recorder.h"
#include "workload.h"

#include <allocator/heap_inspect.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct labels {
    struct fold *fold;
    char last[512];
    uint64_t n;
    char bad[600];
};

static struct rt_fixture fx;
static struct labels labels;

/* The fold, and a check of every step label as it goes by. */
static void emit(void *ctx, const struct event *ev)
{
    struct labels *l = ctx;
    fold_emit(l->fold, ev);
    if (ev->kind != EV_STEP)
        return;
    l->n++;
    size_t n = ev->str_len < sizeof l->last - 1 ? ev->str_len : sizeof l->last - 1;
    memcpy(l->last, ev->str, n);
    l->last[n] = '\0';
    /* one sentence: starts with a capital or code, ends with the one final period */
    const char *end = l->last + n;
    bool ok = n > 10 && end[-1] == '.' && !strchr(l->last, '\n');
    for (const char *p = l->last; ok && p < end - 1; p++)
        if (p[0] == '.' && p[1] == ' ' && isupper((unsigned char)p[2]))
            ok = false;
    if (!ok && !l->bad[0])
        snprintf(l->bad, sizeof l->bad, "not one sentence: \"%s\"", l->last);
}

static void pace(void *ctx, uint64_t step)
{
    (void)ctx;
    (void)step;
    fixture_check(&fx);
}

static void run_workload_layout(const char *gc_profile, const struct rt_layout *layout,
                                void (*run)(struct workload_env *), uint64_t n, uint64_t max_steps)
{
    fixture_open_layout(&fx, gc_profile, layout);
    memset(&labels, 0, sizeof labels);
    labels.fold = &fx.fold;
    struct event_sink sink = {emit, &labels};
    heap_set_sink(fx.heap, &sink);
    rt_set_sink(fx.rt, &sink);
    struct workload_env env = {.heap = fx.heap, .rt = fx.rt, .sink = sink, .pace = pace};
    if (run)
        run(&env);
    else
        workload_churn(&env, n);
    cr_assert_str_empty(labels.bad, "%s", labels.bad);
    cr_assert_eq(env.steps, labels.n);
    cr_assert_geq(labels.n, 3, "a demo has steps");
    cr_assert_leq(labels.n, max_steps, "%lu steps", (unsigned long)labels.n);
    fixture_check(&fx);
    fixture_close(&fx);
}

static void run_workload(const char *gc_profile, void (*run)(struct workload_env *), uint64_t n,
                         uint64_t max_steps)
{
    run_workload_layout(gc_profile, NULL, run, n, max_steps);
}

struct demo_param {
    char name[32];
    char gc[32];
    char layout[16]; /* "": the one the profiles give */
};

ParameterizedTestParameters(demos, run_with_validators)
{
    static struct demo_param params[64];
    size_t n = 0;
    /* every demo under the default collector and under 3.14's incremental one */
    for (size_t i = 0; i < demo_count() && n < 60; i++) {
        snprintf(params[n].name, sizeof params[n].name, "%s", demo_at(i)->name);
        snprintf(params[n++].gc, sizeof params[n].gc, "cpython-3.8");
        snprintf(params[n].name, sizeof params[n].name, "%s", demo_at(i)->name);
        snprintf(params[n++].gc, sizeof params[n].gc, "cpython-3.14");
    }
    snprintf(params[n].name, sizeof params[n].name, "finalizers");
    snprintf(params[n++].gc, sizeof params[n].gc, "legacy");
    snprintf(params[n].name, sizeof params[n].name, "generations");
    snprintf(params[n++].gc, sizeof params[n].gc, "cpython-3.13");
    snprintf(params[n].name, sizeof params[n].name, "int-freelist");
    snprintf(params[n++].gc, sizeof params[n].gc, "legacy");
    return cr_make_param_array(struct demo_param, params, n);
}

ParameterizedTest(struct demo_param *p, demos, run_with_validators, .timeout = 60)
{
    const struct demo *d = demo_find(p->name);
    cr_assert_not_null(d, "%s", p->name);
    cr_assert_gt(strlen(d->summary), 10);
    run_workload_layout(p->gc, p->layout[0] ? rt_layout_find(p->layout) : NULL, d->run, 0, 40);
}

/* Every demo under the object layouts furthest from the default one: 2.7's (a 32-byte GC head,
 * fixed ints, byte strings, separate __dict__s) and 3.8's and 3.12's. */
ParameterizedTestParameters(demos, run_in_other_layouts)
{
    static struct demo_param params[192];
    const char *const layouts[] = {"cpython-2.7", "cpython-3.8", "cpython-3.12"};
    size_t n = 0;
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < demo_count() && n < 192; i++) {
            snprintf(params[n].name, sizeof params[n].name, "%s", demo_at(i)->name);
            snprintf(params[n].gc, sizeof params[n].gc, "cpython-3.8");
            snprintf(params[n++].layout, sizeof params[n].layout, "%s", layouts[l]);
        }
    return cr_make_param_array(struct demo_param, params, n);
}

ParameterizedTest(struct demo_param *p, demos, run_in_other_layouts, .timeout = 60)
{
    const struct demo *d = demo_find(p->name);
    cr_assert_not_null(d, "%s", p->name);
    cr_assert_not_null(rt_layout_find(p->layout), "%s", p->layout);
    run_workload_layout(p->gc, rt_layout_find(p->layout), d->run, 0, 40);
}

Test(demos, registry)
{
    cr_assert_str_eq(demo_at(0)->name, "tour", "tour is the default, listed first");
    const char *required[] = {"layers", "size-classes", "pool-lifecycle", "arena-lifecycle",
                              "fragmentation", "refcount", "identity", "cycles", "generations",
                              "weakref", "finalizers", "copy", "gc-tuning", "tour", "domains",
                              "rebinding", "tracking", "leak-hunt", "int-freelist"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
        cr_assert_not_null(demo_find(required[i]), "%s", required[i]);
    cr_assert_null(demo_find("nope"));
    cr_assert_null(demo_at(demo_count()));
}

Test(demos, churn, .timeout = 120)
{
    run_workload(NULL, NULL, 20000, 12);
    cr_assert_gt(fx.fold.gc_start, 0, "the collector ran on its own");
}

/* ---- recorded traces --------------------------------------------------------------------------- */

static int run_command(const struct cli_cmd *cmd, int argc, char **argv)
{
    struct cli c;
    bool done = false;
    int status = cli_parse(cmd, argc, argv, &c, &done);
    if (status || done)
        return status;
    return cmd->run(&c);
}

Test(demos, every_demo_records_a_trace_check_accepts, .timeout = 120)
{
    char dir[] = "/tmp/arenascope-demos-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    for (size_t i = 0; i < demo_count(); i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s.trace", dir, demo_at(i)->name);
        char name[32];
        snprintf(name, sizeof name, "demo:%s", demo_at(i)->name);
        char *rec[] = {"record", "--arena-source", "aligned", "-o", path, name, NULL};
        cr_assert_eq(run_command(&cmd_record, 6, rec), 0, "record %s", name);
        cr_assert_eq(access(path, R_OK), 0);
        char *chk[] = {"check", path, NULL};
        cr_assert_eq(run_command(&cmd_check, 2, chk), 0, "arenascope check %s", path);
        unlink(path);
    }
    rmdir(dir);
}

/* ---- what the demos print is what CPython prints ---------------------------------------------- */

struct printed {
    char text[64][128];
    size_t n;
};

static void capture(void *ctx, const struct event *ev)
{
    struct printed *p = ctx;
    if (ev->kind != EV_PRINT || p->n == 64)
        return;
    size_t n = ev->str_len < 127 ? ev->str_len : 127;
    memcpy(p->text[p->n], ev->str, n);
    p->text[p->n][n] = '\0';
    char *nl = strchr(p->text[p->n], '\n');
    if (nl)
        *nl = '\0';
    p->n++;
}

static void run_printing(const char *demo, struct printed *out)
{
    memset(out, 0, sizeof *out);
    struct heap *h;
    struct runtime *rt;
    struct heap_arena_source src = heap_arena_source_aligned();
    struct event_sink sink = {capture, out};
    cr_assert_eq(heap_new(&h, heap_profile_at(0), &src, NULL), 0);
    cr_assert_eq(rt_new(&rt, h, NULL, &sink), 0);
    struct workload_env env = {.heap = h, .rt = rt, .sink = sink};
    demo_find(demo)->run(&env);
    rt_delete(rt);
    heap_delete(h);
}

/* A CPython number as Python prints it: 1/0 for booleans become True/False when `boolean`,
 * "a,b,c" becomes "(a, b, c)". */
static void as_python(const char *name, bool boolean, char *buf, size_t len)
{
    const char *v = cpython_number(name);
    if (boolean) {
        snprintf(buf, len, "%s", strcmp(v, "1") == 0 ? "True" : "False");
    } else if (strchr(v, ',')) {
        size_t k = 0;
        k += (size_t)snprintf(buf + k, len - k, "(");
        for (const char *p = v; *p && k < len; p++)
            k += (size_t)(*p == ',' ? snprintf(buf + k, len - k, ", ")
                                    : snprintf(buf + k, len - k, "%c", *p));
        snprintf(buf + k, len - k, ")");
    } else {
        snprintf(buf, len, "%s", v);
    }
}

struct expect {
    const char *prefix; /* the printed line up to the value */
    const char *number; /* the CPython number it must show */
    bool boolean;
    int item;           /* for a tuple number printed as separate lines: which item, else -1 */
};

/* The lines must appear in this order among what the demo printed. */
static void expect_prints(const char *demo, const struct expect *e, size_t n)
{
    struct printed out;
    run_printing(demo, &out);
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        char value[64], want[192];
        as_python(e[i].number, e[i].boolean, value, sizeof value);
        if (e[i].item == -2) {
            cr_assert_str_eq(cpython_number(e[i].number), "1");
            value[0] = '\0';
        } else if (e[i].item >= 0) {
            const char *v = cpython_number(e[i].number);
            for (int k = 0; k < e[i].item && v; k++) {
                v = strchr(v, ',');
                v = v ? v + 1 : NULL;
            }
            cr_assert_not_null(v);
            snprintf(value, sizeof value, "%.*s", (int)strcspn(v, ","), v);
        }
        snprintf(want, sizeof want, "%s%s", e[i].prefix, value);
        while (at < out.n && strcmp(out.text[at], want) != 0)
            at++;
        cr_assert_lt(at, out.n, "demo %s: \"%s\" (%s) was not printed in order", demo, want,
                     e[i].number);
        at++;
    }
}

#define RC(name, number) {"sys.getrefcount(" name ") -> ", number, false, -1}
#define IS(line, number) {line " -> ", number, true, -1}
#define COLLECT(number) {"gc.collect() -> ", number, false, -1}

Test(demo_prints, tour)
{
    const struct expect e[] = {{"sys.getrefcount(a) -> ", "tour_refcounts", false, 0},
                               {"sys.getrefcount(a) -> ", "tour_refcounts", false, 1},
                               {"sys.getrefcount(a) -> ", "tour_refcounts", false, 2},
                               COLLECT("tour_collect")};
    expect_prints("tour", e, sizeof e / sizeof e[0]);
}

Test(demo_prints, refcount)
{
    const struct expect e[] = {RC("a", "refcount_list"),          RC("x", "refcount_in_function"),
                               RC("a", "refcount_after_call"),    RC("a", "refcount_second_name"),
                               RC("a", "refcount_in_list_twice"), RC("a", "refcount_after_del_list"),
                               RC("a", "refcount_attribute"),     RC("a", "refcount_back")};
    expect_prints("refcount", e, sizeof e / sizeof e[0]);
}

Test(demo_prints, identity)
{
    const struct expect e[] = {IS("a is b", "is_small_int"),      IS("x is y", "is_1000_runtime"),
                               IS("x == y", "eq_1000_runtime"),   IS("x is y", "is_256_runtime"),
                               IS("x is y", "is_257_runtime"),    IS("s1 is s2", "is_interned_literal"),
                               IS("s3 is s1", "is_joined"),       IS("s4 is s1", "is_intern_joined")};
    expect_prints("identity", e, sizeof e / sizeof e[0]);
}

Test(demo_prints, cycles)
{
    const struct expect e[] = {RC("a", "refcount_self_list"), COLLECT("collect_self_list"),
                               RC("left", "refcount_node_left"), COLLECT("collect_node_cycle")};
    expect_prints("cycles", e, sizeof e / sizeof e[0]);
}

Test(demo_prints, generations)
{
    const struct expect e[] = {{"gc.get_count() -> ", "count_three_lists", false, -1},
                               {"gc.get_count() -> ", "count_after_collect0", false, -1},
                               {"gc.get_count() -> ", "count_after_collect1", false, -1}};
    expect_prints("generations", e, sizeof e / sizeof e[0]);
}

Test(demo_prints, weakref)
{
    const struct expect e[] = {RC("a", "weakref_refcount"), IS("r() is a", "weakref_alive"),
                               {"r() -> None", "weakref_dead", false, -2},
                               RC("p", "proxy_refcount_parent"), COLLECT("proxy_collect")};
    expect_prints("weakref", e, sizeof e / sizeof e[0]);
}

Test(demo_prints, finalizers)
{
    const struct expect e[] = {COLLECT("finalizer_collect"),
                               {"len(gc.garbage) -> ", "finalizer_garbage", false, -1},
                               COLLECT("resurrect_collect"),
                               {"len(saved) -> ", "resurrect_kept", false, -1},
                               COLLECT("resurrect_collect_again")};
    expect_prints("finalizers", e, sizeof e / sizeof e[0]);
}

Test(demo_prints, copy)
{
    const struct expect e[] = {IS("b is a", "copy_is_outer"), IS("b[2] is a[2]", "copy_is_inner"),
                               IS("c[2] is a[2]", "deepcopy_is_inner"),
                               IS("c[0] is a[0]", "deepcopy_is_int")};
    expect_prints("copy", e, sizeof e / sizeof e[0]);
}

/* ---- the narration's numbers are the profile's ------------------------------------------------ */

struct said {
    char text[96][512];
    bool print[96];
    size_t n;
};

static void keep_said(void *ctx, const struct event *ev)
{
    struct said *s = ctx;
    if ((ev->kind != EV_STEP && ev->kind != EV_PRINT) || s->n == 96)
        return;
    size_t n = ev->str_len < 511 ? ev->str_len : 511;
    memcpy(s->text[s->n], ev->str, n);
    s->text[s->n][n] = '\0';
    s->print[s->n++] = ev->kind == EV_PRINT;
}

static bool is_class_size(const struct heap_profile *p, unsigned long n)
{
    for (uint32_t i = 0; i < heap_profile_nclasses(p); i++)
        if (heap_profile_class_size(p, i) == n)
            return true;
    return false;
}

/* Checks one text against the profiles; "" or what is wrong. */
static void check_said(const char *t, bool print, const struct heap_profile *hp, const struct gc_profile *gp,
                       char *bad, size_t len)
{
    /* a block or a class named by its size is one of the profile's classes: "N-byte block",
     * "N-byte class", and the sizes listed before one ("the 40-, 40- and 48-byte classes") */
    for (const char *q = t; *q; q++) {
        if (!isdigit((unsigned char)*q) || (q > t && isdigit((unsigned char)q[-1])))
            continue;
        char *end;
        unsigned long n = strtoul(q, &end, 10);
        bool sized = strncmp(end, "-byte block", 11) == 0 || strncmp(end, "-byte class", 11) == 0 ||
                     strncmp(end, "-, ", 3) == 0 || strncmp(end, "- and ", 6) == 0;
        if (sized && !is_class_size(hp, n)) {
            snprintf(bad, len, "%s: %lu bytes is no size class of %s: \"%s\"", print ? "print" : "step", n, hp->name,
                     t);
            return;
        }
        if ((strncmp(end, "-byte limit", 11) == 0 || strncmp(end, " bytes is the last size class", 29) == 0) &&
            n != hp->threshold) {
            snprintf(bad, len, "the limit %lu is not %s's %u: \"%s\"", n, hp->name, hp->threshold, t);
            return;
        }
    }
    const char *s = strstr(t, "serves 1 to ");
    if (s && strtoul(s + 12, NULL, 10) != hp->threshold) {
        snprintf(bad, len, "not %s's limit: \"%s\"", hp->name, t);
        return;
    }
    /* a request's block and class, as the demos print them */
    unsigned long req, block, cls;
    const char *r = strstr(t, ": ");
    if (print && r && sscanf(r, ": %lu bytes requested, %lu-byte block (class %lu)", &req, &block, &cls) == 3) {
        unsigned long want = ((req ? req - 1 : 0) / hp->alignment + 1) * hp->alignment;
        if (block != want || cls != block / hp->alignment - 1) {
            snprintf(bad, len, "%s: %lu bytes take the %lu-byte block, class %lu: \"%s\"", hp->name, req, want,
                     want / hp->alignment - 1, t);
            return;
        }
    }
    /* the version a profile stands for: "the profile classic is Python 2.7's" */
    s = strstr(t, "the profile ");
    if (s) {
        char name[32] = "", version[16] = "";
        if (sscanf(s, "the profile %31s is Python %15[0-9.]'s", name, version) == 2) {
            const char *want = strcmp(hp->name, "classic") == 0         ? "2.7"
                               : strncmp(hp->name, "cpython-", 8) == 0 ? hp->name + 8
                                                                       : "3.10";
            if (strcmp(name, hp->name) != 0 || strcmp(version, want) != 0) {
                snprintf(bad, len, "%s stands for Python %s: \"%s\"", hp->name, want, t);
                return;
            }
        }
    }
    /* generation 1's threshold, counted in collections of generation 0 */
    s = strstr(t, "After ");
    if (s && isdigit((unsigned char)s[6]) && strstr(s, "collections of generation 0") &&
        strtoul(s + 6, NULL, 10) != gp->thresholds[1]) {
        snprintf(bad, len, "%s's second threshold is %u: \"%s\"", gp->name, gp->thresholds[1], t);
        return;
    }
    s = strstr(t, "(threshold ");
    if (s && strtoul(s + 11, NULL, 10) != gp->thresholds[1]) {
        snprintf(bad, len, "%s's second threshold is %u: \"%s\"", gp->name, gp->thresholds[1], t);
        return;
    }
    /* gc.get_count() gives a number per generation, three under the incremental profile as in
     * 3.14.0-3.14.4 (young, old's visited space, old's pending space) */
    s = print ? strstr(t, "gc.get_count() -> (") : NULL;
    if (s) {
        unsigned numbers = 1, want = gp->incremental ? 3 : gp->ngenerations;
        for (s += strlen("gc.get_count() -> ("); *s && *s != ')'; s++)
            numbers += *s == ',';
        if (numbers != want) {
            snprintf(bad, len, "%s's gc.get_count() gives %u numbers: \"%s\"", gp->name, want, t);
            return;
        }
    }
    /* the generations a step names are the profile's; what the source prints under the
     * incremental profile follows 3.14's gc module, which numbers three (get_count() has three
     * numbers, a callback's generation is 2 for a full collection) */
    if (strstr(t, "generation 2") && gp->ngenerations < 3 && !(print && gp->incremental)) {
        snprintf(bad, len, "%s has %u generations: \"%s\"", gp->name, gp->ngenerations, t);
        return;
    }
    /* the collector's threshold */
    s = strstr(t, "a collection every ");
    if (s && strtoul(s + 19, NULL, 10) != gp->thresholds[0]) {
        snprintf(bad, len, "%s's threshold is %u: \"%s\"", gp->name, gp->thresholds[0], t);
        return;
    }
    /* an emptied arena is kept only where the profile keeps one */
    static const char *const kept[] = {"it is kept", "one that is kept", "the kept arena", "arena that was kept"};
    static const char *const returned[] = {"no empty arena is kept", "none was kept", "none is kept"};
    for (size_t i = 0; i < 4; i++)
        if (!hp->keep_last_free_arena && strstr(t, kept[i])) {
            snprintf(bad, len, "%s keeps no arena: \"%s\"", hp->name, t);
            return;
        }
    for (size_t i = 0; i < 3; i++)
        if (hp->keep_last_free_arena && strstr(t, returned[i])) {
            snprintf(bad, len, "%s keeps the last arena: \"%s\"", hp->name, t);
            return;
        }
}

/* Every demo under every allocator profile (with the default collector) and under every
 * collector profile (with the default allocator): what its steps say and what it prints about
 * size classes, limits, thresholds and kept arenas is the profile's. */
Test(demos, the_narration_s_numbers_are_the_profile_s, .timeout = 300)
{
    size_t nh = heap_profile_count(), ng = gc_profile_count(), checked = 0;
    for (size_t d = 0; d < demo_count(); d++)
        for (size_t k = 0; k < nh + ng; k++) {
            const struct heap_profile *hp = heap_profile_at(k < nh ? k : 0);
            const struct gc_profile *gp = k < nh ? gc_profile_default() : gc_profile_at(k - nh);
            static struct said said;
            memset(&said, 0, sizeof said);
            struct heap *h;
            struct runtime *rt;
            struct heap_arena_source src = heap_arena_source_aligned();
            struct event_sink sink = {keep_said, &said};
            cr_assert_eq(heap_new(&h, hp, &src, NULL), 0);
            cr_assert_eq(rt_new(&rt, h, gp, &sink), 0);
            heap_set_sink(h, &sink);
            struct workload_env env = {.heap = h, .rt = rt, .sink = sink};
            demo_at(d)->run(&env);
            rt_delete(rt);
            heap_delete(h);
            for (size_t i = 0; i < said.n; i++) {
                char bad[800] = "";
                check_said(said.text[i], said.print[i], hp, gp, bad, sizeof bad);
                cr_assert_str_empty(bad, "demo %s, %s and %s: %s", demo_at(d)->name, hp->name, gp->name, bad);
                checked++;
            }
        }
    cr_assert_gt(checked, 500, "%zu texts checked", checked);
}

/* ---- the domains demo follows the profile's version ------------------------------------------- */

struct domain_events {
    uint64_t raw_domain, raw_other, pool_blocks; /* raw_alloc by reason, block_alloc */
    char mem32[128];                             /* what PyMem_Malloc(32) printed */
};

static void keep_domain_events(void *ctx, const struct event *ev)
{
    struct domain_events *d = ctx;
    if (ev->kind == EV_RAW_ALLOC)
        *(ev->u.raw_alloc.why == EV_RAW_DOMAIN ? &d->raw_domain : &d->raw_other) += 1;
    else if (ev->kind == EV_BLOCK_ALLOC)
        d->pool_blocks++;
    else if (ev->kind == EV_PRINT && ev->str_len > 17 && memcmp(ev->str, "PyMem_Malloc(32) ", 17) == 0)
        snprintf(d->mem32, sizeof d->mem32, "%.*s", (int)ev->str_len, ev->str);
}

/* PyMem_RawMalloc is malloc under every profile; PyMem_Malloc is malloc under `classic` (2.7,
 * and every version before 3.6) and pymalloc under the cpython-3.x profiles (5.1 of
 * docs/cpython-memory.md); PyObject_Malloc is pymalloc everywhere; every block goes back. */
Test(demos, domains_serve_each_family_as_the_profile_s_version_does)
{
    for (size_t k = 0; k < heap_profile_count(); k++) {
        const struct heap_profile *hp = heap_profile_at(k);
        bool mem_is_malloc = strcmp(hp->name, "classic") == 0;
        struct domain_events d = {0};
        struct heap *h;
        struct runtime *rt;
        struct heap_arena_source src = heap_arena_source_aligned();
        struct event_sink sink = {keep_domain_events, &d};
        cr_assert_eq(heap_new(&h, hp, &src, &sink), 0);
        cr_assert_eq(rt_new(&rt, h, NULL, &sink), 0);
        struct workload_env env = {.heap = h, .rt = rt, .sink = sink};
        demo_find("domains")->run(&env);
        char err[256];
        cr_assert(heap_is_valid(h, err, sizeof err), "%s: %s", hp->name, err);
        struct heap_counters c;
        heap_inspect_counters(h, &c);
        cr_assert_eq(c.raw_blocks, 0, "%s: every raw block is given back", hp->name);
        cr_assert_eq(c.raw_domain_blocks, 0, "%s", hp->name);
        rt_delete(rt);
        heap_delete(h);
        /* RAW 32; MEM 32 and 600 when MEM is malloc; the large MEM request otherwise */
        cr_assert_eq(d.raw_domain, mem_is_malloc ? 3 : 1, "%s: %lu raw-domain requests", hp->name,
                     (unsigned long)d.raw_domain);
        cr_assert_eq(d.raw_other, mem_is_malloc ? 0 : 1, "%s", hp->name);
        cr_assert_eq(d.pool_blocks, mem_is_malloc ? 1 : 2, "%s", hp->name);
        cr_assert_str_eq(d.mem32, mem_is_malloc ? "PyMem_Malloc(32) -> sys.getallocatedblocks() grew by 0\n"
                                                : "PyMem_Malloc(32) -> sys.getallocatedblocks() grew by 1\n",
                         "%s", hp->name);
    }
}
