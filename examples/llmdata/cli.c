/* JSONL streaming loop, summary and progress for the llmdata CLI. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- progress ------------------------------------------------------------------------------ */

/* "1h02m", "3m05s", "42s" */
static void fmt_duration(char *buf, size_t n, double secs) {
    unsigned long t = secs > 0 ? (unsigned long)(secs + 0.5) : 0;
    if (t >= 3600) snprintf(buf, n, "%luh%02lum", t / 3600, (t / 60) % 60);
    else if (t >= 60) snprintf(buf, n, "%lum%02lus", t / 60, t % 60);
    else snprintf(buf, n, "%lus", t);
}

void cli_progress_init(cli_progress *p, const char *name, const char *const *inputs, size_t n_inputs, bool forced,
                       bool quiet) {
    memset(p, 0, sizeof *p);
    p->name = name;
    p->tty = isatty(2) != 0;
    p->on = !quiet && (forced || p->tty);
    p->t0 = p->last = cli_now();
    uint64_t total = 0;
    for (size_t i = 0; i < n_inputs; i++) {
        struct stat sb;
        int r = strcmp(inputs[i], "-") == 0 ? fstat(0, &sb) : stat(inputs[i], &sb);
        if (r != 0) continue;   /* reported when opened */
        if (!S_ISREG(sb.st_mode)) return;   /* a pipe: the total is unknown */
        total += (uint64_t)sb.st_size;
    }
    p->total = total;
}

void cli_progress_show(cli_progress *p, uint64_t docs, uint64_t bytes, uint64_t file_bytes, bool final) {
    if (!p->on) return;
    double now = cli_now();
    if (!final && now - p->last < (p->tty ? 0.25 : 2.0)) return;
    p->last = now;
    if (final && p->tty) {   /* the summary line follows in its place */
        fputs("\r\033[K", stderr);
        fflush(stderr);
        return;
    }
    double secs = now - p->t0, mb = (double)bytes / 1e6;
    char eta[64] = "";
    if (p->total > 0) {
        double frac = (double)file_bytes / (double)p->total;
        if (frac > 1) frac = 1;
        char left[32];
        fmt_duration(left, sizeof left, frac > 0 ? secs * (1 - frac) / frac : 0);
        snprintf(eta, sizeof eta, ", %.1f%%, ETA %s", 100 * frac, frac > 0 ? left : "?");
    }
    fprintf(stderr, "%sllmdata %s: %llu docs, %.1f MB, %.1f MB/s%s%s", p->tty ? "\r\033[K" : "", p->name,
            (unsigned long long)docs, mb, secs > 0 ? mb / secs : 0.0, eta, p->tty ? "" : "\n");
    fflush(stderr);
}

/* ---- output safety -------------------------------------------------------------------------- */

static int stat_path(const char *p, struct stat *sb) {
    if (strcmp(p, "-") == 0) return fstat(0, sb);
    return stat(p, sb);
}

int cli_same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (stat_path(a, &sa) != 0 || stat_path(b, &sb) != 0) return 0;
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cli_check_outputs(const char *name, const char *const *outs, size_t n_outs, const char *const *ins,
                      size_t n_ins) {
    for (size_t o = 0; o < n_outs; o++) {
        if (outs[o] == NULL || strcmp(outs[o], "-") == 0) continue;  /* stdout: nothing to destroy */
        for (size_t i = 0; i < n_ins; i++) {
            if (ins[i] == NULL) continue;
            if (cli_same_file(outs[o], ins[i]))
                return cli_error(name, "output %s is the input %s (same file): refusing to overwrite an input; "
                                       "write to another file", outs[o], ins[i]);
        }
        for (size_t k = 0; k < o; k++) {
            if (outs[k] == NULL || strcmp(outs[k], "-") == 0) continue;
            if (strcmp(outs[k], outs[o]) == 0 || cli_same_file(outs[k], outs[o]))
                return cli_error(name, "outputs %s and %s are the same file", outs[k], outs[o]);
        }
    }
    return 0;
}

