/*
 * compare.c - two traces side by side, in lockstep by step markers; see ui.h.
 *
 * Each side is a whole viewer (struct ui_app) painting into its own canvas half the screen wide,
 * laid out as a narrow screen is (app->cfg.half lowers the narrowest width it accepts); the
 * halves are copied into the screen's canvas on either side of a divider.  This file adds only
 * what the pair needs: the row naming each side's trace and profiles, the figures of both heaps
 * compared, the marks on what differs, the status line, and the keys that must keep the two
 * together.  Every other key goes to both viewers, so that Tab, z, Enter, ? and the rest act on
 * both sides alike.
 *
 * Lockstep
 * --------
 * ] and [ (with a count: 3]) go to both viewers; the right side is then moved to the left's step
 * number when the two differ (a trace with fewer steps stays at its end).  The event keys (l, h,
 * the arrows) move each side by one event, except that a side at the end of its step (its next
 * event is a step marker) holds there until the other side gets to its own step's end, and both
 * then cross their markers together; backwards the same at the step's start.  Two traces of the
 * same script with the same events per step so move event by event together; traces whose steps
 * differ in length stay in the same step.
 *
 * What differs
 * ------------
 * The figures are read from both models after every move: arenas held, pools by state, bytes in
 * pool blocks and raw blocks, live objects, and each generation's count.  A pane whose figures
 * differ gets "≠ differs" in its frame on both sides; an arena row of the Arenas pane whose
 * pools (used, full, empty, free) differ from the row at the same place on the other side gets
 * ≠ on its left edge.  The status line compares the events of the step ahead on both sides (from
 * the current position to the next step marker after it), pairwise, with ev_first_difference
 * (tracer/evdiff.h, as `arenascope diff` does), addresses numbered from the step's start.
 */
#include "app.h"

#include <tracer/evdiff.h>
#include <ui/narrate.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIDES 2
#define STATUS_SCAN_EVENTS 200000 /* events of the step ahead compared at most */
#define ROW_ARENAS 256            /* arena rows compared at most */

struct figures {
    uint64_t arenas, used, full, empty, block_bytes, raw_bytes, objects;
    uint64_t gen[MODEL_MAX_GENERATIONS];
    uint32_t ngen;
    uint32_t narena_rows;
    struct {
        uint32_t used, full, empty, free;
    } rows[ROW_ARENAS];
    uint64_t class_in_use[64];
    uint32_t nclasses;
};

struct ui_compare {
    struct ui_app *app[SIDES];
    struct seeker *s[SIDES];
    char name[SIDES][256];
    char profile[SIDES][128];
    struct canvas half[SIDES];
    bool ascii;
    /* the status, computed for the positions it names */
    uint64_t status_pos[SIDES];
    char status[512];
    bool differs; /* the status names a difference */
    struct figures fig[SIDES];
    int quit_signal;
};

struct ui_app *ui_compare_side(struct ui_compare *cmp, int i)
{
    return cmp->app[i];
}

const char *ui_compare_status(const struct ui_compare *cmp)
{
    return cmp->status;
}

int ui_compare_new(struct ui_compare **out, struct seeker *const s[2], const struct ui_config cfg[2],
                   const char *const names[2])
{
    struct ui_compare *cmp = calloc(1, sizeof *cmp);
    *out = NULL;
    if (!cmp)
        return -1;
    for (int i = 0; i < SIDES; i++) {
        struct ui_config c = cfg[i];
        c.half = true;
        cmp->s[i] = s[i];
        /* a path by its file's name: the folder it is in says nothing of the heap */
        const char *slash = strrchr(names[i], '/');
        snprintf(cmp->name[i], sizeof cmp->name[i], "%s", slash && slash[1] ? slash + 1 : names[i]);
        const struct trace_header *h = seeker_header(s[i]);
        snprintf(cmp->profile[i], sizeof cmp->profile[i], "%s, gc %s", h ? h->profile : "?",
                 h ? h->gc_profile : "?");
        cmp->status_pos[i] = UINT64_MAX;
        if (ui_app_new(&cmp->app[i], s[i], &c) < 0 || canvas_init(&cmp->half[i], 1, 1, c.look.ascii) < 0) {
            ui_compare_free(cmp);
            return -1;
        }
    }
    cmp->ascii = cfg[0].look.ascii;
    *out = cmp;
    return 0;
}

