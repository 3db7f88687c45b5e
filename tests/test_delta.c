/* Delta transaction log: replay of real tables (delta-rs and Spark) against an independent Python
 * replay written from PROTOCOL.md (tests/delta/replay_ref.py) and delta-kernel-rs's golden-table
 * expectations; the pure replay on hostile logs; writing, conflicts, concurrent writers, crashes. */
/* Fixture paths are built from LLMD_SHARED_DIR into PATH_MAX buffers; gcc -O3 cannot prove they
 * fit, and a truncated path would only fail the open with a clear error. */
#pragma GCC diagnostic ignored "-Wformat-truncation"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"
#include "delta/values.h"
#include "testutil.h"

/* Of the 46 kernel-golden tables with Spark's expected rows, one differs for a reason outside the
 * reader: data-reader-partition-values stores a timestamp partition value in the writer's session
 * time zone (PST) while the protocol reads it as UTC. */
#define SCAN_MIN_MATCH 45
/* ---- helpers ---------------------------------------------------------------------------------------- */
static char g_tmp[512];

static void make_tmp(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/llmd_delta_test.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_tmp));
}

static void rm_rf(const char *path) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static char *read_cmd(const char *cmd) {
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - len - 1, p)) > 0) {
        len += r;
        if (len + 1 == cap) buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    int rc = pclose(p);
    ck_assert_msg(rc == 0, "command failed (%d): %s", rc, cmd);
    return buf;
}

static bool ci_mode(void) {
    const char *ci = getenv("CI");
    return ci && strcmp(ci, "true") == 0;
}

static const char *shared_tables(void) {
    static char dir[4096];
    const char *s = test_shared_dir();
    if (s == NULL) return NULL;
    snprintf(dir, sizeof dir, "%s/delta-tables", s);
    struct stat sb;
    return stat(dir, &sb) == 0 ? dir : NULL;
}

static const char *k_schema = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"
                              "\"metadata\":{}},{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";

static llmd_delta_table *create_table(const char *dir, bool partitioned) {
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *parts[] = {"part"};
    o.schema_json = k_schema;
    o.partition_columns = parts;
    o.n_partition_columns = partitioned ? 1 : 0;
    ck_ok(llmd_delta_table_create(t, &o));
    return t;
}

/* part: NULL = unpartitioned table, NULL_PART = the null partition value */
static const char NULL_PART[] = "<null>";
static llmd_status add_path(llmd_delta_txn *x, const char *path, const char *part) {
    llmd_delta_add a = LLMD_DELTA_ADD_INIT;
    const char *k[] = {"part"}, *v[] = {part == NULL_PART ? NULL : part};
    a.path = path;
    a.size = 100;
    a.partition_keys = k;
    a.partition_values = v;
    a.n_partitions = part ? 1 : 0;
    return llmd_delta_txn_add(x, &a);
}

static int64_t append_one(llmd_delta_table *t, const char *path) {
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(add_path(x, path, NULL));
    int64_t v = -1;
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    return v;
}

static size_t file_count_at(llmd_delta_table *t, int64_t version) {
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_at_version(&s, t, version));
    size_t n = llmd_delta_snapshot_file_count(s);
    llmd_delta_snapshot_free(s);
    return n;
}

static bool snapshot_has(const llmd_delta_snapshot *s, const char *path) {
    for (size_t i = 0; i < llmd_delta_snapshot_file_count(s); i++) {
        llmd_delta_file f;
        ck_ok(llmd_delta_snapshot_file(s, i, &f));
        if (strcmp(f.path, path) == 0) return true;
    }
    return false;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Our file keys (path, or path "\n" dv id) at a version, sorted; NULL on error. */
static char **our_keys(llmd_delta_table *t, int64_t version, size_t *n, llmd_status *st) {
    llmd_delta_snapshot *s = NULL;
    *st = llmd_delta_snapshot_at_version(&s, t, version);
    if (*st != LLMD_OK) return NULL;
    *n = llmd_delta_snapshot_file_count(s);
    char **keys = calloc(*n + 1, sizeof *keys);
    for (size_t i = 0; i < *n; i++) {
        llmd_delta_file f;
        ck_ok(llmd_delta_snapshot_file(s, i, &f));
        char buf[8192] = "";
        if (f.deletion_vector_json) {
            cJSON *dv = cJSON_Parse(f.deletion_vector_json);
            const cJSON *off = cJSON_GetObjectItem(dv, "offset");
            char offs[32] = "";
            if (cJSON_IsNumber(off)) snprintf(offs, sizeof offs, "@%lld", (long long)off->valuedouble);
            snprintf(buf, sizeof buf, "%s\n%s%s%s", f.path, cJSON_GetObjectItem(dv, "storageType")->valuestring,
                     cJSON_GetObjectItem(dv, "pathOrInlineDv")->valuestring, offs);
            cJSON_Delete(dv);
        } else {
            snprintf(buf, sizeof buf, "%s", f.path);
        }
        keys[i] = strdup(buf);
    }
    qsort(keys, *n, sizeof *keys, cmp_str);
    llmd_delta_snapshot_free(s);
    return keys;
}

/* Compares every version the Python reference reconstructs with our snapshot at that version.
 * Returns the number of versions compared. */
static int compare_with_reference(const char *table) {
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/delta/replay_ref.py' '%s'", test_srcdir(), table);
    char *out = read_cmd(cmd);
    cJSON *ref = cJSON_Parse(out);
    ck_assert_msg(ref != NULL, "reference output is not JSON for %s", table);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, table, NULL));
    int compared = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, cJSON_GetObjectItem(ref, "versions")) {
        int64_t version = strtoll(v->string, NULL, 10);
        size_t n = 0;
        llmd_status st;
        char **keys = our_keys(t, version, &n, &st);
        const cJSON *err = cJSON_GetObjectItem(v, "error");
        if (!cJSON_IsNull(err)) {
            ck_assert_msg(st != LLMD_OK, "%s@%lld: reference refuses (%s) but we read it", table, (long long)version,
                          err->valuestring);
            continue;
        }
        ck_assert_msg(st == LLMD_OK, "%s@%lld: %s", table, (long long)version, llmd_last_error());
        const cJSON *files = cJSON_GetObjectItem(v, "files");
        size_t rn = (size_t)cJSON_GetArraySize(files);
        char **rk = calloc(rn + 1, sizeof *rk);
        size_t i = 0;
        const cJSON *f;
        cJSON_ArrayForEach(f, files) {
            const cJSON *p = cJSON_GetArrayItem(f, 0), *d = cJSON_GetArrayItem(f, 1);
            char buf[8192];
            if (cJSON_IsString(d)) snprintf(buf, sizeof buf, "%s\n%s", p->valuestring, d->valuestring);
            else snprintf(buf, sizeof buf, "%s", p->valuestring);
            rk[i++] = strdup(buf);
        }
        qsort(rk, rn, sizeof *rk, cmp_str);
        ck_assert_msg(rn == n, "%s@%lld: %zu files, reference %zu", table, (long long)version, n, rn);
        for (i = 0; i < n; i++) ck_assert_msg(strcmp(keys[i], rk[i]) == 0, "%s@%lld: file %zu '%s' vs reference '%s'",
                                              table, (long long)version, i, keys[i], rk[i]);
        for (i = 0; i < n; i++) { free(keys[i]); free(rk[i]); }
        free(keys);
        free(rk);
        compared++;
    }
    llmd_delta_table_free(t);
    cJSON_Delete(ref);
    free(out);
    return compared;
}

/* Every table directory under the shared set: <x>/ with _delta_log, kernel-golden/<x>/delta. */
static size_t list_tables(const char *root, char ***out) {
    size_t n = 0, cap = 128;
    char **v = calloc(cap, sizeof *v);
    const char *subs[] = {"", "kernel-golden/"};
    for (int s = 0; s < 2; s++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/%s", root, subs[s]);
        DIR *d = opendir(dir);
        if (!d) continue;
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.') continue;
            char p[8192], log[8400];
            snprintf(p, sizeof p, "%s%s%s", dir, de->d_name, s ? "/delta" : "");
            snprintf(log, sizeof log, "%s/_delta_log", p);
            struct stat sb;
            if (stat(log, &sb) != 0) continue;
            if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
            v[n++] = strdup(p);
        }
        closedir(d);
    }
    *out = v;
    return n;
}

/* ---- real tables ------------------------------------------------------------------------------------------ */
START_TEST(test_real_tables_match_reference) {
    const char *root = shared_tables();
    ck_assert_msg(root != NULL, "../shared/delta-tables is missing");
    char **tables;
    size_t n = list_tables(root, &tables);
    ck_assert_msg(n >= 60, "only %zu tables found under %s", n, root);
    int versions = 0;
    for (size_t i = 0; i < n; i++) {
        versions += compare_with_reference(tables[i]);
        free(tables[i]);
    }
    free(tables);
    ck_assert_msg(versions >= 100, "only %d versions compared", versions);
}
END_TEST

static void golden_path(char *out, size_t n, const char *name) {
    snprintf(out, n, "%s/kernel-golden/%s/delta", shared_tables(), name);
}

static llmd_status golden_latest(const char *name, llmd_delta_snapshot **s) {
    char p[4096];
    golden_path(p, sizeof p, name);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, p, NULL));
    llmd_status st = llmd_delta_snapshot_latest(s, t);
    llmd_delta_table_free(t);
    return st;
}

