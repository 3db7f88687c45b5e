/* Check suite for sequence packing and shard writers (include/llmdata/pack.h). */
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xxhash.h>

#include "testutil.h"

/* ---- collecting callback ---------------------------------------------------------------------- */
typedef struct collect {
    uint32_t L;
    size_t nwin;
    uint32_t tok[64][16];
    uint32_t cu[64][18];
    uint32_t nseg[64];
} collect;

static llmd_status collect_fn(void *ctx, const llmd_pack_window *w) {
    collect *c = ctx;
    ck_assert_uint_eq(w->seq_len, c->L);
    ck_assert_uint_lt(c->nwin, 64);
    memcpy(c->tok[c->nwin], w->tokens, w->seq_len * sizeof(uint32_t));
    memcpy(c->cu[c->nwin], w->cu_seqlens, (w->n_segments + 1) * sizeof(uint32_t));
    c->nseg[c->nwin] = w->n_segments;
    c->nwin++;
    return LLMD_OK;
}

static void add_docs(llmd_packer *p, const uint32_t *const *docs, const size_t *lens, size_t n) {
    for (size_t i = 0; i < n; i++) ck_ok(llmd_packer_add(p, docs[i], lens[i]));
}

/* Hand-computed: L=4, EOS=0, docs [1 2 3] [4] [5 6 7 8 10] [11].
 * Greedy stream 1 2 3 0 | 4 0 5 6 | 7 8 10 0 | 11 0 -> three windows, 2 tokens dropped,
 * doc 2 split over windows (truncated), doc 3 entirely dropped. */
START_TEST(test_greedy_hand) {
    static const uint32_t d0[] = {1, 2, 3}, d1[] = {4}, d2[] = {5, 6, 7, 8, 10}, d3[] = {11};
    const uint32_t *docs[] = {d0, d1, d2, d3};
    size_t lens[] = {3, 1, 5, 1};
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = 4;
    o.eos_id = 0;
    collect c = {.L = 4};
    llmd_packer *p;
    ck_ok(llmd_packer_new(&p, &o, collect_fn, &c));
    add_docs(p, docs, lens, 4);
    ck_ok(llmd_packer_finish(p));
    llmd_pack_stats s;
    llmd_packer_stats(p, &s);
    llmd_packer_free(p);
    static const uint32_t want[3][4] = {{1, 2, 3, 0}, {4, 0, 5, 6}, {7, 8, 10, 0}};
    ck_assert_uint_eq(c.nwin, 3);
    for (int w = 0; w < 3; w++)
        for (int t = 0; t < 4; t++) ck_assert_uint_eq(c.tok[w][t], want[w][t]);
    /* boundaries: w0 [0,4], w1 [0,2,4], w2 [0,4] */
    ck_assert_uint_eq(c.nseg[0], 1);
    ck_assert_uint_eq(c.nseg[1], 2);
    ck_assert_uint_eq(c.cu[1][1], 2);
    ck_assert_uint_eq(c.cu[1][2], 4);
    ck_assert_uint_eq(c.nseg[2], 1);
    ck_assert_uint_eq(s.docs_in, 4);
    ck_assert_uint_eq(s.tokens_in, 14);
    ck_assert_uint_eq(s.windows, 3);
    ck_assert_uint_eq(s.dropped_tokens, 2);
    ck_assert_uint_eq(s.docs_truncated, 1);
    ck_assert_uint_eq(s.docs_dropped, 1);
    ck_assert_uint_eq(s.pad_tokens, 0);
}
END_TEST

/* Hand-computed best-fit-decreasing, same docs, pad 9: doc 2 (6 tokens) -> full chunk [5 6 7 8]
 * emitted at once, remainder [10 0]; pieces by decreasing length: [1 2 3 0] (4) new bin A,
 * [4 0] (2) new bin B, [10 0] (2) best fit B, [11 0] (2) new bin C padded. */
START_TEST(test_bfd_hand) {
    static const uint32_t d0[] = {1, 2, 3}, d1[] = {4}, d2[] = {5, 6, 7, 8, 10}, d3[] = {11};
    const uint32_t *docs[] = {d0, d1, d2, d3};
    size_t lens[] = {3, 1, 5, 1};
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = 4;
    o.eos_id = 0;
    o.pad_id = 9;
    o.strategy = LLMD_PACK_BEST_FIT;
    collect c = {.L = 4};
    llmd_packer *p;
    ck_ok(llmd_packer_new(&p, &o, collect_fn, &c));
    add_docs(p, docs, lens, 4);
    ck_ok(llmd_packer_finish(p));
    llmd_pack_stats s;
    llmd_packer_stats(p, &s);
    llmd_packer_free(p);
    static const uint32_t want[4][4] = {{5, 6, 7, 8}, {1, 2, 3, 0}, {4, 0, 10, 0}, {11, 0, 9, 9}};
    ck_assert_uint_eq(c.nwin, 4);
    for (int w = 0; w < 4; w++)
        for (int t = 0; t < 4; t++) ck_assert_uint_eq(c.tok[w][t], want[w][t]);
    ck_assert_uint_eq(c.nseg[2], 2);
    ck_assert_uint_eq(c.cu[2][1], 2);
    ck_assert_uint_eq(c.nseg[3], 1);
    ck_assert_uint_eq(c.cu[3][1], 2);
    ck_assert_uint_eq(s.pad_tokens, 2);
    ck_assert_uint_eq(s.docs_truncated, 1);
    ck_assert_uint_eq(s.dropped_tokens, 0);
    ck_assert_uint_eq(s.tokens_out, 14);
}
END_TEST

