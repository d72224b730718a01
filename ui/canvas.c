/*
 * canvas.c - the cell grid views paint into; see canvas.h.
 */
#include <ui/canvas.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct ui_style_def style_defs[UI_STYLE_COUNT] = {
#define X(name, fg, bg, attr, mono) [UI_S_##name] = {#name, fg, bg, attr, mono},
    UI_STYLES(X)
#undef X
};

const struct ui_style_def *ui_style_def(enum ui_style s)
{
    return &style_defs[(unsigned)s < UI_STYLE_COUNT ? s : UI_S_NORMAL];
}

static const uint32_t glyph_utf8[UI_GLYPH_COUNT] = {
#define X(name, cp, ascii) [UI_G_##name] = cp,
    UI_GLYPHS(X)
#undef X
};

static const char glyph_ascii[UI_GLYPH_COUNT] = {
#define X(name, cp, ascii) [UI_G_##name] = ascii,
    UI_GLYPHS(X)
#undef X
};

uint32_t ui_glyph_char(enum ui_glyph g, bool ascii)
{
    if ((unsigned)g >= UI_GLYPH_COUNT)
        return '?';
    return ascii ? (uint32_t)(unsigned char)glyph_ascii[g] : glyph_utf8[g];
}

int canvas_init(struct canvas *c, int cols, int rows, bool ascii)
{
    memset(c, 0, sizeof *c);
    c->ascii = ascii;
    return canvas_resize(c, cols, rows);
}

void canvas_release(struct canvas *c)
{
    free(c->cells);
    c->cells = NULL;
    c->cols = c->rows = 0;
}

int canvas_resize(struct canvas *c, int cols, int rows)
{
    if (cols < 1)
        cols = 1;
    if (rows < 1)
        rows = 1;
    if (cols != c->cols || rows != c->rows || !c->cells) {
        struct ui_cell *cells = calloc((size_t)cols * (size_t)rows, sizeof *cells);
        if (!cells)
            return -1;
        free(c->cells);
        c->cells = cells;
        c->cols = cols;
        c->rows = rows;
    }
    canvas_clear(c);
    return 0;
}

void canvas_clear(struct canvas *c)
{
    size_t n = (size_t)c->cols * (size_t)c->rows;
    for (size_t i = 0; i < n; i++)
        c->cells[i] = (struct ui_cell){' ', UI_S_NORMAL, 0};
    c->clip = (struct ui_rect){0, 0, c->cols, c->rows};
    c->ox = c->oy = 0;
    c->ncut = c->nabbrev = 0;
    memset(&c->first_cut, 0, sizeof c->first_cut);
}

static struct ui_rect rect_intersect(struct ui_rect a, struct ui_rect b)
{
    int x0 = a.x > b.x ? a.x : b.x;
    int y0 = a.y > b.y ? a.y : b.y;
    int x1 = a.x + a.w < b.x + b.w ? a.x + a.w : b.x + b.w;
    int y1 = a.y + a.h < b.y + b.h ? a.y + a.h : b.y + b.h;
    return (struct ui_rect){x0, y0, x1 - x0, y1 - y0};
}

struct canvas_frame canvas_enter(struct canvas *c, struct ui_rect r)
{
    struct canvas_frame saved = {c->clip, c->ox, c->oy};
    struct ui_rect abs = {r.x + c->ox, r.y + c->oy, r.w, r.h};
    c->clip = rect_intersect(c->clip, abs);
    c->ox = abs.x;
    c->oy = abs.y;
    return saved;
}

void canvas_leave(struct canvas *c, struct canvas_frame saved)
{
    c->clip = saved.clip;
    c->ox = saved.ox;
    c->oy = saved.oy;
}

const struct ui_cell *canvas_cell(const struct canvas *c, int x, int y)
{
    if (x < 0 || y < 0 || x >= c->cols || y >= c->rows)
        return NULL;
    return &c->cells[(size_t)y * (size_t)c->cols + (size_t)x];
}

