/* Footer (FileMetaData) and PageHeader parsing, field numbers from parquet.thrift.  Fields this
 * library does not use are skipped, so files from newer writers still open. */
#include "parquet/pq_internal.h"

#include <stdlib.h>

#define TRY(x) do { llmd_status st_ = (x); if (st_) return st_; } while (0)

static llmd_status expect(tin *t, int type, int want) {
    if (type != want) return tin_fail(t, "field of an unexpected Thrift type");
    return LLMD_OK;
}

static llmd_status read_i32f(tin *t, int type, int32_t *v) {
    TRY(expect(t, type, TT_I32));
    return tin_i32(t, v);
}

static llmd_status read_i64f(tin *t, int type, int64_t *v) {
    if (type == TT_I32) {
        int32_t x;
        TRY(tin_i32(t, &x));
        *v = x;
        return LLMD_OK;
    }
    TRY(expect(t, type, TT_I64));
    return tin_i64(t, v);
}

static llmd_status read_string(tin *t, int type, char **out) {
    const uint8_t *p;
    size_t n;
    TRY(expect(t, type, TT_BINARY));
    TRY(tin_binary(t, &p, &n));
    char *s = llmd_strndup((const char *)p, n);
    if (!s) return llmd_fail_nomem("reading a Parquet footer string");
    llmd_free(*out);
    *out = s;
    return LLMD_OK;
}

/* Walks a struct, calling fn for each field; unknown ones are skipped by fn returning 1. */
typedef llmd_status (*field_fn)(tin *t, int id, int type, void *arg);

static llmd_status read_struct(tin *t, field_fn fn, void *arg) {
    TRY(tin_enter(t));
    int last = 0, id, type;
    for (;;) {
        TRY(tin_field(t, &last, &id, &type));
        if (type == TT_STOP) break;
        TRY(fn(t, id, type, arg));
    }
    tin_leave(t);
    return LLMD_OK;
}

/* ---- LogicalType ----------------------------------------------------------------------- */

static llmd_status unit_field(tin *t, int id, int type, void *arg) {
    if (type == TT_STRUCT) {
        *(int *)arg = id == 1 ? LLMD_TIME_MILLIS : id == 2 ? LLMD_TIME_MICROS
                    : id == 3 ? LLMD_TIME_NANOS : -1;
    }
    return tin_skip(t, type);
}

static llmd_status time_field(tin *t, int id, int type, void *arg) {
    pq_schema_el *e = arg;
    if (id == 1 && (type == TT_TRUE || type == TT_FALSE)) return tin_bool(t, type, &e->lt_utc);
    if (id == 2 && type == TT_STRUCT) return read_struct(t, unit_field, &e->lt_unit);
    return tin_skip(t, type);
}

static llmd_status int_field(tin *t, int id, int type, void *arg) {
    pq_schema_el *e = arg;
    if (id == 1 && type == TT_BYTE) {
        if (t->p >= t->end) return tin_fail(t, "truncated byte");
        e->lt_int_bits = (int8_t)*t->p++;
        return LLMD_OK;
    }
    if (id == 2 && (type == TT_TRUE || type == TT_FALSE)) return tin_bool(t, type, &e->lt_int_signed);
    return tin_skip(t, type);
}

static llmd_status decimal_field(tin *t, int id, int type, void *arg) {
    pq_schema_el *e = arg;
    if (id == 1) return read_i32f(t, type, &e->lt_scale);
    if (id == 2) return read_i32f(t, type, &e->lt_precision);
    return tin_skip(t, type);
}

static llmd_status logical_field(tin *t, int id, int type, void *arg) {
    pq_schema_el *e = arg;
    if (type != TT_STRUCT) return tin_skip(t, type);
    e->logical = id;
    switch (id) {
    case LT_TIME: case LT_TIMESTAMP: e->lt_unit = -1; return read_struct(t, time_field, e);
    case LT_INTEGER: return read_struct(t, int_field, e);
    case LT_DECIMAL: return read_struct(t, decimal_field, e);
    default: return tin_skip(t, type);
    }
}

