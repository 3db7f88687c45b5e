/*
 * C shims for the cgo binding.  llmd_last_error() is thread-local and a goroutine may move to
 * another OS thread between two cgo calls, so every wrapper here makes the library call AND copies
 * the error message in the same C call (one cgo call = one OS thread).  Go never calls
 * llmd_last_error() itself.
 */
#ifndef LLMDATA_GO_SHIM_H
#define LLMDATA_GO_SHIM_H
#include <stdlib.h>
#include <string.h>

#include <llmdata.h>

typedef struct llmdgo_err {
    int status;
    char msg[1024];
} llmdgo_err;

static inline int llmdgo_capture(int st, llmdgo_err *e) {
    e->status = st;
    if (st != LLMD_OK) {
        const char *m = llmd_last_error();
        size_t n = m ? strlen(m) : 0;
        if (n >= sizeof e->msg) n = sizeof e->msg - 1;
        if (n) memcpy(e->msg, m, n);
        e->msg[n] = '\0';
    }
    return st;
}

/* go_<name>(args..., e): calls <name>(args...) and captures its error. */
#define LLMDGO_WRAP(name, params, args) \
    static inline int go_##name params { return llmdgo_capture(name args, e); }

/* Batch calls take one buffer holding every text back to back and n+1 offsets (Go memory that
 * holds no Go pointers, used only during the call), and build the pointer arrays here in C. */
static inline int llmdgo_texts(const char *buf, const size_t *offs, size_t n, const char ***texts,
                               size_t **lens, llmdgo_err *e) {
    *texts = malloc((n ? n : 1) * sizeof **texts);
    *lens = malloc((n ? n : 1) * sizeof **lens);
    if (*texts == NULL || *lens == NULL) {
        free(*texts);
        free(*lens);
        e->status = LLMD_ERR_NOMEM;
        strcpy(e->msg, "out of memory while preparing a batch");
        return LLMD_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        (*texts)[i] = buf + offs[i];
        (*lens)[i] = offs[i + 1] - offs[i];
    }
    return LLMD_OK;
}

/* ---- text ---------------------------------------------------------------------------------- */
LLMDGO_WRAP(llmd_clean_text, (const char *t, size_t n, const llmd_clean_options *o, char **out, size_t *out_len,
                              llmdgo_err *e), (t, n, o, out, out_len))
LLMDGO_WRAP(llmd_redactor_new, (llmd_redactor **out, const llmd_redactor_options *o, llmdgo_err *e), (out, o))
LLMDGO_WRAP(llmd_pii_parse_types, (const char *list, uint32_t *mask, llmdgo_err *e), (list, mask))
LLMDGO_WRAP(llmd_redactor_find, (const llmd_redactor *r, const char *t, size_t n, llmd_pii_span **sp, size_t *ns,
                                 llmdgo_err *e), (r, t, n, sp, ns))
LLMDGO_WRAP(llmd_redactor_redact, (const llmd_redactor *r, const char *t, size_t n, char **out, size_t *out_len,
                                   llmd_pii_span **sp, size_t *ns, llmdgo_err *e), (r, t, n, out, out_len, sp, ns))
LLMDGO_WRAP(llmd_clean_and_redact, (const char *t, size_t n, const llmd_clean_options *co, const llmd_redactor *r,
                                    char **out, size_t *out_len, llmd_pii_span **sp, size_t *ns, llmdgo_err *e),
            (t, n, co, r, out, out_len, sp, ns))

/* ---- dedup --------------------------------------------------------------------------------- */
LLMDGO_WRAP(llmd_exact_hash, (const char *t, size_t n, unsigned flags, uint8_t *out, llmdgo_err *e), (t, n, flags, out))
LLMDGO_WRAP(llmd_fold_text, (const char *t, size_t n, char **out, size_t *out_len, llmdgo_err *e), (t, n, out, out_len))
LLMDGO_WRAP(llmd_exact_set_new, (llmd_exact_set **out, const llmd_exact_set_options *o, llmdgo_err *e), (out, o))
LLMDGO_WRAP(llmd_exact_set_insert, (llmd_exact_set *s, const uint8_t *h, int *was_new, llmdgo_err *e), (s, h, was_new))
LLMDGO_WRAP(llmd_minhasher_new, (llmd_minhasher **out, const llmd_minhash_options *o, llmdgo_err *e), (out, o))
LLMDGO_WRAP(llmd_minhash, (const llmd_minhasher *h, const char *t, size_t n, uint32_t *sig, size_t *nsh, llmdgo_err *e),
            (h, t, n, sig, nsh))
