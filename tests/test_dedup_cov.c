/* Suite "dedup_cov": the dedup API's argument, option and state paths (issue 19 branch coverage):
 * every NULL named in its message, exact sets with the all-zero hash and 8-byte keys, line dedup
 * trimming, LSH parameters and index save/load against mismatched options and non-files, cluster
 * jobs in every verify mode with cluster sizes in every histogram bucket (identical documents:
 * the clusters are known by construction). */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

#define ck_null(expr, needle) ck_fails(expr, LLMD_ERR_INVALID_ARG, needle)

START_TEST(null_arguments_are_named) {
    uint8_t h[16] = {0};
    uint32_t sig[128];
    for (int i = 0; i < 128; i++) sig[i] = (uint32_t)i;
    ck_null(llmd_exact_hash("x", 1, 0, NULL), "NULL out");
    ck_null(llmd_exact_hash(NULL, 1, 0, h), "NULL text");
    ck_ok(llmd_exact_hash(NULL, 0, LLMD_EXACT_NORMALIZED, h));
    uint8_t h2[16];
    ck_ok(llmd_exact_hash("", 0, LLMD_EXACT_NORMALIZED, h2));
    ck_assert_mem_eq(h, h2, 16);   /* NULL text of length 0 is the empty text */
    ck_ok(llmd_exact_hash(NULL, 0, LLMD_EXACT_RAW, h));
    ck_null(llmd_exact_set_new(NULL, NULL), "NULL out");
    ck_null(llmd_exact_set_insert(NULL, h, NULL), "NULL set");
    llmd_exact_set *set;
    ck_ok(llmd_exact_set_new(&set, NULL));
    ck_null(llmd_exact_set_insert(set, NULL, NULL), "NULL hash");
    ck_assert_int_eq(llmd_exact_set_contains(set, NULL), 0);
    ck_assert_int_eq(llmd_exact_set_contains(NULL, h), 0);
    llmd_exact_set_free(set);
    ck_assert_uint_eq(llmd_exact_set_count(NULL), 0);
    ck_assert_uint_eq(llmd_exact_set_memory(NULL), 0);
    ck_null(llmd_line_dedup_new(NULL, NULL), "NULL out");
    llmd_line_dedup *ld;
    ck_ok(llmd_line_dedup_new(&ld, NULL));
    ck_null(llmd_line_dedup_count(NULL, "a", 1), "NULL ld");
    ck_null(llmd_line_dedup_count(ld, NULL, 1), "NULL text");
    char *out;
    ck_null(llmd_line_dedup_filter(NULL, "a", 1, &out, NULL, NULL), "NULL ld");
    ck_null(llmd_line_dedup_filter(ld, "a", 1, NULL, NULL, NULL), "NULL out");
    ck_null(llmd_line_dedup_filter(ld, NULL, 1, &out, NULL, NULL), "NULL text");
    llmd_line_dedup_free(ld);
    ck_assert_uint_eq(llmd_line_dedup_docs(NULL), 0);
    ck_assert_uint_eq(llmd_line_dedup_distinct_lines(NULL), 0);
    ck_null(llmd_union_find_new(NULL, 3), "NULL out");
    ck_null(llmd_union_find_union(NULL, 0, 1, NULL), "NULL union-find");
    ck_null(llmd_union_find_union_pairs(NULL, NULL, 0), "NULL union-find");
    llmd_union_find *uf;
    ck_ok(llmd_union_find_new(&uf, 0));   /* an empty one is valid */
    ck_assert_uint_eq(llmd_union_find_size(uf), 0);
    ck_null(llmd_union_find_union_pairs(uf, NULL, 2), "NULL pairs");
    ck_assert_uint_eq(llmd_union_find_find(uf, 0), UINT64_MAX);
    llmd_union_find_free(uf);
    ck_assert_uint_eq(llmd_union_find_size(NULL), 0);
    ck_assert_uint_eq(llmd_union_find_find(NULL, 0), UINT64_MAX);
    uint64_t *pairs;
    size_t np;
    uint8_t keys[2 * 12] = {0};
    ck_null(llmd_lsh_candidate_pairs(keys, 2, 1, NULL, NULL, &np), "");
    ck_null(llmd_lsh_candidate_pairs(keys, 2, 1, NULL, &pairs, NULL), "");
    ck_null(llmd_lsh_candidate_pairs(NULL, 2, 1, NULL, &pairs, &np), "");
    ck_null(llmd_lsh_candidate_pairs(keys, 2, 0, NULL, &pairs, &np), "");
    /* two documents with equal keys are a pair; skipping one leaves none */
    ck_ok(llmd_lsh_candidate_pairs(keys, 2, 1, NULL, &pairs, &np));
    ck_assert_uint_eq(np, 1);
    ck_assert(pairs[0] == 0 && pairs[1] == 1);
    llmd_free(pairs);
    const uint8_t skip[2] = {0, 1};
    ck_ok(llmd_lsh_candidate_pairs(keys, 2, 1, skip, &pairs, &np));
    ck_assert_uint_eq(np, 0);
    llmd_free(pairs);
    uint32_t b, r;
    ck_null(llmd_lsh_optimal_params(0.5, 128, NULL, &r), "");
    ck_null(llmd_lsh_optimal_params(0.5, 128, &b, NULL), "");
    ck_null(llmd_lsh_optimal_params(0.0, 128, &b, &r), "");
    ck_null(llmd_lsh_optimal_params(1.5, 128, &b, &r), "");
    ck_null(llmd_lsh_optimal_params(NAN, 128, &b, &r), "");
    ck_null(llmd_lsh_optimal_params(0.5, 0, &b, &r), "");
    ck_null(llmd_lsh_optimal_params(0.5, 4097, &b, &r), "");
    ck_null(llmd_dedup_default_bands(0.5, 128, NULL, &r), "");
    ck_null(llmd_dedup_default_bands(-0.5, 128, &b, &r), "");
    ck_null(llmd_dedup_default_bands(0.5, 0, &b, &r), "");
    ck_null(llmd_dedup_default_bands(0.5, 5000, &b, &r), "");
    /* threshold 1: one band of all rows (datasketch's _optimal_param) */
    ck_ok(llmd_lsh_optimal_params(1.0, 128, &b, &r));
    ck_assert(b == 1 && r == 128);
    uint8_t bk[16 * 12];
    ck_null(llmd_lsh_band_keys(NULL, 128, 16, 8, bk), "NULL sig");
    ck_null(llmd_lsh_band_keys(sig, 128, 16, 8, NULL), "NULL out");
    ck_null(llmd_lsh_band_keys(sig, 128, 0, 8, bk), "");
    ck_null(llmd_lsh_band_keys(sig, 128, 16, 0, bk), "");
    ck_null(llmd_lsh_band_keys(sig, 128, 17, 8, bk), "");
    ck_null(llmd_lsh_index_new(NULL, NULL, NULL), "NULL out");
    llmd_lsh_index *x;
    ck_ok(llmd_lsh_index_new(&x, NULL, NULL));
    ck_null(llmd_lsh_index_insert(NULL, "k", 1, sig, 0, NULL), "NULL index");
    ck_null(llmd_lsh_index_insert(x, "k", 1, NULL, 0, NULL), "NULL sig");
    ck_null(llmd_lsh_index_insert(x, NULL, 1, sig, 0, NULL), "NULL key");
    ck_null(llmd_lsh_index_insert_shingles(x, "k", 1, sig, NULL, 3, 0, NULL), "NULL shingles");
    uint64_t found[4];
    size_t nf = 9;
    ck_null(llmd_lsh_index_query(NULL, sig, found, 4, &nf), "NULL index");
    ck_null(llmd_lsh_index_query(x, NULL, found, 4, &nf), "NULL sig");
    ck_null(llmd_lsh_index_query(x, sig, NULL, 4, &nf), "NULL out");
    ck_ok(llmd_lsh_index_query(x, sig, NULL, 0, &nf));   /* empty index: nothing */
    ck_assert_uint_eq(nf, 0);
    ck_null(llmd_lsh_index_save(NULL, "/tmp/x"), "NULL index");
    ck_null(llmd_lsh_index_save(x, NULL), "NULL path");
    ck_null(llmd_lsh_index_load(NULL, "/tmp/x", NULL), "NULL out");
    ck_null(llmd_lsh_index_load(&x, NULL, NULL), "NULL path");
    llmd_lsh_index_free(x);
    ck_assert_uint_eq(llmd_lsh_index_bands(NULL), 0);
    ck_assert_uint_eq(llmd_lsh_index_rows(NULL), 0);
    ck_assert_uint_eq(llmd_lsh_index_num_perm(NULL), 0);
    ck_assert_uint_eq(llmd_lsh_index_count(NULL), 0);
    ck_assert_uint_eq(llmd_lsh_index_representative(NULL, 0), UINT64_MAX);
    ck_assert_ptr_null(llmd_lsh_index_key(NULL, 0, NULL));
    ck_assert_ptr_null(llmd_lsh_index_signature(NULL, 0));
    ck_null(llmd_dedup_clusters_new(NULL, NULL, NULL), "NULL out");
    llmd_dedup_clusters *c;
    ck_ok(llmd_dedup_clusters_new(&c, NULL, NULL));
    ck_null(llmd_dedup_clusters_add(NULL, sig, NULL, 0, 0, NULL), "NULL job");
    ck_null(llmd_dedup_clusters_add(c, NULL, NULL, 0, 0, NULL), "NULL sig");
    ck_null(llmd_dedup_clusters_candidates(NULL, NULL), "NULL job");
    ck_null(llmd_dedup_clusters_set_shingles(NULL, 0, NULL, 0), "NULL job");
    ck_null(llmd_dedup_clusters_set_shingles(c, 0, NULL, 3), "NULL shingles");
    ck_fails(llmd_dedup_clusters_set_shingles(c, 0, NULL, 0), LLMD_ERR_STATE, "call llmd_dedup_clusters_candidates first");
    ck_null(llmd_dedup_clusters_finish(NULL), "NULL job");
    llmd_dedup_verdict v;
    llmd_dedup_cluster_stats s;
    ck_null(llmd_dedup_clusters_result(NULL, 0, &v), "NULL job");
    ck_null(llmd_dedup_clusters_result(c, 0, NULL), "NULL out");
    ck_null(llmd_dedup_clusters_stats(NULL, &s), "NULL job");
    ck_null(llmd_dedup_clusters_stats(c, NULL), "NULL out");
    ck_assert_int_eq(llmd_dedup_clusters_needs_shingles(NULL, 0), 0);
    ck_assert_int_eq(llmd_dedup_clusters_needs_shingles(c, 0), 0);   /* before candidates */
    llmd_dedup_clusters_free(c);
    ck_assert_uint_eq(llmd_dedup_clusters_bands(NULL), 0);
    ck_assert_uint_eq(llmd_dedup_clusters_rows(NULL), 0);
    ck_assert_uint_eq(llmd_dedup_clusters_count(NULL), 0);
}
END_TEST

