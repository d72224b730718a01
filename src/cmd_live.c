/*
 * cmd_live.c - `arenascope live WORKLOAD`: run a workload in a child process and watch it.
 */
#include "cli.h"
#include "commands.h"
#include "live.h"
#include "view_opts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt opts[] = {
    {"record", 'r', "FILE", "keep the trace in FILE (otherwise a temporary file, deleted at the end)"},
    {"run", 0, NULL, "start running instead of holding at the first step marker"},
    {"pace", 0, "N", "in run mode, N step markers a second (0: as fast as it runs; default 1)"},
    {"profile", 'p', "P", "the allocator profile (default cpython-3.10; see 'record --help')"},
    {"arena-source", 0, "S", "where arenas come from: mmap (as CPython, the default) or aligned"},
    {"gc-profile", 0, "G", "the collector's profile (default cpython-3.8)"},
    {"stacks", 0, NULL, "record the call stack of every allocation (shown with each object)"},
    VIEW_LOOK_OPTS,
    {0},
};

int live_parse_options(struct cli *c, struct live_options *opt)
{
    opt->record = cli_value(c, "record");
    opt->profile = cli_value(c, "profile");
    opt->arena_source = cli_value(c, "arena-source");
    opt->gc_profile = cli_value(c, "gc-profile");
    opt->run = cli_flag(c, "run");
    opt->stacks = cli_flag(c, "stacks");
    opt->pace = 1;
    const char *pace = cli_value(c, "pace");
    if (pace) {
        char *end;
        opt->pace = strtod(pace, &end);
        if (end == pace || *end || opt->pace < 0 || opt->pace > 1e6)
            return cli_error(c, CLI_EXIT_USAGE, "--pace: not a number of steps a second: '%s'", pace);
    }
    return 0;
}

/* Scripts that cannot be read are runtime errors; anything else refused (a bad spec, profile,
 * option) is a usage error. */
int live_start_status(const char *spec)
{
    return strncmp(spec, "ops:", 4) == 0 ? 1 : CLI_EXIT_USAGE;
}

static int run(struct cli *c)
{
    struct live_options opt;
    int status = live_parse_options(c, &opt);
    if (status)
        return status;
    const char *spec = c->args[0];
    char err[512];
    struct live *l;
    if (live_start(&l, spec, &opt, err, sizeof err) < 0)
        return cli_error(c, live_start_status(spec), "%s", err);
    struct ui_look look;
    ui_look_from_env(&look, cli_flag(c, "no-color"), cli_flag(c, "ascii"));
    struct ui_term term;
    char msg[1024];
    if (ui_term_open(&term, &look, err, sizeof err) < 0) {
        live_end(l, msg, sizeof msg);
        return cli_error(c, 1, "%s", err);
    }
    status = live_view(l, spec, &look, &term, err, sizeof err);
    ui_term_close(&term);
    if (err[0])
        cli_error(c, status, "%s", err);
    if (live_end(l, msg, sizeof msg) && status == 0)
        status = 1;
    if (msg[0])
        cli_error(c, status, "%s", msg);
    return status;
}

const struct cli_cmd cmd_live = {
    .name = "live",
    .args = "WORKLOAD",
    .summary = "run a workload and watch its heap as it runs, step by step",
    .description = "WORKLOAD is demo:NAME (or a demo's name), ops:PATH (an allocation script) or churn[:N].\n"
                   "The workload holds at each step marker until ] lets it go on; Space makes it run at its\n"
                   "pace (+ and - change it).  While it runs, every key of replay works on its history.\n"
                   "\n" VIEW_KEYS_DESCRIPTION,
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
