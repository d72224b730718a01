/*
 * trace.h - trace files: the writer (an event sink) and the reader (events back, seeking,
 * following a file or pipe that is still being written, typed blobs).
 *
 * The format is specified in tracer/format/FORMAT.md; this header is its programming interface.
 *
 * Return convention: 0 or a negative TRACE_E* code; the reader and writer keep a one-line
 * message for the last error ("trace.bin: chunk 12 at byte 40960: bad checksum"), in the style
 * of docs/style.md 4: lowercase, no final period, naming the file and, where it applies, chunk
 * and byte.
 *
 * Memory: the writer and reader use libc's malloc, never the heap being observed.
 * Threads: a writer or reader is used by one thread at a time (a writer may run an encoder
 * thread of its own: trace_writer_set_thread).
 */
#ifndef TRACER_TRACE_H
#define TRACER_TRACE_H

#include <allocator/event.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum {
    TRACE_EIO = -1,       /* the system refused a read or write */
    TRACE_EFORMAT = -2,   /* not a trace, or damaged */
    TRACE_EVERSION = -3,  /* written by a newer arenascope */
    TRACE_ENOMEM = -4,
    TRACE_ERANGE = -5,    /* seek past the last event */
    TRACE_ETRUNCATED = -6 /* the file ends inside a record: readable up to its last whole chunk */
};
const char *trace_strerror(int err);

#define TRACE_FORMAT_VERSION 3 /* the newest version this build reads and the one it writes */
#define TRACE_MAX_GENERATIONS 4
#define TRACE_MAX_TEXT (1u << 20) /* bytes of an event's text; a writer refuses a longer one */

/* What a trace says about how it was made (FORMAT.md section 4). */
struct trace_header {
    uint32_t version; /* format version of the file; set by the reader, ignored by the writer */
    char writer[32];  /* "arenascope 0.1.0" */

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
    uint64_t gc_startup[TRACE_MAX_GENERATIONS + 1]; /* the interpreter's own objects the collector
                                                       counts in each generation at event 0, the
                                                       permanent one at index ngenerations */

    char command[512];          /* the command line that produced the trace */
    char program[256];          /* a real program's interpreter, "/usr/bin/python3.11"; empty for
                                   arenascope's own workloads */
    char program_version[32];   /* its version, "3.11.2"; empty for arenascope's own workloads */
    uint64_t clock_realtime_ns; /* wall-clock time of event 0, ns since the Unix epoch; the
                                   writer fills it in when it is 0 */
    uint64_t window;            /* bytes: a live trace's cap, past which the writer drops its oldest
                                   chunks (FORMAT.md 8.1); 0: every chunk is kept */
};

/* ---- writing --------------------------------------------------------------------------------- */

struct trace_writer;

/* Creates (truncates) path; "-" is standard output.  The header is written at once.  On
 * failure *out is NULL and err holds the one-line message. */
int trace_writer_open(struct trace_writer **out, const char *path, const struct trace_header *hdr,
                      char *err, size_t errlen);
/* Writes to an open descriptor (a pipe to a live viewer); the writer does not close it.  A pipe
 * whose reader has gone raises SIGPIPE, unless the process ignores it: then the writer's error
 * becomes "write: Broken pipe". */
int trace_writer_open_fd(struct trace_writer **out, int fd, const char *name,
                         const struct trace_header *hdr, char *err, size_t errlen);

/* The writer as an event sink.  Errors are sticky and reported by trace_writer_finish(). */
struct event_sink trace_writer_sink(struct trace_writer *w);
void trace_writer_emit(struct trace_writer *w, const struct event *ev);

/* Ends the current chunk now (live viewers see events within one flush). */
int trace_writer_flush(struct trace_writer *w);

/* Ends the current chunk and writes a blob (FORMAT.md section 7) after it, at once: a live
 * writer's checkpoints (TRACE_BLOB_CHECKPOINT keyed by the events emitted so far). */
int trace_writer_put_blob(struct trace_writer *w, const char type[4], uint64_t key, const void *data, size_t len);

/* Writes the last chunk, the index and the trailer; the file is then complete.  Returns the
 * first error met since the writer was opened.  Emitting after finish is a programmer error. */
