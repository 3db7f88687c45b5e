/* PII detectors.  One pass over the bytes finds trigger points ('@' for e-mail, the start of a
 * number for IPv4/SSN/cards/phones, '+' and '(' for phones, ':' for IPv6, an upper-case pair for
 * IBANs, well-known prefixes for secrets); each detector then works only around its trigger:
 * hand-written validators for the fixed shapes and anchored PCRE2 JIT patterns for phones and
 * IPv6.  Caller rules are unanchored PCRE2 JIT patterns run over the whole text.  Candidates are
 * resolved by (start, longest, type id) in llmd_text_find. */
#include <pthread.h>
#include <stdlib.h>
#include <strings.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text/redactor_internal.h"
#include "text/text_internal.h"

/* ---- character classes ------------------------------------------------------------------------ */

enum {
    C_WORD = 1,     /* [A-Za-z0-9_] */
    C_DIGIT = 2,
    C_UPPER = 4,
    C_HEX = 8,
    C_LOCAL = 16,   /* e-mail local part [A-Za-z0-9._%+-] */
    C_DOMAIN = 32,  /* [A-Za-z0-9-] */
    C_B64URL = 64,  /* [A-Za-z0-9_-] */
    C_ALNUM = 128
};
static uint8_t cls[256];
enum { T_NONE = 0, T_DIGIT, T_AT, T_PLUS, T_PAREN, T_COLON, T_UPPER, T_SECRET_LOWER, T_DASH };
static uint8_t trig[256];

#if defined(__x86_64__) && defined(__GNUC__)
#define LLMD_SCAN_AVX2 1
static bool use_avx2;   /* set once with the tables: the CPU runs the 32-byte scan */
static bool use_avx512; /* ... and the 64-byte one (AVX-512BW) */
static bool use_vbmi;   /* ... with byte look-ups (AVX-512 VBMI) instead of compares */
/* Byte look-up tables of the 64-byte scan (block_masks64_lut), indexed by the low 7 bits of the
 * bytes at p, p + 1 and p + 2; a candidate is a byte whose three look-ups share a bit.
 * Set P, lower-case secret prefixes: bit 0 aws, 1 gh, 2 git, 3 glp, 4 npm, 5 rk_/sk_, 6 xox,
 * 7 eyJ.  Set Q: bit 0 a digit, 1 two upper-case letters and a digit, 2 'A' + upper-case (these
 * three start detections at word starts), 3 '@', 4 '+'/'(' + digit, 5 ':' + hex digit or ':',
 * 6 "--" (non-word triggers), 7 a word character (for the word starts). */
static uint8_t lut_p[3][128], lut_q[3][128];
#endif

static void init_tables(void) {
    for (int c = 0; c < 256; c++) {
        uint8_t v = 0;
        bool dig = c >= '0' && c <= '9', up = c >= 'A' && c <= 'Z', lo = c >= 'a' && c <= 'z';
        if (dig || up || lo || c == '_') v |= C_WORD;
        if (dig) v |= C_DIGIT;
        if (up) v |= C_UPPER;
        if (dig || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) v |= C_HEX;
        if (dig || up || lo || c == '.' || c == '_' || c == '%' || c == '+' || c == '-') v |= C_LOCAL;
        if (dig || up || lo || c == '-') v |= C_DOMAIN;
        if (dig || up || lo || c == '_' || c == '-') v |= C_B64URL;
        if (dig || up || lo) v |= C_ALNUM;
        cls[c] = v;
        uint8_t t = T_NONE;
        if (dig) t = T_DIGIT;
        else if (c == '@') t = T_AT;
        else if (c == '+') t = T_PLUS;
        else if (c == '(') t = T_PAREN;
        else if (c == ':') t = T_COLON;
        else if (up) t = T_UPPER;
        else if (c == 'g' || c == 'x' || c == 's' || c == 'r' || c == 'n' || c == 'e' || c == 'a') t = T_SECRET_LOWER;
        else if (c == '-') t = T_DASH;
        trig[c] = t;
        if (c < 128) {
            bool hex = dig || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            lut_p[0][c] = (uint8_t)((c == 'a') | (c == 'g') << 1 | (c == 'g') << 2 | (c == 'g') << 3 | (c == 'n') << 4 |
                                    (c == 'r' || c == 's') << 5 | (c == 'x') << 6 | (c == 'e') << 7);
            lut_p[1][c] = (uint8_t)((c == 'w') | (c == 'h') << 1 | (c == 'i') << 2 | (c == 'l') << 3 | (c == 'p') << 4 |
                                    (c == 'k') << 5 | (c == 'o') << 6 | (c == 'y') << 7);
            lut_p[2][c] = (uint8_t)((c == 's') | 1 << 1 | (c == 't') << 2 | (c == 'p') << 3 | (c == 'm') << 4 |
                                    (c == '_') << 5 | (c == 'x') << 6 | (c == 'J') << 7);
            lut_q[0][c] = (uint8_t)(dig | up << 1 | (c == 'A') << 2 | (c == '@') << 3 | (c == '+' || c == '(') << 4 |
                                    (c == ':') << 5 | (c == '-') << 6 | (dig || up || lo || c == '_') << 7);
            lut_q[1][c] = (uint8_t)(1 | up << 1 | up << 2 | 1 << 3 | dig << 4 | (hex || c == ':') << 5 | (c == '-') << 6 |
                                    1 << 7);
            lut_q[2][c] = (uint8_t)(1 | dig << 1 | 0xFC);
        }
    }
#if defined(LLMD_SCAN_AVX2)
    use_avx2 = llmd_cpu_has_avx2();
    __builtin_cpu_init();
    use_avx512 = use_avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    use_vbmi = use_avx512 && __builtin_cpu_supports("avx512vbmi");
#endif
}

static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static inline bool is_word(unsigned char c) { return cls[c] & C_WORD; }
static inline bool is_dig(unsigned char c) { return cls[c] & C_DIGIT; }

/* ---- candidate list ----------------------------------------------------------------------------- */

typedef struct scan {
    const llmd_redactor *r;
    const unsigned char *s;
    size_t n;
    llmd_pii_span *c;
    size_t nc, cap;
    pcre2_match_data *md;
    size_t pem_no_end_from;   /* no "-----END " at or after this offset (SIZE_MAX = unknown) */
    uint8_t run_mask[2];      /* run_of() cache: class, start and end of the last runs found */
    size_t run_from[2], run_end[2];
    int run_next;
    size_t ipv6_done;         /* colon runs before this offset were already examined */
} scan;

static llmd_status emit(scan *sc, uint32_t type, size_t start, size_t end) {
    if (sc->nc == sc->cap) {
        size_t ncap = sc->cap ? sc->cap * 2 : 16;
        llmd_pii_span *p = llmd_realloc(sc->c, sc->cap * sizeof *p, ncap * sizeof *p);
        if (p == NULL) return llmd_fail_nomem("collecting PII spans");
        sc->c = p;
        sc->cap = ncap;
    }
    sc->c[sc->nc++] = (llmd_pii_span){.type = NULL, .type_id = type, .start = start, .end = end};
    return LLMD_OK;
}

/* Anchored PCRE2 match at `at`; returns the end offset or 0 when no match (or sets *st). */
static size_t match_at(scan *sc, const pcre2_code *code, bool jit, size_t at, llmd_status *st) {
    int rc = jit ? pcre2_jit_match(code, sc->s, sc->n, at, 0, sc->md, NULL)
                 : pcre2_match(code, sc->s, sc->n, at, 0, sc->md, NULL);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        *st = rc == PCRE2_ERROR_NOMEMORY ? llmd_fail_nomem("matching a pattern")
                                        : llmd_fail(LLMD_ERR_INTERNAL, "PCRE2 match error at offset %zu: %s", at,
                                                    (const char *)msg);
        return 0;
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(sc->md);
    return ov[1] > at ? (size_t)ov[1] : 0;
}

/* ---- detectors ------------------------------------------------------------------------------------ */

/* E-mail around the '@' at `at`.  Local part: [A-Za-z0-9._%+-]{1,64} not starting with '.';
 * domain: >= 2 labels of [A-Za-z0-9-] (no leading/trailing '-'), alphabetic TLD of >= 2 letters. */
static llmd_status det_email(scan *sc, size_t at, size_t *end_out) {
    const unsigned char *s = sc->s;
    *end_out = 0;
    size_t b = at;
    while (b > 0 && at - b < 64 && (cls[s[b - 1]] & C_LOCAL)) b--;
    if (b > 0 && (cls[s[b - 1]] & C_LOCAL)) return LLMD_OK;   /* local part too long */
    while (b < at && (s[b] == '.' || s[b] == '-' || s[b] == '+')) b++;
    if (b == at) return LLMD_OK;
    size_t i = at + 1, labels = 0, last_label = 0, end = 0;
    while (i < sc->n && i - at <= 254) {
        size_t ls = i;
        while (i < sc->n && (cls[s[i]] & C_DOMAIN) && i - ls < 63) i++;
        if (i == ls || s[ls] == '-' || s[i - 1] == '-') break;
        labels++;
        last_label = ls;
        end = i;
        if (i + 1 < sc->n && s[i] == '.' && (cls[s[i + 1]] & C_ALNUM)) { i++; continue; }
        break;
    }
    if (labels < 2) return LLMD_OK;
    /* The TLD must be alphabetic, 2+ letters. */
    for (;;) {
        bool alpha = end - last_label >= 2;
        for (size_t k = last_label; alpha && k < end; k++)
            if (!((s[k] | 0x20) >= 'a' && (s[k] | 0x20) <= 'z')) alpha = false;
        if (alpha) break;
        /* Drop the last label and retry with the previous one. */
        if (labels <= 2) return LLMD_OK;
        labels--;
        end = last_label - 1;
        size_t k = end;
        while (k > at + 1 && s[k - 1] != '.') k--;
        last_label = k;
    }
    if (end < sc->n && (cls[s[end]] & C_WORD)) return LLMD_OK;
    *end_out = end;
    return emit(sc, LLMD_PII_EMAIL_ADDRESS, b, end);
}

/* Whether the dotted number s[b..e) reads as a version: "(1.4.1.16)" as in Debian changelog
 * headers, or the word "version"/"release" shortly before it. */
static bool version_context(const unsigned char *s, size_t n, size_t b, size_t e) {
    if (b > 0 && s[b - 1] == '(' && e < n && s[e] == ')') return true;
    size_t from = b > 24 ? b - 24 : 0;
    for (size_t k = from; k + 7 <= b; k++) {
        unsigned char c = s[k] | 0x20;
        if ((c == 'v' && strncasecmp((const char *)s + k, "version", 7) == 0) ||
            (c == 'r' && strncasecmp((const char *)s + k, "release", 7) == 0))
            return true;
    }
    return false;
}

/* IPv4 dotted quad at i: octets 0-255 without leading zeros, not part of a longer dotted number,
 * and not a version number (see the end of the function). */
static size_t det_ipv4(const unsigned char *s, size_t n, size_t i) {
    size_t k = i;
    bool all_small = true;
    unsigned first = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (k >= n || s[k] != '.') return 0;
            k++;
        }
        size_t d = k;
        unsigned v = 0;
        while (k < n && is_dig(s[k]) && k - d < 4) v = v * 10 + (unsigned)(s[k++] - '0');
        size_t len = k - d;
        if (len == 0 || len > 3 || v > 255 || (len > 1 && s[d] == '0')) return 0;
        if (v >= 100) all_small = false;
        if (part == 0) first = v;
    }
    if (k < n && (is_word(s[k]) || s[k] == '@' || s[k] == '+')) return 0;
    if (k + 1 < n && (s[k] == '.' || s[k] == '-') && is_dig(s[k + 1])) return 0;
    /* Versions: "2.8.0.3", "1.15.8.6" (a one-digit first part, all parts < 100: such addresses are
     * public resolvers like 8.8.8.8 or documentation placeholders, not personal data), or any
     * all-small number in a version context. */
    if (all_small && (first < 10 || version_context(s, n, i, k))) return 0;
    return k;
}

/* US SSN AAA-GG-SSSS or "AAA GG SSSS" (same separator), SSA rules: area not 000, 666, 900-999;
 * group not 00; serial not 0000. */
static size_t det_ssn(const unsigned char *s, size_t n, size_t i) {
    if (i + 11 > n) return 0;
    const unsigned char *p = s + i;
    char sep = (char)p[3];
    if (sep != '-' && sep != ' ') return 0;
    if (p[6] != (unsigned char)sep) return 0;
    static const int digit_pos[9] = {0, 1, 2, 4, 5, 7, 8, 9, 10};
    for (int k = 0; k < 9; k++)
        if (!is_dig(p[digit_pos[k]])) return 0;
    if (i + 11 < n && (is_word(s[i + 11]) || s[i + 11] == '@')) return 0;
    if (i + 12 < n && (s[i + 11] == '-' || s[i + 11] == '.' || s[i + 11] == sep) && is_dig(s[i + 12])) return 0;
    int area = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
    int group = (p[4] - '0') * 10 + (p[5] - '0');
    int serial = (p[7] - '0') * 1000 + (p[8] - '0') * 100 + (p[9] - '0') * 10 + (p[10] - '0');
    if (area == 0 || area == 666 || area >= 900 || group == 0 || serial == 0) return 0;
    return i + 11;
}

/* Luhn check over digits d[0..n). */
static bool luhn_ok(const unsigned char *d, size_t n) {
    unsigned sum = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned v = d[n - 1 - k];
        if (k & 1) { v *= 2; if (v > 9) v -= 9; }
        sum += v;
    }
    return sum % 10 == 0;
}

/* Issuer identification number ranges of the major networks (Visa 4; Mastercard 51-55 and
 * 2221-2720; Amex 34, 37; Discover 6011, 644-649, 65; Diners 300-305, 36, 38-39; JCB 3528-3589;
 * UnionPay 62; Maestro 50, 56-58, 6304, 67). */
static bool card_prefix_ok(const unsigned char *d, size_t n) {
    unsigned p2 = d[0] * 10u + d[1], p3 = p2 * 10 + d[2], p4 = p3 * 10 + d[3];
    if (d[0] == 4) return n == 13 || n == 16 || n == 19;
    if (p2 >= 51 && p2 <= 55) return n == 16;
    if (p4 >= 2221 && p4 <= 2720) return n == 16;
    if (p2 == 34 || p2 == 37) return n == 15;
    if (p4 == 6011 || (p3 >= 644 && p3 <= 649) || p2 == 65) return n >= 16;
    if ((p3 >= 300 && p3 <= 305) || p2 == 36 || p2 == 38 || p2 == 39) return n >= 14;
    if (p4 >= 3528 && p4 <= 3589) return n >= 16;
    if (p2 == 62) return n >= 16;
    if (p2 == 50 || (p2 >= 56 && p2 <= 58) || p4 == 6304 || p2 == 67) return n >= 12;
    return false;
}

/* Card number at i: 13-19 digits, groups separated by one consistent space or dash. */
/* Not inlined: rare (13+ digits), and inlined into the AVX-512 scans GCC 12 -O3 takes d for
 * uninitialised (-Wmaybe-uninitialized; only d[0..nd) is ever read). */
__attribute__((noinline)) static size_t det_card(const unsigned char *s, size_t n, size_t i) {
    unsigned char d[19];
    size_t nd = 0, k = i;
    unsigned char sep = 0;
    while (k < n) {
        if (is_dig(s[k])) {
            if (nd == 19) return 0;
            d[nd++] = (unsigned char)(s[k++] - '0');
            continue;
        }
        if ((s[k] == ' ' || s[k] == '-') && k + 1 < n && is_dig(s[k + 1]) && (sep == 0 || sep == s[k])) {
            sep = s[k];
            k++;
            continue;
        }
        break;
    }
    if (nd < 13) return 0;
    if (k < n && (is_word(s[k]) || s[k] == '@')) return 0;
    if (k + 1 < n && (s[k] == '.' || s[k] == ',') && is_dig(s[k + 1])) return 0;
    if (!card_prefix_ok(d, nd) || !luhn_ok(d, nd)) return 0;
    return k;
}

/* Digits a phone match must have (the pattern cannot count across groups). */
static bool phone_ok(const unsigned char *s, size_t b, size_t e) {
    size_t digits = 0;
    bool sep = false;
    for (size_t k = b; k < e; k++) {
        if (is_dig(s[k])) digits++;
        else sep = true;
    }
    if (s[b] == '+' && !(e - b > 2 && s[b + 1] == '1' && !is_dig(s[b + 2]))) return digits >= 8 && digits <= 15;
    if (!sep || (digits != 10 && digits != 11)) return false;
    /* NANP: without parentheses the two separators must agree ("202-555-0143", "202.555.0143",
     * not "252.227-7013", a DFARS clause number). */
    size_t k = b;
    if (s[k] == '+') k++;
    if (digits == 11) {
        k++;                                   /* the leading 1 */
        if (k < e && !is_dig(s[k]) && s[k] != '(') k++;
    }
    if (k < e && s[k] == '(') return true;
    k += 3;
    unsigned char sep1 = (k < e && !is_dig(s[k])) ? s[k] : 0;
    if (sep1) k++;
    k += 3;
    unsigned char sep2 = (k < e && !is_dig(s[k])) ? s[k] : 0;
    return sep1 == sep2;
}

static llmd_status det_phone(scan *sc, size_t i) {
    /* Cheap pre-check: enough digits nearby. */
    size_t digits = 0;
    for (size_t k = i; k < sc->n && k - i < 24; k++) {
        unsigned char c = sc->s[k];
        if (is_dig(c)) digits++;
        else if (!(c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+')) break;
    }
    if (digits < (sc->s[i] == '+' ? 8u : 10u)) return LLMD_OK;
    llmd_status st = LLMD_OK;
    size_t e = match_at(sc, sc->r->phone_re, sc->r->phone_jit, i, &st);
    if (st != LLMD_OK || e == 0 || !phone_ok(sc->s, i, e)) return st;
    return emit(sc, LLMD_PII_PHONE_NUMBER, i, e);
}

/* ISO 13616 IBAN lengths by country (SWIFT IBAN registry). */
static int iban_length(unsigned char a, unsigned char b) {
    static const struct { char cc[3]; int len; } t[] = {
        {"AD", 24}, {"AE", 23}, {"AL", 28}, {"AT", 20}, {"AZ", 28}, {"BA", 20}, {"BE", 16}, {"BG", 22},
        {"BH", 22}, {"BI", 27}, {"BR", 29}, {"BY", 28}, {"CH", 21}, {"CR", 22}, {"CY", 28}, {"CZ", 24},
        {"DE", 22}, {"DJ", 27}, {"DK", 18}, {"DO", 28}, {"EE", 20}, {"EG", 29}, {"ES", 24}, {"FI", 18},
        {"FK", 18}, {"FO", 18}, {"FR", 27}, {"GB", 22}, {"GE", 22}, {"GI", 23}, {"GL", 18}, {"GR", 27},
        {"GT", 28}, {"HR", 21}, {"HU", 28}, {"IE", 22}, {"IL", 23}, {"IQ", 23}, {"IS", 26}, {"IT", 27},
        {"JO", 30}, {"KW", 30}, {"KZ", 20}, {"LB", 28}, {"LC", 32}, {"LI", 21}, {"LT", 20}, {"LU", 20},
        {"LV", 21}, {"LY", 25}, {"MC", 27}, {"MD", 24}, {"ME", 22}, {"MK", 19}, {"MN", 20}, {"MR", 27},
        {"MT", 31}, {"MU", 30}, {"NI", 28}, {"NL", 18}, {"NO", 15}, {"OM", 23}, {"PK", 24}, {"PL", 28},
        {"PS", 29}, {"PT", 25}, {"QA", 29}, {"RO", 24}, {"RS", 22}, {"RU", 33}, {"SA", 24}, {"SC", 31},
        {"SD", 18}, {"SE", 24}, {"SI", 19}, {"SK", 24}, {"SM", 27}, {"SO", 23}, {"ST", 25}, {"SV", 28},
        {"TL", 23}, {"TN", 24}, {"TR", 26}, {"UA", 29}, {"VA", 22}, {"VG", 24}, {"XK", 20}, {"YE", 30}};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++)
        if (t[k].cc[0] == a && t[k].cc[1] == b) return t[k].len;
    return 0;
}

static size_t det_iban(const unsigned char *s, size_t n, size_t i) {
    if (i + 15 > n || !(cls[s[i + 1]] & C_UPPER) || !is_dig(s[i + 2]) || !is_dig(s[i + 3])) return 0;
    int len = iban_length(s[i], s[i + 1]);
    if (len == 0) return 0;
    unsigned char ch[34];
    int nc = 0;
    size_t k = i;
    while (k < n && nc < len) {
        unsigned char c = s[k];
        if (c == ' ' && nc % 4 == 0 && nc > 0 && k + 1 < n && (cls[s[k + 1]] & (C_UPPER | C_DIGIT))) { k++; continue; }
        if (!(cls[c] & (C_UPPER | C_DIGIT))) break;
        ch[nc++] = c;
        k++;
    }
    if (nc != len) return 0;
    if (k < n && is_word(s[k])) return 0;
    /* mod-97 of BBAN + country + check digits, letters as 10..35. */
    unsigned rem = 0;
    for (int m = 0; m < len; m++) {
        unsigned char c = ch[(m + 4) % len];
        if (is_dig(c)) rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rem == 1 ? k : 0;
}

/* Length of the run of class `mask` bytes starting at k.  Every position of a run shares its end,
 * so the last run found per class is cached: overlapping triggers ("eyJ-eyJ-eyJ-...") then cost
 * O(1) each instead of rescanning the run (which would be quadratic). */
static size_t run_of(scan *sc, size_t k, uint8_t mask) {
    for (int c = 0; c < 2; c++)
        if (sc->run_mask[c] == mask && k >= sc->run_from[c] && k < sc->run_end[c]) return sc->run_end[c] - k;
    size_t e = k;
    while (e < sc->n && (cls[sc->s[e]] & mask)) e++;
    int slot = sc->run_mask[0] == mask ? 0 : (sc->run_mask[1] == mask ? 1 : sc->run_next);
    if (sc->run_mask[slot] != mask) sc->run_next = !slot;
    sc->run_mask[slot] = mask;
    sc->run_from[slot] = k;
    sc->run_end[slot] = e;
    return e - k;
}

static bool starts(const unsigned char *s, size_t n, size_t i, const char *p) {
    size_t l = strlen(p);
    return i + l <= n && memcmp(s + i, p, l) == 0;
}

/* Token of `prefix` + >= min chars of class `mask` (at most max, 0 = no limit), ending at a
 * boundary. */
static size_t token(scan *sc, size_t i, const char *prefix, uint8_t mask, size_t min, size_t max) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    if (!starts(s, n, i, prefix)) return 0;
    size_t k = i + strlen(prefix);
    size_t r = run_of(sc, k, mask);
    if (r < min || (max && r > max)) return 0;
    k += r;
    if (k < n && is_word(s[k])) return 0;
    return k;
}

/* Well-known credential shapes (gitleaks/trufflehog rules): AWS access key ids and secret keys
 * (after their name), Google API keys,
 * GitHub classic/fine-grained tokens, GitLab PATs, npm tokens, Slack tokens, Stripe keys, JWTs. */
/* AWS secret access key after its well-known name: aws_secret_access_key or
 * AWS_SECRET_ACCESS_KEY, '=' or ':' (quotes and spaces around it allowed), 40 base64 characters.
 * Only the value is the span. */
static size_t det_aws_secret(const unsigned char *s, size_t n, size_t i, size_t *start) {
    static const char name[] = "aws_secret_access_key";
    if (i + 21 > n || (memcmp(s + i, name, 21) != 0 && memcmp(s + i, "AWS_SECRET_ACCESS_KEY", 21) != 0)) return 0;
    size_t k = i + 21;
    while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '"' || s[k] == '\'')) k++;
    if (k >= n || (s[k] != '=' && s[k] != ':')) return 0;
    k++;
    while (k < n && (s[k] == ' ' || s[k] == '\t' || s[k] == '"' || s[k] == '\'')) k++;
    size_t b = k;
    while (k < n && k - b <= 40 && ((cls[s[k]] & C_ALNUM) || s[k] == '/' || s[k] == '+')) k++;
    if (k - b != 40) return 0;
    *start = b;
    return k;
}

