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
 * The two traces' steps are paired once, when the pair opens.  Without line steps (the built-in
 * workloads) step N pairs with step N.  With them (a real program's, both recorded from the same
 * script, under two interpreters say), steps pair by what they run: a line step by its file and
 * line, the others (start-up, the program's start, its end) by their order among such steps;
 * ev_align pairs the two sequences as diff pairs two files' lines, the longest common
 * subsequence.  Step numbers would drift apart at the first line one version traces and the
 * other does not (3.10+ runs a with statement's line again at its exit; 3.8 runs a continued
 * condition's first line twice); the k-th occurrence of a line would pair crosswise where a loop
 * traces a line a different number of times; the common subsequence keeps both sides on the same
 * line, in order, for as many lines as the two share.
 *
 * A pair's stretch on a side runs from the end of the pair before to the end of its own step:
 * steps of that side that pair with nothing (a line the other does not run there) belong to the
 * stretch of the pair after them.  ] and [ (with a count: 3]) move both to the end of the
 * next (previous) pair; past the last pair each side goes on by its own steps.  The event keys
 * (l, h, the arrows) move each side by one event, except that a side at the end of its stretch
 * (its next event is the marker that opens the next stretch) holds there until the other side
 * gets to its own stretch's end, and both then cross their markers together; backwards the same
 * at the stretch's start.  Two traces of the same script with the same events per step so move
 * event by event together; traces whose steps differ in length stay in the same step.  Any
 * other key that moves A (a breakpoint, g, Enter on a line) puts B at the start of A's stretch.
 *
 * What differs
 * ------------
 * The figures are read from both models after every move: arenas held, pools by state, bytes in
 * pool blocks and raw blocks, live objects, and each generation's count.  A pane whose figures
 * differ gets "≠ differs" in its frame on both sides; an arena row of the Arenas pane whose
 * pools (used, full, empty, free) differ from the row at the same place on the other side gets
 * ≠ on its left edge; a real program's line of code whose allocations in the step (the Code
 * pane's tint) differ from the same line's on the other side, and a name bound on one side alone
 * or to an object of another size, reference count or immortality, get ≠ on theirs.  The status
 * line compares the events of the stretch ahead on both sides (from the current position to the
 * end of the next pair), pairwise, with ev_first_difference (tracer/evdiff.h, as `arenascope
 * diff` does), addresses numbered from the stretch's start, and names the line steps in it that
 * one side has alone.
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

/* The steps of one side, and the other side's step each is paired with (ev_align). */
struct side_steps {
    uint64_t *seq;          /* each step's marker, by step number - 1 */
    uint64_t *key;          /* what pairs it: its file and line, or which step it is of those that are no line's */
    int64_t *partner;       /* the other side's step index paired with it, -1 none */
    uint32_t *pairs_before; /* pairs among the steps [0, s), for s = 0 .. n */
    uint32_t *pair_step;    /* the step index of each pair, in order */
    size_t n, cap;
};

struct ui_compare {
    struct ui_app *app[SIDES];
    struct side_steps steps[SIDES];
    size_t npairs;
    bool by_line; /* a side has line steps: steps pair by their lines, else by their numbers */
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
};

struct ui_app *ui_compare_side(struct ui_compare *cmp, int i)
{
    return cmp->app[i];
}

const char *ui_compare_status(const struct ui_compare *cmp)
{
    return cmp->status;
}

/* ---- the steps paired ----------------------------------------------------------------------- */

#define KEY_NOT_A_LINE (1ull << 63) /* with the step's place among those that are no line's */

static uint64_t line_key(const char *file, uint32_t line)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const char *p = file; *p; p++)
        h = (h ^ (uint8_t)*p) * 0x100000001b3ull;
    h = (h ^ line) * 0x100000001b3ull;
    return h & ~KEY_NOT_A_LINE;
}

struct collect {
    struct side_steps *st;
    uint64_t others; /* steps so far that are no line's */
    bool lines;      /* a line step was seen */
    bool oom;
};

