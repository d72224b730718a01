/*
 * app.c - the viewer's input handlers, its clock, and the loop; see ui.h and app.h.
 *
 * Positions and steps
 * -------------------
 * The model at position p is the state after events 0 .. p-1; the UI calls event p-1 "the
 * current event": the one just applied, narrated in the event log and named in the header.
 *
 * A step marker announces what the steps after it show.  So that the picture and the banner
 * agree, the step keys stop *just before* each marker: at that position every effect of the
 * step being read has happened, the banner shows that step's label (the last marker folded)
 * and announces the next one.  A live workload holding at marker k is shown the same way: the
 * edge it is followed at is the position before its trailing marker.
 *
 * Everything else that jumps (search hits, breakpoints, collections) stops just *after* the
 * event it found, so that event is the current one and its sentence is the first thing read.
 *
 * Redrawing
 * ---------
 * Handlers return what must be redone (enum ui_redo).  The loop drains every pending input
 * before painting, and paints at most once per frame, so a burst of keys or a flood of live
 * events costs one frame, never a backlog.
 */
#include "app.h"

#include <ui/narrate.h>

#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const double speeds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20000, 100000, 1000000};
#define NSPEEDS ((int)(sizeof speeds / sizeof speeds[0]))
#define DEFAULT_SPEED 3

static const double paces[] = {0.2, 0.5, 1, 2, 5, 10, 0};
#define NPACES ((int)(sizeof paces / sizeof paces[0]))
#define DEFAULT_PACE 2

#define FRAME_MS (1000.0 / 30)
#define LIVE_POLL_MS 50

/* ---- small helpers -------------------------------------------------------------------------- */

const struct model *app_model(const struct ui_app *app)
{
    return seeker_model(app->s);
}

uint64_t app_position(const struct ui_app *app)
{
    return seeker_position(app->s);
}

uint64_t app_event_count(const struct ui_app *app)
{
    return seeker_event_count(app->s);
}

double app_speed(const struct ui_app *app)
{
    return speeds[app->speed];
}

double app_pace(const struct ui_app *app)
{
    return paces[app->pace];
}

void app_message(struct ui_app *app, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->msg, sizeof app->msg, fmt, ap);
    va_end(ap);
    app->msg_error = error;
}

void app_add_hit(struct ui_app *app, struct ui_rect r, enum ui_hit_kind kind, uint64_t a,
                 uint64_t b, int w)
{
    if (app->nhits >= UI_MAX_HITS || ui_rect_is_empty(r))
        return;
    app->hits[app->nhits++] = (struct ui_hit){r, kind, a, b, w};
}

/* The address of what an event is about in the heap (a block, a pool, an arena's base) or of
 * the object it is about; 0 when none. */
uint64_t app_event_addr(const struct event *ev)
{
    switch (ev->kind) {
    case EV_ARENA_NEW: return ev->u.arena_new.base;
    case EV_ARENA_FREE: return ev->u.arena_free.base;
    case EV_POOL_CARVE: return ev->u.pool_carve.pool;
    case EV_POOL_UNCACHE: return ev->u.pool_uncache.pool;
    case EV_POOL_INIT: return ev->u.pool_init.pool;
    case EV_POOL_FULL: return ev->u.pool_full.pool;
    case EV_POOL_UNFULL: return ev->u.pool_unfull.pool;
    case EV_POOL_EMPTY: return ev->u.pool_empty.pool;
    case EV_BLOCK_ALLOC: return ev->u.block_alloc.addr;
    case EV_BLOCK_FREE: return ev->u.block_free.addr;
    case EV_RAW_ALLOC: return ev->u.raw_alloc.addr;
    case EV_RAW_FREE: return ev->u.raw_free.addr;
    case EV_RAW_REALLOC: return ev->u.raw_realloc.addr;
    case EV_REALLOC: return ev->u.realloc.addr;
    case EV_CALLOC: return ev->u.calloc.addr;
    case EV_OBJ_NEW: return ev->u.obj_new.obj;
    case EV_OBJ_FREE: return ev->u.obj_free.obj;
    case EV_OBJ_STORAGE: return ev->u.obj_storage.obj;
    case EV_INCREF: return ev->u.incref.obj;
    case EV_DECREF: return ev->u.decref.obj;
    case EV_OBJ_VALUE: return ev->u.obj_value.obj;
    case EV_NAME_BIND: return ev->u.name_bind.obj;
    case EV_WEAKREF_NEW: return ev->u.weakref_new.obj;
    case EV_FINALIZE: return ev->u.finalize.obj;
    case EV_GC_TRACK: return ev->u.gc_track.obj;
    case EV_GC_UNTRACK: return ev->u.gc_untrack.obj;
    case EV_GC_REFS: return ev->u.gc_refs.obj;
    case EV_GC_MARK: return ev->u.gc_mark.obj;
    case EV_GC_MOVE: return ev->u.gc_move.obj;
    case EV_GC_GARBAGE: return ev->u.gc_garbage.obj;
    case EV_ARENA_MOVE:
    case EV_ARENA_VECTOR:
    case EV_TYPE_NEW:
    case EV_FRAME_PUSH:
    case EV_FRAME_POP:
    case EV_NAME_UNBIND:
    case EV_WEAKREF_CLEAR:
    case EV_WEAKREF_CALL:
    case EV_GC_COUNT:
    case EV_GC_THRESHOLD:
    case EV_GC_ENABLE:
    case EV_GC_START:
    case EV_GC_PHASE:
    case EV_GC_MERGE:
    case EV_GC_END:
    case EV_STEP:
    case EV_STACK_DEF:
    case EV_PRINT:
    case EV_KIND_COUNT:
        return 0;
    }
    return 0;
}

