/*
 * canvas.h - a grid of styled cells that every view paints into.
 *
 * The UI never draws on the terminal directly.  Views paint characters with a *style* (a name
 * from UI_STYLES: what the cell means, e.g. "a full pool") into a canvas; one backend copies the
 * canvas to the terminal (backend_curses.c, the only file that includes <curses.h>), and the
 * exporters turn it into plain text (golden tests, `screenshot -o x.txt`) or SVG with its colours
 * (`screenshot -o x.svg`).  So what the tests compare and what the README shows is exactly what
 * a user sees.
 *
 * Styles carry meaning, not colours: the table below gives each one a foreground, a background
 * and attributes for colour screens, and separate attributes for monochrome screens (NO_COLOR,
 * --no-color, TERM=dumb).  Colour is never the only channel: every state a view shows also has
 * its own glyph (UI_GLYPHS), so a monochrome or text rendering loses nothing.
 *
 * Glyphs have a UTF-8 form and an ASCII fallback; a canvas made with `ascii` set writes the
 * fallback, so views never test the terminal themselves.  Every glyph is one column wide.
 * Text from a trace (step labels, type names) is UTF-8; a character that may not be one column
 * wide (or any non-ASCII character on an ASCII canvas) is shown as '?'.
 *
 * Coordinates are columns and rows from the top left.  Painting is clipped to the canvas and to
 * the current clip rectangle, and placed relative to the current origin (canvas_enter), so a view
 * paints its pane as if it were the whole screen.
 */
#ifndef UI_CANVAS_H
#define UI_CANVAS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Colours are 0xRRGGBB; UI_DEFAULT is the terminal's own foreground or background. */
#define UI_DEFAULT 0xFF000000u

/* Attributes, combined with |. */
enum {
    UI_A_BOLD = 1u,
    UI_A_DIM = 2u,
    UI_A_REVERSE = 4u,
    UI_A_UNDERLINE = 8u,
};

