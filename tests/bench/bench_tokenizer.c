/* Tokenizer throughput on a JSONL corpus (field "text"), load time excluded, best of 3 runs:
 *   bench_tokenizer --tokenizer FILE [--tiktoken-pattern P] --corpus FILE.jsonl [--threads N]
 *                   [--repeats R] [--force-regex]
 * prints
 *   llmdata <tokenizer file name> N-thread: X MB/s (T Mtokens/s, D docs, B MB, load L s)
 * Driven by tests/bench/tokenizer_bench.sh, which runs the peers in the same script. */
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
    fprintf(stderr, "bench_tokenizer: %s: %s\n", what, llmd_last_error());
    return 1;
}

int main(int argc, char **argv) {
    const char *path = NULL, *corpus = NULL;
    llmd_tokenizer_options o;
    llmd_tokenizer_options_init(&o);
    unsigned threads = 1;
    int reps = 3;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--tokenizer") == 0 && i + 1 < argc) path = argv[++i];
        else if (strcmp(argv[i], "--tiktoken-pattern") == 0 && i + 1 < argc) o.tiktoken_pattern = argv[++i];
        else if (strcmp(argv[i], "--corpus") == 0 && i + 1 < argc) corpus = argv[++i];
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) threads = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeats") == 0 && i + 1 < argc) reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--force-regex") == 0) o.force_regex = 1;
        else {
            fprintf(stderr, "usage: bench_tokenizer --tokenizer FILE [--tiktoken-pattern P] --corpus FILE.jsonl "
                            "[--threads N] [--repeats R] [--force-regex]\n");
            return 2;
        }
    }
    if (path == NULL || corpus == NULL) {
        fprintf(stderr, "bench_tokenizer: --tokenizer and --corpus are required\n");
        return 2;
    }
    if (reps < 1) reps = 1;
    double t0 = now_s();
    llmd_tokenizer *tok;
    if (llmd_tokenizer_load(&tok, path, &o) != LLMD_OK) return die("loading the tokenizer");
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
    while ((st = llmd_reader_next_line(r, &line, &ll)) == LLMD_OK && line != NULL) {
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
    if (st != LLMD_OK) return die("reading the corpus");
    llmd_reader_free(r);
    llmd_json_doc_free(doc);

    double best = 1e30;
    size_t tokens = 0;
    for (int k = 0; k < reps; k++) {
        uint32_t *ids;
        size_t *offs;
        double a = now_s();
        if (llmd_tokenizer_encode_batch(tok, (const char *const *)texts, lens, n, 0, threads, &ids, &offs) != LLMD_OK)
            return die("encoding");
        double s = now_s() - a;
        if (s < best) best = s;
        tokens = offs[n];
        llmd_free(ids);
        llmd_free(offs);
    }
    const char *name = strrchr(path, '/');
    name = name ? name + 1 : path;
    printf("llmdata %s %u-thread: %.2f MB/s (%.2f Mtokens/s, %zu docs, %.1f MB, %zu tokens, load %.2f s)\n", name, threads,
           (double)bytes / best / 1e6, (double)tokens / best / 1e6, n, (double)bytes / 1e6, tokens, load);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    llmd_tokenizer_free(tok);
    return 0;
}
