/* Suite "common": status codes, errors, versions, allocator hooks. */
#include <dirent.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/internal.h"
#include "common/json.h"
#include "testutil.h"

START_TEST(status_strings) {
    ck_assert_str_eq(llmd_status_str(LLMD_OK), "LLMD_OK");
    ck_assert_str_eq(llmd_status_str(LLMD_ERR_PARSE), "LLMD_ERR_PARSE");
    ck_assert_str_eq(llmd_status_str(LLMD_ERR_INTERNAL), "LLMD_ERR_INTERNAL");
    ck_assert_str_eq(llmd_status_str((llmd_status)12345), "LLMD_UNKNOWN");
    for (int s = 0; s >= LLMD_ERR_INTERNAL; s--)
        ck_assert_str_ne(llmd_status_str((llmd_status)s), "LLMD_UNKNOWN");
}
END_TEST

START_TEST(version_agrees) {
    ck_assert_uint_eq(llmd_version_number(), LLMD_VERSION_NUMBER);
    ck_assert_str_eq(llmd_version(), LLMD_VERSION_STRING);
    char expect[32];
    snprintf(expect, sizeof expect, "%d.%d.%d", LLMD_VERSION_MAJOR, LLMD_VERSION_MINOR, LLMD_VERSION_PATCH);
    ck_assert_str_eq(llmd_version(), expect);
    /* The header's version is the release in meson.build (the release step updates both). */
    const char *project = getenv("LLMD_PROJECT_VERSION");
    if (project != NULL) ck_assert_str_eq(LLMD_VERSION_STRING, project);
}
END_TEST

static void *set_error_in_thread(void *arg) {
    (void)arg;
    llmd_fail(LLMD_ERR_IO, "thread error");
    return NULL;
}

START_TEST(last_error_is_thread_local) {
    llmd_clear_error();
    ck_assert_str_eq(llmd_last_error(), "");
    ck_assert_int_eq(llmd_fail(LLMD_ERR_PARSE, "bad thing at byte %d", 42), LLMD_ERR_PARSE);
    pthread_t t;
    pthread_create(&t, NULL, set_error_in_thread, NULL);
    pthread_join(t, NULL);
    ck_assert_str_eq(llmd_last_error(), "bad thing at byte 42");
    ck_assert_int_eq(llmd_last_error_status(), LLMD_ERR_PARSE);
    llmd_error_prefix("file.json");
    ck_assert_str_eq(llmd_last_error(), "file.json: bad thing at byte 42");
    llmd_clear_error();
    ck_assert_int_eq(llmd_last_error_status(), LLMD_OK);
}
END_TEST

static size_t g_allocs;
static void *count_malloc(void *ctx, size_t n) { (void)ctx; g_allocs++; return malloc(n); }
static void count_free(void *ctx, void *p) { (void)ctx; free(p); }

START_TEST(allocator_hooks) {
    llmd_allocator bad = {99, count_malloc, NULL, count_free, NULL};
    ck_fails(llmd_set_allocator(&bad), LLMD_ERR_VERSION, "version");
    llmd_allocator a = {LLMD_ALLOCATOR_VERSION, count_malloc, NULL, count_free, NULL};
    ck_ok(llmd_set_allocator(&a));
    g_allocs = 0;
    llmd_buf b = LLMD_BUF_INIT;
    for (int i = 0; i < 1000; i++) ck_ok(llmd_buf_puts(&b, "grow "));
    ck_assert_uint_eq(b.len, 5000);
    llmd_buf_free(&b);
    ck_assert_uint_gt(g_allocs, 0);
    ck_ok(llmd_set_allocator(NULL));
}
END_TEST