static bool collect_step(void *ctx, const struct event *ev)
{
    struct collect *co = ctx;
    struct side_steps *st = co->st;
    if (ev->kind != EV_STEP || co->oom)
        return co->oom;
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 256;
        uint64_t *seq = realloc(st->seq, cap * sizeof *seq);
        if (seq)
            st->seq = seq;
        uint64_t *key = seq ? realloc(st->key, cap * sizeof *key) : NULL;
        if (key)
            st->key = key;
        if (!seq || !key)
            return co->oom = true;
        st->cap = cap;
    }
    char file[256];
    uint32_t line = ev->u.step.kind == EV_STEP_LINE ? app_label_line(ev->str, ev->str_len, file, sizeof file) : 0;
    st->seq[st->n] = ev->seq;
    st->key[st->n] = line ? line_key(file, line) : KEY_NOT_A_LINE | co->others++;
    co->lines |= line != 0;
    st->n++;
    return false;
}

/*
 * Reads both sides' step markers and pairs them: by the lines they run when a side has line
 * steps (ev_align: the steps of the same line, in the order the lines run), else step N with
 * step N.  Steps that are no line's (a program's start-up, its start, its end; a demo's steps)
 * pair by their order among such steps.
 */
static int pair_steps(struct ui_compare *cmp)
{
    bool lines = false;
    for (int i = 0; i < SIDES; i++) {
        struct collect co = {.st = &cmp->steps[i]};
        uint64_t found;
        if (seeker_event_count(cmp->s[i]) && seeker_scan(cmp->s[i], 0, true, collect_step, &co, &found) < 0)
            return -1;
        if (co.oom)
            return -1;
        lines |= co.lines;
    }
    cmp->by_line = lines;
    struct side_steps *a = &cmp->steps[0], *b = &cmp->steps[1];
    for (int i = 0; i < SIDES; i++) {
        struct side_steps *st = &cmp->steps[i];
        st->partner = malloc((st->n + 1) * sizeof *st->partner);
        st->pairs_before = malloc((st->n + 1) * sizeof *st->pairs_before);
        st->pair_step = malloc((st->n + 1) * sizeof *st->pair_step);
        if (!st->partner || !st->pairs_before || !st->pair_step)
            return -1;
    }
    ssize_t pairs;
    if (lines) {
        pairs = ev_align(a->key, a->n, b->key, b->n, a->partner, b->partner);
        if (pairs < 0)
            return -1;
    } else {
        pairs = (ssize_t)(a->n < b->n ? a->n : b->n);
        for (int i = 0; i < SIDES; i++)
            for (size_t k = 0; k < cmp->steps[i].n; k++)
                cmp->steps[i].partner[k] = k < (size_t)pairs ? (int64_t)k : -1;
    }
    cmp->npairs = (size_t)pairs;
    for (int i = 0; i < SIDES; i++) {
        struct side_steps *st = &cmp->steps[i];
        uint32_t np = 0;
        for (size_t k = 0; k < st->n; k++) {
            st->pairs_before[k] = np;
            if (st->partner[k] >= 0)
                st->pair_step[np++] = (uint32_t)k;
        }
        st->pairs_before[st->n] = np;
    }
    return 0;
}

/* Markers side i has folded: the index of its next step. */
static size_t steps_done(const struct ui_compare *cmp, int i)
{
    uint64_t n = model_step_count(app_model(cmp->app[i]));
    return n < cmp->steps[i].n ? (size_t)n : cmp->steps[i].n;
}

