/*
 * reader.c - the trace reader: opening, index rebuilding, following, verifying, blobs; its
 * second half, decode.c, loads chunks and decodes, reads and seeks events.
 *
 * Design
 * ------
 * Everything the reader reads comes through one descriptor read with pread(2): the trace file
 * itself, or, for a pipe, a *spool*: an unlinked temporary file that the reader appends what the
 * pipe delivers to.  So a pipe is read like a file that grows, seeking back works on it, and a
 * viewer's memory does not grow with the length of a live run.
 *
 * The reader knows the file as a list of chunks (the index).  It gets that list from the file's
 * iNDX record when the trailer and index are sound ("complete"), or by *scanning*: reading the
 * records after the header one by one, checking each CRC, until the end of the file, a record
 * that runs past it (truncated) or a damaged one (FORMAT.md section 9).  Following a growing file
 * or pipe is the same scan, resumed by trace_reader_poll() whenever more bytes arrived.
 *
 * Reading an event decodes it from the one chunk held in memory (verified by its CRC when it was
 * loaded, padded with zero bytes so that a varint never reads outside the buffer).  The decoder
 * is driven by a *plan* per file kind, built once from the file's schema: for each field its
 * coding and where it goes in this program's struct event (FORMAT.md section 5's mapping by
 * name).  Seeking loads the chunk holding the event and decodes forward to it.  The reader's state
 * is in reader.h, shared by the two halves.
 *
 * Every length is checked before it is used and every allocation is bounded by bytes that are
 * actually present in the file: hostile input costs at most one chunk's worth of memory.  A
 * compressed chunk (version 3) declares the size of its events: one above the largest chunk
 * payload is refused before anything is allocated for it, and zstd decompresses into exactly the
 * size declared, so a frame that says otherwise fails.  A compressed blob is bounded the same
 * way (FMT_MAX_BLOB_DATA).  A delta blob is loaded from the last blob stored whole before it,
 * forward; the last blob loaded is kept, so that loading checkpoints in order decompresses each
 * once.
 */
#include "reader.h"

#include <allocator/errmsg.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define WAIT_HEADER_MS 5000     /* following: how long open waits for the header to arrive */
#define SPOOL_READ (64u << 10)  /* bytes read from a pipe at a time */
#define SPOOL_PULL_MAX (4u << 20) /* bytes taken from a pipe by one pull, so that a pull ends */

int reader_fail(struct trace_reader *r, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vformat(r->msg, sizeof r->msg, r->path, fmt, ap);
    va_end(ap);
    return err;
}

static void set_damage(struct trace_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_damage(struct trace_reader *r, const char *fmt, ...)
{
    if (r->damage[0]) /* the first damage is the one reported */
        return;
    va_list ap;
    va_start(ap, fmt);
    errmsg_vformat(r->damage, sizeof r->damage, r->path, fmt, ap);
    va_end(ap);
}

int reader_read_at(struct trace_reader *r, void *buf, size_t n, uint64_t off)
{
    if (off > r->size || n > r->size - off)
        return TRACE_ETRUNCATED;
    if (fmt_pread_all(r->fd, buf, n, off) < 0)
        return errno ? TRACE_EIO : TRACE_ETRUNCATED;
    return 0;
}

/* ---- the source: a file, or a pipe spooled to a temporary file ------------------------------- */

static int spool_open(void)
{
    const char *dir = getenv("TMPDIR");
    if (!dir || !*dir)
        dir = "/tmp";
    int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0)
        return fd;
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/arenascope-spool-XXXXXX", dir);
    fd = mkostemp(tmpl, O_CLOEXEC);
    if (fd >= 0)
        unlink(tmpl);
    return fd;
}

/* Moves what the pipe has, up to SPOOL_PULL_MAX bytes, into the spool.  Waits up to timeout_ms for
 * the first bytes (0: not at all, -1: until the pipe delivers or closes).  Returns 0 or an
 * error. */
static int spool_pull(struct trace_reader *r, int timeout_ms)
{
    uint8_t buf[SPOOL_READ];
    for (uint64_t pulled = 0; pulled < SPOOL_PULL_MAX;) {
        if (r->src_eof)
            return 0;
        struct pollfd pfd = {.fd = r->src_fd, .events = POLLIN};
        int k = poll(&pfd, 1, timeout_ms);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return reader_fail(r, TRACE_EIO, "poll: %s", strerror(errno));
        }
        if (k == 0)
            return 0;
        ssize_t n = read(r->src_fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                return 0;
            return reader_fail(r, TRACE_EIO, "read: %s", strerror(errno));
        }
        if (n == 0) {
            r->src_eof = true;
            return 0;
        }
        size_t done = 0;
        while (done < (size_t)n) {
            ssize_t w = pwrite(r->fd, buf + done, (size_t)n - done, (off_t)(r->size + done));
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                return reader_fail(r, TRACE_EIO, "spool: %s", strerror(errno));
            }
            done += (size_t)w;
        }
        r->size += (uint64_t)n;
        pulled += (uint64_t)n;
        timeout_ms = 0; /* take what is there, without waiting again */
    }
    return 0;
}

/* Learns how many bytes exist now.  timeout_ms as for spool_pull. */
static int source_update(struct trace_reader *r, int timeout_ms)
{
    if (r->src_fd >= 0)
        return spool_pull(r, timeout_ms);
    struct stat st;
    if (fstat(r->fd, &st) < 0)
        return reader_fail(r, TRACE_EIO, "%s", strerror(errno));
    if ((uint64_t)st.st_size > r->size)
        r->size = (uint64_t)st.st_size;
    return 0;
}

static bool source_is_final(const struct trace_reader *r)
{
    return !r->follow || r->src_eof;
}

/* ---- the header ------------------------------------------------------------------------------ */

