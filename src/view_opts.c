/*
 * view_opts.c - see view_opts.h.
 */
#include "view_opts.h"

#include <inttypes.h>

int view_parse_event(struct cli *c, struct seeker *s, const char *path, const char *text, uint64_t *out)
{
    uint64_t n;
    if (!cli_parse_uint(text, false, &n))
        return cli_error(c, CLI_EXIT_USAGE, "--at: not an event number: '%s'", text);
    uint64_t count = seeker_event_count(s);
    if (n >= count)
        return cli_error(c, CLI_EXIT_USAGE, "--at %" PRIu64 ": %s has %" PRIu64 " events (0 to %" PRIu64 ")", n, path,
                         count, count ? count - 1 : 0);
    *out = n;
    return 0;
}