/* Where side i is at the end of pair k's step (k == -1: before the first pair's marker). */
static uint64_t pair_end(const struct ui_compare *cmp, int i, int64_t k)
{
    const struct side_steps *st = &cmp->steps[i];
    size_t step = k < 0 ? 0 : st->pair_step[k] + 1u; /* the step after it */
    if (k < 0 && cmp->npairs)
        step = st->pair_step[0];
    return step < st->n ? st->seq[step] : app_event_count(cmp->app[i]);
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
        /* a real program's: its interpreter's version first, which chose both profiles */
        snprintf(cmp->profile[i], sizeof cmp->profile[i], "%s%.32s%s%s, gc %s",
                 h && h->program_version[0] ? "Python " : "", h ? h->program_version : "",
                 h && h->program_version[0] ? ": " : "", h ? h->profile : "?", h ? h->gc_profile : "?");
        cmp->status_pos[i] = UINT64_MAX;
        if (ui_app_new(&cmp->app[i], s[i], &c) < 0 || canvas_init(&cmp->half[i], 1, 1, c.look.ascii) < 0) {
            ui_compare_free(cmp);
            return -1;
        }
    }
    if (pair_steps(cmp) < 0) {
        ui_compare_free(cmp);
        return -1;
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
        struct side_steps *st = &cmp->steps[i];
        free(st->seq);
        free(st->key);
        free(st->partner);
        free(st->pairs_before);
        free(st->pair_step);
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

/* ---- where the sides are, by pairs ----------------------------------------------------------- */

/* The last pair whose end side i has reached at pos: -1 before the first. */
static int64_t pair_reached(const struct ui_compare *cmp, int i, uint64_t pos)
{
    int64_t k = (int64_t)cmp->steps[i].pairs_before[steps_done(cmp, i)] - 1;
    while (k >= 0 && pair_end(cmp, i, k) > pos)
        k--;
    return k;
}

/* The pair ] goes to: the first whose end is ahead of a side; npairs when none is. */
static size_t pair_ahead(const struct ui_compare *cmp)
{
    uint64_t pos[SIDES] = {app_position(cmp->app[0]), app_position(cmp->app[1])};
    int64_t r0 = pair_reached(cmp, 0, pos[0]), r1 = pair_reached(cmp, 1, pos[1]);
    size_t k = (size_t)((r0 < r1 ? r0 : r1) + 1);
    while (k < cmp->npairs && pair_end(cmp, 0, (int64_t)k) <= pos[0] && pair_end(cmp, 1, (int64_t)k) <= pos[1])
        k++;
    return k;
}

/* Whether the marker of side i's step idx bounds a pair's stretch: it follows a paired step (or
 * is the first pair's own), so that the event keys hold a side there for the other. */
static bool is_boundary(const struct ui_compare *cmp, int i, size_t idx)
{
    const struct side_steps *st = &cmp->steps[i];
    if (idx >= st->n || !cmp->npairs)
        return false;
    return (idx > 0 && st->partner[idx - 1] >= 0) || idx == st->pair_step[0];
}

/* The next boundary at or after pos on side i, or its end. */
static uint64_t boundary_at_or_after(const struct ui_compare *cmp, int i, uint64_t pos)
{
    const struct side_steps *st = &cmp->steps[i];
    for (size_t idx = steps_done(cmp, i); idx < st->n; idx++)
        if (st->seq[idx] >= pos && is_boundary(cmp, i, idx))
            return st->seq[idx];
    return app_event_count(cmp->app[i]);
}

/* Side i cannot go on by an event without leaving its pair's stretch: forward, its next event
 * is a boundary's marker (or there is none); backward, its current event is one (or it is at the
 * start). */
static bool at_step_edge(const struct ui_compare *cmp, int i, bool forward)
{
    uint64_t pos = app_position(cmp->app[i]);
    size_t s = steps_done(cmp, i);
    const struct side_steps *st = &cmp->steps[i];
    if (forward)
        return pos >= app_event_count(cmp->app[i]) || (s < st->n && st->seq[s] == pos && is_boundary(cmp, i, s));
    return pos == 0 || (s > 0 && st->seq[s - 1] + 1 == pos && is_boundary(cmp, i, s - 1));
}

/* Side i's step idx as "slide.py:8" (a line), "the start-up", "the program's start", "the
 * shutdown", or "step 8". */
static void step_name(const struct ui_compare *cmp, int i, size_t idx, char *buf, size_t len)
{
    struct event ev;
    char str[512], file[256];
    uint32_t line = 0, kind = EV_STEP_WORKLOAD;
    if (idx < cmp->steps[i].n && seeker_events(cmp->s[i], cmp->steps[i].seq[idx], &ev, 1, str, sizeof str) == 1 &&
        ev.kind == EV_STEP) {
        kind = (uint32_t)ev.u.step.kind;
        if (kind == EV_STEP_LINE)
            line = app_label_line(ev.str, ev.str_len, file, sizeof file);
    }
    if (line)
        snprintf(buf, len, "%.200s:%" PRIu32, file, line);
    else if (kind == EV_STEP_STARTUP)
        snprintf(buf, len, "the start-up");
    else if (kind == EV_STEP_PROGRAM)
        snprintf(buf, len, "the program's start");
    else if (kind == EV_STEP_END)
        snprintf(buf, len, "the shutdown");
    else
        snprintf(buf, len, "step %zu", idx + 1);
}

/* ---- the step ahead, compared --------------------------------------------------------------- */

static uint64_t step_number(const struct ui_app *app)
{
    struct model_step st;
    return model_step_current(app_model(app), &st) ? st.number : 0;
}

/* What the stretch ahead is called: "step 5 ahead", "slide.py:8 ahead", and the line steps in it
 * that one side has alone. */
static void name_ahead(const struct ui_compare *cmp, size_t k, bool at_end, char *buf, size_t len)
{
    uint64_t now = step_number(cmp->app[0]);
    if (k >= cmp->npairs) {
        snprintf(buf, len, "the steps ahead");
        return;
    }
    char what[272];
    step_name(cmp, 0, cmp->steps[0].pair_step[k], what, sizeof what);
    if (!cmp->by_line) {
        if (step_number(cmp->app[1]) != now)
            snprintf(buf, len, "the steps ahead");
        else if (at_end)
            snprintf(buf, len, "step %" PRIu64 " ahead", now + 1);
        else
            snprintf(buf, len, "the rest of step %" PRIu64, now);
        return;
    }
    size_t n = (size_t)snprintf(buf, len, "%s%s", what, at_end ? " ahead" : ", the rest of it,");
    for (int i = 0; i < SIDES && n < len; i++) {
        const struct side_steps *st = &cmp->steps[i];
        size_t first = k ? st->pair_step[k - 1] + 1u : 0, own = st->pair_step[k] - first;
        if (!own)
            continue;
        char name[272];
        step_name(cmp, i, first, name, sizeof name);
        n += (size_t)snprintf(buf + n, len - n, " (%c first runs %s%s, which %c does not run there)", 'A' + i, name,
                              own > 1 ? " and more" : "", 'B' - i);
    }
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
    size_t k = pair_ahead(cmp);
    for (int i = 0; i < SIDES; i++)
        end[i] = k < cmp->npairs ? pair_end(cmp, i, (int64_t)k) : app_event_count(cmp->app[i]);
    uint64_t len[SIDES] = {end[0] - pos[0], end[1] - pos[1]};
    if (!len[0] && !len[1]) {
        snprintf(cmp->status, sizeof cmp->status, "both at their ends");
        return;
    }
    /* one side waits at the end of its stretch (the event keys hold it there): how far the other is */
    bool edge[SIDES] = {at_step_edge(cmp, 0, true), at_step_edge(cmp, 1, true)};
    if (edge[0] != edge[1]) {
        int waiting = edge[0] ? 0 : 1, other = !waiting;
        uint64_t left = boundary_at_or_after(cmp, other, pos[other]) - pos[other];
        char n[32], what[272];
        if (cmp->by_line && k < cmp->npairs) /* the waiting side is at the end of pair k */
            step_name(cmp, waiting, cmp->steps[waiting].pair_step[k], what, sizeof what);
        else
            snprintf(what, sizeof what, "step %" PRIu64, step_number(cmp->app[waiting]));
        snprintf(cmp->status, sizeof cmp->status, "%c is at the end of %s; %c has %s event%s of it left",
                 'A' + waiting, what, 'A' + other, fmt_count(n, left), left == 1 ? "" : "s");
        return;
    }
    struct chunk *ch = malloc(SIDES * sizeof *ch);
    if (!ch) {
        snprintf(cmp->status, sizeof cmp->status, "out of memory");
        return;
    }
    /* the markers that open the stretch ahead are its label, worded for each side: its work
     * starts after them */
    bool at_step_end = len[0] && len[1] && edge[0] && edge[1];
    if (at_step_end) {
        for (int i = 0; i < SIDES; i++)
            pos[i]++, len[i]--;
    }
    struct ev_ordinals ord[SIDES] = {{0}, {0}};
    uint64_t n = len[0] < len[1] ? len[0] : len[1];
    if (n > STATUS_SCAN_EVENTS)
        n = STATUS_SCAN_EVENTS;
    uint64_t done = 0;
    int field = -1;
    const struct event *ea = NULL, *eb = NULL;
    while (done < n && field == -1) {
        size_t want = n - done < CHUNK ? (size_t)(n - done) : CHUNK;
        int got[SIDES];
        for (int i = 0; i < SIDES; i++)
            got[i] = seeker_events(cmp->s[i], pos[i] + done, ch[i].ev, want, ch[i].str, sizeof ch[i].str);
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
            done++;
        }
        if (m < want)
            break;
    }
    char ahead[400];
    name_ahead(cmp, k, at_step_end, ahead, sizeof ahead);
    cmp->differs = field != -1;
    if (field >= 0) {
        char name[48];
        ev_field_name(ea->kind, field, name, sizeof name);
        snprintf(cmp->status, sizeof cmp->status,
                 "%s differs at its event %" PRIu64 " (A %" PRIu64 ", B %" PRIu64 "): the %s of %s %s event", ahead,
                 done + 1, pos[0] + done, pos[1] + done, name, ui_article(event_kind_name(ea->kind)),
                 event_kind_name(ea->kind));
    } else if (field == -2) {
        snprintf(cmp->status, sizeof cmp->status,
                 "%s differs at its event %" PRIu64 ": A %s (event %" PRIu64 "), B %s (event %" PRIu64 ")", ahead,
                 done + 1, event_kind_name(ea->kind), pos[0] + done, event_kind_name(eb->kind), pos[1] + done);
    } else if (done < n) {
        snprintf(cmp->status, sizeof cmp->status, "%s: the same for %" PRIu64 " events; the rest not compared", ahead,
                 done);
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
    if (f[0].objects || f[1].objects) { /* a real program's objects are not recorded */
        snprintf(a, sizeof a, "%" PRIu64, f[0].objects);
        snprintf(b, sizeof b, "%" PRIu64, f[1].objects);
        paint_figure(c, x, y, "objects", a, b);
    }
}

/* The row over side i: its letter, its trace, its profiles (marked where they differ). */
static void paint_side_row(const struct ui_compare *cmp, struct canvas *c, int i, struct ui_rect r)
{
    canvas_fill(c, r, UI_G_SPACE, UI_S_HEADER);
    int x = r.x + 1, end = r.x + r.w;
    x += canvas_text(c, x, r.y, end - x, UI_S_HEADER_VALUE, i ? "B " : "A ");
    x += canvas_text(c, x, r.y, end - x, UI_S_HEADER, " ");
    bool differs = strcmp(cmp->profile[0], cmp->profile[1]) != 0;
    /* the name keeps up to 12 columns (python3.13), then the profiles are cut */
    int room = end - x - ui_text_width(cmp->profile[i]) - 3, name_w = ui_text_width(cmp->name[i]);
    int keep = name_w < 12 ? name_w : 12;
    x += canvas_text_fit(c, x, r.y, room > keep ? room : keep > 8 ? keep : 8, UI_S_HEADER, cmp->name[i]);
    x += canvas_text(c, x, r.y, end - x, UI_S_HEADER, "  ");
    canvas_text_fit(c, x, r.y, end - x, differs ? UI_S_HEADER_VALUE : UI_S_HEADER, cmp->profile[i]);
}

/* What line `line` of side i's Code pane allocated in the step: false when it made nothing. */
static bool code_alloc(const struct ui_app *app, uint32_t line, struct ui_code_alloc *out)
{
    for (size_t k = 0; k < app->code.nallocs; k++)
        if (app->code.allocs[k].line == line) {
            *out = app->code.allocs[k];
            return true;
        }
    return false;
}

/* Whether line `line` allocated otherwise on the two sides in their steps (the same file shown). */
static bool code_line_differs(const struct ui_compare *cmp, int i, uint32_t line)
{
    const struct ui_app *me = cmp->app[i], *other = cmp->app[!i];
    if (!me->code.have || !other->code.have || !me->code.base || !other->code.base ||
        strcmp(me->code.base, other->code.base) != 0)
        return false;
    struct ui_code_alloc a = {0}, b = {0};
    bool ha = code_alloc(me, line, &a), hb = code_alloc(other, line, &b);
    return ha != hb || a.blocks != b.blocks || a.bytes != b.bytes;
}

/* Whether side i's name k is bound otherwise on the other side: not at all, or to an object of
 * another size or reference count. */
static bool name_differs(const struct ui_compare *cmp, int i, size_t k)
{
    const struct ui_names *me = &cmp->app[i]->names, *other = &cmp->app[!i]->names;
    if (!me->have || !other->have || k >= me->n)
        return false;
    const struct ui_name *e = &me->names[k];
    for (size_t j = 0; j < other->n; j++) {
        const struct ui_name *o = &other->names[j];
        if (o->name_len == e->name_len && memcmp(o->name, e->name, (size_t)e->name_len) == 0)
            return o->size != e->size || o->refcnt != e->refcnt ||
                   (o->flags & EV_SNAP_IMMORTAL) != (e->flags & EV_SNAP_IMMORTAL);
    }
    return true;
}

static bool names_differ(const struct ui_compare *cmp, int i)
{
    for (size_t k = 0; k < cmp->app[i]->names.n; k++)
        if (name_differs(cmp, i, k))
            return true;
    return false;
}

static bool code_differs(const struct ui_compare *cmp, int i)
{
    const struct ui_code *code = &cmp->app[i]->code;
    for (size_t k = 0; k < code->nallocs; k++)
        if (code_line_differs(cmp, i, code->allocs[k].line))
            return true;
    const struct ui_code *other = &cmp->app[!i]->code;
    for (size_t k = 0; k < other->nallocs; k++)
        if (code_line_differs(cmp, !i, other->allocs[k].line))
            return true;
    return false;
}

static bool is_hline(const struct canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->cols || y >= c->rows)
        return false;
    uint32_t ch = c->cells[y * c->cols + x].ch;
    return ch == 0x2500 || ch == '-';
}

