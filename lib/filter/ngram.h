/* N-gram statistics of datatrove's GopherRepetitionFilter over word tokens (internal).
 *   top n-gram:       find_top_duplicate(get_n_grams(words, n)) -- n-grams are " ".join(words[i:i+n])
 *   duplicate n-gram: find_all_duplicate(words, n) -- n-grams are "".join(words[i:i+n]), counted
 *                     greedily left to right (a repeat skips its n words)
 * Both give exact results: every equality is decided on exact keys (token ids) or on the bytes
 * themselves; hashes only choose where to look. */
#ifndef LLMD_FILTER_NGRAM_H
#define LLMD_FILTER_NGRAM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tokens of one document as the n-gram functions read them. */
typedef struct rep_tokens {
    size_t n;            /* tokens */
    const char *cat;     /* the tokens concatenated; REP_CAT_PAD readable bytes follow cat[coff[n]] */
    const size_t *coff;  /* n + 1 offsets into cat (token i is cat[coff[i] .. coff[i+1])) */
    const size_t *cpre;  /* n + 1 prefix sums of the tokens' lengths in characters */
} rep_tokens;

/* Bytes of padding the caller keeps readable after the concatenation (any value). */
#define REP_CAT_PAD 16

/* Scratch reused across documents (zero-initialise; rep_scratch_free releases it). */
typedef struct rep_scratch {
    size_t cap;            /* entries of the per-token arrays */
    uint32_t *tid;         /* token ids (REP_UNIQ: a token seen once) */
    uint32_t *lv;          /* n-gram ids of the current level, at candidate starts */
    uint32_t *cnt, *first; /* per id of the current level: occurrences, first start */
    uint32_t *cand;        /* starts whose n-gram of the current level occurs twice or more */
    size_t ncand, level;   /* level: n of lv (0: nothing computed for this document) */
    uint32_t *dcand;       /* duplicate n-grams: starts that may repeat (see rep_dup_prepare) */
    size_t ndcand, dmin;   /* dmin: the n dcand was made for (0: not made) */
    uint64_t *hv;          /* duplicate n-grams: hash per candidate */
    size_t bcount, bfirst; /* the current level's most frequent n-gram (bcount < 2: none repeats) */
    size_t m1;             /* max over tokens of count * (characters + 1) (level 1) */
    size_t m1_bound;       /* an upper bound of m1 from a count sketch (0: not made) */
    uint64_t *keys;        /* open-addressing table: keys and values (value + 1; 0 = empty) */
    uint32_t *vals;
    size_t tcap, tmask;    /* allocated slots; slots in use - 1 */
    unsigned tshift;       /* 64 - log2(slots in use) */
} rep_scratch;

void rep_scratch_free(rep_scratch *r);
size_t rep_scratch_bytes(const rep_scratch *r);
/* Forgets the previous document (the memory is kept). */
static inline void rep_scratch_begin(rep_scratch *r) { r->level = 0; r->dmin = 0; r->m1_bound = 0; }

/* Whether find_top_duplicate(get_n_grams(words, n)) / text_chars > limit: the characters of the
 * most frequent n-gram times its count (ties: the first seen); false when there are fewer than n
 * tokens or text_chars is 0.  Counting is skipped when a bound already keeps it under the limit:
 * an n-gram seen c times has c <= count(w) for each of its words w, so its characters times c are
 * at most n * max over words of count(w) * (len(w) + 1).  False when memory ran out. */
bool rep_top_exceeds(rep_scratch *r, const rep_tokens *t, size_t n, size_t text_chars, double limit, bool *exceeds);

/* Whether find_all_duplicate(words, n) / text_chars > limit (the greedy count stops as soon as it
 * is).  nmin: the smallest n that will be asked of this document (it sizes a filter shared by all
 * of them).  Counting is skipped when the starts that may repeat, each with its n words, cover too
 * few characters to reach the limit.  False when memory ran out. */
bool rep_dup_exceeds(rep_scratch *r, const rep_tokens *t, size_t n, size_t nmin, size_t text_chars, double limit,
                     bool *exceeds);
#endif