void ui_compare_free(struct ui_compare *cmp)
{
    if (!cmp)
        return;
    for (int i = 0; i < SIDES; i++) {
        ui_app_free(cmp->app[i]);
        canvas_release(&cmp->half[i]);
    }
    free(cmp);
}

/* ---- figures -------------------------------------------------------------------------------- */

static void read_figures(const struct model *m, struct figures *f)
{
    memset(f, 0, sizeof *f);
    struct model_totals t;
    model_totals(m, &t);
    f->block_bytes = t.block_bytes;
    f->raw_bytes = t.raw_bytes;
    f->objects = t.objects;
    f->arenas = model_arena_count(m);
    uint32_t slots = model_arena_slots(m);
    for (uint32_t slot = 0; slot < slots; slot++) {
        struct model_arena a;
        if (!model_arena_at(m, slot, &a))
            continue;
        f->used += a.nused;
        f->full += a.nfull;
        f->empty += a.nempty;
        if (f->narena_rows < ROW_ARENAS) {
            f->rows[f->narena_rows].used = a.nused;
            f->rows[f->narena_rows].full = a.nfull;
            f->rows[f->narena_rows].empty = a.nempty;
            f->rows[f->narena_rows].free = a.nfreepools;
            f->narena_rows++;
        }
    }
    struct model_geometry geo;
    model_geometry(m, &geo);
    f->nclasses = geo.nclasses < 64 ? geo.nclasses : 64;
    for (uint32_t k = 0; k < f->nclasses; k++) {
        struct model_class mc;
        if (model_class_at(m, k, &mc))
            f->class_in_use[k] = mc.in_use;
    }
    struct model_gc gc;
    model_gc(m, &gc);
    f->ngen = gc.ngenerations < MODEL_MAX_GENERATIONS ? gc.ngenerations : MODEL_MAX_GENERATIONS;
    for (uint32_t g = 0; g < f->ngen; g++)
        f->gen[g] = gc.gen[g].count;
}

static bool arena_row_differs(const struct figures *a, const struct figures *b, uint32_t i)
{
    if (i >= a->narena_rows || i >= b->narena_rows)
        return i < a->narena_rows || i < b->narena_rows;
    return memcmp(&a->rows[i], &b->rows[i], sizeof a->rows[i]) != 0;
}

/* Whether the figures a pane shows differ between the two sides. */
static bool pane_differs(const struct figures *a, const struct figures *b, enum ui_pane p)
{
    switch (p) {
    case UI_PANE_ARENAS:
        if (a->arenas != b->arenas || a->narena_rows != b->narena_rows)
            return true;
        for (uint32_t i = 0; i < a->narena_rows; i++)
            if (arena_row_differs(a, b, i))
                return true;
        return false;
    case UI_PANE_POOL:
        return a->used != b->used || a->full != b->full || a->empty != b->empty;
    case UI_PANE_CLASSES:
        return a->nclasses != b->nclasses ||
               memcmp(a->class_in_use, b->class_in_use, a->nclasses * sizeof a->class_in_use[0]) != 0;
    case UI_PANE_OBJECTS:
        return a->objects != b->objects;
    case UI_PANE_GC:
        return a->ngen != b->ngen || memcmp(a->gen, b->gen, a->ngen * sizeof a->gen[0]) != 0;
    case UI_PANE_TIMELINE:
        return a->block_bytes + a->raw_bytes != b->block_bytes + b->raw_bytes;
    case UI_PANE_OUTPUT: /* text, not figures */
    case UI_PANE_CODE:
    case UI_PANE_COUNT:
        return false;
    }
    return false;
}

/* ---- the step ahead, compared --------------------------------------------------------------- */

static bool match_step(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP;
}

