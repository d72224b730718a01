/*
 * fake_term.h - a terminal for tests: inputs come from a script, presented canvases are kept.
 */
#ifndef TESTS_UI_FAKE_TERM_H
#define TESTS_UI_FAKE_TERM_H

#include <ui/term.h>

#include <stdlib.h>
#include <string.h>

struct fake_term {
    int cols, rows;
    const struct ui_input *script; /* inputs handed out in order, then 'q' */
    size_t n, next;
    size_t presents;               /* canvases shown */
    char *last;                    /* the last one, as text */
};

static inline void fake_size(void *ctx, int *cols, int *rows)
{
    struct fake_term *t = ctx;
    *cols = t->cols;
    *rows = t->rows;
}

static inline struct ui_input fake_read(void *ctx, int timeout_ms)
{
    struct fake_term *t = ctx;
    (void)timeout_ms;
    if (t->next < t->n) {
        struct ui_input in = t->script[t->next++];
        if (in.kind == UI_IN_RESIZE) {
            t->cols = in.x;
            t->rows = in.y;
        }
        return in;
    }
    t->next++;
    return (struct ui_input){UI_IN_KEY, 'q', 0, 0};
}

static inline void fake_present(void *ctx, const struct canvas *c)
{
    struct fake_term *t = ctx;
    t->presents++;
    free(t->last);
    t->last = canvas_to_text(c);
}

static inline struct ui_term fake_term_make(struct fake_term *t)
{
    struct ui_term term = {t, fake_size, fake_read, fake_present, false};
    return term;
}

#endif
