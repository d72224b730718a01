/*
 * test_fuzz.c - bad input never crashes the model: event streams recorded from the real
 * allocator and runtime, then mutated (a field changed, events swapped, dropped, repeated, a kind
 * changed), and streams of random events, are folded until the model stops; most mutations are
 * caught, by the fold or by the validator between events; whatever the model stopped at, its
 * state is whole (it saves, loads back equal, and answers every query), and folding the
 * stream in batches gives the same.  Checkpoint blobs
 * with flipped bytes and cuts are refused or load into a whole state.  Run under ASan and UBSan
 * by CI, this is the fuzzing of the fold.
 */
#include "heapcmp.h"
#include "record.h"

#include <allocator/gc.h>
#include <allocator/heap.h>
#include <allocator/runtime.h>
#include <tracer/model.h>

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* ARENASCOPE_FUZZ=N runs N times the rounds (and N seeds) for a longer search. */
static int fuzz_scale(void)
{
    const char *e = getenv("ARENASCOPE_FUZZ");
    int n = e ? atoi(e) : 1;
    return n < 1 ? 1 : n;
}

struct stream {
    struct event *ev;
    size_t n, cap;
    char **text; /* each event's own copy of its text */
};

static void stream_push(void *ctx, const struct event *ev)
{
    struct stream *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 1024;
        s->ev = realloc(s->ev, s->cap * sizeof *s->ev);
        s->text = realloc(s->text, s->cap * sizeof *s->text);
    }
    s->ev[s->n] = *ev;
    s->text[s->n] = NULL;
    if (ev->str) {
        s->text[s->n] = malloc(ev->str_len + 1);
        memcpy(s->text[s->n], ev->str, ev->str_len);
        s->ev[s->n].str = s->text[s->n];
    }
    s->n++;
}

static void stream_release(struct stream *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->text[i]);
    free(s->text);
    free(s->ev);
}

static struct trace_header header(void)
{
    struct heap_profile p;
    char err[128];
    cr_assert_eq(heap_profile_parse("custom:align=16,threshold=128,pool=1K,arena=4K", &p, err,
                                    sizeof err), 0, "%s", err);
    return hc_header(&p, "aligned");
}

/* A few thousand events of objects, collections and arena churn on a tiny geometry. */
static void record_stream(struct stream *s, uint64_t seed)
{
    struct heap_profile p;
    char err[128];
    cr_assert_eq(heap_profile_parse("custom:align=16,threshold=128,pool=1K,arena=4K", &p, err,
                                    sizeof err), 0);
    struct event_sink sink = {stream_push, s};
    struct heap_arena_source src = heap_arena_source_aligned();
    struct heap *h;
    struct runtime *rt;
    cr_assert_eq(heap_new(&h, &p, &src, &sink), 0);
    cr_assert_eq(rt_new(&rt, h, NULL, &sink), 0);
    const struct rt_type *Node = rt_class_new(rt, &(struct rt_class_spec){.name = "Node"});
    struct rng g = {seed};
    struct rt_object *roots[16] = {0};
    void *blocks[16] = {0};
    for (int step = 0; step < 600; step++) {
        int i = (int)rng_below(&g, 16);
        struct rt_object *o = NULL;
        switch (rng_below(&g, 8)) {
        case 0: o = rt_list(rt, 0, NULL); break;
        case 1: o = rt_instance(rt, Node); break;
        case 2: o = rt_int(rt, (int64_t)rng_below(&g, 3000)); break;
        case 3:
            if (roots[i] && roots[(i + 1) % 16] && rt_is_a(roots[i], "list"))
                rt_list_append(rt, roots[i], roots[(i + 1) % 16]);
            else if (roots[i] && roots[(i + 3) % 16] && rt_type_of(roots[i]) == Node)
                rt_setattr(rt, roots[i], "a", roots[(i + 3) % 16]);
            break;
        case 4:
            heap_free(h, blocks[i]);
            blocks[i] = rng_below(&g, 4) ? heap_malloc(h, 1 + rng_below(&g, 200)) : NULL;
            break;
        case 5:
            if (rng_below(&g, 10) == 0)
                gc_collect(rt, 2);
            break;
        case 6:
            if (roots[i])
                rt_bind(rt, "x", roots[i]);
            break;
        default: break;
        }
        if (o) {
            rt_xdecref(rt, roots[i], EV_REF_TEMP, NULL);
            roots[i] = o;
        }
    }
    for (int i = 0; i < 16; i++) {
        rt_xdecref(rt, roots[i], EV_REF_TEMP, NULL);
        heap_free(h, blocks[i]);
    }
    rt_delete(rt);
    heap_set_sink(h, NULL);
    heap_delete(h);
}

