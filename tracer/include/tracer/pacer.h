/*
 * pacer.h - the workload's side of a live session: holding at step markers until the viewer
 * steps, or running at its pace.  Used by src/live.c's child (a built-in workload) and by the
 * capture library in a real program (its line steps), so that both speak one protocol:
 *
 *   control, viewer -> workload, a command a line:
 *     s          run to the next step marker (and hold there); "s N" runs N of them
 *     r PACE     run mode: PACE step markers a second, 0 as fast as it goes
 *     h          step mode: hold at the next step marker
 *   status, workload -> viewer:
 *     w N        waiting at marker N
 *     r N        running past marker N
 *
 * The workload calls pacer_wait() after each marker, once the marker's events are flushed where
 * the viewer reads them.  When the control pipe closes (the viewer quit) the pacer stops holding
 * for good and pacer_wait() returns false.
 */
#ifndef TRACER_PACER_H
#define TRACER_PACER_H

#include <stdbool.h>
#include <stdint.h>

struct pacer {
    int ctl_fd, status_fd;
    bool run;         /* run mode */
    double pace;      /* run mode: markers a second, 0 no pause */
    uint64_t credits; /* steps granted but not yet run */
    bool gone;        /* the viewer closed the control pipe */
};

void pacer_init(struct pacer *p, int ctl_fd, int status_fd, bool run, double pace);
/* After marker `step`: holds or paces as the viewer asks.  False once the viewer is gone. */
bool pacer_wait(struct pacer *p, uint64_t step);

#endif
