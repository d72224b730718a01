/*
 * decode.c - the trace reader's second half: a chunk loaded and its events decoded, read one at a
 * time or in batches, and the seek to any event (the first half, opening a trace and knowing its
 * chunks, is reader.c, whose essay tells the design).
 *
 * The decoder is driven by a *plan* per file kind, built once from the file's schema: for each
 * field its coding and where it goes in this program's struct event (FORMAT.md section 5's
 * mapping by name).  A kind the file defines as this program does is *native*: its events are
 * decoded by code generated from the event table, and the events whose coded fields are an address
 * and at most one small unsigned word (the reader's lanes: a block allocated or freed, a
 * pool's transitions, an object freed or tracked, ...) by one straight path.
 */
#include "reader.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the plans ------------------------------------------------------------------------------ */

/* File kind id is native when it is this program's kind id with the same definition. */
static bool kind_is_native(const struct fmt_kind *fk, size_t id)
{
    if (id >= EV_KIND_COUNT)
        return false;
    enum event_kind k = (enum event_kind)id;
    size_t nw = event_kind_field_count(k);
    const char *text = event_kind_text_name(k);
    if (strcmp(fk->name, event_kind_name(k)) != 0 || fk->flags != event_kind_flags(k) ||
        fk->tail != event_kind_tail(k) || fk->nfields != nw + (text != NULL))
        return false;
    for (size_t i = 0; i < nw; i++)
        if (strcmp(fk->field_names[i], event_kind_field_name(k, i)) != 0 ||
            fk->types[i] != event_kind_field_type(k, i))
            return false;
    return !text || (fk->types[nw] == 's' && strcmp(fk->field_names[nw], text) == 0);
}

/* The lane of a native kind's events with the kind byte's tail flag `elided` (reader.h).  Events
 * of three words or more take the switch: decoding them without branches costs more than the
 * jump's mispredictions that it saves (on the object runtime's churn). */
static uint8_t lane_of(enum event_kind k, bool elided)
{
    size_t coded = elided ? event_kind_tail(k) : event_kind_field_count(k);
    if (event_kind_text_name(k) || coded == 0 || coded > 2 || event_kind_field_type(k, 0) != 'a')
        return 0;
    for (size_t i = 1; i < coded; i++)
        if (event_kind_field_type(k, i) != 'u')
            return 0;
    return (uint8_t)coded;
}

void reader_plan_build(struct trace_reader *r)
{
    memset(r->kmap, KIND_BAD, sizeof r->kmap);
    memset(r->lane, 0, sizeof r->lane);
    for (size_t k = 0; k < r->schema.nkinds; k++) {
        r->kmap[k] = (uint8_t)(kind_is_native(&r->schema.kinds[k], k) ? k : KIND_PLAN);
        if (r->kmap[k] == k) {
            r->lane[k] = lane_of((enum event_kind)k, false);
            r->lane[k | 0x80] = lane_of((enum event_kind)k, true);
        }
        const struct fmt_kind *fk = &r->schema.kinds[k];
        struct plan_kind *pk = &r->plan[k];
        pk->own = event_kind_from_name(fk->name);
        pk->nfields = fk->nfields;
        pk->tail = fk->tail;
        pk->optional = (fk->flags & EVF_OPTIONAL) != 0;
        for (unsigned i = 0; i < fk->nfields; i++) {
            char t = fk->types[i];
            pk->op[i] = t == 'u' ? OP_U : t == 'i' ? OP_I : t == 'a' ? OP_A : t == 'p' ? OP_P : OP_S;
            pk->dest[i] = DEST_DROP;
            if (pk->own < 0)
                continue;
            enum event_kind own = (enum event_kind)pk->own;
            if (t == 's') {
                const char *tn = event_kind_text_name(own);
                if (tn && strcmp(tn, fk->field_names[i]) == 0)
                    pk->dest[i] = DEST_TEXT;
                continue;
            }
            for (size_t j = 0; j < event_kind_field_count(own); j++)
                if (strcmp(event_kind_field_name(own, j), fk->field_names[i]) == 0)
                    pk->dest[i] = (int8_t)j;
        }
    }
}