/* The object an event is about, 0 when none. */
uint64_t app_event_object(const struct event *ev)
{
    switch (ev->kind) {
    case EV_OBJ_NEW: return ev->u.obj_new.obj;
    case EV_OBJ_FREE: return ev->u.obj_free.obj;
    case EV_OBJ_STORAGE: return ev->u.obj_storage.obj;
    case EV_INCREF: return ev->u.incref.obj;
    case EV_DECREF: return ev->u.decref.obj;
    case EV_OBJ_VALUE: return ev->u.obj_value.obj;
    case EV_NAME_BIND: return ev->u.name_bind.obj;
    case EV_WEAKREF_NEW: return ev->u.weakref_new.obj;
    case EV_FINALIZE: return ev->u.finalize.obj;
    case EV_GC_TRACK: return ev->u.gc_track.obj;
    case EV_GC_UNTRACK: return ev->u.gc_untrack.obj;
    case EV_GC_REFS: return ev->u.gc_refs.obj;
    case EV_GC_MARK: return ev->u.gc_mark.obj;
    case EV_GC_MOVE: return ev->u.gc_move.obj;
    case EV_GC_GARBAGE: return ev->u.gc_garbage.obj;
    case EV_ARENA_NEW:
    case EV_ARENA_FREE:
    case EV_ARENA_MOVE:
    case EV_ARENA_VECTOR:
    case EV_POOL_CARVE:
    case EV_POOL_UNCACHE:
    case EV_POOL_INIT:
    case EV_POOL_FULL:
    case EV_POOL_UNFULL:
    case EV_POOL_EMPTY:
    case EV_BLOCK_ALLOC:
    case EV_BLOCK_FREE:
    case EV_RAW_ALLOC:
    case EV_RAW_FREE:
    case EV_RAW_REALLOC:
    case EV_REALLOC:
    case EV_CALLOC:
    case EV_TYPE_NEW:
    case EV_FRAME_PUSH:
    case EV_FRAME_POP:
    case EV_NAME_UNBIND:
    case EV_WEAKREF_CLEAR:
    case EV_WEAKREF_CALL:
    case EV_GC_COUNT:
    case EV_GC_THRESHOLD:
    case EV_GC_ENABLE:
    case EV_GC_START:
    case EV_GC_PHASE:
    case EV_GC_MERGE:
    case EV_GC_END:
    case EV_STEP:
    case EV_STACK_DEF:
    case EV_PRINT:
    case EV_KIND_COUNT:
        return 0;
    }
    return 0;
}

void app_load_current(struct ui_app *app)
{
    uint64_t pos = app_position(app);
    if (app->cur_pos == pos)
        return;
    app->cur_pos = pos;
    uint64_t first = pos > 0 ? pos - 1 : 0;
    int n = seeker_events(app->s, first, app->window, 1 + UI_LOOKAHEAD, app->window_str, sizeof app->window_str);
    if (n < 0)
        n = 0;
    app->have_cur = pos > 0 && n > 0;
    app->ahead = app->window + (pos > 0 ? 1 : 0);
    app->nahead = (size_t)n > (pos > 0 ? 1u : 0u) ? (size_t)n - (pos > 0 ? 1u : 0u) : 0;
}

