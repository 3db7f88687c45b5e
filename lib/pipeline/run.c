/* llmd_pipeline_run: the streaming loop and its report. */
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "llmdata/dedup.h"
#include "llmdata/delta.h"
#include "llmdata/filter.h"
#include "llmdata/io.h"
#include "llmdata/pack.h"
#include "llmdata/parquet.h"
#include "llmdata/text.h"
#include "pipeline_internal.h"

enum { S_READ, S_FILTER, S_CLEAN, S_DEDUP, S_TOKENIZE, S_PACK, S_WRITE, S_N };
static const char *const stage_names[S_N] = {"read", "filter", "clean", "dedup", "tokenize", "pack", "write"};

typedef struct stage {
    uint64_t docs_in, docs_out, bytes_in, bytes_out, tokens_in, tokens_out;
    double secs;
} stage;

#define MAX_PII 64

typedef struct run {
    llmd_pipeline *p;
    llmd_pl_settings *s;
    llmd_filter *filter;
    llmd_redactor *red;
    llmd_exact_set *exact;
    llmd_minhasher *mh;
    llmd_lsh_index *lsh;
    llmd_pl_near *near;     /* near dedup in cluster mode (the default) */
    llmd_pl_tok tok;
    llmd_packer *packer;
    llmd_shard_writer *writer;          /* format mmidx / npy */
    llmd_parquet_shard_writer *pqw;     /* format parquet */
    llmd_json_doc *doc;
    stage st[S_N];
    llmd_filter_stats *fc;
    char filter_list[256];
    uint64_t bad_lines, empty_after_clean, exact_dupes, near_dupes, near_key;
    uint64_t pii[MAX_PII];
    const char *pii_name[MAX_PII];
    /* batch */
    llmd_buf arena;
    size_t *toffs, n, cap;
    const char **texts;
    size_t *lens;
    llmd_filter_result *fres;
    uint32_t *sigs;
    uint32_t *ids;
    size_t ids_cap, *id_offs;
    uint64_t bytes_done, bytes_total;
    double t_start, setup_secs;
    char *prefix;
    llmd_pl_outdir outdir;
    /* per batch: what the stages allocated */
    bool have_fres;
    llmd_text_batch *tb;
    /* non-NULL when the stage runs (a stage is enabled by a handle or by one of these) */
    void *clean_on, *dedup_on;
} run;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static llmd_status timed_write(void *ctx, const llmd_pack_window *w) {
    run *r = ctx;
    double t = now();
    llmd_status st = r->pqw != NULL ? llmd_parquet_shard_writer_add(r->pqw, w) : llmd_shard_writer_add(r->writer, w);
    r->st[S_WRITE].secs += now() - t;
    r->st[S_WRITE].docs_in++;
    return st;
}

static llmd_status ensure_batch(run *r, size_t cap) {
    if (cap <= r->cap) return LLMD_OK;
    size_t old = r->cap;
    r->toffs = llmd_realloc(r->toffs, (old + (old > 0)) * sizeof *r->toffs, (cap + 1) * sizeof *r->toffs);
    r->texts = llmd_realloc(r->texts, old * sizeof *r->texts, cap * sizeof *r->texts);
    r->lens = llmd_realloc(r->lens, old * sizeof *r->lens, cap * sizeof *r->lens);
    r->fres = llmd_realloc(r->fres, old * sizeof *r->fres, cap * sizeof *r->fres);
    r->id_offs = llmd_realloc(r->id_offs, (old + (old > 0)) * sizeof *r->id_offs, (cap + 1) * sizeof *r->id_offs);
    if (!r->toffs || !r->texts || !r->lens || !r->fres || !r->id_offs) return llmd_fail_nomem("pipeline batch");
    if (r->mh != NULL) {
        uint32_t P = llmd_minhasher_num_perm(r->mh);
        r->sigs = llmd_realloc(r->sigs, old * P * sizeof *r->sigs, cap * P * sizeof *r->sigs);
        if (r->sigs == NULL) return llmd_fail_nomem("pipeline signatures");
    }
    r->cap = cap;
    return LLMD_OK;
}

/* Keeps texts[i] where keep[i] (compacting texts/lens); returns the new count. */
static size_t compact(run *r, size_t n, const unsigned char *keep) {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (keep[i]) {
            r->texts[k] = r->texts[i];
            r->lens[k] = r->lens[i];
            k++;
        }
    return k;
}

static uint64_t sum_lens(const size_t *lens, size_t n) {
    uint64_t b = 0;
    for (size_t i = 0; i < n; i++) b += lens[i];
    return b;
}

/* ---- the batch stages ---------------------------------------------------------------------------
 * Each stage works on r->texts/r->lens[0..*n), may drop documents (compacting, *n shrinks) and keeps
 * its own counters; run_stage does the counting and timing that every stage shares. */
typedef llmd_status (*stage_fn)(run *r, size_t *n, unsigned char *keep);

static llmd_status filter_stage(run *r, size_t *n, unsigned char *keep) {
    llmd_status st = llmd_filter_batch(r->filter, r->texts, r->lens, *n, (unsigned)r->s->threads, r->fres, r->fc);
    if (st != LLMD_OK) return st;
    r->have_fres = true;
    for (size_t i = 0; i < *n; i++) {
        keep[i] = (unsigned char)r->fres[i].keep;
        if (r->fres[i].keep && r->fres[i].text != NULL) {
            r->texts[i] = r->fres[i].text;
            r->lens[i] = r->fres[i].len;
        }
    }
    *n = compact(r, *n, keep);
    return LLMD_OK;
}

static llmd_status clean_stage(run *r, size_t *n, unsigned char *keep) {
    size_t failed;
    llmd_status st = llmd_text_batch_run(r->texts, r->lens, *n, r->s->clean, NULL, r->red, (unsigned)r->s->threads,
                                         &r->tb, &failed);
    if (st != LLMD_OK) return st;
    llmd_text_batch *tb = r->tb;
    for (size_t i = 0; i < *n; i++) {
        r->texts[i] = tb->data + tb->offsets[i];
        r->lens[i] = tb->offsets[i + 1] - tb->offsets[i];
        keep[i] = r->lens[i] > 0;
        r->empty_after_clean += r->lens[i] == 0;
    }
    for (size_t k = 0; k < (tb->span_offsets ? tb->span_offsets[*n] : 0); k++) {
        uint32_t id = tb->spans[k].type_id;
        if (id < MAX_PII) {
            r->pii[id]++;
            r->pii_name[id] = tb->spans[k].type;
        }
    }
    *n = compact(r, *n, keep);
    return LLMD_OK;
}

