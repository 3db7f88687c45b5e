/* Quality filters with datatrove's semantics (see include/llmdata/filter.h).  Each rule function
 * names the datatrove class it follows; the order of checks is datatrove's. */
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <utf8proc.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "common/internal.h"
#include "filter/ngram.h"
#include "filter/uni.h"
#include "filter/words.h"
#include "llmdata/filter.h"
#include "llmdata/langid.h"
#include "badwords_data.h"
#include "punct_data.h"

#define FRULE_COUNT ((int)LLMD_FRULE_LANGUAGE + 1)

static const char *const rule_names[FRULE_COUNT] = {
    "len_min", "len_max",
    "c4_line_too_long_word", "c4_line_no_terminal_punct", "c4_line_too_few_words", "c4_line_javascript",
    "c4_line_policy", "c4_lorem_ipsum", "c4_curly_bracket", "c4_too_few_sentences",
    "badwords",
    "gopher_short_doc", "gopher_long_doc", "gopher_below_avg_word_length", "gopher_above_avg_word_length",
    "gopher_too_many_hashes", "gopher_too_many_ellipsis", "gopher_too_many_bullets",
    "gopher_too_many_end_ellipsis", "gopher_below_alpha_threshold", "gopher_enough_stop_words",
    "gopher_rep_dup_para_frac", "gopher_rep_dup_para_char_frac", "gopher_rep_dup_line_frac",
    "gopher_rep_dup_line_char_frac", "gopher_rep_top_ngram", "gopher_rep_dup_ngram",
    "fineweb_empty", "fineweb_line_punct_ratio", "fineweb_short_line_ratio", "fineweb_char_dup_ratio",
    "fineweb_list_ratio",
    "language",
};

typedef enum filter_kind { FK_C4, FK_BADWORDS, FK_GOPHER, FK_REPETITION, FK_FINEWEB, FK_LANGUAGE, FK_COUNT } filter_kind;
static const char *const kind_names[FK_COUNT] = {"c4", "badwords", "gopher", "gopher-repetition", "fineweb", "language"};

int llmd_filter_rule_count(void) { return FRULE_COUNT; }

const char *llmd_filter_rule_name(llmd_filter_rule rule) {
    return (int)rule >= 0 && (int)rule < FRULE_COUNT ? rule_names[rule] : NULL;
}

const char *llmd_filter_rule_filter(llmd_filter_rule rule) {
    int r = (int)rule;
    if (r < 0 || r >= FRULE_COUNT) return NULL;
    if (r <= LLMD_FRULE_LEN_MAX) return "length";
    if (r <= LLMD_FRULE_C4_TOO_FEW_SENTENCES) return kind_names[FK_C4];
    if (r == LLMD_FRULE_BADWORDS) return kind_names[FK_BADWORDS];
    if (r <= LLMD_FRULE_GOPHER_ENOUGH_STOP_WORDS) return kind_names[FK_GOPHER];
    if (r <= LLMD_FRULE_REP_DUP_NGRAM) return kind_names[FK_REPETITION];
    if (r <= LLMD_FRULE_FINEWEB_LIST_RATIO) return kind_names[FK_FINEWEB];
    return kind_names[FK_LANGUAGE];
}

void llmd_filter_options_init(llmd_filter_options *opts) {
    if (opts == NULL) return;
    llmd_filter_options d = LLMD_FILTER_OPTIONS_INIT;
    *opts = d;
}

/* ======================================================================== bad-words matcher */

/* A byte trie of list entries; root children in a direct table. */
typedef struct bw_node {
    uint32_t child, sibling; /* 0 = none */
    unsigned char byte;
    bool terminal;
} bw_node;

typedef struct bw_edge { uint32_t key, child; } bw_edge; /* key = node * 256 + byte + 1, 0 = empty */

typedef struct bw_matcher {
    char lang[24];
    bool substring;          /* ja, th, zh: no word-boundary condition */
    bw_node *nodes;
    size_t n, cap;
    uint32_t root[256];
    bw_edge *edges;          /* (node, byte) -> child, built once the trie is complete */
    uint32_t emask;
    uint64_t pairs[65536 / 64]; /* bit b0 * 256 + b1: some entry starts with bytes b0 b1 */
} bw_matcher;

static inline uint32_t bw_slot(uint32_t key, uint32_t mask) { return (key * 0x9E3779B1u) >> 7 & mask; }

static inline uint32_t bw_child(const bw_matcher *m, uint32_t node, unsigned char c) {
    if (node == 0) return m->root[c];
    if (m->edges != NULL) {
        uint32_t key = node * 256u + c + 1u;
        for (uint32_t i = bw_slot(key, m->emask);; i = (i + 1) & m->emask) {
            if (m->edges[i].key == key) return m->edges[i].child;
            if (m->edges[i].key == 0) return 0;
        }
    }
    for (uint32_t k = m->nodes[node].child; k; k = m->nodes[k].sibling)
        if (m->nodes[k].byte == c) return k;
    return 0;
}

/* Builds the edge table (nodes below 2^23 so keys fit 32 bits; else the sibling lists serve). */
static llmd_status bw_finish(bw_matcher *m) {
    if (m->n < 2 || m->n >= (1u << 23)) return LLMD_OK;
    size_t cap = 64;
    while (cap < m->n * 2) cap *= 2;
    m->edges = llmd_calloc(cap, sizeof *m->edges);
    if (m->edges == NULL) return llmd_fail_nomem("bad-words list");
    m->emask = (uint32_t)(cap - 1);
    for (uint32_t p = 1; p < m->n; p++)
        for (uint32_t k = m->nodes[p].child; k; k = m->nodes[k].sibling) {
            uint32_t key = p * 256u + m->nodes[k].byte + 1u, i = bw_slot(key, m->emask);
            while (m->edges[i].key != 0) i = (i + 1) & m->emask;
            m->edges[i] = (bw_edge){key, k};
        }
    return LLMD_OK;
}

static llmd_status bw_add(bw_matcher *m, const char *w, size_t len) {
    if (len == 0) return LLMD_OK; /* an empty entry would match between any two non-word chars; lists have none */
    if (len >= 2) {
        unsigned k = (unsigned)(unsigned char)w[0] * 256u + (unsigned char)w[1];
        m->pairs[k / 64] |= 1ull << (k % 64);
    }
    uint32_t node = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)w[i];
        uint32_t k = bw_child(m, node, c);
        if (k == 0) {
            if (m->n == m->cap) {
                size_t nc = m->cap ? m->cap * 2 : 1024;
                bw_node *v = llmd_realloc(m->nodes, m->cap * sizeof *v, nc * sizeof *v);
                if (v == NULL) return llmd_fail_nomem("bad-words list");
                m->nodes = v;
                m->cap = nc;
                if (m->n == 0) { memset(&m->nodes[0], 0, sizeof m->nodes[0]); m->n = 1; } /* 0 = root */
            }
            k = (uint32_t)m->n++;
            m->nodes[k] = (bw_node){0, 0, c, false};
            if (node == 0) m->root[c] = k;
            else {
                m->nodes[k].sibling = m->nodes[node].child;
                m->nodes[node].child = k;
            }
        }
        node = k;
    }
    m->nodes[node].terminal = true;
    return LLMD_OK;
}

static bool cp_is_word_at(const unsigned char *s, size_t n, size_t i) {
    uint32_t cp;
    uni_decode(s + i, n - i, &cp);
    return uni_isword_cp(cp);
}

/* \w for ASCII bytes (bytes >= 0x80 are 0 here: callers decode those) */
static const unsigned char bw_word_tab[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
    ['A'] = 1, ['B'] = 1, ['C'] = 1, ['D'] = 1, ['E'] = 1, ['F'] = 1, ['G'] = 1, ['H'] = 1, ['I'] = 1, ['J'] = 1,
    ['K'] = 1, ['L'] = 1, ['M'] = 1, ['N'] = 1, ['O'] = 1, ['P'] = 1, ['Q'] = 1, ['R'] = 1, ['S'] = 1, ['T'] = 1,
    ['U'] = 1, ['V'] = 1, ['W'] = 1, ['X'] = 1, ['Y'] = 1, ['Z'] = 1, ['_'] = 1,
    ['a'] = 1, ['b'] = 1, ['c'] = 1, ['d'] = 1, ['e'] = 1, ['f'] = 1, ['g'] = 1, ['h'] = 1, ['i'] = 1, ['j'] = 1,
    ['k'] = 1, ['l'] = 1, ['m'] = 1, ['n'] = 1, ['o'] = 1, ['p'] = 1, ['q'] = 1, ['r'] = 1, ['s'] = 1, ['t'] = 1,
    ['u'] = 1, ['v'] = 1, ['w'] = 1, ['x'] = 1, ['y'] = 1, ['z'] = 1,
};

/* The end of the run of \w bytes (ASCII [0-9A-Za-z_]) starting at s[i]: eight bytes per step, a
 * byte's class from range tests (a byte below 0x80 plus (0x80 - lo) has its top bit set iff it is
 * >= lo; carries only reach later bytes, past the first non-word byte, which is all that is read). */
static inline size_t bw_word_run_end(const unsigned char *s, size_t n, size_t i) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
    while (i + 8 <= n) {
        uint64_t w, x;
        memcpy(&w, s + i, 8);
        x = w | 0x2020202020202020ull;
        uint64_t letter = (x + (0x80 - 'a') * ones) & ~(x + (0x7F - 'z') * ones);
        uint64_t digit = (w + (0x80 - '0') * ones) & ~(w + (0x7F - '9') * ones);
        uint64_t z = w ^ 0x5F5F5F5F5F5F5F5Full; /* zero where '_' is */
        uint64_t under = ~(((z & ~high) + ~high) | z);
        uint64_t nonword = (~(letter | digit | under) | w) & high; /* non-ASCII bytes are not \w here */
        if (nonword) return i + ((size_t)__builtin_ctzll(nonword) >> 3);
        i += 8;
    }
#endif
    while (i < n && bw_word_tab[s[i]]) i++;
    return i;
}

/* Whether some entry can start at s[i]: its first byte is a trie root and (unless that byte alone
 * is an entry) its first two bytes are a prefix of some entry (bitmap). */
static inline bool bw_may_start(const bw_matcher *m, const unsigned char *s, size_t n, size_t i) {
    uint32_t node = m->root[s[i]];
    if (node == 0) return false;
    if (m->nodes[node].terminal) return true;
    if (i + 1 >= n) return false;
    unsigned k = (unsigned)s[i] * 256u + s[i + 1];
    return m->pairs[k / 64] >> (k % 64) & 1;
}

