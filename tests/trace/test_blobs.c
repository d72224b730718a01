/* Typed blobs stored into finished traces (FORMAT.md section 7): checkpoints and marks. */
#include "helpers.h"

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void expect_all_events(const char *path, const struct evlist *l)
{
    struct trace_reader *r;
    char err[512], why[256];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    struct event got, tmp;
    for (size_t i = 0; i < l->n; i++) {
        cr_assert_eq(trace_reader_next(r, &got), 1, "%s", trace_reader_error(r));
        cr_assert(event_equal(evlist_at(l, i, &tmp), &got, why, sizeof why), "%zu: %s", i, why);
    }
    cr_assert_eq(trace_reader_next(r, &got), 0);
    trace_reader_free(r);
}

static size_t count_blob_records(const char *path)
{
    struct layout_rec lay[256];
    size_t n = file_layout(path, lay, 256), b = 0;
    for (size_t i = 0; i < n; i++)
        b += lay[i].what == 'B';
    return b;
}

Test(blobs, checkpoints_round_trip_and_replace, .timeout = 60)
{
    struct evlist l;
    evlist_random_new(&l, 21, 50000);
    const char *path = scratch_path("ckpt.trace");
    write_trace(path, &l, 0, true);

    /* ten checkpoints of growing size, given out of order */
    struct trace_blob b[10];
    char *data[10];
    for (int i = 0; i < 10; i++) {
        int j = (i * 7) % 10;
        size_t len = 1000 * (size_t)(j + 1);
        data[i] = malloc(len);
        for (size_t k = 0; k < len; k++)
            data[i][k] = (char)(j * 31 + k);
        b[i] = (struct trace_blob){.key = (uint64_t)j * 5000, .data = data[i], .len = len};
    }
    char err[512];
    cr_assert_eq(trace_store_checkpoints(path, b, 10, err, sizeof err), 0, "%s", err);
    struct trace_blob marks = {.key = 0, .data = "timeline", .len = 8};
    cr_assert_eq(trace_store_blobs(path, TRACE_BLOB_MARKS, &marks, 1, err, sizeof err), 0, "%s", err);

    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert(trace_reader_is_complete(r));
    cr_assert_eq(trace_reader_blob_count(r), 11);
    cr_assert_eq(trace_reader_checkpoint_count(r), 10);
    for (size_t i = 0; i < 10; i++) {
        cr_assert_eq(trace_reader_checkpoint_seq(r, i), i * 5000);
        void *buf;
        size_t len;
        cr_assert_eq(trace_reader_checkpoint_load(r, i, &buf, &len), 0, "%s", trace_reader_error(r));
        cr_assert_eq(len, 1000 * (i + 1));
        for (size_t k = 0; k < len; k++)
            cr_assert_eq(((char *)buf)[k], (char)(i * 31 + k));
        free(buf);
    }
    size_t first;
    cr_assert_eq(trace_reader_blob_range(r, "MARK", &first), 1);
    struct trace_blob_info bi;
    trace_reader_blob(r, first, &bi);
    cr_assert_str_eq(bi.type, "MARK");
    cr_assert_eq(bi.bytes, 1 + 8); /* 8 bytes that do not compress: stored, after their packing byte */
    void *buf;
    size_t len;
    cr_assert_eq(trace_reader_blob_load(r, first, &buf, &len), 0);
    cr_assert_eq(len, 8);
    cr_assert_eq(memcmp(buf, "timeline", 8), 0);
    free(buf);
    cr_assert_eq(trace_reader_blob_range(r, "NONE", &first), 0);
    trace_reader_free(r);

    /* replacing the checkpoints keeps the marks and leaves no dead records */
    cr_assert_eq(trace_store_checkpoints(path, b + 3, 2, err, sizeof err), 0, "%s", err);
    cr_assert_eq(count_blob_records(path), 3);
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_checkpoint_count(r), 2);
    cr_assert_eq(trace_reader_blob_range(r, "MARK", &first), 1);
    cr_assert_eq(trace_reader_blob_load(r, first, &buf, &len), 0);
    cr_assert_eq(memcmp(buf, "timeline", 8), 0);
    free(buf);
    trace_reader_free(r);
    /* none: removed */
    cr_assert_eq(trace_store_checkpoints(path, NULL, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(count_blob_records(path), 1);
    expect_all_events(path, &l);
    for (int i = 0; i < 10; i++)
        free(data[i]);
    evlist_release(&l);
}

Test(blobs, storing_into_a_killed_recording_completes_it)
{
    struct evlist l;
    evlist_random_new(&l, 22, 5000);
    const char *path = scratch_path("killed.trace");
    write_trace(path, &l, 1000, false);
    struct trace_blob b = {.key = 2500, .data = "x", .len = 1};
    char err[512];
    cr_assert_eq(trace_store_checkpoints(path, &b, 1, err, sizeof err), 0, "%s", err);
    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert(trace_reader_is_complete(r));
    cr_assert_eq(trace_reader_checkpoint_count(r), 1);
    cr_assert_eq(trace_reader_checkpoint_seq(r, 0), 2500);
    /* the kind counts of the new index were counted by decoding */
    uint64_t counts[EV_KIND_COUNT], want[EV_KIND_COUNT] = {0};
    cr_assert_eq(trace_reader_count_kinds(r, counts), 0);
    for (size_t i = 0; i < l.n; i++)
        want[l.ev[i].kind]++;
    for (int k = 0; k < EV_KIND_COUNT; k++)
        cr_assert_eq(counts[k], want[k]);
    trace_reader_free(r);
    expect_all_events(path, &l);
    evlist_release(&l);
}

Test(blobs, a_damaged_file_is_not_modified)
{
    struct evlist l;
    evlist_random_new(&l, 23, 3000);
    const char *path = scratch_path("cut.trace");
    write_trace(path, &l, 1000, true);
    size_t len;
    uint8_t *d = slurp(path, &len);
    struct layout_rec lay[16];
    file_layout(path, lay, 16);
    spit(path, d, lay[3].start + 50);
    struct trace_blob b = {.key = 1, .data = "x", .len = 1};
    char err[512];
    cr_assert_eq(trace_store_checkpoints(path, &b, 1, err, sizeof err), TRACE_EFORMAT);
    cr_assert(strstr(err, "ends inside chunk 1") && strstr(err, "(not modified)"), "%s", err);
    size_t len2;
    uint8_t *d2 = slurp(path, &len2);
    cr_assert_eq(len2, lay[3].start + 50);
    cr_assert_eq(memcmp(d, d2, len2), 0);
    free(d2);
    free(d);
    evlist_release(&l);
}

Test(blobs, bad_requests_are_refused)
{
    struct evlist l;
    evlist_init(&l);
    const char *path = scratch_path("e.trace");
    write_trace(path, &l, 0, true);
    struct trace_blob b[2] = {{.key = 1, .data = "a", .len = 1}, {.key = 1, .data = "b", .len = 1}};
    char err[512];
    cr_assert_eq(trace_store_checkpoints(path, b, 2, err, sizeof err), TRACE_EFORMAT);
    cr_assert(strstr(err, "two blobs with key 1"), "%s", err);
    cr_assert_eq(trace_store_blobs(path, "TOOLONG", b, 1, err, sizeof err), TRACE_EFORMAT);
    cr_assert(strstr(err, "bad blob type"), "%s", err);
    cr_assert_eq(trace_store_blobs(scratch_path("absent"), "CKPT", b, 1, err, sizeof err), TRACE_EIO);
    cr_assert(strstr(err, "No such file"), "%s", err);
}
