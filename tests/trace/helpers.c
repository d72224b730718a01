#include "helpers.h"

#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

void evlist_random_new(struct evlist *l, uint64_t seed, size_t n)
{
    struct rng g = {seed};
    evlist_init(l);
    evlist_random(l, &g, n);
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
    h->arena_map_bits = 48;
    snprintf(h->gc_profile, sizeof h->gc_profile, "cpython-3.8");
    h->ngenerations = 3;
    static const uint32_t thr[] = {700, 10, 10};
    for (int g = 0; g < 3; g++) {
        snprintf(h->generation_names[g], sizeof h->generation_names[g], "gen%d", g);
        h->thresholds[g] = thr[g];
    }
    h->legacy_finalizers = false;
    h->gc_startup[2] = 4787; /* the interpreter's own objects: in the oldest and the permanent one */
    h->gc_startup[3] = 375;
    snprintf(h->command, sizeof h->command, "arenascope record -o t.trace churn");
    h->clock_realtime_ns = 1700000000123456789ull;
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

void file_put_prefix(struct codec_buf *f, uint32_t version)
{
    uint8_t p[12];
    memcpy(p, "\x89" "ASC\r\n\x1a\n", 8);
    codec_put_u32le(p + 8, version);
    codec_buf_put(f, p, sizeof p);
}

void file_put_record(struct codec_buf *f, const char *tag, const void *payload, size_t len)
{
    size_t start = f->len;
    uint8_t h[8];
    memcpy(h, tag, 4);
    codec_put_u32le(h + 4, (uint32_t)len);
    codec_buf_put(f, h, 8);
    codec_buf_put(f, payload, len);
    uint8_t c[4];
    codec_put_u32le(c, codec_crc32c(0, f->data + start, 8 + len));
    codec_buf_put(f, c, 4);
    cr_assert_not(f->failed);
}

void header_payload(struct codec_buf *b, const struct kind_spec *kinds, size_t n)
{
    codec_buf_put_varint(b, 4);
    codec_buf_put_text(b, "handmade", 8);
    struct codec_buf s;
    codec_buf_init(&s);
    codec_buf_put_varint(&s, n);
    for (size_t k = 0; k < n; k++) {
        codec_buf_put_text(&s, kinds[k].name, strlen(kinds[k].name));
        codec_buf_put_varint(&s, kinds[k].flags);
        codec_buf_put_varint(&s, kinds[k].tail);
        const char *f = kinds[k].fields;
        size_t nf = 0;
        for (const char *c = f; *c; c++)
            nf += *c == ':';
        codec_buf_put_varint(&s, nf);
        while (*f) {
            char type = f[0];
            const char *name = f + 2;
            size_t len = strcspn(name, " ");
            codec_buf_put_text(&s, name, len);
            codec_buf_put(&s, &type, 1);
            f = name + len;
            while (*f == ' ')
                f++;
        }
    }
    codec_buf_put_varint(b, 16);
    codec_buf_put_text(b, s.data, s.len);
    codec_buf_release(&s);
}

void chunk_payload_start(struct codec_buf *b, uint64_t first_seq, uint64_t count, uint64_t first_ns)
{
    codec_buf_put_varint(b, first_seq);
    codec_buf_put_varint(b, count);
    codec_buf_put_varint(b, first_ns);
}

size_t file_layout(const char *path, struct layout_rec *out, size_t max)
{
    size_t len;
    uint8_t *d = slurp(path, &len);
    size_t n = 0;
    out[n++] = (struct layout_rec){0, 12, 'P', 0, 0, 0};
    uint64_t pos = 12;
    size_t chunks = 0, blobs = 0;
    while (pos < len) {
        cr_assert_leq(pos + 12, len);
        uint64_t l = codec_get_u32le(d + pos + 4);
        struct layout_rec rec = {pos, pos + 12 + l, '?', 0, 0, 0};
        if (memcmp(d + pos, "HEAD", 4) == 0)
            rec.what = 'H';
        else if (memcmp(d + pos, "EVTS", 4) == 0) {
            rec.what = 'C';
            rec.no = chunks++;
            const uint8_t *p = d + pos + 8, *e = d + pos + 8 + l;
            cr_assert(codec_get_varint(&p, e, &rec.first_seq));
            cr_assert(codec_get_varint(&p, e, &rec.count));
        } else if (memcmp(d + pos, "bLOB", 4) == 0) {
            rec.what = 'B';
            rec.no = blobs++;
        } else if (memcmp(d + pos, "iNDX", 4) == 0)
            rec.what = 'I';
        else if (memcmp(d + pos, "tAIL", 4) == 0)
            rec.what = 'T';
        cr_assert_lt(n, max);
        out[n++] = rec;
        pos = rec.end;
    }
    cr_assert_eq(pos, len);
    free(d);
    return n;
}
