/*
 * bench_model.c - the model's figures (issue 5, "Speed") on a generated trace of 10^8 events:
 *
 *   fold         events folded per second on two streams (Python-like temporaries, and the
 *                swelling heap below), two figures each:
 *                  model alone    model_fold_batch() on events already decoded (each batch of
 *                                 MODEL_BATCH is decoded outside the timing, then folded).  This
 *                                 is the fold, the figure issue 5's target ("Fold: at least 50
 *                                 million events per second") is about;
 *                  decode + fold  reading the file and folding, end to end: what a viewer
 *                                 opening the trace does, decoding included;
 *   open         seeker_open() of the trace with its index: wall time and the child process's
 *                peak resident memory;
 *   seek         seeker_seek() to random events: median, 90th percentile and worst;
 *   step back    seeker_step(-1) from random events (the first step back, from a checkpoint),
 *                and walking back step by step.
 *
 * Anchors printed beside them: the targets of issue 5, and heaptrack_print's 6.5 million events
 * per second (from the issue).
 *
 * The traces are made by the real allocator (the default profile, arenas from mmap) driven by a
 * fast random workload, every event going through the real trace writer: the main one has a live
 * set that swells to a few hundred thousand blocks and drains again, with Python-like sizes and
 * now and then a large block for the raw layer, and the post-pass (model_build_checkpoints)
 * stores its checkpoints and summary; the second, a fifth as long, is mostly temporaries over a
 * slowly changing live set.  They are kept in /tmp (or $TMPDIR) between runs, never in the
 * repository, and remade when missing (or their checkpoints are of an older layout).
 *
 * Usage: bench_model [EVENTS]  (default 100000000)
 */
#include "recorder.h"
#include "rng.h"

#include <allocator/heap.h>
#include <tracer/model.h>
#include <tracer/trace.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static struct rng rng = {0x2545F4914F6CDD1Dull};

static void die(const char *what, const char *why)
{
    fprintf(stderr, "bench_model: %s: %s\n", what, why);
    exit(1);
}

/* ---- making the trace ------------------------------------------------------------------------ */

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

/* The two workloads: a live set that swells to a few hundred thousand blocks and drains again
 * (big states, arena churn: what seeking is measured on), and a Python-like stream where most
 * blocks are temporaries freed within a few allocations over a slowly changing live set (what
 * an interpreter's allocator mostly sees). */
enum heap_shape { SWELL, TEMPORARIES };

static void make_trace(const char *path, uint64_t events, enum heap_shape wl, bool post_pass)
{
    struct heap_profile p;
    char err[512];
    if (heap_profile_parse("cpython-3.10", &p, err, sizeof err) < 0)
        die("profile", err);
    char command[64];
    snprintf(command, sizeof command, "bench_model %" PRIu64, events);
    struct trace_header h;
    recorder_header(&h, &p, "mmap", NULL, command);
    struct trace_writer *w;
    if (trace_writer_open(&w, path, &h, err, sizeof err) < 0)
        die(path, err);
    struct event_sink sink = trace_writer_sink(w);
    struct heap_arena_source src = heap_arena_source_mmap();
    struct heap *heap;
    if (heap_new(&heap, &p, &src, &sink) < 0)
        die("heap", "cannot create");
    enum { LIVE_MAX = 400000 };
    void **live = calloc(LIVE_MAX, sizeof *live);
    size_t n = 0, target = LIVE_MAX / 2;
    double t0 = now();
    if (wl == TEMPORARIES)
        target = 20000;
    while (trace_writer_event_count(w) < events) {
        if (wl == TEMPORARIES) {
            /* a temporary or two, then now and then a longer-lived block comes or goes */
            void *t1 = heap_malloc(heap, python_size());
            void *t2 = rng_next(&rng) % 2 ? heap_malloc(heap, python_size()) : NULL;
            heap_free(heap, t1);
            heap_free(heap, t2);
            if (rng_next(&rng) % 4 == 0) {
                if (n < target) {
                    live[n++] = heap_malloc(heap, python_size());
                } else {
                    size_t i = rng_next(&rng) % n;
                    heap_free(heap, live[i]);
                    live[i] = live[--n];
                }
            }
            continue;
        }
        if ((rng_next(&rng) & 0xffff) == 0)
            target = rng_next(&rng) % LIVE_MAX; /* swell or drain */
        bool alloc = n == 0 || (n < LIVE_MAX && (n < target ? rng_next(&rng) % 100 < 60 : rng_next(&rng) % 100 < 40));
        if (alloc) {
            live[n++] = heap_malloc(heap, python_size());
        } else {
            /* mostly young blocks die: pick near the end */
            size_t i = rng_next(&rng) % 4 ? n - 1 - rng_next(&rng) % (n < 64 ? n : 64) : rng_next(&rng) % n;
            heap_free(heap, live[i]);
            live[i] = live[--n];
        }
    }
    heap_set_sink(heap, NULL);
    heap_delete(heap);
    free(live);
    if (trace_writer_finish(w) < 0)
        die(path, trace_writer_error(w));
    uint64_t got = trace_writer_event_count(w), bytes = trace_writer_bytes(w);
    trace_writer_free(w);
    double t1 = now();
    printf("trace: %" PRIu64 " events, %.1f MB (%.2f bytes/event), recorded in %.1f s\n", got,
           (double)bytes / 1e6, (double)bytes / (double)got, t1 - t0);
    if (!post_pass)
        return;
    if (model_build_checkpoints(path, NULL, NULL, err, sizeof err) < 0)
        die("post-pass", err);
    printf("post-pass (checkpoints and summary): %.1f s\n", now() - t1);
}