static uint64_t llmd_test_next(uint64_t *s) { /* xorshift64* */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* ---- invariants on random documents -------------------------------------------------------------- */
#define NDOC 3000
typedef struct inv {
    uint32_t L;
    size_t *lens;       /* virtual lengths (with BOS/EOS) */
    size_t *seen;       /* tokens of each doc seen so far (in order) */
    uint32_t *nsegs_of; /* segments per doc */
    int64_t bos, eos, pad;
    uint64_t windows;
} inv;

/* Token t of document d's virtual sequence (deterministic, independent of the packer). */
static uint32_t doc_tok(const inv *v, uint64_t d, size_t t) {
    if (v->bos >= 0 && t == 0) return (uint32_t)v->bos;
    if (v->eos >= 0 && t == v->lens[d] - 1) return (uint32_t)v->eos;
    size_t i = t - (v->bos >= 0);
    return (uint32_t)(10 + (d * 7919 + i * 31) % 50000);
}

static llmd_status inv_fn(void *ctx, const llmd_pack_window *w) {
    inv *v = ctx;
    ck_assert_uint_eq(w->seq_len, v->L);
    ck_assert_uint_eq(w->cu_seqlens[0], 0);
    for (uint32_t k = 0; k < w->n_segments; k++) {
        uint32_t a = w->cu_seqlens[k], b = w->cu_seqlens[k + 1];
        ck_assert_uint_lt(a, b);
        uint64_t d = w->seg_doc[k];
        ck_assert_uint_lt(d, NDOC);
        /* in order: best-fit emits a document's chunks in order, greedy too */
        ck_assert_uint_eq(w->seg_offset[k], v->seen[d]);
        for (uint32_t t = a; t < b; t++) ck_assert_uint_eq(w->tokens[t], doc_tok(v, d, w->seg_offset[k] + (t - a)));
        v->seen[d] += b - a;
        v->nsegs_of[d]++;
    }
    uint32_t real = w->n_segments ? w->cu_seqlens[w->n_segments] : 0;
    for (uint32_t t = real; t < v->L; t++) ck_assert_uint_eq(w->tokens[t], (uint32_t)v->pad);
    uint32_t pos[64];
    if (v->L <= 64) {
        llmd_pack_position_ids(w, pos);
        for (uint32_t k = 0; k < w->n_segments; k++) ck_assert_uint_eq(pos[w->cu_seqlens[k]], 0);
    }
    v->windows++;
    return LLMD_OK;
}

static void run_invariants(int strategy, int64_t pad, llmd_pack_stats *out) {
    uint32_t L = 64;
    inv v = {.L = L, .bos = 1, .eos = 2, .pad = pad};
    v.lens = calloc(NDOC, sizeof *v.lens);
    v.seen = calloc(NDOC, sizeof *v.seen);
    v.nsegs_of = calloc(NDOC, sizeof *v.nsegs_of);
    uint32_t *ids = malloc(400 * sizeof *ids);
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = L;
    o.bos_id = 1;
    o.eos_id = 2;
    o.pad_id = pad;
    o.strategy = strategy;
    o.buffer_windows = 16;
    o.vocab_size = 50010;
    llmd_packer *p;
    ck_ok(llmd_packer_new(&p, &o, inv_fn, &v));
    uint64_t rng = 12345, total = 0;
    for (uint64_t d = 0; d < NDOC; d++) {
        uint64_t r = llmd_test_next(&rng);
        size_t n = (r % 10 == 0) ? (size_t)(r >> 8) % 300 : (size_t)(r >> 8) % 40; /* mostly short, some long */
        v.lens[d] = n + 2;
        for (size_t i = 0; i < n; i++) ids[i] = doc_tok(&v, d, i + 1);
        ck_ok(llmd_packer_add(p, ids, n));
        total += n + 2;
    }
    ck_ok(llmd_packer_finish(p));
    llmd_packer_stats(p, out);
    llmd_packer_free(p);
    ck_assert_uint_eq(out->tokens_in, total);
    ck_assert_uint_eq(out->windows, v.windows);
    ck_assert_uint_eq(out->tokens_out + out->pad_tokens, out->windows * L);
    ck_assert_uint_eq(out->tokens_out + out->dropped_tokens, total);
    /* every document: all tokens once and in order, unless counted */
    uint64_t truncated = 0, partial = 0, dropped = 0;
    for (uint64_t d = 0; d < NDOC; d++) {
        if (v.seen[d] == 0) dropped++;
        else if (v.seen[d] < v.lens[d]) partial++;
        if (v.nsegs_of[d] > 1 || (v.seen[d] > 0 && v.seen[d] < v.lens[d])) truncated++;
    }
    ck_assert_uint_eq(dropped, out->docs_dropped);
    ck_assert_uint_le(partial, 1); /* only the last window is ever dropped */
    ck_assert_uint_eq(truncated, out->docs_truncated);
    free(v.lens);
    free(v.seen);
    free(v.nsegs_of);
    free(ids);
}

START_TEST(test_invariants) {
    llmd_pack_stats g, gp, b;
    run_invariants(LLMD_PACK_GREEDY, -1, &g);
    ck_assert_uint_gt(g.dropped_tokens, 0);
    run_invariants(LLMD_PACK_GREEDY, 0, &gp);
    ck_assert_uint_eq(gp.dropped_tokens, 0);
    run_invariants(LLMD_PACK_BEST_FIT, 0, &b);
    ck_assert_uint_eq(b.dropped_tokens, 0);
    /* the point of best-fit: fewer truncated documents than greedy on the same stream */
    ck_assert_uint_lt(b.docs_truncated, g.docs_truncated);
    ck_assert_uint_lt(b.docs_truncated * 2, g.docs_truncated);
    /* and little padding: > 90% of window tokens are real */
    ck_assert_uint_gt(b.tokens_out * 10, b.windows * 64 * 9);
}
END_TEST

START_TEST(test_bad_args) {
    llmd_packer *p = NULL;
    collect c = {.L = 4};
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = 0;
    ck_fails(llmd_packer_new(&p, &o, collect_fn, &c), LLMD_ERR_INVALID_ARG, "seq_len");
    o.seq_len = 4;
    o.strategy = LLMD_PACK_BEST_FIT;
    ck_fails(llmd_packer_new(&p, &o, collect_fn, &c), LLMD_ERR_INVALID_ARG, "pad_id");
    o.strategy = 7;
    ck_fails(llmd_packer_new(&p, &o, collect_fn, &c), LLMD_ERR_INVALID_ARG, "strategy");
    o.strategy = LLMD_PACK_GREEDY;
    o.vocab_size = 10;
    o.eos_id = 10;
    ck_fails(llmd_packer_new(&p, &o, collect_fn, &c), LLMD_ERR_INVALID_ARG, "eos_id");
    o.eos_id = 9;
    o.version = 99;
    ck_fails(llmd_packer_new(&p, &o, collect_fn, &c), LLMD_ERR_VERSION, "");
    o.version = LLMD_PACK_OPTIONS_VERSION;
    ck_fails(llmd_packer_new(&p, &o, NULL, &c), LLMD_ERR_INVALID_ARG, "callback");
    ck_ok(llmd_packer_new(&p, &o, collect_fn, &c));
    uint32_t bad[] = {1, 2, 10};
    ck_fails(llmd_packer_add(p, bad, 3), LLMD_ERR_RANGE, "token 2: id 10");
    ck_ok(llmd_packer_add(p, bad, 2)); /* a failed add left nothing behind and the packer usable */
    ck_ok(llmd_packer_finish(p));
    ck_fails(llmd_packer_add(p, bad, 2), LLMD_ERR_STATE, "finished");
    llmd_packer_free(p);
    llmd_packer_free(NULL);
    llmd_pack_strategy s;
    ck_ok(llmd_pack_strategy_parse("bfd", &s));
    ck_assert_int_eq(s, LLMD_PACK_BEST_FIT);
    ck_fails(llmd_pack_strategy_parse("first-fit", &s), LLMD_ERR_INVALID_ARG, "first-fit");
}
END_TEST

static llmd_status failing_fn(void *ctx, const llmd_pack_window *w) {
    (void)ctx;
    (void)w;
    return LLMD_ERR_IO;
}

START_TEST(test_callback_error) {
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = 2;
    llmd_packer *p;
    ck_ok(llmd_packer_new(&p, &o, failing_fn, NULL));
    uint32_t ids[] = {1, 2, 3};
    ck_assert_int_eq(llmd_packer_add(p, ids, 3), LLMD_ERR_IO);
    ck_fails(llmd_packer_add(p, ids, 3), LLMD_ERR_STATE, "failed");
    llmd_packer_free(p);
}
END_TEST

/* ---- shard files ------------------------------------------------------------------------------ */
static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/llmd_pack_test_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmpdir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

static unsigned char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    fclose(f);
    return b;
}

