/*
 * pacer.h - the workload's side of a live session: holding at step markers until the viewer
 * steps, or running at its pace.  Used by src/live.c's child (a built-in workload) and by the
 * capture library in a real program (its line steps), so that both speak one protocol:
 *
 *   control, viewer -> workload, a command a line:
 *     s          run to the next step marker (and hold there); "s N" runs N of them
 *     r PACE     run mode: PACE step markers a second, 0 as fast as it goes
 *     h          step mode: hold at the next step marker
 *     b FILE:LINE  hold at the marker of that line even in run mode (a line breakpoint: FILE as
 *                the line step's label writes it, "slide.py:12"); "b" alone forgets them all
 *   status, workload -> viewer:
 *     w N        waiting at marker N
 *     r N        running past marker N
 *
 * The workload calls pacer_wait() after each marker, once the marker's events are flushed where
 * the viewer reads them, with the marker's label for a line step.  A breakpoint's line holds the
 * workload whatever the mode, before the line runs, as step mode does, and puts it in step mode:
 * the viewer, which finds the breakpoint in the trace, sees it held there, not some lines on.
 * When the control pipe closes (the viewer quit) the pacer stops holding for good and
 * pacer_wait() returns false.
 */
#ifndef TRACER_PACER_H
#define TRACER_PACER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PACER_MAX_LINES 32   /* lines held at (the viewer has at most 16 breakpoints) */
#define PACER_LINE_TEXT 112  /* bytes of "FILE:LINE" */
#define PACER_COMMAND_MAX 256 /* bytes of one command line; longer ones are dropped */

struct pacer {
    int ctl_fd, status_fd;
    bool run;         /* run mode */
    double pace;      /* run mode: markers a second, 0 no pause */
    uint64_t credits; /* steps granted but not yet run */
    bool gone;        /* the viewer closed the control pipe */
    char lines[PACER_MAX_LINES][PACER_LINE_TEXT]; /* "FILE:LINE" held at, even in run mode */
    size_t nlines;
    char partial[PACER_COMMAND_MAX]; /* the start of a command not yet ended by its newline */
    size_t partial_len;
    bool overlong;                   /* dropping the rest of a command too long to keep */
};

void pacer_init(struct pacer *p, int ctl_fd, int status_fd, bool run, double pace);
/* After marker `step`: holds or paces as the viewer asks.  `label` is a line step's label
 * ("slide.py:12  the source"), NULL for other markers.  False once the viewer is gone. */
bool pacer_wait(struct pacer *p, uint64_t step, const char *label);
/* Whether a line step's label names a line held at ("b FILE:LINE"). */
bool pacer_holds_at(const struct pacer *p, const char *label);

#endif
