/* Suite "io": line reader (plain, zstd, gzip) and JSON document editing. */
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cJSON.h>

#include "common/internal.h"
#include "io/utf8_wide.h"
#include "testutil.h"

static char *write_temp(const void *data, size_t n) {
    static char path[64];
    strcpy(path, "/tmp/llmd_io_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq((int)write(fd, data, n), (int)n);
    close(fd);
    return path;
}

static void expect_line(llmd_reader *r, const char *want) {
    const char *line;
    size_t len;
    ck_ok(llmd_reader_next_line(r, &line, &len));
    if (want == NULL) {
        ck_assert_ptr_null(line);
        return;
    }
    ck_assert_ptr_nonnull(line);
    ck_assert_uint_eq(len, strlen(want));
    ck_assert_int_eq(memcmp(line, want, len), 0);
}

START_TEST(reader_plain_lines) {
    const char data[] = "one\r\ntwo\n\nlast-without-newline";
    char *path = write_temp(data, sizeof data - 1);
    llmd_reader *r;
    ck_ok(llmd_reader_open(&r, path, NULL));
    ck_assert_int_eq(llmd_reader_is_zstd(r), 0);
    expect_line(r, "one");
    expect_line(r, "two");
    expect_line(r, "");
    expect_line(r, "last-without-newline");
    ck_assert_uint_eq(llmd_reader_line_number(r), 4);
    expect_line(r, NULL);
    llmd_reader_free(r);
    unlink(path);
}
END_TEST

START_TEST(reader_zstd_multiframe) {
    /* Two concatenated frames, as `cat a.zst b.zst` makes; a line crosses the frame boundary. */
    const char a[] = "{\"text\":\"alpha\"}\n{\"text\":\"be", b[] = "ta\"}\n";
    size_t cap = ZSTD_compressBound(64) * 2;
    unsigned char *z = malloc(cap);
    size_t n1 = ZSTD_compress(z, cap, a, sizeof a - 1, 3);
    size_t n2 = ZSTD_compress(z + n1, cap - n1, b, sizeof b - 1, 3);
    char *path = write_temp(z, n1 + n2);
    llmd_reader *r;
    ck_ok(llmd_reader_open(&r, path, NULL));
    ck_assert_int_eq(llmd_reader_is_zstd(r), 1);
    expect_line(r, "{\"text\":\"alpha\"}");
    expect_line(r, "{\"text\":\"beta\"}");
    expect_line(r, NULL);
    llmd_reader_free(r);
    unlink(path);
    /* Truncated: the frame never ends -> LLMD_ERR_CORRUPT, not silent loss. */
    path = write_temp(z, n1 - 3);
    ck_ok(llmd_reader_open(&r, path, NULL));
    const char *line;
    size_t len;
    llmd_status st;
    while ((st = llmd_reader_next_line(r, &line, &len)) == LLMD_OK && line) {}
    ck_assert_int_eq(st, LLMD_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "truncated"));
    llmd_reader_free(r);
    unlink(path);
    free(z);
}
END_TEST

/* One gzip member of data[0..n) as the gzip tool writes it (deflate with the gzip wrapper). */
static size_t gzip_member(const void *data, size_t n, unsigned char *out, size_t cap) {
    z_stream z;
    memset(&z, 0, sizeof z);
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)n;
    z.next_out = out;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    size_t got = cap - z.avail_out;
    deflateEnd(&z);
    return got;
}

static llmd_status drain(llmd_reader *r, size_t *lines) {
    const char *line;
    size_t len;
    llmd_status st;
    *lines = 0;
    while ((st = llmd_reader_next_line(r, &line, &len)) == LLMD_OK && line) (*lines)++;
    return st;
}

