/* Suite "common_cov": the shared helpers' error and edge paths (issue 19, branch coverage) —
 * the JSON field readers and their messages, JSON string escaping of every control byte and of
 * invalid UTF-8, whole-file reads of things that are not regular files, manifests with every kind
 * of bad entry, output files used in the wrong order or in impossible places (ENOTDIR, not
 * permissions: CI runs as root), allocator hooks without realloc, long error prefixes.  Expected
 * values are worked by hand (JSON escapes from RFC 8259 section 7; XXH3 from xxhash itself). */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/internal.h"
#include "common/json.h"
#include "testutil.h"

static char dir[64];
static void new_dir(void) {
    strcpy(dir, "/tmp/llmd_ccov_XXXXXX");
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
static void put_file(const char *name, const void *data, size_t n) {
    FILE *f = fopen(at(name), "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

START_TEST(json_parse_and_field_readers) {
    cJSON *root;
    ck_fails(llmd_json_parse(NULL, 0, "doc", &root), LLMD_ERR_INVALID_ARG, "doc: no JSON text");
    ck_fails(llmd_json_parse("{\"a\":", 5, "doc", &root), LLMD_ERR_PARSE, "malformed JSON at byte offset 4");
    ck_fails(llmd_json_parse("{\"a\" 1}", 7, "doc", &root), LLMD_ERR_PARSE, "doc: malformed JSON at byte offset");
    ck_assert_ptr_null(strstr(llmd_last_error(), "truncated"));
    ck_fails(llmd_json_parse("{} x", 4, "doc", &root), LLMD_ERR_PARSE, "data after the JSON value at byte offset 3");
    ck_fails(llmd_json_parse("{}\n\r\t ,", 7, "doc", &root), LLMD_ERR_PARSE, "at byte offset 6");
    ck_ok(llmd_json_parse("[1] \t\r\n", 7, "doc", &root));
    cJSON_Delete(root);
    ck_fails(llmd_json_parse_object("[1]", 3, "doc", &root), LLMD_ERR_PARSE, "doc: not a JSON object");
    ck_assert_ptr_null(root);
    static const char text[] = "{\"n\": null, \"b\": true, \"i\": 7, \"x\": 1.5, \"s\": \"str\", \"a\": [1], \"o\": {},"
                               " \"big\": 1e20, \"f\": false}";
    ck_ok(llmd_json_parse_object(text, strlen(text), "doc", &root));
    const char *want[][2] = {{"n", "null"}, {"b", "a boolean"}, {"i", "a number"}, {"s", "a string"},
                             {"a", "an array"}, {"o", "an object"}, {"zz", "missing"}};
    for (size_t i = 0; i < 7; i++) ck_assert_str_eq(llmd_json_type_name(llmd_json_field(root, want[i][0])), want[i][1]);
    bool b = false;
    ck_ok(llmd_json_bool(root, "b", "doc", true, &b));
    ck_assert(b);
    b = true;
    ck_ok(llmd_json_bool(root, "zz", "doc", false, &b));   /* absent and optional: untouched */
    ck_ok(llmd_json_bool(root, "n", "doc", false, &b));    /* null counts as absent */
    ck_assert(b);
    ck_fails(llmd_json_bool(root, "i", "doc", false, &b), LLMD_ERR_PARSE, "doc: field \"i\" must be true or false, not a number");
    ck_fails(llmd_json_bool(root, "zz", "doc", true, &b), LLMD_ERR_PARSE, "field \"zz\" is missing (true or false expected)");
    double d = 0;
    ck_ok(llmd_json_double(root, "x", "doc", true, &d));
    ck_assert(d == 1.5);
    ck_ok(llmd_json_double(root, "zz", "doc", false, &d));
    ck_assert(d == 1.5);
    ck_fails(llmd_json_double(root, "s", "doc", false, &d), LLMD_ERR_PARSE, "field \"s\" must be a number, not a string");
    ck_fails(llmd_json_double(root, "zz", "doc", true, &d), LLMD_ERR_PARSE, "is missing (a number expected)");
    int64_t v = 3;
    ck_ok(llmd_json_int(root, "zz", "doc", false, 0, 10, &v));
    ck_assert_int_eq(v, 3);
    ck_fails(llmd_json_int(root, "i", "doc", true, 0, 5, &v), LLMD_ERR_RANGE, "field \"i\" = 7 is outside [0, 5]");
    ck_fails(llmd_json_int(root, "x", "doc", true, 0, 5, &v), LLMD_ERR_PARSE, "must be an integer");
    ck_fails(llmd_json_int(root, "big", "doc", true, 0, 5, &v), LLMD_ERR_PARSE, "below 2^53");
    const cJSON *arr = NULL;
    ck_ok(llmd_json_array(root, "zz", "doc", false, &arr));
    ck_assert_ptr_null(arr);
    ck_fails(llmd_json_array(root, "o", "doc", false, &arr), LLMD_ERR_PARSE, "field \"o\" must be an array, not an object");
    ck_fails(llmd_json_object(root, "a", "doc", false, &arr), LLMD_ERR_PARSE, "field \"a\" must be an object, not an array");
    ck_ok(llmd_json_object(root, "zz", "doc", false, &arr));
    const char *str = NULL;
    ck_fails(llmd_json_string(root, "i", "doc", false, &str), LLMD_ERR_PARSE, "must be a string, not a number");
    /* scalar text: strings as they are, booleans 1/0, integers without a fraction, others %.17g */
    char buf[64];
    const char *out;
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "s"), "doc", "s", buf, sizeof buf, &out));
    ck_assert_str_eq(out, "str");
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "b"), "doc", "b", buf, sizeof buf, &out));
    ck_assert_str_eq(out, "1");
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "f"), "doc", "f", buf, sizeof buf, &out));
    ck_assert_str_eq(out, "0");
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "i"), "doc", "i", buf, sizeof buf, &out));
    ck_assert_str_eq(out, "7");
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "x"), "doc", "x", buf, sizeof buf, &out));
    ck_assert_str_eq(out, "1.5");
    ck_ok(llmd_json_scalar_text(llmd_json_field(root, "big"), "doc", "big", buf, sizeof buf, &out));
    ck_assert_str_eq(out, "1e+20");
    ck_fails(llmd_json_scalar_text(llmd_json_field(root, "a"), "doc", "a", buf, sizeof buf, &out), LLMD_ERR_PARSE,
             "must be a string, number or boolean, not an array");
    cJSON_Delete(root);
}
END_TEST

