/* Punkt sentence splitting (untrained) and NLTK's Treebank-style word tokenizer (see words.h).
 * Each function names the nltk code it reproduces; comments give the regex it stands for. */
#include "filter/words.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "filter/uni.h"

typedef const unsigned char uc;

/* ---------------------------------------------------------------- buffers */

void fw_buf_put(fw_buf *b, const void *data, size_t n) {
    if (b->oom || n == 0) return;
    if (b->len + n > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n) nc *= 2;
        char *p = llmd_realloc(b->p, b->cap, nc);
        if (p == NULL) { b->oom = true; return; }
        b->p = p;
        b->cap = nc;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

void fw_buf_free(fw_buf *b) {
    llmd_free(b->p);
    memset(b, 0, sizeof *b);
}

static void spans_push(fw_spans *s, size_t a, size_t e) {
    if (s->oom) return;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 64;
        fw_span *v = llmd_realloc(s->v, s->cap * sizeof *v, nc * sizeof *v);
        if (v == NULL) { s->oom = true; return; }
        s->v = v;
        s->cap = nc;
    }
    s->v[s->n].start = a;
    s->v[s->n].end = e;
    s->n++;
}

void fw_scratch_free(fw_scratch *s) {
    fw_buf_free(&s->a);
    fw_buf_free(&s->b);
    llmd_free(s->spans.v);
    llmd_free(s->ptoks.v);
    llmd_free(s->slices.v);
    fw_buf_free(&s->ctx);
    memset(s, 0, sizeof *s);
}

void fw_tokens_reset(fw_tokens *t) {
    t->buf.len = 0;
    t->n = 0;
}

void fw_tokens_free(fw_tokens *t) {
    fw_buf_free(&t->buf);
    llmd_free(t->start);
    llmd_free(t->blen);
    llmd_free(t->clen);
    llmd_free(t->cls);
    memset(t, 0, sizeof *t);
}

/* Room for `more` tokens and `bytes` more bytes of tokens and separators. */
static bool tokens_reserve(fw_tokens *t, size_t more, size_t bytes) {
    if (t->oom) return false;
    if (t->n + more > t->cap) {
        size_t nc = t->cap ? t->cap : 256;
        while (nc < t->n + more) nc *= 2;
        size_t *st = llmd_realloc(t->start, t->cap * sizeof *st, nc * sizeof *st);
        if (st == NULL) { t->oom = true; return false; }
        t->start = st;
        uint32_t *bl = llmd_realloc(t->blen, t->cap * sizeof *bl, nc * sizeof *bl);
        if (bl == NULL) { t->oom = true; return false; }
        t->blen = bl;
        uint32_t *cl = llmd_realloc(t->clen, t->cap * sizeof *cl, nc * sizeof *cl);
        if (cl == NULL) { t->oom = true; return false; }
        t->clen = cl;
        uint8_t *cs = llmd_realloc(t->cls, t->cap, nc);
        if (cs == NULL) { t->oom = true; return false; }
        t->cls = cs;
        t->cap = nc;
    }
    fw_buf *b = &t->buf;
    if (b->oom) return false;
    if (b->len + bytes > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + bytes) nc *= 2;
        char *p = llmd_realloc(b->p, b->cap, nc);
        if (p == NULL) { b->oom = true; return false; }
        b->p = p;
        b->cap = nc;
    }
    return true;
}

/* tokens_push after tokens_reserve made room: no checks, short tokens copied byte by byte. */
static inline void tokens_push_reserved(fw_tokens *t, const unsigned char *w, size_t n, size_t chars, unsigned cls,
                                        const unsigned char *src_end) {
    char *dst = t->buf.p + t->buf.len;
    if (t->n > 0) *dst++ = ' ';
    size_t at = (size_t)(dst - t->buf.p);
    if (n <= 16 && w + 16 <= src_end) memcpy(dst, w, 16); /* past the token: room was reserved */
    else if (n <= 16) for (size_t k = 0; k < n; k++) dst[k] = (char)w[k];
    else memcpy(dst, w, n);
    t->buf.len = at + n;
    t->start[t->n] = at;
    t->blen[t->n] = (uint32_t)n;
    t->clen[t->n] = (uint32_t)chars;
    t->cls[t->n] = (uint8_t)cls;
    t->n++;
}

/* ---------------------------------------------------------------- character helpers */

static inline size_t cp_at(uc *s, size_t n, size_t i, uint32_t *cp) { return uni_decode(s + i, n - i, cp); }

static inline bool ws_at(uc *s, size_t n, size_t i, size_t *len) { return uni_isspace_at(s + i, n - i, len); }

