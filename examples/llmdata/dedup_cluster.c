/* llmdata dedup, cluster mode: pass 1 signatures + exact hashes into an llmd_dedup_clusters job
 * (spooling input that cannot be read twice), pass 2 (exact verification only) the shingle sets of
 * candidate documents, then the job's verdicts while the kept documents are written (pass 3). */
#include "dedup_cluster.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

/* One input as the passes read it: the original path, or a spool of it. */
typedef struct dc_input {
    const char *path;      /* as given */
    int spool_fd;          /* -1: re-read `path` */
    char reread[64];       /* /proc/self/fd/N of the spool, for the later passes */
} dc_input;

/* Ids of documents the report names (kept representatives and link partners). */
typedef struct dc_id {
    uint64_t doc;
    char *id;
} dc_id;

typedef struct dc_removed {
    uint64_t doc;
    char *id;
} dc_removed;

typedef struct dc_ctx {
    const dedup_cluster_args *a;
    llmd_minhasher *mh;
    llmd_dedup_clusters *job;
    uint32_t P;
    dc_input *in;
    size_t n_in;
    /* pass 1 batch */
    char *arena;
    size_t arena_len, arena_cap;
    size_t *offs, *lens;
    const char **texts;
    uint64_t *checks;
    uint32_t *sigs;
    size_t bn, bcap;
    /* pass 2/3 */
    uint64_t next_doc, near, exact, missing;
    unsigned char *need_id;   /* report: 1 for documents whose id the report needs */
    dc_id *ids;
    size_t ids_n, ids_cap;
    dc_removed *rm;
    size_t rm_n, rm_cap;
    cli_texts t;
    cli_stats *stats;
    double t_pass1, t_pass2;
    uint64_t pass1_bytes;
} dc_ctx;

/* input index in the top 24 bits, line number below: the check value of a document */
static uint64_t make_check(size_t input, uint64_t line) { return ((uint64_t)input << 40) | (line & ((1ULL << 40) - 1)); }

/* ---- spooling -------------------------------------------------------------------------------- */

typedef struct spool {
    int fd;
    ZSTD_CCtx *cctx;
    char out[1 << 16];
} spool;

static int spool_write(spool *sp, const void *data, size_t len, ZSTD_EndDirective end) {
    ZSTD_inBuffer in = {data, len, 0};
    for (;;) {
        ZSTD_outBuffer o = {sp->out, sizeof sp->out, 0};
        size_t left = ZSTD_compressStream2(sp->cctx, &o, &in, end);
        if (ZSTD_isError(left)) return cli_error("dedup", "spooling input: %s", ZSTD_getErrorName(left));
        for (size_t w = 0; w < o.pos;) {
            ssize_t k = write(sp->fd, sp->out + w, o.pos - w);
            if (k < 0 && errno == EINTR) continue;
            if (k <= 0) return cli_error("dedup", "spooling input to $TMPDIR: %s", strerror(errno));
            w += (size_t)k;
        }
        if (end == ZSTD_e_continue ? in.pos == in.size : left == 0) return 0;
    }
}

static int is_rereadable(const char *path) {
    struct stat sb;
    return strcmp(path, "-") != 0 && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int open_spool(dc_input *in) {
    const char *dir = getenv("TMPDIR");
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/llmdata-dedup-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmpl);
    if (fd < 0) return cli_error("dedup", "cannot create a spool file %s: %s", tmpl, strerror(errno));
    unlink(tmpl);  /* nothing is left behind, whatever happens to the process */
    in->spool_fd = fd;
    snprintf(in->reread, sizeof in->reread, "/proc/self/fd/%d", fd);
    return 0;
}

/* ---- the read loop of passes 1 and 2 ----------------------------------------------------------- */

static int pass2_doc(dc_ctx *x, size_t input, uint64_t line, const char *text, size_t len);

typedef int (*doc_fn)(dc_ctx *x, size_t input, uint64_t line, const char *text, size_t len);

/* A .parquet input (re-readable, so never spooled): the text column only, row by row; "line"
 * numbers are 1-based row numbers, as cli_run_jsonl numbers them in pass 3. */
