/*
 * input.c - what each key and click does: the actions of the key table (keys.h) and the Code
 * pane's keys, the mouse, the help, and ui_app_input, which sends each input to the handler of
 * the mode the viewer is in.  Each handler returns what must be redone (enum ui_redo).
 *
 * The rest of the input is in three files beside this one, each a concern of its own:
 * input_search.c (/, n and N), input_select.c (the arrow keys and the wheel in each pane) and
 * input_prompt.c (what is typed at a prompt, and the breakpoint menu).  Moving through the trace
 * is app.c's.
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- actions -------------------------------------------------------------------------------- */

/* The line the Code pane's keys act on: the selected one, else the line about to run. */
static uint32_t code_line(const struct ui_app *app)
{
    return app->code_ui.sel ? app->code_ui.sel : app->code.next ? app->code.next : app->code.ran;
}

static enum ui_redo code_enter(struct ui_app *app)
{
    if (!app->code.have)
        return UI_REDO_NOTHING;
    if (app->code_ui.listing) {
        /* to the end of the chosen step: the line has run, its effects are on screen */
        if ((size_t)app->code_ui.run_sel < app->code_ui.nruns) {
            app->follow_edge = false;
            app->playing = false;
            ui_app_seek(app, app_step_end(app, app->code_ui.runs[app->code_ui.run_sel]));
            app->code_ui.listing = false;
            app->code_ui.sel = 0;
        }
        return UI_REDO_REPAINT;
    }
    uint32_t line = code_line(app);
    if (!line)
        return UI_REDO_NOTHING;
    app->code_ui.sel = line;
    app->code_ui.nruns = app_code_runs(app, line, app->code_ui.runs, app->code_ui.run_steps, UI_CODE_RUNS);
    app->code_ui.listing = true;
    app->code_ui.run_sel = app->code_ui.run_scroll = 0;
    /* the list starts at the step being read, or the first after it */
    for (size_t i = 0; i < app->code_ui.nruns; i++)
        if (app->code_ui.runs[i] < app_position(app))
            app->code_ui.run_sel = (int)i;
    return UI_REDO_REPAINT;
}

/* b in the Code pane: a breakpoint on the line (or off again). */
static enum ui_redo code_breakpoint(struct ui_app *app)
{
    uint32_t line = code_line(app);
    if (!app->code.have || !line) {
        app_message(app, false, "no line to break at");
        return UI_REDO_REPAINT;
    }
    for (int i = 0; i < app->nbp; i++)
        if (app->bp[i].type == UI_BP_LINE && app->bp[i].value == line && strcmp(app->bp[i].file, app->code.base) == 0) {
            memmove(&app->bp[i], &app->bp[i + 1], (size_t)(app->nbp - i - 1) * sizeof app->bp[0]);
            app->nbp--;
            app_breakpoints_changed(app);
            app_message(app, false, "no breakpoint on line %" PRIu32 " any more", line);
            return UI_REDO_REPAINT;
        }
    if (app->nbp >= UI_MAX_BREAKPOINTS) {
        app_message(app, true, "at most %d breakpoints: delete one first (b d)", UI_MAX_BREAKPOINTS);
        return UI_REDO_REPAINT;
    }
    uint64_t stack = app_has_code(app) ? 0 : app_code_line_stack(app, line);
    if (!app_has_code(app) && !stack) {
        app_message(app, false, "no step of the demo runs line %" PRIu32 ": no breakpoint there", line);
        return UI_REDO_REPAINT;
    }
    struct ui_breakpoint *bp = &app->bp[app->nbp++];
    *bp = (struct ui_breakpoint){.type = UI_BP_LINE, .value = line, .stack = stack};
    snprintf(bp->file, sizeof bp->file, "%s", app->code.base);
    app_breakpoints_changed(app);
    app_message(app, false, "breakpoint %d: before line %" PRIu32 " of %s runs (] and Space stop there; b again: off)",
                app->nbp, line, bp->file);
    return UI_REDO_REPAINT;
}

