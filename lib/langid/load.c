/* Loading fastText model files (.bin dense, .ftz quantized), following the layout fastText writes
 * (src/fasttext.cc saveModel, args.cc, dictionary.cc, densematrix.cc, quantmatrix.cc,
 * productquantizer.cc).  Every count read from the file is checked against the bytes that remain
 * before anything is allocated, and every index the predictor will follow (subword rows, pruned
 * rows, product-quantizer codes, tree nodes) is checked here once, so prediction needs no checks. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "langid/langid_internal.h"

#define FT_MAGIC 793712314
#define FT_VERSION_MAX 12
#define FT_LABEL_PREFIX "__label__"
#define FT_EOS "</s>"
/* Limits beyond anything fastText trains, so that arithmetic below cannot overflow. */
#define FT_MAX_DIM (1 << 16)
#define FT_MAX_ENTRIES (1 << 28)

/* A bounds-checked little-endian reader over the file bytes. */
typedef struct reader {
    const uint8_t *p;
    size_t len, off;
    const char *name;
} reader;

static llmd_status short_read(const reader *r, const char *field, size_t need) {
    return llmd_fail(LLMD_ERR_PARSE,
                     "%s: truncated fastText model: %s needs %zu bytes at offset %zu, the file has %zu",
                     r->name, field, need, r->off, r->len - r->off);
}

static size_t remaining(const reader *r) { return r->len - r->off; }

static llmd_status read_i32(reader *r, const char *field, int32_t *v) {
    if (remaining(r) < 4) return short_read(r, field, 4);
    *v = (int32_t)llmd_load_le32(r->p + r->off);
    r->off += 4;
    return LLMD_OK;
}

static llmd_status read_i64(reader *r, const char *field, int64_t *v) {
    if (remaining(r) < 8) return short_read(r, field, 8);
    *v = (int64_t)llmd_load_le64(r->p + r->off);
    r->off += 8;
    return LLMD_OK;
}

static llmd_status read_f64(reader *r, const char *field, double *v) {
    int64_t bits = 0;
    llmd_status st = read_i64(r, field, &bits);
    if (st == LLMD_OK) memcpy(v, &bits, sizeof *v);
    return st;
}

/* A C++ bool as fastText writes it: one byte, 0 or 1. */
static llmd_status read_bool(reader *r, const char *field, int *v) {
    if (remaining(r) < 1) return short_read(r, field, 1);
    uint8_t b = r->p[r->off];
    if (b > 1)
        return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: %s is %u, expected a bool (0 or 1)", r->name,
                         r->off, field, b);
    r->off += 1;
    *v = b;
    return LLMD_OK;
}

/* n little-endian floats into a new array. */
static llmd_status read_floats(reader *r, const char *field, size_t n, float **out) {
    *out = NULL;
    size_t bytes;
    if (!llmd_mul_ok(n, 4, &bytes) || bytes > remaining(r)) return short_read(r, field, bytes);
    float *v = llmd_malloc(n ? n * sizeof *v : 1);
    if (v == NULL) return llmd_fail_nomem("loading a fastText matrix");
    const uint8_t *p = r->p + r->off;
    for (size_t i = 0; i < n; i++) {
        uint32_t bits = llmd_load_le32(p + 4 * i);
        memcpy(&v[i], &bits, sizeof bits);
    }
    r->off += bytes;
    *out = v;
    return LLMD_OK;
}

static llmd_status read_bytes(reader *r, const char *field, size_t n, uint8_t **out) {
    *out = NULL;
    if (n > remaining(r)) return short_read(r, field, n);
    uint8_t *v = llmd_malloc(n ? n : 1);
    if (v == NULL) return llmd_fail_nomem("loading a fastText matrix");
    memcpy(v, r->p + r->off, n);
    r->off += n;
    *out = v;
    return LLMD_OK;
}

static llmd_status bad(const reader *r, size_t at, const char *fmt_field, long long value, const char *why) {
    return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: %s = %lld: %s", r->name, at, fmt_field, value, why);
}

/* ---- args ------------------------------------------------------------------------------------- */

