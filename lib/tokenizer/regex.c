/* Split patterns: PCRE2 (UTF + UCP, JIT) running Oniguruma-syntax patterns with Oniguruma's
 * meaning, plus hand-written splitters for the well-known patterns (fast_split.c). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "fast_split.h"
#include "regex.h"

struct llmd_tok_regex {
    pcre2_code *code;
    uint32_t pairs;
    int fast;              /* an llmd_tok_fast_kind, or 0 */
};

/* Unicode White_Space, which Oniguruma's (and Rust's) \s means; PCRE2's UCP \s also matches
 * U+180E, and its \h is horizontal space where Oniguruma's \h is a hex digit. */
#define WS_MEMBERS "\\t-\\r \\x{85}\\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}"
#define WORD_MEMBERS "\\p{L}\\p{M}\\p{Nd}\\p{Pc}"
#define HEX_MEMBERS "0-9a-fA-F"

/* Rewrites the class escapes whose meaning differs (\s \S \w \W \h \H); everything else is
 * copied.  Tracks character classes so that members are inserted without brackets there.  A
 * class nested in a class (Oniguruma: a union, e.g. BLOOM's [^(\s|[.,!?])]+) is flattened into
 * its parent, which means the same; a negated nested class cannot be and stays as written (PCRE2
 * then refuses or reads it literally: such patterns are reported by the compile step). */
static llmd_status translate(const char *p, size_t n, llmd_buf *out) {
    enum { MAX_DEPTH = 32 };
    bool flat[MAX_DEPTH];
    int depth = 0; /* nesting of [...] */
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        char ch = p[i];
        if (ch == '\\' && i + 1 < n) {
            char e = p[i + 1];
            const char *members = e == 's' || e == 'S' ? WS_MEMBERS : e == 'w' || e == 'W' ? WORD_MEMBERS
                                  : e == 'h' || e == 'H' ? HEX_MEMBERS : NULL;
            bool neg = e == 'S' || e == 'W' || e == 'H';
            if (members && depth == 0) {
                st = llmd_buf_printf(out, neg ? "[^%s]" : "[%s]", members);
            } else if (members && !neg) {
                st = llmd_buf_puts(out, members);
            } else {
                st = llmd_buf_append(out, p + i, 2); /* other escapes, and negated ones inside a class */
            }
            i++;
            continue;
        }
        if (ch == '[') {
            /* POSIX bracket [:name:] inside a class is not a nested class */
            if (depth > 0 && i + 1 < n && p[i + 1] == ':') {
                const char *close = strstr(p + i + 2, ":]");
                if (close && (size_t)(close - p) < n) {
                    size_t l = (size_t)(close - (p + i)) + 2;
                    st = llmd_buf_append(out, p + i, l);
                    i += l - 1;
                    continue;
                }
            }
            if (depth >= MAX_DEPTH) return llmd_fail(LLMD_ERR_UNSUPPORTED, "regex: character classes nested too deeply");
            bool nested_union = depth > 0 && !(i + 1 < n && p[i + 1] == '^');
            flat[depth++] = nested_union;
            if (nested_union) {
                /* a ']' right after the nested '[' is a literal member */
                if (i + 1 < n && p[i + 1] == ']') st = llmd_buf_append(out, "\\]", 2), i++;
                continue;
            }
            st = llmd_buf_putc(out, ch);
            /* a ']' right after '[' or '[^' is a literal member */
            if (st == LLMD_OK && i + 1 < n && p[i + 1] == '^') st = llmd_buf_putc(out, p[++i]);
            if (st == LLMD_OK && i + 1 < n && p[i + 1] == ']') st = llmd_buf_putc(out, p[++i]);
            continue;
        }
        if (ch == ']' && depth > 0) {
            if (flat[--depth]) continue;
        }
        st = llmd_buf_putc(out, ch);
    }
    return st;
}

