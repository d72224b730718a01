/*
 * Bad input: missing files, directories, empty files, other files, newer versions, a trace cut
 * at every byte, bytes flipped at random, and records that lie about their lengths.  Each case
 * asserts the exact outcome FORMAT.md section 9 prescribes.
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_bytes(const void *data, size_t len, struct trace_reader **r, char *err, size_t errlen,
                      int *fd)
{
    *fd = memfd_create("cut.trace", MFD_CLOEXEC);
    cr_assert_geq(*fd, 0);
    cr_assert_eq(write(*fd, data, len), (ssize_t)len);
    return trace_reader_open_fd(r, *fd, "cut.trace", 0, err, errlen);
}

static void expect_open_error(const char *path, int want, const char *msg)
{
    struct trace_reader *r = (struct trace_reader *)1;
    char err[512] = "";
    int rc = trace_reader_open(&r, path, 0, err, sizeof err);
    cr_assert_eq(rc, want, "%s: rc %d (%s)", path, rc, err);
    cr_assert_null(r);
    cr_assert(strstr(err, path) == err, "the message names the file: %s", err);
    cr_assert(strstr(err, msg), "'%s' does not say '%s'", err, msg);
    cr_assert_null(strchr(err, '\n'));
}

Test(damage, missing_file)
{
    expect_open_error(scratch_path("no-such.trace"), TRACE_EIO, "No such file or directory");
}

Test(damage, directory)
{
    expect_open_error(scratch_dir(), TRACE_EIO, "is a directory");
}

Test(damage, empty_file)
{
    const char *p = scratch_path("empty");
    spit(p, "", 0);
    expect_open_error(p, TRACE_EFORMAT, "empty file");
}

Test(damage, other_files)
{
    const char *p = scratch_path("text");
    spit(p, "hello, world\n", 13);
    expect_open_error(p, TRACE_EFORMAT, "not an arenascope trace");
    /* a PNG: the same kind of magic, another name */
    spit(p, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    expect_open_error(p, TRACE_EFORMAT, "not an arenascope trace");
    /* devices: nothing at all, and zeros without end */
    expect_open_error("/dev/null", TRACE_EFORMAT, "empty file");
    expect_open_error("/dev/zero", TRACE_EFORMAT, "not an arenascope trace");
    /* the magic alone */
    spit(p, "\x89" "ASC\r\n\x1a\n", 8);
    expect_open_error(p, TRACE_ETRUNCATED, "ends inside its header");
}

static uint8_t *small_trace(const char *name, size_t *len, struct evlist *l, bool blobs)
{
    struct rng g;
    evlist_init(l);
    g.s = 99;
    evlist_random(l, &g, 500);
    const char *path = scratch_path(name);
    write_trace(path, l, 125, true);
    if (blobs) {
        struct trace_blob b[2] = {{.key = 0, .data = "state zero", .len = 10},
                                  {.key = 250, .data = "state at six hundred", .len = 20}};
        char err[256];
        cr_assert_eq(trace_store_blobs(path, "CKPT", b, 2, err, sizeof err), 0, "%s", err);
    }
    return slurp(path, len);
}

Test(damage, newer_and_zero_versions)
{
    struct evlist l;
    size_t len;
    uint8_t *d = small_trace("v.trace", &len, &l, false);
    const char *p = scratch_path("v2.trace");
    d[8] = TRACE_FORMAT_VERSION + 1;
    spit(p, d, len);
    char want[128];
    snprintf(want, sizeof want, "written by a newer arenascope (format version %d; this one reads up to %d)",
             TRACE_FORMAT_VERSION + 1, TRACE_FORMAT_VERSION);
    expect_open_error(p, TRACE_EVERSION, want);
    d[8] = 0;
    spit(p, d, len);
    expect_open_error(p, TRACE_EFORMAT, "format version 0");
    free(d);
    evlist_release(&l);
}

/* Reads every event and checks it against the list; returns how many were read before the end or
 * an error (rc_out gets the last return code). */
static size_t read_all(struct trace_reader *r, const struct evlist *l, int *rc_out)
{
    struct event got, tmp;
    char why[256];
    size_t i = 0;
    int rc;
    while ((rc = trace_reader_next(r, &got)) == 1) {
        cr_assert_lt(i, l->n);
        cr_assert_eq(got.seq, i);
        cr_assert(event_equal(evlist_at(l, i, &tmp), &got, why, sizeof why), "event %zu: %s", i, why);
        i++;
    }
    *rc_out = rc;
    return i;
}

