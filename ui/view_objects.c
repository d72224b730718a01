/*
 * view_objects.c - live objects: type, address, size class, refcount, generation, names (and
 * gc.garbage, for the objects that list holds).
 *
 * One row per live object, by address (the order id() would sort them).  A refcount changed by
 * the current event is highlighted.  Enter opens the selected object: who refers to it (names
 * and objects), what it refers to, where it was allocated, and during a collection what the
 * collector thinks of it.
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The names bound to obj, then "gc.garbage" for that list itself and "in gc.garbage" for what it
 * holds (a name too: what keeps a saved or uncollectable object alive, and what a leak hunt looks
 * at); returns how many. */
static int names_of(const struct model *m, uint64_t obj, char *buf, size_t len)
{
    struct model_name names[6];
    size_t n = model_object_names(m, obj, names, 6);
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && i < 6; i++) {
        int k = snprintf(buf + used, len - used, "%s%.*s", i ? ", " : "", (int)names[i].name_len, names[i].name);
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
    struct model_object o;
    struct model_gc gc;
    model_gc(m, &gc);
    const char *held = obj == gc.garbage_list                                         ? "gc.garbage"
                       : model_object_find(m, obj, &o) && (o.flags & MODEL_OBJ_GARBAGE) ? "in gc.garbage"
                                                                                         : NULL;
    if (held) {
        if (used < len)
            snprintf(buf + used, len - used, "%s%s", n ? ", " : "", held);
        n++;
    }
    return (int)n;
}

static const char *gen_text(const struct model_object *o, char buf[12])
{
    if (!o->tracked || o->gen < 0)
        return "-";
    snprintf(buf, 12, "%" PRId32, o->gen);
    return buf;
}

/* "referrers names a, b; list ..0040, dict ..1230 x2": whole entries as fit one row, then how
 * many more there are. */
static void paint_refs(struct canvas *c, const struct model *m, int x, int y, int w, const char *label,
                       const struct model_ref *refs, size_t n, size_t total, uint64_t obj, bool referrers)
{
    int k = canvas_text(c, x, y, w, UI_S_LABEL, label);
    if (referrers) {
        char names[128], text[160];
        if (names_of(m, obj, names, sizeof names) > 0) {
            snprintf(text, sizeof text, "names %s%s", names, n ? "; " : "");
            if (k + ui_text_width(text) <= w)
                k += canvas_text(c, x + k, y, w - k, UI_S_VALUE, text);
        }
    }
    if (total == 0 && k == ui_text_width(label))
        canvas_text(c, x + k, y, w - k, UI_S_DIM, "none known");
    for (size_t i = 0; i < n; i++) {
        struct model_object o;
        char ab[24], item[96], more[32];
        bool known = model_object_find(m, refs[i].obj, &o);
        int iw = snprintf(item, sizeof item, "%s%s %s", i ? ", " : "", known && o.type_name ? o.type_name : "object",
                          fmt_addr(ab, refs[i].obj, 6, c->ascii));
        if (refs[i].count > 1)
            snprintf(item + iw, sizeof item - (size_t)iw, " x%" PRIu64, refs[i].count);
        /* the entry, and room for "+N more" after it unless it is the last */
        snprintf(more, sizeof more, " +%zu more", total - i - 1);
        if (k + ui_text_width(item) + (i + 1 < total ? ui_text_width(more) : 0) > w) {
            snprintf(more, sizeof more, "%s+%zu more", i ? " " : "", total - i);
            canvas_text(c, x + k, y, w - k, UI_S_DIM, more);
            return;
        }
        k += canvas_text(c, x + k, y, w - k, UI_S_NORMAL, item);
    }
    if (total > n) {
        char more[32];
        snprintf(more, sizeof more, " +%zu more", total - n);
        canvas_text(c, x + k, y, w - k, UI_S_DIM, more);
    }
}

