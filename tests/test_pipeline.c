/* Check suite for the pipeline (include/llmdata/pipeline.h), with the byte-level tokenizer so the
 * expected token stream is the documents' bytes (plus EOS 256) — computable by hand. */
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

/* One line, 5 different sentences, 59 words, stop words the/to/with/and/that: passes C4 and Gopher. */
#define GOOD_HEAD "The quick brown fox jumps over the lazy dog near the river bank. " \
    "Every morning the farmer walks to the market with fresh eggs. " \
    "Children played in the park until the sun went down behind hills. " \
    "Our small town has a library that opens early on weekdays. " \
    "She wrote a long letter to her brother and mailed it"
#define GOOD GOOD_HEAD " yesterday."
#define OTHER "A small cat sat on the warm mat and then it went to sleep."
#define GOOD2 OTHER " " OTHER " " OTHER " " OTHER " " OTHER

static char dir[256];

static void mk_dir(void) {
    snprintf(dir, sizeof dir, "/tmp/llmd_pipeline_test_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void rm_dir(void) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *name, const char *content) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(content, f);
    fclose(f);
}

static unsigned char *slurp(const char *name, size_t *n) {
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)sz + 1);
    *n = fread(b, 1, (size_t)sz, f);
    b[*n] = 0;
    fclose(f);
    return b;
}

static llmd_pipeline *mk(const char *out_sub) {
    llmd_pipeline *p;
    ck_ok(llmd_pipeline_new(&p));
    char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, out_sub);
    ck_ok(llmd_pipeline_set(p, "out", path));
    ck_ok(llmd_pipeline_set(p, "tokenizer", "bytes"));
    ck_ok(llmd_pipeline_set(p, "seq_len", "64"));
    ck_ok(llmd_pipeline_set(p, "pad_id", "0"));
    ck_ok(llmd_pipeline_set(p, "batch", "2")); /* several batches: dedup across batches */
    snprintf(path, sizeof path, "%s/in.jsonl", dir);
    ck_ok(llmd_pipeline_add_input(p, path));
    return p;
}

START_TEST(test_end_to_end) {
    mk_dir();
    /* 1 kept; 2 exact dup of 1; 3 lorem ipsum (C4); 4 kept with an e-mail redacted; 5 near dup of 1
     * (last word changed: 1 of 55 word 5-shingles differs, Jaccard 54/56 = 0.96 > 0.8); 6 kept */
    write_text("in.jsonl",
               "{\"id\":1,\"text\":\"" GOOD "\"}\n"
               "{\"id\":2,\"text\":\"" GOOD "\"}\n"
               "{\"id\":3,\"text\":\"" GOOD " Lorem ipsum dolor sit amet.\"}\n"
               "{\"id\":4,\"text\":\"" GOOD2 " Write to jane.doe@example.com today.\"}\n"
               "{\"id\":5,\"text\":\"" GOOD_HEAD " today.\"}\n"
               "\n"
               "{\"id\":6,\"text\":\"" GOOD2 "\"}\n");
    llmd_pipeline *p = mk("out");
    char *json = NULL, *text = NULL;
    ck_ok(llmd_pipeline_run(p, &json, &text));
    ck_assert_ptr_nonnull(strstr(json, "\"c4_lorem_ipsum\":{\"docs_dropped\":1"));
    ck_assert_ptr_nonnull(strstr(json, "\"exact_duplicates\":1,\"near_duplicates\":1"));
    ck_assert_ptr_nonnull(strstr(json, "\"EMAIL_ADDRESS\":1"));
    ck_assert_ptr_nonnull(strstr(text, "exact duplicates 1, near duplicates 1"));
    llmd_free(json);
    llmd_free(text);
    llmd_pipeline_free(p);
    size_t n;
    unsigned char *rep = slurp("out/report.json", &n);
    ck_assert_ptr_nonnull(rep);
    ck_assert_ptr_nonnull(strstr((char *)rep, "\"read\":{\"docs_in\":6,\"docs_out\":6"));
    free(rep);
    /* the shard: bytes of docs 1, 4 (redacted), 6, each + EOS 256, greedy windows of 64, padded with 0 */
    unsigned char *bin = slurp("out/data.bin", &n);
    ck_assert_ptr_nonnull(bin);
    unsigned char *man = slurp("out/data.manifest.json", &n);
    ck_assert_ptr_nonnull(man);
    ck_assert_ptr_nonnull(strstr((char *)man, "\"dtype\":\"uint16\""));
    ck_assert_ptr_nonnull(strstr((char *)man, "\"tokenizer_xxh3_128\":\"bytes\""));
    free(man);
    const char *docs[3] = {GOOD, NULL, GOOD2};
    char d4[1024];
    ck_assert_ptr_null(strstr((char *)bin, "jane.doe")); /* bytes are uint16: check via the decoded stream */
    size_t total = 0;
    uint16_t stream[4096];
    for (int d = 0; d < 3; d++) {
        const char *s = docs[d];
        if (d == 1) {
            /* the redactor's default replacement is "[{type}]" (text.h) */
            snprintf(d4, sizeof d4, "%s Write to [EMAIL_ADDRESS] today.", GOOD2);
            s = d4;
        }
        for (size_t i = 0; s[i]; i++) stream[total++] = (unsigned char)s[i];
        stream[total++] = 256;
    }
    size_t windows = (total + 63) / 64;
    size_t bn;
    free(bin);
    bin = slurp("out/data.bin", &bn);
    ck_assert_uint_eq(bn, windows * 64 * 2);
    for (size_t i = 0; i < windows * 64; i++) {
        uint16_t v = (uint16_t)(bin[2 * i] | bin[2 * i + 1] << 8);
        ck_assert_uint_eq(v, i < total ? stream[i] : 0);
    }
    free(bin);
    rm_dir();
}
END_TEST

