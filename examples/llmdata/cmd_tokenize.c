/* llmdata tokenize — add each document's token ids (and optionally byte offsets). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata tokenize --tokenizer FILE [options] [INPUT...]\n"
    "\n"
    "Adds \"ids\": [...] (the token ids of the text field) to every object; other members are\n"
    "passed through unchanged.  FILE is a Hugging Face tokenizer.json (BPE) or a tiktoken\n"
    "rank file (.tiktoken); ids are those the reference libraries give.\n"
    "\n"
    "  --tokenizer FILE         tokenizer.json or .tiktoken file (required)\n"
    "  --tiktoken-pattern NAME  split pattern of a .tiktoken file: gpt2, r50k, p50k, cl100k, o200k\n"
    "                           (default: guessed from the file name)\n"
    "  --add-special-tokens     apply the tokenizer's post-processor (BOS/EOS templates)\n"
    "  --special-as-text        special tokens written in the text are plain text\n"
    "  --allow-special          special tokens written in the text are recognised (the default\n"
    "                           for tokenizer.json; tiktoken files treat them as text otherwise)\n"
    "  --offsets                also add \"offsets\": [[start, end], ...] (UTF-8 byte offsets)\n"
    "  --ids-field NAME         member to write the ids to (default ids)\n"
    "  --threads N              worker threads (default 0 = one per CPU); reading and writing\n"
    "                           run on threads of their own, the output is the same for any N\n"
    "  --field NAME             text field (default text)\n"
    "  --skip-bad               skip malformed lines and documents without the field (counted)\n"
    "  -o, --output FILE        write here instead of standard output\n"
    "  -q, --quiet              no summary line\n";

/* One worker's scratch (workers run tok_work on whole batches at once). */
typedef struct tok_scratch {
    cli_texts t;
    char *json;
    size_t json_cap;
    cli_stats counts;    /* cli_batch_texts counts skipped documents here */
} tok_scratch;

typedef struct tok_ctx {
    const char *field, *ids_field;
    bool skip_bad, offsets;
    unsigned threads, flags;
    llmd_tokenizer *tok;
    cli_stats *stats;
    uint64_t tokens, bad;      /* added to by the workers (atomically) */
    tok_scratch *scratch;      /* one per worker */
    unsigned n_scratch;
} tok_ctx;

static void count(uint64_t *c, uint64_t by) { __atomic_fetch_add(c, by, __ATOMIC_RELAXED); }

static int reserve_json(tok_scratch *x, size_t need) {
    if (need <= x->json_cap) return 0;
    size_t nc = x->json_cap ? x->json_cap : 1 << 16;
    while (nc < need) nc *= 2;
    char *nj = realloc(x->json, nc);
    if (nj == NULL) return 1;
    x->json = nj;
    x->json_cap = nc;
    return 0;
}

/* "[1,2,3]" */
static size_t ids_json(char *out, const uint32_t *ids, size_t n) {
    size_t k = 0;
    out[k++] = '[';
    for (size_t i = 0; i < n; i++) {
        if (i) out[k++] = ',';
        char tmp[12];
        int l = 0;
        uint32_t v = ids[i];
        do tmp[l++] = (char)('0' + v % 10); while ((v /= 10) != 0);
        while (l) out[k++] = tmp[--l];
    }
    out[k++] = ']';
    return k;
}

static int add_offsets(tok_ctx *x, tok_scratch *sc, llmd_json_doc *d, const char *text, size_t len, const char *src,
                       uint64_t line) {
    uint32_t *ids;
    size_t n, *offs;
    llmd_status st = llmd_tokenizer_encode(x->tok, text, len, x->flags, &ids, &n, &offs);
    if (st != LLMD_OK) {
        fprintf(stderr, "llmdata tokenize: %s:%llu: %s\n", src, (unsigned long long)line, llmd_last_error());
        return 1;
    }
    int rc = reserve_json(sc, 48 * n + 8);
    size_t k = 0;
    if (rc == 0) {
        sc->json[k++] = '[';
        for (size_t i = 0; i < n; i++)
            k += (size_t)snprintf(sc->json + k, 48, "%s[%zu,%zu]", i ? "," : "", offs[2 * i], offs[2 * i + 1]);
        sc->json[k++] = ']';
        if (llmd_json_doc_set_raw(d, "offsets", sc->json, k) != LLMD_OK) rc = cli_lib_error("adding \"offsets\"", LLMD_ERR_NOMEM);
    } else {
        rc = cli_error("tokenize", "out of memory");
    }
    llmd_free(ids);
    llmd_free(offs);
    return rc;
}

