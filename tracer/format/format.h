/*
 * format.h - private to tracer/format/: the constants of FORMAT.md and the pieces shared by the
 * writer, the reader and blob storage (the header and schema codec, the index codec, framing).
 */
#ifndef TRACER_FORMAT_H
#define TRACER_FORMAT_H

#include <tracer/codec.h>
#include <tracer/trace.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FMT_VERSION ((uint32_t)TRACE_FORMAT_VERSION)
#define FMT_VERSION_PACKED 3u /* the first whose chunks and blobs may be compressed (section 6) */
#define FMT_MAGIC "\x89" "ASC\r\n\x1a\n"
#define FMT_MAGIC_LEN 8u
#define FMT_PREFIX_LEN 12u /* magic and version */

#define FMT_REC_HEAD 8u     /* tag and length before a payload */
#define FMT_REC_OVERHEAD 12u /* tag, length, CRC */
#define FMT_TRAILER_LEN 20u /* the whole tAIL record */

#define FMT_TAG_HEAD "HEAD"
#define FMT_TAG_EVTS "EVTS"
#define FMT_TAG_BLOB "bLOB"
#define FMT_TAG_INDX "iNDX"
#define FMT_TAG_TAIL "tAIL"
#define FMT_TAG_WNDW "wNDW"

/* Largest payloads (FORMAT.md section 3). */
#define FMT_MAX_HEAD (1u << 20)
#define FMT_MAX_EVTS (16u << 20)
#define FMT_MAX_INDX (256u << 20)
#define FMT_MAX_TEXT TRACE_MAX_TEXT

/* Writers end a chunk when its payload reaches this many bytes (section 6). */
#define FMT_CHUNK_TARGET (64u << 10)

/* Compressed chunks and blobs (sections 6 and 7, version 3): how their data is stored. */
enum fmt_packing {
    FMT_STORED = 0,     /* as it is */
    FMT_ZSTD = 1,       /* one zstd frame */
    FMT_ZSTD_DELTA = 2, /* a blob only: one zstd frame whose prefix is the data of another blob */
};
/* Largest data a compressed blob may decompress to (a chunk's: FMT_MAX_EVTS), and at most this
 * many times the file's size, so that a small hostile file cannot claim much memory. */
#define FMT_MAX_BLOB_DATA (256u << 20)
#define FMT_BLOB_PER_FILE_BYTE 32u
/* The zstd level writers use unless told otherwise (FORMAT.md 6: measured by bench_trace). */
#define FMT_ZSTD_LEVEL TRACE_ZSTD_LEVEL
/* Blobs of one type stored as deltas: one in this many is stored whole, so that loading one
 * decompresses at most this many. */
#define FMT_DELTA_RUN 16u

/* The address history of a chunk (section 6.3): repeats reach this many addresses back. */
#define FMT_HISTORY 4096u
_Static_assert((FMT_HISTORY & (FMT_HISTORY - 1)) == 0, "the history is a power-of-two ring");

#define FMT_MAX_KINDS 127u
#define FMT_MAX_FIELDS 32u /* fields of one kind in a file's schema */
#define FMT_MAX_NAME 64u
_Static_assert(EVENT_MAX_FIELDS < FMT_MAX_FIELDS, "the program's kinds fit in a file's schema");

/* Header field ids (section 4). */
enum fmt_header_id {
    FMT_H_WRITER = 1,
    FMT_H_COMMAND = 2,
    FMT_H_CLOCK = 3,
    FMT_H_PROFILE = 4,
    FMT_H_ARENA_SOURCE = 5,
    FMT_H_ALIGNMENT = 6,
    FMT_H_THRESHOLD = 7,
    FMT_H_POOL_SIZE = 8,
    FMT_H_ARENA_SIZE = 9,
    FMT_H_POOL_OVERHEAD = 10,
    FMT_H_POINTER_SIZE = 11,
    FMT_H_KEEP_LAST = 12,
    FMT_H_GC_PROFILE = 13,
    FMT_H_GENERATIONS = 14,
    FMT_H_LEGACY_FINALIZERS = 15,
    FMT_H_SCHEMA = 16,
    FMT_H_ARENA_MAP_BITS = 17,
    FMT_H_PROGRAM = 18,
    FMT_H_PROGRAM_VERSION = 19,
    FMT_H_WINDOW = 20,
    FMT_H_GC_STARTUP = 21,
};

/* One kind of a file's schema (section 5). */
struct fmt_kind {
    const char *name;                     /* NUL-terminated, in the schema's string pool */
    unsigned flags;                       /* EVF_OPTIONAL */
    unsigned tail;                        /* <= nfields */
    unsigned nfields;                     /* <= FMT_MAX_FIELDS */
    const char *field_names[FMT_MAX_FIELDS];
    char types[FMT_MAX_FIELDS];           /* 'u', 'i', 'a', 'p', 's' ('s' only last) */
};

struct fmt_schema {
    size_t nkinds;
    struct fmt_kind kinds[FMT_MAX_KINDS];
    char *pool; /* the names, malloc'd */
};

void fmt_schema_release(struct fmt_schema *s);

/* The HEAD payload for hdr and the program's own event table. */
void fmt_header_encode(struct codec_buf *b, const struct trace_header *hdr);
/* Parses a HEAD payload.  On failure returns TRACE_EFORMAT or TRACE_ENOMEM with the reason in
 * why ("header field 16: ..."). */
int fmt_header_decode(const uint8_t *p, size_t n, struct trace_header *hdr, struct fmt_schema *s,
                      char *why, size_t whylen);

/* A blob's place in the file. */
struct fmt_blob {
    char type[4];
    uint64_t key;
    uint64_t offset; /* of its record */
    uint64_t bytes;  /* the whole record */
};

