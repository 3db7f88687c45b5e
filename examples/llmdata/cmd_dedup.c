/* llmdata dedup — drop exact and near-duplicate JSONL documents.  Cluster mode (the default) lives in
 * dedup_cluster.c; this file parses the options and runs the one-pass modes (--streaming,
 * --exact-only, --index). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dedup_cluster.h"

static const char usage_text[] =
    "usage: llmdata dedup [options] [INPUT...]\n"
    "\n"
    "Removes exact and near-duplicate JSONL documents and writes the kept objects unchanged.\n"
    "Near duplicates: MinHash of word n-grams (case, punctuation and white space folded) and LSH.\n"
    "\n"
    "Cluster mode (the default) decides on whole-corpus clusters, as datatrove's MinhashDedup*\n"
    "stages and text-dedup do: pass 1 computes every document's signature and exact hash, LSH\n"
    "candidate pairs (documents sharing a band key) are verified, a union-find over ALL documents\n"
    "(removed ones included) joins every verified pair, and the output keeps exactly one document\n"
    "per cluster: the first in input order.  copy1 - base - copy2 is one cluster even when the\n"
    "copies are not similar enough to each other and come first.  The input is read again to\n"
    "write the kept documents (and, with --verify exact, once more for the shingle sets of the\n"
    "documents that have candidates).  Input that cannot be read twice (standard input, a pipe)\n"
    "is spooled once to an unlinked temporary zstd file in $TMPDIR (default /tmp) while pass 1\n"
    "reads it.  Memory: ~200 bytes per document (band keys, priority, link, union-find; +512 with\n"
    "--verify estimate/none, which keep the signature), plus the shingle sets (8 bytes per word\n"
    "n-gram) of candidate documents only: ~380 MB per million short documents measured.\n"
    "\n";
/* (two strings: C11 compilers need only support 4095-byte literals) */
static const char usage_options[] =
    "  --streaming            one pass, for unbounded input: each document is compared with the\n"
    "                         documents KEPT so far and dropped or written at once (the previous\n"
    "                         default).  Weaker: the result depends on the order, and a chain\n"
    "                         copy1, copy2, base keeps both copies.  Defaults there: bands from\n"
    "                         datasketch's optimum (9x13 at 0.8), --verify estimate.\n"
    "  --exact-only           only exact duplicates (XXH3-128 of the field's bytes; one pass)\n"
    "  --normalize            with --exact-only: hash the folded text (lower case, words joined by\n"
    "                         one space: punctuation and white space differences ignored)\n"
    "  --threshold T          Jaccard threshold in (0, 1] (default 0.8)\n"
    "  --num-perm N           MinHash permutations (default 128)\n"
    "  --ngram N              words per shingle (default 5)\n"
    "  --chars                character n-grams instead of word n-grams\n"
    "  --seed S               hash seed (default 1)\n"
    "  --bands B --rows R     LSH bands x rows.  Default in cluster mode: the most rows for which\n"
    "                         a pair at threshold + 0.05 is a candidate with probability >= 0.99;\n"
    "                         at 0.8 with 128 permutations 16x8, whose S-curve\n"
    "                         P(candidate) = 1 - (1 - J^8)^16 is:\n"
    "                           J  0.50   0.60   0.70   0.75   0.80   0.85   0.90   0.95\n"
    "                           P  0.061  0.237  0.613  0.815  0.947  0.994  1.000  1.000\n"
    "  --verify MODE          how a candidate pair is confirmed (>= threshold):\n"
    "                         exact (cluster default): exact Jaccard of the two shingle sets;\n"
    "                         estimate (streaming default): the signatures' estimated Jaccard\n"
    "                         (standard error ~0.03 at 0.8 with 128 permutations, so pairs near\n"
    "                         the threshold go either way); none (cluster mode): every candidate\n"
    "                         pair is a duplicate (datatrove's rule)\n"
    "  --index FILE           streaming mode only (implies --streaming): load FILE if it exists,\n"
    "                         dedup against it, save the updated index (a loaded index keeps the\n"
    "                         threshold and bands it was built with; --num-perm/--ngram/--chars/\n"
    "                         --seed must match it)\n"
    "  --report FILE          JSONL, one line per removed document in input order. Cluster mode:\n"
    "                         {\"id\":..,\"kept\":..,\"linked\":..,\"jaccard\":..,\"cluster_size\":..}:\n"
    "                         kept = the cluster's kept document, linked + jaccard = the verified\n"
    "                         pair with the highest Jaccard that tied this document into its\n"
    "                         cluster (1 for an exact copy).  Streaming: {\"id\":..,\"kept\":..,\n"
    "                         \"jaccard\":..} with the best-matching earlier document.  Ids: the\n"
    "                         \"id\" member as written, else the input line number.\n"
    "  --threads N            signature threads per batch (0 = one per CPU, default 1)\n"
    "  --field NAME           text field (default text)\n"
    "  --skip-bad             skip malformed lines and documents without the field (counted)\n"
    "  -o, --output FILE      write here instead of standard output; FILE.parquet: Parquet (the\n"
    "                         Parquet inputs' schema, else typed JSON members: see the README)\n"
    "  -q, --quiet            no summary line\n"
    "\n"
    "The summary line gives the removed documents, the clusters by size (2, 3, 4-5, 6-10, 11-100,\n"
    ">100 members) and the largest, the candidate pairs verified, and the job's peak memory.\n";

