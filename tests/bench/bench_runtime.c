/*
 * bench_runtime.c - the object runtime's speed, printed side by side with its anchor:
 *
 *   1. objects created and destroyed per second by the churn workload, without a sink and
 *      while recording a trace (the recorder, writing to a file), and recording's cost: the CPU
 *      time of every thread of the process recording against without a sink, median and worst
 *      of REPEATS (goal: 2x at most);
 *   2. the time of a full collection per million tracked objects, and CPython's own figure for
 *      the same structure measured by running python3 in the same run (the anchor).
 *
 * Usage: bench_runtime [CHURN_OPS [TRACKED_OBJECTS]]
 */
#include "bench.h"

#include "recorder.h"
#include "workload.h"

#include <allocator/gc.h>
#include <allocator/heap.h>
#include <allocator/runtime.h>

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define REPEATS 5

static void discard(void *ctx, const struct event *ev)
{
    (void)ev;
    ++*(uint64_t *)ctx;
}

/* The churn without a sink, or (sink) with one that counts the events and drops them: what
 * emitting costs the runtime, before any encoding; returns its CPU seconds, printing its rate
 * when say. */
static double churn_plain(uint64_t ops, bool say, bool sink)
{
    struct heap *h;
    struct runtime *rt;
    struct heap_arena_source src = heap_arena_source_mmap();
    uint64_t events = 0;
    struct event_sink drop = {.emit = discard, .ctx = &events};
    if (heap_new(&h, heap_profile_at(0), &src, sink ? &drop : NULL) < 0 || rt_new(&rt, h, NULL, sink ? &drop : NULL) < 0) {
        fprintf(stderr, "bench_runtime: could not create the heap\n");
        exit(1);
    }
    struct workload_env env = {.heap = h, .rt = rt};
    double t0 = bench_wall(), c0 = bench_cpu();
    workload_churn(&env, ops);
    double t1 = bench_wall(), cpu = bench_cpu() - c0;
    uint64_t objects = rt_counts(rt).created + rt_counts(rt).destroyed;
    if (say)
        printf("churn %" PRIu64 " ops, %s %10.0f objects created+destroyed/s (%.3f s)\n", ops,
               sink ? "events dropped:" : "no recording:  ", (double)objects / (t1 - t0), t1 - t0);
    rt_delete(rt);
    heap_delete(h);
    return cpu;
}

/* The churn recorded to a file; returns its CPU seconds (every thread), printing its rate when
 * say. */
static double churn_recorded(uint64_t ops, bool say)
{
    char path[] = "/tmp/bench-runtime-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("bench_runtime: mkstemp");
        exit(1);
    }
    close(fd);
    char spec[64], err[256];
    snprintf(spec, sizeof spec, "churn:%" PRIu64, ops);
    struct workload *w = workload_prepare(spec, err, sizeof err);
    struct recorder_options o = {.gc = gc_profile_default(),
                                 .command = "bench_runtime", .path = path};
    struct recorder *r;
    if (!w || recorder_open(&r, &o, true, err, sizeof err) < 0) {
        fprintf(stderr, "bench_runtime: %s\n", err);
        exit(1);
    }
    struct workload_env *env = recorder_env(r);
    double t0 = bench_wall(), c0 = bench_cpu();
    uint64_t objects = 0;
    /* the recorder destroys the runtime at the end of the run: count before that */
    workload_churn(env, ops);
    objects = rt_counts(env->rt).created + rt_counts(env->rt).destroyed;
    double t1 = bench_wall(), cpu = bench_cpu() - c0;
    if (recorder_finish(r, err, sizeof err) < 0)
        fprintf(stderr, "bench_runtime: %s\n", err);
    if (say)
        printf("churn %" PRIu64 " ops, recording:      %10.0f objects created+destroyed/s (%.3f s, "
               "%" PRIu64 " events)\n",
               ops, (double)objects / (t1 - t0), t1 - t0, recorder_event_count(r));
    recorder_free(r);
    workload_free(w);
    unlink(path);
    return cpu;
}

static void full_collection(uint64_t n)
{
    struct heap *h;
    struct runtime *rt;
    struct heap_arena_source src = heap_arena_source_mmap();
    if (heap_new(&h, heap_profile_at(0), &src, NULL) < 0 || rt_new(&rt, h, NULL, NULL) < 0)
        exit(1);
    gc_disable(rt);
    struct rt_object *keep = rt_list(rt, 0, NULL);
    for (uint64_t i = 0; i < n; i++) {
        struct rt_object *l = rt_list(rt, 0, NULL);
        rt_list_append(rt, keep, l);
        rt_decref(rt, l, EV_REF_TEMP, NULL);
    }
    gc_collect(rt, 2);
    double best = 1e9;
    for (int k = 0; k < 5; k++) {
        double t0 = bench_wall();
        gc_collect(rt, 2);
        double t = bench_wall() - t0;
        best = t < best ? t : best;
    }
    printf("full collection, %" PRIu64 " tracked lists: %8.1f ms per million objects\n", n,
           best * 1e3 * 1e6 / (double)n);
    rt_decref(rt, keep, EV_REF_TEMP, NULL);
    rt_delete(rt);
    heap_delete(h);
}

static void cpython_anchor(uint64_t n)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import gc,time\n"
             "gc.disable()\n"
             "keep=[[] for i in range(%" PRIu64 ")]\n"
             "gc.collect()\n"
             "best=1e9\n"
             "for k in range(5):\n"
             "    t=time.perf_counter(); gc.collect(); best=min(best,time.perf_counter()-t)\n"
             "print(\"%%.1f\" %% (best*1e3*1e6/%" PRIu64 "))' 2>/dev/null",
             n, n);
    FILE *p = popen(cmd, "r");
    char line[64] = "";
    if (!p || !fgets(line, sizeof line, p)) {
        printf("full collection, CPython (python3):      not measured (python3 unavailable)\n");
        if (p)
            pclose(p);
        return;
    }
    pclose(p);
    double ms = atof(line);
    printf("full collection, CPython (python3):     %8.1f ms per million objects (anchor)\n", ms);
}

int main(int argc, char **argv)
{
    uint64_t ops = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    uint64_t tracked = argc > 2 ? strtoull(argv[2], NULL, 10) : 1000000;
    double ratio[REPEATS], dropped[REPEATS];
    for (int k = 0; k < REPEATS; k++) {
        double plain = churn_plain(ops, k == 0, false);
        dropped[k] = churn_plain(ops, k == 0, true) / plain;
        ratio[k] = churn_recorded(ops, k == 0) / plain;
    }
    qsort(ratio, REPEATS, sizeof *ratio, bench_cmp_double);
    qsort(dropped, REPEATS, sizeof *dropped, bench_cmp_double);
    printf("churn recording vs no sink, CPU time of every thread: median %.2fx, worst %.2fx of %d "
           "(goal <= 2x)\n", ratio[REPEATS / 2], ratio[REPEATS - 1], REPEATS);
    printf("  of which emitting, events dropped by the sink:       median %.2fx, worst %.2fx\n",
           dropped[REPEATS / 2], dropped[REPEATS - 1]);
    full_collection(tracked);
    cpython_anchor(tracked);
    return 0;
}
