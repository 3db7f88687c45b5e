/*
 * llmdata/dedup.h — exact dedup (content hashes, a bounded hash set, repeated-line removal),
 * MinHash signatures, LSH banding and a persistent near-duplicate index with clusters.
 *
 * ---- Words (shared by normalised exact hashes and shingles) --------------------------------------
 * Text is decoded as UTF-8 (an invalid byte counts as a separator).  A WORD is a maximal run of
 * code points whose Unicode general category (utf8proc) is a letter (L*), a number (N*) or a mark
 * (M*); everything else (punctuation, symbols, spaces, controls) separates words, so "don't" is the
 * two words "don" "t".  Each code point of a word is lower-cased with utf8proc's simple mapping
 * (utf8proc_tolower: one code point to one code point).  The FOLDED TEXT is the words, re-encoded as
 * UTF-8 and joined by one space (0x20), without leading/trailing space.
 *
 * ---- Exact hashes ----------------------------------------------------------------------------------
 * Raw: XXH3-128 (seed 0) of the document's bytes.  Normalised: XXH3-128 (seed 0) of the folded
 * text.  Bytes of a hash: low 64 bits little-endian, then high 64 bits little-endian.
 *
 * ---- Shingles ----------------------------------------------------------------------------------
 * Word mode (default, n = 5): shingle k is the folded words k..k+n-1 joined by one space; a
 * document with 1..n-1 words has ONE shingle (all its words); a document with no word has no
 * shingle.  Char mode: shingle k is code points k..k+n-1 of the folded text (fewer than n code
 * points: one shingle of all of them).  A shingle's hash is XXH3-64 of its UTF-8 bytes with the
 * hasher's seed (default 1).
 *
 * ---- MinHash signature --------------------------------------------------------------------------
 * num_perm (default 128) 32-bit values.  Permutation i has parameters (a_i, b_i): two 64-bit words
 * drawn in order from splitmix64 with state = seed ^ 0x6C6C6D6448617368 (the ASCII bytes
 * "llmdHash" read big-endian), i = 0, 1, ...: w1 -> a_i = (uint32)w1 | 1 (odd), w2 -> b_i = (uint32)w2.  For a shingle
 * hash h (64 bits), x = (uint32)(h ^ (h >> 32)) and
 *         v_i(x) = (a_i * x + b_i) mod 2^32.
 * The signature is sig[i] = min over the document's shingles of v_i.  A document with no shingle
 * has every sig[i] = 0xFFFFFFFF (datasketch's empty MinHash also holds all maximum values) and is
 * marked EMPTY: the index never reports an empty document as a near duplicate of anything (exact
 * dedup is the tool for identical empty documents).
 * Why this family: with a fixed odd a_i, v_i is a bijection of the 32-bit x, and x is the folded
 * output of XXH3, so for a set of distinct x the v_i are distinct and uniformly placed: each
 * permutation's argmin is uniform over the union, i.e. Pr[sig_A[i] == sig_B[i]] = J(A, B) up to
 * x collisions.  Two distinct shingles share x with probability 2^-32, so a document of n
 * shingles sees a collision with probability about n^2 / 2^33 (1e-2 at n = 10 000 within a pair
 * of documents' union) and a collision only biases the estimate when it lands on a minimum.  The
 * permutations are not independent (all are affine in the same x); the correlation this leaves is
 * measured by the tests (the estimator's spread on pairs of known Jaccard matches the binomial
 * sqrt(J(1-J)/num_perm) within tolerance) and by the quality test set (tests/dedup_quality).  The
 * family is chosen because 8 lanes of 32-bit multiply-add-min fit one AVX2 instruction each.  AVX2
 * paths (the permutation loop, and folding of all-ASCII 32-byte blocks) are chosen at run time
 * (__builtin_cpu_supports); the portable paths give identical bytes (force_portable selects them;
 * the tests compare both).  Measured on the shared corpus (tests/bench/dedup_bench.sh, one thread):
 * ~490 MB/s with AVX2, ~60 MB/s portable, against ~5-7 MB/s for datasketch's method.
 * Documents are limited to 2 GiB (LLMD_ERR_RANGE beyond).
 * Byte layout of a signature: sig[0..num_perm) as uint32 little-endian, 4 * num_perm bytes.
 *
 * ---- LSH bands -----------------------------------------------------------------------------------
 * bands b and rows r with b * r <= num_perm: band j covers sig[j*r .. j*r+r).  Chosen (when not set)
 * as datasketch's _optimal_param: minimise 0.5 * FP + 0.5 * FN where FP = integral over s in
 * [0, t] of 1-(1-s^r)^b and FN = integral over [t, 1] of (1-s^r)^b (numeric, adaptive Simpson to
 * 1e-10), b from 1 to num_perm, r from 1 to num_perm / b, first strict minimum wins.
 * Band key (LLMD_BAND_KEY_SIZE = 12 bytes): uint32 LE band index j, then uint64 LE
 * XXH3-64 (seed 0) of the band's r values as 4*r little-endian bytes.  Two documents are LSH
 * candidates iff they share at least one band key.  A Spark/Dask job can groupBy(band_key)
 * instead of calling the index.
 *
 * ---- Thread safety ---------------------------------------------------------------------------------
 * llmd_minhasher is immutable after construction: any number of threads may use one at once.
 * llmd_lsh_index, llmd_exact_set, llmd_line_dedup, llmd_union_find and llmd_dedup_clusters are NOT
 * internally locked: one thread at a time (a single writer; concurrent read-only calls are not
 * supported either, since lookups use scratch space or compress union-find paths).
 */
