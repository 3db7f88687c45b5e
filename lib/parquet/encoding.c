/* Parquet encodings shared by reader and writer (parquet-format Encodings.md): the RLE/bit-packed
 * hybrid used for levels, dictionary indices and booleans, and DELTA_BINARY_PACKED. */
#include "parquet/pq_internal.h"

int pq_bit_width(uint64_t max_value) {
    int w = 0;
    while (max_value) {
        w++;
        max_value >>= 1;
    }
    return w;
}

uint64_t pq_unpack_bits(const uint8_t *p, uint64_t pos, int bit_width) {
    if (bit_width == 0) return 0;
    uint64_t v = 0;
    int got = 0;
    size_t byte = (size_t)(pos >> 3);
    int shift = (int)(pos & 7);
    while (got < bit_width) {
        uint64_t b = (uint64_t)(p[byte++] >> shift);
        v |= b << got;
        got += 8 - shift;
        shift = 0;
    }
    return bit_width == 64 ? v : v & ((UINT64_C(1) << bit_width) - 1);
}

/* ---- RLE/bit-packed hybrid encoder -------------------------------------------------------- */

static llmd_status put_varint(llmd_buf *out, uint64_t v) {
    uint8_t tmp[10];
    int n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        tmp[n++] = b | (v ? 0x80 : 0);
    } while (v);
    return llmd_buf_append(out, tmp, (size_t)n);
}

static size_t run_length(const uint32_t *v, size_t n, size_t i) {
    size_t j = i + 1;
    while (j < n && v[j] == v[i]) j++;
    return j - i;
}

static llmd_status put_rle_run(llmd_buf *out, uint32_t value, size_t count, int bit_width) {
    llmd_status st = put_varint(out, (uint64_t)count << 1);
    if (st) return st;
    uint8_t b[4];
    int nbytes = (bit_width + 7) / 8;
    for (int k = 0; k < nbytes; k++) b[k] = (uint8_t)(value >> (8 * k));
    return llmd_buf_append(out, b, (size_t)nbytes);
}

/* Bit-packs v[i..j) padded with zeros to a multiple of 8 values (padding only ever ends the data). */
static llmd_status put_bitpacked(llmd_buf *out, const uint32_t *v, size_t i, size_t j, int bit_width) {
    size_t groups = (j - i + 7) / 8;
    llmd_status st = put_varint(out, (uint64_t)groups << 1 | 1);
    if (st) return st;
    size_t nbytes = groups * (size_t)bit_width;
    if ((st = llmd_buf_reserve(out, nbytes))) return st;
    uint8_t *p = (uint8_t *)out->data + out->len;
    memset(p, 0, nbytes);
    uint64_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (size_t k = i; k < i + groups * 8; k++) {
        uint64_t x = k < j ? v[k] : 0;
        acc |= x << bits;
        bits += bit_width;
        while (bits >= 8) {
            p[o++] = (uint8_t)acc;
            acc >>= 8;
            bits -= 8;
        }
    }
    out->len += nbytes;
    out->data[out->len] = 0;
    return LLMD_OK;
}

llmd_status rle_encode(const uint32_t *v, size_t n, int bit_width, llmd_buf *out) {
    size_t i = 0;
    llmd_status st;
    while (i < n) {
        size_t r = run_length(v, n, i);
        if (r >= 8 || bit_width == 0) {
            if ((st = put_rle_run(out, v[i], r, bit_width))) return st;
            i += r;
            continue;
        }
        /* Bit-pack whole groups of 8 until a group starts a run of 8 or more. */
        size_t j = i + 8;
        while (j < n && run_length(v, n, j) < 8) j += 8;
        if (j > n) j = n;
        if ((st = put_bitpacked(out, v, i, j, bit_width))) return st;
        i = j;
    }
    return LLMD_OK;
}

/* ---- RLE/bit-packed hybrid decoder -------------------------------------------------------- */

void rle_dec_init(rle_dec *d, const uint8_t *p, const uint8_t *end, int bit_width) {
    memset(d, 0, sizeof *d);
    d->p = p;
    d->end = end;
    d->bit_width = bit_width;
}

static int get_varint(const uint8_t **pp, const uint8_t *end, uint64_t *v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (*pp >= end) return 0;
        uint8_t b = *(*pp)++;
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return 1;
        }
    }
    return 0;
}

static llmd_status next_run(rle_dec *d) {
    uint64_t h;
    if (!get_varint(&d->p, d->end, &h))
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: RLE/bit-packed data ends before its values");
    if (h & 1) {
        uint64_t groups = h >> 1;
        uint64_t avail = (uint64_t)(d->end - d->p);
        uint64_t need = d->bit_width ? groups * (uint64_t)d->bit_width : 0;
        if (groups > (UINT64_C(1) << 40)) return llmd_fail(LLMD_ERR_CORRUPT, "parquet: bit-packed run too long");
        uint64_t count = groups * 8;
        /* Some writers cut the final run's padding bytes: take the values the bytes hold. */
        if (need > avail) {
            count = avail * 8 / (uint64_t)d->bit_width;
            need = avail;
        }
        d->bp = d->p;
        d->bp_left = count;
        d->bp_index = 0;
        d->p += need;
    } else {
        int nbytes = (d->bit_width + 7) / 8;
        if ((size_t)(d->end - d->p) < (size_t)nbytes)
            return llmd_fail(LLMD_ERR_CORRUPT, "parquet: RLE run value truncated");
        uint32_t v = 0;
        for (int k = 0; k < nbytes; k++) v |= (uint32_t)d->p[k] << (8 * k);
        d->p += nbytes;
        if (d->bit_width < 32 && (v >> d->bit_width))
            return llmd_fail(LLMD_ERR_CORRUPT, "parquet: RLE run value %u wider than %d bits", v, d->bit_width);
        d->rle_value = v;
        d->rle_left = h >> 1;
    }
    return LLMD_OK;
}

