/*
 * writer.c - the trace writer: an event sink that encodes events into chunks (FORMAT.md).
 *
 * Design
 * ------
 * The writer is on the hot path of every recording: it must cost a few nanoseconds per event
 * and never allocate from the observed heap.
 *
 * - Where events are encoded.  By default each event is encoded as it is emitted, in the
 *   producer's thread.  A long recording that nobody follows (it was not flushed when its first
 *   chunk was sealed) hands encoding to an *encoder thread* of the writer's own, as tracers keep
 *   encoding off the hot path:
 *
 *       emit ──▶ batch of records ──▶ encoder thread ──▶ chunk buffer ──▶ write(2)
 *
 *   emit then only copies the event into a *batch*: one record per event (a word holding the
 *   kind and the text's length, all of the event's word fields of which the kind's count are
 *   kept, the text padded to a word): a score of instructions and no branch that depends on the
 *   data.  Full batches go through a ring of NBATCH to the encoder thread, which encodes,
 *   checksums and writes them; the handover is a mutex and two condition variables per batch
 *   (thousands of events), and either side is woken only when half the ring waits for it, so
 *   that a thread that keeps up does not sleep and wake (two system calls) for every batch.  A flush waits until the encoder thread has written everything and
 *   brings encoding back to the producer's thread for good, so that trace_writer_flush() keeps
 *   meaning "every event emitted so far is readable" and a live viewer pays no handover per step.
 *   The producer's fields and the encoder's are disjoint; the encoder's belong to whichever
 *   thread encodes and change hands only through the mutex or a join.  The bytes are the same
 *   either way.
 *
 * - Encoding.  Each kind has its own encoder, generated from EVENT_KINDS: the field types are
 *   known at compile time and the per-field work is a varint store or an address code; the
 *   state (output position, address history registers) lives in locals across a batch.  The
 *   kinds that are an address and at most one small word, nearly all of a heap's events, share
 *   one straight path (the lanes), because a jump on the kind in a stream of allocations and
 *   frees is one the processor cannot predict.  Varints below 2^21 are stored without a branch
 *   on their length.  The file's schema is this program's table, so file kind ids are enum
 *   event_kind values.
 *
 * - A chunk is built in one buffer laid out as the record it will become:
 *
 *       [ room for tag, length, first_seq, count, first_ns, size | events ... | room for the CRC ]
 *                                                          ^ EV_START
 *
 *   When the chunk ends its events are compressed with zstd (FORMAT.md 6, version 3) into a
 *   second buffer laid out the same way, unless that does not make them smaller; the chunk header
 *   is written right-aligned against the events (or their frame), the record is sealed and
 *   written with one write(2).  Compression belongs to whichever thread encodes.  The buffer grows only for an event whose text does
 *   not fit (texts are at most 1 MiB: a longer one is the writer's error, never cut).
 *
 * - The address history of FORMAT.md section 6.3 is kept as a direct-mapped hash table from an
 *   address to the stamp (a running count of addresses coded, 32 bits) of its latest
 *   occurrence.  Starting a chunk resets the stamps to a value FMT_HISTORY addresses old, so a
 *   hit is a repeat when it is less than FMT_HISTORY old; a collision only loses a repeat (the
 *   address is then coded as a delta), never correctness.
 *
 * - Time: encoding as events come, the clock is read when a chunk's first event arrives.  With
 *   the encoder thread the producer reads it when a batch receives its first event, and a
 *   chunk's first_ns is the time of the batch that holds its first event.
 *
 * - A window (a live trace's cap, header field 20, FORMAT.md 8.1): when the records kept come
 *   within a sixteenth of the window, the oldest chunks are dropped at a chunk boundary until
 *   the rest take at most seven eighths of it, so that drops come in batches: a wNDW record names
 *   the first chunk kept, then fallocate(FALLOC_FL_PUNCH_HOLE) frees the bytes before it.
 *   Offsets stay valid (the file keeps its size; the hole reads as zeros), the disk holds at most
 *   the window (the next record fits in the sixteenth left, unless one record is larger than
 *   that), and the writer's list of chunks for the index only holds the ones kept.  The record
 *   comes before the hole, so that a reader that meets zeros where a chunk was finds, by reading
 *   on, that it was dropped rather than damaged.
 *
 * - Errors are sticky (redis's rio): the first failure is kept with its message, later events
 *   are dropped, and trace_writer_finish() reports it.  Producers never check per event.  An
 *   error met by the encoder thread reaches the producer at its next batch.
 */
#include "format.h"

#include <allocator/errmsg.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

#define EV_START (FMT_REC_HEAD + 4 * CODEC_VARINT_MAX) /* events start here in the buffer */
#define EV_MAX_WORDS_BYTES (1 + CODEC_VARINT_MAX * (EVENT_MAX_FIELDS + 1)) /* kind, fields, text length */
#define EV_SLACK 8 /* bytes a store may write past the end of the last varint */
#define HASH_BITS 12
_Static_assert((1u << HASH_BITS) >= FMT_HISTORY, "the hash table covers the history");

#define REC_WORDS (1 + EVENT_MAX_FIELDS) /* the largest record without text */
#define BATCH_WORDS ((64u << 10) / 8)    /* a batch: 64 KiB of records, about 2700 events */
#define NBATCH 8                         /* batches in the ring when an encoder thread runs */

struct batch {
    uint64_t *rec;   /* records: kind | text length << 32, the word fields, the text */
    size_t cap;      /* words allocated */
    size_t n;        /* words used */
    uint64_t stamp;  /* ns after the clock origin when its first record arrived */
};

