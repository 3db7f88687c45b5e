/* Suite "pack_cov": packer and shard-writer argument, state and option paths (issue 19 branch
 * coverage): strategy names, NULLs, calls after finish, windows with no segment or with padding,
 * NPY and MMIDX shards byte by byte (layouts from pack.h / numpy's format spec / Megatron's
 * MMIDX), manifests with extra JSON, overwrite removing a stale shard, ENOTDIR prefixes. */
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "testutil.h"

static char dir[64];
static void new_dir(void) {
    strcpy(dir, "/tmp/llmd_pcov_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}
static void rm_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
static const char *at(const char *name) {
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}
static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    char *b = malloc(1 << 16);
    *n = fread(b, 1, 1 << 16, f);
    fclose(f);
    b[*n] = 0;
    return b;
}

/* ---- packer ------------------------------------------------------------------------------- */
typedef struct collected {
    int windows;
    uint32_t tokens[16][8];
    uint32_t nseg[16];
    uint32_t cu[16][9];
} collected;
static llmd_status collect(void *ctx, const llmd_pack_window *w) {
    collected *c = ctx;
    memcpy(c->tokens[c->windows], w->tokens, w->seq_len * 4);
    c->nseg[c->windows] = w->n_segments;
    memcpy(c->cu[c->windows], w->cu_seqlens, (w->n_segments + 1) * 4);
    c->windows++;
    return LLMD_OK;
}

START_TEST(strategies_and_packer_arguments) {
    ck_assert_str_eq(llmd_pack_strategy_name(LLMD_PACK_GREEDY), "greedy");
    ck_assert_str_eq(llmd_pack_strategy_name(LLMD_PACK_BEST_FIT), "best-fit");
    ck_assert_ptr_null(llmd_pack_strategy_name((llmd_pack_strategy)7));
    llmd_pack_strategy s = LLMD_PACK_GREEDY;
    const char *bf[] = {"best-fit", "bfd", "best_fit"};
    for (int i = 0; i < 3; i++) {
        s = LLMD_PACK_GREEDY;
        ck_ok(llmd_pack_strategy_parse(bf[i], &s));
        ck_assert_int_eq(s, LLMD_PACK_BEST_FIT);
    }
    ck_ok(llmd_pack_strategy_parse("greedy", &s));
    ck_assert_int_eq(s, LLMD_PACK_GREEDY);
    ck_fails(llmd_pack_strategy_parse("first-fit", &s), LLMD_ERR_INVALID_ARG, "first-fit");
    ck_fails(llmd_pack_strategy_parse(NULL, &s), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_pack_strategy_parse("greedy", NULL), LLMD_ERR_INVALID_ARG, "NULL");
    collected c = {0};
    llmd_packer *p;
    ck_fails(llmd_packer_new(NULL, NULL, collect, &c), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_fails(llmd_packer_add(NULL, NULL, 0), LLMD_ERR_INVALID_ARG, "packer is NULL");
    ck_fails(llmd_packer_finish(NULL), LLMD_ERR_INVALID_ARG, "packer is NULL");
    llmd_packer_stats(NULL, NULL);
    llmd_pack_stats st;
    memset(&st, 0xff, sizeof st);
    llmd_packer_stats(NULL, &st);
    ck_assert_uint_eq(st.windows, 0);
    llmd_pack_position_ids(NULL, NULL);
    /* defaults (opts NULL): seq_len 2048, nothing emitted for a short document without pad */
    ck_ok(llmd_packer_new(&p, NULL, collect, &c));
    const uint32_t ids[] = {1, 2, 3};
    ck_fails(llmd_packer_add(p, NULL, 3), LLMD_ERR_INVALID_ARG, "ids is NULL");
    ck_ok(llmd_packer_add(p, ids, 3));
    ck_ok(llmd_packer_finish(p));
    ck_fails(llmd_packer_finish(p), LLMD_ERR_STATE, "finished");
    llmd_packer_stats(p, &st);
    ck_assert_uint_eq(st.windows, 0);
    ck_assert_uint_eq(st.dropped_tokens, 3);
    llmd_packer_free(p);
    /* greedy, BOS and EOS, seq_len 4: [B 1 2 3 E] [B 4 E] -> windows B123 | EB4E */
    llmd_pack_options o;
    llmd_pack_options_init(&o);
    o.seq_len = 4;
    o.bos_id = 100;
    o.eos_id = 101;
    o.pad_id = 0;
    ck_ok(llmd_packer_new(&p, &o, collect, &c));
    ck_ok(llmd_packer_add(p, ids, 3));
    const uint32_t four[] = {4};
    ck_ok(llmd_packer_add(p, four, 1));
    ck_ok(llmd_packer_finish(p));
    ck_assert_int_eq(c.windows, 2);
    const uint32_t w0[] = {100, 1, 2, 3}, w1[] = {101, 100, 4, 101};
    ck_assert_mem_eq(c.tokens[0], w0, 16);
    ck_assert_mem_eq(c.tokens[1], w1, 16);
    ck_assert_uint_eq(c.nseg[1], 2);
    llmd_packer_stats(p, &st);
    ck_assert_uint_eq(st.docs_truncated, 1);
    llmd_packer_free(p);
    /* best-fit with buffer_windows 0 (taken as 1) pads each window */
    memset(&c, 0, sizeof c);
    o.strategy = LLMD_PACK_BEST_FIT;
    o.bos_id = o.eos_id = -1;
    o.buffer_windows = 0;
    ck_ok(llmd_packer_new(&p, &o, collect, &c));
    const uint32_t two[] = {7, 8};
    ck_ok(llmd_packer_add(p, ids, 3));
    ck_ok(llmd_packer_add(p, two, 2));
    ck_ok(llmd_packer_finish(p));
    ck_fails(llmd_packer_add(p, two, 2), LLMD_ERR_STATE, "");
    llmd_packer_stats(p, &st);
    ck_assert_uint_eq(st.tokens_out, 5);
    ck_assert_uint_eq(st.pad_tokens, 3);
    llmd_packer_free(p);
    llmd_packer_free(NULL);
    /* position ids of a window without segments: 0..L-1 over the padding */
    uint32_t toks[4] = {0}, pos[4];
    llmd_pack_window empty = {.tokens = toks, .seq_len = 4, .n_segments = 0, .cu_seqlens = (uint32_t[]){0}};
    llmd_pack_position_ids(&empty, pos);
    ck_assert(pos[0] == 0 && pos[3] == 3);
}
END_TEST

/* ---- shard writers ------------------------------------------------------------------------- */
static const uint32_t T4[4] = {5, 6, 7, 0};
static const uint32_t CU2[3] = {0, 2, 3};
static const uint64_t DOC2[2] = {0, 1};
static const uint32_t OFF2[2] = {0, 0};

static llmd_pack_window win4(void) {
    return (llmd_pack_window){.tokens = T4, .seq_len = 4, .n_segments = 2, .cu_seqlens = CU2, .seg_doc = DOC2,
                              .seg_offset = OFF2};
}

START_TEST(shard_options_and_states) {
    new_dir();
    llmd_shard_writer *w = NULL;
    llmd_shard_options o;
    llmd_shard_options_init(&o);
    o.seq_len = 4;
    ck_fails(llmd_shard_writer_open(NULL, at("s"), &o), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_shard_writer_open(&w, NULL, &o), LLMD_ERR_INVALID_ARG, "NULL");
    o.format = (llmd_shard_format)5;
    ck_fails(llmd_shard_writer_open(&w, at("s"), &o), LLMD_ERR_INVALID_ARG, "unknown format 5");
    o.format = LLMD_SHARD_NPY;
    o.seq_len = 0;
    ck_fails(llmd_shard_writer_open(&w, at("s"), &o), LLMD_ERR_INVALID_ARG, "seq_len is 0");
    o.seq_len = 4;
    o.version = 9;
    ck_fails(llmd_shard_writer_open(&w, at("s"), &o), LLMD_ERR_VERSION, "shard options");
    o.version = LLMD_SHARD_OPTIONS_VERSION;
    const char *bad_ids[] = {"", ".hidden", "a/b", "a b", "ü"};
    for (int i = 0; i < 5; i++) {
        o.run_id = bad_ids[i];
        ck_assert_int_eq(llmd_shard_writer_open(&w, at("s"), &o), LLMD_ERR_INVALID_ARG);
        ck_assert_msg(strstr(llmd_last_error(), "run id"), "%s", llmd_last_error());
    }
    char long_id[120];
    memset(long_id, 'a', 101);
    long_id[101] = 0;
    o.run_id = long_id;
    ck_fails(llmd_shard_writer_open(&w, at("s"), &o), LLMD_ERR_INVALID_ARG, "1..100 characters");
    o.run_id = "run-1_a.b";
    ck_fails(llmd_shard_writer_open(&w, at("bad\xff"), &o), LLMD_ERR_INVALID_ARG, "not valid UTF-8");
    ck_fails(llmd_shard_writer_open(&w, at(""), &o), LLMD_ERR_INVALID_ARG, "no file name");
    FILE *f = fopen(at("plain"), "w");
    fclose(f);
    ck_assert_int_ne(llmd_shard_writer_open(&w, at("plain/s"), &o), LLMD_OK);   /* ENOTDIR */
    ck_assert_ptr_null(w);
    /* NPY, vocab 0 -> '<u4'; one window of 2 segments + padding */
    ck_ok(llmd_shard_writer_open(&w, at("s"), &o));
    ck_assert_str_eq(llmd_shard_writer_run_id(w), "run-1_a.b");
    ck_assert_uint_eq(llmd_shard_writer_file_count(w), 0);
    ck_fails(llmd_shard_writer_file(w, 0, NULL, NULL, NULL), LLMD_ERR_RANGE, "listed after finish");
    llmd_pack_window x = win4();
    ck_fails(llmd_shard_writer_add(NULL, &x), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_shard_writer_add(w, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    x.seq_len = 3;
    ck_fails(llmd_shard_writer_add(w, &x), LLMD_ERR_INVALID_ARG, "window of 3 tokens, shard seq_len 4");
    x.seq_len = 4;
    ck_ok(llmd_shard_writer_window_fn(w, &x));
    llmd_pack_window none = {.tokens = T4, .seq_len = 4, .n_segments = 0, .cu_seqlens = (uint32_t[]){0}};
    ck_ok(llmd_shard_writer_add(w, &none));
    ck_assert_uint_eq(llmd_shard_writer_windows(w), 2);
    ck_assert_uint_eq(llmd_shard_writer_windows(NULL), 0);
    ck_fails(llmd_shard_writer_finish(w, "[1]"), LLMD_ERR_PARSE, "shard manifest extra JSON");
    ck_fails(llmd_shard_writer_finish(w, NULL), LLMD_ERR_STATE, "finished or failed");
    llmd_shard_writer_free(w);
    ck_assert_int_ne(access(at("s.npy"), F_OK), 0);   /* nothing published */
    ck_ok(llmd_shard_writer_open(&w, at("s"), &o));
    ck_ok(llmd_shard_writer_add(w, &x));
    ck_ok(llmd_shard_writer_add(w, &none));
    ck_ok(llmd_shard_writer_finish(w, " { \n\t\r } "));
    ck_fails(llmd_shard_writer_finish(w, NULL), LLMD_ERR_STATE, "finished or failed");
    ck_fails(llmd_shard_writer_add(w, &x), LLMD_ERR_STATE, "finished or failed");
    ck_fails(llmd_shard_writer_finish(NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_assert_uint_eq(llmd_shard_writer_file_count(w), 3);   /* .npy, .boundaries.npy, manifest */
    const char *name;
    uint64_t bytes, h;
    ck_ok(llmd_shard_writer_file(w, 0, &name, &bytes, &h));
    ck_assert_str_eq(name, "s.npy");
    ck_assert_uint_eq(bytes, 128 + 2 * 4 * 4);   /* npy v1.0 header padded to 128 bytes + 8 uint32 */
    ck_ok(llmd_shard_writer_file(w, 2, NULL, NULL, NULL));
    ck_fails(llmd_shard_writer_file(NULL, 0, &name, &bytes, &h), LLMD_ERR_INVALID_ARG, "NULL");
    size_t n;
    char *npy = slurp(at("s.npy"), &n);
    ck_assert_uint_eq(h, XXH3_64bits(npy, n));
    ck_assert_mem_eq(npy, "\x93NUMPY\x01\x00", 8);
    ck_assert_msg(strstr(npy + 10, "'descr': '<u4'") && strstr(npy + 10, "'shape': (2, 4)"), "%.118s", npy + 10);
    ck_assert_mem_eq(npy + 128, T4, 16);
    free(npy);
    /* boundaries: window 0: 0, 2, 3 (padding starts); window 1 (no segment): 4; total 8 */
    char *bnd = slurp(at("s.boundaries.npy"), &n);
    ck_assert_uint_eq(n, 128 + 5 * 8);
    const int64_t want[] = {0, 2, 3, 4, 8};
    ck_assert_mem_eq(bnd + 128, want, sizeof want);
    free(bnd);
    llmd_shard_writer_free(w);
    llmd_shard_writer_free(NULL);
    ck_ok(llmd_shard_verify(at("s"), LLMD_SHARD_VERIFY_CHECKSUMS));
    ck_fails(llmd_shard_verify(NULL, 0), LLMD_ERR_INVALID_ARG, "prefix is NULL");
    ck_fails(llmd_shard_verify(at("nope"), 0), LLMD_ERR_NOT_FOUND, "nope.manifest.json");
    /* a prefix without a directory part is relative to the current directory */
    char cwd[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(dir), 0);
    ck_ok(llmd_shard_verify("s", 0));
    ck_assert_int_eq(chdir(cwd), 0);
    /* without overwrite the existing shard is a conflict, named */
    ck_fails(llmd_shard_writer_open(&w, at("s"), &o), LLMD_ERR_CONFLICT, "s.npy exists");
    /* overwrite with MMIDX (vocab 1000 -> uint16): the stale s.npy named by the old manifest goes */
    o.format = LLMD_SHARD_MMIDX;
    o.overwrite = 1;
    o.vocab_size = 1000;
    o.run_id = NULL;
    ck_ok(llmd_shard_writer_open(&w, at("s"), &o));
    ck_assert_uint_eq(strlen(llmd_shard_writer_run_id(w)), 36);
    ck_ok(llmd_shard_writer_add(w, &x));
    ck_ok(llmd_shard_writer_finish(w, "{\"strategy\": \"greedy\"}"));
    llmd_shard_writer_free(w);
    ck_assert_int_ne(access(at("s.npy"), F_OK), 0);
    char *bin = slurp(at("s.bin"), &n);
    const uint16_t t16[] = {5, 6, 7, 0};
    ck_assert_uint_eq(n, 8);
    ck_assert_mem_eq(bin, t16, 8);
    free(bin);
    char *idx = slurp(at("s.idx"), &n);
    /* MMIDX: magic, version 1, dtype 8 (uint16), 1 sequence, 2 document indices, size 4,
     * pointer 0, document_indices 0, 1 */
    ck_assert_uint_eq(n, 9 + 8 + 1 + 8 + 8 + 4 + 8 + 16);
    ck_assert_mem_eq(idx, "MMIDIDX\0\0", 9);
    ck_assert_int_eq(idx[17], 8);
    free(idx);
    char *man = slurp(at("s.manifest.json"), &n);
    ck_assert_msg(strstr(man, "\"strategy\": \"greedy\"") && strstr(man, "\"manifest_version\":2"), "%s", man);
    free(man);
    ck_ok(llmd_shard_verify(at("s"), LLMD_SHARD_VERIFY_CHECKSUMS));
    /* overwrite over a damaged old manifest: treated as no earlier shard */
    f = fopen(at("s.manifest.json"), "w");
    fputs("not json", f);
    fclose(f);
    ck_fails(llmd_shard_verify(at("s"), 0), LLMD_ERR_CORRUPT, "not a JSON object");
    o.unique_names = 1;
    o.run_id = "u1";
    ck_ok(llmd_shard_writer_open(&w, at("s"), &o));
    ck_ok(llmd_shard_writer_add(w, &x));
    ck_ok(llmd_shard_writer_finish(w, NULL));
    ck_ok(llmd_shard_writer_file(w, 0, &name, NULL, NULL));
    ck_assert_str_eq(name, "s-u1.bin");
    llmd_shard_writer_free(w);
    ck_ok(llmd_shard_verify(at("s-u1"), LLMD_SHARD_VERIFY_CHECKSUMS));
    /* ids that do not fit: uint16 for vocab 1000 means ids < 1000 */
    o.unique_names = 0;
    o.run_id = NULL;
    ck_ok(llmd_shard_writer_open(&w, at("r"), &o));
    const uint32_t big[4] = {1, 2, 1000, 3};
    llmd_pack_window y = win4();
    y.tokens = big;
    ck_fails(llmd_shard_writer_add(w, &y), LLMD_ERR_RANGE, "window 0 token 2: id 1000 does not fit (limit 1000)");
    ck_fails(llmd_shard_writer_add(w, &x), LLMD_ERR_STATE, "finished or failed");
    llmd_shard_writer_free(w);
    rm_dir();
}
END_TEST

int main(void) {
    Suite *s = suite_create("pack_cov");
    TCase *tc = tcase_create("cov");
    tcase_add_test(tc, strategies_and_packer_arguments);
    tcase_add_test(tc, shard_options_and_states);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
