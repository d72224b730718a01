/*
 * input.c - what each key, prompt and click does: the actions of the key table (keys.h), search,
 * breakpoints, selections in each pane, and the mouse.  Each handler returns what must be redone
 * (enum ui_redo); moving through the trace is app.c's.
 */
#include "app.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- search ------------------------------------------------------------------------------- */

static bool contains_nocase(const char *hay, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0)
        return false;
    for (size_t i = 0; i + m <= n; i++) {
        size_t k = 0;
        while (k < m && tolower((unsigned char)hay[i + k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == m)
            return true;
    }
    return false;
}

static bool match_search(void *ctx, const struct event *ev)
{
    const struct ui_search *q = ctx;
    switch (q->type) {
    case UI_SEARCH_NONE:
        return false;
    case UI_SEARCH_KIND:
        return ev->kind == (enum event_kind)q->kind;
    case UI_SEARCH_TYPE:
        return ev->kind == EV_OBJ_NEW && ev->u.obj_new.type == q->type_id;
    case UI_SEARCH_ADDR:
        for (size_t i = 0; i < event_kind_field_count(ev->kind); i++) {
            char t = event_kind_field_type(ev->kind, i);
            if ((t == 'a' || t == 'p') && ev->u.f[i] && (ev->u.f[i] == q->addr || ev->u.f[i] == q->block))
                return true;
        }
        return false;
    case UI_SEARCH_TEXT:
        return ev->str && contains_nocase(ev->str, ev->str_len, q->text);
    }
    return false;
}

/* Understands what was typed: an address, an event kind, a type name, or words. */
static void search_compile(struct ui_app *app, const char *text)
{
    struct ui_search *q = &app->search;
    memset(q, 0, sizeof *q);
    app->hits.counted_upto = 0;
    snprintf(q->text, sizeof q->text, "%s", text);
    if (!*text)
        return;
    const struct model *m = app_model(app);
    char *end;
    unsigned long long v = strtoull(text, &end, 16);
    bool hex = *end == '\0' && (strncmp(text, "0x", 2) == 0 || strlen(text) >= 6);
    if (hex && v) {
        q->type = UI_SEARCH_ADDR;
        q->addr = v;
        struct model_block b;
        struct model_object o;
        if (model_block_find(m, v, &b))
            q->block = b.addr;
        if (model_object_find(m, v, &o) && o.block)
            q->block = o.block;
        return;
    }
    int k = event_kind_from_name(text);
    if (k >= 0) {
        q->type = UI_SEARCH_KIND;
        q->kind = k;
        return;
    }
    for (uint32_t id = 1; id <= model_type_count(m); id++) {
        struct model_type t;
        if (model_type(m, id, &t) && t.name && strcmp(t.name, text) == 0) {
            q->type = UI_SEARCH_TYPE;
            q->type_id = id;
            return;
        }
    }
    q->type = UI_SEARCH_TEXT;
}

static const char *search_what(const struct ui_search *q, char *buf, size_t len)
{
    switch (q->type) {
    case UI_SEARCH_ADDR: snprintf(buf, len, "events naming 0x%" PRIx64, q->addr); break;
    case UI_SEARCH_KIND: snprintf(buf, len, "%s events", event_kind_name((enum event_kind)q->kind)); break;
    case UI_SEARCH_TYPE: snprintf(buf, len, "new %s objects", q->text); break;
    case UI_SEARCH_TEXT: snprintf(buf, len, "'%s' in steps, names and prints", q->text); break;
    case UI_SEARCH_NONE: snprintf(buf, len, "nothing"); break;
    }
    return buf;
}

struct hit_count {
    const struct ui_search *q;
    struct ui_hits *h;
};

static bool count_hit(void *ctx, const struct event *ev)
{
    struct hit_count *c = ctx;
    if (!match_search((void *)c->q, ev))
        return false;
    struct ui_hits *h = c->h;
    h->total++;
    if (h->n == h->cap && h->cap < UI_SEARCH_HITS) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        uint64_t *at = realloc(h->at, cap * sizeof *at);
        if (at)
            h->at = at, h->cap = cap;
    }
    if (h->n < h->cap)
        h->at[h->n++] = ev->seq;
    return false;
}

