/*
 * cmd_replay.c - `arenascope replay FILE [--at EVENT]`: a saved trace in the viewer.
 */
#include "cli.h"
#include "commands.h"
#include "view_opts.h"

#include <tracer/model.h>
#include <ui/ui.h>

#include <inttypes.h>
#include <stdio.h>

static const struct cli_opt opts[] = {
    {"at", 'a', "EVENT", "open at event N (from 0), step:N (the end of step N), start or end (default: start)"},
    VIEW_LOOK_OPTS,
    {0},
};

static int run(struct cli *c)
{
    const char *path = c->args[0];
    char err[512];
    struct seeker *s;
    if (seeker_open(&s, path, 0, err, sizeof err) < 0)
        return cli_error(c, 1, "%s", err);
    int status = 1;
    uint64_t start = 0;
    const char *at = cli_value(c, "at");
    if (at) {
        if (view_parse_position(c, s, path, at, &start) != 0) {
            status = CLI_EXIT_USAGE;
            goto out_seeker;
        }
    }
    struct ui_config cfg = {.title = path, .start = start, .live = NULL};
    ui_look_from_env(&cfg.look, cli_flag(c, "no-color"), cli_flag(c, "ascii"));
    struct ui_app *app;
    if (ui_app_new(&app, s, &cfg) < 0) {
        cli_error(c, 1, "out of memory");
        goto out_seeker;
    }
    struct ui_term term;
    if (ui_term_open(&term, &cfg.look, err, sizeof err) < 0) {
        cli_error(c, 1, "%s", err);
        goto out_app;
    }
    status = ui_app_run(app, &term);
    ui_term_close(&term);
out_app:
    ui_app_free(app);
out_seeker:
    seeker_free(s);
    return status;
}

const struct cli_cmd cmd_replay = {
    .name = "replay",
    .args = "FILE",
    .summary = "step through a saved trace in the viewer",
    .description = VIEW_KEYS_DESCRIPTION,
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
