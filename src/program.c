/*
 * program.c - see program.h.
 */
#include "program.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int program_prepare(struct program_spec *spec, const struct cli *c, char *err, size_t errlen)
{
    return program_prepare_with(spec, c, NULL, err, errlen);
}

int program_prepare_with(struct program_spec *spec, const struct cli *c, const char *python, char *err,
                         size_t errlen)
{
    memset(spec, 0, sizeof *spec);
    int nwords = c->nargs - c->program;
    spec->argv = calloc((size_t)nwords + 2, sizeof *spec->argv);
    if (!spec->argv)
        return cli_fail(err, errlen, "out of memory");
    if (python || c->program_is_script)
        spec->argv[spec->argc++] = python ? (char *)python : "python3";
    for (int i = c->program; i < c->nargs; i++)
        spec->argv[spec->argc++] = c->args[i];
    if (c->program_is_script && access(c->args[c->program], R_OK) < 0)
        return cli_fail(err, errlen, "%s: %s", c->args[c->program], strerror(errno));
    if (capture_check_program(spec->argv[0], spec->path, sizeof spec->path, err, errlen) < 0)
        return -1;
    if (capture_library_path(spec->library, sizeof spec->library, err, errlen) < 0)
        return -1;

    struct capture_config *cfg = &spec->cfg;
    cfg->status_fd = cfg->control_fd = -1;
    cfg->stacks = CAPTURE_STACKS_PYTHON;
    cfg->depth = CAPTURE_DEFAULT_DEPTH;
    const char *stacks = cli_value(c, "stacks");
    if (stacks) {
        if (strcmp(stacks, "none") == 0)
            cfg->stacks = CAPTURE_STACKS_NONE;
        else if (strcmp(stacks, "c") == 0)
            cfg->stacks = CAPTURE_STACKS_C;
        else if (strcmp(stacks, "both") == 0)
            cfg->stacks = CAPTURE_STACKS_BOTH;
        else if (strcmp(stacks, "python") != 0)
            return cli_fail(err, errlen, "--stacks: '%s' is not python, c, both or none", stacks);
    }
    const char *depth = cli_value(c, "stack-depth");
    if (depth) {
        uint64_t d;
        if (!cli_parse_uint(depth, false, &d) || d < 1 || d > 64)
            return cli_fail(err, errlen, "--stack-depth: not a number of frames from 1 to 64: '%s'", depth);
        cfg->depth = (unsigned)d;
    }
    spec->stdin_path = cli_value(c, "stdin");
    if (spec->stdin_path && strcmp(spec->stdin_path, "-") != 0 && access(spec->stdin_path, R_OK) < 0)
        return cli_fail(err, errlen, "--stdin: %s: %s", spec->stdin_path, strerror(errno));
    capture_user_files(spec->argv, cfg);
    snprintf(cfg->arena_source, sizeof cfg->arena_source, "mmap");
    cfg->step_lines = cfg->entry == CAPTURE_ENTRY_SCRIPT;
    const char *lines = cli_value(c, "step-lines");
    if (lines) {
        if (strcmp(lines, "on") != 0 && strcmp(lines, "off") != 0)
            return cli_fail(err, errlen, "--step-lines: '%s' is not on or off", lines);
        cfg->step_lines = strcmp(lines, "on") == 0;
    }
    const char *files = cli_value(c, "step-files");
    if (files)
        snprintf(cfg->step_files, sizeof cfg->step_files, "%s", files);
    return 0;
}

void program_spec_release(struct program_spec *spec)
{
    free(spec->argv);
    spec->argv = NULL;
}

/* The child: descriptors in place, then the exec.  Never returns. */
static _Noreturn void child(struct program_spec *spec, bool quiet, int stderr_fd, int status_fd, int control_fd)
{
    signal(SIGPIPE, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    int in = -1;
    if (!spec->stdin_path)
        in = open("/dev/null", O_RDONLY);
    else if (strcmp(spec->stdin_path, "-") != 0)
        in = open(spec->stdin_path, O_RDONLY);
    if (in >= 0 && in != STDIN_FILENO) {
        dup2(in, STDIN_FILENO);
        close(in);
    }
    if (quiet) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) {
            dup2(null, STDOUT_FILENO);
            dup2(stderr_fd >= 0 ? stderr_fd : null, STDERR_FILENO);
            if (null > STDERR_FILENO)
                close(null);
        }
    }
    if (stderr_fd > STDERR_FILENO)
        close(stderr_fd);
    spec->cfg.pid = getpid();
    spec->cfg.status_fd = status_fd;
    spec->cfg.control_fd = control_fd;
    capture_exec(&spec->cfg, spec->library, spec->path, spec->argv);
    /* the exec failed: say so on the status pipe, which the parent reads */
    char line[PATH_MAX + 64];
    int n = snprintf(line, sizeof line, "x %s: %s\n", spec->path, strerror(errno));
    if (status_fd >= 0 && n > 0 && write(status_fd, line, (size_t)n) < 0)
        _exit(127);
    _exit(127);
}

