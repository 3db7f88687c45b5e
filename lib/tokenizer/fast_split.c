/* Hand-written splitters.  Each function finds the match the regex would find at `pos` (these
 * patterns match every character, so matches tile the text), trying the alternatives in order as
 * a backtracking engine does: the first alternative that matches wins, each quantifier greedy,
 * giving back characters only where a later part of the same alternative needs them.
 *
 * Character classes follow Unicode as utf8proc (15.0) has it: \p{L} = Lu Ll Lt Lm Lo,
 * \p{N} = Nd Nl No, \p{M} = Mn Mc Me, \s = White_Space. */
#include <string.h>
#include <utf8proc.h>

#include "common/internal.h"
#include "fast_split.h"

enum { C_L = 1, C_N = 2, C_WS = 4, C_CRLF = 8, C_UP = 16, C_LO = 32 };

static const char PAT_GPT2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char PAT_CL100K[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
                                 "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
/* tiktoken's current spelling of cl100k: possessive quantifiers and \s*[\r\n], same matches */
static const char PAT_CL100K_NEW[] = "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| "
                                     "?[^\\s\\p{L}\\p{N}]++[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+";
static const char PAT_QWEN[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
                               "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char PAT_O200K[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

int llmd_tok_fast_kind(const char *p, size_t n) {
#define IS(pat) (n == sizeof(pat) - 1 && memcmp(p, pat, n) == 0)
    if (IS(PAT_GPT2)) return LLMD_TOK_FAST_GPT2;
    if (IS(PAT_CL100K) || IS(PAT_CL100K_NEW)) return LLMD_TOK_FAST_CL100K;
    if (IS(PAT_QWEN)) return LLMD_TOK_FAST_QWEN;
    if (IS(PAT_O200K)) return LLMD_TOK_FAST_O200K;
#undef IS
    return LLMD_TOK_FAST_NONE;
}

const char *llmd_tok_fast_name(int kind) {
    switch (kind) {
    case LLMD_TOK_FAST_GPT2: return "gpt2";
    case LLMD_TOK_FAST_CL100K: return "cl100k";
    case LLMD_TOK_FAST_QWEN: return "qwen2";
    case LLMD_TOK_FAST_O200K: return "o200k";
    default: return NULL;
    }
}

/* ---- character classes ------------------------------------------------------------------------ */
static uint8_t cls_of_cp(uint32_t cp) {
    if (cp < 0x80) {
        if ((cp >= 'a' && cp <= 'z')) return C_L | C_LO;
        if ((cp >= 'A' && cp <= 'Z')) return C_L | C_UP;
        if (cp >= '0' && cp <= '9') return C_N;
        if (cp == '\r' || cp == '\n') return C_WS | C_CRLF;
        if (cp == ' ' || (cp >= 9 && cp <= 13)) return C_WS;
        return 0;
    }
    switch (cp) {
    case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
        return C_WS;
    default:
        if (cp >= 0x2000 && cp <= 0x200A) return C_WS;
    }
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT: return C_L | C_UP;
    case UTF8PROC_CATEGORY_LL: return C_L | C_LO;
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: return C_L | C_UP | C_LO;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: return C_UP | C_LO;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: return C_N;
    default: return 0;
    }
}

size_t llmd_tok_fast_u8len(const uint8_t *s, size_t len, size_t pos) {
    uint8_t c = s[pos];
    size_t l = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    return pos + l <= len ? l : 1;
}

/* Class of the character at i and its length. */
static inline uint8_t cls_at(const uint8_t *s, size_t len, size_t i, size_t *l) {
    uint8_t c = s[i];
    if (c < 0x80) {
        *l = 1;
        return cls_of_cp(c);
    }
    uint32_t cp;
    size_t k = llmd_utf8_decode(s + i, len - i, &cp);
    if (k == 0) {
        *l = 1;
        return 0;
    }
    *l = k;
    return cls_of_cp(cp);
}

/* End of the run of characters whose class has any bit of `want` and none of `deny`. */
static inline size_t run(const uint8_t *s, size_t len, size_t i, uint8_t want, uint8_t deny) {
    while (i < len) {
        size_t l;
        uint8_t c = cls_at(s, len, i, &l);
        if (!(c & want) || (c & deny)) break;
        i += l;
    }
    return i;
}

/* "other": not \s, \p{L}, \p{N} */
static inline size_t run_other(const uint8_t *s, size_t len, size_t i) {
    while (i < len) {
        size_t l;
        uint8_t c = cls_at(s, len, i, &l);
        if (c & (C_WS | C_L | C_N)) break;
        i += l;
    }
    return i;
}

static inline bool is_other(uint8_t c) { return !(c & (C_WS | C_L | C_N)); }

/* Does the character at i match ASCII letter `lc` (lower case), case-insensitively when ci?
 * Under (?i) 's' also matches U+017F LATIN SMALL LETTER LONG S (simple case folding). */
static inline size_t letter(const uint8_t *s, size_t len, size_t i, char lc, bool ci) {
    if (i >= len) return 0;
    if (s[i] == (uint8_t)lc) return 1;
    if (!ci) return 0;
    if (s[i] == (uint8_t)(lc - 32)) return 1;
    if (lc == 's' && i + 1 < len && s[i] == 0xC5 && s[i + 1] == 0xBF) return 2;
    return 0;
}

/* 's|'t|'re|'ve|'m|'ll|'d at i (s[i] == '\''): length matched, or 0. */
static size_t contraction(const uint8_t *s, size_t len, size_t i, bool ci) {
    if (i >= len || s[i] != '\'') return 0;
    size_t j = i + 1, a, b;
    if ((a = letter(s, len, j, 's', ci))) return 1 + a;
    if ((a = letter(s, len, j, 't', ci))) return 1 + a;
    if ((a = letter(s, len, j, 'r', ci)) && (b = letter(s, len, j + a, 'e', ci))) return 1 + a + b;
    if ((a = letter(s, len, j, 'v', ci)) && (b = letter(s, len, j + a, 'e', ci))) return 1 + a + b;
    if ((a = letter(s, len, j, 'm', ci))) return 1 + a;
    if ((a = letter(s, len, j, 'l', ci)) && (b = letter(s, len, j + a, 'l', ci))) return 1 + a + b;
    if ((a = letter(s, len, j, 'd', ci))) return 1 + a;
    return 0;
}

/* \s+(?!\S)|\s+ at i (a white-space character). */
static size_t ws_tail(const uint8_t *s, size_t len, size_t i) {
    size_t e = i, last = i;
    while (e < len) {
        size_t l;
        if (!(cls_at(s, len, e, &l) & C_WS)) break;
        last = e;
        e += l;
    }
    if (e == len || last == i) return e; /* at the end, or a single character: \s+ */
    return last;                         /* give the last space back to the next piece */
}

static size_t gpt2_at(const uint8_t *s, size_t len, size_t i) {
    size_t k = contraction(s, len, i, false);
    if (k) return i + k;
    size_t l;
    uint8_t c = cls_at(s, len, i, &l);
    size_t j = i;
    if (s[i] == ' ' && i + 1 < len) {
        size_t l2;
        uint8_t c2 = cls_at(s, len, i + 1, &l2);
        if (!(c2 & C_WS)) {
            c = c2;
            j = i + 1;
        }
    }
    if (c & C_L) return run(s, len, j, C_L, 0);
    if (c & C_N) return run(s, len, j, C_N, 0);
    if (!(c & C_WS)) return run_other(s, len, j);
    return ws_tail(s, len, i);
}

/* \s*[\r\n]+ at i: up to just after the last line break of the white-space run, or 0. */
static size_t ws_linebreak(const uint8_t *s, size_t len, size_t i) {
    size_t e = i, end = 0;
    while (e < len) {
        size_t l;
        uint8_t c = cls_at(s, len, e, &l);
        if (!(c & C_WS)) break;
        e += l;
        if (c & C_CRLF) end = e;
    }
    return end;
}

/* The alternatives cl100k-style patterns share after the letter ones:
 * \p{N}{1,max} | ' ?[^\s\p{L}\p{N}]+[\r\n]*' (o200k: [\r\n/]*) | \s*[\r\n]+ | \s+(?!\S) | \s+ */
static size_t digits_other_space(const uint8_t *s, size_t len, size_t i, uint8_t c, size_t max_digits, bool slash) {
    if (c & C_N) {
        size_t e = i;
        for (size_t d = 0; d < max_digits && e < len; d++) {
            size_t l2;
            if (!(cls_at(s, len, e, &l2) & C_N)) break;
            e += l2;
        }
        return e;
    }
    size_t j = i;
    uint8_t co = c;
    if (s[i] == ' ' && i + 1 < len) {
        size_t l2;
        uint8_t c2 = cls_at(s, len, i + 1, &l2);
        if (is_other(c2)) {
            j = i + 1;
            co = c2;
        }
    }
    if (is_other(co)) {
        size_t e = run_other(s, len, j);
        while (e < len && (s[e] == '\r' || s[e] == '\n' || (slash && s[e] == '/'))) e++;
        return e;
    }
    size_t e = ws_linebreak(s, len, i);
    if (e) return e;
    return ws_tail(s, len, i);
}

static size_t cl100k_at(const uint8_t *s, size_t len, size_t i, size_t max_digits) {
    size_t k = contraction(s, len, i, true);
    if (k) return i + k;
    size_t l;
    uint8_t c = cls_at(s, len, i, &l);
    if (c & C_L) return run(s, len, i, C_L, 0);
    if (!(c & (C_CRLF | C_N)) && i + l < len) { /* [^\r\n\p{L}\p{N}]?\p{L}+ with the prefix */
        size_t l2;
        if (cls_at(s, len, i + l, &l2) & C_L) return run(s, len, i + l, C_L, 0);
    }
    return digits_other_space(s, len, i, c, max_digits, false);
}

/* ---- o200k ------------------------------------------------------------------------------------- */
/* [UP]*[LO]+ contraction? at i (U* gives characters back until [LO]+ can match): end or 0. */
static size_t o200k_body1(const uint8_t *s, size_t len, size_t i) {
    size_t u_end = run(s, len, i, C_UP, 0);
    size_t j = u_end;
    for (;;) {
        size_t l;
        if (j < len && (cls_at(s, len, j, &l) & C_LO)) {
            size_t e = run(s, len, j, C_LO, 0);
            return e + contraction(s, len, e, true);
        }
        if (j == i) return 0;
        do j--; while (j > i && (s[j] & 0xC0) == 0x80);
    }
}

/* [UP]+[LO]* contraction? at i: end or 0. */
static size_t o200k_body2(const uint8_t *s, size_t len, size_t i) {
    size_t u_end = run(s, len, i, C_UP, 0);
    if (u_end == i) return 0;
    size_t e = run(s, len, u_end, C_LO, 0);
    return e + contraction(s, len, e, true);
}

static size_t o200k_at(const uint8_t *s, size_t len, size_t i) {
    size_t l;
    uint8_t c = cls_at(s, len, i, &l);
    bool prefix = !(c & (C_CRLF | C_L | C_N)); /* [^\r\n\p{L}\p{N}]? can take this character */
    size_t e;
    if (prefix && i + l < len && (e = o200k_body1(s, len, i + l))) return e;
    if ((e = o200k_body1(s, len, i))) return e;
    if (prefix && i + l < len && (e = o200k_body2(s, len, i + l))) return e;
    if ((e = o200k_body2(s, len, i))) return e;
    return digits_other_space(s, len, i, c, 3, true);
}

int llmd_tok_fast_search(int kind, const uint8_t *s, size_t len, size_t pos, size_t *ms, size_t *me) {
    if (pos >= len) return 0;
    size_t e;
    switch (kind) {
    case LLMD_TOK_FAST_GPT2: e = gpt2_at(s, len, pos); break;
    case LLMD_TOK_FAST_CL100K: e = cl100k_at(s, len, pos, 3); break;
    case LLMD_TOK_FAST_QWEN: e = cl100k_at(s, len, pos, 1); break;
    default: e = o200k_at(s, len, pos); break;
    }
    if (e <= pos) e = pos + llmd_tok_fast_u8len(s, len, pos); /* never stall */
    *ms = pos;
    *me = e;
    return 1;
}