/* ---- chunks and events ------------------------------------------------------------------------------ */

static void history_reset(struct trace_reader *r)
{
    r->hist_n = 0;
    r->prev = 0;
}

/* A chunk that did not read back whole, in a windowed file: when a window record dropped it
 * meanwhile (the writer writes the record before it frees the bytes), it is gone, not damaged. */
static int chunk_gone(struct trace_reader *r, uint64_t first_seq, int rc)
{
    if (!r->hdr.window)
        return rc;
    trace_reader_poll(r);
    if (first_seq >= r->ix.first_seq)
        return rc;
    return reader_fail(r, TRACE_ERANGE, "event %llu was dropped: the trace keeps events from %llu on",
                       (unsigned long long)first_seq, (unsigned long long)r->ix.first_seq);
}

int reader_chunk_load(struct trace_reader *r, size_t i)
{
    const struct trace_chunk_info *c = &r->ix.chunks[i];
    size_t need = (size_t)c->bytes + PAD;
    if (need > r->ccap) {
        uint8_t *b = realloc(r->cbuf, need);
        if (!b)
            return reader_fail(r, TRACE_ENOMEM, "out of memory");
        r->cbuf = b;
        r->ccap = need;
    }
    r->cur = NO_CHUNK;
    int rc = reader_read_at(r, r->cbuf, (size_t)c->bytes, c->offset);
    if (rc == TRACE_ETRUNCATED)
        return reader_fail(r, rc, "ends inside chunk %zu at byte %llu", i, (unsigned long long)c->offset);
    if (rc)
        return reader_fail(r, rc, "chunk %zu at byte %llu: %s", i, (unsigned long long)c->offset,
                           strerror(errno));
    const uint8_t *b = r->cbuf;
    size_t len = (size_t)c->bytes - FMT_REC_OVERHEAD;
    if (memcmp(b, FMT_TAG_EVTS, 4) != 0 || codec_get_u32le(b + 4) != len)
        return chunk_gone(r, c->first_seq,
                          reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: not where the index says", i,
                                      (unsigned long long)c->offset));
    if (codec_crc32c(0, b, FMT_REC_HEAD + len) != codec_get_u32le(b + FMT_REC_HEAD + len))
        return chunk_gone(r, c->first_seq,
                          reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: bad checksum", i,
                                      (unsigned long long)c->offset));
    const uint8_t *p = b + FMT_REC_HEAD, *end = p + len;
    uint64_t first_seq, count, first_ns;
    if (!codec_get_varint(&p, end, &first_seq) || !codec_get_varint(&p, end, &count) ||
        !codec_get_varint(&p, end, &first_ns))
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: bad chunk header", i,
                           (unsigned long long)c->offset);
    if (first_seq != c->first_seq || count != c->count)
        return reader_fail(r, TRACE_EFORMAT,
                           "chunk %zu at byte %llu: holds events %llu to %llu, the index says %llu to %llu",
                           i, (unsigned long long)c->offset, (unsigned long long)first_seq,
                           (unsigned long long)(first_seq + count - 1), (unsigned long long)c->first_seq,
                           (unsigned long long)(c->first_seq + c->count - 1));
    memset(r->cbuf + c->bytes - 4, 0, PAD + 4); /* the CRC is checked: pad from the payload's end */
    rc = reader_chunk_unpack(r, i, &p, &end);
    if (rc)
        return rc;
    r->cur = i;
    r->events = p;
    r->p = p;
    r->end = end;
    r->pos_seq = c->first_seq;
    r->chunk_end_seq = c->first_seq + c->count;
    history_reset(r);
    r->vcounting = r->vcounts && i == r->vnext;
    if (r->vcounting)
        memset(r->vpart, 0, r->schema.nkinds * sizeof *r->vpart);
    return 0;
}

