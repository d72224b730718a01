/*
 * test_code.c - the Code and Names panes of a real program, against the program itself.
 *
 * A script is recorded by the built arenascope (meson passes its path in ARENASCOPE) on Debian's
 * /usr/bin/python3.11, as a teacher would record a slide.  Then, at the end of every line step
 * (where the step keys stop), the screens are painted as a user sees them and read back as text:
 *
 *   - the Code pane's ▶ row is the line the next marker announces, and its text is that line of
 *     the script as the test reads the file; the ✓ row is the line of the current marker;
 *   - the rows marked ■ are exactly the lines of the script that the trace's block_alloc and
 *     raw_alloc events of the step are charged to, each with the trace's count of blocks (less
 *     those a block_tool says the interpreter made for arenascope);
 *   - on the lines where the script prints id(), sys.getrefcount() and sys.getsizeof() of a name,
 *     the Names pane's row of that name shows the type and the size the script printed, the count
 *     less the one getrefcount's argument holds, and the arena, pool and block of the address
 *     id() gave.
 *
 * The expected values come from the interpreter (what the script printed, where its lines are)
 * and from the trace's events, never from the UI's own preparation.
 */
#include "scratch.h"

#include <tracer/model.h>
#include <ui/keys.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char script[] = "import sys\n"
                             "a = [1, 2, 3]\n"
                             "b = a\n"
                             "s = 'x' * 40\n"
                             "d = {'k': a, 'n': 3.25}\n"
                             "print('a', id(a), sys.getrefcount(a), sys.getsizeof(a), type(a).__name__)\n"
                             "del b\n"
                             "for i in range(3):\n"
                             "    a.append(i * 1000)\n"
                             "print('a', id(a), sys.getrefcount(a), sys.getsizeof(a), type(a).__name__)\n"
                             "t = (a, s)\n"
                             "print('t', id(t), sys.getrefcount(t), sys.getsizeof(t), type(t).__name__)\n"
                             "print('s', id(s), sys.getrefcount(s), sys.getsizeof(s), type(s).__name__)\n";

#define PY "/usr/bin/python3.11"

/* The script recorded once per test into a scratch trace; its path. */
static const char *record_script(void)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin, "ARENASCOPE names the program");
    if (access(PY, X_OK) != 0)
        cr_skip_test("%s is not installed: the Code pane is tested on Debian's python3.11", PY);
    const char *py = scratch_path("slide.py");
    FILE *f = fopen(py, "w");
    cr_assert_not_null(f);
    fputs(script, f);
    fclose(f);
    static char trace[512];
    snprintf(trace, sizeof trace, "%s", scratch_path("slide.trace"));
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        execl(bin, bin, "record", "-o", trace, "--", PY, py, (char *)NULL);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "record failed");
    return trace;
}

/* Line n (from 1) of the script, without its newline. */
static void script_line(uint32_t n, char *buf, size_t len)
{
    const char *p = script;
    for (uint32_t i = 1; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    cr_assert(p && *p, "the script has a line %" PRIu32, n);
    size_t k = strcspn(p, "\n");
    snprintf(buf, len, "%.*s", (int)k, p);
}

/* The screen as text, one row per line, painted at pos with `view` (all, code, objects). */
static char *screen(struct ui_app *app, uint64_t pos, const char *view, int cols, int rows)
{
    struct canvas c;
    cr_assert_eq(canvas_init(&c, cols, rows, false), 0);
    cr_assert_eq(ui_app_render(app, pos, view, &c), 0, "%s", ui_app_message(app));
    char *text = canvas_to_text(&c);
    canvas_release(&c);
    return text;
}

/* The rows of the text, each a NUL-terminated line (modifies text). */
static int rows_of(char *text, char **rows, int max)
{
    int n = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line && n < max; line = strtok_r(NULL, "\n", &save))
        rows[n++] = line;
    return n;
}

/* The line number of a Code pane row "│▶  12  source" after its marker glyph; 0 when none. */
static uint32_t row_line(const char *row, const char *glyph)
{
    const char *p = strstr(row, "\xe2\x94\x82"); /* the frame's left edge */
    if (!p)
        return 0;
    p += 3;
    if (glyph) {
        if (strncmp(p, glyph, strlen(glyph)) != 0)
            return 0;
        p += strlen(glyph);
    } else {
        p++; /* a marker (one character) or a blank */
        while ((*p & 0xc0) == 0x80)
            p++;
    }
    while (*p == ' ')
        p++;
    return (uint32_t)strtoul(p, NULL, 10);
}

struct line_step {
    uint64_t seq;   /* its marker */
    uint32_t line;  /* the line it announces */
};

/* Every line step of the trace, in order. */
static size_t line_steps(struct seeker *s, struct line_step *out, size_t max)
{
    size_t n = 0;
    uint64_t count = seeker_event_count(s);
    struct event evs[512];
    static char str[1 << 20];
    for (uint64_t seq = 0; seq < count;) {
        int k = seeker_events(s, seq, evs, 512, str, sizeof str);
        cr_assert_gt(k, 0);
        for (int i = 0; i < k; i++)
            if (evs[i].kind == EV_STEP && evs[i].u.step.kind == EV_STEP_LINE && n < max) {
                /* "slide.py:12  source" */
                char label[256];
                snprintf(label, sizeof label, "%.*s", (int)evs[i].str_len, evs[i].str);
                const char *colon = strchr(label, ':');
                cr_assert_not_null(colon);
                out[n++] = (struct line_step){evs[i].seq, (uint32_t)strtoul(colon + 1, NULL, 10)};
            }
        seq += (uint64_t)k;
    }
    return n;
}

