/* Sequence packing: greedy and best-fit-decreasing (see include/llmdata/pack.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "llmdata/pack.h"

#define PACK_MAX_SEQ_LEN (1u << 24)

/* ---- capacity bitmap tree: smallest set index >= x in O(log64 n) ------------------------------ */
typedef struct captree {
    unsigned levels;
    size_t nwords[6];
    uint64_t *w[6];
} captree;

static llmd_status captree_init(captree *t, size_t nbits) {
    memset(t, 0, sizeof *t);
    size_t n = nbits;
    do {
        size_t words = (n + 63) / 64;
        t->w[t->levels] = llmd_calloc(words, sizeof(uint64_t));
        if (t->w[t->levels] == NULL) return llmd_fail_nomem("packing capacity index");
        t->nwords[t->levels] = words;
        t->levels++;
        n = words;
    } while (n > 1 && t->levels < 6);
    return LLMD_OK;
}

static void captree_free(captree *t) {
    for (unsigned i = 0; i < t->levels; i++) llmd_free(t->w[i]);
    memset(t, 0, sizeof *t);
}

static void captree_set(captree *t, size_t i) {
    for (unsigned l = 0; l < t->levels; l++) {
        uint64_t *wp = &t->w[l][i >> 6];
        bool was_zero = *wp == 0;
        *wp |= 1ull << (i & 63);
        if (!was_zero) return;
        i >>= 6;
    }
}

static void captree_clear(captree *t, size_t i) {
    for (unsigned l = 0; l < t->levels; l++) {
        uint64_t *wp = &t->w[l][i >> 6];
        *wp &= ~(1ull << (i & 63));
        if (*wp != 0) return;
        i >>= 6;
    }
}

/* Smallest set index >= x, or SIZE_MAX. */
static size_t captree_next(const captree *t, size_t x) {
    unsigned l = 0;
    size_t i = x;
    for (;;) {
        if (l >= t->levels) return SIZE_MAX;
        size_t w = i >> 6;
        if (w >= t->nwords[l]) return SIZE_MAX;
        uint64_t m = t->w[l][w] & (~0ull << (i & 63));
        if (m) {
            i = (w << 6) + (size_t)__builtin_ctzll(m);
            break;
        }
        i = w + 1;
        l++;
    }
    while (l > 0) {
        l--;
        i = (i << 6) + (size_t)__builtin_ctzll(t->w[l][i]);
    }
    return i;
}

/* ---- packer ------------------------------------------------------------------------------------- */
typedef struct piece {
    size_t off;       /* into btok */
    uint32_t len;
    uint32_t doc_off; /* offset within the document's token sequence */
    uint64_t doc;
    uint32_t next;    /* next piece in the same bin */
} piece;

typedef struct bin {
    uint32_t rem, first, last, next_same; /* next_same: stack of bins with equal remaining space */
} bin;

typedef enum packer_state { PACKER_OPEN, PACKER_FINISHED, PACKER_FAILED } packer_state;

struct llmd_packer {
    llmd_pack_options o;
    llmd_pack_window_fn fn;
    void *ctx;
    llmd_pack_stats st;
    packer_state state;
    uint32_t L;
    /* window under construction */
    uint32_t *tok, *cu, *seg_off;
    uint64_t *seg_doc;
    uint32_t pos, nseg;
    /* best-fit buffer */
    uint32_t *btok;
    size_t bcap, blen;
    piece *pcs;
    size_t npcs, pcs_cap;
    uint32_t *order;
    bin *bins;
    size_t bins_cap;
    uint32_t *cap_head; /* L+1 entries: top bin with that remaining space */
    captree tree;
};

static const size_t pack_opt_sizes[] = {sizeof(llmd_pack_options)};

void llmd_pack_options_init(llmd_pack_options *opts) {
    if (opts == NULL) return;
    llmd_pack_options d = LLMD_PACK_OPTIONS_INIT;
    *opts = d;
}

const char *llmd_pack_strategy_name(llmd_pack_strategy strategy) {
    switch (strategy) {
    case LLMD_PACK_GREEDY: return "greedy";
    case LLMD_PACK_BEST_FIT: return "best-fit";
    default: return NULL;
    }
}

