/*
 * The info, dump and check commands, run as the built program (meson passes its path in
 * ARENASCOPE): their output, their one-line errors and their exit codes.
 */
#include "helpers.h"
#include "prog.h"

#include <allocator/heap.h>
#include <tracer/model.h>

#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

/* A one-line error: "arenascope CMD: PATH: ..." and exit status 1. */
static void expect_error(const char *cmd, const char *path, const char *msg)
{
    struct prog_result r = prog_run((const char *[]){cmd, path, NULL});
    cr_assert_eq(r.status, 1, "%s %s: status %d", cmd, path, r.status);
    cr_assert_eq(count_lines(r.err), 1, "%s %s: stderr is one line: %s", cmd, path, r.err);
    char prefix[512];
    snprintf(prefix, sizeof prefix, "arenascope %s: %s: ", cmd, path);
    cr_assert(strncmp(r.err, prefix, strlen(prefix)) == 0, "'%s' does not start with '%s'", r.err, prefix);
    cr_assert(strstr(r.err, msg), "'%s' lacks '%s'", r.err, msg);
    prog_result_release(&r);
}

static struct evlist sample;

static const char *sample_trace(const char *name, bool finish)
{
    evlist_random_new(&sample, 31, 3000);
    const char *path = scratch_path(name);
    write_trace(path, &sample, 1000, finish);
    return path;
}

Test(cli, info_describes_a_complete_trace)
{
    const char *path = sample_trace("info.trace", true);
    struct prog_result r = prog_run((const char *[]){"info", path, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.err_len, 0, "%s", r.err);
    char version[64];
    snprintf(version, sizeof version, "format       version %d, written by arenascope test\n", TRACE_FORMAT_VERSION);
    const char *const want[] = {
        version,
        "command      arenascope record -o t.trace churn\n",
        "recorded     2023-11-14 22:13:20 UTC\n",
        "allocator    cpython-3.10, arenas from aligned\n",
        "alignment 16, threshold 512, pool 16 KiB, arena 1 MiB, pool header 48, pointers 8 bytes, keeps the last free arena\n",
        "collector    cpython-3.8: 3 generations (gen0 700, gen1 10, gen2 10)\n",
        "arena map (radix tree) over 48 address bits\n",
        "state        complete\n",
        "events       3,000 in 3 chunks\n",
        "by kind\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert(strstr(r.out, want[i]), "info lacks '%s':\n%s", want[i], r.out);
    /* every kind written is listed with its count */
    uint64_t counts[EV_KIND_COUNT] = {0};
    for (size_t i = 0; i < sample.n; i++)
        counts[sample.ev[i].kind]++;
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        if (!counts[k])
            continue;
        char line[128];
        snprintf(line, sizeof line, "  %-16s %14llu ", event_kind_name((enum event_kind)k),
                 (unsigned long long)counts[k]);
        cr_assert(strstr(r.out, line), "info lacks '%s'", line);
    }
    prog_result_release(&r);
}

Test(cli, info_says_when_a_trace_is_not_whole)
{
    const char *path = sample_trace("killed.trace", false);
    struct prog_result r = prog_run((const char *[]){"info", path, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "state        recovered: no index"), "%s", r.out);
    cr_assert(strstr(r.out, "events       3,000 in 3 chunks"), "%s", r.out);
    cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
    cr_assert(strstr(r.err, "no index: the recording did not finish"), "%s", r.err);
    prog_result_release(&r);

    struct layout_rec lay[16];
    file_layout(path, lay, 16);
    size_t len;
    uint8_t *d = slurp(path, &len);
    const char *cut = scratch_path("cut.trace");
    spit(cut, d, lay[4].start + 10);
    r = prog_run((const char *[]){"info", cut, NULL});
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.out, "state        truncated"), "%s", r.out);
    cr_assert(strstr(r.out, "events       2,000 in 2 chunks"), "%s", r.out);
    char want[256];
    snprintf(want, sizeof want, "arenascope info: %s: ends inside chunk 2 at byte %llu\n", cut,
             (unsigned long long)lay[4].start);
    cr_assert_str_eq(r.err, want);
    prog_result_release(&r);
    free(d);
}

