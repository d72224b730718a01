/*
 * app.c - the viewer's state: moving through the trace, its clock, and the screen the loop
 * drives (loop.c); see ui.h and app.h.  What keys and clicks do is input.c's.
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
 * event it found, so that event is the current one and its sentence is the first thing read;
 * but a line breakpoint, which names a step, stops where the step keys do: before its line's
 * marker, the line about to run.  A live program is told its line breakpoints
 * (app_breakpoints_changed) and holds itself at their markers even in run mode, so that the
 * viewer, catching up, finds it held before the line, as step mode would have it, and not
 * some lines further on.
 *
 * A real program held before a line writes its names' snapshot after the line's marker (the
 * names as the line will find them, tracer/capture): that marker is still the trailing one, and
 * the viewer holds before it, as it would in the saved trace.
 *
 * Redrawing
 * ---------
 * Handlers return what must be redone (enum ui_redo).  The app is a screen of the loop (loop.c,
 * ui_app_screen): its input, its paint, and its clock, which asks for ticks while it plays or
 * follows a live workload.  The loop drains every pending input before painting, and paints at
 * most once per frame, so a burst of keys or a flood of live events costs one frame, never a
 * backlog.
 */
#include "app.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double speeds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000, 20000, 100000, 1000000};
#define NSPEEDS ((int)(sizeof speeds / sizeof speeds[0]))
#define DEFAULT_SPEED 3

static const double paces[] = {0.2, 0.5, 1, 2, 5, 10, 0};
#define NPACES ((int)(sizeof paces / sizeof paces[0]))
#define DEFAULT_PACE 2

#define LIVE_POLL_MS 50
/* Events a tick folds at most while following a live workload: a few milliseconds of work when
 * the viewer has a core to itself, so that keys are answered and frames painted while it catches
 * up.  Frames are dropped when the workload outruns the screen; events never are. */
#define LIVE_TICK_EVENTS 200000
/* A tick folds in slices and stops after the first slice that ends past this many milliseconds
 * of the wall clock: on a busy machine the viewer gets a fraction of a core, and a tick's worth of
 * events would keep a key waiting for a tenth of a second or more. */
#define LIVE_SLICE_EVENTS 16384
#define LIVE_TICK_MS 8.0

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

static int clamp_index(int i, int n)
{
    return i < 0 ? 0 : i >= n ? n - 1 : i;
}

void app_speed_step(struct ui_app *app, int delta)
{
    app->speed = clamp_index(app->speed + delta, NSPEEDS);
}

void app_pace_step(struct ui_app *app, int delta)
{
    app->pace = clamp_index(app->pace + delta, NPACES);
}

void app_message(struct ui_app *app, bool error, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(app->msg, sizeof app->msg, fmt, ap);
    va_end(ap);
    app->msg_error = error;
}

void ui_frame_hit(struct ui_frame *f, struct ui_rect r, enum ui_hit_kind kind, uint64_t a, uint64_t b,
                  int w)
{
    if (f->nhits >= UI_MAX_HITS || ui_rect_is_empty(r))
        return;
    f->hits[f->nhits++] = (struct ui_hit){r, kind, a, b, w};
}

int app_scroll_to_show(int scroll, int sel, int n, int visible)
{
    if (visible < 1)
        visible = 1;
    if (sel >= 0) {
        if (sel < scroll)
            scroll = sel;
        if (sel >= scroll + visible)
            scroll = sel - visible + 1;
    }
    if (scroll > n - visible)
        scroll = n - visible;
    return scroll < 0 ? 0 : scroll;
}