START_TEST(test_errors) {
    mk_dir();
    write_text("in.jsonl", "{\"text\":\"" GOOD "\"}\n{\"text\": oops}\n{\"id\":3}\n");
    llmd_pipeline *p = mk("out");
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_PARSE, "in.jsonl:2");
    char path[400];
    snprintf(path, sizeof path, "%s/out/data.bin", dir);
    ck_assert_int_ne(access(path, F_OK), 0); /* no shard left under a final name */
    ck_ok(llmd_pipeline_set(p, "skip_bad", "true"));
    char *json = NULL;
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_ptr_nonnull(strstr(json, "\"bad_lines\":2"));
    llmd_free(json);
    llmd_pipeline_free(p);

    write_text("in.jsonl", "{\"text\":\"" GOOD "\"}\n{\"id\":3}\n");
    p = mk("out2");
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_NOT_FOUND, "in.jsonl:2: field \"text\"");
    ck_fails(llmd_pipeline_set(p, "seq_lenn", "4"), LLMD_ERR_NOT_FOUND, "seq_lenn");
    ck_fails(llmd_pipeline_set(p, "seq_len", "-4"), LLMD_ERR_INVALID_ARG, "seq_len");
    ck_fails(llmd_pipeline_set(p, "strategy", "worst-fit"), LLMD_ERR_INVALID_ARG, "worst-fit");
    ck_fails(llmd_pipeline_set(p, "near_dedup", "maybe"), LLMD_ERR_INVALID_ARG, "near_dedup");
    /* an output "directory" below a regular file */
    snprintf(path, sizeof path, "%s/in.jsonl/sub", dir);
    ck_ok(llmd_pipeline_set(p, "out", path));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_IO, "in.jsonl/sub");
    llmd_pipeline_free(p);

    /* an output directory holding something no llmdata run wrote is refused before any work, even
     * with overwrite, and left as it was */
    write_text("in.jsonl", "{\"text\":\"" GOOD "\"}\n");
    p = mk("out3");
    snprintf(path, sizeof path, "%s/out3", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    snprintf(path, sizeof path, "%s/out3/report.json", dir);
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_CONFLICT, "not empty (it holds report.json)");
    ck_ok(llmd_pipeline_set(p, "overwrite", "1"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_CONFLICT, "holds report.json, which no earlier llmdata run");
    ck_ok(llmd_pipeline_set(p, "overwrite", "0"));
    static const char *const finals[] = {"data.bin", "data.idx", "data.boundaries.npy", "data.manifest.json"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/out3/%s", dir, finals[i]);
        ck_assert_msg(access(path, F_OK) != 0, "%s left behind", finals[i]);
    }
    snprintf(path, sizeof path, "%s/out3/report.json", dir);
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    ck_assert(S_ISDIR(sb.st_mode));
    /* an EOS id beyond the vocabulary (bytes: 257 ids) */
    ck_ok(llmd_pipeline_set(p, "eos_id", "257"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "eos_id 257 is not below vocab_size 257");
    llmd_pipeline_free(p);

    llmd_pipeline *q;
    ck_ok(llmd_pipeline_new(&q));
    ck_fails(llmd_pipeline_run(q, NULL, NULL), LLMD_ERR_INVALID_ARG, "out");
    write_text("c.json", "{\"seq_len\": 128, \"strategy\": \"best-fit\", \"filter\": false, \"threads\": -3}");
    snprintf(path, sizeof path, "%s/c.json", dir);
    ck_fails(llmd_pipeline_load_config(q, path), LLMD_ERR_INVALID_ARG, "c.json");
    /* an empty list setting is the empty string (the fuzzer found it read past a 1-byte buffer) */
    write_text("c.json", "{\"filters\": [], \"languages\": []}");
    ck_ok(llmd_pipeline_load_config(q, path));
    write_text("c.json", "[1, 2]");
    ck_fails(llmd_pipeline_load_config(q, path), LLMD_ERR_PARSE, "not a JSON object");
    llmd_pipeline_free(q);
    rm_dir();
}
END_TEST

START_TEST(test_config_bestfit_npy) {
    mk_dir();
    write_text("in.jsonl", "{\"body\":\"" GOOD "\"}\n{\"body\":\"" GOOD2 "\"}\n");
    char cfg[1024], path[400];
    snprintf(cfg, sizeof cfg,
             "{\"tokenizer\":\"bytes\",\"seq_len\":100,\"out\":\"%s/o\",\"strategy\":\"best-fit\",\"format\":\"npy\","
             "\"field\":\"body\",\"near_dedup\":false,\"threads\":2,\"inputs\":[\"%s/in.jsonl\"]}",
             dir, dir);
    write_text("c.json", cfg);
    llmd_pipeline *p;
    ck_ok(llmd_pipeline_new(&p));
    snprintf(path, sizeof path, "%s/c.json", dir);
    ck_ok(llmd_pipeline_load_config(p, path));
    char *json;
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    /* best-fit pads with EOS (256) by default; documents of 315+1 and 294+1 tokens: 3+2 full windows,
     * remainders 16 and 95 cannot share a window of 100: 7 windows (hand arithmetic, lengths from
     * Python's len()) */
    ck_assert_ptr_nonnull(strstr(json, "\"strategy\":\"best-fit\""));
    ck_assert_ptr_nonnull(strstr(json, "\"pad_id\":256"));
    llmd_free(json);
    llmd_pipeline_free(p);
    size_t n;
    unsigned char *npy = slurp("o/data.npy", &n);
    ck_assert_ptr_nonnull(npy);
    ck_assert_ptr_nonnull(strstr((char *)npy + 10, "'shape': (7, 100)")); /* 3+1 and 3 windows: 626 tokens */
    free(npy);
    rm_dir();
}
END_TEST

/* Names in dir (sorted, joined by spaces) — to see exactly what a run left. */
static void list_names(const char *sub, char *out, size_t cap) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls -A '%s/%s' 2>/dev/null | sort | tr '\\n' ' '", dir, sub);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = 0;
    pclose(f);
}

START_TEST(test_rerun_and_verify) {
    mk_dir();
    write_text("in.jsonl", "{\"text\":\"" GOOD "\"}\n");
    llmd_pipeline *p = mk("o");
    ck_ok(llmd_pipeline_set(p, "filter", "0"));
    ck_ok(llmd_pipeline_set(p, "format", "npy"));
    ck_ok(llmd_pipeline_run(p, NULL, NULL));
    char names[1024], path[400];
    list_names("o", names, sizeof names);
    ck_assert_str_eq(names, "_llmdata_run.json data.boundaries.npy data.manifest.json data.npy report.json ");
    snprintf(path, sizeof path, "%s/o", dir);
    ck_ok(llmd_pipeline_verify_output(path, LLMD_PIPELINE_VERIFY_CHECKSUMS));
    size_t n0;
    unsigned char *npy0 = slurp("o/data.npy", &n0);

    /* a second run into the same directory is refused without overwrite, the first output intact */
    write_text("in.jsonl", "{\"text\":\"" GOOD "\"}\n{\"text\":\"" GOOD2 "\"}\n");
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_CONFLICT, "is not empty");
    size_t n1;
    unsigned char *npy1 = slurp("o/data.npy", &n1);
    ck_assert_uint_eq(n0, n1);
    ck_assert_int_eq(memcmp(npy0, npy1, n0), 0);
    free(npy1);
    free(npy0);

    /* with overwrite and another format: the directory is replaced whole (no npy left behind) */
    ck_ok(llmd_pipeline_set(p, "overwrite", "true"));
    ck_ok(llmd_pipeline_set(p, "format", "mmidx"));
    ck_ok(llmd_pipeline_run(p, NULL, NULL));
    list_names("o", names, sizeof names);
    ck_assert_str_eq(names,
                     "_llmdata_run.json data.bin data.boundaries.npy data.idx data.manifest.json report.json ");
    ck_ok(llmd_pipeline_verify_output(path, LLMD_PIPELINE_VERIFY_CHECKSUMS));
    /* no staging directory is left beside it */
    list_names("", names, sizeof names);
    ck_assert_str_eq(names, "in.jsonl o ");

    /* an input inside the directory the run would replace is refused (here: a file of that run) */
    llmd_pipeline *q = mk("o");
    ck_ok(llmd_pipeline_set(q, "overwrite", "1"));
    snprintf(path, sizeof path, "%s/o/report.json", dir);
    ck_ok(llmd_pipeline_add_input(q, path));
    ck_fails(llmd_pipeline_run(q, NULL, NULL), LLMD_ERR_CONFLICT, "lies inside the output directory");
    llmd_pipeline_free(q);
    snprintf(path, sizeof path, "%s/o", dir);
    ck_ok(llmd_pipeline_verify_output(path, LLMD_PIPELINE_VERIFY_CHECKSUMS));

    /* files of two runs: a data.bin of another size, then one of the same size but other bytes */
    snprintf(path, sizeof path, "%s/o/data.bin", dir);
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    ck_assert_int_eq(fputc('X', f), 'X');   /* same size, other bytes */
    fclose(f);
    snprintf(path, sizeof path, "%s/o", dir);
    ck_ok(llmd_pipeline_verify_output(path, 0));   /* sizes alone cannot see it ... */
    ck_fails(llmd_pipeline_verify_output(path, LLMD_PIPELINE_VERIFY_CHECKSUMS), LLMD_ERR_CORRUPT, "data.bin: XXH3-64");
    snprintf(path, sizeof path, "%s/o/data", dir);
    ck_fails(llmd_shard_verify(path, LLMD_SHARD_VERIFY_CHECKSUMS), LLMD_ERR_CORRUPT, "data.bin: XXH3-64");
    snprintf(path, sizeof path, "%s/o/data.bin", dir);
    ck_assert_int_eq(truncate(path, size - 2), 0);
    snprintf(path, sizeof path, "%s/o", dir);
    ck_fails(llmd_pipeline_verify_output(path, 0), LLMD_ERR_CORRUPT, "not one complete output");
    snprintf(path, sizeof path, "%s/o/data", dir);
    ck_fails(llmd_shard_verify(path, 0), LLMD_ERR_CORRUPT, "not one complete output");

    /* a user's file inside an earlier run's directory: overwrite refuses and deletes nothing */
    write_text("o/notes.txt", "mine");
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_CONFLICT, "holds notes.txt");
    list_names("o", names, sizeof names);
    ck_assert_str_eq(names, "_llmdata_run.json data.bin data.boundaries.npy data.idx data.manifest.json notes.txt "
                            "report.json ");
    /* a run manifest naming a path outside its directory is refused, not followed */
    write_text("o/_llmdata_run.json", "{\"llmdata_run\":1,\"files\":[{\"name\":\"../in.jsonl\",\"bytes\":1,"
                                      "\"xxh3\":\"0000000000000000\"}]}");
    snprintf(path, sizeof path, "%s/o", dir);
    ck_fails(llmd_pipeline_verify_output(path, 0), LLMD_ERR_CORRUPT, "not a file name");
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_CORRUPT, "not a file name");
    ck_assert_int_eq(access("/dev/null", F_OK), 0);
    snprintf(path, sizeof path, "%s/in.jsonl", dir);
    ck_assert_int_eq(access(path, F_OK), 0);
    llmd_pipeline_free(p);
    rm_dir();
}
END_TEST