/* The first marker of any kind after seq, or the event count. */
static uint64_t next_marker(struct seeker *s, uint64_t seq)
{
    uint64_t count = seeker_event_count(s);
    struct event ev;
    char str[512];
    for (uint64_t at = seq + 1; at < count; at++)
        if (seeker_events(s, at, &ev, 1, str, sizeof str) == 1 && ev.kind == EV_STEP)
            return at;
    return count;
}

Test(code, the_arrow_is_on_the_line_about_to_run_and_the_check_on_the_line_just_run, .timeout = 300)
{
    const char *trace = record_script();
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
    struct line_step steps[64];
    size_t n = line_steps(s, steps, 64);
    cr_assert_geq(n, 14, "a step per line run, the loop's lines each time (%zu)", n);
    struct ui_config cfg = {.title = "slide.trace"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
    for (size_t k = 0; k + 1 < n; k++) {
        /* the end of step k: just before the next line's marker */
        uint64_t pos = steps[k + 1].seq;
        char *text = screen(app, pos, "code", 120, 40);
        char *rows[64];
        int nrows = rows_of(text, rows, 64);
        uint32_t next = 0, ran = 0;
        char want[256];
        for (int r = 0; r < nrows; r++) {
            uint32_t l;
            if ((l = row_line(rows[r], "\xe2\x96\xb6")) != 0 && !strstr(rows[r], "about to run")) {
                cr_assert_eq(next, 0, "one ▶ line at step %zu", k);
                next = l;
                script_line(l, want, sizeof want);
                cr_assert(strstr(rows[r], want), "the ▶ row shows line %" PRIu32 " of the script: %s", l, rows[r]);
            }
            if ((l = row_line(rows[r], "\xe2\x9c\x93")) != 0 && !strstr(rows[r], "just run"))
                ran = l;
        }
        cr_assert_eq(next, steps[k + 1].line, "at the end of the step of line %" PRIu32 ", ▶ is on line %" PRIu32
                     " (the next marker says %" PRIu32 ")", steps[k].line, next, steps[k + 1].line);
        if (steps[k].line != steps[k + 1].line)
            cr_assert_eq(ran, steps[k].line, "✓ is on line %" PRIu32 ", the line just run (%" PRIu32 ")", ran,
                         steps[k].line);
        free(text);
    }
    ui_app_free(app);
    seeker_free(s);
}

Test(code, the_tinted_lines_are_those_the_step_allocated_at, .timeout = 300)
{
    const char *trace = record_script();
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
    struct line_step steps[64];
    size_t n = line_steps(s, steps, 64);
    struct ui_config cfg = {.title = "slide.trace"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
    int tinted = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t pos = next_marker(s, steps[k].seq);
        /* the trace's allocations in the step, by the script's line they are charged to */
        cr_assert_eq(seeker_seek(s, pos), 0);
        const struct model *m = seeker_model(s);
        uint64_t blocks[64] = {0};
        struct charge {
            uint64_t addr;
            uint32_t line; /* 0: taken back */
        } charged[256];
        size_t ncharged = 0;
        for (uint64_t at = steps[k].seq + 1; at < pos; at++) {
            struct event ev;
            char str[256];
            cr_assert_eq(seeker_events(s, at, &ev, 1, str, sizeof str), 1);
            if (ev.kind == EV_BLOCK_TOOL) {
                /* the interpreter made it for arenascope: not the line's */
                for (size_t i = 0; i < ncharged; i++)
                    if (charged[i].addr == ev.u.block_tool.addr && charged[i].line) {
                        blocks[charged[i].line]--;
                        charged[i].line = 0;
                    }
                continue;
            }
            uint64_t stack = ev.kind == EV_BLOCK_ALLOC ? ev.u.block_alloc.stack
                             : ev.kind == EV_RAW_ALLOC ? ev.u.raw_alloc.stack
                                                       : 0;
            const char *ftext;
            size_t flen;
            uint32_t frame = stack ? model_stack_line_frame(m, (uint32_t)stack) : 0;
            if (!frame || !model_frame_text(m, frame, &ftext, &flen))
                continue;
            struct model_frame_info fi;
            model_frame_parse(ftext, flen, &fi);
            if (fi.python && fi.file_len >= 8 && memcmp(fi.file + fi.file_len - 8, "slide.py", 8) == 0 && fi.line < 64) {
                blocks[fi.line]++;
                if (ncharged < sizeof charged / sizeof charged[0])
                    charged[ncharged++] = (struct charge){
                        ev.kind == EV_BLOCK_ALLOC ? ev.u.block_alloc.addr : ev.u.raw_alloc.addr, fi.line};
            }
        }
        char *text = screen(app, pos, "code", 120, 40);
        char *rows[64];
        int nrows = rows_of(text, rows, 64);
        bool shown[64] = {false};
        for (int r = 0; r < nrows; r++) {
            const char *mark = strstr(rows[r], "\xe2\x96\xa0 ");
            if (!mark || strstr(rows[r], "allocated in this step"))
                continue;
            uint32_t l = row_line(rows[r], NULL);
            cr_assert(l > 0 && l < 64, "a tinted row has a line number: %s", rows[r]);
            uint64_t said = strtoull(mark + 4, NULL, 10);
            cr_assert_eq(said, blocks[l], "line %" PRIu32 " at the end of step %zu: %" PRIu64 " blocks shown, the trace "
                         "has %" PRIu64, l, k, said, blocks[l]);
            shown[l] = true;
            tinted++;
        }
        for (uint32_t l = 1; l < 64; l++)
            cr_assert(shown[l] || blocks[l] == 0, "line %" PRIu32 " allocated %" PRIu64 " blocks in step %zu, not tinted",
                      l, blocks[l], k);
        free(text);
    }
    cr_assert_gt(tinted, 3, "some lines allocate (%d tinted)", tinted);
    ui_app_free(app);
    seeker_free(s);
}

/* What a `print(NAME, id(), sys.getrefcount(), sys.getsizeof(), type().__name__)` line printed. */
static bool printed(struct seeker *s, uint64_t from, uint64_t to, char who, uint64_t *id, uint64_t *refs,
                    uint64_t *size, char type[32])
{
    for (uint64_t at = from; at < to; at++) {
        struct event ev;
        char str[256], text[256], name[8];
        if (seeker_events(s, at, &ev, 1, str, sizeof str) != 1 || ev.kind != EV_PRINT)
            continue;
        snprintf(text, sizeof text, "%.*s", (int)ev.str_len, ev.str); /* texts are not terminated */
        if (sscanf(text, "%7s %" SCNu64 " %" SCNu64 " %" SCNu64 " %31s", name, id, refs, size, type) == 5 &&
            name[0] == who)
            return true;
    }
    return false;
}

Test(code, the_names_are_what_the_script_prints, .timeout = 300)
{
    const char *trace = record_script();
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
    struct line_step steps[64];
    size_t n = line_steps(s, steps, 64);
    struct ui_config cfg = {.title = "slide.trace"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
    int checked = 0;
    for (size_t k = 0; k < n; k++) {
        char line[256];
        script_line(steps[k].line, line, sizeof line);
        if (strncmp(line, "print('", 7) != 0)
            continue;
        char who = line[7];
        /* the last line has no snapshot after it: the pane shows the one from before it, which
         * a print does not change */
        uint64_t pos = next_marker(s, steps[k].seq), id, refs, size;
        char type[32];
        cr_assert(printed(s, steps[k].seq, pos, who, &id, &refs, &size, type), "line %" PRIu32 " printed",
                  steps[k].line);
        /* where id() is, as the model at that position places it */
        cr_assert_eq(seeker_seek(s, pos), 0);
        struct model_pool p;
        struct model_block b;
        cr_assert(model_pool_find(seeker_model(s), id, &p) && model_block_find(seeker_model(s), id, &b),
                  "%c at 0x%" PRIx64 " is in a pool", who, id);
        char where[64];
        snprintf(where, sizeof where, "a%" PRIu32 " p%" PRIu32 " b%" PRIu32, p.slot, p.index, b.index);

        char *text = screen(app, pos, "objects", 120, 40);
        char *rows[64];
        int nrows = rows_of(text, rows, 64);
        bool found = false;
        for (int r = 0; r < nrows && !found; r++) {
            char prefix[8];
            snprintf(prefix, sizeof prefix, "\xe2\x94\x82%c ", who);
            if (strncmp(rows[r], prefix, strlen(prefix)) != 0)
                continue;
            found = true;
            /* "│a    list  [1, 2, 3]   88    2 trk a0 p36 b227   │": from the right */
            char *end = strstr(rows[r], where);
            cr_assert_not_null(end, "%c is in %s (id() says), the row says: %s", who, where, rows[r]);
            char *tok[16];
            int nt = 0;
            *end = '\0';
            for (char *save = NULL, *t = strtok_r(rows[r], " ", &save); t && nt < 16; t = strtok_r(NULL, " ", &save))
                tok[nt++] = t;
            cr_assert_geq(nt, 4);
            cr_assert_str_eq(tok[1], type, "%c is a %s (type() says), the row says %s", who, type, tok[1]);
            /* size, refs, gc before the place */
            uint64_t row_size = strtoull(tok[nt - 3], NULL, 10), row_refs = strtoull(tok[nt - 2], NULL, 10);
            cr_assert_eq(row_size, size, "%c: %" PRIu64 " B on screen, sys.getsizeof says %" PRIu64, who, row_size, size);
            cr_assert_eq(row_refs + 1, refs, "%c: %" PRIu64 " references on screen, sys.getrefcount says %" PRIu64
                         " (one more, its argument)", who, row_refs, refs);
        }
        cr_assert(found, "the Names pane lists %c after line %" PRIu32, who, steps[k].line);
        free(text);
        checked++;
    }
    cr_assert_eq(checked, 4, "four lines print a name's numbers (%d checked)", checked);
    ui_app_free(app);
    seeker_free(s);
}

/* ---- the stepping keys on the sample slide (traces/program-slide.trace) ----------------------- */

static struct ui_app *open_slide(struct seeker **s, struct canvas *c)
{
    const char *dir = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(dir);
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/program-slide.trace", dir);
    cr_assert_eq(seeker_open(s, path, 0, err, sizeof err), 0, "%s", err);
    struct ui_config cfg = {.title = "program-slide.trace"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, *s, &cfg), 0);
    cr_assert_eq(canvas_init(c, 120, 40, false), 0);
    ui_app_paint(app, c);
    return app;
}

/* Keys as the loop gives them: each one handled, then the screen painted. */
static void press(struct ui_app *app, struct canvas *c, const char *keys)
{
    int k[64];
    char err[256];
    int n = ui_keys_parse(keys, k, 64, err, sizeof err);
    cr_assert_geq(n, 0, "%s", err);
    for (int i = 0; i < n; i++) {
        struct ui_input in = {UI_IN_KEY, k[i], 0, 0};
        ui_app_input(app, &in);
        ui_app_paint(app, c);
    }
}

/* The markers of the slide's line `line`, from the trace's labels. */
static size_t markers_of_line(struct seeker *s, uint32_t line, uint64_t *out, size_t max)
{
    struct line_step steps[64];
    size_t n = line_steps(s, steps, 64), k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        if (steps[i].line == line)
            out[k++] = steps[i].seq;
    return k;
}

Test(code, a_line_breakpoint_stops_before_each_time_its_line_runs)
{
    struct seeker *s;
    struct canvas c;
    struct ui_app *app = open_slide(&s, &c);
    uint64_t want[8];
    size_t n = markers_of_line(s, 8, want, 8);
    cr_assert_eq(n, 3, "line 8 of the slide runs three times (a loop of three)");
    /* from the program's first line: select line 8 of the Code pane, break there, and take many
     * steps at a time: each count ends at the breakpoint */
    press(app, &c, "gjjjjjjjb<Esc>");
    for (size_t i = 0; i < n; i++) {
        press(app, &c, "100]");
        cr_assert_eq(ui_app_position(app), want[i], "] stops just before the marker of run %zu of line 8 (at %llu, "
                     "not %llu)", i + 1, (unsigned long long)want[i], (unsigned long long)ui_app_position(app));
        char *text = canvas_to_text(&c);
        cr_assert(strstr(text, "\xe2\x96\xb6   8      nums.append(i * 10)"), "and ▶ is on line 8:\n%s", text);
        free(text);
    }
    press(app, &c, "100]");
    cr_assert_eq(ui_app_position(app), seeker_event_count(s), "after the last run, 100] goes to the end");
    canvas_release(&c);
    ui_app_free(app);
    seeker_free(s);
}

Test(code, a_count_before_a_step_key_takes_that_many_steps)
{
    struct seeker *s, *s1;
    struct canvas c, c1;
    struct ui_app *app = open_slide(&s, &c), *one = open_slide(&s1, &c1);
    press(app, &c, "g");
    press(one, &c1, "g");
    press(app, &c, "5]");
    press(one, &c1, "]]]]]");
    cr_assert_eq(ui_app_position(app), ui_app_position(one), "5] goes where five ] go");
    uint64_t five = ui_app_position(app);
    press(app, &c, "3]");
    cr_assert_gt(ui_app_position(app), five);
    press(app, &c, "3[");
    cr_assert_eq(ui_app_position(app), five, "3[ comes back from 3]");
    press(app, &c, "12");
    press(app, &c, "l]");
    press(one, &c1, "l]");
    cr_assert_eq(ui_app_position(app), ui_app_position(one), "a count is forgotten after another key");
    canvas_release(&c);
    canvas_release(&c1);
    ui_app_free(app);
    ui_app_free(one);
    seeker_free(s);
    seeker_free(s1);
}

Test(code, enter_on_a_line_lists_the_steps_it_ran_at_and_goes_to_one)
{
    struct seeker *s;
    struct canvas c;
    struct ui_app *app = open_slide(&s, &c);
    uint64_t want[8];
    size_t n = markers_of_line(s, 7, want, 8);
    cr_assert_eq(n, 4, "the loop's header runs four times");
    press(app, &c, "gjjjjjj<Enter>");
    char *text = canvas_to_text(&c);
    cr_assert(strstr(text, "line 7 ran at 4 steps"), "Enter lists the steps of line 7:\n%s", text);
    free(text);
    /* the second run: its step's end, where the next marker is */
    press(app, &c, "j<Enter>");
    cr_assert_eq(ui_app_position(app), next_marker(s, want[1]), "Enter goes to the end of that step");
    text = canvas_to_text(&c);
    cr_assert(strstr(text, "\xe2\x9c\x93   7  for i in range(3):"), "where line 7 has just run:\n%s", text);
    free(text);
    canvas_release(&c);
    ui_app_free(app);
    seeker_free(s);
}

/* ---- a line that raises ------------------------------------------------------------------------- */

Test(code, the_line_that_raised_is_marked_and_the_banner_says_what_it_raised, .timeout = 120)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin);
    if (access(PY, X_OK) != 0)
        cr_skip_test("%s is not installed", PY);
    const char *py = scratch_path("raises.py");
    FILE *f = fopen(py, "w");
    cr_assert_not_null(f);
    fputs("a = [1]\nb = len(a)\nc = a[5]\nd = 2\n", f);
    fclose(f);
    const char *trace = scratch_path("raises.trace");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(126);
        execl(bin, bin, "record", "-o", trace, "--", PY, py, (char *)NULL);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "the program fails, and record says so");
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
    /* what the interpreter's traceback says: the line, and the exception */
    uint64_t count = seeker_event_count(s), end = 0;
    unsigned line = 0;
    char exception[256] = "";
    for (uint64_t at = 0; at < count && !end; at++) {
        struct event ev;
        char str[512], text[512];
        cr_assert_eq(seeker_events(s, at, &ev, 1, str, sizeof str), 1);
        if (ev.kind == EV_STEP && line)
            end = at;
        if (ev.kind != EV_PRINT || ev.u.print.stream != 2)
            continue;
        snprintf(text, sizeof text, "%.*s", (int)ev.str_len, ev.str);
        const char *l = strstr(text, "\", line ");
        if (l)
            line = (unsigned)strtoul(l + 8, NULL, 10);
        else if (line && text[0] != ' ')
            snprintf(exception, sizeof exception, "%.255s", text);
    }
    cr_assert_eq(line, 3, "the traceback names line 3");
    cr_assert_str_eq(exception, "IndexError: list index out of range");
    struct ui_config cfg = {.title = "raises.trace"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
    char *text = screen(app, end, "all", 120, 40);
    char want[64];
    snprintf(want, sizeof want, "\xe2\x9c\x97   %u  c = a[5]", line);
    cr_assert(strstr(text, want), "✗ on the line that raised:\n%s", text);
    cr_assert(strstr(text, "raised IndexError"), "the line says what it raised:\n%s", text);
    cr_assert(strstr(text, exception), "the banner says the exception:\n%s", text);
    free(text);
    ui_app_free(app);
    seeker_free(s);
}

