/*
 * Schema mapping (FORMAT.md section 5): files written by another version of the event table, made
 * by hand from the specification.  Kinds and fields are matched by name; optional kinds this
 * program does not know are skipped; unknown kinds that are not optional are errors; missing
 * fields read as 0.
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* An address as a delta from prev (never a repeat: a writer need not search). */
static void put_addr(struct codec_buf *b, uint64_t x, uint64_t *prev)
{
    int64_t d = (int64_t)(x - *prev);
    if (d % 16 == 0)
        codec_buf_put_varint(b, codec_zigzag(d / 16) << 2 | 1);
    else
        codec_buf_put_varint(b, codec_zigzag(d) << 2 | 3);
    *prev = x;
}

static const char *write_file(const char *name, const struct kind_spec *kinds, size_t nkinds,
                              const struct codec_buf *events, uint64_t count)
{
    struct codec_buf f, h, c;
    codec_buf_init(&f);
    codec_buf_init(&h);
    codec_buf_init(&c);
    file_put_prefix(&f, 1);
    header_payload(&h, kinds, nkinds);
    file_put_record(&f, "HEAD", h.data, h.len);
    chunk_payload_start(&c, 0, count, 0);
    codec_buf_put(&c, events->data, events->len);
    file_put_record(&f, "EVTS", c.data, c.len);
    const char *path = scratch_path(name);
    spit(path, f.data, f.len);
    codec_buf_release(&f);
    codec_buf_release(&h);
    codec_buf_release(&c);
    return path;
}

static struct trace_reader *open_ok(const char *path)
{
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    return r;
}

Test(schema, an_optional_kind_from_a_newer_writer_is_skipped)
{
    static const struct kind_spec kinds[] = {
        {"block_alloc", 0, 2, "a:addr u:size u:stack"},
        {"future_thing", EVF_OPTIONAL, 3, "u:x a:where s:note"},
        {"block_free", 0, 1, "a:addr"},
    };
    struct codec_buf e;
    codec_buf_init(&e);
    uint64_t prev = 0;
    codec_buf_put(&e, "\x80", 1); /* block_alloc, tail omitted */
    put_addr(&e, 0x7f0000001030ull, &prev);
    codec_buf_put_varint(&e, 32);
    codec_buf_put(&e, "\x01", 1); /* future_thing(7, 0x5555000, "hi") */
    codec_buf_put_varint(&e, 7);
    put_addr(&e, 0x5555000ull, &prev);
    codec_buf_put_text(&e, "hi", 2);
    codec_buf_put(&e, "\x02", 1); /* block_free: a repeat reaching over future_thing's address */
    codec_buf_put_varint(&e, 1u << 1);
    const char *path = write_file("newer.trace", kinds, 3, &e, 3);

    struct trace_reader *r = open_ok(path);
    cr_assert_eq(trace_reader_kind_count(r), 3);
    cr_assert_str_eq(trace_reader_kind_name(r, 1), "future_thing");
    cr_assert_eq(trace_reader_kind_own(r, 1), -1);
    cr_assert(trace_reader_kind_is_optional(r, 1));
    cr_assert_eq(trace_reader_kind_own(r, 2), EV_BLOCK_FREE);
    struct event ev;
    cr_assert_eq(trace_reader_next(r, &ev), 1, "%s", trace_reader_error(r));
    cr_assert_eq(ev.kind, EV_BLOCK_ALLOC);
    cr_assert_eq(ev.seq, 0);
    cr_assert_eq(ev.u.block_alloc.addr, 0x7f0000001030ull);
    cr_assert_eq(ev.u.block_alloc.size, 32);
    cr_assert_eq(ev.u.block_alloc.stack, 0);
    cr_assert_eq(trace_reader_next(r, &ev), 1, "%s", trace_reader_error(r));
    cr_assert_eq(ev.kind, EV_BLOCK_FREE);
    cr_assert_eq(ev.seq, 2, "event numbers are the file's");
    cr_assert_eq(ev.u.block_free.addr, 0x7f0000001030ull, "the skipped event's address is in the history");
    cr_assert_eq(trace_reader_next(r, &ev), 0);
    uint64_t counts[3];
    cr_assert_eq(trace_reader_count_kinds(r, counts), 0);
    cr_assert_eq(counts[0], 1);
    cr_assert_eq(counts[1], 1);
    cr_assert_eq(counts[2], 1);
    /* seeking onto the skipped event lands on the next one this program knows */
    cr_assert_eq(trace_reader_seek(r, 1), 0);
    cr_assert_eq(trace_reader_next(r, &ev), 1);
    cr_assert_eq(ev.seq, 2);
    trace_reader_free(r);
    codec_buf_release(&e);
}

