/*
 * view_output.c - what the program printed by the current event, as its terminal would show it.
 *
 *     step 11
 *   ▌ Traceback (most recent call last):
 *   ▌   File "slide.py", line 9, in <module>
 *
 * The newest line is at the bottom; a line longer than the pane wraps.  Standard error is marked
 * with a bar (and its colour); the line the current event printed is highlighted.  The model
 * keeps the latest MODEL_PRINTS_KEEP lines, which j/k scroll through.  Control characters are
 * never passed to the terminal: tabs become spaces, escape sequences and other controls go.
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Copies text into out (NUL-terminated) without control characters: tabs expand to the next
 * multiple of 4 columns; what a terminal would act on rather than show goes: CSI sequences
 * (ESC [ ... final byte), OSC and other strings (ESC ] ... BEL or ESC \, a window title), other
 * escapes, C0 and C1 controls. */
static size_t clean(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0, col = 0;
    for (size_t i = 0; i < len && n + 4 < cap; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\t') {
            do {
                out[n++] = ' ';
                col++;
            } while (col % 4 && n + 1 < cap);
            continue;
        }
        if (ch == 0x1b) {
            char kind = i + 1 < len ? text[i + 1] : '\0';
            if (kind == '[') {
                i += 2;
                while (i < len && !((unsigned char)text[i] >= 0x40 && (unsigned char)text[i] <= 0x7e))
                    i++;
            } else if (kind == ']' || kind == 'P' || kind == '_' || kind == '^' || kind == 'X') {
                /* a string: up to BEL or ESC \ */
                i += 2;
                while (i < len && text[i] != '\a' && !(text[i] == 0x1b && i + 1 < len && text[i + 1] == '\\'))
                    i++;
                if (i < len && text[i] == 0x1b)
                    i++;
            } else if (kind) {
                i++; /* a two-byte escape */
            }
            continue;
        }
        if (ch < 0x20 || ch == 0x7f)
            continue;
        if (ch == 0xc2 && i + 1 < len && (unsigned char)text[i + 1] >= 0x80 && (unsigned char)text[i + 1] <= 0x9f) {
            i++; /* a C1 control, U+0080 to U+009F */
            continue;
        }
        out[n++] = (char)ch;
        if ((ch & 0xc0) != 0x80)
            col++;
    }
    out[n] = '\0';
    return n;
}

/* Bytes of s that make up at most w columns (a UTF-8 sequence counts one column). */
static size_t bytes_for_columns(const char *s, int w)
{
    size_t i = 0;
    int col = 0;
    while (s[i]) {
        if ((s[i] & 0xc0) != 0x80) {
            if (col == w)
                break;
            col++;
        }
        i++;
    }
    return i;
}

/* Rows a cleaned line takes at width w. */
static int rows_of(const char *s, int w)
{
    int rows = 1;
    size_t at = 0;
    for (;;) {
        size_t n = bytes_for_columns(s + at, w);
        if (!s[at + n])
            return rows;
        at += n;
        rows++;
    }
}

void view_output(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    (void)f; /* nothing here for a click, nothing to settle: the keys keep the scroll in range */
    const struct model *m = app_model(app);
    struct model_print lines[MODEL_PRINTS_KEEP];
    size_t n = model_prints(m, lines, MODEL_PRINTS_KEEP);
    if (n > MODEL_PRINTS_KEEP)
        n = MODEL_PRINTS_KEEP;
    char title[64];
    if (n == 0)
        snprintf(title, sizeof title, "Output");
    else if (n < MODEL_PRINTS_KEEP)
        snprintf(title, sizeof title, "Output: %zu line%s", n, n == 1 ? "" : "s");
    else
        snprintf(title, sizeof title, "Output: the last %zu lines", n);
    int x, y0, w, h;
    if (!canvas_pane(c, r, title, focus, 8, 1, NULL, &x, &y0, &w, &h))
        return;
    if (n == 0) {
        const struct trace_header *hd = seeker_header(app->s);
        canvas_text(c, x + 1, y0, w - 1, UI_S_DIM,
                    hd && hd->program[0] ? "the program has printed nothing yet" : "nothing printed yet");
        return;
    }
    int scroll = app->output.scroll;
    if ((size_t)scroll >= n)
        scroll = (int)n - 1;
    uint64_t cur = app_position(app) ? app_position(app) - 1 : UINT64_MAX;
    /* from the newest line (lines[scroll]) upwards, bottom-aligned */
    int text_w = w - 2;
    int bottom = y0 + h; /* one past the last row */
    char buf[2048];
    for (size_t i = (size_t)scroll; i < n && bottom > y0; i++) {
        clean(lines[i].text, lines[i].len, buf, sizeof buf);
        int rows = rows_of(buf, text_w);
        bool err = lines[i].stream == 2;
        enum ui_style st = lines[i].seq == cur ? UI_S_CHANGED : err ? UI_S_ERROR : UI_S_NORMAL;
        int top = bottom - rows;
        size_t at = 0;
        for (int k = 0; k < rows; k++) {
            size_t len = bytes_for_columns(buf + at, text_w);
            int yy = top + k;
            if (yy >= y0) {
                if (err)
                    canvas_glyph(c, x, yy, UI_G_STDERR, UI_S_ERROR);
                canvas_textn(c, x + 2, yy, text_w, st, buf + at, len);
            }
            at += len;
        }
        bottom = top;
    }
    if (scroll > 0) {
        static const char hint[] = " j: newer lines ";
        canvas_text(c, r.x + r.w - 2 - (int)sizeof hint + 1, r.y + r.h - 1, (int)sizeof hint, UI_S_DIM, hint);
    }
}
