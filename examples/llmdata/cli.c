/* JSONL streaming loop, summary and progress for the llmdata CLI. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int cli_lib_error(const char *what, llmd_status st) {
    fprintf(stderr, "llmdata: %s: %s (%s)\n", what, llmd_last_error(), llmd_status_str(st));
    return 1;
}

int cli_error(const char *name, const char *fmt, ...) {
    va_list ap;
    fprintf(stderr, "llmdata %s: ", name);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_usage(const char *usage) {
    fprintf(stderr, "%s", usage);
    return 2;
}

void cli_common_init(cli_common *c) {
    memset(c, 0, sizeof *c);
    c->field = "text";
    c->batch = 256;
}

void cli_common_free(cli_common *c) { free(c->inputs); }

int cli_add_input(cli_common *c, const char *path) {
    const char **p = realloc(c->inputs, (c->n_inputs + 1) * sizeof *p);
    if (p == NULL) return -1;
    p[c->n_inputs++] = path;
    c->inputs = p;
    return 0;
}

int cli_need_value(int argc, char **argv, int *i, const char **val) {
    if (*i + 1 >= argc) {
        fprintf(stderr, "llmdata: option %s needs a value\n", argv[*i]);
        return -1;
    }
    *val = argv[++*i];
    return 0;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-') {
        fprintf(stderr, "llmdata: %s expects a non-negative integer, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *s, double *out) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end) {
        fprintf(stderr, "llmdata: %s expects a number, got '%s'\n", opt, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_common(cli_common *c, int argc, char **argv, int *i) {
    const char *a = argv[*i], *v;
    if (strcmp(a, "--field") == 0) {
        if (cli_need_value(argc, argv, i, &v)) return -1;
        c->field = v;
        return 1;
    }
    if (strcmp(a, "--skip-bad") == 0) { c->skip_bad = true; return 1; }
    if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) { c->quiet = true; return 1; }
    if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
        if (cli_need_value(argc, argv, i, &v)) return -1;
        c->output = v;
        return 1;
    }
    return 0;
}

/* ---- progress --------------------------------------------------------------------------- */

typedef struct progress {
    bool on;
    double start, last;
} progress;

static void progress_show(progress *p, const cli_stats *s, bool final) {
    if (!p->on) return;
    double now = cli_now();
    if (!final && now - p->last < 0.25) return;
    p->last = now;
    double secs = now - p->start;
    double mb = (double)s->bytes_in / 1e6;
    fprintf(stderr, "\r\033[K%llu docs, %.1f MB, %.1f MB/s", (unsigned long long)s->docs_in, mb,
            secs > 0 ? mb / secs : 0.0);
    if (final) fputs("\r\033[K", stderr);
    fflush(stderr);
}

/* ---- the loop ---------------------------------------------------------------------------- */

typedef struct batch {
    llmd_json_doc **docs;
    int *verdict;
    uint64_t *line;
    const char **src;
    size_t n, cap;
} batch;

static int batch_init(batch *b, size_t cap) {
    b->cap = cap;
    b->n = 0;
    b->docs = calloc(cap, sizeof *b->docs);
    b->verdict = calloc(cap, sizeof *b->verdict);
    b->line = calloc(cap, sizeof *b->line);
    b->src = calloc(cap, sizeof *b->src);
    if (!b->docs || !b->verdict || !b->line || !b->src) return -1;
    for (size_t i = 0; i < cap; i++)
        if (llmd_json_doc_new(&b->docs[i]) != LLMD_OK) return -1;
    return 0;
}

static void batch_free(batch *b) {
    if (b->docs)
        for (size_t i = 0; i < b->cap; i++) llmd_json_doc_free(b->docs[i]);
    free(b->docs);
    free(b->verdict);
    free(b->line);
    free(b->src);
}

