/*
 * test_demo_sources.c - the built-in demos against the real interpreters.
 *
 * Each demo mirrors a Python source (demos/demo_NAME.py, embedded in the program, src/demos.h),
 * and each of its steps names the line of that source it runs: a step whose line is not in the
 * source, or not after the previous step's, fails here.  Every demo runs on the built-in
 * runtime under the profiles of a version, and its source runs under that version's interpreter:
 * 3.11 (/usr/bin/python3.11, required) with the runtime's default profiles and 3.11's objects;
 * 3.12 with 3.12's objects; 3.8 and 3.9 with the allocator and collector profile cpython-3.8 or
 * cpython-3.9 and their objects (pyenv's, when installed).  What each prints is compared line by
 * line.  Addresses cannot match, so every 0x... is read as the same address; everything else
 * (sizes, reference counts, identities, collections, counts, the interpreter's own objects, the
 * blocks and size classes requests take) must be what the real interpreter printed.  What the
 * heap holds ("arenas: ...", demo_heap_line) Python cannot print: the allocator demos' lines of
 * it are left out.
 *
 * Lines are paired by their shape (the line with its numbers and True/False blanked out), in
 * order: a demo line with no real line of its shape, a real line the demo never printed, and a
 * pair that disagrees are each a difference.  The differences the demos may have are the table
 * `reasons` below: a demo, the versions, a pattern and why.  The real side is always what the
 * interpreter prints now; the pattern only says which line may differ and where: `#` stands for
 * any number, every other character (digits included) must be in both lines, or in the one line
 * when only one side printed it.  The test fails on a difference no reason covers, and on a reason
 * that covered nothing.
 */
#include "cli.h"
#include "commands.h"
#include "demos.h"
#include "pythons.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define LINES_MAX 64
#define LINE_LEN 200

struct lines {
    char text[LINES_MAX][LINE_LEN];
    size_t n;
};

/* Why demo `demo` may print, under the versions named, a line of `pattern` that the real
 * interpreter prints otherwise or not at all. */
struct reason {
    const char *demo;
    const char *versions; /* "3.8 3.9 3.11 3.12" */
    const char *pattern;  /* # for any number */
    const char *why;
};

#define ALL "3.8 3.9 3.11 3.12"
#define OWN_CALLS "CPython's calls make containers the runtime's do not (3.8 and 3.9: a frame for each call " \
                  "of the callback; 3.12: argument tuples left to and taken from its free lists otherwise than " \
                  "3.11's), which move the count of generation 0 by one or two"

static const struct reason reasons[] = {
    {"finalizers", ALL, "__del__ called on <__main__.L object at 0x?>",
     "Python code cannot define a legacy tp_del: real CPython runs L's __del__ and frees it (PEP 442)"},
    {"finalizers", ALL, "len(gc.garbage) -> #",
     "Python code cannot define a legacy tp_del: nothing goes to gc.garbage in real CPython"},
    {"generations", "3.8 3.9 3.12", "automatic collections: generation 0: #, generation 1: #, generation 2: 0; "
     "objects examined: #", OWN_CALLS},
    {"generations", ALL, "gc.get_count() -> (#, #, #)",
     "CPython's print() sometimes makes a container (its text layer's list of pending writes): one more for "
     "the count of generation 0, which starts a collection here"},
    {"gc-tuning", "3.8 3.9 3.12", "automatic collections: generation 0: #, generation 1: #, generation 2: 0; "
     "objects examined: #", OWN_CALLS},
    {"gc-tuning", ALL, "gc.get_freeze_count() -> #",
     "the source's three functions, its list by_gen and print()'s list of pending writes are tracked objects "
     "the runtime does not make"},
    {"gc-tuning", ALL, "objects examined: #",
     "the first repr() of a tuple, after gc.freeze(), makes the thread's dict and its Py_Repr list, which "
     "real CPython's full collection then examines"},
    {"refcount", "3.8 3.9", "sys.getrefcount(x) -> #",
     "before 3.11 a call's argument stays on the caller's stack besides the callee's frame: one more "
     "reference than the runtime's call holds"},
    {"weakref", "3.9", "gc.collect() -> #",
     "3.9 starts a program with a few objects in cycles of its own, which its first full collection frees"},
};

/* ---- the two sides ------------------------------------------------------------------------------ */

