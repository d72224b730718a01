/*
 * layout.c - the arrangement of the screen; see layout.h.
 */
#include <ui/layout.h>

#include <string.h>

static const char *const pane_titles[UI_PANE_COUNT] = {
#define X(name, title, cli) [UI_PANE_##name] = title,
    UI_PANES(X)
#undef X
};

static const char *const pane_cli[UI_PANE_COUNT] = {
#define X(name, title, cli) [UI_PANE_##name] = cli,
    UI_PANES(X)
#undef X
};

const char *ui_pane_title(enum ui_pane p)
{
    return (unsigned)p < UI_PANE_COUNT ? pane_titles[p] : "";
}

const char *ui_pane_cli_name(enum ui_pane p)
{
    return (unsigned)p < UI_PANE_COUNT ? pane_cli[p] : "all";
}

enum ui_pane ui_pane_from_name(const char *name)
{
    for (int p = 0; p < UI_PANE_COUNT; p++)
        if (strcmp(pane_cli[p], name) == 0)
            return (enum ui_pane)p;
    return UI_PANE_NONE;
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Splits r into n rows of the given weights (heights at least 3 where possible). */
static void stack(struct ui_rect r, const enum ui_pane *panes, const int *weights, int n,
                  struct ui_layout *out)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += weights[i];
    int y = r.y;
    for (int i = 0; i < n; i++) {
        int h = i == n - 1 ? r.y + r.h - y : r.h * weights[i] / total;
        out->pane[panes[i]] = (struct ui_rect){r.x, y, r.w, h};
        y += h;
    }
}

/* A column of two panes, half each, or when it is lower than min_h the second alone if it has
 * the focus, else the first. */
static void pane_pair(struct ui_rect col, int min_h, enum ui_pane first, enum ui_pane second, enum ui_pane focus,
                      struct ui_layout *out)
{
    if (col.h >= min_h) {
        enum ui_pane panes[] = {first, second};
        static const int weights[] = {1, 1};
        stack(col, panes, weights, 2, out);
    } else {
        out->pane[focus == second ? second : first] = col;
    }
}

/*
 * A real program's trace: the Code pane over the arena map (or the pool, in focus) on the left,
 * the output over the collector (or the size classes, in focus) on the right, and along the
 * bottom its names (the Objects pane) under the code, beside the timeline.  When the height runs
 * short a column keeps its first pane, or the focused one.
 */
static void program_panes(struct ui_rect left, struct ui_rect right, struct ui_rect bottom, enum ui_pane focus,
                          struct ui_layout *out)
{
    enum ui_pane heap = focus == UI_PANE_POOL ? UI_PANE_POOL : UI_PANE_ARENAS;
    pane_pair(left, 20, UI_PANE_CODE, heap, focus, out);
    pane_pair(right, 12, UI_PANE_OUTPUT, focus == UI_PANE_CLASSES ? UI_PANE_CLASSES : UI_PANE_GC, focus, out);
    out->pane[UI_PANE_OBJECTS] = (struct ui_rect){bottom.x, bottom.y, left.w, bottom.h};
    out->pane[UI_PANE_TIMELINE] = (struct ui_rect){bottom.x + left.w, bottom.y, bottom.w - left.w, bottom.h};
}

int ui_layout_max_step_rows(int rows)
{
    return clamp(rows - 2 - UI_MIN_BODY_ROWS, 1, UI_MAX_STEP_ROWS);
}

