/*
 * test_fit.c - no screen cuts a sentence: every view of every sample trace, at the sizes people
 * use (80x24 to 200x60), paints no text that loses words at a pane's edge.  Text may be
 * deliberately abbreviated (an ellipsis after a whole word, a type name in its column), never cut.
 */
#include <tracer/model.h>
#include <ui/keys.h>
#include <ui/narrate.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A view, and keys pressed on it before the picture (as `screenshot --keys` reads them): the
 * states that add hints and details (a selection moved, an object opened, the log scrolled, a
 * search's message, the breakpoint menu, the help scrolled). */
static const struct {
    const char *view, *keys;
} shots[] = {
    {"all", ""},       {"arenas", ""},  {"pool", ""},     {"classes", ""},          {"objects", ""},
    {"gc", ""},        {"timeline", ""}, {"help", ""},    {"help", "<PgDn>"},       {"all", "kH"},
    {"all", "<Enter>L"}, {"all", "<Tab><Tab><Tab>j<Enter>"}, {"all", "<Tab><Tab><Tab><Tab><Tab>kkk"},
    {"all", "/list<Enter>"}, {"all", "b"}, {"gc", "j"}, {"all", ":99999999<Enter>"},
};
static const struct {
    int cols, rows;
} sizes[] = {{80, 24}, {100, 30}, {120, 40}, {200, 60}};

/* Renders one screen; on a cut, logs it and returns false. */
static bool screen_is_whole(struct ui_app *app, const char *trace, uint64_t pos, size_t shot, int cols, int rows)
{
    struct canvas c;
    cr_assert_eq(canvas_init(&c, cols, rows, false), 0);
    ui_app_render(app, pos, shots[shot].view, &c);
    int keys[64];
    char err[256];
    int n = ui_keys_parse(shots[shot].keys, keys, 64, err, sizeof err);
    cr_assert_geq(n, 0, "%s", err);
    if (n > 0) {
        for (int i = 0; i < n; i++) {
            struct ui_input in = {UI_IN_KEY, keys[i], 0, 0};
            ui_app_input(app, &in);
        }
        ui_app_paint(app, &c);
    }
    bool ok = c.ncut == 0;
    if (!ok)
        cr_log_error("%s at %llu, %s after '%s' at %dx%d: %d cut, the first at (%d, %d): \"%s\"", trace,
                     (unsigned long long)pos, shots[shot].view, shots[shot].keys, cols, rows, c.ncut, c.first_cut.x,
                     c.first_cut.y, c.first_cut.text);
    canvas_release(&c);
    return ok;
}

Test(fit, no_view_cuts_text_at_any_common_size, .timeout = 600)
{
    const char *dir = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(dir);
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    struct dirent *e;
    int screens = 0, bad = 0;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 7 || strcmp(e->d_name + len - 6, ".trace") != 0)
            continue;
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct seeker *s;
        cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
        /* the end of each step, and the events a third and two thirds of the way through it */
        uint64_t count = seeker_event_count(s), prev = 0, at_pos[3 * 64];
        size_t npos = 0;
        for (int step = 1; npos + 3 <= sizeof at_pos / sizeof at_pos[0]; step++) {
            char at[32];
            uint64_t pos;
            snprintf(at, sizeof at, "step:%d", step);
            if (ui_parse_position(s, at, &pos, err, sizeof err) < 0)
                pos = step == 1 ? count : 0;
            if (pos == 0)
                break;
            at_pos[npos++] = prev + (pos - prev) / 3;
            at_pos[npos++] = prev + 2 * (pos - prev) / 3;
            at_pos[npos++] = pos;
            if (pos >= count)
                break;
            prev = pos;
        }
        for (size_t v = 0; v < sizeof shots / sizeof shots[0]; v++) {
            /* a viewer for each shot, as a user who pressed those keys keeps their effects */
            struct ui_config cfg = {.title = e->d_name};
            cfg.look.color = true;
            struct ui_app *app;
            cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
            for (size_t k = 0; k < npos; k++)
                for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
                    /* a pane zoomed at two sizes; the whole screen at each */
                    if (strcmp(shots[v].view, "all") != 0 && z % 2 == 1)
                        continue;
                    bad += !screen_is_whole(app, e->d_name, at_pos[k], v, sizes[z].cols, sizes[z].rows);
                    screens++;
                }
            ui_app_free(app);
        }
        seeker_free(s);
    }
    closedir(d);
    cr_assert_gt(screens, 1000);
    cr_assert_eq(bad, 0, "%d of %d screens cut text", bad, screens);
}

/* The screen's text with the frames' vertical lines taken out and every run of blanks (line
 * ends included) made one blank: a sentence wrapped over rows reads as one. */
static char *flattened(const struct canvas *c)
{
    char *t = canvas_to_text(c);
    cr_assert_not_null(t);
    size_t o = 0;
    bool blank = false;
    for (size_t i = 0; t[i]; i++) {
        bool sp = t[i] == ' ' || t[i] == '\n';
        if (strncmp(t + i, "\xe2\x94\x82", 3) == 0) { /* │ */
            i += 2;
            sp = true;
        }
        if (sp) {
            blank = true;
            continue;
        }
        if (blank && o > 0)
            t[o++] = ' ';
        blank = false;
        t[o++] = t[i];
    }
    t[o] = '\0';
    return t;
}

static void squeeze(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i]; i++)
        if (s[i] != ' ' || (o > 0 && s[o - 1] != ' '))
            s[o++] = s[i];
    s[o] = '\0';
}

/* Stepping event by event, the current event's whole sentence is on the screen. */
Test(fit, every_event_s_whole_sentence_is_on_screen_when_it_is_current, .timeout = 600)
{
    const char *dir = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(dir);
    static const char *const traces[] = {"demo-pool-lifecycle.trace", "demo-cycles.trace", "demo-tour.trace",
                                         "demo-finalizers.trace", "demo-weakref.trace"};
    int checked = 0;
    for (size_t t = 0; t < sizeof traces / sizeof traces[0]; t++) {
        char path[1024], err[512];
        snprintf(path, sizeof path, "%s/%s", dir, traces[t]);
        struct seeker *s;
        cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
        struct ui_config cfg = {.title = traces[t]};
        struct ui_app *app;
        cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
        uint64_t count = seeker_event_count(s);
        for (size_t z = 0; z < 2; z++) {
            int cols = z ? 120 : 80, rows = z ? 40 : 24;
            struct canvas c;
            cr_assert_eq(canvas_init(&c, cols, rows, false), 0);
            for (uint64_t pos = 1; pos <= count; pos++) {
                ui_app_render(app, pos, "all", &c);
                struct event ev[1];
                static char strs[1 << 16]; /* whole: a source_text's sentence counts its bytes */
                char sentence[512];
                int got = seeker_events(s, pos - 1, ev, 1, strs, sizeof strs);
                cr_assert_geq(got, 1);
                ui_narrate(seeker_model(s), &ev[0], sentence, sizeof sentence);
                squeeze(sentence);
                char *screen = flattened(&c);
                cr_assert(strstr(screen, sentence) != NULL, "%s at %dx%d, event %llu: the sentence \"%s\" is not whole on\n%s",
                          traces[t], cols, rows, (unsigned long long)pos - 1, sentence, canvas_to_text(&c));
                free(screen);
                checked++;
            }
            canvas_release(&c);
        }
        ui_app_free(app);
        seeker_free(s);
    }
    cr_assert_gt(checked, 500);
}
