/*
 * test_compare.c - the side-by-side viewer (ui.h's ui_compare) driven by keys on the sample
 * traces of the arena-lifecycle demo under cpython-3.8 and cpython-3.10, and on one trace beside
 * itself.  What each side should show is read from its own seeker, independently of the viewer.
 */
#include <tracer/model.h>
#include <ui/keys.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pair {
    struct seeker *s[2];
    struct ui_compare *cmp;
    struct canvas c;
};

static void open_pair(struct pair *p, const char *a, const char *b, const char *at)
{
    const char *dir = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(dir, "ARENASCOPE_TRACES names the traces/ folder");
    const char *files[2] = {a, b};
    uint64_t pos[2];
    char err[512];
    for (int i = 0; i < 2; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        cr_assert_eq(seeker_open(&p->s[i], path, 0, err, sizeof err), 0, "%s", err);
        cr_assert_eq(ui_parse_position(p->s[i], at, &pos[i], err, sizeof err), 0, "%s", err);
    }
    struct ui_config cfg[2] = {{.title = "A"}, {.title = "B"}};
    cr_assert_eq(ui_compare_new(&p->cmp, p->s, cfg, files), 0);
    cr_assert_eq(canvas_init(&p->c, 120, 40, false), 0);
    cr_assert_eq(ui_compare_render(p->cmp, pos, "all", &p->c), 0);
}

static void close_pair(struct pair *p)
{
    canvas_release(&p->c);
    ui_compare_free(p->cmp);
    seeker_free(p->s[0]);
    seeker_free(p->s[1]);
}

static void press(struct pair *p, int key)
{
    struct ui_input in = {UI_IN_KEY, key, 0, 0};
    ui_compare_input(p->cmp, &in);
    ui_compare_paint(p->cmp, &p->c);
}

static uint64_t pos_of(struct pair *p, int i)
{
    return ui_app_position(ui_compare_side(p->cmp, i));
}

/* Step markers among events 0 .. pos-1 of side i, counted from its seeker's events. */
static uint64_t markers_before(struct pair *p, int i, uint64_t pos)
{
    uint64_t n = 0;
    struct event ev[256];
    static char str[256 * 256];
    for (uint64_t seq = 0; seq < pos;) {
        size_t want = pos - seq < 256 ? (size_t)(pos - seq) : 256;
        int got = seeker_events(p->s[i], seq, ev, want, str, sizeof str);
        cr_assert_gt(got, 0);
        for (int k = 0; k < got; k++)
            n += ev[k].kind == EV_STEP;
        seq += (uint64_t)got;
    }
    return n;
}

static enum event_kind kind_at(struct pair *p, int i, uint64_t seq)
{
    struct event ev;
    char str[256];
    cr_assert_eq(seeker_events(p->s[i], seq, &ev, 1, str, sizeof str), 1);
    return ev.kind;
}

static bool screen_has(const struct canvas *c, const char *text)
{
    char *t = canvas_to_text(c);
    bool has = strstr(t, text) != NULL;
    free(t);
    return has;
}

Test(compare, step_keys_keep_both_sides_at_the_same_step)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle-3.8.trace", "demo-arena-lifecycle.trace", "step:0");
    uint64_t steps = markers_before(&p, 0, seeker_event_count(p.s[0]));
    cr_assert_eq(steps, markers_before(&p, 1, seeker_event_count(p.s[1])), "the demo has as many steps on both");
    for (uint64_t k = 1; k <= steps; k++) {
        press(&p, ']');
        cr_assert_eq(markers_before(&p, 0, pos_of(&p, 0)), k, "A at the end of step %" PRIu64, k);
        cr_assert_eq(markers_before(&p, 1, pos_of(&p, 1)), k, "B at the end of step %" PRIu64, k);
    }
    for (uint64_t k = steps; k-- > 1;) {
        press(&p, '[');
        cr_assert_eq(markers_before(&p, 0, pos_of(&p, 0)), k);
        cr_assert_eq(markers_before(&p, 1, pos_of(&p, 1)), k);
    }
    close_pair(&p);
}

Test(compare, event_keys_hold_a_side_at_its_step_end_until_the_other_gets_there)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle-3.8.trace", "demo-arena-lifecycle.trace", "step:0");
    uint64_t held = 0;
    for (int n = 0; n < 20000 && (pos_of(&p, 0) < seeker_event_count(p.s[0]) ||
                                 pos_of(&p, 1) < seeker_event_count(p.s[1]));
         n++) {
        uint64_t before[2] = {pos_of(&p, 0), pos_of(&p, 1)};
        press(&p, 'l');
        uint64_t after[2] = {pos_of(&p, 0), pos_of(&p, 1)};
        /* the current events' steps are the same step number on both sides */
        cr_assert_eq(model_step_count(seeker_model(p.s[0])), model_step_count(seeker_model(p.s[1])),
                     "after %d presses", n + 1);
        for (int i = 0; i < 2; i++)
            if (after[i] == before[i] && after[!i] != before[!i]) {
                held++;
                cr_assert(before[i] == seeker_event_count(p.s[i]) || kind_at(&p, i, before[i]) == EV_STEP,
                          "a side holds only at the end of its step");
                bool other_at_end = after[!i] == seeker_event_count(p.s[!i]) || kind_at(&p, !i, after[!i]) == EV_STEP;
                if (other_at_end)
                    continue; /* both at their steps' ends now: the status looks at the step ahead */
                char want[64];
                snprintf(want, sizeof want, "%c is at the end of step %" PRIu64, 'A' + i,
                         model_step_count(seeker_model(p.s[i])));
                cr_assert(strstr(ui_compare_status(p.cmp), want) != NULL, "status: %s, want %s",
                          ui_compare_status(p.cmp), want);
            }
    }
    cr_assert_gt(held, 0, "the two traces' steps differ in length: one side waited");
    cr_assert_eq(pos_of(&p, 0), seeker_event_count(p.s[0]));
    cr_assert_eq(pos_of(&p, 1), seeker_event_count(p.s[1]));
    close_pair(&p);
}

