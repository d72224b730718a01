/*
 * test_compare.c - the side-by-side viewer (ui.h's ui_compare) driven by keys on the sample
 * traces of the arena-lifecycle demo under cpython-3.8 and cpython-3.10, and on one trace beside
 * itself.  What each side should show is read from its own seeker, independently of the viewer.
 * Then the pairing of two traces' steps (ev_align) against a longest common subsequence computed
 * here, and one script recorded under two real interpreters: what their own line tracing
 * (sys.settrace) and sys.getsizeof say is what the pair must show.
 */
#include "fake_term.h"
#include "prog.h"
#include "pythons.h"
#include "rng.h"
#include "scratch.h"

#include <tracer/evdiff.h>
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

/* Side A's trace in a viewer of its own, at side A's position, painted on a screen of the pair's
 * size: what the pair is compared with. */
static void open_alone(struct pair *p, struct ui_app **alone, struct canvas *c)
{
    struct ui_config cfg = {.title = "A"};
    cr_assert_eq(ui_app_new(alone, p->s[0], &cfg), 0);
    cr_assert_eq(canvas_init(c, p->c.cols, p->c.rows, false), 0);
    cr_assert_eq(ui_app_render(*alone, pos_of(p, 0), "all", c), 0);
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

Test(compare, the_loop_repaints_once_for_a_burst_of_keys)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle.trace", "demo-arena-lifecycle.trace", "step:2");
    uint64_t start = pos_of(&p, 0);
    struct ui_input script[300];
    for (int i = 0; i < 300; i++)
        script[i] = (struct ui_input){UI_IN_KEY, 'l', 0, 0};
    struct fake_term ft = {120, 40, script, 300, 0, 0, NULL};
    struct ui_term term = fake_term_make(&ft);
    cr_assert_eq(ui_compare_run(p.cmp, &term), 0);
    cr_assert_leq(ft.presents, 3, "300 keys at once cost %zu frames", ft.presents);
    uint64_t count = seeker_event_count(p.s[0]);
    uint64_t want = start + 300 < count ? start + 300 : count;
    cr_assert_eq(pos_of(&p, 0), want, "every key was handled");
    cr_assert_eq(pos_of(&p, 1), want);
    free(ft.last);
    close_pair(&p);
}

Test(compare, a_signal_ends_the_loop_with_its_status)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle.trace", "demo-arena-lifecycle.trace", "step:2");
    struct ui_input script[] = {{UI_IN_KEY, ']', 0, 0}, {UI_IN_QUIT, 15, 0, 0}};
    struct fake_term ft = {120, 40, script, 2, 0, 0, NULL};
    struct ui_term term = fake_term_make(&ft);
    cr_assert_eq(ui_compare_run(p.cmp, &term), 128 + 15, "SIGTERM: the status a shell reports");
    cr_assert_eq(ft.next, 2, "nothing is read after the signal");
    cr_assert_eq(ft.presents, 1, "the first frame only: the keys came at once");
    free(ft.last);
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
    open_alone(&p, &alone, &c);
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

/* The help of a side says that its play key does not play there, and the viewer alone does not
 * say so; both list the same keys. */
Test(compare, the_help_of_a_side_says_its_play_key_does_not_play)
{
    struct pair p;
    open_pair(&p, "demo-arena-lifecycle-3.8.trace", "demo-arena-lifecycle.trace", "step:1");
    const char *refused = "does not play side by side";
    press(&p, ui_action_def(UI_ACT_HELP)->key[0]);
    char *t = canvas_to_text(&p.c);
    const char *first = strstr(t, refused);
    cr_assert_not_null(first, "the pair's help:\n%s", t);
    cr_assert_not_null(strstr(first + 1, refused), "on both sides:\n%s", t);
    cr_assert_null(strstr(t, ui_action_def(UI_ACT_PLAY)->help), "the help of play is not offered:\n%s", t);
    free(t);

    struct ui_app *alone;
    struct canvas c;
    open_alone(&p, &alone, &c);
    struct ui_input in = {UI_IN_KEY, ui_action_def(UI_ACT_HELP)->key[0], 0, 0};
    ui_app_input(alone, &in);
    ui_app_paint(alone, &c);
    t = canvas_to_text(&c);
    cr_assert_null(strstr(t, refused), "%s", t);
    cr_assert_not_null(strstr(t, ui_action_def(UI_ACT_PLAY)->help), "%s", t);
    free(t);
    canvas_release(&c);
    ui_app_free(alone);
    close_pair(&p);
}

