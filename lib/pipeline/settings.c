/* Pipeline settings: key/value setters and JSON config files. */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "llmdata/pack.h"
#include "llmdata/parquet.h"
#include "pipeline_internal.h"

enum { T_STR, T_U64, T_U32, T_I64, T_BOOL, T_DOUBLE, T_STRATEGY, T_FORMAT, T_CODEC };

typedef struct key_def {
    const char *key;
    int type;
    size_t off;
    int *set_flag_off; /* unused placeholder for symmetry */
} key_def;

#define K(name, type, field) {name, type, offsetof(llmd_pl_settings, field), NULL}
static const key_def keys[] = {
    K("tokenizer", T_STR, tokenizer),       K("out", T_STR, out),
    K("field", T_STR, field),               K("bad_words_file", T_STR, bad_words_file),
    K("pii_types", T_STR, pii_types),       K("seq_len", T_U32, seq_len),
    K("buffer", T_U32, buffer),             K("strategy", T_STRATEGY, strategy),
    K("buffer_windows", T_U32, buffer),     /* alias of buffer (llmd_pack_options and older Packer code) */
    K("format", T_FORMAT, format),          K("bos_id", T_I64, bos),
    K("eos_id", T_I64, eos),                K("pad_id", T_I64, pad),
    K("threads", T_U64, threads),           K("batch", T_U64, batch),
    K("min_bytes", T_U64, min_bytes),       K("max_bytes", T_U64, max_bytes),
    K("filter", T_BOOL, filter),            K("c4", T_BOOL, c4),
    K("gopher", T_BOOL, gopher),            K("clean", T_BOOL, clean),
    K("redact", T_BOOL, redact),            K("exact_dedup", T_BOOL, exact),
    K("near_dedup", T_BOOL, near),          K("skip_bad", T_BOOL, skip_bad),
    K("near_threshold", T_DOUBLE, near_threshold), K("overwrite", T_BOOL, overwrite),
    K("near_streaming", T_BOOL, near_streaming),
    K("filters", T_STR, filters),           K("languages", T_STR, languages),
    K("language_threshold", T_DOUBLE, language_threshold), K("language_model", T_STR, language_model),
    K("parquet_codec", T_CODEC, pq_codec),  K("parquet_row_group_bytes", T_U64, pq_row_group_bytes),
    K("parquet_file_bytes", T_U64, pq_file_bytes),
    K("delta", T_STR, delta),               K("delta_app_id", T_STR, delta_app_id),
    K("delta_app_version", T_I64, delta_app_version),
};

llmd_status llmd_pipeline_new(llmd_pipeline **out) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_new: out is NULL");
    llmd_pipeline *p = llmd_calloc(1, sizeof *p);
    if (p == NULL) return llmd_fail_nomem("pipeline");
    llmd_pl_settings *s = &p->s;
    s->strategy = LLMD_PACK_GREEDY;
    s->format = LLMD_SHARD_MMIDX;
    llmd_parquet_shard_options pq = LLMD_PARQUET_SHARD_OPTIONS_INIT;
    s->pq_codec = pq.codec;
    s->pq_row_group_bytes = pq.row_group_bytes;
    s->pq_file_bytes = pq.file_bytes;
    s->bos = -1;
    s->eos = -1;
    s->pad = -1;
    s->buffer = 1024;
    s->threads = 0; /* one per CPU: the rule of every threads setting (CLI, config, Python) */
    s->batch = 4096;
    s->filter = s->c4 = s->gopher = s->clean = s->redact = s->exact = s->near = 1;
    s->near_threshold = 0.8;
    s->language_threshold = 0.65;
    s->delta_app_version = 1;
    *out = p;
    return LLMD_OK;
}

void llmd_pipeline_free(llmd_pipeline *p) {
    if (p == NULL) return;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (keys[i].type == T_STR) llmd_free(*(char **)((char *)&p->s + keys[i].off));
    for (size_t i = 0; i < p->n_inputs; i++) llmd_free(p->inputs[i]);
    llmd_free(p->inputs);
    llmd_free(p);
}

static llmd_status bad_value(const char *key, const char *value, const char *want) {
    return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline setting %s: '%s' is not %s", key, value, want);
}

