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
 * Then the zstd levels (size, CPU time to write and to read back), and several streams recorded
 * whole as `arenascope record` records them, checkpoints included: Python-like temporaries, a
 * growing heap with frees at random, the churn object workload and a real Python program (these
 * two through the program named by ARENASCOPE): bytes per event and per malloc/free, the
 * checkpoints' share, and recording's CPU time (every thread) against no sink, median and worst of
 * REPEATS.  Beside the allocator streams, heaptrack (when installed) on the same calls to the C
 * library's malloc, this program run with --libc: its zstd file per malloc/free and its CPU time
 * against the same run plain.  heaptrack's file names each freed block by the size and stack it
 * was allocated with, not by its address; this format says which block, in which pool, and each
 * pool's and arena's transitions.  Last, recording at 10^6 and 10^7 events (10^8 with
 * BENCH_TRACE_1E8=1).  BENCH_NO_HEAPTRACK=1 leaves heaptrack out; BENCH_TRACE_STREAMS=1 prints the
 * streams recorded whole alone.
 *
 * Usage: bench_trace [STEPS]  (default 400000 workload steps, about a million events)
 *        bench_trace --libc python|growing STEPS   (the workload on malloc, for heaptrack)
 */
#include "bench.h"
#include "evlist.h"
#include "rng.h"

#include <allocator/heap.h>
#include <tracer/codec.h>
#include <tracer/model.h>
#include <tracer/trace.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
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

/* Where the workloads allocate: the instrumented heap, or the C library's malloc (heaptrack's
 * anchor runs the same calls on it). */
static struct heap *wheap;
static void *w_malloc(size_t n)
{
    return wheap ? heap_malloc(wheap, n) : malloc(n);
}
static void w_free(void *p)
{
    if (wheap)
        heap_free(wheap, p);
    else
        free(p);
}
static uint64_t w_ops; /* mallocs and frees made */

/* Python-like temporaries: most objects die within a few steps, a few live on. */
static void run_workload(struct heap *heap, uint64_t steps)
{
    wheap = heap;
    struct deaths d = {0};
    for (uint64_t t = 1; t <= steps; t++) {
        while (d.n && d.h[0].at <= t) {
            w_free(deaths_pop(&d).p);
            w_ops++;
        }
        void *p = w_malloc(python_size());
        w_ops++;
        unsigned u = (unsigned)(rng_next(&rng) % 100);
        uint64_t life = u < 50   ? 1 + rng_next(&rng) % 4
                        : u < 80 ? 10 + rng_next(&rng) % 100
                        : u < 95 ? 1000 + rng_next(&rng) % 10000
                                 : UINT64_MAX / 2;
        deaths_push(&d, (struct death){t + life, p});
    }
    while (d.n) {
        w_free(deaths_pop(&d).p);
        w_ops++;
    }
    free(d.h);
}

/* An allocation script's heap that grows: three allocations for two frees of a block chosen at
 * random among the live ones, as a program that builds a large structure. */