START_TEST(exact_sets_and_line_dedup_edges) {
    llmd_exact_set_options o = LLMD_EXACT_SET_OPTIONS_INIT;
    llmd_exact_set *set;
    o.capacity = (UINT64_C(1) << 40) + 1;
    ck_fails(llmd_exact_set_new(&set, &o), LLMD_ERR_RANGE, "over the 2^40 limit");
    o.capacity = 0;
    o.key_bytes = 8;
    ck_ok(llmd_exact_set_new(&set, &o));
    /* the all-zero hash is a key like any other (kept beside the table) */
    uint8_t zero[16] = {0}, one[16] = {1};
    int was_new = 7;
    ck_ok(llmd_exact_set_insert(set, zero, &was_new));
    ck_assert_int_eq(was_new, 1);
    ck_ok(llmd_exact_set_insert(set, zero, &was_new));
    ck_assert_int_eq(was_new, 0);
    ck_ok(llmd_exact_set_insert(set, zero, NULL));
    ck_assert_int_eq(llmd_exact_set_contains(set, zero), 1);
    ck_assert_int_eq(llmd_exact_set_contains(set, one), 0);
    ck_ok(llmd_exact_set_insert(set, one, NULL));
    ck_assert_uint_eq(llmd_exact_set_count(set), 2);
    /* 8-byte keys: only the first 8 bytes count (dedup.h) */
    uint8_t one_b[16] = {1};
    one_b[12] = 9;
    ck_assert_int_eq(llmd_exact_set_contains(set, one_b), 1);
    ck_assert_uint_gt(llmd_exact_set_memory(set), 0);
    llmd_exact_set_free(set);
    /* line dedup: lines are compared without surrounding spaces/tabs and the newline; a line in
     * 2 documents (min_docs 2) is removed from the filtered text */
    llmd_line_dedup_options lo = LLMD_LINE_DEDUP_OPTIONS_INIT;
    lo.min_docs = 2;
    llmd_line_dedup *ld;
    ck_ok(llmd_line_dedup_new(&ld, &lo));
    const char *d1 = "  shared line\t\nunique one\n", *d2 = "shared line\nunique two";
    ck_ok(llmd_line_dedup_count(ld, d1, strlen(d1)));
    ck_ok(llmd_line_dedup_count(ld, d2, strlen(d2)));
    ck_ok(llmd_line_dedup_count(ld, NULL, 0));
    ck_assert_uint_eq(llmd_line_dedup_docs(ld), 3);
    ck_assert_uint_eq(llmd_line_dedup_distinct_lines(ld), 3);
    char *out;
    size_t n, rm;
    ck_ok(llmd_line_dedup_filter(ld, d1, strlen(d1), &out, &n, &rm));
    ck_assert_str_eq(out, "unique one\n");
    ck_assert_uint_eq(n, 11);
    ck_assert_uint_eq(rm, 1);
    llmd_free(out);
    ck_ok(llmd_line_dedup_filter(ld, d2, strlen(d2), &out, NULL, NULL));
    ck_assert_str_eq(out, "unique two");
    llmd_free(out);
    llmd_line_dedup_free(ld);
    char *folded;
    size_t fl;
    ck_ok(llmd_fold_text("Hello,  World!", 14, &folded, &fl));
    ck_assert_uint_eq(fl, strlen(folded));
    llmd_free(folded);
}
END_TEST

