/*
 * cmd_demo.c - `arenascope demo [NAME]`: a built-in demo, live, held at each step (the
 * classroom way); with no name, a menu of the demos.  `demo --list` prints them.
 */
#include "cli.h"
#include "commands.h"
#include "live.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int list(void)
{
    size_t w = 0;
    for (size_t i = 0; i < demo_count(); i++)
        if (strlen(demo_at(i)->name) > w)
            w = strlen(demo_at(i)->name);
    for (size_t i = 0; i < demo_count(); i++)
        printf("%-*s  %s\n", (int)w, demo_at(i)->name, demo_at(i)->summary);
    return 0;
}

int cmd_demo_run(struct cli *c)
{
    if (cli_flag(c, "list"))
        return c->nargs ? cli_error(c, CLI_EXIT_USAGE, "--list takes no demo name") : list();
    const char *name = c->nargs ? c->args[0] : NULL;
    if (name && !demo_find(name))
        return cli_error(c, CLI_EXIT_USAGE, "no demo '%s' (see 'arenascope demo --list')", name);
    if (demo_count() == 0)
        return cli_error(c, 1, "this build has no demos");
    struct live_options opt;
    int status = live_parse_options(c, &opt);
    if (status)
        return status;
    struct ui_look look;
    ui_look_from_env(&look, cli_flag(c, "no-color"), cli_flag(c, "ascii"));
    char err[512];
    struct ui_term term;
    if (ui_term_open(&term, &look, err, sizeof err) < 0)
        return cli_error(c, 1, "%s", err);
    if (!name) {
        struct ui_menu_item *items = calloc(demo_count(), sizeof *items);
        if (!items) {
            ui_term_close(&term);
            return cli_error(c, 1, "out of memory");
        }
        for (size_t i = 0; i < demo_count(); i++)
            items[i] = (struct ui_menu_item){demo_at(i)->name, demo_at(i)->summary};
        int pick = ui_menu_run(&term, "demos",
                               "Each demo runs a few lines of Python on a re-implementation of CPython's memory "
                               "manager and holds at every step: press ] to let it take the next one, l and h to "
                               "move event by event, ? for every key.",
                               items, demo_count());
        free(items);
        if (pick < 0) {
            ui_term_close(&term);
            return 0;
        }
        name = demo_at((size_t)pick)->name;
    }
    char spec[128];
    snprintf(spec, sizeof spec, "demo:%s", name);
    struct live *l;
    if (live_start(&l, spec, &opt, err, sizeof err) < 0) {
        ui_term_close(&term);
        return cli_error(c, live_start_status(spec), "%s", err);
    }
    status = live_view(l, spec, &look, &term, err, sizeof err);
    ui_term_close(&term);
    if (err[0])
        cli_error(c, status, "%s", err);
    char msg[1024];
    if (live_end(l, msg, sizeof msg) && status == 0)
        status = 1;
    if (msg[0])
        cli_error(c, status, "%s", msg);
    return status;
}
