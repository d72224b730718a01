/*
 * reader.c - the trace reader: opening, index rebuilding, following, seeking, decoding.
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
 * name).  Seeking loads the chunk holding the event and decodes forward to it.
 *
 * Every length is checked before it is used and every allocation is bounded by bytes that are
 * actually present in the file: hostile input costs at most one chunk's worth of memory.
 */
#include "format.h"

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

#define PAD 16                  /* zero bytes after a loaded chunk's events */
#define WAIT_HEADER_MS 5000     /* following: how long open waits for the header to arrive */
#define SPOOL_READ (64u << 10)  /* bytes read from a pipe at a time */
#define SPOOL_PULL_MAX (4u << 20) /* bytes taken from a pipe by one pull, so that a pull ends */
#define HIST_MASK (FMT_HISTORY - 1)
#define NO_CHUNK SIZE_MAX
#define READ_AHEAD 64           /* events trace_reader_next() decodes at a time */

enum { OP_U, OP_I, OP_A, OP_P, OP_S };
#define DEST_DROP (-1)
#define DEST_TEXT (-2)

/* How to decode one kind of the file (FORMAT.md 5 and 6). */
struct plan_kind {
    int own;              /* this program's kind, or -1 */
    unsigned nfields;     /* as in the file */
    unsigned tail;
    bool optional;
    uint8_t op[FMT_MAX_FIELDS];
    int8_t dest[FMT_MAX_FIELDS]; /* word index in struct event, DEST_TEXT or DEST_DROP */
};

/* File kind i is *native* when it is this program's kind i with the same definition (name,
 * flags, tail, fields and types): its events are decoded by code generated from the table.  The
 * others are decoded by their plan; an id at or past the schema's kinds is bad. */
enum { KIND_PLAN = EV_KIND_COUNT, KIND_BAD };

struct trace_reader {
    char *path;          /* for messages */
    int fd;              /* where bytes are read from: the file or the spool */
    bool own_fd;
    int src_fd;          /* reading a pipe: the pipe; -1 otherwise */
    bool own_src;        /* close src_fd when freed (a named pipe opened by path) */
    bool src_eof;        /* the pipe closed */
    bool follow;
    bool ended;          /* nothing more will arrive */
    bool complete;       /* the index came from the file */
    bool stopped;        /* the scan met the end of the stream or damage: no more records */
    uint64_t size;       /* bytes of data known */
    uint64_t head_end;   /* offset after the HEAD record */
    uint64_t scan_pos;   /* next record to scan */
    uint64_t truncated_at;
    uint64_t last_index_at; /* scanning: the offset of the record just scanned when an index */
    char damage[512];    /* why the file is not whole; empty when it is */
    char msg[512];       /* the last error */

    struct trace_header hdr;
    struct fmt_schema schema;
    struct plan_kind plan[FMT_MAX_KINDS];
    uint8_t kmap[128];  /* by the kind byte's id: the native kind, KIND_PLAN or KIND_BAD */
    uint8_t lane[128];  /* by the kind byte's id: the native kind's lane (format.h), or 0 */
    struct fmt_index ix;

    /* the chunk in memory */
    size_t cur;              /* its index in ix.chunks, or NO_CHUNK */
    uint8_t *cbuf;           /* the whole record, then PAD zero bytes */
    size_t ccap;
    const uint8_t *events;   /* its first event */
    const uint8_t *p, *end;  /* decoding position and end of the events */
    uint64_t pos_seq;        /* number of the event at p (or of the next one to be read) */
    uint64_t chunk_end_seq;  /* number of the event after the loaded chunk's last */
    uint64_t hist[FMT_HISTORY];
    uint64_t hist_n;
    uint64_t prev;

    /* events decoded ahead by trace_reader_next(), handed out one by one */
    struct event rb[READ_AHEAD];
    size_t rb_pos, rb_n;
    int rb_err; /* damage met after them, reported once they are handed out */
};

