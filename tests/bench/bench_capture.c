/*
 * bench_capture.c - a real Python program recorded, against the same program run plain: CPU
 * seconds of the whole process tree, side by side in one run.
 *
 *   plain               python3.11 WORKLOAD
 *   tracemalloc         python3.11 -X tracemalloc WORKLOAD (one frame per allocation)
 *   record, no stacks   arenascope record --stacks none: the heap and the trace writer only
 *   record, one frame   arenascope record --stack-depth 1: the allocating line
 *   record, full stacks arenascope record: the Python stack of every allocation (16 frames)
 *
 * The workloads are the scripts of tests/bench/capture: a cache of 300,000 str keys built and half
 * evicted, 200,000 instances in a linked list, a JSON round trip of a 20,000-order document.
 * Each configuration runs RUNS times, interleaved; the CPU time is user + system of the child
 * and everything it waited for (getrusage(RUSAGE_CHILDREN) before and after), so that the
 * launcher, the program and the trace writer's encoder thread are all counted.  Printed: the
 * median and the worst run, each as seconds and as a ratio to plain's median, and, for the
 * recordings, the trace's bytes per allocation (block_alloc and raw_alloc events, from info).
 * Goals (issue 9): one frame at most 1.5x plain; full stacks at most 2x.  Nothing is asserted.
 *
 * The interpreter is $BENCH_PYTHON, else /usr/bin/python3.11; the program $ARENASCOPE, the
 * workloads' directory $BENCH_WORKLOADS (meson sets both).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS 5
#define NCONFIGS 5

static const char *const workloads[] = {"dict_keys.py", "linked.py", "json_doc.py"};
static const char *const config_names[NCONFIGS] = {"plain", "tracemalloc", "record, no stacks",
                                                   "record, one frame", "record, full stacks"};

static double cpu_of(const struct rusage *r)
{
    return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
           (double)r->ru_stime.tv_usec / 1e6;
}

/* Runs argv with its output thrown away; the CPU seconds of its process tree, or -1. */
static double run_cpu(char *const argv[])
{
    struct rusage before, after;
    getrusage(RUSAGE_CHILDREN, &before);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "bench_capture: %s %s failed\n", argv[0], argv[1]);
        return -1;
    }
    getrusage(RUSAGE_CHILDREN, &after);
    return cpu_of(&after) - cpu_of(&before);
}

/* The allocations a trace holds: block_alloc and raw_alloc as `info` counts them. */
static double allocations_of(const char *arenascope, const char *trace)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' info '%s'", arenascope, trace);
    FILE *p = popen(cmd, "r");
    if (!p)
        return 0;
    char line[256];
    double n = 0;
    while (fgets(line, sizeof line, p)) {
        char kind[64], count[64];
        if (sscanf(line, " %63s %63s", kind, count) == 2 &&
            (strcmp(kind, "block_alloc") == 0 || strcmp(kind, "raw_alloc") == 0)) {
            char digits[64];
            size_t k = 0;
            for (const char *c = count; *c && k + 1 < sizeof digits; c++)
                if (*c >= '0' && *c <= '9')
                    digits[k++] = *c;
            digits[k] = '\0';
            n += strtod(digits, NULL);
        }
    }
    pclose(p);
    return n;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(void)
{
    const char *python = getenv("BENCH_PYTHON") ? getenv("BENCH_PYTHON") : "/usr/bin/python3.11";
    const char *arenascope = getenv("ARENASCOPE");
    const char *dir = getenv("BENCH_WORKLOADS");
    if (!arenascope || !dir) {
        fprintf(stderr, "bench_capture: ARENASCOPE and BENCH_WORKLOADS name the program and the workloads\n");
        return 1;
    }
    if (access(python, X_OK) != 0) {
        printf("bench_capture: %s is not installed: nothing to measure\n", python);
        return 0;
    }
    char trace[] = "/tmp/bench-capture-XXXXXX";
    int fd = mkstemp(trace);
    if (fd < 0)
        return 1;
    close(fd);

    printf("a real program recorded: CPU seconds of the process tree (user + system), %s, %d runs each\n", python,
           RUNS);
    printf("goals: one frame <= 1.5x plain, full stacks <= 2x plain\n\n");
    printf("%-14s %-20s %9s %7s %9s %7s %12s\n", "workload", "configuration", "median", "ratio", "worst", "ratio",
           "bytes/alloc");
    for (size_t w = 0; w < sizeof workloads / sizeof workloads[0]; w++) {
        char script[4096];
        snprintf(script, sizeof script, "%s/%s", dir, workloads[w]);
        char *argvs[NCONFIGS][12] = {
            {(char *)python, script, NULL},
            {(char *)python, "-X", "tracemalloc", script, NULL},
            {(char *)arenascope, "record", "--stacks", "none", "-o", trace, "--", (char *)python, script, NULL},
            {(char *)arenascope, "record", "--stack-depth", "1", "-o", trace, "--", (char *)python, script, NULL},
            {(char *)arenascope, "record", "-o", trace, "--", (char *)python, script, NULL},
        };
        double t[NCONFIGS][RUNS], per_alloc[NCONFIGS] = {0};
        for (int r = 0; r < RUNS; r++) {
            for (int c = 0; c < NCONFIGS; c++) {
                t[c][r] = run_cpu(argvs[c]);
                if (t[c][r] < 0)
                    goto out;
                if (r == 0 && c >= 2) {
                    struct stat sb;
                    double n = allocations_of(arenascope, trace);
                    if (stat(trace, &sb) == 0 && n > 0)
                        per_alloc[c] = (double)sb.st_size / n;
                }
            }
        }
        double anchor = 0;
        for (int c = 0; c < NCONFIGS; c++) {
            qsort(t[c], RUNS, sizeof t[c][0], by_value);
            double median = t[c][RUNS / 2], worst = t[c][RUNS - 1];
            if (c == 0)
                anchor = median;
            char bpa[32] = "";
            if (per_alloc[c] > 0)
                snprintf(bpa, sizeof bpa, "%.2f", per_alloc[c]);
            printf("%-14s %-20s %8.3fs %6.2fx %8.3fs %6.2fx %12s\n", c == 0 ? workloads[w] : "", config_names[c],
                   median, median / anchor, worst, worst / anchor, bpa);
        }
    }
    unlink(trace);
    return 0;
out:
    unlink(trace);
    return 1;
}