START_TEST(json_string_escaping) {
    llmd_buf b = LLMD_BUF_INIT;
    const char in[] = "a\"b\\c\n\x01\0z\xff\xc3\xa9";
    ck_ok(llmd_buf_put_json_string(&b, in, sizeof in - 1));
    /* Hand-derived: quote, backslash, \n, \u0001, NUL as \u0000, invalid 0xFF -> U+FFFD, é kept. */
    ck_assert_str_eq(b.data, "\"a\\\"b\\\\c\\n\\u0001\\u0000z\xef\xbf\xbd\xc3\xa9\"");
    llmd_buf_free(&b);
}
END_TEST

START_TEST(utf8_decoding) {
    uint32_t cp;
    ck_assert_uint_eq(llmd_utf8_decode((const unsigned char *)"\xe2\x82\xac", 3, &cp), 3);
    ck_assert_uint_eq(cp, 0x20AC);
    ck_assert_uint_eq(llmd_utf8_decode((const unsigned char *)"\xc0\x80", 2, &cp), 0);      /* overlong */
    ck_assert_uint_eq(llmd_utf8_decode((const unsigned char *)"\xed\xa0\x80", 3, &cp), 0);  /* surrogate */
    ck_assert_uint_eq(llmd_utf8_decode((const unsigned char *)"\xf4\x90\x80\x80", 4, &cp), 0);
    ck_assert_uint_eq(llmd_utf8_decode((const unsigned char *)"\xf0\x9f\x98", 3, &cp), 0);  /* truncated */
    ck_assert_uint_eq(llmd_utf8_validate((const unsigned char *)"abcdefghij\xff", 11), 10);
}
END_TEST

START_TEST(options_versioning) {
    typedef struct { unsigned version; int a; int b; } opts_v2;
    static const size_t sizes[] = {sizeof(unsigned) + sizeof(int), sizeof(opts_v2)};
    opts_v2 dst = {2, 1, 7}, v1 = {1, 5, 0};
    ck_ok(llmd_options_copy(&dst, &v1, sizes, 2, "test"));
    ck_assert_int_eq(dst.a, 5);
    ck_assert_int_eq(dst.b, 7); /* v1 callers keep the default of a field they do not know */
    opts_v2 future = {3, 0, 0};
    ck_fails(llmd_options_copy(&dst, &future, sizes, 2, "test"), LLMD_ERR_VERSION, "version 3");
}
END_TEST

static llmd_status fail_on_three(void *arg, size_t b, size_t e, unsigned w) {
    (void)w;
    int *seen = arg;
    for (size_t i = b; i < e; i++) {
        seen[i] = 1;
        if (i == 3) return llmd_fail(LLMD_ERR_RANGE, "item %zu failed", i);
    }
    return LLMD_OK;
}

START_TEST(parallel_ranges_carry_errors) {
    int seen[8] = {0};
    llmd_clear_error();
    ck_fails(llmd_parallel_ranges(8, 2, fail_on_three, seen), LLMD_ERR_RANGE, "item 3 failed");
}
END_TEST

/* ---- publishing files (outfile.c) ---------------------------------------------------------- */
static char *temp_dir(void) {
    static char tmpl[64];
    strcpy(tmpl, "/tmp/llmd_outfile_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpl));
    return tmpl;
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) n++;
    closedir(d);
    return n;
}

static char *slurp(const char *path, size_t *n) {
    char *data;
    ck_ok(llmd_read_file(path, &data, n));
    return data;
}

START_TEST(outfile_replace_publishes_whole_file) {
    char path[256];
    const char *dir = temp_dir();
    snprintf(path, sizeof path, "%s/out.bin", dir);
    ck_ok(llmd_write_file_atomic(path, "old", 3));
    llmd_outfile f;
    ck_ok(llmd_outfile_open(&f, path));
    ck_ok(llmd_outfile_write(&f, "hello ", 6));
    /* Not visible before publish: the old content is still there, beside one temp file. */
    size_t n;
    char *seen = slurp(path, &n);
    ck_assert_mem_eq(seen, "old", 3);
    llmd_free(seen);
    ck_assert_int_eq(count_entries(dir), 2);
    ck_ok(llmd_outfile_write(&f, "world", 5));
    ck_ok(llmd_outfile_publish(&f, LLMD_PUBLISH_REPLACE));
    ck_assert_uint_eq(f.bytes, 11);
    ck_assert_uint_eq(f.checksum, XXH3_64bits("hello world", 11));
    llmd_outfile_discard(&f);
    seen = slurp(path, &n);
    ck_assert_uint_eq(n, 11);
    ck_assert_mem_eq(seen, "hello world", 11);
    llmd_free(seen);
    ck_assert_int_eq(count_entries(dir), 1);   /* no temp left */
}
END_TEST

