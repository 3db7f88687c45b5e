/* Delta log benchmark: commits/s with 1 and 4 writer processes (each commit = read the latest
 * snapshot, write one add, put-if-absent publish with fsyncs), and snapshot load time for tables of
 * 1 000 / 10 000 / 100 000 commits, without and with a (JSON V2) checkpoint 5 commits before the end.
 * Peer measured in the same run: the independent pure-Python replay tests/delta/replay_ref.py
 * (json module; no other Delta reader is installable here) replaying the same no-checkpoint tables
 * to their latest version, timed as a process (interpreter start included, ~20 ms).
 *
 * Scan throughput is printed without a peer (none is installable as a C library here).
 *
 * usage: bench_delta [MAX_COMMITS (default 100000)] [SRCDIR for replay_ref.py (default tests)] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "llmdata.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench_delta: %s: %s\n", what, llmd_last_error());
    exit(1);
}

static const char *schema = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";

static llmd_delta_table *create(const char *dir, bool v2) {
    llmd_delta_table *t = NULL;
    if (llmd_delta_table_open(&t, dir, NULL) != LLMD_OK) die("open");
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *k[] = {"delta.checkpointPolicy", "delta.checkpointInterval"}, *v[] = {"v2", "1000000000"};
    o.schema_json = schema;
    o.config_keys = k;
    o.config_values = v;
    o.n_config = v2 ? 2 : 0;
    if (llmd_delta_table_create(t, &o) != LLMD_OK) die("create");
    return t;
}

static void commit_one(llmd_delta_table *t, const char *path) {
    llmd_delta_txn *x = NULL;
    llmd_delta_add a = LLMD_DELTA_ADD_INIT;
    a.path = path;
    a.size = 1000;
    a.stats_json = "{\"numRecords\":10,\"minValues\":{\"id\":1},\"maxValues\":{\"id\":10},\"nullCount\":{\"id\":0}}";
    int64_t v;
    if (llmd_delta_txn_begin(&x, t) != LLMD_OK || llmd_delta_txn_add(x, &a) != LLMD_OK ||
        llmd_delta_txn_commit(x, &v) != LLMD_OK)
        die("commit");
    llmd_delta_txn_free(x);
}

static double bench_commits(const char *root, int writers, int per_writer) {
    char dir[600];
    snprintf(dir, sizeof dir, "%s/commits%d", root, writers);
    llmd_delta_table *t = create(dir, false);
    double t0 = now_s();
    for (int w = 0; w < writers; w++) {
        if (fork() == 0) {
            llmd_delta_table_options o = LLMD_DELTA_TABLE_OPTIONS_INIT;
            o.max_commit_retries = 100000;
            llmd_delta_table *ct = NULL;
            if (llmd_delta_table_open(&ct, dir, &o) != LLMD_OK) _exit(1);
            for (int k = 0; k < per_writer; k++) {
                char p[64];
                snprintf(p, sizeof p, "w%d-%d.parquet", w, k);
                commit_one(ct, p);
            }
            _exit(0);
        }
    }
    for (int w = 0; w < writers; w++) {
        int st;
        wait(&st);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) die("writer failed");
    }
    double secs = now_s() - t0;
    llmd_delta_table_free(t);
    return writers * per_writer / secs;
}

/* Writes commits 1..n straight to the log (as another writer would), for load benchmarks. */
static void write_commits(const char *dir, int64_t from, int64_t to) {
    for (int64_t v = from; v <= to; v++) {
        char path[700], body[600];
        snprintf(path, sizeof path, "%s/_delta_log/%020lld.json", dir, (long long)v);
        int n = snprintf(body, sizeof body,
                         "{\"commitInfo\":{\"inCommitTimestamp\":%lld,\"timestamp\":%lld,\"operation\":\"WRITE\",\"isBlindAppend\":true}}\n"
                         "{\"add\":{\"path\":\"part-%06lld.parquet\",\"partitionValues\":{},\"size\":1000,\"modificationTime\":%lld,"
                         "\"dataChange\":true,\"stats\":\"{\\\"numRecords\\\":10,\\\"minValues\\\":{\\\"id\\\":1},\\\"maxValues\\\":{\\\"id\\\":10},\\\"nullCount\\\":{\\\"id\\\":0}}\"}}\n",
                         (long long)(1800000000000LL + v), (long long)(1800000000000LL + v), (long long)v,
                         (long long)(1800000000000LL + v));
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 || write(fd, body, (size_t)n) != n) { perror(path); exit(1); }
        close(fd);
    }
}