static int event_fail(struct trace_reader *r, const uint8_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int event_fail(struct trace_reader *r, const uint8_t *at, const char *fmt, ...)
{
    const struct trace_chunk_info *c = &r->ix.chunks[r->cur];
    /* in a compressed chunk (FORMAT.md 6), the byte of its events once decompressed */
    uint64_t off = r->events == r->zbuf ? (uint64_t)(at - r->zbuf) : c->offset + (uint64_t)(at - r->cbuf);
    size_t i = r->cur;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    r->cur = NO_CHUNK; /* the chunk cannot be read further */
    if (r->events == r->zbuf)
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: event %llu (byte %llu of its events): %s", i,
                           (unsigned long long)c->offset, (unsigned long long)r->pos_seq,
                           (unsigned long long)off, why);
    return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: event %llu: %s", i,
                       (unsigned long long)off, (unsigned long long)r->pos_seq, why);
}

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define LIKELY(x) __builtin_expect(!!(x), 1)

/* A varint of up to 10 bytes with no end check (the buffer is padded): the byte after it, or
 * NULL when it is too long or too large. */
static ALWAYS_INLINE const uint8_t *get_varint_padded(const uint8_t *p, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint64_t b = *p++;
        if (shift == 63 && (b & 0x7f) > 1)
            return NULL;
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return p;
        }
    }
    return NULL;
}

/* An address code (up to 66 bits) as hi = code >> 2, low = code & 3. */
static ALWAYS_INLINE const uint8_t *get_code_padded(const uint8_t *p, uint64_t *hi, unsigned *low)
{
    uint64_t b = *p++;
    *low = (unsigned)(b & 3);
    uint64_t v = (b & 0x7f) >> 2;
    unsigned shift = 5;
    while (b & 0x80) {
        if (shift > 61)
            return NULL; /* more than 10 bytes */
        b = *p++;
        if (shift == 61 && (b & 0x7f) > 7)
            return NULL; /* beyond 66 bits */
        v |= (b & 0x7f) << shift;
        shift += 7;
    }
    *hi = v;
    return p;
}

/* The decoding state of one event, in locals (registers) while it is decoded. */
struct cursor {
    const uint8_t *p;
    uint64_t hist_n; /* addresses in the chunk's history */
    uint64_t prev;   /* the last of them */
    uint64_t *hist;  /* the ring of the last FMT_HISTORY */
};

enum addr_status { ADDR_OK, ADDR_BAD_CODE, ADDR_OUT_OF_RANGE, ADDR_NULL };

static const char *const addr_errors[] = {
    [ADDR_BAD_CODE] = "bad address code",
    [ADDR_OUT_OF_RANGE] = "address repeat out of range",
    [ADDR_NULL] = "null in an address field",
};

/* An address code (FORMAT.md 6.3) into *out, updating the history.  A null (only when nullable)
 * is 0 and stays out of the history. */
static ALWAYS_INLINE enum addr_status get_addr(struct cursor *c, uint64_t *out, bool nullable)
{
    uint64_t hi, v;
    unsigned low, b0 = *c->p;
    if (b0 < 0x80) {
        c->p++;
        if (!(b0 & 1u)) { /* a repeat of one byte: its distance is below 64 */
            if (b0 >> 1 >= c->hist_n)
                return ADDR_OUT_OF_RANGE;
            v = c->hist[(c->hist_n - 1 - (b0 >> 1)) & HIST_MASK];
            goto push;
        }
        hi = b0 >> 2;
        low = b0 & 3u;
    } else if (!(c->p = get_code_padded(c->p, &hi, &low))) {
        return ADDR_BAD_CODE;
    }
    if (!(low & 1u)) {
        uint64_t d = hi < FMT_HISTORY ? (hi << 1 | low >> 1) : FMT_HISTORY;
        if (d >= c->hist_n || d >= FMT_HISTORY)
            return ADDR_OUT_OF_RANGE;
        v = c->hist[(c->hist_n - 1 - d) & HIST_MASK];
    } else if (low == 1) {
        v = c->prev + ((uint64_t)codec_unzigzag(hi) << 4);
    } else if (hi != 0) {
        v = c->prev + (uint64_t)codec_unzigzag(hi);
    } else if (nullable) {
        *out = 0;
        return ADDR_OK;
    } else {
        return ADDR_NULL;
    }
push:
    c->hist[c->hist_n & HIST_MASK] = v;
    c->hist_n++;
    c->prev = v;
    *out = v;
    return ADDR_OK;
}