static uint64_t le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* The options struct for the common case (no overwrite, names PREFIX.*). */
static llmd_status open_shard(llmd_shard_writer **w, const char *prefix, llmd_shard_format format, uint32_t seq_len,
                              uint64_t vocab) {
    llmd_shard_options so = LLMD_SHARD_OPTIONS_INIT;
    so.format = format;
    so.seq_len = seq_len;
    so.vocab_size = vocab;
    return llmd_shard_writer_open(w, prefix, &so);
}

static void write_hand_shard(const char *prefix, llmd_shard_format format, uint64_t vocab) {
    static const uint32_t d0[] = {1, 2, 3}, d1[] = {4}, d2[] = {5, 6, 7, 8, 10}, d3[] = {11};
    const uint32_t *docs[] = {d0, d1, d2, d3};
    size_t lens[] = {3, 1, 5, 1};
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = 4;
    o.eos_id = 0;
    o.pad_id = 9;
    llmd_shard_writer *w;
    ck_ok(open_shard(&w, prefix, format, 4, vocab));
    llmd_packer *p;
    ck_ok(llmd_packer_new(&p, &o, llmd_shard_writer_window_fn, w));
    add_docs(p, docs, lens, 4);
    ck_ok(llmd_packer_finish(p));
    llmd_packer_free(p);
    ck_ok(llmd_shard_writer_finish(w, "{\"strategy\": \"greedy\"}"));
    ck_assert_uint_eq(llmd_shard_writer_windows(w), 4);
    llmd_shard_writer_free(w);
}

/* Greedy with pad 9: 1 2 3 0 | 4 0 5 6 | 7 8 10 0 | 11 0 9 9.  Layouts from the brief's MMIDIDX
 * description and the numpy format spec (NEP 1). */