/* Reads the prefix and the header.  Errors here mean the file cannot be read at all. */
static int read_header(struct trace_reader *r)
{
    uint8_t pre[FMT_PREFIX_LEN + FMT_REC_HEAD];
    size_t have = r->size < sizeof pre ? (size_t)r->size : sizeof pre;
    if (have && reader_read_at(r, pre, have, 0) < 0)
        return reader_fail(r, TRACE_EIO, "%s", strerror(errno));
    if (r->size == 0)
        return reader_fail(r, TRACE_EFORMAT, "empty file");
    size_t m = have < FMT_MAGIC_LEN ? have : FMT_MAGIC_LEN;
    if (memcmp(pre, FMT_MAGIC, m) != 0)
        return reader_fail(r, TRACE_EFORMAT, "not an arenascope trace");
    if (have < FMT_PREFIX_LEN)
        return reader_fail(r, TRACE_ETRUNCATED, "ends inside its header (%zu bytes)", have);
    uint32_t version = codec_get_u32le(pre + FMT_MAGIC_LEN);
    r->hdr.version = version;
    if (version == 0)
        return reader_fail(r, TRACE_EFORMAT, "not an arenascope trace (format version 0)");
    if (version > FMT_VERSION)
        return reader_fail(r, TRACE_EVERSION,
                           "written by a newer arenascope (format version %u; this one reads up to %u)",
                           version, FMT_VERSION);
    if (have < sizeof pre)
        return reader_fail(r, TRACE_ETRUNCATED, "ends inside its header (%zu bytes)", have);
    const uint8_t *rec = pre + FMT_PREFIX_LEN;
    if (memcmp(rec, FMT_TAG_HEAD, 4) != 0)
        return reader_fail(r, TRACE_EFORMAT, "no header record at byte %u", FMT_PREFIX_LEN);
    uint32_t len = codec_get_u32le(rec + 4);
    if (len > FMT_MAX_HEAD)
        return reader_fail(r, TRACE_EFORMAT, "header at byte %u: bad length", FMT_PREFIX_LEN);
    uint64_t total = (uint64_t)len + FMT_REC_OVERHEAD;
    if (r->size - FMT_PREFIX_LEN < total)
        return reader_fail(r, TRACE_ETRUNCATED, "ends inside its header (%llu bytes)",
                           (unsigned long long)r->size);
    uint8_t *buf = malloc((size_t)total);
    if (!buf)
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    int rc = reader_read_at(r, buf, (size_t)total, FMT_PREFIX_LEN);
    if (rc) {
        free(buf);
        return reader_fail(r, rc, "reading the header: %s", rc == TRACE_EIO ? strerror(errno) : "short read");
    }
    if (codec_crc32c(0, buf, FMT_REC_HEAD + (size_t)len) != codec_get_u32le(buf + FMT_REC_HEAD + len)) {
        free(buf);
        return reader_fail(r, TRACE_EFORMAT, "header at byte %u: bad checksum", FMT_PREFIX_LEN);
    }
    char why[256];
    rc = fmt_header_decode(buf + FMT_REC_HEAD, len, &r->hdr, &r->schema, why, sizeof why);
    free(buf);
    r->hdr.version = version;
    if (rc)
        return reader_fail(r, rc, "header at byte %u: %s", FMT_PREFIX_LEN, why);
    reader_plan_build(r);
    r->head_end = FMT_PREFIX_LEN + total;
    r->scan_pos = r->head_end;
    return 0;
}

/* ---- the index, read or rebuilt ------------------------------------------------------------------ */

/* Returns 1 when the file is complete (the index is loaded), 0 when it has no trailer, and sets
 * the damage message (returning 0) when it has a damaged one. */
static int read_index(struct trace_reader *r)
{
    uint8_t t[FMT_TRAILER_LEN];
    if (r->size < r->head_end + FMT_TRAILER_LEN)
        return 0;
    uint64_t tpos = r->size - FMT_TRAILER_LEN;
    if (reader_read_at(r, t, sizeof t, tpos) < 0)
        return 0;
    if (memcmp(t, FMT_TAG_TAIL, 4) != 0)
        return 0; /* no trailer: a recording that did not finish */
    if (codec_get_u32le(t + 4) != 8 ||
        codec_crc32c(0, t, FMT_REC_HEAD + 8) != codec_get_u32le(t + FMT_REC_HEAD + 8)) {
        set_damage(r, "bad trailer at byte %llu (index rebuilt by scanning)", (unsigned long long)tpos);
        return 0;
    }
    uint64_t io = codec_get_u64le(t + FMT_REC_HEAD);
    uint8_t h[FMT_REC_HEAD];
    if (io < r->head_end || io > tpos || tpos - io < FMT_REC_OVERHEAD || reader_read_at(r, h, sizeof h, io) < 0 ||
        memcmp(h, FMT_TAG_INDX, 4) != 0 || codec_get_u32le(h + 4) != tpos - io - FMT_REC_OVERHEAD ||
        codec_get_u32le(h + 4) > FMT_MAX_INDX) {
        set_damage(r, "bad index at byte %llu (rebuilt by scanning)", (unsigned long long)io);
        return 0;
    }
    size_t len = codec_get_u32le(h + 4);
    uint8_t *buf = malloc(len + FMT_REC_OVERHEAD);
    if (!buf) {
        set_damage(r, "index at byte %llu: out of memory (rebuilt by scanning)", (unsigned long long)io);
        return 0;
    }
    char why[256];
    int rc = reader_read_at(r, buf, len + FMT_REC_OVERHEAD, io);
    if (rc == 0 && codec_crc32c(0, buf, FMT_REC_HEAD + len) != codec_get_u32le(buf + FMT_REC_HEAD + len)) {
        rc = TRACE_EFORMAT;
        snprintf(why, sizeof why, "bad checksum");
    } else if (rc == 0) {
        rc = fmt_index_decode(&r->ix, buf + FMT_REC_HEAD, len, r->schema.nkinds, r->hdr.window != 0, io, why,
                              sizeof why);
        if (rc == 0 && r->ix.nchunks && r->ix.chunks[0].offset < r->head_end) {
            rc = TRACE_EFORMAT;
            snprintf(why, sizeof why, "chunk 0 overlaps the header");
        }
    } else {
        snprintf(why, sizeof why, "unreadable");
    }
    free(buf);
    if (rc) {
        fmt_index_release(&r->ix);
        set_damage(r, "index at byte %llu: %s (rebuilt by scanning)", (unsigned long long)io, why);
        return 0;
    }
    return 1;
}

