/* Spilling a feature source to disk when it does not fit the join's memory limit.
 *
 * The source is read in chunks that fit half the limit; each chunk's rows are hash-partitioned by
 * entity key into P partition files (zstd-compressed blocks) in a private temp directory.  Every
 * key's rows land in one partition, in source order, so a partition loaded alone and sorted gives
 * the same answers as the whole table (the tie rule's "later source row wins" included).  P is
 * chosen from the source's size on disk so a partition fits the limit; a partition that does not
 * (one huge key) is still processed in memory.
 *
 * Partition file: blocks of [u32 LE compressed length][u32 LE raw length][zstd frame].  A block's
 * raw bytes are rows: u32 key length, key bytes, i64 event time, i64 created time, then per
 * feature a validity byte and, when valid, the fixed-width value or u32 length + bytes. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "feature/spill.h"

#define SPILL_BLOCK_MAX ((size_t)1 << 20)


static llmd_status write_block(spill *s, size_t p) {
    llmd_buf *raw = &s->pending[p];
    if (raw->len == 0) return LLMD_OK;
    size_t bound = ZSTD_compressBound(raw->len);
    if (s->zbuf_cap < bound + 8) {
        void *q = llmd_realloc(s->zbuf, s->zbuf_cap, bound + 8);
        if (q == NULL) return llmd_fail_nomem("spilling a feature source");
        s->zbuf = q;
        s->zbuf_cap = bound + 8;
    }
    size_t z = ZSTD_compress(s->zbuf + 8, bound, raw->data, raw->len, 1);
    if (ZSTD_isError(z)) return llmd_fail(LLMD_ERR_IO, "spilling a feature source: zstd: %s", ZSTD_getErrorName(z));
    llmd_store_le32(s->zbuf, (uint32_t)z);
    llmd_store_le32(s->zbuf + 4, (uint32_t)raw->len);
    if (fwrite(s->zbuf, 1, z + 8, s->files[p]) != z + 8)
        return llmd_fail(LLMD_ERR_IO, "spilling a feature source to %s: %s", s->dir, strerror(errno));
    s->bytes_written += z + 8;
    llmd_buf_reset(raw);
    return LLMD_OK;
}

llmd_status spill_open(spill *s, const char *temp_dir, size_t n_parts, size_t memory_limit) {
    memset(s, 0, sizeof *s);
    const char *base = temp_dir && temp_dir[0] ? temp_dir : getenv("TMPDIR");
    if (base == NULL || base[0] == '\0') base = "/tmp";
    llmd_buf d = LLMD_BUF_INIT;
    llmd_status st = llmd_buf_printf(&d, "%s/llmd_feature_spill_XXXXXX", base);
    if (st != LLMD_OK) return st;
    if (mkdtemp(d.data) == NULL) {
        st = llmd_fail(LLMD_ERR_IO, "creating a spill directory in %s: %s", base, strerror(errno));
        llmd_buf_free(&d);
        return st;
    }
    s->dir = llmd_buf_detach(&d, NULL);
    s->n_parts = n_parts;
    s->block = memory_limit / 4 / n_parts;
    if (s->block < 4096) s->block = 4096;
    if (s->block > SPILL_BLOCK_MAX) s->block = SPILL_BLOCK_MAX;
    s->files = llmd_calloc(n_parts, sizeof *s->files);
    s->pending = llmd_calloc(n_parts, sizeof *s->pending);
    if (s->files == NULL || s->pending == NULL) return llmd_fail_nomem("spilling a feature source");
    for (size_t p = 0; p < n_parts; p++) {
        char path[64];
        snprintf(path, sizeof path, "/part-%05zu.zst", p);
        llmd_buf fp = LLMD_BUF_INIT;
        if ((st = llmd_buf_printf(&fp, "%s%s", s->dir, path)) != LLMD_OK) return st;
        s->files[p] = fopen(fp.data, "w+b");
        if (s->files[p] == NULL) st = llmd_fail(LLMD_ERR_IO, "creating spill file %s: %s", fp.data, strerror(errno));
        llmd_buf_free(&fp);
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

size_t spill_part_of(const spill *s, uint64_t hash) {
    /* The high half of the hash: the partition's own hash table indexes by the low bits. */
    return (size_t)(((hash >> 32) * (uint64_t)s->n_parts) >> 32);
}

