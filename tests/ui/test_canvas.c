/*
 * test_canvas.c - the canvas and its exporters: clipping, origins, UTF-8 and the ASCII
 * fallback, boxes and bars, paragraphs wrapped at words, text that does not fit, text and SVG
 * output.
 */
#include <ui/canvas.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

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
    /* in the arena map, a pool's state is never a piece of the frame around it */
    enum ui_glyph frame[] = {UI_G_HLINE, UI_G_VLINE, UI_G_CORNER_TL, UI_G_TEE_LEFT, UI_G_POINTER};
    for (int ascii = 0; ascii < 2; ascii++)
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < sizeof frame / sizeof frame[0]; j++)
                cr_assert_neq(ui_glyph_char(states[i], ascii), ui_glyph_char(frame[j], ascii),
                              "pool glyph %zu looks like frame glyph %zu (ascii %d)", i, j, ascii);
    /* on the timeline, each mark is told apart from the others, the rail and the frame */
    enum ui_glyph marks[] = {UI_G_MARK_GC, UI_G_MARK_ARENA_NEW, UI_G_MARK_ARENA_FREE, UI_G_MARK_BREAK, UI_G_MARK_STEP,
                             UI_G_TRACK, UI_G_CARET, UI_G_CORNER_TL};
    size_t nm = sizeof marks / sizeof marks[0];
    for (int ascii = 0; ascii < 2; ascii++)
        for (size_t i = 0; i < 4; i++)
            for (size_t j = i + 1; j < nm; j++)
                cr_assert_neq(ui_glyph_char(marks[i], ascii), ui_glyph_char(marks[j], ascii),
                              "timeline glyphs %zu and %zu look the same (ascii %d)", i, j, ascii);
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

Test(canvas, text_that_loses_words_is_counted_as_cut_and_an_ellipsis_as_abbreviated)
{
    struct canvas c;
    canvas_init(&c, 10, 2, false);
    canvas_text(&c, 0, 0, 4, UI_S_NORMAL, "ab  ");
    canvas_text(&c, 6, 0, -1, UI_S_NORMAL, "four    ");
    cr_assert_eq(c.ncut, 0, "blanks may be dropped");
    canvas_text(&c, 0, 1, 3, UI_S_NORMAL, "abcdef");
    cr_assert_eq(c.ncut, 1);
    cr_assert_eq(c.first_cut.x, 0);
    cr_assert_eq(c.first_cut.y, 1);
    cr_assert_str_eq(c.first_cut.text, "abcdef");
    canvas_text(&c, 8, 1, -1, UI_S_NORMAL, "xyz");
    cr_assert_eq(c.ncut, 2, "what the clip drops is cut too");
    canvas_text_fit(&c, 0, 0, 5, UI_S_NORMAL, "abcdefgh");
    cr_assert_eq(c.ncut, 2, "an ellipsis is deliberate");
    cr_assert_eq(c.nabbrev, 1);
    canvas_clear(&c);
    cr_assert_eq(c.ncut + c.nabbrev, 0);
    canvas_release(&c);
}

/* The rows of a canvas as text, one string with '|' between rows. */
static char *rows_text(const struct canvas *c)
{
    char *all = canvas_to_text(c);
    for (char *p = all; *p; p++)
        if (*p == '\n' && p[1])
            *p = '|';
    all[strlen(all) - 1] = '\0';
    return all;
}

static void para_of(struct ui_para *p, const char *text)
{
    ui_para_init(p);
    ui_para_add(p, UI_S_NORMAL, text);
}

Test(para, wraps_at_blanks_and_breaks_only_a_word_longer_than_the_row)
{
    struct canvas c;
    canvas_init(&c, 10, 4, false);
    struct ui_para p;
    para_of(&p, "the pool is full once more");
    cr_assert_eq(ui_para_rows(&p, 10, 0, NULL), 3);
    int end;
    cr_assert_eq(canvas_para(&c, 0, 0, 10, 0, -1, &p, &end), 3);
    char *t = rows_text(&c);
    cr_assert_str_eq(t, "the pool|is full|once more|", "%s", t);
    cr_assert_eq(end, 9);
    free(t);
    cr_assert_eq(c.ncut + c.nabbrev, 0);

    canvas_clear(&c);
    para_of(&p, "0x7f0fd47380b0 ok");
    cr_assert_eq(canvas_para(&c, 0, 0, 10, 0, -1, &p, NULL), 2);
    t = rows_text(&c);
    cr_assert_str_eq(t, "0x7f0fd473|80b0 ok||", "%s", t);
    free(t);

    canvas_clear(&c);
    para_of(&p, "one\ntwo three");
    cr_assert_eq(canvas_para(&c, 0, 0, 10, 0, -1, &p, NULL), 2, "a newline starts a row");
    t = rows_text(&c);
    cr_assert_str_eq(t, "one|two three||", "%s", t);
    free(t);
    canvas_release(&c);
}

