/*
 * canvas.c - the cell grid views paint into; see canvas.h.
 */
#include <ui/canvas.h>

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

int canvas_textn(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text,
                 size_t len)
{
    if (maxw < 0)
        maxw = c->clip.x + c->clip.w - (x + c->ox);
    const unsigned char *p = (const unsigned char *)text;
    int col = 0;
    size_t i = 0;
    while (i < len && col < maxw && p[i]) {
        uint32_t cp;
        i += utf8_decode(p + i, len - i, &cp);
        canvas_put(c, x + col, y, shown_char(c, cp), s);
        col++;
    }
    return col;
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
    int n = canvas_text(c, x, y, maxw - 1, s, text);
    canvas_glyph(c, x + n, y, UI_G_ELLIPSIS, s);
    return n + 1;
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
