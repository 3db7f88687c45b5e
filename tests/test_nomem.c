/* Allocation-failure injection over the public API (issue 19).
 *
 * Every allocation the library makes goes through llmd_set_allocator's hooks.  This suite installs
 * a counting allocator, runs a scenario (a realistic sequence of calls on one module) once to count
 * its allocations, then reruns it failing the 1st, 2nd, ... Nth allocation in turn.  Each rerun in
 * which an allocation failed must:
 *   - return LLMD_ERR_NOMEM from the call that could not allocate (the documented code),
 *   - leave a message in llmd_last_error() that says so ("out of memory"),
 *   - free everything: the allocator's count of live blocks is back where it started
 *     (a leak on an error path shows as a positive balance),
 *   - not crash (the suite runs under ASan/UBSan in CI's sanitizer build as well).
 * A rerun in which no allocation was reached (the scenario took another path) must succeed.
 *
 * Scenarios run on one thread (threads = 1) so the Nth allocation is the same one every run.
 */
#include <dirent.h>
#include <execinfo.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* ---- the counting allocator ------------------------------------------------------------------ */
static atomic_long calls;   /* allocation attempts in this run */
static atomic_long live;    /* blocks allocated and not yet freed */
static atomic_long fail_at; /* 1-based attempt that fails; 0: none */
static atomic_int injected;

/* A place for a debugger breakpoint: `break injection_point` stops at the failing allocation. */
__attribute__((noinline)) static void injection_point(void) { __asm__ volatile(""); }
static int should_fail(void) {
    long k = atomic_fetch_add(&calls, 1) + 1;
    if (k == atomic_load(&fail_at)) {
        injection_point();
        atomic_store(&injected, 1);
        return 1;
    }
    return 0;
}
/* LLMD_NOMEM_TRACE=1: the blocks a leaking run left are printed with their call stacks (for
 * addr2line), to find the leak.  Single-threaded scenarios only. */
enum { TRACE_MAX = 1 << 16, TRACE_DEPTH = 16 };
static struct { void *p; void *stack[TRACE_DEPTH]; int depth; } trace[TRACE_MAX];
static int tracing;
static void trace_add(void *p) {
    if (!tracing || p == NULL) return;
    for (int i = 0; i < TRACE_MAX; i++)
        if (trace[i].p == NULL) {
            trace[i].p = p;
            trace[i].depth = backtrace(trace[i].stack, TRACE_DEPTH);
            return;
        }
}
/* By address: after realloc the old pointer may only be compared as a number (-Wuse-after-free). */
static void trace_del(uintptr_t addr) {
    if (!tracing || addr == 0) return;
    for (int i = 0; i < TRACE_MAX; i++)
        if ((uintptr_t)trace[i].p == addr) { trace[i].p = NULL; return; }
}
static void trace_report(void) {
    for (int i = 0; i < TRACE_MAX; i++)
        if (trace[i].p) {
            fprintf(stderr, "nomem: block %p left by:\n", trace[i].p);
            backtrace_symbols_fd(trace[i].stack, trace[i].depth, 2);
        }
}
static void *t_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (should_fail()) return NULL;
    void *p = malloc(n);
    if (p) atomic_fetch_add(&live, 1);
    trace_add(p);
    return p;
}
static void *t_realloc(void *ctx, void *p, size_t old, size_t n) {
    (void)ctx;
    (void)old;
    if (should_fail()) return NULL;
    /* bookkeeping before the call: after realloc the old pointer may not be used (-Wuse-after-free);
     * a real (not injected) realloc failure only loses a trace entry of this debugging aid */
    int fresh = p == NULL;
    trace_del((uintptr_t)p);
    void *q = realloc(p, n);
    if (q && fresh) atomic_fetch_add(&live, 1);
    if (q) trace_add(q);
    return q;
}
static void t_free(void *ctx, void *p) {
    (void)ctx;
    if (p == NULL) return;
    atomic_fetch_sub(&live, 1);
    trace_del((uintptr_t)p);
    free(p);
}

static void install(void) {
    llmd_allocator a = {LLMD_ALLOCATOR_VERSION, t_malloc, t_realloc, t_free, NULL};
    ck_ok(llmd_set_allocator(&a));
}
static void uninstall(void) { ck_ok(llmd_set_allocator(NULL)); }

/* A digest of a scenario's results: a run in which the library absorbed a failed allocation (a
 * cache it could not grow, a fallback sort) must still produce exactly the clean run's results. */
static uint64_t digest;
static void mix(const void *p, size_t n) {
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) digest = (digest ^ b[i]) * 0x100000001B3ull;
    digest = (digest ^ n) * 0x100000001B3ull;
}
#define MIXV(v) do { uint64_t v_ = (uint64_t)(v); mix(&v_, sizeof v_); } while (0)
static void mix_spans(const llmd_pii_span *sp, size_t n) {
    for (size_t i = 0; i < n; i++) {
        mix(sp[i].type, strlen(sp[i].type));
        MIXV(sp[i].type_id);
        MIXV(sp[i].start);
        MIXV(sp[i].end);
    }
}

/* A scenario: returns LLMD_OK when every call succeeded, else the first failing call's status,
 * having freed everything it made (as a careful caller does). */
typedef llmd_status (*scenario)(void);

/* A scenario that runs its calls on a thread of its own leaves its message here (llmd_last_error()
 * is per thread). */
static char scenario_msg[1024];
static int scenario_msg_set;
static const char *scenario_error(void) { return scenario_msg_set ? scenario_msg : llmd_last_error(); }

static long run_injected(const char *name, scenario f) {
    install();
    /* First run: counts, and lets one-time initialisations (static tables) happen. */
    atomic_store(&fail_at, 0);
    atomic_store(&calls, 0);
    digest = 0xCBF29CE484222325ull;
    scenario_msg_set = 0;
    llmd_status st = f();
    uint64_t clean_digest = digest;
    ck_assert_msg(st == LLMD_OK, "%s: clean run -> %s: %s", name, llmd_status_str(st), scenario_error());
    long total = atomic_load(&calls);
    ck_assert_msg(total > 0, "%s: the scenario allocates nothing through the hooks", name);
    long failures = 0, absorbed = 0;
    /* LLMD_NOMEM_FROM=K starts at the Kth allocation (to reproduce one failure quickly) */
    long from = getenv("LLMD_NOMEM_FROM") ? atol(getenv("LLMD_NOMEM_FROM")) : 1;
    for (long k = from > 0 ? from : 1; k <= total; k++) {
        long live0 = atomic_load(&live);
        atomic_store(&calls, 0);
        atomic_store(&injected, 0);
        atomic_store(&fail_at, k);
        llmd_clear_error();
        digest = 0xCBF29CE484222325ull;
        tracing = getenv("LLMD_NOMEM_TRACE") != NULL;
        memset(trace, 0, sizeof trace);
        scenario_msg_set = 0;
        st = f();
        atomic_store(&fail_at, 0);
        long leaked = atomic_load(&live) - live0;
        if (leaked && tracing) trace_report();
        tracing = 0;
        ck_assert_msg(leaked == 0, "%s: failing allocation %ld of %ld -> %s, %ld block(s) leaked", name, k,
                      total, llmd_status_str(st), leaked);
        if (st == LLMD_OK) { /* nothing failed, or the library worked around it: same results */
            ck_assert_msg(digest == clean_digest, "%s: allocation %ld of %ld failed%s, the call succeeded "
                          "but its results differ from the clean run's", name, k, total,
                          atomic_load(&injected) ? "" : " (none)");
            absorbed += atomic_load(&injected);
            continue;
        }
        ck_assert_msg(atomic_load(&injected), "%s: run %ld without a failed allocation -> %s: %s", name, k,
                      llmd_status_str(st), scenario_error());
        failures++;
        ck_assert_msg(st == LLMD_ERR_NOMEM, "%s: failing allocation %ld of %ld -> %s (wanted NOMEM): %s", name,
                      k, total, llmd_status_str(st), scenario_error());
        ck_assert_msg(strstr(scenario_error(), "memory") != NULL, "%s: allocation %ld: message '%s'", name, k,
                      scenario_error());
    }
    /* After all that the scenario still works, with the same results. */
    digest = 0xCBF29CE484222325ull;
    scenario_msg_set = 0;
    st = f();
    ck_assert_msg(digest == clean_digest, "%s: final run: results differ", name);
    ck_assert_msg(st == LLMD_OK, "%s: final run -> %s: %s", name, llmd_status_str(st), scenario_error());
    uninstall();
    ck_assert_msg(failures > 0, "%s: no allocation failure was injected", name);
    fprintf(stderr, "nomem: %-22s %5ld allocations failed in turn: %ld -> LLMD_ERR_NOMEM, %ld absorbed "
            "(same results)\n", name, total, failures, absorbed);
    return total;
}

#define TRY(expr) do { st = (expr); if (st != LLMD_OK) goto out; } while (0)

/* A per-process scratch directory for scenarios that write files. */
static char scratch[256];
static const char *scratch_path(const char *name) {
    static char p[512];
    if (scratch[0] == '\0') {
        snprintf(scratch, sizeof scratch, "/tmp/llmd-nomem-%ld", (long)getpid());
        mkdir(scratch, 0700);
    }
    snprintf(p, sizeof p, "%s/%s", scratch, name);
    return p;
}

static const char *const docs[] = {
    "<p>The quick brown fox jumps over the lazy dog.  Mail me at jane.doe@example.com or call "
    "+1 415 555 0100.</p>\nThe card 4111 1111 1111 1111 and IP 192.168.1.20 are not mine.\n",
    "The quick brown fox jumps over the lazy dog.  It was the best of times, it was the worst of times.\n"
    "It was the age of wisdom, it was the age of foolishness, and that is all there is to say.\n"
    "It was the age of wisdom, it was the age of foolishness, and that is all there is to say.\n",
    "Caf\xC3\xA9 na\xC3\xAFve r\xC3\xA9sum\xC3\xA9 \xE2\x80\x94 \xE6\x97\xA5\xE6\x9C\xAC\xE8\xAA\x9E "
    "text with &amp; entities &#233; and\ttabs.\n",
};
#define NDOCS (sizeof docs / sizeof docs[0])

/* ---- io --------------------------------------------------------------------------------------- */
static llmd_status s_json(void) {
    llmd_json_doc *d = NULL;
    llmd_status st;
    const char *v, *out;
    size_t n;
    const char *js = "{\"id\": 7, \"text\": \"caf\\u00e9 \\ud83d\\ude00 line\\nnext\", \"meta\": {\"a\": [1, 2]}}";
    TRY(llmd_json_doc_new(&d));
    TRY(llmd_json_doc_parse(d, js, strlen(js)));
    TRY(llmd_json_doc_get_string(d, "text", &v, &n));
    mix(v, n);
    TRY(llmd_json_doc_set_string(d, "text", "new \"text\"\n\x01", 12));
    TRY(llmd_json_doc_set_string(d, "added", "x", 1));
    TRY(llmd_json_doc_set_raw(d, "meta", "{\"b\": null}", 11));
    TRY(llmd_json_doc_remove(d, "id"));
    TRY(llmd_json_doc_render(d, &out, &n));
    TRY(llmd_json_doc_parse(d, out, n)); /* a second parse on the same doc reuses its buffers */
    TRY(llmd_json_doc_render(d, &out, &n));
    mix(out, n);
out:
    llmd_json_doc_free(d);
    return st;
}

static llmd_status s_output_reader(void) {
    llmd_output *o = NULL;
    llmd_reader *r = NULL;
    llmd_status st;
    const char *path = scratch_path("io.jsonl");
    TRY(llmd_output_open(&o, path, NULL));
    for (int i = 0; i < 200; i++) {
        char line[128];
        int len = snprintf(line, sizeof line, "{\"text\": \"line %d of the file\"}\r\n", i);
        TRY(llmd_output_write(o, line, (size_t)len));
    }
    TRY(llmd_output_commit(o));
    TRY(llmd_reader_open(&r, path, NULL));
    const char *line;
    size_t len;
    do {
        TRY(llmd_reader_next_line(r, &line, &len));
        if (line) mix(line, len);
    } while (line != NULL);
out:
    llmd_output_free(o);
    llmd_reader_free(r);
    return st;
}

/* ---- text ------------------------------------------------------------------------------------- */
static llmd_status s_text(void) {
    llmd_redactor *r = NULL;
    llmd_text_batch *b = NULL;
    char *out = NULL;
    llmd_pii_span *spans = NULL;
    size_t n, ns, failed;
    llmd_status st;
    llmd_clean_options co = LLMD_CLEAN_OPTIONS_INIT;
    TRY(llmd_clean_text(docs[0], strlen(docs[0]), &co, &out, &n));
    mix(out, n);
    llmd_free(out);
    out = NULL;
    TRY(llmd_clean_text(docs[2], strlen(docs[2]), &co, &out, &n));
    mix(out, n);
    llmd_free(out);
    out = NULL;
    TRY(llmd_redactor_new(&r, NULL));
    TRY(llmd_redactor_find(r, docs[0], strlen(docs[0]), &spans, &ns));
    mix_spans(spans, ns);
    llmd_free(spans);
    spans = NULL;
    TRY(llmd_redactor_redact(r, docs[0], strlen(docs[0]), &out, &n, &spans, &ns));
    mix(out, n);
    llmd_free(out);
    llmd_free(spans);
    out = NULL;
    spans = NULL;
    TRY(llmd_clean_and_redact(docs[0], strlen(docs[0]), &co, r, &out, &n, &spans, &ns));
    mix(out, n);
    mix_spans(spans, ns);
    size_t lens[NDOCS];
    for (size_t i = 0; i < NDOCS; i++) lens[i] = strlen(docs[i]);
    TRY(llmd_text_batch_run(docs, lens, NDOCS, 1, &co, r, 1, &b, &failed));
out:
    llmd_free(out);
    llmd_free(spans);
    llmd_text_batch_free(b);
    llmd_redactor_free(r);
    return st;
}

