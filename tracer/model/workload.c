/*
 * workload.c - the workload's own events (step markers, prints, the runtime's free lists)
 * folded into the model, and what the views read of them.
 */
#include "fold.h"
#include "strtab.h"
#include "workload.h"

#include <tracer/codec.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

void mworkload_init(struct mworkload *w)
{
    memset(w, 0, sizeof *w);
    msnapshot_clear(&w->snap);
}

void mworkload_clear(struct mworkload *w)
{
    w->has_step = false;
    w->step_number = w->step_seq = w->nsteps = 0;
    w->step_kind = w->step_stack = 0;
    w->step_label_len = 0;
    for (size_t i = 0; i < MODEL_PRINTS_KEEP; i++) {
        free(w->prints[i].text);
        w->prints[i] = (struct mprint){0};
    }
    w->nprints = w->prints_head = 0;
    memset(w->freelists, 0, sizeof w->freelists);
    msnapshot_clear(&w->snap);
}

void mworkload_release(struct mworkload *w)
{
    mworkload_clear(w);
    free(w->step_label);
    w->step_label = NULL;
    w->step_label_cap = 0;
}

bool mworkload_set_step_label(struct mworkload *w, const char *s, size_t len)
{
    if (!codec_array_reserve((void **)&w->step_label, &w->step_label_cap, len + 1, 1))
        return false;
    if (len)
        memcpy(w->step_label, s, len);
    w->step_label[len] = '\0';
    w->step_label_len = len;
    return true;
}

bool mworkload_print_push(struct mworkload *w, uint64_t seq, uint32_t stream, const char *s,
                          size_t len)
{
    char *t = text_dup(s, len);
    if (!t)
        return false;
    size_t i = mring_push(&w->prints_head, &w->nprints, MODEL_PRINTS_KEEP);
    free(w->prints[i].text);
    w->prints[i] = (struct mprint){.seq = seq, .stream = stream, .text = t, .len = len};
    return true;
}

int mworkload_fold_step(struct mworkload *w, struct mfold *f, const struct event *ev)
{
    if (!mworkload_set_step_label(w, ev->str ? ev->str : "", ev->str ? ev->str_len : 0))
        return mfold_oom(f);
    w->has_step = true;
    w->step_number = ev->u.step.number;
    w->step_kind = ev->u.step.kind < EV_STEP_KIND_COUNT ? (uint32_t)ev->u.step.kind : EV_STEP_WORKLOAD;
    w->step_stack = ev->u.step.stack > UINT32_MAX ? 0 : (uint32_t)ev->u.step.stack;
    w->step_seq = f->pos;
    w->nsteps++;
    if (w->step_kind == EV_STEP_LINE) /* names are taken at line steps only */
        msnapshot_step(&w->snap, f->pos);
    return 0;
}

int mworkload_fold_print(struct mworkload *w, struct mfold *f, const struct event *ev)
{
    if (!mworkload_print_push(w, f->pos, (uint32_t)ev->u.print.stream, ev->str ? ev->str : "",
                              ev->str ? ev->str_len : 0))
        return mfold_oom(f);
    return 0;
}

int mworkload_fold_freelist(struct mworkload *w, struct mfold *f, const struct event *ev)
{
    const struct event_freelist *e = &ev->u.freelist;
    if (e->index >= HEAP_STATS_MAX_FREELISTS)
        return mfold_reject(f, ev, "no free list line %" PRIu64 " (at most %d)", e->index,
                            HEAP_STATS_MAX_FREELISTS);
    struct mfreelist *fl = &w->freelists[e->index];
    size_t len = ev->str ? ev->str_len : 0;
    if (len >= sizeof fl->label)
        len = sizeof fl->label - 1;
    if (len)
        memcpy(fl->label, ev->str, len);
    fl->label[len] = '\0';
    fl->count = e->count;
    fl->each = e->each;
    fl->set = true;
    return 0;
}

/* ---- what the views read --------------------------------------------------------------------- */

bool model_step_current(const struct model *m, struct model_step *out)
{
    const struct mworkload *w = model_parts(m)->work;
    if (!w->has_step)
        return false;
    *out = (struct model_step){.number = w->step_number,
                               .kind = w->step_kind,
                               .stack = w->step_stack,
                               .seq = w->step_seq,
                               .label = w->step_label ? w->step_label : "",
                               .label_len = w->step_label_len};
    return true;
}

uint64_t model_step_count(const struct model *m)
{
    return model_parts(m)->work->nsteps;
}

size_t model_prints(const struct model *m, struct model_print *out, size_t max)
{
    const struct mworkload *w = model_parts(m)->work;
    size_t n = w->nprints < max ? w->nprints : max;
    for (size_t i = 0; i < n; i++) {
        const struct mprint *p = &w->prints[(w->prints_head + i) % MODEL_PRINTS_KEEP];
        out[i] = (struct model_print){.seq = p->seq, .stream = p->stream, .text = p->text,
                                      .len = p->len};
    }
    return n;
}