Test(damage, cut_at_every_byte, .timeout = 240)
{
    struct evlist l;
    size_t len;
    uint8_t *d = small_trace("cut.trace", &len, &l, true);
    struct layout_rec lay[64];
    size_t nrec = file_layout(scratch_path("cut.trace"), lay, 64);
    cr_assert_eq(lay[1].what, 'H');
    cr_assert_eq(lay[nrec - 1].what, 'T');
    cr_assert_eq(lay[nrec - 2].what, 'I');
    cr_assert_eq(lay[nrec - 3].what, 'B');
    uint64_t head_end = lay[1].end;

    for (size_t k = 0; k <= len; k++) {
        struct trace_reader *r;
        char err[512];
        int fd;
        int rc = open_bytes(d, k, &r, err, sizeof err, &fd);
        if (k == 0) {
            cr_assert_eq(rc, TRACE_EFORMAT);
            cr_assert(strstr(err, "empty file"), "%s", err);
        } else if (k < head_end) {
            cr_assert_eq(rc, TRACE_ETRUNCATED, "cut at %zu: %d %s", k, rc, err);
            cr_assert(strstr(err, "ends inside its header"), "%s", err);
        } else {
            cr_assert_eq(rc, 0, "cut at %zu: %s", k, err);
            uint64_t want_events = 0, want_trunc = 0;
            size_t want_blobs = 0, inside = 0;
            for (size_t i = 2; i < nrec; i++) {
                if (lay[i].end <= k) {
                    if (lay[i].what == 'C')
                        want_events += lay[i].count;
                    want_blobs += lay[i].what == 'B';
                } else if (lay[i].start < k) {
                    want_trunc = lay[i].start;
                    inside = i;
                }
            }
            cr_assert_eq(trace_reader_is_complete(r), k == len, "cut at %zu", k);
            cr_assert_eq(trace_reader_event_count(r), want_events, "cut at %zu", k);
            cr_assert_eq(trace_reader_truncated_at(r), want_trunc, "cut at %zu", k);
            cr_assert_eq(trace_reader_blob_count(r), want_blobs, "cut at %zu", k);
            const char *dmg = trace_reader_damage(r);
            if (want_trunc) {
                cr_assert_not_null(dmg, "cut at %zu", k);
                char want[128];
                if (k - lay[inside].start < 4)
                    snprintf(want, sizeof want, "cut.trace: ends inside a record at byte %llu",
                             (unsigned long long)lay[inside].start);
                else if (lay[inside].what == 'C')
                    snprintf(want, sizeof want, "cut.trace: ends inside chunk %zu at byte %llu",
                             lay[inside].no, (unsigned long long)lay[inside].start);
                else
                    snprintf(want, sizeof want, "at byte %llu", (unsigned long long)lay[inside].start);
                cr_assert(strstr(dmg, want), "cut at %zu: '%s' lacks '%s'", k, dmg, want);
            } else {
                cr_assert_null(dmg, "cut at %zu: %s", k, dmg);
            }
            int last;
            cr_assert_eq(read_all(r, &l, &last), want_events, "cut at %zu", k);
            cr_assert_eq(last, 0, "cut at %zu: %s", k, trace_reader_error(r));
            trace_reader_free(r);
        }
        close(fd);
    }
    free(d);
    evlist_release(&l);
}

