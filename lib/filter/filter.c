/* Quality filters: length, C4, Gopher (see include/llmdata/filter.h). */
#include <stdbool.h>
#include <string.h>

#include "common/internal.h"
#include "llmdata/filter.h"
#include "badwords_en.h"

struct llmd_filter {
    llmd_filter_options o;
    char **words;       /* bad words, lower-case */
    size_t nwords;
    uint32_t *table;    /* open addressing: index+1 into words, 0 = empty */
    size_t mask;
    char *file_data;
};

static const char *const rule_names[LLMD_FRULE_COUNT] = {
    "len_min", "len_max", "c4_line_terminal", "c4_line_words", "c4_line_javascript", "c4_lorem_ipsum",
    "c4_curly_brace", "c4_bad_words", "c4_sentences", "c4_empty", "gopher_words", "gopher_word_len",
    "gopher_symbols", "gopher_bullets", "gopher_ellipsis", "gopher_stop_words", "gopher_alpha",
};

static const size_t filter_opt_sizes[] = {sizeof(llmd_filter_options)};

const char *llmd_filter_rule_name(int rule) {
    return rule >= 0 && rule < LLMD_FRULE_COUNT ? rule_names[rule] : NULL;
}

void llmd_filter_options_init(llmd_filter_options *opts) {
    if (opts == NULL) return;
    llmd_filter_options d = LLMD_FILTER_OPTIONS_INIT;
    *opts = d;
}

static inline bool is_ws(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
static inline bool is_punct(unsigned char c) { return c < 0x80 && c > ' ' && c != 0x7f && !((c | 32) >= 'a' && (c | 32) <= 'z') && !(c >= '0' && c <= '9'); }
static inline unsigned char lower(unsigned char c) { return (c >= 'A' && c <= 'Z') ? (unsigned char)(c | 32) : c; }

static uint64_t word_hash(const char *w, size_t n) {
    char buf[64];
    if (n > sizeof buf) return llmd_hash64(w, n, 0x9e37); /* long words: never on the list */
    for (size_t i = 0; i < n; i++) buf[i] = (char)lower((unsigned char)w[i]);
    return llmd_hash64(buf, n, 0x9e37);
}

static bool is_bad_word(const llmd_filter *f, const char *w, size_t n) {
    if (f->table == NULL || n == 0 || n > 64) return false;
    uint64_t h = word_hash(w, n);
    for (size_t i = h & f->mask;; i = (i + 1) & f->mask) {
        uint32_t e = f->table[i];
        if (e == 0) return false;
        const char *c = f->words[e - 1];
        if (strlen(c) == n) {
            size_t k = 0;
            while (k < n && lower((unsigned char)w[k]) == (unsigned char)c[k]) k++;
            if (k == n) return true;
        }
    }
}

void llmd_filter_free(llmd_filter *f) {
    if (f == NULL) return;
    if (f->words)
        for (size_t i = 0; i < f->nwords; i++) llmd_free(f->words[i]);
    llmd_free(f->words);
    llmd_free(f->table);
    llmd_free(f->file_data);
    llmd_free(f);
}

static llmd_status add_word(llmd_filter *f, const char *w, size_t n, size_t cap) {
    while (n > 0 && is_ws((unsigned char)w[n - 1])) n--;
    while (n > 0 && is_ws((unsigned char)*w)) { w++; n--; }
    if (n == 0 || n > 64 || f->nwords >= cap) return LLMD_OK;
    char *c = llmd_strndup(w, n);
    if (c == NULL) return llmd_fail_nomem("bad-words list");
    for (size_t i = 0; i < n; i++) c[i] = (char)lower((unsigned char)c[i]);
    if (is_bad_word(f, c, n)) { llmd_free(c); return LLMD_OK; }
    f->words[f->nwords++] = c;
    uint64_t h = word_hash(c, n);
    size_t i = h & f->mask;
    while (f->table[i] != 0) i = (i + 1) & f->mask;
    f->table[i] = (uint32_t)f->nwords;
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
    f->o.bad_words_file = NULL;
    if (o.c4) {
        size_t flen = 0, cap;
        if (o.bad_words_file != NULL) {
            st = llmd_read_file(o.bad_words_file, &f->file_data, &flen);
            if (st != LLMD_OK) {
                llmd_filter_free(f);
                return llmd_error_prefix("bad-words file");
            }
            cap = 1;
            for (size_t i = 0; i < flen; i++) cap += f->file_data[i] == '\n';
        } else {
            cap = sizeof llmd_filter_badwords_en / sizeof llmd_filter_badwords_en[0];
        }
        size_t tsize = 16;
        while (tsize < 2 * cap) tsize *= 2;
        f->words = llmd_calloc(cap, sizeof *f->words);
        f->table = llmd_calloc(tsize, sizeof *f->table);
        f->mask = tsize - 1;
        if (f->words == NULL || f->table == NULL) {
            llmd_filter_free(f);
            return llmd_fail_nomem("bad-words list");
        }
        if (f->file_data != NULL) {
            const char *p = f->file_data, *end = f->file_data + flen;
            while (p < end && st == LLMD_OK) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                st = add_word(f, p, (size_t)(e - p), cap);
                p = nl ? nl + 1 : end;
            }
        } else {
            for (size_t i = 0; i < cap && st == LLMD_OK; i++)
                st = add_word(f, llmd_filter_badwords_en[i], strlen(llmd_filter_badwords_en[i]), cap);
        }
        llmd_free(f->file_data);
        f->file_data = NULL;
        if (st != LLMD_OK) {
            llmd_filter_free(f);
            return st;
        }
    }
    *out = f;
    return LLMD_OK;
}