#ifndef LLMDATA_DEDUP_H
#define LLMDATA_DEDUP_H

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================= exact hashes ======================================== */

#define LLMD_EXACT_HASH_SIZE 16

/* Flags of llmd_exact_hash. */
#define LLMD_EXACT_RAW 0        /* hash the bytes as they are */
#define LLMD_EXACT_NORMALIZED 1 /* hash the folded text (see "Words" above) */

/* Writes the 16-byte content hash of text[0..len) to out (layout above).  Thread-safe.
 * Errors: LLMD_ERR_INVALID_ARG (NULL out, NULL text with len > 0, unknown flags),
 * LLMD_ERR_NOMEM (normalised mode folds into a temporary buffer). */
LLMD_API llmd_status llmd_exact_hash(const char *text, size_t len, unsigned flags, uint8_t out[16]);

/* Writes the folded text of text[0..len) (words joined by one space) to *out (NUL-terminated,
 * free with llmd_free) and its length to *out_len.  Thread-safe.  Errors: INVALID_ARG, NOMEM. */
LLMD_API llmd_status llmd_fold_text(const char *text, size_t len, char **out, size_t *out_len);

/* A set of content hashes in one open-addressing table (linear probing, load factor <= 0.7, the
 * table doubles when full).  Memory: slots * key_bytes, with slots a power of two >= count / 0.7:
 * 100 M documents need 2^28 slots = 4 GiB with 16-byte keys (2 GiB with 8-byte keys); give
 * `capacity` up front to avoid the doubling peak (old + new table: 1.5x).  With key_bytes = 8 only
 * the first 8 bytes of each hash are kept: two different documents are confused with probability
 * about count / 2^64 per insert (over 100 M inserts, ~ 100M^2 / 2^65 = 2.7e-4 expected false
 * duplicates in total); with 16 bytes about count^2 / 2^129 (negligible). */
typedef struct llmd_exact_set llmd_exact_set;

typedef struct llmd_exact_set_options {
    unsigned version;     /* LLMD_EXACT_SET_OPTIONS_VERSION */
    uint64_t capacity;    /* expected number of keys (0: start small and grow) */
    uint64_t max_bytes;   /* cap on the table's memory in bytes (0: no cap); an insert that would
                             need a larger table fails with LLMD_ERR_RANGE */
    unsigned key_bytes;   /* 16 (default) or 8 (64-bit prefixes: half the memory) */
} llmd_exact_set_options;
#define LLMD_EXACT_SET_OPTIONS_VERSION 1
#define LLMD_EXACT_SET_OPTIONS_INIT {LLMD_EXACT_SET_OPTIONS_VERSION, 0, 0, 16}

/* Creates an empty set.  Errors: VERSION, INVALID_ARG (key_bytes not 8/16), RANGE (capacity
 * needs more than max_bytes), NOMEM.  Free with llmd_exact_set_free. */
LLMD_API llmd_status llmd_exact_set_new(llmd_exact_set **out, const llmd_exact_set_options *opts);
LLMD_API void llmd_exact_set_free(llmd_exact_set *set);

/* Inserts a 16-byte hash; *was_new (may be NULL) is 1 if it was absent, 0 if already present.
 * Errors: INVALID_ARG, RANGE (the memory cap would be exceeded: the message says how many keys
 * fit and how to raise the cap; the set is unchanged and still usable), NOMEM. */
LLMD_API llmd_status llmd_exact_set_insert(llmd_exact_set *set, const uint8_t hash[16], int *was_new);
/* 1 if the hash is present, 0 if not (0 for a NULL set). */
LLMD_API int llmd_exact_set_contains(const llmd_exact_set *set, const uint8_t hash[16]);
/* Number of keys; bytes of memory the table uses now. */
LLMD_API uint64_t llmd_exact_set_count(const llmd_exact_set *set);
LLMD_API uint64_t llmd_exact_set_memory(const llmd_exact_set *set);