START_TEST(outfile_exclusive_refuses_existing_name) {
    char path[256];
    const char *dir = temp_dir();
    snprintf(path, sizeof path, "%s/00000000000000000001.json", dir);
    ck_ok(llmd_write_file_exclusive(path, "first", 5));
    ck_fails(llmd_write_file_exclusive(path, "second", 6), LLMD_ERR_CONFLICT, "already exists");
    size_t n;
    char *seen = slurp(path, &n);
    ck_assert_uint_eq(n, 5);
    ck_assert_mem_eq(seen, "first", 5);       /* the winner's bytes are untouched */
    llmd_free(seen);
    ck_assert_int_eq(count_entries(dir), 1);   /* the loser's temp is gone */
}
END_TEST

START_TEST(outfile_discard_and_signal_cleanup_remove_temps) {
    char path[256];
    const char *dir = temp_dir();
    snprintf(path, sizeof path, "%s/a.bin", dir);
    llmd_outfile f, g;
    ck_ok(llmd_outfile_open(&f, path));
    ck_ok(llmd_outfile_write(&f, "x", 1));
    llmd_outfile_discard(&f);
    ck_assert_int_eq(count_entries(dir), 0);
    ck_ok(llmd_outfile_open(&f, path));
    ck_ok(llmd_outfile_open(&g, path));       /* two writers of one name get two temps */
    ck_assert_int_eq(count_entries(dir), 2);
    llmd_remove_temp_files();                 /* what a SIGTERM handler calls */
    ck_assert_int_eq(count_entries(dir), 0);
    llmd_outfile_discard(&f);
    llmd_outfile_discard(&g);
    ck_assert_int_eq(access(path, F_OK), -1); /* nothing was published */
}
END_TEST

START_TEST(outfile_pwrite_recomputes_checksum) {
    char path[256];
    snprintf(path, sizeof path, "%s/h.npy", temp_dir());
    llmd_outfile f;
    ck_ok(llmd_outfile_open(&f, path));
    ck_ok(llmd_outfile_write(&f, "HDR:????;body", 13));
    ck_ok(llmd_outfile_pwrite(&f, 4, "1234", 4));
    ck_ok(llmd_outfile_publish(&f, LLMD_PUBLISH_REPLACE));
    ck_assert_uint_eq(f.bytes, 13);
    ck_assert_uint_eq(f.checksum, XXH3_64bits("HDR:1234;body", 13));
    llmd_outfile_discard(&f);
}
END_TEST

START_TEST(outfile_bad_names_fail_clearly) {
    llmd_outfile f;
    ck_fails(llmd_outfile_open(&f, ""), LLMD_ERR_INVALID_ARG, "empty");
    ck_fails(llmd_outfile_open(&f, "/tmp/some/dir/"), LLMD_ERR_INVALID_ARG, "directory");
    ck_fails(llmd_outfile_open(&f, "/nonexistent-dir-llmd/x.bin"), LLMD_ERR_IO, "cannot create");
    llmd_outfile_discard(&f);  /* a failed open leaves nothing to free, and discard is harmless */
}
END_TEST

/* Unicode 15 §3.9, Table 3-8: "61 F1 80 80 E1 80 C2 62 80 63 80 BF 64" decodes with one U+FFFD per
 * maximal subpart: a FFFD FFFD FFFD b FFFD c FFFD FFFD d. */