/* The marks on side i's half: ≠ in the frame of a pane whose figures differ, on an arena row, on
 * a line of the code that allocated otherwise, on a name bound otherwise. */
static void paint_marks(const struct ui_compare *cmp, struct canvas *c, int i, int ox, int oy)
{
    const struct ui_app *app = cmp->app[i];
    if (app->layout.too_small || app->mode == UI_MODE_HELP)
        return;
    const struct figures *me = &cmp->fig[i], *other = &cmp->fig[!i];
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        struct ui_rect r = app->layout.pane[p];
        bool differs = p == UI_PANE_CODE      ? code_differs(cmp, i)
                       : p == UI_PANE_OBJECTS ? pane_differs(me, other, UI_PANE_OBJECTS) || names_differ(cmp, i)
                                              : pane_differs(me, other, (enum ui_pane)p);
        if (ui_rect_is_empty(r) || !differs)
            continue;
        static const char word[] = " differs ";
        /* left of what the frame says at its right end ("Tab: Arenas") when the title leaves
         * room, else over it */
        int end = ox + r.x + r.w - 2, y = oy + r.y, title_end = ox + r.x + 2, w = (int)sizeof word - 1 + 2;
        while (title_end < end && !is_hline(c, title_end, y))
            title_end++;
        int hint = end;
        if (!is_hline(c, end - 1, y))
            for (hint--; hint > ox + r.x && !is_hline(c, hint, y);)
                hint--;
        int x = hint - w > title_end ? hint - w : end - w;
        if (x <= ox + r.x + 2)
            continue;
        canvas_put(c, x, oy + r.y, ' ', UI_S_CHANGED);
        canvas_glyph(c, x + 1, oy + r.y, UI_G_DIFFERS, UI_S_CHANGED);
        canvas_text(c, x + 2, oy + r.y, -1, UI_S_CHANGED, word);
    }
    /* the arena rows (the arenas in slot order, paired by their place), the code's lines, the names */
    const struct model *m = app_model(app);
    for (int h = 0; h < app->frame.nhits; h++) {
        const struct ui_hit *hit = &app->frame.hits[h];
        enum ui_pane pane;
        if (hit->kind == UI_HIT_POOL_ROW && hit->b == 0) {
            uint32_t place = 0;
            for (uint32_t slot = 0; slot < hit->a; slot++)
                place += app_arena_is_live(m, slot);
            if (!app_arena_is_live(m, (uint32_t)hit->a) || !arena_row_differs(me, other, place))
                continue;
            pane = UI_PANE_ARENAS;
        } else if (hit->kind == UI_HIT_CODE_LINE) {
            if (!code_line_differs(cmp, i, (uint32_t)hit->a))
                continue;
            pane = UI_PANE_CODE;
        } else if (hit->kind == UI_HIT_NAME) {
            if (!name_differs(cmp, i, (size_t)hit->a))
                continue;
            pane = UI_PANE_OBJECTS;
        } else {
            continue;
        }
        canvas_glyph(c, ox + app->layout.pane[pane].x, oy + hit->r.y, UI_G_DIFFERS, UI_S_CHANGED);
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
    }
    for (int i = 0; i < SIDES; i++) /* both painted: each side's code and names prepared */
        paint_marks(cmp, c, i, x0[i], 1);
    for (int y = 0; y < H - 2; y++)
        canvas_glyph(c, hw, y, UI_G_VLINE, UI_S_FRAME_FOCUS);
    paint_figures(cmp, c, H - 2);
    enum ui_style st = cmp->differs ? UI_S_STATUS_WARN : UI_S_FOOTER;
    canvas_fill(c, (struct ui_rect){0, H - 1, W, 1}, UI_G_SPACE, st);
    canvas_text_fit(c, 1, H - 1, W - 2, st, cmp->status);
}

