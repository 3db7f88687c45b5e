/* Text cleaning: UTF-8 repair, HTML stripping + character references, control characters,
 * Unicode normalisation (utf8proc, ASCII fast path) and whitespace collapsing.  Each step is a
 * linear pass that is skipped when it cannot change the text. */
#include <utf8proc.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "common/internal.h"
#include "io/utf8_wide.h"
#include "llmdata/text.h"
#include "text/text_internal.h"
#include "text/entities.h"

static const size_t clean_sizes[] = {sizeof(llmd_clean_options)};

void llmd_clean_options_init(llmd_clean_options *opts) {
    if (opts == NULL) return;
    llmd_clean_options d = LLMD_CLEAN_OPTIONS_INIT;
    *opts = d;
}

/* ---- 1. UTF-8 ------------------------------------------------------------------------------- */

static llmd_status fix_utf8(const char *text, size_t len, int mode, llmd_buf *out, bool *changed) {
    const unsigned char *s = (const unsigned char *)text;
    *changed = false;
#if defined(LLMD_UTF8_WIDE)
    if (llmd_utf8_wide_cpu() && llmd_utf8_valid_wide(s, len)) return LLMD_OK;
#endif
    size_t bad = llmd_utf8_validate(s, len);
    if (bad == len) return LLMD_OK;
    if (mode == LLMD_INVALID_UTF8_ERROR)
        return llmd_fail(LLMD_ERR_UTF8, "invalid UTF-8 at byte offset %zu (byte 0x%02X)", bad, s[bad]);
    *changed = true;
    llmd_status st = llmd_buf_reserve(out, len + len / 2 + 4);
    if (st != LLMD_OK) return st;
    return llmd_utf8_append_lossy(out, s, len);
}

/* ---- 2. HTML ------------------------------------------------------------------------------- */

static inline bool is_alpha(unsigned char c) { return (unsigned char)((c | 0x20) - 'a') < 26; }
static inline bool is_digit(unsigned char c) { return (unsigned char)(c - '0') < 10; }
static inline bool is_html_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}
static inline unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? c | 0x20 : c; }

static bool ieq(const unsigned char *a, const char *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != (unsigned char)b[i]) return false;
    return true;
}

/* Block-level elements whose tags become a line break (HTML "flow content" that browsers render on
 * their own lines). */
static bool is_block_tag(const unsigned char *name, size_t n) {
    static const char *const blocks[] = {
        "address", "article", "aside", "blockquote", "body", "br", "caption", "dd", "details", "div",
        "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "head", "header", "hr", "html", "li", "main", "nav", "ol", "option", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul", NULL};
    if (n > 10) return false;
    for (const char *const *b = blocks; *b; b++)
        if (strlen(*b) == n && ieq(name, *b, n)) return true;
    return false;
}

static const uint16_t win1252[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

static const llmd_entity *find_entity(const unsigned char *name, size_t n) {
    size_t lo = 0, hi = LLMD_N_ENTITIES;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *e = llmd_entities[mid].name;
        size_t el = strlen(e);
        int c = memcmp(name, e, n < el ? n : el);
        if (c == 0) c = (n < el) ? -1 : (n > el);
        if (c == 0) return &llmd_entities[mid];
        if (c < 0) hi = mid;
        else lo = mid + 1;
    }
    return NULL;
}

/* Decodes a character reference at s[0]=='&'; returns bytes consumed (0 = not a reference). */
static size_t decode_ref(const unsigned char *s, size_t n, llmd_buf *out, llmd_status *st) {
    *st = LLMD_OK;
    if (n < 3) return 0;
    if (s[1] == '#') {
        size_t i = 2;
        bool hex = false;
        if (i < n && (s[i] == 'x' || s[i] == 'X')) { hex = true; i++; }
        size_t d0 = i;
        uint32_t v = 0;
        while (i < n) {
            unsigned char c = s[i];
            unsigned dv;
            if (is_digit(c)) dv = c - '0';
            else if (hex && lower(c) >= 'a' && lower(c) <= 'f') dv = (unsigned)(lower(c) - 'a' + 10);
            else break;
            if (v <= 0x10FFFF) v = v * (hex ? 16 : 10) + dv;
            i++;
        }
        if (i == d0) return 0;
        if (i < n && s[i] == ';') i++;
        uint32_t cp = v;
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
        else if (cp >= 0x80 && cp <= 0x9F) cp = win1252[cp - 0x80];
        unsigned char u[4];
        size_t ul = llmd_utf8_encode(cp, u);
        *st = llmd_buf_append(out, u, ul);
        return i;
    }
    size_t i = 1;
    while (i < n && i < 40 && (is_alpha(s[i]) || is_digit(s[i]))) i++;
    if (i == 1) return 0;
    const llmd_entity *e = (i < n && s[i] == ';') ? find_entity(s + 1, i - 1) : NULL;
    if (e != NULL) {
        *st = llmd_buf_puts(out, e->utf8);
        return i + 1;
    }
    /* HTML5 also decodes 106 legacy names without ';' in text ("&copy 2024", "&notit;" -> "¬it;"):
     * the longest legacy name that prefixes the run. */
    size_t best = 0;
    for (size_t k = 0; k < LLMD_N_LEGACY; k++) {
        size_t l = strlen(llmd_legacy_entities[k]);
        if (l > best && l <= i - 1 && memcmp(s + 1, llmd_legacy_entities[k], l) == 0) best = l;
    }
    if (best == 0 || (e = find_entity(s + 1, best)) == NULL) return 0;
    *st = llmd_buf_puts(out, e->utf8);
    return best + 1;
}

