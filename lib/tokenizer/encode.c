/* Encoding: the Hugging Face flow (added tokens -> normalizer -> normalized added tokens ->
 * pre-tokenizer -> BPE -> post-processor), scratch contexts, batch encoding on threads. */
#include <stdatomic.h>
#include <string.h>

#include "tok_internal.h"

/* ---- scratch contexts --------------------------------------------------------------------------- */
#define POOL_MAX 64

llmd_status llmd_tok_ctx_get(const llmd_tokenizer *tok, llmd_tok_ctx **out) {
    llmd_tokenizer *t = (llmd_tokenizer *)tok; /* the pool is the only mutable part, under its lock */
    llmd_tok_ctx *c = NULL;
    pthread_mutex_lock(&t->pool_lock);
    if (t->pool_n > 0) c = t->pool[--t->pool_n];
    pthread_mutex_unlock(&t->pool_lock);
    if (c == NULL) {
        c = llmd_calloc(1, sizeof *c);
        if (c == NULL) return llmd_fail_nomem("tokenizer scratch");
    }
    *out = c;
    return LLMD_OK;
}

void llmd_tok_ctx_free(llmd_tok_ctx *c) {
    if (c == NULL) return;
    llmd_free(c->bytes);
    llmd_free(c->align);
    llmd_free(c->pieces);
    llmd_free(c->pieces2);
    llmd_free(c->ids);
    llmd_free(c->offs);
    llmd_free(c->syms);
    llmd_free(c->heap);
    llmd_free(c->cache);
    llmd_free(c->cache_keys);
    llmd_free(c->cache_ids);
    llmd_free(c->segs1);
    llmd_free(c->segs2);
    llmd_tok_regex_state_free(&c->re_state);
    llmd_buf_free(&c->tmp);
    llmd_free(c);
}

void llmd_tok_ctx_put(const llmd_tokenizer *tok, llmd_tok_ctx *c) {
    llmd_tokenizer *t = (llmd_tokenizer *)tok;
    pthread_mutex_lock(&t->pool_lock);
    if (t->pool_n == t->pool_cap && t->pool_cap < POOL_MAX) {
        size_t nc = t->pool_cap ? t->pool_cap * 2 : 4;
        llmd_tok_ctx **np = llmd_realloc(t->pool, t->pool_cap * sizeof *np, nc * sizeof *np);
        if (np) {
            t->pool = np;
            t->pool_cap = nc;
        }
    }
    if (t->pool_n < t->pool_cap) {
        t->pool[t->pool_n++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&t->pool_lock);
    llmd_tok_ctx_free(c);
}

llmd_status llmd_tok_push_piece(llmd_tok_ctx *c, llmd_tok_piece **list, size_t *n, size_t *cap, llmd_tok_piece p) {
    (void)c;
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 256;
        llmd_tok_piece *nl = llmd_realloc(*list, *cap * sizeof *nl, nc * sizeof *nl);
        if (nl == NULL) return llmd_fail_nomem("pieces");
        *list = nl;
        *cap = nc;
    }
    (*list)[(*n)++] = p;
    return LLMD_OK;
}

/* ---- one text ----------------------------------------------------------------------------------- */
static llmd_status push_id(llmd_tok_ctx *c, uint32_t id, size_t a, size_t b) {
    if (c->n_ids + 1 > c->cap_ids) {
        size_t nc = c->cap_ids ? c->cap_ids * 2 : 1024;
        uint32_t *ni = llmd_realloc(c->ids, c->cap_ids * sizeof *ni, nc * sizeof *ni);
        if (ni == NULL) return llmd_fail_nomem("token ids");
        c->ids = ni;
        c->cap_ids = nc;
    }
    if (c->want_align && 2 * (c->n_ids + 1) > c->cap_offs) {
        size_t nc = c->cap_offs ? c->cap_offs * 2 : 2048;
        size_t *no = llmd_realloc(c->offs, c->cap_offs * sizeof *no, nc * sizeof *no);
        if (no == NULL) return llmd_fail_nomem("token offsets");
        c->offs = no;
        c->cap_offs = nc;
    }
    if (c->want_align) {
        c->offs[2 * c->n_ids] = a;
        c->offs[2 * c->n_ids + 1] = b;
    }
    c->ids[c->n_ids++] = id;
    return LLMD_OK;
}

/* Model over the pre-tokenized pieces of one (normalized) piece. */
static llmd_status model_piece(const llmd_tokenizer *tok, llmd_tok_ctx *c, llmd_tok_piece p) {
    llmd_status st;
    if (tok->pretok == NULL) return llmd_tok_bpe_piece(tok, c, &p);
    c->n_pieces = 0;
    if ((st = llmd_tok_push_piece(c, &c->pieces, &c->n_pieces, &c->cap_pieces, p)) != LLMD_OK) return st;
    if ((st = llmd_tok_pretokenize(tok, tok->pretok, c)) != LLMD_OK) return st;
    for (size_t i = 0; i < c->n_pieces; i++)
        if ((st = llmd_tok_bpe_piece(tok, c, &c->pieces[i])) != LLMD_OK) return st;
    return LLMD_OK;
}