static llmd_status exact_dedup(run *r, size_t *n, unsigned char *keep) {
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < *n && st == LLMD_OK; i++) {
        uint8_t h[16];
        int was_new;
        keep[i] = 1;
        st = llmd_exact_hash(r->texts[i], r->lens[i], LLMD_EXACT_RAW, h);
        if (st == LLMD_OK) st = llmd_exact_set_insert(r->exact, h, &was_new);
        if (st == LLMD_OK && !was_new) {
            keep[i] = 0;
            r->exact_dupes++;
        }
    }
    if (st == LLMD_OK) *n = compact(r, *n, keep);
    return st;
}

static llmd_status near_dedup(run *r, size_t *n, unsigned char *keep) {
    if (*n == 0) return LLMD_OK;
    if (r->near != NULL) {  /* cluster mode: held back (spooled) until every document is in */
        llmd_status st = llmd_pl_near_add(r->near, r->texts, r->lens, *n, (unsigned)r->s->threads);
        *n = 0;
        return st;
    }
    uint32_t P = llmd_minhasher_num_perm(r->mh);
    llmd_status st = llmd_minhash_batch(r->mh, r->texts, r->lens, *n, (unsigned)r->s->threads, r->sigs, NULL);
    for (size_t i = 0; i < *n && st == LLMD_OK; i++) {
        llmd_lsh_match m;
        uint64_t key = r->near_key++;
        keep[i] = 1;
        st = llmd_lsh_index_insert(r->lsh, &key, sizeof key, r->sigs + i * P, 0, &m);
        if (st == LLMD_OK && m.duplicate) {
            keep[i] = 0;
            r->near_dupes++;
        }
    }
    if (st == LLMD_OK) *n = compact(r, *n, keep);
    return st;
}

static llmd_status dedup_stage(run *r, size_t *n, unsigned char *keep) {
    llmd_status st = r->exact != NULL ? exact_dedup(r, n, keep) : LLMD_OK;
    if (st == LLMD_OK && (r->lsh != NULL || r->near != NULL)) st = near_dedup(r, n, keep);
    return st;
}

static llmd_status tokenize_stage(run *r, size_t *n, unsigned char *keep) {
    (void)keep;
    llmd_status st = llmd_pl_tok_encode(&r->tok, r->texts, r->lens, *n, (unsigned)r->s->threads, &r->ids,
                                        &r->ids_cap, r->id_offs);
    if (st == LLMD_OK) r->st[S_TOKENIZE].tokens_out += *n ? r->id_offs[*n] : 0;
    return st;
}

static llmd_status pack_stage(run *r, size_t *n, unsigned char *keep) {
    (void)keep;
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < *n && st == LLMD_OK; i++)
        st = llmd_packer_add(r->packer, r->ids + r->id_offs[i], r->id_offs[i + 1] - r->id_offs[i]);
    return st;
}

typedef struct stage_def {
    int id;              /* S_*: its counters and name in the report */
    size_t on_offset;    /* offsetof(run, the handle that enables it), or SIZE_MAX: always on */
    stage_fn fn;
    bool bytes_in, bytes_out, docs_out;  /* which counters run_stage keeps (the rest the stage keeps
                                          * itself or the report fills in from the packer) */
} stage_def;

#define ALWAYS SIZE_MAX
static const stage_def batch_stages[] = {
    {S_FILTER, offsetof(run, filter), filter_stage, true, true, true},
    {S_CLEAN, offsetof(run, clean_on), clean_stage, true, true, true},
    {S_DEDUP, offsetof(run, dedup_on), dedup_stage, true, true, true},
    {S_TOKENIZE, ALWAYS, tokenize_stage, true, false, true},
    {S_PACK, ALWAYS, pack_stage, false, false, false},   /* + write, whose time is its own */
};

static bool stage_on(const run *r, const stage_def *d) {
    if (d->on_offset == ALWAYS) return true;
    void *const *handle = (void *const *)((const char *)r + d->on_offset);
    return *handle != NULL;
}

static llmd_status run_stage(run *r, const stage_def *d, size_t *n, unsigned char *keep) {
    stage *g = &r->st[d->id];
    double t = now(), w0 = r->st[S_WRITE].secs;
    g->docs_in += *n;
    if (d->bytes_in) g->bytes_in += sum_lens(r->lens, *n);
    llmd_status st = d->fn(r, n, keep);
    if (st != LLMD_OK) return st;
    if (d->docs_out) g->docs_out += *n;
    if (d->bytes_out) g->bytes_out += sum_lens(r->lens, *n);
    g->secs += (now() - t) - (r->st[S_WRITE].secs - w0);  /* windows written inside are timed as write */
    return LLMD_OK;
}

/* Runs the batch through the stages from batch_stages[first] on. */
static llmd_status process_batch_from(run *r, size_t first) {
    size_t n = r->n;
    if (n == 0) return LLMD_OK;
    for (size_t i = 0; i < n; i++) {
        r->texts[i] = r->arena.data + r->toffs[i];
        r->lens[i] = r->toffs[i + 1] - r->toffs[i];
    }
    unsigned char *keep = llmd_malloc(n);
    llmd_status st = keep != NULL ? LLMD_OK : llmd_fail_nomem("pipeline batch");
    for (size_t k = first; k < sizeof batch_stages / sizeof batch_stages[0] && st == LLMD_OK; k++)
        if (stage_on(r, &batch_stages[k])) st = run_stage(r, &batch_stages[k], &n, keep);
    if (r->have_fres)
        for (size_t i = 0; i < r->n; i++) llmd_free(r->fres[i].text);
    r->have_fres = false;
    llmd_text_batch_free(r->tb);
    r->tb = NULL;
    llmd_free(keep);
    r->n = 0;
    llmd_buf_reset(&r->arena);
    return st;
}

static llmd_status process_batch(run *r) { return process_batch_from(r, 0); }

/* Cluster mode, after the last input: verify and cluster, then the spooled documents again, the
 * kept ones through the stages after dedup.  The dedup stage's time includes this (not the
 * tokenize/pack time of the batches it hands on). */
