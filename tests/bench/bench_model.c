/*
 * bench_model.c - the model's figures on generated traces, each printed beside its target and,
 * where there is one, its anchor measured in the same run:
 *
 *   fold         events folded per second on three streams: an allocator script whose live set
 *                swells to a few hundred thousand blocks and drains again ("swell"), Python-like
 *                temporaries over a slowly changing live set ("temps"), and the object runtime's
 *                churn workload ("churn"); median and worst of several repeats of
 *                  decode         reading the file, no fold;
 *                  model alone    model_fold_batch() on events already decoded (each batch is
 *                                 decoded outside the timing);
 *                  decode + fold  reading the file and folding, end to end: what a viewer
 *                                 opening the trace does;
 *                and beside the two allocator streams, heaptrack_print reading heaptrack's file of
 *                the same malloc/free calls (made by this program under heaptrack, with glibc's
 *                malloc), in malloc+free calls per second like the fold's second figure;
 *   scaling      at 10^6, 10^7 (and up to the largest size asked for) events of the swell stream:
 *                recording, bytes, seeker_open() (wall time and the child process's peak resident
 *                memory), seeks to random events, and `check` (structure and semantics, as the
 *                command runs them) in ns per event of CPU time, so that linearity shows;
 *   step back    at the largest size: seeker_step(-1) from random events, and walking back.
 *
 * The traces are made by the real allocator (the default profile, arenas from mmap) or the object
 * runtime, every event going through the real trace writer, and the post-pass
 * (model_build_checkpoints) stores checkpoints and summary.  They are kept in /tmp (or $TMPDIR)
 * between runs, never in the repository, and remade when missing or of an older layout.
 *
 * Usage: bench_model [LARGEST]   the largest size of the scaling (default $BENCH_MODEL_LARGEST,
 *                                else 10^7; 10^8 takes some minutes the first time)
 *        $BENCH_MODEL_REPEATS    repeats of each fold figure (default 5)
 *        $BENCH_MODEL_STREAMS    the streams whose fold is measured, e.g. "churn" or
 *                                "swell,temps" (default all three)
 *        $BENCH_MODEL_PARTS      "fold": the fold figures only; "scaling": the rest only
 *                                (default both)
 *        bench_model --malloc-stream swell|temps OPS   (internal: the stream on glibc's malloc,
 *                                run under heaptrack)
 */
#include "bench.h"

#include "recorder.h"
#include "rng.h"

#include <allocator/heap.h>
#include <tracer/model.h>
#include <tracer/trace.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static struct rng rng;

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_model: %s: %s\n", what, why);
    exit(1);
}

static const char *tmp_dir(void)
{
    const char *tmp = getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}

/* ---- the allocator streams --------------------------------------------------------------------- */

static size_t python_size(void)
{
    uint64_t k = rng_next(&rng) % 1000;
    if (k < 5)
        return 513 + rng_next(&rng) % 8000; /* the raw layer */
    if (k < 300)
        return 28 + rng_next(&rng) % 8;     /* small ints, floats */
    if (k < 550)
        return 48 + 8 * (rng_next(&rng) % 6); /* tuples, small objects */
    if (k < 700)
        return 64 + rng_next(&rng) % 64;    /* short strings */
    return 1 + rng_next(&rng) % 512;
}

/* The two allocator workloads: a live set that swells to a few hundred thousand blocks and
 * drains again (big states, arena churn: what seeking is measured on), and a Python-like stream
 * where most blocks are temporaries freed within a few allocations over a slowly changing live
 * set (what an interpreter's allocator mostly sees). */
enum heap_shape { SWELL, TEMPORARIES };

/* Where the calls go: arenascope's allocator (recorded), or glibc's (under heaptrack). */
struct mem {
    void *(*alloc)(void *ctx, size_t size);
    void (*release)(void *ctx, void *p);
    bool (*done)(void *ctx); /* asked between operations */
    void *ctx;
    uint64_t calls;          /* malloc and free calls made */
};

static void *mem_alloc(struct mem *m, size_t size)
{
    m->calls++;
    return m->alloc(m->ctx, size);
}

static void mem_free(struct mem *m, void *p)
{
    if (!p)
        return;
    m->calls++;
    m->release(m->ctx, p);
}

/* The same calls for the same shape, whatever the allocator: the random numbers never depend on
 * an address. */
