/* Result tables and the point-in-time join (Feast get_historical_features). */
#include <stdlib.h>

#include "feature/feature_internal.h"
#include "feature/result.h"

/* ---- result tables ------------------------------------------------------------------------- */
void llmd_feature_result_free(llmd_feature_result *res) {
    if (res == NULL) return;
    for (size_t c = 0; c < res->n_cols; c++) {
        llmd_free(res->cols[c].name);
        llmd_free(res->cols[c].valid);
        llmd_free(res->cols[c].vals);
        llmd_free(res->cols[c].offs);
        llmd_buf_free(&res->cols[c].blob);
    }
    llmd_free(res->cols);
    llmd_free(res->status);
    llmd_free(res);
}

size_t llmd_feature_result_rows(const llmd_feature_result *res) { return res ? res->rows : 0; }
size_t llmd_feature_result_column_count(const llmd_feature_result *res) { return res ? res->n_cols : 0; }
const uint8_t *llmd_feature_result_status(const llmd_feature_result *res) { return res ? res->status : NULL; }

int64_t llmd_feature_result_source_version(const llmd_feature_result *res, size_t i) {
    return res && i < res->n_cols ? res->cols[i].source_version : -1;
}

llmd_status llmd_feature_result_column(const llmd_feature_result *res, size_t i, llmd_feature_column *out) {
    if (res == NULL || out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_feature_result_column: NULL argument");
    if (i >= res->n_cols) return llmd_fail(LLMD_ERR_RANGE, "result column %zu of %zu", i, res->n_cols);
    const rcol *c = &res->cols[i];
    static const int64_t zero_offs[1] = {0};
    *out = (llmd_feature_column){.name = c->name, .dtype = c->dtype, .length = res->rows, .vector_length = c->veclen,
                                 .validity = c->valid, .values = c->vals ? c->vals : (const void *)c->blob.data,
                                 .offsets = c->offs ? c->offs : (feat_width(c->dtype, c->veclen) ? NULL : zero_offs)};
    if (!feat_width(c->dtype, c->veclen) && out->values == NULL) out->values = "";
    return LLMD_OK;
}

llmd_status result_new(llmd_feature_result **out, size_t rows, size_t n_cols) {
    llmd_feature_result *r = llmd_calloc(1, sizeof *r);
    if (r == NULL || (n_cols && (r->cols = llmd_calloc(n_cols, sizeof *r->cols)) == NULL)) {
        llmd_free(r);
        return llmd_fail_nomem("a feature result");
    }
    r->rows = rows;
    r->n_cols = n_cols;
    *out = r;
    return LLMD_OK;
}

llmd_status result_col_init(rcol *c, const char *name, llmd_feature_dtype dt, uint32_t veclen, size_t rows) {
    c->name = llmd_strdup(name);
    c->dtype = dt;
    c->veclen = veclen;
    c->source_version = -1;
    c->valid = llmd_calloc(rows ? rows : 1, 1);
    size_t w = feat_width(dt, veclen);
    if (w) c->vals = llmd_calloc(rows ? rows : 1, w);
    else c->offs = llmd_calloc(rows + 1, sizeof *c->offs);
    if (c->name == NULL || c->valid == NULL || (w ? c->vals == NULL : c->offs == NULL))
        return llmd_fail_nomem("a feature result column");
    return LLMD_OK;
}

/* Sets result row `row` of column c from table column f's row src (-1 = null).  Fixed-width
 * values may be set in any order; STRING/BYTES rows must be set in increasing row order. */
llmd_status result_set_from(rcol *c, size_t row, const fcol *f, int64_t src) {
    size_t w = feat_width(c->dtype, c->veclen);
    bool has = src >= 0 && f->valid[src];
    if (w) {
        if (has) memcpy((char *)c->vals + row * w, (const char *)f->vals + (size_t)src * w, w);
        c->valid[row] = has;
        return LLMD_OK;
    }
    llmd_status st = LLMD_OK;
    if (has) st = llmd_buf_append(&c->blob, f->blob.data + f->offs[src], (size_t)(f->offs[src + 1] - f->offs[src]));
    c->valid[row] = has;
    c->offs[row + 1] = (int64_t)c->blob.len;
    return st;
}

/* ---- entity keys ----------------------------------------------------------------------------- */
/* Maps the view's join keys to the caller's key columns (by name), checking types against the
 * source's. */
static llmd_status bind_keys(const fview *v, const ftable *t, const llmd_key_column *keys, size_t n_keys,
                             size_t *map) {
    for (size_t k = 0; k < v->n_keys; k++) {
        size_t j = 0;
        while (j < n_keys && (keys[j].name == NULL || strcmp(keys[j].name, v->key_names[k]) != 0)) j++;
        if (j == n_keys)
            return llmd_fail(LLMD_ERR_NOT_FOUND, "view %s: join key \"%s\" is not among the entity columns", v->name,
                             v->key_names[k]);
        int want = t->key_is_string[k];
        if (want >= 0 && want != (keys[j].is_string != 0))
            return llmd_fail(LLMD_ERR_SCHEMA, "view %s: join key \"%s\" is %s in the source but %s in the entity rows",
                             v->name, v->key_names[k], want ? "a string" : "an integer",
                             keys[j].is_string ? "a string" : "an integer");
        if (keys[j].is_string ? (keys[j].offsets == NULL || keys[j].bytes == NULL) : keys[j].ints == NULL)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "entity column \"%s\": no data", keys[j].name);
        map[k] = j;
    }
    return LLMD_OK;
}