static size_t det_secret_word(scan *sc, size_t i, size_t *start) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    size_t e;
    *start = i;
    switch (s[i]) {
    case 'a':
        return det_aws_secret(s, n, i, start);
    case 'A':
        if ((e = det_aws_secret(s, n, i, start)) != 0) return e;
        if (i + 4 <= n && (memcmp(s + i, "AKIA", 4) == 0 || memcmp(s + i, "ASIA", 4) == 0 ||
                           memcmp(s + i, "ABIA", 4) == 0 || memcmp(s + i, "ACCA", 4) == 0) &&
            (e = token(sc, i + 4, "", C_UPPER | C_DIGIT, 16, 16)) != 0)
            return e;
        if ((e = token(sc, i, "AIza", C_B64URL, 35, 35)) != 0) return e;
        return 0;
    case 'g':
        if (i + 4 <= n && s[i + 1] == 'h' && s[i + 3] == '_' &&
            (s[i + 2] == 'p' || s[i + 2] == 'o' || s[i + 2] == 'u' || s[i + 2] == 's' || s[i + 2] == 'r') &&
            (e = token(sc, i + 4, "", C_ALNUM, 36, 255)) != 0)
            return e;
        if ((e = token(sc, i, "github_pat_", C_WORD, 22, 255)) != 0) return e;
        if ((e = token(sc, i, "glpat-", C_B64URL, 20, 255)) != 0) return e;
        return 0;
    case 'n':
        return token(sc, i, "npm_", C_ALNUM, 36, 36);
    case 'x':
        if (i + 5 <= n && s[i + 1] == 'o' && s[i + 2] == 'x' && s[i + 4] == '-' &&
            (s[i + 3] == 'a' || s[i + 3] == 'b' || s[i + 3] == 'p' || s[i + 3] == 'r' || s[i + 3] == 's')) {
            size_t r = run_of(sc, i + 5, C_DOMAIN);   /* [A-Za-z0-9-] */
            size_t k = i + 5 + r;
            if (r >= 10 && !(k < n && is_word(s[k]))) return k;
        }
        return 0;
    case 's':
    case 'r':
        if ((e = token(sc, i + 1, "k_live_", C_ALNUM, 24, 255)) != 0) return e;
        if ((e = token(sc, i + 1, "k_test_", C_ALNUM, 24, 255)) != 0) return e;
        return 0;
    case 'e': {
        /* JWT: base64url(header '{"...') . base64url(payload '{"...') . signature */
        if (!starts(s, n, i, "eyJ")) return 0;
        size_t k = i + run_of(sc, i, C_B64URL);
        if (k - i < 10 || k >= n || s[k] != '.') return 0;
        k++;
        if (!starts(s, n, k, "eyJ")) return 0;
        size_t p = run_of(sc, k, C_B64URL);
        if (p < 10) return 0;
        k += p;
        if (k >= n || s[k] != '.') return 0;
        k++;
        k += run_of(sc, k, C_B64URL);
        if (k < n && (is_word(s[k]) || s[k] == '.')) return 0;
        return k;
    }
    default:
        return 0;
    }
}

/* PEM private key: "-----BEGIN [...]PRIVATE KEY[ BLOCK]-----" up to the matching "-----END ...-----"
 * (or the end of the text when the block is cut off). */
static size_t det_pem(scan *sc, size_t i) {
    const unsigned char *s = sc->s;
    size_t n = sc->n;
    if (!starts(s, n, i, "-----BEGIN ")) return 0;
    size_t k = i + 11, lim = k + 60;
    const unsigned char *dash = NULL;
    for (; k + 5 <= n && k < lim && s[k] != '\n'; k++)
        if (memcmp(s + k, "-----", 5) == 0) { dash = s + k; break; }
    if (dash == NULL) return 0;
    /* The label must end in "PRIVATE KEY" or "PRIVATE KEY BLOCK". */
    size_t label_end = (size_t)(dash - s);
    bool priv = (label_end >= i + 11 + 11 && memcmp(s + label_end - 11, "PRIVATE KEY", 11) == 0) ||
                (label_end >= i + 11 + 17 && memcmp(s + label_end - 17, "PRIVATE KEY BLOCK", 17) == 0);
    if (!priv) return 0;
    size_t body = label_end + 5;
    if (sc->pem_no_end_from != SIZE_MAX && body >= sc->pem_no_end_from) return n;
    const unsigned char *e = memmem(s + body, n - body, "-----END ", 9);
    if (e == NULL) {
        sc->pem_no_end_from = body;
        return n;
    }
    size_t j = (size_t)(e - s) + 9;
    for (size_t lim2 = j + 60; j + 5 <= n && j < lim2 && s[j] != '\n'; j++)
        if (memcmp(s + j, "-----", 5) == 0) return j + 5;
    return (size_t)(e - s) + 9;
}

