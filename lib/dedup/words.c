/* Word folding shared by normalised exact hashes and shingles (rules in llmdata/dedup.h). */
#include <utf8proc.h>

#include "dedup_internal.h"

/* ASCII: 0 separator, else the lower-cased byte of a word character [A-Za-z0-9].  A constant
 * table: built lazily it was written by every thread racing through the first call (TSan). */
#define LLMD_W10(c) (c), (c) + 1, (c) + 2, (c) + 3, (c) + 4, (c) + 5, (c) + 6, (c) + 7, (c) + 8, (c) + 9
static const unsigned char ascii_word_table[128] = {
    ['0'] = LLMD_W10('0'),
    ['A'] = LLMD_W10('a'), LLMD_W10('a' + 10), 'a' + 20, 'a' + 21, 'a' + 22, 'a' + 23, 'a' + 24, 'a' + 25,
    ['a'] = LLMD_W10('a'), LLMD_W10('a' + 10), 'a' + 20, 'a' + 21, 'a' + 22, 'a' + 23, 'a' + 24, 'a' + 25,
};
#undef LLMD_W10

static const unsigned char *ascii_table(void) { return ascii_word_table; }

static int is_word_cp(uint32_t cp) {
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;  /* L*, M*, N* */
}

#if defined(__x86_64__) || defined(__i386__)
#  include <immintrin.h>
#  define LLMD_DD_FOLD_X86 1
/* 32 ASCII bytes at once: lower-cased copy in tmp[0..32), bit k of the result set when byte k is a
 * word character [0-9A-Za-z]; returns 0 and sets *ascii = 0 if any byte is not ASCII. */
__attribute__((target("avx2")))
static uint32_t block_avx2(const unsigned char *s, unsigned char *tmp, int *ascii) {
    __m256i v = _mm256_loadu_si256((const __m256i *)s);
    if (_mm256_movemask_epi8(v) != 0) {
        *ascii = 0;
        return 0;
    }
    *ascii = 1;
    /* Signed compares are fine: all bytes are < 0x80. */
    __m256i up = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('A' - 1)),
                                  _mm256_cmpgt_epi8(_mm256_set1_epi8('Z' + 1), v));
    __m256i lo = _mm256_or_si256(v, _mm256_and_si256(up, _mm256_set1_epi8(0x20)));
    __m256i alpha = _mm256_and_si256(_mm256_cmpgt_epi8(lo, _mm256_set1_epi8('a' - 1)),
                                     _mm256_cmpgt_epi8(_mm256_set1_epi8('z' + 1), lo));
    __m256i digit = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8('0' - 1)),
                                     _mm256_cmpgt_epi8(_mm256_set1_epi8('9' + 1), v));
    _mm256_storeu_si256((__m256i *)tmp, lo);
    return (uint32_t)_mm256_movemask_epi8(_mm256_or_si256(alpha, digit));
}

static int fold_has_avx2(void) {
    static int v = -1;
    int r = __atomic_load_n(&v, __ATOMIC_RELAXED);
    if (r < 0) {
        __builtin_cpu_init();
        r = __builtin_cpu_supports("avx2") != 0;
        __atomic_store_n(&v, r, __ATOMIC_RELAXED);
    }
    return r;
}
#endif

