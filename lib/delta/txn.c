/* Delta writes: table creation, transactions with optimistic concurrency, restore, vacuum. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"
#include "delta/values.h"

#define ENGINE_INFO "libllmdata/" LLMD_VERSION_STRING

struct llmd_delta_txn {
    llmd_delta_table *table;
    llmd_delta_snapshot *snap;   /* what the transaction read */
    cJSON *adds, *removes;       /* arrays of action bodies */
    dl_map removed;              /* keys this transaction removes */
    bool read_whole_table;       /* removes/overwrite/restore depend on the files they saw */
    cJSON *new_metadata;         /* NULL unless changed */
    cJSON *new_protocol;         /* NULL unless changed */
    char *app_id;
    int64_t app_version;
    char *operation;
    cJSON *op_params;
    bool finished;
};

/* ---- helpers --------------------------------------------------------------------------------------- */
void dl_random_uuid(char out[37]) {
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0) close(fd);
    if (got != (ssize_t)sizeof b) {
        /* no /dev/urandom: time, pid and address bits still make a collision unlikely */
        uint64_t st = (uint64_t)dl_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)out;
        for (int i = 0; i < 16; i += 8) llmd_store_le64(b + i, llmd_splitmix64(&st));
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
             b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* cJSON_AddItemToObject leaves `item` with the caller when it fails (its key copy ran out of memory):
 * this takes it over either way. */
static bool add_owned(cJSON *obj, const char *key, cJSON *item) {
    if (item != NULL && obj != NULL && cJSON_AddItemToObject(obj, key, item)) return true;
    cJSON_Delete(item);
    return false;
}

/* Sets obj[key] = item (taken over), replacing the value in place or adding the key. */
static bool set_owned(cJSON *obj, const char *key, cJSON *item) {
    if (item == NULL || obj == NULL) { cJSON_Delete(item); return false; }
    if (cJSON_GetObjectItemCaseSensitive(obj, key) == NULL) return add_owned(obj, key, item);
    if (cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) return true;
    cJSON_Delete(item);
    return false;
}

static llmd_status mkdir_p(const char *path) {
    char *p = llmd_strdup(path);
    if (p == NULL) return llmd_fail_nomem("creating directories");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                llmd_status st = llmd_fail(LLMD_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
                llmd_free(p);
                return st;
            }
            *s = c;
            if (c == '\0') break;
        }
    }
    llmd_free(p);
    return LLMD_OK;
}

static llmd_status commit_path(const llmd_delta_table *t, int64_t version, char *out, size_t n) {
    if ((size_t)snprintf(out, n, "%s/%020lld.json", t->log_dir, (long long)version) >= n)
        return llmd_fail(LLMD_ERR_RANGE, "path too long: %s", t->log_dir);
    return LLMD_OK;
}

static bool add_line(llmd_buf *b, const char *action, const cJSON *body) {
    char *p = cJSON_PrintUnformatted(body);
    if (p == NULL) return false;
    bool ok = llmd_buf_printf(b, "{\"%s\":%s}\n", action, p) == LLMD_OK;
    cJSON_free(p);
    return ok;
}

static const char *config_of(const cJSON *metadata, const char *key) {
    return dl_get_str(cJSON_GetObjectItemCaseSensitive(metadata, "configuration"), key);
}

static cJSON *commit_info(const char *operation, const cJSON *params, int64_t read_version, bool blind,
                          bool ict, int64_t ict_value, int64_t now) {
    char uuid[37];
    dl_random_uuid(uuid);
    cJSON *ci = cJSON_CreateObject();
    bool ok = ci != NULL;
    /* with inCommitTimestamp on, the protocol requires it to be the first field's value source:
     * commitInfo is the first action and carries inCommitTimestamp */
    if (ok && ict) ok = cJSON_AddNumberToObject(ci, "inCommitTimestamp", (double)ict_value) != NULL;
    ok = ok && cJSON_AddNumberToObject(ci, "timestamp", (double)now);
    ok = ok && cJSON_AddStringToObject(ci, "operation", operation);
    ok = ok && add_owned(ci, "operationParameters", params ? cJSON_Duplicate(params, true) : cJSON_CreateObject());
    if (ok && read_version >= 0) ok = cJSON_AddNumberToObject(ci, "readVersion", (double)read_version) != NULL;
    ok = ok && cJSON_AddStringToObject(ci, "isolationLevel", "WriteSerializable");
    ok = ok && cJSON_AddBoolToObject(ci, "isBlindAppend", blind);
    ok = ok && cJSON_AddStringToObject(ci, "engineInfo", ENGINE_INFO);
    ok = ok && cJSON_AddStringToObject(ci, "txnId", uuid);
    if (!ok) { cJSON_Delete(ci); return NULL; }
    return ci;
}

/* ---- create ------------------------------------------------------------------------------------------ */
static const size_t create_sizes[] = {sizeof(llmd_delta_create_options)};