static void paint_detail(const struct ui_app *app, struct canvas *c, int x, int y, int w, int h)
{
    const struct model *m = app_model(app);
    struct model_object o;
    if (!app->objects.sel || !model_object_find(m, app->objects.sel, &o)) {
        canvas_text(c, x, y, w, UI_S_DIM, "no object selected");
        return;
    }
    /* what it is, where its memory is, its value, its weak references: each wrapped whole while
     * rows are left (the value, which is data, abbreviated to a row) */
    char ab[24], bb[24];
    int ymax = y + h;
    struct ui_para p;
    ui_para_init(&p);
    ui_para_addf(&p, UI_S_VALUE, "%s at %s", o.type_name ? o.type_name : "object", fmt_addr(ab, o.addr, 0, c->ascii));
    ui_para_addf(&p, UI_S_NORMAL, ": refcount %" PRIu64, o.refcnt);
    if (o.tracked)
        ui_para_addf(&p, UI_S_NORMAL, ", generation %" PRId32, o.gen);
    else
        ui_para_add(&p, UI_S_DIM, ", not tracked by the collector");
    if ((y += canvas_para(c, x, y, w, 0, ymax - y, &p, NULL)) >= ymax)
        return;
    ui_para_init(&p);
    if (o.flags & MODEL_OBJ_STATIC)
        ui_para_add(&p, UI_S_NORMAL, "statically allocated, never freed: its count starts near a billion, so no "
                                     "number of del statements takes it to zero");
    else if (o.szidx != MODEL_NO_CLASS)
        ui_para_addf(&p, UI_S_NORMAL, "%" PRIu64 " B in block %s of class %" PRIu32, o.size,
                     fmt_addr(bb, o.block, 0, c->ascii), o.szidx);
    else
        ui_para_addf(&p, UI_S_NORMAL, "%" PRIu64 " B from the C library's malloc", o.size);
    if (o.storage)
        ui_para_addf(&p, UI_S_DIM, "; items in %" PRIu64 " B at %s", o.storage_size, fmt_addr(bb, o.storage, 6, c->ascii));
    if ((y += canvas_para(c, x, y, w, 0, ymax - y, &p, NULL)) >= ymax)
        return;
    if (o.value) {
        ui_para_init(&p);
        ui_para_add(&p, UI_S_LABEL, "value ");
        ui_para_addf(&p, UI_S_VALUE, "%.*s", (int)o.value_len, o.value);
        canvas_para(c, x, y, w, 0, 1, &p, NULL);
        if (++y >= ymax)
            return;
    }
    if (o.weakref_target || o.weakrefs) {
        ui_para_init(&p);
        if (o.weakref_target)
            ui_para_addf(&p, UI_S_NORMAL, "weak reference to %s", fmt_addr(bb, o.weakref_target, 0, c->ascii));
        else
            ui_para_addf(&p, UI_S_NORMAL, "%" PRIu32 " weak reference%s to it", o.weakrefs, o.weakrefs == 1 ? "" : "s");
        if ((y += canvas_para(c, x, y, w, 0, ymax - y, &p, NULL)) >= ymax)
            return;
    }
    struct model_ref refs[16];
    size_t n = model_object_referrers(m, o.addr, refs, 16);
    paint_refs(c, m, x, y, w, "referrers ", refs, n < 16 ? n : 16, n, o.addr, true);
    if (++y >= ymax)
        return;
    n = model_object_referents(m, o.addr, refs, 16);
    paint_refs(c, m, x, y, w, "referents ", refs, n < 16 ? n : 16, n, o.addr, false);
    if (++y >= ymax)
        return;
    if (o.mark >= 0 || o.has_gc_refs) {
        int k = canvas_text(c, x, y, w, UI_S_LABEL, "collector: ");
        if (o.has_gc_refs)
            k += canvas_printf(c, x + k, y, w - k, UI_S_VALUE, "gc_refs %" PRId64 "  ", o.gc_refs);
        if (o.mark >= 0)
            canvas_text_fit(c, x + k, y, w - k,
                            o.mark == EV_GC_MARK_UNREACHABLE || o.mark == EV_GC_MARK_TENTATIVE ? UI_S_UNREACHABLE
                                                                                                 : UI_S_REACHABLE,
                            view_gc_mark_text(o.mark, w - k));
        if (++y >= ymax)
            return;
    }
    /* where it was allocated: the object's own stack, or that of the block its memory came
     * from; the frames innermost first, each whole, over the rows left */
    uint32_t stack = o.stack;
    struct model_block blk;
    if (!stack && o.block && model_block_find(m, o.block, &blk))
        stack = blk.stack;
    struct ui_para at;
    ui_para_init(&at);
    ui_para_add(&at, UI_S_LABEL, "allocated at ");
    const char *ftext;
    size_t flen;
    if (stack && model_stack_frame(m, stack, 0, &ftext, &flen)) {
        for (uint32_t i = 0; model_stack_frame(m, stack, i, &ftext, &flen); i++) {
            char frame[256];
            model_frame_format(ftext, flen, frame, sizeof frame);
            if (i)
                ui_para_add(&at, UI_S_DIM, c->ascii ? " < " : " \xe2\x86\x90 ");
            ui_para_add_whole(&at, UI_S_NORMAL, frame);
        }
    } else {
        ui_para_addf(&at, UI_S_DIM, "event %" PRIu64 " (no call stack recorded)", o.seq_new);
    }
    canvas_para(c, x, y, w, 0, ymax - y, &at, NULL);
}

