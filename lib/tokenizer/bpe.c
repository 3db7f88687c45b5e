/* The BPE model: a piece's characters (or raw bytes) become symbols, then pairs merge in order of
 * rank, leftmost first, with a min-heap keyed (rank, position) and lazy invalidation -- the same
 * algorithm and the same tie-breaking as Hugging Face's Word::merge_all, so the ids match even
 * for merge lists where several pairs produce one token.  tiktoken files rank a pair by the rank
 * of the concatenated bytes, which this heap handles the same way (O(n log n) per piece, no
 * quadratic worst case). */
#include <stdatomic.h>
#include <string.h>

#include "tok_internal.h"

typedef struct llmd_tok_sym sym;
typedef struct llmd_tok_merge merge;

/* ---- output ----------------------------------------------------------------------------------- */
static llmd_status out_reserve(llmd_tok_ctx *c, size_t extra) {
    if (c->n_ids + extra > c->cap_ids) {
        size_t nc = c->cap_ids ? c->cap_ids : 1024;
        while (nc < c->n_ids + extra) nc *= 2;
        uint32_t *ni = llmd_realloc(c->ids, c->cap_ids * sizeof *ni, nc * sizeof *ni);
        if (ni == NULL) return llmd_fail_nomem("token ids");
        c->ids = ni;
        c->cap_ids = nc;
    }
    if (c->want_align && 2 * (c->n_ids + extra) > c->cap_offs) {
        size_t nc = c->cap_offs ? c->cap_offs : 2048;
        while (nc < 2 * (c->n_ids + extra)) nc *= 2;
        size_t *no = llmd_realloc(c->offs, c->cap_offs * sizeof *no, nc * sizeof *no);
        if (no == NULL) return llmd_fail_nomem("token offsets");
        c->offs = no;
        c->cap_offs = nc;
    }
    return LLMD_OK;
}

static inline void out_push(llmd_tok_ctx *c, const llmd_tok_piece *p, uint32_t id, size_t start, size_t len) {
    if (c->want_align) {
        size_t a = p->off + start, b = p->off + start + (len ? len : 1) - 1;
        c->offs[2 * c->n_ids] = c->align[2 * a];
        c->offs[2 * c->n_ids + 1] = len ? c->align[2 * b + 1] : c->align[2 * a];
    }
    c->ids[c->n_ids++] = id;
}

/* ---- cache: piece bytes -> ids, per scratch context ------------------------------------------ */
#define CACHE_SLOTS (1u << 15)
#define CACHE_MAX_PIECE 128

static void cache_clear(llmd_tok_ctx *c) {
    if (c->cache) memset(c->cache, 0, (c->cache_mask + 1) * sizeof *c->cache);
    c->cache_n = c->cache_keys_len = c->cache_ids_len = 0;
}

static bool cache_get(llmd_tok_ctx *c, const uint8_t *s, size_t n, uint64_t h, const uint32_t **ids, size_t *k) {
    if (c->cache == NULL) return false;
    size_t i = (size_t)h & c->cache_mask;
    for (;;) {
        const llmd_tok_cache_ent *e = &c->cache[i];
        if (e->key_len == 0) return false;
        if (e->hash == h && e->key_len == n && memcmp(c->cache_keys + e->key_off, s, n) == 0) {
            *ids = c->cache_ids + e->ids_off;
            *k = e->n_ids;
            return true;
        }
        i = (i + 1) & c->cache_mask;
    }
}

static void cache_put(llmd_tok_ctx *c, const uint8_t *s, size_t n, uint64_t h, const uint32_t *ids, size_t k) {
    if (c->cache == NULL) {
        c->cache = llmd_calloc(CACHE_SLOTS, sizeof *c->cache);
        c->cache_keys_cap = 1u << 20;
        c->cache_keys = llmd_malloc(c->cache_keys_cap);
        c->cache_ids_cap = 1u << 18;
        c->cache_ids = llmd_malloc(c->cache_ids_cap * sizeof *c->cache_ids);
        if (c->cache == NULL || c->cache_keys == NULL || c->cache_ids == NULL) {
            llmd_free(c->cache);
            llmd_free(c->cache_keys);
            llmd_free(c->cache_ids);
            c->cache = NULL;
            c->cache_keys = NULL;
            c->cache_ids = NULL;
            return; /* caching is an optimisation: no cache, no error */
        }
        c->cache_mask = CACHE_SLOTS - 1;
    }
    if (c->cache_n * 4 >= CACHE_SLOTS * 3 || c->cache_keys_len + n > c->cache_keys_cap ||
        c->cache_ids_len + k > c->cache_ids_cap)
        cache_clear(c);
    if (k > c->cache_ids_cap || n > c->cache_keys_cap) return;
    size_t i = (size_t)h & c->cache_mask;
    while (c->cache[i].key_len != 0) i = (i + 1) & c->cache_mask;
    /* Empty pieces / no ids (an empty vocabulary) come with NULL pointers: memcpy may not take them. */
    if (n) memcpy(c->cache_keys + c->cache_keys_len, s, n);
    if (k) memcpy(c->cache_ids + c->cache_ids_len, ids, k * sizeof *ids);
    c->cache[i] = (llmd_tok_cache_ent){h, (uint32_t)c->cache_keys_len, (uint32_t)n, (uint32_t)c->cache_ids_len,
                                       (uint32_t)k};
    c->cache_keys_len += n;
    c->cache_ids_len += k;
    c->cache_n++;
}

