/*
 * test_export.c - `arenascope export` run as the built program: the Perfetto file checked against
 * the trace event format's rules by check_trace_events.py and its figures against the model
 * folded in process (the last counters, the collections, the arenas obtained and released); the
 * folded stacks summed against the model's live bytes and the allocations read from the trace;
 * the JSON document parsed by Python and counted against the model; bad input in one line.
 */
#include "prog.h"
#include "scratch.h"

#include <tracer/model.h>
#include <tracer/trace.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------------------- */

static const char *record(const char *name, const char *const *args)
{
    const char *trace = scratch_path(name);
    const char *argv[16] = {"record", "-o", trace};
    size_t n = 3;
    for (; *args; args++)
        argv[n++] = *args;
    argv[n] = NULL;
    struct prog_result r = prog_run(argv);
    cr_assert_eq(r.status, 0, "record %s: %s", name, r.err);
    prog_result_release(&r);
    return trace;
}

/* The value of "key=" in the checker's output; fails when absent. */
static uint64_t summary(const char *out, const char *key)
{
    char pat[256];
    snprintf(pat, sizeof pat, "%s=", key);
    for (const char *p = out; (p = strstr(p, pat)) != NULL; p++)
        if (p == out || p[-1] == '\n')
            return strtoull(p + strlen(pat), NULL, 10);
    cr_assert_fail("no %s in:\n%s", key, out);
    return 0;
}

static uint64_t summary_or(const char *out, const char *key, uint64_t def)
{
    char pat[256];
    snprintf(pat, sizeof pat, "\n%s=", key);
    return strstr(out, pat) ? summary(out, key) : def;
}

/* Runs the checker on a Perfetto file; returns its output (caller frees). */
static char *check_events(const char *json)
{
    char cmd[2048];
    const char *out = scratch_path("check.out");
    snprintf(cmd, sizeof cmd, "python3 '%s' '%s' > '%s'", EXPORT_CHECKER, json, out);
    cr_assert_eq(system(cmd), 0, "%s breaks the trace event format's rules", json);
    size_t len;
    char *text = prog_read_file(out, &len);
    char *s = malloc(len + 2);
    s[0] = '\n';
    memcpy(s + 1, text, len + 1);
    free(text);
    return s;
}

static struct seeker *open_at(const char *trace, uint64_t pos)
{
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_seek(s, pos == UINT64_MAX ? seeker_event_count(s) : pos), 0);
    return s;
}

/* Events of one kind in [from, to), read from the file. */
static uint64_t count_kind(const char *trace, enum event_kind kind, uint64_t from, uint64_t to)
{
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, trace, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_seek(r, from), 0);
    struct event ev;
    uint64_t n = 0;
    for (uint64_t seq = from; seq < to && trace_reader_next(r, &ev) == 1; seq++)
        n += ev.kind == kind;
    trace_reader_free(r);
    return n;
}

static uint64_t events_of(const char *trace)
{
    struct seeker *s = open_at(trace, 0);
    uint64_t n = seeker_event_count(s);
    seeker_free(s);
    return n;
}

/* No temporary file left beside the outputs. */
static void assert_no_temporaries(void)
{
    DIR *d = opendir(scratch_dir());
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        cr_assert_null(strstr(e->d_name, ".tmp-"), "left behind: %s", e->d_name);
    closedir(d);
}

