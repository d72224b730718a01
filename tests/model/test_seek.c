/*
 * test_seek.c - checkpoints and seeking on recorded traces: seeking to random events returns the
 * state that folding from the start gives; the post-pass stores checkpoints and the timeline
 * summary; a recording without an index (killed) is served by the seeker's own checkpoints;
 * a followed trace grows under the seeker; the semantic check finds the first bad event.
 */
#include "heapcmp.h"
#include "record.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <allocator/heap.h>

#include <criterion/criterion.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Folds a file from the start with a plain reader: the reference states. */
struct reference {
    struct trace_reader *r;
    struct model *m;
};

static void ref_open(struct reference *ref, const char *path)
{
    char err[256];
    cr_assert_eq(trace_reader_open(&ref->r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_new(&ref->m, trace_reader_header(ref->r)), 0);
}

static void ref_fold_to(struct reference *ref, uint64_t pos)
{
    struct event ev;
    while (model_position(ref->m) < pos) {
        cr_assert_eq(trace_reader_next(ref->r, &ev), 1);
        cr_assert_eq(model_fold(ref->m, &ev), 0, "%s", model_error(ref->m));
    }
}

static void ref_close(struct reference *ref)
{
    model_free(ref->m);
    trace_reader_free(ref->r);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Visits npoints random positions in ascending order for the reference, but reaches each one
 * from a random other position, so that the seeker goes forward, backward and far. */
static void check_random_seeks(struct seeker *s, const char *path, uint64_t seed, size_t npoints)
{
    uint64_t count = seeker_event_count(s);
    struct rng g = {seed};
    uint64_t *pts = malloc((npoints + 3) * sizeof *pts);
    for (size_t i = 0; i < npoints; i++)
        pts[i] = rng_below(&g, count + 1);
    pts[npoints] = 0;
    pts[npoints + 1] = count;
    pts[npoints + 2] = count > 0 ? count - 1 : 0;
    qsort(pts, npoints + 3, sizeof *pts, cmp_u64);
    struct reference ref;
    ref_open(&ref, path);
    char err[256];
    for (size_t i = 0; i < npoints + 3; i++) {
        cr_assert_eq(seeker_seek(s, rng_below(&g, count + 1)), 0, "%s", seeker_error(s));
        ref_fold_to(&ref, pts[i]);
        cr_assert_eq(seeker_seek(s, pts[i]), 0, "%s", seeker_error(s));
        cr_assert_eq(seeker_position(s), pts[i]);
        cr_assert(model_equals(seeker_model(s), ref.m, err, sizeof err), "at %lu: %s",
                  (unsigned long)pts[i], err);
        if (i % 5 == 0 && pts[i] > 0) { /* one step back, one forward */
            cr_assert_eq(seeker_step(s, -1), 0, "%s", seeker_error(s));
            cr_assert_eq(seeker_position(s), pts[i] - 1);
            cr_assert_eq(seeker_step(s, 1), 0, "%s", seeker_error(s));
            cr_assert(model_equals(seeker_model(s), ref.m, err, sizeof err), "%s", err);
        }
    }
    ref_close(&ref);
    free(pts);
}

#define CHURN "custom:align=16,threshold=128,pool=1K,arena=4K,keep-last=no"

static uint64_t record_with(const char *profile, const char *name, bool finish, uint64_t nops)
{
    struct rec_options o = {.profile = profile,
                            .mmap_source = true,
                            .seed = 7,
                            .nops = nops,
                            .live = 6000,
                            .finish = finish};
    return rec_random(scratch_path(name), &o);
}

static uint64_t record(const char *name, bool finish, uint64_t nops)
{
    return record_with("cpython-3.8", name, finish, nops);
}

Test(seek, post_pass_checkpoints_serve_random_seeks, .timeout = 120)
{
    const char *path = scratch_path("indexed.trace");
    uint64_t n = record("indexed.trace", true, 700000);
    cr_assert_gt(n, 3 * (1u << 18), "the workload made %lu events", (unsigned long)n);
    char err[512];
    cr_assert_eq(model_build_checkpoints(path, NULL, NULL, err, sizeof err), 0, "%s", err);

    /* every stored checkpoint loads and equals the fold at its position */
    struct trace_reader *r;
    uint64_t bad_seq;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_check_trace(r, &bad_seq, err, sizeof err), 0, "%s", err);
    trace_reader_free(r);

    struct seeker *s;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_event_count(s), n);
    cr_assert_geq(seeker_checkpoint_count(s), 3);
    cr_assert(seeker_is_indexed(s));
    const struct model_summary *sum = seeker_summary(s);
    cr_assert_eq(sum->events, n);
    cr_assert_gt(sum->nsamples, 100);
    cr_assert_gt(sum->nmarks, 2); /* arenas obtained at least */
    check_random_seeks(s, path, 1, 12);

    /* the summary from the index is the one the seeker builds by folding */
    seeker_free(s);
    model_build_checkpoints(path, NULL, NULL, err, sizeof err);
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    seeker_free(s);
}

