/* helpers.h - shared by the trace tests: random events, comparisons, scratch files. */
#ifndef TESTS_TRACE_HELPERS_H
#define TESTS_TRACE_HELPERS_H

#include "evlist.h"
#include "rng.h"
#include "scratch.h"
#include <tracer/trace.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A random event of any kind, with extremes, repeats and texts; its str points into g's scratch. */
void random_event(struct rng *g, struct event *ev, char *textbuf, size_t textcap);
/* Appends n random events. */
void evlist_random(struct evlist *l, struct rng *g, size_t n);
/* A new list of n random events drawn from seed. */
void evlist_random_new(struct evlist *l, uint64_t seed, size_t n);

/* Equal kind, fields and text (seq not compared).  Writes what differs to why. */
bool event_equal(const struct event *a, const struct event *b, char *why, size_t whylen);

/* A header with every field set. */
void test_header(struct trace_header *h);

/* scratch_dir() and scratch_path(): tests/support/scratch.h */

/* Writes the events to path; flush_every > 0 ends a chunk after that many events; finish=false
 * leaves the file as a killed recording.  Asserts success. */
void write_trace(const char *path, const struct evlist *l, size_t flush_every, bool finish);

/* Reads a whole file into memory (malloc'd). */
uint8_t *slurp(const char *path, size_t *len);
void spit(const char *path, const void *data, size_t len);

#endif

/* ---- building files by hand, from FORMAT.md ------------------------------------------------ */
#include <tracer/codec.h>

/* Appends the 12-byte prefix with the given version. */
void file_put_prefix(struct codec_buf *f, uint32_t version);
/* Appends a record: tag, length, payload, CRC32C. */
void file_put_record(struct codec_buf *f, const char *tag, const void *payload, size_t len);

/* One kind of a hand-made schema: fields as "u:serial a:base s:name". */
struct kind_spec {
    const char *name;
    unsigned flags;
    unsigned tail;
    const char *fields;
};
/* A HEAD payload: a profile name and the schema. */
void header_payload(struct codec_buf *b, const struct kind_spec *kinds, size_t n);
/* An EVTS payload header; events follow. */
void chunk_payload_start(struct codec_buf *b, uint64_t first_seq, uint64_t count, uint64_t first_ns);

/* The records of a file, from its reader and its bytes. */
struct layout_rec {
    uint64_t start, end;
    char what;  /* 'P' prefix, 'H' header, 'C' chunk, 'B' blob, 'I' index, 'T' trailer */
    size_t no;  /* chunk or blob number */
    uint64_t first_seq, count;
};
size_t file_layout(const char *path, struct layout_rec *out, size_t max);
