/*
 * view_names.c - a real program's names after the line just run, in the Objects pane's place.
 *
 *   ┌ Names after line 4 ─────────────────────────────────────────────────┐
 *   │ name  type  value                  size refs gc   where              │
 *   │ a     list  [1, 2, 3]                88    3 g0   a0 p36 b227        │
 *   │ d     dict  {'k': [1, 2, 3]}        184    1 g2   a0 p41 b12         │
 *   │ freed by line 5: b                                                   │
 *   │ refs: true counts (sys.getrefcount shows one more)                   │
 *   └──────────────────────────────────────────────────────────────────────┘
 *
 * The capture takes a snapshot of the names of the program's innermost frame and its module
 * right after each line step's marker, before the line runs (snap_name, snap_ref; see
 * tracer/capture/names.c): the object bound to each name, its type, size, true reference count,
 * whether the collector tracks it and in which generation, its repr.  The gc column says g0, g1,
 * g2 or perm (gc.freeze) for a tracked object, "trk" when its generation was not recorded (an
 * older trace), "unt" for an untracked object of a type the collector can track, "-" for the
 * others.  At the position the step keys stop at (just before
 * the next marker) the line just run has had its effects, and the snapshot that shows them is
 * the one after the next marker: app_names_prepare() reads it from the events ahead, without
 * moving the model.  The model's own snapshot (taken before the line ran) tells what the line
 * unbound.  After the last line there is no snapshot ahead: the pane then shows the one from
 * before it, and says so.  Where an object lives (arena, pool, block) is the model's, at the
 * position.  Enter draws the selected object's references among the named objects; `p` shows its
 * block in the Pool pane.
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SNAP_EVENTS 4096 /* events after a marker read for its snapshot, at most */

static bool match_step(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP;
}

/* Copies a text into the names' buffer; NULL when full. */
static const char *keep_text(struct ui_names *nm, const char *text, size_t len)
{
    if (nm->text_len + len + 1 > sizeof nm->text)
        return NULL;
    char *p = nm->text + nm->text_len;
    memcpy(p, text, len);
    p[len] = '\0';
    nm->text_len += len + 1;
    return p;
}

/* A snap_name's "NAME=REPR" into a ui_name. */
static bool add_name(struct ui_names *nm, struct ui_name *out, uint64_t obj, uint32_t type, uint64_t size,
                     uint64_t refcnt, uint32_t flags, uint32_t gen, const char *text, size_t len)
{
    const char *eq = memchr(text, '=', len);
    size_t nlen = eq ? (size_t)(eq - text) : len;
    const char *name = keep_text(nm, text, nlen);
    const char *repr = eq ? keep_text(nm, eq + 1, len - nlen - 1) : keep_text(nm, "", 0);
    if (!name || !repr)
        return false;
    *out = (struct ui_name){obj, size, refcnt, type, flags, gen, name, repr, (int)nlen, eq ? (int)(len - nlen - 1) : 0};
    return true;
}

static bool is_named(const struct ui_names *nm, const char *name, size_t len)
{
    for (size_t i = 0; i < nm->n; i++)
        if ((size_t)nm->names[i].name_len == len && memcmp(nm->names[i].name, name, len) == 0)
            return true;
    return false;
}