void app_load_current(struct ui_app *app)
{
    app->have_cur = seeker_current_event(app->s, &app->cur);
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

struct recent_block {
    const struct model *m;
    uint64_t addr;
};

static bool match_recent_block(void *ctx, const struct event *ev)
{
    struct recent_block *rb = ctx;
    if (ev->kind == EV_STEP)
        return true;
    uint64_t addr = event_subject(ev);
    struct model_pool p;
    if (addr && model_pool_find(rb->m, addr, &p)) {
        rb->addr = addr;
        return true;
    }
    return false;
}

/* The subject of the latest event before the current one, within the step, that lies in a pool:
 * when a step ends on a print or a reference count, the panes still show where its last block
 * went.  0 when there is none.  Looked up once per position. */
static uint64_t recent_block(struct ui_app *app)
{
    uint64_t pos = app_position(app);
    if (app->recent_pos == pos)
        return app->recent_addr;
    struct recent_block rb = {app_model(app), 0};
    uint64_t found;
    if (pos < 2 || seeker_scan(app->s, pos - 1, false, match_recent_block, &rb, &found) <= 0)
        rb.addr = 0;
    app->recent_pos = pos;
    app->recent_addr = rb.addr;
    return rb.addr;
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
    const struct event *ev = &app->cur;
    uint64_t addr = event_subject(ev), slot;
    struct model_pool p;
    bool in_pool = addr && model_pool_find(m, addr, &p);
    if (!in_pool && !event_role(ev, EV_ROLE_ARENA, &slot) && (addr = recent_block(app)) != 0)
        in_pool = model_pool_find(m, addr, &p);
    if (addr) {
        if (in_pool) {
            if (app->arena.follow) {
                app->arena.slot = p.slot;
                app->arena.index = p.index;
                struct model_block b;
                if (model_block_find(m, addr, &b))
                    app->pool.sel = (int)b.index;
            }
            if (app->classes.follow && p.szidx != MODEL_NO_CLASS)
                app->classes.sel = p.szidx;
        } else if (app->arena.follow && event_role(ev, EV_ROLE_ARENA, &addr) &&
                   event_role(ev, EV_ROLE_SLOT, &slot)) {
            app->arena.slot = (uint32_t)slot;
            app->arena.index = 0;
        }
    }
    uint64_t obj;
    event_role(ev, EV_ROLE_OBJ, &obj);
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

size_t app_objects(const struct ui_app *app, const uint64_t **out)
{
    *out = app->objects.sorted;
    return app->objects.sorted && app->objects.sorted_pos == app_position(app) ? app->objects.nsorted : 0;
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
    model_geometry(seeker_model(s), &app->geo);
    app->cfg = *cfg;
    snprintf(app->title, sizeof app->title, "%s", cfg->title ? cfg->title : "");
    app->cfg.title = app->title;
    const struct trace_header *hd = seeker_header(s);
    app->focus = hd && hd->program[0] ? UI_PANE_CODE : UI_PANE_ARENAS;
    app->zoomed = UI_PANE_NONE;
    app->code.pos = app->names.pos = UINT64_MAX;
    app->ascii = cfg->look.ascii;
    app->arena.follow = app->classes.follow = app->objects.follow = true;
    app->objects.sorted_pos = UINT64_MAX;
    app->speed = DEFAULT_SPEED;
    app->pace = DEFAULT_PACE;
    app->last_tick_ms = -1;
    app->live_state = UI_LIVE_STARTING;
    app->follow_edge = cfg->live != NULL;
    app->next_step.from = app->next_step.found = UINT64_MAX;
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
    free(app->hits.at);
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
    uint64_t count = app_event_count(app), kept_from = seeker_history_start(app->s);
    if (pos > count)
        pos = count;
    if (pos < kept_from && kept_from <= count && pos != app_position(app)) {
        /* a live trace that dropped its oldest events: as far back as it goes */
        pos = kept_from;
        char n[32];
        app_message(app, false, "the history before event %s was dropped: the trace keeps its newest events",
                    fmt_count(n, kept_from - 1));
    }
    int r = seeker_seek(app->s, pos);
    if (r == MODEL_ERANGE && seeker_history_start(app->s) > kept_from &&
        seeker_history_start(app->s) <= app_event_count(app) && pos < seeker_history_start(app->s)) {
        /* the history moved on while the view did not look (the reader learnt of it, and of the
         * events since, when what it was to read was gone): its start now */
        char n[32];
        app_message(app, false, "the history before event %s was dropped: the trace keeps its newest events",
                    fmt_count(n, seeker_history_start(app->s) - 1));
        r = seeker_seek(app->s, seeker_history_start(app->s));
    }
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
    case UI_BP_LINE: {
        char file[sizeof bp->file];
        if (ev->kind == EV_STEP && bp->stack) /* a demo's line */
            return ev->u.step.kind == EV_STEP_WORKLOAD && ev->u.step.stack == bp->stack;
        return ev->kind == EV_STEP && ev->u.step.kind == EV_STEP_LINE &&
               app_label_line(ev->str, ev->str_len, file, sizeof file) == bp->value && strcmp(file, bp->file) == 0;
    }
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
    uint64_t from;  /* where the scan starts: a line breakpoint's marker there is where we are */
    uint64_t limit; /* stop looking at this seq */
    bool past;      /* the scan went past the limit */
    int which;      /* the breakpoint that matched */
};

/* Events before the limit; and the marker at the limit for a line breakpoint, which stops just
 * before it: where the move was going anyway, but as a breakpoint (a count of steps ends there). */
static bool match_breakpoint(void *ctx, const struct event *ev)
{
    struct bp_scan *sc = ctx;
    bool at_limit = ev->seq >= sc->limit;
    if (ev->seq > sc->limit) {
        sc->past = true;
        return true;
    }
    for (int i = 0; i < sc->app->nbp; i++) {
        const struct ui_breakpoint *bp = &sc->app->bp[i];
        if ((at_limit && bp->type != UI_BP_LINE) || (bp->type == UI_BP_LINE && ev->seq == sc->from))
            continue;
        if (breakpoint_matches(bp, ev)) {
            sc->which = i;
            return true;
        }
    }
    if (at_limit) {
        sc->past = true;
        return true;
    }
    return false;
}

void app_describe_breakpoint(const struct ui_breakpoint *bp, char *buf, size_t len)
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
    case UI_BP_LINE:
        snprintf(buf, len, "before line %" PRIu64 " of %s runs", bp->value, bp->file);
        break;
    }
}

