/*
 * pythons.h - the interpreters the capture is tested on, as this machine has them, and the
 * programs run under them.
 *
 * The tests name interpreters, not paths: "3.8" to "3.13" are the newest pyenv versions of those
 * minors ($PYENV_ROOT, else ~/.pyenv), "debian-3.11" is /usr/bin/python3.11.  A test whose
 * interpreter is not installed skips, saying which and where it looked; everything else about it
 * is asserted.  What a test expects of an interpreter (its version, its output, its exit status)
 * comes from running it plain, never from a table.
 */
#ifndef TESTS_CAPTURE_PYTHONS_H
#define TESTS_CAPTURE_PYTHONS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define PYTHON_NAMES "3.8", "3.9", "3.10", "3.11", "3.12", "3.13", "debian-3.11"
#define PYTHON_COUNT 7

struct python {
    const char *name;   /* as the tests name it: "3.8", "debian-3.11" */
    char path[PATH_MAX]; /* the interpreter, absolute */
    char real[PATH_MAX]; /* the same, every link resolved (what /proc/self/exe says) */
    char version[32];   /* platform.python_version(), as the interpreter says it */
    int minor;          /* 8 to 13 */
};

/* What a program run wrote and how it ended. */
struct run_result {
    int status;       /* exit status, or 128 + the signal that killed it */
    char *out, *err;  /* what it wrote, NUL-terminated */
    size_t out_len, err_len;
};

/* Fills p for the interpreter named, asking it its version; skips the test when it is not
 * installed. */
void python_find(const char *name, struct python *p);

/* Runs argv (argv[0] a path) with standard input /dev/null, in the working directory `cwd` (NULL:
 * the test's), its output kept in scratch files.  Fails the test when it cannot be started. */
struct run_result run_argv(const char *const *argv, const char *cwd);
void run_result_release(struct run_result *r);

/* tests/capture/scripts/name (the scripts' directory comes from meson: CAPTURE_SCRIPTS). */
const char *script_path(const char *name);

/* True when the tests run in a sanitized build (CAPTURE_LIGHT=1): fewer and smaller runs. */
bool capture_is_light(void);

/* The 1-based number of the line of `path` that contains `mark`; fails the test when none does. */
int script_line_of(const char *path, const char *mark);

/* The first line where two texts differ (1-based), 0 when they are equal; the two lines are
 * copied into a and b (cut to len). */
size_t text_first_difference(const char *x, const char *y, char *a, char *b, size_t len);

/* `arenascope dump TRACE`, whole; fails the test when dump does not exit 0. */
char *trace_dump(const char *trace);

/* The text of the next line of a text and where the one after starts; NULL at the end. */
const char *line_next(const char *p, size_t *len);

/* The value of field `key` ("addr=") on a dump line as a number (0 when absent). */
unsigned long long dump_field(const char *line, size_t len, const char *key);

/* Whether a dump holds a print event of `stream` whose text contains `text`. */
bool dump_has_print(const char *dump, int stream, const char *text);

#endif