static llmd_status det_ipv6(scan *sc, size_t colon) {
    const unsigned char *s = sc->s;
    if (colon < sc->ipv6_done) return LLMD_OK;
    size_t b = colon;
    while (b > 0 && colon - b < 40 && ((cls[s[b - 1]] & C_HEX) || s[b - 1] == ':' || s[b - 1] == '.')) b--;
    size_t e = colon;
    while (e < sc->n && e - b < 64 && ((cls[s[e]] & C_HEX) || s[e] == ':' || s[e] == '.')) e++;
    sc->ipv6_done = e;
    if (b > 0 && (is_word(s[b - 1]) || s[b - 1] == ':' || s[b - 1] == '.' || s[b - 1] == '@')) return LLMD_OK;
    while (b < colon && s[b] == '.') b++;
    llmd_status st = LLMD_OK;
    size_t m = match_at(sc, sc->r->ipv6_re, sc->r->ipv6_jit, b, &st);
    if (st != LLMD_OK || m == 0) return st;
    /* At least one hex digit ("::" alone is not an address worth redacting) and two groups. */
    bool hex = false;
    for (size_t k = b; k < m; k++)
        if (cls[s[k]] & C_HEX) { hex = true; break; }
    if (!hex) return LLMD_OK;
    return emit(sc, LLMD_PII_IP_ADDRESS, b, m);
}

typedef struct wants {
    bool email, phone, ip, card, iban, ssn, secret, num;
} wants;

/* The digits among the number-like bytes (digits, space, - . ( ) +) that start at s[i], in the
 * first 32 bytes at most: whether a card or phone number can start there.  32 bytes at once with
 * SSE2 (every number at a word start asks; a byte loop was most of handle_at). */
static inline size_t number_digits(const unsigned char *s, size_t n, size_t i) {
#if defined(__SSE2__)
    if (i + 32 <= n) {
        uint32_t D = 0, A = 0;
        for (int h = 0; h < 2; h++) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16 * h));
            __m128i d = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
            __m128i a = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), _mm_cmpeq_epi8(v, _mm_set1_epi8('-')));
            a = _mm_or_si128(a, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('.')), _mm_cmpeq_epi8(v, _mm_set1_epi8('('))));
            a = _mm_or_si128(a, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(')')), _mm_cmpeq_epi8(v, _mm_set1_epi8('+'))));
            D |= (uint32_t)_mm_movemask_epi8(d) << (16 * h);
            A |= (uint32_t)_mm_movemask_epi8(_mm_or_si128(a, d)) << (16 * h);
        }
        uint32_t stop = ~A;
        uint32_t upto = stop ? ((uint32_t)1 << __builtin_ctz(stop)) - 1 : ~(uint32_t)0;
        /* Bit count without a libgcc call (this code is built for any x86-64, without POPCNT). */
        uint32_t x = D & upto;
        x = x - ((x >> 1) & 0x55555555u);
        x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
        x = (x + (x >> 4)) & 0x0F0F0F0Fu;
        return (size_t)((x * 0x01010101u) >> 24);
    }
#endif
    size_t digits = 0;
    for (size_t k = i; k < n && k - i < 32; k++) {
        unsigned char d = s[k];
        if (is_dig(d)) digits++;
        else if (!(d == ' ' || d == '-' || d == '.' || d == '(' || d == ')' || d == '+')) break;
    }
    return digits;
}

/* Runs the detectors that fire at position i (a trigger byte: a word start or a non-word trigger).
 * *skip is raised past text that must not be scanned again (a PEM block). */
static inline llmd_status handle_at(scan *sc, const wants *w, size_t i, size_t *skip) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    unsigned char c = s[i];
    unsigned char prev = i ? s[i - 1] : ' ';
    llmd_status st = LLMD_OK;
    size_t e, b;
    switch (trig[c]) {
    case T_DIGIT:
        if (!w->num || prev == '.' || prev == '-' || prev == ',' || prev == '@') break;
        {
            /* Cheap pre-checks decide which detectors can match here: the first digit run and
             * what follows it, and the digits among number-like bytes in the next 32. */
            size_t run = 0;
            while (i + run < n && run < 4 && is_dig(s[i + run])) run++;
            unsigned char next = i + run < n ? s[i + run] : 0;
            if (w->ip && run <= 3 && next == '.' && (e = det_ipv4(s, n, i)) != 0 &&
                (st = emit(sc, LLMD_PII_IP_ADDRESS, i, e)) != LLMD_OK) return st;
            if (w->ssn && run == 3 && (next == '-' || next == ' ') && (e = det_ssn(s, n, i)) != 0 &&
                (st = emit(sc, LLMD_PII_US_SSN, i, e)) != LLMD_OK) return st;
            if (!w->card && !w->phone) break;
            size_t digits = number_digits(s, n, i);
            if (w->card && digits >= 13 && (e = det_card(s, n, i)) != 0 &&
                (st = emit(sc, LLMD_PII_CREDIT_CARD, i, e)) != LLMD_OK) return st;
            if (w->phone && digits >= 10) st = det_phone(sc, i);
        }
        break;
    case T_UPPER:
        if (w->iban && (e = det_iban(s, n, i)) != 0 && (st = emit(sc, LLMD_PII_IBAN_CODE, i, e)) != LLMD_OK) return st;
        if (w->secret && c == 'A' && (e = det_secret_word(sc, i, &b)) != 0) st = emit(sc, LLMD_PII_SECRET, b, e);
        break;
    case T_SECRET_LOWER:
        if (w->secret && (e = det_secret_word(sc, i, &b)) != 0) st = emit(sc, LLMD_PII_SECRET, b, e);
        break;
    case T_PLUS:
    case T_PAREN:
        if (w->phone && !is_word(prev) && i + 1 < n && is_dig(s[i + 1])) st = det_phone(sc, i);
        break;
    case T_AT:
        if (w->email) st = det_email(sc, i, &e);
        break;
    case T_COLON:
        if (w->ip) st = det_ipv6(sc, i);
        break;
    case T_DASH:
        if (w->secret && prev != '-' && i + 11 <= n && s[i + 1] == '-' && (e = det_pem(sc, i)) != 0) {
            st = emit(sc, LLMD_PII_SECRET, i, e);
            *skip = e;   /* nothing inside a key block is reported separately */
        }
        break;
    default:
        break;
    }
    return st;
}

#if defined(__SSE2__)
#include <emmintrin.h>
/* Bit masks over the 16 bytes at p (p[16..18] must be readable): word characters, word-start
 * candidates and non-word triggers.  Each trigger is tested with the bytes after it that every
 * detection starting there must have, so prose rarely reaches handle_at:
 *  - a digit (numbers: IPv4, SSN, card, phone);
 *  - two upper-case letters and a digit (IBAN country code + check digits), or 'A' + upper-case
 *    (AKIA/ASIA/ABIA/ACCA/AIza/AWS_SECRET_ACCESS_KEY);
 *  - the first letters of a lower-case secret prefix: aws gh git glp npm rk_ sk_ xox eyJ;
 *  - '@'; '+' or '(' before a digit (phones); ':' before a hex digit or ':' (every IPv6 address
 *    has one); "--" (PEM "-----BEGIN"). */