/* datatrove: re.search(r"(?:\W|^)(e1|e2|...)(?:\W|$)", text.lower()) (or without the flanks). */
static bool bw_search(const bw_matcher *m, const unsigned char *s, size_t n) {
    if (m->n == 0) return false;
    bool prev_nonword = true; /* ^ */
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t l;
        if (s[i] < 0x80) {
            cp = s[i];
            l = 1;
        } else {
            l = uni_decode(s + i, n - i, &cp);
        }
        if ((m->substring || prev_nonword) && bw_may_start(m, s, n, i)) {
            uint32_t node = 0;
            for (size_t j = i; j < n; j++) {
                node = bw_child(m, node, s[j]);
                if (node == 0) break;
                if (m->nodes[node].terminal) {
                    size_t e = j + 1;
                    /* the entry must end on a character boundary, then \W or $ */
                    if (e < n && (s[e] & 0xC0) == 0x80) continue;
                    if (m->substring || e >= n || !cp_is_word_at(s, n, e)) return true;
                }
            }
        }
        if (cp < 0x80) {
            prev_nonword = !bw_word_tab[cp];
            i += l;
            /* inside an ASCII word run no position can start a match (needs \W before) */
            if (!prev_nonword && !m->substring) i = bw_word_run_end(s, n, i);
            continue;
        }
        prev_nonword = !uni_isword_cp(cp);
        i += l;
    }
    return false;
}

static inline unsigned char ascii_lower(unsigned char b) { return (b >= 'A' && b <= 'Z') ? (unsigned char)(b | 32) : b; }

/* Whether an entry matches at s[i] (lower-cased on the fly) and ends before \W or $ (or anywhere
 * in substring mode).  Two-byte prefixes no entry has are rejected from a bitmap first. */
static inline bool bw_match_ascii_at(const bw_matcher *m, const unsigned char *s, size_t n, size_t i) {
    uint32_t node = m->root[ascii_lower(s[i])];
    if (node == 0) return false;
    if (!m->nodes[node].terminal) {
        if (i + 1 >= n) return false;
        unsigned k = (unsigned)ascii_lower(s[i]) * 256u + ascii_lower(s[i + 1]);
        if (!(m->pairs[k / 64] >> (k % 64) & 1)) return false;
    }
    for (size_t j = i;;) {
        if (m->nodes[node].terminal && (m->substring || j + 1 >= n || !bw_word_tab[s[j + 1]])) return true;
        if (++j >= n) return false;
        node = bw_child(m, node, ascii_lower(s[j]));
        if (node == 0) return false;
    }
}

/* bw_search for pure-ASCII text, lower-casing on the fly (no copy): the same matches, since ASCII
 * lower-casing keeps every character's position and word class.  With word boundaries, only
 * positions after a non-word byte can start a match: word runs are skipped whole. */
static bool bw_search_ascii(const bw_matcher *m, const unsigned char *s, size_t n) {
    if (m->n == 0) return false;
    if (m->substring) {
        for (size_t i = 0; i < n; i++)
            if (bw_match_ascii_at(m, s, n, i)) return true;
        return false;
    }
    for (size_t i = 0; i < n;) { /* here i == 0 or s[i - 1] is a non-word byte */
        if (bw_match_ascii_at(m, s, n, i)) return true;
        if (bw_word_tab[s[i]]) {
            i = bw_word_run_end(s, n, i + 1);
            i++; /* s[i - 1] (if any) is the non-word byte ending the run; the next start is after it */
        } else {
            i++;
        }
    }
    return false;
}

static bool all_ascii(const unsigned char *s, size_t n) {
    size_t i = 0;
    uint64_t acc = 0;
#ifdef __SSE2__
    for (; i + 64 <= n; i += 64) { /* 64 bytes per step: the high bits of their OR */
        __m128i a = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(s + i)),
                                 _mm_loadu_si128((const __m128i *)(const void *)(s + i + 16)));
        __m128i b = _mm_or_si128(_mm_loadu_si128((const __m128i *)(const void *)(s + i + 32)),
                                 _mm_loadu_si128((const __m128i *)(const void *)(s + i + 48)));
        if (_mm_movemask_epi8(_mm_or_si128(a, b)) != 0) return false;
    }
#endif
    for (; i + 32 <= n; i += 32) { /* four independent loads per step */
        uint64_t w[4];
        memcpy(w, s + i, 32);
        acc |= (w[0] | w[1]) | (w[2] | w[3]);
        if (acc & 0x8080808080808080ull) return false;
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++) acc |= s[i];
    return (acc & 0x8080808080808080ull) == 0;
}

/* Python str.lower(): utf8proc's simple lower-case mapping, plus U+0130 -> "i\u0307" (the one
 * unconditional full mapping).  Final-sigma context is not applied (no Greek list exists). */
static bool py_lower(const char *text, size_t n, fw_buf *out) {
    const unsigned char *s = (const unsigned char *)text;
    out->len = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            /* a run of ASCII at once */
            size_t j = i;
            while (j < n && s[j] < 0x80) j++;
            size_t at = out->len;
            fw_buf_put(out, s + i, j - i);
            if (out->oom) return false;
            for (size_t k = at; k < out->len; k++) {
                unsigned char d = (unsigned char)out->p[k];
                if (d >= 'A' && d <= 'Z') out->p[k] = (char)(d | 32);
            }
            i = j;
            continue;
        }
        uint32_t cp;
        size_t l = uni_decode(s + i, n - i, &cp);
        if (cp == 0xFFFD && l == 1) { fw_buf_put(out, s + i, 1); i++; continue; }
        if (cp == 0x130) { fw_buf_put(out, "i\xCC\x87", 3); i += l; continue; }
        uint32_t lc = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
        unsigned char enc[4];
        size_t el = llmd_utf8_encode(lc, enc);
        fw_buf_put(out, enc, el);
        i += l;
    }
    return !out->oom;
}

/* ======================================================================== the filter */

struct llmd_filter {
    llmd_filter_options o;
    llmd_langid_model *lid;      /* the fastText model the language filter loaded itself, or NULL */
    filter_kind order[16];
    size_t norder;
    bool has_language;
    llmd_filter_ngram_limit *top_ngrams, *dup_ngrams;
    size_t ntop, ndup;
    char **languages;
    size_t nlanguages;
    bw_matcher *bw;          /* one per bundled language (or one for bad_words_file) */
    size_t nbw;
    int bw_default;          /* index into bw, -1 = none */
    char *default_language;
};

struct llmd_filter_stats {
    uint64_t docs_in, docs_kept, docs_modified;
    uint64_t dropped[FRULE_COUNT];
    uint64_t lines[FRULE_COUNT];
};

static const llmd_filter_ngram_limit default_top[] = {{2, 0.2}, {3, 0.18}, {4, 0.16}};
static const llmd_filter_ngram_limit default_dup[] = {{5, 0.15}, {6, 0.14}, {7, 0.13}, {8, 0.12}, {9, 0.11}, {10, 0.10}};

static const size_t filter_opt_sizes[] = {offsetof(llmd_filter_options, language_model),
                                          offsetof(llmd_filter_options, language_model),
                                          sizeof(llmd_filter_options)};

void llmd_filter_free(llmd_filter *f) {
    if (f == NULL) return;
    for (size_t i = 0; i < f->nbw; i++) {
        llmd_free(f->bw[i].nodes);
        llmd_free(f->bw[i].edges);
    }
    llmd_free(f->bw);
    for (size_t i = 0; i < f->nlanguages; i++) llmd_free(f->languages[i]);
    llmd_free(f->languages);
    llmd_free(f->top_ngrams);
    llmd_free(f->dup_ngrams);
    llmd_free(f->default_language);
    llmd_langid_model_free(f->lid);
    llmd_free(f);
}

static llmd_status parse_filters(llmd_filter *f, const char *list) {
    const char *p = list;
    f->norder = 0;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',') e++;
        size_t n = (size_t)(e - p);
        while (n > 0 && p[n - 1] == ' ') n--;
        int k = -1;
        for (int i = 0; i < FK_COUNT; i++)
            if (strlen(kind_names[i]) == n && memcmp(kind_names[i], p, n) == 0) k = i;
        if (k < 0)
            return llmd_fail(LLMD_ERR_INVALID_ARG,
                             "filter options: unknown filter '%.*s' in filters (known: c4, badwords, gopher, "
                             "gopher-repetition, fineweb, language)", (int)n, p);
        for (size_t i = 0; i < f->norder; i++)
            if (f->order[i] == (filter_kind)k)
                return llmd_fail(LLMD_ERR_INVALID_ARG, "filter options: filter '%s' listed twice", kind_names[k]);
        f->order[f->norder++] = (filter_kind)k;
        p = e;
    }
    return LLMD_OK;
}

static llmd_status copy_ngrams(const llmd_filter_ngram_limit *src, size_t n, const llmd_filter_ngram_limit *def,
                               size_t ndef, llmd_filter_ngram_limit **out, size_t *nout, const char *what) {
    if (src == NULL) { src = def; n = ndef; }
    *out = NULL;
    *nout = 0;
    if (n == 0) return LLMD_OK;
    for (size_t i = 0; i < n; i++)
        if (src[i].n == 0 || src[i].n > 1000)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "filter options: %s[%zu].n = %u (must be 1..1000)", what, i, src[i].n);
    *out = llmd_calloc(n, sizeof **out);
    if (*out == NULL) return llmd_fail_nomem("filter n-gram limits");
    memcpy(*out, src, n * sizeof **out);
    *nout = n;
    return LLMD_OK;
}

static llmd_status parse_languages(llmd_filter *f, const char *list) {
    size_t cap = 1;
    for (const char *p = list; *p; p++) cap += *p == ',';
    f->languages = llmd_calloc(cap, sizeof *f->languages);
    if (f->languages == NULL) return llmd_fail_nomem("filter languages");
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',') e++;
        size_t n = (size_t)(e - p);
        while (n > 0 && p[n - 1] == ' ') n--;
        if (n >= 32) return llmd_fail(LLMD_ERR_INVALID_ARG, "filter options: language '%.*s' is too long", (int)n, p);
        char *c = llmd_strndup(p, n);
        if (c == NULL) return llmd_fail_nomem("filter languages");
        f->languages[f->nlanguages++] = c;
        p = e;
    }
    if (f->nlanguages == 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "filter options: languages is empty");
    return LLMD_OK;
}

static int bw_find(const llmd_filter *f, const char *lang) {
    for (size_t i = 0; i < f->nbw; i++)
        if (strcmp(f->bw[i].lang, lang) == 0) return (int)i;
    return -1;
}