START_TEST(json_string_escapes_every_kind) {
    llmd_buf b = LLMD_BUF_INIT;
    /* every escape RFC 8259 names, a control byte as \u00XX, valid UTF-8 kept, invalid -> U+FFFD */
    static const char in[] = "q\"b\\n\nr\rt\tB\bF\f\x01\x1f" "\xc3\xa9" "\xff" "\xe2\x82" "z";
    ck_ok(llmd_buf_put_json_string(&b, in, sizeof in - 1));
    ck_assert_str_eq(b.data, "\"q\\\"b\\\\n\\nr\\rt\\tB\\bF\\f\\u0001\\u001f\xc3\xa9\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdz\"");
    /* the same bytes after 20 plain ones (the 16-byte fast path stops at each) */
    llmd_buf_reset(&b);
    ck_assert_uint_eq(b.len, 0);
    static const char in2[] = "abcdefghijklmnopqrst\"" "abcdefghijklmnopqrst\xc3\xa9" "abcdefghijklmnopqrstuvwxyz";
    ck_ok(llmd_buf_put_json_string(&b, in2, sizeof in2 - 1));
    ck_assert_str_eq(b.data, "\"abcdefghijklmnopqrst\\\"abcdefghijklmnopqrst\xc3\xa9" "abcdefghijklmnopqrstuvwxyz\"");
    llmd_buf_free(&b);
    /* detach of a buffer never written: an empty string */
    llmd_buf e = LLMD_BUF_INIT;
    size_t n = 9;
    char *s = llmd_buf_detach(&e, &n);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(s, "");
    ck_assert_uint_eq(n, 0);
    llmd_free(s);
    /* lossy UTF-8 append: U+FFFD per maximal subpart (Unicode table 3-8) */
    llmd_buf l = LLMD_BUF_INIT;
    ck_ok(llmd_utf8_append_lossy(&l, (const unsigned char *)"a\xe2\x82z\xf0\x9f\x98\x80", 8));
    ck_assert_str_eq(l.data, "a\xef\xbf\xbdz\xf0\x9f\x98\x80");
    llmd_buf_free(&l);
    ck_assert_uint_eq(llmd_utf8_validate((const unsigned char *)"", 0), 0);
    ck_assert_uint_eq(llmd_utf8_validate((const unsigned char *)"ab\xe2\x82", 4), 2);
}
END_TEST

