/*
 * trace.h - trace files: the writer (an event sink) and the reader (events back, seeking).
 *
 * The format is specified in tracer/FORMAT.md; this header is its programming interface.
 *
 * Return convention: 0 or a negative TRACE_E* code; the reader and writer keep a one-line
 * message for the last error ("trace.bin: chunk 12 at byte 40960: bad checksum"), in the style
 * of STYLE.md: lowercase, no final period, naming the file and, where it applies, chunk and byte.
 */
#ifndef TRACER_TRACE_H
#define TRACER_TRACE_H

#include <allocator/event.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    TRACE_EIO = -1,       /* the system refused a read or write */
    TRACE_EFORMAT = -2,   /* not a trace, or damaged */
    TRACE_EVERSION = -3,  /* written by a newer arenascope */
    TRACE_ENOMEM = -4,
    TRACE_ERANGE = -5,    /* seek past the last event */
    TRACE_ETRUNCATED = -6 /* the file ends inside a chunk: readable up to its last whole chunk */
};
const char *trace_strerror(int err);

#define TRACE_MAX_GENERATIONS 4

/* What a trace says about how it was made (FORMAT.md "Header"). */
struct trace_header {
    uint32_t version; /* format version of the file */

    /* allocator profile */
    char profile[32];           /* "cpython-3.10", ... */
    char arena_source[16];      /* "mmap", "aligned" */
    uint32_t alignment;         /* bytes */
    uint32_t threshold;         /* bytes */
    uint32_t pool_size;         /* bytes */
    uint32_t arena_size;        /* bytes */
    uint32_t pool_overhead;     /* bytes */
    uint32_t pointer_size;      /* bytes */
    bool keep_last_free_arena;
    uint32_t arena_map_bits;    /* address bits of the 3.10+ arena map (48, 64); 0: none */

    /* GC profile */
    char gc_profile[32];                     /* "cpython-3.8", "cpython-3.13", "legacy" */
    uint32_t ngenerations;                   /* generations besides the permanent one */
    char generation_names[TRACE_MAX_GENERATIONS][16];
    uint32_t thresholds[TRACE_MAX_GENERATIONS];
    bool legacy_finalizers;                  /* cycles with __del__ go to gc.garbage */

    char command[512];          /* the command line that produced the trace */
    uint64_t clock_realtime_ns; /* wall-clock time of event 0, ns since the Unix epoch */
};

/* ---- writing --------------------------------------------------------------------------------- */

struct trace_writer;

/* Creates (truncates) path; "-" is standard output. */
int trace_writer_open(struct trace_writer **out, const char *path, const struct trace_header *hdr);
/* Writes to an open descriptor (a pipe to a live viewer); the writer does not close it. */
int trace_writer_open_fd(struct trace_writer **out, int fd, const char *name,
                         const struct trace_header *hdr);

/* The writer as an event sink.  Errors are sticky and reported by trace_writer_finish(). */
struct event_sink trace_writer_sink(struct trace_writer *w);
void trace_writer_emit(struct trace_writer *w, const struct event *ev);

/* Ends the current chunk now (live viewers see events within one flush). */
int trace_writer_flush(struct trace_writer *w);

/* Writes the last chunk and the index; the file is then complete. */
int trace_writer_finish(struct trace_writer *w);
const char *trace_writer_error(const struct trace_writer *w);
uint64_t trace_writer_event_count(const struct trace_writer *w);
uint64_t trace_writer_bytes(const struct trace_writer *w);
void trace_writer_free(struct trace_writer *w);

/* ---- reading --------------------------------------------------------------------------------- */

struct trace_reader;

enum {
    TRACE_OPEN_FOLLOW = 1u, /* keep reading a file or pipe that is still growing */
};

/* Opens path; on failure *out is NULL and err holds the one-line message. */
int trace_reader_open(struct trace_reader **out, const char *path, unsigned flags, char *err,
                      size_t errlen);
void trace_reader_free(struct trace_reader *r);

const struct trace_header *trace_reader_header(const struct trace_reader *r);
const char *trace_reader_error(const struct trace_reader *r);
const char *trace_reader_path(const struct trace_reader *r);

/* Events known so far (all of them once the index was read or rebuilt). */
uint64_t trace_reader_event_count(const struct trace_reader *r);
/* True when the file ended with a sound index; false when it was rebuilt by scanning. */
bool trace_reader_is_complete(const struct trace_reader *r);
/* When the file ends inside a chunk: the byte offset of that chunk; else 0. */
uint64_t trace_reader_truncated_at(const struct trace_reader *r);

struct trace_chunk_info {
    uint64_t offset;    /* byte offset of the chunk in the file */
    uint64_t bytes;     /* size on disk, header included */
    uint64_t first_seq; /* number of its first event */
    uint32_t count;     /* events in it */
    uint64_t first_ns;  /* time of its first event, ns after the clock base */
};
size_t trace_reader_chunk_count(const struct trace_reader *r);
void trace_reader_chunk(const struct trace_reader *r, size_t i, struct trace_chunk_info *out);

/* Positions the reader so that the next event read is `seq`. */
int trace_reader_seek(struct trace_reader *r, uint64_t seq);
/* Reads the next event: 1 when one was read, 0 at the end, < 0 on error.  ev->str stays valid
 * until the next call. */
int trace_reader_next(struct trace_reader *r, struct event *ev);

/* In follow mode: looks for new complete chunks; returns how many events became readable. */
int trace_reader_poll(struct trace_reader *r);
/* True once a followed stream ended (the writer finished or the pipe closed). */
bool trace_reader_is_ended(const struct trace_reader *r);

/* ---- checkpoints: opaque blobs (the model's serialised state) stored in the index ----------- */

size_t trace_reader_checkpoint_count(const struct trace_reader *r);
/* seq of checkpoint i: the blob is the state after folding events [0, seq). */
uint64_t trace_reader_checkpoint_seq(const struct trace_reader *r, size_t i);
/* Loads checkpoint i into *buf (malloc'd, caller frees). */
int trace_reader_checkpoint_load(struct trace_reader *r, size_t i, void **buf, size_t *len);

/* Rewrites the index of a trace (complete or recovered) with the given checkpoints; the events
 * are untouched.  seqs are ascending. */
struct trace_blob {
    uint64_t seq;
    const void *data;
    size_t len;
};
int trace_store_checkpoints(const char *path, const struct trace_blob *blobs, size_t n, char *err,
                            size_t errlen);

/* ---- the event table, for dump and the UI ---------------------------------------------------- */

const char *event_kind_name(enum event_kind k);
int event_kind_from_name(const char *name); /* -1 when unknown */
size_t event_kind_field_count(enum event_kind k);   /* word fields, text excluded */
const char *event_kind_field_name(enum event_kind k, size_t i);
char event_kind_field_type(enum event_kind k, size_t i); /* 'u', 'i', 'a', 'p' */
const char *event_kind_text_name(enum event_kind k);     /* the text field's name, or NULL */

#endif
