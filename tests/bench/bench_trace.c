/*
 * bench_trace.c - the trace format's figures (issue 2, "Speed"): encoded bytes per event on a
 * malloc/free-heavy stream, and writer and reader throughput, to and from memory and a file.
 *
 * The stream comes from the real allocator (allocator/heap.h, the default profile, arenas from
 * mmap) driven by a Python-like mix: many small objects (ints, floats, tuples, small dicts and
 * strings), a few large ones that go to the raw layer, and lifetimes that are mostly very short
 * (temporaries), sometimes medium (locals, loop state) and seldom long (module data).  The heap's
 * events are collected once in memory, then encoded and decoded: the writer gets each event built
 * on the stack, as from a producer, and the reader hands them to a consumer in small batches or
 * one at a time.
 *
 * The writer is timed as a recording uses it (its encoder thread takes over after the first chunk;
 * the CPU time then counts both threads) and encoding in the emitting thread.  Each speed is the
 * best of RUNS runs.
 *
 * Anchors printed beside the figures: heaptrack's interpreted format (5.5 bytes per event before
 * zstd, from its authors' measurements), the same events with a plain varint per field, and with
 * a single delta register for addresses; for speed, copying the events without encoding them.
 *
 * Usage: bench_trace [STEPS]  (default 400000 workload steps, about a million events)
 */
#include "evlist.h"
#include "rng.h"

#include <allocator/heap.h>
#include <tracer/codec.h>
#include <tracer/trace.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

/* ---- the workload ------------------------------------------------------------------------------ */

static struct rng rng = {0x9E3779B97F4A7C15ull};

static size_t python_size(void)
{
    unsigned u = (unsigned)(rng_next(&rng) % 1000);
    if (u < 350)
        return 24 + rng_next(&rng) % 40; /* ints, floats, small tuples */
    if (u < 700)
        return 40 + rng_next(&rng) % 30; /* short strings, bound methods, frames' small parts */
    if (u < 880)
        return 64 + rng_next(&rng) % 64; /* lists, small dicts */
    if (u < 960)
        return 128 + rng_next(&rng) % 128;
    if (u < 985)
        return 256 + rng_next(&rng) % 256;
    return 513 + rng_next(&rng) % 4000; /* large: the raw layer */
}

struct death {
    uint64_t at;
    void *p;
};

struct deaths {
    struct death *h;
    size_t n, cap;
};

static void deaths_push(struct deaths *d, struct death x)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? d->cap * 2 : 4096;
        d->h = realloc(d->h, d->cap * sizeof *d->h);
    }
    size_t i = d->n++;
    while (i && d->h[(i - 1) / 2].at > x.at) {
        d->h[i] = d->h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->h[i] = x;
}

static struct death deaths_pop(struct deaths *d)
{
    struct death top = d->h[0], last = d->h[--d->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= d->n)
            break;
        if (c + 1 < d->n && d->h[c + 1].at < d->h[c].at)
            c++;
        if (d->h[c].at >= last.at)
            break;
        d->h[i] = d->h[c];
        i = c;
    }
    d->h[i] = last;
    return top;
}

static void run_workload(struct heap *heap, uint64_t steps)
{
    struct deaths d = {0};
    for (uint64_t t = 1; t <= steps; t++) {
        while (d.n && d.h[0].at <= t)
            heap_free(heap, deaths_pop(&d).p);
        void *p = heap_malloc(heap, python_size());
        unsigned u = (unsigned)(rng_next(&rng) % 100);
        uint64_t life = u < 50   ? 1 + rng_next(&rng) % 4
                        : u < 80 ? 10 + rng_next(&rng) % 100
                        : u < 95 ? 1000 + rng_next(&rng) % 10000
                                 : UINT64_MAX / 2;
        deaths_push(&d, (struct death){t + life, p});
    }
    while (d.n)
        heap_free(heap, deaths_pop(&d).p);
    free(d.h);
}

/* ---- anchors: other encodings of the same events --------------------------------------------- */

/* Every field as a plain varint, after a kind byte. */
static uint64_t size_plain_varints(const struct evlist *e)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < e->n; i++) {
        bytes++;
        size_t nw = event_kind_field_count(e->ev[i].kind);
        for (size_t f = 0; f < nw; f++)
            bytes += codec_varint_size(e->ev[i].u.f[f]);
    }
    return bytes;
}