START_TEST(test_shard_mmidx) {
    make_tmpdir();
    char prefix[300], path[340];
    snprintf(prefix, sizeof prefix, "%s/s", tmpdir);
    write_hand_shard(prefix, LLMD_SHARD_MMIDX, 100);
    size_t n;
    snprintf(path, sizeof path, "%s.bin", prefix);
    unsigned char *b = slurp(path, &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n, 16 * 2);
    static const uint16_t want[16] = {1, 2, 3, 0, 4, 0, 5, 6, 7, 8, 10, 0, 11, 0, 9, 9};
    for (int i = 0; i < 16; i++) ck_assert_uint_eq(b[2 * i] | b[2 * i + 1] << 8, want[i]);
    free(b);
    snprintf(path, sizeof path, "%s.idx", prefix);
    b = slurp(path, &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n, 34 + 4 * 4 + 4 * 8 + 5 * 8);
    ck_assert_int_eq(memcmp(b, "MMIDIDX\0\0", 9), 0);
    ck_assert_uint_eq(le64(b + 9), 1);
    ck_assert_uint_eq(b[17], 8); /* uint16 */
    ck_assert_uint_eq(le64(b + 18), 4); /* sequences */
    /* "document count" = len(document_indices) = documents + 1, as Megatron-LM's writer
     * (MMapIndexedDataset.Index.writer: struct.pack('<Q', len(doc_idx)) with doc_idx = [0, ...]) */
    ck_assert_uint_eq(le64(b + 26), 5);
    ck_assert_uint_eq(b[34], 4);          /* sizes[0] */
    ck_assert_uint_eq(le64(b + 50 + 8), 8); /* pointers[1] = 4 tokens * 2 bytes */
    ck_assert_uint_eq(le64(b + 82 + 32), 4); /* document_indices[4] */
    free(b);
    snprintf(path, sizeof path, "%s.boundaries.npy", prefix);
    b = slurp(path, &n);
    ck_assert_ptr_nonnull(b);
    /* segment starts: 0 | 4 6 | 8 | 12 14(pad) | 16 */
    static const uint64_t wb[] = {0, 4, 6, 8, 12, 14, 16};
    ck_assert_uint_eq(n, 128 + sizeof wb);
    ck_assert_ptr_nonnull(strstr((char *)b + 10, "'descr': '<i8'"));
    ck_assert_ptr_nonnull(strstr((char *)b + 10, "'shape': (7,)"));
    for (int i = 0; i < 7; i++) ck_assert_uint_eq(le64(b + 128 + 8 * i), wb[i]);
    free(b);
    snprintf(path, sizeof path, "%s.manifest.json", prefix);
    b = slurp(path, &n);
    ck_assert_ptr_nonnull(b);
    b[n] = 0;
    ck_assert_ptr_nonnull(strstr((char *)b, "\"windows\":4"));
    ck_assert_ptr_nonnull(strstr((char *)b, "\"pad_tokens\":2"));
    ck_assert_ptr_nonnull(strstr((char *)b, "\"strategy\": \"greedy\""));
    free(b);
    rm_tmpdir();
}
END_TEST

START_TEST(test_shard_npy) {
    make_tmpdir();
    char prefix[300], path[340];
    snprintf(prefix, sizeof prefix, "%s/s", tmpdir);
    write_hand_shard(prefix, LLMD_SHARD_NPY, 0); /* vocab unknown -> uint32 */
    size_t n;
    snprintf(path, sizeof path, "%s.npy", prefix);
    unsigned char *b = slurp(path, &n);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(n, 128 + 16 * 4);
    ck_assert_int_eq(memcmp(b, "\x93NUMPY\x01\x00", 8), 0);
    ck_assert_uint_eq(b[8] | b[9] << 8, 118);
    ck_assert_uint_eq(b[127], '\n');
    ck_assert_ptr_nonnull(strstr((char *)b + 10, "{'descr': '<u4', 'fortran_order': False, 'shape': (4, 4), }"));
    ck_assert_uint_eq(b[128 + 4 * 8], 7); /* token 8 of 1 2 3 0 4 0 5 6 7 ... */
    free(b);
    rm_tmpdir();
}
END_TEST

START_TEST(test_shard_errors) {
    llmd_shard_writer *w = NULL;
    ck_fails(open_shard(&w, "/nonexistent-dir/x/shard", LLMD_SHARD_NPY, 4, 0), LLMD_ERR_IO,
             "/nonexistent-dir/x/shard");
    ck_assert_ptr_null(w);
    make_tmpdir();
    char prefix[300], path[340];
    snprintf(prefix, sizeof prefix, "%s/s", tmpdir);
    /* id beyond uint16 shard */
    ck_ok(open_shard(&w, prefix, LLMD_SHARD_MMIDX, 2, 1000));
    uint32_t tok[2] = {5, 1000}, cu[2] = {0, 2};
    uint64_t sd[1] = {0};
    uint32_t so[1] = {0};
    llmd_pack_window win = {tok, 2, 1, cu, sd, so};
    ck_fails(llmd_shard_writer_add(w, &win), LLMD_ERR_RANGE, "id 1000");
    llmd_shard_writer_free(w); /* unfinished: temp files removed */
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) files += e->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(files, 0);

    /* full disk: a file-size limit makes write() fail with EFBIG (SIGXFSZ ignored), in a child */
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {1 << 16, 1 << 16};
        if (setrlimit(RLIMIT_FSIZE, &rl) != 0) _exit(3);
        llmd_shard_writer *fw;
        if (open_shard(&fw, prefix, LLMD_SHARD_NPY, 1024, 0) != LLMD_OK) _exit(4);
        uint32_t big[1024] = {0}, bcu[2] = {0, 1024};
        llmd_pack_window bw = {big, 1024, 1, bcu, sd, so};
        llmd_status st = LLMD_OK;
        for (int i = 0; i < 4096 && st == LLMD_OK; i++) st = llmd_shard_writer_add(fw, &bw);
        if (st == LLMD_OK) st = llmd_shard_writer_finish(fw, NULL);
        int ok = st == LLMD_ERR_IO && strstr(llmd_last_error(), "write failed") != NULL;
        llmd_shard_writer_free(fw);
        _exit(ok ? 0 : 5);
    }
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_eq(WEXITSTATUS(status), 0);
    snprintf(path, sizeof path, "%s.npy", prefix);
    ck_assert_int_ne(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s.manifest.json", prefix);
    ck_assert_int_ne(access(path, F_OK), 0);
    rm_tmpdir();
}
END_TEST

