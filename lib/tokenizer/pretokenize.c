/* Pattern matching and pre-tokenizers, following Hugging Face's NormalizedString::split and
 * Pattern::find_matches: matches and the gaps between them tile the text, the split behavior
 * decides what becomes a piece, and empty pieces are dropped. */
#include <string.h>

#include "tok_internal.h"

static llmd_status push_span(llmd_tok_span **spans, size_t *n, size_t *cap, size_t a, size_t b, bool m) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        llmd_tok_span *ns = llmd_realloc(*spans, *cap * sizeof *ns, nc * sizeof *ns);
        if (ns == NULL) return llmd_fail_nomem("pre-tokenizer spans");
        *spans = ns;
        *cap = nc;
    }
    (*spans)[(*n)++] = (llmd_tok_span){a, b, m};
    return LLMD_OK;
}

static bool pred_match(const llmd_tok_pattern *pat, uint32_t cp) {
    switch (pat->pred) {
    case LLMD_TOK_PRED_NUMERIC: return llmd_tok_is_numeric(cp);
    case LLMD_TOK_PRED_WHITESPACE: return llmd_tok_is_whitespace(cp);
    case LLMD_TOK_PRED_PUNCT: return llmd_tok_is_punct(cp);
    default: return cp == pat->pred_char;
    }
}

llmd_status llmd_tok_find_matches(const llmd_tok_pattern *pat, llmd_tok_regex_state *st, const uint8_t *text,
                                  size_t len, llmd_tok_span **spans, size_t *n, size_t *cap) {
    *n = 0;
    if (len == 0) return push_span(spans, n, cap, 0, 0, false);
    llmd_status s;
    size_t prev = 0;
    if (pat->kind == LLMD_TOK_PAT_REGEX) {
        size_t pos = 0, last_end = SIZE_MAX, ms, me;
        for (;;) {
            int r = llmd_tok_regex_next(pat->re, st, (const char *)text, len, &pos, &last_end, &ms, &me);
            if (r < 0) return (llmd_status)r;
            if (r == 0) break;
            if (prev != ms && (s = push_span(spans, n, cap, prev, ms, false)) != LLMD_OK) return s;
            if ((s = push_span(spans, n, cap, ms, me, true)) != LLMD_OK) return s;
            prev = me;
        }
    } else if (pat->kind == LLMD_TOK_PAT_STRING) {
        size_t pos = 0;
        while (pat->str_len > 0 && pos + pat->str_len <= len) {
            const uint8_t *f = memmem(text + pos, len - pos, pat->str, pat->str_len);
            if (f == NULL) break;
            size_t ms = (size_t)(f - text);
            if (prev != ms && (s = push_span(spans, n, cap, prev, ms, false)) != LLMD_OK) return s;
            if ((s = push_span(spans, n, cap, ms, ms + pat->str_len, true)) != LLMD_OK) return s;
            prev = pos = ms + pat->str_len;
        }
    } else {
        for (size_t i = 0; i < len;) {
            uint32_t cp;
            size_t l = llmd_tok_u8(text, len, i, &cp);
            if (pred_match(pat, cp)) {
                if (prev < i && (s = push_span(spans, n, cap, prev, i, false)) != LLMD_OK) return s;
                if ((s = push_span(spans, n, cap, i, i + l, true)) != LLMD_OK) return s;
                prev = i + l;
            }
            i += l;
        }
    }
    if (prev != len && (s = push_span(spans, n, cap, prev, len, false)) != LLMD_OK) return s;
    return LLMD_OK;
}

/* Turns the (offsets, is_match) list into kept pieces according to the behavior
 * (NormalizedString::split). Reuses spans[] in place: .match becomes "remove". */
static size_t apply_behavior(llmd_tok_span *sp, size_t n, int behavior, bool invert) {
    if (invert)
        for (size_t i = 0; i < n; i++) sp[i].match = !sp[i].match;
    size_t k = 0;
    bool prev_match = false;
    switch (behavior) {
    case LLMD_TOK_BEH_ISOLATED:
        for (size_t i = 0; i < n; i++) sp[i].match = false;
        return n;
    case LLMD_TOK_BEH_REMOVED:
        return n;
    case LLMD_TOK_BEH_CONTIGUOUS:
        for (size_t i = 0; i < n; i++) {
            bool m = sp[i].match;
            if (m == prev_match && k > 0) sp[k - 1].end = sp[i].end;
            else sp[k++] = (llmd_tok_span){sp[i].start, sp[i].end, false};
            prev_match = m;
        }
        return k;
    case LLMD_TOK_BEH_MERGED_PREV:
        for (size_t i = 0; i < n; i++) {
            bool m = sp[i].match;
            if (m && !prev_match && k > 0) sp[k - 1].end = sp[i].end;
            else sp[k++] = (llmd_tok_span){sp[i].start, sp[i].end, false};
            prev_match = m;
        }
        return k;
    case LLMD_TOK_BEH_MERGED_NEXT: {
        /* walk backwards, then reverse */
        size_t w = n;
        for (size_t ii = n; ii-- > 0;) {
            llmd_tok_span cur = sp[ii];
            bool m = cur.match;
            if (m && !prev_match && w < n) sp[w].start = cur.start;
            else sp[--w] = (llmd_tok_span){cur.start, cur.end, false};
            prev_match = m;
        }
        memmove(sp, sp + w, (n - w) * sizeof *sp);
        return n - w;
    }
    default:
        return 0;
    }
}

