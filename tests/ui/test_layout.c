/*
 * test_layout.c - the arrangement of the screen (a pure function of size, focus and zoom) and
 * the key table.
 */
#include <ui/keys.h>
#include <ui/layout.h>
#include <ui/term.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool overlap(struct ui_rect a, struct ui_rect b)
{
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

static void check_sane(const struct ui_layout *l, int cols, int rows)
{
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        struct ui_rect r = l->pane[p];
        if (ui_rect_is_empty(r))
            continue;
        cr_assert(r.x >= 0 && r.y >= l->step.y + l->step.h && r.x + r.w <= cols && r.y + r.h <= l->footer.y,
                  "pane %s at %d,%d %dx%d leaves the body of %dx%d", ui_pane_title((enum ui_pane)p), r.x, r.y, r.w,
                  r.h, cols, rows);
        cr_assert_geq(r.w, 20);
        cr_assert_geq(r.h, 4, "pane %s is %d rows high at %dx%d", ui_pane_title((enum ui_pane)p), r.h, cols, rows);
        for (int q = p + 1; q < UI_PANE_COUNT; q++)
            if (!ui_rect_is_empty(l->pane[q]))
                cr_assert(!overlap(r, l->pane[q]), "panes %d and %d overlap", p, q);
    }
}

Test(layout, too_small_says_what_is_needed)
{
    struct ui_layout l;
    struct ui_layout_input in = {79, 40, UI_PANE_ARENAS, UI_PANE_NONE, 1, 1, false, false, false, 0};
    ui_layout_compute(&in, &l);
    cr_assert(l.too_small);
    cr_assert_eq(l.need_cols, UI_MIN_COLS);
    cr_assert_eq(l.need_rows, UI_MIN_ROWS);
    in = (struct ui_layout_input){200, 23, UI_PANE_ARENAS, UI_PANE_NONE, 1, 1, false, false, false, 0};
    ui_layout_compute(&in, &l);
    cr_assert(l.too_small);
    in = (struct ui_layout_input){80, 24, UI_PANE_ARENAS, UI_PANE_NONE, 1, 1, false, false, false, 0};
    ui_layout_compute(&in, &l);
    cr_assert_not(l.too_small);
}

Test(layout, every_size_and_focus_gives_sane_rectangles)
{
    for (int cols = UI_MIN_COLS; cols <= 260; cols += 7)
        for (int rows = UI_MIN_ROWS; rows <= 90; rows += 5)
            for (int f = 0; f < UI_PANE_COUNT * 16; f++) {
                struct ui_layout l;
                int foot = 1 + f / (UI_PANE_COUNT * 4) % 2;
                struct ui_layout_input in = {cols, rows, (enum ui_pane)(f % UI_PANE_COUNT), UI_PANE_NONE,
                                             1 + f / UI_PANE_COUNT % 4 * 2, foot, f >= UI_PANE_COUNT * 8,
                                             f % 3 == 0 || f % UI_PANE_COUNT == UI_PANE_CODE, f % 3 == 1, 0};
                ui_layout_compute(&in, &l);
                cr_assert_not(l.too_small);
                check_sane(&l, cols, rows);
                cr_assert_not(ui_rect_is_empty(l.pane[UI_PANE_TIMELINE]), "the timeline is always shown");
                cr_assert_not(ui_rect_is_empty(l.pane[f % UI_PANE_COUNT]), "the focused pane %d is shown at %dx%d",
                              f, cols, rows);
                cr_assert_eq(l.footer.y, rows - foot, "the footer takes the rows it asks for");
                cr_assert_eq(l.footer.h, foot);
                cr_assert_eq(l.body.y + l.body.h, l.footer.y);
            }
}