static bool has_index(const char *path, uint64_t events)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, path, 0, err, sizeof err) < 0)
        return false;
    /* a trace of an older format is made again: the figures are for the current one */
    bool ok = trace_reader_header(r)->version == TRACE_FORMAT_VERSION &&
              trace_reader_is_complete(r) && trace_reader_event_count(r) >= events &&
              trace_reader_checkpoint_count(r) > 0;
    /* checkpoints of an older layout do not load: then the post-pass runs again */
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

/* ---- figures --------------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void bench_fold(const char *path, const char *what)
{
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, path, 0, err, sizeof err) < 0)
        die(path, err);
    struct model *m;
    if (model_new(&m, trace_reader_header(r)) < 0)
        die(path, "model");
    struct event *batch = malloc(MODEL_BATCH * sizeof *batch);
    double fold = 0, t0 = now();
    uint64_t n = 0;
    for (;;) {
        ssize_t k = trace_reader_read(r, batch, MODEL_BATCH);
        if (k < 0)
            die(path, trace_reader_error(r));
        if (k == 0)
            break;
        double a = now();
        if (model_fold_batch(m, batch, (size_t)k) != (size_t)k)
            die(path, model_error(m));
        fold += now() - a;
        n += (uint64_t)k;
    }
    double total = now() - t0;
    struct model_totals t;
    model_totals(m, &t);
    printf("fold %-6s  model alone   %6.1f M events/s   [the fold: target >= 50]\n", what,
           (double)n / fold / 1e6);
    printf("             decode + fold %6.1f M events/s   [end to end from the file; "
           "heaptrack_print reads 6.5]\n",
           (double)n / total / 1e6);
    printf("             %" PRIu64 " events; at the end %" PRIu32 " arenas, %" PRIu64 " blocks live\n",
           n, model_arena_count(m), t.blocks);
    free(batch);
    model_free(m);
    trace_reader_free(r);
}

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

/* Opens the trace in a child process, so that its peak memory is the open's alone. */
static void bench_open(const char *path)
{
    int fds[2];
    if (pipe(fds) < 0)
        die("pipe", "failed");
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        char err[512];
        double t0 = now();
        struct seeker *s;
        if (seeker_open(&s, path, 0, err, sizeof err) < 0)
            _exit(1);
        const struct model_summary *sum = seeker_summary(s);
        double t = now() - t0;
        double r[3] = {t, (double)peak_rss_kb(), (double)sum->nmarks};
        if (write(fds[1], r, sizeof r) != (ssize_t)sizeof r)
            _exit(1);
        seeker_free(s);
        _exit(0);
    }
    close(fds[1]);
    double r[3];
    bool ok = read(fds[0], r, sizeof r) == (ssize_t)sizeof r;
    close(fds[0]);
    int st;
    waitpid(pid, &st, 0);
    if (!ok)
        die(path, "the child could not open it");
    printf("open:       %6.3f s, peak resident %.0f MB (summary: %.0f marks)   [target < 0.5 s, < 200 MB]\n",
           r[0], r[1] / 1024, r[2]);
}

