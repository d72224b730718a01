/*
 * codec.c - CRC32C, growable arrays, and the byte buffer and the cursor of codec.h.
 *
 * CRC32C is computed by the processor where it has an instruction for it (SSE4.2 on x86,
 * crc32c_x86.c), else in software, eight bytes at a time ("slicing by 8", Intel's 2006 design,
 * about 2 GB/s: one nanosecond per event of a 64 KiB chunk).  The choice and the eight 256-entry
 * tables are made once, on first use; ARENASCOPE_NO_CRC32C_INSTRUCTION in the environment forces
 * the tables (the tests check both ways).
 */
#include "crc32c_hw.h"

#include <tracer/codec.h>

#include <assert.h>
#include <pthread.h>
#include <stdlib.h>

#define CRC32C_POLY 0x82F63B78u /* 0x1EDC6F41 reflected */

static uint32_t crc_table[8][256];
static bool crc_hw;
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_tables_init(void)
{
    crc_hw = crc32c_hw_is_available() && getenv("ARENASCOPE_NO_CRC32C_INSTRUCTION") == NULL;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (CRC32C_POLY & (0u - (c & 1u)));
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xffu];
}

uint32_t codec_crc32c(uint32_t crc, const void *buf, size_t len)
{
    pthread_once(&crc_once, crc_tables_init);
    if (crc_hw)
        return crc32c_hw(crc, buf, len);
    const uint8_t *p = buf;
    uint32_t c = ~crc;
    while (len && ((uintptr_t)p & 7u)) {
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xffu];
        len--;
    }
    while (len >= 8) {
        uint32_t lo = codec_get_u32le(p) ^ c;
        uint32_t hi = codec_get_u32le(p + 4);
        c = crc_table[7][lo & 0xffu] ^ crc_table[6][(lo >> 8) & 0xffu] ^
            crc_table[5][(lo >> 16) & 0xffu] ^ crc_table[4][lo >> 24] ^
            crc_table[3][hi & 0xffu] ^ crc_table[2][(hi >> 8) & 0xffu] ^
            crc_table[1][(hi >> 16) & 0xffu] ^ crc_table[0][hi >> 24];
        p += 8;
        len -= 8;
    }
    while (len--)
        c = (c >> 8) ^ crc_table[0][(c ^ *p++) & 0xffu];
    return ~c;
}

bool codec_array_reserve(void **items, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return true;
    size_t n = *cap ? *cap : 8;
    while (n < want) {
        if (n > SIZE_MAX / 2 / size)
            return false;
        n *= 2;
    }
    void *p = realloc(*items, n * size);
    if (!p)
        return false;
    *items = p;
    *cap = n;
    return true;
}

void codec_buf_init(struct codec_buf *b)
{
    memset(b, 0, sizeof *b);
}

void codec_buf_release(struct codec_buf *b)
{
    free(b->data);
    codec_buf_init(b);
}

bool codec_buf_reserve(struct codec_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (n > SIZE_MAX - b->len || !codec_array_reserve((void **)&b->data, &b->cap, b->len + n, 1))
        b->failed = true;
    return !b->failed;
}

void codec_buf_put(struct codec_buf *b, const void *bytes, size_t n)
{
    if (n == 0 || !codec_buf_reserve(b, n))
        return;
    memcpy(b->data + b->len, bytes, n);
    b->len += n;
}

void codec_buf_put_varint(struct codec_buf *b, uint64_t v)
{
    if (!codec_buf_reserve(b, CODEC_VARINT_MAX))
        return;
    b->len = (size_t)(codec_put_varint(b->data + b->len, v) - b->data);
}

void codec_buf_put_zigzag(struct codec_buf *b, int64_t v)
{
    codec_buf_put_varint(b, codec_zigzag(v));
}

void codec_buf_put_text(struct codec_buf *b, const void *bytes, size_t n)
{
    codec_buf_put_varint(b, n);
    codec_buf_put(b, bytes, n);
}

uint64_t codec_read_varint_slow(struct codec_reader *r)
{
    uint64_t v;
    if (r->bad || !codec_get_varint(&r->p, r->end, &v)) {
        r->bad = true;
        return 0;
    }
    return v;
}

uint64_t codec_read_count(struct codec_reader *r)
{
    uint64_t n = codec_read_varint(r);
    if (n > (uint64_t)(r->end - r->p)) {
        r->bad = true;
        return 0;
    }
    return n;
}

const char *codec_read_text(struct codec_reader *r, size_t *len)
{
    uint64_t n = codec_read_count(r);
    if (r->bad) {
        *len = 0;
        return "";
    }
    const char *s = (const char *)r->p;
    r->p += n;
    *len = (size_t)n;
    return s;
}

void codec_buf_put_fields(struct codec_buf *b, const void *s, const struct codec_field *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const char *p = (const char *)s + fields[i].off;
        if (fields[i].zigzag) {
            int32_t v;
            memcpy(&v, p, sizeof v);
            codec_buf_put_zigzag(b, v);
        } else if (fields[i].size == sizeof(bool)) {
            codec_buf_put_varint(b, *(const bool *)p);
        } else if (fields[i].size == sizeof(uint32_t)) {
            uint32_t v;
            memcpy(&v, p, sizeof v);
            codec_buf_put_varint(b, v);
        } else {
            assert(fields[i].size == sizeof(uint64_t));
            uint64_t v;
            memcpy(&v, p, sizeof v);
            codec_buf_put_varint(b, v);
        }
    }
}

bool codec_read_fields(struct codec_reader *r, void *s, const struct codec_field *fields, size_t n)
{
    for (size_t i = 0; i < n && !r->bad; i++) {
        char *p = (char *)s + fields[i].off;
        if (fields[i].zigzag) {
            int64_t v = codec_read_zigzag(r);
            int32_t x = (int32_t)v;
            r->bad |= v < -1 || (v >= 0 && (uint64_t)v > fields[i].max);
            memcpy(p, &x, sizeof x);
            continue;
        }
        uint64_t v = codec_read_varint(r);
        r->bad |= v > fields[i].max;
        if (fields[i].size == sizeof(bool)) {
            *(bool *)p = v != 0;
        } else if (fields[i].size == sizeof(uint32_t)) {
            uint32_t x = (uint32_t)v;
            memcpy(p, &x, sizeof x);
        } else {
            memcpy(p, &v, sizeof v);
        }
    }
    return !r->bad;
}
