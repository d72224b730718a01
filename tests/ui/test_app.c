/*
 * test_app.c - the viewer driven with keys, on the sample traces of traces/: stepping by events
 * and markers, search, go-to, breakpoints, panes, the help and "too small" screens, the loop's
 * one-repaint-per-frame rule, and a storm of random input that must not break anything.
 */
#include "fake_term.h"

#include <tracer/model.h>
#include <tracer/trace.h>
#include <ui/keys.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *traces_dir(void)
{
    const char *d = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(d, "ARENASCOPE_TRACES names the traces/ folder");
    return d;
}

static void trace_path(const char *name, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", traces_dir(), name);
}

struct viewer {
    struct seeker *s;
    struct ui_app *app;
    struct canvas c;
};

static void viewer_open(struct viewer *v, const char *name, int cols, int rows)
{
    char path[512], err[512];
    trace_path(name, path, sizeof path);
    cr_assert_eq(seeker_open(&v->s, path, 0, err, sizeof err), 0, "%s", err);
    struct ui_config cfg = {.title = name};
    cfg.look.color = true;
    cr_assert_eq(ui_app_new(&v->app, v->s, &cfg), 0);
    cr_assert_eq(canvas_init(&v->c, cols, rows, false), 0);
}

static void viewer_close(struct viewer *v)
{
    canvas_release(&v->c);
    ui_app_free(v->app);
    seeker_free(v->s);
}

static void key(struct viewer *v, int k)
{
    struct ui_input in = {UI_IN_KEY, k, 0, 0};
    ui_app_input(v->app, &in);
}

static void type(struct viewer *v, const char *s)
{
    for (; *s; s++)
        key(v, (unsigned char)*s);
}

/* Paints and returns the screen as text (caller frees). */
static char *screen(struct viewer *v)
{
    ui_app_paint(v->app, &v->c);
    return canvas_to_text(&v->c);
}

static bool screen_has(struct viewer *v, const char *needle)
{
    char *t = screen(v);
    bool found = strstr(t, needle) != NULL;
    free(t);
    return found;
}

/* The first event of `kind` at or after `from`, by reading the trace. */
static uint64_t first_of(struct viewer *v, enum event_kind kind, uint64_t from)
{
    uint64_t n = seeker_event_count(v->s);
    for (uint64_t i = from; i < n; i++) {
        struct event ev;
        char buf[256];
        cr_assert_eq(seeker_events(v->s, i, &ev, 1, buf, sizeof buf), 1);
        if (ev.kind == kind)
            return i;
    }
    return UINT64_MAX;
}

static void check_model(struct viewer *v)
{
    char err[256];
    cr_assert(model_is_valid(seeker_model(v->s), err, sizeof err), "the model at %lu is invalid: %s",
              (unsigned long)ui_app_position(v->app), err);
}

#define DEMO "demo-pool-lifecycle.trace"

Test(app, events_step_forward_and_back)
{
    struct viewer v;
    viewer_open(&v, DEMO, 120, 40);
    cr_assert_eq(ui_app_position(v.app), 0);
    key(&v, 'l');
    key(&v, UI_KEY_RIGHT);
    cr_assert_eq(ui_app_position(v.app), 2);
    key(&v, 'h');
    cr_assert_eq(ui_app_position(v.app), 1);
    key(&v, 'G');
    cr_assert_eq(ui_app_position(v.app), seeker_event_count(v.s));
    key(&v, 'l');
    cr_assert_eq(ui_app_position(v.app), seeker_event_count(v.s), "no step past the end");
    cr_assert(strstr(ui_app_message(v.app), "last event") != NULL);
    key(&v, 'g');
    cr_assert_eq(ui_app_position(v.app), 0);
    key(&v, 'h');
    cr_assert_eq(ui_app_position(v.app), 0, "no step before the start");
    viewer_close(&v);
}

Test(app, step_keys_stop_before_each_marker_and_show_its_step)
{
    struct viewer v;
    viewer_open(&v, DEMO, 220, 50);
    uint64_t m1 = first_of(&v, EV_STEP, 0);
    uint64_t m2 = first_of(&v, EV_STEP, m1 + 1);
    uint64_t m3 = first_of(&v, EV_STEP, m2 + 1);
    cr_assert_neq(m3, UINT64_MAX, "the demo has at least three steps");
    key(&v, ']');
    if (m1 > 0) {
        cr_assert_eq(ui_app_position(v.app), m1, "first stop: before the first marker");
        cr_assert(screen_has(&v, "Before the first step"));
        key(&v, ']');
    }
    cr_assert_eq(ui_app_position(v.app), m2, "the end of step 1 is just before marker 2");
    cr_assert(screen_has(&v, "Step 1 of"));
    cr_assert(screen_has(&v, "] next:"));
    key(&v, ']');
    cr_assert_eq(ui_app_position(v.app), m3);
    cr_assert(screen_has(&v, "Step 2 of"));
    key(&v, '[');
    cr_assert_eq(ui_app_position(v.app), m2);
    key(&v, 'l');
    key(&v, ']');
    cr_assert_eq(ui_app_position(v.app), m3, "from inside a step, ] goes to its end");
    /* just after a marker, [ goes back to just before it */
    cr_assert_eq(ui_app_seek(v.app, m2 + 1), 0);
    key(&v, '[');
    cr_assert_eq(ui_app_position(v.app), m2, "[ right after marker 2 stops before it");
    key(&v, '[');
    cr_assert_eq(ui_app_position(v.app), m1);
    viewer_close(&v);
}

