/*
 * test_live.c - live mode: a demo in a child process held at each step and stepped with ],
 * scrubbing back while it waits, following again with G, and a workload that dies: the viewer
 * says so and the trace is kept; a view far behind jumps to the edge but stops at a breakpoint on
 * its way.  The pacer (tracer/pacer.h): a line breakpoint holds a running program at its line.
 */
#include "live.h"

#include <tracer/model.h>
#include <tracer/pacer.h>
#include <ui/keys.h>
#include <ui/ui.h>

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct session {
    struct live *l;
    struct seeker *s;
    struct ui_app *app;
    struct canvas c;
    char dir[64];
};

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void open_session(struct session *ss, const char *spec, bool record)
{
    memset(ss, 0, sizeof *ss);
    snprintf(ss->dir, sizeof ss->dir, "/tmp/arenascope-live-test-XXXXXX");
    cr_assert_not_null(mkdtemp(ss->dir));
    setenv("TMPDIR", ss->dir, 1);
    char path[128];
    snprintf(path, sizeof path, "%s/kept.trace", ss->dir);
    struct live_options opt = {.record = record ? path : NULL, .arena_source = "aligned", .pace = 1};
    char err[512];
    cr_assert_eq(live_start(&ss->l, spec, &opt, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_open(&ss->s, live_trace_path(ss->l), SEEKER_FOLLOW, err, sizeof err), 0, "%s", err);
    struct ui_config cfg = {.title = spec, .live = live_controls(ss->l)};
    cfg.look.color = true;
    cr_assert_eq(ui_app_new(&ss->app, ss->s, &cfg), 0);
    cr_assert_eq(canvas_init(&ss->c, 160, 48, false), 0);
}

/* A session of a workload running unpaced from the start (max_trace_size: its cap, 0 the default). */
static void open_running(struct session *ss, const char *spec, uint64_t max_trace_size)
{
    memset(ss, 0, sizeof *ss);
    snprintf(ss->dir, sizeof ss->dir, "/tmp/arenascope-live-test-XXXXXX");
    cr_assert_not_null(mkdtemp(ss->dir));
    setenv("TMPDIR", ss->dir, 1);
    struct live_options opt = {.arena_source = "aligned", .pace = 0, .run = true, .max_trace_size = max_trace_size,
                               .max_trace_size_given = max_trace_size != 0};
    char err[512];
    cr_assert_eq(live_start(&ss->l, spec, &opt, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_open(&ss->s, live_trace_path(ss->l), SEEKER_FOLLOW, err, sizeof err), 0, "%s", err);
    struct ui_config cfg = {.title = "churn", .live = live_controls(ss->l), .live_run = true};
    cr_assert_eq(ui_app_new(&ss->app, ss->s, &cfg), 0);
    cr_assert_eq(canvas_init(&ss->c, 160, 48, false), 0);
}

static char *screen(struct session *ss)
{
    ui_app_paint(ss->app, &ss->c);
    return canvas_to_text(&ss->c);
}

/* Ticks (as the loop does) until the screen shows `a` or `b`, for up to 10 s. */
static bool tick_until_either(struct session *ss, const char *a, const char *b)
{
    double end = now_ms() + 10000;
    while (now_ms() < end) {
        ui_app_tick(ss->app, now_ms());
        char *t = screen(ss);
        bool found = strstr(t, a) != NULL || strstr(t, b) != NULL;
        free(t);
        if (found)
            return true;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    char *t = screen(ss);
    cr_log_error("never shown: %s%s%s\nscreen:\n%s", a, strcmp(a, b) ? ", nor " : "", strcmp(a, b) ? b : "", t);
    free(t);
    return false;
}

static bool tick_until(struct session *ss, const char *text)
{
    return tick_until_either(ss, text, text);
}

static void key(struct session *ss, int k)
{
    struct ui_input in = {UI_IN_KEY, k, 0, 0};
    ui_app_input(ss->app, &in);
}

static void close_session(struct session *ss)
{
    canvas_release(&ss->c);
    ui_app_free(ss->app);
    seeker_free(ss->s);
}

Test(live, a_demo_holds_at_each_step_until_stepped)
{
    struct session ss;
    open_session(&ss, "demo:pool-lifecycle", false);
    cr_assert(tick_until(&ss, "LIVE holding"), "the workload holds before its first step");
    uint64_t held = seeker_event_count(ss.s);
    /* holding means holding: nothing more arrives */
    for (int i = 0; i < 20; i++) {
        ui_app_tick(ss.app, now_ms());
        usleep(10000);
    }
    cr_assert_eq(seeker_event_count(ss.s), held, "a held workload writes nothing");
    key(&ss, ']');
    cr_assert(tick_until(&ss, "Step 1 "));
    key(&ss, ']');
    cr_assert(tick_until(&ss, "Step 2 "));
    uint64_t edge = ui_app_position(ss.app);
    /* scrub back into the history while it holds, then follow again */
    key(&ss, 'h');
    key(&ss, 'h');
    cr_assert_eq(ui_app_position(ss.app), edge - 2);
    cr_assert(tick_until(&ss, "viewing history"));
    /* on the smallest screen the header still says what to press, in fewer words, whole */
    cr_assert_eq(canvas_resize(&ss.c, 80, 24), 0);
    char *t = screen(&ss);
    char *eol = strchr(t, '\n');
    *eol = '\0';
    cr_assert(strstr(t, "] ") != NULL && strstr(t, "G") != NULL, "the header names ] and G: %s", t);
    cr_assert(strstr(t, "\xe2\x80\xa6") == NULL, "and cuts nothing: %s", t);
    cr_assert_eq(ss.c.ncut, 0, "no text cut at 80x24: \"%s\"", ss.c.first_cut.text);
    free(t);
    cr_assert_eq(canvas_resize(&ss.c, 160, 48), 0);
    key(&ss, 'G');
    ui_app_tick(ss.app, now_ms());
    cr_assert_eq(ui_app_position(ss.app), edge, "G follows the live edge again");
    /* Space runs it to the end, as fast as it goes */
    for (int i = 0; i < 10; i++)
        key(&ss, '+');
    key(&ss, ' ');
    cr_assert(tick_until(&ss, "workload finished"));
    close_session(&ss);
    char msg[512];
    cr_assert_eq(live_end(ss.l, msg, sizeof msg), 0);
    cr_assert(strstr(msg, "kept") == NULL, "a finished temporary trace is not kept: %s", msg);
    rmdir(ss.dir);
}

Test(live, a_workload_that_dies_is_reported_and_its_trace_kept)
{
    struct session ss;
    open_session(&ss, "demo:arena-lifecycle", false);
    cr_assert(tick_until(&ss, "LIVE holding"));
    key(&ss, ']');
    cr_assert(tick_until(&ss, "Step 1 "));
    /* kill the workload the hard way */
    char msg[512];
    const struct ui_live *ctl = live_controls(ss.l);
    cr_assert_eq(ctl->state(ctl->ctx, msg, sizeof msg), UI_LIVE_WAITING);
    cr_assert_gt(live_pid(ss.l), 0);
    kill(live_pid(ss.l), SIGKILL);
    cr_assert(tick_until(&ss, "the workload died"));
    cr_assert(strstr(ui_app_message(ss.app), "killed by SIGKILL") != NULL, "%s", ui_app_message(ss.app));
    cr_assert(strstr(ui_app_message(ss.app), live_trace_path(ss.l)) != NULL, "the message names the trace");
    /* what it recorded can still be stepped through */
    key(&ss, 'g');
    key(&ss, ']');
    cr_assert_gt(ui_app_position(ss.app), 0);
    char path[256];
    snprintf(path, sizeof path, "%s", live_trace_path(ss.l));
    close_session(&ss);
    cr_assert_eq(live_end(ss.l, msg, sizeof msg), 1, "a death is a failure");
    struct stat st;
    cr_assert_eq(stat(path, &st), 0, "the trace of a dead workload is kept");
    cr_assert_gt(st.st_size, 0);
    unlink(path);
    rmdir(ss.dir);
}

Test(live, a_bad_request_is_refused_before_anything_starts)
{
    struct live *l;
    char err[512];
    struct live_options opt = {.pace = 1};
    cr_assert_eq(live_start(&l, "demo:no-such-demo", &opt, err, sizeof err), -1);
    cr_assert(strstr(err, "no-such-demo") != NULL, "%s", err);
    opt.profile = "cpython-0.1";
    cr_assert_eq(live_start(&l, "demo:tour", &opt, err, sizeof err), -1);
    cr_assert(strstr(err, "profile") != NULL, "%s", err);
}

/* A workload that writes faster than a tick folds: the header says the view is catching up, and
 * the view moves on at every tick (the time q takes is bench_live.sh's to print). */
Test(live, a_view_behind_its_workload_says_so_and_moves_on, .timeout = 60)
{
    struct session ss;
    open_running(&ss, "churn:1000000000", 0);
    /* let the workload get well ahead, the view not ticking meanwhile: two million events and
     * more, however slow a busy machine makes the workload */
    for (int i = 0; i < 3000; i++) {
        if (seeker_event_count(ss.s) > 2000000)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
        seeker_poll(ss.s);
    }
    cr_assert_gt(seeker_event_count(ss.s), 2000000, "the workload writes millions of events");
    uint64_t before = ui_app_position(ss.app);
    cr_assert(tick_until_either(&ss, "LIVE running, the view catching up", "LIVE running, the view jumps to the edge"));
    cr_assert_gt(ui_app_position(ss.app), before, "the view moves on while behind");
    close_session(&ss);
    char msg[512];
    live_end(ss.l, msg, sizeof msg);
    rmdir(ss.dir);
}

static bool match_step(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP;
}

/* Whether the trace holds a step marker at or after `from` and `beyond` events before its end. */
static bool marker_behind(struct session *ss, uint64_t from, uint64_t beyond)
{
    uint64_t found, count = seeker_event_count(ss->s), ck = seeker_checkpoint_before(ss->s, count);
    return seeker_scan(ss->s, from, true, match_step, NULL, &found) > 0 && count > found + beyond &&
           ck != UINT64_MAX && ck > found;
}

/* The first step marker at or after `from`, read from the trace itself. */
static uint64_t next_marker(struct session *ss, uint64_t from)
{
    uint64_t found = UINT64_MAX;
    cr_assert_gt(seeker_scan(ss->s, from, true, match_step, NULL, &found), 0, "a marker after event %llu",
                 (unsigned long long)from);
    return found;
}

/* Far behind a running workload the view jumps to its edge through a checkpoint rather than fold
 * every event; a breakpoint on the way stops the jump, as it stops folding.  churn writes a step
 * marker every tenth of its run (some three million events apart here). */
Test(live, a_jump_to_the_live_edge_stops_at_a_breakpoint_on_its_way, .timeout = 90)
{
    struct session ss;
    open_running(&ss, "churn:10000000", 0);
    /* the view follows the workload past its first marker */
    double end = now_ms() + 60000;
    while (now_ms() < end && ui_app_position(ss.app) < 500000) {
        ui_app_tick(ss.app, now_ms());
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    uint64_t from = ui_app_position(ss.app);
    cr_assert_geq(from, 500000);
    /* a breakpoint on every step marker, typed by its kind's name */
    key(&ss, 'b');
    key(&ss, 'k');
    for (const char *p = "step"; *p; p++)
        key(&ss, *p);
    key(&ss, UI_KEY_ENTER);
    cr_assert(strstr(ui_app_message(ss.app), "breakpoint 1") != NULL, "%s", ui_app_message(ss.app));
    /* the view stays where it is while the workload runs a million events past its next marker */
    while (now_ms() < end && seeker_poll(ss.s) >= 0 && !marker_behind(&ss, from, 1000000)) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    cr_assert(marker_behind(&ss, from, 1000000), "the workload passed a marker");
    uint64_t marker = next_marker(&ss, from), count = seeker_event_count(ss.s);
    cr_assert_gt(seeker_checkpoint_before(ss.s, count), marker, "a checkpoint beyond the marker to jump through");
    /* one tick: it would jump to the edge; it stops just after the marker */
    ui_app_tick(ss.app, now_ms());
    cr_assert_eq(ui_app_position(ss.app), marker + 1, "stopped after the marker at %llu, not at %llu of %llu",
                 (unsigned long long)marker, (unsigned long long)ui_app_position(ss.app),
                 (unsigned long long)seeker_event_count(ss.s));
    cr_assert(strstr(ui_app_message(ss.app), "stopped at breakpoint 1") != NULL, "%s", ui_app_message(ss.app));
    close_session(&ss);
    char msg[512];
    live_end(ss.l, msg, sizeof msg);
    rmdir(ss.dir);
}

/* ---- the pacer: a line breakpoint holds a program that runs ----------------------------------- */

/* Reads one status line ("w N", "r N") from fd, waiting up to 5 s. */
static void status_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    for (int waited = 0; n + 1 < len && waited < 5000;) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 10) <= 0) {
            waited += 10;
            continue;
        }
        if (read(fd, buf + n, 1) != 1)
            break;
        if (buf[n] == '\n')
            break;
        n++;
    }
    buf[n] = '\0';
}