Test(schema, an_unknown_kind_that_is_not_optional_is_an_error_with_its_offset)
{
    static const struct kind_spec kinds[] = {
        {"block_free", 0, 1, "a:addr"},
        {"pool_split", 0, 2, "a:pool u:parts"},
    };
    struct codec_buf e;
    codec_buf_init(&e);
    uint64_t prev = 0;
    codec_buf_put(&e, "\x00", 1);
    put_addr(&e, 0x1000, &prev);
    size_t at = e.len;
    codec_buf_put(&e, "\x01", 1);
    put_addr(&e, 0x4000, &prev);
    codec_buf_put_varint(&e, 2);
    const char *path = write_file("unknown.trace", kinds, 2, &e, 2);
    struct trace_reader *r = open_ok(path);
    struct event ev;
    cr_assert_eq(trace_reader_next(r, &ev), 1);
    cr_assert_eq(ev.u.block_free.addr, 0x1000);
    cr_assert_eq(trace_reader_next(r, &ev), TRACE_EFORMAT);
    struct trace_chunk_info c;
    trace_reader_chunk(r, 0, &c);
    char want[256];
    snprintf(want, sizeof want,
             "unknown.trace: chunk 0 at byte %llu: event 1: kind 'pool_split' is unknown to this "
             "arenascope and not optional",
             (unsigned long long)(c.offset + 8 + 3 + at));
    cr_assert(strstr(trace_reader_error(r), want), "'%s' lacks '%s'", trace_reader_error(r), want);
    trace_reader_free(r);
    codec_buf_release(&e);
}

Test(schema, fields_map_by_name_and_missing_ones_read_as_zero)
{
    /* An older block_alloc without size or stack; a newer one with a field in front and one
     * more; kinds in another order; a field typed differently; a text under another name. */
    static const struct kind_spec kinds[] = {
        {"print", EVF_OPTIONAL, 2, "u:stream s:message"},
        {"obj_new", 0, 4, "u:gen u:size a:obj u:type"},
        {"block_alloc", 0, 1, "a:addr"},
        {"step", 0, 2, "u:number s:label"},
        {"arena_new", 0, 6, "u:serial u:slot u:base u:npools u:sliver u:colour"},
    };
    struct codec_buf e;
    codec_buf_init(&e);
    uint64_t prev = 0;
    codec_buf_put(&e, "\x02", 1); /* block_alloc(0x2000) */
    put_addr(&e, 0x2000, &prev);
    codec_buf_put(&e, "\x01", 1); /* obj_new(gen 2, size 56, obj 0x2010, type 9) */
    codec_buf_put_varint(&e, 2);
    codec_buf_put_varint(&e, 56);
    put_addr(&e, 0x2010, &prev);
    codec_buf_put_varint(&e, 9);
    codec_buf_put(&e, "\x00", 1); /* print(1, "out") */
    codec_buf_put_varint(&e, 1);
    codec_buf_put_text(&e, "out", 3);
    codec_buf_put(&e, "\x03", 1); /* step(4, "four") */
    codec_buf_put_varint(&e, 4);
    codec_buf_put_text(&e, "four", 4);
    codec_buf_put(&e, "\x04", 1); /* arena_new(1, 0, 0x100000 as u, 64, 0, 3) */
    codec_buf_put_varint(&e, 1);
    codec_buf_put_varint(&e, 0);
    codec_buf_put_varint(&e, 0x100000);
    codec_buf_put_varint(&e, 64);
    codec_buf_put_varint(&e, 0);
    codec_buf_put_varint(&e, 3);
    const char *path = write_file("older.trace", kinds, 5, &e, 5);
    struct trace_reader *r = open_ok(path);
    struct event ev;
    cr_assert_eq(trace_reader_next(r, &ev), 1, "%s", trace_reader_error(r));
    cr_assert_eq(ev.kind, EV_BLOCK_ALLOC);
    cr_assert_eq(ev.u.block_alloc.addr, 0x2000);
    cr_assert_eq(ev.u.block_alloc.size, 0);
    cr_assert_eq(ev.u.block_alloc.stack, 0);
    cr_assert_eq(trace_reader_next(r, &ev), 1, "%s", trace_reader_error(r));
    cr_assert_eq(ev.kind, EV_OBJ_NEW);
    cr_assert_eq(ev.u.obj_new.obj, 0x2010);
    cr_assert_eq(ev.u.obj_new.type, 9);
    cr_assert_eq(ev.u.obj_new.size, 56);
    cr_assert_eq(ev.u.obj_new.flags, 0);
    cr_assert_eq(ev.u.obj_new.stack, 0);
    cr_assert_eq(trace_reader_next(r, &ev), 1, "%s", trace_reader_error(r));
    cr_assert_eq(ev.kind, EV_PRINT);
    cr_assert_eq(ev.u.print.stream, 1);
    cr_assert_eq(ev.str_len, 0, "a text under another name is dropped");
    cr_assert_eq(trace_reader_next(r, &ev), 1, "%s", trace_reader_error(r));
    cr_assert_eq(ev.kind, EV_STEP);
    cr_assert_eq(ev.u.step.number, 4);
    cr_assert_eq(ev.str_len, 4);
    cr_assert_eq(memcmp(ev.str, "four", 4), 0);
    cr_assert_eq(trace_reader_next(r, &ev), 1, "%s", trace_reader_error(r));
    cr_assert_eq(ev.kind, EV_ARENA_NEW);
    cr_assert_eq(ev.u.arena_new.base, 0x100000, "decoded by the file's type");
    cr_assert_eq(ev.u.arena_new.npools, 64);
    cr_assert_eq(trace_reader_next(r, &ev), 0);
    trace_reader_free(r);
    codec_buf_release(&e);
}