llmd_status llmd_delta_table_create(llmd_delta_table *t, const llmd_delta_create_options *opts_in) {
    if (t == NULL || opts_in == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_table_create: NULL argument");
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts_in, create_sizes, LLMD_DELTA_CREATE_OPTIONS_VERSION,
                                       "llmd_delta_create_options");
    if (st != LLMD_OK) return st;
    if (o.schema_json == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_table_create: no schema");
    cJSON *schema = NULL;
    if ((st = dl_schema_parse(o.schema_json, &schema)) != LLMD_OK) return st;
    cJSON *parts = cJSON_CreateArray(), *conf = cJSON_CreateObject(), *md = cJSON_CreateObject(),
          *proto = cJSON_CreateObject(), *ci = NULL;
    llmd_buf b = LLMD_BUF_INIT;
    bool ok = parts && conf && md && proto;
    for (size_t i = 0; ok && i < o.n_partition_columns; i++) {
        if (o.partition_columns[i] == NULL) { st = llmd_fail(LLMD_ERR_INVALID_ARG, "partition column %zu is NULL", i); goto done; }
        ok = cJSON_AddItemToArray(parts, cJSON_CreateString(o.partition_columns[i]));
    }
    if (!ok) { st = llmd_fail_nomem("creating a Delta table"); goto done; }
    if ((st = dl_schema_check_partitions(schema, parts)) != LLMD_OK) goto done;
    bool append_only = false, v2_checkpoints = false;
    for (size_t i = 0; ok && i < o.n_config; i++) {
        if (!o.config_keys[i] || !o.config_values[i]) { st = llmd_fail(LLMD_ERR_INVALID_ARG, "table property %zu is NULL", i); goto done; }
        if (strcmp(o.config_keys[i], "delta.appendOnly") == 0) append_only = strcmp(o.config_values[i], "true") == 0;
        if (strcmp(o.config_keys[i], "delta.checkpointPolicy") == 0) {
            v2_checkpoints = strcmp(o.config_values[i], "v2") == 0;
            if (!v2_checkpoints && strcmp(o.config_values[i], "classic") != 0) {
                st = llmd_fail(LLMD_ERR_INVALID_ARG, "delta.checkpointPolicy must be classic or v2, not '%s'", o.config_values[i]);
                goto done;
            }
        }
        cJSON_DeleteItemFromObjectCaseSensitive(conf, o.config_keys[i]);
        ok = cJSON_AddStringToObject(conf, o.config_keys[i], o.config_values[i]) != NULL;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(conf, "delta.enableInCommitTimestamps");
    ok = ok && cJSON_AddStringToObject(conf, "delta.enableInCommitTimestamps", "true");
    char uuid[37];
    dl_random_uuid(uuid);
    int64_t now = dl_now_ms();
    char *schema_str = dl_print(schema);
    ok = ok && schema_str;
    ok = ok && cJSON_AddStringToObject(md, "id", uuid);
    if (ok && o.name) ok = cJSON_AddStringToObject(md, "name", o.name) != NULL;
    if (ok && o.description) ok = cJSON_AddStringToObject(md, "description", o.description) != NULL;
    cJSON *fmt = ok ? cJSON_AddObjectToObject(md, "format") : NULL;
    ok = ok && fmt && cJSON_AddStringToObject(fmt, "provider", "parquet") && cJSON_AddObjectToObject(fmt, "options");
    ok = ok && cJSON_AddStringToObject(md, "schemaString", schema_str);
    llmd_free(schema_str);
    ok = ok && cJSON_AddItemToObject(md, "partitionColumns", parts);
    if (ok) parts = NULL;
    ok = ok && cJSON_AddItemToObject(md, "configuration", conf);
    if (ok) conf = NULL;
    ok = ok && cJSON_AddNumberToObject(md, "createdTime", (double)now);
    /* reader version 1 unless V2 checkpoints are asked for (a reader feature: reader version 3) */
    ok = ok && cJSON_AddNumberToObject(proto, "minReaderVersion", v2_checkpoints ? 3 : 1) &&
         cJSON_AddNumberToObject(proto, "minWriterVersion", 7);
    cJSON *rf = ok && v2_checkpoints ? cJSON_AddArrayToObject(proto, "readerFeatures") : NULL;
    if (ok && v2_checkpoints) ok = rf && cJSON_AddItemToArray(rf, cJSON_CreateString("v2Checkpoint"));
    cJSON *wf = ok ? cJSON_AddArrayToObject(proto, "writerFeatures") : NULL;
    ok = ok && wf && cJSON_AddItemToArray(wf, cJSON_CreateString("inCommitTimestamp"));
    if (ok && v2_checkpoints) ok = cJSON_AddItemToArray(wf, cJSON_CreateString("v2Checkpoint"));
    if (ok && append_only) ok = cJSON_AddItemToArray(wf, cJSON_CreateString("appendOnly"));
    cJSON *params = ok ? cJSON_CreateObject() : NULL;
    ok = ok && params && cJSON_AddStringToObject(params, "mode", "ErrorIfExists");
    ci = ok ? commit_info("CREATE TABLE", params, -1, true, true, now, now) : NULL;
    cJSON_Delete(params);
    ok = ok && ci && add_line(&b, "commitInfo", ci) && add_line(&b, "protocol", proto) && add_line(&b, "metaData", md);
    if (!ok) { st = llmd_fail_nomem("creating a Delta table"); goto done; }
    if ((st = mkdir_p(t->log_dir)) != LLMD_OK) goto done;
    char path[4096];
    if ((st = commit_path(t, 0, path, sizeof path)) != LLMD_OK) goto done;
    st = llmd_write_file_exclusive(path, b.data, b.len);
    if (st == LLMD_ERR_CONFLICT) st = llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s already exists (version 0 is taken)", t->path);
done:
    llmd_buf_free(&b);
    cJSON_Delete(schema);
    cJSON_Delete(parts);
    cJSON_Delete(conf);
    cJSON_Delete(md);
    cJSON_Delete(proto);
    cJSON_Delete(ci);
    return st;
}

/* ---- transactions ---------------------------------------------------------------------------------------- */
void llmd_delta_txn_free(llmd_delta_txn *x) {
    if (x == NULL) return;
    llmd_delta_snapshot_free(x->snap);
    cJSON_Delete(x->adds);
    cJSON_Delete(x->removes);
    dl_map_free(&x->removed, NULL);
    cJSON_Delete(x->new_metadata);
    cJSON_Delete(x->new_protocol);
    llmd_free(x->app_id);
    llmd_free(x->operation);
    cJSON_Delete(x->op_params);
    llmd_free(x);
}

static llmd_status txn_begin_at(llmd_delta_txn **out, llmd_delta_table *t, llmd_delta_snapshot *snap) {
    llmd_delta_txn *x = llmd_calloc(1, sizeof *x);
    if (x == NULL) { llmd_delta_snapshot_free(snap); return llmd_fail_nomem("starting a Delta transaction"); }
    x->table = t;
    x->snap = snap;
    x->adds = cJSON_CreateArray();
    x->removes = cJSON_CreateArray();
    x->operation = llmd_strdup("WRITE");
    x->app_version = -1;
    if (!x->adds || !x->removes || !x->operation) {
        llmd_delta_txn_free(x);
        return llmd_fail_nomem("starting a Delta transaction");
    }
    llmd_status st = dl_check_writable(snap->state.protocol, snap->state.metadata, snap->schema);
    if (st != LLMD_OK) { llmd_delta_txn_free(x); return llmd_error_prefix("Delta table %s", t->path); }
    *out = x;
    return LLMD_OK;
}

llmd_status llmd_delta_txn_begin(llmd_delta_txn **out, llmd_delta_table *t) {
    if (out == NULL || t == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_begin: NULL argument");
    *out = NULL;
    llmd_delta_snapshot *snap = NULL;
    llmd_status st = llmd_delta_snapshot_latest(&snap, t);
    if (st != LLMD_OK) return st;
    return txn_begin_at(out, t, snap);
}

const llmd_delta_snapshot *llmd_delta_txn_snapshot(const llmd_delta_txn *x) { return x ? x->snap : NULL; }

static llmd_status txn_usable(const llmd_delta_txn *x, const char *fn) {
    if (x == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: NULL transaction", fn);
    if (x->finished) return llmd_fail(LLMD_ERR_STATE, "%s: the transaction was already committed", fn);
    return LLMD_OK;
}

static const cJSON *current_metadata(const llmd_delta_txn *x) {
    return x->new_metadata ? x->new_metadata : x->snap->state.metadata;
}

static bool is_partition_column(const cJSON *metadata, const char *name) {
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(metadata, "partitionColumns"))
        if (cJSON_IsString(p) && strcmp(p->valuestring, name) == 0) return true;
    return false;
}

llmd_status llmd_delta_txn_add(llmd_delta_txn *x, const llmd_delta_add *a) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_add");
    if (st != LLMD_OK) return st;
    if (a == NULL || a->path == NULL || a->path[0] == '\0')
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_add: no path");
    if (a->version != LLMD_DELTA_ADD_VERSION) return llmd_fail(LLMD_ERR_VERSION, "llmd_delta_add version %u unknown", a->version);
    if (a->path[0] == '/' || strstr(a->path, "://") != NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "Delta add: path '%s' must be relative to the table", a->path);
    if (a->size < 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "Delta add: '%s' has a negative size", a->path);
    const cJSON *md = current_metadata(x);
    /* the partition values name exactly the partition columns */
    for (size_t i = 0; i < a->n_partitions; i++) {
        if (a->partition_keys[i] == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "Delta add: partition key %zu is NULL", i);
        if (!is_partition_column(md, a->partition_keys[i]))
            return llmd_fail(LLMD_ERR_SCHEMA, "Delta add '%s': '%s' is not a partition column of the table", a->path,
                             a->partition_keys[i]);
        for (size_t j = 0; j < i; j++)
            if (strcmp(a->partition_keys[j], a->partition_keys[i]) == 0)
                return llmd_fail(LLMD_ERR_SCHEMA, "Delta add '%s': partition column '%s' given twice", a->path,
                                 a->partition_keys[i]);
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(md, "partitionColumns")) {
        bool found = false;
        for (size_t i = 0; i < a->n_partitions && !found; i++) found = strcmp(a->partition_keys[i], p->valuestring) == 0;
        if (!found)
            return llmd_fail(LLMD_ERR_SCHEMA, "Delta add '%s': no value for partition column '%s'", a->path, p->valuestring);
    }
    if (a->stats_json) {
        cJSON *s = cJSON_Parse(a->stats_json);
        bool ok = cJSON_IsObject(s);
        cJSON_Delete(s);
        if (!ok) return llmd_fail(LLMD_ERR_PARSE, "Delta add '%s': stats is not a JSON object", a->path);
    }
    llmd_buf enc = LLMD_BUF_INIT;
    if ((st = dl_path_encode(&enc, a->path)) != LLMD_OK) { llmd_buf_free(&enc); return st; }   /* may hold a part */
    cJSON *body = cJSON_CreateObject(), *pv = NULL;
    bool ok = body && cJSON_AddStringToObject(body, "path", enc.data);
    llmd_buf_free(&enc);
    ok = ok && (pv = cJSON_AddObjectToObject(body, "partitionValues")) != NULL;
    for (size_t i = 0; ok && i < a->n_partitions; i++)
        /* an empty value is null, as Spark writes it (and as its directory __HIVE_DEFAULT_PARTITION__ says) */
        ok = a->partition_values[i] && a->partition_values[i][0]
                 ? cJSON_AddStringToObject(pv, a->partition_keys[i], a->partition_values[i]) != NULL
                                    : cJSON_AddNullToObject(pv, a->partition_keys[i]) != NULL;
    ok = ok && cJSON_AddNumberToObject(body, "size", (double)a->size);
    ok = ok && cJSON_AddNumberToObject(body, "modificationTime",
                                       (double)(a->modification_time ? a->modification_time : dl_now_ms()));
    ok = ok && cJSON_AddBoolToObject(body, "dataChange", a->data_change);
    if (ok && a->stats_json) ok = cJSON_AddStringToObject(body, "stats", a->stats_json) != NULL;
    if (!ok || !cJSON_AddItemToArray(x->adds, body)) {
        cJSON_Delete(body);
        return llmd_fail_nomem("adding a file to a Delta transaction");
    }
    return LLMD_OK;
}

static llmd_status check_parquet_magic(const char *path, int fd, off_t size) {
    unsigned char head[4], tail[4];
    if (size < 12 || pread(fd, head, 4, 0) != 4 || pread(fd, tail, 4, size - 4) != 4 ||
        memcmp(head, "PAR1", 4) != 0 || memcmp(tail, "PAR1", 4) != 0)
        return llmd_fail(LLMD_ERR_PARSE, "%s: not a Parquet file (no PAR1 magic at both ends)", path);
    return LLMD_OK;
}

static llmd_status copy_into(const char *src, int fd, const char *dst) {
    llmd_outfile f;
    llmd_status st = llmd_outfile_open(&f, dst);
    if (st != LLMD_OK) return st;
    char buf[1 << 16];
    for (off_t off = 0;;) {
        ssize_t r = pread(fd, buf, sizeof buf, off);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { st = llmd_fail(LLMD_ERR_IO, "%s: read failed: %s", src, strerror(errno)); break; }
        if (r == 0) break;
        if ((st = llmd_outfile_write(&f, buf, (size_t)r)) != LLMD_OK) break;
        off += r;
    }
    if (st == LLMD_OK) st = llmd_outfile_publish(&f, LLMD_PUBLISH_EXCLUSIVE);
    llmd_outfile_discard(&f);
    return st;
}

/* The file's schema against the table's (merging new columns when asked) and its stats. */
static llmd_status enforce_schema(llmd_delta_txn *x, const llmd_delta_append *a, char **stats) {
    llmd_parquet_reader *r = NULL;
    llmd_status st = llmd_parquet_reader_open(&r, a->source, NULL);
    if (st != LLMD_OK) return st;
    const cJSON *md = current_metadata(x);
    cJSON *schema = cJSON_Parse(dl_get_str(md, "schemaString"));
    cJSON *added = NULL;
    if (schema == NULL) st = llmd_fail(LLMD_ERR_CORRUPT, "table schema unreadable");
    if (st == LLMD_OK)
        st = dl_check_file_schema(a->source, r, schema, cJSON_GetObjectItemCaseSensitive(md, "partitionColumns"), &added);
    if (st == LLMD_OK && added) {
        if (!a->merge_schema) {
            st = llmd_fail(LLMD_ERR_SCHEMA, "%s: column '%s' is not in the table's schema (append with merge_schema "
                           "to add it)", a->source, dl_get_str(added->child, "name"));
        } else {
            cJSON *fields = cJSON_GetObjectItemCaseSensitive(schema, "fields");
            while (added->child) cJSON_AddItemToArray(fields, cJSON_DetachItemViaPointer(added, added->child));
            char *p = dl_print(schema);
            st = p ? llmd_delta_txn_set_schema(x, p, true) : llmd_fail_nomem("merging a schema");
            llmd_free(p);
        }
    }
    if (st == LLMD_OK && a->stats_json == NULL) st = dl_file_stats(r, stats);
    cJSON_Delete(added);
    cJSON_Delete(schema);
    llmd_parquet_reader_free(r);
    return st;
}

llmd_status llmd_delta_schema_from_parquet(const char *path, char **schema_json) {
    if (path == NULL || schema_json == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_schema_from_parquet: NULL argument");
    *schema_json = NULL;
    llmd_parquet_reader *r = NULL;
    llmd_status st = llmd_parquet_reader_open(&r, path, NULL);
    if (st != LLMD_OK) return st;
    cJSON *s = NULL;
    st = dl_parquet_schema_json(llmd_parquet_reader_schema(r), &s);
    llmd_parquet_reader_free(r);
    if (st != LLMD_OK) return llmd_error_prefix("%s", path);
    *schema_json = dl_print(s);
    cJSON_Delete(s);
    return *schema_json ? LLMD_OK : llmd_fail_nomem("printing a schema");
}

llmd_status llmd_delta_txn_append_file(llmd_delta_txn *x, const llmd_delta_append *a, char **rel_out) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_append_file");
    if (st != LLMD_OK) return st;
    if (rel_out) *rel_out = NULL;
    if (a == NULL || a->source == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_append_file: no source");
    if (a->version != LLMD_DELTA_APPEND_VERSION)
        return llmd_fail(LLMD_ERR_VERSION, "llmd_delta_append version %u unknown", a->version);
    /* directory: partition columns in the table's order */
    llmd_buf rel = LLMD_BUF_INIT;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(current_metadata(x), "partitionColumns")) {
        const char *val = NULL;
        bool found = false;
        for (size_t i = 0; i < a->n_partitions && !found; i++)
            if (a->partition_keys[i] && strcmp(a->partition_keys[i], p->valuestring) == 0) {
                found = true;
                val = a->partition_values[i];
            }
        if (!found) {
            llmd_buf_free(&rel);
            return llmd_fail(LLMD_ERR_SCHEMA, "append '%s': no value for partition column '%s'", a->source, p->valuestring);
        }
        if ((st = dl_hive_escape(&rel, p->valuestring)) != LLMD_OK || (st = llmd_buf_putc(&rel, '=')) != LLMD_OK ||
            (st = (val && val[0]) ? dl_hive_escape(&rel, val) : llmd_buf_puts(&rel, "__HIVE_DEFAULT_PARTITION__")) != LLMD_OK ||
            (st = llmd_buf_putc(&rel, '/')) != LLMD_OK) {
            llmd_buf_free(&rel);
            return st;
        }
    }
    const char *base = strrchr(a->source, '/');
    base = base ? base + 1 : a->source;
    char uuid[37];
    dl_random_uuid(uuid);
    if ((st = llmd_buf_printf(&rel, "part-%s-%s", uuid, base)) != LLMD_OK) { llmd_buf_free(&rel); return st; }
    int fd = open(a->source, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        llmd_buf_free(&rel);
        return llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "%s: cannot open: %s", a->source, strerror(errno));
    }
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) st = llmd_fail(LLMD_ERR_IO, "%s: not a regular file", a->source);
    if (st == LLMD_OK) st = check_parquet_magic(a->source, fd, sb.st_size);
    char *stats = NULL;
    if (st == LLMD_OK) st = enforce_schema(x, a, &stats);
    char *dst = NULL, *dir = NULL;
    if (st == LLMD_OK) {
        llmd_buf d = LLMD_BUF_INIT;
        if (llmd_buf_printf(&d, "%s/%s", x->table->path, rel.data) != LLMD_OK) st = llmd_fail_nomem("append");
        dst = llmd_buf_detach(&d, NULL);
        dir = dst ? llmd_strdup(dst) : NULL;
        if (st == LLMD_OK && (!dst || !dir)) st = llmd_fail_nomem("append");
    }
    if (st == LLMD_OK) {
        *strrchr(dir, '/') = '\0';
        st = mkdir_p(dir);
    }
    if (st == LLMD_OK) st = copy_into(a->source, fd, dst);
    close(fd);
    if (st == LLMD_OK) {
        llmd_delta_add add = LLMD_DELTA_ADD_INIT;
        add.path = rel.data;
        add.size = (int64_t)sb.st_size;
        add.partition_keys = a->partition_keys;
        add.partition_values = a->partition_values;
        add.n_partitions = a->n_partitions;
        add.stats_json = a->stats_json ? a->stats_json : stats;
        st = llmd_delta_txn_add(x, &add);
        if (st != LLMD_OK) unlink(dst);
    }
    llmd_free(dst);
    llmd_free(dir);
    llmd_free(stats);
    if (st == LLMD_OK && rel_out) *rel_out = llmd_buf_detach(&rel, NULL);
    llmd_buf_free(&rel);
    return st;
}

