/* Internals of the pipeline module (not installed). */
#ifndef LLMD_PIPELINE_INTERNAL_H
#define LLMD_PIPELINE_INTERNAL_H

#include <stdint.h>

#include "common/internal.h"
#include "llmdata/pipeline.h"

typedef struct llmd_pl_settings {
    char *tokenizer, *out, *field, *bad_words_file, *pii_types, *filters, *languages;
    uint32_t seq_len, buffer;
    int strategy, format;
    int64_t bos, eos, pad;
    int eos_set, pad_set;
    uint64_t threads, batch, min_bytes, max_bytes;
    int filter, c4, gopher, clean, redact, exact, near, skip_bad;
    double near_threshold, language_threshold;
} llmd_pl_settings;

struct llmd_pipeline {
    llmd_pl_settings s;
    char **inputs;
    size_t n_inputs;
    llmd_pipeline_progress_fn progress;
    void *progress_ctx;
};

/* Tokenizer adapter: the built-in BPE tokenizer when available, or "bytes". */
typedef struct llmd_pl_tok {
    int kind;            /* 0 bytes, 1 tokenizer file */
    uint64_t vocab;
    int64_t eos;         /* end-of-text id or -1 */
    void *impl;
    char hash[33];       /* XXH3-128 of the tokenizer file (hex), or "bytes" */
    char *name;
} llmd_pl_tok;

llmd_status llmd_pl_tok_open(llmd_pl_tok *t, const char *spec);
void llmd_pl_tok_close(llmd_pl_tok *t);
/* Encodes n texts; ids of text i are (*ids)[offsets[i] .. offsets[i+1]); *ids grows as needed
 * (llmd_realloc, capacity in *cap entries). */
llmd_status llmd_pl_tok_encode(llmd_pl_tok *t, const char *const *texts, const size_t *lens, size_t n,
                               unsigned threads, uint32_t **ids, size_t *cap, size_t *offsets);

#endif
