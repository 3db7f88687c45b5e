/* Normalizers and the other text transforms of the tokenizer.  Each transform reads a piece from
 * the call's arena and writes its result as a new piece at the arena's end; with alignment on,
 * every output byte records the original byte range of the input character it came from. */
#include <string.h>
#include <utf8proc.h>

#include "tok_internal.h"

/* GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes map
 * to U+0100.. in byte order. */
static bool byte_is_printable(int b) { return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174; }

static uint16_t byte_char_table[256];
static int16_t char_byte_table[324];
static pthread_once_t byte_tables_once = PTHREAD_ONCE_INIT;

static void byte_tables_init(void) {
    int next = 256;
    for (int i = 0; i < 324; i++) char_byte_table[i] = -1;
    for (int b = 0; b < 256; b++) {
        uint16_t c = byte_is_printable(b) ? (uint16_t)b : (uint16_t)next++;
        byte_char_table[b] = c;
        char_byte_table[c] = (int16_t)b;
    }
}

const uint16_t *llmd_tok_byte_chars(void) {
    pthread_once(&byte_tables_once, byte_tables_init);
    return byte_char_table;
}

int llmd_tok_char_byte(uint32_t cp) {
    pthread_once(&byte_tables_once, byte_tables_init);
    return cp < 324 ? char_byte_table[cp] : -1;
}

/* ---- arena ------------------------------------------------------------------------------------ */
llmd_status llmd_tok_arena_reserve(llmd_tok_ctx *c, size_t extra) {
    size_t need = c->n_bytes + extra + 8;
    if (need > c->cap_bytes) {
        size_t nc = c->cap_bytes ? c->cap_bytes : 4096;
        while (nc < need) nc *= 2;
        uint8_t *nb = llmd_realloc(c->bytes, c->cap_bytes, nc);
        if (nb == NULL) return llmd_fail_nomem("tokenizer scratch");
        c->bytes = nb;
        c->cap_bytes = nc;
    }
    if (c->want_align && need * 2 > c->cap_align) {
        size_t nc = c->cap_align ? c->cap_align : 8192;
        while (nc < need * 2) nc *= 2;
        uint32_t *na = llmd_realloc(c->align, c->cap_align * sizeof *na, nc * sizeof *na);
        if (na == NULL) return llmd_fail_nomem("tokenizer scratch");
        c->align = na;
        c->cap_align = nc;
    }
    return LLMD_OK;
}

/* Appends n bytes (room reserved) that all stand for original bytes [a0, a1). */
static inline void emit(llmd_tok_ctx *c, const void *src, size_t n, uint32_t a0, uint32_t a1) {
    memcpy(c->bytes + c->n_bytes, src, n);
    if (c->want_align)
        for (size_t i = 0; i < n; i++) {
            c->align[2 * (c->n_bytes + i)] = a0;
            c->align[2 * (c->n_bytes + i) + 1] = a1;
        }
    c->n_bytes += n;
}

/* Appends bytes [from, from+n) of the arena with their own alignment. */
static inline void emit_copy(llmd_tok_ctx *c, size_t from, size_t n) {
    memmove(c->bytes + c->n_bytes, c->bytes + from, n);
    if (c->want_align) memmove(c->align + 2 * c->n_bytes, c->align + 2 * from, 2 * n * sizeof *c->align);
    c->n_bytes += n;
}

static inline void range_of(const llmd_tok_ctx *c, size_t from, size_t n, uint32_t *a0, uint32_t *a1) {
    if (!c->want_align) {
        *a0 = *a1 = 0;
        return;
    }
    if (n == 0) {
        *a0 = *a1 = from > 0 ? c->align[2 * (from - 1) + 1] : 0;
        return;
    }
    *a0 = c->align[2 * from];
    *a1 = c->align[2 * (from + n - 1) + 1];
}

static void begin(llmd_tok_ctx *c, const llmd_tok_piece *p, llmd_tok_piece *out) {
    out->off = c->n_bytes;
    out->orig = p->orig;
}

