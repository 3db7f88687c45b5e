/* N-gram statistics of GopherRepetitionFilter (see ngram.h).
 *
 * Top n-grams: n-grams are numbered level by level.  Level 1 numbers the distinct tokens (equal
 * bytes, equal id); level n+1 numbers the pairs (id of the n-gram at i, id of token i+n), an exact
 * 64-bit key, so no n-gram string is ever hashed or compared again.  An n-gram seen once cannot
 * have an extension seen twice, so each level only visits the starts whose n-gram repeats: on
 * ordinary text the levels shrink fast and n = 2, 3, 4 cost little more than one pass.
 *
 * Duplicate n-grams ("".join of n tokens, so different splits of the same characters match): the
 * greedy scan must stay as datatrove runs it, but most starts cannot take part.  If the 16 bytes
 * of the concatenation from start i occur at no other token start, and the n-gram at i is at least
 * 16 bytes long, then no other n-gram of any n' >= n equals the one at i (an equal one would be as
 * long and begin with the same 16 bytes).  Such a start is never a repeat and inserting it helps
 * no later lookup, so the scan skips it: one pass over 16-byte windows finds the starts that
 * remain, and each n then visits only those.
 *
 * Both checks first try a bound that needs no counting (see ngram.h): when it keeps the fraction
 * at or under the limit, datatrove's comparison is false too (division by the same positive
 * length is monotone in floating point), so the decision is the same.
 *
 * Every table lookup hashes bytes and then compares the bytes, so a hash collision costs a probe,
 * never a wrong count. */
#include <string.h>

#include "common/internal.h"
#include "filter/ngram.h"

#define REP_UNIQ UINT32_MAX
#define REP_WINDOW 16 /* bytes compared by the duplicate n-gram prefilter (= REP_CAT_PAD) */
#define REP_AHEAD 16  /* lookups whose slot is fetched ahead of their use */
#define REP_MUL 0x9E3779B97F4A7C15ull

/* A hash of p[0..len) from its first 16 and last 8 bytes and its length: equal byte strings get
 * equal hashes, which is all a lookup needs (the bytes themselves decide equality).  Reads 16
 * bytes from p whatever len is (the callers' buffers are padded). */
