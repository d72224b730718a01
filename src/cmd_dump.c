/*
 * cmd_dump.c - `arenascope dump FILE`: one line per event, as text or JSON.  --from seeks through
 * the index, so dumping the end of a huge trace does not decode its beginning.
 */
#include "cli.h"
#include "commands.h"
#include "view_opts.h"

#include <tracer/trace.h>

#include <stdio.h>
#include <stdlib.h>

int cmd_dump_run(struct cli *c)
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
    struct trace_reader *r = view_open_trace(c);
    if (!r)
        return 1;
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
    else
        status = view_trace_is_whole(c, r);
out_free_line:
    free(line);
out_free_reader:
    trace_reader_free(r);
    return status;
}