/* Keeps the arena selection on a live arena: the first one when the selected one is gone. */
static void keep_arena_selection(struct ui_app *app)
{
    const struct model *m = app_model(app);
    struct model_arena a;
    if (model_arena_at(m, app->arena.slot, &a)) {
        if (app->arena.index >= a.npools)
            app->arena.index = 0;
        return;
    }
    uint32_t nslots = model_arena_slots(m);
    for (uint32_t s = 0; s < nslots; s++)
        if (app_arena_is_live(m, s)) {
            app->arena.slot = s;
            app->arena.index = 0;
            return;
        }
}

/* Keeps the object selection on a live object: the nearest one above when it died. */
static void keep_object_selection(struct ui_app *app)
{
    struct model_object o;
    if (app->objects.sel && model_object_find(app_model(app), app->objects.sel, &o))
        return;
    const uint64_t *objs;
    size_t n = app_sorted_objects(app, &objs);
    if (n == 0) {
        app->objects.sel = 0;
        return;
    }
    size_t i = 0;
    while (i + 1 < n && objs[i] < app->objects.sel)
        i++;
    app->objects.sel = objs[i];
}

void app_follow(struct ui_app *app)
{
    app_load_current(app);
    if (!app->have_cur) {
        keep_arena_selection(app);
        keep_object_selection(app);
        return;
    }
    const struct model *m = app_model(app);
    uint64_t addr = app_event_addr(&app->window[0]);
    if (addr) {
        struct model_pool p;
        if (model_pool_find(m, addr, &p)) {
            if (app->arena.follow) {
                app->arena.slot = p.slot;
                app->arena.index = p.index;
                struct model_block b;
                if (model_block_find(m, addr, &b))
                    app->pool.sel = (int)b.index;
            }
            if (app->classes.follow && p.szidx != MODEL_NO_CLASS)
                app->classes.sel = p.szidx;
        } else if (app->arena.follow && app->window[0].kind == EV_ARENA_NEW) {
            app->arena.slot = (uint32_t)app->window[0].u.arena_new.slot;
            app->arena.index = 0;
        }
    }
    uint64_t obj = app_event_object(&app->window[0]);
    struct model_object o;
    if (obj && app->objects.follow && model_object_find(m, obj, &o))
        app->objects.sel = obj;
    keep_arena_selection(app);
    keep_object_selection(app);
}

bool app_arena_is_live(const struct model *m, uint32_t slot)
{
    struct model_pool_cell cell;
    return model_arena_cells(m, slot, &cell, 1) == 1;
}

uint64_t app_block_addr(const struct model *m, const struct model_pool *p, uint32_t index)
{
    struct model_geometry g;
    model_geometry(m, &g);
    return p->addr + g.pool_overhead + (uint64_t)index * p->size;
}

size_t app_sorted_objects(struct ui_app *app, const uint64_t **out)
{
    const struct model *m = app_model(app);
    uint64_t pos = app_position(app);
    if (app->objects.sorted_pos != pos || !app->objects.sorted) {
        size_t n = model_object_count(m);
        if (n > app->objects.cap) {
            size_t cap = n + n / 2 + 16;
            uint64_t *p = realloc(app->objects.sorted, cap * sizeof *p);
            if (!p) {
                *out = app->objects.sorted;
                return 0;
            }
            app->objects.sorted = p;
            app->objects.cap = cap;
        }
        app->objects.nsorted = app->objects.cap ? model_objects_sorted(m, app->objects.sorted, app->objects.cap) : 0;
        if (app->objects.nsorted > app->objects.cap)
            app->objects.nsorted = app->objects.cap;
        app->objects.sorted_pos = pos;
    }
    *out = app->objects.sorted;
    return app->objects.nsorted;
}

/* ---- creation ----------------------------------------------------------------------------- */