/* Best wall time of `reps` loads; *cpu_ms gets the CPU time of that load (the machine may be shared). */
static double load_ms(const char *dir, int64_t expect_files, int reps, double *cpu_ms) {
    llmd_delta_table *t = NULL;
    if (llmd_delta_table_open(&t, dir, NULL) != LLMD_OK) die("open");
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s(), c0 = cpu_s();
        llmd_delta_snapshot *s = NULL;
        if (llmd_delta_snapshot_latest(&s, t) != LLMD_OK) die("snapshot");
        double ms = (now_s() - t0) * 1000, cms = (cpu_s() - c0) * 1000;
        if ((int64_t)llmd_delta_snapshot_file_count(s) != expect_files) {
            fprintf(stderr, "bench_delta: %s: %zu files, expected %lld\n", dir, llmd_delta_snapshot_file_count(s),
                    (long long)expect_files);
            exit(1);
        }
        llmd_delta_snapshot_free(s);
        if (ms < best) { best = ms; *cpu_ms = cms; }
    }
    llmd_delta_table_free(t);
    return best;
}

static double python_ms(const char *srcdir, const char *dir) {
    char cmd[2000];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/delta/replay_ref.py' '%s' --latest > /dev/null", srcdir, dir);
    if (access("/usr/bin/python3", X_OK) != 0) return -1;
    double t0 = now_s();
    if (system(cmd) != 0) return -1;
    return (now_s() - t0) * 1000;
}

/* Scan throughput: F Parquet files of R rows (id int64, text ~40 bytes) appended to a table, then
 * scanned to JSON lines and to Parquet.  MB/s counts the data files' bytes. */
static void bench_scan(const char *root, int files, int rows) {
    char dir[600], src[700], out[700];
    snprintf(dir, sizeof dir, "%s/scan", root);
    llmd_delta_table *t = NULL;
    if (llmd_delta_table_open(&t, dir, NULL) != LLMD_OK) die("open");
    llmd_delta_create_options co = LLMD_DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                     "{\"name\":\"text\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";
    if (llmd_delta_table_create(t, &co) != LLMD_OK) die("create");
    int64_t *ids = malloc(sizeof *ids * (size_t)rows);
    int32_t *offs = malloc(sizeof *offs * ((size_t)rows + 1));
    char *text = malloc((size_t)rows * 48);
    uint64_t bytes = 0;
    llmd_delta_txn *x = NULL;
    if (llmd_delta_txn_begin(&x, t) != LLMD_OK) die("txn");
    for (int f = 0; f < files; f++) {
        size_t pos = 0;
        offs[0] = 0;
        for (int i = 0; i < rows; i++) {
            ids[i] = (int64_t)f * rows + i;
            pos += (size_t)sprintf(text + pos, "document %d of file %d, some words", i, f);
            offs[i + 1] = (int32_t)pos;
        }
        llmd_schema *sc;
        int a, b;
        llmd_schema_new(&sc);
        llmd_schema_add(sc, 0, "id", &(llmd_type){LLMD_TYPE_INT64, 0, 0, 0, 0, 0}, 1, &a);
        llmd_schema_add(sc, 0, "text", &(llmd_type){LLMD_TYPE_STRING, 0, 0, 0, 0, 0}, 1, &b);
        snprintf(src, sizeof src, "%s/src%d.parquet", root, f);
        llmd_parquet_writer *w;
        llmd_column cols[2] = {{.length = rows, .values = ids}, {.length = rows, .offsets = offs, .values = text}};
        if (llmd_parquet_writer_open(&w, src, sc, NULL) != LLMD_OK || llmd_parquet_writer_write(w, cols, 2) != LLMD_OK ||
            llmd_parquet_writer_finish(w) != LLMD_OK)
            die("parquet writer");
        llmd_parquet_writer_free(w);
        llmd_schema_free(sc);
        struct stat sb;
        stat(src, &sb);
        bytes += (uint64_t)sb.st_size;
        llmd_delta_append ap = LLMD_DELTA_APPEND_INIT;
        ap.source = src;
        if (llmd_delta_txn_append_file(x, &ap, NULL) != LLMD_OK) die("append");
    }
    int64_t v;
    if (llmd_delta_txn_commit(x, &v) != LLMD_OK) die("commit");
    llmd_delta_txn_free(x);
    free(ids);
    free(offs);
    free(text);
    llmd_delta_snapshot *s = NULL;
    if (llmd_delta_snapshot_latest(&s, t) != LLMD_OK) die("snapshot");
    for (int pq = 0; pq < 2; pq++) {
        snprintf(out, sizeof out, "%s/out.%s", root, pq ? "parquet" : "jsonl");
        uint64_t n = 0;
        double t0 = now_s(), c0 = cpu_s();
        llmd_status st = pq ? llmd_delta_scan_parquet(s, out, NULL, &n) : llmd_delta_scan_jsonl(s, out, NULL, &n);
        double secs = now_s() - t0, cpu = cpu_s() - c0;
        if (st != LLMD_OK || n != (uint64_t)files * (uint64_t)rows) die("scan");
        printf("scan to %-7s: %llu rows, %.1f MB of Parquet in %.2f s (%.2f s CPU) = %.1f MB/s, %.2f M rows/s (%.2f per CPU s)\n",
               pq ? "Parquet" : "JSONL", (unsigned long long)n, bytes / 1e6, secs, cpu, bytes / 1e6 / secs, n / 1e6 / secs,
               n / 1e6 / cpu);
    }
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
}

