/*
 * test_ops.c - allocation scripts (parser, checks, runner), workloads, the recorder, and the
 * record and placements commands as a user runs them.
 */
#include "evlist.h"
#include "helpers.h"
#include "recorder.h"
#include "workload.h"

#include <tracer/stats_report.h>
#include <tracer/trace.h>

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int parse_text(struct ops_script *s, const char *text, char *err, size_t errlen)
{
    return ops_script_parse(s, "t.ops", text, strlen(text), err, errlen);
}

Test(ops, parses_the_format)
{
    const char *text = "# a comment\r\n"
                       "\n"
                       "   alloc 0 40   # trailing comment\r\n"
                       "calloc 1 4 0x10\n"
                       "step   a step label with # inside  \n"
                       "realloc 0 1K\n"
                       "realloc 7 16\n" /* realloc of nothing is realloc(NULL) */
                       "free 1\n"
                       "free 0";
    struct ops_script s;
    char err[256];
    cr_assert_eq(parse_text(&s, text, err, sizeof err), 0, "%s", err);
    cr_assert_eq(s.nops, 7);
    cr_assert(s.ops[0].kind == OPS_ALLOC && s.ops[0].handle == 0 && s.ops[0].n == 40 && s.ops[0].line == 3);
    cr_assert(s.ops[1].kind == OPS_CALLOC && s.ops[1].n == 4 && s.ops[1].size == 16);
    cr_assert(s.ops[2].kind == OPS_STEP && s.ops[2].line == 5);
    cr_assert_str_eq(ops_label(&s, &s.ops[2]), "a step label with # inside");
    cr_assert(s.ops[3].kind == OPS_REALLOC && s.ops[3].n == 1024);
    cr_assert(s.ops[5].kind == OPS_FREE && s.ops[5].handle == 1 && s.ops[5].line == 8);
    cr_assert_eq(s.nhandles, 8);
    ops_script_release(&s);
    cr_assert_eq(parse_text(&s, "", err, sizeof err), 0, "an empty script is valid");
    cr_assert_eq(s.nops, 0);
    ops_script_release(&s);
}