void view_objects(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    const struct model *m = app_model(app);
    const uint64_t *objs;
    size_t n = app_objects(app, &objs);
    char title[64], cb[32];
    snprintf(title, sizeof title, "Objects: %s live", fmt_count(cb, n));
    int x, y, w, h;
    if (!canvas_pane(c, r, title, focus, 20, 2, NULL, &x, &y, &w, &h))
        return;
    /* zoomed, there is room for the selected object's references without asking */
    bool open = app->objects.open || app->zoomed == UI_PANE_OBJECTS;
    int detail_h = open ? (h >= 16 ? 9 : h / 2) : 0;
    int legend_h = h - 1 - detail_h >= 5 ? 1 : 0; /* what the counts are, under the list */
    int list_h = h - 1 - detail_h - legend_h;
    int addr_w = w >= 64 ? 15 : 8;
    int addr_digits = w >= 64 ? 0 : 6;
    int type_w = w >= 64 ? 12 : 9;
    int col = 0;
    canvas_text(c, x, y, addr_w, UI_S_LABEL, "address");
    col += addr_w + 1;
    canvas_text(c, x + col, y, type_w, UI_S_LABEL, "type");
    col += type_w + 1;
    /* a narrow pane keeps the names (what a class talks about) and drops size and class */
    bool compact = w < 50;
    if (compact)
        type_w = 8;
    col = addr_w + 1 + type_w + 1;
    canvas_text(c, x + addr_w + 1, y, type_w, UI_S_LABEL, "type");
    canvas_text(c, x + col, y, w - col, UI_S_LABEL, compact ? "refs gen names" : " size cls refs gen names");
    y++;
    if (n == 0)
        canvas_text(c, x + 1, y + 1, w - 2, UI_S_DIM, "no live object");

    int sel = -1;
    for (size_t i = 0; i < n; i++)
        if (objs[i] == app->objects.sel) {
            sel = (int)i;
            break;
        }
    int scroll = app_scroll_to_show(app->objects.scroll, sel, (int)n, list_h);
    f->objects = (struct ui_settled){.set = true, .scroll = scroll};

    uint64_t pos = app_position(app);
    for (int row = 0; row < list_h && scroll + row < (int)n; row++) {
        struct model_object o;
        uint64_t addr = objs[scroll + row];
        int ry = y + row;
        if (!model_object_find(m, addr, &o))
            continue;
        char ab[24], gb[12], names[128], cls[12];
        canvas_text(c, x, ry, addr_w, UI_S_NORMAL, fmt_addr(ab, addr, addr_digits, c->ascii));
        int cx = x + addr_w + 1;
        canvas_text_fit(c, cx, ry, type_w, UI_S_VALUE, o.type_name ? o.type_name : "?");
        cx += type_w + 1;
        if (o.szidx != MODEL_NO_CLASS)
            snprintf(cls, sizeof cls, "%" PRIu32, o.szidx);
        else
            snprintf(cls, sizeof cls, "%s", o.flags & MODEL_OBJ_STATIC ? "st" : "raw");
        if (!compact)
            cx += canvas_printf(c, cx, ry, x + w - cx, UI_S_NORMAL, "%5" PRIu64 " %3s ", o.size, cls);
        bool changed = pos > 0 && o.seq_refcnt == pos - 1;
        /* a static object's count is the interpreter's large start plus its uses: the detail
         * below gives the number, the column says what it is */
        if (o.flags & MODEL_OBJ_STATIC)
            cx += canvas_text(c, cx, ry, x + w - cx, changed ? UI_S_CHANGED : UI_S_DIM, c->ascii ? " inf" : "   ∞");
        else
            cx += canvas_printf(c, cx, ry, x + w - cx, changed ? UI_S_CHANGED : UI_S_NORMAL, "%4" PRIu64, o.refcnt);
        cx += canvas_printf(c, cx, ry, x + w - cx, o.gen == 0 ? UI_S_GEN0 : o.gen == 1 ? UI_S_GEN1 : UI_S_GEN2, " %3s ",
                            gen_text(&o, gb));
        if (names_of(m, addr, names, sizeof names) > 0)
            canvas_text_fit(c, cx, ry, x + w - cx, UI_S_NORMAL, names);
        if (addr == app->objects.sel)
            canvas_add_attr(c, (struct ui_rect){x, ry, w, 1}, UI_A_REVERSE);
        ui_frame_hit(f, (struct ui_rect){x + c->ox, ry + c->oy, w, 1}, UI_HIT_OBJECT, addr, 0, 0);
    }
    if (scroll > 0)
        canvas_glyph(c, r.x + r.w - 1, y, UI_G_ARROW_UP, UI_S_FRAME_FOCUS);
    if (scroll + list_h < (int)n)
        canvas_glyph(c, r.x + r.w - 1, y + list_h - 1, UI_G_ARROW_DOWN, UI_S_FRAME_FOCUS);
    if (legend_h) {
        /* the count a refcount demo quotes is sys.getrefcount's: say how the two differ */
        static const char *const legend[] = {
            "refs: true counts (sys.getrefcount shows one more: its own argument); \u221e static, never freed",
            "refs: true counts (sys.getrefcount shows one more); \u221e static",
            "refs: true (getrefcount shows one more)", "refs: true; getrefcount +1"};
        static const char *const legend_ascii[] = {
            "refs: true counts (sys.getrefcount shows one more: its own argument); inf static, never freed",
            "refs: true counts (sys.getrefcount shows one more); inf static", "refs: true (getrefcount shows one more)",
            "refs: true; getrefcount +1"};
        canvas_text_choose(c, x, y + list_h, w, UI_S_DIM, c->ascii ? legend_ascii : legend, 4);
    }
    if (detail_h > 0) {
        int dy = y + list_h + legend_h;
        for (int i = 0; i < w; i++)
            canvas_glyph(c, x + i, dy, UI_G_HLINE, UI_S_FRAME);
        paint_detail(app, c, x, dy + 1, w, detail_h - 1);
    }
}
