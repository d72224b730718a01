/*
 * seeker.c - the seeker: any event of a trace at once, forward or backward.
 *
 * A seeker holds a trace reader, one model and a list of checkpoints (the model serialised at
 * known positions).  Going to position t:
 *
 *   - when the model is at or before t and no checkpoint lies between it and t (or t is only a
 *     few events ahead), it folds forward from where it is;
 *   - otherwise it loads the last checkpoint at or before t (or resets to the empty heap) and
 *     folds forward from there.  Stepping back one event is such a seek.
 *
 * Stepping back event by event would fold most of a spacing each time; on the second step back in
 * a row the seeker saves a snapshot STEP_BACK_GAP events before the target on its way (one more
 * state in memory, as a blob), and the next steps back start from it.
 *
 * So a seek costs at most one checkpoint load and one checkpoint spacing of events folded.  The
 * spacing is chosen by model_checkpoint_spacing() from the size of the state: a few hundred
 * thousand events (a few milliseconds of folding), more when the state is large, so that the
 * checkpoints never take more than a few bytes per event of the trace.
 *
 * Where checkpoints come from: the trace's index (CKPT blobs written by the post-pass after a
 * recording); or, for a file without them (a recording that was killed, a live stream), the
 * seeker makes its own as it first folds through the events, and writes them to an unlinked
 * temporary file.  Either way they are loaded one at a time, on demand: what the seeker holds
 * in memory is the model (the live heap) and the list of checkpoint positions.
 *
 * The summary for the timeline comes from the MARK blob, or is built the same way, event by
 * event, as the seeker first folds through them (the "frontier").
 *
 * A windowed live trace (FORMAT.md 8.1) drops its oldest chunks as it grows.  The seeker learns
 * the window's start from the reader at each poll, and forgets what lies before it: the
 * checkpoints there (own ones are punched out of the spill file), the step-back snapshot, the
 * timeline marks.  What stays seekable is the *history*: from the first checkpoint inside the
 * window (own, or one the writer put in the stream, which arrive as the file grows) to the end.
 * A model that fell behind the window's start cannot fold on; a seek then goes through a
 * checkpoint inside it.  Loading a checkpoint past the frontier (a live view that jumps to the
 * edge) moves the frontier there: the timeline keeps the gap flat, and own checkpoints go on
 * from there.  So the seeker's memory and its spill file follow the window, not the run.
 *
 * An inconsistent event stops the model at that event; the seeker remembers where, so that
 * seeking beyond it says why instead of folding again, and seeking before it works as usual.
 */
#include "checkpoint.h"
#include "fold.h"
#include "summary.h"

#include <tracer/codec.h>

#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define SEEK_NEAR 4096 /* fold forward rather than load a checkpoint when this close */
/* Stepping back event by event: a snapshot this far before the position, kept in memory, so that
 * the next steps back fold from it rather than from the checkpoint. */
#define STEP_BACK_GAP (1u << 12)
#define STEP_BACK_MAX 64 /* a backward seek of at most this many events is a step */

struct ckref {
    uint64_t seq;
    int64_t blob;  /* 0: the file's checkpoint at seq; -1: in the spill file */
    uint64_t off;  /* in the spill file */
    size_t len;
};

struct seeker {
    struct trace_reader *r;
    struct model *m;
    unsigned flags;
    char err[512];

    struct ckref *cks; /* ascending seq */
    size_t ncks, cks_cap;
    bool from_index;   /* the checkpoints are the file's */
    uint64_t window;   /* the first event still in the file (0 unless a window dropped some) */
    uint64_t file_ck_last; /* the file's checkpoints up to this seq are listed (follow mode) */
    FILE *spill;       /* own checkpoints */
    uint64_t spill_end;
    uint64_t next_ck;  /* own checkpoints: where the next one goes */

    struct summary sum;
    bool summary_from_file;
    uint64_t sum_frontier; /* events [0, sum_frontier) are summarised */
    uint64_t ck_frontier;  /* own checkpoints cover events [0, ck_frontier) */