/* ---- the pairing of steps ------------------------------------------------------------------- */

/* The length of a longest common subsequence, by the textbook table. */
static size_t lcs_length(const uint64_t *a, size_t na, const uint64_t *b, size_t nb)
{
    uint32_t *row = calloc(nb + 1, sizeof *row), *prev = calloc(nb + 1, sizeof *prev);
    cr_assert(row && prev);
    for (size_t i = 1; i <= na; i++) {
        for (size_t j = 1; j <= nb; j++)
            row[j] = a[i - 1] == b[j - 1] ? prev[j - 1] + 1 : row[j - 1] > prev[j] ? row[j - 1] : prev[j];
        uint32_t *t = prev;
        prev = row;
        row = t;
    }
    size_t n = prev[nb];
    free(row);
    free(prev);
    return n;
}

/* The pairs are of equal keys, each key in one pair at most, in order on both sides; their count. */
static size_t check_pairs(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, const int64_t *pa,
                          const int64_t *pb)
{
    size_t n = 0;
    int64_t last = -1;
    for (size_t i = 0; i < na; i++) {
        if (pa[i] < 0)
            continue;
        cr_assert_lt((size_t)pa[i], nb);
        cr_assert_gt(pa[i], last, "pairs in order: a[%zu] pairs with b[%" PRId64 "]", i, pa[i]);
        cr_assert_eq(a[i], b[pa[i]], "a[%zu] pairs with an equal key", i);
        cr_assert_eq(pb[pa[i]], (int64_t)i, "b's side says the same pair");
        last = pa[i];
        n++;
    }
    for (size_t j = 0; j < nb; j++)
        cr_assert(pb[j] < 0 || pa[pb[j]] == (int64_t)j);
    return n;
}

Test(compare, steps_pair_as_a_longest_common_subsequence_pairs_them)
{
    struct rng r = {.s = 41};
    uint64_t a[300], b[300];
    int64_t pa[300], pb[300];
    for (int round = 0; round < 200; round++) {
        size_t na = rng_below(&r, 300), nb = rng_below(&r, 300);
        uint64_t alphabet = 2 + rng_below(&r, 12);
        for (size_t i = 0; i < na; i++)
            a[i] = rng_below(&r, alphabet);
        /* b: a edited here and there, or unrelated */
        bool edited = round % 3 != 0;
        for (size_t j = 0; j < nb; j++)
            b[j] = edited && j < na && rng_below(&r, 8) ? a[j] : rng_below(&r, alphabet);
        ssize_t n = ev_align(a, na, b, nb, pa, pb);
        cr_assert_geq(n, 0);
        cr_assert_eq((size_t)n, check_pairs(a, na, b, nb, pa, pb));
        cr_assert_eq((size_t)n, lcs_length(a, na, b, nb), "round %d: %zd pairs, a longest common subsequence has %zu",
                     round, n, lcs_length(a, na, b, nb));
    }
}

Test(compare, sequences_past_the_edit_budget_still_pair_equal_keys_in_order)
{
    /* every other key differs on the two sides: 4,000 edits, past EV_ALIGN_MAX_EDITS */
    enum { N = 4000 };
    static uint64_t a[N], b[N];
    static int64_t pa[N], pb[N];
    for (size_t i = 0; i < N; i++) {
        a[i] = i % 2 ? 7 : 1000 + i;
        b[i] = i % 2 ? 7 : 100000 + i;
    }
    ssize_t n = ev_align(a, N, b, N, pa, pb);
    cr_assert_eq((size_t)n, check_pairs(a, N, b, N, pa, pb));
    cr_assert_eq((size_t)n, lcs_length(a, N, b, N), "the greedy pairing finds every shared key here");
}