Test(schema, a_schema_that_breaks_the_rules_is_refused)
{
    static const struct {
        struct kind_spec kinds[2];
        size_t n;
        const char *msg;
    } cases[] = {
        {{{"twice", 0, 0, ""}, {"twice", 0, 0, ""}}, 2, "kind 'twice' twice"},
        {{{"Upper", 0, 0, ""}}, 1, "bad name"},
        {{{"k", 0, 3, "u:a u:b"}}, 1, "bad counts"},
        {{{"k", 0, 2, "s:a u:b"}}, 1, "text field 'a' is not last"},
        {{{"k", 0, 2, "u:a u:a"}}, 1, "field 'a' twice"},
        {{{"k", 0, 1, "x:a"}}, 1, "has type"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct codec_buf f, h;
        codec_buf_init(&f);
        codec_buf_init(&h);
        file_put_prefix(&f, 1);
        header_payload(&h, cases[i].kinds, cases[i].n);
        file_put_record(&f, "HEAD", h.data, h.len);
        const char *path = scratch_path("bad-schema.trace");
        spit(path, f.data, f.len);
        struct trace_reader *r;
        char err[512];
        cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), TRACE_EFORMAT, "case %zu", i);
        cr_assert(strstr(err, cases[i].msg), "case %zu: '%s' lacks '%s'", i, err, cases[i].msg);
        cr_assert(strstr(err, "header at byte 12: schema: "), "%s", err);
        codec_buf_release(&f);
        codec_buf_release(&h);
    }
    /* no schema at all */
    struct codec_buf f, h;
    codec_buf_init(&f);
    codec_buf_init(&h);
    file_put_prefix(&f, 1);
    codec_buf_put_varint(&h, 4);
    codec_buf_put_text(&h, "x", 1);
    codec_buf_put_varint(&h, 99); /* a field of a newer writer: skipped */
    codec_buf_put_text(&h, "??", 2);
    file_put_record(&f, "HEAD", h.data, h.len);
    const char *path = scratch_path("no-schema.trace");
    spit(path, f.data, f.len);
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), TRACE_EFORMAT);
    cr_assert(strstr(err, "the header has no schema"), "%s", err);
    codec_buf_release(&f);
    codec_buf_release(&h);
}
