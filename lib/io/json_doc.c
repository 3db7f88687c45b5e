/*
 * JSON object documents: a strict validating scanner that records where each top-level member's
 * key and value stand, so edits can replace values while everything else keeps its bytes.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/ascii_scan.h"
#include "common/internal.h"
#include "io/utf8_wide.h"
#include "llmdata/io.h"

#define MAX_DEPTH 512

typedef struct member {
    size_t key_start, key_end;      /* the quoted key in src (quotes included) */
    size_t value_start, value_end;  /* the raw value in src */
    size_t key_off, key_len;        /* decoded key: doc->keys.data + key_off, NUL-terminated */
    bool removed;
    bool edited;
    size_t edit_start, edit_len;    /* replacement raw JSON, in doc->edits */
} member;

struct llmd_json_doc {
    llmd_buf src;
    member *members;
    size_t count, cap;
    llmd_buf edits;      /* raw JSON of edited/added values, concatenated */
    llmd_buf decoded;    /* last decoded string */
    size_t decoded_member;   /* members[] index `decoded` holds (SIZE_MAX = none): a second
                                get_string of the same member returns it without decoding again */
    llmd_buf rendered;
    llmd_buf keys;       /* decoded keys of all members, each NUL-terminated (no allocation per
                            member: the buffer is reused from line to line) */
    /* The key whose string value parse decodes while it validates it (one pass over the text
     * instead of two): the key get_string asked for last.  A JSONL reader asks for the same field
     * on every line, so from the second line on its value is decoded as it is scanned. */
    llmd_buf hint;
    bool has_hint;
};

typedef struct scanner {
    const unsigned char *s;
    size_t n, pos;
    int depth;
} scanner;

static llmd_status scan_value(scanner *sc);

static void skip_ws(scanner *sc) {
    while (sc->pos < sc->n) {
        unsigned char c = sc->s[sc->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        sc->pos++;
    }
}

static llmd_status expected(scanner *sc, const char *what) {
    if (sc->pos >= sc->n)
        return llmd_fail(LLMD_ERR_PARSE, "JSON: unexpected end of input at byte %zu, expected %s", sc->pos, what);
    return llmd_fail(LLMD_ERR_PARSE, "JSON: unexpected character '%c' at byte %zu, expected %s",
                     sc->s[sc->pos] >= 0x20 && sc->s[sc->pos] < 0x7f ? sc->s[sc->pos] : '?', sc->pos, what);
}

static int hexval(unsigned char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

static bool read_hex4(const unsigned char *p, uint32_t *v) {
    uint32_t x = 0;
    for (int i = 0; i < 4; i++) {
        int h = hexval(p[i]);
        if (h < 0) return false;
        x = x << 4 | (uint32_t)h;
    }
    *v = x;
    return true;
}

/* Validates a string starting at '"'; leaves pos after the closing quote. */
static llmd_status scan_string(scanner *sc) {
    size_t start = sc->pos++;
    while (sc->pos < sc->n) {
        sc->pos = llmd_json_plain_run(sc->s, sc->pos, sc->n);
        if (sc->pos >= sc->n) break;
        unsigned char c = sc->s[sc->pos];
        if (c == '"') { sc->pos++; return LLMD_OK; }
        if (c == '\\') {
            if (sc->pos + 1 >= sc->n) break;
            unsigned char e = sc->s[sc->pos + 1];
            if (e == 'u') {
                uint32_t v;
                if (sc->pos + 6 > sc->n || !read_hex4(sc->s + sc->pos + 2, &v))
                    return llmd_fail(LLMD_ERR_PARSE, "JSON: bad \\u escape at byte %zu", sc->pos);
                sc->pos += 6;
            } else if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
                       e == 't') {
                sc->pos += 2;
            } else {
                return llmd_fail(LLMD_ERR_PARSE, "JSON: bad escape '\\%c' at byte %zu", e >= 0x20 && e < 0x7f ? e : '?', sc->pos);
            }
            continue;
        }
        if (c < 0x20)
            return llmd_fail(LLMD_ERR_PARSE, "JSON: unescaped control character 0x%02x in string at byte %zu", c, sc->pos);
        if (c < 0x80) { sc->pos++; continue; }
        uint32_t cp;
        size_t len = llmd_utf8_decode(sc->s + sc->pos, sc->n - sc->pos, &cp);
        if (len == 0) return llmd_fail(LLMD_ERR_UTF8, "JSON: invalid UTF-8 at byte %zu", sc->pos);
        sc->pos += len;
    }
    return llmd_fail(LLMD_ERR_PARSE, "JSON: unterminated string starting at byte %zu", start);
}

/* Bytes of s[p..n) that need a look in a JSON string ('"', '\\', controls, non-ASCII), 16 at a
 * time, as a bit mask (bit k = s[p + k]). */
#if defined(__SSE2__)
static inline unsigned special16(__m128i v) {
    __m128i m = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')));
    /* max(v, 0x1F) == 0x1F  <=>  v <= 0x1F (unsigned) */
    m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1F)), _mm_set1_epi8(0x1F)));
    return (unsigned)(_mm_movemask_epi8(m) | _mm_movemask_epi8(v));
}
#endif