/* The first design: tail elision and one delta register for all addresses, no history. */
static uint64_t size_one_register(const struct evlist *e)
{
    uint64_t bytes = 0, prev = 0;
    for (size_t i = 0; i < e->n; i++) {
        const struct event *ev = &e->ev[i];
        size_t nw = event_kind_field_count(ev->kind), tail = event_kind_tail(ev->kind);
        uint64_t tor = 0;
        for (size_t f = tail; f < nw; f++)
            tor |= ev->u.f[f];
        size_t limit = tail < nw && tor == 0 ? tail : nw;
        bytes++;
        for (size_t f = 0; f < limit; f++) {
            char t = event_kind_field_type(ev->kind, f);
            uint64_t v = ev->u.f[f];
            if ((t == 'a' || t == 'p') && !(t == 'p' && v == 0)) {
                int64_t d = (int64_t)(v - prev);
                uint64_t c = d % 16 == 0 ? codec_zigzag(d / 16) << 1 : codec_zigzag(d) << 1 | 1;
                bytes += codec_varint_size(c);
                prev = v;
            } else {
                bytes += codec_varint_size(v);
            }
        }
        if (i % 20000 == 0)
            prev = 0;
    }
    return bytes;
}

/* ---- timing ------------------------------------------------------------------------------------ */

struct stopwatch {
    struct timespec wall, cpu;
};

static void sw_start(struct stopwatch *s)
{
    clock_gettime(CLOCK_MONOTONIC, &s->wall);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &s->cpu);
}

static double since(const struct timespec *t0, clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Seconds of wall-clock and CPU time (every thread of the process) since the start. */
struct timing {
    double wall, cpu;
};

static struct timing sw_stop(const struct stopwatch *s)
{
    return (struct timing){since(&s->wall, CLOCK_MONOTONIC), since(&s->cpu, CLOCK_PROCESS_CPUTIME_ID)};
}

static void print_rate(const char *what, uint64_t events, struct timing t)
{
    printf("  %-44s %7.1f M events/s (%.1f by CPU time)\n", what, (double)events / t.wall / 1e6,
           (double)events / t.cpu / 1e6);
}

static void sw_print(const struct stopwatch *s, const char *what, uint64_t events)
{
    print_rate(what, events, sw_stop(s));
}

#define RUNS 3 /* each writer and reader figure is the best of this many runs */

static struct trace_header bench_header(void)
{
    struct trace_header h;
    memset(&h, 0, sizeof h);
    snprintf(h.profile, sizeof h.profile, "%s", heap_profile_at(0)->name);
    snprintf(h.command, sizeof h.command, "bench_trace");
    return h;
}

/*
 * The stream as a producer has it: each event built on the stack just before it is emitted.  The
 * collected events are packed in 32-byte records (kind, three fields; a second record for the
 * rare kind with more) so that reading them costs the benchmark little and leaves the caches to
 * the writer.
 */
struct packed {
    uint64_t *w;
    size_t n;      /* words, 4 per record */
    size_t events;
};

static struct packed pack(const struct evlist *e)
{
    struct packed pk = {malloc(e->n * 8 * sizeof(uint64_t)), 0, e->n};
    if (!pk.w) {
        fprintf(stderr, "bench_trace: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < e->n; i++) {
        size_t nw = event_kind_field_count(e->ev[i].kind);
        pk.w[pk.n++] = (uint64_t)e->ev[i].kind | (uint64_t)nw << 8;
        memcpy(pk.w + pk.n, e->ev[i].u.f, 3 * sizeof(uint64_t));
        pk.n += 3;
        if (nw > 3) {
            memcpy(pk.w + pk.n, e->ev[i].u.f + 3, 3 * sizeof(uint64_t));
            pk.n += 4;
        }
    }
    return pk;
}

/* The event whose record starts at word i; returns the next record's. */
static inline size_t unpack(const struct packed *pk, size_t i, struct event *ev)
{
    ev->kind = (enum event_kind)(pk->w[i] & 0xff);
    memcpy(ev->u.f, pk->w + i + 1, 3 * sizeof(uint64_t));
    if ((pk->w[i] >> 8) <= 3)
        return i + 4;
    memcpy(ev->u.f + 3, pk->w + i + 4, 3 * sizeof(uint64_t));
    return i + 8;
}

/* Writes the events `rounds` times to fd; returns the events written. */
static uint64_t write_events(int fd, const char *name, const struct packed *pk, int rounds,
                             enum trace_writer_thread mode)
{
    struct trace_header h = bench_header();
    struct trace_writer *w;
    char err[512];
    if (trace_writer_open_fd(&w, fd, name, &h, err, sizeof err)) {
        fprintf(stderr, "bench_trace: %s\n", err);
        exit(1);
    }
    trace_writer_set_thread(w, mode);
    struct event ev = {0};
    for (int r = 0; r < rounds; r++)
        for (size_t i = 0; i < pk->n;) {
            i = unpack(pk, i, &ev);
            trace_writer_emit(w, &ev);
        }
    if (trace_writer_finish(w)) {
        fprintf(stderr, "bench_trace: %s\n", trace_writer_error(w));
        exit(1);
    }
    uint64_t n = trace_writer_event_count(w);
    trace_writer_free(w);
    return n;
}

static uint64_t read_events(int fd, const char *name, bool batches, uint64_t *checksum)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open_fd(&r, fd, name, 0, err, sizeof err)) {
        fprintf(stderr, "bench_trace: %s\n", err);
        exit(1);
    }
    uint64_t n = 0, sum = 0;
    if (batches) {
        static struct event evs[256];
        ssize_t k;
        while ((k = trace_reader_read(r, evs, 256)) > 0) {
            for (ssize_t i = 0; i < k; i++)
                sum += evs[i].u.f[0];
            n += (uint64_t)k;
        }
        if (k < 0)
            n = 0;
    } else {
        struct event ev;
        int k;
        while ((k = trace_reader_next(r, &ev)) == 1) {
            sum += ev.u.f[0];
            n++;
        }
        if (k < 0)
            n = 0;
    }
    if (!n)
        fprintf(stderr, "bench_trace: %s\n", trace_reader_error(r));
    trace_reader_free(r);
    *checksum = sum;
    return n;
}