/* The parallel part: tokenize one batch on worker `worker` and add the ids (and offsets). */
static int tok_work(void *ctx, unsigned worker, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                    const char *const *src) {
    tok_ctx *x = ctx;
    if (worker >= x->n_scratch) return cli_error("tokenize", "worker %u has no scratch", worker);
    tok_scratch *sc = &x->scratch[worker];
    int brc = cli_batch_texts("tokenize", &sc->t, docs, n, x->field, x->skip_bad, verdict, &sc->counts, NULL, line, src);
    count(&x->bad, sc->counts.bad);
    sc->counts.bad = 0;
    if (brc) return 1;
    size_t m = sc->t.n;
    const char **texts = sc->t.texts;
    const size_t *lens = sc->t.lens, *map = sc->t.map;
    uint32_t *ids = NULL;
    size_t *offs = NULL;
    llmd_status st = llmd_tokenizer_encode_batch(x->tok, texts, lens, m, x->flags, 1, &ids, &offs);
    if (st != LLMD_OK) {
        /* find the document for the message (the library names the index within the batch) */
        for (size_t k = 0; k < m; k++) {
            uint32_t *one;
            size_t nn;
            if (llmd_tokenizer_encode(x->tok, texts[k], lens[k], x->flags, &one, &nn, NULL) != LLMD_OK) {
                size_t i = map[k];
                if (x->skip_bad) {
                    verdict[i] = CLI_DROP;
                    count(&x->bad, 1);
                    continue;
                }
                fprintf(stderr, "llmdata tokenize: %s:%llu: %s\n", src[i], (unsigned long long)line[i], llmd_last_error());
                return 1;
            }
            llmd_free(one);
        }
        if (!x->skip_bad) return cli_lib_error("tokenizing", st);
        /* retry the good ones one by one */
        for (size_t k = 0; k < m; k++) {
            size_t i = map[k];
            if (verdict[i] == CLI_DROP) continue;
            uint32_t *one;
            size_t nn;
            if (llmd_tokenizer_encode(x->tok, texts[k], lens[k], x->flags, &one, &nn, NULL) != LLMD_OK)
                return cli_lib_error("tokenizing", st);
            if (reserve_json(sc, 11 * nn + 8)) {
                llmd_free(one);
                return cli_error("tokenize", "out of memory");
            }
            size_t jl = ids_json(sc->json, one, nn);
            llmd_free(one);
            count(&x->tokens, nn);
            if (llmd_json_doc_set_raw(docs[i], x->ids_field, sc->json, jl) != LLMD_OK)
                return cli_lib_error("adding ids", LLMD_ERR_NOMEM);
        }
        return 0;
    }
    int rc = 0;
    for (size_t k = 0; k < m && rc == 0; k++) {
        size_t i = map[k], nn = offs[k + 1] - offs[k];
        if (reserve_json(sc, 11 * nn + 8)) {
            rc = cli_error("tokenize", "out of memory");
            break;
        }
        size_t jl = ids_json(sc->json, ids + offs[k], nn);
        count(&x->tokens, nn);
        if ((st = llmd_json_doc_set_raw(docs[i], x->ids_field, sc->json, jl)) != LLMD_OK) rc = cli_lib_error("adding ids", st);
        else if (x->offsets) rc = add_offsets(x, sc, docs[i], texts[k], lens[k], src[i], line[i]);
    }
    llmd_free(ids);
    llmd_free(offs);
    return rc;
}

