/*
 * input_select.c - moving the selection of the focused pane: the arrow keys, the page keys and
 * the wheel (app_move_selection).
 *
 * Each pane keeps its own selection in the app, as a key of what it lists rather than a row: an
 * arena slot and a pool index, a block of the pool, a size class, an object's address, a line of
 * the Code pane, a scroll offset in the Output, GC and Timeline panes.  A move finds the listed
 * key nearest the selection and steps from it (step_sorted), so a selection whose thing has gone
 * since moves from where it stood.  Moving by hand stops the pane from following what the
 * events touch (the `follow` flags, app_follow).  The lists only painting knows the length of
 * (the names, who pins a pool) are bounded when they are painted (struct ui_frame).
 */
#include "app.h"

#include <stdlib.h>

/* The key `delta` places from the last of n ascending keys at or before sel (from the first when
 * none is), stopping at the ends of the list; sel itself when the list is empty.  The keys are
 * uint32_t or uint64_t, as `size` says. */
static uint64_t step_sorted(const void *keys, size_t size, size_t n, uint64_t sel, int delta)
{
    if (n == 0)
        return sel;
    const uint32_t *k32 = keys;
    const uint64_t *k64 = keys;
    size_t cur = 0;
    for (size_t i = 0; i < n; i++)
        if ((size == sizeof *k32 ? k32[i] : k64[i]) <= sel)
            cur = i;
    long next = (long)cur + delta;
    size_t to = next < 0 ? 0 : next >= (long)n ? n - 1 : (size_t)next;
    return size == sizeof *k32 ? k32[to] : k64[to];
}

/* The live arena slots in order; returns their count. */
static size_t live_slots(const struct model *m, uint32_t *slots, size_t max)
{
    size_t n = 0;
    uint32_t nslots = model_arena_slots(m);
    for (uint32_t s = 0; s < nslots; s++)
        if (app_arena_is_live(m, s)) {
            if (n < max)
                slots[n] = s;
            n++;
        }
    return n;
}

static void move_arena(struct ui_app *app, int delta)
{
    const struct model *m = app_model(app);
    uint32_t nslots = model_arena_slots(m);
    if (nslots == 0)
        return;
    uint32_t *slots = malloc(nslots * sizeof *slots);
    if (!slots)
        return;
    size_t n = live_slots(m, slots, nslots);
    if (n > 0) {
        app->arena.slot = (uint32_t)step_sorted(slots, sizeof *slots, n, app->arena.slot, delta);
        struct model_arena a;
        if (model_arena_at(m, app->arena.slot, &a) && app->arena.index >= a.npools)
            app->arena.index = a.npools - 1;
    }
    free(slots);
    app->arena.follow = false;
}

static void move_pool(struct ui_app *app, int delta)
{
    const struct model *m = app_model(app);
    struct model_arena a;
    app->arena.follow = false;
    if (!model_arena_at(m, app->arena.slot, &a)) {
        move_arena(app, 0);
        return;
    }
    long idx = (long)app->arena.index + delta;
    if (idx < 0) {
        uint32_t before = app->arena.slot;
        move_arena(app, -1);
        if (app->arena.slot != before && model_arena_at(m, app->arena.slot, &a))
            idx = (long)a.npools - 1;
        else
            idx = 0;
    } else if (idx >= (long)a.npools) {
        uint32_t before = app->arena.slot;
        move_arena(app, 1);
        idx = app->arena.slot != before ? 0 : (long)a.npools - 1;
    }
    app->arena.index = (uint32_t)idx;
}

void app_move_block(struct ui_app *app, int delta)
{
    struct model_pool p;
    app->arena.follow = false;
    if (!model_pool_at(app_model(app), app->arena.slot, app->arena.index, &p) || p.capacity == 0)
        return;
    long b = (long)app->pool.sel + delta;
    if (b < 0)
        b = 0;
    if (b >= (long)p.capacity)
        b = (long)p.capacity - 1;
    app->pool.sel = (int)b;
}