Test(cli, bad_input_is_one_line_and_status_one)
{
    const char *missing = scratch_path("missing.trace");
    const char *empty = scratch_path("empty.trace");
    const char *text = scratch_path("notes.txt");
    spit(empty, "", 0);
    spit(text, "not a trace\n", 12);
    const char *newer = sample_trace("newer.trace", true);
    size_t len;
    uint8_t *d = slurp(newer, &len);
    d[8] = 7;
    spit(newer, d, len);
    free(d);
    static const char *const cmds[] = {"info", "dump", "check"};
    for (size_t i = 0; i < 3; i++) {
        expect_error(cmds[i], missing, "No such file or directory");
        expect_error(cmds[i], scratch_dir(), "is a directory");
        expect_error(cmds[i], empty, "empty file");
        expect_error(cmds[i], text, "not an arenascope trace");
        expect_error(cmds[i], newer, "written by a newer arenascope (format version 7");
    }
}

Test(cli, usage_errors_are_status_two)
{
    const char *path = sample_trace("u.trace", true);
    const char *const *const cases[] = {
        (const char *[]){"dump", NULL},
        (const char *[]){"dump", "--bogus", path, NULL},
        (const char *[]){"dump", "--from", "x", path, NULL},
        (const char *[]){"dump", "--from", "9", "--to", "3", path, NULL},
        (const char *[]){"info", path, path, NULL},
        (const char *[]){"check", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prog_result r = prog_run(cases[i]);
        cr_assert_eq(r.status, 2, "case %zu: %d %s", i, r.status, r.err);
        cr_assert_eq(count_lines(r.err), 1, "case %zu: %s", i, r.err);
        prog_result_release(&r);
    }
    struct prog_result r = prog_run((const char *[]){"dump", "--help", NULL});
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "--json"));
    prog_result_release(&r);
}

/* `demo --real` runs the demo's source through live: what live refuses there, it refuses as demo,
 * the command the user typed. */
