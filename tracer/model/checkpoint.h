/*
 * checkpoint.h - how far apart checkpoints are (tracer/model/ only).  model_save() and
 * model_load() (tracer/model.h, checkpoint.c) make and read them; the post-pass (tools.c) and
 * the seeker (seeker.c) space them.
 */
#ifndef TRACER_MODEL_CHECKPOINT_H
#define TRACER_MODEL_CHECKPOINT_H

#include <tracer/model.h>

#include <stddef.h>
#include <stdint.h>

/*
 * A seek folds at most one spacing of events after loading one checkpoint.  At the fold's speed
 * (tens of millions of events per second, decoding included) 2^18 events take a few
 * milliseconds, well under the 20 ms a seek may take.  A large state would make the checkpoints
 * outweigh the events, so the spacing grows with the state: a checkpoint costs at most
 * MODEL_CHECKPOINT_BYTES_PER_EVENT bytes per event it covers (a trace event takes 2 to 5).
 */
#define MODEL_CHECKPOINT_SPACING (1u << 18)
#define MODEL_CHECKPOINT_BYTES_PER_EVENT 8u
_Static_assert(MODEL_CHECKPOINT_SPACING >= 4 * MODEL_BATCH, "checkpoints a few batches apart");

/* model_save() into *buf when it is not NULL (a buffer of *cap bytes from an earlier call, grown
 * as needed), for a caller that saves again and again (`check`): no new memory for each state.
 * On success *buf, *len and *cap are the state's; on failure *buf is freed and NULL. */
int model_save_into(const struct model *m, void **buf, size_t *len, size_t *cap);

/* Events from one checkpoint to the next, given the size of the last one. */
static inline uint64_t model_checkpoint_spacing(size_t state_bytes)
{
    uint64_t spacing = MODEL_CHECKPOINT_SPACING;
    if (state_bytes / MODEL_CHECKPOINT_BYTES_PER_EVENT > spacing)
        spacing = state_bytes / MODEL_CHECKPOINT_BYTES_PER_EVENT;
    return spacing;
}

#endif