LLMDGO_WRAP(llmd_lsh_optimal_params, (double th, uint32_t np, uint32_t *b, uint32_t *r, llmdgo_err *e), (th, np, b, r))
LLMDGO_WRAP(llmd_lsh_band_keys, (const uint32_t *sig, uint32_t np, uint32_t b, uint32_t r, uint8_t *out, llmdgo_err *e),
            (sig, np, b, r, out))
LLMDGO_WRAP(llmd_lsh_index_new, (llmd_lsh_index **out, const llmd_minhash_options *mh, const llmd_lsh_options *o,
                                 llmdgo_err *e), (out, mh, o))
LLMDGO_WRAP(llmd_lsh_index_insert, (llmd_lsh_index *x, const void *k, size_t kl, const uint32_t *sig, uint64_t prio,
                                    llmd_lsh_match *m, llmdgo_err *e), (x, k, kl, sig, prio, m))
LLMDGO_WRAP(llmd_lsh_index_query, (llmd_lsh_index *x, const uint32_t *sig, uint64_t *out, size_t cap, size_t *nf,
                                   llmdgo_err *e), (x, sig, out, cap, nf))
LLMDGO_WRAP(llmd_lsh_index_save, (llmd_lsh_index *x, const char *path, llmdgo_err *e), (x, path))
LLMDGO_WRAP(llmd_lsh_index_load, (llmd_lsh_index **out, const char *path, const llmd_minhash_options *mh,
                                  llmdgo_err *e), (out, path, mh))

static inline int go_llmd_minhash_batch(const llmd_minhasher *h, const char *buf, const size_t *offs, size_t n,
                                        unsigned threads, uint32_t *sigs, llmdgo_err *e) {
    const char **texts;
    size_t *lens;
    if (llmdgo_texts(buf, offs, n, &texts, &lens, e) != LLMD_OK) return e->status;
    int st = llmdgo_capture(llmd_minhash_batch(h, texts, lens, n, threads, sigs, NULL), e);
    free(texts);
    free(lens);
    return st;
}

/* ---- tokenizer ----------------------------------------------------------------------------- */
LLMDGO_WRAP(llmd_tokenizer_load, (llmd_tokenizer **out, const char *path, llmdgo_err *e), (out, path, NULL))
LLMDGO_WRAP(llmd_tokenizer_from_json, (llmd_tokenizer **out, const char *j, size_t n, llmdgo_err *e), (out, j, n, NULL))
LLMDGO_WRAP(llmd_tokenizer_encode, (const llmd_tokenizer *t, const char *s, size_t n, unsigned flags, uint32_t **ids,
                                    size_t *nids, size_t **offs, llmdgo_err *e), (t, s, n, flags, ids, nids, offs))
LLMDGO_WRAP(llmd_tokenizer_decode, (const llmd_tokenizer *t, const uint32_t *ids, size_t n, unsigned flags, char **out,
                                    size_t *len, llmdgo_err *e), (t, ids, n, flags, out, len))
LLMDGO_WRAP(llmd_tokenizer_token_to_id, (const llmd_tokenizer *t, const char *s, size_t n, uint32_t *id, llmdgo_err *e),
            (t, s, n, id))

static inline int go_llmd_tokenizer_encode_batch(const llmd_tokenizer *t, const char *buf, const size_t *offs, size_t n,
                                                 unsigned flags, unsigned threads, uint32_t **ids, size_t **doc_offs,
                                                 llmdgo_err *e) {
    const char **texts;
    size_t *lens;
    if (llmdgo_texts(buf, offs, n, &texts, &lens, e) != LLMD_OK) return e->status;
    int st = llmdgo_capture(llmd_tokenizer_encode_batch(t, texts, lens, n, flags, threads, ids, doc_offs), e);
    free(texts);
    free(lens);
    return st;
}

/* ---- pipeline ------------------------------------------------------------------------------ */
LLMDGO_WRAP(llmd_pipeline_new, (llmd_pipeline **out, llmdgo_err *e), (out))
LLMDGO_WRAP(llmd_pipeline_set, (llmd_pipeline *p, const char *k, const char *v, llmdgo_err *e), (p, k, v))
LLMDGO_WRAP(llmd_pipeline_load_config, (llmd_pipeline *p, const char *path, llmdgo_err *e), (p, path))
LLMDGO_WRAP(llmd_pipeline_add_input, (llmd_pipeline *p, const char *path, llmdgo_err *e), (p, path))
LLMDGO_WRAP(llmd_pipeline_run, (llmd_pipeline *p, char **json, char **text, llmdgo_err *e), (p, json, text))

#endif

/* ---- filters ------------------------------------------------------------------------------- */
LLMDGO_WRAP(llmd_filter_new, (llmd_filter **out, const llmd_filter_options *o, llmdgo_err *e), (out, o))
LLMDGO_WRAP(llmd_filter_apply, (const llmd_filter *f, const char *t, size_t n, llmd_filter_result *r,
                                llmd_filter_stats *s, llmdgo_err *e), (f, t, n, r, s))