/* ---- Repeated lines across a corpus (TWO passes) ----
 * Pass 1: llmd_line_dedup_count() on every document: each distinct line (bytes between '\n', with
 * a trailing '\r' and surrounding spaces/tabs ignored; empty lines ignored) is counted once per
 * document (key: XXH3-64 of the trimmed line, seed 0; memory ~16 bytes per distinct line).
 * Pass 2: llmd_line_dedup_filter() removes every line whose document count is >= min_docs.
 * Two passes, so the result does not depend on document order (a streaming one-pass variant would
 * keep a boilerplate line in the first K-1 documents).  Memory: 16 bytes per slot, table kept at
 * load <= 0.5, i.e. 16-32 bytes per distinct line; two different lines share a key with probability
 * about distinct^2 / 2^65. */
typedef struct llmd_line_dedup llmd_line_dedup;

/* Options of a line counter (NULL = defaults). */
typedef struct llmd_line_dedup_options {
    unsigned version;    /* LLMD_LINE_DEDUP_OPTIONS_VERSION */
    uint32_t min_docs;   /* remove lines found in >= min_docs documents; >= 2, default 3 */
} llmd_line_dedup_options;
#define LLMD_LINE_DEDUP_OPTIONS_VERSION 1
#define LLMD_LINE_DEDUP_OPTIONS_INIT {LLMD_LINE_DEDUP_OPTIONS_VERSION, 3}

/* Creates a line counter (*out; free with llmd_line_dedup_free).  opts may be NULL (defaults).
 * Errors: INVALID_ARG (NULL out, min_docs < 2), VERSION (unknown options version), NOMEM. */
LLMD_API llmd_status llmd_line_dedup_new(llmd_line_dedup **out, const llmd_line_dedup_options *opts);
LLMD_API void llmd_line_dedup_free(llmd_line_dedup *ld);
/* Pass 1: counts the distinct lines of one document.  Errors: INVALID_ARG, NOMEM, STATE (called
 * after a filter call). */
LLMD_API llmd_status llmd_line_dedup_count(llmd_line_dedup *ld, const char *text, size_t len);
/* Pass 2: writes text without its repeated lines to *out (NUL-terminated, free with llmd_free),
 * kept lines in order, each with its original line ending; *removed (may be NULL) gets the number
 * of removed lines.  Errors: INVALID_ARG, NOMEM. */
LLMD_API llmd_status llmd_line_dedup_filter(llmd_line_dedup *ld, const char *text, size_t len,
                                            char **out, size_t *out_len, size_t *removed);
/* Documents counted and distinct lines seen in pass 1. */
LLMD_API uint64_t llmd_line_dedup_docs(const llmd_line_dedup *ld);
LLMD_API uint64_t llmd_line_dedup_distinct_lines(const llmd_line_dedup *ld);

/* ========================================== MinHash =========================================== */

typedef enum llmd_shingle_mode {
    LLMD_SHINGLE_WORDS = 0,   /* word n-grams (default) */
    LLMD_SHINGLE_CHARS = 1    /* code-point n-grams of the folded text */
} llmd_shingle_mode;

typedef struct llmd_minhash_options {
    unsigned version;    /* LLMD_MINHASH_OPTIONS_VERSION */
    uint32_t num_perm;   /* 1..4096, default 128 */
    uint32_t ngram;      /* 1..64, default 5 */
    int shingle_mode;    /* an llmd_shingle_mode, default LLMD_SHINGLE_WORDS */
    uint64_t seed;       /* default 1 */
    int force_portable;  /* 1: never use the AVX2 path (same values, for tests and benchmarks) */
} llmd_minhash_options;
#define LLMD_MINHASH_OPTIONS_VERSION 1
#define LLMD_MINHASH_OPTIONS_INIT {LLMD_MINHASH_OPTIONS_VERSION, 128, 5, LLMD_SHINGLE_WORDS, 1, 0}

typedef struct llmd_minhasher llmd_minhasher;

/* Fills *opts with the defaults.  Thread-safe. */
LLMD_API void llmd_minhash_options_init(llmd_minhash_options *opts);
/* Builds a hasher (permutation parameters derived from the seed).  Errors: VERSION, INVALID_ARG
 * (num_perm or ngram out of range, unknown mode), NOMEM.  Free with llmd_minhasher_free.
 * The hasher is immutable: any number of threads may use it at once. */
LLMD_API llmd_status llmd_minhasher_new(llmd_minhasher **out, const llmd_minhash_options *opts);
LLMD_API void llmd_minhasher_free(llmd_minhasher *h);
/* The hasher's parameters. */
LLMD_API uint32_t llmd_minhasher_num_perm(const llmd_minhasher *h);
/* 1 if this hasher uses the AVX2 path on this machine. */
LLMD_API int llmd_minhasher_uses_simd(const llmd_minhasher *h);

