/* llmdata pipeline — JSONL → filters → clean + redact → dedup → tokenize → pack → shards + report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata pipeline --tokenizer FILE --seq-len N --out DIR [--config FILE.json] [options] INPUT...\n"
    "\n"
    "Streams JSONL (plain or .zst, '-' = stdin) through quality filters (length, then --filters), cleaning\n"
    "and PII redaction, exact and near dedup, tokenization and packing, and writes DIR/data.bin +\n"
    "DIR/data.idx (or DIR/data.npy), DIR/data.boundaries.npy, DIR/data.manifest.json and\n"
    "DIR/report.json and DIR/_llmdata_run.json (every file with size and XXH3-64); prints the report\n"
    "on stderr.  The run writes into a staging directory beside DIR and publishes it in one step:\n"
    "a failed or interrupted run leaves an earlier DIR exactly as it was.  Every setting can also be given in the JSON\n"
    "config (keys: include/llmdata/pipeline.h; \"inputs\": [paths]); command-line options override it.\n"
    "\n"
    "  --tokenizer FILE       tokenizer.json / .tiktoken, or 'bytes' (UTF-8 bytes, EOS 256)\n"
    "  --seq-len N            tokens per window\n"
    "  --out DIR, -o DIR      output directory (created; an existing one must be empty, see --overwrite)\n"
    "  --overwrite            replace DIR when it holds an earlier llmdata run (only the files that\n"
    "                         run listed in DIR/_llmdata_run.json; anything else makes it refuse)\n"
    "  --config FILE          JSON config applied before the other options\n"
    "  --strategy S           greedy (default) or best-fit\n"
    "  --format F             mmidx (default), npy, or parquet: DIR/data-00000.parquet, ... one row\n"
    "                         per window (input_ids, cu_seqlens, document_ids, document_offsets;\n"
    "                         include/llmdata/parquet.h), zstd, 128 MB row groups, 1 GiB files\n"
    "  --parquet-codec C / --parquet-row-group-bytes N / --parquet-file-bytes N   parquet targets\n"
    "  --delta TABLE          also commit the Parquet shards to the Delta table TABLE (created when\n"
    "                         absent) as ONE version with a txn: rerunning the same run (same settings\n"
    "                         and input contents, or the same --app-id/--app-version) commits nothing;\n"
    "                         prints {\"delta\":{..,\"version\":N,\"committed\":true|false}} (implies\n"
    "                         --format parquet)\n"
    "  --app-id ID / --app-version N   the Delta txn appId (default: a hash of the settings and the\n"
    "                         inputs' contents) and version (default 1)\n"
    "  --bos-id ID / --eos-id ID / --pad-id ID   special ids (-1 = none; default EOS: the tokenizer's)\n"
    "  --buffer W             best-fit buffer in windows (default 1024)\n"
    "  --threads N            threads for batch stages (default 0 = one per CPU)\n"
    "  --batch N              documents per batch (default 4096)\n"
    "  --field NAME           text field (default text)\n"
    "  --no-filter / --no-c4 / --no-gopher / --no-clean / --no-redact / --no-dedup / --no-near-dedup\n"
    "  --filters LIST         ordered quality filters (c4, badwords, gopher, gopher-repetition, fineweb,\n"
    "                         language; default c4,badwords,gopher; see llmdata filter --help)\n"
    "  --min-bytes N / --max-bytes N    length filter\n"
    "  --bad-words-file FILE  bad-words list replacing the bundled LDNOOBW lists\n"
    "  --set KEY=VALUE        any setting by name\n"
    "  --skip-bad             skip malformed lines and documents without the field (counted)\n"
    "  --progress             progress with ETA on stderr even when it is not a terminal\n"
    "  -q, --quiet            no progress, no report on stderr\n"
    "Every setting KEY of the config is also an option --KEY VALUE ('-' for '_', e.g. --bos-id 1,\n"
    "--near-threshold 0.7); --bos/--eos/--pad/--bad-words are older names kept working.\n";

typedef struct prog {
    double t0, last;
    bool tty;   /* stderr is a terminal: redraw one line; else (--progress) a line every 2 s */
} prog;

