/* llmdata clean — clean the text field of JSONL documents and redact PII. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata clean [options] [INPUT...]\n"
    "\n"
    "Cleans the text field of each JSON object (HTML tags/entities, Unicode NFC, control characters,\n"
    "white space) and replaces PII with [TYPE].  Other fields pass through byte for byte.\n"
    "\n"
    "  --no-html              keep HTML markup and character references as they are\n"
    "  --no-nfc               no Unicode normalisation\n"
    "  --nfkc                 NFKC instead of NFC (folds ligatures, full-width forms, ...)\n"
    "  --no-whitespace        keep white space as it is (default: collapse runs to one space)\n"
    "  --keep-paragraphs      collapse white space but keep paragraph breaks as \"\\n\\n\"\n"
    "  --keep-controls        keep control characters (default: drop all but \\n and \\t)\n"
    "  --invalid-utf8 MODE    replace (U+FFFD, default) or error\n"
    "  --redact TYPES         all (default), none, or a comma list of EMAIL_ADDRESS, PHONE_NUMBER,\n"
    "                         IP_ADDRESS, CREDIT_CARD, IBAN_CODE, US_SSN, SECRET\n"
    "  --template STR         replacement, \"{type}\" is the type name (default \"[{type}]\")\n"
    "  --spans                add \"pii\": [{\"type\", \"start\", \"end\"}] to every object: UTF-8 byte\n"
    "                         offsets into the CLEANED text (before redaction)\n"
    "  --threads N            worker threads (0 = one per CPU, default 1); reading and writing run\n"
    "                         on threads of their own, the output is the same for any N\n"
    "  --field NAME           field to clean (default text)\n"
    "  --skip-bad             skip malformed lines and documents without the field (counted)\n"
    "  -o, --output FILE      write here instead of standard output; FILE.parquet: Parquet (the\n"
    "                         Parquet inputs' schema, else typed JSON members: see the README)\n"
    "  -q, --quiet            no summary line\n";

/* One worker's scratch (workers run clean_work on whole batches at once). */
typedef struct clean_scratch {
    const char **texts;
    size_t *lens, *idx;
    size_t cap;
    char *json;          /* the "pii" array being built */
    size_t json_cap;
} clean_scratch;

typedef struct clean_ctx {
    const char *field;
    bool skip_bad, spans;
    int do_clean;
    llmd_clean_options copts;
    llmd_redactor *r;
    unsigned threads;
    cli_stats *stats;
    /* Counters the workers add to (atomically; sums do not depend on the order). */
    uint64_t per_type[64];
    uint64_t missing, bad;
    clean_scratch *scratch;   /* one per worker */
    unsigned n_scratch;
} clean_ctx;

/* Appends to sc->json (grown as needed); returns 0 or -1 when out of memory. */
static int json_put(clean_scratch *x, size_t *len, const char *s, size_t n) {
    if (*len + n + 1 > x->json_cap) {
        size_t cap = x->json_cap ? x->json_cap : 256;
        while (cap < *len + n + 1) cap *= 2;
        char *p = realloc(x->json, cap);
        if (p == NULL) return -1;
        x->json = p;
        x->json_cap = cap;
    }
    memcpy(x->json + *len, s, n);
    *len += n;
    x->json[*len] = '\0';
    return 0;
}

static void scratch_free(clean_scratch *sc) {
    free(sc->texts);
    free(sc->lens);
    free(sc->idx);
    free(sc->json);
}

static uint64_t counter(const uint64_t *c) { return __atomic_load_n(c, __ATOMIC_RELAXED); }
static void count(uint64_t *c, uint64_t by) { __atomic_fetch_add(c, by, __ATOMIC_RELAXED); }

/* Summary counters: "pii N (TYPE k, ...)" and documents without the field. */
static void update_extra(clean_ctx *x) {
    char *e = x->stats->extra;
    size_t cap = sizeof x->stats->extra, at = 0;
    uint64_t total = 0;
    size_t nt = llmd_redactor_type_count(x->r);
    for (size_t t = 0; t < nt && t < 64; t++) total += counter(&x->per_type[t]);
    int w = snprintf(e, cap, "pii %llu", (unsigned long long)total);
    at = w > 0 ? (size_t)w : 0;
    const char *sep = " (";
    for (size_t t = 0; t < nt && t < 64 && at < cap; t++) {
        uint64_t k = counter(&x->per_type[t]);
        if (k == 0) continue;
        w = snprintf(e + at, cap - at, "%s%s %llu", sep, llmd_redactor_type_name(x->r, (uint32_t)t),
                     (unsigned long long)k);
        if (w > 0) at += (size_t)w;
        sep = ", ";
    }
    if (total && at < cap) {
        w = snprintf(e + at, cap - at, ")");
        if (w > 0) at += (size_t)w;
    }
    uint64_t missing = counter(&x->missing);
    if (missing && at < cap)
        snprintf(e + at, cap - at, ", without \"%s\" %llu", x->field, (unsigned long long)missing);
}