int ui_app_new(struct ui_app **out, struct seeker *s, const struct ui_config *cfg)
{
    struct ui_app *app = calloc(1, sizeof *app);
    *out = NULL;
    if (!app)
        return -1;
    app->s = s;
    app->cfg = *cfg;
    snprintf(app->title, sizeof app->title, "%s", cfg->title ? cfg->title : "");
    app->cfg.title = app->title;
    app->focus = UI_PANE_ARENAS;
    app->zoomed = UI_PANE_NONE;
    app->color = cfg->look.color;
    app->ascii = cfg->look.ascii;
    app->cur_pos = UINT64_MAX;
    app->arena.follow = app->classes.follow = app->objects.follow = true;
    app->objects.sorted_pos = UINT64_MAX;
    app->speed = DEFAULT_SPEED;
    app->pace = DEFAULT_PACE;
    app->last_tick_ms = -1;
    app->live_state = UI_LIVE_STARTING;
    app->follow_edge = cfg->live != NULL;
    /* a saved trace without an index (a killed recording): build its checkpoints and timeline
     * now, so that seeking is bounded and the scrub bar shows the whole run */
    if (!cfg->live && !seeker_is_indexed(s) && seeker_build_index(s, NULL, NULL) < 0)
        app_message(app, true, "%s", seeker_error(s));
    if (cfg->live && cfg->live_run) {
        /* the pace nearest to the one asked for */
        for (int i = 0; i < NPACES; i++)
            if (paces[i] == cfg->live_pace || (paces[i] > 0 && cfg->live_pace > 0 && paces[i] <= cfg->live_pace))
                app->pace = i;
        app->live_running = true;
        cfg->live->run(cfg->live->ctx, true, app_pace(app));
    }
    if (cfg->start > 0) {
        uint64_t count = seeker_event_count(s);
        ui_app_seek(app, cfg->start < count ? cfg->start : count);
    }
    *out = app;
    return 0;
}

void ui_app_free(struct ui_app *app)
{
    if (!app)
        return;
    free(app->objects.sorted);
    free(app);
}

uint64_t ui_app_position(const struct ui_app *app)
{
    return app_position(app);
}

const char *ui_app_message(const struct ui_app *app)
{
    return app->msg;
}

void ui_app_show_pane(struct ui_app *app, enum ui_pane pane, bool zoom)
{
    if (pane == UI_PANE_NONE) {
        app->zoomed = UI_PANE_NONE;
        return;
    }
    app->focus = pane;
    app->zoomed = zoom ? pane : UI_PANE_NONE;
}

/* ---- moving ------------------------------------------------------------------------------- */

int ui_app_seek(struct ui_app *app, uint64_t pos)
{
    uint64_t count = app_event_count(app);
    if (pos > count)
        pos = count;
    int r = seeker_seek(app->s, pos);
    if (r == MODEL_EINCONSISTENT || r == MODEL_ESTOPPED) {
        const struct model *m = app_model(app);
        app_message(app, true, "the trace stops making sense at event %" PRIu64 ": %s; shown up to there",
                    model_error_seq(m), model_error(m));
        app->playing = false;
    } else if (r < 0) {
        app_message(app, true, "%s", seeker_error(app->s));
        app->playing = false;
    }
    return r;
}

static bool match_kind(void *ctx, const struct event *ev)
{
    return ev->kind == *(const enum event_kind *)ctx;
}

/* The event of `kind` first found from `from` on (forward), or last found before `from`
 * (backward: seeker_scan reads the events before `from`); false when none. */
static bool find_kind(struct ui_app *app, uint64_t from, bool forward, enum event_kind kind, uint64_t *found)
{
    return seeker_scan(app->s, from, forward, match_kind, &kind, found) > 0;
}

static bool breakpoint_matches(const struct ui_breakpoint *bp, const struct event *ev)
{
    switch (bp->type) {
    case UI_BP_KIND:
        return ev->kind == (enum event_kind)bp->value;
    case UI_BP_GC:
        return ev->kind == EV_GC_START;
    case UI_BP_POOL_FULL:
        return ev->kind == EV_POOL_FULL && (bp->value == 0 || ev->u.pool_full.pool == bp->value);
    case UI_BP_ADDR:
        for (size_t i = 0; i < event_kind_field_count(ev->kind); i++) {
            char t = event_kind_field_type(ev->kind, i);
            if ((t == 'a' || t == 'p') && ev->u.f[i] == bp->value)
                return true;
        }
        return false;
    }
    return false;
}

struct bp_scan {
    const struct ui_app *app;
    uint64_t limit; /* stop looking at this seq */
    bool past;      /* the scan went past the limit */
    int which;      /* the breakpoint that matched */
};

static bool match_breakpoint(void *ctx, const struct event *ev)
{
    struct bp_scan *sc = ctx;
    if (ev->seq >= sc->limit) {
        sc->past = true;
        return true;
    }
    for (int i = 0; i < sc->app->nbp; i++)
        if (breakpoint_matches(&sc->app->bp[i], ev)) {
            sc->which = i;
            return true;
        }
    return false;
}

