/* Character classes as Python 3's str methods and `re` (Unicode patterns) define them, which is
 * what datatrove's filters and NLTK's tokenizers use: str.isspace / \s, str.isalnum + '_' / \w,
 * \d (decimal digits), str.isalpha, str.isupper / str.islower of one character.  ASCII is answered
 * from tables; other code points from utf8proc's Unicode categories.  Text is UTF-8; an invalid byte
 * is one character that is none of these (Python never sees it: JSON text is valid Unicode). */
#ifndef LLMD_FILTER_UNI_H
#define LLMD_FILTER_UNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one character at s[0..n); returns its byte length (>= 1 when n > 0).  An invalid
 * sequence decodes as U+FFFD of length 1. */
static inline size_t uni_decode(const unsigned char *s, size_t n, uint32_t *cp) {
    unsigned char c = s[0];
    if (c < 0x80) { *cp = c; return 1; }
    if (c >= 0xC2 && c < 0xE0 && n >= 2 && (s[1] & 0xC0) == 0x80) {
        *cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
        return 2;
    }
    if (c >= 0xE0 && c < 0xF0 && n >= 3 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        !(c == 0xE0 && s[1] < 0xA0) && !(c == 0xED && s[1] >= 0xA0)) {
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    if (c >= 0xF0 && c < 0xF5 && n >= 4 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
        (s[3] & 0xC0) == 0x80 && !(c == 0xF0 && s[1] < 0x90) && !(c == 0xF4 && s[1] >= 0x90)) {
        *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
              (s[3] & 0x3F);
        return 4;
    }
    *cp = 0xFFFD;
    return 1;
}

/* Start of the character that ends just before s[i] (i > 0). */
static inline size_t uni_prev_start(const unsigned char *s, size_t i) {
    size_t j = i - 1;
    size_t lim = i >= 4 ? i - 4 : 0;
    while (j > lim && (s[j] & 0xC0) == 0x80) j--;
    uint32_t cp;
    if (uni_decode(s + j, i - j, &cp) == i - j) return j;
    return i - 1;  /* invalid: the last byte alone */
}

/* Number of characters (code points, as Python's len) in s[0..n). */
size_t uni_len(const char *s, size_t n);

bool uni_isspace_cp(uint32_t cp);   /* str.isspace(), \s */
bool uni_isword_cp(uint32_t cp);    /* \w: str.isalnum() or '_' */
bool uni_isdigit_cp(uint32_t cp);   /* \d: decimal digit (Nd) */
bool uni_isalpha_cp(uint32_t cp);   /* str.isalpha() */
bool uni_isupper_cp(uint32_t cp);   /* one-character str.isupper() */
bool uni_islower_cp(uint32_t cp);   /* one-character str.islower() */

static inline bool uni_isspace_at(const unsigned char *s, size_t n, size_t *len) {
    if (s[0] < 0x80) {
        *len = 1;
        unsigned char c = s[0];
        return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F);
    }
    uint32_t cp;
    *len = uni_decode(s, n, &cp);
    return uni_isspace_cp(cp);
}

/* Appends the Python str.lower() of s[0..n) to *out (see lower.c for the one full mapping kept). */
#endif
