/* Throughput of text cleaning and PII redaction, per document as users run it.
 *   bench_text FILE [REPEATS] [THREADS]
 * FILE is JSONL (documents = the "text" field of each line, as llmdata clean reads them; a name
 * ending in .jsonl or .jsonl.zst/.gz) or plain text (split at blank lines into documents of at
 * least 4 KiB, as the benchmark corpus is).  Prints MB/s of input text, best of REPEATS (default 3):
 *   per document, one thread: clean (llmd_clean_text), redact (llmd_redactor_redact on the raw
 *   documents), clean+redact (llmd_clean_and_redact), and the batch API llmd_text_batch_run
 *   (clean + redact, threads = 1, the whole corpus as one batch);
 *   one blob: clean+redact of every document joined by "\n\n" as ONE text (the old figure);
 *   with THREADS > 1 also the batch API on THREADS threads.
 * tests/bench/text_bench.sh runs this beside the seed's Python function on the same documents. */
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

/* CPU time of the process (all threads): on a shared, busy machine this is the figure that does
 * not depend on how much of a core the benchmark got. */
static double cpu_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct corpus {
    char **docs;
    size_t *lens;
    size_t n, cap, bytes;
} corpus;

static void add_doc(corpus *c, const char *text, size_t len) {
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 1024;
        c->docs = realloc(c->docs, c->cap * sizeof *c->docs);
        c->lens = realloc(c->lens, c->cap * sizeof *c->lens);
        if (!c->docs || !c->lens) { fprintf(stderr, "out of memory\n"); exit(1); }
    }
    char *d = malloc(len + 1);
    if (d == NULL) { fprintf(stderr, "out of memory\n"); exit(1); }
    memcpy(d, text, len);
    d[len] = '\0';
    c->docs[c->n] = d;
    c->lens[c->n++] = len;
    c->bytes += len;
}

static int is_jsonl(const char *path) {
    return strstr(path, ".jsonl") != NULL;
}

static int load_jsonl(const char *path, corpus *c) {
    llmd_reader *r;
    llmd_json_doc *doc;
    if (llmd_reader_open(&r, path, NULL) != LLMD_OK || llmd_json_doc_new(&doc) != LLMD_OK) {
        fprintf(stderr, "%s: %s\n", path, llmd_last_error());
        return 1;
    }
    for (;;) {
        const char *line, *text;
        size_t len, tl;
        if (llmd_reader_next_line(r, &line, &len) != LLMD_OK) {
            fprintf(stderr, "%s: %s\n", path, llmd_last_error());
            return 1;
        }
        if (line == NULL) break;
        if (len == 0) continue;
        if (llmd_json_doc_parse(doc, line, len) != LLMD_OK ||
            llmd_json_doc_get_string(doc, "text", &text, &tl) != LLMD_OK) {
            fprintf(stderr, "%s:%llu: %s\n", path, (unsigned long long)llmd_reader_line_number(r), llmd_last_error());
            return 1;
        }
        add_doc(c, text, tl);
    }
    llmd_json_doc_free(doc);
    llmd_reader_free(r);
    return 0;
}

static int load_text(const char *path, corpus *c) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    size_t cap = 1 << 20, len = 0;
    char *data = malloc(cap);
    for (;;) {
        if (len == cap) data = realloc(data, cap *= 2);
        size_t got = fread(data + len, 1, cap - len, f);
        if (got == 0) break;
        len += got;
    }
    fclose(f);
    /* Documents: cut after a blank line once a document has >= 4096 bytes. */
    size_t start = 0;
    for (size_t i = 0; i + 1 < len; i++) {
        if (data[i] == '\n' && data[i + 1] == '\n' && i + 2 - start >= 4096) {
            add_doc(c, data + start, i + 2 - start);
            start = i + 2;
        }
    }
    if (start < len) add_doc(c, data + start, len - start);
    free(data);
    return 0;
}

enum { M_CLEAN, M_REDACT, M_BOTH, M_BATCH, M_BLOB, M_COUNT };

/* One timed pass of mode m; returns wall seconds (*cpu: CPU seconds), counts spans and output
 * bytes. */