Test(layout, the_banner_gets_the_rows_it_asks_for_while_the_body_keeps_its_minimum)
{
    for (int rows = UI_MIN_ROWS; rows <= 60; rows++)
        for (int ask = 0; ask <= 10; ask++) {
            struct ui_layout l;
            struct ui_layout_input in = {80, rows, UI_PANE_ARENAS, UI_PANE_NONE, ask, 1, false, false, false, 0};
            ui_layout_compute(&in, &l);
            int want = ask < 1 ? 1 : ask;
            if (want > UI_MAX_STEP_ROWS)
                want = UI_MAX_STEP_ROWS;
            if (want > rows - 2 - UI_MIN_BODY_ROWS)
                want = rows - 2 - UI_MIN_BODY_ROWS;
            cr_assert_eq(l.step.h, want, "%d rows asked at 80x%d", ask, rows);
            cr_assert_eq(l.step.h, ui_layout_max_step_rows(rows) < ask ? ui_layout_max_step_rows(rows) : want);
            cr_assert_eq(l.step.y, 1);
            cr_assert_eq(l.body.y, 1 + l.step.h, "the body starts under the banner");
            cr_assert_eq(l.body.y + l.body.h, rows - 1, "and ends above the footer");
            cr_assert_geq(l.body.h, UI_MIN_BODY_ROWS);
        }
    cr_assert_geq(ui_layout_max_step_rows(UI_MIN_ROWS), 3, "the smallest screen gives a label three rows");
}

Test(layout, wide_screens_show_every_pane)
{
    /* Objects and Output share a place: Objects for the built-in workloads, Output for a real
     * program, unless the other has the focus */
    for (int program = 0; program < 2; program++) {
        enum ui_pane focuses[] = {UI_PANE_ARENAS, UI_PANE_OBJECTS, UI_PANE_OUTPUT};
        for (size_t f = 0; f < 3; f++) {
            struct ui_layout l;
            struct ui_layout_input in = {160, 48, focuses[f], UI_PANE_NONE, 1, 1, program, false, false, 0};
            ui_layout_compute(&in, &l);
            cr_assert(l.wide);
            enum ui_pane hidden = focuses[f] == UI_PANE_OBJECTS  ? UI_PANE_OUTPUT
                                  : focuses[f] == UI_PANE_OUTPUT ? UI_PANE_OBJECTS
                                  : program                      ? UI_PANE_OBJECTS
                                                                 : UI_PANE_OUTPUT;
            for (int p = 0; p < UI_PANE_COUNT; p++)
                cr_assert_eq(ui_rect_is_empty(l.pane[p]), p == (int)hidden || p == UI_PANE_CODE, "pane %d at 160x48 (focus %d, program %d)",
                             p, (int)focuses[f], program);
            cr_assert_geq(l.pane[UI_PANE_ARENAS].w, 80, "64 pools and their labels fit in the arena map");
        }
    }
}

