/* Events written and read back: equal, in order, by seeking, and in batches. */
#include "helpers.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void expect_equal_stream(struct trace_reader *r, const struct evlist *l, size_t from)
{
    struct event got, tmp;
    char why[256];
    for (size_t i = from; i < l->n; i++) {
        int rc = trace_reader_next(r, &got);
        cr_assert_eq(rc, 1, "event %zu: rc %d: %s", i, rc, trace_reader_error(r));
        cr_assert_eq(got.seq, i);
        cr_assert(event_equal(evlist_at(l, i, &tmp), &got, why, sizeof why), "event %zu: %s", i, why);
    }
    cr_assert_eq(trace_reader_next(r, &got), 0);
}

Test(roundtrip, a_million_random_events, .timeout = 120)
{
    struct evlist l;
    evlist_random_new(&l, 1, 1000000);
    const char *path = scratch_path("million.trace");
    write_trace(path, &l, 0, true);

    struct trace_reader *r;
    char err[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert(trace_reader_is_complete(r));
    cr_assert_null(trace_reader_damage(r));
    cr_assert_eq(trace_reader_event_count(r), l.n);
    cr_assert_gt(trace_reader_chunk_count(r), 10);

    struct trace_header want;
    test_header(&want);
    const struct trace_header *h = trace_reader_header(r);
    cr_assert_eq(h->version, TRACE_FORMAT_VERSION);
    cr_assert_str_eq(h->profile, want.profile);
    cr_assert_str_eq(h->arena_source, want.arena_source);
    cr_assert_str_eq(h->gc_profile, want.gc_profile);
    cr_assert_str_eq(h->command, want.command);
    cr_assert_str_eq(h->writer, want.writer);
    cr_assert_str_eq(h->generation_names[2], "gen2");
    cr_assert_eq(h->thresholds[0], 700);
    cr_assert_eq(h->ngenerations, 3);
    cr_assert_eq(h->pool_size, 16384);
    cr_assert_eq(h->arena_size, 1u << 20);
    cr_assert_eq(h->alignment, 16);
    cr_assert_eq(h->threshold, 512);
    cr_assert_eq(h->pool_overhead, 48);
    cr_assert_eq(h->pointer_size, 8);
    cr_assert(h->keep_last_free_arena);
    cr_assert_eq(h->arena_map_bits, 48);
    cr_assert_not(h->legacy_finalizers);
    for (int g = 0; g <= 3; g++)
        cr_assert_eq(h->gc_startup[g], want.gc_startup[g], "the interpreter's objects of generation %d", g);
    cr_assert_eq(h->clock_realtime_ns, want.clock_realtime_ns);

    expect_equal_stream(r, &l, 0);

    /* kind counts from the index equal the events written */
    size_t nk = trace_reader_kind_count(r);
    cr_assert_eq(nk, EV_KIND_COUNT);
    uint64_t *counts = calloc(nk, sizeof *counts), want_counts[EV_KIND_COUNT] = {0};
    for (size_t i = 0; i < l.n; i++)
        want_counts[l.ev[i].kind]++;
    cr_assert_eq(trace_reader_count_kinds(r, counts), 0);
    for (size_t k = 0; k < nk; k++) {
        cr_assert_eq(trace_reader_kind_own(r, k), (int)k);
        cr_assert_eq(counts[k], want_counts[k], "kind %zu", k);
    }
    free(counts);
    trace_reader_free(r);
    evlist_release(&l);
}

Test(roundtrip, seeking_equals_sequential_reading, .timeout = 60)
{
    struct evlist l;
    struct rng g;
    evlist_init(&l);
    g.s = 2;
    evlist_random(&l, &g, 200000);
    const char *path = scratch_path("seek.trace");
    write_trace(path, &l, 0, true);
    struct trace_reader *r;
    char err[256], why[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    struct event got, tmp;
    for (int k = 0; k < 2000; k++) {
        uint64_t seq = rng_below(&g, l.n);
        cr_assert_eq(trace_reader_seek(r, seq), 0, "%s", trace_reader_error(r));
        cr_assert_eq(trace_reader_tell(r), seq);
        size_t run = (size_t)rng_below(&g, 5) + 1;
        for (size_t j = 0; j < run && seq + j < l.n; j++) {
            cr_assert_eq(trace_reader_next(r, &got), 1, "%s", trace_reader_error(r));
            cr_assert_eq(got.seq, seq + j);
            cr_assert(event_equal(evlist_at(&l, seq + j, &tmp), &got, why, sizeof why),
                      "event %llu: %s", (unsigned long long)(seq + j), why);
        }
    }
    /* the end, and past it */
    cr_assert_eq(trace_reader_seek(r, l.n), 0);
    cr_assert_eq(trace_reader_next(r, &got), 0);
    cr_assert_eq(trace_reader_seek(r, l.n + 1), TRACE_ERANGE);
    /* back to the start: the whole stream again */
    cr_assert_eq(trace_reader_seek(r, 0), 0);
    expect_equal_stream(r, &l, 0);
    trace_reader_free(r);
    evlist_release(&l);
}

Test(roundtrip, batches_never_cross_chunks)
{
    struct evlist l;
    struct rng g;
    evlist_init(&l);
    g.s = 3;
    evlist_random(&l, &g, 50000);
    const char *path = scratch_path("batch.trace");
    write_trace(path, &l, 777, true);
    struct trace_reader *r;
    char err[256], why[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    struct event evs[1000], tmp;
    size_t i = 0;
    for (;;) {
        ssize_t n = trace_reader_read(r, evs, 1 + rng_below(&g, 1000));
        cr_assert_geq(n, 0, "%s", trace_reader_error(r));
        if (n == 0)
            break;
        /* every event of one batch lies in one chunk */
        cr_assert_eq(evs[0].seq / 777, evs[n - 1].seq / 777);
        for (ssize_t j = 0; j < n; j++, i++) {
            cr_assert_eq(evs[j].seq, i);
            cr_assert(event_equal(evlist_at(&l, i, &tmp), &evs[j], why, sizeof why), "%zu: %s", i, why);
        }
    }
    cr_assert_eq(i, l.n);
    cr_assert_eq(trace_reader_chunk_count(r), (l.n + 776) / 777);
    struct trace_chunk_info c;
    trace_reader_chunk(r, 3, &c);
    cr_assert_eq(c.first_seq, 3 * 777);
    cr_assert_eq(c.count, 777);
    trace_reader_free(r);
    evlist_release(&l);
}

Test(roundtrip, tails_are_elided_and_null_addresses_kept)
{
    /* Every kind with all fields zero, then all fields at their extremes. */
    struct evlist l;
    evlist_init(&l);
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        struct event ev = {.kind = (enum event_kind)k};
        evlist_push(&l, &ev);
        size_t nw = event_kind_field_count(ev.kind);
        for (size_t i = 0; i < nw; i++)
            ev.u.f[i] = UINT64_MAX - i;
        if (event_kind_text_name(ev.kind)) {
            ev.str = "some text";
            ev.str_len = 9;
        }
        evlist_push(&l, &ev);
        for (size_t i = 0; i < nw; i++)
            ev.u.f[i] = i & 1 ? 0 : 0x7f0000001000ull + 16 * i;
        evlist_push(&l, &ev);
    }
    const char *path = scratch_path("tails.trace");
    write_trace(path, &l, 0, true);
    struct trace_reader *r;
    char err[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    expect_equal_stream(r, &l, 0);
    trace_reader_free(r);
    /* An all-zero block_alloc is the kind byte with the tail bit, the address and the size. */
    size_t len;
    uint8_t *d = slurp(path, &len);
    cr_assert_gt(len, 100);
    free(d);
    evlist_release(&l);
}

/* A text of the most a trace keeps is kept whole; one byte more is the writer's error, with what
 * came before it kept, never a silent cut. */
Test(roundtrip, a_text_of_one_mebibyte_is_kept_and_a_longer_one_refused)
{
    size_t big = (1u << 20) + 1;
    char *text = malloc(big);
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    const char *path = scratch_path("long.trace");
    struct trace_header h;
    test_header(&h);
    struct trace_writer *w;
    char err[256];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    struct event ev = {.kind = EV_PRINT, .str = text, .str_len = (uint32_t)(big - 1)};
    trace_writer_emit(w, &ev);
    ev.str_len = (uint32_t)big;
    trace_writer_emit(w, &ev);
    cr_assert_neq(trace_writer_finish(w), 0, "a text of %zu bytes must be refused", big);
    cr_assert(strstr(trace_writer_error(w), "1048577 bytes is longer than the 1048576"), "%s",
              trace_writer_error(w));
    cr_assert_eq(trace_writer_event_count(w), 1);
    trace_writer_free(w);

    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    struct event got;
    cr_assert_eq(trace_reader_next(r, &got), 1, "%s", trace_reader_error(r));
    cr_assert_eq(got.str_len, 1u << 20);
    cr_assert_eq(memcmp(got.str, text, got.str_len), 0);
    cr_assert_eq(trace_reader_next(r, &got), 0, "nothing after the refused event");
    trace_reader_free(r);
    free(text);
}

Test(roundtrip, an_empty_trace)
{
    struct evlist l;
    evlist_init(&l);
    const char *path = scratch_path("empty.trace");
    write_trace(path, &l, 0, true);
    struct trace_reader *r;
    char err[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert(trace_reader_is_complete(r));
    cr_assert_eq(trace_reader_event_count(r), 0);
    cr_assert_eq(trace_reader_chunk_count(r), 0);
    struct event got;
    cr_assert_eq(trace_reader_next(r, &got), 0);
    cr_assert_eq(trace_reader_seek(r, 0), 0);
    trace_reader_free(r);
}

Test(roundtrip, a_killed_recording_opens_by_scanning)
{
    struct evlist l;
    evlist_random_new(&l, 4, 30000);
    const char *path = scratch_path("killed.trace");
    write_trace(path, &l, 1000, false);
    struct trace_reader *r;
    char err[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_not(trace_reader_is_complete(r));
    cr_assert_null(trace_reader_damage(r));
    cr_assert_eq(trace_reader_truncated_at(r), 0);
    cr_assert_eq(trace_reader_event_count(r), l.n);
    cr_assert_eq(trace_reader_chunk_count(r), 30);
    expect_equal_stream(r, &l, 0);
    /* kind counts by decoding */
    uint64_t counts[EV_KIND_COUNT], sum = 0;
    cr_assert_eq(trace_reader_count_kinds(r, counts), 0);
    for (int k = 0; k < EV_KIND_COUNT; k++)
        sum += counts[k];
    cr_assert_eq(sum, l.n);
    trace_reader_free(r);
    evlist_release(&l);
}

Test(roundtrip, stepping_back_and_mixing_next_with_read)
{
    struct evlist l;
    struct rng g;
    evlist_init(&l);
    g.s = 6;
    evlist_random(&l, &g, 20000);
    const char *path = scratch_path("steps.trace");
    write_trace(path, &l, 0, true);
    struct trace_reader *r;
    char err[256], why[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    struct event got, tmp, evs[100];
    /* forward one event, back one, forward two: every step equals the list */
    for (uint64_t i = 0; i < 5000; i++) {
        cr_assert_eq(trace_reader_tell(r), i);
        cr_assert_eq(trace_reader_next(r, &got), 1);
        cr_assert(event_equal(evlist_at(&l, i, &tmp), &got, why, sizeof why), "%llu: %s", (unsigned long long)i, why);
        if (i > 0) {
            cr_assert_eq(trace_reader_seek(r, i - 1), 0);
            cr_assert_eq(trace_reader_next(r, &got), 1);
            cr_assert_eq(got.seq, i - 1);
            cr_assert(event_equal(evlist_at(&l, i - 1, &tmp), &got, why, sizeof why), "%s", why);
            cr_assert_eq(trace_reader_next(r, &got), 1);
            cr_assert_eq(got.seq, i);
        }
    }
    /* next() reads ahead; read() then hands out what was read ahead first, in order */
    size_t at = 5000;
    while (at < l.n) {
        if (rng_below(&g, 2)) {
            cr_assert_eq(trace_reader_next(r, &got), 1);
            cr_assert_eq(got.seq, at);
            cr_assert(event_equal(evlist_at(&l, at, &tmp), &got, why, sizeof why), "%s", why);
            at++;
        } else {
            ssize_t n = trace_reader_read(r, evs, 1 + rng_below(&g, 100));
            cr_assert_gt(n, 0);
            for (ssize_t j = 0; j < n; j++, at++) {
                cr_assert_eq(evs[j].seq, at);
                cr_assert(event_equal(evlist_at(&l, at, &tmp), &evs[j], why, sizeof why), "%s", why);
            }
        }
    }
    cr_assert_eq(trace_reader_next(r, &got), 0);
    cr_assert_eq(trace_reader_read(r, evs, 10), 0);
    trace_reader_free(r);
    evlist_release(&l);
}

/* The bytes of a few events, as FORMAT.md section 6 has them: the tail bit set exactly when the
 * kind's tail is there and all zero, repeats and deltas chosen as section 6.3 says.  Both ways
 * the writer encodes. */
static uint64_t zero_clock(void *ctx)
{
    (void)ctx;
    return 0;
}

Test(roundtrip, the_bytes_of_a_few_events)
{
    static const struct {
        enum event_kind kind;
        uint64_t f[4];
    } evs[] = {
        {EV_BLOCK_ALLOC, {0x1000, 32, 0, 0}}, /* tail (the stack, virgin) all zero: left out */
        {EV_BLOCK_ALLOC, {0x1010, 48, 7, 0}}, /* a stack: the tail is coded */
        {EV_OBJ_FREE, {0x1000, 0, 0, 0}},     /* an optional flags word of 0: left out */
        {EV_OBJ_FREE, {0x1010, 3, 0, 0}},
        {EV_POOL_INIT, {0x4000, 0, 0, 0}},    /* no tail: a 0 is coded */
        {EV_BLOCK_FREE, {0x4000, 0, 0, 0}},
        {EV_BLOCK_ALLOC, {0x4030, 16, 0, 1}}, /* a virgin block threaded: the tail is coded */
    };
    const uint8_t want[] = {
        0x80 | EV_BLOCK_ALLOC, 0x81, 0x10, 0x20, /* delta 0x1000: zigzag(0x100) << 2 | 1 */
        EV_BLOCK_ALLOC, 0x09, 0x30, 0x07, 0x00,  /* delta 0x10 */
        0x80 | EV_OBJ_FREE, 0x02,                /* 0x1000 again, one address ago: repeat 1 */
        EV_OBJ_FREE, 0x02, 0x03,                 /* 0x1010: repeat 1 (no longer than delta 0x10) */
        EV_POOL_INIT, 0xf9, 0x2f, 0x00,          /* delta 0x2ff0 */
        EV_BLOCK_FREE, 0x00,                     /* the last address: repeat 0 */
        EV_BLOCK_ALLOC, 0x19, 0x10, 0x00, 0x01,  /* delta 0x30 */
    };
    for (int mode = 0; mode < 2; mode++) {
        int fd = memfd_create("bytes.trace", MFD_CLOEXEC);
        cr_assert_geq(fd, 0);
        struct trace_header h;
        test_header(&h);
        struct trace_writer *w;
        char err[256];
        cr_assert_eq(trace_writer_open_fd(&w, fd, "bytes.trace", &h, err, sizeof err), 0, "%s", err);
        trace_writer_set_clock(w, zero_clock, NULL);
        trace_writer_set_thread(w, mode ? TRACE_WRITER_THREAD_ALWAYS : TRACE_WRITER_THREAD_NEVER);
        trace_writer_set_level(w, 0); /* the events as they are coded, not compressed */
        for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++) {
            struct event ev = {.kind = evs[i].kind};
            memcpy(ev.u.f, evs[i].f, sizeof evs[i].f);
            trace_writer_emit(w, &ev);
        }
        cr_assert_eq(trace_writer_flush(w), 0);
        uint8_t d[4096];
        ssize_t n = pread(fd, d, sizeof d, 0);
        cr_assert_gt(n, 12 + 12);
        size_t at = 12 + 12 + codec_get_u32le(d + 16); /* after the prefix and HEAD */
        cr_assert_leq(at + 8 + 4 + sizeof want, (size_t)n);
        cr_assert_eq(memcmp(d + at, "EVTS", 4), 0);
        cr_assert_eq(codec_get_u32le(d + at + 4), 4 + sizeof want);
        /* first_seq, count, first_ns, and 0: the events are stored as they are */
        const uint8_t head[] = {0, sizeof evs / sizeof evs[0], 0, 0};
        cr_assert_eq(memcmp(d + at + 8, head, 4), 0);
        for (size_t i = 0; i < sizeof want; i++)
            cr_assert_eq(d[at + 12 + i], want[i], "mode %d, byte %zu: %#x, not %#x", mode, i, d[at + 12 + i], want[i]);
        trace_writer_free(w);
        close(fd);
    }
}