/* Every query on the model, on addresses it knows and nearby ones: nothing may crash. */
static void query_everything(const struct model *m, struct rng *g)
{
    struct model_geometry geo;
    model_geometry(m, &geo);
    uint64_t buf[512];
    uint32_t slots[64];
    struct model_pool_cell cells[64];
    uint8_t states[2048];
    model_usable_arenas(m, slots, 64);
    for (uint32_t s = 0; s < model_arena_slots(m); s++) {
        struct model_arena a;
        if (!model_arena_at(m, s, &a))
            continue;
        model_arena_cells(m, s, cells, 64);
        model_arena_cache(m, s, buf, 512);
        for (uint32_t i = 0; i < a.npools; i++) {
            struct model_pool p;
            model_pool_at(m, s, i, &p);
            model_pool_blocks(m, p.addr, states, sizeof states);
            model_pool_free_list(m, p.addr, buf, 512);
            struct model_block b;
            model_block_find(m, p.addr + rng_below(g, geo.pool_size), &b);
        }
    }
    for (uint32_t c = 0; c < geo.nclasses; c++) {
        struct model_class k;
        struct model_next nx;
        model_class_at(m, c, &k);
        model_class_ring(m, c, buf, 512);
        model_next_block(m, c, &nx);
    }
    size_t cur = 0;
    struct model_object o;
    struct model_ref refs[64];
    struct model_name names[16];
    while (model_object_next(m, &cur, &o)) {
        model_object_referents(m, o.addr, refs, 64);
        model_object_referrers(m, o.addr, refs, 64);
        model_object_names(m, o.addr, names, 16);
        struct model_stack st;
        model_stack(m, o.stack, &st);
        struct model_block b;
        model_block_find(m, o.addr, &b);
    }
    model_objects_sorted(m, buf, 512);
    cur = 0;
    struct model_raw r;
    while (model_raw_next(m, &cur, &r))
        ;
    struct model_gc gc;
    model_gc(m, &gc);
    for (uint32_t k = 0; k < MODEL_MAX_GENERATIONS; k++)
        model_gc_generation(m, k, buf, 512);
    struct model_collection hist[8];
    struct model_mark marks[8];
    model_gc_history(m, hist, 8);
    model_gc_marks(m, marks, 8);
    for (uint32_t d = 0; d < model_frame_count(m); d++) {
        struct model_frame f;
        model_frame_at(m, d, &f);
        model_frame_names(m, d, names, 16);
    }
    struct heap_stats hs;
    model_get_stats(m, &hs);
    struct model_totals t;
    model_totals(m, &t);
    struct model_step step;
    model_step_current(m, &step);
    struct model_print pr[4];
    model_prints(m, pr, 4);
    struct model_released rel[4];
    model_released(m, rel, 4);
}

/* Whatever the model stopped at, its state is whole: it saves and loads back equal. */
static void check_whole(const struct model *m, const struct trace_header *h, struct rng *g)
{
    void *blob;
    size_t len;
    cr_assert_eq(model_save(m, &blob, &len), 0);
    struct model *back;
    cr_assert_eq(model_new(&back, h), 0);
    int rc = model_load(back, blob, len);
    cr_assert_eq(rc, 0, "the state at event %lu does not load back (%s): %s",
                 (unsigned long)model_position(m), model_strerror(rc), model_error(m));
    char err[256];
    cr_assert(model_equals(m, back, err, sizeof err), "%s", err);
    query_everything(back, g);
    model_free(back);
    free(blob);
}

/* model_fold_batch() in batches of random sizes folds what model_fold() one by one folds: the
 * same events, the same stop with the same reason, the same state. */