/* p: the selected name's block in the Pool pane. */
static enum ui_redo pool_jump(struct ui_app *app)
{
    const struct model *m = app_model(app);
    const struct ui_names *nm = &app->names;
    if (!app_has_code(app) || app->names_ui.sel < 0 || (size_t)app->names_ui.sel >= nm->n) {
        app_message(app, false, "p shows a name's block: select a name in the Names pane first");
        return UI_REDO_REPAINT;
    }
    const struct ui_name *e = &nm->names[app->names_ui.sel];
    struct model_pool p;
    struct model_block b;
    if (!model_pool_find(m, e->obj, &p) || !model_block_find(m, e->obj, &b)) {
        app_message(app, false, "%.*s is not in an arena: the C library's malloc or static memory", e->name_len,
                    e->name);
        return UI_REDO_REPAINT;
    }
    app->arena.follow = false;
    app->arena.slot = p.slot;
    app->arena.index = p.index;
    app->pool.sel = (int)b.index;
    app->focus = UI_PANE_POOL;
    app_message(app, false, "%.*s: block %" PRIu32 " of pool %" PRIu32 " in arena %" PRIu32, e->name_len, e->name,
                b.index, p.index, p.slot);
    return UI_REDO_RELAYOUT;
}

static bool is_program_start(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP && ev->u.step.kind == EV_STEP_PROGRAM;
}

static int pane_page(const struct ui_app *app, enum ui_pane p)
{
    int h = app->layout.pane[p].h - 4;
    return h > 1 ? h : 1;
}

static enum ui_redo act_play(struct ui_app *app)
{
    if (app_live_active(app) && app->follow_edge) {
        app->live_running = !app->live_running;
        app->cfg.live->run(app->cfg.live->ctx, app->live_running, app_pace(app));
        app_message(app, false, app->live_running ? "the workload runs; Space holds it at its next step"
                                                  : "the workload will hold at its next step");
        return UI_REDO_REPAINT;
    }
    if (!app->playing && app_position(app) >= app_event_count(app)) {
        app_message(app, false, "at the end: press g to go back to the start");
        return UI_REDO_REPAINT;
    }
    app->playing = !app->playing;
    app->last_tick_ms = -1;
    app->carry = 0;
    return UI_REDO_REPAINT;
}

static enum ui_redo act_speed(struct ui_app *app, int delta)
{
    if (app_live_active(app) && app->follow_edge) {
        app_pace_step(app, delta);
        if (app->live_running)
            app->cfg.live->run(app->cfg.live->ctx, true, app_pace(app));
        if (app_pace(app) > 0)
            app_message(app, false, "pace: %g steps a second", app_pace(app));
        else
            app_message(app, false, "pace: as fast as it runs");
        return UI_REDO_REPAINT;
    }
    app_speed_step(app, delta);
    app_message(app, false, "speed: %g events a second", app_speed(app));
    return UI_REDO_REPAINT;
}

/* Enter in the list of who pins an arena or pool: a line's blocks, then a block in its pool. */
static enum ui_redo pins_enter(struct ui_app *app)
{
    const struct model *m = app_model(app);
    if (!app->pins.blocks) {
        static struct model_pin pins[512];
        size_t n = app_pins(app, pins, 512);
        if (n == 0 || app->pins.sel < 0 || (size_t)app->pins.sel >= n || app->pins.sel >= 512)
            return UI_REDO_NOTHING;
        app->pins.frame = pins[app->pins.sel].frame;
        app->pins.blocks = true;
        app->pins.sel = app->pins.scroll = 0;
        return UI_REDO_REPAINT;
    }
    static uint64_t addrs[4096];
    size_t n = app_pin_blocks(app, addrs, 4096);
    struct model_block b;
    if (app->pins.sel < 0 || (size_t)app->pins.sel >= n || app->pins.sel >= 4096 ||
        !model_block_find(m, addrs[app->pins.sel], &b))
        return UI_REDO_NOTHING;
    struct model_pool p;
    if (model_pool_find(m, b.pool, &p)) {
        app->arena.follow = false;
        app->arena.slot = p.slot;
        app->arena.index = p.index;
        app->pool.sel = (int)b.index;
        app->pins.open = false;
        app->focus = UI_PANE_POOL;
    }
    return UI_REDO_RELAYOUT;
}

static enum ui_redo act_pins(struct ui_app *app)
{
    if (app->focus != UI_PANE_ARENAS && app->focus != UI_PANE_POOL) {
        app_message(app, false, "w shows who pins an arena or a pool: in the Arenas or the Pool pane");
        return UI_REDO_REPAINT;
    }
    bool was = app->pins.open && app->pins.pane == app->focus;
    memset(&app->pins, 0, sizeof app->pins);
    app->pins.open = !was;
    app->pins.pane = app->focus;
    if (!was)
        app->arena.follow = false;
    return UI_REDO_REPAINT;
}

