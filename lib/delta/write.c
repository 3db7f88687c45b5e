/* llmd_delta_write_files: a set of already-written Parquet files committed to a table as one
 * version with a txn (idempotent reruns) and commitInfo — what `llmdata pipeline --delta` uses. */
#include <stdio.h>
#include <stdlib.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"

/* The table's latest snapshot, creating version 0 (schema of `first_file`) when it has no log. */
static llmd_status open_or_create(llmd_delta_table *t, const llmd_delta_write_options *o) {
    llmd_delta_snapshot *s = NULL;
    llmd_status st = llmd_delta_snapshot_latest(&s, t);
    llmd_delta_snapshot_free(s);
    if (st != LLMD_ERR_NOT_FOUND || !o->create) return st;
    llmd_clear_error();
    char *schema = NULL;
    if ((st = llmd_delta_schema_from_parquet(o->files[0], &schema)) != LLMD_OK) return st;
    llmd_delta_create_options c = LLMD_DELTA_CREATE_OPTIONS_INIT;
    c.schema_json = schema;
    st = llmd_delta_table_create(t, &c);
    llmd_free(schema);
    if (st == LLMD_ERR_CONFLICT) {   /* another writer created it first: append to theirs */
        llmd_clear_error();
        st = LLMD_OK;
    }
    return st;
}

/* Whether app_id already holds a version >= app_version in the latest snapshot. */
static llmd_status app_done(llmd_delta_table *t, const char *app_id, int64_t app_version, bool *done,
                            int64_t *table_version) {
    llmd_delta_snapshot *s = NULL;
    llmd_status st = llmd_delta_snapshot_latest(&s, t);
    if (st != LLMD_OK) return st;
    int64_t have = -1;
    *done = app_id && llmd_delta_snapshot_app_version(s, app_id, &have) == LLMD_OK && have >= app_version;
    llmd_clear_error();
    *table_version = llmd_delta_snapshot_version(s);
    llmd_delta_snapshot_free(s);
    return LLMD_OK;
}

static llmd_status write_once(llmd_delta_table *t, const llmd_delta_write_options *o, int64_t *version) {
    llmd_delta_txn *x = NULL;
    llmd_status st = llmd_delta_txn_begin(&x, t);
    if (st == LLMD_OK && o->app_id) st = llmd_delta_txn_set_app_version(x, o->app_id, o->app_version);
    if (st == LLMD_OK) st = llmd_delta_txn_set_operation(x, o->operation ? o->operation : "WRITE", o->operation_parameters_json);
    for (size_t i = 0; st == LLMD_OK && i < o->n_files; i++) {
        llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
        a.source = o->files[i];
        st = llmd_delta_txn_append_file(x, &a, NULL);
    }
    if (st == LLMD_OK) st = llmd_delta_txn_commit(x, version);
    llmd_delta_txn_free(x);
    return st;
}

llmd_status llmd_delta_write_files(llmd_delta_table *t, const llmd_delta_write_options *o, int64_t *version,
                                   int64_t *table_version) {
    if (version) *version = -1;
    if (table_version) *table_version = -1;
    if (t == NULL || o == NULL || version == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_write_files: NULL table, options or version");
    if (o->version != LLMD_DELTA_WRITE_OPTIONS_VERSION)
        return llmd_fail(LLMD_ERR_VERSION, "llmd_delta_write_options version %u (expected %u)", o->version,
                         LLMD_DELTA_WRITE_OPTIONS_VERSION);
    if (o->n_files == 0 || o->files == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_write_files: no files");
    for (size_t i = 0; i < o->n_files; i++)
        if (o->files[i] == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_write_files: file %zu is NULL", i);
    if (o->app_id && (o->app_id[0] == '\0' || o->app_version < 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_write_files: an appId needs a non-empty name and a version >= 0");
    llmd_status st = open_or_create(t, o);
    bool done = false;
    int64_t tv = -1;
    /* checked before copying anything: a rerun leaves no orphan copies */
    if (st == LLMD_OK) st = app_done(t, o->app_id, o->app_version, &done, &tv);
    if (st == LLMD_OK && !done) {
        st = write_once(t, o, version);
        /* a concurrent writer of the same appId version wins: this run is then already in the table
         * (the copies this attempt made are unreferenced files that vacuum removes) */
        if (st == LLMD_ERR_CONFLICT && o->app_id) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", llmd_last_error());
            if (app_done(t, o->app_id, o->app_version, &done, &tv) == LLMD_OK && done) st = LLMD_OK;
            else st = llmd_fail(LLMD_ERR_CONFLICT, "%s", msg);
        }
        if (st == LLMD_OK && *version >= 0) tv = *version;
    }
    if (st == LLMD_OK && table_version) *table_version = tv;
    return st;
}
