/*
 * Compressed chunks and blobs (FORMAT.md sections 6 and 7, version 3): round trips at several
 * zstd levels, a damaged frame named by its chunk and byte offset in one line, declared sizes
 * that are refused before anything is allocated for them, and checkpoints stored as deltas that
 * load in any order.
 */
#include "helpers.h"

#include <criterion/criterion.h>
#include <dlfcn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

/* A stream with the repeats of a heap's: a few thousand random events, the same run again and
 * again, so that chunks compress. */
static void repeating_events(struct evlist *l)
{
    struct evlist base;
    evlist_random_new(&base, 77, 1500);
    evlist_init(l);
    struct event tmp;
    for (int r = 0; r < 40; r++)
        for (size_t i = 0; i < base.n; i++)
            evlist_push(l, evlist_at(&base, i, &tmp));
    evlist_release(&base);
}

static void write_at_level(const char *path, const struct evlist *l, int level)
{
    struct trace_header h;
    test_header(&h);
    struct trace_writer *w;
    char err[256];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    trace_writer_set_level(w, level);
    for (size_t i = 0; i < l->n; i++) {
        struct event tmp;
        trace_writer_emit(w, evlist_at(l, i, &tmp));
    }
    cr_assert_eq(trace_writer_finish(w), 0, "%s", trace_writer_error(w));
    trace_writer_free(w);
}

static void expect_events(const char *path, const struct evlist *l)
{
    struct trace_reader *r;
    char err[512], why[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_header(r)->version, TRACE_FORMAT_VERSION);
    struct event got, tmp;
    for (size_t i = 0; i < l->n; i++) {
        cr_assert_eq(trace_reader_next(r, &got), 1, "%s: %s", path, trace_reader_error(r));
        cr_assert(event_equal(evlist_at(l, i, &tmp), &got, why, sizeof why), "%s: %zu: %s", path, i, why);
    }
    cr_assert_eq(trace_reader_next(r, &got), 0);
    /* and by seeking into the middle of a chunk */
    for (uint64_t at = 7; at < l->n; at += l->n / 5) {
        cr_assert_eq(trace_reader_seek(r, at), 0, "%s", trace_reader_error(r));
        cr_assert_eq(trace_reader_next(r, &got), 1);
        cr_assert(event_equal(evlist_at(l, (size_t)at, &tmp), &got, why, sizeof why), "%llu: %s",
                  (unsigned long long)at, why);
    }
    cr_assert_eq(trace_reader_verify(r), 0, "%s", trace_reader_error(r));
    trace_reader_free(r);
}

static uint64_t file_size(const char *path)
{
    size_t n;
    free(slurp(path, &n));
    return n;
}

/* The bytes after a chunk record's header varints (first_seq, count, first_ns): the size
 * varint, then the events or their frame. */
static size_t after_chunk_head(const uint8_t *d, size_t rec)
{
    const uint8_t *p = d + rec + 8;
    uint64_t v;
    for (int i = 0; i < 3; i++)
        cr_assert(codec_get_varint(&p, p + 10, &v));
    return (size_t)(p - d);
}

Test(packed, chunks_round_trip_at_every_level, .timeout = 60)
{
    struct evlist l;
    repeating_events(&l);
    static const int levels[] = {0, -5, 1, 3, 9};
    uint64_t stored = 0;
    for (size_t k = 0; k < sizeof levels / sizeof levels[0]; k++) {
        char name[32];
        snprintf(name, sizeof name, "level%d.trace", levels[k]);
        const char *path = scratch_path(name);
        write_at_level(path, &l, levels[k]);
        expect_events(path, &l);
        uint64_t n = file_size(path);
        if (levels[k] == 0)
            stored = n;
        else
            cr_assert_lt(n * 4, stored * 3, "level %d: %llu bytes, stored %llu", levels[k], (unsigned long long)n,
                         (unsigned long long)stored);
        /* every chunk says how it is stored: 0, or the size of its events once decompressed */
        struct layout_rec lay[64];
        size_t nr = file_layout(path, lay, 64), chunks = 0;
        size_t len;
        uint8_t *d = slurp(path, &len);
        for (size_t i = 0; i < nr; i++) {
            if (lay[i].what != 'C')
                continue;
            const uint8_t *p = d + after_chunk_head(d, lay[i].start);
            uint64_t size;
            cr_assert(codec_get_varint(&p, d + len, &size));
            cr_assert_eq(size != 0, levels[k] != 0, "level %d, chunk %zu: size %llu", levels[k], lay[i].no,
                         (unsigned long long)size);
            chunks++;
        }
        cr_assert_geq(chunks, 2);
        free(d);
    }
    evlist_release(&l);
}