/* ---- one script under two interpreters ------------------------------------------------------ */

/* Lines that trace differently across versions (a with statement's exit, a condition continued
 * over lines), a function, and at the end what the interpreter says of some of its objects. */
static const char script_text[] =
    "import sys\n"
    "ratio = 1.5\n"
    "data = [\n"
    "    'a' * 20,\n"
    "    'b' * 30,\n"
    "]\n"
    "with open(sys.argv[0]) as f:\n"
    "    head = f.readline()\n"
    "def grow(n):\n"
    "    out = []\n"
    "    for k in range(n):\n"
    "        out.append(str(k) * 8)\n"
    "    return out\n"
    "big = grow(\n"
    "    3,\n"
    ")\n"
    "if len(big) > 2 and \\\n"
    "        len(data) == 2:\n"
    "    done = len(big)\n"
    "facts = {}\n"
    "for name in ('ratio', 'data', 'head', 'big'):\n"
    "    facts[name] = (sys.getsizeof(globals()[name]), sys.getrefcount(globals()[name]) - 1)\n"
    "print(facts)\n"
    "end = 0\n";
#define PRINT_LINE 23 /* the line that prints the facts */

/* The interpreter's own account of the lines of `script` it runs, in order (sys.settrace). */
static const char tracer_text[] =
    "import sys\n"
    "path = sys.argv[1]\n"
    "seen = []\n"
    "def tr(frame, ev, arg):\n"
    "    if frame.f_code.co_filename != path:\n"
    "        return None\n"
    "    if ev == 'line':\n"
    "        seen.append(frame.f_lineno)\n"
    "    return tr\n"
    "sys.argv = [path]\n"
    "code = compile(open(path).read(), path, 'exec')\n"
    "out = sys.stdout\n"
    "sys.stdout = open('/dev/null', 'w')\n"
    "sys.settrace(tr)\n"
    "exec(code, {'__name__': '__main__'})\n"
    "sys.settrace(None)\n"
    "out.write(' '.join(map(str, seen)))\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f, "%s", path);
    fputs(text, f);
    fclose(f);
}

/* What `python args...` prints on its standard output. */
static char *python_says(const char *python, const char *a1, const char *a2)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s'", python, a1, a2 ? a2 : "");
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; (got = fread(buf + n, 1, cap - 1 - n, p)) > 0;)
        n += got;
    buf[n] = '\0';
    cr_assert_eq(pclose(p), 0, "%s", cmd);
    return buf;
}

static size_t parse_lines(const char *text, uint64_t *out, size_t max)
{
    size_t n = 0;
    for (char *end; *text && n < max; text = end) {
        out[n++] = strtoull(text, &end, 10);
        if (end == text)
            break;
    }
    return n;
}

struct two_pythons {
    char python[2][4096];
    char version[2][8];
    char script[4096], trace[2][4096];
    uint64_t lines[2][512]; /* the interpreters' own line tracing */
    size_t nlines[2];
};