static int count_files(void) {
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) files += e->d_name[0] != '.';
    closedir(d);
    return files;
}

START_TEST(test_shard_publish_rules) {
    make_tmpdir();
    char prefix[300], path[400];
    llmd_shard_writer *w = NULL;
    /* no file name to extend: refused before anything is created */
    ck_fails(open_shard(&w, "", LLMD_SHARD_MMIDX, 4, 0), LLMD_ERR_INVALID_ARG, "no file name");
    snprintf(prefix, sizeof prefix, "%s/", tmpdir);
    ck_fails(open_shard(&w, prefix, LLMD_SHARD_MMIDX, 4, 0), LLMD_ERR_INVALID_ARG, "no file name");
    snprintf(prefix, sizeof prefix, "%s/..", tmpdir);
    ck_fails(open_shard(&w, prefix, LLMD_SHARD_MMIDX, 4, 0), LLMD_ERR_INVALID_ARG, "no file name");
    ck_assert_ptr_null(w);
    ck_assert_int_eq(count_files(), 0);

    /* the files a finished writer reports are the files on disk: names, sizes, XXH3-64 of the bytes */
    snprintf(prefix, sizeof prefix, "%s/s", tmpdir);
    write_hand_shard(prefix, LLMD_SHARD_NPY, 100);
    ck_ok(llmd_shard_verify(prefix, LLMD_SHARD_VERIFY_CHECKSUMS));
    llmd_shard_options so = LLMD_SHARD_OPTIONS_INIT;
    so.format = LLMD_SHARD_MMIDX;
    so.seq_len = 2;
    so.vocab_size = 100;
    so.run_id = "run-1";
    /* existing files: refused at open without overwrite, naming one */
    ck_fails(llmd_shard_writer_open(&w, prefix, &so), LLMD_ERR_CONFLICT, "s.boundaries.npy exists");
    so.overwrite = 1;
    ck_ok(llmd_shard_writer_open(&w, prefix, &so));
    ck_assert_uint_eq(llmd_shard_writer_file_count(w), 0);
    uint32_t tok[2] = {5, 7}, cu[2] = {0, 2};
    uint64_t sd[1] = {0};
    uint32_t so_[1] = {0};
    llmd_pack_window win = {tok, 2, 1, cu, sd, so_};
    ck_ok(llmd_shard_writer_add(w, &win));
    ck_ok(llmd_shard_writer_finish(w, NULL));
    ck_assert_str_eq(llmd_shard_writer_run_id(w), "run-1");
    static const char *const want[] = {"s.bin", "s.idx", "s.boundaries.npy", "s.manifest.json"};
    ck_assert_uint_eq(llmd_shard_writer_file_count(w), 4);
    for (size_t i = 0; i < 4; i++) {
        const char *name;
        uint64_t bytes, h;
        ck_ok(llmd_shard_writer_file(w, i, &name, &bytes, &h));
        ck_assert_str_eq(name, want[i]);
        snprintf(path, sizeof path, "%s/%s", tmpdir, name);
        size_t n;
        unsigned char *b = slurp(path, &n);
        ck_assert_ptr_nonnull(b);
        ck_assert_uint_eq(bytes, n);
        ck_assert_uint_eq(h, XXH3_64bits(b, n));
        free(b);
    }
    ck_fails(llmd_shard_writer_file(w, 4, NULL, NULL, NULL), LLMD_ERR_RANGE, "file 4 of 4");
    llmd_shard_writer_free(w);
    /* the overwrite switched npy -> mmidx: the earlier s.npy is gone, nothing else is left */
    snprintf(path, sizeof path, "%s/s.npy", tmpdir);
    ck_assert_int_ne(access(path, F_OK), 0);
    ck_assert_int_eq(count_files(), 4);
    snprintf(path, sizeof path, "%s/s.manifest.json", tmpdir);
    size_t n;
    unsigned char *m = slurp(path, &n);
    ck_assert_ptr_nonnull(strstr((char *)m, "\"run_id\":\"run-1\""));
    ck_assert_ptr_nonnull(strstr((char *)m, "{\"name\":\"s.bin\",\"bytes\":4,\"xxh3\":\""));
    free(m);

    /* a mix of two runs: the .bin of another shard with the same size but other ids */
    char other[300];
    snprintf(other, sizeof other, "%s/t", tmpdir);
    so.run_id = NULL;
    so.overwrite = 0;
    ck_ok(llmd_shard_writer_open(&w, other, &so));
    tok[0] = 6;
    ck_ok(llmd_shard_writer_add(w, &win));
    ck_ok(llmd_shard_writer_finish(w, NULL));
    ck_assert_uint_eq(strlen(llmd_shard_writer_run_id(w)), 36); /* a UUID */
    llmd_shard_writer_free(w);
    char from[400], to[400];
    snprintf(from, sizeof from, "%s/t.bin", tmpdir);
    snprintf(to, sizeof to, "%s/s.bin", tmpdir);
    ck_assert_int_eq(rename(from, to), 0);
    ck_ok(llmd_shard_verify(prefix, 0)); /* same size: only the checksum tells */
    ck_fails(llmd_shard_verify(prefix, LLMD_SHARD_VERIFY_CHECKSUMS), LLMD_ERR_CORRUPT, "s.bin: XXH3-64");
    ck_fails(llmd_shard_verify(other, 0), LLMD_ERR_NOT_FOUND, "t.bin");

    /* unique names: two runs side by side in one directory, each complete */
    so.unique_names = 1;
    snprintf(prefix, sizeof prefix, "%s/part-00000", tmpdir);
    for (int run = 0; run < 2; run++) {
        ck_ok(llmd_shard_writer_open(&w, prefix, &so));
        ck_ok(llmd_shard_writer_add(w, &win));
        ck_ok(llmd_shard_writer_finish(w, NULL));
        const char *name;
        ck_ok(llmd_shard_writer_file(w, 0, &name, NULL, NULL));
        char want_name[128];
        snprintf(want_name, sizeof want_name, "part-00000-%s.bin", llmd_shard_writer_run_id(w));
        ck_assert_str_eq(name, want_name);
        snprintf(path, sizeof path, "%s-%s", prefix, llmd_shard_writer_run_id(w));
        ck_ok(llmd_shard_verify(path, LLMD_SHARD_VERIFY_CHECKSUMS));
        llmd_shard_writer_free(w);
    }
    so.run_id = "bad/id";
    ck_fails(llmd_shard_writer_open(&w, prefix, &so), LLMD_ERR_INVALID_ARG, "run id");
    rm_tmpdir();
}
END_TEST

