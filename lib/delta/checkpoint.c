/* Checkpoints (PROTOCOL.md "Checkpoints"): the replayed state as rows — protocol, metaData, txn,
 * domainMetadata, add (dataChange false) and the unexpired remove tombstones — written as a classic
 * single-file or multi-part Parquet checkpoint, or as a V2 one (top-level JSON/Parquet file with
 * checkpointMetadata and sidecar actions, file actions in `_sidecars/` Parquet files); then
 * `_last_checkpoint`.  Parts follow Spark's hash partitioning so that they are deterministic. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"

bool dl_has_feature(const cJSON *protocol, const char *list, const char *feature) {
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(protocol, list))
        if (cJSON_IsString(f) && strcmp(f->valuestring, feature) == 0) return true;
    return false;
}

/* delta.deletedFileRetentionDuration as "interval N unit" (Spark's CalendarInterval syntax), ms. */
static int64_t tombstone_retention_ms(const cJSON *metadata) {
    const char *v = dl_get_str(cJSON_GetObjectItemCaseSensitive(metadata, "configuration"),
                               "delta.deletedFileRetentionDuration");
    int64_t week = INT64_C(7) * 24 * 3600 * 1000;
    if (v == NULL) return week;
    long long n;
    char unit[32];
    if (sscanf(v, "interval %lld %31s", &n, unit) != 2 || n < 0) return week;
    static const struct { const char *u; int64_t ms; } units[] = {
        {"millisecond", 1}, {"second", 1000}, {"minute", 60000}, {"hour", 3600000}, {"day", 86400000},
        {"week", 604800000}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (strncmp(unit, units[i].u, strlen(units[i].u)) == 0) return (int64_t)n * units[i].ms;
    return week;
}

/* ---- Spark's hash partitioning ------------------------------------------------------------------ */
static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }
static uint32_t mix_k1(uint32_t k) { return rotl32(k * 0xcc9e2d51u, 15) * 0x1b873593u; }
static uint32_t mix_h1(uint32_t h, uint32_t k) { return rotl32(h ^ k, 13) * 5u + 0xe6546b64u; }

int32_t dl_spark_murmur3(const void *data, size_t n, int32_t seed) {
    const unsigned char *p = data;
    uint32_t h = (uint32_t)seed;
    size_t aligned = n - n % 4;
    for (size_t i = 0; i < aligned; i += 4)
        h = mix_h1(h, mix_k1((uint32_t)p[i] | (uint32_t)p[i + 1] << 8 | (uint32_t)p[i + 2] << 16 | (uint32_t)p[i + 3] << 24));
    /* Spark's hashUnsafeBytes mixes each trailing byte as a whole (sign-extended) int */
    for (size_t i = aligned; i < n; i++) h = mix_h1(h, mix_k1((uint32_t)(int32_t)(signed char)p[i]));
    h ^= (uint32_t)n;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return (int32_t)h;
}

/* Spark's Pmod(Murmur3Hash(key columns, 42), parts): a null column leaves the hash unchanged.  -1 when
 * out of memory (a part computed without the DV id would differ from Spark's). */
static int spark_partition(const cJSON *file_action, bool with_dv, int parts) {
    int32_t h = 42;
    const char *path = file_action ? dl_get_str(file_action, "path") : NULL;
    if (path) h = dl_spark_murmur3(path, strlen(path), h);
    if (path && with_dv) {
        const cJSON *dv = cJSON_GetObjectItemCaseSensitive(file_action, "deletionVector");
        const char *type = dl_get_str(dv, "storageType"), *pod = dl_get_str(dv, "pathOrInlineDv");
        if (type && pod) {
            /* uniqueId: storageType + pathOrInlineDv (+ "@" + offset) */
            char off[32] = "";
            int64_t o;
            if (dl_get_i64(dv, "offset", &o)) snprintf(off, sizeof off, "@%lld", (long long)o);
            size_t n = strlen(type) + strlen(pod) + strlen(off);
            char *id = llmd_malloc(n + 1);
            if (id == NULL) return -1;
            snprintf(id, n + 1, "%s%s%s", type, pod, off);
            h = dl_spark_murmur3(id, n, h);
            llmd_free(id);
        }
    }
    int r = h % parts;
    return r < 0 ? r + parts : r;
}

/* ---- the rows of a checkpoint ------------------------------------------------------------------------- */
typedef struct ckpt_rows {
    dl_ckpt_row *r;
    size_t n, cap;
    int64_t adds, files;   /* add rows; add + remove rows */
} ckpt_rows;