static llmd_status remove_file(llmd_delta_txn *x, const dl_file *f) {
    if (dl_map_get(&x->removed, f->key)) return LLMD_OK;
    int64_t now = dl_now_ms();
    cJSON *r = cJSON_CreateObject();
    bool ok = r && cJSON_AddStringToObject(r, "path", dl_get_str(f->action, "path"));
    ok = ok && cJSON_AddNumberToObject(r, "deletionTimestamp", (double)now);
    ok = ok && cJSON_AddBoolToObject(r, "dataChange", true);
    ok = ok && cJSON_AddBoolToObject(r, "extendedFileMetadata", true);
    static const char *const copy[] = {"partitionValues", "size", "tags", "deletionVector", "baseRowId",
                                       "defaultRowCommitVersion", "stats"};
    for (size_t i = 0; ok && i < sizeof copy / sizeof *copy; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(f->action, copy[i]);
        if (v) ok = add_owned(r, copy[i], cJSON_Duplicate(v, true));
    }
    if (ok) ok = cJSON_AddItemToArray(x->removes, r);
    else cJSON_Delete(r);
    if (!ok) return llmd_fail_nomem("removing a file in a Delta transaction");
    x->read_whole_table = true;
    return dl_map_put(&x->removed, f->key, (void *)1, NULL);
}