Test(seek, killed_recording_gets_its_own_checkpoints, .timeout = 120)
{
    const char *path = scratch_path("killed.trace");
    uint64_t n = record("killed.trace", false, 500000);
    char err[512];
    struct seeker *s;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_event_count(s), n);
    cr_assert_eq(seeker_checkpoint_count(s), 0);
    cr_assert_not(seeker_is_indexed(s));
    cr_assert_eq(seeker_build_index(s, NULL, NULL), 0, "%s", seeker_error(s));
    cr_assert(seeker_is_indexed(s));
    cr_assert_geq(seeker_checkpoint_count(s), 2);
    cr_assert_eq(seeker_position(s), 0);
    check_random_seeks(s, path, 2, 10);

    /* the same events give the same summary, whether built by the seeker or the post-pass */
    const struct model_summary *a = seeker_summary(s);
    struct seeker *t;
    cr_assert_eq(model_build_checkpoints(path, NULL, NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_open(&t, path, 0, err, sizeof err), 0, "%s", err);
    const struct model_summary *b = seeker_summary(t);
    cr_assert_eq(a->events, b->events);
    cr_assert_eq(a->nmarks, b->nmarks);
    cr_assert_eq(a->nsamples, b->nsamples);
    cr_assert_eq(memcmp(a->marks, b->marks, a->nmarks * sizeof *a->marks), 0);
    for (size_t i = 0; i < a->nsamples; i++) {
        cr_assert_eq(a->samples[i].seq, b->samples[i].seq);
        cr_assert_eq(a->samples[i].span, b->samples[i].span, "sample %zu", i);
        cr_assert_eq(a->samples[i].bytes_max, b->samples[i].bytes_max);
        cr_assert_eq(a->samples[i].bytes_end, b->samples[i].bytes_end);
    }
    seeker_free(t);
    seeker_free(s);
}

/* Folds path from the start and saves the state every `every` events (at least one event in):
 * the blobs of a dense set of checkpoints, keyed by position.  Returns how many. */
static size_t dense_checkpoints(const char *path, uint64_t every, struct trace_blob **out)
{
    struct reference ref;
    ref_open(&ref, path);
    uint64_t n = trace_reader_event_count(ref.r);
    size_t k = 0;
    struct trace_blob *b = calloc(n / every + 1, sizeof *b);
    for (uint64_t pos = every; pos <= n; pos += every) {
        ref_fold_to(&ref, pos);
        void *buf;
        size_t len;
        cr_assert_eq(model_save(ref.m, &buf, &len), 0);
        b[k++] = (struct trace_blob){.key = pos, .data = buf, .len = len};
    }
    ref_close(&ref);
    *out = b;
    return k;
}

static void free_blobs(struct trace_blob *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((void *)b[i].data);
    free(b);
}

/* A trace with hundreds of checkpoints beside its timeline summary: the reader lists each at its
 * position, `check` compares every one with the fold and names the first that differs, and the
 * seeker lands on the states a fold from the start reaches. */