static struct ui_cell *cell_at(struct canvas *c, int x, int y)
{
    x += c->ox;
    y += c->oy;
    if (!ui_rect_contains(c->clip, x, y))
        return NULL;
    return &c->cells[(size_t)y * (size_t)c->cols + (size_t)x];
}

void canvas_put(struct canvas *c, int x, int y, uint32_t ch, enum ui_style s)
{
    struct ui_cell *cell = cell_at(c, x, y);
    if (cell)
        *cell = (struct ui_cell){ch, (uint8_t)s, 0};
}

void canvas_glyph(struct canvas *c, int x, int y, enum ui_glyph g, enum ui_style s)
{
    canvas_put(c, x, y, ui_glyph_char(g, c->ascii), s);
}

void canvas_add_attr(struct canvas *c, struct ui_rect r, unsigned attr)
{
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++) {
            struct ui_cell *cell = cell_at(c, x, y);
            if (cell)
                cell->attr = (uint8_t)(cell->attr | attr);
        }
}

void canvas_fill(struct canvas *c, struct ui_rect r, enum ui_glyph g, enum ui_style s)
{
    uint32_t ch = ui_glyph_char(g, c->ascii);
    for (int y = r.y; y < r.y + r.h; y++)
        for (int x = r.x; x < r.x + r.w; x++)
            canvas_put(c, x, y, ch, s);
}

/* Decodes one UTF-8 character from s[0..len); returns its length (at least 1) and sets *cp, or
 * U+FFFD for a malformed sequence. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    unsigned char b = s[0];
    size_t n;
    uint32_t v;
    if (b < 0x80) {
        *cp = b;
        return 1;
    } else if ((b & 0xE0) == 0xC0) {
        n = 2;
        v = b & 0x1F;
    } else if ((b & 0xF0) == 0xE0) {
        n = 3;
        v = b & 0x0F;
    } else if ((b & 0xF8) == 0xF0) {
        n = 4;
        v = b & 0x07;
    } else {
        *cp = 0xFFFD;
        return 1;
    }
    if (n > len) {
        *cp = 0xFFFD;
        return 1;
    }
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return i;
        }
        v = (v << 6) | (s[i] & 0x3F);
    }
    static const uint32_t min_for_len[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (v < min_for_len[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        v = 0xFFFD;
    *cp = v;
    return n;
}

/* True for the code points this program trusts to be one column wide everywhere: Latin,
 * Greek, Cyrillic, and the punctuation, arrows, box drawing and shapes blocks. */
static bool is_narrow(uint32_t cp)
{
    if (cp >= 0x20 && cp < 0x7F)
        return true;
    if (cp >= 0xA0 && cp < 0x300)
        return true;
    if (cp >= 0x370 && cp < 0x530)
        return true;
    if (cp >= 0x2010 && cp < 0x2028)
        return true;
    if (cp >= 0x2030 && cp < 0x205F)
        return true;
    if (cp >= 0x2070 && cp < 0x2600)
        return cp < 0x2300 || cp >= 0x2500; /* not the technical block: some are wide */
    if (cp >= 0x2700 && cp < 0x2760)
        return true;
    return false;
}

static uint32_t shown_char(const struct canvas *c, uint32_t cp)
{
    if (!is_narrow(cp))
        return '?';
    if (c->ascii && cp >= 0x80)
        return '?';
    return cp;
}

/* Notes text that lost characters other than blanks: the first one is kept for a test's message. */
static void note_cut(struct canvas *c, int x, int y, const char *text, size_t len)
{
    if (c->ncut++ == 0) {
        c->first_cut.x = x + c->ox;
        c->first_cut.y = y + c->oy;
        size_t n = len < sizeof c->first_cut.text - 1 ? len : sizeof c->first_cut.text - 1;
        memcpy(c->first_cut.text, text, n);
        c->first_cut.text[n] = '\0';
    }
}