struct trace_writer {
    /* ---- the producer's: emit, flush, finish ------------------------------------------------ */
    uint64_t *rp;     /* where the next record goes in the batch being filled */
    uintptr_t rlim;   /* the last place a record of REC_WORDS fits, or 0: every event takes the
                         slow path (no encoder thread, a batch to begin, the writer stopped) */
    struct batch *fill; /* the batch being filled */
    uint64_t seq;     /* events emitted */
    bool stopped;     /* an error, or finished: events are dropped */
    bool finished;
    bool flushed;     /* flushed once: a viewer follows, the encoder stays in this thread */
    enum trace_writer_thread thread_mode;
    bool may_thread;  /* a second processor is there, and starting the thread has not failed */
    uint64_t (*now)(void *ctx);
    void *now_ctx;
    uint64_t clock_origin; /* now() when the writer opened */

    /* ---- the encoder thread and the ring ---------------------------------------------------- */
    bool async;       /* batches go to the encoder thread */
    bool thread_live; /* the thread exists (it may be idle: async went off after a flush) */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t more; /* the encoder waits for batches */
    pthread_cond_t room; /* the producer waits for a free batch, or for the ring to drain */
    uint64_t head;       /* batches published (under mu) */
    uint64_t tail;       /* batches encoded (under mu) */
    bool quit;           /* under mu: no more batches will come */
    bool enc_waiting, prod_waiting; /* under mu: who sleeps */
    struct batch ring[NBATCH];
    atomic_bool failed;  /* err is set; its message no longer changes */
    _Atomic uint64_t written; /* bytes written to the file, for trace_writer_bytes() */

    /* ---- the encoder's: whichever thread encodes ------------------------------------------- */
    int fd;
    bool own_fd;
    int err;          /* first error, sticky */
    char msg[320];    /* its message */
    char *name;       /* for messages */

    uint8_t *buf;     /* the chunk being built, see the layout above */
    size_t cap;       /* bytes allocated */
    size_t len;       /* end of the events; EV_START when the chunk is empty */
    uint8_t *zbuf;    /* the chunk compressed, laid out as buf */
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

    uint64_t enc_seq;     /* events encoded */
    uint64_t chunk_first; /* seq of the chunk's first event */
    uint64_t chunk_ns;    /* its time */
    uint64_t offset;      /* bytes written to the file */

    uint64_t addr_total;  /* addresses coded since the writer opened */
    uint64_t prev;        /* the last address coded in this chunk, 0 when none */
    /* by the address's hash: an address, and addr_total when it was last coded plus 1, modulo
     * 2^32 (see put_addr).  Two arrays, not pairs: stores of pairs get merged into one wide
     * store, which the next event's load of the stamp then waits for. */
    uint64_t seen_addr[1u << HASH_BITS];
    uint32_t seen_stamp[1u << HASH_BITS];

    struct fmt_index ix;
    uint64_t kind_events[EV_KIND_COUNT];
    uint64_t window;      /* bytes the kept chunks may take; 0: no window */
    uint64_t head_end;    /* offset after HEAD: where the hole begins */
    uint64_t punched_to;  /* the hole covers [head_end, punched_to) */
    uint64_t block;       /* bytes: the file system's block, the unit holes free */
    bool punch_failed;    /* the file system cannot make holes: the window is kept in name only */
};

/* The encoder's error: kept once, with its message; later events are dropped. */
static void set_error(struct trace_writer *w, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct trace_writer *w, int err, const char *fmt, ...)
{
    if (w->err)
        return;
    w->err = err;
    va_list ap;
    va_start(ap, fmt);
    errmsg_vformat(w->msg, sizeof w->msg, w->name, fmt, ap);
    va_end(ap);
    atomic_store_explicit(&w->failed, true, memory_order_release);
}

