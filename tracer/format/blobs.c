/*
 * blobs.c - storing typed blobs into an existing trace (FORMAT.md section 7).
 *
 * The model builds its checkpoints after a recording ends, in a pass over the finished file, and
 * stores them with trace_store_blobs().  The chunks are never rewritten: everything after the last
 * chunk (blobs, index, trailer) is.  Blobs of other types that lie after the last chunk are read
 * into memory first and written back, so that the file never holds a dead record; a crash in the
 * middle leaves a file without a trailer, which opens by scanning and still holds every event.
 *
 * Blobs are written as the file's version writes them: in version 3 compressed, in (type, key)
 * order, each as a delta from the one before of its type (FORMAT.md 7), one in FMT_DELTA_RUN
 * stored whole.  Checkpoints a few hundred thousand events apart share most of
 * their state, so a delta is a small fraction of a checkpoint.
 */
#include "format.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct pending {
    char type[4];
    uint64_t key;
    const void *data;
    size_t len;
    void *owned; /* data loaded from the file, freed at the end */
};

static int key_cmp(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}


static int pending_cmp(const void *a, const void *b)
{
    const struct pending *x = a, *y = b;
    int t = memcmp(x->type, y->type, 4);
    if (t)
        return t;
    return x->key < y->key ? -1 : x->key > y->key;
}

/* Appends one bLOB record to b, for a file of the version (a delta from base when not NULL). */
static void put_blob_record(struct codec_buf *b, void **cctx, uint32_t version, uint64_t file_bytes,
                            const struct pending *pb, const struct pending *base)
{
    /* compressed only when a reader will accept its size (FMT_BLOB_PER_FILE_BYTE) */
    int level = pb->len / FMT_BLOB_PER_FILE_BYTE < file_bytes ? FMT_ZSTD_LEVEL : 0;
    size_t start = b->len;
    uint8_t room[FMT_REC_HEAD] = {0};
    codec_buf_put(b, room, sizeof room);
    struct fmt_blob_base bb = {0};
    if (base)
        bb = (struct fmt_blob_base){.key = base->key, .data = base->data, .len = base->len};
    fmt_blob_payload(b, cctx, version, level, pb->type, pb->key, pb->data, pb->len, base ? &bb : NULL);
    if (!codec_buf_reserve(b, 4))
        return;
    fmt_record_seal(b->data + start, FMT_TAG_BLOB, (uint32_t)(b->len - start - FMT_REC_HEAD));
    b->len += 4;
}