llmd_status rle_dec_get(rle_dec *d, uint32_t *out, size_t n) {
    size_t i = 0;
    while (i < n) {
        if (d->rle_left) {
            uint64_t k = d->rle_left < n - i ? d->rle_left : n - i;
            for (uint64_t x = 0; x < k; x++) out[i + x] = d->rle_value;
            i += k;
            d->rle_left -= k;
        } else if (d->bp_left) {
            uint64_t k = d->bp_left < n - i ? d->bp_left : n - i;
            int bw = d->bit_width;
            uint64_t pos = d->bp_index * (uint64_t)bw;
            if (bw == 8) {
                for (uint64_t x = 0; x < k; x++) out[i + x] = d->bp[d->bp_index + x];
            } else if (bw <= 32 && bw > 0) {
                /* 64-bit loads while 8 bytes remain in the run's data, the byte loop for the tail */
                uint64_t avail_bits = (d->bp_index + d->bp_left) * (uint64_t)bw;   /* end of the run's values */
                uint64_t mask = bw == 32 ? 0xffffffffu : ((UINT64_C(1) << bw) - 1);
                uint64_t x = 0;
                for (; x < k && pos + 64 <= avail_bits; x++, pos += (uint64_t)bw) {
                    uint64_t word = llmd_load_le64(d->bp + (pos >> 3));
                    out[i + x] = (uint32_t)((word >> (pos & 7)) & mask);
                }
                for (; x < k; x++, pos += (uint64_t)bw) out[i + x] = (uint32_t)pq_unpack_bits(d->bp, pos, bw);
            } else {
                for (uint64_t x = 0; x < k; x++, pos += (uint64_t)bw)
                    out[i + x] = (uint32_t)pq_unpack_bits(d->bp, pos, bw);
            }
            d->bp_index += k;
            d->bp_left -= k;
            i += k;
        } else {
            llmd_status st = next_run(d);
            if (st) return st;
        }
    }
    return LLMD_OK;
}

/* ---- DELTA_BINARY_PACKED ------------------------------------------------------------------ */

static int get_zigzag(const uint8_t **pp, const uint8_t *end, int64_t *v) {
    uint64_t u;
    if (!get_varint(pp, end, &u)) return 0;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return 1;
}

llmd_status pq_delta_count(const uint8_t *p, const uint8_t *end, uint64_t *count) {
    uint64_t block, mini;
    if (!get_varint(&p, end, &block) || !get_varint(&p, end, &mini) || !get_varint(&p, end, count))
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED header truncated");
    return LLMD_OK;
}

llmd_status pq_delta_decode(const uint8_t **pp, const uint8_t *end, int64_t *out, size_t cap,
                            size_t *count, int bits32) {
    const uint8_t *p = *pp;
    uint64_t block, mini, total;
    int64_t first;
    if (!get_varint(&p, end, &block) || !get_varint(&p, end, &mini) || !get_varint(&p, end, &total) ||
        !get_zigzag(&p, end, &first))
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED header truncated");
    if (block == 0 || block % 128 || mini == 0 || block % mini || (block / mini) % 32 || block > (1u << 20))
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED block size %llu / %llu miniblocks invalid",
                         (unsigned long long)block, (unsigned long long)mini);
    if (total > cap)
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED holds %llu values where at most %zu fit",
                         (unsigned long long)total, cap);
    uint64_t per_mini = block / mini;
    size_t n = 0;
    uint64_t value = (uint64_t)first;
    if (total > 0) out[n++] = bits32 ? (int64_t)(int32_t)(uint32_t)value : (int64_t)value;
    while (n < total) {
        int64_t min_delta;
        if (!get_zigzag(&p, end, &min_delta)) return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED block truncated");
        if ((uint64_t)(end - p) < mini) return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED bit widths truncated");
        const uint8_t *widths = p;
        p += mini;
        for (uint64_t m = 0; m < mini && n < total; m++) {
            int bw = widths[m];
            if (bw > 64) return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED bit width %d", bw);
            uint64_t bytes = per_mini * (uint64_t)bw / 8;
            if ((uint64_t)(end - p) < bytes) return llmd_fail(LLMD_ERR_CORRUPT, "parquet: DELTA_BINARY_PACKED miniblock truncated");
            for (uint64_t k = 0; k < per_mini && n < total; k++) {
                uint64_t d = pq_unpack_bits(p, k * (uint64_t)bw, bw);
                value += (uint64_t)min_delta + d;   /* wrapping arithmetic, as the spec says */
                out[n++] = bits32 ? (int64_t)(int32_t)(uint32_t)value : (int64_t)value;
            }
            p += bytes;
        }
    }
    *count = n;
    *pp = p;
    return LLMD_OK;
}