void app_breakpoints_changed(struct ui_app *app)
{
    const struct ui_live *live = app->cfg.live;
    if (!live || !live->hold_lines)
        return;
    char text[UI_MAX_BREAKPOINTS][sizeof app->bp[0].file + 24];
    const char *lines[UI_MAX_BREAKPOINTS];
    size_t n = 0;
    for (int i = 0; i < app->nbp; i++) {
        if (app->bp[i].type != UI_BP_LINE)
            continue;
        snprintf(text[n], sizeof text[n], "%s:%" PRIu64, app->bp[i].file, app->bp[i].value);
        lines[n] = text[n];
        n++;
    }
    live->hold_lines(live->ctx, lines, n);
}

/*
 * Moves forward to `target`, stopping just after the first event on the way that a breakpoint
 * matches.  Returns true when a breakpoint stopped it.
 */
bool app_advance_to(struct ui_app *app, uint64_t target)
{
    uint64_t pos = app_position(app), kept = seeker_history_start(app->s);
    if (pos < kept)
        pos = kept; /* what a capped live trace dropped cannot stop anything */
    if (app->nbp > 0 && target > pos) {
        struct bp_scan sc = {app, pos, target, false, -1};
        uint64_t found;
        if (seeker_scan(app->s, pos, true, match_breakpoint, &sc, &found) > 0 && !sc.past) {
            /* a line breakpoint stops where the step keys do, just before its marker: the line
             * is about to run */
            app->stopped_before_line = app->bp[sc.which].type == UI_BP_LINE;
            ui_app_seek(app, app->stopped_before_line ? found : found + 1);
            char what[96];
            app_describe_breakpoint(&app->bp[sc.which], what, sizeof what);
            app_message(app, false, "stopped at breakpoint %d (%s): event %" PRIu64, sc.which + 1, what, found);
            app->playing = false;
            return true;
        }
    }
    ui_app_seek(app, target);
    return false;
}

/* What a real program's capture writes after a line step's marker, before the line runs: the
 * names' snapshot and the allocations of the reprs it takes (tracer/capture/names.c). */