    void *near;        /* the step-back snapshot (a checkpoint in memory), or NULL */
    size_t near_len;
    uint64_t near_seq;
    bool last_back;    /* the last seek was a step back */

    uint64_t bad_seq;  /* first inconsistent event, UINT64_MAX when none is known */
    char bad_reason[256];

    /* the sources of a real program's files (source_file, source_text), read as asked for */
    struct seeker_source *sources;
    size_t nsources, sources_cap;
    uint64_t sources_scanned; /* events [0, sources_scanned) were read for them */

    /* the event at position - 1, kept for the position cur_pos (0: none kept) */
    uint64_t cur_pos;
    struct event cur;
    char *cur_str;
    size_t cur_str_cap;

    struct event batch[MODEL_BATCH];
};

struct seeker_source {
    uint64_t id;
    char *path, *text; /* malloc'd; text NULL until its source_text came */
    size_t path_len, text_len;
};

static int seek_fail(struct seeker *s, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int seek_fail(struct seeker *s, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return err;
}

/* Adds a checkpoint in its place (own ones come at the frontier, the writer's at the edge). */
static bool add_ckref(struct seeker *s, const struct ckref *c)
{
    if (!codec_array_reserve((void **)&s->cks, &s->cks_cap, s->ncks + 1, sizeof *s->cks))
        return false;
    size_t i = s->ncks;
    while (i > 0 && s->cks[i - 1].seq > c->seq)
        i--;
    if (i > 0 && s->cks[i - 1].seq == c->seq)
        return true; /* one there already */
    memmove(&s->cks[i + 1], &s->cks[i], (s->ncks - i) * sizeof *s->cks);
    s->cks[i] = *c;
    s->ncks++;
    return true;
}

/* Reads the file's checkpoints and summary, if it has them. */
static int read_index(struct seeker *s)
{
    size_t n = trace_reader_checkpoint_count(s->r);
    for (size_t i = 0; i < n; i++) {
        struct ckref c = {.seq = trace_reader_checkpoint_seq(s->r, i), .blob = 0};
        if (c.seq > trace_reader_event_count(s->r) || (s->ncks && c.seq <= s->cks[s->ncks - 1].seq))
            continue; /* a checkpoint beyond the events that arrived, or out of order */
        if (!add_ckref(s, &c))
            return MODEL_ENOMEM;
    }
    s->from_index = s->ncks > 0;
    s->file_ck_last = s->ncks ? s->cks[s->ncks - 1].seq : 0;
    s->window = trace_reader_first_event(s->r);
    if (s->window) {
        /* a windowed file: what can be summarised and checkpointed starts with its history */
        s->sum_frontier = s->ck_frontier = seeker_history_start(s);
    }
    size_t first;
    if (trace_reader_blob_range(s->r, TRACE_BLOB_MARKS, &first) == 1) {
        void *buf;
        size_t len;
        if (trace_reader_blob_load(s->r, first, &buf, &len) == 0) {
            if (summary_load(&s->sum, buf, len) == 0 &&
                s->sum.events == trace_reader_event_count(s->r)) {
                s->summary_from_file = true;
                s->sum_frontier = s->sum.events;
            } else {
                summary_release(&s->sum);
            }
            free(buf);
        }
    }
    return 0;
}

/* Opens the reader (from path, or fd when path is NULL), then the model and the index. */
static int seeker_open_any(struct seeker **out, const char *path, int fd, const char *name,
                           unsigned flags, char *err, size_t errlen)
{
    *out = NULL;
    struct seeker *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "%s: out of memory", path ? path : name);
        return MODEL_ENOMEM;
    }
    s->flags = flags;
    s->bad_seq = UINT64_MAX;
    summary_init(&s->sum);
    unsigned rflags = flags & SEEKER_FOLLOW ? TRACE_OPEN_FOLLOW : 0;
    int rc = path ? trace_reader_open(&s->r, path, rflags, err, errlen)
                  : trace_reader_open_fd(&s->r, fd, name, rflags, err, errlen);
    if (rc < 0) {
        free(s);
        return MODEL_ETRACE;
    }
    rc = model_new(&s->m, trace_reader_header(s->r));
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", trace_reader_path(s->r), model_strerror(rc));
        goto out_free;
    }
    rc = read_index(s);
    if (rc < 0) {
        snprintf(err, errlen, "%s: %s", trace_reader_path(s->r), model_strerror(rc));
        goto out_free;
    }
    s->next_ck = model_checkpoint_spacing(0);
    *out = s;
    return 0;

out_free:
    seeker_free(s);
    return rc;
}

int seeker_open(struct seeker **out, const char *path, unsigned flags, char *err, size_t errlen)
{
    return seeker_open_any(out, path, -1, NULL, flags, err, errlen);
}

int seeker_open_fd(struct seeker **out, int fd, const char *name, unsigned flags, char *err,
                   size_t errlen)
{
    return seeker_open_any(out, NULL, fd, name, flags, err, errlen);
}

void seeker_free(struct seeker *s)
{
    if (!s)
        return;
    model_free(s->m);
    trace_reader_free(s->r);
    summary_release(&s->sum);
    if (s->spill)
        fclose(s->spill);
    free(s->near);
    free(s->cks);
    for (size_t i = 0; i < s->nsources; i++) {
        free(s->sources[i].path);
        free(s->sources[i].text);
    }
    free(s->sources);
    free(s->cur_str);
    free(s);
}

/* ---- the sources of a real program ------------------------------------------------------------ */

struct source_scan {
    struct seeker *s;
    const char *path;
    size_t len;
};

/* Keeps every source_file and source_text met; stops at the text of the file asked for. */
static bool source_seen(void *ctx, const struct event *ev)
{
    struct source_scan *sc = ctx;
    struct seeker *s = sc->s;
    s->sources_scanned = ev->seq + 1;
    if (ev->kind == EV_SOURCE_FILE) {
        if (!codec_array_reserve((void **)&s->sources, &s->sources_cap, s->nsources + 1, sizeof *s->sources))
            return false;
        char *path = malloc(ev->str_len + 1);
        if (!path)
            return false;
        memcpy(path, ev->str, ev->str_len);
        path[ev->str_len] = '\0';
        s->sources[s->nsources++] = (struct seeker_source){.id = ev->u.source_file.id, .path = path,
                                                           .path_len = ev->str_len};
        return false;
    }
    if (ev->kind != EV_SOURCE_TEXT)
        return false;
    for (size_t i = 0; i < s->nsources; i++) {
        struct seeker_source *src = &s->sources[i];
        if (src->id != ev->u.source_text.file || src->text)
            continue;
        src->text = malloc(ev->str_len + 1);
        if (!src->text)
            return false;
        memcpy(src->text, ev->str, ev->str_len);
        src->text[ev->str_len] = '\0';
        src->text_len = ev->str_len;
        return src->path_len == sc->len && memcmp(src->path, sc->path, sc->len) == 0;
    }
    return false;
}

bool seeker_source(struct seeker *s, const char *path, size_t len, const char **text, size_t *text_len)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < s->nsources; i++) {
            const struct seeker_source *src = &s->sources[i];
            if (src->text && src->path_len == len && memcmp(src->path, path, len) == 0) {
                *text = src->text;
                *text_len = src->text_len;
                return true;
            }
        }
        if (pass || s->sources_scanned >= seeker_event_count(s))
            return false;
        struct source_scan sc = {s, path, len};
        uint64_t found;
        uint64_t pos = seeker_position(s);
        int rc = seeker_scan(s, s->sources_scanned, true, source_seen, &sc, &found);
        if (rc == 0)
            s->sources_scanned = seeker_event_count(s);
        seeker_seek(s, pos);
        if (rc < 0)
            return false;
    }
    return false;
}