/* Paints text; `counted`: characters it loses are noted as a cut. */
static int text_paint(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text, size_t len,
                      bool counted)
{
    if (maxw < 0)
        maxw = c->clip.x + c->clip.w - (x + c->ox);
    const unsigned char *p = (const unsigned char *)text;
    int col = 0;
    size_t i = 0;
    bool lost = false;
    while (i < len && p[i]) {
        uint32_t cp;
        i += utf8_decode(p + i, len - i, &cp);
        if (col >= maxw) {
            lost |= cp != ' ';
            continue;
        }
        if (!cell_at(c, x + col, y))
            lost |= cp != ' ';
        else
            canvas_put(c, x + col, y, shown_char(c, cp), s);
        col++;
    }
    if (lost && counted)
        note_cut(c, x, y, text, len);
    return col;
}

int canvas_textn(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text,
                 size_t len)
{
    return text_paint(c, x, y, maxw, s, text, len, true);
}

int canvas_text(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text)
{
    return canvas_textn(c, x, y, maxw, s, text, strlen(text));
}

int canvas_vprintf(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *fmt,
                   va_list ap)
{
    char buf[1024];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n < 0)
        return 0;
    return canvas_text(c, x, y, maxw, s, buf);
}

int canvas_printf(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = canvas_vprintf(c, x, y, maxw, s, fmt, ap);
    va_end(ap);
    return n;
}

int ui_text_width(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t len = strlen(text);
    int w = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += utf8_decode(p + i, len - i, &cp);
        w++;
    }
    return w;
}

int canvas_text_fit(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text)
{
    if (maxw < 0)
        maxw = c->clip.x + c->clip.w - (x + c->ox);
    if (maxw <= 0)
        return 0;
    if (ui_text_width(text) <= maxw)
        return canvas_text(c, x, y, maxw, s, text);
    int n = text_paint(c, x, y, maxw - 1, s, text, strlen(text), false);
    canvas_glyph(c, x + n, y, UI_G_ELLIPSIS, s);
    c->nabbrev++;
    return n + 1;
}

int canvas_text_choose(struct canvas *c, int x, int y, int w, enum ui_style s, const char *const *texts,
                       size_t n)
{
    if (n == 0 || w <= 0)
        return 0;
    for (size_t i = 0; i + 1 < n; i++)
        if (ui_text_width(texts[i]) <= w)
            return canvas_text(c, x, y, w, s, texts[i]);
    return canvas_text_fit(c, x, y, w, s, texts[n - 1]);
}

/* ---- paragraphs ------------------------------------------------------------------------------ */

void ui_para_init(struct ui_para *p)
{
    p->len = 0;
    p->text[0] = '\0';
    p->nspans = 0;
}

static void para_append(struct ui_para *p, enum ui_style s, bool whole, const char *text, size_t len)
{
    size_t room = UI_PARA_BYTES - 1 - p->len;
    if (len > room) {
        len = room;
        while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
            len--; /* at a character's boundary */
    }
    if (len == 0)
        return;
    memcpy(p->text + p->len, text, len);
    p->len += len;
    p->text[p->len] = '\0';
    struct ui_para_span *last = p->nspans ? &p->span[p->nspans - 1] : NULL;
    if (last && (last->style == s && last->whole == whole)) {
        last->end = (uint16_t)p->len;
    } else if (p->nspans < UI_PARA_SPANS) {
        p->span[p->nspans++] = (struct ui_para_span){(uint16_t)p->len, (uint8_t)s, whole};
    } else {
        last->end = (uint16_t)p->len;
    }
}

void ui_para_add(struct ui_para *p, enum ui_style s, const char *text)
{
    para_append(p, s, false, text, strlen(text));
}

void ui_para_add_whole(struct ui_para *p, enum ui_style s, const char *text)
{
    para_append(p, s, true, text, strlen(text));
}

void ui_para_addf(struct ui_para *p, enum ui_style s, const char *fmt, ...)
{
    char buf[UI_PARA_BYTES];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        para_append(p, s, false, buf, strlen(buf));
}

