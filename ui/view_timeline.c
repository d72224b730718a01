/*
 * view_timeline.c - the whole run at a glance, and the events around the current one in words.
 *
 *     │      ●         ▴              │          ▾         marks: steps, collections, arenas
 *     ━━━━━━━━━━━━━━━━━━━◆──────────────────────────────    the scrub bar (click to jump)
 *     ▁▁▂▂▃▃▄▅▆▆▇▇███▇▇▆▅▅▄▄▃▃▂▂▁▁                          memory in use over time
 *       1232 block_alloc   alloc 40 B: class 2 (48-byte blocks) hands out…
 *     ▶ 1233 block_free    free 0x...: the block goes to the head of pool 7's
 *                          free list; the pool was full, so it returns to the
 *                          front of class 3's ring
 *       1234 pool_unfull   pool 7 of arena 0 has a free block again: …
 *
 * Marks and memory come from the seeker's timeline summary (tracer/model.h), so the bar costs the
 * same for a thousand events or a billion.  The log shows a few events before the current one,
 * the current one (marked) with its whole sentence, and what comes next, dimmed: the student
 * sees what is about to happen before pressing the key, and reads every sentence in full by
 * stepping.
 */
#include "app.h"

#include <ui/narrate.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LOG_MAX 64 /* rows of the event log at most */

static int mark_rank(uint32_t kind)
{
    switch (kind) {
    case MODEL_TL_STEP: return 4;
    case MODEL_TL_GC: return 3;
    case MODEL_TL_ARENA_FREE: return 2;
    case MODEL_TL_ARENA_NEW: return 1;
    default: return 0;
    }
}

static void paint_marks(struct canvas *c, const struct model_summary *sum, uint64_t total, int x, int y, int w)
{
    if (!sum || total == 0 || w <= 0)
        return;
    uint8_t *best = calloc((size_t)w, 1);
    if (!best)
        return;
    for (size_t i = 0; i < sum->nmarks; i++) {
        const struct model_tl_mark *mk = &sum->marks[i];
        int col = (int)(mk->seq * (uint64_t)(w - 1) / (total > 1 ? total - 1 : 1));
        if (col < 0 || col >= w)
            continue;
        int rank = mark_rank(mk->kind);
        if (rank <= best[col])
            continue;
        best[col] = (uint8_t)rank;
        switch (mk->kind) {
        case MODEL_TL_STEP: canvas_glyph(c, x + col, y, UI_G_MARK_STEP, UI_S_MARK_STEP); break;
        case MODEL_TL_GC: canvas_glyph(c, x + col, y, UI_G_MARK_GC, UI_S_MARK_GC); break;
        case MODEL_TL_ARENA_FREE: canvas_glyph(c, x + col, y, UI_G_MARK_ARENA_FREE, UI_S_MARK_ARENA_FREE); break;
        case MODEL_TL_ARENA_NEW: canvas_glyph(c, x + col, y, UI_G_MARK_ARENA_NEW, UI_S_MARK_ARENA_NEW); break;
        default: break;
        }
    }
    free(best);
}

/* Memory in use as a chart `rows` high whose bottom row is y: eighths of a cell per level. */
static void paint_memory(struct canvas *c, const struct model_summary *sum, uint64_t total, int x, int y, int w,
                         int rows)
{
    if (!sum || sum->nsamples == 0 || sum->max_bytes == 0 || total == 0 || w <= 0)
        return;
    uint64_t *col_max = calloc((size_t)w, sizeof *col_max);
    if (!col_max)
        return;
    /* each column covers events [k * total / w, (k + 1) * total / w): the highest sample there,
     * or the one holding its first event when the column is narrower than a sample */
    size_t si = 0;
    for (int k = 0; k < w; k++) {
        uint64_t lo = (uint64_t)k * total / (uint64_t)w, hi = (uint64_t)(k + 1) * total / (uint64_t)w;
        if (hi <= lo)
            hi = lo + 1;
        while (si + 1 < sum->nsamples && sum->samples[si].seq + sum->samples[si].span <= lo)
            si++;
        for (size_t j = si; j < sum->nsamples && sum->samples[j].seq < hi; j++)
            if (sum->samples[j].bytes_max > col_max[k])
                col_max[k] = sum->samples[j].bytes_max;
    }
    static const enum ui_glyph levels[8] = {UI_G_SPARK_1, UI_G_SPARK_2, UI_G_SPARK_3, UI_G_SPARK_4,
                                            UI_G_SPARK_5, UI_G_SPARK_6, UI_G_SPARK_7, UI_G_SPARK_8};
    uint64_t steps = (uint64_t)rows * 8;
    for (int k = 0; k < w; k++) {
        if (!col_max[k])
            continue;
        uint64_t lv = (col_max[k] * steps - 1) / sum->max_bytes + 1; /* 1 .. steps eighths */
        if (lv > steps)
            lv = steps;
        for (int r = 0; r < rows && lv > 0; r++) {
            uint64_t here = lv >= 8 ? 8 : lv;
            canvas_glyph(c, x + k, y - r, levels[here - 1], UI_S_SPARK);
            lv -= here;
        }
    }
    free(col_max);
}