static llmd_status load_args(reader *r, llmd_langid_model *m) {
    struct { const char *name; int32_t *dst; } f[] = {
        {"dim", &m->dim}, {"ws", &m->ws}, {"epoch", &m->epoch}, {"minCount", &m->min_count},
        {"neg", &m->neg}, {"wordNgrams", &m->word_ngrams}, {"loss", &m->loss}, {"model", &m->model},
        {"bucket", &m->bucket}, {"minn", &m->minn}, {"maxn", &m->maxn}, {"lrUpdateRate", &m->lr_update},
    };
    size_t at[12];
    for (size_t i = 0; i < 12; i++) {
        at[i] = r->off;
        llmd_status st = read_i32(r, f[i].name, f[i].dst);
        if (st != LLMD_OK) return st;
    }
    llmd_status st = read_f64(r, "t", &m->t);
    if (st != LLMD_OK) return st;
    if (m->model != FT_MODEL_SUP)
        return llmd_fail(LLMD_ERR_UNSUPPORTED,
                         "%s: offset %zu: model = %d: not a supervised (classifier) model; only "
                         "supervised fastText models can predict labels", r->name, at[7], m->model);
    if (m->loss < FT_LOSS_HS || m->loss > FT_LOSS_OVA) return bad(r, at[6], "loss", m->loss, "unknown loss");
    if (m->dim <= 0 || m->dim > FT_MAX_DIM) return bad(r, at[0], "dim", m->dim, "out of range 1..65536");
    if (m->bucket < 0) return bad(r, at[8], "bucket", m->bucket, "negative");
    /* fastText's old supervised models (version 11) use no character n-grams. */
    if (m->file_version == 11) m->maxn = 0;
    /* fastText sets bucket 0 only when no n-gram is used; with n-grams it would divide by zero. */
    if (m->bucket == 0 && (m->maxn > 0 || m->word_ngrams > 1))
        return bad(r, at[8], "bucket", 0, "no hash buckets but the model uses character or word n-grams");
    /* (wraps to 0 for bucket 1, which then gives h % 1 = 0 as it should) */
    if (m->bucket > 0) m->bucket_magic = UINT64_MAX / (uint32_t)m->bucket + 1;
    return LLMD_OK;
}

/* ---- dictionary ------------------------------------------------------------------------------- */

int32_t ft_dict_find(const llmd_langid_model *m, const char *w, size_t n, uint32_t h) {
    uint32_t slot = h & m->word2int_mask;
    for (;;) {
        int32_t id = m->word2int[slot];
        if (id < 0) return -1;
        if (m->word_len[id] == n && memcmp(m->strings + m->word_off[id], w, n) == 0) return id;
        slot = (slot + 1) & m->word2int_mask;
    }
}

static uint32_t pow2_at_least(uint64_t n) {
    uint64_t c = 16;
    while (c < n) c <<= 1;
    return (uint32_t)c;
}

static llmd_status build_word_table(llmd_langid_model *m) {
    uint32_t cap = pow2_at_least((uint64_t)m->size * 2 + 1);
    m->word2int = llmd_malloc((size_t)cap * sizeof *m->word2int);
    if (m->word2int == NULL) return llmd_fail_nomem("loading a fastText dictionary");
    for (uint32_t i = 0; i < cap; i++) m->word2int[i] = -1;
    m->word2int_mask = cap - 1;
    for (int32_t i = 0; i < m->size; i++) {
        const char *w = m->strings + m->word_off[i];
        uint32_t h = ft_hash(w, m->word_len[i]);
        uint32_t slot = h & m->word2int_mask;
        /* A repeated word maps to its last entry, as in fastText's word2int_. */
        while (m->word2int[slot] >= 0) {
            int32_t id = m->word2int[slot];
            if (m->word_len[id] == m->word_len[i] && memcmp(m->strings + m->word_off[id], w, m->word_len[i]) == 0)
                break;
            slot = (slot + 1) & m->word2int_mask;
        }
        m->word2int[slot] = i;
    }
    return LLMD_OK;
}

