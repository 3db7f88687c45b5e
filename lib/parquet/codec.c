/* Page compression: ZSTD (libzstd), SNAPPY (libsnappy's C API), GZIP (zlib, gzip framing as
 * parquet-format's Compression.md asks), LZ4_RAW (liblz4 block format, no framing). */
#include "parquet/pq_internal.h"

#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

static llmd_status compress_gzip(int level, const uint8_t *src, size_t n, llmd_buf *out) {
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: gzip header and trailer */
    if (deflateInit2(&z, level ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return llmd_fail_nomem("starting gzip compression");
    uLong bound = deflateBound(&z, (uLong)n);
    llmd_status st = llmd_buf_reserve(out, bound);
    if (st) {
        deflateEnd(&z);
        return st;
    }
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = (Bytef *)out->data + out->len;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t produced = bound - z.avail_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) return llmd_fail(LLMD_ERR_INTERNAL, "parquet: gzip compression failed (%d)", rc);
    out->len += produced;
    out->data[out->len] = 0;
    return LLMD_OK;
}

llmd_status pq_compress(int codec, int level, const uint8_t *src, size_t n, llmd_buf *out) {
    llmd_status st;
    switch (codec) {
    case LLMD_PARQUET_UNCOMPRESSED:
        return llmd_buf_append(out, src, n);
    case LLMD_PARQUET_ZSTD: {
        size_t bound = ZSTD_compressBound(n);
        if ((st = llmd_buf_reserve(out, bound))) return st;
        size_t r = ZSTD_compress(out->data + out->len, bound, src, n, level ? level : 3);
        if (ZSTD_isError(r)) return llmd_fail(LLMD_ERR_INTERNAL, "parquet: zstd: %s", ZSTD_getErrorName(r));
        out->len += r;
        out->data[out->len] = 0;
        return LLMD_OK;
    }
    case LLMD_PARQUET_SNAPPY: {
        size_t bound = snappy_max_compressed_length(n);
        if ((st = llmd_buf_reserve(out, bound))) return st;
        size_t olen = bound;
        if (snappy_compress((const char *)src, n, out->data + out->len, &olen) != SNAPPY_OK)
            return llmd_fail(LLMD_ERR_INTERNAL, "parquet: snappy compression failed");
        out->len += olen;
        out->data[out->len] = 0;
        return LLMD_OK;
    }
    case LLMD_PARQUET_GZIP:
        if (n > UINT32_MAX / 2) return llmd_fail(LLMD_ERR_RANGE, "parquet: page too large for gzip");
        return compress_gzip(level, src, n, out);
    case LLMD_PARQUET_LZ4_RAW: {
        if (n > LZ4_MAX_INPUT_SIZE) return llmd_fail(LLMD_ERR_RANGE, "parquet: page too large for lz4");
        int bound = LZ4_compressBound((int)n);
        if ((st = llmd_buf_reserve(out, (size_t)bound))) return st;
        int r = LZ4_compress_default((const char *)src, out->data + out->len, (int)n, bound);
        if (r <= 0) return llmd_fail(LLMD_ERR_INTERNAL, "parquet: lz4 compression failed");
        out->len += (size_t)r;
        out->data[out->len] = 0;
        return LLMD_OK;
    }
    }
    return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: unknown codec %d", codec);
}

uint64_t pq_codec_max_expansion(int codec, size_t n) {
    /* Upper bounds on what n compressed bytes can expand to: snappy emits at most 64 bytes per
     * 2-byte copy tag, LZ4 about 255 per byte of a long match length, deflate 1032:1, and a zstd
     * RLE block turns 4 bytes into 128 KiB. */
    uint64_t m = n;
    switch (codec) {
    case LLMD_PARQUET_UNCOMPRESSED: return m;
    case LLMD_PARQUET_SNAPPY: return m * 32 + 64;
    case LLMD_PARQUET_LZ4_RAW: return m * 256 + 64;
    case LLMD_PARQUET_GZIP: return m * 1040 + 1024;
    case LLMD_PARQUET_ZSTD: return m * 32768 + (1u << 17);
    }
    return m;
}

static llmd_status decompress_gzip(const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 15 + 32: accept gzip or zlib headers (old writers used zlib framing) */
    if (inflateInit2(&z, 15 + 32) != Z_OK) return llmd_fail_nomem("starting gzip decompression");
    /* One spare output byte past the claimed size: a page that decompresses to more than its header
     * says must be refused (as the other codecs do), not cut at the claim. */
    uint8_t spare;
    z.next_in = (Bytef *)(uintptr_t)src;
    z.avail_in = (uInt)n;
    z.next_out = dst_len ? dst : &spare;
    z.avail_out = (uInt)dst_len;
    int rc;
    for (;;) {
        rc = inflate(&z, Z_FINISH);
        if (z.avail_out == 0 && z.next_out != &spare + 1 && rc != Z_STREAM_END) {
            z.next_out = &spare;      /* the claimed bytes are there: does the stream want more? */
            z.avail_out = 1;
            continue;
        }
        /* Hadoop-style writers may concatenate gzip members: keep going after each member's end. */
        if (rc == Z_STREAM_END && z.avail_in > 0) {
            inflateReset(&z);
            continue;
        }
        break;
    }
    bool overlong = z.next_out == &spare + 1;
    size_t produced = overlong ? dst_len + 1 : dst_len - (z.next_out == &spare ? 0 : z.avail_out);
    inflateEnd(&z);
    if (rc != Z_STREAM_END || produced != dst_len)
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: gzip page does not decompress to its %zu bytes (%s)", dst_len,
                         overlong ? "it holds more" : rc == Z_STREAM_END ? "it holds fewer" : "damaged or cut short");
    return LLMD_OK;
}

