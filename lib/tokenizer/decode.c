/* Decoding: ids -> token strings -> the decoder chain (Hugging Face Decoder::decode_chain) ->
 * text.  Byte sequences that are not UTF-8 become U+FFFD per maximal invalid subpart, as Rust's
 * String::from_utf8_lossy (and TextDecoder for tiktoken) do. */
#include <string.h>

#include "tok_internal.h"

typedef struct toklist {
    llmd_buf buf;
    size_t *off, *len;
    size_t n, cap;
} toklist;

static llmd_status tl_push(toklist *t, const void *s, size_t n) {
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 64;
        size_t *no = llmd_realloc(t->off, t->cap * sizeof *no, nc * sizeof *no);
        if (no == NULL) return llmd_fail_nomem("decode");
        t->off = no;
        size_t *nl = llmd_realloc(t->len, t->cap * sizeof *nl, nc * sizeof *nl);
        if (nl == NULL) return llmd_fail_nomem("decode");
        t->len = nl;
        t->cap = nc;
    }
    t->off[t->n] = t->buf.len;
    t->len[t->n] = n;
    t->n++;
    return n ? llmd_buf_append(&t->buf, s, n) : LLMD_OK;
}

/* Appends to the last token (creating it when the list is empty). */
static llmd_status tl_extend(toklist *t, const void *s, size_t n) {
    if (t->n == 0) return tl_push(t, s, n);
    t->len[t->n - 1] += n;
    return n ? llmd_buf_append(&t->buf, s, n) : LLMD_OK;
}

static void tl_free(toklist *t) {
    llmd_buf_free(&t->buf);
    llmd_free(t->off);
    llmd_free(t->len);
    memset(t, 0, sizeof *t);
}

/* A list whose tokens are all empty has no buffer yet: its strings are "" (no pointer arithmetic on NULL). */
static const uint8_t *tl_str(const toklist *t, size_t i) {
    return t->buf.data ? (const uint8_t *)t->buf.data + t->off[i] : (const uint8_t *)"";
}

static llmd_status lossy_append(llmd_buf *out, const uint8_t *s, size_t n) {
    return llmd_utf8_append_lossy(out, s, n);
}

/* ---- decoders ------------------------------------------------------------------------------------ */
static llmd_status d_bytelevel(const toklist *in, toklist *out) {
    llmd_buf raw = {0};
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < in->n && st == LLMD_OK; i++) {
        const uint8_t *s = tl_str(in, i);
        size_t n = in->len[i], mark = raw.len;
        bool ok = true;
        for (size_t k = 0; k < n && ok && st == LLMD_OK;) {
            uint32_t cp;
            size_t l = llmd_tok_u8(s, n, k, &cp);
            int b = llmd_tok_char_byte(cp);
            if (b < 0) ok = false;
            else st = llmd_buf_putc(&raw, (char)b);
            k += l;
        }
        if (st == LLMD_OK && !ok) {
            raw.len = mark; /* a token with other characters stands for its own UTF-8 bytes */
            st = llmd_buf_append(&raw, s, n);
        }
    }
    llmd_buf text = {0};
    if (st == LLMD_OK) st = lossy_append(&text, (const uint8_t *)raw.data, raw.len);
    if (st == LLMD_OK) st = tl_push(out, text.data, text.len);
    llmd_buf_free(&raw);
    llmd_buf_free(&text);
    return st;
}

static int hexv(uint8_t c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static llmd_status flush_bytes(toklist *out, llmd_buf *pending) {
    if (pending->len == 0) return LLMD_OK;
    llmd_status st;
    if (llmd_utf8_validate((const uint8_t *)pending->data, pending->len) == pending->len) {
        st = tl_push(out, pending->data, pending->len);
    } else {
        st = LLMD_OK;
        for (size_t k = 0; k < pending->len && st == LLMD_OK; k++) st = tl_push(out, "\xEF\xBF\xBD", 3);
    }
    llmd_buf_reset(pending);
    return st;
}

static llmd_status d_bytefallback(const toklist *in, toklist *out) {
    llmd_buf pending = {0};
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < in->n && st == LLMD_OK; i++) {
        const uint8_t *s = tl_str(in, i);
        size_t n = in->len[i];
        int hv, lv;
        if (n == 6 && memcmp(s, "<0x", 3) == 0 && s[5] == '>' && (hv = hexv(s[3])) >= 0 && (lv = hexv(s[4])) >= 0) {
            st = llmd_buf_putc(&pending, (char)(hv * 16 + lv));
        } else {
            if ((st = flush_bytes(out, &pending)) == LLMD_OK) st = tl_push(out, s, n);
        }
    }
    if (st == LLMD_OK) st = flush_bytes(out, &pending);
    llmd_buf_free(&pending);
    return st;
}