static const unsigned char *find_bytes(const unsigned char *h, size_t hn, const char *needle) {
    return memmem(h, hn, needle, strlen(needle));
}

/* Finds "</name" (case-insensitive) followed by space, '/' or '>' in s[0..n); returns its offset
 * or n. */
static size_t find_end_tag(const unsigned char *s, size_t n, const unsigned char *name, size_t nl) {
    size_t i = 0;
    while (i < n) {
        const unsigned char *p = memchr(s + i, '<', n - i);
        if (p == NULL) return n;
        i = (size_t)(p - s);
        if (i + 2 + nl <= n && s[i + 1] == '/' && ieq(s + i + 2, (const char *)name, nl)) {
            size_t k = i + 2 + nl;
            if (k == n || is_html_space(s[k]) || s[k] == '/' || s[k] == '>') return i;
        }
        i++;
    }
    return n;
}

/* Parses a tag at s[0]=='<' (s[1] is a letter or '/'+letter).  Returns bytes consumed, 0 if this
 * is not a tag.  Sets name/name_len, *end_tag, *self_closing. */
static size_t parse_tag(const unsigned char *s, size_t n, size_t last_gt, const unsigned char **name,
                        size_t *name_len, bool *end_tag) {
    size_t i = 1;
    *end_tag = false;
    if (s[i] == '/') { *end_tag = true; i++; }
    if (i >= n || !is_alpha(s[i])) return 0;
    size_t ns = i;
    while (i < n && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '-' || s[i] == ':' || s[i] == '_')) i++;
    if (i >= n || !(is_html_space(s[i]) || s[i] == '/' || s[i] == '>')) return 0;
    /* "<br/>" is a tag, "<https://x>" is not. */
    if (s[i] == '/' && !(i + 1 < n && (s[i + 1] == '>' || is_html_space(s[i + 1])))) return 0;
    if (i > last_gt) return 0;   /* no '>' anywhere after: not a tag */
    *name = s + ns;
    *name_len = i - ns;
    /* Attributes: quoted values (after '=') may contain '>'. */
    while (i < n) {
        unsigned char c = s[i];
        if (c == '>') return i + 1;
        if (c == '=') {
            i++;
            while (i < n && is_html_space(s[i])) i++;
            if (i < n && (s[i] == '"' || s[i] == '\'')) {
                const unsigned char *q = memchr(s + i + 1, s[i], n - i - 1);
                if (q != NULL) {
                    i = (size_t)(q - s) + 1;
                    continue;
                }
                /* Unclosed quote: the tag ends at the next '>'. */
                const unsigned char *g = memchr(s + i, '>', n - i);
                return g ? (size_t)(g - s) + 1 : 0;
            }
            continue;
        }
        i++;
    }
    return 0;
}

static llmd_status strip_html(const unsigned char *s, size_t n, llmd_buf *out) {
    llmd_status st = llmd_buf_reserve(out, n);
    if (st != LLMD_OK) return st;
    size_t last_gt = 0;
    const unsigned char *g = memrchr(s, '>', n);
    bool have_gt = g != NULL;
    if (have_gt) last_gt = (size_t)(g - s);
    size_t i = 0, run = 0;
#define FLUSH() do { if (i > run && (st = llmd_buf_append(out, s + run, i - run)) != LLMD_OK) return st; } while (0)
    /* Next '<' and '&' at or after i (n if none), found with memchr. */
    size_t next_lt = 0, next_amp = 0;
    while (i < n) {
        if (next_lt < i) next_lt = i;
        if (next_amp < i) next_amp = i;
        if (next_lt < n && s[next_lt] != '<') {
            const unsigned char *q = memchr(s + next_lt, '<', n - next_lt);
            next_lt = q ? (size_t)(q - s) : n;
        }
        if (next_amp < n && s[next_amp] != '&') {
            const unsigned char *q = memchr(s + next_amp, '&', n - next_amp);
            next_amp = q ? (size_t)(q - s) : n;
        }
        i = next_lt < next_amp ? next_lt : next_amp;
        if (i >= n) break;
        unsigned char c = s[i];
        if (c == '&') {
            FLUSH();
            size_t used = decode_ref(s + i, n - i, out, &st);
            if (st != LLMD_OK) return st;
            if (used == 0) { run = i; i++; continue; }
            i += used;
            run = i;
            continue;
        }
        /* c == '<' */
        size_t rest = n - i;
        const unsigned char *p = s + i;
        if (rest >= 4 && p[1] == '!' && p[2] == '-' && p[3] == '-') {
            FLUSH();
            size_t end;
            if (rest >= 5 && p[4] == '>') end = 5;                                /* <!--> */
            else if (rest >= 6 && p[4] == '-' && p[5] == '>') end = 6;            /* <!---> */
            else {
                const unsigned char *e = find_bytes(p + 4, rest - 4, "-->");
                end = e ? (size_t)(e - p) + 3 : rest;
            }
            i += end;
            run = i;
            continue;
        }
        if (rest >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
            FLUSH();
            const unsigned char *e = find_bytes(p + 9, rest - 9, "]]>");
            size_t body = e ? (size_t)(e - p) - 9 : rest - 9;
            if ((st = llmd_buf_append(out, p + 9, body)) != LLMD_OK) return st;
            i += 9 + body + (e ? 3 : 0);
            run = i;
            continue;
        }
        if (rest >= 2 && ((p[1] == '!' && rest >= 3 && is_alpha(p[2])) || p[1] == '?')) {
            if (!have_gt || i > last_gt) { i++; continue; }
            FLUSH();
            const unsigned char *e = memchr(p, '>', rest);
            i += (size_t)(e - p) + 1;
            run = i;
            continue;
        }
        if (rest >= 2 && (is_alpha(p[1]) || p[1] == '/')) {
            const unsigned char *name = NULL;
            size_t nl = 0;
            bool end_tag;
            size_t used = have_gt ? parse_tag(p, rest, last_gt - i, &name, &nl, &end_tag) : 0;
            if (used == 0) { i++; continue; }
            FLUSH();
            if (is_block_tag(name, nl) && (st = llmd_buf_putc(out, '\n')) != LLMD_OK) return st;
            i += used;
            bool self_closing = used >= 2 && p[used - 2] == '/';
            bool script = nl == 6 && ieq(name, "script", 6), style = nl == 5 && ieq(name, "style", 5);
            if (!end_tag && !self_closing && (script || style)) {
                size_t e = find_end_tag(s + i, n - i, (const unsigned char *)(script ? "script" : "style"), nl);
                i += e;
                if (i < n) {
                    const unsigned char *gt = memchr(s + i, '>', n - i);
                    i = gt ? (size_t)(gt - s) + 1 : n;
                }
            }
            run = i;
            continue;
        }
        i++;
    }
    FLUSH();
#undef FLUSH
    return LLMD_OK;
}