Test(cli, demo_real_refuses_under_its_own_name)
{
    const char *const *const cases[] = {
        (const char *[]){"demo", "--real", "--profile", "cpython-3.8", "refcount", NULL},
        (const char *[]){"demo", "--real", "--pace", "x", "refcount", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct prog_result r = prog_run(cases[i]);
        cr_assert_eq(r.status, 2, "case %zu: %d %s", i, r.status, r.err);
        cr_assert_eq(count_lines(r.err), 1, "case %zu: %s", i, r.err);
        cr_assert(strncmp(r.err, "arenascope demo: ", 17) == 0, "case %zu: %s", i, r.err);
        prog_result_release(&r);
    }
}

Test(cli, dump_prints_every_event_and_ranges)
{
    const char *path = sample_trace("dump.trace", true);
    struct prog_result all = prog_run((const char *[]){"dump", path, NULL});
    cr_assert_eq(all.status, 0, "%s", all.err);
    cr_assert_eq(count_lines(all.out), sample.n);
    /* each line is "SEQ KIND field=value ..." as event_format_text makes it */
    char *line = all.out, expect[8192];
    for (size_t i = 0; i < sample.n; i++) {
        struct event tmp;
        const struct event *ev = evlist_at(&sample, i, &tmp);
        int k = snprintf(expect, sizeof expect, "%zu ", i);
        event_format_text(ev, expect + k, sizeof expect - (size_t)k);
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        cr_assert_str_eq(line, expect);
        line = nl + 1;
    }
    struct prog_result part = prog_run((const char *[]){"dump", "--from", "1500", "--to", "2100", path, NULL});
    cr_assert_eq(part.status, 0, "%s", part.err);
    cr_assert_eq(count_lines(part.out), 601);
    cr_assert(strncmp(part.out, "1500 ", 5) == 0);
    prog_result_release(&part);
    part = prog_run((const char *[]){"dump", "--from", "3000", path, NULL});
    cr_assert_eq(part.status, 0);
    cr_assert_eq(part.out_len, 0);
    prog_result_release(&part);
    part = prog_run((const char *[]){"dump", "--from", "3001", path, NULL});
    cr_assert_eq(part.status, 1);
    cr_assert(strstr(part.err, "no event 3001 (the trace has 3000)"), "%s", part.err);
    prog_result_release(&part);
    prog_result_release(&all);

    /* --from seeks: a damaged first chunk does not stop a dump of the last one */
    struct layout_rec lay[16];
    file_layout(path, lay, 16);
    size_t len;
    uint8_t *d = slurp(path, &len);
    d[lay[2].start + 30] ^= 1;
    spit(path, d, len);
    part = prog_run((const char *[]){"dump", "-f", "2000", path, NULL});
    cr_assert_eq(part.status, 0, "%s", part.err);
    cr_assert_eq(count_lines(part.out), 1000);
    prog_result_release(&part);
    part = prog_run((const char *[]){"dump", path, NULL});
    cr_assert_eq(part.status, 1);
    cr_assert_eq(part.out_len, 0);
    char want[256];
    snprintf(want, sizeof want, "arenascope dump: %s: chunk 0 at byte %llu: bad checksum\n", path,
             (unsigned long long)lay[2].start);
    cr_assert_str_eq(part.err, want);
    prog_result_release(&part);
    free(d);
}

Test(cli, dump_json_is_json)
{
    const char *path = sample_trace("json.trace", true);
    struct prog_result r = prog_run((const char *[]){"dump", "--json", path, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(count_lines(r.out), sample.n);
    const char *p = r.out;
    for (size_t i = 0; i < sample.n; i++) {
        char want[64];
        int n = snprintf(want, sizeof want, "{\"seq\":%zu,\"kind\":\"", i);
        cr_assert(strncmp(p, want, (size_t)n) == 0, "line %zu", i);
        p = strchr(p, '\n') + 1;
        cr_assert_eq(p[-2], '}');
    }
    /* a JSON parser agrees: every line parses, with the kind and fields of the event */
    const char *out = scratch_path("json.out");
    FILE *f = fopen(out, "w");
    cr_assert(f && fwrite(r.out, 1, r.out_len, f) == r.out_len && fclose(f) == 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import json,sys\n"
             "n = 0\n"
             "for i, line in enumerate(open(sys.argv[1], encoding=\"utf-8\")):\n"
             "    o = json.loads(line)\n"
             "    assert o[\"seq\"] == i and isinstance(o[\"kind\"], str), (i, line)\n"
             "    n += 1\n"
             "assert n == %zu' '%s'",
             sample.n, out);
    cr_assert_eq(system(cmd), 0, "python3 could not parse the JSON lines");
    prog_result_release(&r);
}

static void push_event(void *ctx, const struct event *ev)
{
    struct evlist *l = ctx;
    if (l->n < 3000)
        evlist_push(l, ev);
}

/* 3000 events a real heap emitted (check also checks that the events make sense), with the
 * model's checkpoint after the first 10. */
static const char *consistent_trace(const char *name, struct trace_blob *ckpt)
{
    struct trace_header h;
    test_header(&h);
    struct heap_profile p;
    char err[256];
    cr_assert_eq(heap_profile_parse(h.profile, &p, err, sizeof err), 0, "%s", err);
    evlist_init(&sample);
    struct event_sink sink = {push_event, &sample};
    struct heap_arena_source src = heap_arena_source_aligned();
    struct heap *heap;
    cr_assert_eq(heap_new(&heap, &p, &src, &sink), 0);
    struct rng g;
    g.s = 31;
    void *live[512] = {0};
    while (sample.n < 3000) {
        size_t i = rng_below(&g, 512);
        if (live[i])
            heap_free(heap, live[i]);
        live[i] = heap_malloc(heap, 1 + rng_below(&g, 600));
    }
    struct event_sink off = {0};
    heap_set_sink(heap, &off);
    heap_delete(heap);
    struct model *m;
    cr_assert_eq(model_new(&m, &h), 0);
    for (size_t i = 0; i < 10; i++) {
        struct event tmp;
        cr_assert_eq(model_fold(m, evlist_at(&sample, i, &tmp)), 0);
    }
    void *data;
    *ckpt = (struct trace_blob){.key = 10};
    cr_assert_eq(model_save(m, &data, &ckpt->len), 0);
    ckpt->data = data;
    model_free(m);
    const char *path = scratch_path(name);
    write_trace(path, &sample, 1000, true);
    return path;
}

Test(cli, check_passes_only_whole_sound_traces)
{
    struct trace_blob b;
    const char *path = consistent_trace("check.trace", &b);
    char err[256];
    cr_assert_eq(trace_store_checkpoints(path, &b, 1, err, sizeof err), 0, "%s", err);
    free((void *)b.data);
    struct prog_result r = prog_run((const char *[]){"check", path, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    char want[512];
    snprintf(want, sizeof want, "%s: ok (3000 events in 3 chunks, 1 blobs)\n", path);
    cr_assert_str_eq(r.out, want);
    prog_result_release(&r);
    r = prog_run((const char *[]){"check", "-q", path, NULL});
    cr_assert_eq(r.status, 0);
    cr_assert_eq(r.out_len, 0);
    prog_result_release(&r);

    struct layout_rec lay[16];
    size_t nrec = file_layout(path, lay, 16);
    size_t len;
    uint8_t *d = slurp(path, &len);
    const char *bad = scratch_path("bad.trace");
    /* a flipped byte in chunk 1 */
    d[lay[3].start + 100] ^= 0x10;
    spit(bad, d, len);
    snprintf(want, sizeof want, "chunk 1 at byte %llu: bad checksum", (unsigned long long)lay[3].start);
    expect_error("check", bad, want);
    d[lay[3].start + 100] ^= 0x10;
    /* a flipped byte in the blob */
    d[lay[5].start + 14] ^= 0x01;
    spit(bad, d, len);
    snprintf(want, sizeof want, "blob at byte %llu: bad checksum", (unsigned long long)lay[5].start);
    expect_error("check", bad, want);
    d[lay[5].start + 14] ^= 0x01;
    /* a flipped byte in the index */
    d[lay[nrec - 2].start + 9] ^= 0x01;
    spit(bad, d, len);
    expect_error("check", bad, "(rebuilt by scanning)");
    d[lay[nrec - 2].start + 9] ^= 0x01;
    /* cut inside the last chunk */
    spit(bad, d, lay[4].start + 7);
    snprintf(want, sizeof want, "ends inside chunk 2 at byte %llu", (unsigned long long)lay[4].start);
    expect_error("check", bad, want);
    /* cut between chunks: no index */
    spit(bad, d, lay[4].start);
    expect_error("check", bad, "no index: the recording did not finish (its 2000 events are readable)");
    /* intact again */
    spit(bad, d, len);
    r = prog_run((const char *[]){"check", bad, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
    free(d);
}

/* No byte that a terminal acts on, other than the line ends, in what a command printed. */
static bool terminal_safe(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\n') || c == 0x7f)
            return false;
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] < 0xa0)
            return false; /* a C1 control, U+0080..U+009F, such as CSI */
    }
    return true;
}

/* Texts from a file (the header's command, program, profiles; a script's bad line) reach the
 * terminal with their control characters escaped: a crafted trace cannot set the window's title
 * or clear the screen. */
Test(cli, texts_from_a_file_are_printed_with_control_characters_escaped)
{
    static const char hostile[] = "arenascope \x1b]0;owned\x07 record\x1b[2J \xc2\x9b" "31m -o t.trace";
    struct trace_header h;
    test_header(&h);
    snprintf(h.command, sizeof h.command, "%s", hostile);
    snprintf(h.program, sizeof h.program, "/usr/bin/py\x1b[1mthon");
    snprintf(h.program_version, sizeof h.program_version, "3.11\x07");
    snprintf(h.profile, sizeof h.profile, "cpython-3.10\x1b[0m");
    const char *path = scratch_path("hostile.trace");
    struct trace_writer *w;
    char err[256];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_writer_finish(w), 0, "%s", trace_writer_error(w));
    trace_writer_free(w);

    struct prog_result r = prog_run((const char *[]){"info", path, NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(terminal_safe(r.out, r.out_len), "info printed a control character:\n%s", r.out);
    cr_assert(strstr(r.out, "command      arenascope \\x1b]0;owned\\x07 record\\x1b[2J \\xc2\\x9b31m -o t.trace\n"),
              "info shows the command with its escapes spelled out:\n%s", r.out);
    cr_assert(strstr(r.out, "/usr/bin/py\\x1b[1mthon"), "%s", r.out);
    prog_result_release(&r);

    /* an allocation script whose bad line carries escapes: the error names the line, escaped */
    const char *ops = scratch_path("hostile.ops");
    FILE *f = fopen(ops, "w");
    cr_assert_not_null(f);
    fputs("alloc 0 40\n\x1b]0;owned\x07 oops \x1b[2J\n", f);
    fclose(f);
    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", ops);
    r = prog_run((const char *[]){"record", "-o", scratch_path("hostile-ops.trace"), spec, NULL});
    cr_assert_neq(r.status, 0);
    cr_assert_gt(r.err_len, 0);
    cr_assert(terminal_safe(r.err, r.err_len), "the error carries a control character: %s", r.err);
    cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
    cr_assert(strstr(r.err, "\\x1b]0;owned\\x07"), "the error shows the line's escapes: %s", r.err);
    prog_result_release(&r);
}

/* A step label longer than a trace keeps is refused with the line that holds it, not cut. */
Test(cli, a_step_label_longer_than_a_trace_keeps_is_refused_by_its_line)
{
    const char *ops = scratch_path("long-label.ops");
    FILE *f = fopen(ops, "w");
    cr_assert_not_null(f);
    fputs("alloc 0 40\nstep ", f);
    for (int i = 0; i < 2000000; i++)
        fputc('a' + i % 26, f);
    fputs("\nfree 0\n", f);
    fclose(f);
    char spec[600];
    snprintf(spec, sizeof spec, "ops:%s", ops);
    const char *trace = scratch_path("long-label.trace");
    struct prog_result r = prog_run((const char *[]){"record", "-o", trace, spec, NULL});
    cr_assert_eq(r.status, 1, "status %d: %s", r.status, r.err);
    cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
    char want[700];
    snprintf(want, sizeof want, "%s:2: a step label of 2000000 bytes is longer than the 1048576 a trace keeps", ops);
    cr_assert(strstr(r.err, want), "'%s' lacks '%s'", r.err, want);
    prog_result_release(&r);
}

/* A script that does not compile: `live` says where, as Python does, in one line and with
 * status 1, before any screen (the test has no terminal: it would fail later, and otherwise). */
Test(cli, live_says_where_a_script_does_not_compile_before_any_screen)
{
    static const char *const scripts[] = {"a = [1, 2\nb = 3\n", "def f():\nreturn 1\n", "x = 1\nif x:\n  y = 2\n   z = 3\n"};
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%zu.py", i);
        const char *path = scratch_path(name);
        FILE *f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs(scripts[i], f);
        fclose(f);
        /* what the interpreter itself says: its traceback's last line and the line number */
        char cmd[700];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3.11 '%s' 2>&1 | tail -1", path);
        FILE *p = popen(cmd, "r");
        char last[256] = "";
        cr_assert(p && fgets(last, sizeof last, p));
        pclose(p);
        last[strcspn(last, "\n")] = '\0';
        snprintf(cmd, sizeof cmd, "/usr/bin/python3.11 '%s' 2>&1 | sed -n 's/^  File \".*\", line \\([0-9]*\\).*/\\1/p' | tail -1", path);
        p = popen(cmd, "r");
        char line[16] = "";
        cr_assert(p && fgets(line, sizeof line, p));
        pclose(p);
        line[strcspn(line, "\n")] = '\0';

        struct prog_result r = prog_run((const char *[]){"live", "--", "/usr/bin/python3.11", path, NULL});
        cr_assert_eq(r.status, 1, "%s: status %d: %s", scripts[i], r.status, r.err);
        cr_assert_eq(count_lines(r.err), 1, "%s", r.err);
        char want[600];
        snprintf(want, sizeof want, "%s:%s: %s\n", path, line, last);
        cr_assert_str_eq(r.err, want);
        prog_result_release(&r);
    }
}

/* Every command's options: each line of --help after "options:" names an option, or goes on
 * with its help under the first line's text. */
Test(cli, every_option_help_goes_on_under_its_first_line)
{
    struct prog_result top = prog_run((const char *[]){"--help", NULL});
    cr_assert_eq(top.status, 0);
    const char *cmds = strstr(top.out, "commands:\n");
    cr_assert(cmds, "%s", top.out);
    size_t checked = 0;
    for (const char *line = strchr(cmds, '\n') + 1; line[0] == ' ' && line[1] == ' ' && line[2] != ' ';
         line = strchr(line, '\n') + 1) {
        char name[32];
        if (sscanf(line, " %31[a-z]", name) != 1)
            break;
        struct prog_result r = prog_run((const char *[]){name, "--help", NULL});
        cr_assert_eq(r.status, 0, "%s --help: %s", name, r.err);
        const char *opts = strstr(r.out, "\noptions:\n");
        cr_assert(opts, "%s --help has no options:\n%s", name, r.out);
        for (const char *l = opts + 10; *l; l = strchr(l, '\n') + 1) {
            size_t len = strcspn(l, "\n");
            bool option = strncmp(l, "  -", 3) == 0 || strncmp(l, "      --", 8) == 0;
            bool goes_on = len > 27 && strspn(l, " ") == 27;
            cr_assert(option || goes_on, "%s --help: '%.*s'", name, (int)len, l);
            if (!l[len])
                break;
        }
        prog_result_release(&r);
        checked++;
    }
    cr_assert_geq(checked, 10, "only %zu commands found in:\n%s", checked, top.out);
    prog_result_release(&top);
}

/* A second recording into a file that one is writing refuses in one line and leaves the first
 * one's trace whole, whether it records a workload or a Python program. */
Test(cli, two_recordings_into_one_file_do_not_mix, .timeout = 120)
{
    const char *trace = scratch_path("claimed.trace");
    unlink(trace);
    pid_t first = fork();
    cr_assert_geq(first, 0);
    if (first == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execl(getenv("ARENASCOPE"), "arenascope", "record", "-o", trace, "churn:2000000", (char *)NULL);
        _exit(127);
    }
    struct stat st;
    for (int i = 0; i < 2000 && (stat(trace, &st) < 0 || st.st_size == 0); i++)
        nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    cr_assert(stat(trace, &st) == 0 && st.st_size > 0, "the first recording has begun");
    const char *second[][8] = {
        {"record", "-o", trace, "demo:refcount", NULL},
        {"record", "-o", trace, "--", "python3", "-c", "pass", NULL},
    };
    char want[600];
    snprintf(want, sizeof want, "arenascope record: %s: another arenascope is recording into it\n", trace);
    int status;
    for (size_t i = 0; i < sizeof second / sizeof *second; i++) {
        struct prog_result r = prog_run(second[i]);
        bool first_done = waitpid(first, &status, WNOHANG) == first;
        cr_assert(!first_done, "the first recording ended before the second was tried; make it longer");
        cr_assert_eq(r.status, 1, "%s: status %d", second[i][3], r.status);
        cr_assert_str_eq(r.err, want);
        prog_result_release(&r);
    }
    cr_assert_eq(waitpid(first, &status, 0), first);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the first recording ends well: %d", status);
    struct prog_result r = prog_run((const char *[]){"check", trace, NULL});
    cr_assert_eq(r.status, 0, "the first trace is whole: %s%s", r.out, r.err);
    prog_result_release(&r);
    /* the claim ends with its recording */
    r = prog_run((const char *[]){"record", "-o", trace, "demo:refcount", NULL});
    cr_assert_eq(r.status, 0, "%s", r.err);
    prog_result_release(&r);
}