#if defined(__x86_64__) && defined(__GNUC__)
#define LLMD_JSON_AVX512 1
#include <immintrin.h>

/* Whether the CPU has AVX-512 BW + VBMI2 (byte compress/expand); asked once per process. */
static bool cpu_has_vbmi2(void) {
    static int v = -1;   /* a benign race: every thread computes the same value */
    int got = __atomic_load_n(&v, __ATOMIC_RELAXED);
    if (got < 0) {
        __builtin_cpu_init();
        got = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vbmi2") && __builtin_cpu_supports("bmi2") && llmd_utf8_wide_cpu();
        __atomic_store_n(&v, got, __ATOMIC_RELAXED);
    }
    return got != 0;
}

/* What the byte after a backslash decodes to as a one-character escape, by its value (0: not
 * one of them): "\n" -> 0x0A, "\t", "\r", "\b", "\f", and '"', '\\', '/' for themselves. */
static const unsigned char unescape_table[128] = {['n'] = '\n', ['t'] = '\t', ['r'] = '\r', ['b'] = '\b', ['f'] = '\f',
                                                  ['"'] = '"', ['\\'] = '\\', ['/'] = '/'};

/* The common case of scan_decode_string 64 bytes at a time: plain text and one-character escapes
 * ("\n", "\"", ...) are decoded with one compress per block.  Everything else -- "\u", a
 * backslash pair, the closing quote, a control character, a bad escape, the last 64 bytes of the
 * input -- is left to the byte-wise loop: this returns the input position it got to (and moves
 * *o on) and never fails.  Non-ASCII bytes are copied as they are and reported in *high (the
 * caller validates them).  out must have room for 64 bytes past every block's output. */
__attribute__((target("avx512f,avx512bw,avx512vbmi,avx512vbmi2,popcnt"))) static size_t decode_blocks64(const unsigned char *s,
                                                                                      size_t p, size_t n,
                                                                                      unsigned char **o,
                                                                                      uint64_t *high) {
    unsigned char *w = *o;
    uint64_t hi = 0;
    const __m512i quote = _mm512_set1_epi8('"'), bslash = _mm512_set1_epi8('\\'), ctl = _mm512_set1_epi8(0x1F);
    const __m512i tlo = _mm512_loadu_si512((const void *)unescape_table);
    const __m512i thi = _mm512_loadu_si512((const void *)(unescape_table + 64));
    while (p + 65 <= n) {
        __m512i v = _mm512_loadu_si512((const void *)(s + p));
        uint64_t B = _mm512_cmpeq_epi8_mask(v, bslash);
        /* Up to the first backslash pair (which backslash escapes which needs a sequential look);
         * before it every backslash starts an escape and the byte after it is escaped. */
        uint64_t pair = B & (B << 1);
        unsigned len = pair ? (unsigned)__builtin_ctzll(pair) - 1 : 64u;
        uint64_t stop = (_mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmple_epu8_mask(v, ctl)) & ~(B << 1);
        if (stop && (unsigned)__builtin_ctzll(stop) < len) len = (unsigned)__builtin_ctzll(stop);
        if (len == 0) break;
        uint64_t L = len == 64 ? ~(uint64_t)0 : ((uint64_t)1 << len) - 1;
        B &= L;
        if ((B >> (len - 1)) & 1) {   /* the escaped byte is past the block: stop before the backslash */
            len--;
            L >>= 1;
            B &= L;
        }
        if (B) {
            __m512i nx = _mm512_loadu_si512((const void *)(s + p + 1));
            /* One 128-entry table look-up (the low 7 bits of each byte) decodes every escape. */
            __m512i un = _mm512_permutex2var_epi8(tlo, nx, thi);
            uint64_t simple = _mm512_test_epi8_mask(un, un) & ~_mm512_movepi8_mask(nx);
            if (B & ~simple) {   /* "\u" or a bad escape: up to it */
                len = (unsigned)__builtin_ctzll(B & ~simple);
                L = len ? ((uint64_t)1 << len) - 1 : 0;
                B &= L;
            }
            v = _mm512_mask_blend_epi8(B, v, un);
        }
        if (len == 0) break;
        uint64_t keep = L & ~(B << 1);
        hi |= _mm512_movepi8_mask(v) & L;
        _mm512_storeu_si512((void *)w, _mm512_maskz_compress_epi8(keep, v));
        w += __builtin_popcountll(keep);
        p += len;
        if (len < 63) break;   /* the byte-wise loop's turn */
    }
    *o = w;
    *high |= hi;
    return p;
}
#endif

#if defined(LLMD_JSON_AVX512)
/* The letter of a control character's two-character escape, by its value (0: it needs
 * "\u00XX"). */
static const unsigned char escape_letter_table[32] = {['\n'] = 'n', ['\t'] = 't', ['\r'] = 'r', ['\b'] = 'b', ['\f'] = 'f'};

