/* Growable byte buffer. */
#include <stdio.h>

#include "common/ascii_scan.h"
#include "common/internal.h"

llmd_status llmd_buf_reserve(llmd_buf *b, size_t extra) {
    size_t need;
    if (!llmd_add_ok(b->len, extra, &need) || !llmd_add_ok(need, 1, &need))
        return llmd_fail(LLMD_ERR_RANGE, "buffer size overflow");
    if (need <= b->cap) return LLMD_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) { cap = need; break; }
        cap *= 2;
    }
    char *p = llmd_realloc(b->data, b->cap, cap);
    if (p == NULL) return llmd_fail_nomem("growing a buffer");
    p[b->len] = '\0'; /* a reserved buffer is always a valid (possibly empty) C string */
    b->data = p;
    b->cap = cap;
    return LLMD_OK;
}

llmd_status llmd_buf_append(llmd_buf *b, const void *data, size_t n) {
    llmd_status st = llmd_buf_reserve(b, n);
    if (st != LLMD_OK) return st;
    if (n) memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return LLMD_OK;
}

llmd_status llmd_buf_putc(llmd_buf *b, char c) { return llmd_buf_append(b, &c, 1); }

llmd_status llmd_buf_puts(llmd_buf *b, const char *s) { return llmd_buf_append(b, s, strlen(s)); }

llmd_status llmd_buf_printf(llmd_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return llmd_fail(LLMD_ERR_INTERNAL, "llmd_buf_printf: bad format");
    llmd_status st = llmd_buf_reserve(b, (size_t)n);
    if (st != LLMD_OK) return st;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return LLMD_OK;
}

llmd_status llmd_buf_put_json_string(llmd_buf *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    size_t want;
    if (!llmd_add_ok(n, 2, &want)) return llmd_fail(LLMD_ERR_RANGE, "string too long to escape");
    llmd_status st = llmd_buf_reserve(b, want);  /* exact for plain text; grows for escapes */
    if (st != LLMD_OK) return st;
    const unsigned char *p = (const unsigned char *)s;
    b->data[b->len++] = '"';
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        /* Plain text is copied 16 bytes at a time while looking for the next byte that needs
         * care (the stores may run 16 bytes past the kept part: room is reserved for that). */
        if (n - i >= 16 && (st = llmd_buf_reserve(b, (n - i) + 16 + 2)) != LLMD_OK) return st;
        while (i + 16 <= n) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(p + i));
            _mm_storeu_si128((__m128i *)(void *)(b->data + b->len), v);
            __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
            m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F)));
            unsigned mask = (unsigned)(_mm_movemask_epi8(m) | _mm_movemask_epi8(v));
            if (mask) {
                unsigned k = (unsigned)__builtin_ctz(mask);
                b->len += k;
                i += k;
                break;
            }
            b->len += 16;
            i += 16;
        }
        b->data[b->len] = '\0';
#endif
        size_t run = llmd_json_plain_run(p, i, n);
        if (run > i) {
            if ((st = llmd_buf_append(b, p + i, run - i)) != LLMD_OK) return st;
            i = run;
        }
        if (i >= n) break;
        unsigned char c = p[i];
        char esc[8];
        size_t elen = 0;
        if (c < 0x80) {
            esc[elen++] = '\\';
            switch (c) {
            case '"': esc[elen++] = '"'; break;
            case '\\': esc[elen++] = '\\'; break;
            case '\n': esc[elen++] = 'n'; break;
            case '\r': esc[elen++] = 'r'; break;
            case '\t': esc[elen++] = 't'; break;
            case '\b': esc[elen++] = 'b'; break;
            case '\f': esc[elen++] = 'f'; break;
            default:
                esc[elen++] = 'u'; esc[elen++] = '0'; esc[elen++] = '0';
                esc[elen++] = hex[c >> 4]; esc[elen++] = hex[c & 15];
            }
            i++;
            if ((st = llmd_buf_append(b, esc, elen)) != LLMD_OK) return st;
            continue;
        }
        /* A run of valid multi-byte sequences is copied as is; an invalid byte becomes U+FFFD so
         * the output is always valid JSON. */
        size_t j = i;
        uint32_t cp;
        size_t len;
        while (j < n && p[j] >= 0x80 && (len = llmd_utf8_decode(p + j, n - j, &cp)) != 0) j += len;
        if (j > i) {
            if ((st = llmd_buf_append(b, p + i, j - i)) != LLMD_OK) return st;
            i = j;
        } else {
            if ((st = llmd_buf_append(b, "\xEF\xBF\xBD", 3)) != LLMD_OK) return st;
            i++;
        }
    }
    return llmd_buf_append(b, "\"", 1);
}

void llmd_buf_reset(llmd_buf *b) {
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

void llmd_buf_free(llmd_buf *b) {
    llmd_free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

char *llmd_buf_detach(llmd_buf *b, size_t *len) {
    if (b->data == NULL && llmd_buf_reserve(b, 0) != LLMD_OK) return NULL;
    char *p = b->data;
    if (len) *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return p;
}
