/* The byte-level primitives and the event table's own consistency. */
#include "helpers.h"

#include <tracer/codec.h>

#include <criterion/criterion.h>

Test(codec, crc32c_known_vectors)
{
    cr_assert_eq(codec_crc32c(0, "123456789", 9), 0xE3069283u);
    cr_assert_eq(codec_crc32c(0, "", 0), 0u);
    uint8_t zeros[32] = {0}, ones[32];
    memset(ones, 0xff, sizeof ones);
    /* RFC 3720 appendix B.4 */
    cr_assert_eq(codec_crc32c(0, zeros, 32), 0x8A9136AAu);
    cr_assert_eq(codec_crc32c(0, ones, 32), 0x62A8AB43u);
    uint8_t inc[32];
    for (int i = 0; i < 32; i++)
        inc[i] = (uint8_t)i;
    cr_assert_eq(codec_crc32c(0, inc, 32), 0x46DD794Eu);
}

Test(codec, crc32c_continues_across_pieces_and_alignments)
{
    uint8_t buf[1000];
    struct rng g;
    g.s = 7;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rng_next(&g);
    uint32_t whole = codec_crc32c(0, buf, sizeof buf);
    for (size_t cut = 0; cut <= sizeof buf; cut += 37)
        cr_assert_eq(codec_crc32c(codec_crc32c(0, buf, cut), buf + cut, sizeof buf - cut), whole);
    /* the same bytes at every alignment */
    uint8_t shifted[1016];
    for (size_t a = 0; a < 8; a++) {
        memcpy(shifted + a, buf, sizeof buf);
        cr_assert_eq(codec_crc32c(0, shifted + a, sizeof buf), whole);
    }
}

/* The CRC one bit at a time, straight from its definition. */
static uint32_t crc_by_bits(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1u)));
    }
    return ~c;
}

/* Run once with the processor's instruction and once with the tables (meson sets
 * ARENASCOPE_NO_CRC32C_INSTRUCTION for the second run). */
Test(codec, crc32c_equals_its_definition)
{
    uint8_t buf[4099];
    struct rng g;
    g.s = 8;
    for (size_t i = 0; i < sizeof buf; i++)
        buf[i] = (uint8_t)rng_next(&g);
    for (size_t n = 0; n < 64; n++)
        cr_assert_eq(codec_crc32c(0, buf + 3, n), crc_by_bits(buf + 3, n), "%zu bytes", n);
    cr_assert_eq(codec_crc32c(0, buf, sizeof buf), crc_by_bits(buf, sizeof buf));
    cr_assert_eq(codec_crc32c(0, buf + 1, sizeof buf - 1), crc_by_bits(buf + 1, sizeof buf - 1));
}

Test(codec, varint_round_trip_and_limits)
{
    uint8_t b[CODEC_VARINT_MAX];
    static const uint64_t vals[] = {0, 1, 127, 128, 16383, 16384, 1ull << 35, (1ull << 63) - 1,
                                    1ull << 63, UINT64_MAX};
    static const size_t sizes[] = {1, 1, 1, 2, 2, 3, 6, 9, 10, 10};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        uint8_t *e = codec_put_varint(b, vals[i]);
        cr_assert_eq((size_t)(e - b), sizes[i]);
        cr_assert_eq(codec_varint_size(vals[i]), sizes[i]);
        const uint8_t *p = b;
        uint64_t v;
        cr_assert(codec_get_varint(&p, e, &v));
        cr_assert_eq(v, vals[i]);
        cr_assert_eq(p, e);
        /* one byte short: truncated */
        p = b;
        cr_assert_not(codec_get_varint(&p, e - 1, &v));
        cr_assert_eq(p, b);
    }
    /* 2^64 does not fit */
    uint8_t big[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02};
    const uint8_t *p = big;
    uint64_t v;
    cr_assert_not(codec_get_varint(&p, big + sizeof big, &v));
    /* eleven bytes are too many even for a small value */
    uint8_t longer[] = {0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    p = longer;
    cr_assert_not(codec_get_varint(&p, longer + sizeof longer, &v));
    /* a non-minimal encoding of 1 in 10 bytes is accepted */
    uint8_t padded[] = {0x81, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    p = padded;
    cr_assert(codec_get_varint(&p, padded + sizeof padded, &v));
    cr_assert_eq(v, 1);
}

Test(codec, zigzag)
{
    cr_assert_eq(codec_zigzag(0), 0);
    cr_assert_eq(codec_zigzag(-1), 1);
    cr_assert_eq(codec_zigzag(1), 2);
    cr_assert_eq(codec_zigzag(-2), 3);
    cr_assert_eq(codec_zigzag(INT64_MAX), UINT64_MAX - 1);
    cr_assert_eq(codec_zigzag(INT64_MIN), UINT64_MAX);
    static const int64_t vals[] = {0, 1, -1, 63, -64, INT64_MAX, INT64_MIN, 123456789, -987654321};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++)
        cr_assert_eq(codec_unzigzag(codec_zigzag(vals[i])), vals[i]);
}

