/*
 * fuzz_trace.c - a libFuzzer target: any bytes as a trace file, read the way the commands read
 * one.  The input goes to a memory file; then
 *
 *   reader     trace_reader_open_fd, every event, the kind counts, every blob (`info`, `dump`)
 *   fold       model_check_trace: every event folded and validated (`check`)
 *   seeker     seeker_open_fd and seeks to the end, the middle and back to the start, which load
 *              the checkpoints of the file's index (`stats --at`, `replay`)
 *
 * Whatever the bytes, none of these may crash, hang or take memory out of proportion to the
 * input: run with -rss_limit_mb and -malloc_limit_mb (tests/fuzz/run.sh), any allocation sized
 * by a number from the file that the file's bytes cannot back is a finding.
 */
#include "fuzz.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static int memory_file(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz.trace", MFD_CLOEXEC);
    if (fd < 0)
        abort();
    for (size_t done = 0; done < size;) {
        ssize_t w = write(fd, data + done, size - done);
        if (w <= 0)
            abort();
        done += (size_t)w;
    }
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static void read_all(int fd)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open_fd(&r, fd, "fuzz.trace", 0, err, sizeof err) != 0)
        return;
    struct event ev;
    for (int i = 0; i < 1000000 && trace_reader_next(r, &ev) == 1; i++)
        ;
    size_t nk = trace_reader_kind_count(r);
    uint64_t *counts = calloc(nk ? nk : 1, sizeof *counts);
    if (counts)
        trace_reader_count_kinds(r, counts);
    free(counts);
    for (size_t i = 0; i < trace_reader_blob_count(r); i++) {
        struct trace_blob_info bi;
        trace_reader_blob(r, i, &bi);
    }
    trace_reader_free(r);
}

static void check_all(int fd)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open_fd(&r, fd, "fuzz.trace", 0, err, sizeof err) != 0)
        return;
    uint64_t bad;
    model_check_trace(r, &bad, err, sizeof err);
    trace_reader_free(r);
}

static void seek_about(int fd)
{
    struct seeker *s;
    char err[512];
    if (seeker_open_fd(&s, fd, "fuzz.trace", 0, err, sizeof err) != 0)
        return;
    uint64_t n = seeker_event_count(s);
    seeker_seek(s, n);
    seeker_seek(s, n / 2);
    seeker_seek(s, 0);
    seeker_seek(s, n / 3 + 1 <= n ? n / 3 + 1 : n);
    seeker_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memory_file(data, size);
    read_all(fd);
    lseek(fd, 0, SEEK_SET);
    check_all(fd);
    lseek(fd, 0, SEEK_SET);
    seek_about(fd);
    close(fd);
    return 0;
}