Test(code, a_click_selects_a_line_and_b_breaks_there)
{
    struct seeker *s;
    struct canvas c;
    struct ui_app *app = open_slide(&s, &c);
    press(app, &c, "g");
    /* the row of line 5 as painted */
    char *text = canvas_to_text(&c);
    char *rows[64];
    int nrows = rows_of(text, rows, 64), y = -1, x = -1;
    for (int r = 0; r < nrows && y < 0; r++) {
        char *at = strstr(rows[r], "   5  table = ");
        if (at && row_line(rows[r], NULL) == 5) {
            y = r;
            x = 3;
        }
    }
    free(text);
    cr_assert_geq(y, 0, "line 5 is on screen");
    struct ui_input click = {UI_IN_MOUSE, 0, x, y};
    ui_app_input(app, &click);
    ui_app_paint(app, &c);
    press(app, &c, "b");
    cr_assert(strstr(ui_app_message(app), "before line 5 of slide.py"), "b after a click on line 5: %s",
              ui_app_message(app));
    /* away from the Code pane b opens the breakpoint menu; c comes back to it */
    press(app, &c, "<Esc><Tab>b");
    char *menu = canvas_to_text(&c);
    cr_assert(strstr(menu, "Breakpoints"), "b in the arena map opens the menu:\n%s", menu);
    free(menu);
    press(app, &c, "<Esc>cb");
    cr_assert(strstr(ui_app_message(app), "breakpoint 2: before line 2 of slide.py"),
              "after c, b breaks on the line about to run: %s", ui_app_message(app));
    press(app, &c, "b");
    cr_assert(strstr(ui_app_message(app), "no breakpoint on line 2"), "b again takes it off: %s",
              ui_app_message(app));
    uint64_t want[2];
    press(app, &c, "100]");
    cr_assert_eq(markers_of_line(s, 5, want, 2), 1);
    cr_assert_eq(ui_app_position(app), want[0], "and ] stops before it runs");
    canvas_release(&c);
    ui_app_free(app);
    seeker_free(s);
}