/* Computes the signature of text[0..len) into sig[0..num_perm) (host-order uint32; serialize with
 * llmd_minhash_to_bytes).  *n_shingles (may be NULL) gets the number of shingles hashed (0: empty
 * document).  Thread-safe (allocates scratch per call; the batch call reuses it per thread).
 * Errors: INVALID_ARG, NOMEM, RANGE (document over 2 GiB). */
LLMD_API llmd_status llmd_minhash(const llmd_minhasher *h, const char *text, size_t len, uint32_t *sig,
                                  size_t *n_shingles);
/* Signatures of n documents into sigs[i*num_perm ..] using `threads` threads (0: one per CPU).
 * n_shingles may be NULL.  Errors as llmd_minhash (the first failing document is named). */
LLMD_API llmd_status llmd_minhash_batch(const llmd_minhasher *h, const char *const *texts,
                                        const size_t *lens, size_t n, unsigned threads, uint32_t *sigs,
                                        size_t *n_shingles);
/* Like llmd_minhash, and also returns the document's shingle set: the sorted, distinct XXH3-64
 * shingle hashes (before the 32-bit fold), in *shingles (free with llmd_free; NULL when the
 * document has no shingle) and their count in *n_shingles.  For exact-Jaccard verification
 * (llmd_lsh_index_insert_shingles).  Thread-safe.  Errors: INVALID_ARG, NOMEM. */
LLMD_API llmd_status llmd_minhash_shingles(const llmd_minhasher *h, const char *text, size_t len, uint32_t *sig,
                                           uint64_t **shingles, size_t *n_shingles);
/* Writes sig[0..num_perm) as little-endian bytes to out[0..4*num_perm).  Thread-safe. */
LLMD_API void llmd_minhash_to_bytes(const uint32_t *sig, uint32_t num_perm, uint8_t *out);
/* Estimated Jaccard: fraction of equal positions (0 if either signature is all 0xFFFFFFFF). */
LLMD_API double llmd_minhash_jaccard(const uint32_t *a, const uint32_t *b, uint32_t num_perm);

/* ============================================ LSH ============================================= */

#define LLMD_BAND_KEY_SIZE 12

/* datasketch's optimal (bands, rows) for a Jaccard threshold (see the header comment), weights
 * 0.5/0.5; threshold 1 gives one band of num_perm rows, as datasketch's _optimal_param does.
 * Errors: INVALID_ARG (threshold not in (0, 1], num_perm 0 or > 4096). Thread-safe. */
LLMD_API llmd_status llmd_lsh_optimal_params(double threshold, uint32_t num_perm, uint32_t *bands,
                                             uint32_t *rows);
/* Writes the band keys of a signature: bands * LLMD_BAND_KEY_SIZE bytes to out.
 * Errors: INVALID_ARG (bands * rows > num_perm, zero values).  Thread-safe. */
LLMD_API llmd_status llmd_lsh_band_keys(const uint32_t *sig, uint32_t num_perm, uint32_t bands,
                                        uint32_t rows, uint8_t *out);

typedef struct llmd_lsh_options {
    unsigned version;    /* LLMD_LSH_OPTIONS_VERSION */
    double threshold;    /* Jaccard threshold, default 0.8: a candidate is a duplicate when its
                            estimated Jaccard is >= threshold */
    uint32_t bands;      /* 0 (default): optimal for threshold; else set with rows */
    uint32_t rows;
    int verify_exact;    /* 1: keep each entry's shingle set (inserted with
                            llmd_lsh_index_insert_shingles) and verify candidates by EXACT Jaccard
                            of the sets instead of the signature estimate.  Memory: 8 bytes per
                            distinct shingle per entry (about 1.3x the text size for word 5-grams);
                            saved in index files.  Entries inserted without a set, or candidates
                            without one, fall back to the estimate.  Default 0. */
} llmd_lsh_options;
#define LLMD_LSH_OPTIONS_VERSION 1
#define LLMD_LSH_OPTIONS_INIT {LLMD_LSH_OPTIONS_VERSION, 0.8, 0, 0, 0}

/* The near-duplicate index: entries (caller key bytes, signature, priority) in band tables, and a
 * union-find of the duplicate relation.  One thread at a time (no internal lock). */
typedef struct llmd_lsh_index llmd_lsh_index;

/* Creates an empty index for signatures of `num_perm` values made by a hasher with the given
 * options (they are stored in saved files and checked on load).  Errors: VERSION, INVALID_ARG
 * (threshold not in (0, 1], bands*rows > num_perm, only one of bands/rows set), NOMEM. */