void ui_layout_compute(const struct ui_layout_input *in, struct ui_layout *out)
{
    memset(out, 0, sizeof *out);
    out->need_cols = in->min_cols > 0 ? in->min_cols : UI_MIN_COLS;
    out->need_rows = UI_MIN_ROWS;
    if (in->cols < out->need_cols || in->rows < UI_MIN_ROWS) {
        out->too_small = true;
        return;
    }
    int W = in->cols, H = in->rows;
    int step_h = clamp(in->step_rows, 1, ui_layout_max_step_rows(H));
    int foot_h = clamp(in->footer_rows, 1, UI_MAX_FOOTER_ROWS);
    out->header = (struct ui_rect){0, 0, W, 1};
    out->step = (struct ui_rect){0, 1, W, step_h};
    out->footer = (struct ui_rect){0, H - foot_h, W, foot_h};
    out->body = (struct ui_rect){0, 1 + step_h, W, H - 1 - foot_h - step_h};
    struct ui_rect body = out->body;

    if (in->zoomed != UI_PANE_NONE) {
        out->pane[in->zoomed] = body;
        return;
    }

    int tl_h = clamp(body.h / 4 + 2, 8, 14);
    struct ui_rect top = {body.x, body.y, body.w, body.h - tl_h};
    out->pane[UI_PANE_TIMELINE] = (struct ui_rect){body.x, top.y + top.h, body.w, tl_h};

    enum ui_pane focus = in->focus == UI_PANE_NONE ? UI_PANE_ARENAS : in->focus;

    if (W < UI_WIDE_COLS) {
        /* one pane above the timeline: the focused one, or the arena map; a real program's code
         * over its names when both are high enough */
        enum ui_pane shown = focus == UI_PANE_TIMELINE ? UI_PANE_ARENAS : focus;
        if (in->code && (shown == UI_PANE_CODE || shown == UI_PANE_OBJECTS) && top.h >= UI_NARROW_CODE_NAMES_ROWS)
            pane_pair(top, UI_NARROW_CODE_NAMES_ROWS, UI_PANE_CODE, UI_PANE_OBJECTS, focus, out);
        else
            out->pane[shown] = top;
        return;
    }

    out->wide = true;
    int left_w = clamp(W * 58 / 100, 80, W - 40);
    struct ui_rect left = {top.x, top.y, left_w, top.h};
    struct ui_rect right = {top.x + left_w, top.y, W - left_w, top.h};
    if (in->code) {
        program_panes(left, right, out->pane[UI_PANE_TIMELINE], focus, out);
        return;
    }

    /* left: the arena map over the pool, or the one of them in focus when short; a demo's source
     * over the arena map (or the pool, in focus) as a program's is */
    if (in->source) {
        enum ui_pane heap = focus == UI_PANE_POOL ? UI_PANE_POOL : UI_PANE_ARENAS;
        pane_pair(left, 20, UI_PANE_CODE, heap, focus, out);
    } else if (top.h >= 20) {
        static const enum ui_pane left_panes[] = {UI_PANE_ARENAS, UI_PANE_POOL};
        static const int left_weights[] = {1, 1};
        stack(left, left_panes, left_weights, 2, out);
    } else {
        out->pane[focus == UI_PANE_POOL ? UI_PANE_POOL : UI_PANE_ARENAS] = left;
    }

    /* right: classes, objects (or output) and the collector as the height allows; the focused
     * one always */
    bool right_focus = focus == UI_PANE_CLASSES || focus == UI_PANE_OBJECTS || focus == UI_PANE_GC ||
                       focus == UI_PANE_OUTPUT;
    enum ui_pane shared = focus == UI_PANE_OBJECTS  ? UI_PANE_OBJECTS
                          : focus == UI_PANE_OUTPUT ? UI_PANE_OUTPUT
                          : in->prefer_output       ? UI_PANE_OUTPUT
                                                    : UI_PANE_OBJECTS;
    if (top.h >= 24) {
        enum ui_pane right_panes[] = {UI_PANE_CLASSES, shared, UI_PANE_GC};
        static const int right_weights[] = {4, 4, 3};
        stack(right, right_panes, right_weights, 3, out);
    } else if (top.h >= 12) {
        enum ui_pane second = focus == UI_PANE_GC ? UI_PANE_GC : shared;
        enum ui_pane right_panes[] = {UI_PANE_CLASSES, second};
        static const int right_weights[] = {1, 1};
        stack(right, right_panes, right_weights, 2, out);
    } else {
        out->pane[right_focus ? focus : UI_PANE_CLASSES] = right;
    }
}

enum ui_pane ui_layout_pane_at(const struct ui_layout *l, int x, int y)
{
    if (l->too_small)
        return UI_PANE_NONE;
    for (int p = 0; p < UI_PANE_COUNT; p++)
        if (ui_rect_contains(l->pane[p], x, y))
            return (enum ui_pane)p;
    return UI_PANE_NONE;
}