static llmd_status load_entries(reader *r, llmd_langid_model *m) {
    /* Each entry takes at least 10 bytes (NUL, count, type): bound the count before allocating. */
    if ((uint64_t)m->size > remaining(r) / 10)
        return llmd_fail(LLMD_ERR_PARSE, "%s: dictionary size %d cannot fit in the %zu bytes left at offset %zu",
                         r->name, m->size, remaining(r), r->off);
    size_t n = (size_t)m->size;
    m->word_off = llmd_malloc((n ? n : 1) * sizeof *m->word_off);
    m->word_len = llmd_malloc((n ? n : 1) * sizeof *m->word_len);
    m->counts = llmd_malloc((n ? n : 1) * sizeof *m->counts);
    m->types = llmd_malloc(n ? n : 1);
    if (!m->word_off || !m->word_len || !m->counts || !m->types)
        return llmd_fail_nomem("loading a fastText dictionary");
    /* Size the string area with a first pass over the entries (a dense model's file is mostly
     * matrices: allocating "what remains" would double the peak memory). */
    size_t total = 0, at = r->off;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *nul = at < r->len ? memchr(r->p + at, 0, r->len - at) : NULL;
        if (nul == NULL || (size_t)(nul - r->p) + 10 > r->len) break; /* reported by the second pass */
        total += (size_t)(nul - (r->p + at)) + 1;
        at = (size_t)(nul - r->p) + 10;
    }
    m->strings = llmd_malloc(total + 1);
    if (m->strings == NULL) return llmd_fail_nomem("loading a fastText dictionary");
    size_t sused = 0;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *s = r->p + r->off;
        const uint8_t *nul = memchr(s, 0, remaining(r));
        if (nul == NULL)
            return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: dictionary entry %zu has no terminating NUL",
                             r->name, r->off, i);
        size_t wl = (size_t)(nul - s);
        if (sused + wl + 1 > total) /* the first pass stopped here: the entry is cut short */
            return short_read(r, "dictionary entry", wl + 10);
        if (sused + wl + 1 > UINT32_MAX)
            return llmd_fail(LLMD_ERR_RANGE, "%s: offset %zu: dictionary strings exceed 4 GiB", r->name, r->off);
        memcpy(m->strings + sused, s, wl + 1);
        m->word_off[i] = (uint32_t)sused;
        m->word_len[i] = (uint32_t)wl;
        sused += wl + 1;
        r->off += wl + 1;
        llmd_status st = read_i64(r, "entry count", &m->counts[i]);
        if (st != LLMD_OK) return st;
        if (remaining(r) < 1) return short_read(r, "entry type", 1);
        size_t tat = r->off;
        int8_t type = (int8_t)r->p[r->off++];
        if (type != FT_TYPE_WORD && type != FT_TYPE_LABEL)
            return bad(r, tat, "entry type", type, "expected 0 (word) or 1 (label)");
        /* fastText keeps words before labels: label i is entry nwords + i. */
        int8_t expect = i < (size_t)m->nwords ? FT_TYPE_WORD : FT_TYPE_LABEL;
        if (type != expect)
            return llmd_fail(LLMD_ERR_PARSE,
                             "%s: offset %zu: dictionary entry %zu is a %s, but the header says entries "
                             "0..%d are words and the rest labels", r->name, tat, i,
                             type ? "label" : "word", m->nwords - 1);
        m->types[i] = type;
    }
    return LLMD_OK;
}

static llmd_status load_prune_index(reader *r, llmd_langid_model *m) {
    if (m->pruneidx_size <= 0) return LLMD_OK;
    size_t n = (size_t)m->pruneidx_size;
    uint32_t cap = pow2_at_least((uint64_t)n * 2);
    m->prune.slots = llmd_malloc((size_t)cap * 2 * sizeof(int32_t));
    if (!m->prune.slots) return llmd_fail_nomem("loading a fastText prune index");
    for (uint32_t i = 0; i < cap; i++) m->prune.slots[2 * i] = -1;
    m->prune.mask = cap - 1;
    unsigned bits = 6;
    while (bits < 30 && ((uint64_t)1 << bits) < (uint64_t)n * 16) bits++;
    m->prune.filter = llmd_calloc((size_t)1 << (bits - 6), sizeof(uint64_t));
    if (!m->prune.filter) return llmd_fail_nomem("loading a fastText prune index");
    m->prune.filter_shift = 32 - bits;
    for (size_t i = 0; i < n; i++) {
        size_t at = r->off;
        int32_t first = 0, second = 0;
        llmd_status st = read_i32(r, "prune index key", &first);
        if (st == LLMD_OK) st = read_i32(r, "prune index row", &second);
        if (st != LLMD_OK) return st;
        /* Keys are n-gram buckets; only those in [0, bucket) can ever be looked up, but a key out
         * of range is harmless.  Rows are checked against the input matrix once it is read. */
        if (second < 0) return bad(r, at + 4, "prune index row", second, "negative");
        uint32_t fh = ft_prune_slot_hash(first);
        uint32_t fbit = fh >> m->prune.filter_shift;
        m->prune.filter[fbit >> 6] |= (uint64_t)1 << (fbit & 63);
        uint32_t slot = fh & m->prune.mask;
        while (m->prune.slots[2 * slot] != -1 && m->prune.slots[2 * slot] != first)
            slot = (slot + 1) & m->prune.mask;
        m->prune.slots[2 * slot] = first; /* a repeated key keeps its last row, as std::unordered_map[]= */
        m->prune.slots[2 * slot + 1] = second;
    }
    return LLMD_OK;
}