static void bench_seek(const char *path)
{
    struct seeker *s;
    char err[512];
    if (seeker_open(&s, path, 0, err, sizeof err) < 0)
        die(path, err);
    uint64_t n = seeker_event_count(s);
    enum { SEEKS = 200, STEPS = 100 };
    double t[SEEKS];
    for (int i = 0; i < SEEKS; i++) {
        uint64_t to = rng_next(&rng) % (n + 1);
        double a = now();
        if (seeker_seek(s, to) < 0)
            die(path, seeker_error(s));
        t[i] = now() - a;
    }
    qsort(t, SEEKS, sizeof *t, cmp_double);
    printf("seek:       median %5.1f ms, p90 %5.1f ms, worst %5.1f ms over %d random events "
           "(%zu checkpoints)   [target median < 20, worst < 100]\n",
           t[SEEKS / 2] * 1e3, t[SEEKS * 9 / 10] * 1e3, t[SEEKS - 1] * 1e3, SEEKS,
           seeker_checkpoint_count(s));
    for (int i = 0; i < STEPS; i++) {
        uint64_t to = 1 + rng_next(&rng) % n;
        if (seeker_seek(s, to) < 0)
            die(path, seeker_error(s));
        double a = now();
        if (seeker_step(s, -1) < 0)
            die(path, seeker_error(s));
        t[i] = now() - a;
    }
    qsort(t, STEPS, sizeof *t, cmp_double);
    printf("step back:  median %5.1f ms, worst %5.1f ms: the first step back from %d random events"
           "   [target < 20]\n",
           t[STEPS / 2] * 1e3, t[STEPS - 1] * 1e3, STEPS);
    /* then walking back: each step after the first */
    if (seeker_seek(s, n / 2 + 12345) < 0)
        die(path, seeker_error(s));
    double walk[1000];
    for (int i = 0; i < 1000; i++) {
        double a = now();
        if (seeker_step(s, -1) < 0)
            die(path, seeker_error(s));
        walk[i] = now() - a;
    }
    qsort(walk, 1000, sizeof *walk, cmp_double);
    printf("            walking back 1000 events: median %5.2f ms, worst %5.1f ms\n", walk[500] * 1e3,
           walk[999] * 1e3);
    struct model_totals tot;
    model_totals(seeker_model(s), &tot);
    seeker_free(s);
}

int main(int argc, char **argv)
{
    uint64_t events = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000000ull;
    if (events < 1000)
        die("usage", "bench_model [EVENTS] (at least 1000)");
    const char *tmp = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/arenascope-bench-model-%" PRIu64 ".trace",
             tmp && *tmp ? tmp : "/tmp", events);
    struct stat st;
    if (!has_index(path, events)) {
        if (stat(path, &st) == 0) {
            char err[512];
            double t0 = now();
            if (model_build_checkpoints(path, NULL, NULL, err, sizeof err) < 0)
                die("post-pass", err);
            printf("post-pass (checkpoints and summary): %.1f s\n", now() - t0);
        }
        if (!has_index(path, events))
            make_trace(path, events, SWELL, true);
    }
    if (stat(path, &st) == 0)
        printf("file:       %s, %.1f MB\n", path, (double)st.st_size / 1e6);
    /* the Python-like stream, a fifth as long, only for the fold */
    char temps[512];
    snprintf(temps, sizeof temps, "%s/arenascope-bench-model-temps-%" PRIu64 ".trace",
             tmp && *tmp ? tmp : "/tmp", events / 5);
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, temps, 0, err, sizeof err) < 0)
        make_trace(temps, events / 5, TEMPORARIES, false);
    else
        trace_reader_free(r);
    bench_fold(temps, "temps:");
    bench_fold(path, "swell:");
    bench_open(path);
    bench_seek(path);
    return 0;
}