/* Every 0x<hex> becomes 0x?: addresses never match between two runs. */
static void normalize(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (r[0] == '0' && r[1] == 'x' && isxdigit((unsigned char)r[2])) {
            r += 2;
            while (isxdigit((unsigned char)*r))
                r++;
            memcpy(w, "0x?", 3); /* no longer than what it replaces, read first */
            w += 3;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static void lines_add(struct lines *l, const char *text, size_t len)
{
    if (l->n == LINES_MAX)
        return;
    if (len >= LINE_LEN)
        len = LINE_LEN - 1;
    memcpy(l->text[l->n], text, len);
    l->text[l->n][len] = '\0';
    char *nl = strchr(l->text[l->n], '\n');
    if (nl)
        *nl = '\0';
    normalize(l->text[l->n]);
    l->n++;
}

static void capture_print(void *ctx, const struct event *ev)
{
    /* the heap's figures, which Python cannot print */
    if (ev->kind == EV_PRINT && !(ev->str_len >= 8 && memcmp(ev->str, "arenas: ", 8) == 0))
        lines_add(ctx, ev->str, ev->str_len);
}

/* A version the demos are compared with: its interpreter, and the runtime's profiles for it. */
struct version {
    const char *name;   /* "3.11" */
    const char *heap;   /* the allocator's profile: NULL for the program's default */
    const char *layout; /* the objects' layout: NULL for the one the profiles give */
};

/* What the demo prints on the built-in runtime, with the version's profiles (the collector's is
 * cpython-3.8, the program's default), to the end of the program (what `arenascope record` keeps
 * of it). */
static void run_builtin(const char *name, const struct version *v, struct lines *out)
{
    memset(out, 0, sizeof *out);
    struct heap *h;
    struct runtime *rt;
    struct heap_arena_source src = heap_arena_source_aligned();
    struct event_sink sink = {capture_print, out};
    struct heap_profile hp = *heap_profile_at(0);
    char err[160];
    if (v->heap)
        cr_assert_eq(heap_profile_parse(v->heap, &hp, err, sizeof err), 0, "%s", err);
    const struct rt_layout *layout = v->layout ? rt_layout_find(v->layout) : NULL;
    cr_assert(!v->layout || layout, "no layout %s", v->layout);
    cr_assert_eq(heap_new(&h, &hp, &src, NULL), 0);
    cr_assert_eq(rt_new_layout(&rt, h, NULL, layout, &sink), 0);
    struct workload_env env = {.heap = h, .rt = rt, .sink = sink};
    demo_find(name)->run(&env);
    rt_shutdown(rt); /* the end of the program is part of it, as in a recorded trace */
    rt_delete(rt);
    heap_delete(h);
    cr_assert_lt(out->n, LINES_MAX, "demo %s printed more lines than the test keeps", name);
}

/* What python prints for the demo's source, written to a file of its own name (as the source
 * is shipped).  The source must run to its end: exit status 0. */
static void run_real(const char *python, const struct demo_source *s, struct lines *out)
{
    memset(out, 0, sizeof *out);
    char dir[] = "/tmp/arenascope-sources-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128], cmd[512];
    snprintf(path, sizeof path, "%s/%s", dir, strrchr(s->path, '/') + 1);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    cr_assert_geq(fputs(s->text, f), 0);
    cr_assert_eq(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "'%s' -I '%s' 2>&1", python, path);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[1024];
    while (fgets(line, sizeof line, p))
        lines_add(out, line, strlen(line));
    int status = pclose(p);
    unlink(path);
    rmdir(dir);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s %s: exit status %d (last line: %s)",
              python, s->path, status, out->n ? out->text[out->n - 1] : "none");
    cr_assert_lt(out->n, LINES_MAX, "%s printed more lines than the test keeps", s->path);
}

/* ---- pairing ------------------------------------------------------------------------------------- */

/* The line with its numbers and True/False blanked: what pairs a demo line with a real one. */
static void shape(const char *line, char *out, size_t len)
{
    size_t k = 0;
    for (const char *p = line; *p && k + 2 < len;) {
        if (isdigit((unsigned char)*p)) {
            out[k++] = '#';
            while (isdigit((unsigned char)*p))
                p++;
        } else if (strncmp(p, "True", 4) == 0 || strncmp(p, "False", 5) == 0) {
            out[k++] = '#';
            p += *p == 'T' ? 4 : 5;
        } else {
            out[k++] = *p++;
        }
    }
    out[k] = '\0';
}

struct difference {
    char line[LINE_LEN];  /* the demo's line, empty when only the real interpreter printed one */
    char real[LINE_LEN];  /* the real line, empty when the real interpreter printed none */
};

static size_t compare(const struct lines *demo, const struct lines *real, struct difference *d, size_t max)
{
    size_t nd = 0, at = 0;
    for (size_t i = 0; i < demo->n && nd < max; i++) {
        char want[LINE_LEN], got[LINE_LEN];
        shape(demo->text[i], want, sizeof want);
        size_t j = at;
        for (; j < real->n; j++) {
            shape(real->text[j], got, sizeof got);
            if (strcmp(want, got) == 0)
                break;
        }
        if (j == real->n) {
            memset(&d[nd], 0, sizeof d[nd]);
            snprintf(d[nd++].line, LINE_LEN, "%s", demo->text[i]);
            continue;
        }
        for (; at < j && nd < max; at++) {
            memset(&d[nd], 0, sizeof d[nd]);
            snprintf(d[nd++].real, LINE_LEN, "%s", real->text[at]);
        }
        if (strcmp(demo->text[i], real->text[j]) != 0 && nd < max) {
            snprintf(d[nd].line, LINE_LEN, "%s", demo->text[i]);
            snprintf(d[nd++].real, LINE_LEN, "%s", real->text[j]);
        }
        at = j + 1;
    }
    for (; at < real->n && nd < max; at++) {
        memset(&d[nd], 0, sizeof d[nd]);
        snprintf(d[nd++].real, LINE_LEN, "%s", real->text[at]);
    }
    return nd;
}

/* True when `line` is `pattern` with each # read as a number (a run of digits). */
static bool pattern_matches(const char *pattern, const char *line)
{
    const char *p = pattern, *l = line;
    while (*p) {
        if (*p == '#') {
            if (!isdigit((unsigned char)*l))
                return false;
            while (isdigit((unsigned char)*l))
                l++;
            p++;
        } else if (*p++ != *l++) {
            return false;
        }
    }
    return *l == '\0';
}

static bool reason_applies(const struct reason *r, const char *demo, const char *version)
{
    char words[64];
    snprintf(words, sizeof words, " %s ", r->versions);
    char word[16];
    snprintf(word, sizeof word, " %s ", version);
    return strcmp(r->demo, demo) == 0 && strstr(words, word);
}

/* The reason covers the difference when every line of it (one or both sides) is of its pattern. */
static bool reason_covers(const struct reason *r, const struct difference *d)
{
    return (!d->line[0] || pattern_matches(r->pattern, d->line)) &&
           (!d->real[0] || pattern_matches(r->pattern, d->real));
}

/* Every demo with a source against python of version v: logs the comparison and fails on a
 * difference no reason covers, and on a reason that covered nothing. */
static void compare_all(const char *python, const struct version *v)
{
    size_t nreasons = sizeof reasons / sizeof reasons[0];
    bool seen[sizeof reasons / sizeof reasons[0]] = {false};
    char failures[8192] = "";
    size_t flen = 0, matched = 0, total = 0;
    for (size_t i = 0; i < demo_source_count; i++) {
        const struct demo_source *s = &demo_sources[i];
        static struct lines demo, real;
        run_builtin(s->demo, v, &demo);
        run_real(python, s, &real);
        struct difference d[LINES_MAX * 2];
        size_t nd = compare(&demo, &real, d, sizeof d / sizeof d[0]);
        total += demo.n;
        matched += demo.n;
        for (size_t k = 0; k < nd; k++) {
            if (d[k].line[0])
                matched--;
            size_t at = 0;
            while (at < nreasons && !(reason_applies(&reasons[at], s->demo, v->name) && reason_covers(&reasons[at], &d[k])))
                at++;
            if (at < nreasons) {
                seen[at] = true;
                cr_log_info("python%s %s: demo \"%s\", real \"%s\": %s", v->name, s->demo, d[k].line, d[k].real,
                            reasons[at].why);
            } else if (flen < sizeof failures - 1) {
                flen += (size_t)snprintf(failures + flen, sizeof failures - flen,
                                         "\n  %s: demo printed \"%s\", python%s printed \"%s\"", s->demo,
                                         d[k].line[0] ? d[k].line : "(nothing)", v->name,
                                         d[k].real[0] ? d[k].real : "(nothing)");
            }
        }
    }
    for (size_t at = 0; at < nreasons; at++)
        if (reason_applies(&reasons[at], reasons[at].demo, v->name) && !seen[at] && flen < sizeof failures - 1)
            flen += (size_t)snprintf(failures + flen, sizeof failures - flen,
                                     "\n  %s: no line differs as \"%s\" (%s): take the reason out for %s",
                                     reasons[at].demo, reasons[at].pattern, reasons[at].why, v->name);
    cr_log_info("python%s: %zu of the %zu lines the demos print match", v->name, matched, total);
    cr_assert(flen == 0, "the demos and python%s differ:%s", v->name, failures);
}

/* The demos against pyenv's interpreter of version v, skipped (saying so) when it is missing. */
static void compare_pyenv(const struct version *v)
{
    char python[4096];
    if (!pythons_pyenv(v->name, python, sizeof python))
        cr_skip_test("no pyenv python%s: the demos are not compared with it", v->name);
    compare_all(python, v);
}

/* ---- the tests ------------------------------------------------------------------------------------ */

Test(demo_sources, every_demo_has_its_source)
{
    for (size_t i = 0; i < demo_count(); i++) {
        const struct demo_source *s = demo_source_find(demo_at(i)->name);
        cr_assert_not_null(s, "demo %s has no source", demo_at(i)->name);
        char names[128];
        snprintf(names, sizeof names, "`arenascope demo %s`", demo_at(i)->name);
        cr_assert_not_null(strstr(s->text, names), "%s names its demo", s->path);
    }
    for (size_t i = 0; i < demo_source_count; i++)
        cr_assert_not_null(demo_find(demo_sources[i].demo), "%s is no demo's", demo_sources[i].path);
    cr_assert_eq(demo_source_count, demo_count());
    cr_assert_null(demo_source_find("nope"));
}

/* ---- each step names a line of its source ---------------------------------------------------------- */

Test(demo_sources, a_line_is_found_by_its_text_after_the_one_before)
{
    const char *text = "a = []\n"
                       "def f(x):\n"
                       "    print(x)  \n"
                       "print(x)\n"
                       "a = []\n"
                       "a = [] # not this one\n"
                       "del a";
    cr_assert_eq(workload_find_line(text, 0, "a = []"), 1);
    cr_assert_eq(workload_find_line(text, 1, "a = []"), 5, "the first after the line before");
    cr_assert_eq(workload_find_line(text, 0, "print(x)"), 3, "indentation and trailing blanks do not count");
    cr_assert_eq(workload_find_line(text, 3, "print(x)"), 4);
    cr_assert_eq(workload_find_line(text, 0, "del a"), 7, "the last line, without its newline");
    cr_assert_eq(workload_find_line(text, 5, "a = []"), 0, "a line that only begins so is not it");
    cr_assert_eq(workload_find_line(text, 0, "a ="), 0, "nor a part of one");
    cr_assert_eq(workload_find_line(text, 0, ""), 0, "an empty text names no line");
}

struct step_lines {
    struct workload_env *env;
    uint32_t last;      /* the line of the step before */
    char bad[512];      /* the first step whose line was not found */
    char label[256];    /* the label of the last step marker */
};

static void capture_step(void *ctx, const struct event *ev)
{
    struct step_lines *sl = ctx;
    if (ev->kind == EV_STEP)
        snprintf(sl->label, sizeof sl->label, "%.*s", (int)ev->str_len, ev->str);
}

static void check_step_line(void *ctx, uint64_t step)
{
    struct step_lines *sl = ctx;
    if (sl->bad[0])
        return;
    if (sl->env->lost_lines || sl->env->source_line <= sl->last)
        snprintf(sl->bad, sizeof sl->bad, "step %lu (\"%s\") names no line of %s after line %u",
                 (unsigned long)step, sl->label, sl->env->source_path, sl->last);
    sl->last = sl->env->source_line;
}

/* Every step of every demo names a line of the demo's source, later than the step before's. */
Test(demo_sources, every_step_names_a_line_of_its_source, .timeout = 60)
{
    for (size_t i = 0; i < demo_count(); i++) {
        const struct demo *d = demo_at(i);
        const struct demo_source *src = demo_source_find(d->name);
        cr_assert_not_null(src);
        struct heap *h;
        struct runtime *rt;
        struct heap_arena_source as = heap_arena_source_aligned();
        struct workload_env env = {0};
        struct step_lines sl = {.env = &env};
        struct event_sink sink = {capture_step, &sl};
        cr_assert_eq(heap_new(&h, heap_profile_at(0), &as, NULL), 0);
        cr_assert_eq(rt_new(&rt, h, NULL, NULL), 0);
        env = (struct workload_env){.heap = h, .rt = rt, .pace = check_step_line, .pace_ctx = &sl};
        workload_source(&env, src->path, src->text); /* no sink yet: nothing is emitted */
        env.sink = sink;
        d->run(&env);
        rt_delete(rt);
        heap_delete(h);
        cr_assert_str_empty(sl.bad, "demo %s: %s", d->name, sl.bad);
        cr_assert_eq(env.lost_lines, 0, "demo %s: %u lines not found", d->name, env.lost_lines);
        cr_assert_geq(env.steps, 3, "demo %s has steps", d->name);
    }
}

static int run_demo_command(int argc, char **argv)
{
    struct cli c;
    bool done = false;
    int status = cli_parse(&cmd_demo, argc, argv, &c, &done);
    return status || done ? status : cmd_demo.run(&c);
}

Test(demo_sources, demo_source_command)
{
    char *ok[] = {"demo", "--source", "cycles", NULL};
    cr_assert_eq(run_demo_command(3, ok), 0);
    char *unknown[] = {"demo", "--source", "nope", NULL};
    cr_assert_eq(run_demo_command(3, unknown), CLI_EXIT_USAGE);
    char *allocator[] = {"demo", "--source", "layers", NULL};
    cr_assert_eq(run_demo_command(3, allocator), 0, "an allocator demo has its source too");
    char *missing[] = {"demo", "--source", NULL};
    cr_assert_eq(run_demo_command(2, missing), CLI_EXIT_USAGE);
    char *extra[] = {"demo", "cycles", "python3", NULL};
    cr_assert_eq(run_demo_command(3, extra), CLI_EXIT_USAGE, "words after NAME only with --real");
}

/* The program carries exactly the files of demos/, byte for byte. */
Test(demo_sources, embedded_sources_are_the_files)
{
    char pattern[4096];
    snprintf(pattern, sizeof pattern, "%s/demos/demo_*.py", SOURCE_ROOT);
    glob_t g;
    cr_assert_eq(glob(pattern, 0, NULL, &g), 0, "%s", pattern);
    cr_assert_eq(g.gl_pathc, demo_source_count);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const struct demo_source *s = NULL;
        for (size_t k = 0; k < demo_source_count; k++)
            if (strcmp(strrchr(demo_sources[k].path, '/'), strrchr(g.gl_pathv[i], '/')) == 0)
                s = &demo_sources[k];
        cr_assert_not_null(s, "%s is not in the program", g.gl_pathv[i]);
        FILE *f = fopen(g.gl_pathv[i], "rb");
        cr_assert_not_null(f);
        static char text[65536];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        cr_assert_str_eq(s->text, text, "%s", g.gl_pathv[i]);
    }
    globfree(&g);
}

