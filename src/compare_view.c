/*
 * compare_view.c - two traces opened for the side-by-side viewer; see compare_view.h.
 */
#include "compare_view.h"

#include <tracer/model.h>
#include <ui/ui.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void compare_close(struct compare_pair *p)
{
    for (int i = 0; i < 2; i++) {
        seeker_free(p->s[i]);
        p->s[i] = NULL;
    }
}

int compare_open(struct cli *c, const char *a, const char *b, const char *at, struct compare_pair *p)
{
    memset(p, 0, sizeof *p);
    const char *paths[2] = {a, b};
    for (int i = 0; i < 2; i++) {
        char err[1024];
        p->names[i] = paths[i];
        if (seeker_open(&p->s[i], paths[i], 0, err, sizeof err) < 0) {
            p->s[i] = NULL;
            compare_close(p);
            return cli_error(c, 1, "%s", err);
        }
        if (ui_parse_position(p->s[i], at, &p->pos[i], err, sizeof err) < 0) {
            /* an event number one trace does not reach: its end */
            char *end;
            strtoull(at, &end, 10);
            if (i == 1 && *at && !*end) {
                p->pos[i] = seeker_event_count(p->s[i]);
                continue;
            }
            compare_close(p);
            return cli_error(c, CLI_EXIT_USAGE, "--at: %s: %s", paths[i], err);
        }
    }
    return 0;
}

int compare_view_run(struct cli *c, struct compare_pair *p)
{
    struct ui_config cfg[2] = {{.title = "A", .start = p->pos[0]}, {.title = "B", .start = p->pos[1]}};
    ui_look_from_env(&cfg[0].look, cli_flag(c, "no-color"), cli_flag(c, "ascii"));
    cfg[1].look = cfg[0].look;
    struct ui_compare *cmp;
    if (ui_compare_new(&cmp, p->s, cfg, p->names) < 0)
        return cli_error(c, 1, "out of memory");
    char err[512];
    struct ui_term term;
    int status;
    if (ui_term_open(&term, &cfg[0].look, err, sizeof err) < 0) {
        status = cli_error(c, 1, "%s", err);
    } else {
        status = ui_compare_run(cmp, &term);
        ui_term_close(&term);
    }
    ui_compare_free(cmp);
    return status;
}