static llmd_status release_near(run *r) {
    size_t after = 0;
    while (batch_stages[after].id != S_DEDUP) after++;
    after++;
    stage *g = &r->st[S_DEDUP];
    double t = now();
    llmd_status st = llmd_pl_near_finish(r->near);
    g->secs += now() - t;
    for (;;) {
        const char *text;
        size_t len;
        int keep;
        t = now();
        if (st == LLMD_OK) st = llmd_pl_near_next(r->near, &text, &len, &keep);
        g->secs += now() - t;
        if (st != LLMD_OK || text == NULL) break;
        if (!keep) {
            r->near_dupes++;
            continue;
        }
        g->docs_out++;
        g->bytes_out += len;
        r->toffs[r->n] = r->arena.len;
        if ((st = llmd_buf_append(&r->arena, text, len)) != LLMD_OK) break;
        r->n++;
        r->toffs[r->n] = r->arena.len;
        if (r->n == r->s->batch && (st = process_batch_from(r, after)) != LLMD_OK) break;
    }
    if (st == LLMD_OK) st = process_batch_from(r, after);
    return st;
}

static llmd_status read_inputs(run *r) {
    llmd_pl_settings *s = r->s;
    const char *field = s->field ? s->field : "text";
    llmd_status st = LLMD_OK;
    for (size_t f = 0; f < r->p->n_inputs && st == LLMD_OK; f++) {
        const char *path = r->p->inputs[f];
        llmd_reader *rd = NULL;
        double t = now();
        st = llmd_reader_open(&rd, path, NULL);
        if (st != LLMD_OK) return st;
        const char *line;
        size_t len;
        while ((st = llmd_reader_next_line(rd, &line, &len)) == LLMD_OK && line != NULL) {
            if (len == 0) continue;
            uint64_t ln = llmd_reader_line_number(rd);
            const char *text;
            size_t tlen;
            bool parsed = (st = llmd_json_doc_parse(r->doc, line, len)) == LLMD_OK;
            if (parsed) st = llmd_json_doc_get_string(r->doc, field, &text, &tlen);
            if (st != LLMD_OK) {
                if (s->skip_bad) {
                    r->bad_lines++;
                    r->st[S_READ].docs_in++;
                    st = LLMD_OK;
                    continue;
                }
                if (parsed) llmd_error_prefix("%s:%llu: field \"%s\"", path, (unsigned long long)ln, field);
                else llmd_error_prefix("%s:%llu", path, (unsigned long long)ln);
                break;
            }
            r->st[S_READ].docs_in++;
            r->st[S_READ].docs_out++;
            r->st[S_READ].bytes_out += tlen;
            r->toffs[r->n] = r->arena.len;
            if ((st = llmd_buf_append(&r->arena, text, tlen)) != LLMD_OK) break;
            r->n++;
            r->toffs[r->n] = r->arena.len;
            if (r->n == s->batch) {
                r->st[S_READ].secs += now() - t;
                st = process_batch(r);
                if (st != LLMD_OK) break;
                if (r->p->progress) {
                    llmd_pack_stats ps;
                    llmd_packer_stats(r->packer, &ps);
                    r->p->progress(r->p->progress_ctx, r->bytes_done + llmd_reader_bytes_in(rd), r->bytes_total,
                                   r->st[S_READ].docs_out, ps.tokens_in);
                }
                t = now();
            }
        }
        if (st == LLMD_OK && line == NULL) {
            r->bytes_done += llmd_reader_bytes_in(rd);
            r->st[S_READ].bytes_in += llmd_reader_bytes_in(rd);
        }
        r->st[S_READ].secs += now() - t;
        llmd_reader_free(rd);
    }
    if (st == LLMD_OK) st = process_batch(r);
    if (st == LLMD_OK && r->near != NULL) st = release_near(r);
    if (st == LLMD_OK && r->p->progress) { /* a last call when everything is read */
        llmd_pack_stats ps;
        llmd_packer_stats(r->packer, &ps);
        r->p->progress(r->p->progress_ctx, r->bytes_done, r->bytes_total, r->st[S_READ].docs_out, ps.tokens_in);
    }
    return st;
}

static double mbps(uint64_t bytes, double secs) { return secs > 0 ? (double)bytes / 1e6 / secs : 0; }

