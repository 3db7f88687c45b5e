/* Whole-string UTF-8 validation 64 bytes per step with AVX-512 (the lookup method of Keiser &
 * Lemire, "Validating UTF-8 In Less Than One Instruction Per Byte", 2021): three nibble-table
 * lookups classify every byte pair, and the positions that must be the 2nd/3rd continuation of a
 * 3- or 4-byte sequence are checked separately.  Blocks of ASCII only cost a load and a test.
 *
 * Header-only (static functions) so that both io (JSON strings) and text (cleaning) can use it.
 * llmd_utf8_valid_wide answers yes/no only: callers that need the offset of the first bad byte
 * ask llmd_utf8_validate (common/utf8.c) when this says no -- both accept exactly RFC 3629 UTF-8
 * (no overlongs, no surrogates, nothing above U+10FFFF). */
#ifndef LLMD_IO_UTF8_WIDE_H
#define LLMD_IO_UTF8_WIDE_H

#include "common/internal.h"

#if defined(__x86_64__) && defined(__GNUC__)
#define LLMD_UTF8_WIDE 1
#include <immintrin.h>

static inline bool llmd_utf8_wide_cpu(void) {
    static int v = -1;   /* a benign race: every thread computes the same value */
    int got = __atomic_load_n(&v, __ATOMIC_RELAXED);
    if (got < 0) {
        __builtin_cpu_init();
        got = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vbmi");
        __atomic_store_n(&v, got, __ATOMIC_RELAXED);
    }
    return got != 0;
}

/* The bytes of v shifted up by k (1..3) positions, the top k bytes of prev filling the bottom. */
#define LLMD_UTF8_PREV(v, prev, k)                                                                              \
    _mm512_permutex2var_epi8((v), _mm512_sub_epi8(_mm512_set_epi8(63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, \
        52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26,  \
        25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),            \
        _mm512_set1_epi8((char)(k))), (prev))

/* Error bits of one block (0: consistent so far; an incomplete sequence at its end is checked by
 * the next block or the caller). */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static inline __m512i llmd_utf8_block_errors(__m512i v,
                                                                                                 __m512i prev) {
    /* Bits: 1 too short, 2 too long, 4 overlong 3, 8 too large, 16 surrogate, 32 overlong 2,
     * 64 too large 1000 / overlong 4, 128 two continuations. */
    const __m512i t1h = _mm512_broadcast_i32x4(_mm_setr_epi8(2, 2, 2, 2, 2, 2, 2, 2, (char)128, (char)128, (char)128,
                                                             (char)128, 1 | 32, 1, 1 | 4 | 16, 1 | 8 | 64));
    const __m512i t1l = _mm512_broadcast_i32x4(_mm_setr_epi8(
        (char)(1 | 2 | 128 | 4 | 32 | 64), (char)(1 | 2 | 128 | 32), (char)(1 | 2 | 128), (char)(1 | 2 | 128),
        (char)(1 | 2 | 128 | 8), (char)(1 | 2 | 128 | 8 | 64), (char)(1 | 2 | 128 | 8 | 64), (char)(1 | 2 | 128 | 8 | 64),
        (char)(1 | 2 | 128 | 8 | 64), (char)(1 | 2 | 128 | 8 | 64), (char)(1 | 2 | 128 | 8 | 64),
        (char)(1 | 2 | 128 | 8 | 64), (char)(1 | 2 | 128 | 8 | 64), (char)(1 | 2 | 128 | 8 | 64 | 16),
        (char)(1 | 2 | 128 | 8 | 64), (char)(1 | 2 | 128 | 8 | 64)));
    const __m512i t2h = _mm512_broadcast_i32x4(_mm_setr_epi8(
        1, 1, 1, 1, 1, 1, 1, 1, (char)(2 | 32 | 128 | 4 | 64), (char)(2 | 32 | 128 | 4 | 8), (char)(2 | 32 | 128 | 16 | 8),
        (char)(2 | 32 | 128 | 16 | 8), 1, 1, 1, 1));
    const __m512i lo4 = _mm512_set1_epi8(0x0F);
    __m512i p1 = LLMD_UTF8_PREV(v, prev, 1);
    __m512i b1h = _mm512_shuffle_epi8(t1h, _mm512_and_si512(_mm512_srli_epi16(p1, 4), lo4));
    __m512i b1l = _mm512_shuffle_epi8(t1l, _mm512_and_si512(p1, lo4));
    __m512i b2h = _mm512_shuffle_epi8(t2h, _mm512_and_si512(_mm512_srli_epi16(v, 4), lo4));
    __m512i sc = _mm512_and_si512(_mm512_and_si512(b1h, b1l), b2h);
    __m512i p2 = LLMD_UTF8_PREV(v, prev, 2), p3 = LLMD_UTF8_PREV(v, prev, 3);
    /* Only bytes 111xxxxx two back and 1111xxxx three back keep their top bit here. */
    __m512i must23 = _mm512_or_si512(_mm512_subs_epu8(p2, _mm512_set1_epi8((char)(0xE0 - 0x80))),
                                     _mm512_subs_epu8(p3, _mm512_set1_epi8((char)(0xF0 - 0x80))));
    __m512i must23_80 = _mm512_and_si512(must23, _mm512_set1_epi8((char)0x80));
    return _mm512_xor_si512(must23_80, sc);
}

/* Whether s[0..n) is well-formed UTF-8.  The last bytes (after the last whole block) and any
 * sequence the blocks leave open are checked byte-wise. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static inline bool llmd_utf8_valid_wide(const unsigned char *s,
                                                                                             size_t n) {
    __m512i prev = _mm512_setzero_si512(), err = _mm512_setzero_si512();
    size_t i = 0;
    bool open = false;   /* the last block ended inside (or right after a lead of) a sequence */
    for (; i + 64 <= n; i += 64) {
        __m512i v = _mm512_loadu_si512((const void *)(s + i));
        if (!open && _mm512_movepi8_mask(v) == 0) {
            prev = v;
            continue;
        }
        err = _mm512_or_si512(err, llmd_utf8_block_errors(v, prev));
        /* A lead byte in the last 3 positions whose sequence reaches past the block. */
        __m512i inc = _mm512_subs_epu8(v, _mm512_set_epi8((char)(0xC0 - 1), (char)(0xE0 - 1), (char)(0xF0 - 1),
            (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255,
            (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255,
            (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255,
            (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255,
            (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255,
            (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255,
            (char)255, (char)255, (char)255, (char)255, (char)255, (char)255, (char)255));
        open = _mm512_test_epi8_mask(inc, inc) != 0;
        prev = v;
    }
    if (_mm512_test_epi8_mask(err, err) != 0) return false;
    /* The rest byte-wise, from the start of the last sequence that may be open (a continuation
     * byte cannot start one: back up over at most 3 of them to its lead). */
    size_t from = i;
    for (size_t k = 0; k < 3 && from > 0 && (s[from - 1] & 0xC0) == 0x80; k++) from--;
    if (from > 0 && s[from - 1] >= 0xC0) from--;
    return llmd_utf8_validate(s + from, n - from) == n - from;
}
#endif

#endif