LLMDGO_WRAP(llmd_filter_stats_new, (llmd_filter_stats **out, llmdgo_err *e), (out))

/* ---- Parquet training shards ---------------------------------------------------------------- */
LLMDGO_WRAP(llmd_parquet_shard_writer_open, (llmd_parquet_shard_writer **out, const char *prefix,
                                             const llmd_parquet_shard_options *o, llmdgo_err *e), (out, prefix, o))
LLMDGO_WRAP(llmd_parquet_shard_writer_finish, (llmd_parquet_shard_writer *w, const char *extra, llmdgo_err *e),
            (w, extra))
LLMDGO_WRAP(llmd_parquet_shard_writer_file, (const llmd_parquet_shard_writer *w, size_t i, const char **name,
                                             uint64_t *bytes, uint64_t *xxh3, uint64_t *rows, llmdgo_err *e),
            (w, i, name, bytes, xxh3, rows))
/* A packer whose windows go straight into a Parquet shard writer. */
static inline int go_llmd_packer_new_to_parquet(llmd_packer **out, const llmd_pack_options *o,
                                                llmd_parquet_shard_writer *w, llmdgo_err *e) {
    return llmdgo_capture(llmd_packer_new(out, o, llmd_parquet_shard_writer_window_fn, w), e);
}

/* ---- packing and shards -------------------------------------------------------------------- */
LLMDGO_WRAP(llmd_shard_writer_open, (llmd_shard_writer **out, const char *prefix, const llmd_shard_options *o,
                                     llmdgo_err *e), (out, prefix, o))
LLMDGO_WRAP(llmd_shard_writer_finish, (llmd_shard_writer *w, const char *extra, llmdgo_err *e), (w, extra))
LLMDGO_WRAP(llmd_shard_writer_file, (const llmd_shard_writer *w, size_t i, const char **name, uint64_t *bytes,
                                     uint64_t *xxh3, llmdgo_err *e), (w, i, name, bytes, xxh3))
LLMDGO_WRAP(llmd_packer_add, (llmd_packer *p, const uint32_t *ids, size_t n, llmdgo_err *e), (p, ids, n))
LLMDGO_WRAP(llmd_packer_finish, (llmd_packer *p, llmdgo_err *e), (p))
/* A packer whose windows go straight into a shard writer (no Go per window). */
static inline int go_llmd_packer_new_to_shards(llmd_packer **out, const llmd_pack_options *o, llmd_shard_writer *w,
                                               llmdgo_err *e) {
    return llmdgo_capture(llmd_packer_new(out, o, llmd_shard_writer_window_fn, w), e);
}

/* ---- Delta --------------------------------------------------------------------------------- */
LLMDGO_WRAP(llmd_delta_table_open, (llmd_delta_table **out, const char *path, llmdgo_err *e), (out, path, NULL))
LLMDGO_WRAP(llmd_delta_snapshot_latest, (llmd_delta_snapshot **out, llmd_delta_table *t, llmdgo_err *e), (out, t))
LLMDGO_WRAP(llmd_delta_snapshot_at_version, (llmd_delta_snapshot **out, llmd_delta_table *t, int64_t v,
                                             llmdgo_err *e), (out, t, v))
LLMDGO_WRAP(llmd_delta_snapshot_to_json, (const llmd_delta_snapshot *s, char **out, size_t *n, llmdgo_err *e),
            (s, out, n))
LLMDGO_WRAP(llmd_delta_scan_jsonl, (const llmd_delta_snapshot *s, const char *path, uint64_t *rows, llmdgo_err *e),
            (s, path, NULL, rows))
LLMDGO_WRAP(llmd_delta_history_json, (llmd_delta_table *t, size_t limit, char **out, size_t *n, llmdgo_err *e),
            (t, limit, out, n))
LLMDGO_WRAP(llmd_delta_schema_from_parquet, (const char *path, char **out, llmdgo_err *e), (path, out))
LLMDGO_WRAP(llmd_delta_checkpoint_with, (llmd_delta_table *t, const llmd_delta_checkpoint_options *o, int64_t *v,
                                         llmdgo_err *e), (t, o, v))
LLMDGO_WRAP(llmd_delta_write_files, (llmd_delta_table *t, const llmd_delta_write_options *o, int64_t *v,
                                     int64_t *tv, llmdgo_err *e), (t, o, v, tv))