Test(pacer, a_line_breakpoint_holds_a_running_program_at_its_line_and_no_other)
{
    int ctl[2], status[2];
    cr_assert_eq(pipe(ctl), 0);
    cr_assert_eq(pipe(status), 0);
    /* a command split across two writes, and a line whose number begins the same */
    cr_assert_eq(write(ctl[1], "b sli", 5), 5);
    cr_assert_eq(write(ctl[1], "de.py:4\nb other.py:9\n", 21), 21);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        struct pacer p;
        pacer_init(&p, ctl[0], status[1], true, 0);
        pacer_wait(&p, 1, "slide.py:40  x = 1");
        pacer_wait(&p, 2, "slide.py:4  y = [x]");
        pacer_wait(&p, 3, "slide.py:5  z = 2"); /* held in step mode from the breakpoint on */
        _exit(p.run ? 1 : 0);
    }
    char line[64];
    status_line(status[0], line, sizeof line);
    cr_assert_str_eq(line, "r 1", "line 40 is not line 4: the program runs past it");
    status_line(status[0], line, sizeof line);
    cr_assert_str_eq(line, "w 2", "the breakpoint's line holds it, in run mode");
    cr_assert_eq(write(ctl[1], "s\n", 2), 2);
    status_line(status[0], line, sizeof line);
    cr_assert_str_eq(line, "r 2");
    status_line(status[0], line, sizeof line);
    cr_assert_str_eq(line, "w 3", "after the breakpoint it steps, as step mode does");
    cr_assert_eq(write(ctl[1], "b\nr 0\n", 6), 6);
    status_line(status[0], line, sizeof line);
    cr_assert_str_eq(line, "r 3");
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 1, "r runs it again");
    close(ctl[1]);
    close(status[0]);
}

