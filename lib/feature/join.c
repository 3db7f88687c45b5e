/* Result tables and the point-in-time join (Feast get_historical_features). */
#include <stdlib.h>

#include <sys/stat.h>

#include "feature/feature_internal.h"
#include "feature/result.h"
#include "feature/spill.h"

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

uint64_t llmd_feature_result_spill_bytes(const llmd_feature_result *res) { return res ? res->spill_bytes : 0; }

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
/* The requested features of one view: their index in the view and their result column. */
typedef struct fref_view {
    size_t n;
    size_t *feat;
    rcol **out;
} fref_view;

/* Answering an entity row walks a chain of dependent memory reads (key -> group -> the group's
 * times -> the chosen row's values); with random keys over a large source each link is a cache
 * miss.  The probe structures below, built once per source (or spilled partition), keep that
 * chain to about three lines: an index slot that holds the group's range (and, for one int64 join
 * key, the key itself, so no key bytes are read), the group's sorted times, and one record holding
 * every requested fixed-width value of the chosen row with its validity. */
typedef struct islot {
    int64_t key;
    uint32_t begin, end;     /* the group's rows in sorted order; end 0 = empty slot */
} islot;

typedef struct jfeat {       /* a requested fixed-width feature, read from the records */
    rcol *out;
    uint32_t off, width;     /* the value's place in a record */
    uint32_t valid_off;      /* its validity byte */
} jfeat;

typedef struct jindex {
    islot *islots;           /* non-NULL: the view has one int64 join key */
    size_t n_islots;
    uint8_t *recs_mem, *recs;   /* records in sorted-row order, 64-byte aligned */
    size_t stride;
    jfeat *feats;
    size_t n_feats;
    bool need_source_row;    /* string/bytes features requested: chosen[] holds source rows */
} jindex;

static void jindex_free(jindex *ix) {
    llmd_free(ix->islots);
    llmd_free(ix->recs_mem);
    llmd_free(ix->feats);
    memset(ix, 0, sizeof *ix);
}

static llmd_status build_int_slots(jindex *ix, const ftable *t) {
    size_t n = 16;
    while (n < t->n_groups * 2) n <<= 1;
    ix->islots = llmd_calloc(n, sizeof *ix->islots);
    if (ix->islots == NULL) return llmd_fail_nomem("indexing a feature source");
    ix->n_islots = n;
    for (size_t g = 0; g < t->n_groups; g++) {
        uint32_t first = t->order[t->group_begin[g]];
        int64_t key = (int64_t)llmd_load_le64((const uint8_t *)t->keys.data + t->key_off[first] + 1);   /* 'i' + LE64 */
        size_t s = feat_mix_int(key) & (n - 1);
        while (ix->islots[s].end) s = (s + 1) & (n - 1);
        ix->islots[s] = (islot){key, t->group_begin[g], t->group_begin[g + 1]};
    }
    return LLMD_OK;
}

/* Record layout: the values one after another, then one validity byte per value; the stride is
 * a power of two up to 64 bytes so that a record never straddles two cache lines. */
