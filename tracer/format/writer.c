/*
 * writer.c - the trace writer: an event sink that encodes events into chunks (FORMAT.md).
 *
 * Design
 * ------
 * The writer is on the hot path of every recording: it must cost a few nanoseconds per event
 * and never allocate from the observed heap.  This file takes events from the producer and runs
 * the writer's life cycle and blobs; writer_encode.c encodes events and assembles chunks;
 * writer_thread.c runs the encoder thread (writer_private.h: the state they share).
 *
 * - Where chunks are written.  Each event is encoded as it is emitted, in the producer's thread.
 *   By default a full chunk is also compressed, checksummed and written there.  A long recording
 *   that nobody follows (it was not flushed when its first chunk was sealed) hands that work to
 *   an *encoder thread* of the writer's own:
 *
 *       emit ──▶ encode into the chunk buffer ──▶ ring of full chunks ──▶ encoder thread:
 *                                                                        zstd, CRC, write(2)
 *
 *   At a full chunk the producer swaps its buffer for the one of the ring's next slot (written
 *   already) and goes on; the thread compresses and writes the chunks in order.  The handover is
 *   a mutex and two condition variables per chunk (some twenty thousand events), and the
 *   producer waits only when all NRING chunks wait for the thread.  The thread takes what is
 *   costly and has nothing to do with the producer's state, and only the encoded bytes (a few
 *   per event) cross from one processor to the other: handing over each event instead (a record
 *   of its words, encoded by the thread) cost more CPU time in all than encoding it at once, in
 *   copies and in cache lines moving between the processors.  A flush waits until the encoder
 *   thread has written everything and brings the writing back to the producer's thread for good,
 *   so that trace_writer_flush() keeps meaning "every event emitted so far is readable" and a
 *   live viewer pays no handover per step.  The producer's fields (the encoding) and the file's
 *   are disjoint; the file's belong to whichever thread writes chunks and change hands only
 *   through the mutex or a join.  The bytes are the same either way.
 *
 * - Encoding.  Each kind has its own encoder, generated from EVENT_KINDS: the field types are
 *   known at compile time and the per-field work is a varint store or an address code; the
 *   state (output position, address history registers) lives in locals while an event is
 *   encoded.  The kinds that are an address and at most one small word, nearly all of a heap's
 *   events, share one straight path (the lanes), because a jump on the kind in a stream of
 *   allocations and frees is one the processor cannot predict.  Varints below 2^21 are stored
 *   without a branch on their length.  The file's schema is this program's table, so file kind
 *   ids are enum event_kind values.
 *
 * - A chunk is built in one buffer laid out as the record it will become:
 *
 *       [ room for tag, length, first_seq, count, first_ns, size | events ... | room for the CRC ]
 *                                                          ^ EV_START
 *
 *   When the chunk ends its events are compressed with zstd (FORMAT.md 6, version 3) into a
 *   second buffer laid out the same way, unless that does not make them smaller; the chunk header
 *   is written right-aligned against the events (or their frame), the record is sealed and
 *   written with one write(2).  Compression belongs to whichever thread writes chunks.  The
 *   buffer grows only for an event whose text does not fit (texts are at most 1 MiB: a longer
 *   one is the writer's error, never cut).
 *
 * - The address history of FORMAT.md section 6.3 is kept as a direct-mapped hash table from an
 *   address to the stamp (a running count of addresses coded, 32 bits) of its latest
 *   occurrence.  Starting a chunk resets the stamps to a value FMT_HISTORY addresses old, so a
 *   hit is a repeat when it is less than FMT_HISTORY old; a collision only loses a repeat (the
 *   address is then coded as a delta), never correctness.
 *
 * - Time: the clock is read when a chunk's first event arrives.
 *
 * - A window (a live trace's cap, header field 20, FORMAT.md 8.1): when the records kept come
 *   within a sixteenth of the window, the oldest chunks are dropped at a chunk boundary until
 *   the rest take at most seven eighths of it, so that drops come in batches: a wNDW record names
 *   the first chunk kept, then fallocate(FALLOC_FL_PUNCH_HOLE) frees the bytes before it.
 *   Offsets stay valid (the file keeps its size; the hole reads as zeros), the disk holds at most
 *   the window (the next record fits in the sixteenth left, unless one record is larger than
 *   that), and the writer's list of chunks for the index only holds the ones kept.  The record
 *   comes before the hole, so that a reader that meets zeros where a chunk was finds, by reading
 *   on, that it was dropped rather than damaged.
 *
 * - Errors are sticky (redis's rio): the first failure is kept with its message, later events
 *   are dropped, and trace_writer_finish() reports it.  Producers never check per event.  An
 *   error met by the encoder thread reaches the producer at its next full chunk.
 */