START_TEST(reader_gzip_members_truncation_and_bombs) {
    /* Two members, as `cat a.gz b.gz` makes; a line crosses the member boundary. */
    const char a[] = "{\"text\":\"alpha\"}\n{\"text\":\"be", b[] = "ta\"}\n";
    unsigned char z[512];
    size_t n1 = gzip_member(a, sizeof a - 1, z, sizeof z);
    size_t n2 = gzip_member(b, sizeof b - 1, z + n1, sizeof z - n1);
    char *path = write_temp(z, n1 + n2);
    llmd_reader *r;
    ck_ok(llmd_reader_open(&r, path, NULL));
    ck_assert_int_eq(llmd_reader_is_gzip(r), 1);
    ck_assert_int_eq(llmd_reader_is_zstd(r), 0);
    expect_line(r, "{\"text\":\"alpha\"}");
    expect_line(r, "{\"text\":\"beta\"}");
    expect_line(r, NULL);
    llmd_reader_free(r);
    unlink(path);
    /* Truncated member -> LLMD_ERR_CORRUPT naming it, never a silent short read. */
    size_t lines;
    path = write_temp(z, n1 - 5);
    ck_ok(llmd_reader_open(&r, path, NULL));
    ck_assert_int_eq(drain(r, &lines), LLMD_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "gzip stream is truncated"));
    llmd_reader_free(r);
    unlink(path);
    /* Corrupt deflate data -> LLMD_ERR_CORRUPT with the offset. */
    z[12] ^= 0xFF;
    z[13] ^= 0xFF;
    path = write_temp(z, n1);
    ck_ok(llmd_reader_open(&r, path, NULL));
    ck_assert_int_eq(drain(r, &lines), LLMD_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "gzip"));
    llmd_reader_free(r);
    unlink(path);
    /* A bomb: 64 MB of one line compresses to ~64 KB; with a 1 MB line limit the reader stops at
     * the limit instead of inflating it all into memory. */
    size_t big = (size_t)64 << 20;
    char *zeros = malloc(big);
    memset(zeros, 'a', big);
    size_t zcap = big / 100;
    unsigned char *zb = malloc(zcap);
    size_t zn = gzip_member(zeros, big, zb, zcap);
    free(zeros);
    path = write_temp(zb, zn);
    free(zb);
    llmd_reader_options o = LLMD_READER_OPTIONS_INIT;
    o.max_line_bytes = (size_t)1 << 20;
    ck_ok(llmd_reader_open(&r, path, &o));
    ck_assert_int_eq(drain(r, &lines), LLMD_ERR_RANGE);
    ck_assert_uint_lt(llmd_reader_bytes_out(r) + 0, (uint64_t)8 << 20);
    llmd_reader_free(r);
    unlink(path);
}
END_TEST

START_TEST(reader_errors) {
    llmd_reader *r = (llmd_reader *)1;
    ck_fails(llmd_reader_open(&r, "/nonexistent/file.jsonl", NULL), LLMD_ERR_NOT_FOUND, "/nonexistent/file.jsonl");
    ck_assert_ptr_null(r);
    ck_fails(llmd_reader_open(&r, "/tmp", NULL), LLMD_ERR_IO, "directory");
    llmd_reader_options o = LLMD_READER_OPTIONS_INIT;
    o.max_line_bytes = 8;
    char *path = write_temp("short\nthis line is too long\n", 28);
    ck_ok(llmd_reader_open(&r, path, &o));
    expect_line(r, "short");
    const char *line;
    size_t len;
    ck_fails(llmd_reader_next_line(r, &line, &len), LLMD_ERR_RANGE, "line 2");
    llmd_reader_free(r);
    o.version = 77;
    ck_fails(llmd_reader_open(&r, path, &o), LLMD_ERR_VERSION, "version 77");
    unlink(path);
}
END_TEST

START_TEST(json_get_and_render_preserve_bytes) {
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    const char in[] = " {\"id\": 12345678901234567890, \"text\":\"caf\\u00e9 \\ud83d\\ude00 \\u0000x\", \"meta\" : {\"a\":[1.50,2e3]}} ";
    ck_ok(llmd_json_doc_parse(d, in, sizeof in - 1));
    const char *v;
    size_t n;
    ck_ok(llmd_json_doc_get_string(d, "text", &v, &n));
    const char want[] = "caf\xc3\xa9 \xf0\x9f\x98\x80 \0x";
    ck_assert_uint_eq(n, sizeof want - 1);
    ck_assert_int_eq(memcmp(v, want, n), 0);
    ck_ok(llmd_json_doc_set_string(d, "text", "new", 3));
    ck_ok(llmd_json_doc_set_raw(d, "ids", "[1,2,3]", 7));
    const char *out;
    ck_ok(llmd_json_doc_render(d, &out, &n));
    /* Big integer and number spellings survive byte for byte. */
    ck_assert_str_eq(out, "{\"id\": 12345678901234567890,\"text\":\"new\",\"meta\" : {\"a\":[1.50,2e3]},\"ids\":[1,2,3]}");
    ck_ok(llmd_json_doc_remove(d, "meta"));
    ck_ok(llmd_json_doc_render(d, &out, &n));
    ck_assert_str_eq(out, "{\"id\": 12345678901234567890,\"text\":\"new\",\"ids\":[1,2,3]}");
    ck_fails(llmd_json_doc_get_string(d, "id", &v, &n), LLMD_ERR_SCHEMA, "not a string");
    ck_fails(llmd_json_doc_get_string(d, "nope", &v, &n), LLMD_ERR_NOT_FOUND, "nope");
    ck_fails(llmd_json_doc_set_raw(d, "x", "[1,", 3), LLMD_ERR_PARSE, "end of input");
    llmd_json_doc_free(d);
}
END_TEST