/* ---- filter ----------------------------------------------------------------------------------- */
static char long_doc[8192];
static void make_long_doc(void) {
    size_t n = 0;
    static const char *const sent[] = {
        "The history of the river valley is told in the old records of the town.\n",
        "Farmers and traders came to the market with grain, wool and salt.\n",
        "- a bullet line that repeats\n",
        "It was the age of wisdom and of the best of times for them.\n",
        "Short line\n",
    };
    for (int i = 0; n + 100 < sizeof long_doc; i++) {
        const char *s = sent[i % 5];
        memcpy(long_doc + n, s, strlen(s));
        n += strlen(s);
    }
    long_doc[n] = '\0';
}

static llmd_status s_filter_calls(void) {
    llmd_filter *f = NULL;
    llmd_filter_stats *stats = NULL;
    llmd_filter_result res[NDOCS + 1];
    memset(res, 0, sizeof res);
    llmd_status st;
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.filters = "c4,badwords,gopher,gopher-repetition,fineweb";
    o.c4_min_num_sentences = -1;
    o.gopher_min_doc_words = 5;
    TRY(llmd_filter_new(&f, &o));
    TRY(llmd_filter_stats_new(&stats));
    TRY(llmd_filter_apply(f, long_doc, strlen(long_doc), &res[0], stats));
    MIXV(res[0].keep);
    MIXV(res[0].reason);
    if (res[0].text) mix(res[0].text, res[0].len);
    llmd_free(res[0].text);
    res[0].text = NULL;
    const char *texts[NDOCS + 1];
    size_t lens[NDOCS + 1];
    for (size_t i = 0; i < NDOCS; i++) texts[i] = docs[i], lens[i] = strlen(docs[i]);
    texts[NDOCS] = long_doc;
    lens[NDOCS] = strlen(long_doc);
    TRY(llmd_filter_batch(f, texts, lens, NDOCS + 1, 1, res, stats));
    for (size_t i = 0; i <= NDOCS; i++) {
        MIXV(res[i].keep);
        MIXV(res[i].reason);
        if (res[i].text) mix(res[i].text, res[i].len);
    }
out:
    for (size_t i = 0; i <= NDOCS; i++) llmd_free(res[i].text);
    llmd_filter_stats_free(stats);
    llmd_filter_free(f);
    return st;
}

/* ---- dedup ------------------------------------------------------------------------------------ */
static llmd_status s_exact(void) {
    llmd_exact_set *set = NULL;
    llmd_line_dedup *ld = NULL;
    char *out = NULL;
    size_t n, removed;
    llmd_status st;
    uint8_t h[16];
    TRY(llmd_exact_set_new(&set, NULL));
    for (int i = 0; i < 300; i++) { /* several doublings */
        char t[32];
        int len = snprintf(t, sizeof t, "doc %d", i % 250);
        TRY(llmd_exact_hash(t, (size_t)len, 0, h));
        int was_new;
        TRY(llmd_exact_set_insert(set, h, &was_new));
        MIXV(was_new);
    }
    TRY(llmd_fold_text(docs[2], strlen(docs[2]), &out, &n));
    mix(out, n);
    llmd_free(out);
    out = NULL;
    llmd_line_dedup_options lo = LLMD_LINE_DEDUP_OPTIONS_INIT;
    lo.min_docs = 2;
    TRY(llmd_line_dedup_new(&ld, &lo));
    for (int i = 0; i < 60; i++) { /* grows the line table */
        char t[128];
        int len = snprintf(t, sizeof t, "line a %d\nline b %d\r\nshared line\nline c %d", i, i / 2, i % 7);
        TRY(llmd_line_dedup_count(ld, t, (size_t)len));
    }
    TRY(llmd_line_dedup_filter(ld, docs[1], strlen(docs[1]), &out, &n, &removed));
    mix(out, n);
    MIXV(removed);
    MIXV(llmd_line_dedup_distinct_lines(ld));
out:
    llmd_free(out);
    llmd_line_dedup_free(ld);
    llmd_exact_set_free(set);
    return st;
}

static llmd_status s_lsh(void) {
    llmd_minhasher *h = NULL;
    llmd_lsh_index *x = NULL, *y = NULL;
    uint64_t *sh = NULL;
    llmd_status st;
    llmd_minhash_options mo = LLMD_MINHASH_OPTIONS_INIT;
    mo.num_perm = 64;
    mo.ngram = 2;
    uint32_t sig[64];
    size_t nsh;
    llmd_lsh_options lo = LLMD_LSH_OPTIONS_INIT;
    lo.threshold = 0.5;
    lo.verify_exact = 1;
    TRY(llmd_minhasher_new(&h, &mo));
    TRY(llmd_lsh_index_new(&x, &mo, &lo));
    for (int i = 0; i < 40; i++) {
        char t[512], key[16];
        int len = snprintf(t, sizeof t, "%s variant %d", docs[i % NDOCS], i % 4);
        int kl = snprintf(key, sizeof key, "k%d", i);
        llmd_lsh_match m;
        TRY(llmd_minhash_shingles(h, t, (size_t)len, sig, &sh, &nsh));
        TRY(llmd_lsh_index_insert_shingles(x, key, (size_t)kl, sig, sh, nsh, (uint64_t)i, &m));
        MIXV(m.duplicate);
        MIXV(m.duplicate ? m.match : 0);
        MIXV(m.representative);
        llmd_free(sh);
        sh = NULL;
        TRY(llmd_minhash(h, t, (size_t)len, sig, &nsh));
        TRY(llmd_lsh_index_insert(x, key, (size_t)kl, sig, (uint64_t)i, &m));
        MIXV(m.duplicate);
        MIXV(m.duplicate ? m.match : 0);
    }
    uint64_t found[8];
    size_t nf;
    TRY(llmd_lsh_index_query(x, sig, found, 8, &nf));
    MIXV(nf); /* the total count: only the first 8 entries are written */
    mix(found, (nf < 8 ? nf : 8) * sizeof *found);
    const char *path = scratch_path("lsh.idx");
    TRY(llmd_lsh_index_save(x, path));
    TRY(llmd_lsh_index_load(&y, path, &mo));
    llmd_lsh_match m;
    TRY(llmd_lsh_index_insert(y, "z", 1, sig, 99, &m));
    MIXV(m.duplicate);
    MIXV(m.duplicate ? m.match : 0);
    MIXV(m.representative);
out:
    llmd_free(sh);
    llmd_lsh_index_free(y);
    llmd_lsh_index_free(x);
    llmd_minhasher_free(h);
    return st;
}