Test(app, goto_search_and_hits)
{
    struct viewer v;
    viewer_open(&v, DEMO, 120, 40);
    key(&v, ':');
    type(&v, "10");
    key(&v, UI_KEY_ENTER);
    cr_assert_eq(ui_app_position(v.app), 11, "event 10 is current: the state after it");
    cr_assert(screen_has(&v, "event 10 of"));
    key(&v, ':');
    type(&v, "99999999");
    key(&v, UI_KEY_ENTER);
    cr_assert_eq(ui_app_position(v.app), 11, "a bad number moves nothing");
    cr_assert(strstr(ui_app_message(v.app), "no event 99999999") != NULL, "%s", ui_app_message(v.app));
    /* the prompt takes what --at takes */
    uint64_t at;
    char err[160];
    cr_assert_eq(ui_parse_position(v.s, "step:3", &at, err, sizeof err), 0, "%s", err);
    key(&v, ':');
    type(&v, "step:3");
    key(&v, UI_KEY_ENTER);
    cr_assert_eq(ui_app_position(v.app), at, "step:3 goes where --at step:3 does");
    key(&v, ':');
    type(&v, "end");
    key(&v, UI_KEY_ENTER);
    cr_assert_eq(ui_app_position(v.app), seeker_event_count(v.s));
    key(&v, ':');
    type(&v, "step:x");
    key(&v, UI_KEY_ENTER);
    cr_assert(strstr(ui_app_message(v.app), "not a step number") != NULL, "%s", ui_app_message(v.app));
    /* step:0 is just before the first marker */
    key(&v, ':');
    type(&v, "step:0");
    key(&v, UI_KEY_ENTER);
    uint64_t marker = first_of(&v, EV_STEP, 0);
    cr_assert_neq(marker, UINT64_MAX);
    cr_assert_eq(ui_app_position(v.app), marker, "step:0 is the position before marker 1");
    key(&v, 'g');
    key(&v, '/');
    type(&v, "pool_full");
    key(&v, UI_KEY_ENTER);
    uint64_t full = first_of(&v, EV_POOL_FULL, 0);
    cr_assert_neq(full, UINT64_MAX);
    cr_assert_eq(ui_app_position(v.app), full + 1, "the hit is the current event");
    uint64_t hits = 0;
    for (uint64_t f = full; f != UINT64_MAX; f = first_of(&v, EV_POOL_FULL, f + 1))
        hits++;
    char want[96];
    snprintf(want, sizeof want, "event %" PRIu64 ", hit 1 of %" PRIu64 " ", full, hits);
    cr_assert(strstr(ui_app_message(v.app), want) != NULL, "'%s' lacks '%s'", ui_app_message(v.app), want);
    uint64_t second = first_of(&v, EV_POOL_FULL, full + 1);
    key(&v, 'n');
    if (second != UINT64_MAX)
        cr_assert_eq(ui_app_position(v.app), second + 1);
    key(&v, 'N');
    cr_assert_eq(ui_app_position(v.app), full + 1);
    key(&v, 'N');
    uint64_t last = full;
    for (uint64_t f = full; f != UINT64_MAX; f = first_of(&v, EV_POOL_FULL, f + 1))
        last = f;
    cr_assert_eq(ui_app_position(v.app), last + 1, "N before the first hit wraps to the last");
    snprintf(want, sizeof want, ", hit %" PRIu64 " of %" PRIu64 ", from the end again", hits, hits);
    cr_assert(strstr(ui_app_message(v.app), want) != NULL, "'%s' lacks '%s'", ui_app_message(v.app), want);
    cr_assert(strstr(ui_app_message(v.app), "from the end again") != NULL, "%s", ui_app_message(v.app));
    /* Esc leaves a prompt without moving */
    uint64_t here = ui_app_position(v.app);
    key(&v, '/');
    type(&v, "block_free");
    key(&v, UI_KEY_ESC);
    cr_assert_eq(ui_app_position(v.app), here);
    viewer_close(&v);
}

Test(app, a_breakpoint_stops_playing)
{
    struct viewer v;
    viewer_open(&v, DEMO, 120, 40);
    key(&v, 'b');
    key(&v, 'F'); /* any pool becoming full */
    for (int i = 0; i < 20; i++)
        key(&v, '+');
    key(&v, ' ');
    double t = 0;
    for (int i = 0; i < 1000 && ui_app_position(v.app) < seeker_event_count(v.s); i++) {
        ui_app_tick(v.app, t);
        t += 1000;
        if (strstr(ui_app_message(v.app), "breakpoint"))
            break;
    }
    uint64_t full = first_of(&v, EV_POOL_FULL, 0);
    cr_assert_eq(ui_app_position(v.app), full + 1, "stopped just after the first pool_full");
    cr_assert(strstr(ui_app_message(v.app), "stopped at breakpoint 1") != NULL, "%s", ui_app_message(v.app));
    /* a kind typed by name, then deleted */
    key(&v, 'b');
    key(&v, 'k');
    type(&v, "no_such_kind");
    key(&v, UI_KEY_ENTER);
    cr_assert(strstr(ui_app_message(v.app), "no event kind") != NULL);
    key(&v, 'b');
    key(&v, 'd');
    type(&v, "1");
    key(&v, UI_KEY_ENTER);
    cr_assert(strstr(ui_app_message(v.app), "deleted") != NULL);
    viewer_close(&v);
}