/* Escaping and decoding copy 16 bytes at a time between the bytes that need care: texts of every
 * length 0..80 with quotes, backslashes, controls, DEL and multi-byte characters at every position
 * survive set_string -> render -> parse -> get_string unchanged, and one is checked against its
 * escaping written by hand (RFC 8259: \" \\ \n \u001f; DEL and UTF-8 as they are). */
START_TEST(json_string_round_trip_every_position) {
    static const char *const pieces[] = {"\"", "\\", "\n", "\x1f", "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
                                         "\t", "/"};
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    char text[128], line[1024];
    for (size_t len = 0; len <= 80; len++) {
        for (size_t p = 0; p < sizeof pieces / sizeof *pieces; p++) {
            size_t k = 0;
            while (k < len) text[k] = (char)('a' + (k * 7) % 26), k++;
            size_t at = len / 2, pl = strlen(pieces[p]);
            memcpy(text + at, pieces[p], pl);   /* may run past len: the text is then longer */
            size_t tl = at + pl > len ? at + pl : len;
            ck_ok(llmd_json_doc_parse(d, "{\"t\":\"\"}", 8));
            ck_ok(llmd_json_doc_set_string(d, "t", text, tl));
            const char *out, *v;
            size_t on, vn;
            ck_ok(llmd_json_doc_render(d, &out, &on));
            ck_assert_uint_lt(on, sizeof line);
            memcpy(line, out, on);
            ck_ok(llmd_json_doc_parse(d, line, on));
            ck_ok(llmd_json_doc_get_string(d, "t", &v, &vn));
            ck_assert_uint_eq(vn, tl);
            ck_assert_int_eq(memcmp(v, text, tl), 0);
        }
    }
    const char hand[] = "0123456789abcdef\"\\\n\x1f\x7f\xc3\xa9 tail";
    ck_ok(llmd_json_doc_parse(d, "{}", 2));
    ck_ok(llmd_json_doc_set_string(d, "t", hand, sizeof hand - 1));
    const char *out;
    size_t on;
    ck_ok(llmd_json_doc_render(d, &out, &on));
    ck_assert_str_eq(out, "{\"t\":\"0123456789abcdef\\\"\\\\\\n\\u001f\x7f\xc3\xa9 tail\"}");
    llmd_json_doc_free(d);
}
END_TEST

/* A decoded string is kept for a second look-up of the same member (the CLI's reader decodes the
 * text field ahead of the workers): every edit, removal and new parse must show through. */
START_TEST(json_get_string_sees_every_change) {
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    const char a[] = "{\"t\":\"one\\n\",\"u\":\"two\",\"t2\":\"x\"}";
    ck_ok(llmd_json_doc_parse(d, a, sizeof a - 1));
    const char *v;
    size_t n;
    ck_ok(llmd_json_doc_get_string(d, "t", &v, &n));
    ck_assert_uint_eq(n, 4);
    ck_assert_int_eq(memcmp(v, "one\n", 4), 0);
    ck_ok(llmd_json_doc_get_string(d, "t", &v, &n));
    ck_assert_int_eq(memcmp(v, "one\n", 4), 0);
    ck_ok(llmd_json_doc_get_string(d, "u", &v, &n));
    ck_assert_str_eq(v, "two");
    ck_ok(llmd_json_doc_get_string(d, "t", &v, &n));
    ck_assert_int_eq(memcmp(v, "one\n", 4), 0);
    ck_ok(llmd_json_doc_set_string(d, "t", "three \"3\"", 9));
    ck_ok(llmd_json_doc_get_string(d, "t", &v, &n));
    ck_assert_str_eq(v, "three \"3\"");
    ck_ok(llmd_json_doc_set_raw(d, "t", "\"four\"", 6));
    ck_ok(llmd_json_doc_get_string(d, "t", &v, &n));
    ck_assert_str_eq(v, "four");
    ck_ok(llmd_json_doc_remove(d, "t"));
    ck_fails(llmd_json_doc_get_string(d, "t", &v, &n), LLMD_ERR_NOT_FOUND, "t");
    const char b[] = "{\"t\":\"five\"}";
    ck_ok(llmd_json_doc_parse(d, b, sizeof b - 1));
    ck_ok(llmd_json_doc_get_string(d, "t", &v, &n));
    ck_assert_str_eq(v, "five");
    /* The same member index in a new document with a longer, escaped value. */
    const char c[] = "{\"t\":\"s\\u00e9ven \\\"q\\\" and a long tail past sixteen bytes\"}";
    ck_ok(llmd_json_doc_parse(d, c, sizeof c - 1));
    ck_ok(llmd_json_doc_get_string(d, "t", &v, &n));
    ck_assert_str_eq(v, "s\xc3\xa9ven \"q\" and a long tail past sixteen bytes");
    llmd_json_doc_free(d);
}
END_TEST