/* How messages name a record: "blob", "index", or "record 'TAG'". */
static const char *tag_name(const uint8_t tag[4], char out[16])
{
    if (memcmp(tag, FMT_TAG_BLOB, 4) == 0)
        return "blob";
    if (memcmp(tag, FMT_TAG_INDX, 4) == 0)
        return "index";
    if (memcmp(tag, FMT_TAG_TAIL, 4) == 0)
        return "trailer";
    memcpy(out, "record '", 8);
    for (int i = 0; i < 4; i++)
        out[8 + i] = (tag[i] >= 0x20 && tag[i] < 0x7f) ? (char)tag[i] : '?';
    memcpy(out + 12, "'", 2);
    return out;
}

/* CRC32C of n bytes at off, read in pieces. */
static int crc_range(struct trace_reader *r, uint64_t off, uint64_t n, uint32_t *crc)
{
    uint8_t buf[64 << 10];
    uint32_t c = 0;
    while (n) {
        size_t k = n < sizeof buf ? (size_t)n : sizeof buf;
        int rc = reader_read_at(r, buf, k, off);
        if (rc)
            return rc;
        c = codec_crc32c(c, buf, k);
        off += k;
        n -= k;
    }
    *crc = c;
    return 0;
}

/*
 * A windowed file (FORMAT.md section 8.1) has a hole of zero bytes where its oldest records were:
 * finds the first byte that is not zero from pos on, the start of the first record kept.  Returns
 * it, or r->size when only zeros have arrived.
 */
static uint64_t skip_hole(struct trace_reader *r, uint64_t pos)
{
    off_t data = r->src_fd < 0 ? lseek(r->fd, (off_t)pos, SEEK_DATA) : (off_t)pos;
    if (data < 0)
        return r->size; /* ENXIO: nothing but a hole to the end */
    uint8_t buf[4096];
    for (uint64_t at = (uint64_t)data > pos ? (uint64_t)data : pos; at < r->size;) {
        size_t k = r->size - at < sizeof buf ? (size_t)(r->size - at) : sizeof buf;
        if (reader_read_at(r, buf, k, at) < 0)
            return r->size;
        for (size_t i = 0; i < k; i++)
            if (buf[i])
                return at + i;
        at += k;
    }
    return r->size;
}

/* A wNDW record: the chunks before event seq, at bytes before offset, are gone. */
static void window_moved(struct trace_reader *r, uint64_t seq, uint64_t offset)
{
    if (seq <= r->ix.first_seq || seq > r->ix.nevents)
        return; /* nothing known before it, or a record that does not fit the chunks */
    size_t dropped = fmt_index_drop_before(&r->ix, seq, offset);
    if (r->cur != NO_CHUNK)
        r->cur = r->cur < dropped ? NO_CHUNK : r->cur - dropped;
}

/*
 * Scans whole records from scan_pos (FORMAT.md section 9, step 4).  A record that is not whole
 * yet is left for later when more may arrive, and is truncation when nothing more will.
 */