static llmd_status build_records(jindex *ix, const ftable *t, const fref_view *fv) {
    size_t at = 0;
    for (size_t j = 0; j < fv->n; j++) {
        const fcol *f = &t->cols[fv->feat[j]];
        size_t w = feat_width(f->dtype, f->veclen);
        if (w == 0) {
            ix->need_source_row = true;
            continue;
        }
        ix->feats[ix->n_feats++] = (jfeat){fv->out[j], (uint32_t)at, (uint32_t)w, 0};
        at += w;
    }
    if (ix->n_feats == 0) return LLMD_OK;
    for (size_t j = 0; j < ix->n_feats; j++) ix->feats[j].valid_off = (uint32_t)(at + j);
    size_t stride = (at + ix->n_feats + 7) & ~(size_t)7;
    if (stride <= 64) {
        size_t p = 8;
        while (p < stride) p <<= 1;
        stride = p;
    }
    size_t bytes;
    if (!llmd_mul_ok(t->n ? t->n : 1, stride, &bytes) || !llmd_add_ok(bytes, 64, &bytes) ||
        (ix->recs_mem = llmd_calloc(1, bytes)) == NULL)
        return llmd_fail_nomem("the join's value records");
    ix->recs = (uint8_t *)(((uintptr_t)ix->recs_mem + 63) & ~(uintptr_t)63);
    ix->stride = stride;
    size_t k = 0;
    for (size_t j = 0; j < fv->n; j++) {
        const fcol *f = &t->cols[fv->feat[j]];
        if (!feat_width(f->dtype, f->veclen)) continue;
        const jfeat *jf = &ix->feats[k++];
        for (size_t pos = 0; pos < t->n; pos++) {
            uint32_t src = t->order[pos];
            if (pos + 16 < t->n) {   /* source rows come in random order */
                __builtin_prefetch(f->valid + t->order[pos + 16]);
                __builtin_prefetch((const char *)f->vals + (size_t)t->order[pos + 16] * jf->width);
            }
            uint8_t *r = ix->recs + pos * stride;
            if ((r[jf->valid_off] = f->valid[src] != 0))
                memcpy(r + jf->off, (const char *)f->vals + (size_t)src * jf->width, jf->width);
        }
    }
    return LLMD_OK;
}

static llmd_status jindex_build(jindex *ix, const ftable *t, const fref_view *fv, bool int_key) {
    memset(ix, 0, sizeof *ix);
    ix->feats = llmd_calloc(fv->n ? fv->n : 1, sizeof *ix->feats);
    if (ix->feats == NULL) return llmd_fail_nomem("a historical join");
    llmd_status st = build_records(ix, t, fv);
    if (st == LLMD_OK && int_key) st = build_int_slots(ix, t);
    return st;
}

typedef struct join_ctx {
    const fview *v;
    const ftable *t;
    const jindex *ix;
    const llmd_key_column *keys;
    const size_t *map;
    const int64_t *ts;
    int64_t *chosen;             /* per entity row: the source row chosen (-1 none) if ix->need_source_row */
    const size_t *rows;          /* the entity rows to answer (NULL: all, in order) */
} join_ctx;

/* Entity rows are answered in blocks: each lookup step is prefetched for the whole block before
 * it is used, so the cache misses of a block's rows overlap instead of following one another. */
#define JOIN_BLOCK 32

static llmd_status encode_entity_append(llmd_buf *b, size_t n_view_keys, const size_t *map,
                                        const llmd_key_column *keys, size_t row) {
    llmd_status st = LLMD_OK;
    for (size_t k = 0; k < n_view_keys && st == LLMD_OK; k++) {
        const llmd_key_column *c = &keys[map[k]];
        st = c->is_string ? feat_key_put_str(b, c->bytes + c->offsets[row], (size_t)(c->offsets[row + 1] - c->offsets[row]))
                          : feat_key_put_int(b, c->ints[row]);
    }
    return st;
}

/* Group ranges of a block of int64 keys: the slot holds the key, so one line answers. */
static void ranges_int(const jindex *ix, const int64_t *ikeys, const size_t *row, size_t m, uint32_t *a, uint32_t *e) {
    size_t mask = ix->n_islots - 1, s[JOIN_BLOCK];
    for (size_t j = 0; j < m; j++) {
        s[j] = feat_mix_int(ikeys[row[j]]) & mask;
        __builtin_prefetch(&ix->islots[s[j]]);
    }
    for (size_t j = 0; j < m; j++) {
        int64_t k = ikeys[row[j]];
        const islot *sl = &ix->islots[s[j]];
        while (sl->end && sl->key != k) sl = &ix->islots[(size_t)(sl - ix->islots + 1) & mask];
        a[j] = sl->begin;
        e[j] = sl->end;   /* an empty slot: 0, 0 */
    }
}