static enum ui_redo act_enter(struct ui_app *app)
{
    const struct model *m = app_model(app);
    if (app->pins.open && app->focus == app->pins.pane)
        return pins_enter(app);
    switch (app->focus) {
    case UI_PANE_ARENAS:
        app->arena.follow = false;
        app->focus = UI_PANE_POOL;
        return UI_REDO_RELAYOUT;
    case UI_PANE_CLASSES: {
        uint64_t front;
        app->classes.follow = false;
        if (model_class_ring(m, app->classes.sel, &front, 1) == 0) {
            app_message(app, false, "class %" PRIu32 " has no used pool in its ring", app->classes.sel);
            return UI_REDO_REPAINT;
        }
        struct model_pool p;
        if (model_pool_find(m, front, &p)) {
            app->arena.follow = false;
            app->arena.slot = p.slot;
            app->arena.index = p.index;
            app->focus = UI_PANE_POOL;
        }
        return UI_REDO_RELAYOUT;
    }
    case UI_PANE_POOL: {
        struct model_pool p;
        struct model_block b;
        if (model_pool_at(m, app->arena.slot, app->arena.index, &p) && p.size) {
            uint64_t addr = app_block_addr(m, &p, (uint32_t)app->pool.sel);
            if (model_block_find(m, addr, &b) && b.object) {
                app->objects.sel = b.object;
                app->objects.follow = false;
                app->objects.open = true;
                app->focus = UI_PANE_OBJECTS;
                return UI_REDO_RELAYOUT;
            }
        }
        app_message(app, false, "no object lives in this block");
        return UI_REDO_REPAINT;
    }
    case UI_PANE_OBJECTS:
        if (app_has_code(app)) {
            app->names_ui.open = !app->names_ui.open;
            return UI_REDO_REPAINT;
        }
        app->objects.open = !app->objects.open;
        app->objects.follow = false;
        return UI_REDO_REPAINT;
    case UI_PANE_CODE:
        return code_enter(app);
    case UI_PANE_OUTPUT: {
        /* to the event that printed the line at the bottom */
        struct model_print lines[MODEL_PRINTS_KEEP];
        size_t n = model_prints(m, lines, MODEL_PRINTS_KEEP);
        if ((size_t)app->output.scroll < n && n <= MODEL_PRINTS_KEEP) {
            app->follow_edge = false;
            ui_app_seek(app, lines[app->output.scroll].seq + 1);
            app->output.scroll = 0;
        }
        return UI_REDO_REPAINT;
    }
    case UI_PANE_GC: {
        struct model_collection hist[MODEL_HISTORY_KEEP];
        size_t n = model_gc_history(m, hist, MODEL_HISTORY_KEEP);
        if ((size_t)app->gc.scroll < n) {
            app->follow_edge = false;
            ui_app_seek(app, hist[app->gc.scroll].seq_start + 1);
            app->gc.scroll = 0;
        }
        return UI_REDO_REPAINT;
    }
    case UI_PANE_TIMELINE: {
        uint64_t pos = app_position(app);
        long target = (long)pos + app->log.offset;
        app->log.offset = 0;
        app->follow_edge = false;
        ui_app_seek(app, target < 0 ? 0 : (uint64_t)target);
        return UI_REDO_REPAINT;
    }
    case UI_PANE_COUNT:
        break;
    }
    return UI_REDO_NOTHING;
}

static enum ui_redo act_back(struct ui_app *app)
{
    if (app->pins.open && app->focus == app->pins.pane) {
        if (app->pins.blocks)
            app->pins.blocks = false;
        else
            app->pins.open = false;
        app->pins.sel = app->pins.scroll = 0;
        return UI_REDO_REPAINT;
    }
    if (app->focus == UI_PANE_CODE && (app->code_ui.listing || app->code_ui.sel)) {
        if (app->code_ui.listing)
            app->code_ui.listing = false;
        else
            app->code_ui.sel = 0;
        return UI_REDO_REPAINT;
    }
    if (app->focus == UI_PANE_OBJECTS && app_has_code(app) && app->names_ui.open) {
        app->names_ui.open = false;
        return UI_REDO_REPAINT;
    }
    if (app->focus == UI_PANE_OBJECTS && app->objects.open) {
        app->objects.open = false;
        return UI_REDO_REPAINT;
    }
    if (app->focus == UI_PANE_POOL) {
        app->focus = UI_PANE_ARENAS;
        app->arena.follow = true;
        return UI_REDO_RELAYOUT;
    }
    if (app->zoomed != UI_PANE_NONE) {
        app->zoomed = UI_PANE_NONE;
        return UI_REDO_RELAYOUT;
    }
    app->arena.follow = app->classes.follow = app->objects.follow = true;
    app->log.offset = 0;
    app->msg[0] = '\0';
    return UI_REDO_REPAINT;
}