/* Near dedup decides on whole-corpus clusters (the default): the hand-worked chain of
 * tests/cli/test_dedup.sh -- c1 = base with w20 replaced, c2 = base with w1 replaced (each 15/17 =
 * 0.88 to the base, 14/18 = 0.78 to each other), the base last -- is one cluster: only c1 (first)
 * and the unrelated document reach the shard, across batches of 2.  near_streaming = 1 is the
 * one-pass mode, which never removes more. */
#define CHAIN_W " w2 w3 w4 w5 w6 w7 w8 w9 w10 w11 w12 w13 w14 w15 w16 w17 w18 w19"
#define CHAIN_C1 "w1" CHAIN_W " zzz"
#define CHAIN_U "an unrelated document about something else entirely"
START_TEST(test_near_clusters) {
    mk_dir();
    write_text("in.jsonl",
               "{\"text\":\"" CHAIN_C1 "\"}\n"
               "{\"text\":\"yyy" CHAIN_W " w20\"}\n"
               "{\"text\":\"w1" CHAIN_W " w20\"}\n"
               "{\"text\":\"" CHAIN_U "\"}\n");
    llmd_pipeline *p = mk("out");
    ck_ok(llmd_pipeline_set(p, "filter", "0"));
    char *json = NULL;
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_msg(strstr(json, "\"exact_duplicates\":0,\"near_duplicates\":2,\"near_mode\":\"cluster\"") != NULL,
                  "%s", json);
    ck_assert_msg(strstr(json, "\"near_clusters\":{\"clusters\":2,\"largest\":3,\"sizes\":{\"2\":0,\"3\":1,") != NULL,
                  "%s", json);
    ck_assert_ptr_nonnull(strstr(json, "\"dedup\":{\"docs_in\":4,\"docs_out\":2,"));
    llmd_free(json);
    llmd_pipeline_free(p);
    /* the shard holds c1 and the unrelated document, in input order, each + EOS 256 */
    size_t n;
    unsigned char *bin = slurp("out/data.bin", &n);
    ck_assert_ptr_nonnull(bin);
    const char *want[2] = {CHAIN_C1, CHAIN_U};
    size_t at = 0;
    for (int d = 0; d < 2; d++) {
        for (size_t i = 0; want[d][i]; i++, at++) ck_assert_uint_eq(bin[2 * at] | bin[2 * at + 1] << 8, (unsigned char)want[d][i]);
        ck_assert_uint_eq(bin[2 * at] | bin[2 * at + 1] << 8, 256);
        at++;
    }
    ck_assert_uint_eq(n, (at + 63) / 64 * 64 * 2);
    free(bin);
    /* nothing but the published files in the output directory (the spool never had a name there) */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s/out' | grep -v -e '^data\\.' -e '^report\\.json$' -e '^_llmdata_run\\.json$')\"", dir);
    ck_assert_int_eq(system(cmd), 0);
    /* streaming: one pass, removes at most as many */
    p = mk("out_streaming");
    ck_ok(llmd_pipeline_set(p, "filter", "0"));
    ck_ok(llmd_pipeline_set(p, "near_streaming", "1"));
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_ptr_nonnull(strstr(json, "\"near_mode\":\"streaming\""));
    const char *nd = strstr(json, "\"near_duplicates\":");
    ck_assert_ptr_nonnull(nd);
    ck_assert_int_le(atoi(nd + strlen("\"near_duplicates\":")), 2);
    llmd_free(json);
    llmd_pipeline_free(p);
    rm_dir();
}
END_TEST

