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
    int status, ws;
    bool refused;
    if (program_run(&spec, &ws, &refused, err, sizeof err) < 0) {
        status = cli_error(c, refused ? CLI_EXIT_USAGE : 1, "%s", err);
        goto out;
    }
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

int cmd_placements_run(struct cli *c)
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