static uint64_t clock_monotonic(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void write_bytes(struct trace_writer *w, const void *p, size_t n)
{
    if (w->err)
        return;
    if (fmt_write_all(w->fd, p, n) < 0) {
        set_error(w, TRACE_EIO, "write: %s", strerror(errno));
        return;
    }
    w->offset += n;
    atomic_store_explicit(&w->written, w->offset, memory_order_relaxed);
}

/* ---- encoding --------------------------------------------------------------------------------- */

/* Per-kind constants, each from its own expansion of the table. */
#define COUNT_u(n) +1
#define COUNT_i(n) +1
#define COUNT_a(n) +1
#define COUNT_p(n) +1
#define COUNT_s(n)
#define EV_FIELD(t, n) COUNT_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = 0 fields,
static const uint8_t kind_words[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

#define HAS_TEXT_u(n)
#define HAS_TEXT_i(n)
#define HAS_TEXT_a(n)
#define HAS_TEXT_p(n)
#define HAS_TEXT_s(n) +1
#define EV_FIELD(t, n) HAS_TEXT_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = 0 fields,
static const uint8_t kind_text[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

/* Words in a record of the kind, or 0 for a kind with text (its records take the slow path). */
#define REC_u(n) +1
#define REC_i(n) +1
#define REC_a(n) +1
#define REC_p(n) +1
#define REC_s(n) ) * 0 + (0 /* a text field, always the last, zeroes the sum */
#define EV_FIELD(t, n) REC_##t(n)
#define X(K, n, fl, tail, say, fields) [EV_##K] = (1 fields),
static const uint8_t kind_rec[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

static inline size_t addr_hash(uint64_t x)
{
    return (size_t)(((x >> 4) * 0x9E3779B97F4A7C15u) >> (64 - HASH_BITS));
}

/* Four bytes, least significant first, in one store. */
static ALWAYS_INLINE void put_u32(uint8_t *p, uint32_t x)
{
    if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
        memcpy(p, &x, 4);
    else
        codec_put_u32le(p, x);
}

/* A varint.  Values below 2^21 (almost all of them) are stored without a branch on their size:
 * one four-byte store, of which 1 to 3 bytes count (the buffer has EV_SLACK bytes of room). */
static ALWAYS_INLINE uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    if (LIKELY(v < (1u << 21))) {
        uint32_t two = v >= 0x80, three = v >= 0x4000;
        put_u32(p, (uint32_t)(v & 0x7f) | (uint32_t)(v << 1 & 0x7f00) | (uint32_t)(v << 2 & 0x7f0000) |
                       two << 7 | three << 15);
        return p + 1 + two + three;
    }
    return codec_put_varint(p, v);
}

/* An address code of 21 bits or more: a repeat's or a delta's, whose value (hi << 2 | low) may
 * have up to 66 bits. */
static NOINLINE uint8_t *put_code_long(uint8_t *p, uint64_t code, bool repeat, uint64_t hi, unsigned low)
{
    if (repeat || hi < (1ull << 62))
        return codec_put_varint(p, code);
    *p++ = (uint8_t)(0x80u | (hi & 0x1fu) << 2 | low);
    return codec_put_varint(p, hi >> 5);
}

/* The encoder's registers, in locals while events are encoded. */
struct enc {
    uint8_t *p;     /* where the next event goes */
    uint8_t *limit; /* the chunk ends once p reaches it */
    uint64_t prev;  /* the last address coded in the chunk, 0 when none */
    uint64_t total; /* addresses coded since the writer opened */
};

/*
 * Codes x as a repeat when the history holds it and the repeat is no longer than the delta.
 * Stamps are addr_total + 1 when the address was coded, modulo 2^32; the table is reset at each
 * chunk's start to stamps FMT_HISTORY addresses old, so an entry from an earlier chunk is never a
 * repeat and an age below FMT_HISTORY is exact.
 */
static ALWAYS_INLINE uint8_t *put_addr(struct trace_writer *w, struct enc *e, uint8_t *p, uint64_t x)
{
    uint32_t total = (uint32_t)e->total;
    size_t h = addr_hash(x);
    uint64_t seen = w->seen_addr[h];
    uint32_t age = total - w->seen_stamp[h]; /* the repeat's d: coded d + 1 addresses ago */
    int64_t d = (int64_t)(x - e->prev);
    bool aligned = (d & 15) == 0;
    uint64_t hi = codec_zigzag(aligned ? d >> 4 : d); /* d >> 4 is d / 16 when aligned */
    /* A delta of more than 62 bits is longer than any repeat, and coded by put_code_long. */
    uint64_t delta = hi < (1ull << 62) ? (hi << 2 | (aligned ? 1u : 3u)) : UINT64_MAX;
    w->seen_addr[h] = x;
    w->seen_stamp[h] = total + 1;
    e->total++;
    e->prev = x;
    bool repeat = (seen == x) & (age < FMT_HISTORY) & ((uint64_t)age << 1 <= delta);
    uint64_t code = repeat ? (uint64_t)age << 1 : delta;
    if (LIKELY(code < (1u << 21)))
        return put_varint(p, code);
    return put_code_long(p, code, repeat, hi, aligned ? 1 : 3);
}

static void history_reset(struct trace_writer *w)
{
    uint32_t old = (uint32_t)(w->addr_total - FMT_HISTORY);
    for (size_t i = 0; i < (1u << HASH_BITS); i++)
        w->seen_stamp[i] = old;
}

static bool buf_reserve(struct trace_writer *w, size_t n)
{
    if (w->cap - w->len >= n)
        return true;
    if (!codec_array_reserve((void **)&w->buf, &w->cap, w->len + n, 1)) {
        set_error(w, TRACE_ENOMEM, "out of memory");
        return false;
    }
    return true;
}

/* Drops the oldest chunks until those kept take at most 7/8 of the window (see the top). */
static void window_slide(struct trace_writer *w)
{
    uint64_t keep = w->window - w->window / 8;
    size_t k = 0;
    while (k + 1 < w->ix.nchunks && w->offset - w->ix.chunks[k].offset > keep)
        k++;
    if (k == 0)
        return;
    uint64_t seq = w->ix.chunks[k].first_seq, off = w->ix.chunks[k].offset;
    uint8_t rec[FMT_REC_OVERHEAD + 2 * CODEC_VARINT_MAX], *p = rec + FMT_REC_HEAD;
    p = codec_put_varint(p, seq);
    p = codec_put_varint(p, off);
    uint32_t plen = (uint32_t)(p - rec - FMT_REC_HEAD);
    fmt_record_seal(rec, FMT_TAG_WNDW, plen);
    write_bytes(w, rec, plen + FMT_REC_OVERHEAD);
    if (w->err)
        return;
    fmt_index_drop_before(&w->ix, seq, off);
    if (!w->punch_failed && off > w->punched_to) {
        /* from the start of the block the last hole ended in: its head is zeros by now, and a
         * block is freed only when the hole covers it whole */
        uint64_t from = w->punched_to / w->block * w->block;
        if (from < w->head_end)
            from = w->head_end;
        if (fallocate(w->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)from, (off_t)(off - from)) == 0)
            w->punched_to = off;
        else
            w->punch_failed = true;
    }
}

/* After a record: slides the window once the records kept come within a sixteenth of it, so
 * that the next record (a chunk, a checkpoint) still fits under it. */
static void window_check(struct trace_writer *w)
{
    if (w->window && w->ix.nchunks && w->offset - w->ix.chunks[0].offset > w->window - w->window / 16)
        window_slide(w);
}

/* The chunk's events compressed into zbuf at EV_START: their size there, or 0 when they are to
 * be stored as they are (compression is off, failed or does not pay). */
static size_t chunk_pack(struct trace_writer *w)
{
    size_t n = w->len - EV_START;
    if (w->level == 0)
        return 0;
    size_t need = EV_START + fmt_zstd_bound(n) + 4;
    if (need > w->zcap) {
        uint8_t *z = realloc(w->zbuf, need);
        if (!z)
            return 0; /* stored: memory is short, the file is still right */
        w->zbuf = z;
        w->zcap = need;
    }
    return fmt_zstd_pack(&w->zctx, w->level, w->zbuf + EV_START, w->zcap - EV_START - 4, w->buf + EV_START, n,
                         NULL, 0);
}

static void chunk_end(struct trace_writer *w)
{
    uint64_t count = w->enc_seq - w->chunk_first;
    if (count == 0 || w->err)
        return;
    size_t raw = w->len - EV_START, z = chunk_pack(w);
    uint8_t *buf = z ? w->zbuf : w->buf;
    uint8_t head[4 * CODEC_VARINT_MAX], *h = head;
    h = codec_put_varint(h, w->chunk_first);
    h = codec_put_varint(h, count);
    h = codec_put_varint(h, w->chunk_ns);
    h = codec_put_varint(h, z ? raw : 0); /* the events' size once decompressed; 0: stored */
    size_t hs = (size_t)(h - head);
    size_t start = EV_START - hs - FMT_REC_HEAD;
    memcpy(buf + start + FMT_REC_HEAD, head, hs);
    size_t plen = hs + (z ? z : raw);
    fmt_record_seal(buf + start, FMT_TAG_EVTS, (uint32_t)plen);
    struct trace_chunk_info c = {
        .offset = w->offset,
        .bytes = plen + FMT_REC_OVERHEAD,
        .first_seq = w->chunk_first,
        .count = (uint32_t)count,
        .first_ns = w->chunk_ns,
    };
    write_bytes(w, buf + start, plen + FMT_REC_OVERHEAD);
    if (!w->err && !fmt_index_push_chunk(&w->ix, &c))
        set_error(w, TRACE_ENOMEM, "out of memory");
    window_check(w);
    w->len = EV_START;
    w->chunk_first = w->enc_seq;
    w->prev = 0;
    history_reset(w);
}

/* Room for an event with a text of slen bytes at p; returns where p is now (the buffer may
 * move), or NULL when memory ran out.  (Not given the encoder's registers, so that they stay in
 * registers.) */
static NOINLINE uint8_t *text_room(struct trace_writer *w, uint8_t *p, size_t slen)
{
    w->len = (size_t)(p - w->buf);
    if (!buf_reserve(w, EV_MAX_WORDS_BYTES + EV_SLACK + 4 + slen))
        return NULL;
    return w->buf + w->len;
}

/*
 * Encodes one event of kind k (in the table) whose word fields are f[0 .. kind_words[k]) and
 * whose text, of slen bytes (at most FMT_MAX_TEXT), is at text, or right after the fields when
 * text is NULL (a record).  Returns the word after the record, or NULL when memory ran out.
 * The output needs no bound check for an event without text: a chunk ends as soon as it holds
 * FMT_CHUNK_TARGET bytes, and the buffer has room for one more such event after that.
 */
static ALWAYS_INLINE const uint64_t *encode_event(struct trace_writer *w, struct enc *e, unsigned k,
                                                  const uint64_t *f, uint32_t slen, const void *text)
{
    uint8_t *p;
    unsigned ln = fmt_kind_lane[k];
    if (LIKELY(ln & FMT_LANE_ON)) {
        /* The second and third words are read whatever the lane (a record always has room for
         * REC_WORDS, an event for EVENT_MAX_FIELDS) and masked off when the kind has none. */
        uint64_t v = f[1] & -(uint64_t)((ln & FMT_LANE_V) != 0), z = f[2] & -(uint64_t)((ln & FMT_LANE_Z) != 0);
        if (LIKELY(v < (1u << 21) && z == 0)) {
            unsigned none = ((ln & FMT_LANE_OPT) != 0) & (v == 0); /* an optional tail left out */
            unsigned elide = ((ln & FMT_LANE_Z) != 0) | none;       /* the kind byte's tail bit */
            size_t coded = ((ln & FMT_LANE_V) != 0) & !none;        /* the second word is coded */
            p = e->p;
            *p = (uint8_t)(k | elide << 7);
            p = put_addr(w, e, p + 1, f[0]);
            uint8_t *q = put_varint(p, v);
            e->p = p + ((size_t)(q - p) & -coded);
            return f + (ln >> FMT_LANE_NW_SHIFT);
        }
    }
    switch ((enum event_kind)k) {
#define ENC_u(n)                                                                                 \
    if (fi < limit)                                                                              \
        p = put_varint(p, f[fi]);                                                                \
    fi++;
#define ENC_i(n)                                                                                 \
    if (fi < limit)                                                                              \
        p = put_varint(p, codec_zigzag((int64_t)f[fi]));                                         \
    fi++;
#define ENC_a(n)                                                                                 \
    if (fi < limit)                                                                              \
        p = put_addr(w, e, p, f[fi]);                                                            \
    fi++;
#define ENC_p(n)                                                                                 \
    if (fi < limit) {                                                                            \
        if (f[fi])                                                                               \
            p = put_addr(w, e, p, f[fi]);                                                        \
        else                                                                                     \
            *p++ = 3;                                                                            \
    }                                                                                            \
    fi++;
#define ENC_s(n)                                                                                 \
    if (fi < limit) {                                                                            \
        p = put_varint(p, slen);                                                                 \
        if (slen)                                                                                \
            memcpy(p, text ? text : (const void *)(f + nwords), slen);                           \
        p += slen;                                                                               \
    }
#define EV_FIELD(t, n) ENC_##t(n)
/* The kind's constants fold: kind_words[EV_K] is a constant read from a constant table. */
#define X(K, n, fl, tl, say, fields)                                                                  \
    case EV_##K: {                                                                               \
        const unsigned nwords = kind_words[EV_##K], ntext = kind_text[EV_##K];                   \
        if (ntext) {                                                                             \
            if (!(e->p = text_room(w, e->p, slen)))                                              \
                return NULL;                                                                     \
            e->limit = w->buf + EV_START + FMT_CHUNK_TARGET;                                     \
        }                                                                                        \
        uint64_t tor = 0;                                                                        \
        for (unsigned i = tl; i < nwords; i++)                                                   \
            tor |= f[i];                                                                         \
        if (ntext && tl <= nwords)                                                               \
            tor |= slen;                                                                         \
        const bool elide = tl < nwords + ntext && tor == 0;                                      \
        const unsigned limit = elide ? tl : FMT_MAX_FIELDS;                                      \
        unsigned fi = 0;                                                                         \
        p = e->p;                                                                                \
        *p++ = (uint8_t)(EV_##K | (elide ? 0x80u : 0));                                          \
        fields(void) fi;                                                                         \
        e->p = p;                                                                                \
        return f + nwords + (ntext && !text ? (slen + 7) / 8 : 0);                               \
    }
        EVENT_KINDS(X)
#undef X
#undef EV_FIELD
    case EV_KIND_COUNT:
        break;
    }
    __builtin_unreachable(); /* the callers check kinds */
}

static ALWAYS_INLINE struct enc enc_load(const struct trace_writer *w)
{
    return (struct enc){w->buf + w->len, w->buf + EV_START + FMT_CHUNK_TARGET, w->prev, w->addr_total};
}

static ALWAYS_INLINE void enc_store(struct trace_writer *w, const struct enc *e)
{
    w->len = (size_t)(e->p - w->buf);
    w->prev = e->prev;
    w->addr_total = e->total;
}

/* Encodes a batch's records (checked by the producer), ending chunks as they fill. */
static void encode_batch(struct trace_writer *w, const struct batch *b)
{
    if (w->err || b->n == 0)
        return;
    const uint64_t *r = b->rec, *const rend = b->rec + b->n;
    uint64_t *const kind_events = w->kind_events;
    uint64_t seq = w->enc_seq;
    if (w->len == EV_START)
        w->chunk_ns = b->stamp;
    struct enc e = enc_load(w);
    while (r < rend) {
        unsigned k = (unsigned)(r[0] & 0xffu);
        const uint64_t *next = encode_event(w, &e, k, r + 1, (uint32_t)(r[0] >> 32), NULL);
        if (!next)
            break;
        r = next;
        kind_events[k]++;
        seq++;
        if (UNLIKELY(e.p >= e.limit)) {
            enc_store(w, &e);
            w->enc_seq = seq;
            chunk_end(w);
            if (w->err)
                return;
            w->chunk_ns = b->stamp; /* the next chunk's first event is in this batch, or the
                                       next batch sets its time */
            e = enc_load(w);
        }
    }
    enc_store(w, &e);
    w->enc_seq = seq;
}

/* ---- the encoder thread ------------------------------------------------------------------------- */

static void *encoder_main(void *arg)
{
    struct trace_writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->tail == w->head && !w->quit) {
            w->enc_waiting = true;
            pthread_cond_wait(&w->more, &w->mu);
            w->enc_waiting = false;
        }
        if (w->tail == w->head)
            break; /* quit, and everything is encoded */
        struct batch *b = &w->ring[w->tail % NBATCH];
        pthread_mutex_unlock(&w->mu);
        encode_batch(w, b);
        pthread_mutex_lock(&w->mu);
        b->n = 0;
        w->tail++;
        /* Wake the producer when half the ring is free (not at every batch: it would wake and
         * sleep again for each), or when it waits for the ring to drain. */
        if (w->prod_waiting && (w->head - w->tail <= NBATCH / 2 || w->tail == w->head))
            pthread_cond_signal(&w->room);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Starts the encoder thread; false (and the writer stays single-threaded) when it cannot. */
static bool thread_start(struct trace_writer *w)
{
    size_t i;
    for (i = 0; i < NBATCH; i++) {
        if (&w->ring[i] == w->fill || w->ring[i].rec)
            continue;
        w->ring[i].rec = malloc(BATCH_WORDS * sizeof(uint64_t));
        if (!w->ring[i].rec)
            return false; /* the buffers stay allocated until the writer is freed */
        w->ring[i].cap = BATCH_WORDS;
    }
    if (pthread_mutex_init(&w->mu, NULL))
        return false;
    if (pthread_cond_init(&w->more, NULL))
        goto out_mutex;
    if (pthread_cond_init(&w->room, NULL))
        goto out_more;
    /* The producer's batch is the ring's next: head is its index. */
    w->head = w->tail = (uint64_t)(w->fill - w->ring);
    /* Signals are the producer's to handle; the thread takes SIGPIPE (a write to a closed pipe)
     * as the producer would. */
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGPIPE);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&w->thread, NULL, encoder_main, w);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc)
        goto out_room;
    w->thread_live = true;
    w->async = true;
    return true;

out_room:
    pthread_cond_destroy(&w->room);
out_more:
    pthread_cond_destroy(&w->more);
out_mutex:
    pthread_mutex_destroy(&w->mu);
    return false;
}

