/* The pipeline's near-dedup stage in cluster mode: the cleaned documents go to an llmd_dedup_clusters
 * job (signature + exact hash) and to a zstd spool, so that the expensive stages before dedup run
 * once; after the last input, the spool is read to give the candidates' shingle sets (exact
 * verification), and once more to hand the kept documents to tokenize and pack. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <zstd.h>

#include "llmdata/dedup.h"
#include "pipeline_internal.h"

struct llmd_pl_near {
    llmd_minhasher *mh;
    llmd_dedup_clusters *job;
    uint32_t P;
    uint32_t *sigs;
    size_t sig_cap;
    int fd;                  /* the spool: unlinked at once, so nothing is ever left behind */
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;
    uint64_t spool_bytes;    /* compressed size of the spool */
    uint64_t raw_bytes;      /* cleaned text spooled */
    /* reading back */
    uint64_t read_off;
    llmd_buf in;             /* compressed input chunk */
    size_t in_pos;
    llmd_buf dec;            /* decompressed, not yet consumed */
    size_t dec_pos;
    uint64_t next_doc;
    int eof;
};

static llmd_status write_all(llmd_pl_near *x, const void *p, size_t n) {
    const char *c = p;
    while (n > 0) {
        ssize_t k = write(x->fd, c, n);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return llmd_fail(LLMD_ERR_IO, "pipeline near-dedup spool: write failed: %s", strerror(errno));
        c += k;
        n -= (size_t)k;
        x->spool_bytes += (uint64_t)k;
    }
    return LLMD_OK;
}

static llmd_status compress(llmd_pl_near *x, const void *data, size_t len, ZSTD_EndDirective end) {
    ZSTD_inBuffer in = {data, len, 0};
    char out[1 << 16];
    for (;;) {
        ZSTD_outBuffer o = {out, sizeof out, 0};
        size_t left = ZSTD_compressStream2(x->cctx, &o, &in, end);
        if (ZSTD_isError(left))
            return llmd_fail(LLMD_ERR_IO, "pipeline near-dedup spool: zstd: %s", ZSTD_getErrorName(left));
        llmd_status st = write_all(x, out, o.pos);
        if (st != LLMD_OK) return st;
        if (end == ZSTD_e_continue ? in.pos == in.size : left == 0) return LLMD_OK;
    }
}

llmd_status llmd_pl_near_open(llmd_pl_near **out, const char *dir, double threshold) {
    *out = NULL;
    llmd_pl_near *x = llmd_calloc(1, sizeof *x);
    if (x == NULL) return llmd_fail_nomem("pipeline near dedup");
    x->fd = -1;
    llmd_dedup_cluster_options o = LLMD_DEDUP_CLUSTER_OPTIONS_INIT;
    o.threshold = threshold;
    llmd_status st = llmd_minhasher_new(&x->mh, NULL);
    if (st == LLMD_OK) st = llmd_dedup_clusters_new(&x->job, NULL, &o);
    if (st != LLMD_OK) {
        llmd_pl_near_close(x);
        return st;
    }
    x->P = llmd_minhasher_num_perm(x->mh);
    char path[4096];
    snprintf(path, sizeof path, "%s/.near-dedup-spool.XXXXXX", dir);
    x->fd = mkstemp(path);
    if (x->fd < 0) {
        st = llmd_fail(LLMD_ERR_IO, "pipeline near dedup: cannot create a spool file in %s: %s", dir, strerror(errno));
        llmd_pl_near_close(x);
        return st;
    }
    unlink(path);
    x->cctx = ZSTD_createCCtx();
    x->dctx = ZSTD_createDCtx();
    if (x->cctx == NULL || x->dctx == NULL) {
        llmd_pl_near_close(x);
        return llmd_fail_nomem("pipeline near-dedup spool");
    }
    ZSTD_CCtx_setParameter(x->cctx, ZSTD_c_compressionLevel, 1);
    *out = x;
    return LLMD_OK;
}

void llmd_pl_near_close(llmd_pl_near *x) {
    if (x == NULL) return;
    llmd_minhasher_free(x->mh);
    llmd_dedup_clusters_free(x->job);
    llmd_free(x->sigs);
    if (x->fd >= 0) close(x->fd);
    ZSTD_freeCCtx(x->cctx);
    ZSTD_freeDCtx(x->dctx);
    llmd_buf_free(&x->in);
    llmd_buf_free(&x->dec);
    llmd_free(x);
}

llmd_status llmd_pl_near_add(llmd_pl_near *x, const char *const *texts, const size_t *lens, size_t n,
                             unsigned threads) {
    if (n == 0) return LLMD_OK;
    if (n > x->sig_cap) {
        uint32_t *s = llmd_realloc(x->sigs, x->sig_cap * x->P * sizeof *s, n * x->P * sizeof *s);
        if (s == NULL) return llmd_fail_nomem("pipeline signatures");
        x->sigs = s;
        x->sig_cap = n;
    }
    llmd_status st = llmd_minhash_batch(x->mh, texts, lens, n, threads, x->sigs, NULL);
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        uint8_t h[16], len4[4];
        if (lens[i] > UINT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "pipeline near dedup: a document over 4 GiB");
        st = llmd_exact_hash(texts[i], lens[i], LLMD_EXACT_RAW, h);
        if (st == LLMD_OK) st = llmd_dedup_clusters_add(x->job, x->sigs + i * x->P, h, 0, 0, NULL);
        llmd_store_le32(len4, (uint32_t)lens[i]);
        if (st == LLMD_OK) st = compress(x, len4, 4, ZSTD_e_continue);
        if (st == LLMD_OK) st = compress(x, texts[i], lens[i], ZSTD_e_continue);
        x->raw_bytes += lens[i];
    }
    return st;
}

