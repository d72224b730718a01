/*
 * loop.c - the terminal loop that drives a screen (struct ui_screen, ui.h): the viewer of one
 * trace (ui_app_screen) or two side by side (ui_compare_screen).
 *
 * The loop knows a screen only by what it does: it takes an input and says what must be redone
 * (enum ui_redo), it paints itself into a canvas, and, for a screen that moves on its own (the
 * viewer playing, or following a live workload), time passes (tick) at the pace it asks for
 * (wait_ms).  The loop sizes the canvas to the terminal on every relayout, drains every pending
 * input before painting, and paints at most once per frame (UI_FRAME_MS), so that a burst of
 * keys, a flood of live events or a held key costs one frame, never a backlog.  It also keeps the
 * signal (UI_IN_QUIT) that ended it, for the exit status the shell is given.
 *
 * ui_screen_keys is the same screen without a terminal: keys sent in order, then one paint, as
 * `arenascope screenshot --keys` and the golden tests take them.
 */
#include "app.h"

#include <time.h>

#define DRAIN_MAX 4096 /* inputs answered at most between two frames */

double ui_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* How long the screen lets the loop wait for input before time passes; -1: it does not move
 * on its own. */
static int screen_wait_ms(const struct ui_screen *scr)
{
    return scr->wait_ms ? scr->wait_ms(scr->ctx) : -1;
}

/* Answers the inputs that came, waiting timeout ms (-1: for ever) for the first one; the
 * signal of a UI_IN_QUIT goes to *quit_signal. */
static enum ui_redo read_inputs(const struct ui_screen *scr, struct ui_term *term, int timeout, int *quit_signal)
{
    enum ui_redo redo = UI_REDO_NOTHING;
    struct ui_input in = term->read(term->ctx, timeout);
    int drained = 0;
    while (in.kind != UI_IN_NONE) {
        if (in.kind == UI_IN_QUIT)
            *quit_signal = in.key;
        redo |= scr->input(scr->ctx, &in);
        if ((redo & UI_REDO_QUIT) || ++drained >= DRAIN_MAX)
            break;
        in = term->read(term->ctx, 0);
    }
    return redo;
}

int ui_screen_run(const struct ui_screen *scr, struct ui_term *term)
{
    struct canvas c;
    if (canvas_init(&c, 80, 24, term->ascii) < 0)
        return 1;
    int quit_signal = 0;
    enum ui_redo redo = UI_REDO_RELAYOUT;
    double last_paint = -1e9;
    for (;;) {
        if (redo & UI_REDO_QUIT)
            break;
        if (redo & UI_REDO_RELAYOUT) {
            int cols, rows;
            term->size(term->ctx, &cols, &rows);
            if (canvas_resize(&c, cols, rows) < 0)
                break;
            redo = (redo & ~UI_REDO_RELAYOUT) | UI_REDO_REPAINT;
        }
        double now = ui_now_ms();
        int timeout = -1;
        if (redo & UI_REDO_REPAINT) {
            if (now - last_paint >= UI_FRAME_MS) {
                /* while time works, an input that came during the last tick is answered before
                 * the frame is painted: q does not wait for a frame no one will see */
                if (screen_wait_ms(scr) >= 0) {
                    redo |= read_inputs(scr, term, 0, &quit_signal);
                    if (redo & (UI_REDO_QUIT | UI_REDO_RELAYOUT))
                        continue;
                }
                scr->paint(scr->ctx, &c);
                term->present(term->ctx, &c);
                last_paint = now;
                redo &= ~UI_REDO_REPAINT;
            } else {
                timeout = (int)(UI_FRAME_MS - (now - last_paint)) + 1;
            }
        }
        if (timeout < 0)
            timeout = screen_wait_ms(scr);
        redo |= read_inputs(scr, term, timeout, &quit_signal);
        if (!(redo & UI_REDO_QUIT) && scr->tick)
            redo |= scr->tick(scr->ctx, ui_now_ms());
    }
    canvas_release(&c);
    return quit_signal > 0 ? 128 + quit_signal : 0;
}

void ui_screen_keys(const struct ui_screen *scr, const int *keys, int nkeys, struct canvas *c)
{
    if (nkeys <= 0)
        return;
    for (int i = 0; i < nkeys; i++) {
        struct ui_input in = {UI_IN_KEY, keys[i], 0, 0};
        if (scr->input(scr->ctx, &in) & UI_REDO_QUIT)
            break;
    }
    scr->paint(scr->ctx, c);
}