/* Waits until the encoder thread has encoded everything published (the producer then owns the
 * encoder's fields until it publishes again). */
static void thread_drain(struct trace_writer *w)
{
    pthread_mutex_lock(&w->mu);
    if (w->enc_waiting && w->tail != w->head)
        pthread_cond_signal(&w->more);
    while (w->tail != w->head) {
        w->prod_waiting = true;
        pthread_cond_wait(&w->room, &w->mu);
        w->prod_waiting = false;
    }
    pthread_mutex_unlock(&w->mu);
}

static void thread_stop(struct trace_writer *w)
{
    if (!w->thread_live)
        return;
    pthread_mutex_lock(&w->mu);
    w->quit = true;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->room);
    pthread_cond_destroy(&w->more);
    pthread_mutex_destroy(&w->mu);
    w->thread_live = false;
    w->async = false;
}

/* ---- the producer --------------------------------------------------------------------------- */

static uint64_t clock_now(struct trace_writer *w)
{
    uint64_t now = w->now(w->now_ctx);
    return now > w->clock_origin ? now - w->clock_origin : 0;
}

/* Starts the encoder thread when the mode asks for it now (the producer owns the encoder). */
static void maybe_thread(struct trace_writer *w)
{
    if (w->thread_live || w->err || !w->may_thread)
        return;
    if (w->thread_mode == TRACE_WRITER_THREAD_ALWAYS ||
        (w->thread_mode == TRACE_WRITER_THREAD_AUTO && !w->flushed && w->ix.nchunks > 0))
        w->may_thread = thread_start(w);
}