static llmd_status load_badwords(llmd_filter *f) {
    if (f->o.bad_words_file != NULL) {
        char *data = NULL;
        size_t len = 0;
        if (llmd_read_file(f->o.bad_words_file, &data, &len) != LLMD_OK) return llmd_error_prefix("bad-words file");
        f->bw = llmd_calloc(1, sizeof *f->bw);
        if (f->bw == NULL) { llmd_free(data); return llmd_fail_nomem("bad-words list"); }
        f->nbw = 1;
        snprintf(f->bw[0].lang, sizeof f->bw[0].lang, "*");
        llmd_status st = LLMD_OK;
        const char *p = data, *end = data + len;
        while (p < end && st == LLMD_OK) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            const char *e = nl ? nl : end;
            const unsigned char *a = (const unsigned char *)p, *b = (const unsigned char *)e;
            size_t wl;
            while (a < b && uni_isspace_at(a, (size_t)(b - a), &wl)) a += wl;
            while (b > a) {
                size_t j = uni_prev_start(a, (size_t)(b - a));
                if (!uni_isspace_at(a + j, (size_t)(b - a) - j, &wl)) break;
                b = a + j;
            }
            st = bw_add(&f->bw[0], (const char *)a, (size_t)(b - a));
            p = nl ? nl + 1 : end;
        }
        llmd_free(data);
        f->bw_default = 0;
        return st == LLMD_OK ? bw_finish(&f->bw[0]) : st;
    }
    size_t nl = sizeof bw_lists / sizeof bw_lists[0];
    f->bw = llmd_calloc(nl, sizeof *f->bw);
    if (f->bw == NULL) return llmd_fail_nomem("bad-words lists");
    f->nbw = nl;
    for (size_t i = 0; i < nl; i++) {
        snprintf(f->bw[i].lang, sizeof f->bw[i].lang, "%s", bw_lists[i].lang);
        f->bw[i].substring = bw_lists[i].substring != 0;
        for (size_t k = 0; k < bw_lists[i].n; k++) {
            llmd_status st = bw_add(&f->bw[i], bw_lists[i].words[k], strlen(bw_lists[i].words[k]));
            if (st != LLMD_OK) return st;
        }
        llmd_status st = bw_finish(&f->bw[i]);
        if (st != LLMD_OK) return st;
    }
    f->bw_default = bw_find(f, f->default_language);
    if (f->bw_default < 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG,
                         "filter options: no bad-words list for badwords_default_language '%s'", f->default_language);
    return LLMD_OK;
}

/* The language filter's default predictor: fastText through lib/langid (labels reach the filter
 * with their "__label__" prefix, which it strips). */
static llmd_status langid_predict(void *ctx, const char *text, size_t len, size_t k, llmd_filter_lang_pred *out,
                                  size_t *n_out) {
    llmd_langid_predict_options po = LLMD_LANGID_PREDICT_OPTIONS_INIT;
    po.k = k > 4096 ? 4096 : (int32_t)k;
    llmd_langid_prediction *p = llmd_calloc(k ? k : 1, sizeof *p);
    if (p == NULL) return llmd_fail_nomem("language predictions");
    size_t n = 0;
    llmd_status st = llmd_langid_predict(ctx, text, len, &po, p, k, &n);
    if (st == LLMD_ERR_TRUNCATED) st = LLMD_OK;
    if (n > k) n = k;
    for (size_t i = 0; st == LLMD_OK && i < n; i++) {
        snprintf(out[i].label, sizeof out[i].label, "%s", p[i].label ? p[i].label : "");
        out[i].score = p[i].probability;
    }
    *n_out = st == LLMD_OK ? n : 0;
    llmd_free(p);
    return st;
}

static llmd_status load_language_model(llmd_filter *f, const char *path) {
    if (path == NULL) path = llmd_langid_default_model_path();
    if (path == NULL)
        return llmd_fail(LLMD_ERR_NOT_FOUND, "filter options: the language filter needs a fastText model "
                         "(language_model) and no default lid.176.ftz was found");
    llmd_status st = llmd_langid_model_load(&f->lid, path);
    if (st != LLMD_OK) return llmd_error_prefix("language filter model");
    f->o.language_predict = langid_predict;
    f->o.language_ctx = f->lid;
    return LLMD_OK;
}

llmd_status llmd_filter_new(llmd_filter **out, const llmd_filter_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_filter_new: out is NULL");
    *out = NULL;
    llmd_filter_options o;
    llmd_status st = llmd_options_copy(&o, opts, filter_opt_sizes, LLMD_FILTER_OPTIONS_VERSION, "llmd_filter_options");
    if (st != LLMD_OK) return st;
    if (opts == NULL) llmd_filter_options_init(&o);
    if (o.max_bytes != 0 && o.min_bytes > o.max_bytes)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "filter options: min_bytes %llu > max_bytes %llu",
                         (unsigned long long)o.min_bytes, (unsigned long long)o.max_bytes);
    llmd_filter *f = llmd_calloc(1, sizeof *f);
    if (f == NULL) return llmd_fail_nomem("filter");
    f->o = o;
    f->bw_default = -1;
    st = parse_filters(f, o.filters ? o.filters : "c4,badwords,gopher");
    if (st == LLMD_OK)
        st = copy_ngrams(o.rep_top_n_grams, o.rep_n_top_n_grams, default_top, 3, &f->top_ngrams, &f->ntop,
                         "rep_top_n_grams");
    if (st == LLMD_OK)
        st = copy_ngrams(o.rep_dup_n_grams, o.rep_n_dup_n_grams, default_dup, 6, &f->dup_ngrams, &f->ndup,
                         "rep_dup_n_grams");
    bool want_bw = false;
    for (size_t i = 0; i < f->norder; i++) {
        if (f->order[i] == FK_LANGUAGE) f->has_language = true;
        if (f->order[i] == FK_BADWORDS) want_bw = true;
    }
    if (st == LLMD_OK && f->has_language && o.language_predict == NULL) st = load_language_model(f, o.language_model);
    if (st == LLMD_OK && !(o.language_threshold >= 0 && o.language_threshold <= 1))
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "filter options: language_threshold %g is outside [0, 1]", o.language_threshold);
    if (st == LLMD_OK && o.languages != NULL) st = parse_languages(f, o.languages);
    if (st == LLMD_OK) {
        f->default_language = llmd_strdup(o.badwords_default_language ? o.badwords_default_language : "en");
        if (f->default_language == NULL) st = llmd_fail_nomem("filter");
    }
    if (st == LLMD_OK && want_bw) st = load_badwords(f);
    f->o.filters = NULL;
    f->o.languages = NULL;
    f->o.bad_words_file = NULL;
    f->o.badwords_default_language = NULL;
    f->o.rep_top_n_grams = f->o.rep_dup_n_grams = NULL;
    if (st != LLMD_OK) {
        llmd_filter_free(f);
        return st;
    }
    *out = f;
    return LLMD_OK;
}

/* ------------------------------------------------------------------------ string multiset */

/* A string multiset over byte ranges of one base buffer: an open-addressing table of 64-bit slots
 * (entry number + 1 in the low half, the hash's high half as a tag in the other) in front of a
 * dense entry array.  A probe that meets a different tag moves on without touching the entry, so
 * an n-gram seen for the first time (the common case) costs one slot read. */
typedef struct sset_entry { uint64_t hash; uint32_t off, len, count, first; } sset_entry;
typedef struct sset { uint64_t *slots; size_t mask, nslots; sset_entry *ents; size_t n, cap; } sset;

static void sset_free(sset *s) {
    llmd_free(s->slots);
    llmd_free(s->ents);
    memset(s, 0, sizeof *s);
}

/* a[0..n) == b[0..n): short strings (most n-grams) compared inline, eight bytes at a time */
static inline bool bytes_eq(const char *a, const char *b, size_t n) {
    if (n > 32) return memcmp(a, b, n) == 0;
    size_t k = 0;
    for (; k + 8 <= n; k += 8) {
        uint64_t x, y;
        memcpy(&x, a + k, 8);
        memcpy(&y, b + k, 8);
        if (x != y) return false;
    }
    for (; k < n; k++)
        if (a[k] != b[k]) return false;
    return true;
}

/* Empties s and makes room for `expected` distinct elements (the memory is kept between documents). */
static bool sset_reset(sset *s, size_t expected) {
    size_t want = 64;
    while (want < expected + expected / 2 + 2) want *= 2;
    if (s->slots == NULL || want > s->nslots) {
        uint64_t *sl = llmd_calloc(want, sizeof *sl);
        if (sl == NULL) return false;
        llmd_free(s->slots);
        s->slots = sl;
        s->nslots = want;
        s->mask = want - 1;
    } else {
        /* a table far larger than needed (after a big document) is used, and cleared, in part */
        size_t use = s->nslots > 4 * want ? want : s->nslots;
        s->mask = use - 1;
        memset(s->slots, 0, use * sizeof *s->slots);
    }
    if (expected + 1 > s->cap) {
        sset_entry *e = llmd_realloc(s->ents, s->cap * sizeof *e, (expected + 1) * sizeof *e);
        if (e == NULL) return false;
        s->ents = e;
        s->cap = expected + 1;
    }
    s->n = 0;
    return true;
}

/* Finds or inserts base[off..off+len) with hash h; returns the entry (count 0 when new).  At most
 * `expected` (of the last reset) distinct elements may be inserted. */
static inline __attribute__((always_inline)) sset_entry *sset_get_h(sset *s, const char *base, size_t off, size_t len,
                                                                    size_t index, uint64_t h) {
    uint64_t tag = h & 0xFFFFFFFF00000000ull;
    for (size_t i = (size_t)(h ^ (h >> 32)) & s->mask;; i = (i + 1) & s->mask) {
        uint64_t k = s->slots[i];
        if (k == 0) {
            sset_entry *e = &s->ents[s->n++];
            *e = (sset_entry){h, (uint32_t)off, (uint32_t)len, 0, (uint32_t)index};
            s->slots[i] = tag | (uint64_t)s->n;
            return e;
        }
        if ((k & 0xFFFFFFFF00000000ull) != tag) continue;
        sset_entry *e = &s->ents[(uint32_t)k - 1];
        if (e->hash == h && e->len == len && bytes_eq(base + e->off, base + off, len)) return e;
    }
}

static sset_entry *sset_get(sset *s, const char *base, size_t off, size_t len, size_t index) {
    return sset_get_h(s, base, off, len, index, llmd_hash64(base + off, len, 0x5eed));
}

/* find_duplicates over byte ranges [a_i, e_i) of base: duplicate elements and their characters. */
typedef struct range { size_t a, e; } range;

static llmd_status find_duplicates(sset *s, const char *base, const range *r, size_t n, bool ascii,
                                   size_t *dup_elems, size_t *dup_chars) {
    if (!sset_reset(s, n)) return llmd_fail_nomem("duplicate counting");
    *dup_elems = *dup_chars = 0;
    for (size_t i = 0; i < n; i++) {
        sset_entry *e = sset_get(s, base, r[i].a, r[i].e - r[i].a, i);
        if (e->count++ > 0) {
            (*dup_elems)++;
            *dup_chars += ascii ? r[i].e - r[i].a : uni_len(base + r[i].a, r[i].e - r[i].a);
        }
    }
    return LLMD_OK;
}

typedef struct range_vec { range *v; size_t n, cap; } range_vec;