typedef struct exact_slot { uint8_t h[16]; char *id; int used; } exact_slot;

typedef struct dd_ctx {
    const char *field;
    bool skip_bad, exact_only, normalize, verify_exact;
    unsigned threads;
    llmd_minhasher *mh;
    llmd_lsh_index *idx;
    uint32_t P;
    cli_out report;
    bool has_report, report_failed;
    cli_stats *stats;
    uint64_t near, exact, missing;
    exact_slot *ex;
    size_t ex_n, ex_cap;
    cli_texts t;
    size_t sig_cap;
    uint32_t *sigs;
} dd_ctx;

/* The document's id as JSON text: the raw "id" member, else the line number. */
static char *doc_id(llmd_json_doc *d, uint64_t line) {
    const char *raw;
    size_t len;
    char tmp[32];
    if (llmd_json_doc_get_raw(d, "id", &raw, &len) != LLMD_OK) {
        len = (size_t)snprintf(tmp, sizeof tmp, "%llu", (unsigned long long)line);
        raw = tmp;
    }
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, raw, len);
        s[len] = '\0';
    }
    return s;
}

/* Exact mode: id of the first document with this hash, or NULL after inserting it (id owned). */
static int exact_lookup(dd_ctx *x, const uint8_t h[16], char *id, const char **kept) {
    *kept = NULL;
    if ((x->ex_n + 1) * 2 > x->ex_cap) {
        size_t nc = x->ex_cap ? x->ex_cap * 2 : 1024;
        exact_slot *n = calloc(nc, sizeof *n);
        if (n == NULL) return -1;
        for (size_t i = 0; i < x->ex_cap; i++) {
            if (!x->ex[i].used) continue;
            size_t j;
            memcpy(&j, x->ex[i].h, sizeof j);
            for (j &= nc - 1; n[j].used; j = (j + 1) & (nc - 1)) {}
            n[j] = x->ex[i];
        }
        free(x->ex);
        x->ex = n;
        x->ex_cap = nc;
    }
    size_t j;
    memcpy(&j, h, sizeof j);
    for (j &= x->ex_cap - 1; x->ex[j].used; j = (j + 1) & (x->ex_cap - 1))
        if (memcmp(x->ex[j].h, h, 16) == 0) {
            *kept = x->ex[j].id;
            free(id);
            return 0;
        }
    memcpy(x->ex[j].h, h, 16);
    x->ex[j].id = id;
    x->ex[j].used = 1;
    x->ex_n++;
    return 0;
}

