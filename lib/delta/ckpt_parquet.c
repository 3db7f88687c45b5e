/* Classic checkpoints: `v.checkpoint.parquet` with the schema PROTOCOL.md lists (one column per
 * action type — txn, add, remove, metaData, protocol, domainMetadata — one action per row), built
 * from the replayed state through a small JSON -> Arrow-layout column builder. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"
#include "delta/values.h"

/* ---- the checkpoint schema -------------------------------------------------------------------------- */
static llmd_status add_field(llmd_schema *s, int parent, const char *name, llmd_type_id t, int *id) {
    llmd_type ty = {t, 0, 0, 0, 0, 0};
    return llmd_schema_add(s, parent, name, &ty, 1, id);
}

static llmd_status add_string_map(llmd_schema *s, int parent, const char *name) {
    int m, k, v;
    llmd_status st = add_field(s, parent, name, LLMD_TYPE_MAP, &m);
    llmd_type ks = {LLMD_TYPE_STRING, 0, 0, 0, 0, 0};
    if (st == LLMD_OK) st = llmd_schema_add(s, m, "key", &ks, 0, &k);
    if (st == LLMD_OK) st = add_field(s, m, "value", LLMD_TYPE_STRING, &v);
    return st;
}

static llmd_status add_string_list(llmd_schema *s, int parent, const char *name) {
    int l, e;
    llmd_status st = add_field(s, parent, name, LLMD_TYPE_LIST, &l);
    if (st == LLMD_OK) st = add_field(s, l, "element", LLMD_TYPE_STRING, &e);
    return st;
}

static llmd_status add_dv(llmd_schema *s, int parent) {
    int dv, x;
    llmd_status st = add_field(s, parent, "deletionVector", LLMD_TYPE_STRUCT, &dv);
    if (st == LLMD_OK) st = add_field(s, dv, "storageType", LLMD_TYPE_STRING, &x);
    if (st == LLMD_OK) st = add_field(s, dv, "pathOrInlineDv", LLMD_TYPE_STRING, &x);
    if (st == LLMD_OK) st = add_field(s, dv, "offset", LLMD_TYPE_INT32, &x);
    if (st == LLMD_OK) st = add_field(s, dv, "sizeInBytes", LLMD_TYPE_INT32, &x);
    if (st == LLMD_OK) st = add_field(s, dv, "cardinality", LLMD_TYPE_INT64, &x);
    if (st == LLMD_OK) st = add_field(s, dv, "maxRowIndex", LLMD_TYPE_INT64, &x);
    return st;
}

static llmd_status add_checkpoint_column(llmd_schema *s, int which) {
    int c, x;
    llmd_status st = LLMD_OK;
#define F(parent, name, type) if (st == LLMD_OK) st = add_field(s, parent, name, type, &x)
    switch (which) {
    case DL_CK_TXN:
        st = add_field(s, 0, "txn", LLMD_TYPE_STRUCT, &c);
        F(c, "appId", LLMD_TYPE_STRING); F(c, "version", LLMD_TYPE_INT64); F(c, "lastUpdated", LLMD_TYPE_INT64);
        break;
    case DL_CK_ADD:
        st = add_field(s, 0, "add", LLMD_TYPE_STRUCT, &c);
        F(c, "path", LLMD_TYPE_STRING);
        if (st == LLMD_OK) st = add_string_map(s, c, "partitionValues");
        F(c, "size", LLMD_TYPE_INT64); F(c, "modificationTime", LLMD_TYPE_INT64); F(c, "dataChange", LLMD_TYPE_BOOL);
        if (st == LLMD_OK) st = add_string_map(s, c, "tags");
        if (st == LLMD_OK) st = add_dv(s, c);
        F(c, "baseRowId", LLMD_TYPE_INT64); F(c, "defaultRowCommitVersion", LLMD_TYPE_INT64);
        F(c, "stats", LLMD_TYPE_STRING);
        break;
    case DL_CK_REMOVE:   /* no tags/stats: checkpoint tombstones only serve VACUUM (PROTOCOL.md) */
        st = add_field(s, 0, "remove", LLMD_TYPE_STRUCT, &c);
        F(c, "path", LLMD_TYPE_STRING); F(c, "deletionTimestamp", LLMD_TYPE_INT64); F(c, "dataChange", LLMD_TYPE_BOOL);
        F(c, "extendedFileMetadata", LLMD_TYPE_BOOL);
        if (st == LLMD_OK) st = add_string_map(s, c, "partitionValues");
        F(c, "size", LLMD_TYPE_INT64);
        if (st == LLMD_OK) st = add_dv(s, c);
        F(c, "baseRowId", LLMD_TYPE_INT64); F(c, "defaultRowCommitVersion", LLMD_TYPE_INT64);
        break;
    case DL_CK_METADATA: {
        int fmt;
        st = add_field(s, 0, "metaData", LLMD_TYPE_STRUCT, &c);
        F(c, "id", LLMD_TYPE_STRING); F(c, "name", LLMD_TYPE_STRING); F(c, "description", LLMD_TYPE_STRING);
        if (st == LLMD_OK) st = add_field(s, c, "format", LLMD_TYPE_STRUCT, &fmt);
        F(fmt, "provider", LLMD_TYPE_STRING);
        if (st == LLMD_OK) st = add_string_map(s, fmt, "options");
        F(c, "schemaString", LLMD_TYPE_STRING);
        if (st == LLMD_OK) st = add_string_list(s, c, "partitionColumns");
        if (st == LLMD_OK) st = add_string_map(s, c, "configuration");
        F(c, "createdTime", LLMD_TYPE_INT64);
        break;
    }
    case DL_CK_PROTOCOL:
        st = add_field(s, 0, "protocol", LLMD_TYPE_STRUCT, &c);
        F(c, "minReaderVersion", LLMD_TYPE_INT32); F(c, "minWriterVersion", LLMD_TYPE_INT32);
        if (st == LLMD_OK) st = add_string_list(s, c, "readerFeatures");
        if (st == LLMD_OK) st = add_string_list(s, c, "writerFeatures");
        break;
    case DL_CK_DOMAIN:
        st = add_field(s, 0, "domainMetadata", LLMD_TYPE_STRUCT, &c);
        F(c, "domain", LLMD_TYPE_STRING); F(c, "configuration", LLMD_TYPE_STRING); F(c, "removed", LLMD_TYPE_BOOL);
        break;
    case DL_CK_CKPT_META:
        st = add_field(s, 0, "checkpointMetadata", LLMD_TYPE_STRUCT, &c);
        F(c, "version", LLMD_TYPE_INT64);
        if (st == LLMD_OK) st = add_string_map(s, c, "tags");
        break;
    case DL_CK_SIDECAR:
        st = add_field(s, 0, "sidecar", LLMD_TYPE_STRUCT, &c);
        F(c, "path", LLMD_TYPE_STRING); F(c, "sizeInBytes", LLMD_TYPE_INT64); F(c, "modificationTime", LLMD_TYPE_INT64);
        if (st == LLMD_OK) st = add_string_map(s, c, "tags");
        break;
    default:
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "unknown checkpoint column %d", which);
    }