static bool rv_push(range_vec *rv, size_t a, size_t e) {
    if (rv->n == rv->cap) {
        size_t nc = rv->cap ? rv->cap * 2 : 64;
        range *v = llmd_realloc(rv->v, rv->cap * sizeof *v, nc * sizeof *v);
        if (v == NULL) return false;
        rv->v = v;
        rv->cap = nc;
    }
    rv->v[rv->n++] = (range){a, e};
    return true;
}

/* re.split(r"\n{min,}", s[a..e)) */
static bool split_newline_runs(const unsigned char *s, size_t a, size_t e, size_t min, range_vec *out) {
    out->n = 0;
    size_t start = a;
    for (size_t i = a; i < e;) {
        if (s[i] != '\n') {
            const unsigned char *nl = memchr(s + i, '\n', e - i);
            if (nl == NULL) break;
            i = (size_t)(nl - s);
        }
        size_t j = i;
        while (j < e && s[j] == '\n') j++;
        if (j - i >= min) {
            if (!rv_push(out, start, i)) return false;
            start = j;
        }
        i = j;
    }
    return rv_push(out, start, e);
}

/* ======================================================================== per-document context */

typedef struct doc_ctx {
    const llmd_filter *f;
    const char *text;     /* current text (input, or own.p after a rewrite) */
    size_t len;
    fw_buf own;           /* rewritten text */
    bool modified;
    bool toks_valid;
    int ascii;            /* whether text is pure ASCII: -1 not known yet, 0 no, 1 yes */
    fw_tokens toks;
    fw_scratch sc;
    fw_spans spans;
    fw_buf tmp, tmp2;     /* scratch: lowered text, c4 lines, concatenations */
    fw_buf kept;          /* c4: the kept lines */
    range_vec rv;         /* lines / paragraphs */
    sset set;             /* duplicate counting */
    size_t *cpre, *coff;  /* repetition: per-token prefix sums (characters, bytes of the concatenation) */
    rep_scratch rep;      /* repetition: n-gram statistics */
    size_t ntok_cap;
    uint32_t lines[FRULE_COUNT];
    char language[32];
    double language_score;
    bool language_ran;
    bool in_use;          /* the thread's cached context is taken (a re-entrant call gets its own) */
} doc_ctx;

static void ctx_free(doc_ctx *c) {
    fw_buf_free(&c->own);
    fw_tokens_free(&c->toks);
    fw_scratch_free(&c->sc);
    llmd_free(c->spans.v);
    fw_buf_free(&c->tmp);
    fw_buf_free(&c->tmp2);
    fw_buf_free(&c->kept);
    llmd_free(c->rv.v);
    sset_free(&c->set);
    llmd_free(c->cpre);
    llmd_free(c->coff);
    rep_scratch_free(&c->rep);
    memset(c, 0, sizeof *c);
}

/* Scratch that outlives one document: every buffer of a doc_ctx is kept per thread and reused, so
 * filtering a stream of documents allocates only while the buffers grow (a document far larger
 * than usual releases them again, see ctx_release). */
static _Thread_local doc_ctx *tls_ctx; /* also keeps the memory reachable for leak checkers */
static pthread_key_t ctx_key;
static pthread_once_t ctx_key_once = PTHREAD_ONCE_INIT;
static bool ctx_key_ok;

static void ctx_destroy(void *p) {
    doc_ctx *c = p;
    if (c == NULL) return;
    if (tls_ctx == c) tls_ctx = NULL;
    ctx_free(c);
    llmd_free(c);
}

static void ctx_key_init(void) { ctx_key_ok = pthread_key_create(&ctx_key, ctx_destroy) == 0; }

/* The thread's cached context, reset for a new document; NULL when none can be had (then the
 * caller uses a context of its own). */
static doc_ctx *ctx_acquire(void) {
    doc_ctx *c = tls_ctx;
    if (c == NULL) {
        pthread_once(&ctx_key_once, ctx_key_init);
        if (!ctx_key_ok) return NULL;
        c = llmd_calloc(1, sizeof *c);
        if (c == NULL) return NULL;
        if (pthread_setspecific(ctx_key, c) != 0) { llmd_free(c); return NULL; }
        tls_ctx = c;
    }
    if (c->in_use) return NULL;
    c->in_use = true;
    return c;
}

static void ctx_reset(doc_ctx *c, const llmd_filter *f, const char *text, size_t len) {
    c->f = f;
    c->text = text;
    c->len = len;
    c->own.len = 0;
    c->modified = false;
    c->toks_valid = false;
    c->ascii = -1;
    memset(c->lines, 0, sizeof c->lines);
    c->language[0] = '\0';
    c->language_score = 0;
    c->language_ran = false;
}

/* Bytes held by a context's buffers. */
static size_t ctx_bytes(const doc_ctx *c) {
    const fw_scratch *sc = &c->sc;
    return c->toks.buf.cap + c->toks.cap * (sizeof(size_t) + 2 * sizeof(uint32_t) + 1) + sc->a.cap + sc->b.cap +
           sc->ctx.cap + (sc->spans.cap + sc->ptoks.cap + sc->slices.cap + c->spans.cap) * sizeof(fw_span) + c->tmp.cap +
           c->tmp2.cap + c->kept.cap + c->rv.cap * sizeof(range) + c->set.nslots * sizeof(uint64_t) +
           c->set.cap * sizeof(sset_entry) + c->ntok_cap * 2 * sizeof(size_t) + rep_scratch_bytes(&c->rep);
}

/* Ends a document: the cached context keeps its buffers unless they grew past 64 MiB. */
static void ctx_release(doc_ctx *c, bool cached, bool failed) {
    fw_buf_free(&c->own); /* the rewritten text was handed over or is dropped */
    if (!cached || failed) { ctx_free(c); return; } /* after a failure nothing (no sticky oom flag) is reused */
    if (ctx_bytes(c) > ((size_t)64 << 20)) {
        ctx_free(c); /* (in_use cleared with the rest) */
        return;
    }
    c->in_use = false;
}

/* Whether the current text is pure ASCII (then characters are bytes), found once per text. */
static bool ctx_ascii(doc_ctx *c) {
    if (c->ascii < 0) c->ascii = all_ascii((const unsigned char *)c->text, c->len);
    return c->ascii == 1;
}

/* len(text[a:a+n]) in characters. */
static size_t ctx_chars(doc_ctx *c, size_t a, size_t n) { return ctx_ascii(c) ? n : uni_len(c->text + a, n); }

/* Room for `need` entries in the repetition filter's per-token arrays. */
static bool ctx_grow_tokens(doc_ctx *c, size_t need) {
    size_t nc = c->ntok_cap ? c->ntok_cap : 1024;
    while (nc < need) nc *= 2;
    size_t *a = llmd_realloc(c->cpre, c->ntok_cap * sizeof *a, nc * sizeof *a);
    if (a == NULL) return false;
    c->cpre = a;
    a = llmd_realloc(c->coff, c->ntok_cap * sizeof *a, nc * sizeof *a);
    if (a == NULL) return false;
    c->coff = a;
    c->ntok_cap = nc;
    return true;
}

static llmd_status ctx_tokens(doc_ctx *c) {
    if (c->toks_valid) return LLMD_OK;
    fw_tokens_reset(&c->toks);
    if (!fw_word_tokenize(&c->sc, c->text, c->len, &c->toks)) return llmd_fail_nomem("word tokenization");
    c->toks_valid = true;
    return LLMD_OK;
}

/* ------------------------------------------------------------------------ Python string helpers */

/* str.splitlines() boundaries: \n \r \r\n \v \f \x1c \x1d \x1e \x85 \u2028 \u2029.  Returns the
 * length of the line break at s[i] (0 if none). */
static inline size_t line_break_at(const unsigned char *s, size_t n, size_t i) {
    unsigned char c = s[i];
    if (c == '\n' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E) return 1;
    if (c == '\r') return (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
    if (c == 0xC2 && i + 1 < n && s[i + 1] == 0x85) return 2;
    if (c == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0xA8 || s[i + 2] == 0xA9)) return 3;
    return 0;
}

/* Iterates str.splitlines(): *a..*e is the next line; returns false at the end. */
/* Bytes that can start a line break (ASCII breaks, and the lead bytes of U+0085, U+2028/9). */
static const unsigned char break_lead[256] = {
    [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1, [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0xC2] = 1, [0xE2] = 1,
};

static bool next_splitline(const unsigned char *s, size_t n, size_t *pos, size_t *a, size_t *e) {
    if (*pos >= n) return false;
    size_t i = *pos;
    *a = i;
    while (i < n) {
        if (i + 8 <= n) { /* eight bytes at once when none is a control character or non-ASCII */
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t low = (w - 0x2020202020202020ull) & ~w & 0x8080808080808080ull; /* a byte < 0x20 */
            if (!low && !(w & 0x8080808080808080ull)) { i += 8; continue; }
        }
        if (!break_lead[s[i]]) { i++; continue; }
        size_t bl = line_break_at(s, n, i);
        if (bl) { *e = i; *pos = i + bl; return true; }
        i++;
    }
    *e = n;
    *pos = n;
    return true;
}

/* Index of the next '\n' at or after i (n if none): the first 32 bytes eight at a time, since
 * most lines are short and a library call costs more than the scan; then memchr. */
static inline size_t find_nl(const unsigned char *s, size_t i, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    for (int k = 0; k < 4 && i + 8 <= n; k++, i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        w ^= 0x0A0A0A0A0A0A0A0Aull;
        uint64_t z = (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
        if (z) return i + ((size_t)__builtin_ctzll(z) >> 3);
    }
#endif
    const unsigned char *q = i < n ? memchr(s + i, '\n', n - i) : NULL;
    return q ? (size_t)(q - s) : n;
}

/* Whether '\n' is the only str.splitlines() boundary in s: then lines can be found with memchr. */
static bool only_newline_breaks(const unsigned char *s, size_t n, bool ascii) {
    static const unsigned char ctl[] = {0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E};
    for (size_t k = 0; k < sizeof ctl; k++)
        if (memchr(s, ctl[k], n) != NULL) return false;
    if (ascii) return true;
    for (const unsigned char *p = s; (p = memchr(p, 0xC2, n - (size_t)(p - s))) != NULL; p++)
        if (p + 1 < s + n && p[1] == 0x85) return false;
    for (const unsigned char *p = s; (p = memchr(p, 0xE2, n - (size_t)(p - s))) != NULL; p++)
        if (p + 2 < s + n && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) return false;
    return true;
}

/* next_splitline, given whether '\n' is the only boundary (only_newline_breaks). */
static inline bool next_line(const unsigned char *s, size_t n, bool nl_only, size_t *pos, size_t *a, size_t *e) {
    if (!nl_only) return next_splitline(s, n, pos, a, e);
    if (*pos >= n) return false;
    *a = *pos;
    *e = find_nl(s, *pos, n);
    *pos = *e < n ? *e + 1 : n;
    return true;
}

static void py_strip(const unsigned char *s, size_t *a, size_t *e) {
    size_t wl;
    while (*a < *e && uni_isspace_at(s + *a, *e - *a, &wl)) *a += wl;
    while (*e > *a) {
        size_t j = uni_prev_start(s + *a, *e - *a) + *a;
        if (!uni_isspace_at(s + j, *e - j, &wl)) break;
        *e = j;
    }
}

/* str.isspace() of an ASCII byte */
static inline bool ascii_ws_byte(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F); }

static bool ends_with(const unsigned char *s, size_t n, const char *suf) {
    size_t m = strlen(suf);
    return n >= m && memcmp(s + n - m, suf, m) == 0;
}

static bool in_sorted(const uint32_t *v, size_t n, uint32_t cp) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] < cp) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && v[lo] == cp;
}