/* The batch being filled is full, or must be encoded now: hands it to the encoder thread and
 * takes the next free one.  The next record takes the slow path, which reads the clock for the
 * new batch. */
static void batch_done(struct trace_writer *w)
{
    struct batch *b = w->fill;
    b->n = (size_t)(w->rp - b->rec);
    if (b->n) {
        pthread_mutex_lock(&w->mu);
        w->head++;
        /* Wake the encoder thread once half the ring waits for it, not for every batch: when it
         * keeps up it would sleep and be woken (a system call here) for each. */
        if (w->enc_waiting && w->head - w->tail >= NBATCH / 2)
            pthread_cond_signal(&w->more);
        while (w->head - w->tail >= NBATCH) {
            w->prod_waiting = true;
            pthread_cond_wait(&w->room, &w->mu);
            w->prod_waiting = false;
        }
        pthread_mutex_unlock(&w->mu);
        w->fill = &w->ring[w->head % NBATCH];
        if (atomic_load_explicit(&w->failed, memory_order_acquire))
            w->stopped = true;
    }
    w->rp = w->fill->rec;
    w->rlim = 0;
}

/* Makes every event emitted encoded: the encoder thread, if it has work, gets the batch being
 * filled and the producer waits until it is idle.  The producer then owns the encoder's fields
 * until it hands over a batch again. */