static void rows_free(ckpt_rows *rs) {
    for (size_t i = 0; i < rs->n; i++) cJSON_Delete(rs->r[i].body);
    llmd_free(rs->r);
    memset(rs, 0, sizeof *rs);
}

/* Takes over body (NULL = out of memory). */
static llmd_status rows_push(ckpt_rows *rs, int col, cJSON *body) {
    if (body == NULL) return llmd_fail_nomem("building a Delta checkpoint");
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 64;
        dl_ckpt_row *r = llmd_realloc(rs->r, rs->cap * sizeof *r, cap * sizeof *r);
        if (r == NULL) { cJSON_Delete(body); return llmd_fail_nomem("building a Delta checkpoint"); }
        rs->r = r;
        rs->cap = cap;
    }
    rs->r[rs->n++] = (dl_ckpt_row){col, body, 0};
    if (col == DL_CK_ADD) rs->adds++;
    if (col == DL_CK_ADD || col == DL_CK_REMOVE) rs->files++;
    return LLMD_OK;
}

/* A checkpoint's copy of a file action, dataChange false (NULL when out of memory). */
static cJSON *file_row(const cJSON *action) {
    cJSON *a = cJSON_Duplicate(action, true), *f = a ? cJSON_CreateFalse() : NULL;
    if (f == NULL) { cJSON_Delete(a); return NULL; }
    bool ok = cJSON_GetObjectItemCaseSensitive(a, "dataChange") ? cJSON_ReplaceItemInObjectCaseSensitive(a, "dataChange", f)
                                                                : cJSON_AddItemToObject(a, "dataChange", f);
    /* either call leaves f with us when its key copy fails */
    if (!ok) { cJSON_Delete(f); cJSON_Delete(a); return NULL; }
    return a;
}

/* Non-file actions first (protocol, metaData, txn, domainMetadata), then adds in path order, then
 * the tombstones younger than the retention (remove's tags and stats dropped, as Spark does). */
static llmd_status collect_rows(const llmd_delta_snapshot *s, int64_t tombstone_cutoff, ckpt_rows *rs) {
    llmd_status st = rows_push(rs, DL_CK_PROTOCOL, cJSON_Duplicate(s->state.protocol, true));
    if (st == LLMD_OK) st = rows_push(rs, DL_CK_METADATA, cJSON_Duplicate(s->state.metadata, true));
    for (size_t i = 0; st == LLMD_OK && i < s->state.txns.cap; i++) {
        if (!s->state.txns.slots[i].key) continue;
        const dl_txn_entry *e = s->state.txns.slots[i].val;
        cJSON *tx = cJSON_CreateObject();
        bool ok = tx && cJSON_AddStringToObject(tx, "appId", s->state.txns.slots[i].key) &&
                  cJSON_AddNumberToObject(tx, "version", (double)e->version) &&
                  (e->last_updated < 0 || cJSON_AddNumberToObject(tx, "lastUpdated", (double)e->last_updated));
        if (!ok) { cJSON_Delete(tx); tx = NULL; }
        st = rows_push(rs, DL_CK_TXN, tx);
    }
    for (size_t i = 0; st == LLMD_OK && i < s->state.domains.cap; i++)
        if (s->state.domains.slots[i].key)
            st = rows_push(rs, DL_CK_DOMAIN, cJSON_Duplicate(s->state.domains.slots[i].val, true));
    for (size_t i = 0; st == LLMD_OK && i < s->n_files; i++) st = rows_push(rs, DL_CK_ADD, file_row(s->file_src[i]->action));
    for (size_t i = 0; st == LLMD_OK && i < s->state.tombstones.cap; i++) {
        if (!s->state.tombstones.slots[i].key) continue;
        const dl_file *f = s->state.tombstones.slots[i].val;
        int64_t del = 0;
        if (dl_get_i64(f->action, "deletionTimestamp", &del) && del < tombstone_cutoff) continue;   /* expired */
        cJSON *a = file_row(f->action);
        if (a) { cJSON_DeleteItemFromObjectCaseSensitive(a, "tags"); cJSON_DeleteItemFromObjectCaseSensitive(a, "stats"); }
        st = rows_push(rs, DL_CK_REMOVE, a);
    }
    return st;
}