size_t app_listed_classes(const struct ui_app *app, uint32_t *out, size_t max)
{
    const struct model *m = app_model(app);
    bool all = app->zoomed == UI_PANE_CLASSES;
    size_t n = 0;
    for (uint32_t i = 0; i < app->geo.nclasses; i++) {
        struct model_class c;
        if (all || (model_class_at(m, i, &c) && (c.pools || c.empty_pools))) {
            if (n < max)
                out[n] = i;
            n++;
        }
    }
    return n;
}

static void move_class(struct ui_app *app, int delta)
{
    uint32_t list[HEAP_STATS_MAX_CLASSES];
    size_t n = app_listed_classes(app, list, HEAP_STATS_MAX_CLASSES);
    app->classes.follow = false;
    app->classes.sel = (uint32_t)step_sorted(list, sizeof *list, n, app->classes.sel, delta);
}

static void move_object(struct ui_app *app, int delta)
{
    const uint64_t *objs;
    size_t n = app_sorted_objects(app, &objs);
    app->objects.follow = false;
    app->objects.sel = step_sorted(objs, sizeof *objs, n, app->objects.sel, delta);
}

/* The Code pane's selected line (from the line about to run when none is), or its list of the
 * steps a line ran at. */
static void move_code_line(struct ui_app *app, int delta)
{
    if (app->code_ui.listing) {
        int n = (int)app->code_ui.nruns, to = app->code_ui.run_sel + delta;
        app->code_ui.run_sel = n == 0 ? 0 : to < 0 ? 0 : to >= n ? n - 1 : to;
        return;
    }
    int n = (int)app->code.nlines;
    if (n == 0)
        return;
    int from = app->code_ui.sel ? (int)app->code_ui.sel : app->code.next ? (int)app->code.next : app->code.ran ? (int)app->code.ran : 1;
    int to = app->code_ui.sel ? from + delta : from;
    app->code_ui.sel = (uint32_t)(to < 1 ? 1 : to > n ? n : to);
}

enum ui_redo app_move_selection(struct ui_app *app, int dy, int dx)
{
    if (app->pins.open && app->focus == app->pins.pane) {
        app->pins.sel += dy;
        if (app->pins.sel < 0)
            app->pins.sel = 0;
        return UI_REDO_REPAINT; /* painting keeps it within the list (app->frame) */
    }
    switch (app->focus) {
    case UI_PANE_ARENAS:
        if (dy)
            move_arena(app, dy);
        if (dx)
            move_pool(app, dx);
        break;
    case UI_PANE_POOL: {
        /* a row of the grid as the pane last painted it */
        int per_row = app->pool.per_row > 0 ? app->pool.per_row : 1;
        app_move_block(app, dy * per_row + dx);
        break;
    }
    case UI_PANE_CLASSES:
        move_class(app, dy);
        break;
    case UI_PANE_OBJECTS:
        if (app_has_code(app))
            app->names_ui.sel = app->names_ui.sel + dy < 0 ? 0 : app->names_ui.sel + dy; /* painting bounds it */
        else
            move_object(app, dy);
        break;
    case UI_PANE_CODE:
        move_code_line(app, dy);
        break;
    case UI_PANE_OUTPUT:
        app->output.scroll -= dy; /* the newest line is at the bottom: up goes back */
        if (app->output.scroll < 0)
            app->output.scroll = 0;
        if (app->output.scroll >= MODEL_PRINTS_KEEP)
            app->output.scroll = MODEL_PRINTS_KEEP - 1;
        break;
    case UI_PANE_GC:
        app->gc.scroll += dy;
        if (app->gc.scroll < 0)
            app->gc.scroll = 0;
        if (app->gc.scroll >= MODEL_HISTORY_KEEP)
            app->gc.scroll = MODEL_HISTORY_KEEP - 1;
        break;
    case UI_PANE_TIMELINE: {
        app->log.offset += dy;
        uint64_t pos = app_position(app);
        if (app->log.offset < -(long)(pos > 0 ? pos - 1 : 0))
            app->log.offset = -(int)(pos > 0 ? pos - 1 : 0);
        uint64_t count = app_event_count(app);
        long ahead = (long)(count - pos);
        if (app->log.offset > ahead)
            app->log.offset = (int)ahead;
        break;
    }
    case UI_PANE_COUNT:
        break;
    }
    return UI_REDO_REPAINT;
}