static inline bool ascii_word(unsigned char c) {
    return ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

static inline bool word_at(uc *s, size_t n, size_t i) {
    if (s[i] < 0x80) return ascii_word(s[i]);
    uint32_t cp;
    cp_at(s, n, i, &cp);
    return uni_isword_cp(cp);
}

static inline bool word_before(uc *s, size_t i) {
    if (i == 0) return false;
    if (s[i - 1] < 0x80) return ascii_word(s[i - 1]);
    size_t j = uni_prev_start(s, i);
    uint32_t cp;
    uni_decode(s + j, i - j, &cp);
    return uni_isword_cp(cp);
}

/* ---------------------------------------------------------------- punkt (nltk/tokenize/punkt.py) */

/* PunktLanguageVars._re_non_word_chars: (?:[)\";}\]\*:@\'\({\[?!]) */
static inline bool pk_nonword(unsigned char c) {
    return c == ')' || c == '"' || c == ';' || c == '}' || c == ']' || c == '*' || c == ':' || c == '@' ||
           c == '\'' || c == '(' || c == '{' || c == '[' || c == '?' || c == '!';
}

/* _re_word_start excludes: ( " ` { [ : ; & # * @ ) } ] - , */
static inline bool pk_bad_start(unsigned char c) {
    return c == '(' || c == '"' || c == '`' || c == '{' || c == '[' || c == ':' || c == ';' || c == '&' ||
           c == '#' || c == '*' || c == '@' || c == ')' || c == '}' || c == ']' || c == '-' || c == ',';
}

/* Length of _re_multi_char_punct (?:\-{2,}|\.{2,}|(?:\.\s){2,}\.) matched at i, 0 if none. */
static size_t pk_multichar(uc *s, size_t n, size_t i) {
    if (i + 1 >= n) return 0;
    if (s[i] == '-' && s[i + 1] == '-') {
        size_t j = i;
        while (j < n && s[j] == '-') j++;
        return j - i;
    }
    if (s[i] != '.') return 0;
    if (s[i + 1] == '.') {
        size_t j = i;
        while (j < n && s[j] == '.') j++;
        return j - i;
    }
    /* (?:\.\s){2,}\. : greedy repetitions, backing off one if no '.' follows the last */
    size_t j = i, reps = 0, ends[3] = {0, 0, 0};
    for (;;) {
        size_t wl;
        if (j < n && s[j] == '.' && j + 1 < n && ws_at(s, n, j + 1, &wl)) {
            j += 1 + wl;
            reps++;
            ends[0] = ends[1];
            ends[1] = j;
        } else {
            break;
        }
    }
    if (reps >= 2 && j < n && s[j] == '.') return j + 1 - i;
    if (reps >= 3) return ends[0] + 1 - i; /* ends[0]: end of rep reps-1, where a '.' starts rep reps */
    return 0;
}

/* PunktLanguageVars.word_tokenize on one line: appends (start, end) token spans. */
static void pk_word_tokenize(uc *s, size_t n, size_t base, fw_spans *out) {
    size_t i = 0;
    while (i < n) {
        size_t wl;
        if (ws_at(s, n, i, &wl)) { i += wl; continue; }
        size_t m = pk_multichar(s, n, i);
        if (m) {
            spans_push(out, base + i, base + i + m);
            i += m;
            continue;
        }
        uint32_t cp;
        size_t cl = cp_at(s, n, i, &cp);
        if (!pk_bad_start(s[i])) {
            size_t j = i + cl;
            for (;;) {
                if (j >= n) break;
                if (ws_at(s, n, j, &wl)) break;
                if (pk_nonword(s[j]) || pk_multichar(s, n, j)) break;
                if (s[j] == ',') {
                    size_t k = j + 1;
                    if (k >= n || ws_at(s, n, k, &wl) || pk_nonword(s[k]) || pk_multichar(s, n, k)) break;
                }
                j += cp_at(s, n, j, &cp);
            }
            spans_push(out, base + i, base + j);
            i = j;
            continue;
        }
        spans_push(out, base + i, base + i + cl);
        i += cl;
    }
}

/* PunktToken properties used with empty parameters. */
typedef struct pk_tok {
    bool period_final, sentbreak, ellipsis, initial, number, punct, first_upper, first_lower;
} pk_tok;

/* PunktToken._RE_NUMERIC: ^-?[\.,]?\d[\d,\.-]*\.?$ on the lower-cased token */
static bool pk_is_number(uc *t, size_t n) {
    size_t i = 0;
    uint32_t cp;
    if (i < n && t[i] == '-') i++;
    if (i < n && (t[i] == '.' || t[i] == ',')) i++;
    if (i >= n) return false;
    size_t l = cp_at(t, n, i, &cp);
    if (!uni_isdigit_cp(cp)) return false;
    i += l;
    while (i < n) {
        l = cp_at(t, n, i, &cp);
        if (!(uni_isdigit_cp(cp) || cp == ',' || cp == '.' || cp == '-')) break;
        i += l;
    }
    /* [\d,\.-]* is greedy and also takes a final '.', so \.?$ leaves nothing to match */
    return i == n;
}

static void pk_make_tok(uc *t, size_t n, pk_tok *k) {
    memset(k, 0, sizeof *k);
    k->period_final = n > 0 && t[n - 1] == '.';
    bool all_dots = n >= 2;
    for (size_t i = 0; i < n && all_dots; i++) all_dots = t[i] == '.';
    k->ellipsis = all_dots;
    uint32_t cp = 0;
    size_t l = n ? cp_at(t, n, 0, &cp) : 0;
    /* _RE_INITIAL [^\W\d]\.$ */
    k->initial = n == l + 1 && t[l] == '.' && uni_isword_cp(cp) && !uni_isdigit_cp(cp);
    k->number = pk_is_number(t, n);
    k->punct = n == 1 && (t[0] == ';' || t[0] == ':' || t[0] == ',' || t[0] == '.' || t[0] == '!' || t[0] == '?');
    k->first_upper = n > 0 && uni_isupper_cp(cp);
    k->first_lower = n > 0 && uni_islower_cp(cp);
    /* _first_pass_annotation with no abbreviations */
    if (n == 1 && (t[0] == '.' || t[0] == '?' || t[0] == '!')) k->sentbreak = true;
    else if (k->ellipsis) {}
    else if (k->period_final && !(n >= 2 && t[n - 2] == '.')) k->sentbreak = true;
}

/* _second_pass_annotation with empty parameters: only the initial / number rules can act. */
static void pk_second_pass(pk_tok *a, const pk_tok *b) {
    if (!a->period_final) return;
    if (a->initial || a->number) {
        /* _ortho_heuristic with no orthographic context: punctuation or lower-case -> False */
        int ortho = (b->punct || b->first_lower) ? 0 : 2; /* 0 False, 2 "unknown" */
        if (ortho == 0) { a->sentbreak = false; return; }
        if (a->initial && b->first_upper) a->sentbreak = false;
    }
}

/* PunktSentenceTokenizer.text_contains_sentbreak(context): a sentence break before the last token. */
static bool pk_contains_sentbreak(fw_scratch *sc, uc *s, size_t n) {
    fw_spans *toks = &sc->ptoks;
    toks->n = 0;
    size_t p = 0;
    while (p <= n) {
        const uc *nl = memchr(s + p, '\n', n - p);
        size_t e = nl ? (size_t)(nl - s) : n;
        bool blank = true;
        for (size_t i = p; i < e && blank;) {
            size_t wl;
            if (ws_at(s, e, i, &wl)) i += wl;
            else blank = false;
        }
        if (!blank) pk_word_tokenize(s + p, e - p, p, toks);
        if (!nl) break;
        p = e + 1;
    }
    if (toks->n < 2) return false;
    pk_tok cur, next;
    pk_make_tok(s + toks->v[0].start, toks->v[0].end - toks->v[0].start, &cur);
    for (size_t i = 0; i + 1 < toks->n; i++) {
        pk_make_tok(s + toks->v[i + 1].start, toks->v[i + 1].end - toks->v[i + 1].start, &next);
        pk_second_pass(&cur, &next);
        if (cur.sentbreak) return true;
        cur = next;
    }
    return false;
}

static inline bool ascii_ws(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D); }

