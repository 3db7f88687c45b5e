/* LSH banding, the near-duplicate index (band tables + union-find) and its file format. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "dedup_internal.h"

/* ---- parameters ---- */
typedef struct curve { double b, r; int fn; } curve;

static double curve_f(const curve *c, double s) {
    double p = 1.0 - pow(1.0 - pow(s, c->r), c->b);   /* Pr[candidate | J = s] */
    return c->fn ? 1.0 - p : p;
}

static double simpson(const curve *c, double a, double b, double fa, double fm, double fb, double whole,
                      double eps, int depth) {
    double m = 0.5 * (a + b), lm = 0.5 * (a + m), rm = 0.5 * (m + b);
    double flm = curve_f(c, lm), frm = curve_f(c, rm);
    double left = (m - a) / 6.0 * (fa + 4.0 * flm + fm), right = (b - m) / 6.0 * (fm + 4.0 * frm + fb);
    double d = left + right - whole;
    if (depth <= 0 || fabs(d) <= 15.0 * eps) return left + right + d / 15.0;
    return simpson(c, a, m, fa, flm, fm, left, eps / 2, depth - 1) +
           simpson(c, m, b, fm, frm, fb, right, eps / 2, depth - 1);
}

static double integrate(const curve *c, double a, double b) {
    /* Split into 16 pieces first so that steep curves are not missed by the first estimate. */
    double total = 0.0, h = (b - a) / 16.0;
    for (int k = 0; k < 16; k++) {
        double x0 = a + k * h, x1 = x0 + h, xm = 0.5 * (x0 + x1);
        double f0 = curve_f(c, x0), fm = curve_f(c, xm), f1 = curve_f(c, x1);
        total += simpson(c, x0, x1, f0, fm, f1, h / 6.0 * (f0 + 4 * fm + f1), 1e-12, 40);
    }
    return total;
}

LLMD_API llmd_status llmd_lsh_optimal_params(double threshold, uint32_t num_perm, uint32_t *bands,
                                             uint32_t *rows) {
    if (bands == NULL || rows == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_optimal_params: NULL output");
    if (!(threshold > 0.0 && threshold <= 1.0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "LSH threshold %g: must be in (0, 1]", threshold);
    if (num_perm == 0 || num_perm > 4096)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "LSH num_perm %u out of range 1..4096", num_perm);
    double best = INFINITY;
    uint32_t bb = 1, br = 1;
    for (uint32_t b = 1; b <= num_perm; b++) {
        for (uint32_t r = 1; r <= num_perm / b; r++) {
            curve fp = {b, r, 0}, fn = {b, r, 1};
            double err = 0.5 * integrate(&fp, 0.0, threshold) + 0.5 * integrate(&fn, threshold, 1.0);
            if (err < best) {
                best = err;
                bb = b;
                br = r;
            }
        }
    }
    *bands = bb;
    *rows = br;
    return LLMD_OK;
}

/* The most rows a band may have: num_perm's upper bound, so one band's bytes fit in 16 KiB of
 * stack (a threshold of 1 gives one band of every row: datasketch's optimum). */
#define LSH_MAX_ROWS 4096u

static uint64_t band_hash(const uint32_t *sig, uint32_t j, uint32_t rows) {
    uint8_t tmp[4 * LSH_MAX_ROWS];
    const uint32_t *v = sig + (size_t)j * rows;
    for (uint32_t i = 0; i < rows; i++) llmd_store_le32(tmp + 4 * i, v[i]);
    return llmd_hash64(tmp, 4 * (size_t)rows, 0);
}

static llmd_status check_bands(uint32_t num_perm, uint32_t bands, uint32_t rows) {
    if (bands == 0 || rows == 0 || (uint64_t)bands * rows > num_perm)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "LSH bands %u x rows %u: both must be >= 1 and their "
                         "product <= num_perm %u", bands, rows, num_perm);
    if (rows > LSH_MAX_ROWS)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "LSH rows %u: at most %u rows per band", rows, LSH_MAX_ROWS);
    return LLMD_OK;
}