static void piece_range(const llmd_tok_ctx *c, size_t off, size_t len, size_t *a, size_t *b) {
    if (!c->want_align) {
        *a = *b = 0;
        return;
    }
    if (len == 0) {
        *a = *b = c->align[2 * off];
        return;
    }
    *a = c->align[2 * off];
    *b = c->align[2 * (off + len - 1) + 1];
}

/* A segment between raw added tokens: normalize, split out normalized added tokens, model. */
static llmd_status encode_segment(const llmd_tokenizer *tok, llmd_tok_ctx *c, llmd_tok_piece p, bool skip_special) {
    llmd_status st;
    if (tok->normalizer && (st = llmd_tok_normalize(tok, tok->normalizer, c, &p)) != LLMD_OK) return st;
    if (p.len == 0) return LLMD_OK;
    if (tok->match_norm.n == 0) return model_piece(tok, c, p);
    size_t n;
    if ((st = llmd_tok_find_added(tok, &tok->match_norm, c->bytes + p.off, p.len, skip_special, &c->segs2, &n,
                                  &c->cap_segs2)) != LLMD_OK)
        return st;
    /* model_piece reuses c->pieces, not segs2: walk a copy of the segment bounds */
    for (size_t i = 0; i < n; i++) {
        llmd_tok_seg sg = c->segs2[i];
        if (sg.added >= 0) {
            size_t a, b;
            piece_range(c, p.off + sg.start, sg.end - sg.start, &a, &b);
            if ((st = push_id(c, (uint32_t)sg.added, a, b)) != LLMD_OK) return st;
        } else {
            llmd_tok_piece q = {p.off + sg.start, sg.end - sg.start, p.orig + sg.start};
            if ((st = model_piece(tok, c, q)) != LLMD_OK) return st;
        }
    }
    return LLMD_OK;
}

static llmd_status post_process(const llmd_tok_post *pp, llmd_tok_ctx *c) {
    llmd_status st = LLMD_OK;
    if (pp->kind == LLMD_TOK_PP_SEQ) {
        for (size_t i = 0; i < pp->n_items && st == LLMD_OK; i++) st = post_process(&pp->items[i], c);
        return st;
    }
    if (pp->kind != LLMD_TOK_PP_TEMPLATE) return LLMD_OK;
    size_t n = c->n_ids, pre = pp->n_pre;
    for (size_t i = 0; i < pre + pp->n_post; i++)
        if ((st = push_id(c, 0, 0, 0)) != LLMD_OK) return st;
    memmove(c->ids + pre, c->ids, n * sizeof *c->ids);
    if (c->want_align) memmove(c->offs + 2 * pre, c->offs, 2 * n * sizeof *c->offs);
    for (size_t i = 0; i < pre; i++) c->ids[i] = pp->pre[i];
    for (size_t i = 0; i < pp->n_post; i++) c->ids[pre + n + i] = pp->post[i];
    if (c->want_align) {
        /* tokens the post-processor adds cover no text: (0, 0), as in Hugging Face */
        for (size_t i = 0; i < pre; i++) c->offs[2 * i] = c->offs[2 * i + 1] = 0;
        for (size_t i = pre + n; i < pre + n + pp->n_post; i++) c->offs[2 * i] = c->offs[2 * i + 1] = 0;
    }
    return LLMD_OK;
}

static llmd_status encode_text(const llmd_tokenizer *tok, llmd_tok_ctx *c, const char *text, size_t len,
                               unsigned flags) {
    c->n_bytes = 0;
    c->n_ids = 0;
    size_t bad = llmd_utf8_validate((const unsigned char *)text, len);
    if (bad != len) return llmd_fail(LLMD_ERR_UTF8, "text is not valid UTF-8 at byte offset %zu", bad);
    if (len > UINT32_MAX / 4) return llmd_fail(LLMD_ERR_RANGE, "text of %zu bytes is too long (max 1 GiB)", len);
    llmd_status st = llmd_tok_arena_reserve(c, len);
    if (st != LLMD_OK) return st;
    memcpy(c->bytes, text, len);
    c->n_bytes = len;
    if (c->want_align)
        for (size_t i = 0; i < len; i++) {
            c->align[2 * i] = (uint32_t)i;
            c->align[2 * i + 1] = (uint32_t)i + 1;
        }
    bool skip_special = (flags & LLMD_TOK_SPECIAL_AS_TEXT) ||
                        (tok->special_as_text_default && !(flags & LLMD_TOK_MATCH_SPECIAL));
    if (len > 0) {
        if (tok->match_raw.n == 0) {
            st = encode_segment(tok, c, (llmd_tok_piece){0, len, 0}, skip_special);
        } else {
            size_t n;
            if ((st = llmd_tok_find_added(tok, &tok->match_raw, c->bytes, len, skip_special, &c->segs1, &n,
                                          &c->cap_segs1)) != LLMD_OK)
                return st;
            for (size_t i = 0; i < n && st == LLMD_OK; i++) {
                llmd_tok_seg sg = c->segs1[i];
                if (sg.added >= 0) st = push_id(c, (uint32_t)sg.added, sg.start, sg.end);
                else st = encode_segment(tok, c, (llmd_tok_piece){sg.start, sg.end - sg.start, sg.start}, skip_special);
            }
        }
        if (st != LLMD_OK) return st;
    }
    if ((flags & LLMD_TOK_ADD_SPECIAL) && tok->post) st = post_process(tok->post, c);
    return st;
}