static void run_shape(enum heap_shape wl, struct mem *m)
{
    rng = (struct rng){wl == SWELL ? 0x2545F4914F6CDD1Dull : 0x9E3779B97F4A7C15ull};
    enum { LIVE_MAX = 400000 };
    void **live = calloc(LIVE_MAX, sizeof *live);
    size_t n = 0, target = wl == TEMPORARIES ? 20000 : LIVE_MAX / 2;
    while (!m->done(m->ctx)) {
        if (wl == TEMPORARIES) {
            /* a temporary or two, then now and then a longer-lived block comes or goes */
            void *t1 = mem_alloc(m, python_size());
            void *t2 = rng_next(&rng) % 2 ? mem_alloc(m, python_size()) : NULL;
            mem_free(m, t1);
            mem_free(m, t2);
            if (rng_next(&rng) % 4 == 0) {
                if (n < target) {
                    live[n++] = mem_alloc(m, python_size());
                } else {
                    size_t i = rng_next(&rng) % n;
                    mem_free(m, live[i]);
                    live[i] = live[--n];
                }
            }
            continue;
        }
        if ((rng_next(&rng) & 0xffff) == 0)
            target = rng_next(&rng) % LIVE_MAX; /* swell or drain */
        bool alloc = n == 0 || (n < LIVE_MAX && (n < target ? rng_next(&rng) % 100 < 60 : rng_next(&rng) % 100 < 40));
        if (alloc) {
            live[n++] = mem_alloc(m, python_size());
        } else {
            /* mostly young blocks die: pick near the end */
            size_t i = rng_next(&rng) % 4 ? n - 1 - rng_next(&rng) % (n < 64 ? n : 64) : rng_next(&rng) % n;
            mem_free(m, live[i]);
            live[i] = live[--n];
        }
    }
    free(live);
}

static void *heap_alloc_cb(void *ctx, size_t size)
{
    return heap_malloc(*(struct heap **)ctx, size);
}

static void heap_free_cb(void *ctx, void *p)
{
    heap_free(*(struct heap **)ctx, p);
}

struct traced {
    struct heap *heap; /* first: the callbacks read it */
    struct trace_writer *w;
    uint64_t events;
};

static bool traced_done(void *ctx)
{
    struct traced *t = ctx;
    return trace_writer_event_count(t->w) >= t->events;
}

static void *libc_alloc_cb(void *ctx, size_t size)
{
    (void)ctx;
    return malloc(size);
}