static void run_growing(struct heap *heap, uint64_t steps)
{
    wheap = heap;
    size_t n = 0, cap = 1024;
    void **live = malloc(cap * sizeof *live);
    for (uint64_t t = 0; t < steps; t++) {
        if (n && rng_next(&rng) % 5 < 2) {
            size_t i = (size_t)(rng_next(&rng) % n);
            w_free(live[i]);
            live[i] = live[--n];
        } else {
            if (n == cap)
                live = realloc(live, (cap *= 2) * sizeof *live);
            live[n++] = w_malloc(python_size());
        }
        w_ops++;
    }
    while (n) {
        w_free(live[--n]);
        w_ops++;
    }
    free(live);
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
    const struct heap_profile *p = heap_profile_at(0);
    snprintf(h.profile, sizeof h.profile, "%s", p->name);
    snprintf(h.arena_source, sizeof h.arena_source, "mmap");
    snprintf(h.command, sizeof h.command, "bench_trace");
    /* the geometry, for the model that builds the checkpoints */
    h.alignment = p->alignment;
    h.threshold = p->threshold;
    h.pool_size = p->pool_size;
    h.arena_size = p->arena_size;
    h.pool_overhead = heap_profile_pool_overhead(p);
    h.pointer_size = (uint32_t)sizeof(void *);
    h.keep_last_free_arena = p->keep_last_free_arena;
    h.arena_map_bits = p->arena_map_bits;
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

static void truncate_fd(int fd);
static uint64_t write_events(int fd, const char *name, const struct packed *pk, int rounds,
                             enum trace_writer_thread mode);

/* ---- streams recorded whole: size with checkpoints, recording's CPU time, heaptrack --------- */

typedef void (*workload_fn)(struct heap *heap, uint64_t steps);

static double children_cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* Runs the workload on a new heap (the same stream every time) emitting to sink, or to nobody;
 * returns the CPU seconds of every thread of the process. */
static double run_on_heap(workload_fn run, uint64_t steps, const struct event_sink *sink)
{
    rng = (struct rng){0x9E3779B97F4A7C15ull};
    struct heap *heap;
    struct heap_arena_source src = heap_arena_source_mmap();
    if (heap_new(&heap, heap_profile_at(0), &src, sink)) {
        fprintf(stderr, "bench_trace: cannot create the heap\n");
        exit(1);
    }
    double t0 = bench_cpu();
    run(heap, steps);
    heap_delete(heap);
    return bench_cpu() - t0;
}

/* Records the workload to path at a zstd level, as `arenascope record` does (the writer's encoder
 * thread on); returns the CPU seconds, *events the events. */
static double record_to(const char *path, workload_fn run, uint64_t steps, int level, uint64_t *events)
{
    struct trace_header h = bench_header();
    struct trace_writer *w;
    char err[512];
    if (trace_writer_open(&w, path, &h, err, sizeof err)) {
        fprintf(stderr, "bench_trace: %s\n", err);
        exit(1);
    }
    trace_writer_set_level(w, level);
    struct event_sink sink = trace_writer_sink(w);
    double t0 = bench_cpu();
    run_on_heap(run, steps, &sink);
    if (trace_writer_finish(w)) {
        fprintf(stderr, "bench_trace: %s\n", trace_writer_error(w));
        exit(1);
    }
    double t = bench_cpu() - t0;
    *events = trace_writer_event_count(w);
    trace_writer_free(w);
    return t;
}

struct file_figures {
    uint64_t events, bytes, checkpoint_bytes, chunk_bytes;
};

static struct file_figures file_figures(const char *path)
{
    struct file_figures f = {0};
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, path, 0, err, sizeof err)) {
        fprintf(stderr, "bench_trace: %s\n", err);
        exit(1);
    }
    f.events = trace_reader_event_count(r);
    f.bytes = trace_reader_file_bytes(r);
    for (size_t i = 0; i < trace_reader_chunk_count(r); i++) {
        struct trace_chunk_info c;
        trace_reader_chunk(r, i, &c);
        f.chunk_bytes += c.bytes;
    }
    for (size_t i = 0; i < trace_reader_blob_count(r); i++) {
        struct trace_blob_info b;
        trace_reader_blob(r, i, &b);
        if (strcmp(b.type, TRACE_BLOB_CHECKPOINT) == 0)
            f.checkpoint_bytes += b.bytes;
    }
    trace_reader_free(r);
    return f;
}

#define REPEATS 5 /* recording's CPU ratio: median and worst of this many */

