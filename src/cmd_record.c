/*
 * cmd_record.c - `arenascope record`: run a workload on the instrumented allocator and write
 * every event to a trace file.
 */
#include "cli.h"
#include "commands.h"
#include "ops.h"
#include "program.h"
#include "recorder.h"
#include "view_opts.h"

#include <allocator/gc.h>
#include <allocator/runtime.h>
#include <tracer/model.h>
#include <tracer/stats_report.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Progress of the post-pass on a terminal: shown once it has taken half a second. */
struct progress {
    const char *path;
    struct timespec start;
    bool shown;
};

static bool show_progress(void *ctx, uint64_t done, uint64_t total)
{
    struct progress *p = ctx;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double elapsed = (double)(now.tv_sec - p->start.tv_sec) + (double)(now.tv_nsec - p->start.tv_nsec) / 1e9;
    if (elapsed >= 0.5 && total > 0) {
        fprintf(stderr, "\rindexing %s: %3.0f%% of %llu events", p->path, 100.0 * (double)done / (double)total,
                (unsigned long long)total);
        p->shown = true;
    }
    return true;
}

/* Adds checkpoints and the timeline summary to the trace's index, so viewers seek at once. */
static int index_trace(const struct cli *c, const char *path)
{
    struct progress p = {.path = path};
    clock_gettime(CLOCK_MONOTONIC, &p.start);
    char err[512];
    int rc = model_build_checkpoints(path, isatty(STDERR_FILENO) ? show_progress : NULL, &p, err, sizeof err);
    if (p.shown)
        fprintf(stderr, "\r\033[K");
    if (rc < 0)
        return cli_error(c, 1, "%s: indexing the trace: %s", path, err);
    return 0;
}

/* The command line as the user typed it, for the trace header. */
static void command_line(const struct cli *c, char *buf, size_t len)
{
    size_t n = (size_t)snprintf(buf, len, "%s %s", cli_program, c->cmd->name);
    for (int i = 0; c->cmd->opts[i].name && n < len; i++) {
        if (!c->values[i])
            continue;
        if (c->cmd->opts[i].metavar)
            n += (size_t)snprintf(buf + n, len - n, " --%s %s", c->cmd->opts[i].name, c->values[i]);
        else
            n += (size_t)snprintf(buf + n, len - n, " --%s", c->cmd->opts[i].name);
    }
    for (int i = 0; i < c->nargs && n < len; i++)
        n += (size_t)snprintf(buf + n, len - n, " %s", c->args[i]);
}

/* `record -o FILE -- PYTHON ARGS...`: the program writes the trace; then it is indexed.  The
 * program's exit status is the command's. */