static int64_t file_mtime_ms(const char *path, int64_t *size) {
    struct stat sb;
    if (stat(path, &sb) != 0) { *size = 0; return 0; }
    *size = (int64_t)sb.st_size;
    return (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000;
}

static llmd_status write_last_checkpoint(llmd_delta_table *t, llmd_buf *lc) {
    char path[4200];
    snprintf(path, sizeof path, "%s/_last_checkpoint", t->log_dir);
    /* a hint, replaced atomically; readers fall back to listing without it */
    return llmd_write_file_atomic(path, lc->data, lc->len);
}

/* ---- classic: single file or parts --------------------------------------------------------------------- */
#define CLASSIC_MASK ((1u << DL_CK_TXN) | (1u << DL_CK_ADD) | (1u << DL_CK_REMOVE) | (1u << DL_CK_METADATA) | \
                      (1u << DL_CK_PROTOCOL) | (1u << DL_CK_DOMAIN))

static llmd_status write_classic(llmd_delta_table *t, const llmd_delta_snapshot *s, ckpt_rows *rs, int parts) {
    char path[4200];
    int64_t total = 0, bytes = 0;
    llmd_status st = LLMD_OK;
    for (int p = 0; st == LLMD_OK && p < parts; p++) {
        if (parts == 1) snprintf(path, sizeof path, "%s/%020lld.checkpoint.parquet", t->log_dir, (long long)s->version);
        else snprintf(path, sizeof path, "%s/%020lld.checkpoint.%010d.%010d.parquet", t->log_dir, (long long)s->version,
                      p + 1, parts);
        int64_t n = 0, size = 0;
        st = dl_write_checkpoint_parquet(path, CLASSIC_MASK, rs->r, rs->n, parts == 1 ? -1 : p, &n);
        file_mtime_ms(path, &size);
        total += n;
        bytes += size;
    }
    if (st != LLMD_OK) return st;
    llmd_buf lc = LLMD_BUF_INIT;
    bool ok = llmd_buf_printf(&lc, "{\"version\":%lld,\"size\":%lld,", (long long)s->version, (long long)total) == LLMD_OK &&
              (parts == 1 || llmd_buf_printf(&lc, "\"parts\":%d,", parts) == LLMD_OK) &&
              llmd_buf_printf(&lc, "\"sizeInBytes\":%lld,\"numOfAddFiles\":%lld}", (long long)bytes, (long long)rs->adds) == LLMD_OK;
    st = ok ? write_last_checkpoint(t, &lc) : llmd_fail_nomem("writing _last_checkpoint");
    llmd_buf_free(&lc);
    return st;
}

/* ---- V2: sidecars + top-level file ----------------------------------------------------------------------- */
static bool put_action(llmd_buf *b, const char *action, const cJSON *body) {
    char *p = cJSON_PrintUnformatted(body);
    if (p == NULL) return false;
    bool ok = llmd_buf_printf(b, "{\"%s\":%s}", action, p) == LLMD_OK;
    cJSON_free(p);
    return ok;
}

static const char *const k_action_names[DL_CK_NCOLS] = {"txn", "add", "remove", "metaData", "protocol",
                                                        "domainMetadata", "checkpointMetadata", "sidecar"};

/* The sidecar files (one per part holding file actions); their sidecar actions are appended to rs. */
static llmd_status write_sidecars(llmd_delta_table *t, const llmd_delta_snapshot *s, ckpt_rows *rs, int parts,
                                  int64_t *bytes) {
    char dir[4200], path[4400];
    snprintf(dir, sizeof dir, "%s/_sidecars", t->log_dir);
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return llmd_fail(LLMD_ERR_IO, "%s: cannot create directory: %s", dir, strerror(errno));
    size_t n_before = rs->n;
    llmd_status st = LLMD_OK;
    for (int p = 0; st == LLMD_OK && p < parts; p++) {
        char uuid[37], name[128];
        dl_random_uuid(uuid);
        snprintf(name, sizeof name, "%020lld.checkpoint.%010d.%010d.%s.parquet", (long long)s->version, p + 1, parts, uuid);
        snprintf(path, sizeof path, "%s/%s", dir, name);
        int64_t n = 0, size = 0;
        st = dl_write_checkpoint_parquet(path, (1u << DL_CK_ADD) | (1u << DL_CK_REMOVE), rs->r, n_before, p, &n);
        if (st != LLMD_OK) break;
        int64_t mtime = file_mtime_ms(path, &size);
        *bytes += size;
        cJSON *sc = cJSON_CreateObject();
        bool ok = sc && cJSON_AddStringToObject(sc, "path", name) && cJSON_AddNumberToObject(sc, "sizeInBytes", (double)size) &&
                  cJSON_AddNumberToObject(sc, "modificationTime", (double)mtime) && cJSON_AddObjectToObject(sc, "tags");
        if (!ok) { cJSON_Delete(sc); sc = NULL; }
        st = rows_push(rs, DL_CK_SIDECAR, sc);
    }
    return st;
}

