/* Training-shard writers: Megatron MMIDIDX (.bin/.idx) and numpy .npy (see include/llmdata/pack.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/internal.h"
#include "llmdata/io.h"
#include "llmdata/pack.h"

#define NPY_HEADER 128

typedef enum writer_state { W_OPEN, W_FINISHED, W_FAILED } writer_state;

struct llmd_shard_writer {
    llmd_shard_format format;
    uint32_t L;
    uint64_t vocab;
    int dsize;        /* 2 or 4 */
    int overwrite;
    char *prefix;     /* PREFIX, or PREFIX-<run id> with unique names: what the file names extend */
    char run_id[128];
    llmd_outfile data, bounds;
    uint64_t windows, pad_tokens, tokens, nbounds;
    writer_state state;
    llmd_file_list published;   /* after finish: every file, the manifest last */
};

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static const char *data_suffix(llmd_shard_format f) { return f == LLMD_SHARD_MMIDX ? ".bin" : ".npy"; }

/* The suffixes a shard of this format writes, the manifest last. */
static size_t shard_suffixes(llmd_shard_format f, const char *out[4]) {
    size_t n = 0;
    out[n++] = data_suffix(f);
    if (f == LLMD_SHARD_MMIDX) out[n++] = ".idx";
    out[n++] = ".boundaries.npy";
    out[n++] = ".manifest.json";
    return n;
}

static llmd_status of_open(llmd_outfile *f, const char *prefix, const char *suffix) {
    llmd_buf b = LLMD_BUF_INIT;
    if (llmd_buf_printf(&b, "%s%s", prefix, suffix) != LLMD_OK) return llmd_fail_nomem("a shard file name");
    llmd_status st = llmd_outfile_open(f, b.data);
    llmd_buf_free(&b);
    return st;
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

void llmd_shard_writer_free(llmd_shard_writer *w) {
    if (w == NULL) return;
    llmd_outfile_discard(&w->data);
    llmd_outfile_discard(&w->bounds);
    llmd_file_list_free(&w->published);
    llmd_free(w->prefix);
    llmd_free(w);
}

void llmd_shard_options_init(llmd_shard_options *opts) {
    if (opts == NULL) return;
    llmd_shard_options d = LLMD_SHARD_OPTIONS_INIT;
    *opts = d;
}

/* "" and "dir/" have no file name for the outputs to extend: they would write hidden ".bin" files. */
static llmd_status check_prefix(const char *prefix) {
    const char *b = base_name(prefix);
    if (b[0] == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG,
                         "shard prefix '%s' has no file name to extend (give one, e.g. 'dir/train' for dir/train.bin)",
                         prefix);
    size_t n = strlen(b);
    /* the manifest lists names as JSON text: they must survive it unchanged */
    if (llmd_utf8_validate((const unsigned char *)b, n) != n)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "shard prefix '%s': the file name is not valid UTF-8", prefix);
    return LLMD_OK;
}

static llmd_status check_run_id(const char *id) {
    size_t n = strlen(id);
    if (n == 0 || n > 100) return llmd_fail(LLMD_ERR_INVALID_ARG, "shard run id must have 1..100 characters");
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || (c == '.' && i > 0);
        if (!ok) return llmd_fail(LLMD_ERR_INVALID_ARG, "shard run id '%s': character %zu is not [A-Za-z0-9._-]", id, i);
    }
    return LLMD_OK;
}

/* Without overwrite, refuse before any work when an output name is taken (checked again at publish,
 * which is what makes it safe against a concurrent writer). */
static llmd_status check_absent(const llmd_shard_writer *w) {
    const char *suf[4];
    size_t n = shard_suffixes(w->format, suf);
    llmd_buf b = LLMD_BUF_INIT;
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        llmd_buf_reset(&b);
        if ((st = llmd_buf_printf(&b, "%s%s", w->prefix, suf[i])) != LLMD_OK) break;
        struct stat sb;
        if (lstat(b.data, &sb) == 0)
            st = llmd_fail(LLMD_ERR_CONFLICT, "%s exists (an earlier shard; set overwrite to replace it)", b.data);
    }
    llmd_buf_free(&b);
    return st;
}

