/*
 * cmd_dump.c - `arenascope dump FILE`: one line per event, as text or JSON.  --from seeks through
 * the index, so dumping the end of a huge trace does not decode its beginning.
 */
#include "cli.h"
#include "commands.h"

#include <tracer/trace.h>

#include <stdio.h>
#include <stdlib.h>

static const struct cli_opt opts[] = {
    {"json", 'j', NULL, "one JSON object per line, with \"seq\" and \"kind\""},
    {"from", 'f', "N", "start at event N (default 0)"},
    {"to", 't', "N", "stop after event N (default: the last)"},
    {0},
};

static int run(struct cli *c)
{
    uint64_t from, to;
    int rc = cli_uint(c, "from", 0, false, &from);
    if (!rc)
        rc = cli_uint(c, "to", UINT64_MAX, false, &to);
    if (rc)
        return rc;
    if (to < from)
        return cli_error(c, CLI_EXIT_USAGE, "--to %llu is before --from %llu (see '%s dump --help')",
                         (unsigned long long)to, (unsigned long long)from, cli_program);
    bool json = cli_flag(c, "json");
    const char *path = c->args[0];
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, path, 0, err, sizeof err))
        return cli_error(c, 1, "%s", err);
    int status = 0;
    char *line = malloc(EVENT_FORMAT_MAX);
    if (!line) {
        status = cli_error(c, 1, "%s: out of memory", path);
        goto out_free_reader;
    }
    if (from > trace_reader_event_count(r)) {
        status = cli_error(c, 1, "%s: no event %llu (the trace has %llu)", path,
                           (unsigned long long)from, (unsigned long long)trace_reader_event_count(r));
        goto out_free_line;
    }
    if (trace_reader_seek(r, from)) {
        status = cli_error(c, 1, "%s", trace_reader_error(r));
        goto out_free_line;
    }
    struct event ev;
    int got;
    while ((got = trace_reader_next(r, &ev)) == 1 && ev.seq <= to) {
        size_t n;
        if (json)
            n = event_format_json(&ev, line, EVENT_FORMAT_MAX);
        else {
            int k = snprintf(line, 32, "%llu ", (unsigned long long)ev.seq);
            n = (size_t)k + event_format_text(&ev, line + k, EVENT_FORMAT_MAX - (size_t)k);
        }
        line[n] = '\n';
        fwrite(line, 1, n + 1, stdout);
    }
    if (fflush(stdout) != 0)
        status = cli_error(c, 1, "writing the output failed");
    else if (got < 0)
        status = cli_error(c, 1, "%s", trace_reader_error(r));
    else if (!trace_reader_is_complete(r))
        status = cli_error(c, 1, "%s", trace_reader_damage(r) ? trace_reader_damage(r)
                                                              : "no index: the recording did not finish");
out_free_line:
    free(line);
out_free_reader:
    trace_reader_free(r);
    return status;
}

const struct cli_cmd cmd_dump = {
    .name = "dump",
    .args = "FILE",
    .summary = "print a trace's events, one per line",
    .description =
        "Each line is the event's number, its kind and its fields by name (addresses in hex,\n"
        "the text field quoted); with --json, one JSON object per line (a field named like\n"
        "the keys \"seq\" and \"kind\" gets a final underscore).  --from seeks through the\n"
        "index.  Exits with 1, after the events it could read, when the file is not whole\n"
        "(cut short, damaged, without an index).\n",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