/* delta-kernel-rs golden_tables.rs: negative_test!(...) and the expectations it states in comments. */
START_TEST(test_golden_expectations) {
    ck_assert_msg(shared_tables() != NULL, "../shared/delta-tables is missing");
    llmd_delta_snapshot *s = NULL;
    ck_fails(golden_latest("deltalog-invalid-protocol-version", &s), LLMD_ERR_UNSUPPORTED, "reader version 99");
    ck_fails(golden_latest("deltalog-state-reconstruction-without-metadata", &s), LLMD_ERR_CORRUPT, "no metaData");
    ck_fails(golden_latest("deltalog-state-reconstruction-without-protocol", &s), LLMD_ERR_CORRUPT, "no protocol");
    ck_assert_int_ne(golden_latest("deltalog-state-reconstruction-from-checkpoint-missing-metadata", &s), LLMD_OK);
    ck_fails(golden_latest("no-delta-log-folder", &s), LLMD_ERR_NOT_FOUND, "not a Delta table");
    ck_fails(golden_latest("versions-not-contiguous", &s), LLMD_ERR_CORRUPT, "version 1 is missing");
    ck_assert_ptr_null(s);

    /* two adds of `foo` in different commits with a remove between: the second stays, mtime 1700000000000 */
    ck_ok(golden_latest("delete-re-add-same-file-different-transactions", &s));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
    llmd_delta_file f;
    ck_ok(llmd_delta_snapshot_file(s, 1, &f));
    ck_assert_str_eq(f.path, "foo");
    ck_assert_int_eq(f.modification_time, 1700000000000LL);
    llmd_delta_snapshot_free(s);
    /* file:/x, file:///x and /x are one file: the remove cancels the add */
    const char *canon[] = {"canonicalized-paths-normal-a", "canonicalized-paths-normal-b", "canonicalized-paths-special-a"};
    for (int i = 0; i < 3; i++) {
        ck_ok(golden_latest(canon[i], &s));
        ck_assert_msg(llmd_delta_snapshot_file_count(s) == 0, "%s: %zu files", canon[i], llmd_delta_snapshot_file_count(s));
        llmd_delta_snapshot_free(s);
    }
    /* the decoded path of special%20p@%23h */
    ck_ok(golden_latest("log-replay-special-characters-b", &s));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 1);
    ck_ok(llmd_delta_snapshot_file(s, 0, &f));
    ck_assert_str_eq(f.path, "special p@#h");
    ck_assert_str_eq(f.raw_path, "special%20p@%23h");
    llmd_delta_snapshot_free(s);
    /* getLatestTransactionVersion(fakeAppId) == 3, none for another app */
    ck_ok(golden_latest("deltalog-getChanges", &s));
    int64_t v = -1;
    ck_ok(llmd_delta_snapshot_app_version(s, "fakeAppId", &v));
    ck_assert_int_eq(v, 3);
    ck_fails(llmd_delta_snapshot_app_version(s, "nonExistentAppId", &v), LLMD_ERR_NOT_FOUND, "nonExistentAppId");
    llmd_delta_snapshot_free(s);
    /* a deletion vector makes the same path a different file: only the newest DV variant is active */
    ck_ok(golden_latest("log-replay-dv-key-cases", &s));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 1);
    ck_ok(llmd_delta_snapshot_file(s, 0, &f));
    ck_assert_ptr_nonnull(strstr(f.deletion_vector_json, "^jP?.<zvDfIGb{C.FPij"));
    llmd_delta_snapshot_free(s);
    /* newest protocol and metaData win */
    ck_ok(golden_latest("log-replay-latest-metadata-protocol", &s));
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_protocol_json(s), "\"minReaderVersion\":3"));
    llmd_delta_snapshot_free(s);
    /* partition values with a null and a Hive-escaped timestamp directory */
    ck_ok(golden_latest("data-reader-partition-values", &s));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 3);
    ck_ok(llmd_delta_snapshot_file(s, 0, &f));
    ck_assert_ptr_nonnull(strstr(f.path, "as_timestamp=2021-09-08 11%3A11%3A11/"));
    ck_assert_ptr_nonnull(strstr(f.partition_values_json, "\"as_timestamp\":\"2021-09-08 11:11:11\""));
    ck_ok(llmd_delta_snapshot_file(s, 2, &f));
    ck_assert_ptr_nonnull(strstr(f.partition_values_json, "\"as_int\":null"));
    llmd_delta_snapshot_free(s);
    /* vacuum keeps the deletion-vector file of a live file; old tombstones' vectors may go (dry run) */
    {
        char p2[4096];
        snprintf(p2, sizeof p2, "%s/table-with-dv-small", shared_tables());
        llmd_delta_table *dt = NULL;
        ck_ok(llmd_delta_table_open(&dt, p2, NULL));
        llmd_delta_vacuum_options vo = LLMD_DELTA_VACUUM_OPTIONS_INIT;
        vo.dry_run = true;
        vo.retention_hours = 0;
        vo.allow_short_retention = true;
        char *rep = NULL;
        ck_ok(llmd_delta_vacuum(dt, &vo, &rep));
        ck_assert_str_eq(rep, "{\"dryRun\":true,\"count\":0,\"bytes\":0,\"files\":[]}");
        llmd_free(rep);
        llmd_delta_table_free(dt);
        golden_path(p2, sizeof p2, "log-replay-dv-key-cases");
        ck_ok(llmd_delta_table_open(&dt, p2, NULL));
        ck_ok(llmd_delta_vacuum(dt, &vo, &rep));
        /* the live file's vector ("^jP?.<zvDfIGb{C.FPij" = d12e7d16-...) stays */
        ck_assert_ptr_null(strstr(rep, "d12e7d16"));
        ck_assert_ptr_nonnull(strstr(rep, "\"count\":2"));
        llmd_free(rep);
        llmd_delta_table_free(dt);
    }
    /* delta-rs's simple_table_features lists an unknown reader feature under reader version 5 */
    char p[4096];
    snprintf(p, sizeof p, "%s/simple_table_features", shared_tables());
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, p, NULL));
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_UNSUPPORTED, "reader version 5");
    llmd_delta_table_free(t);
}
END_TEST

/* Canonical text of a JSON row: keys sorted (object key order is not part of a row's value). */
static char *canonical_row(cJSON *o) {
    int n = cJSON_GetArraySize(o);
    cJSON **items = calloc((size_t)n + 1, sizeof *items);
    int k = 0;
    for (cJSON *c = o->child; c; c = c->next) items[k++] = c;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(items[j - 1]->string, items[j]->string) > 0; j--) {
            cJSON *t = items[j]; items[j] = items[j - 1]; items[j - 1] = t;
        }
    size_t cap = 256, len = 0;
    char *out = malloc(cap);
    out[len++] = '{';
    for (int i = 0; i < n; i++) {
        char *v = cJSON_PrintUnformatted(items[i]);
        /* numbers compare by value: 1 and 1.0 are one value */
        if (cJSON_IsNumber(items[i])) { cJSON_free(v); v = malloc(64); snprintf(v, 64, "%.17g", items[i]->valuedouble); }
        else if (cJSON_IsRaw(items[i])) { char *e; double d = strtod(items[i]->valuestring, &e);
            if (*e == '\0') { cJSON_free(v); v = malloc(64); snprintf(v, 64, "%.17g", d); } }
        size_t need = strlen(items[i]->string) + strlen(v) + 8;
        while (len + need >= cap) out = realloc(out, cap *= 2);
        len += (size_t)sprintf(out + len, "%s\"%s\":%s", i ? "," : "", items[i]->string, v);
        free(v);
    }
    out = realloc(out, len + 2);
    out[len++] = '}';
    out[len] = '\0';
    free(items);
    return out;
}

typedef struct rows { char **r; size_t n, cap; } rows;
static void rows_add(rows *x, char *s) {
    if (x->n == x->cap) x->r = realloc(x->r, (x->cap = x->cap ? x->cap * 2 : 64) * sizeof *x->r);
    x->r[x->n++] = s;
}
static void rows_free(rows *x) { for (size_t i = 0; i < x->n; i++) free(x->r[i]); free(x->r); }

/* Spark's expected rows: every Parquet file in expected/ read with the Parquet reader. */
static bool expected_rows(const char *dir, rows *out) {
    DIR *d = opendir(dir);
    if (!d) return false;
    struct dirent *de;
    bool ok = true;
    while (ok && (de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n < 8 || strcmp(de->d_name + n - 8, ".parquet") != 0) continue;
        char p[16384];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        llmd_parquet_reader *r = NULL;
        if (llmd_parquet_reader_open(&r, p, NULL) != LLMD_OK) { ok = false; break; }
        const llmd_schema *sc = llmd_parquet_reader_schema(r);
        for (int g = 0; ok && g < llmd_parquet_reader_num_row_groups(r); g++) {
            llmd_parquet_batch *b = NULL;
            if (llmd_parquet_reader_read_row_group(r, g, &b) != LLMD_OK) { ok = false; break; }
            for (int64_t i = 0; i < llmd_parquet_batch_rows(b); i++) {
                cJSON *o = cJSON_CreateObject();
                for (size_t k = 0; k < llmd_parquet_batch_num_columns(b); k++) {
                    int f = llmd_parquet_batch_field(b, k);
                    cJSON_AddItemToObject(o, llmd_schema_name(sc, f),
                                          dl_value_json(sc, f, llmd_parquet_batch_column(b, k), i, DL_JSON_ROWS));
                }
                rows_add(out, canonical_row(o));
                cJSON_Delete(o);
            }
            llmd_parquet_batch_free(b);
        }
        llmd_parquet_reader_free(r);
    }
    closedir(d);
    return ok;
}

/* Our scan of every kernel-golden table that ships Spark's expected rows equals those rows (as
 * multisets).  Tables whose data files or expected files the Parquet reader cannot read yet are
 * listed, not hidden: the test fails if fewer than `min_match` tables match. */
START_TEST(test_scan_matches_spark) {
    const char *root = shared_tables();
    ck_assert_msg(root != NULL, "../shared/delta-tables is missing");
    char gold[4096];
    snprintf(gold, sizeof gold, "%s/kernel-golden", root);
    DIR *d = opendir(gold);
    ck_assert_ptr_nonnull(d);
    struct dirent *de;
    int matched = 0, unreadable = 0, skipped = 0, matched_pq = 0;
    make_tmp();
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.') continue;
        char exp[4400], tab[4400], out[4400];
        snprintf(exp, sizeof exp, "%s/%s/expected", gold, de->d_name);
        snprintf(tab, sizeof tab, "%s/%s/delta", gold, de->d_name);
        snprintf(out, sizeof out, "%s/%s.jsonl", g_tmp, de->d_name);
        struct stat sb;
        if (stat(exp, &sb) != 0) continue;
        /* the two million-row decimal tables take minutes under ASan: normal builds check them */
        const char *san = getenv("LLMD_SANITIZED");
        if (san && strcmp(san, "1") == 0 && strncmp(de->d_name, "parquet-decimal-", 16) == 0) { skipped++; continue; }
        rows want = {0}, got = {0};
        if (!expected_rows(exp, &want)) {
            fprintf(stderr, "scan: %s: expected rows unreadable: %s\n", de->d_name, llmd_last_error());
            unreadable++;
            rows_free(&want);
            continue;
        }
        llmd_delta_table *t = NULL;
        ck_ok(llmd_delta_table_open(&t, tab, NULL));
        llmd_delta_snapshot *s = NULL;
        ck_ok(llmd_delta_snapshot_latest(&s, t));
        uint64_t n = 0;
        llmd_status st = llmd_delta_scan_jsonl(s, out, NULL, &n);
        llmd_delta_snapshot_free(s);
        llmd_delta_table_free(t);
        if (st != LLMD_OK) {
            fprintf(stderr, "scan: %s: %s\n", de->d_name, llmd_last_error());
            unreadable++;
            rows_free(&want);
            continue;
        }
        FILE *f = fopen(out, "r");
        char *line = NULL;
        size_t cap = 0;
        while (getline(&line, &cap, f) > 0) {
            cJSON *o = cJSON_Parse(line);
            ck_assert_ptr_nonnull(o);
            rows_add(&got, canonical_row(o));
            cJSON_Delete(o);
        }
        free(line);
        fclose(f);
        unlink(out);
        if (want.n) qsort(want.r, want.n, sizeof *want.r, cmp_str);
        if (got.n) qsort(got.r, got.n, sizeof *got.r, cmp_str);
        bool same = want.n == got.n;
        size_t i = 0;
        for (; same && i < want.n; i++) same = strcmp(want.r[i], got.r[i]) == 0;
        if (!same)
            fprintf(stderr, "scan: %s: %zu rows vs Spark's %zu; first difference:\n  ours  %s\n  spark %s\n", de->d_name,
                    got.n, want.n, i && i <= got.n ? got.r[i - 1] : "-", i && i <= want.n ? want.r[i - 1] : "-");
        else
            matched++;
        /* the same scan as Parquet, read back, gives Spark's rows too */
        if (same) {
            char pqdir[4500], pq[4600];
            snprintf(pqdir, sizeof pqdir, "%s/pq-%s", g_tmp, de->d_name);
            snprintf(pq, sizeof pq, "%s/out.parquet", pqdir);
            mkdir(pqdir, 0777);
            llmd_delta_table *t2 = NULL;
            llmd_delta_snapshot *s2 = NULL;
            ck_ok(llmd_delta_table_open(&t2, tab, NULL));
            ck_ok(llmd_delta_snapshot_latest(&s2, t2));
            uint64_t n2 = 0;
            llmd_status st2 = llmd_delta_scan_parquet(s2, pq, NULL, &n2);
            llmd_delta_snapshot_free(s2);
            llmd_delta_table_free(t2);
            rows back = {0};
            if (st2 != LLMD_OK || !expected_rows(pqdir, &back)) {
                fprintf(stderr, "scan: %s: to Parquet: %s\n", de->d_name, llmd_last_error());
            } else {
                if (back.n) qsort(back.r, back.n, sizeof *back.r, cmp_str);
                bool same2 = back.n == want.n;
                size_t j = 0;
                for (; same2 && j < back.n; j++) same2 = strcmp(back.r[j], want.r[j]) == 0;
                if (same2) matched_pq++;
                else fprintf(stderr, "scan: %s: Parquet output differs:\n  ours  %s\n  spark %s\n", de->d_name,
                             j && j <= back.n ? back.r[j - 1] : "-", j && j <= want.n ? want.r[j - 1] : "-");
            }
            rows_free(&back);
        }
        rows_free(&want);
        rows_free(&got);
    }
    closedir(d);
    rm_rf(g_tmp);
    fprintf(stderr, "scan: %d kernel-golden tables match Spark's rows (%d also through Parquet output), %d unreadable\n",
            matched, matched_pq, unreadable);
    ck_assert_msg(matched >= SCAN_MIN_MATCH - skipped, "only %d tables match Spark's expected rows (%d skipped)", matched, skipped);
    ck_assert_msg(matched_pq >= SCAN_MIN_MATCH - skipped, "only %d tables match through Parquet output", matched_pq);
}
END_TEST