/* The parallel part: clean + redact one batch (on worker `worker`), set the field and "pii". */
static int clean_work(void *ctx, unsigned worker, llmd_json_doc **docs, size_t n, int *verdict,
                      const uint64_t *line, const char *const *src) {
    clean_ctx *x = ctx;
    if (worker >= x->n_scratch) return cli_error("clean", "worker %u has no scratch", worker);
    clean_scratch *sc = &x->scratch[worker];
    if (n > sc->cap) {
        free(sc->texts);
        free(sc->lens);
        free(sc->idx);
        sc->texts = malloc(n * sizeof *sc->texts);
        sc->lens = malloc(n * sizeof *sc->lens);
        sc->idx = malloc(n * sizeof *sc->idx);
        sc->cap = sc->texts && sc->lens && sc->idx ? n : 0;
        if (sc->cap == 0) return cli_error("clean", "out of memory");
    }
    /* Gather the field of every document; documents without it are errors (or skipped). */
    size_t m = 0;
    size_t *idx = sc->idx;
    for (size_t i = 0; i < n; i++) {
        const char *v;
        size_t len;
        llmd_status st = llmd_json_doc_get_string(docs[i], x->field, &v, &len);
        if (st != LLMD_OK) {
            if (x->skip_bad) {
                verdict[i] = CLI_DROP;
                count(&x->bad, 1);
                count(&x->missing, 1);
                continue;
            }
            fprintf(stderr, "llmdata clean: %s:%llu: %s (use --skip-bad to skip such lines)\n", src[i],
                    (unsigned long long)line[i], llmd_last_error());
            return 1;
        }
        sc->texts[m] = v;
        sc->lens[m] = len;
        idx[m++] = i;
    }
    llmd_text_batch *b = NULL;
    size_t failed = SIZE_MAX;
    /* One thread per batch: the workers share the batches out between them. */
    llmd_status st = llmd_text_batch_run(sc->texts, sc->lens, m, x->do_clean, &x->copts, x->r, 1, &b, &failed);
    if (st != LLMD_OK) {
        if (failed != SIZE_MAX)
            fprintf(stderr, "llmdata clean: %s:%llu: field \"%s\": %s\n", src[idx[failed]],
                    (unsigned long long)line[idx[failed]], x->field, llmd_last_error());
        else
            cli_lib_error("cleaning a batch", st);
        return 1;
    }
    int rc = 0;
    for (size_t k = 0; k < m && rc == 0; k++) {
        llmd_json_doc *d = docs[idx[k]];
        st = llmd_json_doc_set_string(d, x->field, b->data + b->offsets[k], b->offsets[k + 1] - b->offsets[k]);
        if (st != LLMD_OK) {
            rc = cli_lib_error("setting the cleaned text", st);
            break;
        }
        for (size_t s = b->span_offsets[k]; s < b->span_offsets[k + 1]; s++)
            if (b->spans[s].type_id < 64) count(&x->per_type[b->spans[s].type_id], 1);
        if (!x->spans) continue;
        size_t jl = 0;
        if (json_put(sc, &jl, "[", 1)) { rc = cli_error("clean", "out of memory"); break; }
        for (size_t s = b->span_offsets[k]; s < b->span_offsets[k + 1]; s++) {
            char item[256];
            /* Type names are built-in identifiers (no characters that need JSON escaping). */
            int il = snprintf(item, sizeof item, "%s{\"type\":\"%s\",\"start\":%zu,\"end\":%zu}",
                              s > b->span_offsets[k] ? "," : "", b->spans[s].type, b->spans[s].start,
                              b->spans[s].end);
            if (il < 0 || (size_t)il >= sizeof item || json_put(sc, &jl, item, (size_t)il)) {
                rc = cli_error("clean", "out of memory");
                break;
            }
        }
        if (rc == 0 && json_put(sc, &jl, "]", 1)) rc = cli_error("clean", "out of memory");
        if (rc == 0 && (st = llmd_json_doc_set_raw(d, "pii", sc->json, jl)) != LLMD_OK)
            rc = cli_lib_error("adding pii spans", st);
    }
    llmd_text_batch_free(b);
    return rc;
}