START_TEST(read_file_of_things_that_are_not_files) {
    new_dir();
    char *data;
    size_t len = 5;
    ck_fails(llmd_read_file(at("missing"), &data, &len), LLMD_ERR_NOT_FOUND, "missing: cannot open");
    ck_assert_uint_eq(len, 0);
    ck_assert_ptr_null(data);
    ck_fails(llmd_read_file(dir, &data, NULL), LLMD_ERR_IO, "not a regular file");
    put_file("f", "abc", 3);
    ck_fails(llmd_read_file(at("f/x"), &data, NULL), LLMD_ERR_IO, "cannot open");   /* ENOTDIR */
    ck_ok(llmd_read_file(at("f"), &data, NULL));
    ck_assert_str_eq(data, "abc");
    llmd_free(data);
    put_file("empty", "", 0);
    ck_ok(llmd_read_file(at("empty"), &data, &len));
    ck_assert_uint_eq(len, 0);
    ck_assert_str_eq(data, "");
    llmd_free(data);
    /* checksums of files */
    uint64_t h = 0, n = 7;
    ck_ok(llmd_file_xxh3(at("f"), &h, NULL));
    ck_assert_uint_eq(h, XXH3_64bits("abc", 3));
    ck_ok(llmd_file_xxh3(at("empty"), &h, &n));
    ck_assert_uint_eq(h, XXH3_64bits("", 0));
    ck_assert_uint_eq(n, 0);
    ck_fails(llmd_file_xxh3(at("missing"), &h, &n), LLMD_ERR_NOT_FOUND, "cannot open");
    ck_fails(llmd_file_xxh3(at("f/x"), &h, &n), LLMD_ERR_IO, "cannot open");
    ck_fails(llmd_file_xxh3(dir, &h, &n), LLMD_ERR_IO, "read failed");   /* EISDIR */
    rm_dir();
}
END_TEST