int trace_writer_finish(struct trace_writer *w);
const char *trace_writer_error(const struct trace_writer *w);
uint64_t trace_writer_event_count(const struct trace_writer *w);
uint64_t trace_writer_bytes(const struct trace_writer *w); /* written so far, chunks included */
/* Closes the file.  Without trace_writer_finish() it is left as a killed recording leaves it:
 * the whole chunks written so far and no index. */
void trace_writer_free(struct trace_writer *w);

/* Replaces the clock (ns, any origin; read by the producer's thread when a chunk's first event
 * arrives, see FORMAT.md section 6).  For reproducible files in tests. */
void trace_writer_set_clock(struct trace_writer *w, uint64_t (*now_ns)(void *ctx), void *ctx);

/*
 * Where the writer compresses and writes.  Emitting encodes each event into the chunk being
 * built; full chunks are compressed, checksummed and written either in the emitting thread or
 * by an encoder thread of the writer's own (pthreads, libc memory only), which keeps that work
 * off a producer's hot path.
 *   AUTO    (the default) the encoder thread takes over once the first chunk is sealed, if the
 *           machine has a second processor and the writer was never flushed; a flush (a live
 *           viewer follows the file) brings the writing back to the emitting thread for good.
 *   NEVER   always in the emitting thread.
 *   ALWAYS  in the encoder thread from now on, until a flush.
 * Either way the bytes written are the same, and trace_writer_flush() returns once every event
 * emitted before it is written.  Call before emitting, or at least from the emitting thread.
 */
enum trace_writer_thread {
    TRACE_WRITER_THREAD_AUTO,
    TRACE_WRITER_THREAD_NEVER,
    TRACE_WRITER_THREAD_ALWAYS,
};
void trace_writer_set_thread(struct trace_writer *w, enum trace_writer_thread mode);
/* zstd's level for the chunks and blobs written from now on (FORMAT.md 6); 0 stores them as they
 * are.  The default is the one bench_trace measured as the best trade of size for time. */
void trace_writer_set_level(struct trace_writer *w, int level);
#define TRACE_ZSTD_LEVEL 1 /* the default */

/* ---- reading --------------------------------------------------------------------------------- */

struct trace_reader;

enum {
    /* Keep reading a file or pipe that is still growing: the open does not wait for an index;
     * trace_reader_poll() makes chunks readable as they arrive.  Bytes read from a pipe are
     * spooled to an unlinked temporary file so that seeking back works and memory stays flat. */
    TRACE_OPEN_FOLLOW = 1u,
};

/* Opens path ("-" is standard input); on failure *out is NULL and err holds the one-line
 * message.  A file without an index opens (the index is rebuilt by scanning), and so does a file
 * cut short or damaged after its header: see trace_reader_damage(). */
int trace_reader_open(struct trace_reader **out, const char *path, unsigned flags, char *err,
                      size_t errlen);
/* Reads an open descriptor (a file, or a pipe from a recording child); name is used in
 * messages.  The reader does not close fd. */
int trace_reader_open_fd(struct trace_reader **out, int fd, const char *name, unsigned flags,
                         char *err, size_t errlen);
void trace_reader_free(struct trace_reader *r);

const struct trace_header *trace_reader_header(const struct trace_reader *r);
const char *trace_reader_error(const struct trace_reader *r); /* the last error's message */
const char *trace_reader_path(const struct trace_reader *r);

/* Events known so far (all of them once the index was read or rebuilt). */
uint64_t trace_reader_event_count(const struct trace_reader *r);
/* The first event still in the file: 0, or where a windowed file's kept chunks begin (events
 * before it were dropped; reading them is TRACE_ERANGE). */
uint64_t trace_reader_first_event(const struct trace_reader *r);
/* Bytes of the file known so far. */
uint64_t trace_reader_file_bytes(const struct trace_reader *r);
/* True when the file ended with a sound index; false when it was rebuilt by scanning.  A
 * followed stream becomes complete when it ends with the writer's index and trailer. */
bool trace_reader_is_complete(const struct trace_reader *r);
/* When the file ends inside a record: that record's byte offset; else 0. */
uint64_t trace_reader_truncated_at(const struct trace_reader *r);
/* Why the file is not whole, in one line ("trace.bin: ends inside chunk 3 at byte 9120"); NULL
 * when it is complete, or when it was merely recorded without an index and scanned cleanly
 * (then trace_reader_is_complete() is false and this is NULL). */