/* The snapshot after the marker at `marker`: false when none was read. */
static bool read_ahead(struct ui_app *app, uint64_t marker)
{
    struct ui_names *nm = &app->names;
    uint64_t count = app_event_count(app);
    uint64_t to = marker + 1 + SNAP_EVENTS < count ? marker + 1 + SNAP_EVENTS : count;
    static const size_t strsize = 1 << 17;
    struct event *evs = malloc(256 * sizeof *evs);
    char *str = malloc(strsize);
    bool done = false;
    for (uint64_t seq = marker + 1; evs && str && seq < to && !done;) {
        size_t want = to - seq < 256 ? (size_t)(to - seq) : 256;
        int n = seeker_events(app->s, seq, evs, want, str, strsize);
        if (n <= 0)
            break;
        for (int i = 0; i < n && !done; i++) {
            const struct event *ev = &evs[i];
            if (ev->kind == EV_STEP) {
                done = true;
            } else if (ev->kind == EV_SNAP_NAME && nm->n < UI_NAMES_MAX) {
                const struct event_snap_name *sn = &ev->u.snap_name;
                if (add_name(nm, &nm->names[nm->n], sn->obj, (uint32_t)sn->type, sn->size, sn->refcnt,
                             (uint32_t)sn->flags, sn->gen < EV_SNAP_GEN_COUNT ? (uint32_t)sn->gen : EV_SNAP_GEN_UNKNOWN,
                             ev->str ? ev->str : "", ev->str_len))
                    nm->n++;
            } else if (ev->kind == EV_TYPE_NEW && nm->ntypes < sizeof nm->types / sizeof nm->types[0]) {
                const char *name = keep_text(nm, ev->str ? ev->str : "", ev->str_len);
                if (name) {
                    nm->types[nm->ntypes].id = (uint32_t)ev->u.type_new.type;
                    nm->types[nm->ntypes++].name = name;
                }
            } else if (ev->kind == EV_SNAP_REF && nm->nrefs < UI_NAMES_REFS) {
                /* the capture writes one event per reference: count them */
                uint64_t from = ev->u.snap_ref.from, to_obj = ev->u.snap_ref.to;
                size_t k = 0;
                while (k < nm->nrefs && !(nm->refs[k].from == from && nm->refs[k].to == to_obj))
                    k++;
                if (k == nm->nrefs)
                    nm->refs[nm->nrefs++] = (struct model_snap_ref){from, to_obj, 1};
                else
                    nm->refs[k].count++;
            }
        }
        seq += (uint64_t)n;
    }
    free(str);
    free(evs);
    return nm->n > 0 || done;
}

void app_names_prepare(struct ui_app *app)
{
    struct ui_names *nm = &app->names;
    uint64_t pos = app_position(app), count = app_event_count(app);
    if (nm->pos == pos && nm->count == count)
        return;
    memset(nm, 0, sizeof *nm);
    nm->pos = pos;
    nm->count = count;
    if (!app_has_code(app))
        return;
    const struct model *m = app_model(app);
    struct model_step st;
    bool line_step = model_step_current(m, &st) && st.kind == EV_STEP_LINE;
    nm->line = app->code.ran;
    struct model_snap_name before[MODEL_SNAP_NAMES];
    size_t nbefore = line_step ? model_snap_names(m, false, before, MODEL_SNAP_NAMES) : 0;

    uint64_t found;
    struct event ev;
    char label[64];
    if (line_step && seeker_scan(app->s, pos, true, match_step, NULL, &found) > 0 &&
        seeker_events(app->s, found, &ev, 1, label, sizeof label) == 1 && ev.u.step.kind == EV_STEP_LINE &&
        read_ahead(app, found)) {
        nm->have = true;
    } else if (nbefore > 0) {
        /* nothing ahead (the last line, or a live program not yet past it): the names before */
        nm->have = nm->before = true;
        for (size_t i = 0; i < nbefore && nm->n < UI_NAMES_MAX; i++) {
            const struct model_snap_name *b = &before[i];
            char text[UI_NAMES_TEXT / 4];
            int len = snprintf(text, sizeof text, "%.*s=%.*s", (int)b->name_len, b->name, (int)b->repr_len, b->repr);
            if (len >= (int)sizeof text)
                len = (int)sizeof text - 1;
            if (add_name(nm, &nm->names[nm->n], b->obj, b->type, b->size, b->refcnt, b->flags, b->gen, text,
                         (size_t)len))
                nm->n++;
        }
        nm->nrefs = model_snap_refs(m, nm->refs, UI_NAMES_REFS);
        if (nm->nrefs > UI_NAMES_REFS)
            nm->nrefs = UI_NAMES_REFS;
        return;
    }
    /* what the line unbound: named before it, not after */
    for (size_t i = 0; i < nbefore && nm->ngone < UI_NAMES_MAX; i++) {
        const struct model_snap_name *b = &before[i];
        if (is_named(nm, b->name, b->name_len))
            continue;
        char text[UI_NAMES_TEXT / 4];
        int len = snprintf(text, sizeof text, "%.*s=", (int)b->name_len, b->name);
        if (add_name(nm, &nm->gone[nm->ngone], b->obj, b->type, b->size, b->refcnt, b->flags, b->gen, text,
                     (size_t)len))
            nm->ngone++;
    }
}

