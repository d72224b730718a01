/* bench.h - what every benchmark measures with: a clock read in seconds (wall time by
 * CLOCK_MONOTONIC, the process's CPU time of all threads by CLOCK_PROCESS_CPUTIME_ID) and the
 * order of doubles for qsort, from which medians and worsts are read. */
#ifndef TESTS_BENCH_BENCH_H
#define TESTS_BENCH_BENCH_H

#include <time.h>

static inline double bench_clock(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline double bench_wall(void)
{
    return bench_clock(CLOCK_MONOTONIC);
}

static inline double bench_cpu(void)
{
    return bench_clock(CLOCK_PROCESS_CPUTIME_ID);
}

static inline int bench_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif
