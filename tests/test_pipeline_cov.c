/* Suite "pipeline_cov": pipeline settings, output-directory rules, Delta runs and error paths (issue
 * 19 branch coverage), with the byte-level tokenizer so the
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

static void put_input(const char *text) { write_text("in.jsonl", text); }

static char *grab(char *s, const char *key) {   /* a copy of the report from key on (for messages) */
    char *p = strstr(s, key);
    return p ? p : (char *)"(absent)";
}

START_TEST(output_directory_rules) {
    mk_dir();
    char out[400], path[600];
    llmd_pipeline_output *o = NULL;
    ck_fails(llmd_pipeline_output_open(&o, NULL, 0), LLMD_ERR_INVALID_ARG, "NULL directory");
    static const char *bad[] = {"/", ".", "..", "x/..", "x/."};
    for (int i = 0; i < 5; i++) {
        char b[400];
        if (bad[i][0] == 'x') snprintf(b, sizeof b, "%s/%s", dir, bad[i]);
        else snprintf(b, sizeof b, "%s", bad[i]);
        if (bad[i][0] == 'x') {
            snprintf(path, sizeof path, "%s/x", dir);
            mkdir(path, 0755);
        }
        llmd_status st = llmd_pipeline_output_open(&o, b, 1);
        ck_assert_msg(st != LLMD_OK, "%s accepted", b);
        ck_assert_ptr_null(o);
    }
    /* a regular file where the directory should be */
    write_text("file", "x");
    snprintf(out, sizeof out, "%s/file", dir);
    ck_fails(llmd_pipeline_output_open(&o, out, 0), LLMD_ERR_IO, "is not a directory");
    /* a path under a regular file (ENOTDIR) */
    snprintf(out, sizeof out, "%s/file/sub", dir);
    ck_assert_int_ne(llmd_pipeline_output_open(&o, out, 0), LLMD_OK);
    /* trailing slashes are dropped; a symlink is followed (the link stays, its target is replaced) */
    snprintf(out, sizeof out, "%s/real", dir);
    ck_assert_int_eq(mkdir(out, 0755), 0);
    snprintf(path, sizeof path, "%s/link", dir);
    ck_assert_int_eq(symlink(out, path), 0);
    snprintf(out, sizeof out, "%s/link///", dir);
    ck_ok(llmd_pipeline_output_open(&o, out, 0));
    ck_assert_ptr_nonnull(strstr(llmd_pipeline_output_dir(o), "/real.tmp."));
    ck_fails(llmd_pipeline_output_add_file(NULL, "a"), LLMD_ERR_INVALID_ARG, "NULL output");
    ck_fails(llmd_pipeline_output_add_file(o, NULL), LLMD_ERR_INVALID_ARG, "NULL name");
    const char *names[] = {"", ".", "..", "a/b"};
    for (int i = 0; i < 4; i++)
        ck_fails(llmd_pipeline_output_add_file(o, names[i]), LLMD_ERR_INVALID_ARG, "not a plain file name");
    ck_fails(llmd_pipeline_output_publish(NULL, "r"), LLMD_ERR_INVALID_ARG, "NULL output");
    ck_fails(llmd_pipeline_output_publish(o, NULL), LLMD_ERR_INVALID_ARG, "NULL run_id");
    ck_fails(llmd_pipeline_output_publish(o, "back\\slash"), LLMD_ERR_INVALID_ARG, "run id");
    ck_ok(llmd_pipeline_output_publish(o, "r1"));
    ck_fails(llmd_pipeline_output_add_file(o, "a"), LLMD_ERR_STATE, "already published");
    llmd_pipeline_output_free(o);
    ck_assert_ptr_null(llmd_pipeline_output_dir(NULL));
    struct stat sb;
    ck_assert_int_eq(lstat(path, &sb), 0);
    ck_assert(S_ISLNK(sb.st_mode));
    snprintf(out, sizeof out, "%s/real/_llmdata_run.json", dir);
    ck_assert_int_eq(access(out, F_OK), 0);
    snprintf(out, sizeof out, "%s/link", dir);
    ck_ok(llmd_pipeline_verify_output(out, 0));
    /* a dangling symlink cannot be resolved */
    snprintf(path, sizeof path, "%s/dangling", dir);
    snprintf(out, sizeof out, "%s/nowhere", dir);
    ck_assert_int_eq(symlink(out, path), 0);
    ck_fails(llmd_pipeline_output_open(&o, path, 0), LLMD_ERR_IO, "cannot resolve the link");
    /* verify */
    ck_fails(llmd_pipeline_verify_output(NULL, 0), LLMD_ERR_INVALID_ARG, "dir is NULL");
    snprintf(out, sizeof out, "%s/x", dir);
    ck_fails(llmd_pipeline_verify_output(out, 0), LLMD_ERR_NOT_FOUND, "_llmdata_run.json");
    write_text("x/_llmdata_run.json", "{\"files\": 3}");
    ck_fails(llmd_pipeline_verify_output(out, 0), LLMD_ERR_CORRUPT, "no \"files\" array");
    /* an out directory holding a file no earlier run listed: refused even with overwrite */
    write_text("x/stray", "s");
    write_text("x/_llmdata_run.json", "{\"llmdata_run\":1,\"run_id\":\"r\",\"files\":[]}");
    ck_fails(llmd_pipeline_output_open(&o, out, 1), LLMD_ERR_CONFLICT, "stray");
    rm_dir();
}
END_TEST