static llmd_status build_report(run *r, const llmd_pack_stats *ps, double total, llmd_buf *j, llmd_buf *tx) {
    llmd_pl_settings *s = r->s;
    llmd_status st = llmd_buf_puts(j, "{\"inputs\":[");
    for (size_t i = 0; i < r->p->n_inputs && st == LLMD_OK; i++) {
        if (i) st = llmd_buf_putc(j, ',');
        if (st == LLMD_OK) st = llmd_buf_put_json_string(j, r->p->inputs[i], strlen(r->p->inputs[i]));
    }
    if (st == LLMD_OK) st = llmd_buf_puts(j, "],\"tokenizer\":");
    if (st == LLMD_OK) st = llmd_buf_put_json_string(j, r->tok.name, strlen(r->tok.name));
    if (st == LLMD_OK)
        st = llmd_buf_printf(j,
                             ",\"tokenizer_xxh3_128\":\"%s\",\"vocab_size\":%llu,\"seq_len\":%u,\"strategy\":\"%s\","
                             "\"format\":\"%s\",\"threads\":%llu,\"batch\":%llu,\"bos_id\":%lld,\"eos_id\":%lld,"
                             "\"pad_id\":%lld,\"stages\":{",
                             r->tok.hash, (unsigned long long)r->tok.vocab, s->seq_len,
                             llmd_pack_strategy_name(s->strategy),
                             s->format == LLMD_PL_FORMAT_PARQUET ? "parquet" : s->format == LLMD_SHARD_NPY ? "npy" : "mmidx",
                             (unsigned long long)s->threads, (unsigned long long)s->batch, (long long)s->bos,
                             (long long)s->eos, (long long)s->pad);
    if (st == LLMD_OK) st = llmd_buf_printf(tx, "llmdata pipeline report (%s, seq_len %u, %s)\n", r->tok.name, s->seq_len,
                                            llmd_pack_strategy_name(s->strategy));
    for (int k = 0; k < S_N && st == LLMD_OK; k++) {
        stage *g = &r->st[k];
        uint64_t in_bytes = k == S_READ ? g->bytes_in : g->bytes_in;
        if (k == S_WRITE) {
            g->docs_out = ps->windows;
            /* the token bytes written: uint16/int32 ids for npy/MMIDIDX, int32 (before compression)
             * for Parquet */
            g->bytes_out = r->pqw != NULL ? llmd_parquet_shard_writer_windows(r->pqw) * (uint64_t)s->seq_len * 4
                                          : llmd_shard_writer_windows(r->writer) * (uint64_t)s->seq_len *
                                                (r->tok.vocab <= 65536 ? 2 : 4);
        }
        if (k == S_PACK) {
            g->tokens_in = ps->tokens_in; /* BOS/EOS included: tokens_in = tokens_out + dropped_tokens */
            g->docs_out = ps->windows;
            g->tokens_out = ps->tokens_out;
        }
        st = llmd_buf_printf(j,
                             "%s\"%s\":{\"docs_in\":%llu,\"docs_out\":%llu,\"bytes_in\":%llu,\"bytes_out\":%llu,"
                             "\"tokens_in\":%llu,\"tokens_out\":%llu,\"seconds\":%.6f,\"mb_per_s\":%.3f",
                             k ? "," : "", stage_names[k], (unsigned long long)g->docs_in,
                             (unsigned long long)g->docs_out, (unsigned long long)g->bytes_in,
                             (unsigned long long)g->bytes_out, (unsigned long long)g->tokens_in,
                             (unsigned long long)g->tokens_out, g->secs,
                             mbps(k == S_WRITE ? g->bytes_out : in_bytes, g->secs));
        if (st == LLMD_OK)
            st = llmd_buf_printf(tx, "  %-9s docs %10llu -> %-10llu bytes %12llu -> %-12llu tokens %11llu -> %-11llu "
                                     "%8.3f s %9.1f MB/s\n",
                                 stage_names[k], (unsigned long long)g->docs_in, (unsigned long long)g->docs_out,
                                 (unsigned long long)g->bytes_in, (unsigned long long)g->bytes_out,
                                 (unsigned long long)g->tokens_in, (unsigned long long)g->tokens_out, g->secs,
                                 mbps(k == S_WRITE ? g->bytes_out : in_bytes, g->secs));
        if (st == LLMD_OK && k == S_READ)
            st = llmd_buf_printf(j, ",\"bad_lines\":%llu", (unsigned long long)r->bad_lines);
        if (st == LLMD_OK && k == S_FILTER) {
            uint64_t modified = 0;
            llmd_filter_stats_totals(r->fc, NULL, NULL, &modified);
            st = llmd_buf_printf(j, ",\"enabled\":%d,\"filters\":\"%s\",\"docs_modified\":%llu,\"rules\":{",
                                 r->filter != NULL, r->filter_list, (unsigned long long)modified);
            for (int q = 0; q < llmd_filter_rule_count() && st == LLMD_OK; q++) {
                uint64_t dropped = 0, lines = 0;
                llmd_filter_stats_rule(r->fc, (llmd_filter_rule)q, &dropped, &lines);
                st = llmd_buf_printf(j, "%s\"%s\":{\"docs_dropped\":%llu,\"lines_removed\":%llu}", q ? "," : "",
                                     llmd_filter_rule_name((llmd_filter_rule)q), (unsigned long long)dropped,
                                     (unsigned long long)lines);
                if (st == LLMD_OK && (dropped || lines))
                    st = llmd_buf_printf(tx, "            %-30s docs dropped %9llu  lines removed %9llu\n",
                                         llmd_filter_rule_name((llmd_filter_rule)q), (unsigned long long)dropped,
                                         (unsigned long long)lines);
            }
            if (st == LLMD_OK) st = llmd_buf_putc(j, '}');
        }
        if (st == LLMD_OK && k == S_CLEAN) {
            st = llmd_buf_printf(j, ",\"empty_dropped\":%llu,\"pii\":{", (unsigned long long)r->empty_after_clean);
            int first = 1;
            for (int q = 0; q < MAX_PII && st == LLMD_OK; q++) {
                if (r->pii[q] == 0) continue;
                st = llmd_buf_printf(j, "%s\"%s\":%llu", first ? "" : ",", r->pii_name[q], (unsigned long long)r->pii[q]);
                if (st == LLMD_OK)
                    st = llmd_buf_printf(tx, "            pii %-16s %9llu\n", r->pii_name[q], (unsigned long long)r->pii[q]);
                first = 0;
            }
            if (st == LLMD_OK) st = llmd_buf_putc(j, '}');
        }
        if (st == LLMD_OK && k == S_DEDUP) {
            st = llmd_buf_printf(j, ",\"exact_duplicates\":%llu,\"near_duplicates\":%llu,\"near_mode\":\"%s\"",
                                 (unsigned long long)r->exact_dupes, (unsigned long long)r->near_dupes,
                                 r->near != NULL ? "cluster" : r->lsh != NULL ? "streaming" : "off");
            if (st == LLMD_OK)
                st = llmd_buf_printf(tx, "            exact duplicates %llu, near duplicates %llu (%s)\n",
                                     (unsigned long long)r->exact_dupes, (unsigned long long)r->near_dupes,
                                     r->near != NULL ? "whole-corpus clusters" : "streaming");
            if (st == LLMD_OK && r->near != NULL) {
                llmd_dedup_cluster_stats cs;
                uint64_t spool, raw;
                llmd_pl_near_stats(r->near, &cs, &spool, &raw);
                st = llmd_buf_printf(j, ",\"near_clusters\":{\"clusters\":%llu,\"largest\":%llu,\"sizes\":{\"2\":%llu,"
                                        "\"3\":%llu,\"4-5\":%llu,\"6-10\":%llu,\"11-100\":%llu,\">100\":%llu},"
                                        "\"candidates\":%llu,\"pairs_verified\":%llu,\"peak_bytes\":%llu,"
                                        "\"spool_bytes\":%llu,\"spooled_text_bytes\":%llu}",
                                     (unsigned long long)cs.clusters, (unsigned long long)cs.largest,
                                     (unsigned long long)cs.size_hist[0], (unsigned long long)cs.size_hist[1],
                                     (unsigned long long)cs.size_hist[2], (unsigned long long)cs.size_hist[3],
                                     (unsigned long long)cs.size_hist[4], (unsigned long long)cs.size_hist[5],
                                     (unsigned long long)cs.candidates, (unsigned long long)cs.pairs_verified,
                                     (unsigned long long)cs.peak_bytes, (unsigned long long)spool,
                                     (unsigned long long)raw);
                if (st == LLMD_OK)
                    st = llmd_buf_printf(tx, "            clusters %llu (largest %llu), spool %.1f MB for %.1f MB of "
                                             "text, job peak %.1f MB\n",
                                         (unsigned long long)cs.clusters, (unsigned long long)cs.largest,
                                         (double)spool / 1e6, (double)raw / 1e6, (double)cs.peak_bytes / 1e6);
            }
        }
        if (st == LLMD_OK && k == S_PACK) {
            double eff = ps->windows ? (double)ps->tokens_out / ((double)ps->windows * s->seq_len) : 0;
            st = llmd_buf_printf(j,
                                 ",\"windows\":%llu,\"pad_tokens\":%llu,\"dropped_tokens\":%llu,\"docs_truncated\":%llu,"
                                 "\"docs_dropped\":%llu,\"efficiency\":%.6f",
                                 (unsigned long long)ps->windows, (unsigned long long)ps->pad_tokens,
                                 (unsigned long long)ps->dropped_tokens, (unsigned long long)ps->docs_truncated,
                                 (unsigned long long)ps->docs_dropped, eff);
            if (st == LLMD_OK)
                st = llmd_buf_printf(tx, "            %llu windows, %llu pad, %llu dropped tokens, %llu docs truncated, "
                                         "efficiency %.2f%%\n",
                                     (unsigned long long)ps->windows, (unsigned long long)ps->pad_tokens,
                                     (unsigned long long)ps->dropped_tokens, (unsigned long long)ps->docs_truncated,
                                     100 * eff);
        }
        if (st == LLMD_OK) st = llmd_buf_putc(j, '}');
    }
    if (st == LLMD_OK)
        st = llmd_buf_printf(j, "},\"total\":{\"seconds\":%.6f,\"setup_seconds\":%.6f,\"bytes_in\":%llu,"
                                "\"mb_per_s\":%.3f,\"docs_in\":%llu,\"windows\":%llu,\"tokens_out\":%llu}}",
                             total, r->setup_secs, (unsigned long long)r->st[S_READ].bytes_in,
                             mbps(r->st[S_READ].bytes_in, total),
                             (unsigned long long)r->st[S_READ].docs_out, (unsigned long long)ps->windows,
                             (unsigned long long)ps->tokens_out);
    if (st == LLMD_OK)
        st = llmd_buf_printf(tx, "  total     %.3f s (setup %.3f s: tokenizer load, indexes), %.1f MB/s of input, "
                                 "%llu docs -> %llu windows (%llu tokens)\n",
                             total, r->setup_secs, mbps(r->st[S_READ].bytes_in, total),
                             (unsigned long long)r->st[S_READ].docs_out,
                             (unsigned long long)ps->windows, (unsigned long long)ps->tokens_out);
    return st;
}