llmd_status llmd_pack_strategy_parse(const char *name, llmd_pack_strategy *strategy) {
    if (name == NULL || strategy == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "pack strategy: NULL argument");
    if (strcmp(name, "greedy") == 0) *strategy = LLMD_PACK_GREEDY;
    else if (strcmp(name, "best-fit") == 0 || strcmp(name, "bfd") == 0 || strcmp(name, "best_fit") == 0)
        *strategy = LLMD_PACK_BEST_FIT;
    else
        return llmd_fail(LLMD_ERR_INVALID_ARG, "unknown pack strategy '%s' (greedy, best-fit)", name);
    return LLMD_OK;
}

void llmd_packer_free(llmd_packer *p) {
    if (p == NULL) return;
    llmd_free(p->tok);
    llmd_free(p->cu);
    llmd_free(p->seg_off);
    llmd_free(p->seg_doc);
    llmd_free(p->btok);
    llmd_free(p->pcs);
    llmd_free(p->order);
    llmd_free(p->bins);
    llmd_free(p->cap_head);
    captree_free(&p->tree);
    llmd_free(p);
}

static llmd_status check_special(const char *what, int64_t id, uint64_t vocab) {
    if (id < -1 || id > (int64_t)UINT32_MAX)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pack options: %s %lld out of range", what, (long long)id);
    if (id >= 0 && vocab != 0 && (uint64_t)id >= vocab)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pack options: %s %lld is not below vocab_size %llu", what,
                         (long long)id, (unsigned long long)vocab);
    return LLMD_OK;
}