static inline int go_llmd_delta_create(llmd_delta_table *t, const char *schema, llmdgo_err *e) {
    llmd_delta_create_options o = {LLMD_DELTA_CREATE_OPTIONS_VERSION, schema, NULL, 0, NULL, NULL, 0, NULL, NULL};
    return llmdgo_capture(llmd_delta_table_create(t, &o), e);
}
/* One transaction appending files (and recording app_id/app_version when app_id is non-NULL). */
static inline int go_llmd_delta_append(llmd_delta_table *t, const char *const *files, size_t n, const char *app_id,
                                       int64_t app_version, int64_t *version, llmdgo_err *e) {
    llmd_delta_txn *x;
    int st = llmd_delta_txn_begin(&x, t);
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
        a.source = files[i];
        st = llmd_delta_txn_append_file(x, &a, NULL);
    }
    if (st == LLMD_OK && app_id != NULL) st = llmd_delta_txn_set_app_version(x, app_id, app_version);
    if (st == LLMD_OK) st = llmd_delta_txn_commit(x, version);
    llmdgo_capture(st, e);
    llmd_delta_txn_free(x);
    return st;
}

/* ---- feature store ------------------------------------------------------------------------- */
LLMDGO_WRAP(llmd_feature_repo_open, (llmd_feature_repo **out, const char *dir, llmdgo_err *e), (out, dir))
LLMDGO_WRAP(llmd_feature_repo_apply, (const llmd_feature_repo *r, llmdgo_err *e), (r))
LLMDGO_WRAP(llmd_feature_materialize, (const llmd_feature_repo *r, const char *v, int64_t s, int64_t t,
                                       llmd_materialize_stats *st, llmdgo_err *e), (r, v, s, t, st))
LLMDGO_WRAP(llmd_feature_historical, (const llmd_feature_repo *r, const char *const *f, size_t nf,
                                      const llmd_key_column *k, size_t nk, const int64_t *ts, size_t n,
                                      const llmd_historical_options *o, llmd_feature_result **out, llmdgo_err *e),
            (r, f, nf, k, nk, ts, n, o, out))
LLMDGO_WRAP(llmd_online_snapshot_open, (llmd_online_snapshot **out, const llmd_feature_repo *r, const char *v,
                                        llmdgo_err *e), (out, r, v))
LLMDGO_WRAP(llmd_online_lookup, (const llmd_online_snapshot *s, const llmd_key_column *k, size_t nk, size_t n,
                                 const char *const *f, size_t nf, int64_t now, llmd_feature_result **out,
                                 llmdgo_err *e), (s, k, nk, n, f, nf, now, out))
LLMDGO_WRAP(llmd_parse_timestamp, (const char *t, size_t n, int64_t *us, llmdgo_err *e), (t, n, us))

/* ---- Parquet ------------------------------------------------------------------------------- */
/* Opens path with only column `name` selected. */
static inline int go_parquet_open_column(llmd_parquet_reader **out, const char *path, const char *name, llmdgo_err *e) {
    int st = llmd_parquet_reader_open(out, path, NULL);
    if (st == LLMD_OK) {
        st = llmd_parquet_reader_select(*out, &name, 1);
        if (st != LLMD_OK) {
            llmd_parquet_reader_free(*out);
            *out = NULL;
        }
    }
    return llmdgo_capture(st, e);
}
LLMDGO_WRAP(llmd_parquet_reader_read_row_group, (llmd_parquet_reader *r, int g, llmd_parquet_batch **out,
                                                 llmdgo_err *e), (r, g, out))
/* Writes one list<int32> column `name` (n rows; offsets n+1) to path, zstd. */
static inline int go_parquet_write_lists(const char *path, const char *name, const int32_t *values,
                                         const int32_t *offsets, int64_t n, llmdgo_err *e) {
    llmd_schema *s = NULL;
    llmd_parquet_writer *w = NULL;
    int list = 0;
    llmd_type lt = {LLMD_TYPE_LIST, 0, 0, 0, 0, 0}, it = {LLMD_TYPE_INT32, 0, 0, 0, 0, 0};
    int st = llmd_schema_new(&s);
    if (st == LLMD_OK) st = llmd_schema_add(s, 0, name, &lt, 0, &list);
    if (st == LLMD_OK) st = llmd_schema_add(s, list, "element", &it, 0, NULL);
    if (st == LLMD_OK) st = llmd_parquet_writer_open(&w, path, s, NULL);
    llmd_column child = {offsets[n], 0, NULL, NULL, values, NULL, 0, 0};
    llmd_column col = {n, 0, NULL, offsets, NULL, &child, 1, 0};
    if (st == LLMD_OK) st = llmd_parquet_writer_write(w, &col, 1);
    if (st == LLMD_OK) st = llmd_parquet_writer_finish(w);
    llmdgo_capture(st, e);
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);
    return st;
}
