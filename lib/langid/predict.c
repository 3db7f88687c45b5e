/* Prediction with a loaded fastText model, reproducing FastText::predictLine on `text + "\n"`
 * (what fastText's Python and WebAssembly bindings do) with every '\n' of the text read as a
 * space (datatrove's LanguageFilter).  Arithmetic is in float in fastText's order of operations
 * (src/dictionary.cc getLine, model.cc predict, quantmatrix.cc, productquantizer.cc, loss.cc), so
 * probabilities agree with fastText's to float rounding. */
#include <math.h>
#include <stdlib.h>

#include "langid/langid_internal.h"

/* ---- growable id list -------------------------------------------------------------------------- */

static void add_row(const ft_matrix *mat, float *x, int64_t row);

llmd_status ft_ids_push(ft_ids *ids, int32_t id) {
    if (ids->sum != NULL) {
        add_row(ids->matrix, ids->sum, id);
        ids->n++;
        return LLMD_OK;
    }
    if (ids->n == ids->cap) {
        size_t cap = ids->cap ? ids->cap * 2 : 256;
        int32_t *v = llmd_realloc(ids->v, ids->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return llmd_fail_nomem("collecting fastText input rows");
        ids->v = v;
        ids->cap = cap;
    }
    ids->v[ids->n++] = id;
    return LLMD_OK;
}

/* Dictionary::pushHash: an n-gram bucket becomes input row nwords + bucket, through the prune
 * index when the model was pruned (unlisted buckets are dropped). */
static llmd_status push_bucket(const llmd_langid_model *m, ft_ids *ids, int32_t id) {
    if (m->pruneidx_size == 0 || id < 0) return LLMD_OK;
    if (m->pruneidx_size > 0) {
        uint32_t h = ft_prune_slot_hash(id);
        uint32_t bit = h >> m->prune.filter_shift;
        if (!(m->prune.filter[bit >> 6] >> (bit & 63) & 1)) return LLMD_OK;
        uint32_t slot = h & m->prune.mask;
        for (;;) {
            int32_t k = m->prune.slots[2 * slot];
            if (k == -1) return LLMD_OK;
            if (k == id) break;
            slot = (slot + 1) & m->prune.mask;
        }
        id = m->prune.slots[2 * slot + 1];
    }
    return ft_ids_push(ids, m->nwords + id);
}

/* h % d for the model's bucket count d without a division: Lemire, Kaser, Kurz, "Faster
 * remainder by direct computation" (2019), exact for every 32-bit h and d. */
__extension__ typedef unsigned __int128 ft_u128;
static inline uint32_t bucket_of(const llmd_langid_model *m, uint32_t h) {
    uint64_t low = m->bucket_magic * h;
    return (uint32_t)(((ft_u128)low * (uint32_t)m->bucket) >> 64);
}

static inline int is_utf8_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

/* Dictionary::computeSubwords over the bracketed word w[0..n): every run of minn..maxn UTF-8
 * characters, except the lone "<" and ">"; each hashed (FNV-1a, signed bytes) into a bucket. */
llmd_status ft_compute_subwords(const llmd_langid_model *m, const char *w, size_t n, ft_ids *out) {
    const unsigned char *s = (const unsigned char *)w;
    for (size_t i = 0; i < n; i++) {
        if (is_utf8_continuation(s[i])) continue;
        uint32_t h = FT_HASH_INIT;
        size_t j = i;
        for (int64_t len = 1; j < n && len <= m->maxn; len++) {
            h = ft_hash_step(h, s[j++]);
            while (j < n && is_utf8_continuation(s[j])) h = ft_hash_step(h, s[j++]);
            if (len >= m->minn && !(len == 1 && (i == 0 || j == n))) {
                llmd_status st = push_bucket(m, out, (int32_t)bucket_of(m, h));
                if (st != LLMD_OK) return st;
            }
        }
    }
    return LLMD_OK;
}

/* ---- per-call scratch ------------------------------------------------------------------------- */

typedef struct heap_item {
    float score;
    int32_t id;
} heap_item;

typedef struct scratch {
    ft_ids rows;         /* input rows of the line, summed into hidden as they come */
    ft_ids hashes;       /* word hashes for word n-grams (as int32, like fastText's vector) */
    llmd_buf word;       /* "<" + token + ">" */
    float *hidden, *output;
    heap_item *heap;
    size_t heap_cap;
    int32_t *stack_node;
    float *stack_score;
} scratch;

static void scratch_free(scratch *s) {
    llmd_free(s->rows.v);
    llmd_free(s->hashes.v);
    llmd_buf_free(&s->word);
    llmd_free(s->hidden);
    llmd_free(s->output);
    llmd_free(s->heap);
    llmd_free(s->stack_node);
    llmd_free(s->stack_score);
}

static llmd_status scratch_init(scratch *s, const llmd_langid_model *m) {
    memset(s, 0, sizeof *s);
    size_t nodes = 2 * (size_t)m->nlabels;
    s->hidden = llmd_malloc((size_t)m->dim * sizeof(float));
    s->rows.sum = s->hidden;
    s->rows.matrix = &m->input;
    s->output = llmd_malloc((size_t)m->nlabels * sizeof(float));
    s->heap_cap = (size_t)m->nlabels + 1;
    s->heap = llmd_malloc(s->heap_cap * sizeof *s->heap);
    s->stack_node = llmd_malloc(nodes * sizeof *s->stack_node);
    s->stack_score = llmd_malloc(nodes * sizeof *s->stack_score);
    if (!s->hidden || !s->output || !s->heap || !s->stack_node || !s->stack_score) {
        scratch_free(s);
        memset(s, 0, sizeof *s);
        return llmd_fail_nomem("allocating fastText prediction scratch");
    }
    return LLMD_OK;
}

/* ---- the line: words, subwords, word n-grams (Dictionary::getLine) ---------------------------- */

static inline int is_separator(unsigned char c) {
    /* Dictionary::readWord's separators; '\n' is one too here (read as a space). */
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f' || c == '\0';
}

static int has_label_prefix(const char *t, size_t n) {
    return n >= 9 && memcmp(t, "__label__", 9) == 0;
}

static llmd_status add_token(const llmd_langid_model *m, scratch *s, const char *t, size_t n, int is_eos) {
    uint32_t h = ft_hash(t, n);
    int32_t wid = ft_dict_find(m, t, n, h);
    int type = wid < 0 ? (has_label_prefix(t, n) ? FT_TYPE_LABEL : FT_TYPE_WORD) : m->types[wid];
    if (type != FT_TYPE_WORD) return LLMD_OK; /* labels in the text do not take part */
    llmd_status st = LLMD_OK;
    if (wid < 0) {
        if (!is_eos && m->maxn > 0) {
            llmd_buf_reset(&s->word);
            st = llmd_buf_putc(&s->word, '<');
            if (st == LLMD_OK) st = llmd_buf_append(&s->word, t, n);
            if (st == LLMD_OK) st = llmd_buf_putc(&s->word, '>');
            if (st == LLMD_OK) st = ft_compute_subwords(m, s->word.data, s->word.len, &s->rows);
        }
    } else if (m->maxn <= 0) {
        st = ft_ids_push(&s->rows, wid);
    } else {
        for (size_t i = m->sub_off[wid]; i < m->sub_off[wid + 1] && st == LLMD_OK; i++)
            st = ft_ids_push(&s->rows, m->sub_data[i]);
    }
    if (st == LLMD_OK) st = ft_ids_push(&s->hashes, (int32_t)h);
    return st;
}

/* Dictionary::addWordNgrams: hashes combined as uint64 from sign-extended int32 hashes. */
static llmd_status add_word_ngrams(const llmd_langid_model *m, scratch *s) {
    int64_t n = m->word_ngrams;
    size_t count = s->hashes.n;
    for (size_t i = 0; i < count; i++) {
        uint64_t h = (uint64_t)(int64_t)s->hashes.v[i];
        for (size_t j = i + 1; j < count && (int64_t)(j - i) < n; j++) {
            h = h * 116049371u + (uint64_t)(int64_t)s->hashes.v[j];
            llmd_status st = push_bucket(m, &s->rows, (int32_t)(h % (uint64_t)m->bucket));
            if (st != LLMD_OK) return st;
        }
    }
    return LLMD_OK;
}

static llmd_status collect_rows(const llmd_langid_model *m, scratch *s, const char *text, size_t len) {
    s->rows.n = 0;
    s->hashes.n = 0;
    for (int32_t j = 0; j < m->dim; j++) s->hidden[j] = 0.0f;
    llmd_status st = LLMD_OK;
    size_t i = 0;
    int ended = 0;
    while (i < len && st == LLMD_OK && !ended) {
        while (i < len && is_separator((unsigned char)text[i])) i++;
        size_t start = i;
        while (i < len && !is_separator((unsigned char)text[i])) i++;
        if (i == start) break;
        /* A literal "</s>" in the text ends the line for fastText (getLine stops at it). */
        ended = i - start == 4 && memcmp(text + start, "</s>", 4) == 0;
        st = add_token(m, s, text + start, i - start, ended);
    }
    /* The "\n" the bindings append ends the line: the end-of-sentence token "</s>". */
    if (st == LLMD_OK && !ended) st = add_token(m, s, "</s>", 4, 1);
    if (st == LLMD_OK && m->word_ngrams > 1) st = add_word_ngrams(m, s);
    return st;
}

/* ---- matrices ---------------------------------------------------------------------------------- */

static inline float row_norm(const ft_matrix *mat, int64_t row) {
    return mat->qnorm ? ft_pq_centroid(&mat->npq, 0, mat->norm_codes[row])[0] : 1.0f;
}

/* x += alpha * row (QuantMatrix::addRowToVector / DenseMatrix::addRowToVector). */
static void add_row(const ft_matrix *mat, float *x, int64_t row) {
    if (!mat->quantized) {
        const float *r = mat->dense + row * mat->cols;
        for (int64_t j = 0; j < mat->cols; j++) x[j] += r[j];
        return;
    }
    const ft_pq *pq = &mat->pq;
    float alpha = row_norm(mat, row);
    const uint8_t *code = mat->codes + (size_t)pq->nsubq * (size_t)row;
    int32_t d = pq->dsub;
    for (int32_t k = 0; k < pq->nsubq; k++) {
        const float *c = ft_pq_centroid(pq, k, code[k]);
        if (k == pq->nsubq - 1) d = pq->lastdsub;
        float *xs = x + (size_t)k * (size_t)pq->dsub;
        for (int32_t j = 0; j < d; j++) xs[j] += alpha * c[j];
    }
}

/* row . x (DenseMatrix::dotRow / QuantMatrix::dotRow via ProductQuantizer::mulcode). */
static float dot_row(const ft_matrix *mat, const float *x, int64_t row) {
    float res = 0.0f;
    if (!mat->quantized) {
        const float *r = mat->dense + row * mat->cols;
        for (int64_t j = 0; j < mat->cols; j++) res += r[j] * x[j];
        return res;
    }
    const ft_pq *pq = &mat->pq;
    const uint8_t *code = mat->codes + (size_t)pq->nsubq * (size_t)row;
    int32_t d = pq->dsub;
    for (int32_t k = 0; k < pq->nsubq; k++) {
        const float *c = ft_pq_centroid(pq, k, code[k]);
        if (k == pq->nsubq - 1) d = pq->lastdsub;
        const float *xs = x + (size_t)k * (size_t)pq->dsub;
        for (int32_t j = 0; j < d; j++) res += xs[j] * c[j];
    }
    return res * row_norm(mat, row);
}

static void compute_hidden(const llmd_langid_model *m, scratch *s) {
    float *h = s->hidden; /* the rows' sum, made by collect_rows */
    float scale = (float)(1.0 / (double)s->rows.n);
    for (int32_t j = 0; j < m->dim; j++) h[j] *= scale;
}

/* ---- top-k (fastText's heap of (log-probability, label)) ------------------------------------- */

/* std_log in loss.cc: log(x + 1e-5), in double, stored as float. */
static inline float std_log(float x) { return (float)log((double)x + 1e-5); }

typedef struct topk {
    heap_item *v;
    size_t n, k;
} topk;

/* Min-heap on score: v[0] is the worst kept prediction (fastText's heap.front()). */
static void heap_sift_up(heap_item *v, size_t i) {
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (!(v[i].score < v[p].score)) break;
        heap_item t = v[i]; v[i] = v[p]; v[p] = t;
        i = p;
    }
}

