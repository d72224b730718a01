/*
 * stress_writer.c - the trace writer's encoder thread under load, as a plain program (no
 * Criterion) so that it also runs under ThreadSanitizer:
 *
 *   meson setup build-tsan -Db_sanitize=thread -Db_lundef=false && ninja -C build-tsan \
 *       tests/trace/stress_writer && build-tsan/tests/trace/stress_writer
 *
 * Each round writes random events of every kind (texts from empty to past the 1 MiB cap, so
 * past a chunk) with the encoder thread, flushing now and then and turning the thread back on,
 * and checks that the file reads back equal and is byte for byte the file the same events make
 * when encoded in the emitting thread.  Then the ways a writer ends early: freed without
 * finishing (every whole chunk is there), and a write error met by the encoder thread (reported
 * by trace_writer_finish, later events dropped).  Exit status 0 when everything held.
 */
#include <tracer/trace.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                         \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            fprintf(stderr, "stress_writer: %s:%d: ", __FILE__, __LINE__);                      \
            fprintf(stderr, __VA_ARGS__);                                                        \
            fprintf(stderr, "\n");                                                               \
            failures++;                                                                          \
        }                                                                                        \
    } while (0)

static uint64_t rng = 0x2545F4914F6CDD1Dull;

static uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1Dull;
}

/* Events with their texts in one store. */
struct events {
    struct event *ev;
    size_t *text_at;
    size_t n;
    char *text;
    size_t text_len;
};

static void *xalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "stress_writer: out of memory\n");
        exit(1);
    }
    return p;
}

/* n events: mostly block events on a few thousand addresses (repeats and deltas), some of every
 * other kind with extreme values, and texts of every size class. */
static void make_events(struct events *e, size_t n, size_t text_budget)
{
    e->ev = xalloc(n * sizeof *e->ev);
    e->text_at = xalloc(n * sizeof *e->text_at);
    e->text = xalloc(text_budget);
    e->n = n;
    e->text_len = 0;
    for (size_t i = 0; i < n; i++) {
        struct event *ev = &e->ev[i];
        memset(ev, 0, sizeof *ev);
        uint64_t u = rnd() % 100;
        if (u < 80) {
            ev->kind = u & 1 ? EV_BLOCK_ALLOC : EV_BLOCK_FREE;
            ev->u.f[0] = 0x7f0000000000ull + (rnd() % 4096) * 16;
            ev->u.f[1] = u & 1 ? 1 + rnd() % 512 : 0;
        } else {
            ev->kind = (enum event_kind)(rnd() % EV_KIND_COUNT);
            size_t nw = event_kind_field_count(ev->kind);
            for (size_t f = 0; f < nw; f++) {
                uint64_t r = rnd();
                ev->u.f[f] = r % 4 == 0 ? 0 : r % 4 == 1 ? r : r % 4 == 2 ? ~0ull - r % 3 : r % 1000;
            }
        }
        e->text_at[i] = e->text_len;
        if (event_kind_text_name(ev->kind)) {
            uint64_t r = rnd() % 1000;
            size_t len = r < 500 ? r % 40 : r < 990 ? r * 7 : r < 999 ? 100000 + rnd() % 100000 : 1u << 20;
            if (e->text_len + len > text_budget)
                len = 0;
            for (size_t k = 0; k < len; k++)
                e->text[e->text_len + k] = (char)('a' + (i + k) % 26);
            ev->str_len = (uint32_t)len;
            e->text_len += len;
        }
    }
}

static const struct event *event_at(const struct events *e, size_t i, struct event *tmp)
{
    *tmp = e->ev[i];
    tmp->str = tmp->str_len ? e->text + e->text_at[i] : NULL;
    return tmp;
}

static uint64_t zero_clock(void *ctx)
{
    (void)ctx;
    return 0;
}

static struct trace_writer *open_writer(int fd, enum trace_writer_thread mode)
{
    struct trace_header h;
    memset(&h, 0, sizeof h);
    snprintf(h.profile, sizeof h.profile, "cpython-3.10");
    h.clock_realtime_ns = 1;
    struct trace_writer *w;
    char err[256];
    if (trace_writer_open_fd(&w, fd, "stress", &h, err, sizeof err)) {
        fprintf(stderr, "stress_writer: %s\n", err);
        exit(1);
    }
    trace_writer_set_clock(w, zero_clock, NULL);
    trace_writer_set_thread(w, mode);
    return w;
}

/* Events readable from fd now (the index rebuilt by scanning). */
static uint64_t readable(int fd)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open_fd(&r, fd, "stress", 0, err, sizeof err))
        return 0;
    uint64_t n = trace_reader_event_count(r);
    trace_reader_free(r);
    return n;
}

/* Writes the events; every `flush_every` events (0: never) flushes, checks that every event so
 * far is readable, and turns the thread back on. */
static void write_events(struct trace_writer *w, int fd, const struct events *e, size_t flush_every,
                         enum trace_writer_thread mode)
{
    for (size_t i = 0; i < e->n; i++) {
        struct event tmp;
        trace_writer_emit(w, event_at(e, i, &tmp));
        if (flush_every && i % flush_every == flush_every - 1) {
            CHECK(trace_writer_flush(w) == 0, "flush: %s", trace_writer_error(w));
            CHECK(readable(fd) == i + 1, "after a flush: %llu events readable of %zu",
                  (unsigned long long)readable(fd), i + 1);
            trace_writer_set_thread(w, mode);
        }
    }
}

static uint8_t *file_bytes(int fd, size_t *len)
{
    off_t n = lseek(fd, 0, SEEK_END);
    uint8_t *b = xalloc((size_t)n);
    CHECK(pread(fd, b, (size_t)n, 0) == n, "short read");
    *len = (size_t)n;
    return b;
}

