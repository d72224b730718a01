/*
 * bench_quit: how long `q` takes in a live session, from the key reaching the viewer's terminal
 * to the viewer's exit, with no terminal multiplexer in between.
 *
 * Each session is `arenascope live --run WORKLOAD` on a pseudo-terminal of 120x40 whose screen
 * output this program reads and throws away (as a terminal would draw it).  At each age (seconds
 * into the session) a fresh session gets `q` written to its terminal; the clock runs from that
 * write to the moment waitpid() reports the viewer gone.  Afterwards the workload must be gone
 * within two seconds and the session's temporary directory empty, or the row says what stayed.
 *
 * The machine's load counts: the figure is what a user on this machine would wait, so the load
 * average is printed beside it.
 *
 * usage: bench_quit ARENASCOPE [AGES...]        (ages in seconds, default 1 5 15 60)
 * environment: BENCH_QUITS sessions per age (default 5), BENCH_QUIT_WORKLOAD (churn:10^11)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads and drops whatever the viewer drew, for up to `secs` seconds or until it closes. */
static void drain(int fd, double secs)
{
    char buf[65536];
    double end = now() + secs;
    for (;;) {
        int ms = (int)((end - now()) * 1000);
        if (ms <= 0)
            return;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, ms > 50 ? 50 : ms) > 0 && read(fd, buf, sizeof buf) <= 0)
            return;
    }
}

/* The viewer's first child: the workload it started. */
static pid_t child_of(pid_t parent)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)parent, (int)parent);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    int pid = 0;
    if (fscanf(f, "%d", &pid) != 1)
        pid = 0;
    fclose(f);
    return (pid_t)pid;
}

static bool dir_empty(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return true;
    struct dirent *e;
    bool empty = true;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = false;
    closedir(d);
    return empty;
}

/* A workload is gone when it no longer exists or has exited and awaits its reaper. */
static bool gone(pid_t pid)
{
    char path[64], state = 'Z';
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return true;
    if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
        state = 'Z';
    fclose(f);
    return state == 'Z' || state == 'X';
}

/* One session quit at `age` seconds: the milliseconds from the key to the exit, or -1. */
static double one_quit(const char *prog, const char *workload, const char *tmpdir, double age, char *left,
                       size_t leftlen)
{
    left[0] = '\0';
    struct winsize ws = {.ws_row = 40, .ws_col = 120};
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, &ws);
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setenv("TMPDIR", tmpdir, 1);
        setenv("TERM", "xterm-256color", 1);
        execl(prog, prog, "live", "--run", workload, (char *)NULL);
        _exit(127);
    }
    drain(master, age);
    pid_t work = child_of(pid);
    double t0 = now();
    if (write(master, "q", 1) != 1) {
        close(master);
        return -1;
    }
    int status;
    double t1 = t0;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            t1 = now();
            break;
        }
        if (now() - t0 > 10) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            snprintf(left, leftlen, "no exit in 10 s");
            close(master);
            return -1;
        }
        drain(master, 0.0005);
    }
    close(master);
    double wait_end = now() + 2;
    while (work > 0 && !gone(work) && now() < wait_end)
        usleep(10000);
    while (!dir_empty(tmpdir) && now() < wait_end)
        usleep(10000);
    if (work > 0 && !gone(work))
        snprintf(left, leftlen, "the workload");
    if (!dir_empty(tmpdir))
        snprintf(left + strlen(left), leftlen - strlen(left), "%sa file in the temporary directory",
                 left[0] ? " and " : "");
    return (t1 - t0) * 1000;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double load1(void)
{
    double l = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &l) != 1)
            l = 0;
        fclose(f);
    }
    return l;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_quit ARENASCOPE [AGES...]\n");
        return 2;
    }
    static const double default_ages[] = {1, 5, 15, 60};
    double ages[16];
    size_t nages = 0;
    for (int i = 2; i < argc && nages < 16; i++)
        ages[nages++] = atof(argv[i]);
    if (nages == 0)
        for (; nages < sizeof default_ages / sizeof default_ages[0]; nages++)
            ages[nages] = default_ages[nages];
    int quits = getenv("BENCH_QUITS") ? atoi(getenv("BENCH_QUITS")) : 5;
    if (quits < 1 || quits > 100)
        quits = 5;
    const char *workload = getenv("BENCH_QUIT_WORKLOAD") ? getenv("BENCH_QUIT_WORKLOAD") : "churn:100000000000";
    char tmpdir[] = "/tmp/arenascope-bench-quit-XXXXXX";
    if (!mkdtemp(tmpdir)) {
        perror("bench_quit: mkdtemp");
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    printf("live --run %s on a 120x40 pseudo-terminal: q written to the terminal, timed to the viewer's exit\n",
           workload);
    printf("%8s  %-28s  %-10s  %s\n", "age", "median / worst of quits", "load (1m)", "each quit (ms)");
    double all[16 * 100];
    size_t nall = 0;
    int failures = 0;
    for (size_t a = 0; a < nages; a++) {
        double ms[100];
        int n = 0;
        char each[1024] = "";
        double load = 0;
        for (int k = 0; k < quits; k++) {
            char left[128];
            double t = one_quit(argv[1], workload, tmpdir, ages[a], left, sizeof left);
            load += load1();
            if (left[0])
                failures++, fprintf(stderr, "bench_quit: after a quit at %.0f s: %s\n", ages[a], left);
            if (t < 0)
                continue;
            ms[n++] = t;
            all[nall++] = t;
            snprintf(each + strlen(each), sizeof each - strlen(each), "%s%.0f", n > 1 ? " " : "", t);
        }
        if (n == 0)
            continue;
        qsort(ms, (size_t)n, sizeof ms[0], cmp);
        printf("%6.0f s  %6.1f ms / %6.1f ms %8s  %-10.2f  %s   [goal 100 ms]\n", ages[a], ms[(n - 1) / 2], ms[n - 1],
               "", load / quits, each);
    }
    if (nall) {
        qsort(all, nall, sizeof all[0], cmp);
        printf("%8s  %6.1f ms / %6.1f ms over %zu quits   [goal 100 ms]\n", "all", all[(nall - 1) / 2],
               all[nall - 1], nall);
    }
    rmdir(tmpdir);
    return failures ? 1 : 0;
}
