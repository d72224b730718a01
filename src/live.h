/*
 * live.h - a workload running in a child process while the viewer watches it.
 * The child records the workload to a trace file; the viewer follows that file with the same seeker
 * it uses for saved traces (docs/design.md: live is replay that follows a growing trace), so live
 * and replay cannot drift apart.  A control channel lets the viewer hold the workload at each step
 * marker until the user steps it (step mode, the classroom way) or let it run at a chosen pace (run
 * mode); a status channel tells the viewer where the workload is.
 *
 * If the workload dies (a crash, a kill), its trace stays readable up to its last whole chunk,
 * the viewer says so and keeps showing it, and the file is kept (and named) even when it was a
 * temporary one.
 */
#ifndef SRC_LIVE_H
#define SRC_LIVE_H

#include <ui/ui.h>

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct live_options {
    const char *record;       /* keep the trace at this path; NULL: a temporary file */
    const char *profile;      /* allocator profile spec; NULL: the default */
    const char *arena_source; /* "mmap" or "aligned"; NULL: mmap, as CPython */
    const char *gc_profile;   /* collector profile spec; NULL: the default */
    bool stacks;              /* record the call stack of every allocation */
    unsigned stack_depth;     /* frames kept per stack; 0: the recorder's default */
    bool run;                 /* start in run mode rather than holding at the first step */
    double pace;              /* run mode: step markers per second, 0 as fast as it runs */
    bool pace_given;          /* --pace was on the command line (a program runs at full speed
                                 without it) */
    uint64_t max_trace_size;  /* bytes the trace keeps (FORMAT.md 8.1); 0: no cap */
    bool max_trace_size_given; /* else the default: live_default_cap() for a temporary trace,
                                  none for --record */
};

/* The cap of a temporary live trace in dir: 2 GiB or a tenth of the space free there, whichever
 * is smaller, and at least LIVE_MIN_CAP. */
#define LIVE_DEFAULT_CAP (2ull << 30)
#define LIVE_MIN_CAP (16ull << 20)
uint64_t live_default_cap(const char *dir);

struct live;
struct cli;

/* `live --compare P1,P2 WORKLOAD` (live_compare.c): the workload recorded under both profiles,
 * then the two side by side.  Returns the exit status. */
int live_compare_run(struct cli *c);

/* Reads the options `live` and `demo` share (cmd_live.c).  Returns 0 or a usage status. */
int live_parse_options(struct cli *c, struct live_options *opt);
struct program_spec;
/*
 * Starts a real Python program (src/program.h, prepared) recording to the live trace, and waits
 * until its interpreter runs.  It runs at full speed; the view follows it.  Returns 0, or -1
 * with a message (*refused when the interpreter refused it: exit status 2).
 */
int live_start_program(struct live **out, struct program_spec *spec, const struct live_options *opt,
                       bool *refused, char *err, size_t errlen);

/* The exit status for a request live_start() refused (cmd_live.c). */
int live_start_status(const char *spec);

/*
 * Checks the workload spec, then starts the child and waits until its trace has a header.
 * Returns 0, or -1 with a one-line message in err (a bad spec, a file that cannot be created,
 * a child that died before writing anything).
 */
int live_start(struct live **out, const char *spec, const struct live_options *opt, char *err,
               size_t errlen);
const char *live_trace_path(const struct live *l);
/* The workload's process. */
pid_t live_pid(const struct live *l);
/* The viewer's handle on the workload (valid while l lives). */
const struct ui_live *live_controls(struct live *l);
/*
 * Stops the child if it still runs and cleans up.  A temporary trace is deleted unless the
 * workload died; then, and whenever a trace is kept, kept_path (if not NULL) gets its path.
 * Returns true when a trace is kept.
 */
bool live_free(struct live *l, char *kept_path, size_t len);

/*
 * Shows the live workload on an open terminal until the user quits; `title` heads the screen.
 * Returns what ui_app_run() returns, or 1 with a message in err when the viewer could not start
 * (err is empty otherwise).
 */
int live_view(struct live *l, const char *title, const struct ui_look *look, struct ui_term *term, char *err,
              size_t errlen);
/*
 * Ends the workload (live_free) and says what the user should know, in msg: that it died and
 * where its trace is kept, or where a temporary trace was kept.  Returns 1 when it died, else 0.
 */
int live_end(struct live *l, char *msg, size_t len);

#endif