LLMD_API llmd_status llmd_lsh_band_keys(const uint32_t *sig, uint32_t num_perm, uint32_t bands,
                                        uint32_t rows, uint8_t *out) {
    if (sig == NULL || out == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_band_keys: NULL %s", sig ? "out" : "sig");
    llmd_status st = check_bands(num_perm, bands, rows);
    if (st != LLMD_OK) return st;
    for (uint32_t j = 0; j < bands; j++) {
        llmd_store_le32(out + (size_t)j * LLMD_BAND_KEY_SIZE, j);
        llmd_store_le64(out + (size_t)j * LLMD_BAND_KEY_SIZE + 4, band_hash(sig, j, rows));
    }
    return LLMD_OK;
}

/* ---- the index ---- */
typedef struct band_slot {
    uint64_t hash;
    uint32_t band;
    uint32_t head;   /* 1 + last entry inserted with this key; 0 = empty slot */
} band_slot;

struct llmd_lsh_index {
    llmd_minhash_options mh;
    double threshold;
    uint32_t P, bands, rows, need;  /* need: equal positions for a duplicate */
    uint64_t n, cap;
    uint32_t *sigs;        /* cap * P */
    uint64_t *prio;
    uint32_t *parent;
    uint32_t *stamp;       /* query stamps for candidate de-duplication */
    uint32_t cur_stamp;
    uint64_t *key_off;     /* cap + 1 */
    llmd_buf keys;
    uint32_t *next;        /* cap * bands: chain links (1 + entry, 0 = end) */
    band_slot *tab;
    uint64_t tab_n, tab_used;
    uint64_t *found;       /* scratch for matches */
    size_t found_cap;
    int verify;            /* exact-Jaccard verification */
    uint64_t *sh_off;      /* cap + 1: entry e's set is sh[sh_off[e] .. sh_off[e+1]) */
    uint8_t *has_sh;       /* cap */
    uint64_t *sh;
    size_t sh_n, sh_cap;
};

static const size_t lsh_sizes[] = {sizeof(llmd_lsh_options)};

static llmd_status index_init(llmd_lsh_index **out, const llmd_minhash_options *mh_in,
                              const llmd_lsh_options *opts) {
    llmd_minhasher *tmp = NULL;
    llmd_status st = llmd_minhasher_new(&tmp, mh_in);  /* validates and fills defaults */
    if (st != LLMD_OK) return st;
    llmd_minhasher_free(tmp);
    llmd_minhash_options mh = LLMD_MINHASH_OPTIONS_INIT;
    if (mh_in) {
        static const size_t mh_sizes[] = {sizeof(llmd_minhash_options)};
        if ((st = llmd_options_copy(&mh, mh_in, mh_sizes, LLMD_MINHASH_OPTIONS_VERSION,
                                    "llmd_minhash_options")) != LLMD_OK) return st;
    }
    llmd_lsh_options o = LLMD_LSH_OPTIONS_INIT;
    if ((st = llmd_options_copy(&o, opts, lsh_sizes, LLMD_LSH_OPTIONS_VERSION, "llmd_lsh_options")) != LLMD_OK)
        return st;
    if (!(o.threshold > 0.0 && o.threshold <= 1.0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "LSH threshold %g: must be in (0, 1]", o.threshold);
    if ((o.bands == 0) != (o.rows == 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "LSH bands %u / rows %u: set both or neither", o.bands, o.rows);
    if (o.bands == 0) {
        if ((st = llmd_lsh_optimal_params(o.threshold, mh.num_perm, &o.bands, &o.rows)) != LLMD_OK) return st;
    }
    if ((st = check_bands(mh.num_perm, o.bands, o.rows)) != LLMD_OK) return st;
    llmd_lsh_index *x = llmd_calloc(1, sizeof *x);
    if (x == NULL) return llmd_fail_nomem("creating an LSH index");
    x->mh = mh;
    x->threshold = o.threshold;
    x->P = mh.num_perm;
    x->bands = o.bands;
    x->rows = o.rows;
    x->verify = o.verify_exact != 0;
    x->need = (uint32_t)ceil(o.threshold * mh.num_perm - 1e-9);
    if (x->need == 0) x->need = 1;
    x->tab_n = 64;
    x->tab = llmd_calloc(64, sizeof *x->tab);
    x->key_off = llmd_calloc(1, sizeof *x->key_off);
    x->sh_off = llmd_calloc(1, sizeof *x->sh_off);
    if (x->tab == NULL || x->key_off == NULL || x->sh_off == NULL) {
        llmd_lsh_index_free(x);
        return llmd_fail_nomem("creating an LSH index");
    }
    *out = x;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_lsh_index_new(llmd_lsh_index **out, const llmd_minhash_options *mh,
                                        const llmd_lsh_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_index_new: NULL out");
    *out = NULL;
    return index_init(out, mh, opts);
}

LLMD_API void llmd_lsh_index_free(llmd_lsh_index *x) {
    if (x == NULL) return;
    llmd_free(x->sigs);
    llmd_free(x->prio);
    llmd_free(x->parent);
    llmd_free(x->stamp);
    llmd_free(x->key_off);
    llmd_buf_free(&x->keys);
    llmd_free(x->next);
    llmd_free(x->tab);
    llmd_free(x->found);
    llmd_free(x->sh_off);
    llmd_free(x->has_sh);
    llmd_free(x->sh);
    llmd_free(x);
}

LLMD_API uint32_t llmd_lsh_index_bands(const llmd_lsh_index *x) { return x ? x->bands : 0; }
LLMD_API uint32_t llmd_lsh_index_rows(const llmd_lsh_index *x) { return x ? x->rows : 0; }
LLMD_API uint32_t llmd_lsh_index_num_perm(const llmd_lsh_index *x) { return x ? x->mh.num_perm : 0; }
LLMD_API uint64_t llmd_lsh_index_count(const llmd_lsh_index *x) { return x ? x->n : 0; }

static int is_empty_sig(const uint32_t *s, uint32_t p) {
    for (uint32_t i = 0; i < p; i++)
        if (s[i] != UINT32_MAX) return 0;
    return 1;
}

static uint32_t find_root(llmd_lsh_index *x, uint32_t e) {
    while (x->parent[e] != e) {
        x->parent[e] = x->parent[x->parent[e]];
        e = x->parent[e];
    }
    return e;
}

/* Lower (priority, entry) wins. */
static void unite(llmd_lsh_index *x, uint32_t a, uint32_t b) {
    a = find_root(x, a);
    b = find_root(x, b);
    if (a == b) return;
    int a_wins = x->prio[a] < x->prio[b] || (x->prio[a] == x->prio[b] && a < b);
    if (a_wins) x->parent[b] = a;
    else x->parent[a] = b;
}

static uint64_t slot_of(const band_slot *tab, uint64_t n, uint32_t band, uint64_t h) {
    uint64_t mask = n - 1, i = (h ^ ((uint64_t)band * 0x9E3779B97F4A7C15ULL)) & mask;
    while (tab[i].head != 0 && !(tab[i].hash == h && tab[i].band == band)) i = (i + 1) & mask;
    return i;
}

static llmd_status reserve_entries(llmd_lsh_index *x, uint64_t need) {
    if (need <= x->cap) return LLMD_OK;
    uint64_t cap = x->cap ? x->cap : 64;
    while (cap < need) cap *= 2;
    size_t P = x->P, B = x->bands;
#define GROW(field, per) do { \
        void *p_ = llmd_realloc(x->field, (size_t)x->cap * (per) * sizeof *x->field, \
                                (size_t)cap * (per) * sizeof *x->field); \
        if (p_ == NULL) return llmd_fail_nomem("growing an LSH index"); \
        x->field = p_; } while (0)
    GROW(sigs, P);
    GROW(prio, 1);
    GROW(parent, 1);
    GROW(next, B);
    void *ko = llmd_realloc(x->key_off, ((size_t)x->cap + 1) * sizeof *x->key_off,
                            ((size_t)cap + 1) * sizeof *x->key_off);
    if (ko == NULL) return llmd_fail_nomem("growing an LSH index");
    x->key_off = ko;
    void *so = llmd_realloc(x->sh_off, ((size_t)x->cap + 1) * sizeof *x->sh_off,
                            ((size_t)cap + 1) * sizeof *x->sh_off);
    if (so == NULL) return llmd_fail_nomem("growing an LSH index");
    x->sh_off = so;
    GROW(has_sh, 1);
    void *sp = llmd_realloc(x->stamp, (size_t)x->cap * sizeof *x->stamp, (size_t)cap * sizeof *x->stamp);
    if (sp == NULL) return llmd_fail_nomem("growing an LSH index");
    x->stamp = sp;
    memset(x->stamp + x->cap, 0, (size_t)(cap - x->cap) * sizeof *x->stamp);
#undef GROW
    x->cap = cap;
    return LLMD_OK;
}

static llmd_status reserve_tab(llmd_lsh_index *x, uint64_t extra) {
    if ((x->tab_used + extra) * 2 <= x->tab_n) return LLMD_OK;
    uint64_t n = x->tab_n;
    while ((x->tab_used + extra) * 2 > n) n *= 2;
    band_slot *t = llmd_calloc((size_t)n, sizeof *t);
    if (t == NULL) return llmd_fail_nomem("growing LSH band tables");
    for (uint64_t i = 0; i < x->tab_n; i++)
        if (x->tab[i].head) t[slot_of(t, n, x->tab[i].band, x->tab[i].hash)] = x->tab[i];
    llmd_free(x->tab);
    x->tab = t;
    x->tab_n = n;
    return LLMD_OK;
}

static llmd_status push_found(llmd_lsh_index *x, size_t *nf, uint64_t e) {
    if (*nf == x->found_cap) {
        size_t c = x->found_cap ? x->found_cap * 2 : 16;
        uint64_t *f = llmd_realloc(x->found, x->found_cap * sizeof *f, c * sizeof *f);
        if (f == NULL) return llmd_fail_nomem("collecting LSH matches");
        x->found = f;
        x->found_cap = c;
    }
    x->found[(*nf)++] = e;
    return LLMD_OK;
}

static void next_stamp(llmd_lsh_index *x) {
    if (++x->cur_stamp == 0) {
        memset(x->stamp, 0, (size_t)x->cap * sizeof *x->stamp);
        x->cur_stamp = 1;
    }
}

/* Verified matches of sig among the entries (into x->found[0..*nf)); best match and its count. */
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

/* Verified matches of sig among the entries (into x->found[0..*nf)); the best match and its
 * Jaccard (exact when both sides have a shingle set and the index verifies exactly). */
static llmd_status search(llmd_lsh_index *x, const uint32_t *sig, const uint64_t *sh, size_t nsh, int has,
                          const uint64_t *bh, size_t *nf, uint64_t *best, double *best_j, uint64_t *n_cand) {
    *nf = 0;
    *best_j = -1.0;
    *n_cand = 0;
    next_stamp(x);
    for (uint32_t j = 0; j < x->bands; j++) {
        const band_slot *s = &x->tab[slot_of(x->tab, x->tab_n, j, bh[j])];
        for (uint32_t c = s->head; c != 0; c = x->next[(size_t)(c - 1) * x->bands + j]) {
            uint32_t e = c - 1;
            if (x->stamp[e] == x->cur_stamp) continue;
            x->stamp[e] = x->cur_stamp;
            (*n_cand)++;
            double jac;
            if (x->verify && has && x->has_sh[e]) {
                jac = exact_jaccard(sh, nsh, x->sh + x->sh_off[e], (size_t)(x->sh_off[e + 1] - x->sh_off[e]));
                if (jac < x->threshold - 1e-12) continue;
            } else {
                const uint32_t *o = x->sigs + (size_t)e * x->P;
                uint32_t eq = 0;
                for (uint32_t i = 0; i < x->P; i++) eq += o[i] == sig[i];
                if (eq < x->need) continue;
                jac = (double)eq / x->P;
            }
            llmd_status st = push_found(x, nf, e);
            if (st != LLMD_OK) return st;
            if (jac > *best_j || (jac == *best_j && e < *best)) {
                *best_j = jac;
                *best = e;
            }
        }
    }
    return LLMD_OK;
}

static llmd_status band_hashes(const llmd_lsh_index *x, const uint32_t *sig, uint64_t *bh) {
    for (uint32_t j = 0; j < x->bands; j++) bh[j] = band_hash(sig, j, x->rows);
    return LLMD_OK;
}

/* Appends an entry (no matching); links it into the band tables unless empty. */
static llmd_status append_entry(llmd_lsh_index *x, const void *key, size_t key_len, const uint32_t *sig,
                                uint64_t prio, uint32_t parent, const uint64_t *bh, const uint64_t *sh,
                                size_t nsh, int has) {
    if (x->n >= UINT32_MAX - 1) return llmd_fail(LLMD_ERR_RANGE, "LSH index full: 2^32-2 entries");
    llmd_status st = reserve_entries(x, x->n + 1);
    if (st == LLMD_OK && has && x->sh_n + nsh > x->sh_cap) {
        size_t c = x->sh_cap ? x->sh_cap : 1024;
        while (c < x->sh_n + nsh) c *= 2;
        uint64_t *n = llmd_realloc(x->sh, x->sh_cap * sizeof *n, c * sizeof *n);
        if (n == NULL) st = llmd_fail_nomem("storing shingle sets");
        else {
            x->sh = n;
            x->sh_cap = c;
        }
    }
    if (st == LLMD_OK) st = reserve_tab(x, x->bands);
    if (st == LLMD_OK) st = llmd_buf_reserve(&x->keys, key_len);
    if (st != LLMD_OK) return st;
    uint32_t e = (uint32_t)x->n;
    memcpy(x->sigs + (size_t)e * x->P, sig, x->P * sizeof *sig);
    x->prio[e] = prio;
    x->parent[e] = parent;
    llmd_buf_append(&x->keys, key, key_len);  /* reserved above: cannot fail */
    x->key_off[e + 1] = x->keys.len;
    x->has_sh[e] = (uint8_t)(has != 0);
    if (has && nsh) memcpy(x->sh + x->sh_n, sh, nsh * sizeof *sh);
    if (has) x->sh_n += nsh;
    x->sh_off[e + 1] = x->sh_n;
    for (uint32_t j = 0; j < x->bands; j++) x->next[(size_t)e * x->bands + j] = 0;
    if (!is_empty_sig(sig, x->P)) {
        for (uint32_t j = 0; j < x->bands; j++) {
            band_slot *s = &x->tab[slot_of(x->tab, x->tab_n, j, bh[j])];
            if (s->head == 0) {
                s->hash = bh[j];
                s->band = j;
                x->tab_used++;
            }
            x->next[(size_t)e * x->bands + j] = s->head;
            s->head = e + 1;
        }
    }
    x->n++;
    return LLMD_OK;
}

static llmd_status insert_common(llmd_lsh_index *x, const void *key, size_t key_len, const uint32_t *sig,
                                 const uint64_t *sh, size_t nsh, int has, uint64_t priority,
                                 llmd_lsh_match *out) {
    if (x == NULL || sig == NULL || (key == NULL && key_len > 0) || (has && sh == NULL && nsh > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_index_insert: NULL %s",
                         x == NULL ? "index" : sig == NULL ? "sig" : key == NULL && key_len ? "key" : "shingles");
    for (size_t k = 1; has && k < nsh; k++)
        if (sh[k] <= sh[k - 1])
            return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_index_insert_shingles: shingle set not sorted and "
                             "distinct at position %zu", k);
    if (!x->verify) has = 0;
    uint64_t bh[4096];
    llmd_status st = band_hashes(x, sig, bh);
    size_t nf = 0;
    uint64_t best = 0, nc = 0;
    double best_j = 0.0;
    int empty = is_empty_sig(sig, x->P);
    if (!empty && x->n > 0 && (st = search(x, sig, sh, nsh, has, bh, &nf, &best, &best_j, &nc)) != LLMD_OK)
        return st;
    uint32_t e = (uint32_t)x->n;
    if ((st = append_entry(x, key ? key : "", key_len, sig, priority, e, bh, sh, nsh, has)) != LLMD_OK) return st;
    for (size_t k = 0; k < nf; k++) unite(x, e, (uint32_t)x->found[k]);
    if (out) {
        memset(out, 0, sizeof *out);
        out->entry = e;
        out->duplicate = nf > 0;
        out->match = nf ? best : UINT64_MAX;
        out->match_jaccard = nf ? best_j : 0.0;
        out->representative = find_root(x, e);
        out->candidates = nc;
    }
    return LLMD_OK;
}

LLMD_API llmd_status llmd_lsh_index_insert(llmd_lsh_index *x, const void *key, size_t key_len,
                                           const uint32_t *sig, uint64_t priority, llmd_lsh_match *out) {
    return insert_common(x, key, key_len, sig, NULL, 0, 0, priority, out);
}

LLMD_API llmd_status llmd_lsh_index_insert_shingles(llmd_lsh_index *x, const void *key, size_t key_len,
                                                    const uint32_t *sig, const uint64_t *shingles,
                                                    size_t n_shingles, uint64_t priority, llmd_lsh_match *out) {
    return insert_common(x, key, key_len, sig, shingles, n_shingles, 1, priority, out);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

LLMD_API llmd_status llmd_lsh_index_query(llmd_lsh_index *x, const uint32_t *sig, uint64_t *out,
                                          size_t cap, size_t *n_found) {
    if (x == NULL || sig == NULL || (out == NULL && cap > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_index_query: NULL %s",
                         x == NULL ? "index" : sig == NULL ? "sig" : "out");
    if (n_found) *n_found = 0;
    if (is_empty_sig(sig, x->P) || x->n == 0) return LLMD_OK;
    uint64_t bh[4096], best = 0, nc;
    double bj;
    size_t nf;
    band_hashes(x, sig, bh);
    llmd_status st = search(x, sig, NULL, 0, 0, bh, &nf, &best, &bj, &nc);
    if (st != LLMD_OK) return st;
    qsort(x->found, nf, sizeof *x->found, cmp_u64);
    for (size_t k = 0; k < nf && k < cap; k++) out[k] = x->found[k];
    if (n_found) *n_found = nf;
    return LLMD_OK;
}

LLMD_API uint64_t llmd_lsh_index_representative(llmd_lsh_index *x, uint64_t e) {
    if (x == NULL || e >= x->n) return UINT64_MAX;
    return find_root(x, (uint32_t)e);
}

LLMD_API const void *llmd_lsh_index_key(const llmd_lsh_index *x, uint64_t e, size_t *key_len) {
    if (x == NULL || e >= x->n) return NULL;
    if (key_len) *key_len = (size_t)(x->key_off[e + 1] - x->key_off[e]);
    return x->keys.data ? x->keys.data + x->key_off[e] : "";
}

LLMD_API const uint32_t *llmd_lsh_index_signature(const llmd_lsh_index *x, uint64_t e) {
    if (x == NULL || e >= x->n) return NULL;
    return x->sigs + (size_t)e * x->P;
}

/* ---- files ---- */
static const char MAGIC[8] = {'L', 'L', 'M', 'D', 'L', 'S', 'H', 0};
#define HEADER_SIZE (8 + 4 * 4 + 8 + 4 + 4 + 8 + 8 + 4)

LLMD_API llmd_status llmd_lsh_index_save(llmd_lsh_index *x, const char *path) {
    if (x == NULL || path == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_index_save: NULL %s", x ? "path" : "index");
    llmd_buf b = LLMD_BUF_INIT;
    uint8_t h[HEADER_SIZE], *p = h;
    memcpy(p, MAGIC, 8); p += 8;
    llmd_store_le32(p, 1); p += 4;
    llmd_store_le32(p, x->P); p += 4;
    llmd_store_le32(p, x->mh.ngram); p += 4;
    llmd_store_le32(p, (uint32_t)x->mh.shingle_mode); p += 4;
    llmd_store_le64(p, x->mh.seed); p += 8;
    llmd_store_le32(p, x->bands); p += 4;
    llmd_store_le32(p, x->rows); p += 4;
    uint64_t tbits;
    memcpy(&tbits, &x->threshold, 8);
    llmd_store_le64(p, tbits); p += 8;
    llmd_store_le64(p, x->n); p += 8;
    llmd_store_le32(p, (uint32_t)x->verify);
    size_t per = 16 + 4 * (size_t)x->P + 4;
    llmd_status st = llmd_buf_reserve(&b, HEADER_SIZE + (size_t)x->n * per + x->keys.len + 8 * x->sh_n + 8);
    if (st == LLMD_OK) st = llmd_buf_append(&b, h, HEADER_SIZE);
    uint8_t *tmp = llmd_malloc(per);
    if (tmp == NULL && st == LLMD_OK) st = llmd_fail_nomem("saving an LSH index");
    for (uint64_t e = 0; e < x->n && st == LLMD_OK; e++) {
        size_t kl = (size_t)(x->key_off[e + 1] - x->key_off[e]);
        llmd_store_le64(tmp, x->prio[e]);
        llmd_store_le32(tmp + 8, find_root(x, (uint32_t)e));
        llmd_store_le32(tmp + 12, (uint32_t)kl);
        st = llmd_buf_append(&b, tmp, 16);
        if (st == LLMD_OK) st = llmd_buf_append(&b, x->keys.data + x->key_off[e], kl);
        if (st == LLMD_OK) {
            llmd_minhash_to_bytes(x->sigs + (size_t)e * x->P, x->P, tmp);
            st = llmd_buf_append(&b, tmp, 4 * (size_t)x->P);
        }
        uint64_t ns = x->sh_off[e + 1] - x->sh_off[e];
        if (st == LLMD_OK && ns > UINT32_MAX - 1) st = llmd_fail(LLMD_ERR_RANGE, "entry %llu: shingle set too large",
                                                                  (unsigned long long)e);
        if (st == LLMD_OK) {
            llmd_store_le32(tmp, x->has_sh[e] ? (uint32_t)ns + 1 : 0);
            st = llmd_buf_append(&b, tmp, 4);
        }
        for (uint64_t k = 0; k < ns && st == LLMD_OK; k++) {
            llmd_store_le64(tmp, x->sh[x->sh_off[e] + k]);
            st = llmd_buf_append(&b, tmp, 8);
        }
    }
    llmd_free(tmp);
    if (st == LLMD_OK) {
        uint8_t sum[8];
        llmd_store_le64(sum, llmd_hash64(b.data, b.len, 0));
        st = llmd_buf_append(&b, sum, 8);
    }
    if (st == LLMD_OK) st = llmd_write_file_atomic(path, b.data, b.len);
    if (st != LLMD_OK) llmd_error_prefix("saving LSH index %s", path);
    llmd_buf_free(&b);
    return st;
}

LLMD_API llmd_status llmd_lsh_index_load(llmd_lsh_index **out, const char *path,
                                         const llmd_minhash_options *mh) {
    if (out == NULL || path == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_lsh_index_load: NULL %s", out ? "path" : "out");
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0 && errno == ENOENT)
        return llmd_fail(LLMD_ERR_NOT_FOUND, "LSH index %s: no such file", path);
    char *data = NULL;
    size_t len = 0;
    llmd_status st = llmd_read_file(path, &data, &len);
    if (st != LLMD_OK) return st;
    const uint8_t *d = (const uint8_t *)data;
#define BAD(...) do { st = llmd_fail(LLMD_ERR_CORRUPT, __VA_ARGS__); goto done; } while (0)
    llmd_lsh_index *x = NULL;
    if (len < 8 || memcmp(d, MAGIC, 8) != 0) BAD("LSH index %s: not an llmdata LSH index (bad magic)", path);
    if (len < HEADER_SIZE + 8) BAD("LSH index %s: truncated (%zu bytes, header needs %d)", path, len, HEADER_SIZE + 8);
    uint32_t ver = llmd_load_le32(d + 8);
    if (ver != 1) {
        st = llmd_fail(LLMD_ERR_VERSION, "LSH index %s: format version %u, this library reads version 1",
                       path, ver);
        goto done;
    }
    if (llmd_hash64(d, len - 8, 0) != llmd_load_le64(d + len - 8))
        BAD("LSH index %s: checksum mismatch (file damaged or truncated)", path);
    llmd_minhash_options fo = LLMD_MINHASH_OPTIONS_INIT;
    fo.num_perm = llmd_load_le32(d + 12);
    fo.ngram = llmd_load_le32(d + 16);
    fo.shingle_mode = (int)llmd_load_le32(d + 20);
    fo.seed = llmd_load_le64(d + 24);
    llmd_lsh_options lo = LLMD_LSH_OPTIONS_INIT;
    lo.bands = llmd_load_le32(d + 32);
    lo.rows = llmd_load_le32(d + 36);
    uint64_t tbits = llmd_load_le64(d + 40);
    memcpy(&lo.threshold, &tbits, 8);
    uint64_t n = llmd_load_le64(d + 48);
    uint32_t vflag = llmd_load_le32(d + 56);
    if (vflag > 1) BAD("LSH index %s: verify flag %u is not 0 or 1", path, vflag);
    lo.verify_exact = (int)vflag;
    if (mh) {
        llmd_minhash_options c = LLMD_MINHASH_OPTIONS_INIT;
        static const size_t mh_sizes[] = {sizeof(llmd_minhash_options)};
        if ((st = llmd_options_copy(&c, mh, mh_sizes, LLMD_MINHASH_OPTIONS_VERSION, "llmd_minhash_options")) != LLMD_OK)
            goto done;
        const char *diff = c.num_perm != fo.num_perm ? "num_perm" : c.ngram != fo.ngram ? "ngram"
                         : c.shingle_mode != fo.shingle_mode ? "shingle_mode" : c.seed != fo.seed ? "seed" : NULL;
        if (diff) {
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "LSH index %s was built with a different %s than requested",
                           path, diff);
            goto done;
        }
    }
    st = index_init(&x, &fo, &lo);
    if (st != LLMD_OK) { /* out of memory stays NOMEM: the file is not at fault */
        if (st != LLMD_ERR_NOMEM) {
            char why[512]; /* a copy: the message buffer is also llmd_fail's output */
            snprintf(why, sizeof why, "%s", llmd_last_error());
            st = llmd_fail(LLMD_ERR_CORRUPT, "LSH index %s: invalid parameters in the header: %s", path, why);
        }
        goto done;
    }
    size_t at = HEADER_SIZE, end = len - 8, per = 4 * (size_t)x->P;
    uint64_t *shv = NULL;
    size_t shcap = 0;
    if (n > (end - at) / (16 + per + 4)) BAD("LSH index %s: entry count %llu does not fit the file", path,
                                         (unsigned long long)n);
    if ((st = reserve_entries(x, n ? n : 1)) != LLMD_OK) goto done;
    uint32_t *sig = llmd_malloc(per);
    uint64_t *bh = llmd_malloc(x->bands * sizeof *bh);
    if (sig == NULL || bh == NULL) {
        llmd_free(sig);
        llmd_free(bh);
        st = llmd_fail_nomem("loading an LSH index");
        goto done;
    }
    for (uint64_t e = 0; e < n; e++) {
        if (end - at < 16) { st = llmd_fail(LLMD_ERR_CORRUPT, "LSH index %s: entry %llu truncated", path, (unsigned long long)e); break; }
        uint64_t prio = llmd_load_le64(d + at);
        uint32_t root = llmd_load_le32(d + at + 8), kl = llmd_load_le32(d + at + 12);
        at += 16;
        if (root >= n || end - at < (size_t)kl + per) {
            st = llmd_fail(LLMD_ERR_CORRUPT, "LSH index %s: entry %llu has %s", path, (unsigned long long)e,
                           root >= n ? "a cluster root out of range" : "a length past the end of the file");
            break;
        }
        for (uint32_t i = 0; i < x->P; i++) sig[i] = llmd_load_le32(d + at + kl + 4 * (size_t)i);
        const uint8_t *key = d + at;
        at += kl + per;
        if (end - at < 4) { st = llmd_fail(LLMD_ERR_CORRUPT, "LSH index %s: entry %llu truncated", path, (unsigned long long)e); break; }
        uint32_t ns1 = llmd_load_le32(d + at);
        at += 4;
        size_t ns = ns1 ? ns1 - 1 : 0;
        if (ns > (end - at) / 8) { st = llmd_fail(LLMD_ERR_CORRUPT, "LSH index %s: entry %llu: shingle set past the end of the file", path, (unsigned long long)e); break; }
        if (ns > shcap) {
            uint64_t *nv = llmd_realloc(shv, shcap * sizeof *nv, ns * sizeof *nv);
            if (nv == NULL) { st = llmd_fail_nomem("loading an LSH index"); break; }
            shv = nv;
            shcap = ns;
        }
        for (size_t k = 0; k < ns; k++) {
            shv[k] = llmd_load_le64(d + at + 8 * k);
            if (k && shv[k] <= shv[k - 1]) { st = llmd_fail(LLMD_ERR_CORRUPT, "LSH index %s: entry %llu: shingle set not sorted", path, (unsigned long long)e); break; }
        }
        if (st != LLMD_OK) break;
        at += 8 * ns;
        band_hashes(x, sig, bh);
        if ((st = append_entry(x, key, kl, sig, prio, root, bh, shv, ns, ns1 != 0 && x->verify)) != LLMD_OK) break;
    }
    llmd_free(shv);
    llmd_free(sig);
    llmd_free(bh);
    if (st == LLMD_OK && at != end) BAD("LSH index %s: %zu unexpected bytes after the last entry", path, end - at);
    if (st == LLMD_OK) {
        /* Roots must be their own roots (a saved file stores each entry's final root). */
        for (uint64_t e = 0; e < n; e++)
            if (x->parent[x->parent[e]] != x->parent[e])
                BAD("LSH index %s: entry %llu points to a root that is not a root", path, (unsigned long long)e);
    }
done:
#undef BAD
    llmd_free(data);
    if (st != LLMD_OK) {
        llmd_lsh_index_free(x);
        return st;
    }
    *out = x;
    return LLMD_OK;
}
