/*
 * view_classes.c - size classes: CPython's stats columns, a bar per class, and the rings.
 *
 *     class  size  pools  in use  avail  blocks in use        ring, front first
 *         0    16      1       3   1018  ▏                     5
 *         3    64      2     300    208  █████▋               9 5
 *
 * The columns are those of sys._debugmallocstats() (docs/cpython-memory.md 4.2): pools counts used
 * and full pools, avail includes virgin blocks.  Classes with cached empty pools only are
 * listed too, greyed.  The ring is the class's usedpools list from the front (where the next
 * allocation goes); the selected class's ring is spelled out under the table.  The columns are
 * the allocator's; the totals under them are the program's (model_program_totals): for a real
 * program they leave out the blocks of arenascope's capture, placed among the program's, and say
 * how many.
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* A pool of a ring by its place, "2.5" (arena slot, pool index), or in full, "pool 2.5 (12/63)"
 * with its blocks allocated of its capacity; false when no pool is at addr. */
static bool ring_pool_name(const struct model *m, uint64_t addr, bool full, char *buf, size_t len)
{
    struct model_pool p;
    if (!model_pool_find(m, addr, &p))
        return false;
    if (full)
        snprintf(buf, len, "pool %" PRIu32 ".%" PRIu32 " (%" PRIu32 "/%" PRIu32 ")", p.slot, p.index, p.count,
                 p.capacity);
    else
        snprintf(buf, len, "%" PRIu32 ".%" PRIu32, p.slot, p.index);
    return true;
}

