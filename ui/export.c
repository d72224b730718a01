/*
 * export.c - a canvas as plain text or as an SVG picture.
 *
 * Text is what golden tests compare: one UTF-8 line per row, trailing blanks dropped.  SVG is
 * what the README shows: a dark terminal-like background, one <rect> per run of cells sharing a
 * background and one <text> per run sharing a style, each placed at its column so that box
 * drawing and block glyphs line up whatever font the viewer substitutes.  Block glyphs that
 * fill their cell (full blocks, shades) are drawn as rectangles, so that bars and arena maps
 * are seamless in any renderer.
 */
#include <ui/canvas.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A growing string. */
struct sbuf {
    char *data;
    size_t len, cap;
    bool failed; /* sticky: memory ran out */
};

static void sbuf_reserve(struct sbuf *b, size_t more)
{
    if (b->failed || b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return;
    }
    b->data = p;
    b->cap = cap;
}

static void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
    sbuf_reserve(b, n);
    if (b->failed)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

static void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sbuf_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static char *sbuf_finish(struct sbuf *b)
{
    if (b->failed || !b->data) {
        free(b->data);
        return b->failed ? NULL : strdup("");
    }
    return b->data;
}

size_t ui_utf8_encode(uint32_t cp, char out[4])
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    } else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    } else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

char *canvas_to_text(const struct canvas *c)
{
    struct sbuf b = {0};
    for (int y = 0; y < c->rows; y++) {
        int end = c->cols;
        while (end > 0 && canvas_cell(c, end - 1, y)->ch == ' ')
            end--;
        for (int x = 0; x < end; x++) {
            char u[4];
            sbuf_add(&b, u, ui_utf8_encode(canvas_cell(c, x, y)->ch, u));
        }
        sbuf_add(&b, "\n", 1);
    }
    return sbuf_finish(&b);
}

/* ---- SVG ------------------------------------------------------------------------------------ */

#define SVG_CELL_W 8.4 /* px: DejaVu Sans Mono's advance at 14 px */
#define SVG_CELL_H 17  /* px */
#define SVG_FONT 14    /* px */
#define SVG_PAD 8      /* px around the grid */
#define SVG_BG 0x1c1c1cu
#define SVG_FG 0xd0d0d0u

struct svg_look {
    uint32_t fg, bg; /* resolved colours */
    bool bold, underline;
};

static struct svg_look cell_look(const struct ui_cell *cell, bool mono)
{
    const struct ui_style_def *d = ui_style_def(cell->style);
    unsigned attr = (mono ? d->mono : d->attr) | cell->attr;
    uint32_t fg = mono || d->fg == UI_DEFAULT ? SVG_FG : d->fg;
    uint32_t bg = mono || d->bg == UI_DEFAULT ? SVG_BG : d->bg;
    if (attr & UI_A_DIM)
        fg = ((fg >> 1) & 0x7f7f7fu) + ((SVG_BG >> 1) & 0x7f7f7fu);
    if (attr & UI_A_REVERSE) {
        uint32_t t = fg;
        fg = bg;
        bg = t;
    }
    return (struct svg_look){fg, bg, (attr & UI_A_BOLD) != 0, (attr & UI_A_UNDERLINE) != 0};
}

static bool look_eq(struct svg_look a, struct svg_look b)
{
    return a.fg == b.fg && a.bg == b.bg && a.bold == b.bold && a.underline == b.underline;
}

/* Block glyphs drawn as rectangles: the fraction of the cell they fill from the left, the
 * bottom, and a shade (opacity). */
static bool block_shape(uint32_t ch, double *wfrac, double *hfrac, double *alpha)
{
    *wfrac = *hfrac = *alpha = 1;
    if (ch == 0x2588)
        return true;
    if (ch >= 0x2589 && ch <= 0x258F) { /* ▉..▏: 7/8 .. 1/8 from the left */
        *wfrac = (double)(0x2590 - ch) / 8;
        return true;
    }
    if (ch >= 0x2581 && ch <= 0x2587) { /* ▁..▇: 1/8 .. 7/8 from the bottom */
        *hfrac = (double)(ch - 0x2580) / 8;
        return true;
    }
    if (ch >= 0x2591 && ch <= 0x2593) { /* ░ ▒ ▓: a cell each (a pool), with the gap ▉ leaves */
        *alpha = ch == 0x2591 ? 0.3 : ch == 0x2592 ? 0.55 : 0.8;
        *wfrac = 0.8;
        *hfrac = 0.8;
        return true;
    }
    return false;
}

static void svg_escape(struct sbuf *b, uint32_t ch)
{
    switch (ch) {
    case '<': sbuf_add(b, "&lt;", 4); break;
    case '>': sbuf_add(b, "&gt;", 4); break;
    case '&': sbuf_add(b, "&amp;", 5); break;
    default: {
        char u[4];
        sbuf_add(b, u, ui_utf8_encode(ch, u));
    }
    }
}

void canvas_svg_size(const struct canvas *c, int *width, int *height)
{
    *width = (int)(c->cols * SVG_CELL_W + 2 * SVG_PAD + 0.5);
    *height = c->rows * SVG_CELL_H + 2 * SVG_PAD;
}

