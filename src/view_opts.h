/*
 * view_opts.h - what the commands that show a trace share: the look options (--no-color,
 * --ascii), reading an event number given on the command line, and the keys for --help.
 */
#ifndef SRC_VIEW_OPTS_H
#define SRC_VIEW_OPTS_H

#include "cli.h"

#include <tracer/model.h>

#include <stdint.h>

#define VIEW_LOOK_OPTS                                                                           \
    {"no-color", 0, NULL, "monochrome: glyphs alone tell the states apart (also NO_COLOR=1)"},  \
    {"ascii", 0, NULL, "draw with ASCII characters only"}

#define VIEW_KEYS_DESCRIPTION                                                                    \
    "Keys: Space plays, l/h (or the arrows) step an event, ]/[ a step marker, }/{ a collection,\n" \
    "g/G go to the first/last event, : to an event number, / searches, b sets breakpoints,\n"    \
    "Tab moves between panes, Enter opens a pool or an object, z zooms, ? shows every key, q quits.\n"

/*
 * Parses --at for the trace at `path` (ui_parse_position: N, step:N, start, end) into a
 * position.  Returns 0, or prints a usage error naming the file and returns CLI_EXIT_USAGE.
 */
int view_parse_position(struct cli *c, struct seeker *s, const char *path, const char *text, uint64_t *pos);

/*
 * Opens the trace at `path` and moves to --at (ui_parse_position: N is right after event N,
 * step:N, start, end; the end when absent).  Returns 0 with the seeker in *out, or the exit
 * status after printing the error (2 for a bad --at, 1 for a file that cannot be read).
 */
int view_open_at(struct cli *c, const char *path, struct seeker **out);

#endif