/* The common case of put_json_string 32 input bytes at a time: plain bytes are copied and '"',
 * '\\', "\n", "\t", "\r", "\b", "\f" get their two-character escapes, all with one expand per
 * block.  Stops before any other control character (a "\u00XX" escape, done byte-wise) and when
 * fewer than 32 input bytes are left.  Non-ASCII bytes are copied and reported in *high (the
 * caller validates them).  w must have room for 64 bytes past every block's output. */
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2"))) static size_t escape_blocks32(
    const unsigned char *s, size_t p, size_t n, char **out, char *limit, uint64_t *high) {
    char *w = *out;
    uint32_t hi = 0;
    const __m256i ctl = _mm256_set1_epi8(0x1F);
    const __m256i letters = _mm256_loadu_si256((const __m256i *)(const void *)escape_letter_table);
    while (p + 32 <= n && w + 64 <= limit) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + p));
        uint32_t C = _mm256_cmple_epu8_mask(v, ctl);
        uint32_t E = _mm256_cmpeq_epi8_mask(v, _mm256_set1_epi8('"')) | _mm256_cmpeq_epi8_mask(v, _mm256_set1_epi8('\\'));
        /* The escape letters of the controls (a look-up by the low 5 bits); '"' and '\\' are
         * their own. */
        __m256i lt = _mm256_permutexvar_epi8(v, letters);
        uint32_t short_ctl = C & _mm256_test_epi8_mask(lt, lt);
        unsigned len = 32;
        uint32_t L = ~(uint32_t)0;
        if (C & ~short_ctl) {   /* a control character that needs "\u00XX": up to it */
            len = (unsigned)__builtin_ctz(C & ~short_ctl);
            if (len == 0) break;
            L = ((uint32_t)1 << len) - 1;
        }
        E = (E | C) & L;
        hi |= (uint32_t)_mm256_movemask_epi8(v) & L;
        if (E == 0) {
            _mm256_storeu_si256((__m256i *)(void *)w, v);
            w += len;
        } else {
            /* Output bit pattern: one set bit per input byte, a clear bit (the backslash) before
             * each escaped one. */
            uint64_t Z = 0;
            unsigned extra = 0;
            for (uint32_t e = E; e; e &= e - 1) Z |= (uint64_t)1 << ((unsigned)__builtin_ctz(e) + extra++);
            unsigned olen = len + extra;
            uint64_t M = (olen == 64 ? ~(uint64_t)0 : ((uint64_t)1 << olen) - 1) & ~Z;
            __m512i wide = _mm512_zextsi256_si512(_mm256_mask_blend_epi8(C, v, lt));
            __m512i o = _mm512_maskz_expand_epi8(M, wide);
            o = _mm512_mask_blend_epi8(Z, o, _mm512_set1_epi8('\\'));
            _mm512_storeu_si512((void *)w, o);
            w += olen;
        }
        p += len;
        if (len < 32) break;
    }
    *out = w;
    *high |= hi;
    return p;
}
#endif

/* scan_string and decode_string in one pass: validates the string starting at '"' exactly as
 * scan_string does (same errors at the same offsets), leaves pos after the closing quote and
 * writes the decoded bytes to out (replacing its content).  Plain text is copied 16 bytes at a
 * time while looking for the next byte that needs care; the output is never longer than the
 * input, and 16 bytes of slack are reserved for the wide stores. */
static llmd_status scan_decode_string_with(scanner *sc, llmd_buf *out, bool wide, uint64_t *high) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n, start = sc->pos;
    llmd_buf_reset(out);
    llmd_status st = llmd_buf_reserve(out, n - start + 16);
    if (st != LLMD_OK) return st;
    unsigned char *o = (unsigned char *)out->data;
    size_t p = start + 1;
    (void)wide;
    (void)high;
    for (;;) {
#if defined(LLMD_JSON_AVX512)
        /* Room: a block is taken only with 65 input bytes left, and the output is never longer
         * than the input taken. */
        if (wide && p + 65 <= n) p = decode_blocks64(s, p, n, &o, high);
#endif
#if defined(__SSE2__)
        while (p + 16 <= n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + p));
            _mm_storeu_si128((__m128i *)(void *)o, v);
            unsigned m = special16(v);
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                o += k;
                p += k;
                break;
            }
            o += 16;
            p += 16;
        }
