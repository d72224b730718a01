/*
 * view_opts.c - see view_opts.h.
 */
#include "view_opts.h"

#include <inttypes.h>
#include <string.h>

#include <ui/ui.h>

/* Parses --at for the trace at `path` (ui_parse_position: N, step:N, start, end) into a
 * position.  Returns 0, or prints a usage error naming the file and returns CLI_EXIT_USAGE. */
static int view_parse_position(struct cli *c, struct seeker *s, const char *path, const char *text, uint64_t *pos)
{
    char err[256];
    if (ui_parse_position(s, text, pos, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "--at: %s: %s", path, err);
    return 0;
}

struct trace_reader *view_open_trace(struct cli *c)
{
    char err[1024];
    struct trace_reader *r;
    if (trace_reader_open(&r, c->args[0], 0, err, sizeof err)) {
        cli_error(c, 1, "%s", err);
        return NULL;
    }
    return r;
}

int view_trace_is_whole(struct cli *c, struct trace_reader *r)
{
    if (trace_reader_is_complete(r))
        return 0;
    const char *damage = trace_reader_damage(r);
    return cli_error(c, 1, "%s", damage ? damage : "no index: the recording did not finish");
}

struct seeker *view_open(struct cli *c, bool at_end, uint64_t *pos, int *status)
{
    return view_open_arg(c, 0, at_end, pos, status);
}

struct seeker *view_open_arg(struct cli *c, int arg, bool at_end, uint64_t *pos, int *status)
{
    const char *path = c->args[arg];
    char err[1024];
    struct seeker *s;
    if (seeker_open(&s, path, 0, err, sizeof err) < 0) {
        *status = cli_error(c, 1, "%s", err);
        return NULL;
    }
    *pos = at_end ? seeker_event_count(s) : 0;
    const char *at = cli_value(c, "at");
    if (at && (*status = view_parse_position(c, s, path, at, pos)) != 0) {
        seeker_free(s);
        return NULL;
    }
    return s;
}

struct seeker *view_open_at(struct cli *c, int *status)
{
    return view_open_arg_at(c, 0, status);
}

struct seeker *view_open_arg_at(struct cli *c, int arg, int *status)
{
    uint64_t pos;
    struct seeker *s = view_open_arg(c, arg, true, &pos, status);
    if (s && seeker_seek(s, pos) < 0) {
        *status = cli_error(c, 1, "%s", seeker_error(s));
        seeker_free(s);
        return NULL;
    }
    return s;
}

void view_print_tool_share(FILE *out, const struct model *m)
{
    struct model_tool_usage u;
    model_tool_usage(m, &u);
    if (u.blocks == 0 && u.raw_blocks == 0)
        return;
    fprintf(out,
            "\n# of these, arenascope's own (made for its capture, not by the program): %" PRIu64
            " blocks in use (%" PRIu64 " bytes), %" PRIu64 " C library allocations (%" PRIu64 " bytes)\n",
            u.blocks, u.block_bytes, u.raw_blocks, u.raw_bytes);
}

void view_print_side_by_side(FILE *out, const char *left_title, const char *left, const char *right_title,
                             const char *right)
{
    int w = (int)strlen(left_title);
    for (const char *q = left; *q;) {
        const char *nl = strchr(q, '\n');
        int n = nl ? (int)(nl - q) : (int)strlen(q);
        w = n > w ? n : w;
        q = nl ? nl + 1 : q + n;
    }
    fprintf(out, "%-*s | %s\n", w, left_title, right_title);
    const char *p[2] = {left, right};
    while (*p[0] || *p[1]) {
        int n[2];
        const char *nl[2];
        for (int i = 0; i < 2; i++) {
            nl[i] = strchr(p[i], '\n');
            n[i] = nl[i] ? (int)(nl[i] - p[i]) : (int)strlen(p[i]);
        }
        bool same = n[0] == n[1] && memcmp(p[0], p[1], (size_t)n[0]) == 0;
        fprintf(out, "%-*.*s %c %.*s\n", w, n[0], p[0], same ? '|' : '*', n[1], p[1]);
        for (int i = 0; i < 2; i++)
            p[i] = nl[i] ? nl[i] + 1 : p[i] + n[i];
    }
}