enum ui_pane app_pane_after(const struct ui_app *app, enum ui_pane p, int delta)
{
    do
        p = (enum ui_pane)(((int)p + delta + UI_PANE_COUNT) % UI_PANE_COUNT);
    while (p == UI_PANE_CODE && !app_has_source(app));
    return p;
}

static enum ui_redo set_pane(struct ui_app *app, int delta)
{
    app->focus = app_pane_after(app, app->focus, delta);
    if (app->zoomed != UI_PANE_NONE)
        app->zoomed = app->focus;
    return UI_REDO_RELAYOUT;
}

static enum ui_redo do_action(struct ui_app *app, enum ui_action a)
{
    uint64_t pos = app_position(app);
    switch (a) {
    case UI_ACT_NONE:
        return UI_REDO_NOTHING;
    case UI_ACT_PLAY:
        return act_play(app);
    case UI_ACT_NEXT:
        app->follow_edge = false;
        app->playing = false;
        if (pos >= app_event_count(app)) {
            if (app_live_active(app)) {
                app->follow_edge = true;
                app->cfg.live->step(app->cfg.live->ctx);
            } else {
                app_message(app, false, "this is the last event");
            }
            return UI_REDO_REPAINT;
        }
        ui_app_seek(app, pos + 1);
        return UI_REDO_REPAINT;
    case UI_ACT_PREV:
        app->follow_edge = false;
        app->playing = false;
        if (pos > 0)
            ui_app_seek(app, pos - 1);
        return UI_REDO_REPAINT;
    case UI_ACT_NEXT_STEP: {
        /* a count typed before it: that many steps (live: that many lines run) */
        int n = app->count > 0 ? app->count : 1;
        app->count = 0;
        app->playing = false;
        enum ui_redo r = UI_REDO_NOTHING;
        for (int i = 0; i < n; i++) {
            uint64_t before = app_position(app);
            r |= app_next_step(app);
            if (strncmp(app->msg, "stopped at breakpoint", 21) == 0 ||
                (app_position(app) == before && !app_live_active(app)))
                break;
        }
        return r;
    }
    case UI_ACT_PREV_STEP: {
        int n = app->count > 0 ? app->count : 1;
        app->count = 0;
        enum ui_redo r = UI_REDO_NOTHING;
        for (int i = 0; i < n; i++)
            r |= app_prev_step(app);
        return r;
    }
    case UI_ACT_NEXT_GC:
        app->playing = false;
        return app_gc_jump(app, true);
    case UI_ACT_PREV_GC:
        app->playing = false;
        return app_gc_jump(app, false);
    case UI_ACT_FIRST: {
        /* a real program: where its own code begins, after the interpreter's start-up */
        app->follow_edge = false;
        app->playing = false;
        uint64_t at;
        if (seeker_scan(app->s, 0, true, is_program_start, NULL, &at) == 1) {
            ui_app_seek(app, at + 1);
            if (app_position(app) == at + 1)
                app_message(app, false, "the program's own code begins here; Home goes back to its start-up");
        } else {
            ui_app_seek(app, 0);
        }
        return UI_REDO_REPAINT;
    }
    case UI_ACT_START:
        app->follow_edge = false;
        app->playing = false;
        ui_app_seek(app, 0);
        return UI_REDO_REPAINT;
    case UI_ACT_LAST:
        app->playing = false;
        if (app->cfg.live) {
            app->follow_edge = true;
            ui_app_seek(app, app_live_edge(app));
        } else {
            ui_app_seek(app, app_event_count(app));
        }
        return UI_REDO_REPAINT;
    case UI_ACT_GOTO:
        app_prompt_start(app, UI_MODE_GOTO);
        return UI_REDO_REPAINT;
    case UI_ACT_FASTER:
        return act_speed(app, 1);
    case UI_ACT_SLOWER:
        return act_speed(app, -1);
    case UI_ACT_SEARCH:
        app_prompt_start(app, UI_MODE_SEARCH);
        return UI_REDO_REPAINT;
    case UI_ACT_NEXT_HIT:
        return app_search_go(app, true);
    case UI_ACT_PREV_HIT:
        return app_search_go(app, false);
    case UI_ACT_BREAK:
        if (app->focus == UI_PANE_CODE && app->code.have)
            return code_breakpoint(app);
        app->mode = UI_MODE_BREAK;
        return UI_REDO_REPAINT;
    case UI_ACT_UP:
        return app_move_selection(app, -1, 0);
    case UI_ACT_DOWN:
        return app_move_selection(app, 1, 0);
    case UI_ACT_SEL_LEFT:
        return app_move_selection(app, 0, -1);
    case UI_ACT_SEL_RIGHT:
        return app_move_selection(app, 0, 1);
    case UI_ACT_PAGE_UP:
        return app_move_selection(app, -pane_page(app, app->focus), 0);
    case UI_ACT_PAGE_DOWN:
        return app_move_selection(app, pane_page(app, app->focus), 0);
    case UI_ACT_NEXT_PANE:
        return set_pane(app, 1);
    case UI_ACT_PREV_PANE:
        return set_pane(app, -1);
    case UI_ACT_ENTER:
        return act_enter(app);
    case UI_ACT_BACK:
        return act_back(app);
    case UI_ACT_PINS:
        return act_pins(app);
    case UI_ACT_CODE:
        if (!app_has_source(app)) {
            app_message(app, false, "the Code pane shows a program's or a demo's source: replay or live a script");
            return UI_REDO_REPAINT;
        }
        app->focus = UI_PANE_CODE;
        if (app->zoomed != UI_PANE_NONE)
            app->zoomed = UI_PANE_CODE;
        return UI_REDO_RELAYOUT;
    case UI_ACT_POOL_JUMP:
        return pool_jump(app);
    case UI_ACT_ZOOM:
        app->zoomed = app->zoomed == UI_PANE_NONE ? app->focus : UI_PANE_NONE;
        return UI_REDO_RELAYOUT;
    case UI_ACT_HELP:
        app->mode = UI_MODE_HELP;
        app->help.scroll = 0;
        return UI_REDO_REPAINT;
    case UI_ACT_QUIT:
        return UI_REDO_QUIT;
    case UI_ACTION_COUNT:
        break;
    }
    return UI_REDO_NOTHING;
}

