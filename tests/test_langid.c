/* Check suite for lib/langid: fastText model loading and prediction.
 *
 * Most cases build a tiny model in memory, byte by byte in fastText's file layout, from weights
 * chosen so that the probabilities can be worked out by hand:  with hidden vector h = (1, 0) and
 * label rows en = (1, 0), fr = (0, 1), a softmax gives en e/(e+1) = 0.7310586 and fr 0.2689414;
 * fastText reports exp(log(p + 1e-5)), i.e. p + 1e-5 (0.7310686, 0.2689514).  Bucket numbers of
 * n-grams were computed by hand with fastText's FNV-1a (bytes sign-extended), see each case.
 * The last cases use the bundled lid.176.ftz with expectations from the WASM fastText peer. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>

#include "testutil.h"

#define P_EN 0.7310686f   /* e/(e+1) + 1e-5 */
#define P_FR 0.2689514f   /* 1/(e+1) + 1e-5 */
#define P_HALF 0.50001f   /* 0.5 + 1e-5 */
#define TOL 2e-6

/* ---- a fastText model writer (the layout of FastText::saveModel) ------------------------------ */

typedef struct mbuf {
    uint8_t *p;
    size_t n, cap;
} mbuf;

static void put(mbuf *b, const void *d, size_t n) {
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        ck_assert_ptr_nonnull(b->p);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}
static void put_i32(mbuf *b, int32_t v) { put(b, &v, 4); }   /* the test hosts are little-endian */
static void put_i64(mbuf *b, int64_t v) { put(b, &v, 8); }
static void put_f32(mbuf *b, float v) { put(b, &v, 4); }
static void put_u8(mbuf *b, uint8_t v) { put(b, &v, 1); }

typedef struct margs {
    int32_t dim, word_ngrams, loss, model, bucket, minn, maxn;
} margs;

static void put_header(mbuf *b, int32_t version, const margs *a) {
    put_i32(b, 793712314);
    put_i32(b, version);
    int32_t args[12] = {a->dim, 5, 5, 1, 5, a->word_ngrams, a->loss, a->model, a->bucket, a->minn, a->maxn, 100};
    for (int i = 0; i < 12; i++) put_i32(b, args[i]);
    double t = 1e-4;
    put(b, &t, 8);
}

/* Dictionary: words then labels (counts for the labels given; words get count 1). */
static void put_dict(mbuf *b, const char *const *words, int nw, const char *const *labels, const int64_t *lcounts,
                     int nl, int64_t prune_size) {
    put_i32(b, nw + nl);
    put_i32(b, nw);
    put_i32(b, nl);
    put_i64(b, 100);
    put_i64(b, prune_size);
    for (int i = 0; i < nw; i++) {
        put(b, words[i], strlen(words[i]) + 1);
        put_i64(b, 1);
        put_u8(b, 0);
    }
    for (int i = 0; i < nl; i++) {
        put(b, labels[i], strlen(labels[i]) + 1);
        put_i64(b, lcounts[i]);
        put_u8(b, 1);
    }
}

static void put_dense(mbuf *b, int64_t rows, int64_t cols, const float *v) {
    put_i64(b, rows);
    put_i64(b, cols);
    for (int64_t i = 0; i < rows * cols; i++) put_f32(b, v[i]);
}

static llmd_langid_model *load_mem(const mbuf *b) {
    llmd_langid_model *m = NULL;
    ck_ok(llmd_langid_model_from_memory(&m, b->p, b->n, "test-model"));
    return m;
}

static const char *const LABELS2[] = {"__label__en", "__label__fr"};
static const int64_t COUNTS2[] = {10, 5};
static const float OUT_EN_FR[] = {1, 0, 0, 1};

/* Softmax model: words </s> (0,0), hello (2,0), bonjour (0,2); no n-grams. */
static mbuf softmax_model(int32_t loss) {
    mbuf b = {0};
    margs a = {2, 1, loss, 3, 0, 0, 0};
    put_header(&b, 12, &a);
    const char *words[] = {"</s>", "hello", "bonjour"};
    put_dict(&b, words, 3, LABELS2, COUNTS2, 2, -1);
    put_u8(&b, 0); /* dense input */
    const float in[] = {0, 0, 2, 0, 0, 2};
    put_dense(&b, 3, 2, in);
    put_u8(&b, 0); /* dense output */
    put_dense(&b, 2, 2, OUT_EN_FR);
    return b;
}

