/*
 * cli.h - the command line: subcommands described as data, parsed and explained in one place.
 *
 * Each subcommand is a `struct cli_cmd` (src/commands.c) listing its options; cli_parse() turns argv
 * into a `struct cli` and handles --help.  Usage errors print one line naming the command and the
 * problem and exit with status 2; runtime errors are the command's, with status 1.
 */
#ifndef SRC_CLI_H
#define SRC_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_OPTS 24
#define CLI_MAX_ARGS 512
#define CLI_EXIT_USAGE 2

struct cli_opt {
    const char *name;    /* long name without dashes: "profile" */
    char letter;         /* short name, or 0 */
    const char *metavar; /* NULL for a flag, else the argument's name in help: "P" */
    const char *help;    /* one line */
};

struct cli;

struct cli_cmd {
    const char *name;        /* "record" */
    const char *args;        /* positional arguments in usage: "[--] WORKLOAD" */
    const char *summary;     /* one line for `arenascope --help` */
    const char *description; /* paragraphs after the usage line; may be NULL */
    const char *more;        /* paragraphs printed after it (a string literal has a length limit) */
    const struct cli_opt *opts; /* terminated by an entry with name == NULL */
    int min_args, max_args;     /* positional argument counts; max -1 for any */
    bool takes_program;         /* a Python program may follow: `-- PROGRAM ARGS...` or
                                 * `SCRIPT.py ARGS...`; its arguments are never options of ours */
    int (*run)(struct cli *c);
};

struct cli {
    const struct cli_cmd *cmd;
    const char *values[CLI_MAX_OPTS]; /* option i's argument (or "" for a present flag) */
    int nargs;
    char *args[CLI_MAX_ARGS]; /* positional arguments (pointers into argv) */
    /* For a command that takes_program: the index in args of the program's first word (the
     * interpreter after `--`, or a script named *.py, run by python3), or -1. */
    int program;
    bool program_is_script; /* args[program] is a script, not an interpreter */
};

/* Parses argv[0..argc) (argv[0] is the subcommand's name).  Returns 0, or the exit status to
 * leave with: 0 after --help, CLI_EXIT_USAGE after a usage error (already printed). */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli *out, bool *done);

/* The value of --name, or NULL when absent. */
const char *cli_value(const struct cli *c, const char *name);
bool cli_flag(const struct cli *c, const char *name);
/* Parses --name as an unsigned integer (decimal, 0x hex, or with K/M/G suffix when `sizes`).
 * Returns 0 (with *out = def when absent) or prints a usage error and returns CLI_EXIT_USAGE. */
int cli_uint(const struct cli *c, const char *name, uint64_t def, bool sizes, uint64_t *out);

/* Prints "arenascope CMD: MESSAGE" to stderr (printf-style) and returns the status given. */
/* Writes text that came from a file or a program with the bytes a terminal acts on (controls,
 * C1 controls, bytes that are not UTF-8) spelled out as \xHH. */
void cli_write_shown(FILE *f, const char *s, size_t n);
void cli_put_shown(FILE *f, const char *s);
/* The same into buf (cut to len - 1 bytes); returns buf. */
const char *cli_shown(const char *s, char *buf, size_t len);

int cli_error(const struct cli *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Parses "123", "0x1f", "4K", "1M" (when sizes).  Returns false when s is not such a number. */
bool cli_parse_uint(const char *s, bool sizes, uint64_t *out);
/* Parses a screen size "COLSxROWS" (or 'X') within cols min_c..max_c and rows min_r..max_r. */
bool cli_parse_screen_size(const char *s, int min_c, int max_c, int min_r, int max_r, int *cols, int *rows);

void cli_print_help(const struct cli_cmd *cmd);

/* Writes a one-line message into err (when err is not NULL) and returns -1: the way src/'s
 * functions report a failure to their caller, who prints it. */
int cli_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

extern const char *cli_program; /* "arenascope" */

#endif
