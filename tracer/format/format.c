/*
 * format.c - the parts of FORMAT.md that the writer, the reader and blob storage share:
 * record framing, the header and its schema (sections 4 and 5), and the index (section 8).
 *
 * Every decoder here reads untrusted bytes: it checks each length against what is left before
 * using it, and reports the first problem in `why` as a short phrase that the caller prefixes
 * with the file name and offset.
 */
#include "format.h"

#include <allocator/errmsg.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *trace_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case TRACE_EIO: return "input/output error";
    case TRACE_EFORMAT: return "not a trace, or damaged";
    case TRACE_EVERSION: return "written by a newer arenascope";
    case TRACE_ENOMEM: return "out of memory";
    case TRACE_ERANGE: return "no such event";
    case TRACE_ETRUNCATED: return "the file ends inside a record";
    default: return "unknown error";
    }
}

/* ---- lanes ------------------------------------------------------------------------------------ */

uint8_t fmt_kind_lane[EV_KIND_COUNT];
static pthread_once_t lanes_once = PTHREAD_ONCE_INIT;

static void lanes_fill(void)
{
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        enum event_kind kk = (enum event_kind)k;
        size_t nw = event_kind_field_count(kk), tail = event_kind_tail(kk);
        if (event_kind_text_name(kk) || nw == 0 || nw > 3 || event_kind_field_type(kk, 0) != 'a' || tail == 0)
            continue;
        if ((nw >= 2 && event_kind_field_type(kk, 1) != 'u') || (nw == 3 && event_kind_field_type(kk, 2) != 'u'))
            continue;
        unsigned lane = FMT_LANE_ON | (unsigned)nw << FMT_LANE_NW_SHIFT;
        if (nw == 2)
            lane |= FMT_LANE_V | (tail == 1 ? FMT_LANE_OPT : 0);
        else if (nw == 3 && tail == 2)
            lane |= FMT_LANE_V | FMT_LANE_Z;
        else if (nw == 3)
            continue; /* a tail of two words */
        fmt_kind_lane[k] = (uint8_t)lane;
    }
}

void fmt_lanes_init(void)
{
    pthread_once(&lanes_once, lanes_fill);
}

/* ---- records ---------------------------------------------------------------------------------- */

void fmt_record_seal(uint8_t *rec, const char tag[4], uint32_t len)
{
    memcpy(rec, tag, 4);
    codec_put_u32le(rec + 4, len);
    codec_put_u32le(rec + FMT_REC_HEAD + len, codec_crc32c(0, rec, FMT_REC_HEAD + (size_t)len));
}

static bool is_letter(uint8_t c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool fmt_tag_is_valid(const uint8_t tag[4])
{
    return is_letter(tag[0]) && is_letter(tag[1]) && is_letter(tag[2]) && is_letter(tag[3]);
}

bool fmt_tag_is_critical(const uint8_t tag[4])
{
    return tag[0] >= 'A' && tag[0] <= 'Z';
}

uint64_t fmt_tag_limit(const uint8_t tag[4])
{
    if (memcmp(tag, FMT_TAG_HEAD, 4) == 0)
        return FMT_MAX_HEAD;
    if (memcmp(tag, FMT_TAG_EVTS, 4) == 0)
        return FMT_MAX_EVTS;
    if (memcmp(tag, FMT_TAG_INDX, 4) == 0)
        return FMT_MAX_INDX;
    if (memcmp(tag, FMT_TAG_TAIL, 4) == 0)
        return 8;
    return UINT32_MAX;
}

int fmt_write_all(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

int fmt_pread_all(int fd, void *buf, size_t n, uint64_t off)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = pread(fd, p, n, (off_t)off);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (k == 0) {
            errno = 0;
            return -1;
        }
        p += k;
        n -= (size_t)k;
        off += (uint64_t)k;
    }
    return 0;
}

/* ---- the header ------------------------------------------------------------------------------- */