static int read_parquet_pass(dc_ctx *x, size_t i, doc_fn fn, cli_stats *st) {
    const cli_common *c = x->a->common;
    const char *path = x->in[i].path;
    llmd_parquet_reader *r;
    llmd_status s = llmd_parquet_reader_open(&r, path, NULL);
    if (s != LLMD_OK) return cli_lib_error("opening input", s);
    const llmd_schema *schema = llmd_parquet_reader_schema(r);
    int f = llmd_schema_find(schema, 0, c->field);
    int rc = 0;
    if (f < 0 || llmd_schema_type(schema, f).id != LLMD_TYPE_STRING) {
        if (!c->skip_bad || llmd_parquet_reader_num_rows(r) == 0) {
            llmd_parquet_reader_free(r);
            return cli_error("dedup", "%s: no string column \"%s\"", path, c->field);
        }
        llmd_parquet_reader_free(r);
        return 0;   /* every row is bad and skipped, as pass 3 will skip them */
    }
    const char *names[1] = {c->field};
    if ((s = llmd_parquet_reader_select(r, names, 1)) != LLMD_OK) rc = cli_lib_error("reading input", s);
    uint64_t row = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r) && rc == 0; g++) {
        llmd_parquet_batch *b;
        if ((s = llmd_parquet_reader_read_row_group(r, g, &b)) != LLMD_OK) {
            rc = cli_lib_error("reading input", s);
            break;
        }
        const llmd_column *col = llmd_parquet_batch_column(b, 0);
        for (int64_t k = 0; k < col->length && rc == 0; k++) {
            row++;
            int64_t slot = col->offset + k;
            if (col->validity && !(col->validity[slot >> 3] >> (slot & 7) & 1)) {
                if (c->skip_bad) continue;
                rc = cli_error("dedup", "%s:%llu: field \"%s\" is null (use --skip-bad to skip such rows)", path,
                               (unsigned long long)row, c->field);
                break;
            }
            int64_t a = col->offsets64 ? ((const int64_t *)col->offsets)[slot] : ((const int32_t *)col->offsets)[slot];
            int64_t e = col->offsets64 ? ((const int64_t *)col->offsets)[slot + 1] : ((const int32_t *)col->offsets)[slot + 1];
            if (st) st->bytes_in += (uint64_t)(e - a);
            rc = fn(x, i, row, (const char *)col->values + a, (size_t)(e - a));
        }
        llmd_parquet_batch_free(b);
    }
    llmd_parquet_reader_free(r);
    return rc;
}

/* Reads input i (its spool after pass 1), calling fn for each document that has the field; the
 * same documents in the same order as cli_run_jsonl gives pass 3. */
static int read_pass(dc_ctx *x, size_t i, int first, doc_fn fn, cli_stats *st) {
    dc_input *in = &x->in[i];
    const cli_common *c = x->a->common;
    if (cli_is_parquet_path(in->path)) return read_parquet_pass(x, i, fn, st);
    llmd_reader *r;
    llmd_status s = first || in->spool_fd < 0 ? llmd_reader_open(&r, in->path, NULL)
                                                : llmd_reader_open(&r, in->reread, NULL);
    if (s != LLMD_OK) return cli_lib_error("opening input", s);
    spool sp = {.fd = -1};
    if (first && in->spool_fd >= 0) {
        sp.fd = in->spool_fd;
        sp.cctx = ZSTD_createCCtx();
        if (sp.cctx == NULL) {
            llmd_reader_free(r);
            return cli_error("dedup", "out of memory");
        }
        ZSTD_CCtx_setParameter(sp.cctx, ZSTD_c_compressionLevel, 1);
    }
    llmd_json_doc *d = NULL;
    int rc = llmd_json_doc_new(&d) == LLMD_OK ? 0 : cli_error("dedup", "out of memory");
    while (rc == 0) {
        const char *line;
        size_t len;
        if ((s = llmd_reader_next_line(r, &line, &len)) != LLMD_OK) {
            rc = cli_lib_error("reading input", s);
            break;
        }
        if (line == NULL) break;
        /* every line goes to the spool, blank ones too, so that line numbers stay the same */
        if (sp.fd >= 0 && (spool_write(&sp, line, len, ZSTD_e_continue) || spool_write(&sp, "\n", 1, ZSTD_e_continue))) {
            rc = 1;
            break;
        }
        if (st) st->bytes_in += len + 1;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == len) continue;
        uint64_t ln = llmd_reader_line_number(r);
        /* Pass 2 without --skip-bad: every non-blank line is a document (pass 1 refused the run
         * otherwise), so one that needs no shingle set is counted without being parsed. */
        if (!first && !c->skip_bad && fn == pass2_doc && !llmd_dedup_clusters_needs_shingles(x->job, x->next_doc)) {
            x->next_doc++;
            continue;
        }
        const char *text;
        size_t tlen;
        if ((s = llmd_json_doc_parse(d, line, len)) != LLMD_OK ||
            (s = llmd_json_doc_get_string(d, c->field, &text, &tlen)) != LLMD_OK) {
            if (c->skip_bad) continue;
            fprintf(stderr, "llmdata dedup: %s:%llu: %s (use --skip-bad to skip such lines)\n", in->path,
                    (unsigned long long)ln, llmd_last_error());
            rc = 1;
            break;
        }
        rc = fn(x, i, ln, text, tlen);
    }
    if (rc == 0 && sp.fd >= 0) rc = spool_write(&sp, "", 0, ZSTD_e_end);
    ZSTD_freeCCtx(sp.cctx);
    llmd_json_doc_free(d);
    llmd_reader_free(r);
    return rc;
}