/* The end of the step ahead of pos: the first marker after the event at pos, or the end. */
static uint64_t step_ahead_end(struct seeker *s, uint64_t pos)
{
    uint64_t count = seeker_event_count(s), found;
    if (pos + 1 >= count)
        return count;
    if (seeker_scan(s, pos + 1, true, match_step, NULL, &found) == 1)
        return found;
    return count;
}

static uint64_t step_number(const struct ui_app *app)
{
    struct model_step st;
    return model_step_current(app_model(app), &st) ? st.number : 0;
}

static bool event_is_step(struct seeker *s, uint64_t seq)
{
    struct event ev;
    char str[64];
    return seeker_events(s, seq, &ev, 1, str, sizeof str) == 1 && ev.kind == EV_STEP;
}

#define CHUNK 256
struct chunk {
    struct event ev[CHUNK];
    char str[CHUNK * 64];
};

static void compute_status(struct ui_compare *cmp)
{
    uint64_t pos[SIDES], end[SIDES];
    for (int i = 0; i < SIDES; i++)
        pos[i] = app_position(cmp->app[i]);
    if (pos[0] == cmp->status_pos[0] && pos[1] == cmp->status_pos[1])
        return;
    cmp->status_pos[0] = pos[0];
    cmp->status_pos[1] = pos[1];
    cmp->differs = false;
    for (int i = 0; i < SIDES; i++)
        end[i] = step_ahead_end(cmp->s[i], pos[i]);
    uint64_t len[SIDES] = {end[0] - pos[0], end[1] - pos[1]};
    if (!len[0] && !len[1]) {
        snprintf(cmp->status, sizeof cmp->status, "both at their ends");
        return;
    }
    /* one side waits at the end of its step (the event keys hold it there): how far the other is */
    bool edge[SIDES];
    for (int i = 0; i < SIDES; i++)
        edge[i] = pos[i] >= app_event_count(cmp->app[i]) || event_is_step(cmp->s[i], pos[i]);
    if (edge[0] != edge[1]) {
        int waiting = edge[0] ? 0 : 1, other = !waiting;
        uint64_t found, left = app_event_count(cmp->app[other]) - pos[other];
        if (seeker_scan(cmp->s[other], pos[other], true, match_step, NULL, &found) == 1)
            left = found - pos[other];
        char n[32];
        snprintf(cmp->status, sizeof cmp->status, "%c is at the end of step %" PRIu64 "; %c has %s event%s of it left",
                 'A' + waiting, step_number(cmp->app[waiting]), 'A' + other, fmt_count(n, left),
                 left == 1 ? "" : "s");
        return;
    }
    struct chunk *ch = malloc(SIDES * sizeof *ch);
    if (!ch) {
        snprintf(cmp->status, sizeof cmp->status, "out of memory");
        return;
    }
    /* the markers that open the step ahead are its label, worded for each profile: the step's
     * work starts after them */
    bool at_step_end = len[0] && len[1] && event_is_step(cmp->s[0], pos[0]) && event_is_step(cmp->s[1], pos[1]);
    if (at_step_end) {
        for (int i = 0; i < SIDES; i++)
            pos[i]++, len[i]--;
    }
    struct ev_ordinals ord[SIDES] = {{0}, {0}};
    uint64_t n = len[0] < len[1] ? len[0] : len[1];
    if (n > STATUS_SCAN_EVENTS)
        n = STATUS_SCAN_EVENTS;
    uint64_t k = 0;
    int field = -1;
    const struct event *ea = NULL, *eb = NULL;
    while (k < n && field == -1) {
        size_t want = n - k < CHUNK ? (size_t)(n - k) : CHUNK;
        int got[SIDES];
        for (int i = 0; i < SIDES; i++)
            got[i] = seeker_events(cmp->s[i], pos[i] + k, ch[i].ev, want, ch[i].str, sizeof ch[i].str);
        if (got[0] <= 0 || got[1] <= 0)
            break;
        size_t m = (size_t)(got[0] < got[1] ? got[0] : got[1]);
        for (size_t j = 0; j < m; j++) {
            field = ev_first_difference(&ch[0].ev[j], &ord[0], &ch[1].ev[j], &ord[1]);
            if (field != -1) {
                ea = &ch[0].ev[j];
                eb = &ch[1].ev[j];
                break;
            }
            k++;
        }
        if (m < want)
            break;
    }
    char ahead[48];
    uint64_t now = step_number(cmp->app[0]);
    if (step_number(cmp->app[1]) != now)
        snprintf(ahead, sizeof ahead, "the steps ahead");
    else if (at_step_end)
        snprintf(ahead, sizeof ahead, "step %" PRIu64 " ahead", now + 1);
    else
        snprintf(ahead, sizeof ahead, "the rest of step %" PRIu64, now);
    cmp->differs = field != -1;
    if (field >= 0) {
        char name[48];
        ev_field_name(ea->kind, field, name, sizeof name);
        snprintf(cmp->status, sizeof cmp->status,
                 "%s differs at its event %" PRIu64 " (A %" PRIu64 ", B %" PRIu64 "): the %s of %s %s event", ahead,
                 k + 1, pos[0] + k, pos[1] + k, name, ui_article(event_kind_name(ea->kind)),
                 event_kind_name(ea->kind));
    } else if (field == -2) {
        snprintf(cmp->status, sizeof cmp->status,
                 "%s differs at its event %" PRIu64 ": A %s (event %" PRIu64 "), B %s (event %" PRIu64 ")", ahead,
                 k + 1, event_kind_name(ea->kind), pos[0] + k, event_kind_name(eb->kind), pos[1] + k);
    } else if (k < n) {
        snprintf(cmp->status, sizeof cmp->status, "%s: the same for %" PRIu64 " events; the rest not compared", ahead, k);
    } else if (len[0] == len[1]) {
        snprintf(cmp->status, sizeof cmp->status, "%s: the same %" PRIu64 " events on both sides", ahead, n);
    } else {
        int longer = len[0] > len[1] ? 0 : 1;
        cmp->differs = true;
        snprintf(cmp->status, sizeof cmp->status, "%s: the same for %" PRIu64 " events, then %c has %" PRIu64 " more",
                 ahead, n, longer ? 'B' : 'A', len[longer] - n);
    }
    ev_ordinals_free(&ord[0]);
    ev_ordinals_free(&ord[1]);
    free(ch);
}