static llmd_status put_u32(llmd_buf *b, uint32_t v) {
    uint8_t t[4];
    llmd_store_le32(t, v);
    return llmd_buf_append(b, t, 4);
}

static llmd_status put_u64(llmd_buf *b, uint64_t v) {
    uint8_t t[8];
    llmd_store_le64(t, v);
    return llmd_buf_append(b, t, 8);
}

llmd_status spill_table(spill *s, ftable *t) {
    llmd_status st = LLMD_OK;
    for (size_t r = 0; r < t->n && st == LLMD_OK; r++) {
        size_t p = spill_part_of(s, t->key_hash[r]);
        llmd_buf *b = &s->pending[p];
        size_t klen = (size_t)(t->key_off[r + 1] - t->key_off[r]);
        st = put_u32(b, (uint32_t)klen);
        if (st == LLMD_OK) st = llmd_buf_append(b, t->keys.data + t->key_off[r], klen);
        if (st == LLMD_OK) st = put_u64(b, (uint64_t)t->ts[r]);
        if (st == LLMD_OK) st = put_u64(b, (uint64_t)t->created[r]);
        for (size_t c = 0; c < t->n_cols && st == LLMD_OK; c++) {
            const fcol *f = &t->cols[c];
            size_t w = feat_width(f->dtype, f->veclen);
            st = llmd_buf_putc(b, (char)f->valid[r]);
            if (st != LLMD_OK || !f->valid[r]) continue;
            if (w) {
                st = llmd_buf_append(b, (const char *)f->vals + r * w, w);
            } else {
                size_t n = (size_t)(f->offs[r + 1] - f->offs[r]);
                st = put_u32(b, (uint32_t)n);
                if (st == LLMD_OK) st = llmd_buf_append(b, f->blob.data + f->offs[r], n);
            }
        }
        if (st == LLMD_OK && b->len >= s->block) st = write_block(s, p);
        s->rows++;
    }
    /* The chunk is on its way to disk: the table starts over, keeping its allocations. */
    t->n = 0;
    llmd_buf_reset(&t->keys);
    for (size_t c = 0; c < t->n_cols; c++) llmd_buf_reset(&t->cols[c].blob);
    return st;
}

llmd_status spill_finish_writing(spill *s) {
    llmd_status st = LLMD_OK;
    for (size_t p = 0; p < s->n_parts && st == LLMD_OK; p++) {
        st = write_block(s, p);
        llmd_buf_free(&s->pending[p]);
        if (st == LLMD_OK && (fflush(s->files[p]) != 0 || fseek(s->files[p], 0, SEEK_SET) != 0))
            st = llmd_fail(LLMD_ERR_IO, "spill files in %s: %s", s->dir, strerror(errno));
    }
    return st;
}

/* Reads the next row of a decoded block into t; *at advances. */
static llmd_status read_row(ftable *t, const uint8_t *p, size_t n, size_t *at, const char *what) {
#define NEED(k) do { if (n - *at < (size_t)(k)) return llmd_fail(LLMD_ERR_CORRUPT, "%s: a truncated row", what); } while (0)
    llmd_status st = ftable_begin_row(t);
    if (st != LLMD_OK) return st;
    size_t row = t->n, key_start = t->keys.len;
    NEED(4);
    uint32_t klen = llmd_load_le32(p + *at);
    *at += 4;
    NEED(klen + 16);
    if ((st = llmd_buf_append(&t->keys, p + *at, klen)) != LLMD_OK) return st;
    *at += klen;
    t->ts[row] = (int64_t)llmd_load_le64(p + *at);
    t->created[row] = (int64_t)llmd_load_le64(p + *at + 8);
    *at += 16;
    for (size_t c = 0; c < t->n_cols; c++) {
        fcol *f = &t->cols[c];
        size_t w = feat_width(f->dtype, f->veclen);
        NEED(1);
        f->valid[row] = p[(*at)++];
        if (w) {
            if (f->valid[row]) {
                NEED(w);
                memcpy((char *)f->vals + row * w, p + *at, w);
                *at += w;
            } else {
                memset((char *)f->vals + row * w, 0, w);
            }
        } else {
            if (f->valid[row]) {
                NEED(4);
                uint32_t len = llmd_load_le32(p + *at);
                *at += 4;
                NEED(len);
                if ((st = llmd_buf_append(&f->blob, p + *at, len)) != LLMD_OK) return st;
                *at += len;
            }
            f->offs[row + 1] = (int64_t)f->blob.len;
        }
    }
    ftable_end_row(t, key_start);
    return LLMD_OK;
#undef NEED
}