Test(seek, many_checkpoints_are_each_found_where_they_are, .timeout = 120)
{
    const char *path = scratch_path("dense.trace");
    uint64_t n = record("dense.trace", true, 60000);
    char err[512];
    cr_assert_eq(model_build_checkpoints(path, NULL, NULL, err, sizeof err), 0, "%s", err);
    struct trace_blob *cks;
    size_t nck = dense_checkpoints(path, 211, &cks);
    cr_assert_gt(nck, 300, "%lu events", (unsigned long)n);
    cr_assert_eq(trace_store_blobs(path, TRACE_BLOB_CHECKPOINT, cks, nck, err, sizeof err), 0, "%s", err);

    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(trace_reader_checkpoint_count(r), nck);
    for (size_t i = 0; i < nck; i++)
        cr_assert_eq(trace_reader_checkpoint_seq(r, i), cks[i].key, "checkpoint %zu", i);
    size_t first, nmarks = trace_reader_blob_range(r, TRACE_BLOB_MARKS, &first);
    cr_assert_eq(nmarks, 1);
    struct trace_blob_info bi;
    trace_reader_blob(r, first, &bi);
    cr_assert_str_eq(bi.type, TRACE_BLOB_MARKS);
    cr_assert_eq(trace_reader_blob_range(r, "ZZZZ", &first), 0);
    uint64_t bad_seq;
    cr_assert_eq(model_check_trace(r, &bad_seq, err, sizeof err), 0, "%s", err);
    trace_reader_free(r);

    struct seeker *s;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_checkpoint_count(s), nck);
    check_random_seeks(s, path, 3, 40);
    seeker_free(s);

    /* one checkpoint in the middle holds the state of the one before it */
    size_t j = nck / 2 + 7;
    const void *kept = cks[j].data;
    size_t kept_len = cks[j].len;
    cks[j].data = cks[j - 1].data;
    cks[j].len = cks[j - 1].len;
    cr_assert_eq(trace_store_blobs(path, TRACE_BLOB_CHECKPOINT, cks, nck, err, sizeof err), 0, "%s", err);
    cks[j].data = kept;
    cks[j].len = kept_len;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_check_trace(r, &bad_seq, err, sizeof err), MODEL_EINCONSISTENT);
    cr_assert_eq(bad_seq, cks[j].key, "%s", err);
    cr_assert(strstr(err, "does not match"), "%s", err);
    trace_reader_free(r);
    free_blobs(cks, nck);
}

/* Walking back event by event (the step-back snapshot) gives the states a direct seek gives. */
Test(seek, stepping_back_event_by_event, .timeout = 120)
{
    const char *path = scratch_path("steps.trace");
    struct rec_options o = {.profile = "cpython-3.8", .seed = 13, .nops = 400000, .live = 300,
                            .finish = true};
    uint64_t n = rec_random(path, &o); /* a small heap: each step back loads a small state */
    char err[512];
    cr_assert_eq(model_build_checkpoints(path, NULL, NULL, err, sizeof err), 0, "%s", err);
    struct seeker *s, *t;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_open(&t, path, 0, err, sizeof err), 0, "%s", err);
    uint64_t from = n - 1000; /* far from any checkpoint's start */
    cr_assert_eq(seeker_seek(s, from), 0, "%s", seeker_error(s));
    for (int k = 1; k <= 6000; k++) { /* past one snapshot (4096 events apart) to the next */
        cr_assert_eq(seeker_step(s, -1), 0, "%s", seeker_error(s));
        if (k % 997 == 0 || k < 4 || k == 4096 || k == 4097) {
            cr_assert_eq(seeker_seek(t, from - (uint64_t)k), 0, "%s", seeker_error(t));
            cr_assert(model_equals(seeker_model(s), seeker_model(t), err, sizeof err), "step %d: %s",
                      k, err);
        }
    }
    cr_assert_eq(seeker_position(s), from - 6000);
    seeker_free(t);
    seeker_free(s);
}