static void put_field_bytes(struct codec_buf *b, unsigned id, const char *s, size_t n)
{
    codec_buf_put_varint(b, id);
    codec_buf_put_text(b, s, n);
}

static void put_field_text(struct codec_buf *b, unsigned id, const char *s, size_t cap)
{
    size_t n = strnlen(s, cap);
    if (n)
        put_field_bytes(b, id, s, n);
}

static void put_field_uint(struct codec_buf *b, unsigned id, uint64_t v)
{
    codec_buf_put_varint(b, id);
    codec_buf_put_varint(b, codec_varint_size(v));
    codec_buf_put_varint(b, v);
}

static void put_schema(struct codec_buf *s)
{
    codec_buf_put_varint(s, EV_KIND_COUNT);
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        const char *name = event_kind_name((enum event_kind)k);
        size_t nwords = event_kind_field_count((enum event_kind)k);
        const char *text = event_kind_text_name((enum event_kind)k);
        codec_buf_put_text(s, name, strlen(name));
        codec_buf_put_varint(s, event_kind_flags((enum event_kind)k));
        codec_buf_put_varint(s, event_kind_tail((enum event_kind)k));
        codec_buf_put_varint(s, nwords + (text != NULL));
        for (size_t i = 0; i < nwords; i++) {
            const char *f = event_kind_field_name((enum event_kind)k, i);
            char t = event_kind_field_type((enum event_kind)k, i);
            codec_buf_put_text(s, f, strlen(f));
            codec_buf_put(s, &t, 1);
        }
        if (text) {
            codec_buf_put_text(s, text, strlen(text));
            codec_buf_put(s, "s", 1);
        }
    }
}

void fmt_header_encode(struct codec_buf *b, const struct trace_header *h)
{
    put_field_text(b, FMT_H_WRITER, h->writer, sizeof h->writer);
    put_field_text(b, FMT_H_COMMAND, h->command, sizeof h->command);
    put_field_uint(b, FMT_H_CLOCK, h->clock_realtime_ns);
    put_field_text(b, FMT_H_PROFILE, h->profile, sizeof h->profile);
    put_field_text(b, FMT_H_ARENA_SOURCE, h->arena_source, sizeof h->arena_source);
    put_field_uint(b, FMT_H_ALIGNMENT, h->alignment);
    put_field_uint(b, FMT_H_THRESHOLD, h->threshold);
    put_field_uint(b, FMT_H_POOL_SIZE, h->pool_size);
    put_field_uint(b, FMT_H_ARENA_SIZE, h->arena_size);
    put_field_uint(b, FMT_H_POOL_OVERHEAD, h->pool_overhead);
    put_field_uint(b, FMT_H_POINTER_SIZE, h->pointer_size);
    put_field_uint(b, FMT_H_KEEP_LAST, h->keep_last_free_arena);
    if (h->arena_map_bits)
        put_field_uint(b, FMT_H_ARENA_MAP_BITS, h->arena_map_bits);
    put_field_text(b, FMT_H_GC_PROFILE, h->gc_profile, sizeof h->gc_profile);
    if (h->program[0])
        put_field_text(b, FMT_H_PROGRAM, h->program, sizeof h->program);
    if (h->program_version[0])
        put_field_text(b, FMT_H_PROGRAM_VERSION, h->program_version, sizeof h->program_version);
    if (h->window)
        put_field_uint(b, FMT_H_WINDOW, h->window);

    struct codec_buf v;
    codec_buf_init(&v);
    uint32_t ngen = h->ngenerations < TRACE_MAX_GENERATIONS ? h->ngenerations : TRACE_MAX_GENERATIONS;
    codec_buf_put_varint(&v, ngen);
    for (uint32_t g = 0; g < ngen; g++) {
        const char *name = h->generation_names[g];
        codec_buf_put_text(&v, name, strnlen(name, sizeof h->generation_names[g]));
        codec_buf_put_varint(&v, h->thresholds[g]);
    }
    if (ngen)
        put_field_bytes(b, FMT_H_GENERATIONS, (const char *)v.data, v.len);
    b->failed |= v.failed;
    v.len = 0;

    put_field_uint(b, FMT_H_LEGACY_FINALIZERS, h->legacy_finalizers);
    uint64_t startup = 0;
    for (uint32_t g = 0; g <= ngen; g++)
        startup += h->gc_startup[g];
    if (startup) {
        codec_buf_put_varint(&v, ngen + 1);
        for (uint32_t g = 0; g <= ngen; g++)
            codec_buf_put_varint(&v, h->gc_startup[g]);
        put_field_bytes(b, FMT_H_GC_STARTUP, (const char *)v.data, v.len);
        b->failed |= v.failed;
        v.len = 0;
    }
    put_schema(&v);
    put_field_bytes(b, FMT_H_SCHEMA, (const char *)v.data, v.len);
    b->failed |= v.failed;
    codec_buf_release(&v);
}

