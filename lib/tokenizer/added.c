/* Added tokens: found in text leftmost-longest (as Hugging Face's Aho-Corasick automaton with
 * MatchKind::LeftmostLongest does), then single_word / lstrip / rstrip applied exactly as
 * AddedVocabulary::find_matches does. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

static const char *pat_of(const llmd_tokenizer *tok, uint32_t i, bool norm, size_t *len) {
    const llmd_tok_added *a = &tok->added[i];
    if (norm && a->norm) {
        *len = a->norm_len;
        return a->norm;
    }
    *len = a->len;
    return a->content;
}

typedef struct sort_key {
    uint8_t first;
    size_t len;
    uint32_t index;
} sort_key;

static int cmp_keys(const void *x, const void *y) {
    const sort_key *a = x, *b = y;
    if (a->first != b->first) return a->first < b->first ? -1 : 1;
    if (a->len != b->len) return a->len > b->len ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

llmd_status llmd_tok_matcher_build(llmd_tok_matcher *m, const llmd_tokenizer *tok, bool normalized) {
    memset(m, 0, sizeof *m);
    m->order = llmd_malloc((tok->n_added ? tok->n_added : 1) * sizeof *m->order);
    m->bucket_start = llmd_calloc(257, sizeof *m->bucket_start);
    if (m->order == NULL || m->bucket_start == NULL) return llmd_fail_nomem("added-token matcher");
    for (size_t i = 0; i < tok->n_added; i++) {
        size_t len;
        pat_of(tok, (uint32_t)i, normalized, &len);
        if (tok->added[i].normalized == normalized && len > 0) m->order[m->n++] = (uint32_t)i;
    }
    /* by first byte, then longest first (so the first match found is the longest), then index */
    sort_key *keys = llmd_malloc((m->n ? m->n : 1) * sizeof *keys);
    if (keys == NULL) return llmd_fail_nomem("added-token matcher");
    for (size_t i = 0; i < m->n; i++) {
        size_t len;
        keys[i].first = (uint8_t)pat_of(tok, m->order[i], normalized, &len)[0];
        keys[i].len = len;
        keys[i].index = m->order[i];
    }
    qsort(keys, m->n, sizeof *keys, cmp_keys);
    for (size_t i = 0; i < m->n; i++) m->order[i] = keys[i].index;
    llmd_free(keys);
    for (size_t i = 0; i < m->n; i++) {
        size_t len;
        uint8_t b = (uint8_t)pat_of(tok, m->order[i], normalized, &len)[0];
        m->first[b] = 1;
        m->bucket_start[b + 1]++;
    }
    for (int b = 0; b < 256; b++) m->bucket_start[b + 1] += m->bucket_start[b];
    return LLMD_OK;
}

void llmd_tok_matcher_free(llmd_tok_matcher *m) {
    llmd_free(m->order);
    llmd_free(m->bucket_start);
    memset(m, 0, sizeof *m);
}

/* Leftmost-longest match at or after pos: returns the added-token index or -1. */
static long next_match(const llmd_tokenizer *tok, const llmd_tok_matcher *m, bool norm, const uint8_t *s, size_t len,
                       size_t pos, size_t *mstart, size_t *mend) {
    for (size_t i = pos; i < len; i++) {
        if (!m->first[s[i]]) continue;
        for (uint32_t k = m->bucket_start[s[i]]; k < m->bucket_start[s[i] + 1]; k++) {
            size_t pl;
            const char *p = pat_of(tok, m->order[k], norm, &pl);
            if (pl <= len - i && memcmp(s + i, p, pl) == 0) {
                *mstart = i;
                *mend = i + pl;
                return (long)m->order[k];
            }
        }
    }
    return -1;
}

static uint32_t last_char(const uint8_t *s, size_t end) {
    size_t i = end;
    while (i > 0 && (s[i - 1] & 0xC0) == 0x80) i--;
    if (i > 0) i--;
    uint32_t cp;
    llmd_tok_u8(s, end, i, &cp);
    return cp;
}

static llmd_status push_seg(llmd_tok_seg **segs, size_t *n, size_t *cap, size_t a, size_t b, int64_t added) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 16;
        llmd_tok_seg *ns = llmd_realloc(*segs, *cap * sizeof *ns, nc * sizeof *ns);
        if (ns == NULL) return llmd_fail_nomem("segments");
        *segs = ns;
        *cap = nc;
    }
    (*segs)[(*n)++] = (llmd_tok_seg){a, b, added};
    return LLMD_OK;
}

llmd_status llmd_tok_find_added(const llmd_tokenizer *tok, const llmd_tok_matcher *m, const uint8_t *s, size_t len,
                                bool skip_special, llmd_tok_seg **segs, size_t *n, size_t *cap) {
    *n = 0;
    bool norm = m == &tok->match_norm;
    size_t start_offset = 0, pos = 0, ms, me;
    llmd_status st;
    while (m->n > 0 && pos < len) {
        long k = next_match(tok, m, norm, s, len, pos, &ms, &me);
        if (k < 0) break;
        pos = me;
        const llmd_tok_added *a = &tok->added[k];
        size_t start = ms, stop = me;
        if (skip_special && a->special) continue;
        if (a->single_word) {
            bool start_space = start == 0 || !llmd_tok_is_word(last_char(s, start));
            uint32_t cp = 0;
            if (stop < len) llmd_tok_u8(s, len, stop, &cp);
            bool stop_space = stop == len || !llmd_tok_is_word(cp);
            if (!start_space || !stop_space) continue;
        }
        if (a->lstrip) {
            size_t ns = start;
            while (ns > 0) {
                size_t i = ns;
                while (i > 0 && (s[i - 1] & 0xC0) == 0x80) i--;
                if (i > 0) i--;
                uint32_t cp;
                llmd_tok_u8(s, len, i, &cp);
                if (!llmd_tok_is_whitespace(cp)) break;
                ns = i;
            }
            start = ns > start_offset ? ns : start_offset;
        }
        if (a->rstrip) {
            while (stop < len) {
                uint32_t cp;
                size_t l = llmd_tok_u8(s, len, stop, &cp);
                if (!llmd_tok_is_whitespace(cp)) break;
                stop += l;
            }
        }
        if (start_offset < start && (st = push_seg(segs, n, cap, start_offset, start, -1)) != LLMD_OK) return st;
        if ((st = push_seg(segs, n, cap, start, stop, a->id)) != LLMD_OK) return st;
        start_offset = stop;
    }
    if (start_offset != len && (st = push_seg(segs, n, cap, start_offset, len, -1)) != LLMD_OK) return st;
    return LLMD_OK;
}