static llmd_status schema_field(tin *t, int id, int type, void *arg) {
    pq_schema_el *e = arg;
    switch (id) {
    case 1: { int32_t v; TRY(read_i32f(t, type, &v)); e->type = v; return LLMD_OK; }
    case 2: return read_i32f(t, type, &e->type_length);
    case 3: { int32_t v; TRY(read_i32f(t, type, &v)); e->repetition = v; return LLMD_OK; }
    case 4: return read_string(t, type, &e->name);
    case 5: return read_i32f(t, type, &e->num_children);
    case 6: { int32_t v; TRY(read_i32f(t, type, &v)); e->converted = v; return LLMD_OK; }
    case 7: return read_i32f(t, type, &e->scale);
    case 8: return read_i32f(t, type, &e->precision);
    case 10: if (type == TT_STRUCT) return read_struct(t, logical_field, e); break;
    }
    return tin_skip(t, type);
}

/* ---- statistics, column chunks, row groups ------------------------------------------------ */

static llmd_status read_bin(tin *t, int type, const uint8_t **p, size_t *n) {
    TRY(expect(t, type, TT_BINARY));
    return tin_binary(t, p, n);
}

static llmd_status stats_field(tin *t, int id, int type, void *arg) {
    pq_stats *s = arg;
    switch (id) {
    case 1: return read_bin(t, type, &s->old_max, &s->old_max_len);
    case 2: return read_bin(t, type, &s->old_min, &s->old_min_len);
    case 3: return read_i64f(t, type, &s->null_count);
    case 5: return read_bin(t, type, &s->max, &s->max_len);
    case 6: return read_bin(t, type, &s->min, &s->min_len);
    }
    return tin_skip(t, type);
}

static llmd_status colmeta_field(tin *t, int id, int type, void *arg) {
    pq_chunk *c = arg;
    switch (id) {
    case 1: { int32_t v; TRY(read_i32f(t, type, &v)); c->type = v; return LLMD_OK; }
    case 2: {
        int et;
        size_t n;
        TRY(expect(t, type, TT_LIST));
        TRY(tin_list(t, &et, &n));
        for (size_t i = 0; i < n; i++) {
            int32_t v;
            TRY(tin_i32(t, &v));
            if (v >= 0 && v < 32) c->encodings |= 1u << v;
        }
        return LLMD_OK;
    }
    case 3: {
        int et;
        size_t n;
        TRY(expect(t, type, TT_LIST));
        TRY(tin_list(t, &et, &n));
        c->n_path = (int)n;
        for (size_t i = 0; i < n; i++) TRY(tin_skip(t, et));
        return LLMD_OK;
    }
    case 4: { int32_t v; TRY(read_i32f(t, type, &v)); c->codec = v; return LLMD_OK; }
    case 5: return read_i64f(t, type, &c->num_values);
    case 6: return read_i64f(t, type, &c->total_uncompressed);
    case 7: return read_i64f(t, type, &c->total_compressed);
    case 9: return read_i64f(t, type, &c->data_page_offset);
    case 11: return read_i64f(t, type, &c->dictionary_page_offset);
    case 12:
        if (type != TT_STRUCT) break;
        c->has_stats = 1;
        return read_struct(t, stats_field, &c->stats);
    }
    return tin_skip(t, type);
}

typedef struct chunk_ctx {
    pq_chunk *c;
    int has_meta;
    int external;
} chunk_ctx;

static llmd_status chunk_field(tin *t, int id, int type, void *arg) {
    chunk_ctx *cc = arg;
    if (id == 1 && type == TT_BINARY) {
        const uint8_t *p;
        size_t n;
        TRY(tin_binary(t, &p, &n));
        cc->external = 1;
        return LLMD_OK;
    }
    if (id == 3 && type == TT_STRUCT) {
        cc->has_meta = 1;
        return read_struct(t, colmeta_field, cc->c);
    }
    if (id == 8 || id == 9) return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: encrypted column chunks are not supported");
    return tin_skip(t, type);
}

