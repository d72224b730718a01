#include "helpers.h"

#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void rng_seed(struct rng *g, uint64_t seed)
{
    g->s = seed * 0x9E3779B97F4A7C15u + 0x2545F4914F6CDD1Du;
    if (!g->s)
        g->s = 1;
}

uint64_t rng_next(struct rng *g)
{
    g->s ^= g->s >> 12;
    g->s ^= g->s << 25;
    g->s ^= g->s >> 27;
    return g->s * 0x2545F4914F6CDD1Du;
}

uint64_t rng_below(struct rng *g, uint64_t n)
{
    return n ? rng_next(g) % n : 0;
}

void evlist_init(struct evlist *l)
{
    memset(l, 0, sizeof *l);
}

void evlist_release(struct evlist *l)
{
    free(l->ev);
    free(l->text);
    evlist_init(l);
}

void evlist_push(struct evlist *l, const struct event *ev)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 1024;
        l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
        cr_assert(l->ev);
    }
    if (l->text_cap - l->text_len < ev->str_len) {
        while (l->text_cap - l->text_len < ev->str_len)
            l->text_cap = l->text_cap ? l->text_cap * 2 : 65536;
        l->text = realloc(l->text, l->text_cap);
        cr_assert(l->text);
    }
    struct event e = *ev;
    if (ev->str_len)
        memcpy(l->text + l->text_len, ev->str, ev->str_len);
    /* str holds the offset into the text store until evlist_at */
    e.str = (const char *)(uintptr_t)l->text_len;
    l->text_len += ev->str_len;
    l->ev[l->n++] = e;
}

const struct event *evlist_at(const struct evlist *l, size_t i, struct event *tmp)
{
    *tmp = l->ev[i];
    tmp->str = tmp->str_len ? l->text + (uintptr_t)l->ev[i].str : NULL;
    return tmp;
}

static uint64_t random_word(struct rng *g)
{
    switch (rng_below(g, 10)) {
    case 0:
    case 1:
    case 2: return 0;
    case 3: return rng_below(g, 128);
    case 4: return rng_below(g, 1u << 20);
    case 5: {
        static const uint64_t extremes[] = {1, 127, 128, UINT64_MAX, UINT64_MAX - 1, 1ull << 63,
                                            (1ull << 63) - 1, 1ull << 62, 1ull << 32, 0xffffffffu};
        return extremes[rng_below(g, sizeof extremes / sizeof extremes[0])];
    }
    default: return rng_next(g) >> rng_below(g, 64);
    }
}

static uint64_t recent[64];
static unsigned nrecent;

static uint64_t random_address(struct rng *g, bool nullable)
{
    uint64_t x;
    switch (rng_below(g, 10)) {
    case 0:
        x = nullable ? 0 : 0x7f0000000000ull;
        break;
    case 1:
    case 2:
    case 3:
    case 4:
        /* a repeat of a recent address */
        x = nrecent ? recent[rng_below(g, nrecent < 64 ? nrecent : 64)] : 0x7f1234560000ull;
        break;
    case 5:
    case 6:
        /* near a recent one, pool-block aligned */
        x = (nrecent ? recent[rng_below(g, nrecent < 64 ? nrecent : 64)] : 0x7f0000000000ull) +
            (rng_below(g, 4096) - 2048) * 16;
        break;
    case 7:
        x = random_word(g);
        break;
    default: {
        static const uint64_t extremes[] = {UINT64_MAX, 1, 0x10, 1ull << 63, (1ull << 63) + 8,
                                            0xfffffffffffffff0ull, 0x8000000000000001ull};
        x = extremes[rng_below(g, sizeof extremes / sizeof extremes[0])];
        break;
    }
    }
    if (x)
        recent[nrecent++ % 64] = x;
    return x;
}