Test(app, help_lists_every_key_and_any_key_closes_it)
{
    struct viewer v;
    viewer_open(&v, DEMO, 160, 50);
    key(&v, '?');
    char *t = screen(&v);
    for (int a = 1; a < UI_ACTION_COUNT; a++) {
        const struct ui_action_def *d = ui_action_def((enum ui_action)a);
        char start[24];
        snprintf(start, sizeof start, "%.20s", d->help);
        cr_assert(strstr(t, start) != NULL, "the help does not mention %s", d->name);
    }
    free(t);
    key(&v, 'x');
    cr_assert_not(screen_has(&v, "any key closes this help"));
    viewer_close(&v);
}

/* The screen's text with frames and line ends made blanks and blanks squeezed: a wrapped
 * sentence reads as one line. */
static char *flat_screen(struct viewer *v)
{
    char *t = screen(v);
    size_t o = 0;
    for (size_t i = 0; t[i]; i++) {
        char ch = t[i];
        if (strncmp(t + i, "\xe2\x94\x82", 3) == 0) /* the frame's vertical line */
            ch = ' ', i += 2;
        if (ch == '\n')
            ch = ' ';
        if (ch == ' ' && (o == 0 || t[o - 1] == ' '))
            continue;
        t[o++] = ch;
    }
    t[o] = '\0';
    return t;
}

Test(app, help_scrolls_where_it_does_not_fit_and_other_keys_close_it)
{
    struct viewer v;
    viewer_open(&v, DEMO, 80, 24);
    key(&v, '?');
    char *t = screen(&v);
    cr_assert(strstr(t, "scroll") != NULL, "the help says how to scroll it:\n%s", t);
    cr_assert(strstr(t, "play or pause (live: run or hold the workload)") != NULL, "one column, not cut:\n%s", t);
    free(t);
    t = flat_screen(&v);
    cr_assert(strstr(t, "the scrub bar jumps.") == NULL, "the end is below at first");
    free(t);
    /* every key's whole description is on one of the pages */
    bool seen[UI_ACTION_COUNT] = {false};
    for (int page = 0; page < 8; page++) {
        char *f = flat_screen(&v);
        for (int a = 1; a < UI_ACTION_COUNT; a++)
            if (strstr(f, ui_action_def((enum ui_action)a)->help))
                seen[a] = true;
        free(f);
        key(&v, UI_KEY_PAGE_DOWN);
        cr_assert(screen_has(&v, "scroll"), "paging keeps the help open");
    }
    for (int a = 1; a < UI_ACTION_COUNT; a++)
        cr_assert(seen[a], "the help never shows all of \"%s\"", ui_action_def((enum ui_action)a)->help);
    char *f = flat_screen(&v);
    cr_assert(strstr(f, "the scrub bar jumps.") != NULL, "paged to the end: %s", f);
    free(f);
    key(&v, 'k');
    key(&v, UI_KEY_UP);
    key(&v, 'j');
    cr_assert(screen_has(&v, "scroll"), "j and k scroll");
    key(&v, 'g');
    cr_assert(screen_has(&v, "play or pause"), "g goes back to the top");
    key(&v, 'x');
    cr_assert_not(screen_has(&v, "scroll"), "another key closes it");
    cr_assert_eq(ui_app_position(v.app), 0, "and does nothing else");
    /* where it fits, a scrolling key closes it too */
    viewer_close(&v);
    viewer_open(&v, DEMO, 160, 50);
    key(&v, '?');
    cr_assert(screen_has(&v, "any key closes this help"));
    key(&v, 'j');
    cr_assert_not(screen_has(&v, "any key closes this help"));
    viewer_close(&v);
}

Test(app, every_step_label_is_whole_on_the_smallest_screen)
{
    static const char *const traces[] = {"demo-tour.trace", "demo-refcount.trace", "demo-finalizers.trace",
                                         "demo-arena-lifecycle.trace"};
    for (size_t t = 0; t < sizeof traces / sizeof traces[0]; t++) {
        struct viewer v;
        viewer_open(&v, traces[t], 80, 24);
        uint64_t n = seeker_event_count(v.s), steps = 0;
        key(&v, ']'); /* to just before the first marker; each ] from there shows one more step */
        for (uint64_t i = first_of(&v, EV_STEP, 0); i < n; i = first_of(&v, EV_STEP, i + 1)) {
            struct event ev;
            char label[256];
            cr_assert_eq(seeker_events(v.s, i, &ev, 1, label, sizeof label), 1);
            cr_assert_lt(ev.str_len, sizeof label);
            label[ev.str_len] = '\0';
            key(&v, ']');
            char *f = flat_screen(&v);
            cr_assert(strstr(f, label) != NULL, "%s: step %llu's label is not whole at 80x24:\n%s", traces[t],
                      (unsigned long long)ev.u.step.number, screen(&v));
            free(f);
            steps++;
        }
        cr_assert_gt(steps, 3);
        viewer_close(&v);
    }
}