/* Every shared table with a checkpoint, copied with the commits the checkpoint covers deleted:
 * the state rebuilt from the checkpoint (Parquet classic / multi-part / V2 with sidecars) equals
 * the independent replay of all the JSON commits of the original. */
START_TEST(test_checkpoint_equals_commits) {
    const char *root = shared_tables();
    ck_assert_msg(root != NULL, "../shared/delta-tables is missing");
    char **tables;
    size_t n = list_tables(root, &tables);
    int used = 0;
    make_tmp();
    for (size_t i = 0; i < n; i++) {
        char cmd[9000];
        snprintf(cmd, sizeof cmd, "ls '%s/_delta_log' | grep -c '\\.checkpoint\\.' || true", tables[i]);
        char *cnt = read_cmd(cmd);
        int has = atoi(cnt);
        free(cnt);
        if (!has) { free(tables[i]); continue; }
        /* the reference replay of the full log, latest version */
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/delta/replay_ref.py' '%s' --latest", test_srcdir(), tables[i]);
        char *out = read_cmd(cmd);
        cJSON *ref = cJSON_Parse(out);
        free(out);
        const cJSON *last = cJSON_GetObjectItem(ref, "versions")->child;
        if (last == NULL || !cJSON_IsNull(cJSON_GetObjectItem(last, "error"))) { cJSON_Delete(ref); free(tables[i]); continue; }
        char copy[1200];
        snprintf(copy, sizeof copy, "%s/c%zu", g_tmp, i);
        /* copy, then drop every commit at or before the newest checkpoint */
        snprintf(cmd, sizeof cmd,
                 "cp -r '%s' '%s' && chmod -R u+w '%s' && cd '%s/_delta_log' && "
                 "ck=$(ls | grep '\\.checkpoint\\.' | grep -v '^_' | sort | tail -1 | cut -c1-20) && "
                 "for f in [0-9]*.json; do case $f in *checkpoint*) continue;; esac; "
                 "v=$(echo $f | cut -c1-20); if [ \"$v\" \\< \"$ck\" ] || [ \"$v\" = \"$ck\" ]; then rm \"$f\"; fi; done; echo ok",
                 tables[i], copy, copy, copy);
        free(read_cmd(cmd));
        llmd_delta_table *t = NULL;
        ck_ok(llmd_delta_table_open(&t, copy, NULL));
        size_t nk = 0;
        llmd_status st;
        char **keys = our_keys(t, -1, &nk, &st);
        ck_assert_msg(st == LLMD_OK, "%s from its checkpoint: %s", tables[i], llmd_last_error());
        const cJSON *files = cJSON_GetObjectItem(last, "files");
        ck_assert_msg((size_t)cJSON_GetArraySize(files) == nk, "%s: %zu files from the checkpoint, %d by the commits",
                      tables[i], nk, cJSON_GetArraySize(files));
        const cJSON *f;
        cJSON_ArrayForEach(f, files) {
            char want[8192];
            const cJSON *dv = cJSON_GetArrayItem(f, 1);
            if (cJSON_IsString(dv)) snprintf(want, sizeof want, "%s\n%s", cJSON_GetArrayItem(f, 0)->valuestring, dv->valuestring);
            else snprintf(want, sizeof want, "%s", cJSON_GetArrayItem(f, 0)->valuestring);
            bool found = false;
            for (size_t k = 0; k < nk && !found; k++) found = strcmp(keys[k], want) == 0;
            ck_assert_msg(found, "%s: '%s' missing from the checkpoint state", tables[i], want);
        }
        for (size_t k = 0; k < nk; k++) free(keys[k]);
        free(keys);
        llmd_delta_table_free(t);
        cJSON_Delete(ref);
        used++;
        free(tables[i]);
    }
    free(tables);
    rm_rf(g_tmp);
    ck_assert_msg(used >= 6, "only %d tables with checkpoints checked", used);
}
END_TEST

/* delta-rs's tests state these counts (crates/core/tests, table of contents of each table). */
START_TEST(test_delta_rs_tables) {
    ck_assert_msg(shared_tables() != NULL, "../shared/delta-tables is missing");
    struct { const char *name; int64_t version; size_t files; } cases[] = {
        {"simple_table", 4, 5}, {"delta-0.8.0", 1, 2},
        {"delta-0.8.0-partitioned", 0, 6},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", shared_tables(), cases[i].name);
        llmd_delta_table *t = NULL;
        ck_ok(llmd_delta_table_open(&t, p, NULL));
        size_t n = file_count_at(t, cases[i].version);
        ck_assert_msg(n == cases[i].files, "%s@%lld: %zu files, want %zu", cases[i].name, (long long)cases[i].version, n,
                      cases[i].files);
        llmd_delta_table_free(t);
    }
}
END_TEST

/* ---- the pure replay on synthetic logs ---------------------------------------------------------------------- */
typedef struct mem_file { const char *name, *data; } mem_file;
typedef struct mem_log { const mem_file *files; size_t n; } mem_log;

static llmd_status mem_read(void *ctx, const char *name, char **data, size_t *len) {
    const mem_log *m = ctx;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->files[i].name, name) == 0) {
            *data = strdup(m->files[i].data);
            *len = strlen(*data);
            return LLMD_OK;
        }
    return LLMD_ERR_NOT_FOUND;
}

#define P0 "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
#define M0 "{\"metaData\":{\"id\":\"x\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":" \
           "\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"long\\\"," \
           "\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\",\"partitionColumns\":[],\"configuration\":{}}}\n"
#define ADD(p) "{\"add\":{\"path\":\"" p "\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n"
#define REM(p) "{\"remove\":{\"path\":\"" p "\",\"deletionTimestamp\":5,\"dataChange\":true}}\n"

static llmd_status replay_mem(const mem_file *files, size_t n, int64_t version, dl_state *s) {
    dl_listing l = {0};
    for (size_t i = 0; i < n; i++) ck_ok(dl_listing_add(&l, files[i].name, (int64_t)strlen(files[i].data), 1000 + (int64_t)i));
    dl_listing_sort(&l);
    mem_log m = {files, n};
    llmd_status st = dl_replay(&l, version, mem_read, &m, s);
    dl_listing_free(&l);
    return st;
}

START_TEST(test_replay_pure) {
    dl_state s;
    /* unknown actions and fields never break replay; unknown fields stay in the add */
    const mem_file ok[] = {
        {"00000000000000000000.json", P0 M0 ADD("a") "{\"someFutureAction\":{\"x\":1}}\n"
                                      "{\"add\":{\"path\":\"b%20c\",\"partitionValues\":{},\"size\":2,\"modificationTime\":1,"
                                      "\"dataChange\":true,\"futureField\":[1,2]}}"},
        {"00000000000000000001.json", REM("a") "{\"txn\":{\"appId\":\"app\",\"version\":7}}\n"},
        {"00000000000000000002.json", ADD("a") "\n\n"},
        {"00000000000000000002.json.tmp.123.0", "garbage"},
        {"_commits", "ignored"},
    };
    ck_ok(replay_mem(ok, 5, -1, &s));
    ck_assert_int_eq(s.version, 2);
    ck_assert_uint_eq(s.files.len, 2);
    dl_file *bc = dl_map_get(&s.files, "b c");
    ck_assert_ptr_nonnull(bc);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(bc->action, "futureField"));
    ck_assert_ptr_nonnull(dl_map_get(&s.txns, "app"));
    dl_state_free(&s);
    ck_ok(replay_mem(ok, 5, 1, &s));
    ck_assert_uint_eq(s.files.len, 1);
    ck_assert_uint_eq(s.tombstones.len, 1);
    dl_state_free(&s);

    /* a truncated line names the file and the line */
    const mem_file trunc[] = {{"00000000000000000000.json", P0 M0 "{\"add\":{\"path\":\"a\",\"partitionVal"}};
    ck_fails(replay_mem(trunc, 1, -1, &s), LLMD_ERR_PARSE, "00000000000000000000.json:3");
    /* gaps */
    const mem_file gap[] = {{"00000000000000000000.json", P0 M0}, {"00000000000000000002.json", ADD("a")}};
    ck_fails(replay_mem(gap, 2, -1, &s), LLMD_ERR_CORRUPT, "version 1 is missing");
    /* no version 0 and no checkpoint */
    const mem_file nozero[] = {{"00000000000000000001.json", P0 M0}};
    ck_fails(replay_mem(nozero, 1, -1, &s), LLMD_ERR_CORRUPT, "no version 0");
    /* a version beyond the log */
    ck_fails(replay_mem(ok, 5, 9, &s), LLMD_ERR_NOT_FOUND, "version 9 does not exist");
    /* duplicate versions in a listing (an object store may list both) */
    dl_listing l = {0};
    ck_ok(dl_listing_add(&l, "00000000000000000000.json", 1, 1));
    ck_ok(dl_listing_add(&l, "00000000000000000000.json", 1, 2));
    dl_listing_sort(&l);
    mem_log m = {ok, 1};
    ck_fails(dl_replay(&l, -1, mem_read, &m, &s), LLMD_ERR_CORRUPT, "twice");
    dl_listing_free(&l);
    /* missing protocol / metaData / schemaString */
    const mem_file noproto[] = {{"00000000000000000000.json", M0 ADD("a")}};
    ck_fails(replay_mem(noproto, 1, -1, &s), LLMD_ERR_CORRUPT, "no protocol");
    const mem_file nometa[] = {{"00000000000000000000.json", P0 ADD("a")}};
    ck_fails(replay_mem(nometa, 1, -1, &s), LLMD_ERR_CORRUPT, "no metaData");
    /* glued values, non-object lines, bad add */
    const mem_file glued[] = {{"00000000000000000000.json", P0 M0 "{\"add\":{}}{\"add\":{}}"}};
    ck_fails(replay_mem(glued, 1, -1, &s), LLMD_ERR_PARSE, "trailing bytes");
    const mem_file arr[] = {{"00000000000000000000.json", P0 M0 "[1,2]"}};
    ck_fails(replay_mem(arr, 1, -1, &s), LLMD_ERR_PARSE, "not a JSON object");
    const mem_file nosize[] = {{"00000000000000000000.json", P0 M0 "{\"add\":{\"path\":\"a\"}}"}};
    ck_fails(replay_mem(nosize, 1, -1, &s), LLMD_ERR_PARSE, "size");
    /* reader features */
    const mem_file feat[] = {{"00000000000000000000.json",
                              "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"
                              "[\"deletionVectors\",\"variantType\"],\"writerFeatures\":[]}}\n" M0}};
    ck_fails(replay_mem(feat, 1, -1, &s), LLMD_ERR_UNSUPPORTED, "'variantType'");
    /* a JSON V2 checkpoint replaces the commits it summarises (here deleted) */
    const mem_file v2[] = {
        {"00000000000000000003.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json",
         "{\"checkpointMetadata\":{\"version\":3}}\n"
         "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"v2Checkpoint\"],"
         "\"writerFeatures\":[\"v2Checkpoint\"]}}\n" M0 ADD("x") ADD("y")},
        {"00000000000000000003.json", "{\"commitInfo\":{}}"},
        {"00000000000000000004.json", REM("x") ADD("z")},
    };
    ck_ok(replay_mem(v2, 3, -1, &s));
    ck_assert_uint_eq(s.files.len, 2);
    ck_assert_ptr_nonnull(dl_map_get(&s.files, "y"));
    ck_assert_ptr_nonnull(dl_map_get(&s.files, "z"));
    dl_state_free(&s);
    /* a broken Parquet checkpoint without the commits before it: its error, naming it */
    const mem_file pq[] = {{"00000000000000000003.checkpoint.parquet", "PAR1"}, {"00000000000000000004.json", ADD("z")}};
    ck_fails(replay_mem(pq, 2, -1, &s), LLMD_ERR_PARSE, "00000000000000000003.checkpoint.parquet");
    /* ... and with the commits there, the commits rebuild the state */
    const mem_file pq2[] = {{"00000000000000000000.json", P0 M0 ADD("y")}, {"00000000000000000001.checkpoint.parquet", "PAR1"},
                            {"00000000000000000001.json", ADD("z")}};
    ck_ok(replay_mem(pq2, 3, -1, &s));
    ck_assert_uint_eq(s.files.len, 2);
    dl_state_free(&s);
    /* an incomplete multi-part checkpoint is not used */
    const mem_file mp[] = {{"00000000000000000001.checkpoint.0000000001.0000000002.parquet", "PAR1"},
                           {"00000000000000000002.json", ADD("z")}};
    ck_fails(replay_mem(mp, 2, -1, &s), LLMD_ERR_UNSUPPORTED, "incomplete");
}
END_TEST

