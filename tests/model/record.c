/*
 * record.c - see record.h.
 */
#include "record.h"
#include "scratch.h"
#include "heapcmp.h"

#include <allocator/heap.h>
#include <tracer/model.h>
#include <tracer/trace.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>


static uint64_t fixed_clock(void *ctx)
{
    (void)ctx;
    return 1000;
}

/* The recording's sink: the writer (or the tee in front of it), and the reference copy. */
struct rec_sinks {
    struct event_sink main;
    struct trace_writer *copy;
};

static void rec_emit(void *ctx, const struct event *ev)
{
    struct rec_sinks *rs = ctx;
    rs->main.emit(rs->main.ctx, ev);
    if (rs->copy)
        trace_writer_emit(rs->copy, ev);
}

uint64_t rec_random(const char *path, const struct rec_options *o)
{
    struct heap_profile p;
    char err[256];
    cr_assert_eq(heap_profile_parse(o->profile, &p, err, sizeof err), 0, "%s", err);
    struct trace_header hdr = hc_header(&p, o->mmap_source ? "mmap" : "aligned");
    struct trace_writer *w, *copy = NULL;
    if (o->copy) {
        cr_assert_eq(trace_writer_open(&copy, o->copy, &hdr, err, sizeof err), 0, "%s", err);
        trace_writer_set_clock(copy, fixed_clock, NULL);
    }
    hdr.window = o->window;
    cr_assert_eq(trace_writer_open(&w, path, &hdr, err, sizeof err), 0, "%s", err);
    trace_writer_set_clock(w, fixed_clock, NULL);
    struct ckpt_tee *tee = NULL;
    struct rec_sinks rs = {trace_writer_sink(w), copy};
    if (o->checkpoints) {
        trace_writer_set_thread(w, TRACE_WRITER_THREAD_NEVER);
        cr_assert_eq(ckpt_tee_new(&tee, w, &hdr), 0);
        rs.main = ckpt_tee_sink(tee);
    }
    struct event_sink sink = {rec_emit, &rs};
    struct heap_arena_source src = o->mmap_source ? heap_arena_source_mmap() : heap_arena_source_aligned();
    struct heap *h;
    cr_assert_eq(heap_new(&h, &p, &src, &sink), 0);
    struct rng r = {o->seed};
    size_t cap = o->live + 1, n = 0;
    void **live = calloc(cap, sizeof *live);
    bool growing = true;
    for (uint64_t op = 0; op < o->nops; op++) {
        if (n >= o->live)
            growing = false;
        else if (n <= o->live / 8)
            growing = true;
        bool alloc = n == 0 || (n < o->live && rng_below(&r, 100) < (growing ? 70u : 30u));
        if (alloc) {
            uint64_t k = rng_below(&r, 100);
            size_t size = k < 3 ? p.threshold + 1 + rng_below(&r, 2000)
                                : k < 60 ? 16 + 8 * rng_below(&r, 6) : 1 + rng_below(&r, p.threshold);
            live[n] = k == 99 && n ? heap_realloc(h, live[n - 1], size) : heap_malloc(h, size);
            if (k == 99 && n)
                live[n - 1] = live[n];
            else
                n++;
        } else {
            size_t i = rng_below(&r, n);
            heap_free(h, live[i]);
            live[i] = live[--n];
        }
        if (o->flush_every && (op + 1) % o->flush_every == 0)
            cr_assert_eq(trace_writer_flush(w), 0);
        if (o->after_op)
            o->after_op(o->ctx, trace_writer_event_count(w));
    }
    struct event_sink off = {0};
    heap_set_sink(h, &off);
    while (n)
        heap_free(h, live[--n]);
    heap_delete(h);
    free(live);
    uint64_t events = trace_writer_event_count(w);
    if (o->finish)
        cr_assert_eq(trace_writer_finish(w), 0, "%s", trace_writer_error(w));
    else
        cr_assert_eq(trace_writer_flush(w), 0);
    trace_writer_free(w);
    ckpt_tee_free(tee);
    if (copy) {
        cr_assert_eq(trace_writer_finish(copy), 0, "%s", trace_writer_error(copy));
        trace_writer_free(copy);
    }
    return events;
}

void folding_sink(void *ctx, const struct event *ev)
{
    struct folding *f = ctx;
    f->recent[f->events % FOLDING_RECENT] = *ev;
    f->events++;
    if (f->rc == 0)
        f->rc = model_fold(f->m, ev);
    if (f->rc_copy == 0)
        f->rc_copy = model_fold(f->copy, ev);
    if (f->checkpoint_every && f->events % f->checkpoint_every == 0 && f->rc == 0 &&
        f->rc_copy == 0) {
        void *blob;
        size_t len;
        f->rc_copy = model_save(f->m, &blob, &len);
        if (f->rc_copy == 0) {
            f->rc_copy = model_load(f->copy, blob, len);
            free(blob);
        }
    }
}

void folding_show_recent(const struct folding *f)
{
    uint64_t from = f->events > FOLDING_RECENT ? f->events - FOLDING_RECENT : 0;
    for (uint64_t k = from; k < f->events; k++) {
        const struct event *ev = &f->recent[k % FOLDING_RECENT];
        fprintf(stderr, "  %lu %s", (unsigned long)k, event_kind_name(ev->kind));
        for (size_t i = 0; i < event_kind_field_count(ev->kind); i++)
            fprintf(stderr, " %s=0x%lx", event_kind_field_name(ev->kind, i), (unsigned long)ev->u.f[i]);
        fputc('\n', stderr);
    }
}