static void encode_all(struct trace_writer *w)
{
    if (!w->async)
        return;
    batch_done(w);
    thread_drain(w);
}

/* A producer's error (a bad kind, memory for a record): kept as the encoder's first error once
 * the encoder thread, if any, is idle. */
static NOINLINE void producer_fail(struct trace_writer *w, int err, const char *what)
{
    encode_all(w);
    set_error(w, err, "%s", what);
    w->stopped = true;
    w->rp = w->fill->rec;
    w->rlim = 0;
}

/* An event emitted when the writer is stopped, or of a kind not in the table. */
static NOINLINE void emit_refused(struct trace_writer *w, const struct event *ev)
{
    if (atomic_load_explicit(&w->failed, memory_order_acquire))
        return; /* an error met before */
    char what[64];
    if (w->finished)
        snprintf(what, sizeof what, "event of kind %d emitted after finish", (int)ev->kind);
    else
        snprintf(what, sizeof what, "event of kind %d is not in the table", (int)ev->kind);
    producer_fail(w, TRACE_EFORMAT, what);
}

/* A text longer than a trace keeps (FORMAT.md 6.3) is an error, not a cut: nothing is lost
 * silently. */
static NOINLINE void text_refused(struct trace_writer *w, const struct event *ev)
{
    char what[128];
    snprintf(what, sizeof what, "an event's text of %" PRIu32 " bytes is longer than the %u a trace keeps",
             ev->str_len, FMT_MAX_TEXT);
    producer_fail(w, TRACE_EFORMAT, what);
}

static bool text_is_too_long(unsigned k, const struct event *ev)
{
    return kind_text[k] && ev->str && ev->str_len > FMT_MAX_TEXT;
}

static uint32_t text_len(unsigned k, const struct event *ev)
{
    return kind_text[k] && ev->str ? ev->str_len : 0;
}

/* Encoding in the producer's thread: one event at once. */
static NOINLINE void emit_direct(struct trace_writer *w, const struct event *ev)
{
    unsigned k = (unsigned)ev->kind;
    if (UNLIKELY(w->stopped | (k >= EV_KIND_COUNT))) {
        emit_refused(w, ev);
        return;
    }
    if (UNLIKELY(text_is_too_long(k, ev))) {
        text_refused(w, ev);
        return;
    }
    uint32_t slen = text_len(k, ev);
    if (w->len == EV_START)
        w->chunk_ns = clock_now(w);
    struct enc e = enc_load(w);
    if (!encode_event(w, &e, k, ev->u.f, slen, ev->str)) {
        w->stopped = true;
        return;
    }
    enc_store(w, &e);
    w->kind_events[k]++;
    w->enc_seq++;
    w->seq++;
    if (UNLIKELY(e.p >= e.limit)) {
        chunk_end(w);
        if (w->err)
            w->stopped = true;
        else
            maybe_thread(w);
    }
}

/* A record that does not fit, begins a batch or has text; or the writer is stopped. */
static NOINLINE void record_slow(struct trace_writer *w, const struct event *ev)
{
    unsigned k = (unsigned)ev->kind;
    if (w->stopped || k >= EV_KIND_COUNT) {
        emit_refused(w, ev);
        return;
    }
    if (text_is_too_long(k, ev)) {
        text_refused(w, ev);
        return;
    }
    uint32_t slen = text_len(k, ev);
    size_t nw = kind_words[k], need = 1 + nw + ((size_t)slen + 7) / 8;
    if (need < REC_WORDS)
        need = REC_WORDS;
    struct batch *b = w->fill;
    if ((size_t)(b->rec + b->cap - w->rp) < need) {
        if (w->rp != b->rec) {
            batch_done(w);
            if (w->stopped) {
                emit_refused(w, ev);
                return;
            }
            b = w->fill;
        }
        if (b->cap < need) {
            if (!codec_array_reserve((void **)&b->rec, &b->cap, need, sizeof *b->rec)) {
                producer_fail(w, TRACE_ENOMEM, "out of memory");
                return;
            }
            w->rp = b->rec;
        }
    }
    if (w->rp == b->rec)
        b->stamp = clock_now(w);
    uint64_t *p = w->rp;
    p[0] = k | (uint64_t)slen << 32;
    memcpy(p + 1, ev->u.f, nw * sizeof(uint64_t));
    if (slen) {
        p[1 + nw + (slen - 1) / 8] = 0; /* the last word's padding */
        memcpy(p + 1 + nw, ev->str, slen);
    }
    w->rp = p + 1 + nw + ((size_t)slen + 7) / 8;
    w->rlim = (uintptr_t)(b->rec + b->cap - REC_WORDS);
    w->seq++;
}

/*
 * emit.  With an encoder thread, the record is the kind, then all of the event's word fields (a
 * fixed-size copy; only the kind's count of them is kept).  Everything else goes to emit_slow:
 * no encoder thread (the event is encoded at once), a record with text, a batch to begin or to
 * hand over, a stopped writer.
 */