llmd_status llmd_dd_fold(const char *text, size_t len, llmd_dd_words *w, int allow_simd) {
    const unsigned char *t = ascii_table();
    const unsigned char *s = (const unsigned char *)text;
    llmd_buf_reset(&w->folded);
    w->n = 0;
    if (len > (UINT32_MAX - 128) / 2)
        return llmd_fail(LLMD_ERR_RANGE, "document of %zu bytes is over the 2 GiB limit", len);
    /* Bounds that make the loop check-free: a lower-case mapping at most grows a code point's
     * UTF-8 from 2 to 3 bytes (1.5x), and each separating space consumes at least one input byte,
     * so the folded text is < 2*len bytes (+64 of slack for 32-byte block copies); words <= len/2+1. */
    llmd_status st = llmd_buf_reserve(&w->folded, 2 * len + 64);
    if (st != LLMD_OK) return st;
    size_t maxw = len / 2 + 2;
    if (maxw > w->cap) {
        uint32_t *ns = llmd_realloc(w->start, w->cap * sizeof *ns, maxw * sizeof *ns);
        if (ns == NULL) return llmd_fail_nomem("folding words");
        w->start = ns;
        uint32_t *ne = llmd_realloc(w->end, w->cap * sizeof *ne, maxw * sizeof *ne);
        if (ne == NULL) return llmd_fail_nomem("folding words");
        w->end = ne;
        w->cap = maxw;
    }
    char *base = w->folded.data, *o = base;
    uint32_t *ws = w->start, *we = w->end;
    size_t nw = 0, i = 0;
    int in_word = 0;
#ifdef LLMD_DD_FOLD_X86
    int simd = allow_simd && fold_has_avx2();
    unsigned char tmp[64] = {0};
#else
    (void)allow_simd;
#endif
    while (i < len) {
#ifdef LLMD_DD_FOLD_X86
        if (simd && len - i >= 32) {
            int ascii;
            uint32_t m = block_avx2(s + i, tmp, &ascii);
            if (ascii) {
                unsigned pos = 0;
                while (pos < 32) {
                    if (in_word) {
                        uint32_t z = ~m & (~0u << pos);
                        unsigned e = z ? (unsigned)__builtin_ctz(z) : 32;
                        memcpy(o, tmp + pos, 32);  /* tmp has 64 bytes; o has >= 64 of slack */
                        o += e - pos;
                        pos = e;
                        if (e < 32) {
                            we[nw++] = (uint32_t)(o - base);
                            in_word = 0;
                        }
                    } else {
                        uint32_t ones = m & (~0u << pos);
                        if (!ones) break;
                        pos = (unsigned)__builtin_ctz(ones);
                        if (nw) *o++ = ' ';
                        ws[nw] = (uint32_t)(o - base);
                        in_word = 1;
                    }
                }
                i += 32;
                continue;
            }
        }
#endif
        unsigned char c = s[i];
        int word;
        if (c < 0x80) {
            unsigned char m = t[c];
            word = m != 0;
            if (word) {
                if (!in_word) {
                    if (nw) *o++ = ' ';
                    ws[nw] = (uint32_t)(o - base);
                    in_word = 1;
                }
                *o++ = (char)m;
            }
            i++;
        } else {
            uint32_t cp;
            size_t n = llmd_utf8_decode(s + i, len - i, &cp);
            word = n != 0 && is_word_cp(cp);
            if (word) {
                if (!in_word) {
                    if (nw) *o++ = ' ';
                    ws[nw] = (uint32_t)(o - base);
                    in_word = 1;
                }
                o += llmd_utf8_encode((uint32_t)utf8proc_tolower((utf8proc_int32_t)cp), (unsigned char *)o);
            }
            i += n ? n : 1;
        }
        if (!word && in_word) {
            we[nw++] = (uint32_t)(o - base);
            in_word = 0;
        }
    }
    if (in_word) we[nw++] = (uint32_t)(o - base);
    w->n = nw;
    w->folded.len = (size_t)(o - base);
    base[w->folded.len] = '\0';
    return LLMD_OK;
}

void llmd_dd_words_free(llmd_dd_words *w) {
    llmd_buf_free(&w->folded);
    llmd_free(w->start);
    llmd_free(w->end);
    memset(w, 0, sizeof *w);
}

LLMD_API llmd_status llmd_fold_text(const char *text, size_t len, char **out, size_t *out_len) {
    if (out == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_fold_text: NULL %s", out == NULL ? "out" : "text");
    *out = NULL;
    if (out_len) *out_len = 0;
    llmd_dd_words w = {LLMD_BUF_INIT, NULL, NULL, 0, 0};
    llmd_status st = llmd_dd_fold(text ? text : "", len, &w, 1);
    if (st == LLMD_OK) st = llmd_buf_reserve(&w.folded, 0);
    if (st != LLMD_OK) {
        llmd_dd_words_free(&w);
        return st;
    }
    size_t n;
    *out = llmd_buf_detach(&w.folded, &n);
    if (out_len) *out_len = n;
    llmd_dd_words_free(&w);
    return LLMD_OK;
}