const char *trace_reader_damage(const struct trace_reader *r);

struct trace_chunk_info {
    uint64_t offset;    /* byte offset of the chunk's record in the file */
    uint64_t bytes;     /* size on disk, record framing included */
    uint64_t first_seq; /* number of its first event */
    uint32_t count;     /* events in it */
    uint64_t first_ns;  /* time of its first event, ns after the clock base */
};
size_t trace_reader_chunk_count(const struct trace_reader *r);
void trace_reader_chunk(const struct trace_reader *r, size_t i, struct trace_chunk_info *out);

/* Positions the reader so that the next event read is `seq` (seq == event count: at the end).
 * Costs one chunk load and the decoding of the events before seq in its chunk. */
int trace_reader_seek(struct trace_reader *r, uint64_t seq);
/* The number of the next event to be read. */
uint64_t trace_reader_tell(const struct trace_reader *r);
/* Reads the next event: 1 when one was read, 0 at the end (of what has arrived, when
 * following), < 0 on error.  ev->seq is the file's event number; ev->str stays valid until the
 * next call.  Events of kinds this program does not know (optional ones) are skipped. */
int trace_reader_next(struct trace_reader *r, struct event *ev);
/* Reads up to n events into evs, never crossing a chunk boundary: returns how many (0 at the
 * end), or < 0 on error.  Their str pointers stay valid until the next call. */
ssize_t trace_reader_read(struct trace_reader *r, struct event *evs, size_t n);

/* In follow mode: takes in what arrived; returns how many events became readable (>= 0), or
 * < 0 on error.  Never blocks. */
int trace_reader_poll(struct trace_reader *r);
/* True once a followed stream ended (the writer finished or the pipe closed); always true when
 * not following. */
bool trace_reader_is_ended(const struct trace_reader *r);
/* The descriptor to wait on (poll(2) for input) while following a pipe; -1 otherwise. */
int trace_reader_wait_fd(const struct trace_reader *r);

/* The file's own event table (FORMAT.md section 5): its kinds, and how many events of each. */
size_t trace_reader_kind_count(const struct trace_reader *r);
const char *trace_reader_kind_name(const struct trace_reader *r, size_t i);
bool trace_reader_kind_is_optional(const struct trace_reader *r, size_t i);
/* This program's kind for file kind i, or -1 when it does not know it. */
int trace_reader_kind_own(const struct trace_reader *r, size_t i);
/* Fills counts[0 .. kind_count) with the events of each file kind: from the index when the file
 * is complete, else by decoding every chunk (which also moves the read position to the end). */
int trace_reader_count_kinds(struct trace_reader *r, uint64_t *counts);

/*
 * Checks that the file is whole and sound (what `arenascope check` reports): complete, with an
 * index that agrees with a scan of every record, every CRC right, every event decodable (every
 * kind known or optional), kind counts as the index says, every blob readable.  Returns 0, or
 * the first problem (TRACE_EFORMAT, TRACE_ETRUNCATED, ...) with its message in
 * trace_reader_error().  Reads the whole file; moves the read position to the end.
 */
int trace_reader_verify(struct trace_reader *r);
/*
 * trace_reader_verify() in two halves around a reading of every event in order, which then decodes
 * the events once instead of twice (`arenascope check`, with the model's pass between them).
 * _begin checks the records and the index, and has the reader count the events of each chunk it
 * reads from the chunk's start to its end, from chunk 0 on; _end decodes the chunks not counted
 * so, then checks the counts and the blobs.  Each returns 0 or the first problem, as
 * trace_reader_verify() does; together they find what it finds, the records' problems first.
 * _end moves the read position to the end.
 */
int trace_reader_verify_begin(struct trace_reader *r);
int trace_reader_verify_end(struct trace_reader *r);

/* ---- blobs: typed data stored by other parts in the index (FORMAT.md section 7) ------------ */

#define TRACE_BLOB_CHECKPOINT "CKPT" /* key: seq; data: the model's state after events [0, seq) */
#define TRACE_BLOB_MARKS "MARK"      /* key: 0; data: the model's timeline marks */