/* Where an event's sentence starts on its row: after the pointer, the number and the kind. */
#define LOG_TEXT_X (2 + 8 + 14)
/* Below this width the selected sentence's further rows start under the number, not under its
 * first row. */
#define LOG_HANG_MIN_W 60

/*
 * The event log: a row per event, the selected one (the current event, or the one the user
 * moved to) with its whole sentence wrapped over the rows it needs, the others abbreviated to a
 * row each (selecting one shows all of it).  Events before the selection take about a third of
 * the rows left, those after it the rest; after the current one they are dimmed.
 */
static void paint_log(const struct ui_app *app, struct ui_frame *f, struct canvas *c, int x, int y, int w, int h)
{
    uint64_t total = app_event_count(app), pos = app_position(app);
    if (h > LOG_MAX)
        h = LOG_MAX;
    int64_t cur = (int64_t)pos - 1;
    int64_t sel = cur + app->log.offset;
    if (sel < 0)
        sel = 0;
    if (sel >= (int64_t)total)
        sel = (int64_t)total - 1;

    /* read from as far back as the rows could reach */
    int64_t from = sel - h > 0 ? sel - h : 0;
    int nread = (int)(sel - from) + h;
    struct event *evs = calloc((size_t)nread, sizeof *evs);
    char *strs = malloc((size_t)nread * 256);
    if (!evs || !strs)
        goto out_free;
    int got = seeker_events(app->s, (uint64_t)from, evs, (size_t)nread, strs, (size_t)nread * 256);
    if (got <= sel - from)
        goto out_free;
    const struct model *m = app_model(app);

    /* the selected event's sentence and the rows it takes */
    int si = (int)(sel - from);
    bool hang = w - LOG_TEXT_X >= LOG_HANG_MIN_W;
    int px = hang ? LOG_TEXT_X : 2, first = LOG_TEXT_X - px;
    struct ui_para sp;
    char sentence[512];
    ui_narrate(m, &evs[si], sentence, sizeof sentence);
    ui_para_init(&sp);
    ui_para_add(&sp, sel == cur ? UI_S_NARRATION : sel > cur ? UI_S_DIM : UI_S_NORMAL, sentence);
    int srows = ui_para_rows(&sp, w - px, first, NULL);
    if (srows > h)
        srows = h;

    /* rows before and after it */
    int rest = h - srows;
    int64_t before = (rest + 1) / 3, after_have = (int64_t)got - si - 1;
    if (rest - before > after_have)
        before = rest - after_have;
    if (before > sel - from)
        before = sel - from;

    int ry = y;
    for (int i = si - (int)before; i < got && ry < y + h; i++) {
        int64_t seq = from + i;
        if (seq >= (int64_t)total)
            break;
        bool is_cur = seq == cur, is_sel = seq == sel, future = seq > cur;
        enum ui_style st = is_cur ? UI_S_VALUE : future ? UI_S_DIM : UI_S_NORMAL;
        if (is_cur)
            canvas_glyph(c, x, ry, UI_G_POINTER, UI_S_MARK_STEP);
        int k = 2;
        k += canvas_printf(c, x + k, ry, w - k, is_cur ? UI_S_VALUE : UI_S_DIM, "%7" PRId64 " ", seq);
        canvas_printf(c, x + k, ry, w - k, future ? UI_S_DIM : UI_S_LABEL, "%-13s", event_kind_name(evs[i].kind));
        int rows = 1;
        if (is_sel) {
            rows = canvas_para(c, x + px, ry, w - px, first, y + h - ry, &sp, NULL);
        } else {
            struct ui_para p;
            ui_narrate(m, &evs[i], sentence, sizeof sentence);
            ui_para_init(&p);
            ui_para_add(&p, is_cur ? UI_S_NARRATION : st, sentence);
            canvas_para(c, x + LOG_TEXT_X, ry, w - LOG_TEXT_X, 0, 1, &p, NULL);
        }
        if (rows < 1)
            rows = 1;
        if (is_cur)
            canvas_add_attr(c, (struct ui_rect){x + 2, ry, w - 2, rows}, UI_A_BOLD);
        if (is_sel && app->log.offset != 0)
            canvas_add_attr(c, (struct ui_rect){x, ry, w, rows}, UI_A_REVERSE);
        ui_frame_hit(f, (struct ui_rect){x + c->ox, ry + c->oy, w, rows}, UI_HIT_EVENT, (uint64_t)seq, 0, 0);
        ry += rows;
    }
out_free:
    free(evs);
    free(strs);
}

