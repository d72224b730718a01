/*
 * live.c - the workload in a child process, its trace, and the channels to it; see live.h.
 *
 *      viewer (parent)                                   workload (child)
 *      ───────────────                                   ────────────────
 *      seeker follows FILE  ◀──── trace chunks ────────  trace writer on FILE
 *      ui_live.step/run     ───── control pipe ────────▶ pacer at each step marker
 *      ui_live.state        ◀──── status pipe ─────────  "w N" waiting at marker N, "r", "f"
 *                           ◀──── stderr pipe ─────────  why it failed, if it did
 *
 * The control protocol is one command per line: "s" lets the workload run to its next step
 * marker; "r PACE" switches to run mode at PACE markers per second (0: no pause at all); "h"
 * switches back to step mode (hold at the next marker); "b FILE:LINE" holds a real program at
 * that line's marker even in run mode, and "b" alone forgets those lines (the viewer sends its
 * line breakpoints so, whenever they change: tracer/pacer.h).  At each marker the child flushes the
 * writer (so the viewer sees every event up to the marker), reports where it is, and then holds
 * or paces itself.  If the control pipe closes (the viewer quit), the child exits.
 *
 * The child ignores SIGINT: Ctrl-C in the terminal is the viewer's to handle, and the viewer
 * ends the child with SIGTERM when it quits.
 */
#include "live.h"

#include "program.h"
#include "recorder.h"
#include "workload.h"

#include <allocator/gc.h>
#include <allocator/runtime.h>
#include <tracer/model.h>
#include <tracer/pacer.h>
#include <tracer/trace.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIVE_START_TIMEOUT_MS 30000 /* for the child to write its trace header (a sanitized build on a busy machine is slow) */
#define LIVE_END_WAIT_MS 30          /* for the child to die when the viewer quits */
#define KEEPER_FD 3                  /* the keeper's socket, in the keeper */
#define KEEPER_MAX_FDS 64            /* files handed to the keeper at the quit */

struct live {
    pid_t pid;
    int ctl_fd;    /* commands to the child */
    int status_fd; /* its state lines */
    int err_fd;    /* its stderr */
    char path[PATH_MAX];
    bool temporary;
    bool reaped;
    int wait_status;
    enum ui_live_state state;
    uint64_t waiting_at; /* the marker it holds at */
    bool run;            /* started in run mode */
    double pace;
    char status_buf[128]; /* a partial status line */
    size_t status_len;
    char err_buf[256];    /* a partial stderr line */
    size_t err_len;
    char last_err[256];   /* the last whole line the child wrote to stderr */
    bool program;         /* a real Python program, not a built-in workload */
    bool handed_off;      /* the temporary trace is unlinked by the keeper (live_hand_off) */
    int keeper_fd;        /* the socket to the keeper (keeper_start), or -1 */
    int claim_fd;         /* --record's file, locked while this session records it, or -1 */
    bool stopped;         /* the viewer quit and ended the child: its death is no failure */
    uint64_t cap;         /* bytes the trace keeps; 0: no cap */
    struct ui_live ops;
};

/* ---- the child ------------------------------------------------------------------------------- */

/* Called by the recorder after each step marker, once the marker's chunk is flushed.  When the
 * viewer is gone, the workload has no one to run for. */
static void child_pace(void *ctx, uint64_t step)
{
    if (!pacer_wait(ctx, step, NULL))
        _exit(0);
}

static void say_status(int fd, const char *text)
{
    if (write(fd, text, strlen(text)) < 0)
        _exit(1);
}

