/*
 * helpers.h - shared by the allocator tests: heaps, scripts (random and by scenario), running a
 * script on a heap and collecting its placements.
 */
#ifndef TESTS_ALLOCATOR_HELPERS_H
#define TESTS_ALLOCATOR_HELPERS_H

#include "rng.h"
#include <allocator/heap.h>
#include <allocator/heap_inspect.h>

#include "ops.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A heap of a named profile on the "aligned" or "mmap" source; fails the test on error. */
struct heap *th_heap(const char *profile, const char *source, const struct event_sink *sink);
struct heap_profile th_profile(const char *name);
/* Fails the test, naming `what`, when the heap is not valid. */
void th_valid(const struct heap *h, const char *what);

/* An arena source that counts what passes through to `inner`. */
struct th_counting {
    struct heap_arena_source inner;
    uint64_t allocs, frees; /* requests granted, arenas given back */
};
struct heap_arena_source th_counting_source(struct th_counting *c);

/* A growing text buffer. */
struct sbuf {
    char *s;
    size_t len, cap;
};
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_release(struct sbuf *b);

/* splitmix64 */

/* Sizes as a running CPython asks for them: object headers, small ints and strings, tuples,
 * lists, dicts; now and then anything up to the threshold, a large request or zero. */
uint64_t th_python_size(struct rng *r);

/* A random script of about nops operations (see helpers.c for its phases). */
void th_random_script(struct sbuf *out, uint64_t seed, size_t nops);

/* Hand-written scenarios, one per transition, scaled to the profile's geometry. */
struct scenario {
    const char *name;
    void (*write)(struct sbuf *out, const struct heap_profile *p);
};
extern const struct scenario th_scenarios[];
extern const size_t th_nscenarios;

/* Placements, one line each ("OP ARENA POOL OFFSET", "OP raw"). */
struct placements {
    char **lines;
    size_t n, cap;
};
void placements_add(struct placements *pl, const char *line);
void placements_release(struct placements *pl);
/* Index of the first differing line (or the shorter length), or -1 when equal. */
long placements_diff(const struct placements *a, const struct placements *b);

/* Parses text as a script; fails the test on error. */
void th_parse(struct ops_script *s, const char *name, const struct sbuf *text);

/* Runs a script on h, validating after every `validate_every` operations (0: only at the end),
 * collecting placements into pl (may be NULL).  Fails the test on any error. */
void th_run(struct heap *h, const struct ops_script *s, unsigned validate_every, struct placements *pl);
/* The same, then frees what the script left (in handle order) when free_at_end; when at_last is
 * not NULL it is called after the script's last operation, before those frees. */
void th_run_ex(struct heap *h, const struct ops_script *s, unsigned validate_every, struct placements *pl,
               bool free_at_end, void (*at_last)(void *ctx), void *ctx);
/* Operations in a script, markers excluded. */
uint64_t th_count_ops(const struct ops_script *s);

#endif
