/*
 * cmd_demo.c - `arenascope demo [NAME]`: a built-in demo, live, held at each step (the
 * classroom way); with no name, a menu of the demos.  `demo --list` prints them.
 *
 * `demo --source NAME` prints the Python source the demo mirrors (src/demos.h; every step of the
 * demo names the line of it that it runs, and the Code pane shows it), and
 * `demo NAME --real [-- PYTHON]` runs that source on the real interpreter: it is written to a
 * temporary folder and handed to `live` as a script, so that the real run is exactly what
 * `arenascope live demo_NAME.py` shows.
 */
#include "cli.h"
#include "commands.h"
#include "demos.h"
#include "live.h"
#include "workload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* The source of the demo `name`, or NULL after a one-line error (exit 2). */
static const struct demo_source *source_of(struct cli *c, const char *name)
{
    const struct demo_source *s = demo_source_find(name);
    if (!s)
        cli_error(c, CLI_EXIT_USAGE, "demo '%s' has no Python source", name);
    return s;
}

/* `live [OPTIONS] -- PYTHON... DIR/demo_NAME.py`, with the options of ours that live shares. */
static int run_real(struct cli *c, const struct demo_source *s)
{
    char dir[] = "/tmp/arenascope-demo-XXXXXX";
    if (!mkdtemp(dir))
        return cli_error(c, 1, "a temporary folder: %s", strerror(errno));
    char path[sizeof dir + 64];
    snprintf(path, sizeof path, "%s/%s", dir, strrchr(s->path, '/') + 1);
    FILE *f = fopen(path, "w");
    bool written = f && fputs(s->text, f) >= 0;
    if (f && fclose(f) != 0)
        written = false;
    int status;
    if (!written) {
        status = cli_error(c, 1, "%s: %s", path, strerror(errno));
    } else {
        char *argv[CLI_MAX_ARGS + CLI_MAX_OPTS + 4];
        char opts[CLI_MAX_OPTS][160];
        int n = 0;
        argv[n++] = "live";
        for (int i = 0; c->cmd->opts[i].name; i++) {
            const struct cli_opt *o = &c->cmd->opts[i];
            if (!c->values[i] || strcmp(o->name, "real") == 0 || strcmp(o->name, "stacks") == 0)
                continue;
            snprintf(opts[i], sizeof opts[i], "--%s%s%s", o->name, o->metavar ? "=" : "",
                     o->metavar ? c->values[i] : "");
            argv[n++] = opts[i];
        }
        argv[n++] = "--";
        if (c->nargs == 1)
            argv[n++] = "python3";
        for (int i = 1; i < c->nargs; i++)
            argv[n++] = c->args[i];
        argv[n++] = path;
        /* live's options and run, under demo's name: what it refuses, demo says */
        struct cli_cmd as_demo = cmd_live;
        as_demo.name = c->cmd->name;
        struct cli lc;
        bool done;
        status = cli_parse(&as_demo, n, argv, &lc, &done);
        if (status == 0 && !done)
            status = as_demo.run(&lc);
    }
    unlink(path);
    rmdir(dir);
    return status;
}

/* Runs demo NAME live on the open terminal until q: its exit status, and in msg what is to be said
 * once the terminal is closed ("" for nothing). */
static int view_demo(const char *name, const struct live_options *opt, const struct ui_look *look,
                     struct ui_term *term, char *msg, size_t len)
{
    char spec[128], err[512];
    snprintf(spec, sizeof spec, "demo:%s", name);
    struct live *l;
    if (live_start(&l, spec, opt, msg, len) < 0)
        return live_start_status(spec);
    int status = live_view(l, spec, look, term, err, sizeof err);
    char end[1024];
    if (live_end(l, end, sizeof end) && status == 0)
        status = 1;
    snprintf(msg, len, "%s%s%s", err, err[0] && end[0] ? "; " : "", end);
    return status;
}

int cmd_demo_run(struct cli *c)
{
    if (cli_flag(c, "list"))
        return c->nargs ? cli_error(c, CLI_EXIT_USAGE, "--list takes no demo name") : list();
    const char *name = c->nargs ? c->args[0] : NULL;
    if (name && !demo_find(name))
        return cli_error(c, CLI_EXIT_USAGE, "no demo '%s' (see 'arenascope demo --list')", name);
    bool real = cli_flag(c, "real");
    if (c->nargs > 1 && !real)
        return cli_error(c, CLI_EXIT_USAGE, "unexpected argument '%s'", c->args[1]);
    if (cli_flag(c, "source") || real) {
        if (!name)
            return cli_error(c, CLI_EXIT_USAGE, "--%s needs a demo name", real ? "real" : "source");
        if (real && cli_flag(c, "source"))
            return cli_error(c, CLI_EXIT_USAGE, "--source and --real: one or the other");
        const struct demo_source *s = source_of(c, name);
        if (!s)
            return CLI_EXIT_USAGE;
        if (real)
            return run_real(c, s);
        fputs(s->text, stdout);
        return fflush(stdout) == 0 ? 0 : cli_error(c, 1, "standard output: %s", strerror(errno));
    }
    if (demo_count() == 0)
        return cli_error(c, 1, "this build has no demos");
    struct live_options opt;
    int status = live_parse_options(c, &opt);
    if (status)
        return status;
    struct ui_look look;
    ui_look_from_env(&look, cli_flag(c, "no-color"), cli_flag(c, "ascii"));
    char msg[1600];
    struct ui_term term;
    if (ui_term_open(&term, &look, msg, sizeof msg) < 0)
        return cli_error(c, 1, "%s", msg);
    msg[0] = '\0';
    if (name)
        status = view_demo(name, &opt, &look, &term, msg, sizeof msg);
    /* From the menu, q in a demo comes back to the menu with that demo selected; q in the menu,
     * or a demo ended by a signal or with something to say, leaves. */
    struct ui_menu_item *items = name ? NULL : calloc(demo_count(), sizeof *items);
    for (size_t i = 0; items && i < demo_count(); i++)
        items[i] = (struct ui_menu_item){demo_at(i)->name, demo_at(i)->summary};
    if (!name && !items)
        status = 1, snprintf(msg, sizeof msg, "out of memory");
    size_t sel = 0;
    while (items) {
        int pick = ui_menu_run(&term, "demos",
                               "Each demo runs a few lines of Python on a re-implementation of CPython's memory "
                               "manager and holds at every step: press ] to let it take the next one, l and h to "
                               "move event by event, ? for every key, q to come back here.",
                               items, demo_count(), sel);
        if (pick < 0)
            break;
        sel = (size_t)pick;
        status = view_demo(demo_at(sel)->name, &opt, &look, &term, msg, sizeof msg);
        if (status != 0 || msg[0])
            break;
    }
    free(items);
    ui_term_close(&term);
    if (msg[0])
        cli_error(c, status, "%s", msg);
    return status;
}
