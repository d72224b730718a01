/*
 * test_cli.c - `arenascope stats` run as the built program (meson passes its path in ARENASCOPE):
 * the same report as `record --stats` for the same workload, --at against the model folded in
 * process, --json parsed by Python, and bad input as one line with the right exit status.
 */
#include "prog.h"
#include "record.h"

#include <tracer/model.h>
#include <tracer/stats_report.h>
#include <tracer/trace.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


/* A random allocation script: sizes CPython asks for, now and then large or zero. */
static const char *write_ops(const char *name, uint64_t seed, int nops)
{
    const char *path = scratch_path(name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    struct rng g = {seed};
    uint32_t live[4096];
    size_t n = 0;
    uint32_t next = 0;
    for (int i = 0; i < nops; i++) {
        if (n && (rng_below(&g, 100) < 45 || n == 4096)) {
            size_t j = rng_below(&g, n);
            fprintf(f, "free %u\n", live[j]);
            live[j] = live[--n];
        } else {
            static const unsigned sizes[] = {16, 24, 32, 48, 64, 100, 200, 300, 512, 513, 4000, 0};
            unsigned sz = rng_below(&g, 4) ? sizes[rng_below(&g, 12)] : 1 + (unsigned)rng_below(&g, 512);
            fprintf(f, "alloc %u %u\n", next, sz);
            live[n++] = next++;
        }
        if (i % 5000 == 0)
            fprintf(f, "step round %d\n", i / 5000);
    }
    fclose(f);
    return path;
}

Test(stats_cli, same_report_as_record_stats, .timeout = 120)
{
    static const char *const profiles[] = {"cpython-3.10", "cpython-3.9", "cpython-3.8", "classic",
                                           "custom:align=16,threshold=256,pool=4K,arena=64K,keep-last=no,arena-map=48"};
    for (size_t i = 0; i < sizeof profiles / sizeof *profiles; i++) {
        char spec[600];
        snprintf(spec, sizeof spec, "ops:%s", write_ops("w.ops", 100 + i, 30000));
        const char *trace = scratch_path("w.trace");
        struct prog_result rec = prog_run((const char *[]){"record", "-p", profiles[i], "--stats", "-o", trace,
                                                 spec, NULL});
        cr_assert_eq(rec.status, 0, "%s: %s", profiles[i], rec.err);
        cr_assert(strstr(rec.out, "Small block threshold"), "%s", rec.out);
        struct prog_result st = prog_run((const char *[]){"stats", trace, NULL});
        cr_assert_eq(st.status, 0, "%s", st.err);
        cr_assert_str_eq(st.out, rec.out, "%s: stats FILE and record --stats differ", profiles[i]);
        prog_result_release(&rec);
        prog_result_release(&st);
    }
    /* the object runtime's workloads, with each collector profile */
    static const char *const runs[][2] = {
        {"demo:fragmentation", "cpython-3.8"}, {"demo:cycles", "cpython-3.13"},
        {"demo:finalizers", "legacy"},        {"demo:tour", "cpython-3.8"},
        {"churn:3000", "cpython-3.8"},
    };
    for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
        const char *trace = scratch_path("rt.trace");
        struct prog_result rec = prog_run((const char *[]){"record", "--gc-profile", runs[i][1], "--stats", "-o",
                                                 trace, runs[i][0], NULL});
        cr_assert_eq(rec.status, 0, "%s: %s", runs[i][0], rec.err);
        struct prog_result st = prog_run((const char *[]){"stats", trace, NULL});
        cr_assert_eq(st.status, 0, "%s: %s", runs[i][0], st.err);
        cr_assert_str_eq(st.out, rec.out, "%s: stats FILE and record --stats differ", runs[i][0]);
        prog_result_release(&rec);
        prog_result_release(&st);
        struct prog_result ck = prog_run((const char *[]){"check", "-q", trace, NULL});
        cr_assert_eq(ck.status, 0, "%s: %s", runs[i][0], ck.err);
        prog_result_release(&ck);
    }
}

