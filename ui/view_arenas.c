/*
 * view_arenas.c - the arena map: a row per arena, a cell per pool.
 *
 *     slot  pools, one cell each                                          free
 *       0  █████▓▓▒░○○·······························································  58
 *          0011223 3                                          (size class of each pool)
 *       1  ╳██████...                                                                  kept
 *
 * A cell's glyph says the pool's state (untouched, empty, used by thirds, full) and its colour
 * says the same again; the row under it, when there is room, gives each carved pool's size class
 * as a digit (0-9, then a-z, A-Z).  On wide panes each cell is two columns: the glyph and the
 * class.  A misaligned arena starts with the alignment sliver.  An arena returned to the system
 * stays a while as a fading row, so the moment it goes can be seen.  The pool the current event
 * touched is selected (reverse video) unless the user moved the selection.
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_W 5  /* "  12 " */
#define SUFFIX_W 8 /* " 58 free" */

static char class_digit(uint32_t szidx)
{
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    return szidx < sizeof digits - 1 ? digits[szidx] : '+';
}

static void pool_glyph(const struct model_pool_cell *cell, enum ui_glyph *g, enum ui_style *s)
{
    switch ((enum model_pool_state)cell->state) {
    case MODEL_POOL_UNTOUCHED:
        *g = UI_G_POOL_UNTOUCHED;
        *s = UI_S_POOL_UNTOUCHED;
        return;
    case MODEL_POOL_EMPTY:
        *g = UI_G_POOL_EMPTY;
        *s = UI_S_POOL_EMPTY;
        return;
    case MODEL_POOL_FULL:
        *g = UI_G_POOL_FULL;
        *s = UI_S_POOL_FULL;
        return;
    case MODEL_POOL_CARVED:
    case MODEL_POOL_USED:
    case MODEL_POOL_STATE_COUNT:
        break;
    }
    if (cell->fill <= 333) {
        *g = UI_G_POOL_USED1;
        *s = UI_S_POOL_USED1;
    } else if (cell->fill <= 666) {
        *g = UI_G_POOL_USED2;
        *s = UI_S_POOL_USED2;
    } else {
        *g = UI_G_POOL_USED3;
        *s = UI_S_POOL_USED3;
    }
}

/* One row of the list: a live arena (slot) or a released one (index into the released list). */
struct arena_row {
    bool released;
    uint32_t slot;
    struct model_released rel;
};

struct map_geometry {
    int cw;        /* columns per pool cell: 1 or 2 */
    int per_line;  /* cells per line */
    int lines;     /* lines per arena (wrapping) */
    bool classes;  /* a line of class digits under each line of cells */
    int rows_per;  /* rows one arena takes */
};

static void map_geometry(int inner_w, int list_h, size_t narenas, uint32_t max_pools, struct map_geometry *g)
{
    int cells = (int)max_pools;
    int room = inner_w - LABEL_W - SUFFIX_W;
    g->cw = room >= cells * 2 ? 2 : 1;
    g->per_line = cells;
    if (room < cells * g->cw)
        g->per_line = room >= cells / 2 ? (cells + 1) / 2 : (cells + 3) / 4;
    if (g->per_line < 1)
        g->per_line = 1;
    g->lines = (cells + g->per_line - 1) / g->per_line;
    g->classes = g->cw == 1 && (int)narenas * g->lines * 2 <= list_h;
    g->rows_per = g->lines * (g->classes ? 2 : 1);
}

/* Collects the rows: live arenas by slot, then arenas released within the fading window. */
static size_t collect_rows(const struct ui_app *app, struct arena_row **out)
{
    const struct model *m = app_model(app);
    uint32_t nslots = model_arena_slots(m);
    struct model_released rel[MODEL_RELEASED_KEEP];
    size_t nrel = model_released(m, rel, MODEL_RELEASED_KEEP);
    struct arena_row *rows = malloc(((size_t)nslots + nrel + 1) * sizeof *rows);
    *out = rows;
    if (!rows)
        return 0;
    size_t n = 0;
    for (uint32_t s = 0; s < nslots; s++)
        if (app_arena_is_live(m, s))
            rows[n++] = (struct arena_row){false, s, {0}};
    uint64_t pos = app_position(app);
    for (size_t i = 0; i < nrel; i++)
        if (pos - rel[i].seq_freed <= UI_FADE_EVENTS)
            rows[n++] = (struct arena_row){true, rel[i].slot, rel[i]};
    return n;
}