Test(pacer, a_breakpoint_names_a_whole_line_of_one_file)
{
    struct pacer p;
    pacer_init(&p, -1, -1, true, 0);
    cr_assert_not(pacer_holds_at(&p, "slide.py:4  x"), "no breakpoint yet");
    snprintf(p.lines[p.nlines++], PACER_LINE_TEXT, "slide.py:4");
    cr_assert(pacer_holds_at(&p, "slide.py:4  x = 1"));
    cr_assert(pacer_holds_at(&p, "slide.py:4"));
    cr_assert_not(pacer_holds_at(&p, "slide.py:41  x = 1"));
    cr_assert_not(pacer_holds_at(&p, "other.py:4  x = 1"));
    cr_assert_not(pacer_holds_at(&p, "myslide.py:4  x = 1"));
    cr_assert_not(pacer_holds_at(&p, NULL));
}

/* A live trace with a small cap, run long enough to pass it several times: its disk usage stays
 * under the cap and a chunk, the header says how far back history goes, the view steps back
 * within the history and stops at its start, and follows the edge again. */
Test(live, a_capped_trace_keeps_its_newest_history_seekable, .timeout = 120)
{
    const uint64_t cap = 8u << 20, chunk = 64u << 10;
    struct session ss;
    open_running(&ss, "churn:1000000000", cap);
    struct stat st;
    uint64_t most = 0;
    double end = now_ms() + 90000;
    do {
        ui_app_tick(ss.app, now_ms());
        cr_assert_eq(stat(live_trace_path(ss.l), &st), 0);
        if ((uint64_t)st.st_blocks * 512 > most)
            most = (uint64_t)st.st_blocks * 512;
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    } while ((uint64_t)st.st_size < 5 * cap && now_ms() < end);
    cr_assert_geq((uint64_t)st.st_size, 5 * cap, "the workload wrote past the cap several times");
    cr_assert_leq(most, cap + chunk, "at most %lu bytes on disk", (unsigned long)most);
    cr_assert(tick_until(&ss, "history from event"));
    uint64_t kept_from = seeker_history_start(ss.s);
    cr_assert_gt(kept_from, 0);

    /* step back within the history: event by event */
    uint64_t edge = ui_app_position(ss.app);
    cr_assert_gt(edge, kept_from + 2);
    key(&ss, 'h');
    cr_assert_eq(ui_app_position(ss.app), edge - 1);
    key(&ss, 'h');
    cr_assert_eq(ui_app_position(ss.app), edge - 2);
    /* the first event kept is as far back as it goes */
    key(&ss, 'g');
    cr_assert_eq(ui_app_position(ss.app), seeker_history_start(ss.s), "%s", ui_app_message(ss.app));
    cr_assert(strstr(ui_app_message(ss.app), "was dropped") != NULL, "%s", ui_app_message(ss.app));
    key(&ss, 'G');
    double until = now_ms() + 10000;
    while (ui_app_position(ss.app) <= edge && now_ms() < until) {
        ui_app_tick(ss.app, now_ms());
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    cr_assert_gt(ui_app_position(ss.app), edge, "G follows the live edge again");
    close_session(&ss);
    char msg[512];
    live_end(ss.l, msg, sizeof msg);
    rmdir(ss.dir);
}