static llmd_status load_dictionary(reader *r, llmd_langid_model *m) {
    size_t at = r->off;
    llmd_status st = read_i32(r, "dictionary size", &m->size);
    if (st == LLMD_OK) st = read_i32(r, "nwords", &m->nwords);
    if (st == LLMD_OK) st = read_i32(r, "nlabels", &m->nlabels);
    if (st == LLMD_OK) st = read_i64(r, "ntokens", &m->ntokens);
    if (st == LLMD_OK) st = read_i64(r, "pruneidx_size", &m->pruneidx_size);
    if (st != LLMD_OK) return st;
    if (m->size < 0 || m->size > FT_MAX_ENTRIES) return bad(r, at, "dictionary size", m->size, "out of range");
    if (m->nwords < 0 || m->nlabels < 0 || (int64_t)m->nwords + m->nlabels != m->size)
        return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: nwords %d + nlabels %d != dictionary size %d",
                         r->name, at, m->nwords, m->nlabels, m->size);
    if (m->nlabels == 0) return llmd_fail(LLMD_ERR_PARSE, "%s: the model has no labels", r->name);
    if (m->pruneidx_size < -1 || (m->pruneidx_size > 0 && (uint64_t)m->pruneidx_size > remaining(r) / 8))
        return bad(r, at + 20, "pruneidx_size", (long long)m->pruneidx_size,
                   "out of range (-1, or entries that fit in the file)");
    st = load_entries(r, m);
    if (st != LLMD_OK) return st;
    /* pruneidx_size is read before the entries but its pairs follow them. */
    if (m->pruneidx_size > 0 && (uint64_t)m->pruneidx_size > remaining(r) / 8)
        return short_read(r, "prune index", (size_t)m->pruneidx_size * 8);
    st = load_prune_index(r, m);
    if (st != LLMD_OK) return st;
    st = build_word_table(m);
    if (st != LLMD_OK) return st;
    m->eos_id = ft_dict_find(m, FT_EOS, 4, ft_hash(FT_EOS, 4));
    if (m->eos_id >= 0 && m->types[m->eos_id] != FT_TYPE_WORD) m->eos_id = -1;
    m->labels = llmd_malloc((size_t)m->nlabels * sizeof *m->labels);
    if (m->labels == NULL) return llmd_fail_nomem("loading a fastText dictionary");
    size_t plen = strlen(FT_LABEL_PREFIX);
    for (int32_t i = 0; i < m->nlabels; i++) {
        int32_t e = m->nwords + i;
        const char *w = m->strings + m->word_off[e];
        m->labels[i] = (m->word_len[e] >= plen && memcmp(w, FT_LABEL_PREFIX, plen) == 0) ? w + plen : w;
    }
    return LLMD_OK;
}

/* Every word's subwords, as Dictionary::initNgrams computes them: the word itself, then the
 * character n-grams of "<word>" (none for "</s>"). */
static llmd_status init_subwords(llmd_langid_model *m) {
    m->sub_off = llmd_malloc(((size_t)m->nwords + 1) * sizeof *m->sub_off);
    if (m->sub_off == NULL) return llmd_fail_nomem("computing fastText subwords");
    ft_ids ids = {NULL, 0, 0, NULL, NULL};
    llmd_buf word = LLMD_BUF_INIT;
    llmd_status st = LLMD_OK;
    for (int32_t i = 0; i < m->nwords && st == LLMD_OK; i++) {
        m->sub_off[i] = ids.n;
        st = ft_ids_push(&ids, i);
        if (st != LLMD_OK || i == m->eos_id || m->maxn <= 0) continue;
        llmd_buf_reset(&word);
        st = llmd_buf_putc(&word, '<');
        if (st == LLMD_OK) st = llmd_buf_append(&word, m->strings + m->word_off[i], m->word_len[i]);
        if (st == LLMD_OK) st = llmd_buf_putc(&word, '>');
        if (st == LLMD_OK) st = ft_compute_subwords(m, word.data, word.len, &ids);
    }
    llmd_buf_free(&word);
    if (st != LLMD_OK) {
        llmd_free(ids.v);
        return st;
    }
    m->sub_off[m->nwords] = ids.n;
    m->sub_data = ids.v;
    return LLMD_OK;
}