#endif
        while (p < n) {
            unsigned char c = s[p];
            if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
            *o++ = c;
            p++;
        }
        if (p >= n) break;
        unsigned char c = s[p];
        if (c == '"') {
            sc->pos = p + 1;
            out->len = (size_t)((char *)o - out->data);
            out->data[out->len] = '\0';
            return LLMD_OK;
        }
        if (c == '\\') {
            if (p + 1 >= n) break;
            unsigned char e = s[p + 1];
            uint32_t v, lo;
            switch (e) {
            case 'b': *o++ = '\b'; p += 2; continue;
            case 'f': *o++ = '\f'; p += 2; continue;
            case 'n': *o++ = '\n'; p += 2; continue;
            case 'r': *o++ = '\r'; p += 2; continue;
            case 't': *o++ = '\t'; p += 2; continue;
            case '"': case '\\': case '/': *o++ = e; p += 2; continue;
            case 'u':
                if (p + 6 > n || !read_hex4(s + p + 2, &v)) {
                    sc->pos = p;
                    return llmd_fail(LLMD_ERR_PARSE, "JSON: bad \\u escape at byte %zu", p);
                }
                p += 6;
                /* A high surrogate takes the low one that follows it; a lone one (not
                 * representable in UTF-8) decodes to U+FFFD, as decode_string does. */
                if (v >= 0xD800 && v <= 0xDBFF && p + 6 <= n && s[p] == '\\' && s[p + 1] == 'u' &&
                    read_hex4(s + p + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                } else if (v >= 0xD800 && v <= 0xDFFF) {
                    v = 0xFFFD;
                }
                o += llmd_utf8_encode(v, o);
                continue;
            default:
                sc->pos = p;
                return llmd_fail(LLMD_ERR_PARSE, "JSON: bad escape '\\%c' at byte %zu", e >= 0x20 && e < 0x7f ? e : '?', p);
            }
        }
        if (c < 0x20) {
            sc->pos = p;
            return llmd_fail(LLMD_ERR_PARSE, "JSON: unescaped control character 0x%02x in string at byte %zu", c, p);
        }
        uint32_t cp;
        size_t len = llmd_utf8_decode(s + p, n - p, &cp);
        if (len == 0) {
            sc->pos = p;
            return llmd_fail(LLMD_ERR_UTF8, "JSON: invalid UTF-8 at byte %zu", p);
        }
        memcpy(o, s + p, len);
        o += len;
        p += len;
    }
    sc->pos = p;
    return llmd_fail(LLMD_ERR_PARSE, "JSON: unterminated string starting at byte %zu", start);
}

/* scan_decode_string_with, 64 bytes at a time where the CPU allows.  The wide path copies
 * non-ASCII bytes unchecked; they are validated once at the end (escapes only ever decode to
 * well-formed UTF-8, so the output is valid exactly when the raw bytes are), and a string that
 * fails anywhere is scanned again byte by byte, so errors name the same offset either way. */
static llmd_status scan_decode_string(scanner *sc, llmd_buf *out) {
#if defined(LLMD_JSON_AVX512)
    if (cpu_has_vbmi2()) {
        const size_t start = sc->pos;
        uint64_t high = 0;
        llmd_status st = scan_decode_string_with(sc, out, true, &high);
        if (st == LLMD_OK && (high == 0 || llmd_utf8_valid_wide((const unsigned char *)out->data, out->len)))
            return LLMD_OK;
        if (st != LLMD_OK && high == 0) return st;
        sc->pos = start;
    }
#endif
    return scan_decode_string_with(sc, out, false, NULL);
}

static bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

static llmd_status scan_number(scanner *sc) {
    size_t p = sc->pos;
    if (p < sc->n && sc->s[p] == '-') p++;
    if (p >= sc->n || !is_digit(sc->s[p])) { sc->pos = p; return expected(sc, "a digit"); }
    if (sc->s[p] == '0') p++;
    else while (p < sc->n && is_digit(sc->s[p])) p++;
    if (p < sc->n && sc->s[p] == '.') {
        p++;
        if (p >= sc->n || !is_digit(sc->s[p])) { sc->pos = p; return expected(sc, "a digit after '.'"); }
        while (p < sc->n && is_digit(sc->s[p])) p++;
    }
    if (p < sc->n && (sc->s[p] == 'e' || sc->s[p] == 'E')) {
        p++;
        if (p < sc->n && (sc->s[p] == '+' || sc->s[p] == '-')) p++;
        if (p >= sc->n || !is_digit(sc->s[p])) { sc->pos = p; return expected(sc, "an exponent digit"); }
        while (p < sc->n && is_digit(sc->s[p])) p++;
    }
    sc->pos = p;
    return LLMD_OK;
}

static llmd_status scan_literal(scanner *sc, const char *word) {
    size_t len = strlen(word);
    if (sc->n - sc->pos < len || memcmp(sc->s + sc->pos, word, len) != 0) return expected(sc, "a JSON value");
    sc->pos += len;
    return LLMD_OK;
}

static llmd_status scan_container(scanner *sc, char close) {
    if (++sc->depth > MAX_DEPTH)
        return llmd_fail(LLMD_ERR_PARSE, "JSON: nesting deeper than %d at byte %zu", MAX_DEPTH, sc->pos);
    sc->pos++;
    skip_ws(sc);
    if (sc->pos < sc->n && sc->s[sc->pos] == close) { sc->pos++; sc->depth--; return LLMD_OK; }
    for (;;) {
        llmd_status st;
        if (close == '}') {
            if (sc->pos >= sc->n || sc->s[sc->pos] != '"') return expected(sc, "a member name string");
            if ((st = scan_string(sc)) != LLMD_OK) return st;
            skip_ws(sc);
            if (sc->pos >= sc->n || sc->s[sc->pos] != ':') return expected(sc, "':'");
            sc->pos++;
            skip_ws(sc);
        }
        if ((st = scan_value(sc)) != LLMD_OK) return st;
        skip_ws(sc);
        if (sc->pos < sc->n && sc->s[sc->pos] == ',') { sc->pos++; skip_ws(sc); continue; }
        if (sc->pos < sc->n && sc->s[sc->pos] == close) { sc->pos++; sc->depth--; return LLMD_OK; }
        return expected(sc, close == '}' ? "',' or '}'" : "',' or ']'");
    }
}