#include "writer_private.h"

#include <allocator/errmsg.h>

#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void writer_set_error(struct trace_writer *w, int err, const char *fmt, ...)
{
    if (w->err)
        return;
    w->err = err;
    va_list ap;
    va_start(ap, fmt);
    errmsg_vformat(w->msg, sizeof w->msg, w->name, fmt, ap);
    va_end(ap);
    atomic_store_explicit(&w->failed, true, memory_order_release);
}

static uint64_t clock_monotonic(void *ctx)
{
    (void)ctx;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void writer_write_bytes(struct trace_writer *w, const void *p, size_t n)
{
    if (w->err)
        return;
    if (fmt_write_all(w->fd, p, n) < 0) {
        writer_set_error(w, TRACE_EIO, "write: %s", strerror(errno));
        return;
    }
    w->offset += n;
    atomic_store_explicit(&w->written, w->offset, memory_order_relaxed);
}

/* ---- the producer --------------------------------------------------------------------------- */

/* A producer's error (a bad kind, memory for a record): kept as the encoder's first error once
 * the encoder thread, if any, is idle. */
static NOINLINE void producer_fail(struct trace_writer *w, int err, const char *what)
{
    writer_encode_all(w);
    writer_set_error(w, err, "%s", what);
    w->stopped = true;
}

/* An event emitted when the writer is stopped, or of a kind not in the table. */
void writer_emit_refused(struct trace_writer *w, const struct event *ev)
{
    if (atomic_load_explicit(&w->failed, memory_order_acquire))
        return; /* an error met before */
    char what[64];
    if (w->finished)
        snprintf(what, sizeof what, "event of kind %d emitted after finish", (int)ev->kind);
    else
        snprintf(what, sizeof what, "event of kind %d is not in the table", (int)ev->kind);
    producer_fail(w, TRACE_EFORMAT, what);
}

/* A text longer than a trace keeps (FORMAT.md 6.3) is an error, not a cut: nothing is lost
 * silently. */
void writer_text_refused(struct trace_writer *w, const struct event *ev)
{
    char what[128];
    snprintf(what, sizeof what, "an event's text of %" PRIu32 " bytes is longer than the %u a trace keeps",
             ev->str_len, FMT_MAX_TEXT);
    producer_fail(w, TRACE_EFORMAT, what);
}

/* ---- life cycle ------------------------------------------------------------------------------- */

static int writer_start(struct trace_writer *w, const struct trace_header *hdr)
{
    struct trace_header h = *hdr;
    if (h.clock_realtime_ns == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        h.clock_realtime_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    }
    w->now = clock_monotonic;
    w->clock_origin = clock_monotonic(NULL);
    w->cap = CHUNK_BUF_BYTES;
    w->buf = malloc(w->cap);
    if (!w->buf) {
        writer_set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    w->len = EV_START;
    w->level = FMT_ZSTD_LEVEL;
    writer_history_reset(w);
    fmt_lanes_init();

    struct codec_buf b;
    codec_buf_init(&b);
    uint8_t prefix[FMT_PREFIX_LEN + FMT_REC_HEAD] = {0};
    memcpy(prefix, FMT_MAGIC, FMT_MAGIC_LEN);
    codec_put_u32le(prefix + FMT_MAGIC_LEN, FMT_VERSION);
    codec_buf_put(&b, prefix, sizeof prefix); /* the prefix and room for HEAD's tag and length */
    fmt_header_encode(&b, &h);
    codec_buf_reserve(&b, 4);
    if (b.failed) {
        codec_buf_release(&b);
        writer_set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    size_t plen = b.len - sizeof prefix;
    fmt_record_seal(b.data + FMT_PREFIX_LEN, FMT_TAG_HEAD, (uint32_t)plen);
    writer_write_bytes(w, b.data, b.len + 4);
    codec_buf_release(&b);
    w->ix.nkinds = EV_KIND_COUNT;
    w->window = h.window;
    w->ix.windowed = h.window != 0;
    w->head_end = w->punched_to = w->offset;
    struct stat st;
    w->block = fstat(w->fd, &st) == 0 && st.st_blksize > 0 ? (uint64_t)st.st_blksize : 4096;
    return w->err;
}

static int writer_new(struct trace_writer **out, int fd, bool own, const char *name,
                      const struct trace_header *hdr, char *err, size_t errlen)
{
    *out = NULL;
    struct trace_writer *w = calloc(1, sizeof *w);
    char *nm = strdup(name);
    if (!w || !nm) {
        free(w);
        free(nm);
        if (own)
            close(fd);
        snprintf(err, errlen, "%s: out of memory", name);
        return TRACE_ENOMEM;
    }
    w->fd = fd;
    w->own_fd = own;
    w->may_thread = sysconf(_SC_NPROCESSORS_ONLN) >= 2;
    w->name = nm;
    atomic_init(&w->failed, false);
    atomic_init(&w->written, 0);
    fmt_index_init(&w->ix);
    int rc = writer_start(w, hdr);
    if (rc) {
        snprintf(err, errlen, "%s", w->msg);
        trace_writer_free(w);
        return rc;
    }
    *out = w;
    return 0;
}

int trace_writer_open(struct trace_writer **out, const char *path, const struct trace_header *hdr,
                      char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0)
        return writer_new(out, STDOUT_FILENO, false, "<stdout>", hdr, err, errlen);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        *out = NULL;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return TRACE_EIO;
    }
    return writer_new(out, fd, true, path, hdr, err, errlen);
}

int trace_writer_open_fd(struct trace_writer **out, int fd, const char *name,
                         const struct trace_header *hdr, char *err, size_t errlen)
{
    return writer_new(out, fd, false, name, hdr, err, errlen);
}

void trace_writer_set_clock(struct trace_writer *w, uint64_t (*now_ns)(void *ctx), void *ctx)
{
    w->now = now_ns;
    w->now_ctx = ctx;
    w->clock_origin = now_ns(ctx);
}

void trace_writer_set_thread(struct trace_writer *w, enum trace_writer_thread mode)
{
    w->thread_mode = mode;
    if (w->stopped)
        return;
    if (mode == TRACE_WRITER_THREAD_NEVER && w->async) {
        writer_encode_all(w);
        w->async = false; /* the thread idles until the writer finishes */
    } else if (mode == TRACE_WRITER_THREAD_ALWAYS) {
        w->may_thread = true; /* even on one processor: the caller asked */
        if (w->thread_live)
            w->async = true;
        else
            writer_maybe_thread(w);
    }
}

void trace_writer_set_level(struct trace_writer *w, int level)
{
    writer_encode_all(w); /* the encoder thread, if any, is idle: its level may change */
    w->level = level;
}

int trace_writer_flush(struct trace_writer *w)
{
    w->flushed = true;
    writer_encode_all(w);
    w->async = false; /* the encoder thread idles until the writer finishes */
    writer_chunk_end(w);
    if (w->err)
        w->stopped = true;
    return w->err;
}

int trace_writer_finish(struct trace_writer *w)
{
    if (w->finished)
        return w->err;
    writer_encode_all(w);
    writer_thread_stop(w);
    writer_chunk_end(w);
    w->finished = true;
    w->stopped = true;
    if (w->err)
        return w->err;

    struct codec_buf b;
    codec_buf_init(&b);
    uint8_t room[FMT_REC_HEAD] = {0};
    codec_buf_put(&b, room, sizeof room);
    w->ix.kind_events = w->kind_events; /* borrowed for encoding */
    fmt_index_sort_blobs(&w->ix);
    if (w->ix.first_seq)
        w->ix.nkinds = 0; /* the counts are of every event, not of those kept */
    fmt_index_encode(&w->ix, &b);
    w->ix.kind_events = NULL;
    codec_buf_reserve(&b, 4 + FMT_TRAILER_LEN);
    if (b.failed || b.len - FMT_REC_HEAD > FMT_MAX_INDX) {
        codec_buf_release(&b);
        writer_set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    uint64_t index_at = w->offset;
    size_t plen = b.len - FMT_REC_HEAD;
    fmt_record_seal(b.data, FMT_TAG_INDX, (uint32_t)plen);
    uint8_t *t = b.data + b.len + 4;
    codec_put_u64le(t + FMT_REC_HEAD, index_at);
    fmt_record_seal(t, FMT_TAG_TAIL, 8);
    writer_write_bytes(w, b.data, b.len + 4 + FMT_TRAILER_LEN);
    codec_buf_release(&b);
    if (w->own_fd && !w->err) {
        if (close(w->fd) < 0)
            writer_set_error(w, TRACE_EIO, "close: %s", strerror(errno));
        w->own_fd = false;
        w->fd = -1;
    }
    return w->err;
}

/* The base of a delta for a blob of the type and key: the last blob put, when it is of the same
 * type with a lower key and fewer than FMT_DELTA_RUN deltas came since one stored whole; never
 * in a windowed file, which may drop a base. */
static bool blob_base(struct trace_writer *w, const char type[4], uint64_t key, int level,
                      struct fmt_blob_base *base)
{
    if (w->window || level == 0 || !w->last_blob.data || memcmp(w->last_blob.type, type, 4) != 0 ||
        w->last_blob.key >= key || w->last_blob.run + 1 >= FMT_DELTA_RUN) {
        w->last_blob.run = 0;
        return false;
    }
    w->last_blob.run++;
    *base = (struct fmt_blob_base){.key = w->last_blob.key, .data = w->last_blob.data, .len = w->last_blob.len};
    return true;
}

/* Keeps the blob as the next one's base (dropped when memory is short: the next is stored whole). */
static void blob_keep(struct trace_writer *w, const char type[4], uint64_t key, const void *data, size_t len)
{
    if (w->window)
        return;
    void *copy = realloc(w->last_blob.data, len ? len : 1);
    if (!copy) {
        free(w->last_blob.data);
        w->last_blob.data = NULL;
        return;
    }
    memcpy(copy, data, len);
    memcpy(w->last_blob.type, type, 4);
    w->last_blob.key = key;
    w->last_blob.data = copy;
    w->last_blob.len = len;
}

int trace_writer_put_blob(struct trace_writer *w, const char type[4], uint64_t key, const void *data, size_t len)
{
    writer_encode_all(w);
    writer_chunk_end(w);
    if (w->err)
        return w->err;
    if (len > UINT32_MAX - FMT_REC_OVERHEAD - 4 - CODEC_VARINT_MAX) {
        writer_set_error(w, TRACE_ENOMEM, "a blob of %zu bytes is too large", len);
        return w->err;
    }
    struct codec_buf b;
    codec_buf_init(&b);
    uint8_t room[FMT_REC_HEAD] = {0};
    codec_buf_put(&b, room, sizeof room);
    int level = len / FMT_BLOB_PER_FILE_BYTE < w->offset ? w->level : 0; /* what a reader accepts */
    struct fmt_blob_base base;
    bool delta = blob_base(w, type, key, level, &base);
    fmt_blob_payload(&b, &w->zctx, FMT_VERSION, level, type, key, data, len, delta ? &base : NULL);
    blob_keep(w, type, key, data, len);
    codec_buf_reserve(&b, 4);
    if (b.failed) {
        codec_buf_release(&b);
        writer_set_error(w, TRACE_ENOMEM, "out of memory");
        return w->err;
    }
    uint32_t plen = (uint32_t)(b.len - FMT_REC_HEAD);
    fmt_record_seal(b.data, FMT_TAG_BLOB, plen);
    struct fmt_blob bl = {.key = key, .offset = w->offset, .bytes = plen + FMT_REC_OVERHEAD};
    memcpy(bl.type, type, 4);
    writer_write_bytes(w, b.data, b.len + 4);
    codec_buf_release(&b);
    if (!w->err && !fmt_index_add_blob(&w->ix, &bl))
        writer_set_error(w, TRACE_ENOMEM, "out of memory");
    writer_window_check(w);
    return w->err;
}

const char *trace_writer_error(const struct trace_writer *w)
{
    return atomic_load_explicit(&w->failed, memory_order_acquire) ? w->msg : NULL;
}

uint64_t trace_writer_event_count(const struct trace_writer *w)
{
    return w->seq;
}

uint64_t trace_writer_bytes(const struct trace_writer *w)
{
    return atomic_load_explicit(&w->written, memory_order_relaxed);
}

void trace_writer_free(struct trace_writer *w)
{
    if (!w)
        return;
    /* Every whole chunk is written, as a writer that encoded each event at once would have;
     * the last, partial one is not. */
    if (!w->finished)
        writer_encode_all(w);
    writer_thread_stop(w);
    if (w->own_fd && w->fd >= 0)
        close(w->fd);
    fmt_index_release(&w->ix);
    for (size_t i = 0; i < NRING; i++)
        free(w->ring[i].buf);
    free(w->buf);
    free(w->zbuf);
    free(w->last_blob.data);
    fmt_zstd_free(&w->zctx, NULL);
    free(w->name);
    free(w);
}
