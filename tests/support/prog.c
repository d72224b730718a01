/* prog.c - the arenascope program run as a user runs it (prog.h). */
#include "prog.h"
#include "scratch.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

char *prog_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *buf = NULL;
    size_t n = 0, cap = 0, got;
    do {
        if (n + 4096 + 1 > cap) {
            cap = cap ? 2 * cap : 8192;
            buf = realloc(buf, cap);
            cr_assert_not_null(buf);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    if (len)
        *len = n;
    return buf;
}

struct prog_result prog_run(const char *const *argv)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin, "ARENASCOPE names the program");
    static char outp[512], errp[512];
    snprintf(outp, sizeof outp, "%s", scratch_path("prog.out"));
    snprintf(errp, sizeof errp, "%s", scratch_path("prog.err"));
    const char *args[64] = {"arenascope"};
    int n = 0;
    while (argv[n]) {
        cr_assert_lt(n, 62, "too many arguments");
        args[n + 1] = argv[n];
        n++;
    }
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execv(bin, (char *const *)args);
        _exit(127);
    }
    int st;
    struct rusage ru;
    cr_assert_eq(wait4(pid, &st, 0, &ru), pid);
    cr_assert(WIFEXITED(st), "the program died of a signal");
    struct prog_result r = {.status = WEXITSTATUS(st), .maxrss_kb = (size_t)ru.ru_maxrss};
    r.out = prog_read_file(outp, &r.out_len);
    r.err = prog_read_file(errp, &r.err_len);
    return r;
}

void prog_result_release(struct prog_result *r)
{
    free(r->out);
    free(r->err);
}