/* The ordered part (writer thread): the summary counters. */
static int clean_tally(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                       const char *const *src) {
    clean_ctx *x = ctx;
    x->stats->bad += __atomic_exchange_n(&x->bad, 0, __ATOMIC_RELAXED);
    update_extra(x);
    return 0;
}

int cmd_clean(int argc, char **argv);
int cmd_clean(int argc, char **argv) {
    cli_common c;
    cli_common_init(&c);
    clean_ctx x;
    memset(&x, 0, sizeof x);
    x.do_clean = 1;
    x.threads = 1;
    llmd_clean_options_init(&x.copts);
    llmd_redactor_options ro;
    llmd_redactor_options_init(&ro);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r = cli_parse_common(&c, argc, argv, &i);
        if (r < 0) { rc = 2; goto out; }
        if (r > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            goto out;
        } else if (strcmp(a, "--no-html") == 0) x.copts.html = 0;
        else if (strcmp(a, "--no-nfc") == 0) x.copts.normalization = LLMD_NORM_NONE;
        else if (strcmp(a, "--nfkc") == 0) x.copts.normalization = LLMD_NORM_NFKC;
        else if (strcmp(a, "--no-whitespace") == 0) x.copts.whitespace = 0;
        else if (strcmp(a, "--keep-paragraphs") == 0) x.copts.keep_paragraphs = 1;
        else if (strcmp(a, "--keep-controls") == 0) x.copts.drop_controls = 0;
        else if (strcmp(a, "--spans") == 0) x.spans = true;
        else if (strcmp(a, "--invalid-utf8") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) { rc = 2; goto out; }
            if (strcmp(v, "replace") == 0) x.copts.invalid_utf8 = LLMD_INVALID_UTF8_REPLACE;
            else if (strcmp(v, "error") == 0) x.copts.invalid_utf8 = LLMD_INVALID_UTF8_ERROR;
            else {
                fprintf(stderr, "llmdata clean: --invalid-utf8 expects 'replace' or 'error', got '%s'\n", v);
                rc = 2;
                goto out;
            }
        } else if (strcmp(a, "--redact") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) { rc = 2; goto out; }
            uint32_t mask;
            if (llmd_pii_parse_types(v, &mask) != LLMD_OK) {
                fprintf(stderr, "llmdata clean: --redact: %s\n", llmd_last_error());
                rc = 2;
                goto out;
            }
            ro.types = mask;
        } else if (strcmp(a, "--template") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) { rc = 2; goto out; }
            ro.replacement = v;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_threads("clean", argc, argv, &i, 256, &x.threads)) { rc = 2; goto out; }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "llmdata clean: unknown option '%s'\n", a);
            rc = cli_usage(usage_text);
            goto out;
        } else if (cli_add_input(&c, a) != 0) {
            rc = cli_error("clean", "out of memory");
            goto out;
        }
    }
    llmd_status st = llmd_redactor_new(&x.r, &ro);
    if (st != LLMD_OK) {
        fprintf(stderr, "llmdata clean: %s\n", llmd_last_error());
        rc = 2;
        goto out;
    }
    x.field = c.field;
    x.skip_bad = c.skip_bad;
    x.n_scratch = cli_worker_count(x.threads);
    x.scratch = calloc(x.n_scratch, sizeof *x.scratch);
    if (x.scratch == NULL) {
        rc = cli_error("clean", "out of memory");
        goto out;
    }
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.stats = &stats;
    /* cli_run_jsonl prints stats.extra in its summary; clean_batch keeps it current. */
    rc = cli_run_jsonl_parallel("clean", &c, x.threads, clean_work, clean_tally, &x, &stats);
out:
    llmd_redactor_free(x.r);
    for (unsigned w = 0; x.scratch && w < x.n_scratch; w++) scratch_free(&x.scratch[w]);
    free(x.scratch);
    cli_common_free(&c);
    return rc;
}