static int scan(struct trace_reader *r)
{
    bool final = source_is_final(r);
    while (!r->stopped) {
        uint64_t pos = r->scan_pos;
        uint64_t left = r->size - pos;
        size_t chunk_no = r->ix.nchunks;
        if (left == 0) {
            if (final)
                r->stopped = true;
            break;
        }
        uint8_t h[FMT_REC_HEAD + 3 * CODEC_VARINT_MAX];
        char tn[16];
        if (left < FMT_REC_HEAD) {
            if (final) {
                r->truncated_at = pos;
                if (left >= 4 && reader_read_at(r, h, 4, pos) == 0 && memcmp(h, FMT_TAG_EVTS, 4) == 0)
                    set_damage(r, "ends inside chunk %zu at byte %llu", chunk_no, (unsigned long long)pos);
                else
                    set_damage(r, "ends inside a record at byte %llu", (unsigned long long)pos);
                r->stopped = true;
            }
            break;
        }
        size_t hn = left < sizeof h ? (size_t)left : sizeof h;
        int rc = reader_read_at(r, h, hn, pos);
        if (rc)
            return reader_fail(r, rc, "reading byte %llu: %s", (unsigned long long)pos,
                               rc == TRACE_EIO ? strerror(errno) : "short read");
        if (r->hdr.window && h[0] == 0) {
            /* the oldest records of a windowed file, dropped (FORMAT.md 8.1; a reader that fell
             * a window behind meets them too): the first kept one follows */
            uint64_t at = skip_hole(r, pos);
            if (at >= r->size) {
                if (final)
                    r->stopped = true;
                break;
            }
            r->scan_pos = at;
            r->after_hole = true;
            continue;
        }
        bool is_chunk = memcmp(h, FMT_TAG_EVTS, 4) == 0;
        char what[32]; /* the record in messages: "chunk 3", "index", "record 'Xyzw'" */
        if (is_chunk)
            snprintf(what, sizeof what, "chunk %zu", chunk_no);
        else
            snprintf(what, sizeof what, "%s", tag_name(h, tn));
        if (!fmt_tag_is_valid(h)) {
            set_damage(r, "no record at byte %llu (damaged)", (unsigned long long)pos);
            r->stopped = true;
            break;
        }
        uint64_t len = codec_get_u32le(h + 4);
        if (len > fmt_tag_limit(h)) {
            set_damage(r, "%s at byte %llu: bad length", what, (unsigned long long)pos);
            r->stopped = true;
            break;
        }
        uint64_t total = len + FMT_REC_OVERHEAD;
        if (left < total) {
            if (final) {
                r->truncated_at = pos;
                set_damage(r, "ends inside %s at byte %llu", what, (unsigned long long)pos);
                r->stopped = true;
            }
            break;
        }
        uint32_t crc;
        uint8_t stored[4];
        rc = crc_range(r, pos, FMT_REC_HEAD + len, &crc);
        if (!rc)
            rc = reader_read_at(r, stored, 4, pos + FMT_REC_HEAD + len);
        if (rc)
            return reader_fail(r, rc, "reading byte %llu: %s", (unsigned long long)pos,
                               rc == TRACE_EIO ? strerror(errno) : "short read");
        if (crc != codec_get_u32le(stored)) {
            uint8_t tag;
            if (r->hdr.window && reader_read_at(r, &tag, 1, pos) == 0 && tag == 0)
                continue; /* dropped while it was read: the hole, at the next turn */
            set_damage(r, "%s at byte %llu: bad checksum", what, (unsigned long long)pos);
            r->stopped = true;
            break;
        }
        const uint8_t *q = h + FMT_REC_HEAD, *qend = h + (hn < FMT_REC_HEAD + len ? hn : FMT_REC_HEAD + len);
        if (is_chunk) {
            uint64_t first_seq, count, first_ns;
            /* an event takes a byte at least: of the payload, or once decompressed */
            uint64_t most = r->hdr.version >= FMT_VERSION_PACKED ? FMT_MAX_EVTS : len;
            if (!codec_get_varint(&q, qend, &first_seq) || !codec_get_varint(&q, qend, &count) ||
                !codec_get_varint(&q, qend, &first_ns) || count == 0 || count > most ||
                count > UINT32_MAX) {
                set_damage(r, "chunk %zu at byte %llu: bad chunk header", chunk_no,
                           (unsigned long long)pos);
                r->stopped = true;
                break;
            }
            if (first_seq > r->ix.nevents && r->hdr.window && r->after_hole) {
                /* the first chunk after a windowed file's hole: what came before it is gone */
                window_moved(r, r->ix.nevents, pos);
                r->ix.nevents = first_seq;
                r->ix.first_seq = first_seq;
            }
            if (first_seq != r->ix.nevents) {
                set_damage(r, "chunk %zu at byte %llu: starts at event %llu, expected %llu", chunk_no,
                           (unsigned long long)pos, (unsigned long long)first_seq,
                           (unsigned long long)r->ix.nevents);
                r->stopped = true;
                break;
            }
            struct trace_chunk_info c = {.offset = pos, .bytes = total, .first_seq = first_seq,
                                         .count = (uint32_t)count, .first_ns = first_ns};
            if (!fmt_index_push_chunk(&r->ix, &c))
                return reader_fail(r, TRACE_ENOMEM, "out of memory");
        } else if (memcmp(h, FMT_TAG_BLOB, 4) == 0) {
            struct fmt_blob b = {.offset = pos, .bytes = total};
            if (qend - q < 4 || (memcpy(b.type, q, 4), q += 4, !codec_get_varint(&q, qend, &b.key))) {
                set_damage(r, "blob at byte %llu: bad blob header", (unsigned long long)pos);
                r->stopped = true;
                break;
            }
            if (!fmt_index_add_blob(&r->ix, &b))
                return reader_fail(r, TRACE_ENOMEM, "out of memory");
        } else if (memcmp(h, FMT_TAG_WNDW, 4) == 0) {
            uint64_t wseq, woff;
            if (!codec_get_varint(&q, qend, &wseq) || !codec_get_varint(&q, qend, &woff)) {
                set_damage(r, "window record at byte %llu: bad payload", (unsigned long long)pos);
                r->stopped = true;
                break;
            }
            window_moved(r, wseq, woff);
        } else if (memcmp(h, FMT_TAG_TAIL, 4) == 0) {
            if (pos + total == r->size && r->follow) {
                /* The writer finished: the stream is whole when this trailer points at the index
                 * just before it (its CRC, like every record's, was checked). */
                r->stopped = true;
                r->complete = len == 8 && r->last_index_at && !r->damage[0] &&
                              codec_get_u64le(h + FMT_REC_HEAD) == r->last_index_at;
            }
        } else if (memcmp(h, FMT_TAG_HEAD, 4) == 0) {
            set_damage(r, "a second header at byte %llu", (unsigned long long)pos);
            r->stopped = true;
            break;
        } else if (memcmp(h, FMT_TAG_INDX, 4) != 0 && fmt_tag_is_critical(h)) {
            set_damage(r, "unknown %s at byte %llu (written by a newer arenascope?)",
                       tag_name(h, tn), (unsigned long long)pos);
            r->stopped = true;
            break;
        }
        r->last_index_at = memcmp(h, FMT_TAG_INDX, 4) == 0 ? pos : 0;
        r->scan_pos = pos + total;
        r->after_hole = false;
    }
    fmt_index_sort_blobs(&r->ix);
    if (r->stopped)
        r->ended = true;
    return 0;
}

/* ---- opening ------------------------------------------------------------------------------------ */