/* ---- pass 1: signatures in batches ---------------------------------------------------------- */

static int flush_sigs(dc_ctx *x) {
    if (x->bn == 0) return 0;
    for (size_t k = 0; k < x->bn; k++) x->texts[k] = x->arena + x->offs[k];
    llmd_status s = llmd_minhash_batch(x->mh, x->texts, x->lens, x->bn, x->a->threads, x->sigs, NULL);
    if (s != LLMD_OK) return cli_lib_error("computing signatures", s);
    for (size_t k = 0; k < x->bn; k++) {
        uint8_t h[16];
        if ((s = llmd_exact_hash(x->texts[k], x->lens[k], LLMD_EXACT_RAW, h)) != LLMD_OK ||
            (s = llmd_dedup_clusters_add(x->job, x->sigs + k * x->P, h, 0, x->checks[k], NULL)) != LLMD_OK)
            return cli_lib_error("adding a document", s);
    }
    x->bn = 0;
    x->arena_len = 0;
    return 0;
}

static int pass1_doc(dc_ctx *x, size_t input, uint64_t line, const char *text, size_t len) {
    if (x->arena_len + len > x->arena_cap) {
        size_t nc = x->arena_cap ? x->arena_cap : 1 << 20;
        while (nc < x->arena_len + len) nc *= 2;
        char *p = realloc(x->arena, nc);
        if (p == NULL) return cli_error("dedup", "out of memory");
        x->arena = p;
        x->arena_cap = nc;
    }
    memcpy(x->arena + x->arena_len, text, len);
    x->offs[x->bn] = x->arena_len;
    x->lens[x->bn] = len;
    x->checks[x->bn] = make_check(input, line);
    x->arena_len += len;
    x->pass1_bytes += len;
    /* a batch ends at bcap documents or 16 MB of text */
    if (++x->bn == x->bcap || x->arena_len >= (16u << 20)) return flush_sigs(x);
    return 0;
}

/* ---- pass 2: shingle sets of the candidates ---------------------------------------------------- */

static int pass2_doc(dc_ctx *x, size_t input, uint64_t line, const char *text, size_t len) {
    uint64_t doc = x->next_doc++;
    if (!llmd_dedup_clusters_needs_shingles(x->job, doc)) return 0;
    uint64_t *sh = NULL;
    size_t n = 0;
    llmd_status s = llmd_minhash_shingles(x->mh, text, len, x->sigs, &sh, &n);
    if (s == LLMD_OK) s = llmd_dedup_clusters_set_shingles(x->job, doc, sh, n);
    llmd_free(sh);
    (void)input;
    (void)line;
    return s == LLMD_OK ? 0 : cli_lib_error("adding a shingle set", s);
}

/* ---- pass 3: verdicts while cli_run_jsonl writes ----------------------------------------------- */

