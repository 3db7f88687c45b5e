/* llmdata delta — the Delta Lake transaction log: files, create, append, remove, history, restore,
 * vacuum, set (properties).  JSON on stdout; errors on stderr with a non-zero exit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli.h"

static const char *const delta_usage =
    "usage: llmdata delta COMMAND TABLE [options]\n"
    "  files TABLE [--version V | --timestamp ISO8601]   active files + protocol + metaData (JSON)\n"
    "  create TABLE (--schema SCHEMA.json | --like FILE.parquet) [--partition-by a,b] [--property k=v]...\n"
    "  append TABLE FILE.parquet... [--partition col=value]... [--txn APP_ID:VERSION] [--merge-schema] [--stats JSON]\n"
    "  remove TABLE (PATH... | --all)                     remove files (a new version)\n"
    "  set TABLE key=value...                             set table properties\n"
    "  history TABLE [--limit N]                          commits, newest first\n"
    "  restore TABLE --version V                          new version with the files of V\n"
    "  vacuum TABLE [--retention-hours H] [--dry-run] [--allow-short-retention]\n"
    "  checkpoint TABLE [--classic | --v2 [--v2-parquet]] [--parts N | --part-size N]\n"
    "                                                     checkpoint the latest version (default: the table's\n"
    "                                                     policy; --parts/--part-size: multi-part or V2 sidecars)\n"
    "  scan TABLE [--version V | --timestamp T] [--columns a,b] [--where 'col>=v']... -o OUT.parquet|OUT.jsonl\n";

static int print_owned(char *json) {
    int rc = puts(json) == EOF ? 1 : 0;
    llmd_free(json);
    return rc;
}

static int open_table(const char *path, llmd_delta_table **t) {
    llmd_status st = llmd_delta_table_open(t, path, NULL);
    return st == LLMD_OK ? 0 : cli_lib_error(path, st);
}

/* "2024-01-02", "2024-01-02T03:04:05", optional ".fff", optional "Z" or "+hh:mm"/"-hh:mm"; or ms. */
static int parse_timestamp(const char *s, int64_t *ms) {
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0' && errno == 0 && end != s) { *ms = v; return 0; }
    struct tm tm = {0};
    const char *p = strptime(s, "%Y-%m-%d", &tm);
    if (p == NULL) return -1;
    long frac_ms = 0;
    if (*p == 'T' || *p == ' ') {
        p = strptime(p + 1, "%H:%M:%S", &tm);
        if (p == NULL) return -1;
        if (*p == '.') {
            int digits = 0;
            for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                if (digits < 3) frac_ms = frac_ms * 10 + (*p - '0');
            for (; digits < 3; digits++) frac_ms *= 10;
        }
    }
    long off = 0;
    if (*p == 'Z') p++;
    else if (*p == '+' || *p == '-') {
        int hh, mm, n = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &hh, &mm, &n) != 2) return -1;
        off = (hh * 60L + mm) * 60L * (*p == '+' ? 1 : -1);
        p += 1 + n;
    }
    if (*p) return -1;
    *ms = ((int64_t)timegm(&tm) - off) * 1000 + frac_ms;
    return 0;
}

static int cmd_files(int argc, char **argv) {
    const char *table = NULL, *version = NULL, *ts = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) { if (cli_need_value(argc, argv, &i, &version)) return 2; }
        else if (strcmp(argv[i], "--timestamp") == 0) { if (cli_need_value(argc, argv, &i, &ts)) return 2; }
        else if (argv[i][0] == '-' || table) return cli_usage(delta_usage);
        else table = argv[i];
    }
    if (!table || (version && ts)) return cli_usage(delta_usage);
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    llmd_delta_snapshot *s = NULL;
    llmd_status st;
    if (version) {
        uint64_t v;
        if (cli_parse_u64("--version", version, &v)) { llmd_delta_table_free(t); return 2; }
        st = llmd_delta_snapshot_at_version(&s, t, (int64_t)v);
    } else if (ts) {
        int64_t ms;
        if (parse_timestamp(ts, &ms)) {
            llmd_delta_table_free(t);
            return cli_error("delta", "--timestamp '%s' is not ISO 8601 (2024-01-02T03:04:05Z) or ms", ts);
        }
        st = llmd_delta_snapshot_at_timestamp(&s, t, ms);
    } else {
        st = llmd_delta_snapshot_latest(&s, t);
    }
    char *json = NULL;
    if (st == LLMD_OK) st = llmd_delta_snapshot_to_json(s, &json, NULL);
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    if (st != LLMD_OK) return cli_lib_error(table, st);
    return print_owned(json);
}