START_TEST(json_errors_name_offsets) {
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    ck_fails(llmd_json_doc_parse(d, "{\"a\":1,}", 8), LLMD_ERR_PARSE, "byte 7");
    ck_fails(llmd_json_doc_parse(d, "{\"a\":tru}", 9), LLMD_ERR_PARSE, "byte 5");
    ck_fails(llmd_json_doc_parse(d, "[1,2]", 5), LLMD_ERR_SCHEMA, "object");
    ck_fails(llmd_json_doc_parse(d, "", 0), LLMD_ERR_PARSE, "empty");
    ck_fails(llmd_json_doc_parse(d, "{\"a\":\"\xff\"}", 8), LLMD_ERR_UTF8, "byte 6");
    ck_fails(llmd_json_doc_parse(d, "{\"a\":\"x\ny\"}", 10), LLMD_ERR_PARSE, "control character");
    ck_fails(llmd_json_doc_parse(d, "{\"a\":01}", 8), LLMD_ERR_PARSE, "byte 6");
    ck_fails(llmd_json_doc_parse(d, "{\"a\":1} x", 9), LLMD_ERR_PARSE, "byte 8");
    char deep[2000];
    memset(deep, '[', sizeof deep);
    memcpy(deep, "{\"a\":", 5);
    ck_fails(llmd_json_doc_parse(d, deep, sizeof deep), LLMD_ERR_PARSE, "nesting");
    ck_ok(llmd_json_doc_parse(d, "{}", 2));
    const char *out;
    size_t n;
    ck_ok(llmd_json_doc_render(d, &out, &n));
    ck_assert_str_eq(out, "{}");
    llmd_json_doc_free(d);
}
END_TEST

START_TEST(output_appears_only_when_committed) {
    char dir[] = "/tmp/llmd_output_XXXXXX", path[64], probe[80];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out.jsonl", dir);
    FILE *f = fopen(path, "w");
    fputs("earlier\n", f);
    fclose(f);
    llmd_output *o;
    ck_ok(llmd_output_open(&o, path, NULL));
    ck_ok(llmd_output_write(o, "new\n", 4));
    llmd_output_free(o);  /* not committed: the earlier file stays, no temp is left */
    char buf[32] = {0};
    f = fopen(path, "r");
    ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 8);
    fclose(f);
    ck_assert_str_eq(buf, "earlier\n");
    snprintf(probe, sizeof probe, "ls -A %s | wc -l | grep -qx 1", dir);
    ck_assert_int_eq(system(probe), 0);
    ck_ok(llmd_output_open(&o, path, NULL));
    ck_ok(llmd_output_write(o, "new\n", 4));
    ck_assert_uint_eq(llmd_output_bytes(o), 4);
    ck_ok(llmd_output_commit(o));
    ck_fails(llmd_output_write(o, "x", 1), LLMD_ERR_STATE, "committed");
    llmd_output_free(o);
    memset(buf, 0, sizeof buf);
    f = fopen(path, "r");
    ck_assert_uint_eq(fread(buf, 1, sizeof buf, f), 4);
    fclose(f);
    ck_assert_str_eq(buf, "new\n");
    llmd_output_options oo = LLMD_OUTPUT_OPTIONS_INIT;
    oo.exclusive = 1;
    ck_ok(llmd_output_open(&o, path, &oo));
    ck_fails(llmd_output_commit(o), LLMD_ERR_CONFLICT, "already exists");
    llmd_output_free(o);
    ck_fails(llmd_output_open(&o, "", NULL), LLMD_ERR_INVALID_ARG, "empty");
    ck_assert_int_eq(system(probe), 0);
    unlink(path);
    rmdir(dir);
}
END_TEST

/* ---- limits at their boundary (issue 19) ---- */
START_TEST(reader_max_line_boundary) {
    llmd_reader_options o = LLMD_READER_OPTIONS_INIT;
    o.max_line_bytes = 8;
    /* exactly 8 bytes (also with CRLF: the CR is not part of the line), then 9 */
    char *path = write_temp("12345678\n12345678\r\n123456789\n", 29);
    llmd_reader *r;
    ck_ok(llmd_reader_open(&r, path, &o));
    expect_line(r, "12345678");
    expect_line(r, "12345678");
    const char *line;
    size_t len;
    ck_fails(llmd_reader_next_line(r, &line, &len), LLMD_ERR_RANGE, "line 3");
    llmd_reader_free(r);
    unlink(path);
    /* the same without a final newline: the last line is checked too */
    path = write_temp("12345678\n123456789", 18);
    ck_ok(llmd_reader_open(&r, path, &o));
    expect_line(r, "12345678");
    ck_fails(llmd_reader_next_line(r, &line, &len), LLMD_ERR_RANGE, "line 2");
    llmd_reader_free(r);
    unlink(path);
}
END_TEST