/* Counts the search's hits in the whole trace, unless it is too long or already counted. */
static void search_count(struct ui_app *app)
{
    struct ui_hits *h = &app->hits;
    uint64_t count = app_event_count(app);
    if (h->counted_upto == count || count > UI_SEARCH_COUNT_EVENTS)
        return;
    h->n = 0;
    h->total = 0;
    struct hit_count c = {&app->search, h};
    uint64_t found;
    if (seeker_scan(app->s, 0, true, count_hit, &c, &found) < 0)
        return;
    h->counted_upto = count;
}

/* ", hit K of N" for the hit at seq, or "" when the hits are not counted (or it is past those
 * kept). */
static const char *hit_number(const struct ui_hits *h, uint64_t seq, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!h->counted_upto)
        return buf;
    size_t lo = 0, hi = h->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->at[mid] < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < h->n && h->at[lo] == seq)
        snprintf(buf, len, ", hit %zu of %" PRIu64, lo + 1, h->total);
    else
        snprintf(buf, len, " of %" PRIu64 " hits", h->total);
    return buf;
}

static enum ui_redo search_go(struct ui_app *app, bool forward)
{
    if (app->search.type == UI_SEARCH_NONE) {
        app_message(app, false, "nothing to search for yet: press / first");
        return UI_REDO_REPAINT;
    }
    uint64_t pos = app_position(app), count = app_event_count(app), found;
    char what[160];
    bool ok = forward ? seeker_scan(app->s, pos, true, match_search, &app->search, &found) > 0
                      : pos >= 2 && seeker_scan(app->s, pos - 1, false, match_search, &app->search, &found) > 0;
    bool wrapped = false;
    if (!ok && count > 0) {
        /* as less and vi do: go on from the other end */
        ok = forward ? seeker_scan(app->s, 0, true, match_search, &app->search, &found) > 0
                     : seeker_scan(app->s, count, false, match_search, &app->search, &found) > 0;
        wrapped = ok;
    }
    if (!ok) {
        app_message(app, false, "no match for %s", search_what(&app->search, what, sizeof what));
        return UI_REDO_REPAINT;
    }
    app->follow_edge = false;
    app->playing = false;
    search_count(app);
    char number[64];
    hit_number(&app->hits, found, number, sizeof number);
    ui_app_seek(app, found + 1);
    app_message(app, false, "%s: event %" PRIu64 "%s%s (n next, N previous)",
                search_what(&app->search, what, sizeof what), found, number,
                wrapped ? forward ? ", from the start again" : ", from the end again" : "");
    return UI_REDO_REPAINT;
}

/* ---- selections ----------------------------------------------------------------------------- */

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