Test(compare, one_trace_beside_itself_moves_event_by_event_with_nothing_marked)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle.trace", "demo-arena-lifecycle.trace", "step:2");
    for (int n = 0; n < 50; n++) {
        press(&p, n % 5 == 4 ? 'h' : 'l');
        cr_assert_eq(pos_of(&p, 0), pos_of(&p, 1));
    }
    cr_assert(!screen_has(&p.c, "differs"), "nothing differs");
    cr_assert(!screen_has(&p.c, "\u2260"), "no mark");
    cr_assert(strstr(ui_compare_status(p.cmp), "the same") != NULL, "status: %s", ui_compare_status(p.cmp));
    close_pair(&p);
}

Test(compare, the_status_names_where_the_step_ahead_first_differs)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle-3.8.trace", "demo-arena-lifecycle.trace", "step:3");
    /* step 4 frees the first arena's blocks: 3.8 gives the emptied arena back, 3.10 keeps one;
     * the first pair of events of different kinds, after the markers, read from both seekers */
    uint64_t a = pos_of(&p, 0) + 1, b = pos_of(&p, 1) + 1;
    while (kind_at(&p, 0, a) == kind_at(&p, 1, b))
        a++, b++;
    char want[128];
    snprintf(want, sizeof want, "A %s (event %" PRIu64 "), B %s (event %" PRIu64 ")",
             event_kind_name(kind_at(&p, 0, a)), a, event_kind_name(kind_at(&p, 1, b)), b);
    cr_assert(strstr(ui_compare_status(p.cmp), want) != NULL, "status: %s\nwant: %s", ui_compare_status(p.cmp),
              want);
    close_pair(&p);
}

Test(compare, arena_counts_that_differ_are_marked)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle-3.8.trace", "demo-arena-lifecycle.trace", "step:4");
    uint32_t na = model_arena_count(seeker_model(p.s[0])), nb = model_arena_count(seeker_model(p.s[1]));
    cr_assert_neq(na, nb, "after step 4, 3.8 holds no arena and 3.10 keeps one");
    char want[64];
    snprintf(want, sizeof want, "arenas %" PRIu32 "\u2260%" PRIu32, na, nb);
    cr_assert(screen_has(&p.c, want), "the figures row says %s", want);
    cr_assert(screen_has(&p.c, "\u2260 differs"), "the Arenas pane is marked");
    close_pair(&p);
}

/* Row y of the screen as text. */
static void screen_row(const struct canvas *c, int y, char *out, size_t len)
{
    char *t = canvas_to_text(c), *line = t;
    for (int k = 0; k < y && line; k++)
        line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL;
    cr_assert_not_null(line);
    size_t n = strcspn(line, "\n");
    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), line);
    free(t);
}

/* A footer item as the footer writes it: the first key the help names, then the label. */
static void footer_item(enum ui_action a, char *out, size_t len)
{
    const struct ui_action_def *d = ui_action_def(a);
    snprintf(out, len, "%.*s %s", (int)strcspn(d->keys, " "), d->keys, d->footer);
}

Test(compare, the_halves_footers_offer_no_key_the_pair_refuses)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle-3.8.trace", "demo-arena-lifecycle.trace", "step:1");
    char play[64], step[64], row[2048];
    footer_item(UI_ACT_PLAY, play, sizeof play);
    footer_item(UI_ACT_NEXT, step, sizeof step);
    /* the halves end 3 rows above the screen's end (the figures and the status follow) */
    screen_row(&p.c, p.c.rows - 3, row, sizeof row);
    cr_assert(strstr(row, step) != NULL, "the halves' footer row: %s", row);
    cr_assert(strstr(row, play) == NULL, "the halves offer %s: %s", play, row);
    /* the viewer alone offers it: it is the pair that leaves it out */
    struct ui_app *alone;
    struct canvas c;
    struct ui_config cfg = {.title = "A"};
    cr_assert_eq(ui_app_new(&alone, p.s[0], &cfg), 0);
    cr_assert_eq(canvas_init(&c, p.c.cols, p.c.rows, false), 0);
    cr_assert_eq(ui_app_render(alone, pos_of(&p, 0), "all", &c), 0);
    screen_row(&c, c.rows - 1, row, sizeof row);
    cr_assert(strstr(row, play) != NULL, "the viewer alone offers %s: %s", play, row);
    canvas_release(&c);
    ui_app_free(alone);
    /* and the pair refuses that key: a message in place of the keys, and neither side moves */
    uint64_t a = pos_of(&p, 0), b = pos_of(&p, 1);
    press(&p, ui_action_def(UI_ACT_PLAY)->key[0]);
    screen_row(&p.c, p.c.rows - 3, row, sizeof row);
    cr_assert(strstr(row, step) == NULL && strspn(row, " ") < strlen(row), "after %s: %s", play, row);
    cr_assert_eq(pos_of(&p, 0), a);
    cr_assert_eq(pos_of(&p, 1), b);
    close_pair(&p);
}