/* Spark's thresholds (LAST_CHECKPOINT_NON_FILE_ACTIONS_THRESHOLD / _SIDECARS_THRESHOLD) */
#define LAST_CHECKPOINT_MAX_ACTIONS 30

static bool put_action_list(llmd_buf *b, const char *field, const ckpt_rows *rs, bool sidecars) {
    size_t count = 0;
    for (size_t i = 0; i < rs->n; i++)
        if ((rs->r[i].col == DL_CK_SIDECAR) == sidecars && rs->r[i].col != DL_CK_ADD && rs->r[i].col != DL_CK_REMOVE) count++;
    if (count > LAST_CHECKPOINT_MAX_ACTIONS) return true;   /* too big to embed: readers read the file */
    bool ok = llmd_buf_printf(b, ",\"%s\":[", field) == LLMD_OK;
    bool first = true;
    for (size_t i = 0; ok && i < rs->n; i++) {
        int c = rs->r[i].col;
        if ((c == DL_CK_SIDECAR) != sidecars || c == DL_CK_ADD || c == DL_CK_REMOVE) continue;
        if (!first) ok = llmd_buf_putc(b, ',') == LLMD_OK;
        first = false;
        if (sidecars) {
            char *p = cJSON_PrintUnformatted(rs->r[i].body);
            ok = ok && p && llmd_buf_puts(b, p) == LLMD_OK;
            cJSON_free(p);
        } else {
            ok = ok && put_action(b, k_action_names[c], rs->r[i].body);
        }
    }
    return ok && llmd_buf_putc(b, ']') == LLMD_OK;
}

static llmd_status write_v2(llmd_delta_table *t, const llmd_delta_snapshot *s, ckpt_rows *rs, int parts, bool top_parquet) {
    int64_t bytes = 0;
    size_t n_file_rows = (size_t)rs->files;
    llmd_status st = rs->files > 0 ? write_sidecars(t, s, rs, parts, &bytes) : LLMD_OK;
    if (st != LLMD_OK) return st;
    cJSON *cm = cJSON_CreateObject();
    if (cm && (!cJSON_AddNumberToObject(cm, "version", (double)s->version) || !cJSON_AddObjectToObject(cm, "tags"))) {
        cJSON_Delete(cm);
        cm = NULL;
    }
    if ((st = rows_push(rs, DL_CK_CKPT_META, cm)) != LLMD_OK) return st;
    char uuid[37], name[128], path[4400];
    dl_random_uuid(uuid);
    snprintf(name, sizeof name, "%020lld.checkpoint.%s.%s", (long long)s->version, uuid, top_parquet ? "parquet" : "json");
    snprintf(path, sizeof path, "%s/%s", t->log_dir, name);
    int64_t top_rows = 0;
    if (top_parquet) {
        unsigned mask = CLASSIC_MASK | (1u << DL_CK_CKPT_META) | (1u << DL_CK_SIDECAR);
        /* file actions live in the sidecars only: skip them here */
        for (size_t i = 0; i < rs->n; i++) rs->r[i].part = (rs->r[i].col == DL_CK_ADD || rs->r[i].col == DL_CK_REMOVE) ? -1 : 0;
        st = dl_write_checkpoint_parquet(path, mask, rs->r, rs->n, 0, &top_rows);
    } else {
        /* checkpointMetadata first, then sidecars, then the other non-file actions (as Spark) */
        llmd_buf b = LLMD_BUF_INIT;
        bool ok = put_action(&b, "checkpointMetadata", cm) && llmd_buf_putc(&b, '\n') == LLMD_OK;
        top_rows = 1;
        for (int pass = 0; pass < 2; pass++)
            for (size_t i = 0; ok && i < rs->n; i++) {
                int c = rs->r[i].col;
                if (c == DL_CK_ADD || c == DL_CK_REMOVE || c == DL_CK_CKPT_META || (c == DL_CK_SIDECAR) != (pass == 0)) continue;
                ok = put_action(&b, k_action_names[c], rs->r[i].body) && llmd_buf_putc(&b, '\n') == LLMD_OK;
                top_rows++;
            }
        st = ok ? llmd_write_file_exclusive(path, b.data, b.len) : llmd_fail_nomem("writing a V2 checkpoint");
        llmd_buf_free(&b);
    }
    if (st != LLMD_OK) return st;
    int64_t size = 0, mtime = file_mtime_ms(path, &size);
    llmd_buf lc = LLMD_BUF_INIT;
    bool ok = llmd_buf_printf(&lc, "{\"version\":%lld,\"size\":%lld,\"sizeInBytes\":%lld,\"numOfAddFiles\":%lld,"
                                   "\"v2Checkpoint\":{\"path\":\"%s\",\"sizeInBytes\":%lld,\"modificationTime\":%lld",
                              (long long)s->version, (long long)(top_rows + (int64_t)n_file_rows), (long long)(bytes + size),
                              (long long)rs->adds, name, (long long)size, (long long)mtime) == LLMD_OK &&
              put_action_list(&lc, "nonFileActions", rs, false) && put_action_list(&lc, "sidecarFiles", rs, true) &&
              llmd_buf_puts(&lc, "}}") == LLMD_OK;
    st = ok ? write_last_checkpoint(t, &lc) : llmd_fail_nomem("writing _last_checkpoint");
    llmd_buf_free(&lc);
    return st;
}