int trace_store_blobs(const char *path, const char *type, const struct trace_blob *blobs,
                      size_t n, char *err, size_t errlen)
{
    if (strlen(type) != 4 || !fmt_blob_type_is_valid((const uint8_t *)type)) {
        snprintf(err, errlen, "%s: bad blob type '%s'", path, type);
        return TRACE_EFORMAT;
    }
    int rc = 0;
    uint64_t *keys = malloc((n ? n : 1) * sizeof *keys);
    if (!keys) {
        snprintf(err, errlen, "%s: out of memory", path);
        return TRACE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i] = blobs[i].key;
        if (blobs[i].len > UINT32_MAX - FMT_REC_OVERHEAD - 4 - CODEC_VARINT_MAX) {
            snprintf(err, errlen, "%s: blob %zu is too large", path, i);
            free(keys);
            return TRACE_EFORMAT;
        }
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    for (size_t i = 1; i < n; i++)
        if (keys[i] == keys[i - 1]) {
            snprintf(err, errlen, "%s: two blobs with key %llu", path, (unsigned long long)keys[i]);
            free(keys);
            return TRACE_EFORMAT;
        }
    free(keys);

    struct trace_reader *r;
    rc = trace_reader_open(&r, path, 0, err, errlen);
    if (rc)
        return rc;
    struct fmt_index *old = fmt_reader_index(r);
    struct fmt_index ix;
    struct pending *pend = NULL;
    size_t npend = 0;
    uint64_t *counts = NULL;
    struct codec_buf b;
    codec_buf_init(&b);
    fmt_index_init(&ix);
    int fd = -1;
    void *cctx = NULL;

    if (fmt_reader_is_pipe(r)) {
        rc = TRACE_EIO;
        snprintf(err, errlen, "%s: not a regular file", path);
        goto out_free_reader;
    }
    if (trace_reader_damage(r)) {
        rc = TRACE_EFORMAT;
        snprintf(err, errlen, "%s (not modified)", trace_reader_damage(r));
        goto out_free_reader;
    }
    size_t nkinds = trace_reader_kind_count(r);
    counts = calloc(nkinds, sizeof *counts);
    pend = calloc(old->nblobs + n + 1, sizeof *pend);
    if (!counts || !pend) {
        rc = TRACE_ENOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        goto out_free_reader;
    }
    rc = trace_reader_count_kinds(r, counts);
    if (rc) {
        snprintf(err, errlen, "%s (not modified)", trace_reader_error(r));
        goto out_free_reader;
    }

    /* The new index: the same chunks, the blobs kept in place, then those (re)written. */
    uint64_t cut = fmt_reader_head_end(r);
    if (old->nchunks)
        cut = old->chunks[old->nchunks - 1].offset + old->chunks[old->nchunks - 1].bytes;
    for (size_t i = 0; i < old->nchunks; i++)
        if (!fmt_index_push_chunk(&ix, &old->chunks[i]))
            rc = TRACE_ENOMEM;
    ix.nkinds = nkinds;
    ix.kind_events = counts;
    for (size_t i = 0; i < old->nblobs && !rc; i++) {
        const struct fmt_blob *ob = &old->blobs[i];
        if (memcmp(ob->type, type, 4) == 0)
            continue;
        if (ob->offset < cut) {
            if (!fmt_index_add_blob(&ix, ob))
                rc = TRACE_ENOMEM;
            continue;
        }
        struct pending *pb = &pend[npend];
        void *data;
        size_t len;
        rc = trace_reader_blob_load(r, i, &data, &len);
        if (rc) {
            snprintf(err, errlen, "%s (not modified)", trace_reader_error(r));
            goto out_free_pending;
        }
        memcpy(pb->type, ob->type, 4);
        pb->key = ob->key;
        pb->data = pb->owned = data;
        pb->len = len;
        npend++;
    }
    for (size_t i = 0; i < n; i++) {
        struct pending *pb = &pend[npend++];
        memcpy(pb->type, type, 4);
        pb->key = blobs[i].key;
        pb->data = blobs[i].data;
        pb->len = blobs[i].len;
    }
    qsort(pend, npend, sizeof *pend, pending_cmp); /* deltas go in (type, key) order */
    if (rc) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto out_free_pending;
    }

    fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = TRACE_EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out_free_pending;
    }
    if (ftruncate(fd, (off_t)cut) < 0 || lseek(fd, (off_t)cut, SEEK_SET) < 0) {
        rc = TRACE_EIO;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        goto out_close_file;
    }
    uint64_t at = cut;
    uint32_t version = trace_reader_header(r)->version;
    unsigned run = 0; /* deltas since a blob stored whole */
    for (size_t i = 0; i < npend; i++) {
        b.len = 0;
        const struct pending *base = NULL;
        if (i > 0 && memcmp(pend[i - 1].type, pend[i].type, 4) == 0 && run + 1 < FMT_DELTA_RUN) {
            base = &pend[i - 1];
            run++;
        } else {
            run = 0;
        }
        put_blob_record(&b, &cctx, version, at, &pend[i], base);
        struct fmt_blob nb = {.key = pend[i].key, .offset = at, .bytes = b.len};
        memcpy(nb.type, pend[i].type, 4);
        if (b.failed || !fmt_index_add_blob(&ix, &nb)) {
            rc = TRACE_ENOMEM;
            snprintf(err, errlen, "%s: out of memory", path);
            goto out_close_file;
        }
        if (fmt_write_all(fd, b.data, b.len) < 0) {
            rc = TRACE_EIO;
            snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
            goto out_close_file;
        }
        at += b.len;
    }
    fmt_index_sort_blobs(&ix);
    b.len = 0;
    uint8_t room[FMT_REC_HEAD] = {0};
    codec_buf_put(&b, room, sizeof room);
    fmt_index_encode(&ix, &b);
    codec_buf_reserve(&b, 4 + FMT_TRAILER_LEN);
    if (b.failed || b.len - FMT_REC_HEAD > FMT_MAX_INDX) {
        rc = TRACE_ENOMEM;
        snprintf(err, errlen, "%s: out of memory", path);
        goto out_close_file;
    }
    size_t plen = b.len - FMT_REC_HEAD;
    fmt_record_seal(b.data, FMT_TAG_INDX, (uint32_t)plen);
    uint8_t *t = b.data + b.len + 4;
    codec_put_u64le(t + FMT_REC_HEAD, at);
    fmt_record_seal(t, FMT_TAG_TAIL, 8);
    if (fmt_write_all(fd, b.data, b.len + 4 + FMT_TRAILER_LEN) < 0) {
        rc = TRACE_EIO;
        snprintf(err, errlen, "%s: write: %s", path, strerror(errno));
    }
out_close_file:
    if (close(fd) < 0 && !rc) {
        rc = TRACE_EIO;
        snprintf(err, errlen, "%s: close: %s", path, strerror(errno));
    }
out_free_pending:
    for (size_t i = 0; i < npend; i++)
        free(pend[i].owned);
out_free_reader:
    ix.kind_events = NULL;
    fmt_index_release(&ix);
    codec_buf_release(&b);
    fmt_zstd_free(&cctx, NULL);
    free(counts);
    free(pend);
    trace_reader_free(r);
    return rc;
}

int trace_store_checkpoints(const char *path, const struct trace_blob *blobs, size_t n, char *err,
                            size_t errlen)
{
    return trace_store_blobs(path, TRACE_BLOB_CHECKPOINT, blobs, n, err, errlen);
}