Test(layout, a_real_program_gets_its_code_beside_its_names_and_output)
{
    /* 120x40: the Code pane over the arena map, the output over the collector, the names
     * (Objects) under the code beside the timeline; the pool and the size classes in place of
     * their neighbours when they have the focus */
    struct ui_layout l;
    struct ui_layout_input in = {120, 40, UI_PANE_CODE, UI_PANE_NONE, 1, 1, true, true, false, 0};
    ui_layout_compute(&in, &l);
    cr_assert(l.wide);
    enum ui_pane shown[] = {UI_PANE_CODE, UI_PANE_ARENAS, UI_PANE_OBJECTS, UI_PANE_OUTPUT, UI_PANE_GC,
                            UI_PANE_TIMELINE};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        cr_assert_not(ui_rect_is_empty(l.pane[shown[i]]), "pane %d at 120x40", (int)shown[i]);
    cr_assert_eq(l.pane[UI_PANE_CODE].x, 0, "the code on the left");
    cr_assert_lt(l.pane[UI_PANE_CODE].y, l.pane[UI_PANE_ARENAS].y, "over the arena map");
    cr_assert_geq(l.pane[UI_PANE_CODE].h, 10, "with room for lines of code");
    cr_assert_eq(l.pane[UI_PANE_OBJECTS].w, l.pane[UI_PANE_CODE].w, "the names as wide as the code");
    cr_assert_gt(l.pane[UI_PANE_OBJECTS].y, l.pane[UI_PANE_ARENAS].y, "under the heap");
    cr_assert(ui_rect_is_empty(l.pane[UI_PANE_POOL]) && ui_rect_is_empty(l.pane[UI_PANE_CLASSES]));
    in.focus = UI_PANE_POOL;
    ui_layout_compute(&in, &l);
    cr_assert(!ui_rect_is_empty(l.pane[UI_PANE_POOL]) && ui_rect_is_empty(l.pane[UI_PANE_ARENAS]));
    cr_assert_not(ui_rect_is_empty(l.pane[UI_PANE_CODE]));
    in.focus = UI_PANE_CLASSES;
    ui_layout_compute(&in, &l);
    cr_assert(!ui_rect_is_empty(l.pane[UI_PANE_CLASSES]) && ui_rect_is_empty(l.pane[UI_PANE_GC]));
    /* 80x24: the focused pane above the timeline, the Code pane when it has the focus */
    in = (struct ui_layout_input){80, 24, UI_PANE_CODE, UI_PANE_NONE, 1, 1, true, true, false, 0};
    ui_layout_compute(&in, &l);
    cr_assert_not(l.wide);
    cr_assert_not(ui_rect_is_empty(l.pane[UI_PANE_CODE]));
    cr_assert(ui_rect_is_empty(l.pane[UI_PANE_ARENAS]));
}

Test(layout, a_demo_with_its_source_gets_the_code_over_the_arena_map)
{
    /* 120x40: the demo's source over the arena map on the left, where the pool was; the right
     * column is a demo's (size classes, objects, collector); the pool in the arena map's place
     * when it has the focus */
    struct ui_layout l;
    struct ui_layout_input in = {120, 40, UI_PANE_ARENAS, UI_PANE_NONE, 1, 1, false, false, true, 0};
    ui_layout_compute(&in, &l);
    cr_assert(l.wide);
    enum ui_pane shown[] = {UI_PANE_CODE, UI_PANE_ARENAS, UI_PANE_CLASSES, UI_PANE_OBJECTS, UI_PANE_GC,
                            UI_PANE_TIMELINE};
    for (size_t i = 0; i < sizeof shown / sizeof shown[0]; i++)
        cr_assert_not(ui_rect_is_empty(l.pane[shown[i]]), "pane %d at 120x40", (int)shown[i]);
    cr_assert_eq(l.pane[UI_PANE_CODE].x, 0, "the code on the left");
    cr_assert_lt(l.pane[UI_PANE_CODE].y, l.pane[UI_PANE_ARENAS].y, "over the arena map");
    cr_assert_eq(l.pane[UI_PANE_CODE].w, l.pane[UI_PANE_ARENAS].w);
    cr_assert(ui_rect_is_empty(l.pane[UI_PANE_POOL]) && ui_rect_is_empty(l.pane[UI_PANE_OUTPUT]));
    in.focus = UI_PANE_POOL;
    ui_layout_compute(&in, &l);
    cr_assert(!ui_rect_is_empty(l.pane[UI_PANE_POOL]) && ui_rect_is_empty(l.pane[UI_PANE_ARENAS]));
    cr_assert_not(ui_rect_is_empty(l.pane[UI_PANE_CODE]));
    /* without its source a demo keeps the arena map over the pool */
    in = (struct ui_layout_input){120, 40, UI_PANE_ARENAS, UI_PANE_NONE, 1, 1, false, false, false, 0};
    ui_layout_compute(&in, &l);
    cr_assert(ui_rect_is_empty(l.pane[UI_PANE_CODE]) && !ui_rect_is_empty(l.pane[UI_PANE_POOL]));
    /* 80x24: the focused pane above the timeline, the Code pane when it has the focus */
    in = (struct ui_layout_input){80, 24, UI_PANE_CODE, UI_PANE_NONE, 1, 1, false, false, true, 0};
    ui_layout_compute(&in, &l);
    cr_assert_not(l.wide);
    cr_assert_not(ui_rect_is_empty(l.pane[UI_PANE_CODE]));
    cr_assert(ui_rect_is_empty(l.pane[UI_PANE_ARENAS]));
}