/* Realignment closers ["\')\]}] */
static inline bool pk_closer(unsigned char c) { return c == '"' || c == '\'' || c == ')' || c == ']' || c == '}'; }

bool fw_sentence_spans(fw_scratch *sc, const char *text, size_t n, fw_spans *out) {
    uc *s = (uc *)text;
    fw_spans *sl = &sc->slices;
    sl->n = 0;
    out->n = 0;
    /* _match_potential_end_contexts + _slices_from_text */
    size_t last_break = 0;
    size_t prev_start = 0, prev_stop = 0;        /* previous_slice */
    bool have_prev = false;
    size_t pm_pos = 0, pm_after_end = 0, pm_next = 0; /* previous match: position, after_tok end, next_tok start (0 = none) */
    bool pm_has_next = false;
    fw_buf *ctx = &sc->ctx;
    ctx->oom = false;
    bool ok = true;
    for (size_t i = 0; i <= n; i++) {
        while (i + 8 <= n) { /* eight bytes at a time: any '.', '?' or '!'? */
            uint64_t w;
            memcpy(&w, s + i, 8);
            uint64_t a = w ^ 0x2E2E2E2E2E2E2E2Eull, b = w ^ 0x3F3F3F3F3F3F3F3Full, c = w ^ 0x2121212121212121ull;
            uint64_t z = ((a - 0x0101010101010101ull) & ~a) | ((b - 0x0101010101010101ull) & ~b) |
                         ((c - 0x0101010101010101ull) & ~c);
            z &= 0x8080808080808080ull;
            if (z) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
                i += (size_t)__builtin_ctzll(z) >> 3; /* the lowest flagged byte is a true match */
#endif
                break;
            }
            i += 8;
        }
        while (i < n && s[i] != '.' && s[i] != '?' && s[i] != '!') i++;
        bool is_match = false;
        size_t after_end = 0, next_start = 0;
        bool has_next = false;
        if (i < n && (s[i] == '.' || s[i] == '?' || s[i] == '!') && i + 1 < n) {
            if (pk_nonword(s[i + 1])) {
                is_match = true;
                after_end = i + 2;
            } else {
                size_t j = i + 1, wl;
                while (j < n && ws_at(s, n, j, &wl)) j += wl;
                if (j > i + 1 && j < n) {
                    size_t k = j;
                    while (k < n && !ws_at(s, n, k, &wl)) k += wl;
                    is_match = true;
                    has_next = true;
                    next_start = j;
                    after_end = k;
                }
            }
        }
        if (!is_match && i < n) continue;
        size_t ws_start = 0, ws_stop = 0;
        if (is_match) {
            /* prev_word_slice: after the last ASCII whitespace of text[previous_slice.stop : match] */
            size_t idx = 0;
            for (size_t k = i; k > prev_stop; k--)
                if (ascii_ws(s[k - 1])) { idx = k - 1 - prev_stop; break; }
            size_t after_ws = idx ? idx + prev_stop + 1 : prev_start;
            ws_start = after_ws;
            ws_stop = i;
        }
        bool emit_prev = have_prev && (!is_match || prev_stop <= ws_start);
        if (emit_prev) {
            ctx->len = 0;
            fw_buf_put(ctx, s + prev_start, prev_stop - prev_start);
            fw_buf_put(ctx, s + pm_pos, pm_after_end - pm_pos);
            if (ctx->oom) { ok = false; break; }
            if (pk_contains_sentbreak(sc, (uc *)ctx->p, ctx->len)) {
                spans_push(sl, last_break, pm_pos + 1);
                last_break = pm_has_next ? pm_next : pm_pos + 1;
            }
            if (sc->ptoks.oom) { ok = false; break; }
        }
        if (!is_match) break;
        have_prev = true;
        pm_pos = i;
        pm_after_end = after_end;
        pm_next = next_start;
        pm_has_next = has_next;
        prev_start = ws_start;
        prev_stop = ws_stop;
    }
    if (!ok) return false;
    /* final slice: up to len(text.rstrip()) */
    size_t end = n;
    while (end > 0) {
        size_t j = uni_prev_start(s, end), wl;
        if (!ws_at(s, end, j, &wl)) break;
        end = j;
    }
    spans_push(sl, last_break, end);
    if (sl->oom) return false;
    /* _realign_boundaries */
    size_t realign = 0;
    for (size_t k = 0; k < sl->n; k++) {
        size_t a = sl->v[k].start + realign, e = sl->v[k].end;
        if (k + 1 == sl->n) {
            if (e > a) spans_push(out, a, e);
            break;
        }
        size_t b = sl->v[k + 1].start, be = sl->v[k + 1].end;
        /* ["\')\]}]+?(?:\s+|(?=--)|$) at text[b:be] (MULTILINE) */
        size_t mk = 0, mend = 0;
        for (size_t q = b; q < be && pk_closer(s[q]); q++) {
            size_t after = q + 1, wl;
            if (after < be && ws_at(s, be, after, &wl)) {
                size_t w = after;
                while (w < be && ws_at(s, be, w, &wl)) w += wl;
                mk = after - b;
                mend = w - b;
                break;
            }
            if ((after + 1 < be && s[after] == '-' && s[after + 1] == '-') || after == be) {
                mk = after - b;
                mend = mk;
                break;
            }
        }
        if (mk) {
            spans_push(out, a, b + mk);
            realign = mend;
        } else {
            realign = 0;
            if (e > a) spans_push(out, a, e);
        }
    }
    return !out->oom;
}

/* ---------------------------------------------------------------- NLTKWordTokenizer (nltk/tokenize/destructive.py) */