/* Group ranges of a block of encoded (string or composite) keys. */
static llmd_status ranges_encoded(const join_ctx *x, const size_t *row, size_t m, llmd_buf *key, uint32_t *a,
                                  uint32_t *e) {
    const ftable *t = x->t;
    size_t koff[JOIN_BLOCK + 1];
    uint64_t h[JOIN_BLOCK];
    uint64_t mask = t->n_slots ? t->n_slots - 1 : 0;
    llmd_buf_reset(key);
    koff[0] = 0;
    for (size_t j = 0; j < m; j++) {
        llmd_status st = encode_entity_append(key, x->v->n_keys, x->map, x->keys, row[j]);
        if (st != LLMD_OK) return st;
        koff[j + 1] = key->len;
    }
    for (size_t j = 0; j < m; j++) {
        h[j] = feat_key_hash(key->data + koff[j], koff[j + 1] - koff[j]);
        if (t->n_groups) __builtin_prefetch(&t->slots[h[j] & mask]);
    }
    if (t->n_groups)
        for (size_t j = 0; j < m; j++) {
            const struct fslot *sl = &t->slots[h[j] & mask];
            if (sl->group) {
                __builtin_prefetch(t->keys.data + sl->key_off);
                __builtin_prefetch(&t->group_begin[sl->group - 1]);
            }
        }
    for (size_t j = 0; j < m; j++) {
        int64_t g = ftable_find_group(t, key->data + koff[j], koff[j + 1] - koff[j], h[j]);
        a[j] = g < 0 ? 0 : t->group_begin[g];
        e[j] = g < 0 ? 0 : t->group_begin[g + 1];
    }
    return LLMD_OK;
}

/* Copies the chosen record's values (NULL: none) into result row i. */
static inline void write_fixed(const jindex *ix, const uint8_t *r, size_t i) {
    for (size_t f = 0; f < ix->n_feats; f++) {
        const jfeat *jf = &ix->feats[f];
        bool has = r != NULL && r[jf->valid_off];
        jf->out->valid[i] = has;
        if (!has) continue;
        char *dst = (char *)jf->out->vals + i * jf->width;
        switch (jf->width) {   /* fixed sizes become single moves */
        case 1: memcpy(dst, r + jf->off, 1); break;
        case 4: memcpy(dst, r + jf->off, 4); break;
        case 8: memcpy(dst, r + jf->off, 8); break;
        default: memcpy(dst, r + jf->off, jf->width); break;
        }
    }
}