llmd_status spill_load_part(spill *s, size_t p, ftable *t) {
    FILE *f = s->files[p];
    llmd_status st = LLMD_OK;
    uint8_t *z = NULL, *raw = NULL;
    size_t zcap = 0, rawcap = 0;
    for (;;) {
        uint8_t h[8];
        size_t got = fread(h, 1, 8, f);
        if (got == 0 && feof(f)) break;
        if (got != 8) { st = llmd_fail(LLMD_ERR_IO, "spill file %zu in %s: a truncated block", p, s->dir); break; }
        size_t zl = llmd_load_le32(h), rl = llmd_load_le32(h + 4);
        if (zl > zcap) {
            void *q = llmd_realloc(z, zcap, zl);
            if (q == NULL) { st = llmd_fail_nomem("reading a spill file"); break; }
            z = q;
            zcap = zl;
        }
        if (rl > rawcap) {
            void *q = llmd_realloc(raw, rawcap, rl);
            if (q == NULL) { st = llmd_fail_nomem("reading a spill file"); break; }
            raw = q;
            rawcap = rl;
        }
        if (fread(z, 1, zl, f) != zl) { st = llmd_fail(LLMD_ERR_IO, "spill file %zu in %s: short read", p, s->dir); break; }
        size_t d = ZSTD_decompress(raw, rl, z, zl);
        if (ZSTD_isError(d) || d != rl) {
            st = llmd_fail(LLMD_ERR_CORRUPT, "spill file %zu in %s: zstd: %s", p, s->dir,
                           ZSTD_isError(d) ? ZSTD_getErrorName(d) : "wrong length");
            break;
        }
        for (size_t at = 0; at < rl && st == LLMD_OK;) st = read_row(t, raw, rl, &at, s->dir);
        if (st != LLMD_OK) break;
    }
    llmd_free(z);
    llmd_free(raw);
    /* The partition is in memory now: its file goes at once, so the disk holds each row once. */
    fclose(f);
    s->files[p] = NULL;
    char name[64];
    snprintf(name, sizeof name, "/part-%05zu.zst", p);
    llmd_buf fp = LLMD_BUF_INIT;
    if (llmd_buf_printf(&fp, "%s%s", s->dir, name) == LLMD_OK) unlink(fp.data);
    llmd_buf_free(&fp);
    return st;
}

void spill_close(spill *s) {
    if (s->dir == NULL) {
        llmd_free(s->files);
        llmd_free(s->pending);
        return;
    }
    for (size_t p = 0; p < s->n_parts; p++) {
        if (s->files && s->files[p]) fclose(s->files[p]);
        if (s->pending) llmd_buf_free(&s->pending[p]);
    }
    /* Remove every file we created, then the directory (on success and on every error path). */
    DIR *d = opendir(s->dir);
    if (d != NULL) {
        for (struct dirent *e; (e = readdir(d)) != NULL;) {
            if (strncmp(e->d_name, "part-", 5) != 0) continue;
            llmd_buf fp = LLMD_BUF_INIT;
            if (llmd_buf_printf(&fp, "%s/%s", s->dir, e->d_name) == LLMD_OK) unlink(fp.data);
            llmd_buf_free(&fp);
        }
        closedir(d);
    }
    rmdir(s->dir);
    llmd_free(s->dir);
    llmd_free(s->files);
    llmd_free(s->pending);
    llmd_free(s->zbuf);
    memset(s, 0, sizeof *s);
}