static void expect_events(int fd, const struct events *e, size_t n)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open_fd(&r, fd, "stress", 0, err, sizeof err)) {
        CHECK(0, "%s", err);
        return;
    }
    struct event got, tmp;
    for (size_t i = 0; i < n; i++) {
        int k = trace_reader_next(r, &got);
        if (k != 1) {
            CHECK(0, "event %zu: %d %s", i, k, trace_reader_error(r));
            break;
        }
        const struct event *want = event_at(e, i, &tmp);
        uint32_t wl = want->str_len;
        bool same = got.kind == want->kind && memcmp(got.u.f, want->u.f, sizeof got.u.f) == 0 &&
                    got.str_len == wl && (wl == 0 || memcmp(got.str, want->str, wl) == 0);
        if (!same) {
            CHECK(0, "event %zu differs (%s)", i, event_kind_name(want->kind));
            break;
        }
    }
    trace_reader_free(r);
}

/* The same events, encoded by the thread and in the emitting thread, give the same bytes. */
static void round_trip(size_t n, size_t flush_every)
{
    struct events e;
    make_events(&e, n, 8u << 20);
    int a = memfd_create("threaded", 0), b = memfd_create("direct", 0);
    struct trace_writer *w = open_writer(a, TRACE_WRITER_THREAD_ALWAYS);
    write_events(w, a, &e, flush_every, TRACE_WRITER_THREAD_ALWAYS);
    CHECK(trace_writer_event_count(w) == n, "count");
    CHECK(trace_writer_finish(w) == 0, "finish: %s", trace_writer_error(w));
    trace_writer_free(w);
    w = open_writer(b, TRACE_WRITER_THREAD_NEVER);
    write_events(w, b, &e, flush_every, TRACE_WRITER_THREAD_NEVER);
    CHECK(trace_writer_finish(w) == 0, "finish: %s", trace_writer_error(w));
    trace_writer_free(w);
    /* and with the thread starting by itself after the first chunk */
    int c = memfd_create("auto", 0);
    w = open_writer(c, TRACE_WRITER_THREAD_AUTO);
    write_events(w, c, &e, flush_every, TRACE_WRITER_THREAD_AUTO);
    CHECK(trace_writer_finish(w) == 0, "finish: %s", trace_writer_error(w));
    trace_writer_free(w);
    size_t la, lb, lc;
    uint8_t *ba = file_bytes(a, &la), *bb = file_bytes(b, &lb), *bc = file_bytes(c, &lc);
    CHECK(la == lb && memcmp(ba, bb, la) == 0, "%zu events, flush every %zu: files differ (%zu, %zu bytes)", n,
          flush_every, la, lb);
    CHECK(lc == lb && memcmp(bc, bb, lc) == 0, "%zu events, flush every %zu: automatic thread: files differ", n,
          flush_every);
    expect_events(a, &e, n);
    free(ba);
    free(bb);
    free(bc);
    close(a);
    close(b);
    close(c);
    free(e.ev);
    free(e.text_at);
    free(e.text);
}

/* Freed without finishing: the whole chunks are there, as without the thread. */
static void killed(void)
{
    struct events e;
    make_events(&e, 300000, 1u << 20);
    int a = memfd_create("threaded", 0), b = memfd_create("direct", 0);
    struct trace_writer *w = open_writer(a, TRACE_WRITER_THREAD_ALWAYS);
    write_events(w, a, &e, 0, TRACE_WRITER_THREAD_ALWAYS);
    trace_writer_free(w);
    w = open_writer(b, TRACE_WRITER_THREAD_NEVER);
    write_events(w, b, &e, 0, TRACE_WRITER_THREAD_NEVER);
    trace_writer_free(w);
    size_t la, lb;
    uint8_t *ba = file_bytes(a, &la), *bb = file_bytes(b, &lb);
    CHECK(la == lb && la > 100000 && memcmp(ba, bb, la) == 0, "killed recordings differ (%zu, %zu bytes)", la, lb);
    free(ba);
    free(bb);
    close(a);
    close(b);
    free(e.ev);
    free(e.text_at);
    free(e.text);
}

/* A write error met by the encoder thread: sticky, reported by finish. */
static void write_error(void)
{
    struct events e;
    make_events(&e, 200000, 1u << 20);
    char path[] = "/tmp/stress-writer-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0, "mkstemp");
    unlink(path);
    struct trace_writer *w = open_writer(fd, TRACE_WRITER_THREAD_ALWAYS);
    write_events(w, fd, &e, 0, TRACE_WRITER_THREAD_ALWAYS);
    int ro = open("/dev/null", O_RDONLY);
    dup2(ro, fd); /* the descriptor now refuses writes */
    close(ro);
    write_events(w, fd, &e, 0, TRACE_WRITER_THREAD_ALWAYS);
    CHECK(trace_writer_finish(w) == TRACE_EIO, "finish after a write error");
    const char *msg = trace_writer_error(w);
    CHECK(msg && strstr(msg, "write:"), "message: %s", msg ? msg : "(none)");
    uint64_t count = trace_writer_event_count(w);
    CHECK(count >= e.n && count < 2 * e.n, "events taken before the error: %llu", (unsigned long long)count);
    trace_writer_free(w);
    close(fd);
    free(e.ev);
    free(e.text_at);
    free(e.text);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    for (int i = 0; i < rounds; i++) {
        round_trip(200000 + (size_t)i * 100000, 0);
        round_trip(100000, 20000 + (size_t)i * 7919);
    }
    round_trip(10, 3);
    round_trip(1, 0);
    killed();
    write_error();
    if (failures)
        fprintf(stderr, "stress_writer: %d failures\n", failures);
    else
        printf("stress_writer: ok\n");
    return failures ? 1 : 0;
}