static void describe_breakpoint(const struct ui_breakpoint *bp, char *buf, size_t len)
{
    switch (bp->type) {
    case UI_BP_KIND:
        snprintf(buf, len, "on every %s event", event_kind_name((enum event_kind)bp->value));
        break;
    case UI_BP_ADDR:
        snprintf(buf, len, "on events naming 0x%" PRIx64, bp->value);
        break;
    case UI_BP_POOL_FULL:
        if (bp->value)
            snprintf(buf, len, "on the pool at 0x%" PRIx64 " becoming full", bp->value);
        else
            snprintf(buf, len, "on any pool becoming full");
        break;
    case UI_BP_GC:
        snprintf(buf, len, "on every collection");
        break;
    }
}

/*
 * Moves forward to `target`, stopping just after the first event on the way that a breakpoint
 * matches.  Returns true when a breakpoint stopped it.
 */
static bool advance_to(struct ui_app *app, uint64_t target)
{
    uint64_t pos = app_position(app);
    if (app->nbp > 0 && target > pos) {
        struct bp_scan sc = {app, target, false, -1};
        uint64_t found;
        if (seeker_scan(app->s, pos, true, match_breakpoint, &sc, &found) > 0 && !sc.past) {
            ui_app_seek(app, found + 1);
            char what[96];
            describe_breakpoint(&app->bp[sc.which], what, sizeof what);
            app_message(app, false, "stopped at breakpoint %d (%s): event %" PRIu64, sc.which + 1, what, found);
            app->playing = false;
            return true;
        }
    }
    ui_app_seek(app, target);
    return false;
}

/* Live: the newest position worth showing (before a trailing step marker, see the top). */
static uint64_t live_edge(struct ui_app *app)
{
    uint64_t count = app_event_count(app);
    if (count == 0)
        return 0;
    struct event ev;
    char buf[8];
    if (seeker_events(app->s, count - 1, &ev, 1, buf, sizeof buf) == 1 && ev.kind == EV_STEP)
        return count - 1;
    return count;
}

static bool is_live_active(const struct ui_app *app)
{
    return app->cfg.live && (app->live_state == UI_LIVE_STARTING || app->live_state == UI_LIVE_WAITING ||
                             app->live_state == UI_LIVE_RUNNING);
}

static enum ui_redo act_next_step(struct ui_app *app)
{
    uint64_t pos = app_position(app), found;
    if (find_kind(app, pos + 1, true, EV_STEP, &found)) {
        advance_to(app, found);
        app->follow_edge = false;
        return UI_REDO_REPAINT;
    }
    if (is_live_active(app)) {
        /* nothing known ahead: let the workload run to its next marker, and follow it there */
        app->follow_edge = true;
        if (app->live_running) {
            app->live_running = false;
            app->cfg.live->run(app->cfg.live->ctx, false, 0);
        }
        app->cfg.live->step(app->cfg.live->ctx);
        return UI_REDO_REPAINT;
    }
    uint64_t count = app_event_count(app);
    if (pos < count) {
        advance_to(app, count);
        return UI_REDO_REPAINT;
    }
    app_message(app, false, "this is the end of the trace");
    return UI_REDO_REPAINT;
}

static enum ui_redo act_prev_step(struct ui_app *app)
{
    uint64_t pos = app_position(app), found;
    app->follow_edge = false;
    app->playing = false;
    if (pos > 0 && find_kind(app, pos, false, EV_STEP, &found)) {
        ui_app_seek(app, found);
        return UI_REDO_REPAINT;
    }
    ui_app_seek(app, 0);
    return UI_REDO_REPAINT;
}

static enum ui_redo act_gc(struct ui_app *app, bool forward)
{
    uint64_t pos = app_position(app), found;
    app->follow_edge = false;
    bool ok = forward ? find_kind(app, pos, true, EV_GC_START, &found)
                      : pos >= 2 && find_kind(app, pos - 1, false, EV_GC_START, &found);
    if (!ok) {
        app_message(app, false, "no %s collection", forward ? "later" : "earlier");
        return UI_REDO_REPAINT;
    }
    if (forward)
        advance_to(app, found + 1);
    else
        ui_app_seek(app, found + 1);
    return UI_REDO_REPAINT;
}

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
    ui_app_seek(app, found + 1);
    app_message(app, false, "%s: event %" PRIu64 "%s (n next, N previous)", search_what(&app->search, what, sizeof what),
                found, wrapped ? forward ? ", from the start again" : ", from the end again" : "");
    return UI_REDO_REPAINT;
}