/* Opens the bytes as a file and reads every event: the error that stops them. */
static int read_bytes(const uint8_t *d, size_t len, char *msg, size_t msglen)
{
    int fd = memfd_create("packed.trace", MFD_CLOEXEC);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, d, len), (ssize_t)len);
    struct trace_reader *r;
    char err[512];
    int rc = trace_reader_open_fd(&r, fd, "packed.trace", 0, err, sizeof err);
    cr_assert_eq(rc, 0, "%s", err);
    struct event ev;
    while ((rc = trace_reader_next(r, &ev)) == 1)
        ;
    snprintf(msg, msglen, "%s", rc ? trace_reader_error(r) : "");
    trace_reader_free(r);
    close(fd);
    return rc;
}

/* Rewrites the CRC of the record at rec after its payload was changed in place. */
static void reseal(uint8_t *d, size_t rec)
{
    uint32_t len = codec_get_u32le(d + rec + 4);
    codec_put_u32le(d + rec + 8 + len, codec_crc32c(0, d + rec, 8 + (size_t)len));
}

Test(packed, a_damaged_frame_is_named_by_its_chunk_and_byte, .timeout = 60)
{
    struct evlist l;
    repeating_events(&l);
    const char *path = scratch_path("damaged.trace");
    write_at_level(path, &l, 1);
    struct layout_rec lay[64];
    size_t nr = file_layout(path, lay, 64), second = 0;
    for (size_t i = 0; i < nr; i++)
        if (lay[i].what == 'C' && lay[i].no == 1)
            second = i;
    cr_assert_gt(second, 0);
    size_t len;
    uint8_t *clean = slurp(path, &len);
    size_t at = after_chunk_head(clean, lay[second].start);
    const uint8_t *p = clean + at;
    uint64_t size;
    cr_assert(codec_get_varint(&p, clean + len, &size));
    size_t frame = (size_t)(p - clean);
    char msg[512], want[256];
    snprintf(want, sizeof want, "packed.trace: chunk 1 at byte %llu: its compressed events do not decompress",
             (unsigned long long)lay[second].start);

    /* a frame that is not zstd's (its magic number broken) */
    uint8_t *d = malloc(len);
    memcpy(d, clean, len);
    d[frame] ^= 0x40;
    reseal(d, lay[second].start);
    cr_assert_eq(read_bytes(d, len, msg, sizeof msg), TRACE_EFORMAT);
    cr_assert_str_eq(msg, want);
    cr_assert_null(strchr(msg, '\n'));

    /* a frame whose content is not the size the chunk declares (the varint keeps its length) */
    memcpy(d, clean, len);
    d[at] ^= 1;
    reseal(d, lay[second].start);
    cr_assert_eq(read_bytes(d, len, msg, sizeof msg), TRACE_EFORMAT);
    cr_assert_str_eq(msg, want);

    /* a frame cut short: its last bytes zeroed */
    memcpy(d, clean, len);
    uint32_t plen = codec_get_u32le(d + lay[second].start + 4);
    size_t frame_end = lay[second].start + 8 + plen;
    memset(d + frame_end - 8, 0, 8);
    reseal(d, lay[second].start);
    cr_assert_eq(read_bytes(d, len, msg, sizeof msg), TRACE_EFORMAT);
    cr_assert(strstr(msg, "packed.trace: chunk 1 at byte "), "%s", msg);
    free(d);
    free(clean);
    evlist_release(&l);
}