START_TEST(settings_values_and_errors) {
    llmd_pipeline *p;
    ck_fails(llmd_pipeline_new(NULL), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_ok(llmd_pipeline_new(&p));
    static const struct { const char *k, *v; } bad[] = {
        {"seq_len", "x"}, {"seq_len", "-3"}, {"strategy", "first-fit"}, {"format", "csv"}, {"bos_id", "abc"},
        {"near_threshold", "2"}, {"near_threshold", "zz"}, {"filter", "maybe"}, {"parquet_codec", "brotli9"},
        {"delta_app_version", "v1"}, {"batch", "1e3"}, {"language_threshold", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmd_status st = llmd_pipeline_set(p, bad[i].k, bad[i].v);
        ck_assert_msg(st == LLMD_ERR_INVALID_ARG, "%s=%s -> %s", bad[i].k, bad[i].v, llmd_status_str(st));
        ck_assert_msg(strstr(llmd_last_error(), bad[i].k), "%s", llmd_last_error());
    }
    ck_fails(llmd_pipeline_set(p, "no_such_key", "1"), LLMD_ERR_NOT_FOUND, "no_such_key");
    ck_fails(llmd_pipeline_set(NULL, "seq_len", "1"), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_pipeline_set(p, NULL, "1"), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_pipeline_set(p, "seq_len", NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_pipeline_add_input(NULL, "x"), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_pipeline_add_input(p, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_pipeline_load_config(p, "/nonexistent/cfg.json"), LLMD_ERR_NOT_FOUND, "cfg.json");
    ck_fails(llmd_pipeline_run(NULL, NULL, NULL), LLMD_ERR_INVALID_ARG, "pipeline is NULL");
    /* required settings, one at a time */
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "'out'");
    ck_ok(llmd_pipeline_set(p, "out", "/tmp/llmd_never_written"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "'seq_len'");
    ck_ok(llmd_pipeline_set(p, "seq_len", "16"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "no inputs");
    ck_ok(llmd_pipeline_add_input(p, "/nonexistent/in.jsonl"));
    ck_ok(llmd_pipeline_set(p, "batch", "0"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "batch 0 not in 1..16777216");
    ck_ok(llmd_pipeline_set(p, "batch", "4"));
    ck_ok(llmd_pipeline_set(p, "tokenizer", "bytes"));
    char longlist[600];
    memset(longlist, 'c', sizeof longlist - 1);
    longlist[sizeof longlist - 1] = 0;
    ck_ok(llmd_pipeline_set(p, "filters", longlist));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "filters: list too long");
    ck_ok(llmd_pipeline_set(p, "filters", "c4"));
    ck_ok(llmd_pipeline_set(p, "pii_types", "EMAIL_ADDRESS,nonsense"));
    ck_assert_int_ne(llmd_pipeline_run(p, NULL, NULL), LLMD_OK);
    ck_assert_msg(strstr(llmd_last_error(), "nonsense"), "%s", llmd_last_error());
    ck_ok(llmd_pipeline_set(p, "pii_types", "EMAIL_ADDRESS"));
    ck_ok(llmd_pipeline_set(p, "delta", "/tmp/llmd_never_a_table"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "delta needs format parquet");
    ck_ok(llmd_pipeline_set(p, "format", "parquet"));
    ck_ok(llmd_pipeline_set(p, "delta_app_version", "-1"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "delta_app_version must be >= 0");
    llmd_pipeline_set_progress(p, NULL, NULL);
    llmd_pipeline_free(p);
    llmd_pipeline_free(NULL);
}
END_TEST

static int progress_calls;
static void on_progress(void *ctx, uint64_t bytes_read, uint64_t bytes_total, uint64_t docs, uint64_t tokens) {
    (void)ctx; (void)docs; (void)tokens;
    ck_assert_uint_le(bytes_read, bytes_total);
    progress_calls++;
}

/* A Delta run with every kind of setting given (they become the commit's operationParameters),
 * then the same run again: idempotent, nothing read or written. */
START_TEST(delta_runs_are_idempotent) {
    mk_dir();
    put_input("{\"text\": \"" GOOD "\"}\n{\"text\": \"" GOOD2 "\"}\n{\"text\": \"" GOOD "\"}\n");
    char tbl[400];
    snprintf(tbl, sizeof tbl, "%s/tbl", dir);
    llmd_pipeline *p = mk("out");
    static const struct { const char *k, *v; } set[] = {
        {"format", "parquet"}, {"strategy", "best-fit"}, {"bos_id", "2"}, {"eos_id", "256"}, {"buffer", "4"},
        {"threads", "1"}, {"near_threshold", "0.7"}, {"parquet_codec", "snappy"}, {"parquet_row_group_bytes", "65536"},
        {"parquet_file_bytes", "0"}, {"filters", "c4,gopher"}, {"pii_types", "EMAIL_ADDRESS,IP_ADDRESS"}, {"near_streaming", "1"},
        {"skip_bad", "true"}, {"clean", "1"}, {"delta_app_id", "my-app"}, {"delta_app_version", "3"},
    };
    for (size_t i = 0; i < sizeof set / sizeof set[0]; i++) ck_ok(llmd_pipeline_set(p, set[i].k, set[i].v));
    ck_ok(llmd_pipeline_set(p, "delta", tbl));
    llmd_pipeline_set_progress(p, on_progress, NULL);
    char *json = NULL, *text = NULL;
    ck_ok(llmd_pipeline_run(p, &json, &text));
    ck_assert_int_gt(progress_calls, 0);
    ck_assert_msg(strstr(json, "\"appId\":\"my-app\",\"appVersion\":3,\"committed\":true,\"version\":1"), "%s",
                  grab(json, "\"delta\""));
    ck_assert_ptr_nonnull(text);
    llmd_free(json);
    llmd_free(text);
    /* the shard manifest names the table version too */
    size_t n;
    unsigned char *man = slurp("out/data.manifest.json", &n);
    ck_assert_ptr_nonnull(man);
    ck_assert_msg(strstr((char *)man, "\"committed\":true"), "%s", man);
    free(man);
    ck_ok(llmd_pipeline_verify_output(strcat(strcpy((char[400]){0}, dir), "/out"), LLMD_PIPELINE_VERIFY_CHECKSUMS));
    /* again: the table holds my-app at version 3 -> nothing done */
    ck_ok(llmd_pipeline_set(p, "overwrite", "1"));
    ck_ok(llmd_pipeline_run(p, &json, &text));
    ck_assert_msg(strstr(json, "\"committed\":false,\"version\":null"), "%s", json);
    ck_assert_ptr_nonnull(text);
    llmd_free(json);
    llmd_free(text);
    ck_ok(llmd_pipeline_run(p, NULL, NULL));
    /* a newer appVersion commits version 2 (version 0 created the table, 1 was the first run) */
    ck_ok(llmd_pipeline_set(p, "delta_app_version", "4"));
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_msg(strstr(json, "\"committed\":true,\"version\":2"), "%s", grab(json, "\"delta\""));
    llmd_free(json);
    llmd_pipeline_free(p);
    /* the default appId hashes the settings and the inputs' contents */
    p = mk("out2");
    ck_ok(llmd_pipeline_set(p, "format", "parquet"));
    write_text("bad_words.txt", "zzzz\n");   /* a setting file: its contents enter the default appId */
    char bw[400];
    snprintf(bw, sizeof bw, "%s/bad_words.txt", dir);
    ck_ok(llmd_pipeline_set(p, "bad_words_file", bw));
    snprintf(tbl, sizeof tbl, "%s/tbl2", dir);
    ck_ok(llmd_pipeline_set(p, "delta", tbl));
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_msg(strstr(json, "\"appId\":\"llmdata-pipeline-"), "%s", grab(json, "\"delta\""));
    llmd_free(json);
    llmd_pipeline_free(p);
    rm_dir();
}
END_TEST


/* Config files: every value kind, arrays joined with commas, and the bad forms named. */
START_TEST(config_files_and_value_kinds) {
    mk_dir();
    llmd_pipeline *p;
    ck_ok(llmd_pipeline_new(&p));
    char cfg[400];
    snprintf(cfg, sizeof cfg, "%s/cfg.json", dir);
    static const struct { const char *json; llmd_status st; const char *needle; } bad[] = {
        {"[1]", LLMD_ERR_PARSE, "not a JSON object"},
        {"{\"inputs\": \"a.jsonl\"}", LLMD_ERR_INVALID_ARG, "\"inputs\" must be an array of paths"},
        {"{\"inputs\": [\"a.jsonl\", 3]}", LLMD_ERR_INVALID_ARG, "\"inputs\" holds a non-string"},
        {"{\"filters\": [\"c4\", 3]}", LLMD_ERR_INVALID_ARG, "\"filters\" holds a non-string"},
        {"{\"seq_len\": {\"a\": 1}}", LLMD_ERR_PARSE, "must be a string, number or boolean"},
        {"{\"seq_len\": 4294967296}", LLMD_ERR_INVALID_ARG, "an integer below 2^32"},
        {"{\"seq_len\": -4}", LLMD_ERR_INVALID_ARG, "a non-negative integer"},
        {"{\"bos_id\": -2}", LLMD_ERR_INVALID_ARG, "a token id"},
        {"{\"bos_id\": 4294967296}", LLMD_ERR_INVALID_ARG, "a token id"},
        {"{\"near_threshold\": 0}", LLMD_ERR_INVALID_ARG, "a number in (0, 1]"},
        {"{\"near_threshold\": 1.5}", LLMD_ERR_INVALID_ARG, "a number in (0, 1]"},
        {"{\"near_threshold\": \"0.5x\"}", LLMD_ERR_INVALID_ARG, "a number in (0, 1]"},
        {"{\"clean\": \"perhaps\"}", LLMD_ERR_INVALID_ARG, "a boolean"},
        {"{\"nope\": 1}", LLMD_ERR_NOT_FOUND, "unknown pipeline setting 'nope'"},
        {"{\"seq_len\": \"\"}", LLMD_ERR_INVALID_ARG, "a non-negative integer"},
        {"{\"seq_len\": \"12abc\"}", LLMD_ERR_INVALID_ARG, "a non-negative integer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_text("cfg.json", bad[i].json);
        llmd_status st = llmd_pipeline_load_config(p, cfg);
        ck_assert_msg(st == bad[i].st, "case %zu: %s: %s", i, llmd_status_str(st), llmd_last_error());
        ck_assert_msg(strstr(llmd_last_error(), bad[i].needle), "case %zu: '%s' lacks '%s'", i, llmd_last_error(),
                      bad[i].needle);
    }
    ck_fails(llmd_pipeline_load_config(NULL, cfg), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_pipeline_load_config(p, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_pipeline_load_config(p, dir), LLMD_ERR_IO, "pipeline config");
    llmd_pipeline_free(p);
    /* a whole run from a config: booleans as JSON true/false and "yes"/"no", filters as an array
     * (empty: no filter), a best-fit NPY output */
    put_input("{\"text\": \"" GOOD "\"}\n{\"text\": \"" GOOD2 "\"}\n");
    char buf[1024];
    snprintf(buf, sizeof buf,
             "{\"out\": \"%s/out\", \"tokenizer\": \"bytes\", \"seq_len\": 64, \"format\": \"npy\", \"strategy\": \"best-fit\","
             " \"filters\": [], \"redact\": false, \"clean\": \"yes\", \"exact_dedup\": \"no\", \"near_dedup\": true,"
             " \"near_threshold\": 0.75, \"threads\": 1, \"batch\": 1, \"inputs\": [\"%s/in.jsonl\"]}", dir, dir);
    write_text("cfg.json", buf);
    ck_ok(llmd_pipeline_new(&p));
    ck_ok(llmd_pipeline_load_config(p, cfg));
    char *json = NULL;
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    /* two documents of len(GOOD) and len(GOOD2) bytes + EOS each, no filter: all kept */
    size_t want_tokens = strlen(GOOD) + 1 + strlen(GOOD2) + 1;
    char needle[64];
    snprintf(needle, sizeof needle, "\"tokens_out\":%zu", want_tokens);
    ck_assert_msg(strstr(json, needle), "%s not in %s", needle, json);
    llmd_free(json);
    llmd_pipeline_free(p);
    size_t n;
    unsigned char *npy = slurp("out/data.npy", &n);
    ck_assert_ptr_nonnull(npy);
    ck_assert_mem_eq(npy, "\x93NUMPY", 6);
    free(npy);
    rm_dir();
}
END_TEST

/* Inputs: several files, blank lines, bad lines named by file and line (or skipped), a missing
 * field; Delta runs that cannot start. */
START_TEST(inputs_lines_and_delta_errors) {
    mk_dir();
    put_input("{\"text\": \"" GOOD "\"}\n\n{\"text\": \"" GOOD2 "\"}\n");
    write_text("bad.jsonl", "{\"text\": \"" GOOD "\"}\n{\"text\": \n");
    write_text("nofield.jsonl", "{\"body\": \"x\"}\n");
    llmd_pipeline *p = mk("out");
    char path[400];
    ck_ok(llmd_pipeline_set(p, "filter", "0"));
    snprintf(path, sizeof path, "%s/bad.jsonl", dir);
    ck_ok(llmd_pipeline_add_input(p, path));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_PARSE, "bad.jsonl:2");
    ck_ok(llmd_pipeline_set(p, "skip_bad", "1"));
    char *json = NULL;
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_msg(strstr(json, "\"bad_lines\":1"), "%s", json);
    llmd_free(json);
    llmd_pipeline_free(p);
    p = mk("out2");
    snprintf(path, sizeof path, "%s/nofield.jsonl", dir);
    ck_ok(llmd_pipeline_add_input(p, path));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_NOT_FOUND, "nofield.jsonl:1: field \"text\"");
    /* Delta: standard input needs an explicit appId; a table path that is a regular file */
    ck_ok(llmd_pipeline_set(p, "format", "parquet"));
    snprintf(path, sizeof path, "%s/tbl", dir);
    ck_ok(llmd_pipeline_set(p, "delta", path));
    ck_ok(llmd_pipeline_add_input(p, "-"));
    ck_fails(llmd_pipeline_run(p, NULL, NULL), LLMD_ERR_INVALID_ARG, "standard input has no stable identity");
    llmd_pipeline_free(p);
    p = mk("out3");
    ck_ok(llmd_pipeline_set(p, "format", "parquet"));
    snprintf(path, sizeof path, "%s/in.jsonl", dir);
    ck_ok(llmd_pipeline_set(p, "delta", path));
    ck_assert_int_ne(llmd_pipeline_run(p, NULL, NULL), LLMD_OK);
    ck_assert_msg(strstr(llmd_last_error(), "pipeline delta table"), "%s", llmd_last_error());
    llmd_pipeline_free(p);
    rm_dir();
}
END_TEST

/* An input inside the output directory that the run replaces is refused (pipeline.h); one beside
 * it is fine, and so are "-" and the "bytes" tokenizer, which are not files. */
START_TEST(inputs_inside_the_output_are_refused) {
    mk_dir();
    put_input("{\"text\": \"" GOOD "\"}\n{\"text\": \"" GOOD2 "\"}\n");
    llmd_pipeline *p = mk("out");
    ck_ok(llmd_pipeline_set(p, "filter", "0"));
    ck_ok(llmd_pipeline_run(p, NULL, NULL));
    /* copy the input into out/ and read it from there */
    size_t n;
    unsigned char *in = slurp("in.jsonl", &n);
    write_text("out/copy.jsonl", (const char *)in);
    free(in);
    llmd_pipeline *q;
    ck_ok(llmd_pipeline_new(&q));
    char path[400];
    snprintf(path, sizeof path, "%s/out", dir);
    ck_ok(llmd_pipeline_set(q, "out", path));
    ck_ok(llmd_pipeline_set(q, "tokenizer", "bytes"));
    ck_ok(llmd_pipeline_set(q, "seq_len", "64"));
    ck_ok(llmd_pipeline_set(q, "overwrite", "1"));
    ck_ok(llmd_pipeline_add_input(q, "-"));
    snprintf(path, sizeof path, "%s/out/copy.jsonl", dir);
    ck_ok(llmd_pipeline_add_input(q, path));
    ck_fails(llmd_pipeline_run(q, NULL, NULL), LLMD_ERR_CONFLICT, "lies inside the output directory");
    llmd_pipeline_free(q);
    /* the earlier output is intact */
    snprintf(path, sizeof path, "%s/out/copy.jsonl", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/out", dir);
    ck_ok(llmd_pipeline_verify_output(path, LLMD_PIPELINE_VERIFY_CHECKSUMS));
    llmd_pipeline_free(p);
    /* redaction counts per type and exact duplicates of the cleaned text, across batches of 1 */
    put_input("{\"text\": \"" GOOD " Mail bob@example.com now.\"}\n{\"text\": \"" GOOD " Mail bob@example.com now.\"}\n"
              "{\"text\": \"" GOOD2 "\"}\n");
    p = mk("out4");
    ck_ok(llmd_pipeline_set(p, "filter", "0"));
    ck_ok(llmd_pipeline_set(p, "near_dedup", "0"));
    ck_ok(llmd_pipeline_set(p, "batch", "1"));
    char *json = NULL;
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_msg(strstr(json, "\"EMAIL_ADDRESS\":2"), "%s", json);
    llmd_free(json);
    llmd_pipeline_free(p);
    rm_dir();
}
END_TEST

/* The older c4 / gopher switches pick from the default filter list when "filters" is unset;
 * standard input as an input. */
START_TEST(filter_switches_and_standard_input) {
    mk_dir();
    put_input("{\"text\": \"" GOOD "\"}\n{\"text\": \"short\"}\n");
    static const char *sw[][2] = {{"0", "1"}, {"1", "0"}, {"0", "0"}};
    /* "short" is one word: gopher drops it (fewer than 50 words), c4 too (no terminal punctuation
     * -> no line left); with neither it is kept */
    static const int kept[] = {1, 1, 2};
    for (int i = 0; i < 3; i++) {
        char sub[16];
        snprintf(sub, sizeof sub, "o%d", i);
        llmd_pipeline *p = mk(sub);
        ck_ok(llmd_pipeline_set(p, "c4", sw[i][0]));
        ck_ok(llmd_pipeline_set(p, "gopher", sw[i][1]));
        ck_ok(llmd_pipeline_set(p, "near_dedup", "0"));
        char *json = NULL;
        ck_ok(llmd_pipeline_run(p, &json, NULL));
        char want[64];
        snprintf(want, sizeof want, "\"docs_in\":2,\"docs_out\":%d", kept[i]);
        ck_assert_msg(strstr(grab(json, "\"filter\""), want), "c4=%s gopher=%s: %s", sw[i][0], sw[i][1], json);
        llmd_free(json);
        llmd_pipeline_free(p);
    }
    /* "-": the documents come from standard input */
    char in[400];
    snprintf(in, sizeof in, "%s/in.jsonl", dir);
    int saved = dup(0);
    ck_assert_ptr_nonnull(freopen(in, "r", stdin));
    llmd_pipeline *p;
    ck_ok(llmd_pipeline_new(&p));
    char out[400];
    snprintf(out, sizeof out, "%s/stdin_out", dir);
    ck_ok(llmd_pipeline_set(p, "out", out));
    ck_ok(llmd_pipeline_set(p, "tokenizer", "bytes"));
    ck_ok(llmd_pipeline_set(p, "seq_len", "64"));
    ck_ok(llmd_pipeline_set(p, "filter", "0"));
    ck_ok(llmd_pipeline_set(p, "exact_dedup", "0"));
    ck_ok(llmd_pipeline_set(p, "near_dedup", "1"));
    ck_ok(llmd_pipeline_set(p, "near_streaming", "1"));
    ck_ok(llmd_pipeline_add_input(p, "-"));
    char *json = NULL;
    ck_ok(llmd_pipeline_run(p, &json, NULL));
    ck_assert_msg(strstr(grab(json, "\"read\""), "\"docs_in\":2"), "%s", json);
    llmd_free(json);
    llmd_pipeline_free(p);
    ck_assert_int_eq(dup2(saved, 0), 0);
    close(saved);
    rm_dir();
}
END_TEST

int main(void) {
    Suite *s = suite_create("pipeline_cov");
    TCase *tc = tcase_create("cov");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, output_directory_rules);
    tcase_add_test(tc, settings_values_and_errors);
    tcase_add_test(tc, delta_runs_are_idempotent);
    tcase_add_test(tc, config_files_and_value_kinds);
    tcase_add_test(tc, inputs_lines_and_delta_errors);
    tcase_add_test(tc, inputs_inside_the_output_are_refused);
    tcase_add_test(tc, filter_switches_and_standard_input);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