/* Each pass reads `in` and writes `out`; returns false when nothing changed (out untouched). */
typedef bool (*tb_pass)(uc *s, size_t n, fw_buf *out);

static void put(fw_buf *o, const void *p, size_t n) { fw_buf_put(o, p, n); }

/* Copies s[*done..upto) to out and starts the output lazily. */
static inline void flush(fw_buf *o, bool *started, uc *s, size_t *done, size_t upto) {
    if (!*started) { o->len = 0; *started = true; }
    put(o, s + *done, upto - *done);
    *done = upto;
}

/* ([«“‘„]|[`]+) -> " \1 " */
static bool tb_open_quotes(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i < n;) {
        if (s[i] == '`') {
            size_t j = i;
            while (j < n && s[j] == '`') j++;
            flush(o, &st, s, &done, i);
            put(o, " ", 1); put(o, s + i, j - i); put(o, " ", 1);
            done = i = j;
            continue;
        }
        if (s[i] == 0xC2 && i + 1 < n && s[i + 1] == 0xAB) { /* « */
            flush(o, &st, s, &done, i);
            put(o, " \xC2\xAB ", 4);
            done = i = i + 2;
            continue;
        }
        if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0x9C || s[i + 2] == 0x98 || s[i + 2] == 0x9E)) {
            flush(o, &st, s, &done, i); /* “ ‘ „ */
            put(o, " ", 1); put(o, s + i, 3); put(o, " ", 1);
            done = i = i + 3;
            continue;
        }
        i++;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* ^\" -> `` */
static bool tb_start_dquote(uc *s, size_t n, fw_buf *o) {
    if (n == 0 || s[0] != '"') return false;
    o->len = 0;
    put(o, "``", 2);
    put(o, s + 1, n - 1);
    return true;
}

/* Pads every non-overlapping occurrence of the literal `lit` with spaces: " lit ". */
static bool tb_pad_literal(uc *s, size_t n, fw_buf *o, const char *lit, size_t m, const char *rep, size_t rl) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + m <= n;) {
        if (s[i] == (uc)lit[0] && memcmp(s + i, lit, m) == 0) {
            flush(o, &st, s, &done, i);
            put(o, rep, rl);
            done = i = i + m;
        } else { /* next possible start */
            const uc *q = memchr(s + i + 1, (uc)lit[0], n - i - 1);
            i = q ? (size_t)(q - s) : n;
        }
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

static bool tb_pad_backticks(uc *s, size_t n, fw_buf *o) { return tb_pad_literal(s, n, o, "``", 2, " `` ", 4); }
static bool tb_double_dash(uc *s, size_t n, fw_buf *o) { return tb_pad_literal(s, n, o, "--", 2, " -- ", 4); }
static bool tb_two_squotes(uc *s, size_t n, fw_buf *o) { return tb_pad_literal(s, n, o, "''", 2, " '' ", 4); }
static bool tb_dquote_close(uc *s, size_t n, fw_buf *o) { return tb_pad_literal(s, n, o, "\"", 1, " '' ", 4); }

/* ([ \(\[{<])(\"|\'{2}) -> "\1 `` " */
/* Index of the next '"' or '\'' at or after i (n if none), eight bytes at a time. */
static size_t next_quote(uc *s, size_t n, size_t i) {
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t a = w ^ 0x2222222222222222ull, b = w ^ 0x2727272727272727ull;
        if ((((a - 0x0101010101010101ull) & ~a) | ((b - 0x0101010101010101ull) & ~b)) & 0x8080808080808080ull) break;
        i += 8;
    }
    while (i < n && s[i] != '"' && s[i] != '\'') i++;
    return i;
}

/* ([ \(\[{<])(\"|\'{2}) -> "\1 `` ": candidates found from their quote */
static bool tb_open_dquote(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + 1 < n;) {
        size_t j = next_quote(s, n, i + 1); /* the quote of a match starting at j - 1 >= i */
        if (j >= n) break;
        unsigned char c = s[j - 1];
        size_t q = 0;
        if (c == ' ' || c == '(' || c == '[' || c == '{' || c == '<') {
            if (s[j] == '"') q = 1;
            else if (j + 1 < n && s[j + 1] == '\'') q = 2;
        }
        if (q) {
            flush(o, &st, s, &done, j);
            put(o, " `` ", 4);
            done = i = j + q;
            continue;
        }
        i = j;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* (?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b -> "\1 \2" */
static bool tb_quote_letter(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] != '\'') {
            const uc *q = memchr(s + i, '\'', n - 1 - i);
            if (q == NULL) break;
            i = (size_t)(q - s);
        }
        uint32_t cp;
        size_t l = cp_at(s, n, i + 1, &cp);
        if (!uni_isword_cp(cp)) continue;
        uint32_t lc = cp < 0x80 ? (cp | 32) : cp;
        if (cp < 0x80 && (lc == 'm' || lc == 't' || lc == 's' || lc == 'd' || lc == 'n')) continue;
        if (i + 1 + l < n && word_at(s, n, i + 1 + l)) continue; /* \b */
        flush(o, &st, s, &done, i + 1);
        put(o, " ", 1);
        i += l;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* The final period: ([^\.])(\.)([CLOSERS]*)\s*$ -> "\1 \2 \3 " (with_space) or "\1 \2\3 ".
 * closers: ]) } > " ' (and » ” ’ and space for the first form). */
static size_t closer_len(uc *s, size_t n, size_t i, bool wide) {
    unsigned char c = s[i];
    if (c == ']' || c == ')' || c == '}' || c == '>' || c == '"' || c == '\'') return 1;
    if (!wide) return 0;
    if (c == ' ') return 1;
    if (c == 0xC2 && i + 1 < n && s[i + 1] == 0xBB) return 2;                                       /* » */
    if (c == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0x9D || s[i + 2] == 0x99)) return 3; /* ” ’ */
    return 0;
}