/* Writing and loading each checkpoint kind for a table of n files (one add per commit): classic,
 * multi-part, V2 (JSON top level + sidecars), V2 with a Parquet top level. */
static void bench_checkpoint_kinds(const char *root, long n) {
    static const struct { const char *name; bool v2, v2_parquet; uint32_t parts; } kinds[] = {
        {"classic", false, false, 0}, {"classic, 4 parts", false, false, 4},
        {"V2 JSON, 1 sidecar", true, false, 0}, {"V2 JSON, 4 sidecars", true, false, 4}, {"V2 Parquet, 1 sidecar", true, true, 0}};
    printf("checkpoint kind (%ld files)  write ms  load ms (cpu)\n", n);
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/kind%zu", root, k);
        llmd_delta_table *t = create(dir, kinds[k].v2);
        write_commits(dir, 1, n);
        llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
        o.parts = kinds[k].parts;
        o.v2_parquet = kinds[k].v2_parquet;
        double t0 = now_s();
        if (llmd_delta_checkpoint_with(t, &o, NULL) != LLMD_OK) die("checkpoint");
        double w = (now_s() - t0) * 1000;
        llmd_delta_table_free(t);
        double cpu = 0, l = load_ms(dir, n, 5, &cpu);
        printf("%-28s %9.1f %8.2f (%6.2f)\n", kinds[k].name, w, l, cpu);
        fflush(stdout);
    }
}

int main(int argc, char **argv) {
    long max = argc > 1 ? atol(argv[1]) : 100000;
    const char *srcdir = argc > 2 ? argv[2] : "tests";
    char root[] = "/tmp/llmd_bench_delta.XXXXXX";
    if (!mkdtemp(root)) { perror("mkdtemp"); return 1; }
    bench_scan(root, 8, 200000);
    printf("commits/s, 1 writer : %.0f\n", bench_commits(root, 1, 300));
    printf("commits/s, 4 writers: %.0f (total, processes racing on one table)\n", bench_commits(root, 4, 100));
    printf("%-8s %16s %18s %18s %8s\n", "commits", "load ms (cpu)", "ckpt load ms (cpu)", "python replay ms", "ratio");
    for (long n = 1000; n <= max; n *= 10) {
        char plain[600], ckpt[600];
        snprintf(plain, sizeof plain, "%s/plain%ld", root, n);
        snprintf(ckpt, sizeof ckpt, "%s/ckpt%ld", root, n);
        llmd_delta_table_free(create(plain, false));
        write_commits(plain, 1, n);
        llmd_delta_table *t = create(ckpt, true);
        write_commits(ckpt, 1, n - 5);
        if (llmd_delta_checkpoint(t, NULL) != LLMD_OK) die("checkpoint");
        write_commits(ckpt, n - 4, n);
        llmd_delta_table_free(t);
        double ac = 0, bc = 0;
        double a = load_ms(plain, n, 3, &ac), b = load_ms(ckpt, n, 5, &bc);
        double py = python_ms(srcdir, plain);
        if (py > 0) printf("%-8ld %8.1f (%5.1f) %9.2f (%6.2f) %18.1f %7.1fx\n", n, a, ac, b, bc, py, py / a);
        else printf("%-8ld %8.1f (%5.1f) %9.2f (%6.2f) %18s %8s\n", n, a, ac, b, bc, "-", "-");
        fflush(stdout);
    }
    bench_checkpoint_kinds(root, max < 10000 ? max : 10000);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    return system(cmd) == 0 ? 0 : 1;
}
