/*
 * layout.h - where each pane goes, as a pure function of the terminal's size and what is open.
 *
 * The screen, top to bottom: a header line (what is shown, the event, the state of a live
 * workload), the step banner (the current step marker's label: what this part of the demo
 * shows, wrapped over the rows it asks for, up to UI_MAX_STEP_ROWS while the body keeps
 * UI_MIN_BODY_ROWS), the panes, and a footer of keys (or a message, wrapped when long).  The
 * panes share the body as the size allows:
 *
 *   wide (>= UI_WIDE_COLS)    two columns: arena map over pool detail on the left; size
 *                             classes, objects (or the program's output) and GC on the right;
 *                             the timeline across the bottom.  When the height runs short a
 *                             column shows fewer panes, always including the focused one.
 *                             Objects and Output share a place: the one in focus, else Output
 *                             for a real program's trace (its objects are not recorded),
 *                             Objects for the built-in workloads.  A real program's trace
 *                             puts the Code pane over the arena map (or the pool) on the left,
 *                             its output over the collector (or the size classes) on the right,
 *                             and its names (the Objects pane) under them, left of the timeline
 *   narrow                    the timeline at the bottom and one of the other panes above it,
 *                             the focused one (Tab moves between them); a real program's Code
 *                             pane over its names when the height allows
 *   zoomed                    one pane takes the whole body
 *
 * Below UI_MIN_COLS x UI_MIN_ROWS nothing fits: `too_small` is set and the screen says what size
 * is needed.
 */
#ifndef UI_LAYOUT_H
#define UI_LAYOUT_H

#include <ui/canvas.h>

#include <stdbool.h>

#define UI_MIN_COLS 80
#define UI_MIN_ROWS 24
#define UI_HALF_MIN_COLS 56 /* one side of the side-by-side viewer: the narrow layout, tighter */
#define UI_WIDE_COLS 120 /* from here on, two columns */
#define UI_NARROW_CODE_NAMES_ROWS 20 /* narrow: from this height above the timeline, code over names */
#define UI_MIN_BODY_ROWS 16 /* the panes keep these rows whatever the banner asks */
#define UI_MAX_STEP_ROWS 6  /* the step banner's rows at most */
#define UI_MAX_FOOTER_ROWS 2 /* a message in the footer wraps to this many rows, taken from the body */
_Static_assert(UI_MIN_ROWS - 2 - UI_MIN_BODY_ROWS >= 3, "the smallest screen leaves the banner three rows");

/* clang-format off */
/* X(NAME, title, name on the command line) in Tab order. */
#define UI_PANES(X)                                                                              \
    X(ARENAS,   "Arenas",        "arenas")                                                       \
    X(POOL,     "Pool",          "pool")                                                         \
    X(CLASSES,  "Size classes",  "classes")                                                      \
    X(OBJECTS,  "Objects",       "objects")                                                      \
    X(GC,       "Collector",     "gc")                                                           \
    X(TIMELINE, "Timeline",      "timeline")                                                     \
    X(OUTPUT,   "Output",        "output")                                                       \
    X(CODE,     "Code",          "code")
/* clang-format on */

enum ui_pane {
#define X(name, title, cli) UI_PANE_##name,
    UI_PANES(X)
#undef X
        UI_PANE_COUNT,
    UI_PANE_NONE = UI_PANE_COUNT
};

const char *ui_pane_title(enum ui_pane p);
const char *ui_pane_cli_name(enum ui_pane p);
/* The pane named on the command line ("arenas", ...), or UI_PANE_NONE. */
enum ui_pane ui_pane_from_name(const char *name);

struct ui_layout_input {
    int cols, rows;      /* terminal size */
    enum ui_pane focus;  /* the pane keys go to */
    enum ui_pane zoomed; /* UI_PANE_NONE when none */
    int step_rows;       /* rows the step banner asks for (0 is taken as 1) */
    int footer_rows;     /* rows the footer asks for, a long message wrapped (0 is taken as 1) */
    bool prefer_output;  /* Output rather than Objects where they share a place */
    bool code;           /* a real program with its sources: the Code pane has a place */
    bool source;         /* a demo with its Python source: the Code pane takes the pool's place */
    int min_cols;        /* the narrowest width laid out (0: UI_MIN_COLS) */
};

/* The rows the step banner may take on a screen `rows` high: it asks, the body keeps the rest. */
int ui_layout_max_step_rows(int rows);

struct ui_layout {
    bool too_small;             /* nothing else is set but the sizes below */
    int need_cols, need_rows;   /* the minimum size */
    struct ui_rect header;      /* one row */
    struct ui_rect step;        /* the step banner: the rows it asked for, as the body allows */
    struct ui_rect footer;      /* one row, or UI_MAX_FOOTER_ROWS for a long message */
    struct ui_rect body;        /* everything between */
    struct ui_rect pane[UI_PANE_COUNT]; /* empty when the pane is not shown */
    bool wide;                  /* the two-column arrangement */
};

void ui_layout_compute(const struct ui_layout_input *in, struct ui_layout *out);

/* The shown pane at cell (x, y), or UI_PANE_NONE. */
enum ui_pane ui_layout_pane_at(const struct ui_layout *l, int x, int y);

#endif
