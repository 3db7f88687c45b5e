/* Throughput of the quality filters, one thread, per filter set.
 *   bench_filter CORPUS.jsonl [REPEATS] [SETS]
 * Reads the "text" field of every line, then times llmd_filter_apply over all documents for each
 * comma-separated filter set in SETS (';'-separated; default: each filter alone, then
 * "c4,badwords,gopher,gopher-repetition,fineweb"), best of REPEATS (default 3) passes.  Prints one
 * line per set: MB/s of input text per second of thread CPU time (robust on a shared, loaded
 * machine; the datatrove side is timed the same way) and documents kept.  tests/bench/filter_bench.sh puts
 * datatrove's filters next to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmdata.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* CPU time: fair on a shared machine */
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_filter CORPUS.jsonl [REPEATS] [SETS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (reps < 1) reps = 1;
    const char *sets = argc > 3 ? argv[3]
                                : "c4;badwords;gopher;gopher-repetition;fineweb;c4,badwords,gopher,gopher-repetition,fineweb";
    llmd_reader *rd = NULL;
    llmd_json_doc *doc = NULL;
    if (llmd_reader_open(&rd, argv[1], NULL) != LLMD_OK || llmd_json_doc_new(&doc) != LLMD_OK) {
        fprintf(stderr, "%s: %s\n", argv[1], llmd_last_error());
        return 1;
    }
    char **texts = NULL;
    size_t *lens = NULL, n = 0, cap = 0, total = 0;
    for (;;) {
        const char *line, *v;
        size_t len, vl;
        if (llmd_reader_next_line(rd, &line, &len) != LLMD_OK) {
            fprintf(stderr, "%s: %s\n", argv[1], llmd_last_error());
            return 1;
        }
        if (line == NULL) break;
        if (llmd_json_doc_parse(doc, line, len) != LLMD_OK || llmd_json_doc_get_string(doc, "text", &v, &vl) != LLMD_OK)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            texts = realloc(texts, cap * sizeof *texts);
            lens = realloc(lens, cap * sizeof *lens);
            if (texts == NULL || lens == NULL) return 1;
        }
        texts[n] = malloc(vl + 1);
        if (texts[n] == NULL) return 1;
        memcpy(texts[n], v, vl);
        texts[n][vl] = 0;
        lens[n++] = vl;
        total += vl;
    }
    llmd_json_doc_free(doc);
    llmd_reader_free(rd);
    printf("bench_filter: %zu documents, %.1f MB of text, one thread, best of %d\n", n, (double)total / 1e6, reps);
    char *list = strdup(sets);
    for (char *set = strtok(list, ";"); set != NULL; set = strtok(NULL, ";")) {
        llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
        o.filters = set;
        llmd_filter *f = NULL;
        if (llmd_filter_new(&f, &o) != LLMD_OK) {
            fprintf(stderr, "%s: %s\n", set, llmd_last_error());
            return 1;
        }
        double best = 1e30;
        size_t kept = 0;
        for (int r = 0; r < reps; r++) {
            kept = 0;
            double t0 = now_s();
            for (size_t i = 0; i < n; i++) {
                llmd_filter_result res;
                if (llmd_filter_apply(f, texts[i], lens[i], &res, NULL) != LLMD_OK) {
                    fprintf(stderr, "%s: %s\n", set, llmd_last_error());
                    return 1;
                }
                kept += (size_t)res.keep;
                llmd_free(res.text);
            }
            double t = now_s() - t0;
            if (t < best) best = t;
        }
        printf("  %-48s %8.1f MB/s  kept %zu/%zu\n", set, (double)total / 1e6 / best, kept, n);
        llmd_filter_free(f);
    }
    free(list);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    return 0;
}