/* ---- symbols ---------------------------------------------------------------------------------- */
static llmd_status syms_reserve(llmd_tok_ctx *c, size_t n) {
    if (n > c->cap_syms) {
        size_t nc = c->cap_syms ? c->cap_syms : 256;
        while (nc < n) nc *= 2;
        sym *ns = llmd_realloc(c->syms, c->cap_syms * sizeof *ns, nc * sizeof *ns);
        if (ns == NULL) return llmd_fail_nomem("BPE symbols");
        c->syms = ns;
        c->cap_syms = nc;
        merge *nh = llmd_realloc(c->heap, c->cap_heap * sizeof *nh, (nc * 3 + 4) * sizeof *nh);
        if (nh == NULL) return llmd_fail_nomem("BPE heap");
        c->heap = nh;
        c->cap_heap = nc * 3 + 4;
    }
    return LLMD_OK;
}

static inline void add_sym(llmd_tok_ctx *c, size_t *n, uint32_t id, size_t start, size_t len) {
    sym *s = &c->syms[*n];
    s->id = id;
    s->start = (uint32_t)start;
    s->len = (uint32_t)len;
    s->prev = (int32_t)*n - 1;
    s->next = (int32_t)*n + 1;
    (*n)++;
}

/* Initial symbols of a piece in raw-byte mode: one per byte. */
static void raw_symbols(const llmd_tokenizer *tok, llmd_tok_ctx *c, const uint8_t *s, size_t len, size_t *n) {
    bool unk_open = false;
    uint32_t unk_start = 0, unk_len = 0;
    for (size_t i = 0; i < len; i++) {
        uint32_t id = tok->raw_byte_id[s[i]];
        if (id != UINT32_MAX) {
            if (unk_open) {
                add_sym(c, n, tok->unk_id, unk_start, unk_len);
                unk_open = false;
            }
            add_sym(c, n, id, i, 1);
        } else if (tok->has_unk) {
            /* a byte whose character is missing from the vocabulary (Hugging Face: unk by char;
             * in byte-level text every character is one byte) */
            if (unk_open && tok->fuse_unk) {
                unk_len += 1;
            } else {
                if (unk_open) add_sym(c, n, tok->unk_id, unk_start, unk_len);
                unk_open = true;
                unk_start = (uint32_t)i;
                unk_len = 1;
            }
        }
    }
    if (unk_open) add_sym(c, n, tok->unk_id, unk_start, unk_len);
}

