/*
 * test_window.c - a trace with a window (a live trace's cap, tracer/format/FORMAT.md 8.1): its
 * disk usage stays under the window, a reader opens it whole or killed (the hole skipped) and
 * reads the events kept as a whole recording of the same run has them, the seeker reaches every
 * position of the history kept through the checkpoints written into the stream and gives there
 * the states that folding the whole recording gives, and a seeker following the growing trace
 * keeps its memory to the window.
 */
#include "heapcmp.h"
#include "record.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define WINDOW (512u << 10)
#define CHUNK (64u << 10) /* a writer's chunk (FORMAT.md 6) */

static uint64_t record_windowed(const char *name, const char *copy, bool finish, uint64_t nops,
                                void (*after_op)(void *, uint64_t), void *ctx)
{
    struct rec_options o = {.profile = "cpython-3.10",
                            .seed = 11,
                            .nops = nops,
                            .live = 4000,
                            .finish = finish,
                            .flush_every = 500,
                            .window = WINDOW,
                            .checkpoints = true,
                            .copy = copy ? scratch_path(copy) : NULL,
                            .after_op = after_op,
                            .ctx = ctx};
    return rec_random(scratch_path(name), &o);
}

/* Bytes the file takes on disk, and its length. */
static void disk_usage(const char *path, uint64_t *disk, uint64_t *len)
{
    struct stat st;
    cr_assert_eq(stat(path, &st), 0);
    *disk = (uint64_t)st.st_blocks * 512;
    *len = (uint64_t)st.st_size;
}