static void heap_sift_down(heap_item *v, size_t n, size_t i) {
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, best = i;
        if (l < n && v[l].score < v[best].score) best = l;
        if (r < n && v[r].score < v[best].score) best = r;
        if (best == i) return;
        heap_item t = v[i]; v[i] = v[best]; v[best] = t;
        i = best;
    }
}

static void topk_push(topk *t, float score, int32_t id) {
    t->v[t->n] = (heap_item){score, id};
    heap_sift_up(t->v, t->n++);
    if (t->n > t->k) { /* pop the worst */
        t->v[0] = t->v[--t->n];
        heap_sift_down(t->v, t->n, 0);
    }
}

static int topk_full_and_below(const topk *t, float score) { return t->n == t->k && score < t->v[0].score; }

/* Loss::findKBest over probabilities output[0..n). */
static void find_k_best(topk *t, const float *output, int32_t n, float threshold) {
    for (int32_t i = 0; i < n; i++) {
        if (output[i] < threshold) continue;
        float lp = std_log(output[i]);
        if (topk_full_and_below(t, lp)) continue;
        topk_push(t, lp, i);
    }
}

/* HierarchicalSoftmaxLoss::dfs, with an explicit stack visiting left before right. */
static void hs_dfs(const llmd_langid_model *m, scratch *s, topk *t, float threshold) {
    int32_t osz = m->nlabels;
    float log_threshold = std_log(threshold);
    size_t top = 0;
    s->stack_node[top] = 2 * osz - 2;
    s->stack_score[top++] = 0.0f;
    while (top > 0) {
        top--;
        int32_t node = s->stack_node[top];
        float score = s->stack_score[top];
        if (score < log_threshold) continue;
        if (topk_full_and_below(t, score)) continue;
        if (m->tree_left[node] == -1 && m->tree_right[node] == -1) {
            topk_push(t, score, node);
            continue;
        }
        float f = dot_row(&m->output, s->hidden, node - osz);
        f = (float)(1.0 / (1.0 + (double)expf(-f)));
        s->stack_node[top] = m->tree_right[node];
        s->stack_score[top++] = score + std_log(f);
        s->stack_node[top] = m->tree_left[node];
        s->stack_score[top++] = score + std_log((float)(1.0 - (double)f));
    }
}

