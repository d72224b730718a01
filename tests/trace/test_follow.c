/*
 * Following a trace that is still being written: a growing file and a pipe, chunk by chunk, with
 * seeking back into what has arrived (FORMAT.md section 9, "Following").
 */
#include "helpers.h"

#include <criterion/criterion.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void expect_events(struct trace_reader *r, const struct evlist *l, size_t from, size_t to)
{
    struct event got, tmp;
    char why[256];
    for (size_t i = from; i < to; i++) {
        cr_assert_eq(trace_reader_next(r, &got), 1, "event %zu: %s", i, trace_reader_error(r));
        cr_assert_eq(got.seq, i);
        cr_assert(event_equal(evlist_at(l, i, &tmp), &got, why, sizeof why), "event %zu: %s", i, why);
    }
}

static void emit_range(struct trace_writer *w, const struct evlist *l, size_t from, size_t to)
{
    struct event tmp;
    for (size_t i = from; i < to; i++)
        trace_writer_emit(w, evlist_at(l, i, &tmp));
}

Test(follow, a_growing_file)
{
    struct evlist l;
    struct rng g;
    evlist_init(&l);
    g.s = 11;
    evlist_random(&l, &g, 20000);
    const char *path = scratch_path("growing.trace");
    struct trace_header h;
    test_header(&h);
    struct trace_writer *w;
    char err[512];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);

    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, TRACE_OPEN_FOLLOW, err, sizeof err), 0, "%s", err);
    cr_assert_not(trace_reader_is_ended(r));
    cr_assert_eq(trace_reader_event_count(r), 0);
    cr_assert_eq(trace_reader_wait_fd(r), -1);
    struct event ev;
    cr_assert_eq(trace_reader_next(r, &ev), 0);

    /* events without a flush stay in the writer */
    emit_range(w, &l, 0, 100);
    cr_assert_eq(trace_reader_poll(r), 0);
    cr_assert_eq(trace_writer_flush(w), 0);
    cr_assert_eq(trace_reader_poll(r), 100);
    expect_events(r, &l, 0, 100);
    cr_assert_eq(trace_reader_next(r, &ev), 0);

    size_t done = 100;
    while (done < l.n) {
        size_t n = 1 + (size_t)rng_below(&g, 3000);
        if (done + n > l.n)
            n = l.n - done;
        emit_range(w, &l, done, done + n);
        cr_assert_eq(trace_writer_flush(w), 0);
        cr_assert_eq(trace_reader_poll(r), (int)n);
        expect_events(r, &l, done, done + n);
        done += n;
        /* step back into what arrived */
        uint64_t back = rng_below(&g, done);
        cr_assert_eq(trace_reader_seek(r, back), 0);
        expect_events(r, &l, back, back + 1);
        cr_assert_eq(trace_reader_seek(r, done), 0);
        cr_assert_not(trace_reader_is_ended(r));
        cr_assert_null(trace_reader_damage(r));
    }
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);
    cr_assert_not(trace_reader_is_complete(r));
    cr_assert_eq(trace_reader_poll(r), 0);
    cr_assert(trace_reader_is_ended(r));
    cr_assert(trace_reader_is_complete(r));
    cr_assert_null(trace_reader_damage(r));
    cr_assert_eq(trace_reader_event_count(r), l.n);
    trace_reader_free(r);
    evlist_release(&l);
}

Test(follow, a_record_half_written_is_pending_not_damage)
{
    struct evlist l;
    evlist_random_new(&l, 12, 3000);
    const char *full = scratch_path("full.trace");
    write_trace(full, &l, 1000, true);
    size_t len;
    uint8_t *d = slurp(full, &len);
    struct layout_rec lay[16];
    file_layout(full, lay, 16);
    /* lay: prefix, head, three chunks, index, trailer */
    const char *path = scratch_path("half.trace");
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, d, lay[2].end + 5), (ssize_t)(lay[2].end + 5));
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, path, TRACE_OPEN_FOLLOW, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_event_count(r), 1000);
    cr_assert_null(trace_reader_damage(r));
    cr_assert_eq(trace_reader_truncated_at(r), 0);
    size_t at = lay[2].end + 5;
    while (at < lay[3].end - 1) { /* the second chunk arrives a few bytes at a time */
        size_t n = at + 777 < lay[3].end - 1 ? 777 : lay[3].end - 1 - at;
        cr_assert_eq(write(fd, d + at, n), (ssize_t)n);
        at += n;
        cr_assert_eq(trace_reader_poll(r), 0);
    }
    cr_assert_eq(write(fd, d + at, 1), 1);
    at++;
    cr_assert_eq(trace_reader_poll(r), 1000);
    cr_assert_eq(write(fd, d + at, len - at), (ssize_t)(len - at));
    close(fd);
    cr_assert_eq(trace_reader_poll(r), 1000);
    cr_assert(trace_reader_is_ended(r));
    expect_events(r, &l, 0, 3000);
    trace_reader_free(r);
    free(d);
    evlist_release(&l);
}

