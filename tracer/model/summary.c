/*
 * summary.c - the timeline summary: where the collections, arenas obtained and released and
 * step markers are, and memory in use over time, for the scrub bar.
 *
 * It is built while events are folded for the first time (the post-pass after a recording, or
 * the seeker on a live or recovered file), one note per event, and stored as the trace's MARK
 * blob.  Memory in use is kept as at most MODEL_TL_SAMPLES samples of equal span: when the
 * samples run out, neighbours merge pairwise and the span doubles, so the summary of any trace
 * stays a few hundred kilobytes, and the same events always give the same summary.
 *
 * Memory in use is the program's: from version 2 the blocks arenascope's capture made in a real
 * program (model_tool_usage) are left out; a version 1 summary (which counted them) keeps being
 * read and extended as it was written, so that `check` rebuilds exactly what is stored.
 *
 * Blob layout (versions 1 and 2): magic "ASMS", version, events, span, max_bytes, max_arenas;
 * marks as (seq delta, kind, arg); step labels as text; samples as (bytes_min, bytes_max,
 * bytes_end, arenas_max, arenas_end, objects_end); the magic again.
 */
#include "fold.h"
#include "graph.h"
#include "heap.h"
#include "strtab.h"
#include "summary.h"

#include <tracer/codec.h>

#include <stdlib.h>
#include <string.h>

#define SUM_MAGIC 0x534d5341u /* "ASMS" */
#define SUM_VERSION 2
#define SUM_VERSION_WITH_TOOL 1 /* memory in use counted arenascope's own blocks */
#define SUM_FIRST_SPAN 1 /* one event a sample while the trace is short: small demos get a fine curve */

/* A sample as the summary holds it (its position and span follow from its index). */
static const struct codec_field sample_fields[] = {
    CODEC_FIELD(struct model_tl_sample, bytes_min),  CODEC_FIELD(struct model_tl_sample, bytes_max),
    CODEC_FIELD(struct model_tl_sample, bytes_end),  CODEC_FIELD(struct model_tl_sample, arenas_max),
    CODEC_FIELD(struct model_tl_sample, arenas_end), CODEC_FIELD(struct model_tl_sample, objects_end),
};

void summary_init(struct summary *b)
{
    memset(b, 0, sizeof *b);
    b->span = SUM_FIRST_SPAN;
    b->version = SUM_VERSION;
}

void summary_init_like(struct summary *b, const void *buf, size_t len)
{
    struct codec_reader r = codec_reader_of(buf, len);
    summary_init(b);
    if (codec_read_varint(&r) == SUM_MAGIC) {
        uint64_t v = codec_read_varint(&r);
        if (!r.bad && v >= SUM_VERSION_WITH_TOOL && v <= SUM_VERSION)
            b->version = (uint32_t)v;
    }
}

void summary_release(struct summary *b)
{
    for (size_t i = 0; i < b->nlabels; i++)
        free(b->labels[i]);
    free(b->labels);
    free(b->marks);
    free(b->samples);
    summary_init(b);
}

static bool add_mark(struct summary *b, uint64_t seq, uint32_t kind, uint32_t arg)
{
    if (!codec_array_reserve((void **)&b->marks, &b->marks_cap, b->nmarks + 1, sizeof *b->marks))
        return false;
    b->marks[b->nmarks++] = (struct model_tl_mark){.seq = seq, .kind = kind, .arg = arg};
    return true;
}

static bool add_label(struct summary *b, const char *s, size_t len)
{
    char *t = text_dup(s, len);
    if (!t || !codec_array_reserve((void **)&b->labels, &b->labels_cap, b->nlabels + 1,
                                   sizeof *b->labels)) {
        free(t);
        return false;
    }
    b->labels[b->nlabels++] = t;
    return true;
}

/* Halves the number of samples: each pair becomes one of twice the span. */
static void merge_samples(struct summary *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->nsamples; i += 2) {
        struct model_tl_sample s = b->samples[i];
        if (i + 1 < b->nsamples) {
            const struct model_tl_sample *t = &b->samples[i + 1];
            s.bytes_min = t->bytes_min < s.bytes_min ? t->bytes_min : s.bytes_min;
            s.bytes_max = t->bytes_max > s.bytes_max ? t->bytes_max : s.bytes_max;
            s.bytes_end = t->bytes_end;
            s.arenas_max = t->arenas_max > s.arenas_max ? t->arenas_max : s.arenas_max;
            s.arenas_end = t->arenas_end;
            s.objects_end = t->objects_end;
            s.span += t->span;
        }
        b->samples[n++] = s;
    }
    b->nsamples = n;
    b->span *= 2;
}

/* The sample seq falls in, merging samples when it lies past the last one's room. */
static size_t note_sample_index(struct summary *b, uint64_t seq)
{
    while (seq / b->span >= MODEL_TL_SAMPLES)
        merge_samples(b);
    return (size_t)(seq / b->span);
}

