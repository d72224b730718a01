/*
 * writer.c - the trace writer: an event sink that encodes events into chunks (tracer/FORMAT.md).
 *
 * Design
 * ------
 * The writer is on the hot path of every recording: it must cost a few nanoseconds per event
 * and never allocate from the observed heap.  So:
 *
 * - Each kind has its own encoder, generated from EVENT_KINDS: the field types are known at
 *   compile time and the per-field work is a varint store or an address code.  The file's schema
 *   is this program's table, so file kind ids are enum event_kind values.
 *
 * - A chunk is built in one buffer laid out as the record it will become:
 *
 *       [ room for tag, length, first_seq, count, first_ns | events ... | room for the CRC ]
 *                                                          ^ EV_START
 *
 *   When the chunk ends the chunk header is written right-aligned against the events, the record
 *   is sealed and written with one write(2).  The buffer grows only for an event whose text does
 *   not fit (texts are capped at 1 MiB).
 *
 * - The address history of FORMAT.md section 6.3 is kept as a direct-mapped hash table from an
 *   address to the stamp (a running count of addresses coded) of its latest occurrence.  A hit is a repeat when its
 *   stamp belongs to the current chunk and is less than FMT_HISTORY old; a collision only loses a
 *   repeat (the address is then coded as a delta), never correctness.  Stamps run across chunks,
 *   so starting a chunk costs nothing.
 *
 * - Errors are sticky (redis's rio): the first failure is kept with its message, later events
 *   are dropped, and trace_writer_finish() reports it.  Producers never check per event.
 */
#include "format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define EV_START (FMT_REC_HEAD + 3 * CODEC_VARINT_MAX) /* events start here in the buffer */
#define EV_MAX_WORDS_BYTES (1 + CODEC_VARINT_MAX * (EVENT_MAX_FIELDS + 1)) /* kind, fields, text length */
#define HASH_BITS 12
_Static_assert((1u << HASH_BITS) >= FMT_HISTORY, "the hash table covers the history");

struct trace_writer {
    int fd;
    bool own_fd;
    bool finished;
    bool stopped;     /* err or finished: events are dropped */
    int err;          /* first error, sticky */
    char msg[320];    /* its message */
    char *name;       /* for messages */

    uint8_t *buf;     /* the chunk being built, see the layout above */
    size_t cap;       /* bytes allocated */
    size_t len;       /* end of the events; EV_START when the chunk is empty */

    uint64_t seq;         /* events emitted */
    uint64_t chunk_first; /* seq of the chunk's first event */
    uint64_t chunk_ns;    /* its time */
    uint64_t offset;      /* bytes written to the file */

    uint64_t addr_total;  /* addresses coded since the writer opened */
    uint64_t addr_base;   /* addr_total when the chunk began */
    uint64_t prev;        /* the last address coded in this chunk, 0 when none */
    /* by the address's hash: an address, and addr_total when it was last coded plus 1 (0: never).
     * Two arrays, not pairs: stores of pairs get merged into one 16-byte store, which the next
     * event's 8-byte load of the stamp then waits for. */
    uint64_t seen_addr[1u << HASH_BITS];
    uint64_t seen_stamp[1u << HASH_BITS];

    struct fmt_index ix;
    uint64_t kind_events[EV_KIND_COUNT];

    uint64_t (*now)(void *ctx);
    void *now_ctx;
    uint64_t clock_origin; /* now() when the writer opened */
};

static void set_error(struct trace_writer *w, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_error(struct trace_writer *w, int err, const char *fmt, ...)
{
    if (w->err)
        return;
    w->err = err;
    w->stopped = true;
    int n = snprintf(w->msg, sizeof w->msg, "%s: ", w->name);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->msg + n, sizeof w->msg - (size_t)n, fmt, ap);
    va_end(ap);
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
}

/* ---- encoding --------------------------------------------------------------------------------- */

static inline size_t addr_hash(uint64_t x)
{
    return (size_t)(((x >> 4) * 0x9E3779B97F4A7C15u) >> (64 - HASH_BITS));
}

/* LEB128 of (hi << 2 | low), a value of up to 66 bits. */
static inline __attribute__((always_inline)) uint8_t *put_code(uint8_t *p, uint64_t hi, unsigned low)
{
    if (hi < (1ull << 62))
        return codec_put_varint(p, hi << 2 | low);
    *p++ = (uint8_t)(0x80u | (hi & 0x1fu) << 2 | low);
    return codec_put_varint(p, hi >> 5);
}

/* Codes x as a repeat when the history holds it and the repeat is no longer than the delta. */
#define ALWAYS_INLINE inline __attribute__((always_inline))

