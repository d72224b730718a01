/*
 * bench_alloc.c - nanoseconds per malloc+free pair, side by side in one run:
 *
 *   heap, no sink                  the instrumented allocator with nobody listening
 *   heap, recording to a file      every event encoded by the trace writer into a file, as
 *                                  `arenascope record` does: the writer's encoder thread takes
 *                                  over after the first chunk (its CPU time is shown too)
 *   ... encoding in one thread     the same with the writer encoding in the emitting thread
 *   CPython 3.11 pymalloc          PyObject_Malloc/PyObject_Free of Debian's libpython3.11
 *   glibc malloc                   malloc/free
 *
 * Every run is timed by CPU time; the recording with its encoder thread is also shown by wall
 * time, which a second core makes shorter.
 *
 * The workload is the same array of operations for all four: requests sized as a running
 * CPython makes them (object headers, small ints and strings, tuples, lists, dict storage, now
 * and then a large or zero-byte one), with churn: a slot picked at random is freed when it holds
 * a block and filled otherwise, the number of live blocks drifting between phases of 2,000 to
 * 60,000.  Each figure is the median and the worst of several runs, the allocators taking turns
 * within each run; a ratio is taken within a run, then its median and worst over the runs.
 * Goals: no sink at most 1.0x CPython; recording at most 2x no sink; both faster than glibc.
 */
#include "bench.h"

#include <allocator/heap.h>
#include <tracer/trace.h>

#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NOPS 4000000u
#define NSLOTS 65536u
#define RUNS 7

struct op {
    uint32_t slot;
    uint32_t size; /* bytes to allocate when the slot is empty */
};

static struct op *ops;
static void *slots[NSLOTS];
static uint64_t pairs;

