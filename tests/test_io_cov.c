/* Branch coverage of the io module over its public API (include/llmdata/io.h), issue 19: the JSON
 * grammar of RFC 8259 rule by rule (numbers, literals, escapes, surrogate pairs, nesting, every
 * "expected ..." error with its byte offset), edits and rendering, argument checks, the line
 * reader on plain / zstd / gzip input (CRLF, no final newline, empty lines, several frames and
 * members, damaged data) and published outputs (exclusive commit, double commit, /dev/full).
 * Expected values are written by hand from the RFC (UTF-8 bytes of escapes) or computed by the
 * system's gzip / zstd tools. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
    static char p[512];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/llmd_iocov_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

static void write_file(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static llmd_status parse(llmd_json_doc *d, const char *s) { return llmd_json_doc_parse(d, s, strlen(s)); }

/* Parses `json` and checks the decoded string of member "s" is `want` (want_len bytes). */
static void check_string(llmd_json_doc *d, const char *json, const char *want, size_t want_len) {
    ck_ok(parse(d, json));
    const char *v;
    size_t n;
    ck_ok(llmd_json_doc_get_string(d, "s", &v, &n));
    ck_assert_uint_eq(n, want_len);
    ck_assert_mem_eq(v, want, want_len);
    /* the second parse decodes the remembered key in its own pass: same bytes */
    ck_ok(parse(d, json));
    ck_ok(llmd_json_doc_get_string(d, "s", &v, &n));
    ck_assert_uint_eq(n, want_len);
    ck_assert_mem_eq(v, want, want_len);
}

START_TEST(test_json_strings_and_escapes) {
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    check_string(d, "{\"s\":\"\\u00C4\\u00e4\"}", "\xC3\x84\xC3\xA4", 4);                 /* Ä ä */
    check_string(d, "{\"s\":\"\\uD83D\\uDE00\"}", "\xF0\x9F\x98\x80", 4);                 /* 😀 */
    check_string(d, "{\"s\":\"a\\uD83Dz\"}", "a\xEF\xBF\xBDz", 5);                       /* lone high */
    check_string(d, "{\"s\":\"\\uDE00\"}", "\xEF\xBF\xBD", 3);                           /* lone low */
    check_string(d, "{\"s\":\"\\uD83D\\u0041\"}", "\xEF\xBF\xBD" "A", 4);                 /* high + non-low */
    check_string(d, "{\"s\":\"\\uD83D\\n\"}", "\xEF\xBF\xBD\n", 4);                       /* high + other escape */
    check_string(d, "{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "\"\\/\b\f\n\r\t", 8);
    check_string(d, "{\"s\":\"\\u0000x\"}", "\0x", 2);                                   /* embedded NUL */
    check_string(d, "{\"s\":\"\xE6\x97\xA5\"}", "\xE6\x97\xA5", 3);                      /* raw UTF-8 */
    check_string(d, "{\"s\":\"\"}", "", 0);
    /* an escaped key is decoded before it is compared */
    ck_ok(parse(d, "{\"k\\u0065y\":\"v\",\"s\":1}"));
    const char *v;
    size_t n;
    ck_ok(llmd_json_doc_get_string(d, "key", &v, &n));
    ck_assert_str_eq(v, "v");
    ck_fails(llmd_json_doc_get_string(d, "s", &v, &n), LLMD_ERR_SCHEMA, "\"s\" is not a string");
    ck_fails(llmd_json_doc_get_string(d, "nope", &v, &n), LLMD_ERR_NOT_FOUND, "no field \"nope\"");
    ck_ok(llmd_json_doc_get_string(d, "key", &v, NULL));   /* len may be NULL */
    /* the last of repeated members wins */
    ck_ok(parse(d, "{\"s\":\"first\",\"s\":\"last\"}"));
    ck_ok(llmd_json_doc_get_string(d, "s", &v, &n));
    ck_assert_str_eq(v, "last");
    /* bad escapes and bad hex digits, named with their offset */
    ck_fails(parse(d, "{\"s\":\"\\x\"}"), LLMD_ERR_PARSE, "bad escape '\\x' at byte");
    ck_fails(parse(d, "{\"s\":\"\\\x01\"}"), LLMD_ERR_PARSE, "bad escape '\\?'");
    ck_assert_int_ne(parse(d, "{\"s\":\"\\u00G1\"}"), LLMD_OK);
    ck_assert_int_ne(parse(d, "{\"s\":\"\\u00g1\"}"), LLMD_OK);
    ck_assert_int_ne(parse(d, "{\"s\":\"\\u12\"}"), LLMD_OK);
    ck_assert_int_ne(parse(d, "{\"s\":\"abc"), LLMD_OK);                     /* unterminated */
    ck_assert_int_ne(parse(d, "{\"s\":\"a\x01z\"}"), LLMD_OK);                /* control character */
    ck_fails(parse(d, "{\"s\":\"\xC3\x28\"}"), LLMD_ERR_UTF8, "byte");       /* bad UTF-8 */
    ck_fails(parse(d, "{\"k\\q\":1}"), LLMD_ERR_PARSE, "bad escape");        /* in a key */
    llmd_json_doc_free(d);
}
END_TEST

