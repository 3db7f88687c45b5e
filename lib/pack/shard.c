/* Training-shard writers: Megatron MMIDIDX (.bin/.idx) and numpy .npy (see include/llmdata/pack.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "llmdata/io.h"
#include "llmdata/pack.h"

#define OUTBUF_SIZE (1u << 20)
#define NPY_HEADER 128

typedef struct outfile {
    char *final, *tmp;
    int fd;
    uint8_t *buf;
    size_t len;
    uint64_t written; /* bytes, including buffered */
} outfile;

struct llmd_shard_writer {
    int format;
    uint32_t L;
    uint64_t vocab;
    int dsize;        /* 2 or 4 */
    char *prefix;
    outfile data, bounds;
    uint64_t windows, pad_tokens, tokens, nbounds;
    int state;        /* 0 open, 1 finished, 2 failed */
};

static llmd_status of_open(outfile *f, const char *prefix, const char *suffix) {
    memset(f, 0, sizeof *f);
    f->fd = -1;
    llmd_buf b = LLMD_BUF_INIT;
    if (llmd_buf_printf(&b, "%s%s", prefix, suffix) != LLMD_OK) return LLMD_ERR_NOMEM;
    f->final = llmd_buf_detach(&b, NULL);
    if (llmd_buf_printf(&b, "%s.tmp.%ld", f->final, (long)getpid()) != LLMD_OK) return LLMD_ERR_NOMEM;
    f->tmp = llmd_buf_detach(&b, NULL);
    f->buf = llmd_malloc(OUTBUF_SIZE);
    if (f->buf == NULL) return llmd_fail_nomem("shard output buffer");
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0) return llmd_fail(LLMD_ERR_IO, "%s: cannot create: %s", f->tmp, strerror(errno));
    return LLMD_OK;
}

static llmd_status write_all(int fd, const void *data, size_t n, const char *path) {
    const uint8_t *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return llmd_fail(LLMD_ERR_IO, "%s: write failed: %s", path, strerror(errno));
        if (w == 0) return llmd_fail(LLMD_ERR_IO, "%s: write wrote nothing", path);
        p += w;
        n -= (size_t)w;
    }
    return LLMD_OK;
}

static llmd_status of_flush(outfile *f) {
    if (f->len == 0) return LLMD_OK;
    llmd_status st = write_all(f->fd, f->buf, f->len, f->tmp);
    f->len = 0;
    return st;
}

static llmd_status of_write(outfile *f, const void *data, size_t n) {
    f->written += n;
    if (f->len + n > OUTBUF_SIZE) {
        llmd_status st = of_flush(f);
        if (st != LLMD_OK) return st;
        if (n >= OUTBUF_SIZE) return write_all(f->fd, data, n, f->tmp);
    }
    memcpy(f->buf + f->len, data, n);
    f->len += n;
    return LLMD_OK;
}

static llmd_status of_close(outfile *f) {
    llmd_status st = of_flush(f);
    if (st != LLMD_OK) return st;
    if (fsync(f->fd) != 0) return llmd_fail(LLMD_ERR_IO, "%s: fsync failed: %s", f->tmp, strerror(errno));
    int rc = close(f->fd);
    f->fd = -1;
    if (rc != 0) return llmd_fail(LLMD_ERR_IO, "%s: close failed: %s", f->tmp, strerror(errno));
    return LLMD_OK;
}

static llmd_status of_rename(outfile *f) {
    if (rename(f->tmp, f->final) != 0)
        return llmd_fail(LLMD_ERR_IO, "%s: rename to %s failed: %s", f->tmp, f->final, strerror(errno));
    llmd_free(f->tmp);
    f->tmp = NULL;
    return LLMD_OK;
}

static void of_discard(outfile *f) {
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp) unlink(f->tmp);
    llmd_free(f->tmp);
    llmd_free(f->final);
    llmd_free(f->buf);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