Test(damage, flipped_bytes, .timeout = 240)
{
    struct evlist l;
    size_t len;
    uint8_t *d = small_trace("flip.trace", &len, &l, true);
    struct layout_rec lay[64];
    size_t nrec = file_layout(scratch_path("flip.trace"), lay, 64);
    struct rng g;
    g.s = 2024;
    int outcomes[8] = {0};
    for (int trial = 0; trial < 3000; trial++) {
        /* evenly spread, then every byte of the prefix and of the trailer, then at random */
        size_t k = trial < 200   ? (size_t)trial * len / 200
                   : trial < 212 ? (size_t)(trial - 200)
                   : trial < 232 ? len - 20 + (size_t)(trial - 212)
                                 : (size_t)rng_below(&g, len);
        uint8_t x = (uint8_t)(1 + rng_below(&g, 255));
        d[k] ^= x;
        struct layout_rec *rec = NULL;
        for (size_t i = 0; i < nrec; i++)
            if (lay[i].start <= k && k < lay[i].end)
                rec = &lay[i];
        cr_assert_not_null(rec);
        struct trace_reader *r;
        char err[512];
        int fd, last;
        int rc = open_bytes(d, len, &r, err, sizeof err, &fd);
        switch (rec->what) {
        case 'P':
            if (k < 8) {
                cr_assert_eq(rc, TRACE_EFORMAT, "flip at %zu", k);
                cr_assert(strstr(err, "not an arenascope trace"), "%s", err);
            } else {
                uint32_t v = codec_get_u32le(d + 8);
                cr_assert_eq(rc, v == 0 ? TRACE_EFORMAT : TRACE_EVERSION, "flip at %zu: %s", k, err);
            }
            outcomes[0]++;
            break;
        case 'H':
            if (k >= 16 && k < 20)
                cr_assert(rc == TRACE_EFORMAT || rc == TRACE_ETRUNCATED, "flip at %zu: %d", k, rc);
            else
                cr_assert_eq(rc, TRACE_EFORMAT, "flip at %zu: %d %s", k, rc, err);
            cr_assert(strstr(err, "header"), "%s", err);
            outcomes[1]++;
            break;
        case 'C': {
            cr_assert_eq(rc, 0, "flip at %zu: %s", k, err);
            cr_assert(trace_reader_is_complete(r));
            size_t n = read_all(r, &l, &last);
            cr_assert_eq(n, rec->first_seq, "flip at %zu in chunk %zu", k, rec->no);
            cr_assert_eq(last, TRACE_EFORMAT);
            char want[128];
            snprintf(want, sizeof want, "cut.trace: chunk %zu at byte %llu: ", rec->no,
                     (unsigned long long)rec->start);
            cr_assert(strstr(trace_reader_error(r), want), "flip at %zu: '%s' lacks '%s'", k,
                      trace_reader_error(r), want);
            /* the chunks after it are still there */
            if (rec->first_seq + rec->count < l.n) {
                cr_assert_eq(trace_reader_seek(r, rec->first_seq + rec->count), 0);
                struct event ev;
                cr_assert_eq(trace_reader_next(r, &ev), 1);
            }
            outcomes[2]++;
            break;
        }
        case 'B': {
            cr_assert_eq(rc, 0, "flip at %zu: %s", k, err);
            cr_assert(trace_reader_is_complete(r));
            cr_assert_eq(read_all(r, &l, &last), l.n);
            cr_assert_eq(last, 0);
            size_t bad = 0;
            for (size_t i = 0; i < trace_reader_blob_count(r); i++) {
                struct trace_blob_info bi;
                trace_reader_blob(r, i, &bi);
                void *buf;
                size_t blen;
                int brc = trace_reader_blob_load(r, i, &buf, &blen);
                if (bi.offset == rec->start) {
                    cr_assert_eq(brc, TRACE_EFORMAT, "flip at %zu", k);
                    bad++;
                } else {
                    cr_assert_eq(brc, 0);
                    free(buf);
                }
            }
            cr_assert_eq(bad, 1);
            outcomes[3]++;
            break;
        }
        case 'I':
        case 'T':
            cr_assert_eq(rc, 0, "flip at %zu: %s", k, err);
            cr_assert_not(trace_reader_is_complete(r), "flip at %zu", k);
            cr_assert_eq(read_all(r, &l, &last), l.n, "flip at %zu", k);
            cr_assert_eq(last, 0);
            cr_assert_eq(trace_reader_blob_count(r), 2);
            if (rec->what == 'I')
                cr_assert_not_null(trace_reader_damage(r), "flip at %zu", k);
            outcomes[rec->what == 'I' ? 4 : 5]++;
            break;
        default:
            cr_assert_fail("unexpected record");
        }
        if (rc == 0)
            trace_reader_free(r);
        close(fd);
        d[k] ^= x;
    }
    for (int i = 0; i < 6; i++)
        cr_assert_gt(outcomes[i], 0, "no flip landed in region %d", i);
    free(d);
    evlist_release(&l);
}

Test(damage, a_bad_chunk_in_a_recording_without_index_stops_the_scan)
{
    struct evlist l;
    evlist_random_new(&l, 5, 5000);
    const char *path = scratch_path("killed.trace");
    write_trace(path, &l, 1000, false);
    struct layout_rec lay[16];
    size_t nrec = file_layout(path, lay, 16);
    cr_assert_eq(nrec, 7);
    size_t len;
    uint8_t *d = slurp(path, &len);
    d[lay[4].start + 20] ^= 0x40; /* chunk 2 */
    struct trace_reader *r;
    char err[512];
    int fd, last;
    cr_assert_eq(open_bytes(d, len, &r, err, sizeof err, &fd), 0, "%s", err);
    cr_assert_not(trace_reader_is_complete(r));
    cr_assert_eq(trace_reader_event_count(r), 2000);
    char want[128];
    snprintf(want, sizeof want, "cut.trace: chunk 2 at byte %llu: bad checksum", (unsigned long long)lay[4].start);
    cr_assert_str_eq(trace_reader_damage(r), want);
    cr_assert_eq(read_all(r, &l, &last), 2000);
    cr_assert_eq(last, 0);
    trace_reader_free(r);
    close(fd);
    free(d);
    evlist_release(&l);
}