START_TEST(test_paths_and_names) {
    char *p = dl_path_decode("file:///a/b%20c");
    ck_assert_str_eq(p, "/a/b c");
    llmd_free(p);
    p = dl_path_decode("file:/a%2");
    ck_assert_str_eq(p, "/a%2");
    llmd_free(p);
    p = dl_path_decode("x=a%253Ab/f%C3%A9.parquet");
    ck_assert_str_eq(p, "x=a%3Ab/f\xc3\xa9.parquet");
    llmd_free(p);
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(dl_hive_escape(&b, "a b:c/d%"));
    ck_assert_str_eq(b.data, "a b%3Ac%2Fd%25");
    llmd_buf_reset(&b);
    ck_ok(dl_path_encode(&b, "p=a b%3Ac/f\xc3\xa9#.parquet"));
    ck_assert_str_eq(b.data, "p=a%20b%253Ac/f%C3%A9%23.parquet");
    p = dl_path_decode(b.data);
    ck_assert_str_eq(p, "p=a b%3Ac/f\xc3\xa9#.parquet");
    llmd_free(p);
    llmd_buf_free(&b);
    dl_kind k;
    int64_t v;
    uint32_t part, parts;
    ck_assert(dl_classify("00000000000000000010.json", &k, &v, &part, &parts) && k == DL_COMMIT && v == 10);
    ck_assert(dl_classify("00000000000000000010.checkpoint.0000000002.0000000003.parquet", &k, &v, &part, &parts) &&
              k == DL_CKPT_PART && part == 2 && parts == 3);
    ck_assert(dl_classify("00000000000000000010.checkpoint.parquet", &k, &v, &part, &parts) && k == DL_CKPT_CLASSIC);
    ck_assert(dl_classify("00000000000000000002.checkpoint.6374b053-df23-479b-b2cf-c9c550132b49.json", &k, &v, &part,
                          &parts) && k == DL_CKPT_V2_JSON);
    ck_assert(!dl_classify("0000000000000000010.json", &k, &v, &part, &parts));
    ck_assert(!dl_classify("00000000000000000010.json.tmp.1.0", &k, &v, &part, &parts));
    ck_assert(!dl_classify("00000000000000000010.crc", &k, &v, &part, &parts));
    ck_assert(!dl_classify("00000000000000000010.00000000000000000012.compacted.json", &k, &v, &part, &parts));
}
END_TEST

/* ---- writing -------------------------------------------------------------------------------------------------- */
START_TEST(test_create_append_remove_restore) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, true);
    /* a second create loses */
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    o.schema_json = k_schema;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_CONFLICT, "already exists");
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), 0);
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_protocol_json(s), "\"minWriterVersion\":7"));
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_protocol_json(s), "inCommitTimestamp"));
    ck_assert_str_eq(llmd_delta_snapshot_property(s, "delta.enableInCommitTimestamps"), "true");
    llmd_delta_snapshot_free(s);

    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_fails(add_path(x, "a.parquet", NULL), LLMD_ERR_SCHEMA, "partition column 'part'");
    llmd_delta_add bad = LLMD_DELTA_ADD_INIT;
    const char *k[] = {"id"}, *vals[] = {"1"};
    bad.path = "b.parquet";
    bad.partition_keys = k;
    bad.partition_values = vals;
    bad.n_partitions = 1;
    ck_fails(llmd_delta_txn_add(x, &bad), LLMD_ERR_SCHEMA, "'id' is not a partition column");
    ck_ok(add_path(x, "part=x/a.parquet", "x"));
    ck_ok(add_path(x, "part=y%3Az/b c.parquet", "y:z"));
    ck_ok(add_path(x, "part=__HIVE_DEFAULT_PARTITION__/n.parquet", NULL_PART));
    int64_t v = -1;
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 1);
    ck_fails(llmd_delta_txn_commit(x, &v), LLMD_ERR_STATE, "already committed");
    llmd_delta_txn_free(x);

    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 3);
    ck_assert(snapshot_has(s, "part=y%3Az/b c.parquet"));
    llmd_delta_file f;
    ck_ok(llmd_delta_snapshot_file(s, 0, &f));
    ck_assert_str_eq(f.path, "part=__HIVE_DEFAULT_PARTITION__/n.parquet");
    ck_assert_str_eq(f.partition_values_json, "{\"part\":null}");
    llmd_delta_snapshot_free(s);

    /* remove one, then overwrite */
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_fails(llmd_delta_txn_remove(x, "nope.parquet"), LLMD_ERR_NOT_FOUND, "nope.parquet");
    ck_ok(llmd_delta_txn_remove(x, "part=x/a.parquet"));
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 2);
    llmd_delta_txn_free(x);
    ck_assert_uint_eq(file_count_at(t, 2), 2);
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_remove_all(x));
    ck_ok(add_path(x, "part=w/new.parquet", "w"));
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    ck_assert_int_eq(v, 3);
    ck_assert_uint_eq(file_count_at(t, 3), 1);

    /* restore to version 1: the three original files again */
    int64_t nv = -1;
    ck_ok(llmd_delta_restore(t, 1, &nv));
    ck_assert_int_eq(nv, 4);
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 3);
    ck_assert(snapshot_has(s, "part=x/a.parquet"));
    ck_assert(!snapshot_has(s, "part=w/new.parquet"));
    llmd_delta_snapshot_free(s);

    /* time travel by inCommitTimestamp: each version's own timestamp finds it */
    for (int64_t ver = 0; ver <= 4; ver++) {
        llmd_delta_snapshot *a = NULL, *b = NULL;
        ck_ok(llmd_delta_snapshot_at_version(&a, t, ver));
        ck_ok(llmd_delta_snapshot_at_timestamp(&b, t, llmd_delta_snapshot_timestamp(a)));
        ck_assert_int_eq(llmd_delta_snapshot_version(b), ver);
        if (ver > 0) {
            llmd_delta_snapshot *c = NULL;
            ck_assert_int_gt(llmd_delta_snapshot_timestamp(a), 0);
            ck_ok(llmd_delta_snapshot_at_timestamp(&c, t, llmd_delta_snapshot_timestamp(a) - 1));
            ck_assert_int_eq(llmd_delta_snapshot_version(c), ver - 1);
            llmd_delta_snapshot_free(c);
        }
        if (ver == 0) {
            llmd_delta_snapshot *e = NULL;
            ck_fails(llmd_delta_snapshot_at_timestamp(&e, t, llmd_delta_snapshot_timestamp(a) - 1), LLMD_ERR_RANGE,
                     "before the earliest");
            ck_assert_ptr_null(e);
        }
        llmd_delta_snapshot_free(a);
        llmd_delta_snapshot_free(b);
    }
    ck_fails(llmd_delta_snapshot_at_timestamp(&s, t, INT64_C(4102444800000)), LLMD_ERR_RANGE, "after the latest");

    /* history: newest first, with the operations */
    char *h = NULL;
    ck_ok(llmd_delta_history_json(t, 0, &h, NULL));
    cJSON *hj = cJSON_Parse(h);
    ck_assert_int_eq(cJSON_GetArraySize(hj), 5);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetArrayItem(hj, 0), "commitInfo"), "operation")->valuestring,
                     "RESTORE");
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(hj, 4), "version")->valueint, 0);
    cJSON_Delete(hj);
    llmd_free(h);

    /* the independent replay agrees with every version we wrote */
    ck_assert_int_eq(compare_with_reference(dir), 5);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_properties_schema_txn) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    llmd_delta_txn *x = NULL;
    int64_t v;
    /* schema: merge adds a nullable column; dropping, retyping or non-null new columns are refused */
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_fails(llmd_delta_txn_set_schema(x, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                                          "{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}", true),
             LLMD_ERR_SCHEMA, "'id'");
    ck_fails(llmd_delta_txn_set_schema(x, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}", true),
             LLMD_ERR_SCHEMA, "'part' is missing");
    ck_fails(llmd_delta_txn_set_schema(x, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                                          "{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                                          "{\"name\":\"n\",\"type\":\"int\",\"nullable\":true,\"metadata\":{}}]}", true),
             LLMD_ERR_SCHEMA, "unknown type 'int'");
    ck_fails(llmd_delta_txn_set_schema(x, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                                          "{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                                          "{\"name\":\"n\",\"type\":\"integer\",\"nullable\":false,\"metadata\":{}}]}", true),
             LLMD_ERR_SCHEMA, "must be nullable");
    ck_ok(llmd_delta_txn_set_schema(x, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                                       "{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                                       "{\"name\":\"n\",\"type\":\"decimal(10,2)\",\"nullable\":true,\"metadata\":{}}]}", true));
    ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", "true"));
    ck_fails(llmd_delta_txn_set_property(x, "delta.appendOnly", "maybe"), LLMD_ERR_INVALID_ARG, "true or false");
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_schema_json(s), "decimal(10,2)"));
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_protocol_json(s), "appendOnly"));
    llmd_delta_snapshot_free(s);
    /* the schema at version 0 is still the old one (time travel returns each version's schema) */
    ck_ok(llmd_delta_snapshot_at_version(&s, t, 0));
    ck_assert_ptr_null(strstr(llmd_delta_snapshot_schema_json(s), "decimal"));
    llmd_delta_snapshot_free(s);

    /* append-only: removes refused */
    append_one(t, "a.parquet");
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_remove(x, "a.parquet"));
    ck_fails(llmd_delta_txn_commit(x, &v), LLMD_ERR_UNSUPPORTED, "append-only");
    llmd_delta_txn_free(x);

    /* txn idempotency: the same app version commits once */
    for (int round = 0; round < 2; round++) {
        ck_ok(llmd_delta_txn_begin(&x, t));
        ck_ok(llmd_delta_txn_set_app_version(x, "run-42", 3));
        ck_ok(add_path(x, "run42.parquet", NULL));
        ck_ok(llmd_delta_txn_commit(x, &v));
        ck_assert_int_eq(v, round == 0 ? 3 : -1);
        llmd_delta_txn_free(x);
    }
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), 3);
    int64_t av;
    ck_ok(llmd_delta_snapshot_app_version(s, "run-42", &av));
    ck_assert_int_eq(av, 3);
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_conflict_rules) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    append_one(t, "f1.parquet");
    append_one(t, "f2.parquet");
    int64_t v;
    llmd_delta_txn *a = NULL, *b = NULL;
    /* two blind appends from the same snapshot commute */
    ck_ok(llmd_delta_txn_begin(&a, t));
    ck_ok(llmd_delta_txn_begin(&b, t));
    ck_ok(add_path(a, "a.parquet", NULL));
    ck_ok(add_path(b, "b.parquet", NULL));
    ck_ok(llmd_delta_txn_commit(a, &v));
    ck_assert_int_eq(v, 3);
    ck_ok(llmd_delta_txn_commit(b, &v));
    ck_assert_int_eq(v, 4);
    llmd_delta_txn_free(a);
    llmd_delta_txn_free(b);
    /* two removes of the same file: the second conflicts, naming the winner */
    ck_ok(llmd_delta_txn_begin(&a, t));
    ck_ok(llmd_delta_txn_begin(&b, t));
    ck_ok(llmd_delta_txn_remove(a, "f1.parquet"));
    ck_ok(llmd_delta_txn_remove(b, "f1.parquet"));
    ck_ok(llmd_delta_txn_commit(a, &v));
    ck_fails(llmd_delta_txn_commit(b, &v), LLMD_ERR_CONFLICT, "version 5 concurrently removed 'f1.parquet'");
    llmd_delta_txn_free(a);
    llmd_delta_txn_free(b);
    /* a blind append commutes with a concurrent delete (WriteSerializable) */
    ck_ok(llmd_delta_txn_begin(&a, t));
    ck_ok(llmd_delta_txn_begin(&b, t));
    ck_ok(llmd_delta_txn_remove(a, "f2.parquet"));
    ck_ok(add_path(b, "c.parquet", NULL));
    ck_ok(llmd_delta_txn_commit(b, &v));
    ck_ok(llmd_delta_txn_commit(a, &v));
    ck_assert_int_eq(v, 7);
    llmd_delta_txn_free(a);
    llmd_delta_txn_free(b);
    /* a metadata change conflicts with everything that read the old metadata */
    ck_ok(llmd_delta_txn_begin(&a, t));
    ck_ok(llmd_delta_txn_begin(&b, t));
    ck_ok(llmd_delta_txn_set_property(a, "team", "x"));
    ck_ok(add_path(b, "d.parquet", NULL));
    ck_ok(llmd_delta_txn_commit(a, &v));
    ck_fails(llmd_delta_txn_commit(b, &v), LLMD_ERR_CONFLICT, "metadata change in version 8");
    llmd_delta_txn_free(a);
    llmd_delta_txn_free(b);
    /* the same appId from two writers: the second conflicts */
    ck_ok(llmd_delta_txn_begin(&a, t));
    ck_ok(llmd_delta_txn_begin(&b, t));
    ck_ok(llmd_delta_txn_set_app_version(a, "app", 1));
    ck_ok(llmd_delta_txn_set_app_version(b, "app", 2));
    ck_ok(add_path(a, "e.parquet", NULL));
    ck_ok(add_path(b, "g.parquet", NULL));
    ck_ok(llmd_delta_txn_commit(a, &v));
    ck_fails(llmd_delta_txn_commit(b, &v), LLMD_ERR_CONFLICT, "same appId 'app'");
    llmd_delta_txn_free(a);
    llmd_delta_txn_free(b);
    /* an overwrite (read the whole table) conflicts with a concurrent delete */
    ck_ok(llmd_delta_txn_begin(&a, t));
    ck_ok(llmd_delta_txn_begin(&b, t));
    ck_ok(llmd_delta_txn_remove(a, "a.parquet"));
    ck_ok(llmd_delta_txn_remove_all(b));
    ck_ok(llmd_delta_txn_commit(a, &v));
    ck_fails(llmd_delta_txn_commit(b, &v), LLMD_ERR_CONFLICT, "concurrently removed");
    llmd_delta_txn_free(a);
    llmd_delta_txn_free(b);
    ck_assert_int_eq(compare_with_reference(dir), 11);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* P processes x K commits at once: exactly P*K new versions, every add once, every version consistent. */