llmd_status llmd_packer_new(llmd_packer **out, const llmd_pack_options *opts, llmd_pack_window_fn fn,
                            void *ctx) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_packer_new: out is NULL");
    *out = NULL;
    if (fn == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_packer_new: window callback is NULL");
    llmd_pack_options o;
    llmd_status st = llmd_options_copy(&o, opts, pack_opt_sizes, LLMD_PACK_OPTIONS_VERSION, "llmd_pack_options");
    if (st != LLMD_OK) return st;
    if (opts == NULL) llmd_pack_options_init(&o);
    if (o.seq_len == 0 || o.seq_len > PACK_MAX_SEQ_LEN)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pack options: seq_len %u not in 1..%u", o.seq_len, PACK_MAX_SEQ_LEN);
    if (llmd_pack_strategy_name(o.strategy) == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pack options: unknown strategy %d", (int)o.strategy);
    if ((st = check_special("bos_id", o.bos_id, o.vocab_size)) != LLMD_OK) return st;
    if ((st = check_special("eos_id", o.eos_id, o.vocab_size)) != LLMD_OK) return st;
    if ((st = check_special("pad_id", o.pad_id, o.vocab_size)) != LLMD_OK) return st;
    if (o.strategy == LLMD_PACK_BEST_FIT && o.pad_id < 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG,
                         "pack options: best-fit packing pads windows that are not full: set pad_id");
    if (o.buffer_windows == 0) o.buffer_windows = 1;

    llmd_packer *p = llmd_calloc(1, sizeof *p);
    if (p == NULL) return llmd_fail_nomem("packer");
    p->o = o;
    p->fn = fn;
    p->ctx = ctx;
    p->L = o.seq_len;
    size_t L = o.seq_len;
    p->tok = llmd_malloc(L * sizeof *p->tok);
    p->cu = llmd_malloc((L + 2) * sizeof *p->cu);
    p->seg_off = llmd_malloc((L + 1) * sizeof *p->seg_off);
    p->seg_doc = llmd_malloc((L + 1) * sizeof *p->seg_doc);
    if (!p->tok || !p->cu || !p->seg_off || !p->seg_doc) {
        llmd_packer_free(p);
        return llmd_fail_nomem("packer window");
    }
    if (o.strategy == LLMD_PACK_BEST_FIT) {
        if (!llmd_mul_ok(L, o.buffer_windows, &p->bcap)) {
            llmd_packer_free(p);
            return llmd_fail(LLMD_ERR_INVALID_ARG, "pack options: buffer too large");
        }
        p->btok = llmd_malloc(p->bcap * sizeof *p->btok);
        p->cap_head = llmd_malloc((L + 1) * sizeof *p->cap_head);
        if (p->btok == NULL || p->cap_head == NULL) {
            llmd_packer_free(p);
            return llmd_fail_nomem("best-fit buffer");
        }
        for (size_t i = 0; i <= L; i++) p->cap_head[i] = UINT32_MAX;
        if ((st = captree_init(&p->tree, L + 1)) != LLMD_OK) {
            llmd_packer_free(p);
            return st;
        }
    }
    *out = p;
    return LLMD_OK;
}

/* Copies tokens [start, start+len) of the virtual sequence [BOS] ids [EOS]. */
static void copy_virtual(uint32_t *dst, const llmd_packer *p, const uint32_t *ids, size_t n, size_t start,
                         size_t len) {
    size_t has_bos = p->o.bos_id >= 0;
    size_t end = start + len;
    if (has_bos && start == 0 && len > 0) {
        *dst++ = (uint32_t)p->o.bos_id;
        start = 1;
    }
    /* ids occupy [has_bos, has_bos+n) */
    size_t a = start - has_bos, b = end - has_bos;
    if (b > n) b = n;
    if (a < b) {
        memcpy(dst, ids + a, (b - a) * sizeof *ids);
        dst += b - a;
    }
    if (p->o.eos_id >= 0 && end == has_bos + n + 1) *dst = (uint32_t)p->o.eos_id;
}

static llmd_status emit(llmd_packer *p) {
    uint32_t L = p->L;
    p->cu[0] = 0;
    uint32_t real = p->pos;
    if (real < L) {
        for (uint32_t i = real; i < L; i++) p->tok[i] = (uint32_t)p->o.pad_id;
        p->st.pad_tokens += L - real;
    }
    /* cu[k+1] already holds each segment's end */
    llmd_pack_window w = {p->tok, L, p->nseg, p->cu, p->seg_doc, p->seg_off};
    p->st.windows++;
    p->st.tokens_out += real;
    p->pos = 0;
    p->nseg = 0;
    llmd_status st = p->fn(p->ctx, &w);
    if (st != LLMD_OK) {
        p->state = PACKER_FAILED;
        if (llmd_last_error_status() == LLMD_OK) llmd_fail(st, "pack window callback failed");
    }
    return st;
}

/* Appends a run of a document to the window under construction (no emission). */
static void put_segment(llmd_packer *p, const uint32_t *ids, size_t n, uint64_t doc, size_t start, size_t len) {
    copy_virtual(p->tok + p->pos, p, ids, n, start, len);
    p->seg_doc[p->nseg] = doc;
    p->seg_off[p->nseg] = (uint32_t)start;
    p->pos += (uint32_t)len;
    p->nseg++;
    p->cu[p->nseg] = p->pos;
}

static llmd_status greedy_add(llmd_packer *p, const uint32_t *ids, size_t n, size_t total, uint64_t doc) {
    size_t done = 0;
    int windows_touched = 0;
    while (done < total) {
        size_t room = p->L - p->pos;
        size_t take = total - done < room ? total - done : room;
        put_segment(p, ids, n, doc, done, take);
        done += take;
        windows_touched++;
        if (p->pos == p->L) {
            llmd_status st = emit(p);
            if (st != LLMD_OK) return st;
            if (done < total) continue;
        }
    }
    if (windows_touched > 1) p->st.docs_truncated++;
    return LLMD_OK;
}

/* ---- best fit ------------------------------------------------------------------------------------ */
static int piece_cmp_ctx_len(const piece *pcs, uint32_t a, uint32_t b) {
    if (pcs[a].len != pcs[b].len) return pcs[a].len > pcs[b].len ? -1 : 1;
    return a < b ? -1 : (a > b);
}

/* Sorts order[] by decreasing length (stable by index): counting sort over lengths 1..L. */
static llmd_status sort_pieces(llmd_packer *p) {
    size_t n = p->npcs;
    for (size_t i = 0; i < n; i++) p->order[i] = (uint32_t)i;
    if (n < 64) {
        for (size_t i = 1; i < n; i++) {
            uint32_t v = p->order[i];
            size_t j = i;
            while (j > 0 && piece_cmp_ctx_len(p->pcs, v, p->order[j - 1]) < 0) {
                p->order[j] = p->order[j - 1];
                j--;
            }
            p->order[j] = v;
        }
        return LLMD_OK;
    }
    uint32_t *cnt = llmd_calloc((size_t)p->L + 2, sizeof *cnt);
    if (cnt == NULL) return llmd_fail_nomem("best-fit sort");
    for (size_t i = 0; i < n; i++) cnt[p->L - p->pcs[i].len]++;
    uint32_t sum = 0;
    for (size_t k = 0; k <= p->L; k++) {
        uint32_t c = cnt[k];
        cnt[k] = sum;
        sum += c;
    }
    for (size_t i = 0; i < n; i++) p->order[cnt[p->L - p->pcs[i].len]++] = (uint32_t)i;
    llmd_free(cnt);
    return LLMD_OK;
}

static void cap_push(llmd_packer *p, uint32_t b) {
    uint32_t c = p->bins[b].rem;
    if (p->cap_head[c] == UINT32_MAX) captree_set(&p->tree, c);
    p->bins[b].next_same = p->cap_head[c];
    p->cap_head[c] = b;
}

static void cap_pop(llmd_packer *p, uint32_t c) {
    uint32_t b = p->cap_head[c];
    p->cap_head[c] = p->bins[b].next_same;
    if (p->cap_head[c] == UINT32_MAX) captree_clear(&p->tree, c);
}

static llmd_status bfd_flush(llmd_packer *p) {
    size_t n = p->npcs;
    if (n == 0) return LLMD_OK;
    llmd_status st = sort_pieces(p);
    if (st != LLMD_OK) return st;
    if (p->bins_cap < n) {
        bin *nb = llmd_realloc(p->bins, p->bins_cap * sizeof *nb, n * sizeof *nb);
        if (nb == NULL) return llmd_fail_nomem("best-fit bins");
        p->bins = nb;
        p->bins_cap = n;
    }
    uint32_t nbins = 0;
    for (size_t k = 0; k < n; k++) {
        uint32_t pi = p->order[k];
        piece *pc = &p->pcs[pi];
        pc->next = UINT32_MAX;
        size_t c = captree_next(&p->tree, pc->len);
        uint32_t b;
        if (c == SIZE_MAX) {
            b = nbins++;
            p->bins[b].rem = p->L;
            p->bins[b].first = pi;
        } else {
            b = p->cap_head[c];
            cap_pop(p, (uint32_t)c);
            p->pcs[p->bins[b].last].next = pi;
        }
        p->bins[b].last = pi;
        p->bins[b].rem -= pc->len;
        if (p->bins[b].rem > 0) cap_push(p, b);
    }
    /* empty the capacity index */
    for (uint32_t b = 0; b < nbins; b++) {
        uint32_t c = p->bins[b].rem;
        if (c > 0 && p->cap_head[c] != UINT32_MAX) {
            p->cap_head[c] = UINT32_MAX;
            captree_clear(&p->tree, c);
        }
    }
    for (uint32_t b = 0; b < nbins; b++) {
        for (uint32_t pi = p->bins[b].first; pi != UINT32_MAX; pi = p->pcs[pi].next) {
            const piece *pc = &p->pcs[pi];
            memcpy(p->tok + p->pos, p->btok + pc->off, pc->len * sizeof(uint32_t));
            p->seg_doc[p->nseg] = pc->doc;
            p->seg_off[p->nseg] = pc->doc_off;
            p->pos += pc->len;
            p->nseg++;
            p->cu[p->nseg] = p->pos;
        }
        if ((st = emit(p)) != LLMD_OK) return st;
    }
    p->npcs = 0;
    p->blen = 0;
    return LLMD_OK;
}

static llmd_status bfd_add(llmd_packer *p, const uint32_t *ids, size_t n, size_t total, uint64_t doc) {
    size_t L = p->L, done = 0;
    llmd_status st;
    if (total > L) {
        p->st.docs_truncated++;
        while (total - done >= L) {
            put_segment(p, ids, n, doc, done, L);
            done += L;
            if ((st = emit(p)) != LLMD_OK) return st;
        }
    }
    size_t rest = total - done;
    if (rest == 0) return LLMD_OK;
    if (p->blen + rest > p->bcap && (st = bfd_flush(p)) != LLMD_OK) return st;
    if (p->npcs == p->pcs_cap) {
        size_t nc = p->pcs_cap ? 2 * p->pcs_cap : 1024;
        piece *np = llmd_realloc(p->pcs, p->pcs_cap * sizeof *np, nc * sizeof *np);
        if (np == NULL) return llmd_fail_nomem("best-fit pieces");
        p->pcs = np;
        uint32_t *no = llmd_realloc(p->order, p->pcs_cap * sizeof *no, nc * sizeof *no);
        if (no == NULL) return llmd_fail_nomem("best-fit order");
        p->order = no;
        p->pcs_cap = nc;
    }
    piece *pc = &p->pcs[p->npcs++];
    pc->off = p->blen;
    pc->len = (uint32_t)rest;
    pc->doc_off = (uint32_t)done;
    pc->doc = doc;
    copy_virtual(p->btok + p->blen, p, ids, n, done, rest);
    p->blen += rest;
    return LLMD_OK;
}

llmd_status llmd_packer_add(llmd_packer *p, const uint32_t *ids, size_t n) {
    if (p == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_packer_add: packer is NULL");
    if (p->state != PACKER_OPEN)
        return llmd_fail(LLMD_ERR_STATE, "llmd_packer_add: packer is %s", p->state == PACKER_FINISHED ? "finished" : "failed");
    if (n > 0 && ids == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_packer_add: ids is NULL");
    uint64_t doc = p->st.docs_in;
    if (p->o.vocab_size != 0) {
        uint64_t v = p->o.vocab_size;
        uint32_t mx = 0;
        for (size_t i = 0; i < n; i++) mx = ids[i] > mx ? ids[i] : mx;
        if (n > 0 && mx >= v) {
            for (size_t i = 0; i < n; i++)
                if (ids[i] >= v)
                    return llmd_fail(LLMD_ERR_RANGE, "document %llu: token %zu: id %u is not below vocab_size %llu",
                                     (unsigned long long)doc, i, ids[i], (unsigned long long)v);
        }
    }
    size_t total = n + (p->o.bos_id >= 0) + (p->o.eos_id >= 0);
    p->st.docs_in++;
    p->st.tokens_in += total;
    if (total == 0) return LLMD_OK;
    llmd_status st = p->o.strategy == LLMD_PACK_GREEDY ? greedy_add(p, ids, n, total, doc)
                                                       : bfd_add(p, ids, n, total, doc);
    if (st != LLMD_OK) p->state = PACKER_FAILED;
    return st;
}

llmd_status llmd_packer_finish(llmd_packer *p) {
    if (p == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_packer_finish: packer is NULL");
    if (p->state != PACKER_OPEN)
        return llmd_fail(LLMD_ERR_STATE, "llmd_packer_finish: packer is %s", p->state == PACKER_FINISHED ? "finished" : "failed");
    llmd_status st = LLMD_OK;
    if (p->o.strategy == LLMD_PACK_BEST_FIT) {
        st = bfd_flush(p);
    } else if (p->pos > 0) {
        if (p->o.pad_id >= 0) {
            st = emit(p);
        } else {
            p->st.dropped_tokens += p->pos;
            for (uint32_t k = 0; k < p->nseg; k++) {
                if (p->seg_off[k] == 0) p->st.docs_dropped++;
                else if (k == 0) { /* continuation: already counted as truncated */ }
            }
            p->pos = 0;
            p->nseg = 0;
        }
    }
    if (st != LLMD_OK) {
        p->state = PACKER_FAILED;
        return st;
    }
    p->state = PACKER_FINISHED;
    return LLMD_OK;
}

void llmd_packer_stats(const llmd_packer *p, llmd_pack_stats *stats) {
    if (stats == NULL) return;
    if (p == NULL) {
        memset(stats, 0, sizeof *stats);
        return;
    }
    *stats = p->st;
}

void llmd_pack_position_ids(const llmd_pack_window *w, uint32_t *out) {
    if (w == NULL || out == NULL) return;
    for (uint32_t k = 0; k < w->n_segments; k++)
        for (uint32_t t = w->cu_seqlens[k]; t < w->cu_seqlens[k + 1]; t++) out[t] = t - w->cu_seqlens[k];
    uint32_t real = w->n_segments ? w->cu_seqlens[w->n_segments] : 0;
    for (uint32_t t = real; t < w->seq_len; t++) out[t] = t - real;
}