/* The footer is the bottom row: at 120 columns it names every key of the table that has a footer
 * label, as "KEY Label", in the table's order. */
Test(app, footer_names_the_keys_of_the_table)
{
    struct viewer v;
    viewer_open(&v, DEMO, 120, 40);
    char *t = screen(&v);
    char *end = strrchr(t, '\n');
    cr_assert_not_null(end);
    *end = '\0';
    const char *footer = strrchr(t, '\n');
    cr_assert_not_null(footer);
    footer++;
    const char *at = footer;
    int named = 0;
    for (int a = 1; a < UI_ACTION_COUNT; a++) {
        const struct ui_action_def *d = ui_action_def((enum ui_action)a);
        if (!d->footer)
            continue;
        char item[64];
        int klen = (int)strcspn(d->keys, " ");
        snprintf(item, sizeof item, " %.*s %s", klen, d->keys, d->footer);
        const char *found = strstr(at, item);
        cr_assert_not_null(found, "the footer row does not name \"%s\" after what comes before it: \"%s\"", item,
                           footer);
        at = found + strlen(item);
        cr_assert(*at == ' ' || *at == '\0', "\"%s\" is not a whole item of the footer row: \"%s\"", item, footer);
        named++;
    }
    cr_assert_geq(named, 3, "the key table gives the footer its labels");
    free(t);
    viewer_close(&v);
}

Test(app, too_small_screen_says_the_size_needed)
{
    struct viewer v;
    viewer_open(&v, DEMO, 60, 20);
    char *t = screen(&v);
    cr_assert(strstr(t, "terminal too small") != NULL, "%s", t);
    cr_assert(strstr(t, "this one is 60 x 20") != NULL);
    cr_assert(strstr(t, "needs 80 x 24") != NULL);
    free(t);
    key(&v, 'l'); /* keys do nothing but q there */
    cr_assert_eq(ui_app_position(v.app), 0);
    viewer_close(&v);

    /* down to 20 x 5 the size needed and the way out stay whole on a row each */
    for (int cols = 20; cols < 80; cols += 3)
        for (int rows = 5; rows < 24; rows += 2) {
            viewer_open(&v, DEMO, cols, rows);
            t = screen(&v);
            cr_assert(strstr(t, "needs 80 x 24") != NULL, "at %d x %d:\n%s", cols, rows, t);
            cr_assert(strstr(t, "q quits") || strstr(t, "press q to quit"), "at %d x %d:\n%s", cols, rows, t);
            char size[32];
            snprintf(size, sizeof size, "%d x %d", cols, rows);
            cr_assert(strstr(t, size) != NULL, "at %d x %d:\n%s", cols, rows, t);
            free(t);
            viewer_close(&v);
        }
}

Test(app, tab_moves_between_panes_and_zoom_fills_the_body)
{
    struct viewer v;
    viewer_open(&v, DEMO, 100, 30); /* narrow: one pane above the timeline */
    key(&v, 'G');
    cr_assert(screen_has(&v, "Arenas"));
    key(&v, UI_KEY_TAB);
    cr_assert(screen_has(&v, "Pool"));
    key(&v, UI_KEY_TAB);
    cr_assert(screen_has(&v, "Size classes"));
    key(&v, 'z');
    cr_assert(screen_has(&v, "Size classes"));
    cr_assert_not(screen_has(&v, "Timeline"), "zoomed: the timeline is hidden");
    key(&v, UI_KEY_ESC);
    cr_assert(screen_has(&v, "Timeline"));
    viewer_close(&v);
}