/* ---- transforms -------------------------------------------------------------------------------- */
static llmd_status lowercase(llmd_tok_ctx *c, llmd_tok_piece *p) {
    llmd_status st = llmd_tok_arena_reserve(c, p->len * 3 / 2 + 8);
    if (st != LLMD_OK) return st;
    llmd_tok_piece out;
    begin(c, p, &out);
    for (size_t i = 0; i < p->len;) {
        uint32_t cp, lc[3];
        size_t l = llmd_tok_u8(c->bytes + p->off, p->len, i, &cp);
        size_t k = llmd_tok_lowercase(cp, lc);
        uint32_t a0, a1;
        range_of(c, p->off + i, l, &a0, &a1);
        for (size_t j = 0; j < k; j++) {
            unsigned char u[4];
            size_t ul = llmd_utf8_encode(lc[j], u);
            if ((st = llmd_tok_arena_reserve(c, ul)) != LLMD_OK) return st;
            emit(c, u, ul, a0, a1);
        }
        i += l;
    }
    out.len = c->n_bytes - out.off;
    *p = out;
    return LLMD_OK;
}

static llmd_status unicode_normalize(llmd_tok_ctx *c, llmd_tok_piece *p, int kind) {
    utf8proc_option_t opt = UTF8PROC_STABLE;
    switch (kind) {
    case LLMD_TOK_N_NFC: opt |= UTF8PROC_COMPOSE; break;
    case LLMD_TOK_N_NFKC: opt |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT; break;
    case LLMD_TOK_N_NFD: opt |= UTF8PROC_DECOMPOSE; break;
    default: opt |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT; break;
    }
    if (p->len == 0) return LLMD_OK;
    /* ASCII is invariant under every normalization form */
    bool ascii = true;
    for (size_t i = 0; i < p->len && ascii; i++) ascii = c->bytes[p->off + i] < 0x80;
    if (ascii) return LLMD_OK;
    utf8proc_uint8_t *res = NULL;
    utf8proc_ssize_t n = utf8proc_map(c->bytes + p->off, (utf8proc_ssize_t)p->len, &res, opt);
    if (n < 0) return llmd_fail(LLMD_ERR_INTERNAL, "unicode normalization failed: %s", utf8proc_errmsg(n));
    llmd_status st = LLMD_OK;
    if ((size_t)n == p->len && memcmp(res, c->bytes + p->off, p->len) == 0) goto done;
    if ((st = llmd_tok_arena_reserve(c, (size_t)n)) != LLMD_OK) goto done;
    llmd_tok_piece out;
    begin(c, p, &out);
    uint32_t a0, a1;
    range_of(c, p->off, p->len, &a0, &a1);
    /* Offsets through a normalization that changed the text are approximate: every byte keeps
     * the range of the whole piece. */
    emit(c, res, (size_t)n, a0, a1);
    out.len = (size_t)n;
    *p = out;
done:
    free(res);
    return st;
}

/* StripAccents: drops combining marks (Mn, Mc, Me). */
static llmd_status strip_accents(llmd_tok_ctx *c, llmd_tok_piece *p) {
    bool any = false;
    for (size_t i = 0; i < p->len && !any;) {
        uint32_t cp;
        size_t l = llmd_tok_u8(c->bytes + p->off, p->len, i, &cp);
        any = llmd_tok_is_mark(cp);
        i += l;
    }
    if (!any) return LLMD_OK;
    llmd_status st = llmd_tok_arena_reserve(c, p->len);
    if (st != LLMD_OK) return st;
    llmd_tok_piece out;
    begin(c, p, &out);
    for (size_t i = 0; i < p->len;) {
        uint32_t cp;
        size_t l = llmd_tok_u8(c->bytes + p->off, p->len, i, &cp);
        if (!llmd_tok_is_mark(cp)) emit_copy(c, p->off + i, l);
        i += l;
    }
    out.len = c->n_bytes - out.off;
    *p = out;
    return LLMD_OK;
}

/* Fails when a normalizer step would make the text longer than the call's limit (see
 * LLMD_TOK_NORM_GROWTH), before the memory is taken. */
static llmd_status check_growth(const llmd_tok_ctx *c, size_t new_len) {
    if (c->norm_limit == 0 || new_len <= c->norm_limit) return LLMD_OK;
    return llmd_fail(LLMD_ERR_RANGE, "tokenizer: the normalizer would make a text longer than %zu bytes "
                     "(%ux its length + %u; a Replace or Prepend normalizer of the tokenizer file expands "
                     "text without bound)", c->norm_limit, LLMD_TOK_NORM_GROWTH, LLMD_TOK_NORM_SLACK);
}