static llmd_status join_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    const join_ctx *x = arg;
    const ftable *t = x->t;
    const jindex *ix = x->ix;
    const int64_t *ikeys = ix->islots ? x->keys[x->map[0]].ints : NULL;
    const int64_t *ts = t->sorted_ts;
    int64_t ttl = x->v->ttl_us;
    llmd_buf key = LLMD_BUF_INIT;
    llmd_status st = LLMD_OK;
    size_t row[JOIN_BLOCK];
    uint32_t a[JOIN_BLOCK], e[JOIN_BLOCK];
    int64_t pos[JOIN_BLOCK];
    for (size_t b = begin; b < end && st == LLMD_OK; b += JOIN_BLOCK) {
        size_t m = end - b < JOIN_BLOCK ? end - b : JOIN_BLOCK;
        for (size_t j = 0; j < m; j++) row[j] = x->rows ? x->rows[b + j] : b + j;
        if (x->rows)   /* a partition's rows are spread over the entity columns: fetch the next block's */
            for (size_t j = b + JOIN_BLOCK; j < b + 2 * JOIN_BLOCK && j < end; j++) {
                __builtin_prefetch(&x->ts[x->rows[j]]);
                if (ikeys) __builtin_prefetch(&ikeys[x->rows[j]]);
                for (size_t f = 0; f < ix->n_feats; f++) {   /* and the result lines it will write */
                    __builtin_prefetch(&ix->feats[f].out->valid[x->rows[j]], 1);
                    __builtin_prefetch((char *)ix->feats[f].out->vals + x->rows[j] * ix->feats[f].width, 1);
                }
            }
        if (ikeys) ranges_int(ix, ikeys, row, m, a, e);
        else if ((st = ranges_encoded(x, row, m, &key, a, e)) != LLMD_OK) break;
        for (size_t j = 0; j < m; j++)   /* the binary search starts in the middle of the group's times */
            if (e[j] > a[j]) __builtin_prefetch(&ts[a[j] + (e[j] - a[j]) / 2]);
        for (size_t j = 0; j < m; j++) {
            /* The group's rows are sorted by (ts, created, source order): the answer is the last
             * with ts <= T, if within Feast's window T - ttl <= ts <= T (ttl 0 = unlimited). */
            int64_t T = x->ts[row[j]];
            int64_t lo = ttl > 0 ? (T > INT64_MIN + ttl ? T - ttl : INT64_MIN) : INT64_MIN;
            size_t lo_i = a[j], hi_i = e[j];
            while (lo_i < hi_i) {
                size_t mid = lo_i + (hi_i - lo_i) / 2;
                if (ts[mid] <= T) lo_i = mid + 1;
                else hi_i = mid;
            }
            pos[j] = lo_i == a[j] || ts[lo_i - 1] < lo ? -1 : (int64_t)lo_i - 1;
            if (pos[j] >= 0) {
                if (ix->recs) __builtin_prefetch(ix->recs + (size_t)pos[j] * ix->stride);
                if (ix->need_source_row) __builtin_prefetch(&t->order[pos[j]]);
            }
        }
        for (size_t j = 0; j < m; j++) {
            if (ix->need_source_row) x->chosen[row[j]] = pos[j] < 0 ? -1 : (int64_t)t->order[pos[j]];
            if (ix->n_feats) write_fixed(ix, pos[j] < 0 ? NULL : ix->recs + (size_t)pos[j] * ix->stride, row[j]);
        }
    }
    llmd_buf_free(&key);
    return st;
}

static const size_t hist_sizes[] = {offsetof(llmd_historical_options, memory_limit),
                                    sizeof(llmd_historical_options)};

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

/* ---- one view's join: in memory, or spilled to disk past the memory limit -------------------- */
typedef struct hist_job {
    const fref *refs;
    size_t n_refs;
    const llmd_key_column *keys;
    size_t n_keys;
    const int64_t *ts;
    size_t n_rows;
    const llmd_historical_options *o;
    llmd_feature_result *res;
    int64_t *chosen;
    uint64_t spill_bytes;
} hist_job;

/* String and bytes features (fixed-width ones were written by join_range from the records). */
static llmd_status gather_in_order(const hist_job *job, const fview *v, const ftable *t) {
    llmd_status st = LLMD_OK;
    for (size_t j = 0; j < job->n_refs && st == LLMD_OK; j++) {
        if (job->refs[j].v != v) continue;
        job->res->cols[j].source_version = t->source_version;
        const fcol *f = &t->cols[job->refs[j].feat];
        if (feat_width(f->dtype, f->veclen)) continue;
        for (size_t r = 0; r < job->n_rows && st == LLMD_OK; r++) {
            if (r + 16 < job->n_rows && job->chosen[r + 16] >= 0) {   /* source rows come in random order */
                __builtin_prefetch(f->valid + job->chosen[r + 16]);
                __builtin_prefetch(f->offs + job->chosen[r + 16]);
            }
            st = result_set_from(&job->res->cols[j], r, f, job->chosen[r]);
        }
    }
    return st;
}

