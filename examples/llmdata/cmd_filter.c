/* llmdata filter — drop (or annotate) JSONL documents with datatrove-compatible quality filters. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata filter [options] [INPUT...]\n"
    "\n"
    "Applies quality filters that decide as datatrove's do, in the order given, to the text field;\n"
    "drops the documents a filter rejects (the first that rejects is the reason) and writes the\n"
    "rest, with C4's line removal applied to the text.  Other fields pass through byte for byte.\n"
    "\n"
    "  --filters LIST           ordered, comma-separated: c4, badwords, gopher, gopher-repetition,\n"
    "                           fineweb, language (default c4,badwords,gopher; old name --rules)\n"
    "  --languages LIST         language filter: labels to keep (default: any language)\n"
    "  --language-threshold X   language filter: score must be above X (default 0.65;\n"
    "                           old name --min-language-score)\n"
    "  --language-model FILE    language filter: fastText model (default: the bundled lid.176.ftz)\n"
    "  --badwords-language L    bad-words list when no language was detected (default en)\n"
    "  --bad-words-file FILE    own bad-words list (one entry per line) instead of the bundled ones\n"
    "                           (old name --bad-words)\n"
    "  --min-bytes N / --max-bytes N   drop documents outside these lengths first\n"
    "  --annotate               keep every document and add \"filter\": {\"kept\": bool, \"rule\": NAME|null}\n"
    "                           (and \"language\", \"language_score\" when the language filter ran)\n"
    "  --rejected FILE          also write the removed documents there, with \"filter_reason\": NAME\n"
    "  --threads N              worker threads per batch (default 0 = one per CPU)\n"
    "  --field NAME             field to filter (default text)\n"
    "  --skip-bad               skip malformed lines and documents without the field (counted)\n"
    "  -o, --output FILE        write here instead of standard output\n"
    "  -q, --quiet              no summary line\n"
    "\n"
    "The summary names the documents each rule dropped and the lines the C4 line rules removed.\n";

typedef struct filter_ctx {
    llmd_filter *f;
    llmd_filter_stats *stats;
    unsigned threads;
    bool annotate;
    cli_out rejected;         /* compressed by its name like -o; published only after a clean run */
    bool has_rejected;
    const char *rejected_path;
    const char *field;
    bool skip_bad;
    cli_stats *cs;
    cli_texts t;
    llmd_filter_result *res;
    size_t res_cap;
    uint64_t missing;
} filter_ctx;

/* Summary: "dropped RULE N, ...; lines removed RULE N, ..." (as much as fits). */
static void update_extra(filter_ctx *x) {
    char *e = x->cs->extra;
    size_t cap = sizeof x->cs->extra, at = 0;
    e[0] = '\0';
    for (int pass = 0; pass < 2; pass++) {
        const char *sep = pass == 0 ? "dropped: " : "; lines removed: ";
        for (int r = 0; r < llmd_filter_rule_count() && at < cap; r++) {
            uint64_t d = 0, l = 0;
            llmd_filter_stats_rule(x->stats, (llmd_filter_rule)r, &d, &l);
            uint64_t v = pass == 0 ? d : l;
            if (v == 0) continue;
            int w = snprintf(e + at, cap - at, "%s%s %llu", sep, llmd_filter_rule_name((llmd_filter_rule)r),
                             (unsigned long long)v);
            if (w > 0) at += (size_t)w;
            sep = ", ";
        }
    }
    if (x->missing && at < cap)
        snprintf(e + at, cap - at, "%swithout \"%s\" %llu", at ? "; " : "", x->field, (unsigned long long)x->missing);
}

static int set_raw(llmd_json_doc *d, const char *key, const char *json) {
    llmd_status st = llmd_json_doc_set_raw(d, key, json, strlen(json));
    return st == LLMD_OK ? 0 : cli_lib_error("editing a document", st);
}

/* Rule names and language labels are built-in identifiers or model labels: escaped anyway. */
static void json_str(char *out, size_t cap, const char *s) {
    size_t at = 0;
    if (cap < 3) return;
    out[at++] = '"';
    for (; *s && at + 7 < cap; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') { out[at++] = '\\'; out[at++] = (char)c; }
        else if (c < 0x20) at += (size_t)snprintf(out + at, cap - at, "\\u%04x", c);
        else out[at++] = (char)c;
    }
    out[at++] = '"';
    out[at] = '\0';
}