static void progress(void *ctx, uint64_t done, uint64_t total, uint64_t docs, uint64_t tokens) {
    prog *pg = ctx;
    double t = cli_now();
    if (t - pg->last < (pg->tty ? 0.2 : 2.0)) return;
    pg->last = t;
    double mb = (double)done / 1e6, secs = t - pg->t0;
    const char *start = pg->tty ? "\r" : "llmdata pipeline:", *end = pg->tty ? " " : "\n";
    if (total > 0) {
        double frac = (double)done / (double)total;
        if (frac > 1) frac = 1;
        unsigned long left = frac > 0 ? (unsigned long)(secs * (1 - frac) / frac + 0.5) : 0;
        fprintf(stderr, "%s  %5.1f%%  %8.1f MB  %10llu docs  %12llu tokens  %6.1f MB/s  ETA %lum%02lus%s", start,
                100.0 * frac, mb, (unsigned long long)docs, (unsigned long long)tokens, secs > 0 ? mb / secs : 0,
                left / 60, left % 60, end);
    } else {
        fprintf(stderr, "%s  %8.1f MB  %10llu docs  %12llu tokens%s", start, mb, (unsigned long long)docs,
                (unsigned long long)tokens, end);
    }
    fflush(stderr);
}

static int set(llmd_pipeline *p, const char *key, const char *value) {
    llmd_status st = llmd_pipeline_set(p, key, value);
    if (st != LLMD_OK) {
        fprintf(stderr, "llmdata pipeline: %s\n", llmd_last_error());
        return -1;
    }
    return 0;
}

int cmd_pipeline(int argc, char **argv);
static int has_format_option(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--format") == 0) return 1;
    return 0;
}

/* The report's "delta" object on stdout: {"delta":{"table":..,"version":N,"committed":..}} */
static void print_delta(const char *json) {
    const char *d = json ? strstr(json, "\"delta\":{") : NULL;
    if (d == NULL) return;
    const char *e = d + 8;
    int in_str = 0;
    for (; *e; e++) {
        if (in_str) {
            if (*e == '\\' && e[1]) e++;
            else if (*e == '"') in_str = 0;
        } else if (*e == '"') in_str = 1;
        else if (*e == '}') break;
    }
    if (*e == '}') printf("{%.*s}\n", (int)(e + 1 - d), d);
}