static void update_extra(dd_ctx *x) {
    int w = x->exact_only
        ? snprintf(x->stats->extra, sizeof x->stats->extra, "exact-dups %llu", (unsigned long long)x->exact)
        : snprintf(x->stats->extra, sizeof x->stats->extra, "dups %llu (identical signature %llu)",
                   (unsigned long long)(x->exact + x->near), (unsigned long long)x->exact);
    if (x->missing && w > 0 && (size_t)w < sizeof x->stats->extra)
        snprintf(x->stats->extra + w, sizeof x->stats->extra - (size_t)w, ", without \"%s\" %llu", x->field,
                 (unsigned long long)x->missing);
}

static int dd_batch(void *ctx, llmd_json_doc **docs, size_t n, int *verdict, const uint64_t *line,
                    const char *const *src) {
    dd_ctx *x = ctx;
    if (n > x->sig_cap) {
        free(x->sigs);
        x->sigs = malloc(n * x->P * sizeof *x->sigs);
        if (!x->sigs) return cli_error("dedup", "out of memory");
        x->sig_cap = n;
    }
    if (cli_batch_texts("dedup", &x->t, docs, n, x->field, x->skip_bad, verdict, x->stats, &x->missing, line, src))
        return 1;
    size_t m = x->t.n;
    if (x->exact_only) {
        for (size_t k = 0; k < m; k++) {
            uint8_t h[16];
            llmd_status st = llmd_exact_hash(x->t.texts[k], x->t.lens[k],
                                             x->normalize ? LLMD_EXACT_NORMALIZED : LLMD_EXACT_RAW, h);
            if (st != LLMD_OK) return cli_lib_error("hashing a document", st);
            size_t i = x->t.map[k];
            char *id = doc_id(docs[i], line[i]);
            if (id == NULL) return cli_error("dedup", "out of memory");
            const char *kept;
            char *id_copy = x->has_report ? strdup(id) : NULL;
            if (exact_lookup(x, h, id, &kept) != 0) {
                free(id_copy);
                return cli_error("dedup", "out of memory");
            }
            if (kept) {
                verdict[i] = CLI_DROP;
                x->exact++;
                if (x->has_report && !x->report_failed &&
                    cli_out_printf("dedup", &x->report, "{\"id\":%s,\"kept\":%s,\"jaccard\":1}\n", id_copy, kept) != 0)
                    x->report_failed = true;
            }
            free(id_copy);
        }
        update_extra(x);
        return 0;
    }
    llmd_status st = LLMD_OK;
    if (!x->verify_exact) st = llmd_minhash_batch(x->mh, x->t.texts, x->t.lens, m, x->threads, x->sigs, NULL);
    if (st != LLMD_OK) return cli_lib_error("computing signatures", st);
    for (size_t k = 0; k < m; k++) {
        size_t i = x->t.map[k];
        char *id = doc_id(docs[i], line[i]);
        if (id == NULL) return cli_error("dedup", "out of memory");
        llmd_lsh_match r;
        if (x->verify_exact) {
            uint64_t *sh = NULL;
            size_t nsh = 0;
            st = llmd_minhash_shingles(x->mh, x->t.texts[k], x->t.lens[k], x->sigs + k * x->P, &sh, &nsh);
            if (st == LLMD_OK)
                st = llmd_lsh_index_insert_shingles(x->idx, id, strlen(id), x->sigs + k * x->P, sh, nsh, 0, &r);
            llmd_free(sh);
        } else {
            st = llmd_lsh_index_insert(x->idx, id, strlen(id), x->sigs + k * x->P, 0, &r);
        }
        if (st != LLMD_OK) {
            free(id);
            return cli_lib_error("inserting into the index", st);
        }
        if (r.duplicate) {
            verdict[i] = CLI_DROP;
            double jr = r.match_jaccard;
            if (jr == 1.0) x->exact++;
            else x->near++;
            if (x->has_report && !x->report_failed) {
                size_t kl;
                const char *kid = llmd_lsh_index_key(x->idx, r.representative, &kl);
                if (cli_out_printf("dedup", &x->report, "{\"id\":%s,\"kept\":%.*s,\"jaccard\":%.4f}\n", id, (int)kl,
                                   kid, jr) != 0)
                    x->report_failed = true;
            }
        }
        free(id);
    }
    update_extra(x);
    return 0;
}