/* ---- keys ----------------------------------------------------------------------------------- */

static enum ui_redo step_event(struct ui_compare *cmp, const struct ui_input *in, bool forward)
{
    bool edge[SIDES] = {at_step_edge(cmp, 0, forward), at_step_edge(cmp, 1, forward)};
    enum ui_redo redo = UI_REDO_REPAINT;
    for (int i = 0; i < SIDES; i++)
        if (!edge[i] || (edge[0] && edge[1]))
            redo |= ui_app_input(cmp->app[i], in);
        else
            app_message(cmp->app[i], false, "at the %s of the %s: waiting for %c", forward ? "end" : "start",
                        cmp->by_line ? "line" : "step", i ? 'A' : 'B');
    return redo;
}

/* B into the stretch A is in, at its start, when it is elsewhere (after a key that moved A
 * alone: a breakpoint, g, a click). */
static void follow_a(struct ui_compare *cmp)
{
    int64_t k = pair_reached(cmp, 0, app_position(cmp->app[0]));
    if (pair_reached(cmp, 1, app_position(cmp->app[1])) != k)
        ui_app_seek(cmp->app[1], pair_end(cmp, 1, k));
}

/* ] (forward) and [ with the count typed before them: both sides to the end of the next (the
 * previous) pair of steps; past the last pair, each side by its own steps. */