static int reader_start(struct trace_reader *r)
{
    int rc;
    if (r->src_fd >= 0 && !r->follow) {
        /* A pipe read once: take all of it, then read it as a file.  Stop at once when it does
         * not start like a trace (/dev/zero would never end). */
        do {
            rc = spool_pull(r, -1);
            if (rc)
                return rc;
            uint8_t m[FMT_MAGIC_LEN];
            size_t have = r->size < sizeof m ? (size_t)r->size : sizeof m;
            if (have && (reader_read_at(r, m, have, 0) < 0 || memcmp(m, FMT_MAGIC, have) != 0))
                break;
        } while (!r->src_eof);
    }
    if (r->follow) {
        /* Wait, boundedly, for the prefix and the header to arrive. */
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
            rc = source_update(r, 50);
            if (rc)
                return rc;
            uint8_t h[FMT_PREFIX_LEN + FMT_REC_HEAD];
            size_t have = r->size < sizeof h ? (size_t)r->size : sizeof h;
            if (have && reader_read_at(r, h, have, 0) == 0) {
                size_t m = have < FMT_MAGIC_LEN ? have : FMT_MAGIC_LEN;
                if (memcmp(h, FMT_MAGIC, m) != 0)
                    break; /* not a trace: no use waiting */
                if (have == sizeof h && r->size >= (uint64_t)FMT_PREFIX_LEN + FMT_REC_OVERHEAD +
                                                        codec_get_u32le(h + FMT_PREFIX_LEN + 4))
                    break;
            }
            if (r->src_eof)
                break;
            struct timespec t;
            clock_gettime(CLOCK_MONOTONIC, &t);
            long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
            if (ms >= WAIT_HEADER_MS)
                break;
            if (r->src_fd < 0) {
                struct timespec nap = {0, 10 * 1000000};
                nanosleep(&nap, NULL);
            }
        }
    }
    rc = read_header(r);
    if (rc)
        return rc;
    if (r->src_fd < 0 || !r->follow) {
        if (read_index(r)) {
            r->complete = true;
            r->stopped = true;
            r->ended = true;
            return 0;
        }
        fmt_index_release(&r->ix);
        fmt_index_init(&r->ix);
    }
    r->ix.nkinds = r->schema.nkinds;
    r->ix.windowed = r->hdr.window != 0;
    rc = scan(r);
    if (rc)
        return rc;
    if (!r->follow)
        r->ended = true;
    return 0;
}

int trace_reader_open_fd(struct trace_reader **out, int fd, const char *name, unsigned flags,
                         char *err, size_t errlen)
{
    *out = NULL;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "%s: %s", name, strerror(errno));
        return TRACE_EIO;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: is a directory", name);
        return TRACE_EIO;
    }
    struct trace_reader *r = calloc(1, sizeof *r);
    char *path = strdup(name);
    if (!r || !path) {
        free(r);
        free(path);
        snprintf(err, errlen, "%s: out of memory", name);
        return TRACE_ENOMEM;
    }
    r->path = path;
    r->follow = (flags & TRACE_OPEN_FOLLOW) != 0;
    r->cur = NO_CHUNK;
    r->src_fd = -1;
    fmt_index_init(&r->ix);
    if (S_ISREG(st.st_mode)) {
        r->fd = fd;
        r->size = (uint64_t)st.st_size;
    } else {
        r->fd = spool_open();
        if (r->fd < 0) {
            snprintf(err, errlen, "%s: cannot create a spool file: %s", name, strerror(errno));
            trace_reader_free(r);
            return TRACE_EIO;
        }
        r->own_fd = true;
        r->src_fd = fd;
    }
    int rc = reader_start(r);
    if (rc) {
        snprintf(err, errlen, "%s", r->msg);
        trace_reader_free(r);
        return rc;
    }
    *out = r;
    return 0;
}

int trace_reader_open(struct trace_reader **out, const char *path, unsigned flags, char *err,
                      size_t errlen)
{
    *out = NULL;
    if (strcmp(path, "-") == 0)
        return trace_reader_open_fd(out, STDIN_FILENO, "<stdin>", flags, err, errlen);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return TRACE_EIO;
    }
    int rc = trace_reader_open_fd(out, fd, path, flags, err, errlen);
    if (rc) {
        close(fd);
        return rc;
    }
    if ((*out)->src_fd == fd)
        (*out)->own_src = true; /* a named pipe, spooled */
    else
        (*out)->own_fd = true;
    return 0;
}

void trace_reader_free(struct trace_reader *r)
{
    if (!r)
        return;
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    if (r->own_src)
        close(r->src_fd);
    fmt_index_release(&r->ix);
    fmt_schema_release(&r->schema);
    free(r->cbuf);
    free(r->zbuf);
    free(r->blob_data);
    free(r->vcounts);
    fmt_zstd_free(NULL, &r->dctx);
    free(r->path);
    free(r);
}

/* ---- what the reader knows ------------------------------------------------------------------------ */

const struct trace_header *trace_reader_header(const struct trace_reader *r)
{
    return &r->hdr;
}

const char *trace_reader_error(const struct trace_reader *r)
{
    return r->msg;
}

const char *trace_reader_path(const struct trace_reader *r)
{
    return r->path;
}

uint64_t trace_reader_event_count(const struct trace_reader *r)
{
    return r->ix.nevents;
}

uint64_t trace_reader_file_bytes(const struct trace_reader *r)
{
    return r->size;
}

bool trace_reader_is_complete(const struct trace_reader *r)
{
    return r->complete;
}

uint64_t trace_reader_truncated_at(const struct trace_reader *r)
{
    return r->truncated_at;
}

const char *trace_reader_damage(const struct trace_reader *r)
{
    return r->damage[0] ? r->damage : NULL;
}

uint64_t trace_reader_first_event(const struct trace_reader *r)
{
    return r->ix.first_seq;
}

size_t trace_reader_chunk_count(const struct trace_reader *r)
{
    return r->ix.nchunks;
}

void trace_reader_chunk(const struct trace_reader *r, size_t i, struct trace_chunk_info *out)
{
    *out = r->ix.chunks[i];
}

bool trace_reader_is_ended(const struct trace_reader *r)
{
    return r->ended;
}