static char *doc_id(llmd_json_doc *d, uint64_t line) {
    const char *raw;
    size_t len;
    char tmp[32];
    if (llmd_json_doc_get_raw(d, "id", &raw, &len) != LLMD_OK) {
        len = (size_t)snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)line);
        raw = tmp;
    }
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, raw, len);
        s[len] = '\0';
    }
    return s;
}

static size_t input_of(const dc_ctx *x, const char *src) {
    for (size_t i = 0; i < x->n_in; i++)
        if (src == x->in[i].path || src == x->in[i].reread) return i;
    return SIZE_MAX;
}

static int keep_id(dc_ctx *x, uint64_t doc, llmd_json_doc *d, uint64_t line) {
    if (x->ids_n == x->ids_cap) {
        size_t nc = x->ids_cap ? x->ids_cap * 2 : 256;
        dc_id *p = realloc(x->ids, nc * sizeof *p);
        if (p == NULL) return -1;
        x->ids = p;
        x->ids_cap = nc;
    }
    char *id = doc_id(d, line);
    if (id == NULL) return -1;
    x->ids[x->ids_n].doc = doc;
    x->ids[x->ids_n++].id = id;
    return 0;
}

static int pass3_batch(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                       const char *const *src) {
    dc_ctx *x = ctx;
    const cli_common *c = x->a->common;
    if (cli_batch_texts("dedup", &x->t, docs, n, c->field, c->skip_bad, verdict, x->stats, &x->missing, line, src))
        return 1;
    for (size_t k = 0; k < x->t.n; k++) {
        size_t i = x->t.map[k];
        uint64_t doc = x->next_doc++;
        llmd_dedup_verdict v;
        if (doc >= llmd_dedup_clusters_count(x->job) ||
            llmd_dedup_clusters_result(x->job, doc, &v) != LLMD_OK ||
            v.check != make_check(input_of(x, src[i]), line[i]))
            return cli_error("dedup", "%s:%llu: the input changed between the passes (document %llu is not the "
                             "one read in pass 1)", src[i], (unsigned long long)line[i], (unsigned long long)doc);
        if (x->need_id && x->need_id[doc] && keep_id(x, doc, docs[i], line[i]) != 0)
            return cli_error("dedup", "out of memory");
        if (v.keep) continue;
        verdict[i] = CLI_DROP;
        if (v.jaccard >= 1.0) x->exact++;
        else x->near++;
        if (x->need_id) {
            if (x->rm_n == x->rm_cap) {
                size_t nc = x->rm_cap ? x->rm_cap * 2 : 256;
                dc_removed *p = realloc(x->rm, nc * sizeof *p);
                if (p == NULL) return cli_error("dedup", "out of memory");
                x->rm = p;
                x->rm_cap = nc;
            }
            x->rm[x->rm_n].doc = doc;
            if ((x->rm[x->rm_n++].id = doc_id(docs[i], line[i])) == NULL) return cli_error("dedup", "out of memory");
        }
    }
    return 0;
}

static int cmp_id(const void *a, const void *b) {
    uint64_t x = ((const dc_id *)a)->doc, y = ((const dc_id *)b)->doc;
    return x < y ? -1 : x > y;
}

static const char *find_id(const dc_ctx *x, uint64_t doc) {
    dc_id key = {doc, NULL};
    const dc_id *f = bsearch(&key, x->ids, x->ids_n, sizeof *x->ids, cmp_id);
    return f ? f->id : "null";
}

static int write_report(dc_ctx *x, cli_out *f) {
    qsort(x->ids, x->ids_n, sizeof *x->ids, cmp_id);
    for (size_t k = 0; k < x->rm_n; k++) {
        llmd_dedup_verdict v;
        if (llmd_dedup_clusters_result(x->job, x->rm[k].doc, &v) != LLMD_OK) return cli_lib_error("report", LLMD_ERR_INTERNAL);
        if (cli_out_printf("dedup", f, "{\"id\":%s,\"kept\":%s,\"linked\":%s,\"jaccard\":%.4f,\"cluster_size\":%llu}\n",
                           x->rm[k].id, find_id(x, v.representative), find_id(x, v.linked), v.jaccard,
                           (unsigned long long)v.cluster_size) != 0)
            return 1;
    }
    return 0;
}

