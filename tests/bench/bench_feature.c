/* Feature store benchmark (run by tests/bench/feature_bench.sh, which times pandas merge_asof on
 * the same data in the same run).
 *   bench_feature REPO ENTITY_KEYS.i64 ENTITY_TS.i64 THREADS   point-in-time join of the entity rows
 *                                                             with view "stats" (4 features)
 *   bench_feature --online REPO N_LOOKUPS [VIEW]               materialize VIEW ("stats"), batch + single lookups
 * Raw files are little-endian int64 arrays.  Besides wall time, CPU time (the process's) is
 * printed: on a shared, loaded machine it is the better measure of what one core does. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmdata.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double cpu_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int64_t *load(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) { perror(path); exit(1); }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    int64_t *p = malloc((size_t)sz + 8);
    if (!p || fread(p, 1, (size_t)sz, f) != (size_t)sz) { perror(path); exit(1); }
    fclose(f);
    *n = (size_t)sz / 8;
    return p;
}

static int die(const char *what) {
    fprintf(stderr, "%s: %s\n", what, llmd_last_error());
    return 1;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int online(const char *dir, size_t n_lookups, const char *view) {
    llmd_feature_repo *repo;
    if (llmd_feature_repo_open(&repo, dir) != LLMD_OK) return die("open");
    llmd_materialize_stats ms;
    double t0 = now();
    if (llmd_feature_materialize(repo, view, INT64_MIN / 2, INT64_MAX / 2, &ms) != LLMD_OK) return die("materialize");
    double t_mat = now() - t0;
    llmd_online_snapshot *s;
    if (llmd_online_snapshot_open(&s, repo, view) != LLMD_OK) return die("snapshot");
    uint64_t keys = llmd_online_snapshot_keys(s);
    int64_t *q = malloc(n_lookups * sizeof *q);
    uint64_t x = 88172645463325252ULL;
    for (size_t i = 0; i < n_lookups; i++) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        q[i] = (int64_t)(x % (keys + keys / 10));   /* ~9 % misses */
    }
    llmd_key_column kc = {.name = "user_id", .ints = q};
    const char *feats[] = {"clicks", "score", "ratio", "active"};
    llmd_feature_result *res;
    t0 = now();
    double c0 = cpu_now();
    if (llmd_online_lookup(s, &kc, 1, n_lookups, feats, 4, 0, &res) != LLMD_OK) return die("lookup");
    double t_batch = now() - t0, c_batch = cpu_now() - c0;
    llmd_feature_result_free(res);
    /* Single-key lookups, each timed: find + read the 4 values. */
    size_t n_single = n_lookups < 1000000 ? n_lookups : 1000000;
    double *lat = malloc(n_single * sizeof *lat);
    volatile int64_t sink = 0;
    for (size_t i = 0; i < n_single; i++) {
        double a = now();
        int64_t row = llmd_online_find(s, &q[i], NULL, NULL);
        if (row >= 0)
            for (size_t f = 0; f < 4; f++) {
                const void *v;
                size_t len;
                int st;
                llmd_online_value(s, row, f, 0, &v, &len, &st);
                sink += *(const uint8_t *)v;
            }
        lat[i] = now() - a;
    }
    qsort(lat, n_single, sizeof *lat, cmp_double);
    printf("{\"materialize_rows\": %llu, \"materialize_s\": %.3f, \"materialize_rows_per_s\": %.0f, \"snapshot_keys\": %llu, "
           "\"batch_lookups\": %zu, \"batch_s\": %.3f, \"lookups_per_s\": %.0f, \"batch_cpu_s\": %.3f, \"lookups_per_cpu_s\": %.0f, \"single_p50_us\": %.2f, \"single_p99_us\": %.2f}\n",
           (unsigned long long)ms.rows_read, t_mat, ms.rows_read / t_mat, (unsigned long long)keys, n_lookups, t_batch,
           n_lookups / t_batch, c_batch, n_lookups / c_batch, lat[n_single / 2] * 1e6, lat[n_single * 99 / 100] * 1e6);
    (void)sink;
    free(lat);
    free(q);
    llmd_online_snapshot_free(s);
    llmd_feature_repo_free(repo);
    return 0;
}

int main(int argc, char **argv) {
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "--online") == 0)
        return online(argv[2], (size_t)atoll(argv[3]), argc == 5 ? argv[4] : "stats");
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: bench_feature REPO KEYS.i64 TS.i64 THREADS [MEMORY_LIMIT] | --online REPO N [VIEW]\n");
        return 2;
    }
    size_t nk, nt;
    int64_t *keys = load(argv[2], &nk), *ts = load(argv[3], &nt);
    if (nk != nt) { fprintf(stderr, "keys and times differ in length\n"); return 1; }
    llmd_feature_repo *repo;
    if (llmd_feature_repo_open(&repo, argv[1]) != LLMD_OK) return die("open");
    const char *feats[] = {"stats:clicks", "stats:score", "stats:ratio", "stats:active"};
    llmd_key_column kc = {.name = "user_id", .ints = keys};
    llmd_historical_options o = LLMD_HISTORICAL_OPTIONS_INIT;
    o.threads = (unsigned)atoi(argv[4]);
    o.memory_limit = argc == 6 ? (uint64_t)atoll(argv[5]) : 0;   /* > 0: the bounded-memory (spilling) join */
    llmd_feature_result *res;
    /* Reading + sorting the source alone (no entity rows), then the whole call. */
    double t0 = now(), c0 = cpu_now();
    if (llmd_feature_historical(repo, feats, 4, &kc, 1, ts, 0, &o, &res) != LLMD_OK) return die("load");
    double t_load = now() - t0, c_load = cpu_now() - c0;
    llmd_feature_result_free(res);
    t0 = now();
    c0 = cpu_now();
    if (llmd_feature_historical(repo, feats, 4, &kc, 1, ts, nk, &o, &res) != LLMD_OK) return die("join");
    double t_all = now() - t0, c_all = cpu_now() - c0;
    llmd_feature_column c;
    llmd_feature_result_column(res, 0, &c);
    size_t hits = 0;
    int64_t sum = 0;
    for (size_t i = 0; i < nk; i++)
        if (c.validity[i]) { hits++; sum += ((const int64_t *)c.values)[i]; }
    double t_join = t_all - t_load;
    printf("{\"entity_rows\": %zu, \"threads\": %u, \"source_load_sort_s\": %.3f, \"total_s\": %.3f, \"join_s\": %.3f, "
           "\"join_rows_per_s\": %.0f, \"join_cpu_s\": %.3f, \"join_rows_per_cpu_s\": %.0f, \"hits\": %zu, \"clicks_sum\": %lld, \"memory_limit\": %llu, \"spill_bytes\": %llu}\n",
           nk, o.threads, t_load, t_all, t_join, nk / t_join, c_all - c_load, nk / (c_all - c_load), hits, (long long)sum, (unsigned long long)o.memory_limit,
           (unsigned long long)llmd_feature_result_spill_bytes(res));
    llmd_feature_result_free(res);
    llmd_feature_repo_free(repo);
    free(keys);
    free(ts);
    return 0;
}