Test(code, a_program_that_does_not_compile_says_where_in_one_line, .timeout = 120)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin);
    if (access(PY, X_OK) != 0)
        cr_skip_test("%s is not installed", PY);
    const char *py = scratch_path("broken.py");
    FILE *f = fopen(py, "w");
    cr_assert_not_null(f);
    fputs("a = 1\nb = [a,\nc = 2\n", f);
    fclose(f);
    /* what the interpreter itself says, run on its own */
    char cmd[1024], out[4096] = "", line[512];
    snprintf(cmd, sizeof cmd, "%s %s 2>&1", PY, py);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    unsigned at = 0;
    char error[256] = "";
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        strncat(out, line, sizeof out - strlen(out) - 2);
        const char *l = strstr(line, "\", line ");
        if (l)
            at = (unsigned)strtoul(l + 8, NULL, 10);
        else if (strncmp(line, "SyntaxError: ", 13) == 0)
            snprintf(error, sizeof error, "%.255s", line);
    }
    pclose(p);
    cr_assert(at > 0 && error[0], "python3.11 reports a syntax error: %s", out);
    const char *trace = scratch_path("broken.trace");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr))
            _exit(126);
        execl(bin, bin, "record", "-o", trace, "--", PY, py, (char *)NULL);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
    struct ui_config cfg = {.title = "broken.trace"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
    char *text = screen(app, seeker_event_count(s), "all", 120, 40);
    char want[400];
    snprintf(want, sizeof want, "broken.py:%u: %s", at, error);
    cr_assert(strstr(text, want), "the screen says %s:\n%s", want, text);
    free(text);
    ui_app_free(app);
    seeker_free(s);
}

