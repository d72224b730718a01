/*
 * compare_view.h - two traces in the side-by-side viewer (ui.h's ui_compare), as `diff --view`,
 * `live --compare` and `screenshot --compare` open them.
 */
#ifndef SRC_COMPARE_VIEW_H
#define SRC_COMPARE_VIEW_H

#include "cli.h"

#include <tracer/model.h>

#include <stdint.h>

struct compare_pair {
    struct seeker *s[2];
    uint64_t pos[2];      /* where each opens */
    const char *names[2]; /* what the row over each side calls it */
};

/*
 * Opens the traces at paths a and b, each at `at` (ui_parse_position's words; the same words for
 * both, so that step:N is step N on either side; an event past one trace's end is its end).
 * names[] are the paths.  Returns 0, or the exit status after printing why (1 for a file, 2 for
 * a bad --at).
 */
int compare_open(struct cli *c, const char *a, const char *b, const char *at, struct compare_pair *p);
void compare_close(struct compare_pair *p);

/* The pair in the side-by-side viewer on the terminal until q.  Returns the exit status. */
int compare_view_run(struct cli *c, struct compare_pair *p);

#endif