START_TEST(test_concurrent_writers) {
    enum { P = 4, K = 25 };
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    pid_t pids[P];
    for (int p = 0; p < P; p++) {
        pids[p] = fork();
        ck_assert_int_ge(pids[p], 0);
        if (pids[p] == 0) {
            llmd_delta_table_options o = LLMD_DELTA_TABLE_OPTIONS_INIT;
            o.max_commit_retries = 1000;
            llmd_delta_table *ct = NULL;
            if (llmd_delta_table_open(&ct, dir, &o) != LLMD_OK) _exit(2);
            for (int k = 0; k < K; k++) {
                char path[64];
                snprintf(path, sizeof path, "w%d-%d.parquet", p, k);
                llmd_delta_txn *x = NULL;
                int64_t v;
                if (llmd_delta_txn_begin(&x, ct) != LLMD_OK || add_path(x, path, NULL) != LLMD_OK ||
                    llmd_delta_txn_commit(x, &v) != LLMD_OK) {
                    fprintf(stderr, "writer %d: %s\n", p, llmd_last_error());
                    _exit(1);
                }
                llmd_delta_txn_free(x);
            }
            _exit(0);
        }
    }
    for (int p = 0; p < P; p++) {
        int status;
        ck_assert_int_eq(waitpid(pids[p], &status, 0), pids[p]);
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "writer %d failed", p);
    }
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), P * K);
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), P * K);
    for (int p = 0; p < P; p++)
        for (int k = 0; k < K; k++) {
            char path[64];
            snprintf(path, sizeof path, "w%d-%d.parquet", p, k);
            ck_assert_msg(snapshot_has(s, path), "%s lost", path);
        }
    llmd_delta_snapshot_free(s);
    /* every version holds exactly `version` files: one add per commit, none lost or doubled */
    for (int64_t v = 0; v <= P * K; v += 7) ck_assert_uint_eq(file_count_at(t, v), (size_t)v);
    ck_assert_int_eq(compare_with_reference(dir), P * K + 1);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* A writer SIGKILLed at random points of its commits: the table always reads as N or N+1 versions,
 * contiguous, with one file per version; temp files are ignored by readers and vacuumed. */
START_TEST(test_crash_safety) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    unsigned seed = 12345;
    for (int round = 0; round < 30; round++) {
        llmd_delta_snapshot *s = NULL;
        ck_ok(llmd_delta_snapshot_latest(&s, t));
        int64_t before = llmd_delta_snapshot_version(s);
        llmd_delta_snapshot_free(s);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            llmd_delta_table *ct = NULL;
            if (llmd_delta_table_open(&ct, dir, NULL) != LLMD_OK) _exit(2);
            for (int k = 0;; k++) {
                char path[64];
                snprintf(path, sizeof path, "r%d-%d.parquet", round, k);
                llmd_delta_txn *x = NULL;
                int64_t v;
                if (llmd_delta_txn_begin(&x, ct) != LLMD_OK || add_path(x, path, NULL) != LLMD_OK ||
                    llmd_delta_txn_commit(x, &v) != LLMD_OK)
                    _exit(1);
                llmd_delta_txn_free(x);
            }
        }
        seed = seed * 1103515245u + 12345u;
        usleep(200 + (seed >> 8) % 20000);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        ck_assert(WIFSIGNALED(status));
        ck_ok(llmd_delta_snapshot_latest(&s, t));
        int64_t after = llmd_delta_snapshot_version(s);
        ck_assert_int_ge(after, before);
        ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), (size_t)after);
        llmd_delta_snapshot_free(s);
    }
    /* one last commit works on top of whatever the kills left */
    int64_t v = append_one(t, "last.parquet");
    ck_assert_uint_eq(file_count_at(t, v), (size_t)v);
    /* leftover temp files (if any kill hit between temp write and publish) go with vacuum */
    llmd_delta_vacuum_options vo = LLMD_DELTA_VACUUM_OPTIONS_INIT;
    vo.now_ms = INT64_C(4102444800000) + INT64_C(1000) * 3600 * 24 * 30;
    char *rep = NULL;
    ck_ok(llmd_delta_vacuum(t, &vo, &rep));
    llmd_free(rep);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "ls '%s/_delta_log' | grep -c tmp || true", dir);
    char *left = read_cmd(cmd);
    ck_assert_int_eq(atoi(left), 0);
    free(left);
    ck_assert_int_eq(compare_with_reference(dir), (int)v + 1);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* The file-system states a kill can leave at each commit / checkpoint step, built directly:
 * a commit's temp file before publish, a half-written temp, a checkpoint's temp, a checkpoint
 * published without its _last_checkpoint, a _last_checkpoint naming a checkpoint not yet there.
 * Readers see N (or N+1 once published), the next commit takes the next version, vacuum clears
 * the temps. */