void random_event(struct rng *g, struct event *ev, char *textbuf, size_t textcap)
{
    memset(ev, 0, sizeof *ev);
    ev->kind = (enum event_kind)rng_below(g, EV_KIND_COUNT);
    size_t nw = event_kind_field_count(ev->kind);
    for (size_t i = 0; i < nw; i++) {
        char t = event_kind_field_type(ev->kind, i);
        if (t == 'a' || t == 'p')
            ev->u.f[i] = random_address(g, t == 'p');
        else
            ev->u.f[i] = random_word(g);
    }
    if (event_kind_text_name(ev->kind)) {
        size_t len = rng_below(g, 3) == 0 ? 0 : rng_below(g, rng_below(g, 8) == 0 ? 2000 : 40);
        if (len > textcap)
            len = textcap;
        for (size_t i = 0; i < len; i++)
            textbuf[i] = (char)rng_next(g);
        ev->str = len ? textbuf : NULL;
        ev->str_len = (uint32_t)len;
    }
}

void evlist_random(struct evlist *l, struct rng *g, size_t n)
{
    char text[2048];
    for (size_t i = 0; i < n; i++) {
        struct event ev;
        random_event(g, &ev, text, sizeof text);
        evlist_push(l, &ev);
    }
}

bool event_equal(const struct event *a, const struct event *b, char *why, size_t whylen)
{
    if (a->kind != b->kind) {
        snprintf(why, whylen, "kind %s != %s", event_kind_name(a->kind), event_kind_name(b->kind));
        return false;
    }
    for (size_t i = 0; i < EVENT_MAX_FIELDS; i++)
        if (a->u.f[i] != b->u.f[i]) {
            snprintf(why, whylen, "%s field %zu: %#llx != %#llx", event_kind_name(a->kind), i,
                     (unsigned long long)a->u.f[i], (unsigned long long)b->u.f[i]);
            return false;
        }
    if (a->str_len != b->str_len || (a->str_len && memcmp(a->str, b->str, a->str_len) != 0)) {
        snprintf(why, whylen, "%s text differs (%u vs %u bytes)", event_kind_name(a->kind),
                 a->str_len, b->str_len);
        return false;
    }
    return true;
}

void test_header(struct trace_header *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->writer, sizeof h->writer, "arenascope test");
    snprintf(h->profile, sizeof h->profile, "cpython-3.10");
    snprintf(h->arena_source, sizeof h->arena_source, "aligned");
    h->alignment = 16;
    h->threshold = 512;
    h->pool_size = 16384;
    h->arena_size = 1u << 20;
    h->pool_overhead = 48;
    h->pointer_size = 8;
    h->keep_last_free_arena = true;
    snprintf(h->gc_profile, sizeof h->gc_profile, "cpython-3.8");
    h->ngenerations = 3;
    static const uint32_t thr[] = {700, 10, 10};
    for (int g = 0; g < 3; g++) {
        snprintf(h->generation_names[g], sizeof h->generation_names[g], "gen%d", g);
        h->thresholds[g] = thr[g];
    }
    h->legacy_finalizers = false;
    snprintf(h->command, sizeof h->command, "arenascope record -o t.trace churn");
    h->clock_realtime_ns = 1700000000123456789ull;
}

static char scratch[256];

static void scratch_remove(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", scratch);
}

const char *scratch_dir(void)
{
    if (!scratch[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/arenascope-test-XXXXXX", t && *t ? t : "/tmp");
        cr_assert(mkdtemp(scratch), "mkdtemp");
        atexit(scratch_remove);
    }
    return scratch;
}

const char *scratch_path(const char *name)
{
    static char bufs[8][512];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, 512, "%s/%s", scratch_dir(), name);
    return b;
}

void write_trace(const char *path, const struct evlist *l, size_t flush_every, bool finish)
{
    struct trace_header h;
    test_header(&h);
    struct trace_writer *w;
    char err[256];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    for (size_t i = 0; i < l->n; i++) {
        struct event tmp;
        trace_writer_emit(w, evlist_at(l, i, &tmp));
        if (flush_every && (i + 1) % flush_every == 0)
            cr_assert_eq(trace_writer_flush(w), 0);
    }
    if (finish)
        cr_assert_eq(trace_writer_finish(w), 0, "%s", trace_writer_error(w));
    else
        cr_assert_eq(trace_writer_flush(w), 0);
    cr_assert_eq(trace_writer_event_count(w), l->n);
    trace_writer_free(w);
}

uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc((size_t)n + 1);
    cr_assert(d);
    cr_assert_eq(fread(d, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return d;
}

void spit(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f, "create %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
}
