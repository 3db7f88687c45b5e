/* MinHash signatures: shingles -> XXH3-64 -> x = fold32(h) -> v_i = a_i*x + b_i (mod 2^32) -> min.
 * The permutation loop has a portable path and an AVX2 path (run-time dispatch) that give the same
 * values: both compute the same exact integer arithmetic. */
#include <limits.h>

#if defined(__x86_64__) || defined(__i386__)
#  include <immintrin.h>
#  define LLMD_DD_X86 1
#endif

#include "dedup_internal.h"

struct llmd_minhasher {
    llmd_minhash_options o;
    uint32_t *a, *b;      /* num_perm each, padded to a multiple of 32 */
    uint32_t padded;
    int simd;
};

static const size_t minhash_sizes[] = {sizeof(llmd_minhash_options)};

LLMD_API void llmd_minhash_options_init(llmd_minhash_options *opts) {
    if (opts == NULL) return;
    llmd_minhash_options d = LLMD_MINHASH_OPTIONS_INIT;
    *opts = d;
}

/* Validated copy of caller options (shared with lsh.c through the public struct). */
static llmd_status copy_opts(llmd_minhash_options *o, const llmd_minhash_options *opts) {
    llmd_minhash_options d = LLMD_MINHASH_OPTIONS_INIT;
    *o = d;
    llmd_status st = llmd_options_copy(o, opts, minhash_sizes, LLMD_MINHASH_OPTIONS_VERSION,
                                       "llmd_minhash_options");
    if (st != LLMD_OK) return st;
    if (o->num_perm < 1 || o->num_perm > 4096)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "minhash num_perm %u out of range 1..4096", o->num_perm);
    if (o->ngram < 1 || o->ngram > 64)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "minhash ngram %u out of range 1..64", o->ngram);
    if (o->shingle_mode != LLMD_SHINGLE_WORDS && o->shingle_mode != LLMD_SHINGLE_CHARS)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "unknown minhash shingle_mode %d", o->shingle_mode);
    return LLMD_OK;
}

#ifdef LLMD_DD_X86
static int cpu_has_avx2(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2");
}
#endif

LLMD_API llmd_status llmd_minhasher_new(llmd_minhasher **out, const llmd_minhash_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_minhasher_new: NULL out");
    *out = NULL;
    llmd_minhash_options o;
    llmd_status st = copy_opts(&o, opts);
    if (st != LLMD_OK) return st;
    llmd_minhasher *h = llmd_calloc(1, sizeof *h);
    if (h == NULL) return llmd_fail_nomem("creating a minhasher");
    h->o = o;
    h->padded = (o.num_perm + 31) / 32 * 32;
    h->a = llmd_calloc(h->padded, sizeof *h->a);
    h->b = llmd_calloc(h->padded, sizeof *h->b);
    if (h->a == NULL || h->b == NULL) {
        llmd_minhasher_free(h);
        return llmd_fail_nomem("creating a minhasher");
    }
    uint64_t state = o.seed ^ 0x6C6C6D6448617368ULL;
    for (uint32_t i = 0; i < o.num_perm; i++) {
        h->a[i] = (uint32_t)llmd_splitmix64(&state) | 1u;
        h->b[i] = (uint32_t)llmd_splitmix64(&state);
    }
    h->simd = 0;
#ifdef LLMD_DD_X86
    if (!o.force_portable) h->simd = cpu_has_avx2() != 0;
#endif
    *out = h;
    return LLMD_OK;
}

LLMD_API void llmd_minhasher_free(llmd_minhasher *h) {
    if (h == NULL) return;
    llmd_free(h->a);
    llmd_free(h->b);
    llmd_free(h);
}

LLMD_API uint32_t llmd_minhasher_num_perm(const llmd_minhasher *h) { return h ? h->o.num_perm : 0; }
LLMD_API int llmd_minhasher_uses_simd(const llmd_minhasher *h) { return h ? h->simd : 0; }