/* Kinds defined otherwise than this program does: their events are decoded by the plan. */
static const struct kind_spec planned_kinds[] = {
    {"block_alloc", 0, 2, "a:addr u:size u:stack"},
    {"block_free", 0, 1, "a:addr"},
    {"print", 1, 1, "u:stream s:text"},
};

/* Kinds 0 and 1 as this program defines them: their events take the decoder's compiled path. */
static const struct kind_spec native_kinds[] = {
    {"arena_new", 0, 5, "u:serial u:slot a:base u:npools u:sliver"},
    {"arena_free", 0, 2, "u:slot a:base"},
};

/* A file made of a prefix, a hand-made header of these kinds and the given records. */
static struct codec_buf handmade_of(const struct kind_spec *kinds, size_t nkinds)
{
    struct codec_buf f, h;
    codec_buf_init(&f);
    codec_buf_init(&h);
    file_put_prefix(&f, 1);
    header_payload(&h, kinds, nkinds);
    file_put_record(&f, "HEAD", h.data, h.len);
    codec_buf_release(&h);
    return f;
}

static struct codec_buf handmade(void)
{
    return handmade_of(planned_kinds, 3);
}

/* Reads the one chunk's events to the damage msg tells: how many were read before it. */
static int expect_chunk_error_of(const struct kind_spec *kinds, size_t nkinds, const void *payload,
                                 size_t plen, const char *msg)
{
    struct codec_buf f = handmade_of(kinds, nkinds);
    file_put_record(&f, "EVTS", payload, plen);
    struct trace_reader *r;
    char err[512];
    int fd;
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    struct event ev;
    int rc, n = 0;
    while ((rc = trace_reader_next(r, &ev)) == 1)
        n++;
    cr_assert_eq(rc, TRACE_EFORMAT, "%s", msg);
    cr_assert(strstr(trace_reader_error(r), msg), "'%s' lacks '%s'", trace_reader_error(r), msg);
    cr_assert(strstr(trace_reader_error(r), "chunk 0 at byte "), "%s", trace_reader_error(r));
    trace_reader_free(r);
    close(fd);
    codec_buf_release(&f);
    return n;
}

static void expect_chunk_error(const void *payload, size_t plen, const char *msg)
{
    expect_chunk_error_of(planned_kinds, 3, payload, plen, msg);
}

Test(damage, events_that_lie)
{
    struct codec_buf p;
    codec_buf_init(&p);
    /* two events claimed, one present */
    chunk_payload_start(&p, 0, 2, 0);
    codec_buf_put(&p, "\x01\x03", 2); /* block_free(addr: unaligned delta 0 = invalid in 'a') */
    expect_chunk_error(p.data, p.len, "null in an address field");
    p.len = 0;
    chunk_payload_start(&p, 0, 2, 0);
    codec_buf_put(&p, "\x01\x09", 2); /* block_free(0x10) */
    expect_chunk_error(p.data, p.len, "the chunk ends before its last event");
    /* a repeat reaching before the chunk's first address */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x01\x00", 2);
    expect_chunk_error(p.data, p.len, "address repeat out of range");
    /* a kind id beyond the schema */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x05\x00", 2);
    expect_chunk_error(p.data, p.len, "kind id not in the schema");
    /* a text longer than what is left */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x02\x01\x7f" "abc", 6);
    expect_chunk_error(p.data, p.len, "bad text");
    /* a varint that never ends */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x00\x05\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 13);
    expect_chunk_error(p.data, p.len, "bad varint");
    /* bytes after the last event */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x01\x05\x01\x05", 4);
    expect_chunk_error(p.data, p.len, "bytes after the chunk's last event");
    /* an address code of more than 66 bits */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x01\xfd\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11);
    expect_chunk_error(p.data, p.len, "bad address code");
    codec_buf_release(&p);
}

Test(damage, native_events_that_run_past_their_chunk)
{
    struct codec_buf p;
    codec_buf_init(&p);
    /* arena_new(1, 2, 0x10, 64, 0) whole, then one whose last fields are missing */
    chunk_payload_start(&p, 0, 2, 0);
    codec_buf_put(&p, "\x00\x01\x02\x09\x40\x00" "\x00\x02\x03", 9);
    cr_assert_eq(expect_chunk_error_of(native_kinds, 2, p.data, p.len, "runs past the end of its chunk"), 1);
    /* the first event's slot never ends inside the chunk: the address after it, read from past
     * the end, is not reported as a repeat out of range (there is no address to repeat yet) */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x01\x85", 2);
    cr_assert_eq(expect_chunk_error_of(native_kinds, 2, p.data, p.len, "runs past the end of its chunk"), 0);
    /* an address repeat out of range inside the chunk is that, not an overrun */
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x01\x05\x00", 3);
    cr_assert_eq(expect_chunk_error_of(native_kinds, 2, p.data, p.len, "address repeat out of range"), 0);
    codec_buf_release(&p);
}