/* ---- selections ----------------------------------------------------------------------------- */

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
        size_t cur = 0;
        for (size_t i = 0; i < n; i++)
            if (slots[i] <= app->arena.slot)
                cur = i;
        long next = (long)cur + delta;
        if (next < 0)
            next = 0;
        if (next >= (long)n)
            next = (long)n - 1;
        app->arena.slot = slots[next];
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
    if (n == 0)
        return;
    size_t cur = 0;
    for (size_t i = 0; i < n; i++)
        if (list[i] <= app->classes.sel)
            cur = i;
    long next = (long)cur + delta;
    if (next < 0)
        next = 0;
    if (next >= (long)n)
        next = (long)n - 1;
    app->classes.sel = list[next];
}

static void move_object(struct ui_app *app, int delta)
{
    const uint64_t *objs;
    size_t n = app_sorted_objects(app, &objs);
    app->objects.follow = false;
    if (n == 0)
        return;
    size_t cur = 0;
    for (size_t i = 0; i < n; i++)
        if (objs[i] <= app->objects.sel)
            cur = i;
    long next = (long)cur + delta;
    if (next < 0)
        next = 0;
    if (next >= (long)n)
        next = (long)n - 1;
    app->objects.sel = objs[next];
}

static int pane_page(const struct ui_app *app, enum ui_pane p)
{
    int h = app->layout.pane[p].h - 4;
    return h > 1 ? h : 1;
}