/* ---- matrices --------------------------------------------------------------------------------- */

static llmd_status load_pq(reader *r, ft_pq *pq, const char *what) {
    size_t at = r->off;
    llmd_status st = read_i32(r, "pq dim", &pq->dim);
    if (st == LLMD_OK) st = read_i32(r, "pq nsubq", &pq->nsubq);
    if (st == LLMD_OK) st = read_i32(r, "pq dsub", &pq->dsub);
    if (st == LLMD_OK) st = read_i32(r, "pq lastdsub", &pq->lastdsub);
    if (st != LLMD_OK) return st;
    /* The layout must be the one fastText's constructor derives from dim and dsub, or code
     * lookups would leave the centroid table. */
    if (pq->dim <= 0 || pq->dim > FT_MAX_DIM || pq->dsub <= 0 || pq->dsub > pq->dim ||
        pq->nsubq != (pq->dim + pq->dsub - 1) / pq->dsub ||
        pq->lastdsub != (pq->dim % pq->dsub ? pq->dim % pq->dsub : pq->dsub))
        return llmd_fail(LLMD_ERR_PARSE,
                         "%s: offset %zu: %s product quantizer dim %d, nsubq %d, dsub %d, lastdsub %d "
                         "is not a valid layout", r->name, at, what, pq->dim, pq->nsubq, pq->dsub, pq->lastdsub);
    return read_floats(r, "pq centroids", (size_t)pq->dim * FT_KSUB, &pq->centroids);
}

static llmd_status load_dense(reader *r, ft_matrix *mat, const char *what) {
    size_t at = r->off;
    llmd_status st = read_i64(r, "matrix rows", &mat->rows);
    if (st == LLMD_OK) st = read_i64(r, "matrix cols", &mat->cols);
    if (st != LLMD_OK) return st;
    if (mat->rows < 0 || mat->rows > INT32_MAX || mat->cols < 0 || mat->cols > FT_MAX_DIM)
        return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: %s matrix %lld x %lld is out of range", r->name, at,
                         what, (long long)mat->rows, (long long)mat->cols);
    if ((uint64_t)mat->rows * (uint64_t)mat->cols > remaining(r) / 4)
        return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: %s matrix %lld x %lld needs more than the %zu bytes left",
                         r->name, at, what, (long long)mat->rows, (long long)mat->cols, remaining(r));
    return read_floats(r, what, (size_t)mat->rows * (size_t)mat->cols, &mat->dense);
}

