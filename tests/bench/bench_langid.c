/* Language-ID throughput on a JSONL set (field "text"), model load excluded, best of R runs:
 *   bench_langid --corpus FILE.jsonl [--model FILE] [--threads N] [--repeats R] [--limit D]
 * prints
 *   llmdata langid 1-doc-calls: X docs/s (Y MB/s, D docs, B MB, load L s)
 *   llmdata langid batch N-thread: X docs/s (Y MB/s)
 * "1-doc-calls" is one llmd_langid_predict_top() per document on one thread, as a filter calls
 * it (the comparison with the peer's one predict() per document); "batch" is
 * llmd_langid_predict_top_batch() on N threads.  Driven by tests/bench/langid_bench.sh, which
 * runs the WASM fastText peer in the same script. */
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

static int die(const char *what) {
    fprintf(stderr, "bench_langid: %s: %s\n", what, llmd_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *model = NULL, *corpus = NULL;
    unsigned threads = 2;
    int reps = 3;
    size_t limit = (size_t)-1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) model = argv[++i];
        else if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc) corpus = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc) limit = (size_t)atol(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_langid --corpus FILE.jsonl [--model FILE] [--threads N] [--repeats R] "
                            "[--limit DOCS]\n");
            return 2;
        }
    }
    if (corpus == NULL) {
        fprintf(stderr, "bench_langid: --corpus is required\n");
        return 2;
    }
    if (reps < 1) reps = 1;
    double t0 = now_s();
    llmd_langid_model *m;
    if (llmd_langid_model_load(&m, model) != LLMD_OK) return die("loading the model");
    double load = now_s() - t0;

    llmd_reader *r;
    llmd_json_doc *doc;
    if (llmd_reader_open(&r, corpus, NULL) != LLMD_OK) return die("opening the corpus");
    if (llmd_json_doc_new(&doc) != LLMD_OK) return die("json");
    size_t cap = 1024, n = 0, bytes = 0;
    char **texts = malloc(cap * sizeof *texts);
    size_t *lens = malloc(cap * sizeof *lens);
    const char *line;
    size_t ll;
    llmd_status st;
    while (n < limit && (st = llmd_reader_next_line(r, &line, &ll)) == LLMD_OK && line != NULL) {
        if (ll == 0) continue;
        const char *t;
        size_t tl;
        if (llmd_json_doc_parse(doc, line, ll) != LLMD_OK || llmd_json_doc_get_string(doc, "text", &t, &tl) != LLMD_OK)
            return die("reading the corpus");
        if (n == cap) {
            cap *= 2;
            texts = realloc(texts, cap * sizeof *texts);
            lens = realloc(lens, cap * sizeof *lens);
        }
        texts[n] = malloc(tl + 1);
        memcpy(texts[n], t, tl);
        lens[n++] = tl;
        bytes += tl;
    }
    llmd_reader_free(r);
    llmd_json_doc_free(doc);
    int32_t *ids = malloc((n ? n : 1) * sizeof *ids);
    float *probs = malloc((n ? n : 1) * sizeof *probs);

    double best1 = 1e30, bestb = 1e30;
    for (int k = 0; k < reps; k++) {
        double a = now_s();
        for (size_t i = 0; i < n; i++)
            if (llmd_langid_predict_top(m, texts[i], lens[i], &ids[i], NULL, &probs[i]) != LLMD_OK) return die("predicting");
        double s = now_s() - a;
        if (s < best1) best1 = s;
        a = now_s();
        if (llmd_langid_predict_top_batch(m, (const char *const *)texts, lens, n, threads, ids, probs) != LLMD_OK)
            return die("predicting (batch)");
        s = now_s() - a;
        if (s < bestb) bestb = s;
    }
    printf("llmdata langid 1-doc-calls: %.0f docs/s (%.2f MB/s, %zu docs, %.1f MB, load %.3f s)\n", (double)n / best1,
           (double)bytes / best1 / 1e6, n, (double)bytes / 1e6, load);
    printf("llmdata langid batch %u-thread: %.0f docs/s (%.2f MB/s)\n", threads, (double)n / bestb,
           (double)bytes / bestb / 1e6);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    free(ids);
    free(probs);
    llmd_langid_model_free(m);
    return 0;
}
