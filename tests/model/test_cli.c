/*
 * test_cli.c - `arenascope stats` run as the built program (meson passes its path in ARENASCOPE):
 * the same report as `record --stats` for the same workload, --at against the model folded in
 * process, --json parsed by Python, and bad input as one line with the right exit status.
 */
#include "prog.h"
#include "pythons.h"
#include "record.h"

#include <allocator/runtime.h>
#include <tracer/codec.h>
#include <tracer/model.h>
#include <tracer/stats_report.h>
#include <tracer/trace.h>

#include <criterion/criterion.h>
#include <inttypes.h>
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
        {"demo:generations", "cpython-3.14"},
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

/* Re-encodes a checkpoint blob with its arenas vector claiming `slots` slots: the varints in
 * order are magic, version, six numbers of geometry, the position, (two more before layout 6),
 * then the slot count. */
static void *claim_slots(const void *blob, size_t len, uint64_t slots, size_t *outlen)
{
    const uint8_t *p = blob, *end = p + len;
    uint64_t v[12];
    size_t nv = 0, want = 9;
    while (nv < want) {
        cr_assert(codec_get_varint(&p, end, &v[nv]), "a checkpoint too short to re-encode");
        if (nv == 1 && v[1] <= 5)
            want = 11;
        nv++;
    }
    uint64_t old;
    cr_assert(codec_get_varint(&p, end, &old));
    uint8_t *out = malloc(len + 16), *q = out;
    for (size_t i = 0; i < nv; i++)
        q = codec_put_varint(q, v[i]);
    q = codec_put_varint(q, slots);
    memcpy(q, p, (size_t)(end - p));
    *outlen = (size_t)(q - out) + (size_t)(end - p);
    return out;
}

/* A count read from a file is believed only as far as the file's own events can back it: an
 * arenas vector of 16,777,216 slots in one event, or in a checkpoint, is damage, and costs no
 * memory (a 2 KB trace once made `stats` take 1.8 GB).  The measure is the peak resident memory
 * of the same command on the sound file, which the hostile one may not exceed by much. */