static int split_list(char *s, const char **out, size_t max, size_t *n) {
    for (char *tok = strtok(s, ","); tok; tok = strtok(NULL, ",")) {
        if (*n == max) return -1;
        out[(*n)++] = tok;
    }
    return 0;
}

#define MAX_ITEMS 256

static int cmd_create(int argc, char **argv) {
    const char *table = NULL, *schema = NULL, *parts_arg = NULL, *like = NULL;
    const char *keys[MAX_ITEMS], *vals[MAX_ITEMS], *parts[MAX_ITEMS];
    size_t nk = 0, np = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--schema") == 0) { if (cli_need_value(argc, argv, &i, &schema)) return 2; }
        else if (strcmp(argv[i], "--partition-by") == 0) { if (cli_need_value(argc, argv, &i, &parts_arg)) return 2; }
        else if (strcmp(argv[i], "--property") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) return 2;
            char *eq = strchr(v, '=');
            if (!eq || nk == MAX_ITEMS) return cli_error("delta", "--property wants key=value");
            *eq = '\0';
            keys[nk] = v;
            vals[nk++] = eq + 1;
        } else if (strcmp(argv[i], "--like") == 0) {
            if (cli_need_value(argc, argv, &i, &like)) return 2;
        } else if (argv[i][0] == '-' || table) return cli_usage(delta_usage);
        else table = argv[i];
    }
    if (!table || (!schema == !like)) return cli_usage(delta_usage);
    char *parts_copy = parts_arg ? strdup(parts_arg) : NULL;
    if (parts_copy && split_list(parts_copy, parts, MAX_ITEMS, &np)) { free(parts_copy); return cli_error("delta", "too many partition columns"); }
    char *schema_json = NULL;
    if (like) {
        char *lj = NULL;
        llmd_status lst = llmd_delta_schema_from_parquet(like, &lj);
        if (lst != LLMD_OK) { free(parts_copy); return cli_lib_error(like, lst); }
        schema_json = strdup(lj);
        llmd_free(lj);
        if (schema_json == NULL) { free(parts_copy); return cli_error("delta", "out of memory"); }
    } else {
        FILE *f = fopen(schema, "rb");
        if (f == NULL) { free(parts_copy); return cli_error("delta", "%s: %s", schema, strerror(errno)); }
        schema_json = malloc(1 << 24);
        size_t len = schema_json ? fread(schema_json, 1, (1 << 24) - 1, f) : 0;
        fclose(f);
        if (schema_json == NULL) { free(parts_copy); return cli_error("delta", "out of memory"); }
        schema_json[len] = '\0';
    }
    llmd_delta_table *t;
    if (open_table(table, &t)) { free(parts_copy); free(schema_json); return 1; }
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    o.schema_json = schema_json;
    o.partition_columns = parts;
    o.n_partition_columns = np;
    o.config_keys = keys;
    o.config_values = vals;
    o.n_config = nk;
    llmd_status st = llmd_delta_table_create(t, &o);
    llmd_delta_table_free(t);
    free(parts_copy);
    free(schema_json);
    if (st != LLMD_OK) return cli_lib_error(table, st);
    printf("{\"version\":0}\n");
    return 0;
}