llmd_status llmd_tok_regex_new(llmd_tok_regex **out, const char *pattern, size_t len, int force_pcre) {
    *out = NULL;
    llmd_tok_regex *re = llmd_calloc(1, sizeof *re);
    if (re == NULL) return llmd_fail_nomem("regex");
    re->fast = force_pcre ? 0 : llmd_tok_fast_kind(pattern, len);
    llmd_buf t = {0};
    llmd_status st = translate(pattern, len, &t);
    if (st != LLMD_OK) {
        llmd_buf_free(&t);
        llmd_free(re);
        return st;
    }
    int err;
    PCRE2_SIZE eoff;
    re->code = pcre2_compile((PCRE2_SPTR)(t.data ? t.data : ""), t.len, PCRE2_UTF | PCRE2_UCP, &err, &eoff, NULL);
    llmd_buf_free(&t);
    if (re->code == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        llmd_free(re);
        return llmd_fail(LLMD_ERR_PARSE, "regex /%.*s/: %s (near offset %zu of the translated pattern)",
                         (int)(len > 200 ? 200 : len), pattern, (const char *)msg, (size_t)eoff);
    }
    (void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE); /* the interpreter serves when JIT is unavailable */
    uint32_t cap = 0;
    pcre2_pattern_info(re->code, PCRE2_INFO_CAPTURECOUNT, &cap);
    re->pairs = cap + 1;
    *out = re;
    return LLMD_OK;
}

void llmd_tok_regex_free(llmd_tok_regex *re) {
    if (re == NULL) return;
    pcre2_code_free(re->code);
    llmd_free(re);
}

const char *llmd_tok_regex_fast_name(const llmd_tok_regex *re) {
    return re && re->fast ? llmd_tok_fast_name(re->fast) : NULL;
}

void llmd_tok_regex_state_free(llmd_tok_regex_state *st) {
    if (st->match_data) pcre2_match_data_free((pcre2_match_data *)st->match_data);
    st->match_data = NULL;
    st->match_data_pairs = 0;
}

static int pcre_search(const llmd_tok_regex *re, llmd_tok_regex_state *st, const char *s, size_t len, size_t pos,
                       size_t *ms, size_t *me) {
    if (st->match_data == NULL || st->match_data_pairs < re->pairs) {
        llmd_tok_regex_state_free(st);
        st->match_data = pcre2_match_data_create(re->pairs < 16 ? 16 : re->pairs, NULL);
        if (st->match_data == NULL) return llmd_fail_nomem("regex match data");
        st->match_data_pairs = re->pairs < 16 ? 16 : re->pairs;
    }
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, len, pos, PCRE2_NO_UTF_CHECK, (pcre2_match_data *)st->match_data, NULL);
    if (rc == PCRE2_ERROR_NOMATCH) return 0;
    if (rc < 0) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(rc, msg, sizeof msg);
        return llmd_fail(LLMD_ERR_RANGE, "regex match failed: %s", (const char *)msg);
    }
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer((pcre2_match_data *)st->match_data);
    *ms = ov[0];
    *me = ov[1];
    return 1;
}

int llmd_tok_regex_next(const llmd_tok_regex *re, llmd_tok_regex_state *st, const char *s, size_t len, size_t *pos,
                        size_t *last_end, size_t *mstart, size_t *mend) {
    for (;;) {
        if (*pos > len) return 0;
        size_t ms, me;
        int r;
        if (re->fast) r = llmd_tok_fast_search(re->fast, (const uint8_t *)s, len, *pos, &ms, &me);
        else r = pcre_search(re, st, s, len, *pos, &ms, &me);
        if (r <= 0) return r;
        if (ms == me && *last_end == me) {
            /* an empty match right after the previous one: step one character (rust-onig) */
            *pos += *pos < len ? llmd_tok_fast_u8len((const uint8_t *)s, len, *pos) : 1;
            continue;
        }
        *pos = *last_end = me;
        *mstart = ms;
        *mend = me;
        return 1;
    }
}

/* tiktoken's patterns as the npm `tiktoken` package (1.0.22) ships them (its encoders directory). */
static const char PAT_GPT2[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
static const char PAT_CL100K[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
                                 "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
static const char PAT_O200K[] =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const char *llmd_tok_tiktoken_pattern(const char *name) {
    if (name == NULL) return NULL;
    char base[32];
    size_t n = strlen(name);
    if (n >= sizeof base) return NULL;
    memcpy(base, name, n + 1);
    if (n > 5 && strcmp(base + n - 5, "_base") == 0) base[n - 5] = 0;
    if (strcmp(base, "gpt2") == 0 || strcmp(base, "r50k") == 0 || strcmp(base, "p50k") == 0 ||
        strcmp(base, "p50k_edit") == 0)
        return PAT_GPT2;
    if (strcmp(base, "cl100k") == 0) return PAT_CL100K;
    if (strcmp(base, "o200k") == 0) return PAT_O200K;
    return NULL;
}
