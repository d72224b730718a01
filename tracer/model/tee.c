/*
 * tee.c - checkpoints written into a live trace as it is recorded; see model.h.
 *
 * A live viewer that cannot fold as fast as the workload emits, or whose trace drops its oldest
 * chunks (a window, FORMAT.md 8.1), needs the model's state at places it did not fold to: it
 * jumps to the edge through them, and the history it can reach begins at the first one inside the
 * window.  The recording process is the one place that sees every event at once, so it keeps a
 * model of its own, folded as the events are emitted (the sink in front of the writer), and every
 * model_checkpoint_spacing() events it writes the model's state into the stream as a CKPT blob
 * keyed by the events emitted so far (trace_writer_put_blob ends the chunk first, so the blob
 * follows every event it covers).  The viewer's seeker picks them up as they arrive.
 *
 * The cost is a fold per event in the recording process (about as much as encoding it) and a
 * checkpoint's bytes per spacing (a few percent of the trace).  An event the model refuses
 * stops the checkpoints, never the recording.
 */
#include "checkpoint.h"

#include <tracer/trace.h>

#include <stdlib.h>

struct ckpt_tee {
    struct trace_writer *w;
    struct model *m;   /* NULL once an event was refused */
    uint64_t next_ck;  /* position of the next checkpoint */
    uint64_t byte_spacing; /* trace bytes between checkpoints at most (UINT64_MAX: no window) */
    uint64_t next_bytes;   /* ... so the next one comes when the trace reaches this size */
};

static void tee_emit(void *ctx, const struct event *ev)
{
    struct ckpt_tee *t = ctx;
    trace_writer_emit(t->w, ev);
    if (!t->m)
        return;
    if (model_fold(t->m, ev) < 0) {
        model_free(t->m);
        t->m = NULL;
        return;
    }
    uint64_t pos = model_position(t->m);
    if (pos < t->next_ck && trace_writer_bytes(t->w) < t->next_bytes)
        return;
    void *buf;
    size_t len;
    if (model_save(t->m, &buf, &len) < 0) {
        t->next_ck = pos + model_checkpoint_spacing(0);
        return;
    }
    trace_writer_put_blob(t->w, TRACE_BLOB_CHECKPOINT, pos, buf, len);
    free(buf);
    t->next_ck = pos + model_checkpoint_spacing(len);
    if (t->byte_spacing != UINT64_MAX)
        t->next_bytes = trace_writer_bytes(t->w) + t->byte_spacing;
}

int ckpt_tee_new(struct ckpt_tee **out, struct trace_writer *w, const struct trace_header *hdr)
{
    *out = NULL;
    struct ckpt_tee *t = calloc(1, sizeof *t);
    if (!t)
        return MODEL_ENOMEM;
    int rc = model_new(&t->m, hdr);
    if (rc < 0) {
        free(t);
        return rc;
    }
    t->w = w;
    t->next_ck = model_checkpoint_spacing(0);
    t->byte_spacing = hdr->window ? hdr->window / 8 : UINT64_MAX;
    t->next_bytes = t->byte_spacing;
    *out = t;
    return 0;
}

struct event_sink ckpt_tee_sink(struct ckpt_tee *t)
{
    return (struct event_sink){tee_emit, t};
}

void ckpt_tee_free(struct ckpt_tee *t)
{
    if (!t)
        return;
    model_free(t->m);
    free(t);
}