START_TEST(utf8_maximal_subparts_as_unicode_table_3_8) {
    static const unsigned char in[] = {0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63,
                                       0x80, 0xBF, 0x64};
    ck_assert_uint_eq(llmd_utf8_maximal_subpart(in + 1, sizeof in - 1), 3);
    ck_assert_uint_eq(llmd_utf8_maximal_subpart(in + 4, sizeof in - 4), 2);
    ck_assert_uint_eq(llmd_utf8_maximal_subpart(in + 6, sizeof in - 6), 1);
    ck_assert_uint_eq(llmd_utf8_maximal_subpart((const unsigned char *)"\xED\xA0\x80", 3), 1);  /* surrogate */
    ck_assert_uint_eq(llmd_utf8_maximal_subpart((const unsigned char *)"\xF4\x90", 2), 1);      /* > U+10FFFF */
    ck_assert_uint_eq(llmd_utf8_maximal_subpart((const unsigned char *)"\xF0\x9F\x98", 3), 3);  /* truncated */
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_utf8_append_lossy(&b, in, sizeof in));
    const char *want = "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d";
    ck_assert_uint_eq(b.len, strlen(want));
    ck_assert_mem_eq(b.data, want, b.len);
    llmd_buf_free(&b);
}
END_TEST

/* ---- reading nested JSON (json.c) ----------------------------------------------------------- */
START_TEST(json_reader_names_document_field_and_type) {
    cJSON *root;
    ck_fails(llmd_json_parse("{\"a\": [1, 2,]}", 14, "cfg.json", &root), LLMD_ERR_PARSE, "cfg.json: malformed JSON at byte offset 12");
    ck_fails(llmd_json_parse("{\"a\": 1} x", 10, "cfg.json", &root), LLMD_ERR_PARSE, "after the JSON value at byte offset 9");
    ck_fails(llmd_json_parse_object("[1]", 3, "cfg.json", &root), LLMD_ERR_PARSE, "not a JSON object");
    const char *doc = "{\"name\": \"v\", \"ttl\": 30, \"big\": 9007199254740993, \"frac\": 1.5, \"on\": true,"
                      " \"list\": [], \"nothing\": null}";
    ck_ok(llmd_json_parse_object(doc, strlen(doc), "view.json", &root));
    const char *s = "default";
    ck_ok(llmd_json_string(root, "missing", "view.json", false, &s));
    ck_assert_str_eq(s, "default");                       /* optional + absent: untouched */
    ck_ok(llmd_json_string(root, "nothing", "view.json", false, &s));
    ck_assert_str_eq(s, "default");                       /* null counts as absent */
    ck_ok(llmd_json_string(root, "name", "view.json", true, &s));
    ck_assert_str_eq(s, "v");
    ck_fails(llmd_json_string(root, "ttl", "view.json", true, &s), LLMD_ERR_PARSE,
             "view.json: field \"ttl\" must be a string, not a number");
    ck_fails(llmd_json_string(root, "gone", "view.json", true, &s), LLMD_ERR_PARSE, "field \"gone\" is missing");
    int64_t i = -1;
    ck_ok(llmd_json_int(root, "ttl", "view.json", true, 0, 30, &i));
    ck_assert_int_eq(i, 30);
    ck_fails(llmd_json_int(root, "ttl", "view.json", true, 0, 29, &i), LLMD_ERR_RANGE, "outside [0, 29]");
    ck_fails(llmd_json_int(root, "frac", "view.json", true, 0, 10, &i), LLMD_ERR_PARSE, "must be an integer");
    ck_fails(llmd_json_int(root, "big", "view.json", true, 0, INT64_MAX, &i), LLMD_ERR_PARSE, "2^53");
    bool on = false;
    ck_ok(llmd_json_bool(root, "on", "view.json", true, &on));
    ck_assert(on);
    const cJSON *arr = NULL;
    ck_ok(llmd_json_array(root, "list", "view.json", true, &arr));
    ck_assert_ptr_nonnull(arr);
    ck_fails(llmd_json_object(root, "list", "view.json", true, &arr), LLMD_ERR_PARSE, "must be an object, not an array");
    char buf[64];
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "ttl"), "view.json", "ttl", buf, sizeof buf, &s));
    ck_assert_str_eq(s, "30");
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "on"), "view.json", "on", buf, sizeof buf, &s));
    ck_assert_str_eq(s, "1");
    cJSON_Delete(root);
}
END_TEST

