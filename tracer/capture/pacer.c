/*
 * pacer.c - see pacer.h.
 */
#include <tracer/pacer.h>

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void pacer_init(struct pacer *p, int ctl_fd, int status_fd, bool run, double pace)
{
    *p = (struct pacer){.ctl_fd = ctl_fd, .status_fd = status_fd, .run = run, .pace = pace};
}

static void say(struct pacer *p, char what, uint64_t step)
{
    char buf[48];
    int n = snprintf(buf, sizeof buf, "%c %" PRIu64 "\n", what, step);
    if (p->status_fd >= 0 && n > 0 && write(p->status_fd, buf, (size_t)n) < 0)
        p->status_fd = -1; /* the viewer is gone */
}

/* One command line (pacer.h). */
static void apply(struct pacer *p, const char *line)
{
    if (line[0] == 's') {
        long k = line[1] ? strtol(line + 1, NULL, 10) : 1;
        p->credits += k > 0 ? (uint64_t)k : 1;
    } else if (line[0] == 'r') {
        p->run = true;
        p->pace = strtod(line + 1, NULL);
    } else if (line[0] == 'h') {
        p->run = false;
        p->credits = 0;
    } else if (line[0] == 'b') {
        const char *at = line + 1 + strspn(line + 1, " ");
        if (!*at)
            p->nlines = 0;
        else if (p->nlines < PACER_MAX_LINES && strlen(at) < PACER_LINE_TEXT)
            snprintf(p->lines[p->nlines++], PACER_LINE_TEXT, "%s", at);
    }
}

bool pacer_holds_at(const struct pacer *p, const char *label)
{
    for (size_t i = 0; label && i < p->nlines; i++) {
        size_t len = strlen(p->lines[i]);
        if (strncmp(label, p->lines[i], len) == 0 && (label[len] == ' ' || label[len] == '\0'))
            return true;
    }
    return false;
}

/* Reads and applies the commands waiting on the control pipe; waits up to timeout_ms for the
 * first (-1: until one comes). */
static void read_commands(struct pacer *p, int timeout_ms)
{
    if (p->gone)
        return;
    struct pollfd pfd = {p->ctl_fd, POLLIN, 0};
    int r = poll(&pfd, 1, timeout_ms);
    if (r < 0 && errno == EINTR)
        return;
    if (r <= 0)
        return;
    char buf[256];
    ssize_t n = read(p->ctl_fd, buf, sizeof buf - 1);
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        p->gone = true; /* the viewer quit: run free */
        p->run = true;
        p->pace = 0;
        return;
    }
    buf[n] = '\0';
    for (ssize_t i = 0; i < n; i++) {
        if (buf[i] != '\n') {
            if (p->partial_len + 1 < sizeof p->partial)
                p->partial[p->partial_len++] = buf[i];
            else
                p->overlong = true;
            continue;
        }
        p->partial[p->partial_len] = '\0';
        if (!p->overlong)
            apply(p, p->partial);
        p->partial_len = 0;
        p->overlong = false;
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

bool pacer_wait(struct pacer *p, uint64_t step, const char *label)
{
    if (p->ctl_fd < 0 || p->gone)
        return !p->gone;
    read_commands(p, 0);
    if (pacer_holds_at(p, label)) {
        /* a breakpoint's line: held before it runs, in step mode from here */
        p->run = false;
        p->credits = 0;
    }
    if (p->run) {
        say(p, 'r', step);
        if (p->pace <= 0)
            return !p->gone;
        double until = now_ms() + 1000.0 / p->pace;
        while (p->run && !p->gone) {
            double left = until - now_ms();
            if (left <= 0)
                return true;
            read_commands(p, (int)left + 1);
        }
    }
    if (p->credits > 0) {
        p->credits--;
        say(p, 'r', step);
        return !p->gone;
    }
    say(p, 'w', step);
    while (!p->run && p->credits == 0 && !p->gone)
        read_commands(p, -1);
    if (p->credits > 0)
        p->credits--;
    say(p, 'r', step);
    return !p->gone;
}