static void sig_of(const llmd_minhasher *h, const char *text, uint32_t *sig) {
    ck_ok(llmd_minhash(h, text, strlen(text), sig, NULL));
}

START_TEST(lsh_index_files_and_options) {
    char dir[] = "/tmp/llmd_dcov_XXXXXX", p[128], q[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    llmd_minhash_options mo = LLMD_MINHASH_OPTIONS_INIT;
    mo.num_perm = 64;
    mo.ngram = 2;
    llmd_minhasher *h;
    ck_ok(llmd_minhasher_new(&h, &mo));
    uint32_t s1[64], s2[64], s3[64];
    sig_of(h, "the quick brown fox jumps over the lazy dog", s1);
    sig_of(h, "the quick brown fox jumps over the lazy dog", s2);
    sig_of(h, "completely different words in this one here", s3);
    llmd_lsh_options lo = LLMD_LSH_OPTIONS_INIT;
    lo.threshold = 0.5;
    lo.bands = 8;
    lo.rows = 8;
    lo.verify_exact = 1;
    llmd_lsh_index *x;
    lo.version = 77;
    ck_fails(llmd_lsh_index_new(&x, &mo, &lo), LLMD_ERR_VERSION, "llmd_lsh_options");
    lo.version = LLMD_LSH_OPTIONS_VERSION;
    lo.threshold = 2;
    ck_assert_int_eq(llmd_lsh_index_new(&x, &mo, &lo), LLMD_ERR_INVALID_ARG);
    lo.threshold = 0.5;
    ck_ok(llmd_lsh_index_new(&x, &mo, &lo));
    ck_assert_uint_eq(llmd_lsh_index_bands(x), 8);
    ck_assert_uint_eq(llmd_lsh_index_rows(x), 8);
    ck_assert_uint_eq(llmd_lsh_index_num_perm(x), 64);
    const uint64_t sh[] = {1, 2, 3};
    llmd_lsh_match m;
    ck_ok(llmd_lsh_index_insert_shingles(x, "a", 1, s1, sh, 3, 0, &m));
    ck_assert_int_eq(m.duplicate, 0);
    const uint64_t unsorted[] = {3, 1};
    ck_fails(llmd_lsh_index_insert_shingles(x, "b", 1, s2, unsorted, 2, 0, &m), LLMD_ERR_INVALID_ARG, "");
    /* identical shingle sets: exact Jaccard 1 */
    ck_ok(llmd_lsh_index_insert_shingles(x, "b", 1, s2, sh, 3, 0, &m));
    ck_assert(m.duplicate && m.match == 0 && m.match_jaccard == 1.0);
    ck_ok(llmd_lsh_index_insert(x, NULL, 0, s3, 5, &m));   /* no key, no set */
    ck_assert_int_eq(m.duplicate, 0);
    size_t kl = 9;
    ck_assert_ptr_nonnull(llmd_lsh_index_key(x, 2, &kl));
    ck_assert_uint_eq(kl, 0);
    ck_assert_ptr_null(llmd_lsh_index_key(x, 3, &kl));
    ck_assert_ptr_null(llmd_lsh_index_signature(x, 3));
    ck_assert_uint_eq(llmd_lsh_index_representative(x, 3), UINT64_MAX);
    ck_assert_uint_eq(llmd_lsh_index_representative(x, 1), 0);
    uint64_t found[1];
    size_t nf;
    ck_ok(llmd_lsh_index_query(x, s1, found, 1, &nf));
    ck_assert_uint_eq(nf, 2);   /* entries 0 and 1; one fits */
    ck_assert_uint_eq(found[0], 0);
    ck_ok(llmd_lsh_index_query(x, s1, NULL, 0, NULL));
    /* save: under a regular file fails; then saved and loaded with every mismatched option */
    snprintf(p, sizeof p, "%s/idx", dir);
    ck_ok(llmd_lsh_index_save(x, p));
    snprintf(q, sizeof q, "%s/idx/sub", dir);
    ck_assert_int_ne(llmd_lsh_index_save(x, q), LLMD_OK);   /* ENOTDIR */
    llmd_lsh_index *y = (llmd_lsh_index *)1;
    ck_fails(llmd_lsh_index_load(&y, q, NULL), LLMD_ERR_IO, "idx/sub");
    ck_assert_ptr_null(y);
    snprintf(q, sizeof q, "%s/none", dir);
    ck_fails(llmd_lsh_index_load(&y, q, NULL), LLMD_ERR_NOT_FOUND, "no such file");
    ck_fails(llmd_lsh_index_load(&y, dir, NULL), LLMD_ERR_IO, "not a regular file");
    static const char *names[] = {"num_perm", "ngram", "shingle_mode", "seed"};
    for (int i = 0; i < 4; i++) {
        llmd_minhash_options w = mo;
        if (i == 0) w.num_perm = 128;
        if (i == 1) w.ngram = 3;
        if (i == 2) w.shingle_mode = LLMD_SHINGLE_CHARS;
        if (i == 3) w.seed = 2;
        ck_fails(llmd_lsh_index_load(&y, p, &w), LLMD_ERR_INVALID_ARG, names[i]);
    }
    llmd_minhash_options w = mo;
    w.version = 99;
    ck_fails(llmd_lsh_index_load(&y, p, &w), LLMD_ERR_VERSION, "llmd_minhash_options");
    ck_ok(llmd_lsh_index_load(&y, p, &mo));
    ck_assert_uint_eq(llmd_lsh_index_count(y), 3);
    ck_assert_uint_eq(llmd_lsh_index_representative(y, 1), 0);
    ck_assert_mem_eq(llmd_lsh_index_signature(y, 2), s3, sizeof s3);
    /* after the load, a further insert of the same text still finds entry 0 (exact sets kept) */
    ck_ok(llmd_lsh_index_insert_shingles(y, "c", 1, s1, sh, 3, 0, &m));
    ck_assert(m.duplicate && m.match_jaccard == 1.0);
    llmd_lsh_index_free(y);
    llmd_lsh_index_free(x);
    llmd_minhasher_free(h);
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(p), 0);
}
END_TEST