/* ---- mouse ---------------------------------------------------------------------------------- */

static enum ui_redo click(struct ui_app *app, int x, int y)
{
    enum ui_pane pane = ui_layout_pane_at(&app->layout, x, y);
    enum ui_redo redo = UI_REDO_NOTHING;
    if (pane != UI_PANE_NONE && pane != app->focus) {
        app->focus = pane;
        redo |= UI_REDO_REPAINT;
    }
    const struct model *m = app_model(app);
    for (int i = app->frame.nhits - 1; i >= 0; i--) {
        const struct ui_hit *h = &app->frame.hits[i];
        if (!ui_rect_contains(h->r, x, y))
            continue;
        int cell = h->w > 0 ? (x - h->r.x) / h->w : 0;
        switch (h->kind) {
        case UI_HIT_POOL_ROW: {
            struct model_arena a;
            uint64_t idx = h->b + (uint64_t)cell;
            if (model_arena_at(m, (uint32_t)h->a, &a) && idx < a.npools) {
                app->arena.slot = (uint32_t)h->a;
                app->arena.index = (uint32_t)idx;
                app->arena.follow = false;
            }
            break;
        }
        case UI_HIT_BLOCK_ROW:
            app->pool.sel = (int)(h->a + (uint64_t)cell);
            app->arena.follow = false;
            app_move_block(app, 0);
            break;
        case UI_HIT_CLASS:
            app->classes.sel = (uint32_t)h->a;
            app->classes.follow = false;
            break;
        case UI_HIT_OBJECT:
            app->objects.sel = h->a;
            app->objects.follow = false;
            break;
        case UI_HIT_EVENT:
            app->follow_edge = false;
            app->playing = false;
            app->log.offset = 0;
            ui_app_seek(app, h->a + 1);
            break;
        case UI_HIT_CODE_LINE:
            app->code_ui.sel = (uint32_t)h->a;
            app->focus = UI_PANE_CODE;
            break;
        case UI_HIT_CODE_RUN:
            app->code_ui.run_sel = (int)h->a;
            break;
        case UI_HIT_NAME:
            app->names_ui.sel = (int)h->a;
            app->focus = UI_PANE_OBJECTS;
            break;
        case UI_HIT_SCRUB: {
            uint64_t total = h->a;
            uint64_t target = h->r.w > 1 ? total * (uint64_t)(x - h->r.x) / (uint64_t)(h->r.w - 1) : 0;
            app->follow_edge = false;
            app->playing = false;
            ui_app_seek(app, target);
            break;
        }
        }
        return redo | UI_REDO_REPAINT;
    }
    return redo;
}