static llmd_status rowgroup_field(tin *t, int id, int type, void *arg) {
    pq_row_group *g = arg;
    if (id == 1 && type == TT_LIST) {
        int et;
        size_t n;
        TRY(tin_list(t, &et, &n));
        if (et != TT_STRUCT && n) return tin_fail(t, "row group columns are not structs");
        if (g->chunks) return tin_fail(t, "row group lists its columns twice");
        g->chunks = llmd_calloc(n ? n : 1, sizeof *g->chunks);
        if (!g->chunks) return llmd_fail_nomem("reading a Parquet footer");
        g->n_chunks = n;
        for (size_t i = 0; i < n; i++) {
            pq_chunk *c = &g->chunks[i];
            c->data_page_offset = c->dictionary_page_offset = -1;
            c->stats.null_count = -1;
            c->type = -1;
            chunk_ctx cc = {c, 0, 0};
            TRY(read_struct(t, chunk_field, &cc));
            if (cc.external)
                return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: column chunks in other files (file_path) are not supported");
            if (!cc.has_meta) return tin_fail(t, "column chunk without meta_data");
        }
        return LLMD_OK;
    }
    if (id == 3) return read_i64f(t, type, &g->num_rows);
    if (id == 2) return read_i64f(t, type, &g->total_byte_size);
    return tin_skip(t, type);
}

static llmd_status kv_field(tin *t, int id, int type, void *arg) {
    pq_kv *kv = arg;
    if (id == 1) return read_string(t, type, &kv->key);
    if (id == 2) return read_string(t, type, &kv->value);
    return tin_skip(t, type);
}

static llmd_status footer_field(tin *t, int id, int type, void *arg) {
    pq_footer *f = arg;
    int et;
    size_t n;
    switch (id) {
    case 1: return read_i32f(t, type, &f->version);
    case 2:
        TRY(expect(t, type, TT_LIST));
        TRY(tin_list(t, &et, &n));
        if (et != TT_STRUCT && n) return tin_fail(t, "schema elements are not structs");
        if (f->schema) return tin_fail(t, "schema given twice");
        f->schema = llmd_calloc(n ? n : 1, sizeof *f->schema);
        if (!f->schema) return llmd_fail_nomem("reading a Parquet schema");
        f->n_schema = n;
        for (size_t i = 0; i < n; i++) {
            pq_schema_el *e = &f->schema[i];
            e->type = -1;
            e->repetition = -1;
            e->converted = -1;
            TRY(read_struct(t, schema_field, e));
        }
        return LLMD_OK;
    case 3: return read_i64f(t, type, &f->num_rows);
    case 4:
        TRY(expect(t, type, TT_LIST));
        TRY(tin_list(t, &et, &n));
        if (et != TT_STRUCT && n) return tin_fail(t, "row groups are not structs");
        if (f->groups) return tin_fail(t, "row groups given twice");
        f->groups = llmd_calloc(n ? n : 1, sizeof *f->groups);
        if (!f->groups) return llmd_fail_nomem("reading Parquet row groups");
        for (size_t i = 0; i < n; i++) {
            f->n_groups = i + 1;
            TRY(read_struct(t, rowgroup_field, &f->groups[i]));
        }
        return LLMD_OK;
    case 5:
        TRY(expect(t, type, TT_LIST));
        TRY(tin_list(t, &et, &n));
        if (et != TT_STRUCT && n) return tin_fail(t, "key/value metadata are not structs");
        if (f->kv) return tin_fail(t, "key/value metadata given twice");
        f->kv = llmd_calloc(n ? n : 1, sizeof *f->kv);
        if (!f->kv) return llmd_fail_nomem("reading Parquet metadata");
        for (size_t i = 0; i < n; i++) {
            f->n_kv = i + 1;
            TRY(read_struct(t, kv_field, &f->kv[i]));
            if (!f->kv[i].key) return tin_fail(t, "key/value without a key");
        }
        return LLMD_OK;
    case 6: return read_string(t, type, &f->created_by);
    case 7: f->column_orders_present = 1; return tin_skip(t, type);
    case 8: f->encrypted = 1; return tin_skip(t, type);
    }
    return tin_skip(t, type);
}