static llmd_status load_quant(reader *r, ft_matrix *mat, const char *what) {
    mat->quantized = 1;
    size_t at = r->off;
    llmd_status st = read_bool(r, "qnorm", &mat->qnorm);
    if (st == LLMD_OK) st = read_i64(r, "matrix rows", &mat->rows);
    if (st == LLMD_OK) st = read_i64(r, "matrix cols", &mat->cols);
    int32_t codesize = 0;
    size_t cat = r->off;
    if (st == LLMD_OK) st = read_i32(r, "codesize", &codesize);
    if (st != LLMD_OK) return st;
    if (mat->rows < 0 || mat->rows > INT32_MAX || mat->cols <= 0 || mat->cols > FT_MAX_DIM)
        return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: quantized %s matrix %lld x %lld is out of range",
                         r->name, at, what, (long long)mat->rows, (long long)mat->cols);
    if (codesize < 0) return bad(r, cat, "codesize", codesize, "negative");
    st = read_bytes(r, "codes", (size_t)codesize, &mat->codes);
    if (st == LLMD_OK) st = load_pq(r, &mat->pq, what);
    if (st != LLMD_OK) return st;
    if (mat->pq.dim != mat->cols)
        return llmd_fail(LLMD_ERR_PARSE, "%s: %s product quantizer dim %d differs from the matrix's %lld columns",
                         r->name, what, mat->pq.dim, (long long)mat->cols);
    if ((uint64_t)codesize != (uint64_t)mat->rows * (uint64_t)mat->pq.nsubq)
        return llmd_fail(LLMD_ERR_PARSE, "%s: offset %zu: codesize %d != rows %lld x sub-quantizers %d",
                         r->name, cat, codesize, (long long)mat->rows, mat->pq.nsubq);
    if (mat->qnorm) {
        st = read_bytes(r, "norm codes", (size_t)mat->rows, &mat->norm_codes);
        if (st == LLMD_OK) st = load_pq(r, &mat->npq, "norm");
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

/* ---- hierarchical softmax tree (fastText HierarchicalSoftmaxLoss::buildTree) ------------------ */

static llmd_status build_tree(llmd_langid_model *m) {
    int32_t osz = m->nlabels;
    size_t nodes = 2 * (size_t)osz - 1;
    int64_t *count = llmd_malloc(nodes * sizeof *count);
    m->tree_left = llmd_malloc(nodes * sizeof *m->tree_left);
    m->tree_right = llmd_malloc(nodes * sizeof *m->tree_right);
    if (!count || !m->tree_left || !m->tree_right) {
        llmd_free(count);
        return llmd_fail_nomem("building the hierarchical softmax tree");
    }
    for (size_t i = 0; i < nodes; i++) {
        m->tree_left[i] = m->tree_right[i] = -1;
        count[i] = (int64_t)1e15;
    }
    for (int32_t i = 0; i < osz; i++) count[i] = m->counts[m->nwords + i];
    /* Leaves are taken from the end (fastText sorted labels by decreasing count); internal nodes
     * in creation order. */
    int32_t leaf = osz - 1, node = osz;
    for (int32_t i = osz; i < (int32_t)nodes; i++) {
        int32_t mini[2];
        for (int j = 0; j < 2; j++) {
            if (leaf >= 0 && (node >= i || count[leaf] < count[node])) {
                mini[j] = leaf--;
            } else if (node < i) {
                mini[j] = node++;
            } else {
                llmd_free(count);
                return llmd_fail(LLMD_ERR_PARSE, "label counts do not form a hierarchical softmax tree");
            }
        }
        m->tree_left[i] = mini[0];
        m->tree_right[i] = mini[1];
        if (__builtin_add_overflow(count[mini[0]], count[mini[1]], &count[i])) {
            llmd_free(count);
            return llmd_fail(LLMD_ERR_PARSE, "label counts overflow while building the hierarchical softmax tree");
        }
    }
    llmd_free(count);
    return LLMD_OK;
}

/* ---- the model -------------------------------------------------------------------------------- */

static void matrix_free(ft_matrix *mat) {
    llmd_free(mat->dense);
    llmd_free(mat->codes);
    llmd_free(mat->norm_codes);
    llmd_free(mat->pq.centroids);
    llmd_free(mat->npq.centroids);
}

void llmd_langid_model_free(llmd_langid_model *m) {
    if (m == NULL) return;
    llmd_free(m->strings);
    llmd_free(m->word_off);
    llmd_free(m->word_len);
    llmd_free(m->counts);
    llmd_free(m->types);
    llmd_free(m->word2int);
    llmd_free(m->sub_data);
    llmd_free(m->sub_off);
    llmd_free(m->labels);
    llmd_free(m->prune.slots);
    llmd_free(m->prune.filter);
    matrix_free(&m->input);
    matrix_free(&m->output);
    llmd_free(m->tree_left);
    llmd_free(m->tree_right);
    llmd_free(m);
}

/* The rows the predictor can reach exist: words, n-gram buckets (or their pruned rows). */
static llmd_status check_input_rows(const reader *r, const llmd_langid_model *m) {
    int64_t rows = m->input.rows;
    if (m->input.cols != m->dim)
        return llmd_fail(LLMD_ERR_PARSE, "%s: input matrix has %lld columns, the model's dim is %d", r->name,
                         (long long)m->input.cols, m->dim);
    if (rows < m->nwords)
        return llmd_fail(LLMD_ERR_PARSE, "%s: input matrix has %lld rows, fewer than the %d words", r->name,
                         (long long)rows, m->nwords);
    int uses_ngrams = m->maxn > 0 || m->word_ngrams > 1;
    if (!uses_ngrams || m->pruneidx_size == 0) return LLMD_OK;
    if (m->pruneidx_size < 0) {
        if ((int64_t)m->nwords + m->bucket > rows)
            return llmd_fail(LLMD_ERR_PARSE, "%s: input matrix has %lld rows, fewer than %d words + %d buckets",
                             r->name, (long long)rows, m->nwords, m->bucket);
        return LLMD_OK;
    }
    for (uint32_t s = 0; s <= m->prune.mask; s++)
        if (m->prune.slots[2 * s] != -1 && (int64_t)m->nwords + m->prune.slots[2 * s + 1] >= rows)
            return llmd_fail(LLMD_ERR_PARSE, "%s: prune index maps bucket %d to row %d, beyond the input matrix's %lld rows",
                             r->name, m->prune.slots[2 * s], m->nwords + m->prune.slots[2 * s + 1], (long long)rows);
    return LLMD_OK;
}

static llmd_status check_output(const reader *r, const llmd_langid_model *m) {
    if (m->output.cols != m->dim)
        return llmd_fail(LLMD_ERR_PARSE, "%s: output matrix has %lld columns, the model's dim is %d", r->name,
                         (long long)m->output.cols, m->dim);
    /* Softmax and one-vs-all score every label's row; the tree's internal nodes use rows
     * 0..nlabels-2. */
    if (m->output.rows != m->nlabels)
        return llmd_fail(LLMD_ERR_PARSE, "%s: output matrix has %lld rows, the model has %d labels", r->name,
                         (long long)m->output.rows, m->nlabels);
    if (m->loss == FT_LOSS_HS)
        for (int32_t i = 0; i < m->nlabels; i++) {
            int64_t c = m->counts[m->nwords + i];
            /* below fastText's 1e15 sentinel for nodes not built yet, so the tree is fastText's */
            if (c < 0 || c >= (int64_t)1e15)
                return llmd_fail(LLMD_ERR_PARSE, "%s: label %d has count %lld, out of range for a "
                                 "hierarchical softmax tree", r->name, i, (long long)c);
        }
    return LLMD_OK;
}

static void init_sigmoid_table(llmd_langid_model *m) {
    /* fastText Loss::Loss: 512 steps over [-8, 8], computed in float as fastText does. */
    for (int i = 0; i <= 512; i++) {
        float x = (float)(i * 2 * 8) / 512 - 8;
        m->sigmoid_table[i] = (float)(1.0 / (1.0 + (double)expf(-x)));
    }
}

static llmd_status parse_model(reader *r, llmd_langid_model *m) {
    int32_t magic = 0;
    llmd_status st = read_i32(r, "magic", &magic);
    if (st != LLMD_OK) return st;
    if (magic != FT_MAGIC)
        return llmd_fail(LLMD_ERR_PARSE, "%s: not a fastText model (magic number %d, expected %d)", r->name,
                         magic, FT_MAGIC);
    st = read_i32(r, "version", &m->file_version);
    if (st != LLMD_OK) return st;
    if (m->file_version > FT_VERSION_MAX)
        return llmd_fail(LLMD_ERR_VERSION, "%s: fastText file format version %d is newer than %d", r->name,
                         m->file_version, FT_VERSION_MAX);
    if (m->file_version < 11)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "%s: fastText file format version %d predates version 11 "
                         "(fastText itself cannot read it)", r->name, m->file_version);
    if ((st = load_args(r, m)) != LLMD_OK) return st;
    if ((st = load_dictionary(r, m)) != LLMD_OK) return st;
    if ((st = read_bool(r, "quant_input", &m->quant_input)) != LLMD_OK) return st;
    st = m->quant_input ? load_quant(r, &m->input, "input") : load_dense(r, &m->input, "input");
    if (st != LLMD_OK) return st;
    if (!m->quant_input && m->pruneidx_size >= 0)
        return llmd_fail(LLMD_ERR_PARSE, "%s: a dense model with a pruned dictionary is invalid "
                         "(fastText: download the updated model, issue #332)", r->name);
    if ((st = check_input_rows(r, m)) != LLMD_OK) return st;
    if ((st = read_bool(r, "qout", &m->qout)) != LLMD_OK) return st;
    st = (m->quant_input && m->qout) ? load_quant(r, &m->output, "output") : load_dense(r, &m->output, "output");
    if (st != LLMD_OK) return st;
    if ((st = check_output(r, m)) != LLMD_OK) return st;
    if ((st = init_subwords(m)) != LLMD_OK) return st;
    if (m->loss == FT_LOSS_HS && (st = build_tree(m)) != LLMD_OK) return st;
    init_sigmoid_table(m);
    return LLMD_OK;
}