/* ---- the help ----------------------------------------------------------------------------- */

/* The help scrolls with the keys that move and page, when it does not fit; any other key
 * closes it. */
static enum ui_redo help_key(struct ui_app *app, int key)
{
    enum ui_action a = ui_action_for_key(key);
    int page = app->help.page > 2 ? app->help.page - 1 : 1, by = 0;
    if (a == UI_ACT_DOWN)
        by = 1;
    else if (a == UI_ACT_UP)
        by = -1;
    else if (a == UI_ACT_PAGE_DOWN)
        by = page;
    else if (a == UI_ACT_PAGE_UP)
        by = -page;
    else if (a == UI_ACT_FIRST || a == UI_ACT_START)
        by = -app->help.max;
    else if (a == UI_ACT_LAST)
        by = app->help.max;
    if (by == 0 || app->help.max <= 0) {
        app->mode = UI_MODE_NORMAL;
        return UI_REDO_REPAINT;
    }
    int to = app->help.scroll + by;
    app->help.scroll = to < 0 ? 0 : to > app->help.max ? app->help.max : to;
    return UI_REDO_REPAINT;
}

/* ---- input -------------------------------------------------------------------------------- */

enum ui_redo ui_app_input(struct ui_app *app, const struct ui_input *in)
{
    switch (in->kind) {
    case UI_IN_NONE:
        return UI_REDO_NOTHING;
    case UI_IN_QUIT:
        return UI_REDO_QUIT;
    case UI_IN_RESIZE:
        return UI_REDO_RELAYOUT;
    case UI_IN_MOUSE:
        if (app->mode != UI_MODE_NORMAL) {
            app->mode = UI_MODE_NORMAL;
            return UI_REDO_REPAINT;
        }
        return click(app, in->x, in->y);
    case UI_IN_WHEEL:
        if (app->mode == UI_MODE_HELP)
            return help_key(app, in->key > 0 ? UI_KEY_DOWN : UI_KEY_UP);
        if (app->mode != UI_MODE_NORMAL)
            return UI_REDO_NOTHING;
        {
            enum ui_pane pane = ui_layout_pane_at(&app->layout, in->x, in->y);
            if (pane != UI_PANE_NONE)
                app->focus = pane;
            return app_move_selection(app, in->key * 3, 0);
        }
    case UI_IN_KEY:
        break;
    }
    if (app->layout.too_small) {
        enum ui_action a = ui_action_for_key(in->key);
        return a == UI_ACT_QUIT ? UI_REDO_QUIT : UI_REDO_NOTHING;
    }
    switch (app->mode) {
    case UI_MODE_HELP:
        return help_key(app, in->key);
    case UI_MODE_BREAK:
        return app_break_menu_key(app, in->key);
    case UI_MODE_SEARCH:
    case UI_MODE_GOTO:
    case UI_MODE_BREAK_KIND:
    case UI_MODE_BREAK_ADDR:
    case UI_MODE_BREAK_DEL:
        return app_prompt_key(app, in->key);
    case UI_MODE_NORMAL:
        break;
    }
    enum ui_action a = ui_action_for_key(in->key);
    if (a == UI_ACT_NONE && in->key >= '0' && in->key <= '9' && (in->key != '0' || app->count > 0)) {
        /* a count for the step keys that follow: 10] */
        if (app->count < 100000)
            app->count = app->count * 10 + (in->key - '0');
        app_message(app, false, "%d: ] or [ steps that many", app->count);
        return UI_REDO_REPAINT;
    }
    if (a != UI_ACT_NEXT_STEP && a != UI_ACT_PREV_STEP)
        app->count = 0;
    if (a != UI_ACT_NONE && a != UI_ACT_QUIT)
        app->msg[0] = '\0';
    if (a == UI_ACT_NONE) {
        char name[16];
        if (in->key >= 32 && in->key < UI_KEY_SPECIAL) {
            app_message(app, false, "%s does nothing here: press ? for the keys", ui_key_name(in->key, name));
            return UI_REDO_REPAINT;
        }
        return UI_REDO_NOTHING;
    }
    return do_action(app, a);
}

