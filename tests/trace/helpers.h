/* helpers.h - shared by the trace tests: random events, comparisons, scratch files. */
#ifndef TESTS_TRACE_HELPERS_H
#define TESTS_TRACE_HELPERS_H

#include <tracer/trace.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* xorshift64*: deterministic per seed. */
struct rng {
    uint64_t s;
};
void rng_seed(struct rng *g, uint64_t seed);
uint64_t rng_next(struct rng *g);
uint64_t rng_below(struct rng *g, uint64_t n);

/* A list of events with their texts copied. */
struct evlist {
    struct event *ev;
    size_t n, cap;
    char *text;
    size_t text_len, text_cap;
};
void evlist_init(struct evlist *l);
void evlist_release(struct evlist *l);
void evlist_push(struct evlist *l, const struct event *ev);
/* ev with its str pointing into the list's text store (valid until the next push). */
const struct event *evlist_at(const struct evlist *l, size_t i, struct event *tmp);

/* A random event of any kind, with extremes, repeats and texts; its str points into g's scratch. */
void random_event(struct rng *g, struct event *ev, char *textbuf, size_t textcap);
/* Appends n random events. */
void evlist_random(struct evlist *l, struct rng *g, size_t n);

/* Equal kind, fields and text (seq not compared).  Writes what differs to why. */
bool event_equal(const struct event *a, const struct event *b, char *why, size_t whylen);

/* A header with every field set. */
void test_header(struct trace_header *h);

/* A directory for the test's files, removed at exit. */
const char *scratch_dir(void);
/* scratch_dir()/name in a static buffer (rotating among 8). */
const char *scratch_path(const char *name);

/* Writes the events to path; flush_every > 0 ends a chunk after that many events; finish=false
 * leaves the file as a killed recording.  Asserts success. */
void write_trace(const char *path, const struct evlist *l, size_t flush_every, bool finish);

/* Reads a whole file into memory (malloc'd). */
uint8_t *slurp(const char *path, size_t *len);
void spit(const char *path, const void *data, size_t len);

#endif