static llmd_status s_clusters(void) {
    llmd_minhasher *h = NULL;
    llmd_dedup_clusters *c = NULL;
    llmd_union_find *uf = NULL;
    uint64_t *sh = NULL, *pairs = NULL;
    static uint8_t keys[30 * 8 * LLMD_BAND_KEY_SIZE];
    llmd_status st;
    llmd_minhash_options mo = LLMD_MINHASH_OPTIONS_INIT;
    mo.num_perm = 32;
    mo.ngram = 2;
    llmd_dedup_cluster_options co = LLMD_DEDUP_CLUSTER_OPTIONS_INIT;
    co.threshold = 0.5;
    co.bands = 8;
    co.rows = 4;
    enum { N = 30 };
    static char texts[N][512];
    uint32_t sig[32];
    size_t nsh;
    TRY(llmd_minhasher_new(&h, &mo));
    TRY(llmd_dedup_clusters_new(&c, &mo, &co));
    for (int i = 0; i < N; i++) {
        snprintf(texts[i], sizeof texts[i], "%s copy %d", docs[i % NDOCS], i % 3);
        uint8_t ex[16];
        uint64_t doc;
        TRY(llmd_minhash(h, texts[i], strlen(texts[i]), sig, NULL));
        TRY(llmd_exact_hash(texts[i], strlen(texts[i]), 0, ex));
        TRY(llmd_dedup_clusters_add(c, sig, ex, (uint64_t)(N - i), (uint64_t)i, &doc));
        TRY(llmd_lsh_band_keys(sig, 32, 8, 4, keys + (size_t)i * 8 * LLMD_BAND_KEY_SIZE));
    }
    uint64_t nc;
    TRY(llmd_dedup_clusters_candidates(c, &nc));
    for (uint64_t d = 0; d < N; d++) {
        if (!llmd_dedup_clusters_needs_shingles(c, d)) continue;
        TRY(llmd_minhash_shingles(h, texts[d], strlen(texts[d]), sig, &sh, &nsh));
        TRY(llmd_dedup_clusters_set_shingles(c, d, sh, nsh));
        llmd_free(sh);
        sh = NULL;
    }
    TRY(llmd_dedup_clusters_finish(c));
    for (uint64_t d = 0; d < N; d++) {
        llmd_dedup_verdict v;
        TRY(llmd_dedup_clusters_result(c, d, &v));
        MIXV(v.keep);
        MIXV(v.representative);
        MIXV(v.cluster_size);
        MIXV(v.linked);
        MIXV(v.jaccard * 1e9);
        MIXV(v.check);
    }
    size_t np;
    TRY(llmd_lsh_candidate_pairs(keys, N, 8, NULL, &pairs, &np));
    TRY(llmd_union_find_new(&uf, N));
    TRY(llmd_union_find_union_pairs(uf, pairs, np));
    mix(pairs, 2 * np * sizeof *pairs);
    for (uint64_t d = 0; d < N; d++) MIXV(llmd_union_find_find(uf, d));
out:
    llmd_free(sh);
    llmd_free(pairs);
    llmd_union_find_free(uf);
    llmd_dedup_clusters_free(c);
    llmd_minhasher_free(h);
    return st;
}

/* ---- tokenizer -------------------------------------------------------------------------------- */
static llmd_status tok_file(const char *name) {
    llmd_tokenizer *t = NULL;
    uint32_t *ids = NULL;
    size_t *offs = NULL, *doc_offs = NULL;
    char *text = NULL;
    size_t n, tl;
    llmd_status st;
    char path[512];
    snprintf(path, sizeof path, "%s/data/tokenizer/%s", test_srcdir(), name);
    TRY(llmd_tokenizer_load(&t, path, NULL));
    for (size_t i = 0; i < NDOCS; i++) {
        TRY(llmd_tokenizer_encode(t, docs[i], strlen(docs[i]), 0, &ids, &n, &offs));
        TRY(llmd_tokenizer_decode(t, ids, n, 0, &text, &tl));
        mix(ids, n * sizeof *ids);
        mix(offs, n * sizeof *offs);
        mix(text, tl);
        llmd_free(ids);
        llmd_free(offs);
        llmd_free(text);
        ids = NULL;
        offs = NULL;
        text = NULL;
    }
    size_t lens[NDOCS];
    for (size_t i = 0; i < NDOCS; i++) lens[i] = strlen(docs[i]);
    TRY(llmd_tokenizer_encode_batch(t, docs, lens, NDOCS, 0, 1, &ids, &doc_offs));
    mix(doc_offs, (NDOCS + 1) * sizeof *doc_offs);
    mix(ids, doc_offs[NDOCS] * sizeof *ids);
out:
    llmd_free(ids);
    llmd_free(offs);
    llmd_free(doc_offs);
    llmd_free(text);
    llmd_tokenizer_free(t);
    return st;
}
static llmd_status s_tok_bytelevel(void) { return tok_file("bytelevel_rich.json"); }
static llmd_status s_tok_metaspace(void) { return tok_file("metaspace_fallback.json"); }
static llmd_status s_tok_bert(void) { return tok_file("bert_pretok.json"); }

static llmd_status s_tiktoken(void) {
    /* every single byte (base64) with rank = byte value, then a few merges */
    static char ranks[256 * 16 + 256];
    size_t n = 0;
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (unsigned b = 0; b < 256; b++)
        n += (size_t)snprintf(ranks + n, sizeof ranks - n, "%c%c== %u\n", b64[b >> 2], b64[(b & 3) << 4], b);
    n += (size_t)snprintf(ranks + n, sizeof ranks - n, "dGg= 256\nIHQ= 257\naGU= 258\n"); /* th, " t", he */
    llmd_tokenizer *t = NULL;
    uint32_t *ids = NULL;
    size_t nid;
    llmd_status st;
    TRY(llmd_tokenizer_from_tiktoken(&t, ranks, n, "cl100k"));
    TRY(llmd_tokenizer_encode(t, docs[1], strlen(docs[1]), 0, &ids, &nid, NULL));
    mix(ids, nid * sizeof *ids);
out:
    llmd_free(ids);
    llmd_tokenizer_free(t);
    return st;
}