int cmd_pipeline(int argc, char **argv) {
    llmd_pipeline *p = NULL;
    if (llmd_pipeline_new(&p) != LLMD_OK) return cli_lib_error("pipeline", LLMD_ERR_NOMEM);
    int quiet = 0, force_progress = 0, rc = 2;
    /* the config first, so that every other option overrides it */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_text, stdout);
            llmd_pipeline_free(p);
            return 0;
        }
        if (strcmp(argv[i], "--config") == 0) {
            if (i + 1 >= argc) goto usage;
            llmd_status st = llmd_pipeline_load_config(p, argv[i + 1]);
            if (st != LLMD_OK) {
                rc = cli_lib_error("--config", st);
                goto done;
            }
            i++;
        }
    }
    static const struct { const char *opt, *key; } valued[] = {
        {"--tokenizer", "tokenizer"}, {"--seq-len", "seq_len"}, {"--out", "out"}, {"-o", "out"},
        {"--strategy", "strategy"}, {"--format", "format"}, {"--bos", "bos_id"}, {"--eos", "eos_id"},
        {"--pad", "pad_id"}, {"--threads", "threads"}, {"--batch", "batch"}, {"--field", "field"},
        {"--min-bytes", "min_bytes"}, {"--max-bytes", "max_bytes"}, {"--buffer", "buffer"},
        {"--bad-words", "bad_words_file"}, {"--bos-id", "bos_id"}, {"--eos-id", "eos_id"}, {"--pad-id", "pad_id"}, {"--pii-types", "pii_types"}, {"--near-threshold", "near_threshold"},
        {"--filters", "filters"}, {"--parquet-codec", "parquet_codec"},
        {"--parquet-row-group-bytes", "parquet_row_group_bytes"}, {"--parquet-file-bytes", "parquet_file_bytes"},
        {"--delta", "delta"}, {"--app-id", "delta_app_id"}, {"--app-version", "delta_app_version"},
    };
    static const struct { const char *opt, *key, *value; } flags[] = {
        {"--no-filter", "filter", "0"}, {"--no-c4", "c4", "0"}, {"--no-gopher", "gopher", "0"},
        {"--no-clean", "clean", "0"}, {"--no-redact", "redact", "0"}, {"--no-dedup", "exact_dedup", "0"},
        {"--no-dedup", "near_dedup", "0"}, {"--no-near-dedup", "near_dedup", "0"}, {"--skip-bad", "skip_bad", "1"},
        {"--overwrite", "overwrite", "1"},
    };
    size_t n_inputs = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int done_opt = 0;
        if (strcmp(a, "--config") == 0) { i++; continue; }
        if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) { quiet = 1; continue; }
        if (strcmp(a, "--progress") == 0) { force_progress = 1; continue; }
        /* --delta writes Parquet shards unless --format says otherwise (which the run then refuses) */
        if (strcmp(a, "--delta") == 0 && !has_format_option(argc, argv) && set(p, "format", "parquet")) goto usage;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0] && !done_opt; k++)
            if (strcmp(a, valued[k].opt) == 0) {
                const char *v;
                if (cli_need_value(argc, argv, &i, &v) || set(p, valued[k].key, v)) goto usage;
                done_opt = 1;
            }
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            if (strcmp(a, flags[k].opt) == 0) {
                if (set(p, flags[k].key, flags[k].value)) goto usage;
                done_opt = 1;
            }
        if (done_opt) continue;
        if (strcmp(a, "--set") == 0) {
            const char *v;
            if (cli_need_value(argc, argv, &i, &v)) goto usage;
            const char *eq = strchr(v, '=');
            if (eq == NULL) { cli_error("pipeline", "--set expects KEY=VALUE, got '%s'", v); goto usage; }
            char key[128];
            snprintf(key, sizeof key, "%.*s", (int)(eq - v), v);
            if (set(p, key, eq + 1)) goto usage;
            continue;
        }
        if (a[0] == '-' && a[1] == '-' && a[2] != 0 && i + 1 < argc) {
            /* --KEY VALUE for any setting: one name per setting in the CLI, the config and Python */
            char key[128];
            int ok = snprintf(key, sizeof key, "%s", a + 2) < (int)sizeof key;
            for (char *q = key; ok && *q; q++)
                if (*q == '-') *q = '_';
            llmd_status kst = ok ? llmd_pipeline_set(p, key, argv[i + 1]) : LLMD_ERR_NOT_FOUND;
            if (kst == LLMD_OK) { i++; continue; }
            if (kst != LLMD_ERR_NOT_FOUND) {   /* a known setting with a bad value */
                fprintf(stderr, "llmdata pipeline: %s\n", llmd_last_error());
                goto usage;
            }
        }
        if (a[0] == '-' && a[1] != 0) {
            cli_error("pipeline", "unknown option %s", a);
            goto usage;
        }
        if (llmd_pipeline_add_input(p, a) != LLMD_OK) { rc = cli_lib_error("inputs", LLMD_ERR_NOMEM); goto done; }
        n_inputs++;
    }
    prog pg = {cli_now(), 0, isatty(2) != 0};
    int tty = !quiet && (pg.tty || force_progress);
    if (tty) llmd_pipeline_set_progress(p, progress, &pg);
    char *json = NULL, *text = NULL;
    llmd_status st = llmd_pipeline_run(p, &json, &text);
    if (tty && pg.tty) fputs("\r\033[K", stderr);
    if (st != LLMD_OK) {
        fprintf(stderr, "llmdata pipeline: %s\n", llmd_last_error());
        rc = 1;
        goto done;
    }
    if (!quiet) fputs(text, stderr);
    print_delta(json);
    llmd_free(json);
    llmd_free(text);
    rc = 0;
    goto done;
usage:
    rc = cli_usage(usage_text);
done:
    llmd_pipeline_free(p);
    (void)n_inputs;
    return rc;
}