/* ---- entry points ------------------------------------------------------------------------------------------ */
llmd_status dl_write_checkpoint(llmd_delta_table *t, const llmd_delta_snapshot *s, const llmd_delta_checkpoint_options *opts) {
    llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    if (opts) o = *opts;
    bool v2_table = dl_has_feature(s->state.protocol, "writerFeatures", "v2Checkpoint");
    bool v2 = o.kind == LLMD_DELTA_CHECKPOINT_V2 || (o.kind == LLMD_DELTA_CHECKPOINT_AUTO && v2_table);
    if (v2 && !v2_table)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "table %s lacks the v2Checkpoint feature a V2 checkpoint needs "
                                               "(create it with delta.checkpointPolicy=v2)", t->path);
    if (o.v2_parquet && !v2)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "a Parquet top-level file (v2_parquet) is for V2 checkpoints; table %s "
                                               "gets a classic one", t->path);
    ckpt_rows rs = {0};
    llmd_status st = collect_rows(s, dl_now_ms() - tombstone_retention_ms(s->state.metadata), &rs);
    uint64_t parts = 1;
    if (o.parts > 0) parts = o.parts;
    else if (o.part_size > 0 && rs.files > 0) parts = ((uint64_t)rs.files + o.part_size - 1) / o.part_size;
    if (st == LLMD_OK && parts > INT32_MAX)
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "checkpoint part size %llu gives %llu parts (too many)",
                       (unsigned long long)o.part_size, (unsigned long long)parts);
    if (st == LLMD_OK && !v2 && v2_table && parts > 1)
        st = llmd_fail(LLMD_ERR_UNSUPPORTED, "table %s has the v2Checkpoint feature: multi-part checkpoints are "
                                             "forbidden there (PROTOCOL.md); use a V2 checkpoint with sidecars", t->path);
    if (st == LLMD_OK) {
        bool with_dv = dl_has_feature(s->state.protocol, "readerFeatures", "deletionVectors");
        for (size_t i = 0; st == LLMD_OK && i < rs.n; i++) {
            bool file = rs.r[i].col == DL_CK_ADD || rs.r[i].col == DL_CK_REMOVE;
            rs.r[i].part = spark_partition(file ? rs.r[i].body : NULL, with_dv, (int)parts);
            if (rs.r[i].part < 0) st = llmd_fail_nomem("partitioning a Delta checkpoint");
        }
        if (st == LLMD_OK) st = v2 ? write_v2(t, s, &rs, (int)parts, o.v2_parquet) : write_classic(t, s, &rs, (int)parts);
    }
    rows_free(&rs);
    return st;
}

llmd_status llmd_delta_checkpoint_with(llmd_delta_table *t, const llmd_delta_checkpoint_options *opts, int64_t *version) {
    if (t == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_checkpoint_with: NULL table");
    if (opts && opts->version != LLMD_DELTA_CHECKPOINT_OPTIONS_VERSION)
        return llmd_fail(LLMD_ERR_VERSION, "llmd_delta_checkpoint_options version %u (expected %u)", opts->version,
                         LLMD_DELTA_CHECKPOINT_OPTIONS_VERSION);
    if (opts && (opts->kind < LLMD_DELTA_CHECKPOINT_AUTO || opts->kind > LLMD_DELTA_CHECKPOINT_V2))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_checkpoint_options: unknown kind %d", opts->kind);
    llmd_delta_snapshot *s = NULL;
    llmd_status st = llmd_delta_snapshot_latest(&s, t);
    if (st != LLMD_OK) return st;
    st = dl_write_checkpoint(t, s, opts);
    if (st == LLMD_OK && version) *version = s->version;
    llmd_delta_snapshot_free(s);
    return st;
}

llmd_status llmd_delta_checkpoint(llmd_delta_table *t, int64_t *version) {
    if (t == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_checkpoint: NULL table");
    return llmd_delta_checkpoint_with(t, NULL, version);
}
