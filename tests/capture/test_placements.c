/*
 * The placement proof: a real program placed by arenascope's heap exactly as by CPython's own
 * pymalloc.
 *
 * Each script runs twice under one interpreter, with PYTHONHASHSEED=0 and without address space
 * randomization (setarch -R's personality, inherited by what the test runs): `placements` (the
 * heap serves the OBJ and MEM domains) and `placements --reference` (the interpreter's own
 * pymalloc serves them, its arenas from an aligned arena allocator of the capture's, installed
 * through PyObject_SetArenaAllocator).  Both write one line per allocator call: the call, its
 * sizes and where the block went, as arena serial, pool index and offset, or raw.  The two logs
 * must be the same line for line; a difference is reported as its first line.
 *
 * The addresses must be the same in both runs because programs depend on them: a tuple's hash
 * mixes the addresses of what it holds, and an lru_cache keyed by types (typing's) makes an int
 * of two or three digits as that hash falls.  Without ASLR, and with the capture making its heap
 * in both modes, arenas and the C heap start alike.  They do not stay alike: the heap keeps
 * tables in C memory that pymalloc does not have, so a type made later (types live in the C
 * heap) may have another address.  The scripts therefore hash no types, and run with -S: site
 * would run whatever .pth files the machine's site-packages hold (this one's import typing).
 *
 * A plain run of the script comes first.  It gives the output both runs must print, and it
 * leaves the interpreter's byte code caches as the two runs will find them (a first run writing
 * a .pyc would allocate what the second does not).  The logs go to a scratch directory, never
 * beside the script: a file written there changes the directory's mtime, and the import system
 * then lists it again, allocating in one run what it did not in the other.
 */
#include "prog.h"
#include "pythons.h"
#include "scratch.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>

/* Arrays, not pointers: Criterion runs each case in a new process, where a pointer into the
 * parent's image means nothing. */
struct placement_case {
    char python[16];
    char script[24];
    char size[8];       /* argv[1] of the script */
    char light_size[8]; /* under a sanitizer */
};

#define SCRIPTS(py)                                   \
    {py, "dict_keys.py", "10000", "1500"},           \
    {py, "linked.py", "3000", "400"},                 \
    {py, "json_churn.py", "2000", "300"}

ParameterizedTestParameters(placements, match_cpython)
{
    static struct placement_case cases[] = {SCRIPTS("3.8"),  SCRIPTS("3.9"),  SCRIPTS("3.10"),       SCRIPTS("3.11"),
                                            SCRIPTS("3.12"), SCRIPTS("3.13"), SCRIPTS("debian-3.11")};
    return cr_make_param_array(struct placement_case, cases, sizeof cases / sizeof cases[0]);
}

/* Runs `arenascope placements [--reference] -o LOG -- PYTHON -S SCRIPT SIZE`; returns the log. */
static char *placements_log(const struct python *py, const char *script, const char *size, bool reference,
                            const char *want_out)
{
    const char *log = scratch_path(reference ? "reference.log" : "placement.log"); /* same length */
    const char *argv[10];
    size_t n = 0;
    argv[n++] = "placements";
    if (reference)
        argv[n++] = "--reference";
    argv[n++] = "-o";
    argv[n++] = log;
    argv[n++] = "--";
    argv[n++] = py->path;
    argv[n++] = "-S";
    argv[n++] = script;
    argv[n++] = size;
    argv[n] = NULL;
    struct prog_result r = prog_run(argv);
    cr_assert_eq(r.status, 0, "%s %s%s: status %d: %s", py->name, script, reference ? " (reference)" : "", r.status,
                 r.err);
    cr_assert_str_eq(r.out, want_out, "%s %s%s: the program's output differs from a plain run's", py->name, script,
                     reference ? " (reference)" : "");
    prog_result_release(&r);
    size_t len;
    char *text = prog_read_file(log, &len);
    cr_assert_gt(len, 0, "%s: empty log", log);
    return text;
}

/* The number of lines that place a block in an arena: seven fields (not raw, null or a free). */
static size_t count_placed(const char *log)
{
    size_t n = 0;
    for (const char *p = log; *p;) {
        size_t len = strcspn(p, "\n"), fields = 1;
        for (size_t i = 0; i < len; i++)
            fields += p[i] == ' ';
        n += fields == 7;
        p += len + (p[len] == '\n');
    }
    return n;
}

ParameterizedTest(struct placement_case *c, placements, match_cpython, .timeout = 300)
{
    struct python py;
    python_find(c->python, &py);
    const char *script = script_path(c->script);
    const char *size = capture_is_light() ? c->light_size : c->size;
    setenv("PYTHONHASHSEED", "0", 1);
    cr_assert_geq(personality((unsigned long)personality(0xffffffffUL) | ADDR_NO_RANDOMIZE), 0, "personality");
    struct run_result plain = run_argv((const char *[]){py.path, "-S", script, size, NULL}, NULL);
    cr_assert_eq(plain.status, 0, "%s %s: plain run: status %d: %s", py.name, c->script, plain.status, plain.err);

    char *ours = placements_log(&py, script, size, false, plain.out);
    char *theirs = placements_log(&py, script, size, true, plain.out);
    char a[256], b[256];
    size_t line = text_first_difference(ours, theirs, a, b, sizeof a);
    cr_assert_eq(line, 0, "%s %s: the placements differ first at line %zu:\n  arenascope: %s\n  cpython:    %s",
                 py.name, c->script, line, a, b);
    /* the proof is about arenas: most calls must have landed in one */
    size_t placed = count_placed(ours);
    cr_assert_gt(placed, 10000, "%s %s: only %zu blocks placed in arenas", py.name, c->script, placed);
    cr_log_info("%s %s: %zu blocks placed as CPython places them", py.name, c->script, placed);
    free(ours);
    free(theirs);
    run_result_release(&plain);
}