LLMD_API llmd_status llmd_lsh_index_new(llmd_lsh_index **out, const llmd_minhash_options *mh,
                                        const llmd_lsh_options *opts);
LLMD_API void llmd_lsh_index_free(llmd_lsh_index *idx);
LLMD_API uint32_t llmd_lsh_index_bands(const llmd_lsh_index *idx);
LLMD_API uint32_t llmd_lsh_index_rows(const llmd_lsh_index *idx);
/* Signature length (num_perm) the index was made for: every signature given to it has this many values. */
LLMD_API uint32_t llmd_lsh_index_num_perm(const llmd_lsh_index *idx);
LLMD_API uint64_t llmd_lsh_index_count(const llmd_lsh_index *idx);

/* Result of an insert. */
typedef struct llmd_lsh_match {
    uint64_t entry;        /* index of the new entry (0, 1, ... in insertion order, across loads) */
    int duplicate;         /* 1 if the new entry matched an existing entry (estimated J >= threshold) */
    uint64_t match;        /* the matched entry with the highest estimated Jaccard (if duplicate);
                              among equal Jaccards, the earliest inserted (lowest entry number) */
    double match_jaccard;  /* its estimated Jaccard */
    uint64_t representative; /* representative of the new entry's cluster after the insert */
    uint64_t candidates;   /* distinct LSH candidates examined */
} llmd_lsh_match;

/* Inserts an entry: key[0..key_len) (any bytes, copied; e.g. a document id) and its signature
 * (num_perm values).  Candidates sharing a band key are verified by estimated Jaccard; every
 * verified candidate's cluster is merged with the new entry's.  The representative of a cluster is
 * the entry with the lowest priority, ties broken by the earliest insert (pass priority = 0 for
 * "first inserted wins").  An EMPTY signature (all 0xFFFFFFFF) is stored but never matched.
 * Errors: INVALID_ARG, RANGE (more than 2^32-1 entries), NOMEM (the index is unchanged). */
LLMD_API llmd_status llmd_lsh_index_insert(llmd_lsh_index *idx, const void *key, size_t key_len,
                                           const uint32_t *sig, uint64_t priority, llmd_lsh_match *out);
/* Like llmd_lsh_index_insert, with the entry's shingle set (sorted distinct values, as returned by
 * llmd_minhash_shingles; copied).  With verify_exact, candidates that have a set are verified by
 * exact Jaccard |A n B| / |A u B| (match_jaccard is then exact); without verify_exact the set is
 * ignored.  Errors: as llmd_lsh_index_insert; INVALID_ARG if the set is not sorted and distinct. */
LLMD_API llmd_status llmd_lsh_index_insert_shingles(llmd_lsh_index *idx, const void *key, size_t key_len,
                                                    const uint32_t *sig, const uint64_t *shingles,
                                                    size_t n_shingles, uint64_t priority, llmd_lsh_match *out);
/* Finds entries whose estimated Jaccard with sig is >= threshold without inserting: up to cap
 * entry numbers to out (sorted ascending), the total count to *n_found.  Errors: INVALID_ARG, NOMEM. */
LLMD_API llmd_status llmd_lsh_index_query(llmd_lsh_index *idx, const uint32_t *sig, uint64_t *out,
                                          size_t cap, size_t *n_found);
/* Representative (cluster root) of an entry; UINT64_MAX for an entry out of range. */
LLMD_API uint64_t llmd_lsh_index_representative(llmd_lsh_index *idx, uint64_t entry);
/* Key bytes of an entry (pointer into the index, valid until the next insert/load/free);
 * NULL for an entry out of range. */
LLMD_API const void *llmd_lsh_index_key(const llmd_lsh_index *idx, uint64_t entry, size_t *key_len);
/* Signature of an entry (num_perm values, valid until the next insert/free); NULL if out of range. */
LLMD_API const uint32_t *llmd_lsh_index_signature(const llmd_lsh_index *idx, uint64_t entry);

/* Saves the index to path atomically (temp file + rename).  File layout (little-endian):
 *  "LLMDLSH\0" magic, u32 format version (1), u32 num_perm, u32 ngram, u32 shingle mode,
 *  u64 seed, u32 bands, u32 rows, f64 threshold (IEEE bits as u64), u64 entry count,
 *  u32 verify_exact,
 *  then per entry: u64 priority, u32 cluster root, u32 key length, key bytes, num_perm u32 values,
 *  u32 shingle-set length + 1 (0: no set), the set's u64 values;
 *  then u64 XXH3-64 (seed 0) of every byte before it.
 * Errors: INVALID_ARG, NOMEM, IO. */
