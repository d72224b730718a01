/*
 * bench_ui.c - how fast the viewer paints, and whether live mode keeps up.
 *
 * 1. Painting: a heap of 1000 arenas (64 pools each, every pool state present) is recorded with
 *    the recorder, opened with the seeker, and a frame of every view is painted into a canvas
 *    over and over: the figure is milliseconds per frame (target: under 5 ms), at 200x60 and for
 *    the whole arrangement at 120x40.  "step+paint" adds moving one event between frames.
 * 2. Live: a child process records a malloc/free workload paced at 5 million events a second;
 *    the viewer follows its growing trace as live mode does (seeker_poll, ui_app_tick, a paint
 *    every 33 ms).  The figures: events the viewer folded per second, the most it fell behind,
 *    frames painted, and its peak resident memory against the size of the trace: the viewer
 *    drops frames, never events, and its memory is the model's, not the trace's.
 *
 * Figures are printed; nothing is asserted about time (docs/style.md).
 */
#include "recorder.h"

#include "rng.h"

#include <allocator/heap.h>
#include <tracer/model.h>
#include <ui/ui.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARENAS 1000
#define PROFILE "custom:align=16,threshold=256,pool=1K,arena=64K" /* 64 pools an arena */
#define LIVE_RATE 5000000.0                                         /* events a second */
#define LIVE_SECONDS 3.0

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static struct rng rng = {88172645463325252ull};

/* Peak and current resident memory of this process, in KiB. */
static void rss(long *now, long *peak)
{
    *now = *peak = 0;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            *now = atol(line + 6);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            *peak = atol(line + 6);
    }
    fclose(f);
}

static struct recorder *open_recorder(const char *path)
{
    struct recorder_options o = {.profile = PROFILE, .arena_source = "aligned", .command = "bench_ui", .path = path};
    struct recorder *r;
    char err[512];
    if (recorder_open(&r, &o, false, err, sizeof err) < 0) {
        fprintf(stderr, "bench_ui: %s\n", err);
        exit(1);
    }
    return r;
}

/* A heap of ARENAS arenas with pools in every state: filled with requests of random sizes, then
 * a random 40% freed. */
static void record_big_heap(const char *path)
{
    struct recorder *r = open_recorder(path);
    struct heap *h = recorder_heap(r);
    size_t cap = 1 << 20, n = 0;
    void **blocks = malloc(cap * sizeof *blocks);
    struct heap_stats *st = malloc(sizeof *st);
    /* fill, free a random 40% and some whole runs (so that pools and arenas empty), refill */
    for (int phase = 0; phase < 2; phase++) {
        for (;;) {
            if (n == cap) {
                cap *= 2;
                blocks = realloc(blocks, cap * sizeof *blocks);
            }
            blocks[n++] = heap_malloc(h, 1 + rng_next(&rng) % 256);
            if (n % 1024 == 0) {
                heap_get_stats(h, st);
                if (st->arenas_current >= ARENAS)
                    break;
            }
        }
        if (phase == 0)
            for (size_t i = 0; i < n; i++)
                if (blocks[i] && (rng_next(&rng) % 100 < 40 || (i / 2000) % 7 == 3)) {
                    heap_free(h, blocks[i]);
                    blocks[i] = NULL;
                }
    }
    free(st);
    free(blocks);
    char err[512];
    if (recorder_finish(r, err, sizeof err) < 0) {
        fprintf(stderr, "bench_ui: %s\n", err);
        exit(1);
    }
    recorder_free(r);
}