Test(codec, buffer_grows_and_keeps_bytes)
{
    struct codec_buf b;
    codec_buf_init(&b);
    for (uint64_t i = 0; i < 10000; i++)
        codec_buf_put_varint(&b, i * 1000);
    codec_buf_put_text(&b, "tail", 4);
    cr_assert_not(b.failed);
    const uint8_t *p = b.data, *end = b.data + b.len;
    for (uint64_t i = 0; i < 10000; i++) {
        uint64_t v;
        cr_assert(codec_get_varint(&p, end, &v));
        cr_assert_eq(v, i * 1000);
    }
    uint64_t n;
    cr_assert(codec_get_varint(&p, end, &n));
    cr_assert_eq(n, 4);
    cr_assert_eq(memcmp(p, "tail", 4), 0);
    codec_buf_release(&b);
    cr_assert_null(b.data);
}

Test(codec, reader_reads_what_the_buffer_wrote)
{
    struct codec_buf b;
    codec_buf_init(&b);
    codec_buf_put_varint(&b, 5);
    codec_buf_put_varint(&b, UINT64_MAX);
    codec_buf_put_zigzag(&b, -300);
    codec_buf_put_zigzag(&b, INT64_MIN);
    codec_buf_put_text(&b, "label", 5);
    codec_buf_put_varint(&b, 3); /* a count of three one-byte items */
    codec_buf_put(&b, "\1\2\3", 3);
    cr_assert_not(b.failed);
    struct codec_reader r = codec_reader_of(b.data, b.len);
    cr_assert_eq(codec_read_varint(&r), 5);
    cr_assert_eq(codec_read_varint(&r), UINT64_MAX);
    cr_assert_eq(codec_read_zigzag(&r), -300);
    cr_assert_eq(codec_read_zigzag(&r), INT64_MIN);
    size_t len;
    const char *s = codec_read_text(&r, &len);
    cr_assert(len == 5 && memcmp(s, "label", 5) == 0);
    cr_assert_eq(codec_read_count(&r), 3);
    r.p += 3;
    cr_assert_not(r.bad);
    cr_assert_eq(r.p, r.end);
    codec_buf_release(&b);
}