LLMD_API llmd_status llmd_lsh_index_save(llmd_lsh_index *idx, const char *path);
/* Loads an index saved by llmd_lsh_index_save.  If mh is non-NULL, its num_perm/ngram/mode/seed
 * must equal the file's (else LLMD_ERR_INVALID_ARG naming the differing parameter).
 * Errors: IO, NOT_FOUND (no such file), CORRUPT (bad magic, truncated, checksum mismatch,
 * inconsistent fields — the message says which), VERSION (a newer format), NOMEM. */
LLMD_API llmd_status llmd_lsh_index_load(llmd_lsh_index **out, const char *path,
                                         const llmd_minhash_options *mh);

/* ========================================= Clusters ========================================== *
 * Whole-corpus near-duplicate clusters (the rule of datatrove's MinhashDedupSignature / Buckets /
 * Cluster / Filter stages and of text-dedup): every document is added first, then candidate pairs
 * (documents sharing an LSH band key) are verified, a union-find over ALL documents (removed ones
 * included) joins each verified pair, and exactly one document per cluster is kept.  Unlike the
 * one-pass llmd_lsh_index (which decides as it streams), the result does not depend on input order
 * except for which member of a cluster is kept: copy1 - base - copy2, with each copy >= threshold
 * to the base but not to each other, is one cluster whatever the order.
 *
 * ---- Default bands and the S-curve ----
 * A pair of Jaccard s is a candidate with probability 1 - (1 - s^r)^b.  With bands = rows = 0 the
 * rows r are the LARGEST r <= 64 for which b = floor(num_perm / r) bands find a pair at
 * s = min(threshold + 0.05, 1) with probability >= 0.99 (more rows: fewer false candidates); if no
 * r qualifies, r = 1.  At threshold 0.8 with 128 permutations this gives 16 bands x 8 rows:
 *     s      0.50    0.60    0.70    0.75    0.80    0.85    0.90    0.95
 *     P   0.0607  0.2374  0.6133  0.8151  0.9470  0.9938  0.9999  1.0000
 * (datasketch's optimum 9 x 13 finds a 0.85 pair with probability 0.69 only, a 0.9 pair 0.93.)
 *
 * ---- Verification (llmd_dedup_verify) ----
 * EXACT (default): a candidate pair is a duplicate iff the exact Jaccard of the two shingle sets
 * (llmd_minhash_shingles) is >= threshold.  The estimate from 128 permutations has a standard error
 * of about 0.03 near 0.8, so a 0.85 pair passes an estimated 0.8 test only ~95% of the time and a
 * 0.75 pair fails it only ~90%; the exact test has neither error.  Sets are needed only for the
 * documents that share a band key with another document (llmd_dedup_clusters_needs_shingles) and
 * are given in a second pass, so the memory is 8 bytes per distinct shingle of CANDIDATE documents.
 * ESTIMATE: the fraction of equal signature positions >= threshold (no second pass).
 * NONE: every candidate pair is a duplicate (datatrove's rule; fastest, least precise).
 *
 * ---- Which pairs are compared ----
 * Bands are processed in order, each band's buckets (documents with one band key) in key order,
 * the members of a bucket in document order; member i is compared with each earlier member j of
 * the bucket unless the union-find already joins them (so the clusters are the connected components
 * of "shares a band key and passes verification"), at most LLMD_DEDUP_BUCKET_SCAN (4096) earlier
 * members back (bounds the work of a bucket of unrelated documents; documents with the same exact
 * hash enter the buckets once).  Documents whose exact hashes are equal are joined (Jaccard 1)
 * without LSH; an EMPTY signature (no shingle) joins only through its exact hash.
 *
 * ---- The kept document ----
 * Each cluster keeps the member of lowest (priority, document number) and removes the others.
 * Each document's LINK is the verified pair involving it with the highest Jaccard (ties: the
 * lowest other document number) -- the pair that tied it into its cluster.
 *
 * ---- Memory ----
 * Pass 1, per document: 8 * bands (band key hashes, computed at add: 128 bytes with 16 bands) + 8
 * (priority) + 8 (check) + 4 (union-find) + 8 (link) + 1 bytes, plus ~40 bytes per distinct exact
 * hash: ~200 bytes; the signature itself (4 * num_perm) is kept only for ESTIMATE / NONE
 * verification (+512 bytes at 128 permutations).  Arrays grow by doubling.  _candidates and _finish
 * add 36 bytes per document while they run; exact verification adds the candidates' shingle sets
 * (8 bytes per distinct shingle of each CANDIDATE document).  Measured (tests/bench/cluster_bench.sh,
 * `llmdata dedup` on 200 000 short documents, 12% candidates): 377 MB of RSS per million documents,
 * against 894 MB for the one-pass llmd_lsh_index.
 *
 * One thread at a time per object; no internal lock. */

#define LLMD_DEDUP_BUCKET_SCAN 4096