/* fastText Loss::sigmoid: the 512-step table over [-8, 8]. */
static float table_sigmoid(const llmd_langid_model *m, float x) {
    if (isnan(x)) return x; /* NaN weights: fastText would index the table with garbage */
    if (x < -8) return 0.0f;
    if (x > 8) return 1.0f;
    int64_t i = (int64_t)((x + 8) * 512 / 8 / 2);
    return m->sigmoid_table[i];
}

static void compute_output(const llmd_langid_model *m, scratch *s) {
    float *out = s->output;
    int32_t osz = m->nlabels;
    for (int32_t i = 0; i < osz; i++) out[i] = dot_row(&m->output, s->hidden, i);
    if (m->loss == FT_LOSS_SOFTMAX) {
        float max = out[0], z = 0.0f;
        for (int32_t i = 0; i < osz; i++) max = out[i] > max ? out[i] : max;
        for (int32_t i = 0; i < osz; i++) {
            out[i] = (float)exp((double)(out[i] - max));
            z += out[i];
        }
        for (int32_t i = 0; i < osz; i++) out[i] /= z;
    } else { /* one-vs-all, negative sampling: BinaryLogisticLoss::computeOutput */
        for (int32_t i = 0; i < osz; i++) out[i] = table_sigmoid(m, out[i]);
    }
}