static enum ui_redo move_selection(struct ui_app *app, int dy, int dx)
{
    switch (app->focus) {
    case UI_PANE_ARENAS:
        if (dy)
            move_arena(app, dy);
        if (dx)
            move_pool(app, dx);
        break;
    case UI_PANE_POOL: {
        int per_row = view_pool_per_row(app->layout.pane[UI_PANE_POOL].w);
        move_block(app, dy * per_row + dx);
        break;
    }
    case UI_PANE_CLASSES:
        move_class(app, dy);
        break;
    case UI_PANE_OBJECTS:
        move_object(app, dy);
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
    if (is_live_active(app) && app->follow_edge) {
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
    if (is_live_active(app) && app->follow_edge) {
        app->pace += delta;
        if (app->pace < 0)
            app->pace = 0;
        if (app->pace >= NPACES)
            app->pace = NPACES - 1;
        if (app->live_running)
            app->cfg.live->run(app->cfg.live->ctx, true, app_pace(app));
        if (app_pace(app) > 0)
            app_message(app, false, "pace: %g steps a second", app_pace(app));
        else
            app_message(app, false, "pace: as fast as it runs");
        return UI_REDO_REPAINT;
    }
    app->speed += delta;
    if (app->speed < 0)
        app->speed = 0;
    if (app->speed >= NSPEEDS)
        app->speed = NSPEEDS - 1;
    app_message(app, false, "speed: %g events a second", app_speed(app));
    return UI_REDO_REPAINT;
}

static enum ui_redo act_enter(struct ui_app *app)
{
    const struct model *m = app_model(app);
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
        app->objects.open = !app->objects.open;
        app->objects.follow = false;
        return UI_REDO_REPAINT;
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

static enum ui_redo set_pane(struct ui_app *app, int delta)
{
    int p = ((int)app->focus + delta + UI_PANE_COUNT) % UI_PANE_COUNT;
    app->focus = (enum ui_pane)p;
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
            if (is_live_active(app)) {
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
    case UI_ACT_NEXT_STEP:
        app->playing = false;
        return act_next_step(app);
    case UI_ACT_PREV_STEP:
        return act_prev_step(app);
    case UI_ACT_NEXT_GC:
        app->playing = false;
        return act_gc(app, true);
    case UI_ACT_PREV_GC:
        app->playing = false;
        return act_gc(app, false);
    case UI_ACT_FIRST:
        app->follow_edge = false;
        app->playing = false;
        ui_app_seek(app, 0);
        return UI_REDO_REPAINT;
    case UI_ACT_LAST:
        app->playing = false;
        if (app->cfg.live) {
            app->follow_edge = true;
            ui_app_seek(app, live_edge(app));
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
    case UI_ACT_ZOOM:
        app->zoomed = app->zoomed == UI_PANE_NONE ? app->focus : UI_PANE_NONE;
        return UI_REDO_RELAYOUT;
    case UI_ACT_HELP:
        app->mode = UI_MODE_HELP;
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
    app->bp[app->nbp++] = (struct ui_breakpoint){type, value};
    char what[96];
    describe_breakpoint(&app->bp[app->nbp - 1], what, sizeof what);
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
        uint64_t n;
        char *end;
        n = strtoull(text, &end, 10);
        if (!*text || *end) {
            app_message(app, true, "not an event number: '%s'", text);
            return UI_REDO_REPAINT;
        }
        uint64_t count = app_event_count(app);
        if (n >= count) {
            app_message(app, true, "no event %" PRIu64 ": the trace has %" PRIu64 " (0 to %" PRIu64 ")", n, count,
                        count ? count - 1 : 0);
            return UI_REDO_REPAINT;
        }
        app->follow_edge = false;
        app->playing = false;
        ui_app_seek(app, n + 1);
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

static void prompt_add(struct ui_app *app, int key)
{
    char u[4];
    size_t n;
    if (key < 0x80) {
        u[0] = (char)key;
        n = 1;
    } else if (key < 0x800) {
        u[0] = (char)(0xC0 | (key >> 6));
        u[1] = (char)(0x80 | (key & 0x3F));
        n = 2;
    } else if (key < 0x10000) {
        u[0] = (char)(0xE0 | (key >> 12));
        u[1] = (char)(0x80 | ((key >> 6) & 0x3F));
        u[2] = (char)(0x80 | (key & 0x3F));
        n = 3;
    } else {
        return;
    }
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
    for (int i = app->nhits - 1; i >= 0; i--) {
        const struct ui_hit *h = &app->hits[i];
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
        app->mode = UI_MODE_NORMAL;
        return UI_REDO_REPAINT;
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

/* ---- time --------------------------------------------------------------------------------- */

static enum ui_redo live_tick(struct ui_app *app)
{
    enum ui_redo redo = UI_REDO_NOTHING;
    int n = seeker_poll(app->s);
    if (n > 0)
        redo |= UI_REDO_REPAINT;
    char msg[sizeof app->live_msg];
    enum ui_live_state st = app->cfg.live->state(app->cfg.live->ctx, msg, sizeof msg);
    if (st != app->live_state || strcmp(msg, app->live_msg) != 0) {
        app->live_state = st;
        snprintf(app->live_msg, sizeof app->live_msg, "%s", msg);
        if (st == UI_LIVE_FINISHED || st == UI_LIVE_DIED)
            app->live_running = false;
        if (st == UI_LIVE_DIED)
            app_message(app, true, "%s", msg);
        else if (st == UI_LIVE_FINISHED)
            app_message(app, false, "the workload finished: every key works on its whole trace now");
        redo |= UI_REDO_REPAINT;
    }
    if (app->follow_edge) {
        uint64_t edge = live_edge(app);
        if (edge != app_position(app)) {
            if (advance_to(app, edge)) {
                /* a breakpoint: stop following, and hold the workload at its next step */
                app->follow_edge = false;
                if (app->live_running) {
                    app->live_running = false;
                    app->cfg.live->run(app->cfg.live->ctx, false, 0);
                }
            }
            redo |= UI_REDO_REPAINT;
        }
    }
    return redo;
}

enum ui_redo ui_app_tick(struct ui_app *app, double now_ms)
{
    enum ui_redo redo = UI_REDO_NOTHING;
    if (app->cfg.live)
        redo |= live_tick(app);
    if (!app->playing) {
        app->last_tick_ms = -1;
        return redo;
    }
    if (app->last_tick_ms < 0) {
        app->last_tick_ms = now_ms;
        return redo;
    }
    double dt = now_ms - app->last_tick_ms;
    app->last_tick_ms = now_ms;
    app->carry += dt * app_speed(app) / 1000.0;
    if (app->carry < 1)
        return redo;
    uint64_t k = (uint64_t)app->carry;
    app->carry -= (double)k;
    uint64_t pos = app_position(app), count = app_event_count(app);
    uint64_t target = pos + k < count ? pos + k : count;
    advance_to(app, target);
    if (app_position(app) >= count) {
        app->playing = false;
        if (is_live_active(app))
            app->follow_edge = true;
    }
    return redo | UI_REDO_REPAINT;
}

/* ---- the loop ----------------------------------------------------------------------------- */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static bool wants_ticks(const struct ui_app *app)
{
    return app->playing || is_live_active(app);
}

int ui_app_run(struct ui_app *app, struct ui_term *term)
{
    struct canvas c;
    if (canvas_init(&c, 80, 24, term->ascii) < 0)
        return 1;
    app->ascii = term->ascii;
    app->color = term->color;
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
        double now = now_ms();
        int timeout = -1;
        if (redo & UI_REDO_REPAINT) {
            if (now - last_paint >= FRAME_MS) {
                ui_app_paint(app, &c);
                term->present(term->ctx, &c);
                last_paint = now;
                redo &= ~UI_REDO_REPAINT;
            } else {
                timeout = (int)(FRAME_MS - (now - last_paint)) + 1;
            }
        }
        if (timeout < 0 && wants_ticks(app))
            timeout = app->playing ? (int)FRAME_MS : LIVE_POLL_MS;
        struct ui_input in = term->read(term->ctx, timeout);
        int drained = 0;
        while (in.kind != UI_IN_NONE) {
            redo |= ui_app_input(app, &in);
            if ((redo & UI_REDO_QUIT) || ++drained >= 4096)
                break;
            in = term->read(term->ctx, 0);
        }
        if (!(redo & UI_REDO_QUIT))
            redo |= ui_app_tick(app, now_ms());
    }
    canvas_release(&c);
    return app->quit_signal > 0 ? 128 + app->quit_signal : 0;
}

int ui_app_render(struct ui_app *app, uint64_t pos, const char *view, struct canvas *c)
{
    enum ui_pane pane = UI_PANE_NONE;
    bool help = strcmp(view, "help") == 0;
    if (!help && strcmp(view, "all") != 0) {
        pane = ui_pane_from_name(view);
        if (pane == UI_PANE_NONE)
            return -1;
    }
    int rc = ui_app_seek(app, pos);
    ui_app_show_pane(app, pane, pane != UI_PANE_NONE);
    app->mode = help ? UI_MODE_HELP : UI_MODE_NORMAL;
    ui_app_paint(app, c);
    return rc < 0 ? rc : 0;
}

struct nth_step {
    uint64_t want, seen;
};

static bool match_nth_step(void *ctx, const struct event *ev)
{
    struct nth_step *n = ctx;
    return ev->kind == EV_STEP && ++n->seen == n->want;
}

int ui_parse_position(struct seeker *s, const char *text, uint64_t *pos, char *err, size_t errlen)
{
    uint64_t count = seeker_event_count(s);
    char *end;
    if (strcmp(text, "start") == 0) {
        *pos = 0;
        return 0;
    }
    if (strcmp(text, "end") == 0) {
        *pos = count;
        return 0;
    }
    if (strncmp(text, "step:", 5) == 0) {
        unsigned long long n = strtoull(text + 5, &end, 10);
        if (!text[5] || *end || n == 0) {
            snprintf(err, errlen, "not a step number: '%s' (steps count from 1)", text);
            return -1;
        }
        /* the end of step n is where marker n + 1 is, or the end of the trace */
        struct nth_step want = {n, 0};
        uint64_t found;
        if (seeker_scan(s, 0, true, match_nth_step, &want, &found) <= 0) {
            snprintf(err, errlen, "no step %llu: the trace has %llu", n, (unsigned long long)want.seen);
            return -1;
        }
        struct nth_step next = {n + 1, 0};
        *pos = seeker_scan(s, 0, true, match_nth_step, &next, &found) > 0 ? found : count;
        return 0;
    }
    unsigned long long n = strtoull(text, &end, 10);
    if (!*text || *end || text[0] == '-') {
        snprintf(err, errlen, "not an event number: '%s'", text);
        return -1;
    }
    if (n >= count) {
        snprintf(err, errlen, "no event %llu: the trace has %llu (0 to %llu)", n, (unsigned long long)count,
                 count ? (unsigned long long)count - 1 : 0);
        return -1;
    }
    *pos = n + 1;
    return 0;
}

/* ---- painting entry ----------------------------------------------------------------------- */

void ui_app_paint(struct ui_app *app, struct canvas *c)
{
    app->cols = c->cols;
    app->rows = c->rows;
    c->ascii = app->ascii;
    struct ui_layout_input li = {c->cols, c->rows, app->focus, app->zoomed};
    ui_layout_compute(&li, &app->layout);
    app->nhits = 0;
    app_follow(app);
    paint_screen(app, c);
}