static inline bool is_dt_punct(uint32_t cp) {
    if (cp < 0x80) {
        /* ASCII members: controls 0-31 except \t and \n (PUNCTUATION's ranges (0,9), (11,13),
         * (13,32) skip them), DEL, and !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~ */
        if (cp < 32) return cp != 9 && cp != 10;
        return cp == 127 || (cp >= '!' && cp <= '/') || (cp >= ':' && cp <= '@') || (cp >= '[' && cp <= '`') ||
               (cp >= '{' && cp <= '~');
    }
    return in_sorted(dt_punctuation_set, sizeof dt_punctuation_set / sizeof dt_punctuation_set[0], cp);
}
static inline bool is_dt_terminal(uint32_t cp) {
    return in_sorted(dt_terminal_punctuation, sizeof dt_terminal_punctuation / sizeof dt_terminal_punctuation[0], cp);
}

/* ------------------------------------------------------------------------ c4 */

/* CITATION_REGEX \[\d*]|\[edit]|\[citation needed] removed from s[a..e) into out. */
static void remove_citations(const unsigned char *s, size_t a, size_t e, fw_buf *out) {
    out->len = 0;
    size_t done = a;
    for (size_t i = a; i < e; i++) {
        if (s[i] != '[') continue;
        size_t j = i + 1;
        for (;;) {
            uint32_t cp;
            if (j >= e) break;
            size_t l = uni_decode(s + j, e - j, &cp);
            if (!uni_isdigit_cp(cp)) break;
            j += l;
        }
        size_t m = 0;
        if (j < e && s[j] == ']') m = j + 1 - i;
        else if (e - i >= 6 && memcmp(s + i, "[edit]", 6) == 0) m = 6;
        else if (e - i >= 17 && memcmp(s + i, "[citation needed]", 17) == 0) m = 17;
        if (m) {
            fw_buf_put(out, s + done, i - done);
            done = i + m;
            i += m - 1;
        }
    }
    fw_buf_put(out, s + done, e - done);
}

static const char *const policy_substrings[] = {"terms of use", "privacy policy", "cookie policy",
                                                "uses cookies", "use of cookies", "use cookies"};

/* needle (lower-case ASCII) at s[i] in line.lower(): ASCII letters fold; U+212A KELVIN SIGN is 'k'. */
static bool folded_at(const unsigned char *s, size_t n, size_t i, const char *needle) {
    for (const char *p = needle; *p; p++) {
        if (i >= n) return false;
        unsigned char c = s[i];
        if (c == 0xE2 && *p == 'k' && i + 2 < n && s[i + 1] == 0x84 && s[i + 2] == 0xAA) { i += 3; continue; }
        if (((c >= 'A' && c <= 'Z') ? (c | 32) : c) != (unsigned char)*p) return false;
        i++;
    }
    return true;
}

enum { HAS_LOREM = 1, HAS_JS = 2, HAS_POLICY = 4 };

/* Which of "lorem ipsum", "javascript" and the policy phrases line.lower() contains, in one scan
 * (every phrase starts with an ASCII letter, so only ASCII positions can start a match). */
static unsigned c4_phrases(const unsigned char *s, size_t n) {
    unsigned f = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = s[i];
        if (c >= 'A' && c <= 'Z') c |= 32;
        switch (c) {
        case 'l': if (folded_at(s, n, i, "lorem ipsum")) f |= HAS_LOREM; break;
        case 'j': if (folded_at(s, n, i, "javascript")) f |= HAS_JS; break;
        case 't': if (folded_at(s, n, i, policy_substrings[0])) f |= HAS_POLICY; break;
        case 'p': if (folded_at(s, n, i, policy_substrings[1])) f |= HAS_POLICY; break;
        case 'c': if (folded_at(s, n, i, policy_substrings[2])) f |= HAS_POLICY; break;
        case 'u':
            for (int k = 3; k < 6; k++)
                if (folded_at(s, n, i, policy_substrings[k])) f |= HAS_POLICY;
            break;
        default: break;
        }
    }
    return f;
}

/* Whether line.split() of s[a..e) has a word of more than `limit` characters.  Words are split by
 * every Unicode space, so a run between two ASCII spaces (memchr) no longer than `limit` bytes
 * cannot hold one; only longer runs are split and counted exactly. */
static bool c4_has_long_word(const unsigned char *s, size_t a, size_t e, size_t limit) {
    size_t start = a;
    while (start < e) {
        const unsigned char *sp = memchr(s + start, ' ', e - start);
        size_t end = sp ? (size_t)(sp - s) : e;
        if (end - start > limit) {
            for (size_t i = start; i < end;) {
                size_t wl;
                if (uni_isspace_at(s + i, end - i, &wl)) { i += wl; continue; }
                size_t j = i;
                while (j < end && !uni_isspace_at(s + j, end - j, &wl)) j += wl;
                if (j - i > limit && uni_len((const char *)s + i, j - i) > limit) return true;
                i = j;
            }
        }
        start = end + 1;
    }
    return false;
}

/* Sentence count of one kept line, as len(split_into_sentences(line)). */
static llmd_status c4_sentences(doc_ctx *c, const char *line, size_t n, size_t *count) {
    if (!fw_sentence_spans(&c->sc, line, n, &c->spans)) return llmd_fail_nomem("sentence splitting");
    *count = c->spans.n ? c->spans.n : 1;
    return LLMD_OK;
}

/* datatrove C4QualityFilter.filter (split_paragraph=True). */
static llmd_status rule_c4(doc_ctx *c, llmd_filter_rule *reason) {
    const llmd_filter_options *o = &c->f->o;
    const unsigned char *s = (const unsigned char *)c->text;
    size_t n = c->len, pos = 0, a, e;
    fw_buf *kept = &c->kept;
    kept->len = 0;
    kept->oom = false;
    fw_buf *line = &c->tmp;
    size_t nsent = 0;
    bool first = true;
    llmd_status st = LLMD_OK;
    *reason = LLMD_FRULE_NONE;
    bool nl_only = only_newline_breaks(s, n, ctx_ascii(c));
    bool has_bracket = o->c4_remove_citations && memchr(s, '[', n) != NULL;
    while (next_line(s, n, nl_only, &pos, &a, &e)) {
        /* Most web lines end without a terminal mark.  Such a line is dropped by the end-mark
         * rule whatever its words, when no earlier rule can act: it is not long enough to hold a
         * word over max_word_length (bytes >= characters) and has no '[' (a citation removal
         * could change its end).  Its end is found without the full strip when it is ASCII. */
        if (o->c4_filter_no_terminal_punct && (o->c4_max_word_length == -1 || e - a <= (size_t)o->c4_max_word_length) &&
            !(has_bracket && memchr(s + a, '[', e - a) != NULL)) {
            size_t r = e;
            while (r > a && s[r - 1] < 0x80 && ascii_ws_byte(s[r - 1])) r--;
            unsigned char last = r > a ? s[r - 1] : 0;
            if (last < 0x80 && !(last == '.' || last == '?' || last == '!' || last == '"' || last == '\'')) {
                c->lines[LLMD_FRULE_C4_LINE_NO_TERMINAL_PUNCT]++;
                continue;
            }
        }
        py_strip(s, &a, &e);
        /* words = line.split(); any(len(word) > max_word_length) */
        bool too_long = false;
        if (o->c4_max_word_length != -1 && e - a > (size_t)o->c4_max_word_length)
            too_long = c4_has_long_word(s, a, e, (size_t)o->c4_max_word_length);
        if (too_long) { c->lines[LLMD_FRULE_C4_LINE_TOO_LONG_WORD]++; continue; }
        const unsigned char *l;
        size_t ln;
        if (o->c4_remove_citations && memchr(s + a, '[', e - a) != NULL) {
            remove_citations(s, a, e, line);
            if (line->oom) { st = llmd_fail_nomem("c4 line"); break; }
            l = (const unsigned char *)line->p;
            ln = line->len;
        } else {
            l = s + a;
            ln = e - a;
        }
        if (o->c4_filter_no_terminal_punct) {
            unsigned char last = ln ? l[ln - 1] : 0;
            bool endp = last == '.' || last == '?' || last == '!' || last == '"' || last == '\'';
            if (!endp || ends_with(l, ln, "...")) { c->lines[LLMD_FRULE_C4_LINE_NO_TERMINAL_PUNCT]++; continue; }
        }
        /* len(line.split()) of the line before citation removal, counted up to the minimum only */
        size_t nwords = 0, enough = o->c4_min_words_per_line > 0 ? (size_t)o->c4_min_words_per_line : 0;
        for (size_t i = a; i < e && nwords < enough;) {
            size_t wl;
            if (uni_isspace_at(s + i, e - i, &wl)) { i += wl; continue; }
            size_t j = i;
            while (j < e && !uni_isspace_at(s + j, e - j, &wl)) j += wl;
            nwords++;
            i = j;
        }
        if ((long long)nwords < (long long)o->c4_min_words_per_line) {
            c->lines[LLMD_FRULE_C4_LINE_TOO_FEW_WORDS]++;
            continue;
        }
        unsigned ph = c4_phrases(l, ln);
        if (o->c4_filter_lorem_ipsum && (ph & HAS_LOREM)) { *reason = LLMD_FRULE_C4_LOREM_IPSUM; break; }
        if (o->c4_filter_javascript && (ph & HAS_JS)) { c->lines[LLMD_FRULE_C4_LINE_JAVASCRIPT]++; continue; }
        if (o->c4_filter_curly_bracket && memchr(l, '{', ln) != NULL) { *reason = LLMD_FRULE_C4_CURLY_BRACKET; break; }
        if (o->c4_filter_policy && (ph & HAS_POLICY)) { c->lines[LLMD_FRULE_C4_LINE_POLICY]++; continue; }
        /* only "fewer than the minimum" matters: once it is reached, later lines need no splitting */
        if (o->c4_min_num_sentences != -1 && (long long)nsent < (long long)o->c4_min_num_sentences) {
            size_t k = 0;
            if ((st = c4_sentences(c, (const char *)l, ln, &k)) != LLMD_OK) break;
            nsent += k;
        }
        if (!first) fw_buf_putc(kept, '\n');
        fw_buf_put(kept, l, ln);
        first = false;
    }
    if (st == LLMD_OK && kept->oom) st = llmd_fail_nomem("c4 text");
    if (st == LLMD_OK && *reason == LLMD_FRULE_NONE && (long long)nsent < (long long)o->c4_min_num_sentences)
        *reason = LLMD_FRULE_C4_TOO_FEW_SENTENCES;
    if (st != LLMD_OK || *reason != LLMD_FRULE_NONE) return st;
    /* "\n".join(kept_lines).strip() */
    size_t ka = 0, ke = kept->len;
    if (kept->len) py_strip((const unsigned char *)kept->p, &ka, &ke);
    if (ke - ka != c->len || (ke > ka && memcmp(kept->p + ka, c->text, ke - ka) != 0)) {
        fw_buf nb = {0}; /* a fresh buffer: it becomes the caller's result text */
        fw_buf_put(&nb, kept->p + ka, ke - ka);
        fw_buf_putc(&nb, '\0');
        if (nb.oom) { fw_buf_free(&nb); return llmd_fail_nomem("c4 text"); }
        nb.len--;
        fw_buf_free(&c->own);
        c->own = nb;
        c->text = c->own.p;
        c->len = c->own.len;
        c->modified = true;
        c->toks_valid = false;
        if (c->ascii != 1) c->ascii = -1; /* the kept lines of a non-ASCII text may be ASCII */
    }
    return LLMD_OK;
}