/* A paragraph as cells: a character, its style, and whether a row may break there. */
struct para_cells {
    int n;
    uint32_t cp[UI_PARA_BYTES];
    uint8_t style[UI_PARA_BYTES];
    bool soft[UI_PARA_BYTES]; /* a blank that may end a row */
};

static void para_cells(const struct ui_para *p, struct para_cells *pc)
{
    const unsigned char *t = (const unsigned char *)p->text;
    size_t i = 0;
    pc->n = 0;
    for (int k = 0; k < p->nspans; k++) {
        const struct ui_para_span *sp = &p->span[k];
        while (i < sp->end) {
            uint32_t cp;
            i += utf8_decode(t + i, sp->end - i, &cp);
            pc->cp[pc->n] = cp;
            pc->style[pc->n] = sp->style;
            pc->soft[pc->n] = cp == ' ' && !sp->whole;
            pc->n++;
        }
    }
}

/* The next row of pc from cell *i at width w; false at the end.  With `defer`, a first word that
 * does not fit gives an empty row (the paragraph starts on the next one). */
static bool para_next_row(const struct para_cells *pc, int *i, int w, bool defer, int *start, int *len)
{
    int s = *i;
    if (s >= pc->n)
        return false;
    if (w < 1)
        w = 1;
    int j = s, last = -1;
    while (j < pc->n && j - s < w && pc->cp[j] != '\n') {
        if (pc->soft[j])
            last = j;
        j++;
    }
    int end, next;
    if (j >= pc->n || pc->cp[j] == '\n') {
        end = j;
        next = j < pc->n ? j + 1 : j;
    } else if (pc->soft[j]) {
        end = next = j;
    } else if (last > s) {
        end = next = last;
    } else if (defer) {
        *start = s;
        *len = 0;
        return true;
    } else {
        end = next = j; /* a word longer than the row is broken where the row ends */
    }
    while (next < pc->n && pc->soft[next])
        next++; /* blanks at a break are dropped */
    while (end > s && pc->cp[end - 1] == ' ')
        end--;
    *start = s;
    *len = end - s;
    *i = next;
    return true;
}

int ui_para_width(const struct ui_para *p)
{
    return ui_text_width(p->text);
}

int ui_para_rows(const struct ui_para *p, int w, int first, int *end)
{
    struct para_cells pc;
    para_cells(p, &pc);
    int i = 0, rows = 0, start, len, col = first;
    while (para_next_row(&pc, &i, rows == 0 ? w - first : w, rows == 0 && first > 0, &start, &len)) {
        col = (rows == 0 ? first : 0) + len;
        rows++;
    }
    if (end)
        *end = col;
    return rows;
}

int canvas_para(struct canvas *c, int x, int y, int w, int first, int maxh, const struct ui_para *p,
                int *end)
{
    struct para_cells pc;
    para_cells(p, &pc);
    int i = 0, rows = 0, start, len, col = first;
    while (maxh < 0 || rows < maxh) {
        int x0 = rows == 0 ? first : 0, rw = w - x0;
        int save = i;
        if (!para_next_row(&pc, &i, rw, rows == 0 && first > 0, &start, &len))
            break;
        bool last_row = maxh >= 0 && rows == maxh - 1 && i < pc.n;
        if (last_row) {
            /* more text than rows: end after the last whole word that leaves room for "..." */
            i = save;
            para_next_row(&pc, &i, rw - 1, false, &start, &len);
        }
        bool lost = false;
        for (int k = 0; k < len; k++) {
            uint32_t cp = pc.cp[start + k];
            if (!cell_at(c, x + x0 + k, y + rows))
                lost |= cp != ' ';
            else
                canvas_put(c, x + x0 + k, y + rows, shown_char(c, cp == '\n' ? ' ' : cp), (enum ui_style)pc.style[start + k]);
        }
        if (lost)
            note_cut(c, x + x0, y + rows, p->text, p->len);
        col = x0 + len;
        if (last_row) {
            canvas_glyph(c, x + col, y + rows, UI_G_ELLIPSIS, (enum ui_style)pc.style[start + (len ? len - 1 : 0)]);
            col++;
            c->nabbrev++;
        }
        rows++;
        if (last_row)
            break;
    }
    if (end)
        *end = col;
    return rows;
}