static void run_free(run *r) {
    llmd_filter_free(r->filter);
    llmd_filter_stats_free(r->fc);
    llmd_redactor_free(r->red);
    llmd_exact_set_free(r->exact);
    llmd_minhasher_free(r->mh);
    llmd_lsh_index_free(r->lsh);
    llmd_pl_near_close(r->near);
    llmd_pl_tok_close(&r->tok);
    llmd_packer_free(r->packer);
    llmd_shard_writer_free(r->writer);
    llmd_parquet_shard_writer_free(r->pqw);
    llmd_json_doc_free(r->doc);
    llmd_buf_free(&r->arena);
    llmd_free(r->toffs);
    llmd_free(r->texts);
    llmd_free(r->lens);
    llmd_free(r->fres);
    llmd_free(r->sigs);
    llmd_free(r->ids);
    llmd_free(r->id_offs);
    llmd_free(r->prefix);
}

/* The shard writer of the `format` setting: pack's (mmidx, npy) or Parquet shards, which the
 * pipeline drives from the packer's windows (pack cannot call parquet, which comes after it). */
static llmd_status open_writer(run *r) {
    llmd_pl_settings *s = r->s;
    if (s->format == LLMD_PL_FORMAT_PARQUET) {
        llmd_parquet_shard_options po = LLMD_PARQUET_SHARD_OPTIONS_INIT;
        po.seq_len = s->seq_len;
        po.codec = s->pq_codec;
        po.row_group_bytes = s->pq_row_group_bytes;
        po.file_bytes = s->pq_file_bytes;
        return llmd_parquet_shard_writer_open(&r->pqw, r->prefix, &po);
    }
    llmd_shard_options so = LLMD_SHARD_OPTIONS_INIT;
    so.format = (llmd_shard_format)s->format;
    so.seq_len = s->seq_len;
    so.vocab_size = r->tok.vocab;
    return llmd_shard_writer_open(&r->writer, r->prefix, &so);
}

static llmd_status finish_writer(run *r, const char *extra) {
    return r->pqw != NULL ? llmd_parquet_shard_writer_finish(r->pqw, extra) : llmd_shard_writer_finish(r->writer, extra);
}

static size_t writer_file_count(const run *r) {
    return r->pqw != NULL ? llmd_parquet_shard_writer_file_count(r->pqw) : llmd_shard_writer_file_count(r->writer);
}

static llmd_status writer_file(const run *r, size_t i, const char **name, uint64_t *bytes, uint64_t *xxh3) {
    return r->pqw != NULL ? llmd_parquet_shard_writer_file(r->pqw, i, name, bytes, xxh3, NULL)
                          : llmd_shard_writer_file(r->writer, i, name, bytes, xxh3);
}

static const char *writer_run_id(const run *r) {
    return r->pqw != NULL ? llmd_parquet_shard_writer_run_id(r->pqw) : llmd_shard_writer_run_id(r->writer);
}