static inline uint64_t span_hash(const char *p, size_t len) {
    uint64_t a, b, c = 0;
    memcpy(&a, p, 8);
    memcpy(&b, p + 8, 8);
    if (len < 16) { /* keep the first len bytes */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        if (len < 8) { a = len ? a & (~0ull << (64 - 8 * len)) : 0; b = 0; }
        else b = len > 8 ? b & (~0ull << (128 - 8 * len)) : 0;
#else
        if (len < 8) { a = len ? a & (~0ull >> (64 - 8 * len)) : 0; b = 0; }
        else b = len > 8 ? b & (~0ull >> (128 - 8 * len)) : 0;
#endif
    } else {
        memcpy(&c, p + len - 8, 8);
    }
    uint64_t h = (a ^ len) * REP_MUL;
    h ^= (b + (h >> 32)) * 0xC2B2AE3D27D4EB4Full;
    h ^= (c + (h >> 29)) * 0x165667B19E3779F9ull;
    h ^= h >> 32;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

void rep_scratch_free(rep_scratch *r) {
    llmd_free(r->tid);
    llmd_free(r->lv);
    llmd_free(r->cnt);
    llmd_free(r->first);
    llmd_free(r->cand);
    llmd_free(r->dcand);
    llmd_free(r->hv);
    llmd_free(r->keys);
    llmd_free(r->vals);
    memset(r, 0, sizeof *r);
}

size_t rep_scratch_bytes(const rep_scratch *r) {
    return r->cap * (6 * sizeof(uint32_t) + sizeof(uint64_t)) + r->tcap * (sizeof(uint64_t) + sizeof(uint32_t));
}

static bool grow_u32(uint32_t **p, size_t old, size_t n) {
    uint32_t *v = llmd_realloc(*p, old * sizeof *v, n * sizeof *v);
    if (v == NULL) return false;
    *p = v;
    return true;
}

/* Room for per-token arrays of `need` entries. */
static bool scratch_reserve(rep_scratch *r, size_t need) {
    if (need <= r->cap) return true;
    size_t nc = r->cap ? r->cap : 1024;
    while (nc < need) nc *= 2;
    if (!grow_u32(&r->tid, r->cap, nc) || !grow_u32(&r->lv, r->cap, nc) || !grow_u32(&r->cnt, r->cap, nc) ||
        !grow_u32(&r->first, r->cap, nc) || !grow_u32(&r->cand, r->cap, nc) || !grow_u32(&r->dcand, r->cap, nc))
        return false;
    uint64_t *h = llmd_realloc(r->hv, r->cap * sizeof *h, nc * sizeof *h);
    if (h == NULL) return false;
    r->hv = h;
    r->cap = nc;
    return true;
}

/* Empties the table with room for `expected` keys at most half full (only the part in use is
 * cleared: a table grown by a long document stays cheap for short ones). */
static bool table_reset(rep_scratch *r, size_t expected) {
    size_t want = 64;
    unsigned bits = 6;
    while (want < 2 * expected) { want *= 2; bits++; }
    if (want > r->tcap) {
        uint64_t *k = llmd_realloc(r->keys, r->tcap * sizeof *k, want * sizeof *k);
        if (k == NULL) return false;
        r->keys = k;
        uint32_t *v = llmd_realloc(r->vals, r->tcap * sizeof *v, want * sizeof *v);
        if (v == NULL) return false;
        r->vals = v;
        r->tcap = want;
    }
    memset(r->vals, 0, want * sizeof *r->vals);
    r->tmask = want - 1;
    r->tshift = 64 - bits;
    return true;
}

/* The same table used as one array of packed slots: the hash's high half as a tag and value + 1
 * in the low half (0 = empty), one load per probe. */
#define TAG_MASK 0xFFFFFFFF00000000ull
static bool table_reset_packed(rep_scratch *r, size_t expected) {
    if (!table_reset(r, expected)) return false;
    memset(r->keys, 0, (r->tmask + 1) * sizeof *r->keys);
    return true;
}

static inline size_t slot_of(const rep_scratch *r, uint64_t key) { return (size_t)((key * REP_MUL) >> r->tshift); }

static inline void prefetch_slot(const rep_scratch *r, uint64_t key) {
    size_t s = slot_of(r, key);
    __builtin_prefetch(&r->vals[s]);
    __builtin_prefetch(&r->keys[s]);
}

static inline bool token_eq(const rep_tokens *t, size_t a, size_t b) {
    size_t la = t->coff[a + 1] - t->coff[a];
    return la == t->coff[b + 1] - t->coff[b] && memcmp(t->cat + t->coff[a], t->cat + t->coff[b], la) == 0;
}

/* The most repeated id of the level (ties: the smaller id, i.e. the one seen first). */
static void level_best(rep_scratch *r, size_t nids) {
    size_t bc = 0, bf = 0;
    for (size_t id = 0; id < nids; id++)
        if (r->cnt[id] >= 2 && r->cnt[id] > bc) { bc = r->cnt[id]; bf = r->first[id]; }
    r->bcount = bc;
    r->bfirst = bf;
}

/* Level 1: token ids; the candidates are the tokens seen twice or more. */
static bool level_tokens(rep_scratch *r, const rep_tokens *t) {
    size_t nw = t->n;
    if (!table_reset_packed(r, nw)) return false;
    uint64_t *hv = r->hv;
    for (size_t i = 0; i < nw; i++) hv[i] = span_hash(t->cat + t->coff[i], t->coff[i + 1] - t->coff[i]);
    uint32_t nids = 0;
    uint64_t *slots = r->keys;
    size_t mask = r->tmask;
    for (size_t i = 0; i < nw; i++) {
        if (i + REP_AHEAD < nw) __builtin_prefetch(&slots[slot_of(r, hv[i + REP_AHEAD])]);
        uint64_t h = hv[i], tag = h & TAG_MASK;
        for (size_t s = slot_of(r, h);; s = (s + 1) & mask) {
            uint64_t v = slots[s];
            if (v == 0) {
                slots[s] = tag | (nids + 1);
                r->cnt[nids] = 1;
                r->first[nids] = (uint32_t)i;
                r->tid[i] = nids++;
                break;
            }
            uint32_t id = (uint32_t)v - 1;
            if ((v & TAG_MASK) == tag && token_eq(t, r->first[id], i)) { /* the hash only picks the slot */
                r->cnt[id]++;
                r->tid[i] = id;
                break;
            }
        }
    }
    level_best(r, nids);
    size_t m1 = 0;
    for (size_t id = 0; id < nids; id++) {
        size_t f = r->first[id], v = (size_t)r->cnt[id] * (t->cpre[f + 1] - t->cpre[f] + 1);
        if (v > m1) m1 = v;
    }
    r->m1 = m1;
    size_t nc = 0;
    for (size_t i = 0; i < nw; i++) {
        uint32_t id = r->tid[i];
        if (r->cnt[id] < 2) {
            r->tid[i] = REP_UNIQ;
        } else {
            r->lv[i] = id;
            r->cand[nc++] = (uint32_t)i;
        }
    }
    r->ncand = nc;
    r->level = 1;
    return true;
}

/* The key of the (level + 1)-gram at i: (id of the level-gram at i, id of token i + level), or 0
 * when that token occurs once (then the n-gram does too). */
static inline uint64_t next_key(const rep_scratch *r, size_t i) {
    uint32_t b = r->tid[i + r->level];
    return b == REP_UNIQ ? 0 : ((uint64_t)r->lv[i] + 1) << 32 | ((uint64_t)b + 1);
}

/* Level n -> n + 1 over the candidates. */
static bool level_next(rep_scratch *r, const rep_tokens *t) {
    size_t L = r->level, m = t->n - L, nc = r->ncand, kept = 0;
    uint32_t *cand = r->cand;
    while (nc > 0 && cand[nc - 1] >= m) nc--; /* candidates are ascending: drop those too late for n + 1 */
    if (!table_reset(r, nc)) return false;
    uint32_t nids = 0;
    for (size_t k = 0; k < nc; k++) {
        if (k + REP_AHEAD < nc) {
            uint64_t a = next_key(r, cand[k + REP_AHEAD]);
            if (a) prefetch_slot(r, a);
        }
        size_t i = cand[k];
        uint64_t key = next_key(r, i);
        if (key == 0) continue;
        for (size_t s = slot_of(r, key);; s = (s + 1) & r->tmask) {
            uint32_t v = r->vals[s];
            if (v == 0) {
                r->keys[s] = key;
                r->vals[s] = nids + 1;
                r->cnt[nids] = 1;
                r->first[nids] = (uint32_t)i;
                r->lv[i] = nids++;
                break;
            }
            if (r->keys[s] == key) {
                r->cnt[v - 1]++;
                r->lv[i] = v - 1;
                break;
            }
        }
        cand[kept++] = (uint32_t)i;
    }
    level_best(r, nids);
    nc = kept;
    kept = 0;
    for (size_t k = 0; k < nc; k++)
        if (r->cnt[r->lv[cand[k]]] >= 2) cand[kept++] = cand[k];
    r->ncand = kept;
    r->level = L + 1;
    return true;
}

static double frac_of(size_t num, size_t den) { return den ? (double)num / (double)den : 0.0; }

/* An upper bound of m1 without numbering the tokens: each token's hash counts in one of at least
 * 4 * nw counters, so a token's counter is at least its count (other tokens may share it). */
static bool sketch_m1(rep_scratch *r, const rep_tokens *t) {
    size_t nw = t->n, size = 1024;
    unsigned bits = 10;
    while (size < 4 * nw) { size *= 2; bits++; }
    if (size > 2 * r->tcap && !table_reset(r, size / 4)) return false; /* the keys hold 2 counters each */
    uint32_t *ctr = (uint32_t *)(void *)r->keys;
    memset(ctr, 0, size * sizeof *ctr);
    unsigned sh = 64 - bits;
    uint64_t *hv = r->hv;
    for (size_t i = 0; i < nw; i++) {
        hv[i] = span_hash(t->cat + t->coff[i], t->coff[i + 1] - t->coff[i]) >> sh;
        ctr[hv[i]]++;
    }
    size_t m = 1;
    for (size_t i = 0; i < nw; i++) {
        size_t v = (size_t)ctr[hv[i]] * (t->cpre[i + 1] - t->cpre[i] + 1);
        if (v > m) m = v;
    }
    r->m1_bound = m;
    return true;
}

bool rep_top_exceeds(rep_scratch *r, const rep_tokens *t, size_t n, size_t text_chars, double limit, bool *exceeds) {
    *exceeds = false;
    if (n == 0 || t->n < n || text_chars == 0) return true;
    if (!scratch_reserve(r, t->n + 1)) return false;
    /* the bound: the division is monotone, so a bound not over the limit proves the count is not;
     * first from the sketch, then from the exact counts */
    if (n > 1) {
        if (r->m1_bound == 0 && !sketch_m1(r, t)) return false;
        if (r->m1_bound <= SIZE_MAX / n && !(frac_of(n * r->m1_bound, text_chars) > limit)) return true;
    }
    if (r->level == 0 || r->level > n) {
        if (!level_tokens(r, t)) return false;
    }
    if (n > 1 && r->m1 <= SIZE_MAX / n && !(frac_of(n * r->m1, text_chars) > limit)) return true;
    while (r->level < n) {
        if (r->ncand == 0) { /* nothing repeats at this level, so nothing longer does */
            r->level = n;
            r->bcount = 0;
            break;
        }
        if (!level_next(r, t)) return false;
    }
    /* every n-gram seen once: Counter.most_common gives the first one */
    size_t count = r->bcount >= 2 ? r->bcount : 1, first = r->bcount >= 2 ? r->bfirst : 0;
    *exceeds = frac_of((t->cpre[first + n] - t->cpre[first] + (n - 1)) * count, text_chars) > limit;
    return true;
}

/* ------------------------------------------------------------------------ duplicate n-grams */

/* Hash of the 16 bytes at p (the caller keeps REP_CAT_PAD bytes readable). */
static inline uint64_t window16(const char *p) {
    uint64_t x, y;
    memcpy(&x, p, 8);
    memcpy(&y, p + 8, 8);
    uint64_t h = (x * REP_MUL) ^ (y * 0xC2B2AE3D27D4EB4Full);
    h ^= h >> 32;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 29);
}