/* RFC 8259: every control character below U+0020 must be escaped in a string; U+007F need not. */
START_TEST(json_control_characters) {
    llmd_json_doc *d;
    ck_ok(llmd_json_doc_new(&d));
    for (int c = 0; c < 0x20; c++) {
        char in[32];
        int n = snprintf(in, sizeof in, "{\"text\":\"a%cb\"}", c ? c : '?');
        if (c == 0) in[10] = '\0';   /* a raw NUL byte inside the string */
        ck_assert_msg(llmd_json_doc_parse(d, in, (size_t)n) == LLMD_ERR_PARSE, "control 0x%02x accepted", c);
    }
    const char ok[] = "{\"text\":\"a\x7f" "b \\u001f\"}";
    ck_ok(llmd_json_doc_parse(d, ok, sizeof ok - 1));
    const char *v;
    size_t len;
    ck_ok(llmd_json_doc_get_string(d, "text", &v, &len));
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(v, "a\x7f" "b \x1f", 5), 0);
    /* surrogate pairs combine; a lone one becomes U+FFFD */
    const char sp[] = "{\"text\":\"\\ud834\\udd1e|\\udd1e|\\ud834x\"}";
    ck_ok(llmd_json_doc_parse(d, sp, sizeof sp - 1));
    ck_ok(llmd_json_doc_get_string(d, "text", &v, &len));
    ck_assert_str_eq(v, "\xF0\x9D\x84\x9E|\xEF\xBF\xBD|\xEF\xBF\xBDx");
    llmd_json_doc_free(d);
}
END_TEST


/* The field a caller asked for is decoded while the next line is parsed (one pass): a document
 * that learned the key must accept, reject and decode exactly as a fresh one, with the same error
 * at the same byte, whatever the escapes and wherever they fall relative to 16-byte blocks. */
static void parse_both(llmd_json_doc *fresh, llmd_json_doc *hinted, const char *in, size_t n, const char *want,
                       size_t want_len) {
    llmd_status a = llmd_json_doc_parse(fresh, in, n);
    char err_a[512];
    snprintf(err_a, sizeof err_a, "%s", a == LLMD_OK ? "" : llmd_last_error());
    llmd_status b = llmd_json_doc_parse(hinted, in, n);
    ck_assert_msg(a == b, "status %d vs %d for %.*s", (int)a, (int)b, (int)n, in);
    if (b != LLMD_OK) {
        ck_assert_str_eq(llmd_last_error(), err_a);
        ck_assert_ptr_null(want);
        /* the hint survives a failed line */
        ck_ok(llmd_json_doc_parse(hinted, "{\"text\":\"k\"}", 12));
        const char *v;
        ck_ok(llmd_json_doc_get_string(hinted, "text", &v, NULL));
        return;
    }
    const char *v;
    size_t len;
    ck_ok(llmd_json_doc_get_string(hinted, "text", &v, &len));
    ck_assert_ptr_nonnull(want);
    ck_assert_uint_eq(len, want_len);
    ck_assert_int_eq(memcmp(v, want, len), 0);
    ck_assert_int_eq(v[len], '\0');
    /* and the fresh document, asked afterwards, agrees */
    const char *w;
    size_t wl;
    ck_ok(llmd_json_doc_get_string(fresh, "text", &w, &wl));
    ck_assert_uint_eq(wl, len);
    ck_assert_int_eq(memcmp(v, w, len), 0);
    llmd_json_doc_free(fresh);
}

