/*
 * writer_private.h - the trace writer's state, shared by its files (tracer/format/ only): writer.c
 * takes events from the producer and runs the writer's life cycle and blobs; writer_encode.c
 * encodes events and assembles, compresses and writes chunks; writer_thread.c runs the encoder
 * thread and its ring of batches.  The design is explained at the top of writer.c.
 */
#ifndef TRACER_FORMAT_WRITER_PRIVATE_H
#define TRACER_FORMAT_WRITER_PRIVATE_H

#include "format.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define EV_START (FMT_REC_HEAD + 4 * CODEC_VARINT_MAX) /* events start here in the buffer */
#define EV_MAX_WORDS_BYTES (1 + CODEC_VARINT_MAX * (EVENT_MAX_FIELDS + 1)) /* kind, fields, text length */
#define EV_SLACK 8 /* bytes a store may write past the end of the last varint */
#define HASH_BITS 12
_Static_assert((1u << HASH_BITS) >= FMT_HISTORY, "the hash table covers the history");

/* A chunk's buffer: the events of one chunk, one event after its end (a text aside), the slack */
#define CHUNK_BUF_BYTES (EV_START + FMT_CHUNK_TARGET + EV_MAX_WORDS_BYTES + EV_SLACK + 4 + 4096)
#define NRING 4 /* chunks in the ring when an encoder thread runs */

/* A chunk handed to the encoder thread: its events at EV_START in buf, up to len. */
struct sealed {
    uint8_t *buf;
    size_t cap;      /* bytes allocated */
    size_t len;
    uint64_t first;  /* its first event's seq */
    uint64_t count;
    uint64_t ns;     /* its time */
};

struct trace_writer {
    /* ---- the producer's: emit, flush, finish ------------------------------------------------ */
    uint64_t seq;     /* events emitted */
    bool stopped;     /* an error, or finished: events are dropped */
    bool finished;
    bool flushed;     /* flushed once: a viewer follows, chunks are written in this thread */
    enum trace_writer_thread thread_mode;
    bool may_thread;  /* a second processor is there, and starting the thread has not failed */
    uint64_t (*now)(void *ctx);
    void *now_ctx;
    uint64_t clock_origin; /* now() when the writer opened */

    /* ---- the encoder thread and the ring ---------------------------------------------------- */
    bool async;       /* full chunks go to the encoder thread */
    bool thread_live; /* the thread exists (it may be idle: async went off after a flush) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more; /* the encoder waits for chunks */
    pthread_cond_t room; /* the producer waits for a free slot, or for the ring to drain */
    uint64_t head;       /* chunks handed over (under mu) */
    uint64_t tail;       /* chunks written (under mu) */
    bool quit;           /* under mu: no more chunks will come */
    bool enc_waiting, prod_waiting; /* under mu: who sleeps */
    struct sealed ring[NRING];
    atomic_bool failed;  /* err is set; its message no longer changes */
    _Atomic uint64_t written; /* bytes written to the file, for trace_writer_bytes() */

    /* ---- the encoding: the producer's --------------------------------------------------------- */
    uint8_t *buf;     /* the chunk being built, laid out as writer.c says */
    size_t cap;       /* bytes allocated */
    size_t len;       /* end of the events; EV_START when the chunk is empty */
    uint64_t enc_seq;     /* events encoded */
    uint64_t chunk_first; /* seq of the chunk's first event */
    uint64_t chunk_ns;    /* its time */
    uint64_t addr_total;  /* addresses coded since the writer opened */
    uint64_t prev;        /* the last address coded in this chunk, 0 when none */
    /* by the address's hash: an address, and addr_total when it was last coded plus 1, modulo
     * 2^32 (see put_addr).  Two arrays, not pairs: stores of pairs get merged into one wide
     * store, which the next event's load of the stamp then waits for. */
    uint64_t seen_addr[1u << HASH_BITS];
    uint32_t seen_stamp[1u << HASH_BITS];
    uint64_t kind_events[EV_KIND_COUNT];