Test(app, a_click_selects_a_pool_and_enter_opens_it)
{
    struct viewer v;
    viewer_open(&v, DEMO, 140, 44);
    uint64_t full = first_of(&v, EV_POOL_FULL, 0);
    cr_assert_eq(ui_app_seek(v.app, full + 1), 0);
    char *t = screen(&v);
    /* find the arena row: a line with the label "   0 " right after the frame (or "▶  0 " when
     * it is the selected arena) */
    int y = -1;
    char *line = t;
    for (int row = 0; line && *line; row++) {
        if (strncmp(line, "\xe2\x94\x82   0 ", 8) == 0 || strncmp(line, "\xe2\x94\x82\xe2\x96\xb6  0 ", 10) == 0) {
            y = row;
            break;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    free(t);
    cr_assert_geq(y, 0, "the arena map shows arena 0");
    struct ui_input click = {UI_IN_MOUSE, 0, 1 + 5 + 1, y}; /* the frame, the label, the second cell */
    ui_app_input(v.app, &click);
    key(&v, UI_KEY_ENTER);
    char *after = screen(&v);
    bool shows = strstr(after, "Pool 0 of arena 0") || strstr(after, "Pool 1 of arena 0");
    free(after);
    cr_assert(shows, "the clicked pool is shown in the pool pane");
    viewer_close(&v);
}

Test(app, the_loop_repaints_once_for_a_burst_of_keys)
{
    struct viewer v;
    viewer_open(&v, DEMO, 120, 40);
    struct ui_input script[500];
    for (int i = 0; i < 500; i++)
        script[i] = (struct ui_input){UI_IN_KEY, i % 2 ? 'l' : 'j', 0, 0};
    struct fake_term ft = {120, 40, script, 500, 0, 0, NULL};
    struct ui_term term = fake_term_make(&ft);
    cr_assert_eq(ui_app_run(v.app, &term), 0);
    cr_assert_leq(ft.presents, 3, "500 keys at once cost %zu frames", ft.presents);
    uint64_t want = seeker_event_count(v.s) < 250 ? seeker_event_count(v.s) : 250;
    cr_assert_eq(ui_app_position(v.app), want, "every key was handled");
    free(ft.last);
    viewer_close(&v);
}

Test(app, a_signal_ends_the_loop_with_its_status)
{
    struct viewer v;
    viewer_open(&v, DEMO, 120, 40);
    struct ui_input script[] = {{UI_IN_KEY, 'l', 0, 0}, {UI_IN_QUIT, 2, 0, 0}, {UI_IN_KEY, 'l', 0, 0}};
    struct fake_term ft = {120, 40, script, 3, 0, 0, NULL};
    struct ui_term term = fake_term_make(&ft);
    cr_assert_eq(ui_app_run(v.app, &term), 128 + 2, "SIGINT: the status a shell reports");
    cr_assert_eq(ft.next, 2, "nothing is read after the signal");
    cr_assert_eq(ui_app_position(v.app), 1, "the key before it was handled");
    free(ft.last);
    viewer_close(&v);
}

/* Random input: every bound key, other keys, resizes (some too small), clicks and wheel turns. */
static struct ui_input random_input(unsigned *seed)
{
    static int bound[64];
    static int nbound;
    if (!nbound)
        for (int a = 1; a < UI_ACTION_COUNT; a++)
            for (int i = 0; i < 3; i++)
                if (ui_action_def((enum ui_action)a)->key[i] && ui_action_def((enum ui_action)a)->key[i] != 'q' &&
                    ui_action_def((enum ui_action)a)->key[i] != UI_KEY_CTRL_C && nbound < 64)
                    bound[nbound++] = ui_action_def((enum ui_action)a)->key[i];
    int r = rand_r(seed) % 100;
    if (r < 70)
        return (struct ui_input){UI_IN_KEY, bound[rand_r(seed) % nbound], 0, 0};
    if (r < 85) {
        int k = 32 + rand_r(seed) % 95;
        if (k == 'q')
            k = 'Q';
        return (struct ui_input){UI_IN_KEY, k, 0, 0};
    }
    if (r < 88)
        return (struct ui_input){UI_IN_KEY, UI_KEY_SPECIAL + 1 + rand_r(seed) % (UI_KEY_F1 - UI_KEY_SPECIAL), 0, 0};
    if (r < 90)
        return (struct ui_input){UI_IN_RESIZE, 0, 40 + rand_r(seed) % 200, 10 + rand_r(seed) % 70};
    if (r < 97)
        return (struct ui_input){UI_IN_MOUSE, 0, rand_r(seed) % 240, rand_r(seed) % 80};
    return (struct ui_input){UI_IN_WHEEL, rand_r(seed) % 2 ? 1 : -1, rand_r(seed) % 240, rand_r(seed) % 80};
}

Test(app, a_storm_of_random_input_on_every_sample_trace, .timeout = 600)
{
    DIR *d = opendir(traces_dir());
    cr_assert_not_null(d);
    struct dirent *e;
    int traces = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".trace") != 0)
            continue;
        traces++;
        unsigned seed = 12345u + (unsigned)traces;
        struct viewer v;
        viewer_open(&v, e->d_name, 120, 40);
        int cols = 120, rows = 40;
        for (int i = 0; i < 3000; i++) {
            struct ui_input in = random_input(&seed);
            if (in.kind == UI_IN_RESIZE) {
                cols = in.x;
                rows = in.y;
                cr_assert_eq(canvas_resize(&v.c, cols, rows), 0);
            }
            enum ui_redo redo = ui_app_input(v.app, &in);
            cr_assert_eq(redo & UI_REDO_QUIT, 0, "%s: input %d quit", e->d_name, i);
            if (i % 7 == 0)
                ui_app_tick(v.app, i * 40.0);
            cr_assert_leq(ui_app_position(v.app), seeker_event_count(v.s), "%s: input %d", e->d_name, i);
            if (i % 10 == 0)
                ui_app_paint(v.app, &v.c);
        }
        /* the viewer never changed the model behind the seeker's back: at the end (a settled
         * position, not inside an allocation) it is sound */
        canvas_resize(&v.c, 120, 40); /* not "too small", where keys do nothing */
        ui_app_paint(v.app, &v.c);
        key(&v, UI_KEY_ESC);
        key(&v, UI_KEY_ESC);
        key(&v, 'G');
        if (model_is_stopped(seeker_model(v.s))) {
            /* a trace whose events stop making sense: shown up to there, and the screen says why */
            cr_assert(strstr(ui_app_message(v.app), "stops making sense") != NULL, "%s: %s", e->d_name,
                      ui_app_message(v.app));
        } else {
            cr_assert_eq(ui_app_position(v.app), seeker_event_count(v.s), "%s: G goes to the end", e->d_name);
            check_model(&v);
        }
        viewer_close(&v);
    }
    closedir(d);
    cr_assert_geq(traces, 3, "traces/ holds the sample traces");
}

