/* llmdata pack — pack "ids" arrays from JSONL into fixed-length windows and write training shards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata pack --seq-len N -o PREFIX [options] [INPUT...]\n"
    "\n"
    "Reads JSONL (plain or .zst, '-' = stdin) whose objects hold token ids as a JSON array of\n"
    "non-negative integers (field \"ids\"), packs them into windows of exactly N tokens and writes\n"
    "PREFIX.bin + PREFIX.idx (Megatron MMIDIDX) or PREFIX.npy, plus PREFIX.boundaries.npy, or\n"
    "PREFIX-00000.parquet, PREFIX-00001.parquet, ... (one row per window), and PREFIX.manifest.json (written last; it lists every file with its size and XXH3-64, so a reader\n"
    "can tell a complete shard from a mix of two runs).  Nothing appears under those names unless\n"
    "the whole run succeeds.  Layouts: include/llmdata/pack.h.\n"
    "\n"
    "  --seq-len N            tokens per window (required)\n"
    "  -o, --output PREFIX    output path prefix ending in a file name (its directory must exist)\n"
    "  --overwrite            replace an earlier shard at PREFIX (default: refuse existing files)\n"
    "  --format F             mmidx (default), npy or parquet (columns input_ids, cu_seqlens,\n"
    "                         document_ids, document_offsets: include/llmdata/parquet.h)\n"
    "  --codec C              parquet codec: zstd (default), snappy, gzip, lz4_raw, uncompressed\n"
    "  --row-group-bytes N    parquet row group target (default 134217728)\n"
    "  --file-bytes N         parquet: start a new file past N bytes (default 1073741824; 0 = one file)\n"
    "  --strategy S           greedy (default) or best-fit\n"
    "  --bos ID / --eos ID    token added before / after every document (default none)\n"
    "  --pad ID               pad the last (greedy) or non-full (best-fit) windows; best-fit needs it\n"
    "  --buffer W             best-fit buffer in windows (default 1024)\n"
    "  --vocab-size V         reject ids >= V; V <= 65536 gives uint16 shards (default: unchecked, int32)\n"
    "  --field NAME           ids field (default ids)\n"
    "  --skip-bad             skip malformed lines / documents without a valid ids array (counted)\n"
    "  -q, --quiet            no summary\n";

/* Parses a JSON array of non-negative integers < 2^32. Returns 0 or -1 with *err set. */
static int parse_ids(const char *s, size_t n, uint32_t **ids, size_t *cap, size_t *count, const char **err) {
    size_t i = 0, k = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
    if (i >= n || s[i] != '[') { *err = "is not an array"; return -1; }
    i++;
    for (;;) {
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i < n && s[i] == ']' && k == 0) { i++; break; }
        if (i >= n || s[i] < '0' || s[i] > '9') { *err = "holds something other than a non-negative integer"; return -1; }
        uint64_t v = 0;
        size_t start = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            v = v * 10 + (uint64_t)(s[i] - '0');
            if (v > UINT32_MAX) { *err = "holds an id above 4294967295"; return -1; }
            i++;
        }
        if (i - start > 1 && s[start] == '0') { *err = "holds a number with a leading zero"; return -1; }
        if (i < n && (s[i] == '.' || s[i] == 'e' || s[i] == 'E')) { *err = "holds a non-integer number"; return -1; }
        if (k == *cap) {
            size_t nc = *cap ? 2 * *cap : 4096;
            uint32_t *np = realloc(*ids, nc * sizeof *np);
            if (np == NULL) { *err = "out of memory"; return -1; }
            *ids = np;
            *cap = nc;
        }
        (*ids)[k++] = (uint32_t)v;
        while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
        if (i < n && s[i] == ',') { i++; continue; }
        if (i < n && s[i] == ']') { i++; break; }
        *err = "is not a well-formed array";
        return -1;
    }
    *count = k;
    return 0;
}

static int parse_id_opt(const char *opt, const char *v, int64_t *out) {
    uint64_t x;
    if (cli_parse_u64(opt, v, &x) != 0) return -1;
    if (x > UINT32_MAX) {
        fprintf(stderr, "llmdata pack: %s %s is above 4294967295\n", opt, v);
        return -1;
    }
    *out = (int64_t)x;
    return 0;
}

/* The files a shard at PREFIX consists of (every format) must not be any input. */
static int check_outputs(const char *prefix, const char **inputs, size_t n_inputs) {
    static const char *const suffixes[] = {".bin", ".idx", ".npy", ".boundaries.npy", ".manifest.json",
                                           "-00000.parquet"};
    enum { N = sizeof suffixes / sizeof suffixes[0] };
    char *names[N];
    const char *outs[N];
    int rc = 0;
    for (size_t i = 0; i < N; i++) {
        size_t n = strlen(prefix) + strlen(suffixes[i]) + 1;
        names[i] = malloc(n);
        if (names[i] != NULL) snprintf(names[i], n, "%s%s", prefix, suffixes[i]);
        else rc = cli_error("pack", "out of memory");
        outs[i] = names[i];
    }
    if (rc == 0) rc = cli_check_outputs("pack", outs, N, inputs, n_inputs);
    for (size_t i = 0; i < N; i++) free(names[i]);
    return rc;
}