void fmt_schema_release(struct fmt_schema *s)
{
    free(s->pool);
    s->pool = NULL;
    s->nkinds = 0;
}

bool fmt_name_is_valid(const uint8_t *p, size_t n)
{
    if (n == 0 || n > FMT_MAX_NAME)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= '0' && p[i] <= '9') || p[i] == '_'))
            return false;
    return true;
}

/* Reads a name (text of [a-z0-9_]) and copies it NUL-terminated into the pool. */
static bool get_name(const uint8_t **p, const uint8_t *end, char **pool, const char **out)
{
    uint64_t n;
    if (!codec_get_varint(p, end, &n) || n > (uint64_t)(end - *p) ||
        !fmt_name_is_valid(*p, (size_t)n))
        return false;
    memcpy(*pool, *p, (size_t)n);
    (*pool)[n] = '\0';
    *out = *pool;
    *pool += n + 1;
    *p += n;
    return true;
}

static int decode_schema(const uint8_t *p, const uint8_t *end, struct fmt_schema *s, char *why,
                         size_t whylen)
{
    uint64_t nkinds;
    if (!codec_get_varint(&p, end, &nkinds) || nkinds == 0 || nkinds > FMT_MAX_KINDS)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: bad kind count");
    /* Every name is copied NUL-terminated: the payload's size bounds the pool's. */
    s->pool = malloc((size_t)(end - p) + 1);
    if (!s->pool)
        return errmsg_fail(why, whylen, TRACE_ENOMEM, "out of memory");
    char *pool = s->pool;
    s->nkinds = (size_t)nkinds;
    for (size_t k = 0; k < s->nkinds; k++) {
        struct fmt_kind *fk = &s->kinds[k];
        uint64_t flags, tail, nfields;
        if (!get_name(&p, end, &pool, &fk->name))
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: kind %zu: bad name", k);
        for (size_t j = 0; j < k; j++)
            if (strcmp(s->kinds[j].name, fk->name) == 0)
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: kind '%s' twice", fk->name);
        if (!codec_get_varint(&p, end, &flags) || !codec_get_varint(&p, end, &tail) ||
            !codec_get_varint(&p, end, &nfields) || nfields > FMT_MAX_FIELDS || tail > nfields)
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: kind '%s': bad counts", fk->name);
        fk->flags = (unsigned)(flags & EVF_OPTIONAL);
        fk->tail = (unsigned)tail;
        fk->nfields = (unsigned)nfields;
        for (unsigned i = 0; i < fk->nfields; i++) {
            if (!get_name(&p, end, &pool, &fk->field_names[i]) || p >= end)
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: kind '%s': bad field %u",
                                   fk->name, i);
            char t = (char)*p++;
            if (t != 'u' && t != 'i' && t != 'a' && t != 'p' && t != 's')
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: kind '%s': field '%s' has type %d",
                                   fk->name, fk->field_names[i], (int)(unsigned char)t);
            if (t == 's' && i + 1 != fk->nfields)
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: kind '%s': text field '%s' is not last",
                                   fk->name, fk->field_names[i]);
            for (unsigned j = 0; j < i; j++)
                if (strcmp(fk->field_names[j], fk->field_names[i]) == 0)
                    return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: kind '%s': field '%s' twice",
                                       fk->name, fk->field_names[i]);
            fk->types[i] = t;
        }
    }
    if (p != end)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "schema: %zu bytes after the last kind",
                           (size_t)(end - p));
    return 0;
}

