/*
 * view_pool.c - one pool up close: its header, its blocks, its free list, and the block the
 * next allocation of its class will get.
 *
 *     pool 5 of arena 0 at 0x7f..4000: used, class 3 (64-byte blocks)
 *     count 12 of 254   freeblock #9   nextoffset 1024   maxnextoffset 16320   ring 1 of 2
 *        0 ■■■■□■■■◆■■■□·························
 *       40 ······································
 *     free list (LIFO): #9 → #4 → #12 → then virgin blocks from #15
 *
 * Block states come from the model: allocated, on the free list, or virgin (at or above
 * nextoffset).  The count is the allocator's; for a real program it says after it how many of
 * those blocks are arenascope's own (model_pool_tool_blocks), and the grid draws them apart.  The block the next malloc of this class will return is drawn with its own glyph
 * wherever it is (a pool's free-list head, or another pool's when this one is not the ring's
 * front).  The selected block is shown in reverse video with what it holds.
 */
#include "app.h"

#include <ui/narrate.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROW_LABEL_W 6

/* Whether block `index` of pool p, allocated, is one arenascope's capture made in a real program
 * (drawn apart: the allocator placed it, but it is not the program's). */
static bool is_tool_block(const struct model *m, const struct model_pool *p, uint32_t index)
{
    struct model_geometry g;
    model_geometry(m, &g);
    struct model_block b;
    return model_block_find(m, p->addr + g.pool_overhead + (uint64_t)index * p->size, &b) &&
           b.stack == model_tool_stack(m);
}

static int pool_per_row(int w)
{
    int room = w - 2 - ROW_LABEL_W;
    int n = room > 64 ? 64 : room;
    if (n >= 16)
        n -= n % 8;
    return n > 0 ? n : 1;
}

/* What the selected block holds, as a paragraph. */
static void block_para(const struct ui_app *app, const struct canvas *c, const struct model_pool *p, int sel,
                       struct ui_para *out)
{
    const struct model *m = app_model(app);
    ui_para_init(out);
    if (p->capacity == 0 || sel < 0)
        return;
    uint64_t addr = app_block_addr(m, p, (uint32_t)sel);
    struct model_block b;
    char ab[24];
    ui_para_addf(out, UI_S_VALUE, "block #%d", sel);
    ui_para_addf(out, UI_S_LABEL, " at %s: ", fmt_addr(ab, addr, 0, c->ascii));
    if (!model_block_find(m, addr, &b)) {
        ui_para_add(out, UI_S_DIM, "unknown");
        return;
    }
    switch (b.state) {
    case MODEL_BLOCK_VIRGIN:
        ui_para_add(out, UI_S_BLOCK_VIRGIN, "virgin: never handed out");
        return;
    case MODEL_BLOCK_FREE:
        ui_para_addf(out, UI_S_BLOCK_FREE, "free, position %" PRIu32 " on the free list", b.free_pos);
        return;
    case MODEL_BLOCK_ALLOCATED:
        break;
    }
    ui_para_addf(out, UI_S_BLOCK_ALLOC, "allocated for %" PRIu32 " B", b.requested);
    const char *ftext;
    size_t flen;
    uint32_t frame = b.stack ? model_stack_line_frame(m, b.stack) : 0;
    if (frame && model_frame_text(m, frame, &ftext, &flen)) {
        char where[256];
        model_frame_format(ftext, flen, where, sizeof where);
        ui_para_add(out, UI_S_NORMAL, " by ");
        ui_para_add_whole(out, UI_S_NORMAL, where);
    }
    struct model_object o;
    if (b.object && model_object_find(m, b.object, &o)) {
        const char *tn = o.type_name ? o.type_name : "?";
        ui_para_addf(out, UI_S_NORMAL, ": %s %s at %s ", ui_article(tn), tn, fmt_addr(ab, o.addr, 0, c->ascii));
        ui_para_add_whole(out, UI_S_NORMAL, "(Enter shows it)");
    }
}

