/*
 * tools.c - whole-trace passes of the model: the post-pass that stores checkpoints and the
 * timeline summary in a trace's index, and the semantic check behind `arenascope check`.
 */
#include "checkpoint.h"
#include "summary.h"
#include "valid.h"

#include <tracer/codec.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>

#define PROGRESS_EVERY (1u << 20)

struct ckpos {
    uint64_t seq, off;
    size_t len;
};

/* r's next events into batch: how many (0 at the end), or MODEL_ETRACE with the reader's error
 * in err. */
static ssize_t read_batch(struct trace_reader *r, struct event *batch, char *err, size_t errlen)
{
    ssize_t n = trace_reader_read(r, batch, MODEL_BATCH);
    if (n < 0) {
        snprintf(err, errlen, "%s", trace_reader_error(r));
        return MODEL_ETRACE;
    }
    return n;
}

static int store_all(const char *path, FILE *spill, uint64_t spill_bytes, const struct ckpos *cks,
                     size_t ncks, const struct summary *sum, char *err, size_t errlen)
{
    int rc = 0;
    void *map = NULL;
    struct trace_blob *blobs = calloc(ncks ? ncks : 1, sizeof *blobs);
    void *sbuf = NULL;
    size_t slen = 0;
    if (!blobs || summary_save(sum, &sbuf, &slen) < 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = MODEL_ENOMEM;
        goto out_free;
    }
    if (spill_bytes) {
        fflush(spill);
        map = mmap(NULL, (size_t)spill_bytes, PROT_READ, MAP_PRIVATE, fileno(spill), 0);
        if (map == MAP_FAILED) {
            map = NULL;
            snprintf(err, errlen, "%s: cannot map the checkpoints' temporary file", path);
            rc = MODEL_ETRACE;
            goto out_free;
        }
    }
    for (size_t i = 0; i < ncks; i++)
        blobs[i] = (struct trace_blob){.key = cks[i].seq,
                                       .data = (const char *)map + cks[i].off,
                                       .len = cks[i].len};
    struct trace_blob mark = {.key = 0, .data = sbuf, .len = slen};
    if (trace_store_blobs(path, TRACE_BLOB_CHECKPOINT, blobs, ncks, err, errlen) < 0 ||
        trace_store_blobs(path, TRACE_BLOB_MARKS, &mark, 1, err, errlen) < 0)
        rc = MODEL_ETRACE;
out_free:
    if (map)
        munmap(map, (size_t)spill_bytes);
    free(sbuf);
    free(blobs);
    return rc;
}

int model_build_checkpoints(const char *path, model_progress_fn progress, void *ctx, char *err,
                            size_t errlen)
{
    struct trace_reader *r;
    struct model *m = NULL;
    struct summary sum;
    struct ckpos *cks = NULL;
    size_t ncks = 0, cks_cap = 0;
    FILE *spill = NULL;
    uint64_t spill_bytes = 0;
    struct event *batch = NULL;
    int rc = trace_reader_open(&r, path, 0, err, errlen);
    if (rc < 0)
        return MODEL_ETRACE;
    summary_init(&sum);
    rc = model_new(&m, trace_reader_header(r));
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", path, model_strerror(rc));
        goto out_close;
    }
    batch = malloc(MODEL_BATCH * sizeof *batch);
    spill = tmpfile();
    if (!batch || !spill) {
        snprintf(err, errlen, "%s: out of memory or no temporary file", path);
        rc = MODEL_ENOMEM;
        goto out_close;
    }
    uint64_t total = trace_reader_event_count(r), pos = 0;
    uint64_t next_ck = model_checkpoint_spacing(0), next_progress = PROGRESS_EVERY;
    int bad = 0;
    ssize_t n = 0;
    while (!bad && (n = read_batch(r, batch, err, errlen)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            int f = model_fold(m, &batch[i]);
            if (f < 0) {
                if (f != MODEL_EINCONSISTENT) {
                    snprintf(err, errlen, "%s: %s", path, model_error(m));
                    rc = f;
                    goto out_close;
                }
                bad = f;
                break;
            }
            if (!summary_note(&sum, &batch[i], pos, m)) {
                rc = MODEL_ENOMEM;
                snprintf(err, errlen, "%s: out of memory", path);
                goto out_close;
            }
            pos++;
            if (pos >= next_ck) {
                void *buf;
                size_t len;
                rc = model_save(m, &buf, &len);
                if (rc == 0 && fwrite(buf, 1, len, spill) != len)
                    rc = MODEL_ETRACE;
                if (rc == 0 && !codec_array_reserve((void **)&cks, &cks_cap, ncks + 1, sizeof *cks))
                    rc = MODEL_ENOMEM;
                if (rc < 0) {
                    free(buf);
                    snprintf(err, errlen, "%s: cannot keep a checkpoint: %s", path,
                             model_strerror(rc));
                    goto out_close;
                }
                cks[ncks++] = (struct ckpos){.seq = pos, .off = spill_bytes, .len = len};
                spill_bytes += len;
                free(buf);
                next_ck = pos + model_checkpoint_spacing(len);
            }
        }
        if (progress && pos >= next_progress) {
            next_progress = pos + PROGRESS_EVERY;
            if (!progress(ctx, pos, total)) {
                snprintf(err, errlen, "%s: cancelled", path);
                rc = MODEL_ERANGE;
                goto out_close;
            }
        }
    }
    if (n < 0) {
        rc = (int)n;
        goto out_close;
    }
    char why[300] = "";
    if (bad)
        snprintf(why, sizeof why, "%s", model_error(m));
    trace_reader_free(r);
    r = NULL;
    rc = store_all(path, spill, spill_bytes, cks, ncks, &sum, err, errlen);
    if (rc == 0 && bad) {
        snprintf(err, errlen, "%s: %s", path, why);
        rc = MODEL_EINCONSISTENT;
    }
    if (rc == 0 && progress)
        progress(ctx, total, total);