static bool get_uint_value(const uint8_t *v, size_t n, uint64_t *out)
{
    const uint8_t *p = v;
    return codec_get_varint(&p, v + n, out) && p == v + n;
}

static void copy_text(char *dst, size_t cap, const uint8_t *v, size_t n)
{
    if (n > cap - 1)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static uint32_t clamp32(uint64_t v)
{
    return v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

int fmt_header_decode(const uint8_t *p, size_t n, struct trace_header *h, struct fmt_schema *s,
                      char *why, size_t whylen)
{
    const uint8_t *end = p + n;
    uint32_t seen = 0; /* bit id: ids 1..31 met */
    bool have_schema = false;
    memset(h, 0, sizeof *h);
    s->nkinds = 0;
    s->pool = NULL;
    while (p < end) {
        uint64_t id, len, u = 0;
        if (!codec_get_varint(&p, end, &id) || !codec_get_varint(&p, end, &len) ||
            len > (uint64_t)(end - p))
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "bad header field");
        const uint8_t *v = p;
        p += len;
        if (id < 32) {
            if (seen & (1u << id))
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u twice", (unsigned)id);
            seen |= 1u << id;
        }
        switch (id) {
        case FMT_H_WRITER: copy_text(h->writer, sizeof h->writer, v, (size_t)len); continue;
        case FMT_H_COMMAND: copy_text(h->command, sizeof h->command, v, (size_t)len); continue;
        case FMT_H_PROFILE: copy_text(h->profile, sizeof h->profile, v, (size_t)len); continue;
        case FMT_H_ARENA_SOURCE:
            copy_text(h->arena_source, sizeof h->arena_source, v, (size_t)len);
            continue;
        case FMT_H_GC_PROFILE:
            copy_text(h->gc_profile, sizeof h->gc_profile, v, (size_t)len);
            continue;
        case FMT_H_PROGRAM: copy_text(h->program, sizeof h->program, v, (size_t)len); continue;
        case FMT_H_PROGRAM_VERSION:
            copy_text(h->program_version, sizeof h->program_version, v, (size_t)len);
            continue;
        case FMT_H_GENERATIONS: {
            const uint8_t *q = v, *qend = v + len;
            uint64_t ngen;
            if (!codec_get_varint(&q, qend, &ngen))
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value", (unsigned)id);
            for (uint64_t g = 0; g < ngen; g++) {
                uint64_t nlen, thr;
                if (!codec_get_varint(&q, qend, &nlen) || nlen > (uint64_t)(qend - q))
                    return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value",
                                       (unsigned)id);
                const uint8_t *name = q;
                q += nlen;
                if (!codec_get_varint(&q, qend, &thr))
                    return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value",
                                       (unsigned)id);
                if (g < TRACE_MAX_GENERATIONS) {
                    copy_text(h->generation_names[g], sizeof h->generation_names[g], name,
                              (size_t)nlen);
                    h->thresholds[g] = clamp32(thr);
                }
            }
            if (q != qend)
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value", (unsigned)id);
            h->ngenerations = ngen < TRACE_MAX_GENERATIONS ? (uint32_t)ngen : TRACE_MAX_GENERATIONS;
            continue;
        }
        case FMT_H_GC_STARTUP: {
            const uint8_t *q = v, *qend = v + len;
            uint64_t nstartup, count;
            if (!codec_get_varint(&q, qend, &nstartup))
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value", (unsigned)id);
            for (uint64_t g = 0; g < nstartup; g++) {
                if (!codec_get_varint(&q, qend, &count))
                    return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value",
                                       (unsigned)id);
                if (g <= TRACE_MAX_GENERATIONS)
                    h->gc_startup[g] = count;
            }
            if (q != qend)
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value", (unsigned)id);
            continue;
        }
        case FMT_H_SCHEMA: {
            int err = decode_schema(v, v + len, s, why, whylen);
            if (err)
                return err;
            have_schema = true;
            continue;
        }
        case FMT_H_CLOCK:
        case FMT_H_ALIGNMENT:
        case FMT_H_THRESHOLD:
        case FMT_H_POOL_SIZE:
        case FMT_H_ARENA_SIZE:
        case FMT_H_POOL_OVERHEAD:
        case FMT_H_POINTER_SIZE:
        case FMT_H_KEEP_LAST:
        case FMT_H_LEGACY_FINALIZERS:
        case FMT_H_ARENA_MAP_BITS:
        case FMT_H_WINDOW:
            if (!get_uint_value(v, (size_t)len, &u))
                return errmsg_fail(why, whylen, TRACE_EFORMAT, "header field %u: bad value", (unsigned)id);
            break;
        default:
            continue; /* a field of a newer writer */
        }
        switch (id) {
        case FMT_H_CLOCK: h->clock_realtime_ns = u; break;
        case FMT_H_ALIGNMENT: h->alignment = clamp32(u); break;
        case FMT_H_THRESHOLD: h->threshold = clamp32(u); break;
        case FMT_H_POOL_SIZE: h->pool_size = clamp32(u); break;
        case FMT_H_ARENA_SIZE: h->arena_size = clamp32(u); break;
        case FMT_H_POOL_OVERHEAD: h->pool_overhead = clamp32(u); break;
        case FMT_H_POINTER_SIZE: h->pointer_size = clamp32(u); break;
        case FMT_H_KEEP_LAST: h->keep_last_free_arena = u != 0; break;
        case FMT_H_WINDOW: h->window = u; break;
        case FMT_H_LEGACY_FINALIZERS: h->legacy_finalizers = u != 0; break;
        case FMT_H_ARENA_MAP_BITS: h->arena_map_bits = clamp32(u); break;
        default: break;
        }
    }
    if (!have_schema)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "the header has no schema");
    return 0;
}