Test(para, a_span_added_whole_is_never_broken)
{
    struct canvas c;
    canvas_init(&c, 20, 3, false);
    struct ui_para p;
    ui_para_init(&p);
    ui_para_add(&p, UI_S_NORMAL, "a Node at 0x40 ");
    ui_para_add_whole(&p, UI_S_DIM, "(Enter shows it)");
    cr_assert_eq(canvas_para(&c, 0, 0, 20, 0, -1, &p, NULL), 2);
    char *t = rows_text(&c);
    cr_assert_str_eq(t, "a Node at 0x40|(Enter shows it)|", "%s", t);
    free(t);
    cr_assert_eq(canvas_cell(&c, 0, 1)->style, UI_S_DIM, "each span keeps its style");
    cr_assert_eq(canvas_cell(&c, 0, 0)->style, UI_S_NORMAL);
    canvas_release(&c);
}

Test(para, the_first_row_may_start_further_in_and_defers_a_word_that_does_not_fit)
{
    struct canvas c;
    canvas_init(&c, 12, 3, false);
    struct ui_para p;
    para_of(&p, "alloc 512 B hands out");
    cr_assert_eq(canvas_para(&c, 0, 0, 12, 4, -1, &p, NULL), 3);
    char *t = rows_text(&c);
    cr_assert_str_eq(t, "    alloc|512 B hands|out", "%s", t);
    free(t);
    canvas_clear(&c);
    para_of(&p, "allocated here");
    cr_assert_eq(ui_para_rows(&p, 12, 6, NULL), 3, "the first word does not fit after the lead-in");
    canvas_para(&c, 0, 0, 12, 6, -1, &p, NULL);
    t = rows_text(&c);
    cr_assert_str_eq(t, "|allocated|here", "%s", t);
    free(t);
    canvas_release(&c);
}

Test(para, given_fewer_rows_it_ends_after_a_whole_word_with_an_ellipsis)
{
    struct canvas c;
    canvas_init(&c, 12, 2, false);
    struct ui_para p;
    para_of(&p, "the block goes to the head of the free list");
    int end;
    cr_assert_eq(canvas_para(&c, 0, 0, 12, 0, 2, &p, &end), 2);
    char *t = rows_text(&c);
    cr_assert_str_eq(t, "the block|goes to the\xe2\x80\xa6", "%s", t);
    free(t);
    cr_assert_eq(end, 12);
    cr_assert_eq(c.nabbrev, 1);
    cr_assert_eq(c.ncut, 0);
    canvas_release(&c);
}

Test(para, long_text_is_kept_to_the_buffer_at_a_character_boundary)
{
    struct ui_para p;
    ui_para_init(&p);
    for (int i = 0; i < 2 * UI_PARA_BYTES / 3; i++)
        ui_para_add(&p, (enum ui_style)(i % 2), "\xc3\xa9");
    cr_assert_lt(p.len, (size_t)UI_PARA_BYTES);
    cr_assert_eq(p.len % 2, 0, "no half character");
    cr_assert_leq(p.nspans, UI_PARA_SPANS);
    cr_assert_eq(ui_para_width(&p), (int)p.len / 2);
}

Test(canvas, choose_takes_the_first_wording_that_fits)
{
    struct canvas c;
    canvas_init(&c, 30, 1, false);
    static const char *const words[] = {"LIVE holding: ] runs the next step", "LIVE: ] next step", "LIVE"};
    cr_assert_eq(canvas_text_choose(&c, 0, 0, 20, UI_S_NORMAL, words, 3), 17);
    char *t = row_text(&c, 0);
    cr_assert_str_eq(t, "LIVE: ] next step");
    free(t);
    cr_assert_eq(canvas_text_choose(&c, 0, 0, 3, UI_S_NORMAL, words, 3), 3, "none fits: the last, abbreviated");
    cr_assert_eq(c.nabbrev, 1);
    cr_assert_eq(c.ncut, 0);
    canvas_release(&c);
}