/* numpy v1.0 header of exactly NPY_HEADER bytes. */
static void npy_header(uint8_t out[NPY_HEADER], const char *descr, uint64_t rows, uint64_t cols, bool two_d) {
    memset(out, ' ', NPY_HEADER);
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (uint8_t)((NPY_HEADER - 10) & 0xff);
    out[9] = (uint8_t)((NPY_HEADER - 10) >> 8);
    char dict[NPY_HEADER];
    int n;
    if (two_d)
        n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%llu, %llu), }", descr,
                     (unsigned long long)rows, (unsigned long long)cols);
    else
        n = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%llu,), }", descr,
                     (unsigned long long)rows);
    memcpy(out + 10, dict, (size_t)n);
    out[NPY_HEADER - 1] = '\n';
}

static llmd_status pwrite_all(outfile *f, const void *data, size_t n, off_t off) {
    if (pwrite(f->fd, data, n, off) != (ssize_t)n)
        return llmd_fail(LLMD_ERR_IO, "%s: header write failed: %s", f->tmp, strerror(errno));
    return LLMD_OK;
}

void llmd_shard_writer_free(llmd_shard_writer *w) {
    if (w == NULL) return;
    of_discard(&w->data);
    of_discard(&w->bounds);
    llmd_free(w->prefix);
    llmd_free(w);
}

