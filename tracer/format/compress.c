/*
 * compress.c - zstd for the chunks and blobs of version 3 files (FORMAT.md sections 6 and 7).
 *
 * zstd stays behind this file: the writer, the reader and blob storage hold its contexts as
 * opaque pointers, made on first use and kept for the next chunk or blob (a context costs more
 * to make than a chunk to compress).  Frames record their content size; the reader checks it
 * against the size the record declares and gives zstd a buffer of exactly that size, so a frame
 * that would grow past it fails instead of growing.
 */
#include "format.h"

#include <zstd.h>

size_t fmt_zstd_bound(size_t n)
{
    return ZSTD_compressBound(n);
}

size_t fmt_zstd_pack(void **cctx, int level, void *dst, size_t cap, const void *src, size_t n,
                     const void *prefix, size_t plen)
{
    if (!*cctx && !(*cctx = ZSTD_createCCtx()))
        return 0;
    ZSTD_CCtx *c = *cctx;
    ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
    if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 0)))
        return 0;
    if (prefix) {
        /* a delta: the window must reach back over the whole prefix */
        unsigned log = 10;
        while (log < 27 && ((size_t)1 << log) < plen + n)
            log++; /* 2^27: the largest window a decoder accepts by default */
        /* long-distance matching finds the prefix's long runs that the fast levels' tables miss:
         * a checkpoint's delta from the one before shrinks tens of times */
        if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, (int)log)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1)) ||
            ZSTD_isError(ZSTD_CCtx_refPrefix(c, prefix, plen)))
            return 0;
    }
    size_t z = ZSTD_compress2(c, dst, cap, src, n);
    return ZSTD_isError(z) || z >= n ? 0 : z;
}

bool fmt_zstd_unpack(void **dctx, void *dst, size_t size, const void *src, size_t n, const void *prefix,
                     size_t plen)
{
    if (ZSTD_getFrameContentSize(src, n) != size)
        return false;
    if (!*dctx && !(*dctx = ZSTD_createDCtx()))
        return false;
    ZSTD_DCtx *d = *dctx;
    ZSTD_DCtx_reset(d, ZSTD_reset_session_only);
    if (prefix && ZSTD_isError(ZSTD_DCtx_refPrefix(d, prefix, plen)))
        return false;
    size_t got = ZSTD_decompressDCtx(d, dst, size, src, n);
    return !ZSTD_isError(got) && got == size;
}

void fmt_zstd_free(void **cctx, void **dctx)
{
    if (cctx) {
        ZSTD_freeCCtx(*cctx);
        *cctx = NULL;
    }
    if (dctx) {
        ZSTD_freeDCtx(*dctx);
        *dctx = NULL;
    }
}

void fmt_blob_payload(struct codec_buf *b, void **cctx, uint32_t version, int level, const char type[4],
                      uint64_t key, const void *data, size_t len, const struct fmt_blob_base *base)
{
    codec_buf_put(b, type, 4);
    codec_buf_put_varint(b, key);
    if (version < FMT_VERSION_PACKED) {
        codec_buf_put(b, data, len);
        return;
    }
    size_t z = 0, at = b->len;
    if (level != 0 && len && len <= FMT_MAX_BLOB_DATA) {
        size_t bound = fmt_zstd_bound(len);
        /* packing, size and base key, then the frame */
        if (!codec_buf_reserve(b, 3 * CODEC_VARINT_MAX + bound))
            return;
        uint8_t *p = b->data + at;
        *p++ = base ? FMT_ZSTD_DELTA : FMT_ZSTD;
        p = codec_put_varint(p, len);
        if (base)
            p = codec_put_varint(p, base->key);
        z = fmt_zstd_pack(cctx, level, p, bound, data, len, base ? base->data : NULL, base ? base->len : 0);
        if (z) {
            b->len = (size_t)(p - b->data) + z;
            return;
        }
    }
    codec_buf_put_varint(b, FMT_STORED);
    codec_buf_put(b, data, len);
}