/* Runs a command, its output to /dev/null: its exit status, and the CPU seconds it took. */
static int run_command(char *const argv[], double *cpu)
{
    double t0 = children_cpu();
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    *cpu = children_cpu() - t0;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static void print_stream_row(const char *what, struct file_figures f, double ops, const double *ratios, int n)
{
    /* bytes per malloc/free call only where the stream is such calls (heaptrack's unit) */
    char per_op[16] = "-";
    if (ops > 0)
        snprintf(per_op, sizeof per_op, "%.2f", (double)f.bytes / ops);
    printf("  %-34s %9llu %7.2f %7s %6.1f%%", what, (unsigned long long)f.events, (double)f.bytes / (double)f.events,
           per_op, 100.0 * (double)f.checkpoint_bytes / (double)f.bytes);
    if (n) {
        double s[REPEATS];
        memcpy(s, ratios, (size_t)n * sizeof *s);
        qsort(s, (size_t)n, sizeof *s, bench_cmp_double);
        printf("   %5.2fx  %5.2fx", s[n / 2], s[n - 1]);
    }
    printf("\n");
}

/* heaptrack on the same calls to the C library's malloc (this program with --libc), when it is
 * installed: its zstd file's bytes per malloc/free, and its CPU time against the same run plain. */
static void heaptrack_row(const char *self, const char *stream, uint64_t steps)
{
    char steps_s[32], out[64];
    snprintf(steps_s, sizeof steps_s, "%llu", (unsigned long long)steps);
    snprintf(out, sizeof out, "/tmp/bench-trace-heaptrack-%d", (int)getpid());
    double plain_cpu, ht_cpu;
    char *plain[] = {(char *)self, "--libc", (char *)stream, steps_s, NULL};
    char *ht[] = {"heaptrack", "-o", out, (char *)self, "--libc", (char *)stream, steps_s, NULL};
    if (run_command(plain, &plain_cpu) != 0 || run_command(ht, &ht_cpu) != 0) {
        printf("  %-34s (heaptrack is not installed or failed: its row is skipped)\n", "anchor: heaptrack");
        return;
    }
    char zst[96];
    snprintf(zst, sizeof zst, "%s.zst", out);
    struct stat st;
    if (stat(zst, &st) != 0) {
        snprintf(zst, sizeof zst, "%s.gz", out);
        if (stat(zst, &st) != 0) {
            printf("  %-34s (heaptrack wrote no file: its row is skipped)\n", "anchor: heaptrack");
            return;
        }
    }
    unlink(zst);
    printf("  %-34s %9s %7s %7.2f %7s   %5.2fx  (one run; of the whole process)\n", "  anchor: heaptrack, same calls", "-",
           "-", (double)st.st_size / (double)w_ops, "-", ht_cpu / plain_cpu);
}

static void streams_section(const char *self)
{
    static const struct {
        const char *name, *arg;
        workload_fn run;
        uint64_t steps;
    } streams[] = {
        {"Python-like temporaries", "python", run_workload, 400000},
        {"a growing heap (allocation script)", "growing", run_growing, 1000000},
    };
    char path[] = "/tmp/bench-trace-stream-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("bench_trace: mkstemp");
        exit(1);
    }
    close(fd);
    bool heaptrack = getenv("BENCH_NO_HEAPTRACK") == NULL;
    printf("streams, recorded whole (goals: <= 1.0 byte per event with checkpoints, below heaptrack per\n"
           "malloc/free; checkpoints <= 10%% of the file; recording <= 1.5x no sink in CPU time of every thread,\n"
           "median and worst of %d)\n", REPEATS);
    printf("  %-34s %9s %7s %7s %7s   %6s  %6s\n", "stream", "events", "B/event", "B/op", "ckpts", "median",
           "worst");
    for (size_t s = 0; s < sizeof streams / sizeof streams[0]; s++) {
        double ratio[REPEATS];
        uint64_t events = 0;
        for (int k = 0; k < REPEATS; k++) {
            double none = run_on_heap(streams[s].run, streams[s].steps, NULL);
            w_ops = 0;
            ratio[k] = record_to(path, streams[s].run, streams[s].steps, TRACE_ZSTD_LEVEL, &events) / none;
        }
        char err[512];
        if (model_build_checkpoints(path, NULL, NULL, err, sizeof err)) {
            fprintf(stderr, "bench_trace: %s\n", err);
            exit(1);
        }
        print_stream_row(streams[s].name, file_figures(path), (double)w_ops, ratio, REPEATS);
        if (heaptrack)
            heaptrack_row(self, streams[s].arg, streams[s].steps);
    }
    /* arenascope's own programs: the churn object workload, and a real Python program */
    const char *prog = getenv("ARENASCOPE");
    if (!prog) {
        printf("  (ARENASCOPE is not set: the churn and Python rows are skipped)\n");
    } else {
        double cpu, plain;
        char *churn[] = {(char *)prog, "record", "-o", path, "churn:300000", NULL};
        if (run_command(churn, &cpu) == 0)
            print_stream_row("churn objects (record churn:300000)", file_figures(path), 0, NULL, 0);
        const char *py = "d = []\nfor i in range(60000):\n    d.append({'a': i, 'b': str(i) * 3, 'c': [i, (i,)]})\n"
                         "    if len(d) > 5000:\n        d = d[2500:]\n";
        char *plain_py[] = {"python3", "-c", (char *)py, NULL};
        char *rec_py[] = {(char *)prog, "record", "--stacks", "python", "-o", path, "--", "python3", "-c", (char *)py, NULL};
        if (run_command(plain_py, &plain) == 0 && run_command(rec_py, &cpu) == 0) {
            double r = cpu / plain;
            print_stream_row("a Python program, with its stacks", file_figures(path), 0, &r, 1);
        }
    }
    unlink(path);
}