static bool is_snapshot_kind(enum event_kind k)
{
    static const enum event_kind kinds[] = {
        EV_SNAP_NAME,   EV_SNAP_REF,   EV_BLOCK_ALLOC,   EV_BLOCK_FREE,  EV_RAW_ALLOC,   EV_RAW_FREE,
        EV_REALLOC,     EV_RAW_REALLOC, EV_POOL_CARVE,   EV_POOL_UNCACHE, EV_POOL_INIT, EV_POOL_FULL,
        EV_POOL_UNFULL, EV_POOL_EMPTY, EV_ARENA_NEW,     EV_ARENA_MOVE,  EV_ARENA_FREE, EV_ARENA_VECTOR,
        EV_TYPE_NEW,    EV_STACK_DEF,  EV_FRAME_DEF,
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (kinds[i] == k)
            return true;
    return false;
}

#define EDGE_LOOKBACK 2048 /* events after a held program's last marker: its names' snapshot */

/* Live: the newest position worth showing (before a trailing step marker, see the top).  A real
 * program held at a line writes the names' snapshot after the marker: the marker is still the
 * trailing one when nothing else follows it. */
uint64_t app_live_edge(struct ui_app *app)
{
    uint64_t count = app_event_count(app);
    if (count == 0)
        return 0;
    struct event ev;
    char buf[8];
    if (seeker_events(app->s, count - 1, &ev, 1, buf, sizeof buf) != 1)
        return count;
    if (ev.kind == EV_STEP)
        return count - 1;
    if (ev.kind != EV_SNAP_NAME && ev.kind != EV_SNAP_REF)
        return count;
    /* the last events: a line step's marker, then nothing but its snapshot? */
    uint64_t from = count > EDGE_LOOKBACK ? count - EDGE_LOOKBACK : 0, marker = UINT64_MAX;
    size_t strsize = 1 << 16;
    struct event *evs = malloc(256 * sizeof *evs);
    char *str = malloc(strsize);
    for (uint64_t seq = from; evs && str && seq < count;) {
        size_t want = count - seq < 256 ? (size_t)(count - seq) : 256;
        int n = seeker_events(app->s, seq, evs, want, str, strsize);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            if (evs[i].kind == EV_STEP)
                marker = evs[i].u.step.kind == EV_STEP_LINE ? evs[i].seq : UINT64_MAX;
            else if (!is_snapshot_kind(evs[i].kind))
                marker = UINT64_MAX;
        }
        seq += (uint64_t)n;
    }
    free(str);
    free(evs);
    return marker != UINT64_MAX ? marker : count;
}

bool app_live_active(const struct ui_app *app)
{
    return app->cfg.live && (app->live_state == UI_LIVE_STARTING || app->live_state == UI_LIVE_WAITING ||
                             app->live_state == UI_LIVE_RUNNING);
}

/* After a step that ran collections, says so and how to watch them: a step runs whole, and
 * its collections' phases are seen only by going back into them. */
static void say_collections_passed(struct ui_app *app, uint64_t from)
{
    struct model_collection hist[MODEL_HISTORY_KEEP];
    size_t n = model_gc_history(app_model(app), hist, MODEL_HISTORY_KEEP), k = 0;
    while (k < n && hist[k].seq_start >= from)
        k++;
    if (k == 0)
        return;
    char name[16];
    snprintf(name, sizeof name, "generation %" PRIu32, hist[0].gen);
    if (k == 1)
        app_message(app, false, "this step ran a collection of %s (%" PRIu64 " collected): { goes back into it, "
                                "phase by phase", name, hist[0].collected);
    else
        app_message(app, false, "this step ran %zu%s collections: { goes back into the last, phase by phase", k,
                    k == n ? " or more" : "");
}

enum ui_redo app_next_step(struct ui_app *app)
{
    uint64_t pos = app_position(app), found;
    if (find_kind(app, pos + 1, true, EV_STEP, &found)) {
        app_advance_to(app, found);
        app->follow_edge = false;
        say_collections_passed(app, pos);
        return UI_REDO_REPAINT;
    }
    if (app_live_active(app)) {
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
        app_advance_to(app, count);
        return UI_REDO_REPAINT;
    }
    app_message(app, false, "this is the end of the trace");
    return UI_REDO_REPAINT;
}

enum ui_redo app_prev_step(struct ui_app *app)
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

enum ui_redo app_gc_jump(struct ui_app *app, bool forward)
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
        app_advance_to(app, found + 1);
    else
        ui_app_seek(app, found + 1);
    return UI_REDO_REPAINT;
}