Test(stats_cli, at_an_event_is_the_model_there)
{
    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", write_ops("at.ops", 7, 8000));
    const char *trace = scratch_path("at.trace");
    struct prog_result rec = prog_run((const char *[]){"record", "-o", trace, spec, NULL});
    cr_assert_eq(rec.status, 0, "%s", rec.err);
    prog_result_release(&rec);
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
    uint64_t n = seeker_event_count(s);
    uint64_t ats[] = {0, n / 3, n / 2 + 1, n - 1};
    for (size_t i = 0; i < 4; i++) {
        char at[32];
        snprintf(at, sizeof at, "%lu", (unsigned long)ats[i]);
        struct prog_result r = prog_run((const char *[]){"stats", "--at", at, trace, NULL});
        cr_assert_eq(r.status, 0, "%s", r.err);
        cr_assert_eq(seeker_seek(s, ats[i] + 1), 0, "%s", seeker_error(s));
        struct heap_stats st;
        model_get_stats(seeker_model(s), &st);
        char *want = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&want, &len);
        stats_report_print(mem, &st, STATS_REPORT_DEFAULT);
        fclose(mem);
        cr_assert_str_eq(r.out, want, "--at %s", at);
        free(want);
        prog_result_release(&r);
    }
    seeker_free(s);

    /* JSON: one object that Python parses, with the position and the collector's figures */
    struct prog_result r = prog_run((const char *[]){"stats", "--json", "--at", "10", trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *json = scratch_path("stats.json");
    FILE *f = fopen(json, "w");
    fputs(r.out, f);
    fclose(f);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys\n"
             "o = json.load(open(sys.argv[1]))\n"
             "assert o[\"position\"] == 11 and o[\"events\"] > 11, o\n"
             "assert o[\"heap\"][\"arenas\"][\"current\"] >= 1\n"
             "g = o[\"gc\"]\n"
             "assert all(x[\"collections\"] == 0 for x in g[\"generations\"])\n"
             "assert g[\"collections\"] == 0\n"
             "assert g[\"collected\"] == 0 and g[\"uncollectable\"] == 0' '%s'",
             json);
    cr_assert_eq(system(cmd), 0, "python3 rejects: %s", r.out);
    prog_result_release(&r);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

Test(stats_cli, bad_input_is_one_line)
{
    struct prog_result r = prog_run((const char *[]){"stats", scratch_path("missing.trace"), NULL});
    cr_assert_eq(r.status, 1);
    cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
    cr_assert(strstr(r.err, "arenascope stats: ") == r.err, "%s", r.err);
    prog_result_release(&r);

    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", write_ops("bad.ops", 3, 500));
    const char *trace = scratch_path("bad.trace");
    r = prog_run((const char *[]){"record", "-o", trace, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"stats", "--at", "99999999", trace, NULL});
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "no event 99999999"), "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"stats", "--at", "x", trace, NULL});
    cr_assert_eq(r.status, 2);
    prog_result_release(&r);

    /* an event that contradicts the ones before it: the first bad event, status 1 */
    const char *lie = scratch_path("lie.trace");
    struct trace_reader *rd;
    char err[512];
    cr_assert_eq(trace_reader_open(&rd, trace, 0, err, sizeof err), 0, "%s", err);
    struct trace_writer *w;
    cr_assert_eq(trace_writer_open(&w, lie, trace_reader_header(rd), err, sizeof err), 0, "%s", err);
    struct event ev;
    while (trace_reader_next(rd, &ev) == 1) {
        if (ev.seq == 300) { /* a second copy of a block_alloc would allocate a block twice */
            struct event d;
            memset(&d, 0, sizeof d);
            d.kind = EV_DECREF;
            d.u.decref.obj = 0x1234;
            trace_writer_emit(w, &d);
        }
        trace_writer_emit(w, &ev);
    }
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);
    trace_reader_free(rd);
    r = prog_run((const char *[]){"stats", lie, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
    cr_assert(strstr(r.err, "event 300: decref: 0x1234 is not a live object"), "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"check", lie, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "event 300: decref"), "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"stats", "--at", "299", lie, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
}