Test(layout, narrow_screens_show_the_focused_pane_above_the_timeline)
{
    struct ui_layout l;
    struct ui_layout_input in = {100, 30, UI_PANE_OBJECTS, UI_PANE_NONE, 1, 1, false, false, false, 0};
    ui_layout_compute(&in, &l);
    cr_assert_not(l.wide);
    cr_assert_not(ui_rect_is_empty(l.pane[UI_PANE_OBJECTS]));
    cr_assert(ui_rect_is_empty(l.pane[UI_PANE_ARENAS]));
    cr_assert_eq(l.pane[UI_PANE_OBJECTS].w, 100);
}

Test(layout, zoom_gives_one_pane_the_body)
{
    struct ui_layout l;
    struct ui_layout_input in = {150, 45, UI_PANE_GC, UI_PANE_GC, 1, 1, false, false, false, 0};
    ui_layout_compute(&in, &l);
    for (int p = 0; p < UI_PANE_COUNT; p++)
        if (p != UI_PANE_GC)
            cr_assert(ui_rect_is_empty(l.pane[p]));
    cr_assert_eq(l.pane[UI_PANE_GC].w, l.body.w);
    cr_assert_eq(l.pane[UI_PANE_GC].h, l.body.h);
    cr_assert_eq(ui_layout_pane_at(&l, 10, 10), UI_PANE_GC);
    cr_assert_eq(ui_layout_pane_at(&l, 10, 0), UI_PANE_NONE, "the header is no pane");
}

Test(layout, pane_names_round_trip)
{
    for (int p = 0; p < UI_PANE_COUNT; p++)
        cr_assert_eq(ui_pane_from_name(ui_pane_cli_name((enum ui_pane)p)), (enum ui_pane)p);
    cr_assert_eq(ui_pane_from_name("nonsense"), UI_PANE_NONE);
}

Test(keys, every_action_has_a_key_help_and_no_key_is_bound_twice)
{
    for (int a = 1; a < UI_ACTION_COUNT; a++) {
        const struct ui_action_def *d = ui_action_def((enum ui_action)a);
        cr_assert(d->key[0] != 0, "%s has no key", d->name);
        cr_assert(d->help && *d->help, "%s has no help", d->name);
        cr_assert(d->keys && *d->keys, "%s does not say its keys", d->name);
        for (int i = 0; i < 3; i++)
            if (d->key[i])
                cr_assert_eq((int)ui_action_for_key(d->key[i]), a, "key %d of %s is taken by another action", d->key[i],
                             d->name);
    }
    cr_assert_eq(ui_action_for_key(0), UI_ACT_NONE);
    cr_assert_eq(ui_action_for_key('Z'), UI_ACT_NONE);
}

