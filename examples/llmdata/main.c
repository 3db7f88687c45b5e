/* llmdata — command-line front end to libllmdata, one subcommand per capability. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef int (*cmd_fn)(int argc, char **argv);
typedef struct command {
    const char *name;
    cmd_fn fn;
    const char *summary;
} command;

int cmd_clean(int argc, char **argv);
int cmd_langid(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);
int cmd_detokenize(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_minhash(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_pipeline(int argc, char **argv);
int cmd_feature(int argc, char **argv);
int cmd_delta(int argc, char **argv);
int cmd_parquet(int argc, char **argv);

static const command commands[] = {
    {"clean", cmd_clean, "clean text (HTML, NFC, whitespace) and redact PII"},
    {"langid", cmd_langid, "add \"language\" and \"language_score\" (fastText lid.176)"},
    {"filter", cmd_filter, "drop documents with datatrove-compatible quality filters (C4, Gopher, FineWeb...)"},
    {"tokenize", cmd_tokenize, "add \"ids\" with a BPE tokenizer (tokenizer.json or .tiktoken)"},
    {"detokenize", cmd_detokenize, "turn \"ids\" back into text"},
    {"dedup", cmd_dedup, "drop exact and near-duplicate documents"},
    {"minhash", cmd_minhash, "write MinHash signatures and LSH band keys"},
    {"pack", cmd_pack, "pack token ids into fixed-length training windows"},
    {"pipeline", cmd_pipeline, "run the whole flow: filter, clean, dedup, tokenize, pack, shards"},
    {"feature", cmd_feature, "feature store: apply, materialize, get-historical (point-in-time), get-online"},
    {"delta", cmd_delta, "Delta Lake tables: files, create, append, remove, history, restore, vacuum"},
    {"parquet", cmd_parquet, "look into a Parquet file: schema, head, stats"},
    {NULL, NULL, NULL},
};

static int usage(FILE *f) {
    fprintf(f, "usage: llmdata <command> [options] [INPUT...]\n\ncommands:\n");
    for (const command *c = commands; c->name; c++) fprintf(f, "  %-12s %s\n", c->name, c->summary);
    fprintf(f, "\nJSONL in (files, .zst, .gz, or stdin), JSONL out (stdout or -o FILE; FILE.zst / FILE.gz are\n"
               "compressed).  Common options: --field NAME (default text), --skip-bad, -o FILE, --quiet,\n"
               "--progress (progress with ETA on stderr even when it is not a terminal), --threads N\n"
               "(default 0 = one per CPU).\n"
               "Run 'llmdata help COMMAND' (or 'llmdata COMMAND --help') for a command's options;\n"
               "'llmdata --version' or 'llmdata COMMAND --version' for the version. Library %s.\n",
            llmd_version());
    return f == stderr ? 2 : 0;
}

static const command *find_command(const char *name) {
    for (const command *c = commands; c->name; c++)
        if (strcmp(name, c->name) == 0) return c;
    return NULL;
}

static int print_version(void) {
    printf("llmdata %s\n", llmd_version());
    return 0;
}

int main(int argc, char **argv) {
    cli_install_signals();
    if (argc < 2) return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return usage(stdout);
    if (strcmp(argv[1], "--version") == 0) return print_version();
    /* `llmdata help [COMMAND]`: the overview, or the command's own --help. */
    if (strcmp(argv[1], "help") == 0) {
        if (argc < 3) return usage(stdout);
        const command *c = find_command(argv[2]);
        if (c == NULL) {
            fprintf(stderr, "llmdata: unknown command '%s'\n", argv[2]);
            return usage(stderr);
        }
        char *args[] = {argv[2], (char *)"--help", NULL};
        return c->fn(2, args);
    }
    const command *c = find_command(argv[1]);
    if (c == NULL) {
        fprintf(stderr, "llmdata: unknown command '%s'\n", argv[1]);
        return usage(stderr);
    }
    /* `llmdata COMMAND --version` works for every command (only as the command's only argument:
     * `llmdata delta files T --version V` is a table version). */
    if (argc == 3 && strcmp(argv[2], "--version") == 0) return print_version();
    cli_command = c->name;
    return c->fn(argc - 1, argv + 1);
}
