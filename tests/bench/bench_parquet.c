/* Parquet write/read throughput (tests/bench/parquet_bench.sh compares with DuckDB in the same run).
 *
 *   bench_parquet --corpus corpus.txt --dir DIR [--docs-mb N] [--windows N]
 *
 * Two tables, each written with zstd and uncompressed, then read back whole (every row group,
 * every column materialised in Arrow layout):
 *   docs     text (documents of ~4 KiB cut from the corpus) + id int64 + n_bytes int32 + score double
 *   windows  input_ids list<int32> (seq_len 2048; ids from the corpus bytes, so they have text's
 *            statistics) + cu_seqlens list<int32>
 * MB/s counts the data as the caller holds it (text bytes + fixed-width values + offsets), rows/s the
 * table rows.  Files are left in DIR as docs_<codec>.parquet / windows_<codec>.parquet for the peer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmdata/parquet.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void die(const char *what) {
    fprintf(stderr, "bench_parquet: %s: %s\n", what, llmd_last_error());
    exit(1);
}

typedef struct table {
    llmd_schema *s;
    llmd_column cols[4];
    llmd_column kids[2];
    size_t n_cols;
    int64_t rows;
    double bytes;
} table;

static double write_table(const table *t, const char *path, int codec) {
    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.codec = codec;
    llmd_parquet_writer *w;
    double t0 = now();
    if (llmd_parquet_writer_open(&w, path, t->s, &o)) die("open");
    /* batches of 1024 rows, as a pipeline hands them over */
    for (int64_t r = 0; r < t->rows; r += 1024) {
        llmd_column c[4];
        int64_t n = t->rows - r < 1024 ? t->rows - r : 1024;
        for (size_t k = 0; k < t->n_cols; k++) {
            c[k] = t->cols[k];
            c[k].offset = r;
            c[k].length = n;
        }
        if (llmd_parquet_writer_write(w, c, t->n_cols)) die("write");
    }
    if (llmd_parquet_writer_finish(w)) die("finish");
    llmd_parquet_writer_free(w);
    return now() - t0;
}

static double read_table(const char *path, int64_t *rows) {
    double t0 = now();
    llmd_parquet_reader *r;
    if (llmd_parquet_reader_open(&r, path, NULL)) die("reader open");
    *rows = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_batch *b;
        if (llmd_parquet_reader_read_row_group(r, g, &b)) die("read");
        *rows += llmd_parquet_batch_rows(b);
        llmd_parquet_batch_free(b);
    }
    llmd_parquet_reader_free(r);
    return now() - t0;
}

