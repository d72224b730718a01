/*
 * stack.c - stack_capture() with libunwind's unw_backtrace.
 *
 * unw_backtrace() stores the instruction pointers of the calling thread's frames, starting with
 * the frame that called it (this function); that one and the `skip` frames after it are dropped.
 * The function must not be inlined, or the count of frames to drop would depend on the compiler.
 */
#define UNW_LOCAL_ONLY
#include <allocator/stack.h>

#include <libunwind.h>
#include <string.h>

#define SKIP_MAX 16 /* frames a caller may ask to skip */

__attribute__((noinline)) size_t stack_capture(void **frames, size_t max, unsigned skip)
{
    void *buf[STACK_CAPTURE_MAX + 1 + SKIP_MAX];
    if (skip > SKIP_MAX)
        skip = SKIP_MAX;
    if (max > STACK_CAPTURE_MAX)
        max = STACK_CAPTURE_MAX;
    int n = unw_backtrace(buf, (int)(max + 1 + skip));
    size_t drop = 1 + skip;
    if (n <= 0 || (size_t)n <= drop)
        return 0;
    size_t got = (size_t)n - drop;
    memcpy(frames, buf + drop, got * sizeof *frames);
    return got;
}