llmd_status llmd_langid_model_from_memory(llmd_langid_model **out, const void *data, size_t len,
                                          const char *name) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_model_from_memory: out is NULL");
    *out = NULL;
    if (data == NULL && len > 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_model_from_memory: data is NULL");
    llmd_langid_model *m = llmd_calloc(1, sizeof *m);
    if (m == NULL) return llmd_fail_nomem("allocating a fastText model");
    m->eos_id = -1;
    reader r = {data, len, 0, name ? name : "<memory>"};
    llmd_status st = parse_model(&r, m);
    if (st != LLMD_OK) {
        llmd_langid_model_free(m);
        return st;
    }
    *out = m;
    return LLMD_OK;
}

static int access_ok(const char *path) { return access(path, R_OK) == 0; }

const char *llmd_langid_default_model_path(void) {
    const char *env = getenv(LLMD_LANGID_MODEL_ENV);
    if (env != NULL && env[0] != '\0') return env;
#ifdef LLMD_LANGID_INSTALLED_MODEL
    if (access_ok(LLMD_LANGID_INSTALLED_MODEL)) return LLMD_LANGID_INSTALLED_MODEL;
#endif
#ifdef LLMD_LANGID_SOURCE_MODEL
    if (access_ok(LLMD_LANGID_SOURCE_MODEL)) return LLMD_LANGID_SOURCE_MODEL;
#endif
#ifdef LLMD_LANGID_INSTALLED_MODEL
    return LLMD_LANGID_INSTALLED_MODEL;
#else
    return "lid.176.ftz";
#endif
}