/* Initial symbols from characters (Hugging Face BPE::merge_word). */
static llmd_status char_symbols(const llmd_tokenizer *tok, llmd_tok_ctx *c, const uint8_t *s, size_t len, size_t *n) {
    bool unk_open = false;
    uint32_t unk_start = 0, unk_len = 0;
    for (size_t i = 0; i < len;) {
        size_t l = llmd_tok_u8len(s[i]);
        if (i + l > len) l = len - i;
        bool first = i == 0, last = i + l == len;
        const uint8_t *key = s + i;
        size_t klen = l;
        if ((!first && tok->prefix) || (last && tok->suffix)) {
            llmd_buf_reset(&c->tmp);
            llmd_status st = LLMD_OK;
            if (!first && tok->prefix) st = llmd_buf_append(&c->tmp, tok->prefix, tok->prefix_len);
            if (st == LLMD_OK) st = llmd_buf_append(&c->tmp, s + i, l);
            if (st == LLMD_OK && last && tok->suffix) st = llmd_buf_append(&c->tmp, tok->suffix, tok->suffix_len);
            if (st != LLMD_OK) return st;
            key = (const uint8_t *)c->tmp.data;
            klen = c->tmp.len;
        }
        uint32_t id;
        if (llmd_tok_strmap_get(&tok->vocab, (const char *)key, klen, &id)) {
            if (unk_open) {
                add_sym(c, n, tok->unk_id, unk_start, unk_len);
                unk_open = false;
            }
            add_sym(c, n, id, i, l);
            i += l;
            continue;
        }
        if (tok->byte_fallback) {
            bool all = true;
            for (size_t k = 0; k < klen && all; k++) all = tok->byte_ids[key[k]] != UINT32_MAX;
            if (all) {
                /* Hugging Face adds the byte tokens without flushing a pending unk first */
                if (*n + klen + 2 > c->cap_syms) {
                    llmd_status st = syms_reserve(c, *n + klen + len + 2);
                    if (st != LLMD_OK) return st;
                }
                for (size_t k = 0; k < klen; k++) add_sym(c, n, tok->byte_ids[key[k]], i + (k < l ? k : l - 1), k < l ? 1 : 0);
                i += l;
                continue;
            }
        }
        if (tok->has_unk) {
            if (unk_open && tok->fuse_unk) {
                unk_len += (uint32_t)l;
            } else {
                if (unk_open) add_sym(c, n, tok->unk_id, unk_start, unk_len);
                unk_open = true;
                unk_start = (uint32_t)i;
                unk_len = (uint32_t)l;
            }
        }
        i += l;
    }
    if (unk_open) add_sym(c, n, tok->unk_id, unk_start, unk_len);
    return LLMD_OK;
}

/* ---- merging ---------------------------------------------------------------------------------- */
static inline bool merge_less(const merge *a, const merge *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static inline void heap_push(merge *h, size_t *n, merge m) {
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!merge_less(&m, &h[p])) break;
        h[i] = h[p];
        i = p;
    }
    h[i] = m;
}

static inline merge heap_pop(merge *h, size_t *n) {
    merge top = h[0], last = h[--(*n)];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        if (l >= *n) break;
        size_t r = l + 1, m = (r < *n && merge_less(&h[r], &h[l])) ? r : l;
        if (!merge_less(&h[m], &last)) break;
        h[i] = h[m];
        i = m;
    }
    h[i] = last;
    return top;
}

static inline bool pair_rank(const llmd_tokenizer *tok, const uint8_t *s, const sym *a, const sym *b, uint32_t *rank,
                             uint32_t *id) {
    if (tok->tiktoken) {
        if (!llmd_tok_strmap_get(&tok->raw_vocab, (const char *)s + a->start, (size_t)(b->start + b->len - a->start), id))
            return false;
        *rank = *id;
        return true;
    }
    return llmd_tok_pairmap_get(&tok->merges, a->id, b->id, rank, id);
}

static void merge_all(const llmd_tokenizer *tok, llmd_tok_ctx *c, const uint8_t *s, size_t n) {
    sym *y = c->syms;
    merge *h = c->heap;
    size_t hn = 0;
    if (n == 0) return;
    y[n - 1].next = -1;
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t r, id;
        if (pair_rank(tok, s, &y[i], &y[i + 1], &r, &id)) heap_push(h, &hn, (merge){r, (uint32_t)i, id});
    }
    while (hn > 0) {
        merge top = heap_pop(h, &hn);
        sym *cur = &y[top.pos];
        if (cur->len == 0 && cur->id == UINT32_MAX) continue;
        if (cur->next < 0) continue;
        sym *right = &y[cur->next];
        uint32_t r, id;
        if (!pair_rank(tok, s, cur, right, &r, &id) || id != top.id) continue;
        /* merge right into cur */
        cur->id = top.id;
        cur->len = right->start + right->len - cur->start;
        int32_t rn = right->next;
        right->id = UINT32_MAX;
        right->len = 0;
        cur->next = rn;
        if (rn >= 0) y[rn].prev = (int32_t)top.pos;
        if (cur->prev >= 0 && pair_rank(tok, s, &y[cur->prev], cur, &r, &id))
            heap_push(h, &hn, (merge){r, (uint32_t)cur->prev, id});
        if (cur->next >= 0 && pair_rank(tok, s, cur, &y[cur->next], &r, &id))
            heap_push(h, &hn, (merge){r, top.pos, id});
    }
}

static llmd_status bpe_one(const llmd_tokenizer *tok, llmd_tok_ctx *c, const llmd_tok_piece *p);