llmd_status feat_encode_entity(llmd_buf *b, size_t n_view_keys, const size_t *map, const llmd_key_column *keys,
                               size_t row) {
    llmd_buf_reset(b);
    llmd_status st = LLMD_OK;
    for (size_t k = 0; k < n_view_keys && st == LLMD_OK; k++) {
        const llmd_key_column *c = &keys[map[k]];
        st = c->is_string ? feat_key_put_str(b, c->bytes + c->offsets[row], (size_t)(c->offsets[row + 1] - c->offsets[row]))
                          : feat_key_put_int(b, c->ints[row]);
    }
    return st;
}

/* ---- the join ---------------------------------------------------------------------------------- */
typedef struct join_ctx {
    const fview *v;
    const ftable *t;
    const llmd_key_column *keys;
    const size_t *map;
    const int64_t *ts;
    int64_t *chosen;
} join_ctx;

static llmd_status join_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    const join_ctx *x = arg;
    llmd_buf key = LLMD_BUF_INIT;
    llmd_status st = LLMD_OK;
    for (size_t i = begin; i < end && st == LLMD_OK; i++) {
        if ((st = feat_encode_entity(&key, x->v->n_keys, x->map, x->keys, i)) != LLMD_OK) break;
        int64_t g = ftable_find_group(x->t, key.data, key.len, feat_key_hash(key.data, key.len));
        int64_t T = x->ts[i];
        /* Feast's window: T - ttl <= E <= T (inclusive at both ends); ttl 0 = unlimited. */
        int64_t lo = x->v->ttl_us > 0 ? (T > INT64_MIN + x->v->ttl_us ? T - x->v->ttl_us : INT64_MIN) : INT64_MIN;
        x->chosen[i] = g < 0 ? -1 : ftable_latest(x->t, (size_t)g, lo, T);
    }
    llmd_buf_free(&key);
    return st;
}

static const size_t hist_sizes[] = {sizeof(llmd_historical_options)};

void llmd_historical_options_init(llmd_historical_options *opts) {
    if (opts) *opts = (llmd_historical_options)LLMD_HISTORICAL_OPTIONS_INIT;
}

/* A parsed "view:feature" reference. */
typedef struct fref {
    const fview *v;
    size_t feat;
} fref;

llmd_status feat_parse_ref(const llmd_feature_repo *repo, const char *ref, fref *out);
llmd_status feat_parse_ref(const llmd_feature_repo *repo, const char *ref, fref *out) {
    const char *colon = ref ? strchr(ref, ':') : NULL;
    if (colon == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "feature reference \"%s\": expected view:feature", ref ? ref : "(null)");
    const fview *v = feat_find_view(repo, ref, (size_t)(colon - ref));
    if (v == NULL) return llmd_fail(LLMD_ERR_NOT_FOUND, "feature reference \"%s\": no view \"%.*s\"", ref, (int)(colon - ref), ref);
    for (size_t f = 0; f < v->n_feat; f++)
        if (strcmp(v->feat_names[f], colon + 1) == 0) {
            *out = (fref){v, f};
            return LLMD_OK;
        }
    return llmd_fail(LLMD_ERR_NOT_FOUND, "feature reference \"%s\": view %s has no feature \"%s\"", ref, v->name, colon + 1);
}