/* The index (section 8) in memory. */
struct fmt_index {
    struct trace_chunk_info *chunks;
    size_t nchunks, chunks_cap;
    uint64_t nevents;       /* sum of the chunks' counts */
    uint64_t *kind_events;  /* per file kind, or NULL when unknown (a rebuilt index) */
    size_t nkinds;
    struct fmt_blob *blobs; /* sorted by (type, key) after fmt_index_sort_blobs */
    size_t nblobs, blobs_cap;
    bool windowed;          /* the file's header has a window (section 4): the index says first_seq */
    uint64_t first_seq;     /* the first chunk's first event; 0 unless windowed and chunks were dropped */
};

void fmt_index_init(struct fmt_index *ix);
void fmt_index_release(struct fmt_index *ix);
bool fmt_index_push_chunk(struct fmt_index *ix, const struct trace_chunk_info *c);
bool fmt_index_add_blob(struct fmt_index *ix, const struct fmt_blob *b);
/* Sorts the blobs by (type, key) and drops duplicates, keeping the one later in the file. */
void fmt_index_sort_blobs(struct fmt_index *ix);
void fmt_index_encode(const struct fmt_index *ix, struct codec_buf *b);
/* Parses an iNDX payload and checks it against the file: records inside [FMT_PREFIX_LEN,
 * limit), chunks in order and not overlapping.  Returns 0 or TRACE_EFORMAT/TRACE_ENOMEM. */
int fmt_index_decode(struct fmt_index *ix, const uint8_t *p, size_t n, size_t nkinds, bool windowed,
                     uint64_t limit, char *why, size_t whylen);
/* Forgets the chunks before event seq and the blobs before byte offset (a window's start,
 * section 8.1); returns how many chunks were dropped. */
size_t fmt_index_drop_before(struct fmt_index *ix, uint64_t seq, uint64_t offset);

/* Fills in a record's tag, length and CRC around a payload at rec + FMT_REC_HEAD. */
void fmt_record_seal(uint8_t *rec, const char tag[4], uint32_t len);
bool fmt_tag_is_valid(const uint8_t tag[4]);
/* A kind's or a field's name: 1 to FMT_MAX_NAME of [a-z0-9_] (section 5). */
bool fmt_name_is_valid(const uint8_t *name, size_t n);
/* A blob's type: four letters or digits (section 7). */
bool fmt_blob_type_is_valid(const uint8_t type[4]);
bool fmt_tag_is_critical(const uint8_t tag[4]);
/* Largest payload accepted for a tag. */
uint64_t fmt_tag_limit(const uint8_t tag[4]);

/*
 * Lanes: the kinds whose events are an address and at most one small unsigned word (a block
 * allocated or freed, a pool's transitions: nearly all of a heap's events).  The writer encodes
 * them, and the reader decodes them when the file defines them as this program does, by one
 * straight path, without the jump on the kind, which the processor cannot predict in a stream of
 * allocations and frees.  What differs between them is in the kind's lane byte, applied with
 * masks rather than branches:
 *   FMT_LANE_ON    the kind has a lane: an address first, then up to two unsigned words
 *   FMT_LANE_V     the second word is coded
 *   FMT_LANE_OPT   ... unless it is 0: it is the tail (the kind byte then says so)
 *   FMT_LANE_Z     a third word, the tail: an event that has it takes the general path
 *   bits 4 and 5   the kind's word count
 */
enum {
    FMT_LANE_ON = 1,
    FMT_LANE_V = 2,
    FMT_LANE_OPT = 4,
    FMT_LANE_Z = 8,
    FMT_LANE_NW_SHIFT = 4,
};
/* By this program's kind; 0 when it has no lane.  Filled by fmt_lanes_init() (idempotent). */
extern uint8_t fmt_kind_lane[EV_KIND_COUNT];
void fmt_lanes_init(void);

/*
 * zstd, behind opaque contexts (compress.c).  fmt_zstd_pack compresses n bytes of src into dst
 * (cap bytes), with prefix (plen bytes, may be NULL) as the frame's dictionary: the compressed
 * size, or 0 when it failed or would not be smaller than n.  fmt_zstd_unpack decompresses a
 * frame that must give exactly size bytes into dst: false when it does not.  Contexts are made
 * on first use and freed by fmt_zstd_free.
 */
size_t fmt_zstd_bound(size_t n);
size_t fmt_zstd_pack(void **cctx, int level, void *dst, size_t cap, const void *src, size_t n,
                     const void *prefix, size_t plen);
bool fmt_zstd_unpack(void **dctx, void *dst, size_t size, const void *src, size_t n, const void *prefix,
                     size_t plen);
void fmt_zstd_free(void **cctx, void **dctx);

/* A blob record's payload (section 7) for a file of the version: type, key, then in version 3
 * its packing (data compressed with the level, as a delta from base when base is not NULL).  When
 * compressing fails or does not pay, the data is stored. */
struct fmt_blob_base {
    uint64_t key;
    const void *data;
    size_t len;
};
void fmt_blob_payload(struct codec_buf *b, void **cctx, uint32_t version, int level, const char type[4],
                      uint64_t key, const void *data, size_t len, const struct fmt_blob_base *base);

/* What blob storage needs of an open reader (reader.c). */
struct fmt_index *fmt_reader_index(struct trace_reader *r);
uint64_t fmt_reader_head_end(const struct trace_reader *r);
bool fmt_reader_is_pipe(const struct trace_reader *r);

/* I/O that retries short transfers and EINTR.  Return 0, or -1 with errno set (0 at the end of
 * the file for reads). */
int fmt_write_all(int fd, const void *buf, size_t n);
int fmt_pread_all(int fd, void *buf, size_t n, uint64_t off);

#endif
