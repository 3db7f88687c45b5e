/* Whole-corpus near-duplicate clusters: union-find, band keys -> candidate pairs, and the two-pass
 * cluster job (add signatures, find candidates, verify in bucket order, one kept document per
 * cluster).  The rules are documented in include/llmdata/dedup.h ("Clusters"). */
#include <math.h>
#include <stdlib.h>

#include "dedup_internal.h"

/* ---- union-find on a uint32 parent array: root = smallest member ---- */

static uint32_t uf_find(uint32_t *parent, uint32_t a) {
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];  /* path halving */
        a = parent[a];
    }
    return a;
}

/* Joins the sets of a and b; returns 1 if they were apart.  The smaller root wins, which makes
 * every set's root its smallest member whatever order the unions come in. */
static int uf_union(uint32_t *parent, uint32_t a, uint32_t b) {
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a == b) return 0;
    if (a < b) parent[b] = a;
    else parent[a] = b;
    return 1;
}

struct llmd_union_find {
    uint32_t *parent;
    uint64_t n;
};

LLMD_API llmd_status llmd_union_find_new(llmd_union_find **out, uint64_t n) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_union_find_new: NULL out");
    *out = NULL;
    if (n >= UINT32_MAX)
        return llmd_fail(LLMD_ERR_RANGE, "union-find of %llu elements: at most 2^32-2", (unsigned long long)n);
    llmd_union_find *uf = llmd_calloc(1, sizeof *uf);
    if (uf == NULL) return llmd_fail_nomem("creating a union-find");
    uf->parent = llmd_malloc((size_t)(n ? n : 1) * sizeof *uf->parent);
    if (uf->parent == NULL) {
        llmd_free(uf);
        return llmd_fail_nomem("creating a union-find");
    }
    for (uint64_t i = 0; i < n; i++) uf->parent[i] = (uint32_t)i;
    uf->n = n;
    *out = uf;
    return LLMD_OK;
}

LLMD_API void llmd_union_find_free(llmd_union_find *uf) {
    if (uf == NULL) return;
    llmd_free(uf->parent);
    llmd_free(uf);
}

LLMD_API uint64_t llmd_union_find_size(const llmd_union_find *uf) { return uf ? uf->n : 0; }