static void predict_k(const llmd_langid_model *m, const char *text, int32_t k, float threshold,
                      llmd_langid_prediction *p, size_t cap, size_t *n) {
    llmd_langid_predict_options o = LLMD_LANGID_PREDICT_OPTIONS_INIT;
    o.k = k;
    o.threshold = threshold;
    ck_ok(llmd_langid_predict(m, text, strlen(text), &o, p, cap, n));
}

#define ck_prob(got, want) ck_assert_msg(fabs((double)(got) - (double)(want)) < TOL, "p %.8f want %.8f", \
                                         (double)(got), (double)(want))

START_TEST(test_softmax_by_hand) {
    mbuf b = softmax_model(3);
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_prediction p[4];
    size_t n;
    /* "hello" + "</s>": h = ((2 + 0) / 2, 0) = (1, 0). */
    predict_k(m, "hello", -1, 0.0f, p, 4, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[0].label, "en");
    ck_assert_int_eq(p[0].label_id, 0);
    ck_prob(p[0].probability, P_EN);
    ck_assert_str_eq(p[1].label, "fr");
    ck_prob(p[1].probability, P_FR);
    /* k = 1 (default options) gives the best only. */
    ck_ok(llmd_langid_predict(m, "bonjour", 7, NULL, p, 4, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(p[0].label, "fr");
    ck_prob(p[0].probability, P_EN);
    /* Newlines read as spaces: "hello\nbonjour" is "hello bonjour" (h = (2/3, 2/3): a tie). */
    predict_k(m, "hello\nbonjour", -1, 0.0f, p, 4, &n);
    ck_assert_uint_eq(n, 2);
    ck_prob(p[0].probability, P_HALF);
    ck_prob(p[1].probability, P_HALF);
    /* Unknown words without n-grams: only "</s>" (0, 0) -> 0.5 / 0.5; empty text the same. */
    predict_k(m, "xyz", 1, 0.0f, p, 4, &n);
    ck_assert_uint_eq(n, 1);
    ck_prob(p[0].probability, P_HALF);
    predict_k(m, "", 1, 0.0f, p, 4, &n);
    ck_assert_uint_eq(n, 1);
    /* Tabs, CR, VT, FF and NUL separate words as in fastText's readWord. */
    ck_ok(llmd_langid_predict(m, "\thello\r\v\f", 9, NULL, p, 4, &n));
    ck_prob(p[0].probability, P_EN);
    ck_ok(llmd_langid_predict(m, "hello\0", 6, NULL, p, 4, &n));
    ck_prob(p[0].probability, P_EN);
    /* A literal "</s>" ends the line, as fastText's getLine stops at it: "hello </s> bonjour" is
     * rows hello, </s> (h = (1, 0)), not hello, </s>, bonjour, </s> (a tie). */
    predict_k(m, "hello </s> bonjour", 1, 0.0f, p, 4, &n);
    ck_assert_str_eq(p[0].label, "en");
    ck_prob(p[0].probability, P_EN);
    /* Threshold: fr (0.269) is dropped at 0.3. */
    predict_k(m, "hello", -1, 0.3f, p, 4, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(p[0].label, "en");
    /* A label-like token takes no part ("__label__fr hello" predicts like "hello"). */
    predict_k(m, "__label__fr hello __label__zz", -1, 0.0f, p, 4, &n);
    ck_prob(p[0].probability, P_EN);
    llmd_langid_model_free(m);
    free(b.p);
}
END_TEST

START_TEST(test_predict_top_and_truncated) {
    mbuf b = softmax_model(3);
    llmd_langid_model *m = load_mem(&b);
    int32_t id;
    const char *label;
    float p;
    ck_ok(llmd_langid_predict_top(m, "bonjour hello bonjour", 21, &id, &label, &p));
    ck_assert_int_eq(id, 1);
    ck_assert_str_eq(label, "fr");
    /* h = (2/4, 4/4): softmax(0.5, 1) -> fr 1/(1+e^-0.5) = 0.6224593 */
    ck_prob(p, 0.6224693f);
    llmd_langid_prediction one;
    size_t n;
    llmd_langid_predict_options o = LLMD_LANGID_PREDICT_OPTIONS_INIT;
    o.k = -1;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, &one, 1, &n), LLMD_ERR_TRUNCATED, "2 predictions");
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(one.label, "en");
    o.k = 0;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, &one, 1, &n), LLMD_ERR_INVALID_ARG, "k = 0");
    o.k = 1;
    o.version = 99;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, &one, 1, &n), LLMD_ERR_VERSION, "version");
    o.version = LLMD_LANGID_PREDICT_OPTIONS_VERSION;
    o.threshold = NAN;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, &one, 1, &n), LLMD_ERR_INVALID_ARG, "NaN");
    ck_fails(llmd_langid_predict(NULL, "hello", 5, NULL, &one, 1, &n), LLMD_ERR_INVALID_ARG, "NULL");
    /* Labels and info. */
    ck_assert_int_eq(llmd_langid_label_count(m), 2);
    ck_assert_str_eq(llmd_langid_label(m, 1), "fr");
    ck_assert_ptr_null(llmd_langid_label(m, 2));
    ck_assert_int_eq(llmd_langid_label_id(m, "__label__fr"), 1);
    ck_assert_int_eq(llmd_langid_label_id(m, "en"), 0);
    ck_assert_int_eq(llmd_langid_label_id(m, "de"), -1);
    llmd_langid_model_info info = LLMD_LANGID_MODEL_INFO_INIT;
    ck_ok(llmd_langid_model_get_info(m, &info));
    ck_assert_int_eq(info.dim, 2);
    ck_assert_int_eq(info.n_words, 3);
    ck_assert_int_eq(info.n_labels, 2);
    ck_assert_int_eq(info.loss, 3);
    ck_assert_int_eq(info.quantized, 0);
    /* Batch on several threads equals the single calls. */
    const char *texts[] = {"hello", "bonjour", "xyz", "bonjour hello bonjour", NULL};
    size_t lens[] = {5, 7, 3, 21, 0};
    int32_t ids[5];
    float probs[5];
    ck_ok(llmd_langid_predict_top_batch(m, texts, lens, 5, 3, ids, probs));
    ck_assert_int_eq(ids[0], 0);
    ck_assert_int_eq(ids[1], 1);
    ck_prob(probs[2], P_HALF);
    ck_assert_int_eq(ids[3], 1);
    ck_prob(probs[3], 0.6224693f);
    ck_prob(probs[4], P_HALF);
    llmd_langid_model_free(m);
    llmd_langid_model_free(NULL);
    free(b.p);
}
END_TEST

