/*
 * reader.h - the trace reader's state, shared by its two halves (tracer/format/ only): reader.c
 * opens a trace and knows its chunks (the index, read or rebuilt by scanning, and followed as
 * the trace grows); decode.c loads a chunk and decodes its events.  The design is explained at
 * the top of reader.c.
 */
#ifndef TRACER_FORMAT_READER_H
#define TRACER_FORMAT_READER_H

#include "format.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAD 16                  /* zero bytes after a loaded chunk's events */
#define HIST_MASK (FMT_HISTORY - 1)
#define NO_CHUNK SIZE_MAX
#define READ_AHEAD 64           /* events trace_reader_next() decodes at a time */

enum { OP_U, OP_I, OP_A, OP_P, OP_S };
#define DEST_DROP (-1)
#define DEST_TEXT (-2)

/* How to decode one kind of the file (FORMAT.md 5 and 6). */
struct plan_kind {
    int own;              /* this program's kind, or -1 */
    unsigned nfields;     /* as in the file */
    unsigned tail;
    bool optional;
    uint8_t op[FMT_MAX_FIELDS];
    int8_t dest[FMT_MAX_FIELDS]; /* word index in struct event, DEST_TEXT or DEST_DROP */
};

/* File kind i is *native* when it is this program's kind i with the same definition (name,
 * flags, tail, fields and types): its events are decoded by code generated from the table.  The
 * others are decoded by their plan; an id at or past the schema's kinds is bad. */
enum { KIND_PLAN = EV_KIND_COUNT, KIND_BAD };

struct trace_reader {
    char *path;          /* for messages */
    int fd;              /* where bytes are read from: the file or the spool */
    bool own_fd;
    int src_fd;          /* reading a pipe: the pipe; -1 otherwise */
    bool own_src;        /* close src_fd when freed (a named pipe opened by path) */
    bool src_eof;        /* the pipe closed */
    bool follow;
    bool ended;          /* nothing more will arrive */
    bool complete;       /* the index came from the file */
    bool stopped;        /* the scan met the end of the stream or damage: no more records */
    bool after_hole;     /* the scan just skipped a windowed file's hole (FORMAT.md 8.1) */
    uint64_t size;       /* bytes of data known */
    uint64_t head_end;   /* offset after the HEAD record */
    uint64_t scan_pos;   /* next record to scan */
    uint64_t truncated_at;
    uint64_t last_index_at; /* scanning: the offset of the record just scanned when an index */
    char damage[512];    /* why the file is not whole; empty when it is */
    char msg[512];       /* the last error */

    struct trace_header hdr;
    struct fmt_schema schema;
    struct plan_kind plan[FMT_MAX_KINDS];
    uint8_t kmap[128];  /* by the kind byte's id: the native kind, KIND_PLAN or KIND_BAD */
    uint8_t lane[256];  /* by the kind byte (id and tail flag): 1 + the unsigned words after the
                           address when a native kind's coded fields are an address and at most
                           one unsigned word, else 0 */
    struct fmt_index ix;

    /* the chunk in memory */
    size_t cur;              /* its index in ix.chunks, or NO_CHUNK */
    uint8_t *cbuf;           /* the whole record, then PAD zero bytes */
    size_t ccap;
    const uint8_t *events;   /* its first event */
    const uint8_t *p, *end;  /* decoding position and end of the events */
    uint64_t pos_seq;        /* number of the event at p (or of the next one to be read) */
    uint64_t chunk_end_seq;  /* number of the event after the loaded chunk's last */
    uint8_t *zbuf;           /* a compressed chunk's events, decompressed, then PAD zero bytes */
    size_t zcap;
    void *dctx;              /* zstd's context */
    uint64_t blob_at;        /* the offset of the blob whose data blob_data holds (a delta's base), or 0 */
    void *blob_data;
    size_t blob_len;
    uint64_t hist[FMT_HISTORY];
    uint64_t hist_n;
    uint64_t prev;

    /* Between trace_reader_verify_begin() and _end(): the events of each file kind in the chunks
     * read in order from the first, whole (vcounts), and in the loaded chunk so far (vpart, while
     * vcounting: it is chunk vnext, decoded from its start by the reading in order). */
    uint64_t *vcounts, *vpart; /* NULL: not verifying; vpart is vcounts + nkinds */
    size_t vnext;
    bool vcounting;

    /* events decoded ahead by trace_reader_next(), handed out one by one */
    struct event rb[READ_AHEAD];
    size_t rb_pos, rb_n;
    int rb_err; /* damage met after them, reported once they are handed out */
};

/* reader.c: the reader's message ("path: ..."), and err; bytes of the source at off (0,
 * TRACE_ETRUNCATED past what exists, or TRACE_EIO with errno). */
int reader_fail(struct trace_reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int reader_read_at(struct trace_reader *r, void *buf, size_t n, uint64_t off);
/* reader.c: a loaded chunk's events from *p to *end (after its chunk header), decompressed when
 * the file packs them (FORMAT.md 6): *p and *end then point into r->zbuf.  0, or the error. */
int reader_chunk_unpack(struct trace_reader *r, size_t i, const uint8_t **p, const uint8_t **end);

/* decode.c: the plans from the file's schema; the chunk i loaded (its CRC checked) and decoding
 * from its start; events decoded up to seq stop (kept in evs when keep, counted by kind in counts
 * when not NULL); what trace_reader_next() read ahead, dropped. */
void reader_plan_build(struct trace_reader *r);
int reader_chunk_load(struct trace_reader *r, size_t i);
size_t reader_decode_run(struct trace_reader *r, struct event *evs, size_t n, uint64_t stop,
                         bool keep, uint64_t *counts, int *err);
void reader_buffer_drop(struct trace_reader *r);

#endif
