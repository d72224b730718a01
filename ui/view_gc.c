/*
 * view_gc.c - the cycle collector: each generation's count against its threshold, the
 * collections so far, and during a collection its phase and the objects it has marked.
 *
 *     gen 0  ████████▌          512/700   40 objects   3 collections
 *     ...
 *     collecting generation 0 (threshold exceeded): subtract internal references
 *       list ..4010   tentatively unreachable: no references from outside
 *
 * The bar of a generation is its count over its threshold: when it fills, the next allocation
 * of a tracked object starts a collection (docs/cpython-memory.md 7.4).
 */
#include "app.h"

#include <ui/narrate.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define TEXT_ITEM(name, text) [EV_##name] = text,
static const char *const phase_text[] = {EV_GC_PHASES(TEXT_ITEM)};
static const char *const mark_text[] = {EV_GC_MARKS(TEXT_ITEM)};
#undef TEXT_ITEM

/* The marks in fewer words, for narrow panes. */
static const char *const mark_short[EV_GC_MARK_COUNT] = {
    [EV_GC_MARK_TENTATIVE] = "tentatively unreachable",
    [EV_GC_MARK_REACHABLE] = "referenced from outside",
    [EV_GC_MARK_RESCUED] = "reachable again: moved back",
    [EV_GC_MARK_UNREACHABLE] = "unreachable",
    [EV_GC_MARK_LEGACY] = "uncollectable (legacy finalizer)",
    [EV_GC_MARK_RESURRECTED] = "resurrected",
    [EV_GC_MARK_UNTRACKED] = "untracked: no containers",
    [EV_GC_MARK_VISITED] = "reachable from a root: visited",
    [EV_GC_MARK_INCREMENT] = "taken into this increment",
};

/* The phases a collection goes through, in the order they run: the classic collector's, or the
 * incremental one's (3.14.0-3.14.4, docs/cpython-memory.md 7.12), whose increments first mark
 * from the roots and take their increment. */
static const enum ev_gc_phase incremental_order[] = {
    EV_GC_PHASE_MARK_ROOTS,   EV_GC_PHASE_INCREMENT,         EV_GC_PHASE_MERGE,
    EV_GC_PHASE_UPDATE_REFS,  EV_GC_PHASE_SUBTRACT_REFS,     EV_GC_PHASE_MOVE_UNREACHABLE,
    EV_GC_PHASE_UNTRACK_TUPLES, EV_GC_PHASE_PROMOTE,         EV_GC_PHASE_LEGACY_FINALIZERS,
    EV_GC_PHASE_WEAKREFS,     EV_GC_PHASE_FINALIZE,          EV_GC_PHASE_RESURRECT,
    EV_GC_PHASE_DELETE,       EV_GC_PHASE_UNCOLLECTABLE,     EV_GC_PHASE_CLEAR_FREELISTS,
};
_Static_assert(sizeof incremental_order / sizeof incremental_order[0] == EV_GC_PHASE_COUNT,
               "the incremental collector runs every phase");

/* How many phases the trace's collector has, and the i-th of them in the order they run. */
static int phase_count(bool incremental)
{
    return incremental ? EV_GC_PHASE_COUNT : EV_GC_PHASE_MARK_ROOTS;
}
static int phase_at(bool incremental, int i)
{
    return incremental ? (int)incremental_order[i] : i;
}
static int phase_index(bool incremental, uint32_t phase)
{
    for (int i = 0; i < phase_count(incremental); i++)
        if ((uint32_t)phase_at(incremental, i) == phase)
            return i;
    return (int)phase;
}

const char *view_gc_mark_text(int mark, int room)
{
    if (mark < 0 || (size_t)mark >= sizeof mark_text / sizeof mark_text[0])
        return "?";
    if (ui_text_width(mark_text[mark]) <= room || !mark_short[mark])
        return mark_text[mark];
    return mark_short[mark];
}

#define TEXT_OF(table, i) ((uint64_t)(i) < sizeof table / sizeof table[0] ? table[i] : "?")

