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

#ifdef LLMD_HAVE_CMD_CLEAN
int cmd_clean(int argc, char **argv);
#endif
#ifdef LLMD_HAVE_CMD_FILTER
int cmd_filter(int argc, char **argv);
#endif
#ifdef LLMD_HAVE_CMD_TOKENIZE
int cmd_tokenize(int argc, char **argv);
#endif
#ifdef LLMD_HAVE_CMD_DETOKENIZE
int cmd_detokenize(int argc, char **argv);
#endif
#ifdef LLMD_HAVE_CMD_DEDUP
int cmd_dedup(int argc, char **argv);
#endif
#ifdef LLMD_HAVE_CMD_MINHASH
int cmd_minhash(int argc, char **argv);
#endif
#ifdef LLMD_HAVE_CMD_PACK
int cmd_pack(int argc, char **argv);
#endif
#ifdef LLMD_HAVE_CMD_PIPELINE
int cmd_pipeline(int argc, char **argv);
#endif

static const command commands[] = {
#ifdef LLMD_HAVE_CMD_CLEAN
    {"clean", cmd_clean, "clean text (HTML, NFC, whitespace) and redact PII"},
#endif
#ifdef LLMD_HAVE_CMD_FILTER
    {"filter", cmd_filter, "drop documents with datatrove-compatible quality filters (C4, Gopher, FineWeb...)"},
#endif
#ifdef LLMD_HAVE_CMD_TOKENIZE
    {"tokenize", cmd_tokenize, "add \"ids\" with a BPE tokenizer (tokenizer.json or .tiktoken)"},
#endif
#ifdef LLMD_HAVE_CMD_DETOKENIZE
    {"detokenize", cmd_detokenize, "turn \"ids\" back into text"},
#endif
#ifdef LLMD_HAVE_CMD_DEDUP
    {"dedup", cmd_dedup, "drop exact and near-duplicate documents"},
#endif
#ifdef LLMD_HAVE_CMD_MINHASH
    {"minhash", cmd_minhash, "write MinHash signatures and LSH band keys"},
#endif
#ifdef LLMD_HAVE_CMD_PACK
    {"pack", cmd_pack, "pack token ids into fixed-length training windows"},
#endif
#ifdef LLMD_HAVE_CMD_PIPELINE
    {"pipeline", cmd_pipeline, "run the whole flow: filter, clean, dedup, tokenize, pack, shards"},
#endif
    {NULL, NULL, NULL},
};

static int usage(FILE *f) {
    fprintf(f, "usage: llmdata <command> [options] [INPUT...]\n\ncommands:\n");
    for (const command *c = commands; c->name; c++) fprintf(f, "  %-12s %s\n", c->name, c->summary);
    fprintf(f, "\nJSONL in (files, .zst, or stdin), JSONL out (stdout or -o FILE).\n"
               "Common options: --field NAME (default text), --skip-bad, -o FILE, --quiet.\n"
               "Run 'llmdata <command> --help' for a command's options. Library %s.\n",
            llmd_version());
    return f == stderr ? 2 : 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) return usage(stdout);
    if (strcmp(argv[1], "--version") == 0) {
        printf("llmdata %s\n", llmd_version());
        return 0;
    }
    for (const command *c = commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0) return c->fn(argc - 1, argv + 1);
    fprintf(stderr, "llmdata: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
