/* Suite "langid_cov": langid argument, option and model-field errors (issue 19 branch coverage).
 *
 * Tiny models are built in memory, byte by byte in fastText's file layout (the writer of
 * tests/test_langid.c, FastText::saveModel): with hidden vector h = (1, 0) and label rows
 * en = (1, 0), fr = (0, 1), a softmax gives en e/(e+1) = 0.7310586, reported as p + 1e-5.
 * Each damaged field is named in the message with its offset. */
#include <math.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define TOL 2e-6

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

/* The same without "</s>": a text with no known word gives no prediction at all. */
static mbuf noeos_model(void) {
    mbuf b = {0};
    margs a = {2, 1, 3, 3, 0, 0, 0};
    put_header(&b, 12, &a);
    const char *words[] = {"hello", "bonjour"};
    put_dict(&b, words, 2, LABELS2, COUNTS2, 2, -1);
    put_u8(&b, 0);
    const float in[] = {2, 0, 0, 2};
    put_dense(&b, 2, 2, in);
    put_u8(&b, 0);
    put_dense(&b, 2, 2, OUT_EN_FR);
    return b;
}

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

/* Header fields at 8 + 4 * i: dim, ws, epoch, minCount, neg, wordNgrams, loss, model, bucket, minn,
 * maxn, lrUpdateRate; the dictionary starts at 8 + 48 + 8. */
#define ARG(i) (8 + 4 * (i))
#define DICT (8 + 48 + 8)

START_TEST(bad_header_and_dictionary_fields) {
    mbuf b = softmax_model(3);
    int32_t v;
    int64_t w;
    v = 0;
    ck_fails(load_patched(&b, ARG(6), &v, 4), LLMD_ERR_PARSE, "unknown loss");
    v = 5;
    ck_fails(load_patched(&b, ARG(6), &v, 4), LLMD_ERR_PARSE, "unknown loss");
    v = 65537;
    ck_fails(load_patched(&b, ARG(0), &v, 4), LLMD_ERR_PARSE, "out of range 1..65536");
    v = -1;
    ck_fails(load_patched(&b, ARG(8), &v, 4), LLMD_ERR_PARSE, "bucket");
    ck_assert_msg(strstr(llmd_last_error(), "negative"), "%s", llmd_last_error());
    v = 2; /* word n-grams without buckets */
    ck_fails(load_patched(&b, ARG(5), &v, 4), LLMD_ERR_PARSE, "no hash buckets");
    v = -1;
    ck_fails(load_patched(&b, DICT, &v, 4), LLMD_ERR_PARSE, "dictionary size");
    v = -1;
    ck_fails(load_patched(&b, DICT + 4, &v, 4), LLMD_ERR_PARSE, "nwords -1 + nlabels 2 != dictionary size 5");
    v = -1;
    ck_fails(load_patched(&b, DICT + 8, &v, 4), LLMD_ERR_PARSE, "nlabels -1");
    int32_t wl[2] = {5, 0}; /* every entry a word: no labels */
    ck_fails(load_patched(&b, DICT + 4, wl, 8), LLMD_ERR_PARSE, "the model has no labels");
    w = -2;
    ck_fails(load_patched(&b, DICT + 20, &w, 8), LLMD_ERR_PARSE, "pruneidx_size");
    free(b.p);
}
END_TEST

/* Dense matrices out of range, output matrices that do not fit the labels. */
START_TEST(bad_matrices) {
    mbuf b = softmax_model(3);
    /* input matrix header right after the dictionary: 3 words + 2 labels */
    size_t in = DICT + 28 + (5 + 9) + (6 + 9) + (8 + 9) + (12 + 9) * 2 + 1;
    int64_t v = -1;
    ck_fails(load_patched(&b, in, &v, 8), LLMD_ERR_PARSE, "input matrix -1 x 2 is out of range");
    v = 70000;
    ck_fails(load_patched(&b, in + 8, &v, 8), LLMD_ERR_PARSE, "is out of range");
    v = -3;
    ck_fails(load_patched(&b, in + 8, &v, 8), LLMD_ERR_PARSE, "is out of range");
    size_t out = in + 16 + 24 + 1;
    v = 1; /* output rows 1: 2 labels */
    ck_fails(load_patched(&b, out, &v, 8), LLMD_ERR_PARSE, "");
    free(b.p);
    /* a hierarchical softmax model with a label count at fastText's 1e15 sentinel */
    b = softmax_model(1);
    int64_t c = (int64_t)1e15;
    size_t fr_count = DICT + 28 + (5 + 9) + (6 + 9) + (8 + 9) + (12 + 9) + 12;
    ck_fails(load_patched(&b, fr_count, &c, 8), LLMD_ERR_PARSE, "label 1 has count 1000000000000000");
    c = -1;
    ck_fails(load_patched(&b, fr_count, &c, 8), LLMD_ERR_PARSE, "label 1 has count -1");
    free(b.p);
}
END_TEST