llmd_status llmd_delta_txn_remove(llmd_delta_txn *x, const char *path) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_remove");
    if (st != LLMD_OK) return st;
    if (path == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_remove: NULL path");
    size_t found = 0;
    for (size_t i = 0; i < x->snap->n_files; i++) {
        if (strcmp(x->snap->file_src[i]->path, path) != 0) continue;
        if ((st = remove_file(x, x->snap->file_src[i])) != LLMD_OK) return st;
        found++;
    }
    if (found == 0)
        return llmd_fail(LLMD_ERR_NOT_FOUND, "Delta table %s: no active file '%s' in version %lld", x->table->path, path,
                         (long long)x->snap->version);
    return LLMD_OK;
}

llmd_status llmd_delta_txn_remove_all(llmd_delta_txn *x) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_remove_all");
    if (st != LLMD_OK) return st;
    x->read_whole_table = true;
    for (size_t i = 0; i < x->snap->n_files; i++)
        if ((st = remove_file(x, x->snap->file_src[i])) != LLMD_OK) return st;
    return LLMD_OK;
}

static llmd_status own_metadata(llmd_delta_txn *x) {
    if (x->new_metadata) return LLMD_OK;
    x->new_metadata = cJSON_Duplicate(x->snap->state.metadata, true);
    if (x->new_metadata == NULL) return llmd_fail_nomem("changing Delta metadata");
    if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(x->new_metadata, "configuration"))) {
        cJSON_DeleteItemFromObjectCaseSensitive(x->new_metadata, "configuration");
        if (!cJSON_AddObjectToObject(x->new_metadata, "configuration")) return llmd_fail_nomem("changing Delta metadata");
    }
    return LLMD_OK;
}

