/*
 * view_pins.c - who pins the selected arena or pool: its live blocks by the line that allocated
 * them (w in the Arenas or the Pool pane).
 *
 *   arena 5: 27 of 63 pools free; 37 blocks live from 2 lines
 *      blocks      bytes  line
 *   ▶      19     1520 B  frag.py:4 in load        cache[i] = ("record %d" % i) * 2
 *          18      576 B  frag.py:3 in load        for i in range(n):
 *
 * An arena is returned only when all its pools are free: these lines hold the blocks that keep
 * it.  Enter on a line lists its blocks; Enter on a block shows it in its pool.  The lines are
 * grouped by the model (model_pins), their source comes from the trace (seeker_source_line).
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define PINS_MAX 512

/* The pool index the pins are for: -1 for the whole arena. */
static int32_t pins_pool(const struct ui_app *app)
{
    return app->pins.pane == UI_PANE_POOL ? (int32_t)app->arena.index : -1;
}

size_t app_pins(const struct ui_app *app, struct model_pin *out, size_t max)
{
    return model_pins(app_model(app), app->arena.slot, pins_pool(app), out, max);
}

size_t app_pin_blocks(const struct ui_app *app, uint64_t *addrs, size_t max)
{
    return model_pin_blocks(app_model(app), app->arena.slot, pins_pool(app), app->pins.frame, addrs, max);
}

/* A line's place and source: "frag.py:4 in load" and "cache[i] = ...". */
static void line_of(const struct ui_app *app, uint32_t frame, char *where, size_t wlen, char *src, size_t slen)
{
    const struct model *m = app_model(app);
    const char *text;
    size_t len;
    src[0] = '\0';
    if (!frame || !model_frame_text(m, frame, &text, &len)) {
        snprintf(where, wlen, "no Python line (the interpreter's own, or no stacks recorded)");
        return;
    }
    model_frame_format(text, len, where, wlen);
    struct model_frame_info fi;
    model_frame_parse(text, len, &fi);
    bool disk;
    if (fi.python && fi.file_len)
        seeker_source_line(app->s, fi.file, fi.file_len, fi.line, src, slen, &disk);
}

static int clamp_scroll(int sel, int scroll, int rows)
{
    if (sel < scroll)
        scroll = sel;
    if (sel >= scroll + rows)
        scroll = sel - rows + 1;
    return scroll < 0 ? 0 : scroll;
}