static double run_mode(int m, const corpus *c, const char *blob, size_t blob_len, const llmd_redactor *r,
                       unsigned threads, size_t *spans, size_t *out_bytes, double *cpu) {
    double t0 = now_s(), c0 = cpu_s();
    size_t ns_total = 0, ob = 0;
    if (m == M_BATCH) {
        llmd_text_batch *b;
        if (llmd_text_batch_run((const char *const *)c->docs, c->lens, c->n, 1, NULL, r, threads, &b, NULL) != LLMD_OK) {
            fprintf(stderr, "batch: %s\n", llmd_last_error());
            exit(1);
        }
        double dt = now_s() - t0;
        *cpu = cpu_s() - c0;
        *spans = b->span_offsets[c->n];
        *out_bytes = b->offsets[c->n];
        llmd_text_batch_free(b);
        return dt;
    }
    size_t n = m == M_BLOB ? 1 : c->n;
    for (size_t d = 0; d < n; d++) {
        const char *text = m == M_BLOB ? blob : c->docs[d];
        size_t len = m == M_BLOB ? blob_len : c->lens[d];
        char *out = NULL;
        size_t on = 0, ns = 0;
        llmd_pii_span *sp = NULL;
        llmd_status st;
        if (m == M_CLEAN) st = llmd_clean_text(text, len, NULL, &out, &on);
        else if (m == M_REDACT) st = llmd_redactor_redact(r, text, len, &out, &on, &sp, &ns);
        else st = llmd_clean_and_redact(text, len, NULL, r, &out, &on, &sp, &ns);
        if (st != LLMD_OK) {
            fprintf(stderr, "doc %zu: %s\n", d, llmd_last_error());
            exit(1);
        }
        ns_total += ns;
        ob += on;
        llmd_free(out);
        llmd_free(sp);
    }
    double dt = now_s() - t0;
    *cpu = cpu_s() - c0;
    *spans = ns_total;
    *out_bytes = ob;
    return dt;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: bench_text FILE.jsonl|FILE.txt [REPEATS] [THREADS]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 3;
    if (reps < 1) reps = 1;
    int threads = argc > 3 ? atoi(argv[3]) : 0;
    corpus c = {0};
    if ((is_jsonl(argv[1]) ? load_jsonl(argv[1], &c) : load_text(argv[1], &c)) != 0) return 1;
    if (c.n == 0) {
        fprintf(stderr, "%s: no documents\n", argv[1]);
        return 1;
    }
    /* The one-blob input: every document joined by a blank line. */
    size_t blob_len = c.bytes + 2 * (c.n - 1), at = 0;
    char *blob = malloc(blob_len + 1);
    if (blob == NULL) return 1;
    for (size_t d = 0; d < c.n; d++) {
        if (d) { blob[at++] = '\n'; blob[at++] = '\n'; }
        memcpy(blob + at, c.docs[d], c.lens[d]);
        at += c.lens[d];
    }
    blob[at] = '\0';
    llmd_redactor *r;
    if (llmd_redactor_new(&r, NULL) != LLMD_OK) {
        fprintf(stderr, "redactor: %s\n", llmd_last_error());
        return 1;
    }
    static const char *names[M_COUNT] = {"clean", "redact", "clean+redact", "batch x1", "one-blob"};
    double best[M_COUNT], best_cpu[M_COUNT];
    size_t spans[M_COUNT] = {0}, out_bytes[M_COUNT] = {0};
    for (int m = 0; m < M_COUNT; m++) best[m] = best_cpu[m] = 1e9;
    for (int rep = 0; rep < reps; rep++)
        for (int m = 0; m < M_COUNT; m++) {
            double cpu;
            double dt = run_mode(m, &c, blob, blob_len, r, 1, &spans[m], &out_bytes[m], &cpu);
            if (dt < best[m]) best[m] = dt;
            if (cpu < best_cpu[m]) best_cpu[m] = cpu;
        }
    printf("input: %s, %.1f MB of text, %zu documents, best of %d\n", argv[1], (double)c.bytes / 1e6, c.n, reps);
    for (int m = 0; m < M_COUNT; m++)
        printf("%-13s %8.1f MB/s  (%.3f s; CPU %.3f s = %.1f MB/s; %zu spans, %zu bytes out)%s\n", names[m],
               (double)c.bytes / 1e6 / best[m], best[m], best_cpu[m], (double)c.bytes / 1e6 / best_cpu[m], spans[m],
               out_bytes[m],
               m == M_BLOB ? "  [all documents as one text]" : m == M_BATCH ? "  [per document, batch API]"
                                                                           : "  [per document]");
    if (threads > 1) {
        double bt = 1e9, cpu;
        size_t bs = 0, bo = 0;
        for (int rep = 0; rep < reps; rep++) {
            double dt = run_mode(M_BATCH, &c, blob, blob_len, r, (unsigned)threads, &bs, &bo, &cpu);
            if (dt < bt) bt = dt;
        }
        printf("batch x%-6d %8.1f MB/s  (%.3f s, %zu spans)\n", threads, (double)c.bytes / 1e6 / bt, bt, bs);
    }
    llmd_redactor_free(r);
    for (size_t d = 0; d < c.n; d++) free(c.docs[d]);
    free(c.docs);
    free(c.lens);
    free(blob);
    return 0;
}