struct trace_blob_info {
    char type[5];    /* four characters and a NUL */
    uint64_t key;
    uint64_t offset; /* of its record */
    uint64_t bytes;  /* bytes its data takes in the file (in version 3: compressed, after how) */
};
/* Blobs in (type, key) order. */
size_t trace_reader_blob_count(const struct trace_reader *r);
void trace_reader_blob(const struct trace_reader *r, size_t i, struct trace_blob_info *out);
/* The blobs of one type are indexes [*first, *first + returned count). */
size_t trace_reader_blob_range(const struct trace_reader *r, const char *type, size_t *first);
/* Loads blob i into *buf (malloc'd, caller frees), checking its CRC. */
int trace_reader_blob_load(struct trace_reader *r, size_t i, void **buf, size_t *len);

struct trace_blob {
    uint64_t key;
    const void *data;
    size_t len;
};
/* Replaces all blobs of `type` (four characters) in the trace at path with the given ones (keys
 * distinct) and rewrites the index; the events are untouched.  Works on complete files and on
 * recordings without an index (which then become complete); refuses a truncated or damaged
 * file.  Not while another process writes the file. */
int trace_store_blobs(const char *path, const char *type, const struct trace_blob *blobs,
                      size_t n, char *err, size_t errlen);

/* Checkpoints are blobs of type TRACE_BLOB_CHECKPOINT keyed by seq. */
size_t trace_reader_checkpoint_count(const struct trace_reader *r);
/* seq of checkpoint i (ascending): the blob is the state after folding events [0, seq). */
uint64_t trace_reader_checkpoint_seq(const struct trace_reader *r, size_t i);
/* Loads checkpoint i into *buf (malloc'd, caller frees). */
int trace_reader_checkpoint_load(struct trace_reader *r, size_t i, void **buf, size_t *len);
int trace_store_checkpoints(const char *path, const struct trace_blob *blobs, size_t n, char *err,
                            size_t errlen);

/* ---- the event table, for the encoder, dump and the UI --------------------------------------- */

const char *event_kind_name(enum event_kind k);
int event_kind_from_name(const char *name); /* -1 when unknown */
unsigned event_kind_flags(enum event_kind k); /* EVF_OPTIONAL */
size_t event_kind_field_count(enum event_kind k);   /* word fields, text excluded */
const char *event_kind_field_name(enum event_kind k, size_t i);
char event_kind_field_type(enum event_kind k, size_t i); /* 'u', 'i', 'a', 'p' */
const char *event_kind_text_name(enum event_kind k);     /* the text field's name, or NULL */
/* The kind's sentence for the event log, with {field} where a field's value goes. */
const char *event_kind_say(enum event_kind k);
/* The field of kind k with that role (EV_ROLES in allocator/event.h), or -1 when it has none. */
int event_kind_role(enum event_kind k, enum ev_role role);
/* ev's field with that role into *out (0 when none); false when its kind has no such field. */
bool event_role(const struct event *ev, enum ev_role role, uint64_t *out);
/* The address an event is about: its block (EV_ROLE_ADDR), else its pool, its arena's base or
 * its object; 0 when none. */
uint64_t event_subject(const struct event *ev);
/* The first field that may be omitted when it and all after it are zero (the text counts as the
 * last field); equal to the field count, text included, when none may be. */
size_t event_kind_tail(enum event_kind k);
/* One event as a line of text, without a newline: "block_alloc addr=0x7f0012340030 size=24
 * stack=0", addresses in hex, the text field last, quoted with C escapes.  Returns the length it
 * needed, like snprintf; EVENT_FORMAT_MAX bytes always suffice. */
size_t event_format_text(const struct event *ev, char *buf, size_t len);
/* One event as a JSON object: {"seq":12,"kind":"block_alloc","addr":"0x7f0012340030",...};
 * numbers as numbers, addresses as hex strings, the text as a JSON string (bytes outside
 * ASCII as \u0080..\u00ff).  A field named "seq" or "kind" is written as "seq_" or "kind_". */
size_t event_format_json(const struct event *ev, char *buf, size_t len);
#define EVENT_FORMAT_MAX ((6u << 20) + 4096u) /* a 1 MiB text, every byte escaped */

/* Checks the table against the format's rules (names, counts, tails); false with the first
 * problem in err. */
bool event_table_is_valid(char *err, size_t errlen);

#endif