static void paint_summary(const struct ui_app *app, struct canvas *c, int x, int y, int w, size_t nlive, size_t nrel)
{
    const struct model *m = app_model(app);
    char b[32];
    int n = canvas_printf(c, x, y, w, UI_S_VALUE, "%zu", nlive);
    n += canvas_printf(c, x + n, y, w - n, UI_S_LABEL, " arena%s of %s", nlive == 1 ? "" : "s",
                       ui_fmt_bytes(b, app->geo.arena_size));
    if (nrel)
        n += canvas_printf(c, x + n, y, w - n, UI_S_LABEL, ", %zu just released", nrel);
    /* the order of usable_arenas: whole slot numbers, then an ellipsis for the rest */
    uint32_t order[64];
    size_t nu = model_usable_arenas(m, order, 64), i = 0;
    if (nu && w - n > 30) {
        n += canvas_text(c, x + n, y, w - n, UI_S_LABEL, "   usable_arenas: ");
        size_t listed = nu < 64 ? nu : 64;
        for (i = 0; i < listed; i++) {
            char item[16];
            int iw = snprintf(item, sizeof item, "%" PRIu32, order[i]) + (i ? 1 : 0);
            if (n + iw + (i + 1 < nu ? 1 : 0) > w)
                break;
            if (i)
                n += canvas_text(c, x + n, y, w - n, UI_S_DIM, c->ascii ? ">" : "\xe2\x86\x92");
            n += canvas_text(c, x + n, y, w - n, UI_S_VALUE, item);
        }
        if (i < nu)
            canvas_glyph(c, x + n, y, UI_G_ELLIPSIS, UI_S_DIM);
    }
}

static void paint_live_row(const struct ui_app *app, struct ui_frame *f, struct canvas *c, int x0, int y, const struct map_geometry *mg,
                           uint32_t slot, int maxw, int maxy)
{
    const struct model *m = app_model(app);
    struct model_arena a;
    if (!model_arena_at(m, slot, &a))
        return;
    struct model_pool_cell cells[256];
    size_t n = model_arena_cells(m, slot, cells, a.npools < 256 ? a.npools : 256);
    bool selected_arena = slot == app->arena.slot;
    canvas_printf(c, x0, y, LABEL_W, selected_arena ? UI_S_VALUE : UI_S_LABEL, "%4" PRIu32 " ", slot);
    if (selected_arena)
        canvas_glyph(c, x0, y, UI_G_POINTER, UI_S_MARK_STEP);
    int ncells = (int)n + (a.sliver ? 1 : 0);
    for (int i = 0; i < ncells; i++) {
        int line = i / mg->per_line, col = i % mg->per_line;
        int cy = y + line * (mg->classes ? 2 : 1);
        if (cy > maxy)
            break;
        int cx = x0 + LABEL_W + col * mg->cw;
        if (a.sliver && i == 0) {
            canvas_glyph(c, cx, cy, UI_G_SLIVER, UI_S_SLIVER);
            continue;
        }
        int pi = i - (a.sliver ? 1 : 0);
        enum ui_glyph g;
        enum ui_style s;
        pool_glyph(&cells[pi], &g, &s);
        canvas_glyph(c, cx, cy, g, s);
        bool has_class = cells[pi].szidx != MODEL_NO_CLASS && cells[pi].state != MODEL_POOL_UNTOUCHED;
        if (mg->cw == 2 && has_class)
            canvas_put(c, cx + 1, cy, (uint32_t)class_digit(cells[pi].szidx), UI_S_CLASS_DIGIT);
        if (mg->classes && has_class)
            canvas_put(c, cx, cy + 1, (uint32_t)class_digit(cells[pi].szidx), UI_S_CLASS_DIGIT);
        if (selected_arena && (uint32_t)pi == app->arena.index) {
            /* the selection is marked beside the cell, not on it: a full pool's block in
             * reverse video would look empty */
            if (mg->cw == 2) {
                if (!has_class)
                    canvas_glyph(c, cx + 1, cy, UI_G_CARET, UI_S_CURSOR);
                else
                    canvas_add_attr(c, (struct ui_rect){cx + 1, cy, 1, 1}, UI_A_REVERSE);
            } else if (mg->classes) {
                if (!has_class)
                    canvas_glyph(c, cx, cy + 1, UI_G_CARET, UI_S_CURSOR);
                else
                    canvas_add_attr(c, (struct ui_rect){cx, cy + 1, 1, 1}, UI_A_REVERSE);
            } else {
                canvas_add_attr(c, (struct ui_rect){cx, cy, 1, 1}, UI_A_REVERSE);
            }
        }
        if (col == 0 || pi == 0)
            ui_frame_hit(f, (struct ui_rect){cx + c->ox, cy + c->oy, mg->per_line * mg->cw, 1}, UI_HIT_POOL_ROW,
                        slot, (uint64_t)pi, mg->cw);
    }
    /* suffix: free pools, and what is special about this arena */
    int sx = x0 + LABEL_W + mg->per_line * mg->cw + 1;
    if (sx + SUFFIX_W - 1 <= x0 + maxw) {
        if (a.is_retained)
            canvas_text(c, sx, y, SUFFIX_W - 1, UI_S_POOL_EMPTY, "kept");
        else
            canvas_printf(c, sx, y, SUFFIX_W - 1, a.nfreepools ? UI_S_DIM : UI_S_POOL_FULL, "%2" PRIu32 " free",
                          a.nfreepools);
    }
}

