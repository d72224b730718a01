/*
 * test_golden.c - every view as text, compared with the files in tests/ui/golden/.
 *
 * tests/ui/golden/LIST names each screen: a trace of traces/, a position (an event, or step:N for
 * the end of step N), a view and a size, then flags: "ascii" for the ASCII rendering, and
 * "keys=KEYS" for keys pressed before the picture (as `screenshot --keys` reads them).  The
 * screens are painted by ui_app_render(), the function `arenascope screenshot` uses, then the
 * keys go to the screen and it is painted again (ui_screen_keys), as that command does; so
 * regenerating them is running that command for each line:
 *
 *     meson compile -C build update-golden
 *
 * (tests/ui/update_golden.sh).  Review the diff before committing it.
 */
#include <tracer/model.h>
#include <ui/keys.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += n;
        if (len + 1 >= cap) {
            cap *= 2;
            char *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                buf = NULL;
            }
            buf = p;
        }
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    return buf;
}

/* The first line where a and b differ, from 1. */
static int first_difference(const char *a, const char *b, char *wa, char *wb, size_t len)
{
    int line = 1;
    for (;;) {
        const char *ea = strchr(a, '\n'), *eb = strchr(b, '\n');
        size_t la = ea ? (size_t)(ea - a) : strlen(a), lb = eb ? (size_t)(eb - b) : strlen(b);
        if (la != lb || memcmp(a, b, la) != 0 || !ea != !eb) {
            snprintf(wa, len, "%.*s", (int)la, a);
            snprintf(wb, len, "%.*s", (int)lb, b);
            return line;
        }
        if (!ea)
            return 0;
        a = ea + 1;
        b = eb + 1;
        line++;
    }
}

/* Whether got is the golden screen `name`; logs the first difference when not. */
static bool matches_golden(const char *src, const char *name, const char *got)
{
    char gpath[1024];
    snprintf(gpath, sizeof gpath, "%s/tests/ui/golden/%s.txt", src, name);
    char *want = read_file(gpath);
    char wl[512], gl[512];
    int diff_line = 0;
    if (!want)
        cr_log_error("%s: missing (regenerate: meson compile -C build update-golden)", gpath);
    else if ((diff_line = first_difference(want, got, wl, gl, sizeof wl)) != 0)
        cr_log_error("%s differs at line %d\n  want: %s\n  got:  %s\n(regenerate: meson compile -C build "
                     "update-golden, and review the diff)",
                     gpath, diff_line, wl, gl);
    bool same = want && diff_line == 0;
    free(want);
    return same;
}

/* TRACE and OTHER side by side, as `screenshot --compare` renders them. */
static char *render_compare(const char *trace, const char *other, const char *at, const char *view, int cols,
                            int rows, bool ascii, const int *keys, int nkeys)
{
    const char *src = getenv("ARENASCOPE_SOURCE");
    const char *files[2] = {trace, other};
    char names[2][300], err[512];
    struct seeker *s[2];
    uint64_t pos[2];
    const char *cnames[2] = {names[0], names[1]};
    for (int i = 0; i < 2; i++) {
        char tpath[1024];
        snprintf(tpath, sizeof tpath, "%s/traces/%s", src, files[i]);
        snprintf(names[i], sizeof names[i], "traces/%s", files[i]); /* as update_golden.sh names it */
        cr_assert_eq(seeker_open(&s[i], tpath, 0, err, sizeof err), 0, "%s", err);
        cr_assert_eq(ui_parse_position(s[i], at, &pos[i], err, sizeof err), 0, "%s: %s", files[i], err);
    }
    struct ui_config cfg[2] = {{.title = "A"}, {.title = "B"}};
    cfg[0].look.color = cfg[1].look.color = true;
    cfg[0].look.ascii = cfg[1].look.ascii = ascii;
    struct ui_compare *cmp;
    cr_assert_eq(ui_compare_new(&cmp, s, cfg, cnames), 0);
    struct canvas c;
    cr_assert_eq(canvas_init(&c, cols, rows, ascii), 0);
    cr_assert_eq(ui_compare_render(cmp, pos, view, &c), 0);
    struct ui_screen scr = ui_compare_screen(cmp);
    ui_screen_keys(&scr, keys, nkeys, &c);
    char *got = canvas_to_text(&c);
    canvas_release(&c);
    ui_compare_free(cmp);
    seeker_free(s[0]);
    seeker_free(s[1]);
    return got;
}

Test(golden, every_view_matches_its_golden_screen)
{
    const char *src = getenv("ARENASCOPE_SOURCE");
    cr_assert_not_null(src, "ARENASCOPE_SOURCE names the source tree");
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/ui/golden/LIST", src);
    FILE *list = fopen(path, "r");
    cr_assert_not_null(list, "%s is missing", path);
    char line[512];
    int screens = 0, bad = 0;
    while (fgets(line, sizeof line, list)) {
        char name[128], trace[256], at[32], view[32], size[32];
        if (line[0] == '#' || line[0] == '\n')
            continue;
        int used = 0;
        int n = sscanf(line, "%127s %255s %31s %31s %31s%n", name, trace, at, view, size, &used);
        cr_assert_eq(n, 5, "bad line in LIST: %s", line);
        int cols, rows;
        cr_assert_eq(sscanf(size, "%dx%d", &cols, &rows), 2, "bad size in LIST: %s", size);
        bool ascii = false;
        char other[256] = "";
        int keys[256], nkeys = 0;
        char flag[256], err[512];
        for (const char *p = line + used; sscanf(p, "%255s%n", flag, &used) == 1; p += used) {
            if (strcmp(flag, "ascii") == 0)
                ascii = true;
            else if (strncmp(flag, "compare=", 8) == 0)
                snprintf(other, sizeof other, "%s", flag + 8);
            else if (strncmp(flag, "keys=", 5) == 0)
                cr_assert_geq(nkeys = ui_keys_parse(flag + 5, keys, 256, err, sizeof err), 0, "%s: %s", name, err);
            else
                cr_assert_fail("%s: unknown flag '%s' in LIST", name, flag);
        }

        if (other[0]) {
            char *got = render_compare(trace, other, at, view, cols, rows, ascii, keys, nkeys);
            bad += !matches_golden(src, name, got);
            free(got);
            screens++;
            continue;
        }
        char tpath[1024], title[300];
        snprintf(tpath, sizeof tpath, "%s/traces/%s", src, trace);
        snprintf(title, sizeof title, "traces/%s", trace); /* as update_golden.sh names it */
        struct seeker *s;
        cr_assert_eq(seeker_open(&s, tpath, 0, err, sizeof err), 0, "%s", err);
        struct ui_config cfg = {.title = title};
        cfg.look.color = true;
        cfg.look.ascii = ascii;
        struct ui_app *app;
        cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
        struct canvas c;
        cr_assert_eq(canvas_init(&c, cols, rows, ascii), 0);
        uint64_t pos;
        cr_assert_eq(ui_parse_position(s, at, &pos, err, sizeof err), 0, "%s: %s", name, err);
        cr_assert_eq(ui_app_render(app, pos, view, &c), 0, "%s: %s", name, ui_app_message(app));
        struct ui_screen scr = ui_app_screen(app);
        ui_screen_keys(&scr, keys, nkeys, &c);
        char *got = canvas_to_text(&c);

        bad += !matches_golden(src, name, got);
        free(got);
        canvas_release(&c);
        ui_app_free(app);
        seeker_free(s);
        screens++;
    }
    fclose(list);
    cr_assert_eq(bad, 0, "%d of %d golden screens differ", bad, screens);
    cr_assert_geq(screens, 6, "LIST names a screen for each view");
}