int trace_reader_wait_fd(const struct trace_reader *r)
{
    return r->follow && !r->ended ? r->src_fd : -1;
}

int trace_reader_poll(struct trace_reader *r)
{
    if (!r->follow || r->ended)
        return 0;
    uint64_t before = r->ix.nevents;
    int rc = source_update(r, 0);
    if (rc)
        return rc;
    rc = scan(r);
    if (rc)
        return rc;
    uint64_t added = r->ix.nevents - before;
    return added > INT32_MAX ? INT32_MAX : (int)added;
}

size_t trace_reader_kind_count(const struct trace_reader *r)
{
    return r->schema.nkinds;
}

const char *trace_reader_kind_name(const struct trace_reader *r, size_t i)
{
    return r->schema.kinds[i].name;
}

bool trace_reader_kind_is_optional(const struct trace_reader *r, size_t i)
{
    return r->plan[i].optional;
}

int trace_reader_kind_own(const struct trace_reader *r, size_t i)
{
    return r->plan[i].own;
}

/* ---- verifying ------------------------------------------------------------------------------------- */

static bool same_chunk(const struct trace_chunk_info *a, const struct trace_chunk_info *b)
{
    return a->offset == b->offset && a->bytes == b->bytes && a->first_seq == b->first_seq &&
           a->count == b->count && a->first_ns == b->first_ns;
}

/* Scans every record again and compares what it finds with the index read from the file. */
static int verify_layout(struct trace_reader *r)
{
    struct fmt_index found;
    fmt_index_init(&found);
    found.nkinds = r->schema.nkinds;
    struct fmt_index saved = r->ix;
    uint64_t saved_pos = r->scan_pos;
    r->ix = found;
    r->scan_pos = r->head_end;
    r->stopped = false;
    int rc = scan(r);
    found = r->ix;
    r->ix = saved;
    r->scan_pos = saved_pos;
    r->stopped = true;
    if (rc)
        goto out_release;
    if (r->damage[0]) {
        rc = reader_fail(r, r->truncated_at ? TRACE_ETRUNCATED : TRACE_EFORMAT, "%s",
                         r->damage + strlen(r->path) + 2);
        goto out_release;
    }
    size_t n = found.nchunks < saved.nchunks ? found.nchunks : saved.nchunks;
    for (size_t i = 0; i < n; i++)
        if (!same_chunk(&found.chunks[i], &saved.chunks[i])) {
            rc = reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: the index says otherwise", i,
                             (unsigned long long)found.chunks[i].offset);
            goto out_release;
        }
    if (found.nchunks != saved.nchunks) {
        rc = reader_fail(r, TRACE_EFORMAT, "the index lists %zu chunks, the file holds %zu",
                         saved.nchunks, found.nchunks);
        goto out_release;
    }
    if (found.nblobs != saved.nblobs) {
        rc = reader_fail(r, TRACE_EFORMAT, "the index lists %zu blobs, the file holds %zu",
                         saved.nblobs, found.nblobs);
        goto out_release;
    }
    for (size_t i = 0; i < found.nblobs; i++) {
        const struct fmt_blob *a = &found.blobs[i], *b = &saved.blobs[i];
        if (memcmp(a->type, b->type, 4) != 0 || a->key != b->key || a->offset != b->offset ||
            a->bytes != b->bytes) {
            rc = reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: the index says otherwise",
                             (unsigned long long)a->offset);
            goto out_release;
        }
    }
out_release:
    fmt_index_release(&found);
    return rc;
}

/* The first half of trace_reader_verify(): the file whole and complete, every record where the
 * index says. */
static int verify_head(struct trace_reader *r)
{
    if (r->damage[0])
        return reader_fail(r, r->truncated_at ? TRACE_ETRUNCATED : TRACE_EFORMAT, "%s",
                           r->damage + strlen(r->path) + 2);
    if (!r->complete)
        return reader_fail(r, TRACE_EFORMAT,
                           "no index: the recording did not finish (its %llu events are readable)",
                           (unsigned long long)r->ix.nevents);
    return verify_layout(r);
}

/* The second half of trace_reader_verify(): every event of the chunks from `from` on decoded and
 * counted into counts (those before counted already), the counts compared with the index, every
 * blob read. */
static int verify_rest(struct trace_reader *r, size_t from, uint64_t *counts)
{
    int rc = 0;
    struct event ev;
    reader_buffer_drop(r);
    r->vcounts = r->vpart = NULL;
    r->vcounting = false;
    for (size_t i = from; i < r->ix.nchunks && !rc; i++) {
        rc = reader_chunk_load(r, i);
        if (!rc)
            reader_decode_run(r, &ev, 1, r->chunk_end_seq, false, counts, &rc);
    }
    for (size_t k = 0; k < r->schema.nkinds && !rc && r->ix.kind_events; k++) /* none when followed */
        if (counts[k] != r->ix.kind_events[k])
            rc = reader_fail(r, TRACE_EFORMAT, "the index counts %llu '%s' events, the chunks hold %llu",
                             (unsigned long long)r->ix.kind_events[k], r->schema.kinds[k].name,
                             (unsigned long long)counts[k]);
    for (size_t i = 0; i < r->ix.nblobs && !rc; i++) {
        void *buf;
        size_t len;
        rc = trace_reader_blob_load(r, i, &buf, &len);
        if (!rc)
            free(buf);
    }
    r->cur = NO_CHUNK;
    r->pos_seq = r->ix.nevents;
    return rc;
}

int trace_reader_verify(struct trace_reader *r)
{
    int rc = verify_head(r);
    if (rc)
        return rc;
    uint64_t *counts = calloc(r->schema.nkinds + 1, sizeof *counts);
    if (!counts)
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    rc = verify_rest(r, 0, counts);
    free(counts);
    return rc;
}