/* ---- 3-5. controls, normalisation and whitespace, fused in one pass -------------------------- */

/* Length of the white-space character at s[0] (0 if none); *breaks gets its line-break weight. */
static inline size_t ws_len(const unsigned char *s, size_t n, int *breaks) {
    unsigned char c = s[0];
    *breaks = 0;
    if (c < 0x80) {
        if (c == ' ' || c == '\t' || c == '\v' || c == '\f') return 1;
        if (c == '\n') { *breaks = 1; return 1; }
        if (c == '\r') { *breaks = (n > 1 && s[1] == '\n') ? 0 : 1; return 1; }
        if (c >= 0x1C && c <= 0x1F) return 1;   /* information separators (Python's \s) */
        return 0;
    }
    if (c == 0xC2 && n > 1 && (s[1] == 0x85 || s[1] == 0xA0)) { *breaks = s[1] == 0x85; return 2; }
    if (c == 0xE1 && n > 2 && s[1] == 0x9A && s[2] == 0x80) return 3;
    if (c == 0xE2 && n > 2) {
        if (s[1] == 0x80 && (s[2] <= 0x8A || s[2] == 0xAF)) return 3;
        if (s[1] == 0x80 && s[2] == 0xA8) { *breaks = 1; return 3; }
        if (s[1] == 0x80 && s[2] == 0xA9) { *breaks = 2; return 3; }
        if (s[1] == 0x81 && s[2] == 0x9F) return 3;
        return 0;
    }
    if (c == 0xE3 && n > 2 && s[1] == 0x80 && s[2] == 0x80) return 3;
    return 0;
}

/* Byte kinds for the fused pass (depend on the options). */
enum { K_PLAIN = 0, K_WS = 1, K_CTRL = 2, K_HIGH = 3 };

typedef struct emitter {
    llmd_buf *b;
    size_t base;       /* output offset where this text starts */
    bool ws, para;     /* collapsing white space; keeping paragraph breaks */
    bool drop;         /* dropping controls */
    bool pending;      /* a white-space run waits to be written */
    int breaks;
} emitter;

/* Writes the separator for a pending white-space run (none at the start of the text).  The caller
 * reserved room. */
static inline void put_sep(emitter *e) {
    if (e->b->len > e->base) {
        if (e->para && e->breaks >= 2) {
            e->b->data[e->b->len++] = '\n';
            e->b->data[e->b->len++] = '\n';
        } else {
            e->b->data[e->b->len++] = ' ';
        }
    }
    e->pending = false;
    e->breaks = 0;
}

/* Emits already-normalised UTF-8 (a non-ASCII segment) through white-space/C1 handling. */
static llmd_status emit_segment(emitter *e, const unsigned char *s, size_t n) {
    llmd_status st = llmd_buf_reserve(e->b, n + 2);
    if (st != LLMD_OK) return st;
    size_t i = 0;
    while (i < n) {
        int br;
        size_t l = e->ws ? ws_len(s + i, n - i, &br) : 0;
        if (l) {
            e->pending = true;
            e->breaks += br;
            i += l;
            continue;
        }
        if (e->drop && s[i] == 0xC2 && i + 1 < n && s[i + 1] < 0xA0) { i += 2; continue; }
        if (e->drop && s[i] < 0x80 && (s[i] < 0x20 || s[i] == 0x7F) && s[i] != '\t' && s[i] != '\n') { i++; continue; }
        if (e->pending) put_sep(e);
        e->b->data[e->b->len++] = (char)s[i++];
    }
    e->b->data[e->b->len] = '\0';
    return LLMD_OK;
}