/* The chunks' bytes of the events written with level 0: stored, not compressed. */
static uint64_t stored_chunk_bytes(const struct packed *pk)
{
    int fd = memfd_create("stored.trace", MFD_CLOEXEC);
    struct trace_header h = bench_header();
    struct trace_writer *w;
    char err[512];
    if (fd < 0 || trace_writer_open_fd(&w, fd, "stored", &h, err, sizeof err))
        exit(1);
    trace_writer_set_level(w, 0);
    struct event ev = {0};
    for (size_t i = 0; i < pk->n;) {
        i = unpack(pk, i, &ev);
        trace_writer_emit(w, &ev);
    }
    trace_writer_finish(w);
    trace_writer_free(w);
    struct file_figures f = {0};
    struct trace_reader *r;
    if (trace_reader_open_fd(&r, fd, "stored", 0, err, sizeof err) == 0) {
        for (size_t i = 0; i < trace_reader_chunk_count(r); i++) {
            struct trace_chunk_info c;
            trace_reader_chunk(r, i, &c);
            f.chunk_bytes += c.bytes;
        }
        trace_reader_free(r);
    }
    close(fd);
    return f.chunk_bytes;
}

/* The Python-like stream's chunks at zstd's levels: size, and the CPU time of encoding with
 * compressing (in the emitting thread) and of reading back. */
static void levels_section(const struct packed *pk)
{
    printf("zstd levels on the Python-like stream (chunks alone; CPU ns per event, encoding in the\n"
           "emitting thread; reading decompresses and decodes; best of %d)\n", RUNS);
    printf("  %-10s %9s %12s %12s\n", "level", "B/event", "write ns/ev", "read ns/ev");
    static const int levels[] = {0, -5, -1, 1, 3, 6, 9};
    int fd = memfd_create("levels.trace", MFD_CLOEXEC);
    for (size_t l = 0; l < sizeof levels / sizeof levels[0]; l++) {
        double wbest = 1e30, rbest = 1e30;
        uint64_t sum;
        for (int run = 0; run < RUNS; run++) {
            truncate_fd(fd);
            struct trace_header h = bench_header();
            struct trace_writer *w;
            char err[512];
            if (trace_writer_open_fd(&w, fd, "levels", &h, err, sizeof err))
                exit(1);
            trace_writer_set_thread(w, TRACE_WRITER_THREAD_NEVER);
            trace_writer_set_level(w, levels[l]);
            double t0 = bench_cpu();
            struct event ev = {0};
            for (size_t i = 0; i < pk->n;) {
                i = unpack(pk, i, &ev);
                trace_writer_emit(w, &ev);
            }
            trace_writer_finish(w);
            double t = bench_cpu() - t0;
            trace_writer_free(w);
            wbest = t < wbest ? t : wbest;
            t0 = bench_cpu();
            read_events(fd, "levels", true, &sum);
            t = bench_cpu() - t0;
            rbest = t < rbest ? t : rbest;
        }
        struct trace_reader *r;
        char err[512];
        trace_reader_open_fd(&r, fd, "levels", 0, err, sizeof err);
        uint64_t bytes = 0;
        for (size_t i = 0; i < trace_reader_chunk_count(r); i++) {
            struct trace_chunk_info c;
            trace_reader_chunk(r, i, &c);
            bytes += c.bytes;
        }
        trace_reader_free(r);
        char name[32] = "stored";
        if (levels[l])
            snprintf(name, sizeof name, "%d%s", levels[l], levels[l] == TRACE_ZSTD_LEVEL ? " (used)" : "");
        printf("  %-10s %9.2f %12.1f %12.1f\n", name, (double)bytes / (double)pk->events, wbest * 1e9 / (double)pk->events,
               rbest * 1e9 / (double)pk->events);
    }
    close(fd);
}

