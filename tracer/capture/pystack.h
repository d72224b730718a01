/*
 * pystack.h - the Python call stack of an allocation, interned into the trace's stack ids.
 *
 * On every allocation the capture asks for the current thread's Python stack: the frames from
 * the innermost outwards, each a code object and the instruction it is at.  Most allocations
 * come from a stack seen before, so the walk (a few pointer reads per frame, python.h) is hashed
 * as it is and looked up; only a new combination of code objects and instructions is turned into
 * text, (function, file, line) per frame, and interned by that text: the first time a text is
 * seen it gets the next id and a `stack_def` event carrying it goes to the sink before the
 * allocation's own events.
 *
 * A Python frame in a stack_def is one line "FUNCTION\tFILE\tLINE" (tab-separated; a C frame
 * has no tab), innermost first.
 *
 * Code objects die and their memory is reused: every block the program frees is shown to
 * pystack_forget(), which drops what was cached about a code object at that address, so that a
 * new code object there is never taken for the old one.
 *
 * Memory is libc's malloc, never the observed heap.  The caller holds the GIL.
 */
#ifndef CAPTURE_PYSTACK_H
#define CAPTURE_PYSTACK_H

#include "python.h"

#include <allocator/event.h>

#include <stdint.h>

#define PYSTACK_MAX_DEPTH 64

struct pystack;

/* depth: frames kept, 1 to PYSTACK_MAX_DEPTH.  Returns 0, or -1 when out of memory.  on_file,
 * when not NULL, is called with each file name the first time a frame names it, before the
 * frame's definition goes to the sink (the capture records the source of the program's files). */
int pystack_new(struct pystack **out, const struct py_info *py, unsigned depth,
                const struct event_sink *sink, void (*on_file)(void *ctx, const char *file), void *ctx);
void pystack_free(struct pystack *ps);

/* The id of the current thread's Python stack (emitting its stack_def on first sight); 0 when
 * no Python code runs (start-up, a thread without a frame) or memory ran out. */
uint64_t pystack_capture(struct pystack *ps);

/* The id of a C stack (return addresses, innermost first), and of C frames followed by the
 * current Python stack (`--stacks both`). */
uint64_t pystack_capture_c(struct pystack *ps, void *const *frames, size_t n);
uint64_t pystack_capture_both(struct pystack *ps, void *const *frames, size_t n);

/* The id of a stack of one made-up frame, "FUNCTION\t\t0" (the capture's own allocations). */
uint64_t pystack_intern_label(struct pystack *ps, const char *function);

/* The code objects of the current thread's frames, innermost first (at most max); and a code
 * object's file name as UTF-8 into file (len > 0). */
size_t pystack_codes(const struct pystack *ps, void **codes, size_t max);
/* The innermost complete frame of the current thread (a PyFrameObject before 3.11, an
 * interpreter frame after), 0 when none. */
uintptr_t pystack_innermost_frame(const struct pystack *ps);
/* The code object of the outermost frame, however deep the stack is; NULL when none. */
void *pystack_outermost_code(const struct pystack *ps);
void pystack_code_file(const struct pystack *ps, void *code, char *file, size_t len);

/* A block at p was freed: forget anything cached about a code object there. */
void pystack_forget(struct pystack *ps, const void *p);

/* Counters for benchmarks: walks, hits of the walk cache, distinct stacks. */
struct pystack_stats {
    uint64_t captures, hits, stacks, forgotten;
};
void pystack_get_stats(const struct pystack *ps, struct pystack_stats *out);

#endif