    /* ---- the file: whichever thread writes chunks -------------------------------------------- */
    int fd;
    bool own_fd;
    int err;          /* first error, sticky */
    char msg[320];    /* its message */
    char *name;       /* for messages */
    uint8_t *zbuf;    /* a chunk compressed, laid out as buf */
    size_t zcap;
    void *zctx;       /* zstd's context */
    struct {          /* the last blob put, the next one's base when of its type (FORMAT.md 7) */
        char type[4];
        uint64_t key;
        void *data;
        size_t len;
        unsigned run;  /* deltas since one stored whole */
    } last_blob;
    int level;        /* zstd's level; 0: chunks and blobs stored as they are */
    uint64_t offset;      /* bytes written to the file */
    struct fmt_index ix;
    uint64_t window;      /* bytes the kept chunks may take; 0: no window */
    uint64_t head_end;    /* offset after HEAD: where the hole begins */
    uint64_t punched_to;  /* the hole covers [head_end, punched_to) */
    uint64_t block;       /* bytes: the file system's block, the unit holes free */
    bool punch_failed;    /* the file system cannot make holes: the window is kept in name only */
};

/* Per-kind constants, each from its own expansion of the table. */
#define COUNT_u(n) +1
#define COUNT_i(n) +1
#define COUNT_a(n) +1
#define COUNT_p(n) +1
#define COUNT_s(n)
#define EV_FIELD(t, n) COUNT_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = 0 fields,
static const uint8_t __attribute__((unused)) kind_words[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

#define HAS_TEXT_u(n)
#define HAS_TEXT_i(n)
#define HAS_TEXT_a(n)
#define HAS_TEXT_p(n)
#define HAS_TEXT_s(n) +1
#define EV_FIELD(t, n) HAS_TEXT_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = 0 fields,
static const uint8_t __attribute__((unused)) kind_text[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

/* ns since the writer opened, by its clock. */
static inline uint64_t clock_now(struct trace_writer *w)
{
    uint64_t now = w->now(w->now_ctx);
    return now > w->clock_origin ? now - w->clock_origin : 0;
}

/* A text longer than a trace keeps; the length of the event's text (0 for a kind without). */
static inline bool text_is_too_long(unsigned k, const struct event *ev)
{
    return kind_text[k] && ev->str && ev->str_len > FMT_MAX_TEXT;
}

static inline uint32_t text_len(unsigned k, const struct event *ev)
{
    return kind_text[k] && ev->str ? ev->str_len : 0;
}

/* writer.c: the encoder's error, kept once with its message (later events are dropped); bytes
 * written to the file at its end. */
void writer_set_error(struct trace_writer *w, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void writer_write_bytes(struct trace_writer *w, const void *p, size_t n);
/* writer.c: an event refused (the writer stopped, a kind not in the table, a text too long). */
void writer_emit_refused(struct trace_writer *w, const struct event *ev);
void writer_text_refused(struct trace_writer *w, const struct event *ev);

/* writer_encode.c: a chunk starts with no address behind it; the chunk being built ends in this
 * thread (its record compressed, sealed and written); a chunk's record written (by the thread
 * that writes chunks); the window slides when the records kept near it. */
void writer_history_reset(struct trace_writer *w);
void writer_chunk_end(struct trace_writer *w);
void writer_chunk_write(struct trace_writer *w, const struct sealed *c);
void writer_window_check(struct trace_writer *w);

/* writer_thread.c: the encoder thread started when the mode asks for it now; the chunk being
 * built handed to it (the producer gets an empty buffer); every chunk handed over written (the
 * encoder thread idle after); the thread stopped and joined. */
void writer_maybe_thread(struct trace_writer *w);
void writer_chunk_hand(struct trace_writer *w);
void writer_encode_all(struct trace_writer *w);
void writer_thread_stop(struct trace_writer *w);

#endif