Test(damage, the_events_before_a_damaged_one_are_read)
{
    struct codec_buf p;
    codec_buf_init(&p);
    chunk_payload_start(&p, 0, 4, 0);
    codec_buf_put(&p, "\x01\x09\x01\x00\x01\x09", 6); /* three block_free: 0x10, again, 0x20 */
    codec_buf_put(&p, "\x01\x03", 2);                  /* then a null address: damage */
    for (int how = 0; how < 2; how++) {
        struct codec_buf f = handmade();
        file_put_record(&f, "EVTS", p.data, p.len);
        struct trace_reader *r;
        char err[512];
        int fd;
        cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
        struct event evs[8];
        if (how == 0) {
            for (int i = 0; i < 3; i++) {
                cr_assert_eq(trace_reader_next(r, &evs[i]), 1, "%s", trace_reader_error(r));
                cr_assert_eq(evs[i].seq, (uint64_t)i);
            }
            cr_assert_eq(trace_reader_next(r, &evs[3]), TRACE_EFORMAT);
        } else {
            cr_assert_eq(trace_reader_read(r, evs, 8), 3);
            cr_assert_eq(trace_reader_read(r, evs + 3, 5), TRACE_EFORMAT);
        }
        cr_assert_eq(evs[0].u.block_free.addr, 0x10);
        cr_assert_eq(evs[1].u.block_free.addr, 0x10);
        cr_assert_eq(evs[2].u.block_free.addr, 0x20);
        cr_assert(strstr(trace_reader_error(r), "event 3: null in an address field"), "%s",
                  trace_reader_error(r));
        /* asked again, the reader says the same */
        struct event ev;
        cr_assert_eq(trace_reader_next(r, &ev), TRACE_EFORMAT);
        trace_reader_free(r);
        close(fd);
        codec_buf_release(&f);
    }
    codec_buf_release(&p);
}

Test(damage, lengths_that_lie)
{
    /* A header claiming 4 GiB: refused without allocating it. */
    struct codec_buf f;
    codec_buf_init(&f);
    file_put_prefix(&f, 1);
    codec_buf_put(&f, "HEAD\xf0\xff\xff\xff", 8);
    struct trace_reader *r;
    char err[512];
    int fd;
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), TRACE_EFORMAT);
    cr_assert(strstr(err, "header at byte 12: bad length"), "%s", err);
    close(fd);
    codec_buf_release(&f);

    /* A header claiming 1 MiB in a 30-byte file: truncated. */
    codec_buf_init(&f);
    file_put_prefix(&f, 1);
    codec_buf_put(&f, "HEAD\x00\x00\x10\x00" "0123456789", 18);
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), TRACE_ETRUNCATED);
    close(fd);
    codec_buf_release(&f);

    /* A chunk claiming 4 GiB: the damage is named, the header still read. */
    f = handmade();
    uint64_t at = f.len;
    codec_buf_put(&f, "EVTS\xff\xff\xff\xff", 8);
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    char want[128];
    snprintf(want, sizeof want, "cut.trace: chunk 0 at byte %llu: bad length", (unsigned long long)at);
    cr_assert_str_eq(trace_reader_damage(r), want);
    cr_assert_eq(trace_reader_event_count(r), 0);
    trace_reader_free(r);
    close(fd);
    codec_buf_release(&f);

    /* A chunk with a sound CRC claiming 2^40 events in 5 bytes. */
    f = handmade();
    struct codec_buf p;
    codec_buf_init(&p);
    chunk_payload_start(&p, 0, 1ull << 40, 0);
    codec_buf_put(&p, "\x01\x05", 2);
    at = f.len;
    file_put_record(&f, "EVTS", p.data, p.len);
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    snprintf(want, sizeof want, "cut.trace: chunk 0 at byte %llu: bad chunk header", (unsigned long long)at);
    cr_assert_str_eq(trace_reader_damage(r), want);
    trace_reader_free(r);
    close(fd);
    codec_buf_release(&f);

    /* Chunks out of sequence. */
    f = handmade();
    p.len = 0;
    chunk_payload_start(&p, 0, 1, 0);
    codec_buf_put(&p, "\x01\x05", 2);
    file_put_record(&f, "EVTS", p.data, p.len);
    p.len = 0;
    chunk_payload_start(&p, 5, 1, 0);
    codec_buf_put(&p, "\x01\x05", 2);
    at = f.len;
    file_put_record(&f, "EVTS", p.data, p.len);
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    snprintf(want, sizeof want, "cut.trace: chunk 1 at byte %llu: starts at event 5, expected 1", (unsigned long long)at);
    cr_assert_str_eq(trace_reader_damage(r), want);
    cr_assert_eq(trace_reader_event_count(r), 1);
    trace_reader_free(r);
    close(fd);

    /* An unknown critical record, then an unknown ancillary one (skipped). */
    codec_buf_release(&f);
    f = handmade();
    file_put_record(&f, "zZZZ", "whatever", 8);
    file_put_record(&f, "EVTS", p.data, p.len); /* first_seq 5: wrong, but not reached */
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    cr_assert(strstr(trace_reader_damage(r), "starts at event 5"), "%s", trace_reader_damage(r));
    trace_reader_free(r);
    close(fd);
    codec_buf_release(&f);
    f = handmade();
    at = f.len;
    file_put_record(&f, "NEWR", "whatever", 8);
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    snprintf(want, sizeof want, "cut.trace: unknown record 'NEWR' at byte %llu (written by a newer arenascope?)",
             (unsigned long long)at);
    cr_assert_str_eq(trace_reader_damage(r), want);
    trace_reader_free(r);
    close(fd);
    codec_buf_release(&f);
    codec_buf_release(&p);
}

