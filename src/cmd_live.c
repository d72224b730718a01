/*
 * cmd_live.c - `arenascope live WORKLOAD`: run a workload in a child process and watch it.
 */
#include "cli.h"
#include "commands.h"
#include "live.h"
#include "program.h"
#include "recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int live_parse_options(struct cli *c, struct live_options *opt)
{
    opt->record = cli_value(c, "record");
    opt->profile = cli_value(c, "profile");
    opt->arena_source = cli_value(c, "arena-source");
    opt->gc_profile = cli_value(c, "gc-profile");
    opt->run = cli_flag(c, "run");
    /* a Python program's stacks are program_prepare()'s */
    opt->stacks = false;
    opt->stack_depth = 0;
    int status = c->program < 0 ? recorder_stack_options(c, &opt->stacks, &opt->stack_depth) : 0;
    if (status)
        return status;
    const char *in = cli_value(c, "stdin");
    if (in && c->program < 0)
        return cli_error(c, CLI_EXIT_USAGE, "--stdin: for a Python program only");
    if (in && strcmp(in, "-") == 0)
        return cli_error(c, CLI_EXIT_USAGE, "--stdin -: the terminal is the viewer's; give the program a FILE");
    if (cli_uint(c, "max-trace-size", 0, true, &opt->max_trace_size))
        return CLI_EXIT_USAGE;
    opt->max_trace_size_given = cli_value(c, "max-trace-size") != NULL;
    if (opt->max_trace_size_given && opt->max_trace_size && opt->max_trace_size < (1u << 20))
        return cli_error(c, CLI_EXIT_USAGE, "--max-trace-size: at least 1M (or 0: no cap)");
    opt->pace = 1;
    const char *pace = cli_value(c, "pace");
    if (pace) {
        opt->pace_given = true;
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

int cmd_live_run(struct cli *c)
{
    if (cli_value(c, "compare"))
        return live_compare_run(c);
    struct live_options opt;
    int status = live_parse_options(c, &opt);
    if (status)
        return status;
    const char *spec = c->args[0];
    char err[1024];
    struct live *l;
    char title[256];
    snprintf(title, sizeof title, "%s", spec);
    if (c->program >= 0) {
        if (opt.profile || opt.gc_profile || opt.arena_source)
            return cli_error(c, CLI_EXIT_USAGE,
                             "--profile, --gc-profile, --arena-source: a Python program has its version's profiles");
        struct program_spec ps;
        if (program_prepare(&ps, c, err, sizeof err) < 0) {
            program_spec_release(&ps);
            return cli_error(c, CLI_EXIT_USAGE, "%s", err);
        }
        size_t n = 0;
        for (int i = 0; i < ps.argc && n < sizeof title; i++)
            n += (size_t)snprintf(title + n, sizeof title - n, "%s%s", i ? " " : "", ps.argv[i]);
        snprintf(ps.cfg.command, sizeof ps.cfg.command, "%s live %s", cli_program, title);
        if (program_check_syntax(&ps, err, sizeof err) < 0) {
            program_spec_release(&ps);
            cli_put_shown(stderr, err); /* as Python puts it, without arenascope's name */
            fputc('\n', stderr);
            return 1;
        }
        bool refused;
        int rc = live_start_program(&l, &ps, &opt, &refused, err, sizeof err);
        program_spec_release(&ps);
        if (rc < 0)
            return cli_error(c, refused ? CLI_EXIT_USAGE : 1, "%s", err);
    } else if (live_start(&l, spec, &opt, err, sizeof err) < 0) {
        return cli_error(c, live_start_status(spec), "%s", err);
    }
    struct ui_look look;
    ui_look_from_env(&look, cli_flag(c, "no-color"), cli_flag(c, "ascii"));
    struct ui_term term;
    char msg[1024];
    if (ui_term_open(&term, &look, err, sizeof err) < 0) {
        live_end(l, msg, sizeof msg);
        return cli_error(c, 1, "%s", err);
    }
    status = live_view(l, title, &look, &term, err, sizeof err);
    ui_term_close(&term);
    if (err[0])
        cli_error(c, status, "%s", err);
    if (live_end(l, msg, sizeof msg) && status == 0)
        status = 1;
    if (msg[0])
        cli_error(c, status, "%s", msg);
    return status;
}
