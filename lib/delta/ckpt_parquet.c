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

static llmd_status checkpoint_schema(llmd_schema **out) {
    llmd_schema *s = NULL;
    llmd_status st = llmd_schema_new(&s);
    int txn, add, rem, md, fmt, proto, dom, x;
    if (st != LLMD_OK) return st;
#define F(parent, name, type) if (st == LLMD_OK) st = add_field(s, parent, name, type, &x)
    if (st == LLMD_OK) st = add_field(s, 0, "txn", LLMD_TYPE_STRUCT, &txn);
    F(txn, "appId", LLMD_TYPE_STRING); F(txn, "version", LLMD_TYPE_INT64); F(txn, "lastUpdated", LLMD_TYPE_INT64);
    if (st == LLMD_OK) st = add_field(s, 0, "add", LLMD_TYPE_STRUCT, &add);
    F(add, "path", LLMD_TYPE_STRING);
    if (st == LLMD_OK) st = add_string_map(s, add, "partitionValues");
    F(add, "size", LLMD_TYPE_INT64); F(add, "modificationTime", LLMD_TYPE_INT64); F(add, "dataChange", LLMD_TYPE_BOOL);
    if (st == LLMD_OK) st = add_string_map(s, add, "tags");
    if (st == LLMD_OK) st = add_dv(s, add);
    F(add, "baseRowId", LLMD_TYPE_INT64); F(add, "defaultRowCommitVersion", LLMD_TYPE_INT64);
    F(add, "stats", LLMD_TYPE_STRING);
    if (st == LLMD_OK) st = add_field(s, 0, "remove", LLMD_TYPE_STRUCT, &rem);
    F(rem, "path", LLMD_TYPE_STRING); F(rem, "deletionTimestamp", LLMD_TYPE_INT64); F(rem, "dataChange", LLMD_TYPE_BOOL);
    F(rem, "extendedFileMetadata", LLMD_TYPE_BOOL);
    if (st == LLMD_OK) st = add_string_map(s, rem, "partitionValues");
    F(rem, "size", LLMD_TYPE_INT64);
    if (st == LLMD_OK) st = add_dv(s, rem);
    F(rem, "baseRowId", LLMD_TYPE_INT64); F(rem, "defaultRowCommitVersion", LLMD_TYPE_INT64);
    if (st == LLMD_OK) st = add_field(s, 0, "metaData", LLMD_TYPE_STRUCT, &md);
    F(md, "id", LLMD_TYPE_STRING); F(md, "name", LLMD_TYPE_STRING); F(md, "description", LLMD_TYPE_STRING);
    if (st == LLMD_OK) st = add_field(s, md, "format", LLMD_TYPE_STRUCT, &fmt);
    F(fmt, "provider", LLMD_TYPE_STRING);
    if (st == LLMD_OK) st = add_string_map(s, fmt, "options");
    F(md, "schemaString", LLMD_TYPE_STRING);
    if (st == LLMD_OK) st = add_string_list(s, md, "partitionColumns");
    if (st == LLMD_OK) st = add_string_map(s, md, "configuration");
    F(md, "createdTime", LLMD_TYPE_INT64);
    if (st == LLMD_OK) st = add_field(s, 0, "protocol", LLMD_TYPE_STRUCT, &proto);
    F(proto, "minReaderVersion", LLMD_TYPE_INT32); F(proto, "minWriterVersion", LLMD_TYPE_INT32);
    if (st == LLMD_OK) st = add_string_list(s, proto, "readerFeatures");
    if (st == LLMD_OK) st = add_string_list(s, proto, "writerFeatures");
    if (st == LLMD_OK) st = add_field(s, 0, "domainMetadata", LLMD_TYPE_STRUCT, &dom);
    F(dom, "domain", LLMD_TYPE_STRING); F(dom, "configuration", LLMD_TYPE_STRING); F(dom, "removed", LLMD_TYPE_BOOL);
#undef F
    if (st != LLMD_OK) { llmd_schema_free(s); return st; }
    *out = s;
    return LLMD_OK;
}

/* ---- writing ------------------------------------------------------------------------------------------------ */
typedef struct ckpt_rows {
    const llmd_schema *schema;
    dl_colb cols[6];   /* txn, add, remove, metaData, protocol, domainMetadata */
    int64_t rows, adds;
} ckpt_rows;

static llmd_status add_row(ckpt_rows *r, int which, const cJSON *body) {
    for (int k = 0; k < 6; k++) {
        llmd_status st = dl_colb_append(&r->cols[k], k == which ? body : NULL);
        if (st != LLMD_OK) return st;
    }
    r->rows++;
    return LLMD_OK;
}