/* ---- a built-in demo's source ----------------------------------------------------------------- */

/* demo:NAME recorded by the program, with `extra` (NULL or "--stacks" and "c", as traces/ are). */
static const char *record_demo(const char *name, bool c_stacks)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin, "ARENASCOPE names the program");
    static char trace[512];
    char file[64], spec[64];
    snprintf(file, sizeof file, "demo-%s.trace", name);
    snprintf(spec, sizeof spec, "demo:%s", name);
    snprintf(trace, sizeof trace, "%s", scratch_path(file));
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout))
            _exit(126);
        if (c_stacks)
            execl(bin, bin, "record", "--arena-source", "aligned", "--stacks", "c", "-o", trace, spec, (char *)NULL);
        else
            execl(bin, bin, "record", "--arena-source", "aligned", "-o", trace, spec, (char *)NULL);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "record %s failed", spec);
    return trace;
}

struct demo_step {
    uint64_t seq;     /* its marker */
    uint32_t line;    /* the line of the source its stack names */
    char label[200];  /* its narration */
};

/* The demo's steps, read from the trace's own events: each marker's stack, the stack's frame
 * "<module>\tFILE\tLINE", and the file's recorded source (into source[len]). */
static size_t demo_steps(struct seeker *s, struct demo_step *out, size_t max, char *path, size_t plen,
                         char *source, size_t len)
{
    static uint64_t frame_of[256];
    static char frames[256][256];
    size_t n = 0;
    uint64_t count = seeker_event_count(s);
    struct event evs[512];
    static char str[1 << 20];
    for (uint64_t seq = 0; seq < count;) {
        int k = seeker_events(s, seq, evs, 512, str, sizeof str);
        cr_assert_gt(k, 0);
        for (int i = 0; i < k; i++) {
            const struct event *ev = &evs[i];
            if (ev->kind == EV_SOURCE_FILE)
                snprintf(path, plen, "%.*s", (int)ev->str_len, ev->str);
            else if (ev->kind == EV_SOURCE_TEXT)
                snprintf(source, len, "%.*s", (int)ev->str_len, ev->str);
            else if (ev->kind == EV_FRAME_DEF && ev->u.frame_def.id < 256)
                snprintf(frames[ev->u.frame_def.id], sizeof frames[0], "%.*s", (int)ev->str_len, ev->str);
            else if (ev->kind == EV_STACK_DEF && ev->u.stack_def.id < 256)
                frame_of[ev->u.stack_def.id] = ev->u.stack_def.frame;
            else if (ev->kind == EV_STEP && n < max) {
                cr_assert_eq(ev->u.step.kind, EV_STEP_WORKLOAD);
                cr_assert(ev->u.step.stack > 0 && ev->u.step.stack < 256, "step %zu carries its line", n + 1);
                const char *f = frames[frame_of[ev->u.step.stack]];
                char want[300];
                snprintf(want, sizeof want, "<module>\t%s\t", path);
                cr_assert(strncmp(f, want, strlen(want)) == 0, "step %zu's frame \"%s\" is a line of %s", n + 1, f,
                          path);
                out[n].seq = ev->seq;
                out[n].line = (uint32_t)strtoul(f + strlen(want), NULL, 10);
                snprintf(out[n].label, sizeof out[n].label, "%.*s", (int)ev->str_len, ev->str);
                n++;
            }
        }
        seq += (uint64_t)k;
    }
    return n;
}