int cli_inside_dir(const char *path, const char *dir) {
    struct stat sd, sp;
    if (stat(dir, &sd) != 0 || !S_ISDIR(sd.st_mode)) return 0;
    char *real = strcmp(path, "-") == 0 ? NULL : realpath(path, NULL);
    if (real == NULL) return 0;
    int inside = 0;
    for (;;) {
        if (stat(real, &sp) == 0 && sp.st_dev == sd.st_dev && sp.st_ino == sd.st_ino) {
            inside = 1;
            break;
        }
        char *slash = strrchr(real, '/');
        if (slash == NULL || slash == real) {
            inside = stat("/", &sp) == 0 && sp.st_dev == sd.st_dev && sp.st_ino == sd.st_ino;
            break;
        }
        *slash = '\0';
    }
    free(real);
    return inside;
}

int cli_check_common_outputs(const char *name, const cli_common *c) {
    const char *outs[1 + 4], *ins[64 + 8];
    size_t n_outs = 0, n_ins = 0;
    outs[n_outs++] = c->output;
    for (size_t i = 0; i < c->n_also_writes; i++) outs[n_outs++] = c->also_writes[i];
    for (size_t i = 0; i < c->n_reads; i++) ins[n_ins++] = c->reads[i];
    const char *stdin_only = "-";
    const char *const *inputs = c->n_inputs ? c->inputs : &stdin_only;
    size_t n_inputs = c->n_inputs ? c->n_inputs : 1;
    /* inputs in blocks, so any number of them is checked */
    for (size_t i = 0; i < n_inputs; i += 64) {
        size_t m = n_inputs - i < 64 ? n_inputs - i : 64;
        memcpy(ins + c->n_reads, inputs + i, m * sizeof *ins);
        if (cli_check_outputs(name, outs, n_outs, ins, c->n_reads + m)) return 1;
    }
    return 0;
}

int cli_codec_for_name(const char *path) {
    if (path == NULL || strcmp(path, "-") == 0) return CLI_CODEC_NONE;
    size_t n = strlen(path);
    if ((n > 4 && strcmp(path + n - 4, ".zst") == 0) || (n > 5 && strcmp(path + n - 5, ".zstd") == 0))
        return CLI_CODEC_ZSTD;
    if (n > 3 && strcmp(path + n - 3, ".gz") == 0) return CLI_CODEC_GZIP;
    return CLI_CODEC_NONE;
}

/* Bytes as they go to the file or stream (compressed already when there is a codec). */
static int sink_write(const char *name, cli_out *o, const void *data, size_t n) {
    if (n == 0) return 0;
    if (o->file != NULL)
        return llmd_output_write(o->file, data, n) == LLMD_OK ? 0 : cli_error(name, "%s", llmd_last_error());
    if (fwrite(data, 1, n, o->stream) != n) return cli_error(name, "write failed: %s", strerror(errno));
    return 0;
}

static int codec_start(const char *name, cli_out *o, const char *path) {
    o->codec = cli_codec_for_name(path);
    if (o->codec == CLI_CODEC_NONE) return 0;
    o->zcap = 1 << 17;
    o->zbuf = malloc(o->zcap);
    if (o->zbuf == NULL) return cli_error(name, "out of memory");
    if (o->codec == CLI_CODEC_ZSTD) {
        ZSTD_CStream *z = ZSTD_createCStream();
        if (z == NULL) return cli_error(name, "out of memory (zstd)");
        o->zc = z;
        if (ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_compressionLevel, 3)) ||
            ZSTD_isError(ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1)))
            return cli_error(name, "cannot set up zstd compression for %s", path);
        return 0;
    }
    z_stream *z = calloc(1, sizeof *z);
    if (z == NULL) return cli_error(name, "out of memory (zlib)");
    /* windowBits 15 + 16: a gzip header and trailer around the deflate stream */
    if (deflateInit2(z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        free(z);
        return cli_error(name, "cannot set up gzip compression for %s", path);
    }
    o->zc = z;
    return 0;
}