int main(int argc, char **argv) {
    const char *corpus = NULL, *dir = ".";
    double docs_mb = 32;
    long n_windows = 4000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--corpus")) corpus = argv[i + 1];
        else if (!strcmp(argv[i], "--dir")) dir = argv[i + 1];
        else if (!strcmp(argv[i], "--docs-mb")) docs_mb = atof(argv[i + 1]);
        else if (!strcmp(argv[i], "--windows")) n_windows = atol(argv[i + 1]);
    }
    if (!corpus) {
        fprintf(stderr, "usage: bench_parquet --corpus corpus.txt --dir DIR [--docs-mb N] [--windows N]\n");
        return 2;
    }
    FILE *f = fopen(corpus, "rb");
    if (!f) {
        perror(corpus);
        return 1;
    }
    size_t cap = (size_t)(docs_mb * 1048576), len = 0;
    char *text = malloc(cap);
    while (len < cap) {
        size_t got = fread(text + len, 1, cap - len, f);
        if (got == 0) {
            if (len == 0) break;
            rewind(f);   /* small corpus: repeat it */
            continue;
        }
        len += got;
    }
    fclose(f);
    /* cut ~4 KiB documents at a newline, on a UTF-8 boundary */
    int64_t cap_docs = (int64_t)(len / 1024) + 2, nd = 0;
    int32_t *offs = malloc((size_t)(cap_docs + 1) * 4);
    offs[0] = 0;
    size_t pos = 0;
    while (pos < len && nd < cap_docs) {
        size_t end = pos + 4096 < len ? pos + 4096 : len;
        while (end < len && text[end] != '\n' && end - pos < 8192) end++;
        while (end < len && ((unsigned char)text[end] & 0xC0) == 0x80) end++;
        offs[++nd] = (int32_t)end;
        pos = end;
    }
    /* the corpus may hold invalid UTF-8 (binary docs): non-ASCII bytes become '?' so every document is a
     * valid STRING for both writers */
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)text[i] >= 0x80) text[i] = '?';
    int64_t *ids = malloc((size_t)nd * 8);
    int32_t *nbytes = malloc((size_t)nd * 4);
    double *score = malloc((size_t)nd * 8);
    for (int64_t i = 0; i < nd; i++) {
        ids[i] = i * 7919;
        nbytes[i] = offs[i + 1] - offs[i];
        score[i] = (double)(nbytes[i] % 1000) / 999.0;
    }
    table docs = {0};
    int id;
    llmd_schema_new(&docs.s);
    llmd_schema_add(docs.s, 0, "text", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, &id);
    llmd_schema_add(docs.s, 0, "id", &(llmd_type){.id = LLMD_TYPE_INT64}, 0, &id);
    llmd_schema_add(docs.s, 0, "n_bytes", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, &id);
    llmd_schema_add(docs.s, 0, "score", &(llmd_type){.id = LLMD_TYPE_DOUBLE}, 0, &id);
    docs.cols[0] = (llmd_column){.length = nd, .offsets = offs, .values = text};
    docs.cols[1] = (llmd_column){.length = nd, .values = ids};
    docs.cols[2] = (llmd_column){.length = nd, .values = nbytes};
    docs.cols[3] = (llmd_column){.length = nd, .values = score};
    docs.n_cols = 4;
    docs.rows = nd;
    docs.bytes = (double)offs[nd] + (double)nd * (4 + 8 + 4 + 8);

    /* windows: ids from consecutive byte pairs of the corpus */
    int64_t nw = n_windows, ntok = nw * 2048;
    int32_t *tok = malloc((size_t)ntok * 4), *woff = malloc((size_t)(nw + 1) * 4);
    int32_t *cu = malloc((size_t)nw * 6 * 4), *cuoff = malloc((size_t)(nw + 1) * 4);
    int64_t ncu = 0;
    for (int64_t i = 0; i < ntok; i++) {
        size_t p = (size_t)(i * 2) % (len - 1);
        tok[i] = (int32_t)((((unsigned char)text[p] << 8) | (unsigned char)text[p + 1]) % 50257);
    }
    woff[0] = cuoff[0] = 0;
    for (int64_t w = 0; w < nw; w++) {
        woff[w + 1] = (int32_t)((w + 1) * 2048);
        int segs = 1 + (int)(w % 4);
        cu[ncu++] = 0;
        for (int k = 1; k < segs; k++) cu[ncu++] = k * 2048 / segs;
        cu[ncu++] = 2048;
        cuoff[w + 1] = (int32_t)ncu;
    }
    table win = {0};
    int l1, l2;
    llmd_schema_new(&win.s);
    llmd_schema_add(win.s, 0, "input_ids", &(llmd_type){.id = LLMD_TYPE_LIST}, 0, &l1);
    llmd_schema_add(win.s, l1, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL);
    llmd_schema_add(win.s, 0, "cu_seqlens", &(llmd_type){.id = LLMD_TYPE_LIST}, 0, &l2);
    llmd_schema_add(win.s, l2, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL);
    win.kids[0] = (llmd_column){.length = ntok, .values = tok};
    win.kids[1] = (llmd_column){.length = ncu, .values = cu};
    win.cols[0] = (llmd_column){.length = nw, .offsets = woff, .children = &win.kids[0], .n_children = 1};
    win.cols[1] = (llmd_column){.length = nw, .offsets = cuoff, .children = &win.kids[1], .n_children = 1};
    win.n_cols = 2;
    win.rows = nw;
    win.bytes = (double)ntok * 4 + (double)ncu * 4 + (double)nw * 8;

    const struct { const char *name; table *t; } tables[] = {{"docs", &docs}, {"windows", &win}};
    const struct { const char *name; int codec; } codecs[] = {{"zstd", LLMD_PARQUET_ZSTD}, {"uncompressed", LLMD_PARQUET_UNCOMPRESSED}};
    for (int ti = 0; ti < 2; ti++) {
        for (int ci = 0; ci < 2; ci++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s_%s.parquet", dir, tables[ti].name, codecs[ci].name);
            const table *t = tables[ti].t;
            double best_w = 1e9, best_r = 1e9;
            int64_t rows = 0;
            for (int rep = 0; rep < 3; rep++) {   /* best of 3 */
                double tw = write_table(t, path, codecs[ci].codec);
                double tr = read_table(path, &rows);
                if (tw < best_w) best_w = tw;
                if (tr < best_r) best_r = tr;
            }
            if (rows != t->rows) {
                fprintf(stderr, "bench_parquet: read %lld rows of %lld\n", (long long)rows, (long long)t->rows);
                return 1;
            }
            FILE *pf = fopen(path, "rb");
            fseek(pf, 0, SEEK_END);
            long fsize = ftell(pf);
            fclose(pf);
            printf("llmdata %s %s write: %.1f MB/s, %.0f rows/s (%.1f MB data, %lld rows, file %.1f MB)\n",
                   tables[ti].name, codecs[ci].name, t->bytes / 1e6 / best_w, (double)t->rows / best_w, t->bytes / 1e6,
                   (long long)t->rows, (double)fsize / 1e6);
            printf("llmdata %s %s read: %.1f MB/s, %.0f rows/s\n", tables[ti].name, codecs[ci].name,
                   t->bytes / 1e6 / best_r, (double)t->rows / best_r);
            fflush(stdout);
        }
    }
    llmd_schema_free(docs.s);
    llmd_schema_free(win.s);
    free(text); free(offs); free(ids); free(nbytes); free(score); free(tok); free(woff); free(cu); free(cuoff);
    return 0;
}