/* Line n (from 1) of text, without its indentation and newline. */
static void text_line(const char *text, uint32_t n, char *buf, size_t len)
{
    const char *p = text;
    for (uint32_t i = 1; i < n && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    cr_assert(p && *p, "the source has a line %" PRIu32, n);
    p += strspn(p, " ");
    snprintf(buf, len, "%.*s", (int)strcspn(p, "\n"), p);
}

/*
 * A demo replayed shows its Python source in the Code pane as a program's: at the end of every
 * step ✓ is on the line the step's marker names and ▶ on the next step's, each row showing that
 * line of the source the trace recorded, while the banner keeps the step's narration.  Recorded
 * both ways: the steps' lines charging the allocations, and with C stacks (as traces/ are).
 */
Test(code, a_demo_shows_its_source_with_the_line_of_each_step_and_the_narration_beside, .timeout = 300)
{
    const char *demos[] = {"refcount", "size-classes"};
    for (size_t d = 0; d < 2 * sizeof demos / sizeof demos[0]; d++) {
        const char *name = demos[d / 2];
        const char *trace = record_demo(name, d % 2);
        struct seeker *s;
        char err[512], path[256] = "";
        static char source[65536];
        cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
        struct demo_step steps[64];
        size_t n = demo_steps(s, steps, 64, path, sizeof path, source, sizeof source);
        cr_assert_geq(n, 5, "%s: %zu steps", name, n);
        char base[300];
        snprintf(base, sizeof base, "demo_%s.py", name);
        for (char *p = base; *p; p++)
            if (*p == '-')
                *p = '_';
        cr_assert(strstr(path, base), "the trace records %s's source (%s)", name, path);
        struct ui_config cfg = {.title = "demo.trace"};
        struct ui_app *app;
        cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
        for (size_t k = 0; k < n; k++) {
            uint64_t pos = k + 1 < n ? steps[k + 1].seq : seeker_event_count(s);
            char *text = screen(app, pos, "code", 120, 40);
            char *rows[64];
            int nrows = rows_of(text, rows, 64);
            bool titled = false;
            for (int r = 0; r < nrows; r++)
                titled |= strstr(rows[r], "Code: ") && strstr(rows[r], base);
            cr_assert(titled, "%s step %zu: the Code pane names %s", name, k + 1, base);
            uint32_t next = 0, ran = 0;
            char want[256];
            for (int r = 0; r < nrows; r++) {
                uint32_t l;
                if ((l = row_line(rows[r], "\xe2\x96\xb6")) != 0 && !strstr(rows[r], "about to run")) {
                    next = l;
                    text_line(source, l, want, sizeof want);
                    cr_assert(strstr(rows[r], want), "the ▶ row shows line %" PRIu32 " of the source: %s", l, rows[r]);
                }
                if ((l = row_line(rows[r], "\xe2\x9c\x93")) != 0 && !strstr(rows[r], "just run")) {
                    ran = l;
                    text_line(source, l, want, sizeof want);
                    cr_assert(strstr(rows[r], want), "the ✓ row shows line %" PRIu32 " of the source: %s", l, rows[r]);
                }
            }
            cr_assert_eq(ran, steps[k].line, "%s step %zu: ✓ is on line %" PRIu32 ", the step's (%" PRIu32 ")", name,
                         k + 1, ran, steps[k].line);
            cr_assert_eq(next, k + 1 < n ? steps[k + 1].line : 0,
                         "%s step %zu: ▶ is on line %" PRIu32 ", the next step's", name, k + 1, next);
            free(text);
            /* two events earlier the next line's stack is not yet defined (its frame_def and
             * stack_def come just before the marker): ▶ reads it from the events ahead */
            if (k + 1 < n && pos - 2 > steps[k].seq) {
                text = screen(app, pos - 2, "code", 120, 40);
                nrows = rows_of(text, rows, 64);
                next = 0;
                for (int r = 0; r < nrows && !next; r++)
                    if (!strstr(rows[r], "about to run"))
                        next = row_line(rows[r], "\xe2\x96\xb6");
                cr_assert_eq(next, steps[k + 1].line, "%s step %zu, before its end: ▶ is on line %" PRIu32, name,
                             k + 1, next);
                free(text);
            }
            /* the banner, on the whole screen, keeps the narration: its first words */
            text = screen(app, pos, "all", 120, 40);
            char words[24];
            snprintf(words, sizeof words, "%s", steps[k].label);
            cr_assert(strstr(text, words), "%s step %zu: the banner reads \"%s\"", name, k + 1, words);
            free(text);
        }
        ui_app_free(app);
        seeker_free(s);
    }
}

/* traces/demo-refcount.trace with the Code pane in focus, at its first event; its steps. */
static struct ui_app *open_demo(struct seeker **s, struct canvas *c, struct demo_step *steps, size_t *n)
{
    const char *dir = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(dir);
    char path[1024], err[512], file[256];
    static char source[65536];
    snprintf(path, sizeof path, "%s/demo-refcount.trace", dir);
    cr_assert_eq(seeker_open(s, path, 0, err, sizeof err), 0, "%s", err);
    *n = demo_steps(*s, steps, 64, file, sizeof file, source, sizeof source);
    cr_assert_geq(*n, 5);
    struct ui_config cfg = {.title = "demo-refcount.trace"};
    struct ui_app *app;
    cr_assert_eq(ui_app_new(&app, *s, &cfg), 0);
    cr_assert_eq(canvas_init(c, 120, 40, false), 0);
    ui_app_paint(app, c);
    press(app, c, "cg");
    return app;
}

/* The keys that select line `to` of the Code pane when ▶ is on line `from`. */
static void select_line(struct ui_app *app, struct canvas *c, uint32_t from, uint32_t to)
{
    press(app, c, "j"); /* the line about to run */
    for (uint32_t l = from; l < to; l++)
        press(app, c, "j");
}

Test(code, a_demo_line_lists_its_step_and_breaks_before_it)
{
    struct seeker *s;
    struct canvas c;
    struct demo_step steps[64];
    size_t n;
    struct ui_app *app = open_demo(&s, &c, steps, &n);
    /* Enter on the line of step 3 lists that one step, and goes to its end */
    select_line(app, &c, steps[0].line, steps[2].line);
    press(app, &c, "<Enter>");
    char *text = canvas_to_text(&c), want[64];
    snprintf(want, sizeof want, "line %" PRIu32 " ran at 1 step:", steps[2].line);
    cr_assert(strstr(text, want), "Enter lists the step of line %" PRIu32 ":\n%s", steps[2].line, text);
    free(text);
    press(app, &c, "<Enter>");
    cr_assert_eq(ui_app_position(app), steps[3].seq, "Enter goes to the end of step 3, before marker 4");
    /* b on the line of step 5, from the start: ] stops just before its marker, then goes on */
    press(app, &c, "<Esc>g");
    select_line(app, &c, steps[0].line, steps[4].line);
    press(app, &c, "b<Esc>g");
    press(app, &c, "100]");
    cr_assert_eq(ui_app_position(app), steps[4].seq, "] stops before the marker of step 5 (at %llu)",
                 (unsigned long long)ui_app_position(app));
    press(app, &c, "100]");
    cr_assert_eq(ui_app_position(app), seeker_event_count(s), "then 100] goes to the end");
    /* a line no step runs takes no breakpoint */
    press(app, &c, "gjkkkb");
    snprintf(want, sizeof want, "no step of the demo runs line %" PRIu32, steps[0].line - 3);
    cr_assert(strstr(ui_app_message(app), want), "b on a line no step runs says so: %s", ui_app_message(app));
    canvas_release(&c);
    ui_app_free(app);
    seeker_free(s);
}
/* ---- the program's allocations, not arenascope's ------------------------------------------------ */

/* Run with an argument, the script asks tracemalloc which of its lines hold which blocks; without,
 * it is recorded.  Each line of 4 to 11 allocates what it keeps, nothing it frees, so that what a
 * line made in its steps (the Code pane's ■) is what tracemalloc finds it holding at the end, on
 * the interpreter left alone.  Lines 7 and 10 call a function: 3.11 then makes a frame object for
 * arenascope's trace function, and a line array the first time, which are not the program's
 * (they are charged to the function's first line, 4, whose own block is the function). */
static const char tool_script[] = "import sys, tracemalloc\n"
                                  "if len(sys.argv) > 1:\n"
                                  "    tracemalloc.start()\n"
                                  "def three():\n"
                                  "    return [1, 2, 3]\n"
                                  "a = [1, 2, 3, 4]\n"
                                  "b = three()\n"
                                  "c = {'k': a}\n"
                                  "d = (a, b, c, 'x')\n"
                                  "e = three()\n"
                                  "f = 'y' * 50\n"
                                  "if len(sys.argv) > 1:\n"
                                  "    for st in tracemalloc.take_snapshot().statistics('lineno'):\n"
                                  "        fr = st.traceback[0]\n"
                                  "        if fr.filename == __file__:\n"
                                  "            print('line', fr.lineno, st.count, st.size)\n";

/* Runs argv with its output into `out`; its exit status. */
static int run_capturing(const char *const *argv, char *out, size_t len)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        close(fds[1]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t k;
    while (n + 1 < len && (k = read(fds[0], out + n, len - 1 - n)) > 0)
        n += (size_t)k;
    out[n] = '\0';
    close(fds[0]);
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(code, a_lines_blocks_are_the_programs_own_not_arenascopes, .timeout = 300)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin, "ARENASCOPE names the program");
    const char *pythons[] = {PY, NULL, NULL, NULL};
    char extra[3][512];
    size_t np = access(PY, X_OK) == 0 ? 1 : 0;
    if (np == 0)
        pythons[0] = NULL;
    static const char *const pyenv[] = {"3.8", "3.12", "3.13"};
    for (size_t v = 0; v < 3; v++) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ls -d %s/.pyenv/versions/%s.* 2>/dev/null | grep -v t$ | head -1",
                 getenv("HOME") ? getenv("HOME") : "/root", pyenv[v]);
        FILE *p = popen(cmd, "r");
        char dir[400] = "";
        if (p && fgets(dir, sizeof dir, p))
            dir[strcspn(dir, "\n")] = '\0';
        if (p)
            pclose(p);
        snprintf(extra[v], sizeof extra[v], "%s/bin/python%s", dir, pyenv[v]);
        if (dir[0] && access(extra[v], X_OK) == 0)
            pythons[np++] = extra[v];
    }
    if (np == 0)
        cr_skip_test("neither %s nor a pyenv 3.8, 3.12 or 3.13 is installed", PY);
    const char *py = scratch_path("tool.py");
    FILE *f = fopen(py, "w");
    cr_assert_not_null(f);
    fputs(tool_script, f);
    fclose(f);
    for (size_t k = 0; k < np; k++) {
        /* what the interpreter alone says each line holds */
        static char out[1 << 16];
        const char *plain[] = {pythons[k], py, "tracemalloc", NULL};
        cr_assert_eq(run_capturing(plain, out, sizeof out), 0, "%s %s failed", pythons[k], py);
        uint64_t want_blocks[32] = {0}, want_bytes[32] = {0};
        for (char *save = NULL, *line = strtok_r(out, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            unsigned l;
            uint64_t nb, sz;
            if (sscanf(line, "line %u %" SCNu64 " %" SCNu64, &l, &nb, &sz) == 3 && l < 32)
                want_blocks[l] = nb, want_bytes[l] = sz;
        }
        /* what the Code pane says each line made, summed over the steps */
        char trace[512];
        snprintf(trace, sizeof trace, "%s", scratch_path("tool.trace"));
        const char *rec[] = {bin, "record", "-o", trace, "--", pythons[k], py, NULL};
        cr_assert_eq(run_capturing(rec, out, sizeof out), 0, "%s: record failed", pythons[k]);
        struct seeker *s;
        char err[512];
        cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
        struct line_step steps[64];
        size_t n = line_steps(s, steps, 64);
        struct ui_config cfg = {.title = "tool.trace"};
        struct ui_app *app;
        cr_assert_eq(ui_app_new(&app, s, &cfg), 0);
        uint64_t blocks[32] = {0}, bytes[32] = {0};
        for (size_t i = 0; i < n; i++) {
            char *text = screen(app, next_marker(s, steps[i].seq), "code", 120, 40);
            char *rows[64];
            int nrows = rows_of(text, rows, 64);
            for (int r = 0; r < nrows; r++) {
                const char *mark = strstr(rows[r], "\xe2\x96\xa0 ");
                if (!mark || strstr(rows[r], "allocated in this step"))
                    continue;
                uint32_t l = row_line(rows[r], NULL);
                cr_assert(l > 0 && l < 32, "a tinted row has a line number: %s", rows[r]);
                if (l < 4 || l > 11)
                    continue; /* the imports */
                char *end;
                blocks[l] += strtoull(mark + 4, &end, 10);
                const char *comma = strstr(end, ", ");
                uint64_t b = comma ? strtoull(comma + 2, &end, 10) : 0;
                cr_assert(comma && strncmp(end, " B", 2) == 0, "line %u's bytes in B: %s", l, rows[r]);
                bytes[l] += b;
            }
            free(text);
        }
        for (uint32_t l = 4; l <= 11; l++) {
            cr_assert_eq(blocks[l], want_blocks[l], "%s: line %u made %" PRIu64 " blocks, tracemalloc says %" PRIu64,
                         pythons[k], l, blocks[l], want_blocks[l]);
            cr_assert_eq(bytes[l], want_bytes[l], "%s: line %u made %" PRIu64 " B, tracemalloc says %" PRIu64,
                         pythons[k], l, bytes[l], want_bytes[l]);
        }
        cr_log_info("%s: lines 4 to 11 made what tracemalloc finds them holding", pythons[k]);
        ui_app_free(app);
        seeker_free(s);
        unlink(trace);
    }
}