Test(canvas, blit_copies_cells_and_what_was_cut)
{
    struct canvas src, dst;
    canvas_init(&src, 6, 4, false);
    canvas_init(&dst, 10, 2, false);
    canvas_text(&src, 0, 2, -1, UI_S_ERROR, "row 2");
    canvas_text(&src, 0, 3, 2, UI_S_NORMAL, "cut");
    canvas_blit(&dst, 3, 0, &src, (struct ui_rect){0, 2, 6, 2});
    char *t = row_text(&dst, 0);
    cr_assert_str_eq(t, "   row 2");
    free(t);
    cr_assert_eq(canvas_cell(&dst, 3, 0)->style, UI_S_ERROR);
    cr_assert_eq(dst.ncut, 1);
    cr_assert_str_eq(dst.first_cut.text, "cut");
    canvas_release(&src);
    canvas_release(&dst);
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

/* A write that fails half way (here: the file size limit, as a full disk would) leaves what was
 * at the path before, whole, and no file of its own beside it. */
Test(export, a_write_that_fails_leaves_the_old_file_whole)
{
    struct canvas c;
    canvas_init(&c, 200, 100, false);
    for (int y = 0; y < 100; y++)
        canvas_text(&c, 0, y, -1, UI_S_NORMAL, "a row of text that makes the svg larger than the limit set below");
    char dir[] = "/tmp/arenascope-canvas-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char svg[64];
    snprintf(svg, sizeof svg, "%s/a.svg", dir);
    FILE *f = fopen(svg, "w");
    cr_assert_not_null(f);
    fputs("the picture before\n", f);
    fclose(f);

    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim = {4096, 4096};
        setrlimit(RLIMIT_FSIZE, &lim);
        _exit(canvas_write_file(&c, svg, false) == -1 && errno == EFBIG ? 0 : 1);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the write must fail with EFBIG");

    char buf[64] = {0};
    f = fopen(svg, "r");
    cr_assert_not_null(f);
    cr_assert_gt(fread(buf, 1, sizeof buf - 1, f), 0);
    fclose(f);
    cr_assert_str_eq(buf, "the picture before\n");
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    cr_assert_eq(entries, 1, "only the old file is left in %s", dir);

    /* and a write that succeeds replaces it, with the permissions a new file gets */
    cr_assert_eq(canvas_write_file(&c, svg, false), 0);
    struct stat sb;
    cr_assert_eq(stat(svg, &sb), 0);
    mode_t mask = umask(0);
    umask(mask);
    cr_assert_eq(sb.st_mode & 0777, 0666 & ~mask);
    cr_assert_gt(sb.st_size, 4096);
    remove(svg);
    rmdir(dir);
    canvas_release(&c);
}

/* In an SVG, neighbouring pools of an arena row stay cells: each state's rectangle ends before
 * the next one starts, whatever the state. */
Test(export, svg_pool_cells_do_not_merge_into_slabs)
{
    enum ui_glyph states[] = {UI_G_POOL_USED1, UI_G_POOL_USED2, UI_G_POOL_USED3, UI_G_POOL_FULL};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        struct canvas c;
        canvas_init(&c, 3, 1, false);
        canvas_glyph(&c, 0, 0, states[i], UI_S_POOL_FULL);
        canvas_glyph(&c, 1, 0, states[i], UI_S_POOL_FULL);
        char *svg = canvas_to_svg(&c, false);
        double x[2], w[2];
        int n = 0;
        for (const char *p = strstr(svg, "<rect x="); p && n < 2; p = strstr(p + 1, "<rect x=")) {
            if (sscanf(p, "<rect x=\"%lf\" y=\"%*[^\"]\" width=\"%lf\"", &x[n], &w[n]) == 2)
                n++;
        }
        cr_assert_eq(n, 2, "two cells, two rectangles: %s", svg);
        cr_assert_lt(x[0] + w[0], x[1] - 0.5, "glyph %zu: the first cell's rectangle reaches the second's", i);
        free(svg);
        canvas_release(&c);
    }
}