/* The fields of a kind the file does not define as this program does, by its plan. */
static int decode_fields_by_plan(struct trace_reader *r, const struct plan_kind *pk, unsigned n,
                                 const uint8_t *start, struct cursor *c, struct event *ev)
{
    const uint8_t *end = r->end;
    for (unsigned i = 0; i < n; i++) {
        uint64_t v;
        switch (pk->op[i]) {
        case OP_U:
        case OP_I:
            if (!(c->p = get_varint_padded(c->p, &v)))
                return event_fail(r, start, "bad varint");
            if (pk->op[i] == OP_I)
                v = (uint64_t)codec_unzigzag(v);
            break;
        case OP_A:
        case OP_P: {
            enum addr_status st = get_addr(c, &v, pk->op[i] == OP_P);
            if (st != ADDR_OK)
                return event_fail(r, start, "%s", addr_errors[st]);
            break;
        }
        default: { /* OP_S */
            uint64_t len;
            if (!codec_get_varint(&c->p, end, &len) || len > (uint64_t)(end - c->p) ||
                len > FMT_MAX_TEXT)
                return event_fail(r, start, "bad text");
            if (pk->dest[i] == DEST_TEXT) {
                ev->str = (const char *)c->p;
                ev->str_len = (uint32_t)len;
            }
            c->p += len;
            continue;
        }
        }
        if (c->p > end)
            return event_fail(r, start, "runs past the end of its chunk");
        if (pk->dest[i] >= 0)
            ev->u.f[pk->dest[i]] = v;
    }
    return 0;
}

/* A varint of 1 to 3 bytes at p (the buffer is padded: four bytes may be read), without a
 * branch on its length: its value, and its length in *len; 0 in *len when it is longer. */
static ALWAYS_INLINE uint32_t get_short_varint(const uint8_t *p, unsigned *len)
{
    uint32_t x;
    memcpy(&x, p, 4);
    /* the first byte without a continuation bit: its top bit is bit 7, 15 or 23 (31: none) */
    unsigned t = (unsigned)__builtin_ctz((~x & 0x808080u) | 0x80000000u);
    uint32_t y = x & ((2u << t) - 1); /* its bytes (all four when t is 31) */
    *len = ((t + 1) >> 3) & 3;
    return (y & 0x7f) | (y >> 1 & 0x3f80) | (y >> 2 & 0x1fc000);
}

/*
 * An event of a lane (reader.h) the common way: an address code and `words` (0 or 1) unsigned
 * words of at most three bytes each.  Fills ev and moves the cursor, or returns false having
 * changed nothing, for the general path to decode the event (and to report what is wrong with
 * it).  The word is read whether coded or not (the buffer is padded) and both address decodings
 * are computed and one is kept: which ones an event uses is as unpredictable as its kind.
 */
static ALWAYS_INLINE bool decode_lane(struct cursor *c, unsigned words, const uint8_t *end, struct event *ev)
{
    const uint8_t *p = c->p;
    unsigned la, l1;
    uint32_t code = get_short_varint(p, &la);
    uint32_t v1 = get_short_varint(p + la, &l1);
    uint32_t m1 = -(uint32_t)words;
    uint64_t d = code >> 1, low = code & 3;
    int64_t dz = codec_unzigzag(code >> 2);
    uint64_t rep = c->hist[(c->hist_n - 1 - d) & HIST_MASK];
    uint64_t delta = c->prev + ((uint64_t)dz << (low == 1 ? 4 : 0));
    uint64_t x = (low & 1) ? delta : rep;
    /* bitwise, not ||: no branch until the one on the outcome */
    unsigned bad = (la == 0) | ((l1 == 0) & m1) | ((low & 1) ? code == 3 : (d >= c->hist_n) | (d >= FMT_HISTORY));
    p += la + (l1 & m1);
    if (bad || p > end)
        return false;
    ev->u.f[0] = x;
    ev->u.f[1] = v1 & m1;
    c->hist[c->hist_n & HIST_MASK] = x;
    c->hist_n++;
    c->prev = x;
    c->p = p;
    return true;
}