static void check_batches(const struct model *one, const struct stream *s, struct model *b,
                          struct rng *g)
{
    model_reset(b);
    size_t done = 0;
    while (done < s->n) {
        size_t k = 1 + rng_below(g, rng_below(g, 2) ? 8 : MODEL_BATCH);
        if (k > s->n - done)
            k = s->n - done;
        size_t got = model_fold_batch(b, &s->ev[done], k);
        cr_assert_leq(got, k);
        done += got;
        if (got < k)
            break;
    }
    cr_assert_eq(done, model_position(b), "batches said %zu events were folded, not %lu", done,
                 (unsigned long)model_position(b));
    cr_assert_eq(model_position(b), model_position(one), "batches folded %lu events, one by one %lu",
                 (unsigned long)model_position(b), (unsigned long)model_position(one));
    cr_assert_eq(model_is_stopped(b), model_is_stopped(one));
    cr_assert_str_eq(model_error(b), model_error(one));
    char err[256];
    cr_assert(model_equals(b, one, err, sizeof err), "%s", err);
    if (model_is_stopped(b))
        cr_assert_eq(model_fold_batch(b, s->ev, s->n), 0);
}

static void mutate(struct stream *s, struct rng *g, const struct stream *orig)
{
    size_t n = s->n;
    size_t i = rng_below(g, n), j = rng_below(g, n);
    switch (rng_below(g, 7)) {
    case 0: { /* one field: off by a little, or any value */
        size_t nf = event_kind_field_count(s->ev[i].kind);
        if (nf) {
            size_t f = rng_below(g, nf);
            uint64_t d = rng_below(g, 4) ? (uint64_t)(int64_t)((int)rng_below(g, 65) - 32) : rng_next(g);
            s->ev[i].u.f[f] += d;
        }
        break;
    }
    case 1: { /* two events swapped */
        struct event t = s->ev[i];
        s->ev[i] = s->ev[j];
        s->ev[j] = t;
        break;
    }
    case 2: /* an event dropped */
        memmove(&s->ev[i], &s->ev[i + 1], (n - i - 1) * sizeof *s->ev);
        s->n--;
        break;
    case 3: /* an event repeated */
        s->ev[i] = orig->ev[j];
        break;
    case 4: /* another kind, same fields */
        s->ev[i].kind = (enum event_kind)rng_below(g, EV_KIND_COUNT);
        break;
    case 5: /* a field taken from another event (a plausible address) */
        s->ev[i].u.f[rng_below(g, EVENT_MAX_FIELDS)] = orig->ev[j].u.f[rng_below(g, 3)];
        break;
    default: /* a kind outside the table */
        s->ev[i].kind = (enum event_kind)(EV_KIND_COUNT + rng_below(g, 5));
        break;
    }
}

Test(fuzz, mutated_streams, .timeout = 240)
{
    struct trace_header h = header();
    struct stream orig = {0};
    record_stream(&orig, 5);
    cr_assert_gt(orig.n, 2000);
    const int rounds = 300 * fuzz_scale();
    struct model *m, *batched;
    cr_assert_eq(model_new(&m, &h), 0);
    cr_assert_eq(model_new(&batched, &h), 0);
    struct model_settle settle = {0};
    char why[256];
    for (size_t i = 0; i < orig.n; i++) {
        cr_assert(model_check_settled(m, &settle, &orig.ev[i], why, sizeof why),
                  "the recorded stream, event %zu: %s", i, why);
        cr_assert_eq(model_fold(m, &orig.ev[i]), 0, "the recorded stream: %s", model_error(m));
    }
    cr_assert(model_check_settled(m, &settle, NULL, why, sizeof why), "the recorded stream: %s", why);
    struct rng g = {77};
    check_batches(m, &orig, batched, &g);
    struct stream s = {.ev = malloc(orig.n * sizeof *orig.ev), .cap = orig.n};
    size_t stopped = 0;
    for (int round = 0; round < rounds; round++) {
        memcpy(s.ev, orig.ev, orig.n * sizeof *orig.ev);
        s.n = orig.n;
        int nmut = 1 + (int)rng_below(&g, 3);
        for (int k = 0; k < nmut; k++)
            mutate(&s, &g, &orig);
        /* the fold stops at an event the state contradicts; the validator between events
         * (model_check_settled, as `arenascope check` runs it) catches an operation left
         * unfinished */
        model_reset(m);
        int rc = 0;
        bool unsettled = false;
        settle = (struct model_settle){0};
        for (size_t i = 0; i < s.n && rc == 0; i++) {
            if (!unsettled && !model_check_settled(m, &settle, &s.ev[i], why, sizeof why))
                unsettled = true;
            rc = model_fold(m, &s.ev[i]);
        }
        if (!rc && !unsettled && !model_check_settled(m, &settle, NULL, why, sizeof why))
            unsettled = true;
        cr_assert(rc == 0 || rc == MODEL_EINCONSISTENT, "rc %d", rc);
        if (rc) {
            cr_assert(model_is_stopped(m));
            cr_assert(strncmp(model_error(m), "event ", 6) == 0, "%s", model_error(m));
            cr_assert_eq(model_fold(m, &s.ev[0]), MODEL_ESTOPPED);
        }
        if (rc || unsettled)
            stopped++;
        check_batches(m, &s, batched, &g);
        if (round % 4 == 0)
            check_whole(m, &h, &g);
        else
            query_everything(m, &g);
    }
    cr_assert_gt(stopped, (size_t)rounds / 2, "the mutations were caught %zu times in %d", stopped,
                 rounds);
    model_free(batched);
    model_free(m);
    free(s.ev);
    stream_release(&orig);
}