Test(damage, an_index_that_lies_is_rebuilt)
{
    struct evlist l;
    size_t len;
    uint8_t *d = small_trace("lie.trace", &len, &l, false);
    struct layout_rec lay[16];
    size_t nrec = file_layout(scratch_path("lie.trace"), lay, 16);
    cr_assert_eq(lay[nrec - 2].what, 'I');
    /* Replace the index with one claiming 2^40 chunks, with a sound CRC and trailer. */
    struct codec_buf f;
    codec_buf_init(&f);
    codec_buf_put(&f, d, lay[nrec - 2].start);
    struct codec_buf p;
    codec_buf_init(&p);
    codec_buf_put_varint(&p, 1ull << 40);
    for (int i = 0; i < 100; i++)
        codec_buf_put_varint(&p, 1);
    uint64_t io = f.len;
    file_put_record(&f, "iNDX", p.data, p.len);
    uint8_t t[8];
    codec_put_u64le(t, io);
    file_put_record(&f, "tAIL", t, 8);
    struct trace_reader *r;
    char err[512];
    int fd, last;
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    cr_assert_not(trace_reader_is_complete(r));
    char want[128];
    snprintf(want, sizeof want, "cut.trace: index at byte %llu: index: bad chunk count (rebuilt by scanning)",
             (unsigned long long)io);
    cr_assert_str_eq(trace_reader_damage(r), want);
    cr_assert_eq(read_all(r, &l, &last), l.n);
    cr_assert_eq(last, 0);
    trace_reader_free(r);
    close(fd);

    /* An index whose chunk overlaps the header. */
    f.len = lay[nrec - 2].start;
    p.len = 0;
    codec_buf_put_varint(&p, 1);
    codec_buf_put_varint(&p, 5);
    codec_buf_put_varint(&p, 100);
    codec_buf_put_varint(&p, 1);
    codec_buf_put_varint(&p, 0);
    codec_buf_put_varint(&p, 1);
    codec_buf_put_varint(&p, EV_KIND_COUNT);
    for (int k = 0; k < EV_KIND_COUNT; k++)
        codec_buf_put_varint(&p, k == 0);
    codec_buf_put_varint(&p, 0);
    io = f.len;
    file_put_record(&f, "iNDX", p.data, p.len);
    codec_put_u64le(t, io);
    file_put_record(&f, "tAIL", t, 8);
    cr_assert_eq(open_bytes(f.data, f.len, &r, err, sizeof err, &fd), 0, "%s", err);
    cr_assert_not(trace_reader_is_complete(r));
    cr_assert(strstr(trace_reader_damage(r), "index at byte"), "%s", trace_reader_damage(r));
    cr_assert_eq(trace_reader_event_count(r), l.n);
    trace_reader_free(r);
    close(fd);
    codec_buf_release(&p);
    codec_buf_release(&f);
    free(d);
    evlist_release(&l);
}

/* ---- the program's own decoders against the file's plan ------------------------------------- */

/* Marks every kind of the file's schema optional (or not): the same events, which a reader then
 * no longer takes for its own kinds and decodes by the plan built from the schema.  The flags
 * byte keeps its size, so everything after the header stays in place. */