static bool contains_ci(const char *s, size_t n, const char *needle) {
    size_t m = strlen(needle);
    if (m > n) return false;
    unsigned char first = (unsigned char)needle[0];
    for (size_t i = 0; i + m <= n; i++) {
        if (lower((unsigned char)s[i]) != first) continue;
        size_t k = 1;
        while (k < m && lower((unsigned char)s[i + k]) == (unsigned char)needle[k]) k++;
        if (k == m) return true;
    }
    return false;
}

/* Calls fn for each whitespace-separated word. */
typedef struct words_stat {
    uint64_t words, core_words, core_bytes, alpha_words, stop_words, hashes, ellipses;
    bool bad;
} words_stat;

static bool is_stop(const char *w, size_t n) {
    static const char *const stop[] = {"the", "be", "to", "of", "and", "that", "have", "with"};
    for (size_t i = 0; i < 8; i++) {
        size_t m = strlen(stop[i]);
        if (m != n) continue;
        size_t k = 0;
        while (k < n && lower((unsigned char)w[k]) == (unsigned char)stop[i][k]) k++;
        if (k == n) return true;
    }
    return false;
}

static void scan_words(const llmd_filter *f, const char *s, size_t n, words_stat *ws, bool want_bad) {
    size_t i = 0;
    while (i < n) {
        while (i < n && is_ws((unsigned char)s[i])) i++;
        if (i >= n) break;
        size_t a = i;
        bool alpha = false;
        while (i < n && !is_ws((unsigned char)s[i])) {
            unsigned char c = (unsigned char)s[i];
            if (((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0x80) alpha = true;
            i++;
        }
        size_t b = i;
        ws->words++;
        ws->alpha_words += alpha;
        while (a < b && is_punct((unsigned char)s[a])) a++;
        while (b > a && is_punct((unsigned char)s[b - 1])) b--;
        if (b > a) {
            ws->core_words++;
            ws->core_bytes += b - a;
            if (is_stop(s + a, b - a)) ws->stop_words++;
            if (want_bad && !ws->bad && is_bad_word(f, s + a, b - a)) ws->bad = true;
        }
    }
}

static bool ends_with(const char *s, size_t n, const char *suf) {
    size_t m = strlen(suf);
    return n >= m && memcmp(s + n - m, suf, m) == 0;
}

static bool starts_with(const char *s, size_t n, const char *pre) {
    size_t m = strlen(pre);
    return n >= m && memcmp(s, pre, m) == 0;
}

static llmd_status c4_lines(const char *text, size_t len, llmd_filter_result *res, llmd_buf *kept, bool *modified) {
    const char *p = text, *end = text + len;
    *modified = false;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        const char *a = p, *b = e;
        p = nl ? nl + 1 : end;
        while (a < b && is_ws((unsigned char)*a)) a++;
        while (b > a && is_ws((unsigned char)b[-1])) b--;
        if (a == b) continue;
        size_t n = (size_t)(b - a);
        size_t words = 0;
        for (size_t i = 0; i < n;) {
            while (i < n && is_ws((unsigned char)a[i])) i++;
            if (i < n) words++;
            while (i < n && !is_ws((unsigned char)a[i])) i++;
        }
        int rule = -1;
        char last = a[n - 1];
        /* TFDS c4_utils order: end mark (a trailing "..." is not one), then word count */
        if ((last != '.' && last != '!' && last != '?' && last != '"') || ends_with(a, n, "..."))
            rule = LLMD_FRULE_C4_LINE_TERMINAL;
        else if (words < 3) rule = LLMD_FRULE_C4_LINE_WORDS;
        else if (contains_ci(a, n, "javascript")) rule = LLMD_FRULE_C4_LINE_JAVASCRIPT;
        if (rule >= 0) {
            res->lines_removed[rule]++;
            *modified = true;
            continue;
        }
        llmd_status st = LLMD_OK;
        if (kept->len > 0) st = llmd_buf_putc(kept, '\n');
        if (st == LLMD_OK) st = llmd_buf_append(kept, a, n);
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

static uint64_t count_sentences(const char *s, size_t n) {
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if ((ch == '.' || ch == '!' || ch == '?') && (i + 1 == n || is_ws((unsigned char)s[i + 1]))) c++;
    }
    return c;
}

static int gopher(const llmd_filter *f, const char *s, size_t n) {
    words_stat ws;
    memset(&ws, 0, sizeof ws);
    scan_words(f, s, n, &ws, false);
    if (ws.words < 50 || ws.words > 100000) return LLMD_FRULE_GOPHER_WORDS;
    double mean = ws.core_words ? (double)ws.core_bytes / (double)ws.core_words : 0;
    if (mean < 3 || mean > 10) return LLMD_FRULE_GOPHER_WORD_LEN;
    uint64_t hashes = 0, ell = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '#') hashes++;
        else if (s[i] == '.' && i + 2 < n && s[i + 1] == '.' && s[i + 2] == '.') { ell++; i += 2; }
        else if ((unsigned char)s[i] == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
                 (unsigned char)s[i + 2] == 0xA6) { ell++; i += 2; }
    }
    if ((double)hashes > 0.1 * (double)ws.words || (double)ell > 0.1 * (double)ws.words)
        return LLMD_FRULE_GOPHER_SYMBOLS;
    uint64_t lines = 0, bullets = 0, ellipsis_lines = 0;
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end, *a = p, *b = e;
        p = nl ? nl + 1 : end;
        while (a < b && is_ws((unsigned char)*a)) a++;
        while (b > a && is_ws((unsigned char)b[-1])) b--;
        if (a == b) continue;
        size_t m = (size_t)(b - a);
        lines++;
        if (*a == '-' || *a == '*' || starts_with(a, m, "\xE2\x80\xA2") || starts_with(a, m, "\xE2\x97\x8F")) bullets++;
        if (ends_with(a, m, "...") || ends_with(a, m, "\xE2\x80\xA6")) ellipsis_lines++;
    }
    if (lines > 0 && (double)bullets > 0.9 * (double)lines) return LLMD_FRULE_GOPHER_BULLETS;
    if (lines > 0 && (double)ellipsis_lines > 0.3 * (double)lines) return LLMD_FRULE_GOPHER_ELLIPSIS;
    if (ws.stop_words < 2) return LLMD_FRULE_GOPHER_STOP_WORDS;
    if ((double)ws.alpha_words < 0.8 * (double)ws.words) return LLMD_FRULE_GOPHER_ALPHA;
    return -1;
}

