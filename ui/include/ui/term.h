/*
 * term.h - the terminal as the input loop sees it: a size, input, and a place to show a canvas.
 *
 * The one real implementation is the ncurses backend (backend_curses.c, the only file that
 * includes <curses.h>).  Tests drive the same loop with a scripted terminal (keys in, canvases
 * out), so the loop, the handlers and the views are tested without a terminal.
 *
 * Terminal hygiene (the curses backend): the terminal is restored after q, on Ctrl-C and SIGTERM
 * (their handlers only set a flag; the loop sees UI_IN_QUIT and leaves normally), at exit(), and
 * when the program crashes (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT: the handler writes the
 * terminal's reset sequence, restores its modes with tcsetattr, and re-raises the signal with
 * its default action, so the crash still dumps core and reports the right status).
 */
#ifndef UI_TERM_H
#define UI_TERM_H

#include <ui/canvas.h>

#include <stdbool.h>
#include <stddef.h>

/* How the screen may look, decided once from the environment and the command line. */
struct ui_look {
    bool color; /* false: monochrome (NO_COLOR, --no-color, TERM=dumb, or no colours) */
    bool ascii; /* glyphs in ASCII (the locale is not UTF-8, or TERM=dumb/linux) */
    bool mouse; /* report mouse clicks */
    bool plain; /* the terminal cannot move its cursor (TERM=dumb or unset): print whole frames */
};

/* The look the environment asks for: NO_COLOR (any value), TERM=dumb and the locale's codeset.
 * `no_color` is the --no-color flag; `ascii` forces ASCII glyphs. */
void ui_look_from_env(struct ui_look *out, bool no_color, bool ascii);

enum ui_input_kind {
    UI_IN_NONE,   /* the timeout passed */
    UI_IN_KEY,    /* key: a key (keys.h) */
    UI_IN_MOUSE,  /* x, y: a click of the left button at this cell */
    UI_IN_WHEEL,  /* x, y: a wheel turn; key is +1 (down) or -1 (up) */
    UI_IN_RESIZE, /* the terminal's size changed */
    UI_IN_QUIT,   /* Ctrl-C, SIGTERM or SIGHUP: leave now; key is the signal's number */
};

struct ui_input {
    enum ui_input_kind kind;
    int key;
    int x, y;
};

struct ui_term {
    void *ctx;
    /* The size now, in cells. */
    void (*size)(void *ctx, int *cols, int *rows);
    /* Waits up to timeout_ms (0: don't wait, < 0: forever) for one input. */
    struct ui_input (*read)(void *ctx, int timeout_ms);
    /* Shows the canvas (its size is the terminal's); the screen is updated once. */
    void (*present)(void *ctx, const struct canvas *c);
    bool ascii; /* canvases for this terminal are ASCII */
};

/* The terminal the look asks for: the plain backend when look->plain, else ncurses.  0 or -1 with
 * a one-line message in err. */
int ui_term_open(struct ui_term *out, const struct ui_look *look, char *err, size_t errlen);
void ui_term_close(struct ui_term *t);

/* Frames printed whole and keys read a line at a time (backend_plain.c); COLUMNS and LINES give
 * the size (80x24 without them). */
int ui_term_plain_open(struct ui_term *out);

/*
 * The ncurses backend on the controlling terminal.  Returns 0, or -1 with a one-line message
 * in err (no terminal, unknown TERM).  Only one may be open at a time.
 */
int ui_term_curses_open(struct ui_term *out, const struct ui_look *look, char *err, size_t errlen);
/* Restores the terminal.  Safe to call twice. */
void ui_term_curses_close(struct ui_term *t);

#endif
