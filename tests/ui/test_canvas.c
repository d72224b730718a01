/*
 * test_canvas.c - the canvas and its exporters: clipping, origins, UTF-8 and the ASCII
 * fallback, boxes and bars, text and SVG output.
 */
#include <ui/canvas.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

static char *row_text(const struct canvas *c, int y)
{
    char *all = canvas_to_text(c);
    cr_assert_not_null(all);
    char *line = all;
    for (int i = 0; i < y; i++) {
        line = strchr(line, '\n');
        cr_assert_not_null(line);
        line++;
    }
    char *end = strchr(line, '\n');
    char *out = strndup(line, (size_t)(end - line));
    free(all);
    return out;
}

Test(canvas, text_is_clipped_to_the_canvas)
{
    struct canvas c;
    cr_assert_eq(canvas_init(&c, 10, 3, false), 0);
    int n = canvas_text(&c, 7, 1, -1, UI_S_NORMAL, "abcdef");
    cr_assert_eq(n, 3);
    char *r = row_text(&c, 1);
    cr_assert_str_eq(r, "       abc");
    free(r);
    canvas_text(&c, -2, 0, -1, UI_S_NORMAL, "xyz");
    r = row_text(&c, 0);
    cr_assert_str_eq(r, "z");
    free(r);
    canvas_release(&c);
}

Test(canvas, enter_moves_the_origin_and_clips)
{
    struct canvas c;
    canvas_init(&c, 20, 5, false);
    struct canvas_frame f = canvas_enter(&c, (struct ui_rect){5, 1, 4, 2});
    canvas_text(&c, 0, 0, -1, UI_S_NORMAL, "inside-and-beyond");
    canvas_text(&c, 0, 5, -1, UI_S_NORMAL, "below");
    canvas_leave(&c, f);
    canvas_text(&c, 0, 3, -1, UI_S_NORMAL, "after");
    char *r1 = row_text(&c, 1), *r3 = row_text(&c, 3), *r2 = row_text(&c, 2);
    cr_assert_str_eq(r1, "     insi");
    cr_assert_str_eq(r2, "");
    cr_assert_str_eq(r3, "after");
    free(r1);
    free(r2);
    free(r3);
    canvas_release(&c);
}

Test(canvas, utf8_is_one_column_per_character_and_wide_ones_are_replaced)
{
    struct canvas c;
    canvas_init(&c, 12, 1, false);
    int n = canvas_text(&c, 0, 0, -1, UI_S_NORMAL, "a\xc3\xa9\xe2\x86\x92\xe4\xb8\xad!");
    cr_assert_eq(n, 5);
    cr_assert_eq(canvas_cell(&c, 1, 0)->ch, 0xE9u);
    cr_assert_eq(canvas_cell(&c, 2, 0)->ch, 0x2192u);
    cr_assert_eq(canvas_cell(&c, 3, 0)->ch, '?', "a CJK character may be two columns wide");
    cr_assert_eq(canvas_cell(&c, 4, 0)->ch, '!');
    cr_assert_eq(ui_text_width("a\xc3\xa9\xe2\x86\x92"), 3);
    /* a malformed sequence does not swallow what follows */
    canvas_clear(&c);
    n = canvas_text(&c, 0, 0, -1, UI_S_NORMAL, "\xe2\x86z");
    cr_assert_eq(canvas_cell(&c, n - 1, 0)->ch, 'z');
    canvas_release(&c);
}

Test(canvas, ascii_canvases_use_the_fallbacks)
{
    struct canvas c;
    canvas_init(&c, 8, 1, true);
    canvas_glyph(&c, 0, 0, UI_G_POOL_FULL, UI_S_POOL_FULL);
    canvas_glyph(&c, 1, 0, UI_G_POOL_UNTOUCHED, UI_S_POOL_UNTOUCHED);
    canvas_glyph(&c, 2, 0, UI_G_POOL_EMPTY, UI_S_POOL_EMPTY);
    canvas_text(&c, 3, 0, -1, UI_S_NORMAL, "\xc3\xa9x");
    char *r = row_text(&c, 0);
    cr_assert_str_eq(r, "#.o?x");
    free(r);
    canvas_release(&c);
}

Test(canvas, every_glyph_has_a_distinct_meaning_in_ascii_where_it_matters)
{
    /* the pool states must stay distinguishable without colour and without UTF-8 */
    enum ui_glyph states[] = {UI_G_POOL_UNTOUCHED, UI_G_POOL_EMPTY, UI_G_POOL_USED1, UI_G_POOL_USED2,
                              UI_G_POOL_USED3,     UI_G_POOL_FULL,  UI_G_SLIVER,     UI_G_RELEASED};
    size_t n = sizeof states / sizeof states[0];
    for (int ascii = 0; ascii < 2; ascii++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = i + 1; j < n; j++)
                cr_assert_neq(ui_glyph_char(states[i], ascii), ui_glyph_char(states[j], ascii),
                              "pool glyphs %zu and %zu look the same (ascii %d)", i, j, ascii);
    enum ui_glyph blocks[] = {UI_G_BLOCK_ALLOC, UI_G_BLOCK_FREE, UI_G_BLOCK_VIRGIN, UI_G_BLOCK_NEXT};
    for (int ascii = 0; ascii < 2; ascii++)
        for (size_t i = 0; i < 4; i++)
            for (size_t j = i + 1; j < 4; j++)
                cr_assert_neq(ui_glyph_char(blocks[i], ascii), ui_glyph_char(blocks[j], ascii));
}

