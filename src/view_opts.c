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
