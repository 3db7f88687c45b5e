/* Damaged files, byte by byte (issue 19: the readers' error branches).
 *
 * A valid file is written, then every single-byte change (the byte inverted) and every truncation
 * of it is read back in full.  Each read must end in LLMD_OK (the damage hit bytes whose value is
 * free, e.g. a PLAIN value) or in a documented error of a damaged file — CORRUPT, PARSE, UTF8,
 * UNSUPPORTED, RANGE, TRUNCATED, SCHEMA, NOT_FOUND or VERSION (a format version it does not read) —
 * with a message; never INVALID_ARG (the caller's arguments are fine), INTERNAL, a crash, a hang or
 * (under ASan) an out-of-bounds read.
 * Both outcomes are counted and printed; a damaged footer must always be refused.
 */
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static char dir[64];
static const char *path_in(const char *name) {
    static char p[256];
    if (dir[0] == '\0') {
        snprintf(dir, sizeof dir, "/tmp/llmd-corrupt-%ld", (long)getpid());
        mkdir(dir, 0700);
    }
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)len + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
    *n = (size_t)len;
    return b;
}

static void check_outcome(llmd_status st, const char *what, size_t at, long *ok, long *refused) {
    if (st == LLMD_OK) {
        (*ok)++;
        return;
    }
    (*refused)++;
    ck_assert_msg(st == LLMD_ERR_CORRUPT || st == LLMD_ERR_PARSE || st == LLMD_ERR_UTF8 ||
                  st == LLMD_ERR_UNSUPPORTED || st == LLMD_ERR_RANGE || st == LLMD_ERR_TRUNCATED ||
                  st == LLMD_ERR_SCHEMA || st == LLMD_ERR_NOT_FOUND || st == LLMD_ERR_VERSION,
                  "%s, damage at byte %zu: %s: %s", what, at, llmd_status_str(st), llmd_last_error());
    ck_assert_msg(llmd_last_error()[0] != '\0', "%s, damage at byte %zu: %s without a message", what, at,
                  llmd_status_str(st));
}

/* ---- Parquet ---------------------------------------------------------------------------------- */
enum { ROWS = 120 };
static llmd_status write_parquet(const char *path, int codec, int page_version) {
    static int64_t ids[ROWS];
    static int32_t offs[ROWS + 1], loffs[ROWS + 1], lvals[ROWS * 3];
    static char bytes[ROWS * 8];
    static double score[ROWS];
    static uint8_t valid[ROWS / 8 + 1];
    int32_t lv = 0;
    for (int i = 0; i < ROWS; i++) {
        ids[i] = i * 1000003LL;
        int l = snprintf(bytes + offs[i], 8, "v%d", i % 13);
        offs[i + 1] = offs[i] + l;
        score[i] = i * 0.5;
        valid[i >> 3] = (uint8_t)(valid[i >> 3] | ((i % 7) ? 1 << (i & 7) : 0));
        for (int k = 0; k < i % 3; k++) lvals[lv++] = i * 10 + k;
        loffs[i + 1] = lv;
    }
    llmd_schema *s;
    int f, lst;
    llmd_status st = llmd_schema_new(&s);
    if (st != LLMD_OK) return st;
    ck_ok(llmd_schema_add(s, 0, "id", &(llmd_type){.id = LLMD_TYPE_INT64}, 0, &f));
    ck_ok(llmd_schema_add(s, 0, "text", &(llmd_type){.id = LLMD_TYPE_STRING}, 1, &f));
    ck_ok(llmd_schema_add(s, 0, "score", &(llmd_type){.id = LLMD_TYPE_DOUBLE}, 1, &f));
    ck_ok(llmd_schema_add(s, 0, "ids", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &lst));
    ck_ok(llmd_schema_add(s, lst, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, &f));
    llmd_column item = {.length = lv, .values = lvals};
    llmd_column cols[4] = {
        {.length = ROWS, .values = ids},
        {.length = ROWS, .validity = valid, .offsets = offs, .values = bytes},
        {.length = ROWS, .validity = valid, .values = score},
        {.length = ROWS, .validity = valid, .offsets = loffs, .children = &item, .n_children = 1},
    };
    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.codec = codec;
    o.data_page_version = page_version;
    o.row_group_bytes = 1024;
    o.page_bytes = 256;
    llmd_parquet_writer *w = NULL;
    if ((st = llmd_parquet_writer_open(&w, path, s, &o)) == LLMD_OK &&
        (st = llmd_parquet_writer_set_metadata(w, "k", "v")) == LLMD_OK &&
        (st = llmd_parquet_writer_write(w, cols, 4)) == LLMD_OK)
        st = llmd_parquet_writer_finish(w);
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);
    return st;
}