/* ---- painting ------------------------------------------------------------------------------- */

/* "arenas 2|1": a figure of both sides, marked when they differ; returns the columns written. */
static int paint_figure(struct canvas *c, int x, int y, const char *label, const char *a, const char *b)
{
    bool differs = strcmp(a, b) != 0;
    int x0 = x;
    x += canvas_printf(c, x, y, -1, UI_S_FOOTER, "%s ", label);
    enum ui_style v = differs ? UI_S_CHANGED : UI_S_FOOTER;
    x += canvas_text(c, x, y, -1, v, a);
    if (differs)
        canvas_glyph(c, x, y, UI_G_DIFFERS, UI_S_CHANGED);
    else
        canvas_glyph(c, x, y, UI_G_VLINE, UI_S_FOOTER);
    x++;
    x += canvas_text(c, x, y, -1, v, b);
    return x - x0 + 2;
}

static void paint_figures(const struct ui_compare *cmp, struct canvas *c, int y)
{
    const struct figures *f = cmp->fig;
    canvas_fill(c, (struct ui_rect){0, y, c->cols, 1}, UI_G_SPACE, UI_S_FOOTER);
    char a[64], b[64];
    int x = 1;
    snprintf(a, sizeof a, "%" PRIu64, f[0].arenas);
    snprintf(b, sizeof b, "%" PRIu64, f[1].arenas);
    x += paint_figure(c, x, y, "arenas", a, b);
    snprintf(a, sizeof a, "%" PRIu64 "/%" PRIu64 "/%" PRIu64, f[0].used, f[0].full, f[0].empty);
    snprintf(b, sizeof b, "%" PRIu64 "/%" PRIu64 "/%" PRIu64, f[1].used, f[1].full, f[1].empty);
    x += paint_figure(c, x, y, "pools used/full/empty", a, b);
    char ba[32], bb[32];
    x += paint_figure(c, x, y, "in blocks", ui_fmt_bytes(ba, f[0].block_bytes), ui_fmt_bytes(bb, f[1].block_bytes));
    x += paint_figure(c, x, y, "raw", ui_fmt_bytes(ba, f[0].raw_bytes), ui_fmt_bytes(bb, f[1].raw_bytes));
    snprintf(a, sizeof a, "%" PRIu64, f[0].objects);
    snprintf(b, sizeof b, "%" PRIu64, f[1].objects);
    paint_figure(c, x, y, "objects", a, b);
}