int cmd_pack(int argc, char **argv);
int cmd_pack(int argc, char **argv) {
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = 0;
    const char *out = NULL, *field = "ids", *fmt = "mmidx", *strategy = "greedy";
    int skip_bad = 0, quiet = 0, overwrite = 0;
    llmd_parquet_shard_options pqo = LLMD_PARQUET_SHARD_OPTIONS_INIT;
    const char **inputs = calloc((size_t)argc + 1, sizeof *inputs);
    size_t n_inputs = 0;
    if (inputs == NULL) return cli_error("pack", "out of memory");
    int rc = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        uint64_t x;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            free(inputs);
            return 0;
        } else if (strcmp(a, "--seq-len") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &x)) goto usage;
            if (x == 0 || x > (1u << 24)) { cli_error("pack", "--seq-len must be in 1..16777216"); goto usage; }
            o.seq_len = (uint32_t)x;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (cli_need_value(argc, argv, &i, &out)) goto usage;
        } else if (strcmp(a, "--format") == 0) {
            if (cli_need_value(argc, argv, &i, &fmt)) goto usage;
        } else if (strcmp(a, "--codec") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) goto usage;
            llmd_status cst = llmd_parquet_codec_parse(v, &pqo.codec);
            if (cst != LLMD_OK) { cli_lib_error("--codec", cst); goto usage; }
        } else if (strcmp(a, "--row-group-bytes") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &pqo.row_group_bytes)) goto usage;
        } else if (strcmp(a, "--file-bytes") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &pqo.file_bytes)) goto usage;
        } else if (strcmp(a, "--strategy") == 0) {
            if (cli_need_value(argc, argv, &i, &strategy)) goto usage;
        } else if (strcmp(a, "--bos") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || parse_id_opt(a, v, &o.bos_id)) goto usage;
        } else if (strcmp(a, "--eos") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || parse_id_opt(a, v, &o.eos_id)) goto usage;
        } else if (strcmp(a, "--pad") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || parse_id_opt(a, v, &o.pad_id)) goto usage;
        } else if (strcmp(a, "--buffer") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &x)) goto usage;
            if (x == 0 || x > UINT32_MAX) { cli_error("pack", "--buffer must be in 1..4294967295"); goto usage; }
            o.buffer_windows = (uint32_t)x;
        } else if (strcmp(a, "--vocab-size") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &o.vocab_size)) goto usage;
        } else if (strcmp(a, "--field") == 0) {
            if (cli_need_value(argc, argv, &i, &field)) goto usage;
        } else if (strcmp(a, "--skip-bad") == 0) {
            skip_bad = 1;
        } else if (strcmp(a, "--overwrite") == 0) {
            overwrite = 1;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] != 0) {
            cli_error("pack", "unknown option %s", a);
            goto usage;
        } else {
            inputs[n_inputs++] = a;
        }
    }
    if (o.seq_len == 0 || out == NULL) {
        cli_error("pack", "--seq-len and -o PREFIX are required");
        goto usage;
    }
    llmd_shard_format format = LLMD_SHARD_MMIDX;
    int parquet = 0;
    if (strcmp(fmt, "mmidx") == 0) format = LLMD_SHARD_MMIDX;
    else if (strcmp(fmt, "npy") == 0) format = LLMD_SHARD_NPY;
    else if (strcmp(fmt, "parquet") == 0) parquet = 1;
    else { cli_error("pack", "unknown --format '%s' (mmidx, npy, parquet)", fmt); goto usage; }
    llmd_status st = llmd_pack_strategy_parse(strategy, &o.strategy);
    if (st != LLMD_OK) { cli_lib_error("--strategy", st); goto usage; }
    if (n_inputs == 0) inputs[n_inputs++] = "-";
    if (check_outputs(out, inputs, n_inputs) != 0) {
        free(inputs);
        return 1;
    }

    llmd_shard_writer *w = NULL;
    llmd_parquet_shard_writer *pw = NULL;   /* --format parquet: driven from the packer's windows */
    llmd_packer *p = NULL;
    llmd_json_doc *doc = NULL;
    uint32_t *ids = NULL;
    size_t cap = 0;
    uint64_t docs = 0, bad = 0;
    double t0 = cli_now();
    llmd_shard_options so = LLMD_SHARD_OPTIONS_INIT;
    so.format = format;
    so.seq_len = o.seq_len;
    so.vocab_size = o.vocab_size;
    so.overwrite = overwrite;
    pqo.seq_len = o.seq_len;
    pqo.overwrite = overwrite;
    st = parquet ? llmd_parquet_shard_writer_open(&pw, out, &pqo) : llmd_shard_writer_open(&w, out, &so);
    if (st != LLMD_OK) {
        cli_lib_error("opening the output", st);
        goto done;
    }
    st = parquet ? llmd_packer_new(&p, &o, llmd_parquet_shard_writer_window_fn, pw)
                 : llmd_packer_new(&p, &o, llmd_shard_writer_window_fn, w);
    if (st != LLMD_OK) {
        cli_lib_error("pack options", st);
        goto done;
    }
    if ((st = llmd_json_doc_new(&doc)) != LLMD_OK) {
        cli_lib_error("json", st);
        goto done;
    }
    for (size_t f = 0; f < n_inputs; f++) {
        llmd_reader *r = NULL;
        if ((st = llmd_reader_open(&r, inputs[f], NULL)) != LLMD_OK) {
            cli_lib_error(inputs[f], st);
            goto done;
        }
        const char *line;
        size_t len;
        while ((st = llmd_reader_next_line(r, &line, &len)) == LLMD_OK && line != NULL) {
            uint64_t ln = llmd_reader_line_number(r);
            const char *raw, *err = NULL;
            size_t rawlen, count = 0;
            int is_bad = 0;
            if (len == 0) continue;
            if (llmd_json_doc_parse(doc, line, len) != LLMD_OK) {
                if (!skip_bad) { cli_error("pack", "%s:%llu: %s", inputs[f], (unsigned long long)ln, llmd_last_error()); llmd_reader_free(r); goto done; }
                is_bad = 1;
            } else if (llmd_json_doc_get_raw(doc, field, &raw, &rawlen) != LLMD_OK) {
                err = "is missing";
            } else if (parse_ids(raw, rawlen, &ids, &cap, &count, &err) != 0) {
                /* err set */
            }
            if (!is_bad && err != NULL) {
                if (!skip_bad) {
                    cli_error("pack", "%s:%llu: field \"%s\" %s", inputs[f], (unsigned long long)ln, field, err);
                    llmd_reader_free(r);
                    goto done;
                }
                is_bad = 1;
            }
            if (is_bad) { bad++; continue; }
            st = llmd_packer_add(p, ids, count);
            if (st == LLMD_ERR_RANGE && skip_bad) { bad++; continue; }
            if (st != LLMD_OK) {
                cli_error("pack", "%s:%llu: %s", inputs[f], (unsigned long long)ln, llmd_last_error());
                llmd_reader_free(r);
                goto done;
            }
            docs++;
        }
        llmd_reader_free(r);
        if (st != LLMD_OK) { cli_lib_error(inputs[f], st); goto done; }
    }
    if ((st = llmd_packer_finish(p)) != LLMD_OK) { cli_lib_error("packing", st); goto done; }
    llmd_pack_stats s;
    llmd_packer_stats(p, &s);
    char extra[1024];
    snprintf(extra, sizeof extra,
             "{\"strategy\":\"%s\",\"bos_id\":%lld,\"eos_id\":%lld,\"pad_id\":%lld,\"pack\":{\"docs_in\":%llu,"
             "\"tokens_in\":%llu,\"windows\":%llu,\"tokens_out\":%llu,\"pad_tokens\":%llu,\"dropped_tokens\":%llu,"
             "\"docs_truncated\":%llu,\"docs_dropped\":%llu,\"bad_lines\":%llu}}",
             llmd_pack_strategy_name(o.strategy), (long long)o.bos_id, (long long)o.eos_id, (long long)o.pad_id,
             (unsigned long long)s.docs_in, (unsigned long long)s.tokens_in, (unsigned long long)s.windows,
             (unsigned long long)s.tokens_out, (unsigned long long)s.pad_tokens,
             (unsigned long long)s.dropped_tokens, (unsigned long long)s.docs_truncated,
             (unsigned long long)s.docs_dropped, (unsigned long long)bad);
    st = parquet ? llmd_parquet_shard_writer_finish(pw, extra) : llmd_shard_writer_finish(w, extra);
    if (st != LLMD_OK) { cli_lib_error("writing the shard", st); goto done; }
    if (!quiet) {
        double secs = cli_now() - t0;
        double eff = s.windows ? 100.0 * (double)s.tokens_out / ((double)s.windows * o.seq_len) : 0;
        fprintf(stderr,
                "llmdata pack: %llu docs, %llu bad, %llu tokens in, %llu windows of %u, %llu pad, %llu dropped, "
                "%llu docs truncated, %llu dropped, efficiency %.2f%%, %.2fs\n",
                (unsigned long long)docs, (unsigned long long)bad, (unsigned long long)s.tokens_in,
                (unsigned long long)s.windows, o.seq_len, (unsigned long long)s.pad_tokens,
                (unsigned long long)s.dropped_tokens, (unsigned long long)s.docs_truncated,
                (unsigned long long)s.docs_dropped, eff, secs);
    }
    rc = 0;
done:
    llmd_json_doc_free(doc);
    llmd_packer_free(p);
    llmd_shard_writer_free(w);
    llmd_parquet_shard_writer_free(pw);
    free(ids);
    free(inputs);
    return rc;
usage:
    free(inputs);
    return cli_usage(usage_text);
}