START_TEST(test_crash_states) {
    make_tmp();
    char dir[600], p[900];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    append_one(t, "a.parquet");
    /* killed after writing the temp of version 2, before publishing it */
    snprintf(p, sizeof p, "%s/_delta_log/00000000000000000002.json.tmp.4242.0", dir);
    write_text(p, "{\"commitInfo\":{}}\n{\"add\":{\"path\":\"ghost.parquet\",\"size\":1,\"partitionValues\":{}}}\n");
    /* killed half-way through writing another temp */
    snprintf(p, sizeof p, "%s/_delta_log/00000000000000000002.json.tmp.4243.0", dir);
    write_text(p, "{\"add\":{\"pa");
    /* killed while the Parquet writer wrote a checkpoint */
    snprintf(p, sizeof p, "%s/_delta_log/00000000000000000001.checkpoint.parquet.tmp-AbC123", dir);
    write_text(p, "PAR1\x15\x04");
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), 1);
    ck_assert(!snapshot_has(s, "ghost.parquet"));
    llmd_delta_snapshot_free(s);
    /* the next commit takes version 2 (the temps do not hold the name) */
    ck_assert_int_eq(append_one(t, "b.parquet"), 2);
    /* a checkpoint published but _last_checkpoint not yet replaced: found by listing */
    int64_t cv = -1;
    ck_ok(llmd_delta_checkpoint(t, &cv));
    ck_assert_int_eq(cv, 2);
    snprintf(p, sizeof p, "%s/_delta_log/_last_checkpoint", dir);
    write_text(p, "{\"version\":0,\"size\":1}");
    ck_assert_uint_eq(file_count_at(t, 2), 2);
    /* a _last_checkpoint naming a checkpoint that never got published */
    write_text(p, "{\"version\":3,\"size\":5}");
    ck_assert_int_eq(append_one(t, "c.parquet"), 3);
    ck_assert_uint_eq(file_count_at(t, 3), 3);
    /* vacuum (far in the future) clears the temps, keeps the table */
    llmd_delta_vacuum_options vo = LLMD_DELTA_VACUUM_OPTIONS_INIT;
    vo.now_ms = INT64_C(4102444800000);
    char *rep = NULL;
    ck_ok(llmd_delta_vacuum(t, &vo, &rep));
    ck_assert_ptr_nonnull(strstr(rep, "00000000000000000002.json.tmp.4242.0"));
    ck_assert_ptr_nonnull(strstr(rep, "00000000000000000001.checkpoint.parquet.tmp-AbC123"));
    llmd_free(rep);
    ck_assert_uint_eq(file_count_at(t, 3), 3);
    ck_assert_int_eq(compare_with_reference(dir), 4);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_vacuum) {
    make_tmp();
    char dir[600], p[800];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    const char *names[] = {"keep.parquet", "gone.parquet", "orphan.parquet", "sub/orphan2.parquet", "_hidden", ".crcx"};
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0777);
    for (int i = 0; i < 6; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        write_text(p, "x");
    }
    append_one(t, "keep.parquet");
    append_one(t, "gone.parquet");
    llmd_delta_txn *x = NULL;
    int64_t v;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_remove(x, "gone.parquet"));
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_vacuum_options o = LLMD_DELTA_VACUUM_OPTIONS_INIT;
    char *rep = NULL;
    o.retention_hours = 1;
    ck_fails(llmd_delta_vacuum(t, &o, &rep), LLMD_ERR_INVALID_ARG, "168 h");
    /* default retention, now: everything is too young */
    o = (llmd_delta_vacuum_options)LLMD_DELTA_VACUUM_OPTIONS_INIT;
    ck_ok(llmd_delta_vacuum(t, &o, &rep));
    ck_assert_ptr_nonnull(strstr(rep, "\"count\":0"));
    llmd_free(rep);
    /* 8 days later, dry run: the orphans and the tombstoned file (its tombstone is older too) */
    o.now_ms = (int64_t)time(NULL) * 1000 + INT64_C(8) * 24 * 3600 * 1000;
    o.dry_run = true;
    ck_ok(llmd_delta_vacuum(t, &o, &rep));
    cJSON *r = cJSON_Parse(rep);
    ck_assert_int_eq(cJSON_GetObjectItem(r, "count")->valueint, 3);
    ck_assert_ptr_nonnull(strstr(rep, "\"gone.parquet\""));
    ck_assert_ptr_nonnull(strstr(rep, "\"sub/orphan2.parquet\""));
    ck_assert_ptr_null(strstr(rep, "keep.parquet"));
    cJSON_Delete(r);
    llmd_free(rep);
    snprintf(p, sizeof p, "%s/orphan.parquet", dir);
    ck_assert_int_eq(access(p, F_OK), 0);
    o.dry_run = false;
    ck_ok(llmd_delta_vacuum(t, &o, &rep));
    llmd_free(rep);
    ck_assert_int_ne(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/keep.parquet", dir);
    ck_assert_int_eq(access(p, F_OK), 0);
    snprintf(p, sizeof p, "%s/_hidden", dir);
    ck_assert_int_eq(access(p, F_OK), 0);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_hostile_files) {
    make_tmp();
    char dir[600], p[900];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    append_one(t, "a.parquet");
    /* a corrupt or dangling _last_checkpoint is only a hint: the listing wins */
    snprintf(p, sizeof p, "%s/_delta_log/_last_checkpoint", dir);
    write_text(p, "{\"version\":1,\"size\":3}");
    ck_assert_uint_eq(file_count_at(t, 1), 1);
    write_text(p, "{\"vers");
    ck_assert_uint_eq(file_count_at(t, 1), 1);
    /* a huge line over the configured limit is refused, not loaded */
    llmd_delta_table_options o = LLMD_DELTA_TABLE_OPTIONS_INIT;
    o.max_commit_bytes = 4096;
    llmd_delta_table *small = NULL;
    ck_ok(llmd_delta_table_open(&small, dir, &o));
    snprintf(p, sizeof p, "%s/_delta_log/00000000000000000002.json", dir);
    FILE *f = fopen(p, "wb");
    fputs("{\"commitInfo\":{\"x\":\"", f);
    for (int i = 0; i < 10000; i++) fputs("aaaaaaaaaa", f);
    fputs("\"}}\n", f);
    fclose(f);
    llmd_delta_snapshot *s = NULL;
    ck_fails(llmd_delta_snapshot_latest(&s, small), LLMD_ERR_RANGE, "over the limit");
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), 2);
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(small);
    /* a truncated final line (a writer that did not use put-if-absent) names the file and line */
    snprintf(p, sizeof p, "%s/_delta_log/00000000000000000003.json", dir);
    write_text(p, "{\"add\":{\"path\":\"b.parquet\",\"size\":1}}\n{\"add\":{\"pa");
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_PARSE, "00000000000000000003.json:2");
    ck_assert_uint_eq(file_count_at(t, 2), 1);
    /* a V2 checkpoint with sidecars whose commits are gone: refused, naming it */
    unlink(p);
    char ck[900];
    snprintf(ck, sizeof ck, "%s/_delta_log/00000000000000000002.checkpoint.0a8d73ee-aa83-49d0-9583-c99db75b89b2.json", dir);
    write_text(ck, "{\"checkpointMetadata\":{\"version\":2}}\n{\"sidecar\":{\"path\":\"missing.parquet\",\"sizeInBytes\":1,\"modificationTime\":1}}\n");
    for (int v = 0; v <= 1; v++) {
        snprintf(p, sizeof p, "%s/_delta_log/%020d.json", dir, v);
        unlink(p);
    }
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_NOT_FOUND, "_sidecars/missing.parquet");
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* Appending real Parquet files: schema enforcement, stats from the footer (values of the fixtures
 * in tests/data/delta/README.md), merge_schema, scan of what was appended. */
START_TEST(test_append_parquet) {
    make_tmp();
    char dir[600], rowsf[4400], score[4400], out[700];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    snprintf(rowsf, sizeof rowsf, "%s/data/delta/rows.parquet", test_srcdir());
    snprintf(score, sizeof score, "%s/data/delta/rows_score.parquet", test_srcdir());
    char *like = NULL;
    ck_ok(llmd_delta_schema_from_parquet(rowsf, &like));
    ck_assert_str_eq(like, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"
                           "\"metadata\":{}},{\"name\":\"text\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}");
    llmd_free(like);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    /* text NOT NULL: the fixture's null must be refused */
    o.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                    "{\"name\":\"text\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}},"
                    "{\"name\":\"p\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}";
    const char *parts[] = {"p"};
    o.partition_columns = parts;
    o.n_partition_columns = 1;
    ck_ok(llmd_delta_table_create(t, &o));
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
    const char *pk[] = {"p"}, *pv[] = {"7"};
    a.source = rowsf;
    a.partition_keys = pk;
    a.partition_values = pv;
    a.n_partitions = 1;
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_SCHEMA, "'text' is NOT NULL in the table but has 1 nulls");
    llmd_delta_txn_free(x);
    /* relax it (merge may relax nullability), then types must match */
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_set_schema(x, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                                       "{\"name\":\"text\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                                       "{\"name\":\"p\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}", true));
    char *rel = NULL;
    ck_ok(llmd_delta_txn_append_file(x, &a, &rel));
    ck_assert_ptr_nonnull(strstr(rel, "p=7/part-"));
    llmd_free(rel);
    a.source = score;
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_SCHEMA, "'score' is not in the table's schema");
    a.merge_schema = true;
    ck_ok(llmd_delta_txn_append_file(x, &a, NULL));
    int64_t v;
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_schema_json(s), "\"score\""));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
    bool seen_rows = false;
    for (size_t i = 0; i < 2; i++) {
        llmd_delta_file f;
        ck_ok(llmd_delta_snapshot_file(s, i, &f));
        if (strstr(f.stats_json, "\"score\"")) continue;
        seen_rows = true;
        ck_assert_str_eq(f.stats_json, "{\"numRecords\":3,\"minValues\":{\"id\":1,\"text\":\"hello\"},\"maxValues\":"
                                       "{\"id\":3,\"text\":\"last!!\"},\"nullCount\":{\"id\":0,\"text\":1}}");
    }
    ck_assert(seen_rows);
    /* scan: 6 rows; the partition value typed as an integer; score null where the file lacks it */
    snprintf(out, sizeof out, "%s/rows.jsonl", g_tmp);
    uint64_t n = 0;
    ck_ok(llmd_delta_scan_jsonl(s, out, NULL, &n));
    ck_assert_uint_eq(n, 6);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "sort '%s' | head -2", out);
    char *got = read_cmd(cmd);
    ck_assert_str_eq(got, "{\"id\":1,\"text\":\"hello\",\"p\":7,\"score\":null}\n"
                          "{\"id\":10,\"text\":\"hello\",\"p\":7,\"score\":0.5}\n");
    free(got);
    /* file skipping: partition values and footer stats (ids 1..3 in one file, 10..12 in the other) */
    int which_rows = -1;
    for (size_t i = 0; i < 2; i++) {
        llmd_delta_file f;
        ck_ok(llmd_delta_snapshot_file(s, i, &f));
        if (!strstr(f.stats_json, "\"score\"")) which_rows = (int)i;
    }
    llmd_delta_predicate ge10 = {"id", LLMD_DELTA_GE, "10"}, lt2 = {"id", LLMD_DELTA_LT, "2"}, p8 = {"p", LLMD_DELTA_EQ, "8"},
                         p7 = {"p", LLMD_DELTA_EQ, "7"}, idnull = {"id", LLMD_DELTA_IS_NULL, NULL},
                         txtnull = {"text", LLMD_DELTA_IS_NULL, NULL}, eq5 = {"id", LLMD_DELTA_EQ, "5"};
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, (size_t)which_rows, &ge10, 1), 0);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, (size_t)!which_rows, &ge10, 1), 1);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, (size_t)which_rows, &lt2, 1), 1);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, (size_t)!which_rows, &lt2, 1), 0);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, &p8, 1), 0);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, &p7, 1), 1);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, &idnull, 1), 0);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, &txtnull, 1), 1);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, &eq5, 1), 0);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 1, &eq5, 1), 0);
    llmd_delta_predicate bad = {"nope", LLMD_DELTA_EQ, "1"}, badnum = {"id", LLMD_DELTA_EQ, "x"};
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, &bad, 1), LLMD_ERR_NOT_FOUND);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, &badnum, 1), LLMD_ERR_INVALID_ARG);
    /* row filtering: id >= 2 and text is not null -> ids 3, 10, 12; output only id */
    llmd_delta_predicate both[2] = {{"id", LLMD_DELTA_GE, "2"}, {"text", LLMD_DELTA_NOT_NULL, NULL}};
    const char *only_id[] = {"id"};
    llmd_delta_scan_options so = LLMD_DELTA_SCAN_OPTIONS_INIT;
    so.columns = only_id;
    so.n_columns = 1;
    so.predicates = both;
    so.n_predicates = 2;
    ck_ok(llmd_delta_scan_jsonl(s, out, &so, &n));
    ck_assert_uint_eq(n, 3);
    got = read_cmd(cmd);   /* sort | head -2 */
    ck_assert_str_eq(got, "{\"id\":10}\n{\"id\":12}\n");
    free(got);
    llmd_delta_snapshot_free(s);
    /* a partition column inside the data file is refused */
    llmd_delta_table *t2 = NULL;
    char dir2[700];
    snprintf(dir2, sizeof dir2, "%s/t2", g_tmp);
    ck_ok(llmd_delta_table_open(&t2, dir2, NULL));
    o.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                    "{\"name\":\"text\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";
    parts[0] = "text";
    ck_ok(llmd_delta_table_create(t2, &o));
    ck_ok(llmd_delta_txn_begin(&x, t2));
    const char *pk2[] = {"text"}, *pv2[] = {"x"};
    a.source = rowsf;
    a.partition_keys = pk2;
    a.partition_values = pv2;
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_SCHEMA, "'text' is a partition column");
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t2);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* Classic Parquet checkpoints we write: automatic every delta.checkpointInterval commits, and the
 * state read back from the checkpoint alone (commits before it deleted) equals the state from all
 * commits: files (with partition values, stats), tombstones, txn versions, protocol, metaData. */
