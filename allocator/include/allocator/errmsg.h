/*
 * errmsg.h - one-line messages written into a caller's buffer: how every component fills the
 * `char *err, size_t errlen` pair of a function that can fail (docs/style.md 4).
 *
 * The caller owns the buffer and prints what it finds there; err may be NULL (or errlen 0)
 * when the caller does not want the words, and then nothing is written.
 *
 *   - errmsg_fail() writes the message and returns the code it is given, so that a failure is
 *     one statement: `return errmsg_fail(err, errlen, HEAP_EINVAL, "pool size %u ...", n);`
 *     (a function that returns bool passes false).
 *   - errmsg_vformat() is what it is made of, for a function of its own that takes a va_list:
 *     one that prefixes its messages ("trace.bin: ...", a reader naming its file), or one whose
 *     first error wins (a validator that walks on, a writer's sticky error), which checks its
 *     own state before it writes.
 *
 * Header-only, so that it carries no library: tracer/ and ui/ may include it as they include
 * allocator/'s value headers (tests/layering.sh).
 */
#ifndef ALLOCATOR_ERRMSG_H
#define ALLOCATOR_ERRMSG_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* Writes "PREFIX: " (when prefix is not NULL) then the message into err[0 .. errlen),
 * truncated and NUL-terminated; nothing when err is NULL or errlen 0. */
static inline void errmsg_vformat(char *err, size_t errlen, const char *prefix, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

static inline void errmsg_vformat(char *err, size_t errlen, const char *prefix, const char *fmt, va_list ap)
{
    if (!err || !errlen)
        return;
    size_t n = 0;
    if (prefix) {
        int k = snprintf(err, errlen, "%s: ", prefix);
        n = k < 0 ? 0 : (size_t)k < errlen ? (size_t)k : errlen - 1;
    }
    vsnprintf(err + n, errlen - n, fmt, ap);
}

/* Writes the message into err; returns rc. */
static inline int errmsg_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static inline int errmsg_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vformat(err, errlen, NULL, fmt, ap);
    va_end(ap);
    return rc;
}

#endif