/* ------------------------------------------------------------------------ badwords */

static llmd_status rule_badwords(doc_ctx *c, llmd_filter_rule *reason) {
    const llmd_filter *f = c->f;
    *reason = LLMD_FRULE_NONE;
    int idx = f->bw_default;
    if (f->o.bad_words_file == NULL && c->language_ran) idx = bw_find(f, c->language);
    if (idx < 0) return LLMD_OK; /* no list for the language: kept */
    if (all_ascii((const unsigned char *)c->text, c->len)) {
        if (bw_search_ascii(&f->bw[idx], (const unsigned char *)c->text, c->len)) *reason = LLMD_FRULE_BADWORDS;
        return LLMD_OK;
    }
    if (!py_lower(c->text, c->len, &c->tmp)) return llmd_fail_nomem("lower-casing");
    if (bw_search(&f->bw[idx], (const unsigned char *)c->tmp.p, c->tmp.len)) *reason = LLMD_FRULE_BADWORDS;
    return LLMD_OK;
}

/* ------------------------------------------------------------------------ gopher quality */

static bool token_has(const unsigned char *t, size_t n, bool (*pred)(uint32_t), bool negate) {
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        if (t[i] < 0x80) cp = t[i++];
        else i += uni_decode(t + i, n - i, &cp);
        bool p = pred(cp);
        if (negate ? !p : p) return true;
    }
    return false;
}

/* str.count(lit): non-overlapping occurrences, left to right. */
static size_t count_literal(const unsigned char *s, size_t n, const char *lit) {
    size_t m = strlen(lit), k = 0;
    for (size_t i = 0; i + m <= n;) {
        const unsigned char *p = memchr(s + i, (unsigned char)lit[0], n - m + 1 - i);
        if (p == NULL) break;
        i = (size_t)(p - s);
        if (memcmp(s + i, lit, m) == 0) { k++; i += m; }
        else i++;
    }
    return k;
}

static const char *const stop_words[] = {"the", "be", "to", "of", "and", "that", "have", "with"};
static const unsigned char stop_lens[] = {3, 2, 2, 2, 3, 4, 4, 4};
static pthread_once_t gopher_once = PTHREAD_ONCE_INIT;

static uint32_t stop_packed[8]; /* stop_words[q] in the first stop_lens[q] bytes, the rest 0 */

static void gopher_init(void) {
    for (unsigned q = 0; q < 8; q++) memcpy(&stop_packed[q], stop_words[q], stop_lens[q]);
}

/* datatrove GopherQualityFilter.filter */
static llmd_status rule_gopher(doc_ctx *c, llmd_filter_rule *reason) {
    const llmd_filter_options *o = &c->f->o;
    *reason = LLMD_FRULE_NONE;
    llmd_status st = ctx_tokens(c);
    if (st != LLMD_OK) return st;
    pthread_once(&gopher_once, gopher_init);
    const fw_tokens *t = &c->toks;
    const unsigned char *tb = (const unsigned char *)t->buf.p;
    size_t n_words = t->n, n_ns = 0, ns_chars = 0, n_alpha = 0;
    unsigned stop_seen = 0;
    for (size_t i = 0; i < t->n; i++) {
        const unsigned char *w = tb + t->start[i];
        size_t wl = t->blen[i];
        /* classes of the ASCII bytes come from the tokenizer; other characters are decoded here */
        unsigned cls = t->cls[i];
        if ((cls & FW_CLS_NONASCII) && (cls & 3) != 3) {
            if (!(cls & FW_CLS_NONSYMBOL) && token_has(w, wl, is_dt_punct, true)) cls |= FW_CLS_NONSYMBOL;
            if (!(cls & FW_CLS_ALPHA) && token_has(w, wl, uni_isalpha_cp, false)) cls |= FW_CLS_ALPHA;
        }
        if (cls & 1) { n_ns++; ns_chars += t->clen[i]; }
        if (cls & 2) n_alpha++;
        if (wl >= 2 && wl <= 4) { /* the stop words, compared as packed bytes */
            uint32_t v = 0;
            memcpy(&v, w, wl);
            for (unsigned q = 0; q < 8; q++) stop_seen |= (unsigned)(stop_packed[q] == v && stop_lens[q] == wl) << q;
        }
    }
    if (o->gopher_min_doc_words && (long long)n_ns < (long long)o->gopher_min_doc_words) { *reason = LLMD_FRULE_GOPHER_SHORT_DOC; return LLMD_OK; }
    if (o->gopher_max_doc_words && (long long)n_ns > (long long)o->gopher_max_doc_words) { *reason = LLMD_FRULE_GOPHER_LONG_DOC; return LLMD_OK; }
    double avg = n_ns ? (double)ns_chars / (double)n_ns : NAN; /* np.mean([]) is nan: no comparison holds */
    if (o->gopher_min_avg_word_length != 0 && avg < o->gopher_min_avg_word_length) { *reason = LLMD_FRULE_GOPHER_BELOW_AVG_WORD_LENGTH; return LLMD_OK; }
    if (o->gopher_max_avg_word_length != 0 && avg > o->gopher_max_avg_word_length) { *reason = LLMD_FRULE_GOPHER_ABOVE_AVG_WORD_LENGTH; return LLMD_OK; }
    const unsigned char *s = (const unsigned char *)c->text;
    size_t n = c->len;
    /* datatrove divides by n_words here and would raise on a document of no words (only possible
     * with min_doc_words disabled); such a document passes these ratio checks instead. */
    if (n_words > 0 && o->gopher_max_symbol_word_ratio != 0) {
        size_t hashes = 0;
        for (const unsigned char *q = s; (q = memchr(q, '#', n - (size_t)(q - s))) != NULL; q++) hashes++;
        if ((double)hashes / (double)n_words > o->gopher_max_symbol_word_ratio) { *reason = LLMD_FRULE_GOPHER_TOO_MANY_HASHES; return LLMD_OK; }
        size_t ell = count_literal(s, n, "...") + count_literal(s, n, "\xE2\x80\xA6");
        if ((double)ell / (double)n_words > o->gopher_max_symbol_word_ratio) { *reason = LLMD_FRULE_GOPHER_TOO_MANY_ELLIPSIS; return LLMD_OK; }
    }
    size_t nlines = 0, bullets = 0, end_ell = 0, pos = 0, a, e;
    bool nl_only = only_newline_breaks(s, n, ctx_ascii(c));
    while (next_line(s, n, nl_only, &pos, &a, &e)) {
        nlines++;
        size_t la = a, le = e, wl;
        while (la < le && s[la] < 0x80 && ascii_ws_byte(s[la])) la++; /* lstrip: ASCII white space first */
        while (la < le && uni_isspace_at(s + la, le - la, &wl)) la += wl;
        if (la < le && (s[la] == '-' || (le - la >= 3 && memcmp(s + la, "\xE2\x80\xA2", 3) == 0))) bullets++;
        size_t re_ = e;
        while (re_ > la && s[re_ - 1] < 0x80 && ascii_ws_byte(s[re_ - 1])) re_--; /* rstrip, ASCII first */
        if (re_ > la && s[re_ - 1] >= 0x80) {
            size_t ra = la;
            py_strip(s, &ra, &re_);
        }
        if (ends_with(s + la, re_ - la, "...") || ends_with(s + la, re_ - la, "\xE2\x80\xA6")) end_ell++;
    }
    if (nlines > 0) {
        if (o->gopher_max_bullet_lines_ratio != 0 && (double)bullets / (double)nlines > o->gopher_max_bullet_lines_ratio) { *reason = LLMD_FRULE_GOPHER_TOO_MANY_BULLETS; return LLMD_OK; }
        if (o->gopher_max_ellipsis_lines_ratio != 0 && (double)end_ell / (double)nlines > o->gopher_max_ellipsis_lines_ratio) { *reason = LLMD_FRULE_GOPHER_TOO_MANY_END_ELLIPSIS; return LLMD_OK; }
    }
    if (n_words > 0 && o->gopher_max_non_alpha_words_ratio != 0 &&
        (double)n_alpha / (double)n_words < o->gopher_max_non_alpha_words_ratio) { *reason = LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD; return LLMD_OK; }
    if (o->gopher_min_stop_words && __builtin_popcount(stop_seen) < o->gopher_min_stop_words) { *reason = LLMD_FRULE_GOPHER_ENOUGH_STOP_WORDS; return LLMD_OK; }
    return LLMD_OK;
}

/* ------------------------------------------------------------------------ gopher repetition */

static double frac_of(size_t num, size_t den) { return den ? (double)num / (double)den : 0.0; }