static bool tb_final_period(uc *s, size_t n, fw_buf *o, bool wide) {
    const uc *dot = NULL;
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '.') { dot = s + i - 1; break; }
    if (dot == NULL) return false;
    size_t p = (size_t)(dot - s);
    if (p == 0 || s[p - 1] == '.') return false;
    size_t j = p + 1, cl;
    while (j < n && (cl = closer_len(s, n, j, wide)) > 0) j += cl;
    size_t cend = j, wl;
    while (j < n && ws_at(s, n, j, &wl)) j += wl;
    if (j != n) return false;
    o->len = 0;
    put(o, s, p);
    put(o, wide ? " . " : " .", wide ? 3 : 2);
    put(o, s + p + 1, cend - p - 1);
    put(o, " ", 1);
    return true;
}
static bool tb_final_period1(uc *s, size_t n, fw_buf *o) { return tb_final_period(s, n, o, true); }
/* NLTK's second final-period rule, ([^\.])(\.)([\]\)}>"\']*)\s*$ -> "\1 \2\3 ", is not run: its
 * closers are a subset of the first rule's, so it can only match where the first matched (then it
 * changes white space only) -- the passes between add spaces around [:,;@#$%&] and "..", which
 * are neither closers nor white space, so they cannot make it match.  Tokens are the same. */

/* Index of the next ':' or ',' at or after i (n if none), eight bytes at a time. */
static size_t next_colon_comma(uc *s, size_t n, size_t i) {
    while (i + 8 <= n) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t a = w ^ 0x3A3A3A3A3A3A3A3Aull, b = w ^ 0x2C2C2C2C2C2C2C2Cull;
        if ((((a - 0x0101010101010101ull) & ~a) | ((b - 0x0101010101010101ull) & ~b)) & 0x8080808080808080ull) break;
        i += 8;
    }
    while (i < n && s[i] != ':' && s[i] != ',') i++;
    return i;
}

/* ([:,])([^\d]) -> " \1 \2" */
static bool tb_colon_comma(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = next_colon_comma(s, n, 0); i + 1 < n; i = next_colon_comma(s, n, i)) {
        if (s[i] == ':' || s[i] == ',') {
            uint32_t cp;
            size_t l = cp_at(s, n, i + 1, &cp);
            if (!uni_isdigit_cp(cp)) {
                flush(o, &st, s, &done, i);
                put(o, " ", 1); put(o, s + i, 1); put(o, " ", 1); put(o, s + i + 1, l);
                done = i = i + 1 + l;
                continue;
            }
        }
        i++;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* ([:,])$ -> " \1 " ($: end, or before a final newline) */
static bool tb_colon_comma_end(uc *s, size_t n, fw_buf *o) {
    size_t p;
    if (n >= 1 && (s[n - 1] == ':' || s[n - 1] == ',')) p = n - 1;
    else if (n >= 2 && s[n - 1] == '\n' && (s[n - 2] == ':' || s[n - 2] == ',')) p = n - 2;
    else return false;
    o->len = 0;
    put(o, s, p);
    put(o, " ", 1); put(o, s + p, 1); put(o, " ", 1);
    put(o, s + p + 1, n - p - 1);
    return true;
}

/* \.{2,} -> " \g<0> " */
static bool tb_dots(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + 1 < n;) {
        if (s[i] == '.' && s[i + 1] == '.') {
            size_t j = i;
            while (j < n && s[j] == '.') j++;
            flush(o, &st, s, &done, i);
            put(o, " ", 1); put(o, s + i, j - i); put(o, " ", 1);
            done = i = j;
            continue;
        }
        const uc *q = memchr(s + i + 1, '.', n - i - 1);
        i = q ? (size_t)(q - s) : n;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* The next i > cur with s[i + 1] == '\'' (n when none): where a pattern "x'" can start. */
static inline size_t next_before_quote(uc *s, size_t n, size_t cur) {
    if (cur + 2 >= n) return n;
    const uc *q = memchr(s + cur + 2, '\'', n - cur - 2);
    return q ? (size_t)(q - s) - 1 : n;
}

/* Padding sets as 256-entry tables, one bit per set (bytes >= 0x80 are in none). */
enum { PAD_SYMBOLS = 1, PAD_QMARK = 2, PAD_STAR = 4, PAD_BRACKETS = 8 };
static const unsigned char pad_tab[256] = {
    [';'] = PAD_SYMBOLS, ['@'] = PAD_SYMBOLS, ['#'] = PAD_SYMBOLS, ['$'] = PAD_SYMBOLS, ['%'] = PAD_SYMBOLS,
    ['&'] = PAD_SYMBOLS, ['?'] = PAD_QMARK, ['!'] = PAD_QMARK, ['*'] = PAD_STAR, [']'] = PAD_BRACKETS,
    ['['] = PAD_BRACKETS, ['('] = PAD_BRACKETS, [')'] = PAD_BRACKETS, ['{'] = PAD_BRACKETS, ['}'] = PAD_BRACKETS,
    ['<'] = PAD_BRACKETS, ['>'] = PAD_BRACKETS,
};

/* [set] -> " \g<0> " for the single ASCII characters of one padding set. */
static bool tb_pad_chars(uc *s, size_t n, fw_buf *o, unsigned set) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(pad_tab[s[i]] & set)) continue;
        flush(o, &st, s, &done, i);
        put(o, " ", 1); put(o, s + i, 1); put(o, " ", 1);
        done = i + 1;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}
/* Two adjacent padding passes of disjoint single-character sets give the same text as one pass
 * padding their union (a pass adds only spaces, which neither set holds): [;@#$%&] then [?!] are
 * one pass, [*] then the brackets another (the ' pass between them keeps them apart). */
static bool tb_symbols_qmark(uc *s, size_t n, fw_buf *o) { return tb_pad_chars(s, n, o, PAD_SYMBOLS | PAD_QMARK); }
static bool tb_star_brackets(uc *s, size_t n, fw_buf *o) { return tb_pad_chars(s, n, o, PAD_STAR | PAD_BRACKETS); }