int trace_reader_verify_begin(struct trace_reader *r)
{
    free(r->vcounts);
    r->vcounts = r->vpart = NULL;
    r->vcounting = false;
    int rc = verify_head(r);
    if (rc)
        return rc;
    size_t nk = r->schema.nkinds;
    uint64_t *v = calloc(2 * nk + 1, sizeof *v);
    if (!v)
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    r->vcounts = v;
    r->vpart = v + nk;
    r->vnext = 0;
    reader_buffer_drop(r);
    r->cur = NO_CHUNK; /* the reading loads chunk 0 again, and counts it */
    return 0;
}

int trace_reader_verify_end(struct trace_reader *r)
{
    if (!r->vcounts)
        return trace_reader_verify(r);
    uint64_t *counts = r->vcounts;
    int rc = verify_rest(r, r->vnext, counts);
    free(counts);
    return rc;
}

/* ---- compressed chunks and blobs ------------------------------------------------------------------ */

int reader_chunk_unpack(struct trace_reader *r, size_t i, const uint8_t **p, const uint8_t **end)
{
    if (r->hdr.version < FMT_VERSION_PACKED)
        return 0;
    unsigned long long at = (unsigned long long)r->ix.chunks[i].offset;
    uint64_t size;
    if (!codec_get_varint(p, *end, &size))
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: bad chunk header", i, at);
    if (size == 0)
        return 0; /* stored */
    if (size > FMT_MAX_EVTS || size < r->ix.chunks[i].count)
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: declares %llu bytes of events, %s", i, at,
                           (unsigned long long)size, size > FMT_MAX_EVTS ? "more than a chunk holds" : "fewer than its events");
    if (size + PAD > r->zcap) {
        uint8_t *b = realloc(r->zbuf, (size_t)size + PAD);
        if (!b)
            return reader_fail(r, TRACE_ENOMEM, "out of memory");
        r->zbuf = b;
        r->zcap = (size_t)size + PAD;
    }
    if (!fmt_zstd_unpack(&r->dctx, r->zbuf, (size_t)size, *p, (size_t)(*end - *p), NULL, 0)) {
        r->cur = NO_CHUNK;
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: its compressed events do not decompress", i, at);
    }
    memset(r->zbuf + size, 0, PAD);
    *p = r->zbuf;
    *end = r->zbuf + size;
    return 0;
}

/* ---- blobs ------------------------------------------------------------------------------------------ */

size_t trace_reader_blob_count(const struct trace_reader *r)
{
    return r->ix.nblobs;
}

void trace_reader_blob(const struct trace_reader *r, size_t i, struct trace_blob_info *out)
{
    const struct fmt_blob *b = &r->ix.blobs[i];
    memcpy(out->type, b->type, 4);
    out->type[4] = '\0';
    out->key = b->key;
    out->offset = b->offset;
    out->bytes = b->bytes - FMT_REC_OVERHEAD - 4 - codec_varint_size(b->key);
}

/* The first blob whose type is not below type (strictly above it when after): the blobs are
 * sorted by type, so that finding a type's range costs a binary search, not a scan. */
static size_t blob_bound(const struct trace_reader *r, const char *type, bool after)
{
    size_t lo = 0, hi = r->ix.nblobs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = memcmp(r->ix.blobs[mid].type, type, 4);
        if (c < 0 || (after && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t trace_reader_blob_range(const struct trace_reader *r, const char *type, size_t *first)
{
    *first = blob_bound(r, type, false);
    return blob_bound(r, type, true) - *first;
}

/* Blob i's record read and checked: *buf is the record (malloc'd), its data from *data to *end. */
static int blob_record(struct trace_reader *r, size_t i, uint8_t **buf, const uint8_t **data, const uint8_t **dend)
{
    const struct fmt_blob *b = &r->ix.blobs[i];
    *buf = NULL;
    uint8_t *rec = malloc((size_t)b->bytes);
    if (!rec)
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    int rc = reader_read_at(r, rec, (size_t)b->bytes, b->offset);
    size_t plen = (size_t)b->bytes - FMT_REC_OVERHEAD;
    const uint8_t *p = rec + FMT_REC_HEAD + 4, *end = rec + FMT_REC_HEAD + plen;
    uint64_t key;
    if (rc)
        rc = reader_fail(r, rc, "blob at byte %llu: unreadable", (unsigned long long)b->offset);
    else if (memcmp(rec, FMT_TAG_BLOB, 4) != 0 || codec_get_u32le(rec + 4) != plen)
        rc = reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: not where the index says",
                         (unsigned long long)b->offset);
    else if (codec_crc32c(0, rec, FMT_REC_HEAD + plen) != codec_get_u32le(end))
        rc = reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: bad checksum", (unsigned long long)b->offset);
    else if (memcmp(rec + FMT_REC_HEAD, b->type, 4) != 0 || !codec_get_varint(&p, end, &key) ||
             key != b->key)
        rc = reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: not the one the index says",
                         (unsigned long long)b->offset);
    if (rc) {
        free(rec);
        if (rc == TRACE_EFORMAT && r->hdr.window && r->follow) {
            /* freed meanwhile by a window (FORMAT.md 8.1): the record saying so is there now */
            uint64_t first = r->ix.first_seq;
            trace_reader_poll(r);
            if (r->ix.first_seq > first)
                rc = reader_fail(r, TRACE_ERANGE, "a blob was dropped: the trace keeps events from %llu on",
                                 (unsigned long long)r->ix.first_seq);
        }
        return rc;
    }
    *buf = rec;
    *data = p;
    *dend = end;
    return 0;
}

/* How blob i's data is stored (version 3): its packing, the size it decompresses to, the key of
 * its base when a delta; *p moves to the frame. */
static int blob_packing(struct trace_reader *r, size_t i, const uint8_t **p, const uint8_t *end, uint64_t *packing,
                        uint64_t *size, uint64_t *base)
{
    *packing = FMT_STORED;
    *size = (uint64_t)(end - *p);
    *base = 0;
    if (r->hdr.version < FMT_VERSION_PACKED)
        return 0;
    unsigned long long at = (unsigned long long)r->ix.blobs[i].offset;
    if (!codec_get_varint(p, end, packing) || *packing > FMT_ZSTD_DELTA)
        return reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: unknown packing", at);
    if (*packing == FMT_STORED) {
        *size = (uint64_t)(end - *p);
        return 0;
    }
    if (!codec_get_varint(p, end, size) || (*packing == FMT_ZSTD_DELTA && !codec_get_varint(p, end, base)))
        return reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: bad blob header", at);
    /* bounded by the file too: checkpoints, the large blobs, are some times smaller than it */
    if (*size > FMT_MAX_BLOB_DATA || *size / FMT_BLOB_PER_FILE_BYTE > r->size)
        return reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: declares %llu bytes of data, more than a blob holds", at,
                           (unsigned long long)*size);
    if (*packing == FMT_ZSTD_DELTA &&
        (i == 0 || memcmp(r->ix.blobs[i - 1].type, r->ix.blobs[i].type, 4) != 0 || r->ix.blobs[i - 1].key != *base))
        return reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: a delta from a blob the file does not hold before it", at);
    return 0;
}