/* ---- the index -------------------------------------------------------------------------------- */

void fmt_index_init(struct fmt_index *ix)
{
    memset(ix, 0, sizeof *ix);
}

void fmt_index_release(struct fmt_index *ix)
{
    free(ix->chunks);
    free(ix->kind_events);
    free(ix->blobs);
    fmt_index_init(ix);
}

bool fmt_index_push_chunk(struct fmt_index *ix, const struct trace_chunk_info *c)
{
    if (!codec_array_reserve((void **)&ix->chunks, &ix->chunks_cap, ix->nchunks + 1,
                             sizeof *ix->chunks))
        return false;
    ix->chunks[ix->nchunks++] = *c;
    ix->nevents += c->count;
    return true;
}

size_t fmt_index_drop_before(struct fmt_index *ix, uint64_t seq, uint64_t offset)
{
    size_t k = 0;
    while (k < ix->nchunks && ix->chunks[k].first_seq + ix->chunks[k].count <= seq)
        k++;
    if (k) {
        memmove(ix->chunks, ix->chunks + k, (ix->nchunks - k) * sizeof *ix->chunks);
        ix->nchunks -= k;
    }
    if (seq > ix->first_seq)
        ix->first_seq = seq;
    size_t nb = 0;
    for (size_t i = 0; i < ix->nblobs; i++)
        if (ix->blobs[i].offset >= offset)
            ix->blobs[nb++] = ix->blobs[i];
    ix->nblobs = nb;
    /* the arrays shrink when they have become mostly empty, so that memory follows the window */
    if (ix->chunks_cap > 64 && ix->nchunks < ix->chunks_cap / 4) {
        size_t cap = ix->nchunks * 2 > 16 ? ix->nchunks * 2 : 16;
        void *p = realloc(ix->chunks, cap * sizeof *ix->chunks);
        if (p) {
            ix->chunks = p;
            ix->chunks_cap = cap;
        }
    }
    return k;
}