/* Writes a trace of the default geometry holding evs to a temporary file; returns its path. */
static const char *write_events(const char *name, const struct event *evs, size_t n)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/arenascope-test-%d-%s", (int)getpid(), name);
    struct trace_header h;
    memset(&h, 0, sizeof h);
    snprintf(h.profile, sizeof h.profile, "cpython-3.8");
    h.alignment = 16;
    h.threshold = 512;
    h.pool_size = 4096;
    h.arena_size = 256 << 10;
    h.pool_overhead = 48;
    h.pointer_size = 8;
    struct trace_writer *w;
    char err[256];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < n; i++)
        trace_writer_emit(w, &evs[i]);
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);
    return path;
}

static bool arenas_view_has(const char *path, uint64_t pos, const char *needle)
{
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    struct ui_config cfg = {.title = "t"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
    struct canvas c;
    cr_assert_eq(canvas_init(&c, 120, 40, false), 0);
    ui_app_render(app, pos, "arenas", &c);
    char *t = canvas_to_text(&c);
    bool found = strstr(t, needle) != NULL;
    if (!found)
        fprintf(stderr, "%s\n", t);
    free(t);
    canvas_release(&c);
    ui_app_free(app);
    seeker_free(s);
    return found;
}

/* With no live arena the map says why: none yet, none could be had, or all went back. */
Test(app, the_arena_map_says_why_no_arena_is_live)
{
    const uint64_t A = 0x7f0000000000ull;
    struct event failed[] = {
        {.kind = EV_ARENA_VECTOR, .u.arena_vector = {.slots = 16}},
        {.kind = EV_RAW_ALLOC, .u.raw_alloc = {.addr = 0x10000000, .size = 32, .why = EV_RAW_NO_ARENA}},
    };
    const char *p = write_events("failed.trace", failed, 2);
    cr_assert(arenas_view_has(p, 0, "no arena yet: the first small allocation obtains one"));
    cr_assert(arenas_view_has(p, 2, "no arena: none could be obtained, so small requests go to the C library"));
    unlink(p);
    struct event released[] = {
        {.kind = EV_ARENA_VECTOR, .u.arena_vector = {.slots = 16}},
        {.kind = EV_ARENA_NEW, .u.arena_new = {.serial = 0, .slot = 0, .base = A, .npools = 64}},
        {.kind = EV_ARENA_MOVE, .u.arena_move = {.slot = 0, .after = 0}},
        {.kind = EV_POOL_CARVE, .u.pool_carve = {.pool = A, .slot = 0}},
        {.kind = EV_POOL_INIT, .u.pool_init = {.pool = A, .szidx = 1}},
        {.kind = EV_BLOCK_ALLOC, .u.block_alloc = {.addr = A + 48, .size = 32, .virgin = 2}},
        {.kind = EV_BLOCK_FREE, .u.block_free = {.addr = A + 48}},
        {.kind = EV_POOL_EMPTY, .u.pool_empty = {.pool = A}},
        {.kind = EV_ARENA_MOVE, .u.arena_move = {.slot = 0, .after = -1}},
        {.kind = EV_ARENA_FREE, .u.arena_free = {.slot = 0, .base = A}},
    };
    p = write_events("released.trace", released, sizeof released / sizeof released[0]);
    /* the released arena fades from the map for a while, then the map says where it went */
    struct event *many = calloc(10 + 500, sizeof *many);
    memcpy(many, released, sizeof released);
    for (size_t i = 10; i < 510; i++)
        many[i] = (struct event){.kind = EV_GC_COUNT, .u.gc_count = {.gen = 0, .count = 0}};
    unlink(p);
    p = write_events("released.trace", many, 510);
    cr_assert(arenas_view_has(p, 510, "no arena: every arena obtained so far was returned to the system"));
    unlink(p);
    free(many);
}

/* Display columns from the start of a line to p (UTF-8: continuation bytes take none). */
static long columns_to(const char *line, const char *p)
{
    long n = 0;
    for (; line < p; line++)
        n += ((unsigned char)*line & 0xC0) != 0x80;
    return n;
}

/* The Collector pane's rows line up: every generation's object count, the frozen row's too,
 * ends in the same column, at every width the pane takes. */
Test(app, the_collector_s_rows_line_up)
{
    static const int widths[] = {80, 100, 120, 160, 200, 120, 140, 160, 200, 240};
    for (size_t wi = 0; wi < sizeof widths / sizeof widths[0]; wi++) {
        struct viewer v;
        viewer_open(&v, "demo-gc-tuning.trace", widths[wi], 40);
        cr_assert_eq(ui_app_render(v.app, seeker_event_count(v.s), wi < 5 ? "gc" : "all", &v.c), 0);
        char *t = canvas_to_text(&v.c);
        long col = -1;
        int rows = 0;
        for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
            bool gen = strstr(line, "gen0 ") || strstr(line, "gen1 ") || strstr(line, "gen2 ") || strstr(line, "perm ");
            char *obj = gen ? strstr(line, " obj") : NULL;
            if (!obj)
                continue;
            long at = columns_to(line, obj);
            cr_assert(col < 0 || at == col, "at %d columns, '%s' has its count's end at %ld, the rows above at %ld",
                      widths[wi], line, at, col);
            col = at;
            rows++;
        }
        free(t);
        cr_assert_eq(rows, 4, "at %d columns: %d collector rows", widths[wi], rows);
        viewer_close(&v);
    }
}