/* ---- pack ------------------------------------------------------------------------------------- */
static llmd_status mixing_window_fn(void *ctx, const llmd_pack_window *w) {
    mix(w->tokens, w->seq_len * sizeof *w->tokens);
    mix(w->cu_seqlens, (w->n_segments + 1) * sizeof *w->cu_seqlens);
    return llmd_shard_writer_window_fn(ctx, w);
}

static llmd_status pack_with(llmd_pack_strategy strategy) {
    llmd_shard_writer *w = NULL;
    llmd_packer *p = NULL;
    llmd_status st;
    llmd_shard_options so = LLMD_SHARD_OPTIONS_INIT;
    so.seq_len = 16;
    so.vocab_size = 1000;
    so.overwrite = 1;
    so.run_id = "nomem";
    llmd_pack_options po = LLMD_PACK_OPTIONS_INIT;
    po.seq_len = 16;
    po.strategy = strategy;
    po.eos_id = 999;
    po.pad_id = 0;
    po.buffer_windows = 2;
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s", scratch_path(strategy == LLMD_PACK_GREEDY ? "greedy" : "bfd"));
    TRY(llmd_shard_writer_open(&w, prefix, &so));
    TRY(llmd_packer_new(&p, &po, mixing_window_fn, w));
    uint32_t ids[40];
    for (int d = 0; d < 25; d++) {
        size_t n = (size_t)(d * 7 % 37) + 1;
        for (size_t i = 0; i < n; i++) ids[i] = (uint32_t)(d * 31 + i) % 990 + 1;
        TRY(llmd_packer_add(p, ids, n));
    }
    TRY(llmd_packer_finish(p));
    TRY(llmd_shard_writer_finish(w, "{\"note\": \"nomem\"}"));
    TRY(llmd_shard_verify(prefix, 1));
    /* the same prefix as .npy: the .bin/.idx of the shard above are stale and removed, which needs
     * the old manifest read (an allocation that must not be taken for "no earlier shard") */
    llmd_shard_writer_free(w);
    w = NULL;
    so.format = LLMD_SHARD_NPY;
    TRY(llmd_shard_writer_open(&w, prefix, &so));
    uint32_t toks[16] = {1, 2, 3};
    uint32_t cu[2] = {0, 16};
    uint64_t sd[1] = {0};
    uint32_t sof[1] = {0};
    llmd_pack_window win = {toks, 16, 1, cu, sd, sof};
    TRY(llmd_shard_writer_add(w, &win));
    TRY(llmd_shard_writer_finish(w, NULL));
    char stale[600];
    snprintf(stale, sizeof stale, "%s.bin", prefix);
    MIXV(access(stale, F_OK) == 0);
    snprintf(stale, sizeof stale, "%s.idx", prefix);
    MIXV(access(stale, F_OK) == 0);
out:
    llmd_packer_free(p);
    llmd_shard_writer_free(w);
    return st;
}
static llmd_status s_pack_greedy(void) { return pack_with(LLMD_PACK_GREEDY); }
static llmd_status s_pack_bfd(void) { return pack_with(LLMD_PACK_BEST_FIT); }

/* ---- pipeline --------------------------------------------------------------------------------- */
static char pl_input[512];
static void make_pipeline_input(void) {
    snprintf(pl_input, sizeof pl_input, "%s", scratch_path("pl_in.jsonl"));
    FILE *f = fopen(pl_input, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 12; i++) {
        const char *d = docs[i % NDOCS];
        fputs("{\"id\": ", f);
        fprintf(f, "%d, \"text\": \"", i);
        for (const char *c = d; *c; c++) {
            if (*c == '\n') fputs("\\n", f);
            else if (*c == '\t') fputs("\\t", f);
            else if (*c == '"' || *c == '\\') fprintf(f, "\\%c", *c);
            else fputc(*c, f);
        }
        fprintf(f, " %d\"}\n", i % 5);
    }
    fclose(f);
}

/* Digests the shard data files of an output directory (names sorted; not the manifests, which hold
 * a fresh run id). */
static void mix_dir(const char *dir) {
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    ck_assert_int_ge(n, 0);
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        size_t l = strlen(nm);
        if (l > 4 && (strcmp(nm + l - 4, ".bin") == 0 || strcmp(nm + l - 4, ".idx") == 0)) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%s", dir, nm);
            FILE *f = fopen(path, "rb");
            ck_assert_ptr_nonnull(f);
            char buf[4096];
            size_t got;
            mix(nm, l);
            while ((got = fread(buf, 1, sizeof buf, f)) > 0) mix(buf, got);
            fclose(f);
        }
        free(ents[i]);
    }
    free(ents);
}

static llmd_status pipeline_with(int near_streaming) {
    llmd_pipeline *p = NULL;
    char *json = NULL, *text = NULL;
    llmd_status st;
    TRY(llmd_pipeline_new(&p));
    TRY(llmd_pipeline_set(p, "out", scratch_path(near_streaming ? "pl_out_s" : "pl_out")));
    TRY(llmd_pipeline_set(p, "tokenizer", "bytes"));
    TRY(llmd_pipeline_set(p, "seq_len", "64"));
    TRY(llmd_pipeline_set(p, "pad_id", "0"));
    TRY(llmd_pipeline_set(p, "batch", "4"));
    TRY(llmd_pipeline_set(p, "threads", "1"));
    TRY(llmd_pipeline_set(p, "overwrite", "true"));
    TRY(llmd_pipeline_set(p, "filter", "false"));
    TRY(llmd_pipeline_set(p, "redact", "true"));
    TRY(llmd_pipeline_set(p, "near_dedup", "true"));
    TRY(llmd_pipeline_set(p, "near_streaming", near_streaming ? "true" : "false"));
    TRY(llmd_pipeline_set(p, "near_threshold", "0.7"));
    TRY(llmd_pipeline_add_input(p, pl_input));
    TRY(llmd_pipeline_run(p, &json, &text));
    mix_dir(scratch_path(near_streaming ? "pl_out_s" : "pl_out"));
out:
    llmd_free(json);
    llmd_free(text);
    llmd_pipeline_free(p);
    return st;
}
static llmd_status s_pipeline(void) { return pipeline_with(0); }
static llmd_status s_pipeline_streaming(void) { return pipeline_with(1); }