/* Opens data[0..n) and reads every row group. */
static llmd_status read_parquet(const unsigned char *data, size_t n) {
    llmd_parquet_reader *r = NULL;
    llmd_status st = llmd_parquet_reader_open_memory(&r, data, n, NULL);
    for (int g = 0; st == LLMD_OK && g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_batch *b = NULL;
        st = llmd_parquet_reader_read_row_group(r, g, &b);
        llmd_parquet_batch_free(b);
    }
    llmd_parquet_reader_free(r);
    return st;
}

static void sweep_parquet(int codec, int page_version, const char *name) {
    const char *p = path_in(name);
    ck_ok(write_parquet(p, codec, page_version));
    size_t n;
    unsigned char *good = slurp(p, &n);
    ck_ok(read_parquet(good, n));
    unsigned char *bad = malloc(n);
    long ok = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(bad, good, n);
        bad[i] ^= 0xFF;
        llmd_clear_error();
        llmd_status st = read_parquet(bad, n);
        check_outcome(st, name, i, &ok, &refused);
        /* the trailing magic and footer length are always checked */
        if (i >= n - 8) ck_assert_msg(st != LLMD_OK, "%s: damaged trailer byte %zu accepted", name, i);
    }
    for (size_t len = 0; len < n; len++) { /* every truncation: the footer is gone or misplaced */
        llmd_clear_error();
        llmd_status st = read_parquet(good, len);
        ck_assert_msg(st != LLMD_OK, "%s truncated to %zu bytes accepted", name, len);
        check_outcome(st, name, len, &ok, &refused);
    }
    fprintf(stderr, "corrupt: %-22s %5zu bytes: %ld damaged reads refused, %ld read (damage in free bytes)\n",
            name, n, refused, ok);
    ck_assert_int_gt(refused, (long)n);
    free(bad);
    free(good);
}

START_TEST(test_parquet_plain_v1) { sweep_parquet(LLMD_PARQUET_UNCOMPRESSED, 1, "plain_v1.parquet"); }
END_TEST
START_TEST(test_parquet_zstd_v2) { sweep_parquet(LLMD_PARQUET_ZSTD, 2, "zstd_v2.parquet"); }
END_TEST
START_TEST(test_parquet_snappy_v1) { sweep_parquet(LLMD_PARQUET_SNAPPY, 1, "snappy_v1.parquet"); }
END_TEST
START_TEST(test_parquet_gzip_v2) { sweep_parquet(LLMD_PARQUET_GZIP, 2, "gzip_v2.parquet"); }
END_TEST