/* The view's requested features (fv's arrays have job->n_refs entries). */
static llmd_status view_refs(const hist_job *job, const fview *v, fref_view *fv) {
    fv->n = 0;
    fv->feat = llmd_malloc((job->n_refs ? job->n_refs : 1) * sizeof *fv->feat);
    fv->out = llmd_malloc((job->n_refs ? job->n_refs : 1) * sizeof *fv->out);
    if (fv->feat == NULL || fv->out == NULL) return llmd_fail_nomem("a historical join");
    for (size_t j = 0; j < job->n_refs; j++)
        if (job->refs[j].v == v) {
            fv->feat[fv->n] = job->refs[j].feat;
            fv->out[fv->n++] = &job->res->cols[j];
        }
    return LLMD_OK;
}

static void fref_view_free(fref_view *fv) {
    llmd_free(fv->feat);
    llmd_free(fv->out);
}

/* Answers entity rows `rows` (NULL: all) from table t: fixed-width features written, chosen[]
 * set for the string ones. */
static llmd_status answer_rows(const hist_job *job, const fview *v, const ftable *t, const size_t *map,
                               const fref_view *fv, const size_t *rows, size_t n) {
    if (n == 0) return LLMD_OK;   /* no probe structures for nothing to answer */
    jindex ix;
    bool int_key = v->n_keys == 1 && !job->keys[map[0]].is_string && t->key_is_string[0] != 1;
    llmd_status st = jindex_build(&ix, t, fv, int_key);
    join_ctx x = {v, t, &ix, job->keys, map, job->ts, job->chosen, rows};
    if (st == LLMD_OK) st = llmd_parallel_ranges(n, job->o->threads, join_range, &x);
    jindex_free(&ix);
    return st;
}

static llmd_status join_in_memory(const hist_job *job, const fview *v, ftable *t) {
    size_t map[16];
    fref_view fv = {0};
    llmd_status st = ftable_index(t);
    if (st == LLMD_OK) st = bind_keys(v, t, job->keys, job->n_keys, map);
    if (st == LLMD_OK) st = view_refs(job, v, &fv);
    if (st == LLMD_OK) st = answer_rows(job, v, t, map, &fv, NULL, job->n_rows);
    if (st == LLMD_OK) st = gather_in_order(job, v, t);
    fref_view_free(&fv);
    return st;
}

typedef struct spill_sink {
    spill *sp;
    bool opened;
    size_t n_parts;
    const hist_job *job;
} spill_sink;

static llmd_status sink_to_spill(void *ctx, ftable *t) {
    spill_sink *k = ctx;
    if (!k->opened) {
        llmd_status st = spill_open(k->sp, k->job->o->temp_dir, k->n_parts, (size_t)k->job->o->memory_limit);
        k->opened = true;   /* spill_close cleans up whatever spill_open managed to create */
        if (st != LLMD_OK) return st;
    }
    return spill_table(k->sp, t);
}

/* Partitions that keep each one near half the memory limit, from the source's size on disk (a
 * Delta directory's size is not known here: 64).  At most 256: each is an open file while the
 * source is read, and the process's descriptor limit is often 1024. */
static size_t spill_parts(const fview *v, uint64_t limit) {
    struct stat sb;
    if (stat(v->source_path, &sb) != 0 || !S_ISREG(sb.st_mode)) return 64;
    /* Compressed sources (zstd JSONL, Parquet) grow several times in memory. */
    uint64_t need = (uint64_t)sb.st_size / (limit / 8 ? limit / 8 : 1) + 1;
    return need < 16 ? 16 : need > 256 ? 256 : (size_t)need;
}

/* Strings of one result column gathered out of row order: values appended as they come, then laid
 * out in row order at the end. */
typedef struct side_col {
    llmd_buf bytes;
    int64_t *start;   /* per row */
} side_col;