llmd_status llmd_filter_apply(const llmd_filter *f, const char *text, size_t len, llmd_filter_result *res) {
    if (f == NULL || res == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_filter_apply: NULL argument");
    memset(res, 0, sizeof *res);
    res->keep = 1;
    res->reason = -1;
    if (text == NULL) text = "";
    int reason = -1;
    if (len < f->o.min_bytes) reason = LLMD_FRULE_LEN_MIN;
    else if (f->o.max_bytes != 0 && len > f->o.max_bytes) reason = LLMD_FRULE_LEN_MAX;
    const char *cur = text;
    size_t cur_len = len;
    llmd_buf kept = LLMD_BUF_INIT;
    bool modified = false;
    if (reason < 0 && f->o.c4) {
        llmd_status st = c4_lines(text, len, res, &kept, &modified);
        if (st != LLMD_OK) {
            llmd_buf_free(&kept);
            return st;
        }
        if (modified) {
            cur = kept.data ? kept.data : "";
            cur_len = kept.len;
        }
        words_stat ws;
        memset(&ws, 0, sizeof ws);
        if (contains_ci(text, len, "lorem ipsum")) reason = LLMD_FRULE_C4_LOREM_IPSUM;
        else if (memchr(text, '{', len) != NULL) reason = LLMD_FRULE_C4_CURLY_BRACE;
        else {
            scan_words(f, text, len, &ws, true);
            if (ws.bad) reason = LLMD_FRULE_C4_BAD_WORDS;
            else if (modified && cur_len == 0) reason = LLMD_FRULE_C4_EMPTY;
            else if (!modified && len == 0) reason = LLMD_FRULE_C4_EMPTY;
            else if (count_sentences(cur, cur_len) < 5) reason = LLMD_FRULE_C4_SENTENCES;
        }
    }
    if (reason < 0 && f->o.gopher) reason = gopher(f, cur, cur_len);
    if (reason >= 0) {
        res->keep = 0;
        res->reason = reason;
        llmd_buf_free(&kept);
        return LLMD_OK;
    }
    if (modified) {
        if (kept.data == NULL && llmd_buf_reserve(&kept, 1) != LLMD_OK) return llmd_fail_nomem("filtered text");
        res->text = llmd_buf_detach(&kept, &res->len);
    }
    llmd_buf_free(&kept);
    return LLMD_OK;
}

typedef struct batch_arg {
    const llmd_filter *f;
    const char *const *texts;
    const size_t *lens;
    llmd_filter_result *res;
} batch_arg;

static llmd_status batch_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    batch_arg *b = arg;
    for (size_t i = begin; i < end; i++) {
        llmd_status st = llmd_filter_apply(b->f, b->texts[i], b->lens[i], &b->res[i]);
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

llmd_status llmd_filter_batch(const llmd_filter *f, const char *const *texts, const size_t *lens, size_t n,
                              unsigned threads, llmd_filter_result *results) {
    if (n == 0) return LLMD_OK;
    if (f == NULL || texts == NULL || lens == NULL || results == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_filter_batch: NULL argument");
    for (size_t i = 0; i < n; i++) results[i].text = NULL;
    batch_arg b = {f, texts, lens, results};
    llmd_status st = llmd_parallel_ranges(n, threads, batch_range, &b);
    if (st != LLMD_OK) {
        for (size_t i = 0; i < n; i++) {
            llmd_free(results[i].text);
            results[i].text = NULL;
        }
    }
    return st;
}

void llmd_filter_counts_add(llmd_filter_counts *c, const llmd_filter_result *r) {
    if (c == NULL || r == NULL) return;
    c->docs_in++;
    if (r->keep) {
        c->docs_kept++;
        if (r->text != NULL) c->docs_modified++;
    } else if (r->reason >= 0 && r->reason < LLMD_FRULE_COUNT) {
        c->docs_dropped[r->reason]++;
    }
    for (int i = 0; i < LLMD_FRULE_COUNT; i++) c->lines_removed[i] += r->lines_removed[i];
}