static llmd_status scan_value(scanner *sc) {
    if (sc->pos >= sc->n) return expected(sc, "a JSON value");
    switch (sc->s[sc->pos]) {
    case '{': return scan_container(sc, '}');
    case '[': return scan_container(sc, ']');
    case '"': return scan_string(sc);
    case 't': return scan_literal(sc, "true");
    case 'f': return scan_literal(sc, "false");
    case 'n': return scan_literal(sc, "null");
    default: return scan_number(sc);
    }
}

/* Decodes the JSON string literal s[0..n) (quotes included, already validated) into out.
 * Text between escapes is copied 16 bytes at a time while looking for the next backslash (the
 * output is never longer than the input; 16 bytes of slack are reserved for the wide stores). */
static llmd_status decode_string(const unsigned char *s, size_t n, llmd_buf *out) {
    llmd_buf_reset(out);
    llmd_status st = llmd_buf_reserve(out, n + 16);
    if (st != LLMD_OK) return st;
    unsigned char *o = (unsigned char *)out->data;
    size_t i = 1, end = n - 1;
    while (i < end) {
#if defined(__SSE2__)
        const __m128i bslash = _mm_set1_epi8('\\');
        while (i + 16 <= end) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)o, v);
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash));
            if (m) {
                unsigned k = (unsigned)__builtin_ctz(m);
                o += k;
                i += k;
                goto escape;
            }
            o += 16;
            i += 16;
        }
#endif
        while (i < end && s[i] != '\\') *o++ = s[i++];
        if (i >= end) break;
#if defined(__SSE2__)
    escape:
#endif
        {
            unsigned char e = s[i + 1];
            switch (e) {
            case 'b': *o++ = '\b'; break;
            case 'f': *o++ = '\f'; break;
            case 'n': *o++ = '\n'; break;
            case 'r': *o++ = '\r'; break;
            case 't': *o++ = '\t'; break;
            case 'u': {
                uint32_t v = 0, lo = 0;
                read_hex4(s + i + 2, &v);
                i += 6;
                if (v >= 0xD800 && v <= 0xDBFF && i + 6 <= end && s[i] == '\\' && s[i + 1] == 'u' &&
                    read_hex4(s + i + 2, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
                    v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                    i += 6;
                } else if (v >= 0xD800 && v <= 0xDFFF) {
                    v = 0xFFFD;  /* lone surrogate: not representable in UTF-8 */
                }
                /* 6 or 12 input bytes become at most 4. */
                o += llmd_utf8_encode(v, o);
                continue;
            }
            default: *o++ = e; /* " \ / */
            }
            i += 2;
        }
    }
    out->len = (size_t)((char *)o - out->data);
    out->data[out->len] = '\0';
    return LLMD_OK;
}

llmd_status llmd_json_doc_new(llmd_json_doc **out) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_new: out is NULL");
    *out = llmd_calloc(1, sizeof **out);
    if (*out == NULL) return llmd_fail_nomem("creating a JSON document");
    (*out)->decoded_member = SIZE_MAX;
    return LLMD_OK;
}

static void clear_members(llmd_json_doc *doc) {
    doc->count = 0;
    doc->decoded_member = SIZE_MAX;
    llmd_buf_reset(&doc->edits);
    llmd_buf_reset(&doc->keys);
}

void llmd_json_doc_free(llmd_json_doc *doc) {
    if (doc == NULL) return;
    clear_members(doc);
    llmd_free(doc->members);
    llmd_buf_free(&doc->src);
    llmd_buf_free(&doc->edits);
    llmd_buf_free(&doc->decoded);
    llmd_buf_free(&doc->rendered);
    llmd_buf_free(&doc->keys);
    llmd_buf_free(&doc->hint);
    llmd_free(doc);
}

static llmd_status add_member(llmd_json_doc *doc, const member *m) {
    if (doc->count == doc->cap) {
        size_t cap = doc->cap ? doc->cap * 2 : 16;
        member *p = llmd_realloc(doc->members, doc->cap * sizeof *p, cap * sizeof *p);
        if (p == NULL) return llmd_fail_nomem("parsing JSON");
        doc->members = p;
        doc->cap = cap;
    }
    doc->members[doc->count++] = *m;
    return LLMD_OK;
}

/* Appends key[0..len) and a NUL to doc->keys; *off tells where it starts. */
static llmd_status keep_key(llmd_json_doc *doc, const char *key, size_t len, size_t *off) {
    *off = doc->keys.len;
    llmd_status st = llmd_buf_append(&doc->keys, key, len);
    if (st == LLMD_OK) st = llmd_buf_putc(&doc->keys, '\0');
    if (st != LLMD_OK) doc->keys.len = *off;
    return st;
}