/* ---- packing boundaries (issue 19): exact fit, one over, empty documents, documents longer than
 * seq_len, vocabulary limits — every expectation written out by hand for L = 4 ---- */
typedef struct bwin {
    size_t nwin;
    uint32_t tok[16][4];
    uint32_t nseg[16];
    uint32_t cu[16][6];
    uint64_t doc[16][5];
    uint32_t off[16][5];
} bwin;

static llmd_status bwin_fn(void *ctx, const llmd_pack_window *w) {
    bwin *b = ctx;
    ck_assert_uint_eq(w->seq_len, 4);
    ck_assert_uint_lt(b->nwin, 16);
    memcpy(b->tok[b->nwin], w->tokens, 4 * sizeof(uint32_t));
    b->nseg[b->nwin] = w->n_segments;
    memcpy(b->cu[b->nwin], w->cu_seqlens, (w->n_segments + 1) * sizeof(uint32_t));
    memcpy(b->doc[b->nwin], w->seg_doc, w->n_segments * sizeof(uint64_t));
    memcpy(b->off[b->nwin], w->seg_offset, w->n_segments * sizeof(uint32_t));
    b->nwin++;
    return LLMD_OK;
}

/* Packs docs (lens[i] ids each) with L = 4, no BOS/EOS; returns the stats. */
static llmd_pack_stats pack4(int strategy, int64_t pad, const uint32_t *const *docs, const size_t *lens,
                             size_t n, bwin *b) {
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    o.seq_len = 4;
    o.strategy = strategy;
    o.pad_id = pad;
    memset(b, 0, sizeof *b);
    llmd_packer *p;
    ck_ok(llmd_packer_new(&p, &o, bwin_fn, b));
    for (size_t i = 0; i < n; i++) ck_ok(llmd_packer_add(p, docs[i], lens[i]));
    ck_ok(llmd_packer_finish(p));
    llmd_pack_stats s;
    llmd_packer_stats(p, &s);
    llmd_packer_free(p);
    ck_assert_uint_eq(s.windows, b->nwin);
    return s;
}

static void want_window(const bwin *b, size_t w, uint32_t t0, uint32_t t1, uint32_t t2, uint32_t t3) {
    const uint32_t want[4] = {t0, t1, t2, t3};
    for (int t = 0; t < 4; t++)
        ck_assert_msg(b->tok[w][t] == want[t], "window %zu token %d: %u, expected %u", w, t, b->tok[w][t], want[t]);
}

