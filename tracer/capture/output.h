/*
 * output.h - the program's standard output and error, captured into the trace.
 *
 * output_start() puts a pipe under descriptors 1 and 2 (the originals are kept).  Whatever the
 * program writes there (print(), a traceback, a subprocess's output, C code's printf) is read
 * back, passed on to the original descriptor (the terminal of `record`, /dev/null under a live
 * viewer) and kept, in order, until the thread that holds the GIL takes it: output_drain() turns
 * each whole line into a `print` event (stream 1 or 2), so that the Output pane shows what was
 * printed by the time of each event.
 *
 * A reader thread keeps the pipes from filling while the program writes and allocates nothing
 * (a program may print megabytes without allocating); output_drain() reads what the thread has
 * not yet seen, so that a step marker follows everything written before it.  The program still
 * sees the terminal it was given: isatty() answers for 1 and 2 as for the originals (preload.c),
 * so that print() stays line-buffered on a terminal.
 */
#ifndef CAPTURE_OUTPUT_H
#define CAPTURE_OUTPUT_H

#include <allocator/event.h>

#include <stdbool.h>

struct output;

/* Returns NULL (and leaves the descriptors alone) when the pipes or the thread cannot be made.
 * When idle is not NULL, the reader thread also calls it every idle_ms (never with the mutex
 * held): a live capture flushes its trace from there while the program sleeps. */
struct output *output_start(void (*idle)(void *ctx), void *ctx, int idle_ms);
/* True when output arrived since the last drain: one load, for the allocator's hot path. */
bool output_pending(const struct output *o);
/* Emits the whole lines captured so far (all of it, a partial line too, when `all`). */
void output_drain(struct output *o, const struct event_sink *sink, bool all);
/* The original descriptor behind 1 or 2 (for isatty). */
int output_original_fd(const struct output *o, int fd);
/* Before the program's fork(): stops the reader thread and waits for it; false (and nothing
 * done) when it cannot, in a live capture (output.c). */
bool output_pause(struct output *o);
/* After it, in the parent: starts the reader again. */
void output_resume(struct output *o);
/* In a forked child: the reader thread is gone; the child's writes reach the parent's pipes. */
void output_forget(struct output *o);

#endif