llmd_status llmd_shard_writer_open(llmd_shard_writer **out, const char *prefix, int format, uint32_t seq_len,
                                   uint64_t vocab_size) {
    if (out == NULL || prefix == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_open: NULL argument");
    *out = NULL;
    if (format != LLMD_SHARD_MMIDX && format != LLMD_SHARD_NPY)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_open: unknown format %d", format);
    if (seq_len == 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_open: seq_len is 0");
    llmd_shard_writer *w = llmd_calloc(1, sizeof *w);
    if (w == NULL) return llmd_fail_nomem("shard writer");
    w->data.fd = w->bounds.fd = -1;
    w->format = format;
    w->L = seq_len;
    w->vocab = vocab_size;
    w->dsize = (vocab_size >= 1 && vocab_size <= 65536) ? 2 : 4;
    w->prefix = llmd_strdup(prefix);
    llmd_status st = w->prefix ? LLMD_OK : llmd_fail_nomem("shard prefix");
    if (st == LLMD_OK) st = of_open(&w->data, prefix, format == LLMD_SHARD_MMIDX ? ".bin" : ".npy");
    if (st == LLMD_OK) st = of_open(&w->bounds, prefix, ".boundaries.npy");
    uint8_t hdr[NPY_HEADER];
    memset(hdr, 0, sizeof hdr);
    if (st == LLMD_OK && format == LLMD_SHARD_NPY) st = of_write(&w->data, hdr, sizeof hdr);
    if (st == LLMD_OK) st = of_write(&w->bounds, hdr, sizeof hdr);
    if (st != LLMD_OK) {
        llmd_shard_writer_free(w);
        return st;
    }
    *out = w;
    return LLMD_OK;
}

static llmd_status put_bound(llmd_shard_writer *w, uint64_t v) {
    uint8_t b[8];
    llmd_store_le64(b, v);
    w->nbounds++;
    return of_write(&w->bounds, b, 8);
}

llmd_status llmd_shard_writer_add(llmd_shard_writer *w, const llmd_pack_window *win) {
    if (w == NULL || win == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_add: NULL argument");
    if (w->state != 0) return llmd_fail(LLMD_ERR_STATE, "llmd_shard_writer_add: writer is finished or failed");
    if (win->seq_len != w->L)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_add: window of %u tokens, shard seq_len %u",
                         win->seq_len, w->L);
    uint32_t L = w->L;
    uint64_t lim = w->dsize == 2 ? 65536 : (w->format == LLMD_SHARD_MMIDX ? (1ull << 31) : (1ull << 32));
    if (w->vocab != 0 && w->vocab < lim) lim = w->vocab;
    uint32_t mx = 0;
    for (uint32_t i = 0; i < L; i++) mx = win->tokens[i] > mx ? win->tokens[i] : mx;
    if (mx >= lim) {
        for (uint32_t i = 0; i < L; i++)
            if (win->tokens[i] >= lim) {
                w->state = 2;
                return llmd_fail(LLMD_ERR_RANGE, "%s: window %llu token %u: id %u does not fit (limit %llu)", w->prefix,
                                 (unsigned long long)w->windows, i, win->tokens[i], (unsigned long long)lim);
            }
    }
    llmd_status st;
    if (w->dsize == 4) {
        st = of_write(&w->data, win->tokens, (size_t)L * 4); /* little-endian host assumed (x86/arm) */
    } else {
        uint16_t tmp[4096];
        st = LLMD_OK;
        for (uint32_t i = 0; i < L && st == LLMD_OK; i += 4096) {
            uint32_t m = L - i < 4096 ? L - i : 4096;
            for (uint32_t k = 0; k < m; k++) tmp[k] = (uint16_t)win->tokens[i + k];
            st = of_write(&w->data, tmp, (size_t)m * 2);
        }
    }
    uint64_t base = w->windows * (uint64_t)L;
    for (uint32_t k = 0; k < win->n_segments && st == LLMD_OK; k++) st = put_bound(w, base + win->cu_seqlens[k]);
    uint32_t real = win->n_segments ? win->cu_seqlens[win->n_segments] : 0;
    if (st == LLMD_OK && win->n_segments == 0) st = put_bound(w, base);
    else if (st == LLMD_OK && real < L) st = put_bound(w, base + real);
    if (st != LLMD_OK) {
        w->state = 2;
        return st;
    }
    w->windows++;
    w->tokens += real;
    w->pad_tokens += L - real;
    return LLMD_OK;
}

llmd_status llmd_shard_writer_window_fn(void *ctx, const llmd_pack_window *window) {
    return llmd_shard_writer_add(ctx, window);
}

uint64_t llmd_shard_writer_windows(const llmd_shard_writer *w) { return w ? w->windows : 0; }

static llmd_status write_idx(llmd_shard_writer *w, outfile *idx) {
    uint8_t h[9 + 8 + 1 + 8 + 8];
    memcpy(h, "MMIDIDX\0\0", 9);
    llmd_store_le64(h + 9, 1);
    h[17] = w->dsize == 2 ? 8 : 4;
    llmd_store_le64(h + 18, w->windows);     /* sequence count */
    llmd_store_le64(h + 26, w->windows + 1); /* document count = entries of document_indices */
    llmd_status st = of_write(idx, h, sizeof h);
    uint8_t b[8];
    for (uint64_t i = 0; i < w->windows && st == LLMD_OK; i++) {
        llmd_store_le32(b, w->L);
        st = of_write(idx, b, 4);
    }
    for (uint64_t i = 0; i < w->windows && st == LLMD_OK; i++) {
        llmd_store_le64(b, i * w->L * (uint64_t)w->dsize);
        st = of_write(idx, b, 8);
    }
    for (uint64_t i = 0; i <= w->windows && st == LLMD_OK; i++) {
        llmd_store_le64(b, i);
        st = of_write(idx, b, 8);
    }
    return st;
}

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static llmd_status build_manifest(llmd_shard_writer *w, const char *extra, llmd_buf *m) {
    const char *fmt = w->format == LLMD_SHARD_MMIDX ? "mmidx" : "npy";
    const char *dtype = w->dsize == 2 ? "uint16" : (w->format == LLMD_SHARD_MMIDX ? "int32" : "uint32");
    const char *bn = base_name(w->prefix);
    llmd_status st = llmd_buf_printf(m,
        "{\"format\":\"%s\",\"dtype\":\"%s\",\"seq_len\":%u,\"windows\":%llu,\"tokens\":%llu,"
        "\"pad_tokens\":%llu,\"boundaries\":%llu,\"vocab_size\":%llu,\"layout\":\"%s\",\"files\":[",
        fmt, dtype, w->L, (unsigned long long)w->windows, (unsigned long long)w->tokens,
        (unsigned long long)w->pad_tokens, (unsigned long long)w->nbounds, (unsigned long long)w->vocab,
        w->format == LLMD_SHARD_MMIDX ? "one sequence and one document per window" : "[windows, seq_len]");
    if (st != LLMD_OK) return st;
    const char *suf[3] = {w->format == LLMD_SHARD_MMIDX ? ".bin" : ".npy",
                          w->format == LLMD_SHARD_MMIDX ? ".idx" : NULL, ".boundaries.npy"};
    int first = 1;
    for (int i = 0; i < 3 && st == LLMD_OK; i++) {
        if (suf[i] == NULL) continue;
        llmd_buf name = LLMD_BUF_INIT;
        st = llmd_buf_printf(&name, "%s%s", bn, suf[i]);
        if (st == LLMD_OK && !first) st = llmd_buf_putc(m, ',');
        if (st == LLMD_OK) st = llmd_buf_put_json_string(m, name.data, name.len);
        llmd_buf_free(&name);
        first = 0;
    }
    if (st == LLMD_OK) st = llmd_buf_putc(m, ']');
    if (st == LLMD_OK && extra != NULL) {
        llmd_json_doc *d = NULL;
        st = llmd_json_doc_new(&d);
        if (st == LLMD_OK) st = llmd_json_doc_parse(d, extra, strlen(extra));
        llmd_json_doc_free(d);
        if (st != LLMD_OK) return llmd_error_prefix("shard manifest extra JSON");
        const char *a = strchr(extra, '{'), *b = strrchr(extra, '}');
        const char *q = a + 1;
        while (q < b && (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')) q++;
        if (q < b) {
            st = llmd_buf_putc(m, ',');
            if (st == LLMD_OK) st = llmd_buf_append(m, q, (size_t)(b - q));
        }
    }
    if (st == LLMD_OK) st = llmd_buf_puts(m, "}\n");
    return st;
}

llmd_status llmd_shard_writer_finish(llmd_shard_writer *w, const char *extra_json) {
    if (w == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_finish: writer is NULL");
    if (w->state != 0) return llmd_fail(LLMD_ERR_STATE, "llmd_shard_writer_finish: writer is finished or failed");
    llmd_status st = put_bound(w, w->windows * (uint64_t)w->L);
    uint8_t hdr[NPY_HEADER];
    outfile idx;
    memset(&idx, 0, sizeof idx);
    idx.fd = -1;
    llmd_buf man = LLMD_BUF_INIT, mpath = LLMD_BUF_INIT;
    if (st == LLMD_OK) st = build_manifest(w, extra_json, &man);
    if (st == LLMD_OK && w->format == LLMD_SHARD_NPY) {
        st = of_flush(&w->data);
        npy_header(hdr, w->dsize == 2 ? "<u2" : "<u4", w->windows, w->L, true);
        if (st == LLMD_OK) st = pwrite_all(&w->data, hdr, NPY_HEADER, 0);
    }
    if (st == LLMD_OK) st = of_flush(&w->bounds);
    if (st == LLMD_OK) {
        npy_header(hdr, "<i8", w->nbounds, 0, false);
        st = pwrite_all(&w->bounds, hdr, NPY_HEADER, 0);
    }
    if (st == LLMD_OK && w->format == LLMD_SHARD_MMIDX) {
        st = of_open(&idx, w->prefix, ".idx");
        if (st == LLMD_OK) st = write_idx(w, &idx);
        if (st == LLMD_OK) st = of_close(&idx);
    }
    if (st == LLMD_OK) st = of_close(&w->data);
    if (st == LLMD_OK) st = of_close(&w->bounds);
    /* all content durable: now make it visible, the manifest last */
    if (st == LLMD_OK) st = of_rename(&w->data);
    if (st == LLMD_OK) st = of_rename(&w->bounds);
    if (st == LLMD_OK && w->format == LLMD_SHARD_MMIDX) st = of_rename(&idx);
    if (st == LLMD_OK) st = llmd_buf_printf(&mpath, "%s.manifest.json", w->prefix);
    if (st == LLMD_OK) st = llmd_write_file_atomic(mpath.data, man.data, man.len);
    if (st != LLMD_OK) {
        w->state = 2;
        /* remove what became visible so no partial shard looks complete */
        if (w->data.tmp == NULL && w->data.final) unlink(w->data.final);
        if (w->bounds.tmp == NULL && w->bounds.final) unlink(w->bounds.final);
        if (idx.tmp == NULL && idx.final) unlink(idx.final);
    }
    of_discard(&idx);
    llmd_buf_free(&man);
    llmd_buf_free(&mpath);
    if (st != LLMD_OK) return st;
    w->state = 1;
    return LLMD_OK;
}