static enum ui_redo step_pairs(struct ui_compare *cmp, const struct ui_input *in, bool forward)
{
    int count = cmp->app[0]->count > 0 ? cmp->app[0]->count : 1;
    for (int i = 0; i < SIDES; i++)
        cmp->app[i]->count = 0;
    for (int r = 0; r < count; r++) {
        uint64_t before[SIDES] = {app_position(cmp->app[0]), app_position(cmp->app[1])};
        if (forward) {
            size_t k = pair_ahead(cmp);
            if (k >= cmp->npairs) {
                for (int i = 0; i < SIDES; i++)
                    ui_app_input(cmp->app[i], in);
            } else if (app_advance_to(cmp->app[0], pair_end(cmp, 0, (int64_t)k))) {
                follow_a(cmp); /* a breakpoint stopped A */
                break;
            } else {
                ui_app_seek(cmp->app[1], pair_end(cmp, 1, (int64_t)k));
            }
        } else {
            int64_t k0 = pair_reached(cmp, 0, before[0]), k1 = pair_reached(cmp, 1, before[1]);
            int64_t k = k0 > k1 ? k0 : k1;
            while (k >= 0 && pair_end(cmp, 0, k) >= before[0] && pair_end(cmp, 1, k) >= before[1])
                k--;
            bool at_first = k < 0 && before[0] <= pair_end(cmp, 0, -1) && before[1] <= pair_end(cmp, 1, -1);
            for (int i = 0; i < SIDES; i++)
                ui_app_seek(cmp->app[i], at_first ? 0 : pair_end(cmp, i, k));
        }
        if (app_position(cmp->app[0]) == before[0] && app_position(cmp->app[1]) == before[1])
            break;
    }
    for (int i = 0; i < SIDES; i++)
        cmp->app[i]->playing = false;
    return UI_REDO_REPAINT;
}