void view_classes(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    int x, y, w, h;
    if (!canvas_pane(c, r, "Size classes", focus, 20, 3, NULL, &x, &y, &w, &h))
        return;
    const struct model *m = app_model(app);

    uint32_t list[HEAP_STATS_MAX_CLASSES];
    size_t n = app_listed_classes(app, list, HEAP_STATS_MAX_CLASSES);
    if (n > HEAP_STATS_MAX_CLASSES)
        n = HEAP_STATS_MAX_CLASSES;
    /* the requests a class serves, when there is room: (szidx * alignment, (szidx + 1) * alignment] */
    int req_w = w >= 80 ? 10 : 0;
    int num_x = x + req_w;   /* where "pools" starts, after class, size and requests */
    bool wide = w >= 56;
    int bar_w = wide ? (w >= 100 ? 20 : 12) : w - 34;
    if (bar_w > 20)
        bar_w = 20;
    int bar_x = num_x + 33;
    canvas_text(c, x, y, w, UI_S_LABEL, "class  size");
    if (req_w)
        canvas_text(c, x + 12, y, req_w, UI_S_LABEL, "requests");
    canvas_text(c, num_x + 12, y, w, UI_S_LABEL, "pools in use  avail");
    if (bar_w >= 4)
        canvas_text(c, bar_x, y, bar_w, UI_S_LABEL, "used");
    if (wide) {
        static const char *const ring_titles[] = {"ring (arena.pool), front first", "ring, front first", "ring"};
        canvas_text_choose(c, bar_x + bar_w + 1, y, x + w - bar_x - bar_w - 1, UI_S_LABEL, ring_titles, 3);
    }
    y++;
    int list_h = h - 3;
    if (n == 0)
        canvas_text(c, x + 1, y + 1, w - 2, UI_S_DIM, "no pool in use yet");

    int sel = -1;
    for (size_t i = 0; i < n; i++)
        if (list[i] == app->classes.sel)
            sel = (int)i;
    int scroll = app_scroll_to_show(app->classes.scroll, sel, (int)n, list_h);
    f->classes = (struct ui_settled){.set = true, .scroll = scroll};

    for (int row = 0; row < list_h && scroll + row < (int)n; row++) {
        uint32_t ci = list[scroll + row];
        struct model_class k;
        model_class_at(m, ci, &k);
        int ry = y + row;
        enum ui_style st = k.pools ? UI_S_NORMAL : UI_S_DIM;
        canvas_printf(c, x, ry, w, st, "%5" PRIu32 " %5" PRIu32, ci, k.size);
        if (req_w)
            canvas_printf(c, x + 12, ry, req_w, UI_S_DIM, "%4" PRIu32 "-%-4" PRIu32, ci * app->geo.alignment + 1, k.size);
        canvas_printf(c, num_x + 11, ry, w, st, " %5" PRIu64 " %6" PRIu64 " %6" PRIu64, k.pools, k.in_use, k.avail);
        if (bar_w >= 4) {
            double frac = k.in_use + k.avail ? (double)k.in_use / (double)(k.in_use + k.avail) : 0;
            canvas_hbar(c, bar_x, ry, bar_w, frac, frac > 0.9 ? UI_S_BAR_WARN : UI_S_BAR);
        }
        if (wide) {
            uint64_t ring[32];
            size_t nr = model_class_ring(m, ci, ring, 32);
            /* whole pools, the last column kept for an ellipsis when some do not fit */
            int rx = bar_x + bar_w + 1;
            size_t i;
            for (i = 0; i < nr && i < 32; i++) {
                char item[64];
                if (!ring_pool_name(m, ring[i], false, item, sizeof item))
                    continue;
                int iw = ui_text_width(item);
                if (rx + iw > x + w - 1)
                    break;
                rx += canvas_text(c, rx, ry, -1, i == 0 ? UI_S_VALUE : UI_S_NORMAL, item) + 1;
            }
            if (i < nr)
                canvas_glyph(c, x + w - 1, ry, UI_G_ELLIPSIS, UI_S_DIM);
            if (nr == 0 && (k.pools || k.empty_pools)) {
                static const char *const full[] = {"(all full)", "full"}, *const empty[] = {"(empty pools only)", "empty"};
                canvas_text_choose(c, rx, ry, x + w - rx, UI_S_DIM, k.pools ? full : empty, 2);
            }
        }
        if (ci == app->classes.sel)
            canvas_add_attr(c, (struct ui_rect){x, ry, bar_x - x - 1, 1}, UI_A_REVERSE);
        ui_frame_hit(f, (struct ui_rect){x + c->ox, ry + c->oy, w, 1}, UI_HIT_CLASS, ci, 0, 0);
    }
    if (scroll > 0)
        canvas_glyph(c, r.x + r.w - 1, y, UI_G_ARROW_UP, UI_S_FRAME_FOCUS);
    if (scroll + list_h < (int)n)
        canvas_glyph(c, r.x + r.w - 1, y + list_h - 1, UI_G_ARROW_DOWN, UI_S_FRAME_FOCUS);

    /* the selected class's ring, spelled out */
    int ry = r.y + r.h - 3;
    struct model_class k;
    if (model_class_at(m, app->classes.sel, &k) && (k.pools || k.empty_pools)) {
        uint64_t ring[16];
        size_t nr = model_class_ring(m, app->classes.sel, ring, 16);
        int nx = canvas_printf(c, x, ry, w, UI_S_VALUE, "class %" PRIu32 " ring: ", app->classes.sel);
        if (nr == 0) {
            static const char *const empty[] = {"empty; the next malloc takes a new or cached pool",
                                                "empty: next malloc takes a new or cached pool", "empty"};
            nx += canvas_text_choose(c, x + nx, ry, w - nx, UI_S_DIM, empty, 3);
        }
        /* whole pools, front first, then an ellipsis for those that do not fit */
        size_t i;
        for (i = 0; i < nr && i < 16; i++) {
            char item[64];
            if (!ring_pool_name(m, ring[i], true, item, sizeof item))
                continue;
            if (nx + (i ? 3 : 0) + ui_text_width(item) + (i + 1 < nr ? 2 : 0) > w)
                break;
            if (i)
                nx += canvas_text(c, x + nx, ry, w - nx, UI_S_DIM, c->ascii ? " > " : " \xe2\x86\x92 ");
            nx += canvas_text(c, x + nx, ry, w - nx, UI_S_NORMAL, item);
        }
        if (i < nr)
            canvas_glyph(c, x + nx + 1, ry, UI_G_ELLIPSIS, UI_S_DIM);
    }
    /* totals */
    struct model_totals t;
    model_program_totals(m, &t);
    /* in clauses of less and less weight: as many as fit whole; blocks the C library holds
     * outweigh the arenas' size when there are any; a real program's figures are the program's,
     * and say how many blocks of arenascope's capture, placed among them, were left out */
    char b1[32], b2[32], b3[32], b4[32], b5[32], b6[32], blocks[160], tool[80] = "", arenas[200], rawc[80], all[288],
        small[248], least[200];
    struct model_tool_usage u;
    model_tool_usage(m, &u);
    if (u.blocks + u.raw_blocks)
        snprintf(tool, sizeof tool, " (arenascope's %s left out)", fmt_count(b6, u.blocks + u.raw_blocks));
    snprintf(blocks, sizeof blocks, "%s in %s block%s%s", ui_fmt_bytes(b1, t.block_bytes), fmt_count(b3, t.blocks),
             t.blocks == 1 ? "" : "s", tool);
    snprintf(arenas, sizeof arenas, "%s; %s in arenas", blocks, ui_fmt_bytes(b2, t.arena_bytes));
    snprintf(rawc, sizeof rawc, "%s in %s raw allocation%s", ui_fmt_bytes(b4, t.raw_bytes), fmt_count(b5, t.raw_blocks),
             t.raw_blocks == 1 ? "" : "s");
    snprintf(all, sizeof all, "%s; %s", arenas, rawc);
    snprintf(small, sizeof small, "%s; %s", blocks, rawc);
    snprintf(least, sizeof least, "%s; %s raw", blocks, b4);
    char plain[80];
    snprintf(plain, sizeof plain, "%s in %s block%s", b1, b3, t.blocks == 1 ? "" : "s");
    const char *const with_raw[] = {all, small, least, blocks, plain};
    const char *const without[] = {all, arenas, blocks, plain};
    canvas_text_choose(c, x, r.y + r.h - 2, w, UI_S_DIM, t.raw_blocks ? with_raw : without, t.raw_blocks ? 5 : 4);
}