static void libc_free_cb(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

struct counted {
    struct mem *m;
    uint64_t calls;
};

static bool counted_done(void *ctx)
{
    struct counted *c = ctx;
    return c->m->calls >= c->calls;
}

/* ---- making the traces ------------------------------------------------------------------------- */

static void report_trace(struct trace_writer *w, double t0)
{
    uint64_t got = trace_writer_event_count(w), bytes = trace_writer_bytes(w);
    printf("  made: %" PRIu64 " events, %.1f MB (%.2f bytes/event), recorded in %.1f s\n", got,
           (double)bytes / 1e6, (double)bytes / (double)got, bench_wall() - t0);
}

static void make_allocator_trace(const char *path, uint64_t events, enum heap_shape wl)
{
    struct heap_profile p;
    char err[512];
    if (heap_profile_parse("cpython-3.10", &p, err, sizeof err) < 0)
        die("profile", err);
    char command[64];
    snprintf(command, sizeof command, "bench_model %" PRIu64, events);
    struct trace_header h;
    recorder_header(&h, &p, "mmap", NULL, command);
    struct traced t = {.events = events};
    if (trace_writer_open(&t.w, path, &h, err, sizeof err) < 0)
        die(path, err);
    struct event_sink sink = trace_writer_sink(t.w);
    struct heap_arena_source src = heap_arena_source_mmap();
    if (heap_new(&t.heap, &p, &src, &sink) < 0)
        die("heap", "cannot create");
    double t0 = bench_wall();
    struct mem m = {.alloc = heap_alloc_cb, .release = heap_free_cb, .done = traced_done, .ctx = &t};
    run_shape(wl, &m);
    heap_set_sink(t.heap, NULL);
    heap_delete(t.heap);
    if (trace_writer_finish(t.w) < 0)
        die(path, trace_writer_error(t.w));
    report_trace(t.w, t0);
    trace_writer_free(t.w);
}

/* The churn workload: about 3.15 events a round (a few more rounds than that: at least `events`). */
static void make_churn_trace(const char *path, uint64_t events)
{
    char spec[64], err[512];
    snprintf(spec, sizeof spec, "churn:%" PRIu64, events * 101 / 315 + 1); /* a little over */
    struct workload *w = workload_prepare(spec, err, sizeof err);
    struct recorder_options o = {.gc = gc_profile_default(), .command = "bench_model churn",
                                 .path = path};
    struct recorder *r;
    if (!w || recorder_open(&r, &o, true, err, sizeof err) < 0)
        die(path, err);
    double t0 = bench_wall();
    if (recorder_run(r, w, err, sizeof err) < 0 || recorder_finish(r, err, sizeof err) < 0)
        die(path, err);
    printf("  made: %" PRIu64 " events of churn, recorded in %.1f s\n", recorder_event_count(r),
           bench_wall() - t0);
    recorder_free(r);
    workload_free(w);
}

/* Whether path is a trace of this format with at least `events` events and checkpoints that
 * load. */
static bool is_ready(const char *path, uint64_t events)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, path, 0, err, sizeof err) < 0)
        return false;
    bool ok = trace_reader_header(r)->version == TRACE_FORMAT_VERSION &&
              trace_reader_is_complete(r) && trace_reader_event_count(r) >= events &&
              trace_reader_checkpoint_count(r) > 0;
    struct model *m = NULL;
    void *buf = NULL;
    size_t len;
    ok = ok && model_new(&m, trace_reader_header(r)) == 0 &&
         trace_reader_checkpoint_load(r, 0, &buf, &len) == 0 && model_load(m, buf, len) == 0;
    free(buf);
    model_free(m);
    trace_reader_free(r);
    return ok;
}

enum stream { S_SWELL, S_TEMPS, S_CHURN, NSTREAMS };
static const char *const stream_names[NSTREAMS] = {"swell", "temps", "churn"};

/* The trace of a stream at a size into p (512 bytes), made with its post-pass when missing. */
static const char *stream_trace(char *p, enum stream s, uint64_t events)
{
    snprintf(p, 512, "%s/arenascope-bench-model-%s-%" PRIu64 ".trace", tmp_dir(), stream_names[s],
             events);
    if (is_ready(p, events))
        return p;
    printf("%s, %" PRIu64 " events: making %s\n", stream_names[s], events, p);
    if (s == S_CHURN)
        make_churn_trace(p, events);
    else
        make_allocator_trace(p, events, s == S_SWELL ? SWELL : TEMPORARIES);
    char err[512];
    double t0 = bench_wall();
    if (model_build_checkpoints(p, NULL, NULL, err, sizeof err) < 0)
        die("post-pass", err);
    printf("  post-pass (checkpoints and summary): %.1f s\n", bench_wall() - t0);
    return p;
}

/* ---- fold -------------------------------------------------------------------------------------- */

enum pass { DECODE, FOLD_ALONE, DECODE_FOLD, NPASSES };

/* One pass over the file: the seconds the figure counts, and the pass's CPU seconds in *cpu (for
 * the model alone, its wall time again: its batches are timed apart); the events and
 * malloc+free calls. */
static double fold_pass(const char *path, enum pass what, double *cpu, uint64_t *events, uint64_t *calls)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, path, 0, err, sizeof err) < 0)
        die(path, err);
    struct model *m;
    if (model_new(&m, trace_reader_header(r)) < 0)
        die(path, "model");
    struct event *batch = malloc(MODEL_BATCH * sizeof *batch);
    double timed = 0, t0 = bench_wall(), c0 = bench_cpu();
    uint64_t n = 0;
    for (;;) {
        ssize_t k = trace_reader_read(r, batch, MODEL_BATCH);
        if (k < 0)
            die(path, trace_reader_error(r));
        if (k == 0)
            break;
        n += (uint64_t)k;
        if (what == DECODE)
            continue;
        double a = what == FOLD_ALONE ? bench_wall() : 0;
        if (model_fold_batch(m, batch, (size_t)k) != (size_t)k)
            die(path, model_error(m));
        if (what == FOLD_ALONE)
            timed += bench_wall() - a;
    }
    if (what != FOLD_ALONE)
        timed = bench_wall() - t0;
    *cpu = what == FOLD_ALONE ? timed : bench_cpu() - c0;
    struct model_totals t;
    model_totals(m, &t);
    *events = n;
    *calls = t.mallocs + t.frees;
    free(batch);
    model_free(m);
    trace_reader_free(r);
    return timed;
}