START_TEST(info_labels_and_argument_errors) {
    mbuf b = noeos_model();
    llmd_langid_model *m = load_mem(&b);
    llmd_langid_model_info info = LLMD_LANGID_MODEL_INFO_INIT;
    ck_ok(llmd_langid_model_get_info(m, &info));
    ck_assert_int_eq(info.file_version, 12);
    ck_assert_int_eq(info.dim, 2);
    ck_assert_int_eq(info.n_words, 2);
    ck_assert_int_eq(info.n_labels, 2);
    ck_assert_int_eq(info.loss, 3);
    ck_assert_int_eq(info.word_ngrams, 1);
    ck_assert_int_eq(info.quantized, 0);
    ck_assert_int_eq(info.quantized_output, 0);
    ck_fails(llmd_langid_model_get_info(NULL, &info), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_langid_model_get_info(m, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    info.version = 0;
    ck_fails(llmd_langid_model_get_info(m, &info), LLMD_ERR_VERSION, "info version 0");
    info.version = 2;
    ck_fails(llmd_langid_model_get_info(m, &info), LLMD_ERR_VERSION, "info version 2");
    ck_assert_int_eq(llmd_langid_label_count(m), 2);
    ck_assert_int_eq(llmd_langid_label_count(NULL), 0);
    ck_assert_str_eq(llmd_langid_label(m, 1), "fr");
    ck_assert_ptr_null(llmd_langid_label(m, 2));
    ck_assert_ptr_null(llmd_langid_label(m, -1));
    ck_assert_ptr_null(llmd_langid_label(NULL, 0));
    ck_assert_int_eq(llmd_langid_label_id(m, "fr"), 1);
    ck_assert_int_eq(llmd_langid_label_id(m, "__label__en"), 0);
    ck_assert_int_eq(llmd_langid_label_id(m, "de"), -1);
    ck_assert_int_eq(llmd_langid_label_id(m, NULL), -1);
    ck_assert_int_eq(llmd_langid_label_id(NULL, "en"), -1);
    /* predict: argument and option errors */
    llmd_langid_prediction p[2];
    size_t n = 9;
    llmd_langid_predict_options o;
    llmd_langid_predict_options_init(&o);
    ck_assert_int_eq(o.k, 1);
    ck_assert(o.threshold == 0.0f);
    ck_fails(llmd_langid_predict(NULL, "hello", 5, &o, p, 2, &n), LLMD_ERR_INVALID_ARG, "");
    ck_assert_uint_eq(n, 0);
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, p, 2, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, NULL, 2, &n), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_langid_predict(m, NULL, 5, &o, p, 2, &n), LLMD_ERR_INVALID_ARG, "");
    o.k = 0;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, p, 2, &n), LLMD_ERR_INVALID_ARG, "k");
    o.k = -2;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, p, 2, &n), LLMD_ERR_INVALID_ARG, "k");
    o.k = 1;
    o.threshold = NAN;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, p, 2, &n), LLMD_ERR_INVALID_ARG, "threshold");
    o.threshold = 0;
    o.version = 7;
    ck_fails(llmd_langid_predict(m, "hello", 5, &o, p, 2, &n), LLMD_ERR_VERSION, "");
    /* NULL text of length 0 and NULL options: nothing known, no prediction */
    ck_ok(llmd_langid_predict(m, NULL, 0, NULL, p, 2, &n));
    ck_assert_uint_eq(n, 0);
    /* defaults (k 1): hello -> h = (2, 0) (no "</s>" to average with) -> en with e^2/(e^2+1) + 1e-5 */
    ck_ok(llmd_langid_predict(m, "hello", 5, NULL, p, 2, &n));
    ck_assert_uint_eq(n, 1);
    ck_assert_str_eq(p[0].label, "en");
    ck_assert_msg(fabs((double)p[0].probability - 0.8808071) < TOL, "%f", (double)p[0].probability);
    /* predict_top: unknown text, NULL out-pointers */
    int32_t id = 5;
    const char *label = NULL;
    float prob = 1;
    ck_ok(llmd_langid_predict_top(m, "zzz", 3, &id, &label, &prob));
    ck_assert_int_eq(id, -1);
    ck_assert_str_eq(label, "");
    ck_assert(prob == 0.0f);
    ck_ok(llmd_langid_predict_top(m, "hello", 5, NULL, NULL, NULL));
    ck_ok(llmd_langid_predict_top(m, "hello", 5, &id, NULL, &prob));
    ck_assert_int_eq(id, 0);
    ck_fails(llmd_langid_predict_top(NULL, "hello", 5, &id, &label, &prob), LLMD_ERR_INVALID_ARG, "");
    ck_assert_int_eq(id, -1);
    ck_fails(llmd_langid_predict_top(m, NULL, 5, &id, &label, &prob), LLMD_ERR_INVALID_ARG, "");
    /* batch: NULL arrays named */
    const char *texts[] = {"hello", "bonjour", "zzz"};
    const size_t lens[] = {5, 7, 3};
    int32_t ids[3];
    float probs[3];
    ck_ok(llmd_langid_predict_top_batch(m, texts, lens, 3, 2, ids, probs));
    ck_assert(ids[0] == 0 && ids[1] == 1 && ids[2] == -1 && probs[2] == 0.0f);
    ck_assert_int_ne(llmd_langid_predict_top_batch(m, NULL, lens, 3, 2, ids, probs), LLMD_OK);
    ck_assert_int_ne(llmd_langid_predict_top_batch(m, texts, lens, 3, 2, NULL, probs), LLMD_OK);
    ck_ok(llmd_langid_predict_top_batch(m, NULL, NULL, 0, 2, NULL, NULL));
    llmd_langid_model_free(m);
    llmd_langid_model_free(NULL);
    free(b.p);
}
END_TEST