/* The figures of the checker's output against the model at position `to`. */
static void assert_perfetto_figures(const char *trace, const char *out, uint64_t from, uint64_t to)
{
    struct seeker *s = open_at(trace, to);
    const struct model *m = seeker_model(s);
    struct model_totals t;
    model_totals(m, &t);
    cr_assert_eq(summary(out, "C|bytes in use|pool blocks"), t.block_bytes, "%s", trace);
    cr_assert_eq(summary(out, "C|bytes in use|raw"), t.raw_bytes, "%s", trace);
    cr_assert_eq(summary(out, "C|arenas held|arenas"), model_arena_count(m), "%s", trace);
    uint64_t used = 0, full = 0, empty = 0;
    struct model_arena a;
    for (uint32_t i = 0; i < model_arena_slots(m); i++)
        for (uint32_t p = 0; model_arena_at(m, i, &a) && p < a.npools; p++) {
            struct model_pool pool;
            cr_assert(model_pool_at(m, i, p, &pool));
            used += pool.state == MODEL_POOL_USED;
            full += pool.state == MODEL_POOL_FULL;
            empty += pool.state == MODEL_POOL_EMPTY;
        }
    cr_assert_eq(summary(out, "C|pools|used"), used, "%s", trace);
    cr_assert_eq(summary(out, "C|pools|full"), full, "%s", trace);
    cr_assert_eq(summary(out, "C|pools|empty"), empty, "%s", trace);
    struct model_gc gc;
    model_gc(m, &gc);
    for (uint32_t g = 0; g < gc.ngenerations; g++) {
        char key[64];
        snprintf(key, sizeof key, "C|collector counts|generation %u", g);
        cr_assert_eq(summary(out, key), gc.gen[g].count, "%s: %s", trace, key);
    }
    /* every collection that ended in the range is a slice, with one nested slice per phase */
    cr_assert_eq(summary_or(out, "X|gc", 0), count_kind(trace, EV_GC_END, from, to), "%s", trace);
    if (from == 0)
        cr_assert_eq(summary_or(out, "X|gc", 0), gc.collections, "%s", trace);
    cr_assert_eq(summary_or(out, "i|arena obtained", 0), count_kind(trace, EV_ARENA_NEW, from, to), "%s", trace);
    cr_assert_eq(summary_or(out, "i|arena released", 0), count_kind(trace, EV_ARENA_FREE, from, to), "%s", trace);
    uint64_t steps = count_kind(trace, EV_STEP, from, to);
    struct model_step st;
    uint64_t open_before = 0;
    if (from > 0) {
        struct seeker *s0 = open_at(trace, from);
        open_before = model_step_current(seeker_model(s0), &st);
        seeker_free(s0);
    }
    cr_assert_eq(summary_or(out, "X|step", 0), steps + open_before, "%s", trace);
    cr_assert_geq(summary(out, "ts_min"), from);
    cr_assert_lt(summary(out, "ts_max"), to);
    seeker_free(s);
}

/* ---- perfetto ------------------------------------------------------------------------------ */

Test(export, perfetto_follows_the_format_and_the_model, .timeout = 240)
{
    struct {
        const char *name;
        const char *args[6];
    } runs[] = {
        {"tour.trace", {"--stacks", "c", "demo:tour", NULL}},
        {"cycles.trace", {"--gc-profile", "cpython-3.13", "demo:cycles", NULL}},
        {"finalizers.trace", {"--gc-profile", "legacy", "demo:finalizers", NULL}},
        {"frag.trace", {"demo:fragmentation", NULL}},
        {"churn.trace", {"churn:20000", NULL}},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        const char *trace = record(runs[i].name, runs[i].args);
        const char *json = scratch_path("out.json");
        struct prog_result r = prog_run((const char *[]){"export", "--format", "perfetto", "-o", json, trace, NULL});
        cr_assert_eq(r.status, 0, "%s: %s", runs[i].name, r.err);
        cr_assert_eq(r.out_len, 0, "-o writes nothing to standard output");
        prog_result_release(&r);
        char *out = check_events(json);
        assert_perfetto_figures(trace, out, 0, events_of(trace));
        free(out);
        assert_no_temporaries();
    }
}

