/*
 * ui.h - the viewer: a trace (saved or growing) shown in panes, stepped with keys.
 *
 * A `struct ui_app` shows the model of a seeker (tracer/model.h) at one position and moves it
 * as the user asks: event by event, step marker by step marker, collection by collection, to
 * search hits and breakpoints, or playing at a chosen speed.  In live mode it also follows the
 * growing trace of a running workload and drives the workload through `struct ui_live`.
 *
 * The loop (ui_screen_run, loop.c) is the classic one: wait for input or the next frame, let the
 * handler say what must be redone (nothing, repaint, relayout, quit), and paint at most once per
 * frame (layout -> views -> canvas -> terminal).  It drives a `struct ui_screen`: the viewer
 * (ui_app_screen) or two viewers side by side (ui_compare_screen), which both answer inputs,
 * paint, and, the viewer, let time pass.  ui_app_input() and ui_app_paint() are the same steps
 * one at a time, for tests and screenshots.
 */
#ifndef UI_UI_H
#define UI_UI_H

#include <tracer/model.h>
#include <ui/canvas.h>
#include <ui/layout.h>
#include <ui/term.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an input handler asks the loop to redo; combined with |. */
enum ui_redo {
    UI_REDO_NOTHING = 0,
    UI_REDO_REPAINT = 1,
    UI_REDO_RELAYOUT = 2,
    UI_REDO_QUIT = 4,
};

/* The workload of a live session, as the viewer sees it (src/live.c implements it). */
enum ui_live_state {
    UI_LIVE_STARTING, /* not yet at its first step marker */
    UI_LIVE_WAITING,  /* holding at a step marker until the user steps it */
    UI_LIVE_RUNNING,  /* running at its pace */
    UI_LIVE_FINISHED, /* ended normally */
    UI_LIVE_DIED,     /* killed or crashed: its trace stays */
};

struct ui_live {
    void *ctx;
    /* Lets the workload run to its next step marker (and hold there). */
    void (*step)(void *ctx);
    /* Run mode at `pace` step markers per second (0: no pause at markers); or, with run false,
     * step mode: hold at the next marker. */
    void (*run)(void *ctx, bool run, double pace);
    /* The workload's state; msg gets a short description ("killed by SIGSEGV"). */
    enum ui_live_state (*state)(void *ctx, char *msg, size_t len);
    /* The lines to hold a real program at even in run mode, "FILE:LINE" as line steps' labels
     * begin (the line breakpoints), replacing those sent before; may be NULL. */
    void (*hold_lines)(void *ctx, const char *const *lines, size_t n);
};

/*
 * A screen the loop drives: what it does with an input, how it paints, and, for one that moves on
 * its own, time passing.  ctx is the screen's own state (the viewer, the pair side by side).
 */
struct ui_screen {
    void *ctx;
    /* One input; returns what must be redone. */
    enum ui_redo (*input)(void *ctx, const struct ui_input *in);
    /* Paints the whole screen into c (whose size is the terminal's). */
    void (*paint)(void *ctx, struct canvas *c);
    /* Time passes (now_ms: a monotonic clock); called after each wait for input.  NULL: the
     * screen moves only when told. */
    enum ui_redo (*tick)(void *ctx, double now_ms);
    /* How long the loop may wait for input before time passes again, in ms; -1 while nothing
     * moves on its own (the loop then waits for input alone).  NULL: always -1. */
    int (*wait_ms)(void *ctx);
};

#define UI_FRAME_MS (1000.0 / 30) /* the loop paints at most once in this many milliseconds */

/* Runs the loop until the screen asks to quit.  Returns 0; 128 + N when signal N (SIGINT,
 * SIGTERM, SIGHUP) ended it, as a shell reports it; 1 when the terminal failed. */
int ui_screen_run(const struct ui_screen *scr, struct ui_term *term);
/* The screen without a terminal: the keys sent in order (until one quits), then painted into c
 * once; nothing when there are no keys.  `screenshot --keys` and the golden tests use it. */
void ui_screen_keys(const struct ui_screen *scr, const int *keys, int nkeys, struct canvas *c);

struct ui_config {
    const char *title;          /* the header's name for what is shown: a file, "demo:cycles" */
    uint64_t start;             /* the position to open at */
    struct ui_look look;
    const struct ui_live *live; /* NULL when replaying */
    bool live_run;              /* live: start in run mode, not holding at each step */
    double live_pace;           /* live run mode: step markers per second, 0 as fast as it goes */
    bool half;                  /* a side of the side-by-side viewer: laid out down to UI_HALF_MIN_COLS, no Space */
};

struct ui_app;

/* The app shows s (which the caller keeps, and frees after the app).  0 or -1 (no memory). */
int ui_app_new(struct ui_app **out, struct seeker *s, const struct ui_config *cfg);
void ui_app_free(struct ui_app *app);

