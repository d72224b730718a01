/*
 * cmd_placements.c - `arenascope placements`: where each allocation of a script lands.
 */
#include "cli.h"
#include "commands.h"
#include "ops.h"
#include "program.h"
#include "recorder.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct cli_opt opts[] = {
    {"profile", 'p', "P", "allocator profile: cpython-3.10 (default), cpython-3.9, cpython-3.8, classic, custom:..."},
    {"arena-source", 0, "S", "where arenas come from: aligned (default: every arena has all its pools) or mmap"},
    {"reference", 0, NULL, "a Python program: on the interpreter's own pymalloc instead of arenascope's heap"},
    {"output", 'o', "FILE", "a Python program: write the placements to FILE (default: standard output, at the end)"},
    {"stdin", 0, "FILE", "a Python program's standard input (default /dev/null; - for this one's)"},
    {0},
};

/* A Python program: its calls logged by the capture library, then copied to standard output. */
static int run_program(struct cli *c)
{
    if (cli_value(c, "profile") || cli_value(c, "arena-source"))
        return cli_error(c, CLI_EXIT_USAGE,
                         "--profile, --arena-source: a Python program has its version's profile, in aligned arenas");
    struct program_spec spec;
    char err[1024];
    if (program_prepare(&spec, c, err, sizeof err) < 0) {
        program_spec_release(&spec);
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    }
    const char *out = cli_value(c, "output");
    char tmp[PATH_MAX] = "";
    if (!out) {
        const char *dir = getenv("TMPDIR");
        snprintf(tmp, sizeof tmp, "%s/arenascope-placements-XXXXXX", dir && *dir ? dir : "/tmp");
        int fd = mkstemp(tmp);
        if (fd < 0) {
            program_spec_release(&spec);
            return cli_error(c, 1, "%s: %s", tmp, strerror(errno));
        }
        close(fd);
        out = tmp;
    }
    spec.cfg.mode = cli_flag(c, "reference") ? CAPTURE_REFERENCE : CAPTURE_PLACEMENTS;
    spec.cfg.stacks = CAPTURE_STACKS_NONE;
    snprintf(spec.cfg.log, sizeof spec.cfg.log, "%s", out);
    snprintf(spec.cfg.arena_source, sizeof spec.cfg.arena_source, "aligned");
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int;
    sigaction(SIGINT, &ign, &old_int);
    int status = 1, status_read = -1;
    pid_t pid = program_spawn(&spec, false, -1, -1, -1, &status_read, err, sizeof err);
    if (pid < 0) {
        cli_error(c, 1, "%s", err);
        goto out;
    }
    char version[32];
    bool refused;
    if (program_await(status_read, pid, spec.argv[0], 0, version, sizeof version, &refused, err, sizeof err) < 0) {
        close(status_read);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        status = cli_error(c, refused ? CLI_EXIT_USAGE : 1, "%s", err);
        goto out;
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    close(status_read);
    char words[128];
    status = program_exit_status(ws, words, sizeof words);
    if (tmp[0]) {
        FILE *f = fopen(tmp, "r");
        char buf[65536];
        size_t n;
        while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
            fwrite(buf, 1, n, stdout);
        if (f)
            fclose(f);
        if (fflush(stdout) != 0 && status == 0)
            status = cli_error(c, 1, "standard output: write error");
    }
    if (words[0])
        cli_error(c, status, "%s", words);
out:
    sigaction(SIGINT, &old_int, NULL);
    if (tmp[0])
        unlink(tmp);
    program_spec_release(&spec);
    return status;
}

struct placements_run {
    struct heap *heap;
    FILE *out;
};

static void p_placed(void *ctx, uint64_t opno, const struct ops_op *op, void *block)
{
    struct placements_run *r = ctx;
    struct heap_location loc;
    char line[96];
    (void)op;
    heap_locate(r->heap, block, &loc);
    fprintf(r->out, "%s\n", ops_placement_format(line, sizeof line, opno, block, &loc));
}

/* A trace file starts with this magic (tracer/format/FORMAT.md). */
static bool is_trace(const char *path)
{
    static const unsigned char magic[8] = {0x89, 'A', 'S', 'C', '\r', '\n', 0x1a, '\n'};
    unsigned char buf[8];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == sizeof buf && memcmp(buf, magic, sizeof magic) == 0;
}

static int run(struct cli *c)
{
    if (c->program >= 0)
        return run_program(c);
    if (cli_value(c, "reference") || cli_value(c, "output") || cli_value(c, "stdin"))
        return cli_error(c, CLI_EXIT_USAGE, "--reference, --output, --stdin: for a Python program only");
    const char *source = cli_value(c, "arena-source");
    struct recorder_options o = {.profile = cli_value(c, "profile"), .arena_source = source ? source : "aligned"};
    char err[512];
    if (recorder_check_options(&o, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    const char *path = c->args[0];
    if (is_trace(path))
        return cli_error(c, 1, "%s: is a trace; placements runs allocation scripts (ops files)", path);
    struct ops_script s;
    if (ops_script_load(&s, path, err, sizeof err) < 0)
        return cli_error(c, 1, "%s", err);
    struct heap_profile profile;
    heap_profile_parse(o.profile ? o.profile : heap_profile_at(0)->name, &profile, NULL, 0);
    struct heap_arena_source src;
    recorder_arena_source(o.arena_source, &src);
    struct placements_run r = {NULL, stdout};
    int status = 1;
    int rc = heap_new(&r.heap, &profile, &src, NULL);
    if (rc < 0) {
        cli_error(c, 1, "heap: %s", heap_strerror(rc));
        goto out_script;
    }
    struct ops_target t = {.heap = r.heap, .placed = p_placed, .ctx = &r};
    if (ops_script_run(&s, &t, false, err, sizeof err) < 0) {
        fflush(stdout);
        cli_error(c, 1, "%s", err);
        goto out_heap;
    }
    status = fflush(stdout) == 0 ? 0 : cli_error(c, 1, "standard output: write error");
out_heap:
    heap_delete(r.heap);
out_script:
    ops_script_release(&s);
    return status;
}

const struct cli_cmd cmd_placements = {
    .name = "placements",
    .args = "FILE | SCRIPT.py [ARGS...] | -- PYTHON [ARGS...]",
    .summary = "run an allocation script or a Python program and print where each allocation lands",
    .description =
        "FILE is an allocation script (see 'arenascope record --help'): one operation per line,\n"
        "alloc H SIZE | calloc H N SIZE | realloc H SIZE | free H | step LABEL.\n"
        "\n"
        "Prints one line per allocating operation (alloc, calloc, realloc), in order:\n"
        "  OP ARENA POOL OFFSET   a block of the small-object allocator\n"
        "  OP raw                 a block of the raw layer (C malloc: 0 bytes, over the threshold,\n"
        "                         or no arena to be had)\n"
        "OP counts the script's operations from 1 (step markers, comments and blank lines are not\n"
        "counted); ARENA is the 0-based serial number of the arena allocation (a released arena's\n"
        "slot reused later gets a new number); POOL is the pool's index from the arena's base;\n"
        "OFFSET is the block's byte offset in its pool.  With the aligned arena source these are\n"
        "the placements CPython's own obmalloc makes for the same script.\n"
        "\n"
        "A Python program (SCRIPT.py, run by python3, or -- PYTHON ARGS...) runs on the heap with its\n"
        "version's profile in aligned arenas, and every call of its allocator (the OBJ and MEM\n"
        "domains) gives one line: N OP A B ARENA POOL OFFSET, N OP A B raw, or N free, where OP is\n"
        "malloc, calloc or realloc and A B its sizes.  With --reference the same program runs on the\n"
        "interpreter's own pymalloc, with an aligned arena allocator installed through\n"
        "PyObject_SetArenaAllocator: run both with PYTHONHASHSEED=0 and compare, and the two lists\n"
        "are the same when arenascope places every block as CPython does.\n",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .takes_program = true,
    .run = run,
};