static void truncate_fd(int fd)
{
    if (ftruncate(fd, 0) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        perror("bench_trace: truncate");
        exit(1);
    }
}

int main(int argc, char **argv)
{
    uint64_t steps = argc > 1 ? strtoull(argv[1], NULL, 10) : 400000;
    struct evlist e = {0};
    struct event_sink sink = evlist_sink(&e);
    struct heap *heap;
    struct heap_arena_source src = heap_arena_source_mmap();
    if (heap_new(&heap, heap_profile_at(0), &src, &sink)) {
        fprintf(stderr, "bench_trace: cannot create the heap\n");
        return 1;
    }
    run_workload(heap, steps);
    heap_delete(heap);

    uint64_t kinds[EV_KIND_COUNT] = {0};
    for (size_t i = 0; i < e.n; i++)
        kinds[e.ev[i].kind]++;
    printf("stream: %llu workload steps on %s: %zu events (", (unsigned long long)steps,
           heap_profile_at(0)->name, e.n);
    for (int k = 0, first = 1; k < EV_KIND_COUNT; k++)
        if (kinds[k] * 1000 >= e.n) {
            printf("%s%s %.1f%%", first ? "" : ", ", event_kind_name((enum event_kind)k),
                   100.0 * (double)kinds[k] / (double)e.n);
            first = 0;
        }
    printf(")\n");

    /* size */
    int mem = memfd_create("bench.trace", MFD_CLOEXEC);
    if (mem < 0) {
        perror("bench_trace: memfd_create");
        return 1;
    }
    struct packed pk = pack(&e);
    write_events(mem, "memory", &pk, 1, TRACE_WRITER_THREAD_AUTO);
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open_fd(&r, mem, "memory", 0, err, sizeof err)) {
        fprintf(stderr, "bench_trace: %s\n", err);
        return 1;
    }
    uint64_t chunk_bytes = 0;
    for (size_t i = 0; i < trace_reader_chunk_count(r); i++) {
        struct trace_chunk_info c;
        trace_reader_chunk(r, i, &c);
        chunk_bytes += c.bytes;
    }
    uint64_t file_bytes = trace_reader_file_bytes(r);
    trace_reader_free(r);
    printf("size (target <= 3.0 bytes per event)\n");
    printf("  arenascope format v%-25d %7.2f bytes/event (whole file %.2f)\n", TRACE_FORMAT_VERSION,
           (double)chunk_bytes / (double)e.n, (double)file_bytes / (double)e.n);
    printf("  %-44s %7.2f bytes/event\n", "anchor: one delta register, no history",
           (double)size_one_register(&e) / (double)e.n);
    printf("  %-44s %7.2f bytes/event\n", "anchor: a plain varint per field",
           (double)size_plain_varints(&e) / (double)e.n);
    printf("  %-44s %7.2f bytes/event\n", "anchor: heaptrack (published, before zstd)", 5.5);
    printf("  %-44s %7zu bytes/event\n", "anchor: struct event as it is in memory", sizeof(struct event));

    /* writer */
    int rounds = (int)(10000000 / (e.n ? e.n : 1)) + 1;
    char path[] = "/tmp/bench-trace-XXXXXX";
    int file = mkstemp(path);
    if (file < 0) {
        perror("bench_trace: mkstemp");
        return 1;
    }
    unlink(path);
    printf("writer (target >= 50 M events/s; by default the writer's encoder thread takes over once the\n"
           "first chunk is sealed: CPU time counts both threads; best of %d runs)\n", RUNS);
    struct stopwatch sw;
    static const struct {
        const char *what;
        bool to_file;
        enum trace_writer_thread mode;
    } wrows[] = {
        {"to memory (memfd)", false, TRACE_WRITER_THREAD_AUTO},
        {"to a file in /tmp", true, TRACE_WRITER_THREAD_AUTO},
        {"to memory, encoding in the emitting thread", false, TRACE_WRITER_THREAD_NEVER},
        {"to a file, encoding in the emitting thread", true, TRACE_WRITER_THREAD_NEVER},
    };
    uint64_t n = 0;
    for (size_t row = 0; row < sizeof wrows / sizeof wrows[0]; row++) {
        struct timing best = {1e30, 1e30};
        int fd = wrows[row].to_file ? file : mem;
        for (int run = 0; run < RUNS; run++) {
            truncate_fd(fd);
            sw_start(&sw);
            n = write_events(fd, wrows[row].to_file ? path : "memory", &pk, rounds, wrows[row].mode);
            struct timing t = sw_stop(&sw);
            if (t.wall < best.wall)
                best = t;
        }
        print_rate(wrows[row].what, n, best);
    }
    /* building each event and copying it into a chunk-sized buffer: the floor of any writer */
    static struct event ring[65536 / sizeof(struct event)];
    size_t nring = sizeof ring / sizeof ring[0], at = 0;
    sw_start(&sw);
    for (int k = 0; k < rounds; k++)
        for (size_t i = 0; i < pk.n;) {
            struct event ev = {0};
            i = unpack(&pk, i, &ev);
            ring[at++ % nring] = ev;
            __asm__ volatile("" : : "r"(ring) : "memory");
        }
    sw_print(&sw, "anchor: building and copying, no encoding", (uint64_t)rounds * e.n);

    /* reader */
    printf("reader (target >= 50 M events/s; best of %d runs)\n", RUNS);
    static const struct {
        const char *what;
        bool from_file, batches;
    } rrows[] = {
        {"from memory, 256-event batches", false, true},
        {"from memory, one event per call", false, false},
        {"from a file in /tmp, 256-event batches", true, true},
        {"from a file in /tmp, one event per call", true, false},
    };
    uint64_t sums[4];
    for (size_t row = 0; row < 4; row++) {
        struct timing best = {1e30, 1e30};
        for (int run = 0; run < RUNS; run++) {
            sw_start(&sw);
            n = read_events(rrows[row].from_file ? file : mem, rrows[row].from_file ? path : "memory",
                            rrows[row].batches, &sums[row]);
            struct timing t = sw_stop(&sw);
            if (t.wall < best.wall)
                best = t;
        }
        print_rate(rrows[row].what, n, best);
    }
    uint64_t c1 = sums[0], c2 = sums[1], c3 = sums[2], c4 = sums[3];
    if (c1 != c2 || c1 != c3 || c1 != c4) {
        fprintf(stderr, "bench_trace: the readings disagree\n");
        return 1;
    }
    close(file);
    close(mem);
    free(pk.w);
    evlist_release(&e);
    return 0;
}