/* Where the next allocation of the pool's class goes, as a paragraph. */
static void next_para(const struct canvas *c, const struct model_pool *p, const struct model_next *next, int next_idx,
                      struct ui_para *out)
{
    char bb[24];
    ui_para_init(out);
    ui_para_addf(out, UI_S_LABEL, "next malloc of class %" PRIu32 ": ", p->szidx);
    switch (next->source) {
    case MODEL_NEXT_RING:
        if (next->addr == 0)
            ui_para_add(out, UI_S_DIM, "none free in the ring's front pool until this event settles");
        else if (next->pool == p->addr)
            ui_para_addf(out, UI_S_BLOCK_FREE, "block #%d here (%s), the head of this free list", next_idx,
                         fmt_addr(bb, next->addr, 0, c->ascii));
        else
            ui_para_addf(out, UI_S_NORMAL, "%s in the pool at the front of the ring", fmt_addr(bb, next->addr, 0, c->ascii));
        break;
    case MODEL_NEXT_CACHED_POOL:
        ui_para_add(out, UI_S_NORMAL, "a pool from the head arena's cache of empty pools");
        break;
    case MODEL_NEXT_NEW_POOL:
        ui_para_add(out, UI_S_NORMAL, "a pool carved from the head arena's untouched memory");
        break;
    case MODEL_NEXT_NEW_ARENA:
        ui_para_add(out, UI_S_NORMAL, "a new arena: no usable arena has room");
        break;
    }
}