/* ---- parquet ---------------------------------------------------------------------------------- */
enum { PQ_ROWS = 300 };
static int64_t pq_ids[PQ_ROWS];
static int32_t pq_offs[PQ_ROWS + 1], pq_list_offs[PQ_ROWS + 1], pq_list_vals[PQ_ROWS * 3];
static char pq_bytes[PQ_ROWS * 16];
static double pq_scores[PQ_ROWS];
static uint8_t pq_valid[PQ_ROWS / 8 + 1], pq_flags[PQ_ROWS / 8 + 1];
static void make_pq_data(void) {
    int32_t lv = 0;
    for (int i = 0; i < PQ_ROWS; i++) {
        pq_ids[i] = (int64_t)i * 7 - 50;
        int l = snprintf(pq_bytes + pq_offs[i], 16, "w%d", i % 23);
        pq_offs[i + 1] = pq_offs[i] + l;
        pq_scores[i] = i / 4.0;
        if (i % 9) pq_valid[i >> 3] |= (uint8_t)(1 << (i & 7));
        if (i % 2) pq_flags[i >> 3] |= (uint8_t)(1 << (i & 7));
        for (int k = 0; k < i % 4; k++) pq_list_vals[lv++] = i + k;
        pq_list_offs[i + 1] = lv;
    }
}

static llmd_status pq_round_trip(int codec, int page_version, const char *name) {
    llmd_schema *sc = NULL;
    llmd_parquet_writer *w = NULL;
    llmd_parquet_reader *r = NULL;
    llmd_parquet_batch *b = NULL;
    llmd_status st;
    int f;
    TRY(llmd_schema_new(&sc));
    TRY(llmd_schema_add(sc, 0, "id", &(llmd_type){.id = LLMD_TYPE_INT64}, 0, &f));
    TRY(llmd_schema_add(sc, 0, "text", &(llmd_type){.id = LLMD_TYPE_STRING}, 1, &f));
    TRY(llmd_schema_add(sc, 0, "score", &(llmd_type){.id = LLMD_TYPE_DOUBLE}, 1, &f));
    TRY(llmd_schema_add(sc, 0, "flag", &(llmd_type){.id = LLMD_TYPE_BOOL}, 0, &f));
    int lst;
    TRY(llmd_schema_add(sc, 0, "ids", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &lst));
    TRY(llmd_schema_add(sc, lst, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, &f));
    llmd_column item = {.length = pq_list_offs[PQ_ROWS], .values = pq_list_vals};
    llmd_column cols[5] = {
        {.length = PQ_ROWS, .values = pq_ids},
        {.length = PQ_ROWS, .validity = pq_valid, .offsets = pq_offs, .values = pq_bytes},
        {.length = PQ_ROWS, .validity = pq_valid, .values = pq_scores},
        {.length = PQ_ROWS, .values = pq_flags},
        {.length = PQ_ROWS, .validity = pq_valid, .offsets = pq_list_offs, .children = &item, .n_children = 1},
    };
    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.codec = codec;
    o.data_page_version = page_version;
    o.row_group_bytes = 2048;
    o.page_bytes = 512;
    o.dictionary_bytes = 256; /* the text dictionary overflows: later pages PLAIN */
    const char *path = scratch_path(name);
    TRY(llmd_parquet_writer_open(&w, path, sc, &o));
    TRY(llmd_parquet_writer_set_metadata(w, "k", "v"));
    TRY(llmd_parquet_writer_write(w, cols, 5));
    TRY(llmd_parquet_writer_finish(w));
    TRY(llmd_parquet_reader_open(&r, path, NULL));
    MIXV(llmd_parquet_reader_num_rows(r));
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        TRY(llmd_parquet_reader_read_row_group(r, g, &b));
        int64_t n = llmd_parquet_batch_rows(b);
        const llmd_column *ci = llmd_parquet_batch_column(b, 0), *ct = llmd_parquet_batch_column(b, 1),
                          *cl = llmd_parquet_batch_column(b, 4);
        mix(ci->values, (size_t)n * 8);
        mix(ct->offsets, (size_t)(n + 1) * 4);
        mix(ct->values, (size_t)((const int32_t *)ct->offsets)[n]);
        mix(cl->offsets, (size_t)(n + 1) * 4);
        llmd_parquet_batch_free(b);
        b = NULL;
    }
    const char *sel[] = {"text"};
    TRY(llmd_parquet_reader_select(r, sel, 1));
    TRY(llmd_parquet_reader_read_row_group(r, 0, &b));
    MIXV(llmd_parquet_batch_rows(b));
out:
    llmd_parquet_batch_free(b);
    llmd_parquet_reader_free(r);
    llmd_parquet_writer_free(w);
    llmd_schema_free(sc);
    return st;
}
static llmd_status s_parquet_zstd(void) { return pq_round_trip(LLMD_PARQUET_ZSTD, 1, "z.parquet"); }
static llmd_status s_parquet_snappy_v2(void) { return pq_round_trip(LLMD_PARQUET_SNAPPY, 2, "s.parquet"); }
static llmd_status s_parquet_gzip(void) { return pq_round_trip(LLMD_PARQUET_GZIP, 1, "g.parquet"); }
static llmd_status s_parquet_lz4_v2(void) { return pq_round_trip(LLMD_PARQUET_LZ4_RAW, 2, "l.parquet"); }

/* ---- delta ------------------------------------------------------------------------------------ */
static const char *const delta_schema = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":false,"
    "\"metadata\":{}},{\"name\":\"text\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"score\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"flag\",\"type\":\"boolean\",\"nullable\":false,\"metadata\":{}},"
    "{\"name\":\"ids\",\"type\":{\"type\":\"array\",\"elementType\":\"integer\",\"containsNull\":false},"
    "\"nullable\":true,\"metadata\":{}}]}";

/* A new table (checkpoint every 2 commits) with `appends` commits appending the Parquet file written
 * by pq_round_trip, then (remove_last) a commit removing the last file, then a checkpoint. */
