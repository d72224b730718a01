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
 *
 * CPython 3.12 and later keep the allocator's state in the interpreter, so their PyObject_*
 * functions cannot run before Py_Initialize.  For them (and, as a bonus, for 3.11) the test
 * wraps both pymalloc domains (PyMem_* and PyObject_*) before initialising the interpreter,
 * logs every call with CPython's placement, runs the scripts through the interpreter's
 * allocator, and replays the whole log, start-up included, through a heap: every placement
 * must agree, then the stats reports.
 */
#include "cpython.h"
#include "helpers.h"

#include <tracer/stats_report.h>

#include <criterion/criterion.h>

#include <dlfcn.h>
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
    /* The hand-written example scripts of tests/allocator/scripts. */
    const char *dir = getenv("ALLOCATOR_SCRIPTS");
    static const char *const files[] = {"first-steps.ops", "realloc.ops", "pool-lifecycle.ops", "size-classes.ops"};
    for (size_t i = 0; dir && i < sizeof files / sizeof files[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        FILE *f = fopen(path, "r");
        cr_assert(f, "%s: cannot open", path);
        struct sbuf text = {0};
        char line[512];
        while (fgets(line, sizeof line, f))
            sbuf_printf(&text, "%s", line);
        fclose(f);
        compare_script(&py, h, label, files[i], &text);
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

/* ---- with an interpreter: log the pymalloc domains, replay the log ------------------------ */

/* CPython's PyMemAllocatorEx. */
struct py_mem_allocator {
    void *ctx;
    void *(*malloc)(void *ctx, size_t size);
    void *(*calloc)(void *ctx, size_t nelem, size_t elsize);
    void *(*realloc)(void *ctx, void *ptr, size_t new_size);
    void (*free)(void *ctx, void *ptr);
};
enum { PYMEM_DOMAIN_MEM = 1, PYMEM_DOMAIN_OBJ = 2 };

/* The log: the calls as an allocation script (handles for CPython's pointers), and CPython's
 * placements.  One per process. */
static struct {
    struct cpython *py;
    struct py_mem_allocator orig[3];
    struct sbuf script;
    struct placements pl;
    uint64_t nops;
    /* CPython pointer -> handle, open addressing */
    uintptr_t *keys;
    uint32_t *vals;
    size_t cap, count;
    uint32_t next_handle, *spare;
    size_t nspare, spare_cap;
    const char *foreign; /* a pointer freed that was never logged */
} lg;

static size_t lg_hash(uintptr_t p)
{
    return (size_t)(((uint64_t)p >> 4) * 0x9E3779B97F4A7C15ull >> 20) & (lg.cap - 1);
}

static void lg_put(uintptr_t p, uint32_t h)
{
    if ((lg.count + 1) * 2 > lg.cap) {
        uintptr_t *ok = lg.keys;
        uint32_t *ov = lg.vals;
        size_t ocap = lg.cap;
        lg.cap = lg.cap ? lg.cap * 2 : 1u << 16;
        lg.keys = calloc(lg.cap, sizeof *lg.keys);
        lg.vals = calloc(lg.cap, sizeof *lg.vals);
        lg.count = 0;
        for (size_t i = 0; i < ocap; i++)
            if (ok[i])
                lg_put(ok[i], ov[i]);
        free(ok);
        free(ov);
    }
    size_t i = lg_hash(p);
    while (lg.keys[i])
        i = (i + 1) & (lg.cap - 1);
    lg.keys[i] = p;
    lg.vals[i] = h;
    lg.count++;
}

/* Removes p and returns its handle; UINT32_MAX when absent. */
static uint32_t lg_take(uintptr_t p)
{
    if (!lg.cap)
        return UINT32_MAX;
    size_t i = lg_hash(p);
    while (lg.keys[i] && lg.keys[i] != p)
        i = (i + 1) & (lg.cap - 1);
    if (!lg.keys[i])
        return UINT32_MAX;
    uint32_t h = lg.vals[i];
    lg.keys[i] = 0;
    lg.count--;
    /* re-insert the rest of the cluster */
    for (size_t j = (i + 1) & (lg.cap - 1); lg.keys[j]; j = (j + 1) & (lg.cap - 1)) {
        uintptr_t k = lg.keys[j];
        uint32_t v = lg.vals[j];
        lg.keys[j] = 0;
        lg.count--;
        lg_put(k, v);
    }
    return h;
}

static uint32_t lg_new_handle(void)
{
    if (lg.nspare)
        return lg.spare[--lg.nspare];
    return lg.next_handle++;
}

static void lg_release_handle(uint32_t h)
{
    if (lg.nspare == lg.spare_cap) {
        lg.spare_cap = lg.spare_cap ? 2 * lg.spare_cap : 4096;
        lg.spare = realloc(lg.spare, lg.spare_cap * sizeof *lg.spare);
    }
    lg.spare[lg.nspare++] = h;
}

static void lg_placed(void *p)
{
    struct heap_location loc;
    char line[96];
    cpython_locate(lg.py, p, &loc);
    placements_add(&lg.pl, ops_placement_format(line, sizeof line, lg.nops, p, &loc));
}

static void *w_malloc(void *ctx, size_t n)
{
    int d = (int)(intptr_t)ctx;
    void *p = lg.orig[d].malloc(lg.orig[d].ctx, n);
    if (p) {
        uint32_t h = lg_new_handle();
        lg_put((uintptr_t)p, h);
        sbuf_printf(&lg.script, "alloc %u %zu\n", h, n);
        lg.nops++;
        lg_placed(p);
    }
    return p;
}

static void *w_calloc(void *ctx, size_t m, size_t n)
{
    int d = (int)(intptr_t)ctx;
    void *p = lg.orig[d].calloc(lg.orig[d].ctx, m, n);
    if (p) {
        uint32_t h = lg_new_handle();
        lg_put((uintptr_t)p, h);
        sbuf_printf(&lg.script, "calloc %u %zu %zu\n", h, m, n);
        lg.nops++;
        lg_placed(p);
    }
    return p;
}

static void *w_realloc(void *ctx, void *old, size_t n)
{
    int d = (int)(intptr_t)ctx;
    void *p = lg.orig[d].realloc(lg.orig[d].ctx, old, n);
    if (p) {
        uint32_t h = old ? lg_take((uintptr_t)old) : lg_new_handle();
        if (h == UINT32_MAX) {
            lg.foreign = "realloc of a block allocated before the log began";
            h = lg_new_handle();
        }
        lg_put((uintptr_t)p, h);
        sbuf_printf(&lg.script, "realloc %u %zu\n", h, n);
        lg.nops++;
        lg_placed(p);
    }
    return p;
}

static void w_free(void *ctx, void *p)
{
    int d = (int)(intptr_t)ctx;
    if (p) {
        uint32_t h = lg_take((uintptr_t)p);
        if (h == UINT32_MAX) {
            lg.foreign = "free of a block allocated before the log began";
        } else {
            sbuf_printf(&lg.script, "free %u\n", h);
            lg.nops++;
            lg_release_handle(h);
        }
    }
    lg.orig[d].free(lg.orig[d].ctx, p);
}

static void startup(const char *label)
{
    const struct cpython_lib *lib = cpython_lib_find(label);
    cr_assert(lib);
    struct heap_profile prof = th_profile(lib->profile);
    prof.arena_map_bits = lib->arena_map_bits;
    static struct cpython py;
    char why[512];
    /* The interpreter's home: the directory above the library's lib/. */
    char home[256];
    snprintf(home, sizeof home, "%s", lib->path);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(home, '/');
        if (slash)
            *slash = '\0';
    }
    if (strncmp(lib->path, "/usr/lib/", 9) == 0)
        snprintf(home, sizeof home, "/usr");
    setenv("PYTHONHOME", home, 1);
    setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
    setenv("PYTHONNOUSERSITE", "1", 1);
    unsetenv("PYTHONPATH");
    unsetenv("PYTHONSTARTUP");
    if (!cpython_open(&py, lib->path, &prof, CPY_REGION, why, sizeof why))
        cr_skip_test("CPython %s: %s", label, why);
    /* Extension modules of the interpreter need its symbols in the global scope. */
    void *global = dlopen(lib->path, RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    cr_assert(global, "dlopen RTLD_GLOBAL: %s", dlerror());
    void (*get_allocator)(int, struct py_mem_allocator *) = NULL;
    void (*set_allocator)(int, struct py_mem_allocator *) = NULL;
    void (*initialize)(int) = NULL;
    void *sym;
    sym = dlsym(global, "PyMem_GetAllocator");
    memcpy(&get_allocator, &sym, sizeof sym);
    sym = dlsym(global, "PyMem_SetAllocator");
    memcpy(&set_allocator, &sym, sizeof sym);
    sym = dlsym(global, "Py_InitializeEx");
    memcpy(&initialize, &sym, sizeof sym);
    int *no_site = dlsym(global, "Py_NoSiteFlag");
    cr_assert(get_allocator && set_allocator && initialize, "CPython %s: no PyMem_SetAllocator/Py_InitializeEx", label);

    lg.py = &py;
    for (int d = PYMEM_DOMAIN_MEM; d <= PYMEM_DOMAIN_OBJ; d++) {
        get_allocator(d, &lg.orig[d]);
        struct py_mem_allocator w = {(void *)(intptr_t)d, w_malloc, w_calloc, w_realloc, w_free};
        set_allocator(d, &w);
    }
    if (no_site)
        *no_site = 1; /* no site module: start-up reads no more of the file system than it must */
    initialize(0);
    uint64_t startup_ops = lg.nops;
    cr_assert(startup_ops > 1000, "CPython %s: only %lu allocator calls at start-up: the log missed them", label,
              (unsigned long)startup_ops);

    /* The scripts, through the interpreter's allocator (the log records them). */
    for (size_t i = 0; i < th_nscenarios; i++) {
        struct sbuf text = {0};
        th_scenarios[i].write(&text, &prof);
        struct ops_script s;
        th_parse(&s, th_scenarios[i].name, &text);
        struct placements ignored = {0};
        struct cpy_run r = {&py, &ignored, 0, NULL};
        struct ops_target t = {.malloc = c_malloc, .calloc = c_calloc, .realloc = c_realloc, .free = c_free, .ctx = &r};
        char err[512];
        cr_assert_eq(ops_script_run(&s, &t, true, err, sizeof err), 0, "CPython %s: %s", label, err);
        ops_script_release(&s);
        sbuf_release(&text);
    }
    for (uint64_t seed = 1; seed <= 4; seed++) {
        struct sbuf text = {0};
        th_random_script(&text, seed, RANDOM_OPS);
        struct ops_script s;
        th_parse(&s, "random", &text);
        struct cpy_run r = {&py, NULL, 0, NULL};
        struct ops_target t = {.malloc = c_malloc, .calloc = c_calloc, .realloc = c_realloc, .free = c_free, .ctx = &r};
        char err[512];
        cr_assert_eq(ops_script_run(&s, &t, true, err, sizeof err), 0, "CPython %s: %s", label, err);
        ops_script_release(&s);
        sbuf_release(&text);
    }
    cr_assert(!lg.foreign, "CPython %s: %s: the log is incomplete", label, lg.foreign);
    /* Unhook (nothing more is logged), then take the report: CPython prints it only when pymalloc
     * is the domains' allocator. */
    for (int d = PYMEM_DOMAIN_MEM; d <= PYMEM_DOMAIN_OBJ; d++)
        set_allocator(d, &lg.orig[d]);
    char *cs = capture_cpython_stats(&py);

    struct ops_script s;
    th_parse(&s, "log", &lg.script);
    struct region_source rs = {HEAP_REGION};
    struct heap_arena_source src = region_source(&rs);
    struct heap *h = NULL;
    cr_assert_eq(heap_new(&h, &prof, &src, NULL), 0);
    struct placements mine = {0};
    struct heap_stats_capture hc = {h, NULL};
    th_run_ex(h, &s, 20000, &mine, false, capture_heap_stats, &hc);
    long at = placements_diff(&lg.pl, &mine);
    if (at >= 0) {
        const char *a = (size_t)at < lg.pl.n ? lg.pl.lines[at] : "(nothing)";
        const char *b = (size_t)at < mine.n ? mine.lines[at] : "(nothing)";
        cr_assert_fail("CPython %s with an interpreter: call %s of the log (%lu at start-up) placed at '%s' by CPython "
                       "but '%s' by the heap", label, a, (unsigned long)startup_ops, a, b);
    }
    cr_assert_str_eq(cs, hc.text, "CPython %s: stats reports differ after start-up and the scripts", label);
    free(cs);
    free(hc.text);
    placements_release(&mine);
    ops_script_release(&s);
    heap_delete(h);
}

Test(cpython_startup, v3_13_0, .timeout = 300) { startup("3.13.0"); }
Test(cpython_startup, v3_12_1, .timeout = 300) { startup("3.12.1"); }
Test(cpython_startup, v3_11_7, .timeout = 300) { startup("3.11.7"); }
Test(cpython_startup, v3_11_debian, .timeout = 300) { startup("3.11-debian"); }
Test(cpython_startup, v3_10_13, .timeout = 300) { startup("3.10.13"); }
Test(cpython_startup, v3_9_18, .timeout = 300) { startup("3.9.18"); }
Test(cpython_startup, v3_8_18, .timeout = 300) { startup("3.8.18"); }
Test(cpython_startup, v3_7_16, .timeout = 300) { startup("3.7.16"); }
Test(cpython_startup, v3_6_15, .timeout = 300) { startup("3.6.15"); }

Test(cpython, v3_11_debian, .timeout = 300) { differential("3.11-debian"); }
Test(cpython, v3_11_7, .timeout = 300) { differential("3.11.7"); }
Test(cpython, v3_10_13, .timeout = 300) { differential("3.10.13"); }
Test(cpython, v3_9_18, .timeout = 300) { differential("3.9.18"); }
Test(cpython, v3_8_18, .timeout = 300) { differential("3.8.18"); }
Test(cpython, v3_7_16, .timeout = 300) { differential("3.7.16"); }
Test(cpython, v3_6_15, .timeout = 300) { differential("3.6.15"); }

/* The classic profile (8-byte alignment, 64 classes) has no libpython to compare with here: 2.7.18
 * got the 16-byte alignment backport (its geometry is cpython-3.8's), and 2.7 has no arena
 * allocator hook, so its arenas cannot be numbered.  The test measures both facts and skips with
 * them as the reason; it fails if a 2.7 that could serve as the oracle turns up. */
Test(cpython, classic_2_7_18)
{
    const char *path = "/root/.pyenv/versions/2.7.18/lib/libpython2.7.so.1.0";
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl)
        cr_skip_test("classic: no libpython with 8-byte alignment on this machine (%s not installed)", path);
    void *(*pymalloc)(size_t) = NULL;
    void *sym = dlsym(dl, "PyObject_Malloc");
    memcpy(&pymalloc, &sym, sizeof sym);
    cr_assert(pymalloc);
    char *a = pymalloc(17), *b = pymalloc(17);
    long spacing = b - a;
    bool hook = dlsym(dl, "PyObject_SetArenaAllocator") != NULL;
    cr_assert(spacing == 32 && !hook,
              "2.7.18 could serve the classic profile after all (17-byte blocks %ld apart, arena hook %d)", spacing,
              hook);
    cr_skip_test("classic: 2.7.18 puts 17-byte blocks %ld apart (16-byte alignment, cpython-3.8's geometry) and has "
                 "no PyObject_SetArenaAllocator; no libpython with 8-byte alignment is installed",
                 spacing);
}