/* ---- permutation kernels: sig[i] = min(sig[i], min_k a_i*x_k + b_i) over the padded range ---- */
static void perm_portable(const uint32_t *a, const uint32_t *b, uint32_t padded, const uint32_t *x,
                          size_t nx, uint32_t *sig) {
    for (uint32_t i = 0; i < padded; i += 8) {
        uint32_t m[8];
        for (int l = 0; l < 8; l++) m[l] = sig[i + l];
        for (size_t k = 0; k < nx; k++) {
            uint32_t xv = x[k];
            for (int l = 0; l < 8; l++) {
                uint32_t v = a[i + l] * xv + b[i + l];
                m[l] = v < m[l] ? v : m[l];
            }
        }
        for (int l = 0; l < 8; l++) sig[i + l] = m[l];
    }
}

#ifdef LLMD_DD_X86
__attribute__((target("avx2")))
static void perm_avx2(const uint32_t *a, const uint32_t *b, uint32_t padded, const uint32_t *x,
                      size_t nx, uint32_t *sig) {
    uint32_t i = 0;
    for (; i + 32 <= padded; i += 32) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a + i));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(a + i + 8));
        __m256i a2 = _mm256_loadu_si256((const __m256i *)(a + i + 16));
        __m256i a3 = _mm256_loadu_si256((const __m256i *)(a + i + 24));
        __m256i b0 = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + i + 8));
        __m256i b2 = _mm256_loadu_si256((const __m256i *)(b + i + 16));
        __m256i b3 = _mm256_loadu_si256((const __m256i *)(b + i + 24));
        __m256i m0 = _mm256_loadu_si256((const __m256i *)(sig + i));
        __m256i m1 = _mm256_loadu_si256((const __m256i *)(sig + i + 8));
        __m256i m2 = _mm256_loadu_si256((const __m256i *)(sig + i + 16));
        __m256i m3 = _mm256_loadu_si256((const __m256i *)(sig + i + 24));
        for (size_t k = 0; k < nx; k++) {
            __m256i xv = _mm256_set1_epi32((int)x[k]);
            m0 = _mm256_min_epu32(m0, _mm256_add_epi32(_mm256_mullo_epi32(a0, xv), b0));
            m1 = _mm256_min_epu32(m1, _mm256_add_epi32(_mm256_mullo_epi32(a1, xv), b1));
            m2 = _mm256_min_epu32(m2, _mm256_add_epi32(_mm256_mullo_epi32(a2, xv), b2));
            m3 = _mm256_min_epu32(m3, _mm256_add_epi32(_mm256_mullo_epi32(a3, xv), b3));
        }
        _mm256_storeu_si256((__m256i *)(sig + i), m0);
        _mm256_storeu_si256((__m256i *)(sig + i + 8), m1);
        _mm256_storeu_si256((__m256i *)(sig + i + 16), m2);
        _mm256_storeu_si256((__m256i *)(sig + i + 24), m3);
    }
}
#endif

/* Per-call scratch. */
typedef struct mh_scratch {
    llmd_dd_words w;
    uint32_t *x;
    size_t xcap;
    uint64_t *hv;     /* 64-bit shingle hashes, when want_hv */
    size_t hvcap;
    int want_hv;
    uint32_t *sig;   /* padded */
    uint32_t *cp_off; /* char mode: byte offset of each code point of the folded text (+ end) */
    size_t cpcap;
} mh_scratch;

static void scratch_free(mh_scratch *s) {
    llmd_dd_words_free(&s->w);
    llmd_free(s->x);
    llmd_free(s->hv);
    llmd_free(s->sig);
    llmd_free(s->cp_off);
}

static llmd_status grow_u32(uint32_t **p, size_t *cap, size_t need) {
    if (need <= *cap) return LLMD_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    uint32_t *n = llmd_realloc(*p, *cap * sizeof **p, c * sizeof **p);
    if (n == NULL) return llmd_fail_nomem("hashing shingles");
    *p = n;
    *cap = c;
    return LLMD_OK;
}

static inline uint32_t fold32(uint64_t h) { return (uint32_t)(h ^ (h >> 32)); }

/* Records the 64-bit hash of shingle k (exact-Jaccard mode) and returns its 32-bit fold. */
static inline uint32_t keep(mh_scratch *s, size_t k, uint64_t h) {
    if (s->want_hv) s->hv[k] = h;
    return fold32(h);
}