/*
 * Decodes the loaded chunk's events from r->pos_seq on, until event `stop` (at most the chunk's
 * end) or until n events of kinds this program knows are stored in evs.  Events of optional kinds
 * it does not know are decoded and not stored.  With keep false every event goes to evs[0] (to
 * skip events when seeking).  counts, when not NULL, counts every event by file kind.  Returns
 * how many were stored; on damage *err is set (else 0), the events before the damaged one are
 * stored and counted, and the chunk is unloaded.
 *
 * A native kind is decoded by code generated from the table, with the field types known at
 * compile time: one indirect jump per event instead of one per field.  An event with a lane (by
 * its kind byte: an address and at most one small word, most events of a heap and many of a
 * program's objects) is first tried by decode_lane, without that jump or any branch on the
 * codes' lengths; whatever it does not take (longer codes, damage) goes the general way, which
 * says what is wrong.  The decoding state lives in locals across the run and goes back to the
 * reader at its end.  Varints are read without an
 * end check since the chunk buffer is padded, and `p > end` once after the event catches one
 * that runs past its chunk: the bytes from the end on are zeros (PAD of them), so a field that
 * starts at or before the end stops at end + 1 at the latest, and each field after it takes one
 * zero byte (a 0 or the last address again); an address field that fails having started past
 * the end is reported as the overrun before it, as is a text field (read with its end check).
 * An event of a kind the switch decodes is split on the kind byte's tail flag, so that the
 * fields each copy reads are known when it is compiled.
 */