llmd_status llmd_pl_settings_params(const llmd_pl_settings *s, llmd_buf *b) {
    static const char *const skip[] = {"out", "overwrite", "threads", "batch", "delta", "delta_app_id", "delta_app_version"};
    llmd_status st = llmd_buf_putc(b, '{');
    bool first = true;
    for (size_t i = 0; st == LLMD_OK && i < sizeof keys / sizeof keys[0]; i++) {
        bool skipped = false;
        for (size_t k = 0; k < sizeof skip / sizeof *skip; k++) skipped = skipped || strcmp(keys[i].key, skip[k]) == 0;
        const void *src = (const char *)s + keys[i].off;
        if (skipped || (keys[i].type == T_STR && *(char *const *)src == NULL)) continue;
        char num[64];
        const char *v = num;
        switch (keys[i].type) {
        case T_STR: v = *(char *const *)src; break;
        case T_U64: snprintf(num, sizeof num, "%llu", (unsigned long long)*(const uint64_t *)src); break;
        case T_U32: snprintf(num, sizeof num, "%u", *(const uint32_t *)src); break;
        case T_I64: snprintf(num, sizeof num, "%lld", (long long)*(const int64_t *)src); break;
        case T_BOOL: v = *(const int *)src ? "true" : "false"; break;
        case T_DOUBLE: snprintf(num, sizeof num, "%.17g", *(const double *)src); break;
        case T_STRATEGY: v = llmd_pack_strategy_name(*(const llmd_pack_strategy *)src); break;
        case T_FORMAT: {
            int f = *(const int *)src;
            v = f == LLMD_PL_FORMAT_PARQUET ? "parquet" : f == LLMD_SHARD_NPY ? "npy" : "mmidx";
            break;
        }
        case T_CODEC: v = llmd_parquet_codec_name(*(const int *)src); break;
        default: v = "?";
        }
        if (!first) st = llmd_buf_putc(b, ',');
        first = false;
        if (st == LLMD_OK) st = llmd_buf_put_json_string(b, keys[i].key, strlen(keys[i].key));
        if (st == LLMD_OK) st = llmd_buf_putc(b, ':');
        if (st == LLMD_OK) st = llmd_buf_put_json_string(b, v ? v : "", strlen(v ? v : ""));
    }
    if (st == LLMD_OK) st = llmd_buf_putc(b, '}');
    return st;
}

llmd_status llmd_pipeline_set(llmd_pipeline *p, const char *key, const char *value) {
    if (p == NULL || key == NULL || value == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_set: NULL argument");
    const key_def *k = NULL;
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (strcmp(keys[i].key, key) == 0) k = &keys[i];
    if (k == NULL) return llmd_fail(LLMD_ERR_NOT_FOUND, "unknown pipeline setting '%s'", key);
    void *dst = (char *)&p->s + k->off;
    char *end;
    errno = 0;
    switch (k->type) {
    case T_STR: {
        char *c = llmd_strdup(value);
        if (c == NULL) return llmd_fail_nomem("pipeline setting");
        llmd_free(*(char **)dst);
        *(char **)dst = c;
        break;
    }
    case T_U64:
    case T_U32: {
        if (value[0] == '-' || value[0] == 0) return bad_value(key, value, "a non-negative integer");
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || *end) return bad_value(key, value, "a non-negative integer");
        if (k->type == T_U32) {
            if (v > UINT32_MAX) return bad_value(key, value, "an integer below 2^32");
            *(uint32_t *)dst = (uint32_t)v;
        } else {
            *(uint64_t *)dst = v;
        }
        break;
    }
    case T_I64: {
        long long v = strtoll(value, &end, 10);
        if (errno || *end || value[0] == 0 || v < -1 || v > (long long)UINT32_MAX)
            return bad_value(key, value, "a token id (0..4294967295) or -1");
        *(int64_t *)dst = v;
        if (strcmp(key, "eos_id") == 0) p->s.eos_set = 1;
        if (strcmp(key, "pad_id") == 0) p->s.pad_set = 1;
        break;
    }
    case T_BOOL:
        if (strcmp(value, "1") == 0 || strcmp(value, "true") == 0 || strcmp(value, "yes") == 0) *(int *)dst = 1;
        else if (strcmp(value, "0") == 0 || strcmp(value, "false") == 0 || strcmp(value, "no") == 0) *(int *)dst = 0;
        else return bad_value(key, value, "a boolean (1/0, true/false)");
        break;
    case T_DOUBLE: {
        double v = strtod(value, &end);
        if (errno || *end || value[0] == 0 || !(v > 0 && v <= 1)) return bad_value(key, value, "a number in (0, 1]");
        *(double *)dst = v;
        break;
    }
    case T_STRATEGY: {
        llmd_pack_strategy s;
        llmd_status st = llmd_pack_strategy_parse(value, &s);
        if (st != LLMD_OK) return st;
        *(llmd_pack_strategy *)dst = s;
        break;
    }
    case T_FORMAT:
        if (strcmp(value, "mmidx") == 0) *(int *)dst = LLMD_SHARD_MMIDX;
        else if (strcmp(value, "npy") == 0) *(int *)dst = LLMD_SHARD_NPY;
        else if (strcmp(value, "parquet") == 0) *(int *)dst = LLMD_PL_FORMAT_PARQUET;
        else return bad_value(key, value, "a shard format (mmidx, npy, parquet)");
        break;
    case T_CODEC: {
        int codec;
        llmd_status st = llmd_parquet_codec_parse(value, &codec);
        if (st != LLMD_OK) return llmd_error_prefix("pipeline setting %s", key);
        *(int *)dst = codec;
        break;
    }
    default:
        return llmd_fail(LLMD_ERR_INTERNAL, "pipeline setting %s: bad type", key);
    }
    return LLMD_OK;
}