/* A static object's column says what it is instead of a ten-digit count that overflows it; the
 * detail keeps the number. */
Test(app, a_static_object_s_count_fits_its_column)
{
    struct viewer v;
    viewer_open(&v, "demo-identity.trace", 120, 40);
    char err[160];
    uint64_t at;
    cr_assert_eq(ui_parse_position(v.s, "step:2", &at, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ui_app_render(v.app, at, "objects", &v.c), 0);
    char *t = canvas_to_text(&v.c);
    cr_assert(strstr(t, "  st    \u221e ") != NULL, "%s", t);
    cr_assert(strstr(t, "refcount 1000000001") != NULL, "the detail keeps the number: %s", t);
    cr_assert(strstr(t, "refs: true counts (sys.getrefcount shows one more") != NULL, "the legend says whose: %s", t);
    int rows = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        if (!strstr(line, "  st "))
            continue;
        rows++;
        for (char *d = line; *d; d++)
            cr_assert(strspn(d, "0123456789") < 9, "a count that overflows its column: %s", line);
    }
    cr_assert_geq(rows, 1);
    free(t);
    viewer_close(&v);
}

/* Blocks the C library holds are counted on screen at every width, not only in the event log:
 * the layers demo's step 3 puts a string in the raw layer. */
Test(app, the_raw_layer_s_bytes_are_on_screen_at_every_width)
{
    for (int cols = 80; cols <= 240; cols += 20) {
        struct viewer v;
        viewer_open(&v, "demo-layers.trace", cols, 40);
        char err[160];
        uint64_t at;
        cr_assert_eq(ui_parse_position(v.s, "step:3", &at, err, sizeof err), 0, "%s", err);
        /* the Size classes pane where the screen has room for it, else alone */
        cr_assert_eq(ui_app_render(v.app, at, cols >= 120 ? "all" : "classes", &v.c), 0);
        struct model_totals t;
        model_totals(seeker_model(v.s), &t);
        cr_assert_gt(t.raw_blocks, 0);
        char *s = canvas_to_text(&v.c);
        char want[64];
        snprintf(want, sizeof want, "%" PRIu64 " B raw", t.raw_bytes);
        char want_long[64];
        snprintf(want_long, sizeof want_long, "%" PRIu64 " B in %" PRIu64 " raw allocation", t.raw_bytes, t.raw_blocks);
        cr_assert(strstr(s, want) || strstr(s, want_long), "at %d columns, no '%s':\n%s", cols, want, s);
        free(s);
        viewer_close(&v);
    }
}

/* At the end of every step the Pool pane shows the pool of the step's latest event that lies in a
 * pool, though the step ends on a print or a reference count. */
Test(app, the_pool_pane_follows_the_step_s_latest_block)
{
    static const char *const traces[] = {"demo-tour.trace", "demo-refcount.trace", "demo-layers.trace"};
    for (size_t ti = 0; ti < sizeof traces / sizeof traces[0]; ti++) {
        char path[512], err[512];
        trace_path(traces[ti], path, sizeof path);
        struct trace_reader *r;
        cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
        struct model *m;
        cr_assert_eq(model_new(&m, trace_reader_header(r)), 0);
        struct { uint64_t pos; char title[64]; } want[64];
        size_t nwant = 0;
        uint64_t last = 0;
        bool in_step = false;
        struct event ev;
        while (trace_reader_next(r, &ev) == 1) {
            if (ev.kind == EV_STEP) {
                struct model_pool p;
                if (in_step && last && model_pool_find(m, last, &p) && nwant < 64) {
                    want[nwant].pos = ev.seq;
                    snprintf(want[nwant].title, sizeof want[nwant].title, "Pool %" PRIu32 " of arena %" PRIu32,
                             p.index, p.slot);
                    nwant++;
                }
                in_step = true;
                last = 0;
            }
            cr_assert_eq(model_fold(m, &ev), 0, "%s", model_error(m));
            uint64_t a = event_subject(&ev);
            struct model_pool p;
            if (a && model_pool_find(m, a, &p))
                last = a;
        }
        model_free(m);
        trace_reader_free(r);
        cr_assert_geq(nwant, 3, "%s: steps that touch pools", traces[ti]);
        struct viewer v;
        viewer_open(&v, traces[ti], 120, 40);
        for (size_t i = 0; i < nwant; i++) {
            cr_assert_eq(ui_app_render(v.app, want[i].pos, "pool", &v.c), 0);
            char *t = canvas_to_text(&v.c);
            cr_assert(strstr(t, want[i].title) != NULL, "%s at %" PRIu64 ": no '%s'\n%s", traces[ti], want[i].pos,
                      want[i].title, t);
            free(t);
        }
        viewer_close(&v);
    }
}

