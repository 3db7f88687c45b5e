/* llmdata detokenize — turn each document's token ids back into text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata detokenize --tokenizer FILE [options] [INPUT...]\n"
    "\n"
    "Sets the text field (--field, default text) of every object to the decoded text of its\n"
    "\"ids\" member (an array of token ids), through the tokenizer's decoder as Hugging Face's\n"
    "decode() does; other members are passed through unchanged.\n"
    "\n"
    "  --tokenizer FILE         tokenizer.json or .tiktoken file (required)\n"
    "  --tiktoken-pattern NAME  split pattern of a .tiktoken file (see llmdata tokenize --help)\n"
    "  --skip-special-tokens    leave special tokens out of the text\n"
    "  --ids-field NAME         member holding the ids (default ids)\n"
    "  --field NAME             text field to write (default text)\n"
    "  --skip-bad               skip malformed lines, missing or bad ids (counted)\n"
    "  -o, --output FILE        write here instead of standard output\n"
    "  -q, --quiet              no summary line\n";

typedef struct detok_ctx {
    const char *field, *ids_field;
    bool skip_bad;
    unsigned flags;
    llmd_tokenizer *tok;
    cli_stats *stats;
    uint32_t *ids;
    size_t cap;
} detok_ctx;

/* Parses a JSON array of integers in [0, 2^32) into x->ids; returns the count or -1 with *why. */
static long parse_ids(detok_ctx *x, const char *s, size_t n, const char **why) {
    size_t i = 0, k = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    if (i >= n || s[i] != '[') {
        *why = "is not an array";
        return -1;
    }
    i++;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i < n && s[i] == ']' && k == 0) break;
        if (i >= n || s[i] < '0' || s[i] > '9') {
            *why = "must hold only non-negative integer ids";
            return -1;
        }
        uint64_t v = 0;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (uint64_t)(s[i++] - '0');
            if (v > UINT32_MAX) {
                *why = "holds an id beyond 2^32-1";
                return -1;
            }
        }
        if (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) {
            *why = "must hold only non-negative integer ids";
            return -1;
        }
        if (k == x->cap) {
            size_t nc = x->cap ? x->cap * 2 : 1024;
            uint32_t *ni = realloc(x->ids, nc * sizeof *ni);
            if (ni == NULL) {
                *why = "is too large (out of memory)";
                return -1;
            }
            x->ids = ni;
            x->cap = nc;
        }
        x->ids[k++] = (uint32_t)v;
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i < n && s[i] == ',') {
            i++;
            continue;
        }
        if (i < n && s[i] == ']') break;
        *why = "is not a well-formed array";
        return -1;
    }
    return (long)k;
}

static int detok_batch(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                       const char *const *src) {
    detok_ctx *x = ctx;
    for (size_t i = 0; i < n; i++) {
        const char *raw, *why = NULL;
        size_t rl;
        long k = -1;
        if (llmd_json_doc_get_raw(docs[i], x->ids_field, &raw, &rl) != LLMD_OK) why = "is missing";
        else k = parse_ids(x, raw, rl, &why);
        char *text = NULL;
        size_t tl = 0;
        if (k >= 0 && llmd_tokenizer_decode(x->tok, x->ids, (size_t)k, x->flags, &text, &tl) != LLMD_OK)
            why = llmd_last_error();
        if (why) {
            if (x->skip_bad) {
                verdict[i] = CLI_DROP;
                x->stats->bad++;
                continue;
            }
            fprintf(stderr, "llmdata detokenize: %s:%llu: member \"%s\" %s (use --skip-bad to skip such lines)\n",
                    src[i], (unsigned long long)line[i], x->ids_field, why);
            return 1;
        }
        llmd_status st = llmd_json_doc_set_string(docs[i], x->field, text, tl);
        llmd_free(text);
        if (st != LLMD_OK) return cli_lib_error("setting the text", st);
    }
    return 0;
}

int cmd_detokenize(int argc, char **argv);
int cmd_detokenize(int argc, char **argv) {
    cli_common c;
    cli_common_init(&c);
    detok_ctx x;
    memset(&x, 0, sizeof x);
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
        } else if (strcmp(a, "--skip-special-tokens") == 0) x.flags |= LLMD_TOK_SKIP_SPECIAL;
        else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "llmdata detokenize: unknown option '%s'\n", a);
            rc = cli_usage(usage_text);
            goto out;
        } else if (cli_add_input(&c, a) != 0) {
            rc = cli_error("detokenize", "out of memory");
            goto out;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "llmdata detokenize: --tokenizer FILE is required\n");
        rc = cli_usage(usage_text);
        goto out;
    }
    if (llmd_tokenizer_load(&x.tok, path, &to) != LLMD_OK) {
        fprintf(stderr, "llmdata detokenize: %s\n", llmd_last_error());
        rc = 1;
        goto out;
    }
    x.field = c.field;
    x.skip_bad = c.skip_bad;
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.stats = &stats;
    rc = cli_run_jsonl("detokenize", &c, detok_batch, &x, &stats);
out:
    llmd_tokenizer_free(x.tok);
    free(x.ids);
    cli_common_free(&c);
    return rc;
}