Test(canvas, box_and_title)
{
    struct canvas c;
    canvas_init(&c, 12, 3, true);
    canvas_box(&c, (struct ui_rect){0, 0, 12, 3}, "Pool", false);
    char *r0 = row_text(&c, 0), *r1 = row_text(&c, 1), *r2 = row_text(&c, 2);
    cr_assert_str_eq(r0, "+ Pool ----+");
    cr_assert_str_eq(r1, "|          |");
    cr_assert_str_eq(r2, "+----------+");
    free(r0);
    free(r1);
    free(r2);
    canvas_release(&c);
}

Test(canvas, hbar_fills_by_eighths)
{
    struct canvas c;
    canvas_init(&c, 4, 1, false);
    canvas_hbar(&c, 0, 0, 4, 0.5, UI_S_BAR);
    cr_assert_eq(canvas_cell(&c, 0, 0)->ch, 0x2588u);
    cr_assert_eq(canvas_cell(&c, 1, 0)->ch, 0x2588u);
    cr_assert_neq(canvas_cell(&c, 2, 0)->ch, 0x2588u);
    canvas_hbar(&c, 0, 0, 4, 0.001, UI_S_BAR);
    cr_assert_neq(canvas_cell(&c, 0, 0)->ch, ui_glyph_char(UI_G_BAR_EMPTY, false), "a tiny value still shows");
    canvas_hbar(&c, 0, 0, 4, 7.0, UI_S_BAR); /* clamped */
    cr_assert_eq(canvas_cell(&c, 3, 0)->ch, 0x2588u);
    canvas_release(&c);
}

Test(export, text_drops_trailing_blanks_only)
{
    struct canvas c;
    canvas_init(&c, 6, 2, false);
    canvas_text(&c, 1, 0, -1, UI_S_NORMAL, "a b");
    char *t = canvas_to_text(&c);
    cr_assert_str_eq(t, " a b\n\n");
    free(t);
    canvas_release(&c);
}

Test(export, svg_keeps_colours_and_escapes_text)
{
    struct canvas c;
    canvas_init(&c, 10, 2, false);
    canvas_text(&c, 0, 0, -1, UI_S_ERROR, "<a&b>");
    canvas_glyph(&c, 0, 1, UI_G_POOL_FULL, UI_S_POOL_FULL);
    char *svg = canvas_to_svg(&c, false);
    cr_assert_not_null(svg);
    cr_assert(strncmp(svg, "<svg ", 5) == 0);
    cr_assert(strstr(svg, "&lt;a&amp;b&gt;") != NULL);
    cr_assert(strstr(svg, "fill=\"#ff5f5f\"") != NULL, "the error style's colour is kept");
    cr_assert(strstr(svg, "</svg>") != NULL);
    char *mono = canvas_to_svg(&c, true);
    cr_assert(strstr(mono, "#ff5f5f") == NULL, "a monochrome render has no style colour");
    free(mono);
    free(svg);
    canvas_release(&c);
}

Test(export, write_file_picks_the_format_by_extension)
{
    struct canvas c;
    canvas_init(&c, 4, 1, false);
    canvas_text(&c, 0, 0, -1, UI_S_NORMAL, "hi");
    char dir[] = "/tmp/arenascope-canvas-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char txt[64], svg[64];
    snprintf(txt, sizeof txt, "%s/a.txt", dir);
    snprintf(svg, sizeof svg, "%s/a.svg", dir);
    cr_assert_eq(canvas_write_file(&c, txt, false), 0);
    cr_assert_eq(canvas_write_file(&c, svg, false), 0);
    char buf[64] = {0};
    FILE *f = fopen(txt, "r");
    cr_assert_not_null(f);
    cr_assert_gt(fread(buf, 1, sizeof buf - 1, f), 0);
    fclose(f);
    cr_assert_str_eq(buf, "hi\n");
    f = fopen(svg, "r");
    cr_assert_gt(fread(buf, 1, 4, f), 0);
    fclose(f);
    cr_assert(strncmp(buf, "<svg", 4) == 0);
    char bad[80];
    snprintf(bad, sizeof bad, "%s/missing/x.txt", dir);
    cr_assert_eq(canvas_write_file(&c, bad, false), -1);
    remove(txt);
    remove(svg);
    rmdir(dir);
    canvas_release(&c);
}