/* The app as the loop drives it. */
struct ui_screen ui_app_screen(struct ui_app *app);
/* Runs the loop (ui_screen_run) on the app, its glyphs as the terminal's, until the user quits;
 * returns what ui_screen_run returns. */
int ui_app_run(struct ui_app *app, struct ui_term *term);

/* One input; returns what must be redone. */
enum ui_redo ui_app_input(struct ui_app *app, const struct ui_input *in);
/* Time passes: playing, following a live workload.  now_ms is a monotonic clock. */
enum ui_redo ui_app_tick(struct ui_app *app, double now_ms);
/* Paints the whole screen into c (whose size is the terminal's). */
void ui_app_paint(struct ui_app *app, struct canvas *c);

/* For screenshots and tests: focus and zoom a pane (UI_PANE_NONE: the whole arrangement), and
 * move to a position. */
void ui_app_show_pane(struct ui_app *app, enum ui_pane pane, bool zoom);
int ui_app_seek(struct ui_app *app, uint64_t pos);
uint64_t ui_app_position(const struct ui_app *app);
/*
 * The screen `replay` shows at position pos with `view` in front: "all" (every pane in its
 * place), a pane's name ("arenas", ... as ui_pane_from_name knows them) zoomed to the body, or
 * "help".  Paints into c.  Returns 0; -1 for an unknown view; a position the model could not
 * reach returns the seek's error, the screen then shows what could be shown and
 * ui_app_message() says why.  Screenshots and golden tests are made with it.
 */
int ui_app_render(struct ui_app *app, uint64_t pos, const char *view, struct canvas *c);

/*
 * Reads a position as the command line and tests give it: "N" is event N (the position after
 * it), "step:N" the end of step N (where ] stops: just before marker N + 1, or the end of the
 * trace after the last one), "step:0" just before the first marker (the setup done; the start
 * when there is no marker), "start" and "end".  Returns 0, or -1 with a one-line reason in err.
 */
int ui_parse_position(struct seeker *s, const char *text, uint64_t *pos, char *err, size_t errlen);

/* "12.5 KiB": a number of bytes as the views write it (the command line too). */
const char *ui_fmt_bytes(char buf[32], uint64_t n);

/* The status line's message, "" when none (tests read it). */
const char *ui_app_message(const struct ui_app *app);

/*
 * Two traces side by side (compare.c): each in its own viewer painting half the screen, under a
 * row naming its trace and profiles, keys going to both.  ] and [ move both to the end of the
 * same step: step N with step N, or, when a side has a real program's line steps, the steps
 * paired by their lines (ev_align); the event keys move both by an event, a side holding at
 * the end (or start) of its step until the other gets there, so that the two stay in the same
 * step.  What differs is marked: the figures in a row under the two (arenas, pools, bytes,
 * objects), the panes whose figures differ (with UI_G_DIFFERS in their frame), the arena rows,
 * a program's code lines that allocated otherwise and its names bound otherwise; the status line names
 * where the events of the step ahead first differ, as `arenascope diff` compares events.
 * cfg[i].title names side i in its header ("A"); names[i] its trace in the row above it (a path
 * by its file's name).
 */
struct ui_compare;
int ui_compare_new(struct ui_compare **out, struct seeker *const s[2], const struct ui_config cfg[2],
                   const char *const names[2]);
void ui_compare_free(struct ui_compare *cmp);
/* The pair as the loop drives it (nothing moves on its own: Space does not play here). */
struct ui_screen ui_compare_screen(struct ui_compare *cmp);
/* The loop, as ui_app_run. */
int ui_compare_run(struct ui_compare *cmp, struct ui_term *term);
enum ui_redo ui_compare_input(struct ui_compare *cmp, const struct ui_input *in);
void ui_compare_paint(struct ui_compare *cmp, struct canvas *c);
/* As ui_app_render, side i at pos[i]. */
int ui_compare_render(struct ui_compare *cmp, const uint64_t pos[2], const char *view, struct canvas *c);
/* The status line: where the step ahead first differs (tests read it). */
const char *ui_compare_status(const struct ui_compare *cmp);
/* Side i's viewer (tests). */
struct ui_app *ui_compare_side(struct ui_compare *cmp, int i);

/*
 * A menu of choices on the whole screen (the demo menu), opening with item `start` selected:
 * j/k or arrows move, Enter or a click picks, q or Esc leaves.  Returns the index picked, or -1.
 */
struct ui_menu_item {
    const char *name;
    const char *summary;
};
int ui_menu_run(struct ui_term *term, const char *title, const char *intro,
                const struct ui_menu_item *items, size_t n, size_t start);
/* The menu painted with item `sel` selected (tests). */
void ui_menu_paint(struct canvas *c, const char *title, const char *intro,
                   const struct ui_menu_item *items, size_t n, size_t sel);

#endif
