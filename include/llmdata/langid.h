/*
 * llmdata/langid.h — fastText model loading and language identification.
 *
 * Loads supervised fastText models (facebookresearch/fastText, file format version 11 and 12):
 * `.bin` (dense input and output matrices) and `.ftz` (quantized: product-quantized input matrix,
 * optionally quantized norms and output matrix, pruned n-gram buckets).  Prediction reproduces
 * fastText's own `predict`: the text is split on ASCII white space, each word contributes its
 * vocabulary row and its character n-grams (minn..maxn, FNV-1a hashed as fastText hashes them,
 * bytes sign-extended), word n-grams go to hashed buckets, the end-of-line token `</s>` is added
 * (fastText's Python and WebAssembly bindings append "\n" to every text), the rows are averaged,
 * and the output layer is a softmax, one-vs-all sigmoids, or a hierarchical softmax over a Huffman
 * tree built exactly as fastText builds it.  Probabilities are fastText's: exp(log(p + 1e-5)),
 * so a certain prediction reads 1.00001 (as fastText's Python package reports it too).  With a
 * hierarchical softmax fastText stops searching below probability 1e-5 (or the threshold), so
 * k = -1 may give fewer labels than the model has.  Among labels of exactly equal score, k = 1
 * keeps the one fastText keeps (the last reached); for k > 1 tied labels are ordered by label id
 * (fastText leaves that order to its C++ library's heap).
 *
 * As datatrove's LanguageFilter does, every '\n' in the text is read as a space, so a document is
 * one line (fastText itself would stop at the first newline).
 *
 * The default model is fastText's `lid.176.ftz` (176 languages, CC BY-SA 3.0), bundled with
 * llmdata and installed to <datadir>/llmdata/lid.176.ftz; see llmd_langid_default_model_path().
 * Labels are reported without fastText's "__label__" prefix ("en", not "__label__en").
 *
 * Thread safety: a loaded model is immutable; any number of threads may predict with one model at
 * once (each call uses its own scratch memory).  Loading and freeing are one thread's business.
 */
#ifndef LLMDATA_LANGID_H
#define LLMDATA_LANGID_H

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A loaded fastText model (opaque, immutable once loaded). */
typedef struct llmd_langid_model llmd_langid_model;

/* Environment variable that overrides the default model path. */
#define LLMD_LANGID_MODEL_ENV "LLMD_LANGID_MODEL"

/* The model used when a caller names none: $LLMD_LANGID_MODEL when set and non-empty; otherwise
 * the installed <datadir>/llmdata/lid.176.ftz when that file exists; otherwise the copy in the
 * source tree llmdata was built from (data/langid/lid.176.ftz) when it exists; otherwise the
 * installed path (loading it then fails with a message naming it).  Never NULL; the string is
 * static or owned by the environment — copy it to keep it.  Thread-safe as long as no thread
 * changes the environment meanwhile. */
LLMD_API const char *llmd_langid_default_model_path(void);

/* Loads a fastText model file (.bin or .ftz).  path NULL means llmd_langid_default_model_path().
 * Every size in the file is checked against the file's length before anything is allocated;
 * a truncated, corrupt or hostile file fails with a message naming the file, the byte offset and
 * the field.  Free the model with llmd_langid_model_free().
 * Errors: INVALID_ARG (out NULL), NOT_FOUND (no such file), IO (cannot open/read), PARSE (not a fastText model, or a field
 * out of range; offset in the message), VERSION (file format newer than 12),
 * UNSUPPORTED (not a supervised model, or a loss fastText cannot predict with: negative sampling),
 * NOMEM. */
LLMD_API llmd_status llmd_langid_model_load(llmd_langid_model **out, const char *path);

/* Same as llmd_langid_model_load() from a model held in memory (data[0..len) is copied from as
 * needed; the caller keeps ownership of data).  `name` (may be NULL) is used in error messages. */
LLMD_API llmd_status llmd_langid_model_from_memory(llmd_langid_model **out, const void *data,
                                                   size_t len, const char *name);

/* Frees a model; accepts NULL.  No other thread may be using it. */
LLMD_API void llmd_langid_model_free(llmd_langid_model *model);

