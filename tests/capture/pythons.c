/* pythons.c - the interpreters the capture is tested on, and programs run under them (pythons.h). */
#include "pythons.h"
#include "prog.h"
#include "scratch.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* The newest pyenv version 3.minor.*: the highest patch number among the directories found. */
static bool pyenv_find(int minor, char *path, size_t len, char *where, size_t wlen)
{
    const char *root = getenv("PYENV_ROOT");
    const char *home = getenv("HOME");
    char dir[PATH_MAX];
    if (root && *root)
        snprintf(dir, sizeof dir, "%s/versions", root);
    else
        snprintf(dir, sizeof dir, "%s/.pyenv/versions", home ? home : "");
    snprintf(where, wlen, "%s/3.%d.*/bin/python3.%d", dir, minor, minor);
    glob_t g;
    if (glob(where, 0, NULL, &g) != 0)
        return false;
    long best = -1;
    for (size_t i = 0; i < g.gl_pathc; i++) {
        const char *v = g.gl_pathv[i] + strlen(dir) + 1;
        int maj, min;
        long patch;
        if (sscanf(v, "%d.%d.%ld/", &maj, &min, &patch) == 3 && min == minor && patch > best &&
            access(g.gl_pathv[i], X_OK) == 0) {
            best = patch;
            snprintf(path, len, "%s", g.gl_pathv[i]);
        }
    }
    globfree(&g);
    return best >= 0;
}

void python_find(const char *name, struct python *p)
{
    memset(p, 0, sizeof *p);
    p->name = name;
    char where[PATH_MAX + 64];
    if (strncmp(name, "debian-", 7) == 0) {
        snprintf(p->path, sizeof p->path, "/usr/bin/python%s", name + 7);
        if (access(p->path, X_OK) != 0)
            cr_skip_test("%s: %s is not installed", name, p->path);
    } else {
        int minor = atoi(name + 2);
        if (!pyenv_find(minor, p->path, sizeof p->path, where, sizeof where))
            cr_skip_test("%s: no pyenv interpreter %s", name, where);
    }
    cr_assert_not_null(realpath(p->path, p->real), "%s: realpath", p->path);
    struct run_result r = run_argv((const char *[]){p->path, "-c",
                                                    "import platform, sys; print(platform.python_version(), sys.version_info[1])",
                                                    NULL},
                                   NULL);
    cr_assert_eq(r.status, 0, "%s: asked its version: %s", p->path, r.err);
    cr_assert_eq(sscanf(r.out, "%31s %d", p->version, &p->minor), 2, "%s: version: %s", p->path, r.out);
    run_result_release(&r);
}

struct run_result run_argv(const char *const *argv, const char *cwd)
{
    static unsigned serial;
    char outp[512], errp[512];
    unsigned n = serial++;
    snprintf(outp, sizeof outp, "%s/run%u.out", scratch_dir(), n);
    snprintf(errp, sizeof errp, "%s/run%u.err", scratch_dir(), n);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int i = open("/dev/null", O_RDONLY);
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (i < 0 || o < 0 || e < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        if (cwd && chdir(cwd) < 0)
            _exit(127);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    struct run_result r = {.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)};
    r.out = prog_read_file(outp, &r.out_len);
    r.err = prog_read_file(errp, &r.err_len);
    cr_assert_neq(r.status, 127, "%s could not be run: %s", argv[0], r.err);
    unlink(outp);
    unlink(errp);
    return r;
}

void run_result_release(struct run_result *r)
{
    free(r->out);
    free(r->err);
}

const char *script_path(const char *name)
{
    static char bufs[8][PATH_MAX];
    static unsigned next;
    const char *dir = getenv("CAPTURE_SCRIPTS");
    cr_assert_not_null(dir, "CAPTURE_SCRIPTS names the scripts' directory");
    char *b = bufs[next++ % 8];
    snprintf(b, PATH_MAX, "%s/%s", dir, name);
    return b;
}

bool capture_is_light(void)
{
    const char *v = getenv("CAPTURE_LIGHT");
    return v && strcmp(v, "1") == 0;
}

int script_line_of(const char *path, const char *mark)
{
    char *text = prog_read_file(path, NULL);
    const char *at = strstr(text, mark);
    cr_assert_not_null(at, "%s has no line with '%s'", path, mark);
    int line = 1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    free(text);
    return line;
}

size_t text_first_difference(const char *x, const char *y, char *a, char *b, size_t len)
{
    size_t line = 1;
    for (;;) {
        size_t nx = strcspn(x, "\n"), ny = strcspn(y, "\n");
        bool endx = !x[0], endy = !y[0];
        if (endx && endy)
            return 0;
        if (nx != ny || memcmp(x, y, nx) != 0 || endx != endy) {
            snprintf(a, len, "%.*s", endx ? 9 : (int)nx, endx ? "(the end)" : x);
            snprintf(b, len, "%.*s", endy ? 9 : (int)ny, endy ? "(the end)" : y);
            return line;
        }
        x += nx + (x[nx] == '\n');
        y += ny + (y[ny] == '\n');
        line++;
    }
}

char *trace_dump(const char *trace)
{
    struct prog_result r = prog_run((const char *[]){"dump", trace, NULL});
    cr_assert_eq(r.status, 0, "dump %s: status %d: %s", trace, r.status, r.err);
    free(r.err);
    return r.out;
}

const char *line_next(const char *p, size_t *len)
{
    if (!*p)
        return NULL;
    *len = strcspn(p, "\n");
    return p;
}

unsigned long long dump_field(const char *line, size_t len, const char *key)
{
    size_t klen = strlen(key);
    for (size_t i = 0; i + klen <= len; i++) {
        if ((i == 0 || line[i - 1] == ' ') && memcmp(line + i, key, klen) == 0)
            return strtoull(line + i + klen, NULL, 0);
    }
    return 0;
}

bool dump_has_print(const char *dump, int stream, const char *text)
{
    char head[32];
    snprintf(head, sizeof head, " print stream=%d text=", stream);
    size_t len;
    for (const char *p = dump; (p = line_next(p, &len)); p += len + (p[len] == '\n')) {
        const char *h = memmem(p, len, head, strlen(head));
        if (h && memmem(h, len - (size_t)(h - p), text, strlen(text)))
            return true;
    }
    return false;
}