static void move_block(struct ui_app *app, int delta)
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
    struct model_geometry g;
    model_geometry(m, &g);
    bool all = app->zoomed == UI_PANE_CLASSES;
    size_t n = 0;
    for (uint32_t i = 0; i < g.nclasses; i++) {
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

static enum ui_redo move_selection(struct ui_app *app, int dy, int dx)
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
        move_block(app, dy * per_row + dx);
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

/* ---- actions -------------------------------------------------------------------------------- */

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

static void start_prompt(struct ui_app *app, enum ui_mode mode)
{
    app->mode = mode;
    app->prompt[0] = '\0';
    app->prompt_len = 0;
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
        start_prompt(app, UI_MODE_GOTO);
        return UI_REDO_REPAINT;
    case UI_ACT_FASTER:
        return act_speed(app, 1);
    case UI_ACT_SLOWER:
        return act_speed(app, -1);
    case UI_ACT_SEARCH:
        start_prompt(app, UI_MODE_SEARCH);
        return UI_REDO_REPAINT;
    case UI_ACT_NEXT_HIT:
        return search_go(app, true);
    case UI_ACT_PREV_HIT:
        return search_go(app, false);
    case UI_ACT_BREAK:
        if (app->focus == UI_PANE_CODE && app->code.have)
            return code_breakpoint(app);
        app->mode = UI_MODE_BREAK;
        return UI_REDO_REPAINT;
    case UI_ACT_UP:
        return move_selection(app, -1, 0);
    case UI_ACT_DOWN:
        return move_selection(app, 1, 0);
    case UI_ACT_SEL_LEFT:
        return move_selection(app, 0, -1);
    case UI_ACT_SEL_RIGHT:
        return move_selection(app, 0, 1);
    case UI_ACT_PAGE_UP:
        return move_selection(app, -pane_page(app, app->focus), 0);
    case UI_ACT_PAGE_DOWN:
        return move_selection(app, pane_page(app, app->focus), 0);
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

/* ---- prompts and the breakpoint menu -------------------------------------------------------- */

static void add_breakpoint(struct ui_app *app, enum ui_bp_type type, uint64_t value)
{
    if (app->nbp >= UI_MAX_BREAKPOINTS) {
        app_message(app, true, "at most %d breakpoints: delete one first (d)", UI_MAX_BREAKPOINTS);
        return;
    }
    app->bp[app->nbp++] = (struct ui_breakpoint){.type = type, .value = value};
    char what[96];
    app_describe_breakpoint(&app->bp[app->nbp - 1], what, sizeof what);
    app_message(app, false, "breakpoint %d: %s", app->nbp, what);
}

/* The address the selection is on: the selected object, else the selected block or pool. */
static uint64_t selected_addr(struct ui_app *app)
{
    const struct model *m = app_model(app);
    struct model_object o;
    if (app->focus == UI_PANE_OBJECTS && app->objects.sel && model_object_find(m, app->objects.sel, &o))
        return app->objects.sel;
    struct model_pool p;
    if (model_pool_at(m, app->arena.slot, app->arena.index, &p)) {
        if (app->focus == UI_PANE_POOL && p.size)
            return app_block_addr(m, &p, (uint32_t)app->pool.sel);
        return p.addr;
    }
    return 0;
}

static enum ui_redo break_menu_key(struct ui_app *app, int key)
{
    const struct model *m = app_model(app);
    struct model_pool p;
    switch (key) {
    case 'c':
        add_breakpoint(app, UI_BP_GC, 0);
        break;
    case 'f':
        if (model_pool_at(m, app->arena.slot, app->arena.index, &p) && p.state != MODEL_POOL_UNTOUCHED)
            add_breakpoint(app, UI_BP_POOL_FULL, p.addr);
        else
            add_breakpoint(app, UI_BP_POOL_FULL, 0);
        break;
    case 'F':
        add_breakpoint(app, UI_BP_POOL_FULL, 0);
        break;
    case 'a': {
        uint64_t addr = selected_addr(app);
        if (addr)
            add_breakpoint(app, UI_BP_ADDR, addr);
        else
            app_message(app, true, "nothing is selected: select a pool, a block or an object first");
        break;
    }
    case 'k':
        start_prompt(app, UI_MODE_BREAK_KIND);
        return UI_REDO_REPAINT;
    case 'x':
        start_prompt(app, UI_MODE_BREAK_ADDR);
        return UI_REDO_REPAINT;
    case 'd':
        start_prompt(app, UI_MODE_BREAK_DEL);
        return UI_REDO_REPAINT;
    case 'D':
        app->nbp = 0;
        app_breakpoints_changed(app);
        app_message(app, false, "every breakpoint deleted");
        break;
    case UI_KEY_ESC:
    case 'b':
    case 'q':
    case UI_KEY_ENTER:
        break;
    default:
        return UI_REDO_NOTHING;
    }
    app->mode = UI_MODE_NORMAL;
    return UI_REDO_REPAINT;
}

static enum ui_redo prompt_accept(struct ui_app *app)
{
    enum ui_mode mode = app->mode;
    const char *text = app->prompt;
    app->mode = UI_MODE_NORMAL;
    switch (mode) {
    case UI_MODE_SEARCH:
        search_compile(app, text);
        if (app->search.type == UI_SEARCH_NONE)
            return UI_REDO_REPAINT;
        return search_go(app, true);
    case UI_MODE_GOTO: {
        /* what --at takes: an event number, step:N, start or end */
        uint64_t pos;
        char why[160];
        if (ui_parse_position(app->s, text, &pos, why, sizeof why) < 0) {
            app_message(app, true, "%s", why);
            return UI_REDO_REPAINT;
        }
        app->follow_edge = false;
        app->playing = false;
        ui_app_seek(app, pos);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_BREAK_KIND: {
        int k = event_kind_from_name(text);
        if (k < 0)
            app_message(app, true, "no event kind '%s' (kinds are named as in dump: block_alloc, pool_full, gc_start...)",
                        text);
        else
            add_breakpoint(app, UI_BP_KIND, (uint64_t)k);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_BREAK_ADDR: {
        char *end;
        unsigned long long v = strtoull(text, &end, 16);
        if (!*text || *end || v == 0)
            app_message(app, true, "not an address: '%s'", text);
        else
            add_breakpoint(app, UI_BP_ADDR, v);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_BREAK_DEL: {
        char *end;
        unsigned long n = strtoul(text, &end, 10);
        if (!*text || *end || n < 1 || n > (unsigned long)app->nbp) {
            app_message(app, true, "no breakpoint '%s'", text);
            return UI_REDO_REPAINT;
        }
        memmove(&app->bp[n - 1], &app->bp[n], (size_t)(app->nbp - (int)n) * sizeof app->bp[0]);
        app->nbp--;
        app_breakpoints_changed(app);
        app_message(app, false, "breakpoint %lu deleted", n);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_NORMAL:
    case UI_MODE_HELP:
    case UI_MODE_BREAK:
        break;
    }
    return UI_REDO_REPAINT;
}

/* Adds a typed character of the Basic Multilingual Plane to the prompt (others are dropped). */
static void prompt_add(struct ui_app *app, int key)
{
    if (key < 0 || key >= 0x10000)
        return;
    char u[4];
    size_t n = ui_utf8_encode((uint32_t)key, u);
    if (app->prompt_len + n >= sizeof app->prompt)
        return;
    memcpy(app->prompt + app->prompt_len, u, n);
    app->prompt_len += n;
    app->prompt[app->prompt_len] = '\0';
}

static enum ui_redo prompt_key(struct ui_app *app, int key)
{
    switch (key) {
    case UI_KEY_ENTER:
        return prompt_accept(app);
    case UI_KEY_ESC:
    case UI_KEY_CTRL_C:
        app->mode = app->mode == UI_MODE_SEARCH || app->mode == UI_MODE_GOTO ? UI_MODE_NORMAL : UI_MODE_BREAK;
        return UI_REDO_REPAINT;
    case UI_KEY_BACKSPACE:
        while (app->prompt_len > 0) {
            unsigned char c = (unsigned char)app->prompt[--app->prompt_len];
            if ((c & 0xC0) != 0x80)
                break;
        }
        app->prompt[app->prompt_len] = '\0';
        return UI_REDO_REPAINT;
    default:
        if (key >= 32 && key < UI_KEY_SPECIAL && key != 127) {
            prompt_add(app, key);
            return UI_REDO_REPAINT;
        }
        return UI_REDO_NOTHING;
    }
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
            move_block(app, 0);
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
        app->quit_signal = in->key;
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
            return move_selection(app, in->key * 3, 0);
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
        return break_menu_key(app, in->key);
    case UI_MODE_SEARCH:
    case UI_MODE_GOTO:
    case UI_MODE_BREAK_KIND:
    case UI_MODE_BREAK_ADDR:
    case UI_MODE_BREAK_DEL:
        return prompt_key(app, in->key);
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