Test(keys, the_issue_s_bindings)
{
    struct {
        int key;
        enum ui_action a;
    } want[] = {
        {' ', UI_ACT_PLAY},   {'l', UI_ACT_NEXT},      {UI_KEY_RIGHT, UI_ACT_NEXT}, {'h', UI_ACT_PREV},
        {UI_KEY_LEFT, UI_ACT_PREV}, {']', UI_ACT_NEXT_STEP}, {'[', UI_ACT_PREV_STEP}, {'}', UI_ACT_NEXT_GC},
        {'{', UI_ACT_PREV_GC}, {'g', UI_ACT_FIRST},    {'G', UI_ACT_LAST},      {':', UI_ACT_GOTO},
        {'+', UI_ACT_FASTER}, {'-', UI_ACT_SLOWER},    {'/', UI_ACT_SEARCH},    {'b', UI_ACT_BREAK},
        {'n', UI_ACT_NEXT_HIT}, {'N', UI_ACT_PREV_HIT}, {UI_KEY_TAB, UI_ACT_NEXT_PANE}, {UI_KEY_ENTER, UI_ACT_ENTER},
        {UI_KEY_ESC, UI_ACT_BACK}, {'z', UI_ACT_ZOOM},  {'?', UI_ACT_HELP},      {'q', UI_ACT_QUIT},
        {'j', UI_ACT_DOWN},   {'k', UI_ACT_UP},        {UI_KEY_UP, UI_ACT_UP},  {UI_KEY_DOWN, UI_ACT_DOWN},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_eq(ui_action_for_key(want[i].key), want[i].a, "key %d", want[i].key);
}

Test(keys, key_names)
{
    char buf[16];
    cr_assert_str_eq(ui_key_name(' ', buf), "Space");
    cr_assert_str_eq(ui_key_name('x', buf), "x");
    cr_assert_str_eq(ui_key_name(3, buf), "Ctrl-C");
    cr_assert_str_eq(ui_key_name(UI_KEY_PAGE_DOWN, buf), "PgDn");
}

Test(keys, parsing_keys_as_the_command_line_writes_them)
{
    int keys[16];
    char err[256];
    cr_assert_eq(ui_keys_parse("jk<PgDn><Enter><Space><lt>\xc3\xa9<S-Tab><Ctrl-C>", keys, 16, err, sizeof err), 9, "%s", err);
    static const int want[] = {'j', 'k', UI_KEY_PAGE_DOWN, UI_KEY_ENTER, ' ', '<', 0xE9, UI_KEY_BACKTAB, UI_KEY_CTRL_C};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_assert_eq(keys[i], want[i], "key %zu", i);
    /* every key the help names by a name parses back to itself */
    for (int k = UI_KEY_SPECIAL + 1; k <= UI_KEY_F1; k++) {
        char name[16], text[24];
        snprintf(text, sizeof text, "<%s>", ui_key_name(k, name));
        cr_assert_eq(ui_keys_parse(text, keys, 16, err, sizeof err), 1, "%s: %s", text, err);
        cr_assert_eq(keys[0], k, "%s", text);
    }
    cr_assert_eq(ui_keys_parse("a<Nope>", keys, 16, err, sizeof err), -1);
    cr_assert(strstr(err, "<Nope>") != NULL, "%s", err);
    cr_assert_eq(ui_keys_parse("abc", keys, 2, err, sizeof err), -1, "more keys than room");
    cr_assert_eq(ui_keys_parse("", keys, 2, err, sizeof err), 0);
}

/* The README's keys table ("### Keys", under "## The viewer"): each action's keys, as the help
 * shows them, are in the first column of one of its rows. */
Test(keys, the_readme_names_every_key)
{
    const char *src = getenv("ARENASCOPE_SOURCE");
    cr_assert_not_null(src);
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", src);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s is missing", path);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    cr_assert_lt(n, sizeof text - 1, "%s is larger than the test's buffer", path);
    text[n] = '\0';
    char *viewer = strstr(text, "\n## The viewer\n");
    cr_assert_not_null(viewer, "README.md has no \"## The viewer\" section");
    char *table = strstr(viewer, "\n### Keys\n");
    cr_assert_not_null(table, "README.md's viewer section has no \"### Keys\" table");
    table += strlen("\n### Keys\n");
    char *next = strstr(table, "\n#");
    if (next)
        next[1] = '\0';
    /* the first column of every row, each ending at the row's second '|' */
    static char keys[1 << 12];
    size_t k = 0;
    int rows = 0;
    char *save = NULL;
    for (char *line = strtok_r(table, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] != '|')
            continue;
        char *bar = strchr(line + 1, '|');
        cr_assert_not_null(bar, "a row of the keys table has one column");
        size_t len = (size_t)(bar - line);
        cr_assert_lt(k + len + 1, sizeof keys);
        memcpy(keys + k, line, len);
        k += len;
        keys[k++] = '\n';
        rows++;
    }
    keys[k] = '\0';
    cr_assert_gt(rows, 2, "README.md's keys table has no rows");
    for (int a = 1; a < UI_ACTION_COUNT; a++) {
        const struct ui_action_def *d = ui_action_def((enum ui_action)a);
        char quoted[40];
        snprintf(quoted, sizeof quoted, "`%s`", d->keys);
        cr_assert(strstr(keys, quoted) != NULL, "README.md's keys table does not name the keys %s (%s)", quoted,
                  d->name);
    }
}

