/* Internals of the pipeline module (not installed). */
#ifndef LLMD_PIPELINE_INTERNAL_H
#define LLMD_PIPELINE_INTERNAL_H

#include <stdint.h>

#include "common/internal.h"
#include "llmdata/pack.h"
#include "llmdata/pipeline.h"

/* The "format" setting: pack.h's shard formats, or Parquet shards (parquet.h) */
#define LLMD_PL_FORMAT_PARQUET 100

typedef struct llmd_pl_settings {
    char *tokenizer, *out, *field, *bad_words_file, *pii_types, *filters, *languages, *language_model;
    uint32_t seq_len, buffer;
    llmd_pack_strategy strategy;
    int format;           /* llmd_shard_format, or LLMD_PL_FORMAT_PARQUET */
    int pq_codec;         /* parquet format: llmd_parquet_codec and targets (parquet.h shard options) */
    uint64_t pq_row_group_bytes, pq_file_bytes;
    int64_t bos, eos, pad;
    int eos_set, pad_set;
    uint64_t threads, batch, min_bytes, max_bytes;
    int filter, c4, gopher, clean, redact, exact, near, skip_bad, overwrite;
    double near_threshold, language_threshold;
    int near_streaming;   /* 1: one-pass near dedup (llmd_lsh_index); 0 (default): whole-corpus clusters */
    char *delta, *delta_app_id;   /* Delta table the Parquet shards are committed to; txn appId */
    int64_t delta_app_version;    /* txn version (default 1) */
} llmd_pl_settings;

/* The settings that decide a run's output, as a JSON object of strings (commitInfo
 * operationParameters; part of the run's Delta appId): every key but out, overwrite, threads,
 * batch and the delta keys. */
llmd_status llmd_pl_settings_params(const llmd_pl_settings *s, llmd_buf *b);

struct llmd_pipeline {
    llmd_pl_settings s;
    char **inputs;
    size_t n_inputs;
    llmd_pipeline_progress_fn progress;
    void *progress_ctx;
};

/* Tokenizer adapter: the built-in BPE tokenizer when available, or "bytes". */
typedef struct llmd_pl_tok {
    enum { TOK_BYTES, TOK_FILE } kind;   /* raw bytes (tests) or a tokenizer file */
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

/* Output directory publishing (outdir.c): a run writes into a fresh staging directory beside `out`
 * and publishes it as one unit. */
#define LLMD_RUN_MANIFEST "_llmdata_run.json"
typedef struct llmd_pl_outdir {
    char *out;        /* the directory to publish (symlinks resolved) */
    char *stage;      /* <out>.tmp.<pid>.<n>: this run's files until publish */
    bool out_exists;
    llmd_file_list files;   /* published into stage so far (names in stage) */
    char **tracked;   /* full paths of those files, registered for llmd_remove_temp_files */
    size_t n_tracked;
} llmd_pl_outdir;
/* Checks `out` (absent, empty, or with overwrite only files an earlier run listed; none of the n
 * files in reads[] — inputs, tokenizer; NULL entries skipped — inside it) and creates the staging
 * directory. */
llmd_status llmd_pl_outdir_open(llmd_pl_outdir *o, const char *out, bool overwrite, const char *const *reads,
                                size_t n);
/* Records a file published into the staging directory (name relative to it). */
llmd_status llmd_pl_outdir_add(llmd_pl_outdir *o, const char *name, uint64_t bytes, uint64_t xxh3);
/* Writes the run manifest, then replaces `out` with the staging directory in one step
 * (renameat2 RENAME_EXCHANGE, or rename when out is absent) and removes the earlier run's files. */
llmd_status llmd_pl_outdir_publish(llmd_pl_outdir *o, const char *run_id, bool overwrite);
/* Removes the staging directory if not published; frees. */
void llmd_pl_outdir_close(llmd_pl_outdir *o);

/* Near dedup in cluster mode (near.c): cleaned documents go to an llmd_dedup_clusters job (defaults:
 * 16x8 bands, exact verification) and to a zstd spool (a file created in `dir` and unlinked at once);
 * after the last batch, _finish verifies and builds the clusters (reading the spool once for the
 * candidates' shingle sets) and _next hands back every spooled document in order with its verdict. */
typedef struct llmd_pl_near llmd_pl_near;
struct llmd_dedup_cluster_stats;
llmd_status llmd_pl_near_open(llmd_pl_near **out, const char *dir, double threshold);
void llmd_pl_near_close(llmd_pl_near *x);
llmd_status llmd_pl_near_add(llmd_pl_near *x, const char *const *texts, const size_t *lens, size_t n,
                             unsigned threads);
llmd_status llmd_pl_near_finish(llmd_pl_near *x);
/* The next document (*text NULL at the end; valid until the next call) and whether it is kept. */
llmd_status llmd_pl_near_next(llmd_pl_near *x, const char **text, size_t *len, int *keep);
void llmd_pl_near_stats(const llmd_pl_near *x, struct llmd_dedup_cluster_stats *s, uint64_t *spool_bytes,
                        uint64_t *raw_bytes);

#endif