/* A step that runs a collection says so when ] passes over it, and { goes into it; in the
 * screen's small Collector pane the collection and its phase come before the generations. */
Test(app, a_collection_inside_a_step_is_seen)
{
    struct viewer v;
    viewer_open(&v, "demo-cycles.trace", 120, 40);
    char err[160];
    uint64_t at;
    cr_assert_eq(ui_parse_position(v.s, "step:0", &at, err, sizeof err), 0, "%s", err);
    cr_assert_eq(ui_app_seek(v.app, at), 0);
    /* to the first step whose collections the model's history shows */
    struct model_collection hist[MODEL_HISTORY_KEEP];
    int steps = 0;
    while (model_gc_history(seeker_model(v.s), hist, MODEL_HISTORY_KEEP) == 0 && steps < 20) {
        key(&v, ']');
        steps++;
    }
    cr_assert_lt(steps, 20, "the demo collects");
    char want[96];
    snprintf(want, sizeof want, "this step ran a collection of generation %" PRIu32 " (%" PRIu64 " collected)",
             hist[0].gen, hist[0].collected);
    cr_assert(strstr(ui_app_message(v.app), want) != NULL, "'%s' lacks '%s'", ui_app_message(v.app), want);
    key(&v, '{');
    cr_assert_eq(ui_app_position(v.app), hist[0].seq_start + 1, "{ goes to the collection's start");
    /* on to its first phase */
    struct model_gc g;
    for (int i = 0; i < 200; i++) {
        model_gc(seeker_model(v.s), &g);
        if (g.has_phase)
            break;
        key(&v, 'l');
    }
    cr_assert(g.collecting && g.has_phase);
    char *t = screen(&v);
    cr_assert(strstr(t, "collecting gen") != NULL, "%s", t);
    /* the classic collector's phases: those before the incremental collector's own */
    snprintf(want, sizeof want, "%" PRIu32 "/%d", g.phase + 1, EV_GC_PHASE_MARK_ROOTS);
    cr_assert(strstr(t, want) != NULL, "no '%s' in:\n%s", want, t);
    free(t);
    viewer_close(&v);
}

/* The sample traces' recording command names each file as it is in traces/, not a scratch name
 * it was written under before being moved there. */
Test(app, the_sample_traces_name_themselves)
{
    DIR *d = opendir(traces_dir());
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".trace") != 0)
            continue;
        struct viewer v;
        viewer_open(&v, e->d_name, 80, 24);
        const struct trace_header *h = seeker_header(v.s);
        char want[300];
        snprintf(want, sizeof want, " %s ", e->d_name);
        cr_assert(strstr(h->command, want) != NULL, "%s: the command is '%s'", e->d_name, h->command);
        cr_assert(strstr(h->command, ".new") == NULL, "%s: '%s'", e->d_name, h->command);
        viewer_close(&v);
        n++;
    }
    closedir(d);
    cr_assert_geq(n, 15);
}

/* program-end is where a real program's own code has ended: the first end-of-code marker, read
 * from the trace event by event; a workload's trace has none and says so in one line. */
Test(app, program_end_is_the_marker_before_the_interpreter_shuts_down)
{
    struct viewer v;
    viewer_open(&v, "program-slide.trace", 80, 24);
    uint64_t count = seeker_event_count(v.s), marker = UINT64_MAX;
    struct event evs[256];
    static char strs[1 << 16];
    for (uint64_t seq = 0; seq < count && marker == UINT64_MAX;) {
        int n = seeker_events(v.s, seq, evs, 256, strs, sizeof strs);
        cr_assert_gt(n, 0);
        for (int i = 0; i < n && marker == UINT64_MAX; i++)
            if (evs[i].kind == EV_STEP && evs[i].u.step.kind == EV_STEP_END)
                marker = evs[i].seq;
        seq += (uint64_t)n;
    }
    cr_assert_neq(marker, UINT64_MAX, "the sample slide has an end-of-code marker");
    char err[160];
    uint64_t at;
    cr_assert_eq(ui_parse_position(v.s, "program-end", &at, err, sizeof err), 0, "%s", err);
    cr_assert_eq(at, marker, "program-end is at %" PRIu64 ", the marker is event %" PRIu64, at, marker);
    cr_assert_lt(at, count, "shutting down comes after it");
    viewer_close(&v);

    viewer_open(&v, "demo-identity.trace", 80, 24);
    cr_assert_lt(ui_parse_position(v.s, "program-end", &at, err, sizeof err), 0);
    cr_assert(strstr(err, "only a real Python program's trace has one") != NULL, "%s", err);
    cr_assert_null(strchr(err, '\n'), "one line: %s", err);
    viewer_close(&v);
}