/* datatrove GopherRepetitionFilter.filter */
static llmd_status rule_repetition(doc_ctx *c, llmd_filter_rule *reason) {
    const llmd_filter *f = c->f;
    const llmd_filter_options *o = &f->o;
    *reason = LLMD_FRULE_NONE;
    const unsigned char *s = (const unsigned char *)c->text;
    size_t n = c->len;
    if (n >= UINT32_MAX) /* the duplicate tables hold 32-bit offsets */
        return llmd_fail(LLMD_ERR_RANGE, "gopher-repetition: document of %zu bytes is over 4 GiB", n);
    size_t text_chars = ctx_chars(c, 0, n); /* datatrove divides by len(text); an empty text passes */
    range_vec rv = c->rv;
    sset set = c->set;
    llmd_status st = LLMD_OK;
    size_t dup_e, dup_c;
    size_t a = 0, e = n;
    py_strip(s, &a, &e);
    if (!split_newline_runs(s, a, e, 2, &rv)) { st = llmd_fail_nomem("paragraphs"); goto done; }
    if ((st = find_duplicates(&set, c->text, rv.v, rv.n, ctx_ascii(c), &dup_e, &dup_c)) != LLMD_OK) goto done;
    if (o->rep_dup_para_frac != 0 && frac_of(dup_e, rv.n) > o->rep_dup_para_frac) { *reason = LLMD_FRULE_REP_DUP_PARA_FRAC; goto done; }
    if (o->rep_dup_para_char_frac != 0 && frac_of(dup_c, text_chars) > o->rep_dup_para_char_frac) { *reason = LLMD_FRULE_REP_DUP_PARA_CHAR_FRAC; goto done; }
    if (!split_newline_runs(s, 0, n, 1, &rv)) { st = llmd_fail_nomem("lines"); goto done; }
    if ((st = find_duplicates(&set, c->text, rv.v, rv.n, ctx_ascii(c), &dup_e, &dup_c)) != LLMD_OK) goto done;
    if (o->rep_dup_line_frac != 0 && frac_of(dup_e, rv.n) > o->rep_dup_line_frac) { *reason = LLMD_FRULE_REP_DUP_LINE_FRAC; goto done; }
    if (o->rep_dup_line_char_frac != 0 && frac_of(dup_c, text_chars) > o->rep_dup_line_char_frac) { *reason = LLMD_FRULE_REP_DUP_LINE_CHAR_FRAC; goto done; }
    if (f->ntop == 0 && f->ndup == 0) goto done;
    if ((st = ctx_tokens(c)) != LLMD_OK) goto done;
    {
        const fw_tokens *t = &c->toks;
        size_t nw = t->n;
        if (nw + 1 > c->ntok_cap && !ctx_grow_tokens(c, nw + 1)) {
            st = llmd_fail_nomem("n-grams");
            goto done;
        }
        size_t *cpre = c->cpre, *coff = c->coff;
        cpre[0] = 0;
        fw_buf *cat = &c->tmp2;
        cat->len = 0;
        cat->oom = false;
        /* room for every token's bytes (fewer than t->buf's, which has separators), the padding
         * the n-gram code may read, and 16-byte copies running past a token's end */
        if (t->buf.len + REP_CAT_PAD + 16 > cat->cap) {
            size_t want = t->buf.len + REP_CAT_PAD + 16;
            char *p = llmd_realloc(cat->p, cat->cap, want);
            if (p == NULL) { st = llmd_fail_nomem("n-grams"); goto done; }
            cat->p = p;
            cat->cap = want;
        }
        char *dst = cat->p;
        const char *src_end = t->buf.p + t->buf.len;
        size_t at = 0;
        for (size_t i = 0; i < nw; i++) {
            cpre[i + 1] = cpre[i] + t->clen[i];
            const char *w = t->buf.p + t->start[i];
            size_t bl = t->blen[i];
            coff[i] = at;
            /* the token's bytes appended, sixteen at a time (the destination has room to spare) */
            if (bl <= 16 && w + 16 <= src_end) {
                memcpy(dst + at, w, 16);
            } else {
                memcpy(dst + at, w, bl);
            }
            at += bl;
        }
        coff[nw] = at;
        memset(dst + at, 0, REP_CAT_PAD); /* readable bytes after the end (rep_tokens.cat) */
        cat->len = at;
        rep_tokens rt = {nw, cat->p, coff, cpre};
        rep_scratch_begin(&c->rep);
        for (size_t k = 0; st == LLMD_OK && k < f->ntop && *reason == LLMD_FRULE_NONE; k++) {
            bool over = false;
            if (!rep_top_exceeds(&c->rep, &rt, f->top_ngrams[k].n, text_chars, f->top_ngrams[k].frac, &over)) {
                st = llmd_fail_nomem("n-gram counting");
                break;
            }
            if (over) *reason = LLMD_FRULE_REP_TOP_NGRAM;
        }
        size_t dmin = 0; /* the smallest n asked of the duplicate n-grams */
        for (size_t k = 0; k < f->ndup; k++) if (dmin == 0 || f->dup_ngrams[k].n < dmin) dmin = f->dup_ngrams[k].n;
        for (size_t k = 0; st == LLMD_OK && k < f->ndup && *reason == LLMD_FRULE_NONE; k++) {
            bool over = false;
            if (!rep_dup_exceeds(&c->rep, &rt, f->dup_ngrams[k].n, dmin, text_chars, f->dup_ngrams[k].frac, &over)) {
                st = llmd_fail_nomem("n-gram counting");
                break;
            }
            if (over) *reason = LLMD_FRULE_REP_DUP_NGRAM;
        }
    }
done:
    c->rv = rv;
    c->set = set;
    return st;
}

/* ------------------------------------------------------------------------ fineweb */

/* Whether text.split() has at least `need` words (runs of Unicode white space separate them);
 * counting stops there. */
static bool has_split_words(const unsigned char *s, size_t n, bool ascii, size_t need) {
    size_t words = 0;
    bool in_word = false;
    if (need == 0) return true;
    for (size_t i = 0; i < n;) {
        bool sp;
        size_t l = 1;
        if (s[i] < 0x80 || ascii) sp = s[i] == ' ' || (s[i] >= 0x09 && s[i] <= 0x0D) || (s[i] >= 0x1C && s[i] <= 0x1F);
        else sp = uni_isspace_at(s + i, n - i, &l);
        if (!sp && !in_word && ++words >= need) return true;
        in_word = !sp;
        i += l;
    }
    return false;
}

/* Whether text[a:e].strip() is empty. */
static inline bool blank_line(const unsigned char *s, size_t a, size_t e) {
    while (a < e && s[a] < 0x80 && ascii_ws_byte(s[a])) a++;
    if (a == e) return true;
    if (s[a] < 0x80) return false;
    py_strip(s, &a, &e); /* a non-ASCII character: maybe Unicode white space */
    return a == e;
}

typedef struct fw_line_counts { size_t nlines, punct, shorts; } fw_line_counts;

/* One line of text.split("\n"): counted when line.strip() != "", with whether it ends with a
 * terminal mark and whether it has at most `lim` characters (lim < 0: no short-line check). */
static inline void fineweb_line(const doc_ctx *c, const unsigned char *s, size_t a, size_t e, bool ascii, long long lim,
                                fw_line_counts *lc) {
    if (blank_line(s, a, e)) return; /* e > a from here */
    lc->nlines++;
    unsigned char last = s[e - 1];
    if (last < 0x80) lc->punct += last == '.' || last == '!' || last == '?'; /* the ASCII terminal marks */
    else {
        size_t j = uni_prev_start(s + a, e - a) + a;
        uint32_t cp;
        uni_decode(s + j, e - j, &cp);
        lc->punct += is_dt_terminal(cp);
    }
    if (lim >= 0) {
        size_t l = (size_t)lim, bytes = e - a;
        /* characters <= bytes <= 4 * characters */
        if (bytes <= l || (!ascii && bytes <= 4 * l && uni_len(c->text + a, bytes) <= l)) lc->shorts++;
    }
}

/* datatrove FineWebQualityFilter.filter */
static llmd_status rule_fineweb(doc_ctx *c, llmd_filter_rule *reason) {
    const llmd_filter_options *o = &c->f->o;
    *reason = LLMD_FRULE_NONE;
    const unsigned char *s = (const unsigned char *)c->text;
    size_t n = c->len;
    if (n >= UINT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "fineweb: document of %zu bytes is over 4 GiB", n);
#ifdef __SSE2__
    bool ascii = c->ascii == 1; /* an earlier filter may know; else the line pass finds ASCII lines */
#else
    bool ascii = ctx_ascii(c);
#endif
    /* lines = [l for l in text.split("\n") if l.strip() != ""]: the end-mark and short-line counts
     * in one pass; the lines themselves are listed only if the duplicate check is reached */
    fw_line_counts lc = {0, 0, 0};
    long long lim = o->fineweb_short_line_length;
    size_t nl_count = 0, start = 0;
#ifdef __SSE2__
    /* newlines as bit masks of 64 bytes, lines taken from the set bits (no search per line); the
     * same loads give the non-ASCII bytes, so a line is known to be ASCII (characters = bytes)
     * when the last non-ASCII byte before its end lies before its start */
    const __m128i nlv = _mm_set1_epi8('\n');
    size_t last_na = SIZE_MAX; /* position of the last non-ASCII byte seen in earlier blocks */
    for (size_t base = 0; base + 64 <= n; base += 64) {
        uint64_t mask = 0, na = 0;
        for (int q = 0; q < 4; q++) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + base + 16 * (size_t)q));
            mask |= (uint64_t)(uint32_t)_mm_movemask_epi8(_mm_cmpeq_epi8(v, nlv)) << (16 * q);
            na |= (uint64_t)(uint32_t)_mm_movemask_epi8(v) << (16 * q);
        }
        while (mask) {
            unsigned bit = (unsigned)__builtin_ctzll(mask);
            size_t i = base + bit;
            mask &= mask - 1;
            uint64_t below = na & ((1ull << bit) - 1);
            size_t na_before = below ? base + 63 - (size_t)__builtin_clzll(below) : last_na;
            bool line_ascii = ascii || na_before == SIZE_MAX || na_before < start;
            fineweb_line(c, s, start, i, line_ascii, lim, &lc);
            nl_count++;
            start = i + 1;
        }
        if (na) last_na = base + 63 - (size_t)__builtin_clzll(na);
    }
#endif
    for (;;) {
        size_t i = find_nl(s, start, n);
        fineweb_line(c, s, start, i, ascii, lim, &lc);
        if (i >= n) break;
        nl_count++;
        start = i + 1;
    }
    size_t nlines = lc.nlines, punct = lc.punct, shorts = lc.shorts;
    if (nlines == 0) { *reason = LLMD_FRULE_FINEWEB_EMPTY; return LLMD_OK; }
    double ratio = (double)punct / (double)nlines;
    if (ratio < o->fineweb_line_punct_thr && !(ratio == 0 && o->fineweb_line_punct_exclude_zero)) { *reason = LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO; return LLMD_OK; }
    if ((double)shorts / (double)nlines > o->fineweb_short_line_thr) { *reason = LLMD_FRULE_FINEWEB_SHORT_LINE_RATIO; return LLMD_OK; }
    ascii = ctx_ascii(c);
    range_vec *rv = &c->rv;
    rv->n = 0;
    for (size_t from = 0;;) {
        size_t i = find_nl(s, from, n);
        if (!blank_line(s, from, i) && !rv_push(rv, from, i)) return llmd_fail_nomem("lines");
        if (i >= n) break;
        from = i + 1;
    }
    size_t dup_e, dup_c;
    llmd_status st = find_duplicates(&c->set, c->text, rv->v, rv->n, ascii, &dup_e, &dup_c);
    if (st != LLMD_OK) return st;
    size_t chars_no_nl = ctx_chars(c, 0, n) - nl_count;
    if (frac_of(dup_c, chars_no_nl) > o->fineweb_char_duplicates_ratio) { *reason = LLMD_FRULE_FINEWEB_CHAR_DUP_RATIO; return LLMD_OK; }
    /* new_line / len(words) > new_line_ratio.  Word tokens never cross white space and the
     * sentence spans cover every non-space character, so there are at least as many tokens as
     * text.split() words: when new_line / len(text.split()) already passes, the tokens (which
     * can only lower the ratio) need not be computed.  Division is monotonic, so this holds in
     * floating point too. */
    double thr = o->fineweb_new_line_ratio;
    if (!c->toks_valid && thr > 0 && thr < 1e300) {
        /* the fewest words that pass: need = min{L >= 1 : !(nl / L > thr)}, found exactly in doubles */
        double est = ceil((double)nl_count / thr);
        size_t need = est < 1 ? 1 : est > 1e15 ? (size_t)1e15 : (size_t)est;
        while (need > 1 && !((double)nl_count / (double)(need - 1) > thr)) need--;
        while ((double)nl_count / (double)need > thr) need++;
        if (has_split_words(s, n, ascii, need)) return LLMD_OK;
    }
    if ((st = ctx_tokens(c)) != LLMD_OK) return st;
    if (c->toks.n > 0 && (double)nl_count / (double)c->toks.n > o->fineweb_new_line_ratio) { *reason = LLMD_FRULE_FINEWEB_LIST_RATIO; return LLMD_OK; }
    return LLMD_OK;
}