static void paint_released_row(const struct ui_app *app, struct canvas *c, int x0, int y, const struct map_geometry *mg,
                               const struct model_released *rel, int maxw)
{
    uint64_t age = app_position(app) - rel->seq_freed;
    bool fresh = age <= UI_FADE_EVENTS / 2;
    canvas_printf(c, x0, y, LABEL_W, UI_S_DIM, "%4" PRIu32 " ", rel->slot);
    int ncells = (int)rel->npools + (rel->sliver ? 1 : 0);
    int shown = ncells < mg->per_line ? ncells : mg->per_line;
    for (int i = 0; i < shown; i++)
        canvas_glyph(c, x0 + LABEL_W + i * mg->cw, y, fresh ? UI_G_RELEASED : UI_G_POOL_UNTOUCHED,
                     fresh ? UI_S_RELEASED : UI_S_DIM);
    int sx = x0 + LABEL_W + mg->per_line * mg->cw + 1;
    if (sx + SUFFIX_W - 1 <= x0 + maxw)
        canvas_text(c, sx, y, SUFFIX_W - 1, UI_S_DIM, "freed");
}

static void paint_selected_line(const struct ui_app *app, struct canvas *c, int x, int y, int w)
{
    const struct model *m = app_model(app);
    struct model_pool p;
    if (!model_pool_at(m, app->arena.slot, app->arena.index, &p)) {
        canvas_text(c, x, y, w, UI_S_DIM, "no pool selected");
        return;
    }
    int n = canvas_printf(c, x, y, w, UI_S_VALUE, "pool %" PRIu32 " of arena %" PRIu32, p.index, p.slot);
    n += canvas_text(c, x + n, y, w - n, UI_S_LABEL, ": ");
    n += canvas_text(c, x + n, y, w - n, UI_S_VALUE, model_pool_state_name(p.state));
    if (p.szidx != MODEL_NO_CLASS)
        n += canvas_printf(c, x + n, y, w - n, UI_S_LABEL, ", class %" PRIu32 " (%" PRIu32 " B), %" PRIu32 "/%" PRIu32
                           " blocks", p.szidx, p.size, p.count, p.capacity);
    if (!app->arena.follow) {
        static const char *const hints[] = {"  (Esc: follow events)", "  (Esc: follow)", " Esc"};
        for (size_t i = 0; i < sizeof hints / sizeof hints[0]; i++)
            if (n + ui_text_width(hints[i]) <= w) {
                canvas_text(c, x + n, y, w - n, UI_S_DIM, hints[i]);
                break;
            }
    }
}