START_TEST(test_ova) {
    /* One-vs-all: fastText's 512-step sigmoid table; sigmoid(1) sits exactly on entry 288
     * (x = 288*16/512 - 8 = 1) and sigmoid(0) on entry 256. */
    mbuf b = softmax_model(4);
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_prediction p[2];
    size_t n;
    predict_k(m, "hello", -1, 0.0f, p, 2, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[0].label, "en");
    ck_prob(p[0].probability, P_EN);
    ck_prob(p[1].probability, P_HALF);
    llmd_langid_model_free(m);
    free(b.p);
}
END_TEST

/* Hierarchical softmax, 3 labels a (count 10), b (5), c (3).  fastText's buildTree: node 3 =
 * (left c, right b), node 4 = root = (left node 3, right a); node i uses output row i - 3.
 * P(a) = s(w1.h), P(b) = (1 - s(w1.h)) s(w0.h), P(c) = (1 - s(w1.h))(1 - s(w0.h)).
 * With h = (1, 0), w1 = (0, 0) and w0 = (ln 3, 0): s1 = 0.5, s0 = 0.75, and fastText reports
 * (0.5 + 1e-5), (0.5 + 1e-5)(0.75 + 1e-5), (0.5 + 1e-5)(0.25 + 1e-5). */
START_TEST(test_hierarchical_softmax) {
    mbuf b = {0};
    margs a = {2, 1, 1, 3, 0, 0, 0};
    put_header(&b, 12, &a);
    const char *words[] = {"</s>", "w"};
    const char *labels[] = {"__label__a", "__label__b", "__label__c"};
    const int64_t counts[] = {10, 5, 3};
    put_dict(&b, words, 2, labels, counts, 3, -1);
    put_u8(&b, 0);
    const float in[] = {0, 0, 2, 0};
    put_dense(&b, 2, 2, in);
    put_u8(&b, 0);
    const float out[] = {(float)log(3.0), 0, 0, 0, 7, 7}; /* row 2 is never used by a 3-leaf tree */
    put_dense(&b, 3, 2, out);
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_prediction p[3];
    size_t n;
    predict_k(m, "w", -1, 0.0f, p, 3, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(p[0].label, "a");
    ck_prob(p[0].probability, 0.50001f);
    ck_assert_str_eq(p[1].label, "b");
    ck_prob(p[1].probability, 0.50001f * 0.75001f);
    ck_assert_str_eq(p[2].label, "c");
    ck_prob(p[2].probability, 0.50001f * 0.25001f);
    /* The threshold prunes the tree: c (0.125) is never reached at 0.3. */
    predict_k(m, "w", -1, 0.3f, p, 3, &n);
    ck_assert_uint_eq(n, 2);
    predict_k(m, "w", 2, 0.0f, p, 3, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[1].label, "b");
    llmd_langid_model_free(m);
    free(b.p);
}
END_TEST

/* Character n-grams: minn = maxn = 1, 11 buckets, vocabulary "</s>" only.  "<é>" has one n-gram
 * of one character, "é" (bytes C3 A9); "<" and ">" alone are skipped.  FNV-1a with the bytes
 * sign-extended (0xFFFFFFC3, 0xFFFFFFA9), as fastText hashes: 0x3cfa68c1 % 11 = 8; with
 * unsigned bytes it would be bucket 10.  Row 1 + 8 = (2, 0), row 1 + 10 = (0, 2): h = ((2 + 0) / 2, 0) -> en. */
static mbuf subword_model(void) {
    mbuf b = {0};
    margs a = {2, 1, 3, 3, 11, 1, 1};
    put_header(&b, 12, &a);
    const char *words[] = {"</s>"};
    put_dict(&b, words, 1, LABELS2, COUNTS2, 2, -1);
    put_u8(&b, 0);
    float in[24] = {0};
    in[2 * 9] = 2;        /* row 9 = bucket 8 */
    in[2 * 11 + 1] = 2;   /* row 11 = bucket 10 */
    put_dense(&b, 12, 2, in);
    put_u8(&b, 0);
    put_dense(&b, 2, 2, OUT_EN_FR);
    return b;
}

START_TEST(test_subword_hash_signed_bytes) {
    mbuf b = subword_model();
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_prediction p[2];
    size_t n;
    predict_k(m, "é", -1, 0.0f, p, 2, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[0].label, "en");
    ck_prob(p[0].probability, P_EN);
    ck_prob(p[1].probability, P_FR);
    llmd_langid_model_free(m);
    free(b.p);
}
END_TEST

/* Word bigrams: wordNgrams 2, 13 buckets, words "</s>", "good", "day".  Word hashes (FNV-1a):
 * good 0xfa6031d8, day 0xe44f21fd, </s> 0xd79c9359, all negative as int32; fastText combines them
 * as uint64 from the sign-extended values: (good, day) -> (good * 116049371 + day) % 13 = 9,
 * (day, </s>) -> 2, (good, </s>) -> 10.  Without the sign extension (good, day) would be bucket
 * 5.  Only row 3 + 9 = 12 is non-zero, (5, 0). */
START_TEST(test_word_ngrams) {
    mbuf b = {0};
    margs a = {2, 2, 3, 3, 13, 0, 0};
    put_header(&b, 12, &a);
    const char *words[] = {"</s>", "good", "day"};
    put_dict(&b, words, 3, LABELS2, COUNTS2, 2, -1);
    put_u8(&b, 0);
    float in[32] = {0};
    in[2 * 12] = 5;
    put_dense(&b, 16, 2, in);
    put_u8(&b, 0);
    put_dense(&b, 2, 2, OUT_EN_FR);
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_prediction p[2];
    size_t n;
    /* rows good, day, </s>, bucket 9, bucket 2: h = (5/5, 0) = (1, 0) -> en */
    predict_k(m, "good day", -1, 0.0f, p, 2, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[0].label, "en");
    ck_prob(p[0].probability, P_EN);
    ck_prob(p[1].probability, P_FR);
    /* "good": rows good, </s>, bucket 10: h = (0, 0) -> a tie. */
    predict_k(m, "good", 1, 0.0f, p, 2, &n);
    ck_prob(p[0].probability, P_HALF);
    llmd_langid_model_free(m);
    free(b.p);
}
END_TEST

/* Quantized (.ftz) with a pruned dictionary, quantized norms and a quantized output matrix.
 * minn = maxn = 1, 11 buckets, "</s>" only; prune index {bucket 8 -> row 0}, so "é" (bucket 8)
 * is input row 1 + 0 = 1 and every other n-gram is dropped.  Input product quantizer: dim 2,
 * dsub 2 (one sub-quantizer), centroid 0 = (0, 0), centroid 1 = (0.5, 0); codes row 0 -> 0,
 * row 1 -> 1; norms: norm code row 0 -> 0, row 1 -> 1 with norm centroids 1.0 and 4.0, so row 1 =
 * 4 * (0.5, 0) = (2, 0).  Output: centroids (1, 0), (0, 1), codes en -> 0, fr -> 1, no norms. */
static mbuf quant_model(void) {
    mbuf b = {0};
    margs a = {2, 1, 3, 3, 11, 1, 1};
    put_header(&b, 12, &a);
    const char *words[] = {"</s>"};
    put_dict(&b, words, 1, LABELS2, COUNTS2, 2, 1);
    put_i32(&b, 8);
    put_i32(&b, 0);
    put_u8(&b, 1);          /* quant input */
    put_u8(&b, 1);          /* qnorm */
    put_i64(&b, 2);         /* rows */
    put_i64(&b, 2);         /* cols */
    put_i32(&b, 2);         /* codesize = rows * nsubq */
    put_u8(&b, 0);
    put_u8(&b, 1);
    put_i32(&b, 2); put_i32(&b, 1); put_i32(&b, 2); put_i32(&b, 2);  /* pq: dim nsubq dsub lastdsub */
    for (int i = 0; i < 256; i++) {
        put_f32(&b, i == 1 ? 0.5f : (i == 0 ? 0.0f : 9.0f));
        put_f32(&b, i <= 1 ? 0.0f : 9.0f);
    }
    put_u8(&b, 0);          /* norm codes */
    put_u8(&b, 1);
    put_i32(&b, 1); put_i32(&b, 1); put_i32(&b, 1); put_i32(&b, 1);  /* norm pq */
    for (int i = 0; i < 256; i++) put_f32(&b, i == 0 ? 1.0f : (i == 1 ? 4.0f : 100.0f));
    put_u8(&b, 1);          /* qout */
    put_u8(&b, 0);          /* no qnorm */
    put_i64(&b, 2);
    put_i64(&b, 2);
    put_i32(&b, 2);
    put_u8(&b, 0);
    put_u8(&b, 1);
    put_i32(&b, 2); put_i32(&b, 1); put_i32(&b, 2); put_i32(&b, 2);
    for (int i = 0; i < 256; i++) {
        put_f32(&b, i == 0 ? 1.0f : 0.0f);
        put_f32(&b, i == 1 ? 1.0f : 0.0f);
    }
    return b;
}

/* File version 11: fastText's old supervised models use no character n-grams (maxn read as 0
 * whatever the file says).  The subword model saved as version 11 predicts "é" from "</s>"
 * alone: a tie, where version 12 gives en (test_subword_hash_signed_bytes). */
START_TEST(test_version11_no_subwords) {
    mbuf b = subword_model();
    int32_t v11 = 11;
    memcpy(b.p + 4, &v11, 4);
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_model_info info = LLMD_LANGID_MODEL_INFO_INIT;
    ck_ok(llmd_langid_model_get_info(m, &info));
    ck_assert_int_eq(info.file_version, 11);
    ck_assert_int_eq(info.maxn, 0);
    llmd_langid_prediction p[2];
    size_t n;
    predict_k(m, "é", 1, 0.0f, p, 2, &n);
    ck_prob(p[0].probability, P_HALF);
    llmd_langid_model_free(m);
    free(b.p);
}
END_TEST

START_TEST(test_quantized_pruned) {
    mbuf b = quant_model();
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_model_info info = LLMD_LANGID_MODEL_INFO_INIT;
    ck_ok(llmd_langid_model_get_info(m, &info));
    ck_assert_int_eq(info.quantized, 1);
    ck_assert_int_eq(info.quantized_output, 1);
    llmd_langid_prediction p[2];
    size_t n;
    predict_k(m, "é", -1, 0.0f, p, 2, &n);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(p[0].label, "en");
    ck_prob(p[0].probability, P_EN);
    ck_prob(p[1].probability, P_FR);
    /* "ü" hashes to bucket 6, pruned away: only "</s>" (code 0, norm 1) = (0, 0). */
    predict_k(m, "ü", 1, 0.0f, p, 2, &n);
    ck_prob(p[0].probability, P_HALF);
    llmd_langid_model_free(m);
    free(b.p);
}
END_TEST

/* ---- hostile and broken files ----------------------------------------------------------------- */

START_TEST(test_every_truncation_fails_cleanly) {
    mbuf models[3] = {softmax_model(1), subword_model(), quant_model()};
    for (int k = 0; k < 3; k++) {
        for (size_t len = 0; len < models[k].n; len++) {
            llmd_langid_model *m = (llmd_langid_model *)1;
            llmd_status st = llmd_langid_model_from_memory(&m, models[k].p, len, "cut");
            ck_assert_msg(st == LLMD_ERR_PARSE, "model %d cut at %zu: %s %s", k, len, llmd_status_str(st),
                          llmd_last_error());
            ck_assert_ptr_null(m);
            ck_assert_msg(strstr(llmd_last_error(), "cut") != NULL, "%s", llmd_last_error());
        }
        free(models[k].p);
    }
}
END_TEST

static llmd_status load_patched(mbuf *b, size_t off, const void *v, size_t n) {
    uint8_t save[8];
    memcpy(save, b->p + off, n);
    memcpy(b->p + off, v, n);
    llmd_langid_model *m = NULL;
    llmd_status st = llmd_langid_model_from_memory(&m, b->p, b->n, "patched");
    memcpy(b->p + off, save, n);
    llmd_langid_model_free(m);
    return st;
}

START_TEST(test_bad_fields) {
    mbuf b = softmax_model(3);
    int32_t v;
    v = 12345;
    ck_fails(load_patched(&b, 0, &v, 4), LLMD_ERR_PARSE, "not a fastText model");
    v = 13;
    ck_fails(load_patched(&b, 4, &v, 4), LLMD_ERR_VERSION, "version 13");
    v = 10;
    ck_fails(load_patched(&b, 4, &v, 4), LLMD_ERR_UNSUPPORTED, "version 10");
    v = 1; /* model = cbow */
    ck_fails(load_patched(&b, 8 + 7 * 4, &v, 4), LLMD_ERR_UNSUPPORTED, "supervised");
    v = 9; /* loss */
    ck_fails(load_patched(&b, 8 + 6 * 4, &v, 4), LLMD_ERR_PARSE, "loss");
    v = 0; /* dim */
    ck_fails(load_patched(&b, 8, &v, 4), LLMD_ERR_PARSE, "dim");
    v = 3; /* dim 3: the matrices have 2 columns */
    ck_fails(load_patched(&b, 8, &v, 4), LLMD_ERR_PARSE, "columns");
    v = 2; /* maxn 2 with bucket 0 */
    ck_fails(load_patched(&b, 8 + 10 * 4, &v, 4), LLMD_ERR_PARSE, "bucket");
    size_t dict = 8 + 48 + 8;
    v = 0x7fffffff; /* dictionary size: never allocated */
    ck_fails(load_patched(&b, dict, &v, 4), LLMD_ERR_PARSE, "dictionary size");
    v = 2; /* nwords 2 + nlabels 2 != 5 */
    ck_fails(load_patched(&b, dict + 4, &v, 4), LLMD_ERR_PARSE, "nwords");
    int64_t big = (int64_t)1 << 40;
    ck_fails(load_patched(&b, dict + 20, &big, 8), LLMD_ERR_PARSE, "pruneidx_size");
    int64_t pruned = 0; /* a dense model with a pruned dictionary */
    ck_fails(load_patched(&b, dict + 20, &pruned, 8), LLMD_ERR_PARSE, "pruned");
    uint8_t t = 7; /* entry type of "</s>" */
    ck_fails(load_patched(&b, dict + 28 + 5 + 8, &t, 1), LLMD_ERR_PARSE, "entry type");
    t = 1; /* "</s>" marked as a label before the words end */
    ck_fails(load_patched(&b, dict + 28 + 5 + 8, &t, 1), LLMD_ERR_PARSE, "header says");
    size_t quant = dict + 28 + (5 + 9) + (6 + 9) + (8 + 9) + (12 + 9) * 2;
    t = 2;
    ck_fails(load_patched(&b, quant, &t, 1), LLMD_ERR_PARSE, "bool");
    int64_t rows = (int64_t)1 << 40;
    ck_fails(load_patched(&b, quant + 1, &rows, 8), LLMD_ERR_PARSE, "input matrix");
    rows = 2; /* fewer rows than words */
    ck_fails(load_patched(&b, quant + 1, &rows, 8), LLMD_ERR_PARSE, "fewer");
    size_t out = quant + 1 + 16 + 24;
    rows = 3; /* output rows != labels; also the file is then too short */
    ck_assert_int_eq(load_patched(&b, out + 1, &rows, 8), LLMD_ERR_PARSE);
    free(b.p);

    mbuf q = quant_model();
    size_t qdict = 8 + 48 + 8 + 28 + (5 + 9) + (12 + 9) * 2;
    int32_t row = 5; /* prune index row beyond the 2-row matrix */
    ck_fails(load_patched(&q, qdict + 4, &row, 4), LLMD_ERR_PARSE, "prune index");
    size_t qin = qdict + 8 + 1;
    int32_t cs = 3; /* codesize != rows * nsubq */
    ck_assert_int_eq(load_patched(&q, qin + 17, &cs, 4), LLMD_ERR_PARSE);
    int32_t dsub = 3; /* pq layout */
    ck_fails(load_patched(&q, qin + 21 + 2 + 8, &dsub, 4), LLMD_ERR_PARSE, "layout");
    free(q.p);
}
END_TEST

START_TEST(test_load_errors) {
    llmd_langid_model *m = NULL;
    ck_fails(llmd_langid_model_load(&m, "/nonexistent/lid.ftz"), LLMD_ERR_NOT_FOUND, "/nonexistent/lid.ftz");
    ck_assert_ptr_null(m);
    ck_fails(llmd_langid_model_load(NULL, "x"), LLMD_ERR_INVALID_ARG, "out");
    ck_fails(llmd_langid_model_from_memory(&m, NULL, 5, NULL), LLMD_ERR_INVALID_ARG, "data");
    ck_fails(llmd_langid_model_from_memory(&m, "", 0, NULL), LLMD_ERR_PARSE, "<memory>");
}
END_TEST

/* ---- the bundled lid.176.ftz (expectations: the WASM fastText, tests/langid/peer_predict.mjs) -- */

static llmd_langid_model *lid176(void) {
    char path[4096];
    snprintf(path, sizeof path, "%s/../data/langid/lid.176.ftz", test_srcdir());
    llmd_langid_model *m = NULL;
    ck_ok(llmd_langid_model_load(&m, path));
    return m;
}

START_TEST(test_lid176) {
    llmd_langid_model *m = lid176();
    llmd_langid_model_info info = LLMD_LANGID_MODEL_INFO_INIT;
    ck_ok(llmd_langid_model_get_info(m, &info));
    ck_assert_int_eq(info.n_labels, 176);
    ck_assert_int_eq(info.dim, 16);
    ck_assert_int_eq(info.loss, 1);
    ck_assert_int_eq(info.quantized, 1);
    ck_assert_int_eq(info.minn, 2);
    ck_assert_int_eq(info.maxn, 4);
    ck_assert_int_eq(llmd_langid_label_id(m, "en"), 0);
    /* From the peer: {"labels":["fr","en","de"],"probs":[0.9895493984,0.0043588090,0.0011364806]} */
    llmd_langid_prediction p[3];
    size_t n;
    predict_k(m, "Bonjour tout le monde", 3, 0.0f, p, 3, &n);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(p[0].label, "fr");
    ck_assert(fabs(p[0].probability - 0.9895494) < 1e-6);
    ck_assert_str_eq(p[1].label, "en");
    ck_assert(fabs(p[1].probability - 0.0043588) < 1e-6);
    ck_assert_str_eq(p[2].label, "de");
    /* Peer: "Das ist ein Test" k 3 -> only ["de"] 1.0000399 (the tree prunes the rest). */
    predict_k(m, "Das ist ein Test", 3, 0.0f, p, 3, &n);
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(p[0].label, "de");
    ck_assert(fabs(p[0].probability - 1.0000399) < 1e-6);
    /* Peer: "Привет мир" -> ru 0.5729788, uk 0.1952358. */
    predict_k(m, "Привет мир", 2, 0.0f, p, 3, &n);
    ck_assert_str_eq(p[0].label, "ru");
    ck_assert(fabs(p[0].probability - 0.5729788) < 1e-6);
    ck_assert_str_eq(p[1].label, "uk");
    /* Peer: "这是一个测试" -> zh 0.9999744. */
    predict_k(m, "这是一个测试", 1, 0.0f, p, 3, &n);
    ck_assert_str_eq(p[0].label, "zh");
    ck_assert(fabs(p[0].probability - 0.9999744) < 1e-6);
    /* Peer: "Hello, world!" and "" both -> en 0.1245042 (only "</s>" survives the pruning). */
    predict_k(m, "Hello, world!", 1, 0.0f, p, 3, &n);
    ck_assert(fabs(p[0].probability - 0.1245042) < 1e-6);
    llmd_langid_model_free(m);
}
END_TEST

typedef struct thread_arg {
    const llmd_langid_model *m;
    int ok;
} thread_arg;

static void *predict_many(void *arg) {
    thread_arg *a = arg;
    a->ok = 1;
    for (int i = 0; i < 200; i++) {
        int32_t id;
        float p;
        const char *t = (i & 1) ? "Bonjour tout le monde" : "Das ist ein Test";
        if (llmd_langid_predict_top(a->m, t, strlen(t), &id, NULL, &p) != LLMD_OK) a->ok = 0;
        if (strcmp(llmd_langid_label(a->m, id), (i & 1) ? "fr" : "de") != 0) a->ok = 0;
    }
    return NULL;
}

START_TEST(test_shared_between_threads) {
    llmd_langid_model *m = lid176();
    pthread_t t[4];
    thread_arg a[4];
    for (int i = 0; i < 4; i++) {
        a[i].m = m;
        pthread_create(&t[i], NULL, predict_many, &a[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert(a[i].ok);
    }
    llmd_langid_model_free(m);
}
END_TEST

START_TEST(test_default_path) {
    setenv(LLMD_LANGID_MODEL_ENV, "/some/where/model.ftz", 1);
    ck_assert_str_eq(llmd_langid_default_model_path(), "/some/where/model.ftz");
    unsetenv(LLMD_LANGID_MODEL_ENV);
    const char *d = llmd_langid_default_model_path();
    ck_assert(strstr(d, "lid.176.ftz") != NULL);
    /* In a build tree the source copy (or an installed copy) is found and loads. */
    llmd_langid_model *m = NULL;
    ck_ok(llmd_langid_model_load(&m, NULL));
    ck_assert_int_eq(llmd_langid_label_count(m), 176);
    llmd_langid_model_free(m);
}
END_TEST

int main(void) {
    Suite *s = suite_create("langid");
    TCase *tc = tcase_create("langid");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_softmax_by_hand);
    tcase_add_test(tc, test_predict_top_and_truncated);
    tcase_add_test(tc, test_ova);
    tcase_add_test(tc, test_hierarchical_softmax);
    tcase_add_test(tc, test_subword_hash_signed_bytes);
    tcase_add_test(tc, test_word_ngrams);
    tcase_add_test(tc, test_version11_no_subwords);
    tcase_add_test(tc, test_quantized_pruned);
    tcase_add_test(tc, test_every_truncation_fails_cleanly);
    tcase_add_test(tc, test_bad_fields);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_lid176);
    tcase_add_test(tc, test_shared_between_threads);
    tcase_add_test(tc, test_default_path);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
