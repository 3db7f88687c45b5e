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

int cli_run_jsonl(const char *name, cli_common *c, cli_batch_fn fn, void *ctx, cli_stats *s) {
    return cli_run_jsonl_parallel(name, c, 1, NULL, fn, ctx, s);
}

int cli_run_jsonl_parallel(const char *name, cli_common *c, unsigned threads, cli_work_fn work, cli_batch_fn fn,
                           void *ctx, cli_stats *s) {
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
    double t0 = cli_now();
    int rc = cli_stream(name, c, inputs, n_inputs, threads, work, fn, ctx, out, s);
    if (fflush(out) != 0 || ferror(out)) rc = rc ? rc : cli_error(name, "write failed: %s", strerror(errno));
    if (out != stdout && fclose(out) != 0) rc = rc ? rc : cli_error(name, "closing output failed: %s", strerror(errno));
    /* --skip-bad skips bad lines; a run in which every line was bad produced nothing useful and
     * must not look like a success. */
    if (rc == 0 && s->docs_in > 0 && s->bad == s->docs_in)
        rc = cli_error(name, "all %llu input lines were bad (not JSON objects); nothing was processed",
                       (unsigned long long)s->docs_in);
    s->seconds = cli_now() - t0;
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