static uint64_t next_rand(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t python_size(uint64_t *s)
{
    static const uint16_t common[] = {16, 24, 28, 32, 40, 48, 48, 56, 56, 64, 72, 72, 80, 88, 96, 104,
                                      112, 120, 136, 152, 168, 184, 200, 216, 232, 256, 280, 312, 360, 400, 472, 512};
    uint64_t u = next_rand(s) % 1000;
    if (u < 5)
        return 0;
    if (u < 25)
        return 513 + (uint32_t)(next_rand(s) % 4000);
    if (u < 150)
        return 1 + (uint32_t)(next_rand(s) % 512);
    if (u < 400)
        return 49 + (uint32_t)(next_rand(s) % 40);
    return common[next_rand(s) % (sizeof common / sizeof common[0])];
}

static void make_ops(void)
{
    ops = malloc(NOPS * sizeof *ops);
    if (!ops)
        exit(1);
    uint64_t s = 2024;
    uint32_t cap = 2000;
    bool *full = calloc(NSLOTS, 1);
    for (uint32_t i = 0; i < NOPS; i++) {
        if (i % 200000 == 0)
            cap = 2000 + (uint32_t)(next_rand(&s) % 58000);
        uint32_t slot = (uint32_t)(next_rand(&s) % cap);
        ops[i] = (struct op){slot, python_size(&s)};
        if (!full[slot])
            pairs++;
        full[slot] = !full[slot];
    }
    free(full);
}

/* The process's CPU time, all threads, in ns: what the single-threaded runs are timed by, so that
 * a busy machine's preemption is not counted against one allocator. */
static double cpu_ns(void)
{
    return bench_cpu() * 1e9;
}

/* One loop per allocator, with direct calls, so that no indirection is measured that the real
 * caller would not pay.  The blocks left at the end are freed inside the timing (they are pairs). */
#define RUN_LOOP(MALLOC, FREE)                                                                   \
    do {                                                                                         \
        for (uint32_t i = 0; i < NOPS; i++) {                                                    \
            void **slot = &slots[ops[i].slot];                                                   \
            if (*slot) {                                                                         \
                FREE(*slot);                                                                     \
                *slot = NULL;                                                                    \
            } else {                                                                             \
                *slot = MALLOC(ops[i].size);                                                     \
                ((char *)*slot)[0] = 1; /* touch it, as a caller would */                        \
            }                                                                                    \
        }                                                                                        \
        for (uint32_t i = 0; i < NSLOTS; i++)                                                    \
            if (slots[i]) {                                                                      \
                FREE(slots[i]);                                                                  \
                slots[i] = NULL;                                                                 \
            }                                                                                    \
    } while (0)

static struct heap *bench_heap;
#define HEAP_MALLOC(n) heap_malloc(bench_heap, (n))
#define HEAP_FREE(p) heap_free(bench_heap, (p))

static double run_heap(const struct event_sink *sink)
{
    struct heap_profile p;
    heap_profile_parse("cpython-3.10", &p, NULL, 0);
    struct heap_arena_source src = heap_arena_source_mmap();
    if (heap_new(&bench_heap, &p, &src, sink) < 0)
        exit(1);
    double t0 = cpu_ns();
    RUN_LOOP(HEAP_MALLOC, HEAP_FREE);
    double t = cpu_ns() - t0;
    heap_delete(bench_heap);
    return t / (double)pairs;
}

static char trace_path[] = "/tmp/bench-alloc-XXXXXX";

/* Wall-clock ns per pair; *cpu gets the process's CPU time per pair (all threads). */
static double run_recording(enum trace_writer_thread mode, uint64_t *events, uint64_t *bytes, double *cpu)
{
    struct trace_header hdr;
    memset(&hdr, 0, sizeof hdr);
    snprintf(hdr.profile, sizeof hdr.profile, "cpython-3.10");
    snprintf(hdr.arena_source, sizeof hdr.arena_source, "mmap");
    hdr.alignment = 16;
    hdr.threshold = 512;
    hdr.pool_size = 16384;
    hdr.arena_size = 1048576;
    hdr.pool_overhead = 48;
    hdr.pointer_size = sizeof(void *);
    hdr.keep_last_free_arena = true;
    snprintf(hdr.command, sizeof hdr.command, "bench_alloc");
    struct trace_writer *w;
    char err[256];
    if (trace_writer_open(&w, trace_path, &hdr, err, sizeof err) < 0) {
        fprintf(stderr, "bench_alloc: %s\n", err);
        exit(1);
    }
    trace_writer_set_thread(w, mode);
    struct event_sink sink = trace_writer_sink(w);
    double c0 = cpu_ns();
    double t0 = bench_wall() * 1e9;
    double ns = run_heap(&sink);
    if (trace_writer_finish(w) < 0) {
        fprintf(stderr, "bench_alloc: %s\n", trace_writer_error(w));
        exit(1);
    }
    double total = bench_wall() * 1e9 - t0; /* including the last chunk and the index */
    *cpu = (cpu_ns() - c0) / (double)pairs;
    *events = trace_writer_event_count(w);
    *bytes = trace_writer_bytes(w);
    trace_writer_free(w);
    (void)ns;
    return total / (double)pairs;
}

static void *(*py_malloc)(size_t);
static void (*py_free)(void *);

static double run_cpython(void)
{
    double t0 = cpu_ns();
    RUN_LOOP(py_malloc, py_free);
    return (cpu_ns() - t0) / (double)pairs;
}

static double run_glibc(void)
{
    double t0 = cpu_ns();
    RUN_LOOP(malloc, free);
    return (cpu_ns() - t0) / (double)pairs;
}

/* The figures of one run, ns per pair. */
enum fig { F_HEAP, F_REC, F_REC_CPU, F_REC1, F_REC1_CPU, F_PY, F_LIBC, F_COUNT };

/* The median and the worst (largest) of n values, which it sorts. */
static void median_worst(double *v, int n, double *median, double *worst)
{
    qsort(v, (size_t)n, sizeof *v, bench_cmp_double);
    *median = n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    *worst = v[n - 1];
}

/* Figure f of every run, or its ratio to figure over in the same run: median and worst. */
static void summary(double runs[][F_COUNT], enum fig f, int over, double *median, double *worst)
{
    double v[RUNS];
    for (int r = 0; r < RUNS; r++)
        v[r] = over < 0 ? runs[r][f] : runs[r][f] / runs[r][over];
    median_worst(v, RUNS, median, worst);
}

static void print_row(double runs[][F_COUNT], const char *name, enum fig f, bool cpython, const char *note)
{
    double m, w, rm, rw;
    summary(runs, f, -1, &m, &w);
    printf("  %-34s %7.1f %7.1f", name, m, w);
    if (cpython) {
        summary(runs, f, F_PY, &rm, &rw);
        printf("   %5.2fx %5.2fx", rm, rw);
    } else {
        printf("   %6s %6s", "-", "-");
    }
    if (f != F_HEAP && f != F_PY && f != F_LIBC) {
        summary(runs, f, F_HEAP, &rm, &rw);
        printf("   %5.2fx %5.2fx no sink", rm, rw);
    }
    printf("%s\n", note);
}

int main(void)
{
    make_ops();
    int fd = mkstemp(trace_path);
    if (fd < 0)
        return 1;
    close(fd);
    const char *lib = "/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0";
    unsetenv("PYTHONMALLOC");
    unsetenv("PYTHONMALLOCSTATS");
    void *dl = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (dl) {
        void *m = dlsym(dl, "PyObject_Malloc"), *f = dlsym(dl, "PyObject_Free");
        memcpy(&py_malloc, &m, sizeof m);
        memcpy(&py_free, &f, sizeof f);
    }
    static double runs[RUNS][F_COUNT];
    uint64_t events = 0, bytes = 0;
    bool cpython = py_malloc != NULL;
    for (int r = 0; r < RUNS; r++) {
        runs[r][F_HEAP] = run_heap(NULL);
        runs[r][F_REC] = run_recording(TRACE_WRITER_THREAD_AUTO, &events, &bytes, &runs[r][F_REC_CPU]);
        runs[r][F_REC1] = run_recording(TRACE_WRITER_THREAD_NEVER, &events, &bytes, &runs[r][F_REC1_CPU]);
        runs[r][F_PY] = cpython ? run_cpython() : 1.0;
        runs[r][F_LIBC] = run_glibc();
    }
    unlink(trace_path);

    printf("arenascope allocator: %lu malloc+free pairs per run (%u operations), Python-like sizes with churn,\n"
           "2,000 to 60,000 live blocks; median and worst of %d runs (a ratio within each run); %.1f events\n"
           "and %.2f bytes of trace per pair\n\n",
           (unsigned long)pairs, NOPS, RUNS, (double)events / (double)pairs, (double)bytes / (double)pairs);
    printf("  %-34s %7s %7s   %6s %6s   %s\n", "ns per pair", "median", "worst", "vs CPython", "", "vs no sink");
    print_row(runs, "heap, no sink", F_HEAP, cpython, "");
    print_row(runs, "heap, recording to a file", F_REC, cpython, " (wall time)");
    print_row(runs, "  the same, CPU time", F_REC_CPU, cpython, " (CPU time of both threads)");
    print_row(runs, "  encoding in the emitting thread", F_REC1, cpython, " (wall time)");
    print_row(runs, "    the same, CPU time", F_REC1_CPU, cpython, "");
    if (cpython)
        print_row(runs, "CPython 3.11 pymalloc", F_PY, true, "");
    else
        printf("  %-34s %7s   (%s not found)\n", "CPython 3.11 pymalloc", "-", lib);
    print_row(runs, "glibc malloc", F_LIBC, cpython, "");
    double heap_py, w, rec, libc_m, heap_m;
    summary(runs, F_HEAP, F_PY, &heap_py, &w);
    summary(runs, F_REC_CPU, F_HEAP, &rec, &w);
    summary(runs, F_HEAP, -1, &heap_m, &w);
    summary(runs, F_LIBC, -1, &libc_m, &w);
    printf("\ngoals (medians): no sink <= 1.0x CPython: %s; recording <= 2x no sink by CPU time: %s; faster than "
           "glibc: %s\n",
           !cpython ? "n/a" : heap_py <= 1.0 ? "met" : "NOT met", rec <= 2 ? "met" : "NOT met",
           heap_m < libc_m ? "met" : "NOT met");
    free(ops);
    return 0;
}