/* Files: a model file, an empty file, a directory, a path under a file; the default path. */
START_TEST(model_files_and_default_path) {
    char dir[] = "/tmp/llmd_lcov_XXXXXX", p[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    mbuf b = softmax_model(3);
    snprintf(p, sizeof p, "%s/m.bin", dir);
    FILE *f = fopen(p, "wb");
    ck_assert_uint_eq(fwrite(b.p, 1, b.n, f), b.n);
    fclose(f);
    llmd_langid_model *m = NULL;
    ck_ok(llmd_langid_model_load(&m, p));
    ck_assert_int_eq(llmd_langid_label_count(m), 2);
    llmd_langid_model_free(m);
    /* the default path comes from the environment when set */
    setenv("LLMD_LANGID_MODEL", p, 1);
    ck_assert_str_eq(llmd_langid_default_model_path(), p);
    ck_ok(llmd_langid_model_load(&m, NULL));
    llmd_langid_model_free(m);
    setenv("LLMD_LANGID_MODEL", "", 1);
    ck_assert_str_ne(llmd_langid_default_model_path(), "");
    unsetenv("LLMD_LANGID_MODEL");
    snprintf(p, sizeof p, "%s/empty.bin", dir);
    fclose(fopen(p, "wb"));
    ck_fails(llmd_langid_model_load(&m, p), LLMD_ERR_PARSE, "empty.bin");
    ck_fails(llmd_langid_model_load(&m, dir), LLMD_ERR_IO, "not a regular file");
    snprintf(p, sizeof p, "%s/m.bin/x", dir);
    ck_fails(llmd_langid_model_load(&m, p), LLMD_ERR_IO, "m.bin/x");   /* ENOTDIR */
    ck_assert_ptr_null(m);
    free(b.p);
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(p), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("langid_cov");
    TCase *tc = tcase_create("cov");
    tcase_add_test(tc, bad_header_and_dictionary_fields);
    tcase_add_test(tc, bad_matrices);
    tcase_add_test(tc, info_labels_and_argument_errors);
    tcase_add_test(tc, model_files_and_default_path);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