START_TEST(json_field_decoded_while_parsing) {
    llmd_json_doc *hinted, *fresh;
    ck_ok(llmd_json_doc_new(&hinted));
    ck_ok(llmd_json_doc_parse(hinted, "{\"text\":\"learn\"}", 16));
    const char *v;
    size_t len;
    ck_ok(llmd_json_doc_get_string(hinted, "text", &v, &len));
    ck_assert_str_eq(v, "learn");
    static const struct {
        const char *in, *want;   /* want NULL: the line is rejected */
        size_t want_len;
    } cases[] = {
        {"{\"id\":1,\"text\":\"plain\"}", "plain", 5},
        {"{\"text\":\"\\ud834\\udd1e|\\udd1e|\\ud834x|\\ud834\\u0041\"}", "\xF0\x9D\x84\x9E|\xEF\xBF\xBD|\xEF\xBF\xBDx|\xEF\xBF\xBD" "A", 18},
        {"{\"text\":\"a\\u0000b\\/\\b\\f\\r\\t\"}", "a\0b/\b\f\r\t", 8},
        {"{\"text\":\"first\",\"x\":[1,{\"text\":\"inner\"}],\"text\":\"last\"}", "last", 4},
        {"{\"te\\u0078t\" : \"escaped key\" }", "escaped key", 11},
        {"{\"text\":\"caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 0123456789abcdef0123456789\"}",
         "caf\xc3\xa9 \xe4\xb8\xad \xf0\x9f\x98\x80 0123456789abcdef0123456789", 41},
        {"{\"text\":\"ab\\u12\"}", NULL, 0},
        {"{\"text\":\"ab\\u12", NULL, 0},
        {"{\"text\":\"ab\\q\"}", NULL, 0},
        {"{\"text\":\"ab\\", NULL, 0},
        {"{\"text\":\"0123456789abcdef0123\xc3(\"}", NULL, 0},
        {"{\"text\":\"0123456789abcdef012\xed\xa0\x80\"}", NULL, 0},
        {"{\"text\":\"0123456789abcdef0123\x01\"}", NULL, 0},
        {"{\"text\":\"0123456789abcdef0123456789", NULL, 0},
        {"{\"text\":\"ok\" , }", NULL, 0},
        {"{\"text\":\"ok\"} trailing", NULL, 0},
    };
    for (size_t k = 0; k < sizeof cases / sizeof *cases; k++) {
        ck_ok(llmd_json_doc_new(&fresh));
        parse_both(fresh, hinted, cases[k].in, strlen(cases[k].in), cases[k].want, cases[k].want_len);
        if (cases[k].want == NULL) llmd_json_doc_free(fresh);
    }
    /* Every escape at every offset 0..40 (across the 16-byte blocks), and a bad one there. */
    static const struct {
        const char *esc, *dec;
    } escs[] = {{"\\n", "\n"}, {"\\\"", "\""}, {"\\\\", "\\"}, {"\\u00e9", "\xc3\xa9"}, {"\\ud83d\\ude00", "\xf0\x9f\x98\x80"},
                {"\xc3\xa9", "\xc3\xa9"}, {"\\x", NULL}, {"\x1f", NULL}, {"\xff", NULL}};
    for (size_t e = 0; e < sizeof escs / sizeof *escs; e++) {
        for (size_t at = 0; at <= 40; at++) {
            char in[160], want[96];
            size_t wl = 0, n = 0;
            n += (size_t)snprintf(in + n, sizeof in - n, "{\"text\":\"");
            for (size_t i = 0; i < at; i++) in[n++] = want[wl++] = (char)('a' + i % 26);
            n += (size_t)snprintf(in + n, sizeof in - n, "%s", escs[e].esc);
            if (escs[e].dec) {
                memcpy(want + wl, escs[e].dec, strlen(escs[e].dec));
                wl += strlen(escs[e].dec);
            }
            for (size_t i = 0; i < 20; i++) in[n++] = want[wl++] = 'z';
            n += (size_t)snprintf(in + n, sizeof in - n, "\"}");
            ck_ok(llmd_json_doc_new(&fresh));
            parse_both(fresh, hinted, in, n, escs[e].dec ? want : NULL, wl);
            if (escs[e].dec == NULL) llmd_json_doc_free(fresh);
        }
    }
    /* A document whose field is not a string: get_string says so, the next line decodes again. */
    ck_ok(llmd_json_doc_parse(hinted, "{\"text\":[\"a\"]}", 14));
    ck_fails(llmd_json_doc_get_string(hinted, "text", &v, &len), LLMD_ERR_SCHEMA, "not a string");
    ck_ok(llmd_json_doc_parse(hinted, "{\"text\":\"back\\n\"}", 17));
    ck_ok(llmd_json_doc_get_string(hinted, "text", &v, &len));
    ck_assert_str_eq(v, "back\n");
    llmd_json_doc_free(hinted);
}
END_TEST

