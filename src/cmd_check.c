/*
 * cmd_check.c - `arenascope check FILE`: exits with 0 only for a whole, sound trace.
 *
 * Checking runs in passes, each able to stop at the first problem with a one-line message.  The
 * structure pass is the trace format's own (every record, checksum, event encoding and index
 * entry: trace_reader_verify).  The model's semantic pass (events consistent with an allocator
 * and a runtime that could have produced them: no free of an unknown block, counts that never go
 * negative, possible pool transitions) is added to the table below by the model.  The structure
 * pass checks the events' encoding as the semantic pass reads them (trace_reader_verify_begin and
 * _end around it), so that they are decoded once; a problem of the structure is still the one
 * reported when there are both.
 */
#include "cli.h"
#include "commands.h"
#include "view_opts.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <stdio.h>
#include <string.h>

struct check_pass {
    const char *name;
    /* Returns 0, or writes the first problem to msg (naming the file, event, chunk or byte). */
    int (*run)(struct trace_reader *r, char *msg, size_t msglen);
};

/* The records and the index; the events' encoding is checked as the next pass reads them. */
static int check_structure(struct trace_reader *r, char *msg, size_t msglen)
{
    if (trace_reader_verify_begin(r) == 0)
        return 0;
    snprintf(msg, msglen, "%s", trace_reader_error(r));
    return -1;
}

/* The events folded into the model, each checked against the state it finds; the checkpoints
 * and timeline stored in the index against that fold.  Then the rest of the structure pass:
 * its problem, if any, is the one reported. */
static int check_semantics(struct trace_reader *r, char *msg, size_t msglen)
{
    uint64_t bad_seq;
    int rc = model_check_trace(r, &bad_seq, msg, msglen);
    if (trace_reader_verify_end(r) != 0) {
        snprintf(msg, msglen, "%s", trace_reader_error(r));
        return -1;
    }
    return rc == 0 ? 0 : -1;
}

/* In order; each pass runs only when the ones before it passed. */
static const struct check_pass passes[] = {
    {"structure", check_structure},
    {"semantics", check_semantics},
};

int cmd_check_run(struct cli *c)
{
    struct trace_reader *r = view_open_trace(c);
    if (!r)
        return 1;
    const char *path = c->args[0];
    int status = 0;
    char msg[1024];
    for (size_t i = 0; i < sizeof passes / sizeof passes[0] && !status; i++)
        if (passes[i].run(r, msg, sizeof msg))
            status = cli_error(c, 1, "%s", msg);
    if (!status && !cli_flag(c, "quiet"))
        printf("%s: ok (%llu events in %zu chunks, %zu blobs)\n", path,
               (unsigned long long)trace_reader_event_count(r), trace_reader_chunk_count(r),
               trace_reader_blob_count(r));
    trace_reader_free(r);
    return status;
}
