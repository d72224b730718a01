/*
 * cmd_stats.c - `arenascope stats FILE [--at EVENT] [--json]`: the sys._debugmallocstats() report
 * of the heap a trace describes, at its end or right after any event, computed by the model
 * (the same printer as `record --stats`, which computes it from the allocator itself).
 */
#include "cli.h"
#include "commands.h"
#include "view_opts.h"

#include <tracer/model.h>
#include <tracer/stats_report.h>
#include <tracer/trace.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_json(FILE *out, const char *path, const struct seeker *s,
                       const struct heap_stats *st)
{
    const struct model *m = seeker_model(s);
    char *heap = NULL;
    size_t heap_len = 0;
    FILE *mem = open_memstream(&heap, &heap_len);
    if (mem) {
        stats_report_print_json(mem, st);
        fclose(mem);
    }
    while (heap_len && (heap[heap_len - 1] == '\n' || heap[heap_len - 1] == ' '))
        heap[--heap_len] = '\0';
    struct model_gc gc;
    model_gc(m, &gc);
    struct model_totals t;
    model_totals(m, &t);
    fputs("{\"file\":", out);
    stats_report_json_string(out, path, SIZE_MAX);
    fprintf(out, ",\"position\":%" PRIu64 ",\"events\":%" PRIu64 ",\"heap\":%s,",
            seeker_position(s), seeker_event_count(s), heap ? heap : "null");
    fprintf(out, "\"gc\":{\"enabled\":%s,\"generations\":[", gc.enabled ? "true" : "false");
    for (uint32_t g = 0; g < gc.ngenerations && g < MODEL_MAX_GENERATIONS; g++)
        fprintf(out, "%s{\"count\":%" PRIu64 ",\"threshold\":%" PRIu64 ",\"collections\":%" PRIu64
                     ",\"objects\":%" PRIu64 "}",
                g ? "," : "", gc.gen[g].count, gc.gen[g].threshold, gc.gen[g].collections,
                gc.gen[g].objects);
    fprintf(out,
            "],\"collections\":%" PRIu64 ",\"collected\":%" PRIu64 ",\"uncollectable\":%" PRIu64
            ",\"garbage\":%" PRIu64 "},\"objects\":%" PRIu64,
            gc.collections, gc.collected_total, gc.uncollectable_total, gc.garbage, t.objects);
    struct model_tool_usage u;
    model_tool_usage(m, &u);
    if (u.blocks || u.raw_blocks)
        fprintf(out,
                ",\"arenascope\":{\"blocks\":%" PRIu64 ",\"block_bytes\":%" PRIu64 ",\"raw_blocks\":%" PRIu64
                ",\"raw_bytes\":%" PRIu64 "}",
                u.blocks, u.block_bytes, u.raw_blocks, u.raw_bytes);
    fputs("}\n", out);
    free(heap);
}

/* The report of the trace in argument `arg` at --at, into a string (caller frees); NULL with
 * *status after saying why. */
static char *report_of(struct cli *c, int arg, int *status)
{
    struct seeker *s = view_open_arg_at(c, arg, status);
    if (!s)
        return NULL;
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    struct heap_stats *st = malloc(sizeof *st);
    if (mem && st) {
        model_get_stats(seeker_model(s), st);
        bool cpython = cli_flag(c, "cpython");
        stats_report_print(mem, st, cpython ? 0 : STATS_REPORT_DEFAULT);
        if (!cpython)
            view_print_tool_share(mem, seeker_model(s));
    }
    free(st);
    if (mem)
        fclose(mem);
    seeker_free(s);
    if (!text)
        *status = cli_error(c, 1, "out of memory");
    return text;
}

/* stats A B: the two reports side by side, a line that differs marked. */
static int two_reports(struct cli *c)
{
    if (cli_flag(c, "json"))
        return cli_error(c, CLI_EXIT_USAGE, "--json takes one trace");
    int status = 0;
    char *a = report_of(c, 0, &status);
    char *b = a ? report_of(c, 1, &status) : NULL;
    if (a && b) {
        view_print_side_by_side(stdout, c->args[0], a, c->args[1], b);
        status = fflush(stdout) == 0 ? 0 : cli_error(c, 1, "cannot write the report");
    }
    free(a);
    free(b);
    return status;
}

int cmd_stats_run(struct cli *c)
{
    if (c->nargs == 2)
        return two_reports(c);
    const char *path = c->args[0];
    if (cli_flag(c, "cpython") && cli_flag(c, "json"))
        return cli_error(c, CLI_EXIT_USAGE, "--cpython and --json: one or the other");
    int status;
    struct seeker *s = view_open_at(c, &status);
    if (!s)
        return status;
    status = 1;
    struct heap_stats *st = malloc(sizeof *st);
    if (!st) {
        cli_error(c, 1, "out of memory");
        goto out_free;
    }
    model_get_stats(seeker_model(s), st);
    if (cli_flag(c, "json"))
        print_json(stdout, path, s, st);
    else {
        bool cpython = cli_flag(c, "cpython");
        stats_report_print(stdout, st, cpython ? 0 : STATS_REPORT_DEFAULT);
        if (!cpython)
            view_print_tool_share(stdout, seeker_model(s));
    }
    free(st);
    status = fflush(stdout) == 0 ? 0 : cli_error(c, 1, "cannot write the report");
out_free:
    seeker_free(s);
    return status;
}
