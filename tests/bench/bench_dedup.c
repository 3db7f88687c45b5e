/* Throughput of MinHash signatures and of end-to-end near-duplicate dedup.
 *   bench_dedup FILE [REPEATS] [MAX_BYTES] [THREADS]
 * FILE is split into documents the way the benchmark corpus is (at blank lines, >= 4 KiB each;
 * the same rule as bench_text and datasketch_ref.py), keeping documents while the total is
 * <= MAX_BYTES (default: all).  Prints, best of REPEATS (default 3), single thread:
 *   minhash-simd MB/s       signatures, 128 perms, word 5-grams, AVX2 path if the CPU has it
 *   minhash-portable MB/s   the same with force_portable
 *   dedup docs/s MB/s       signatures + LSH index insert (threshold 0.8) per document
 * With THREADS > 1 also llmd_minhash_batch on that many threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmdata.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    size_t cap = 1 << 20, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (n == cap) buf = realloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) break;
        n += got;
    }
    fclose(f);
    *len = n;
    return buf;
}

static int die(const char *what) {
    fprintf(stderr, "bench_dedup: %s: %s\n", what, llmd_last_error());
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_dedup FILE [REPEATS] [MAX_BYTES] [THREADS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (reps < 1) reps = 1;
    size_t max_bytes = argc > 3 ? (size_t)strtoull(argv[3], NULL, 10) : 0;
    int threads = argc > 4 ? atoi(argv[4]) : 1;
    size_t len;
    char *data = slurp(argv[1], &len);
    if (data == NULL) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = 1024, nd = 0, total = 0;
    const char **docs = malloc(cap * sizeof *docs);
    size_t *lens = malloc(cap * sizeof *lens);
    size_t start = 0;
    for (size_t i = 0; i + 1 <= len; i++) {
        int cut = (i + 1 < len && data[i] == '\n' && data[i + 1] == '\n' && i + 2 - start >= 4096);
        int last = (i + 1 == len && start < len);
        if (!cut && !last) continue;
        size_t e = cut ? i + 2 : len;
        if (max_bytes && total + (e - start) > max_bytes) break;
        if (nd == cap) {
            cap *= 2;
            docs = realloc(docs, cap * sizeof *docs);
            lens = realloc(lens, cap * sizeof *lens);
        }
        docs[nd] = data + start;
        lens[nd++] = e - start;
        total += e - start;
        start = e;
    }
    printf("documents %zu bytes %zu\n", nd, total);
    uint32_t *sigs = malloc(nd * 128 * sizeof *sigs);
    for (int portable = 0; portable <= 1; portable++) {
        llmd_minhash_options o = LLMD_MINHASH_OPTIONS_INIT;
        o.force_portable = portable;
        llmd_minhasher *h;
        if (llmd_minhasher_new(&h, &o) != LLMD_OK) return die("minhasher");
        double best = 1e9;
        for (int r = 0; r < reps; r++) {
            double t0 = now_s();
            if (llmd_minhash_batch(h, docs, lens, nd, 1, sigs, NULL) != LLMD_OK) return die("minhash");
            double t = now_s() - t0;
            if (t < best) best = t;
        }
        printf("minhash-%s %.1f MB/s (simd path active: %d)\n", portable ? "portable" : "simd",
               (double)total / best / 1e6, llmd_minhasher_uses_simd(h));
        if (!portable && threads > 1) {
            double tb = 1e9;
            for (int r = 0; r < reps; r++) {
                double t0 = now_s();
                if (llmd_minhash_batch(h, docs, lens, nd, (unsigned)threads, sigs, NULL) != LLMD_OK)
                    return die("minhash batch");
                double t = now_s() - t0;
                if (t < tb) tb = t;
            }
            printf("minhash-batch-%dthreads %.1f MB/s\n", threads, (double)total / tb / 1e6);
        }
        llmd_minhasher_free(h);
    }
    /* End to end: signature + insert, one document at a time. */
    llmd_minhasher *h;
    if (llmd_minhasher_new(&h, NULL) != LLMD_OK) return die("minhasher");
    double best = 1e9;
    uint64_t dups = 0;
    for (int r = 0; r < reps; r++) {
        llmd_lsh_index *idx;
        if (llmd_lsh_index_new(&idx, NULL, NULL) != LLMD_OK) return die("index");
        uint32_t sig[128];
        dups = 0;
        double t0 = now_s();
        for (size_t i = 0; i < nd; i++) {
            llmd_lsh_match m;
            if (llmd_minhash(h, docs[i], lens[i], sig, NULL) != LLMD_OK) return die("minhash");
            if (llmd_lsh_index_insert(idx, &i, sizeof i, sig, 0, &m) != LLMD_OK) return die("insert");
            dups += m.duplicate;
        }
        double t = now_s() - t0;
        if (t < best) best = t;
        llmd_lsh_index_free(idx);
    }
    printf("dedup %.0f docs/s %.1f MB/s (near duplicates found %llu)\n", (double)nd / best,
           (double)total / best / 1e6, (unsigned long long)dups);
    llmd_minhasher_free(h);
    free(sigs);
    free(docs);
    free(lens);
    free(data);
    return 0;
}