/* Best first; equal scores by label id; NaN scores (a model with NaN weights) last, so that the
 * order is total whatever the weights. */
static int cmp_best_first(const void *a, const void *b) {
    const heap_item *x = a, *y = b;
    int xn = isnan(x->score), yn = isnan(y->score);
    if (xn != yn) return xn ? 1 : -1;
    if (!xn && x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* Predicts into s->heap[0..*n), best first. */
static llmd_status predict_line(const llmd_langid_model *m, scratch *s, const char *text, size_t len,
                                int32_t k, float threshold, size_t *n) {
    *n = 0;
    llmd_status st = collect_rows(m, s, text, len);
    if (st != LLMD_OK || s->rows.n == 0) return st;
    compute_hidden(m, s);
    topk t = {s->heap, 0, k < 0 ? (size_t)m->output.rows : (size_t)k};
    if (t.k > (size_t)m->nlabels) t.k = (size_t)m->nlabels; /* at most nlabels distinct labels */
    if (m->loss == FT_LOSS_HS) {
        hs_dfs(m, s, &t, threshold);
    } else {
        compute_output(m, s);
        find_k_best(&t, s->output, m->nlabels, threshold);
    }
    qsort(t.v, t.n, sizeof *t.v, cmp_best_first);
    *n = t.n;
    return LLMD_OK;
}

/* ---- public entry points ---------------------------------------------------------------------- */

void llmd_langid_predict_options_init(llmd_langid_predict_options *opts) {
    if (opts) *opts = (llmd_langid_predict_options)LLMD_LANGID_PREDICT_OPTIONS_INIT;
}

static const size_t predict_options_sizes[] = {sizeof(llmd_langid_predict_options)};

llmd_status llmd_langid_predict(const llmd_langid_model *m, const char *text, size_t len,
                                const llmd_langid_predict_options *opts, llmd_langid_prediction *out,
                                size_t cap, size_t *n_out) {
    if (n_out) *n_out = 0;
    if (m == NULL || n_out == NULL || (out == NULL && cap > 0) || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_predict: model, n_out, out or text is NULL");
    llmd_langid_predict_options o = LLMD_LANGID_PREDICT_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts, predict_options_sizes, LLMD_LANGID_PREDICT_OPTIONS_VERSION,
                                       "llmd_langid_predict");
    if (st != LLMD_OK) return st;
    if (o.k == 0 || o.k < -1)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_predict: k = %d (needs 1 or more, or -1 for all)", o.k);
    if (isnan(o.threshold)) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_predict: threshold is NaN");
    scratch s;
    if ((st = scratch_init(&s, m)) != LLMD_OK) return st;
    size_t n = 0;
    st = predict_line(m, &s, text ? text : "", len, o.k, o.threshold, &n);
    if (st == LLMD_OK) {
        for (size_t i = 0; i < n && i < cap; i++)
            out[i] = (llmd_langid_prediction){s.heap[i].id, m->labels[s.heap[i].id], expf(s.heap[i].score)};
        *n_out = n;
        if (n > cap)
            st = llmd_fail(LLMD_ERR_TRUNCATED, "llmd_langid_predict: %zu predictions, room for %zu", n, cap);
    }
    scratch_free(&s);
    return st;
}

static llmd_status top_with(const llmd_langid_model *m, scratch *s, const char *text, size_t len,
                            int32_t *id, float *prob) {
    size_t n = 0;
    llmd_status st = predict_line(m, s, text ? text : "", len, 1, 0.0f, &n);
    *id = n ? s->heap[0].id : -1;
    *prob = n ? expf(s->heap[0].score) : 0.0f;
    return st;
}

llmd_status llmd_langid_predict_top(const llmd_langid_model *m, const char *text, size_t len, int32_t *label_id,
                                    const char **label, float *probability) {
    if (label_id) *label_id = -1;
    if (label) *label = "";
    if (probability) *probability = 0.0f;
    if (m == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_predict_top: model or text is NULL");
    scratch s;
    llmd_status st = scratch_init(&s, m);
    if (st != LLMD_OK) return st;
    int32_t id;
    float p;
    st = top_with(m, &s, text, len, &id, &p);
    scratch_free(&s);
    if (st != LLMD_OK) return st;
    if (label_id) *label_id = id;
    if (label && id >= 0) *label = m->labels[id];
    if (probability) *probability = p;
    return LLMD_OK;
}

typedef struct batch_job {
    const llmd_langid_model *m;
    const char *const *texts;
    const size_t *lens;
    int32_t *ids;
    float *probs;
} batch_job;

static llmd_status batch_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    batch_job *j = arg;
    scratch s;
    llmd_status st = scratch_init(&s, j->m);
    for (size_t i = begin; i < end && st == LLMD_OK; i++) {
        st = top_with(j->m, &s, j->texts[i], j->lens[i], &j->ids[i], &j->probs[i]);
        if (st != LLMD_OK) llmd_error_prefix("text %zu", i);
    }
    scratch_free(&s);
    return st;
}

llmd_status llmd_langid_predict_top_batch(const llmd_langid_model *m, const char *const *texts, const size_t *lens,
                                          size_t n, unsigned threads, int32_t *label_ids, float *probabilities) {
    if (m == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_predict_top_batch: model is NULL");
    if (n == 0) return LLMD_OK;
    if (!texts || !lens || !label_ids || !probabilities)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_predict_top_batch: an array is NULL");
    for (size_t i = 0; i < n; i++)
        if (texts[i] == NULL && lens[i] > 0)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_langid_predict_top_batch: text %zu is NULL", i);
    batch_job j = {m, texts, lens, label_ids, probabilities};
    return llmd_parallel_ranges(n, threads, batch_range, &j);
}