Test(fuzz, random_events, .timeout = 120)
{
    struct trace_header h = header();
    struct stream orig = {0};
    record_stream(&orig, 6);
    struct model *m;
    cr_assert_eq(model_new(&m, &h), 0);
    struct rng g = {99};
    char text[64];
    for (int round = 0; round < 400 * fuzz_scale(); round++) {
        model_reset(m);
        /* a valid prefix, then random events whose fields come from the stream or anywhere */
        size_t prefix = rng_below(&g, orig.n);
        for (size_t i = 0; i < prefix; i++)
            cr_assert_eq(model_fold(m, &orig.ev[i]), 0);
        int rc = 0;
        for (int k = 0; k < 200 && rc == 0; k++) {
            struct event ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = (enum event_kind)rng_below(&g, EV_KIND_COUNT);
            for (int f = 0; f < EVENT_MAX_FIELDS; f++)
                ev.u.f[f] = rng_below(&g, 3) ? orig.ev[rng_below(&g, orig.n)].u.f[rng_below(&g, 3)]
                                             : rng_below(&g, 4);
            if (event_kind_text_name(ev.kind)) {
                size_t len = rng_below(&g, sizeof text);
                for (size_t c = 0; c < len; c++)
                    text[c] = (char)rng_below(&g, 256);
                ev.str = text;
                ev.str_len = (uint32_t)len;
            }
            rc = model_fold(m, &ev);
            cr_assert(rc == 0 || rc == MODEL_EINCONSISTENT);
        }
        if (round % 5 == 0)
            check_whole(m, &h, &g);
        else
            query_everything(m, &g);
    }
    model_free(m);
    stream_release(&orig);
}

Test(fuzz, damaged_checkpoints, .timeout = 120)
{
    struct trace_header h = header();
    struct stream orig = {0};
    record_stream(&orig, 7);
    struct model *m, *back;
    cr_assert_eq(model_new(&m, &h), 0);
    cr_assert_eq(model_new(&back, &h), 0);
    struct rng g = {123};
    size_t loaded = 0;
    for (size_t cut = orig.n / 7; cut < orig.n; cut += orig.n / 7) {
        model_reset(m);
        for (size_t i = 0; i < cut; i++)
            cr_assert_eq(model_fold(m, &orig.ev[i]), 0);
        void *blob;
        size_t len;
        cr_assert_eq(model_save(m, &blob, &len), 0);
        uint8_t *d = malloc(len);
        for (int round = 0; round < 300 * fuzz_scale(); round++) {
            memcpy(d, blob, len);
            size_t n = len;
            if (round % 3 == 0)
                n = rng_below(&g, len); /* cut short */
            else
                for (int k = 0; k < 1 + (int)rng_below(&g, 3); k++)
                    d[rng_below(&g, len)] ^= (uint8_t)(1 + rng_below(&g, 255));
            int rc = model_load(back, d, n);
            cr_assert(rc == 0 || rc == MODEL_EFORMAT, "rc %d", rc);
            if (rc == MODEL_EFORMAT) {
                cr_assert_eq(model_position(back), 0); /* reset to the empty heap */
                continue;
            }
            loaded++;
            query_everything(back, &g);
            /* folding on must not crash either */
            for (size_t i = cut; i < orig.n && model_fold(back, &orig.ev[i]) == 0; i++)
                ;
        }
        free(d);
        free(blob);
    }
    model_free(m);
    model_free(back);
    stream_release(&orig);
    (void)loaded;
}