/* The events [from, to) of both files are the same events. */
static void check_same_events(const char *path, const char *ref_path, uint64_t from, uint64_t to)
{
    char err[512];
    struct trace_reader *a, *b;
    cr_assert_eq(trace_reader_open(&a, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_open(&b, ref_path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_seek(a, from), 0, "%s", trace_reader_error(a));
    cr_assert_eq(trace_reader_seek(b, from), 0, "%s", trace_reader_error(b));
    for (uint64_t k = from; k < to; k++) {
        struct event x, y;
        cr_assert_eq(trace_reader_next(a, &x), 1, "%s", trace_reader_error(a));
        cr_assert_eq(trace_reader_next(b, &y), 1, "%s", trace_reader_error(b));
        cr_assert_eq(x.seq, k);
        cr_assert_eq(x.kind, y.kind, "event %lu", (unsigned long)k);
        cr_assert_eq(memcmp(x.u.f, y.u.f, sizeof x.u.f), 0, "event %lu", (unsigned long)k);
    }
    trace_reader_free(a);
    trace_reader_free(b);
}

/* Opens a windowed file without following: what was dropped, and the events kept. */
static uint64_t check_opened(const char *path, const char *ref_path, uint64_t n, bool complete)
{
    char err[512];
    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_is_complete(r), complete);
    cr_assert_eq(trace_reader_header(r)->window, WINDOW);
    cr_assert_eq(trace_reader_event_count(r), n);
    uint64_t first = trace_reader_first_event(r);
    cr_assert_gt(first, 0, "nothing was dropped");
    cr_assert_lt(first, n);
    cr_assert_null(trace_reader_damage(r), "%s", trace_reader_damage(r));
    /* what was dropped is out of range, not damage */
    cr_assert_eq(trace_reader_seek(r, first - 1), TRACE_ERANGE);
    cr_assert_eq(trace_reader_seek(r, first), 0, "%s", trace_reader_error(r));
    trace_reader_free(r);
    check_same_events(path, ref_path, first, n);
    return first;
}

Test(window, the_disk_holds_the_window_and_the_newest_events_read_back, .timeout = 120)
{
    const char *path = scratch_path("win.trace"), *ref = scratch_path("whole.trace");
    uint64_t n = record_windowed("win.trace", "whole.trace", true, 1200000, NULL, NULL);
    uint64_t disk, len, ref_disk, ref_len;
    disk_usage(path, &disk, &len);
    disk_usage(ref, &ref_disk, &ref_len);
    cr_assert_gt(ref_len, 5 * WINDOW, "the run is too short to exceed the window several times (%lu bytes)",
                 (unsigned long)ref_len);
    cr_assert_leq(disk, WINDOW + CHUNK, "%lu bytes on disk", (unsigned long)disk);
    cr_assert_geq(len, ref_len, "offsets stay where they were: the file keeps its length");
    check_opened(path, ref, n, true);
}

Test(window, a_killed_windowed_recording_opens_past_its_hole, .timeout = 120)
{
    const char *path = scratch_path("killed-win.trace"), *ref = scratch_path("killed-whole.trace");
    uint64_t n = record_windowed("killed-win.trace", "killed-whole.trace", false, 400000, NULL, NULL);
    check_opened(path, ref, n, false);
}

/* The seeker reaches the history kept through the stream's checkpoints and gives there the
 * states that folding the whole recording from its start gives. */
Test(window, the_history_kept_is_seekable, .timeout = 180)
{
    const char *path = scratch_path("seek-win.trace"), *ref = scratch_path("seek-whole.trace");
    uint64_t n = record_windowed("seek-win.trace", "seek-whole.trace", true, 500000, NULL, NULL);
    char err[512];
    struct seeker *s;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    uint64_t start = seeker_history_start(s);
    cr_assert_gt(start, 0);
    cr_assert_lt(start, n);
    cr_assert_geq(start, trace_reader_first_event(seeker_reader(s)));
    cr_assert_eq(seeker_seek(s, start - 1), MODEL_ERANGE);

    struct trace_reader *r;
    struct model *m;
    cr_assert_eq(trace_reader_open(&r, ref, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_new(&m, trace_reader_header(r)), 0);
    uint64_t pts[] = {start, start + 1, start + (n - start) / 3, start + (n - start) / 2, n - 1, n};
    for (size_t i = 0; i < sizeof pts / sizeof pts[0]; i++) {
        struct event ev;
        while (model_position(m) < pts[i]) {
            cr_assert_eq(trace_reader_next(r, &ev), 1);
            cr_assert_eq(model_fold(m, &ev), 0, "%s", model_error(m));
        }
        cr_assert_eq(seeker_seek(s, n), 0, "%s", seeker_error(s)); /* from elsewhere */
        cr_assert_eq(seeker_seek(s, pts[i]), 0, "%s", seeker_error(s));
        cr_assert(model_equals(seeker_model(s), m, err, sizeof err), "at %lu: %s", (unsigned long)pts[i], err);
    }
    /* stepping back from the end, event by event */
    cr_assert_eq(seeker_seek(s, n), 0, "%s", seeker_error(s));
    for (int k = 1; k <= 5; k++) {
        cr_assert_eq(seeker_step(s, -1), 0, "%s", seeker_error(s));
        cr_assert_eq(seeker_position(s), n - (uint64_t)k);
    }
    model_free(m);
    trace_reader_free(r);
    seeker_free(s);
}

/* A seeker following the trace as it grows stays at its edge, forgets what was dropped, and
 * holds no more chunks and checkpoints than the window has. */
struct follow {
    struct seeker *s;
    const char *path;
    uint64_t ops;
    size_t max_chunks, max_cks;
    uint64_t windows_seen;
};

static void follow_op(void *ctx, uint64_t events)
{
    struct follow *f = ctx;
    (void)events;
    if (++f->ops % 2000 != 0)
        return;
    char err[512];
    if (!f->s) {
        cr_assert_eq(seeker_open(&f->s, f->path, SEEKER_FOLLOW, err, sizeof err), 0, "%s", err);
        return;
    }
    cr_assert_geq(seeker_poll(f->s), 0, "%s", seeker_error(f->s));
    cr_assert_eq(seeker_seek(f->s, seeker_event_count(f->s)), 0, "%s", seeker_error(f->s));
    size_t nc = trace_reader_chunk_count(seeker_reader(f->s)), nk = seeker_checkpoint_count(f->s);
    if (nc > f->max_chunks)
        f->max_chunks = nc;
    if (nk > f->max_cks)
        f->max_cks = nk;
    if (seeker_history_start(f->s) > 0)
        f->windows_seen++;
}

Test(window, a_follower_keeps_to_the_window, .timeout = 180)
{
    struct follow f = {.path = scratch_path("follow-win.trace")};
    uint64_t n = record_windowed("follow-win.trace", NULL, true, 600000, follow_op, &f);
    cr_assert_not_null(f.s);
    while (!seeker_is_ended(f.s))
        cr_assert_geq(seeker_poll(f.s), 0, "%s", seeker_error(f.s));
    cr_assert_eq(seeker_event_count(f.s), n);
    cr_assert_gt(f.windows_seen, 10);
    /* chunks end every 500 operations here, so a chunk holds at least a few hundred bytes; the
     * window holds a checkpoint every eighth of it, and the follower's own between them */
    struct trace_reader *r = seeker_reader(f.s);
    size_t kept = trace_reader_chunk_count(r);
    cr_assert_leq(f.max_chunks, kept + kept / 4 + 16, "%zu chunks held, %zu in the window", f.max_chunks, kept);
    cr_assert_leq(f.max_cks, 64, "%zu checkpoints held", f.max_cks);
    uint64_t start = seeker_history_start(f.s);
    cr_assert_gt(start, 0);
    cr_assert_eq(seeker_seek(f.s, start), 0, "%s", seeker_error(f.s));
    cr_assert_eq(seeker_seek(f.s, n), 0, "%s", seeker_error(f.s));
    cr_assert_eq(seeker_step(f.s, -1), 0, "%s", seeker_error(f.s));
    seeker_free(f.s);
}

/* A follower that looks away for longer than the window meets the hole where it was reading:
 * the chunks it knew are gone, not damaged, and it follows on from the first one kept. */
struct away {
    struct seeker *s;
    const char *path;
    uint64_t ops;
};

static void away_op(void *ctx, uint64_t events)
{
    struct away *a = ctx;
    (void)events;
    if (++a->ops != 20000)
        return;
    char err[512];
    cr_assert_eq(seeker_open(&a->s, a->path, SEEKER_FOLLOW, err, sizeof err), 0, "%s", err);
    cr_assert_geq(seeker_poll(a->s), 0, "%s", seeker_error(a->s));
    cr_assert_eq(seeker_seek(a->s, seeker_event_count(a->s)), 0, "%s", seeker_error(a->s));
}

Test(window, a_follower_a_window_behind_follows_on_past_the_hole, .timeout = 180)
{
    struct away a = {.path = scratch_path("away-win.trace")};
    const char *ref = scratch_path("away-whole.trace");
    uint64_t n = record_windowed("away-win.trace", "away-whole.trace", true, 800000, away_op, &a);
    cr_assert_not_null(a.s);
    uint64_t before = trace_reader_first_event(seeker_reader(a.s));
    while (!seeker_is_ended(a.s))
        cr_assert_geq(seeker_poll(a.s), 0, "%s", seeker_error(a.s));
    struct trace_reader *r = seeker_reader(a.s);
    cr_assert_null(trace_reader_damage(r), "%s", trace_reader_damage(r));
    cr_assert_eq(seeker_event_count(a.s), n);
    cr_assert_gt(trace_reader_first_event(r), before, "the window moved on while it looked away");
    /* the model it held is a window behind: the end is reached through a checkpoint kept */
    cr_assert_eq(seeker_seek(a.s, n), 0, "%s", seeker_error(a.s));
    char err[512];
    struct trace_reader *whole;
    struct model *m;
    cr_assert_eq(trace_reader_open(&whole, ref, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_new(&m, trace_reader_header(whole)), 0);
    struct event ev;
    while (trace_reader_next(whole, &ev) == 1)
        cr_assert_eq(model_fold(m, &ev), 0, "%s", model_error(m));
    cr_assert(model_equals(seeker_model(a.s), m, err, sizeof err), "%s", err);
    model_free(m);
    trace_reader_free(whole);
    seeker_free(a.s);
}