static void toggle_optional_flags(uint8_t *d, size_t len)
{
    const uint8_t *hd = d + 12;
    uint32_t hlen = codec_get_u32le(hd + 4);
    const uint8_t *p = hd + 8, *end = p + hlen;
    bool found = false;
    while (p < end) {
        uint64_t id, n;
        cr_assert(codec_get_varint(&p, end, &id) && codec_get_varint(&p, end, &n));
        const uint8_t *v = p, *vend = p + n;
        p += n;
        if (id != 16)
            continue;
        uint64_t nkinds, x;
        cr_assert(codec_get_varint(&v, vend, &nkinds));
        for (uint64_t k = 0; k < nkinds; k++) {
            cr_assert(codec_get_varint(&v, vend, &x)); /* the name */
            v += x;
            cr_assert(*v <= 1);
            d[v - d] ^= 1; /* the flags */
            v++;
            uint64_t tail, nfields;
            cr_assert(codec_get_varint(&v, vend, &tail) && codec_get_varint(&v, vend, &nfields));
            for (uint64_t f = 0; f < nfields; f++) {
                cr_assert(codec_get_varint(&v, vend, &x));
                v += x + 1; /* the name and the type */
            }
        }
        found = true;
    }
    cr_assert(found);
    codec_put_u32le(d + 12 + 8 + hlen, codec_crc32c(0, hd, 8 + hlen));
    (void)len;
}

/* Reads every event of both files in step: the same events, the same end. */
static void expect_same_reading(const uint8_t *a, const uint8_t *b, size_t len, const char *what)
{
    struct trace_reader *ra, *rb;
    char err[512];
    int fa, fb;
    cr_assert_eq(open_bytes(a, len, &ra, err, sizeof err, &fa), 0, "%s", err);
    cr_assert_eq(open_bytes(b, len, &rb, err, sizeof err, &fb), 0, "%s", err);
    struct event ea, eb;
    char why[256];
    for (uint64_t i = 0;; i++) {
        int ka = trace_reader_next(ra, &ea), kb = trace_reader_next(rb, &eb);
        cr_assert_eq(ka, kb, "%s: event %llu: %d and %d (%s)", what, (unsigned long long)i, ka, kb,
                     ka < 0 ? trace_reader_error(ra) : trace_reader_error(rb));
        if (ka != 1) {
            if (ka < 0)
                cr_assert_str_eq(trace_reader_error(ra), trace_reader_error(rb), "%s", what);
            break;
        }
        cr_assert(event_equal(&ea, &eb, why, sizeof why), "%s: event %llu: %s", what, (unsigned long long)i, why);
        cr_assert_eq(ea.seq, eb.seq);
    }
    trace_reader_free(ra);
    trace_reader_free(rb);
    close(fa);
    close(fb);
}

Test(damage, own_decoders_and_the_plan_agree, .timeout = 120)
{
    /* random events of every kind, and runs of a heap's events: addresses repeated and near,
     * small and large words, optional tails present and not */
    struct evlist l;
    struct rng g;
    evlist_init(&l);
    g.s = 31;
    for (int run = 0; run < 40; run++) {
        evlist_random(&l, &g, 50);
        for (int i = 0; i < 200; i++) {
            struct event ev = {0};
            static const enum event_kind kinds[] = {EV_BLOCK_ALLOC, EV_BLOCK_FREE, EV_POOL_INIT, EV_OBJ_FREE,
                                                    EV_POOL_FULL};
            ev.kind = kinds[rng_below(&g, 5)];
            uint64_t r = rng_below(&g, 100);
            ev.u.f[0] = r < 90 ? 0x7f1200000000ull + rng_below(&g, 64) * 16 : rng_next(&g);
            if (ev.kind != EV_BLOCK_FREE && ev.kind != EV_POOL_FULL)
                ev.u.f[1] = r % 3 == 0 ? 0 : r % 3 == 1 ? rng_below(&g, 600) : rng_next(&g) >> rng_below(&g, 64);
            if (ev.kind == EV_BLOCK_ALLOC && r % 7 == 0)
                ev.u.f[2] = rng_below(&g, 1000);
            evlist_push(&l, &ev);
        }
    }
    const char *path = scratch_path("plan.trace");
    write_trace(path, &l, 0, true);
    size_t len;
    uint8_t *a = slurp(path, &len), *b = malloc(len);
    cr_assert_not_null(b);
    memcpy(b, a, len);
    toggle_optional_flags(b, len);
    expect_same_reading(a, b, len, "whole");

    /* bytes changed inside the chunks, their checksums made right again: both ways of decoding
     * read the same events and stop at the same damage */
    struct layout_rec lay[64];
    size_t nrec = file_layout(path, lay, 64);
    size_t chunks[64], nch = 0;
    for (size_t i = 0; i < nrec; i++)
        if (lay[i].what == 'C')
            chunks[nch++] = i;
    cr_assert_gt(nch, 0);
    uint8_t *ca = malloc(len), *cb = malloc(len);
    cr_assert(ca && cb);
    for (int trial = 0; trial < 300; trial++) {
        memcpy(ca, a, len);
        memcpy(cb, b, len);
        const struct layout_rec *c = &lay[chunks[rng_below(&g, nch)]];
        uint32_t plen = codec_get_u32le(ca + c->start + 4);
        for (int k = (int)rng_below(&g, 3); k >= 0; k--) {
            size_t at = c->start + 8 + rng_below(&g, plen);
            uint8_t x = (uint8_t)rng_next(&g);
            ca[at] = cb[at] = x;
        }
        uint32_t crc = codec_crc32c(0, ca + c->start, 8 + plen);
        codec_put_u32le(ca + c->start + 8 + plen, crc);
        codec_put_u32le(cb + c->start + 8 + plen, crc);
        char what[64];
        snprintf(what, sizeof what, "trial %d", trial);
        expect_same_reading(ca, cb, len, what);
    }
    free(ca);
    free(cb);
    free(a);
    free(b);
    evlist_release(&l);
}