#undef F
    return st;
}

/* The columns of `mask` (bit DL_CK_x), in the order of the DL_CK_ enum: Spark's order for classic
 * checkpoints (txn, add, remove, metaData, protocol, domainMetadata), V2 ones add
 * checkpointMetadata and sidecar, sidecar files hold add and remove only. */
static llmd_status checkpoint_schema(unsigned mask, llmd_schema **out, int *col_of) {
    llmd_schema *s = NULL;
    llmd_status st = llmd_schema_new(&s);
    int n = 0;
    for (int k = 0; st == LLMD_OK && k < DL_CK_NCOLS; k++) {
        col_of[k] = -1;
        if (mask & (1u << k)) { st = add_checkpoint_column(s, k); col_of[k] = n++; }
    }
    if (st != LLMD_OK) { llmd_schema_free(s); return st; }
    *out = s;
    return LLMD_OK;
}

/* ---- writing ------------------------------------------------------------------------------------------------ */
llmd_status dl_write_checkpoint_parquet(const char *path, unsigned mask, const dl_ckpt_row *rows, size_t n,
                                        int part, int64_t *rows_written) {
    llmd_schema *schema = NULL;
    int col_of[DL_CK_NCOLS];
    llmd_status st = checkpoint_schema(mask, &schema, col_of);
    if (st != LLMD_OK) return st;
    int ncols = llmd_schema_child_count(schema, 0);
    dl_colb cols[DL_CK_NCOLS];
    memset(cols, 0, sizeof cols);
    for (int k = 0; k < ncols && st == LLMD_OK; k++) st = dl_colb_init(&cols[k], schema, llmd_schema_child(schema, 0, k));
    int64_t written = 0;
    for (size_t i = 0; st == LLMD_OK && i < n; i++) {
        if ((part >= 0 && rows[i].part != part) || col_of[rows[i].col] < 0) continue;
        for (int k = 0; k < ncols && st == LLMD_OK; k++)
            st = dl_colb_append(&cols[k], k == col_of[rows[i].col] ? rows[i].body : NULL);
        written++;
    }
    llmd_column built[DL_CK_NCOLS];
    for (int k = 0; k < ncols && st == LLMD_OK; k++) st = dl_colb_build(&cols[k], &built[k]);
    llmd_parquet_writer *w = NULL;
    llmd_parquet_write_options wo = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    wo.codec = LLMD_PARQUET_SNAPPY;   /* what Spark and delta-rs write and every reader decodes */
    if (st == LLMD_OK) st = llmd_parquet_writer_open(&w, path, schema, &wo);
    if (st == LLMD_OK && written > 0) st = llmd_parquet_writer_write(w, built, (size_t)ncols);
    if (st == LLMD_OK) st = llmd_parquet_writer_finish(w);
    llmd_parquet_writer_free(w);
    for (int k = 0; k < ncols; k++) dl_colb_free(&cols[k]);
    llmd_schema_free(schema);
    if (st != LLMD_OK) return llmd_error_prefix("writing checkpoint %s", path);
    if (rows_written) *rows_written = written;
    return LLMD_OK;
}
