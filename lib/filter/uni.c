/* Python-compatible character classes (see uni.h). */
#include "filter/uni.h"

#include <string.h>

#include <utf8proc.h>

size_t uni_len(const char *s, size_t n) {
    const unsigned char *p = (const unsigned char *)s;
    size_t count = 0;
    for (size_t i = 0; i < n;) {
        if (i + 8 <= n) { /* eight ASCII bytes at once */
            uint64_t w;
            memcpy(&w, p + i, 8);
            if ((w & 0x8080808080808080ull) == 0) { i += 8; count += 8; continue; }
        }
        if (p[i] < 0x80) { i++; count++; continue; }
        uint32_t cp;
        i += uni_decode(p + i, n - i, &cp);
        count++;
    }
    return count;
}

bool uni_isspace_cp(uint32_t cp) {
    if (cp < 0x80) return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x1F);
    return cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static utf8proc_category_t cat(uint32_t cp) {
    if (cp > 0x10FFFF) return UTF8PROC_CATEGORY_CN;
    return utf8proc_category((utf8proc_int32_t)cp);
}

bool uni_isalpha_cp(uint32_t cp) {
    if (cp < 0x80) return ((cp | 32) >= 'a' && (cp | 32) <= 'z');
    switch (cat(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        return true;
    default:
        return false;
    }
}

bool uni_isword_cp(uint32_t cp) {
    if (cp < 0x80) return ((cp | 32) >= 'a' && (cp | 32) <= 'z') || (cp >= '0' && cp <= '9') || cp == '_';
    switch (cat(cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
        return true;
    default:
        return false;
    }
}

bool uni_isdigit_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= '0' && cp <= '9';
    return cat(cp) == UTF8PROC_CATEGORY_ND;
}

bool uni_isupper_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= 'A' && cp <= 'Z';
    return cat(cp) == UTF8PROC_CATEGORY_LU;
}

bool uni_islower_cp(uint32_t cp) {
    if (cp < 0x80) return cp >= 'a' && cp <= 'z';
    return cat(cp) == UTF8PROC_CATEGORY_LL;
}