void view_timeline(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    const struct model_summary *sum = seeker_summary(app->s);
    uint64_t total = app_event_count(app), pos = app_position(app);
    char title[128], b1[32], b2[32];
    if (sum && sum->max_bytes)
        snprintf(title, sizeof title, "Timeline: %s events, memory in use up to %s", fmt_count(b1, total),
                 ui_fmt_bytes(b2, sum->max_bytes));
    else
        snprintf(title, sizeof title, "Timeline: %s events", fmt_count(b1, total));
    int x, y, w, h;
    if (!canvas_pane(c, r, title, focus, 20, 3, NULL, &x, &y, &w, &h))
        return;

    /* legend in the top border, on the right, after a blank */
    static const struct ui_legend legend[] = {
        {UI_G_MARK_STEP, UI_S_MARK_STEP, "step"},
        {UI_G_MARK_GC, UI_S_MARK_GC, "collection"},
        {UI_G_MARK_ARENA_NEW, UI_S_MARK_ARENA_NEW, "arena new"},
        {UI_G_MARK_ARENA_FREE, UI_S_MARK_ARENA_FREE, "arena freed"},
    };
    size_t nlegend = sizeof legend / sizeof legend[0];
    int lx = r.x + r.w - 1 - 1 - paint_legend_width(legend, nlegend, 0);
    if (lx > r.x + 4 + ui_text_width(title) + 2) {
        canvas_put(c, lx, r.y, ' ', UI_S_NORMAL);
        paint_legend(c, lx + 1, r.y, r.x + r.w - 1, legend, nlegend, 0);
    }

    /* marks above the scrub bar; on a short pane they are drawn on its rail, so that the log
     * keeps the rows to show its selected event's whole sentence */
    bool marks_row = h >= 8;
    int bar_y = marks_row ? y + 1 : y;
    int cursor = total ? (int)(pos * (uint64_t)(w - 1) / total) : 0;
    for (int k = 0; k < w; k++)
        canvas_glyph(c, x + k, bar_y, UI_G_TRACK, k < cursor ? UI_S_BAR : UI_S_DIM);
    paint_marks(c, sum, total, x, y, w);
    canvas_glyph(c, x + cursor, bar_y, UI_G_BLOCK_NEXT, UI_S_CURSOR);
    ui_frame_hit(f, (struct ui_rect){x + c->ox, y + c->oy, w, bar_y - y + 1}, UI_HIT_SCRUB, total, 0, 0);
    /* zoomed, the memory curve becomes a chart a third of the pane high */
    int chart = app->zoomed == UI_PANE_TIMELINE ? (h - 3) / 3 : 1;
    if (chart > 8)
        chart = 8;
    if (chart < 1)
        chart = 1;
    paint_memory(c, sum, total, x, bar_y + chart, w, chart);

    int log_y = bar_y + 1 + chart, log_h = y + h - log_y;
    if (log_h <= 0 || total == 0)
        return;
    paint_log(app, f, c, x, log_y, w, log_h);
}