static llmd_status gather_part(const hist_job *job, const fview *v, const ftable *t, const size_t *rows, size_t n,
                               side_col *side) {
    llmd_status st = LLMD_OK;
    for (size_t j = 0; j < job->n_refs && st == LLMD_OK; j++) {
        if (job->refs[j].v != v) continue;
        rcol *c = &job->res->cols[j];
        const fcol *f = &t->cols[job->refs[j].feat];
        c->source_version = t->source_version;
        if (feat_width(c->dtype, c->veclen)) continue;   /* written by join_range */
        for (size_t i = 0; i < n && st == LLMD_OK; i++) {
            size_t r = rows[i];
            int64_t src = job->chosen[r];
            bool has = src >= 0 && f->valid[src];
            c->valid[r] = has;
            c->offs[r + 1] = has ? f->offs[src + 1] - f->offs[src] : 0;   /* the length, for now */
            side[j].start[r] = (int64_t)side[j].bytes.len;
            if (has) st = llmd_buf_append(&side[j].bytes, f->blob.data + f->offs[src], (size_t)c->offs[r + 1]);
        }
    }
    return st;
}

static llmd_status lay_out_strings(const hist_job *job, const fview *v, side_col *side) {
    llmd_status st = LLMD_OK;
    for (size_t j = 0; j < job->n_refs && st == LLMD_OK; j++) {
        rcol *c = &job->res->cols[j];
        if (job->refs[j].v != v || feat_width(c->dtype, c->veclen)) continue;
        if ((st = llmd_buf_reserve(&c->blob, side[j].bytes.len)) != LLMD_OK) break;
        c->offs[0] = 0;
        for (size_t r = 0; r < job->n_rows; r++) {
            size_t len = (size_t)c->offs[r + 1];
            llmd_buf_append(&c->blob, side[j].bytes.data + side[j].start[r], len);   /* reserved: cannot fail */
            c->offs[r + 1] = (int64_t)c->blob.len;
        }
        llmd_buf_free(&side[j].bytes);
    }
    return st;
}

/* Entity rows grouped by partition (counting sort: each partition's rows stay in input order). */
static llmd_status partition_rows(const hist_job *job, const fview *v, const size_t *map, const spill *sp,
                                  size_t **rows_out, size_t **begin_out) {
    size_t n = job->n_rows, P = sp->n_parts;
    uint32_t *part = llmd_malloc((n ? n : 1) * sizeof *part);
    size_t *begin = llmd_calloc(P + 1, sizeof *begin), *rows = llmd_malloc((n ? n : 1) * sizeof *rows);
    llmd_buf key = LLMD_BUF_INIT;
    llmd_status st = part && begin && rows ? LLMD_OK : llmd_fail_nomem("partitioning entity rows");
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        if ((st = feat_encode_entity(&key, v->n_keys, map, job->keys, i)) != LLMD_OK) break;
        part[i] = (uint32_t)spill_part_of(sp, feat_key_hash(key.data, key.len));
        begin[part[i] + 1]++;
    }
    for (size_t p = 0; p < P && st == LLMD_OK; p++) begin[p + 1] += begin[p];
    if (st == LLMD_OK) {
        size_t *fill = llmd_malloc(P * sizeof *fill);
        if (fill == NULL) st = llmd_fail_nomem("partitioning entity rows");
        else {
            memcpy(fill, begin, P * sizeof *fill);
            for (size_t i = 0; i < n; i++) rows[fill[part[i]]++] = i;
            llmd_free(fill);
        }
    }
    llmd_buf_free(&key);
    llmd_free(part);
    if (st != LLMD_OK) {
        llmd_free(rows);
        llmd_free(begin);
        return st;
    }
    *rows_out = rows;
    *begin_out = begin;
    return LLMD_OK;
}