START_TEST(test_pack_boundaries) {
    static const uint32_t four[] = {1, 2, 3, 4}, five[] = {1, 2, 3, 4, 5}, ten[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
                          eight[] = {1, 2, 3, 4, 5, 6, 7, 8}, two_a[] = {1, 2}, two_b[] = {3, 4}, none[] = {0};
    bwin b;
    llmd_pack_stats s;
    for (int strat = 0; strat <= 1; strat++) {
        int64_t pad = strat == LLMD_PACK_BEST_FIT ? 9 : -1;
        /* exact fit: one full window, nothing truncated, padded or dropped */
        const uint32_t *d1[] = {four};
        size_t l1[] = {4};
        s = pack4(strat, pad, d1, l1, 1, &b);
        ck_assert_uint_eq(b.nwin, 1);
        want_window(&b, 0, 1, 2, 3, 4);
        ck_assert_uint_eq(b.nseg[0], 1);
        ck_assert_uint_eq(b.cu[0][1], 4);
        ck_assert_uint_eq(s.docs_truncated, 0);
        ck_assert_uint_eq(s.pad_tokens + s.dropped_tokens + s.docs_dropped, 0);
        /* one over: [1 2 3 4] then 5 alone (dropped by greedy without pad, padded by best-fit) */
        const uint32_t *d2[] = {five};
        size_t l2[] = {5};
        s = pack4(strat, pad, d2, l2, 1, &b);
        want_window(&b, 0, 1, 2, 3, 4);
        ck_assert_uint_eq(s.docs_truncated, 1);
        ck_assert_uint_eq(s.docs_dropped, 0);
        if (strat == LLMD_PACK_GREEDY) {
            ck_assert_uint_eq(b.nwin, 1);
            ck_assert_uint_eq(s.dropped_tokens, 1);
        } else {
            ck_assert_uint_eq(b.nwin, 2);
            want_window(&b, 1, 5, 9, 9, 9);
            ck_assert_uint_eq(b.cu[1][1], 1);
            ck_assert_uint_eq(b.off[1][0], 4);
            ck_assert_uint_eq(s.pad_tokens, 3);
        }
        /* empty documents contribute nothing but are counted in and keep their index */
        const uint32_t *d3[] = {none, two_a, none, two_b};
        size_t l3[] = {0, 2, 0, 2};
        s = pack4(strat, pad, d3, l3, 4, &b);
        ck_assert_uint_eq(s.docs_in, 4);
        ck_assert_uint_eq(s.tokens_in, 4);
        ck_assert_uint_eq(s.docs_dropped, 0);
        ck_assert_uint_eq(s.docs_truncated, 0);
        ck_assert_uint_eq(b.nwin, 1);
        ck_assert_uint_eq(b.nseg[0], 2);
        ck_assert_uint_eq(b.cu[0][1], 2);
        ck_assert_uint_eq(b.cu[0][2], 4);
        /* greedy keeps input order; best-fit places equal-length pieces in input order too */
        ck_assert_uint_eq(b.doc[0][0], 1);
        ck_assert_uint_eq(b.doc[0][1], 3);
        want_window(&b, 0, 1, 2, 3, 4);
        /* exactly two windows long: split at the window boundary, no remainder */
        const uint32_t *d4[] = {eight};
        size_t l4[] = {8};
        s = pack4(strat, pad, d4, l4, 1, &b);
        ck_assert_uint_eq(b.nwin, 2);
        want_window(&b, 0, 1, 2, 3, 4);
        want_window(&b, 1, 5, 6, 7, 8);
        ck_assert_uint_eq(b.off[1][0], 4);
        ck_assert_uint_eq(s.docs_truncated, 1);
        ck_assert_uint_eq(s.pad_tokens + s.dropped_tokens, 0);
        /* longer than seq_len with a remainder: chunks in order, offsets 0, 4, 8 */
        const uint32_t *d5[] = {ten};
        size_t l5[] = {10};
        s = pack4(strat, pad, d5, l5, 1, &b);
        want_window(&b, 0, 1, 2, 3, 4);
        want_window(&b, 1, 5, 6, 7, 8);
        ck_assert_uint_eq(s.docs_truncated, 1);
        if (strat == LLMD_PACK_GREEDY) {
            ck_assert_uint_eq(b.nwin, 2);
            ck_assert_uint_eq(s.dropped_tokens, 2);
        } else {
            ck_assert_uint_eq(b.nwin, 3);
            want_window(&b, 2, 9, 10, 9, 9);
            ck_assert_uint_eq(b.off[2][0], 8);
            ck_assert_uint_eq(s.pad_tokens, 2);
        }
    }
    /* greedy with pad: the last partial window is padded, nothing dropped */
    const uint32_t *d6[] = {ten};
    size_t l6[] = {10};
    s = pack4(LLMD_PACK_GREEDY, 0, d6, l6, 1, &b);
    ck_assert_uint_eq(b.nwin, 3);
    want_window(&b, 2, 9, 10, 0, 0);
    ck_assert_uint_eq(s.dropped_tokens, 0);
    ck_assert_uint_eq(s.pad_tokens, 2);
    /* a document dropped whole by greedy (after an exact fit, its 2 tokens are the partial window):
     * dropped, not truncated (truncated means split over windows or PARTLY dropped) */
    const uint32_t *d7[] = {four, two_a, none};
    size_t l7[] = {4, 2, 0};
    s = pack4(LLMD_PACK_GREEDY, -1, d7, l7, 3, &b);
    ck_assert_uint_eq(b.nwin, 1);
    ck_assert_uint_eq(s.docs_dropped, 1);   /* the empty document is not "dropped" */
    ck_assert_uint_eq(s.docs_truncated, 0);
    ck_assert_uint_eq(s.dropped_tokens, 2);
}
END_TEST

START_TEST(test_pack_limits) {
    bwin b;
    llmd_packer *p;
    llmd_pack_options o = LLMD_PACK_OPTIONS_INIT;
    /* seq_len 1 .. 2^24 */
    o.seq_len = 0;
    ck_fails(llmd_packer_new(&p, &o, bwin_fn, &b), LLMD_ERR_INVALID_ARG, "seq_len");
    o.seq_len = (1u << 24) + 1;
    ck_fails(llmd_packer_new(&p, &o, bwin_fn, &b), LLMD_ERR_INVALID_ARG, "seq_len");
    /* ids: vocab_size - 1 is accepted, vocab_size refused naming the document and position */
    o.seq_len = 4;
    o.vocab_size = 100;
    memset(&b, 0, sizeof b);
    ck_ok(llmd_packer_new(&p, &o, bwin_fn, &b));
    static const uint32_t ok[] = {99, 0, 98, 1}, bad[] = {5, 100};
    ck_ok(llmd_packer_add(p, ok, 4));
    ck_fails(llmd_packer_add(p, bad, 2), LLMD_ERR_RANGE, "100");
    llmd_packer_free(p);
    ck_assert_uint_eq(b.nwin, 1);
    want_window(&b, 0, 99, 0, 98, 1);
    /* special ids must be below vocab_size too: 99 accepted, 100 refused */
    o.eos_id = 99;
    ck_ok(llmd_packer_new(&p, &o, bwin_fn, &b));
    llmd_packer_free(p);
    o.eos_id = 100;
    ck_fails(llmd_packer_new(&p, &o, bwin_fn, &b), LLMD_ERR_INVALID_ARG, "100");
    o.eos_id = -1;
    o.bos_id = 100;
    ck_fails(llmd_packer_new(&p, &o, bwin_fn, &b), LLMD_ERR_INVALID_ARG, "100");
    o.bos_id = -1;
    o.pad_id = 100;
    ck_fails(llmd_packer_new(&p, &o, bwin_fn, &b), LLMD_ERR_INVALID_ARG, "100");
    /* seq_len 1 with EOS: every token its own window */
    llmd_pack_options o1 = LLMD_PACK_OPTIONS_INIT;
    o1.seq_len = 1;
    o1.eos_id = 7;
    collect c = {.L = 1};
    ck_ok(llmd_packer_new(&p, &o1, collect_fn, &c));
    static const uint32_t d[] = {3, 4};
    ck_ok(llmd_packer_add(p, d, 2));
    ck_ok(llmd_packer_finish(p));
    llmd_packer_free(p);
    ck_assert_uint_eq(c.nwin, 3);
    ck_assert_uint_eq(c.tok[0][0], 3);
    ck_assert_uint_eq(c.tok[1][0], 4);
    ck_assert_uint_eq(c.tok[2][0], 7);
}
END_TEST

/* uint16 tokens exactly when every id fits: vocab_size 1..65536 (ids <= 65535); 65537 needs
 * uint32 (.npy '<u4'; MMIDIDX manifest "int32"). */
START_TEST(test_shard_dtype_boundary) {
    static const struct { uint64_t vocab; const char *descr; } cases[] = {
        {65535, "'<u2'"}, {65536, "'<u2'"}, {65537, "'<u4'"}, {1, "'<u2'"}};
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        make_tmpdir();
        char prefix[300], path[340];
        snprintf(prefix, sizeof prefix, "%s/s", tmpdir);
        llmd_shard_writer *w;
        ck_ok(open_shard(&w, prefix, LLMD_SHARD_NPY, 2, cases[k].vocab));
        uint32_t toks[2] = {0, (uint32_t)(cases[k].vocab - 1)};
        uint32_t cu[2] = {0, 2};
        uint64_t sd[1] = {0};
        uint32_t so[1] = {0};
        llmd_pack_window win = {toks, 2, 1, cu, sd, so};
        ck_ok(llmd_shard_writer_add(w, &win));
        ck_ok(llmd_shard_writer_finish(w, NULL));
        llmd_shard_writer_free(w);
        snprintf(path, sizeof path, "%s.npy", prefix);
        size_t n;
        unsigned char *b = slurp(path, &n);
        ck_assert_ptr_nonnull(b);
        ck_assert_msg(strstr((char *)b + 10, cases[k].descr) != NULL, "vocab %llu: header %.60s",
                      (unsigned long long)cases[k].vocab, (char *)b + 10);
        size_t width = cases[k].descr[3] == '2' ? 2 : 4;
        ck_assert_uint_eq(n, 128 + 2 * width);
        uint32_t last = width == 2 ? (uint32_t)(b[128 + 2] | b[128 + 3] << 8)
                                   : (uint32_t)(b[132] | b[133] << 8 | b[134] << 16 | (uint32_t)b[135] << 24);
        ck_assert_uint_eq(last, (uint32_t)(cases[k].vocab - 1));
        free(b);
        rm_tmpdir();
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("pack");
    TCase *tc = tcase_create("pack");
    tcase_add_test(tc, test_greedy_hand);
    tcase_add_test(tc, test_bfd_hand);
    tcase_add_test(tc, test_invariants);
    tcase_add_test(tc, test_bad_args);
    tcase_add_test(tc, test_callback_error);
    tcase_add_test(tc, test_shard_mmidx);
    tcase_add_test(tc, test_shard_npy);
    tcase_add_test(tc, test_shard_errors);
    tcase_add_test(tc, test_shard_publish_rules);
    tcase_add_test(tc, test_pack_boundaries);
    tcase_add_test(tc, test_pack_limits);
    tcase_add_test(tc, test_shard_dtype_boundary);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
