/*
 * stack.h - call-stack capture with libunwind, for attributing allocations to their callers.
 *
 * A recorder calls stack_capture() from the heap's stack hook (heap_set_stack_hook in heap.h),
 * which runs on entry to heap_malloc, heap_calloc and heap_realloc before the allocator touches
 * any of its state, and interns the result (tracer/stacks.h) into the id the events carry.  The
 * allocator itself never unwinds.
 *
 * Cost: about a microsecond per capture (libunwind's unw_backtrace, which caches unwind
 * information per return address).  Depth is capped; deeper stacks are cut at the outer end.
 */
#ifndef ALLOCATOR_STACK_H
#define ALLOCATOR_STACK_H

#include <stddef.h>

#define STACK_CAPTURE_MAX 64 /* the most frames one capture returns */

/*
 * Fills frames[0 .. returned count) with return addresses, innermost first.  With skip 0, frame 0
 * is the place stack_capture() was called from; each unit of skip drops one more frame (the hook,
 * the allocator's entry point), so that frame 0 is the allocation's caller.  Captures at most
 * min(max, STACK_CAPTURE_MAX) frames; skip is at most 16.
 */
size_t stack_capture(void **frames, size_t max, unsigned skip);

#endif
