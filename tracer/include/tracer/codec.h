/*
 * codec.h - the byte-level primitives of the trace format (tracer/format/FORMAT.md section 1):
 * LEB128 varints, zigzag, little-endian words, CRC32C, a growable byte buffer to write into and a
 * cursor to read from, and growable arrays.  The one toolkit of tracer/: the format's records and
 * the model's checkpoints and timeline summary are written and read with it.
 *
 * Readers of untrusted bytes always pass the end of their buffer: a get function never reads at
 * or past `end` and returns false on a truncated or over-long varint.
 */
#ifndef TRACER_CODEC_H
#define TRACER_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define CODEC_VARINT_MAX 10 /* bytes in the longest varint */

static inline uint64_t codec_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t codec_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

#define CODEC_INLINE inline __attribute__((always_inline))

static CODEC_INLINE size_t codec_varint_size(uint64_t v)
{
    /* bits in v (at least 1), 7 per byte */
    return ((size_t)(63 - __builtin_clzll(v | 1)) * 37 >> 8) + 1;
}

/* Writes v at p (room for CODEC_VARINT_MAX bytes) and returns the byte after it. */
static CODEC_INLINE uint8_t *codec_put_varint(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Reads a varint of value < 2^64 from [*pp, end); advances *pp.  False when it is truncated,
 * longer than 10 bytes, or too large. */
static inline bool codec_get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        if (p >= end)
            return false;
        uint8_t b = *p++;
        uint64_t bits = b & 0x7fu;
        if (shift == 63 && bits > 1)
            return false;
        v |= bits << shift;
        if (!(b & 0x80)) {
            *out = v;
            *pp = p;
            return true;
        }
    }
    return false;
}

static inline void codec_put_u32le(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t codec_get_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void codec_put_u64le(uint8_t *p, uint64_t v)
{
    codec_put_u32le(p, (uint32_t)v);
    codec_put_u32le(p + 4, (uint32_t)(v >> 32));
}

static inline uint64_t codec_get_u64le(const uint8_t *p)
{
    return (uint64_t)codec_get_u32le(p) | (uint64_t)codec_get_u32le(p + 4) << 32;
}

/*
 * CRC32C (Castagnoli), continuing `crc`: start with 0; codec_crc32c(codec_crc32c(0, a), b) is the
 * CRC of a followed by b.  The CRC of "123456789" is 0xE3069283.
 */
uint32_t codec_crc32c(uint32_t crc, const void *buf, size_t len);

/*
 * A growable array of records: makes room in the malloc'd *items for `want` records of `size`
 * bytes, doubling its capacity *cap (from 8).  False when out of memory; the array is then as
 * it was.
 */
bool codec_array_reserve(void **items, size_t *cap, size_t want, size_t size);

/*
 * A growable byte buffer for building payloads.  An allocation failure is sticky: later puts do
 * nothing and `failed` stays true, so the caller checks once at the end.  Uses libc malloc.
 */
struct codec_buf {
    uint8_t *data;
    size_t len; /* bytes written */
    size_t cap; /* bytes allocated */
    bool failed;
};

void codec_buf_init(struct codec_buf *b);
void codec_buf_release(struct codec_buf *b);
/* Makes room for n more bytes; false (and failed) when it cannot. */
bool codec_buf_reserve(struct codec_buf *b, size_t n);
void codec_buf_put(struct codec_buf *b, const void *bytes, size_t n);
void codec_buf_put_varint(struct codec_buf *b, uint64_t v);
void codec_buf_put_zigzag(struct codec_buf *b, int64_t v);               /* a signed varint */
void codec_buf_put_text(struct codec_buf *b, const void *bytes, size_t n); /* varint n, bytes */

/*
 * A cursor over untrusted bytes, for decoders that read many fields and check once at the end
 * (the model's checkpoints and summary): the reads mirror the puts above, and any read that runs
 * past the end or meets a bad varint sets `bad`, which stays set, and gives 0 (a text: "", 0
 * bytes).  A value read while bad is meaningless but harmless.
 */
struct codec_reader {
    const uint8_t *p, *end;
    bool bad; /* sticky: a read failed */
};

static inline struct codec_reader codec_reader_of(const void *buf, size_t len)
{
    return (struct codec_reader){.p = buf, .end = (const uint8_t *)buf + len};
}

uint64_t codec_read_varint_slow(struct codec_reader *r);

/* One byte, nearly every varint of a checkpoint, is read inline. */
static CODEC_INLINE uint64_t codec_read_varint(struct codec_reader *r)
{
    if (__builtin_expect(r->p < r->end && !(*r->p & 0x80), 1))
        return *r->p++;
    return codec_read_varint_slow(r);
}

static inline int64_t codec_read_zigzag(struct codec_reader *r)
{
    return codec_unzigzag(codec_read_varint(r));
}

/* A count of items that take at least a byte each: more than the bytes left is bad. */
uint64_t codec_read_count(struct codec_reader *r);
/* A text as codec_buf_put_text() wrote it: its bytes stay in the buffer read. */
const char *codec_read_text(struct codec_reader *r, size_t *len);


/*
 * A struct written member by member: its members listed once, in their order in the payload,
 * each one varint.  codec_buf_put_fields() writes them and codec_read_fields() reads them back
 * from the same list, refusing (false, and `bad`) a value larger than the member's `max`.
 */
struct codec_field {
    size_t off;   /* offsetof */
    size_t size;  /* of the member: 1 (a bool: read as != 0), 4 or 8 */
    bool zigzag;  /* an int32_t member, zigzagged, no smaller than -1 */
    uint64_t max; /* the largest value it may hold */
};
#define CODEC_MEMBER_SIZE(type, member) sizeof(((type *)0)->member)
/* An unsigned member, at most `max`. */
#define CODEC_FIELD_UPTO(type, member, max)                                                      \
    {offsetof(type, member), CODEC_MEMBER_SIZE(type, member), false, max}
/* An unsigned member, any value of its type; a bool, any value (true unless 0). */
#define CODEC_FIELD(type, member)                                                                \
    CODEC_FIELD_UPTO(type, member, CODEC_MEMBER_SIZE(type, member) == 4 ? UINT32_MAX : UINT64_MAX)
#define CODEC_FIELD_BOOL(type, member) CODEC_FIELD_UPTO(type, member, UINT64_MAX)
/* An int32_t member from -1 to `max`. */
#define CODEC_FIELD_MARK(type, member, max)                                                      \
    {offsetof(type, member), CODEC_MEMBER_SIZE(type, member), true, max}
#define CODEC_COUNT(fields) (sizeof fields / sizeof fields[0])

void codec_buf_put_fields(struct codec_buf *b, const void *s, const struct codec_field *fields, size_t n);
/* False (and the reader bad from then on, when a value was out of range) on the first bad one. */
bool codec_read_fields(struct codec_reader *r, void *s, const struct codec_field *fields, size_t n);

#endif