static llmd_status delta_build(const char *name, int appends, int remove_last) {
    char cmd[600], dir[512], src[512];
    snprintf(dir, sizeof dir, "%s", scratch_path(name));
    snprintf(src, sizeof src, "%s", scratch_path("z.parquet"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return LLMD_ERR_IO;
    llmd_delta_table *t = NULL;
    llmd_delta_txn *x = NULL;
    char *rel = NULL;
    llmd_status st;
    int64_t v;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options co = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *ck[] = {"delta.checkpointInterval"}, *cv[] = {"2"};
    co.schema_json = delta_schema;
    co.config_keys = ck;
    co.config_values = cv;
    co.n_config = 1;
    co.name = "nomem";
    TRY(llmd_delta_table_create(t, &co));
    for (int i = 0; i < appends; i++) {
        TRY(llmd_delta_txn_begin(&x, t));
        llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
        a.source = src;
        llmd_free(rel); /* the last file's name is kept for the remove below */
        rel = NULL;
        TRY(llmd_delta_txn_append_file(x, &a, &rel));
        TRY(llmd_delta_txn_set_app_version(x, "nomem-app", i + 1));
        TRY(llmd_delta_txn_set_operation(x, "WRITE", "{\"mode\":\"Append\"}"));
        TRY(llmd_delta_txn_commit(x, &v));
        MIXV(v);
        llmd_delta_txn_free(x);
        x = NULL;
    }
    if (remove_last) {
        TRY(llmd_delta_txn_begin(&x, t));
        TRY(llmd_delta_txn_remove(x, rel));
        TRY(llmd_delta_txn_set_property(x, "owner", "tests"));
        TRY(llmd_delta_txn_commit(x, &v));
        MIXV(v);
        TRY(llmd_delta_checkpoint(t, &v));
    }
out:
    llmd_free(rel);
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    return st;
}
static llmd_status s_delta_write(void) { return delta_build("delta_w", 1, 0); }

/* Reads the table delta_build("delta_r", 2, 1) made: checkpoint + commits replayed, scans, history. */
static llmd_status s_delta_read(void) {
    llmd_delta_table *t = NULL;
    llmd_delta_snapshot *sn = NULL;
    char *js = NULL;
    size_t jl;
    llmd_status st;
    char dir[512];
    snprintf(dir, sizeof dir, "%s", scratch_path("delta_r"));
    TRY(llmd_delta_table_open(&t, dir, NULL));
    TRY(llmd_delta_snapshot_latest(&sn, t));
    MIXV(llmd_delta_snapshot_version(sn));
    MIXV(llmd_delta_snapshot_file_count(sn));
    uint64_t rows;
    TRY(llmd_delta_scan_jsonl(sn, scratch_path("delta_scan.jsonl"), NULL, &rows));
    MIXV(rows);
    TRY(llmd_delta_scan_parquet(sn, scratch_path("delta_scan.parquet"), NULL, &rows));
    MIXV(rows);
    TRY(llmd_delta_snapshot_to_json(sn, &js, &jl));
    llmd_free(js);
    js = NULL;
    llmd_delta_snapshot_free(sn);
    sn = NULL;
    TRY(llmd_delta_snapshot_at_version(&sn, t, 1));
    MIXV(llmd_delta_snapshot_file_count(sn));
    TRY(llmd_delta_history_json(t, 10, &js, &jl));
out:
    llmd_free(js);
    llmd_delta_snapshot_free(sn);
    llmd_delta_table_free(t);
    return st;
}

/* ---- feature ---------------------------------------------------------------------------------- */
static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}
static char feature_repo[512];
static void make_feature_repo(void) {
    snprintf(feature_repo, sizeof feature_repo, "%s", scratch_path("feature_repo"));
    mkdir(feature_repo, 0700);
    char p[600];
    snprintf(p, sizeof p, "%s/user_features.json", feature_repo);
    write_text(p, "{\"name\": \"user_features\", \"entities\": [{\"name\": \"user\", \"join_keys\": [\"user_id\"]}],"
               " \"ttl_seconds\": 604800,"
               " \"schema\": [{\"name\": \"total\", \"dtype\": \"Int64\"}, {\"name\": \"rating\", \"dtype\": \"Float32\"},"
               " {\"name\": \"lang\", \"dtype\": \"String\"}, {\"name\": \"emb\", \"dtype\": \"Array(Float32)\", \"length\": 2}],"
               " \"source\": {\"path\": \"users.jsonl\", \"timestamp_field\": \"ts\", \"created_timestamp_column\": \"created\"}}");
    snprintf(p, sizeof p, "%s/users.jsonl", feature_repo);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 40; i++)
        fprintf(f, "{\"user_id\": \"u%d\", \"ts\": \"2025-01-%02dT%02d:00:00Z\", \"created\": \"2025-01-%02dT%02d:30:00Z\","
                " \"total\": %d, \"rating\": %s, \"lang\": \"%s\", \"emb\": [%d, %d]}\n", i % 7, 1 + i % 20, i % 24,
                1 + i % 20, i % 24, i * 3, i % 5 ? "2.5" : "null", i % 2 ? "en" : "fr", i, -i);
    fclose(f);
}

static void mix_result(const llmd_feature_result *res) {
    size_t rows = llmd_feature_result_rows(res);
    MIXV(rows);
    for (size_t c = 0; c < llmd_feature_result_column_count(res); c++) {
        llmd_feature_column col;
        if (llmd_feature_result_column(res, c, &col) != LLMD_OK) continue;
        mix(col.validity, rows);
        if (col.dtype == LLMD_FEATURE_INT64) mix(col.values, rows * 8);
    }
}

static llmd_status s_feature(void) {
    llmd_feature_repo *repo = NULL;
    llmd_feature_result *res = NULL;
    llmd_online_snapshot *snap = NULL;
    llmd_status st;
    TRY(llmd_feature_repo_open(&repo, feature_repo));
    const char *users[] = {"u1", "u2", "u3", "u9", "u0", "u6"};
    int64_t offs[7] = {0};
    char bytes[32];
    size_t at = 0;
    for (int i = 0; i < 6; i++) {
        memcpy(bytes + at, users[i], 2);
        at += 2;
        offs[i + 1] = (int64_t)at;
    }
    llmd_key_column k = {.name = "user_id", .is_string = 1, .offsets = offs, .bytes = bytes};
    int64_t when[6];
    for (int i = 0; i < 6; i++) TRY(llmd_parse_timestamp("2025-01-12T10:00:00Z", 20, &when[i]));
    when[3] += 86400000000ll * 5;
    const char *feats[] = {"user_features:total", "user_features:rating", "user_features:lang", "user_features:emb"};
    TRY(llmd_feature_historical(repo, feats, 4, &k, 1, when, 6, NULL, &res));
    mix_result(res);
    llmd_feature_result_free(res);
    res = NULL;
    llmd_materialize_stats ms;
    TRY(llmd_feature_materialize(repo, "user_features", 0, when[3], &ms));
    TRY(llmd_online_snapshot_open(&snap, repo, "user_features"));
    TRY(llmd_online_lookup(snap, &k, 1, 6, feats, 4, when[3], &res));
    mix_result(res);
out:
    llmd_feature_result_free(res);
    llmd_online_snapshot_free(snap);
    llmd_feature_repo_free(repo);
    return st;
}

/* ---- langid ----------------------------------------------------------------------------------- */
static llmd_status s_langid(void) {
    llmd_langid_model *m = NULL;
    llmd_status st;
    TRY(llmd_langid_model_load(&m, llmd_langid_default_model_path()));
    llmd_langid_prediction pr[5];
    size_t n;
    for (size_t i = 0; i < NDOCS; i++) {
        TRY(llmd_langid_predict(m, docs[i], strlen(docs[i]), NULL, pr, 5, &n));
        for (size_t k = 0; k < n; k++) {
            MIXV(pr[k].label_id);
            MIXV(pr[k].probability * 1e6);
        }
    }
out:
    llmd_langid_model_free(m);
    return st;
}