/* pyenv's 3.8 and the newest of 3.13, 3.12, 3.11: the versions furthest apart the capture runs. */
static void two_pythons(struct two_pythons *t)
{
    static const char *const newer[] = {"3.13", "3.12", "3.11"};
    if (!pythons_pyenv("3.8", t->python[0], sizeof t->python[0]))
        cr_skip_test("no pyenv python3.8");
    snprintf(t->version[0], sizeof t->version[0], "3.8");
    bool found = false;
    for (size_t i = 0; i < 3 && !found; i++)
        if (pythons_pyenv(newer[i], t->python[1], sizeof t->python[1])) {
            snprintf(t->version[1], sizeof t->version[1], "%s", newer[i]);
            found = true;
        }
    if (!found)
        cr_skip_test("no pyenv python3.11 to 3.13");
    snprintf(t->script, sizeof t->script, "%s", scratch_path("lines.py"));
    write_file(t->script, script_text);
    const char *tracer = scratch_path("tracer.py");
    write_file(tracer, tracer_text);
    for (int i = 0; i < 2; i++) {
        char *said = python_says(t->python[i], tracer, t->script);
        t->nlines[i] = parse_lines(said, t->lines[i], 512);
        free(said);
        cr_assert_gt(t->nlines[i], 10, "python%s traced the script's lines", t->version[i]);
        char name[32];
        snprintf(name, sizeof name, "lines-%d.trace", i);
        snprintf(t->trace[i], sizeof t->trace[i], "%s", scratch_path(name));
        struct prog_result r = prog_run((const char *[]){"record", "-o", t->trace[i], "--", t->python[i], t->script, NULL});
        cr_assert_eq(r.status, 0, "record under python%s: %s", t->version[i], r.err);
        prog_result_release(&r);
    }
    cr_assert(t->nlines[0] != t->nlines[1] || memcmp(t->lines[0], t->lines[1], t->nlines[0] * 8) != 0,
              "the two versions trace the script's lines differently: the pairing has work to do");
}

/* The line of the step side i has just run, 0 for a step that is no line's. */
static uint64_t current_line(struct pair *p, int i)
{
    struct model_step st;
    if (!model_step_current(seeker_model(p->s[i]), &st) || st.kind != EV_STEP_LINE)
        return 0;
    const char *gap = memmem(st.label, st.label_len, "  ", 2), *colon = gap;
    cr_assert_not_null(gap);
    while (colon > st.label && colon[-1] != ':')
        colon--;
    return strtoull(colon, NULL, 10);
}

static void open_programs(struct pair *p, struct two_pythons *t)
{
    char err[512];
    for (int i = 0; i < 2; i++)
        cr_assert_eq(seeker_open(&p->s[i], t->trace[i], 0, err, sizeof err), 0, "%s", err);
    struct ui_config cfg[2] = {{.title = "A"}, {.title = "B"}};
    const char *names[2] = {t->trace[0], t->trace[1]};
    cr_assert_eq(ui_compare_new(&p->cmp, p->s, cfg, names), 0);
    cr_assert_eq(canvas_init(&p->c, 200, 50, false), 0);
    uint64_t pos[2] = {0, 0};
    cr_assert_eq(ui_compare_render(p->cmp, pos, "all", &p->c), 0);
}

static bool is_subsequence(const uint64_t *sub, size_t n, const uint64_t *of, size_t m)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        while (j < m && of[j] != sub[i])
            j++;
        if (j++ >= m)
            return false;
    }
    return true;
}

Test(compare, two_interpreters_step_line_by_line_on_the_same_line, .timeout = 120)
{
    struct two_pythons t;
    two_pythons(&t);
    struct pair p;
    open_programs(&p, &t);
    uint64_t visited[512];
    size_t nvisited = 0;
    for (int n = 0; n < 1000; n++) {
        uint64_t before[2] = {pos_of(&p, 0), pos_of(&p, 1)};
        press(&p, ']');
        if (pos_of(&p, 0) == before[0] && pos_of(&p, 1) == before[1])
            break;
        uint64_t la = current_line(&p, 0), lb = current_line(&p, 1);
        cr_assert_eq(la, lb, "after %d presses: A ran line %" PRIu64 ", B line %" PRIu64, n + 1, la, lb);
        if (la && nvisited < 512)
            visited[nvisited++] = la;
    }
    cr_assert_eq(pos_of(&p, 0), seeker_event_count(p.s[0]), "] went to A's end");
    cr_assert_eq(pos_of(&p, 1), seeker_event_count(p.s[1]), "] went to B's end");
    for (int i = 0; i < 2; i++)
        cr_assert(is_subsequence(visited, nvisited, t.lines[i], t.nlines[i]),
                  "the lines ] stopped at ran in that order under python%s", t.version[i]);
    size_t lcs = lcs_length(t.lines[0], t.nlines[0], t.lines[1], t.nlines[1]);
    cr_assert_eq(nvisited, lcs, "] stopped at %zu lines; the two interpreters' lines have %zu in common, in order",
                 nvisited, lcs);
    close_pair(&p);
}

