/* llmdata minhash — add each document's MinHash signature and LSH band keys (hex) to it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata minhash [options] [INPUT...]\n"
    "\n"
    "Writes every object with two members added (replaced if present), other members unchanged:\n"
    "  \"minhash\": hex of the signature's bytes (num_perm uint32 values, little-endian)\n"
    "  \"bands\":   [hex of each 12-byte band key: uint32 LE band index + uint64 LE XXH3-64 (seed 0)\n"
    "              of the band's rows as LE bytes], for a groupBy(band key) in Spark or Dask\n"
    "Algorithm and byte layouts: include/llmdata/dedup.h.\n"
    "\n"
    "  --num-perm N           permutations (default 128)\n"
    "  --ngram N              words per shingle (default 5)\n"
    "  --chars                character n-grams instead of word n-grams\n"
    "  --seed S               hash seed (default 1)\n"
    "  --threshold T          choose bands x rows for this Jaccard threshold (default 0.8)\n"
    "  --bands B --rows R     explicit bands x rows\n"
    "  --no-bands             omit \"bands\"\n"
    "  --threads N            worker threads (default 0 = one per CPU); reading and writing run\n"
    "                         on threads of their own, the output is the same for any N\n"
    "  --field NAME           text field (default text)\n"
    "  --skip-bad             skip malformed lines and documents without the field (counted)\n"
    "  -o, --output FILE      write here instead of standard output\n"
    "  -q, --quiet            no summary line\n";

/* One worker's scratch (workers run mh_work on whole batches at once). */
typedef struct mh_scratch {
    cli_texts t;
    size_t sig_cap;
    uint32_t *sigs;
    char *json;
    uint8_t *bytes;
    cli_stats counts;    /* cli_batch_texts counts skipped documents here */
} mh_scratch;

typedef struct mh_ctx {
    const char *field;
    bool skip_bad, no_bands;
    unsigned threads;
    uint32_t P, bands, rows;
    llmd_minhasher *mh;
    cli_stats *stats;
    uint64_t bad;              /* added to by the workers (atomically) */
    mh_scratch *scratch;       /* one per worker */
    unsigned n_scratch;
} mh_ctx;

static void hex(const uint8_t *b, size_t n, char *out) {
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[b[i] >> 4];
        out[2 * i + 1] = hx[b[i] & 15];
    }
}

/* The parallel part: signatures (and band keys) of one batch on worker `worker`. */
static int mh_work(void *ctx, unsigned worker, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                   const char *const *src) {
    mh_ctx *x0 = ctx;
    if (worker >= x0->n_scratch) return cli_error("minhash", "worker %u has no scratch", worker);
    mh_scratch *x = &x0->scratch[worker];
    const uint32_t P = x0->P;
    if (n > x->sig_cap) {
        free(x->sigs);
        x->sigs = malloc(n * P * sizeof *x->sigs);
        if (!x->sigs) return cli_error("minhash", "out of memory");
        x->sig_cap = n;
    }
    int brc = cli_batch_texts("minhash", &x->t, docs, n, x0->field, x0->skip_bad, verdict, &x->counts, NULL, line, src);
    __atomic_fetch_add(&x0->bad, x->counts.bad, __ATOMIC_RELAXED);
    x->counts.bad = 0;
    if (brc) return 1;
    size_t m = x->t.n;
    llmd_status st = llmd_minhash_batch(x0->mh, x->t.texts, x->t.lens, m, 1, x->sigs, NULL);
    if (st != LLMD_OK) return cli_lib_error("computing signatures", st);
    for (size_t k = 0; k < m; k++) {
        llmd_json_doc *d = docs[x->t.map[k]];
        const uint32_t *sig = x->sigs + k * P;
        llmd_minhash_to_bytes(sig, P, x->bytes);
        x->json[0] = '"';
        hex(x->bytes, 4 * (size_t)P, x->json + 1);
        size_t jl = 1 + 8 * (size_t)P;
        x->json[jl++] = '"';
        if ((st = llmd_json_doc_set_raw(d, "minhash", x->json, jl)) != LLMD_OK)
            return cli_lib_error("adding \"minhash\"", st);
        if (x0->no_bands) continue;
        if ((st = llmd_lsh_band_keys(sig, P, x0->bands, x0->rows, x->bytes)) != LLMD_OK)
            return cli_lib_error("computing band keys", st);
        jl = 0;
        x->json[jl++] = '[';
        for (uint32_t b = 0; b < x0->bands; b++) {
            if (b) x->json[jl++] = ',';
            x->json[jl++] = '"';
            hex(x->bytes + (size_t)b * LLMD_BAND_KEY_SIZE, LLMD_BAND_KEY_SIZE, x->json + jl);
            jl += 2 * LLMD_BAND_KEY_SIZE;
            x->json[jl++] = '"';
        }
        x->json[jl++] = ']';
        if ((st = llmd_json_doc_set_raw(d, "bands", x->json, jl)) != LLMD_OK)
            return cli_lib_error("adding \"bands\"", st);
    }
    return 0;
}