static llmd_status emit_pieces(llmd_tok_ctx *c, const llmd_tok_piece *p, const llmd_tok_span *sp, size_t n) {
    llmd_status st;
    for (size_t i = 0; i < n; i++) {
        if (sp[i].match || sp[i].end == sp[i].start) continue;
        llmd_tok_piece q = {p->off + sp[i].start, sp[i].end - sp[i].start, p->orig + sp[i].start};
        if ((st = llmd_tok_push_piece(c, &c->pieces2, &c->n_pieces2, &c->cap_pieces2, q)) != LLMD_OK) return st;
    }
    return LLMD_OK;
}

typedef struct span_buf { llmd_tok_span *v; size_t n, cap; } span_buf;

/* Isolated split by a regex (the common case: GPT-2, Llama-3, tiktoken): every match and every gap
 * is a piece, so the pieces are emitted while matching. */
static llmd_status split_isolated_regex(llmd_tok_ctx *c, const llmd_tok_piece *p, const llmd_tok_regex *re) {
    size_t pos = 0, last_end = SIZE_MAX, ms, me, prev = 0;
    llmd_status st;
    for (;;) {
        int r = llmd_tok_regex_next(re, &c->re_state, (const char *)c->bytes + p->off, p->len, &pos, &last_end, &ms, &me);
        if (r < 0) return (llmd_status)r;
        if (r == 0) break;
        if (ms > prev) {
            llmd_tok_piece q = {p->off + prev, ms - prev, p->orig + prev};
            if ((st = llmd_tok_push_piece(c, &c->pieces2, &c->n_pieces2, &c->cap_pieces2, q)) != LLMD_OK) return st;
        }
        if (me > ms) {
            llmd_tok_piece q = {p->off + ms, me - ms, p->orig + ms};
            if ((st = llmd_tok_push_piece(c, &c->pieces2, &c->n_pieces2, &c->cap_pieces2, q)) != LLMD_OK) return st;
        }
        prev = me;
    }
    if (p->len > prev) {
        llmd_tok_piece q = {p->off + prev, p->len - prev, p->orig + prev};
        return llmd_tok_push_piece(c, &c->pieces2, &c->n_pieces2, &c->cap_pieces2, q);
    }
    return LLMD_OK;
}

static llmd_status split_piece(llmd_tok_ctx *c, const llmd_tok_piece *p, const llmd_tok_pattern *pat, int behavior,
                               bool invert, span_buf *sb) {
    if (behavior == LLMD_TOK_BEH_ISOLATED && pat->kind == LLMD_TOK_PAT_REGEX && p->len > 0)
        return split_isolated_regex(c, p, pat->re);
    llmd_status st = llmd_tok_find_matches(pat, &c->re_state, c->bytes + p->off, p->len, &sb->v, &sb->n, &sb->cap);
    if (st != LLMD_OK) return st;
    size_t k = apply_behavior(sb->v, sb->n, behavior, invert);
    return emit_pieces(c, p, sb->v, k);
}

/* Whitespace: pieces are the matches of \w+|[^\w\s]+ (gaps removed). */
static llmd_status whitespace_piece(llmd_tok_ctx *c, const llmd_tok_piece *p) {
    const uint8_t *s = c->bytes + p->off;
    size_t i = 0;
    llmd_status st;
    while (i < p->len) {
        uint32_t cp;
        size_t l = llmd_tok_u8(s, p->len, i, &cp);
        int cls = llmd_tok_is_whitespace(cp) ? 0 : llmd_tok_is_word(cp) ? 1 : 2;
        size_t j = i + l;
        if (cls != 0) {
            while (j < p->len) {
                size_t l2 = llmd_tok_u8(s, p->len, j, &cp);
                int c2 = llmd_tok_is_whitespace(cp) ? 0 : llmd_tok_is_word(cp) ? 1 : 2;
                if (c2 != cls) break;
                j += l2;
            }
            llmd_tok_piece q = {p->off + i, j - i, p->orig + i};
            if ((st = llmd_tok_push_piece(c, &c->pieces2, &c->n_pieces2, &c->cap_pieces2, q)) != LLMD_OK) return st;
        }
        i = j;
    }
    return LLMD_OK;
}