llmd_status llmd_pipeline_add_input(llmd_pipeline *p, const char *path) {
    if (p == NULL || path == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_add_input: NULL argument");
    char **ni = llmd_realloc(p->inputs, p->n_inputs * sizeof *ni, (p->n_inputs + 1) * sizeof *ni);
    if (ni == NULL) return llmd_fail_nomem("pipeline inputs");
    p->inputs = ni;
    if ((ni[p->n_inputs] = llmd_strdup(path)) == NULL) return llmd_fail_nomem("pipeline inputs");
    p->n_inputs++;
    return LLMD_OK;
}

void llmd_pipeline_set_progress(llmd_pipeline *p, llmd_pipeline_progress_fn fn, void *ctx) {
    if (p == NULL) return;
    p->progress = fn;
    p->progress_ctx = ctx;
}

llmd_status llmd_pipeline_load_config(llmd_pipeline *p, const char *path) {
    if (p == NULL || path == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_load_config: NULL argument");
    char *data;
    size_t len;
    llmd_status st = llmd_read_file(path, &data, &len);
    if (st != LLMD_OK) return llmd_error_prefix("pipeline config");
    cJSON *root;
    st = llmd_json_parse_object(data, len, path, &root);
    llmd_free(data);
    if (st != LLMD_OK) return st;
    for (cJSON *it = root->child; it != NULL && st == LLMD_OK; it = it->next) {
        if (strcmp(it->string, "inputs") == 0) {
            if (!cJSON_IsArray(it)) {
                st = llmd_fail(LLMD_ERR_INVALID_ARG, "%s: \"inputs\" must be an array of paths", path);
                break;
            }
            for (cJSON *e = it->child; e != NULL && st == LLMD_OK; e = e->next) {
                if (!cJSON_IsString(e)) st = llmd_fail(LLMD_ERR_INVALID_ARG, "%s: \"inputs\" holds a non-string", path);
                else st = llmd_pipeline_add_input(p, e->valuestring);
            }
            continue;
        }
        char num[64];
        const char *v = NULL;
        char *joined = NULL;
        if (cJSON_IsArray(it)) { /* "filters": ["c4", "gopher"] -> "c4,gopher" */
            llmd_buf b = LLMD_BUF_INIT;
            for (cJSON *e = it->child; e != NULL && st == LLMD_OK; e = e->next) {
                if (!cJSON_IsString(e)) st = llmd_fail(LLMD_ERR_INVALID_ARG, "%s: \"%s\" holds a non-string", path, it->string);
                else st = llmd_buf_printf(&b, "%s%s", b.len ? "," : "", e->valuestring);
            }
            if (st == LLMD_OK && b.data == NULL) st = llmd_buf_reserve(&b, 0); /* "[]" is the empty string */
            if (st != LLMD_OK) { llmd_buf_free(&b); break; }
            v = joined = llmd_buf_detach(&b, NULL);
        } else {
            st = llmd_json_scalar_text(it, path, it->string, num, sizeof num, &v);
            if (st != LLMD_OK) break;
        }
        st = llmd_pipeline_set(p, it->string, v);
        llmd_free(joined);
        if (st != LLMD_OK) llmd_error_prefix("%s", path);
    }
    cJSON_Delete(root);
    return st;
}