/* The row over side i: its letter, its trace, its profiles (marked where they differ). */
static void paint_side_row(const struct ui_compare *cmp, struct canvas *c, int i, struct ui_rect r)
{
    canvas_fill(c, r, UI_G_SPACE, UI_S_HEADER);
    int x = r.x + 1, end = r.x + r.w;
    x += canvas_text(c, x, r.y, end - x, UI_S_HEADER_VALUE, i ? "B " : "A ");
    x += canvas_text(c, x, r.y, end - x, UI_S_HEADER, " ");
    bool differs = strcmp(cmp->profile[0], cmp->profile[1]) != 0;
    int room = end - x - ui_text_width(cmp->profile[i]) - 3;
    x += canvas_text_fit(c, x, r.y, room > 8 ? room : 8, UI_S_HEADER, cmp->name[i]);
    x += canvas_text(c, x, r.y, end - x, UI_S_HEADER, "  ");
    canvas_text_fit(c, x, r.y, end - x, differs ? UI_S_HEADER_VALUE : UI_S_HEADER, cmp->profile[i]);
}

/* The marks on side i's half: ≠ in the frame of a pane whose figures differ, on an arena row. */
static void paint_marks(const struct ui_compare *cmp, struct canvas *c, int i, int ox, int oy)
{
    const struct ui_app *app = cmp->app[i];
    if (app->layout.too_small || app->mode == UI_MODE_HELP)
        return;
    const struct figures *me = &cmp->fig[i], *other = &cmp->fig[!i];
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        struct ui_rect r = app->layout.pane[p];
        if (ui_rect_is_empty(r) || !pane_differs(me, other, (enum ui_pane)p))
            continue;
        static const char word[] = " differs ";
        int w = (int)sizeof word - 1 + 2, x = ox + r.x + r.w - w - 2;
        if (x <= ox + r.x + 2)
            continue;
        canvas_put(c, x, oy + r.y, ' ', UI_S_CHANGED);
        canvas_glyph(c, x + 1, oy + r.y, UI_G_DIFFERS, UI_S_CHANGED);
        canvas_text(c, x + 2, oy + r.y, -1, UI_S_CHANGED, word);
    }
    /* the arena rows: the arenas in slot order, paired by their place */
    const struct model *m = app_model(app);
    for (int h = 0; h < app->frame.nhits; h++) {
        const struct ui_hit *hit = &app->frame.hits[h];
        if (hit->kind != UI_HIT_POOL_ROW || hit->b != 0)
            continue;
        uint32_t place = 0;
        for (uint32_t slot = 0; slot < hit->a; slot++)
            place += app_arena_is_live(m, slot);
        if (!app_arena_is_live(m, (uint32_t)hit->a) || !arena_row_differs(me, other, place))
            continue;
        struct ui_rect pane = app->layout.pane[UI_PANE_ARENAS];
        canvas_glyph(c, ox + pane.x, oy + hit->r.y, UI_G_DIFFERS, UI_S_CHANGED);
    }
}

/* Rows the pair takes besides the two halves: the side rows, the figures, the status. */
#define EXTRA_ROWS 3
#define NEED_COLS (2 * UI_HALF_MIN_COLS + 1)
#define NEED_ROWS (UI_MIN_ROWS + EXTRA_ROWS)