/* A timeline mark is where its event is. */
Test(seek, summary_marks_point_at_their_events)
{
    const char *path = scratch_path("marks.trace");
    record_with(CHURN, "marks.trace", true, 60000);
    char err[512];
    cr_assert_eq(model_build_checkpoints(path, NULL, NULL, err, sizeof err), 0, "%s", err);
    struct seeker *s;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    const struct model_summary *sum = seeker_summary(s);
    size_t arenas = 0;
    for (size_t i = 0; i < sum->nmarks; i++) {
        struct event ev;
        char buf[64];
        cr_assert_eq(seeker_events(s, sum->marks[i].seq, &ev, 1, buf, sizeof buf), 1);
        if (sum->marks[i].kind == MODEL_TL_ARENA_NEW) {
            cr_assert_eq(ev.kind, EV_ARENA_NEW);
            arenas++;
        } else if (sum->marks[i].kind == MODEL_TL_ARENA_FREE) {
            cr_assert_eq(ev.kind, EV_ARENA_FREE);
        }
    }
    cr_assert_gt(arenas, 0);
    uint64_t total = 0;
    for (size_t i = 0; i < sum->nsamples; i++)
        total += sum->samples[i].span;
    cr_assert_eq(total, sum->events);
    seeker_free(s);
}

static bool is_arena_free(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_ARENA_FREE;
}

Test(seek, scan_finds_events_both_ways)
{
    const char *path = scratch_path("scan.trace");
    uint64_t n = record_with(CHURN, "scan.trace", true, 80000);
    char err[512];
    struct seeker *s;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    uint64_t first, last, again;
    cr_assert_eq(seeker_scan(s, 0, true, is_arena_free, NULL, &first), 1);
    cr_assert_eq(seeker_scan(s, n, false, is_arena_free, NULL, &last), 1);
    cr_assert_leq(first, last);
    cr_assert_eq(seeker_scan(s, last, false, is_arena_free, NULL, &again), 1);
    cr_assert_lt(again, last);
    cr_assert_eq(seeker_scan(s, last + 1, true, is_arena_free, NULL, &again), 0);
    cr_assert_eq(seeker_scan(s, first, false, is_arena_free, NULL, &again), 0);
    struct event ev;
    cr_assert_eq(seeker_events(s, first, &ev, 1, NULL, 0), 1);
    cr_assert_eq(ev.kind, EV_ARENA_FREE);
    seeker_free(s);
}

/* ---- following a growing file ---------------------------------------------------------------- */

struct follow_ctx {
    struct seeker *s;
    const char *path;
    uint64_t polls, grown;
};

static void follow_after_op(void *vctx, uint64_t events)
{
    struct follow_ctx *f = vctx;
    (void)events;
    if (++f->polls % 5000 != 0)
        return;
    if (!f->s) {
        char err[512];
        cr_assert_eq(seeker_open(&f->s, f->path, SEEKER_FOLLOW, err, sizeof err), 0, "%s", err);
        return;
    }
    int n = seeker_poll(f->s);
    cr_assert_geq(n, 0, "%s", seeker_error(f->s));
    if (n > 0)
        f->grown++;
    /* stay on the live edge */
    cr_assert_eq(seeker_seek(f->s, seeker_event_count(f->s)), 0, "%s", seeker_error(f->s));
    cr_assert(model_is_valid(seeker_model(f->s), NULL, 0) ||
              seeker_position(f->s) == seeker_event_count(f->s));
}

Test(seek, follow_a_growing_trace, .timeout = 120)
{
    const char *path = scratch_path("live.trace");
    struct follow_ctx f = {.path = path};
    struct rec_options o = {.profile = "cpython-3.10",
                            .seed = 9,
                            .nops = 60000,
                            .live = 3000,
                            .finish = true,
                            .flush_every = 1000,
                            .after_op = follow_after_op,
                            .ctx = &f};
    uint64_t n = rec_random(path, &o);
    cr_assert_not_null(f.s);
    cr_assert_gt(f.grown, 3);
    while (!seeker_is_ended(f.s) || seeker_event_count(f.s) < n)
        cr_assert_geq(seeker_poll(f.s), 0, "%s", seeker_error(f.s));
    cr_assert_eq(seeker_event_count(f.s), n);
    cr_assert_eq(seeker_seek(f.s, n), 0, "%s", seeker_error(f.s));
    cr_assert(seeker_is_indexed(f.s));
    cr_assert_eq(seeker_summary(f.s)->events, n);
    check_random_seeks(f.s, path, 3, 6);
    seeker_free(f.s);
}