/* Setting values at the edges of their types (issue 19). */
START_TEST(test_setting_limits) {
    llmd_pipeline *p;
    ck_ok(llmd_pipeline_new(&p));
    ck_ok(llmd_pipeline_set(p, "seq_len", "4294967295"));
    ck_fails(llmd_pipeline_set(p, "seq_len", "4294967296"), LLMD_ERR_INVALID_ARG, "seq_len");
    ck_fails(llmd_pipeline_set(p, "buffer", "18446744073709551616"), LLMD_ERR_INVALID_ARG, "buffer");
    ck_ok(llmd_pipeline_set(p, "near_threshold", "1"));
    ck_ok(llmd_pipeline_set(p, "near_threshold", "0.000001"));
    ck_fails(llmd_pipeline_set(p, "near_threshold", "0"), LLMD_ERR_INVALID_ARG, "near_threshold");
    ck_fails(llmd_pipeline_set(p, "near_threshold", "1.0001"), LLMD_ERR_INVALID_ARG, "near_threshold");
    ck_ok(llmd_pipeline_set(p, "eos_id", "-1"));
    ck_ok(llmd_pipeline_set(p, "eos_id", "4294967295"));
    ck_fails(llmd_pipeline_set(p, "eos_id", "-2"), LLMD_ERR_INVALID_ARG, "eos_id");
    ck_fails(llmd_pipeline_set(p, "eos_id", "4294967296"), LLMD_ERR_INVALID_ARG, "eos_id");
    ck_fails(llmd_pipeline_set(p, "threads", "-1"), LLMD_ERR_INVALID_ARG, "threads");
    ck_fails(llmd_pipeline_set(p, "threads", ""), LLMD_ERR_INVALID_ARG, "threads");
    ck_fails(llmd_pipeline_set(p, "threads", "3x"), LLMD_ERR_INVALID_ARG, "threads");
    llmd_pipeline_free(p);
}
END_TEST