static void paint_too_small(struct canvas *c)
{
    char lines[3][96];
    snprintf(lines[0], sizeof lines[0], "too small for two side by side: %d x %d", c->cols, c->rows);
    snprintf(lines[1], sizeof lines[1], "they need %d x %d", NEED_COLS, NEED_ROWS);
    snprintf(lines[2], sizeof lines[2], "enlarge the window, or press q to quit");
    static const enum ui_style style[] = {UI_S_ERROR, UI_S_VALUE, UI_S_DIM};
    int y = c->rows / 2 - 1;
    for (int i = 0; i < 3; i++) {
        int w = ui_text_width(lines[i]);
        int x = w < c->cols ? (c->cols - w) / 2 : 0;
        canvas_text_fit(c, x, y + i, c->cols - x, style[i], lines[i]);
    }
}

void ui_compare_paint(struct ui_compare *cmp, struct canvas *c)
{
    c->ascii = cmp->ascii;
    canvas_clear(c);
    int W = c->cols, H = c->rows;
    if (W < NEED_COLS || H < NEED_ROWS) {
        paint_too_small(c);
        return;
    }
    int hw = (W - 1) / 2;
    int width[SIDES] = {hw, W - 1 - hw}, x0[SIDES] = {0, hw + 1};
    int body = H - EXTRA_ROWS;
    for (int i = 0; i < SIDES; i++)
        read_figures(app_model(cmp->app[i]), &cmp->fig[i]);
    compute_status(cmp);
    for (int i = 0; i < SIDES; i++) {
        struct canvas *half = &cmp->half[i];
        if (half->cols != width[i] || half->rows != body)
            canvas_resize(half, width[i] > 0 ? width[i] : 1, body);
        ui_app_paint(cmp->app[i], half);
        canvas_blit(c, x0[i], 1, half, (struct ui_rect){0, 0, half->cols, half->rows});
        paint_side_row(cmp, c, i, (struct ui_rect){x0[i], 0, width[i], 1});
        paint_marks(cmp, c, i, x0[i], 1);
    }
    for (int y = 0; y < H - 2; y++)
        canvas_glyph(c, hw, y, UI_G_VLINE, UI_S_FRAME_FOCUS);
    paint_figures(cmp, c, H - 2);
    enum ui_style st = cmp->differs ? UI_S_STATUS_WARN : UI_S_FOOTER;
    canvas_fill(c, (struct ui_rect){0, H - 1, W, 1}, UI_G_SPACE, st);
    canvas_text_fit(c, 1, H - 1, W - 2, st, cmp->status);
}

/* ---- keys ----------------------------------------------------------------------------------- */

/* Side i cannot go on by an event without leaving its step: forward, its next event is a
 * marker (or there is none); backward, its current event is one (or it is at the start). */
static bool at_step_edge(struct ui_compare *cmp, int i, bool forward)
{
    uint64_t pos = app_position(cmp->app[i]);
    if (forward)
        return pos >= app_event_count(cmp->app[i]) || event_is_step(cmp->s[i], pos);
    return pos == 0 || event_is_step(cmp->s[i], pos - 1);
}

static enum ui_redo step_event(struct ui_compare *cmp, const struct ui_input *in, bool forward)
{
    bool edge[SIDES] = {at_step_edge(cmp, 0, forward), at_step_edge(cmp, 1, forward)};
    enum ui_redo redo = UI_REDO_REPAINT;
    for (int i = 0; i < SIDES; i++)
        if (!edge[i] || (edge[0] && edge[1]))
            redo |= ui_app_input(cmp->app[i], in);
        else
            app_message(cmp->app[i], false, "at the %s of the step: waiting for %c", forward ? "end" : "start",
                        i ? 'A' : 'B');
    return redo;
}