static llmd_status grow_u64(uint64_t **p, size_t *cap, size_t need) {
    if (need <= *cap) return LLMD_OK;
    size_t c = *cap ? *cap : 256;
    while (c < need) c *= 2;
    uint64_t *n = llmd_realloc(*p, *cap * sizeof **p, c * sizeof **p);
    if (n == NULL) return llmd_fail_nomem("hashing shingles");
    *p = n;
    *cap = c;
    return LLMD_OK;
}

/* Shingle hashes of one document into s->x; returns their count in *nx. */
static llmd_status shingle_hashes(const llmd_minhasher *h, const char *text, size_t len, mh_scratch *s,
                                  size_t *nx) {
    *nx = 0;
    llmd_status st = llmd_dd_fold(text, len, &s->w, !h->o.force_portable);
    if (st != LLMD_OK) return st;
    const llmd_dd_words *w = &s->w;
    if (w->n == 0) return LLMD_OK;
    const char *f = w->folded.data;
    size_t n = h->o.ngram;
    uint64_t seed = h->o.seed;
    if (h->o.shingle_mode == LLMD_SHINGLE_WORDS) {
        size_t count = w->n >= n ? w->n - n + 1 : 1;
        if ((st = grow_u32(&s->x, &s->xcap, count)) != LLMD_OK) return st;
        if (s->want_hv && (st = grow_u64(&s->hv, &s->hvcap, count)) != LLMD_OK) return st;
        if (w->n < n) {
            s->x[0] = keep(s, 0, llmd_hash64(f, w->folded.len, seed));
        } else {
            for (size_t k = 0; k < count; k++) {
                uint32_t a = w->start[k], e = w->end[k + n - 1];
                s->x[k] = keep(s, k, llmd_hash64(f + a, e - a, seed));
            }
        }
        *nx = count;
        return LLMD_OK;
    }
    /* Char mode: code point offsets of the folded text (valid UTF-8 by construction). */
    size_t flen = w->folded.len, ncp = 0;
    if ((st = grow_u32(&s->cp_off, &s->cpcap, flen + 1)) != LLMD_OK) return st;
    for (size_t i = 0; i < flen; i++)
        if (((unsigned char)f[i] & 0xC0) != 0x80) s->cp_off[ncp++] = (uint32_t)i;
    s->cp_off[ncp] = (uint32_t)flen;
    size_t count = ncp >= n ? ncp - n + 1 : 1;
    if ((st = grow_u32(&s->x, &s->xcap, count)) != LLMD_OK) return st;
    if (s->want_hv && (st = grow_u64(&s->hv, &s->hvcap, count)) != LLMD_OK) return st;
    if (ncp < n) {
        s->x[0] = keep(s, 0, llmd_hash64(f, flen, seed));
    } else {
        for (size_t k = 0; k < count; k++) {
            uint32_t a = s->cp_off[k], e = s->cp_off[k + n];
            s->x[k] = keep(s, k, llmd_hash64(f + a, e - a, seed));
        }
    }
    *nx = count;
    return LLMD_OK;
}