static llmd_status prepend(llmd_tok_ctx *c, llmd_tok_piece *p, const char *s, size_t n) {
    if (p->len == 0) return LLMD_OK;
    llmd_status st = check_growth(c, p->len + n);
    if (st != LLMD_OK) return st;
    st = llmd_tok_arena_reserve(c, p->len + n);
    if (st != LLMD_OK) return st;
    llmd_tok_piece out;
    begin(c, p, &out);
    uint32_t a0, a1;
    size_t first = llmd_tok_u8len(c->bytes[p->off]);
    range_of(c, p->off, first, &a0, &a1);
    emit(c, s, n, a0, a1);
    emit_copy(c, p->off, p->len);
    out.len = c->n_bytes - out.off;
    *p = out;
    return LLMD_OK;
}

static llmd_status strip(llmd_tok_ctx *c, llmd_tok_piece *p, bool left, bool right) {
    const uint8_t *s = c->bytes + p->off;
    size_t a = 0, b = p->len;
    if (left)
        while (a < b) {
            uint32_t cp;
            size_t l = llmd_tok_u8(s, b, a, &cp);
            if (!llmd_tok_is_whitespace(cp)) break;
            a += l;
        }
    if (right)
        while (b > a) {
            size_t i = b - 1;
            while (i > a && (s[i] & 0xC0) == 0x80) i--;
            uint32_t cp;
            llmd_tok_u8(s, b, i, &cp);
            if (!llmd_tok_is_whitespace(cp)) break;
            b = i;
        }
    p->off += a;
    p->len = b - a;
    return LLMD_OK;
}

/* Replaces every match of pat by content (NormalizedString::replace). */
static llmd_status replace(llmd_tok_ctx *c, llmd_tok_piece *p, const llmd_tok_pattern *pat, const char *content,
                           size_t clen) {
    llmd_tok_span *spans = NULL;
    size_t n = 0, cap = 0;
    llmd_status st = llmd_tok_find_matches(pat, &c->re_state, c->bytes + p->off, p->len, &spans, &n, &cap);
    if (st != LLMD_OK) goto out;
    bool any = false;
    for (size_t i = 0; i < n; i++) any |= spans[i].match;
    if (!any) goto out;
    size_t nm = 0, matched = 0;
    for (size_t i = 0; i < n; i++)
        if (spans[i].match) {
            nm++;
            matched += spans[i].end - spans[i].start;
        }
    /* nm * clen cannot overflow: nm <= len + 1 and clen comes from a file in memory */
    if ((st = check_growth(c, p->len - matched + nm * clen)) != LLMD_OK) goto out;
    if ((st = llmd_tok_arena_reserve(c, p->len + nm * clen)) != LLMD_OK) goto out;
    llmd_tok_piece o;
    begin(c, p, &o);
    for (size_t i = 0; i < n; i++) {
        size_t from = p->off + spans[i].start, len = spans[i].end - spans[i].start;
        if (!spans[i].match) {
            emit_copy(c, from, len);
        } else {
            uint32_t a0, a1;
            range_of(c, from, len, &a0, &a1);
            emit(c, content, clen, a0, a1);
        }
    }
    o.len = c->n_bytes - o.off;
    *p = o;
out:
    llmd_free(spans);
    return st;
}

llmd_status llmd_tok_bytelevel_map(llmd_tok_ctx *c, llmd_tok_piece *p) {
    const uint16_t *tab = llmd_tok_byte_chars();
    llmd_status st = llmd_tok_arena_reserve(c, p->len * 2);
    if (st != LLMD_OK) return st;
    llmd_tok_piece o;
    begin(c, p, &o);
    for (size_t i = 0; i < p->len; i++) {
        unsigned char u[4];
        size_t ul = llmd_utf8_encode(tab[c->bytes[p->off + i]], u);
        uint32_t a0, a1;
        range_of(c, p->off + i, 1, &a0, &a1);
        emit(c, u, ul, a0, a1);
    }
    o.len = c->n_bytes - o.off;
    *p = o;
    return LLMD_OK;
}

/* Metaspace's transform: every ' ' becomes the replacement, then (by prepend_scheme) the
 * replacement is prepended unless the piece starts with it. */

