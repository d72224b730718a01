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

int cmd_replay_run(struct cli *c)
{
    struct ui_config cfg = {.title = c->args[0], .live = NULL};
    ui_look_from_env(&cfg.look, cli_flag(c, "no-color"), cli_flag(c, "ascii"));
    int status;
    struct seeker *s = view_open(c, false, &cfg.start, &status);
    if (!s)
        return status;
    status = 1;
    char err[512];
    /* without --at, at the first step: the setup before it (the runtime's free lists, the
     * interpreter's start) is done, and the first ] runs step 1 */
    if (!cli_value(c, "at") && ui_parse_position(s, "step:0", &cfg.start, err, sizeof err) < 0) {
        cli_error(c, 1, "%s: %s", c->args[0], err);
        goto out_seeker;
    }
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