static void swap_lists(llmd_tok_ctx *c) {
    llmd_tok_piece *t = c->pieces;
    c->pieces = c->pieces2;
    c->pieces2 = t;
    size_t tc = c->cap_pieces;
    c->cap_pieces = c->cap_pieces2;
    c->cap_pieces2 = tc;
    c->n_pieces = c->n_pieces2;
    c->n_pieces2 = 0;
}

static llmd_status step(const llmd_tokenizer *tok, const llmd_tok_pretok *pt, llmd_tok_ctx *c, span_buf *sb) {
    llmd_status st = LLMD_OK;
    if (pt->kind == LLMD_TOK_P_SEQ) {
        for (size_t i = 0; i < pt->n_items && st == LLMD_OK; i++) st = step(tok, &pt->items[i], c, sb);
        return st;
    }
    c->n_pieces2 = 0;
    for (size_t i = 0; i < c->n_pieces && st == LLMD_OK; i++) {
        llmd_tok_piece p = c->pieces[i];
        switch (pt->kind) {
        case LLMD_TOK_P_SPLIT:
            st = split_piece(c, &p, &pt->pat, pt->behavior, pt->invert, sb);
            break;
        case LLMD_TOK_P_BYTELEVEL: {
            if (pt->add_prefix_space && p.len > 0 && c->bytes[p.off] != ' ') {
                if ((st = llmd_tok_arena_reserve(c, p.len + 1)) != LLMD_OK) break;
                size_t off = c->n_bytes;
                c->bytes[c->n_bytes++] = ' ';
                if (c->want_align) {
                    c->align[2 * off] = c->align[2 * p.off];
                    c->align[2 * off + 1] = c->align[2 * (p.off + llmd_tok_u8len(c->bytes[p.off]) - 1) + 1];
                }
                memcpy(c->bytes + c->n_bytes, c->bytes + p.off, p.len);
                if (c->want_align) memcpy(c->align + 2 * c->n_bytes, c->align + 2 * p.off, 2 * p.len * sizeof *c->align);
                c->n_bytes += p.len;
                p.off = off;
                p.len++;
            }
            size_t first = c->n_pieces2;
            if (pt->use_regex) st = split_piece(c, &p, &pt->pat, LLMD_TOK_BEH_ISOLATED, false, sb);
            else if (p.len) st = llmd_tok_push_piece(c, &c->pieces2, &c->n_pieces2, &c->cap_pieces2, p);
            if (!pt->virtual_bytelevel)
                for (size_t k = first; k < c->n_pieces2 && st == LLMD_OK; k++) st = llmd_tok_bytelevel_map(c, &c->pieces2[k]);
            break;
        }
        case LLMD_TOK_P_METASPACE:
            if ((st = llmd_tok_metaspace_map(c, &p, pt)) != LLMD_OK) break;
            if (pt->split) {
                llmd_tok_pattern ch = {0};
                ch.kind = LLMD_TOK_PAT_PRED;
                ch.pred = LLMD_TOK_PRED_CHAR;
                ch.pred_char = pt->replacement;
                st = split_piece(c, &p, &ch, LLMD_TOK_BEH_MERGED_NEXT, false, sb);
            } else if (p.len) {
                st = llmd_tok_push_piece(c, &c->pieces2, &c->n_pieces2, &c->cap_pieces2, p);
            }
            break;
        case LLMD_TOK_P_DIGITS: case LLMD_TOK_P_WSSPLIT: case LLMD_TOK_P_PUNCT:
            st = split_piece(c, &p, &pt->pat, pt->behavior, false, sb);
            break;
        case LLMD_TOK_P_WHITESPACE:
            st = whitespace_piece(c, &p);
            break;
        default:
            st = llmd_fail(LLMD_ERR_INTERNAL, "unknown pre-tokenizer %d", pt->kind);
        }
    }
    if (st == LLMD_OK) swap_lists(c);
    return st;
}

llmd_status llmd_tok_pretokenize(const llmd_tokenizer *tok, const llmd_tok_pretok *pt, llmd_tok_ctx *c) {
    span_buf sb = {0};
    llmd_status st = step(tok, pt, c, &sb);
    llmd_free(sb.v);
    return st;
}