/* clang-format off */
/* X(NAME, foreground, background, attributes, monochrome attributes) */
#define UI_STYLES(X)                                                                             \
    X(NORMAL,         UI_DEFAULT, UI_DEFAULT, 0,                      0)                         \
    X(DIM,            0x8a8a8a,   UI_DEFAULT, 0,                      UI_A_DIM)                  \
    X(LABEL,          0x87afd7,   UI_DEFAULT, 0,                      0)                         \
    X(VALUE,          UI_DEFAULT, UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(FRAME,          0x5f87af,   UI_DEFAULT, 0,                      0)                         \
    X(FRAME_FOCUS,    0x5fd7ff,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(TITLE,          0xd7d7ff,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(TITLE_FOCUS,    0x000000,   0x5fd7ff,   UI_A_BOLD,              UI_A_REVERSE)              \
    X(HEADER,         0xffffff,   0x005f87,   0,                      UI_A_REVERSE)              \
    X(HEADER_VALUE,   0xffffff,   0x005f87,   UI_A_BOLD,              UI_A_REVERSE | UI_A_BOLD)  \
    X(STEP,           0x1c1c1c,   0xffd75f,   UI_A_BOLD,              UI_A_REVERSE | UI_A_BOLD)  \
    X(STEP_NEXT,      0x1c1c1c,   0xd7d7af,   0,                      UI_A_REVERSE)              \
    X(STATUS_LIVE,    0x1c1c1c,   0x87d75f,   UI_A_BOLD,              UI_A_REVERSE | UI_A_BOLD)  \
    X(STATUS_WARN,    0xffffff,   0xaf0000,   UI_A_BOLD,              UI_A_REVERSE | UI_A_BOLD)  \
    X(FOOTER,         0xd0d0d0,   0x303030,   0,                      0)                         \
    X(FOOTER_KEY,     0x000000,   0x87afd7,   UI_A_BOLD,              UI_A_REVERSE)              \
    X(SELECTED,       UI_DEFAULT, UI_DEFAULT, UI_A_REVERSE,           UI_A_REVERSE)              \
    X(CHANGED,        0xffd75f,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD | UI_A_UNDERLINE) \
    X(ERROR,          0xff5f5f,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(POOL_UNTOUCHED, 0x626262,   UI_DEFAULT, 0,                      UI_A_DIM)                  \
    X(POOL_EMPTY,     0x5fafd7,   UI_DEFAULT, 0,                      0)                         \
    X(POOL_USED1,     0x87d787,   UI_DEFAULT, 0,                      0)                         \
    X(POOL_USED2,     0xd7d75f,   UI_DEFAULT, 0,                      0)                         \
    X(POOL_USED3,     0xffaf5f,   UI_DEFAULT, 0,                      0)                         \
    X(POOL_FULL,      0xff5f5f,   UI_DEFAULT, 0,                      0)                         \
    X(SLIVER,         0x8a8a8a,   UI_DEFAULT, UI_A_DIM,               UI_A_DIM)                  \
    X(RELEASED,       0x4e4e4e,   UI_DEFAULT, 0,                      UI_A_DIM)                  \
    X(CLASS_DIGIT,    0x8a8a8a,   UI_DEFAULT, 0,                      0)                         \
    X(BLOCK_ALLOC,    0xff8787,   UI_DEFAULT, 0,                      0)                         \
    X(BLOCK_FREE,     0x5fd7ff,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(BLOCK_VIRGIN,   0x626262,   UI_DEFAULT, 0,                      UI_A_DIM)                  \
    X(BLOCK_NEXT,     0x1c1c1c,   0x5fd7ff,   UI_A_BOLD,              UI_A_REVERSE | UI_A_BOLD)  \
    X(BLOCK_TOOL,     0x8a8a8a,   UI_DEFAULT, UI_A_DIM,               UI_A_DIM)                  \
    X(BAR,            0x5f87d7,   UI_DEFAULT, 0,                      0)                         \
    X(TRACK,          0x585858,   UI_DEFAULT, 0,                      UI_A_DIM)                  \
    X(BAR_WARN,       0xff8700,   UI_DEFAULT, 0,                      UI_A_BOLD)                 \
    X(GEN0,           0x87d7ff,   UI_DEFAULT, 0,                      0)                         \
    X(GEN1,           0xafafff,   UI_DEFAULT, 0,                      0)                         \
    X(GEN2,           0xd7afff,   UI_DEFAULT, 0,                      0)                         \
    X(UNREACHABLE,    0xff5f5f,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(REACHABLE,      0x87d787,   UI_DEFAULT, 0,                      0)                         \
    X(MARK_STEP,      0xffd75f,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(MARK_GC,        0xd787ff,   UI_DEFAULT, 0,                      0)                         \
    X(MARK_ARENA_NEW, 0x87d787,   UI_DEFAULT, 0,                      0)                         \
    X(MARK_ARENA_FREE,0xff8787,   UI_DEFAULT, 0,                      0)                         \
    X(MARK_HIT,       0x1c1c1c,   0xff87d7,   0,                      UI_A_REVERSE)              \
    X(CURSOR,         0x1c1c1c,   0xffffff,   UI_A_BOLD,              UI_A_REVERSE | UI_A_BOLD)  \
    X(SPARK,          0x5fafaf,   UI_DEFAULT, 0,                      0)                         \
    X(NARRATION,      UI_DEFAULT, UI_DEFAULT, 0,                      0)                         \
    X(PROMPT,         0x000000,   0xd7d7d7,   0,                      UI_A_REVERSE)              \
    X(CODE_NEXT,      0x1c1c1c,   0xffd75f,   UI_A_BOLD,              UI_A_REVERSE | UI_A_BOLD)  \
    X(CODE_RAN,       0x87d787,   UI_DEFAULT, UI_A_BOLD,              UI_A_BOLD)                 \
    X(CODE_ALLOC,     UI_DEFAULT, 0x5f0000,   0,                      UI_A_UNDERLINE)            \
    X(CODE_NOTE,      0xff8787,   UI_DEFAULT, 0,                      0)
/* clang-format on */

enum ui_style {
#define X(name, fg, bg, attr, mono) UI_S_##name,
    UI_STYLES(X)
#undef X
        UI_STYLE_COUNT
};
_Static_assert(UI_STYLE_COUNT <= 255, "a style id fits in a cell's byte");

struct ui_style_def {
    const char *name; /* "pool_full" */
    uint32_t fg, bg;  /* 0xRRGGBB or UI_DEFAULT */
    unsigned attr;    /* on colour screens */
    unsigned mono;    /* on monochrome screens */
};
const struct ui_style_def *ui_style_def(enum ui_style s);

/* clang-format off */
/* X(NAME, UTF-8 code point, ASCII fallback) */
#define UI_GLYPHS(X)                                                                             \
    X(SPACE,          0x0020, ' ')                                                               \
    X(POOL_UNTOUCHED, 0x00B7, '.')  /* · never carved                   */                      \
    X(POOL_EMPTY,     0x25CB, 'o')  /* ○ empty, in the arena's cache    */                      \
    X(POOL_USED1,     0x2591, ':')  /* ░ used, up to a third full       */                      \
    X(POOL_USED2,     0x2592, '=')  /* ▒ used, up to two thirds         */                      \
    X(POOL_USED3,     0x2593, '*')  /* ▓ used, more than two thirds     */                      \
    X(POOL_FULL,      0x2589, '#')  /* ▉ full (a gap to the next cell)  */                      \
    X(SLIVER,         0x2573, 'x')  /* ╳ bytes lost to alignment        */                      \
    X(RELEASED,       0x254C, '_')  /* ╌ returned to the system         */                      \
    X(BLOCK_ALLOC,    0x25A0, '#')  /* ■ allocated                      */                      \
    X(BLOCK_FREE,     0x25A1, 'o')  /* □ on the free list               */                      \
    X(BLOCK_VIRGIN,   0x00B7, '.')  /* · virgin, above nextoffset       */                      \
    X(BLOCK_NEXT,     0x25C6, '@')  /* ◆ the next allocation's block    */                      \
    X(BLOCK_TOOL,     0x25AA, 'a')  /* ▪ arenascope's own, not the program's */                 \
    X(HLINE,          0x2500, '-')                                                               \
    X(VLINE,          0x2502, '|')                                                               \
    X(CORNER_TL,      0x250C, '+')                                                               \
    X(CORNER_TR,      0x2510, '+')                                                               \
    X(CORNER_BL,      0x2514, '+')                                                               \
    X(CORNER_BR,      0x2518, '+')                                                               \
    X(TEE_LEFT,       0x251C, '+')                                                               \
    X(TEE_RIGHT,      0x2524, '+')                                                               \
    X(ARROW_RIGHT,    0x2192, '>')                                                               \
    X(ARROW_LEFT,     0x2190, '<')                                                               \
    X(ARROW_UP,       0x2191, '^')                                                               \
    X(ARROW_DOWN,     0x2193, 'v')                                                               \
    X(POINTER,        0x25B6, '>')  /* ▶ the selected row or current event */                   \
    X(CARET,          0x25B2, '^')  /* ▲ the cursor on the scrub bar */                         \
    X(PAUSED,         0x2016, '=')  /* ‖ */                                                      \
    X(ELLIPSIS,       0x2026, '~')                                                               \
    X(BULLET,         0x2022, '*')                                                               \
    X(CHECK,          0x2713, 'y')                                                               \
    X(CROSS,          0x2717, 'n')                                                               \
    X(BAR_FULL,       0x2588, '#')                                                               \
    X(BAR_1,          0x258F, '#')  /* ▏ eighths of a bar cell, 1..7 */                         \
    X(BAR_2,          0x258E, '#')                                                               \
    X(BAR_3,          0x258D, '#')                                                               \
    X(BAR_4,          0x258C, '#')                                                               \
    X(BAR_5,          0x258B, '#')                                                               \
    X(BAR_6,          0x258A, '#')                                                               \
    X(BAR_7,          0x2589, '#')                                                               \
    X(BAR_EMPTY,      0x2591, '.')  /* ░ the empty part of a bar */                              \
    X(SPARK_1,        0x2581, '_')  /* ▁ sparkline levels 1..8 */                               \
    X(SPARK_2,        0x2582, '_')                                                               \
    X(SPARK_3,        0x2583, '-')                                                               \
    X(SPARK_4,        0x2584, '-')                                                               \
    X(SPARK_5,        0x2585, '=')                                                               \
    X(SPARK_6,        0x2586, '=')                                                               \
    X(SPARK_7,        0x2587, '#')                                                               \
    X(SPARK_8,        0x2588, '#')                                                               \
    X(MARK_STEP,      0x2502, '|')                                                               \
    X(MARK_GC,        0x25CF, 'G')  /* ● */                                                      \
    X(MARK_ARENA_NEW, 0x25B4, 'N')  /* ▴ */                                                      \
    X(MARK_ARENA_FREE,0x25BE, 'F')  /* ▾ */                                                      \
    X(MARK_BREAK,     0x25C9, 'B')  /* ◉ */                                                      \
    X(TRACK,          0x2500, '-')  /* the scrub bar's rail */                                    \
    X(STDERR,         0x258C, '!')  /* ▌ a line the program wrote to standard error */       \
    X(CODE_NEXT,      0x25B6, '>')  /* ▶ the line about to run */                              \
    X(CODE_RAN,       0x2713, '*')  /* ✓ the line just run */                                  \
    X(CODE_RAISED,    0x2717, '!')  /* ✗ the line just run raised an exception */   \
    X(DIFFERS,        0x2260, '!')  /* ≠ side by side: this differs from the other side */
/* clang-format on */

enum ui_glyph {
#define X(name, cp, ascii) UI_G_##name,
    UI_GLYPHS(X)
#undef X
        UI_GLYPH_COUNT
};

/* The character a glyph is drawn with (a code point) on a UTF-8 or an ASCII canvas. */
uint32_t ui_glyph_char(enum ui_glyph g, bool ascii);

struct ui_cell {
    uint32_t ch;   /* a Unicode code point, one column wide */
    uint8_t style; /* enum ui_style */
    uint8_t attr;  /* UI_A_* added to the style's own */
};

struct ui_rect {
    int x, y; /* top left, in cells */
    int w, h; /* size in cells; a rectangle with w or h <= 0 is empty */
};

static inline bool ui_rect_is_empty(struct ui_rect r)
{
    return r.w <= 0 || r.h <= 0;
}

static inline bool ui_rect_contains(struct ui_rect r, int x, int y)
{
    return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

struct canvas {
    int cols, rows;         /* size in cells */
    bool ascii;             /* draw glyphs with their ASCII fallback */
    struct ui_cell *cells;  /* rows * cols, row by row */
    struct ui_rect clip;    /* painting outside it is dropped; absolute coordinates */
    int ox, oy;             /* origin added to every coordinate painted */
    /* What did not fit, counted since the last canvas_clear (tests read them): `ncut` texts lost
     * characters other than blanks at their width or at the clip's edge, the first of them at
     * `first_cut`; `nabbrev` texts were deliberately shortened with an ellipsis. */
    int ncut, nabbrev;
    struct {
        int x, y;      /* absolute */
        char text[80]; /* its start */
    } first_cut;
};

/* 0, or -1 when memory ran out.  Sizes below 1 are taken as 1. */
int canvas_init(struct canvas *c, int cols, int rows, bool ascii);
void canvas_release(struct canvas *c);
/* Resizes and clears.  0 or -1 (the canvas is then unchanged). */
int canvas_resize(struct canvas *c, int cols, int rows);
/* Blanks every cell with the NORMAL style and resets clip and origin. */
void canvas_clear(struct canvas *c);

/* Paints inside r (relative to the current origin) from now on: r becomes the origin and the
 * clip (intersected with the previous clip).  Returns what canvas_leave() restores. */
struct canvas_frame {
    struct ui_rect clip;
    int ox, oy;
};
struct canvas_frame canvas_enter(struct canvas *c, struct ui_rect r);
void canvas_leave(struct canvas *c, struct canvas_frame saved);

/* The cell at absolute (x, y), or NULL outside the canvas. */
const struct ui_cell *canvas_cell(const struct canvas *c, int x, int y);

void canvas_put(struct canvas *c, int x, int y, uint32_t ch, enum ui_style s);
void canvas_glyph(struct canvas *c, int x, int y, enum ui_glyph g, enum ui_style s);
/* Adds attributes to the cells of r (relative), keeping their characters. */
void canvas_add_attr(struct canvas *c, struct ui_rect r, unsigned attr);
void canvas_fill(struct canvas *c, struct ui_rect r, enum ui_glyph g, enum ui_style s);

/* Paints UTF-8 text from (x, y), at most maxw columns (maxw < 0: to the clip's edge).  Returns
 * the columns written.  Control characters are shown as '?'. */
int canvas_text(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text);
int canvas_textn(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text,
                 size_t len);
int canvas_printf(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
int canvas_vprintf(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *fmt,
                   va_list ap) __attribute__((format(printf, 6, 0)));
/* Like canvas_text, but when the text is longer than maxw it ends with an ellipsis. */
int canvas_text_fit(struct canvas *c, int x, int y, int maxw, enum ui_style s, const char *text);

/* Columns that UTF-8 text takes on a canvas (one per character). */
int ui_text_width(const char *text);
/* Writes code point cp in UTF-8 to out; its length in bytes. */
size_t ui_utf8_encode(uint32_t cp, char out[4]);

/* ---- paragraphs ------------------------------------------------------------------------------
 *
 * A sentence is never cut mid-word: it is a paragraph of styled spans, wrapped at its blanks to
 * the width it is painted at, and it takes the rows it needs (ui_para_rows tells a layout how
 * many before painting).  Only when it is given fewer rows does it end, after its last whole
 * word, with an ellipsis: deliberately abbreviated.  A span added whole (a key hint such as
 * "(Enter shows it)") is never broken across rows; '\n' starts a new row.
 *
 * The first row may start further right than the others (`first` columns in, after a lead-in
 * painted before it, as an event's number in the log); when its first word does not fit there,
 * the paragraph starts on the next row instead.
 */
#define UI_PARA_BYTES 1024 /* text kept; more is dropped at a character's boundary */
#define UI_PARA_SPANS 32   /* style changes kept; more are drawn in the last style */

struct ui_para {
    char text[UI_PARA_BYTES];
    size_t len; /* bytes of text, < UI_PARA_BYTES */
    struct ui_para_span {
        uint16_t end;  /* the span is text[previous end .. end) */
        uint8_t style; /* enum ui_style */
        bool whole;    /* its blanks do not break a row */
    } span[UI_PARA_SPANS];
    int nspans;
};

void ui_para_init(struct ui_para *p);
void ui_para_add(struct ui_para *p, enum ui_style s, const char *text);
void ui_para_addf(struct ui_para *p, enum ui_style s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ui_para_add_whole(struct ui_para *p, enum ui_style s, const char *text);
/* Columns the paragraph takes on one row. */
int ui_para_width(const struct ui_para *p);
/* Rows it needs at width w, its first row starting `first` columns in; *end (when not NULL)
 * gets the column just after its last row's text. */
int ui_para_rows(const struct ui_para *p, int w, int first, int *end);
/* Paints it wrapped into columns [x, x + w), from row y, in at most maxh rows (maxh < 0: as many
 * as it needs).  Returns the rows painted; *end (when not NULL) gets the column, relative to x,
 * just after the last row's text. */
int canvas_para(struct canvas *c, int x, int y, int w, int first, int maxh, const struct ui_para *p,
                int *end);

/* The first of n texts (longest first) that fits in w columns, painted; when none does, the last,
 * abbreviated.  For facts worded by the room they get: "LIVE holding at a step: ] runs the next
 * one", "LIVE holding: ] next step".  Returns the columns written. */
int canvas_text_choose(struct canvas *c, int x, int y, int w, enum ui_style s, const char *const *texts,
                       size_t n);

/* Copies the cells of src inside from (src's own coordinates) to (x, y) (relative), clipped as
 * painting is; what src counted as cut or abbreviated counts on c too. */
void canvas_blit(struct canvas *c, int x, int y, const struct canvas *src, struct ui_rect from);

/* A frame around r (relative) with a title in its top edge; `focus` draws it highlighted. */
void canvas_box(struct canvas *c, struct ui_rect r, const char *title, bool focus);
/* A pane: its box with the title, and the inside (*x, *y, *w, *h); false when the inside is
 * smaller than min_w x min_h, or when `none` is not NULL (the pane has nothing to show, and says
 * so with that text), and nothing more should be painted. */
bool canvas_pane(struct canvas *c, struct ui_rect r, const char *title, bool focus, int min_w, int min_h,
                 const char *none, int *x, int *y, int *w, int *h);
/* A horizontal bar of w cells filled to `fraction` (0..1) with eighths of a cell. */
void canvas_hbar(struct canvas *c, int x, int y, int w, double fraction, enum ui_style s);

/* ---- exporters (export.c) ------------------------------------------------------------------ */

/* The canvas as UTF-8 text: one line per row, trailing blanks removed, each line ending in '\n'.
 * Returns a malloc'd NUL-terminated string, or NULL when memory ran out. */
char *canvas_to_text(const struct canvas *c);

/* The canvas as a standalone SVG document with its colours (or monochrome attributes when
 * `mono`).  Returns a malloc'd string, or NULL when memory ran out. */
char *canvas_to_svg(const struct canvas *c, bool mono);

/* The SVG's size in pixels. */
void canvas_svg_size(const struct canvas *c, int *width, int *height);

/* Writes canvas_to_text or canvas_to_svg to path (".svg" selects SVG).  0, or -1 with errno. */
int canvas_write_file(const struct canvas *c, const char *path, bool mono);

/* Writes the SVG rendered to a PNG, at twice its size, with librsvg and cairo loaded for it
 * (export_png.c).  0, or -1 with a one-line reason in err (the libraries missing, among others). */
int canvas_write_png(const struct canvas *c, const char *path, bool mono, char *err, size_t errlen);

#endif