START_TEST(manifest_entries_and_files) {
    llmd_file_list fl;
    char *run = (char *)1;
    static const struct { const char *json; const char *needle; } bad[] = {
        {"[]", "not a JSON object"},
        {"{\"files\": 1}", "no \"files\" array"},
        {"{\"files\": [1]}", "files[0] has no \"name\" string"},
        {"{\"files\": [{\"name\": 1}]}", "files[0] has no \"name\" string"},
        {"{\"files\": [{\"name\": \"\xffx\", \"bytes\": 1, \"xxh3\": \"0000000000000000\"}]}", "not valid UTF-8"},
        {"{\"files\": [{\"name\": \"\", \"bytes\": 1, \"xxh3\": \"0000000000000000\"}]}", "is not a file name"},
        {"{\"files\": [{\"name\": \".\", \"bytes\": 1, \"xxh3\": \"0000000000000000\"}]}", "is not a file name"},
        {"{\"files\": [{\"name\": \"..\", \"bytes\": 1, \"xxh3\": \"0000000000000000\"}]}", "is not a file name"},
        {"{\"files\": [{\"name\": \"a/b\", \"bytes\": 1, \"xxh3\": \"0000000000000000\"}]}", "is not a file name"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": \"1\", \"xxh3\": \"0000000000000000\"}]}", "\"bytes\" is not a byte count"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": -1, \"xxh3\": \"0000000000000000\"}]}", "\"bytes\" is not a byte count"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": 1.5, \"xxh3\": \"0000000000000000\"}]}", "\"bytes\" is not a byte count"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": 1e300, \"xxh3\": \"0000000000000000\"}]}", "\"bytes\" is not a byte count"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": 1, \"xxh3\": 5}]}", "\"xxh3\" is not 16 lowercase hex digits"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": 1, \"xxh3\": \"00\"}]}", "\"xxh3\" is not 16"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": 1, \"xxh3\": \"000000000000000F\"}]}", "\"xxh3\" is not 16"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": 1, \"xxh3\": \"00000000000000g0\"}]}", "\"xxh3\" is not 16"},
        {"{\"files\": [{\"name\": \"a\", \"bytes\": 1, \"xxh3\": \"0123456789abcdef\"},"
         " {\"name\": \"a\", \"bytes\": 2, \"xxh3\": \"0123456789abcdef\"}]}", "files lists a twice"},
        {"{\"files\": [], \"run_id\": 5}", "\"run_id\" is not a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmd_status st = llmd_manifest_parse(bad[i].json, strlen(bad[i].json), "m.json", &fl, &run);
        ck_assert_msg(st == LLMD_ERR_CORRUPT, "case %zu: %s", i, llmd_status_str(st));
        ck_assert_msg(strstr(llmd_last_error(), bad[i].needle) && strstr(llmd_last_error(), "m.json"), "case %zu: %s", i,
                      llmd_last_error());
        ck_assert_ptr_null(run);
        ck_assert_uint_eq(fl.n, 0);
    }
    ck_fails(llmd_manifest_parse("{\"files\": []}\0x", 15, "m.json", &fl, NULL), LLMD_ERR_CORRUPT, "a NUL byte");
    static const char good[] = "{\"files\": [{\"name\": \"a\", \"bytes\": 3, \"xxh3\": \"0123456789abcdef\"}], \"run_id\": \"r1\"}";
    ck_ok(llmd_manifest_parse(good, strlen(good), "m.json", &fl, &run));
    ck_assert_str_eq(run, "r1");
    ck_assert_uint_eq(fl.n, 1);
    ck_assert_uint_eq(fl.v[0].xxh3, 0x0123456789abcdefULL);
    llmd_free(run);
    /* check against the directory: missing, not regular, wrong size, wrong checksum, right */
    new_dir();
    ck_fails(llmd_manifest_check_files(dir, &fl, true, "m.json"), LLMD_ERR_NOT_FOUND, "a listed by m.json");
    ck_assert_int_eq(mkdir(at("a"), 0755), 0);
    ck_fails(llmd_manifest_check_files(dir, &fl, true, "m.json"), LLMD_ERR_CORRUPT, "not a regular file (listed by m.json)");
    rmdir(at("a"));
    put_file("a", "abcd", 4);
    ck_fails(llmd_manifest_check_files(dir, &fl, true, "m.json"), LLMD_ERR_CORRUPT, "4 bytes, m.json lists 3");
    put_file("a", "abc", 3);
    ck_fails(llmd_manifest_check_files(dir, &fl, true, "m.json"), LLMD_ERR_CORRUPT, "m.json lists 0123456789abcdef");
    ck_ok(llmd_manifest_check_files(dir, &fl, false, "m.json"));   /* sizes only */
    fl.v[0].xxh3 = XXH3_64bits("abc", 3);
    ck_ok(llmd_manifest_check_files(dir, &fl, true, "m.json"));
    ck_fails(llmd_manifest_check_files(at("a"), &fl, true, "m.json"), LLMD_ERR_IO, "listed by m.json");   /* ENOTDIR */
    llmd_file_list_free(&fl);
    rm_dir();
}
END_TEST

START_TEST(outfile_wrong_order_and_impossible_places) {
    new_dir();
    llmd_outfile f;
    ck_fails(llmd_outfile_open(&f, ""), LLMD_ERR_INVALID_ARG, "output path is empty");
    ck_fails(llmd_outfile_open(&f, NULL), LLMD_ERR_INVALID_ARG, "output path is empty");
    ck_fails(llmd_outfile_open(&f, at("d/")), LLMD_ERR_INVALID_ARG, "names a directory, not a file");
    put_file("plain", "x", 1);
    ck_assert_int_ne(llmd_outfile_open(&f, at("plain/out")), LLMD_OK);    /* ENOTDIR */
    ck_assert_msg(strstr(llmd_last_error(), "plain"), "%s", llmd_last_error());
    /* a write larger than the buffer goes straight to the file; the checksum covers all of it */
    enum { BIG = 3 << 20 };
    char *big = malloc(BIG);
    for (size_t i = 0; i < BIG; i++) big[i] = (char)(i * 31 + 7);
    ck_ok(llmd_outfile_open(&f, at("big")));
    ck_ok(llmd_outfile_write(&f, "head", 4));
    ck_ok(llmd_outfile_write(&f, big, BIG));
    ck_ok(llmd_outfile_write(&f, "tail", 4));
    ck_ok(llmd_outfile_close(&f));
    ck_fails(llmd_outfile_close(&f), LLMD_ERR_STATE, "closed twice");
    ck_fails(llmd_outfile_write(&f, "x", 1), LLMD_ERR_STATE, "write to a closed output file");
    ck_fails(llmd_outfile_pwrite(&f, 0, "x", 1), LLMD_ERR_STATE, "write to a closed output file");
    XXH3_state_t *h = XXH3_createState();
    XXH3_64bits_reset(h);
    XXH3_64bits_update(h, "head", 4);
    XXH3_64bits_update(h, big, BIG);
    XXH3_64bits_update(h, "tail", 4);
    ck_assert_uint_eq(f.checksum, XXH3_64bits_digest(h));
    XXH3_freeState(h);
    ck_ok(llmd_outfile_publish(&f, LLMD_PUBLISH_REPLACE));
    ck_fails(llmd_outfile_publish(&f, LLMD_PUBLISH_REPLACE), LLMD_ERR_STATE, "published twice");
    llmd_outfile_discard(&f);
    struct stat sb;
    ck_assert_int_eq(stat(at("big"), &sb), 0);
    ck_assert_int_eq(sb.st_size, BIG + 8);
    free(big);
    /* exclusive publish over an existing name: CONFLICT, the old file untouched */
    ck_ok(llmd_outfile_open(&f, at("plain")));
    ck_ok(llmd_outfile_write(&f, "new", 3));
    ck_fails(llmd_outfile_publish(&f, LLMD_PUBLISH_EXCLUSIVE), LLMD_ERR_CONFLICT, "already exists");
    llmd_outfile_discard(&f);
    char *data;
    ck_ok(llmd_read_file(at("plain"), &data, NULL));
    ck_assert_str_eq(data, "x");
    llmd_free(data);
    /* replace publish onto a directory fails; the temp is removed by discard */
    ck_assert_int_eq(mkdir(at("sub"), 0755), 0);
    put_file("sub/keep", "k", 1);
    ck_ok(llmd_outfile_open(&f, at("sub")));
    ck_fails(llmd_outfile_publish(&f, LLMD_PUBLISH_REPLACE), LLMD_ERR_IO, "rename failed");
    llmd_outfile_discard(&f);
    /* fsync of a parent that does not exist; of "/" and of the current directory */
    ck_fails(llmd_fsync_parent_dir(at("nodir/x")), LLMD_ERR_IO, "cannot open directory to fsync");
    ck_ok(llmd_fsync_parent_dir("/x"));
    ck_ok(llmd_fsync_parent_dir("x"));
    /* publishing no files at all */
    ck_ok(llmd_outfile_publish_all(NULL, 0, LLMD_PUBLISH_REPLACE));
    /* atomic and exclusive whole-file writes */
    ck_ok(llmd_write_file_atomic(at("w"), "one", 3));
    ck_ok(llmd_write_file_atomic(at("w"), "two", 3));
    ck_fails(llmd_write_file_exclusive(at("w"), "three", 5), LLMD_ERR_CONFLICT, "already exists");
    ck_ok(llmd_read_file(at("w"), &data, NULL));
    ck_assert_str_eq(data, "two");
    llmd_free(data);
    ck_assert_int_ne(llmd_write_file_atomic(at("plain/w"), "x", 1), LLMD_OK);
    rm_dir();
}
END_TEST

/* An allocator without realloc_fn: llmd_realloc moves the block with malloc + copy + free. */
static long a_live, a_fail;
static void *c_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (a_fail) return NULL;
    a_live++;
    return malloc(n);
}
static void c_free(void *ctx, void *p) {
    (void)ctx;
    if (p) a_live--;
    free(p);
}