static int flush_batch(const char *name, batch *b, cli_batch_fn fn, void *ctx, FILE *out, cli_stats *s) {
    if (b->n == 0) return 0;
    memset(b->verdict, 0, b->n * sizeof *b->verdict);
    if (fn(ctx, b->docs, b->n, b->verdict, b->line, (const char *const *)b->src) != 0) return 1;
    for (size_t i = 0; i < b->n; i++) {
        if (b->verdict[i] != CLI_KEEP) continue;
        const char *json;
        size_t len;
        llmd_status st = llmd_json_doc_render(b->docs[i], &json, &len);
        if (st != LLMD_OK) return cli_lib_error("rendering output", st);
        if (fwrite(json, 1, len, out) != len || fputc('\n', out) == EOF)
            return cli_error(name, "write failed: %s", strerror(errno));
        s->docs_out++;
        s->bytes_out += len + 1;
    }
    b->n = 0;
    return 0;
}

static int run_input(const char *name, cli_common *c, const char *path, batch *b, cli_batch_fn fn,
                     void *ctx, FILE *out, cli_stats *s, progress *p) {
    llmd_reader *r;
    llmd_status st = llmd_reader_open(&r, path, NULL);
    if (st != LLMD_OK) return cli_lib_error("opening input", st);
    int rc = 0;
    for (;;) {
        const char *line;
        size_t len;
        st = llmd_reader_next_line(r, &line, &len);
        if (st != LLMD_OK) { rc = cli_lib_error("reading input", st); break; }
        if (line == NULL) break;
        uint64_t line_no = llmd_reader_line_number(r);
        s->bytes_in += len + 1;
        /* Blank lines carry no document: skip them silently, as JSONL readers do. */
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == len) continue;
        s->docs_in++;
        st = llmd_json_doc_parse(b->docs[b->n], line, len);
        if (st != LLMD_OK) {
            if (c->skip_bad) { s->bad++; continue; }
            fprintf(stderr, "llmdata %s: %s:%llu: %s (use --skip-bad to skip such lines)\n", name, path,
                    (unsigned long long)line_no, llmd_last_error());
            rc = 1;
            break;
        }
        b->line[b->n] = line_no;
        b->src[b->n] = path;
        if (++b->n == b->cap && (rc = flush_batch(name, b, fn, ctx, out, s)) != 0) break;
        progress_show(p, s, false);
    }
    if (rc == 0) rc = flush_batch(name, b, fn, ctx, out, s);
    llmd_reader_free(r);
    return rc;
}

/* A .parquet input: every row becomes a JSON object (parquet_json.c forms) and goes through the same
 * batches as a JSONL line; "line" numbers are 1-based row numbers. */
static int run_parquet_input(const char *name, cli_common *c, const char *path, batch *b, cli_batch_fn fn,
                             void *ctx, FILE *out, cli_stats *s, progress *p) {
    llmd_parquet_reader *r;
    llmd_status st = llmd_parquet_reader_open(&r, path, NULL);
    if (st != LLMD_OK) return cli_lib_error("opening input", st);
    const llmd_schema *schema = llmd_parquet_reader_schema(r);
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (m == NULL) {
        llmd_parquet_reader_free(r);
        return cli_error(name, "out of memory");
    }
    int rc = 0;
    uint64_t row_no = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r) && rc == 0; g++) {
        llmd_parquet_batch *pb;
        st = llmd_parquet_reader_read_row_group(r, g, &pb);
        if (st != LLMD_OK) { rc = cli_lib_error("reading input", st); break; }
        for (int64_t i = 0; i < llmd_parquet_batch_rows(pb); i++) {
            row_no++;
            fseeko(m, 0, SEEK_SET);
            cli_parquet_row_json(m, schema, pb, i);
            if (fflush(m) != 0) { rc = cli_error(name, "out of memory"); break; }
            s->bytes_in += size;
            s->docs_in++;
            st = llmd_json_doc_parse(b->docs[b->n], buf, size);
            if (st != LLMD_OK) {
                if (c->skip_bad) { s->bad++; continue; }
                fprintf(stderr, "llmdata %s: %s: row %llu: %s (use --skip-bad to skip such rows)\n", name, path,
                        (unsigned long long)row_no, llmd_last_error());
                rc = 1;
                break;
            }
            b->line[b->n] = row_no;
            b->src[b->n] = path;
            if (++b->n == b->cap && (rc = flush_batch(name, b, fn, ctx, out, s)) != 0) break;
            progress_show(p, s, false);
        }
        llmd_parquet_batch_free(pb);
    }
    if (rc == 0) rc = flush_batch(name, b, fn, ctx, out, s);
    fclose(m);
    free(buf);
    llmd_parquet_reader_free(r);
    return rc;
}