START_TEST(test_classic_checkpoint) {
    make_tmp();
    char dir[600], copy[700], cmd[4000];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    snprintf(copy, sizeof copy, "%s/c", g_tmp);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *parts[] = {"part"}, *ck[] = {"delta.checkpointInterval"}, *cv[] = {"4"};
    o.schema_json = k_schema;
    o.partition_columns = parts;
    o.n_partition_columns = 1;
    o.config_keys = ck;
    o.config_values = cv;
    o.n_config = 1;
    ck_ok(llmd_delta_table_create(t, &o));
    for (int i = 1; i <= 8; i++) {
        llmd_delta_txn *x = NULL;
        int64_t v;
        char path[64], part[16];
        snprintf(path, sizeof path, "part=%c/f%d.parquet", 'a' + i % 3, i);
        snprintf(part, sizeof part, "%c", 'a' + i % 3);
        ck_ok(llmd_delta_txn_begin(&x, t));
        ck_ok(llmd_delta_txn_set_app_version(x, i % 2 ? "odd" : "even", i));
        llmd_delta_add a = LLMD_DELTA_ADD_INIT;
        const char *k[] = {"part"}, *vv[] = {i == 5 ? NULL : part};
        a.path = path;
        a.size = 100 + i;
        a.partition_keys = k;
        a.partition_values = vv;
        a.n_partitions = 1;
        a.stats_json = "{\"numRecords\":7,\"minValues\":{\"id\":1},\"maxValues\":{\"id\":9},\"nullCount\":{\"id\":0}}";
        ck_ok(llmd_delta_txn_add(x, &a));
        if (i == 6) ck_ok(llmd_delta_txn_remove(x, "part=b/f1.parquet"));
        ck_ok(llmd_delta_txn_commit(x, &v));
        ck_assert_int_eq(v, i);
        llmd_delta_txn_free(x);
    }
    snprintf(cmd, sizeof cmd, "ls '%s/_delta_log' | grep -c 'checkpoint.parquet$'", dir);
    char *cnt = read_cmd(cmd);
    ck_assert_int_eq(atoi(cnt), 2);   /* versions 4 and 8 */
    free(cnt);
    /* the copy keeps only the checkpoint of version 8 */
    snprintf(cmd, sizeof cmd, "cp -r '%s' '%s' && rm '%s'/_delta_log/*.json && echo ok", dir, copy, copy);
    free(read_cmd(cmd));
    llmd_delta_table *c = NULL;
    ck_ok(llmd_delta_table_open(&c, copy, NULL));
    llmd_delta_snapshot *a = NULL, *b = NULL;
    ck_ok(llmd_delta_snapshot_latest(&a, t));
    ck_ok(llmd_delta_snapshot_latest(&b, c));
    ck_assert_int_eq(llmd_delta_snapshot_version(b), 8);
    ck_assert_str_eq(llmd_delta_snapshot_protocol_json(a), llmd_delta_snapshot_protocol_json(b));
    ck_assert_str_eq(llmd_delta_snapshot_metadata_json(a), llmd_delta_snapshot_metadata_json(b));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(a), 7);
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(b), 7);
    for (size_t i = 0; i < 7; i++) {
        llmd_delta_file fa, fb;
        ck_ok(llmd_delta_snapshot_file(a, i, &fa));
        ck_ok(llmd_delta_snapshot_file(b, i, &fb));
        ck_assert_str_eq(fa.path, fb.path);
        ck_assert_int_eq(fa.size, fb.size);
        ck_assert_int_eq(fa.modification_time, fb.modification_time);
        ck_assert_str_eq(fa.partition_values_json, fb.partition_values_json);
        ck_assert_str_eq(fa.stats_json, fb.stats_json);
    }
    int64_t va, vb;
    ck_ok(llmd_delta_snapshot_app_version(b, "odd", &vb));
    ck_assert_int_eq(vb, 7);
    ck_ok(llmd_delta_snapshot_app_version(b, "even", &vb));
    ck_ok(llmd_delta_snapshot_app_version(a, "even", &va));
    ck_assert_int_eq(vb, va);
    /* the tombstone of f1 survives in the checkpoint (younger than the retention) */
    ck_assert_uint_eq(a->state.tombstones.len, 1);
    ck_assert_uint_eq(b->state.tombstones.len, 1);
    ck_assert_ptr_nonnull(dl_map_get(&b->state.tombstones, "part=b/f1.parquet"));
    llmd_delta_snapshot_free(a);
    llmd_delta_snapshot_free(b);
    /* commits after the checkpoint replay on top of it */
    llmd_delta_txn *x = NULL;
    int64_t nv;
    ck_ok(llmd_delta_txn_begin(&x, c));
    ck_ok(add_path(x, "part=x/late.parquet", "x"));
    ck_ok(llmd_delta_txn_commit(x, &nv));
    llmd_delta_txn_free(x);
    ck_assert_int_eq(nv, 9);
    ck_assert_uint_eq(file_count_at(c, 9), 8);
    llmd_delta_table_free(c);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* Spark's Murmur3 (hash partitioning of multi-part checkpoints and sidecars): Spark SQL's
 * documented example hash('Spark', array(123), 2) = -1321691492 — a string of 4 + 1 bytes, then
 * two ints chained through the seed. */
START_TEST(test_spark_murmur3) {
    int32_t h = dl_spark_murmur3("Spark", 5, 42);
    unsigned char le123[4] = {123, 0, 0, 0}, le2[4] = {2, 0, 0, 0};
    h = dl_spark_murmur3(le123, 4, h);
    h = dl_spark_murmur3(le2, 4, h);
    ck_assert_int_eq(h, -1321691492);
}
END_TEST

/* Builds 9 commits (adds in 3 partitions, a remove, txns); returns the table. */
static llmd_delta_table *checkpoint_fixture(const char *dir, bool v2) {
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *parts[] = {"part"}, *ck[] = {"delta.checkpointPolicy", "delta.checkpointInterval"},
               *cv[] = {v2 ? "v2" : "classic", "1000"};
    o.schema_json = k_schema;
    o.partition_columns = parts;
    o.n_partition_columns = 1;
    o.config_keys = ck;
    o.config_values = cv;
    o.n_config = 2;
    ck_ok(llmd_delta_table_create(t, &o));
    for (int i = 1; i <= 9; i++) {
        llmd_delta_txn *x = NULL;
        int64_t v;
        char path[64], part[16];
        ck_ok(llmd_delta_txn_begin(&x, t));
        ck_ok(llmd_delta_txn_set_app_version(x, i % 2 ? "odd" : "even", i));
        for (int k = 0; k < 3; k++) {
            snprintf(part, sizeof part, "p %c", 'a' + (i + k) % 3);
            snprintf(path, sizeof path, "part=p %c/f%d-%d é.parquet", 'a' + (i + k) % 3, i, k);
            ck_ok(add_path(x, path, part));
        }
        if (i == 6) ck_ok(llmd_delta_txn_remove(x, "part=p b/f1-0 é.parquet"));
        ck_ok(llmd_delta_txn_commit(x, &v));
        ck_assert_int_eq(v, i);
        llmd_delta_txn_free(x);
    }
    return t;
}

/* The snapshot of `copy` (commits deleted, only the checkpoint left) equals that of `t`. */
static void assert_same_state(llmd_delta_table *t, llmd_delta_table *copy, const char *what) {
    llmd_delta_snapshot *a = NULL, *b = NULL;
    ck_ok(llmd_delta_snapshot_latest(&a, t));
    ck_assert_msg(llmd_delta_snapshot_latest(&b, copy) == LLMD_OK, "%s: %s", what, llmd_last_error());
    ck_assert_int_eq(llmd_delta_snapshot_version(b), 9);
    ck_assert_str_eq(llmd_delta_snapshot_protocol_json(a), llmd_delta_snapshot_protocol_json(b));
    ck_assert_str_eq(llmd_delta_snapshot_metadata_json(a), llmd_delta_snapshot_metadata_json(b));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(a), 26);
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(b), 26);
    for (size_t i = 0; i < 26; i++) {
        llmd_delta_file fa, fb;
        ck_ok(llmd_delta_snapshot_file(a, i, &fa));
        ck_ok(llmd_delta_snapshot_file(b, i, &fb));
        ck_assert_str_eq(fa.path, fb.path);
        ck_assert_str_eq(fa.raw_path, fb.raw_path);
        ck_assert_int_eq(fa.size, fb.size);
        ck_assert_str_eq(fa.partition_values_json, fb.partition_values_json);
    }
    int64_t va, vb;
    ck_ok(llmd_delta_snapshot_app_version(b, "odd", &vb));
    ck_ok(llmd_delta_snapshot_app_version(a, "odd", &va));
    ck_assert_int_eq(va, 9);
    ck_assert_int_eq(vb, 9);
    ck_ok(llmd_delta_snapshot_app_version(b, "even", &vb));
    ck_assert_int_eq(vb, 8);
    ck_assert_uint_eq(b->state.tombstones.len, 1);
    llmd_delta_snapshot_free(a);
    llmd_delta_snapshot_free(b);
}

static size_t count_matching(const char *dir, const char *pattern) {
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "ls '%s' 2>/dev/null | grep -c -E '%s' || true", dir, pattern);
    char *out = read_cmd(cmd);
    size_t n = (size_t)atoi(out);
    free(out);
    return n;
}

/* Multi-part (parts = N, part_size) and V2 (JSON / Parquet top level, sidecars) checkpoints read
 * back alone (commits deleted) as the commits give; the parts, sidecars and _last_checkpoint are
 * named as PROTOCOL.md says; an incomplete multi-part checkpoint is ignored. */