/* ---- LSH index files (their trailing checksum covers every byte) ------------------------------ */
START_TEST(test_lsh_index_file) {
    llmd_minhash_options mo = LLMD_MINHASH_OPTIONS_INIT;
    mo.num_perm = 16;
    mo.ngram = 1;
    llmd_lsh_options lo = LLMD_LSH_OPTIONS_INIT;
    lo.threshold = 0.5;
    lo.verify_exact = 1;
    llmd_minhasher *h;
    llmd_lsh_index *x;
    ck_ok(llmd_minhasher_new(&h, &mo));
    ck_ok(llmd_lsh_index_new(&x, &mo, &lo));
    static const char *const texts[] = {"alpha beta gamma", "alpha beta delta", "one two three", "alpha beta gamma"};
    for (int i = 0; i < 4; i++) {
        uint32_t sig[16];
        uint64_t *sh;
        size_t nsh;
        ck_ok(llmd_minhash_shingles(h, texts[i], strlen(texts[i]), sig, &sh, &nsh));
        char key[8];
        snprintf(key, sizeof key, "d%d", i);
        ck_ok(llmd_lsh_index_insert_shingles(x, key, strlen(key), sig, sh, nsh, (uint64_t)i, NULL));
        llmd_free(sh);
    }
    const char *p = path_in("index.lsh");
    ck_ok(llmd_lsh_index_save(x, p));
    llmd_lsh_index_free(x);
    llmd_minhasher_free(h);
    size_t n;
    unsigned char *good = slurp(p, &n);
    const char *q = path_in("damaged.lsh");
    long ok = 0, refused = 0;
    for (size_t i = 0; i <= n; i++) {
        /* i < n: byte i inverted; i == n..: truncations below */
        FILE *f = fopen(q, "wb");
        ck_assert_ptr_nonnull(f);
        if (i < n) {
            good[i] ^= 0xFF;
            fwrite(good, 1, n, f);
            good[i] ^= 0xFF;
        }
        fclose(f);
        llmd_clear_error();
        llmd_lsh_index *y = NULL;
        llmd_status st = llmd_lsh_index_load(&y, q, NULL);
        llmd_lsh_index_free(y);
        ck_assert_msg(st != LLMD_OK, "index damaged at byte %zu accepted (the checksum covers it)", i);
        check_outcome(st, "index.lsh", i, &ok, &refused);
    }
    for (size_t len = 1; len < n; len++) {
        FILE *f = fopen(q, "wb");
        fwrite(good, 1, len, f);
        fclose(f);
        llmd_lsh_index *y = NULL;
        llmd_status st = llmd_lsh_index_load(&y, q, NULL);
        llmd_lsh_index_free(y);
        ck_assert_msg(st != LLMD_OK, "index truncated to %zu bytes accepted", len);
        check_outcome(st, "index.lsh", len, &ok, &refused);
    }
    fprintf(stderr, "corrupt: %-22s %5zu bytes: %ld damaged loads refused\n", "index.lsh", n, refused);
    free(good);
}
END_TEST