static llmd_status d_metaspace(const llmd_tok_decoder *d, const toklist *in, toklist *out) {
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < in->n && st == LLMD_OK; i++) {
        const uint8_t *s = tl_str(in, i);
        size_t n = in->len[i];
        st = tl_push(out, NULL, 0);
        for (size_t k = 0; k < n && st == LLMD_OK;) {
            uint32_t cp;
            size_t l = llmd_tok_u8(s, n, k, &cp);
            if (cp == d->ch) {
                if (!(i == 0 && d->prepend_scheme != LLMD_TOK_PREPEND_NEVER)) st = tl_extend(out, " ", 1);
            } else {
                st = tl_extend(out, s + k, l);
            }
            k += l;
        }
    }
    return st;
}

static llmd_status d_fuse(const toklist *in, toklist *out) {
    llmd_status st = tl_push(out, NULL, 0);
    for (size_t i = 0; i < in->n && st == LLMD_OK; i++) st = tl_extend(out, tl_str(in, i), in->len[i]);
    return st;
}

static llmd_status d_strip(const llmd_tok_decoder *d, const toklist *in, toklist *out) {
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < in->n && st == LLMD_OK; i++) {
        const uint8_t *s = tl_str(in, i);
        size_t n = in->len[i], a = 0, b = n;
        for (size_t k = 0; k < d->start && a < n; k++) {
            uint32_t cp;
            size_t l = llmd_tok_u8(s, n, a, &cp);
            if (cp != d->ch) break;
            a += l;
        }
        for (size_t k = 0; k < d->stop && b > a; k++) {
            size_t j = b - 1;
            while (j > a && (s[j] & 0xC0) == 0x80) j--;
            uint32_t cp;
            llmd_tok_u8(s, b, j, &cp);
            if (cp != d->ch) break;
            b = j;
        }
        st = tl_push(out, s + a, b - a);
    }
    return st;
}

/* Replace is the one decoder that can grow text; its output is bounded like the normalizers'
 * (LLMD_TOK_NORM_GROWTH times the decoded tokens' bytes + LLMD_TOK_NORM_SLACK). */
static llmd_status d_replace(const llmd_tok_decoder *d, llmd_tok_regex_state *rs, const toklist *in, toklist *out,
                             size_t limit) {
    llmd_tok_span *sp = NULL;
    size_t ns = 0, cap = 0;
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < in->n && st == LLMD_OK; i++) {
        const uint8_t *s = tl_str(in, i);
        if ((st = llmd_tok_find_matches(&d->pat, rs, s, in->len[i], &sp, &ns, &cap)) != LLMD_OK) break;
        st = tl_push(out, NULL, 0);
        for (size_t k = 0; k < ns && st == LLMD_OK; k++) {
            s = tl_str(in, i);
            if (sp[k].match) st = tl_extend(out, d->content, d->content_len);
            else st = tl_extend(out, s + sp[k].start, sp[k].end - sp[k].start);
            if (st == LLMD_OK && out->buf.len > limit)
                st = llmd_fail(LLMD_ERR_RANGE, "decode: the Replace decoder would make the text longer than %zu bytes "
                               "(%ux the tokens' bytes + %u)", limit, LLMD_TOK_NORM_GROWTH, LLMD_TOK_NORM_SLACK);
        }
    }
    llmd_free(sp);
    return st;
}

/* BPEDecoder: the end-of-word suffix becomes a space, except in the last token where it goes. */
static llmd_status d_bpe(const llmd_tok_decoder *d, const toklist *in, toklist *out) {
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < in->n && st == LLMD_OK; i++) {
        const uint8_t *s = tl_str(in, i);
        size_t n = in->len[i], k = 0;
        bool last = i + 1 == in->n;
        st = tl_push(out, NULL, 0);
        while (k < n && st == LLMD_OK) {
            if (d->content_len && k + d->content_len <= n && memcmp(s + k, d->content, d->content_len) == 0) {
                if (!last) st = tl_extend(out, " ", 1);
                k += d->content_len;
            } else {
                st = tl_extend(out, s + k, 1);
                k++;
            }
            s = tl_str(in, i);
        }
    }
    return st;
}

