/* Word folding shared by normalised exact hashes and shingles (rules in llmdata/dedup.h). */
#include <utf8proc.h>

#include "dedup_internal.h"

/* ASCII: 0 separator, else the lower-cased byte of a word character [A-Za-z0-9]. */
static const unsigned char *ascii_table(void) {
    static unsigned char t[128];
    static int ready;
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        unsigned char tmp[128] = {0};
        for (int c = '0'; c <= '9'; c++) tmp[c] = (unsigned char)c;
        for (int c = 'a'; c <= 'z'; c++) tmp[c] = (unsigned char)c;
        for (int c = 'A'; c <= 'Z'; c++) tmp[c] = (unsigned char)(c + 32);
        memcpy(t, tmp, sizeof t);  /* same bytes from every racing thread */
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    return t;
}

static int is_word_cp(uint32_t cp) {
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_NO;  /* L*, M*, N* */
}

static llmd_status push_word(llmd_dd_words *w, uint32_t s, uint32_t e) {
    if (w->n == w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 256;
        uint32_t *ns = llmd_realloc(w->start, w->cap * sizeof *ns, cap * sizeof *ns);
        if (ns == NULL) return llmd_fail_nomem("folding words");
        w->start = ns;
        uint32_t *ne = llmd_realloc(w->end, w->cap * sizeof *ne, cap * sizeof *ne);
        if (ne == NULL) return llmd_fail_nomem("folding words");
        w->end = ne;
        w->cap = cap;
    }
    w->start[w->n] = s;
    w->end[w->n] = e;
    w->n++;
    return LLMD_OK;
}

llmd_status llmd_dd_fold(const char *text, size_t len, llmd_dd_words *w) {
    const unsigned char *t = ascii_table();
    const unsigned char *s = (const unsigned char *)text;
    llmd_buf_reset(&w->folded);
    w->n = 0;
    if (len > UINT32_MAX - 16) return llmd_fail(LLMD_ERR_RANGE, "document of %zu bytes is over the 4 GiB limit", len);
    /* The folded text is never longer than 4/3 of the input... except for lower-case mappings
     * that change the UTF-8 length; reserve len + 1 and let appends grow it. */
    llmd_status st = llmd_buf_reserve(&w->folded, len + 1);
    if (st != LLMD_OK) return st;
    size_t i = 0;
    int in_word = 0;
    uint32_t ws = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            unsigned char m = t[c];
            if (m) {
                if (!in_word) {
                    if (w->n && (st = llmd_buf_putc(&w->folded, ' ')) != LLMD_OK) return st;
                    ws = (uint32_t)w->folded.len;
                    in_word = 1;
                }
                /* Run of ASCII word bytes. */
                size_t j = i;
                if (w->folded.cap < w->folded.len + (len - i) + 2 &&
                    (st = llmd_buf_reserve(&w->folded, len - i + 1)) != LLMD_OK) return st;
                char *o = w->folded.data + w->folded.len;
                while (j < len && s[j] < 0x80 && t[s[j]]) *o++ = (char)t[s[j++]];
                w->folded.len += j - i;
                w->folded.data[w->folded.len] = '\0';
                i = j;
                continue;
            }
            if (in_word) {
                if ((st = push_word(w, ws, (uint32_t)w->folded.len)) != LLMD_OK) return st;
                in_word = 0;
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = llmd_utf8_decode(s + i, len - i, &cp);
        if (n == 0 || !is_word_cp(cp)) {
            if (in_word) {
                if ((st = push_word(w, ws, (uint32_t)w->folded.len)) != LLMD_OK) return st;
                in_word = 0;
            }
            i += n ? n : 1;
            continue;
        }
        if (!in_word) {
            if (w->n && (st = llmd_buf_putc(&w->folded, ' ')) != LLMD_OK) return st;
            ws = (uint32_t)w->folded.len;
            in_word = 1;
        }
        unsigned char enc[4];
        size_t el = llmd_utf8_encode((uint32_t)utf8proc_tolower((utf8proc_int32_t)cp), enc);
        if ((st = llmd_buf_append(&w->folded, enc, el)) != LLMD_OK) return st;
        i += n;
    }
    if (in_word && (st = push_word(w, ws, (uint32_t)w->folded.len)) != LLMD_OK) return st;
    if (w->folded.len > UINT32_MAX - 16)
        return llmd_fail(LLMD_ERR_RANGE, "folded document of %zu bytes is over the 4 GiB limit", w->folded.len);
    return LLMD_OK;
}

void llmd_dd_words_free(llmd_dd_words *w) {
    llmd_buf_free(&w->folded);
    llmd_free(w->start);
    llmd_free(w->end);
    memset(w, 0, sizeof *w);
}

LLMD_API llmd_status llmd_fold_text(char **out, size_t *out_len, const char *text, size_t len) {
    if (out == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_fold_text: NULL %s", out == NULL ? "out" : "text");
    *out = NULL;
    if (out_len) *out_len = 0;
    llmd_dd_words w = {LLMD_BUF_INIT, NULL, NULL, 0, 0};
    llmd_status st = llmd_dd_fold(text ? text : "", len, &w);
    if (st == LLMD_OK) st = llmd_buf_reserve(&w.folded, 0);
    if (st != LLMD_OK) {
        llmd_dd_words_free(&w);
        return st;
    }
    size_t n;
    *out = llmd_buf_detach(&w.folded, &n);
    if (out_len) *out_len = n;
    llmd_dd_words_free(&w);
    return LLMD_OK;
}