/* Bitmaps of "window hash seen once" and "seen twice" (a set bit in twice: that hash, maybe that
 * window, occurs at two or more token starts).  No window is stored or compared: a hash seen once
 * is proof enough that its window occurs once, and a collision only keeps a start a candidate. */
static inline void seen_add(uint64_t *once, uint64_t *twice, size_t b) {
    uint64_t bit = 1ull << (b & 63);
    twice[b >> 6] |= once[b >> 6] & bit;
    once[b >> 6] |= bit;
}
static inline bool seen_twice(const uint64_t *twice, size_t b) { return (twice[b >> 6] >> (b & 63)) & 1; }

/* dcand: the starts i < nw - nmin + 1 whose n-grams (n >= nmin) may equal another's.  A start is
 * left out when its nmin-gram is at least 16 bytes long and the 16 bytes from it occur at no other
 * token start. */
static bool dup_prepare(rep_scratch *r, const rep_tokens *t, size_t nmin) {
    size_t nw = t->n;
    const size_t *coff = t->coff;
    const char *cat = t->cat;
    /* two bitmaps of 2^bits bits, at least 32 per token: few collisions */
    size_t nbits = 1024;
    unsigned bits = 10;
    while (nbits < 32 * nw) { nbits *= 2; bits++; }
    size_t words = nbits / 64;
    if (2 * words > r->tcap) { /* the table's key array is reused for the bitmaps */
        if (!table_reset(r, words)) return false;
    }
    uint64_t *once = r->keys, *twice = once + words, *hv = r->hv;
    memset(once, 0, 2 * words * sizeof *once);
    unsigned sh = 64 - bits;
    for (size_t i = 0; i < nw; i++) {
        hv[i] = window16(cat + coff[i]) >> sh;
        seen_add(once, twice, (size_t)hv[i]);
    }
    size_t m = nw >= nmin ? nw - nmin + 1 : 0, nc = 0;
    for (size_t i = 0; i < m; i++)
        if (coff[i + nmin] - coff[i] < REP_WINDOW || seen_twice(twice, (size_t)hv[i])) r->dcand[nc++] = (uint32_t)i;
    r->ndcand = nc;
    r->dmin = nmin;
    return true;
}