static int report_commit(const char *table, llmd_status st, int64_t version, const char *extra) {
    if (st != LLMD_OK) return cli_lib_error(table, st);
    if (version < 0) printf("{\"version\":null,\"committed\":false%s}\n", extra ? extra : "");
    else printf("{\"version\":%lld,\"committed\":true%s}\n", (long long)version, extra ? extra : "");
    return 0;
}

static int cmd_append(int argc, char **argv) {
    const char *table = NULL, *txn = NULL, *stats = NULL;
    bool merge = false;
    const char *files[MAX_ITEMS], *pk[MAX_ITEMS], *pv[MAX_ITEMS];
    size_t nf = 0, np = 0;
    for (int i = 0; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--txn") == 0) { if (cli_need_value(argc, argv, &i, &txn)) return 2; }
        else if (strcmp(argv[i], "--stats") == 0) { if (cli_need_value(argc, argv, &i, &stats)) return 2; }
        else if (strcmp(argv[i], "--partition") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) return 2;
            char *eq = strchr(v, '=');
            if (!eq || np == MAX_ITEMS) return cli_error("delta", "--partition wants column=value");
            *eq = '\0';
            pk[np] = v;
            pv[np++] = eq + 1;
        } else if (strcmp(argv[i], "--merge-schema") == 0) {
            merge = true;
        } else if (argv[i][0] == '-') return cli_usage(delta_usage);
        else if (!table) table = argv[i];
        else if (nf == MAX_ITEMS) return cli_error("delta", "too many files (max %d per call)", MAX_ITEMS);
        else files[nf++] = argv[i];
    }
    if (!table || nf == 0) return cli_usage(delta_usage);
    char app[1024] = "";
    uint64_t app_version = 0;
    if (txn) {
        const char *colon = strrchr(txn, ':');
        if (!colon || colon == txn || (size_t)(colon - txn) >= sizeof app) return cli_error("delta", "--txn wants APP_ID:VERSION");
        memcpy(app, txn, (size_t)(colon - txn));
        app[colon - txn] = '\0';
        if (cli_parse_u64("--txn", colon + 1, &app_version)) return 2;
    }
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    llmd_delta_txn *x = NULL;
    llmd_status st = llmd_delta_txn_begin(&x, t);
    if (st == LLMD_OK && app[0]) st = llmd_delta_txn_set_app_version(x, app, (int64_t)app_version);
    if (st == LLMD_OK) st = llmd_delta_txn_set_operation(x, "WRITE", "{\"mode\":\"Append\"}");
    /* idempotent rerun: nothing copied when the app version is already in the table */
    int64_t have = -1;
    bool skip = st == LLMD_OK && app[0] &&
                llmd_delta_snapshot_app_version(llmd_delta_txn_snapshot(x), app, &have) == LLMD_OK &&
                have >= (int64_t)app_version;
    for (size_t i = 0; st == LLMD_OK && !skip && i < nf; i++) {
        llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
        a.source = files[i];
        a.partition_keys = pk;
        a.partition_values = pv;
        a.n_partitions = np;
        a.stats_json = stats;
        a.merge_schema = merge;
        st = llmd_delta_txn_append_file(x, &a, NULL);
    }
    int64_t version = -1;
    if (st == LLMD_OK) st = llmd_delta_txn_commit(x, &version);
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    return report_commit(table, st, version, NULL);
}

static int cmd_remove(int argc, char **argv) {
    const char *table = NULL;
    bool all = false;
    const char *paths[MAX_ITEMS];
    size_t n = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--all") == 0) all = true;
        else if (argv[i][0] == '-') return cli_usage(delta_usage);
        else if (!table) table = argv[i];
        else if (n == MAX_ITEMS) return cli_error("delta", "too many paths");
        else paths[n++] = argv[i];
    }
    if (!table || (n == 0) == !all) return cli_usage(delta_usage);
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    llmd_delta_txn *x = NULL;
    llmd_status st = llmd_delta_txn_begin(&x, t);
    if (st == LLMD_OK) st = llmd_delta_txn_set_operation(x, "DELETE", NULL);
    if (st == LLMD_OK && all) st = llmd_delta_txn_remove_all(x);
    for (size_t i = 0; st == LLMD_OK && i < n; i++) st = llmd_delta_txn_remove(x, paths[i]);
    int64_t version = -1;
    if (st == LLMD_OK) st = llmd_delta_txn_commit(x, &version);
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    return report_commit(table, st, version, NULL);
}

