/*
 * output.c - descriptors 1 and 2 through pipes, read by a thread, drained into events (output.h).
 *
 * One mutex guards the buffered text and the pipes' read ends: the reader thread takes it after
 * poll() says a pipe has bytes, the GIL's thread when it drains.  Either way the bytes read are
 * passed on to the original descriptor at once and appended to the buffer of their stream, so
 * the order within a stream is the order of writes.  `pending` is the only shared word read
 * without the mutex.
 *
 * The reader is stopped around a fork() of the program (output_pause, joined) and started
 * again at the parent's next allocator call (output_resume, from preload.c's tick): CPython 3.12+
 * counts the threads of a process that forks and warns when there are several, and the program
 * alone has only one.  A live capture keeps its reader, which may wait for the GIL that the
 * forking thread holds.
 */
#include "output.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUTPUT_KEEP (1u << 20) /* bytes kept per stream between drains; more are passed on only */

struct stream {
    int fd;        /* descriptor of the program's: 1 or 2 */
    int original;  /* where it went before: a copy of the original descriptor */
    int read_end;  /* the pipe's read end */
    char *buf;
    size_t len, cap;
    size_t dropped; /* bytes passed on but not kept, the buffer being full */
};

struct output {
    struct stream s[2];
    pthread_mutex_t lock;
    pthread_t thread;
    atomic_bool pending;
    bool thread_live;
    int wake[2];           /* a byte on wake[1] stops the reader (output_pause) */
    void (*idle)(void *ctx);
    void *idle_ctx;
    int idle_ms;
};

/* Appends to a stream's buffer (the mutex held). */
static void keep(struct stream *st, const char *p, size_t n)
{
    if (st->len + n > OUTPUT_KEEP) {
        st->dropped += n;
        return;
    }
    if (st->len + n > st->cap) {
        size_t cap = st->cap ? st->cap : 4096;
        while (cap < st->len + n)
            cap *= 2;
        char *b = realloc(st->buf, cap);
        if (!b) {
            st->dropped += n;
            return;
        }
        st->buf = b;
        st->cap = cap;
    }
    memcpy(st->buf + st->len, p, n);
    st->len += n;
}

static void pass_on(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the original is gone: the text is still kept */
        p += w;
        n -= (size_t)w;
    }
}