llmd_status pq_footer_parse(pq_footer *f, const uint8_t *buf, size_t n, uint64_t file_off) {
    memset(f, 0, sizeof *f);
    tin t = {buf, buf + n, buf, 0, "footer", file_off};
    TRY(read_struct(&t, footer_field, f));
    if (f->encrypted) return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: encrypted files are not supported");
    if (!f->n_schema) return llmd_fail(LLMD_ERR_PARSE, "parquet: footer has no schema");
    return LLMD_OK;
}

void pq_footer_free(pq_footer *f) {
    if (!f) return;
    for (size_t i = 0; i < f->n_schema; i++) llmd_free(f->schema[i].name);
    llmd_free(f->schema);
    for (size_t i = 0; i < f->n_groups; i++) llmd_free(f->groups[i].chunks);
    llmd_free(f->groups);
    for (size_t i = 0; i < f->n_kv; i++) {
        llmd_free(f->kv[i].key);
        llmd_free(f->kv[i].value);
    }
    llmd_free(f->kv);
    llmd_free(f->created_by);
    memset(f, 0, sizeof *f);
}

/* ---- page headers ------------------------------------------------------------------------- */

static llmd_status dph_field(tin *t, int id, int type, void *arg) {
    pq_page_header *h = arg;
    int32_t v;
    switch (id) {
    case 1: return read_i32f(t, type, &h->num_values);
    case 2: TRY(read_i32f(t, type, &v)); h->encoding = v; return LLMD_OK;
    case 3: TRY(read_i32f(t, type, &v)); h->def_encoding = v; return LLMD_OK;
    case 4: TRY(read_i32f(t, type, &v)); h->rep_encoding = v; return LLMD_OK;
    }
    return tin_skip(t, type);
}

static llmd_status dict_field(tin *t, int id, int type, void *arg) {
    pq_page_header *h = arg;
    int32_t v;
    if (id == 1) return read_i32f(t, type, &h->num_values);
    if (id == 2) { TRY(read_i32f(t, type, &v)); h->encoding = v; return LLMD_OK; }
    return tin_skip(t, type);
}

static llmd_status v2_field(tin *t, int id, int type, void *arg) {
    pq_page_header *h = arg;
    int32_t v;
    switch (id) {
    case 1: return read_i32f(t, type, &h->num_values);
    case 2: return read_i32f(t, type, &h->num_nulls);
    case 3: return read_i32f(t, type, &h->num_rows);
    case 4: TRY(read_i32f(t, type, &v)); h->encoding = v; return LLMD_OK;
    case 5: return read_i32f(t, type, &h->def_bytes);
    case 6: return read_i32f(t, type, &h->rep_bytes);
    case 7: if (type == TT_TRUE || type == TT_FALSE) return tin_bool(t, type, &h->is_compressed); break;
    }
    return tin_skip(t, type);
}

static llmd_status page_field(tin *t, int id, int type, void *arg) {
    pq_page_header *h = arg;
    int32_t v;
    switch (id) {
    case 1: TRY(read_i32f(t, type, &v)); h->type = v; return LLMD_OK;
    case 2: return read_i32f(t, type, &h->uncompressed);
    case 3: return read_i32f(t, type, &h->compressed);
    case 5: if (type != TT_STRUCT) break; h->has_data = 1; return read_struct(t, dph_field, h);
    case 7: if (type != TT_STRUCT) break; h->has_dict = 1; return read_struct(t, dict_field, h);
    case 8: if (type != TT_STRUCT) break; h->has_v2 = 1; return read_struct(t, v2_field, h);
    }
    return tin_skip(t, type);
}

llmd_status pq_page_header_parse(pq_page_header *h, tin *t) {
    memset(h, 0, sizeof *h);
    h->type = -1;
    h->uncompressed = h->compressed = -1;
    h->is_compressed = 1;
    h->def_encoding = h->rep_encoding = PQ_ENC_RLE;
    TRY(read_struct(t, page_field, h));
    if (h->uncompressed < 0 || h->compressed < 0) return tin_fail(t, "page header without sizes");
    if (h->num_values < 0 || h->num_nulls < 0 || h->def_bytes < 0 || h->rep_bytes < 0)
        return tin_fail(t, "negative count in a page header");
    return LLMD_OK;
}