/* Normalises one non-ASCII segment with utf8proc (decompose, then compose) into out (replacing
 * its contents). */
static llmd_status normalize_segment(const unsigned char *seg, size_t n, int form, llmd_buf *out,
                                     utf8proc_int32_t **cps, size_t *cap) {
    utf8proc_option_t o = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
    if (form == LLMD_NORM_NFKC) o |= UTF8PROC_COMPAT;
    size_t want = n * 2 + 8;
    llmd_buf_reset(out);
    for (;;) {
        if (*cap < want) {
            utf8proc_int32_t *p = llmd_realloc(*cps, *cap * sizeof **cps, want * sizeof **cps);
            if (p == NULL) return llmd_fail_nomem("normalising text");
            *cps = p;
            *cap = want;
        }
        utf8proc_ssize_t r = utf8proc_decompose(seg, (utf8proc_ssize_t)n, *cps, (utf8proc_ssize_t)*cap, o);
        if (r < 0)
            return llmd_fail(LLMD_ERR_INTERNAL, "utf8proc_decompose: %s", utf8proc_errmsg(r));
        if ((size_t)r > *cap) { want = (size_t)r; continue; }
        r = utf8proc_normalize_utf32(*cps, r, o);
        if (r < 0)
            return llmd_fail(LLMD_ERR_INTERNAL, "utf8proc_normalize_utf32: %s", utf8proc_errmsg(r));
        llmd_status st = llmd_buf_reserve(out, (size_t)r * 4);
        if (st != LLMD_OK) return st;
        unsigned char *o8 = (unsigned char *)out->data;
        for (utf8proc_ssize_t k = 0; k < r; k++) o8 += llmd_utf8_encode((uint32_t)(*cps)[k], o8);
        out->len = (size_t)((char *)o8 - out->data);
        out->data[out->len] = '\0';
        return LLMD_OK;
    }
}

/* True when NFC leaves the run unchanged for sure: every character is in U+0080-U+02FF,
 * U+2010-U+206F or U+20A0-U+20BF.  Those blocks have no NFC_Quick_Check=No/Maybe characters, no
 * combining marks and nothing that composes with a preceding character, and the run is bounded
 * by ASCII (starters that compose with nothing before them). */
static bool nfc_stable_run(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c >= 0xC2 && c <= 0xCB && i + 1 < n) { i += 2; continue; }
        if (c == 0xE2 && i + 2 < n) {
            unsigned char c1 = s[i + 1], c2 = s[i + 2];
            if ((c1 == 0x80 && c2 >= 0x90) || c1 == 0x81 || (c1 == 0x82 && c2 >= 0xA0)) { i += 3; continue; }
        }
        return false;
    }
    return true;
}

/* Starters (canonical combining class 0) that compose with a starter before them -- NFC_QC=Maybe
 * among starters, in the BMP: Hangul vowel and trailing jamo, and Indic/Myanmar/Balinese vowel
 * length marks (derived from UnicodeData.txt: second characters of primary composites). */
static bool composes_with_previous(uint32_t cp) {
    static const uint16_t marks[] = {0x09BE, 0x09D7, 0x0B3E, 0x0B56, 0x0B57, 0x0BBE, 0x0BD7, 0x0CC2, 0x0CD5,
                                     0x0CD6, 0x0D3E, 0x0D57, 0x0DCF, 0x0DDF, 0x102E, 0x1B35};
    if ((cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11A8 && cp <= 0x11C2)) return true;
    for (size_t k = 0; k < sizeof marks / sizeof *marks; k++)
        if (cp == marks[k]) return true;
    return false;
}

/* True when NFC leaves a run bounded by ASCII unchanged for sure, for any script: every character
 * is in the BMP (characters beyond it take the full path, so newer Unicode versions cannot add a
 * case this misses), has combining class 0, is not NFC_QC=No (a canonical decomposition that is
 * excluded from composition: singletons such as U+212B, and the composition exclusions), and
 * cannot compose with the character before it.  Then there is nothing to reorder or compose and
 * every character is already in its NFC form: CJK, kana without voicing marks, Cyrillic, Greek
 * and Latin letters, precomposed or not, skip utf8proc's decompose + compose. */
static bool nfc_quick_yes(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = llmd_utf8_decode(s + i, n - i, &cp);
        if (l == 0 || cp > 0xFFFF) return false;
        const utf8proc_property_t *p = utf8proc_get_property((utf8proc_int32_t)cp);
        if (p->combining_class != 0) return false;
        if (p->decomp_seqindex != UINT16_MAX && p->decomp_type == 0) {
            /* A canonical decomposition: NFC keeps the character only if composing its
             * decomposition gives it back (not for singletons such as U+212B or U+1F71, composition
             * exclusions, non-starter decompositions such as U+0F73).  utf8proc's flags do not
             * tell all of these apart, so ask it; precomposed letters pay this, nothing else. */
            utf8proc_int32_t d[8];
            int bc = 0;
            utf8proc_ssize_t dl = utf8proc_decompose_char((utf8proc_int32_t)cp, d, 8, UTF8PROC_DECOMPOSE, &bc);
            if (dl < 1 || dl > 8) return false;
            dl = utf8proc_normalize_utf32(d, dl, UTF8PROC_STABLE | UTF8PROC_COMPOSE);
            if (dl != 1 || d[0] != (utf8proc_int32_t)cp) return false;
        }
        if (composes_with_previous(cp)) return false;
        i += l;
    }
    return true;
}