static llmd_status column_names(const fref *refs, size_t n, int full, char ***names) {
    char **nm = llmd_calloc(n ? n : 1, sizeof *nm);
    if (nm == NULL) return llmd_fail_nomem("naming result columns");
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        llmd_buf b = LLMD_BUF_INIT;
        st = full ? llmd_buf_printf(&b, "%s__%s", refs[i].v->name, refs[i].v->feat_names[refs[i].feat])
                  : llmd_buf_puts(&b, refs[i].v->feat_names[refs[i].feat]);
        nm[i] = llmd_buf_detach(&b, NULL);
        for (size_t j = 0; j < i && st == LLMD_OK; j++)
            if (strcmp(nm[j], nm[i]) == 0)
                st = llmd_fail(LLMD_ERR_INVALID_ARG, "two requested features are both named \"%s\": use full feature "
                               "names (view__feature)", nm[i]);
    }
    *names = nm;
    return st;
}

llmd_status llmd_feature_historical(const llmd_feature_repo *repo, const char *const *features, size_t n_features,
                                    const llmd_key_column *keys, size_t n_keys, const int64_t *event_ts_us,
                                    size_t n_rows, const llmd_historical_options *opts, llmd_feature_result **out) {
    if (out) *out = NULL;
    if (repo == NULL || out == NULL || (n_features && features == NULL) || (n_keys && keys == NULL) ||
        (n_rows && event_ts_us == NULL))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_feature_historical: NULL argument");
    llmd_historical_options o = LLMD_HISTORICAL_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts, hist_sizes, LLMD_HISTORICAL_OPTIONS_VERSION, "llmd_historical_options");
    if (st != LLMD_OK) return st;
    fref *refs = llmd_calloc(n_features ? n_features : 1, sizeof *refs);
    char **names = NULL;
    int64_t *chosen = llmd_malloc((n_rows ? n_rows : 1) * sizeof *chosen);
    llmd_feature_result *res = NULL;
    if (refs == NULL || chosen == NULL) st = llmd_fail_nomem("a historical join");
    for (size_t i = 0; i < n_features && st == LLMD_OK; i++) st = feat_parse_ref(repo, features[i], &refs[i]);
    if (st == LLMD_OK) st = column_names(refs, n_features, o.full_feature_names, &names);
    if (st == LLMD_OK) st = result_new(&res, n_rows, n_features);
    for (size_t i = 0; i < n_features && st == LLMD_OK; i++)
        st = result_col_init(&res->cols[i], names[i], refs[i].v->dtypes[refs[i].feat], refs[i].v->veclen[refs[i].feat],
                             n_rows);
    /* One pass per distinct view: load, index, choose a row per entity row, gather its features. */
    for (size_t i = 0; i < n_features && st == LLMD_OK; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++) seen |= refs[j].v == refs[i].v;
        if (seen) continue;
        const fview *v = refs[i].v;
        ftable t;
        if ((st = feat_load_source(v, &t)) != LLMD_OK) break;
        size_t map[16];
        st = ftable_index(&t);
        if (st == LLMD_OK) st = bind_keys(v, &t, keys, n_keys, map);
        join_ctx x = {v, &t, keys, map, event_ts_us, chosen};
        if (st == LLMD_OK) st = llmd_parallel_ranges(n_rows, o.threads, join_range, &x);
        for (size_t j = i; j < n_features && st == LLMD_OK; j++) {
            if (refs[j].v != v) continue;
            res->cols[j].source_version = t.source_version;
            for (size_t r = 0; r < n_rows && st == LLMD_OK; r++)
                st = result_set_from(&res->cols[j], r, &t.cols[refs[j].feat], chosen[r]);
        }
        ftable_free(&t);
    }
    if (names)
        for (size_t i = 0; i < n_features; i++) llmd_free(names[i]);
    llmd_free(names);
    llmd_free(refs);
    llmd_free(chosen);
    if (st != LLMD_OK) {
        llmd_feature_result_free(res);
        return st;
    }
    *out = res;
    return LLMD_OK;
}