/* The ordered part (writer thread): documents skipped by the workers. */
static int mh_tally(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                    const char *const *src) {
    mh_ctx *x = ctx;
    x->stats->bad += __atomic_exchange_n(&x->bad, 0, __ATOMIC_RELAXED);
    return 0;
}

int cmd_minhash(int argc, char **argv);
int cmd_minhash(int argc, char **argv) {
    cli_common c;
    cli_common_init(&c);
    mh_ctx x;
    memset(&x, 0, sizeof x);
    x.threads = 0;   /* one per CPU, as every --threads */
    llmd_minhash_options mo;
    llmd_minhash_options_init(&mo);
    double threshold = 0.8;
    uint64_t bands = 0, rows = 0;
    int rc = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        uint64_t u;
        int r = cli_parse_common(&c, argc, argv, &i);
        if (r < 0) { rc = 2; goto out; }
        if (r > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            goto out;
        } else if (strcmp(a, "--chars") == 0) mo.shingle_mode = LLMD_SHINGLE_CHARS;
        else if (strcmp(a, "--no-bands") == 0) x.no_bands = true;
        else if (strcmp(a, "--threshold") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_double("--threshold", v, &threshold)) { rc = 2; goto out; }
        } else if (strcmp(a, "--num-perm") == 0 || strcmp(a, "--ngram") == 0 || strcmp(a, "--bands") == 0 ||
                   strcmp(a, "--rows") == 0 || strcmp(a, "--threads") == 0 || strcmp(a, "--seed") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &u)) { rc = 2; goto out; }
            if (strcmp(a, "--seed") != 0 && u > 4096) {
                fprintf(stderr, "llmdata minhash: %s must be at most 4096, got %llu\n", a, (unsigned long long)u);
                rc = 2;
                goto out;
            }
            if (a[2] == 'n' && a[3] == 'u') mo.num_perm = (uint32_t)u;
            else if (a[2] == 'n') mo.ngram = (uint32_t)u;
            else if (a[2] == 'b') bands = u;
            else if (a[2] == 'r') rows = u;
            else if (a[2] == 't') x.threads = (unsigned)u;
            else mo.seed = u;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "llmdata minhash: unknown option '%s'\n", a);
            rc = cli_usage(usage_text);
            goto out;
        } else if (cli_add_input(&c, a) != 0) {
            rc = cli_error("minhash", "out of memory");
            goto out;
        }
    }
    llmd_status st = llmd_minhasher_new(&x.mh, &mo);
    if (st == LLMD_OK && (bands == 0) != (rows == 0))
        st = (fprintf(stderr, "llmdata minhash: give both --bands and --rows, or neither\n"), LLMD_ERR_INVALID_ARG);
    else if (st == LLMD_OK && bands == 0) {
        uint32_t b, r;
        if ((st = llmd_lsh_optimal_params(threshold, mo.num_perm, &b, &r)) == LLMD_OK) {
            bands = b;
            rows = r;
        }
    } else if (st == LLMD_OK && bands * rows > mo.num_perm) {
        fprintf(stderr, "llmdata minhash: --bands %llu x --rows %llu exceeds --num-perm %u\n",
                (unsigned long long)bands, (unsigned long long)rows, mo.num_perm);
        st = LLMD_ERR_INVALID_ARG;
    }
    if (st != LLMD_OK) {
        if (llmd_last_error()[0]) fprintf(stderr, "llmdata minhash: %s\n", llmd_last_error());
        rc = 2;
        goto out;
    }
    x.P = mo.num_perm;
    x.bands = (uint32_t)bands;
    x.rows = (uint32_t)rows;
    size_t jcap = 8 * (size_t)x.P + 16;
    if (jcap < (size_t)x.bands * (2 * LLMD_BAND_KEY_SIZE + 3) + 4) jcap = (size_t)x.bands * (2 * LLMD_BAND_KEY_SIZE + 3) + 4;
    x.n_scratch = cli_worker_count(x.threads);
    x.scratch = calloc(x.n_scratch, sizeof *x.scratch);
    if (x.scratch == NULL) {
        rc = cli_error("minhash", "out of memory");
        goto out;
    }
    for (unsigned w = 0; w < x.n_scratch; w++) {
        x.scratch[w].json = malloc(jcap);
        x.scratch[w].bytes = malloc(4 * (size_t)x.P + (size_t)x.bands * LLMD_BAND_KEY_SIZE);
        if (x.scratch[w].json == NULL || x.scratch[w].bytes == NULL) {
            rc = cli_error("minhash", "out of memory");
            goto out;
        }
    }
    x.field = c.field;
    x.skip_bad = c.skip_bad;
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.stats = &stats;
    rc = cli_run_jsonl_parallel("minhash", &c, x.threads, mh_work, mh_tally, &x, &stats);
out:
    llmd_minhasher_free(x.mh);
    for (unsigned w = 0; x.scratch && w < x.n_scratch; w++) {
        cli_texts_free(&x.scratch[w].t);
        free(x.scratch[w].sigs);
        free(x.scratch[w].json);
        free(x.scratch[w].bytes);
    }
    free(x.scratch);
    cli_common_free(&c);
    return rc;
}
