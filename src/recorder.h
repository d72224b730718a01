/*
 * recorder.h - the recording pipeline shared by `record`, the demos and live mode:
 *
 *     profile + arena source -> heap --events--> trace writer (a file, or a pipe to a viewer)
 *                                 ^                 ^
 *     workload (+ object runtime) |   stack hook ---+ (stack_def events, ids on allocations)
 *
 * recorder_open() checks the options, builds the heap (and the object runtime when the
 * workload needs one), fills the trace header from the profiles and the command line and opens
 * the writer; recorder_run() runs a prepared workload; recorder_finish() completes the file.
 * A live viewer's child process does the same with an fd and flush_each_step, so that the viewer
 * sees each step as soon as it is made.
 *
 * Errors are one line in err ("trace.bin: No such file or directory"); functions return 0 or -1.
 */
#ifndef SRC_RECORDER_H
#define SRC_RECORDER_H

#include "workload.h"

#include <allocator/gc_profile.h>
#include <allocator/heap.h>
#include <tracer/trace.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct recorder_options {
    const char *profile;      /* profile spec (heap_profile_parse); NULL: the default */
    const char *arena_source; /* "mmap" (NULL: the default) or "aligned" */
    const struct gc_profile *gc; /* the collector's profile, written into the header; may be NULL */
    bool stacks;              /* capture the call stack of every allocation */
    unsigned stack_depth;     /* frames kept per stack; 0: RECORDER_STACK_DEPTH */
    const char *command;      /* the command line, for the header */

    /* Where the trace goes: path ("-" is standard output), or fd when path is NULL (not closed;
     * fd_name names it in messages). */
    const char *path;
    int fd;
    const char *fd_name;
    bool flush_each_step;     /* end a chunk at every step marker (live viewers) */
    uint64_t window;          /* bytes: drop the oldest chunks past this (FORMAT.md 8.1); 0: none */
    bool checkpoints;         /* write the model's checkpoints into the stream (ckpt_tee) */
    void (*pace)(void *ctx, uint64_t step); /* called after each step marker; may block */
    void *pace_ctx;
};
#define RECORDER_STACK_DEPTH 24

/* The header of a trace of a heap of profile p, its arenas from `source` ("mmap", "aligned"),
 * collected by gc (NULL: no collector in the header), made by `command`: what the recorder
 * writes, and what a test or a benchmark that writes a trace of its own writes. */
void recorder_header(struct trace_header *h, const struct heap_profile *p, const char *source,
                     const struct gc_profile *gc, const char *command);

struct recorder;

/*
 * Claims the trace file at path for this process before anything writes it: creates it without
 * truncating it and takes an exclusive lock (flock) that lasts as long as the returned fd is
 * open, so that two recordings into one file refuse instead of interleaving.  Returns the fd, or
 * -1 with "PATH: another arenascope is recording into it" or the system's reason in err.
 */
int recorder_claim(const char *path, char *err, size_t errlen);

/* Parses the profile and arena source without side effects; -1 with a message on error. */
int recorder_check_options(const struct recorder_options *o, char *err, size_t errlen);

struct cli;
/* A workload's --stacks and --stack-depth, as record, live and live --compare take them: --stacks
 * c or none (demo's --stacks, a flag with no value, is c); --stack-depth N frames, at most
 * STACK_MAX_DEPTH (0: RECORDER_STACK_DEPTH), which alone means c.  Returns 0, or the status of
 * the usage error it printed. */
int recorder_stack_options(struct cli *c, bool *stacks, unsigned *depth);

/* Builds the heap (and runtime when with_runtime), the stack table, and opens the writer. */
int recorder_open(struct recorder **out, const struct recorder_options *o, bool with_runtime, char *err,
                  size_t errlen);
struct heap *recorder_heap(const struct recorder *r);
struct workload_env *recorder_env(struct recorder *r);
/* Runs a prepared workload, which must match with_runtime. */
int recorder_run(struct recorder *r, struct workload *w, char *err, size_t errlen);
/* Shuts the runtime down (its final collection and emptied free lists are part of the
 * recording) and completes the trace (last chunk, index).  The heap and the runtime's figures
 * stay readable until recorder_free. */
int recorder_finish(struct recorder *r, char *err, size_t errlen);
/* The figures of sys._debugmallocstats() from the allocator's (and runtime's) own structures. */
void recorder_get_stats(const struct recorder *r, struct heap_stats *out);
uint64_t recorder_event_count(const struct recorder *r);
/* Frees everything (a trace not finished is left as a killed recording leaves it). */
void recorder_free(struct recorder *r);

/* The arena source named "mmap" or "aligned"; false for another name. */
bool recorder_arena_source(const char *name, struct heap_arena_source *out);

#endif