/* ---- Delta logs: a damaged commit file ---------------------------------------------------------- */
START_TEST(test_delta_commit_file) {
    char table[256];
    snprintf(table, sizeof table, "%s", path_in("delta"));
    llmd_delta_table *t;
    ck_ok(llmd_delta_table_open(&t, table, NULL));
    llmd_delta_create_options co = LLMD_DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"
                     "\"metadata\":{}},{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";
    const char *parts[] = {"part"};
    co.partition_columns = parts;
    co.n_partition_columns = 1;
    ck_ok(llmd_delta_table_create(t, &co));
    for (int v = 0; v < 2; v++) {
        llmd_delta_txn *x;
        ck_ok(llmd_delta_txn_begin(&x, t));
        llmd_delta_add a = LLMD_DELTA_ADD_INIT;
        const char *k[] = {"part"}, *val[] = {v ? "b" : "a"};
        char path[64];
        snprintf(path, sizeof path, "part=%s/f%d.parquet", val[0], v);
        a.path = path;
        a.size = 100 + v;
        a.partition_keys = k;
        a.partition_values = val;
        a.n_partitions = 1;
        a.stats_json = "{\"numRecords\":3,\"minValues\":{\"id\":1},\"maxValues\":{\"id\":9},\"nullCount\":{\"id\":0}}";
        ck_ok(llmd_delta_txn_add(x, &a));
        ck_ok(llmd_delta_txn_set_app_version(x, "app", v + 1));
        int64_t ver;
        ck_ok(llmd_delta_txn_commit(x, &ver));
        llmd_delta_txn_free(x);
    }
    llmd_delta_table_free(t);
    long ok = 0, refused = 0;
    static const char *const commits[] = {"00000000000000000000.json", "00000000000000000002.json"};
    for (int c = 0; c < 2; c++) {
        char cp[400];
        snprintf(cp, sizeof cp, "%s/_delta_log/%s", table, commits[c]);
        size_t n;
        unsigned char *good = slurp(cp, &n);
        for (size_t i = 0; i <= n; i++) {
            FILE *f = fopen(cp, "wb");
            ck_assert_ptr_nonnull(f);
            if (i < n) {
                good[i] ^= 0xFF;
                fwrite(good, 1, n, f);
                good[i] ^= 0xFF;
            } else {
                fwrite(good, 1, n / 2, f); /* cut in the middle of an action */
            }
            fclose(f);
            llmd_clear_error();
            llmd_delta_table *u = NULL;
            llmd_delta_snapshot *snap = NULL;
            char *js = NULL;
            size_t jl;
            llmd_status st = llmd_delta_table_open(&u, table, NULL);
            if (st == LLMD_OK) st = llmd_delta_snapshot_latest(&snap, u);
            if (st == LLMD_OK) st = llmd_delta_snapshot_to_json(snap, &js, &jl);
            llmd_free(js);
            llmd_delta_snapshot_free(snap);
            llmd_delta_table_free(u);
            check_outcome(st, commits[c], i, &ok, &refused);
        }
        FILE *f = fopen(cp, "wb");
        fwrite(good, 1, n, f);
        fclose(f);
        free(good);
    }
    fprintf(stderr, "corrupt: %-22s two commits: %ld damaged logs refused, %ld read\n", "delta log", refused, ok);
    ck_assert_int_gt(refused, 0);
    /* a checkpoint (Parquet) of version 2, damaged byte by byte: refused, or passed over for the
     * JSON commits it summarises */
    ck_ok(llmd_delta_table_open(&t, table, NULL));
    int64_t cv;
    ck_ok(llmd_delta_checkpoint(t, &cv));
    ck_assert_int_eq(cv, 2);
    llmd_delta_table_free(t);
    char cp[400];
    snprintf(cp, sizeof cp, "%s/_delta_log/00000000000000000002.checkpoint.parquet", table);
    size_t n;
    unsigned char *good = slurp(cp, &n);
    ok = refused = 0;
    long lost = 0;
    for (size_t i = 0; i < n; i++) {
        FILE *f = fopen(cp, "wb");
        ck_assert_ptr_nonnull(f);
        good[i] ^= 0xFF;
        fwrite(good, 1, n, f);
        good[i] ^= 0xFF;
        fclose(f);
        llmd_clear_error();
        llmd_delta_table *u = NULL;
        llmd_delta_snapshot *snap = NULL;
        llmd_status st = llmd_delta_table_open(&u, table, NULL);
        if (st == LLMD_OK) st = llmd_delta_snapshot_latest(&snap, u);
        /* (Parquet pages carry no mandatory checksum: damage inside a page can read as other valid
         * values, so the file count is not checked here) */
        if (st == LLMD_OK && llmd_delta_snapshot_file_count(snap) != 2) lost++;
        llmd_delta_snapshot_free(snap);
        llmd_delta_table_free(u);
        check_outcome(st, "checkpoint", i, &ok, &refused);
    }
    free(good);
    fprintf(stderr, "corrupt: %-22s %5zu bytes: %ld refused, %ld read (%ld of them with another file count)\n",
            "delta checkpoint", n, refused, ok, lost);
}
END_TEST

int main(void) {
    Suite *s = suite_create("corrupt");
    TCase *tc = tcase_create("corrupt");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, test_parquet_plain_v1);
    tcase_add_test(tc, test_parquet_zstd_v2);
    tcase_add_test(tc, test_parquet_snappy_v1);
    tcase_add_test(tc, test_parquet_gzip_v2);
    tcase_add_test(tc, test_lsh_index_file);
    tcase_add_test(tc, test_delta_commit_file);
    suite_add_tcase(s, tc);
    path_in("x");
    int rc = run_suite(s);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) rc = EXIT_FAILURE;
    return rc;
}