static inline void block_masks(const unsigned char *p, unsigned *word, unsigned *t1, unsigned *t2) {
    const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i v1 = _mm_loadu_si128((const __m128i *)(const void *)(p + 1));
    const __m128i v2 = _mm_loadu_si128((const __m128i *)(const void *)(p + 2));
#define RANGE(x, lo, hi) _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8((char)((lo) - 1))), \
                                       _mm_cmplt_epi8(x, _mm_set1_epi8((char)((hi) + 1))))
#define EQ(x, ch) _mm_cmpeq_epi8(x, _mm_set1_epi8((char)(ch)))
#define AND _mm_and_si128
#define OR _mm_or_si128
    __m128i digit = RANGE(v, '0', '9'), upper = RANGE(v, 'A', 'Z'), lowr = RANGE(v, 'a', 'z');
    __m128i wd = OR(OR(digit, upper), OR(lowr, EQ(v, '_')));
    __m128i up1 = RANGE(v1, 'A', 'Z'), dig1 = RANGE(v1, '0', '9');
    __m128i a = OR(digit, AND(AND(upper, up1), RANGE(v2, '0', '9')));
    a = OR(a, AND(EQ(v, 'A'), up1));
    /* Lower-case prefixes, only where v is a lower-case letter at all (most of prose). */
    if (_mm_movemask_epi8(lowr)) {
        __m128i l = AND(AND(EQ(v, 'a'), EQ(v1, 'w')), EQ(v2, 's'));
        l = OR(l, AND(EQ(v, 'g'), OR(EQ(v1, 'h'), OR(AND(EQ(v1, 'i'), EQ(v2, 't')), AND(EQ(v1, 'l'), EQ(v2, 'p'))))));
        l = OR(l, AND(AND(EQ(v, 'n'), EQ(v1, 'p')), EQ(v2, 'm')));
        l = OR(l, AND(AND(OR(EQ(v, 'r'), EQ(v, 's')), EQ(v1, 'k')), EQ(v2, '_')));
        l = OR(l, AND(AND(EQ(v, 'x'), EQ(v1, 'o')), EQ(v2, 'x')));
        l = OR(l, AND(AND(EQ(v, 'e'), EQ(v1, 'y')), EQ(v2, 'J')));
        a = OR(a, l);
    }
    __m128i hex1 = OR(dig1, OR(RANGE(v1, 'a', 'f'), RANGE(v1, 'A', 'F')));
    __m128i b = OR(EQ(v, '@'), AND(OR(EQ(v, '+'), EQ(v, '(')), dig1));
    b = OR(b, AND(EQ(v, ':'), OR(hex1, EQ(v1, ':'))));
    b = OR(b, AND(EQ(v, '-'), EQ(v1, '-')));
#undef RANGE
#undef EQ
#undef AND
#undef OR
    *word = (unsigned)_mm_movemask_epi8(wd);
    *t1 = (unsigned)_mm_movemask_epi8(a);
    *t2 = (unsigned)_mm_movemask_epi8(b);
}
#endif

#if defined(LLMD_SCAN_AVX2)
#include <immintrin.h>
/* block_masks over 32 bytes (p[32..34] must be readable): the same tests, twice as wide. */
__attribute__((target("avx2"))) static inline void block_masks32(const unsigned char *p, uint32_t *word, uint32_t *t1,
                                                                 uint32_t *t2) {
    const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)p);
    const __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 1));
    const __m256i v2 = _mm256_loadu_si256((const __m256i *)(const void *)(p + 2));
#define RANGE(x, lo, hi) _mm256_and_si256(_mm256_cmpgt_epi8(x, _mm256_set1_epi8((char)((lo) - 1))), \
                                          _mm256_cmpgt_epi8(_mm256_set1_epi8((char)((hi) + 1)), x))
#define EQ(x, ch) _mm256_cmpeq_epi8(x, _mm256_set1_epi8((char)(ch)))
#define AND _mm256_and_si256
#define OR _mm256_or_si256
    __m256i digit = RANGE(v, '0', '9'), upper = RANGE(v, 'A', 'Z'), lowr = RANGE(v, 'a', 'z');
    __m256i wd = OR(OR(digit, upper), OR(lowr, EQ(v, '_')));
    __m256i up1 = RANGE(v1, 'A', 'Z'), dig1 = RANGE(v1, '0', '9');
    __m256i a = OR(digit, AND(AND(upper, up1), RANGE(v2, '0', '9')));
    a = OR(a, AND(EQ(v, 'A'), up1));
    if (_mm256_movemask_epi8(lowr)) {
        __m256i l = AND(AND(EQ(v, 'a'), EQ(v1, 'w')), EQ(v2, 's'));
        l = OR(l, AND(EQ(v, 'g'), OR(EQ(v1, 'h'), OR(AND(EQ(v1, 'i'), EQ(v2, 't')), AND(EQ(v1, 'l'), EQ(v2, 'p'))))));
        l = OR(l, AND(AND(EQ(v, 'n'), EQ(v1, 'p')), EQ(v2, 'm')));
        l = OR(l, AND(AND(OR(EQ(v, 'r'), EQ(v, 's')), EQ(v1, 'k')), EQ(v2, '_')));
        l = OR(l, AND(AND(EQ(v, 'x'), EQ(v1, 'o')), EQ(v2, 'x')));
        l = OR(l, AND(AND(EQ(v, 'e'), EQ(v1, 'y')), EQ(v2, 'J')));
        a = OR(a, l);
    }
    __m256i hex1 = OR(dig1, OR(RANGE(v1, 'a', 'f'), RANGE(v1, 'A', 'F')));
    __m256i b = OR(EQ(v, '@'), AND(OR(EQ(v, '+'), EQ(v, '(')), dig1));
    b = OR(b, AND(EQ(v, ':'), OR(hex1, EQ(v1, ':'))));
    b = OR(b, AND(EQ(v, '-'), EQ(v1, '-')));
#undef RANGE
#undef EQ
#undef AND
#undef OR
    *word = (uint32_t)_mm256_movemask_epi8(wd);
    *t1 = (uint32_t)_mm256_movemask_epi8(a);
    *t2 = (uint32_t)_mm256_movemask_epi8(b);
}

/* The candidate loop 32 bytes at a time from i; returns where it stopped (the caller goes on from
 * there). */
__attribute__((target("avx2"))) static size_t scan_blocks32(scan *sc, const wants *w, size_t *skip,
                                                            llmd_status *st, size_t i) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    uint32_t carry = i > 0 && is_word(s[i - 1]);
    for (; i + 35 <= n; i += 32) {
        uint32_t word, t1, t2;
        block_masks32(s + i, &word, &t1, &t2);
        uint32_t starts = word & ~((word << 1) | carry);
        carry = word >> 31;
        uint32_t cand = (starts & t1) | t2;
        while (cand) {
            size_t at = i + (size_t)__builtin_ctz(cand);
            cand &= cand - 1;
            if (at < *skip) continue;
            if ((*st = handle_at(sc, w, at, skip)) != LLMD_OK) return i;
        }
    }
    return i;
}