static llmd_outfile *open_with(llmd_outfile *f, const char *path, const char *bytes) {
    ck_ok(llmd_outfile_open(f, path));
    ck_ok(llmd_outfile_write(f, bytes, strlen(bytes)));
    return f;
}

static void expect_content(const char *path, const char *want) {
    size_t n;
    char *seen = slurp(path, &n);
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_mem_eq(seen, want, n);
    llmd_free(seen);
}

START_TEST(outfile_group_publish_rolls_back) {
    char a[256], b[256], c[256];
    const char *dir = temp_dir();
    snprintf(a, sizeof a, "%s/x.bin", dir);
    snprintf(b, sizeof b, "%s/x.idx", dir);
    snprintf(c, sizeof c, "%s/x.manifest.json", dir);
    ck_ok(llmd_write_file_atomic(a, "old-a", 5));
    ck_ok(llmd_write_file_atomic(b, "old-b", 5));
    /* REPLACE, the 3rd publish fails (a directory holds its name): the first two files are put
     * back exactly as they were, and nothing else is left */
    ck_assert_int_eq(mkdir(c, 0755), 0);
    llmd_outfile f1, f2, f3;
    llmd_outfile *all[3] = {open_with(&f1, a, "new-a"), open_with(&f2, b, "new-b"), open_with(&f3, c, "{}")};
    ck_fails(llmd_outfile_publish_all(all, 3, LLMD_PUBLISH_REPLACE), LLMD_ERR_IO, "x.manifest.json");
    for (int i = 0; i < 3; i++) llmd_outfile_discard(all[i]);
    expect_content(a, "old-a");
    expect_content(b, "old-b");
    ck_assert_int_eq(count_entries(dir), 3);
    /* EXCLUSIVE, the 2nd name exists: the 1st (published by this call) is removed again */
    ck_assert_int_eq(rmdir(c), 0);
    ck_assert_int_eq(unlink(a), 0);
    llmd_outfile *two[2] = {open_with(&f1, a, "new-a"), open_with(&f2, b, "new-b")};
    ck_fails(llmd_outfile_publish_all(two, 2, LLMD_PUBLISH_EXCLUSIVE), LLMD_ERR_CONFLICT, "x.idx");
    for (int i = 0; i < 2; i++) llmd_outfile_discard(two[i]);
    ck_assert_int_eq(access(a, F_OK), -1);
    expect_content(b, "old-b");
    ck_assert_int_eq(count_entries(dir), 1);
    /* success: all replaced, no backup left */
    llmd_outfile *ok[2] = {open_with(&f1, a, "new-a"), open_with(&f2, b, "new-b")};
    ck_ok(llmd_outfile_publish_all(ok, 2, LLMD_PUBLISH_REPLACE));
    for (int i = 0; i < 2; i++) llmd_outfile_discard(ok[i]);
    expect_content(a, "new-a");
    expect_content(b, "new-b");
    ck_assert_int_eq(count_entries(dir), 2);
}
END_TEST

