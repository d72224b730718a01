/*
 * snapshot.h - a real program's names at its last line step (tracer/model/ only): what the
 * capture recorded right after the step marker (snap_name, snap_ref), and the same of the line
 * step before it, so that the views can say what a line changed and which objects died.
 *
 * Fixed sizes, no allocation: the capture describes at most MODEL_SNAP_NAMES names a line.
 */
#ifndef TRACER_MODEL_SNAPSHOT_H
#define TRACER_MODEL_SNAPSHOT_H

#include <tracer/model.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mfold;
struct codec_buf;
struct codec_reader;

struct msnap_name {
    uint64_t obj, size, refcnt;
    uint32_t type, flags;
    uint32_t gen;                     /* ev_snap_gen */
    uint32_t off, name_len, text_len; /* in msnap.text: "NAME=REPR" */
};

struct msnap {
    uint64_t step_seq; /* the step marker it belongs to, UINT64_MAX none */
    struct msnap_name names[MODEL_SNAP_NAMES];
    size_t nnames;
    char text[MODEL_SNAP_NAMES * 128];
    size_t text_len;
    struct model_snap_ref refs[MODEL_SNAP_REFS];
    size_t nrefs;
};

struct msnapshot {
    struct msnap cur, prev;
};

void msnapshot_clear(struct msnapshot *s);
/* A step marker at position pos: the current names become the previous ones. */
void msnapshot_step(struct msnapshot *s, uint64_t pos);
/* Its events' handlers are rows of fold.h's MFOLD_KINDS. */

/* For checkpoints: both snapshots, and back (false on a damaged blob). */
void msnapshot_save(const struct msnapshot *s, struct codec_buf *b);
bool msnapshot_load(struct msnapshot *s, struct codec_reader *r, bool gens);

#endif
