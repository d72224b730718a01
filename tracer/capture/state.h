/*
 * state.h - private to tracer/capture/: the state of the capture in the process it was
 * preloaded into, shared by preload.c (the process: start, allocator, exit, fork, signals) and
 * hooks.c (what runs inside the interpreter once it is up: the start of the program's code, the
 * collector's callback).
 *
 * There is one capture per process and it begins in a constructor, before main(): it cannot be
 * handed around, so it is the one global of the library.  Everything that touches it runs with
 * the GIL held (the OBJ and MEM domains, pending calls, trace functions, the collector's
 * callbacks), except the reader thread of output.c and the signal handlers, which touch only the
 * atomics marked so.
 */
#ifndef CAPTURE_STATE_H
#define CAPTURE_STATE_H

#include "output.h"
#include "pystack.h"
#include "python.h"

#include <tracer/pacer.h>

#include <allocator/event.h>
#include <allocator/gc_profile.h>
#include <allocator/heap.h>
#include <tracer/capture.h>
#include <tracer/trace.h>

#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define CAPTURE_HIDDEN __attribute__((visibility("hidden")))

struct capture {
    struct capture_config cfg;    /* what the launcher asked for (ARENASCOPE_CAPTURE) */
    struct py_info py;
    struct heap_profile profile;  /* the interpreter's version's */
    struct gc_profile gc;
    struct heap *heap;            /* RECORD, PLACEMENTS: the program's allocator */
    struct heap *unused_heap;     /* REFERENCE: made as PLACEMENTS makes it, never used (preload.c) */
    struct py_allocator reference[3]; /* REFERENCE: the interpreter's own, by domain */
    struct trace_writer *writer;  /* RECORD */
    struct event_sink sink;       /* the writer's; off in a forked child and after the end */
    struct ckpt_tee *tee;         /* RECORD, live: the model's checkpoints into the trace; or NULL */
    struct pystack *stacks;       /* NULL with --stacks none */
    struct output *output;
    FILE *log;                    /* PLACEMENTS, REFERENCE: one line per allocator call */
    uint64_t calls;               /* allocator calls so far (the log's numbers) */

    pid_t pid;                    /* the process being recorded */
    bool active;                  /* the allocator is installed */
    bool finished;                /* the trace was completed, or given up */
    bool forked;                  /* this is a child forked by the program: nothing is recorded */
    bool ready_asked;             /* the pending call that sets up the Python side was added */
    bool program_started;         /* the step marking the program's own code was emitted (or is
                                     not to be: no stacks); false again in a forked child until it
                                     has said it is not recorded (watch_program_start) */
    bool fork_unsaid;             /* a forked child that has not yet said so */
    bool output_paused;           /* the output's reader is stopped for the program's fork() */
    void *last_code, *last_outer; /* innermost and outermost code objects last looked at */
    char stdlib_dir[PATH_MAX];    /* the interpreter's standard library: never the program's */
    int in_tool;                  /* > 0 while the capture calls into Python itself */
    uint64_t tool_stack;          /* the stack id its own allocations carry */
    void *last_alloc, *prev_alloc; /* the blocks the heap handed out last, and before (RECORD) */
    uint64_t steps;               /* step markers emitted */
    uint64_t ticks;               /* allocator calls since the last clock read */
    _Atomic uint64_t last_flush_ns;   /* live: when the trace was last flushed (read by output.c's thread) */

    struct pacer pacer;               /* live: holding at each line step (control_fd >= 0) */
    volatile sig_atomic_t in_capture; /* the allocator or the writer is mid-way (signals) */
};

CAPTURE_HIDDEN extern struct capture capture;

/* Until the program's own code has begun: if it runs now, emits the step that says so.  In a
 * forked child, at its first allocator call, says once that it is not recorded. */
CAPTURE_HIDDEN void watch_program_start(void);

/* Emits a step marker (and first the program's output so far). */
CAPTURE_HIDDEN void capture_step(enum ev_step_kind kind, uint64_t stack, const char *label);

/* Ends the recording here, saying why in the trace (the heap goes on serving, silently). */
CAPTURE_HIDDEN void capture_end(const char *why);
/* True while the heap is still the OBJ domain's allocator. */
CAPTURE_HIDDEN bool capture_allocator_is_installed(void);

/* sources.c: the program's own files.  sources_is_own() says whether a file is one (under the
 * script's directory, or the working directory for -m and -c; never the standard library nor
 * site-packages); sources_seen() is pystack's on_file: it records the source of an own file in
 * the trace once; sources_line() gives a line of a file it has read, without indentation. */
CAPTURE_HIDDEN bool sources_is_own(const char *file);
CAPTURE_HIDDEN void sources_seen(void *ctx, const char *file);
CAPTURE_HIDDEN bool sources_line(const char *file, int line, char *buf, size_t cap);

/* lines.c: every line of the program's own files as a step marker (--step-lines), set up from
 * the pending call. */
CAPTURE_HIDDEN void lines_start(void);

/* names.c: the names of the innermost frame and what they are bound to, as events following a
 * line step's marker; names_start() from the pending call. */
CAPTURE_HIDDEN void names_start(void);
CAPTURE_HIDDEN void names_snapshot(void);

/* hooks.c: the pending call that sets up the Python side once the interpreter is initialized. */
CAPTURE_HIDDEN int hooks_python_ready(void *arg);

/* Writes one line to the launcher's status descriptor (the live protocol of src/live.c). */
CAPTURE_HIDDEN void capture_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