Test(ops, bad_lines_name_file_and_line)
{
    static const struct {
        const char *text, *message;
    } bad[] = {
        {"alloc 0 16\nmalloc 1 16\n", "t.ops:2: unknown operation 'malloc'"},
        {"alloc 0\n", "t.ops:1: missing argument: alloc H SIZE"},
        {"alloc 0 16 32\n", "t.ops:1: too many arguments: alloc H SIZE"},
        {"calloc 0 16\n", "t.ops:1: missing argument: calloc H N SIZE"},
        {"free\n", "t.ops:1: missing argument: free H"},
        {"alloc x 16\n", "t.ops:1: 'x' is not a handle number"},
        {"alloc 1048576 16\n", "t.ops:1: '1048576' is not a handle number (0 to 1048575)"},
        {"alloc -1 16\n", "t.ops:1: '-1' is not a handle number"},
        {"alloc 0 sixteen\n", "t.ops:1: 'sixteen' is not a size"},
        {"alloc 0 16Q\n", "t.ops:1: '16Q' is not a size"},
        {"alloc 0 2G\n", "t.ops:1: 2G bytes is over the limit"},
        {"alloc 0 17M\n", "t.ops:1: 17M bytes is over the limit of one request (16M)"},
        {"calloc 0 65536 65536\n", "t.ops:1: calloc of 65536 * 65536 bytes is over the limit"},
        {"alloc 0 100M\n", "t.ops:1: 100M bytes is over the limit of one request"},
        {"alloc 0 16\n\nalloc 0 32\n", "t.ops:3: handle 0 already holds the block of line 1; free it first"},
        {"alloc 0 16\nfree 0\nfree 0\n", "t.ops:3: free of handle 0, which holds no block"},
        {"step\n", "t.ops:1: step needs a label"},
        {"alloc 0 1\0\n", "t.ops:1: a NUL byte"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ops_script s;
        char err[256] = "";
        size_t len = strlen(bad[i].text);
        if (strstr(bad[i].message, "NUL"))
            len += 2;
        cr_assert_eq(ops_script_parse(&s, "t.ops", bad[i].text, len, err, sizeof err), -1, "accepted: %s",
                     bad[i].text);
        cr_assert(strncmp(err, bad[i].message, strlen(bad[i].message)) == 0, "got '%s', expected '%s'", err,
                  bad[i].message);
        cr_assert(!strchr(err, '\n'));
    }
}

/* The blocks held at once are bounded, whatever the script's length: holding up to the limit is
 * accepted, one byte more is refused at the line that would cross it, and a free or a shrinking
 * realloc gives its bytes back to the budget. */
Test(ops, the_bytes_held_at_once_are_bounded)
{
    const unsigned per = (unsigned)(OPS_MAX_REQUEST >> 20), n = (unsigned)(OPS_MAX_LIVE / OPS_MAX_REQUEST);
    char text[4096];
    size_t len = 0;
    for (unsigned h = 0; h < n; h++)
        len += (size_t)snprintf(text + len, sizeof text - len, "alloc %u %uM\n", h, per);
    struct ops_script s;
    char err[256] = "";
    cr_assert_eq(ops_script_parse(&s, "t.ops", text, len, err, sizeof err), 0, "%s", err);
    ops_script_release(&s);

    size_t full = len;
    len += (size_t)snprintf(text + len, sizeof text - len, "alloc %u 1\n", n);
    cr_assert_eq(ops_script_parse(&s, "t.ops", text, len, err, sizeof err), -1);
    char want[128];
    snprintf(want, sizeof want, "t.ops:%u: the script would hold %llu bytes, over the limit of %s at once", n + 1,
             (unsigned long long)OPS_MAX_LIVE + 1, OPS_MAX_LIVE_TEXT);
    cr_assert_str_eq(err, want);

    len = full + (size_t)snprintf(text + full, sizeof text - full, "realloc 0 %uM\nalloc %u 1\nrealloc %u 1M\n",
                                  per - 1, n, n);
    cr_assert_eq(ops_script_parse(&s, "t.ops", text, len, err, sizeof err), 0, "%s", err);
    ops_script_release(&s);
    len += (size_t)snprintf(text + len, sizeof text - len, "alloc %u 1\n", n + 1);
    cr_assert_eq(ops_script_parse(&s, "t.ops", text, len, err, sizeof err), -1);
    cr_assert(strstr(err, "over the limit of 256M at once"), "%s", err);

    len = full + (size_t)snprintf(text + full, sizeof text - full, "free 3\nalloc %u %uM\n", n, per);
    cr_assert_eq(ops_script_parse(&s, "t.ops", text, len, err, sizeof err), 0, "%s", err);
    ops_script_release(&s);
}

Test(ops, load_errors)
{
    struct ops_script s;
    char err[256];
    cr_assert_eq(ops_script_load(&s, "/nonexistent/x.ops", err, sizeof err), -1);
    cr_assert_str_eq(err, "/nonexistent/x.ops: No such file or directory");
    cr_assert_eq(ops_script_load(&s, "/tmp", err, sizeof err), -1);
    cr_assert_str_eq(err, "/tmp: is a directory");
}

/* The runner's stamps catch an allocator that hands out overlapping blocks. */
static char arena_of_lies[4096];

static void *liar_malloc(void *ctx, size_t n)
{
    (void)ctx, (void)n;
    return arena_of_lies; /* every block is the same block */
}

static void liar_free(void *ctx, void *p)
{
    (void)ctx, (void)p;
}

Test(ops, runner_catches_overlapping_blocks)
{
    struct ops_script s;
    char err[256];
    cr_assert_eq(parse_text(&s, "alloc 0 32\nalloc 1 32\nfree 0\n", err, sizeof err), 0);
    struct ops_target t = {.malloc = liar_malloc, .free = liar_free};
    cr_assert_eq(ops_script_run(&s, &t, false, err, sizeof err), -1);
    cr_assert(strstr(err, "t.ops:3: the block of handle 0 was overwritten"), "%s", err);
    ops_script_release(&s);
}

Test(ops, placement_lines)
{
    char buf[64] = "";
    static char block[1];
    struct heap_location loc = {false, 3, 1, 63, 4096};
    cr_assert_str_eq(ops_placement_format(buf, sizeof buf, 12, block, &loc), "12 3 63 4096");
    loc.raw = true;
    cr_assert_str_eq(ops_placement_format(buf, sizeof buf, 13, block, &loc), "13 raw");
    cr_assert_str_eq(ops_placement_format(buf, sizeof buf, 14, NULL, &loc), "14 null");
}

/* ---- workloads ---------------------------------------------------------------------------- */

Test(workload, prepare_errors)
{
    char err[512];
    cr_assert_null(workload_prepare("ops:", err, sizeof err));
    cr_assert_str_eq(err, "ops: needs a file: ops:PATH");
    cr_assert_null(workload_prepare("ops:/nonexistent.ops", err, sizeof err));
    cr_assert_str_eq(err, "/nonexistent.ops: No such file or directory");
    cr_assert_null(workload_prepare("churn:0", err, sizeof err));
    cr_assert(strstr(err, "positive number"));
    cr_assert_null(workload_prepare("churn:12x", err, sizeof err));
    cr_assert_null(workload_prepare("no-such-demo", err, sizeof err));
    cr_assert(strncmp(err, "unknown workload 'no-such-demo'", 31) == 0, "%s", err);
    struct workload *w = workload_prepare("churn:77", err, sizeof err);
    cr_assert(w && workload_needs_runtime(w));
    cr_assert_str_eq(workload_name(w), "churn:77");
    cr_assert_null(workload_script(w));
    workload_free(w);
    for (size_t i = 0; i < demo_count(); i++) {
        char spec[64];
        snprintf(spec, sizeof spec, "demo:%s", demo_at(i)->name);
        w = workload_prepare(spec, err, sizeof err);
        cr_assert(w, "%s: %s", spec, err);
        cr_assert(workload_needs_runtime(w));
        workload_free(w);
    }
}

struct step_log {
    char labels[8][64];
    uint64_t numbers[8], paced[8];
    int n, npaced;
    uint64_t blocks;
};

static void step_sink(void *ctx, const struct event *ev)
{
    struct step_log *l = ctx;
    if (ev->kind == EV_STEP && l->n < 8) {
        snprintf(l->labels[l->n], sizeof l->labels[0], "%.*s", (int)ev->str_len, ev->str);
        l->numbers[l->n++] = ev->u.step.number;
    }
    if (ev->kind == EV_BLOCK_ALLOC)
        l->blocks++;
}

static void step_pace(void *ctx, uint64_t step)
{
    struct step_log *l = ctx;
    l->paced[l->npaced++] = step;
}

static char *write_temp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/arenascope-test-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

Test(workload, ops_run_with_steps)
{
    char *path = write_temp("step first a block\nalloc 0 40\nstep then another\nalloc 1 40\nfree 0\n");
    char spec[128], err[256];
    snprintf(spec, sizeof spec, "ops:%s", path);
    struct workload *w = workload_prepare(spec, err, sizeof err);
    cr_assert(w, "%s", err);
    cr_assert(!workload_needs_runtime(w));
    struct step_log log = {0};
    struct event_sink sink = {step_sink, &log};
    struct heap *h = th_heap("cpython-3.10", "aligned", &sink);
    struct workload_env env = {.heap = h, .sink = sink, .pace = step_pace, .pace_ctx = &log};
    cr_assert_eq(workload_run(w, &env, err, sizeof err), 0, "%s", err);
    cr_assert(log.n == 2 && env.steps == 2);
    cr_assert(log.numbers[0] == 1 && log.numbers[1] == 2);
    cr_assert_str_eq(log.labels[0], "first a block");
    cr_assert_str_eq(log.labels[1], "then another");
    cr_assert(log.npaced == 2 && log.paced[0] == 1 && log.paced[1] == 2);
    cr_assert_eq(log.blocks, 2);
    struct heap_counters c;
    heap_inspect_counters(h, &c);
    cr_assert_eq(c.pool_blocks, 1, "blocks still live at the end stay live");
    workload_free(w);
    heap_delete(h);
    unlink(path);
}

/* ---- the recorder ----------------------------------------------------------------------- */

/* Records a script through the recorder, reads the trace back, and compares it with the events
 * of the same script on an in-memory heap. */
Test(recorder, trace_holds_the_events, .timeout = 60)
{
    struct sbuf text = {0};
    th_random_script(&text, 9, 3000);
    char *path = write_temp(text.s);
    char spec[128], err[512];
    snprintf(spec, sizeof spec, "ops:%s", path);
    char trace[] = "/tmp/arenascope-trace-XXXXXX";
    int fd = mkstemp(trace);
    cr_assert(fd >= 0);
    close(fd);

    struct workload *w = workload_prepare(spec, err, sizeof err);
    cr_assert(w, "%s", err);
    struct recorder_options o = {.profile = "cpython-3.9", .arena_source = "aligned", .stacks = true,
                                 .command = "arenascope record test", .path = trace};
    struct recorder *r;
    cr_assert_eq(recorder_open(&r, &o, false, err, sizeof err), 0, "%s", err);
    cr_assert_eq(recorder_run(r, w, err, sizeof err), 0, "%s", err);
    cr_assert_eq(recorder_finish(r, err, sizeof err), 0, "%s", err);
    uint64_t written = recorder_event_count(r);
    recorder_free(r);

    /* The same script in memory, without stacks. */
    struct evlist mem = {0};
    struct event_sink sink = evlist_sink(&mem);
    struct heap *h = th_heap("cpython-3.9", "aligned", &sink);
    struct workload_env env = {.heap = h, .sink = sink};
    cr_assert_eq(workload_run(w, &env, err, sizeof err), 0);

    struct trace_reader *rd;
    cr_assert_eq(trace_reader_open(&rd, trace, 0, err, sizeof err), 0, "%s", err);
    const struct trace_header *hd = trace_reader_header(rd);
    cr_assert_str_eq(hd->profile, "cpython-3.9");
    cr_assert_str_eq(hd->arena_source, "aligned");
    cr_assert(hd->alignment == 16 && hd->threshold == 512 && hd->pool_size == 4096 && hd->arena_size == 262144);
    cr_assert(hd->pool_overhead == 48 && hd->pointer_size == sizeof(void *) && hd->keep_last_free_arena);
    cr_assert_str_eq(hd->command, "arenascope record test");
    cr_assert(strncmp(hd->writer, "arenascope ", 11) == 0);
    cr_assert(trace_reader_is_complete(rd));
    cr_assert_eq(trace_reader_event_count(rd), written);

    /* Stack definitions precede their first use; apart from them and the ids, the streams agree
     * (addresses differ: each heap has its own arenas, so compare kinds and sizes). */
    struct event ev;
    size_t i = 0;
    uint64_t defined = 0, stacked = 0, frames = 0;
    int got;
    while ((got = trace_reader_next(rd, &ev)) == 1) {
        if (ev.kind == EV_FRAME_DEF) {
            cr_assert_eq(ev.u.frame_def.id, frames + 1, "frames are defined in order");
            cr_assert(ev.str_len > 0);
            frames++;
            continue;
        }
        if (ev.kind == EV_STACK_DEF) {
            cr_assert_eq(ev.u.stack_def.id, defined + 1, "ids are defined in order");
            cr_assert(ev.u.stack_def.frame >= 1 && ev.u.stack_def.frame <= frames, "its frame is defined first");
            cr_assert(ev.u.stack_def.parent < ev.u.stack_def.id, "its parent is defined first");
            cr_assert(ev.u.stack_def.depth > 0);
            defined++;
            continue;
        }
        cr_assert(i < mem.n);
        cr_assert_eq(ev.kind, mem.ev[i].kind, "event %zu: kind %d in the trace, %d in memory", i, ev.kind,
                     mem.ev[i].kind);
        if (ev.kind == EV_BLOCK_ALLOC) {
            cr_assert_eq(ev.u.block_alloc.size, mem.ev[i].u.block_alloc.size);
            cr_assert(ev.u.block_alloc.stack >= 1 && ev.u.block_alloc.stack <= defined,
                      "a stack id is used after its definition");
            stacked++;
        }
        i++;
    }
    cr_assert_eq(got, 0, "%s", trace_reader_error(rd));
    cr_assert_eq(i, mem.n);
    cr_assert(stacked > 100 && defined >= 1);
    cr_assert(defined < 50 * RECORDER_STACK_DEPTH, "one call site in the runner: few distinct stacks (%lu)",
              (unsigned long)defined);
    trace_reader_free(rd);
    evlist_release(&mem);
    heap_delete(h);
    workload_free(w);
    sbuf_release(&text);
    unlink(path);
    unlink(trace);
}

Test(recorder, refuses_bad_options)
{
    char err[256];
    struct recorder_options o = {.profile = "cpython-4.0", .path = "/tmp/x"};
    cr_assert_eq(recorder_check_options(&o, err, sizeof err), -1);
    cr_assert(strncmp(err, "--profile: unknown profile 'cpython-4.0'", 40) == 0, "%s", err);
    o.profile = NULL;
    o.arena_source = "malloc";
    cr_assert_eq(recorder_check_options(&o, err, sizeof err), -1);
    cr_assert_str_eq(err, "--arena-source: unknown source 'malloc' (expected mmap or aligned)");
    o.arena_source = NULL;
    o.path = "/nonexistent-dir/t.trace";
    struct recorder *r;
    cr_assert_eq(recorder_open(&r, &o, false, err, sizeof err), -1);
    cr_assert(strstr(err, "/nonexistent-dir/t.trace"), "%s", err);
}

/* ---- the commands, as a user runs them ------------------------------------------------------ */

/* Runs the arenascope binary; returns its exit status, stdout in out (caller frees). */
static int run_binary(const char *args, char **out, char **errout)
{
    const char *bin = getenv("ARENASCOPE");
    if (!bin)
        cr_skip_test("ARENASCOPE is not set (run through meson test)");
    char errpath[] = "/tmp/arenascope-stderr-XXXXXX";
    int efd = mkstemp(errpath);
    cr_assert(efd >= 0);
    close(efd);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s 2>%s", bin, args, errpath);
    FILE *p = popen(cmd, "r");
    cr_assert(p);
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while ((n = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += n;
        if (len + 1 == cap)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int status = pclose(p);
    *out = buf;
    if (errout) {
        FILE *e = fopen(errpath, "r");
        char *eb = calloc(1, 4096);
        if (e) {
            size_t m = fread(eb, 1, 4095, e);
            eb[m] = '\0';
            fclose(e);
        }
        *errout = eb;
    }
    unlink(errpath);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Placements worked out by hand from docs/cpython-memory.md 1.2, 1.3 and 3.3. */
Test(commands, placements_by_hand)
{
    char *path = write_temp("# cpython-3.10, aligned arenas\n"
                            "alloc 0 40\n"          /* 1: class 2, arena 0, pool 0, first block */
                            "alloc 1 48\n"          /* 2: same pool, second block */
                            "step a marker is not an operation\n"
                            "alloc 2 16\n"          /* 3: class 0: pool 1 */
                            "free 0\n"              /* 4 */
                            "alloc 3 33\n"          /* 5: class 2 again: the freed block */
                            "alloc 4 0\n"           /* 6: raw */
                            "realloc 1 37\n"        /* 7: 4 * 37 > 3 * 48: in place */
                            "realloc 1 36\n"        /* 8: 4 * 36 = 3 * 48: copied, to the threaded block */
                            "realloc 2 600\n"       /* 9: past the threshold: raw; pool 1 empties */
                            "calloc 5 2 256\n");    /* 10: 512 bytes, class 31: the cached pool 1 */
    char args[256], *out, *err;
    snprintf(args, sizeof args, "placements %s", path);
    int status = run_binary(args, &out, &err);
    cr_assert_eq(status, 0, "%s", err);
    cr_assert_str_eq(out, "1 0 0 48\n"
                          "2 0 0 96\n"
                          "3 0 1 48\n"
                          "5 0 0 48\n"
                          "6 raw\n"
                          "7 0 0 96\n"
                          "8 0 0 144\n"
                          "9 raw\n"
                          "10 0 1 48\n");
    free(out);
    free(err);
    snprintf(args, sizeof args, "placements --profile classic %s", path);
    status = run_binary(args, &out, &err);
    cr_assert_eq(status, 0);
    cr_assert(strncmp(out, "1 0 0 48\n2 0 1 48\n", 18) == 0, "classic: 40 and 48 bytes are different classes: %s",
              out);
    free(out);
    free(err);
    unlink(path);
}

Test(commands, errors_and_exit_codes)
{
    char *out, *err;
    cr_assert_eq(run_binary("placements /nonexistent.ops", &out, &err), 1);
    cr_assert_str_eq(err, "arenascope placements: /nonexistent.ops: No such file or directory\n");
    free(out), free(err);
    char *bad = write_temp("alloc 0 16\nfree 1\n");
    char args[256];
    snprintf(args, sizeof args, "placements %s", bad);
    cr_assert_eq(run_binary(args, &out, &err), 1);
    cr_assert(strstr(err, ":2: free of handle 1, which holds no block"), "%s", err);
    cr_assert_str_eq(out, "", "nothing runs before the script is checked");
    free(out), free(err);
    snprintf(args, sizeof args, "record -o /tmp/arenascope-never.trace ops:%s", bad);
    cr_assert_eq(run_binary(args, &out, &err), 1);
    cr_assert(access("/tmp/arenascope-never.trace", F_OK) != 0, "no trace file for a bad script");
    free(out), free(err);
    cr_assert_eq(run_binary("placements --profile nope x.ops", &out, &err), 2);
    cr_assert(strstr(err, "unknown profile 'nope'"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_binary("record ops:x.ops", &out, &err), 2, "-o is required");
    cr_assert(strstr(err, "missing -o FILE"), "%s", err);
    free(out), free(err);
    cr_assert_eq(run_binary("record -o /tmp/x.trace --arena-source heap ops:x.ops", &out, &err), 2);
    free(out), free(err);
    cr_assert_eq(run_binary("record -o /tmp/x.trace no-such-workload", &out, &err), 2);
    free(out), free(err);
    cr_assert_eq(run_binary("record --help", &out, &err), 0);
    cr_assert(strstr(out, "usage: arenascope record [OPTIONS] WORKLOAD") && strstr(out, "ops:PATH"));
    free(out), free(err);
    cr_assert_eq(run_binary("placements --help", &out, &err), 0);
    cr_assert(strstr(out, "OP ARENA POOL OFFSET"));
    free(out), free(err);
    unlink(bad);
}

Test(commands, record_stats_matches_the_heap)
{
    struct sbuf text = {0};
    th_random_script(&text, 31, 2000);
    char *path = write_temp(text.s);
    char args[512], *out, *err;
    char trace[] = "/tmp/arenascope-rs-XXXXXX";
    int fd = mkstemp(trace);
    cr_assert(fd >= 0);
    close(fd);
    snprintf(args, sizeof args, "record --stats --arena-source aligned --profile cpython-3.8 -o %s ops:%s", trace,
             path);
    cr_assert_eq(run_binary(args, &out, &err), 0, "%s", err);
    /* The same script on a heap here: the same report. */
    struct ops_script s;
    th_parse(&s, "stats", &text);
    struct heap *h = th_heap("cpython-3.8", "aligned", NULL);
    th_run(h, &s, 0, NULL);
    struct heap_stats *st = malloc(sizeof *st);
    cr_assert(st);
    heap_get_stats(h, st);
    char *mine = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mine, &len);
    stats_report_print(f, st, STATS_REPORT_DEFAULT);
    fclose(f);
    cr_assert_str_eq(out, mine);
    cr_assert(strstr(out, "Small block threshold = 512, in 32 size classes.\n"));
    free(mine);
    free(st);
    free(out);
    free(err);
    ops_script_release(&s);
    heap_delete(h);
    sbuf_release(&text);
    unlink(path);
    unlink(trace);
}