START_TEST(test_json_grammar) {
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    const char *raw;
    size_t n;
    /* every kind of whitespace around every token */
    ck_ok(parse(d, " \t\r\n{ \t\"a\" \r\n: \n-12.5e+3 ,\"b\":[ 1 , 2 ] ,\"c\":{ } ,\"d\":[ ]}\r\n\t "));
    ck_ok(llmd_json_doc_get_raw(d, "a", &raw, &n));
    ck_assert_uint_eq(n, 8);
    ck_assert_mem_eq(raw, "-12.5e+3", 8);
    ck_ok(llmd_json_doc_get_raw(d, "b", &raw, &n));
    ck_assert_mem_eq(raw, "[ 1 , 2 ]", n);
    /* valid numbers and literals */
    static const char *const good[] = {"0", "-0", "1E-2", "0.5e7", "123456789012345678901234567890",
                                       "true", "false", "null", "{\"x\":[true,false,null,{}]}", "[[[]]]"};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "{\"v\":%s}", good[i]);
        ck_ok(parse(d, buf));
        ck_ok(llmd_json_doc_get_raw(d, "v", &raw, &n));
        ck_assert_uint_eq(n, strlen(good[i]));
        ck_assert_mem_eq(raw, good[i], n);
    }
    /* invalid values: the message says what was expected */
    static const struct { const char *json, *needle; } bad[] = {
        {"{\"v\":-}", "a digit"}, {"{\"v\":-a}", "a digit"}, {"{\"v\":1.}", "a digit after '.'"},
        {"{\"v\":1.e5}", "a digit after '.'"}, {"{\"v\":1e}", "an exponent digit"}, {"{\"v\":1e+}", "an exponent digit"},
        {"{\"v\":01}", "',' or '}'"}, {"{\"v\":tru}", "a JSON value"}, {"{\"v\":nul}", "a JSON value"},
        {"{\"v\":falsy}", "a JSON value"}, {"{\"v\":x}", "unexpected character 'x'"}, {"{\"v\":}", "unexpected character '}'"},
        {"{\"v\":[1 2]}", "',' or ']'"}, {"{\"v\":[1,]}", "unexpected character ']'"}, {"{\"v\":[1", "',' or ']'"},
        {"{\"v\":{\"b\" 1}}", "':'"}, {"{\"v\":{1:2}}", "a member name string"}, {"{\"v\":{\"b\":1,}}", "a member name string"},
        {"{\"v\":{\"b\":1 \"c\":2}}", "',' or '}'"}, {"{\"v\":{\"b\"", "':'"}, {"{\"v\":{", "a member name string"},
        {"{\"a\" 1}", "':'"}, {"{\"a\"", "':'"}, {"{\"a\":1 \"b\":2}", "',' or '}'"}, {"{\"a\":1,}", "a member name string"},
        {"{a:1}", "a member name string"}, {"{\"a\":1", "',' or '}'"}, {"{\"a\":1} x", "end of input after the object"},
        {"{", "a member name string"}, {"{\"v\":", "a JSON value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        llmd_status st = parse(d, bad[i].json);
        ck_assert_msg(st == LLMD_ERR_PARSE, "%s -> %s", bad[i].json, llmd_status_str(st));
        ck_assert_msg(strstr(llmd_last_error(), bad[i].needle) && strstr(llmd_last_error(), "byte"),
                      "%s: '%s' lacks '%s'", bad[i].json, llmd_last_error(), bad[i].needle);
    }
    /* a non-printable byte where a token should be is shown as '?' */
    ck_fails(parse(d, "{\"a\":1\x02}"), LLMD_ERR_PARSE, "'?'");
    /* empty input and non-object values */
    ck_fails(parse(d, ""), LLMD_ERR_PARSE, "empty input");
    ck_fails(parse(d, " \n "), LLMD_ERR_PARSE, "empty input");
    ck_fails(parse(d, "[1,2]"), LLMD_ERR_SCHEMA, "expected an object at byte 0");
    ck_fails(parse(d, "  \"str\""), LLMD_ERR_SCHEMA, "expected an object at byte 2");
    ck_fails(parse(d, "42"), LLMD_ERR_SCHEMA, "expected an object");
    ck_fails(parse(d, "[1,"), LLMD_ERR_PARSE, "a JSON value");
    ck_fails(llmd_json_doc_parse(d, NULL, 0), LLMD_ERR_PARSE, "empty input");
    /* nesting: 512 levels are fine, 513 are not */
    static char deep[2 * 520 + 16];
    for (int depth = 511; depth <= 513; depth += 2) {
        size_t k = 0;
        k += (size_t)snprintf(deep, sizeof deep, "{\"v\":");
        for (int i = 0; i < depth - 1; i++) deep[k++] = '[';
        for (int i = 0; i < depth - 1; i++) deep[k++] = ']';
        deep[k++] = '}';
        deep[k] = 0;
        llmd_status st = parse(d, deep);
        if (depth <= 512) ck_ok(st);
        else ck_assert_msg(st == LLMD_ERR_PARSE && strstr(llmd_last_error(), "512"), "%s", llmd_last_error());
    }
    llmd_json_doc_free(d);
}
END_TEST