Test(demo_sources, demos_print_what_python311_prints, .timeout = 60)
{
    cr_assert_eq(access("/usr/bin/python3.11", X_OK), 0, "/usr/bin/python3.11 is needed");
    compare_all("/usr/bin/python3.11", &(struct version){"3.11", NULL, "cpython-3.11"});
}

Test(demo_sources, demos_print_what_python312_prints, .timeout = 60)
{
    compare_pyenv(&(struct version){"3.12", NULL, "cpython-3.12"});
}

Test(demo_sources, demos_print_what_python39_prints, .timeout = 60)
{
    compare_pyenv(&(struct version){"3.9", "cpython-3.9", NULL});
}

Test(demo_sources, demos_print_what_python38_prints, .timeout = 60)
{
    compare_pyenv(&(struct version){"3.8", "cpython-3.8", NULL});
}

/* The patterns of the reasons: # is a number, everything else is itself. */
Test(demo_sources, a_reason_pattern_reads_hash_as_a_number)
{
    cr_assert(pattern_matches("gc.get_count() -> (#, #, #)", "gc.get_count() -> (12, 0, 2)"));
    cr_assert(pattern_matches("generation 2: 0; examined: #", "generation 2: 0; examined: 5793"));
    cr_assert_not(pattern_matches("generation 2: 0; examined: #", "generation 2: 1; examined: 5793"),
                  "a digit of the pattern is itself");
    cr_assert_not(pattern_matches("count #", "count "), "# is at least one digit");
    cr_assert_not(pattern_matches("count #", "count 12 more"), "the whole line");
    cr_assert_not(pattern_matches("count #", "count"));
    cr_assert(pattern_matches("", ""));
}
