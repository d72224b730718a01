/*
 * menu.c - a full-screen list to pick from (the demo menu of `arenascope demo`).
 */
#include <ui/keys.h>
#include <ui/layout.h>
#include <ui/ui.h>

#include <stdio.h>
#include <string.h>

/* Paints the menu; *item_y is the row of item *first, the first one shown. */
static void menu_paint(struct canvas *c, const char *title, const char *intro, const struct ui_menu_item *items,
                       size_t n, size_t sel, int *item_y, size_t *first_shown)
{
    canvas_clear(c);
    struct ui_rect header = {0, 0, c->cols, 1};
    canvas_fill(c, header, UI_G_SPACE, UI_S_HEADER);
    int k = canvas_text(c, 1, 0, -1, UI_S_HEADER_VALUE, "arenascope");
    canvas_text(c, 1 + k + 2, 0, c->cols - k - 4, UI_S_HEADER, title);
    int y = 2;
    if (intro) {
        /* the intro, wrapped at word boundaries */
        const char *p = intro;
        int w = c->cols - 4;
        while (*p && y < c->rows - 4) {
            int len = (int)strlen(p), cut = len;
            if (len > w) {
                cut = w;
                while (cut > 0 && p[cut] != ' ')
                    cut--;
                if (cut == 0)
                    cut = w;
            }
            canvas_textn(c, 2, y++, w, UI_S_NORMAL, p, (size_t)cut);
            p += cut;
            while (*p == ' ')
                p++;
        }
        y++;
    }
    int name_w = 0;
    for (size_t i = 0; i < n; i++) {
        int w = ui_text_width(items[i].name);
        if (w > name_w)
            name_w = w;
    }
    int list_h = c->rows - y - 2;
    size_t first = 0;
    if (list_h > 0 && sel >= (size_t)list_h)
        first = sel - (size_t)list_h + 1;
    *item_y = y;
    *first_shown = first;
    for (size_t i = first; i < n && y < c->rows - 2; i++, y++) {
        bool is_sel = i == sel;
        if (is_sel)
            canvas_glyph(c, 2, y, UI_G_POINTER, UI_S_MARK_STEP);
        canvas_text(c, 4, y, name_w, UI_S_VALUE, items[i].name);
        canvas_text_fit(c, 4 + name_w + 3, y, c->cols - name_w - 8, UI_S_NORMAL, items[i].summary);
        if (is_sel)
            canvas_add_attr(c, (struct ui_rect){4, y, c->cols - 6, 1}, UI_A_REVERSE);
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

void ui_menu_paint(struct canvas *c, const char *title, const char *intro, const struct ui_menu_item *items,
                   size_t n, size_t sel)
{
    int y;
    size_t first;
    menu_paint(c, title, intro, items, n, sel, &y, &first);
}

int ui_menu_run(struct ui_term *term, const char *title, const char *intro, const struct ui_menu_item *items,
                size_t n)
{
    struct canvas c;
    if (n == 0 || canvas_init(&c, 80, 24, term->ascii) < 0)
        return -1;
    size_t sel = 0, first = 0;
    int result = -1, item_y = 0;
    bool repaint = true;
    for (;;) {
        if (repaint) {
            int cols, rows;
            term->size(term->ctx, &cols, &rows);
            if (canvas_resize(&c, cols, rows) < 0)
                break;
            menu_paint(&c, title, intro, items, n, sel, &item_y, &first);
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
            long idx = (long)first + (in.y - item_y);
            if (in.y >= item_y && idx >= 0 && (size_t)idx < n && in.y < c.rows - 2) {
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