/* ---- painting ------------------------------------------------------------------------------- */

#define GEN_WORD(name, word, text) [EV_##name] = word,
static const char *const gen_words[] = {EV_SNAP_GENS(GEN_WORD)};
#undef GEN_WORD

const char *ui_name_gc_text(const struct ui_name *e)
{
    if (!(e->flags & EV_SNAP_GC))
        return "-";
    if (!(e->flags & EV_SNAP_TRACKED))
        return "unt";
    return e->gen != EV_SNAP_GEN_UNKNOWN && e->gen < EV_SNAP_GEN_COUNT ? gen_words[e->gen] : "trk";
}

/* "a0 p36 b227": the arena slot, pool index and block index of an object's address; "-" when it
 * is not in an arena (the C library's malloc, or static). */
static const char *where_text(const struct model *m, uint64_t obj, char buf[40])
{
    struct model_pool p;
    struct model_block b;
    if (!model_pool_find(m, obj, &p) || !model_block_find(m, obj, &b)) {
        snprintf(buf, 40, "-");
        return buf;
    }
    snprintf(buf, 40, "a%" PRIu32 " p%" PRIu32 " b%" PRIu32, p.slot, p.index, b.index);
    return buf;
}

/* A type's name: the model's, or one defined with the snapshot ahead. */
static const char *type_text(const struct ui_names *nm, const struct model *m, uint32_t type)
{
    struct model_type t;
    if (model_type(m, type, &t) && t.name)
        return t.name;
    for (size_t i = 0; i < nm->ntypes; i++)
        if (nm->types[i].id == type)
            return nm->types[i].name;
    return "?";
}

/* Whether the object is still in an allocated block (or not in an arena at all). */
/* The type of a named object, "object" when no name is bound to obj. */
static const char *named_type_text(const struct ui_names *nm, const struct model *m, uint64_t obj)
{
    for (size_t i = 0; i < nm->n; i++)
        if (nm->names[i].obj == obj)
            return type_text(nm, m, nm->names[i].type);
    return "object";
}

static bool object_is_freed(const struct model *m, uint64_t obj)
{
    struct model_block b;
    return model_block_find(m, obj, &b) && b.state != MODEL_BLOCK_ALLOCATED;
}

/* The names bound to obj, "a, b", in buf. */
static const char *names_of(const struct ui_names *nm, uint64_t obj, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nm->n; i++) {
        if (nm->names[i].obj != obj)
            continue;
        int k = snprintf(buf + used, len - used, "%s%.*s", used ? ", " : "", nm->names[i].name_len, nm->names[i].name);
        if (k < 0 || (size_t)k >= len - used)
            break;
        used += (size_t)k;
    }
    return buf;
}

/* The selected object's references among the named objects, as a small graph:
 *     a, b ──▶ list [1, 2, 3]
 *              ├─▶ int 0 (i)
 *     d ──▶ dict ──┘ */
static void paint_graph(const struct ui_app *app, struct canvas *c, int x, int y, int w, int h)
{
    const struct ui_names *nm = &app->names;
    const struct model *m = app_model(app);
    if (app->names_ui.sel < 0 || (size_t)app->names_ui.sel >= nm->n)
        return;
    const struct ui_name *sel = &nm->names[app->names_ui.sel];
    const char *arrow = c->ascii ? "-->" : "\xe2\x94\x80\xe2\x94\x80\xe2\x96\xb6";
    const char *branch = c->ascii ? "+->" : "\xe2\x94\x94\xe2\x94\x80\xe2\x96\xb6";
    char names[160], line[512];
    int ymax = y + h;
    snprintf(line, sizeof line, "%s %s %s %.*s", names_of(nm, sel->obj, names, sizeof names), arrow,
             type_text(nm, m, sel->type), sel->repr_len, sel->repr);
    canvas_text_fit(c, x, y++, w, UI_S_VALUE, line);
    int indent = ui_text_width(names) + 1;
    size_t shown = 0;
    for (size_t i = 0; i < nm->nrefs && y < ymax; i++) {
        if (nm->refs[i].from != sel->obj)
            continue;
        int k = snprintf(line, sizeof line, "%*s%s %s (%s)", indent, "", branch, named_type_text(nm, m, nm->refs[i].to),
                         names_of(nm, nm->refs[i].to, names, sizeof names));
        if (nm->refs[i].count > 1)
            snprintf(line + k, sizeof line - (size_t)k, " x%" PRIu32, nm->refs[i].count);
        canvas_text_fit(c, x, y++, w, UI_S_NORMAL, line);
        shown++;
    }
    for (size_t i = 0; i < nm->nrefs && y < ymax; i++) {
        if (nm->refs[i].to != sel->obj)
            continue;
        snprintf(line, sizeof line, "%s (%s) %s this %s", named_type_text(nm, m, nm->refs[i].from),
                 names_of(nm, nm->refs[i].from, names, sizeof names), arrow, type_text(nm, m, sel->type));
        canvas_text_fit(c, x, y++, w, UI_S_NORMAL, line);
        shown++;
    }
    if (shown == 0 && y < ymax)
        canvas_text(c, x, y, w, UI_S_DIM, "no reference to or from another named object");
}