/* The verification of the file d: trace_reader_verify() when `how` is -1, else in two halves,
 * trace_reader_verify_begin(), a reading, trace_reader_verify_end(), the reading of nothing (0),
 * every event in batches (1), half the events (2), or every event with a seek back into a chunk
 * and one forward past another on the way (3).  The outcome, and in msg its message ("" when
 * sound). */
static int verify_way(const uint8_t *d, size_t len, int how, char *msg, size_t msglen)
{
    struct trace_reader *r;
    char err[400];
    int fd;
    int rc = open_bytes(d, len, &r, err, sizeof err, &fd);
    if (rc) {
        snprintf(msg, msglen, "open: %s", err);
        close(fd);
        return rc;
    }
    rc = how < 0 ? trace_reader_verify(r) : trace_reader_verify_begin(r);
    if (rc == 0 && how >= 0) {
        struct event evs[40];
        ssize_t k;
        uint64_t read = 0;
        bool seeked = false;
        while (how && (k = trace_reader_read(r, evs, 40)) > 0) {
            read += (uint64_t)k;
            if (how == 2 && read >= 250)
                break;
            if (how == 3 && !seeked && read >= 160) {
                seeked = true;
                cr_assert_eq(trace_reader_seek(r, 130), 0, "%s", trace_reader_error(r));
                while ((k = trace_reader_read(r, evs, 40)) > 0 && evs[k - 1].seq < 300)
                    ;
                if (k > 0)
                    cr_assert_eq(trace_reader_seek(r, 420), 0, "%s", trace_reader_error(r));
            }
        }
        rc = trace_reader_verify_end(r);
    }
    snprintf(msg, msglen, "%s", rc ? trace_reader_error(r) : "");
    trace_reader_free(r);
    close(fd);
    return rc;
}

/* `check` verifies in two halves around its reading: the same outcome and message as the
 * verification in one go, however the reading went, for a sound file and for flipped bytes in
 * every record (each event counted once: a chunk read twice or in part is decoded again). */
Test(damage, verify_in_halves_finds_what_verify_finds, .timeout = 240)
{
    struct evlist l;
    size_t len;
    uint8_t *d = small_trace("halves.trace", &len, &l, true);
    char whole[512], halves[512];
    for (int how = -1; how < 4; how++)
        cr_assert_eq(verify_way(d, len, how, halves, sizeof halves), 0, "reading %d: %s", how, halves);
    struct rng g;
    g.s = 77;
    int damaged = 0;
    for (int trial = 0; trial < 600; trial++) {
        size_t k = trial < 300 ? (size_t)trial * len / 300 : (size_t)rng_below(&g, len);
        uint8_t x = (uint8_t)(1 + rng_below(&g, 255));
        d[k] ^= x;
        int a = verify_way(d, len, -1, whole, sizeof whole);
        damaged += a != 0;
        for (int how = 0; how < 4; how++) {
            int b = verify_way(d, len, how, halves, sizeof halves);
            cr_assert_eq(b, a, "flip at %zu, reading %d: %s / %s", k, how, whole, halves);
            cr_assert_str_eq(halves, whole, "flip at %zu, reading %d", k, how);
        }
        d[k] ^= x;
    }
    cr_assert_gt(damaged, 400, "only %d of the flips were found", damaged);
    free(d);
    evlist_release(&l);
}