/* Most fields fit one byte, most of the rest two or three. */
static ALWAYS_INLINE uint8_t *put_varint(uint8_t *p, uint64_t v)
{
    if (v < 0x80) {
        *p = (uint8_t)v;
        return p + 1;
    }
    if (v < 0x4000) {
        p[0] = (uint8_t)(v | 0x80);
        p[1] = (uint8_t)(v >> 7);
        return p + 2;
    }
    if (v < 0x200000) {
        p[0] = (uint8_t)(v | 0x80);
        p[1] = (uint8_t)(v >> 7 | 0x80);
        p[2] = (uint8_t)(v >> 14);
        return p + 3;
    }
    return codec_put_varint(p, v);
}

static ALWAYS_INLINE uint8_t *put_addr(struct trace_writer *w, uint8_t *p, uint64_t x)
{
    uint64_t total = w->addr_total;
    size_t h = addr_hash(x);
    uint64_t s = w->seen_stamp[h];
    int64_t d = (int64_t)(x - w->prev);
    bool aligned = (d & 15) == 0;
    uint64_t hi = aligned ? codec_zigzag(d / 16) : codec_zigzag(d);
    if (hi >= (1ull << 62)) {
        p = put_code(p, hi, aligned ? 1 : 3); /* a delta of more than 62 bits: never a repeat */
    } else {
        /* the repeat (d = total - 1 - stamp) when there is one and its code is not larger */
        uint64_t delta = hi << 2 | (aligned ? 1u : 3u), repeat = (total - s) << 1;
        bool hit = (w->seen_addr[h] == x) & (s > w->addr_base) & (total - s < FMT_HISTORY) & (repeat <= delta);
        p = put_varint(p, hit ? repeat : delta);
    }
    w->seen_addr[h] = x;
    w->seen_stamp[h] = total + 1;
    w->addr_total = total + 1;
    w->prev = x;
    return p;
}

static inline uint8_t *put_null(uint8_t *p)
{
    *p++ = 3;
    return p;
}