/* ---- bad input: the first inconsistent event ------------------------------------------------- */

Test(seek, inconsistent_trace_stops_at_its_first_bad_event)
{
    const char *good = scratch_path("good.trace"), *bad = scratch_path("bad.trace");
    uint64_t n = record("good.trace", true, 20000);
    char err[512];
    /* copy the events, replacing event k with a free of a block that was never allocated */
    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, good, 0, err, sizeof err), 0, "%s", err);
    struct trace_writer *w;
    cr_assert_eq(trace_writer_open(&w, bad, trace_reader_header(r), err, sizeof err), 0, "%s", err);
    const uint64_t k = n / 2;
    struct event ev;
    while (trace_reader_next(r, &ev) == 1) {
        if (ev.seq == k) {
            struct event f;
            memset(&f, 0, sizeof f);
            f.kind = EV_BLOCK_FREE;
            f.u.block_free.addr = 0x10; /* in no arena */
            trace_writer_emit(w, &f);
        } else {
            trace_writer_emit(w, &ev);
        }
    }
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);

    uint64_t bad_seq;
    cr_assert_eq(trace_reader_seek(r, 0), 0);
    cr_assert_eq(model_check_trace(r, &bad_seq, err, sizeof err), 0, "%s", err);
    trace_reader_free(r);

    cr_assert_eq(trace_reader_open(&r, bad, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(model_check_trace(r, &bad_seq, err, sizeof err), MODEL_EINCONSISTENT);
    cr_assert_eq(bad_seq, k, "%s", err);
    cr_assert(strstr(err, "block_free") && strstr(err, "not in a pool"), "%s", err);
    trace_reader_free(r);

    /* the post-pass stores what comes before and says why it stopped */
    cr_assert_eq(model_build_checkpoints(bad, NULL, NULL, err, sizeof err), MODEL_EINCONSISTENT);
    struct seeker *s;
    cr_assert_eq(seeker_open(&s, bad, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_seek(s, k), 0, "%s", seeker_error(s));
    cr_assert_eq(seeker_seek(s, k + 2), MODEL_EINCONSISTENT);
    cr_assert_eq(seeker_position(s), k);
    cr_assert(model_is_stopped(seeker_model(s)));
    cr_assert_eq(model_error_seq(seeker_model(s)), k);
    cr_assert_eq(seeker_seek(s, n), MODEL_EINCONSISTENT);
    cr_assert_eq(seeker_seek(s, 10), 0, "%s", seeker_error(s));
    cr_assert_not(model_is_stopped(seeker_model(s)));
    seeker_free(s);
}

/* A transition left out of a trace: the fold takes each event as it comes, and the validator
 * between events (model_check_settled) finds the pool left unfinished at the next event, which
 * `check` names with the transition that is missing. */
Test(seek, check_finds_a_transition_left_out, .timeout = 120)
{
    const char *good = scratch_path("transitions.trace");
    record("transitions.trace", true, 20000);
    static const struct {
        enum event_kind kind;
        const char *name;
    } drop[] = {{EV_POOL_FULL, "pool_full"}, {EV_POOL_UNFULL, "pool_unfull"}, {EV_POOL_EMPTY, "pool_empty"}};
    for (size_t d = 0; d < sizeof drop / sizeof drop[0]; d++) {
        char err[512], path[64];
        snprintf(path, sizeof path, "without-%s.trace", drop[d].name);
        const char *bad = scratch_path(path);
        struct trace_reader *r;
        cr_assert_eq(trace_reader_open(&r, good, 0, err, sizeof err), 0, "%s", err);
        struct trace_writer *w;
        cr_assert_eq(trace_writer_open(&w, bad, trace_reader_header(r), err, sizeof err), 0, "%s", err);
        struct event ev;
        uint64_t k = UINT64_MAX;
        while (trace_reader_next(r, &ev) == 1) {
            if (k == UINT64_MAX && ev.kind == drop[d].kind) {
                k = ev.seq; /* the event after it takes its number */
                continue;
            }
            trace_writer_emit(w, &ev);
        }
        cr_assert_neq(k, UINT64_MAX, "the workload has a %s", drop[d].name);
        cr_assert_eq(trace_writer_finish(w), 0);
        trace_writer_free(w);
        trace_reader_free(r);
        uint64_t bad_seq;
        cr_assert_eq(trace_reader_open(&r, bad, 0, err, sizeof err), 0, "%s", err);
        cr_assert_eq(model_check_trace(r, &bad_seq, err, sizeof err), MODEL_EINCONSISTENT, "%s", drop[d].name);
        cr_assert_eq(bad_seq, k, "%s", err);
        cr_assert(strstr(err, drop[d].name), "%s", err);
        trace_reader_free(r);
    }
}

/* ---- following a pipe ------------------------------------------------------------------------ */

struct tee {
    struct trace_writer *a, *b;
};

static void tee_emit(void *ctx, const struct event *ev)
{
    struct tee *t = ctx;
    trace_writer_emit(t->a, ev);
    trace_writer_emit(t->b, ev);
}

/* The child: a workload recorded to the pipe and, the same events, to a file. */
static void pipe_child(int fd, const char *copy)
{
    struct heap_profile p;
    char err[256];
    if (heap_profile_parse("cpython-3.10", &p, err, sizeof err) < 0)
        _exit(2);
    struct trace_header h = hc_header(&p, "mmap");
    struct tee t;
    if (trace_writer_open_fd(&t.a, fd, "pipe", &h, err, sizeof err) < 0 ||
        trace_writer_open(&t.b, copy, &h, err, sizeof err) < 0)
        _exit(3);
    struct event_sink sink = {tee_emit, &t};
    struct heap_arena_source src = heap_arena_source_mmap();
    struct heap *heap;
    if (heap_new(&heap, &p, &src, &sink) < 0)
        _exit(4);
    struct rng g = {17};
    void *live[2000] = {0};
    for (int i = 0; i < 300000; i++) {
        size_t k = rng_below(&g, 2000);
        heap_free(heap, live[k]);
        live[k] = heap_malloc(heap, 1 + rng_below(&g, 700));
        if (i % 20000 == 0)
            trace_writer_flush(t.a);
    }
    if (trace_writer_finish(t.a) < 0 || trace_writer_finish(t.b) < 0)
        _exit(5);
    _exit(0);
}

Test(seek, follow_a_pipe, .timeout = 120)
{
    const char *copy = scratch_path("pipe-copy.trace");
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        pipe_child(fds[1], copy);
    }
    close(fds[1]);
    struct seeker *s;
    char err[512];
    cr_assert_eq(seeker_open_fd(&s, fds[0], "pipe", SEEKER_FOLLOW, err, sizeof err), 0, "%s", err);
    int polls = 0;
    while (!seeker_is_ended(s)) {
        struct pollfd pf = {.fd = trace_reader_wait_fd(seeker_reader(s)), .events = POLLIN};
        if (pf.fd >= 0)
            poll(&pf, 1, 100);
        cr_assert_geq(seeker_poll(s), 0, "%s", seeker_error(s));
        cr_assert_eq(seeker_seek(s, seeker_event_count(s)), 0, "%s", seeker_error(s));
        polls++;
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the child failed: %d", st);
    cr_assert_gt(polls, 2);
    /* the pipe's events are the file's: seeking back in the spooled stream gives its states */
    struct seeker *f;
    cr_assert_eq(seeker_open(&f, copy, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_event_count(s), seeker_event_count(f));
    cr_assert(seeker_is_indexed(s));
    struct rng g = {5};
    for (int i = 0; i < 10; i++) {
        uint64_t to = rng_below(&g, seeker_event_count(f) + 1);
        cr_assert_eq(seeker_seek(s, to), 0, "%s", seeker_error(s));
        cr_assert_eq(seeker_seek(f, to), 0, "%s", seeker_error(f));
        cr_assert(model_equals(seeker_model(s), seeker_model(f), err, sizeof err), "at %lu: %s",
                  (unsigned long)to, err);
    }
    seeker_free(f);
    seeker_free(s);
    close(fds[0]);
}