/* A writer feature the new configuration needs is added to the protocol (writer version 7). */
static llmd_status need_writer_feature(llmd_delta_txn *x, const char *feature, int64_t legacy_version) {
    const cJSON *proto = x->new_protocol ? x->new_protocol : x->snap->state.protocol;
    int64_t w = 0;
    dl_get_i64(proto, "minWriterVersion", &w);
    if (w < 7 && w >= legacy_version) return LLMD_OK;
    if (w == 7) {
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(proto, "writerFeatures"))
            if (cJSON_IsString(f) && strcmp(f->valuestring, feature) == 0) return LLMD_OK;
    }
    if (x->new_protocol == NULL && (x->new_protocol = cJSON_Duplicate(proto, true)) == NULL)
        return llmd_fail_nomem("upgrading a Delta protocol");
    if (w < 7) {
        if (!set_owned(x->new_protocol, "minWriterVersion", cJSON_CreateNumber((double)legacy_version)))
            return llmd_fail_nomem("upgrading a Delta protocol");
        return LLMD_OK;
    }
    cJSON *wf = cJSON_GetObjectItemCaseSensitive(x->new_protocol, "writerFeatures");
    if (!cJSON_IsArray(wf)) {
        cJSON_DeleteItemFromObjectCaseSensitive(x->new_protocol, "writerFeatures");
        wf = cJSON_AddArrayToObject(x->new_protocol, "writerFeatures");
    }
    if (!wf || !cJSON_AddItemToArray(wf, cJSON_CreateString(feature))) return llmd_fail_nomem("upgrading a Delta protocol");
    return LLMD_OK;
}

llmd_status llmd_delta_txn_set_property(llmd_delta_txn *x, const char *key, const char *value) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_set_property");
    if (st != LLMD_OK) return st;
    if (key == NULL || key[0] == '\0') return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_set_property: no key");
    if (strcmp(key, "delta.enableInCommitTimestamps") == 0 || strncmp(key, "delta.inCommitTimestamp", 23) == 0 ||
        strcmp(key, "delta.columnMapping.mode") == 0 || strcmp(key, "delta.enableDeletionVectors") == 0 ||
        strcmp(key, "delta.enableChangeDataFeed") == 0 || strncmp(key, "delta.constraints.", 18) == 0)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "table property '%s' cannot be changed by this library", key);
    if (strcmp(key, "delta.appendOnly") == 0 && value && strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "delta.appendOnly must be true or false, not '%s'", value);
    if (strcmp(key, "delta.checkpointInterval") == 0 && value) {
        char *end;
        long v = strtol(value, &end, 10);
        if (*end || v < 1) return llmd_fail(LLMD_ERR_INVALID_ARG, "delta.checkpointInterval must be a positive integer");
    }
    if ((st = own_metadata(x)) != LLMD_OK) return st;
    cJSON *conf = cJSON_GetObjectItemCaseSensitive(x->new_metadata, "configuration");
    cJSON_DeleteItemFromObjectCaseSensitive(conf, key);
    if (value && !cJSON_AddStringToObject(conf, key, value)) return llmd_fail_nomem("setting a Delta property");
    if (strcmp(key, "delta.appendOnly") == 0 && value && strcmp(value, "true") == 0)
        return need_writer_feature(x, "appendOnly", 2);
    return LLMD_OK;
}

llmd_status llmd_delta_txn_set_schema(llmd_delta_txn *x, const char *schema_json, bool merge) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_set_schema");
    if (st != LLMD_OK) return st;
    if (schema_json == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_set_schema: NULL schema");
    cJSON *schema = NULL;
    if ((st = dl_schema_parse(schema_json, &schema)) != LLMD_OK) return st;
    const cJSON *md = current_metadata(x);
    const char *old_str = dl_get_str(md, "schemaString");
    cJSON *old = old_str ? cJSON_Parse(old_str) : NULL;
    st = dl_schema_check_partitions(schema, cJSON_GetObjectItemCaseSensitive(md, "partitionColumns"));
    if (st == LLMD_OK && old) st = dl_schema_check_evolution(old, schema, merge);
    cJSON_Delete(old);
    char *printed = st == LLMD_OK ? dl_print(schema) : NULL;
    cJSON_Delete(schema);
    if (st != LLMD_OK) return st;
    if (printed == NULL) return llmd_fail_nomem("setting a Delta schema");
    if ((st = own_metadata(x)) == LLMD_OK &&
        !set_owned(x->new_metadata, "schemaString", cJSON_CreateString(printed)))
        st = llmd_fail_nomem("setting a Delta schema");
    llmd_free(printed);
    return st;
}

llmd_status llmd_delta_txn_set_app_version(llmd_delta_txn *x, const char *app_id, int64_t version) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_set_app_version");
    if (st != LLMD_OK) return st;
    if (app_id == NULL || app_id[0] == '\0' || version < 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_set_app_version: needs an appId and a version >= 0");
    char *a = llmd_strdup(app_id);
    if (a == NULL) return llmd_fail_nomem("setting a Delta txn");
    llmd_free(x->app_id);
    x->app_id = a;
    x->app_version = version;
    return LLMD_OK;
}

llmd_status llmd_delta_txn_set_operation(llmd_delta_txn *x, const char *operation, const char *params_json) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_set_operation");
    if (st != LLMD_OK) return st;
    if (operation == NULL || operation[0] == '\0') return llmd_fail(LLMD_ERR_INVALID_ARG, "empty operation name");
    cJSON *p = NULL;
    if (params_json) {
        p = cJSON_Parse(params_json);
        if (!cJSON_IsObject(p)) {
            cJSON_Delete(p);
            return llmd_fail(LLMD_ERR_PARSE, "operation parameters are not a JSON object");
        }
    }
    char *op = llmd_strdup(operation);
    if (op == NULL) { cJSON_Delete(p); return llmd_fail_nomem("setting a Delta operation"); }
    llmd_free(x->operation);
    x->operation = op;
    cJSON_Delete(x->op_params);
    x->op_params = p;
    return LLMD_OK;
}