/* Random strings 0..700 bytes long, built from pieces that the 64-byte decoder and the 32-byte
 * escaper treat differently (plain runs, one-character escapes, backslash pairs, "\u" escapes,
 * multi-byte characters, and now and then a bad escape, a raw control byte, invalid UTF-8 or a
 * missing closing quote) at every offset relative to the blocks.  Decoding: a document that
 * decodes the field while parsing agrees with a fresh one (byte-wise scan, then decode) on
 * status, error text and bytes, and valid strings decode to what cJSON decodes.  Escaping:
 * set_string + render write what cJSON prints for valid UTF-8 and what the byte-wise writer
 * (llmd_buf_put_json_string: U+FFFD per bad byte) writes for the rest. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static unsigned rnd(unsigned n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

START_TEST(json_strings_random_blocks) {
    static const char *const raw_pieces[] = {"\\n", "\\t", "\\\"", "\\\\", "\\/", "\\b", "\\f", "\\r", "\\\\\\\\",
                                             "\\\\\\n", "\\u00e9", "\\u0041", "\\ud83d\\ude00", "\xc3\xa9", "\xe2\x82\xac",
                                             "\xf0\x9f\x98\x80", " ", "\x7f"};
    static const char *const bad_pieces[] = {"\\x", "\x01", "\xff", "\xc3(", "\xed\xa0\x80", "\\u12G4", "\\\x0a"};
    llmd_json_doc *hinted, *fresh;
    ck_ok(llmd_json_doc_new(&hinted));
    ck_ok(llmd_json_doc_parse(hinted, "{\"text\":\"learn\"}", 16));
    const char *v;
    size_t vl;
    ck_ok(llmd_json_doc_get_string(hinted, "text", &v, &vl));
    static char in[2048], body[1600];
    for (int iter = 0; iter < 3000; iter++) {
        size_t bl = 0, target = rnd(700);
        bool bad = rnd(4) == 0;
        size_t bad_at = bad ? rnd((unsigned)target + 1) : SIZE_MAX;
        while (bl < target) {
            if (bl >= bad_at) {
                const char *b = bad_pieces[rnd(sizeof bad_pieces / sizeof *bad_pieces)];
                memcpy(body + bl, b, strlen(b));
                bl += strlen(b);
                bad_at = SIZE_MAX;
            } else if (rnd(3) == 0) {
                const char *pc = raw_pieces[rnd(sizeof raw_pieces / sizeof *raw_pieces)];
                memcpy(body + bl, pc, strlen(pc));
                bl += strlen(pc);
            } else {
                for (unsigned k = rnd(70); k-- > 0 && bl < target;) body[bl++] = (char)('a' + rnd(26));
            }
        }
        bool unterminated = bad && rnd(8) == 0;
        size_t n = (size_t)snprintf(in, sizeof in, "{\"id\":%d,\"text\":\"", iter);
        memcpy(in + n, body, bl);
        n += bl;
        if (!unterminated) n += (size_t)snprintf(in + n, sizeof in - n, "\",\"z\":1}");
        /* Independent decode (cJSON), for the strings it accepts. */
        char *want = NULL;
        size_t want_len = 0;
        cJSON *j = cJSON_ParseWithLength(in, n);
        cJSON *t = j ? cJSON_GetObjectItemCaseSensitive(j, "text") : NULL;
        ck_ok(llmd_json_doc_new(&fresh));
        llmd_status fs = llmd_json_doc_parse(fresh, in, n);
        if (fs == LLMD_OK) {
            ck_assert_msg(cJSON_IsString(t), "cJSON rejects what we accept: %.*s", (int)n, in);
            want = t->valuestring;
            want_len = strlen(want);
            const char *fv;
            size_t fl;
            ck_ok(llmd_json_doc_get_string(fresh, "text", &fv, &fl));
            /* cJSON strings end at an embedded NUL ("\u0000" is not among the pieces). */
            ck_assert_uint_eq(fl, want_len);
        }
        parse_both(fresh, hinted, in, n, want, want_len);
        if (want == NULL) llmd_json_doc_free(fresh);
        cJSON_Delete(j);
        /* Escaping: the raw body bytes as a text (backslashes and all). */
        llmd_json_doc *d;
        ck_ok(llmd_json_doc_new(&d));
        ck_ok(llmd_json_doc_parse(d, "{}", 2));
        ck_ok(llmd_json_doc_set_string(d, "t", body, bl));
        const char *out;
        size_t on;
        ck_ok(llmd_json_doc_render(d, &out, &on));
        llmd_buf ref = LLMD_BUF_INIT;
        ck_ok(llmd_buf_append(&ref, "{\"t\":", 5));
        ck_ok(llmd_buf_put_json_string(&ref, body, bl));
        ck_ok(llmd_buf_append(&ref, "}", 1));
        ck_assert_uint_eq(on, ref.len);
        ck_assert_int_eq(memcmp(out, ref.data, on), 0);
        if (llmd_utf8_validate((const unsigned char *)body, bl) == bl && memchr(body, 0, bl) == NULL) {
            char *z = malloc(bl + 1);
            memcpy(z, body, bl);
            z[bl] = '\0';
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "t", z);
            char *printed = cJSON_PrintUnformatted(o);
            ck_assert_str_eq(out, printed);
            cJSON_free(printed);
            cJSON_Delete(o);
            free(z);
        }
        llmd_buf_free(&ref);
        llmd_json_doc_free(d);
    }
    llmd_json_doc_free(hinted);
}
END_TEST