/* block_masks over 64 bytes (p[64..66] must be readable) with AVX-512BW: the same tests, the
 * results straight in 64-bit masks.  A range test is one unsigned compare: x - lo <= hi - lo. */
__attribute__((target("avx512f,avx512bw"))) static inline void block_masks64(const unsigned char *p, uint64_t *word,
                                                                           uint64_t *t1, uint64_t *t2) {
    const __m512i v = _mm512_loadu_si512((const void *)p);
    const __m512i v1 = _mm512_loadu_si512((const void *)(p + 1));
    const __m512i v2 = _mm512_loadu_si512((const void *)(p + 2));
#define RANGE(x, lo, hi) ((uint64_t)_mm512_cmple_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8((char)(lo))), \
                                                          _mm512_set1_epi8((char)((hi) - (lo)))))
#define EQ(x, ch) ((uint64_t)_mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8((char)(ch))))
    uint64_t digit = RANGE(v, '0', '9'), upper = RANGE(v, 'A', 'Z'), lowr = RANGE(v, 'a', 'z');
    uint64_t wd = digit | upper | lowr | EQ(v, '_');
    uint64_t up1 = RANGE(v1, 'A', 'Z'), dig1 = RANGE(v1, '0', '9');
    uint64_t a = digit | (upper & up1 & RANGE(v2, '0', '9'));
    a |= EQ(v, 'A') & up1;
    if (lowr) {
        uint64_t l = EQ(v, 'a') & EQ(v1, 'w') & EQ(v2, 's');
        l |= EQ(v, 'g') & (EQ(v1, 'h') | (EQ(v1, 'i') & EQ(v2, 't')) | (EQ(v1, 'l') & EQ(v2, 'p')));
        l |= EQ(v, 'n') & EQ(v1, 'p') & EQ(v2, 'm');
        l |= (EQ(v, 'r') | EQ(v, 's')) & EQ(v1, 'k') & EQ(v2, '_');
        l |= EQ(v, 'x') & EQ(v1, 'o') & EQ(v2, 'x');
        l |= EQ(v, 'e') & EQ(v1, 'y') & EQ(v2, 'J');
        a |= l;
    }
    uint64_t hex1 = dig1 | RANGE(v1, 'a', 'f') | RANGE(v1, 'A', 'F');
    uint64_t b = EQ(v, '@') | ((EQ(v, '+') | EQ(v, '(')) & dig1);
    b |= EQ(v, ':') & (hex1 | EQ(v1, ':'));
    b |= EQ(v, '-') & EQ(v1, '-');
#undef RANGE
#undef EQ
    *word = wd;
    *t1 = a;
    *t2 = b;
}

/* block_masks64 by table look-ups (AVX-512 VBMI): three 128-entry look-ups per pattern set instead
 * of a compare per byte value tested (the compares, which all run on one port, were most of the
 * scan).  The same masks exactly: a byte >= 0x80 matches nothing at p and only the "any byte"
 * bits at p + 1 and p + 2. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static inline void block_masks64_lut(const unsigned char *p,
                                                                                        uint64_t *word, uint64_t *t1,
                                                                                        uint64_t *t2) {
    const __m512i v = _mm512_loadu_si512((const void *)p);
    const __m512i v1 = _mm512_loadu_si512((const void *)(p + 1));
    const __m512i v2 = _mm512_loadu_si512((const void *)(p + 2));
    const __mmask64 a0 = ~_mm512_movepi8_mask(v), h1 = _mm512_movepi8_mask(v1), h2 = _mm512_movepi8_mask(v2);
#define LUT(t, x) _mm512_permutex2var_epi8(_mm512_loadu_si512((const void *)(t)), x, \
                                           _mm512_loadu_si512((const void *)((t) + 64)))
    __m512i p0 = _mm512_maskz_mov_epi8(a0, LUT(lut_p[0], v));
    __m512i q0 = _mm512_maskz_mov_epi8(a0, LUT(lut_q[0], v));
    /* At p + 1 and p + 2 a non-ASCII byte keeps only the "any byte" bits. */
    __m512i p1 = _mm512_maskz_mov_epi8(~h1, LUT(lut_p[1], v1));
    __m512i q1 = _mm512_mask_mov_epi8(LUT(lut_q[1], v1), h1, _mm512_set1_epi8((char)0x89));
    __m512i p2 = _mm512_mask_mov_epi8(LUT(lut_p[2], v2), h2, _mm512_set1_epi8(0x02));
    __m512i q2 = _mm512_mask_mov_epi8(LUT(lut_q[2], v2), h2, _mm512_set1_epi8((char)0xFD));
#undef LUT
    __m512i P = _mm512_and_si512(_mm512_and_si512(p0, p1), p2);
    __m512i Q = _mm512_and_si512(_mm512_and_si512(q0, q1), q2);
    *word = _mm512_test_epi8_mask(Q, _mm512_set1_epi8((char)0x80));
    *t1 = _mm512_test_epi8_mask(P, P) | _mm512_test_epi8_mask(Q, _mm512_set1_epi8(0x07));
    *t2 = _mm512_test_epi8_mask(Q, _mm512_set1_epi8(0x78));
}

/* The candidates of one 64-byte block (shared by scan_blocks64 and scan_blocks64_lut, which differ
 * only in how they find the masks): word starts that are trigger bytes (t1), plus bytes that trigger
 * anywhere (t2), each handed to handle_at past the skip point.  false when a handler failed (*st). */
static inline __attribute__((always_inline)) bool handle_block64(scan *sc, const wants *w, size_t i, uint64_t word,
                                                                 uint64_t t1, uint64_t t2, uint64_t *carry,
                                                                 size_t *skip, llmd_status *st) {
    uint64_t starts = word & ~((word << 1) | *carry);
    *carry = word >> 63;
    uint64_t cand = (starts & t1) | t2;
    while (cand) {
        size_t at = i + (size_t)__builtin_ctzll(cand);
        cand &= cand - 1;
        if (at < *skip) continue;
        if ((*st = handle_at(sc, w, at, skip)) != LLMD_OK) return false;
    }
    return true;
}

/* scan_blocks64 with block_masks64_lut. */
__attribute__((target("avx512f,avx512bw,avx512vbmi"))) static size_t scan_blocks64_lut(scan *sc, const wants *w,
                                                                                   size_t *skip, llmd_status *st) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    size_t i = 0;
    uint64_t carry = 0;
    for (; i + 67 <= n; i += 64) {
        uint64_t word, t1, t2;
        block_masks64_lut(s + i, &word, &t1, &t2);
        if (!handle_block64(sc, w, i, word, t1, t2, &carry, skip, st)) return i;
    }
    return i;
}

/* The candidate loop 64 bytes at a time (half the instructions per byte of the 32-byte loop, which
 * was the largest single cost of `llmdata clean`); returns where it stopped. */
__attribute__((target("avx512f,avx512bw"))) static size_t scan_blocks64(scan *sc, const wants *w, size_t *skip,
                                                                      llmd_status *st) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    size_t i = 0;
    uint64_t carry = 0;
    for (; i + 67 <= n; i += 64) {
        uint64_t word, t1, t2;
        block_masks64(s + i, &word, &t1, &t2);
        if (!handle_block64(sc, w, i, word, t1, t2, &carry, skip, st)) return i;
    }
    return i;
}
#endif

