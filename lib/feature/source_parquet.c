/* Feature view sources in Parquet files and Delta tables (read through the public parquet.h and
 * delta.h APIs), typed by the view's schema into the same table the JSONL reader builds. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "feature/feature_internal.h"
#include "llmdata/delta.h"
#include "llmdata/parquet.h"

/* One column of a batch, with its field's type, and where a message names it. */
typedef struct pcol {
    const llmd_column *c;
    llmd_type type;
    llmd_type elem;              /* LIST: the element's type */
    const char *name;
} pcol;

typedef struct pctx {
    const fview *v;
    ftable *t;
    const char *file;            /* for messages */
    int row_group;
    int64_t row;                 /* row within the row group */
} pctx;

static llmd_status at(const pctx *x, llmd_status st, const char *field, const char *msg) {
    return llmd_fail(st, "%s: row group %d, row %lld, column \"%s\": %s", x->file, x->row_group, (long long)x->row,
                     field, msg);
}

static bool is_valid(const llmd_column *c, int64_t i) {
    int64_t s = c->offset + i;
    return c->validity == NULL || (c->validity[s >> 3] >> (s & 7)) & 1;
}

static int64_t offset_at(const llmd_column *c, int64_t slot) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[slot] : ((const int32_t *)c->offsets)[slot];
}

static bool is_integer(llmd_type_id id) { return id >= LLMD_TYPE_INT8 && id <= LLMD_TYPE_UINT64; }