/* The 64-byte UTF-8 validator (io/utf8_wide.h, used by JSON strings and cleaning) accepts exactly
 * what the byte-wise RFC 3629 decoder accepts: every boundary sequence (overlongs, surrogates,
 * > U+10FFFF, stray and missing continuations, truncation at the end) at every offset 0..140 of
 * ASCII or multi-byte surroundings, and random byte soup of mostly valid text. */
START_TEST(utf8_wide_agrees_with_bytewise) {
#if defined(LLMD_UTF8_WIDE)
    if (!llmd_utf8_wide_cpu()) return;
    static const char *const seqs[] = {
        "\xc2\x80", "\xdf\xbf", "\xe0\xa0\x80", "\xef\xbf\xbf", "\xed\x9f\xbf", "\xee\x80\x80", "\xf0\x90\x80\x80",
        "\xf4\x8f\xbf\xbf", "\xc0\xaf", "\xc1\xbf", "\xe0\x9f\xbf", "\xed\xa0\x80", "\xed\xbf\xbf", "\xf0\x8f\xbf\xbf",
        "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\x80", "\xbf", "\xc2", "\xe1\x80", "\xf1\x80\x80", "\xc2\x41",
        "\xe1\x41\x80", "\xf1\x80\x41\x80", "\xc2\x80\x80", "\xe1\x80\x80\x80", "\xf1\x80\x80\x80\x80", "\xc3\xa9\xc3"};
    static unsigned char buf[512];
    for (size_t q = 0; q < sizeof seqs / sizeof *seqs; q++) {
        size_t ql = strlen(seqs[q]);
        for (int fill = 0; fill < 2; fill++) {
            for (size_t at = 0; at <= 140; at++) {
                for (size_t tail = 0; tail <= 70; tail += 35) {
                    size_t n = 0;
                    for (size_t i = 0; i < at; i++)
                        if (fill && i + 2 <= at && i % 5 == 0) buf[n++] = 0xc3, buf[n++] = 0xa9, i++;
                        else buf[n++] = (unsigned char)('a' + i % 26);
                    memcpy(buf + n, seqs[q], ql);
                    n += ql;
                    for (size_t i = 0; i < tail; i++) buf[n++] = 'z';
                    bool want = llmd_utf8_validate(buf, n) == n;
                    ck_assert_msg(llmd_utf8_valid_wide(buf, n) == want, "seq %zu at %zu fill %d tail %zu", q, at, fill, tail);
                }
            }
        }
    }
    for (int iter = 0; iter < 20000; iter++) {
        size_t n = rnd(300);
        for (size_t i = 0; i < n;) {
            unsigned r = rnd(100);
            if (r < 60) buf[i++] = (unsigned char)(' ' + rnd(95));
            else if (r < 99) {
                uint32_t cp = rnd(4) == 0 ? 0x10000 + rnd(0x100000) : 0x80 + rnd(0xFF80);
                if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
                unsigned char e[4];
                size_t el = llmd_utf8_encode(cp, e);
                for (size_t k = 0; k < el && i < n; k++) buf[i++] = e[k];
            } else buf[i++] = (unsigned char)rnd(256);
        }
        bool want = llmd_utf8_validate(buf, n) == n;
        ck_assert_msg(llmd_utf8_valid_wide(buf, n) == want, "random %d", iter);
    }
#endif
}
END_TEST

int main(void) {
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, reader_plain_lines);
    tcase_add_test(tc, output_appears_only_when_committed);
    tcase_add_test(tc, reader_zstd_multiframe);
    tcase_add_test(tc, reader_gzip_members_truncation_and_bombs);
    tcase_add_test(tc, reader_errors);
    tcase_add_test(tc, json_get_and_render_preserve_bytes);
    tcase_add_test(tc, json_get_string_sees_every_change);
    tcase_add_test(tc, json_string_round_trip_every_position);
    tcase_add_test(tc, json_errors_name_offsets);
    tcase_add_test(tc, reader_max_line_boundary);
    tcase_add_test(tc, json_control_characters);
    tcase_add_test(tc, json_field_decoded_while_parsing);
    tcase_add_test(tc, json_strings_random_blocks);
    tcase_add_test(tc, utf8_wide_agrees_with_bytewise);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