static int cmd_set(int argc, char **argv) {
    if (argc < 2) return cli_usage(delta_usage);
    const char *table = argv[0];
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    llmd_delta_txn *x = NULL;
    llmd_status st = llmd_delta_txn_begin(&x, t);
    if (st == LLMD_OK) st = llmd_delta_txn_set_operation(x, "SET TBLPROPERTIES", NULL);
    for (int i = 1; st == LLMD_OK && i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (!eq) {
            llmd_delta_txn_free(x);
            llmd_delta_table_free(t);
            return cli_error("delta", "set wants key=value, not '%s'", argv[i]);
        }
        *eq = '\0';
        st = llmd_delta_txn_set_property(x, argv[i], eq + 1);
    }
    int64_t version = -1;
    if (st == LLMD_OK) st = llmd_delta_txn_commit(x, &version);
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    return report_commit(table, st, version, NULL);
}

static int cmd_history(int argc, char **argv) {
    const char *table = NULL, *limit = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--limit") == 0) { if (cli_need_value(argc, argv, &i, &limit)) return 2; }
        else if (argv[i][0] == '-' || table) return cli_usage(delta_usage);
        else table = argv[i];
    }
    if (!table) return cli_usage(delta_usage);
    uint64_t lim = 0;
    if (limit && cli_parse_u64("--limit", limit, &lim)) return 2;
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    char *json = NULL;
    llmd_status st = llmd_delta_history_json(t, (size_t)lim, &json, NULL);
    llmd_delta_table_free(t);
    if (st != LLMD_OK) return cli_lib_error(table, st);
    return print_owned(json);
}

static int cmd_restore(int argc, char **argv) {
    const char *table = NULL, *version = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--version") == 0) { if (cli_need_value(argc, argv, &i, &version)) return 2; }
        else if (argv[i][0] == '-' || table) return cli_usage(delta_usage);
        else table = argv[i];
    }
    uint64_t v;
    if (!table || !version) return cli_usage(delta_usage);
    if (cli_parse_u64("--version", version, &v)) return 2;
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    int64_t nv = -1;
    llmd_status st = llmd_delta_restore(t, (int64_t)v, &nv);
    llmd_delta_table_free(t);
    return report_commit(table, st, nv, NULL);
}

static int cmd_vacuum(int argc, char **argv) {
    const char *table = NULL, *hours = NULL;
    llmd_delta_vacuum_options o = LLMD_DELTA_VACUUM_OPTIONS_INIT;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--retention-hours") == 0) { if (cli_need_value(argc, argv, &i, &hours)) return 2; }
        else if (strcmp(argv[i], "--dry-run") == 0) o.dry_run = true;
        else if (strcmp(argv[i], "--allow-short-retention") == 0) o.allow_short_retention = true;
        else if (argv[i][0] == '-' || table) return cli_usage(delta_usage);
        else table = argv[i];
    }
    if (!table) return cli_usage(delta_usage);
    if (hours && cli_parse_double("--retention-hours", hours, &o.retention_hours)) return 2;
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    char *json = NULL;
    llmd_status st = llmd_delta_vacuum(t, &o, &json);
    llmd_delta_table_free(t);
    if (st != LLMD_OK) return cli_lib_error(table, st);
    return print_owned(json);
}