/* ([^'])' -> "\1 ' " */
static bool tb_squote_space(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + 2 < n;) {
        if (s[i] != '\'' && s[i + 1] == '\'' && s[i + 2] == ' ') {
            flush(o, &st, s, &done, i + 1);
            put(o, " ' ", 3);
            done = i = i + 3;
            continue;
        }
        i = next_before_quote(s, n, i);
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* ([»”’]) -> " \1 " */
static bool tb_close_quotes(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + 1 < n;) {
        size_t l = 0;
        if (s[i] == 0xC2 && s[i + 1] == 0xBB) l = 2;
        else if (s[i] == 0xE2 && i + 2 < n && s[i + 1] == 0x80 && (s[i + 2] == 0x9D || s[i + 2] == 0x99)) l = 3;
        if (l) {
            flush(o, &st, s, &done, i);
            put(o, " ", 1); put(o, s + i, l); put(o, " ", 1);
            done = i = i + l;
            continue;
        }
        i++;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* ([^' ])('[sS]|'[mM]|'[dD]|') -> "\1 \2 " */
static bool tb_clitic1(uc *s, size_t n, fw_buf *o) {
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + 2 < n;) {
        if (s[i] != '\'' && s[i] != ' ' && s[i + 1] == '\'') {
            size_t ql = 0;
            unsigned char c = s[i + 2];
            if ((c == 's' || c == 'S' || c == 'm' || c == 'M' || c == 'd' || c == 'D') && i + 3 < n && s[i + 3] == ' ')
                ql = 2;
            else if (c == ' ')
                ql = 1;
            if (ql) {
                flush(o, &st, s, &done, i + 1);
                put(o, " ", 1); put(o, s + i + 1, ql); put(o, " ", 1);
                done = i = i + 1 + ql + 1;
                continue;
            }
        }
        i = next_before_quote(s, n, i);
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

/* ([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) -> "\1 \2 " */
static bool tb_clitic2(uc *s, size_t n, fw_buf *o) {
    static const char *const alts[] = {"'ll", "'LL", "'re", "'RE", "'ve", "'VE", "n't", "N'T"};
    bool st = false;
    size_t done = 0;
    for (size_t i = 0; i + 4 < n;) {
        if (s[i] != '\'' && s[i] != ' ' && s[i + 4] == ' ' && (s[i + 1] == '\'' || (s[i + 1] | 32) == 'n')) {
            bool hit = false;
            for (size_t a = 0; a < 8 && !hit; a++) hit = memcmp(s + i + 1, alts[a], 3) == 0;
            if (hit) {
                flush(o, &st, s, &done, i + 1);
                put(o, " ", 1); put(o, s + i + 1, 3); put(o, " ", 1);
                done = i = i + 5;
                continue;
            }
        }
        /* a start needs a quote at i + 1 ('ll ...) or i + 2 (n't) */
        const uc *q = i + 2 < n ? memchr(s + i + 2, '\'', n - i - 2) : NULL;
        size_t nx = q ? (size_t)(q - s) : n;
        i = nx >= i + 3 ? nx - 2 : i + 1;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

static inline bool ieq(uc *s, const char *w, size_t m) {
    for (size_t k = 0; k < m; k++) {
        unsigned char c = s[k], d = (unsigned char)w[k];
        if (c != d && !((d | 32) >= 'a' && (d | 32) <= 'z' && (c | 32) == (d | 32))) return false;
    }
    return true;
}

/* MacIntyreContractions: (?i)\b(A)(B)\b -> " \1 \2 "; lead_space: " (A)(B)\b" (CONTRACTIONS3);
 * ws_after: (?=\s) instead of the final \b. */
static bool tb_contraction(uc *s, size_t n, fw_buf *o, const char *a, const char *b, bool lead_space, bool ws_after) {
    size_t la = strlen(a), lb = strlen(b), m = la + lb + (lead_space ? 1 : 0);
    bool st = false;
    size_t done = 0;
    unsigned char first = (unsigned char)(lead_space ? ' ' : a[0] | 32);
    for (size_t i = 0; i + m <= n;) {
        if ((lead_space ? s[i] : (s[i] | 32)) != first) { i++; continue; }
        size_t w = i + (lead_space ? 1 : 0);
        bool ok = ieq(s + w, a, la) && ieq(s + w + la, b, lb);
        if (ok && !lead_space) ok = !word_before(s, i);
        if (ok) {
            size_t e = w + la + lb, wl;
            if (ws_after) ok = e < n && ws_at(s, n, e, &wl);
            else ok = e >= n || !word_at(s, n, e);
        }
        if (ok) {
            flush(o, &st, s, &done, i);
            put(o, " ", 1); put(o, s + w, la); put(o, " ", 1); put(o, s + w + la, lb); put(o, " ", 1);
            done = i = i + m;
            continue;
        }
        i++;
    }
    if (st) flush(o, &st, s, &done, n);
    return st;
}

static bool tb_c_cannot(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "can", "not", false, false); }
static bool tb_c_dye(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "d", "'ye", false, false); }
static bool tb_c_gimme(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "gim", "me", false, false); }
static bool tb_c_gonna(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "gon", "na", false, false); }
static bool tb_c_gotta(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "got", "ta", false, false); }
static bool tb_c_lemme(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "lem", "me", false, false); }
static bool tb_c_moren(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "more", "'n", false, false); }
static bool tb_c_wanna(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "wan", "na", false, true); }
static bool tb_c_tis(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "'t", "is", true, false); }
static bool tb_c_twas(uc *s, size_t n, fw_buf *o) { return tb_contraction(s, n, o, "'t", "was", true, false); }

/* " " + text + " " between the dashes and the ending quotes */
static bool tb_wrap(uc *s, size_t n, fw_buf *o) {
    o->len = 0;
    put(o, " ", 1);
    put(o, s, n);
    put(o, " ", 1);
    return true;
}

/* NLTKWordTokenizer.tokenize order: STARTING_QUOTES, PUNCTUATION, PARENS_BRACKETS, DOUBLE_DASHES,
 * padding, ENDING_QUOTES, CONTRACTIONS2, CONTRACTIONS3 (convert_parentheses off).  Each pass lists
 * the bytes without which it cannot match (skipped when the sentence has none of them; "" = always
 * run) and the bytes it may add besides spaces. */
typedef struct tb_step {
    tb_pass fn;
    const char *needs;
    const char *adds;
    unsigned word; /* contraction passes: bit of their word in contraction_words() (0 = none) */
} tb_step;

#define lit_ci(s, n, i, w) ((i) + sizeof(w) - 1 <= (n) && ieq((s) + (i), (w), sizeof(w) - 1))