Test(look, no_color_and_dumb_terminals)
{
    struct ui_look look;
    setenv("TERM", "xterm-256color", 1);
    unsetenv("NO_COLOR");
    ui_look_from_env(&look, false, false);
    cr_assert(look.color);
    cr_assert_not(look.plain);
    ui_look_from_env(&look, true, false);
    cr_assert_not(look.color, "--no-color");
    setenv("NO_COLOR", "1", 1);
    ui_look_from_env(&look, false, false);
    cr_assert_not(look.color, "NO_COLOR");
    setenv("NO_COLOR", "", 1);
    ui_look_from_env(&look, false, false);
    cr_assert(look.color, "an empty NO_COLOR does not count (no-color.org)");
    ui_look_from_env(&look, false, true);
    cr_assert(look.ascii, "--ascii");
    setenv("TERM", "dumb", 1);
    ui_look_from_env(&look, false, false);
    cr_assert_not(look.color);
    cr_assert(look.ascii);
    cr_assert(look.plain, "a dumb terminal gets whole frames");
    unsetenv("NO_COLOR");
}

Test(menu, lists_every_item_with_its_summary_and_marks_the_selected)
{
    struct ui_menu_item items[] = {{"tour", "a short walk"}, {"cycles", "reference cycles"}, {"copy", "copy or deepcopy"}};
    struct canvas c;
    cr_assert_eq(canvas_init(&c, 80, 24, true), 0);
    ui_menu_paint(&c, "demos", "Pick one.", items, 3, 1);
    char *t = canvas_to_text(&c);
    for (size_t i = 0; i < 3; i++) {
        cr_assert(strstr(t, items[i].name) != NULL);
        cr_assert(strstr(t, items[i].summary) != NULL);
    }
    cr_assert(strstr(t, "> cycles") != NULL, "the selected item is pointed at:\n%s", t);
    cr_assert(strstr(t, "Enter Start") != NULL);
    free(t);
    canvas_release(&c);
}

Test(menu, a_long_summary_wraps_and_a_long_list_scrolls_to_the_selected)
{
    struct ui_menu_item items[24];
    char names[24][16];
    for (int i = 0; i < 24; i++) {
        snprintf(names[i], sizeof names[i], "demo-%02d", i);
        items[i] = (struct ui_menu_item){names[i], i == 3 ? "small ints and interned strings are shared; others are "
                                                            "not, and this summary goes on well past the screen's edge"
                                                          : "short"};
    }
    struct canvas c;
    cr_assert_eq(canvas_init(&c, 80, 24, false), 0);
    ui_menu_paint(&c, "demos", "Pick one.", items, 24, 3);
    cr_assert_eq(c.ncut + c.nabbrev, 0, "nothing cut or shortened: \"%s\"", c.first_cut.text);
    char *t = canvas_to_text(&c);
    cr_assert(strstr(t, "others are\n") != NULL || strstr(t, "others are not,") != NULL, "%s", t);
    cr_assert(strstr(t, "screen's edge") != NULL, "the summary's end is on the next row:\n%s", t);
    free(t);
    ui_menu_paint(&c, "demos", "Pick one.", items, 24, 23);
    t = canvas_to_text(&c);
    cr_assert(strstr(t, "demo-23") != NULL, "the last item is scrolled into view:\n%s", t);
    cr_assert(strstr(t, "demo-00") == NULL);
    free(t);
    canvas_release(&c);
}