/* Feeds n bytes (or, with end, the end of the stream) through the codec to the sink. */
static int codec_write(const char *name, cli_out *o, const void *data, size_t n, bool end) {
    if (o->codec == CLI_CODEC_ZSTD) {
        ZSTD_inBuffer in = {data, n, 0};
        for (;;) {
            ZSTD_outBuffer out = {o->zbuf, o->zcap, 0};
            size_t left = ZSTD_compressStream2(o->zc, &out, &in, end ? ZSTD_e_end : ZSTD_e_continue);
            if (ZSTD_isError(left)) return cli_error(name, "zstd compression failed: %s", ZSTD_getErrorName(left));
            if (sink_write(name, o, o->zbuf, out.pos) != 0) return 1;
            if (end ? left == 0 : in.pos == in.size) return 0;
        }
    }
    z_stream *z = o->zc;
    z->next_in = (Bytef *)(uintptr_t)data;
    z->avail_in = 0;
    const unsigned char *p = data;
    size_t left = n;
    for (;;) {
        if (z->avail_in == 0 && left > 0) {  /* avail_in is 32 bits: feed at most 1 GiB at a time */
            unsigned chunk = left > (1u << 30) ? (1u << 30) : (unsigned)left;
            z->next_in = (Bytef *)(uintptr_t)p;
            z->avail_in = chunk;
            p += chunk;
            left -= chunk;
        }
        z->next_out = o->zbuf;
        z->avail_out = (uInt)o->zcap;
        int rc = deflate(z, end && left == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (rc == Z_STREAM_ERROR) return cli_error(name, "gzip compression failed");
        if (sink_write(name, o, o->zbuf, o->zcap - z->avail_out) != 0) return 1;
        if (end && left == 0) {
            if (rc == Z_STREAM_END) return 0;
        } else if (z->avail_in == 0 && left == 0 && z->avail_out != 0) {
            return 0;
        }
    }
}

static void codec_free(cli_out *o) {
    if (o->codec == CLI_CODEC_ZSTD) ZSTD_freeCStream(o->zc);
    if (o->codec == CLI_CODEC_GZIP && o->zc != NULL) {
        deflateEnd(o->zc);
        free(o->zc);
    }
    free(o->zbuf);
    o->zc = NULL;
    o->zbuf = NULL;
}

int cli_out_open(const char *name, cli_out *o, const char *path) {
    memset(o, 0, sizeof *o);
    struct stat sb;
    if (path == NULL || strcmp(path, "-") == 0) {
        o->stream = stdout;
        return 0;
    }
    if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
        /* a pipe or a device: nothing to replace atomically, write as a stream */
        o->stream = fopen(path, "wb");
        if (o->stream == NULL) return cli_error(name, "cannot open output %s: %s", path, strerror(errno));
        o->own_stream = true;
        return codec_start(name, o, path);
    }
    /* llmd_last_error() names the path already */
    if (llmd_output_open(&o->file, path, NULL) != LLMD_OK)
        return cli_error(name, "cannot open output: %s", llmd_last_error());
    return codec_start(name, o, path);
}

int cli_out_write(const char *name, cli_out *o, const void *data, size_t n) {
    if (o->codec != CLI_CODEC_NONE) return codec_write(name, o, data, n, false);
    return sink_write(name, o, data, n);
}