/* checkpoint TABLE [--classic | --v2 [--v2-parquet]] [--parts N | --part-size N] */
static int cmd_checkpoint(int argc, char **argv) {
    const char *table = NULL, *parts = NULL, *part_size = NULL;
    llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--parts") == 0) { if (cli_need_value(argc, argv, &i, &parts)) return 2; }
        else if (strcmp(argv[i], "--part-size") == 0) { if (cli_need_value(argc, argv, &i, &part_size)) return 2; }
        else if (strcmp(argv[i], "--v2") == 0) o.kind = LLMD_DELTA_CHECKPOINT_V2;
        else if (strcmp(argv[i], "--classic") == 0) o.kind = LLMD_DELTA_CHECKPOINT_CLASSIC;
        else if (strcmp(argv[i], "--v2-parquet") == 0) o.v2_parquet = true;
        else if (argv[i][0] == '-' || table) return cli_usage(delta_usage);
        else table = argv[i];
    }
    if (!table || (parts && part_size)) return cli_usage(delta_usage);
    uint64_t v64 = 0;
    if (parts) {
        if (cli_parse_u64("--parts", parts, &v64)) return 2;
        if (v64 == 0 || v64 > INT32_MAX) { fprintf(stderr, "llmdata: --parts must be 1..%d\n", INT32_MAX); return 2; }
        o.parts = (uint32_t)v64;
    }
    if (part_size) {
        if (cli_parse_u64("--part-size", part_size, &o.part_size)) return 2;
        if (o.part_size == 0) { fputs("llmdata: --part-size must be at least 1\n", stderr); return 2; }
    }
    llmd_delta_table *t;
    if (open_table(table, &t)) return 1;
    int64_t v = -1;
    llmd_status st = llmd_delta_checkpoint_with(t, &o, &v);
    llmd_delta_table_free(t);
    if (st != LLMD_OK) return cli_lib_error(table, st);
    printf("{\"version\":%lld}\n", (long long)v);
    return 0;
}

/* "col>=v", "col<=v", "col!=v", "col=v", "col<v", "col>v", "col is null", "col is not null" */
static int parse_where(char *w, llmd_delta_predicate *p) {
    size_t n = strlen(w);
    p->value = NULL;
    if (n > 12 && strcasecmp(w + n - 12, " is not null") == 0) { w[n - 12] = '\0'; p->column = w; p->op = LLMD_DELTA_NOT_NULL; return 0; }
    if (n > 8 && strcasecmp(w + n - 8, " is null") == 0) { w[n - 8] = '\0'; p->column = w; p->op = LLMD_DELTA_IS_NULL; return 0; }
    static const struct { const char *s; int op; } ops[] = {{">=", LLMD_DELTA_GE}, {"<=", LLMD_DELTA_LE}, {"!=", LLMD_DELTA_NE},
                                                            {"=", LLMD_DELTA_EQ}, {"<", LLMD_DELTA_LT}, {">", LLMD_DELTA_GT}};
    char *best = NULL;
    int op = 0;
    size_t oplen = 0;
    for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) {
        char *at = strstr(w, ops[k].s);
        if (at && (!best || at < best || (at == best && strlen(ops[k].s) > oplen))) { best = at; op = ops[k].op; oplen = strlen(ops[k].s); }
    }
    if (!best || best == w) return -1;
    *best = '\0';
    p->column = w;
    p->op = op;
    p->value = best + oplen;
    return 0;
}