/* Cuts a long piece before every U+2581 that follows another character (meta_cut). */
static llmd_status bpe_meta_cut(const llmd_tokenizer *tok, llmd_tok_ctx *c, const llmd_tok_piece *p) {
    size_t start = 0;
    for (size_t i = 1; i + 3 <= p->len; i++) {
        const uint8_t *b = c->bytes + p->off;
        if (b[i] == 0xE2 && b[i + 1] == 0x96 && b[i + 2] == 0x81 &&
            !(i >= 3 && b[i - 3] == 0xE2 && b[i - 2] == 0x96 && b[i - 1] == 0x81)) {
            llmd_tok_piece q = {p->off + start, i - start, p->orig + start};
            llmd_status st = bpe_one(tok, c, &q);
            if (st != LLMD_OK) return st;
            start = i;
        }
    }
    llmd_tok_piece q = {p->off + start, p->len - start, p->orig + start};
    return bpe_one(tok, c, &q);
}

llmd_status llmd_tok_bpe_piece(const llmd_tokenizer *tok, llmd_tok_ctx *c, const llmd_tok_piece *p) {
    if (tok->meta_cut && p->len > CACHE_MAX_PIECE / 2) return bpe_meta_cut(tok, c, p);
    return bpe_one(tok, c, p);
}

static llmd_status bpe_one(const llmd_tokenizer *tok, llmd_tok_ctx *c, const llmd_tok_piece *p) {
    if (p->len == 0) return LLMD_OK;
    const uint8_t *s = c->bytes + p->off;
    size_t len = p->len;
    llmd_status st;
    const llmd_tok_strmap *vocab = tok->raw ? &tok->raw_vocab : &tok->vocab;
    bool use_cache = !c->want_align && len <= CACHE_MAX_PIECE;
    uint64_t h = llmd_tok_hash(s, len);
    /* ignore_merges (and tiktoken): a piece that is a token is that token, by definition */
    uint32_t id, whole = UINT32_MAX;
    if (tok->ignore_merges && llmd_tok_strmap_get_h(vocab, (const char *)s, len, h, &id)) {
        if ((st = out_reserve(c, 1)) != LLMD_OK) return st;
        out_push(c, p, id, 0, len);
        return LLMD_OK;
    }
    if (use_cache) {
        const uint32_t *ids;
        size_t k;
        if (cache_get(c, s, len, h, &ids, &k)) {
            if ((st = out_reserve(c, k)) != LLMD_OK) return st;
            if (k) memcpy(c->ids + c->n_ids, ids, k * sizeof *ids);   /* k = 0: c->ids may be NULL */
            c->n_ids += k;
            return LLMD_OK;
        }
    }
    /* otherwise a piece that is a token is taken whole once BPE has shown it merges to itself */
    uint32_t whole_slot = UINT32_MAX;
    if (tok->whole_ok && llmd_tok_strmap_get_h(vocab, (const char *)s, len, h, &id)) {
        whole_slot = tok->sparse.keys ? llmd_tok_slot(tok, id) : id;
        unsigned char known = atomic_load_explicit(&tok->whole_ok[whole_slot], memory_order_relaxed);
        if (known == 1) {
            if ((st = out_reserve(c, 1)) != LLMD_OK) return st;
            out_push(c, p, id, 0, len);
            if (use_cache) cache_put(c, s, len, h, &id, 1);
            return LLMD_OK;
        }
        if (known == 0) whole = id; /* find out below */
    }
    size_t extra = tok->byte_fallback ? 4 * (len + tok->prefix_len + tok->suffix_len) + 8 : len + 2;
    if ((st = syms_reserve(c, extra)) != LLMD_OK) return st;
    s = c->bytes + p->off;
    size_t n = 0;
    if (tok->raw) raw_symbols(tok, c, s, len, &n);
    else if ((st = char_symbols(tok, c, s, len, &n)) != LLMD_OK) return st;
    merge_all(tok, c, s, n);
    if ((st = out_reserve(c, n)) != LLMD_OK) return st;
    size_t first = c->n_ids;
    for (size_t i = 0; i < n; i++) {
        const sym *y = &c->syms[i];
        if (y->id == UINT32_MAX && y->len == 0) continue;
        out_push(c, p, y->id, y->start, y->len);
    }
    if (whole != UINT32_MAX)
        atomic_store_explicit(&tok->whole_ok[whole_slot], (c->n_ids - first == 1 && c->ids[first] == whole) ? 1 : 2,
                              memory_order_relaxed);
    /* no ids (an empty vocabulary): c->ids may still be NULL, and NULL + 0 is undefined too */
    if (use_cache) cache_put(c, s, len, h, c->n_ids > first ? c->ids + first : NULL, c->n_ids - first);
    return LLMD_OK;
}