/* ---- the tests -------------------------------------------------------------------------------- */
/* The filters keep working memory per thread, released when the thread exits (filter.h): the
 * scenario runs on a thread of its own, so that every block it made is freed within the run. */
static void *s_filter_thread(void *arg) {
    llmd_status *st = arg;
    *st = s_filter_calls();
    if (*st != LLMD_OK) {
        snprintf(scenario_msg, sizeof scenario_msg, "%s", llmd_last_error());
        scenario_msg_set = 1;
    }
    return NULL;
}

static llmd_status s_filter(void) {
    llmd_status st = LLMD_ERR_INTERNAL;
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, s_filter_thread, &st), 0);
    ck_assert_int_eq(pthread_join(t, NULL), 0);
    return st;
}

#define NOMEM_TEST(fn)                                                \
    START_TEST(test_##fn) {                                           \
        run_injected(#fn, fn);                                        \
    }                                                                 \
    END_TEST

NOMEM_TEST(s_json)
NOMEM_TEST(s_output_reader)
NOMEM_TEST(s_text)
NOMEM_TEST(s_filter)
NOMEM_TEST(s_exact)
NOMEM_TEST(s_lsh)
NOMEM_TEST(s_clusters)
NOMEM_TEST(s_tok_bytelevel)
NOMEM_TEST(s_tok_metaspace)
NOMEM_TEST(s_tok_bert)
NOMEM_TEST(s_tiktoken)
NOMEM_TEST(s_pack_greedy)
NOMEM_TEST(s_pack_bfd)
NOMEM_TEST(s_pipeline)
NOMEM_TEST(s_pipeline_streaming)
NOMEM_TEST(s_parquet_zstd)
NOMEM_TEST(s_parquet_snappy_v2)
NOMEM_TEST(s_parquet_gzip)
NOMEM_TEST(s_parquet_lz4_v2)
START_TEST(test_s_feature) {
    make_feature_repo();
    run_injected("s_feature", s_feature);
}
END_TEST
START_TEST(test_s_delta_write) {
    ck_ok(pq_round_trip(LLMD_PARQUET_ZSTD, 1, "z.parquet")); /* the file the table appends */
    run_injected("s_delta_write", s_delta_write);
}
END_TEST
START_TEST(test_s_delta_read) {
    ck_ok(pq_round_trip(LLMD_PARQUET_ZSTD, 1, "z.parquet"));
    ck_ok(delta_build("delta_r", 2, 1));
    run_injected("s_delta_read", s_delta_read);
}
END_TEST
NOMEM_TEST(s_langid)

/* The allocator hook itself: a wrong version or missing functions are refused, NULL restores libc. */
START_TEST(test_allocator_hook) {
    llmd_allocator a = {LLMD_ALLOCATOR_VERSION + 1, t_malloc, t_realloc, t_free, NULL};
    ck_fails(llmd_set_allocator(&a), LLMD_ERR_VERSION, "version");
    a.version = LLMD_ALLOCATOR_VERSION;
    a.free_fn = NULL;
    ck_fails(llmd_set_allocator(&a), LLMD_ERR_INVALID_ARG, "free_fn");
    /* without realloc_fn the library grows blocks by malloc + copy + free: a growing set still works
     * and keeps every key */
    a.free_fn = t_free;
    a.realloc_fn = NULL;
    ck_ok(llmd_set_allocator(&a));
    long live0 = atomic_load(&live);
    llmd_exact_set *set;
    ck_ok(llmd_exact_set_new(&set, NULL));
    uint8_t h[16];
    for (int i = 0; i < 1000; i++) {
        memset(h, 0, sizeof h);
        memcpy(h, &i, sizeof i);
        h[15] = 1;
        ck_ok(llmd_exact_set_insert(set, h, NULL));
    }
    char *folded;
    size_t n;
    ck_ok(llmd_fold_text("A  b\tC", 6, &folded, &n));
    ck_assert_str_eq(folded, "a b c");
    llmd_free(folded);
    ck_assert_uint_eq(llmd_exact_set_count(set), 1000);
    for (int i = 0; i < 1000; i++) {
        memset(h, 0, sizeof h);
        memcpy(h, &i, sizeof i);
        h[15] = 1;
        ck_assert(llmd_exact_set_contains(set, h));
    }
    llmd_exact_set_free(set);
    ck_assert_int_eq(atomic_load(&live), live0);
    ck_ok(llmd_set_allocator(NULL));
}
END_TEST

int main(void) {
    make_long_doc();
    make_pq_data();
    Suite *s = suite_create("nomem");
    /* one case per scenario (CK_RUN_CASE=s_text runs one) */
    const struct { const char *name; const TTest *test; } cases[] = {
        {"hook", test_allocator_hook}, {"s_json", test_s_json}, {"s_output_reader", test_s_output_reader},
        {"s_text", test_s_text}, {"s_filter", test_s_filter}, {"s_exact", test_s_exact}, {"s_lsh", test_s_lsh},
        {"s_clusters", test_s_clusters}, {"s_tok_bytelevel", test_s_tok_bytelevel},
        {"s_tok_metaspace", test_s_tok_metaspace}, {"s_tok_bert", test_s_tok_bert},
        {"s_tiktoken", test_s_tiktoken}, {"s_pack_greedy", test_s_pack_greedy}, {"s_pack_bfd", test_s_pack_bfd},
        {"s_pipeline", test_s_pipeline}, {"s_pipeline_streaming", test_s_pipeline_streaming},
        {"s_parquet_zstd", test_s_parquet_zstd}, {"s_parquet_snappy_v2", test_s_parquet_snappy_v2},
        {"s_parquet_gzip", test_s_parquet_gzip}, {"s_parquet_lz4_v2", test_s_parquet_lz4_v2},
        {"s_feature", test_s_feature}, {"s_delta_write", test_s_delta_write}, {"s_delta_read", test_s_delta_read}, {"s_langid", test_s_langid},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        TCase *tc = tcase_create(cases[i].name);
        tcase_set_timeout(tc, 900);
        tcase_add_unchecked_fixture(tc, make_pipeline_input, NULL);
        tcase_add_test(tc, cases[i].test);
        suite_add_tcase(s, tc);
    }
    int rc = run_suite(s);
    if (scratch[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
        if (system(cmd) != 0) rc = EXIT_FAILURE;
    }
    return rc;
}