/* ---- conflict detection --------------------------------------------------------------------------------- */
/* What a winning commit did, as the conflict rules need it. */
typedef struct winner {
    bool protocol, metadata, blind_append, added_data;
    dl_map removed;      /* keys it removed */
    dl_map txn_apps;     /* appIds it wrote */
    int64_t ict;         /* its inCommitTimestamp, or -1 */
    cJSON *protocol_body, *metadata_body;
} winner;

static void winner_free(winner *w) {
    dl_map_free(&w->removed, NULL);
    dl_map_free(&w->txn_apps, NULL);
    cJSON_Delete(w->protocol_body);
    cJSON_Delete(w->metadata_body);
}

static llmd_status read_winner(llmd_delta_table *t, int64_t version, winner *w) {
    memset(w, 0, sizeof *w);
    w->ict = -1;
    char name[64];
    snprintf(name, sizeof name, "%020lld.json", (long long)version);
    char *data = NULL;
    size_t len = 0;
    llmd_status st = dl_fs_read(t, name, &data, &len);
    if (st != LLMD_OK) return st;
    for (size_t pos = 0, line = 1; st == LLMD_OK && pos < len; line++) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t ln = end - pos;
        const char *ls = data + pos;
        pos = end + 1;
        bool blank = true;
        for (size_t k = 0; k < ln && blank; k++) blank = ls[k] == ' ' || ls[k] == '\t' || ls[k] == '\r';
        if (blank) continue;
        cJSON *j = cJSON_ParseWithLength(ls, ln);
        if (!cJSON_IsObject(j)) {
            cJSON_Delete(j);
            st = llmd_fail(LLMD_ERR_PARSE, "%s/%s:%zu: not a JSON object", t->log_dir, name, line);
            break;
        }
        for (cJSON *a = j->child; a && st == LLMD_OK; a = a->next) {
            if (!a->string) continue;
            if (strcmp(a->string, "protocol") == 0) {
                w->protocol = true;
            } else if (strcmp(a->string, "metaData") == 0) {
                w->metadata = true;
            } else if (strcmp(a->string, "commitInfo") == 0) {
                w->blind_append = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "isBlindAppend"));
                dl_get_i64(a, "inCommitTimestamp", &w->ict);
            } else if (strcmp(a->string, "add") == 0) {
                if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(a, "dataChange"))) w->added_data = true;
            } else if (strcmp(a->string, "remove") == 0) {
                char *key = NULL, *path = NULL;
                st = dl_file_key(a, name, &key, &path);
                if (st == LLMD_OK) st = dl_map_put(&w->removed, key, (void *)1, NULL);
                llmd_free(key);
                llmd_free(path);
            } else if (strcmp(a->string, "txn") == 0) {
                const char *app = dl_get_str(a, "appId");
                if (app) st = dl_map_put(&w->txn_apps, app, (void *)1, NULL);
            }
        }
        cJSON_Delete(j);
    }
    llmd_free(data);
    return st;
}

/* Delta's ConflictChecker rules at WriteSerializable isolation. */
static llmd_status check_conflict(const llmd_delta_txn *x, const winner *w, int64_t version) {
    const char *p = x->table->path;
    long long v = (long long)version;
    if (w->protocol)
        return llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s: concurrent protocol change in version %lld", p, v);
    if (w->metadata)
        return llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s: concurrent metadata change in version %lld", p, v);
    if (x->app_id && dl_map_get(&w->txn_apps, x->app_id))
        return llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s: version %lld committed a txn for the same appId '%s'", p, v,
                         x->app_id);
    for (size_t i = 0; i < x->removed.cap; i++) {
        const char *k = x->removed.slots[i].key;
        if (k && dl_map_get(&w->removed, k)) {
            const char *nl = strchr(k, '\n');
            return llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s: version %lld concurrently removed '%.*s' which this "
                             "transaction removes", p, v, nl ? (int)(nl - k) : (int)strlen(k), k);
        }
    }
    if (x->read_whole_table && w->removed.len > 0)
        return llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s: version %lld concurrently removed files this transaction read",
                         p, v);
    if (x->read_whole_table && w->added_data && !w->blind_append)
        return llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s: version %lld concurrently added data this transaction should "
                         "have read", p, v);
    return LLMD_OK;
}

/* ---- commit ------------------------------------------------------------------------------------------------ */
static llmd_status build_commit(const llmd_delta_txn *x, int64_t ict, llmd_buf *b) {
    const cJSON *md = current_metadata(x);
    int64_t from;
    bool ict_on = dl_ict_enabled(md, &from);
    bool blind = cJSON_GetArraySize(x->removes) == 0 && !x->new_metadata && !x->new_protocol && !x->read_whole_table;
    int64_t now = dl_now_ms();
    cJSON *ci = commit_info(x->operation, x->op_params, x->snap->version, blind, ict_on, ict, now);
    bool ok = ci && add_line(b, "commitInfo", ci);
    cJSON_Delete(ci);
    if (ok && x->new_protocol) ok = add_line(b, "protocol", x->new_protocol);
    if (ok && x->new_metadata) ok = add_line(b, "metaData", x->new_metadata);
    if (ok && x->app_id) {
        cJSON *t = cJSON_CreateObject();
        ok = t && cJSON_AddStringToObject(t, "appId", x->app_id) &&
             cJSON_AddNumberToObject(t, "version", (double)x->app_version) &&
             cJSON_AddNumberToObject(t, "lastUpdated", (double)now) && add_line(b, "txn", t);
        cJSON_Delete(t);
    }
    const cJSON *a;
    cJSON_ArrayForEach(a, x->removes) if (ok) ok = add_line(b, "remove", a);
    cJSON_ArrayForEach(a, x->adds) if (ok) ok = add_line(b, "add", a);
    return ok ? LLMD_OK : llmd_fail_nomem("writing a Delta commit");
}

/* After a commit: tables are checkpointed every delta.checkpointInterval (default 10) versions.  A failed
 * checkpoint does not fail the commit (the log alone is the truth; the next one retries). */
static void maybe_checkpoint(llmd_delta_txn *x, int64_t version) {
    const char *iv = config_of(current_metadata(x), "delta.checkpointInterval");
    long interval = iv ? strtol(iv, NULL, 10) : 10;
    if (interval < 1 || version % interval != 0) return;
    llmd_delta_snapshot *s = NULL;
    if (llmd_delta_snapshot_at_version(&s, x->table, version) == LLMD_OK) dl_write_checkpoint(x->table, s, NULL);
    llmd_delta_snapshot_free(s);
    llmd_clear_error();
}

