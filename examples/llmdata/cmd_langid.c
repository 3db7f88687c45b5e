/* llmdata langid — annotate each document with its language as fastText's lid.176 predicts it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata langid [options] [INPUT...]\n"
    "\n"
    "Adds to every object (replacing them if present), other members unchanged:\n"
    "  \"language\":       the most probable label without \"__label__\" (\"en\"), or null when\n"
    "                    nothing reaches --threshold or the text has no known word or n-gram\n"
    "  \"language_score\": its probability as fastText reports it (0 with null)\n"
    "  \"language_predictions\": [{\"language\": L, \"score\": P}, ...] best first, only with -k\n"
    "                    other than 1\n"
    "Newlines in the text are read as spaces (as datatrove's LanguageFilter does).\n"
    "\n"
    "  --model FILE           fastText model, .ftz or .bin (default: the bundled lid.176.ftz;\n"
    "                         $LLMD_LANGID_MODEL overrides the default)\n"
    "  -k N                   labels to report, best first (-1 = all; default 1)\n"
    "  --threshold X          only labels with probability >= X (default 0)\n"
    "  --threads N            threads per batch for the top label without --threshold\n"
    "                         (default 0 = one per CPU)\n"
    "  --field NAME           text field (default text)\n"
    "  --skip-bad             skip malformed lines and documents without the field (counted)\n"
    "  -o, --output FILE      write here instead of standard output\n"
    "  -q, --quiet            no summary line\n";

typedef struct lang_count {
    int32_t id;
    uint64_t n;
} lang_count;

typedef struct li_ctx {
    const char *field;
    bool skip_bad;
    unsigned threads;
    llmd_langid_predict_options po;
    llmd_langid_model *model;
    cli_stats *stats;
    cli_texts t;
    int32_t *ids;
    float *probs;
    size_t cap;
    llmd_langid_prediction *preds;
    size_t n_preds_cap;
    uint64_t *per_label, unknown;
    char json[64];
} li_ctx;

static int grow(li_ctx *x, size_t n) {
    if (n <= x->cap) return 0;
    free(x->ids);
    free(x->probs);
    x->ids = malloc(n * sizeof *x->ids);
    x->probs = malloc(n * sizeof *x->probs);
    x->cap = n;
    return x->ids && x->probs ? 0 : cli_error("langid", "out of memory");
}

static int set_language(li_ctx *x, llmd_json_doc *d, int32_t id, float p) {
    llmd_status st;
    if (id < 0) {
        st = llmd_json_doc_set_raw(d, "language", "null", 4);
        if (st == LLMD_OK) st = llmd_json_doc_set_raw(d, "language_score", "0.0", 3);
        x->unknown++;
    } else {
        const char *label = llmd_langid_label(x->model, id);
        st = llmd_json_doc_set_string(d, "language", label, strlen(label));
        int n = snprintf(x->json, sizeof x->json, "%.9g", (double)p);
        if (st == LLMD_OK) st = llmd_json_doc_set_raw(d, "language_score", x->json, (size_t)n);
        x->per_label[id]++;
    }
    return st == LLMD_OK ? 0 : cli_lib_error("adding \"language\"", st);
}

/* -k other than 1, or a threshold: one document at a time with the full prediction list. */
static int annotate_all(li_ctx *x, llmd_json_doc *d, const char *text, size_t len) {
    size_t n = 0;
    llmd_status st;
    for (;;) {
        st = llmd_langid_predict(x->model, text, len, &x->po, x->preds, x->n_preds_cap, &n);
        if (st != LLMD_ERR_TRUNCATED) break;
        free(x->preds);
        x->n_preds_cap = n;
        x->preds = malloc(n * sizeof *x->preds);
        if (x->preds == NULL) return cli_error("langid", "out of memory");
    }
    if (st != LLMD_OK) return cli_lib_error("predicting", st);
    if (set_language(x, d, n ? x->preds[0].label_id : -1, n ? x->preds[0].probability : 0.0f)) return 1;
    if (x->po.k == 1) return 0;
    char *buf = malloc(2 + n * 64);
    if (buf == NULL) return cli_error("langid", "out of memory");
    size_t at = 0;
    buf[at++] = '[';
    for (size_t i = 0; i < n; i++) {
        /* Labels of real models are short ASCII codes; anything else is written with escapes. */
        at += (size_t)sprintf(buf + at, "%s{\"language\":", i ? "," : "");
        const char *l = x->preds[i].label;
        size_t ll = strlen(l);
        char *lb = malloc(ll * 6 + 3), *q = lb;
        if (lb == NULL) { free(buf); return cli_error("langid", "out of memory"); }
        *q++ = '"';
        for (size_t j = 0; j < ll; j++) {
            unsigned char c = (unsigned char)l[j];
            if (c == '"' || c == '\\') { *q++ = '\\'; *q++ = (char)c; }
            else if (c < 0x20) q += sprintf(q, "\\u%04x", c);
            else *q++ = (char)c;
        }
        *q++ = '"';
        *q = '\0';
        char *nb = realloc(buf, at + (size_t)(q - lb) + 64 + (n - i) * 64);
        if (nb == NULL) { free(lb); free(buf); return cli_error("langid", "out of memory"); }
        buf = nb;
        at += (size_t)sprintf(buf + at, "%s,\"score\":%.9g}", lb, (double)x->preds[i].probability);
        free(lb);
    }
    buf[at++] = ']';
    st = llmd_json_doc_set_raw(d, "language_predictions", buf, at);
    free(buf);
    return st == LLMD_OK ? 0 : cli_lib_error("adding \"language_predictions\"", st);
}

