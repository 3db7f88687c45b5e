/* Throughput of text cleaning and PII redaction.
 *   bench_text FILE [REPEATS] [THREADS]
 * FILE is split into documents the way the benchmark corpus is (at blank lines, >= 4 KiB each);
 * prints MB/s (input bytes per second) for clean, redact (on the raw documents) and clean+redact
 * (llmd_clean_and_redact), single thread, best of REPEATS (default 3) passes, plus the spans
 * found.  With THREADS > 0 it also times llmd_text_batch_run (clean+redact) on that many threads. */
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

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_text FILE [REPEATS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (reps < 1) reps = 1;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    size_t len;
    char *data = slurp(argv[1], &len);
    if (data == NULL) {
        perror(argv[1]);
        return 1;
    }
    /* Documents: cut after a blank line once a document has >= 4096 bytes. */
    size_t cap = 1024, nd = 0;
    const char **docs = malloc(cap * sizeof *docs);
    size_t *lens = malloc(cap * sizeof *lens);
    size_t start = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] == '\n' && data[i + 1] == '\n' && i + 2 - start >= 4096) {
            if (nd == cap) {
                cap *= 2;
                docs = realloc(docs, cap * sizeof *docs);
                lens = realloc(lens, cap * sizeof *lens);
            }
            docs[nd] = data + start;
            lens[nd++] = i + 2 - start;
            start = i + 2;
        }
    }
    if (start < len) {
        if (nd == cap) {
            docs = realloc(docs, (cap + 1) * sizeof *docs);
            lens = realloc(lens, (cap + 1) * sizeof *lens);
        }
        docs[nd] = data + start;
        lens[nd++] = len - start;
    }
    llmd_redactor *r;
    if (llmd_redactor_new(&r, NULL) != LLMD_OK) {
        fprintf(stderr, "redactor: %s\n", llmd_last_error());
        return 1;
    }
    double best[3] = {1e9, 1e9, 1e9};
    size_t spans[3] = {0, 0, 0}, out_bytes[3] = {0, 0, 0};
    for (int rep = 0; rep < reps; rep++) {
        for (int mode = 0; mode < 3; mode++) {
            double t0 = now_s();
            size_t ns_total = 0, ob = 0;
            for (size_t d = 0; d < nd; d++) {
                char *out = NULL;
                size_t n = 0, ns = 0;
                llmd_pii_span *sp = NULL;
                llmd_status st;
                if (mode == 0) st = llmd_clean_text(docs[d], lens[d], NULL, &out, &n);
                else if (mode == 1) st = llmd_redactor_redact(r, docs[d], lens[d], &out, &n, &sp, &ns);
                else st = llmd_clean_and_redact(docs[d], lens[d], NULL, r, &out, &n, &sp, &ns);
                if (st != LLMD_OK) {
                    fprintf(stderr, "doc %zu: %s\n", d, llmd_last_error());
                    return 1;
                }
                ns_total += ns;
                ob += n;
                llmd_free(out);
                llmd_free(sp);
            }
            double dt = now_s() - t0;
            if (dt < best[mode]) best[mode] = dt;
            spans[mode] = ns_total;
            out_bytes[mode] = ob;
        }
    }
    static const char *names[3] = {"clean", "redact", "clean+redact"};
    printf("input: %s, %.1f MB, %zu documents, best of %d\n", argv[1], (double)len / 1e6, nd, reps);
    for (int mode = 0; mode < 3; mode++)
        printf("%-13s %8.1f MB/s  (%.3f s, %zu spans, %zu bytes out)\n", names[mode],
               (double)len / 1e6 / best[mode], best[mode], spans[mode], out_bytes[mode]);
    if (threads > 0) {
        double bt = 1e9;
        size_t bspans = 0;
        for (int rep = 0; rep < reps; rep++) {
            llmd_text_batch *b;
            double t0 = now_s();
            if (llmd_text_batch_run(docs, lens, nd, 1, NULL, r, (unsigned)threads, &b, NULL) != LLMD_OK) {
                fprintf(stderr, "batch: %s\n", llmd_last_error());
                return 1;
            }
            double dt = now_s() - t0;
            if (dt < bt) bt = dt;
            bspans = b->span_offsets[nd];
            llmd_text_batch_free(b);
        }
        printf("batch x%-6d %8.1f MB/s  (%.3f s, %zu spans)\n", threads, (double)len / 1e6 / bt, bt, bspans);
    }
    llmd_redactor_free(r);
    free(docs);
    free(lens);
    free(data);
    return 0;
}