static void bench_paint(const char *path)
{
    char err[512];
    struct seeker *s;
    double t0 = now_ms();
    if (seeker_open(&s, path, 0, err, sizeof err) < 0) {
        fprintf(stderr, "bench_ui: %s\n", err);
        exit(1);
    }
    struct ui_config cfg = {.title = "bench"};
    cfg.look.color = true;
    struct ui_app *app;
    ui_app_new(&app, s, &cfg);
    uint64_t count = seeker_event_count(s);
    ui_app_seek(app, count);
    double t1 = now_ms();
    printf("ui paint: %" PRIu64 " events, %u arenas, opened and folded in %.0f ms\n", count,
           model_arena_count(seeker_model(s)), t1 - t0);

    static const char *const views[] = {"all", "arenas", "pool", "classes", "objects", "gc", "timeline"};
    struct canvas c;
    canvas_init(&c, 200, 60, false);
    double worst = 0;
    for (size_t v = 0; v < sizeof views / sizeof views[0]; v++) {
        int frames = 200;
        ui_app_render(app, count, views[v], &c); /* warm */
        double start = now_ms(), slowest = 0;
        for (int i = 0; i < frames; i++) {
            double f0 = now_ms();
            ui_app_paint(app, &c);
            double f = now_ms() - f0;
            if (f > slowest)
                slowest = f;
        }
        double per = (now_ms() - start) / frames;
        if (per > worst)
            worst = per;
        printf("ui paint: %-9s 200x60  %.3f ms a frame (slowest %.3f)\n", views[v], per, slowest);
    }
    /* the whole arrangement at a common size, moving one event between frames */
    canvas_resize(&c, 120, 40);
    ui_app_render(app, count / 2, "all", &c);
    double start = now_ms();
    int frames = 200;
    for (int i = 0; i < frames; i++) {
        ui_app_seek(app, count / 2 + (uint64_t)i);
        ui_app_paint(app, &c);
    }
    printf("ui paint: all       120x40  %.3f ms a frame with a step between frames\n", (now_ms() - start) / frames);
    printf("ui paint: slowest view %.3f ms a frame (target < 5 ms)\n", worst);
    canvas_release(&c);
    ui_app_free(app);
    seeker_free(s);
}

/* ---- live --------------------------------------------------------------------------------- */

/* The producer: malloc/free of random sizes over a working set, paced at LIVE_RATE events a
 * second for LIVE_SECONDS, recorded to path.  Never returns. */
static void produce(const char *path)
{
    struct recorder *r = open_recorder(path);
    struct heap *h = recorder_heap(r);
    enum { WORKING_SET = 50000 };
    void **slots = calloc(WORKING_SET, sizeof *slots);
    double start = now_ms();
    for (;;) {
        double elapsed = now_ms() - start;
        if (elapsed >= LIVE_SECONDS * 1000)
            break;
        /* stay on schedule: no more events than the rate allows so far */
        uint64_t due = (uint64_t)(elapsed / 1000.0 * LIVE_RATE);
        if (recorder_event_count(r) >= due) {
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
            continue;
        }
        for (int k = 0; k < 1000; k++) {
            size_t i = rng_next(&rng) % WORKING_SET;
            if (slots[i])
                heap_free(h, slots[i]);
            slots[i] = heap_malloc(h, 1 + rng_next(&rng) % 256);
        }
    }
    char err[512];
    int rc = recorder_finish(r, err, sizeof err);
    recorder_free(r);
    _exit(rc < 0 ? 1 : 0);
}

struct producer {
    pid_t pid;
    bool ended;
};

static void prod_step(void *ctx)
{
    (void)ctx;
}

static void prod_run(void *ctx, bool run, double pace)
{
    (void)ctx;
    (void)run;
    (void)pace;
}

static enum ui_live_state prod_state(void *ctx, char *msg, size_t len)
{
    struct producer *p = ctx;
    int status;
    if (!p->ended && waitpid(p->pid, &status, WNOHANG) == p->pid)
        p->ended = true;
    snprintf(msg, len, "%s", p->ended ? "finished" : "running");
    return p->ended ? UI_LIVE_FINISHED : UI_LIVE_RUNNING;
}

