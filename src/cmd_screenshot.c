/*
 * cmd_screenshot.c - `arenascope screenshot FILE --at EVENT --view VIEW --size COLSxROWS -o OUT`:
 * the viewer's screen rendered without a terminal, to text or to SVG (by OUT's extension).
 *
 * The screen is exactly what `replay FILE --at EVENT` shows at that size, with VIEW focused and
 * zoomed to the whole body ("all" keeps every pane in its place), after the keys of --keys if
 * any (a help scrolled down, a pool opened).  With --compare B, the side-by-side view of FILE and
 * B, as `diff --view` shows it.  screenshots/ and the golden tests are made this
 * way.
 */
#include "cli.h"
#include "commands.h"
#include "compare_view.h"
#include "view_opts.h"

#include <tracer/model.h>
#include <ui/keys.h>
#include <ui/layout.h>
#include <ui/ui.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes the canvas to out as text, SVG or PNG; 0, or the exit status after saying why. */
static int write_canvas(struct cli *c, const struct canvas *canvas, const char *out, bool png, bool mono)
{
    char err[512];
    if (png ? canvas_write_png(canvas, out, mono, err, sizeof err) < 0 : canvas_write_file(canvas, out, mono) < 0)
        return cli_error(c, 1, "%s: %s", out, png ? err : strerror(errno));
    return 0;
}

/* FILE and B side by side, as 'diff --view' shows them. */
static int screenshot_compare(struct cli *c, const char *other, const int *keys, int nkeys, const char *view,
                              int cols, int rows, const char *out, bool png)
{
    struct compare_pair p;
    const char *at = cli_value(c, "at");
    int status = compare_open(c, c->args[0], other, at ? at : "step:0", &p);
    if (status)
        return status;
    status = 1;
    struct ui_config cfg[2] = {{.title = "A"}, {.title = "B"}};
    cfg[0].look.color = cfg[1].look.color = !cli_flag(c, "no-color");
    cfg[0].look.ascii = cfg[1].look.ascii = cli_flag(c, "ascii");
    struct ui_compare *cmp;
    struct canvas canvas;
    if (ui_compare_new(&cmp, p.s, cfg, p.names) < 0) {
        cli_error(c, 1, "out of memory");
        goto out_pair;
    }
    if (canvas_init(&canvas, cols, rows, cfg[0].look.ascii) < 0) {
        cli_error(c, 1, "out of memory");
        goto out_cmp;
    }
    int rc = ui_compare_render(cmp, p.pos, view, &canvas);
    if (rc == 0) {
        struct ui_screen scr = ui_compare_screen(cmp);
        ui_screen_keys(&scr, keys, nkeys, &canvas);
    }
    status = write_canvas(c, &canvas, out, png, !cfg[0].look.color);
    if (!status && rc < 0)
        status = cli_error(c, 1, "%s / %s: %s %s", p.names[0], other, ui_app_message(ui_compare_side(cmp, 0)),
                           ui_app_message(ui_compare_side(cmp, 1)));
    canvas_release(&canvas);
out_cmp:
    ui_compare_free(cmp);
out_pair:
    compare_close(&p);
    return status;
}

int cmd_screenshot_run(struct cli *c)
{
    const char *path = c->args[0];
    const char *out = cli_value(c, "output");
    if (!out)
        return cli_error(c, CLI_EXIT_USAGE, "needs -o OUT.txt or -o OUT.svg (see 'arenascope screenshot --help')");
    /* text or SVG by the name's extension; another extension would get text under a name that
     * promises something else */
    const char *base = strrchr(out, '/') ? strrchr(out, '/') + 1 : out;
    const char *ext = strrchr(base, '.');
    bool png = ext && strcmp(ext, ".png") == 0;
    if (ext && ext != base && !png && strcmp(ext, ".txt") != 0 && strcmp(ext, ".svg") != 0)
        return cli_error(c, CLI_EXIT_USAGE,
                         "%s: a screenshot is written as OUT.txt (text), OUT.svg or OUT.png (a picture), not %s", out,
                         ext);
    int cols = 120, rows = 40;
    const char *size = cli_value(c, "size");
    if (size && !cli_parse_screen_size(size, 1, 1000, 1, 1000, &cols, &rows))
        return cli_error(c, CLI_EXIT_USAGE, "--size: expected COLSxROWS like 120x40, got '%s'", size);
    const char *view = cli_value(c, "view");
    if (!view)
        view = "all";
    if (strcmp(view, "all") != 0 && strcmp(view, "help") != 0 && ui_pane_from_name(view) == UI_PANE_NONE)
        return cli_error(c, CLI_EXIT_USAGE, "--view: no view '%s' (all, arenas, pool, classes, objects, gc, timeline, help)",
                         view);

    char err[512];
    int keys[256];
    int nkeys = 0;
    const char *keytext = cli_value(c, "keys");
    if (keytext && (nkeys = ui_keys_parse(keytext, keys, sizeof keys / sizeof keys[0], err, sizeof err)) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "--keys: %s", err);
    const char *other = cli_value(c, "compare");
    if (other)
        return screenshot_compare(c, other, keys, nkeys, view, cols, rows, out, png);
    uint64_t pos;
    int status;
    struct seeker *s = view_open(c, true, &pos, &status);
    if (!s)
        return status;
    status = 1;
    struct ui_config cfg = {.title = path};
    cfg.look.color = !cli_flag(c, "no-color");
    cfg.look.ascii = cli_flag(c, "ascii");
    struct ui_app *app;
    if (ui_app_new(&app, s, &cfg) < 0) {
        cli_error(c, 1, "out of memory");
        goto out_seeker;
    }
    struct canvas canvas;
    if (canvas_init(&canvas, cols, rows, cfg.look.ascii) < 0) {
        cli_error(c, 1, "out of memory");
        goto out_app;
    }
    int rc = ui_app_render(app, pos, view, &canvas);
    if (rc == 0) {
        struct ui_screen scr = ui_app_screen(app);
        ui_screen_keys(&scr, keys, nkeys, &canvas);
    }
    if (write_canvas(c, &canvas, out, png, !cfg.look.color) != 0)
        goto out_canvas;
    if (rc < 0) {
        /* the screen shows what could be shown; say why it stops */
        cli_error(c, 1, "%s: %s", path, ui_app_message(app));
        goto out_canvas;
    }
    status = 0;
out_canvas:
    canvas_release(&canvas);
out_app:
    ui_app_free(app);
out_seeker:
    seeker_free(s);
    return status;
}