_Static_assert(PAD > EVENT_MAX_FIELDS, "a run past the end reads only the padding");
static ALWAYS_INLINE size_t decode_body(struct trace_reader *r, struct event *evs, size_t n, uint64_t stop,
                                        bool keep, uint64_t *counts, int *err)
{
    /* The state lives in locals: stores through ev could alias the reader's fields. */
    const uint8_t *start, *const end = r->end;
    struct cursor c = {.p = r->p, .hist_n = r->hist_n, .prev = r->prev, .hist = r->hist};
    uint64_t seq = r->pos_seq;
    struct event *ev = evs;
    enum addr_status st = ADDR_OK;
    const char *why;
    *err = 0;
    if (keep && stop - seq > n)
        stop = seq + n; /* n events stored, or fewer when some were of kinds skipped */

    while (seq < stop) {
        start = c.p;
        if (c.p >= end) {
            why = "the chunk ends before its last event";
            goto fail;
        }
        unsigned b = *c.p++;
        unsigned id = b & 0x7fu;
        memset(ev->u.f, 0, sizeof ev->u.f);
        ev->str = NULL;
        ev->str_len = 0;
        bool known = true;
        unsigned ln = r->lane[b];
        if (LIKELY(ln != 0) && LIKELY(decode_lane(&c, ln - 1, end, ev))) {
            ev->kind = (enum event_kind)id;
        } else {
            uint64_t len;
            switch (r->kmap[id]) {
#define DEC_u(n)                                                                                 \
    if (fi++ < lim) {                                                                            \
        if (*c.p < 0x80)                                                                         \
            e->n = *c.p++;                                                                       \
        else if (!(c.p = get_varint_padded(c.p, &e->n)))                                         \
            goto bad_varint;                                                                     \
    }
#define DEC_i(n)                                                                                 \
    if (fi++ < lim) {                                                                            \
        uint64_t z_;                                                                             \
        if (!(c.p = get_varint_padded(c.p, &z_)))                                                \
            goto bad_varint;                                                                     \
        e->n = codec_unzigzag(z_);                                                               \
    }
#define DEC_ADDR(n, nullable)                                                                    \
    if (fi++ < lim) {                                                                            \
        const uint8_t *at_ = c.p;                                                                \
        if ((st = get_addr(&c, &e->n, nullable)) != ADDR_OK) {                                   \
            c.p = at_;                                                                           \
            goto bad_addr;                                                                       \
        }                                                                                        \
    }
#define DEC_a(n) DEC_ADDR(n, false)
#define DEC_p(n) DEC_ADDR(n, true)
#define DEC_s(n)                                                                                 \
    if (fi++ < lim) {                                                                            \
        if (c.p > end)                                                                           \
            goto overrun;                                                                        \
        if (!codec_get_varint(&c.p, end, &len) || len > (uint64_t)(end - c.p) ||                 \
            len > FMT_MAX_TEXT)                                                                  \
            goto bad_text;                                                                       \
        ev->str = (const char *)c.p;                                                             \
        ev->str_len = (uint32_t)len;                                                             \
        c.p += len;                                                                              \
    }
#define EV_FIELD(t, n) DEC_##t(n)
#define DEC_FIELDS(n, fields, limit)                                                             \
    {                                                                                            \
        struct event_##n *e = &ev->u.n;                                                          \
        const unsigned lim = limit;                                                              \
        unsigned fi = 0;                                                                         \
        (void)e;                                                                                 \
        fields (void)fi;                                                                         \
    }
#define X(K, n, fl, tl, say, fields)                                                             \
    case EV_##K:                                                                                 \
        if (b & 0x80u)                                                                           \
            DEC_FIELDS(n, fields, tl)                                                            \
        else                                                                                     \
            DEC_FIELDS(n, fields, FMT_MAX_FIELDS)                                                \
        ev->kind = EV_##K;                                                                       \
        break;
                EVENT_KINDS(X)
#undef X
#undef DEC_FIELDS
#undef EV_FIELD
            case KIND_PLAN: {
                const struct plan_kind *pk = &r->plan[id];
                if (pk->own < 0 && !pk->optional) {
                    r->pos_seq = seq;
                    *err = event_fail(r, start, "kind '%s' is unknown to this arenascope and not optional",
                                      r->schema.kinds[id].name);
                    return (size_t)(ev - evs);
                }
                struct cursor g = c; /* c itself never escapes, so that it can live in registers */
                r->pos_seq = seq;
                if ((*err = decode_fields_by_plan(r, pk, (b & 0x80u) ? pk->tail : pk->nfields, start, &g, ev)))
                    return (size_t)(ev - evs);
                c = g;
                known = pk->own >= 0;
                ev->kind = (enum event_kind)(known ? pk->own : 0);
                break;
            }
            default:
                why = "kind id not in the schema";
                goto fail;
            }
            if (c.p > end)
                goto overrun;
        }
        ev->seq = seq++;
        if (counts)
            counts[id]++;
        if (keep && known)
            ev++;
    }
    if (seq == r->chunk_end_seq && c.p != end) {
        start = c.p;
        why = "bytes after the chunk's last event";
        goto fail;
    }
    r->p = c.p;
    r->hist_n = c.hist_n;
    r->prev = c.prev;
    r->pos_seq = seq;
    return (size_t)(ev - evs);

bad_varint:
    why = "bad varint";
    goto fail;
bad_addr:
    /* a field that starts past the end follows one that ran past it (see above) */
    why = c.p > end ? "runs past the end of its chunk" : addr_errors[st];
    goto fail;
bad_text:
    why = "bad text";
    goto fail;
overrun:
    why = "runs past the end of its chunk";
fail:
    r->pos_seq = seq;
    *err = event_fail(r, start, "%s", why);
    return (size_t)(ev - evs);
}

/* Between trace_reader_verify_begin() and _end(), the reading of a chunk in order from its start
 * counts its events, and a chunk read to its end adds them to the whole's. */