/* The ordered part (writer thread): the summary counters. */
static int tok_tally(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                     const char *const *src) {
    tok_ctx *x = ctx;
    x->stats->bad += __atomic_exchange_n(&x->bad, 0, __ATOMIC_RELAXED);
    snprintf(x->stats->extra, sizeof x->stats->extra, "tokens %llu",
             (unsigned long long)__atomic_load_n(&x->tokens, __ATOMIC_RELAXED));
    return 0;
}

int cmd_tokenize(int argc, char **argv);
int cmd_tokenize(int argc, char **argv) {
    cli_common c;
    cli_common_init(&c);
    tok_ctx x;
    memset(&x, 0, sizeof x);
    x.threads = 0;   /* one per CPU, as every --threads */
    x.ids_field = "ids";
    const char *path = NULL;
    llmd_tokenizer_options to;
    llmd_tokenizer_options_init(&to);
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int r = cli_parse_common(&c, argc, argv, &i);
        if (r < 0) { rc = 2; goto out; }
        if (r > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            goto out;
        } else if (strcmp(a, "--tokenizer") == 0) {
            if (cli_need_value(argc, argv, &i, &path)) { rc = 2; goto out; }
            if (c.n_reads < 8) c.reads[c.n_reads++] = path;  /* -o must not name it */
        } else if (strcmp(a, "--tiktoken-pattern") == 0) {
            if (cli_need_value(argc, argv, &i, &to.tiktoken_pattern)) { rc = 2; goto out; }
        } else if (strcmp(a, "--ids-field") == 0) {
            if (cli_need_value(argc, argv, &i, &x.ids_field)) { rc = 2; goto out; }
        } else if (strcmp(a, "--add-special-tokens") == 0) x.flags |= LLMD_TOK_ADD_SPECIAL;
        else if (strcmp(a, "--special-as-text") == 0) x.flags |= LLMD_TOK_SPECIAL_AS_TEXT;
        else if (strcmp(a, "--allow-special") == 0) x.flags |= LLMD_TOK_MATCH_SPECIAL;
        else if (strcmp(a, "--offsets") == 0) x.offsets = true;
        else if (strcmp(a, "--threads") == 0) {
            if (cli_parse_threads("tokenize", argc, argv, &i, 1024, &x.threads)) { rc = 2; goto out; }
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "llmdata tokenize: unknown option '%s'\n", a);
            rc = cli_usage(usage_text);
            goto out;
        } else if (cli_add_input(&c, a) != 0) {
            rc = cli_error("tokenize", "out of memory");
            goto out;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "llmdata tokenize: --tokenizer FILE is required\n");
        rc = cli_usage(usage_text);
        goto out;
    }
    if ((x.flags & LLMD_TOK_SPECIAL_AS_TEXT) && (x.flags & LLMD_TOK_MATCH_SPECIAL)) {
        fprintf(stderr, "llmdata tokenize: --special-as-text and --allow-special exclude each other\n");
        rc = 2;
        goto out;
    }
    llmd_status st = llmd_tokenizer_load(&x.tok, path, &to);
    if (st != LLMD_OK) {
        fprintf(stderr, "llmdata tokenize: %s\n", llmd_last_error());
        rc = 1;
        goto out;
    }
    x.field = c.field;
    x.skip_bad = c.skip_bad;
    x.n_scratch = cli_worker_count(x.threads);
    x.scratch = calloc(x.n_scratch, sizeof *x.scratch);
    if (x.scratch == NULL) {
        rc = cli_error("tokenize", "out of memory");
        goto out;
    }
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.stats = &stats;
    rc = cli_run_jsonl_parallel("tokenize", &c, x.threads, tok_work, tok_tally, &x, &stats);
out:
    llmd_tokenizer_free(x.tok);
    for (unsigned w = 0; x.scratch && w < x.n_scratch; w++) {
        cli_texts_free(&x.scratch[w].t);
        free(x.scratch[w].json);
    }
    free(x.scratch);
    cli_common_free(&c);
    return rc;
}