/* Starts reading the spool from its beginning. */
static void rewind_spool(llmd_pl_near *x) {
    x->read_off = 0;
    x->in.len = 0;
    x->in_pos = 0;
    x->dec.len = 0;
    x->dec_pos = 0;
    x->next_doc = 0;
    x->eof = 0;
    ZSTD_DCtx_reset(x->dctx, ZSTD_reset_session_only);
}

/* Makes at least `need` decompressed bytes available at dec[dec_pos..]; *got = 0 at a clean end. */
static llmd_status fill(llmd_pl_near *x, size_t need, int *got) {
    *got = 1;
    while (x->dec.len - x->dec_pos < need) {
        if (x->dec_pos > 0) {  /* keep only the unconsumed tail */
            memmove(x->dec.data, x->dec.data + x->dec_pos, x->dec.len - x->dec_pos);
            x->dec.len -= x->dec_pos;
            x->dec_pos = 0;
        }
        if (x->in_pos == x->in.len) {
            if (x->eof) {
                *got = 0;
                if (x->dec.len != x->dec_pos) return llmd_fail(LLMD_ERR_CORRUPT, "pipeline near-dedup spool: truncated");
                return LLMD_OK;
            }
            llmd_status st = llmd_buf_reserve(&x->in, 1 << 17);
            if (st != LLMD_OK) return st;
            ssize_t k = pread(x->fd, x->in.data, 1 << 17, (off_t)x->read_off);
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) return llmd_fail(LLMD_ERR_IO, "pipeline near-dedup spool: read failed: %s", strerror(errno));
            x->in.len = (size_t)k;
            x->in_pos = 0;
            x->read_off += (uint64_t)k;
            if (k == 0) x->eof = 1;
            continue;
        }
        llmd_status st = llmd_buf_reserve(&x->dec, need + (1 << 17));
        if (st != LLMD_OK) return st;
        ZSTD_inBuffer in = {x->in.data, x->in.len, x->in_pos};
        ZSTD_outBuffer o = {x->dec.data + x->dec.len, x->dec.cap - x->dec.len - 1, 0};
        size_t r = ZSTD_decompressStream(x->dctx, &o, &in);
        if (ZSTD_isError(r))
            return llmd_fail(LLMD_ERR_CORRUPT, "pipeline near-dedup spool: zstd: %s", ZSTD_getErrorName(r));
        x->in_pos = in.pos;
        x->dec.len += o.pos;
    }
    return LLMD_OK;
}

/* The next spooled document (*text NULL at the end); valid until the next call. */
static llmd_status next_doc(llmd_pl_near *x, const char **text, size_t *len, uint64_t *doc) {
    *text = NULL;
    int got;
    llmd_status st = fill(x, 4, &got);
    if (st != LLMD_OK || !got) return st;
    uint32_t n = llmd_load_le32((const uint8_t *)x->dec.data + x->dec_pos);
    if ((st = fill(x, 4 + (size_t)n, &got)) != LLMD_OK) return st;
    if (!got) return llmd_fail(LLMD_ERR_CORRUPT, "pipeline near-dedup spool: truncated record");
    *text = x->dec.data + x->dec_pos + 4;
    *len = n;
    *doc = x->next_doc++;
    x->dec_pos += 4 + (size_t)n;
    return LLMD_OK;
}

llmd_status llmd_pl_near_finish(llmd_pl_near *x) {
    llmd_status st = compress(x, "", 0, ZSTD_e_end);
    uint64_t n_cand = 0;
    if (st == LLMD_OK) st = llmd_dedup_clusters_candidates(x->job, &n_cand);
    if (st == LLMD_OK && n_cand > 0) {  /* exact verification: the candidates' shingle sets */
        rewind_spool(x);
        uint32_t *sig = llmd_malloc(x->P * sizeof *sig);
        if (sig == NULL) return llmd_fail_nomem("pipeline near dedup");
        for (;;) {
            const char *t;
            size_t len;
            uint64_t d;
            if ((st = next_doc(x, &t, &len, &d)) != LLMD_OK || t == NULL) break;
            if (!llmd_dedup_clusters_needs_shingles(x->job, d)) continue;
            uint64_t *sh = NULL;
            size_t nsh = 0;
            st = llmd_minhash_shingles(x->mh, t, len, sig, &sh, &nsh);
            if (st == LLMD_OK) st = llmd_dedup_clusters_set_shingles(x->job, d, sh, nsh);
            llmd_free(sh);
            if (st != LLMD_OK) break;
        }
        llmd_free(sig);
    }
    if (st == LLMD_OK) st = llmd_dedup_clusters_finish(x->job);
    if (st == LLMD_OK) rewind_spool(x);
    return st;
}

llmd_status llmd_pl_near_next(llmd_pl_near *x, const char **text, size_t *len, int *keep) {
    uint64_t d = 0;
    llmd_status st = next_doc(x, text, len, &d);
    if (st != LLMD_OK || *text == NULL) return st;
    llmd_dedup_verdict v;
    if ((st = llmd_dedup_clusters_result(x->job, d, &v)) != LLMD_OK) return st;
    *keep = v.keep;
    return LLMD_OK;
}

void llmd_pl_near_stats(const llmd_pl_near *x, llmd_dedup_cluster_stats *s, uint64_t *spool_bytes,
                        uint64_t *raw_bytes) {
    llmd_dedup_clusters_stats(x->job, s);
    *spool_bytes = x->spool_bytes;
    *raw_bytes = x->raw_bytes;
}