static void bench_live(const char *path)
{
    struct producer prod = {0, false};
    fflush(NULL);
    prod.pid = fork();
    if (prod.pid == 0)
        produce(path);
    struct stat st;
    while (stat(path, &st) != 0 || st.st_size == 0) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    char err[512];
    struct seeker *s;
    if (seeker_open(&s, path, SEEKER_FOLLOW, err, sizeof err) < 0) {
        fprintf(stderr, "bench_ui: %s\n", err);
        kill(prod.pid, SIGTERM);
        exit(1);
    }
    struct ui_live ops = {&prod, prod_step, prod_run, prod_state, NULL};
    struct ui_config cfg = {.title = "live bench", .live = &ops};
    cfg.look.color = true;
    struct ui_app *app;
    ui_app_new(&app, s, &cfg);
    struct canvas c;
    canvas_init(&c, 160, 48, false);
    /* the peak resident memory from here on (the painting benchmark came before) */
    FILE *cr = fopen("/proc/self/clear_refs", "w");
    if (cr) {
        fputs("5", cr);
        fclose(cr);
    }
    long rss0, peak0;
    rss(&rss0, &peak0);
    double start = now_ms(), last_paint = -1e9, slowest_tick = 0;
    uint64_t frames = 0, max_behind = 0, ticks = 0;
    for (;;) {
        uint64_t before = ui_app_position(app);
        double t0 = now_ms();
        ui_app_tick(app, t0);
        double dt = now_ms() - t0;
        if (dt > slowest_tick)
            slowest_tick = dt;
        ticks++;
        /* how far behind the newest event the viewer is after the tick */
        uint64_t known = seeker_event_count(s), pos = ui_app_position(app);
        if (known - pos > max_behind)
            max_behind = known - pos;
        if (pos < before || pos > known) {
            fprintf(stderr, "bench_ui: the viewer went from %" PRIu64 " to %" PRIu64 " of %" PRIu64 "\n", before, pos,
                    known);
            exit(1);
        }
        if (now_ms() - last_paint >= 1000.0 / 30) {
            ui_app_paint(app, &c);
            frames++;
            last_paint = now_ms();
        }
        if (prod.ended && seeker_is_ended(s) && pos == seeker_event_count(s))
            break;
        if (pos == known) { /* caught up: wait a little for more, as the loop does */
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    double secs = (now_ms() - start) / 1000.0;
    uint64_t events = seeker_event_count(s);
    long rss1, peak1;
    rss(&rss1, &peak1);
    stat(path, &st);
    printf("ui live: the workload wrote %" PRIu64 " events in %.1f s (%.2f million a second, target 5)\n", events,
           LIVE_SECONDS, (double)events / LIVE_SECONDS / 1e6);
    printf("ui live: the viewer folded every one of them, %.2f million a second over %.1f s; a tick took at most "
           "%.1f ms; at most %" PRIu64 " events behind after a tick\n",
           (double)events / secs / 1e6, secs, slowest_tick, max_behind);
    printf("ui live: %" PRIu64 " frames painted (%.0f a second, the rest dropped), %" PRIu64 " ticks\n", frames,
           (double)frames / secs, ticks);
    printf("ui live: viewer resident memory %ld KiB at the start, %ld KiB at the end, peak %ld KiB, for a trace of "
           "%.1f MiB\n", rss0, rss1, peak1, (double)st.st_size / (1024.0 * 1024.0));
    canvas_release(&c);
    ui_app_free(app);
    seeker_free(s);
}

int main(void)
{
    char dir[] = "/tmp/arenascope-bench-ui-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_ui: mkdtemp");
        return 1;
    }
    char big[128], live[128];
    snprintf(big, sizeof big, "%s/big.trace", dir);
    snprintf(live, sizeof live, "%s/live.trace", dir);
    record_big_heap(big);
    bench_paint(big);
    bench_live(live);
    unlink(big);
    unlink(live);
    rmdir(dir);
    return 0;
}
