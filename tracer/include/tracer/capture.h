/*
 * capture.h - running a real Python program on arenascope's allocator: what a launcher (src/)
 * needs to start one, and the request that reaches the capture library inside it.
 *
 *     arenascope (launcher)                          the program's process
 *     ─────────────────────                          ─────────────────────
 *     capture_check_program()   refuses what cannot work, before anything runs
 *     fork(), pipes, stdin      ──── exec with ────▶ LD_PRELOAD=libarenascope-capture.so
 *     capture_exec()                 ARENASCOPE_CAPTURE=<the request>
 *                                                    the library's constructor, before the
 *                                                    interpreter's first allocation, installs
 *                                                    the heap for the OBJ and MEM domains
 *     reads the status descriptor ◀── "p VERSION PATH" (running), "e MESSAGE" (refused), and
 *                                      the live protocol of src/live.c ("w N", "r N", "f")
 *     follows or indexes the trace ◀── the trace writer, a file
 *
 * The library stays inert in every process that is not the one the launcher started (a child
 * the program starts has another pid) and in every program that is not Python (pyenv's shims
 * are shell scripts that exec the interpreter: the pid is the same, the library loads again with
 * the interpreter and acts then).  Once active it removes its variables and its LD_PRELOAD entry
 * from the environment, so that what the program starts runs plain.
 *
 * Return convention: 0, or -1 with a one-line message in err.
 */
#ifndef TRACER_CAPTURE_H
#define TRACER_CAPTURE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CAPTURE_ENV "ARENASCOPE_CAPTURE" /* the request, in the program's environment */
#define CAPTURE_LIBRARY "libarenascope-capture.so"

enum capture_mode {
    CAPTURE_RECORD,     /* the heap serves the program; every event goes to the trace */
    CAPTURE_PLACEMENTS, /* the heap serves the program; each call's placement goes to a log */
    CAPTURE_REFERENCE,  /* the interpreter's own pymalloc serves it (aligned arenas); the log */
};

/* How the program names its code on the interpreter's command line. */
enum capture_entry {
    CAPTURE_ENTRY_SCRIPT,  /* python3 script.py: the script's <module> frame is the outermost */
    CAPTURE_ENTRY_MODULE,  /* python3 -m name: runpy runs a file under the user's directory */
    CAPTURE_ENTRY_COMMAND, /* python3 -c 'code': "<string>" is the outermost frame */
    CAPTURE_ENTRY_STDIN,   /* python3 < file, python3 -: "<stdin>" */
};

enum capture_stacks {
    CAPTURE_STACKS_NONE,
    CAPTURE_STACKS_PYTHON, /* the Python stack of every allocation */
    CAPTURE_STACKS_C,      /* its C stack, from CPython's allocator entry point outwards */
    CAPTURE_STACKS_BOTH,   /* the innermost C frames (at most CAPTURE_C_DEPTH), then the Python stack */
};
#define CAPTURE_C_DEPTH 8
#define CAPTURE_DEFAULT_DEPTH 16 /* Python frames kept per stack */

struct capture_config {
    pid_t pid;                 /* the process to capture (the launcher's child) */
    int status_fd;             /* status lines to the launcher, -1 none */
    int control_fd;            /* commands from a live viewer, -1 none */
    enum capture_mode mode;
    enum capture_entry entry;
    enum capture_stacks stacks;
    unsigned depth;            /* Python frames per stack, 1 to 64 */
    bool live;                 /* a viewer follows the trace: flush it often, and put the model's
                                  checkpoints into it (ckpt_tee) */
    uint64_t window;           /* RECORD: bytes the trace keeps, past which its oldest chunks are
                                  dropped (FORMAT.md 8.1); 0: no cap */
    bool step_lines;           /* every line of the program's own files is a step marker */
    bool hold;                 /* live step mode: hold before each line until the viewer steps */
    double pace;               /* live run mode: line steps a second, 0 as fast as it goes */
    char step_files[PATH_MAX]; /* a glob (fnmatch, on absolute paths) choosing the files whose
                                  lines are steps; empty: the program's own files */
    char trace[PATH_MAX];      /* RECORD: the trace file */
    char log[PATH_MAX];        /* PLACEMENTS, REFERENCE: the placement log */
    char arena_source[16];     /* "mmap" (as CPython) or "aligned" */
    char command[512];         /* the command line, for the trace header */
    char user_dir[PATH_MAX];   /* the program's own files are under it (the script's directory) */
    char script[PATH_MAX];     /* the script run, absolute; empty for -m, -c */
};

/* The request as one environment value, and back.  decode returns false on a value it cannot
 * read (then the library stays inert). */
int capture_config_encode(const struct capture_config *c, char *buf, size_t len);
bool capture_config_decode(const char *text, struct capture_config *out);

/*
 * Resolves the program as execvp would (PATH) into path and refuses what the capture cannot
 * run, naming the program and why: not found, not executable, a static binary (LD_PRELOAD
 * cannot load into it), an ELF binary that is not Python 3 (no PyMem_SetAllocator and no
 * libpython3), Python 2, Python 3 before 3.8.  A script (#!) passes: what it runs is checked
 * when it runs.
 */
int capture_check_program(const char *program, char *path, size_t pathlen, char *err, size_t errlen);

/* The capture library: $ARENASCOPE_CAPTURE_LIBRARY, else beside the running arenascope (its
 * build tree), else the installed one.  -1 when none exists. */
int capture_library_path(char *buf, size_t len, char *err, size_t errlen);

/*
 * In the launcher's child, after fork() and the descriptors set up: puts the request and the
 * library into the environment, asks to die with the parent (PR_SET_PDEATHSIG), removes what
 * would replace the allocator (PYTHONMALLOC, PYTHONDEVMODE) and execs argv (path resolved by
 * capture_check_program).  Returns only on failure, with errno set.
 */
void capture_exec(const struct capture_config *c, const char *library, const char *path, char *const argv[]);

/* How the program starts, and where its own files are, from its command line: the script's
 * directory (and the script, absolute), or the working directory for -m, -c and stdin. */
void capture_user_files(char *const argv[], struct capture_config *c);

#endif