/* An integer column's value; UINT64 above INT64_MAX is out of range. */
static bool int_at(const llmd_column *c, llmd_type_id id, int64_t i, int64_t *out) {
    int64_t s = c->offset + i;
    switch (id) {
    case LLMD_TYPE_INT8: *out = ((const int8_t *)c->values)[s]; return true;
    case LLMD_TYPE_INT16: *out = ((const int16_t *)c->values)[s]; return true;
    case LLMD_TYPE_INT32: *out = ((const int32_t *)c->values)[s]; return true;
    case LLMD_TYPE_INT64: *out = ((const int64_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT8: *out = ((const uint8_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT16: *out = ((const uint16_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT32: *out = ((const uint32_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT64: {
        uint64_t u = ((const uint64_t *)c->values)[s];
        *out = (int64_t)u;
        return u <= INT64_MAX;
    }
    default: return false;
    }
}

static const char *bytes_at(const llmd_column *c, int64_t i, size_t *len) {
    int64_t s = c->offset + i, a = offset_at(c, s), b = offset_at(c, s + 1);
    *len = (size_t)(b - a);
    return (const char *)c->values + a;
}

/* A timestamp: TIMESTAMP in any unit (a zone-less one is read as UTC, as Feast treats naive
 * times), DATE (midnight UTC), an integer (epoch microseconds, as in JSONL) or an ISO 8601 string. */
static llmd_status time_at(const pctx *x, const pcol *p, int64_t i, int64_t *out) {
    const llmd_column *c = p->c;
    int64_t s = c->offset + i;
    switch (p->type.id) {
    case LLMD_TYPE_TIMESTAMP: {
        int64_t v = ((const int64_t *)c->values)[s];
        if (p->type.unit == LLMD_TIME_MILLIS) {
            if (v > INT64_MAX / 1000 || v < INT64_MIN / 1000) return at(x, LLMD_ERR_RANGE, p->name, "timestamp out of range");
            *out = v * 1000;
        } else if (p->type.unit == LLMD_TIME_NANOS) {
            *out = v >= 0 ? v / 1000 : -((-(v + 1)) / 1000) - 1;   /* floor: earlier instants stay earlier */
        } else {
            *out = v;
        }
        return LLMD_OK;
    }
    case LLMD_TYPE_DATE:
        *out = (int64_t)((const int32_t *)c->values)[s] * 86400 * 1000000;
        return LLMD_OK;
    case LLMD_TYPE_STRING: {
        size_t n;
        const char *b = bytes_at(c, i, &n);
        llmd_status st = llmd_parse_timestamp(b, n, out);
        return st == LLMD_OK ? st : llmd_error_prefix("%s: row group %d, row %lld, column \"%s\"", x->file, x->row_group,
                                                      (long long)x->row, p->name);
    }
    default:
        if (is_integer(p->type.id) && int_at(c, p->type.id, i, out)) return LLMD_OK;
        return at(x, LLMD_ERR_RANGE, p->name, "timestamp out of range");
    }
}

/* Can a column of type `ty` (element type `el` for lists) fill a feature of dtype dt? */
static bool compatible(llmd_feature_dtype dt, llmd_type ty, llmd_type el) {
    switch (dt) {
    case LLMD_FEATURE_INT64: return is_integer(ty.id);
    case LLMD_FEATURE_FLOAT32: case LLMD_FEATURE_FLOAT64:
        return ty.id == LLMD_TYPE_FLOAT || ty.id == LLMD_TYPE_DOUBLE || is_integer(ty.id);
    case LLMD_FEATURE_STRING: return ty.id == LLMD_TYPE_STRING;
    case LLMD_FEATURE_BYTES: return ty.id == LLMD_TYPE_BINARY || ty.id == LLMD_TYPE_STRING || ty.id == LLMD_TYPE_FIXED_BINARY;
    case LLMD_FEATURE_BOOL: return ty.id == LLMD_TYPE_BOOL;
    case LLMD_FEATURE_FLOAT32_VECTOR:
        return ty.id == LLMD_TYPE_LIST && (el.id == LLMD_TYPE_FLOAT || el.id == LLMD_TYPE_DOUBLE);
    }
    return false;
}

static double number_at(const llmd_column *c, llmd_type_id id, int64_t i) {
    int64_t s = c->offset + i, v = 0;
    if (id == LLMD_TYPE_FLOAT) return ((const float *)c->values)[s];
    if (id == LLMD_TYPE_DOUBLE) return ((const double *)c->values)[s];
    int_at(c, id, i, &v);
    return (double)v;
}

static llmd_status put_feature(const pctx *x, fcol *f, const pcol *p, int64_t i) {
    size_t row = x->t->n, w = feat_width(f->dtype, f->veclen);
    char *slot = w ? (char *)f->vals + row * w : NULL;
    f->valid[row] = 0;
    if (w) memset(slot, 0, w);
    else f->offs[row + 1] = (int64_t)f->blob.len;
    const llmd_column *c = p->c;
    if (!is_valid(c, i)) return LLMD_OK;
    switch (f->dtype) {
    case LLMD_FEATURE_INT64: {
        int64_t v;
        if (!int_at(c, p->type.id, i, &v)) return at(x, LLMD_ERR_RANGE, p->name, "integer above INT64_MAX");
        memcpy(slot, &v, 8);
        break;
    }
    case LLMD_FEATURE_FLOAT32: {
        float v = (float)number_at(c, p->type.id, i);
        memcpy(slot, &v, 4);
        break;
    }
    case LLMD_FEATURE_FLOAT64: {
        double v = number_at(c, p->type.id, i);
        memcpy(slot, &v, 8);
        break;
    }
    case LLMD_FEATURE_BOOL: {
        int64_t s = c->offset + i;
        *slot = (char)((((const uint8_t *)c->values)[s >> 3] >> (s & 7)) & 1);
        break;
    }
    case LLMD_FEATURE_STRING: case LLMD_FEATURE_BYTES: {
        size_t n;
        const char *b;
        if (p->type.id == LLMD_TYPE_FIXED_BINARY) {
            n = (size_t)p->type.byte_width;
            b = (const char *)c->values + (size_t)(c->offset + i) * n;
        } else {
            b = bytes_at(c, i, &n);
        }
        llmd_status st = llmd_buf_append(&f->blob, b, n);
        if (st != LLMD_OK) return st;
        f->offs[row + 1] = (int64_t)f->blob.len;
        break;
    }
    case LLMD_FEATURE_FLOAT32_VECTOR: {
        int64_t s = c->offset + i, a = offset_at(c, s), b = offset_at(c, s + 1);
        if (b - a != (int64_t)f->veclen) {
            char msg[96];
            snprintf(msg, sizeof msg, "a list of %lld numbers where the view declares length %u", (long long)(b - a),
                     f->veclen);
            return at(x, LLMD_ERR_PARSE, p->name, msg);
        }
        const llmd_column *e = &c->children[0];
        for (int64_t k = a; k < b; k++) {
            if (!is_valid(e, k)) return at(x, LLMD_ERR_PARSE, p->name, "a null element in an embedding");
            float v = (float)number_at(e, p->elem.id, k);
            memcpy(slot + 4 * (k - a), &v, 4);
        }
        break;
    }
    }
    f->valid[row] = 1;
    return LLMD_OK;
}

static llmd_status put_key(const pctx *x, size_t k, const pcol *p, int64_t i) {
    ftable *t = x->t;
    if (!is_valid(p->c, i)) return at(x, LLMD_ERR_PARSE, p->name, "a null join key");
    if (p->type.id == LLMD_TYPE_STRING || p->type.id == LLMD_TYPE_BINARY) {
        size_t n;
        const char *b = bytes_at(p->c, i, &n);
        return feat_key_put_str(&t->keys, b, n);
    }
    int64_t v;
    if (!int_at(p->c, p->type.id, i, &v)) return at(x, LLMD_ERR_RANGE, p->name, "join key above INT64_MAX");
    (void)k;
    return feat_key_put_int(&t->keys, v);
}

/* Column names to read: join keys, event time, created time (optional), features. */
static size_t wanted_columns(const fview *v, const char **names) {
    size_t n = 0;
    for (size_t k = 0; k < v->n_keys; k++) names[n++] = v->key_names[k];
    names[n++] = v->ts_field;
    if (v->created_field) names[n++] = v->created_field;
    for (size_t f = 0; f < v->n_feat; f++) names[n++] = v->feat_names[f];
    return n;
}

/* Checks the file's schema against the view: every column present with a usable type; key types
 * agree with the declared (or earlier inferred) ones. */
static llmd_status check_schema(const fview *v, ftable *t, const llmd_schema *s, const char *file, const char **names,
                                pcol *cols, size_t n) {
    for (size_t i = 0; i < n; i++) {
        int id = llmd_schema_find(s, 0, names[i]);
        if (id < 0)
            return llmd_fail(LLMD_ERR_SCHEMA, "%s: no column \"%s\" (the view %s needs it)", file, names[i], v->name);
        cols[i].type = llmd_schema_type(s, id);
        cols[i].elem = (llmd_type){0};
        if (cols[i].type.id == LLMD_TYPE_LIST) cols[i].elem = llmd_schema_type(s, llmd_schema_child(s, id, 0));
        cols[i].name = names[i];
    }
    for (size_t k = 0; k < v->n_keys; k++) {
        llmd_type_id id = cols[k].type.id;
        int is_str = id == LLMD_TYPE_STRING || id == LLMD_TYPE_BINARY ? 1 : is_integer(id) ? 0 : -1;
        if (is_str < 0)
            return llmd_fail(LLMD_ERR_SCHEMA, "%s: join key \"%s\" is %s (a string or an integer column expected)",
                             file, names[k], llmd_type_name(id));
        if (t->key_is_string[k] >= 0 && t->key_is_string[k] != is_str)
            return llmd_fail(LLMD_ERR_SCHEMA, "%s: join key \"%s\" is %s where the view has %s keys", file, names[k],
                             is_str ? "a string" : "an integer", t->key_is_string[k] ? "string" : "integer");
        t->key_is_string[k] = is_str;
    }
    size_t first_time = v->n_keys, first_feat = v->n_keys + 1 + (v->created_field != NULL);
    for (size_t i = first_time; i < first_feat; i++) {
        llmd_type_id id = cols[i].type.id;
        if (id != LLMD_TYPE_TIMESTAMP && id != LLMD_TYPE_DATE && id != LLMD_TYPE_STRING && !is_integer(id))
            return llmd_fail(LLMD_ERR_SCHEMA, "%s: column \"%s\" is %s, not a timestamp", file, names[i],
                             llmd_type_name(id));
    }
    for (size_t f = 0; f < v->n_feat; f++) {
        const pcol *p = &cols[first_feat + f];
        if (!compatible(v->dtypes[f], p->type, p->elem))
            return llmd_fail(LLMD_ERR_SCHEMA, "%s: feature \"%s\" is declared %s but the column is %s%s%s%s", file,
                             v->feat_names[f], llmd_feature_dtype_name(v->dtypes[f]), llmd_type_name(p->type.id),
                             p->type.id == LLMD_TYPE_LIST ? "<" : "",
                             p->type.id == LLMD_TYPE_LIST ? llmd_type_name(p->elem.id) : "",
                             p->type.id == LLMD_TYPE_LIST ? ">" : "");
    }
    return LLMD_OK;
}

static llmd_status add_batch_rows(pctx *x, pcol *cols, int64_t rows) {
    const fview *v = x->v;
    ftable *t = x->t;
    size_t first_feat = v->n_keys + 1 + (v->created_field != NULL);
    llmd_status st = LLMD_OK;
    for (int64_t i = 0; i < rows && st == LLMD_OK; i++) {
        x->row = i;
        if ((st = ftable_begin_row(t)) != LLMD_OK) break;
        size_t key_start = t->keys.len, row = t->n;
        for (size_t k = 0; k < v->n_keys && st == LLMD_OK; k++) st = put_key(x, k, &cols[k], i);
        if (st == LLMD_OK) {
            if (!is_valid(cols[v->n_keys].c, i)) st = at(x, LLMD_ERR_PARSE, v->ts_field, "a null event timestamp");
            else st = time_at(x, &cols[v->n_keys], i, &t->ts[row]);
        }
        t->created[row] = FEAT_NO_TIME;
        if (st == LLMD_OK && v->created_field && is_valid(cols[v->n_keys + 1].c, i))
            st = time_at(x, &cols[v->n_keys + 1], i, &t->created[row]);
        for (size_t f = 0; f < v->n_feat && st == LLMD_OK; f++) st = put_feature(x, &t->cols[f], &cols[first_feat + f], i);
        if (st != LLMD_OK) {
            t->keys.len = key_start;
            break;
        }
        ftable_end_row(t, key_start);
    }
    return st;
}

/* Appends every row of one Parquet file. */
static llmd_status load_parquet_file(const fview *v, ftable *t, const char *path) {
    llmd_parquet_reader *r = NULL;
    const char *names[16 + 2 + 4096];
    pcol *cols = NULL;
    size_t n = 0;
    if (v->n_feat > 4096) return llmd_fail(LLMD_ERR_RANGE, "view %s: more than 4096 features", v->name);
    llmd_status st = llmd_parquet_reader_open(&r, path, NULL);
    if (st == LLMD_OK) {
        n = wanted_columns(v, names);
        cols = llmd_calloc(n, sizeof *cols);
        if (cols == NULL) st = llmd_fail_nomem("reading a Parquet feature source");
    }
    if (st == LLMD_OK) st = check_schema(v, t, llmd_parquet_reader_schema(r), path, names, cols, n);
    if (st == LLMD_OK) st = llmd_parquet_reader_select(r, names, n);
    int groups = st == LLMD_OK ? llmd_parquet_reader_num_row_groups(r) : 0;
    for (int g = 0; g < groups && st == LLMD_OK; g++) {
        llmd_parquet_batch *b = NULL;
        if ((st = llmd_parquet_reader_read_row_group(r, g, &b)) != LLMD_OK) break;
        for (size_t i = 0; i < n; i++) cols[i].c = llmd_parquet_batch_column(b, i);
        pctx x = {v, t, path, g, 0};
        st = add_batch_rows(&x, cols, llmd_parquet_batch_rows(b));
        llmd_parquet_batch_free(b);
    }
    llmd_free(cols);
    llmd_parquet_reader_free(r);
    return st;
}

/* Files in the order rows were written: the tie rule's "later source row wins" needs a source
 * order, and a snapshot lists files by path (often random names).  modificationTime is when a
 * file was added (a commit's time when the writer gives none); equal times fall back to path. */
static int by_modification(const void *a, const void *b) {
    const llmd_delta_file *x = a, *y = b;
    if (x->modification_time != y->modification_time) return x->modification_time < y->modification_time ? -1 : 1;
    return strcmp(x->path, y->path);
}

/* Every active file of the table at the view's pinned version (or the latest).  Deletion vectors
 * would hide rows this reader cannot see: refused, never ignored. */
static llmd_status load_delta(const fview *v, ftable *t) {
    llmd_delta_table *table = NULL;
    llmd_delta_snapshot *snap = NULL;
    llmd_delta_file *files = NULL;
    llmd_status st = llmd_delta_table_open(&table, v->source_path, NULL);
    if (st == LLMD_OK) {
        if (v->delta_version >= 0) st = llmd_delta_snapshot_at_version(&snap, table, v->delta_version);
        else if (v->delta_timestamp_ms != INT64_MIN) st = llmd_delta_snapshot_at_timestamp(&snap, table, v->delta_timestamp_ms);
        else st = llmd_delta_snapshot_latest(&snap, table);
    }
    size_t n = st == LLMD_OK ? llmd_delta_snapshot_file_count(snap) : 0;
    if (st == LLMD_OK && (files = llmd_calloc(n ? n : 1, sizeof *files)) == NULL)
        st = llmd_fail_nomem("listing a Delta feature source");
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        st = llmd_delta_snapshot_file(snap, i, &files[i]);
        if (st == LLMD_OK && files[i].deletion_vector_json != NULL)
            st = llmd_fail(LLMD_ERR_UNSUPPORTED, "Delta table %s: file %s has a deletion vector (not supported for "
                           "feature sources)", v->source_path, files[i].path);
    }
    if (st == LLMD_OK) qsort(files, n, sizeof *files, by_modification);
    llmd_buf path = LLMD_BUF_INIT;
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        const llmd_delta_file *f = &files[i];
        llmd_buf_reset(&path);
        st = f->path[0] == '/' ? llmd_buf_puts(&path, f->path) : llmd_buf_printf(&path, "%s/%s", v->source_path, f->path);
        if (st == LLMD_OK) st = load_parquet_file(v, t, path.data);
    }
    if (st == LLMD_OK) t->source_version = llmd_delta_snapshot_version(snap);
    llmd_buf_free(&path);
    llmd_free(files);
    llmd_delta_snapshot_free(snap);
    llmd_delta_table_free(table);
    return st;
}

llmd_status feat_load_parquet_source(const fview *v, ftable *t) {
    return v->source_kind == FEAT_SRC_DELTA ? load_delta(v, t) : load_parquet_file(v, t, v->source_path);
}