/* After ] or [: the right side at the left's step number, when it has that step. */
static void align_steps(struct ui_compare *cmp)
{
    uint64_t want = step_number(cmp->app[0]);
    if (step_number(cmp->app[1]) == want)
        return;
    char where[32], err[160];
    uint64_t pos;
    snprintf(where, sizeof where, "step:%" PRIu64, want);
    if (ui_parse_position(cmp->s[1], where, &pos, err, sizeof err) == 0)
        ui_app_seek(cmp->app[1], pos);
    else
        ui_app_seek(cmp->app[1], app_event_count(cmp->app[1]));
}

enum ui_redo ui_compare_input(struct ui_compare *cmp, const struct ui_input *in)
{
    if (in->kind == UI_IN_QUIT) {
        cmp->quit_signal = in->key;
        return UI_REDO_QUIT;
    }
    if (in->kind == UI_IN_RESIZE)
        return UI_REDO_RELAYOUT;
    if (in->kind == UI_IN_MOUSE || in->kind == UI_IN_WHEEL) {
        /* to the side it is in, in that side's cells */
        int hw = (cmp->half[0].cols);
        int i = in->x > hw ? 1 : 0;
        struct ui_input moved = *in;
        moved.x -= i ? hw + 1 : 0;
        moved.y -= 1;
        if (moved.x < 0 || moved.y < 0)
            return UI_REDO_NOTHING;
        return ui_app_input(cmp->app[i], &moved) | UI_REDO_REPAINT;
    }
    if (in->kind != UI_IN_KEY)
        return UI_REDO_NOTHING;
    bool prompting = cmp->app[0]->mode != UI_MODE_NORMAL;
    enum ui_action a = ui_action_for_key(in->key);
    if (!prompting && a == UI_ACT_QUIT)
        return UI_REDO_QUIT;
    if (!prompting && (a == UI_ACT_NEXT || a == UI_ACT_PREV))
        return step_event(cmp, in, a == UI_ACT_NEXT);
    if (!prompting && a == UI_ACT_PLAY) {
        for (int i = 0; i < SIDES; i++)
            app_message(cmp->app[i], false, "side by side, ] steps both and l moves both by an event");
        return UI_REDO_REPAINT;
    }
    enum ui_redo redo = UI_REDO_REPAINT;
    for (int i = 0; i < SIDES; i++)
        redo |= ui_app_input(cmp->app[i], in);
    if (!prompting && (a == UI_ACT_NEXT_STEP || a == UI_ACT_PREV_STEP))
        align_steps(cmp);
    return redo;
}

/* ---- the loop ------------------------------------------------------------------------------- */

int ui_compare_run(struct ui_compare *cmp, struct ui_term *term)
{
    struct canvas c;
    if (canvas_init(&c, 80, 24, term->ascii) < 0)
        return 1;
    cmp->ascii = term->ascii;
    for (int i = 0; i < SIDES; i++)
        cmp->app[i]->ascii = term->ascii;
    enum ui_redo redo = UI_REDO_RELAYOUT;
    while (!(redo & UI_REDO_QUIT)) {
        if (redo & UI_REDO_RELAYOUT) {
            int cols, rows;
            term->size(term->ctx, &cols, &rows);
            if (canvas_resize(&c, cols, rows) < 0)
                break;
            redo |= UI_REDO_REPAINT;
        }
        if (redo & UI_REDO_REPAINT) {
            ui_compare_paint(cmp, &c);
            term->present(term->ctx, &c);
        }
        struct ui_input in = term->read(term->ctx, -1);
        redo = ui_compare_input(cmp, &in);
    }
    canvas_release(&c);
    return cmp->quit_signal > 0 ? 128 + cmp->quit_signal : 0;
}

int ui_compare_render(struct ui_compare *cmp, const uint64_t pos[2], const char *view, struct canvas *c)
{
    int rc = 0;
    struct canvas scratch;
    if (canvas_init(&scratch, c->cols, c->rows, c->ascii) < 0)
        return -1;
    for (int i = 0; i < SIDES; i++) {
        int r = ui_app_render(cmp->app[i], pos[i], view, &scratch);
        if (r < 0 && rc == 0)
            rc = r;
    }
    canvas_release(&scratch);
    ui_compare_paint(cmp, c);
    return rc;
}