static int run_program(struct cli *c, const char *out, const char *cmdline)
{
    if (strcmp(out, "-") == 0)
        return cli_error(c, CLI_EXIT_USAGE, "-o -: a Python program's trace goes to a file");
    if (cli_value(c, "profile") || cli_value(c, "gc-profile"))
        return cli_error(c, CLI_EXIT_USAGE, "--profile, --gc-profile: a Python program has its version's profiles");
    const char *source = cli_value(c, "arena-source");
    if (source && strcmp(source, "mmap") != 0 && strcmp(source, "aligned") != 0)
        return cli_error(c, CLI_EXIT_USAGE, "--arena-source: unknown source '%s' (expected mmap or aligned)", source);
    struct program_spec spec;
    char err[1024];
    if (program_prepare(&spec, c, err, sizeof err) < 0) {
        program_spec_release(&spec);
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    }
    spec.cfg.mode = CAPTURE_RECORD;
    snprintf(spec.cfg.trace, sizeof spec.cfg.trace, "%s", out);
    if (source)
        snprintf(spec.cfg.arena_source, sizeof spec.cfg.arena_source, "%s", source);
    snprintf(spec.cfg.command, sizeof spec.cfg.command, "%s", cmdline);
    /* The file is claimed here, so that a path that cannot be written, or one another recording
     * is writing, is this command's error; the claim lasts until the command ends. */
    int claim = recorder_claim(out, err, sizeof err);
    if (claim < 0) {
        program_spec_release(&spec);
        return cli_error(c, 1, "%s", err);
    }
    /* Ctrl-C is the program's: it ends, and its trace is completed and indexed here. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old_int, old_quit;
    sigaction(SIGINT, &ign, &old_int);
    sigaction(SIGQUIT, &ign, &old_quit);
    int status, ws;
    bool refused;
    if (program_run(&spec, &ws, &refused, err, sizeof err) < 0) {
        unlink(out);
        status = cli_error(c, refused ? CLI_EXIT_USAGE : 1, "%s", err);
        goto out_signals;
    }
    char words[128];
    status = program_exit_status(ws, words, sizeof words);
    if (words[0] && WIFSIGNALED(ws))
        cli_error(c, status, "%s; its trace is kept up to its last whole chunk", words);
    if (index_trace(c, out) != 0 && status == 0)
        status = 1;
    if (cli_flag(c, "stats")) {
        struct seeker *sk;
        if (seeker_open(&sk, out, 0, err, sizeof err) == 0) {
            struct heap_stats *st = malloc(sizeof *st);
            if (st && seeker_seek(sk, seeker_event_count(sk)) == 0) {
                model_get_stats(seeker_model(sk), st);
                stats_report_print(stdout, st, STATS_REPORT_DEFAULT);
                view_print_tool_share(stdout, seeker_model(sk));
            }
            free(st);
            seeker_free(sk);
        }
    }
out_signals:
    close(claim);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGQUIT, &old_quit, NULL);
    program_spec_release(&spec);
    return status;
}

int cmd_record_run(struct cli *c)
{
    const char *out = cli_value(c, "output");
    if (!out)
        return cli_error(c, CLI_EXIT_USAGE, "missing -o FILE: where to write the trace (see '%s record --help')",
                         cli_program);
    char cmdline[512];
    command_line(c, cmdline, sizeof cmdline);
    if (c->program >= 0)
        return run_program(c, out, cmdline);
    struct gc_profile gc = *gc_profile_default();
    char gcerr[256];
    if (cli_value(c, "gc-profile") &&
        gc_profile_parse(cli_value(c, "gc-profile"), &gc, gcerr, sizeof gcerr) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "%s", gcerr);
    bool stacks;
    unsigned depth;
    int status = recorder_stack_options(c, &stacks, &depth);
    if (status)
        return status;
    struct recorder_options o = {
        .gc = &gc,

        .profile = cli_value(c, "profile"),
        .arena_source = cli_value(c, "arena-source"),
        .stacks = stacks,
        .stack_depth = depth,
        .command = cmdline,
        .path = out,
    };
    char err[512];
    if (recorder_check_options(&o, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    if (cli_value(c, "stdin"))
        return cli_error(c, CLI_EXIT_USAGE, "--stdin: for a Python program only");

    const char *spec = c->args[0];
    struct workload *w = workload_prepare(spec, err, sizeof err);
    if (!w)
        return cli_error(c, strncmp(spec, "ops:", 4) == 0 ? 1 : CLI_EXIT_USAGE, "%s", err);
    struct recorder *r;
    status = 1;
    int claim = strcmp(out, "-") == 0 ? -1 : recorder_claim(out, err, sizeof err);
    if (claim < 0 && strcmp(out, "-") != 0) {
        cli_error(c, 1, "%s", err);
        goto out_workload;
    }
    if (recorder_open(&r, &o, workload_needs_runtime(w), err, sizeof err) < 0) {
        cli_error(c, 1, "%s", err);
        goto out_claim;
    }
    if (recorder_run(r, w, err, sizeof err) < 0) {
        cli_error(c, 1, "%s", err);
        goto out_recorder;
    }
    if (recorder_finish(r, err, sizeof err) < 0) {
        cli_error(c, 1, "%s", err);
        goto out_recorder;
    }
    if (cli_flag(c, "stats")) {
        struct heap_stats *st = malloc(sizeof *st);
        if (!st) {
            cli_error(c, 1, "out of memory");
            goto out_recorder;
        }
        recorder_get_stats(r, st);
        /* The report goes where the trace does not. */
        FILE *f = strcmp(out, "-") == 0 ? stderr : stdout;
        stats_report_print(f, st, STATS_REPORT_DEFAULT);
        free(st);
    }
    if (strcmp(out, "-") != 0 && index_trace(c, out) != 0)
        goto out_recorder;
    status = 0;
out_recorder:
    recorder_free(r);
out_claim:
    if (claim >= 0)
        close(claim);
out_workload:
    workload_free(w);
    return status;
}