static __attribute__((noinline)) size_t decode_counted(struct trace_reader *r, struct event *evs, size_t n,
                                                       int *err)
{
    size_t k = decode_body(r, evs, n, r->chunk_end_seq, true, r->vpart, err);
    if (*err) {
        r->vcounting = false;
    } else if (r->pos_seq == r->chunk_end_seq) {
        for (size_t i = 0; i < r->schema.nkinds; i++)
            r->vcounts[i] += r->vpart[i];
        r->vnext++;
        r->vcounting = false;
    }
    return k;
}

/* The reading of events in order (next and read): every event stored, nothing counted (but
 * while a verification counts). */
static size_t decode_events(struct trace_reader *r, struct event *evs, size_t n, int *err)
{
    if (__builtin_expect(r->vcounting, 0))
        return decode_counted(r, evs, n, err);
    return decode_body(r, evs, n, r->chunk_end_seq, true, NULL, err);
}

size_t reader_decode_run(struct trace_reader *r, struct event *evs, size_t n, uint64_t stop,
                         bool keep, uint64_t *counts, int *err)
{
    if (stop > r->pos_seq)
        r->vcounting = false; /* not the reading in order: its events are not counted */
    return decode_body(r, evs, n, stop, keep, counts, err);
}

/* Finds the chunk holding seq (seq < nevents). */
static size_t chunk_of(const struct trace_reader *r, uint64_t seq)
{
    size_t lo = 0, hi = r->ix.nchunks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->ix.chunks[mid].first_seq <= seq)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Makes sure the chunk holding pos_seq is loaded; 0 at the end, 1 when ready, < 0 on error. */
static int ensure_chunk(struct trace_reader *r)
{
    if (r->cur != NO_CHUNK) {
        const struct trace_chunk_info *c = &r->ix.chunks[r->cur];
        if (r->pos_seq < c->first_seq + c->count)
            return 1;
    }
    if (r->pos_seq >= r->ix.nevents)
        return 0;
    if (r->pos_seq < r->ix.first_seq)
        return reader_fail(r, TRACE_ERANGE, "event %llu was dropped: the trace keeps events from %llu on",
                           (unsigned long long)r->pos_seq, (unsigned long long)r->ix.first_seq);
    size_t i = r->cur != NO_CHUNK && r->cur + 1 < r->ix.nchunks &&
                       r->ix.chunks[r->cur + 1].first_seq == r->pos_seq
                   ? r->cur + 1
                   : chunk_of(r, r->pos_seq);
    uint64_t want = r->pos_seq;
    int rc = reader_chunk_load(r, i);
    if (rc)
        return rc;
    struct event scratch;
    int err;
    reader_decode_run(r, &scratch, 1, want, false, NULL, &err);
    return err ? err : 1;
}

void reader_buffer_drop(struct trace_reader *r)
{
    r->rb_pos = r->rb_n = 0;
    r->rb_err = 0;
}

/* Decodes up to n events from the read position on, loading chunks as needed: how many, with the
 * damage that stopped them in *err (to be reported once they were handed out); 0 with *err set
 * when the damage came first; ensure_chunk()'s 0 or error when there is no chunk to read. */
static ssize_t decode_more(struct trace_reader *r, struct event *evs, size_t n, int *err)
{
    *err = 0;
    for (;;) {
        int rc = ensure_chunk(r);
        if (rc <= 0)
            return rc;
        size_t k = decode_events(r, evs, n, err);
        if (k || *err)
            return (ssize_t)k;
        /* only events of optional kinds this program does not know, to the chunk's end */
    }
}

/* The damage met after the events last handed out: reported once. */
static int pending_error_take(struct trace_reader *r)
{
    int err = r->rb_err;
    r->rb_err = 0;
    return err;
}

