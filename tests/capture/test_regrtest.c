/*
 * CPython's own regression tests, run by an interpreter on arenascope's heap and recorded: they
 * must pass as they do on plain pymalloc.  pyenv's 3.11 ships its `test` package (Debian's
 * python3 does not).  A plain run comes first and gives the number of tests the recorded run
 * must run, and its result.
 *
 * The modules are given by CAPTURE_REGRTESTS (meson's: a few in the default run, more in the
 * `large` setup); under a sanitizer only the first one runs.
 */
#include "prog.h"
#include "pythons.h"
#include "scratch.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "Total tests: run=N" (3.11's summary) as N; fails the test when the summary is not there. */
static long tests_run(const char *out, const char *who)
{
    const char *t = strstr(out, "Total tests: run=");
    cr_assert_not_null(t, "%s: no summary in:\n%.4000s", who, out);
    return strtol(t + strlen("Total tests: run="), NULL, 10);
}

Test(regrtest, passes_recorded, .timeout = 3600)
{
    struct python py;
    python_find("3.11", &py);
    const char *list = getenv("CAPTURE_REGRTESTS");
    cr_assert_not_null(list, "CAPTURE_REGRTESTS names the test modules");
    const char *argv[64] = {py.path, "-m", "test"};
    size_t n = 3;
    char names[1024];
    snprintf(names, sizeof names, "%s", list);
    for (char *save = NULL, *w = strtok_r(names, " ", &save); w && n < 60; w = strtok_r(NULL, " ", &save)) {
        argv[n++] = w;
        if (capture_is_light())
            break;
    }
    argv[n] = NULL;

    struct run_result plain = run_argv(argv, scratch_dir());
    cr_assert_eq(plain.status, 0, "%s plain: status %d:\n%.4000s", py.name, plain.status, plain.out);
    long want = tests_run(plain.out, "the plain run");

    const char *trace = scratch_path("regrtest.trace");
    const char *rargv[70] = {"record", "-o", trace, "--stdin", "/dev/null", "--"};
    for (size_t i = 0; i <= n; i++)
        rargv[6 + i] = argv[i];
    struct prog_result rec = prog_run(rargv);
    cr_assert_eq(rec.status, 0, "%s recorded: status %d:\n%.4000s\n%.2000s", py.name, rec.status, rec.out, rec.err);
    cr_assert(strstr(rec.out, "Result: SUCCESS"), "%s recorded:\n%.4000s", py.name, rec.out);
    long got = tests_run(rec.out, "the recorded run");
    cr_assert_eq(got, want, "%s: %ld tests ran recorded, %ld plain", py.name, got, want);
    cr_assert_eq(strstr(rec.err, "arenascope"), NULL, "%s: arenascope says: %s", py.name, rec.err);

    struct prog_result chk = prog_run((const char *[]){"check", trace, NULL});
    cr_assert_eq(chk.status, 0, "%s: check: %s%s", py.name, chk.out, chk.err);
    fprintf(stderr, "%s: %ld tests of %s passed recorded\n", py.name, got, list);
    prog_result_release(&chk);
    prog_result_release(&rec);
    run_result_release(&plain);
}
