/*
 * menu.c - a full-screen list to pick from (the demo menu of `arenascope demo`).
 */
#include <ui/keys.h>
#include <ui/layout.h>
#include <ui/ui.h>

#include <stdio.h>
#include <string.h>

/* Where the list goes: its first row, the column the summaries start at and their width. */
struct menu_geometry {
    int list_y, list_end; /* rows [list_y, list_end) */
    int sum_x, sum_w;
};

static void summary_para(const struct ui_menu_item *item, struct ui_para *p)
{
    ui_para_init(p);
    ui_para_add(p, UI_S_NORMAL, item->summary);
}

/* Rows item i takes: its summary, wrapped. */
static int item_rows(const struct ui_menu_item *item, const struct menu_geometry *g)
{
    struct ui_para p;
    summary_para(item, &p);
    int rows = ui_para_rows(&p, g->sum_w, 0, NULL);
    return rows < 1 ? 1 : rows;
}

/* The first item shown so that `sel` is in view. */
static size_t first_item(const struct ui_menu_item *items, size_t sel, const struct menu_geometry *g)
{
    size_t first = sel;
    int used = item_rows(&items[sel], g);
    while (first > 0 && used + item_rows(&items[first - 1], g) <= g->list_end - g->list_y)
        used += item_rows(&items[--first], g);
    return first;
}

/* Paints the menu and says where its list went. */
static void menu_paint(struct canvas *c, const char *title, const char *intro, const struct ui_menu_item *items,
                       size_t n, size_t sel, struct menu_geometry *g, size_t *first_shown)
{
    canvas_clear(c);
    struct ui_rect header = {0, 0, c->cols, 1};
    canvas_fill(c, header, UI_G_SPACE, UI_S_HEADER);
    int k = canvas_text(c, 1, 0, -1, UI_S_HEADER_VALUE, "arenascope");
    canvas_text_fit(c, 1 + k + 2, 0, c->cols - k - 4, UI_S_HEADER, title);
    int y = 2;
    if (intro) {
        struct ui_para p;
        ui_para_init(&p);
        ui_para_add(&p, UI_S_NORMAL, intro);
        y += canvas_para(c, 2, y, c->cols - 4, 0, c->rows - 6 - y > 1 ? c->rows - 6 - y : 1, &p, NULL) + 1;
    }
    int name_w = 0;
    for (size_t i = 0; i < n; i++) {
        int w = ui_text_width(items[i].name);
        if (w > name_w)
            name_w = w;
    }
    g->list_y = y;
    g->list_end = c->rows - 2;
    g->sum_x = 4 + name_w + 2;
    g->sum_w = c->cols - g->sum_x - 1;
    size_t first = n ? first_item(items, sel, g) : 0;
    *first_shown = first;
    for (size_t i = first; i < n && y < g->list_end; i++) {
        bool is_sel = i == sel;
        struct ui_para p;
        summary_para(&items[i], &p);
        if (is_sel)
            canvas_glyph(c, 2, y, UI_G_POINTER, UI_S_MARK_STEP);
        canvas_text(c, 4, y, name_w, UI_S_VALUE, items[i].name);
        int rows = canvas_para(c, g->sum_x, y, g->sum_w, 0, g->list_end - y, &p, NULL);
        if (rows < 1)
            rows = 1;
        if (is_sel)
            canvas_add_attr(c, (struct ui_rect){4, y, c->cols - 5, rows}, UI_A_REVERSE);
        y += rows;
    }
    struct ui_rect footer = {0, c->rows - 1, c->cols, 1};
    canvas_fill(c, footer, UI_G_SPACE, UI_S_FOOTER);
    int x = 0;
    static const char *const keys[][2] = {{"Enter", "Start"}, {"j k", "Move"}, {"q", "Quit"}};
    for (size_t i = 0; i < 3; i++) {
        canvas_put(c, x++, c->rows - 1, ' ', UI_S_FOOTER_KEY);
        x += canvas_text(c, x, c->rows - 1, -1, UI_S_FOOTER_KEY, keys[i][0]);
        canvas_put(c, x++, c->rows - 1, ' ', UI_S_FOOTER_KEY);
        x += canvas_text(c, x, c->rows - 1, -1, UI_S_FOOTER, keys[i][1]);
        x += canvas_text(c, x, c->rows - 1, -1, UI_S_FOOTER, " ");
    }
}

/* The item painted at row y, or -1. */
static long item_at(const struct ui_menu_item *items, size_t n, size_t first, const struct menu_geometry *g, int y)
{
    int row = g->list_y;
    for (size_t i = first; i < n && row < g->list_end; i++) {
        int rows = item_rows(&items[i], g);
        if (y >= row && y < row + rows && y < g->list_end)
            return (long)i;
        row += rows;
    }
    return -1;
}

void ui_menu_paint(struct canvas *c, const char *title, const char *intro, const struct ui_menu_item *items,
                   size_t n, size_t sel)
{
    struct menu_geometry g;
    size_t first;
    menu_paint(c, title, intro, items, n, sel, &g, &first);
}

int ui_menu_run(struct ui_term *term, const char *title, const char *intro, const struct ui_menu_item *items,
                size_t n, size_t start)
{
    struct canvas c;
    if (n == 0 || canvas_init(&c, 80, 24, term->ascii) < 0)
        return -1;
    size_t sel = start < n ? start : 0, first = 0;
    int result = -1;
    struct menu_geometry g = {0, 0, 0, 1};
    bool repaint = true;
    for (;;) {
        if (repaint) {
            int cols, rows;
            term->size(term->ctx, &cols, &rows);
            if (canvas_resize(&c, cols, rows) < 0)
                break;
            menu_paint(&c, title, intro, items, n, sel, &g, &first);
            term->present(term->ctx, &c);
            repaint = false;
        }
        struct ui_input in = term->read(term->ctx, -1);
        if (in.kind == UI_IN_QUIT)
            break;
        if (in.kind == UI_IN_RESIZE) {
            repaint = true;
            continue;
        }
        if (in.kind == UI_IN_MOUSE) {
            long idx = item_at(items, n, first, &g, in.y);
            if (idx >= 0) {
                result = (int)idx;
                break;
            }
            continue;
        }
        if (in.kind != UI_IN_KEY)
            continue;
        enum ui_action a = ui_action_for_key(in.key);
        if (a == UI_ACT_QUIT || a == UI_ACT_BACK)
            break;
        if (a == UI_ACT_ENTER || in.key == ' ') {
            result = (int)sel;
            break;
        }
        if ((a == UI_ACT_UP || a == UI_ACT_PREV) && sel > 0) {
            sel--;
            repaint = true;
        } else if ((a == UI_ACT_DOWN || a == UI_ACT_NEXT) && sel + 1 < n) {
            sel++;
            repaint = true;
        } else if (a == UI_ACT_FIRST) {
            sel = 0;
            repaint = true;
        } else if (a == UI_ACT_LAST) {
            sel = n - 1;
            repaint = true;
        }
    }
    canvas_release(&c);
    return result;
}