static bool is_parquet_path(const char *path) {
    size_t n = strlen(path);
    return n > 8 && strcmp(path + n - 8, ".parquet") == 0;
}

int cli_run_jsonl(const char *name, cli_common *c, cli_batch_fn fn, void *ctx, cli_stats *s) {
    static const char *stdin_only[] = {"-"};
    const char **inputs = c->n_inputs ? c->inputs : stdin_only;
    size_t n_inputs = c->n_inputs ? c->n_inputs : 1;
    FILE *out = stdout;
    if (c->output && strcmp(c->output, "-") != 0) {
        out = fopen(c->output, "wb");
        if (out == NULL) return cli_error(name, "cannot open output %s: %s", c->output, strerror(errno));
    }
    static char obuf[1 << 16];
    if (out == stdout) setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    batch b = {0};
    if (batch_init(&b, c->batch ? c->batch : 1) != 0) {
        batch_free(&b);
        return cli_error(name, "out of memory");
    }
    progress p = {.on = !c->quiet && isatty(2), .start = cli_now()};
    p.last = p.start;
    double t0 = cli_now();
    int rc = 0;
    for (size_t i = 0; i < n_inputs && rc == 0; i++)
        rc = is_parquet_path(inputs[i]) ? run_parquet_input(name, c, inputs[i], &b, fn, ctx, out, s, &p)
                                        : run_input(name, c, inputs[i], &b, fn, ctx, out, s, &p);
    if (fflush(out) != 0 || ferror(out)) rc = rc ? rc : cli_error(name, "write failed: %s", strerror(errno));
    if (out != stdout && fclose(out) != 0) rc = rc ? rc : cli_error(name, "closing output failed: %s", strerror(errno));
    s->seconds = cli_now() - t0;
    progress_show(&p, s, true);
    batch_free(&b);
    if (!c->quiet) {
        double mb = (double)s->bytes_in / 1e6;
        fprintf(stderr, "llmdata %s: docs in %llu, out %llu, bad %llu, bytes in %llu, out %llu, %.3f s, %.1f MB/s%s%s\n",
                name, (unsigned long long)s->docs_in, (unsigned long long)s->docs_out,
                (unsigned long long)s->bad, (unsigned long long)s->bytes_in,
                (unsigned long long)s->bytes_out, s->seconds, s->seconds > 0 ? mb / s->seconds : 0.0,
                s->extra[0] ? ", " : "", s->extra);
    }
    return rc;
}

int cli_batch_texts(const char *name, cli_texts *t, llmd_json_doc **docs, size_t n, const char *field,
                    bool skip_bad, int *verdict, cli_stats *stats, uint64_t *missing, const uint64_t *line,
                    const char *const *src) {
    if (n > t->cap) {
        cli_texts_free(t);
        t->texts = malloc(n * sizeof *t->texts);
        t->lens = malloc(n * sizeof *t->lens);
        t->map = malloc(n * sizeof *t->map);
        if (!t->texts || !t->lens || !t->map) return cli_error(name, "out of memory");
        t->cap = n;
    }
    t->n = 0;
    for (size_t i = 0; i < n; i++) {
        const char *v;
        size_t len;
        if (llmd_json_doc_get_string(docs[i], field, &v, &len) != LLMD_OK) {
            if (skip_bad) {
                verdict[i] = CLI_DROP;
                stats->bad++;
                if (missing) (*missing)++;
                continue;
            }
            fprintf(stderr, "llmdata %s: %s:%llu: %s (use --skip-bad to skip such lines)\n", name, src[i],
                    (unsigned long long)line[i], llmd_last_error());
            return 1;
        }
        t->texts[t->n] = v;
        t->lens[t->n] = len;
        t->map[t->n++] = i;
    }
    return 0;
}

void cli_texts_free(cli_texts *t) {
    free(t->texts);
    free(t->lens);
    free(t->map);
    memset(t, 0, sizeof *t);
}