/* trace_reader_next() when nothing read ahead is left: reads ahead again. */
static __attribute__((noinline)) int next_refill(struct trace_reader *r, struct event *ev)
{
    if (r->rb_err)
        return pending_error_take(r);
    int err;
    ssize_t k = decode_more(r, r->rb, READ_AHEAD, &err);
    if (k > 0) {
        r->rb_n = (size_t)k;
        r->rb_pos = 0;
        r->rb_err = err;
        *ev = r->rb[r->rb_pos++];
        return 1;
    }
    if (err)
        reader_buffer_drop(r);
    return err ? err : (int)k;
}

int trace_reader_next(struct trace_reader *r, struct event *ev)
{
    size_t i = r->rb_pos;
    if (LIKELY(i < r->rb_n)) {
        r->rb_pos = i + 1;
        *ev = r->rb[i];
        return 1;
    }
    return next_refill(r, ev);
}

ssize_t trace_reader_read(struct trace_reader *r, struct event *evs, size_t n)
{
    if (n == 0)
        return 0;
    if (r->rb_pos < r->rb_n) { /* what next() read ahead comes first */
        size_t k = r->rb_n - r->rb_pos < n ? r->rb_n - r->rb_pos : n;
        memcpy(evs, r->rb + r->rb_pos, k * sizeof *evs);
        r->rb_pos += k;
        return (ssize_t)k;
    }
    if (r->rb_err)
        return pending_error_take(r);
    int err;
    ssize_t k = decode_more(r, evs, n, &err);
    if (k > 0)
        r->rb_err = err; /* reported by the next call */
    return k > 0 || !err ? k : err;
}

int trace_reader_seek(struct trace_reader *r, uint64_t seq)
{
    r->vcounting = false; /* what a seek skips is not counted (a chunk loaded below may be) */
    if (seq > r->ix.nevents)
        return reader_fail(r, TRACE_ERANGE, "no event %llu (the trace has %llu)",
                           (unsigned long long)seq, (unsigned long long)r->ix.nevents);
    if (r->rb_n && !r->rb_err && seq >= r->rb[0].seq && seq <= r->rb[r->rb_n - 1].seq &&
        r->pos_seq == r->rb[r->rb_n - 1].seq + 1) {
        /* within what was read ahead, the decoder still right after it: a step back costs
         * nothing (once a batch read went on past the buffer, the slow way is the right one) */
        size_t i = 0;
        while (r->rb[i].seq < seq)
            i++;
        r->rb_pos = i;
        return 0;
    }
    reader_buffer_drop(r);
    if (r->cur != NO_CHUNK) {
        const struct trace_chunk_info *c = &r->ix.chunks[r->cur];
        if (seq >= c->first_seq && seq < c->first_seq + c->count) {
            if (seq < r->pos_seq) { /* back within the loaded chunk: decode again from its start */
                r->p = r->events;
                r->pos_seq = c->first_seq;
                history_reset(r);
            }
            struct event scratch;
            int err;
            reader_decode_run(r, &scratch, 1, seq, false, NULL, &err);
            return err;
        }
    }
    r->cur = NO_CHUNK;
    r->pos_seq = seq;
    int rc = ensure_chunk(r);
    return rc < 0 ? rc : 0;
}

uint64_t trace_reader_tell(const struct trace_reader *r)
{
    return r->rb_pos < r->rb_n ? r->rb[r->rb_pos].seq : r->pos_seq;
}

int trace_reader_count_kinds(struct trace_reader *r, uint64_t *counts)
{
    size_t nk = r->schema.nkinds;
    if (r->complete && r->ix.kind_events) {
        memcpy(counts, r->ix.kind_events, nk * sizeof *counts);
        return 0;
    }
    memset(counts, 0, nk * sizeof *counts);
    reader_buffer_drop(r);
    r->cur = NO_CHUNK;
    r->pos_seq = r->ix.first_seq; /* a windowed file: the events kept */
    struct event ev;
    for (;;) {
        int rc = ensure_chunk(r);
        if (rc <= 0)
            return rc;
        reader_decode_run(r, &ev, 1, r->chunk_end_seq, false, counts, &rc);
        if (rc)
            return rc;
    }
}