static int cmd_scan(int argc, char **argv) {
    const char *table = NULL, *version = NULL, *ts = NULL, *out = NULL, *cols_arg = NULL;
    llmd_delta_predicate preds[64];
    size_t np = 0;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--where") == 0) {
            const char *w;
            if (cli_need_value(argc, argv, &i, &w)) return 2;
            if (np == 64 || parse_where((char *)w, &preds[np]) != 0)
                return cli_error("delta", "--where '%s': want COLUMN OP VALUE (=, !=, <, <=, >, >=) or COLUMN is [not] null", w);
            np++;
            continue;
        }
        if (strcmp(argv[i], "--version") == 0) { if (cli_need_value(argc, argv, &i, &version)) return 2; }
        else if (strcmp(argv[i], "--timestamp") == 0) { if (cli_need_value(argc, argv, &i, &ts)) return 2; }
        else if (strcmp(argv[i], "--columns") == 0) { if (cli_need_value(argc, argv, &i, &cols_arg)) return 2; }
        else if (strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--output") == 0) { if (cli_need_value(argc, argv, &i, &out)) return 2; }
        else if (argv[i][0] == '-' || table) return cli_usage(delta_usage);
        else table = argv[i];
    }
    if (!table || !out || (version && ts)) return cli_usage(delta_usage);
    size_t ol = strlen(out);
    bool parquet = ol >= 8 && strcmp(out + ol - 8, ".parquet") == 0;
    if (!parquet && (ol < 6 || strcmp(out + ol - 6, ".jsonl") != 0))
        return cli_error("delta", "scan writes OUT.parquet or OUT.jsonl, not '%s'", out);
    const char *cols[MAX_ITEMS];
    size_t nc = 0;
    char *cols_copy = cols_arg ? strdup(cols_arg) : NULL;
    if (cols_copy && split_list(cols_copy, cols, MAX_ITEMS, &nc)) { free(cols_copy); return cli_error("delta", "too many columns"); }
    llmd_delta_table *t;
    if (open_table(table, &t)) { free(cols_copy); return 1; }
    llmd_delta_snapshot *s = NULL;
    llmd_status st = LLMD_OK;
    if (version) {
        uint64_t v;
        if (cli_parse_u64("--version", version, &v)) { free(cols_copy); llmd_delta_table_free(t); return 2; }
        st = llmd_delta_snapshot_at_version(&s, t, (int64_t)v);
    } else if (ts) {
        int64_t ms;
        if (parse_timestamp(ts, &ms)) { free(cols_copy); llmd_delta_table_free(t); return cli_error("delta", "bad --timestamp '%s'", ts); }
        st = llmd_delta_snapshot_at_timestamp(&s, t, ms);
    } else {
        st = llmd_delta_snapshot_latest(&s, t);
    }
    llmd_delta_scan_options o = LLMD_DELTA_SCAN_OPTIONS_INIT;
    o.columns = cols;
    o.n_columns = nc;
    o.predicates = preds;
    o.n_predicates = np;
    uint64_t rows = 0;
    if (st == LLMD_OK) st = parquet ? llmd_delta_scan_parquet(s, out, &o, &rows) : llmd_delta_scan_jsonl(s, out, &o, &rows);
    int64_t v = llmd_delta_snapshot_version(s);
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    free(cols_copy);
    if (st != LLMD_OK) return cli_lib_error(table, st);
    printf("{\"version\":%lld,\"rows\":%llu}\n", (long long)v, (unsigned long long)rows);
    return 0;
}

int cmd_delta(int argc, char **argv);
int cmd_delta(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(delta_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("llmdata %s\n", llmd_version());
        return 0;
    }
    const char *sub = argv[1];
    int n = argc - 2;
    char **rest = argv + 2;
    if (strcmp(sub, "files") == 0) return cmd_files(n, rest);
    if (strcmp(sub, "create") == 0) return cmd_create(n, rest);
    if (strcmp(sub, "append") == 0) return cmd_append(n, rest);
    if (strcmp(sub, "remove") == 0) return cmd_remove(n, rest);
    if (strcmp(sub, "set") == 0) return cmd_set(n, rest);
    if (strcmp(sub, "history") == 0) return cmd_history(n, rest);
    if (strcmp(sub, "restore") == 0) return cmd_restore(n, rest);
    if (strcmp(sub, "vacuum") == 0) return cmd_vacuum(n, rest);
    if (strcmp(sub, "checkpoint") == 0) return cmd_checkpoint(n, rest);
    if (strcmp(sub, "scan") == 0) return cmd_scan(n, rest);
    return cli_usage(delta_usage);
}