/* The child's whole life: record the workload to path.  Never returns. */
static void child_main(struct workload *wl, const char *spec, const struct live_options *opt, const char *path,
                       uint64_t cap, int ctl_fd, int status_fd)
{
    char err[512];
    struct gc_profile gc = *gc_profile_default();
    if (opt->gc_profile && gc_profile_parse(opt->gc_profile, &gc, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        _exit(1);
    }
    char command[512];
    snprintf(command, sizeof command, "arenascope live %s", spec);
    struct pacer pacer;
    pacer_init(&pacer, ctl_fd, status_fd, opt->run, opt->pace);
    struct recorder_options ro = {
        .profile = opt->profile,
        .arena_source = opt->arena_source,
        .gc = &gc,

        .stacks = opt->stacks,
        .stack_depth = opt->stack_depth,
        .command = command,
        .path = path,
        .flush_each_step = true,
        .window = cap,
        .checkpoints = true,
        .pace = child_pace,
        .pace_ctx = &pacer,
    };
    struct recorder *r;
    if (recorder_open(&r, &ro, workload_needs_runtime(wl), err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        _exit(1);
    }
    int rc = recorder_run(r, wl, err, sizeof err);
    if (rc < 0)
        fprintf(stderr, "%s\n", err);
    if (recorder_finish(r, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rc = -1;
    }
    recorder_free(r);
    say_status(status_fd, "f\n");
    _exit(rc < 0 ? 1 : 0);
}

/* ---- the parent's side ------------------------------------------------------------------------ */

static void send_cmd(struct live *l, const char *cmd)
{
    if (l->ctl_fd >= 0 && write(l->ctl_fd, cmd, strlen(cmd)) < 0) {
        /* the child is gone: state() will say so */
    }
}

static void ops_step(void *ctx)
{
    send_cmd(ctx, "s\n");
}

static void ops_run(void *ctx, bool run, double pace)
{
    char buf[64];
    if (run)
        snprintf(buf, sizeof buf, "r %g\n", pace);
    else
        snprintf(buf, sizeof buf, "h\n");
    send_cmd(ctx, buf);
}

static void ops_hold_lines(void *ctx, const char *const *lines, size_t n)
{
    send_cmd(ctx, "b\n");
    for (size_t i = 0; i < n; i++) {
        char buf[PACER_COMMAND_MAX];
        int len = snprintf(buf, sizeof buf, "b %s\n", lines[i]);
        if (len > 0 && (size_t)len < sizeof buf)
            send_cmd(ctx, buf);
    }
}

/* Drains a non-blocking descriptor into a line buffer; calls fn for each whole line. */
static void read_lines(int fd, char *buf, size_t *len, size_t cap, void (*fn)(struct live *, const char *),
                       struct live *l)
{
    for (;;) {
        ssize_t n = read(fd, buf + *len, cap - 1 - *len);
        if (n <= 0)
            return;
        *len += (size_t)n;
        buf[*len] = '\0';
        char *nl;
        while ((nl = strchr(buf, '\n'))) {
            *nl = '\0';
            fn(l, buf);
            size_t rest = *len - (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, rest);
            *len = rest;
            buf[*len] = '\0';
        }
        if (*len >= cap - 1)
            *len = 0; /* a line longer than the buffer: drop it */
    }
}

static void on_status(struct live *l, const char *line)
{
    switch (line[0]) {
    case 'w':
        l->state = UI_LIVE_WAITING;
        l->waiting_at = strtoull(line + 1, NULL, 10);
        break;
    case 'r':
        l->state = UI_LIVE_RUNNING;
        break;
    case 'f':
        l->state = UI_LIVE_FINISHED;
        break;
    case 'p':
        l->state = UI_LIVE_RUNNING;
        break;
    default:
        break;
    }
}

static void on_stderr(struct live *l, const char *line)
{
    if (*line)
        snprintf(l->last_err, sizeof l->last_err, "%s", line);
}

static void reap(struct live *l)
{
    if (l->reaped || l->pid <= 0)
        return;
    pid_t r = waitpid(l->pid, &l->wait_status, WNOHANG);
    if (r != l->pid)
        return;
    l->reaped = true;
    read_lines(l->err_fd, l->err_buf, &l->err_len, sizeof l->err_buf, on_stderr, l);
    if (l->stopped)
        return;
    if (WIFEXITED(l->wait_status) && WEXITSTATUS(l->wait_status) == 0)
        l->state = UI_LIVE_FINISHED;
    else
        l->state = UI_LIVE_DIED;
}

static enum ui_live_state ops_state(void *ctx, char *msg, size_t len)
{
    struct live *l = ctx;
    read_lines(l->status_fd, l->status_buf, &l->status_len, sizeof l->status_buf, on_status, l);
    read_lines(l->err_fd, l->err_buf, &l->err_len, sizeof l->err_buf, on_stderr, l);
    reap(l);
    msg[0] = '\0';
    const char *who = l->program ? "the program" : "the workload";
    if (l->state == UI_LIVE_DIED) {
        if (WIFSIGNALED(l->wait_status))
            snprintf(msg, len, "%s was killed by SIG%s; its trace is kept in %s", who,
                     sigabbrev_np(WTERMSIG(l->wait_status)) ? sigabbrev_np(WTERMSIG(l->wait_status)) : "?", l->path);
        else if (l->program)
            snprintf(msg, len, "the program exited with status %d%s%s", WEXITSTATUS(l->wait_status),
                     l->last_err[0] ? ": " : "", l->last_err);
        else if (l->last_err[0])
            snprintf(msg, len, "the workload failed: %s", l->last_err);
        else
            snprintf(msg, len, "the workload exited with status %d; its trace is kept in %s",
                     WEXITSTATUS(l->wait_status), l->path);
    } else if (l->state == UI_LIVE_WAITING) {
        snprintf(msg, len, "holding at step %" PRIu64, l->waiting_at);
    } else if (l->state == UI_LIVE_FINISHED && l->program) {
        snprintf(msg, len, "the program exited with status 0");
    }
    return l->state;
}

static void set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0)
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* In a child: standard input and output (and error, when `err`) read and write /dev/null. */
static void stdio_to_null(bool err)
{
    int devnull = open("/dev/null", O_RDWR);
    if (devnull < 0)
        return;
    dup2(devnull, STDIN_FILENO);
    dup2(devnull, STDOUT_FILENO);
    if (err)
        dup2(devnull, STDERR_FILENO);
    if (devnull > STDERR_FILENO)
        close(devnull);
}

uint64_t live_default_cap(const char *dir)
{
    uint64_t cap = LIVE_DEFAULT_CAP;
    struct statvfs sv;
    if (statvfs(dir, &sv) == 0) {
        uint64_t tenth = (uint64_t)sv.f_bavail * sv.f_frsize / 10;
        if (tenth < cap)
            cap = tenth;
    }
    return cap < LIVE_MIN_CAP ? LIVE_MIN_CAP : cap;
}

/* The trace file (kept, or temporary) and the three pipes; the child's ends in *child. */
struct child_ends {
    int ctl, status, err;
};

static struct live *live_new(const struct live_options *opt, struct child_ends *child, char *err, size_t errlen)
{
    struct live *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    l->ctl_fd = l->status_fd = l->err_fd = l->keeper_fd = l->claim_fd = -1;
    l->state = UI_LIVE_STARTING;
    l->run = opt->run;
    l->pace = opt->pace;
    if (opt->record) {
        snprintf(l->path, sizeof l->path, "%s", opt->record);
        l->claim_fd = recorder_claim(l->path, err, errlen);
        if (l->claim_fd < 0)
            goto out_live;
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(l->path, sizeof l->path, "%s/arenascope-live-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        int fd = mkstemp(l->path);
        if (fd < 0) {
            snprintf(err, errlen, "%s: %s", l->path, strerror(errno));
            goto out_live;
        }
        close(fd);
        l->temporary = true;
    }
    if (opt->max_trace_size_given) {
        l->cap = opt->max_trace_size;
    } else if (!opt->record) {
        char dir[PATH_MAX];
        snprintf(dir, sizeof dir, "%s", l->path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        l->cap = live_default_cap(slash ? dir : ".");
    }
    int ctl[2], status[2], errp[2];
    if (pipe(ctl) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto out_file;
    }
    if (pipe(status) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto out_ctl;
    }
    if (pipe(errp) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        goto out_status;
    }
    /* the viewer's ends do not go to the child's exec */
    fcntl(ctl[1], F_SETFD, FD_CLOEXEC);
    fcntl(status[0], F_SETFD, FD_CLOEXEC);
    fcntl(errp[0], F_SETFD, FD_CLOEXEC);
    l->ctl_fd = ctl[1];
    l->status_fd = status[0];
    l->err_fd = errp[0];
    *child = (struct child_ends){ctl[0], status[1], errp[1]};
    return l;

out_status:
    close(status[0]);
    close(status[1]);
out_ctl:
    close(ctl[0]);
    close(ctl[1]);
out_file:
    unlink(l->path);
out_live:
    if (l->claim_fd >= 0)
        close(l->claim_fd);
    free(l);
    return NULL;
}

static void keeper_start(struct live *l);

/* After the fork: the parent keeps its ends, non-blocking, and the child's ends are closed. */
static void live_started(struct live *l, const struct child_ends *child)
{
    close(child->ctl);
    close(child->status);
    close(child->err);
    set_nonblock(l->status_fd);
    set_nonblock(l->err_fd);
    signal(SIGPIPE, SIG_IGN);
    l->ops = (struct ui_live){l, ops_step, ops_run, ops_state, ops_hold_lines};
    keeper_start(l);
}

int live_start(struct live **out, const char *spec, const struct live_options *opt, char *err, size_t errlen)
{
    *out = NULL;
    /* everything that can be wrong with the request is found before the child starts */
    struct recorder_options check = {
        .profile = opt->profile, .arena_source = opt->arena_source, .stack_depth = opt->stack_depth};
    if (recorder_check_options(&check, err, errlen) < 0)
        return -1;
    struct gc_profile gc;
    if (opt->gc_profile && gc_profile_parse(opt->gc_profile, &gc, err, errlen) < 0)
        return -1;
    struct workload *wl = workload_prepare(spec, err, errlen);
    if (!wl)
        return -1;
    struct child_ends child;
    struct live *l = live_new(opt, &child, err, errlen);
    if (!l) {
        workload_free(wl);
        return -1;
    }
    fflush(NULL);
    pid_t viewer = getpid();
    l->pid = fork();
    if (l->pid < 0) {
        snprintf(err, errlen, "fork: %s", strerror(errno));
        live_started(l, &child);
        l->pid = 0;
        live_free(l, NULL, 0);
        workload_free(wl);
        return -1;
    }
    if (l->pid == 0) {
        /* a viewer killed outright takes its workload with it (the pipes alone do not: a
         * workload running without markers never reads them) */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != viewer)
            _exit(0);
        signal(SIGINT, SIG_IGN);
        signal(SIGPIPE, SIG_DFL);
        close(l->ctl_fd);
        close(l->status_fd);
        close(l->err_fd);
        stdio_to_null(false);
        dup2(child.err, STDERR_FILENO);
        close(child.err);
        child_main(wl, spec, opt, l->path, l->cap, child.ctl, child.status);
    }
    live_started(l, &child);
    workload_free(wl);

    /* wait for the header, so that the viewer can open the file */
    for (int waited = 0;; waited += 10) {
        struct stat st;
        if (stat(l->path, &st) == 0 && st.st_size > 0)
            break;
        reap(l);
        if (l->reaped || waited >= LIVE_START_TIMEOUT_MS) {
            char msg[256];
            ops_state(l, msg, sizeof msg);
            snprintf(err, errlen, "%s", l->last_err[0] ? l->last_err : "the workload did not start");
            live_free(l, NULL, 0);
            return -1;
        }
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    *out = l;
    return 0;
}

int live_start_program(struct live **out, struct program_spec *spec, const struct live_options *opt,
                       bool *refused, char *err, size_t errlen)
{
    *out = NULL;
    *refused = false;
    struct child_ends child;
    struct live *l = live_new(opt, &child, err, errlen);
    if (!l)
        return -1;
    /* with line steps the program holds before each line unless --run; without, it runs at full
     * speed and the view follows it */
    l->run = opt->run || !spec->cfg.step_lines;
    l->program = true;
    spec->cfg.mode = CAPTURE_RECORD;
    spec->cfg.live = true;
    spec->cfg.hold = !l->run;
    spec->cfg.window = l->cap;
    spec->cfg.pace = opt->pace_given ? opt->pace : 0;
    l->pace = spec->cfg.pace;
    snprintf(spec->cfg.trace, sizeof spec->cfg.trace, "%s", l->path);
    /* the program's stderr goes to the viewer's pipe (its last line says why it failed) as well
     * as into the trace */
    l->pid = program_spawn(spec, true, child.err, child.status, child.ctl, NULL, err, errlen);
    live_started(l, &child);
    if (l->pid < 0) {
        l->pid = 0;
        live_free(l, NULL, 0);
        return -1;
    }
    /* the status pipe is blocking for the wait, then non-blocking again */
    int fl = fcntl(l->status_fd, F_GETFL);
    fcntl(l->status_fd, F_SETFL, fl & ~O_NONBLOCK);
    char version[32];
    int rc = program_await(l->status_fd, l->pid, spec->argv[0], LIVE_START_TIMEOUT_MS, version, sizeof version,
                           refused, err, errlen);
    fcntl(l->status_fd, F_SETFL, fl | O_NONBLOCK);
    if (rc < 0) {
        l->reaped = waitpid(l->pid, &l->wait_status, WNOHANG) == l->pid;
        live_free(l, NULL, 0);
        return -1;
    }
    l->state = l->run ? UI_LIVE_RUNNING : UI_LIVE_STARTING;
    *out = l;
    return 0;
}

const char *live_trace_path(const struct live *l)
{
    return l->path;
}

pid_t live_pid(const struct live *l)
{
    return l->pid;
}

const struct ui_live *live_controls(struct live *l)
{
    return &l->ops;
}

bool live_free(struct live *l, char *kept_path, size_t len)
{
    if (!l)
        return false;
    if (l->ctl_fd >= 0)
        close(l->ctl_fd);
    l->ctl_fd = -1;
    reap(l);
    if (!l->reaped && l->pid > 0 && !l->stopped) {
        kill(l->pid, SIGTERM);
        for (int waited = 0; waited < LIVE_END_WAIT_MS && !l->reaped; waited++) {
            struct timespec ms = {0, 1000 * 1000};
            if (waitpid(l->pid, &l->wait_status, WNOHANG) == l->pid)
                l->reaped = true;
            else
                nanosleep(&ms, NULL);
        }
    }
    if (l->status_fd >= 0)
        close(l->status_fd);
    if (l->err_fd >= 0)
        close(l->err_fd);
    if (l->keeper_fd >= 0)
        close(l->keeper_fd);
    if (l->claim_fd >= 0)
        close(l->claim_fd);
    bool died = l->state == UI_LIVE_DIED;
    bool kept = (!l->temporary && !l->handed_off) || died;
    if (!kept && !l->handed_off)
        unlink(l->path);
    if (kept && kept_path)
        snprintf(kept_path, len, "%s", l->path);
    free(l);
    return kept;
}

/* The viewer quits: the child is told first, so that it stops competing for the processor while
 * the viewer winds down, and it is not waited for (it dies on its own, and its death signal ends
 * it with the viewer at the latest); its death is then no failure of the workload. */
static void live_stop(struct live *l)
{
    if (l->ctl_fd >= 0)
        close(l->ctl_fd);
    l->ctl_fd = -1;
    if (!l->reaped && l->pid > 0)
        kill(l->pid, SIGTERM);
    l->stopped = true;
}

/*
 * Quitting is answered at once, however large the session grew: closing a trace of gigabytes and
 * the seeker's file of checkpoints, and unlinking the temporary trace, make the kernel free their
 * blocks, which takes seconds.  A keeper process takes that over: at the quit the viewer hands it
 * every file it has open (over a socket, as SCM_RIGHTS), so that the viewer's own closes are
 * quick, and the keeper, woken by the end of the socket when the viewer is gone, unlinks the
 * temporary trace and exits, paying for the release where no one waits.
 *
 * The keeper is started with the session, while the viewer is small, and not at the quit: a
 * process forked from the viewer shares its pages until either writes them, and the viewer
 * freeing its model after such a fork would copy every page it touches, on a busy machine for
 * longer than the quit may take.  It is a grandchild (its parent exits at once), so that no one
 * waits for it, and it keeps no descriptor of the viewer's but its socket: the workload's pipes
 * must end when the viewer does.
 */
static void keeper_main(const char *path)
{
    close_range(KEEPER_FD + 1, ~0U, 0); /* the viewer's descriptors, above its socket */
    stdio_to_null(true);
    bool unlink_it = false;
    for (;;) {
        char what = 0;
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(KEEPER_MAX_FDS * sizeof(int))];
        } ctl;
        struct iovec iov = {&what, 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
        ssize_t n = recvmsg(KEEPER_FD, &m, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break; /* the viewer is gone: its files (the ones received) close with this process */
        if (what == 'u')
            unlink_it = true;
    }
    if (unlink_it)
        unlink(path);
    _exit(0);
}

static void keeper_start(struct live *l)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return;
    pid_t child = fork();
    if (child == 0) {
        setsid();
        if (fork() == 0 && dup2(sv[1], KEEPER_FD) == KEEPER_FD)
            keeper_main(l->path);
        _exit(0);
    }
    close(sv[1]);
    if (child < 0) {
        close(sv[0]);
        return;
    }
    while (waitpid(child, NULL, 0) < 0 && errno == EINTR)
        ;
    l->keeper_fd = sv[0];
}

/* Hands the keeper every regular file the viewer has open, and the temporary trace to unlink. */
static void live_hand_off(struct live *l)
{
    if (l->keeper_fd < 0)
        return;
    bool unlink_it = l->temporary && l->state != UI_LIVE_DIED;
    int fds[KEEPER_MAX_FDS];
    size_t n = 0;
    DIR *d = opendir("/proc/self/fd");
    struct dirent *e;
    while (d && (e = readdir(d)) && n < KEEPER_MAX_FDS) {
        int fd = atoi(e->d_name);
        struct stat st;
        if (fd > STDERR_FILENO && fd != l->keeper_fd && fd != dirfd(d) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
            fds[n++] = fd;
    }
    if (d)
        closedir(d);
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(KEEPER_MAX_FDS * sizeof(int))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    char what = unlink_it ? 'u' : 'k';
    struct iovec iov = {&what, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        m.msg_control = ctl.buf;
        m.msg_controllen = CMSG_SPACE(n * sizeof(int));
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    }
    ssize_t sent;
    while ((sent = sendmsg(l->keeper_fd, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
        ;
    if (sent == 1 && unlink_it)
        l->temporary = false, l->handed_off = true;
}

int live_view(struct live *l, const char *title, const struct ui_look *look, struct ui_term *term, char *err,
              size_t errlen)
{
    err[0] = '\0';
    struct seeker *s;
    if (seeker_open(&s, live_trace_path(l), SEEKER_FOLLOW, err, errlen) < 0)
        return 1;
    int status = 1;
    struct ui_config cfg = {.title = title, .look = *look, .live = live_controls(l), .live_run = l->run,
                            .live_pace = l->pace};
    struct ui_app *app;
    if (ui_app_new(&app, s, &cfg) < 0) {
        snprintf(err, errlen, "out of memory");
        goto out_seeker;
    }
    status = ui_app_run(app, term);
    reap(l);
    live_stop(l);
    live_hand_off(l);
    ui_app_free(app);
out_seeker:
    seeker_free(s);
    return status;
}

int live_end(struct live *l, char *msg, size_t len)
{
    msg[0] = '\0';
    char state[256];
    bool died = ops_state(l, state, sizeof state) == UI_LIVE_DIED;
    bool temporary = l->temporary;
    char kept[PATH_MAX];
    if (live_free(l, kept, sizeof kept)) {
        if (died)
            snprintf(msg, len, "%s", state);
        else if (temporary)
            snprintf(msg, len, "the trace is kept in %s", kept);
    }
    return died ? 1 : 0;
}
