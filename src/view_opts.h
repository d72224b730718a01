/*
 * view_opts.h - what the commands that read a trace share: opening it, or a view of it at the
 * event given by --at, with the error printed in one line naming the file.
 */
#ifndef SRC_VIEW_OPTS_H
#define SRC_VIEW_OPTS_H

#include "cli.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <stdbool.h>
#include <stdio.h>

#include <stdint.h>

/*
 * Opens the trace named by the command's argument for reading its records.  Returns the reader,
 * or NULL after printing why it cannot be read (exit status 1).
 */
struct trace_reader *view_open_trace(struct cli *c);

/* Returns 0 for a whole trace; else prints what is wrong with it (damage, a missing index) and
 * returns 1. */
int view_trace_is_whole(struct cli *c, struct trace_reader *r);

/*
 * Opens a view of the trace named by the command's argument and reads --at into *pos (when
 * absent, the start, or the end when `at_end`), without moving there.  Returns the seeker, or
 * NULL with the exit status in *status after printing the error (2 for a bad --at, 1 for a file
 * that cannot be read).
 */
struct seeker *view_open(struct cli *c, bool at_end, uint64_t *pos, int *status);
/* The same for the command's argument number `arg` (a command that reads two traces). */
struct seeker *view_open_arg(struct cli *c, int arg, bool at_end, uint64_t *pos, int *status);

/*
 * The same, and moves to --at (ui_parse_position: N is right after event N, step:N, start, end;
 * the end when absent).  Returns the seeker there, or NULL with the exit status in *status after
 * printing the error.
 */
struct seeker *view_open_at(struct cli *c, int *status);
struct seeker *view_open_arg_at(struct cli *c, int arg, int *status);

/* Two texts in two columns under their titles, the left as wide as its longest line; a row
 * whose two lines differ is marked with * between them, | otherwise. */
void view_print_side_by_side(FILE *out, const char *left_title, const char *left, const char *right_title,
                             const char *right);

/* After the report of sys._debugmallocstats' figures (stats FILE, record --stats of a program):
 * how many of the blocks it counts are arenascope's own (model_tool_usage), a line saying so;
 * nothing when none are. */
void view_print_tool_share(FILE *out, const struct model *m);

#endif
