/*
 * workload.h - what the model knows of the workload itself (tracer/model/ only): its step
 * markers, the lines it printed, and the object free lists of its runtime as the stats report
 * shows them.
 */
#ifndef TRACER_MODEL_WORKLOAD_H
#define TRACER_MODEL_WORKLOAD_H

#include "snapshot.h"

#include <tracer/model.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mfold;

struct mprint {
    uint64_t seq;
    uint32_t stream;
    char *text; /* malloc'd, NUL-terminated */
    size_t len;
};

/* One line of the object free lists in the stats report. */
struct mfreelist {
    bool set;
    char label[40];
    uint64_t count, each;
};

struct mworkload {
    bool has_step;
    uint64_t step_number, step_seq, nsteps;
    uint32_t step_kind;  /* ev_step_kind */
    uint32_t step_stack; /* a real program's stack at the marker, 0 none */
    char *step_label;
    size_t step_label_len, step_label_cap;
    struct mprint prints[MODEL_PRINTS_KEEP];
    size_t nprints, prints_head; /* ring: prints_head is the most recent */
    struct mfreelist freelists[HEAP_STATS_MAX_FREELISTS];
    struct msnapshot snap; /* a real program's names at its last line step */
};

void mworkload_init(struct mworkload *w);
/* Back to no step, no prints, no free lists; the label keeps its storage. */
void mworkload_clear(struct mworkload *w);
void mworkload_release(struct mworkload *w);

/* Its events' handlers are rows of fold.h's MFOLD_KINDS. */

/* For the checkpoint loader; false when out of memory. */
bool mworkload_set_step_label(struct mworkload *w, const char *s, size_t len);
bool mworkload_print_push(struct mworkload *w, uint64_t seq, uint32_t stream, const char *s,
                          size_t len);

#endif