static llmd_status run_decoder(const llmd_tok_decoder *d, llmd_tok_regex_state *rs, toklist *list, size_t limit) {
    if (d->kind == LLMD_TOK_D_SEQ) {
        llmd_status st = LLMD_OK;
        for (size_t i = 0; i < d->n_items && st == LLMD_OK; i++) st = run_decoder(&d->items[i], rs, list, limit);
        return st;
    }
    toklist out = {0};
    llmd_status st;
    switch (d->kind) {
    case LLMD_TOK_D_BYTELEVEL: st = d_bytelevel(list, &out); break;
    case LLMD_TOK_D_BYTEFALLBACK: st = d_bytefallback(list, &out); break;
    case LLMD_TOK_D_METASPACE: st = d_metaspace(d, list, &out); break;
    case LLMD_TOK_D_FUSE: st = d_fuse(list, &out); break;
    case LLMD_TOK_D_STRIP: st = d_strip(d, list, &out); break;
    case LLMD_TOK_D_REPLACE: st = d_replace(d, rs, list, &out, limit); break;
    case LLMD_TOK_D_BPE: st = d_bpe(d, list, &out); break;
    default: st = llmd_fail(LLMD_ERR_INTERNAL, "unknown decoder %d", d->kind);
    }
    if (st == LLMD_OK) {
        tl_free(list);
        *list = out;
    } else {
        tl_free(&out);
    }
    return st;
}

llmd_status llmd_tokenizer_decode(const llmd_tokenizer *tok, const uint32_t *ids, size_t n, unsigned flags, char **text,
                                  size_t *len) {
    if (text) *text = NULL;
    if (tok == NULL || (ids == NULL && n > 0) || text == NULL || len == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_tokenizer_decode: NULL argument");
    bool skip = (flags & LLMD_TOK_SKIP_SPECIAL) != 0;
    /* ids -> table slots (the ids themselves unless the id space is sparse) */
    uint32_t *slots = NULL;
    if (tok->sparse.keys != NULL && n > 0 && (slots = llmd_malloc(n * sizeof *slots)) == NULL)
        return llmd_fail_nomem("decode");
    for (size_t i = 0; i < n; i++) {
        uint32_t slot = llmd_tok_slot(tok, ids[i]);
        if (slot == UINT32_MAX) {
            llmd_free(slots);
            return llmd_fail(LLMD_ERR_RANGE, "decode: id %u at index %zu is not in the vocabulary (size %zu)", ids[i], i,
                             tok->n_ids);
        }
        if (slots) slots[i] = slot;
    }
    if (slots) ids = slots;
    llmd_status st = LLMD_OK;
    llmd_buf out = {0};
    if (tok->tiktoken) {
        llmd_buf raw = {0};
        for (size_t i = 0; i < n && st == LLMD_OK; i++) {
            if (skip && tok->is_special[ids[i]]) continue;
            st = llmd_buf_append(&raw, tok->id_str[ids[i]], tok->id_len[ids[i]]);
        }
        if (st == LLMD_OK) st = lossy_append(&out, (const uint8_t *)raw.data, raw.len);
        llmd_buf_free(&raw);
    } else {
        toklist list = {0};
        for (size_t i = 0; i < n && st == LLMD_OK; i++) {
            if (skip && tok->is_special[ids[i]]) continue;
            st = tl_push(&list, tok->id_str[ids[i]], tok->id_len[ids[i]]);
        }
        llmd_tok_regex_state rs = {0};
        size_t in_bytes = list.buf.len;
        size_t limit = in_bytes > (SIZE_MAX - LLMD_TOK_NORM_SLACK) / LLMD_TOK_NORM_GROWTH
                           ? SIZE_MAX
                           : in_bytes * LLMD_TOK_NORM_GROWTH + LLMD_TOK_NORM_SLACK;
        if (st == LLMD_OK && tok->decoder) st = run_decoder(tok->decoder, &rs, &list, limit);
        llmd_tok_regex_state_free(&rs);
        for (size_t i = 0; i < list.n && st == LLMD_OK; i++) {
            if (i > 0 && tok->decoder == NULL) st = llmd_buf_putc(&out, ' ');
            if (st == LLMD_OK) st = llmd_buf_append(&out, tl_str(&list, i), list.len[i]);
        }
        tl_free(&list);
    }
    llmd_free(slots);
    if (st == LLMD_OK && (st = llmd_buf_putc(&out, 0)) == LLMD_OK) {
        out.len--; /* keep the terminating NUL outside the length */
        *text = llmd_buf_detach(&out, len);
        return st;
    }
    llmd_buf_free(&out);
    return st;
}