static void summary(li_ctx *x, cli_stats *stats);

static int li_batch(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                    const char *const *src) {
    li_ctx *x = ctx;
    if (cli_batch_texts("langid", &x->t, docs, n, x->field, x->skip_bad, verdict, x->stats, NULL, line, src))
        return 1;
    size_t m = x->t.n;
    if (x->po.k == 1 && x->po.threshold <= 0.0f) {
        if (grow(x, m)) return 1;
        llmd_status st = llmd_langid_predict_top_batch(x->model, x->t.texts, x->t.lens, m, x->threads, x->ids,
                                                       x->probs);
        if (st != LLMD_OK) return cli_lib_error("predicting", st);
        for (size_t k = 0; k < m; k++)
            if (set_language(x, docs[x->t.map[k]], x->ids[k], x->probs[k])) return 1;
    } else {
        for (size_t k = 0; k < m; k++)
            if (annotate_all(x, docs[x->t.map[k]], x->t.texts[k], x->t.lens[k])) return 1;
    }
    summary(x, x->stats); /* the run prints stats->extra in its closing line */
    return 0;
}

static int by_count(const void *a, const void *b) {
    const lang_count *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* "languages en 120 fr 7 ... unknown 2" (the five most frequent). */
static void summary(li_ctx *x, cli_stats *stats) {
    int32_t nl = llmd_langid_label_count(x->model);
    lang_count *c = malloc((size_t)nl * sizeof *c);
    if (c == NULL) return;
    for (int32_t i = 0; i < nl; i++) c[i] = (lang_count){i, x->per_label[i]};
    qsort(c, (size_t)nl, sizeof *c, by_count);
    size_t at = (size_t)snprintf(stats->extra, sizeof stats->extra, "languages");
    for (int32_t i = 0; i < nl && i < 5 && c[i].n > 0 && at < sizeof stats->extra; i++)
        at += (size_t)snprintf(stats->extra + at, sizeof stats->extra - at, " %s %llu",
                               llmd_langid_label(x->model, c[i].id), (unsigned long long)c[i].n);
    if (at < sizeof stats->extra)
        snprintf(stats->extra + at, sizeof stats->extra - at, " unknown %llu", (unsigned long long)x->unknown);
    free(c);
}

int cmd_langid(int argc, char **argv);
int cmd_langid(int argc, char **argv) {
    cli_common c;
    cli_common_init(&c);
    li_ctx x;
    memset(&x, 0, sizeof x);
    x.threads = 0;   /* one per CPU, as every --threads */
    llmd_langid_predict_options_init(&x.po);
    const char *model = NULL;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r = cli_parse_common(&c, argc, argv, &i);
        if (r < 0) { rc = 2; goto out; }
        if (r > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            goto out;
        } else if (strcmp(a, "--model") == 0) {
            if (cli_need_value(argc, argv, &i, &model)) { rc = 2; goto out; }
        } else if (strcmp(a, "-k") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) { rc = 2; goto out; }
            char *end;
            long k = strtol(v, &end, 10);
            if (*v == '\0' || *end != '\0' || k == 0 || k < -1 || k > 1000000) {
                fprintf(stderr, "llmdata langid: -k needs a positive number or -1 (all), got '%s'\n", v);
                rc = 2;
                goto out;
            }
            x.po.k = (int32_t)k;
        } else if (strcmp(a, "--threshold") == 0) {
            double t;
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_double("--threshold", v, &t)) { rc = 2; goto out; }
            if (!(t >= 0.0 && t <= 1.0)) {
                fprintf(stderr, "llmdata langid: --threshold must be within [0, 1], got '%s'\n", v);
                rc = 2;
                goto out;
            }
            x.po.threshold = (float)t;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_threads("langid", argc, argv, &i, 1024, &x.threads)) { rc = 2; goto out; }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "llmdata langid: unknown option '%s'\n", a);
            rc = cli_usage(usage_text);
            goto out;
        } else if (cli_add_input(&c, a) != 0) {
            rc = cli_error("langid", "out of memory");
            goto out;
        }
    }
    llmd_status st = llmd_langid_model_load(&x.model, model);
    if (st != LLMD_OK) {
        fprintf(stderr, "llmdata langid: %s\n", llmd_last_error());
        rc = 1;
        goto out;
    }
    x.per_label = calloc((size_t)llmd_langid_label_count(x.model), sizeof *x.per_label);
    if (x.per_label == NULL) {
        rc = cli_error("langid", "out of memory");
        goto out;
    }
    x.field = c.field;
    x.skip_bad = c.skip_bad;
    if (x.threads != 1 && c.batch < 4096) c.batch = 4096;
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.stats = &stats;
    rc = cli_run_jsonl("langid", &c, li_batch, &x, &stats);
out:
    llmd_langid_model_free(x.model);
    cli_texts_free(&x.t);
    free(x.ids);
    free(x.probs);
    free(x.preds);
    free(x.per_label);
    cli_common_free(&c);
    return rc;
}