#if defined(__x86_64__) && defined(__GNUC__)
#define LLMD_CLEAN_AVX2 1
#include <immintrin.h>
/* The fast path of finish_pass 32 bytes at a time: copies printable ASCII with at most single
 * spaces (with ws: single " ", "\n" or "\t", written as " ") between printable characters from
 * s[i..] to o while whole blocks qualify, then the
 * qualifying start of the next block.  s[i + 32] must exist for every block taken (the caller
 * checks i + 32 < n) and o must have room for 32 bytes past every byte kept.  Returns the bytes
 * taken; *last_plain tells whether the last one is a printable character. */
__attribute__((target("avx2"))) static size_t plain_run32(const unsigned char *s, size_t i, size_t n, char *o,
                                                          bool *last_plain, bool ws) {
    const size_t start = i;
    unsigned lp = *last_plain;
    while (i + 32 < n) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(s + i));
        __m256i plain = _mm256_and_si256(_mm256_cmpgt_epi8(v, _mm256_set1_epi8(0x20)),
                                         _mm256_cmpgt_epi8(_mm256_set1_epi8(0x7F), v));
        uint32_t P = (uint32_t)_mm256_movemask_epi8(plain);
        __m256i sp = _mm256_cmpeq_epi8(v, _mm256_set1_epi8(' '));
        if (ws) {
            /* Collapsing white space: a single "\n" or "\t" between printable characters becomes
             * " " (what the byte-wise path makes of it), so lines of text stay on this path. */
            sp = _mm256_or_si256(sp, _mm256_or_si256(_mm256_cmpeq_epi8(v, _mm256_set1_epi8('\n')),
                                                     _mm256_cmpeq_epi8(v, _mm256_set1_epi8('\t'))));
            v = _mm256_blendv_epi8(v, _mm256_set1_epi8(' '), sp);
        }
        uint32_t SP = (uint32_t)_mm256_movemask_epi8(sp);
        uint32_t next_plain = s[i + 32] > 0x20 && s[i + 32] < 0x7F;
        uint32_t ok = SP & ((P << 1) | lp) & ((P >> 1) | (next_plain << 31));
        uint32_t bad = ~(P | ok);
        unsigned k = bad ? (unsigned)__builtin_ctz(bad) : 32u;
        if (k == 0) break;
        _mm256_storeu_si256((__m256i *)(void *)(o + (i - start)), v);
        i += k;
        lp = (P >> (k - 1)) & 1u;
        if (k < 32) break;
    }
    *last_plain = lp != 0;
    return i - start;
}

/* plain_run32 64 bytes at a time with AVX-512BW (the masks are 64-bit registers, so the same
 * tests take half the instructions per byte).  s[i + 64] must exist for every block taken and o
 * must have room for 64 bytes past every byte kept. */
__attribute__((target("avx512f,avx512bw"))) static size_t plain_run64(const unsigned char *s, size_t i, size_t n,
                                                                    char *o, bool *last_plain, bool ws) {
    const size_t start = i;
    uint64_t lp = *last_plain;
    const __m512i space = _mm512_set1_epi8(' ');
    while (i + 64 < n) {
        __m512i v = _mm512_loadu_si512((const void *)(s + i));
        /* 0x21..0x7E: v - 0x21 <= 0x5D unsigned */
        uint64_t P = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(0x21)), _mm512_set1_epi8(0x5D));
        uint64_t SP = _mm512_cmpeq_epi8_mask(v, space);
        if (ws) {
            SP |= _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n')) | _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\t'));
            v = _mm512_mask_blend_epi8(SP, v, space);
        }
        uint64_t next_plain = s[i + 64] > 0x20 && s[i + 64] < 0x7F;
        uint64_t ok = SP & ((P << 1) | lp) & ((P >> 1) | (next_plain << 63));
        uint64_t bad = ~(P | ok);
        unsigned k = bad ? (unsigned)__builtin_ctzll(bad) : 64u;
        if (k == 0) break;
        _mm512_storeu_si512((void *)(o + (i - start)), v);
        i += k;
        lp = (P >> (k - 1)) & 1u;
        if (k < 64) break;
    }
    *last_plain = lp != 0;
    return i - start;
}

/* Collapsing white space without paragraph breaks and dropping controls (the default), 64 bytes
 * at a time with AVX-512 VBMI2: printable ASCII is kept and each white-space run (space, \t, \n,
 * \r, \v, \f) becomes one " ", with one compress per block -- runs of any length and line breaks
 * stay on this path, unlike plain_run64's single spaces.  What the byte-wise loop does: a run
 * between printable characters becomes one space, a run before anything was written (at_start)
 * vanishes.
 *
 * A block of only printable bytes and white space (and whose next byte is one of those) is taken
 * whole, i + 64 whatever it holds, so the loop does not wait on its own masks: a run's space is
 * written at its last byte, once the byte after it is known, and a run reaching past the block
 * stays open into the next.  Any other block is taken up to its last printable byte before the
 * first other byte (runs then written at their first byte).  Stops at a block that starts with
 * another kind of byte, or near the end; *pending then tells that a run is open (the caller's
 * emitter takes it over).  Must be called with no white space pending.  o needs room for 64
 * bytes past the output.  Returns the input bytes taken; *written tells the output bytes. */