llmd_status llmd_delta_txn_commit(llmd_delta_txn *x, int64_t *version_out) {
    llmd_status st = txn_usable(x, "llmd_delta_txn_commit");
    if (st != LLMD_OK) return st;
    if (version_out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_txn_commit: NULL version");
    *version_out = -1;
    x->finished = true;
    if (x->app_id) {
        int64_t have;
        if (llmd_delta_snapshot_app_version(x->snap, x->app_id, &have) == LLMD_OK && have >= x->app_version) {
            llmd_clear_error();
            return LLMD_OK;   /* idempotent: this app version is already in the table */
        }
        llmd_clear_error();
    }
    const char *ao = config_of(current_metadata(x), "delta.appendOnly");
    if (ao && strcmp(ao, "true") == 0 && cJSON_GetArraySize(x->removes) > 0)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "Delta table %s is append-only (delta.appendOnly=true): files cannot be removed",
                         x->table->path);
    int64_t version = x->snap->version + 1;
    int64_t prev_ts = x->snap->timestamp;
    for (unsigned attempt = 0;; attempt++) {
        llmd_buf b = LLMD_BUF_INIT;
        int64_t now = dl_now_ms();
        int64_t ict = now > prev_ts ? now : prev_ts + 1;
        if ((st = build_commit(x, ict, &b)) != LLMD_OK) { llmd_buf_free(&b); return st; }
        char path[4096];
        if ((st = commit_path(x->table, version, path, sizeof path)) != LLMD_OK) { llmd_buf_free(&b); return st; }
        st = llmd_write_file_exclusive(path, b.data, b.len);
        llmd_buf_free(&b);
        if (st == LLMD_OK) {
            *version_out = version;
            maybe_checkpoint(x, version);
            return LLMD_OK;
        }
        if (st != LLMD_ERR_CONFLICT) return st;
        /* someone else took `version`: check it against what this transaction did */
        winner w;
        st = read_winner(x->table, version, &w);
        if (st == LLMD_OK) st = check_conflict(x, &w, version);
        if (st == LLMD_OK && w.ict >= 0) prev_ts = w.ict;
        else if (st == LLMD_OK) prev_ts = prev_ts > now ? prev_ts : now;
        winner_free(&w);
        if (st != LLMD_OK) return st;
        if (attempt + 1 >= x->table->opts.max_commit_retries)
            return llmd_fail(LLMD_ERR_CONFLICT, "Delta table %s: gave up after %u attempts (version %lld taken)",
                             x->table->path, attempt + 1, (long long)version);
        version++;
    }
}