/* What the selected arena is and where it stands, as paragraphs; returns how many. */
static int arena_detail(const struct ui_app *app, const struct canvas *c, struct ui_para out[3])
{
    const struct model *m = app_model(app);
    struct model_arena a;
    if (!model_arena_at(m, app->arena.slot, &a))
        return 0;
    char ab[24];
    for (int i = 0; i < 3; i++)
        ui_para_init(&out[i]);
    ui_para_addf(&out[0], UI_S_VALUE, "arena %" PRIu32, a.slot);
    ui_para_addf(&out[0], UI_S_LABEL, " (number %" PRIu64 ") at %s: ", a.serial, fmt_addr(ab, a.base, 0, c->ascii));
    ui_para_addf(&out[0], UI_S_NORMAL, "%" PRIu32 " used, %" PRIu32 " full, %" PRIu32 " empty, %" PRIu32 " untouched",
                 a.nused, a.nfull, a.nempty, a.npools - a.ncarved);
    ui_para_addf(&out[1], UI_S_NORMAL, "%" PRIu32 " free pools; ", a.nfreepools);
    switch (a.list) {
    case MODEL_ARENA_USABLE:
        if (a.is_retained)
            ui_para_add(&out[1], UI_S_DIM, "wholly free, but kept: the last free arena is retained (3.9+)");
        else if (a.usable_pos == 0)
            ui_para_add(&out[1], UI_S_DIM, "the head of usable_arenas: new pools come from here");
        else
            ui_para_addf(&out[1], UI_S_DIM,
                         "position %" PRIu32 " in usable_arenas (sorted by free pools, fewest first)", a.usable_pos);
        break;
    case MODEL_ARENA_FULL:
        ui_para_add(&out[1], UI_S_DIM, "every pool in use: on no list until one is freed");
        break;
    case MODEL_ARENA_DETACHED:
    default:
        ui_para_add(&out[1], UI_S_DIM, "off usable_arenas: about to be returned to the system");
        break;
    }
    if (!a.sliver)
        return 2;
    ui_para_addf(&out[2], UI_S_SLIVER, "base not pool-aligned: %" PRIu32 " bytes lost to alignment, %" PRIu32
                 " pools instead of %" PRIu32, a.sliver, a.npools, a.npools + 1);
    return 3;
}

/* The selected arena's details, under the list when it leaves room for all of them. */
static void paint_arena_detail(const struct ui_app *app, struct canvas *c, int x, int y, int w, int room)
{
    struct ui_para d[3];
    int n = arena_detail(app, c, d), need = 0;
    for (int i = 0; i < n; i++)
        need += ui_para_rows(&d[i], w, 0, NULL);
    if (need > room)
        return;
    for (int i = 0; i < n; i++)
        y += canvas_para(c, x, y, w, 0, -1, &d[i], NULL);
}

/* What the map says when no arena is live: why, as the model knows it. */
static const char *no_arena_text(const struct model *m)
{
    size_t cur = 0;
    struct model_raw raw;
    while (model_raw_next(m, &cur, &raw))
        if (raw.why == EV_RAW_NO_ARENA)
            return "no arena: none could be obtained, so small requests go to the C library's malloc";
    struct model_totals t;
    model_totals(m, &t);
    if (t.arenas_total > 0)
        return "no arena: every arena obtained so far was returned to the system";
    return "no arena yet: the first small allocation obtains one";
}