int cli_out_printf(const char *name, cli_out *o, const char *fmt, ...) {
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return cli_error(name, "formatting output failed");
    if ((size_t)n < sizeof small) return cli_out_write(name, o, small, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (big == NULL) return cli_error(name, "out of memory");
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = cli_out_write(name, o, big, (size_t)n);
    free(big);
    return rc;
}

int cli_out_commit(const char *name, cli_out *o) {
    if (o->pq != NULL) return cli_pq_commit(name, o->pq);
    if (o->codec != CLI_CODEC_NONE && codec_write(name, o, NULL, 0, true) != 0) return 1;
    if (o->file != NULL)
        return llmd_output_commit(o->file) == LLMD_OK ? 0 : cli_error(name, "%s", llmd_last_error());
    if (fflush(o->stream) != 0 || ferror(o->stream)) return cli_error(name, "write failed: %s", strerror(errno));
    return 0;
}

void cli_out_close(cli_out *o) {
    cli_pq_close(o->pq);
    codec_free(o);
    llmd_output_free(o->file);
    if (o->own_stream) fclose(o->stream);
    memset(o, 0, sizeof *o);
}

static void on_terminate(int sig) {
    llmd_remove_temp_files();  /* async-signal-safe */
    _exit(128 + sig);
}

void cli_install_signals(void) {
    signal(SIGXFSZ, SIG_IGN);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_terminate;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

const char *cli_command;

int cli_lib_error(const char *what, llmd_status st) {
    fprintf(stderr, "llmdata%s%s: %s: %s (%s)\n", cli_command ? " " : "", cli_command ? cli_command : "", what,
            llmd_last_error(), llmd_status_str(st));
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
    if (strcmp(a, "--progress") == 0) { c->progress = true; return 1; }
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
    if (cli_check_common_outputs(name, c)) return 1;
    cli_out out;
    if (cli_is_parquet_path(c->output)) {
        memset(&out, 0, sizeof out);
        if (cli_pq_open(name, &out.pq, c->output, inputs, n_inputs, c->field ? c->field : "text") != 0) return 1;
    } else if (cli_out_open(name, &out, c->output) != 0) {
        return 1;
    }
    static char obuf[1 << 16];
    if (out.stream == stdout) setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    double t0 = cli_now();
    int rc = cli_stream(name, c, inputs, n_inputs, threads, work, fn, ctx, &out, s);
    /* --skip-bad skips bad lines; a run in which every line was bad produced nothing useful and
     * must not look like a success. */
    if (rc == 0 && s->docs_in > 0 && s->bad == s->docs_in)
        rc = cli_error(name, "all %llu input lines were bad (not JSON objects); nothing was processed",
                       (unsigned long long)s->docs_in);
    /* a file appears under its name only after a run without errors */
    if (rc == 0) rc = cli_out_commit(name, &out);
    else if (out.stream != NULL) fflush(out.stream);
    cli_out_close(&out);
    /* In a pipe, time blocked on the upstream command is its time, not ours: report it apart. */
    s->seconds = cli_now() - t0 - s->input_wait;
    if (s->seconds < 0) s->seconds = 0;
    if (!c->quiet) {
        double mb = (double)s->bytes_in / 1e6;
        char wait[64] = "";
        if (s->input_wait >= 0.0005) snprintf(wait, sizeof wait, " (+ %.3f s waiting for input)", s->input_wait);
        fprintf(stderr, "llmdata %s: docs in %llu, out %llu, bad %llu, bytes in %llu, out %llu, %.3f s%s, %.1f MB/s%s%s\n",
                name, (unsigned long long)s->docs_in, (unsigned long long)s->docs_out,
                (unsigned long long)s->bad, (unsigned long long)s->bytes_in,
                (unsigned long long)s->bytes_out, s->seconds, wait, s->seconds > 0 ? mb / s->seconds : 0.0,
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

int cli_parse_threads(const char *name, int argc, char **argv, int *i, unsigned max, unsigned *out) {
    const char *v;
    uint64_t t;
    if (cli_need_value(argc, argv, i, &v) || cli_parse_u64("--threads", v, &t)) return 1;
    if (t > max) {
        fprintf(stderr, "llmdata %s: --threads must be at most %u, got %llu\n", name, max, (unsigned long long)t);
        return 1;
    }
    *out = (unsigned)t;
    return 0;
}