void view_names(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    const struct ui_names *nm = &app->names;
    const struct model *m = app_model(app);
    char title[96];
    if (!nm->have)
        snprintf(title, sizeof title, "Names");
    else if (nm->before)
        snprintf(title, sizeof title, "Names before line %" PRIu32 " ran", nm->line);
    else if (nm->line)
        snprintf(title, sizeof title, "Names after line %" PRIu32, nm->line);
    else
        snprintf(title, sizeof title, "Names");
    /* a function's locals come first, then the module's globals */
    size_t locals = 0;
    for (size_t i = 0; i < nm->n; i++)
        locals += !(nm->names[i].flags & EV_SNAP_GLOBAL);
    if (nm->have && locals && r.w >= 60)
        snprintf(title + strlen(title), sizeof title - strlen(title), ": %zu local%s, then the module's", locals,
                 locals == 1 ? "" : "s");
    canvas_box(c, r, title, focus);
    int x = r.x + 1, y = r.y + 1, w = r.w - 2, h = r.h - 2;
    if (w < 20 || h < 1)
        return;
    if (!nm->have) {
        canvas_text(c, x + 1, y, w - 1, UI_S_DIM,
                    w >= 44 ? "no names yet: they are shown at each line" : "no names yet");
        return;
    }
    /* columns: name, type, value, then size, refs, gc and where on the right; the value gives way
     * first, then gc */
    int name_w = 4, type_w = 4;
    for (size_t i = 0; i < nm->n; i++) {
        int nw = nm->names[i].name_len, tw = ui_text_width(type_text(nm, m, nm->names[i].type));
        name_w = nw > name_w ? nw : name_w;
        type_w = tw > type_w ? tw : type_w;
    }
    name_w = name_w > 12 ? 12 : name_w;
    type_w = type_w > 10 ? 10 : type_w;
    int where_w = 11, size_w = 5, refs_w = 5, gc_w = 5;
    int value_w = w - (name_w + 1 + type_w + 1 + 1 + size_w + refs_w + 1 + gc_w + 1 + where_w);
    if (value_w < 8) {
        value_w += gc_w;
        gc_w = 0;
    }
    if (value_w < 6) {
        value_w += type_w - 5;
        type_w = 5;
    }
    int legend_rows = h >= 5 ? 1 : 0;
    int gone_rows = nm->ngone && h >= 6 ? 1 : 0;
    bool open = app->names_ui.open || app->zoomed == UI_PANE_OBJECTS;
    int graph_h = open && h >= 10 ? (h >= 16 ? 6 : 4) : 0;
    int list_h = h - 1 - legend_rows - gone_rows - graph_h;

    int cx = x;
    canvas_text(c, cx, y, name_w, UI_S_LABEL, "name");
    cx += name_w + 1;
    canvas_text(c, cx, y, type_w, UI_S_LABEL, "type");
    cx += type_w + 1;
    canvas_text(c, cx, y, value_w, UI_S_LABEL, "value");
    cx += value_w + 1;
    canvas_text(c, cx, y, -1, UI_S_LABEL, gc_w ? " size refs gc   where" : " size refs where");
    y++;
    int n = (int)nm->n;
    int sel = app->names_ui.sel < n ? app->names_ui.sel : n - 1;
    int scroll = app_scroll_to_show(app->names_ui.scroll, sel, n, list_h);
    f->names = (struct ui_settled){.set = true, .scroll = scroll, .sel = sel < 0 ? 0 : sel};
    for (int row = 0; row < list_h && scroll + row < n; row++) {
        const struct ui_name *e = &nm->names[scroll + row];
        int ry = y + row;
        char buf[64], wb[40];
        snprintf(buf, sizeof buf, "%.*s", e->name_len, e->name);
        cx = x;
        canvas_text_fit(c, cx, ry, name_w, UI_S_VALUE, buf);
        cx += name_w + 1;
        canvas_text_fit(c, cx, ry, type_w, UI_S_NORMAL, type_text(nm, m, e->type));
        cx += type_w + 1;
        char value[256];
        snprintf(value, sizeof value, "%.*s", e->repr_len, e->repr);
        for (char *p = value; *p; p++)
            if ((unsigned char)*p < 0x20)
                *p = ' ';
        if (ui_text_width(value) <= value_w)
            canvas_text(c, cx, ry, value_w, UI_S_NORMAL, value);
        else
            canvas_text_fit(c, cx, ry, value_w, UI_S_NORMAL, value);
        cx += value_w + 1;
        bool immortal = e->flags & EV_SNAP_IMMORTAL;
        if (immortal)
            cx += canvas_printf(c, cx, ry, -1, UI_S_NORMAL, "%5" PRIu64 "  imm", e->size);
        else
            cx += canvas_printf(c, cx, ry, -1, UI_S_NORMAL, "%5" PRIu64 "%5" PRIu64, e->size, e->refcnt);
        if (gc_w) {
            cx += canvas_printf(c, cx, ry, -1, UI_S_NORMAL, " %-4s", ui_name_gc_text(e));
        }
        canvas_text_fit(c, cx + 1, ry, x + w - cx - 1, UI_S_DIM, where_text(m, e->obj, wb));
        if (focus && scroll + row == sel)
            canvas_add_attr(c, (struct ui_rect){x, ry, w, 1}, UI_A_REVERSE);
        ui_frame_hit(f, (struct ui_rect){x + c->ox, ry + c->oy, w, 1}, UI_HIT_NAME, (uint64_t)(scroll + row), 0, 0);
    }
    if (scroll > 0)
        canvas_glyph(c, r.x + r.w - 1, y, UI_G_ARROW_UP, UI_S_FRAME_FOCUS);
    if (scroll + list_h < n)
        canvas_glyph(c, r.x + r.w - 1, y + list_h - 1, UI_G_ARROW_DOWN, UI_S_FRAME_FOCUS);
    int by = y + list_h;
    if (graph_h) {
        for (int i = 0; i < w; i++)
            canvas_glyph(c, x + i, by, UI_G_HLINE, UI_S_FRAME);
        paint_graph(app, c, x, by + 1, w, graph_h - 1);
        by += graph_h;
    }
    if (gone_rows) {
        /* freed (its block is free now) or only unbound, by the line just run */
        char freed[256] = "", unbound[256] = "";
        for (size_t i = 0; i < nm->ngone; i++) {
            char *into = object_is_freed(m, nm->gone[i].obj) ? freed : unbound;
            size_t used = strlen(into);
            snprintf(into + used, 256 - used, "%s%.*s", used ? ", " : "", nm->gone[i].name_len, nm->gone[i].name);
        }
        struct ui_para p;
        ui_para_init(&p);
        if (freed[0])
            ui_para_addf(&p, UI_S_CODE_NOTE, "freed by line %" PRIu32 ": %s  ", nm->line, freed);
        if (unbound[0])
            ui_para_addf(&p, UI_S_DIM, "unbound by line %" PRIu32 ": %s", nm->line, unbound);
        canvas_para(c, x, by, w, 0, 1, &p, NULL);
        by++;
    }
    if (legend_rows) {
        static const char *const legend[] = {
            "refs: true count (sys.getrefcount shows one more); where: arena, pool, block",
            "refs: true count (sys.getrefcount shows one more)", "refs: getrefcount shows one more"};
        canvas_text_choose(c, x, by, w, UI_S_DIM, legend, 3);
    }
}
