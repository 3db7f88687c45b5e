/* Delta tables on the local file system: listing, snapshots, commit timestamps, history. */
#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"

static const size_t table_opt_sizes[] = {sizeof(llmd_delta_table_options)};

llmd_status llmd_delta_table_open(llmd_delta_table **out, const char *path, const llmd_delta_table_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_table_open: out is NULL");
    *out = NULL;
    if (path == NULL || path[0] == '\0') return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_table_open: empty path");
    llmd_delta_table_options o = LLMD_DELTA_TABLE_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts, table_opt_sizes, LLMD_DELTA_TABLE_OPTIONS_VERSION,
                                       "llmd_delta_table_options");
    if (st != LLMD_OK) return st;
    llmd_delta_table *t = llmd_calloc(1, sizeof *t);
    if (t == NULL) return llmd_fail_nomem("opening a Delta table");
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;   /* "t/" and "t" are one table */
    t->path = llmd_strndup(path, n);
    llmd_buf b = LLMD_BUF_INIT;
    if (t->path == NULL || llmd_buf_printf(&b, "%s/_delta_log", t->path) != LLMD_OK) {
        llmd_buf_free(&b);
        llmd_delta_table_free(t);
        return llmd_fail_nomem("opening a Delta table");
    }
    t->log_dir = llmd_buf_detach(&b, NULL);
    t->opts = o;
    *out = t;
    return LLMD_OK;
}

void llmd_delta_table_free(llmd_delta_table *t) {
    if (t == NULL) return;
    llmd_free(t->path);
    llmd_free(t->log_dir);
    llmd_free(t);
}

const char *llmd_delta_table_path(const llmd_delta_table *t) { return t ? t->path : NULL; }