/* ---- Union-find over documents 0..n-1 (path halving, the smaller number becomes the root). ---- */
typedef struct llmd_union_find llmd_union_find;

/* Creates n singletons (n < 2^32).  Errors: INVALID_ARG (NULL out), RANGE (n >= 2^32), NOMEM. */
LLMD_API llmd_status llmd_union_find_new(llmd_union_find **out, uint64_t n);
LLMD_API void llmd_union_find_free(llmd_union_find *uf);
/* Number of elements. */
LLMD_API uint64_t llmd_union_find_size(const llmd_union_find *uf);
/* Joins the sets of a and b; *merged (may be NULL) is 1 if they were apart.  The root of the
 * joined set is the smaller of the two roots, so every set's root is its smallest member whatever
 * the order of the unions.  Errors: INVALID_ARG (NULL uf, a or b >= size). */
LLMD_API llmd_status llmd_union_find_union(llmd_union_find *uf, uint64_t a, uint64_t b, int *merged);
/* Joins n pairs given as pairs[2k], pairs[2k+1].  Errors: as llmd_union_find_union (the pair is named;
 * the pairs before it stay joined). */
LLMD_API llmd_status llmd_union_find_union_pairs(llmd_union_find *uf, const uint64_t *pairs, size_t n);
/* Root (smallest member) of a's set; UINT64_MAX for a NULL uf or a >= size.  Compresses paths, so
 * it writes to uf: one thread at a time. */
LLMD_API uint64_t llmd_union_find_find(llmd_union_find *uf, uint64_t a);

/* Candidate pairs from band keys: keys holds n_docs * bands keys of LLMD_BAND_KEY_SIZE bytes,
 * document-major (document d's keys at keys[d * bands * 12], as written by llmd_lsh_band_keys).
 * Documents with skip[d] != 0 (skip may be NULL) take no part (e.g. empty signatures).  For every
 * bucket (equal key, so equal band) with members m0 < m1 < ... the pairs (m0, mk) are produced --
 * datatrove's rule: each member linked to the bucket's first document, whose union-find closure
 * joins every pair sharing a key.  *pairs gets 2 * *n_pairs values (a < b), sorted by (a, b) and
 * distinct; free with llmd_free (NULL when there is no pair).  Deterministic.  Thread-safe.
 * Errors: INVALID_ARG, RANGE (n_docs >= 2^32), NOMEM. */
LLMD_API llmd_status llmd_lsh_candidate_pairs(const uint8_t *keys, uint64_t n_docs, uint32_t bands,
                                              const uint8_t *skip, uint64_t **pairs, size_t *n_pairs);

typedef enum llmd_dedup_verify {
    LLMD_VERIFY_EXACT = 0,     /* exact Jaccard of shingle sets (default) */
    LLMD_VERIFY_ESTIMATE = 1,  /* MinHash estimate */
    LLMD_VERIFY_NONE = 2       /* every candidate pair is a duplicate */
} llmd_dedup_verify;

typedef struct llmd_dedup_cluster_options {
    unsigned version;    /* LLMD_DEDUP_CLUSTER_OPTIONS_VERSION */
    double threshold;    /* Jaccard threshold in (0, 1], default 0.8 */
    uint32_t bands;      /* 0 (default): the rule above (16 x 8 at 0.8/128); else set with rows */
    uint32_t rows;
    int verify;          /* an llmd_dedup_verify, default LLMD_VERIFY_EXACT */
} llmd_dedup_cluster_options;
#define LLMD_DEDUP_CLUSTER_OPTIONS_VERSION 1
#define LLMD_DEDUP_CLUSTER_OPTIONS_INIT {LLMD_DEDUP_CLUSTER_OPTIONS_VERSION, 0.8, 0, 0, LLMD_VERIFY_EXACT}

/* The default (bands, rows) for a threshold and num_perm (the rule above).  Errors: INVALID_ARG
 * (threshold not in (0, 1], num_perm 0 or > 4096).  Thread-safe. */
LLMD_API llmd_status llmd_dedup_default_bands(double threshold, uint32_t num_perm, uint32_t *bands,
                                              uint32_t *rows);

typedef struct llmd_dedup_clusters llmd_dedup_clusters;

/* Creates an empty cluster job for signatures made with the given MinHash options (NULL: defaults).
 * Errors: VERSION, INVALID_ARG (bad threshold/bands/rows/verify, only one of bands/rows set),
 * NOMEM.  Any rows up to num_perm (as datasketch's MinHashLSH).  Free with llmd_dedup_clusters_free. */
LLMD_API llmd_status llmd_dedup_clusters_new(llmd_dedup_clusters **out, const llmd_minhash_options *mh,
                                             const llmd_dedup_cluster_options *opts);