enum ui_redo ui_compare_input(struct ui_compare *cmp, const struct ui_input *in)
{
    if (in->kind == UI_IN_QUIT)
        return UI_REDO_QUIT;
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
    if (!prompting && (a == UI_ACT_NEXT_STEP || a == UI_ACT_PREV_STEP))
        return step_pairs(cmp, in, a == UI_ACT_NEXT_STEP);
    if (!prompting && a == UI_ACT_PLAY) {
        for (int i = 0; i < SIDES; i++)
            app_message(cmp->app[i], false, "side by side, ] steps both and l moves both by an event");
        return UI_REDO_REPAINT;
    }
    uint64_t before = app_position(cmp->app[0]);
    enum ui_redo redo = UI_REDO_REPAINT;
    for (int i = 0; i < SIDES; i++)
        redo |= ui_app_input(cmp->app[i], in);
    if (!prompting && app_position(cmp->app[0]) != before)
        follow_a(cmp);
    return redo;
}

/* ---- the loop ------------------------------------------------------------------------------- */

static enum ui_redo screen_input(void *ctx, const struct ui_input *in)
{
    return ui_compare_input(ctx, in);
}

static void screen_paint(void *ctx, struct canvas *c)
{
    ui_compare_paint(ctx, c);
}

struct ui_screen ui_compare_screen(struct ui_compare *cmp)
{
    return (struct ui_screen){cmp, screen_input, screen_paint, NULL, NULL};
}

int ui_compare_run(struct ui_compare *cmp, struct ui_term *term)
{
    cmp->ascii = term->ascii;
    for (int i = 0; i < SIDES; i++)
        cmp->app[i]->ascii = term->ascii;
    struct ui_screen scr = ui_compare_screen(cmp);
    return ui_screen_run(&scr, term);
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