/* What a model holds (for display and checks). */
typedef struct llmd_langid_model_info {
    unsigned version;     /* LLMD_LANGID_MODEL_INFO_VERSION, set by the caller */
    int32_t file_version; /* fastText file format version (11 or 12) */
    int32_t dim;          /* embedding dimension */
    int32_t n_words;      /* words in the dictionary (</s> included) */
    int32_t n_labels;     /* labels (languages) */
    int32_t minn, maxn;   /* character n-gram lengths (maxn 0: none) */
    int32_t word_ngrams;  /* word n-gram length (1: none) */
    int32_t bucket;       /* n-gram hash buckets */
    int32_t loss;         /* fastText's loss: 1 hierarchical softmax, 3 softmax, 4 one-vs-all */
    int quantized;        /* 1 for a quantized (.ftz) input matrix */
    int quantized_output; /* 1 when the output matrix is quantized too */
} llmd_langid_model_info;
#define LLMD_LANGID_MODEL_INFO_VERSION 1
#define LLMD_LANGID_MODEL_INFO_INIT {LLMD_LANGID_MODEL_INFO_VERSION, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}

/* Fills *info (initialise it with LLMD_LANGID_MODEL_INFO_INIT).  Thread-safe.  Errors: INVALID_ARG, VERSION. */
LLMD_API llmd_status llmd_langid_model_get_info(const llmd_langid_model *model,
                                                llmd_langid_model_info *info);

/* Number of labels of the model (0 for NULL).  Thread-safe. */
LLMD_API int32_t llmd_langid_label_count(const llmd_langid_model *model);

/* Label i (0 <= i < label count) without the "__label__" prefix ("en"), NUL-terminated and owned
 * by the model (valid until it is freed); NULL when i is out of range.  Thread-safe. */
LLMD_API const char *llmd_langid_label(const llmd_langid_model *model, int32_t i);

/* Label id of a label name, given with or without the "__label__" prefix; -1 if the model has no
 * such label.  Thread-safe. */
LLMD_API int32_t llmd_langid_label_id(const llmd_langid_model *model, const char *name);

/* One prediction: label id (index for llmd_langid_label), its name (owned by the model) and its
 * probability as fastText reports it. */
typedef struct llmd_langid_prediction {
    int32_t label_id;
    const char *label;
    float probability;
} llmd_langid_prediction;

/* Prediction settings, fastText's `predict(text, k, threshold)`. */
typedef struct llmd_langid_predict_options {
    unsigned version;  /* LLMD_LANGID_PREDICT_OPTIONS_VERSION */
    int32_t k;         /* how many labels at most (best first); -1 = all labels.  Default 1 */
    float threshold;   /* only labels with probability >= threshold.  Default 0 */
} llmd_langid_predict_options;
#define LLMD_LANGID_PREDICT_OPTIONS_VERSION 1
#define LLMD_LANGID_PREDICT_OPTIONS_INIT {LLMD_LANGID_PREDICT_OPTIONS_VERSION, 1, 0.0f}
LLMD_API void llmd_langid_predict_options_init(llmd_langid_predict_options *opts);

/* Predicts the labels of text[0..len) (any bytes; '\n' reads as a space, see above) as fastText
 * does: up to opts->k labels with probability >= opts->threshold, best first (ties in fastText's
 * order), written to out[0..cap).  *n_out receives the number of predictions; it is 0 when the
 * text has no known word or n-gram (fastText returns nothing then).  When cap is smaller than
 * the number of predictions, the first cap are written, *n_out is the number there were and the
 * result is LLMD_ERR_TRUNCATED.  opts NULL = defaults (k 1, threshold 0).
 * Thread-safe (the model is shared read-only).
 * Errors: INVALID_ARG (model/n_out NULL, out NULL with cap > 0, k 0 or < -1, threshold NaN),
 * VERSION (options), TRUNCATED, NOMEM. */
LLMD_API llmd_status llmd_langid_predict(const llmd_langid_model *model, const char *text, size_t len,
                                         const llmd_langid_predict_options *opts,
                                         llmd_langid_prediction *out, size_t cap, size_t *n_out);

/* Convenience for filters: the best label of text[0..len) and its probability.  When the text
 * gives no prediction, *label_id is -1, *label is "" (when label is non-NULL) and *probability 0.
 * label and label_id may be NULL.  Thread-safe.  Errors: INVALID_ARG, NOMEM. */
LLMD_API llmd_status llmd_langid_predict_top(const llmd_langid_model *model, const char *text,
                                             size_t len, int32_t *label_id, const char **label,
                                             float *probability);

/* Best label of each of n texts (texts[i] of lens[i] bytes) on `threads` threads (0 = one per
 * core): label_ids[i] (-1 when text i gives no prediction) and probabilities[i] (0 then).  The
 * result does not depend on the thread count.  Thread-safe.
 * Errors: INVALID_ARG (a NULL array with n > 0; the message names the index), NOMEM. */
LLMD_API llmd_status llmd_langid_predict_top_batch(const llmd_langid_model *model,
                                                   const char *const *texts, const size_t *lens,
                                                   size_t n, unsigned threads, int32_t *label_ids,
                                                   float *probabilities);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_LANGID_H */