/* Blob i's record, read and checked, and how its data is stored: the frame from p to end.  On
 * success the caller frees rec; on failure there is nothing to free. */
struct blob_frame {
    uint8_t *rec;
    const uint8_t *p, *end;
    uint64_t packing, size, base;
};

static int blob_open(struct trace_reader *r, size_t i, struct blob_frame *b)
{
    int rc = blob_record(r, i, &b->rec, &b->p, &b->end);
    if (!rc && (rc = blob_packing(r, i, &b->p, b->end, &b->packing, &b->size, &b->base)) != 0)
        free(b->rec); /* (blob_record frees its record when it fails) */
    return rc;
}

/* Blob i's data, decompressed (from base, blob i - 1's data, when a delta). */
static int blob_data(struct trace_reader *r, size_t i, const void *base, size_t blen, void **out, size_t *outlen,
                     bool *delta)
{
    struct blob_frame b;
    int rc = blob_open(r, i, &b);
    if (rc)
        return rc;
    *delta = b.packing == FMT_ZSTD_DELTA;
    if (b.packing == FMT_STORED) {
        memmove(b.rec, b.p, (size_t)b.size);
        *out = b.rec;
        *outlen = (size_t)b.size;
        return 0;
    }
    uint8_t *data = malloc(b.size ? (size_t)b.size : 1);
    if (!data) {
        free(b.rec);
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    }
    if (!fmt_zstd_unpack(&r->dctx, data, (size_t)b.size, b.p, (size_t)(b.end - b.p), *delta ? base : NULL,
                         *delta ? blen : 0)) {
        free(b.rec);
        free(data);
        return reader_fail(r, TRACE_EFORMAT, "blob at byte %llu: its compressed data does not decompress",
                           (unsigned long long)r->ix.blobs[i].offset);
    }
    free(b.rec);
    *out = data;
    *outlen = (size_t)b.size;
    return 0;
}

int trace_reader_blob_load(struct trace_reader *r, size_t i, void **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    /* back to the blob stored whole (or the one kept) that its deltas start from */
    size_t from = i;
    for (;;) {
        if (r->blob_data && r->blob_at == r->ix.blobs[from].offset)
            break;
        struct blob_frame b;
        int rc = blob_open(r, from, &b);
        if (rc)
            return rc;
        free(b.rec);
        if (b.packing != FMT_ZSTD_DELTA)
            break;
        from--; /* blob_packing checked that it exists */
    }
    void *data = NULL;
    size_t n = 0;
    for (size_t k = from; k <= i; k++) {
        if (k == from && r->blob_data && r->blob_at == r->ix.blobs[k].offset) {
            if (k == i)
                break; /* copied below */
            continue;
        }
        bool delta;
        int rc = blob_data(r, k, r->blob_data, r->blob_len, &data, &n, &delta);
        if (rc)
            return rc;
        free(r->blob_data);
        r->blob_data = data;
        r->blob_len = n;
        r->blob_at = r->ix.blobs[k].offset;
    }
    /* the caller owns its copy; the reader keeps one as the next delta's base */
    void *copy = malloc(r->blob_len ? r->blob_len : 1);
    if (!copy)
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    memcpy(copy, r->blob_data, r->blob_len);
    *buf = copy;
    *len = r->blob_len;
    return 0;
}

size_t trace_reader_checkpoint_count(const struct trace_reader *r)
{
    size_t first;
    return trace_reader_blob_range(r, TRACE_BLOB_CHECKPOINT, &first);
}

uint64_t trace_reader_checkpoint_seq(const struct trace_reader *r, size_t i)
{
    size_t first;
    trace_reader_blob_range(r, TRACE_BLOB_CHECKPOINT, &first);
    return r->ix.blobs[first + i].key;
}

int trace_reader_checkpoint_load(struct trace_reader *r, size_t i, void **buf, size_t *len)
{
    size_t first;
    trace_reader_blob_range(r, TRACE_BLOB_CHECKPOINT, &first);
    return trace_reader_blob_load(r, first + i, buf, len);
}

/* ---- for blob storage (format.h) ---------------------------------------------------------------------- */

struct fmt_index *fmt_reader_index(struct trace_reader *r)
{
    return &r->ix;
}

uint64_t fmt_reader_head_end(const struct trace_reader *r)
{
    return r->head_end;
}

bool fmt_reader_is_pipe(const struct trace_reader *r)
{
    return r->src_fd >= 0;
}