static void gen_name(const struct ui_app *app, uint32_t gen, uint32_t ngen, char *buf, size_t len)
{
    const struct trace_header *h = seeker_header(app->s);
    if (gen == ngen)
        snprintf(buf, len, "perm");
    else if (h && gen < TRACE_MAX_GENERATIONS && h->generation_names[gen][0])
        snprintf(buf, len, "%.6s", h->generation_names[gen]);
    else
        snprintf(buf, len, "gen %" PRIu32, gen);
}

/* The name of what collection `gen` collects: the generation's, or under the incremental
 * collector, whose collections are numbered as 3.14 numbers them, "old" for 1 (an increment)
 * and 2 (a full collection). */
static void collection_name(const struct ui_app *app, const struct model_gc *g, uint32_t gen, char *buf, size_t len)
{
    gen_name(app, g->incremental && gen == 2 ? 1 : gen, g->ngenerations, buf, len);
}

/* What a collection of `gen` is, after its generation's name: under the incremental collector
 * an increment or a full collection. */
static const char *collection_kind(const struct model_gc *g, uint32_t gen)
{
    if (!g->incremental)
        return "";
    return gen == 1 ? ": one increment" : gen == 2 ? ": a full collection" : "";
}

/* The generation numbers collections, counts and callbacks use: 3 under the incremental
 * collector, as 3.14's gc module keeps them. */
static uint32_t module_generations(const struct model_gc *g)
{
    return g->incremental ? 3 : g->ngenerations;
}

/* Old's row under the incremental collector: its two spaces' counts, which gc.get_count() gives
 * as its second and third numbers, where the other rows have a bar. */
static int paint_old_counts(struct canvas *c, int x, int y, int w, const struct model_gc *g)
{
    char full[64], mid[48], least[24];
    snprintf(full, sizeof full, "visited %" PRIu64 ", pending %" PRIu64, g->gen[1].count, g->gen[2].count);
    snprintf(mid, sizeof mid, "vis %" PRIu64 " pend %" PRIu64, g->gen[1].count, g->gen[2].count);
    snprintf(least, sizeof least, "%" PRIu64 "/%" PRIu64, g->gen[1].count, g->gen[2].count);
    const char *const texts[] = {full, mid, least};
    canvas_text_choose(c, x, y, w, UI_S_VALUE, texts, 3);
    return w;
}

static void paint_marks(const struct ui_app *app, struct canvas *c, int x, int y, int w, int h)
{
    const struct model *m = app_model(app);
    struct model_mark marks[64];
    size_t n = model_gc_marks(m, marks, 64);
    if (n > 64)
        n = 64;
    if (n == 0) {
        static const char *const none[] = {"no object marked yet in this collection", "no object marked yet"};
        canvas_text_choose(c, x + 2, y, w - 2, UI_S_DIM, none, 2);
        return;
    }
    /* the most recent marks are the interesting ones: show the tail that fits */
    size_t first = n > (size_t)h ? n - (size_t)h : 0;
    for (size_t i = first; i < n; i++, y++) {
        struct model_object o;
        char ab[24];
        bool known = model_object_find(m, marks[i].obj, &o);
        bool bad = marks[i].mark == EV_GC_MARK_TENTATIVE || marks[i].mark == EV_GC_MARK_UNREACHABLE ||
                   marks[i].mark == EV_GC_MARK_LEGACY;
        int k = 2;
        k += canvas_printf(c, x + k, y, w - k, UI_S_VALUE, "%-8.8s", known && o.type_name ? o.type_name : "object");
        k += canvas_printf(c, x + k, y, w - k, UI_S_NORMAL, " %s ", fmt_addr(ab, marks[i].obj, 6, c->ascii));
        if (known && o.has_gc_refs && w - k > 40)
            k += canvas_printf(c, x + k, y, w - k, UI_S_DIM, "gc_refs %-3" PRId64 " ", o.gc_refs);
        if (marks[i].freed)
            k += canvas_text(c, x + k, y, w - k, UI_S_DIM, "freed: ");
        k += canvas_text_fit(c, x + k, y, w - k, bad ? UI_S_UNREACHABLE : UI_S_REACHABLE,
                             view_gc_mark_text(marks[i].mark, w - k));
        if (marks[i].via) {
            /* through which object it was found reachable, when that fits whole */
            struct model_object via;
            char note[96];
            bool vk = model_object_find(m, marks[i].via, &via);
            snprintf(note, sizeof note, " (via %s %s)", vk && via.type_name ? via.type_name : "object",
                     fmt_addr(ab, marks[i].via, 6, c->ascii));
            if (k + ui_text_width(note) <= w)
                canvas_text(c, x + k, y, w - k, UI_S_DIM, note);
        }
    }
}