/* ---- restore ---------------------------------------------------------------------------------------------- */
llmd_status llmd_delta_restore(llmd_delta_table *t, int64_t version, int64_t *new_version) {
    if (t == NULL || new_version == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_restore: NULL argument");
    *new_version = -1;
    llmd_delta_snapshot *target = NULL;
    llmd_status st = llmd_delta_snapshot_at_version(&target, t, version);
    if (st != LLMD_OK) return st;
    llmd_delta_txn *x = NULL;
    if ((st = llmd_delta_txn_begin(&x, t)) != LLMD_OK) { llmd_delta_snapshot_free(target); return st; }
    x->read_whole_table = true;
    /* remove what target lacks */
    for (size_t i = 0; st == LLMD_OK && i < x->snap->n_files; i++)
        if (!dl_map_get(&target->state.files, x->snap->file_src[i]->key)) st = remove_file(x, x->snap->file_src[i]);
    /* re-add what target has and the latest lacks */
    for (size_t i = 0; st == LLMD_OK && i < target->n_files; i++) {
        const dl_file *f = target->file_src[i];
        if (dl_map_get(&x->snap->state.files, f->key)) continue;
        cJSON *a = cJSON_Duplicate(f->action, true);
        if (a && !set_owned(a, "dataChange", cJSON_CreateBool(true))) { cJSON_Delete(a); a = NULL; }
        if (a == NULL || !cJSON_AddItemToArray(x->adds, a)) {
            cJSON_Delete(a);
            st = llmd_fail_nomem("restoring a Delta table");
        }
    }
    /* the target's schema and properties come back too (as Delta's RESTORE does) */
    if (st == LLMD_OK) {
        char *a = dl_print(target->state.metadata), *b = dl_print(x->snap->state.metadata);
        if (!a || !b) st = llmd_fail_nomem("restoring a Delta table");
        else if (strcmp(a, b) != 0 && (x->new_metadata = cJSON_Duplicate(target->state.metadata, true)) == NULL)
            st = llmd_fail_nomem("restoring a Delta table");
        llmd_free(a);
        llmd_free(b);
    }
    char params[64];
    snprintf(params, sizeof params, "{\"version\":\"%lld\"}", (long long)version);
    if (st == LLMD_OK) st = llmd_delta_txn_set_operation(x, "RESTORE", params);
    if (st == LLMD_OK) st = llmd_delta_txn_commit(x, new_version);
    llmd_delta_txn_free(x);
    llmd_delta_snapshot_free(target);
    return st;
}

/* ---- vacuum ------------------------------------------------------------------------------------------------ */
typedef struct vacuum_ctx {
    const llmd_delta_table *t;
    dl_map keep;            /* relative decoded paths still referenced */
    int64_t cutoff_ms;
    bool dry_run;
    cJSON *deleted;
    uint64_t bytes;
} vacuum_ctx;

static llmd_status vacuum_dir(vacuum_ctx *v, const char *rel) {
    char dir[4096];
    if ((size_t)snprintf(dir, sizeof dir, "%s%s%s", v->t->path, rel[0] ? "/" : "", rel) >= sizeof dir)
        return llmd_fail(LLMD_ERR_RANGE, "path too long under %s", v->t->path);
    DIR *d = opendir(dir);
    if (d == NULL) return llmd_fail(LLMD_ERR_IO, "%s: cannot list: %s", dir, strerror(errno));
    llmd_status st = LLMD_OK;
    struct dirent *de;
    while (st == LLMD_OK && (de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        /* hidden and metadata entries (_delta_log, _SUCCESS, .crc side files) are never data */
        if (n[0] == '.' || (n[0] == '_' && strchr(n, '=') == NULL)) continue;
        char sub[4096];
        if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", n) >= sizeof sub) continue;
        struct stat sb;
        if (fstatat(dirfd(d), n, &sb, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (S_ISDIR(sb.st_mode)) { st = vacuum_dir(v, sub); continue; }
        if (!S_ISREG(sb.st_mode)) continue;
        if (dl_map_get(&v->keep, sub)) continue;
        int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
        if (mtime >= v->cutoff_ms) continue;
        if (!v->dry_run && unlinkat(dirfd(d), n, 0) != 0 && errno != ENOENT) {
            st = llmd_fail(LLMD_ERR_IO, "%s/%s: cannot delete: %s", dir, n, strerror(errno));
            break;
        }
        if (!cJSON_AddItemToArray(v->deleted, cJSON_CreateString(sub))) st = llmd_fail_nomem("vacuum");
        v->bytes += (uint64_t)sb.st_size;
    }
    closedir(d);
    return st;
}

/* Stale temp files a killed writer left in the log (commits and checkpoints). */
static llmd_status vacuum_log_temps(vacuum_ctx *v) {
    DIR *d = opendir(v->t->log_dir);
    if (d == NULL) return llmd_fail(LLMD_ERR_IO, "%s: cannot list: %s", v->t->log_dir, strerror(errno));
    llmd_status st = LLMD_OK;
    struct dirent *de;
    while (st == LLMD_OK && (de = readdir(d)) != NULL) {
        /* llmd_outfile temps (`.tmp.<pid>.<n>`) and the Parquet writer's (`.tmp-XXXXXX`, checkpoints) */
        if (strstr(de->d_name, ".tmp.") == NULL && strstr(de->d_name, ".tmp-") == NULL) continue;
        struct stat sb;
        if (fstatat(dirfd(d), de->d_name, &sb, 0) != 0 || !S_ISREG(sb.st_mode)) continue;
        int64_t mtime = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
        if (mtime >= v->cutoff_ms) continue;
        if (!v->dry_run && unlinkat(dirfd(d), de->d_name, 0) != 0 && errno != ENOENT)
            st = llmd_fail(LLMD_ERR_IO, "%s/%s: cannot delete: %s", v->t->log_dir, de->d_name, strerror(errno));
        char rel[512];
        snprintf(rel, sizeof rel, "_delta_log/%s", de->d_name);
        if (st == LLMD_OK && !cJSON_AddItemToArray(v->deleted, cJSON_CreateString(rel))) st = llmd_fail_nomem("vacuum");
    }
    closedir(d);
    return st;
}

static llmd_status keep_path(vacuum_ctx *v, const char *table_path, const char *p) {
    size_t tl = strlen(table_path);
    if (p[0] == '/') {
        /* an absolute path inside the table is kept under its relative name */
        if (strncmp(p, table_path, tl) != 0 || p[tl] != '/') return LLMD_OK;
        p += tl + 1;
    }
    return dl_map_put(&v->keep, p, (void *)1, NULL);
}

static const size_t vacuum_sizes[] = {sizeof(llmd_delta_vacuum_options)};

llmd_status llmd_delta_vacuum(llmd_delta_table *t, const llmd_delta_vacuum_options *opts_in, char **report) {
    if (t == NULL || report == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_vacuum: NULL argument");
    *report = NULL;
    llmd_delta_vacuum_options o = LLMD_DELTA_VACUUM_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts_in, vacuum_sizes, LLMD_DELTA_VACUUM_OPTIONS_VERSION,
                                       "llmd_delta_vacuum_options");
    if (st != LLMD_OK) return st;
    if (!(o.retention_hours >= 0) || isinf(o.retention_hours))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "vacuum retention must be >= 0 hours");
    if (o.retention_hours < 168.0 && !o.allow_short_retention)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "vacuum retention %.1f h is below the 168 h safety minimum: concurrent "
                         "readers and writers may still need those files (set allow_short_retention to override)",
                         o.retention_hours);
    llmd_delta_snapshot *s = NULL;
    if ((st = llmd_delta_snapshot_latest(&s, t)) != LLMD_OK) return st;
    /* vacuumProtocolCheck: vacuum writes, so every writer feature must be understood */
    if ((st = dl_check_writable(s->state.protocol, s->state.metadata, s->schema)) != LLMD_OK) {
        llmd_delta_snapshot_free(s);
        return llmd_error_prefix("vacuum of %s", t->path);
    }
    vacuum_ctx v = {.t = t, .dry_run = o.dry_run};
    int64_t now = o.now_ms ? o.now_ms : dl_now_ms();
    v.cutoff_ms = now - (int64_t)(o.retention_hours * 3600.0 * 1000.0);
    v.deleted = cJSON_CreateArray();
    if (v.deleted == NULL) st = llmd_fail_nomem("vacuum");
    for (size_t i = 0; st == LLMD_OK && i < s->n_files; i++) {
        st = keep_path(&v, t->path, s->files[i].path);
        /* deletion vector files of live files are data too */
        const cJSON *dv = cJSON_GetObjectItemCaseSensitive(s->file_src[i]->action, "deletionVector");
        char *dvp = NULL;
        if (st == LLMD_OK && cJSON_IsObject(dv)) st = dl_dv_path(NULL, dv, &dvp);
        if (st == LLMD_OK && dvp) st = keep_path(&v, t->path, dvp);
        llmd_free(dvp);
    }
    /* tombstones newer than the retention still protect their files (time travel, slow readers) */
    for (size_t i = 0; st == LLMD_OK && i < s->state.tombstones.cap; i++) {
        const dl_file *f = s->state.tombstones.slots[i].val;
        if (!s->state.tombstones.slots[i].key) continue;
        int64_t del = 0;
        if (!dl_get_i64(f->action, "deletionTimestamp", &del) || del >= v.cutoff_ms) {
            st = keep_path(&v, t->path, f->path);
            const cJSON *dv = cJSON_GetObjectItemCaseSensitive(f->action, "deletionVector");
            char *dvp = NULL;
            if (st == LLMD_OK && cJSON_IsObject(dv)) st = dl_dv_path(NULL, dv, &dvp);
            if (st == LLMD_OK && dvp) st = keep_path(&v, t->path, dvp);
            llmd_free(dvp);
        }
    }
    if (st == LLMD_OK) st = vacuum_dir(&v, "");
    if (st == LLMD_OK) st = vacuum_log_temps(&v);
    cJSON *r = NULL;
    if (st == LLMD_OK) {
        r = cJSON_CreateObject();
        bool ok = r && cJSON_AddBoolToObject(r, "dryRun", o.dry_run) &&
                  cJSON_AddNumberToObject(r, "count", cJSON_GetArraySize(v.deleted)) &&
                  cJSON_AddNumberToObject(r, "bytes", (double)v.bytes) && cJSON_AddItemToObject(r, "files", v.deleted);
        if (ok) v.deleted = NULL;
        char *p = ok ? cJSON_PrintUnformatted(r) : NULL;
        if (p) *report = llmd_strdup(p);
        cJSON_free(p);
        if (*report == NULL) st = llmd_fail_nomem("vacuum report");
    }
    cJSON_Delete(r);
    cJSON_Delete(v.deleted);
    dl_map_free(&v.keep, NULL);
    llmd_delta_snapshot_free(s);
    return st;
}
