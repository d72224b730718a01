/*
 * view_opts.c - see view_opts.h.
 */
#include "view_opts.h"

#include <ui/ui.h>

int view_parse_position(struct cli *c, struct seeker *s, const char *path, const char *text, uint64_t *pos)
{
    char err[256];
    if (ui_parse_position(s, text, pos, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "--at: %s: %s", path, err);
    return 0;
}

int view_open_at(struct cli *c, const char *path, struct seeker **out)
{
    char err[1024];
    struct seeker *s;
    *out = NULL;
    if (seeker_open(&s, path, 0, err, sizeof err) < 0)
        return cli_error(c, 1, "%s", err);
    uint64_t pos = seeker_event_count(s);
    int status = 0;
    if (cli_value(c, "at"))
        status = view_parse_position(c, s, path, cli_value(c, "at"), &pos);
    if (!status && seeker_seek(s, pos) < 0)
        status = cli_error(c, 1, "%s", seeker_error(s));
    if (status) {
        seeker_free(s);
        return status;
    }
    *out = s;
    return 0;
}
