/* Internal layout of a loaded fastText model (lib/langid only). */
#ifndef LLMD_LANGID_INTERNAL_H
#define LLMD_LANGID_INTERNAL_H

#include "common/internal.h"
#include "llmdata/langid.h"

/* fastText's enums (src/args.h). */
enum { FT_MODEL_SUP = 3 };
enum { FT_LOSS_HS = 1, FT_LOSS_NS = 2, FT_LOSS_SOFTMAX = 3, FT_LOSS_OVA = 4 };
enum { FT_TYPE_WORD = 0, FT_TYPE_LABEL = 1 };
#define FT_KSUB 256 /* product quantizer: 8-bit codes, 256 centroids per sub-quantizer */

/* A product quantizer (fastText productquantizer.cc): `dim` split into nsubq sub-vectors of dsub
 * values (the last one lastdsub), each coded by one byte naming one of 256 centroids. */
typedef struct ft_pq {
    int32_t dim, nsubq, dsub, lastdsub;
    float *centroids; /* dim * FT_KSUB */
} ft_pq;

/* fastText's Matrix: dense rows, or product-quantized rows with optionally quantized norms. */
typedef struct ft_matrix {
    int64_t rows, cols;
    int quantized;
    float *dense;          /* rows * cols (dense) */
    int qnorm;             /* quantized: rows scaled by a quantized norm */
    uint8_t *codes;        /* quantized: rows * pq.nsubq */
    uint8_t *norm_codes;   /* qnorm: rows */
    ft_pq pq, npq;
} ft_matrix;

/* Centroid m of code i, laid out as fastText lays it out (the last sub-quantizer is narrower). */
static inline const float *ft_pq_centroid(const ft_pq *pq, int32_t m, uint8_t i) {
    if (m == pq->nsubq - 1)
        return pq->centroids + (size_t)m * FT_KSUB * (size_t)pq->dsub + (size_t)i * (size_t)pq->lastdsub;
    return pq->centroids + ((size_t)m * FT_KSUB + i) * (size_t)pq->dsub;
}

/* Open-addressing map from a pruned n-gram bucket to its row (fastText's pruneidx_), behind a
 * one-hash bit filter: most n-grams of a text are not among the kept buckets, and the filter
 * (16 bits per kept bucket, a few hundred KB) answers those without touching the map. */
typedef struct ft_prune_map {
    int32_t *slots;   /* 2 per slot, key then row, side by side (one cache line per probe);
                       * key -1 = empty */
    uint32_t mask;    /* capacity - 1 (capacity a power of two) */
    uint64_t *filter; /* 2^filter_bits bits */
    unsigned filter_shift; /* 32 - filter_bits */
} ft_prune_map;

static inline uint32_t ft_prune_slot_hash(int32_t key) { return (uint32_t)key * 2654435761u; }

struct llmd_langid_model {
    /* header + args (fastText args.cc order) */
    int32_t file_version;
    int32_t dim, ws, epoch, min_count, neg, word_ngrams, loss, model, bucket, minn, maxn, lr_update;
    double t;
    /* dictionary */
    int32_t size, nwords, nlabels;
    int64_t ntokens;
    int64_t pruneidx_size;   /* -1: not pruned; 0: every n-gram dropped; > 0: entries in prune */
    char *strings;           /* every entry, NUL-terminated, back to back */
    uint32_t *word_off;      /* entry i starts at strings + word_off[i] */
    uint32_t *word_len;
    int64_t *counts;
    int8_t *types;
    int32_t *word2int;       /* hash table: entry id or -1 */
    uint32_t word2int_mask;
    int32_t *sub_data;       /* entry i's subwords (itself first, then its char n-grams) */
    size_t *sub_off;         /* size + 1 offsets into sub_data */
    const char **labels;     /* nlabels names without the "__label__" prefix (point into strings) */
    ft_prune_map prune;
    int32_t eos_id;          /* id of "</s>" or -1 */
    uint64_t bucket_magic;   /* for h % bucket without a division (Lemire's fastmod) */
    /* matrices */
    ft_matrix input, output;
    int quant_input, qout;
    /* hierarchical softmax tree (loss HS): 2*nlabels-1 nodes, leaves 0..nlabels-1 */
    int32_t *tree_left, *tree_right;
    /* sigmoid table for one-vs-all / negative sampling outputs (fastText Loss::sigmoid) */
    float sigmoid_table[513];
};

/* fastText's word hash: FNV-1a over the bytes, each byte sign-extended first (int8_t), as
 * Dictionary::hash does. */
static inline uint32_t ft_hash_step(uint32_t h, unsigned char c) {
    h ^= (uint32_t)(int32_t)(int8_t)c;
    return h * 16777619u;
}
#define FT_HASH_INIT 2166136261u
static inline uint32_t ft_hash(const char *s, size_t n) {
    uint32_t h = FT_HASH_INIT;
    for (size_t i = 0; i < n; i++) h = ft_hash_step(h, (unsigned char)s[i]);
    return h;
}

/* Entry id of word w[0..n) with hash h, or -1. */
int32_t ft_dict_find(const llmd_langid_model *m, const char *w, size_t n, uint32_t h);

/* Appends fastText's character n-gram rows of "<"+word+">" (Dictionary::computeSubwords followed
 * by pushHash) to ids; the caller passes the bracketed word. */
typedef struct ft_ids {
    int32_t *v;
    size_t n, cap;
    /* When sum is set, a pushed row is added to sum[0..dim) from `matrix` instead of being
     * stored (n still counts it): fastText sums the rows in the order it collects them, so
     * adding them as they come gives the same floats without holding a row list as long as the
     * text. */
    float *sum;
    const ft_matrix *matrix;
} ft_ids;
llmd_status ft_ids_push(ft_ids *ids, int32_t id);
llmd_status ft_compute_subwords(const llmd_langid_model *m, const char *word, size_t n, ft_ids *out);

#endif
