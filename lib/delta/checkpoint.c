/* Checkpoints.  Classic checkpoints are Parquet (written once the Parquet module is linked in);
 * tables with the v2Checkpoint feature get V2 checkpoints, which the protocol allows as JSON:
 * `v.checkpoint.<uuid>.json` holding checkpointMetadata, protocol, metaData, txn, domainMetadata,
 * add (dataChange false) and the unexpired remove tombstones, then `_last_checkpoint`. */
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

static bool put_line(llmd_buf *b, const char *action, const cJSON *body) {
    char *p = cJSON_PrintUnformatted(body);
    if (p == NULL) return false;
    bool ok = llmd_buf_printf(b, "{\"%s\":%s}\n", action, p) == LLMD_OK;
    cJSON_free(p);
    return ok;
}

static bool put_map(llmd_buf *b, const dl_map *m, const char *action, bool files, int64_t *count, int64_t cutoff) {
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i].key) continue;
        const cJSON *body = files ? ((const dl_file *)m->slots[i].val)->action : m->slots[i].val;
        if (cutoff != INT64_MIN) {
            int64_t del = 0;
            if (dl_get_i64(body, "deletionTimestamp", &del) && del < cutoff) continue;   /* expired */
        }
        cJSON *copy = NULL;
        if (strcmp(action, "add") == 0) {
            copy = cJSON_Duplicate(body, true);
            if (!copy) return false;
            cJSON_ReplaceItemInObjectCaseSensitive(copy, "dataChange", cJSON_CreateFalse());
        }
        bool ok = put_line(b, action, copy ? copy : body);
        cJSON_Delete(copy);
        if (!ok) return false;
        (*count)++;
    }
    return true;
}

llmd_status dl_write_v2_checkpoint(llmd_delta_table *t, const llmd_delta_snapshot *s) {
    llmd_buf b = LLMD_BUF_INIT;
    int64_t n = 0;
    bool ok = llmd_buf_printf(&b, "{\"checkpointMetadata\":{\"version\":%lld}}\n", (long long)s->version) == LLMD_OK;
    n++;
    ok = ok && put_line(&b, "protocol", s->state.protocol) && put_line(&b, "metaData", s->state.metadata);
    n += 2;
    for (size_t i = 0; ok && i < s->state.txns.cap; i++) {
        if (!s->state.txns.slots[i].key) continue;
        const dl_txn_entry *e = s->state.txns.slots[i].val;
        ok = llmd_buf_puts(&b, "{\"txn\":{\"appId\":") == LLMD_OK &&
             llmd_buf_put_json_string(&b, s->state.txns.slots[i].key, strlen(s->state.txns.slots[i].key)) == LLMD_OK &&
             llmd_buf_printf(&b, ",\"version\":%lld", (long long)e->version) == LLMD_OK &&
             (e->last_updated < 0 || llmd_buf_printf(&b, ",\"lastUpdated\":%lld", (long long)e->last_updated) == LLMD_OK) &&
             llmd_buf_puts(&b, "}}\n") == LLMD_OK;
        n++;
    }
    int64_t adds = 0;
    ok = ok && put_map(&b, &s->state.domains, "domainMetadata", false, &n, INT64_MIN);
    ok = ok && put_map(&b, &s->state.files, "add", true, &adds, INT64_MIN);
    n += adds;
    ok = ok && put_map(&b, &s->state.tombstones, "remove", true, &n,
                       dl_now_ms() - tombstone_retention_ms(s->state.metadata));
    if (!ok) { llmd_buf_free(&b); return llmd_fail_nomem("writing a Delta checkpoint"); }
    char uuid[37], name[128], path[4096];
    dl_random_uuid(uuid);
    snprintf(name, sizeof name, "%020lld.checkpoint.%s.json", (long long)s->version, uuid);
    snprintf(path, sizeof path, "%s/%s", t->log_dir, name);
    llmd_status st = llmd_write_file_exclusive(path, b.data, b.len);
    size_t size = b.len;
    llmd_buf_free(&b);
    if (st != LLMD_OK) return st;
    /* _last_checkpoint: a hint, replaced atomically; readers fall back to listing without it */
    struct stat sb;
    int64_t mtime = stat(path, &sb) == 0 ? (int64_t)sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000 : 0;
    llmd_buf lc = LLMD_BUF_INIT;
    ok = llmd_buf_printf(&lc, "{\"version\":%lld,\"size\":%lld,\"sizeInBytes\":%zu,\"numOfAddFiles\":%lld,"
                              "\"v2Checkpoint\":{\"path\":\"%s\",\"sizeInBytes\":%zu,\"modificationTime\":%lld}}",
                         (long long)s->version, (long long)n, size, (long long)adds, name, size, (long long)mtime) == LLMD_OK;
    snprintf(path, sizeof path, "%s/_last_checkpoint", t->log_dir);
    st = ok ? llmd_write_file_atomic(path, lc.data, lc.len) : llmd_fail_nomem("writing _last_checkpoint");
    llmd_buf_free(&lc);
    return st;
}

/* V2 JSON for tables with the v2Checkpoint feature, else a classic single-file Parquet one. */
llmd_status dl_write_checkpoint(llmd_delta_table *t, const llmd_delta_snapshot *s) {
    if (dl_has_feature(s->state.protocol, "writerFeatures", "v2Checkpoint")) return dl_write_v2_checkpoint(t, s);
    return dl_write_classic_checkpoint(t, s, dl_now_ms() - tombstone_retention_ms(s->state.metadata));
}

llmd_status llmd_delta_checkpoint(llmd_delta_table *t, int64_t *version) {
    if (t == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_checkpoint: NULL table");
    llmd_delta_snapshot *s = NULL;
    llmd_status st = llmd_delta_snapshot_latest(&s, t);
    if (st != LLMD_OK) return st;
    st = dl_write_checkpoint(t, s);
    if (st == LLMD_OK && version) *version = s->version;
    llmd_delta_snapshot_free(s);
    return st;
}