void view_arenas(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    if (app->pins.open && app->pins.pane == UI_PANE_ARENAS) {
        view_pins(app, f, c, r, focus);
        return;
    }
    int x, y, w, h;
    if (!canvas_pane(c, r, "Arenas: a row per arena, a cell per pool", focus, 10, 3, NULL, &x, &y, &w, &h))
        return;
    const struct model *m = app_model(app);
    struct arena_row *rows;
    size_t nrows = collect_rows(app, &rows);
    size_t nlive = 0;
    for (size_t i = 0; i < nrows; i++)
        nlive += !rows[i].released;

    paint_summary(app, c, x, y, w, nlive, nrows - nlive);
    int list_y = y + 1;
    int list_h = h - 3; /* summary, selected pool, legend */
    if (list_h < 1)
        list_h = 1;
    struct map_geometry mg;
    map_geometry(w, list_h, nrows, app->geo.max_pools ? app->geo.max_pools : 64, &mg);

    if (nrows == 0)
        canvas_text_fit(c, x + 2, list_y + 1, w - 4, UI_S_DIM, no_arena_text(m));
    /* keep the selected arena's row in view */
    int visible = list_h / mg.rows_per;
    if (visible < 1)
        visible = 1;
    int sel_row = -1;
    for (size_t i = 0; i < nrows; i++)
        if (!rows[i].released && rows[i].slot == app->arena.slot)
            sel_row = (int)i;
    int scroll = app_scroll_to_show(app->arena.scroll, sel_row, (int)nrows, visible);
    f->arena = (struct ui_settled){.set = true, .scroll = scroll};

    int maxy = list_y + list_h - 1;
    for (int i = scroll; i < (int)nrows; i++) {
        int ry = list_y + (i - scroll) * mg.rows_per;
        if (ry > maxy)
            break;
        if (rows[i].released)
            paint_released_row(app, c, x, ry, &mg, &rows[i].rel, w);
        else
            paint_live_row(app, f, c, x, ry, &mg, rows[i].slot, w, maxy);
    }
    int used_rows = ((int)nrows - scroll) * mg.rows_per;
    if (used_rows + 3 <= list_h)
        paint_arena_detail(app, c, x, list_y + used_rows + 1, w, list_h - used_rows - 1);
    if (scroll > 0)
        canvas_glyph(c, r.x + r.w - 1, list_y, UI_G_ARROW_UP, UI_S_FRAME_FOCUS);
    if (scroll + visible < (int)nrows)
        canvas_glyph(c, r.x + r.w - 1, maxy, UI_G_ARROW_DOWN, UI_S_FRAME_FOCUS);
    free(rows);

    paint_selected_line(app, c, x, y + h - 2, w);
    /* legend */
    int lx = x, ly = y + h - 1;
    static const struct {
        enum ui_glyph g;
        enum ui_style s;
        const char *t;
    } legend[] = {
        {UI_G_POOL_UNTOUCHED, UI_S_POOL_UNTOUCHED, "untouched"}, {UI_G_POOL_EMPTY, UI_S_POOL_EMPTY, "empty"},
        {UI_G_POOL_USED1, UI_S_POOL_USED1, ""},                   {UI_G_POOL_USED2, UI_S_POOL_USED2, ""},
        {UI_G_POOL_USED3, UI_S_POOL_USED3, "used"},              {UI_G_POOL_FULL, UI_S_POOL_FULL, "full"},
        {UI_G_SLIVER, UI_S_SLIVER, "sliver"},                    {UI_G_RELEASED, UI_S_RELEASED, "released"},
    };
    for (size_t i = 0; i < sizeof legend / sizeof legend[0]; i++) {
        int need = 1 + ui_text_width(legend[i].t) + (legend[i].t[0] ? 2 : 0);
        if (lx + need > x + w)
            break;
        canvas_glyph(c, lx, ly, legend[i].g, legend[i].s);
        lx += 1;
        if (legend[i].t[0]) {
            lx += 1 + canvas_text(c, lx + 1, ly, x + w - lx - 1, UI_S_DIM, legend[i].t);
            lx += 1;
        }
    }
    if (lx + 18 <= x + w && (mg.cw == 2 || mg.classes))
        canvas_text(c, lx, ly, x + w - lx, UI_S_DIM, "0-9a-v: size class");
}