/* ---- reading the log from disk ------------------------------------------------------------------ */
llmd_status dl_list_log(const char *log_dir, dl_listing *out) {
    memset(out, 0, sizeof *out);
    out->last_checkpoint_version = -1;
    DIR *d = opendir(log_dir);
    if (d == NULL) {
        if (errno == ENOENT || errno == ENOTDIR)
            return llmd_fail(LLMD_ERR_NOT_FOUND, "not a Delta table: %s does not exist", log_dir);
        return llmd_fail(LLMD_ERR_IO, "%s: cannot list: %s", log_dir, strerror(errno));
    }
    llmd_status st = LLMD_OK;
    struct dirent *de;
    while (st == LLMD_OK && (errno = 0, de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        if (strcmp(name, "_last_checkpoint") == 0) { out->has_last_checkpoint = true; continue; }
        dl_kind k;
        int64_t v;
        uint32_t p, n;
        if (!dl_classify(name, &k, &v, &p, &n)) continue;
        /* no stat per file: modification times are read only where timestamps need them */
        if (de->d_type != DT_REG && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK) continue;
        st = dl_listing_add(out, name, -1, -1);
    }
    if (st == LLMD_OK && de == NULL && errno != 0)
        st = llmd_fail(LLMD_ERR_IO, "%s: cannot list: %s", log_dir, strerror(errno));
    closedir(d);
    if (st != LLMD_OK) { dl_listing_free(out); return st; }
    dl_listing_sort(out);
    if (out->has_last_checkpoint) {
        /* a hint only: a missing or corrupt _last_checkpoint falls back to the listing */
        char path[4096], *data = NULL;
        size_t len;
        snprintf(path, sizeof path, "%s/_last_checkpoint", log_dir);
        if (llmd_read_file(path, &data, &len) == LLMD_OK) {
            cJSON *j = cJSON_ParseWithLength(data, len);
            int64_t v;
            if (j && dl_get_i64(j, "version", &v) && v >= 0) out->last_checkpoint_version = v;
            cJSON_Delete(j);
        }
        llmd_free(data);
        llmd_clear_error();
    }
    if (out->n == 0) {
        dl_listing_free(out);
        return llmd_fail(LLMD_ERR_NOT_FOUND, "not a Delta table: %s holds no commit", log_dir);
    }
    return LLMD_OK;
}

/* The modification time (ms) of a listed log file, read on first use. */
int64_t dl_entry_mtime(const llmd_delta_table *t, const dl_entry *e) {
    if (e->mtime_ms >= 0) return e->mtime_ms;
    char path[4096];
    struct stat sb;
    snprintf(path, sizeof path, "%s/%s", t->log_dir, e->name);
    if (stat(path, &sb) != 0) return 0;
    ((dl_entry *)e)->mtime_ms = (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
    return e->mtime_ms;
}

llmd_status dl_fs_read(void *ctx, const char *name, char **data, size_t *len) {
    const llmd_delta_table *t = ctx;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", t->log_dir, name) >= sizeof path)
        return llmd_fail(LLMD_ERR_RANGE, "path too long: %s/%s", t->log_dir, name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return llmd_fail(LLMD_ERR_IO, "%s: not a regular file", path);
    }
    if ((uint64_t)sb.st_size > t->opts.max_commit_bytes) {
        close(fd);
        return llmd_fail(LLMD_ERR_RANGE, "%s: %lld bytes, over the limit of %llu for a log file", path,
                         (long long)sb.st_size, (unsigned long long)t->opts.max_commit_bytes);
    }
    size_t size = (size_t)sb.st_size, got = 0;
    char *buf = llmd_malloc(size + 1);
    if (buf == NULL) { close(fd); return llmd_fail_nomem("reading a Delta log file"); }
    while (got < size) {
        ssize_t r = read(fd, buf + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;   /* a file that shrank: parse what is there */
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    *data = buf;
    *len = got;
    return LLMD_OK;
}

/* ---- snapshots -------------------------------------------------------------------------------------- */
static int file_ptr_cmp(const void *a, const void *b) {
    const dl_file *x = *(dl_file *const *)a, *y = *(dl_file *const *)b;
    return strcmp(x->key, y->key);
}

void llmd_delta_snapshot_free(llmd_delta_snapshot *s) {
    if (s == NULL) return;
    for (size_t i = 0; i < s->n_files; i++) {
        llmd_free((char *)s->files[i].partition_values_json);
        llmd_free((char *)s->files[i].stats_json);
        llmd_free((char *)s->files[i].deletion_vector_json);
        llmd_free((char *)s->files[i].add_json);
    }
    llmd_free(s->files);
    llmd_free(s->file_src);
    llmd_free(s->built);
    if (s->lock_ready) pthread_mutex_destroy(&s->lock);
    llmd_free(s->protocol_json);
    llmd_free(s->metadata_json);
    llmd_free(s->schema_json);
    cJSON_Delete(s->schema);
    dl_state_free(&s->state);
    llmd_free(s->table_path);
    llmd_free(s);
}

/* Builds the immutable view (sorted files, printed JSON) over a replayed state it takes over. */
static llmd_status snapshot_from_state(llmd_delta_snapshot **out, dl_state *st, const char *table_path) {
    llmd_delta_snapshot *s = llmd_calloc(1, sizeof *s);
    if (s == NULL) { dl_state_free(st); return llmd_fail_nomem("building a Delta snapshot"); }
    s->state = *st;
    dl_state_init(st);
    s->version = s->state.version;
    s->table_path = llmd_strdup(table_path);
    llmd_status rc = dl_schema_parse(dl_get_str(s->state.metadata, "schemaString"), &s->schema);
    if (rc != LLMD_OK) { llmd_delta_snapshot_free(s); return rc; }
    s->protocol_json = dl_print(s->state.protocol);
    s->metadata_json = dl_print(s->state.metadata);
    s->schema_json = dl_print(s->schema);
    size_t n = s->state.files.len;
    s->file_src = llmd_calloc(n ? n : 1, sizeof *s->file_src);
    s->files = llmd_calloc(n ? n : 1, sizeof *s->files);
    if (!s->table_path || !s->protocol_json || !s->metadata_json || !s->schema_json || !s->file_src || !s->files) {
        llmd_delta_snapshot_free(s);
        return llmd_fail_nomem("building a Delta snapshot");
    }
    size_t k = 0;
    for (size_t i = 0; i < s->state.files.cap; i++)
        if (s->state.files.slots[i].key) s->file_src[k++] = s->state.files.slots[i].val;
    qsort(s->file_src, n, sizeof *s->file_src, file_ptr_cmp);
    for (size_t i = 0; i < n; i++) {
        const dl_file *f = s->file_src[i];
        llmd_delta_file *o = &s->files[s->n_files++];
        o->path = f->path;
        o->raw_path = dl_get_str(f->action, "path");
        dl_get_i64(f->action, "size", &o->size);
        dl_get_i64(f->action, "modificationTime", &o->modification_time);
        /* the JSON strings are printed on first access (llmd_delta_snapshot_file) */
    }
    s->built = llmd_calloc(n ? n : 1, 1);
    if (s->built == NULL || pthread_mutex_init(&s->lock, NULL) != 0) {
        llmd_free(s->built);
        s->built = NULL;
        llmd_delta_snapshot_free(s);
        return llmd_fail_nomem("building a Delta snapshot");
    }
    s->lock_ready = true;
    *out = s;
    return LLMD_OK;
}

bool dl_ict_enabled(const cJSON *metadata, int64_t *enablement_version) {
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(metadata, "configuration");
    const char *on = dl_get_str(conf, "delta.enableInCommitTimestamps");
    if (on == NULL || strcmp(on, "true") != 0) return false;
    const char *ev = dl_get_str(conf, "delta.inCommitTimestampEnablementVersion");
    *enablement_version = ev ? strtoll(ev, NULL, 10) : 0;
    return true;
}

/* Commit timestamps of every listed commit: mtime made monotonic (Spark's DeltaHistoryManager),
 * replaced by inCommitTimestamp from the enablement version on.  ts[i] belongs to commits[i]. */
llmd_status dl_commit_timestamps(llmd_delta_table *t, const dl_listing *l, const cJSON *latest_metadata,
                                 const dl_entry ***commits_out, int64_t **ts_out, size_t *n_out) {
    size_t n = 0;
    for (size_t i = 0; i < l->n; i++) n += l->e[i].kind == DL_COMMIT;
    const dl_entry **c = llmd_calloc(n ? n : 1, sizeof *c);
    int64_t *ts = llmd_calloc(n ? n : 1, sizeof *ts);
    if (!c || !ts) { llmd_free(c); llmd_free(ts); return llmd_fail_nomem("reading commit timestamps"); }
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++)
        if (l->e[i].kind == DL_COMMIT) c[k++] = &l->e[i];
    int64_t ict_from = 0;
    bool ict = latest_metadata && dl_ict_enabled(latest_metadata, &ict_from);
    for (size_t i = 0; i < n; i++) {
        if (!(ict && c[i]->version >= ict_from)) {
            ts[i] = dl_entry_mtime(t, c[i]);
            if (i > 0 && ts[i] <= ts[i - 1]) ts[i] = ts[i - 1] + 1;
        } else {
            ts[i] = i > 0 ? ts[i - 1] + 1 : 0;   /* replaced by inCommitTimestamp below */
            cJSON *ci = NULL;
            llmd_status st = dl_read_commit_info(t, c[i]->name, &ci);
            int64_t v;
            if (st == LLMD_OK && ci && dl_get_i64(ci, "inCommitTimestamp", &v)) ts[i] = v;
            cJSON_Delete(ci);
            if (st != LLMD_OK) { llmd_free(c); llmd_free(ts); return st; }
        }
    }
    *commits_out = c;
    *ts_out = ts;
    *n_out = n;
    return LLMD_OK;
}

/* The commitInfo of a commit file (the first line holding one), or NULL in *out. */
llmd_status dl_read_commit_info(llmd_delta_table *t, const char *name, cJSON **out) {
    *out = NULL;
    char *data = NULL;
    size_t len = 0;
    llmd_status st = dl_fs_read(t, name, &data, &len);
    if (st != LLMD_OK) return st;
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        if (memmem(data + pos, end - pos, "\"commitInfo\"", 12) != NULL) {
            cJSON *j = cJSON_ParseWithLength(data + pos, end - pos);
            cJSON *ci = j ? cJSON_DetachItemFromObjectCaseSensitive(j, "commitInfo") : NULL;
            cJSON_Delete(j);
            if (ci) { *out = ci; break; }
        }
        pos = end + 1;
    }
    llmd_free(data);
    return LLMD_OK;
}

llmd_status dl_load_snapshot(llmd_delta_snapshot **out, llmd_delta_table *t, const dl_listing *l, int64_t version) {
    dl_state st;
    llmd_status rc = dl_replay(l, version, dl_fs_read, t, &st);
    if (rc != LLMD_OK) return llmd_error_prefix("Delta table %s", t->path);
    llmd_delta_snapshot *s = NULL;
    rc = snapshot_from_state(&s, &st, t->path);
    if (rc != LLMD_OK) return rc;
    /* the snapshot's own commit timestamp */
    int64_t ict_from;
    int64_t ict_ts;
    if (dl_ict_enabled(s->state.metadata, &ict_from) && s->version >= ict_from && s->state.commit_info &&
        dl_get_i64(s->state.commit_info, "inCommitTimestamp", &ict_ts)) {
        s->timestamp = ict_ts;
    } else {
        int64_t prev = INT64_MIN;
        for (size_t i = 0; i < l->n && l->e[i].version <= s->version; i++) {
            if (l->e[i].kind != DL_COMMIT) continue;
            int64_t ts = dl_entry_mtime(t, &l->e[i]);
            if (prev != INT64_MIN && ts <= prev) ts = prev + 1;
            prev = ts;
        }
        if (prev == INT64_MIN) {
            /* the commit files up to this version are gone: the checkpoint's own time */
            for (size_t i = 0; i < l->n; i++)
                if (l->e[i].version == s->version && l->e[i].kind != DL_COMMIT) prev = dl_entry_mtime(t, &l->e[i]);
        }
        s->timestamp = prev == INT64_MIN ? 0 : prev;
    }
    *out = s;
    return LLMD_OK;
}

static llmd_status snapshot_args(llmd_delta_snapshot **out, llmd_delta_table *t) {
    if (out == NULL || t == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "Delta snapshot: NULL argument");
    *out = NULL;
    return LLMD_OK;
}

llmd_status llmd_delta_snapshot_at_version(llmd_delta_snapshot **out, llmd_delta_table *t, int64_t version) {
    llmd_status rc = snapshot_args(out, t);
    if (rc != LLMD_OK) return rc;
    if (version < -1) return llmd_fail(LLMD_ERR_INVALID_ARG, "Delta version %lld is negative", (long long)version);
    dl_listing l;
    rc = dl_list_log(t->log_dir, &l);
    if (rc != LLMD_OK) return rc;
    rc = dl_load_snapshot(out, t, &l, version);
    dl_listing_free(&l);
    return rc;
}

llmd_status llmd_delta_snapshot_latest(llmd_delta_snapshot **out, llmd_delta_table *t) {
    return llmd_delta_snapshot_at_version(out, t, -1);
}

llmd_status llmd_delta_snapshot_at_timestamp(llmd_delta_snapshot **out, llmd_delta_table *t, int64_t when) {
    llmd_status rc = snapshot_args(out, t);
    if (rc != LLMD_OK) return rc;
    dl_listing l;
    rc = dl_list_log(t->log_dir, &l);
    if (rc != LLMD_OK) return rc;
    llmd_delta_snapshot *latest = NULL;
    rc = dl_load_snapshot(&latest, t, &l, -1);
    const dl_entry **c = NULL;
    int64_t *ts = NULL;
    size_t n = 0;
    if (rc == LLMD_OK) rc = dl_commit_timestamps(t, &l, latest->state.metadata, &c, &ts, &n);
    if (rc == LLMD_OK) {
        /* the newest commit with ts <= when (timestamps are monotonic: binary search) */
        size_t lo = 0, hi = n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (ts[mid] <= when) lo = mid + 1;
            else hi = mid;
        }
        if (n == 0 || lo == 0) {
            rc = llmd_fail(LLMD_ERR_RANGE, "Delta table %s: timestamp %lld ms is before the earliest commit (version %lld at %lld ms)",
                           t->path, (long long)when, n ? (long long)c[0]->version : -1LL, n ? (long long)ts[0] : -1LL);
        } else if (lo == n && when > ts[n - 1]) {
            /* Spark: a timestamp after the latest commit is an error, not the latest version */
            rc = llmd_fail(LLMD_ERR_RANGE, "Delta table %s: timestamp %lld ms is after the latest commit (version %lld at %lld ms)",
                           t->path, (long long)when, (long long)c[n - 1]->version, (long long)ts[n - 1]);
        } else {
            int64_t v = c[lo - 1]->version;
            if (v == latest->version) {
                *out = latest;
                latest = NULL;
            } else {
                rc = dl_load_snapshot(out, t, &l, v);
            }
            if (rc == LLMD_OK) (*out)->timestamp = ts[lo - 1];
        }
    }
    llmd_free(c);
    llmd_free(ts);
    llmd_delta_snapshot_free(latest);
    dl_listing_free(&l);
    return rc;
}

/* ---- accessors ----------------------------------------------------------------------------------------- */
int64_t llmd_delta_snapshot_version(const llmd_delta_snapshot *s) { return s ? s->version : -1; }
int64_t llmd_delta_snapshot_timestamp(const llmd_delta_snapshot *s) { return s ? s->timestamp : 0; }
const char *llmd_delta_snapshot_protocol_json(const llmd_delta_snapshot *s) { return s ? s->protocol_json : NULL; }
const char *llmd_delta_snapshot_metadata_json(const llmd_delta_snapshot *s) { return s ? s->metadata_json : NULL; }
const char *llmd_delta_snapshot_schema_json(const llmd_delta_snapshot *s) { return s ? s->schema_json : NULL; }
size_t llmd_delta_snapshot_file_count(const llmd_delta_snapshot *s) { return s ? s->n_files : 0; }

const char *llmd_delta_snapshot_property(const llmd_delta_snapshot *s, const char *key) {
    if (s == NULL || key == NULL) return NULL;
    return dl_get_str(cJSON_GetObjectItemCaseSensitive(s->state.metadata, "configuration"), key);
}

/* Prints file i's JSON strings (under the snapshot's lock: the snapshot stays shareable). */
static llmd_status build_file_view(llmd_delta_snapshot *s, size_t i) {
    const dl_file *f = s->file_src[i];
    llmd_delta_file *o = &s->files[i];
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(f->action, "partitionValues");
    const char *stats = dl_get_str(f->action, "stats");
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(f->action, "deletionVector");
    char *pvj = cJSON_IsObject(pv) ? dl_print(pv) : llmd_strdup("{}");
    char *sj = stats ? llmd_strdup(stats) : NULL;
    char *dvj = cJSON_IsObject(dv) ? dl_print(dv) : NULL;
    char *aj = dl_print(f->action);
    if (!pvj || (stats && !sj) || (cJSON_IsObject(dv) && !dvj) || !aj) {
        llmd_free(pvj);
        llmd_free(sj);
        llmd_free(dvj);
        llmd_free(aj);
        return llmd_fail_nomem("reading a Delta snapshot file");
    }
    o->partition_values_json = pvj;
    o->stats_json = sj;
    o->deletion_vector_json = dvj;
    o->add_json = aj;
    s->built[i] = 1;
    return LLMD_OK;
}

llmd_status llmd_delta_snapshot_file(const llmd_delta_snapshot *cs, size_t i, llmd_delta_file *out) {
    if (cs == NULL || out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_snapshot_file: NULL argument");
    if (i >= cs->n_files)
        return llmd_fail(LLMD_ERR_RANGE, "file %zu of a snapshot with %zu files", i, cs->n_files);
    llmd_delta_snapshot *s = (llmd_delta_snapshot *)cs;   /* logically const: a cache */
    llmd_status st = LLMD_OK;
    pthread_mutex_lock(&s->lock);
    if (!s->built[i]) st = build_file_view(s, i);
    if (st == LLMD_OK) *out = s->files[i];
    pthread_mutex_unlock(&s->lock);
    return st;
}

llmd_status llmd_delta_snapshot_app_version(const llmd_delta_snapshot *s, const char *app_id, int64_t *version) {
    if (s == NULL || app_id == NULL || version == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_snapshot_app_version: NULL argument");
    const dl_txn_entry *e = dl_map_get(&s->state.txns, app_id);
    if (e == NULL) return llmd_fail(LLMD_ERR_NOT_FOUND, "no txn for appId '%s' in version %lld", app_id, (long long)s->version);
    *version = e->version;
    return LLMD_OK;
}

static llmd_status return_json(cJSON *root, char **out, size_t *out_len) {
    char *p = root ? cJSON_PrintUnformatted(root) : NULL;
    cJSON_Delete(root);
    if (p == NULL) return llmd_fail_nomem("printing Delta JSON");
    *out = llmd_strdup(p);
    cJSON_free(p);
    if (*out == NULL) return llmd_fail_nomem("printing Delta JSON");
    if (out_len) *out_len = strlen(*out);
    return LLMD_OK;
}

/* obj[key] = item, taking item over: cJSON_AddItemToObject leaves an item it could not add (the
 * key copy failed) to the caller, and a NULL item (a failed create/parse) is a failure too. */
static bool put_item(cJSON *obj, const char *key, cJSON *item) {
    if (item != NULL && cJSON_AddItemToObject(obj, key, item)) return true;
    cJSON_Delete(item);
    return false;
}

llmd_status llmd_delta_snapshot_to_json(const llmd_delta_snapshot *s, char **out, size_t *out_len) {
    if (s == NULL || out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_snapshot_to_json: NULL argument");
    *out = NULL;
    cJSON *root = cJSON_CreateObject();
    bool ok = root != NULL;
    ok = ok && cJSON_AddNumberToObject(root, "version", (double)s->version);
    ok = ok && cJSON_AddNumberToObject(root, "timestamp", (double)s->timestamp);
    ok = ok && put_item(root, "protocol", cJSON_Duplicate(s->state.protocol, true));
    cJSON *md = ok ? cJSON_Duplicate(s->state.metadata, true) : NULL;
    ok = ok && md && put_item(md, "schema", cJSON_Duplicate(s->schema, true));
    if (!ok) cJSON_Delete(md);
    ok = ok && put_item(root, "metaData", md);
    cJSON *files = ok ? cJSON_AddArrayToObject(root, "files") : NULL;
    ok = ok && files;
    for (size_t i = 0; ok && i < s->n_files; i++) {
        const dl_file *src = s->file_src[i];
        const llmd_delta_file *f = &s->files[i];
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddItemToArray(files, o);
        ok = ok && cJSON_AddStringToObject(o, "path", f->path);
        ok = ok && cJSON_AddNumberToObject(o, "size", (double)f->size);
        ok = ok && cJSON_AddNumberToObject(o, "modificationTime", (double)f->modification_time);
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(src->action, "partitionValues");
        ok = ok && put_item(o, "partitionValues", cJSON_IsObject(pv) ? cJSON_Duplicate(pv, true) : cJSON_CreateObject());
        const char *stats_str = ok ? dl_get_str(src->action, "stats") : NULL;
        cJSON *stats = stats_str ? cJSON_Parse(stats_str) : NULL;
        ok = ok && put_item(o, "stats", stats ? stats : cJSON_CreateNull());
        const cJSON *dv = cJSON_GetObjectItemCaseSensitive(src->action, "deletionVector");
        if (ok && cJSON_IsObject(dv)) ok = put_item(o, "deletionVector", cJSON_Duplicate(dv, true));
    }
    if (!ok) { cJSON_Delete(root); return llmd_fail_nomem("printing a Delta snapshot"); }
    return return_json(root, out, out_len);
}

/* ---- history --------------------------------------------------------------------------------------------- */
llmd_status llmd_delta_history_json(llmd_delta_table *t, size_t limit, char **out, size_t *out_len) {
    if (t == NULL || out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_history_json: NULL argument");
    *out = NULL;
    dl_listing l;
    llmd_status rc = dl_list_log(t->log_dir, &l);
    if (rc != LLMD_OK) return rc;
    llmd_delta_snapshot *latest = NULL;
    rc = dl_load_snapshot(&latest, t, &l, -1);
    const dl_entry **c = NULL;
    int64_t *ts = NULL;
    size_t n = 0;
    if (rc == LLMD_OK) rc = dl_commit_timestamps(t, &l, latest->state.metadata, &c, &ts, &n);
    cJSON *arr = rc == LLMD_OK ? cJSON_CreateArray() : NULL;
    if (rc == LLMD_OK && arr == NULL) rc = llmd_fail_nomem("Delta history");
    for (size_t k = 0; rc == LLMD_OK && k < n && (limit == 0 || k < limit); k++) {
        size_t i = n - 1 - k;
        cJSON *ci = NULL;
        rc = dl_read_commit_info(t, c[i]->name, &ci);
        if (rc != LLMD_OK) break;
        cJSON *o = cJSON_CreateObject();
        bool ok = o && cJSON_AddItemToArray(arr, o) && cJSON_AddNumberToObject(o, "version", (double)c[i]->version) &&
                  cJSON_AddNumberToObject(o, "timestamp", (double)ts[i]);
        if (!ok) cJSON_Delete(ci);   /* not taken over */
        ok = ok && put_item(o, "commitInfo", ci ? ci : cJSON_CreateNull());
        if (!ok) rc = llmd_fail_nomem("Delta history");
    }
    llmd_free(c);
    llmd_free(ts);
    llmd_delta_snapshot_free(latest);
    dl_listing_free(&l);
    if (rc != LLMD_OK) { cJSON_Delete(arr); return rc; }
    return return_json(arr, out, out_len);
}