/* A version 3 file by hand: a header, then one chunk of count events declaring size bytes of
 * events, and a few bytes that stand for a frame. */
static int handmade_chunk(uint64_t count, uint64_t size, char *msg, size_t msglen)
{
    static const struct kind_spec kinds[] = {
        {"block_alloc", 0, 2, "a:addr u:size u:stack"},
        {"block_free", 0, 1, "a:addr"},
    };
    struct codec_buf f, h, c;
    codec_buf_init(&f);
    codec_buf_init(&h);
    codec_buf_init(&c);
    file_put_prefix(&f, TRACE_FORMAT_VERSION);
    header_payload(&h, kinds, 2);
    file_put_record(&f, "HEAD", h.data, h.len);
    chunk_payload_start(&c, 0, count, 0);
    codec_buf_put_varint(&c, size);
    /* a zstd frame header declaring size bytes of content, and nothing more */
    codec_buf_put(&c, "\x28\xb5\x2f\xfd\xe0", 5);
    uint8_t le[8];
    codec_put_u64le(le, size);
    codec_buf_put(&c, le, 8);
    file_put_record(&f, "EVTS", c.data, c.len);
    int rc = read_bytes(f.data, f.len, msg, msglen);
    codec_buf_release(&f);
    codec_buf_release(&h);
    codec_buf_release(&c);
    return rc;
}

Test(packed, a_huge_declared_size_is_refused_without_allocating_it)
{
    /* With the address space capped at a few hundred MB more than now, a reader that allocated
     * what a chunk declares would fail with "out of memory"; it must say the file is bad. */
    /* (AddressSanitizer reserves terabytes of shadow at start, so there the cap is its own: an
     * allocation of 2^40 bytes ends the test through it) */
    if (!dlsym(RTLD_DEFAULT, "__asan_init")) {
        struct rlimit lim = {.rlim_cur = 4ull << 30, .rlim_max = 4ull << 30};
        cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
    }
    char msg[512];
    static const uint64_t sizes[] = {1ull << 40, 1ull << 33, (16ull << 20) + 1};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        cr_assert_eq(handmade_chunk(3, sizes[i], msg, sizeof msg), TRACE_EFORMAT, "%s", msg);
        char want[256];
        snprintf(want, sizeof want, "packed.trace: chunk 0 at byte 12");
        cr_assert(strstr(msg, "chunk 0 at byte "), "%s", msg);
        snprintf(want, sizeof want, "declares %llu bytes of events, more than a chunk holds",
                 (unsigned long long)sizes[i]);
        cr_assert(strstr(msg, want), "'%s' lacks '%s'", msg, want);
    }
    /* fewer bytes than its events, which take one each at least */
    cr_assert_eq(handmade_chunk(50, 10, msg, sizeof msg), TRACE_EFORMAT);
    cr_assert(strstr(msg, "declares 10 bytes of events, fewer than its events"), "%s", msg);
    /* a plausible size with a frame that holds nothing */
    cr_assert_eq(handmade_chunk(3, 1000, msg, sizeof msg), TRACE_EFORMAT);
    cr_assert(strstr(msg, "its compressed events do not decompress"), "%s", msg);
}

