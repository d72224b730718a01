/*
 * program.h - a real Python program run on arenascope's allocator, from the command line's side:
 * `record`, `live` and `placements` given `-- PYTHON ARGS...` or `SCRIPT.py ARGS...`.
 *
 *   program_prepare()   the words to run (python3 from PATH before a script), the interpreter
 *                       checked (tracer/capture.h), the capture library found, the request
 *                       filled: all before anything runs, so that a bad request is one line and
 *                       exit status 2
 *   program_spawn()     fork; the child's stdin (/dev/null unless --stdin), stdout and stderr
 *                       (kept, or /dev/null under a viewer), the status pipe; exec
 *   program_await()     reads the status pipe until the interpreter says it runs ("p") or why
 *                       it refused ("e"), or the program ended without ever loading Python
 *
 * Errors are one line in err; functions return 0 or -1 (program_prepare's caller exits 2: the
 * request was wrong; a program that fails later is a runtime error, 1).
 */
#ifndef SRC_PROGRAM_H
#define SRC_PROGRAM_H

#include "cli.h"

#include <tracer/capture.h>

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct program_spec {
    char **argv;                 /* the words to exec, NULL-terminated (malloc'd array) */
    int argc;
    char path[PATH_MAX];         /* argv[0] resolved */
    char library[PATH_MAX];      /* the capture library */
    const char *stdin_path;      /* NULL: /dev/null; "-": arenascope's own */
    struct capture_config cfg;   /* the request, but for pid and descriptors */
};

/* Fills spec from the command line (c->program >= 0).  mode, trace or log, arena source and
 * command are the caller's to set in spec->cfg afterwards.  -1 with a message: exit 2. */
int program_prepare(struct program_spec *spec, const struct cli *c, char *err, size_t errlen);
/* The same with the interpreter given: python runs the script, or the words after -- are its
 * arguments (python is the caller's, kept while spec is). */
int program_prepare_with(struct program_spec *spec, const struct cli *c, const char *python, char *err,
                         size_t errlen);
void program_spec_release(struct program_spec *spec);

/*
 * Starts the program.  quiet: its stdout and stderr go to /dev/null (a viewer owns the
 * terminal; the output is in the trace) but for stderr_fd >= 0, where its stderr goes instead.
 * status_fd and control_fd are the child's ends of the pipes of src/live.c (-1: a status pipe
 * of its own is made and its read end returned in *status_read).  Returns the child's pid, or -1
 * with a message.
 */
pid_t program_spawn(struct program_spec *spec, bool quiet, int stderr_fd, int status_fd, int control_fd,
                    int *status_read, char *err, size_t errlen);

/*
 * Reads status lines until the interpreter runs: returns 0 with its version in version.  -1 with
 * the reason when it refused (*refused set: exit 2) or when the program ended or failed before
 * (the program's name in the message).  Waits at most timeout_ms (0: no limit).
 */
int program_await(int status_read, pid_t pid, const char *name, int timeout_ms, char *version, size_t vlen,
                  bool *refused, char *err, size_t errlen);

/*
 * Runs the program in the foreground to its end (a status pipe of its own, its output kept):
 * program_spawn(), program_await(), then waits for it.  Returns 0 with its waitpid() status in
 * *wait_status, or -1 with a message (*refused when the interpreter refused it: exit status 2);
 * a program that started and was refused is killed and reaped.
 */
int program_run(struct program_spec *spec, int *wait_status, bool *refused, char *err, size_t errlen);

/* A script that does not compile, found before anything is shown: -1 with
 * "FILE:LINE: SyntaxError: MESSAGE" in err (exit status 1).  0 when it compiles, when the program
 * runs no script of the user's (-m, -c), or when the check could not be run. */
int program_check_syntax(const struct program_spec *spec, char *err, size_t errlen);

/* Runs the interpreter at path as `argv0 -c code [arg]`, its standard input and error
 * /dev/null, and keeps what it writes on its standard output in out (NUL-terminated, cut to
 * len); killed when it has not finished writing within timeout_ms (0: no limit).  Returns its
 * waitpid() status, or -1 when it could not be started. */
int program_ask(const char *path, const char *argv0, const char *code, const char *arg, int timeout_ms, char *out,
                size_t len);

/* How a waitpid() status ended the program, as arenascope's exit status (128 + N for signal N)
 * and, when it did not exit with 0, in words. */
int program_exit_status(int wait_status, char *words, size_t len);

#endif