Test(follow, a_complete_file_has_ended_at_once)
{
    struct evlist l;
    evlist_random_new(&l, 13, 500);
    const char *path = scratch_path("done.trace");
    write_trace(path, &l, 0, true);
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, path, TRACE_OPEN_FOLLOW, err, sizeof err), 0, "%s", err);
    cr_assert(trace_reader_is_ended(r));
    cr_assert(trace_reader_is_complete(r));
    cr_assert_eq(trace_reader_poll(r), 0);
    expect_events(r, &l, 0, 500);
    trace_reader_free(r);
    evlist_release(&l);
}

Test(follow, a_pipe_from_a_child_process, .timeout = 60)
{
    struct evlist l;
    struct rng g;
    evlist_init(&l);
    g.s = 14;
    evlist_random(&l, &g, 100000);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        struct trace_header h;
        test_header(&h);
        struct trace_writer *w;
        char err[512];
        if (trace_writer_open_fd(&w, fds[1], "pipe", &h, err, sizeof err))
            _exit(1);
        struct event tmp;
        for (size_t i = 0; i < l.n; i++) {
            trace_writer_emit(w, evlist_at(&l, i, &tmp));
            if (i % 997 == 0)
                trace_writer_flush(w);
        }
        int rc = trace_writer_finish(w);
        trace_writer_free(w);
        _exit(rc ? 2 : 0);
    }
    close(fds[1]);
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open_fd(&r, fds[0], "pipe", TRACE_OPEN_FOLLOW, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_wait_fd(r), fds[0]);
    size_t got = 0;
    struct event ev, tmp;
    char why[256];
    int polls = 0;
    while (!trace_reader_is_ended(r)) {
        struct pollfd p = {.fd = trace_reader_wait_fd(r), .events = POLLIN};
        cr_assert_geq(poll(&p, 1, 5000), 0);
        cr_assert_geq(trace_reader_poll(r), 0, "%s", trace_reader_error(r));
        polls++;
        while (trace_reader_next(r, &ev) == 1) {
            cr_assert_eq(ev.seq, got);
            cr_assert(event_equal(evlist_at(&l, got, &tmp), &ev, why, sizeof why), "%zu: %s", got, why);
            got++;
        }
    }
    cr_assert_eq(got, l.n);
    cr_assert(trace_reader_is_complete(r));
    cr_assert_eq(trace_reader_verify(r), 0, "%s", trace_reader_error(r));
    cr_assert_gt(polls, 1, "the events arrived over time");
    cr_assert_null(trace_reader_damage(r));
    /* seek back into the spooled stream */
    for (int k = 0; k < 50; k++) {
        uint64_t s = rng_below(&g, l.n);
        cr_assert_eq(trace_reader_seek(r, s), 0);
        cr_assert_eq(trace_reader_next(r, &ev), 1);
        cr_assert(event_equal(evlist_at(&l, s, &tmp), &ev, why, sizeof why), "%llu: %s", (unsigned long long)s, why);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    trace_reader_free(r);
    close(fds[0]);
    evlist_release(&l);
}

Test(follow, a_pipe_that_closes_inside_a_chunk_is_truncated)
{
    struct evlist l;
    evlist_random_new(&l, 15, 2000);
    const char *full = scratch_path("p.trace");
    write_trace(full, &l, 1000, true);
    size_t len;
    uint8_t *d = slurp(full, &len);
    struct layout_rec lay[16];
    file_layout(full, lay, 16);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    size_t cut = lay[3].start + 100; /* inside the second chunk */
    cr_assert_lt(cut, 60000);
    cr_assert_eq(write(fds[1], d, cut), (ssize_t)cut);
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open_fd(&r, fds[0], "pipe", TRACE_OPEN_FOLLOW, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_event_count(r), 1000);
    cr_assert_not(trace_reader_is_ended(r));
    close(fds[1]);
    cr_assert_eq(trace_reader_poll(r), 0);
    cr_assert(trace_reader_is_ended(r));
    cr_assert_eq(trace_reader_truncated_at(r), lay[3].start);
    char want[128];
    snprintf(want, sizeof want, "pipe: ends inside chunk 1 at byte %llu", (unsigned long long)lay[3].start);
    cr_assert_str_eq(trace_reader_damage(r), want);
    expect_events(r, &l, 0, 1000);
    trace_reader_free(r);
    close(fds[0]);
    free(d);
    evlist_release(&l);
}

Test(follow, a_pipe_read_once_is_read_like_a_file)
{
    struct evlist l;
    evlist_random_new(&l, 16, 1500);
    const char *full = scratch_path("once.trace");
    write_trace(full, &l, 0, true);
    size_t len;
    uint8_t *d = slurp(full, &len);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    cr_assert_lt(len, 60000);
    cr_assert_eq(write(fds[1], d, len), (ssize_t)len);
    close(fds[1]);
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open_fd(&r, fds[0], "stdin", 0, err, sizeof err), 0, "%s", err);
    cr_assert(trace_reader_is_complete(r));
    cr_assert(trace_reader_is_ended(r));
    expect_events(r, &l, 0, 1500);
    trace_reader_free(r);
    close(fds[0]);
    free(d);
    evlist_release(&l);
}