LLMD_API llmd_status llmd_union_find_union(llmd_union_find *uf, uint64_t a, uint64_t b, int *merged) {
    if (uf == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_union_find_union: NULL union-find");
    if (a >= uf->n || b >= uf->n)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "union-find: element %llu out of range (size %llu)",
                         (unsigned long long)(a >= uf->n ? a : b), (unsigned long long)uf->n);
    int m = uf_union(uf->parent, (uint32_t)a, (uint32_t)b);
    if (merged) *merged = m;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_union_find_union_pairs(llmd_union_find *uf, const uint64_t *pairs, size_t n) {
    if (uf == NULL || (pairs == NULL && n > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_union_find_union_pairs: NULL %s", uf ? "pairs" : "union-find");
    for (size_t k = 0; k < n; k++) {
        llmd_status st = llmd_union_find_union(uf, pairs[2 * k], pairs[2 * k + 1], NULL);
        if (st != LLMD_OK) return llmd_error_prefix("pair %zu", k), st;
    }
    return LLMD_OK;
}

LLMD_API uint64_t llmd_union_find_find(llmd_union_find *uf, uint64_t a) {
    if (uf == NULL || a >= uf->n) return UINT64_MAX;
    return uf_find(uf->parent, (uint32_t)a);
}

/* ---- buckets: (band hash, document) items sorted by hash then document ---- */

typedef struct bitem {
    uint64_t hash;
    uint32_t doc;
} bitem;

static int cmp_bitem(const void *pa, const void *pb) {
    const bitem *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    return a->doc < b->doc ? -1 : a->doc > b->doc;
}

/* Band j's key hash of a signature: XXH3-64 (seed 0) of the band's rows as LE bytes (the hash part
 * of llmd_lsh_band_keys). */
static uint64_t band_hash(const uint32_t *sig, uint32_t j, uint32_t rows) {
    uint8_t tmp[4 * 4096]; /* rows <= num_perm <= 4096 (llmd_minhasher_new checks num_perm) */
    const uint32_t *v = sig + (size_t)j * rows;
    for (uint32_t i = 0; i < rows; i++) llmd_store_le32(tmp + 4 * i, v[i]);
    return llmd_hash64(tmp, 4 * (size_t)rows, 0);
}

static int cmp_pair(const void *pa, const void *pb) {
    const uint64_t *a = pa, *b = pb;
    if (a[0] != b[0]) return a[0] < b[0] ? -1 : 1;
    return a[1] < b[1] ? -1 : a[1] > b[1];
}

LLMD_API llmd_status llmd_lsh_candidate_pairs(const uint8_t *keys, uint64_t n_docs, uint32_t bands,
                                              const uint8_t *skip, uint64_t **pairs, size_t *n_pairs) {
    if (pairs == NULL || n_pairs == NULL || (keys == NULL && n_docs > 0) || bands == 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_candidate_pairs: %s",
                         bands == 0 ? "bands is 0" : "NULL argument");
    *pairs = NULL;
    *n_pairs = 0;
    if (n_docs >= UINT32_MAX)
        return llmd_fail(LLMD_ERR_RANGE, "candidate pairs: %llu documents, at most 2^32-2", (unsigned long long)n_docs);
    if (n_docs < 2) return LLMD_OK;
    bitem *it = llmd_malloc((size_t)n_docs * sizeof *it);
    if (it == NULL) return llmd_fail_nomem("grouping band keys");
    uint64_t *out = NULL;
    size_t n = 0, cap = 0;
    llmd_status st = LLMD_OK;
    for (uint32_t j = 0; j < bands && st == LLMD_OK; j++) {
        size_t m = 0;
        for (uint64_t d = 0; d < n_docs; d++) {
            if (skip && skip[d]) continue;
            const uint8_t *k = keys + ((size_t)d * bands + j) * LLMD_BAND_KEY_SIZE;
            /* The key's band field is part of the key: mix it in so that a caller's keys whose band
             * field differs from j still group only with equal keys. */
            it[m].hash = llmd_load_le64(k + 4) ^ ((uint64_t)llmd_load_le32(k) * 0x9E3779B97F4A7C15ULL);
            it[m].doc = (uint32_t)d;
            m++;
        }
        qsort(it, m, sizeof *it, cmp_bitem);
        for (size_t a = 0, b; a < m; a = b) {
            for (b = a + 1; b < m && it[b].hash == it[a].hash; b++) {
                /* equal mixed hashes: confirm the 12 key bytes are equal */
                const uint8_t *ka = keys + ((size_t)it[a].doc * bands + j) * LLMD_BAND_KEY_SIZE;
                const uint8_t *kb = keys + ((size_t)it[b].doc * bands + j) * LLMD_BAND_KEY_SIZE;
                if (memcmp(ka, kb, LLMD_BAND_KEY_SIZE) != 0) continue;
                if (n == cap) {
                    size_t c = cap ? cap * 2 : 256;
                    uint64_t *p = llmd_realloc(out, cap * 2 * sizeof *p, c * 2 * sizeof *p);
                    if (p == NULL) {
                        st = llmd_fail_nomem("collecting candidate pairs");
                        break;
                    }
                    out = p;
                    cap = c;
                }
                out[2 * n] = it[a].doc;
                out[2 * n + 1] = it[b].doc;
                n++;
            }
            if (st != LLMD_OK) break;
        }
    }
    llmd_free(it);
    if (st != LLMD_OK) {
        llmd_free(out);
        return st;
    }
    if (n > 1) qsort(out, n, 2 * sizeof *out, cmp_pair);   /* out is NULL when there is no pair */
    size_t w = 0;
    for (size_t k = 0; k < n; k++)
        if (w == 0 || out[2 * k] != out[2 * (w - 1)] || out[2 * k + 1] != out[2 * (w - 1) + 1]) {
            out[2 * w] = out[2 * k];
            out[2 * w + 1] = out[2 * k + 1];
            w++;
        }
    if (w == 0) {
        llmd_free(out);
        out = NULL;
    }
    *pairs = out;
    *n_pairs = w;
    return LLMD_OK;
}

/* ---- default bands ---- */

static double candidate_prob(double s, uint32_t b, uint32_t r) { return 1.0 - pow(1.0 - pow(s, r), b); }

LLMD_API llmd_status llmd_dedup_default_bands(double threshold, uint32_t num_perm, uint32_t *bands,
                                              uint32_t *rows) {
    if (bands == NULL || rows == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_default_bands: NULL output");
    if (!(threshold > 0.0 && threshold <= 1.0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "dedup threshold %g: must be in (0, 1]", threshold);
    if (num_perm == 0 || num_perm > 4096)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "dedup num_perm %u out of range 1..4096", num_perm);
    double s = threshold + 0.05 < 1.0 ? threshold + 0.05 : 1.0;
    uint32_t best = 1;
    for (uint32_t r = 1; r <= 64 && r <= num_perm; r++)
        if (candidate_prob(s, num_perm / r, r) >= 0.99) best = r;
    *rows = best;
    *bands = num_perm / best;
    return LLMD_OK;
}

/* ---- the cluster job ---- */

enum { F_EXACT_DUP = 1, F_CAND = 2, F_HAS_SET = 4, F_EMPTY = 8 };
enum { PH_ADD, PH_CAND, PH_DONE };

typedef struct exact_slot {
    uint8_t h[16];
    uint32_t doc1;  /* 1 + first document with this hash; 0 = empty slot */
} exact_slot;

struct llmd_dedup_clusters {
    llmd_minhash_options mh;
    double threshold;
    uint32_t P, bands, rows, need;
    int verify, phase;
    uint64_t n, cap;
    uint32_t *sigs;       /* cap * P; only kept for estimate / none verification */
    uint64_t *bh;         /* cap * bands: band key hashes, computed once at add */
    uint64_t *prio, *check;
    uint32_t *parent;
    uint32_t *link;       /* the link's other document, UINT32_MAX: none */
    float *link_j;
    uint8_t *flags;
    exact_slot *ex;
    uint64_t ex_cap, ex_n;
    /* shingle sets (exact verification, candidates only) */
    uint64_t *sh_start;
    uint32_t *sh_len;
    uint64_t *sh;
    size_t sh_n, sh_cap;
    /* results */
    uint32_t *rep;        /* per root: the kept member */
    uint32_t *size;       /* per root: members */
    llmd_dedup_cluster_stats stats;
    uint64_t cur_bytes;
};

static const size_t cluster_sizes[] = {sizeof(llmd_dedup_cluster_options)};

static void note_bytes(llmd_dedup_clusters *c, int64_t delta) {
    c->cur_bytes += (uint64_t)delta;
    if (c->cur_bytes > c->stats.peak_bytes) c->stats.peak_bytes = c->cur_bytes;
}

LLMD_API llmd_status llmd_dedup_clusters_new(llmd_dedup_clusters **out, const llmd_minhash_options *mh_in,
                                             const llmd_dedup_cluster_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_new: NULL out");
    *out = NULL;
    llmd_minhasher *tmp = NULL;
    llmd_status st = llmd_minhasher_new(&tmp, mh_in);  /* validates the MinHash options */
    if (st != LLMD_OK) return st;
    llmd_minhasher_free(tmp);
    llmd_minhash_options mh = LLMD_MINHASH_OPTIONS_INIT;
    if (mh_in) {
        static const size_t mh_sizes[] = {sizeof(llmd_minhash_options)};
        if ((st = llmd_options_copy(&mh, mh_in, mh_sizes, LLMD_MINHASH_OPTIONS_VERSION, "llmd_minhash_options")) != LLMD_OK)
            return st;
    }
    llmd_dedup_cluster_options o = LLMD_DEDUP_CLUSTER_OPTIONS_INIT;
    if ((st = llmd_options_copy(&o, opts, cluster_sizes, LLMD_DEDUP_CLUSTER_OPTIONS_VERSION,
                                "llmd_dedup_cluster_options")) != LLMD_OK)
        return st;
    if (!(o.threshold > 0.0 && o.threshold <= 1.0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "dedup threshold %g: must be in (0, 1]", o.threshold);
    if ((o.bands == 0) != (o.rows == 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "dedup bands %u / rows %u: set both or neither", o.bands, o.rows);
    if (o.verify != LLMD_VERIFY_EXACT && o.verify != LLMD_VERIFY_ESTIMATE && o.verify != LLMD_VERIFY_NONE)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "dedup verify mode %d: not an llmd_dedup_verify", o.verify);
    if (o.bands == 0 && (st = llmd_dedup_default_bands(o.threshold, mh.num_perm, &o.bands, &o.rows)) != LLMD_OK)
        return st;
    if ((uint64_t)o.bands * o.rows > mh.num_perm)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "dedup bands %u x rows %u: product over num_perm %u", o.bands,
                         o.rows, mh.num_perm);
    llmd_dedup_clusters *c = llmd_calloc(1, sizeof *c);
    if (c == NULL) return llmd_fail_nomem("creating a dedup cluster job");
    c->mh = mh;
    c->threshold = o.threshold;
    c->P = mh.num_perm;
    c->bands = o.bands;
    c->rows = o.rows;
    c->verify = o.verify;
    c->need = (uint32_t)ceil(o.threshold * mh.num_perm - 1e-9);
    if (c->need == 0) c->need = 1;
    *out = c;
    return LLMD_OK;
}

static void free_sets(llmd_dedup_clusters *c) {
    llmd_free(c->sh_start);
    llmd_free(c->sh_len);
    llmd_free(c->sh);
    c->sh_start = NULL;
    c->sh_len = NULL;
    c->sh = NULL;
    c->sh_n = c->sh_cap = 0;
}

LLMD_API void llmd_dedup_clusters_free(llmd_dedup_clusters *c) {
    if (c == NULL) return;
    llmd_free(c->sigs);
    llmd_free(c->bh);
    llmd_free(c->prio);
    llmd_free(c->check);
    llmd_free(c->parent);
    llmd_free(c->link);
    llmd_free(c->link_j);
    llmd_free(c->flags);
    llmd_free(c->ex);
    free_sets(c);
    llmd_free(c->rep);
    llmd_free(c->size);
    llmd_free(c);
}

LLMD_API uint32_t llmd_dedup_clusters_bands(const llmd_dedup_clusters *c) { return c ? c->bands : 0; }
LLMD_API uint32_t llmd_dedup_clusters_rows(const llmd_dedup_clusters *c) { return c ? c->rows : 0; }
LLMD_API uint64_t llmd_dedup_clusters_count(const llmd_dedup_clusters *c) { return c ? c->n : 0; }

static llmd_status reserve_docs(llmd_dedup_clusters *c) {
    if (c->n < c->cap) return LLMD_OK;
    uint64_t cap = c->cap ? c->cap * 2 : 1024;
    size_t o = (size_t)c->cap, nc = (size_t)cap;
    /* Each array is grown on its own; a failure leaves the grown ones bigger, which is harmless. */
#define GROW(field, per) do { \
        void *p_ = llmd_realloc(c->field, o * (per) * sizeof *c->field, nc * (per) * sizeof *c->field); \
        if (p_ == NULL) return llmd_fail_nomem("growing a dedup cluster job"); \
        c->field = p_; } while (0)
    if (c->verify != LLMD_VERIFY_EXACT) GROW(sigs, c->P);
    GROW(bh, c->bands);
    GROW(prio, 1);
    GROW(check, 1);
    GROW(parent, 1);
    GROW(link, 1);
    GROW(link_j, 1);
    GROW(flags, 1);
#undef GROW
    note_bytes(c, (int64_t)((nc - o) * ((c->verify != LLMD_VERIFY_EXACT ? 4 * (size_t)c->P : 0) +
                                         8 * (size_t)c->bands + 8 + 8 + 4 + 4 + 4 + 1)));
    c->cap = cap;
    return LLMD_OK;
}

/* Remembers (other, j) as doc's link if it beats the current one (higher J, then lower other). */
static void offer_link(llmd_dedup_clusters *c, uint32_t doc, uint32_t other, float j) {
    uint32_t cur = c->link[doc];
    if (cur == UINT32_MAX || j > c->link_j[doc] || (j == c->link_j[doc] && other < cur)) {
        c->link[doc] = other;
        c->link_j[doc] = j;
    }
}

static llmd_status exact_grow(llmd_dedup_clusters *c) {
    if ((c->ex_n + 1) * 2 <= c->ex_cap) return LLMD_OK;
    uint64_t nc = c->ex_cap ? c->ex_cap * 2 : 1024;
    exact_slot *t = llmd_calloc((size_t)nc, sizeof *t);
    if (t == NULL) return llmd_fail_nomem("growing the exact-hash table");
    for (uint64_t i = 0; i < c->ex_cap; i++) {
        if (c->ex[i].doc1 == 0) continue;
        uint64_t k = llmd_load_le64(c->ex[i].h) & (nc - 1);
        while (t[k].doc1) k = (k + 1) & (nc - 1);
        t[k] = c->ex[i];
    }
    note_bytes(c, (int64_t)((nc - c->ex_cap) * sizeof *t));
    llmd_free(c->ex);
    c->ex = t;
    c->ex_cap = nc;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_dedup_clusters_add(llmd_dedup_clusters *c, const uint32_t *sig,
                                             const uint8_t *exact_hash, uint64_t priority, uint64_t check,
                                             uint64_t *doc) {
    if (c == NULL || sig == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_add: NULL %s", c ? "sig" : "job");
    if (c->phase != PH_ADD)
        return llmd_fail(LLMD_ERR_STATE, "llmd_dedup_clusters_add: the job's candidates were already found "
                         "(documents are added before llmd_dedup_clusters_candidates)");
    if (c->n >= UINT32_MAX - 1) return llmd_fail(LLMD_ERR_RANGE, "dedup cluster job full: 2^32-2 documents");
    llmd_status st = reserve_docs(c);
    if (st == LLMD_OK && exact_hash) st = exact_grow(c);
    if (st != LLMD_OK) return st;
    uint32_t d = (uint32_t)c->n;
    if (c->sigs) memcpy(c->sigs + (size_t)d * c->P, sig, c->P * sizeof *sig);
    for (uint32_t j = 0; j < c->bands; j++) c->bh[(size_t)d * c->bands + j] = band_hash(sig, j, c->rows);
    c->prio[d] = priority;
    c->check[d] = check;
    c->parent[d] = d;
    c->link[d] = UINT32_MAX;
    c->link_j[d] = 0.0f;
    c->flags[d] = 0;
    int empty = 1;
    for (uint32_t i = 0; i < c->P && empty; i++) empty = sig[i] == UINT32_MAX;
    if (empty) c->flags[d] |= F_EMPTY;
    if (exact_hash) {
        uint64_t k = llmd_load_le64(exact_hash) & (c->ex_cap - 1);
        while (c->ex[k].doc1 && memcmp(c->ex[k].h, exact_hash, 16) != 0) k = (k + 1) & (c->ex_cap - 1);
        if (c->ex[k].doc1) {
            uint32_t first = c->ex[k].doc1 - 1;
            c->flags[d] |= F_EXACT_DUP;
            uf_union(c->parent, first, d);
            offer_link(c, d, first, 1.0f);
            offer_link(c, first, d, 1.0f);
            c->stats.exact_joined++;
        } else {
            memcpy(c->ex[k].h, exact_hash, 16);
            c->ex[k].doc1 = d + 1;
            c->ex_n++;
        }
    }
    c->n++;
    c->stats.docs = c->n;
    if (doc) *doc = d;
    return LLMD_OK;
}

/* Sorts it[0..m) by hash, keeping the (ascending) document order of equal hashes: LSD radix sort
 * on 16-bit digits (stable), tmp has room for m items.  Several times faster than qsort here. */
static void radix_sort(bitem *it, bitem *tmp, size_t m) {
    static const int shifts[4] = {0, 16, 32, 48};
    size_t *count = llmd_calloc(65536, sizeof *count);
    if (count == NULL) {  /* no room for the counters: the comparison sort gives the same order */
        qsort(it, m, sizeof *it, cmp_bitem);
        return;
    }
    bitem *src = it, *dst = tmp;
    for (int p = 0; p < 4; p++) {
        int sh = shifts[p];
        memset(count, 0, 65536 * sizeof *count);
        for (size_t i = 0; i < m; i++) count[(src[i].hash >> sh) & 0xFFFF]++;
        size_t sum = 0;
        for (size_t k = 0; k < 65536; k++) {
            size_t c = count[k];
            count[k] = sum;
            sum += c;
        }
        for (size_t i = 0; i < m; i++) dst[count[(src[i].hash >> sh) & 0xFFFF]++] = src[i];
        bitem *t = src;
        src = dst;
        dst = t;
    }
    llmd_free(count);  /* 4 passes: the result is back in it[] */
}

/* Fills it[] with band j's (hash, document) items of the documents that enter buckets (not an exact
 * copy of an earlier document, not empty), sorted by hash then document; returns their number. */
static size_t band_items(const llmd_dedup_clusters *c, uint32_t j, bitem *it, bitem *tmp) {
    size_t m = 0;
    for (uint64_t d = 0; d < c->n; d++) {
        if (c->flags[d] & (F_EXACT_DUP | F_EMPTY)) continue;
        it[m].hash = c->bh[(size_t)d * c->bands + j];
        it[m].doc = (uint32_t)d;
        m++;
    }
    radix_sort(it, tmp, m);
    return m;
}

LLMD_API llmd_status llmd_dedup_clusters_candidates(llmd_dedup_clusters *c, uint64_t *n_candidates) {
    if (c == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_candidates: NULL job");
    if (c->phase != PH_ADD)
        return llmd_fail(LLMD_ERR_STATE, "llmd_dedup_clusters_candidates: called twice");
    bitem *it = llmd_malloc((size_t)(c->n ? c->n : 1) * 2 * sizeof *it);
    if (it == NULL) return llmd_fail_nomem("grouping band keys");
    note_bytes(c, (int64_t)(c->n * 2 * sizeof *it));
    for (uint32_t j = 0; j < c->bands; j++) {
        size_t m = band_items(c, j, it, it + c->n);
        for (size_t a = 0, b; a < m; a = b) {
            for (b = a + 1; b < m && it[b].hash == it[a].hash; b++) {}
            if (b - a < 2) continue;
            for (size_t k = a; k < b; k++) c->flags[it[k].doc] |= F_CAND;
        }
    }
    llmd_free(it);
    note_bytes(c, -(int64_t)(c->n * 2 * sizeof *it));
    uint64_t nc = 0;
    for (uint64_t d = 0; d < c->n; d++) nc += (c->flags[d] & F_CAND) != 0;
    c->stats.candidates = nc;
    if (c->verify == LLMD_VERIFY_EXACT && c->n > 0) {
        c->sh_start = llmd_calloc((size_t)c->n, sizeof *c->sh_start);
        c->sh_len = llmd_calloc((size_t)c->n, sizeof *c->sh_len);
        if (c->sh_start == NULL || c->sh_len == NULL) {
            free_sets(c);
            return llmd_fail_nomem("allocating shingle-set offsets");
        }
        note_bytes(c, (int64_t)(c->n * 12));
    }
    c->phase = PH_CAND;
    if (n_candidates) *n_candidates = nc;
    return LLMD_OK;
}

LLMD_API int llmd_dedup_clusters_needs_shingles(const llmd_dedup_clusters *c, uint64_t doc) {
    if (c == NULL || c->phase != PH_CAND || c->verify != LLMD_VERIFY_EXACT || doc >= c->n) return 0;
    return (c->flags[doc] & (F_CAND | F_HAS_SET)) == F_CAND;
}

LLMD_API llmd_status llmd_dedup_clusters_set_shingles(llmd_dedup_clusters *c, uint64_t doc,
                                                      const uint64_t *sh, size_t nsh) {
    if (c == NULL || (sh == NULL && nsh > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_set_shingles: NULL %s", c ? "shingles" : "job");
    if (c->phase != PH_CAND)
        return llmd_fail(LLMD_ERR_STATE, "llmd_dedup_clusters_set_shingles: %s",
                         c->phase == PH_ADD ? "call llmd_dedup_clusters_candidates first" : "the job is finished");
    if (doc >= c->n)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_set_shingles: document %llu out of range (%llu)",
                         (unsigned long long)doc, (unsigned long long)c->n);
    if (!llmd_dedup_clusters_needs_shingles(c, doc)) return LLMD_OK;
    for (size_t k = 1; k < nsh; k++)
        if (sh[k] <= sh[k - 1])
            return llmd_fail(LLMD_ERR_INVALID_ARG, "document %llu: shingle set not sorted and distinct at position %zu",
                             (unsigned long long)doc, k);
    if (nsh > UINT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "document %llu: shingle set too large", (unsigned long long)doc);
    if (c->sh_n + nsh > c->sh_cap) {
        size_t nc = c->sh_cap ? c->sh_cap : 4096;
        while (nc < c->sh_n + nsh) nc *= 2;
        uint64_t *p = llmd_realloc(c->sh, c->sh_cap * sizeof *p, nc * sizeof *p);
        if (p == NULL) return llmd_fail_nomem("storing shingle sets");
        note_bytes(c, (int64_t)((nc - c->sh_cap) * sizeof *p));
        c->sh = p;
        c->sh_cap = nc;
    }
    if (nsh) memcpy(c->sh + c->sh_n, sh, nsh * sizeof *sh);
    c->sh_start[doc] = c->sh_n;
    c->sh_len[doc] = (uint32_t)nsh;
    c->sh_n += nsh;
    c->flags[doc] |= F_HAS_SET;
    return LLMD_OK;
}

static double exact_jaccard(const uint64_t *a, size_t na, const uint64_t *b, size_t nb) {
    size_t i = 0, j = 0, inter = 0;
    while (i < na && j < nb) {
        if (a[i] < b[j]) i++;
        else if (a[i] > b[j]) j++;
        else { inter++; i++; j++; }
    }
    size_t uni = na + nb - inter;
    return uni ? (double)inter / (double)uni : 0.0;
}

/* Verifies (a, b); returns 1 with *j set if it is a duplicate pair. */
static int verify_pair(const llmd_dedup_clusters *c, uint32_t a, uint32_t b, double *j) {
    if (c->verify == LLMD_VERIFY_EXACT) {
        *j = exact_jaccard(c->sh + c->sh_start[a], c->sh_len[a], c->sh + c->sh_start[b], c->sh_len[b]);
        return *j >= c->threshold - 1e-12;
    }
    const uint32_t *x = c->sigs + (size_t)a * c->P, *y = c->sigs + (size_t)b * c->P;
    uint32_t eq = 0;
    for (uint32_t i = 0; i < c->P; i++) eq += x[i] == y[i];
    *j = (double)eq / c->P;
    return c->verify == LLMD_VERIFY_NONE || eq >= c->need;
}

/* Bucket it[a..b) (documents ascending): member i against earlier members not yet joined to it,
 * nearest first, at most LLMD_DEDUP_BUCKET_SCAN back.  roots: scratch of b - a entries. */
static void process_bucket(llmd_dedup_clusters *c, const bitem *it, size_t a, size_t b, uint32_t *roots) {
    size_t nr = 0;
    for (size_t i = a; i < b; i++) {
        uint32_t di = it[i].doc, ri = uf_find(c->parent, di);
        /* Earlier members' distinct roots (refreshed: they may have merged since): when they are all
         * ri already, nothing in this bucket can join anything new to di. */
        size_t w = 0;
        int other = nr > LLMD_DEDUP_BUCKET_SCAN;  /* many apart: scan without refreshing (bounded) */
        for (size_t k = 0; k < nr && !other; k++) {
            uint32_t r = uf_find(c->parent, roots[k]);
            int dup = 0;
            for (size_t q = 0; q < w && q < 8 && !dup; q++) dup = roots[w - 1 - q] == r;
            if (!dup) roots[w++] = r;
            other |= r != ri;
        }
        if (!other) nr = w;
        if (other) {
            size_t lo = i - a > LLMD_DEDUP_BUCKET_SCAN ? i - LLMD_DEDUP_BUCKET_SCAN : a;
            for (size_t k = i; k-- > lo;) {
                uint32_t dk = it[k].doc;
                if (uf_find(c->parent, dk) == uf_find(c->parent, di)) continue;
                double jac;
                c->stats.pairs_verified++;
                if (!verify_pair(c, di, dk, &jac)) continue;
                c->stats.pairs_passed++;
                uf_union(c->parent, di, dk);
                offer_link(c, di, dk, (float)jac);
                offer_link(c, dk, di, (float)jac);
            }
        }
        if (nr <= LLMD_DEDUP_BUCKET_SCAN) roots[nr++] = uf_find(c->parent, di);
    }
}

static llmd_status build_clusters(llmd_dedup_clusters *c) {
    size_t n = (size_t)c->n;
    c->rep = llmd_malloc((n ? n : 1) * sizeof *c->rep);
    c->size = llmd_calloc(n ? n : 1, sizeof *c->size);
    if (c->rep == NULL || c->size == NULL) return llmd_fail_nomem("building dedup clusters");
    note_bytes(c, (int64_t)(n * 8));
    for (size_t d = 0; d < n; d++) c->rep[d] = UINT32_MAX;
    for (size_t d = 0; d < n; d++) {
        uint32_t r = uf_find(c->parent, (uint32_t)d);
        c->parent[d] = r;
        c->size[r]++;
        uint32_t k = c->rep[r];
        if (k == UINT32_MAX || c->prio[d] < c->prio[k] || (c->prio[d] == c->prio[k] && d < k)) c->rep[r] = (uint32_t)d;
    }
    llmd_dedup_cluster_stats *s = &c->stats;
    for (size_t d = 0; d < n; d++) {
        if (c->parent[d] != d) continue;
        uint64_t z = c->size[d];
        s->clusters++;
        if (z > s->largest) s->largest = z;
        if (z >= 2) s->size_hist[z == 2 ? 0 : z == 3 ? 1 : z <= 5 ? 2 : z <= 10 ? 3 : z <= 100 ? 4 : 5]++;
    }
    s->removed = c->n - s->clusters;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_dedup_clusters_finish(llmd_dedup_clusters *c) {
    if (c == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_finish: NULL job");
    if (c->phase == PH_DONE) return llmd_fail(LLMD_ERR_STATE, "llmd_dedup_clusters_finish: called twice");
    llmd_status st;
    if (c->phase == PH_ADD && (st = llmd_dedup_clusters_candidates(c, NULL)) != LLMD_OK) return st;
    if (c->verify == LLMD_VERIFY_EXACT)
        for (uint64_t d = 0; d < c->n; d++)
            if ((c->flags[d] & (F_CAND | F_HAS_SET)) == F_CAND)
                return llmd_fail(LLMD_ERR_STATE, "dedup clusters: document %llu is a candidate and has no shingle set "
                                 "(exact verification: give it with llmd_dedup_clusters_set_shingles)",
                                 (unsigned long long)d);
    c->stats.shingle_bytes = c->sh_n * sizeof *c->sh;
    size_t n = (size_t)c->n;
    bitem *it = llmd_malloc((n ? n : 1) * 2 * sizeof *it);
    uint32_t *roots = llmd_malloc((n ? n : 1) * sizeof *roots);
    if (it == NULL || roots == NULL) {
        llmd_free(it);
        llmd_free(roots);
        return llmd_fail_nomem("grouping band keys");
    }
    note_bytes(c, (int64_t)(n * (2 * sizeof *it + sizeof *roots)));
    for (uint32_t j = 0; j < c->bands; j++) {
        size_t m = band_items(c, j, it, it + n);
        for (size_t a = 0, b; a < m; a = b) {
            for (b = a + 1; b < m && it[b].hash == it[a].hash; b++) {}
            if (b - a >= 2) process_bucket(c, it, a, b, roots);
        }
    }
    llmd_free(it);
    llmd_free(roots);
    note_bytes(c, -(int64_t)(n * (2 * sizeof *it + sizeof *roots)));
    note_bytes(c, -(int64_t)(c->sh_cap * sizeof *c->sh + (c->sh_start ? n * 12 : 0)));
    free_sets(c);
    if ((st = build_clusters(c)) != LLMD_OK) return st;
    c->phase = PH_DONE;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_dedup_clusters_result(const llmd_dedup_clusters *c, uint64_t doc,
                                                llmd_dedup_verdict *out) {
    if (c == NULL || out == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_result: NULL %s", c ? "out" : "job");
    if (c->phase != PH_DONE)
        return llmd_fail(LLMD_ERR_STATE, "llmd_dedup_clusters_result: call llmd_dedup_clusters_finish first");
    if (doc >= c->n)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_result: document %llu out of range (%llu)",
                         (unsigned long long)doc, (unsigned long long)c->n);
    uint32_t r = c->parent[doc];
    memset(out, 0, sizeof *out);
    out->representative = c->rep[r];
    out->keep = c->rep[r] == doc;
    out->cluster_size = c->size[r];
    out->linked = c->link[doc] == UINT32_MAX ? UINT64_MAX : c->link[doc];
    out->jaccard = c->link[doc] == UINT32_MAX ? 0.0 : (double)c->link_j[doc];
    out->check = c->check[doc];
    return LLMD_OK;
}

LLMD_API llmd_status llmd_dedup_clusters_stats(const llmd_dedup_clusters *c, llmd_dedup_cluster_stats *out) {
    if (c == NULL || out == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_dedup_clusters_stats: NULL %s", c ? "out" : "job");
    *out = c->stats;
    return LLMD_OK;
}
