/* Fast skipping of "plain" ASCII bytes in JSON strings: everything except '"', '\\', control
 * characters (< 0x20) and non-ASCII bytes (>= 0x80). SSE2 where available (always on x86-64). */
#ifndef LLMD_ASCII_SCAN_H
#define LLMD_ASCII_SCAN_H

#include <stddef.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

static inline size_t llmd_json_plain_run(const unsigned char *s, size_t pos, size_t n) {
#if defined(__SSE2__)
    const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1F);
    while (pos + 16 <= n) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + pos));
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash));
        /* max(v, 0x1F) == 0x1F  <=>  v <= 0x1F (unsigned) */
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, ctl), ctl));
        int mask = _mm_movemask_epi8(m) | _mm_movemask_epi8(v);
        if (mask) return pos + (size_t)__builtin_ctz((unsigned)mask);
        pos += 16;
    }
#endif
    while (pos < n) {
        unsigned char c = s[pos];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        pos++;
    }
    return pos;
}

#endif