static int filter_batch(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                        const char *const *src) {
    filter_ctx *x = ctx;
    if (cli_batch_texts("filter", &x->t, docs, n, x->field, x->skip_bad, verdict, x->cs, &x->missing, line, src))
        return 1;
    size_t m = x->t.n;
    if (m > x->res_cap) {
        llmd_filter_result *r = realloc(x->res, m * sizeof *r);
        if (r == NULL) return cli_error("filter", "out of memory");
        x->res = r;
        x->res_cap = m;
    }
    llmd_status st = llmd_filter_batch(x->f, x->t.texts, x->t.lens, m, x->threads, x->res, x->stats);
    if (st != LLMD_OK) return cli_lib_error("filtering a batch", st);
    int rc = 0;
    for (size_t k = 0; k < m; k++) {
        llmd_filter_result *r = &x->res[k];
        llmd_json_doc *d = docs[x->t.map[k]];
        if (rc == 0 && r->keep && r->text != NULL) {
            st = llmd_json_doc_set_string(d, x->field, r->text, r->len);
            if (st != LLMD_OK) rc = cli_lib_error("setting the filtered text", st);
        }
        char rule[96], buf[256];
        json_str(rule, sizeof rule, r->keep ? "" : llmd_filter_rule_name(r->reason));
        if (rc == 0 && r->language[0] && (x->annotate || !r->keep)) {
            char lang[96], score[64];
            json_str(lang, sizeof lang, r->language);
            snprintf(score, sizeof score, "%.17g", r->language_score);
            rc = set_raw(d, "language", lang);
            if (rc == 0) rc = set_raw(d, "language_score", score);
        }
        if (rc == 0 && x->annotate) {
            snprintf(buf, sizeof buf, "{\"kept\":%s,\"rule\":%s}", r->keep ? "true" : "false", r->keep ? "null" : rule);
            rc = set_raw(d, "filter", buf);
            verdict[x->t.map[k]] = CLI_KEEP;
        } else if (rc == 0) {
            verdict[x->t.map[k]] = r->keep ? CLI_KEEP : CLI_DROP;
        }
        if (rc == 0 && !r->keep && x->has_rejected) {
            const char *out;
            size_t len;
            rc = set_raw(d, "filter_reason", rule);
            if (rc == 0 && (st = llmd_json_doc_render(d, &out, &len)) != LLMD_OK) rc = cli_lib_error("rendering", st);
            if (rc == 0 && (cli_out_write("filter", &x->rejected, out, len) != 0 ||
                            cli_out_write("filter", &x->rejected, "\n", 1) != 0))
                rc = 1;
            if (rc == 0 && x->annotate) rc = llmd_json_doc_remove(d, "filter_reason") == LLMD_OK ? 0 : 1;
        }
    }
    for (size_t k = 0; k < m; k++) {
        llmd_free(x->res[k].text);
        x->res[k].text = NULL;
    }
    update_extra(x);
    return rc;
}

int cmd_filter(int argc, char **argv);
int cmd_filter(int argc, char **argv) {
    cli_common c;
    cli_common_init(&c);
    filter_ctx x;
    memset(&x, 0, sizeof x);
    x.threads = 0;   /* one per CPU, as every --threads */
    llmd_filter_options o;
    llmd_filter_options_init(&o);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r = cli_parse_common(&c, argc, argv, &i);
        if (r < 0) { rc = 2; goto out; }
        if (r > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            goto out;
        } else if (strcmp(a, "--annotate") == 0) {
            x.annotate = true;
        } else if (strcmp(a, "--rules") == 0 || strcmp(a, "--filters") == 0 || strcmp(a, "--languages") == 0 ||
                   strcmp(a, "--bad-words") == 0 || strcmp(a, "--bad-words-file") == 0 ||
                   strcmp(a, "--badwords-language") == 0 || strcmp(a, "--rejected") == 0) {
            /* the names of the pipeline's settings (--filters, --bad-words-file) and the older ones */
            if (cli_need_value(argc, argv, &i, &v)) { rc = 2; goto out; }
            if ((a[2] == 'r' && a[3] == 'u') || a[2] == 'f') o.filters = v;
            else if (a[2] == 'l') o.languages = v;
            else if (strncmp(a, "--bad-words", 11) == 0) o.bad_words_file = v;
            else if (a[2] == 'b') o.badwords_default_language = v;
            else x.rejected_path = v;
        } else if (strcmp(a, "--language-model") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) { rc = 2; goto out; }
            o.language_model = v;
        } else if (strcmp(a, "--min-language-score") == 0 || strcmp(a, "--language-threshold") == 0) {
            double d;
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_double(a, v, &d)) { rc = 2; goto out; }
            o.language_threshold = d;
        } else if (strcmp(a, "--min-bytes") == 0 || strcmp(a, "--max-bytes") == 0) {
            uint64_t b;
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &b)) { rc = 2; goto out; }
            if (a[3] == 'i') o.min_bytes = b;
            else o.max_bytes = b;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_threads("filter", argc, argv, &i, 256, &x.threads)) { rc = 2; goto out; }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "llmdata filter: unknown option '%s'\n", a);
            rc = cli_usage(usage_text);
            goto out;
        } else if (cli_add_input(&c, a) != 0) {
            rc = cli_error("filter", "out of memory");
            goto out;
        }
    }
    /* The language rule predicts with fastText (lib/langid): --language-model, else the bundled
     * lid.176.ftz. */
    llmd_status st = llmd_filter_new(&x.f, &o);
    if (st == LLMD_OK) st = llmd_filter_stats_new(&x.stats);
    if (st != LLMD_OK) {
        fprintf(stderr, "llmdata filter: %s\n", llmd_last_error());
        rc = 2;
        goto out;
    }
    if (x.rejected_path != NULL) {
        if (cli_out_open("filter", &x.rejected, x.rejected_path) != 0) {
            rc = 1;
            goto out;
        }
        x.has_rejected = true;
        c.also_writes[c.n_also_writes++] = x.rejected_path;  /* never the input or -o */
    }
    x.field = c.field;
    x.skip_bad = c.skip_bad;
    if (x.threads != 1 && c.batch < 4096) c.batch = 4096;
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.cs = &stats;
    rc = cli_run_jsonl("filter", &c, filter_batch, &x, &stats);
    if (x.has_rejected && rc == 0) rc = cli_out_commit("filter", &x.rejected);
out:
    if (x.has_rejected) cli_out_close(&x.rejected);  /* not committed after an error: removed */
    llmd_filter_free(x.f);
    llmd_filter_stats_free(x.stats);
    cli_texts_free(&x.t);
    free(x.res);
    cli_common_free(&c);
    return rc;
}