pid_t program_spawn(struct program_spec *spec, bool quiet, int stderr_fd, int status_fd, int control_fd,
                    int *status_read, char *err, size_t errlen)
{
    int own[2] = {-1, -1};
    if (status_fd < 0) {
        if (pipe(own) < 0)
            return cli_fail(err, errlen, "pipe: %s", strerror(errno));
        fcntl(own[0], F_SETFD, FD_CLOEXEC);
        status_fd = own[1];
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        if (own[0] >= 0) {
            close(own[0]);
            close(own[1]);
        }
        return cli_fail(err, errlen, "fork: %s", strerror(errno));
    }
    if (pid == 0)
        child(spec, quiet, stderr_fd, status_fd, control_fd);
    if (own[0] >= 0) {
        close(own[1]);
        *status_read = own[0];
    }
    return pid;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

int program_await(int status_read, pid_t pid, const char *name, int timeout_ms, char *version, size_t vlen,
                  bool *refused, char *err, size_t errlen)
{
    *refused = false;
    char buf[2048];
    size_t len = 0;
    double until = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    for (;;) {
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
            *nl = '\0';
            if (buf[0] == 'p') {
                snprintf(version, vlen, "%.*s", (int)strcspn(buf + 2, " "), buf + 2);
                /* keep what followed for the caller? the live protocol starts after "p" */
                return 0;
            }
            if (buf[0] == 'e') {
                *refused = true;
                return cli_fail(err, errlen, "%s: %s", name, buf + 2);
            }
            if (buf[0] == 'x')
                return cli_fail(err, errlen, "%s", buf + 2);
            size_t rest = len - (size_t)(nl + 1 - buf);
            memmove(buf, nl + 1, rest);
            len = rest;
        }
        int wait = -1;
        if (until) {
            double left = until - now_ms();
            if (left <= 0)
                return cli_fail(err, errlen, "%s: the interpreter did not start within %d s", name,
                                timeout_ms / 1000);
            wait = (int)left + 1;
        }
        struct pollfd pfd = {status_read, POLLIN, 0};
        int r = poll(&pfd, 1, wait);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            continue;
        ssize_t n = read(status_read, buf + len, sizeof buf - 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            /* the pipe closed without a word: the program ran (or died) without Python */
            int st;
            if (waitpid(pid, &st, 0) == pid) {
                char words[128];
                program_exit_status(st, words, sizeof words);
                if (words[0])
                    return cli_fail(err, errlen, "%s: %s before the Python interpreter started", name, words);
            }
            *refused = true;
            return cli_fail(err, errlen,
                            "%s: not a Python interpreter: it ran without loading Python 3 in its own process", name);
        }
        len += (size_t)n;
        if (len == sizeof buf - 1)
            len = 0; /* a line longer than the buffer: not ours */
    }
}

int program_exit_status(int wait_status, char *words, size_t len)
{
    words[0] = '\0';
    if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        snprintf(words, len, "the program was killed by SIG%s", sigabbrev_np(sig) ? sigabbrev_np(sig) : "?");
        return 128 + sig;
    }
    int code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 1;
    if (code != 0)
        snprintf(words, len, "the program exited with status %d", code);
    return code;
}

int program_run(struct program_spec *spec, int *wait_status, bool *refused, char *err, size_t errlen)
{
    int status_read = -1;
    *refused = false;
    pid_t pid = program_spawn(spec, false, -1, -1, -1, &status_read, err, errlen);
    if (pid < 0)
        return -1;
    char version[32];
    if (program_await(status_read, pid, spec->argv[0], 0, version, sizeof version, refused, err, errlen) < 0) {
        close(status_read);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    while (waitpid(pid, wait_status, 0) < 0 && errno == EINTR)
        ;
    close(status_read);
    return 0;
}

int program_ask(const char *path, const char *argv0, const char *code, const char *arg, int timeout_ms, char *out,
                size_t len)
{
    out[0] = '\0';
    int fds[2];
    if (pipe(fds) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        int devnull = open("/dev/null", O_RDWR);
        if (devnull >= 0) {
            dup2(devnull, STDIN_FILENO);
            dup2(devnull, STDERR_FILENO);
        }
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execl(path, argv0, "-c", code, arg, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    size_t got = 0;
    double until = timeout_ms > 0 ? now_ms() + timeout_ms : 0;
    while (got < len - 1) {
        struct pollfd pfd = {fds[0], POLLIN, 0};
        int left = until ? (int)(until - now_ms()) : -1;
        if (until && (left <= 0 || poll(&pfd, 1, left) == 0)) {
            kill(pid, SIGKILL); /* it said nothing in time */
            break;
        }
        ssize_t n = read(fds[0], out + got, len - 1 - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    out[got] = '\0';
    close(fds[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return st;
}

/* What the interpreter is asked to do with the script before it runs: compile it, and say where
 * it does not compile on one line. */
static const char syntax_check[] =
    "import sys\n"
    "try:\n"
    "    compile(open(sys.argv[1], 'rb').read(), sys.argv[1], 'exec')\n"
    "except SyntaxError as e:\n"
    "    sys.stdout.write('%s:%s: %s: %s' % (e.filename, e.lineno, type(e).__name__, e.msg))\n"
    "    sys.exit(1)\n";

int program_check_syntax(const struct program_spec *spec, char *err, size_t errlen)
{
    if (!spec->cfg.script[0] || spec->argc < 2)
        return 0; /* -m, -c: nothing of the user's to compile first */
    const char *script = NULL;
    for (int i = 1; i < spec->argc && !script; i++) {
        char real[PATH_MAX];
        if (realpath(spec->argv[i], real) && strcmp(real, spec->cfg.script) == 0)
            script = spec->argv[i];
    }
    if (!script)
        return 0;
    char line[1024];
    int st = program_ask(spec->path, spec->argv[0], syntax_check, script, 0, line, sizeof line);
    if (st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 1 && line[0]) {
        snprintf(err, errlen, "%s", line);
        return -1;
    }
    return 0; /* compiled, or the check itself could not run: the program will say */
}