int cmd_dedup(int argc, char **argv);
int cmd_dedup(int argc, char **argv) {
    cli_common c;
    cli_common_init(&c);
    dd_ctx x;
    memset(&x, 0, sizeof x);
    x.threads = 1;
    llmd_minhash_options mo;
    llmd_minhash_options_init(&mo);
    llmd_lsh_options lo = LLMD_LSH_OPTIONS_INIT;
    const char *index_path = NULL, *report_path = NULL;
    int rc = 0, verify = -1;
    bool streaming = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        uint64_t u;
        int r = cli_parse_common(&c, argc, argv, &i);
        if (r < 0) { rc = 2; goto out; }
        if (r > 0) continue;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            fputs(usage_options, stdout);
            goto out;
        } else if (strcmp(a, "--exact-only") == 0) x.exact_only = true;
        else if (strcmp(a, "--streaming") == 0) streaming = true;
        else if (strcmp(a, "--normalize") == 0) x.normalize = true;
        else if (strcmp(a, "--chars") == 0) mo.shingle_mode = LLMD_SHINGLE_CHARS;
        else if (strcmp(a, "--verify") == 0) {
            if (cli_need_value(argc, argv, &i, &v)) { rc = 2; goto out; }
            if (strcmp(v, "exact") == 0) verify = LLMD_VERIFY_EXACT;
            else if (strcmp(v, "estimate") == 0) verify = LLMD_VERIFY_ESTIMATE;
            else if (strcmp(v, "none") == 0) verify = LLMD_VERIFY_NONE;
            else {
                fprintf(stderr, "llmdata dedup: --verify expects 'exact', 'estimate' or 'none', got '%s'\n", v);
                rc = 2;
                goto out;
            }
        } else if (strcmp(a, "--threshold") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_double("--threshold", v, &lo.threshold)) { rc = 2; goto out; }
        } else if (strcmp(a, "--num-perm") == 0 || strcmp(a, "--ngram") == 0 || strcmp(a, "--bands") == 0 ||
                   strcmp(a, "--rows") == 0 || strcmp(a, "--threads") == 0 || strcmp(a, "--seed") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64(a, v, &u)) { rc = 2; goto out; }
            if (strcmp(a, "--seed") != 0 && u > 4096) {
                fprintf(stderr, "llmdata dedup: %s must be at most 4096, got %llu\n", a, (unsigned long long)u);
                rc = 2;
                goto out;
            }
            if (a[2] == 'n' && a[3] == 'u') mo.num_perm = (uint32_t)u;
            else if (a[2] == 'n') mo.ngram = (uint32_t)u;
            else if (a[2] == 'b') lo.bands = (uint32_t)u;
            else if (a[2] == 'r') lo.rows = (uint32_t)u;
            else if (a[2] == 't') x.threads = (unsigned)u;
            else mo.seed = u;
        } else if (strcmp(a, "--index") == 0) {
            if (cli_need_value(argc, argv, &i, &index_path)) { rc = 2; goto out; }
            c.n_reads = 0;  /* read and saved again in place (atomically): -o/--report must not name it */
            c.reads[c.n_reads++] = index_path;
        } else if (strcmp(a, "--report") == 0) {
            if (cli_need_value(argc, argv, &i, &report_path)) { rc = 2; goto out; }
            c.n_also_writes = 0;
            c.also_writes[c.n_also_writes++] = report_path;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "llmdata dedup: unknown option '%s'\n", a);
            rc = cli_usage(usage_text);
            goto out;
        } else if (cli_add_input(&c, a) != 0) {
            rc = cli_error("dedup", "out of memory");
            goto out;
        }
    }
    if (x.exact_only && index_path) {
        fprintf(stderr, "llmdata dedup: --index is for near-duplicate runs, not with --exact-only\n");
        rc = 2;
        goto out;
    }
    if (index_path) streaming = true;  /* an index is a one-pass, incremental thing */
    if (!x.exact_only && !streaming) {
        if (cli_check_common_outputs("dedup", &c)) {  /* -o/--report never name an input */
            rc = 1;
            goto out;
        }
        dedup_cluster_args ca;
        memset(&ca, 0, sizeof ca);
        ca.common = &c;
        ca.minhash = mo;
        llmd_dedup_cluster_options co = LLMD_DEDUP_CLUSTER_OPTIONS_INIT;
        co.threshold = lo.threshold;
        co.bands = lo.bands;
        co.rows = lo.rows;
        co.verify = verify < 0 ? LLMD_VERIFY_EXACT : verify;
        ca.cluster = co;
        ca.threads = x.threads;
        ca.report_path = report_path;
        rc = dedup_cluster_run(&ca);
        goto out;
    }
    if (verify == LLMD_VERIFY_NONE) {
        fprintf(stderr, "llmdata dedup: --verify none is for cluster mode, not with --streaming/--index\n");
        rc = 2;
        goto out;
    }
    lo.verify_exact = verify == LLMD_VERIFY_EXACT;
    llmd_status st;
    if (!x.exact_only) {
        if ((st = llmd_minhasher_new(&x.mh, &mo)) != LLMD_OK) {
            fprintf(stderr, "llmdata dedup: %s\n", llmd_last_error());
            rc = 2;
            goto out;
        }
        x.P = mo.num_perm;
        st = index_path ? llmd_lsh_index_load(&x.idx, index_path, &mo) : LLMD_ERR_NOT_FOUND;
        if (st == LLMD_ERR_NOT_FOUND) st = llmd_lsh_index_new(&x.idx, &mo, &lo);
        x.verify_exact = lo.verify_exact != 0;
        if (st != LLMD_OK) {
            fprintf(stderr, "llmdata dedup: %s\n", llmd_last_error());
            rc = st == LLMD_ERR_INVALID_ARG ? 2 : 1;
            goto out;
        }
    }
    if (cli_check_common_outputs("dedup", &c)) {  /* before the report is created */
        rc = 1;
        goto out;
    }
    if (report_path) {
        if (cli_out_open("dedup", &x.report, report_path) != 0) {
            rc = 1;
            goto out;
        }
        x.has_report = true;
    }
    x.field = c.field;
    x.skip_bad = c.skip_bad;
    if (x.threads != 1 && c.batch < 4096) c.batch = 4096;
    cli_stats stats;
    memset(&stats, 0, sizeof stats);
    x.stats = &stats;
    update_extra(&x);
    rc = cli_run_jsonl("dedup", &c, dd_batch, &x, &stats);
    if (rc == 0 && index_path && (st = llmd_lsh_index_save(x.idx, index_path)) != LLMD_OK)
        rc = cli_lib_error("saving the index", st);
    if (x.has_report && rc == 0 && (x.report_failed || cli_out_commit("dedup", &x.report) != 0)) rc = 1;
out:
    if (x.has_report) cli_out_close(&x.report);  /* not committed after an error: removed */
    llmd_minhasher_free(x.mh);
    llmd_lsh_index_free(x.idx);
    for (size_t i = 0; i < x.ex_cap; i++) free(x.ex[i].id);
    free(x.ex);
    cli_texts_free(&x.t);
    free(x.sigs);
    cli_common_free(&c);
    return rc;
}