llmd_status llmd_tok_metaspace_map(llmd_tok_ctx *c, llmd_tok_piece *p, const llmd_tok_pretok *pt) {
    llmd_status st = llmd_tok_arena_reserve(c, p->len * 3 + pt->rep_len);
    if (st != LLMD_OK) return st;
    llmd_tok_piece o;
    begin(c, p, &o);
    for (size_t i = 0; i < p->len; i++) {
        uint8_t b = c->bytes[p->off + i];
        if (b == ' ') {
            uint32_t a0, a1;
            range_of(c, p->off + i, 1, &a0, &a1);
            emit(c, pt->rep_utf8, pt->rep_len, a0, a1);
        } else {
            emit_copy(c, p->off + i, 1);
        }
    }
    o.len = c->n_bytes - o.off;
    bool starts = o.len >= pt->rep_len && memcmp(c->bytes + o.off, pt->rep_utf8, pt->rep_len) == 0;
    bool add = !starts && (pt->prepend_scheme == LLMD_TOK_PREPEND_ALWAYS ||
                           (pt->prepend_scheme == LLMD_TOK_PREPEND_FIRST && p->orig == 0));
    *p = o;
    /* NormalizedString::prepend on an empty string does nothing */
    if (add && o.len > 0) return prepend(c, p, pt->rep_utf8, pt->rep_len);
    return LLMD_OK;
}

static llmd_status normalize_step(const llmd_tokenizer *tok, const llmd_tok_normalizer *n, llmd_tok_ctx *c,
                                  llmd_tok_piece *p) {
    llmd_status st = LLMD_OK;
    switch (n->kind) {
    case LLMD_TOK_N_NFC: case LLMD_TOK_N_NFKC: case LLMD_TOK_N_NFD: case LLMD_TOK_N_NFKD:
        st = unicode_normalize(c, p, n->kind);
        break;
    case LLMD_TOK_N_LOWER: st = lowercase(c, p); break;
    case LLMD_TOK_N_REPLACE: return replace(c, p, &n->pat, n->content, n->content_len);
    case LLMD_TOK_N_PREPEND: return prepend(c, p, n->content, n->content_len);
    case LLMD_TOK_N_STRIP: return strip(c, p, n->strip_left, n->strip_right);
    case LLMD_TOK_N_STRIP_ACCENTS: return strip_accents(c, p);
    case LLMD_TOK_N_SEQ:
        for (size_t i = 0; i < n->n_items && st == LLMD_OK; i++) st = normalize_step(tok, &n->items[i], c, p);
        return st;
    default: return llmd_fail(LLMD_ERR_INTERNAL, "unknown normalizer %d", n->kind);
    }
    /* Unicode forms and lower-casing grow text by a bounded factor; a Sequence of many of them
     * still may not pass the limit */
    return st == LLMD_OK ? check_growth(c, p->len) : st;
}

/* Every normalizer step's output is bounded by the text's length (LLMD_TOK_NORM_GROWTH): the
 * arena of one call then stays proportional to the document whatever the file says. */
llmd_status llmd_tok_normalize(const llmd_tokenizer *tok, const llmd_tok_normalizer *n, llmd_tok_ctx *c,
                               llmd_tok_piece *p) {
    size_t limit = p->len > (SIZE_MAX - LLMD_TOK_NORM_SLACK) / LLMD_TOK_NORM_GROWTH
                       ? SIZE_MAX
                       : p->len * LLMD_TOK_NORM_GROWTH + LLMD_TOK_NORM_SLACK;
    c->norm_limit = limit;
    llmd_status st = normalize_step(tok, n, c, p);
    c->norm_limit = 0;
    return st;
}


llmd_status llmd_tok_normalize_string(const llmd_tokenizer *tok, const char *s, size_t len, char **out, size_t *out_len) {
    llmd_tok_ctx *c;
    llmd_status st = llmd_tok_ctx_get(tok, &c);
    if (st != LLMD_OK) return st;
    c->want_align = false;
    c->n_bytes = 0;
    if ((st = llmd_tok_arena_reserve(c, len)) == LLMD_OK) {
        llmd_tok_piece p = {0, len, 0};
        memcpy(c->bytes, s, len);
        c->n_bytes = len;
        st = llmd_tok_normalize(tok, tok->normalizer, c, &p);
        if (st == LLMD_OK) {
            *out = llmd_strndup((const char *)c->bytes + p.off, p.len);
            *out_len = p.len;
            if (*out == NULL) st = llmd_fail_nomem("added token");
        }
    }
    llmd_tok_ctx_put(tok, c);
    return st;
}