out_close:
    trace_reader_free(r);
    model_free(m);
    summary_release(&sum);
    free(cks);
    free(batch);
    if (spill)
        fclose(spill);
    return rc;
}

/* Invariants are walked this often, just before a block_free (which always starts an operation,
 * so that every invariant holds), and at the end. */
#define CHECK_EVERY (1u << 16)

struct checker {
    struct trace_reader *r;
    struct model *m, *ck;  /* the fold, and a checkpoint loaded for comparison */
    struct summary sum;
    size_t nck, next;      /* checkpoints in the index, the next to compare */
    uint64_t next_seq;     /* the next one's position (UINT64_MAX when none is left) */
    char *err;
    size_t errlen;
    uint64_t *bad_seq;
    void *saved;           /* the fold's state at the last checkpoint compared, in saved_cap bytes */
    size_t saved_cap;
};

/* The position of the next checkpoint to compare, kept so that an event costs one comparison. */
static void next_checkpoint(struct checker *c)
{
    c->next_seq = c->next < c->nck ? trace_reader_checkpoint_seq(c->r, c->next) : UINT64_MAX;
}

/* Compares the checkpoints stored for position pos with the fold. */
static int compare_checkpoints(struct checker *c, uint64_t pos)
{
    while (c->next_seq <= pos) {
        uint64_t seq = c->next_seq;
        size_t i = c->next++;
        next_checkpoint(c);
        if (seq < pos)
            continue; /* a repeated key: the reader keeps the later one */
        void *buf;
        size_t len;
        char why[200];
        *c->bad_seq = pos;
        if (trace_reader_checkpoint_load(c->r, i, &buf, &len) < 0) {
            snprintf(c->err, c->errlen, "%s", trace_reader_error(c->r));
            return MODEL_ETRACE;
        }
        /* The checkpoint was saved by the same code from the same events: its bytes are the
         * fold's own, and then it loads and equals the fold without being loaded.  Otherwise (an
         * older layout, or a difference) it is loaded and compared state to state. */
        size_t nmine = 0;
        bool same = model_save_into(c->m, &c->saved, &nmine, &c->saved_cap) == 0 && nmine == len &&
                    memcmp(c->saved, buf, len) == 0;
        if (same) {
            free(buf);
            continue;
        }
        int rc = model_load(c->ck, buf, len);
        free(buf);
        if (rc < 0) {
            snprintf(c->err, c->errlen, "%s: the checkpoint at event %" PRIu64 " is damaged: %s",
                     trace_reader_path(c->r), seq, model_strerror(rc));
            return MODEL_EINCONSISTENT;
        }
        if (!model_equals(c->m, c->ck, why, sizeof why)) {
            snprintf(c->err, c->errlen,
                     "%s: the checkpoint at event %" PRIu64 " does not match the events: %s",
                     trace_reader_path(c->r), seq, why);
            return MODEL_EINCONSISTENT;
        }
    }
    return 0;
}

/* Compares the stored timeline summary, if any, with the one the fold built. */
static int compare_summary(struct checker *c)
{
    size_t first;
    if (trace_reader_blob_range(c->r, TRACE_BLOB_MARKS, &first) != 1)
        return 0;
    void *stored, *built;
    size_t slen, blen;
    if (trace_reader_blob_load(c->r, first, &stored, &slen) < 0) {
        snprintf(c->err, c->errlen, "%s", trace_reader_error(c->r));
        return MODEL_ETRACE;
    }
    int rc = summary_save(&c->sum, &built, &blen);
    if (rc == 0) {
        if (slen != blen || memcmp(stored, built, slen) != 0) {
            snprintf(c->err, c->errlen, "%s: the timeline summary does not match the events",
                     trace_reader_path(c->r));
            rc = MODEL_EINCONSISTENT;
        }
        free(built);
    }
    free(stored);
    return rc;
}