__attribute__((target("avx512f,avx512bw,avx512vbmi2,popcnt"))) static size_t collapse_run64(const unsigned char *s,
                                                                                            size_t i, size_t n, char *o,
                                                                                            size_t *written,
                                                                                            bool at_start,
                                                                                            bool *pending) {
    const size_t start = i;
    size_t w = 0;
    bool lead = at_start;   /* nothing printable written yet: a run now is leading white space */
    bool open = false;      /* the last byte taken is white space of a run not yet written */
    const __m512i space = _mm512_set1_epi8(' ');
    while (i + 65 <= n) {
        __m512i v = _mm512_loadu_si512((const void *)(s + i));
        uint64_t P = _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(0x21)), _mm512_set1_epi8(0x5D));
        /* \t \n \v \f \r are 0x09..0x0D */
        uint64_t W = _mm512_cmpeq_epi8_mask(v, space) |
                     _mm512_cmple_epu8_mask(_mm512_sub_epi8(v, _mm512_set1_epi8(0x09)), _mm512_set1_epi8(0x04));
        unsigned char c = s[i + 64];
        bool next_w = c == ' ' || (c >= 0x09 && c <= 0x0D), next_p = c > 0x20 && c < 0x7F;
        uint64_t keep;
        unsigned len;
        if ((P | W) == ~(uint64_t)0 && (next_w || next_p)) {
            /* The last byte of each run (every run here ends before a printable byte). */
            uint64_t sep = W & ~((W >> 1) | ((uint64_t)next_w << 63));
            if (lead) {   /* the leading run (it ends before the first printable byte) vanishes */
                if (P) {
                    sep &= ~(((uint64_t)1 << __builtin_ctzll(P)) - 1);
                    lead = false;
                } else {
                    sep = 0;
                }
            }
            keep = P | sep;
            len = 64;
            open = (W >> 63) && next_w;
        } else {
            if (open) break;   /* the open run meets another kind of byte: the emitter's turn */
            uint64_t good = P | W;
            uint64_t L0 = ~good ? ((uint64_t)1 << __builtin_ctzll(~good)) - 1 : ~(uint64_t)0;
            uint64_t pm = P & L0;   /* up to the last printable byte: a run after it is not closed */
            if (pm == 0) break;
            len = 64u - (unsigned)__builtin_clzll(pm);
            uint64_t L = len == 64 ? ~(uint64_t)0 : ((uint64_t)1 << len) - 1;
            W &= L;
            uint64_t first = W & ~(W << 1);   /* the byte before the block is printable (or nothing) */
            if (lead) {
                first &= ~(uint64_t)1;
                lead = false;   /* pm != 0: a printable byte is taken */
            }
            keep = pm | first;
        }
        __m512i out = _mm512_maskz_compress_epi8(keep, _mm512_mask_blend_epi8(W, v, space));
        _mm512_storeu_si512((void *)(o + w), out);
        w += (size_t)__builtin_popcountll(keep);
        i += len;
    }
    *written = w;
    *pending = open;
    return i - start;
}

static bool cpu_has_vbmi2(void) {
    static int v = -1;   /* a benign race: every thread computes the same value */
    int got = __atomic_load_n(&v, __ATOMIC_RELAXED);
    if (got < 0) {
        __builtin_cpu_init();
        got = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
              __builtin_cpu_supports("avx512vbmi2");
        __atomic_store_n(&v, got, __ATOMIC_RELAXED);
    }
    return got != 0;
}

static bool cpu_has_avx512bw(void) {
    static int v = -1;   /* a benign race: every thread computes the same value */
    int got = __atomic_load_n(&v, __ATOMIC_RELAXED);
    if (got < 0) {
        __builtin_cpu_init();
        got = llmd_cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
        __atomic_store_n(&v, got, __ATOMIC_RELAXED);
    }
    return got != 0;
}
#endif

static llmd_status finish_pass(const unsigned char *s, size_t n, const llmd_clean_options *o, llmd_text_scratch *sc,
                               llmd_buf *out) {
    uint8_t kind[256];
    bool drop = o->drop_controls != 0, ws = o->whitespace != 0;
    for (int c = 0; c < 256; c++) {
        uint8_t k = K_PLAIN;
        if (c >= 0x80) k = K_HIGH;
        else if (ws && (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' ||
                        (c >= 0x1C && c <= 0x1F && !drop)))
            k = K_WS;
        else if (drop && ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F)) k = K_CTRL;
        kind[c] = k;
    }
    /* Drop mode: "\r" is a control even when collapsing, so "\r\n" counts as one break. */
    llmd_status st = llmd_buf_reserve(out, n + 2);
    if (st != LLMD_OK) return st;
    emitter e = {out, out->len, ws, o->keep_paragraphs != 0, drop, false, 0};
#if defined(LLMD_CLEAN_AVX2)
    const bool avx2 = llmd_cpu_has_avx2(), avx512 = cpu_has_avx512bw();
    const bool collapse64 = ws && drop && !e.para && avx512 && cpu_has_vbmi2();