Test(export, perfetto_samples_are_bounded_and_a_range_starts_from_its_state, .timeout = 240)
{
    const char *trace = record("churn.trace", (const char *[]){"churn:60000", NULL});
    uint64_t n = events_of(trace);
    cr_assert_gt(n, 100000);
    const char *json = scratch_path("bounded.json");
    /* to standard output, with a sample at most every 1000 events per track */
    struct prog_result r = prog_run((const char *[]){"export", "-f", "perfetto", "--every", "1000", trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    FILE *f = fopen(json, "w");
    fwrite(r.out, 1, r.out_len, f);
    fclose(f);
    prog_result_release(&r);
    char *out = check_events(json);
    uint64_t bound = n / 1000 + 1 + count_kind(trace, EV_STEP, 0, n) + 1;
    static const char *const tracks[] = {"bytes in use", "arenas held", "pools", "collector counts"};
    for (size_t i = 0; i < 4; i++) {
        char key[64];
        snprintf(key, sizeof key, "samples|%s", tracks[i]);
        cr_assert_leq(summary(out, key), bound, "%s: %" PRIu64 " samples for %" PRIu64 " events", key,
                      summary(out, key), n);
    }
    assert_perfetto_figures(trace, out, 0, n);
    free(out);

    /* a range: the counters end at the model at --to, nothing outside it */
    char from[32], to[32];
    uint64_t a = n / 3, b = 2 * n / 3;
    snprintf(from, sizeof from, "%" PRIu64, a - 1); /* --from N: right after event N */
    snprintf(to, sizeof to, "%" PRIu64, b - 1);
    r = prog_run((const char *[]){"export", "-f", "perfetto", "--from", from, "--to", to, "-o", json, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    out = check_events(json);
    assert_perfetto_figures(trace, out, a, b);
    free(out);
}

Test(export, perfetto_range_from_inside_a_collection)
{
    const char *trace = record("tour.trace", (const char *[]){"demo:tour", NULL});
    uint64_t n = events_of(trace);
    /* the position three events into the first collection */
    struct trace_reader *rd;
    char err[512];
    cr_assert_eq(trace_reader_open(&rd, trace, 0, err, sizeof err), 0, "%s", err);
    struct event ev;
    uint64_t start = UINT64_MAX;
    while (start == UINT64_MAX && trace_reader_next(rd, &ev) == 1)
        if (ev.kind == EV_GC_START)
            start = ev.seq;
    trace_reader_free(rd);
    cr_assert_neq(start, UINT64_MAX, "the tour has a collection");
    struct seeker *s = open_at(trace, start + 4);
    struct model_gc gc;
    model_gc(seeker_model(s), &gc);
    cr_assert(gc.collecting, "event %" PRIu64 " is inside the collection", start + 3);
    seeker_free(s);
    char from[32];
    snprintf(from, sizeof from, "%" PRIu64, start + 3);
    const char *json = scratch_path("inside.json");
    struct prog_result r = prog_run((const char *[]){"export", "-f", "perfetto", "--from", from, "-o", json, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    char *out = check_events(json);
    assert_perfetto_figures(trace, out, start + 4, n);
    free(out);
}

Test(export, text_that_is_not_utf8_still_makes_json)
{
    /* an allocation script in Latin-1: its step label has a byte that is not UTF-8 */
    const char *ops = scratch_path("latin1.ops");
    FILE *f = fopen(ops, "w");
    fputs("step caf\xe9 \"quoted\", a \\ and \xe2\x82\xac.\nalloc 1 24\nalloc 2 600\nstep two.\nfree 1\n", f);
    fclose(f);
    const char *check = scratch_path("latin1.py");
    f = fopen(check, "w");
    fputs("import json, sys\n"
          "d = json.load(open(sys.argv[1], encoding='utf-8'))\n"
          "want = 'caf\\ufffd \"quoted\", a \\\\ and \\u20ac.'\n"
          "if sys.argv[2] == 'json':\n"
          "    assert d['step']['label'] == want, d['step']\n"
          "else:\n"
          "    assert want in [e['name'] for e in d['traceEvents']], [e['name'] for e in d['traceEvents']]\n",
          f);
    fclose(f);
    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", ops);
    const char *trace = record("latin1.trace", (const char *[]){spec, NULL});
    static const char *const formats[] = {"perfetto", "json"};
    for (size_t i = 0; i < 2; i++) {
        const char *json = scratch_path("latin1.json");
        struct prog_result r = prog_run((const char *[]){"export", "-f", formats[i], "--to", "step:1", "-o", json, trace, NULL});
        if (i == 1) {
            prog_result_release(&r);
            r = prog_run((const char *[]){"export", "-f", formats[i], "--at", "step:1", "-o", json, trace, NULL});
        }
        cr_assert_eq(r.status, 0, "%s", r.err);
        prog_result_release(&r);
        char cmd[1024];
        snprintf(cmd, sizeof cmd, "python3 '%s' '%s' %s", check, json, formats[i]);
        cr_assert_eq(system(cmd), 0, "%s: not JSON, or the label is not kept", formats[i]);
    }
}

/* ---- collapsed --------------------------------------------------------------------------- */

/* Checks every line ("frame;frame VALUE") and returns the values' sum. */
static uint64_t folded_sum(const char *text, size_t *nlines)
{
    uint64_t sum = 0;
    *nlines = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        cr_assert_not_null(end, "the last line is not ended");
        const char *sp = end;
        while (sp > line && sp[-1] != ' ')
            sp--;
        cr_assert(sp > line + 1, "no stack before the value: %.*s", (int)(end - line), line);
        cr_assert(sp < end, "no value: %.*s", (int)(end - line), line);
        for (const char *d = sp; d < end; d++)
            cr_assert(*d >= '0' && *d <= '9', "not a number: %.*s", (int)(end - line), line);
        for (const char *q = line; q < sp - 1; q++)
            cr_assert(*q != '\t' && *q != '\r', "a control character in a frame");
        cr_assert(line[0] != ';' && sp[-2] != ';', "an empty frame: %.*s", (int)(end - line), line);
        cr_assert_null(memmem(line, (size_t)(sp - line), ";;", 2), "an empty frame");
        uint64_t v = strtoull(sp, NULL, 10);
        cr_assert_gt(v, 0);
        sum += v;
        (*nlines)++;
        line = end + 1;
    }
    return sum;
}

static void assert_live_sum(const char *trace, const char *at, uint64_t pos)
{
    struct prog_result r = prog_run((const char *[]){"export", "--format", "collapsed", "--at", at, trace, NULL});
    cr_assert_eq(r.status, 0, "%s --at %s: %s", trace, at, r.err);
    size_t lines;
    uint64_t sum = folded_sum(r.out, &lines);
    struct seeker *s = open_at(trace, pos);
    struct model_totals t;
    model_totals(seeker_model(s), &t);
    cr_assert_eq(sum, t.block_bytes + t.raw_bytes, "%s --at %s: the lines sum to %" PRIu64 ", the model has %" PRIu64,
                 trace, at, sum, t.block_bytes + t.raw_bytes);
    cr_assert_eq(lines > 0, t.blocks + t.raw_blocks > 0);
    seeker_free(s);
    prog_result_release(&r);
}

Test(export, collapsed_sums_to_the_live_bytes, .timeout = 240)
{
    const char *trace = record("frag.trace", (const char *[]){"--stacks", "c", "demo:fragmentation", NULL});
    uint64_t n = events_of(trace);
    for (uint64_t k = 1; k <= 9; k++) {
        char at[32];
        snprintf(at, sizeof at, "%" PRIu64, k * n / 10);
        assert_live_sum(trace, at, k * n / 10 + 1);
    }
    assert_live_sum(trace, "end", n);
    /* an outermost frame first: a C stack starts at the program's entry */
    struct prog_result r = prog_run((const char *[]){"export", "-f", "collapsed", "--at", "step:2", trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "_start", 6) == 0 || strstr(r.out, "main"), "%s", r.out);
    cr_assert(strstr(r.out, "demo_run_fragmentation"), "%s", r.out);
    prog_result_release(&r);
}

Test(export, collapsed_of_a_python_program, .timeout = 240)
{
    const char *py = "/usr/bin/python3.11";
    if (access(py, X_OK) != 0)
        cr_skip_test("%s is not installed", py);
    const char *script = scratch_path("prog.py");
    FILE *f = fopen(script, "w");
    fputs("def make(n):\n    return [str(i) * 3 for i in range(n)]\n"
          "keep = make(5000)\nd = {i: i for i in range(2000)}\nprint(len(keep))\n",
          f);
    fclose(f);
    const char *trace = record("py.trace", (const char *[]){"--", py, script, NULL});
    assert_live_sum(trace, "end", events_of(trace));
    /* right after the marker of line 4: the list that line 3 made is live */
    struct trace_reader *rd;
    char err[512];
    cr_assert_eq(trace_reader_open(&rd, trace, 0, err, sizeof err), 0, "%s", err);
    struct event ev;
    uint64_t seq = 0;
    bool found = false;
    while (!found && trace_reader_next(rd, &ev) == 1)
        found = ev.kind == EV_STEP && memmem(ev.str, ev.str_len, "prog.py:4", 9) != NULL && (seq = ev.seq, true);
    trace_reader_free(rd);
    cr_assert(found, "no step marker for line 4");
    char at[32];
    snprintf(at, sizeof at, "%" PRIu64, seq);
    assert_live_sum(trace, at, seq + 1);
    struct prog_result r = prog_run((const char *[]){"export", "-f", "collapsed", "--at", at, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "<module> (") && strstr(r.out, "prog.py:3);make (") && strstr(r.out, "prog.py:2)"),
              "the lines that allocate, outermost first: %s", r.out);
    prog_result_release(&r);
}

Test(export, collapsed_range_sums_the_allocations, .timeout = 240)
{
    const char *trace = record("churn-stacks.trace", (const char *[]){"--stacks", "c", "churn:5000", NULL});
    uint64_t n = events_of(trace);
    uint64_t a = n / 4, b = 3 * n / 4;
    char from[32], to[32];
    snprintf(from, sizeof from, "%" PRIu64, a - 1);
    snprintf(to, sizeof to, "%" PRIu64, b - 1);
    struct prog_result r = prog_run((const char *[]){"export", "-f", "collapsed", "--from", from, "--to", to, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t lines;
    uint64_t sum = folded_sum(r.out, &lines);
    struct trace_reader *rd;
    char err[512];
    cr_assert_eq(trace_reader_open(&rd, trace, 0, err, sizeof err), 0);
    cr_assert_eq(trace_reader_seek(rd, a), 0);
    uint64_t want = 0;
    struct event ev;
    for (uint64_t seq = a; seq < b && trace_reader_next(rd, &ev) == 1; seq++)
        want += ev.kind == EV_BLOCK_ALLOC ? ev.u.block_alloc.size
                : ev.kind == EV_RAW_ALLOC ? ev.u.raw_alloc.size : 0;
    trace_reader_free(rd);
    cr_assert_gt(want, 0);
    cr_assert_eq(sum, want, "%" PRIu64 " bytes in the lines, %" PRIu64 " allocated", sum, want);
    prog_result_release(&r);
}

/* ---- json ---------------------------------------------------------------------------------- */

Test(export, json_counts_as_the_model, .timeout = 240)
{
    const char *trace = record("tour.trace", (const char *[]){"--stacks", "c", "demo:tour", NULL});
    uint64_t n = events_of(trace);
    for (uint64_t k = 1; k <= 4; k++) {
        uint64_t pos = k * n / 5;
        char at[32];
        snprintf(at, sizeof at, "%" PRIu64, pos - 1);
        const char *json = scratch_path("state.json");
        struct prog_result r = prog_run((const char *[]){"export", "-f", "json", "--at", at, "-o", json, trace, NULL});
        cr_assert_eq(r.status, 0, "%s", r.err);
        prog_result_release(&r);
        struct seeker *s = open_at(trace, pos);
        const struct model *m = seeker_model(s);
        struct model_totals t;
        model_totals(m, &t);
        struct model_gc gc;
        model_gc(m, &gc);
        struct model_geometry geo;
        model_geometry(m, &geo);
        char cmd[4096];
        snprintf(cmd, sizeof cmd,
                 "python3 -c 'import json,sys\n"
                 "d = json.load(open(sys.argv[1]))\n"
                 "assert d[\"position\"] == %" PRIu64 ", d[\"position\"]\n"
                 "assert len(d[\"arenas\"]) == %u, len(d[\"arenas\"])\n"
                 "assert len(d[\"classes\"]) == %u\n"
                 "assert len(d[\"objects\"]) == %zu, len(d[\"objects\"])\n"
                 "assert len(d[\"raw\"]) == %zu\n"
                 "assert sum(k[\"blocks\"] for k in d[\"classes\"]) == %" PRIu64 "\n"
                 "assert sum(p.get(\"blocks\", 0) for a in d[\"arenas\"] for p in a[\"pools\"] if p[\"state\"] in (\"used\", \"full\")) == %" PRIu64 "\n"
                 "assert sum(r[\"size\"] for r in d[\"raw\"]) == %" PRIu64 "\n"
                 "assert len(d[\"gc\"][\"generations\"]) == %u + 1\n"
                 "assert d[\"gc\"][\"collections\"] == %" PRIu64 "\n"
                 "assert all(isinstance(o[\"type\"], str) and o[\"addr\"].startswith(\"0x\") for o in d[\"objects\"])' '%s'",
                 pos, model_arena_count(m), geo.nclasses, model_object_count(m), model_raw_count(m), t.blocks,
                 t.blocks, t.raw_bytes, gc.ngenerations, gc.collections, json);
        cr_assert_eq(system(cmd), 0, "python3 rejects the JSON at %s", at);
        seeker_free(s);
    }
}

/* ---- html ---------------------------------------------------------------------------------- */

Test(export, html_is_one_screen_a_step_and_fetches_nothing, .timeout = 240)
{
    const char *trace = record("tour.trace", (const char *[]){"demo:tour", NULL});
    const char *html = scratch_path("tour.html");
    struct prog_result r = prog_run((const char *[]){"export", "-f", "html", "--size", "100x30", "-o", html, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    /* the labels, in order, from the trace itself */
    const char *labels = scratch_path("labels.txt");
    struct trace_reader *rd;
    char err[512];
    cr_assert_eq(trace_reader_open(&rd, trace, 0, err, sizeof err), 0, "%s", err);
    FILE *f = fopen(labels, "w");
    struct event ev;
    size_t nsteps = 0;
    while (trace_reader_next(rd, &ev) == 1)
        if (ev.kind == EV_STEP) {
            fprintf(f, "%.*s\n", (int)ev.str_len, ev.str);
            nsteps++;
        }
    fclose(f);
    trace_reader_free(rd);
    cr_assert_gt(nsteps, 3);
    /* Python's HTML parser: one section per step with its label and one SVG screen of the size
     * asked for, nothing loaded from elsewhere, the script that steps through them */
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import sys, html.parser\n"
             "labels = open(sys.argv[2]).read().splitlines()\n"
             "class P(html.parser.HTMLParser):\n"
             "    def __init__(self):\n"
             "        super().__init__(); self.sections = []; self.svgs = []; self.inp = False; self.refs = []; self.scripts = 0; self.text = \"\"\n"
             "    def handle_starttag(self, tag, attrs):\n"
             "        a = dict(attrs)\n"
             "        for k in (\"src\", \"href\"):\n"
             "            if k in a and tag != \"svg\": self.refs.append(a[k])\n"
             "        if tag == \"section\": self.sections.append(a[\"id\"])\n"
             "        if tag == \"svg\": self.svgs.append((a[\"width\"], a[\"height\"]))\n"
             "        if tag == \"p\": self.inp = True; self.text = \"\"\n"
             "        if tag == \"script\": self.scripts += 1\n"
             "    def handle_endtag(self, tag):\n"
             "        if tag == \"p\" and self.inp: self.inp = False; self.ps.append(self.text)\n"
             "    def handle_data(self, d):\n"
             "        if self.inp: self.text += d\n"
             "p = P(); p.ps = []\n"
             "p.feed(open(sys.argv[1]).read())\n"
             "assert p.sections == [\"step-%%d\" %% (i + 1) for i in range(len(labels))], p.sections\n"
             "assert p.ps == labels, (p.ps, labels)\n"
             "assert len(p.svgs) == len(labels) and len(set(p.svgs)) == 1, p.svgs\n"
             "assert not p.refs, p.refs\n"
             "assert p.scripts == 1\n"
             "' '%s' '%s'",
             html, labels);
    cr_assert_eq(system(cmd), 0, "python3 rejects %s", html);
    /* the screens are the viewer's: the SVG of step 2 is the screenshot of step:2 */
    const char *shot = scratch_path("step2.svg");
    r = prog_run((const char *[]){"screenshot", "--at", "step:2", "--size", "100x30", "-o", shot, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    char *page = prog_read_file(html, NULL);
    char *svg = prog_read_file(shot, NULL);
    const char *sec = strstr(page, "<section id=\"step-2\">");
    cr_assert_not_null(sec);
    cr_assert_not_null(strstr(sec, svg), "step 2's screen is not the screenshot at step:2");
    cr_assert(strstr(sec, svg) < strstr(sec, "</section>"));
    free(page);
    free(svg);
    /* a range keeps the steps whose markers are in it: step:1 ends where marker 2 begins */
    r = prog_run((const char *[]){"export", "-f", "html", "--from", "step:1", "--to", "step:3", "-o", html, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    page = prog_read_file(html, NULL);
    cr_assert_null(strstr(page, "<section id=\"step-1\""));
    cr_assert_not_null(strstr(page, "<section id=\"step-2\""));
    cr_assert_not_null(strstr(page, "<section id=\"step-3\""));
    cr_assert_null(strstr(page, "<section id=\"step-4\""));
    free(page);
    assert_no_temporaries();
}

/* ---- bad input ----------------------------------------------------------------------------- */

static void assert_one_line_error(const char *const *argv, int status)
{
    struct prog_result r = prog_run(argv);
    cr_assert_eq(r.status, status, "%s %s: status %d: %s", argv[0], argv[1], r.status, r.err);
    cr_assert_eq(r.out_len, 0, "%s", r.out);
    cr_assert_gt(r.err_len, 0);
    cr_assert_eq(strchr(r.err, '\n'), r.err + r.err_len - 1, "one line: %s", r.err);
    cr_assert(strncmp(r.err, "arenascope export: ", 19) == 0, "%s", r.err);
    prog_result_release(&r);
}

Test(export, bad_input_is_one_line)
{
    const char *plain = record("plain.trace", (const char *[]){"demo:tour", NULL});
    const char *out = scratch_path("never.txt");
    assert_one_line_error((const char *[]){"export", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "svg", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "perfetto", "--at", "3", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "json", "--from", "3", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "collapsed", "--at", "3", "--to", "5", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "json", "--at", "step:99", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "perfetto", "--from", "50", "--to", "10", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "json", scratch_path("missing.trace"), NULL}, 1);
    assert_one_line_error((const char *[]){"export", "-f", "html", "--at", "3", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "html", "--size", "10x10", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "json", "--size", "100x30", plain, NULL}, 2);
    assert_one_line_error((const char *[]){"export", "-f", "json", "-o", "/nonexistent/dir/x.json", plain, NULL}, 1);
    /* a trace recorded without stacks has no flame graph: one line, and no file written (a
     * demo's allocations have its step's line for a stack; a churn workload's have none) */
    const char *bare = record("bare.trace", (const char *[]){"churn:2000", NULL});
    assert_one_line_error((const char *[]){"export", "-f", "collapsed", "-o", out, bare, NULL}, 1);
    cr_assert_neq(access(out, F_OK), 0, "a failed export leaves no file");
    assert_no_temporaries();
    /* --help says what the time axis and the live bytes are */
    struct prog_result r = prog_run((const char *[]){"export", "--help", NULL});
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "1 event = 1 us"), "%s", r.out);
    cr_assert(strstr(r.out, "block bytes plus the raw bytes"), "%s", r.out);
    prog_result_release(&r);
}
