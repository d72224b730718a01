/*
 * summary.h - the timeline summary being built or loaded (tracer/model/ only).
 */
#ifndef TRACER_MODEL_SUMMARY_H
#define TRACER_MODEL_SUMMARY_H

#include <tracer/model.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct summary {
    struct model_tl_mark *marks;
    size_t nmarks, marks_cap;
    char **labels; /* step labels, NUL-terminated */
    size_t nlabels, labels_cap;
    struct model_tl_sample *samples; /* MODEL_TL_SAMPLES entries once the first note came */
    size_t nsamples;
    uint64_t span;   /* events per sample */
    uint64_t events; /* events noted */
    uint64_t max_bytes;
    uint32_t max_arenas;
    uint32_t version; /* of the blob it is written as, which says what memory in use counts */
    struct model_summary view;
};

void summary_init(struct summary *b);
/* An empty summary of the version of the stored blob buf (to be rebuilt as it was written); of
 * the current version when buf is not a summary. */
void summary_init_like(struct summary *b, const void *buf, size_t len);
void summary_release(struct summary *b);
/* Notes event seq (after the last noted; samples skipped over keep the last one's values), with m
 * the model after folding it.  False
 * when out of memory. */
bool summary_note(struct summary *b, const struct event *ev, uint64_t seq, const struct model *m);
const struct model_summary *summary_view(struct summary *b);
/* Forgets the marks before event seq (a live trace's window moved past them). */
void summary_forget_before(struct summary *b, uint64_t seq);
int summary_save(const struct summary *b, void **out, size_t *len);
/* MODEL_EFORMAT (and an empty summary) when the blob is damaged. */
int summary_load(struct summary *b, const void *buf, size_t len);

#endif