/* Recording the Python-like workload straight to a file at 10^6 and 10^7 events (10^8 with
 * BENCH_TRACE_1E8=1): CPU and wall time, file size (events only: no post-pass). */
static void scaling_section(void)
{
    printf("scaling: recording the Python-like workload to a file (CPU time of every thread, wall time,\n"
           "the file without checkpoints)\n");
    char path[] = "/tmp/bench-trace-scale-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        exit(1);
    close(fd);
    int most = getenv("BENCH_TRACE_1E8") ? 8 : 7;
    for (int e = 6; e <= most; e++) {
        uint64_t want = 1, events;
        for (int k = 0; k < e; k++)
            want *= 10;
        struct stopwatch sw;
        sw_start(&sw);
        record_to(path, run_workload, want * 10 / 25, TRACE_ZSTD_LEVEL, &events);
        struct timing t = sw_stop(&sw);
        struct file_figures f = file_figures(path);
        printf("  10^%d events (%llu): %.2f s CPU, %.2f s wall, %.1f MB, %.2f B/event\n", e, (unsigned long long)events,
               t.cpu, t.wall, (double)f.bytes / 1e6, (double)f.bytes / (double)events);
    }
    unlink(path);
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
    if (argc == 4 && strcmp(argv[1], "--libc") == 0) {
        /* heaptrack's anchor: the same calls on the C library's malloc */
        rng = (struct rng){0x9E3779B97F4A7C15ull};
        (strcmp(argv[2], "growing") == 0 ? run_growing : run_workload)(NULL, strtoull(argv[3], NULL, 10));
        return 0;
    }
    if (getenv("BENCH_TRACE_STREAMS")) {
        streams_section(argv[0]);
        return 0;
    }
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
    printf("size (target <= 1.0 byte per event)\n");
    printf("  arenascope format v%-25d %7.2f bytes/event (whole file %.2f)\n", TRACE_FORMAT_VERSION,
           (double)chunk_bytes / (double)e.n, (double)file_bytes / (double)e.n);
    printf("  %-44s %7.2f bytes/event\n", "anchor: one delta register, no history",
           (double)size_one_register(&e) / (double)e.n);
    printf("  %-44s %7.2f bytes/event\n", "anchor: a plain varint per field",
           (double)size_plain_varints(&e) / (double)e.n);
    printf("  %-44s %7.2f bytes/event\n", "anchor: heaptrack (published, before zstd)", 5.5);
    printf("  %-44s %7.2f bytes/event\n", "anchor: this format's events, not compressed",
           (double)stored_chunk_bytes(&pk) / (double)e.n);
    printf("  %-44s %7zu bytes/event\n", "anchor: struct event as it is in memory", sizeof(struct event));
    levels_section(&pk);
    streams_section(argv[0]);
    scaling_section();

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