static void summary(dc_ctx *x, const llmd_dedup_cluster_stats *s) {
    snprintf(x->stats->extra, sizeof x->stats->extra,
             "exact duplicates %llu, near duplicates %llu, clusters of 2: %llu, 3: %llu, 4-5: %llu, 6-10: %llu, 11-100: %llu, "
             ">100: %llu, largest %llu, candidates %llu, pairs verified %llu (passed %llu), bands %ux%u, "
             "peak memory %.1f MB (shingle sets %.1f MB), pass 1 %.3f s, pass 2 %.3f s%s%s",
             (unsigned long long)x->exact, (unsigned long long)x->near,
             (unsigned long long)s->size_hist[0], (unsigned long long)s->size_hist[1],
             (unsigned long long)s->size_hist[2], (unsigned long long)s->size_hist[3],
             (unsigned long long)s->size_hist[4], (unsigned long long)s->size_hist[5],
             (unsigned long long)s->largest, (unsigned long long)s->candidates,
             (unsigned long long)s->pairs_verified, (unsigned long long)s->pairs_passed,
             llmd_dedup_clusters_bands(x->job), llmd_dedup_clusters_rows(x->job), (double)s->peak_bytes / 1e6,
             (double)s->shingle_bytes / 1e6, x->t_pass1, x->t_pass2, x->missing ? ", without the field " : "",
             x->missing ? "(see bad)" : "");
}

static int alloc_batch(dc_ctx *x, size_t cap) {
    x->bcap = cap;
    x->offs = malloc(cap * sizeof *x->offs);
    x->lens = malloc(cap * sizeof *x->lens);
    x->texts = malloc(cap * sizeof *x->texts);
    x->checks = malloc(cap * sizeof *x->checks);
    x->sigs = malloc(cap * x->P * sizeof *x->sigs);
    return x->offs && x->lens && x->texts && x->checks && x->sigs ? 0 : -1;
}

static void free_ctx(dc_ctx *x) {
    llmd_minhasher_free(x->mh);
    llmd_dedup_clusters_free(x->job);
    for (size_t i = 0; i < x->n_in; i++)
        if (x->in[i].spool_fd >= 0) close(x->in[i].spool_fd);
    free(x->in);
    free(x->arena);
    free(x->offs);
    free(x->lens);
    free(x->texts);
    free(x->checks);
    free(x->sigs);
    free(x->need_id);
    for (size_t i = 0; i < x->ids_n; i++) free(x->ids[i].id);
    free(x->ids);
    for (size_t i = 0; i < x->rm_n; i++) free(x->rm[i].id);
    free(x->rm);
    cli_texts_free(&x->t);
}