START_TEST(test_checkpoint_kinds) {
    make_tmp();
    static const struct {
        bool v2, v2_parquet;
        uint32_t parts;
        uint64_t part_size;
        const char *log_pattern, *sidecar_pattern;
        size_t n_log, n_sidecars;
    } cases[] = {
        {false, false, 3, 0, "^00000000000000000009\\.checkpoint\\.000000000[123]\\.0000000003\\.parquet$", NULL, 3, 0},
        /* 26 adds + 1 tombstone, 10 per part -> 3 parts */
        {false, false, 0, 10, "^00000000000000000009\\.checkpoint\\.000000000[123]\\.0000000003\\.parquet$", NULL, 3, 0},
        {false, false, 0, 100, "^00000000000000000009\\.checkpoint\\.parquet$", NULL, 1, 0},
        {true, false, 0, 0, "^00000000000000000009\\.checkpoint\\.[0-9a-f-]{36}\\.json$",
         "^00000000000000000009\\.checkpoint\\.0000000001\\.0000000001\\.[0-9a-f-]{36}\\.parquet$", 1, 1},
        {true, true, 4, 0, "^00000000000000000009\\.checkpoint\\.[0-9a-f-]{36}\\.parquet$",
         "^00000000000000000009\\.checkpoint\\.000000000[1-4]\\.0000000004\\.[0-9a-f-]{36}\\.parquet$", 1, 4},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        char dir[700], copy[800], log[900], side[1000], cmd[4000];
        snprintf(dir, sizeof dir, "%s/t%zu", g_tmp, c);
        snprintf(copy, sizeof copy, "%s/c%zu", g_tmp, c);
        snprintf(log, sizeof log, "%s/_delta_log", dir);
        snprintf(side, sizeof side, "%s/_delta_log/_sidecars", dir);
        llmd_delta_table *t = checkpoint_fixture(dir, cases[c].v2);
        llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
        o.parts = cases[c].parts;
        o.part_size = cases[c].part_size;
        o.v2_parquet = cases[c].v2_parquet;
        int64_t v = -1;
        ck_ok(llmd_delta_checkpoint_with(t, &o, &v));
        ck_assert_int_eq(v, 9);
        ck_assert_uint_eq(count_matching(log, cases[c].log_pattern), cases[c].n_log);
        ck_assert_uint_eq(count_matching(log, "\\.checkpoint\\."), cases[c].n_log);
        if (cases[c].sidecar_pattern) ck_assert_uint_eq(count_matching(side, cases[c].sidecar_pattern), cases[c].n_sidecars);
        snprintf(cmd, sizeof cmd, "%s/_last_checkpoint", log);
        char *lc = NULL;
        size_t lc_len = 0;
        ck_ok(llmd_read_file(cmd, &lc, &lc_len));
        if (cases[c].n_log == 3) ck_assert_ptr_nonnull(strstr(lc, "\"parts\":3"));
        else ck_assert_ptr_null(strstr(lc, "\"parts\""));
        ck_assert_ptr_nonnull(strstr(lc, "\"numOfAddFiles\":26"));
        ck_assert(cases[c].v2 == (strstr(lc, "\"v2Checkpoint\":{\"path\":\"00000000000000000009.checkpoint.") != NULL));
        llmd_free(lc);
        snprintf(cmd, sizeof cmd, "cp -r '%s' '%s' && rm '%s'/_delta_log/0000000000000000000?.json && echo ok", dir, copy, copy);
        free(read_cmd(cmd));
        llmd_delta_table *cp = NULL;
        ck_ok(llmd_delta_table_open(&cp, copy, NULL));
        assert_same_state(t, cp, cases[c].log_pattern);
        llmd_delta_table_free(cp);
        if (cases[c].n_log == 3) {
            /* a part missing: the checkpoint is not used (no commits left -> an error, not a wrong state) */
            snprintf(cmd, sizeof cmd, "rm '%s'/_delta_log/*.0000000002.0000000003.parquet && echo ok", copy);
            free(read_cmd(cmd));
            ck_ok(llmd_delta_table_open(&cp, copy, NULL));
            llmd_delta_snapshot *s = NULL;
            ck_assert_int_ne(llmd_delta_snapshot_latest(&s, cp), LLMD_OK);
            llmd_delta_table_free(cp);
            /* with the commits there, the table still reads (from them) */
            llmd_delta_snapshot *s2 = NULL;
            snprintf(cmd, sizeof cmd, "rm '%s'/_delta_log/*.0000000002.0000000003.parquet && echo ok", dir);
            free(read_cmd(cmd));
            ck_ok(llmd_delta_snapshot_latest(&s2, t));
            ck_assert_uint_eq(llmd_delta_snapshot_file_count(s2), 26);
            llmd_delta_snapshot_free(s2);
        }
        if (cases[c].v2) {
            /* killed after the sidecars, before the top-level file: orphan sidecars and a
             * _last_checkpoint naming a missing file are ignored, the commits rebuild the state */
            snprintf(cmd, sizeof cmd, "rm '%s'/_delta_log/00000000000000000009.checkpoint.*-*-*.* && echo ok", dir);
            free(read_cmd(cmd));
            ck_assert_uint_eq(count_matching(log, "\\.checkpoint\\."), 0);
            ck_assert_uint_eq(count_matching(side, "parquet$"), cases[c].n_sidecars);
            llmd_delta_snapshot *s3 = NULL;
            ck_ok(llmd_delta_snapshot_latest(&s3, t));
            ck_assert_int_eq(llmd_delta_snapshot_version(s3), 9);
            ck_assert_uint_eq(llmd_delta_snapshot_file_count(s3), 26);
            llmd_delta_snapshot_free(s3);
        }
        llmd_delta_table_free(t);
    }
    /* refusals: V2 on a classic table, unknown options version / kind */
    char dir[700];
    snprintf(dir, sizeof dir, "%s/r", g_tmp);
    llmd_delta_table *t = create_table(dir, false);
    llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    o.kind = LLMD_DELTA_CHECKPOINT_V2;
    ck_fails(llmd_delta_checkpoint_with(t, &o, NULL), LLMD_ERR_UNSUPPORTED, "v2Checkpoint");
    o.kind = LLMD_DELTA_CHECKPOINT_AUTO;
    o.v2_parquet = true;
    ck_fails(llmd_delta_checkpoint_with(t, &o, NULL), LLMD_ERR_INVALID_ARG, "v2_parquet");
    o.kind = 7;
    ck_fails(llmd_delta_checkpoint_with(t, &o, NULL), LLMD_ERR_INVALID_ARG, "kind");
    o = (llmd_delta_checkpoint_options)LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    o.version = 9;
    ck_fails(llmd_delta_checkpoint_with(t, &o, NULL), LLMD_ERR_VERSION, "llmd_delta_checkpoint_options");
    ck_fails(llmd_delta_checkpoint_with(NULL, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL table");
    llmd_delta_table_free(t);
    /* multi-part checkpoints are forbidden on v2Checkpoint tables (PROTOCOL.md); one part is fine */
    snprintf(dir, sizeof dir, "%s/v2", g_tmp);
    t = checkpoint_fixture(dir, true);
    o = (llmd_delta_checkpoint_options)LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    o.kind = LLMD_DELTA_CHECKPOINT_CLASSIC;
    o.parts = 2;
    ck_fails(llmd_delta_checkpoint_with(t, &o, NULL), LLMD_ERR_UNSUPPORTED, "multi-part");
    o.parts = 0;
    ck_ok(llmd_delta_checkpoint_with(t, &o, NULL));
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* llmd_delta_write_files (pipeline --delta): one version per call with txn + commitInfo, stats
 * from the footers (rows.parquet: id 1..3, text with one null — tests/data/delta/README.md), the
 * table created from the first file, idempotent reruns, schema enforcement, argument checks. */
START_TEST(test_write_files) {
    make_tmp();
    char dir[700], rowsf[1200], score[1200], cmd[2000];
    snprintf(dir, sizeof dir, "%s/w", g_tmp);
    snprintf(rowsf, sizeof rowsf, "%s/data/delta/rows.parquet", test_srcdir());
    snprintf(score, sizeof score, "%s/data/delta/rows_score.parquet", test_srcdir());
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    const char *files[] = {rowsf, rowsf};
    llmd_delta_write_options o = LLMD_DELTA_WRITE_OPTIONS_INIT;
    o.files = files;
    o.n_files = 2;
    o.app_id = "run-a";
    o.app_version = 1;
    o.operation_parameters_json = "{\"seq_len\":\"128\"}";
    int64_t v = -2, tv = -2;
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert_int_eq(v, 1);      /* version 0 = the create */
    ck_assert_int_eq(tv, 1);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_schema_json(s), "\"name\":\"text\""));
    llmd_delta_file f;
    ck_ok(llmd_delta_snapshot_file(s, 0, &f));
    cJSON *st = cJSON_Parse(f.stats_json);
    ck_assert_int_eq(cJSON_GetObjectItem(st, "numRecords")->valueint, 3);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "minValues"), "id")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "maxValues"), "id")->valueint, 3);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(st, "nullCount"), "text")->valueint, 1);
    cJSON_Delete(st);
    int64_t av;
    ck_ok(llmd_delta_snapshot_app_version(s, "run-a", &av));
    ck_assert_int_eq(av, 1);
    llmd_delta_snapshot_free(s);
    snprintf(cmd, sizeof cmd, "grep -c '\"operation\":\"WRITE\",\"operationParameters\":{\"seq_len\":\"128\"}' '%s/_delta_log/00000000000000000001.json'", dir);
    char *out = read_cmd(cmd);
    ck_assert_int_eq(atoi(out), 1);
    free(out);
    /* the same appId version again: nothing written, no copy made */
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c parquet", dir);
    out = read_cmd(cmd);
    int copies = atoi(out);
    free(out);
    ck_assert_int_eq(copies, 2);
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert_int_eq(v, -1);
    ck_assert_int_eq(tv, 1);
    out = read_cmd(cmd);
    ck_assert_int_eq(atoi(out), 2);
    free(out);
    /* an older version of the same app is also already in */
    o.app_version = 0;
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert_int_eq(v, -1);
    /* the next run of the app, then no txn at all: versions 2 and 3 */
    o.app_version = 2;
    o.n_files = 1;
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert_int_eq(v, 2);
    o.app_id = NULL;
    ck_ok(llmd_delta_write_files(t, &o, &v, NULL));
    ck_assert_int_eq(v, 3);
    ck_assert_uint_eq(file_count_at(t, 3), 4);
    /* schema enforced: the extra column is named, nothing committed */
    const char *bad[] = {rowsf, score};
    o.files = bad;
    o.n_files = 2;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_SCHEMA, "score");
    ck_assert_int_eq(v, -1);
    ck_assert_uint_eq(file_count_at(t, 3), 4);
    llmd_delta_snapshot *s2 = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s2, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s2), 3);
    llmd_delta_snapshot_free(s2);
    llmd_delta_table_free(t);
    /* no table and create off; bad arguments */
    snprintf(dir, sizeof dir, "%s/none", g_tmp);
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    o = (llmd_delta_write_options)LLMD_DELTA_WRITE_OPTIONS_INIT;
    o.files = files;
    o.n_files = 1;
    o.create = false;
    ck_fails(llmd_delta_write_files(t, &o, &v, NULL), LLMD_ERR_NOT_FOUND, "");
    o.n_files = 0;
    ck_fails(llmd_delta_write_files(t, &o, &v, NULL), LLMD_ERR_INVALID_ARG, "no files");
    o.n_files = 1;
    o.app_id = "";
    ck_fails(llmd_delta_write_files(t, &o, &v, NULL), LLMD_ERR_INVALID_ARG, "appId");
    o.version = 5;
    ck_fails(llmd_delta_write_files(t, &o, &v, NULL), LLMD_ERR_VERSION, "llmd_delta_write_options");
    ck_fails(llmd_delta_write_files(t, NULL, &v, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_args) {
    llmd_delta_table *t = NULL;
    ck_fails(llmd_delta_table_open(&t, "", NULL), LLMD_ERR_INVALID_ARG, "empty path");
    llmd_delta_table_options o = LLMD_DELTA_TABLE_OPTIONS_INIT;
    o.version = 99;
    ck_fails(llmd_delta_table_open(&t, "/x", &o), LLMD_ERR_VERSION, "llmd_delta_table_options");
    ck_ok(llmd_delta_table_open(&t, "/nonexistent/llmd/table/", NULL));
    ck_assert_str_eq(llmd_delta_table_path(t), "/nonexistent/llmd/table");
    llmd_delta_snapshot *s = NULL;
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_NOT_FOUND, "not a Delta table");
    llmd_delta_create_options c = LLMD_DELTA_CREATE_OPTIONS_INIT;
    c.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"A\",\"type\":\"long\"}]}";
    ck_fails(llmd_delta_table_create(t, &c), LLMD_ERR_SCHEMA, "duplicate column 'A'");
    c.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}";
    const char *parts[] = {"b"};
    c.partition_columns = parts;
    c.n_partition_columns = 1;
    ck_fails(llmd_delta_table_create(t, &c), LLMD_ERR_SCHEMA, "partition column 'b'");
    llmd_delta_table_free(t);
    llmd_delta_table_free(NULL);
    llmd_delta_snapshot_free(NULL);
    llmd_delta_txn_free(NULL);
}
END_TEST

static void fail_missing_shared(void) { ck_abort_msg("CI=true but ../shared/delta-tables is missing"); }
START_TEST(test_shared_missing_in_ci) { fail_missing_shared(); }
END_TEST

int main(void) {
    Suite *s = suite_create("delta");
    TCase *r = tcase_create("replay");
    tcase_set_timeout(r, 600);
    tcase_add_test(r, test_replay_pure);
    tcase_add_test(r, test_paths_and_names);
    tcase_add_test(r, test_args);
    if (shared_tables()) {
        tcase_add_test(r, test_real_tables_match_reference);
        tcase_add_test(r, test_golden_expectations);
        tcase_add_test(r, test_delta_rs_tables);
        tcase_add_test(r, test_scan_matches_spark);
        tcase_add_test(r, test_checkpoint_equals_commits);
    } else if (ci_mode()) {
        tcase_add_test(r, test_shared_missing_in_ci);
    } else {
        fprintf(stderr, "SKIP: real-table checks (../shared/delta-tables absent)\n");
    }
    suite_add_tcase(s, r);
    TCase *w = tcase_create("write");
    tcase_set_timeout(w, 600);
    tcase_add_test(w, test_create_append_remove_restore);
    tcase_add_test(w, test_properties_schema_txn);
    tcase_add_test(w, test_conflict_rules);
    tcase_add_test(w, test_concurrent_writers);
    tcase_add_test(w, test_crash_safety);
    tcase_add_test(w, test_crash_states);
    tcase_add_test(w, test_vacuum);
    tcase_add_test(w, test_hostile_files);
    tcase_add_test(w, test_append_parquet);
    tcase_add_test(w, test_classic_checkpoint);
    tcase_add_test(w, test_checkpoint_kinds);
    tcase_add_test(w, test_spark_murmur3);
    tcase_add_test(w, test_write_files);
    suite_add_tcase(s, w);
    return run_suite(s);
}