/* Characters of the union of [i, i + n) over the candidate starts i < m: no greedy count can
 * exceed it (its repeats are candidates, their n words do not overlap). */
static size_t dup_cover(const rep_scratch *r, const rep_tokens *t, size_t n, size_t nc) {
    size_t cover = 0, a = 0, e = 0;
    for (size_t k = 0; k < nc; k++) {
        size_t i = r->dcand[k];
        if (i > e) {
            cover += t->cpre[e] - t->cpre[a];
            a = i;
        }
        e = i + n;
    }
    return cover + (t->cpre[e] - t->cpre[a]);
}

bool rep_dup_exceeds(rep_scratch *r, const rep_tokens *t, size_t n, size_t nmin, size_t text_chars, double limit,
                     bool *exceeds) {
    *exceeds = false;
    size_t nw = t->n;
    if (n == 0 || nw < n || text_chars == 0) return true;
    if (nmin == 0 || nmin > n) nmin = n;
    if (!scratch_reserve(r, nw + 1)) return false;
    if (r->dmin != nmin && !dup_prepare(r, t, nmin)) return false;
    const size_t *coff = t->coff, *cpre = t->cpre;
    size_t m = nw - n + 1, nc = r->ndcand;
    const uint32_t *cand = r->dcand;
    while (nc > 0 && cand[nc - 1] >= m) nc--;
    if (!(frac_of(dup_cover(r, t, n, nc), text_chars) > limit)) return true;
    /* the hash of every candidate's n-gram first, so lookups can prefetch (of its bytes: the same
     * for the same characters whatever the token boundaries) */
    uint64_t *hv = r->hv;
    for (size_t k = 0; k < nc; k++) {
        size_t i = cand[k];
        hv[k] = span_hash(t->cat + coff[i], coff[i + n] - coff[i]);
    }
    if (!table_reset_packed(r, nc)) return false;
    uint64_t *slots = r->keys;
    size_t mask = r->tmask;
    size_t rep = 0, next = 0; /* next: the first start the greedy scan visits (after a repeat's n) */
    for (size_t k = 0; k < nc; k++) {
        if (k + REP_AHEAD < nc) __builtin_prefetch(&slots[slot_of(r, hv[k + REP_AHEAD])]);
        size_t i = cand[k];
        if (i < next) continue; /* inside a repeat: datatrove skipped it */
        size_t off = coff[i], len = coff[i + n] - off;
        uint64_t h = hv[k], tag = h & TAG_MASK;
        bool seen = false;
        for (size_t s = slot_of(r, h);; s = (s + 1) & mask) {
            uint64_t v = slots[s];
            if (v == 0) {
                slots[s] = tag | (uint64_t)(i + 1);
                break;
            }
            if ((v & TAG_MASK) != tag) continue;
            size_t j = (uint32_t)v - 1; /* the hash only picks the slot: the bytes decide */
            if (coff[j + n] - coff[j] == len && memcmp(t->cat + coff[j], t->cat + off, len) == 0) {
                seen = true;
                break;
            }
        }
        if (seen) {
            rep += cpre[i + n] - cpre[i];
            next = i + n;
            if (frac_of(rep, text_chars) > limit) break; /* it only grows: the decision is known */
        }
    }
    *exceeds = frac_of(rep, text_chars) > limit;
    return true;
}