START_TEST(test_json_edits_and_args) {
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    const char *out, *v;
    size_t n;
    /* an empty object: edits append members, render without whitespace */
    ck_ok(parse(d, " { } "));
    ck_ok(llmd_json_doc_render(d, &out, &n));
    ck_assert_uint_eq(n, 2);
    ck_assert_mem_eq(out, "{}", 2);
    ck_ok(llmd_json_doc_set_string(d, "t\"q", "a\nb\xFF", 4));   /* key escaped, bad byte -> U+FFFD */
    ck_ok(llmd_json_doc_set_raw(d, "n", " [1, {\"x\": null}] ", 18));
    ck_ok(llmd_json_doc_set_string(d, "e", NULL, 0));
    ck_ok(llmd_json_doc_render(d, &out, &n));
    const char *want = "{\"t\\\"q\":\"a\\nb\xEF\xBF\xBD\",\"n\": [1, {\"x\": null}] ,\"e\":\"\"}";
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_mem_eq(out, want, n);
    /* an edited member reads back through get_raw / get_string */
    ck_ok(llmd_json_doc_get_raw(d, "e", &v, &n));
    ck_assert_uint_eq(n, 2);
    ck_ok(llmd_json_doc_get_string(d, "t\"q", &v, &n));
    ck_assert_uint_eq(n, 6);
    ck_assert_mem_eq(v, "a\nb\xEF\xBF\xBD", 6);
    ck_fails(llmd_json_doc_get_string(d, "n", &v, &n), LLMD_ERR_SCHEMA, "not a string");
    /* remove every copy of a repeated key, keep the rest byte for byte */
    ck_ok(parse(d, "{\"a\" : 1,\"b\":2,\"a\":3}"));
    ck_ok(llmd_json_doc_remove(d, "a"));
    ck_ok(llmd_json_doc_remove(d, "absent"));
    ck_ok(llmd_json_doc_render(d, &out, &n));
    ck_assert_uint_eq(n, 7);
    ck_assert_mem_eq(out, "{\"b\":2}", 7);
    ck_ok(llmd_json_doc_remove(d, "b"));
    ck_ok(llmd_json_doc_render(d, &out, &n));
    ck_assert_mem_eq(out, "{}", 2);
    /* set_raw refuses anything that is not exactly one JSON value */
    ck_fails(llmd_json_doc_set_raw(d, "k", "1 2", 3), LLMD_ERR_PARSE, "llmd_json_doc_set_raw(\"k\")");
    ck_fails(llmd_json_doc_set_raw(d, "k", "", 0), LLMD_ERR_PARSE, "a JSON value");
    ck_fails(llmd_json_doc_set_raw(d, "k", "[", 1), LLMD_ERR_PARSE, "k");
    ck_ok(llmd_json_doc_set_raw(d, "k", "true", 4));
    ck_ok(llmd_json_doc_render(d, &out, &n));
    ck_assert_mem_eq(out, "{\"k\":true}", n);
    /* NULL arguments */
    ck_fails(llmd_json_doc_new(NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_json_doc_parse(NULL, "{}", 2), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_parse(d, NULL, 2), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_string(NULL, "a", &v, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_string(d, NULL, &v, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_string(d, "a", NULL, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_raw(NULL, "a", &v, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_raw(d, NULL, &v, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_raw(d, "a", NULL, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_raw(d, "a", &v, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_get_raw(d, "zz", &v, &n), LLMD_ERR_NOT_FOUND, "no field \"zz\"");
    ck_fails(llmd_json_doc_set_string(NULL, "a", "x", 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_set_string(d, NULL, "x", 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_set_string(d, "a", NULL, 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_set_raw(NULL, "a", "1", 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_set_raw(d, NULL, "1", 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_set_raw(d, "a", NULL, 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_remove(NULL, "a"), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_remove(d, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_render(NULL, &out, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_render(d, NULL, &n), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_json_doc_render(d, &out, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    llmd_json_doc_free(d);
    llmd_json_doc_free(NULL);
    /* many members: the member table grows */
    ck_ok(llmd_json_doc_new(&d));
    char big[64 * 16 + 8];
    size_t k = 0;
    big[k++] = '{';
    for (int i = 0; i < 60; i++) k += (size_t)snprintf(big + k, sizeof big - k, "%s\"m%02d\":%d", i ? "," : "", i, i);
    big[k++] = '}';
    ck_ok(llmd_json_doc_parse(d, big, k));
    ck_ok(llmd_json_doc_get_raw(d, "m59", &v, &n));
    ck_assert_mem_eq(v, "59", 2);
    ck_ok(llmd_json_doc_render(d, &out, &n));
    ck_assert_uint_eq(n, k);
    ck_assert_mem_eq(out, big, k);
    llmd_json_doc_free(d);
}
END_TEST

/* ---- line reader ------------------------------------------------------------------------------ */

/* Reads every line of `path`, joined with '|' into out; returns the status of the failing call. */
static llmd_status read_lines(const char *path, const llmd_reader_options *o, char *out, size_t cap, uint64_t *lines) {
    llmd_reader *r;
    llmd_status st = llmd_reader_open(&r, path, o);
    if (st) return st;
    size_t k = 0;
    out[0] = 0;
    for (;;) {
        const char *line;
        size_t n;
        if ((st = llmd_reader_next_line(r, &line, &n))) break;
        if (!line) break;
        if (k + n + 2 > cap) { st = LLMD_ERR_RANGE; break; }
        memcpy(out + k, line, n);
        k += n;
        out[k++] = '|';
        out[k] = 0;
    }
    if (lines) *lines = llmd_reader_line_number(r);
    llmd_reader_free(r);
    return st;
}

static int have_tool(const char *name) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "command -v %s >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

START_TEST(test_reader_formats) {
    char got[4096];
    uint64_t lines;
    const char *plain = tmp_path("plain.txt");
    write_file(plain, "a\r\n\r\nb\nlast", 11);
    ck_ok(read_lines(plain, NULL, got, sizeof got, &lines));
    ck_assert_str_eq(got, "a||b|last|");
    ck_assert_uint_eq(lines, 4);
    /* a lone '\r' is kept (only "\r\n" ends a line); an empty file has no line */
    write_file(plain, "x\ry\n", 4);
    ck_ok(read_lines(plain, NULL, got, sizeof got, NULL));
    ck_assert_str_eq(got, "x\ry|");
    write_file(plain, "", 0);
    ck_ok(read_lines(plain, NULL, got, sizeof got, &lines));
    ck_assert_str_eq(got, "");
    ck_assert_uint_eq(lines, 0);
    /* one- and two-byte files shorter than any magic number */
    write_file(plain, "\x1f", 1);
    ck_ok(read_lines(plain, NULL, got, sizeof got, NULL));
    ck_assert_str_eq(got, "\x1f|");
    write_file(plain, "(\xb5/", 3);   /* a zstd magic prefix, too short to be zstd */
    ck_ok(read_lines(plain, NULL, got, sizeof got, NULL));
    ck_assert_str_eq(got, "(\xb5/|");
    /* magic numbers that match only in part are plain text */
    static const char *const near[] = {"(\xb5/A\n", "(\xb5" "A\n", "(A\n", "\x1f\x8b\x07\n", "\x1f" "A\n"};
    for (size_t i = 0; i < sizeof near / sizeof *near; i++) {
        write_file(plain, near[i], strlen(near[i]));
        ck_ok(read_lines(plain, NULL, got, sizeof got, NULL));
        ck_assert_uint_eq(strlen(got), strlen(near[i]));
        ck_assert_mem_eq(got, near[i], strlen(near[i]) - 1);
    }
    /* max_line_bytes */
    write_file(plain, "12345\n123456\n", 13);
    llmd_reader_options o = LLMD_READER_OPTIONS_INIT;
    o.max_line_bytes = 5;
    ck_assert_int_eq(read_lines(plain, &o, got, sizeof got, NULL), LLMD_ERR_RANGE);
    ck_assert_str_eq(got, "12345|");
    o.version = 99;
    ck_assert_int_eq(read_lines(plain, &o, got, sizeof got, NULL), LLMD_ERR_VERSION);
    /* gzip: two members concatenated (as `cat a.gz b.gz` makes), then damaged and truncated */
    if (!have_tool("gzip")) {
        ck_assert_msg(getenv("CI") == NULL || strcmp(getenv("CI"), "true") != 0, "gzip missing under CI");
    } else {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "cd %s && printf 'g1\\r\\ng2\\n' | gzip -c > g.gz && printf 'g3' | gzip -c >> g.gz && "
                 "head -c 20 g.gz > gt.gz && cp g.gz gb.gz && printf '\\377\\377\\377\\377' | "
                 "dd of=gb.gz bs=1 seek=12 conv=notrunc 2>/dev/null",
                 tmpdir);
        ck_assert_int_eq(system(cmd), 0);
        llmd_reader *r;
        ck_ok(llmd_reader_open(&r, tmp_path("g.gz"), NULL));
        ck_assert_int_eq(llmd_reader_is_gzip(r), 1);
        ck_assert_int_eq(llmd_reader_is_zstd(r), 0);
        struct stat sb;
        ck_assert_int_eq(stat(tmp_path("g.gz"), &sb), 0);
        ck_assert_uint_eq(llmd_reader_file_size(r), (uint64_t)sb.st_size);
        llmd_reader_free(r);
        ck_ok(read_lines(tmp_path("g.gz"), NULL, got, sizeof got, &lines));
        ck_assert_str_eq(got, "g1|g2|g3|");
        ck_assert_int_eq(read_lines(tmp_path("gt.gz"), NULL, got, sizeof got, NULL), LLMD_ERR_CORRUPT);
        ck_assert_int_eq(read_lines(tmp_path("gb.gz"), NULL, got, sizeof got, NULL), LLMD_ERR_CORRUPT);
    }
    if (!have_tool("zstd")) {
        ck_assert_msg(getenv("CI") == NULL || strcmp(getenv("CI"), "true") != 0, "zstd missing under CI");
    } else {
        char cmd[2048];
        snprintf(cmd, sizeof cmd,
                 "cd %s && printf 'z1\\nz2\\n' | zstd -q -c > z.zst && printf 'z3\\n' | zstd -q -c >> z.zst && "
                 "head -c 15 z.zst > zt.zst && cp z.zst zb.zst && printf '\\377\\377\\377\\377\\377\\377' | "
                 "dd of=zb.zst bs=1 seek=6 conv=notrunc 2>/dev/null",
                 tmpdir);
        ck_assert_int_eq(system(cmd), 0);
        llmd_reader *r;
        ck_ok(llmd_reader_open(&r, tmp_path("z.zst"), NULL));
        ck_assert_int_eq(llmd_reader_is_zstd(r), 1);
        const char *line;
        size_t n;
        while (!llmd_reader_next_line(r, &line, &n) && line) {}
        ck_assert_uint_eq(llmd_reader_bytes_out(r), 9);
        struct stat sb;
        ck_assert_int_eq(stat(tmp_path("z.zst"), &sb), 0);
        ck_assert_uint_eq(llmd_reader_bytes_in(r), (uint64_t)sb.st_size);
        llmd_reader_free(r);
        ck_ok(read_lines(tmp_path("z.zst"), NULL, got, sizeof got, NULL));
        ck_assert_str_eq(got, "z1|z2|z3|");
        ck_assert_int_eq(read_lines(tmp_path("zt.zst"), NULL, got, sizeof got, NULL), LLMD_ERR_CORRUPT);
        ck_assert_int_eq(read_lines(tmp_path("zb.zst"), NULL, got, sizeof got, NULL), LLMD_ERR_CORRUPT);
    }
}
END_TEST

START_TEST(test_reader_args_and_fds) {
    llmd_reader *r;
    const char *line;
    size_t n;
    ck_fails(llmd_reader_open(NULL, "x", NULL), LLMD_ERR_INVALID_ARG, "required");
    ck_fails(llmd_reader_open(&r, NULL, NULL), LLMD_ERR_INVALID_ARG, "required");
    ck_fails(llmd_reader_open_fd(NULL, 0, "x", NULL), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_fails(llmd_reader_open(&r, tmp_path("missing.txt"), NULL), LLMD_ERR_NOT_FOUND, "missing.txt");
    ck_fails(llmd_reader_open(&r, tmpdir, NULL), LLMD_ERR_IO, tmpdir);            /* a directory */
    const char *f = tmp_path("file");
    write_file(f, "x", 1);
    char sub[600];
    snprintf(sub, sizeof sub, "%s/below", f);                                       /* ENOTDIR */
    ck_fails(llmd_reader_open(&r, sub, NULL), LLMD_ERR_IO, "below");
    /* a pipe: no file size, read as a stream; the name given appears in messages */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(write(p[1], "p1\np2", 5), 5);
    close(p[1]);
    ck_ok(llmd_reader_open_fd(&r, p[0], NULL, NULL));
    ck_assert_uint_eq(llmd_reader_file_size(r), 0);
    ck_ok(llmd_reader_next_line(r, &line, &n));
    ck_assert_mem_eq(line, "p1", 2);
    ck_ok(llmd_reader_next_line(r, &line, &n));
    ck_assert_mem_eq(line, "p2", 2);
    ck_ok(llmd_reader_next_line(r, &line, &n));
    ck_assert_ptr_null(line);
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(llmd_reader_line_number(r), 2);
    ck_assert_uint_eq(llmd_reader_bytes_in(r), 5);
    ck_fails(llmd_reader_next_line(NULL, &line, &n), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_reader_next_line(r, NULL, &n), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_reader_next_line(r, &line, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    llmd_reader_free(r);
    close(p[0]);
    /* reading a write-only descriptor fails with the errno text and the name */
    int wfd = open(f, O_WRONLY);
    ck_assert_int_ge(wfd, 0);
    llmd_status st = llmd_reader_open_fd(&r, wfd, "wonly", NULL);
    if (st == LLMD_OK) {
        ck_fails(llmd_reader_next_line(r, &line, &n), LLMD_ERR_IO, "wonly");
        llmd_reader_free(r);
    } else {
        ck_assert_int_eq(st, LLMD_ERR_IO);
        ck_assert_ptr_nonnull(strstr(llmd_last_error(), "wonly"));
    }
    close(wfd);
    /* accessors on NULL */
    ck_assert_uint_eq(llmd_reader_line_number(NULL), 0);
    ck_assert_uint_eq(llmd_reader_bytes_in(NULL), 0);
    ck_assert_uint_eq(llmd_reader_bytes_out(NULL), 0);
    ck_assert_uint_eq(llmd_reader_file_size(NULL), 0);
    ck_assert_int_eq(llmd_reader_is_zstd(NULL), 0);
    ck_assert_int_eq(llmd_reader_is_gzip(NULL), 0);
    llmd_reader_free(NULL);
}
END_TEST

/* ---- outputs ---------------------------------------------------------------------------------- */

static size_t file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (size_t)sb.st_size : (size_t)-1;
}

START_TEST(test_output) {
    llmd_output *o;
    const char *path = tmp_path("out.txt");
    ck_fails(llmd_output_open(NULL, path, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_output_open(&o, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    llmd_output_options oo = LLMD_OUTPUT_OPTIONS_INIT;
    oo.version = 7;
    ck_assert_int_eq(llmd_output_open(&o, path, &oo), LLMD_ERR_VERSION);
    ck_fails(llmd_output_write(NULL, "x", 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_output_commit(NULL), LLMD_ERR_INVALID_ARG, "output is NULL");
    ck_assert_uint_eq(llmd_output_bytes(NULL), 0);
    llmd_output_free(NULL);
    /* write, commit, double commit */
    ck_ok(llmd_output_open(&o, path, NULL));
    ck_fails(llmd_output_write(o, NULL, 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_ok(llmd_output_write(o, NULL, 0));
    ck_ok(llmd_output_write(o, "hello", 5));
    ck_assert_uint_eq(llmd_output_bytes(o), 5);
    ck_assert_uint_eq(file_size(path), (size_t)-1);   /* nothing visible before the commit */
    ck_ok(llmd_output_commit(o));
    ck_assert_uint_eq(file_size(path), 5);
    ck_fails(llmd_output_commit(o), LLMD_ERR_STATE, "already committed");
    llmd_output_free(o);
    /* exclusive: PATH exists -> conflict, PATH unchanged */
    oo.version = LLMD_OUTPUT_OPTIONS_VERSION;
    oo.exclusive = 1;
    ck_ok(llmd_output_open(&o, path, &oo));
    ck_ok(llmd_output_write(o, "other content", 13));
    ck_assert_int_eq(llmd_output_commit(o), LLMD_ERR_CONFLICT);
    llmd_output_free(o);
    ck_assert_uint_eq(file_size(path), 5);
    /* an output never committed leaves nothing */
    const char *p2 = tmp_path("never.txt");
    ck_ok(llmd_output_open(&o, p2, NULL));
    ck_ok(llmd_output_write(o, "x", 1));
    llmd_output_free(o);
    ck_assert_uint_eq(file_size(p2), (size_t)-1);
    /* a regular file where the directory should be (ENOTDIR, also as root) */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/inside", path);
    ck_assert_int_eq(llmd_output_open(&o, sub, NULL), LLMD_ERR_IO);
    ck_assert_int_eq(llmd_output_open(&o, "", NULL), LLMD_ERR_INVALID_ARG);
}
END_TEST

int main(void) {
    Suite *s = suite_create("io_cov");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_json_strings_and_escapes);
    tcase_add_test(tc, test_json_grammar);
    tcase_add_test(tc, test_json_edits_and_args);
    tcase_add_test(tc, test_reader_formats);
    tcase_add_test(tc, test_reader_args_and_fds);
    tcase_add_test(tc, test_output);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