static inline uint64_t has_zero_byte(uint64_t v) { return (v - 0x0101010101010101ull) & ~v & 0x8080808080808080ull; }

/* Which MacIntyre contraction words occur (case-insensitively) in s.  Each word holds an anchor at
 * a fixed offset: a doubled n, m or t at 2 (caNNot, goNNa, waNNa, giMMe, leMMe, goTTa) or an
 * apostrophe (d'ye at 1, more'n at 4, 'tis and 'twas at 0), so only anchors are looked at: doubled
 * letters eight bytes at a time, apostrophes with memchr (only when `quotes`: the text may have one). */
static unsigned contraction_words(uc *s, size_t n, bool quotes) {
    unsigned bits = 0;
    for (size_t i = 0; i + 1 < n;) {
        if (i + 9 <= n) {
            uint64_t x, y;
            memcpy(&x, s + i, 8);
            memcpy(&y, s + i + 1, 8);
            x |= 0x2020202020202020ull;
            y |= 0x2020202020202020ull;
            uint64_t d = x ^ y; /* zero where a byte equals its right neighbour (case folded) */
            if (!(has_zero_byte(d | (x ^ 0x6E6E6E6E6E6E6E6Eull)) | has_zero_byte(d | (x ^ 0x6D6D6D6D6D6D6D6Dull)) |
                  has_zero_byte(d | (x ^ 0x7474747474747474ull)))) {
                i += 8;
                continue;
            }
        }
        unsigned char a = (unsigned char)(s[i] | 32), b = (unsigned char)(s[i + 1] | 32);
        if (a == b && i >= 2) {
            size_t p = i - 2;
            if (a == 'n') {
                if (lit_ci(s, n, p, "cannot")) bits |= 1u << 0;
                if (lit_ci(s, n, p, "gonna")) bits |= 1u << 3;
                if (lit_ci(s, n, p, "wanna")) bits |= 1u << 7;
            } else if (a == 'm') {
                if (lit_ci(s, n, p, "gimme")) bits |= 1u << 2;
                if (lit_ci(s, n, p, "lemme")) bits |= 1u << 5;
            } else if (a == 't') {
                if (lit_ci(s, n, p, "gotta")) bits |= 1u << 4;
            }
        }
        i++;
    }
    if (!quotes) return bits; /* the text has no apostrophe: d'ye, more'n, 'tis, 'twas cannot occur */
    for (const uc *q = s; (q = memchr(q, '\'', n - (size_t)(q - s))) != NULL; q++) {
        size_t i = (size_t)(q - s);
        if (i >= 1 && lit_ci(s, n, i - 1, "d'ye")) bits |= 1u << 1;
        if (i >= 4 && lit_ci(s, n, i - 4, "more'n")) bits |= 1u << 6;
        if (lit_ci(s, n, i, "'tis")) bits |= 1u << 8;
        if (lit_ci(s, n, i, "'twas")) bits |= 1u << 9;
        if (i + 1 >= n) break;
    }
    return bits;
}

static const tb_step tb_steps[] = {
    {tb_open_quotes, "`\xC2\xE2", "", 0}, {tb_start_dquote, "\"", "`", 0}, {tb_pad_backticks, "`", "", 0},
    {tb_open_dquote, "\"'", "`", 0}, {tb_quote_letter, "'", "", 0},
    {tb_final_period1, ".", "", 0}, {tb_colon_comma, ":,", "", 0}, {tb_colon_comma_end, ":,", "", 0}, {tb_dots, ".", "", 0},
    {tb_symbols_qmark, ";@#$%&?!", "", 0}, {tb_squote_space, "'", "", 0},
    {tb_star_brackets, "*][(){}<>", "", 0}, {tb_double_dash, "-", "", 0}, {tb_wrap, "", "", 0},
    {tb_close_quotes, "\xC2\xE2", "", 0}, {tb_two_squotes, "'", "", 0}, {tb_dquote_close, "\"", "'", 0},
    {tb_clitic1, "'", "", 0}, {tb_clitic2, "'", "", 0},
    {tb_c_cannot, "", "", 1u << 0}, {tb_c_dye, "", "", 1u << 1}, {tb_c_gimme, "", "", 1u << 2},
    {tb_c_gonna, "", "", 1u << 3}, {tb_c_gotta, "", "", 1u << 4}, {tb_c_lemme, "", "", 1u << 5},
    {tb_c_moren, "", "", 1u << 6}, {tb_c_wanna, "", "", 1u << 7}, {tb_c_tis, "", "", 1u << 8},
    {tb_c_twas, "", "", 1u << 9},
};

/* FW_CLS_* of each ASCII byte.  datatrove's PUNCTUATION_SET holds, of ASCII, the controls except
 * \t and \n, DEL, and every printable non-alphanumeric character except the space. */
static unsigned char ascii_cls_tab[128];

static void ascii_cls_init(void) {
    for (unsigned b = 0; b < 128; b++) {
        bool letter = (b | 32) >= 'a' && (b | 32) <= 'z', digit = b >= '0' && b <= '9';
        bool punct = (b < 32 && b != 9 && b != 10) || b == 127 || (b > ' ' && b < 127 && !letter && !digit);
        ascii_cls_tab[b] = (unsigned char)((punct ? 0 : FW_CLS_NONSYMBOL) | (letter ? FW_CLS_ALPHA : 0));
    }
}

/* Trigger bytes get one bit each (at most 64 distinct); tb_need / tb_add per step. */
#define TB_NSTEPS (sizeof tb_steps / sizeof tb_steps[0])
static uint64_t tb_class[256], tb_need[TB_NSTEPS], tb_add[TB_NSTEPS];
static pthread_once_t tb_once = PTHREAD_ONCE_INIT;

static uint64_t tb_bit(unsigned char c) {
    static int next = 0;
    if (tb_class[c] == 0 && next < 64) tb_class[c] = 1ull << next++;
    return tb_class[c];
}