static const char *member_key(const llmd_json_doc *doc, const member *m) { return doc->keys.data + m->key_off; }

/* Records the member whose quoted key is src[ks..ke) (validated); its decoded key goes to
 * doc->keys, so the decoded-value buffer is left alone. */
static llmd_status record_key(llmd_json_doc *doc, size_t ks, size_t ke) {
    const unsigned char *s = (const unsigned char *)doc->src.data;
    member m = {.key_start = ks, .key_end = ke, .key_off = doc->keys.len};
    llmd_status st;
    if (memchr(s + ks + 1, '\\', ke - ks - 2) == NULL) {
        st = keep_key(doc, (const char *)s + ks + 1, ke - ks - 2, &m.key_off);
    } else {
        if ((st = decode_string(s + ks, ke - ks, &doc->rendered)) != LLMD_OK) return st;
        st = keep_key(doc, doc->rendered.data, doc->rendered.len, &m.key_off);
    }
    if (st != LLMD_OK) return st;
    m.key_len = doc->keys.len - 1 - m.key_off;
    return add_member(doc, &m);
}

static bool is_hint(const llmd_json_doc *doc, const member *m) {
    return doc->has_hint && m->key_len == doc->hint.len && memcmp(member_key(doc, m), doc->hint.data, m->key_len) == 0;
}

/* Gives a buffer far larger than the line now parsed back to the allocator.  A document reused
 * line after line (the CLI keeps a pool of them) would otherwise keep, in each of its buffers,
 * room for the largest line it ever held: every pooled document ends up pinning several times
 * the largest line, and each first touch of that memory is a page fault.  Returned, the memory is
 * reused by whichever document needs it next.  Doubling growth leaves at most 2x: 8x is far. */
static void fit_buf(llmd_buf *b, size_t len) {
    if (b->cap > ((size_t)16 << 10) && b->cap / 4 > len) llmd_buf_free(b);
}

llmd_status llmd_json_doc_parse(llmd_json_doc *doc, const char *json, size_t len) {
    if (doc == NULL || (json == NULL && len))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_parse: NULL argument");
    clear_members(doc);
    fit_buf(&doc->src, len);
    fit_buf(&doc->decoded, len);
    fit_buf(&doc->edits, len);
    fit_buf(&doc->rendered, len);
    llmd_buf_reset(&doc->src);
    llmd_status st = llmd_buf_append(&doc->src, json, len);
    if (st != LLMD_OK) return st;
    scanner sc = {(const unsigned char *)doc->src.data, len, 0, 1};
    skip_ws(&sc);
    if (sc.pos >= sc.n) return llmd_fail(LLMD_ERR_PARSE, "JSON: empty input, expected an object");
    if (sc.s[sc.pos] != '{') {
        size_t at = sc.pos;
        if ((st = scan_value(&sc)) != LLMD_OK) return st;
        return llmd_fail(LLMD_ERR_SCHEMA, "JSON: expected an object at byte %zu, found another value", at);
    }
    /* Walk the top-level object member by member, validating nested values with the scanner. */
    sc.pos++;
    skip_ws(&sc);
    if (sc.pos < sc.n && sc.s[sc.pos] == '}') {
        sc.pos++;
    } else {
        for (;;) {
            if (sc.pos >= sc.n || sc.s[sc.pos] != '"') return expected(&sc, "a member name string");
            size_t ks = sc.pos;
            if ((st = scan_string(&sc)) != LLMD_OK) return st;
            size_t ke = sc.pos;
            skip_ws(&sc);
            if (sc.pos >= sc.n || sc.s[sc.pos] != ':') return expected(&sc, "':'");
            sc.pos++;
            skip_ws(&sc);
            size_t vs = sc.pos;
            if ((st = record_key(doc, ks, ke)) != LLMD_OK) return st;
            member *m = &doc->members[doc->count - 1];
            if (sc.pos < sc.n && sc.s[sc.pos] == '"' && is_hint(doc, m)) {
                /* The field the caller reads: decoded as it is validated (a later member of the
                 * same name replaces it, as get_string returns the last one). */
                doc->decoded_member = SIZE_MAX;
                if ((st = scan_decode_string(&sc, &doc->decoded)) != LLMD_OK) return st;
                doc->decoded_member = doc->count - 1;
            } else if ((st = scan_value(&sc)) != LLMD_OK) {
                return st;
            }
            m->value_start = vs;
            m->value_end = sc.pos;
            skip_ws(&sc);
            if (sc.pos < sc.n && sc.s[sc.pos] == ',') { sc.pos++; skip_ws(&sc); continue; }
            if (sc.pos < sc.n && sc.s[sc.pos] == '}') { sc.pos++; break; }
            return expected(&sc, "',' or '}'");
        }
    }
    skip_ws(&sc);
    if (sc.pos != sc.n) return expected(&sc, "end of input after the object");
    return LLMD_OK;
}