static NOINLINE void emit_slow(struct trace_writer *w, const struct event *ev)
{
    if (!w->async)
        emit_direct(w, ev);
    else
        record_slow(w, ev);
}

static ALWAYS_INLINE void emit_inline(struct trace_writer *w, const struct event *ev)
{
    unsigned k = (unsigned)ev->kind;
    uint64_t *p = w->rp;
    unsigned n;
    if (UNLIKELY(k >= EV_KIND_COUNT || (n = kind_rec[k]) == 0 || (uintptr_t)p > w->rlim)) {
        emit_slow(w, ev);
        return;
    }
    p[0] = k;
    memcpy(p + 1, ev->u.f, sizeof ev->u.f);
    w->rp = p + n;
    w->seq++;
}

void trace_writer_emit(struct trace_writer *w, const struct event *ev)
{
    emit_inline(w, ev);
}

static void sink_emit(void *ctx, const struct event *ev)
{
    emit_inline(ctx, ev);
}

struct event_sink trace_writer_sink(struct trace_writer *w)
{
    return (struct event_sink){.emit = sink_emit, .ctx = w};
}

/* ---- life cycle ------------------------------------------------------------------------------- */

static int writer_start(struct trace_writer *w, const struct trace_header *hdr)
{
    struct trace_header h = *hdr;
    if (h.clock_realtime_ns == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        h.clock_realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    w->now = clock_monotonic;
    w->clock_origin = clock_monotonic(NULL);
    w->cap = EV_START + FMT_CHUNK_TARGET + EV_MAX_WORDS_BYTES + EV_SLACK + 4 + 4096;
    w->buf = malloc(w->cap);
    w->fill = &w->ring[0];
    w->fill->rec = malloc(BATCH_WORDS * sizeof(uint64_t));
    if (!w->buf || !w->fill->rec) {
        set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    w->fill->cap = BATCH_WORDS;
    w->rp = w->fill->rec;
    w->rlim = 0;
    w->len = EV_START;
    w->level = FMT_ZSTD_LEVEL;
    history_reset(w);
    fmt_lanes_init();

    struct codec_buf b;
    codec_buf_init(&b);
    uint8_t prefix[FMT_PREFIX_LEN + FMT_REC_HEAD] = {0};
    memcpy(prefix, FMT_MAGIC, FMT_MAGIC_LEN);
    codec_put_u32le(prefix + FMT_MAGIC_LEN, FMT_VERSION);
    codec_buf_put(&b, prefix, sizeof prefix); /* the prefix and room for HEAD's tag and length */
    fmt_header_encode(&b, &h);
    codec_buf_reserve(&b, 4);
    if (b.failed) {
        codec_buf_release(&b);
        set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    size_t plen = b.len - sizeof prefix;
    fmt_record_seal(b.data + FMT_PREFIX_LEN, FMT_TAG_HEAD, (uint32_t)plen);
    write_bytes(w, b.data, b.len + 4);
    codec_buf_release(&b);
    w->ix.nkinds = EV_KIND_COUNT;
    w->window = h.window;
    w->ix.windowed = h.window != 0;
    w->head_end = w->punched_to = w->offset;
    struct stat st;
    w->block = fstat(w->fd, &st) == 0 && st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
    return w->err;
}

static int writer_new(struct trace_writer **out, int fd, bool own, const char *name,
                      const struct trace_header *hdr, char *err, size_t errlen)
{
    *out = NULL;
    struct trace_writer *w = calloc(1, sizeof *w);
    char *nm = strdup(name);
    if (!w || !nm) {
        free(w);
        free(nm);
        if (own)
            close(fd);
        snprintf(err, errlen, "%s: out of memory", name);
        return TRACE_ENOMEM;
    }
    w->fd = fd;
    w->own_fd = own;
    w->may_thread = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    w->name = nm;
    atomic_init(&w->failed, false);
    atomic_init(&w->written, 0);
    fmt_index_init(&w->ix);
    int rc = writer_start(w, hdr);
    if (rc) {
        snprintf(err, errlen, "%s", w->msg);
        trace_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int trace_writer_open(struct trace_writer **out, const char *path, const struct trace_header *hdr,
                      char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0)
        return writer_new(out, STDOUT_FILENO, false, "<stdout>", hdr, err, errlen);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        *out = NULL;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return TRACE_EIO;
    }
    return writer_new(out, fd, true, path, hdr, err, errlen);
}

int trace_writer_open_fd(struct trace_writer **out, int fd, const char *name,
                         const struct trace_header *hdr, char *err, size_t errlen)
{
    return writer_new(out, fd, false, name, hdr, err, errlen);
}

void trace_writer_set_clock(struct trace_writer *w, uint64_t (*now_ns)(void *ctx), void *ctx)
{
    w->now = now_ns;
    w->now_ctx = ctx;
    w->clock_origin = now_ns(ctx);
}

void trace_writer_set_thread(struct trace_writer *w, enum trace_writer_thread mode)
{
    w->thread_mode = mode;
    if (w->stopped)
        return;
    if (mode == TRACE_WRITER_THREAD_NEVER && w->async) {
        encode_all(w);
        w->async = false; /* the thread idles until the writer finishes */
    } else if (mode == TRACE_WRITER_THREAD_ALWAYS) {
        w->may_thread = true; /* even on one processor: the caller asked */
        if (w->thread_live)
            w->async = true;
        else
            maybe_thread(w);
    }
}

void trace_writer_set_level(struct trace_writer *w, int level)
{
    encode_all(w); /* the encoder thread, if any, is idle: its level may change */
    w->level = level;
}

int trace_writer_flush(struct trace_writer *w)
{
    w->flushed = true;
    encode_all(w);
    w->async = false; /* the encoder thread idles until the writer finishes */
    chunk_end(w);
    if (w->err)
        w->stopped = true;
    return w->err;
}

int trace_writer_finish(struct trace_writer *w)
{
    if (w->finished)
        return w->err;
    encode_all(w);
    thread_stop(w);
    chunk_end(w);
    w->finished = true;
    w->stopped = true;
    w->rp = w->fill->rec;
    w->rlim = 0;
    if (w->err)
        return w->err;

    struct codec_buf b;
    codec_buf_init(&b);
    uint8_t room[FMT_REC_HEAD] = {0};
    codec_buf_put(&b, room, sizeof room);
    w->ix.kind_events = w->kind_events; /* borrowed for encoding */
    fmt_index_sort_blobs(&w->ix);
    if (w->ix.first_seq)
        w->ix.nkinds = 0; /* the counts are of every event, not of those kept */
    fmt_index_encode(&w->ix, &b);
    w->ix.kind_events = NULL;
    codec_buf_reserve(&b, 4 + FMT_TRAILER_LEN);
    if (b.failed || b.len - FMT_REC_HEAD > FMT_MAX_INDX) {
        codec_buf_release(&b);
        set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    uint64_t index_at = w->offset;
    size_t plen = b.len - FMT_REC_HEAD;
    fmt_record_seal(b.data, FMT_TAG_INDX, (uint32_t)plen);
    uint8_t *t = b.data + b.len + 4;
    codec_put_u64le(t + FMT_REC_HEAD, index_at);
    fmt_record_seal(t, FMT_TAG_TAIL, 8);
    write_bytes(w, b.data, b.len + 4 + FMT_TRAILER_LEN);
    codec_buf_release(&b);
    if (w->own_fd && !w->err) {
        if (close(w->fd) < 0)
            set_error(w, TRACE_EIO, "close: %s", strerror(errno));
        w->own_fd = false;
        w->fd = -1;
    }
    return w->err;
}

/* The base of a delta for a blob of the type and key: the last blob put, when it is of the same
 * type with a lower key and fewer than FMT_DELTA_RUN deltas came since one stored whole; never
 * in a windowed file, which may drop a base. */
static bool blob_base(struct trace_writer *w, const char type[4], uint64_t key, int level,
                      struct fmt_blob_base *base)
{
    if (w->window || level == 0 || !w->last_blob.data || memcmp(w->last_blob.type, type, 4) != 0 ||
        w->last_blob.key >= key || w->last_blob.run + 1 >= FMT_DELTA_RUN) {
        w->last_blob.run = 0;
        return false;
    }
    w->last_blob.run++;
    *base = (struct fmt_blob_base){.key = w->last_blob.key, .data = w->last_blob.data, .len = w->last_blob.len};
    return true;
}

/* Keeps the blob as the next one's base (dropped when memory is short: the next is stored whole). */
static void blob_keep(struct trace_writer *w, const char type[4], uint64_t key, const void *data, size_t len)
{
    if (w->window)
        return;
    void *copy = realloc(w->last_blob.data, len ? len : 1);
    if (!copy) {
        free(w->last_blob.data);
        w->last_blob.data = NULL;
        return;
    }
    memcpy(copy, data, len);
    memcpy(w->last_blob.type, type, 4);
    w->last_blob.key = key;
    w->last_blob.data = copy;
    w->last_blob.len = len;
}

int trace_writer_put_blob(struct trace_writer *w, const char type[4], uint64_t key, const void *data, size_t len)
{
    encode_all(w);
    chunk_end(w);
    if (w->err)
        return w->err;
    if (len > UINT32_MAX - FMT_REC_OVERHEAD - 4 - CODEC_VARINT_MAX) {
        set_error(w, TRACE_ENOMEM, "a blob of %zu bytes is too large", len);
        return w->err;
    }
    struct codec_buf b;
    codec_buf_init(&b);
    uint8_t room[FMT_REC_HEAD] = {0};
    codec_buf_put(&b, room, sizeof room);
    int level = len / FMT_BLOB_PER_FILE_BYTE < w->offset ? w->level : 0; /* what a reader accepts */
    struct fmt_blob_base base;
    bool delta = blob_base(w, type, key, level, &base);
    fmt_blob_payload(&b, &w->zctx, FMT_VERSION, level, type, key, data, len, delta ? &base : NULL);
    blob_keep(w, type, key, data, len);
    codec_buf_reserve(&b, 4);
    if (b.failed) {
        codec_buf_release(&b);
        set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    uint32_t plen = (uint32_t)(b.len - FMT_REC_HEAD);
    fmt_record_seal(b.data, FMT_TAG_BLOB, plen);
    struct fmt_blob bl = {.key = key, .offset = w->offset, .bytes = plen + FMT_REC_OVERHEAD};
    memcpy(bl.type, type, 4);
    write_bytes(w, b.data, b.len + 4);
    codec_buf_release(&b);
    if (!w->err && !fmt_index_add_blob(&w->ix, &bl))
        set_error(w, TRACE_ENOMEM, "out of memory");
    window_check(w);
    return w->err;
}

const char *trace_writer_error(const struct trace_writer *w)
{
    return atomic_load_explicit(&w->failed, memory_order_acquire) ? w->msg : NULL;
}

uint64_t trace_writer_event_count(const struct trace_writer *w)
{
    return w->seq;
}

uint64_t trace_writer_bytes(const struct trace_writer *w)
{
    return atomic_load_explicit(&w->written, memory_order_relaxed);
}

void trace_writer_free(struct trace_writer *w)
{
    if (!w)
        return;
    /* Every whole chunk is written, as a writer that encoded each event at once would have;
     * the last, partial one is not. */
    if (!w->finished)
        encode_all(w);
    thread_stop(w);
    if (w->own_fd && w->fd >= 0)
        close(w->fd);
    fmt_index_release(&w->ix);
    for (size_t i = 0; i < NBATCH; i++)
        free(w->ring[i].rec);
    free(w->buf);
    free(w->zbuf);
    free(w->last_blob.data);
    fmt_zstd_free(&w->zctx, NULL);
    free(w->name);
    free(w);
}