void view_pool(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    if (app->pins.open && app->pins.pane == UI_PANE_POOL) {
        view_pins(app, f, c, r, focus);
        return;
    }
    const struct model *m = app_model(app);
    struct model_pool p;
    bool have = model_pool_at(m, app->arena.slot, app->arena.index, &p);
    char title[96];
    if (have)
        snprintf(title, sizeof title, "Pool %" PRIu32 " of arena %" PRIu32, p.index, p.slot);
    else
        snprintf(title, sizeof title, "Pool");
    int x, y, w, h;
    if (!canvas_pane(c, r, title, focus, 10, 2, have ? NULL : "no pool selected: pick one in the arena map and press Enter",
                     &x, &y, &w, &h))
        return;
    /* the pool's state and the header fields, as obmalloc names them: wrapped, each field whole */
    char ab[24];
    struct ui_para head;
    ui_para_init(&head);
    ui_para_add(&head, UI_S_LABEL, fmt_addr(ab, p.addr, 0, c->ascii));
    ui_para_add(&head, UI_S_LABEL, ": ");
    ui_para_add(&head, UI_S_VALUE, model_pool_state_name(p.state));
    if (p.state == MODEL_POOL_UNTOUCHED || p.szidx == MODEL_NO_CLASS) {
        canvas_para(c, x, y, w, 0, 1, &head, NULL);
        struct ui_para why;
        ui_para_init(&why);
        ui_para_add(&why, UI_S_DIM, p.state == MODEL_POOL_UNTOUCHED
                                        ? "above the arena's high-water mark: never carved, holds nothing yet"
                                        : "carved; its size class is set by the allocation under way");
        canvas_para(c, x, y + 1, w, 0, h - 1, &why, NULL);
        return;
    }
    /* in fewer words when that saves a row */
    struct ui_para head_short = head;
    ui_para_addf(&head, UI_S_LABEL, ", class %" PRIu32 " (%" PRIu32 "-byte blocks)", p.szidx, p.size);
    ui_para_addf(&head_short, UI_S_LABEL, ", class %" PRIu32 " (%" PRIu32 " B blocks)", p.szidx, p.size);
    if (p.state == MODEL_POOL_USED) {
        ui_para_addf(&head, UI_S_DIM, ", position %" PRIu32 " in the class's ring", p.ring_pos);
        ui_para_addf(&head_short, UI_S_DIM, ", position %" PRIu32 " in the class's ring", p.ring_pos);
    } else if (p.state == MODEL_POOL_EMPTY) {
        ui_para_addf(&head, UI_S_DIM, ", position %" PRIu32 " in the arena's cache", p.cache_pos);
        ui_para_addf(&head_short, UI_S_DIM, ", position %" PRIu32 " in the arena's cache", p.cache_pos);
    }
    if (ui_para_rows(&head_short, w, 0, NULL) < ui_para_rows(&head, w, 0, NULL))
        head = head_short;

    const struct model_geometry *g = &app->geo;
    struct ui_para fields;
    ui_para_init(&fields);
    char v[32];
    ui_para_add(&fields, UI_S_LABEL, "count ");
    ui_para_addf(&fields, UI_S_VALUE, "%" PRIu32 "/%" PRIu32, p.count, p.capacity);
    uint32_t tool = model_pool_tool_blocks(m, p.addr);
    if (tool)
        ui_para_addf(&fields, UI_S_DIM, " (%" PRIu32 " arenascope's)", tool);
    ui_para_add(&fields, UI_S_LABEL, "  freeblock ");
    if (p.freeblock)
        snprintf(v, sizeof v, "#%" PRIu64, (p.freeblock - p.addr - g->pool_overhead) / (p.size ? p.size : 1));
    else
        snprintf(v, sizeof v, "NULL");
    ui_para_add(&fields, UI_S_VALUE, v);
    ui_para_add(&fields, UI_S_LABEL, "  nextoffset ");
    ui_para_addf(&fields, UI_S_VALUE, "%" PRIu32, p.nextoffset);
    ui_para_add(&fields, UI_S_LABEL, "  maxnextoffset ");
    ui_para_addf(&fields, UI_S_VALUE, "%" PRIu32, p.maxnextoffset);

    /* the grid */
    uint8_t *states = malloc(p.capacity ? p.capacity : 1);
    if (!states)
        return;
    size_t nb = model_pool_blocks(m, p.addr, states, p.capacity);
    struct model_next next;
    model_next_block(m, p.szidx, &next);
    int next_idx = -1;
    if (next.pool == p.addr && next.addr >= p.addr + g->pool_overhead && p.size)
        next_idx = (int)((next.addr - p.addr - g->pool_overhead) / p.size);
    struct ui_para next_p, block_p;
    next_para(c, &p, &next, next_idx, &next_p);
    /* the selected block, kept within the pool */
    int sel = app->pool.sel;
    if (p.capacity && sel >= (int)p.capacity)
        sel = (int)p.capacity - 1;
    block_para(app, c, &p, sel, &block_p);

    /* the sentences above and below the grid take the rows they need; the grid the rest (it
     * scrolls), and the legend a row when one is left */
    int head_rows = ui_para_rows(&head, w, 0, NULL), field_rows = ui_para_rows(&fields, w, 0, NULL);
    int next_rows = ui_para_rows(&next_p, w, 0, NULL), block_rows = ui_para_rows(&block_p, w, 0, NULL);
    int per_row = pool_per_row(r.w);
    int grid_rows = (int)((nb + (size_t)per_row - 1) / (size_t)per_row);
    int room = h - head_rows - field_rows - 1 - next_rows - block_rows - 1;
    if (room < 1)
        room = 1;
    y += canvas_para(c, x, y, w, 0, head_rows, &head, NULL);
    y += canvas_para(c, x, y, w, 0, field_rows, &fields, NULL);
    int scroll = app_scroll_to_show(app->pool.scroll, sel >= 0 ? sel / per_row : -1, grid_rows, room);
    f->pool = (struct ui_settled){.set = true, .scroll = scroll, .sel = sel};
    f->pool_per_row = per_row;
    int shown = grid_rows - scroll < room ? grid_rows - scroll : room;
    for (int row = 0; row < shown; row++) {
        int first = (scroll + row) * per_row;
        canvas_printf(c, x, y + row, ROW_LABEL_W, UI_S_DIM, "%5d ", first);
        ui_frame_hit(f, (struct ui_rect){x + ROW_LABEL_W + c->ox, y + row + c->oy, per_row, 1}, UI_HIT_BLOCK_ROW,
                    (uint64_t)first, 0, 1);
        for (int i = 0; i < per_row && (size_t)(first + i) < nb; i++) {
            int b = first + i;
            enum ui_glyph gl;
            enum ui_style st;
            switch ((enum model_block_state)states[b]) {
            case MODEL_BLOCK_ALLOCATED:
                gl = UI_G_BLOCK_ALLOC;
                st = UI_S_BLOCK_ALLOC;
                if (tool && is_tool_block(m, &p, (uint32_t)b)) {
                    gl = UI_G_BLOCK_TOOL;
                    st = UI_S_BLOCK_TOOL;
                }
                break;
            case MODEL_BLOCK_FREE: gl = UI_G_BLOCK_FREE; st = UI_S_BLOCK_FREE; break;
            case MODEL_BLOCK_VIRGIN:
            default: gl = UI_G_BLOCK_VIRGIN; st = UI_S_BLOCK_VIRGIN; break;
            }
            if (b == next_idx) {
                gl = UI_G_BLOCK_NEXT;
                st = UI_S_BLOCK_NEXT;
            }
            canvas_glyph(c, x + ROW_LABEL_W + i, y + row, gl, st);
            if (b == sel)
                canvas_add_attr(c, (struct ui_rect){x + ROW_LABEL_W + i, y + row, 1, 1}, UI_A_REVERSE | UI_A_UNDERLINE);
        }
    }
    if (scroll > 0)
        canvas_glyph(c, r.x + r.w - 1, y, UI_G_ARROW_UP, UI_S_FRAME_FOCUS);
    if (scroll + shown < grid_rows)
        canvas_glyph(c, r.x + r.w - 1, y + shown - 1, UI_G_ARROW_DOWN, UI_S_FRAME_FOCUS);
    free(states);
    y += shown;

    /* the free list in LIFO order: as many whole entries as fit, then an ellipsis, and where
     * the virgin blocks start when that fits too */
    uint64_t list[48];
    size_t nf = model_pool_free_list(m, p.addr, list, 48);
    char virgin[64] = "";
    if (p.nvirgin)
        snprintf(virgin, sizeof virgin, "; %" PRIu32 " virgin from #%" PRIu32, p.nvirgin,
                 (p.nextoffset - g->pool_overhead) / p.size);
    int vw = ui_text_width(virgin);
    const char *arrow = c->ascii ? ">" : "\xe2\x86\x92";
    int n = canvas_text(c, x, y, w, UI_S_LABEL, "free list, next out first: ");
    if (nf == 0)
        n += canvas_text(c, x + n, y, w - n, UI_S_DIM, "empty");
    size_t listed = nf < 48 ? nf : 48, fi;
    for (fi = 0; fi < listed; fi++) {
        char item[32];
        snprintf(item, sizeof item, "#%" PRIu64, (list[fi] - p.addr - g->pool_overhead) / p.size);
        bool last = fi + 1 == nf;
        if (n + (fi ? 1 : 0) + ui_text_width(item) + (last ? 0 : 1) > w)
            break; /* an entry and, unless it is the last, room for the ellipsis */
        if (fi)
            n += canvas_text(c, x + n, y, w - n, UI_S_DIM, arrow);
        n += canvas_text(c, x + n, y, w - n, fi == 0 ? UI_S_BLOCK_FREE : UI_S_NORMAL, item);
    }
    if (fi < nf) {
        canvas_glyph(c, x + n, y, UI_G_ELLIPSIS, UI_S_DIM);
        n++;
    }
    if (vw && n + vw <= w)
        canvas_text(c, x + n, y, w - n, UI_S_DIM, virgin);
    y++;

    /* the next allocation of this class, and the selected block */
    y += canvas_para(c, x, y, w, 0, r.y + r.h - 1 - y, &next_p, NULL);
    if (block_p.len)
        y += canvas_para(c, x, y, w, 0, r.y + r.h - 1 - y, &block_p, NULL);
    static const struct ui_legend legend[] = {
        {UI_G_BLOCK_ALLOC, UI_S_BLOCK_ALLOC, "allocated"},
        {UI_G_BLOCK_FREE, UI_S_BLOCK_FREE, "on the free list"},
        {UI_G_BLOCK_VIRGIN, UI_S_BLOCK_VIRGIN, "virgin"},
        {UI_G_BLOCK_NEXT, UI_S_BLOCK_NEXT, "next malloc gets it"},
        {UI_G_BLOCK_TOOL, UI_S_BLOCK_TOOL, "arenascope's own"},
    };
    /* the last entry only where the pool has blocks of arenascope's */
    if (y < r.y + r.h - 1)
        paint_legend(c, x, y, x + w, legend, sizeof legend / sizeof legend[0] - (tool ? 0 : 1), 1);
}
