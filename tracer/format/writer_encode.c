/*
 * writer_encode.c - the trace writer's encoding (see writer.c for the design): each kind's
 * encoder, generated from the event table, with the address history of FORMAT.md 6.3; and the
 * chunk, assembled in one buffer, compressed, sealed and written, with the window slid after it.
 */
#include "writer_private.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

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

void writer_history_reset(struct trace_writer *w)
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
        writer_encode_all(w); /* the encoder thread, if any, is idle: the error is this thread's */
        writer_set_error(w, TRACE_ENOMEM, "out of memory");
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
    writer_write_bytes(w, rec, plen + FMT_REC_OVERHEAD);
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
void writer_window_check(struct trace_writer *w)
{
    if (w->window && w->ix.nchunks && w->offset - w->ix.chunks[0].offset > w->window - w->window / 16)
        window_slide(w);
}

/* The chunk's events compressed into zbuf at EV_START: their size there, or 0 when they are to
 * be stored as they are (compression is off, failed or does not pay). */
static size_t chunk_pack(struct trace_writer *w, const struct sealed *c)
{
    size_t n = c->len - EV_START;
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
    return fmt_zstd_pack(&w->zctx, w->level, w->zbuf + EV_START, w->zcap - EV_START - 4, c->buf + EV_START, n,
                         NULL, 0);
}

void writer_chunk_write(struct trace_writer *w, const struct sealed *c)
{
    if (w->err)
        return;
    size_t raw = c->len - EV_START, z = chunk_pack(w, c);
    uint8_t *buf = z ? w->zbuf : c->buf;
    uint8_t head[4 * CODEC_VARINT_MAX], *h = head;
    h = codec_put_varint(h, c->first);
    h = codec_put_varint(h, c->count);
    h = codec_put_varint(h, c->ns);
    h = codec_put_varint(h, z ? raw : 0); /* the events' size once decompressed; 0: stored */
    size_t hs = (size_t)(h - head);
    size_t start = EV_START - hs - FMT_REC_HEAD;
    memcpy(buf + start + FMT_REC_HEAD, head, hs);
    size_t plen = hs + (z ? z : raw);
    fmt_record_seal(buf + start, FMT_TAG_EVTS, (uint32_t)plen);
    struct trace_chunk_info info = {
        .offset = w->offset,
        .bytes = plen + FMT_REC_OVERHEAD,
        .first_seq = c->first,
        .count = (uint32_t)c->count,
        .first_ns = c->ns,
    };
    writer_write_bytes(w, buf + start, plen + FMT_REC_OVERHEAD);
    if (!w->err && !fmt_index_push_chunk(&w->ix, &info))
        writer_set_error(w, TRACE_ENOMEM, "out of memory");
    writer_window_check(w);
}

/* The next chunk starts empty. */
static void chunk_restart(struct trace_writer *w)
{
    w->len = EV_START;
    w->chunk_first = w->enc_seq;
    w->prev = 0;
    writer_history_reset(w);
}

void writer_chunk_end(struct trace_writer *w)
{
    struct sealed c = {w->buf, w->cap, w->len, w->chunk_first, w->enc_seq - w->chunk_first, w->chunk_ns};
    if (c.count == 0 || w->err)
        return;
    writer_chunk_write(w, &c);
    chunk_restart(w);
}

/* The chunk being built is full: written, or handed to the encoder thread once there is one. */
static NOINLINE void chunk_full(struct trace_writer *w)
{
    if (w->async) {
        writer_chunk_hand(w);
        if (atomic_load_explicit(&w->failed, memory_order_acquire))
            w->stopped = true;
        chunk_restart(w);
        return;
    }
    writer_chunk_end(w);
    if (w->err)
        w->stopped = true;
    else
        writer_maybe_thread(w);
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
 * whose text, of slen bytes (at most FMT_MAX_TEXT), is at ev->str.  Returns false when memory
 * ran out.  The text's pointer is read only by a kind that has one: a producer's event is often
 * just stored, and a load straddling two of its stores would wait for them.
 * The output needs no bound check for an event without text: a chunk ends as soon as it holds
 * FMT_CHUNK_TARGET bytes, and the buffer has room for one more such event after that.
 */
static ALWAYS_INLINE bool encode_event(struct trace_writer *w, struct enc *e, unsigned k, const struct event *ev,
                                       uint32_t slen)
{
    const uint64_t *f = ev->u.f;
    uint8_t *p;
    unsigned ln = fmt_kind_lane[k];
    if (LIKELY(ln & FMT_LANE_ON)) {
        /* The second and third words are read whatever the lane (an event has EVENT_MAX_FIELDS)
         * and masked off when the kind has none. */
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
            return true;
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
            memcpy(p, ev->str, slen);                                                            \
        p += slen;                                                                               \
    }
#define EV_FIELD(t, n) ENC_##t(n)
/* The kind's constants fold: kind_words[EV_K] is a constant read from a constant table. */
#define X(K, n, fl, tl, say, fields)                                                                  \
    case EV_##K: {                                                                               \
        const unsigned nwords = kind_words[EV_##K], ntext = kind_text[EV_##K];                   \
        if (ntext) {                                                                             \
            if (!(e->p = text_room(w, e->p, slen)))                                              \
                return false;                                                                    \
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
        return true;                                                                             \
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

/* emit: the event encoded at once, in the producer's thread; a full chunk is written, or handed
 * to the encoder thread. */
static ALWAYS_INLINE void emit_one(struct trace_writer *w, const struct event *ev)
{
    unsigned k = (unsigned)ev->kind;
    if (UNLIKELY(w->stopped | (k >= EV_KIND_COUNT))) {
        writer_emit_refused(w, ev);
        return;
    }
    if (UNLIKELY(text_is_too_long(k, ev))) {
        writer_text_refused(w, ev);
        return;
    }
    uint32_t slen = text_len(k, ev);
    if (w->len == EV_START)
        w->chunk_ns = clock_now(w);
    struct enc e = enc_load(w);
    if (!encode_event(w, &e, k, ev, slen)) {
        w->stopped = true;
        return;
    }
    enc_store(w, &e);
    w->kind_events[k]++;
    w->enc_seq++;
    w->seq++;
    if (UNLIKELY(e.p >= e.limit))
        chunk_full(w);
}

void trace_writer_emit(struct trace_writer *w, const struct event *ev)
{
    emit_one(w, ev);
}

static void sink_emit(void *ctx, const struct event *ev)
{
    emit_one(ctx, ev);
}

struct event_sink trace_writer_sink(struct trace_writer *w)
{
    return (struct event_sink){.emit = sink_emit, .ctx = w};
}