static const size_t shard_option_sizes[] = {sizeof(llmd_shard_options)};

llmd_status llmd_shard_writer_open(llmd_shard_writer **out, const char *prefix, const llmd_shard_options *opts) {
    if (out == NULL || prefix == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_open: NULL argument");
    *out = NULL;
    llmd_shard_options o;
    llmd_shard_options_init(&o);
    llmd_status st = llmd_options_copy(&o, opts, shard_option_sizes, LLMD_SHARD_OPTIONS_VERSION, "shard options");
    if (st != LLMD_OK) return st;
    if (o.format != LLMD_SHARD_MMIDX && o.format != LLMD_SHARD_NPY)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_open: unknown format %d", (int)o.format);
    if (o.seq_len == 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_open: seq_len is 0");
    if ((st = check_prefix(prefix)) != LLMD_OK) return st;
    if (o.run_id != NULL && (st = check_run_id(o.run_id)) != LLMD_OK) return st;
    llmd_shard_writer *w = llmd_calloc(1, sizeof *w);
    if (w == NULL) return llmd_fail_nomem("shard writer");
    w->data.fd = w->bounds.fd = -1;
    w->format = o.format;
    w->L = o.seq_len;
    w->vocab = o.vocab_size;
    w->overwrite = o.overwrite != 0;
    w->dsize = (o.vocab_size >= 1 && o.vocab_size <= 65536) ? 2 : 4;
    if (o.run_id != NULL) snprintf(w->run_id, sizeof w->run_id, "%s", o.run_id);
    else llmd_make_run_id(w->run_id);
    llmd_buf b = LLMD_BUF_INIT;
    st = o.unique_names ? llmd_buf_printf(&b, "%s-%s", prefix, w->run_id) : llmd_buf_puts(&b, prefix);
    if (st == LLMD_OK) w->prefix = llmd_buf_detach(&b, NULL);
    else st = llmd_fail_nomem("shard prefix");
    if (st == LLMD_OK && !w->overwrite) st = check_absent(w);
    if (st == LLMD_OK) st = of_open(&w->data, w->prefix, data_suffix(o.format));
    if (st == LLMD_OK) st = of_open(&w->bounds, w->prefix, ".boundaries.npy");
    uint8_t hdr[NPY_HEADER];
    memset(hdr, 0, sizeof hdr);
    if (st == LLMD_OK && o.format == LLMD_SHARD_NPY) st = llmd_outfile_write(&w->data, hdr, sizeof hdr);
    if (st == LLMD_OK) st = llmd_outfile_write(&w->bounds, hdr, sizeof hdr);
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
    return llmd_outfile_write(&w->bounds, b, 8);
}

llmd_status llmd_shard_writer_add(llmd_shard_writer *w, const llmd_pack_window *win) {
    if (w == NULL || win == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_add: NULL argument");
    if (w->state != W_OPEN) return llmd_fail(LLMD_ERR_STATE, "llmd_shard_writer_add: writer is finished or failed");
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
                w->state = W_FAILED;
                return llmd_fail(LLMD_ERR_RANGE, "%s: window %llu token %u: id %u does not fit (limit %llu)", w->prefix,
                                 (unsigned long long)w->windows, i, win->tokens[i], (unsigned long long)lim);
            }
    }
    llmd_status st;
    if (w->dsize == 4) {
        st = llmd_outfile_write(&w->data, win->tokens, (size_t)L * 4); /* little-endian host assumed (x86/arm) */
    } else {
        uint16_t tmp[4096];
        st = LLMD_OK;
        for (uint32_t i = 0; i < L && st == LLMD_OK; i += 4096) {
            uint32_t m = L - i < 4096 ? L - i : 4096;
            for (uint32_t k = 0; k < m; k++) tmp[k] = (uint16_t)win->tokens[i + k];
            st = llmd_outfile_write(&w->data, tmp, (size_t)m * 2);
        }
    }
    uint64_t base = w->windows * (uint64_t)L;
    for (uint32_t k = 0; k < win->n_segments && st == LLMD_OK; k++) st = put_bound(w, base + win->cu_seqlens[k]);
    uint32_t real = win->n_segments ? win->cu_seqlens[win->n_segments] : 0;
    if (st == LLMD_OK && win->n_segments == 0) st = put_bound(w, base);
    else if (st == LLMD_OK && real < L) st = put_bound(w, base + real);
    if (st != LLMD_OK) {
        w->state = W_FAILED;
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

static llmd_status write_idx(llmd_shard_writer *w, llmd_outfile *idx) {
    uint8_t h[9 + 8 + 1 + 8 + 8];
    memcpy(h, "MMIDIDX\0\0", 9);
    llmd_store_le64(h + 9, 1);
    h[17] = w->dsize == 2 ? 8 : 4;
    llmd_store_le64(h + 18, w->windows);     /* sequence count */
    llmd_store_le64(h + 26, w->windows + 1); /* document count = entries of document_indices */
    llmd_status st = llmd_outfile_write(idx, h, sizeof h);
    uint8_t b[8];
    for (uint64_t i = 0; i < w->windows && st == LLMD_OK; i++) {
        llmd_store_le32(b, w->L);
        st = llmd_outfile_write(idx, b, 4);
    }
    for (uint64_t i = 0; i < w->windows && st == LLMD_OK; i++) {
        llmd_store_le64(b, i * w->L * (uint64_t)w->dsize);
        st = llmd_outfile_write(idx, b, 8);
    }
    for (uint64_t i = 0; i <= w->windows && st == LLMD_OK; i++) {
        llmd_store_le64(b, i);
        st = llmd_outfile_write(idx, b, 8);
    }
    return st;
}


static llmd_status build_manifest(llmd_shard_writer *w, const llmd_file_list *files, const char *extra,
                                  llmd_buf *m) {
    const char *fmt = w->format == LLMD_SHARD_MMIDX ? "mmidx" : "npy";
    const char *dtype = w->dsize == 2 ? "uint16" : (w->format == LLMD_SHARD_MMIDX ? "int32" : "uint32");
    llmd_status st = llmd_buf_printf(m,
        "{\"format\":\"%s\",\"dtype\":\"%s\",\"seq_len\":%u,\"windows\":%llu,\"tokens\":%llu,"
        "\"pad_tokens\":%llu,\"boundaries\":%llu,\"vocab_size\":%llu,\"layout\":\"%s\",\"files\":",
        fmt, dtype, w->L, (unsigned long long)w->windows, (unsigned long long)w->tokens,
        (unsigned long long)w->pad_tokens, (unsigned long long)w->nbounds, (unsigned long long)w->vocab,
        w->format == LLMD_SHARD_MMIDX ? "one sequence and one document per window" : "[windows, seq_len]");
    if (st != LLMD_OK) return st;
    if (st == LLMD_OK) st = llmd_file_list_json(m, files);
    if (st == LLMD_OK) st = llmd_buf_printf(m, ",\"run_id\":\"%s\",\"manifest_version\":2", w->run_id);
    if (st == LLMD_OK && extra != NULL) {
        llmd_json_doc *d = NULL;
        st = llmd_json_doc_new(&d);
        if (st == LLMD_OK) st = llmd_json_doc_parse(d, extra, strlen(extra));
        llmd_json_doc_free(d);
        /* pack.h: extra JSON that is not an object is LLMD_ERR_PARSE (the reader says SCHEMA for a
         * well-formed non-object, e.g. "[1]") */
        if (st == LLMD_ERR_SCHEMA) {
            char why[256];
            snprintf(why, sizeof why, "%s", llmd_last_error());
            st = llmd_fail(LLMD_ERR_PARSE, "%s", why);
        }
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

/* Names of an earlier shard at this prefix that the new one does not write (e.g. PREFIX.npy after a
 * switch to mmidx): read from its manifest, kept to files that extend the prefix. */
static llmd_status stale_files(const llmd_shard_writer *w, const llmd_file_list *fresh, llmd_file_list *stale) {
    memset(stale, 0, sizeof *stale);
    llmd_buf mpath = LLMD_BUF_INIT;
    char *text = NULL;
    size_t len;
    llmd_status st = llmd_buf_printf(&mpath, "%s.manifest.json", w->prefix);
    if (st != LLMD_OK) return st;
    if ((st = llmd_read_file(mpath.data, &text, &len)) != LLMD_OK) { /* no earlier shard, or not ours */
        llmd_buf_free(&mpath);
        if (st == LLMD_ERR_NOMEM) return st; /* not knowing the stale files is not "there are none" */
        llmd_clear_error();
        return LLMD_OK;
    }
    llmd_file_list old;
    if ((st = llmd_manifest_parse(text, len, mpath.data, &old, NULL)) != LLMD_OK) {
        if (st == LLMD_ERR_NOMEM) {
            llmd_free(text);
            llmd_buf_free(&mpath);
            return st;
        }
        st = LLMD_OK;
        llmd_clear_error();
        memset(&old, 0, sizeof old);
    }
    const char *bn = base_name(w->prefix);
    size_t bl = strlen(bn);
    for (size_t i = 0; i < old.n && st == LLMD_OK; i++) {
        bool kept = strncmp(old.v[i].name, bn, bl) != 0 || old.v[i].name[bl] != '.';
        for (size_t k = 0; k < fresh->n && !kept; k++) kept = strcmp(fresh->v[k].name, old.v[i].name) == 0;
        if (!kept) st = llmd_file_list_add(stale, old.v[i].name, 0, 0);
    }
    llmd_file_list_free(&old);
    llmd_free(text);
    llmd_buf_free(&mpath);
    return st;
}

static void remove_stale(const llmd_shard_writer *w, const llmd_file_list *stale) {
    const char *bn = base_name(w->prefix);
    size_t dirlen = (size_t)(bn - w->prefix);
    llmd_buf b = LLMD_BUF_INIT;
    for (size_t i = 0; i < stale->n; i++) {
        llmd_buf_reset(&b);
        if (llmd_buf_printf(&b, "%.*s%s", (int)dirlen, w->prefix, stale->v[i].name) == LLMD_OK) unlink(b.data);
    }
    llmd_buf_free(&b);
}

static llmd_status list_file(llmd_file_list *l, const llmd_outfile *f) {
    return llmd_file_list_add(l, base_name(f->final_path), f->bytes, f->checksum);
}

llmd_status llmd_shard_writer_finish(llmd_shard_writer *w, const char *extra_json) {
    if (w == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_finish: writer is NULL");
    if (w->state != W_OPEN) return llmd_fail(LLMD_ERR_STATE, "llmd_shard_writer_finish: writer is finished or failed");
    llmd_status st = put_bound(w, w->windows * (uint64_t)w->L);
    uint8_t hdr[NPY_HEADER];
    llmd_outfile idx, man;
    memset(&idx, 0, sizeof idx);
    memset(&man, 0, sizeof man);
    idx.fd = man.fd = -1;
    llmd_buf text = LLMD_BUF_INIT;
    llmd_file_list files = {0}, stale = {0};
    if (st == LLMD_OK && w->format == LLMD_SHARD_NPY) {
        npy_header(hdr, w->dsize == 2 ? "<u2" : "<u4", w->windows, w->L, true);
        st = llmd_outfile_pwrite(&w->data, 0, hdr, NPY_HEADER);
    }
    if (st == LLMD_OK) {
        npy_header(hdr, "<i8", w->nbounds, 0, false);
        st = llmd_outfile_pwrite(&w->bounds, 0, hdr, NPY_HEADER);
    }
    if (st == LLMD_OK && w->format == LLMD_SHARD_MMIDX) {
        st = of_open(&idx, w->prefix, ".idx");
        if (st == LLMD_OK) st = write_idx(w, &idx);
        if (st == LLMD_OK) st = llmd_outfile_close(&idx);
    }
    /* content durable (closed = fsynced) and checksummed: the manifest can list it */
    if (st == LLMD_OK) st = llmd_outfile_close(&w->data);
    if (st == LLMD_OK) st = llmd_outfile_close(&w->bounds);
    if (st == LLMD_OK) st = list_file(&files, &w->data);
    if (st == LLMD_OK && w->format == LLMD_SHARD_MMIDX) st = list_file(&files, &idx);
    if (st == LLMD_OK) st = list_file(&files, &w->bounds);
    if (st == LLMD_OK) st = build_manifest(w, &files, extra_json, &text);
    if (st == LLMD_OK) st = of_open(&man, w->prefix, ".manifest.json");
    if (st == LLMD_OK) st = llmd_outfile_write(&man, text.data, text.len);
    if (st == LLMD_OK) st = llmd_outfile_close(&man);
    if (st == LLMD_OK) st = list_file(&files, &man);
    if (st == LLMD_OK && w->overwrite) st = stale_files(w, &files, &stale);
    if (st == LLMD_OK) {
        llmd_outfile *all[4];
        size_t n = 0;
        all[n++] = &w->data;
        if (w->format == LLMD_SHARD_MMIDX) all[n++] = &idx;
        all[n++] = &w->bounds;
        all[n++] = &man;
        st = llmd_outfile_publish_all(all, n, w->overwrite ? LLMD_PUBLISH_REPLACE : LLMD_PUBLISH_EXCLUSIVE);
    }
    if (st == LLMD_OK) remove_stale(w, &stale);
    llmd_outfile_discard(&idx);
    llmd_outfile_discard(&man);
    llmd_buf_free(&text);
    llmd_file_list_free(&stale);
    if (st != LLMD_OK) {
        w->state = W_FAILED;
        llmd_outfile_discard(&w->data);
        llmd_outfile_discard(&w->bounds);
        llmd_file_list_free(&files);
        return st;
    }
    w->published = files;
    w->state = W_FINISHED;
    return LLMD_OK;
}

const char *llmd_shard_writer_run_id(const llmd_shard_writer *w) { return w ? w->run_id : NULL; }

size_t llmd_shard_writer_file_count(const llmd_shard_writer *w) { return w ? w->published.n : 0; }

llmd_status llmd_shard_writer_file(const llmd_shard_writer *w, size_t i, const char **name, uint64_t *bytes,
                                   uint64_t *xxh3) {
    if (w == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_writer_file: writer is NULL");
    if (i >= w->published.n)
        return llmd_fail(LLMD_ERR_RANGE, "llmd_shard_writer_file: file %zu of %zu (files are listed after finish)", i,
                         w->published.n);
    if (name) *name = w->published.v[i].name;
    if (bytes) *bytes = w->published.v[i].bytes;
    if (xxh3) *xxh3 = w->published.v[i].xxh3;
    return LLMD_OK;
}

llmd_status llmd_shard_verify(const char *prefix, unsigned flags) {
    if (prefix == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_shard_verify: prefix is NULL");
    llmd_status st = check_prefix(prefix);
    if (st != LLMD_OK) return st;
    llmd_buf mpath = LLMD_BUF_INIT, dir = LLMD_BUF_INIT;
    char *text = NULL;
    size_t len;
    llmd_file_list files = {0};
    const char *bn = base_name(prefix);
    st = llmd_buf_printf(&mpath, "%s.manifest.json", prefix);
    if (st == LLMD_OK) st = bn == prefix ? llmd_buf_puts(&dir, ".") : llmd_buf_printf(&dir, "%.*s", (int)(bn - prefix), prefix);
    if (st == LLMD_OK) st = llmd_read_file(mpath.data, &text, &len);
    if (st == LLMD_OK) st = llmd_manifest_parse(text, len, mpath.data, &files, NULL);
    if (st == LLMD_OK) st = llmd_manifest_check_files(dir.data, &files, (flags & LLMD_SHARD_VERIFY_CHECKSUMS) != 0,
                                                      mpath.data);
    llmd_file_list_free(&files);
    llmd_free(text);
    llmd_buf_free(&mpath);
    llmd_buf_free(&dir);
    return st;
}