Test(packed, checkpoints_stored_as_deltas_load_in_any_order, .timeout = 60)
{
    struct evlist l;
    repeating_events(&l);
    const char *path = scratch_path("deltas.trace");
    write_at_level(path, &l, 1);
    uint64_t events_only = file_size(path);
    /* forty states of 64 KiB that change a little from one to the next, as a heap's do */
    enum { N = 40, LEN = 64 << 10 };
    struct trace_blob b[N];
    uint8_t *data[N];
    struct rng g = {5};
    for (int i = 0; i < N; i++) {
        data[i] = malloc(LEN);
        if (i == 0)
            for (size_t k = 0; k < LEN; k++)
                data[i][k] = (uint8_t)rng_next(&g);
        else
            memcpy(data[i], data[i - 1], LEN);
        for (int k = 0; k < 50; k++)
            data[i][rng_below(&g, LEN)] = (uint8_t)rng_next(&g);
        b[i] = (struct trace_blob){.key = (uint64_t)i * 1000, .data = data[i], .len = LEN};
    }
    char err[512];
    cr_assert_eq(trace_store_checkpoints(path, b, N, err, sizeof err), 0, "%s", err);
    uint64_t with = file_size(path);
    /* random bytes do not compress: what was saved is the deltas' */
    cr_assert_lt(with - events_only, (uint64_t)N * LEN / 5, "%llu bytes of checkpoints",
                 (unsigned long long)(with - events_only));

    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_checkpoint_count(r), N);
    for (int t = 0; t < 3 * N; t++) {
        size_t i = t < N ? (size_t)(N - 1 - t) : rng_below(&g, N); /* backwards, then at random */
        void *buf;
        size_t len;
        cr_assert_eq(trace_reader_checkpoint_load(r, i, &buf, &len), 0, "%s", trace_reader_error(r));
        cr_assert_eq(len, LEN);
        cr_assert_eq(memcmp(buf, data[i], LEN), 0, "checkpoint %zu", i);
        free(buf);
    }
    trace_reader_free(r);
    for (int i = 0; i < N; i++)
        free(data[i]);
    expect_events(path, &l);
    evlist_release(&l);
}

/* Blobs put into the stream as it is written (a live trace's checkpoints) are deltas too, from
 * the one before of their type; and load, in any order, as they were put. */
Test(packed, blobs_put_while_writing_load_as_they_were_put, .timeout = 60)
{
    struct evlist l;
    repeating_events(&l);
    const char *path = scratch_path("put.trace");
    struct trace_header h;
    test_header(&h);
    struct trace_writer *w;
    char err[256];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    enum { N = 20, LEN = 32 << 10 };
    uint8_t *data[N];
    struct rng g = {9};
    size_t i = 0;
    for (int k = 0; k < N; k++) {
        data[k] = malloc(LEN);
        if (k == 0)
            for (size_t j = 0; j < LEN; j++)
                data[k][j] = (uint8_t)rng_next(&g);
        else
            memcpy(data[k], data[k - 1], LEN);
        data[k][rng_below(&g, LEN)] ^= 0x5a;
        for (; i < (size_t)(k + 1) * l.n / N; i++) {
            struct event tmp;
            trace_writer_emit(w, evlist_at(&l, i, &tmp));
        }
        cr_assert_eq(trace_writer_put_blob(w, "CKPT", i, data[k], LEN), 0, "%s", trace_writer_error(w));
    }
    cr_assert_eq(trace_writer_finish(w), 0, "%s", trace_writer_error(w));
    uint64_t written = trace_writer_bytes(w);
    trace_writer_free(w);

    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_checkpoint_count(r), N);
    uint64_t blob_bytes = 0;
    size_t first, nb = trace_reader_blob_range(r, "CKPT", &first);
    for (size_t k = 0; k < nb; k++) {
        struct trace_blob_info bi;
        trace_reader_blob(r, first + k, &bi);
        blob_bytes += bi.bytes;
    }
    /* two stored whole (random bytes do not compress), the others a few bytes each */
    cr_assert_lt(blob_bytes, 3 * (uint64_t)LEN, "%llu bytes of blobs in %llu", (unsigned long long)blob_bytes,
                 (unsigned long long)written);
    for (int t = 0; t < 2 * N; t++) {
        size_t k = t < N ? (size_t)(N - 1 - t) : rng_below(&g, N);
        void *buf;
        size_t len;
        cr_assert_eq(trace_reader_checkpoint_load(r, k, &buf, &len), 0, "%s", trace_reader_error(r));
        cr_assert_eq(len, LEN);
        cr_assert_eq(memcmp(buf, data[k], LEN), 0, "blob %zu", k);
        free(buf);
    }
    trace_reader_free(r);
    for (int k = 0; k < N; k++)
        free(data[k]);
    evlist_release(&l);
}