static llmd_status join_spilled(const hist_job *job, const fview *v, spill *sp, const int *key_types,
                                int64_t source_version) {
    size_t map[16], *rows = NULL, *begin = NULL;
    side_col *side = llmd_calloc(job->n_refs ? job->n_refs : 1, sizeof *side);
    ftable probe = {0};
    for (size_t k = 0; k < v->n_keys; k++) probe.key_is_string[k] = key_types[k];
    llmd_status st = side ? bind_keys(v, &probe, job->keys, job->n_keys, map) : llmd_fail_nomem("a historical join");
    for (size_t j = 0; j < job->n_refs && st == LLMD_OK; j++) {
        rcol *c = &job->res->cols[j];
        if (job->refs[j].v == v && !feat_width(c->dtype, c->veclen) &&
            (side[j].start = llmd_malloc((job->n_rows ? job->n_rows : 1) * sizeof *side[j].start)) == NULL)
            st = llmd_fail_nomem("a historical join");
    }
    fref_view fv = {0};
    if (st == LLMD_OK) st = view_refs(job, v, &fv);
    if (st == LLMD_OK) st = partition_rows(job, v, map, sp, &rows, &begin);
    for (size_t p = 0; p < sp->n_parts && st == LLMD_OK; p++) {
        ftable t;
        if ((st = feat_table_init(v, &t)) != LLMD_OK) {
            ftable_free(&t);   /* what the failed init allocated */
            break;
        }
        for (size_t k = 0; k < v->n_keys; k++) t.key_is_string[k] = key_types[k];
        t.source_version = source_version;
        st = spill_load_part(sp, p, &t);
        if (st == LLMD_OK) st = ftable_index(&t);
        if (st == LLMD_OK) st = answer_rows(job, v, &t, map, &fv, rows + begin[p], begin[p + 1] - begin[p]);
        if (st == LLMD_OK) st = gather_part(job, v, &t, rows + begin[p], begin[p + 1] - begin[p], side);
        ftable_free(&t);
    }
    if (st == LLMD_OK) st = lay_out_strings(job, v, side);
    fref_view_free(&fv);
    for (size_t j = 0; side && j < job->n_refs; j++) {
        llmd_buf_free(&side[j].bytes);
        llmd_free(side[j].start);
    }
    llmd_free(side);
    llmd_free(rows);
    llmd_free(begin);
    return st;
}

static llmd_status join_view(const fview *v, hist_job *job) {
    ftable t;
    spill sp = {0};
    spill_sink k = {&sp, false, 0, job};
    feat_sink sink = {sink_to_spill, &k, 0};
    if (job->o->memory_limit > 0) {
        k.n_parts = spill_parts(v, job->o->memory_limit);
        sink.bytes = (size_t)(job->o->memory_limit / 2);
    }
    llmd_status st = feat_load_source(v, &t, job->o->memory_limit > 0 ? &sink : NULL);
    if (st != LLMD_OK) {
        spill_close(&sp);
        return st;
    }
    if (!k.opened) {
        st = join_in_memory(job, v, &t);   /* the whole source fitted */
    } else {
        t.sink = NULL;
        st = spill_table(&sp, &t);
        if (st == LLMD_OK) st = spill_finish_writing(&sp);
        int key_types[16];
        for (size_t i = 0; i < v->n_keys; i++) key_types[i] = t.key_is_string[i];
        int64_t version = t.source_version;
        ftable_free(&t);   /* before the partitions come back one at a time */
        if (st == LLMD_OK) st = join_spilled(job, v, &sp, key_types, version);
        job->spill_bytes += sp.bytes_written;
    }
    ftable_free(&t);
    spill_close(&sp);
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
    hist_job job = {refs, n_features, keys, n_keys, event_ts_us, n_rows, &o, res, chosen, 0};
    for (size_t i = 0; i < n_features && st == LLMD_OK; i++) {
        bool seen = false;
        for (size_t j = 0; j < i; j++) seen |= refs[j].v == refs[i].v;
        if (!seen) st = join_view(refs[i].v, &job);
    }
    if (res) res->spill_bytes = job.spill_bytes;
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