START_TEST(allocator_without_realloc_and_limits) {
    llmd_allocator bad = {LLMD_ALLOCATOR_VERSION, c_malloc, NULL, NULL, NULL};
    ck_fails(llmd_set_allocator(&bad), LLMD_ERR_INVALID_ARG, "malloc_fn and free_fn are required");
    bad = (llmd_allocator){LLMD_ALLOCATOR_VERSION, NULL, NULL, c_free, NULL};
    ck_fails(llmd_set_allocator(&bad), LLMD_ERR_INVALID_ARG, "malloc_fn and free_fn are required");
    llmd_allocator a = {LLMD_ALLOCATOR_VERSION, c_malloc, NULL, c_free, NULL};
    ck_ok(llmd_set_allocator(&a));
    char *p = llmd_realloc(NULL, 0, 4);
    ck_assert_ptr_nonnull(p);
    memcpy(p, "abcd", 4);
    char *q = llmd_realloc(p, 4, 1000);
    ck_assert_ptr_nonnull(q);
    ck_assert_mem_eq(q, "abcd", 4);
    ck_assert_int_eq(a_live, 1);
    q = llmd_realloc(q, 1000, 2);                 /* shrinks: copies the first 2 bytes */
    ck_assert_mem_eq(q, "ab", 2);
    a_fail = 1;
    ck_assert_ptr_null(llmd_realloc(q, 2, 10));   /* the old block stays valid */
    ck_assert_mem_eq(q, "ab", 2);
    a_fail = 0;
    llmd_free(q);
    ck_assert_int_eq(a_live, 0);
    ck_assert_ptr_null(llmd_calloc(SIZE_MAX / 2, 4));   /* overflow: never allocates */
    ck_assert_int_eq(a_live, 0);
    ck_ok(llmd_set_allocator(NULL));
    /* zero sizes allocate a byte (a non-NULL pointer to free) */
    p = llmd_malloc(0);
    ck_assert_ptr_nonnull(p);
    p = llmd_realloc(p, 1, 0);
    ck_assert_ptr_nonnull(p);
    llmd_free(p);
    llmd_buf b = LLMD_BUF_INIT;
    ck_fails(llmd_buf_reserve(&b, SIZE_MAX), LLMD_ERR_RANGE, "buffer size overflow");
    ck_fails(llmd_buf_put_json_string(&b, "", SIZE_MAX), LLMD_ERR_RANGE, "string too long to escape");
    llmd_buf_free(&b);
}
END_TEST