/* The mark left of side i's row of the Names pane for `name` (its first cell), 0 when none shows. */
static uint32_t name_mark(const struct canvas *c, int i, const char *name)
{
    int hw = (c->cols - 1) / 2, x0 = i ? hw + 1 : 0;
    size_t len = strlen(name);
    for (int y = 0; y < c->rows; y++) {
        bool match = true;
        for (size_t k = 0; k <= len && match; k++)
            match = c->cells[y * c->cols + x0 + 1 + (int)k].ch == (uint32_t)(k < len ? name[k] : ' ');
        if (match)
            return c->cells[y * c->cols + x0].ch;
    }
    return 0;
}

Test(compare, names_the_interpreters_bind_otherwise_are_marked, .timeout = 120)
{
    struct two_pythons t;
    two_pythons(&t);
    /* what each interpreter says of its objects, run plainly */
    long size[2][4], refs[2][4];
    static const char *const names[4] = {"ratio", "data", "head", "big"};
    for (int i = 0; i < 2; i++) {
        char *said = python_says(t.python[i], t.script, NULL);
        for (int k = 0; k < 4; k++) {
            char key[32];
            snprintf(key, sizeof key, "'%s': (", names[k]);
            const char *at = strstr(said, key);
            cr_assert_not_null(at, "python%s printed %s", t.version[i], names[k]);
            cr_assert_eq(sscanf(at + strlen(key), "%ld, %ld)", &size[i][k], &refs[i][k]), 2);
        }
        free(said);
    }
    struct pair p;
    open_programs(&p, &t);
    for (int n = 0; n < 1000 && current_line(&p, 0) != PRINT_LINE; n++)
        press(&p, ']');
    cr_assert_eq(current_line(&p, 0), PRINT_LINE);
    cr_assert_eq(current_line(&p, 1), PRINT_LINE);
    int marked = 0;
    for (int k = 0; k < 4; k++) {
        bool differs = size[0][k] != size[1][k] || refs[0][k] != refs[1][k];
        for (int i = 0; i < 2; i++) {
            uint32_t mark = name_mark(&p.c, i, names[k]);
            cr_assert_neq(mark, 0, "%c's Names pane lists %s", 'A' + i, names[k]);
            cr_assert_eq(mark == 0x2260, differs,
                         "%s: %ld B and %ld references under python%s, %ld B and %ld under python%s: %s on %c", names[k],
                         size[0][k], refs[0][k], t.version[0], size[1][k], refs[1][k], t.version[1],
                         differs ? "marked" : "not marked", 'A' + i);
        }
        marked += differs;
    }
    cr_assert_gt(marked, 0, "the versions differ in some of these objects");
    close_pair(&p);
}

Test(compare, two_interpreters_under_a_storm_of_keys_land_on_one_line_after_each_step_key, .timeout = 120)
{
    struct two_pythons t;
    two_pythons(&t);
    struct pair p;
    open_programs(&p, &t);
    static const int keys[] = {']', ']', '[', 'l', 'h', 'l', 'l', 'G', 'g', '3', ']', '2', '['};
    struct rng r = {.s = 7};
    for (int n = 0; n < 400; n++) {
        int key = keys[rng_below(&r, sizeof keys / sizeof keys[0])];
        press(&p, key);
        if (key != ']' && key != '[')
            continue;
        uint64_t la = current_line(&p, 0), lb = current_line(&p, 1);
        cr_assert_eq(la, lb, "after key %d (%c): A ran line %" PRIu64 ", B line %" PRIu64, n + 1, key, la, lb);
        for (int i = 0; i < 2; i++)
            cr_assert_leq(pos_of(&p, i), seeker_event_count(p.s[i]));
    }
    close_pair(&p);
}