/* llmd_pipeline_output_*: files written by the caller, published as one unit with a run manifest
 * that verify_output accepts (sizes and XXH3-64 read back), refusals, and no trace when freed. */
START_TEST(test_output_publish) {
    mk_dir();
    char out[400], path[600], names[1024];
    snprintf(out, sizeof out, "%s/pub", dir);
    llmd_pipeline_output *o;
    ck_fails(llmd_pipeline_output_open(NULL, out, 0), LLMD_ERR_INVALID_ARG, "NULL");
    ck_ok(llmd_pipeline_output_open(&o, out, 0));
    const char *stage = llmd_pipeline_output_dir(o);
    ck_assert_ptr_nonnull(stage);
    ck_assert_ptr_nonnull(strstr(stage, "/pub.tmp."));
    snprintf(path, sizeof path, "%s/a.bin", stage);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("hello", f);
    fclose(f);
    ck_fails(llmd_pipeline_output_add_file(o, "missing.bin"), LLMD_ERR_NOT_FOUND, "missing.bin");
    ck_fails(llmd_pipeline_output_add_file(o, "../a.bin"), LLMD_ERR_INVALID_ARG, "not a plain file name");
    ck_fails(llmd_pipeline_output_add_file(o, "_llmdata_run.json"), LLMD_ERR_INVALID_ARG, "not a plain file name");
    ck_ok(llmd_pipeline_output_add_file(o, "a.bin"));
    ck_fails(llmd_pipeline_output_add_file(o, "a.bin"), LLMD_ERR_INVALID_ARG, "listed twice");
    ck_fails(llmd_pipeline_output_publish(o, "bad\"id"), LLMD_ERR_INVALID_ARG, "run id");
    ck_ok(llmd_pipeline_output_publish(o, "run-1"));
    ck_assert_ptr_null(llmd_pipeline_output_dir(o));
    ck_fails(llmd_pipeline_output_publish(o, "run-1"), LLMD_ERR_STATE, "already published");
    llmd_pipeline_output_free(o);
    list_names("pub", names, sizeof names);
    ck_assert_str_eq(names, "_llmdata_run.json a.bin ");
    ck_ok(llmd_pipeline_verify_output(out, LLMD_PIPELINE_VERIFY_CHECKSUMS));
    size_t n;
    unsigned char *man = slurp("pub/_llmdata_run.json", &n);
    ck_assert_ptr_nonnull(man);
    ck_assert_ptr_nonnull(strstr((char *)man, "\"run_id\":\"run-1\""));
    /* XXH3-64 of "hello" (seed 0), as python-xxhash / xxhsum -H3 give it */
    ck_assert_ptr_nonnull(strstr((char *)man, "\"name\":\"a.bin\",\"bytes\":5,\"xxh3\":\"9555e8555c62dcfd\""));
    free(man);
    /* non-empty out: refused without overwrite; with it, replaced; a freed unpublished one leaves nothing */
    ck_fails(llmd_pipeline_output_open(&o, out, 0), LLMD_ERR_CONFLICT, "not empty");
    ck_ok(llmd_pipeline_output_open(&o, out, 1));
    ck_ok(llmd_pipeline_output_publish(o, "run-2"));
    llmd_pipeline_output_free(o);
    list_names("pub", names, sizeof names);
    ck_assert_str_eq(names, "_llmdata_run.json ");
    ck_ok(llmd_pipeline_output_open(&o, out, 1));
    snprintf(path, sizeof path, "%s/left.bin", llmd_pipeline_output_dir(o));
    f = fopen(path, "wb");
    fclose(f);
    llmd_pipeline_output_free(o);
    llmd_pipeline_output_free(NULL);
    list_names("", names, sizeof names);
    ck_assert_str_eq(names, "pub ");
    rm_dir();
}
END_TEST

int main(void) {
    Suite *s = suite_create("pipeline");
    TCase *tc = tcase_create("pipeline");
    tcase_add_test(tc, test_end_to_end);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_config_bestfit_npy);
    tcase_add_test(tc, test_rerun_and_verify);
    tcase_add_test(tc, test_near_clusters);
    tcase_add_test(tc, test_setting_limits);
    tcase_add_test(tc, test_output_publish);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