static llmd_status setup(run *r) {
    llmd_pl_settings *s = r->s;
    llmd_status st;
    if (s->out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline: setting 'out' (output directory) is required");
    if (s->seq_len == 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline: setting 'seq_len' is required (> 0)");
    if (r->p->n_inputs == 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline: no inputs");
    if (s->batch == 0 || s->batch > (1u << 24))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline: batch %llu not in 1..16777216", (unsigned long long)s->batch);
    if ((st = llmd_pl_tok_open(&r->tok, s->tokenizer)) != LLMD_OK) return st;
    if (!s->eos_set) s->eos = r->tok.eos;
    if (!s->pad_set && s->strategy == LLMD_PACK_BEST_FIT) s->pad = s->eos >= 0 ? s->eos : 0;
    if (s->filter) {
        llmd_filter_options fo = LLMD_FILTER_OPTIONS_INIT;
        /* "filters" (ordered list) wins; else the c4 / gopher switches pick from the default list */
        if (s->filters != NULL && strlen(s->filters) >= sizeof r->filter_list)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline setting filters: list too long");
        if (s->filters != NULL) snprintf(r->filter_list, sizeof r->filter_list, "%s", s->filters);
        else snprintf(r->filter_list, sizeof r->filter_list, "%s%s%s", s->c4 ? "c4,badwords" : "",
                      s->c4 && s->gopher ? "," : "", s->gopher ? "gopher" : "");
        fo.filters = r->filter_list;
        fo.languages = s->languages;
        fo.language_threshold = s->language_threshold;
        fo.language_model = s->language_model;
        fo.min_bytes = s->min_bytes;
        fo.max_bytes = s->max_bytes;
        fo.bad_words_file = s->bad_words_file;
        if ((st = llmd_filter_new(&r->filter, &fo)) != LLMD_OK) return st;
        if ((st = llmd_filter_stats_new(&r->fc)) != LLMD_OK) return st;
    }
    if (s->redact) {
        llmd_redactor_options ro = LLMD_REDACTOR_OPTIONS_INIT;
        if (s->pii_types && (st = llmd_pii_parse_types(s->pii_types, &ro.types)) != LLMD_OK) return st;
        if ((st = llmd_redactor_new(&r->red, &ro)) != LLMD_OK) return st;
    }
    if (s->exact && (st = llmd_exact_set_new(&r->exact, NULL)) != LLMD_OK) return st;
    if (s->near && s->near_streaming) {
        llmd_lsh_options lo = LLMD_LSH_OPTIONS_INIT;
        lo.threshold = s->near_threshold;
        if ((st = llmd_minhasher_new(&r->mh, NULL)) != LLMD_OK) return st;
        if ((st = llmd_lsh_index_new(&r->lsh, NULL, &lo)) != LLMD_OK) return st;
    }
    r->clean_on = (s->clean || r->red != NULL) ? r : NULL;
    r->dedup_on = (r->exact != NULL || r->lsh != NULL || (s->near && !s->near_streaming)) ? r : NULL;
    if ((st = llmd_json_doc_new(&r->doc)) != LLMD_OK) return st;
    if ((st = ensure_batch(r, (size_t)s->batch)) != LLMD_OK) return st;
    llmd_pack_options po = LLMD_PACK_OPTIONS_INIT;
    po.seq_len = s->seq_len;
    po.strategy = s->strategy;
    po.bos_id = s->bos;
    po.eos_id = s->eos;
    po.pad_id = s->pad;
    po.buffer_windows = s->buffer;
    po.vocab_size = r->tok.vocab;
    if ((st = llmd_packer_new(&r->packer, &po, timed_write, r)) != LLMD_OK) return st;
    /* every setting checked: now the output (nothing is created before a usage error) */
    /* files the run reads must not live inside the directory that publishing replaces */
    const char **reads = llmd_calloc(r->p->n_inputs + 2, sizeof *reads);
    if (reads == NULL) return llmd_fail_nomem("the input list");
    for (size_t i = 0; i < r->p->n_inputs; i++) reads[i] = r->p->inputs[i];
    reads[r->p->n_inputs] = s->tokenizer;
    reads[r->p->n_inputs + 1] = s->bad_words_file;
    st = llmd_pl_outdir_open(&r->outdir, s->out, s->overwrite != 0, reads, r->p->n_inputs + 2);
    llmd_free(reads);
    if (st != LLMD_OK) return st;
    /* cluster-mode near dedup spools into the staging directory (the file is unlinked at once) */
    if (s->near && !s->near_streaming && (st = llmd_pl_near_open(&r->near, r->outdir.stage, s->near_threshold)) != LLMD_OK)
        return st;
    llmd_buf b = LLMD_BUF_INIT;
    if (llmd_buf_printf(&b, "%s/data", r->outdir.stage) != LLMD_OK) return llmd_fail_nomem("the output name");
    r->prefix = llmd_buf_detach(&b, NULL);
    if ((st = open_writer(r)) != LLMD_OK) return st;
    for (size_t i = 0; i < r->p->n_inputs; i++) {
        struct stat fs;
        if (strcmp(r->p->inputs[i], "-") != 0 && stat(r->p->inputs[i], &fs) == 0) r->bytes_total += (uint64_t)fs.st_size;
    }
    return LLMD_OK;
}

/* ---- --delta: the Parquet shards committed to a Delta table ------------------------------------- */
typedef struct delta_run {
    llmd_delta_table *table;
    char *app_id;          /* the txn appId (owned) */
    bool skipped;          /* this appId version is already in the table: nothing written */
    int64_t version;       /* the version committed (-1 none) */
    int64_t table_version; /* the table's version after the run */
    size_t files;
} delta_run;

static llmd_status hash_file_into(llmd_buf *b, const char *what, const char *path) {
    uint64_t h = 0, n = 0;
    llmd_status st = llmd_file_xxh3(path, &h, &n);
    if (st != LLMD_OK) return llmd_error_prefix("pipeline delta: hashing %s", what);
    return llmd_buf_printf(b, "\n%s:%016llx:%llu", what, (unsigned long long)h, (unsigned long long)n);
}

/* The run's appId: delta_app_id, or "llmdata-pipeline-" + a 128-bit hash of the settings that decide
 * the output and of the content (not the names) of the inputs and of the files the settings name,
 * so rerunning the same run on the same data gives the same id wherever its files live. */
static llmd_status delta_app_id(const llmd_pipeline *p, const llmd_pl_settings *s, char **out) {
    if (s->delta_app_id) {
        *out = llmd_strdup(s->delta_app_id);
        return *out ? LLMD_OK : llmd_fail_nomem("the Delta appId");
    }
    llmd_buf b = LLMD_BUF_INIT;
    llmd_status st = llmd_pl_settings_params(s, &b);
    const char *named[] = {s->tokenizer, s->bad_words_file, s->language_model};
    for (size_t i = 0; st == LLMD_OK && i < sizeof named / sizeof *named; i++) {
        struct stat fs;
        if (named[i] && stat(named[i], &fs) == 0 && S_ISREG(fs.st_mode)) st = hash_file_into(&b, "setting file", named[i]);
    }
    for (size_t i = 0; st == LLMD_OK && i < p->n_inputs; i++) {
        if (strcmp(p->inputs[i], "-") == 0)
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline delta: standard input has no stable identity: set delta_app_id (--app-id)");
        else st = hash_file_into(&b, "input", p->inputs[i]);
    }
    if (st == LLMD_OK) {
        char id[64];
        snprintf(id, sizeof id, "llmdata-pipeline-%016llx%016llx", (unsigned long long)llmd_hash64(b.data, b.len, 0),
                 (unsigned long long)llmd_hash64(b.data, b.len, 0x9e3779b97f4a7c15ull));
        *out = llmd_strdup(id);
        if (*out == NULL) st = llmd_fail_nomem("the Delta appId");
    }
    llmd_buf_free(&b);
    return st;
}

/* Before anything is written: the appId, and whether the table already holds this run. */
static llmd_status delta_begin(const llmd_pipeline *p, const llmd_pl_settings *s, delta_run *d) {
    d->version = d->table_version = -1;
    if (s->format != LLMD_PL_FORMAT_PARQUET)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline setting delta needs format parquet (the table's data files)");
    if (s->delta_app_version < 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline setting delta_app_version must be >= 0");
    llmd_status st = delta_app_id(p, s, &d->app_id);
    if (st == LLMD_OK) st = llmd_delta_table_open(&d->table, s->delta, NULL);
    if (st != LLMD_OK) return st;
    llmd_delta_snapshot *snap = NULL;
    st = llmd_delta_snapshot_latest(&snap, d->table);
    if (st == LLMD_ERR_NOT_FOUND) { llmd_clear_error(); return LLMD_OK; }   /* created at commit */
    if (st != LLMD_OK) return llmd_error_prefix("pipeline delta table %s", s->delta);
    int64_t have = -1;
    d->skipped = llmd_delta_snapshot_app_version(snap, d->app_id, &have) == LLMD_OK && have >= s->delta_app_version;
    llmd_clear_error();
    d->table_version = llmd_delta_snapshot_version(snap);
    llmd_delta_snapshot_free(snap);
    return LLMD_OK;
}

/* The published shard files (in the staging directory) committed as one version. */
static llmd_status delta_commit(run *r, delta_run *d) {
    size_t n = writer_file_count(r);
    char **files = llmd_calloc(n ? n : 1, sizeof *files);
    if (files == NULL) return llmd_fail_nomem("the Delta commit");
    llmd_status st = LLMD_OK;
    for (size_t i = 0; st == LLMD_OK && i < n; i++) {
        const char *name;
        uint64_t bytes, xxh3;
        st = writer_file(r, i, &name, &bytes, &xxh3);
        size_t len = st == LLMD_OK ? strlen(name) : 0;
        if (st != LLMD_OK || len < 8 || strcmp(name + len - 8, ".parquet") != 0) continue;   /* the manifest */
        llmd_buf b = LLMD_BUF_INIT;
        st = llmd_buf_printf(&b, "%s/%s", r->outdir.stage, name);
        if (st == LLMD_OK) files[d->files++] = llmd_buf_detach(&b, NULL);
        llmd_buf_free(&b);
    }
    llmd_buf params = LLMD_BUF_INIT;
    if (st == LLMD_OK) st = llmd_pl_settings_params(r->s, &params);
    /* Spark's WRITE parameters (mode) plus ours: the settings and the shard run id */
    if (st == LLMD_OK && params.len > 2) {
        params.len--;   /* drop '}' */
        st = llmd_buf_printf(&params, ",\"mode\":\"Append\",\"llmdata.run_id\":\"%s\"}", writer_run_id(r));
    }
    if (st == LLMD_OK && d->files == 0) st = llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline delta: the run wrote no Parquet shard");
    if (st == LLMD_OK) {
        llmd_delta_write_options o = LLMD_DELTA_WRITE_OPTIONS_INIT;
        o.files = (const char *const *)files;
        o.n_files = d->files;
        o.app_id = d->app_id;
        o.app_version = r->s->delta_app_version;
        o.operation = "WRITE";
        o.operation_parameters_json = params.data;
        st = llmd_delta_write_files(d->table, &o, &d->version, &d->table_version);
        if (st != LLMD_OK) llmd_error_prefix("pipeline delta table %s", r->s->delta);
        else if (d->version < 0) d->skipped = true;   /* a concurrent identical run committed first */
    }
    for (size_t i = 0; i < n; i++) llmd_free(files[i]);
    llmd_free(files);
    llmd_buf_free(&params);
    return st;
}

/* "delta":{...} for the run report (JSON) and its text line. */
static llmd_status delta_report(const llmd_pl_settings *s, const delta_run *d, llmd_buf *j, llmd_buf *tx) {
    llmd_status st = llmd_buf_puts(j, "\"delta\":{\"table\":");
    if (st == LLMD_OK) st = llmd_buf_put_json_string(j, s->delta, strlen(s->delta));
    if (st == LLMD_OK) st = llmd_buf_puts(j, ",\"appId\":");
    if (st == LLMD_OK) st = llmd_buf_put_json_string(j, d->app_id, strlen(d->app_id));
    if (st == LLMD_OK) st = llmd_buf_printf(j, ",\"appVersion\":%lld,\"committed\":%s,", (long long)s->delta_app_version,
                                            d->skipped ? "false" : "true");
    if (st == LLMD_OK) st = d->version >= 0 ? llmd_buf_printf(j, "\"version\":%lld", (long long)d->version)
                                            : llmd_buf_puts(j, "\"version\":null");
    if (st == LLMD_OK) st = llmd_buf_printf(j, ",\"tableVersion\":%lld,\"files\":%zu}", (long long)d->table_version, d->files);
    if (st != LLMD_OK || tx == NULL) return st;
    if (d->skipped)
        return llmd_buf_printf(tx, "delta: this run (appId %s, version %lld) is already in %s (now at version %lld): "
                                   "nothing committed\n", d->app_id, (long long)s->delta_app_version, s->delta,
                               (long long)d->table_version);
    return llmd_buf_printf(tx, "delta: %zu shard files committed to %s as version %lld (appId %s)\n", d->files, s->delta,
                           (long long)d->version, d->app_id);
}

/* Appends "delta":{...} to the report object in j. */
static llmd_status delta_patch_report(const llmd_pl_settings *s, const delta_run *d, llmd_buf *j, llmd_buf *tx) {
    while (j->len > 0 && j->data[j->len - 1] != '}') j->len--;
    if (j->len == 0) return llmd_fail(LLMD_ERR_INTERNAL, "pipeline report is not a JSON object");
    j->len--;
    llmd_status st = llmd_buf_putc(j, ',');
    if (st == LLMD_OK) st = delta_report(s, d, j, tx);
    if (st == LLMD_OK) st = llmd_buf_putc(j, '}');
    return st;
}

static bool is_manifest_name(const char *name) {
    size_t n = strlen(name);
    return n >= 14 && strcmp(name + n - 14, ".manifest.json") == 0;
}

/* Adds "delta":{...} (table, appId, version committed, ...) to the shard manifest NAME in the
 * staging directory, so that the shards name the exact table version they became ("log the Delta
 * version with the model"); gives the rewritten file's size and XXH3 for the run manifest. */
static llmd_status delta_patch_manifest(run *r, const delta_run *d, const char *name, uint64_t *bytes, uint64_t *xxh3) {
    llmd_buf path = LLMD_BUF_INIT, text = LLMD_BUF_INIT;
    char *old = NULL;
    size_t old_len = 0;
    llmd_status st = llmd_buf_printf(&path, "%s/%s", r->outdir.stage, name);
    if (st == LLMD_OK) st = llmd_read_file(path.data, &old, &old_len);
    const char *brace = st == LLMD_OK ? memchr(old, '{', old_len) : NULL;
    if (st == LLMD_OK && brace == NULL) st = llmd_fail(LLMD_ERR_INTERNAL, "shard manifest %s is not a JSON object", name);
    if (st == LLMD_OK) st = llmd_buf_append(&text, old, (size_t)(brace - old) + 1);
    if (st == LLMD_OK) st = delta_report(r->s, d, &text, NULL);
    if (st == LLMD_OK) st = llmd_buf_putc(&text, ',');
    if (st == LLMD_OK) st = llmd_buf_append(&text, brace + 1, old_len - (size_t)(brace - old) - 1);
    if (st == LLMD_OK) st = llmd_write_file_atomic(path.data, text.data, text.len);
    if (st == LLMD_OK) {
        *bytes = text.len;
        *xxh3 = llmd_hash64(text.data, text.len, 0);
    }
    llmd_free(old);
    llmd_buf_free(&path);
    llmd_buf_free(&text);
    return st;
}

static void delta_free(delta_run *d) {
    llmd_delta_table_free(d->table);
    llmd_free(d->app_id);
}

llmd_status llmd_pipeline_run(llmd_pipeline *p, char **report_json, char **report_text) {
    if (report_json) *report_json = NULL;
    if (report_text) *report_text = NULL;
    if (p == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_run: pipeline is NULL");
    run r;
    memset(&r, 0, sizeof r);
    r.p = p;
    llmd_pl_settings s = p->s; /* defaults resolved per run */
    r.s = &s;
    r.t_start = now();
    llmd_buf j = LLMD_BUF_INIT, tx = LLMD_BUF_INIT, extra = LLMD_BUF_INIT, path = LLMD_BUF_INIT;
    delta_run d = {0};
    if (s.delta) {
        llmd_status st = delta_begin(p, &s, &d);
        if (st == LLMD_OK && d.skipped) {   /* idempotent rerun: nothing is read or written */
            st = llmd_buf_putc(&j, '{');
            if (st == LLMD_OK) st = delta_report(&s, &d, &j, &tx);
            if (st == LLMD_OK) st = llmd_buf_putc(&j, '}');
            if (st == LLMD_OK && report_json) *report_json = llmd_buf_detach(&j, NULL);
            if (st == LLMD_OK && report_text) *report_text = llmd_buf_detach(&tx, NULL);
        }
        if (st != LLMD_OK || d.skipped) {
            llmd_buf_free(&j);
            llmd_buf_free(&tx);
            delta_free(&d);
            return st;
        }
    }
    llmd_status st = setup(&r);
    r.setup_secs = now() - r.t_start;
    if (st == LLMD_OK) st = read_inputs(&r);
    if (st == LLMD_OK) {
        double t = now(), w0 = r.st[S_WRITE].secs;
        st = llmd_packer_finish(r.packer);
        r.st[S_PACK].secs += (now() - t) - (r.st[S_WRITE].secs - w0);
    }
    llmd_pack_stats ps;
    llmd_packer_stats(r.packer, &ps);
    if (st == LLMD_OK) st = build_report(&r, &ps, now() - r.t_start, &j, &tx);
    if (st == LLMD_OK) st = llmd_buf_puts(&extra, "{\"report\":");
    if (st == LLMD_OK) st = llmd_buf_append(&extra, j.data, j.len);
    if (st == LLMD_OK) st = llmd_buf_putc(&extra, '}');
    if (st == LLMD_OK) {
        double t = now();
        st = finish_writer(&r, extra.data);
        r.st[S_WRITE].secs += now() - t;
    }
    /* the manifest's copy was taken before the files were closed; report.json and the returned
     * report include closing (fsync, rename) in the write stage and total */
    if (st == LLMD_OK) {
        llmd_buf_reset(&j);
        llmd_buf_reset(&tx);
        st = build_report(&r, &ps, now() - r.t_start, &j, &tx);
    }
    /* the Delta commit before the output is published: the shard manifest and the report carry
     * its version; a failed commit publishes nothing */
    if (st == LLMD_OK && s.delta) st = delta_commit(&r, &d);
    /* the shard writer says which files it published (the pipeline does not know pack's names) */
    for (size_t i = 0; st == LLMD_OK && i < writer_file_count(&r); i++) {
        const char *name;
        uint64_t bytes, xxh3;
        st = writer_file(&r, i, &name, &bytes, &xxh3);
        if (st == LLMD_OK && s.delta && is_manifest_name(name)) st = delta_patch_manifest(&r, &d, name, &bytes, &xxh3);
        if (st == LLMD_OK) st = llmd_pl_outdir_add(&r.outdir, name, bytes, xxh3);
    }
    if (st == LLMD_OK && s.delta) st = delta_patch_report(&s, &d, &j, &tx);
    if (st == LLMD_OK) st = llmd_buf_printf(&path, "%s/report.json", r.outdir.stage);
    if (st == LLMD_OK) st = llmd_buf_putc(&j, '\n');
    /* listed (and tracked for signal cleanup) before it is written */
    if (st == LLMD_OK) st = llmd_pl_outdir_add(&r.outdir, "report.json", j.len, llmd_hash64(j.data, j.len, 0));
    if (st == LLMD_OK) st = llmd_write_file_exclusive(path.data, j.data, j.len);
    if (st == LLMD_OK) st = llmd_pl_outdir_publish(&r.outdir, writer_run_id(&r), s.overwrite != 0);
    if (st == LLMD_OK) {
        if (report_json) *report_json = llmd_buf_detach(&j, NULL);
        if (report_text) *report_text = llmd_buf_detach(&tx, NULL);
    }
    llmd_buf_free(&j);
    llmd_buf_free(&tx);
    llmd_buf_free(&extra);
    llmd_buf_free(&path);
    delta_free(&d);
    run_free(&r);                    /* discards writers' temp files first ... */
    llmd_pl_outdir_close(&r.outdir);  /* ... so the staging directory of a failed run is empty */
    return st;
}