void canvas_blit(struct canvas *c, int x, int y, const struct canvas *src, struct ui_rect from)
{
    for (int r = 0; r < from.h; r++)
        for (int k = 0; k < from.w; k++) {
            const struct ui_cell *in = canvas_cell(src, from.x + k, from.y + r);
            struct ui_cell *out = in ? cell_at(c, x + k, y + r) : NULL;
            if (out)
                *out = *in;
        }
    if (src->ncut && c->ncut == 0)
        c->first_cut = src->first_cut;
    c->ncut += src->ncut;
    c->nabbrev += src->nabbrev;
}

void canvas_box(struct canvas *c, struct ui_rect r, const char *title, bool focus)
{
    if (r.w < 2 || r.h < 2)
        return;
    enum ui_style fs = focus ? UI_S_FRAME_FOCUS : UI_S_FRAME;
    int x1 = r.x + r.w - 1, y1 = r.y + r.h - 1;
    for (int x = r.x + 1; x < x1; x++) {
        canvas_glyph(c, x, r.y, UI_G_HLINE, fs);
        canvas_glyph(c, x, y1, UI_G_HLINE, fs);
    }
    for (int y = r.y + 1; y < y1; y++) {
        canvas_glyph(c, r.x, y, UI_G_VLINE, fs);
        canvas_glyph(c, x1, y, UI_G_VLINE, fs);
    }
    canvas_glyph(c, r.x, r.y, UI_G_CORNER_TL, fs);
    canvas_glyph(c, x1, r.y, UI_G_CORNER_TR, fs);
    canvas_glyph(c, r.x, y1, UI_G_CORNER_BL, fs);
    canvas_glyph(c, x1, y1, UI_G_CORNER_BR, fs);
    if (title && *title && r.w > 6) {
        enum ui_style ts = focus ? UI_S_TITLE_FOCUS : UI_S_TITLE;
        canvas_put(c, r.x + 1, r.y, ' ', ts);
        int n = canvas_text_fit(c, r.x + 2, r.y, r.w - 5, ts, title);
        canvas_put(c, r.x + 2 + n, r.y, ' ', ts);
    }
}

void canvas_hbar(struct canvas *c, int x, int y, int w, double fraction, enum ui_style s)
{
    if (w <= 0)
        return;
    if (!(fraction > 0))
        fraction = 0;
    if (fraction > 1)
        fraction = 1;
    int eighths = (int)(fraction * w * 8 + 0.5);
    if (eighths == 0 && fraction > 0)
        eighths = 1; /* something is there: show it */
    static const enum ui_glyph part[8] = {UI_G_SPACE, UI_G_BAR_1, UI_G_BAR_2, UI_G_BAR_3,
                                          UI_G_BAR_4,  UI_G_BAR_5, UI_G_BAR_6, UI_G_BAR_7};
    for (int i = 0; i < w; i++) {
        int left = eighths - i * 8;
        if (left >= 8)
            canvas_glyph(c, x + i, y, UI_G_BAR_FULL, s);
        else if (left > 0)
            canvas_glyph(c, x + i, y, part[left], s);
        else
            canvas_glyph(c, x + i, y, UI_G_BAR_EMPTY, UI_S_TRACK);
    }
}

bool canvas_pane(struct canvas *c, struct ui_rect r, const char *title, bool focus, int min_w, int min_h,
                 const char *none, int *x, int *y, int *w, int *h)
{
    canvas_box(c, r, title, focus);
    *x = r.x + 1, *y = r.y + 1, *w = r.w - 2, *h = r.h - 2;
    if (*w < min_w || *h < min_h)
        return false;
    if (none)
        canvas_text(c, *x + 1, *y, *w - 2, UI_S_DIM, none);
    return !none;
}