/* The mark of an event that makes one. */
static bool note_mark(struct summary *b, const struct event *ev, uint64_t seq)
{
    if (ev->kind == EV_GC_START)
        return add_mark(b, seq, MODEL_TL_GC, (uint32_t)ev->u.gc_start.gen);
    if (ev->kind == EV_ARENA_NEW)
        return add_mark(b, seq, MODEL_TL_ARENA_NEW, (uint32_t)ev->u.arena_new.slot);
    if (ev->kind == EV_ARENA_FREE)
        return add_mark(b, seq, MODEL_TL_ARENA_FREE, (uint32_t)ev->u.arena_free.slot);
    if (ev->kind == EV_STEP)
        return add_mark(b, seq, MODEL_TL_STEP, (uint32_t)b->nlabels) &&
               add_label(b, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    return true;
}

/* The bytes the timeline shows: the heap's, but the capture's own in the newer layout. */
static inline uint64_t noted_bytes(const struct summary *b, const struct mheap *h)
{
    uint64_t bytes = h->block_bytes + h->raw_bytes;
    if (b->version > SUM_VERSION_WITH_TOOL)
        bytes -= h->tool.block_bytes + h->tool.raw_bytes;
    return bytes;
}

/* The figures after event seq noted in sample i, the last. */
static inline void note_in(struct summary *b, size_t i, uint64_t seq, uint64_t bytes, uint32_t arenas,
                           uint64_t objects)
{
    struct model_tl_sample *s = &b->samples[i];
    s->span = seq + 1 - s->seq;
    if (bytes < s->bytes_min)
        s->bytes_min = bytes;
    if (bytes > s->bytes_max)
        s->bytes_max = bytes;
    s->bytes_end = bytes;
    if (arenas > s->arenas_max)
        s->arenas_max = arenas;
    s->arenas_end = arenas;
    s->objects_end = objects;
    if (bytes > b->max_bytes)
        b->max_bytes = bytes;
    if (arenas > b->max_arenas)
        b->max_arenas = arenas;
    b->events = seq + 1;
}

/* summary_note() for an event that makes a mark or does not fall in the last sample. */
static __attribute__((noinline)) bool note_slow(struct summary *b, const struct event *ev, uint64_t seq,
                                                const struct model *m)
{
    bool ok = note_mark(b, ev, seq);
    if (!b->samples && !(b->samples = malloc(MODEL_TL_SAMPLES * sizeof *b->samples)))
        return false;
    const struct mheap *h = model_parts(m)->heap;
    uint64_t bytes = noted_bytes(b, h);
    uint32_t arenas = h->narenas;
    size_t i = note_sample_index(b, seq);
    while (b->nsamples < i) {
        /* events not noted (a live view that jumped ahead, a window's dropped start): flat at the
         * last values, or at these */
        struct model_tl_sample l = {.bytes_end = bytes, .arenas_end = arenas,
                                    .objects_end = model_parts(m)->graph->nobjs};
        if (b->nsamples)
            l = b->samples[b->nsamples - 1];
        b->samples[b->nsamples] = (struct model_tl_sample){
            .seq = (uint64_t)b->nsamples * b->span, .span = b->span, .bytes_min = l.bytes_end,
            .bytes_max = l.bytes_end, .bytes_end = l.bytes_end, .arenas_max = l.arenas_end,
            .arenas_end = l.arenas_end, .objects_end = l.objects_end};
        b->nsamples++;
    }
    if (i >= b->nsamples) {
        b->samples[i] = (struct model_tl_sample){.seq = (uint64_t)i * b->span,
                                                 .bytes_min = bytes,
                                                 .bytes_max = bytes,
                                                 .arenas_max = arenas};
        b->nsamples = i + 1;
    }
    note_in(b, i, seq, bytes, arenas, model_parts(m)->graph->nobjs);
    return ok;
}

bool summary_note(struct summary *b, const struct event *ev, uint64_t seq, const struct model *m)
{
    /* Nearly every event makes no mark and falls in the last sample: noted without a division
     * or a call. */
    uint64_t last = (uint64_t)(b->nsamples - 1) * b->span;
    if (__builtin_expect(ev->kind == EV_GC_START || ev->kind == EV_ARENA_NEW || ev->kind == EV_ARENA_FREE ||
                             ev->kind == EV_STEP || !b->nsamples || seq < last || seq - last >= b->span,
                         0))
        return note_slow(b, ev, seq, m);
    const struct mheap *h = model_parts(m)->heap;
    note_in(b, b->nsamples - 1, seq, noted_bytes(b, h), h->narenas, model_parts(m)->graph->nobjs);
    return true;
}

void summary_forget_before(struct summary *b, uint64_t seq)
{
    size_t k = 0;
    while (k < b->nmarks && b->marks[k].seq < seq)
        k++;
    if (k == 0)
        return;
    memmove(b->marks, b->marks + k, (b->nmarks - k) * sizeof *b->marks);
    b->nmarks -= k;
}

const struct model_summary *summary_view(struct summary *b)
{
    b->view = (struct model_summary){
        .events = b->events,
        .nmarks = b->nmarks,
        .marks = b->marks,
        .nsamples = b->nsamples,
        .samples = b->samples,
        .nsteps = b->nlabels,
        .step_labels = (const char *const *)b->labels,
        .max_bytes = b->max_bytes,
        .max_arenas = b->max_arenas,
    };
    return &b->view;
}

int summary_save(const struct summary *b, void **out, size_t *len)
{
    struct codec_buf w;
    codec_buf_init(&w);
    codec_buf_put_varint(&w, SUM_MAGIC);
    codec_buf_put_varint(&w, b->version);
    codec_buf_put_varint(&w, b->events);
    codec_buf_put_varint(&w, b->span);
    codec_buf_put_varint(&w, b->max_bytes);
    codec_buf_put_varint(&w, b->max_arenas);
    codec_buf_put_varint(&w, b->nmarks);
    uint64_t last = 0;
    for (size_t i = 0; i < b->nmarks; i++) {
        codec_buf_put_varint(&w, b->marks[i].seq - last);
        last = b->marks[i].seq;
        codec_buf_put_varint(&w, b->marks[i].kind);
        codec_buf_put_varint(&w, b->marks[i].arg);
    }
    codec_buf_put_varint(&w, b->nlabels);
    for (size_t i = 0; i < b->nlabels; i++)
        codec_buf_put_text(&w, b->labels[i], strlen(b->labels[i]));
    codec_buf_put_varint(&w, b->nsamples);
    for (size_t i = 0; i < b->nsamples; i++)
        codec_buf_put_fields(&w, &b->samples[i], sample_fields, CODEC_COUNT(sample_fields));
    codec_buf_put_varint(&w, SUM_MAGIC);
    if (w.failed) {
        codec_buf_release(&w);
        return MODEL_ENOMEM;
    }
    *out = w.data;
    *len = w.len;
    return 0;
}

int summary_load(struct summary *b, const void *buf, size_t len)
{
    struct codec_reader r = codec_reader_of(buf, len);
    summary_release(b);
    uint64_t version;
    if (codec_read_varint(&r) != SUM_MAGIC || (version = codec_read_varint(&r)) < SUM_VERSION_WITH_TOOL ||
        version > SUM_VERSION)
        goto out_release;
    b->version = (uint32_t)version;
    b->events = codec_read_varint(&r);
    b->span = codec_read_varint(&r);
    b->max_bytes = codec_read_varint(&r);
    uint64_t maxa = codec_read_varint(&r), nmarks = codec_read_count(&r);
    if (r.bad || b->span == 0 || maxa > UINT32_MAX ||
        !codec_array_reserve((void **)&b->marks, &b->marks_cap, nmarks, sizeof *b->marks))
        goto out_release;
    b->max_arenas = (uint32_t)maxa;
    uint64_t seq = 0;
    for (uint64_t i = 0; i < nmarks; i++) {
        seq += codec_read_varint(&r);
        uint64_t kind = codec_read_varint(&r), arg = codec_read_varint(&r);
        if (r.bad || kind > MODEL_TL_STEP || arg > UINT32_MAX || seq >= b->events)
            goto out_release;
        b->marks[i] = (struct model_tl_mark){.seq = seq, .kind = (uint32_t)kind, .arg = (uint32_t)arg};
    }
    b->nmarks = (size_t)nmarks;
    uint64_t nlabels = codec_read_count(&r);
    for (uint64_t i = 0; i < nlabels; i++) {
        size_t l;
        const char *s = codec_read_text(&r, &l);
        if (r.bad || !add_label(b, s, l))
            goto out_release;
    }
    for (size_t i = 0; i < b->nmarks; i++)
        if (b->marks[i].kind == MODEL_TL_STEP && b->marks[i].arg >= b->nlabels)
            goto out_release;
    uint64_t ns = codec_read_varint(&r);
    if (r.bad || ns > MODEL_TL_SAMPLES || (ns && b->span > UINT64_MAX / ns) ||
        !(b->samples = malloc(MODEL_TL_SAMPLES * sizeof *b->samples)))
        goto out_release;
    for (uint64_t i = 0; i < ns; i++) {
        struct model_tl_sample *s = &b->samples[i];
        s->seq = i * b->span;
        s->span = i + 1 < ns ? b->span : b->events - s->seq;
        if (!codec_read_fields(&r, s, sample_fields, CODEC_COUNT(sample_fields)) || s->seq >= b->events ||
            s->span > b->span)
            goto out_release;
    }
    b->nsamples = (size_t)ns;
    if (codec_read_varint(&r) != SUM_MAGIC || r.bad || r.p != r.end)
        goto out_release;
    return 0;
out_release:
    summary_release(b);
    return MODEL_EFORMAT;
}