/* (type, key), then file order: of two blobs with the same type and key the later one counts. */
static int blob_cmp(const void *a, const void *b)
{
    const struct fmt_blob *x = a, *y = b;
    int c = memcmp(x->type, y->type, 4);
    if (c)
        return c;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->offset < y->offset ? -1 : x->offset > y->offset;
}

bool fmt_index_add_blob(struct fmt_index *ix, const struct fmt_blob *b)
{
    if (!codec_array_reserve((void **)&ix->blobs, &ix->blobs_cap, ix->nblobs + 1,
                             sizeof *ix->blobs))
        return false;
    ix->blobs[ix->nblobs++] = *b;
    return true;
}

void fmt_index_sort_blobs(struct fmt_index *ix)
{
    if (ix->nblobs < 2)
        return;
    qsort(ix->blobs, ix->nblobs, sizeof *ix->blobs, blob_cmp);
    size_t n = 0;
    for (size_t i = 0; i < ix->nblobs; i++) {
        const struct fmt_blob *b = &ix->blobs[i];
        if (n && memcmp(ix->blobs[n - 1].type, b->type, 4) == 0 && ix->blobs[n - 1].key == b->key)
            n--; /* the later duplicate replaces the earlier */
        ix->blobs[n++] = *b;
    }
    ix->nblobs = n;
}

void fmt_index_encode(const struct fmt_index *ix, struct codec_buf *b)
{
    uint64_t prev_off = 0, prev_ns = 0;
    if (ix->windowed)
        codec_buf_put_varint(b, ix->nchunks ? ix->chunks[0].first_seq : ix->nevents);
    codec_buf_put_varint(b, ix->nchunks);
    for (size_t i = 0; i < ix->nchunks; i++) {
        const struct trace_chunk_info *c = &ix->chunks[i];
        codec_buf_put_varint(b, c->offset - prev_off);
        codec_buf_put_varint(b, c->bytes);
        codec_buf_put_varint(b, c->count);
        codec_buf_put_varint(b, codec_zigzag((int64_t)(c->first_ns - prev_ns)));
        prev_off = c->offset;
        prev_ns = c->first_ns;
    }
    codec_buf_put_varint(b, ix->nevents);
    codec_buf_put_varint(b, ix->nkinds);
    for (size_t k = 0; k < ix->nkinds; k++)
        codec_buf_put_varint(b, ix->kind_events ? ix->kind_events[k] : 0);
    codec_buf_put_varint(b, ix->nblobs);
    for (size_t i = 0; i < ix->nblobs; i++) {
        const struct fmt_blob *bl = &ix->blobs[i];
        codec_buf_put(b, bl->type, 4);
        codec_buf_put_varint(b, bl->key);
        codec_buf_put_varint(b, bl->offset);
        codec_buf_put_varint(b, bl->bytes);
    }
}

bool fmt_blob_type_is_valid(const uint8_t t[4])
{
    for (int i = 0; i < 4; i++)
        if (!is_letter(t[i]) && !(t[i] >= '0' && t[i] <= '9'))
            return false;
    return true;
}