START_TEST(long_error_prefix_is_capped) {
    char longp[3000];
    memset(longp, 'p', sizeof longp - 1);
    longp[sizeof longp - 1] = '\0';
    llmd_fail(LLMD_ERR_PARSE, "inner");
    ck_assert_int_eq(llmd_error_prefix("%s", longp), LLMD_ERR_PARSE);
    const char *m = llmd_last_error();
    ck_assert_uint_gt(strlen(m), 100);
    ck_assert_int_eq(m[0], 'p');
    ck_assert_str_eq(m + strlen(m) - 2, ": ");   /* the prefix fills the message; the old text is cut */
    llmd_fail(LLMD_ERR_IO, "inner");
    llmd_error_prefix("outer %d", 1);
    ck_assert_str_eq(llmd_last_error(), "outer 1: inner");
    ck_assert_int_eq(llmd_last_error_status(), LLMD_ERR_IO);
}
END_TEST

static llmd_status count_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    __atomic_add_fetch((size_t *)arg, end - begin, __ATOMIC_RELAXED);
    return LLMD_OK;
}

START_TEST(parallel_ranges_thread_counts) {
    size_t total = 0;
    ck_ok(llmd_parallel_ranges(1000, 1000, count_range, &total));   /* capped at 256 threads */
    ck_assert_uint_eq(total, 1000);
    total = 0;
    ck_ok(llmd_parallel_ranges(3, 8, count_range, &total));         /* more threads than items */
    ck_assert_uint_eq(total, 3);
    total = 0;
    ck_ok(llmd_parallel_ranges(0, 4, count_range, &total));
    ck_assert_uint_eq(total, 0);
    ck_assert_uint_ge(llmd_cpu_count(), 1);
    char id[37];
    ck_ok(llmd_make_run_id(id));
    ck_assert_uint_eq(strlen(id), 36);
    ck_assert_int_eq(id[14], '4');   /* RFC 4122 version 4 */
}
END_TEST

int main(void) {
    Suite *s = suite_create("common_cov");
    TCase *tc = tcase_create("cov");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, json_parse_and_field_readers);
    tcase_add_test(tc, json_string_escapes_every_kind);
    tcase_add_test(tc, read_file_of_things_that_are_not_files);
    tcase_add_test(tc, manifest_entries_and_files);
    tcase_add_test(tc, outfile_wrong_order_and_impossible_places);
    tcase_add_test(tc, allocator_without_realloc_and_limits);
    tcase_add_test(tc, long_error_prefix_is_capped);
    tcase_add_test(tc, parallel_ranges_thread_counts);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