/* Per-kind constants, each from its own expansion of the table. */
#define COUNT_u(n) +1
#define COUNT_i(n) +1
#define COUNT_a(n) +1
#define COUNT_p(n) +1
#define COUNT_s(n)
#define EV_FIELD(t, n) COUNT_##t(n)
#define X(K, n, fl, tail, fields) [EV_##K] = 0 fields,
static const uint8_t kind_words[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

#define HAS_TEXT_u(n)
#define HAS_TEXT_i(n)
#define HAS_TEXT_a(n)
#define HAS_TEXT_p(n)
#define HAS_TEXT_s(n) +1
#define EV_FIELD(t, n) HAS_TEXT_##t(n)
#define X(K, n, fl, tail, fields) [EV_##K] = 0 fields,
static const uint8_t kind_text[EV_KIND_COUNT] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

static bool buf_reserve(struct trace_writer *w, size_t n)
{
    if (w->cap - w->len >= n)
        return true;
    size_t cap = w->cap;
    while (cap - w->len < n)
        cap *= 2;
    uint8_t *b = realloc(w->buf, cap);
    if (!b) {
        set_error(w, TRACE_ENOMEM, "out of memory");
        return false;
    }
    w->buf = b;
    w->cap = cap;
    return true;
}

static void chunk_end(struct trace_writer *w)
{
    uint64_t count = w->seq - w->chunk_first;
    if (count == 0 || w->err)
        return;
    uint8_t head[3 * CODEC_VARINT_MAX], *h = head;
    h = codec_put_varint(h, w->chunk_first);
    h = codec_put_varint(h, count);
    h = codec_put_varint(h, w->chunk_ns);
    size_t hs = (size_t)(h - head);
    size_t start = EV_START - hs - FMT_REC_HEAD;
    memcpy(w->buf + start + FMT_REC_HEAD, head, hs);
    size_t plen = hs + (w->len - EV_START);
    fmt_record_seal(w->buf + start, FMT_TAG_EVTS, (uint32_t)plen);
    struct trace_chunk_info c = {
        .offset = w->offset,
        .bytes = plen + FMT_REC_OVERHEAD,
        .first_seq = w->chunk_first,
        .count = (uint32_t)count,
        .first_ns = w->chunk_ns,
    };
    write_bytes(w, w->buf + start, plen + FMT_REC_OVERHEAD);
    if (!w->err && !fmt_index_push_chunk(&w->ix, &c))
        set_error(w, TRACE_ENOMEM, "out of memory");
    w->len = EV_START;
    w->chunk_first = w->seq;
    w->addr_base = w->addr_total;
    w->prev = 0;
}

void trace_writer_emit(struct trace_writer *w, const struct event *ev)
{
    enum event_kind k = ev->kind;
    if (__builtin_expect(w->stopped | ((unsigned)k >= EV_KIND_COUNT), 0)) {
        /* An error met before, or a programmer error (not damage). */
        if (!w->err)
            set_error(w, TRACE_EFORMAT, "event of kind %d emitted %s", (int)k,
                      w->finished ? "after finish" : "is not in the table");
        return;
    }
    uint32_t slen = 0;
    if (kind_text[k]) {
        slen = ev->str ? ev->str_len : 0;
        if (slen > FMT_MAX_TEXT)
            slen = FMT_MAX_TEXT; /* FORMAT.md 6.3: texts are at most 1 MiB */
    }
    if (__builtin_expect(w->cap - w->len < EV_MAX_WORDS_BYTES + 8 + slen, 0) &&
        !buf_reserve(w, EV_MAX_WORDS_BYTES + 8 + slen))
        return;
    if (w->len == EV_START) {
        uint64_t now = w->now(w->now_ctx);
        w->chunk_ns = now > w->clock_origin ? now - w->clock_origin : 0;
    }

    uint8_t *p = w->buf + w->len;
    switch (k) {
#define ENC_u(n) if (fi++ < limit) p = put_varint(p, e->n);
#define ENC_i(n) if (fi++ < limit) p = put_varint(p, codec_zigzag(e->n));
#define ENC_a(n) if (fi++ < limit) p = put_addr(w, p, e->n);
#define ENC_p(n) if (fi++ < limit) p = e->n ? put_addr(w, p, e->n) : put_null(p);
#define ENC_s(n)                                                                                 \
    if (fi++ < limit) {                                                                          \
        p = put_varint(p, slen);                                                                 \
        if (slen)                                                                                \
            memcpy(p, ev->str, slen);                                                            \
        p += slen;                                                                               \
    }
#define EV_FIELD(t, n) ENC_##t(n)
/* The kind's constants fold: kind_words[EV_K] is a constant read from a constant table. */
#define X(K, n, fl, tl, fields)                                                                  \
    case EV_##K: {                                                                               \
        const struct event_##n *e = &ev->u.n;                                                    \
        const unsigned nwords = kind_words[EV_##K], ntext = kind_text[EV_##K];                   \
        uint64_t tor = 0;                                                                        \
        for (unsigned i = tl; i < nwords; i++)                                                   \
            tor |= ev->u.f[i];                                                                   \
        if (ntext && tl <= nwords)                                                               \
            tor |= slen;                                                                         \
        const bool elide = tl < nwords + ntext && tor == 0;                                      \
        const unsigned limit = elide ? tl : FMT_MAX_FIELDS;                                      \
        unsigned fi = 0;                                                                         \
        *p++ = (uint8_t)(EV_##K | (elide ? 0x80u : 0));                                          \
        (void)e;                                                                                 \
        fields (void)fi;                                                                         \
        break;                                                                                   \
    }
        EVENT_KINDS(X)
#undef X
#undef EV_FIELD
    case EV_KIND_COUNT:
        break;
    }
    w->len = (size_t)(p - w->buf);
    w->seq++;
    w->kind_events[k]++;
    if (w->len - EV_START >= FMT_CHUNK_TARGET)
        chunk_end(w);
}

static void sink_emit(void *ctx, const struct event *ev)
{
    trace_writer_emit(ctx, ev);
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
    w->cap = EV_START + FMT_CHUNK_TARGET + EV_MAX_WORDS_BYTES + 4 + 4096;
    w->buf = malloc(w->cap);
    if (!w->buf) {
        set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    w->len = EV_START;

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
    w->name = nm;
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

int trace_writer_flush(struct trace_writer *w)
{
    chunk_end(w);
    return w->err;
}

int trace_writer_finish(struct trace_writer *w)
{
    if (w->finished)
        return w->err;
    chunk_end(w);
    w->finished = true;
    w->stopped = true;
    if (w->err)
        return w->err;

    struct codec_buf b;
    codec_buf_init(&b);
    uint8_t room[FMT_REC_HEAD] = {0};
    codec_buf_put(&b, room, sizeof room);
    w->ix.kind_events = w->kind_events; /* borrowed for encoding */
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

const char *trace_writer_error(const struct trace_writer *w)
{
    return w->err ? w->msg : NULL;
}

uint64_t trace_writer_event_count(const struct trace_writer *w)
{
    return w->seq;
}

uint64_t trace_writer_bytes(const struct trace_writer *w)
{
    return w->offset;
}

void trace_writer_free(struct trace_writer *w)
{
    if (!w)
        return;
    if (w->own_fd && w->fd >= 0)
        close(w->fd);
    fmt_index_release(&w->ix);
    free(w->buf);
    free(w->name);
    free(w);
}