/* Identical documents in groups of 2, 3, 5, 7, 12 and 101 plus singles: the cluster sizes and
 * the size histogram are known by construction, in every verify mode. */
START_TEST(cluster_jobs_every_mode_and_size) {
    llmd_minhash_options mo = LLMD_MINHASH_OPTIONS_INIT;
    mo.num_perm = 32;
    mo.ngram = 1;
    llmd_minhasher *h;
    ck_ok(llmd_minhasher_new(&h, &mo));
    static const int groups[] = {2, 3, 5, 7, 12, 101, 1, 1};
    enum { G = 8 };
    uint32_t sigs[G][32];
    uint64_t *shs[G];
    size_t nsh[G];
    for (int g = 0; g < G; g++) {
        char text[128];
        snprintf(text, sizeof text, "group%d alpha%d beta%d gamma%d delta%d", g, g, g, g, g);
        ck_ok(llmd_minhash_shingles(h, text, strlen(text), sigs[g], &shs[g], &nsh[g]));
    }
    for (int mode = 0; mode < 3; mode++) {
        llmd_dedup_cluster_options co = LLMD_DEDUP_CLUSTER_OPTIONS_INIT;
        co.verify = mode;
        co.bands = 4;
        co.rows = 8;
        co.threshold = 0.9;
        llmd_dedup_clusters *c;
        ck_ok(llmd_dedup_clusters_new(&c, &mo, &co));
        ck_assert_uint_eq(llmd_dedup_clusters_bands(c), 4);
        ck_assert_uint_eq(llmd_dedup_clusters_rows(c), 8);
        uint64_t doc, total = 0;
        for (int g = 0; g < G; g++)
            for (int k = 0; k < groups[g]; k++) {
                /* the first member of the 12-group has the highest priority number: it is not kept */
                uint64_t prio = g == 4 && k == 0 ? 100 : 1;
                ck_ok(llmd_dedup_clusters_add(c, sigs[g], NULL, prio, total * 10, &doc));
                ck_assert_uint_eq(doc, total++);
            }
        ck_assert_uint_eq(llmd_dedup_clusters_count(c), total);
        llmd_dedup_verdict v;
        ck_fails(llmd_dedup_clusters_result(c, 0, &v), LLMD_ERR_STATE, "");
        uint64_t ncand = 0;
        ck_ok(llmd_dedup_clusters_candidates(c, &ncand));
        ck_assert_uint_eq(ncand, total - 2);   /* all but the two singles */
        ck_fails(llmd_dedup_clusters_candidates(c, &ncand), LLMD_ERR_STATE, "called twice");
        ck_fails(llmd_dedup_clusters_add(c, sigs[0], NULL, 0, 0, &doc), LLMD_ERR_STATE, "");
        ck_fails(llmd_dedup_clusters_set_shingles(c, total, NULL, 0), LLMD_ERR_INVALID_ARG, "out of range");
        uint64_t d = 0;
        for (int g = 0; g < G; g++)
            for (int k = 0; k < groups[g]; k++, d++) {
                ck_assert_int_eq(llmd_dedup_clusters_needs_shingles(c, d), mode == 0 && groups[g] > 1);
                ck_ok(llmd_dedup_clusters_set_shingles(c, d, shs[g], nsh[g]));
                ck_assert_int_eq(llmd_dedup_clusters_needs_shingles(c, d), 0);
            }
        ck_ok(llmd_dedup_clusters_finish(c));
        ck_fails(llmd_dedup_clusters_set_shingles(c, 0, shs[0], nsh[0]), LLMD_ERR_STATE, "the job is finished");
        llmd_dedup_cluster_stats s;
        ck_ok(llmd_dedup_clusters_stats(c, &s));
        ck_assert_uint_eq(s.docs, total);
        ck_assert_uint_eq(s.clusters, G);
        ck_assert_uint_eq(s.removed, total - G);
        ck_assert_uint_eq(s.largest, 101);
        for (int k = 0; k < 6; k++) ck_assert_msg(s.size_hist[k] == 1, "mode %d hist[%d] = %llu", mode, k,
                                                  (unsigned long long)s.size_hist[k]);
        /* the 12-group starts at doc 2+3+5+7 = 17; its first member loses on priority */
        ck_ok(llmd_dedup_clusters_result(c, 17, &v));
        ck_assert_int_eq(v.keep, 0);
        ck_assert_uint_eq(v.representative, 18);
        ck_assert_uint_eq(v.cluster_size, 12);
        ck_assert_uint_eq(v.check, 170);
        ck_ok(llmd_dedup_clusters_result(c, total - 1, &v));
        ck_assert(v.keep && v.cluster_size == 1 && v.linked == UINT64_MAX && v.jaccard == 0.0);
        ck_fails(llmd_dedup_clusters_result(c, total, &v), LLMD_ERR_INVALID_ARG, "");
        ck_fails(llmd_dedup_clusters_finish(c), LLMD_ERR_STATE, "");
        llmd_dedup_clusters_free(c);
    }
    /* option errors */
    llmd_dedup_clusters *c;
    llmd_dedup_cluster_options co = LLMD_DEDUP_CLUSTER_OPTIONS_INIT;
    co.threshold = 0;
    ck_assert_int_eq(llmd_dedup_clusters_new(&c, &mo, &co), LLMD_ERR_INVALID_ARG);
    co.threshold = 0.8;
    co.verify = 3;
    ck_assert_int_eq(llmd_dedup_clusters_new(&c, &mo, &co), LLMD_ERR_INVALID_ARG);
    co.verify = 0;
    co.bands = 64;
    co.rows = 1;
    ck_assert_int_eq(llmd_dedup_clusters_new(&c, &mo, &co), LLMD_ERR_INVALID_ARG);   /* 64 > num_perm 32 */
    co.version = 5;
    ck_assert_int_eq(llmd_dedup_clusters_new(&c, &mo, &co), LLMD_ERR_VERSION);
    llmd_minhash_options bad = mo;
    bad.version = 5;
    ck_assert_int_eq(llmd_dedup_clusters_new(&c, &bad, NULL), LLMD_ERR_VERSION);
    /* finish without candidates: called for the caller (estimate mode needs no shingles) */
    co = (llmd_dedup_cluster_options)LLMD_DEDUP_CLUSTER_OPTIONS_INIT;
    co.verify = LLMD_VERIFY_ESTIMATE;
    ck_ok(llmd_dedup_clusters_new(&c, &mo, &co));
    ck_assert_uint_gt(llmd_dedup_clusters_bands(c), 0);
    uint64_t doc;
    uint8_t eh[16] = {1};
    ck_ok(llmd_dedup_clusters_add(c, sigs[0], eh, 0, 0, &doc));
    ck_ok(llmd_dedup_clusters_add(c, sigs[6], eh, 0, 0, &doc));   /* equal exact hash: joined */
    ck_ok(llmd_dedup_clusters_finish(c));
    llmd_dedup_cluster_stats s;
    ck_ok(llmd_dedup_clusters_stats(c, &s));
    ck_assert_uint_eq(s.exact_joined, 1);
    ck_assert_uint_eq(s.clusters, 1);
    llmd_dedup_verdict v;
    ck_ok(llmd_dedup_clusters_result(c, 1, &v));
    ck_assert(!v.keep && v.linked == 0 && v.jaccard == 1.0);
    llmd_dedup_clusters_free(c);
    llmd_dedup_clusters_free(NULL);
    for (int g = 0; g < G; g++) llmd_free(shs[g]);
    llmd_minhasher_free(h);
}
END_TEST