static llmd_status minhash_one(const llmd_minhasher *h, const char *text, size_t len, uint32_t *sig,
                               size_t *n_sh, mh_scratch *s) {
    size_t nx;
    llmd_status st = shingle_hashes(h, text, len, s, &nx);
    if (st != LLMD_OK) return st;
    if (s->sig == NULL) {
        s->sig = llmd_malloc(h->padded * sizeof *s->sig);
        if (s->sig == NULL) return llmd_fail_nomem("hashing a document");
    }
    for (uint32_t i = 0; i < h->padded; i++) s->sig[i] = UINT32_MAX;
#ifdef LLMD_DD_X86
    if (h->simd) perm_avx2(h->a, h->b, h->padded, s->x, nx, s->sig);
    else
#endif
        perm_portable(h->a, h->b, h->padded, s->x, nx, s->sig);
    memcpy(sig, s->sig, h->o.num_perm * sizeof *sig);
    if (n_sh) *n_sh = nx;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_minhash(const llmd_minhasher *h, const char *text, size_t len, uint32_t *sig,
                                  size_t *n_shingles) {
    if (h == NULL || sig == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_minhash: NULL %s",
                         h == NULL ? "hasher" : sig == NULL ? "sig" : "text");
    mh_scratch s;
    memset(&s, 0, sizeof s);
    llmd_status st = minhash_one(h, text ? text : "", len, sig, n_shingles, &s);
    scratch_free(&s);
    return st;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

LLMD_API llmd_status llmd_minhash_shingles(const llmd_minhasher *h, const char *text, size_t len, uint32_t *sig,
                                           uint64_t **shingles, size_t *n_shingles) {
    if (h == NULL || sig == NULL || shingles == NULL || n_shingles == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_minhash_shingles: NULL %s",
                         h == NULL ? "hasher" : sig == NULL ? "sig" : text == NULL && len ? "text" : "output");
    *shingles = NULL;
    *n_shingles = 0;
    mh_scratch s;
    memset(&s, 0, sizeof s);
    s.want_hv = 1;
    size_t nx = 0;
    llmd_status st = minhash_one(h, text ? text : "", len, sig, &nx, &s);
    if (st == LLMD_OK && nx > 0) {
        qsort(s.hv, nx, sizeof *s.hv, cmp_u64);
        size_t u = 1;
        for (size_t k = 1; k < nx; k++)
            if (s.hv[k] != s.hv[u - 1]) s.hv[u++] = s.hv[k];
        *shingles = s.hv;   /* allocated by llmd_realloc: the caller frees it with llmd_free */
        *n_shingles = u;
        s.hv = NULL;
    }
    scratch_free(&s);
    return st;
}

typedef struct batch_job {
    const llmd_minhasher *h;
    const char *const *texts;
    const size_t *lens;
    uint32_t *sigs;
    size_t *n_sh;
} batch_job;

static llmd_status batch_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    batch_job *j = arg;
    mh_scratch s;
    memset(&s, 0, sizeof s);
    llmd_status st = LLMD_OK;
    for (size_t i = begin; i < end && st == LLMD_OK; i++) {
        const char *t = j->texts[i];
        size_t l = j->lens[i];
        if (t == NULL && l > 0) {
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_minhash_batch: document %zu is NULL", i);
            break;
        }
        st = minhash_one(j->h, t ? t : "", l, j->sigs + i * j->h->o.num_perm, j->n_sh ? j->n_sh + i : NULL, &s);
        if (st != LLMD_OK) llmd_error_prefix("document %zu", i);
    }
    scratch_free(&s);
    return st;
}

LLMD_API llmd_status llmd_minhash_batch(const llmd_minhasher *h, const char *const *texts,
                                        const size_t *lens, size_t n, unsigned threads, uint32_t *sigs,
                                        size_t *n_shingles) {
    if (h == NULL || ((texts == NULL || lens == NULL || sigs == NULL) && n > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_minhash_batch: NULL %s",
                         h == NULL ? "hasher" : texts == NULL ? "texts" : lens == NULL ? "lens" : "sigs");
    if (n == 0) return LLMD_OK;
    batch_job j = {h, texts, lens, sigs, n_shingles};
    return llmd_parallel_ranges(n, threads, batch_range, &j);
}

LLMD_API void llmd_minhash_to_bytes(const uint32_t *sig, uint32_t num_perm, uint8_t *out) {
    if (sig == NULL || out == NULL) return;
    for (uint32_t i = 0; i < num_perm; i++) llmd_store_le32(out + 4 * (size_t)i, sig[i]);
}

static int sig_empty(const uint32_t *s, uint32_t p) {
    for (uint32_t i = 0; i < p; i++)
        if (s[i] != UINT32_MAX) return 0;
    return 1;
}

LLMD_API double llmd_minhash_jaccard(const uint32_t *a, const uint32_t *b, uint32_t num_perm) {
    if (a == NULL || b == NULL || num_perm == 0 || sig_empty(a, num_perm) || sig_empty(b, num_perm))
        return 0.0;
    uint32_t eq = 0;
    for (uint32_t i = 0; i < num_perm; i++) eq += a[i] == b[i];
    return (double)eq / num_perm;
}