int dedup_cluster_run(const dedup_cluster_args *a) {
    dc_ctx x;
    memset(&x, 0, sizeof x);
    x.a = a;
    cli_common *c = a->common;
    static const char *stdin_only[] = {"-"};
    const char **paths = c->n_inputs ? c->inputs : stdin_only;
    size_t n_paths = c->n_inputs ? c->n_inputs : 1;
    cli_out report_out;
    cli_out *report = NULL;
    const char **pass3_inputs = NULL;
    int rc = 0;
    llmd_status s;
    if ((s = llmd_minhasher_new(&x.mh, &a->minhash)) != LLMD_OK ||
        (s = llmd_dedup_clusters_new(&x.job, &a->minhash, &a->cluster)) != LLMD_OK) {
        fprintf(stderr, "llmdata dedup: %s\n", llmd_last_error());
        rc = s == LLMD_ERR_INVALID_ARG || s == LLMD_ERR_UNSUPPORTED ? 2 : 1;
        goto out;
    }
    x.P = llmd_minhasher_num_perm(x.mh);
    x.in = calloc(n_paths, sizeof *x.in);
    pass3_inputs = calloc(n_paths, sizeof *pass3_inputs);
    if (x.in == NULL || pass3_inputs == NULL || alloc_batch(&x, 4096) != 0) {
        rc = cli_error("dedup", "out of memory");
        goto out;
    }
    x.n_in = n_paths;
    for (size_t i = 0; i < n_paths; i++) {
        x.in[i].path = paths[i];
        x.in[i].spool_fd = -1;
    }
    for (size_t i = 0; i < n_paths && rc == 0; i++)
        if (!is_rereadable(paths[i])) rc = open_spool(&x.in[i]);
    if (rc) goto out;
    if (a->report_path) {  /* published only after a run without errors */
        if (cli_out_open("dedup", &report_out, a->report_path) != 0) {
            rc = 1;
            goto out;
        }
        report = &report_out;
    }
    /* pass 1 */
    double t0 = cli_now();
    for (size_t i = 0; i < n_paths && rc == 0; i++) rc = read_pass(&x, i, 1, pass1_doc, NULL);
    if (rc == 0) rc = flush_sigs(&x);
    if (rc) goto out;
    uint64_t n_cand = 0;
    if ((s = llmd_dedup_clusters_candidates(x.job, &n_cand)) != LLMD_OK) {
        rc = cli_lib_error("grouping band keys", s);
        goto out;
    }
    x.t_pass1 = cli_now() - t0;
    /* pass 2: only with exact verification, only when a document has a candidate */
    t0 = cli_now();
    if (a->cluster.verify == LLMD_VERIFY_EXACT && n_cand > 0) {
        x.next_doc = 0;
        for (size_t i = 0; i < n_paths && rc == 0; i++) rc = read_pass(&x, i, 0, pass2_doc, NULL);
        if (rc == 0 && x.next_doc != llmd_dedup_clusters_count(x.job))
            rc = cli_error("dedup", "the input changed between the passes (%llu documents, then %llu)",
                           (unsigned long long)llmd_dedup_clusters_count(x.job), (unsigned long long)x.next_doc);
        if (rc) goto out;
    }
    if ((s = llmd_dedup_clusters_finish(x.job)) != LLMD_OK) {
        rc = cli_lib_error("building clusters", s);
        goto out;
    }
    x.t_pass2 = cli_now() - t0;
    llmd_dedup_cluster_stats cs;
    llmd_dedup_clusters_stats(x.job, &cs);
    if (report) {
        uint64_t n = llmd_dedup_clusters_count(x.job);
        x.need_id = calloc(n ? n : 1, 1);
        if (x.need_id == NULL) {
            rc = cli_error("dedup", "out of memory");
            goto out;
        }
        for (uint64_t d = 0; d < n; d++) {
            llmd_dedup_verdict v;
            llmd_dedup_clusters_result(x.job, d, &v);
            if (v.keep) continue;
            x.need_id[v.representative] = 1;
            if (v.linked != UINT64_MAX) x.need_id[v.linked] = 1;
        }
    }
    /* pass 3: write the kept documents */
    for (size_t i = 0; i < n_paths; i++) pass3_inputs[i] = x.in[i].spool_fd >= 0 ? x.in[i].reread : x.in[i].path;
    cli_common c3 = *c;
    c3.inputs = pass3_inputs;
    c3.n_inputs = n_paths;
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.stats = &stats;
    x.next_doc = 0;
    /* cli_run_jsonl prints the summary at its end: give it the cluster figures now, the removal
     * counts are the job's */
    x.exact = 0;
    x.near = 0;
    {
        for (uint64_t d = 0; d < llmd_dedup_clusters_count(x.job); d++) {
            llmd_dedup_verdict v;
            llmd_dedup_clusters_result(x.job, d, &v);
            if (!v.keep) (v.jaccard >= 1.0 ? x.exact++ : x.near++);
        }
        summary(&x, &cs);
        x.exact = x.near = 0;
    }
    rc = cli_run_jsonl("dedup", &c3, pass3_batch, &x, &stats);
    if (rc == 0 && x.next_doc != llmd_dedup_clusters_count(x.job))
        rc = cli_error("dedup", "the input changed between the passes (%llu documents, then %llu)",
                       (unsigned long long)llmd_dedup_clusters_count(x.job), (unsigned long long)x.next_doc);
    if (rc == 0 && report) rc = write_report(&x, report);
    if (rc == 0 && report) rc = cli_out_commit("dedup", report);
out:
    if (report) cli_out_close(report);  /* not committed after an error: removed */
    free(pass3_inputs);
    free_ctx(&x);
    return rc;
}