/* MinHash options and arguments; the portable path gives the SIMD path's values (dedup.h). */
START_TEST(minhash_options_and_paths) {
    llmd_minhasher *h;
    llmd_minhash_options o;
    llmd_minhash_options_init(&o);
    llmd_minhash_options_init(NULL);
    ck_null(llmd_minhasher_new(NULL, &o), "NULL out");
    o.num_perm = 0;
    ck_null(llmd_minhasher_new(&h, &o), "num_perm 0 out of range 1..4096");
    o.num_perm = 4097;
    ck_null(llmd_minhasher_new(&h, &o), "num_perm 4097");
    o.num_perm = 16;
    o.ngram = 0;
    ck_null(llmd_minhasher_new(&h, &o), "ngram 0 out of range 1..64");
    o.ngram = 65;
    ck_null(llmd_minhasher_new(&h, &o), "ngram 65");
    o.ngram = 3;
    o.shingle_mode = 9;
    ck_null(llmd_minhasher_new(&h, &o), "unknown minhash shingle_mode 9");
    o.version = 0;
    ck_assert_int_eq(llmd_minhasher_new(&h, &o), LLMD_ERR_VERSION);
    ck_assert_uint_eq(llmd_minhasher_num_perm(NULL), 0);
    ck_assert_int_eq(llmd_minhasher_uses_simd(NULL), 0);
    llmd_minhasher_free(NULL);
    static const char *texts[] = {"the cat sat on the mat with a hat", "", "a b", "zebra crossing the wide road today"};
    const size_t lens[] = {33, 0, 3, 34};
    for (int mode = 0; mode < 2; mode++) {
        llmd_minhash_options_init(&o);
        o.num_perm = 40;   /* not a multiple of 8 or 32: the padded tail is cut */
        o.ngram = 2;
        o.shingle_mode = mode == 0 ? LLMD_SHINGLE_WORDS : LLMD_SHINGLE_CHARS;
        llmd_minhasher *simd, *port;
        ck_ok(llmd_minhasher_new(&simd, &o));
        o.force_portable = 1;
        ck_ok(llmd_minhasher_new(&port, &o));
        ck_assert_int_eq(llmd_minhasher_uses_simd(port), 0);
        ck_assert_uint_eq(llmd_minhasher_num_perm(port), 40);
        uint32_t a[4 * 40], b[4 * 40];
        size_t na[4], nb[4];
        ck_ok(llmd_minhash_batch(simd, texts, lens, 4, 2, a, na));
        ck_ok(llmd_minhash_batch(port, texts, lens, 4, 1, b, nb));
        ck_assert_mem_eq(a, b, sizeof a);
        ck_assert_mem_eq(na, nb, sizeof na);
        ck_assert_uint_eq(na[1], 0);   /* the empty document */
        /* the empty document's signature is all 0xFFFFFFFF: Jaccard 0 with anything */
        ck_assert(llmd_minhash_jaccard(a + 40, a + 40, 40) == 0.0);
        ck_assert(llmd_minhash_jaccard(a, a, 40) == 1.0);
        /* batch without shingle counts; one document alone agrees with the batch */
        uint32_t c[4 * 40], one[40];
        ck_ok(llmd_minhash_batch(port, texts, lens, 4, 0, c, NULL));
        ck_assert_mem_eq(a, c, sizeof c);
        ck_ok(llmd_minhash(simd, texts[3], lens[3], one, NULL));
        ck_assert_mem_eq(one, a + 3 * 40, sizeof one);
        uint8_t bytes[160];
        llmd_minhash_to_bytes(one, 40, bytes);
        ck_assert_uint_eq(bytes[0] | bytes[1] << 8 | bytes[2] << 16 | (uint32_t)bytes[3] << 24, one[0]);
        llmd_minhash_to_bytes(NULL, 40, bytes);
        llmd_minhash_to_bytes(one, 40, NULL);
        /* shingle sets: sorted, distinct; NULL text of length 0 has none */
        uint64_t *sh;
        size_t ns;
        ck_ok(llmd_minhash_shingles(port, texts[0], lens[0], one, &sh, &ns));
        ck_assert_uint_gt(ns, 1);
        for (size_t k = 1; k < ns; k++) ck_assert_uint_lt(sh[k - 1], sh[k]);
        llmd_free(sh);
        ck_ok(llmd_minhash_shingles(port, NULL, 0, one, &sh, &ns));
        ck_assert(sh == NULL && ns == 0);
        ck_null(llmd_minhash_shingles(NULL, "x", 1, one, &sh, &ns), "NULL hasher");
        ck_null(llmd_minhash_shingles(port, "x", 1, NULL, &sh, &ns), "NULL sig");
        ck_null(llmd_minhash_shingles(port, NULL, 1, one, &sh, &ns), "NULL text");
        ck_null(llmd_minhash_shingles(port, "x", 1, one, NULL, &ns), "NULL output");
        ck_null(llmd_minhash(NULL, "x", 1, one, NULL), "NULL hasher");
        ck_null(llmd_minhash(port, "x", 1, NULL, NULL), "NULL sig");
        ck_null(llmd_minhash(port, NULL, 1, one, NULL), "NULL text");
        ck_ok(llmd_minhash(port, NULL, 0, one, NULL));
        const char *with_null[] = {"a b c", NULL};
        const size_t wl[] = {5, 3};
        ck_null(llmd_minhash_batch(port, with_null, wl, 2, 1, c, NULL), "document 1 is NULL");
        ck_null(llmd_minhash_batch(NULL, texts, lens, 4, 1, c, NULL), "NULL hasher");
        ck_null(llmd_minhash_batch(port, NULL, lens, 4, 1, c, NULL), "NULL texts");
        ck_null(llmd_minhash_batch(port, texts, NULL, 4, 1, c, NULL), "NULL lens");
        ck_null(llmd_minhash_batch(port, texts, lens, 4, 1, NULL, NULL), "NULL sigs");
        ck_ok(llmd_minhash_batch(port, NULL, NULL, 0, 1, NULL, NULL));
        llmd_minhasher_free(simd);
        llmd_minhasher_free(port);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("dedup_cov");
    TCase *tc = tcase_create("cov");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, null_arguments_are_named);
    tcase_add_test(tc, exact_sets_and_line_dedup_edges);
    tcase_add_test(tc, lsh_index_files_and_options);
    tcase_add_test(tc, cluster_jobs_every_mode_and_size);
    tcase_add_test(tc, minhash_options_and_paths);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