int model_check_trace(struct trace_reader *r, uint64_t *bad_seq, char *err, size_t errlen)
{
    struct checker c = {.r = r, .err = err, .errlen = errlen, .bad_seq = bad_seq};
    struct event *batch = NULL;
    *bad_seq = 0;
    summary_init(&c.sum);
    size_t first;
    void *stored;
    size_t slen;
    if (trace_reader_blob_range(r, TRACE_BLOB_MARKS, &first) == 1 &&
        trace_reader_blob_load(r, first, &stored, &slen) == 0) {
        summary_init_like(&c.sum, stored, slen); /* rebuilt as it was written */
        free(stored);
    }
    int rc = model_new(&c.m, trace_reader_header(r));
    if (rc == 0)
        rc = model_new(&c.ck, trace_reader_header(r));
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", trace_reader_path(r), model_strerror(rc));
        goto out_free;
    }
    batch = malloc(MODEL_BATCH * sizeof *batch);
    if (!batch) {
        snprintf(err, errlen, "out of memory");
        rc = MODEL_ENOMEM;
        goto out_free;
    }
    c.nck = trace_reader_checkpoint_count(r);
    char why[256];
    uint64_t pos = 0, last_walk = 0;
    if (trace_reader_first_event(r) > 0) {
        /* a windowed live trace dropped its oldest events: check the events kept from its first
         * checkpoint on (tracer/format/FORMAT.md 8.1) */
        while (c.next < c.nck && trace_reader_checkpoint_seq(r, c.next) < trace_reader_first_event(r))
            c.next++;
        void *buf;
        size_t len;
        if (c.next == c.nck) {
            snprintf(err, errlen, "%s: its oldest events were dropped, and no checkpoint is left to check the rest from",
                     trace_reader_path(r));
            rc = MODEL_ETRACE;
            goto out_free;
        }
        pos = trace_reader_checkpoint_seq(r, c.next);
        if (trace_reader_checkpoint_load(r, c.next, &buf, &len) < 0) {
            snprintf(err, errlen, "%s", trace_reader_error(r));
            rc = MODEL_ETRACE;
            goto out_free;
        }
        rc = model_load_at(c.m, buf, len, pos);
        free(buf);
        if (rc < 0) {
            *bad_seq = pos;
            snprintf(err, errlen, "%s: checkpoint at event %" PRIu64 ": %s", trace_reader_path(r), pos,
                     model_strerror(rc));
            goto out_free;
        }
        c.next++;
        last_walk = pos;
    }
    next_checkpoint(&c);
    if (trace_reader_seek(r, pos) < 0) {
        snprintf(err, errlen, "%s", trace_reader_error(r));
        rc = MODEL_ETRACE;
        goto out_free;
    }
    struct model_settle settle = {0};
    ssize_t n;
    while ((n = read_batch(r, batch, err, errlen)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            if (!model_check_settled(c.m, &settle, &batch[i], why, sizeof why)) {
                *bad_seq = pos;
                snprintf(err, errlen, "%s: event %" PRIu64 ": %s: %s before it", trace_reader_path(r),
                         pos, event_kind_name(batch[i].kind), why);
                rc = MODEL_EINCONSISTENT;
                goto out_free;
            }
            if (batch[i].kind == EV_BLOCK_FREE && pos - last_walk >= CHECK_EVERY) {
                last_walk = pos;
                if (!model_is_valid(c.m, why, sizeof why)) {
                    *bad_seq = pos;
                    snprintf(err, errlen, "%s: event %" PRIu64 ": the heap before it is broken: %s",
                             trace_reader_path(r), pos, why);
                    rc = MODEL_EINCONSISTENT;
                    goto out_free;
                }
            }
            if (pos >= c.next_seq && (rc = compare_checkpoints(&c, pos)) < 0)
                goto out_free;
            rc = model_fold(c.m, &batch[i]);
            if (rc < 0) {
                *bad_seq = pos;
                snprintf(err, errlen, "%s: %s", trace_reader_path(r), model_error(c.m));
                goto out_free;
            }
            if (!summary_note(&c.sum, &batch[i], pos, c.m)) {
                snprintf(err, errlen, "out of memory");
                rc = MODEL_ENOMEM;
                goto out_free;
            }
            pos++;
        }
    }
    if (n < 0) {
        rc = (int)n;
        goto out_free;
    }
    if ((rc = compare_checkpoints(&c, pos)) < 0)
        goto out_free;
    if (c.next < c.nck) {
        *bad_seq = pos;
        snprintf(err, errlen, "%s: a checkpoint lies past the last event (%" PRIu64 ")",
                 trace_reader_path(r), pos);
        rc = MODEL_EINCONSISTENT;
        goto out_free;
    }
    /* A whole recording ends between two operations; a cut one may end inside one. */
    bool whole = trace_reader_is_complete(r) && !trace_reader_damage(r);
    if ((whole && !model_check_settled(c.m, &settle, NULL, why, sizeof why)) ||
        !model_check(c.m, whole, why, sizeof why)) {
        *bad_seq = pos;
        snprintf(err, errlen, "%s: at the end (event %" PRIu64 "): %s", trace_reader_path(r), pos,
                 why);
        rc = MODEL_EINCONSISTENT;
        goto out_free;
    }
    *bad_seq = pos;
    rc = compare_summary(&c);
    if (rc == 0)
        *bad_seq = 0;
out_free:
    free(batch);
    free(c.saved);
    model_free(c.m);
    model_free(c.ck);
    summary_release(&c.sum);
    return rc;
}