#endif
    /* utf8proc_int32_t is int32_t (utf8proc.h); the scratch keeps the buffers between texts. */
    utf8proc_int32_t **cps = (utf8proc_int32_t **)&sc->cps;
    size_t *cap = &sc->cps_cap;
    llmd_buf *seg = &sc->seg, *norm = &sc->norm;
    bool last_plain = false;   /* the last byte written is a plain ASCII character */
    size_t i = 0;
    while (i < n) {
#if defined(__SSE2__)
        /* 16 bytes of printable ASCII with at most single spaces between printable characters are
         * copied as they are. */
        if (i + 16 < n) {
            if (e.pending && s[i] > 0x20 && s[i] < 0x7F) {
                put_sep(&e);
                last_plain = false;
            }
            if (!e.pending) {
#if defined(LLMD_CLEAN_AVX2)
                if (collapse64 && i + 64 < n) {
                    /* Room as below. */
                    size_t wrote = 0;
                    bool open_run = false;
                    size_t k = collapse_run64(s, i, n, out->data + out->len, &wrote, out->len == e.base, &open_run);
                    if (k > 0) {
                        out->len += wrote;
                        i += k;
                        last_plain = !open_run;
                        e.pending = open_run;
                        if (i + 64 < n) goto bytewise;
                        continue;
                    }
                }
                if (avx512 && i + 64 < n) {
                    /* Room as below. */
                    size_t k = plain_run64(s, i, n, out->data + out->len, &last_plain, ws);
                    if (k > 0) {
                        out->len += k;
                        i += k;
                        if (i + 64 < n) goto bytewise;
                        continue;
                    }
                }
                if (avx2 && i + 32 < n) {
                    /* Room: the output is never longer than the input read so far, and room for
                     * the rest of the input was reserved (32 < n - i). */
                    size_t k = plain_run32(s, i, n, out->data + out->len, &last_plain, ws);
                    if (k > 0) {
                        out->len += k;
                        i += k;
                        /* Stopped before the end: s[i] needs the byte-wise path. */
                        if (i + 32 < n) goto bytewise;
                        continue;
                    }
                }
#endif
                const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
                __m128i plain = _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8(0x20)),
                                              _mm_cmplt_epi8(v, _mm_set1_epi8(0x7F)));
                unsigned P = (unsigned)_mm_movemask_epi8(plain);
                unsigned SP = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
                unsigned next_plain = s[i + 16] > 0x20 && s[i + 16] < 0x7F;
                unsigned ok = SP & ((P << 1) | (unsigned)last_plain) & ((P >> 1) | (next_plain << 15));
                unsigned bad = ~(P | ok) & 0xFFFFu;
                unsigned k = bad ? (unsigned)__builtin_ctz(bad) : 16u;
                if (k > 0) {
                    /* Stores 16 bytes, keeps k: the output is never longer than the input read so
                     * far, and room for the whole input was reserved. */
                    _mm_storeu_si128((__m128i *)(void *)(out->data + out->len), v);
                    out->len += k;
                    i += k;
                    last_plain = (P >> (k - 1)) & 1u;
                    if (k < 16) goto bytewise;
                    continue;
                }
            }
        }
    bytewise:
#endif
        if (kind[s[i]] == K_PLAIN) {
            if (e.pending) put_sep(&e);
            char *op = out->data + out->len;
            while (i < n && kind[s[i]] == K_PLAIN) *op++ = (char)s[i++];
            out->len = (size_t)(op - out->data);
            last_plain = true;
            if (i >= n) break;
        }
        unsigned char c = s[i];
        switch (kind[c]) {
        case K_WS:
            /* The whole run at once. */
            e.pending = true;
            last_plain = false;
            do {
                if (c == '\n' || (c == '\r' && !(i + 1 < n && s[i + 1] == '\n'))) e.breaks++;
                i++;
            } while (i < n && kind[c = s[i]] == K_WS);
            break;
        case K_CTRL:
            i++;
            break;
        default: { /* K_HIGH: the run up to the next ASCII byte */
            size_t b = i;
            while (i < n && s[i] >= 0x80) i++;
            const unsigned char *run = s + b;
            size_t rl = i - b;
            if (o->normalization == LLMD_NORM_NONE ||
                (o->normalization == LLMD_NORM_NFC && (nfc_stable_run(run, rl) || nfc_quick_yes(run, rl)))) {
                out->data[out->len] = '\0';
                if ((st = emit_segment(&e, run, rl)) != LLMD_OK) goto done;
            } else {
                /* The plain ASCII character just written may compose with a leading combining
                 * mark: normalise it together with the run (ASCII characters are starters, so
                 * nothing before it can interact). */
                llmd_buf_reset(seg);
                if (last_plain && !e.pending && out->len > e.base) {
                    if ((st = llmd_buf_putc(seg, out->data[--out->len])) != LLMD_OK) goto done;
                }
                for (size_t k = 0; k < rl; k++) {
                    /* Controls go before normalisation: C1 (C2 80..C2 9F) never reach utf8proc. */
                    if (drop && run[k] == 0xC2 && k + 1 < rl && run[k + 1] < 0xA0) { k++; continue; }
                    if ((st = llmd_buf_putc(seg, (char)run[k])) != LLMD_OK) goto done;
                }
                if ((st = normalize_segment((const unsigned char *)seg->data, seg->len, o->normalization, norm,
                                            cps, cap)) != LLMD_OK) goto done;
                if ((st = emit_segment(&e, (const unsigned char *)norm->data, norm->len)) != LLMD_OK) goto done;
            }
            last_plain = false;
            /* Keep room for the rest of the input (+ a separator). */
            if ((st = llmd_buf_reserve(out, (n - i) + 2)) != LLMD_OK) goto done;
            break;
        }
        }
    }
    out->data[out->len] = '\0';
