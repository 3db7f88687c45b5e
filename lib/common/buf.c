/* Growable byte buffer. */
#include <stdio.h>

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
    /* Worst case: every byte becomes \u00XX (6) or U+FFFD (3) -> 6n + 2. */
    size_t worst;
    if (!llmd_mul_ok(n, 6, &worst) || !llmd_add_ok(worst, 2, &worst))
        return llmd_fail(LLMD_ERR_RANGE, "string too long to escape");
    llmd_status st = llmd_buf_reserve(b, worst);
    if (st != LLMD_OK) return st;
    const unsigned char *p = (const unsigned char *)s;
    char *o = b->data + b->len;
    *o++ = '"';
    size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') { *o++ = (char)c; i++; continue; }
        if (c < 0x80) {
            *o++ = '\\';
            switch (c) {
            case '"': *o++ = '"'; break;
            case '\\': *o++ = '\\'; break;
            case '\n': *o++ = 'n'; break;
            case '\r': *o++ = 'r'; break;
            case '\t': *o++ = 't'; break;
            case '\b': *o++ = 'b'; break;
            case '\f': *o++ = 'f'; break;
            default:
                *o++ = 'u'; *o++ = '0'; *o++ = '0'; *o++ = hex[c >> 4]; *o++ = hex[c & 15];
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t len = llmd_utf8_decode(p + i, n - i, &cp);
        if (len == 0) { /* invalid byte: U+FFFD keeps the output valid JSON */
            *o++ = (char)0xEF; *o++ = (char)0xBF; *o++ = (char)0xBD;
            i++;
            continue;
        }
        memcpy(o, p + i, len);
        o += len;
        i += len;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    b->data[b->len] = '\0';
    return LLMD_OK;
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