static llmd_status scan_builtins(scan *sc) {
    const unsigned char *s = sc->s;
    const size_t n = sc->n;
    const uint32_t types = sc->r->types;
    wants w = {
        .email = types & (1u << LLMD_PII_EMAIL_ADDRESS), .phone = types & (1u << LLMD_PII_PHONE_NUMBER),
        .ip = types & (1u << LLMD_PII_IP_ADDRESS), .card = types & (1u << LLMD_PII_CREDIT_CARD),
        .iban = types & (1u << LLMD_PII_IBAN_CODE), .ssn = types & (1u << LLMD_PII_US_SSN),
        .secret = types & (1u << LLMD_PII_SECRET)};
    w.num = w.phone || w.ip || w.card || w.ssn;
    llmd_status st = LLMD_OK;
    size_t skip = 0, i = 0;
#if defined(LLMD_SCAN_AVX2)
    if (use_avx512) {
        i = use_vbmi ? scan_blocks64_lut(sc, &w, &skip, &st) : scan_blocks64(sc, &w, &skip, &st);
        if (st != LLMD_OK) return st;
    }
    if (use_avx2) {
        i = scan_blocks32(sc, &w, &skip, &st, i);
        if (st != LLMD_OK) return st;
    }
#endif
#if defined(__SSE2__)
    /* 16 bytes at a time: candidates are word starts whose first byte may begin a detection, and
     * the non-word trigger bytes. */
    unsigned carry = i > 0 && is_word(s[i - 1]);   /* 1 if the byte before the block is a word character */
    for (; i + 19 <= n; i += 16) {
        unsigned word, t1, t2;
        block_masks(s + i, &word, &t1, &t2);
        unsigned starts = word & ~((word << 1) | carry);
        carry = (word >> 15) & 1u;
        unsigned cand = ((starts & t1) | t2) & 0xFFFFu;
        while (cand) {
            size_t at = i + (size_t)__builtin_ctz(cand);
            cand &= cand - 1;
            if (at < skip) continue;
            if ((st = handle_at(sc, &w, at, &skip)) != LLMD_OK) return st;
        }
    }
#endif
    /* Scalar: the tail (or everything without SSE2). */
    for (; i < n; i++) {
        unsigned char c = s[i];
        unsigned char t = trig[c];
        if (t == T_NONE || i < skip) continue;
        if ((cls[c] & C_WORD) && i > 0 && is_word(s[i - 1])) continue;   /* not a word start */
        if ((st = handle_at(sc, &w, i, &skip)) != LLMD_OK) return st;
    }
    return LLMD_OK;
}

static llmd_status scan_rules(scan *sc) {
    const llmd_redactor *r = sc->r;
    for (size_t k = 0; k < r->n_rules; k++) {
        const rule *ru = &r->rules[k];
        pcre2_match_data *md = sc->md;   /* sized for every pattern of the redactor */
        size_t at = 0;
        llmd_status st = LLMD_OK;
        while (at <= sc->n) {
            int rc = ru->jit ? pcre2_jit_match(ru->code, sc->s, sc->n, at, 0, md, NULL)
                             : pcre2_match(ru->code, sc->s, sc->n, at, 0, md, NULL);
            if (rc == PCRE2_ERROR_NOMATCH) break;
            if (rc < 0) {
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(rc, msg, sizeof msg);
                st = rc == PCRE2_ERROR_NOMEMORY ? llmd_fail_nomem("matching a rule")
                                                : llmd_fail(LLMD_ERR_INTERNAL, "rule %s: PCRE2 match error at offset %zu: %s",
                                                            ru->type, at, (const char *)msg);
                break;
            }
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
            size_t b = ov[0], e = ov[1];
            if (e > b && (ru->validator == NULL || ru->validator((const char *)sc->s + b, e - b, ru->user)))
                if ((st = emit(sc, (uint32_t)(LLMD_PII_BUILTIN_COUNT + k), b, e)) != LLMD_OK) break;
            /* Advance: past the match, or one character past an empty one. */
            if (e > at && e > b) at = e;
            else {
                at = (e > at ? e : at) + 1;
                while (at < sc->n && (sc->s[at] & 0xC0) == 0x80) at++;
            }
        }
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

static int span_cmp(const void *a, const void *b) {
    const llmd_pii_span *x = a, *y = b;
    if (x->start != y->start) return x->start < y->start ? -1 : 1;
    size_t lx = x->end - x->start, ly = y->end - y->start;
    if (lx != ly) return lx > ly ? -1 : 1;
    if (x->type_id != y->type_id) return x->type_id < y->type_id ? -1 : 1;
    return 0;
}

void llmd_text_scratch_release_md(llmd_text_scratch *s) {
    pcre2_match_data_free(s->md);
    s->md = NULL;
    s->md_owner = NULL;
}

/* Match data with room for the captures of every pattern of r (made once per thread and
 * redactor: PCRE2 match data is the per-thread part of matching). */
static llmd_status scratch_md(const llmd_redactor *r, llmd_text_scratch *ts) {
    if (ts->md != NULL && ts->md_owner == r) return LLMD_OK;
    llmd_text_scratch_release_md(ts);
    uint32_t pairs = 8;
    for (size_t k = 0; k < r->n_rules; k++) {
        uint32_t captures = 0;
        if (pcre2_pattern_info(r->rules[k].code, PCRE2_INFO_CAPTURECOUNT, &captures) == 0 && captures + 1 > pairs)
            pairs = captures + 1;
    }
    ts->md = pcre2_match_data_create(pairs, r->gctx);
    if (ts->md == NULL) return llmd_fail_nomem("creating PCRE2 match data");
    ts->md_owner = r;
    return LLMD_OK;
}

llmd_status llmd_text_find(const llmd_redactor *r, const char *text, size_t len, llmd_text_scratch *ts,
                           llmd_pii_span **spans, size_t *n, size_t *cap) {
    pthread_once(&tables_once, init_tables);
    scan sc = {.r = r, .s = (const unsigned char *)text, .n = len, .c = *spans, .nc = 0, .cap = *cap,
               .pem_no_end_from = SIZE_MAX, .ipv6_done = 0};
    *n = 0;
    llmd_status st = LLMD_OK;
    if (!r->types && r->n_rules == 0) return LLMD_OK;
    if ((st = scratch_md(r, ts)) != LLMD_OK) return st;
    sc.md = ts->md;
    if (r->types) st = scan_builtins(&sc);
    if (st == LLMD_OK) st = scan_rules(&sc);
    *spans = sc.c;
    *cap = sc.cap;
    *n = 0;
    if (st != LLMD_OK) return st;
    /* Sort unless already ordered (the common case), then keep non-overlapping spans. */
    bool sorted = true;
    for (size_t k = 1; k < sc.nc && sorted; k++)
        if (span_cmp(&sc.c[k - 1], &sc.c[k]) > 0) sorted = false;
    if (!sorted) qsort(sc.c, sc.nc, sizeof *sc.c, span_cmp);
    size_t kept = 0, last_end = 0;
    for (size_t k = 0; k < sc.nc; k++) {
        if (kept > 0 && sc.c[k].start < last_end) continue;
        sc.c[kept] = sc.c[k];
        sc.c[kept].type = llmd_redactor_type_name(r, sc.c[k].type_id);
        last_end = sc.c[k].end;
        kept++;
    }
    *n = kept;
    return LLMD_OK;
}