done:
    return st;
}

/* ---- the whole pass -------------------------------------------------------------------------- */

#if defined(LLMD_CLEAN_AVX2)
/* has_markup 64 bytes at a time; returns where it stopped (the first block with '<' or '&', or
 * the last bytes). */
__attribute__((target("avx512f,avx512bw"))) static size_t markup_free64(const unsigned char *s, size_t n) {
    size_t i = 0;
    const __m512i lt = _mm512_set1_epi8('<'), amp = _mm512_set1_epi8('&');
    for (; i + 64 <= n; i += 64) {
        const __m512i v = _mm512_loadu_si512((const void *)(s + i));
        if (_mm512_cmpeq_epi8_mask(v, lt) | _mm512_cmpeq_epi8_mask(v, amp)) break;
    }
    return i;
}
#endif

/* Whether s[0..n) holds '<' or '&' (one pass for both). */
static bool has_markup(const unsigned char *s, size_t n) {
    size_t i = 0;
#if defined(LLMD_CLEAN_AVX2)
    if (cpu_has_avx512bw()) i = markup_free64(s, n);
#endif
#if defined(__SSE2__)
    const __m128i lt = _mm_set1_epi8('<'), amp = _mm_set1_epi8('&');
    for (; i + 16 <= n; i += 16) {
        const __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        if (_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, lt), _mm_cmpeq_epi8(v, amp)))) return true;
    }
#endif
    for (; i < n; i++)
        if (s[i] == '<' || s[i] == '&') return true;
    return false;
}

void llmd_text_scratch_free(llmd_text_scratch *s) {
    if (s == NULL) return;
    llmd_buf_free(&s->fix);
    llmd_buf_free(&s->html);
    llmd_buf_free(&s->seg);
    llmd_buf_free(&s->norm);
    llmd_buf_free(&s->region);
    llmd_free(s->cps);
    llmd_text_scratch_release_md(s);
    memset(s, 0, sizeof *s);
}

llmd_status llmd_text_clean_buf(const char *text, size_t len, const llmd_clean_options *o, llmd_text_scratch *sc,
                                llmd_buf *out) {
    llmd_status st = LLMD_OK;
    const char *cur = text;
    size_t cur_len = len;
    bool changed;
    llmd_buf_reset(&sc->fix);
    if ((st = fix_utf8(cur, cur_len, o->invalid_utf8, &sc->fix, &changed)) != LLMD_OK) return st;
    if (changed) {
        cur = sc->fix.data;
        cur_len = sc->fix.len;
    }
    if (o->html && cur_len && has_markup((const unsigned char *)cur, cur_len)) {
        llmd_buf_reset(&sc->html);
        if ((st = strip_html((const unsigned char *)cur, cur_len, &sc->html)) != LLMD_OK) return st;
        cur = sc->html.data;
        cur_len = sc->html.len;
    }
    if (o->drop_controls || o->whitespace || o->normalization != LLMD_NORM_NONE)
        return finish_pass((const unsigned char *)cur, cur_len, o, sc, out);
    return llmd_buf_append(out, cur, cur_len);
}

llmd_status llmd_text_clean_opts(llmd_clean_options *dst, const llmd_clean_options *opts) {
    llmd_clean_options_init(dst);
    llmd_status st = llmd_options_copy(dst, opts, clean_sizes, LLMD_CLEAN_OPTIONS_VERSION,
                                       "llmd_clean_options");
    if (st != LLMD_OK) return st;
    if (dst->normalization < LLMD_NORM_NFC || dst->normalization > LLMD_NORM_NONE)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_clean_options.normalization: unknown value %d",
                         dst->normalization);
    if (dst->invalid_utf8 != LLMD_INVALID_UTF8_REPLACE && dst->invalid_utf8 != LLMD_INVALID_UTF8_ERROR)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_clean_options.invalid_utf8: unknown value %d",
                         dst->invalid_utf8);
    return LLMD_OK;
}

llmd_status llmd_clean_text(const char *text, size_t len, const llmd_clean_options *opts, char **out,
                            size_t *out_len) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_clean_text: out is NULL");
    *out = NULL;
    if (out_len) *out_len = 0;
    if (text == NULL && len > 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_clean_text: text is NULL");
    llmd_clean_options o;
    llmd_status st = llmd_text_clean_opts(&o, opts);
    if (st != LLMD_OK) return st;
    llmd_buf b = LLMD_BUF_INIT;
    llmd_text_scratch sc = {0};
    if (text == NULL) text = "";
    if ((st = llmd_text_clean_buf(text, len, &o, &sc, &b)) == LLMD_OK && (st = llmd_buf_reserve(&b, 0)) == LLMD_OK) {
        llmd_text_scratch_free(&sc);
        *out = llmd_buf_detach(&b, out_len);
        return LLMD_OK;
    }
    llmd_text_scratch_free(&sc);
    llmd_buf_free(&b);
    return st;
}