static int reader_fail(struct trace_reader *r, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int reader_fail(struct trace_reader *r, int err, const char *fmt, ...)
{
    int n = snprintf(r->msg, sizeof r->msg, "%s: ", r->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg + n, sizeof r->msg - (size_t)n, fmt, ap);
    va_end(ap);
    return err;
}

static void set_damage(struct trace_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void set_damage(struct trace_reader *r, const char *fmt, ...)
{
    if (r->damage[0])
        return;
    int n = snprintf(r->damage, sizeof r->damage, "%s: ", r->path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->damage + n, sizeof r->damage - (size_t)n, fmt, ap);
    va_end(ap);
}

static int read_at(struct trace_reader *r, void *buf, size_t n, uint64_t off)
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

/* ---- the header and the plans ------------------------------------------------------------------- */

static bool kind_is_native(const struct fmt_kind *fk, size_t id)
{
    if (id >= EV_KIND_COUNT)
        return false;
    enum event_kind k = (enum event_kind)id;
    size_t nw = event_kind_field_count(k);
    const char *text = event_kind_text_name(k);
    if (strcmp(fk->name, event_kind_name(k)) != 0 || fk->flags != event_kind_flags(k) ||
        fk->tail != event_kind_tail(k) || fk->nfields != nw + (text != NULL))
        return false;
    for (size_t i = 0; i < nw; i++)
        if (strcmp(fk->field_names[i], event_kind_field_name(k, i)) != 0 ||
            fk->types[i] != event_kind_field_type(k, i))
            return false;
    return !text || (fk->types[nw] == 's' && strcmp(fk->field_names[nw], text) == 0);
}

static void plan_build(struct trace_reader *r)
{
    fmt_lanes_init();
    memset(r->kmap, KIND_BAD, sizeof r->kmap);
    memset(r->lane, 0, sizeof r->lane);
    for (size_t k = 0; k < r->schema.nkinds; k++) {
        r->kmap[k] = (uint8_t)(kind_is_native(&r->schema.kinds[k], k) ? k : KIND_PLAN);
        r->lane[k] = r->kmap[k] == k ? fmt_kind_lane[k] : 0;
        const struct fmt_kind *fk = &r->schema.kinds[k];
        struct plan_kind *pk = &r->plan[k];
        pk->own = event_kind_from_name(fk->name);
        pk->nfields = fk->nfields;
        pk->tail = fk->tail;
        pk->optional = (fk->flags & EVF_OPTIONAL) != 0;
        for (unsigned i = 0; i < fk->nfields; i++) {
            char t = fk->types[i];
            pk->op[i] = t == 'u' ? OP_U : t == 'i' ? OP_I : t == 'a' ? OP_A : t == 'p' ? OP_P : OP_S;
            pk->dest[i] = DEST_DROP;
            if (pk->own < 0)
                continue;
            enum event_kind own = (enum event_kind)pk->own;
            if (t == 's') {
                const char *tn = event_kind_text_name(own);
                if (tn && strcmp(tn, fk->field_names[i]) == 0)
                    pk->dest[i] = DEST_TEXT;
                continue;
            }
            for (size_t j = 0; j < event_kind_field_count(own); j++)
                if (strcmp(event_kind_field_name(own, j), fk->field_names[i]) == 0)
                    pk->dest[i] = (int8_t)j;
        }
    }
}

/* Reads the prefix and the header.  Errors here mean the file cannot be read at all. */
static int read_header(struct trace_reader *r)
{
    uint8_t pre[FMT_PREFIX_LEN + FMT_REC_HEAD];
    size_t have = r->size < sizeof pre ? (size_t)r->size : sizeof pre;
    if (have && read_at(r, pre, have, 0) < 0)
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
    int rc = read_at(r, buf, (size_t)total, FMT_PREFIX_LEN);
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
    plan_build(r);
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
    if (read_at(r, t, sizeof t, tpos) < 0)
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
    if (io < r->head_end || io > tpos || tpos - io < FMT_REC_OVERHEAD || read_at(r, h, sizeof h, io) < 0 ||
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
    int rc = read_at(r, buf, len + FMT_REC_OVERHEAD, io);
    if (rc == 0 && codec_crc32c(0, buf, FMT_REC_HEAD + len) != codec_get_u32le(buf + FMT_REC_HEAD + len)) {
        rc = TRACE_EFORMAT;
        snprintf(why, sizeof why, "bad checksum");
    } else if (rc == 0) {
        rc = fmt_index_decode(&r->ix, buf + FMT_REC_HEAD, len, r->schema.nkinds, io, why, sizeof why);
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
        int rc = read_at(r, buf, k, off);
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
                if (left >= 4 && read_at(r, h, 4, pos) == 0 && memcmp(h, FMT_TAG_EVTS, 4) == 0)
                    set_damage(r, "ends inside chunk %zu at byte %llu", chunk_no, (unsigned long long)pos);
                else
                    set_damage(r, "ends inside a record at byte %llu", (unsigned long long)pos);
                r->stopped = true;
            }
            break;
        }
        size_t hn = left < sizeof h ? (size_t)left : sizeof h;
        int rc = read_at(r, h, hn, pos);
        if (rc)
            return reader_fail(r, rc, "reading byte %llu: %s", (unsigned long long)pos,
                               rc == TRACE_EIO ? strerror(errno) : "short read");
        bool is_chunk = memcmp(h, FMT_TAG_EVTS, 4) == 0;
        if (!fmt_tag_is_valid(h)) {
            set_damage(r, "no record at byte %llu (damaged)", (unsigned long long)pos);
            r->stopped = true;
            break;
        }
        uint64_t len = codec_get_u32le(h + 4);
        if (len > fmt_tag_limit(h)) {
            if (is_chunk)
                set_damage(r, "chunk %zu at byte %llu: bad length", chunk_no, (unsigned long long)pos);
            else
                set_damage(r, "%s at byte %llu: bad length", tag_name(h, tn),
                           (unsigned long long)pos);
            r->stopped = true;
            break;
        }
        uint64_t total = len + FMT_REC_OVERHEAD;
        if (left < total) {
            if (final) {
                r->truncated_at = pos;
                if (is_chunk)
                    set_damage(r, "ends inside chunk %zu at byte %llu", chunk_no, (unsigned long long)pos);
                else
                    set_damage(r, "ends inside %s at byte %llu", tag_name(h, tn),
                               (unsigned long long)pos);
                r->stopped = true;
            }
            break;
        }
        uint32_t crc;
        uint8_t stored[4];
        rc = crc_range(r, pos, FMT_REC_HEAD + len, &crc);
        if (!rc)
            rc = read_at(r, stored, 4, pos + FMT_REC_HEAD + len);
        if (rc)
            return reader_fail(r, rc, "reading byte %llu: %s", (unsigned long long)pos,
                               rc == TRACE_EIO ? strerror(errno) : "short read");
        if (crc != codec_get_u32le(stored)) {
            if (is_chunk)
                set_damage(r, "chunk %zu at byte %llu: bad checksum", chunk_no, (unsigned long long)pos);
            else
                set_damage(r, "%s at byte %llu: bad checksum", tag_name(h, tn),
                           (unsigned long long)pos);
            r->stopped = true;
            break;
        }
        const uint8_t *q = h + FMT_REC_HEAD, *qend = h + (hn < FMT_REC_HEAD + len ? hn : FMT_REC_HEAD + len);
        if (is_chunk) {
            uint64_t first_seq, count, first_ns;
            if (!codec_get_varint(&q, qend, &first_seq) || !codec_get_varint(&q, qend, &count) ||
                !codec_get_varint(&q, qend, &first_ns) || count == 0 || count > len ||
                count > UINT32_MAX) {
                set_damage(r, "chunk %zu at byte %llu: bad chunk header", chunk_no,
                           (unsigned long long)pos);
                r->stopped = true;
                break;
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
            if (have && (read_at(r, m, have, 0) < 0 || memcmp(m, FMT_MAGIC, have) != 0))
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
            if (have && read_at(r, h, have, 0) == 0) {
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

/* ---- chunks and events ------------------------------------------------------------------------------ */

static void history_reset(struct trace_reader *r)
{
    r->hist_n = 0;
    r->prev = 0;
}

static int load_chunk(struct trace_reader *r, size_t i)
{
    const struct trace_chunk_info *c = &r->ix.chunks[i];
    size_t need = (size_t)c->bytes + PAD;
    if (need > r->ccap) {
        uint8_t *b = realloc(r->cbuf, need);
        if (!b)
            return reader_fail(r, TRACE_ENOMEM, "out of memory");
        r->cbuf = b;
        r->ccap = need;
    }
    r->cur = NO_CHUNK;
    int rc = read_at(r, r->cbuf, (size_t)c->bytes, c->offset);
    if (rc == TRACE_ETRUNCATED)
        return reader_fail(r, rc, "ends inside chunk %zu at byte %llu", i, (unsigned long long)c->offset);
    if (rc)
        return reader_fail(r, rc, "chunk %zu at byte %llu: %s", i, (unsigned long long)c->offset,
                           strerror(errno));
    const uint8_t *b = r->cbuf;
    size_t len = (size_t)c->bytes - FMT_REC_OVERHEAD;
    if (memcmp(b, FMT_TAG_EVTS, 4) != 0 || codec_get_u32le(b + 4) != len)
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: not where the index says", i,
                           (unsigned long long)c->offset);
    if (codec_crc32c(0, b, FMT_REC_HEAD + len) != codec_get_u32le(b + FMT_REC_HEAD + len))
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: bad checksum", i,
                           (unsigned long long)c->offset);
    const uint8_t *p = b + FMT_REC_HEAD, *end = p + len;
    uint64_t first_seq, count, first_ns;
    if (!codec_get_varint(&p, end, &first_seq) || !codec_get_varint(&p, end, &count) ||
        !codec_get_varint(&p, end, &first_ns))
        return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: bad chunk header", i,
                           (unsigned long long)c->offset);
    if (first_seq != c->first_seq || count != c->count)
        return reader_fail(r, TRACE_EFORMAT,
                           "chunk %zu at byte %llu: holds events %llu to %llu, the index says %llu to %llu",
                           i, (unsigned long long)c->offset, (unsigned long long)first_seq,
                           (unsigned long long)(first_seq + count - 1), (unsigned long long)c->first_seq,
                           (unsigned long long)(c->first_seq + c->count - 1));
    memset(r->cbuf + c->bytes - 4, 0, PAD + 4); /* the CRC is checked: pad from the payload's end */
    r->cur = i;
    r->events = p;
    r->p = p;
    r->end = end;
    r->pos_seq = c->first_seq;
    r->chunk_end_seq = c->first_seq + c->count;
    history_reset(r);
    return 0;
}

static int event_fail(struct trace_reader *r, const uint8_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int event_fail(struct trace_reader *r, const uint8_t *at, const char *fmt, ...)
{
    const struct trace_chunk_info *c = &r->ix.chunks[r->cur];
    uint64_t off = c->offset + (uint64_t)(at - r->cbuf);
    size_t i = r->cur;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    r->cur = NO_CHUNK; /* the chunk cannot be read further */
    return reader_fail(r, TRACE_EFORMAT, "chunk %zu at byte %llu: event %llu: %s", i,
                       (unsigned long long)off, (unsigned long long)r->pos_seq, why);
}

#define ALWAYS_INLINE inline __attribute__((always_inline))
#define LIKELY(x) __builtin_expect(!!(x), 1)

/* A varint of up to 10 bytes with no end check (the buffer is padded): the byte after it, or
 * NULL when it is too long or too large. */
static ALWAYS_INLINE const uint8_t *get_varint_padded(const uint8_t *p, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 70; shift += 7) {
        uint64_t b = *p++;
        if (shift == 63 && (b & 0x7f) > 1)
            return NULL;
        v |= (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return p;
        }
    }
    return NULL;
}

/* An address code (up to 66 bits) as hi = code >> 2, low = code & 3. */
static ALWAYS_INLINE const uint8_t *get_code_padded(const uint8_t *p, uint64_t *hi, unsigned *low)
{
    uint64_t b = *p++;
    *low = (unsigned)(b & 3);
    uint64_t v = (b & 0x7f) >> 2;
    unsigned shift = 5;
    while (b & 0x80) {
        if (shift > 61)
            return NULL; /* more than 10 bytes */
        b = *p++;
        if (shift == 61 && (b & 0x7f) > 7)
            return NULL; /* beyond 66 bits */
        v |= (b & 0x7f) << shift;
        shift += 7;
    }
    *hi = v;
    return p;
}

/* The decoding state of one event, in locals (registers) while it is decoded. */
struct cursor {
    const uint8_t *p;
    uint64_t hist_n; /* addresses in the chunk's history */
    uint64_t prev;   /* the last of them */
    uint64_t *hist;  /* the ring of the last FMT_HISTORY */
};

enum addr_status { ADDR_OK, ADDR_BAD_CODE, ADDR_OUT_OF_RANGE, ADDR_NULL };

static const char *const addr_errors[] = {
    [ADDR_BAD_CODE] = "bad address code",
    [ADDR_OUT_OF_RANGE] = "address repeat out of range",
    [ADDR_NULL] = "null in an address field",
};

/* An address code (FORMAT.md 6.3) into *out, updating the history.  A null (only when nullable)
 * is 0 and stays out of the history. */
static ALWAYS_INLINE enum addr_status get_addr(struct cursor *c, uint64_t *out, bool nullable)
{
    uint64_t hi, v;
    unsigned low;
    if (*c->p < 0x80) {
        hi = *c->p >> 2;
        low = *c->p & 3u;
        c->p++;
    } else if (!(c->p = get_code_padded(c->p, &hi, &low))) {
        return ADDR_BAD_CODE;
    }
    if (!(low & 1u)) {
        uint64_t d = hi < FMT_HISTORY ? (hi << 1 | low >> 1) : FMT_HISTORY;
        if (d >= c->hist_n || d >= FMT_HISTORY)
            return ADDR_OUT_OF_RANGE;
        v = c->hist[(c->hist_n - 1 - d) & HIST_MASK];
    } else if (low == 1) {
        v = c->prev + ((uint64_t)codec_unzigzag(hi) << 4);
    } else if (hi != 0) {
        v = c->prev + (uint64_t)codec_unzigzag(hi);
    } else if (nullable) {
        *out = 0;
        return ADDR_OK;
    } else {
        return ADDR_NULL;
    }
    c->hist[c->hist_n & HIST_MASK] = v;
    c->hist_n++;
    c->prev = v;
    *out = v;
    return ADDR_OK;
}

/* The fields of a kind the file does not define as this program does, by its plan. */
static int decode_fields_by_plan(struct trace_reader *r, const struct plan_kind *pk, unsigned n,
                                 const uint8_t *start, struct cursor *c, struct event *ev)
{
    const uint8_t *end = r->end;
    for (unsigned i = 0; i < n; i++) {
        uint64_t v;
        switch (pk->op[i]) {
        case OP_U:
        case OP_I:
            if (!(c->p = get_varint_padded(c->p, &v)))
                return event_fail(r, start, "bad varint");
            if (pk->op[i] == OP_I)
                v = (uint64_t)codec_unzigzag(v);
            break;
        case OP_A:
        case OP_P: {
            enum addr_status st = get_addr(c, &v, pk->op[i] == OP_P);
            if (st != ADDR_OK)
                return event_fail(r, start, "%s", addr_errors[st]);
            break;
        }
        default: { /* OP_S */
            uint64_t len;
            if (!codec_get_varint(&c->p, end, &len) || len > (uint64_t)(end - c->p) ||
                len > FMT_MAX_TEXT)
                return event_fail(r, start, "bad text");
            if (pk->dest[i] == DEST_TEXT) {
                ev->str = (const char *)c->p;
                ev->str_len = (uint32_t)len;
            }
            c->p += len;
            continue;
        }
        }
        if (c->p > end)
            return event_fail(r, start, "runs past the end of its chunk");
        if (pk->dest[i] >= 0)
            ev->u.f[pk->dest[i]] = v;
    }
    return 0;
}

/* A varint of 1 to 3 bytes at p (the buffer is padded: four bytes may be read), without a
 * branch on its length: its value, and its length in *len; 0 in *len when it is longer. */
static ALWAYS_INLINE uint32_t get_short_varint(const uint8_t *p, unsigned *len)
{
    uint32_t x;
    memcpy(&x, p, 4);
    uint32_t c1 = x >> 7 & 1, c2 = c1 & x >> 15, c3 = c2 & x >> 23;
    c2 &= 1;
    *len = (1 + c1 + c2) & ((c3 & 1) - 1);
    return (x & 0x7f) | (x >> 1 & 0x3f80 & -c1) | (x >> 2 & 0x1fc000 & -c2);
}

/*
 * An event of a lane kind (format.h) the common way: an address code and a second word of at
 * most three bytes each, and no third word.  Fills ev and moves the cursor, or returns false
 * having changed nothing, for the general path to decode the event (and to report what is wrong
 * with it).  Both address decodings are computed and one is kept, since which one an event uses
 * is as unpredictable as its kind.
 */
static ALWAYS_INLINE bool decode_lane(struct cursor *c, unsigned b, unsigned ln, const uint8_t *end,
                                      struct event *ev)
{
    unsigned elided = b >> 7;
    if ((ln & FMT_LANE_Z) && !elided)
        return false; /* the third word is there */
    const uint8_t *p = c->p;
    unsigned la, lv;
    uint32_t code = get_short_varint(p, &la);
    unsigned has_v = (ln & FMT_LANE_V) && !((ln & FMT_LANE_OPT) && elided);
    uint32_t v = get_short_varint(p + la, &lv);
    uint64_t d = code >> 1, low = code & 3;
    int64_t dz = codec_unzigzag(code >> 2);
    uint64_t rep = c->hist[(c->hist_n - 1 - d) & HIST_MASK];
    uint64_t delta = c->prev + (uint64_t)(low == 1 ? dz * 16 : dz);
    uint64_t x = (low & 1) ? delta : rep;
    bool bad = la == 0 || (has_v && lv == 0) || ((low & 1) ? code == 3 : (d >= c->hist_n || d >= FMT_HISTORY));
    p += la + (has_v ? lv : 0);
    if (bad || p > end)
        return false;
    ev->u.f[0] = x;
    ev->u.f[1] = has_v ? v : 0;
    c->hist[c->hist_n & HIST_MASK] = x;
    c->hist_n++;
    c->prev = x;
    c->p = p;
    return true;
}

/*
 * Decodes the loaded chunk's events from r->pos_seq on, until event `stop` (at most the chunk's
 * end) or until n events of kinds this program knows are stored in evs.  Events of optional kinds
 * it does not know are decoded and not stored.  With keep false every event goes to evs[0] (to
 * skip events when seeking).  counts, when not NULL, counts every event by file kind.  Returns
 * how many were stored; on damage *err is set (else 0), the events before the damaged one are
 * stored and counted, and the chunk is unloaded.
 *
 * A native kind is decoded by code generated from the table, with the field types known at
 * compile time: one indirect jump per event instead of one per field.  A native kind with a lane
 * (format.h: an address and at most one small word, nearly all of a heap's events) is first
 * tried by decode_lane, without that jump or any branch on the codes' lengths; whatever it does
 * not take (longer codes, damage) goes the general way, which says what is wrong.  The decoding state lives
 * in locals across the run and goes back to the reader at its end.  Varints are read without an
 * end check since the chunk buffer is padded; `p > end` after each field catches an event that
 * runs past its chunk.
 */
static ALWAYS_INLINE size_t decode_body(struct trace_reader *r, struct event *evs, size_t n, uint64_t stop,
                                        bool keep, uint64_t *counts, int *err)
{
    /* The state lives in locals: stores through ev could alias the reader's fields. */
    const uint8_t *start, *const end = r->end;
    struct cursor c = {.p = r->p, .hist_n = r->hist_n, .prev = r->prev, .hist = r->hist};
    uint64_t seq = r->pos_seq;
    struct event *ev = evs;
    enum addr_status st = ADDR_OK;
    const char *why;
    *err = 0;
    if (keep && stop - seq > n)
        stop = seq + n; /* n events stored, or fewer when some were of kinds skipped */

    while (seq < stop) {
        start = c.p;
        if (c.p >= end) {
            why = "the chunk ends before its last event";
            goto fail;
        }
        unsigned b = *c.p++;
        unsigned id = b & 0x7fu;
        memset(ev->u.f, 0, sizeof ev->u.f);
        ev->str = NULL;
        ev->str_len = 0;
        bool known = true;
        unsigned ln = r->lane[id];
        if (LIKELY(ln != 0) && LIKELY(decode_lane(&c, b, ln, end, ev))) {
            ev->kind = (enum event_kind)id;
        } else {
            uint64_t len;
            switch (r->kmap[id]) {
#define DEC_u(n)                                                                                 \
    if (fi++ < lim) {                                                                            \
        if (*c.p < 0x80)                                                                         \
            e->n = *c.p++;                                                                       \
        else if (!(c.p = get_varint_padded(c.p, &e->n)))                                         \
            goto bad_varint;                                                                     \
        if (c.p > end)                                                                           \
            goto overrun;                                                                        \
    }
#define DEC_i(n)                                                                                 \
    if (fi++ < lim) {                                                                            \
        uint64_t z_;                                                                             \
        if (!(c.p = get_varint_padded(c.p, &z_)))                                                \
            goto bad_varint;                                                                     \
        e->n = codec_unzigzag(z_);                                                               \
        if (c.p > end)                                                                           \
            goto overrun;                                                                        \
    }
#define DEC_ADDR(n, nullable)                                                                    \
    if (fi++ < lim) {                                                                            \
        if ((st = get_addr(&c, &e->n, nullable)) != ADDR_OK)                                     \
            goto bad_addr;                                                                       \
        if (c.p > end)                                                                           \
            goto overrun;                                                                        \
    }
#define DEC_a(n) DEC_ADDR(n, false)
#define DEC_p(n) DEC_ADDR(n, true)
#define DEC_s(n)                                                                                 \
    if (fi++ < lim) {                                                                            \
        if (!codec_get_varint(&c.p, end, &len) || len > (uint64_t)(end - c.p) ||                 \
            len > FMT_MAX_TEXT)                                                                  \
            goto bad_text;                                                                       \
        ev->str = (const char *)c.p;                                                             \
        ev->str_len = (uint32_t)len;                                                             \
        c.p += len;                                                                              \
    }
#define EV_FIELD(t, n) DEC_##t(n)
#define X(K, n, fl, tl, fields)                                                                  \
    case EV_##K: {                                                                               \
        struct event_##n *e = &ev->u.n;                                                          \
        const unsigned lim = (b & 0x80u) ? tl : FMT_MAX_FIELDS;                                  \
        unsigned fi = 0;                                                                         \
        (void)e;                                                                                 \
        fields (void)fi;                                                                         \
        ev->kind = EV_##K;                                                                       \
        break;                                                                                   \
    }
                EVENT_KINDS(X)
#undef X
#undef EV_FIELD
            case KIND_PLAN: {
                const struct plan_kind *pk = &r->plan[id];
                if (pk->own < 0 && !pk->optional) {
                    r->pos_seq = seq;
                    *err = event_fail(r, start, "kind '%s' is unknown to this arenascope and not optional",
                                      r->schema.kinds[id].name);
                    return (size_t)(ev - evs);
                }
                struct cursor g = c; /* c itself never escapes, so that it can live in registers */
                r->pos_seq = seq;
                if ((*err = decode_fields_by_plan(r, pk, (b & 0x80u) ? pk->tail : pk->nfields, start, &g, ev)))
                    return (size_t)(ev - evs);
                c = g;
                known = pk->own >= 0;
                ev->kind = (enum event_kind)(known ? pk->own : 0);
                break;
            }
            default:
                why = "kind id not in the schema";
                goto fail;
            }
        }
        ev->seq = seq++;
        if (counts)
            counts[id]++;
        if (keep && known)
            ev++;
    }
    if (seq == r->chunk_end_seq && c.p != end) {
        start = c.p;
        why = "bytes after the chunk's last event";
        goto fail;
    }
    r->p = c.p;
    r->hist_n = c.hist_n;
    r->prev = c.prev;
    r->pos_seq = seq;
    return (size_t)(ev - evs);

bad_varint:
    why = "bad varint";
    goto fail;
bad_addr:
    why = addr_errors[st];
    goto fail;
bad_text:
    why = "bad text";
    goto fail;
overrun:
    why = "runs past the end of its chunk";
fail:
    r->pos_seq = seq;
    *err = event_fail(r, start, "%s", why);
    return (size_t)(ev - evs);
}

/* The reading of events in order (next and read): every event stored, nothing counted. */
static size_t decode_events(struct trace_reader *r, struct event *evs, size_t n, int *err)
{
    return decode_body(r, evs, n, r->chunk_end_seq, true, NULL, err);
}

static size_t decode_run(struct trace_reader *r, struct event *evs, size_t n, uint64_t stop,
                         bool keep, uint64_t *counts, int *err)
{
    return decode_body(r, evs, n, stop, keep, counts, err);
}

/* Finds the chunk holding seq (seq < nevents). */
static size_t chunk_of(const struct trace_reader *r, uint64_t seq)
{
    size_t lo = 0, hi = r->ix.nchunks;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (r->ix.chunks[mid].first_seq <= seq)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Makes sure the chunk holding pos_seq is loaded; 0 at the end, 1 when ready, < 0 on error. */
static int ensure_chunk(struct trace_reader *r)
{
    if (r->cur != NO_CHUNK) {
        const struct trace_chunk_info *c = &r->ix.chunks[r->cur];
        if (r->pos_seq < c->first_seq + c->count)
            return 1;
    }
    if (r->pos_seq >= r->ix.nevents)
        return 0;
    size_t i = r->cur != NO_CHUNK && r->cur + 1 < r->ix.nchunks &&
                       r->ix.chunks[r->cur + 1].first_seq == r->pos_seq
                   ? r->cur + 1
                   : chunk_of(r, r->pos_seq);
    uint64_t want = r->pos_seq;
    int rc = load_chunk(r, i);
    if (rc)
        return rc;
    struct event scratch;
    int err;
    decode_run(r, &scratch, 1, want, false, NULL, &err);
    return err ? err : 1;
}

static void buffer_drop(struct trace_reader *r)
{
    r->rb_pos = r->rb_n = 0;
    r->rb_err = 0;
}

/* Decodes up to n events from the read position on, loading chunks as needed: how many, with the
 * damage that stopped them in *err (to be reported once they were handed out); 0 with *err set
 * when the damage came first; ensure_chunk()'s 0 or error when there is no chunk to read. */
static ssize_t decode_more(struct trace_reader *r, struct event *evs, size_t n, int *err)
{
    *err = 0;
    for (;;) {
        int rc = ensure_chunk(r);
        if (rc <= 0)
            return rc;
        size_t k = decode_events(r, evs, n, err);
        if (k || *err)
            return (ssize_t)k;
        /* only events of optional kinds this program does not know, to the chunk's end */
    }
}

/* The damage met after the events last handed out: reported once. */
static int pending_error_take(struct trace_reader *r)
{
    int err = r->rb_err;
    r->rb_err = 0;
    return err;
}

/* trace_reader_next() when nothing read ahead is left: reads ahead again. */
static __attribute__((noinline)) int next_refill(struct trace_reader *r, struct event *ev)
{
    if (r->rb_err)
        return pending_error_take(r);
    int err;
    ssize_t k = decode_more(r, r->rb, READ_AHEAD, &err);
    if (k > 0) {
        r->rb_n = (size_t)k;
        r->rb_pos = 0;
        r->rb_err = err;
        *ev = r->rb[r->rb_pos++];
        return 1;
    }
    if (err)
        buffer_drop(r);
    return err ? err : (int)k;
}

int trace_reader_next(struct trace_reader *r, struct event *ev)
{
    size_t i = r->rb_pos;
    if (LIKELY(i < r->rb_n)) {
        r->rb_pos = i + 1;
        *ev = r->rb[i];
        return 1;
    }
    return next_refill(r, ev);
}

ssize_t trace_reader_read(struct trace_reader *r, struct event *evs, size_t n)
{
    if (n == 0)
        return 0;
    if (r->rb_pos < r->rb_n) { /* what next() read ahead comes first */
        size_t k = r->rb_n - r->rb_pos < n ? r->rb_n - r->rb_pos : n;
        memcpy(evs, r->rb + r->rb_pos, k * sizeof *evs);
        r->rb_pos += k;
        return (ssize_t)k;
    }
    if (r->rb_err)
        return pending_error_take(r);
    int err;
    ssize_t k = decode_more(r, evs, n, &err);
    if (k > 0)
        r->rb_err = err; /* reported by the next call */
    return k > 0 || !err ? k : err;
}

int trace_reader_seek(struct trace_reader *r, uint64_t seq)
{
    if (seq > r->ix.nevents)
        return reader_fail(r, TRACE_ERANGE, "no event %llu (the trace has %llu)",
                           (unsigned long long)seq, (unsigned long long)r->ix.nevents);
    if (r->rb_n && !r->rb_err && seq >= r->rb[0].seq && seq <= r->rb[r->rb_n - 1].seq &&
        r->pos_seq == r->rb[r->rb_n - 1].seq + 1) {
        /* within what was read ahead, the decoder still right after it: a step back costs
         * nothing (once a batch read went on past the buffer, the slow way is the right one) */
        size_t i = 0;
        while (r->rb[i].seq < seq)
            i++;
        r->rb_pos = i;
        return 0;
    }
    buffer_drop(r);
    if (r->cur != NO_CHUNK) {
        const struct trace_chunk_info *c = &r->ix.chunks[r->cur];
        if (seq >= c->first_seq && seq < c->first_seq + c->count) {
            if (seq < r->pos_seq) { /* back within the loaded chunk: decode again from its start */
                r->p = r->events;
                r->pos_seq = c->first_seq;
                history_reset(r);
            }
            struct event scratch;
            int err;
            decode_run(r, &scratch, 1, seq, false, NULL, &err);
            return err;
        }
    }
    r->cur = NO_CHUNK;
    r->pos_seq = seq;
    int rc = ensure_chunk(r);
    return rc < 0 ? rc : 0;
}

uint64_t trace_reader_tell(const struct trace_reader *r)
{
    return r->rb_pos < r->rb_n ? r->rb[r->rb_pos].seq : r->pos_seq;
}

int trace_reader_count_kinds(struct trace_reader *r, uint64_t *counts)
{
    size_t nk = r->schema.nkinds;
    if (r->complete && r->ix.kind_events) {
        memcpy(counts, r->ix.kind_events, nk * sizeof *counts);
        return 0;
    }
    memset(counts, 0, nk * sizeof *counts);
    buffer_drop(r);
    r->cur = NO_CHUNK;
    r->pos_seq = 0;
    struct event ev;
    for (;;) {
        int rc = ensure_chunk(r);
        if (rc <= 0)
            return rc;
        decode_run(r, &ev, 1, r->chunk_end_seq, false, counts, &rc);
        if (rc)
            return rc;
    }
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

int trace_reader_verify(struct trace_reader *r)
{
    if (r->damage[0])
        return reader_fail(r, r->truncated_at ? TRACE_ETRUNCATED : TRACE_EFORMAT, "%s",
                           r->damage + strlen(r->path) + 2);
    if (!r->complete)
        return reader_fail(r, TRACE_EFORMAT,
                           "no index: the recording did not finish (its %llu events are readable)",
                           (unsigned long long)r->ix.nevents);
    int rc = verify_layout(r);
    if (rc)
        return rc;
    size_t nk = r->schema.nkinds;
    uint64_t *counts = calloc(nk, sizeof *counts);
    if (!counts)
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    struct event ev;
    buffer_drop(r);
    for (size_t i = 0; i < r->ix.nchunks && !rc; i++) {
        rc = load_chunk(r, i);
        if (!rc)
            decode_run(r, &ev, 1, r->chunk_end_seq, false, counts, &rc);
    }
    for (size_t k = 0; k < nk && !rc && r->ix.kind_events; k++) /* none when followed */
        if (counts[k] != r->ix.kind_events[k])
            rc = reader_fail(r, TRACE_EFORMAT, "the index counts %llu '%s' events, the chunks hold %llu",
                             (unsigned long long)r->ix.kind_events[k], r->schema.kinds[k].name,
                             (unsigned long long)counts[k]);
    free(counts);
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

size_t trace_reader_blob_range(const struct trace_reader *r, const char *type, size_t *first)
{
    size_t i = 0, n = 0;
    while (i < r->ix.nblobs && memcmp(r->ix.blobs[i].type, type, 4) < 0)
        i++;
    while (i + n < r->ix.nblobs && memcmp(r->ix.blobs[i + n].type, type, 4) == 0)
        n++;
    *first = i;
    return n;
}

int trace_reader_blob_load(struct trace_reader *r, size_t i, void **buf, size_t *len)
{
    const struct fmt_blob *b = &r->ix.blobs[i];
    *buf = NULL;
    *len = 0;
    uint8_t *rec = malloc((size_t)b->bytes);
    if (!rec)
        return reader_fail(r, TRACE_ENOMEM, "out of memory");
    int rc = read_at(r, rec, (size_t)b->bytes, b->offset);
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
        return rc;
    }
    size_t n = (size_t)(end - p);
    memmove(rec, p, n);
    *buf = rec;
    *len = n;
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