size_t seeker_source_line(struct seeker *s, const char *path, size_t len, uint32_t line, char *buf, size_t cap,
                          bool *from_disk)
{
    *from_disk = false;
    buf[0] = '\0';
    if (line == 0 || cap == 0)
        return 0;
    const char *text;
    size_t tlen;
    char *disk = NULL;
    if (!seeker_source(s, path, len, &text, &tlen)) {
        /* not in the trace: the file as it is on this machine now, if it is there */
        char p[4096];
        if (len >= sizeof p)
            return 0;
        memcpy(p, path, len);
        p[len] = '\0';
        FILE *f = p[0] == '/' ? fopen(p, "rb") : NULL;
        if (!f)
            return 0;
        disk = malloc(1u << 20);
        tlen = disk ? fread(disk, 1, 1u << 20, f) : 0;
        fclose(f);
        if (!disk)
            return 0;
        text = disk;
        *from_disk = true;
    }
    const char *p = text, *end = text + tlen;
    for (uint32_t l = 1; l < line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    size_t n = 0;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    for (; p < end && *p != '\n' && *p != '\r' && n + 1 < cap; p++)
        buf[n++] = *p == '\t' ? ' ' : *p;
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    free(disk);
    return n;
}

const struct trace_header *seeker_header(const struct seeker *s)
{
    return trace_reader_header(s->r);
}

struct trace_reader *seeker_reader(struct seeker *s)
{
    return s->r;
}

const struct model *seeker_model(const struct seeker *s)
{
    return s->m;
}

const char *seeker_error(const struct seeker *s)
{
    return s->err;
}

uint64_t seeker_event_count(const struct seeker *s)
{
    return trace_reader_event_count(s->r);
}

uint64_t seeker_position(const struct seeker *s)
{
    return model_position(s->m);
}

size_t seeker_checkpoint_count(const struct seeker *s)
{
    return s->ncks;
}

bool seeker_is_following(const struct seeker *s)
{
    return (s->flags & SEEKER_FOLLOW) && !trace_reader_is_ended(s->r);
}

bool seeker_is_ended(const struct seeker *s)
{
    return trace_reader_is_ended(s->r);
}

/* The events not yet covered by the summary or, without the file's, by own checkpoints. */
static uint64_t frontier(const struct seeker *s)
{
    uint64_t f = s->sum_frontier;
    if (!s->from_index && s->ck_frontier < f)
        f = s->ck_frontier;
    return f;
}

bool seeker_is_indexed(const struct seeker *s)
{
    return frontier(s) >= seeker_event_count(s);
}

const struct model_summary *seeker_summary(const struct seeker *s)
{
    return summary_view((struct summary *)&s->sum);
}

/* ---- checkpoints ----------------------------------------------------------------------------- */

/* Saves the model at its position into the spill file (own checkpoints). */
static int spill_checkpoint(struct seeker *s)
{
    void *buf;
    size_t len;
    int rc = model_save(s->m, &buf, &len);
    if (rc < 0)
        return rc;
    if (!s->spill && !(s->spill = tmpfile())) {
        free(buf);
        return seek_fail(s, MODEL_ETRACE, "%s: cannot create a temporary file for checkpoints",
                         trace_reader_path(s->r));
    }
    struct ckref c = {.seq = model_position(s->m), .blob = -1, .off = s->spill_end, .len = len};
    bool ok = fseeko(s->spill, (off_t)s->spill_end, SEEK_SET) == 0 &&
              fwrite(buf, 1, len, s->spill) == len;
    free(buf);
    if (!ok)
        return seek_fail(s, MODEL_ETRACE, "%s: cannot write a checkpoint to a temporary file",
                         trace_reader_path(s->r));
    s->spill_end += len;
    if (!add_ckref(s, &c))
        return MODEL_ENOMEM;
    s->next_ck = c.seq + model_checkpoint_spacing(len);
    return 0;
}

/* The reader's index of the file's checkpoint at seq, or SIZE_MAX (the list shifts as a
 * window drops the oldest). */
static size_t file_checkpoint(const struct seeker *s, uint64_t seq)
{
    size_t lo = 0, hi = trace_reader_checkpoint_count(s->r);
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        uint64_t k = trace_reader_checkpoint_seq(s->r, mid);
        if (k == seq)
            return mid;
        if (k < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

static int load_checkpoint(struct seeker *s, const struct ckref *c)
{
    void *buf = NULL;
    size_t len = 0;
    if (c->blob >= 0) {
        size_t i = file_checkpoint(s, c->seq);
        if (i == SIZE_MAX)
            return seek_fail(s, MODEL_ERANGE, "%s: the checkpoint at event %" PRIu64 " was dropped",
                             trace_reader_path(s->r), c->seq);
        if (trace_reader_checkpoint_load(s->r, i, &buf, &len) < 0)
            return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
    } else {
        buf = malloc(c->len ? c->len : 1);
        if (!buf)
            return MODEL_ENOMEM;
        len = c->len;
        if (fseeko(s->spill, (off_t)c->off, SEEK_SET) != 0 || fread(buf, 1, len, s->spill) != len) {
            free(buf);
            return seek_fail(s, MODEL_ETRACE, "%s: cannot read back a checkpoint",
                             trace_reader_path(s->r));
        }
    }
    int rc = model_load_at(s->m, buf, len, c->seq);
    free(buf);
    if (rc == 0 && model_position(s->m) != c->seq) {
        model_reset(s->m);
        rc = MODEL_EFORMAT;
    }
    if (rc < 0)
        return seek_fail(s, rc, "%s: checkpoint at event %" PRIu64 ": %s", trace_reader_path(s->r),
                         c->seq, model_strerror(rc));
    return 0;
}

static void window_moved(struct seeker *s, uint64_t window);

/* Index of the last checkpoint at or before pos, or -1. */
static long checkpoint_before(const struct seeker *s, uint64_t pos)
{
    size_t lo = 0, hi = s->ncks;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->cks[mid].seq <= pos)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (long)lo - 1;
}

/* Reads the next events into the batch, none past position end: how many (0 at the end of what
 * has arrived), or MODEL_ETRACE with the reason in s->err. */
static ssize_t read_batch(struct seeker *s, uint64_t pos, uint64_t end)
{
    uint64_t want = end - pos < MODEL_BATCH ? end - pos : MODEL_BATCH;
    ssize_t n = trace_reader_read(s->r, s->batch, (size_t)want);
    if (n < 0)
        return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
    return n;
}

/* ---- folding forward ------------------------------------------------------------------------- */

/* Keeps ev, just folded, as the current event of the position after it (its text copied). */
static void keep_current(struct seeker *s, const struct event *ev)
{
    if (ev->str && ev->str_len > s->cur_str_cap) {
        char *p = realloc(s->cur_str, ev->str_len);
        if (!p) {
            s->cur_pos = 0;
            return;
        }
        s->cur_str = p;
        s->cur_str_cap = ev->str_len;
    }
    s->cur = *ev;
    if (ev->str && ev->str_len) {
        memcpy(s->cur_str, ev->str, ev->str_len);
        s->cur.str = s->cur_str;
    } else if (ev->str) {
        s->cur.str = ""; /* an empty text: nothing of the reader's buffer is kept */
    }
    s->cur_pos = ev->seq + 1;
}

/* Folds from the model's position up to target (or what has arrived).  Notes the events past the
 * frontier in the summary and makes own checkpoints there.  progress may be NULL. */
static int advance(struct seeker *s, uint64_t target, model_progress_fn progress, void *ctx)
{
    struct model *m = s->m;
    uint64_t pos = model_position(m);
    if (pos >= target)
        return 0;
    if (trace_reader_tell(s->r) != pos && trace_reader_seek(s->r, pos) < 0)
        return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
    bool own_ck = !s->from_index;
    uint64_t start = pos, next_progress = pos + (1u << 20);
    while (pos < target) {
        ssize_t n = read_batch(s, pos, target);
        if (n <= 0)
            return (int)n;
        ssize_t i = 0;
        if (pos + (uint64_t)n <= s->sum_frontier && (!own_ck || pos + (uint64_t)n <= s->ck_frontier)) {
            /* behind the frontier: nothing to note, the batch folds in one go */
            i = (ssize_t)model_fold_batch(m, s->batch, (size_t)n);
            pos += (uint64_t)i;
            if (pos >= target && i == n)
                keep_current(s, &s->batch[n - 1]);
        }
        for (; i < n; i++) {
            const struct event *ev = &s->batch[i];
            int rc = model_is_stopped(m) ? model_parts(m)->fold->stop_err : model_fold(m, ev);
            if (rc < 0) {
                if (rc == MODEL_EINCONSISTENT && pos < s->bad_seq) {
                    s->bad_seq = pos;
                    snprintf(s->bad_reason, sizeof s->bad_reason, "%s", model_error(m));
                }
                return seek_fail(s, rc, "%s: %s", trace_reader_path(s->r), model_error(m));
            }
            if (pos == s->sum_frontier) {
                if (!summary_note(&s->sum, ev, pos, m))
                    return MODEL_ENOMEM;
                s->sum_frontier = pos + 1;
            }
            if (own_ck && pos == s->ck_frontier) {
                s->ck_frontier = pos + 1;
                if (s->ck_frontier >= s->next_ck) {
                    rc = spill_checkpoint(s);
                    if (rc < 0)
                        return rc;
                }
            }
            pos++;
            if (pos == target)
                keep_current(s, ev);
        }
        if (progress && pos >= next_progress) {
            next_progress = pos + (1u << 20);
            if (!progress(ctx, pos - start, target - start))
                return seek_fail(s, MODEL_ERANGE, "cancelled");
        }
    }
    return 0;
}

int seeker_seek(struct seeker *s, uint64_t pos)
{
    uint64_t count = seeker_event_count(s);
    if (pos > count)
        return seek_fail(s, MODEL_ERANGE, "%s: event %" PRIu64 " is past the last event (%" PRIu64
                                          " events)",
                         trace_reader_path(s->r), pos, count);
    struct model *m = s->m;
    uint64_t cur = model_position(m);
    if (model_is_stopped(m) && pos > s->bad_seq && cur == s->bad_seq)
        return seek_fail(s, MODEL_EINCONSISTENT, "%s", s->bad_reason);
    if (pos < seeker_history_start(s) && pos != cur)
        return seek_fail(s, MODEL_ERANGE, "event %" PRIu64 " is before the history kept (from event %" PRIu64 ")",
                         pos, seeker_history_start(s));
    long c = checkpoint_before(s, pos);
    uint64_t base = c >= 0 ? s->cks[c].seq : 0;
    bool back = pos < cur, stepping = back && s->last_back && cur - pos <= STEP_BACK_MAX;
    s->last_back = back && cur - pos <= STEP_BACK_MAX;
    bool forward = !model_is_stopped(m) && cur <= pos && (base <= cur || pos - cur <= SEEK_NEAR) && cur >= s->window;
    if (!forward && s->near && s->near_seq <= pos && s->near_seq >= base &&
        model_load(m, s->near, s->near_len) == 0) {
        forward = true; /* from the step-back snapshot */
    }
    if (!forward) {
        int rc = -1;
        while (c >= 0 && (rc = load_checkpoint(s, &s->cks[c])) < 0) {
            /* a damaged checkpoint: forget it and use the one before (or one that a window
             * dropped while the seeker did not look: forget what it dropped) */
            memmove(&s->cks[c], &s->cks[c + 1], (s->ncks - (size_t)c - 1) * sizeof *s->cks);
            s->ncks--;
            c--;
            if (trace_reader_first_event(s->r) > s->window) {
                window_moved(s, trace_reader_first_event(s->r));
                c = checkpoint_before(s, pos);
            }
        }
        if (rc < 0 && s->window)
            return seek_fail(s, MODEL_ERANGE, "event %" PRIu64 " is before the history kept (from event %" PRIu64 ")",
                             pos, seeker_history_start(s));
        if (rc < 0)
            model_reset(m);
        uint64_t at = model_position(m);
        if ((s->flags & SEEKER_FOLLOW) && at > s->sum_frontier && !s->summary_from_file) {
            /* a jump past the frontier: the events between are not folded (see the top) */
            s->sum_frontier = at;
            if (!s->from_index && at > s->ck_frontier) {
                s->ck_frontier = at;
                s->next_ck = at + model_checkpoint_spacing(0);
            }
        }
    }
    if (pos > s->bad_seq) {
        /* fold up to the bad event, which stops the model with its reason */
        int rc = advance(s, s->bad_seq + 1, NULL, NULL);
        return rc < 0 ? rc : seek_fail(s, MODEL_EINCONSISTENT, "%s", s->bad_reason);
    }
    if (stepping && pos - model_position(m) > 2 * STEP_BACK_GAP) {
        /* the user walks back: keep a snapshot a little before, for the next steps */
        int rc = advance(s, pos - STEP_BACK_GAP, NULL, NULL);
        if (rc < 0)
            return rc;
        void *buf;
        size_t len;
        if (model_save(m, &buf, &len) == 0) {
            free(s->near);
            s->near = buf;
            s->near_len = len;
            s->near_seq = model_position(m);
        }
    }
    int rc = advance(s, pos, NULL, NULL);
    if (rc < 0)
        return rc;
    if (model_position(m) != pos)
        return seek_fail(s, MODEL_ETRACE, "%s: the trace ended at event %" PRIu64,
                         trace_reader_path(s->r), model_position(m));
    return 0;
}

int seeker_step(struct seeker *s, int64_t delta)
{
    uint64_t cur = model_position(s->m), count = seeker_event_count(s), to;
    if (delta < 0)
        to = (uint64_t)-delta > cur ? 0 : cur - (uint64_t)-delta;
    else
        to = (uint64_t)delta > count - cur ? count : cur + (uint64_t)delta;
    return seeker_seek(s, to);
}

int seeker_build_index(struct seeker *s, model_progress_fn progress, void *ctx)
{
    uint64_t count = seeker_event_count(s), back = model_position(s->m), f = frontier(s);
    if (f >= count)
        return 0;
    if (model_position(s->m) != f || model_is_stopped(s->m)) {
        long c = checkpoint_before(s, f);
        int rc = c >= 0 ? load_checkpoint(s, &s->cks[c]) : (model_reset(s->m), 0);
        if (rc < 0)
            return rc;
    }
    int rc = advance(s, count, progress, ctx);
    if (rc < 0 && rc != MODEL_EINCONSISTENT)
        return rc;
    if (back < seeker_history_start(s))
        back = seeker_history_start(s); /* a windowed file: back to its history's start */
    int rc2 = seeker_seek(s, back < s->bad_seq ? back : s->bad_seq);
    return rc < 0 ? rc : rc2;
}

/* Forgets what lies before the window's start (see the top). */
static void window_moved(struct seeker *s, uint64_t window)
{
    s->window = window;
    if (s->spill)
        fflush(s->spill);
    /* the checkpoints before the window, and the file's whose blob went with the chunks before
     * it (a checkpoint follows the chunk that holds its last event) */
    size_t n = 0;
    for (size_t i = 0; i < s->ncks; i++) {
        const struct ckref *c = &s->cks[i];
        bool gone = c->seq < window || (c->blob >= 0 && file_checkpoint(s, c->seq) == SIZE_MAX);
        if (!gone)
            s->cks[n++] = *c;
        else if (c->blob < 0 && c->len)
            fallocate(fileno(s->spill), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)c->off, (off_t)c->len);
    }
    s->ncks = n;
    if (s->cks_cap > 64 && s->ncks < s->cks_cap / 4) {
        size_t cap = s->ncks * 2 > 16 ? s->ncks * 2 : 16;
        struct ckref *p = realloc(s->cks, cap * sizeof *p);
        if (p)
            s->cks = p, s->cks_cap = cap;
    }
    if (s->near && s->near_seq < window) {
        free(s->near);
        s->near = NULL;
    }
    summary_forget_before(&s->sum, window);
}

int seeker_poll(struct seeker *s)
{
    int n = trace_reader_poll(s->r);
    if (n < 0)
        return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
    uint64_t window = trace_reader_first_event(s->r);
    if (window > s->window)
        window_moved(s, window);
    /* checkpoints the writer put in the stream */
    size_t nf = trace_reader_checkpoint_count(s->r);
    for (size_t i = nf; i-- > 0;) {
        uint64_t seq = trace_reader_checkpoint_seq(s->r, i);
        if (seq <= s->file_ck_last)
            break;
        struct ckref c = {.seq = seq, .blob = 0};
        if (seq >= s->window && seq <= seeker_event_count(s) && !add_ckref(s, &c))
            return MODEL_ENOMEM;
    }
    if (nf)
        s->file_ck_last = trace_reader_checkpoint_seq(s->r, nf - 1);
    return n;
}

uint64_t seeker_checkpoint_before(const struct seeker *s, uint64_t pos)
{
    long c = checkpoint_before(s, pos);
    return c >= 0 ? s->cks[c].seq : UINT64_MAX;
}

uint64_t seeker_history_start(const struct seeker *s)
{
    if (s->window == 0)
        return 0;
    if (s->ncks && s->cks[0].seq >= s->window)
        return s->cks[0].seq;
    uint64_t pos = model_position(s->m);
    return pos >= s->window ? pos : seeker_event_count(s);
}

/* ---- reading events without folding ---------------------------------------------------------- */

bool seeker_current_event(struct seeker *s, struct event *out)
{
    uint64_t pos = model_position(s->m);
    if (pos == 0)
        return false;
    if (s->cur_pos != pos) {
        /* the position came from a checkpoint: read its event once */
        if (trace_reader_seek(s->r, pos - 1) < 0)
            return false;
        struct event ev;
        if (trace_reader_next(s->r, &ev) != 1)
            return false;
        keep_current(s, &ev);
        if (s->cur_pos != pos)
            return false;
    }
    *out = s->cur;
    return true;
}

int seeker_events(struct seeker *s, uint64_t seq, struct event *evs, size_t n, char *strbuf,
                  size_t strsize)
{
    if (seq > seeker_event_count(s))
        return seek_fail(s, MODEL_ERANGE, "event %" PRIu64 " is past the end", seq);
    if (trace_reader_seek(s->r, seq) < 0)
        return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
    size_t got = 0, used = 0;
    while (got < n) {
        int rc = trace_reader_next(s->r, &evs[got]);
        if (rc < 0)
            return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
        if (rc == 0)
            break;
        struct event *ev = &evs[got++];
        if (ev->str) {
            size_t len = ev->str_len;
            if (len > strsize - used)
                len = strsize - used;
            if (len)
                memcpy(strbuf + used, ev->str, len);
            ev->str = strbuf ? strbuf + used : NULL;
            ev->str_len = (uint32_t)len;
            used += len;
        }
    }
    return (int)got;
}

int seeker_scan(struct seeker *s, uint64_t from, bool forward,
                bool (*match)(void *ctx, const struct event *ev), void *ctx, uint64_t *found)
{
    uint64_t count = seeker_event_count(s);
    if (from > count)
        from = count;
    if (forward) {
        if (trace_reader_seek(s->r, from) < 0)
            return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
        for (;;) {
            ssize_t n = read_batch(s, from, UINT64_MAX); /* as far as the events go */
            if (n <= 0)
                return (int)n;
            for (ssize_t i = 0; i < n; i++)
                if (match(ctx, &s->batch[i])) {
                    *found = s->batch[i].seq;
                    return 1;
                }
        }
    }
    /* backward: chunk by chunk from the one holding from - 1, the last match in each */
    size_t nchunks = trace_reader_chunk_count(s->r);
    for (size_t k = nchunks; k-- > 0;) {
        struct trace_chunk_info ci;
        trace_reader_chunk(s->r, k, &ci);
        if (ci.first_seq >= from)
            continue;
        uint64_t end = ci.first_seq + ci.count < from ? ci.first_seq + ci.count : from;
        if (trace_reader_seek(s->r, ci.first_seq) < 0)
            return seek_fail(s, MODEL_ETRACE, "%s", trace_reader_error(s->r));
        bool hit = false;
        uint64_t pos = ci.first_seq;
        while (pos < end) {
            ssize_t n = read_batch(s, pos, end);
            if (n < 0)
                return (int)n;
            if (n == 0)
                break;
            for (ssize_t i = 0; i < n; i++)
                if (match(ctx, &s->batch[i])) {
                    *found = s->batch[i].seq;
                    hit = true;
                }
            pos += (uint64_t)n;
        }
        if (hit)
            return 1;
    }
    return 0;
}