/* Reads what a stream's pipe holds, without blocking (the mutex held).  True when bytes came. */
static bool pump(struct output *o, struct stream *st)
{
    bool any = false;
    char buf[16384];
    for (;;) {
        ssize_t n = read(st->read_end, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        pass_on(st->original, buf, (size_t)n);
        keep(st, buf, (size_t)n);
        any = true;
    }
    if (any)
        atomic_store_explicit(&o->pending, true, memory_order_release);
    return any;
}

static void *reader(void *arg)
{
    struct output *o = arg;
    struct pollfd pfd[3] = {{o->s[0].read_end, POLLIN, 0}, {o->s[1].read_end, POLLIN, 0}, {o->wake[0], POLLIN, 0}};
    for (;;) {
        int r = poll(pfd, 3, o->idle ? o->idle_ms : -1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (o->idle)
            o->idle(o->idle_ctx);
        if (r == 0)
            continue;
        if (pfd[2].revents) {
            char b;
            if (read(o->wake[0], &b, 1) < 0) {
                /* nothing was there: asked to stop all the same */
            }
            return NULL;
        }
        pthread_mutex_lock(&o->lock);
        bool any = pump(o, &o->s[0]) | pump(o, &o->s[1]);
        pthread_mutex_unlock(&o->lock);
        if (!any && ((pfd[0].revents | pfd[1].revents) & (POLLHUP | POLLERR)))
            return NULL; /* every writer closed: nothing more can come */
    }
}

static bool stream_start(struct stream *st, int fd)
{
    int p[2];
    st->fd = fd;
    st->original = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (st->original < 0)
        return false;
    if (pipe2(p, O_CLOEXEC) < 0) {
        close(st->original);
        return false;
    }
    st->read_end = p[0];
    fcntl(st->read_end, F_SETFL, fcntl(st->read_end, F_GETFL) | O_NONBLOCK);
    /* the program's descriptor: the write end, inherited by what it starts */
    if (dup2(p[1], fd) < 0) {
        close(p[0]);
        close(p[1]);
        close(st->original);
        return false;
    }
    close(p[1]);
    return true;
}

/* The reader blocks no signal the program expects: it only waits in poll(). */
static void reader_start(struct output *o)
{
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    o->thread_live = pthread_create(&o->thread, NULL, reader, o) == 0;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct output *output_start(void (*idle)(void *ctx), void *ctx, int idle_ms)
{
    struct output *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->idle = idle;
    o->idle_ctx = ctx;
    o->idle_ms = idle_ms;
    pthread_mutex_init(&o->lock, NULL);
    if (!stream_start(&o->s[0], 1)) {
        free(o);
        return NULL;
    }
    if (!stream_start(&o->s[1], 2)) {
        dup2(o->s[0].original, 1);
        close(o->s[0].original);
        close(o->s[0].read_end);
        free(o);
        return NULL;
    }
    if (pipe2(o->wake, O_CLOEXEC) < 0)
        o->wake[0] = o->wake[1] = -1;
    reader_start(o);
    return o;
}

bool output_pause(struct output *o)
{
    if (!o->thread_live || o->idle || o->wake[1] < 0)
        return false;
    char b = 0;
    if (write(o->wake[1], &b, 1) != 1)
        return false;
    pthread_join(o->thread, NULL);
    o->thread_live = false;
    return true;
}

void output_resume(struct output *o)
{
    if (!o->thread_live)
        reader_start(o);
}

bool output_pending(const struct output *o)
{
    return atomic_load_explicit(&o->pending, memory_order_relaxed);
}

int output_original_fd(const struct output *o, int fd)
{
    return fd == 1 ? o->s[0].original : fd == 2 ? o->s[1].original : fd;
}

static void emit_print(const struct event_sink *sink, int stream, const char *p, size_t n)
{
    struct event ev = {.kind = EV_PRINT};
    ev.u.print.stream = (uint64_t)stream;
    ev.str = p;
    ev.str_len = (uint32_t)n;
    sink->emit(sink->ctx, &ev);
}

/* Emits the whole lines of a stream (all its text when `all`) and keeps the rest. */
static void drain_stream(struct stream *st, const struct event_sink *sink, bool all)
{
    size_t start = 0;
    for (size_t i = 0; i < st->len; i++) {
        if (st->buf[i] != '\n')
            continue;
        emit_print(sink, st->fd, st->buf + start, i - start);
        start = i + 1;
    }
    if (all && start < st->len) {
        emit_print(sink, st->fd, st->buf + start, st->len - start);
        start = st->len;
    }
    if (st->dropped && all) {
        static const char note[] = "[arenascope: more output than it keeps between two events was passed on only]";
        emit_print(sink, st->fd, note, sizeof note - 1);
        st->dropped = 0;
    }
    if (start > 0 && start < st->len)
        memmove(st->buf, st->buf + start, st->len - start);
    st->len -= start;
}

void output_drain(struct output *o, const struct event_sink *sink, bool all)
{
    pthread_mutex_lock(&o->lock);
    pump(o, &o->s[0]);
    pump(o, &o->s[1]);
    atomic_store_explicit(&o->pending, false, memory_order_relaxed);
    if (sink->emit) {
        drain_stream(&o->s[0], sink, all);
        drain_stream(&o->s[1], sink, all);
    }
    pthread_mutex_unlock(&o->lock);
}

void output_forget(struct output *o)
{
    /* The mutex may have been held by the reader at fork(): it is not taken again here. */
    o->thread_live = false;
}