llmd_status dl_write_classic_checkpoint(llmd_delta_table *t, const llmd_delta_snapshot *s, int64_t tombstone_cutoff) {
    llmd_schema *schema = NULL;
    llmd_status st = checkpoint_schema(&schema);
    if (st != LLMD_OK) return st;
    ckpt_rows r = {.schema = schema};
    for (int k = 0; k < 6 && st == LLMD_OK; k++) st = dl_colb_init(&r.cols[k], schema, llmd_schema_child(schema, 0, k));
    if (st == LLMD_OK) st = add_row(&r, 4, s->state.protocol);
    if (st == LLMD_OK) st = add_row(&r, 3, s->state.metadata);
    for (size_t i = 0; st == LLMD_OK && i < s->state.txns.cap; i++) {
        if (!s->state.txns.slots[i].key) continue;
        const dl_txn_entry *e = s->state.txns.slots[i].val;
        cJSON *tx = cJSON_CreateObject();
        bool ok = tx && cJSON_AddStringToObject(tx, "appId", s->state.txns.slots[i].key) &&
                  cJSON_AddNumberToObject(tx, "version", (double)e->version) &&
                  (e->last_updated < 0 || cJSON_AddNumberToObject(tx, "lastUpdated", (double)e->last_updated));
        st = ok ? add_row(&r, 0, tx) : llmd_fail_nomem("building a checkpoint");
        cJSON_Delete(tx);
    }
    for (size_t i = 0; st == LLMD_OK && i < s->state.domains.cap; i++)
        if (s->state.domains.slots[i].key) st = add_row(&r, 5, s->state.domains.slots[i].val);
    for (size_t i = 0; st == LLMD_OK && i < s->n_files; i++) {
        cJSON *a = cJSON_Duplicate(s->file_src[i]->action, true);
        if (a == NULL) { st = llmd_fail_nomem("building a checkpoint"); break; }
        cJSON_ReplaceItemInObjectCaseSensitive(a, "dataChange", cJSON_CreateFalse());
        st = add_row(&r, 1, a);
        cJSON_Delete(a);
        r.adds++;
    }
    for (size_t i = 0; st == LLMD_OK && i < s->state.tombstones.cap; i++) {
        if (!s->state.tombstones.slots[i].key) continue;
        const dl_file *f = s->state.tombstones.slots[i].val;
        int64_t del = 0;
        if (dl_get_i64(f->action, "deletionTimestamp", &del) && del < tombstone_cutoff) continue;   /* expired */
        cJSON *a = cJSON_Duplicate(f->action, true);
        if (a == NULL) { st = llmd_fail_nomem("building a checkpoint"); break; }
        cJSON_ReplaceItemInObjectCaseSensitive(a, "dataChange", cJSON_CreateFalse());
        st = add_row(&r, 2, a);
        cJSON_Delete(a);
    }
    llmd_column cols[6];
    for (int k = 0; k < 6 && st == LLMD_OK; k++) st = dl_colb_build(&r.cols[k], &cols[k]);
    char path[4200];
    snprintf(path, sizeof path, "%s/%020lld.checkpoint.parquet", t->log_dir, (long long)s->version);
    llmd_parquet_writer *w = NULL;
    llmd_parquet_write_options wo = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    wo.codec = LLMD_PARQUET_SNAPPY;   /* what Spark and delta-rs write and every reader decodes */
    if (st == LLMD_OK) st = llmd_parquet_writer_open(&w, path, schema, &wo);
    if (st == LLMD_OK) st = llmd_parquet_writer_write(w, cols, 6);
    if (st == LLMD_OK) st = llmd_parquet_writer_finish(w);
    llmd_parquet_writer_free(w);
    for (int k = 0; k < 6; k++) dl_colb_free(&r.cols[k]);
    llmd_schema_free(schema);
    if (st != LLMD_OK) return llmd_error_prefix("writing checkpoint %s", path);
    struct stat sb;
    int64_t size = stat(path, &sb) == 0 ? (int64_t)sb.st_size : 0;
    char lc[256];
    int n = snprintf(lc, sizeof lc, "{\"version\":%lld,\"size\":%lld,\"sizeInBytes\":%lld,\"numOfAddFiles\":%lld}",
                     (long long)s->version, (long long)r.rows, (long long)size, (long long)r.adds);
    snprintf(path, sizeof path, "%s/_last_checkpoint", t->log_dir);
    return llmd_write_file_atomic(path, lc, (size_t)n);
}