llmd_status llmd_langid_model_load(llmd_langid_model **out, const char *path) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_model_load: out is NULL");
    *out = NULL;
    if (path == NULL) path = llmd_langid_default_model_path();
    /* Map the file rather than read it: the loader copies what it keeps, so a large .bin costs
     * its matrices once, not twice, and a file that is not a model is refused after its header
     * has been looked at, not after gigabytes have been read. */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        struct stat sb;
        if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size > 0 && (uint64_t)sb.st_size <= SIZE_MAX) {
            void *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
            if (map != MAP_FAILED) {
                close(fd);
                llmd_status st = llmd_langid_model_from_memory(out, map, (size_t)sb.st_size, path);
                munmap(map, (size_t)sb.st_size);
                return st;
            }
        }
        close(fd);
    }
    /* Not mappable (empty, a pipe, mmap refused) or not openable: read it, which also names the
     * error (missing file, permission, directory). */
    char *data = NULL;
    size_t len = 0;
    llmd_status st = llmd_read_file(path, &data, &len);
    if (st != LLMD_OK) return st;
    st = llmd_langid_model_from_memory(out, data, len, path);
    llmd_free(data);
    return st;
}

llmd_status llmd_langid_model_get_info(const llmd_langid_model *m, llmd_langid_model_info *info) {
    if (m == NULL || info == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_model_get_info: model or info is NULL");
    if (info->version == 0 || info->version > LLMD_LANGID_MODEL_INFO_VERSION)
        return llmd_fail(LLMD_ERR_VERSION, "llmd_langid_model_get_info: info version %u is not known (1..%d)",
                         info->version, LLMD_LANGID_MODEL_INFO_VERSION);
    info->file_version = m->file_version;
    info->dim = m->dim;
    info->n_words = m->nwords;
    info->n_labels = m->nlabels;
    info->minn = m->minn;
    info->maxn = m->maxn;
    info->word_ngrams = m->word_ngrams;
    info->bucket = m->bucket;
    info->loss = m->loss;
    info->quantized = m->quant_input;
    info->quantized_output = m->quant_input && m->qout;
    return LLMD_OK;
}

int32_t llmd_langid_label_count(const llmd_langid_model *m) { return m ? m->nlabels : 0; }

const char *llmd_langid_label(const llmd_langid_model *m, int32_t i) {
    if (m == NULL || i < 0 || i >= m->nlabels) return NULL;
    return m->labels[i];
}

int32_t llmd_langid_label_id(const llmd_langid_model *m, const char *name) {
    if (m == NULL || name == NULL) return -1;
    size_t plen = strlen(FT_LABEL_PREFIX);
    if (strncmp(name, FT_LABEL_PREFIX, plen) == 0) name += plen;
    for (int32_t i = 0; i < m->nlabels; i++)
        if (strcmp(m->labels[i], name) == 0) return i;
    return -1;
}