void view_gc(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    int x, y, w, h;
    if (!canvas_pane(c, r, "Cycle collector", focus, 24, 2, NULL, &x, &y, &w, &h))
        return;
    const struct model *m = app_model(app);
    struct model_gc g;
    model_gc(m, &g);
    int ymax = r.y + r.h - 1;
    static const enum ui_style gen_style[] = {UI_S_GEN0, UI_S_GEN1, UI_S_GEN2};
    /* name, bar, count/threshold, objects, runs: the bar takes what the numbers leave */
    bool show_runs = w >= 56;
    int bar_w = w - 7 - 12 - 9 - (show_runs ? 9 : 0);
    if (bar_w > 30)
        bar_w = 30;
    /* a short pane shows a collection in progress first, in two rows: what runs and which of
     * its phases, before the generations (a tall one lists every phase below them) */
    bool incr = g.incremental;
    int nphases = phase_count(incr);
    bool short_pane = h < (int)g.ngenerations + 3 + nphases;
    if (g.collecting && short_pane) {
        char name[16], why[64];
        collection_name(app, &g, g.collecting_gen, name, sizeof name);
        canvas_printf(c, x, y++, w, UI_S_UNREACHABLE, "collecting %s%s (%s)", name, collection_kind(&g, g.collecting_gen),
                      ui_gc_reason(g.reason, g.collecting_gen, module_generations(&g), why, sizeof why));
        if (g.has_phase && y < ymax) {
            char full[128], mid[96], least[96];
            const char *what = TEXT_OF(phase_text, g.phase);
            int ord = phase_index(incr, g.phase) + 1;
            snprintf(full, sizeof full, "phase %d of %d: %s (%" PRIu64 " object%s)", ord, nphases, what,
                     g.phase_n, g.phase_n == 1 ? "" : "s");
            snprintf(mid, sizeof mid, "phase %d/%d: %s", ord, nphases, what);
            snprintf(least, sizeof least, "%d/%d %s", ord, nphases, what);
            const char *const texts[] = {full, mid, least};
            canvas_text_choose(c, x, y++, w, UI_S_VALUE, texts, 3);
        }
    }
    for (uint32_t i = 0; i <= g.ngenerations && i < MODEL_MAX_GENERATIONS && y < ymax; i++, y++) {
        char name[16];
        gen_name(app, i, g.ngenerations, name, sizeof name);
        int k = canvas_printf(c, x, y, 7, i < 3 ? gen_style[i] : UI_S_LABEL, "%-6s", name);
        const struct model_generation *gen = &g.gen[i];
        int obj_col = k + (bar_w >= 4 ? bar_w + 1 : 0) + 11; /* where the objects' count starts */
        if (incr && i == 1) {
            k += paint_old_counts(c, x + k, y, obj_col - k, &g);
        } else if (i < g.ngenerations) {
            double frac = gen->threshold ? (double)gen->count / (double)gen->threshold : 0;
            if (bar_w >= 4) {
                canvas_hbar(c, x + k, y, bar_w, frac, frac >= 1 ? UI_S_BAR_WARN : i < 3 ? gen_style[i] : UI_S_BAR);
                k += bar_w + 1;
            }
            k += canvas_printf(c, x + k, y, w - k, UI_S_VALUE, "%5" PRIu64 "/%-5" PRIu64, gen->count, gen->threshold);
        } else {
            k += canvas_text(c, x + k, y, bar_w + 12, UI_S_DIM, bar_w >= 12 ? "frozen: never collected" : "frozen");
            k = k < obj_col ? obj_col : k;
        }
        k += canvas_printf(c, x + k, y, w - k, UI_S_NORMAL, " %4" PRIu64 " obj", gen->objects);
        if (incr && i == 1 && show_runs) {
            /* gc.get_stats()[1] and [2]: the increments, the full collections */
            char full[64], mid[48], least[32];
            snprintf(full, sizeof full, "  %" PRIu64 " increment%s, %" PRIu64 " full", gen->collections,
                     gen->collections == 1 ? "" : "s", g.gen[2].collections);
            snprintf(mid, sizeof mid, "  %" PRIu64 " incr, %" PRIu64 " full", gen->collections, g.gen[2].collections);
            snprintf(least, sizeof least, "  %" PRIu64 "+%" PRIu64 " runs", gen->collections, g.gen[2].collections);
            const char *const texts[] = {full, mid, least};
            canvas_text_choose(c, x + k, y, w - k, UI_S_DIM, texts, 3);
        } else if (i < g.ngenerations && show_runs)
            canvas_printf(c, x + k, y, w - k, UI_S_DIM, "  %" PRIu64 " run%s", gen->collections,
                          gen->collections == 1 ? "" : "s");
    }
    if (y >= ymax)
        return;
    struct ui_para totals;
    ui_para_init(&totals);
    ui_para_addf(&totals, UI_S_DIM, "%" PRIu64 " collected, %" PRIu64 " uncollectable in all", g.collected_total,
                 g.uncollectable_total);
    if (g.garbage)
        ui_para_addf(&totals, UI_S_ERROR, "; gc.garbage holds %" PRIu64, g.garbage);
    if (!g.enabled)
        ui_para_add(&totals, UI_S_ERROR, "; automatic collection disabled");
    y += canvas_para(c, x, y, w, 0, ymax - y, &totals, NULL);
    int k;
    if (y >= ymax)
        return;
    /* the generations' lists, oldest member first, when there is room for them */
    if (ymax - y >= 12) {
        for (uint32_t i = 0; i <= g.ngenerations && i < MODEL_MAX_GENERATIONS && y < ymax; i++) {
            if (g.gen[i].objects == g.gen[i].startup)
                continue; /* none but the interpreter's own, which the trace does not name */
            char name[16];
            gen_name(app, i, g.ngenerations, name, sizeof name);
            k = canvas_printf(c, x, y, w, i < 3 ? gen_style[i] : UI_S_LABEL, "%-6s", name);
            /* whole members, oldest first; the last column is kept for an ellipsis */
            uint64_t objs[16];
            size_t no = model_gc_generation(m, i, objs, 16), j;
            for (j = 0; j < no && j < 16; j++) {
                struct model_object o;
                char ab[24], item[96];
                bool known = model_object_find(m, objs[j], &o);
                int iw = snprintf(item, sizeof item, "%s %s", known && o.type_name ? o.type_name : "?",
                                  fmt_addr(ab, objs[j], 4, c->ascii));
                iw = ui_text_width(item);
                if (k + (j ? 3 : 0) + iw > w - 1)
                    break;
                if (j)
                    k += canvas_text(c, x + k, y, w - k, UI_S_DIM, c->ascii ? " > " : " \xe2\x86\x92 ");
                k += canvas_text(c, x + k, y, w - k, UI_S_NORMAL, item);
            }
            if (j < no)
                canvas_glyph(c, x + w - 1, y, UI_G_ELLIPSIS, UI_S_DIM);
            y++;
        }
    }
    if (y >= ymax)
        return;
    if (g.collecting) {
        int left = 0;
        if (!short_pane) {
            char name[16];
            collection_name(app, &g, g.collecting_gen, name, sizeof name);
            struct ui_para what;
            ui_para_init(&what);
            char why[64];
            ui_para_addf(&what, UI_S_UNREACHABLE, "collecting %s%s (%s)", name, collection_kind(&g, g.collecting_gen),
                         ui_gc_reason(g.reason, g.collecting_gen, module_generations(&g), why, sizeof why));
            y += canvas_para(c, x, y, w, 0, ymax - y, &what, NULL);
            if (y >= ymax)
                return;
            if (ymax - y >= nphases && w >= 80) {
                /* every phase in order: done, the current one, still to come */
                int now = g.has_phase ? phase_index(incr, g.phase) : -1;
                for (int i = 0; i < nphases; i++) {
                    bool cur = i == now, done = i < now;
                    if (cur)
                        canvas_glyph(c, x, y + i, UI_G_POINTER, UI_S_MARK_STEP);
                    else if (done)
                        canvas_glyph(c, x, y + i, UI_G_CHECK, UI_S_REACHABLE);
                    int tw = canvas_text_fit(c, x + 2, y + i, 30, cur ? UI_S_VALUE : done ? UI_S_NORMAL : UI_S_DIM,
                                             TEXT_OF(phase_text, phase_at(incr, i)));
                    if (cur && 2 + tw + 8 <= 33)
                        canvas_printf(c, x + 2 + tw, y + i, 33 - 2 - tw, UI_S_DIM, " (%" PRIu64 ")", g.phase_n);
                }
                left = 33;
            } else if (g.has_phase) {
                struct ui_para phase;
                ui_para_init(&phase);
                ui_para_add(&phase, UI_S_LABEL, "phase: ");
                ui_para_addf(&phase, UI_S_VALUE, "%s (%" PRIu64 " object%s)", TEXT_OF(phase_text, g.phase), g.phase_n,
                             g.phase_n == 1 ? "" : "s");
                y += canvas_para(c, x, y, w, 0, ymax - y, &phase, NULL);
            }
        }
        if (y < ymax)
            paint_marks(app, c, x + left, y, w - left, ymax - y);
        return;
    }
    struct model_collection hist[MODEL_HISTORY_KEEP];
    size_t n = model_gc_history(m, hist, MODEL_HISTORY_KEEP);
    if (n == 0) {
        canvas_text(c, x, y, w, UI_S_DIM, "no collection yet");
        return;
    }
    canvas_text(c, x, y++, w, UI_S_LABEL, "recent collections (Enter replays one)");
    int scroll = app->gc.scroll >= (int)n ? (int)n - 1 : app->gc.scroll;
    f->gc = (struct ui_settled){.set = true, .scroll = scroll};
    int first = scroll - (ymax - y) + 1;
    if (first < 0)
        first = 0;
    for (int i = first; i < (int)n && y < ymax; i++, y++) {
        char name[16];
        collection_name(app, &g, hist[i].gen, name, sizeof name);
        /* the counts always; "event" and the reason when they fit */
        char ev[32], counts[96], reason[48];
        int cw = snprintf(counts, sizeof counts, " %-6s %" PRIu64 " collected", name, hist[i].collected);
        if (hist[i].uncollectable)
            cw += snprintf(counts + cw, sizeof counts - (size_t)cw, ", %" PRIu64 " uncollectable", hist[i].uncollectable);
        int ew = snprintf(ev, sizeof ev, "event %-7" PRIu64, hist[i].seq_start);
        if (ew + cw > w)
            ew = snprintf(ev, sizeof ev, "%-7" PRIu64, hist[i].seq_start);
        char why[64];
        int rw = snprintf(reason, sizeof reason, "  %s",
                          ui_gc_reason(hist[i].reason, hist[i].gen, module_generations(&g), why, sizeof why));
        k = canvas_text(c, x, y, w, UI_S_DIM, ev);
        k += canvas_printf(c, x + k, y, w - k, UI_S_VALUE, " %-6s", name);
        k += canvas_printf(c, x + k, y, w - k, UI_S_NORMAL, " %" PRIu64 " collected", hist[i].collected);
        if (hist[i].uncollectable)
            k += canvas_printf(c, x + k, y, w - k, UI_S_ERROR, ", %" PRIu64 " uncollectable", hist[i].uncollectable);
        if (k + rw <= w)
            canvas_text(c, x + k, y, w - k, UI_S_DIM, reason);
        if (focus && i == scroll)
            canvas_add_attr(c, (struct ui_rect){x, y, w, 1}, UI_A_REVERSE);
    }
}