Test(stats_cli, a_count_from_the_file_costs_no_memory_the_file_cannot_back, .timeout = 120)
{
    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", write_ops("big-count.ops", 5, 400000));
    const char *sound = scratch_path("big-count.trace");
    struct prog_result r = prog_run((const char *[]){"record", "-o", sound, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"stats", sound, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t base_kb = r.maxrss_kb;
    prog_result_release(&r);
    const size_t slack_kb = 32 << 10;

    /* one event: the vector grows to 2^24 slots at once */
    struct trace_reader *rd;
    char err[512];
    cr_assert_eq(trace_reader_open(&rd, sound, 0, err, sizeof err), 0, "%s", err);
    const char *huge = scratch_path("huge-vector.trace");
    struct trace_writer *w;
    cr_assert_eq(trace_writer_open(&w, huge, trace_reader_header(rd), err, sizeof err), 0, "%s", err);
    struct event ev = {.kind = EV_ARENA_VECTOR};
    ev.u.arena_vector.slots = 1u << 24;
    trace_writer_emit(w, &ev);
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);
    r = prog_run((const char *[]){"stats", huge, NULL});
    cr_assert_eq(r.status, 1, "%s", r.out);
    cr_assert(strstr(r.err, "event 0: arena_vector: the arenas vector cannot go from 0 to 16777216 slots"),
              "%s", r.err);
    cr_assert_leq(r.maxrss_kb, base_kb + slack_kb, "stats took %zu KB on a one-event file (%zu on the sound one)",
                  r.maxrss_kb, base_kb);
    prog_result_release(&r);

    /* the last checkpoint of the sound trace claims 2^24 slots: forgotten as damaged, its
     * position is reached from an earlier one, or from the start */
    size_t n = trace_reader_checkpoint_count(rd);
    cr_assert_geq(n, 1, "the sound trace has a checkpoint to damage");
    uint64_t at = trace_reader_checkpoint_seq(rd, n - 1);
    struct trace_blob *blobs = calloc(n, sizeof *blobs);
    for (size_t i = 0; i < n; i++) {
        void *buf;
        size_t len;
        cr_assert_eq(trace_reader_checkpoint_load(rd, i, &buf, &len), 0);
        blobs[i].key = trace_reader_checkpoint_seq(rd, i);
        blobs[i].data = buf;
        blobs[i].len = len;
        if (i == n - 1) {
            blobs[i].data = claim_slots(buf, len, 1u << 24, &blobs[i].len);
            free(buf);
        }
    }
    trace_reader_free(rd);
    char cmd[1200];
    const char *forged = scratch_path("forged-checkpoint.trace");
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", sound, forged);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(trace_store_checkpoints(forged, blobs, n, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < n; i++)
        free((void *)blobs[i].data);
    free(blobs);

    char pos[32];
    snprintf(pos, sizeof pos, "%" PRIu64, at);
    struct prog_result want = prog_run((const char *[]){"stats", "--at", pos, sound, NULL});
    cr_assert_eq(want.status, 0, "%s", want.err);
    r = prog_run((const char *[]){"stats", "--at", pos, forged, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out + strcspn(r.out, "\n"), want.out + strcspn(want.out, "\n"),
                     "the same report after the file's name");
    cr_assert_leq(r.maxrss_kb, base_kb + slack_kb, "stats --at took %zu KB (%zu on the sound file)",
                  r.maxrss_kb, base_kb);
    prog_result_release(&r);
    prog_result_release(&want);
}

/* `screenshot -o` writes what the name's extension promises: text, SVG, or a PNG (the SVG
 * rendered at twice its size: the PNG's header gives twice the SVG's width and height), and
 * refuses another extension before writing anything. */
Test(screenshot_cli, the_output_name_says_what_is_written)
{
    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", write_ops("shot.ops", 5, 300));
    const char *trace = scratch_path("shot.trace");
    struct prog_result r = prog_run((const char *[]){"record", "-o", trace, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);

    const char *jpg = scratch_path("shot.jpg");
    unlink(jpg);
    r = prog_run((const char *[]){"screenshot", "-o", jpg, trace, NULL});
    cr_assert_eq(r.status, 2);
    cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
    cr_assert(strstr(r.err, "OUT.txt (text), OUT.svg or OUT.png (a picture), not .jpg"), "%s", r.err);
    cr_assert_neq(access(jpg, F_OK), 0, "nothing is written under a name that promises a JPEG");
    prog_result_release(&r);

    const char *svg = scratch_path("shot.svg");
    r = prog_run((const char *[]){"screenshot", "-s", "100x30", "-o", svg, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    FILE *f = fopen(svg, "r");
    cr_assert_not_null(f);
    char head[512] = "";
    size_t n = fread(head, 1, sizeof head - 1, f);
    head[n] = '\0';
    fclose(f);
    unsigned svg_w, svg_h;
    const char *tag = strstr(head, "<svg");
    cr_assert_not_null(tag, "%s", head);
    cr_assert_eq(sscanf(strstr(tag, "width="), "width=\"%u\" height=\"%u\"", &svg_w, &svg_h), 2, "%s", tag);

    const char *png = scratch_path("shot.png");
    r = prog_run((const char *[]){"screenshot", "-s", "100x30", "-o", png, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    f = fopen(png, "rb");
    cr_assert_not_null(f);
    unsigned char b[24];
    cr_assert_eq(fread(b, 1, 24, f), 24);
    fclose(f);
    cr_assert(memcmp(b, "\x89PNG\r\n\x1a\n", 8) == 0, "a PNG's signature");
    cr_assert(memcmp(b + 12, "IHDR", 4) == 0);
    unsigned w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    unsigned h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
    cr_assert_eq(w, 2 * svg_w, "width %u for an SVG of %u", w, svg_w);
    cr_assert_eq(h, 2 * svg_h, "height %u for an SVG of %u", h, svg_h);
}

/* The free-list lines of a sys._debugmallocstats() report in `text`: "LABEL EACH" each, in
 * order, one a line ("PyDictObjects 48"). */
static void freelist_lines(const char *text, char *out, size_t len)
{
    size_t pos = 0;
    out[0] = '\0';
    for (const char *line = text; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : line + strlen(line)) {
        const char *end = strchr(line, '\n');
        size_t n = end ? (size_t)(end - line) : strlen(line);
        char buf[256];
        if (n >= sizeof buf)
            continue;
        memcpy(buf, line, n);
        buf[n] = '\0';
        const char *free_at = strstr(buf, " free "), *star = strstr(buf, " * ");
        unsigned each;
        if (!free_at || !star || star < free_at || sscanf(star, " * %u bytes each", &each) != 1)
            continue;
        pos += (size_t)snprintf(out + pos, len - pos, "%.*s %u\n", (int)(star - free_at - 6), free_at + 6, each);
        cr_assert_lt(pos, len);
    }
}

/* `stats` lists the free lists of the profile's version: its lines (names, in order, and bytes
 * each) are those the real interpreter of the runtime's layout prints, asked at test time: 3.8
 * and 3.9 (pyenv's) for the cpython-3.8 and cpython-3.9 allocator profiles, 3.11 for the
 * default one. */
Test(stats_cli, the_free_lists_are_the_version_s, .timeout = 120)
{
    static const char *const profiles[] = {"cpython-3.8", "cpython-3.9", "cpython-3.10"};
    for (size_t i = 0; i < sizeof profiles / sizeof profiles[0]; i++) {
        const struct rt_layout *l = rt_layout_for(profiles[i], NULL);
        char python[4096];
        snprintf(python, sizeof python, "/usr/bin/%s", l->python);
        if (access(python, X_OK) != 0 && !pythons_pyenv(l->python + strlen("python"), python, sizeof python))
            cr_skip_test("%s (the layout of %s) is not installed", l->python, profiles[i]);
        char cmd[4200];
        snprintf(cmd, sizeof cmd, "'%s' -S -c 'import sys; sys._debugmallocstats()' 2>&1", python);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        static char report[1 << 16];
        size_t n = fread(report, 1, sizeof report - 1, p);
        report[n] = '\0';
        cr_assert_eq(pclose(p), 0, "%s", cmd);
        static char want[4096], got[4096];
        freelist_lines(report, want, sizeof want);
        cr_assert_gt(strlen(want), 0, "%s printed no free list:\n%s", python, report);

        const char *trace = scratch_path("fl.trace");
        struct prog_result r = prog_run((const char *[]){"record", "-p", profiles[i], "-o", trace, "demo:tour", NULL});
        cr_assert_eq(r.status, 0, "%s", r.err);
        prog_result_release(&r);
        r = prog_run((const char *[]){"stats", trace, NULL});
        cr_assert_eq(r.status, 0, "%s", r.err);
        freelist_lines(r.out, got, sizeof got);
        prog_result_release(&r);
        cr_assert_str_eq(got, want, "%s: stats' free lists, then %s's", profiles[i], python);
    }
}

/* What python2.7 says of its ints, asked at test time: whether it has sys._debugmallocstats()
 * (added in 3.3), an int's size, and how many ints a block holds (the longest run of new ints
 * one int apart).  Skips when no 2.7 is installed. */
static void python27_ints(bool *has_report, unsigned *size, unsigned *per_block)
{
    char python[4096];
    if (!pythons_pyenv("2.7", python, sizeof python))
        cr_skip_test("no python2.7 is installed");
    const char *script = scratch_path("ints27.py");
    FILE *f = fopen(script, "w");
    cr_assert_not_null(f);
    fputs("import sys\n"
          "xs = [int(str(i)) for i in range(1000, 1300)]\n"
          "steps = [id(b) - id(a) for a, b in zip(xs, xs[1:])]\n"
          "stride = max(set(steps), key=steps.count)\n"
          "best = run = 0\n"
          "for s in steps:\n"
          "    run = run + 1 if s == stride else 0\n"
          "    best = max(best, run)\n"
          "print('%d %d %d' % (hasattr(sys, '_debugmallocstats'), sys.getsizeof(1000), best + 1))\n",
          f);
    cr_assert_eq(fclose(f), 0);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "'%s' -S '%s'", python, script);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    int has = 0;
    int got = fscanf(p, "%d %u %u", &has, size, per_block);
    cr_assert_eq(pclose(p), 0, "%s", cmd);
    cr_assert_eq(got, 3, "%s", cmd);
    *has_report = has != 0;
}

/* Under the legacy profile (2.7's objects) `stats` lists the int free list 2.7 keeps in blocks
 * of its own.  2.7 has no sys._debugmallocstats() to compare the line with, so the line takes the
 * free lists' form; its size and count are compared with what python2.7 does: a PyIntObject of
 * its sys.getsizeof(1000), and after the first int is made, a fresh block's ints less one free. */
Test(stats_cli, the_int_free_list_of_2_7, .timeout = 60)
{
    bool has_report;
    unsigned size, per_block;
    python27_ints(&has_report, &size, &per_block);
    cr_assert_not(has_report, "python2.7 has a sys._debugmallocstats(): compare its lines instead");
    const char *trace = scratch_path("ints27.trace");
    struct prog_result r = prog_run((const char *[]){"record", "--gc-profile", "legacy", "-o", trace,
                                                     "demo:int-freelist", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"stats", "--at", "step:1", trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    static char got[4096];
    freelist_lines(r.out, got, sizeof got);
    char want[64], line[96];
    snprintf(want, sizeof want, "PyIntObjects %u\n", size);
    cr_assert(strstr(got, want), "no '%s' among the free lists:\n%s", want, got);
    snprintf(line, sizeof line, "%u free PyIntObjects * %u bytes each", per_block - 1, size);
    cr_assert(strstr(r.out, line), "after a = int(\"1000\"): no '%s' in\n%s", line, r.out);
    prog_result_release(&r);
}

/* Under the incremental collector (cpython-3.14) the Collector pane has two generations, young
 * and old, and during an increment names the phase that takes it, its size and its members; old's
 * row gives the counts of its two spaces, gc.get_count()[1] and [2] in 3.14, as the trace's
 * gc_count events of generations 1 and 2 last set them. */
Test(screenshot_cli, the_collector_pane_shows_young_old_and_the_increment)
{
    const char *trace = scratch_path("incr.trace");
    struct prog_result r = prog_run((const char *[]){"record", "--gc-profile", "cpython-3.14", "-o", trace,
                                                     "demo:generations", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    /* the last member announced of the first increment that has members */
    struct trace_reader *rd;
    char err[512];
    cr_assert_eq(trace_reader_open(&rd, trace, 0, err, sizeof err), 0, "%s", err);
    struct event ev;
    uint64_t pos = 0, at = 0, size = 0, counts[3] = {0};
    for (; trace_reader_next(rd, &ev) == 1 && (!at || pos <= at); pos++) {
        if (!at && ev.kind == EV_GC_PHASE && ev.u.gc_phase.phase == EV_GC_PHASE_INCREMENT && ev.u.gc_phase.n)
            size = ev.u.gc_phase.n, at = pos + 1 + size; /* its gc_merge, then a gc_mark each */
        if (ev.kind == EV_GC_COUNT && ev.u.gc_count.gen < 3)
            counts[ev.u.gc_count.gen] = ev.u.gc_count.count;
    }
    trace_reader_free(rd);
    cr_assert_gt(counts[2], 0, "a scavenge completed before: the pending space has a count");
    cr_assert_gt(at, 0, "the demo runs an increment");
    char at_text[32], size_text[32];
    snprintf(at_text, sizeof at_text, "%" PRIu64, at);
    snprintf(size_text, sizeof size_text, "take the increment (%" PRIu64 ")", size);
    const char *txt = scratch_path("incr.txt");
    r = prog_run((const char *[]){"screenshot", "--at", at_text, "--view", "gc", "-o", txt, trace, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    char *t = prog_read_file(txt, NULL);
    static const char *const want[] = {"young ", "old ", "perm ", "collecting old: one increment",
                                       "mark what the roots reach", "taken into this increment"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(t, want[i]), "no '%s' in:\n%s", want[i], t);
    cr_assert(strstr(t, size_text), "no '%s' in:\n%s", size_text, t);
    char spaces[64];
    snprintf(spaces, sizeof spaces, "visited %" PRIu64 ", pending %" PRIu64, counts[1], counts[2]);
    cr_assert(strstr(t, spaces), "no '%s' in:\n%s", spaces, t);
    cr_assert_null(strstr(t, "gen2"), "two generations only:\n%s", t);
    free(t);
}

/* `stats` adds a section CPython's report does not have, and says whose it is; `stats --cpython`
 * is CPython's report alone: the same text without that section. */
Test(stats_cli, the_section_cpython_does_not_print_is_marked_and_can_be_left_out)
{
    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", write_ops("cpy.ops", 7, 2000));
    const char *trace = scratch_path("cpy.trace");
    struct prog_result r = prog_run((const char *[]){"record", "-o", trace, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    struct prog_result full = prog_run((const char *[]){"stats", trace, NULL});
    struct prog_result cpy = prog_run((const char *[]){"stats", "--cpython", trace, NULL});
    cr_assert_eq(full.status, 0, "%s", full.err);
    cr_assert_eq(cpy.status, 0, "%s", cpy.err);
    const char *extra = strstr(full.out, "\n# arenascope's, not CPython's: the raw layer");
    cr_assert_not_null(extra, "%s", full.out);
    size_t keep = (size_t)(extra - full.out);
    cr_assert_eq(strlen(cpy.out), keep, "--cpython is the report up to arenascope's section");
    cr_assert(strncmp(cpy.out, full.out, keep) == 0);
    cr_assert_null(strstr(cpy.out, "arenascope"), "%s", cpy.out);
    prog_result_release(&full);
    prog_result_release(&cpy);
    r = prog_run((const char *[]){"stats", "--cpython", "--json", trace, NULL});
    cr_assert_eq(r.status, 2);
    prog_result_release(&r);
}

/* ---- diff ------------------------------------------------------------------------------------ */

static const char *write_text(const char *name, const char *text)
{
    const char *path = scratch_path(name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The seq of the n-th (from 1) event of kind k in a trace. */
static uint64_t nth_event(const char *trace, enum event_kind k, int n)
{
    struct trace_reader *r;
    char err[256];
    cr_assert_eq(trace_reader_open(&r, trace, 0, err, sizeof err), 0, "%s", err);
    struct event ev;
    uint64_t at = UINT64_MAX;
    while (trace_reader_next(r, &ev) == 1)
        if (ev.kind == k && --n == 0) {
            at = ev.seq;
            break;
        }
    trace_reader_free(r);
    cr_assert_neq(at, UINT64_MAX);
    return at;
}

/* Two scripts that differ in their sixth request differ first at its block_alloc; the same work
 * recorded twice, on aligned arenas the system placed elsewhere, is the same; a trace that stops
 * early is said to end there. */
Test(diff_cli, the_first_difference_is_where_the_work_parts)
{
    char a_ops[512] = "", b_ops[512] = "";
    for (int i = 0; i < 10; i++) {
        snprintf(a_ops + strlen(a_ops), sizeof a_ops - strlen(a_ops), "alloc %d 16\n", i);
        snprintf(b_ops + strlen(b_ops), sizeof b_ops - strlen(b_ops), "alloc %d %d\n", i, i == 5 ? 32 : 16);
    }
    char spec[600];
    const char *a = scratch_path("diff-a.trace"), *b = scratch_path("diff-b.trace"), *a2 = scratch_path("diff-a2.trace");
    snprintf(spec, sizeof spec, "ops:%s", write_text("diff-a.ops", a_ops));
    struct prog_result r = prog_run((const char *[]){"record", "--arena-source", "aligned", "-o", a, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"record", "--arena-source", "aligned", "-o", a2, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    snprintf(spec, sizeof spec, "ops:%s", write_text("diff-b.ops", b_ops));
    r = prog_run((const char *[]){"record", "--arena-source", "aligned", "-o", b, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);

    r = prog_run((const char *[]){"diff", a, a2, NULL});
    cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "are the same"), "%s", r.out);
    prog_result_release(&r);

    uint64_t sixth = nth_event(a, EV_BLOCK_ALLOC, 6);
    r = prog_run((const char *[]){"diff", a, b, NULL});
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    char want[64];
    snprintf(want, sizeof want, "differ at event %" PRIu64 " ", sixth);
    cr_assert(strstr(r.out, want), "'%s' lacks '%s'", r.out, want);
    /* A takes a sixth 16-byte block; B's 32 bytes are a class with no pool yet */
    cr_assert(strstr(r.out, "  A: block_alloc: alloc 16 B") && strstr(r.out, "  B: pool_carve: "), "%s", r.out);
    /* --first says the same, and is no partner of --view */
    struct prog_result first = prog_run((const char *[]){"diff", "--first", a, b, NULL});
    cr_assert_eq(first.status, 1);
    cr_assert_str_eq(first.out, r.out);
    prog_result_release(&first);
    first = prog_run((const char *[]){"diff", "--first", "--view", a, b, NULL});
    cr_assert_eq(first.status, 2, "%s", first.err);
    cr_assert(strstr(first.err, "one or the other"), "%s", first.err);
    cr_assert_eq(strchr(first.err, '\n'), first.err + strlen(first.err) - 1, "one line: %s", first.err);
    prog_result_release(&first);
    prog_result_release(&r);

    /* a prefix: the script without its last four requests */
    char short_ops[512] = "";
    for (int i = 0; i < 6; i++)
        snprintf(short_ops + strlen(short_ops), sizeof short_ops - strlen(short_ops), "alloc %d 16\n", i);
    const char *c = scratch_path("diff-c.trace");
    snprintf(spec, sizeof spec, "ops:%s", write_text("diff-c.ops", short_ops));
    r = prog_run((const char *[]){"record", "--arena-source", "aligned", "-o", c, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    r = prog_run((const char *[]){"diff", "--stats", a, c, NULL});
    cr_assert_eq(r.status, 1, "%s%s", r.out, r.err);
    cr_assert(strstr(r.out, "B: the trace ends here"), "%s", r.out);
    cr_assert(strstr(r.out, "# bytes in allocated blocks"), "--stats prints the reports: %s", r.out);
    prog_result_release(&r);

    r = prog_run((const char *[]){"diff", a, NULL});
    cr_assert_eq(r.status, 2);
    prog_result_release(&r);
}

/* `stats A B`: both reports side by side, each row the two reports' lines, a row marked * where
 * they differ. */
Test(stats_cli, two_traces_side_by_side)
{
    char spec[600];
    const char *a = scratch_path("two-a.trace"), *b = scratch_path("two-b.trace");
    snprintf(spec, sizeof spec, "ops:%s", write_ops("two-a.ops", 11, 3000));
    struct prog_result r = prog_run((const char *[]){"record", "-o", a, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    snprintf(spec, sizeof spec, "ops:%s", write_ops("two-b.ops", 12, 3000));
    r = prog_run((const char *[]){"record", "-o", b, spec, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);

    struct prog_result one = prog_run((const char *[]){"stats", a, NULL});
    struct prog_result two = prog_run((const char *[]){"stats", a, a, NULL});
    cr_assert_eq(two.status, 0, "%s", two.err);
    /* every row after the titles: the left column is A's line, the right one too, marked | */
    const char *p = strchr(two.out, '\n') + 1, *q = one.out;
    int rows = 0;
    while (*q) {
        const char *qn = strchr(q, '\n'), *pn = strchr(p, '\n');
        cr_assert_not_null(pn);
        size_t len = (size_t)(qn - q);
        cr_assert(strncmp(p, q, len) == 0, "row %d: '%.*s'", rows, (int)(pn - p), p);
        const char *mark = strstr(p + len, " | ");
        cr_assert(mark && mark < pn && strncmp(mark + 3, q, len) == 0, "row %d: '%.*s'", rows, (int)(pn - p), p);
        q = qn + 1, p = pn + 1, rows++;
    }
    cr_assert_gt(rows, 10);
    prog_result_release(&one);
    prog_result_release(&two);

    r = prog_run((const char *[]){"stats", a, b, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, " * "), "two different heaps differ somewhere: %s", r.out);
    prog_result_release(&r);
    r = prog_run((const char *[]){"stats", "--json", a, b, NULL});
    cr_assert_eq(r.status, 2);
    prog_result_release(&r);
}