/* ------------------------------------------------------------------------ language */

/* datatrove LanguageFilter.filter with a FastTextLID-style predictor. */
static llmd_status rule_language(doc_ctx *c, llmd_filter_rule *reason) {
    const llmd_filter *f = c->f;
    double thr = f->o.language_threshold;
    *reason = LLMD_FRULE_NONE;
    /* Enough predictions that any label left out scores <= 1/(k+1) < thr (scores sum to <= 1). */
    size_t k = 1;
    if (f->nlanguages > 0) k = thr > 0 ? (size_t)ceil(1.0 / thr) + 1 : 4096;
    if (k > 4096) k = 4096;
    llmd_filter_lang_pred *preds = llmd_calloc(k, sizeof *preds);
    if (preds == NULL) return llmd_fail_nomem("language predictions");
    fw_buf *t = &c->tmp;
    t->len = 0;
    fw_buf_put(t, c->text, c->len);
    fw_buf_putc(t, '\0');
    if (t->oom) { llmd_free(preds); return llmd_fail_nomem("language text"); }
    for (size_t i = 0; i + 1 < t->len; i++)
        if (t->p[i] == '\n') t->p[i] = ' ';
    size_t np = 0;
    llmd_status st = f->o.language_predict(f->o.language_ctx, t->p, t->len - 1, k, preds, &np);
    if (st != LLMD_OK) {
        llmd_free(preds);
        /* a caller's predictor may fail without setting a message: its status must still come back
         * (llmd_error_prefix returns the thread's last status, which may be an old LLMD_OK) */
        if (llmd_last_error_status() != st)
            return llmd_fail(st, "language predictor: failed with %s", llmd_status_str(st));
        return llmd_error_prefix("language predictor");
    }
    if (np > k) np = k;
    for (size_t i = 0; i < np; i++) { /* tolerate fastText's raw "__label__xx" labels */
        preds[i].label[sizeof preds[i].label - 1] = '\0';
        if (strncmp(preds[i].label, "__label__", 9) == 0)
            memmove(preds[i].label, preds[i].label + 9, strlen(preds[i].label + 9) + 1);
    }
    c->language_ran = true;
    c->language[0] = '\0';
    c->language_score = 0;
    if (np > 0) {
        size_t best = 0;
        for (size_t i = 1; i < np; i++)
            if (preds[i].score > preds[best].score) best = i;
        preds[best].label[sizeof preds[best].label - 1] = '\0';
        snprintf(c->language, sizeof c->language, "%s", preds[best].label);
        c->language_score = preds[best].score;
    }
    bool keep = false;
    if (f->nlanguages == 0) {
        keep = np > 0 && c->language_score > thr;
    } else {
        for (size_t i = 0; i < np && !keep; i++) {
            preds[i].label[sizeof preds[i].label - 1] = '\0';
            if (!(preds[i].score > thr)) continue;
            for (size_t j = 0; j < f->nlanguages && !keep; j++) keep = strcmp(preds[i].label, f->languages[j]) == 0;
        }
    }
    llmd_free(preds);
    if (!keep) *reason = LLMD_FRULE_LANGUAGE;
    return LLMD_OK;
}

/* ======================================================================== apply, batch, stats */

static void stats_add(llmd_filter_stats *s, const llmd_filter_result *r, const uint32_t *lines) {
    s->docs_in++;
    if (r->keep) {
        s->docs_kept++;
        if (r->text != NULL) s->docs_modified++;
    } else if ((int)r->reason >= 0 && (int)r->reason < FRULE_COUNT) {
        s->dropped[r->reason]++;
    }
    for (int i = 0; i < FRULE_COUNT; i++) s->lines[i] += lines[i];
}

typedef llmd_status (*rule_fn)(doc_ctx *c, llmd_filter_rule *reason);
static const rule_fn rule_fns[FK_COUNT] = {rule_c4, rule_badwords, rule_gopher, rule_repetition, rule_fineweb, rule_language};

llmd_status llmd_filter_apply(const llmd_filter *f, const char *text, size_t len, llmd_filter_result *res,
                              llmd_filter_stats *stats) {
    if (f == NULL || res == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_filter_apply: NULL argument");
    memset(res, 0, sizeof *res);
    res->keep = 1;
    res->reason = LLMD_FRULE_NONE;
    if (text == NULL) text = "";
    if (len >= UINT32_MAX) /* token and line tables hold 32-bit lengths */
        return llmd_fail(LLMD_ERR_RANGE, "llmd_filter_apply: document of %zu bytes is over the 4 GiB limit", len);
    llmd_filter_rule reason = LLMD_FRULE_NONE;
    if (len < f->o.min_bytes) reason = LLMD_FRULE_LEN_MIN;
    else if (f->o.max_bytes != 0 && len > f->o.max_bytes) reason = LLMD_FRULE_LEN_MAX;
    doc_ctx local, *cp = ctx_acquire();
    bool cached = cp != NULL;
    if (!cached) {
        memset(&local, 0, sizeof local);
        cp = &local;
    }
    ctx_reset(cp, f, text, len);
    doc_ctx *c = cp;
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < f->norder && reason == LLMD_FRULE_NONE && st == LLMD_OK; i++)
        st = rule_fns[f->order[i]](c, &reason);
    if (st == LLMD_OK) {
        if (c->language_ran) {
            snprintf(res->language, sizeof res->language, "%s", c->language);
            res->language_score = c->language_score;
        }
        if (reason != LLMD_FRULE_NONE) {
            res->keep = 0;
            res->reason = reason;
        } else if (c->modified) {
            res->text = c->own.p;
            res->len = c->own.len;
            c->own.p = NULL; /* ownership passes to the result (NUL-terminated by rule_c4) */
            c->own.len = c->own.cap = 0;
        }
        if (stats != NULL) stats_add(stats, res, c->lines);
    }
    ctx_release(c, cached, st != LLMD_OK);
    return st;
}

typedef struct batch_arg {
    const llmd_filter *f;
    const char *const *texts;
    const size_t *lens;
    llmd_filter_result *res;
    llmd_filter_stats *stats;
    pthread_mutex_t lock;
} batch_arg;

static llmd_status batch_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    batch_arg *b = arg;
    llmd_filter_stats local;
    memset(&local, 0, sizeof local);
    for (size_t i = begin; i < end; i++) {
        llmd_status st = llmd_filter_apply(b->f, b->texts[i], b->lens[i], &b->res[i], &local);
        if (st != LLMD_OK) return st;
    }
    if (b->stats != NULL) {
        pthread_mutex_lock(&b->lock);
        llmd_filter_stats_merge(b->stats, &local);
        pthread_mutex_unlock(&b->lock);
    }
    return LLMD_OK;
}

llmd_status llmd_filter_batch(const llmd_filter *f, const char *const *texts, const size_t *lens, size_t n,
                              unsigned threads, llmd_filter_result *results, llmd_filter_stats *stats) {
    if (n == 0) return LLMD_OK;
    if (f == NULL || texts == NULL || lens == NULL || results == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_filter_batch: NULL argument");
    for (size_t i = 0; i < n; i++) results[i].text = NULL;
    llmd_filter_stats *tmp = NULL;
    if (stats != NULL) {
        llmd_status st = llmd_filter_stats_new(&tmp);
        if (st != LLMD_OK) return st;
    }
    batch_arg b = {f, texts, lens, results, tmp, PTHREAD_MUTEX_INITIALIZER};
    llmd_status st = llmd_parallel_ranges(n, threads, batch_range, &b);
    if (st != LLMD_OK) {
        for (size_t i = 0; i < n; i++) {
            llmd_free(results[i].text);
            results[i].text = NULL;
        }
    } else if (stats != NULL) {
        llmd_filter_stats_merge(stats, tmp);
    }
    llmd_filter_stats_free(tmp);
    return st;
}

llmd_status llmd_filter_stats_new(llmd_filter_stats **out) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_filter_stats_new: out is NULL");
    *out = llmd_calloc(1, sizeof **out);
    return *out ? LLMD_OK : llmd_fail_nomem("filter stats");
}

void llmd_filter_stats_free(llmd_filter_stats *s) { llmd_free(s); }

void llmd_filter_stats_merge(llmd_filter_stats *dst, const llmd_filter_stats *src) {
    if (dst == NULL || src == NULL) return;
    dst->docs_in += src->docs_in;
    dst->docs_kept += src->docs_kept;
    dst->docs_modified += src->docs_modified;
    for (int i = 0; i < FRULE_COUNT; i++) {
        dst->dropped[i] += src->dropped[i];
        dst->lines[i] += src->lines[i];
    }
}

void llmd_filter_stats_totals(const llmd_filter_stats *s, uint64_t *docs_in, uint64_t *docs_kept, uint64_t *docs_modified) {
    if (docs_in) *docs_in = s ? s->docs_in : 0;
    if (docs_kept) *docs_kept = s ? s->docs_kept : 0;
    if (docs_modified) *docs_modified = s ? s->docs_modified : 0;
}

llmd_status llmd_filter_stats_rule(const llmd_filter_stats *s, llmd_filter_rule rule, uint64_t *docs_dropped,
                                   uint64_t *lines_removed) {
    if (s == NULL || (int)rule < 0 || (int)rule >= FRULE_COUNT)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_filter_stats_rule: %s", s == NULL ? "stats is NULL" : "rule out of range");
    if (docs_dropped) *docs_dropped = s->dropped[rule];
    if (lines_removed) *lines_removed = s->lines[rule];
    return LLMD_OK;
}