/* ---- public ------------------------------------------------------------------------------------ */
llmd_status llmd_tokenizer_encode(const llmd_tokenizer *tok, const char *text, size_t len, unsigned flags,
                                  uint32_t **ids, size_t *n_ids, size_t **offsets) {
    if (ids) *ids = NULL;
    if (offsets) *offsets = NULL;
    if (tok == NULL || (text == NULL && len > 0) || ids == NULL || n_ids == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_tokenizer_encode: NULL argument");
    *n_ids = 0;
    llmd_tok_ctx *c = NULL;
    llmd_status st = llmd_tok_ctx_get(tok, &c);
    if (st != LLMD_OK) return st;
    c->want_align = offsets != NULL;
    st = encode_text(tok, c, text ? text : "", len, flags);
    if (st == LLMD_OK) {
        *ids = llmd_malloc((c->n_ids ? c->n_ids : 1) * sizeof **ids);
        if (*ids == NULL) st = llmd_fail_nomem("token ids");
        else if (c->n_ids) memcpy(*ids, c->ids, c->n_ids * sizeof **ids);
    }
    if (st == LLMD_OK && offsets) {
        *offsets = llmd_malloc((c->n_ids ? 2 * c->n_ids : 1) * sizeof **offsets);
        if (*offsets == NULL) st = llmd_fail_nomem("token offsets");
        else if (c->n_ids) memcpy(*offsets, c->offs, 2 * c->n_ids * sizeof **offsets);
    }
    if (st == LLMD_OK) {
        *n_ids = c->n_ids;
    } else {
        llmd_free(*ids);
        *ids = NULL;
        if (offsets) {
            llmd_free(*offsets);
            *offsets = NULL;
        }
    }
    c->want_align = false;
    llmd_tok_ctx_put(tok, c);
    return st;
}

llmd_status llmd_tokenizer_encode_into(const llmd_tokenizer *tok, const char *text, size_t len, unsigned flags,
                                       uint32_t *ids, size_t cap, size_t *n_ids) {
    if (tok == NULL || (text == NULL && len > 0) || (ids == NULL && cap > 0) || n_ids == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_tokenizer_encode_into: NULL argument");
    llmd_tok_ctx *c = NULL;
    llmd_status st = llmd_tok_ctx_get(tok, &c);
    if (st != LLMD_OK) return st;
    c->want_align = false;
    st = encode_text(tok, c, text ? text : "", len, flags);
    if (st == LLMD_OK) {
        *n_ids = c->n_ids;
        if (c->n_ids && cap) memcpy(ids, c->ids, (c->n_ids < cap ? c->n_ids : cap) * sizeof *ids);
        if (c->n_ids > cap)
            st = llmd_fail(LLMD_ERR_TRUNCATED, "encode: %zu ids do not fit in a buffer of %zu", c->n_ids, cap);
    }
    llmd_tok_ctx_put(tok, c);
    return st;
}

/* ---- batch -------------------------------------------------------------------------------------- */
typedef struct block_out {
    uint32_t *ids;
    size_t n, cap;
} block_out;

/* Texts are grouped into blocks of roughly equal bytes; worker threads take the next block from a
 * shared counter until none is left (documents vary from bytes to megabytes, so static ranges
 * would leave a thread idle).  Each block keeps its own ids; they are concatenated in order. */
typedef struct batch_job {
    const llmd_tokenizer *tok;
    const char *const *texts;
    const size_t *lens;
    const size_t *bstart;  /* block b holds texts [bstart[b], bstart[b+1]) */
    size_t n_blocks;
    _Atomic size_t next;
    _Atomic bool failed;
    unsigned flags;
    block_out *blocks;
    size_t *counts;        /* ids per text */
} batch_job;

static llmd_status encode_block(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    (void)begin;
    (void)end;
    batch_job *j = arg;
    llmd_tok_ctx *c = NULL;
    llmd_status st = llmd_tok_ctx_get(j->tok, &c);
    if (st != LLMD_OK) return st;
    c->want_align = false;
    for (;;) {
        if (st != LLMD_OK || atomic_load(&j->failed)) break;
        size_t b = atomic_fetch_add(&j->next, 1);
        if (b >= j->n_blocks) break;
        block_out *o = &j->blocks[b];
        size_t t0 = j->bstart[b], t1 = j->bstart[b + 1];
        for (size_t t = t0; t < t1; t++) {
            const char *text = j->texts[t];
            if (text == NULL && j->lens[t] > 0) {
                st = llmd_fail(LLMD_ERR_INVALID_ARG, "encode_batch: text %zu is NULL", t);
                break;
            }
            st = encode_text(j->tok, c, text ? text : "", j->lens[t], j->flags);
            if (st != LLMD_OK) {
                st = llmd_error_prefix("encode_batch: text %zu", t);
                break;
            }
            if (o->n + c->n_ids > o->cap) {
                size_t nc = o->cap ? o->cap * 2 : 4096;
                while (nc < o->n + c->n_ids) nc *= 2;
                uint32_t *ni = llmd_realloc(o->ids, o->cap * sizeof *ni, nc * sizeof *ni);
                if (ni == NULL) {
                    st = llmd_fail_nomem("token ids");
                    break;
                }
                o->ids = ni;
                o->cap = nc;
            }
            if (c->n_ids) memcpy(o->ids + o->n, c->ids, c->n_ids * sizeof *c->ids);
            o->n += c->n_ids;
            j->counts[t] = c->n_ids;
        }
    }
    if (st != LLMD_OK) atomic_store(&j->failed, true);
    llmd_tok_ctx_put(j->tok, c);
    return st;
}

llmd_status llmd_tokenizer_encode_batch(const llmd_tokenizer *tok, const char *const *texts, const size_t *lens,
                                        size_t n, unsigned flags, unsigned threads, uint32_t **ids,
                                        size_t **doc_offsets) {
    if (ids) *ids = NULL;
    if (doc_offsets) *doc_offsets = NULL;
    if (tok == NULL || ids == NULL || doc_offsets == NULL || (n > 0 && (texts == NULL || lens == NULL)))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_tokenizer_encode_batch: NULL argument");
    if (threads == 0) threads = llmd_cpu_count();
    batch_job j;
    memset(&j, 0, sizeof j);
    j.tok = tok;
    j.texts = texts;
    j.lens = lens;
    j.flags = flags;
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, false);
    size_t total = 0;
    for (size_t t = 0; t < n; t++) total += lens[t];
    size_t target = total / ((size_t)threads * 32 + 1);
    if (target < (64u << 10)) target = 64u << 10;
    size_t *bstart = llmd_malloc((n + 2) * sizeof *bstart);
    j.blocks = llmd_calloc(n ? n : 1, sizeof *j.blocks);
    j.counts = llmd_calloc(n ? n : 1, sizeof *j.counts);
    size_t *offs = llmd_malloc((n + 1) * sizeof *offs);
    llmd_status st = (bstart && j.blocks && j.counts && offs) ? LLMD_OK : llmd_fail_nomem("batch encode");
    size_t blocks = 0;
    if (st == LLMD_OK) {
        size_t acc = 0;
        bstart[0] = 0;
        for (size_t t = 0; t < n; t++) {
            acc += lens[t];
            if (acc >= target || t + 1 == n) {
                bstart[++blocks] = t + 1;
                acc = 0;
            }
        }
        j.bstart = bstart;
        j.n_blocks = blocks;
    }
    unsigned workers = threads < blocks ? threads : (unsigned)blocks;
    if (st == LLMD_OK && blocks > 0) st = llmd_parallel_ranges(workers, workers, encode_block, &j);
    uint32_t *all = NULL;
    if (st == LLMD_OK) {
        offs[0] = 0;
        for (size_t t = 0; t < n; t++) offs[t + 1] = offs[t] + j.counts[t];
        all = llmd_malloc((offs[n] ? offs[n] : 1) * sizeof *all);
        if (all == NULL) st = llmd_fail_nomem("token ids");
    }
    if (st == LLMD_OK) {
        size_t at = 0;
        for (size_t b = 0; b < blocks; b++) {
            if (j.blocks[b].n) memcpy(all + at, j.blocks[b].ids, j.blocks[b].n * sizeof *all);
            at += j.blocks[b].n;
        }
        *ids = all;
        *doc_offsets = offs;
        offs = NULL;
    }
    if (j.blocks)
        for (size_t b = 0; b < blocks; b++) llmd_free(j.blocks[b].ids);
    llmd_free(j.blocks);
    llmd_free(j.counts);
    llmd_free(offs);
    llmd_free(bstart);
    return st;
}