Test(codec, reader_errors_are_sticky)
{
    /* past the end */
    const uint8_t one[] = {7};
    struct codec_reader r = codec_reader_of(one, sizeof one);
    cr_assert_eq(codec_read_varint(&r), 7);
    cr_assert_eq(codec_read_varint(&r), 0);
    cr_assert(r.bad);
    /* a varint cut short, then one that is too large: both bad, and bad stays */
    const uint8_t cut[] = {0x80, 0x80};
    r = codec_reader_of(cut, sizeof cut);
    cr_assert_eq(codec_read_varint(&r), 0);
    cr_assert(r.bad);
    const uint8_t big[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x01};
    r = codec_reader_of(big, sizeof big);
    cr_assert_eq(codec_read_varint(&r), 0);
    cr_assert(r.bad);
    codec_read_varint(&r);
    cr_assert(r.bad);
    /* a count or a text longer than the bytes left */
    const uint8_t many[] = {5, 'a', 'b'};
    r = codec_reader_of(many, sizeof many);
    cr_assert_eq(codec_read_count(&r), 0);
    cr_assert(r.bad);
    r = codec_reader_of(many, sizeof many);
    size_t len = 1;
    const char *s = codec_read_text(&r, &len);
    cr_assert(r.bad && len == 0 && *s == '\0');
}

Test(codec, event_table_follows_the_format_rules)
{
    char err[256] = "";
    cr_assert(event_table_is_valid(err, sizeof err), "%s", err);
    cr_assert_eq(event_kind_from_name("block_alloc"), EV_BLOCK_ALLOC);
    cr_assert_eq(event_kind_from_name("no_such_kind"), -1);
    cr_assert_str_eq(event_kind_name(EV_STACK_DEF), "stack_def");
    cr_assert_eq(event_kind_tail(EV_BLOCK_ALLOC), 2);
    cr_assert_eq(event_kind_field_count(EV_STACK_DEF), 4);
    cr_assert_str_eq(event_kind_field_name(EV_STACK_DEF, 2), "parent");
    cr_assert_str_eq(event_kind_text_name(EV_STACK_DEF), "frames");
    cr_assert_null(event_kind_text_name(EV_BLOCK_FREE));
    cr_assert_eq(event_kind_flags(EV_CALLOC), EVF_OPTIONAL);
    cr_assert_eq(event_kind_field_type(EV_INCREF, 3), 'p');
}

/* What each event is about comes from the table's roles: the UI and the validator ask by role. */
Test(codec, event_roles_name_what_an_event_is_about)
{
    cr_assert_eq(event_kind_role(EV_POOL_INIT, EV_ROLE_POOL), 0);
    cr_assert_eq(event_kind_role(EV_POOL_INIT, EV_ROLE_CLASS), 1);
    cr_assert_eq(event_kind_role(EV_POOL_INIT, EV_ROLE_ADDR), -1);
    cr_assert_eq(event_kind_role(EV_ARENA_NEW, EV_ROLE_SLOT), 1);
    cr_assert_eq(event_kind_role(EV_ARENA_NEW, EV_ROLE_ARENA), 2);
    cr_assert_eq(event_kind_role(EV_RAW_REALLOC, EV_ROLE_ADDR), 1); /* the new address */
    cr_assert_eq(event_kind_role(EV_STEP, EV_ROLE_OBJ), -1);
    cr_assert_eq(event_kind_role((enum event_kind)EV_KIND_COUNT, EV_ROLE_OBJ), -1);
    struct event ev = {.kind = EV_INCREF, .u.incref = {.obj = 0x1230, .refcnt = 2, .owner = 0x4560}};
    uint64_t v = 1;
    cr_assert(event_role(&ev, EV_ROLE_OBJ, &v) && v == 0x1230);
    cr_assert(!event_role(&ev, EV_ROLE_POOL, &v) && v == 0);
    cr_assert_eq(event_subject(&ev), 0x1230);
    ev = (struct event){.kind = EV_ARENA_FREE, .u.arena_free = {.slot = 3, .base = 0x100000}};
    cr_assert_eq(event_subject(&ev), 0x100000);
    ev = (struct event){.kind = EV_POOL_FULL, .u.pool_full = {.pool = 0x104000}};
    cr_assert_eq(event_subject(&ev), 0x104000);
    ev = (struct event){.kind = EV_GC_COUNT, .u.gc_count = {.gen = 0, .count = 3}};
    cr_assert_eq(event_subject(&ev), 0);
}