void view_pins(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    const struct model *m = app_model(app);
    struct model_arena a;
    bool have = model_arena_at(m, app->arena.slot, &a);
    char title[96];
    if (app->pins.pane == UI_PANE_POOL)
        snprintf(title, sizeof title, "Pool %" PRIu32 " of arena %" PRIu32 ": who pins it", app->arena.index,
                 app->arena.slot);
    else
        snprintf(title, sizeof title, "Arena %" PRIu32 ": who pins it", app->arena.slot);
    int x, y, w, h;
    if (!canvas_pane(c, r, title, focus, 20, 3, have ? NULL : "no arena selected: w again or Esc goes back", &x, &y,
                     &w, &h))
        return;
    static struct model_pin pins[PINS_MAX];
    size_t n = app_pins(app, pins, PINS_MAX);
    size_t shown = n < PINS_MAX ? n : PINS_MAX;
    uint64_t blocks = 0;
    for (size_t i = 0; i < shown; i++)
        blocks += pins[i].blocks;
    char where[512], src[256], b[32];

    if (app->pins.blocks) {
        /* one line's blocks */
        static uint64_t addrs[4096];
        size_t nb = app_pin_blocks(app, addrs, 4096);
        size_t nshown = nb < 4096 ? nb : 4096;
        line_of(app, app->pins.frame, where, sizeof where, src, sizeof src);
        int k = canvas_printf(c, x + 1, y, w - 1, UI_S_LABEL, "%s: ", where);
        canvas_printf(c, x + 1 + k, y, w - 1 - k, UI_S_VALUE, "%zu block%s here", nb, nb == 1 ? "" : "s");
        canvas_text(c, x + 1, y + 1, w - 1, UI_S_DIM, "Enter shows a block in its pool; Esc goes back to the lines");
        int rows = h - 2;
        int sel = app->pins.sel >= (int)nshown ? (nshown ? (int)nshown - 1 : 0) : app->pins.sel;
        int scroll = clamp_scroll(sel, app->pins.scroll, rows);
        f->pins = (struct ui_settled){.set = true, .scroll = scroll, .sel = sel};
        for (int i = 0; i < rows && (size_t)(scroll + i) < nshown; i++) {
            size_t j = (size_t)(scroll + i);
            struct model_block blk;
            if (!model_block_find(m, addrs[j], &blk))
                continue;
            struct model_pool p;
            model_pool_find(m, blk.pool, &p);
            bool here = (int)j == sel;
            int yy = y + 2 + i;
            if (here)
                canvas_glyph(c, x, yy, UI_G_POINTER, UI_S_CURSOR);
            canvas_printf(c, x + 2, yy, w - 2, here ? UI_S_SELECTED : UI_S_NORMAL,
                          "pool %-3" PRIu32 " block #%-4" PRIu32 " 0x%" PRIx64 "  %" PRIu32 " of %" PRIu32 " bytes asked",
                          p.index, blk.index, blk.addr, blk.requested, blk.size);
        }
        return;
    }

    char head[160];
    if (app->pins.pane == UI_PANE_POOL) {
        struct model_pool p;
        model_pool_at(m, app->arena.slot, app->arena.index, &p);
        snprintf(head, sizeof head, "%" PRIu32 " of %" PRIu32 " blocks allocated, from %zu line%s", p.count,
                 p.capacity, n, n == 1 ? "" : "s");
    } else {
        snprintf(head, sizeof head, "%" PRIu32 " of %" PRIu32 " pools free; %" PRIu64 " block%s live from %zu line%s",
                 a.nfreepools, a.npools, blocks, blocks == 1 ? "" : "s", n, n == 1 ? "" : "s");
    }
    canvas_text(c, x + 1, y, w - 1, UI_S_VALUE, head);
    if (n == 0) {
        canvas_text(c, x + 1, y + 1, w - 1, UI_S_DIM,
                    app->pins.pane == UI_PANE_POOL ? "no live block: nothing keeps this pool"
                                                   : "no live block: the arena goes back once it leaves usable_arenas");
        return;
    }
    canvas_text(c, x + 1, y + 1, w - 1, UI_S_LABEL, "  blocks       bytes  line (Enter: its blocks)");
    int rows = h - 2;
    int sel = app->pins.sel >= (int)shown ? (int)shown - 1 : app->pins.sel;
    int scroll = clamp_scroll(sel, app->pins.scroll, rows);
    f->pins = (struct ui_settled){.set = true, .scroll = scroll, .sel = sel};
    int where_w = w / 2 - 20 > 20 ? w / 2 - 20 : 20;
    for (int i = 0; i < rows && (size_t)(scroll + i) < shown; i++) {
        size_t j = (size_t)(scroll + i);
        bool here = (int)j == sel;
        int yy = y + 2 + i;
        if (here)
            canvas_glyph(c, x, yy, UI_G_POINTER, UI_S_CURSOR);
        ui_fmt_bytes(b, pins[j].bytes);
        int k = 2 + canvas_printf(c, x + 2, yy, w - 2, here ? UI_S_SELECTED : UI_S_VALUE, "%6" PRIu64 "  %10s  ",
                                  pins[j].blocks, b);
        line_of(app, pins[j].frame, where, sizeof where, src, sizeof src);
        int used = canvas_text_fit(c, x + k, yy, src[0] && w - k > where_w + 8 ? where_w : w - k,
                                   here ? UI_S_SELECTED : UI_S_NORMAL, where);
        if (src[0] && w - k - used > 8) {
            int sx = k + (used > where_w ? used : where_w) + 2;
            canvas_text_fit(c, x + sx, yy, w - sx, UI_S_DIM, src);
        }
    }
}