struct rate {
    double median, worst; /* M per second */
};

static struct rate rate_of(double *secs, int n, uint64_t count)
{
    qsort(secs, (size_t)n, sizeof *secs, bench_cmp_double);
    return (struct rate){(double)count / secs[n / 2] / 1e6, (double)count / secs[n - 1] / 1e6};
}

static double children_cpu(void)
{
    struct rusage u;
    getrusage(RUSAGE_CHILDREN, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

/* heaptrack_print on heaptrack's file of the same malloc/free calls: M calls per second, median
 * and worst of `repeats`, by wall time and in *cpu by its CPU time; the median is 0 when heaptrack
 * is not installed. */
static struct rate heaptrack_rate(const char *self, enum heap_shape wl, uint64_t calls, int repeats,
                                  struct rate *cpu)
{
    if (system("command -v heaptrack >/dev/null 2>&1 && command -v heaptrack_print >/dev/null 2>&1") != 0)
        return (struct rate){0, 0};
    char base[512], file[600], cmd[2048];
    snprintf(base, sizeof base, "%s/arenascope-bench-model-heaptrack-%s-%" PRIu64, tmp_dir(),
             wl == SWELL ? "swell" : "temps", calls);
    snprintf(file, sizeof file, "%s.zst", base);
    struct stat st;
    if (stat(file, &st) != 0) {
        snprintf(cmd, sizeof cmd, "heaptrack -o '%s' '%s' --malloc-stream %s %" PRIu64 " >/dev/null 2>&1",
                 base, self, wl == SWELL ? "swell" : "temps", calls);
        if (system(cmd) != 0 || stat(file, &st) != 0)
            return (struct rate){-1, -1};
    }
    double secs[16], used[16];
    for (int i = 0; i < repeats; i++) {
        snprintf(cmd, sizeof cmd, "heaptrack_print '%s' >/dev/null 2>&1", file);
        double t0 = bench_wall(), c0 = children_cpu();
        if (system(cmd) != 0)
            return (struct rate){-1, -1};
        secs[i] = bench_wall() - t0;
        used[i] = children_cpu() - c0;
    }
    *cpu = rate_of(used, repeats, calls);
    return rate_of(secs, repeats, calls);
}

static void bench_fold(const char *self, enum stream s, const char *path, int repeats)
{
    static const char *const pass_names[NPASSES] = {"decode", "model alone", "decode + fold"};
    double secs[NPASSES][16], cpu[NPASSES][16];
    uint64_t events = 0, calls = 0;
    for (int i = 0; i < repeats; i++)
        for (int p = 0; p < NPASSES; p++)
            secs[p][i] = fold_pass(path, (enum pass)p, &cpu[p][i], &events, &calls);
    printf("fold %-5s  %" PRIu64 " events, %" PRIu64 " malloc+free calls\n", stream_names[s], events,
           calls);
    for (int p = 0; p < NPASSES; p++) {
        double c[16];
        memcpy(c, secs[p], sizeof c);
        struct rate e = rate_of(secs[p], repeats, events), k = rate_of(c, repeats, calls);
        struct rate u = rate_of(cpu[p], repeats, events);
        printf("  %-14s median %6.1f, worst %6.1f M events/s  (%5.1f, %5.1f M calls/s)", pass_names[p],
               e.median, e.worst, k.median, k.worst);
        if (p != FOLD_ALONE)
            printf("  by CPU time %5.1f, %5.1f", u.median, u.worst);
        printf("%s\n", p == DECODE_FOLD ? "   [target >= 60 M events/s]" : "");
    }
    if (s == S_CHURN)
        return;
    struct rate hc, h = heaptrack_rate(self, s == S_SWELL ? SWELL : TEMPORARIES, calls, repeats < 3 ? repeats : 3, &hc);
    if (h.median == 0)
        printf("  heaptrack not installed: row skipped\n");
    else if (h.median < 0)
        printf("  heaptrack_print: could not be run on this stream: row skipped\n");
    else
        printf("  %-14s median %6.1f, worst %6.1f M calls/s  by CPU time %5.1f, %5.1f: the same "
               "malloc/free calls   [anchor]\n",
               "heaptrack_print", h.median, h.worst, hc.median, hc.worst);
}

/* ---- open, seek, check ------------------------------------------------------------------------- */

static long peak_rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

/* Opens the trace in a child process, so that its peak memory is the open's alone: seconds and
 * kB. */
static void open_in_child(const char *path, double out[2])
{
    int fds[2];
    if (pipe(fds) < 0)
        die("pipe", "failed");
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char err[512];
        double t0 = bench_wall();
        struct seeker *s;
        if (seeker_open(&s, path, 0, err, sizeof err) < 0)
            _exit(1);
        (void)seeker_summary(s);
        double r[2] = {bench_wall() - t0, (double)peak_rss_kb()};
        if (write(fds[1], r, sizeof r) != (ssize_t)sizeof r)
            _exit(1);
        seeker_free(s);
        _exit(0);
    }
    close(fds[1]);
    bool ok = read(fds[0], out, 2 * sizeof *out) == (ssize_t)(2 * sizeof *out);
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (!ok)
        die(path, "the child could not open it");
}

/* Seeks to random events: the median and worst in seconds. */
static void seeks(const char *path, int nseeks, double out[2], size_t *nck)
{
    struct seeker *s;
    char err[512];
    if (seeker_open(&s, path, 0, err, sizeof err) < 0)
        die(path, err);
    uint64_t n = seeker_event_count(s);
    double t[256];
    for (int i = 0; i < nseeks; i++) {
        uint64_t to = rng_next(&rng) % (n + 1);
        double a = bench_wall();
        if (seeker_seek(s, to) < 0)
            die(path, seeker_error(s));
        t[i] = bench_wall() - a;
    }
    qsort(t, (size_t)nseeks, sizeof *t, bench_cmp_double);
    out[0] = t[nseeks / 2];
    out[1] = t[nseeks - 1];
    *nck = seeker_checkpoint_count(s);
    seeker_free(s);
}

/* What `arenascope check` does: the structure, with the semantics between its halves; wall and
 * CPU seconds. */
static void check(const char *path, double out[2])
{
    struct trace_reader *r;
    char err[1024];
    double w0 = bench_wall(), c0 = bench_cpu();
    uint64_t bad_seq;
    if (trace_reader_open(&r, path, 0, err, sizeof err) < 0)
        die(path, err);
    if (trace_reader_verify_begin(r) < 0)
        die(path, trace_reader_error(r));
    if (model_check_trace(r, &bad_seq, err, sizeof err) < 0)
        die(path, err);
    if (trace_reader_verify_end(r) < 0)
        die(path, trace_reader_error(r));
    out[0] = bench_wall() - w0;
    out[1] = bench_cpu() - c0;
    trace_reader_free(r);
}

static void bench_scaling(const uint64_t *sizes, size_t nsizes)
{
    printf("scaling (swell stream): per size, open with the index, 100 random seeks, check\n");
    printf("  %11s %9s %7s %14s %10s %18s %26s\n", "events", "MB", "B/event", "open ms (MB)",
           "checkpts", "seek median/worst", "check s wall, CPU (ns/ev)");
    for (size_t i = 0; i < nsizes; i++) {
        char path[512];
        stream_trace(path, S_SWELL, sizes[i]);
        struct stat st;
        stat(path, &st);
        double op[2], sk[2], ck[2];
        size_t nck;
        open_in_child(path, op);
        seeks(path, 100, sk, &nck);
        check(path, ck);
        uint64_t n = sizes[i];
        printf("  %11" PRIu64 " %9.1f %7.2f %8.1f (%3.0f) %10zu %8.1f/%5.1f ms %9.1f, %6.1f (%5.1f)\n", n,
               (double)st.st_size / 1e6, (double)st.st_size / (double)n, op[0] * 1e3, op[1] / 1024,
               nck, sk[0] * 1e3, sk[1] * 1e3, ck[0], ck[1], ck[1] / (double)n * 1e9);
    }
    printf("  [targets: open < 0.5 s and < 200 MB, seek median < 20 ms and worst < 100 ms, "
           "check linear and >= 20 M events/s (<= 50 ns/event)]\n");
}

static void bench_step_back(const char *path)
{
    struct seeker *s;
    char err[512];
    if (seeker_open(&s, path, 0, err, sizeof err) < 0)
        die(path, err);
    uint64_t n = seeker_event_count(s);
    enum { STEPS = 100, WALK = 1000 };
    double t[WALK];
    for (int i = 0; i < STEPS; i++) {
        uint64_t to = 1 + rng_next(&rng) % n;
        if (seeker_seek(s, to) < 0)
            die(path, seeker_error(s));
        double a = bench_wall();
        if (seeker_step(s, -1) < 0)
            die(path, seeker_error(s));
        t[i] = bench_wall() - a;
    }
    qsort(t, STEPS, sizeof *t, bench_cmp_double);
    printf("step back:  median %5.1f ms, worst %5.1f ms: the first step back from %d random events"
           "   [target < 20]\n",
           t[STEPS / 2] * 1e3, t[STEPS - 1] * 1e3, STEPS);
    if (seeker_seek(s, n / 2 + 12345) < 0)
        die(path, seeker_error(s));
    for (int i = 0; i < WALK; i++) {
        double a = bench_wall();
        if (seeker_step(s, -1) < 0)
            die(path, seeker_error(s));
        t[i] = bench_wall() - a;
    }
    qsort(t, WALK, sizeof *t, bench_cmp_double);
    printf("            walking back %d events: median %5.2f ms, worst %5.1f ms\n", WALK,
           t[WALK / 2] * 1e3, t[WALK - 1] * 1e3);
    seeker_free(s);
}

/* The stream on glibc's malloc, for heaptrack to record: `calls` malloc and free calls. */
static int malloc_stream(const char *shape, uint64_t calls)
{
    struct mem m = {.alloc = libc_alloc_cb, .release = libc_free_cb, .done = counted_done};
    struct counted c = {.m = &m, .calls = calls};
    m.ctx = &c;
    run_shape(strcmp(shape, "swell") == 0 ? SWELL : TEMPORARIES, &m);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--malloc-stream") == 0)
        return malloc_stream(argv[2], strtoull(argv[3], NULL, 0));
    setvbuf(stdout, NULL, _IOLBF, 0); /* each figure as it comes, also into a file */
    const char *env = getenv("BENCH_MODEL_LARGEST");
    uint64_t largest = argc > 1 ? strtoull(argv[1], NULL, 0) : env && *env ? strtoull(env, NULL, 0) : 10000000ull;
    const char *rep = getenv("BENCH_MODEL_REPEATS");
    int repeats = rep && *rep ? atoi(rep) : 5;
    if (largest < 1000000 || repeats < 1 || repeats > 16)
        die("usage", "bench_model [LARGEST] (at least 10^6), BENCH_MODEL_REPEATS 1 to 16");
    uint64_t sizes[8];
    size_t nsizes = 0;
    for (uint64_t n = 1000000; n < largest && nsizes < 7; n *= 10)
        sizes[nsizes++] = n;
    sizes[nsizes++] = largest;
    uint64_t fold_events = largest < 10000000 ? largest : 10000000;
    const char *streams = getenv("BENCH_MODEL_STREAMS"), *parts = getenv("BENCH_MODEL_PARTS");
    bool fold = !parts || !*parts || strcmp(parts, "fold") == 0;
    bool scaling = !parts || !*parts || strcmp(parts, "scaling") == 0;
    if (!fold && !scaling)
        die("usage", "BENCH_MODEL_PARTS is fold or scaling");
    char paths[NSTREAMS][512], self[512];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    self[len > 0 ? len : 0] = '\0';
    if (fold)
        printf("fold: %d repeats of each figure, wall time (and the process's CPU time, which a busy\n"
               "machine inflates less); M calls/s counts malloc+free calls, as heaptrack does\n", repeats);
    for (int s = 0; fold && s < NSTREAMS; s++) {
        if (streams && *streams && !strstr(streams, stream_names[s]))
            continue;
        bench_fold(self, (enum stream)s, stream_trace(paths[s], (enum stream)s, fold_events), repeats);
    }
    if (!scaling)
        return 0;
    bench_scaling(sizes, nsizes);
    bench_step_back(stream_trace(paths[0], S_SWELL, largest));
    return 0;
}