llmd_status pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len) {
    switch (codec) {
    case LLMD_PARQUET_UNCOMPRESSED:
        if (n != dst_len)
            return llmd_fail(LLMD_ERR_CORRUPT, "parquet: uncompressed page sizes differ (%zu vs %zu)", n, dst_len);
        if (n) memcpy(dst, src, n);
        return LLMD_OK;
    case LLMD_PARQUET_ZSTD: {
        size_t r = ZSTD_decompress(dst, dst_len, src, n);
        if (ZSTD_isError(r) || r != dst_len)
            return llmd_fail(LLMD_ERR_CORRUPT, "parquet: zstd page does not decompress to its %zu bytes (%s)",
                             dst_len, ZSTD_isError(r) ? ZSTD_getErrorName(r) : "size differs");
        return LLMD_OK;
    }
    case LLMD_PARQUET_SNAPPY: {
        size_t ulen;
        if (snappy_uncompressed_length((const char *)src, n, &ulen) != SNAPPY_OK || ulen != dst_len)
            return llmd_fail(LLMD_ERR_CORRUPT, "parquet: snappy page length does not match its header (%zu bytes)", dst_len);
        size_t olen = dst_len;
        if (snappy_uncompress((const char *)src, n, (char *)dst, &olen) != SNAPPY_OK || olen != dst_len)
            return llmd_fail(LLMD_ERR_CORRUPT, "parquet: snappy page does not decompress");
        return LLMD_OK;
    }
    case LLMD_PARQUET_GZIP:
        if (n > UINT32_MAX || dst_len > UINT32_MAX)
            return llmd_fail(LLMD_ERR_RANGE, "parquet: gzip page over 4 GiB");
        return decompress_gzip(src, n, dst, dst_len);
    case LLMD_PARQUET_LZ4_RAW: {
        if (n > INT32_MAX || dst_len > INT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "parquet: lz4 page over 2 GiB");
        int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)dst_len);
        if (r < 0 || (size_t)r != dst_len)
            return llmd_fail(LLMD_ERR_CORRUPT, "parquet: lz4_raw page does not decompress to its %zu bytes", dst_len);
        return LLMD_OK;
    }
    case 3: return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: codec LZO is not supported");
    case 4: return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: codec BROTLI is not supported");
    case 5: return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: codec LZ4 (Hadoop framing, deprecated) is not supported; use LZ4_RAW");
    }
    return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: unknown codec %d", codec);
}