LLMD_API void llmd_dedup_clusters_free(llmd_dedup_clusters *c);
/* The bands and rows in use. */
LLMD_API uint32_t llmd_dedup_clusters_bands(const llmd_dedup_clusters *c);
LLMD_API uint32_t llmd_dedup_clusters_rows(const llmd_dedup_clusters *c);
/* Documents added. */
LLMD_API uint64_t llmd_dedup_clusters_count(const llmd_dedup_clusters *c);

/* Pass 1: adds the next document (its number is the count before the call, written to *doc, which
 * may be NULL): its signature (num_perm values, copied), its 16-byte exact hash (llmd_exact_hash;
 * NULL: none, the document joins others only through LSH), its priority (lower is kept first; 0 for
 * "first in input order wins") and a caller check value stored with it (e.g. the input line number,
 * read back by llmd_dedup_clusters_result to confirm a second pass reads the same documents).
 * Errors: INVALID_ARG (NULL c or sig), STATE (after llmd_dedup_clusters_candidates), RANGE (2^32-1
 * documents), NOMEM (the job is unchanged). */
LLMD_API llmd_status llmd_dedup_clusters_add(llmd_dedup_clusters *c, const uint32_t *sig,
                                             const uint8_t *exact_hash, uint64_t priority, uint64_t check,
                                             uint64_t *doc);
/* Ends pass 1: finds the documents that share a band key with another (after joining equal exact
 * hashes).  *n_candidates (may be NULL) gets their number.  Errors: STATE (called twice), NOMEM. */
LLMD_API llmd_status llmd_dedup_clusters_candidates(llmd_dedup_clusters *c, uint64_t *n_candidates);
/* 1 if document doc needs its shingle set (exact verification, a candidate, not yet given), else 0.
 * Valid after llmd_dedup_clusters_candidates. */
LLMD_API int llmd_dedup_clusters_needs_shingles(const llmd_dedup_clusters *c, uint64_t doc);
/* Pass 2 (exact verification): gives document doc's shingle set (sorted distinct values, as from
 * llmd_minhash_shingles; copied).  A set for a document that does not need one is ignored.
 * Errors: INVALID_ARG (doc out of range, set not sorted and distinct: the position is named),
 * STATE (before _candidates or after _finish), NOMEM. */
LLMD_API llmd_status llmd_dedup_clusters_set_shingles(llmd_dedup_clusters *c, uint64_t doc,
                                                      const uint64_t *shingles, size_t n_shingles);
/* Verifies the candidate pairs and builds the clusters (calls _candidates first if needed).  With
 * exact verification every candidate must have its set (else STATE naming the first document
 * without one).  Frees the shingle sets.  Errors: STATE, NOMEM. */
LLMD_API llmd_status llmd_dedup_clusters_finish(llmd_dedup_clusters *c);

/* The verdict of one document (after llmd_dedup_clusters_finish). */
typedef struct llmd_dedup_verdict {
    int keep;                /* 1: the cluster's kept document */
    uint64_t representative; /* the cluster's kept document (== doc when keep) */
    uint64_t cluster_size;   /* members of the document's cluster (1: unique) */
    uint64_t linked;         /* the other document of the document's LINK; UINT64_MAX if none */
    double jaccard;          /* the link's Jaccard (exact or estimated as verified; 1 for an exact
                                hash match); 0 without a link */
    uint64_t check;          /* the check value given to llmd_dedup_clusters_add */
} llmd_dedup_verdict;
/* Errors: INVALID_ARG (NULL, doc out of range), STATE (before _finish). */
LLMD_API llmd_status llmd_dedup_clusters_result(const llmd_dedup_clusters *c, uint64_t doc,
                                                llmd_dedup_verdict *out);

/* Counts of a finished job. */
typedef struct llmd_dedup_cluster_stats {
    uint64_t docs, clusters, removed;
    uint64_t exact_joined;      /* documents joined to an earlier one by an equal exact hash */
    uint64_t candidates;        /* documents sharing a band key with another */
    uint64_t pairs_verified;    /* candidate pairs compared */
    uint64_t pairs_passed;      /* ... that passed verification */
    uint64_t largest;           /* members of the largest cluster */
    uint64_t size_hist[6];      /* clusters of 2, 3, 4-5, 6-10, 11-100, > 100 members */
    uint64_t peak_bytes;        /* peak memory of the job's own tables */
    uint64_t shingle_bytes;     /* memory the shingle sets took (exact verification) */
} llmd_dedup_cluster_stats;
/* Fills *out (valid after _finish; before, only docs and peak_bytes).  Errors: INVALID_ARG. */
LLMD_API llmd_status llmd_dedup_clusters_stats(const llmd_dedup_clusters *c, llmd_dedup_cluster_stats *out);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_DEDUP_H */