static member *find_member(const llmd_json_doc *doc, const char *key) {
    size_t klen = strlen(key);
    for (size_t i = doc->count; i-- > 0;) {
        member *m = &doc->members[i];
        if (!m->removed && m->key_len == klen && memcmp(member_key(doc, m), key, klen) == 0) return m;
    }
    return NULL;
}

llmd_status llmd_json_doc_get_string(llmd_json_doc *doc, const char *key, const char **value, size_t *len) {
    if (doc == NULL || key == NULL || value == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_get_string: NULL argument");
    member *m = find_member(doc, key);
    if (m == NULL) return llmd_fail(LLMD_ERR_NOT_FOUND, "JSON: no field \"%s\"", key);
    const char *raw = m->edited ? doc->edits.data + m->edit_start : doc->src.data + m->value_start;
    size_t rlen = m->edited ? m->edit_len : m->value_end - m->value_start;
    if (rlen == 0 || raw[0] != '"') return llmd_fail(LLMD_ERR_SCHEMA, "JSON: field \"%s\" is not a string", key);
    size_t index = (size_t)(m - doc->members);
    if (!is_hint(doc, m)) {
        /* Remember the key: the next parse decodes its value in the same pass. */
        size_t klen = strlen(key);
        llmd_buf_reset(&doc->hint);
        doc->has_hint = llmd_buf_append(&doc->hint, key, klen) == LLMD_OK;
    }
    if (doc->decoded_member != index) {
        doc->decoded_member = SIZE_MAX;
        llmd_status st = decode_string((const unsigned char *)raw, rlen, &doc->decoded);
        if (st != LLMD_OK) return st;
        doc->decoded_member = index;
    }
    *value = doc->decoded.data ? doc->decoded.data : "";
    if (len) *len = doc->decoded.len;
    return LLMD_OK;
}

llmd_status llmd_json_doc_get_raw(const llmd_json_doc *doc, const char *key, const char **raw, size_t *len) {
    if (doc == NULL || key == NULL || raw == NULL || len == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_get_raw: NULL argument");
    member *m = find_member(doc, key);
    if (m == NULL) return llmd_fail(LLMD_ERR_NOT_FOUND, "JSON: no field \"%s\"", key);
    *raw = m->edited ? doc->edits.data + m->edit_start : doc->src.data + m->value_start;
    *len = m->edited ? m->edit_len : m->value_end - m->value_start;
    return LLMD_OK;
}

/* Makes edits[at .. at+len) (valid JSON already there) the new value of key. */
static llmd_status record_edit(llmd_json_doc *doc, const char *key, size_t at, size_t len) {
    llmd_status st;
    doc->decoded_member = SIZE_MAX;
    member *m = find_member(doc, key);
    if (m == NULL) {
        member nm = {0};
        nm.key_len = strlen(key);
        if ((st = keep_key(doc, key, nm.key_len, &nm.key_off)) != LLMD_OK) return st;
        nm.key_start = nm.key_end = nm.value_start = nm.value_end = SIZE_MAX; /* marks "added" */
        if ((st = add_member(doc, &nm)) != LLMD_OK) return st;
        m = &doc->members[doc->count - 1];
    }
    m->edited = true;
    m->edit_start = at;
    m->edit_len = len;
    return LLMD_OK;
}

/* Stores raw (already valid) JSON as the new value of key. */
static llmd_status set_valid_raw(llmd_json_doc *doc, const char *key, const char *raw, size_t len) {
    size_t at = doc->edits.len;
    llmd_status st = llmd_buf_append(&doc->edits, raw, len);
    if (st == LLMD_OK) st = record_edit(doc, key, at, len);
    if (st != LLMD_OK) doc->edits.len = at;
    return st;
}

llmd_status llmd_json_doc_set_raw(llmd_json_doc *doc, const char *key, const char *raw, size_t len) {
    if (doc == NULL || key == NULL || (raw == NULL && len))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_set_raw: NULL argument");
    scanner sc = {(const unsigned char *)raw, len, 0, 0};
    skip_ws(&sc);
    llmd_status st = scan_value(&sc);
    if (st == LLMD_OK) {
        skip_ws(&sc);
        if (sc.pos != sc.n) st = expected(&sc, "end of the value");
    }
    if (st != LLMD_OK) return llmd_error_prefix("llmd_json_doc_set_raw(\"%s\")", key);
    return set_valid_raw(doc, key, raw, len);
}

/* One byte of a JSON string as llmd_buf_put_json_string writes it, except that a non-ASCII byte
 * is copied unchecked (put_json_string validates them all at the end).  Room for 6 bytes must be
 * reserved. */
static void put_json_byte(llmd_buf *b, unsigned char c) {
    static const char hex[] = "0123456789abcdef";
    char *w = b->data + b->len;
    if (c >= 0x20 && c != '"' && c != '\\') {
        *w = (char)c;
        b->len++;
        return;
    }
    w[0] = '\\';
    switch (c) {
    case '"': w[1] = '"'; b->len += 2; return;
    case '\\': w[1] = '\\'; b->len += 2; return;
    case '\n': w[1] = 'n'; b->len += 2; return;
    case '\r': w[1] = 'r'; b->len += 2; return;
    case '\t': w[1] = 't'; b->len += 2; return;
    case '\b': w[1] = 'b'; b->len += 2; return;
    case '\f': w[1] = 'f'; b->len += 2; return;
    default:
        memcpy(w + 1, "u00", 3);
        w[4] = hex[c >> 4];
        w[5] = hex[c & 15];
        b->len += 6;
    }
}

/* Appends value[0..n) as a JSON string literal: the same bytes as llmd_buf_put_json_string
 * (which it falls back to), 32 input bytes per step where the CPU allows (escape_blocks32).
 * Non-ASCII bytes are copied as they come and the text is validated once at the end; text that
 * is not valid UTF-8 is written again by llmd_buf_put_json_string, which replaces the bad bytes. */
static llmd_status put_json_string(llmd_buf *b, const char *value, size_t n) {
#if defined(LLMD_JSON_AVX512)
    if (n >= 32 && cpu_has_vbmi2()) {
        const unsigned char *s = (const unsigned char *)value;
        const size_t base = b->len;
        uint64_t high = 0;
        llmd_status st = llmd_buf_reserve(b, n + n / 8 + 80);
        size_t p = 0;
        if (st == LLMD_OK) b->data[b->len++] = '"';
        while (st == LLMD_OK && p < n) {
            if (b->cap - b->len < 80 && (st = llmd_buf_reserve(b, (n - p) + (n - p) / 8 + 80)) != LLMD_OK) break;
            char *w = b->data + b->len;
            p = escape_blocks32(s, p, n, &w, b->data + b->cap - 1, &high);
            b->len = (size_t)(w - b->data);
            /* The byte the blocks stopped at, or the last few: one at a time. */
            size_t stop = n - p < 32 ? n : p + 1;
            for (; p < stop && st == LLMD_OK; p++) {
                if ((st = llmd_buf_reserve(b, 8)) != LLMD_OK) break;
                high |= s[p] >> 7;
                put_json_byte(b, s[p]);
            }
        }
        if (st == LLMD_OK && (high == 0 || llmd_utf8_valid_wide(s, n))) {
            if ((st = llmd_buf_reserve(b, 1)) == LLMD_OK) {
                b->data[b->len++] = '"';
                b->data[b->len] = '\0';
            }
        } else if (st == LLMD_OK) {
            b->len = base;   /* invalid UTF-8: the byte-wise writer replaces it */
            b->data[base] = '\0';
            return llmd_buf_put_json_string(b, value, n);
        }
        if (st != LLMD_OK) {
            b->len = base;
            if (b->data) b->data[base] = '\0';
        }
        return st;
    }
#endif
    return llmd_buf_put_json_string(b, value, n);
}

llmd_status llmd_json_doc_set_string(llmd_json_doc *doc, const char *key, const char *value, size_t len) {
    if (doc == NULL || key == NULL || (value == NULL && len))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_set_string: NULL argument");
    /* Escaped straight into the edits buffer (no temporary copy). */
    size_t at = doc->edits.len;
    llmd_status st = put_json_string(&doc->edits, value ? value : "", len);
    if (st == LLMD_OK) st = record_edit(doc, key, at, doc->edits.len - at);
    if (st != LLMD_OK) doc->edits.len = at;
    return st;
}

llmd_status llmd_json_doc_remove(llmd_json_doc *doc, const char *key) {
    if (doc == NULL || key == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_remove: NULL argument");
    member *m;
    doc->decoded_member = SIZE_MAX;
    while ((m = find_member(doc, key)) != NULL) m->removed = true;
    return LLMD_OK;
}

llmd_status llmd_json_doc_render(llmd_json_doc *doc, const char **out, size_t *len) {
    if (doc == NULL || out == NULL || len == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_json_doc_render: NULL argument");
    llmd_buf *b = &doc->rendered;
    llmd_buf_reset(b);
    llmd_status st = llmd_buf_putc(b, '{');
    bool first = true;
    for (size_t i = 0; i < doc->count && st == LLMD_OK; i++) {
        const member *m = &doc->members[i];
        if (m->removed) continue;
        if (!first) st = llmd_buf_putc(b, ',');
        first = false;
        if (m->key_start == SIZE_MAX) {  /* added member */
            st = llmd_buf_put_json_string(b, member_key(doc, m), m->key_len);
            if (st == LLMD_OK) st = llmd_buf_putc(b, ':');
        } else {  /* original key, colon and spacing */
            st = llmd_buf_append(b, doc->src.data + m->key_start, m->value_start - m->key_start);
        }
        if (st != LLMD_OK) break;
        if (m->edited) st = llmd_buf_append(b, doc->edits.data + m->edit_start, m->edit_len);
        else st = llmd_buf_append(b, doc->src.data + m->value_start, m->value_end - m->value_start);
    }
    if (st == LLMD_OK) st = llmd_buf_putc(b, '}');
    if (st != LLMD_OK) return st;
    *out = b->data;
    *len = b->len;
    return LLMD_OK;
}