static void tb_init_classes(void) {
    ascii_cls_init();
    for (size_t k = 0; k < TB_NSTEPS; k++) {
        for (const char *p = tb_steps[k].needs; *p; p++) tb_need[k] |= tb_bit((unsigned char)*p);
        for (const char *p = tb_steps[k].adds; *p; p++) tb_add[k] |= tb_bit((unsigned char)*p);
    }
}

/* str.isspace() of ASCII bytes */
static const unsigned char ascii_space_tab[128] = {
    [0x09] = 1, [0x0A] = 1, [0x0B] = 1, [0x0C] = 1, [0x0D] = 1, [0x1C] = 1, [0x1D] = 1, [0x1E] = 1, [0x1F] = 1, [' '] = 1,
};

/* FW_CLS_* of the first k (1..8) bytes of w, all of them printable ASCII (0x21..0x7F): a letter
 * makes the token alphabetic and non-symbol, a digit non-symbol (per byte range tests: a byte plus
 * (0x80 - lo) has its top bit set iff it is >= lo; no carry leaves a byte below 0x80). */
#define SWAR_ONES 0x0101010101010101ull
#define SWAR_HIGH 0x8080808080808080ull
static inline uint64_t swar_in_range(uint64_t v, unsigned lo, unsigned hi) {
    return (v + (0x80 - lo) * SWAR_ONES) & ~(v + (0x7F - hi) * SWAR_ONES) & SWAR_HIGH;
}
static inline unsigned swar_cls(uint64_t w, size_t k) {
    if (k == 0) return 0;
    uint64_t keep = k >= 8 ? SWAR_HIGH : SWAR_HIGH & ((1ull << (8 * k)) - 1);
    uint64_t letter = swar_in_range(w | 0x2020202020202020ull, 'a', 'z') & keep;
    uint64_t digit = swar_in_range(w, '0', '9') & keep;
    return (letter ? FW_CLS_ALPHA | FW_CLS_NONSYMBOL : 0) | (digit ? FW_CLS_NONSYMBOL : 0);
}

bool fw_treebank_tokenize(fw_scratch *sc, const char *sent, size_t n, fw_tokens *out) {
    /* the first pass reads the sentence where it is; passes then alternate between sc->a and sc->b */
    uc *cur = (uc *)sent;
    size_t cur_len = n;
    sc->a.oom = sc->b.oom = false;
    /* trigger bytes present in the sentence: one OR per byte into a register */
    pthread_once(&tb_once, tb_init_classes);
    uint64_t has = 0;
    for (size_t b = 0; b < n; b++) has |= tb_class[(uc)sent[b]];
    unsigned words = 0;
    bool words_known = false;
    for (size_t k = 0; k < sizeof tb_steps / sizeof tb_steps[0]; k++) {
        const tb_step *stp = &tb_steps[k];
        if (stp->word) {
            /* found once, on the text entering the outer-space pass (tb_wrap) or CONTRACTIONS2:
             * the passes from there on only add spaces or turn '"' into " '' ", which cannot
             * create a contraction word's letters (a pass still checks its boundaries) */
            if (!words_known) { words = contraction_words(cur, cur_len, (has & tb_class['\'']) != 0); words_known = true; }
            if (!(words & stp->word)) continue;
        }
        if (stp->needs[0] && !(tb_need[k] & has)) continue;
        if (stp->fn == tb_wrap) {
            /* the spaces around the text only matter to passes after it: when none of them can
             * match, the rest is skipped (text.split() drops outer spaces) */
            if (!words_known) { words = contraction_words(cur, cur_len, (has & tb_class['\'']) != 0); words_known = true; }
            bool later = false;
            for (size_t q = k + 1; q < TB_NSTEPS && !later; q++)
                later = tb_steps[q].word ? (words & tb_steps[q].word) != 0 : (tb_need[q] & has) != 0;
            if (!later) break;
        }
        fw_buf *nxt = cur == (uc *)sc->a.p ? &sc->b : &sc->a;
        if (stp->fn(cur, cur_len, nxt)) {
            if (nxt->oom) return false;
            cur = (uc *)nxt->p;
            cur_len = nxt->len;
            has |= tb_add[k];
        }
    }
    /* text.split(): runs of Unicode whitespace separate tokens (at most (len + 1) / 2 of them,
     * their bytes and separators at most len + 1) */
    uc *s = cur;
    size_t len = cur_len;
    if (!tokens_reserve(out, len / 2 + 1, len + 1 + 16)) return false; /* + 16: tokens are copied 16 bytes at a time */
    for (size_t i = 0; i < len;) {
        size_t wl;
        if (s[i] < 0x80) {
            if (ascii_space_tab[s[i]]) { i++; continue; }
        } else if (ws_at(s, len, i, &wl)) {
            i += wl;
            continue;
        }
        size_t j = i, chars = 0;
        unsigned cls = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* ASCII letters, digits and punctuation eight at a time, up to the first byte that is a
         * control, a space or non-ASCII (the loop below decides what it is) */
        while (j + 8 <= len) {
            uint64_t w;
            memcpy(&w, s + j, 8);
            uint64_t stop = (((w - 0x2121212121212121ull) & ~w) | w) & 0x8080808080808080ull;
            size_t k = stop ? (size_t)__builtin_ctzll(stop) >> 3 : 8;
            cls |= swar_cls(w, k);
            j += k;
            chars += k;
            if (k < 8) break;
        }
#endif
        while (j < len) {
            unsigned char d = s[j];
            if (d < 0x80) {
                if (ascii_space_tab[d]) break;
                cls |= ascii_cls_tab[d];
                j++;
            } else {
                if (ws_at(s, len, j, &wl)) break;
                cls |= FW_CLS_NONASCII;
                j += wl;
            }
            chars++;
        }
        tokens_push_reserved(out, s + i, j - i, chars, cls, s + len);
        i = j;
    }
    return !out->oom && !out->buf.oom;
}

bool fw_word_tokenize(fw_scratch *sc, const char *text, size_t n, fw_tokens *out) {
    if (!fw_sentence_spans(sc, text, n, &sc->spans)) return false;
    for (size_t k = 0; k < sc->spans.n; k++) {
        fw_span sp = sc->spans.v[k];
        if (!fw_treebank_tokenize(sc, text + sp.start, sp.end - sp.start, out)) return false;
    }
    return true;
}