char *canvas_to_svg(const struct canvas *c, bool mono)
{
    struct sbuf b = {0};
    double width = c->cols * SVG_CELL_W + 2 * SVG_PAD;
    int height = c->rows * SVG_CELL_H + 2 * SVG_PAD;
    sbuf_printf(&b,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" xml:space=\"preserve\" width=\"%.0f\" "
                "height=\"%d\" viewBox=\"0 0 %.1f %d\">\n",
                width, height, width, height);
    sbuf_printf(&b,
                "<style>text{font-family:'DejaVu Sans Mono','Menlo','Consolas',monospace;"
                "font-size:%dpx;white-space:pre}.b{font-weight:bold}.u{text-decoration:underline}"
                "</style>\n",
                SVG_FONT);
    sbuf_printf(&b, "<rect width=\"100%%\" height=\"100%%\" fill=\"#%06x\"/>\n", SVG_BG);

    /* backgrounds, one rect per run of equal background */
    for (int y = 0; y < c->rows; y++) {
        int x = 0;
        while (x < c->cols) {
            uint32_t bg = cell_look(canvas_cell(c, x, y), mono).bg;
            int start = x;
            while (x < c->cols && cell_look(canvas_cell(c, x, y), mono).bg == bg)
                x++;
            if (bg == SVG_BG)
                continue;
            sbuf_printf(&b, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"#%06x\"/>\n",
                        SVG_PAD + start * SVG_CELL_W, SVG_PAD + y * SVG_CELL_H,
                        (x - start) * SVG_CELL_W, SVG_CELL_H, bg);
        }
    }

    /* block glyphs as rectangles */
    for (int y = 0; y < c->rows; y++)
        for (int x = 0; x < c->cols; x++) {
            const struct ui_cell *cell = canvas_cell(c, x, y);
            double wf, hf, alpha;
            if (!block_shape(cell->ch, &wf, &hf, &alpha))
                continue;
            struct svg_look lk = cell_look(cell, mono);
            sbuf_printf(&b, "<rect x=\"%.1f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#%06x\"",
                        SVG_PAD + x * SVG_CELL_W, SVG_PAD + (y + 1 - hf) * SVG_CELL_H,
                        wf * SVG_CELL_W, hf * SVG_CELL_H, lk.fg);
            if (alpha < 1)
                sbuf_printf(&b, " fill-opacity=\"%.2f\"", alpha);
            sbuf_add(&b, "/>\n", 3);
        }

    /* text, one element per run of equal look, skipping blanks and block glyphs */
    for (int y = 0; y < c->rows; y++) {
        int x = 0;
        while (x < c->cols) {
            const struct ui_cell *cell = canvas_cell(c, x, y);
            double wf, hf, alpha;
            if (cell->ch == ' ' || block_shape(cell->ch, &wf, &hf, &alpha)) {
                x++;
                continue;
            }
            struct svg_look lk = cell_look(cell, mono);
            int start = x;
            int end = x; /* one past the last non-blank of the run */
            while (x < c->cols) {
                const struct ui_cell *k = canvas_cell(c, x, y);
                if (block_shape(k->ch, &wf, &hf, &alpha))
                    break;
                if (k->ch != ' ' && !look_eq(cell_look(k, mono), lk))
                    break;
                if (k->ch != ' ')
                    end = x + 1;
                x++;
            }
            x = end;
            sbuf_printf(&b, "<text x=\"%.1f\" y=\"%.1f\" fill=\"#%06x\"", SVG_PAD + start * SVG_CELL_W,
                        SVG_PAD + y * SVG_CELL_H + SVG_CELL_H * 0.78, lk.fg);
            if (lk.bold || lk.underline)
                sbuf_printf(&b, " class=\"%s%s%s\"", lk.bold ? "b" : "", lk.bold && lk.underline ? " " : "",
                            lk.underline ? "u" : "");
            sbuf_printf(&b, " textLength=\"%.1f\" lengthAdjust=\"spacingAndGlyphs\">",
                        (end - start) * SVG_CELL_W);
            for (int i = start; i < end; i++)
                svg_escape(&b, canvas_cell(c, i, y)->ch);
            sbuf_add(&b, "</text>\n", 8);
        }
    }
    sbuf_add(&b, "</svg>\n", 7);
    return sbuf_finish(&b);
}

/* The text goes to a temporary file beside the target, renamed over it once whole: a write that
 * fails (a full disk, a size limit) leaves whatever was at the path before. */
int canvas_write_file(const struct canvas *c, const char *path, bool mono)
{
    size_t plen = strlen(path);
    bool svg = plen >= 4 && strcmp(path + plen - 4, ".svg") == 0;
    char *s = svg ? canvas_to_svg(c, mono) : canvas_to_text(c);
    if (!s) {
        errno = ENOMEM;
        return -1;
    }
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(s);
        errno = ENOMEM;
        return -1;
    }
    snprintf(tmp, plen + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int e = errno;
        free(tmp);
        free(s);
        errno = e;
        return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    bool ok = fchmod(fd, 0666 & ~mask) == 0;
    size_t n = strlen(s);
    for (size_t done = 0; ok && done < n;) {
        ssize_t w = write(fd, s + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w == 0)
            errno = ENOSPC;
        ok = w > 0;
        done += ok ? (size_t)w : 0;
    }
    int e = ok ? 0 : errno;
    if (close(fd) < 0 && ok) {
        ok = false;
        e = errno;
    }
    if (ok && rename(tmp, path) < 0) {
        ok = false;
        e = errno;
    }
    if (!ok)
        unlink(tmp);
    free(tmp);
    free(s);
    errno = e;
    return ok ? 0 : -1;
}