int fmt_index_decode(struct fmt_index *ix, const uint8_t *p, size_t n, size_t nkinds, bool windowed,
                     uint64_t limit, char *why, size_t whylen)
{
    const uint8_t *end = p + n;
    uint64_t nchunks, off = 0, ns = 0, seq = 0, prev_end = FMT_PREFIX_LEN;
    fmt_index_init(ix);
    ix->windowed = windowed;
    if (windowed && !codec_get_varint(&p, end, &seq))
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: bad first event");
    ix->first_seq = seq;
    ix->nevents = seq;
    if (!codec_get_varint(&p, end, &nchunks) || nchunks > n / 4)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: bad chunk count");
    for (uint64_t i = 0; i < nchunks; i++) {
        uint64_t doff, bytes, count, dns;
        if (!codec_get_varint(&p, end, &doff) || !codec_get_varint(&p, end, &bytes) ||
            !codec_get_varint(&p, end, &count) || !codec_get_varint(&p, end, &dns))
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: chunk %llu: bad entry",
                               (unsigned long long)i);
        off += doff;
        ns += (uint64_t)codec_unzigzag(dns);
        if (off < prev_end || bytes < FMT_REC_OVERHEAD + 3 ||
            bytes > FMT_REC_OVERHEAD + FMT_MAX_EVTS || off > limit || bytes > limit - off ||
            count == 0 || count > FMT_MAX_EVTS) /* an event takes a byte at least, once decompressed */
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: chunk %llu: out of place",
                               (unsigned long long)i);
        struct trace_chunk_info c = {
            .offset = off, .bytes = bytes, .first_seq = seq, .count = (uint32_t)count, .first_ns = ns};
        if (!fmt_index_push_chunk(ix, &c))
            return errmsg_fail(why, whylen, TRACE_ENOMEM, "out of memory");
        seq += count;
        prev_end = off + bytes;
    }
    uint64_t nevents, nk, nblobs;
    if (!codec_get_varint(&p, end, &nevents) || nevents != seq)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: event count disagrees with its chunks");
    if (!codec_get_varint(&p, end, &nk) || (nk != nkinds && !(windowed && nk == 0)))
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: kind count disagrees with the schema");
    ix->nevents = nevents;
    if (nk == 0 && nkinds) {
        /* a windowed file does not count the kinds of the events it kept */
        ix->nkinds = nkinds;
        goto blobs;
    }
    ix->nkinds = nkinds;
    ix->kind_events = calloc(nkinds ? nkinds : 1, sizeof *ix->kind_events);
    if (!ix->kind_events)
        return errmsg_fail(why, whylen, TRACE_ENOMEM, "out of memory");
    uint64_t sum = 0;
    for (size_t k = 0; k < nkinds; k++) {
        if (!codec_get_varint(&p, end, &ix->kind_events[k]) || ix->kind_events[k] > nevents)
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: bad kind count");
        sum += ix->kind_events[k];
    }
    if (sum != nevents - ix->first_seq)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: kind counts disagree with the event count");
blobs:
    if (!codec_get_varint(&p, end, &nblobs) || nblobs > n / 7)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: bad blob count");
    for (uint64_t i = 0; i < nblobs; i++) {
        struct fmt_blob b;
        if (end - p < 4 || !fmt_blob_type_is_valid(p))
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: blob %llu: bad type",
                               (unsigned long long)i);
        memcpy(b.type, p, 4);
        p += 4;
        if (!codec_get_varint(&p, end, &b.key) || !codec_get_varint(&p, end, &b.offset) ||
            !codec_get_varint(&p, end, &b.bytes) || b.offset < FMT_PREFIX_LEN ||
            b.offset > limit || b.bytes < FMT_REC_OVERHEAD + 5 || b.bytes > limit - b.offset ||
            b.bytes - FMT_REC_OVERHEAD > UINT32_MAX)
            return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: blob %llu: bad entry",
                               (unsigned long long)i);
        if (!fmt_index_add_blob(ix, &b))
            return errmsg_fail(why, whylen, TRACE_ENOMEM, "out of memory");
    }
    if (p != end)
        return errmsg_fail(why, whylen, TRACE_EFORMAT, "index: %zu bytes after its end", (size_t)(end - p));
    fmt_index_sort_blobs(ix);
    return 0;
}