START_TEST(signal_cleanup_removes_staging_dirs) {
    char d[256], file[300];
    snprintf(d, sizeof d, "%s/out.tmp.1.0", temp_dir());
    ck_assert_int_eq(mkdir(d, 0755), 0);
    snprintf(file, sizeof file, "%s/data.bin", d);
    ck_ok(llmd_write_file_atomic(file, "x", 1));
    llmd_temp_track_file(file);
    llmd_temp_track_dir(d);
    llmd_remove_temp_files();
    ck_assert_int_eq(access(d, F_OK), -1);
    llmd_temp_untrack_file(file);
    llmd_temp_untrack_dir(d);
}
END_TEST

START_TEST(manifest_parse_rules) {
    llmd_file_list l;
    char *id;
    const char good[] = "{\"run_id\":\"r\",\"files\":[{\"name\":\"a.bin\",\"bytes\":3,\"xxh3\":\"00000000000000ff\"}]}";
    ck_ok(llmd_manifest_parse(good, strlen(good), "m", &l, &id));
    ck_assert_uint_eq(l.n, 1);
    ck_assert_str_eq(l.v[0].name, "a.bin");
    ck_assert_uint_eq(l.v[0].bytes, 3);
    ck_assert_uint_eq(l.v[0].xxh3, 255);
    ck_assert_str_eq(id, "r");
    llmd_free(id);
    llmd_file_list_free(&l);
    static const struct { const char *json, *needle; } bad[] = {
        {"[]", "not a JSON object"},
        {"{}", "no \"files\" array"},
        {"{\"files\":[{\"name\":\"../x\",\"bytes\":1,\"xxh3\":\"0000000000000000\"}]}", "not a file name"},
        {"{\"files\":[{\"name\":\"..\",\"bytes\":1,\"xxh3\":\"0000000000000000\"}]}", "not a file name"},
        {"{\"files\":[{\"name\":\"a\",\"bytes\":-1,\"xxh3\":\"0000000000000000\"}]}", "byte count"},
        {"{\"files\":[{\"name\":\"a\",\"bytes\":1.5,\"xxh3\":\"0000000000000000\"}]}", "byte count"},
        {"{\"files\":[{\"name\":\"a\",\"bytes\":1,\"xxh3\":\"00000000000000FF\"}]}", "hex digits"},
        {"{\"files\":[{\"name\":\"a\",\"bytes\":1,\"xxh3\":\"0000000000000000\"},"
         "{\"name\":\"a\",\"bytes\":1,\"xxh3\":\"0000000000000000\"}]}", "twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_fails(llmd_manifest_parse(bad[i].json, strlen(bad[i].json), "m", &l, NULL), LLMD_ERR_CORRUPT, bad[i].needle);
}
END_TEST

int main(void) {
    Suite *s = suite_create("common");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, status_strings);
    tcase_add_test(tc, outfile_group_publish_rolls_back);
    tcase_add_test(tc, signal_cleanup_removes_staging_dirs);
    tcase_add_test(tc, manifest_parse_rules);
    tcase_add_test(tc, version_agrees);
    tcase_add_test(tc, last_error_is_thread_local);
    tcase_add_test(tc, allocator_hooks);
    tcase_add_test(tc, json_string_escaping);
    tcase_add_test(tc, utf8_decoding);
    tcase_add_test(tc, utf8_maximal_subparts_as_unicode_table_3_8);
    tcase_add_test(tc, options_versioning);
    tcase_add_test(tc, parallel_ranges_carry_errors);
    tcase_add_test(tc, outfile_replace_publishes_whole_file);
    tcase_add_test(tc, outfile_exclusive_refuses_existing_name);
    tcase_add_test(tc, outfile_discard_and_signal_cleanup_remove_temps);
    tcase_add_test(tc, outfile_pwrite_recomputes_checksum);
    tcase_add_test(tc, outfile_bad_names_fail_clearly);
    tcase_add_test(tc, json_reader_names_document_field_and_type);
    tcase_add_test(tc, outfile_group_publish_rolls_back);
    tcase_add_test(tc, signal_cleanup_removes_staging_dirs);
    tcase_add_test(tc, manifest_parse_rules);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