/* ---- time --------------------------------------------------------------------------------- */

/* Live: goes from the position to `edge`, through `via` first (the checkpoint a jump loads, or the
 * position itself), in slices, until the edge or the tick's time is up; true when it stopped
 * short for time.  A jump stops at a breakpoint on its way as folding does (app_advance_to reads
 * the events it passes, folding only from the checkpoint before where it stops). */
static bool live_follow(struct ui_app *app, uint64_t via, uint64_t edge)
{
    double start = ui_now_ms();
    uint64_t at = app_position(app);
    for (uint64_t next = via > at ? via : at + LIVE_SLICE_EVENTS;; next = at + LIVE_SLICE_EVENTS) {
        if (next > edge)
            next = edge;
        if (app_advance_to(app, next)) {
            /* a breakpoint: hold the workload at its next step, and stop following it unless it
             * holds right there (a line breakpoint, which a program is told of) */
            app->follow_edge = app->stopped_before_line && app_position(app) == app_live_edge(app);
            if (app->live_running) {
                app->live_running = false;
                app->cfg.live->run(app->cfg.live->ctx, false, 0);
            }
            return false;
        }
        if (app_position(app) != next) {
            app->follow_edge = false; /* the seek failed */
            return false;
        }
        at = next;
        if (at >= edge)
            return false;
        /* the last tick, after the workload ended, goes all the way: no tick comes after it */
        if (app_live_active(app) && ui_now_ms() - start >= LIVE_TICK_MS)
            return true;
    }
}

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
        uint64_t raised = 0;
        if ((st == UI_LIVE_FINISHED || st == UI_LIVE_DIED) && app->follow_edge) {
            /* a program that a line's exception ended: stay on that line, its traceback shown */
            seeker_poll(app->s);
            raised = app_raised_step_end(app);
        }
        if (raised) {
            app->follow_edge = false;
            ui_app_seek(app, raised);
            app_message(app, true, "%s: the line that raised is on screen; G goes to the end", msg[0] ? msg : "the program failed");
        } else if (st == UI_LIVE_DIED) {
            app_message(app, true, "%s", msg);
        } else if (st == UI_LIVE_FINISHED) {
            app_message(app, false, "%s: every key works on its whole trace now",
                        msg[0] ? msg : "the workload finished");
        }
        redo |= UI_REDO_REPAINT;
    }
    app->behind = false;
    if (app->follow_edge) {
        uint64_t edge = app_live_edge(app), pos = app_position(app), via = pos;
        bool jump = false;
        if (edge > pos + LIVE_TICK_EVENTS) {
            /* folding every event cannot keep up: jump through the newest checkpoint when there
             * is one further than a tick's folding would go (or the view fell out of the
             * history kept), else fold a tick's worth */
            uint64_t ck = seeker_checkpoint_before(app->s, edge);
            jump = ck != UINT64_MAX && (ck > pos + LIVE_TICK_EVENTS || pos < seeker_history_start(app->s));
            if (jump) {
                via = ck;
            } else {
                edge = pos + LIVE_TICK_EVENTS;
                app->behind = true;
            }
            app->skipping |= jump;
        } else {
            app->skipping = false;
        }
        if (edge != pos) {
            if (live_follow(app, via, edge))
                app->behind = true;
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
    app_advance_to(app, target);
    if (app_position(app) >= count) {
        app->playing = false;
        if (app_live_active(app))
            app->follow_edge = true;
    }
    return redo | UI_REDO_REPAINT;
}

/* ---- the loop ----------------------------------------------------------------------------- */

static bool wants_ticks(const struct ui_app *app)
{
    return app->playing || app_live_active(app);
}

static enum ui_redo screen_input(void *ctx, const struct ui_input *in)
{
    return ui_app_input(ctx, in);
}

static void screen_paint(void *ctx, struct canvas *c)
{
    ui_app_paint(ctx, c);
}

static enum ui_redo screen_tick(void *ctx, double now)
{
    return ui_app_tick(ctx, now);
}

/* Playing: a frame; following a live workload: its poll, or no wait while behind it. */
static int screen_wait_ms(void *ctx)
{
    const struct ui_app *app = ctx;
    if (!wants_ticks(app))
        return -1;
    return app->behind ? 0 : app->playing ? (int)UI_FRAME_MS : LIVE_POLL_MS;
}

struct ui_screen ui_app_screen(struct ui_app *app)
{
    return (struct ui_screen){app, screen_input, screen_paint, screen_tick, screen_wait_ms};
}

int ui_app_run(struct ui_app *app, struct ui_term *term)
{
    app->ascii = term->ascii;
    struct ui_screen scr = ui_app_screen(app);
    return ui_screen_run(&scr, term);
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

static bool match_program_end(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP && ev->u.step.kind == EV_STEP_END;
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
    if (strcmp(text, "program-end") == 0) {
        /* a real program's own code has ended; what follows is the interpreter shutting down */
        uint64_t found;
        if (seeker_scan(s, 0, true, match_program_end, NULL, &found) <= 0) {
            snprintf(err, errlen, "no program-end: %s",
                     seeker_header(s) && seeker_header(s)->program[0]
                         ? "the program did not reach the end of its code"
                         : "only a real Python program's trace has one");
            return -1;
        }
        *pos = found;
        return 0;
    }
    if (strncmp(text, "step:", 5) == 0) {
        unsigned long long n = strtoull(text + 5, &end, 10);
        if (!text[5] || *end || text[5] == '-') {
            snprintf(err, errlen, "not a step number: '%s' (step:0 is before the first step)", text);
            return -1;
        }
        if (n == 0) {
            /* before the first step: the setup done, the first marker not yet read */
            struct nth_step first = {1, 0};
            uint64_t found;
            *pos = seeker_scan(s, 0, true, match_nth_step, &first, &found) > 0 ? found : 0;
            return 0;
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
    c->ascii = app->ascii;
    const struct trace_header *h = seeker_header(app->s);
    bool program = h && h->program[0];
    /* a real program's line and names, and whether the Code pane is on screen: the banner
     * leaves the line to it */
    app_code_prepare(app);
    app_names_prepare(app);
    struct ui_layout_input li = {c->cols, c->rows, app->focus, app->zoomed, 1, paint_footer_rows(app, c->cols),
                                 program, program, !program && app_has_source(app),
                                 app->cfg.half ? UI_HALF_MIN_COLS : 0};
    ui_layout_compute(&li, &app->layout);
    app->code.shown = !ui_rect_is_empty(app->layout.pane[UI_PANE_CODE]);
    li.step_rows = paint_banner_prepare(app, c->cols, c->rows);
    ui_layout_compute(&li, &app->layout);
    /* what painting reads, prepared for the position: the selections that follow the current
     * event, the sorted objects */
    app_follow(app);
    const uint64_t *objs;
    app_sorted_objects(app, &objs);
    memset(&app->frame, 0, sizeof app->frame);
    paint_screen(app, &app->frame, c);
    /* where the panes settled, kept for the keys that follow */
    const struct ui_frame *f = &app->frame;
    if (f->arena.set)
        app->arena.scroll = f->arena.scroll;
    if (f->pool.set) {
        app->pool.scroll = f->pool.scroll;
        app->pool.sel = f->pool.sel;
        app->pool.per_row = f->pool_per_row;
    }
    if (f->classes.set)
        app->classes.scroll = f->classes.scroll;
    if (f->objects.set)
        app->objects.scroll = f->objects.scroll;
    if (f->gc.set)
        app->gc.scroll = f->gc.scroll;
    if (f->code.set) {
        if (app->code_ui.listing) {
            app->code_ui.run_scroll = f->code.scroll;
        } else {
            app->code_ui.scroll = f->code.scroll;
        }
    }
    if (f->names.set) {
        app->names_ui.scroll = f->names.scroll;
        app->names_ui.sel = f->names.sel;
    }
    if (f->pins.set) {
        app->pins.scroll = f->pins.scroll;
        app->pins.sel = f->pins.sel;
    }
    if (f->help.set) {
        app->help.scroll = f->help.scroll;
        app->help.page = f->help_page;
        app->help.max = f->help_max;
    }
}
