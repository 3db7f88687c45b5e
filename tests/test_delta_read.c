/*
 * The Delta read side (lib/delta log.c, table.c, schema.c, values.c, scan.c) on small logs written
 * by hand: every action kind and field on replay, protocol checks, schemas of every type, time
 * travel, checkpoints, partition values, deletion vectors, scans and predicates.  Expected values
 * come from PROTOCOL.md (delta-io/delta), Spark's documented formats or hand computation; no test
 * depends on ../shared.
 */

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"
#include "delta/values.h"
#include "testutil.h"

/* snprintf that fails the test on truncation (and keeps gcc's truncation analysis, which differs by
 * optimisation level, out of the test's paths). */
static void fmt(char *buf, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
static void fmt(char *buf, size_t n, const char *f, ...) {
    va_list ap;
    va_start(ap, f);
    int w = vsnprintf(buf, n, f, ap);
    va_end(ap);
    ck_assert_msg(w >= 0 && (size_t)w < n, "test buffer too small for '%s'", f);
}

/* ---- helpers ------------------------------------------------------------------------------------- */
static char g_tmp[512];

/* In /dev/shm when there is one: the scans publish with fsync, cheap on tmpfs (the allocation
 * failure test publishes thousands of outputs). */
static void make_tmp(void) {
    struct stat sb;
    bool shm = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0;
    fmt(g_tmp, sizeof g_tmp, "%s/llmd_delta_read.XXXXXX", shm ? "/dev/shm" : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(g_tmp));
}

static void rm_rf(const char *path) {
    char cmd[1200];
    fmt(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void mkdir_p(const char *path) {
    char cmd[1200];
    fmt(cmd, sizeof cmd, "mkdir -p '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_bytes(const char *path, const void *data, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    ck_assert_uint_eq(fwrite(data, 1, n, f), n);
    fclose(f);
}

static void write_text(const char *path, const char *text) { write_bytes(path, text, strlen(text)); }

static char *slurp(const char *path) {
    char *d = NULL;
    size_t n = 0;
    ck_ok(llmd_read_file(path, &d, &n));
    return d;
}

/* A commit file `version` of the table at dir (the log directory is created). */
static void write_commit(const char *dir, int64_t version, const char *text) {
    char p[1200];
    fmt(p, sizeof p, "%s/_delta_log", dir);
    mkdir_p(p);
    fmt(p, sizeof p, "%s/_delta_log/%020lld.json", dir, (long long)version);
    write_text(p, text);
}

static void set_mtime(const char *path, int64_t ms) {
    struct timespec ts[2];
    ts[0].tv_sec = ts[1].tv_sec = ms / 1000;
    ts[0].tv_nsec = ts[1].tv_nsec = (ms % 1000) * 1000000;
    ck_assert_int_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void set_commit_mtime(const char *dir, int64_t version, int64_t ms) {
    char p[1200];
    fmt(p, sizeof p, "%s/_delta_log/%020lld.json", dir, (long long)version);
    set_mtime(p, ms);
}

static llmd_delta_table *open_table(const char *dir) {
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    return t;
}

/* In-memory logs for the pure replay. */
typedef struct mem_file { const char *name, *data; } mem_file;
typedef struct mem_log { const mem_file *files; size_t n; } mem_log;

static llmd_status mem_read(void *ctx, const char *name, char **data, size_t *len) {
    const mem_log *m = ctx;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->files[i].name, name) == 0) {
            *len = strlen(m->files[i].data);
            *data = llmd_malloc(*len + 1);
            memcpy(*data, m->files[i].data, *len + 1);
            return LLMD_OK;
        }
    return llmd_fail(LLMD_ERR_NOT_FOUND, "%s: no such file", name);
}

static llmd_status replay_mem(const mem_file *files, size_t n, int64_t version, dl_state *s) {
    dl_listing l = {0};
    for (size_t i = 0; i < n; i++) ck_ok(dl_listing_add(&l, files[i].name, (int64_t)strlen(files[i].data), 1000 + (int64_t)i));
    dl_listing_sort(&l);
    mem_log m = {files, n};
    llmd_status st = dl_replay(&l, version, mem_read, &m, s);
    dl_listing_free(&l);
    return st;
}

#define C0 "00000000000000000000.json"
#define C1 "00000000000000000001.json"
#define C2 "00000000000000000002.json"
#define P0 "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
#define SCHEMA_A "{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"a\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}"
#define M0 "{\"metaData\":{\"id\":\"x\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":\"" SCHEMA_A \
           "\",\"partitionColumns\":[],\"configuration\":{}}}\n"
#define ADD(p) "{\"add\":{\"path\":\"" p "\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n"
#define REM(p) "{\"remove\":{\"path\":\"" p "\",\"deletionTimestamp\":5,\"dataChange\":true}}\n"

/* Replays one commit 0 holding `text` and expects failure `st` with `needle` in the message. */
static void replay_fails(const char *text, llmd_status st, const char *needle) {
    const mem_file f[] = {{C0, text}};
    dl_state s;
    ck_fails(replay_mem(f, 1, -1, &s), st, needle);
}

/* ---- schema.c ------------------------------------------------------------------------------------ */
static llmd_status parse_schema(const char *json) {
    cJSON *o = NULL;
    llmd_status st = dl_schema_parse(json, &o);
    ck_assert(st == LLMD_OK ? o != NULL : o == NULL);
    cJSON_Delete(o);
    return st;
}

#define FIELD(n, t) "{\"name\":\"" n "\",\"type\":" t ",\"nullable\":true,\"metadata\":{}}"
#define STRUCT(x) "{\"type\":\"struct\",\"fields\":[" x "]}"

START_TEST(test_schema_types) {
    /* every primitive of PROTOCOL.md "Primitive Types", decimals at their bounds, nested types */
    ck_ok(parse_schema(STRUCT(FIELD("s", "\"string\"") "," FIELD("l", "\"long\"") "," FIELD("i", "\"integer\"") ","
                              FIELD("sh", "\"short\"") "," FIELD("by", "\"byte\"") "," FIELD("f", "\"float\"") ","
                              FIELD("d", "\"double\"") "," FIELD("b", "\"boolean\"") "," FIELD("bin", "\"binary\"") ","
                              FIELD("dt", "\"date\"") "," FIELD("ts", "\"timestamp\"") "," FIELD("tn", "\"timestamp_ntz\"") ","
                              FIELD("v", "\"void\"") "," FIELD("var", "\"variant\"") "," FIELD("d1", "\"decimal(1,0)\"") ","
                              FIELD("d2", "\"decimal(38, 38)\"") ","
                              FIELD("st", STRUCT(FIELD("x", "\"integer\""))) ","
                              FIELD("ar", "{\"type\":\"array\",\"elementType\":\"long\",\"containsNull\":true}") ","
                              FIELD("mp", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":{\"type\":\"array\","
                                          "\"elementType\":\"string\",\"containsNull\":true},\"valueContainsNull\":true}"))));
    /* nullable and metadata are optional */
    ck_ok(parse_schema("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"}]}"));
    ck_ok(parse_schema(STRUCT()));

    ck_fails(parse_schema("{\"type\":"), LLMD_ERR_SCHEMA, "not valid JSON");
    ck_fails(parse_schema("{\"type\":\"array\",\"elementType\":\"long\"}"), LLMD_ERR_SCHEMA, "not a struct type");
    ck_fails(parse_schema("[1]"), LLMD_ERR_SCHEMA, "not a struct type");
    ck_fails(parse_schema("{\"type\":\"struct\"}"), LLMD_ERR_SCHEMA, "struct without a fields array");
    ck_fails(parse_schema(STRUCT("{\"type\":\"long\"}")), LLMD_ERR_SCHEMA, "a field without a name");
    ck_fails(parse_schema(STRUCT("{\"name\":\"a\",\"type\":\"long\",\"nullable\":\"yes\"}")), LLMD_ERR_SCHEMA,
             "field 'a': nullable is not a boolean");
    ck_fails(parse_schema(STRUCT("{\"name\":\"a\",\"type\":\"long\",\"metadata\":[]}")), LLMD_ERR_SCHEMA,
             "field 'a': metadata is not an object");
    /* Spark names are case-insensitive */
    ck_fails(parse_schema(STRUCT(FIELD("Ab", "\"long\"") "," FIELD("aB", "\"long\""))), LLMD_ERR_SCHEMA,
             "duplicate column 'aB'");
    ck_fails(parse_schema(STRUCT(FIELD("a", "\"int\""))), LLMD_ERR_SCHEMA, "column 'a': unknown type 'int'");
    static const char *const bad_dec[] = {"decimal(0,0)", "decimal(39,0)", "decimal(5,6)", "decimal(5,-1)",
                                          "decimal(0, 0)", "decimal(39, 0)", "decimal(5, 6)", "decimal(5, -1)",
                                          "decimal(5,2)x", "decimal(5, 2)x", "decimal"};
    for (size_t i = 0; i < sizeof bad_dec / sizeof *bad_dec; i++) {
        char js[256], needle[64];
        fmt(js, sizeof js, STRUCT("{\"name\":\"d\",\"type\":\"%s\"}"), bad_dec[i]);
        fmt(needle, sizeof needle, "unknown type '%s'", bad_dec[i]);
        ck_fails(parse_schema(js), LLMD_ERR_SCHEMA, needle);
    }
    ck_fails(parse_schema(STRUCT("{\"name\":\"a\"}")), LLMD_ERR_SCHEMA, "column 'a': missing or invalid type");
    ck_fails(parse_schema(STRUCT(FIELD("a", "5"))), LLMD_ERR_SCHEMA, "column 'a': missing or invalid type");
    ck_fails(parse_schema(STRUCT(FIELD("a", "{\"type\":\"union\"}"))), LLMD_ERR_SCHEMA, "column 'a': unknown type 'union'");
    /* errors inside nested types name the path */
    ck_fails(parse_schema(STRUCT(FIELD("s", STRUCT(FIELD("x", "\"nope\""))))), LLMD_ERR_SCHEMA, "column 's.x'");
    ck_fails(parse_schema(STRUCT(FIELD("a", "{\"type\":\"array\",\"elementType\":\"nope\"}"))), LLMD_ERR_SCHEMA,
             "column 'a': unknown type 'nope'");
    ck_fails(parse_schema(STRUCT(FIELD("m", "{\"type\":\"map\",\"keyType\":\"k?\",\"valueType\":\"long\"}"))),
             LLMD_ERR_SCHEMA, "unknown type 'k?'");
    ck_fails(parse_schema(STRUCT(FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"v?\"}"))),
             LLMD_ERR_SCHEMA, "unknown type 'v?'");
    /* 70 nested arrays: refused by depth, not by the stack */
    char js[4096] = "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":";
    for (int i = 0; i < 70; i++) strcat(js, "{\"type\":\"array\",\"elementType\":");
    strcat(js, "\"long\"");
    for (int i = 0; i < 70; i++) strcat(js, "}");
    strcat(js, "}]}");
    ck_fails(parse_schema(js), LLMD_ERR_SCHEMA, "nested deeper than 64");
}
END_TEST

static cJSON *J(const char *text) {
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "bad test JSON: %s", text);
    return j;
}

static llmd_status partitions_check(const char *schema, const char *parts) {
    cJSON *s = J(schema), *p = J(parts);
    llmd_status st = dl_schema_check_partitions(s, p);
    cJSON_Delete(s);
    cJSON_Delete(p);
    return st;
}

static llmd_status evolve(const char *a, const char *b, bool merge) {
    cJSON *x = J(a), *y = J(b);
    llmd_status st = dl_schema_check_evolution(x, y, merge);
    cJSON_Delete(x);
    cJSON_Delete(y);
    return st;
}

START_TEST(test_schema_partitions_evolution) {
    const char *s = STRUCT(FIELD("a", "\"long\"") "," FIELD("p", "\"string\"") "," FIELD("st", STRUCT(FIELD("x", "\"long\""))) ","
                           FIELD("v", "\"void\"") "," FIELD("var", "\"variant\""));
    ck_ok(partitions_check(s, "[\"p\"]"));
    ck_ok(partitions_check(s, "[]"));
    ck_fails(partitions_check(s, "[1]"), LLMD_ERR_SCHEMA, "partition column is not a string");
    ck_fails(partitions_check(s, "[\"q\"]"), LLMD_ERR_SCHEMA, "partition column 'q' is not in the schema");
    ck_fails(partitions_check(s, "[\"st\"]"), LLMD_ERR_SCHEMA, "'st' must have a primitive type");
    ck_fails(partitions_check(s, "[\"v\"]"), LLMD_ERR_SCHEMA, "'v' must have a primitive type");
    ck_fails(partitions_check(s, "[\"var\"]"), LLMD_ERR_SCHEMA, "'var' must have a primitive type");
    ck_fails(partitions_check(s, "[\"p\",\"a\",\"p\"]"), LLMD_ERR_SCHEMA, "'p' is listed twice");
    ck_fails(partitions_check(STRUCT(FIELD("a", "\"long\"") "," FIELD("p", "\"string\"")), "[\"a\",\"p\"]"), LLMD_ERR_SCHEMA,
             "every column is a partition column");

    const char *base = STRUCT(FIELD("a", "\"long\"") ","
                              "{\"name\":\"s\",\"type\":" STRUCT(FIELD("x", "\"long\"")) ",\"nullable\":false}" ","
                              FIELD("ar", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                              FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}"));
    /* without merge any valid schema goes */
    ck_ok(evolve(base, STRUCT(FIELD("z", "\"string\"")), false));
    ck_ok(evolve(base, base, true));
    /* relaxing nullability and adding nullable columns (top level and nested) are allowed */
    ck_ok(evolve(base, STRUCT(FIELD("a", "\"long\"") "," FIELD("s", STRUCT(FIELD("x", "\"long\"") "," FIELD("y", "\"long\""))) ","
                              FIELD("ar", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                              FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}") ","
                              FIELD("new", "\"string\"")),
                 true));
    ck_fails(evolve(base, STRUCT(FIELD("s", STRUCT(FIELD("x", "\"long\"")))), true), LLMD_ERR_SCHEMA,
             "column 'a' is missing from the new schema");
    ck_fails(evolve(base, STRUCT("{\"name\":\"a\",\"type\":\"long\",\"nullable\":false}"), true), LLMD_ERR_SCHEMA,
             "column 'a' cannot become non-nullable");
    ck_fails(evolve(base, STRUCT(FIELD("a", "\"string\"")), true), LLMD_ERR_SCHEMA,
             "column 'a': type \"long\" cannot change to \"string\"");
    ck_fails(evolve(base, STRUCT(FIELD("a", STRUCT(FIELD("x", "\"long\"")))), true), LLMD_ERR_SCHEMA,
             "column 'a': type \"long\" cannot change to {");
    const char *tail = FIELD("ar", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                       FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}");
    char b2[2048];
    fmt(b2, sizeof b2, STRUCT(FIELD("a", "\"long\"") "," FIELD("s", STRUCT(FIELD("x", "\"int\""))) "," "%s"), tail);
    ck_fails(evolve(base, b2, true), LLMD_ERR_SCHEMA, "column 's.x': type \"long\" cannot change to \"int\"");
    fmt(b2, sizeof b2, STRUCT(FIELD("a", "\"long\"") "," FIELD("s", STRUCT(FIELD("x", "\"long\"") ","
             "{\"name\":\"y\",\"type\":\"long\",\"nullable\":false}")) "," "%s"), tail);
    ck_fails(evolve(base, b2, true), LLMD_ERR_SCHEMA, "new column 's.y' must be nullable");
    ck_fails(evolve(base, STRUCT(FIELD("a", "\"long\"") "," FIELD("s", STRUCT(FIELD("x", "\"long\""))) ","
                                 FIELD("ar", "{\"type\":\"map\",\"keyType\":\"long\",\"valueType\":\"long\"}") ","
                                 FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}")),
                    true),
             LLMD_ERR_SCHEMA, "column 'ar': type array cannot change to map");
    ck_fails(evolve(base, STRUCT(FIELD("a", "\"long\"") "," FIELD("s", STRUCT(FIELD("x", "\"long\""))) ","
                                 FIELD("ar", "{\"type\":\"array\",\"elementType\":\"int\"}") ","
                                 FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}")),
                    true),
             LLMD_ERR_SCHEMA, "column 'ar': type \"long\" cannot change to \"int\"");
    ck_fails(evolve(base, STRUCT(FIELD("a", "\"long\"") "," FIELD("s", STRUCT(FIELD("x", "\"long\""))) ","
                                 FIELD("ar", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                                 FIELD("m", "{\"type\":\"map\",\"keyType\":\"long\",\"valueType\":\"long\"}")),
                    true),
             LLMD_ERR_SCHEMA, "column 'm': type \"string\" cannot change to \"long\"");
    ck_fails(evolve(base, STRUCT(FIELD("a", "\"long\"") "," FIELD("s", STRUCT(FIELD("x", "\"long\""))) ","
                                 FIELD("ar", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                                 FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"byte\"}")),
                    true),
             LLMD_ERR_SCHEMA, "column 'm': type \"long\" cannot change to \"byte\"");
    ck_fails(evolve(STRUCT(FIELD("a", "{\"notype\":1}")), STRUCT(FIELD("a", "{\"type\":\"array\"}")), true), LLMD_ERR_SCHEMA,
             "column 'a': type ? cannot change to array");
    ck_fails(evolve(STRUCT(FIELD("a", "{\"type\":\"array\"}")), STRUCT(FIELD("a", "{\"notype\":1}")), true), LLMD_ERR_SCHEMA,
             "column 'a': type array cannot change to ?");
    ck_fails(evolve(STRUCT(FIELD("a", STRUCT(FIELD("x", "\"long\"")))), STRUCT(FIELD("a", "\"long\"")), true), LLMD_ERR_SCHEMA,
             "column 'a': type {");
    ck_fails(evolve(STRUCT(FIELD("a", "\"long\"")), STRUCT("{\"name\":\"a\"}"), true), LLMD_ERR_SCHEMA,
             "column 'a': type \"long\" cannot change to ?");
    ck_fails(evolve(STRUCT("{\"name\":\"a\"}"), STRUCT(FIELD("a", "\"long\"")), true), LLMD_ERR_SCHEMA,
             "column 'a': type ? cannot change to \"long\"");
    /* a nameless field in the new schema is not the old column; structs without fields and types
     * this check does not know compare by kind only */
    ck_fails(evolve(STRUCT(FIELD("a", "\"long\"")), STRUCT("{\"type\":\"long\"}"), true), LLMD_ERR_SCHEMA,
             "column 'a' is missing from the new schema");
    ck_ok(evolve(STRUCT(FIELD("s", "{\"type\":\"struct\"}") "," FIELD("u", "{\"type\":\"udt\"}")),
                 STRUCT(FIELD("s", "{\"type\":\"struct\"}") "," FIELD("u", "{\"type\":\"udt\"}")), true));
    /* partition checks against a schema without fields, and no partition list at all */
    ck_fails(partitions_check("{\"type\":\"struct\"}", "[\"x\"]"), LLMD_ERR_SCHEMA, "partition column 'x' is not in the schema");
    cJSON *sch = J(s);
    ck_ok(dl_schema_check_partitions(sch, NULL));
    cJSON_Delete(sch);
}
END_TEST

/* ---- log.c: helpers, listing, names ------------------------------------------------------------------ */
START_TEST(test_map_growth_and_deletion) {
    /* 3000 keys: the table grows from 64 slots several times; deleting every third key in a
     * scattered order exercises backward-shift deletion across wrapped probe chains */
    dl_map m = {0};
    static int vals[3000];
    char key[32];
    for (int i = 0; i < 3000; i++) {
        vals[i] = i;
        fmt(key, sizeof key, "k%d", i);
        void *old = (void *)1;
        ck_ok(dl_map_put(&m, key, &vals[i], &old));
        ck_assert_ptr_null(old);
    }
    ck_assert_uint_eq(m.len, 3000);
    ck_assert_uint_ge(m.cap, 4096);
    fmt(key, sizeof key, "k%d", 7);
    void *old = NULL;
    ck_ok(dl_map_put(&m, key, &vals[8], &old));   /* replace: the old value comes back */
    ck_assert_ptr_eq(old, &vals[7]);
    ck_ok(dl_map_put(&m, key, &vals[7], NULL));
    for (int i = 0; i < 3000; i += 3) {
        int j = (i * 7919) % 3000;
        j -= j % 3;
        fmt(key, sizeof key, "k%d", j);
        void *v = dl_map_del(&m, key);
        ck_assert(v == NULL || v == &vals[j]);
    }
    size_t present = 0;
    for (int i = 0; i < 3000; i++) {
        fmt(key, sizeof key, "k%d", i);
        void *v = dl_map_get(&m, key);
        if (i % 3 != 0) ck_assert_msg(v == &vals[i], "key %s lost after deletions", key);
        if (v) present++;
    }
    ck_assert_uint_eq(present, m.len);
    ck_assert_ptr_null(dl_map_del(&m, "absent"));
    for (int i = 0; i < 3000; i += 3) {
        fmt(key, sizeof key, "k%d", i);
        dl_map_del(&m, key);
    }
    ck_assert_uint_eq(m.len, 2000);
    dl_map_free(&m, NULL);
    dl_map empty = {0};
    ck_assert_ptr_null(dl_map_get(&empty, "x"));
    ck_assert_ptr_null(dl_map_del(&empty, "x"));
}
END_TEST

static void decodes(const char *raw, const char *want) {
    char *p = dl_path_decode(raw);
    ck_assert_msg(p && strcmp(p, want) == 0, "decode(%s) = %s, want %s", raw, p ? p : "NULL", want);
    llmd_free(p);
}

START_TEST(test_paths_names_listing) {
    /* RFC 8089 file URIs: empty or localhost authority dropped, any other host kept as written */
    decodes("file:///a/b", "/a/b");
    decodes("file://localhost/a/b", "/a/b");
    decodes("file://host/a", "file://host/a");
    decodes("file:/x%20y", "/x y");
    decodes("file:rel", "file:rel");
    /* hex digits of both cases, invalid escapes kept */
    decodes("%41%6a%6A%4F%zz%4", "AjjO%zz%4");
    decodes("a%", "a%");
    decodes("%!1%G1%4z%4", "%!1%G1%4z%4");
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(dl_path_encode(&b, "-_.!~*'();:@&=+$,/aZ9 \x7f\xff"));
    ck_assert_str_eq(b.data, "-_.!~*'();:@&=+$,/aZ9%20%7F%FF");
    llmd_buf_reset(&b);
    /* Hive escapes control characters, DEL and the characters Hive lists (quote, hash, percent, ...) */
    ck_ok(dl_hive_escape(&b, "\x01\x1f\x7f\"#%'*/:=?\\{[]^ az"));
    ck_assert_str_eq(b.data, "%01%1F%7F%22%23%25%27%2A%2F%3A%3D%3F%5C%7B%5B%5D%5E az");
    llmd_buf_free(&b);

    dl_kind k;
    int64_t v;
    uint32_t part, parts;
    static const char *const bad[] = {
        "short.json", "0000000000000000000a.json", "00000000000000000001_json", "00000000000000000001.jsonx",
        "99999999999999999999.json",            /* overflows uint64 */
        "18446744073709551615.json",            /* fits uint64, not int64 */
        "00000000000000000001.checkpoint",       /* no ".parquet"/uuid */
        "00000000000000000001.checkpoint.0000000000.0000000002.parquet",  /* part 0 */
        "00000000000000000001.checkpoint.0000000003.0000000002.parquet",  /* part > parts */
        "00000000000000000001.checkpoint.0000000001.0000000000.parquet",  /* 0 parts */
        "00000000000000000001.checkpoint.0000000001.9999999999.parquet",  /* parts > 2^32-1 */
        "00000000000000000001.checkpoint..json", "00000000000000000001.checkpoint.zz.json",
        "00000000000000000001.checkpoint.abc.txt", "00000000000000000001.checkpoint.abc",
        "00000000000000000001.crc",
        "00000000000000000001.checkpoint.000000000a.0000000002.parquet",
        "00000000000000000001.checkpoint.0000000001x0000000002.parquet",
        "00000000000000000001.checkpoint.0000000001.000000000x.parquet",
        "00000000000000000001.checkpoint.0000000001.0000000002.parquex"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert_msg(!dl_classify(bad[i], &k, &v, &part, &parts), "%s classified", bad[i]);
    ck_assert(dl_classify("09223372036854775807.json", &k, &v, &part, &parts) && k == DL_COMMIT && v == INT64_MAX);
    ck_assert(dl_classify("00000000000000000004.checkpoint.0a1B-2c.parquet", &k, &v, &part, &parts) &&
              k == DL_CKPT_V2_PARQUET && v == 4);
    ck_assert(dl_classify("00000000000000000004.checkpoint.0000000001.0000000001.parquet", &k, &v, &part, &parts) &&
              k == DL_CKPT_PART && part == 1 && parts == 1);

    /* a listing of 300 names (growth past 64), sorted by version, then kind, then name */
    dl_listing l = {0};
    char name[80];
    for (int i = 99; i >= 0; i--) {
        fmt(name, sizeof name, "%020d.json", i);
        ck_ok(dl_listing_add(&l, name, 1, 1));
        fmt(name, sizeof name, "%020d.checkpoint.parquet", i);
        ck_ok(dl_listing_add(&l, name, 1, 1));
        fmt(name, sizeof name, "%020d.checkpoint.%010d.%010d.parquet", i, 1, 1);
        ck_ok(dl_listing_add(&l, name, 1, 1));
        ck_ok(dl_listing_add(&l, "not-a-log-file", 1, 1));   /* ignored */
    }
    ck_ok(dl_listing_add(&l, "00000000000000000005.checkpoint.bbbb.json", 1, 1));
    ck_ok(dl_listing_add(&l, "00000000000000000005.checkpoint.aaaa.json", 1, 1));
    ck_assert_uint_eq(l.n, 302);
    dl_listing_sort(&l);
    ck_assert_str_eq(l.e[0].name, "00000000000000000000.json");
    ck_assert_str_eq(l.e[1].name, "00000000000000000000.checkpoint.parquet");
    ck_assert_str_eq(l.e[2].name, "00000000000000000000.checkpoint.0000000001.0000000001.parquet");
    ck_assert_str_eq(l.e[18].name, "00000000000000000005.checkpoint.aaaa.json");
    ck_assert_str_eq(l.e[19].name, "00000000000000000005.checkpoint.bbbb.json");
    ck_assert_str_eq(l.e[301].name, "00000000000000000099.checkpoint.0000000001.0000000001.parquet");
    dl_listing_free(&l);

    /* field helpers: numbers outside int64 are refused, strings only as strings */
    cJSON *o = J("{\"big\":1e19,\"neg\":-1e19,\"ok\":-42,\"s\":5,\"t\":\"x\"}");
    int64_t x = 7;
    ck_assert(!dl_get_i64(o, "big", &x) && !dl_get_i64(o, "neg", &x) && !dl_get_i64(o, "s2", &x) && !dl_get_i64(o, "t", &x));
    ck_assert(dl_get_i64(o, "ok", &x) && x == -42);
    ck_assert_ptr_null(dl_get_str(o, "s"));
    ck_assert_str_eq(dl_get_str(o, "t"), "x");
    char *pr = dl_print(o);
    ck_assert_str_eq(pr, "{\"big\":1e+19,\"neg\":-1e+19,\"ok\":-42,\"s\":5,\"t\":\"x\"}");
    llmd_free(pr);
    cJSON_Delete(o);
    ck_assert_int_gt(dl_now_ms(), INT64_C(1600000000000));
}
END_TEST

static llmd_status file_key(const char *action, const char *where, char **key, char **path) {
    cJSON *a = J(action);
    llmd_status st = dl_file_key(a, where, key, path);
    cJSON_Delete(a);
    return st;
}

START_TEST(test_file_keys) {
    char *k = NULL, *p = NULL;
    /* PROTOCOL.md: the logical key is (path, deletionVector.uniqueId); uniqueId = storageType +
     * pathOrInlineDv, plus "@" + offset when there is one */
    ck_ok(file_key("{\"path\":\"a%20b\"}", NULL, &k, &p));
    ck_assert_str_eq(k, "a b");
    ck_assert_str_eq(p, "a b");
    llmd_free(k);
    llmd_free(p);
    ck_ok(file_key("{\"path\":\"f\",\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\","
                   "\"offset\":4,\"sizeInBytes\":40,\"cardinality\":6}}", NULL, &k, &p));
    ck_assert_str_eq(k, "f\nuab^-aqEH.-t@S}K{vb[*k^@4");
    llmd_free(k);
    llmd_free(p);
    ck_ok(file_key("{\"path\":\"f\",\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\"}}",
                   NULL, &k, &p));
    ck_assert_str_eq(k, "f\niwi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L");
    llmd_free(k);
    llmd_free(p);
    ck_fails(file_key("{\"size\":1}", "c.json:4", &k, &p), LLMD_ERR_PARSE, "c.json:4: file action without a path");
    ck_assert_ptr_null(k);
    ck_fails(file_key("{\"path\":\"\"}", NULL, &k, &p), LLMD_ERR_PARSE, "file action without a path");
    ck_fails(file_key("{\"path\":\"g\",\"deletionVector\":{\"storageType\":\"u\"}}", "w", &k, &p), LLMD_ERR_PARSE,
             "w: deletionVector of 'g' lacks storageType/pathOrInlineDv");
    ck_fails(file_key("{\"path\":\"g\",\"deletionVector\":{\"pathOrInlineDv\":\"x\"}}", NULL, &k, &p), LLMD_ERR_PARSE,
             "deletionVector of 'g' lacks");
}
END_TEST

/* ---- log.c: replay of every action kind ------------------------------------------------------------------ */
START_TEST(test_replay_every_action) {
    const mem_file log[] = {
        {C0, P0 M0
             "{\"commitInfo\":{\"operation\":\"CREATE\"}}\n"
             "{\"txn\":{\"appId\":\"app\",\"version\":1,\"lastUpdated\":123}}\n"
             "{\"txn\":{\"appId\":\"other\",\"version\":9}}\n"
             "{\"domainMetadata\":{\"domain\":\"d1\",\"configuration\":\"{}\",\"removed\":false}}\n"
             "{\"domainMetadata\":{\"domain\":\"d2\",\"configuration\":\"one\",\"removed\":false}}\n"
             "{\"add\":{\"path\":\"a\",\"partitionValues\":null,\"size\":3,\"modificationTime\":1,\"dataChange\":true}}\n"
             "{\"add\":{\"path\":\"b\",\"partitionValues\":{},\"size\":4,\"modificationTime\":1,\"dataChange\":false,"
             "\"tags\":{\"t\":\"1\"},\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\",\"sizeInBytes\":4,"
             "\"cardinality\":1}}}\n"
             "{\"cdc\":{\"path\":\"_change_data/c.parquet\",\"partitionValues\":{},\"size\":1,\"dataChange\":false}}\n"
             "{\"sidecar\":{\"path\":\"ignored-outside-checkpoints.parquet\",\"sizeInBytes\":1,\"modificationTime\":1}}\n"
             "{\"checkpointMetadata\":{\"version\":0}}\n"
             "   \t\n"},
        {C1, "{\"txn\":{\"appId\":\"app\",\"version\":5}}\n"
             "{\"domainMetadata\":{\"domain\":\"d1\",\"configuration\":\"{}\",\"removed\":true}}\n"
             "{\"domainMetadata\":{\"domain\":\"gone\",\"configuration\":\"{}\",\"removed\":true}}\n"
             "{\"domainMetadata\":{\"domain\":\"d2\",\"configuration\":\"two\",\"removed\":false}}\n"
             REM("a")
             "{\"add\":{\"path\":\"b\",\"partitionValues\":{},\"size\":40,\"modificationTime\":2,\"dataChange\":true,"
             "\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\",\"sizeInBytes\":4,\"cardinality\":1}}}\n"
             ADD("b") ADD("file:/abs/x%20y") "{\"commitInfo\":{\"operation\":\"WRITE\"}}"},
        {C2, ADD("a") REM("nothing-there")},
    };
    dl_state s;
    ck_ok(replay_mem(log, 3, 1, &s));
    ck_assert_int_eq(s.version, 1);
    const dl_txn_entry *t = dl_map_get(&s.txns, "app");
    ck_assert(t && t->version == 5 && t->last_updated == -1);
    t = dl_map_get(&s.txns, "other");
    ck_assert(t && t->version == 9);
    ck_assert_ptr_null(dl_map_get(&s.domains, "d1"));
    ck_assert_ptr_null(dl_map_get(&s.domains, "gone"));
    ck_assert_str_eq(dl_get_str(dl_map_get(&s.domains, "d2"), "configuration"), "two");
    ck_assert_str_eq(dl_get_str(s.commit_info, "operation"), "WRITE");
    /* a (removed), b + its DV variant, plain b, /abs/x y */
    ck_assert_uint_eq(s.files.len, 3);
    dl_file *bdv = dl_map_get(&s.files, "b\niabcde");
    ck_assert(bdv && bdv->version == 1);
    int64_t size = 0;
    ck_assert(dl_get_i64(bdv->action, "size", &size) && size == 40);   /* the newer add wins */
    ck_assert_ptr_nonnull(dl_map_get(&s.files, "b"));
    ck_assert_ptr_nonnull(dl_map_get(&s.files, "/abs/x y"));
    ck_assert_ptr_nonnull(dl_map_get(&s.tombstones, "a"));
    ck_assert(!s.has_sidecar);
    dl_state_free(&s);
    ck_ok(replay_mem(log, 3, 0, &s));
    t = dl_map_get(&s.txns, "app");
    ck_assert(t && t->version == 1 && t->last_updated == 123);
    ck_assert_ptr_nonnull(dl_map_get(&s.domains, "d1"));
    ck_assert_str_eq(dl_get_str(s.commit_info, "operation"), "CREATE");
    dl_state_free(&s);
    /* re-adding a removed file drops its tombstone; a commit without commitInfo leaves none */
    ck_ok(replay_mem(log, 3, -1, &s));
    ck_assert_ptr_nonnull(dl_map_get(&s.files, "a"));
    ck_assert_ptr_null(dl_map_get(&s.tombstones, "a"));
    ck_assert_ptr_nonnull(dl_map_get(&s.tombstones, "nothing-there"));
    ck_assert_ptr_null(s.commit_info);
    dl_state_free(&s);
}
END_TEST

START_TEST(test_replay_errors_name_file_and_line) {
    replay_fails(P0 M0 "{\"add\":1}", LLMD_ERR_PARSE, C0 ":3: add is not an object");
    replay_fails(P0 M0 "{\"remove\":\"x\"}", LLMD_ERR_PARSE, C0 ":3: remove is not an object");
    replay_fails(P0 M0 "{\"add\":{\"path\":\"a\",\"size\":-1}}", LLMD_ERR_PARSE, "add without a valid size");
    replay_fails(P0 M0 "{\"add\":{\"path\":\"a\",\"size\":1,\"partitionValues\":[]}}", LLMD_ERR_PARSE,
                 "add.partitionValues is not an object");
    replay_fails(P0 M0 "{\"add\":{\"size\":1}}", LLMD_ERR_PARSE, C0 ":3: file action without a path");
    replay_fails(P0 M0 "{\"remove\":{\"path\":\"a\",\"deletionVector\":{}}}", LLMD_ERR_PARSE, "lacks storageType");
    replay_fails("{\"protocol\":5}\n" M0, LLMD_ERR_PARSE, C0 ":1: protocol needs minReaderVersion");
    replay_fails("{\"protocol\":{\"minReaderVersion\":0,\"minWriterVersion\":2}}\n" M0, LLMD_ERR_PARSE, "protocol needs");
    replay_fails("{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":0}}\n" M0, LLMD_ERR_PARSE, "protocol needs");
    replay_fails("{\"protocol\":{\"minReaderVersion\":1}}\n" M0, LLMD_ERR_PARSE, "protocol needs");
    replay_fails("{\"protocol\":{\"minReaderVersion\":1e300,\"minWriterVersion\":2}}\n", LLMD_ERR_PARSE, "protocol needs");
    replay_fails(P0 "{\"metaData\":[]}", LLMD_ERR_PARSE, C0 ":2: metaData is not an object");
    replay_fails(P0 M0 "{\"txn\":{\"version\":1}}", LLMD_ERR_PARSE, C0 ":3: txn needs appId and version");
    replay_fails(P0 M0 "{\"txn\":{\"appId\":\"a\"}}", LLMD_ERR_PARSE, "txn needs appId and version");
    replay_fails(P0 M0 "{\"txn\":7}", LLMD_ERR_PARSE, "txn needs appId and version");
    replay_fails(P0 M0 "{\"domainMetadata\":{\"configuration\":\"x\"}}", LLMD_ERR_PARSE, "domainMetadata without a domain");
    replay_fails(P0 M0 "{\"domainMetadata\":true}", LLMD_ERR_PARSE, "domainMetadata without a domain");
    replay_fails(P0 M0 "42\n", LLMD_ERR_PARSE, C0 ":3: not a JSON object");
    replay_fails(P0 M0 "{\"add\":{\"path\":\"a\",\"size\":1}} x", LLMD_ERR_PARSE, C0 ":3: trailing bytes after the action");
    replay_fails("\n\n{\"protocol\":", LLMD_ERR_PARSE, C0 ":3: not a JSON object");
    /* the state checks after replay */
    replay_fails("{\"protocol\":{\"minReaderVersion\":4,\"minWriterVersion\":7}}\n" M0, LLMD_ERR_UNSUPPORTED,
                 "needs reader version 4");
    replay_fails("{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":\"x\"}}\n" M0,
                 LLMD_ERR_PARSE, "readerFeatures is not an array");
    replay_fails("{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[1]}}\n" M0,
                 LLMD_ERR_PARSE, "readerFeatures holds a non-string");
    replay_fails("{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"columnMapping\","
                 "\"typeWidening\"]}}\n" M0, LLMD_ERR_UNSUPPORTED, "reader feature 'typeWidening'");
    replay_fails(P0 "{\"metaData\":{\"id\":\"x\"}}", LLMD_ERR_CORRUPT, "metaData (version 0) has no schemaString");
    replay_fails(P0 "{\"metaData\":{\"id\":\"x\",\"schemaString\":\"{}\"}}", LLMD_ERR_SCHEMA,
                 "metaData.schemaString (version 0)");
    const mem_file nofeat[] = {{C0, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7}}\n" M0}};
    dl_state s0;
    ck_ok(replay_mem(nofeat, 1, -1, &s0));
    dl_state_free(&s0);
    /* every reader feature this library knows, and a null list, are readable */
    const mem_file ok[] = {{C0, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\","
                                "\"columnMapping\",\"timestampNtz\",\"v2Checkpoint\",\"vacuumProtocolCheck\"]}}\n" M0},
                           {C1, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":null}}\n"}};
    dl_state s;
    ck_ok(replay_mem(ok, 2, 0, &s));
    ck_assert_int_eq(s.protocol_version, 0);
    dl_state_free(&s);
    ck_ok(replay_mem(ok, 2, 1, &s));
    ck_assert_int_eq(s.protocol_version, 1);
    dl_state_free(&s);
}
END_TEST

static llmd_status writable(const char *protocol, const char *config, const char *schema) {
    cJSON *p = J(protocol), *m = NULL, *s = J(schema);
    char md[1024];
    fmt(md, sizeof md, "{\"configuration\":%s}", config);
    m = J(md);
    llmd_status st = dl_check_writable(p, m, s);
    cJSON_Delete(p);
    cJSON_Delete(m);
    cJSON_Delete(s);
    return st;
}

START_TEST(test_writer_features) {
    const char *plain = STRUCT(FIELD("a", "\"long\""));
    const char *inv = STRUCT("{\"name\":\"a\",\"type\":\"long\",\"metadata\":{\"delta.invariants\":\"{}\"}}");
    const char *gen = STRUCT(FIELD("s", "{\"type\":\"array\",\"elementType\":" STRUCT(
        "{\"name\":\"g\",\"type\":\"long\",\"metadata\":{\"delta.generationExpression\":\"1\"}}") "}"));
    const char *ident = STRUCT(FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":" STRUCT(
        "{\"name\":\"i\",\"type\":\"long\",\"metadata\":{\"delta.identity.start\":1}}") "}"));
    const char *key_ident = STRUCT(FIELD("m", "{\"type\":\"map\",\"keyType\":" STRUCT(
        "{\"name\":\"i\",\"type\":\"long\",\"metadata\":{\"delta.identity.step\":1}}") ",\"valueType\":\"long\"}"));
#define W7(f) "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":[" f "]}"
    ck_ok(writable(W7("\"appendOnly\",\"inCommitTimestamp\",\"timestampNtz\",\"deletionVectors\",\"domainMetadata\","
                      "\"vacuumProtocolCheck\",\"v2Checkpoint\",\"invariants\",\"checkConstraints\",\"changeDataFeed\","
                      "\"generatedColumns\",\"columnMapping\",\"identityColumns\""),
                   "{\"delta.enableChangeDataFeed\":\"false\",\"delta.columnMapping.mode\":\"none\"}", plain));
    ck_fails(writable(W7("\"invariants\""), "{}", inv), LLMD_ERR_UNSUPPORTED, "writer feature 'invariants': the schema has invariants");
    ck_fails(writable(W7("\"checkConstraints\""), "{\"delta.constraints.c1\":\"a > 0\"}", plain), LLMD_ERR_UNSUPPORTED,
             "CHECK constraints");
    ck_fails(writable(W7("\"changeDataFeed\""), "{\"delta.enableChangeDataFeed\":\"true\"}", plain), LLMD_ERR_UNSUPPORTED,
             "change data feed is enabled");
    ck_fails(writable(W7("\"generatedColumns\""), "{}", gen), LLMD_ERR_UNSUPPORTED, "generated columns");
    ck_fails(writable(W7("\"columnMapping\""), "{\"delta.columnMapping.mode\":\"name\"}", plain), LLMD_ERR_UNSUPPORTED,
             "column mapping is on");
    ck_fails(writable(W7("\"identityColumns\""), "{}", ident), LLMD_ERR_UNSUPPORTED, "identity columns");
    ck_fails(writable(W7("\"identityColumns\""), "{}", key_ident), LLMD_ERR_UNSUPPORTED, "identity columns");
    ck_fails(writable(W7("\"rowTracking\""), "{}", plain), LLMD_ERR_UNSUPPORTED, "writer feature 'rowTracking': unknown");
    ck_fails(writable(W7("3"), "{}", plain), LLMD_ERR_PARSE, "writerFeatures holds a non-string");
    ck_fails(writable("{\"minReaderVersion\":1,\"minWriterVersion\":8}", "{}", plain), LLMD_ERR_UNSUPPORTED,
             "writer version 8");
    ck_fails(writable("{\"minReaderVersion\":4,\"minWriterVersion\":2}", "{}", plain), LLMD_ERR_UNSUPPORTED,
             "reader version 4");
    /* legacy writer versions imply their features (PROTOCOL.md "Table Features" table) */
    ck_ok(writable("{\"minReaderVersion\":1,\"minWriterVersion\":1}", "{}", inv));
    ck_fails(writable("{\"minReaderVersion\":1,\"minWriterVersion\":2}", "{}", inv), LLMD_ERR_UNSUPPORTED,
             "(writer version 2): invariants");
    ck_ok(writable("{\"minReaderVersion\":1,\"minWriterVersion\":2}", "{\"delta.constraints.c\":\"1\"}", plain));
    ck_fails(writable("{\"minReaderVersion\":1,\"minWriterVersion\":3}", "{\"delta.constraints.c\":\"1\"}", plain),
             LLMD_ERR_UNSUPPORTED, "checkConstraints");
    ck_fails(writable("{\"minReaderVersion\":1,\"minWriterVersion\":4}", "{\"delta.enableChangeDataFeed\":\"true\"}", plain),
             LLMD_ERR_UNSUPPORTED, "changeDataFeed");
    ck_fails(writable("{\"minReaderVersion\":1,\"minWriterVersion\":4}", "{}", gen), LLMD_ERR_UNSUPPORTED, "generatedColumns");
    ck_ok(writable("{\"minReaderVersion\":1,\"minWriterVersion\":4}", "{\"delta.columnMapping.mode\":\"id\"}", plain));
    ck_fails(writable("{\"minReaderVersion\":2,\"minWriterVersion\":5}", "{\"delta.columnMapping.mode\":\"id\"}", plain),
             LLMD_ERR_UNSUPPORTED, "columnMapping");
    ck_fails(writable("{\"minReaderVersion\":2,\"minWriterVersion\":6}", "{}", ident), LLMD_ERR_UNSUPPORTED, "identityColumns");
    ck_ok(writable("{\"minReaderVersion\":2,\"minWriterVersion\":6}", "{}", plain));
    /* schemas of odd shapes hold no invariants; writer version 7 without a feature list */
    ck_ok(writable(W7("\"invariants\""), "{}", STRUCT(FIELD("a", "{\"x\":1}") "," FIELD("u", "{\"type\":\"udt\"}") ","
                                                        "{\"name\":\"b\",\"type\":\"long\"}" ","
                                                        "{\"name\":\"c\",\"type\":\"long\",\"metadata\":[1]}" ","
                                                        FIELD("s", "{\"type\":\"struct\"}"))));
    ck_ok(writable("{\"minReaderVersion\":1,\"minWriterVersion\":7}", "{}", plain));
    ck_ok(writable(W7("\"checkConstraints\""), "[1]", plain));
    cJSON *pr = J(W7("\"checkConstraints\",\"changeDataFeed\",\"columnMapping\""));
    cJSON *md = J("{}"), *sc = J(plain);
    ck_ok(dl_check_writable(pr, md, sc));   /* metaData without configuration */
    cJSON_Delete(pr);
    cJSON_Delete(md);
    cJSON_Delete(sc);
#undef W7
}
END_TEST

/* ---- log.c: checkpoints in the pure replay ------------------------------------------------------------------ */
#define V2NAME(v, id) v ".checkpoint." id ".json"
#define V2PROTO "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"v2Checkpoint\"],\"writerFeatures\":[\"v2Checkpoint\"]}}\n"

START_TEST(test_replay_v2_sidecars) {
    dl_state s;
    /* JSON sidecars: a bare name lives in _delta_log/_sidecars/, a path with '/' is taken as given */
    const mem_file sc[] = {
        {V2NAME("00000000000000000002", "aaaa-01"),
         "{\"checkpointMetadata\":{\"version\":2}}\n" V2PROTO M0
         "{\"sidecar\":{\"path\":\"s1.json\",\"sizeInBytes\":1,\"modificationTime\":1}}\n"
         "{\"sidecar\":{\"path\":\"other/s%202.json\",\"sizeInBytes\":1,\"modificationTime\":1}}\n"
         "{\"commitInfo\":{\"ignored\":true}}\n"},
        {"_sidecars/s1.json", ADD("x") ADD("y")},
        {"other/s 2.json", REM("gone") ADD("z")},
        {"00000000000000000003.json", REM("x")},
    };
    ck_ok(replay_mem(sc, 4, -1, &s));
    ck_assert(s.has_sidecar);
    ck_assert_int_eq(cJSON_GetArraySize(s.sidecars), 2);
    ck_assert_uint_eq(s.files.len, 2);
    ck_assert_ptr_nonnull(dl_map_get(&s.files, "y"));
    ck_assert_ptr_nonnull(dl_map_get(&s.files, "z"));
    ck_assert_ptr_nonnull(dl_map_get(&s.tombstones, "gone"));
    ck_assert_ptr_null(s.commit_info);   /* commitInfo in a checkpoint is not a commit's */
    dl_state_free(&s);
    /* a sidecar without a path, or missing: the checkpoint's error (no commit 0 to fall back on) */
    const mem_file nopath[] = {{V2NAME("00000000000000000002", "bb"), V2PROTO M0 "{\"sidecar\":{\"sizeInBytes\":1}}\n"}};
    ck_fails(replay_mem(nopath, 1, -1, &s), LLMD_ERR_PARSE, "checkpoint " V2NAME("00000000000000000002", "bb")
             ": sidecar action without a path");
    const mem_file missing[] = {{V2NAME("00000000000000000002", "cc"), V2PROTO M0 "{\"sidecar\":{\"path\":\"nope.json\"}}\n"}};
    ck_fails(replay_mem(missing, 1, -1, &s), LLMD_ERR_NOT_FOUND, "sidecar");
    const mem_file badpq[] = {{V2NAME("00000000000000000002", "dd"), V2PROTO M0 "{\"sidecar\":{\"path\":\"s.parquet\"}}\n"},
                              {"_sidecars/s.parquet", "PAR1 not parquet"}};
    ck_fails(replay_mem(badpq, 2, -1, &s), LLMD_ERR_PARSE, "_sidecars/s.parquet");
    const mem_file badjson[] = {{V2NAME("00000000000000000002", "ee"), V2PROTO M0 "{\"sidecar\":{\"path\":\"s.json\"}}\n"},
                                {"_sidecars/s.json", "{\"add\":{\"path\":\"q\"}}"}};
    ck_fails(replay_mem(badjson, 2, -1, &s), LLMD_ERR_PARSE, "_sidecars/s.json:1");
    /* a newer broken checkpoint is passed over for an older good one; the commits after apply */
    const mem_file two[] = {
        {V2NAME("00000000000000000001", "a00d"), "{\"checkpointMetadata\":{\"version\":1}}\n" V2PROTO M0 ADD("k")},
        {V2NAME("00000000000000000002", "bad"), "{\"checkpointMetadata\":"},
        {C2, ADD("m")},
        {"00000000000000000003.json", ADD("n")},
    };
    ck_ok(replay_mem(two, 4, -1, &s));
    ck_assert_uint_eq(s.files.len, 3);
    dl_state_free(&s);
    /* a checkpoint newer than the target is not used: version 1 from the older checkpoint alone */
    ck_ok(replay_mem(two, 4, 1, &s));
    ck_assert_uint_eq(s.files.len, 1);
    ck_assert_int_eq(s.version, 1);
    dl_state_free(&s);
    /* gaps after a checkpoint, and an incomplete multi-part checkpoint named in the gap message */
    const mem_file gap[] = {{C0, P0 M0}, {"00000000000000000002.checkpoint.0000000001.0000000002.parquet", "x"},
                            {"00000000000000000003.json", ADD("a")}};
    ck_fails(replay_mem(gap, 3, -1, &s), LLMD_ERR_CORRUPT, "version 1 is missing; multi-part checkpoint "
             "00000000000000000002.checkpoint.0000000001.0000000002.parquet is incomplete");
    /* a version present only as a (broken) checkpoint is still a gap in the commits */
    const mem_file ckonly[] = {{C0, P0 M0}, {"00000000000000000001.checkpoint.parquet", "PAR1"}, {C2, ADD("a")}};
    ck_fails(replay_mem(ckonly, 3, -1, &s), LLMD_ERR_CORRUPT, "version 1 is missing");
    /* two broken checkpoints: the commits from version 0 rebuild the state */
    const mem_file twobad[] = {{C0, P0 M0 ADD("a")}, {C1, ADD("b")}, {"00000000000000000001.checkpoint.parquet", "PAR1"},
                               {V2NAME("00000000000000000001", "abcd"), "{"}};
    ck_ok(replay_mem(twobad, 4, -1, &s));
    ck_assert_uint_eq(s.files.len, 2);
    dl_state_free(&s);
    /* the log starts after 0 and the only checkpoint is incomplete: unsupported, named */
    const mem_file late[] = {{"00000000000000000001.checkpoint.0000000001.0000000002.parquet", "x"}, {C2, ADD("a")}};
    ck_fails(replay_mem(late, 2, -1, &s), LLMD_ERR_UNSUPPORTED,
             "Delta log starts after version 0 and multi-part checkpoint 00000000000000000001.checkpoint.0000000001.0000000002.parquet is incomplete");
    /* a sidecar path with a directory and no extension is read as Parquet */
    const mem_file shortsc[] = {{V2NAME("00000000000000000002", "ff"), V2PROTO M0 "{\"sidecar\":{\"path\":\"a/b\"}}\n"}};
    ck_fails(replay_mem(shortsc, 1, -1, &s), LLMD_ERR_NOT_FOUND, "reading Delta checkpoint a/b");
    /* a listed checkpoint that cannot be read */
    {
        dl_listing l2 = {0};
        ck_ok(dl_listing_add(&l2, "00000000000000000003.checkpoint.parquet", 1, 1));
        mem_log m3 = {NULL, 0};
        ck_fails(dl_replay(&l2, -1, mem_read, &m3, &s), LLMD_ERR_NOT_FOUND, "reading Delta checkpoint 00000000000000000003.checkpoint.parquet");
        dl_listing_free(&l2);
    }
    /* an empty listing */
    dl_listing l = {0};
    mem_log m = {NULL, 0};
    ck_fails(dl_replay(&l, -1, mem_read, &m, &s), LLMD_ERR_NOT_FOUND, "no commit in _delta_log");
    /* a commit that cannot be read is named */
    const mem_file gone[] = {{C0, P0 M0}};
    ck_ok(dl_listing_add(&l, C0, 1, 1));
    ck_ok(dl_listing_add(&l, C1, 1, 1));
    mem_log m2 = {gone, 1};
    ck_fails(dl_replay(&l, -1, mem_read, &m2, &s), LLMD_ERR_NOT_FOUND, "reading Delta log file " C1);
    dl_listing_free(&l);
}
END_TEST

/* ---- values.c: every Parquet type as JSON --------------------------------------------------------------- */
static int add_field(llmd_schema *s, int parent, const char *name, llmd_type_id id, int unit, int utc) {
    llmd_type t = {id, 0, 0, 0, unit, utc};
    if (id == LLMD_TYPE_FIXED_BINARY) t.byte_width = 3;
    if (id == LLMD_TYPE_DECIMAL) t.precision = 20, t.scale = unit;
    if (id == LLMD_TYPE_DECIMAL) t.unit = 0;
    int fid = -1;
    ck_ok(llmd_schema_add(s, parent, name, &t, parent == 0 || id != LLMD_TYPE_STRING || strcmp(name, "key") != 0, &fid));
    return fid;
}

static char *value_text(const llmd_schema *sc, int field, const llmd_column *c, int64_t i, int mode) {
    cJSON *v = dl_value_json(sc, field, c, i, mode);
    ck_assert_ptr_nonnull(v);
    char *p = cJSON_PrintUnformatted(v);
    cJSON_Delete(v);
    static char buf[512];
    fmt(buf, sizeof buf, "%s", p);
    cJSON_free(p);
    return buf;
}

#define VAL(f, c, i, mode, want) ck_assert_str_eq(value_text(sc, f, c, i, mode), want)

START_TEST(test_values_every_type) {
    llmd_schema *sc = NULL;
    ck_ok(llmd_schema_new(&sc));
    /* bool: bits 1,0,1 with entry 2 null */
    int fb = add_field(sc, 0, "b", LLMD_TYPE_BOOL, 0, 0);
    uint8_t bbits = 0x5, bvalid = 0x3;
    llmd_column cb = {3, 0, &bvalid, NULL, &bbits, NULL, 0, 0};
    VAL(fb, &cb, 0, DL_JSON_ROWS, "true");
    VAL(fb, &cb, 1, DL_JSON_ROWS, "false");
    VAL(fb, &cb, 2, DL_JSON_ROWS, "null");
    ck_assert(!dl_col_valid(&cb, 2) && dl_col_valid(&cb, 0));
    /* integers of every width, signed and unsigned, exact past 2^53 */
    int8_t i8 = -5;
    int16_t i16 = -300;
    int32_t i32 = -70000;
    uint8_t u8 = 200;
    uint16_t u16 = 60000;
    uint32_t u32 = 4000000000u;
    int64_t i64[3] = {INT64_C(1152921504606846977), -INT64_C(1152921504606846977), 12};
    uint64_t u64 = UINT64_MAX;
    struct { const char *n; llmd_type_id id; const void *v; const char *want; } ints[] = {
        {"i8", LLMD_TYPE_INT8, &i8, "-5"}, {"i16", LLMD_TYPE_INT16, &i16, "-300"}, {"i32", LLMD_TYPE_INT32, &i32, "-70000"},
        {"u8", LLMD_TYPE_UINT8, &u8, "200"}, {"u16", LLMD_TYPE_UINT16, &u16, "60000"},
        {"u32", LLMD_TYPE_UINT32, &u32, "4000000000"}, {"u64", LLMD_TYPE_UINT64, &u64, "18446744073709551615"}};
    for (size_t k = 0; k < sizeof ints / sizeof *ints; k++) {
        int f = add_field(sc, 0, ints[k].n, ints[k].id, 0, 0);
        llmd_column c = {1, 0, NULL, NULL, ints[k].v, NULL, 0, 0};
        VAL(f, &c, 0, DL_JSON_ROWS, ints[k].want);
        VAL(f, &c, 0, DL_JSON_RAW, ints[k].want);
    }
    int fi64 = add_field(sc, 0, "i64", LLMD_TYPE_INT64, 0, 0);
    llmd_column ci64 = {3, 0, NULL, NULL, i64, NULL, 0, 0};
    VAL(fi64, &ci64, 0, DL_JSON_RAW, "1152921504606846977");
    VAL(fi64, &ci64, 1, DL_JSON_RAW, "-1152921504606846977");
    VAL(fi64, &ci64, 2, DL_JSON_RAW, "12");
    VAL(fi64, &ci64, 1, DL_JSON_ROWS, "-1152921504606846977");
    /* floats: shortest text that reads back exactly; NaN and infinities as strings (Spark's JSON) */
    float fl[2] = {0.1f, 16777216.0f};
    double db[5] = {2342342.3000000003, NAN, INFINITY, -INFINITY, 1e300};
    int ff = add_field(sc, 0, "f", LLMD_TYPE_FLOAT, 0, 0), fd = add_field(sc, 0, "d", LLMD_TYPE_DOUBLE, 0, 0);
    llmd_column cf = {2, 0, NULL, NULL, fl, NULL, 0, 0}, cd = {5, 0, NULL, NULL, db, NULL, 0, 0};
    VAL(ff, &cf, 0, DL_JSON_ROWS, "0.1");
    VAL(ff, &cf, 1, DL_JSON_ROWS, "16777216");
    VAL(fd, &cd, 0, DL_JSON_ROWS, "2342342.3000000003");
    VAL(fd, &cd, 1, DL_JSON_ROWS, "\"NaN\"");
    VAL(fd, &cd, 2, DL_JSON_ROWS, "\"Infinity\"");
    VAL(fd, &cd, 3, DL_JSON_ROWS, "\"-Infinity\"");
    VAL(fd, &cd, 4, DL_JSON_ROWS, "1e+300");
    /* strings (int32 offsets) and binary (int64 offsets), sliced by offset */
    int32_t so[3] = {0, 2, 5};
    int64_t bo[3] = {0, 1, 3};
    int fs = add_field(sc, 0, "s", LLMD_TYPE_STRING, 0, 0), fbin = add_field(sc, 0, "bin", LLMD_TYPE_BINARY, 0, 0);
    llmd_column cs = {1, 1, NULL, so, "ab\"cd", NULL, 0, 0}, cbin = {2, 0, NULL, bo, "xyz", NULL, 0, 1};
    VAL(fs, &cs, 0, DL_JSON_ROWS, "\"\\\"cd\"");
    VAL(fbin, &cbin, 1, DL_JSON_ROWS, "\"yz\"");
    /* fixed binary and UUID as lowercase hex */
    uint8_t fx[6] = {0x00, 0xab, 0xff, 0x10, 0x20, 0x30};
    uint8_t uu[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 1, 2, 3, 4, 5, 6, 7};
    int ffx = add_field(sc, 0, "fx", LLMD_TYPE_FIXED_BINARY, 0, 0), fuu = add_field(sc, 0, "uu", LLMD_TYPE_UUID, 0, 0);
    llmd_column cfx = {2, 0, NULL, NULL, fx, NULL, 0, 0}, cuu = {1, 0, NULL, NULL, uu, NULL, 0, 0};
    VAL(ffx, &cfx, 1, DL_JSON_ROWS, "\"102030\"");
    VAL(ffx, &cfx, 0, DL_JSON_ROWS, "\"00abff\"");
    VAL(fuu, &cuu, 0, DL_JSON_ROWS, "\"123456789abcdef00001020304050607\"");
    /* dates: days since the epoch; 19782 = 2024-02-29 (leap day), -1 = 1969-12-31, -719528 = 0000-01-01 */
    int32_t days[3] = {19782, -1, -719528};
    int fdt = add_field(sc, 0, "dt", LLMD_TYPE_DATE, 0, 0);
    llmd_column cdt = {3, 0, NULL, NULL, days, NULL, 0, 0};
    VAL(fdt, &cdt, 0, DL_JSON_ROWS, "\"2024-02-29\"");
    VAL(fdt, &cdt, 1, DL_JSON_ROWS, "\"1969-12-31\"");
    VAL(fdt, &cdt, 2, DL_JSON_ROWS, "\"0000-01-01\"");
    VAL(fdt, &cdt, 0, DL_JSON_RAW, "19782");
    /* timestamps in each unit; before the epoch the fraction borrows from the seconds */
    int64_t tsv[2] = {-1, 1631099471123456};
    int fms = add_field(sc, 0, "tms", LLMD_TYPE_TIMESTAMP, LLMD_TIME_MILLIS, 1);
    int fus = add_field(sc, 0, "tus", LLMD_TYPE_TIMESTAMP, LLMD_TIME_MICROS, 0);
    int fns = add_field(sc, 0, "tns", LLMD_TYPE_TIMESTAMP, LLMD_TIME_NANOS, 1);
    llmd_column cts = {2, 0, NULL, NULL, tsv, NULL, 0, 0};
    VAL(fms, &cts, 0, DL_JSON_ROWS, "\"1969-12-31T23:59:59.999000Z\"");
    VAL(fus, &cts, 1, DL_JSON_ROWS, "\"2021-09-08T11:11:11.123456\"");
    VAL(fns, &cts, 1, DL_JSON_ROWS, "\"1970-01-19T21:04:59.471123Z\"");
    VAL(fus, &cts, 1, DL_JSON_RAW, "1631099471123456");
    char tb[64];
    dl_timestamp_text(-86400000001, LLMD_TIME_MICROS, true, tb, sizeof tb);
    ck_assert_str_eq(tb, "1969-12-30T23:59:59.999999Z");
    /* TIME: millis in int32, micros in int64 */
    int32_t tm32 = 3600000;
    int64_t tm64 = 1;
    int ftm = add_field(sc, 0, "tm", LLMD_TYPE_TIME, LLMD_TIME_MILLIS, 0), ftu = add_field(sc, 0, "tu", LLMD_TYPE_TIME, LLMD_TIME_MICROS, 0);
    llmd_column ctm = {1, 0, NULL, NULL, &tm32, NULL, 0, 0}, ctu = {1, 0, NULL, NULL, &tm64, NULL, 0, 0};
    VAL(ftm, &ctm, 0, DL_JSON_ROWS, "3600000");
    VAL(ftu, &ctu, 0, DL_JSON_ROWS, "1");
    /* decimals: 16-byte little-endian two's complement; -12345 scale 2 = -123.45, 5 scale 3 = 0.005 */
    uint8_t dec[3][16];
    memset(dec, 0, sizeof dec);
    int64_t dv[3] = {-12345, 5, 7};
    for (int r = 0; r < 3; r++)
        for (int k = 0; k < 16; k++) dec[r][k] = (uint8_t)(k < 8 ? (uint64_t)dv[r] >> (8 * k) : (dv[r] < 0 ? 0xff : 0));
    int fdc2 = add_field(sc, 0, "dc2", LLMD_TYPE_DECIMAL, 2, 0), fdc3 = add_field(sc, 0, "dc3", LLMD_TYPE_DECIMAL, 3, 0);
    int fdc0 = add_field(sc, 0, "dc0", LLMD_TYPE_DECIMAL, 0, 0);
    llmd_column cdc = {3, 0, NULL, NULL, dec, NULL, 0, 0};
    VAL(fdc2, &cdc, 0, DL_JSON_ROWS, "-123.45");
    VAL(fdc3, &cdc, 1, DL_JSON_ROWS, "0.005");
    VAL(fdc0, &cdc, 2, DL_JSON_ROWS, "7");
    /* struct {x int32, stats_parsed int32, y string}: rows keep nulls, checkpoint actions (RAW) drop
     * absent fields and the parsed copies */
    int fst = add_field(sc, 0, "st", LLMD_TYPE_STRUCT, 0, 0);
    int fsx = add_field(sc, fst, "x", LLMD_TYPE_INT32, 0, 0);
    add_field(sc, fst, "stats_parsed", LLMD_TYPE_INT32, 0, 0);
    add_field(sc, fst, "y", LLMD_TYPE_STRING, 0, 0);
    (void)fsx;
    int32_t sx[2] = {1, 2}, sp[2] = {9, 9}, sy_off[3] = {0, 1, 1};
    uint8_t sy_valid = 0x1, st_valid = 0x3;
    llmd_column kids[3] = {{2, 0, NULL, NULL, sx, NULL, 0, 0}, {2, 0, NULL, NULL, sp, NULL, 0, 0},
                           {2, 0, &sy_valid, sy_off, "q", NULL, 0, 0}};
    llmd_column cst = {2, 0, &st_valid, NULL, NULL, kids, 3, 0};
    VAL(fst, &cst, 0, DL_JSON_ROWS, "{\"x\":1,\"stats_parsed\":9,\"y\":\"q\"}");
    VAL(fst, &cst, 1, DL_JSON_ROWS, "{\"x\":2,\"stats_parsed\":9,\"y\":null}");
    VAL(fst, &cst, 1, DL_JSON_RAW, "{\"x\":2}");
    /* list<int64> with offsets {0,2,2}: [5,6] then [] */
    int fl_ = add_field(sc, 0, "l", LLMD_TYPE_LIST, 0, 0);
    add_field(sc, fl_, "element", LLMD_TYPE_INT64, 0, 0);
    int32_t lo[3] = {0, 2, 2};
    int64_t le[2] = {5, 6};
    llmd_column lkid = {2, 0, NULL, NULL, le, NULL, 0, 0};
    llmd_column cl = {2, 0, NULL, lo, NULL, &lkid, 1, 0};
    VAL(fl_, &cl, 0, DL_JSON_ROWS, "[5,6]");
    VAL(fl_, &cl, 1, DL_JSON_ROWS, "[]");
    /* maps become objects; non-string keys print as their JSON text */
    int fm = add_field(sc, 0, "m", LLMD_TYPE_MAP, 0, 0);
    add_field(sc, fm, "key", LLMD_TYPE_STRING, 0, 0);
    add_field(sc, fm, "value", LLMD_TYPE_INT32, 0, 0);
    int fm2 = add_field(sc, 0, "m2", LLMD_TYPE_MAP, 0, 0);
    llmd_type kt = {LLMD_TYPE_INT32, 0, 0, 0, 0, 0};
    ck_ok(llmd_schema_add(sc, fm2, "key", &kt, 0, NULL));
    add_field(sc, fm2, "value", LLMD_TYPE_STRING, 0, 0);
    int32_t mo[2] = {0, 2}, mko[3] = {0, 1, 2}, mv[2] = {1, 2}, ik[2] = {-3, 4};
    llmd_column mkids[2] = {{2, 0, NULL, mko, "ab", NULL, 0, 0}, {2, 0, NULL, NULL, mv, NULL, 0, 0}};
    llmd_column cm = {1, 0, NULL, mo, NULL, mkids, 2, 0};
    VAL(fm, &cm, 0, DL_JSON_ROWS, "{\"a\":1,\"b\":2}");
    llmd_column m2kids[2] = {{2, 0, NULL, NULL, ik, NULL, 0, 0}, {2, 0, NULL, mko, "cd", NULL, 0, 0}};
    llmd_column cm2 = {1, 0, NULL, mo, NULL, m2kids, 2, 0};
    VAL(fm2, &cm2, 0, DL_JSON_ROWS, "{\"-3\":\"c\",\"4\":\"d\"}");
    llmd_schema_free(sc);
    /* text helpers */
    char t[40];
    dl_date_text(0, t, sizeof t);
    ck_assert_str_eq(t, "1970-01-01");
    cJSON *d = dl_json_double(0.30000000000000004, false);
    char *p = cJSON_PrintUnformatted(d);
    ck_assert_str_eq(p, "0.30000000000000004");
    cJSON_free(p);
    cJSON_Delete(d);
}
END_TEST

/* ---- Parquet files for checkpoints and scans ------------------------------------------------------------- */
/* A Spark type (JSON) -> a field of the Parquet schema; "timestamp_local" = a timestamp not adjusted
 * to UTC (as INT96 files hold). */
static void spark_field(llmd_schema *sc, int parent, const char *name, const cJSON *type, bool nullable) {
    llmd_type t = {0, 0, 0, 0, 0, 0};
    int id = -1;
    if (cJSON_IsString(type)) {
        const char *n = type->valuestring;
        static const struct { const char *n; llmd_type_id id; } prim[] = {
            {"boolean", LLMD_TYPE_BOOL}, {"byte", LLMD_TYPE_INT8}, {"short", LLMD_TYPE_INT16}, {"integer", LLMD_TYPE_INT32},
            {"long", LLMD_TYPE_INT64}, {"float", LLMD_TYPE_FLOAT}, {"double", LLMD_TYPE_DOUBLE}, {"string", LLMD_TYPE_STRING},
            {"binary", LLMD_TYPE_BINARY}, {"date", LLMD_TYPE_DATE}};
        for (size_t i = 0; i < sizeof prim / sizeof *prim; i++)
            if (!strcmp(n, prim[i].n)) t.id = prim[i].id;
        if (!strncmp(n, "timestamp", 9)) t.id = LLMD_TYPE_TIMESTAMP, t.unit = LLMD_TIME_MICROS, t.utc = !strcmp(n, "timestamp");
        if (sscanf(n, "decimal(%d,%d)", &t.precision, &t.scale) == 2) t.id = LLMD_TYPE_DECIMAL;
        ck_assert_msg(t.id != 0, "test type %s", n);
        ck_ok(llmd_schema_add(sc, parent, name, &t, nullable, &id));
        return;
    }
    const char *k = dl_get_str(type, "type");
    if (!strcmp(k, "struct")) {
        t.id = LLMD_TYPE_STRUCT;
        ck_ok(llmd_schema_add(sc, parent, name, &t, nullable, &id));
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItem(type, "fields"))
            spark_field(sc, id, dl_get_str(f, "name"), cJSON_GetObjectItem(f, "type"), true);
    } else if (!strcmp(k, "array")) {
        t.id = LLMD_TYPE_LIST;
        ck_ok(llmd_schema_add(sc, parent, name, &t, nullable, &id));
        spark_field(sc, id, "element", cJSON_GetObjectItem(type, "elementType"), true);
    } else {
        t.id = LLMD_TYPE_MAP;
        ck_ok(llmd_schema_add(sc, parent, name, &t, nullable, &id));
        spark_field(sc, id, "key", cJSON_GetObjectItem(type, "keyType"), false);
        spark_field(sc, id, "value", cJSON_GetObjectItem(type, "valueType"), true);
    }
}

/* Writes rows (a JSON array of objects keyed by column name) as a Parquet file with the given Spark
 * schema, in row groups of `group` rows (0 = one). */
static void write_parquet(const char *path, const char *spark_schema, const char *rows_json, int group) {
    cJSON *schema = J(spark_schema), *rows = J(rows_json);
    llmd_schema *sc = NULL;
    ck_ok(llmd_schema_new(&sc));
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItem(schema, "fields"))
        spark_field(sc, 0, dl_get_str(f, "name"), cJSON_GetObjectItem(f, "type"), true);
    int nc = llmd_schema_child_count(sc, 0);
    dl_colb *cols = calloc((size_t)nc, sizeof *cols);
    llmd_column *built = calloc((size_t)nc, sizeof *built);
    for (int i = 0; i < nc; i++) ck_ok(dl_colb_init(&cols[i], sc, llmd_schema_child(sc, 0, i)));
    llmd_parquet_writer *w = NULL;
    ck_ok(llmd_parquet_writer_open(&w, path, sc, NULL));
    int n = cJSON_GetArraySize(rows), in_group = 0;
    for (int r = 0; r < n; r++) {
        const cJSON *row = cJSON_GetArrayItem(rows, r);
        for (int i = 0; i < nc; i++)
            ck_ok(dl_colb_append(&cols[i], cJSON_GetObjectItem(row, llmd_schema_name(sc, llmd_schema_child(sc, 0, i)))));
        if (++in_group == group || r == n - 1) {
            for (int i = 0; i < nc; i++) ck_ok(dl_colb_build(&cols[i], &built[i]));
            ck_ok(llmd_parquet_writer_write(w, built, (size_t)nc));
            ck_ok(llmd_parquet_writer_flush(w));
            for (int i = 0; i < nc; i++) dl_colb_reset(&cols[i]);
            in_group = 0;
        }
    }
    ck_ok(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    for (int i = 0; i < nc; i++) dl_colb_free(&cols[i]);
    free(cols);
    free(built);
    llmd_schema_free(sc);
    cJSON_Delete(schema);
    cJSON_Delete(rows);
}

START_TEST(test_parquet_checkpoint_actions) {
    make_tmp();
    char p[700];
    dl_state s;
    dl_state_init(&s);
    char *data = NULL;
    size_t len = 0;
    /* a file without any action column */
    fmt(p, sizeof p, "%s/none.parquet", g_tmp);
    write_parquet(p, STRUCT(FIELD("x", "\"long\"")), "[{\"x\":1}]", 0);
    ck_ok(llmd_read_file(p, &data, &len));
    ck_fails(dl_apply_parquet(&s, "c.parquet", 3, data, len), LLMD_ERR_CORRUPT, "checkpoint c.parquet has none of the action columns");
    llmd_free(data);
    /* an add row lacking its size: the row is named */
    fmt(p, sizeof p, "%s/bad.parquet", g_tmp);
    write_parquet(p, STRUCT(FIELD("add", STRUCT(FIELD("path", "\"string\"")))), "[{\"add\":null},{\"add\":{\"path\":\"a\"}}]", 0);
    ck_ok(llmd_read_file(p, &data, &len));
    ck_fails(dl_apply_parquet(&s, "c.parquet", 3, data, len), LLMD_ERR_PARSE, "checkpoint c.parquet row 1");
    llmd_free(data);
    dl_state_free(&s);
    /* actions in two row groups, null rows skipped, txn and protocol columns */
    fmt(p, sizeof p, "%s/ok.parquet", g_tmp);
    write_parquet(p, STRUCT(FIELD("txn", STRUCT(FIELD("appId", "\"string\"") "," FIELD("version", "\"long\""))) ","
                            FIELD("add", STRUCT(FIELD("path", "\"string\"") "," FIELD("size", "\"long\"") ","
                                                FIELD("partitionValues", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"string\"}"))) ","
                            FIELD("protocol", STRUCT(FIELD("minReaderVersion", "\"integer\"") "," FIELD("minWriterVersion", "\"integer\"")))),
                  "[{\"txn\":{\"appId\":\"w\",\"version\":3}},{\"add\":{\"path\":\"f%20g\",\"size\":9,\"partitionValues\":{\"p\":\"1\"}}},"
                  "{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}]", 2);
    ck_ok(llmd_read_file(p, &data, &len));
    ck_ok(dl_apply_parquet(&s, "c.parquet", 3, data, len));
    llmd_free(data);
    const dl_file *f = dl_map_get(&s.files, "f g");
    ck_assert_ptr_nonnull(f);
    ck_assert_str_eq(dl_get_str(cJSON_GetObjectItem(f->action, "partitionValues"), "p"), "1");
    ck_assert_int_eq(((const dl_txn_entry *)dl_map_get(&s.txns, "w"))->version, 3);
    ck_assert_int_eq(s.protocol_version, 3);
    dl_state_free(&s);
    ck_fails(dl_apply_parquet(&s, "junk.parquet", 3, "PAR1", 4), LLMD_ERR_PARSE, "checkpoint junk.parquet");
    rm_rf(g_tmp);
}
END_TEST

/* ---- table.c: opening, listing, reading log files ------------------------------------------------------- */
/* Log lines built with cJSON (no hand escaping of schemaString). */
static void put_line(llmd_buf *b, cJSON *action) {
    char *p = cJSON_PrintUnformatted(action);
    ck_ok(llmd_buf_puts(b, p));
    ck_ok(llmd_buf_putc(b, '\n'));
    cJSON_free(p);
    cJSON_Delete(action);
}

static void put_meta(llmd_buf *b, const char *schema, const char *parts, const char *config) {
    cJSON *md = cJSON_CreateObject();
    cJSON_AddStringToObject(md, "id", "tbl");
    cJSON_AddItemToObject(md, "format", J("{\"provider\":\"parquet\",\"options\":{}}"));
    cJSON_AddStringToObject(md, "schemaString", schema);
    cJSON_AddItemToObject(md, "partitionColumns", J(parts));
    cJSON_AddItemToObject(md, "configuration", J(config));
    cJSON *a = cJSON_CreateObject();
    cJSON_AddItemToObject(a, "metaData", md);
    put_line(b, a);
}

/* An add: pv and dv are JSON text (NULL = absent), stats a string (NULL = absent). */
static void put_add(llmd_buf *b, const char *path, const char *pv, const char *stats, const char *dv) {
    cJSON *add = cJSON_CreateObject();
    cJSON_AddStringToObject(add, "path", path);
    if (pv) cJSON_AddItemToObject(add, "partitionValues", J(pv));
    cJSON_AddNumberToObject(add, "size", 1);
    cJSON_AddNumberToObject(add, "modificationTime", 1);
    cJSON_AddBoolToObject(add, "dataChange", true);
    if (stats) cJSON_AddStringToObject(add, "stats", stats);
    if (dv) cJSON_AddItemToObject(add, "deletionVector", J(dv));
    cJSON *a = cJSON_CreateObject();
    cJSON_AddItemToObject(a, "add", add);
    put_line(b, a);
}

static void commit_buf(const char *dir, int64_t version, llmd_buf *b) {
    write_commit(dir, version, b->data ? b->data : "");
    llmd_buf_free(b);
}

START_TEST(test_table_open_and_listing) {
    make_tmp();
    llmd_delta_table *t = NULL;
    ck_fails(llmd_delta_table_open(NULL, "x", NULL), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_fails(llmd_delta_table_open(&t, NULL, NULL), LLMD_ERR_INVALID_ARG, "empty path");
    ck_fails(llmd_delta_table_open(&t, "", NULL), LLMD_ERR_INVALID_ARG, "empty path");
    llmd_delta_table_options bad = LLMD_DELTA_TABLE_OPTIONS_INIT;
    bad.version = 99;
    ck_fails(llmd_delta_table_open(&t, "x", &bad), LLMD_ERR_VERSION, "llmd_delta_table_options");
    ck_assert_ptr_null(t);
    ck_ok(llmd_delta_table_open(&t, "some/dir///", NULL));
    ck_assert_str_eq(llmd_delta_table_path(t), "some/dir");
    llmd_delta_table_free(t);
    ck_ok(llmd_delta_table_open(&t, "/", NULL));
    ck_assert_str_eq(llmd_delta_table_path(t), "/");
    llmd_delta_table_free(t);
    llmd_delta_table_free(NULL);
    ck_assert_ptr_null(llmd_delta_table_path(NULL));

    char dir[700], p[800];
    llmd_delta_snapshot *s = NULL;
    /* no directory, a file where _delta_log should be, an empty log, a log of non-commits */
    fmt(dir, sizeof dir, "%s/none", g_tmp);
    t = open_table(dir);
    ck_fails(llmd_delta_snapshot_latest(NULL, t), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_latest(&s, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_at_timestamp(NULL, t, 0), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_at_version(&s, t, -2), LLMD_ERR_INVALID_ARG, "Delta version -2 is negative");
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_NOT_FOUND, "does not exist");
    ck_fails(llmd_delta_snapshot_at_timestamp(&s, t, 5), LLMD_ERR_NOT_FOUND, "does not exist");
    char *js = NULL;
    ck_fails(llmd_delta_history_json(t, 0, &js, NULL), LLMD_ERR_NOT_FOUND, "does not exist");
    ck_fails(llmd_delta_history_json(NULL, 0, &js, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_history_json(t, 0, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    llmd_delta_table_free(t);
    fmt(dir, sizeof dir, "%s/filelog", g_tmp);
    mkdir_p(dir);
    fmt(p, sizeof p, "%s/_delta_log", dir);
    write_text(p, "not a directory");
    t = open_table(dir);
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_NOT_FOUND, "_delta_log does not exist");
    llmd_delta_table_free(t);
    fmt(dir, sizeof dir, "%s/empty", g_tmp);
    fmt(p, sizeof p, "%s/_delta_log/00000000000000000000.json", dir);
    mkdir_p(p);   /* a directory with a commit's name is not a commit */
    fmt(p, sizeof p, "%s/_delta_log/00000000000000000001.json.tmp", dir);
    write_text(p, "x");
    t = open_table(dir);
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_NOT_FOUND, "holds no commit");
    llmd_delta_table_free(t);

    /* _last_checkpoint is a hint: read when valid, ignored when damaged */
    fmt(dir, sizeof dir, "%s/lc", g_tmp);
    write_commit(dir, 0, P0 M0);
    fmt(p, sizeof p, "%s/_delta_log", dir);
    char lc[900];
    fmt(lc, sizeof lc, "%s/_last_checkpoint", p);
    static const struct { const char *text; int64_t want; } hints[] = {
        {"{\"version\":3,\"size\":4}", 3}, {"{\"version\":-1}", -1}, {"{\"vers", -1}, {"[]", -1}};
    for (size_t i = 0; i < 4; i++) {
        write_text(lc, hints[i].text);
        dl_listing l;
        ck_ok(dl_list_log(p, &l));
        ck_assert(l.has_last_checkpoint);
        ck_assert_int_eq(l.last_checkpoint_version, hints[i].want);
        ck_assert_uint_eq(l.n, 1);
        dl_listing_free(&l);
        ck_assert_str_eq(llmd_last_error(), "");
    }
    t = open_table(dir);
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), 0);
    llmd_delta_snapshot_free(s);
    /* reading log files: a name too long for a path, a directory, a missing file */
    char *data = NULL;
    size_t len = 0;
    char longname[5000];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    ck_fails(dl_fs_read(t, longname, &data, &len), LLMD_ERR_RANGE, "path too long");
    fmt(p, sizeof p, "%s/_delta_log/sub", dir);
    mkdir_p(p);
    ck_fails(dl_fs_read(t, "sub", &data, &len), LLMD_ERR_IO, "not a regular file");
    ck_fails(dl_fs_read(t, "00000000000000000007.json", &data, &len), LLMD_ERR_NOT_FOUND, "00000000000000000007.json: cannot open");
    ck_ok(dl_fs_read(t, "00000000000000000000.json", &data, &len));
    ck_assert_uint_eq(len, strlen(P0 M0));
    ck_assert_str_eq(data, P0 M0);
    llmd_free(data);
    llmd_delta_table_free(t);
    /* a log file over max_commit_bytes is refused, naming it */
    llmd_delta_table_options small = LLMD_DELTA_TABLE_OPTIONS_INIT;
    small.max_commit_bytes = 10;
    ck_ok(llmd_delta_table_open(&t, dir, &small));
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_RANGE, "00000000000000000000.json: ");
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "over the limit of 10"));
    llmd_delta_table_free(t);
    /* a replay error is prefixed with the table */
    fmt(dir, sizeof dir, "%s/broken", g_tmp);
    write_commit(dir, 0, P0 M0 "{\"add\":");
    t = open_table(dir);
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_PARSE, "Delta table ");
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "00000000000000000000.json:3"));
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* ---- table.c: commit timestamps and time travel ----------------------------------------------------------- */
static int64_t version_at(llmd_delta_table *t, int64_t when, int64_t *ts) {
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_at_timestamp(&s, t, when));
    int64_t v = llmd_delta_snapshot_version(s);
    *ts = llmd_delta_snapshot_timestamp(s);
    llmd_delta_snapshot_free(s);
    return v;
}

START_TEST(test_time_travel_by_mtime) {
    make_tmp();
    char dir[700];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    write_commit(dir, 0, P0 M0 "{\"commitInfo\":{\"operation\":\"CREATE\"}}\n");
    /* "commitInfo" as a key elsewhere on a line is not the commit's commitInfo */
    write_commit(dir, 1, "{\"add\":{\"path\":\"a\",\"size\":1,\"tags\":{\"commitInfo\":\"no\"}}}\n");
    write_commit(dir, 2, ADD("b"));
    /* Spark's DeltaHistoryManager: a time not after its predecessor's becomes predecessor + 1 */
    set_commit_mtime(dir, 0, 1000000);
    set_commit_mtime(dir, 1, 1000000);
    set_commit_mtime(dir, 2, 999000);
    llmd_delta_table *t = open_table(dir);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_at_version(&s, t, 1));
    ck_assert_int_eq(llmd_delta_snapshot_timestamp(s), 1000001);
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 1);
    llmd_delta_snapshot_free(s);
    ck_fails(llmd_delta_snapshot_at_version(&s, t, 5), LLMD_ERR_NOT_FOUND, "version 5 does not exist (latest is 2)");
    int64_t ts = 0;
    ck_fails(llmd_delta_snapshot_at_timestamp(&s, t, 999999), LLMD_ERR_RANGE,
             "timestamp 999999 ms is before the earliest commit (version 0 at 1000000 ms)");
    ck_assert_int_eq(version_at(t, 1000000, &ts), 0);
    ck_assert_int_eq(ts, 1000000);
    ck_assert_int_eq(version_at(t, 1000001, &ts), 1);
    ck_assert_int_eq(ts, 1000001);
    ck_assert_int_eq(version_at(t, 1000002, &ts), 2);
    ck_assert_int_eq(ts, 1000002);
    ck_fails(llmd_delta_snapshot_at_timestamp(&s, t, 1000003), LLMD_ERR_RANGE,
             "after the latest commit (version 2 at 1000002 ms)");
    char *h = NULL;
    size_t hl = 0;
    ck_ok(llmd_delta_history_json(t, 0, &h, &hl));
    ck_assert_str_eq(h, "[{\"version\":2,\"timestamp\":1000002,\"commitInfo\":null},"
                        "{\"version\":1,\"timestamp\":1000001,\"commitInfo\":null},"
                        "{\"version\":0,\"timestamp\":1000000,\"commitInfo\":{\"operation\":\"CREATE\"}}]");
    ck_assert_uint_eq(hl, strlen(h));
    llmd_free(h);
    ck_ok(llmd_delta_history_json(t, 1, &h, NULL));
    ck_assert_str_eq(h, "[{\"version\":2,\"timestamp\":1000002,\"commitInfo\":null}]");
    llmd_free(h);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_time_travel_in_commit_timestamps) {
    make_tmp();
    char dir[700];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}", "[]",
             "{\"delta.enableInCommitTimestamps\":\"true\",\"delta.inCommitTimestampEnablementVersion\":\"1\"}");
    commit_buf(dir, 0, &b);
    write_commit(dir, 1, "{\"commitInfo\":{\"inCommitTimestamp\":2000000}}\n" ADD("a"));
    write_commit(dir, 2, "{\"commitInfo\":{\"inCommitTimestamp\":3000000}}\n" ADD("b"));
    write_commit(dir, 3, ADD("c"));   /* no commitInfo: predecessor + 1 */
    set_commit_mtime(dir, 0, 1000000);
    for (int v = 1; v <= 3; v++) set_commit_mtime(dir, v, 9000000);   /* mtimes ignored from version 1 */
    llmd_delta_table *t = open_table(dir);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_at_version(&s, t, 2));
    ck_assert_int_eq(llmd_delta_snapshot_timestamp(s), 3000000);
    llmd_delta_snapshot_free(s);
    ck_ok(llmd_delta_snapshot_at_version(&s, t, 0));
    ck_assert_int_eq(llmd_delta_snapshot_timestamp(s), 1000000);
    llmd_delta_snapshot_free(s);
    int64_t ts = 0;
    ck_assert_int_eq(version_at(t, 2500000, &ts), 1);
    ck_assert_int_eq(ts, 2000000);
    ck_assert_int_eq(version_at(t, 1999999, &ts), 0);
    ck_assert_int_eq(version_at(t, 3000001, &ts), 3);
    ck_assert_int_eq(ts, 3000001);
    char *h = NULL;
    ck_ok(llmd_delta_history_json(t, 0, &h, NULL));
    ck_assert_str_eq(h, "[{\"version\":3,\"timestamp\":3000001,\"commitInfo\":null},"
                        "{\"version\":2,\"timestamp\":3000000,\"commitInfo\":{\"inCommitTimestamp\":3000000}},"
                        "{\"version\":1,\"timestamp\":2000000,\"commitInfo\":{\"inCommitTimestamp\":2000000}},"
                        "{\"version\":0,\"timestamp\":1000000,\"commitInfo\":null}]");
    llmd_free(h);
    llmd_delta_table_free(t);
    /* enablement at creation when the version is not given; off unless "true" */
    cJSON *on = J("{\"configuration\":{\"delta.enableInCommitTimestamps\":\"true\"}}");
    cJSON *off = J("{\"configuration\":{\"delta.enableInCommitTimestamps\":\"false\"}}");
    int64_t from = -5;
    ck_assert(dl_ict_enabled(on, &from) && from == 0);
    ck_assert(!dl_ict_enabled(off, &from));
    cJSON_Delete(on);
    cJSON_Delete(off);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_snapshot_accessors) {
    make_tmp();
    char dir[700];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"p\",\"type\":\"string\"}]}",
             "[\"p\"]", "{\"k\":\"v\"}");
    put_add(&b, "p=x/b%20c.parquet", "{\"p\":\"x\"}", "{\"numRecords\":2}",
            "{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\",\"sizeInBytes\":4,\"cardinality\":1}");
    put_add(&b, "a.parquet", NULL, NULL, NULL);
    ck_ok(llmd_buf_puts(&b, "{\"txn\":{\"appId\":\"job\",\"version\":4}}\n"));
    commit_buf(dir, 0, &b);
    set_commit_mtime(dir, 0, 1234000);
    llmd_delta_table *t = open_table(dir);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_str_eq(llmd_delta_snapshot_protocol_json(s), "{\"minReaderVersion\":1,\"minWriterVersion\":2}");
    ck_assert_str_eq(llmd_delta_snapshot_schema_json(s),
                     "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},{\"name\":\"p\",\"type\":\"string\"}]}");
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_metadata_json(s), "\"partitionColumns\":[\"p\"]"));
    ck_assert_str_eq(llmd_delta_snapshot_property(s, "k"), "v");
    ck_assert_ptr_null(llmd_delta_snapshot_property(s, "absent"));
    ck_assert_ptr_null(llmd_delta_snapshot_property(s, NULL));
    ck_assert_ptr_null(llmd_delta_snapshot_property(NULL, "k"));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
    llmd_delta_file f;
    ck_ok(llmd_delta_snapshot_file(s, 0, &f));
    ck_assert_str_eq(f.path, "a.parquet");
    ck_assert_str_eq(f.partition_values_json, "{}");
    ck_assert_ptr_null(f.stats_json);
    ck_assert_ptr_null(f.deletion_vector_json);
    ck_assert_str_eq(f.add_json, "{\"path\":\"a.parquet\",\"size\":1,\"modificationTime\":1,\"dataChange\":true}");
    ck_ok(llmd_delta_snapshot_file(s, 1, &f));
    ck_assert_str_eq(f.path, "p=x/b c.parquet");
    ck_assert_str_eq(f.raw_path, "p=x/b%20c.parquet");
    ck_assert_str_eq(f.partition_values_json, "{\"p\":\"x\"}");
    ck_assert_str_eq(f.stats_json, "{\"numRecords\":2}");
    ck_assert_str_eq(f.deletion_vector_json, "{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\",\"sizeInBytes\":4,\"cardinality\":1}");
    ck_ok(llmd_delta_snapshot_file(s, 1, &f));   /* cached */
    ck_assert_int_eq(f.size, 1);
    ck_fails(llmd_delta_snapshot_file(s, 2, &f), LLMD_ERR_RANGE, "file 2 of a snapshot with 2 files");
    ck_fails(llmd_delta_snapshot_file(NULL, 0, &f), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_file(s, 0, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    int64_t v = 0;
    ck_ok(llmd_delta_snapshot_app_version(s, "job", &v));
    ck_assert_int_eq(v, 4);
    ck_fails(llmd_delta_snapshot_app_version(s, "other", &v), LLMD_ERR_NOT_FOUND, "no txn for appId 'other' in version 0");
    ck_fails(llmd_delta_snapshot_app_version(NULL, "job", &v), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_app_version(s, NULL, &v), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_app_version(s, "job", NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    char *js = NULL;
    size_t jl = 0;
    ck_ok(llmd_delta_snapshot_to_json(s, &js, &jl));
    ck_assert_uint_eq(jl, strlen(js));
    cJSON *doc = J(js);
    llmd_free(js);
    ck_assert_int_eq((int)cJSON_GetObjectItem(doc, "version")->valuedouble, 0);
    ck_assert_int_eq((int64_t)cJSON_GetObjectItem(doc, "timestamp")->valuedouble, 1234000);
    char *files = cJSON_PrintUnformatted(cJSON_GetObjectItem(doc, "files"));
    ck_assert_str_eq(files, "[{\"path\":\"a.parquet\",\"size\":1,\"modificationTime\":1,\"partitionValues\":{},\"stats\":null},"
                            "{\"path\":\"p=x/b c.parquet\",\"size\":1,\"modificationTime\":1,\"partitionValues\":{\"p\":\"x\"},"
                            "\"stats\":{\"numRecords\":2},\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\","
                            "\"sizeInBytes\":4,\"cardinality\":1}}]");
    cJSON_free(files);
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(doc, "metaData"), "schema"), "type")->valuestring,
                     "struct");
    cJSON_Delete(doc);
    ck_fails(llmd_delta_snapshot_to_json(NULL, &js, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_to_json(s, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    llmd_delta_snapshot_free(s);
    llmd_delta_snapshot_free(NULL);
    ck_assert_int_eq(llmd_delta_snapshot_version(NULL), -1);
    ck_assert_int_eq(llmd_delta_snapshot_timestamp(NULL), 0);
    ck_assert_ptr_null(llmd_delta_snapshot_protocol_json(NULL));
    ck_assert_ptr_null(llmd_delta_snapshot_metadata_json(NULL));
    ck_assert_ptr_null(llmd_delta_snapshot_schema_json(NULL));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(NULL), 0);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* A checkpoint whose commits are gone carries the snapshot: its timestamp is the checkpoint's. */
START_TEST(test_checkpoint_without_commits) {
    make_tmp();
    char dir[700], p[900];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = open_table(dir);
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    o.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";
    ck_ok(llmd_delta_table_create(t, &o));
    for (int i = 0; i < 2; i++) {
        llmd_delta_txn *x = NULL;
        ck_ok(llmd_delta_txn_begin(&x, t));
        llmd_delta_add a = LLMD_DELTA_ADD_INIT;
        a.path = i ? "f1.parquet" : "f0.parquet";
        a.size = 10;
        ck_ok(llmd_delta_txn_add(x, &a));
        int64_t v;
        ck_ok(llmd_delta_txn_commit(x, &v));
        llmd_delta_txn_free(x);
    }
    int64_t cv = -1;
    ck_ok(llmd_delta_checkpoint(t, &cv));
    ck_assert_int_eq(cv, 2);
    for (int v = 0; v <= 2; v++) {
        fmt(p, sizeof p, "%s/_delta_log/%020d.json", dir, v);
        ck_assert_int_eq(unlink(p), 0);
    }
    fmt(p, sizeof p, "%s/_delta_log/00000000000000000002.checkpoint.parquet", dir);
    set_mtime(p, 4242000);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), 2);
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
    /* the table enables inCommitTimestamps but the checkpoint carries no commitInfo */
    ck_assert_int_eq(llmd_delta_snapshot_timestamp(s), 4242000);
    llmd_delta_snapshot_free(s);
    /* a damaged checkpoint with no commits to fall back on is an error naming it */
    write_text(p, "PAR1 damaged");
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_PARSE, "00000000000000000002.checkpoint.parquet");
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* A multi-part checkpoint (all parts read together) stands for the commits it summarises; a stray
 * part of another part count at the same version is not mistaken for one of them. */
START_TEST(test_multipart_checkpoint) {
    make_tmp();
    char dir[700], p[900];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = open_table(dir);
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    o.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";
    ck_ok(llmd_delta_table_create(t, &o));
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    for (int i = 0; i < 6; i++) {
        char name[32];
        fmt(name, sizeof name, "f%d.parquet", i);
        llmd_delta_add a = LLMD_DELTA_ADD_INIT;
        a.path = name;
        a.size = 10 + i;
        ck_ok(llmd_delta_txn_add(x, &a));
    }
    int64_t v;
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_checkpoint_options co = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    co.kind = LLMD_DELTA_CHECKPOINT_CLASSIC;
    co.parts = 2;
    ck_ok(llmd_delta_checkpoint_with(t, &co, &v));
    ck_assert_int_eq(v, 1);
    for (int c = 0; c <= 1; c++) {
        fmt(p, sizeof p, "%s/_delta_log/%020d.json", dir, c);
        ck_assert_int_eq(unlink(p), 0);
    }
    fmt(p, sizeof p, "%s/_delta_log/00000000000000000001.checkpoint.0000000001.0000000003.parquet", dir);
    write_text(p, "a stray part of an incomplete 3-part checkpoint");
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(s), 1);
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 6);
    for (size_t i = 0; i < 6; i++) {
        llmd_delta_file f;
        ck_ok(llmd_delta_snapshot_file(s, i, &f));
        char want[32];
        fmt(want, sizeof want, "f%zu.parquet", i);
        ck_assert_str_eq(f.path, want);
        ck_assert_int_eq(f.size, 10 + (int64_t)i);
    }
    llmd_delta_snapshot_free(s);
    /* one part missing: the checkpoint is not used, and without the commits that is an error */
    fmt(p, sizeof p, "%s/_delta_log/00000000000000000001.checkpoint.0000000002.0000000002.parquet", dir);
    ck_assert_int_eq(unlink(p), 0);
    ck_fails(llmd_delta_snapshot_latest(&s, t), LLMD_ERR_UNSUPPORTED, "is incomplete");
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* ---- scan.c: scans of every type, partition values, predicates ---------------------------------------------- */
static void expect_file(const char *path, const char *want) {
    char *got = slurp(path);
    ck_assert_msg(strcmp(got, want) == 0, "%s:\n%s\nwanted:\n%s", path, got, want);
    llmd_free(got);
}

static llmd_delta_snapshot *latest(const char *dir) {
    llmd_delta_table *t = open_table(dir);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    llmd_delta_table_free(t);
    return s;
}

#define TYPES_FILE_SCHEMA STRUCT(FIELD("id", "\"long\"") "," FIELD("s", "\"string\"") "," FIELD("d", "\"double\"") "," \
    FIELD("f", "\"float\"") "," FIELD("b", "\"boolean\"") "," FIELD("by", "\"byte\"") "," FIELD("sh", "\"short\"") "," \
    FIELD("i", "\"integer\"") "," FIELD("dt", "\"date\"") "," FIELD("ts", "\"timestamp\"") "," FIELD("tsn", "\"timestamp_ntz\"") "," \
    FIELD("tl", "\"%s\"") "," FIELD("dec", "\"decimal(10,2)\"") "," FIELD("bin", "\"binary\"") "," \
    FIELD("st", STRUCT(FIELD("x", "\"integer\"") "," FIELD("y", "\"string\""))) "," \
    FIELD("arr", "{\"type\":\"array\",\"elementType\":\"long\",\"containsNull\":true}") "," \
    FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\",\"valueContainsNull\":true}") "%s")

START_TEST(test_scan_every_type) {
    make_tmp();
    char dir[700], data[800], out[800], schema[4096], fschema[4096];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    mkdir_p(dir);
    /* the file stores tl as a timestamp not adjusted to UTC (INT96-style); the table calls it a
     * timestamp (an instant), so it reads with "Z"; column `missing` is not in the file: null */
    fmt(fschema, sizeof fschema, TYPES_FILE_SCHEMA, "timestamp_local", "");
    fmt(schema, sizeof schema, TYPES_FILE_SCHEMA, "timestamp", "," FIELD("missing", "\"string\""));
    fmt(data, sizeof data, "%s/data.parquet", dir);
    write_parquet(data, fschema,
                  "[{\"id\":1,\"s\":\"a\\\"b\",\"d\":0.1,\"f\":1.5,\"b\":true,\"by\":-3,\"sh\":300,\"i\":70000,\"dt\":\"2024-02-29\","
                  "\"ts\":\"2021-09-08T11:11:11.123456Z\",\"tsn\":\"2021-09-08T11:11:11\",\"tl\":\"2000-01-01T00:00:00\","
                  "\"dec\":\"-12.34\",\"bin\":\"xy\",\"st\":{\"x\":5,\"y\":\"z\"},\"arr\":[1,null],\"m\":{\"k\":7}},"
                  "{\"id\":2}]", 1);
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, schema, "[]", "{}");
    put_add(&b, "data.parquet", "{}", NULL, NULL);
    commit_buf(dir, 0, &b);
    llmd_delta_snapshot *s = latest(dir);
    fmt(out, sizeof out, "%s/out.jsonl", g_tmp);
    uint64_t rows = 0;
    ck_ok(llmd_delta_scan_jsonl(s, out, NULL, &rows));
    ck_assert_uint_eq(rows, 2);
    const char *want =
        "{\"id\":1,\"s\":\"a\\\"b\",\"d\":0.1,\"f\":1.5,\"b\":true,\"by\":-3,\"sh\":300,\"i\":70000,\"dt\":\"2024-02-29\","
        "\"ts\":\"2021-09-08T11:11:11.123456Z\",\"tsn\":\"2021-09-08T11:11:11.000000\",\"tl\":\"2000-01-01T00:00:00.000000Z\","
        "\"dec\":-12.34,\"bin\":\"xy\",\"st\":{\"x\":5,\"y\":\"z\"},\"arr\":[1,null],\"m\":{\"k\":7},\"missing\":null}\n"
        "{\"id\":2,\"s\":null,\"d\":null,\"f\":null,\"b\":null,\"by\":null,\"sh\":null,\"i\":null,\"dt\":null,\"ts\":null,"
        "\"tsn\":null,\"tl\":null,\"dec\":null,\"bin\":null,\"st\":null,\"arr\":null,\"m\":null,\"missing\":null}\n";
    expect_file(out, want);
    /* selected columns, in the order asked */
    const char *cols[] = {"st", "id"};
    llmd_delta_scan_options so = LLMD_DELTA_SCAN_OPTIONS_INIT;
    so.columns = cols;
    so.n_columns = 2;
    ck_ok(llmd_delta_scan_jsonl(s, out, &so, NULL));
    expect_file(out, "{\"st\":{\"x\":5,\"y\":\"z\"},\"id\":1}\n{\"st\":null,\"id\":2}\n");
    const char *nocol[] = {"zz"};
    so.columns = nocol;
    so.n_columns = 1;
    ck_fails(llmd_delta_scan_jsonl(s, out, &so, NULL), LLMD_ERR_NOT_FOUND, "scan: no column 'zz'");
    so = (llmd_delta_scan_options)LLMD_DELTA_SCAN_OPTIONS_INIT;
    so.version = 7;
    ck_fails(llmd_delta_scan_jsonl(s, out, &so, NULL), LLMD_ERR_VERSION, "llmd_delta_scan_options");
    ck_fails(llmd_delta_scan_jsonl(NULL, out, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_scan_parquet(s, NULL, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    /* Parquet output typed from the schema reads back (as a table of its own) to the same rows */
    char pq[900], dir2[800];
    fmt(dir2, sizeof dir2, "%s/t2", g_tmp);
    mkdir_p(dir2);
    fmt(pq, sizeof pq, "%s/out.parquet", dir2);
    rows = 0;
    ck_ok(llmd_delta_scan_parquet(s, pq, NULL, &rows));
    ck_assert_uint_eq(rows, 2);
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, schema, "[]", "{}");
    put_add(&b, "out.parquet", "{}", NULL, NULL);
    commit_buf(dir2, 0, &b);
    llmd_delta_snapshot *s2 = latest(dir2);
    ck_ok(llmd_delta_scan_jsonl(s2, out, NULL, &rows));
    expect_file(out, want);
    llmd_delta_snapshot_free(s2);
    /* an output directory that does not exist */
    fmt(pq, sizeof pq, "%s/no/such/dir/out.jsonl", g_tmp);
    ck_assert_int_ne(llmd_delta_scan_jsonl(s, pq, NULL, NULL), LLMD_OK);
    llmd_delta_snapshot_free(s);
    /* a data file that is missing or not Parquet is named */
    ck_assert_int_eq(unlink(data), 0);
    s = latest(dir);
    ck_fails(llmd_delta_scan_jsonl(s, out, NULL, NULL), LLMD_ERR_NOT_FOUND, "data.parquet");
    write_text(data, "not parquet at all");
    ck_assert_int_ne(llmd_delta_scan_jsonl(s, out, NULL, NULL), LLMD_OK);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "data.parquet"));
    llmd_delta_snapshot_free(s);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_scan_parquet_unsupported_types) {
    make_tmp();
    char dir[700], data[800], out[800];
    static const char *const schemas[] = {
        STRUCT(FIELD("id", "\"long\"") "," FIELD("v", "\"void\"")),
        STRUCT(FIELD("id", "\"long\"") "," FIELD("s", STRUCT(FIELD("w", "\"variant\"")))),
        STRUCT(FIELD("id", "\"long\"") "," FIELD("a", "{\"type\":\"array\",\"elementType\":\"void\"}")),
        STRUCT(FIELD("id", "\"long\"") "," FIELD("m", "{\"type\":\"map\",\"keyType\":\"void\",\"valueType\":\"long\"}")),
        STRUCT(FIELD("id", "\"long\"") "," FIELD("m", "{\"type\":\"map\",\"keyType\":\"long\",\"valueType\":\"void\"}"))};
    static const char *const named[] = {"column 'v' has type 'void'", "column 'w' has type 'variant'",
                                        "column 'element' has type 'void'", "column 'key' has type 'void'",
                                        "column 'value' has type 'void'"};
    for (size_t i = 0; i < 5; i++) {
        fmt(dir, sizeof dir, "%s/t%zu", g_tmp, i);
        mkdir_p(dir);
        fmt(data, sizeof data, "%s/d.parquet", dir);
        write_parquet(data, STRUCT(FIELD("id", "\"long\"")), "[{\"id\":1}]", 0);
        llmd_buf b = LLMD_BUF_INIT;
        ck_ok(llmd_buf_puts(&b, P0));
        put_meta(&b, schemas[i], "[]", "{}");
        put_add(&b, "d.parquet", "{}", NULL, NULL);
        commit_buf(dir, 0, &b);
        llmd_delta_snapshot *s = latest(dir);
        fmt(out, sizeof out, "%s/o%zu.parquet", g_tmp, i);
        ck_fails(llmd_delta_scan_parquet(s, out, NULL, NULL), LLMD_ERR_UNSUPPORTED, named[i]);
        ck_assert_int_ne(access(out, F_OK), 0);
        /* JSON lines have no such limit: the void column reads as null */
        fmt(out, sizeof out, "%s/o%zu.jsonl", g_tmp, i);
        uint64_t rows = 0;
        ck_ok(llmd_delta_scan_jsonl(s, out, NULL, &rows));
        ck_assert_uint_eq(rows, 1);
        llmd_delta_snapshot_free(s);
    }
    rm_rf(g_tmp);
}
END_TEST

#define PART_SCHEMA STRUCT(FIELD("id", "\"long\"") "," FIELD("pi", "\"integer\"") "," FIELD("ps", "\"string\"") "," \
    FIELD("pb", "\"boolean\"") "," FIELD("pd", "\"double\"") "," FIELD("pf", "\"float\"") "," FIELD("pdec", "\"decimal(5,2)\"") "," \
    FIELD("pts", "\"timestamp\"") "," FIELD("ptn", "\"timestamp_ntz\"") "," FIELD("pdt", "\"date\"") "," FIELD("pl", "\"long\""))
#define PART_COLS "[\"pi\",\"ps\",\"pb\",\"pd\",\"pf\",\"pdec\",\"pts\",\"ptn\",\"pdt\",\"pl\"]"

static int may(const llmd_delta_snapshot *s, size_t i, const char *col, int op, const char *value) {
    llmd_delta_predicate p = {col, op, value};
    int r = llmd_delta_snapshot_file_may_match(s, i, &p, 1);
    ck_assert_msg(r == 0 || r == 1, "may_match(%s) -> %d: %s", col, r, llmd_last_error());
    return r;
}

START_TEST(test_scan_partition_values) {
    make_tmp();
    char dir[700], data[800], out[800];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    mkdir_p(dir);
    for (int i = 1; i <= 3; i++) {
        fmt(data, sizeof data, "%s/f%d.parquet", dir, i);
        char rows[64];
        fmt(rows, sizeof rows, "[{\"id\":%d}]", i);
        write_parquet(data, STRUCT(FIELD("id", "\"long\"")), rows, 0);
    }
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, PART_SCHEMA, PART_COLS, "{}");
    /* PROTOCOL.md "Partition Value Serialization": numbers, booleans, dates, timestamps as
     * "yyyy-MM-dd HH:mm:ss[.S]" (UTC); an empty string is a null value for any type */
    put_add(&b, "f1.parquet", "{\"pi\":\"7\",\"ps\":\"a b\",\"pb\":\"true\",\"pd\":\"1.5\",\"pf\":\"0.25\",\"pdec\":\"1.50\","
                              "\"pts\":\"2021-09-08 11:11:11.5\",\"ptn\":\"2021-09-08T01:02:03\",\"pdt\":\"2024-01-02\",\"pl\":\"-9\"}",
            NULL, NULL);
    /* values that do not parse as their type stay strings; null and "" are null */
    put_add(&b, "f2.parquet", "{\"pi\":\"x1\",\"ps\":\"\",\"pb\":\"false\",\"pd\":\"nan?\",\"pf\":\"\",\"pdec\":\"12a\","
                              "\"pts\":\"2021-09-08 11:11:11Z\",\"ptn\":\"2021-09-08 11:11:11+00:00\",\"pdt\":\"\",\"pl\":null}",
            NULL, NULL);
    put_add(&b, "f3.parquet", "{\"pb\":\"maybe\",\"pts\":\"not a time\",\"ptn\":\"2021-09-08 11:11:11.1234567\",\"pdec\":\"-1e2\"}",
            NULL, NULL);
    commit_buf(dir, 0, &b);
    llmd_delta_snapshot *s = latest(dir);
    fmt(out, sizeof out, "%s/out.jsonl", g_tmp);
    uint64_t rows = 0;
    ck_ok(llmd_delta_scan_jsonl(s, out, NULL, &rows));
    ck_assert_uint_eq(rows, 3);
    expect_file(out,
        "{\"id\":1,\"pi\":7,\"ps\":\"a b\",\"pb\":true,\"pd\":1.5,\"pf\":0.25,\"pdec\":1.50,\"pts\":\"2021-09-08T11:11:11.500000Z\","
        "\"ptn\":\"2021-09-08T01:02:03.000000\",\"pdt\":\"2024-01-02\",\"pl\":-9}\n"
        "{\"id\":2,\"pi\":\"x1\",\"ps\":null,\"pb\":false,\"pd\":\"nan?\",\"pf\":null,\"pdec\":\"12a\",\"pts\":\"2021-09-08T11:11:11.000000Z\","
        "\"ptn\":\"2021-09-08 11:11:11+00:00\",\"pdt\":null,\"pl\":null}\n"
        "{\"id\":3,\"pi\":null,\"ps\":null,\"pb\":\"maybe\",\"pd\":null,\"pf\":null,\"pdec\":-1e2,\"pts\":\"not a time\","
        "\"ptn\":\"2021-09-08T11:11:11.123456\",\"pdt\":null,\"pl\":null}\n");
    /* pruning by partition values: SQL semantics, comparisons with null (or unparsable) are false */
    ck_assert_int_eq(may(s, 0, "pi", LLMD_DELTA_EQ, "7"), 1);
    ck_assert_int_eq(may(s, 1, "pi", LLMD_DELTA_EQ, "7"), 0);
    ck_assert_int_eq(may(s, 2, "pi", LLMD_DELTA_EQ, "7"), 0);
    ck_assert_int_eq(may(s, 0, "pi", LLMD_DELTA_NE, "7"), 0);
    ck_assert_int_eq(may(s, 0, "pi", LLMD_DELTA_NE, "8"), 1);
    ck_assert_int_eq(may(s, 2, "pi", LLMD_DELTA_NE, "8"), 0);
    ck_assert_int_eq(may(s, 0, "pi", LLMD_DELTA_GT, "6.5"), 1);
    ck_assert_int_eq(may(s, 0, "pi", LLMD_DELTA_LT, "7"), 0);
    ck_assert_int_eq(may(s, 0, "pi", LLMD_DELTA_LE, "7"), 1);
    ck_assert_int_eq(may(s, 0, "pi", LLMD_DELTA_GE, "8"), 0);
    ck_assert_int_eq(may(s, 0, "pl", LLMD_DELTA_LT, "-8"), 1);
    ck_assert_int_eq(may(s, 0, "pd", LLMD_DELTA_LE, "1.5"), 1);
    ck_assert_int_eq(may(s, 0, "pdec", LLMD_DELTA_EQ, "1.5"), 1);
    ck_assert_int_eq(may(s, 2, "pdec", LLMD_DELTA_LT, "0"), 1);
    ck_assert_int_eq(may(s, 1, "pdec", LLMD_DELTA_LT, "100"), 0);
    ck_assert_int_eq(may(s, 0, "ps", LLMD_DELTA_IS_NULL, NULL), 0);
    ck_assert_int_eq(may(s, 1, "ps", LLMD_DELTA_IS_NULL, NULL), 1);
    ck_assert_int_eq(may(s, 2, "ps", LLMD_DELTA_IS_NULL, NULL), 1);
    ck_assert_int_eq(may(s, 0, "ps", LLMD_DELTA_NOT_NULL, NULL), 1);
    ck_assert_int_eq(may(s, 1, "ps", LLMD_DELTA_NOT_NULL, NULL), 0);
    ck_assert_int_eq(may(s, 0, "ps", LLMD_DELTA_EQ, "a b"), 1);
    ck_assert_int_eq(may(s, 0, "ps", LLMD_DELTA_GT, "a c"), 0);
    ck_assert_int_eq(may(s, 0, "pb", LLMD_DELTA_EQ, "true"), 1);
    ck_assert_int_eq(may(s, 1, "pb", LLMD_DELTA_EQ, "true"), 0);
    ck_assert_int_eq(may(s, 1, "pb", LLMD_DELTA_LT, "true"), 1);
    ck_assert_int_eq(may(s, 2, "pb", LLMD_DELTA_EQ, "false"), 0);
    ck_assert_int_eq(may(s, 0, "pts", LLMD_DELTA_GE, "2021-09-08T11:11:11Z"), 1);
    ck_assert_int_eq(may(s, 1, "pts", LLMD_DELTA_GE, "2021-09-08T11:11:11Z"), 1);
    ck_assert_int_eq(may(s, 2, "pts", LLMD_DELTA_GE, "2021-09-08T11:11:11Z"), 0);
    ck_assert_int_eq(may(s, 0, "pts", LLMD_DELTA_LT, "2021-09-08 11:11:11.2"), 0);
    ck_assert_int_eq(may(s, 0, "pts", LLMD_DELTA_LT, "garbage"), 0);
    ck_assert_int_eq(may(s, 2, "ptn", LLMD_DELTA_GT, "2021-09-08T11:11:11"), 1);
    ck_assert_int_eq(may(s, 0, "pdt", LLMD_DELTA_GT, "2024-01-01"), 1);
    ck_assert_int_eq(may(s, 0, "pdt", LLMD_DELTA_GT, "2024-01-02"), 0);
    /* two predicates: all must hold */
    llmd_delta_predicate two[2] = {{"pi", LLMD_DELTA_EQ, "7"}, {"pb", LLMD_DELTA_EQ, "false"}};
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, two, 2), 0);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, two, 1), 1);
    ck_assert_int_eq(llmd_delta_snapshot_file_may_match(s, 0, NULL, 0), 1);
    /* a scan with a predicate on a column not in the output: read, filtered, dropped */
    const char *cols[] = {"id"};
    llmd_delta_scan_options so = LLMD_DELTA_SCAN_OPTIONS_INIT;
    so.columns = cols;
    so.n_columns = 1;
    llmd_delta_predicate pr = {"pts", LLMD_DELTA_GE, "2021-09-08 11:11:11"};
    so.predicates = &pr;
    so.n_predicates = 1;
    ck_ok(llmd_delta_scan_jsonl(s, out, &so, &rows));
    ck_assert_uint_eq(rows, 2);
    expect_file(out, "{\"id\":1}\n{\"id\":2}\n");
    ck_ok(llmd_delta_scan_parquet(s, out, &so, &rows));
    ck_assert_uint_eq(rows, 2);
    /* only partition columns: no data column is read, each row still counts */
    const char *pcols[] = {"pi", "pl"};
    so = (llmd_delta_scan_options)LLMD_DELTA_SCAN_OPTIONS_INIT;
    so.columns = pcols;
    so.n_columns = 2;
    ck_ok(llmd_delta_scan_jsonl(s, out, &so, &rows));
    expect_file(out, "{\"pi\":7,\"pl\":-9}\n{\"pi\":\"x1\",\"pl\":null}\n{\"pi\":null,\"pl\":null}\n");
    /* nothing matches: an empty Parquet file */
    llmd_delta_predicate none = {"pi", LLMD_DELTA_GT, "100"};
    so.predicates = &none;
    so.n_predicates = 1;
    ck_ok(llmd_delta_scan_parquet(s, out, &so, &rows));
    ck_assert_uint_eq(rows, 0);
    llmd_delta_snapshot_free(s);
    /* byte, short and float partitions; integers with trailing text stay strings */
    fmt(dir, sizeof dir, "%s/t2", g_tmp);
    mkdir_p(dir);
    fmt(data, sizeof data, "%s/f1.parquet", dir);
    write_parquet(data, STRUCT(FIELD("id", "\"long\"")), "[{\"id\":1}]", 0);
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, STRUCT(FIELD("id", "\"long\"") "," FIELD("pby", "\"byte\"") "," FIELD("psh", "\"short\"") "," FIELD("pf", "\"float\"") ","
                        FIELD("pts", "\"timestamp\"")),
             "[\"pby\",\"psh\",\"pf\",\"pts\",7]", "{}");
    put_add(&b, "f1.parquet", "{\"pby\":\"-1\",\"psh\":\"2x\",\"pf\":\"1e-1\",\"pts\":\"2021-09-08 11:11:11+00:00\"}", NULL, NULL);
    commit_buf(dir, 0, &b);
    s = latest(dir);
    ck_ok(llmd_delta_scan_jsonl(s, out, NULL, &rows));
    expect_file(out, "{\"id\":1,\"pby\":-1,\"psh\":\"2x\",\"pf\":0.1,\"pts\":\"2021-09-08T11:11:11.000000Z\"}\n");
    ck_assert_int_eq(may(s, 0, "pby", LLMD_DELTA_LT, "0"), 1);
    ck_assert_int_eq(may(s, 0, "pf", LLMD_DELTA_GT, "0.2"), 0);
    ck_assert_int_eq(may(s, 0, "psh", LLMD_DELTA_EQ, "2"), 0);
    llmd_delta_snapshot_free(s);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_scan_stats_pruning_and_predicate_errors) {
    make_tmp();
    char dir[700], data[800], out[800];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    mkdir_p(dir);
    const char *fs = STRUCT(FIELD("id", "\"long\"") "," FIELD("name", "\"string\"") "," FIELD("ts", "\"timestamp\"") ","
                            FIELD("ok", "\"boolean\"") "," FIELD("st", STRUCT(FIELD("x", "\"long\""))));
    static const char *const rows_of[] = {
        "[{\"id\":1,\"name\":\"a\",\"ts\":\"2021-01-01T00:00:00Z\",\"ok\":true},{\"id\":2,\"ts\":\"2021-01-01T12:00:00Z\",\"ok\":false},"
        "{\"id\":3,\"name\":\"c\",\"ts\":\"2021-01-02T00:00:00Z\"}]",
        "[{\"name\":\"n1\"},{\"name\":\"n2\"}]", "[{\"id\":10,\"name\":\"x\"}]", "[{\"id\":11,\"name\":\"y\"}]"};
    for (int i = 0; i < 4; i++) {
        fmt(data, sizeof data, "%s/s%d.parquet", dir, i + 5);
        write_parquet(data, fs, "[]", 0);
        fmt(data, sizeof data, "%s/s%d.parquet", dir, i + 1);
        write_parquet(data, fs, rows_of[i], 0);
    }
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, fs, "[]", "{\"delta.columnMapping.mode\":\"none\"}");
    put_add(&b, "s1.parquet", NULL, "{\"numRecords\":3,\"minValues\":{\"id\":1,\"name\":\"a\",\"ts\":\"2021-01-01T00:00:00.000Z\"},"
                                    "\"maxValues\":{\"id\":3,\"name\":\"c\",\"ts\":\"2021-01-02T00:00:00.000Z\"},"
                                    "\"nullCount\":{\"id\":0,\"name\":1,\"ts\":0}}", NULL);
    put_add(&b, "s2.parquet", NULL, "{\"numRecords\":2,\"nullCount\":{\"id\":2}}", NULL);
    put_add(&b, "s3.parquet", NULL, NULL, NULL);
    put_add(&b, "s4.parquet", NULL, "not json", NULL);
    put_add(&b, "s5.parquet", NULL, "{\"minValues\":{\"id\":\"2\",\"name\":\"m\"},\"maxValues\":{\"id\":true,\"name\":5},\"nullCount\":{\"id\":0}}", NULL);
    put_add(&b, "s6.parquet", NULL, "{\"numRecords\":1,\"minValues\":{\"id\":\"x\"}}", NULL);
    commit_buf(dir, 0, &b);
    llmd_delta_snapshot *s = latest(dir);
    /* min/max/nullCount/numRecords rule files out (PROTOCOL.md "Per-file Statistics") */
    static const struct { const char *col; int op; const char *v; int want[4]; } cases[] = {
        {"id", LLMD_DELTA_EQ, "2", {1, 0, 1, 1}},   {"id", LLMD_DELTA_EQ, "5", {0, 0, 1, 1}},
        {"id", LLMD_DELTA_EQ, "0", {0, 0, 1, 1}},   {"id", LLMD_DELTA_LT, "1", {0, 0, 1, 1}},
        {"id", LLMD_DELTA_LT, "2", {1, 0, 1, 1}},   {"id", LLMD_DELTA_LE, "1", {1, 0, 1, 1}},
        {"id", LLMD_DELTA_LE, "0", {0, 0, 1, 1}},   {"id", LLMD_DELTA_GT, "3", {0, 0, 1, 1}},
        {"id", LLMD_DELTA_GT, "2", {1, 0, 1, 1}},   {"id", LLMD_DELTA_GE, "4", {0, 0, 1, 1}},
        {"id", LLMD_DELTA_GE, "3", {1, 0, 1, 1}},   {"id", LLMD_DELTA_IS_NULL, NULL, {0, 1, 1, 1}},
        {"id", LLMD_DELTA_NOT_NULL, NULL, {1, 0, 1, 1}}, {"id", LLMD_DELTA_NE, "2", {1, 0, 1, 1}},
        {"name", LLMD_DELTA_IS_NULL, NULL, {1, 1, 1, 1}}, {"name", LLMD_DELTA_EQ, "d", {0, 1, 1, 1}},
        {"name", LLMD_DELTA_EQ, "b", {1, 1, 1, 1}}, {"ts", LLMD_DELTA_GT, "2021-01-03", {0, 1, 1, 1}},
        {"ts", LLMD_DELTA_LE, "2021-01-01 00:00:00", {1, 1, 1, 1}}, {"ok", LLMD_DELTA_EQ, "true", {1, 1, 1, 1}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (size_t i = 0; i < 4; i++)
            ck_assert_msg(may(s, i, cases[c].col, cases[c].op, cases[c].v) == cases[c].want[i], "case %zu file %zu", c, i);
    /* stats in odd shapes: a numeric minimum as text counts, anything else proves nothing; without
     * numRecords "all null" cannot be known */
    ck_assert_int_eq(may(s, 4, "id", LLMD_DELTA_LT, "2"), 0);
    ck_assert_int_eq(may(s, 4, "id", LLMD_DELTA_GT, "100"), 1);
    ck_assert_int_eq(may(s, 4, "name", LLMD_DELTA_GT, "z"), 1);
    ck_assert_int_eq(may(s, 4, "name", LLMD_DELTA_LT, "a"), 0);
    ck_assert_int_eq(may(s, 5, "id", LLMD_DELTA_LT, "0"), 1);
    ck_assert_int_eq(may(s, 5, "id", LLMD_DELTA_IS_NULL, NULL), 1);
    ck_assert_int_eq(may(s, 0, "id", LLMD_DELTA_IS_NULL, "ignored"), 0);
    /* the scan reads only what may match, then filters rows */
    fmt(out, sizeof out, "%s/out.jsonl", g_tmp);
    const char *cols[] = {"id", "name"};
    llmd_delta_scan_options so = LLMD_DELTA_SCAN_OPTIONS_INIT;
    so.columns = cols;
    so.n_columns = 2;
    llmd_delta_predicate p[2] = {{"id", LLMD_DELTA_GE, "2"}, {"name", LLMD_DELTA_NE, "x"}};
    so.predicates = p;
    so.n_predicates = 2;
    uint64_t rows = 0;
    ck_ok(llmd_delta_scan_jsonl(s, out, &so, &rows));
    ck_assert_uint_eq(rows, 2);
    expect_file(out, "{\"id\":3,\"name\":\"c\"}\n{\"id\":11,\"name\":\"y\"}\n");
    llmd_delta_predicate pb = {"ok", LLMD_DELTA_EQ, "false"};
    so.predicates = &pb;
    so.n_predicates = 1;
    ck_ok(llmd_delta_scan_jsonl(s, out, &so, &rows));
    expect_file(out, "{\"id\":2,\"name\":null}\n");
    /* bad predicates */
    static const struct { llmd_delta_predicate p; llmd_status st; const char *needle; } bad[] = {
        {{NULL, LLMD_DELTA_EQ, "1"}, LLMD_ERR_INVALID_ARG, "predicate without a column"},
        {{"id", 99, "1"}, LLMD_ERR_INVALID_ARG, "predicate on 'id': unknown op 99"},
        {{"id", -1, "1"}, LLMD_ERR_INVALID_ARG, "unknown op -1"},
        {{"id", LLMD_DELTA_EQ, NULL}, LLMD_ERR_INVALID_ARG, "predicate on 'id' needs a value"},
        {{"zz", LLMD_DELTA_EQ, "1"}, LLMD_ERR_NOT_FOUND, "predicate: no column 'zz'"},
        {{"st", LLMD_DELTA_IS_NULL, NULL}, LLMD_ERR_INVALID_ARG, "column 'st' is not primitive"},
        {{"id", LLMD_DELTA_EQ, "abc"}, LLMD_ERR_INVALID_ARG, "'abc' is not a number for column 'id'"},
        {{"id", LLMD_DELTA_EQ, ""}, LLMD_ERR_INVALID_ARG, "'' is not a number"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_fails(llmd_delta_snapshot_file_may_match(s, 0, &bad[i].p, 1), bad[i].st, bad[i].needle);
        so.predicates = &bad[i].p;
        ck_fails(llmd_delta_scan_jsonl(s, out, &so, NULL), bad[i].st, bad[i].needle);
    }
    ck_fails(llmd_delta_snapshot_file_may_match(NULL, 0, p, 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_file_may_match(s, 0, NULL, 1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_snapshot_file_may_match(s, 6, p, 1), LLMD_ERR_RANGE, "file 6 of a snapshot with 6 files");
    llmd_delta_snapshot_free(s);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_scan_column_mapping) {
    make_tmp();
    char dir[700], data[800], out[800];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    mkdir_p(dir);
#define MAPPED(n, phys, t) "{\"name\":\"" n "\",\"type\":" t ",\"nullable\":true,\"metadata\":{\"delta.columnMapping.id\":1," \
                           "\"delta.columnMapping.physicalName\":\"" phys "\"}}"
    const char *schema = STRUCT(MAPPED("id", "col-1", "\"long\"") ","
                                MAPPED("st", "col-2", STRUCT(MAPPED("x", "col-x", "\"integer\"") "," FIELD("same", "\"integer\""))) ","
                                MAPPED("arr", "col-3", "{\"type\":\"array\",\"elementType\":" STRUCT(MAPPED("y", "col-y", "\"integer\"")) "}") ","
                                MAPPED("m", "col-4", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":" STRUCT(MAPPED("z", "col-z", "\"integer\"")) "}") ","
                                MAPPED("p", "col-p", "\"string\""));
    fmt(data, sizeof data, "%s/d.parquet", dir);
    write_parquet(data, STRUCT(FIELD("col-1", "\"long\"") "," FIELD("col-2", STRUCT(FIELD("col-x", "\"integer\"") "," FIELD("same", "\"integer\""))) ","
                               FIELD("col-3", "{\"type\":\"array\",\"elementType\":" STRUCT(FIELD("col-y", "\"integer\"")) "}") ","
                               FIELD("col-4", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":" STRUCT(FIELD("col-z", "\"integer\"")) "}")),
                  "[{\"col-1\":1,\"col-2\":{\"col-x\":5,\"same\":6},\"col-3\":[{\"col-y\":6},null],\"col-4\":{\"k\":{\"col-z\":7}}},{\"col-1\":2}]", 0);
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":2,\"minWriterVersion\":5}}\n"));
    put_meta(&b, schema, "[\"p\"]", "{\"delta.columnMapping.mode\":\"name\",\"delta.columnMapping.maxColumnId\":\"9\"}");
    /* partitionValues keyed by the physical name; a writer that used the logical one is read too */
    put_add(&b, "d.parquet", "{\"col-p\":\"v\"}", "{\"numRecords\":1,\"minValues\":{\"col-1\":1},\"maxValues\":{\"col-1\":1}}", NULL);
    put_add(&b, "/abs/ignored-by-pruning.parquet", "{\"p\":\"w\"}", NULL, NULL);
    commit_buf(dir, 0, &b);
    llmd_delta_snapshot *s = latest(dir);
    ck_assert_int_eq(may(s, 1, "id", LLMD_DELTA_GT, "1"), 0);
    ck_assert_int_eq(may(s, 1, "id", LLMD_DELTA_EQ, "1"), 1);
    ck_assert_int_eq(may(s, 1, "p", LLMD_DELTA_EQ, "v"), 1);
    ck_assert_int_eq(may(s, 0, "p", LLMD_DELTA_EQ, "v"), 0);
    fmt(out, sizeof out, "%s/out.jsonl", g_tmp);
    llmd_delta_scan_options so = LLMD_DELTA_SCAN_OPTIONS_INIT;
    llmd_delta_predicate pr = {"p", LLMD_DELTA_EQ, "v"};
    so.predicates = &pr;
    so.n_predicates = 1;
    uint64_t rows = 0;
    ck_ok(llmd_delta_scan_jsonl(s, out, &so, &rows));
    ck_assert_uint_eq(rows, 2);
    expect_file(out, "{\"id\":1,\"st\":{\"x\":5,\"same\":6},\"arr\":[{\"y\":6},null],\"m\":{\"k\":{\"z\":7}},\"p\":\"v\"}\n"
                     "{\"id\":2,\"st\":null,\"arr\":null,\"m\":null,\"p\":\"v\"}\n");
    /* the absolute path of the other file is read as such: missing, and named */
    so.n_predicates = 0;
    ck_fails(llmd_delta_scan_jsonl(s, out, &so, &rows), LLMD_ERR_NOT_FOUND, "/abs/ignored-by-pruning.parquet");
    llmd_delta_snapshot_free(s);
#undef MAPPED
    rm_rf(g_tmp);
}
END_TEST

/* ---- scan.c: deletion vectors (PROTOCOL.md "Deletion Vector Format", CRoaring's portable format) ----------- */
static const char k_z85_alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* Z85 (ZeroMQ RFC 32) of n bytes, n a multiple of 4. */
static void z85(const uint8_t *b, size_t n, char *out) {
    size_t o = 0;
    for (size_t i = 0; i < n; i += 4) {
        uint32_t v = (uint32_t)b[i] << 24 | (uint32_t)b[i + 1] << 16 | (uint32_t)b[i + 2] << 8 | b[i + 3];
        for (int k = 4; k >= 0; k--) {
            out[o + (size_t)k] = k_z85_alphabet[v % 85];
            v /= 85;
        }
        o += 5;
    }
    out[o] = '\0';
}

typedef struct bytes { uint8_t d[16384]; size_t n; } bytes;
static void put16(bytes *b, uint16_t v) { b->d[b->n++] = (uint8_t)v; b->d[b->n++] = (uint8_t)(v >> 8); }
static void put32(bytes *b, uint32_t v) { put16(b, (uint16_t)v); put16(b, (uint16_t)(v >> 16)); }
static void put64(bytes *b, uint64_t v) { put32(b, (uint32_t)v); put32(b, (uint32_t)(v >> 32)); }
static void pad4(bytes *b) { while (b->n % 4) b->d[b->n++] = 0; }

/* RoaringBitmapArray header: magic 1681511377, then the number of 32-bit bitmaps. */
static void dv_header(bytes *b, uint64_t count) {
    b->n = 0;
    put32(b, 1681511377u);
    put64(b, count);
}

/* A bitmap (key = high 32 bits) of array containers (no-run cookie 12346), one per entry of keys. */
static void dv_array_bitmap(bytes *b, uint32_t high, const uint16_t *keys, const uint16_t *const *vals, const int *cards, int n) {
    put32(b, high);
    put32(b, 12346);
    put32(b, (uint32_t)n);
    for (int c = 0; c < n; c++) { put16(b, keys[c]); put16(b, (uint16_t)(cards[c] - 1)); }
    for (int c = 0; c < n; c++) put32(b, 0);   /* offsets (unused by sequential readers) */
    for (int c = 0; c < n; c++)
        for (int k = 0; k < cards[c]; k++) put16(b, vals[c][k]);
}

/* The table: one data file of 5000 rows (ids 0..4999) in two row groups, read by absolute path,
 * with the given deletionVector descriptor.  Returns the scan status; *out the rows. */
static char g_dvdata[700];
static llmd_status dv_scan(const char *dir, const char *dv, uint64_t *nrows, char **first) {
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\"],"
                            "\"writerFeatures\":[\"deletionVectors\"]}}\n"));
    put_meta(&b, STRUCT(FIELD("id", "\"long\"")), "[]", "{}");
    put_add(&b, g_dvdata, "{}", NULL, dv);
    commit_buf(dir, 0, &b);
    llmd_delta_snapshot *s = latest(dir);
    char out[800];
    fmt(out, sizeof out, "%s.jsonl", dir);
    llmd_status st = llmd_delta_scan_jsonl(s, out, NULL, nrows);
    if (st == LLMD_OK && first) {
        char *all = slurp(out);
        size_t cut = strcspn(all, "\n");
        if (all[cut] == '\n') all[cut + 1] = '\0';
        *first = all;
    }
    llmd_delta_snapshot_free(s);
    return st;
}

/* The descriptor of bytes b stored inline. */
static void inline_dv(const bytes *b, char *out, size_t n) {
    char z[8000];
    bytes c = *b;
    size_t size = c.n;
    pad4(&c);
    z85(c.d, c.n, z);
    fmt(out, n, "{\"storageType\":\"i\",\"pathOrInlineDv\":\"%s\",\"sizeInBytes\":%zu,\"cardinality\":1}", z, size);
}

/* b written to `path` as a DV file: format version byte, then at offset 1 the big-endian size, the
 * bytes and a CRC (not checked by the reader). */
static void dv_file(const char *path, const bytes *b) {
    static uint8_t buf[20000];
    size_t n = 0;
    buf[n++] = 1;
    buf[n++] = (uint8_t)(b->n >> 24);
    buf[n++] = (uint8_t)(b->n >> 16);
    buf[n++] = (uint8_t)(b->n >> 8);
    buf[n++] = (uint8_t)b->n;
    memcpy(buf + n, b->d, b->n);
    n += b->n;
    memset(buf + n, 0, 4);
    write_bytes(path, buf, n + 4);
}

START_TEST(test_scan_deletion_vectors) {
    make_tmp();
    fmt(g_dvdata, sizeof g_dvdata, "%s/data.parquet", g_tmp);
    llmd_buf rows = LLMD_BUF_INIT;
    ck_ok(llmd_buf_putc(&rows, '['));
    for (int i = 0; i < 5000; i++) ck_ok(llmd_buf_printf(&rows, "%s{\"id\":%d}", i ? "," : "", i));
    ck_ok(llmd_buf_putc(&rows, ']'));
    write_parquet(g_dvdata, STRUCT(FIELD("id", "\"long\"")), rows.data, 3000);
    llmd_buf_free(&rows);
    char dir[800], desc[9000], path[900];
    uint64_t n = 0;
    char *first = NULL;
    bytes b;
    int t = 0;
#define NEXT_DIR() fmt(dir, sizeof dir, "%s/t%d", g_tmp, t++)
    /* inline, array container {1, 3} */
    dv_header(&b, 1);
    static const uint16_t keys0[] = {0}, v13[] = {3, 1};
    const uint16_t *vals13[] = {v13};
    const int card2[] = {2};
    dv_array_bitmap(&b, 0, keys0, vals13, card2, 1);
    inline_dv(&b, desc, sizeof desc);
    NEXT_DIR();
    ck_ok(dv_scan(dir, desc, &n, &first));
    ck_assert_uint_eq(n, 4998);
    ck_assert_str_eq(first, "{\"id\":0}\n");
    llmd_free(first);
    /* a single deleted row */
    dv_header(&b, 1);
    static const uint16_t v4[] = {4};
    const uint16_t *vals4[] = {v4};
    const int card1a[] = {1};
    dv_array_bitmap(&b, 0, keys0, vals4, card1a, 1);
    inline_dv(&b, desc, sizeof desc);
    NEXT_DIR();
    ck_ok(dv_scan(dir, desc, &n, NULL));
    ck_assert_uint_eq(n, 4999);
    /* an absolute ('p') file at offset 1: a run container {0, 1} among four containers (the run
     * cookie with offsets), and a second bitmap for rows >= 2^32 (past the file's end) */
    dv_header(&b, 2);
    put32(&b, 0);
    put32(&b, 12347u | (3u << 16));
    b.d[b.n++] = 0x01;   /* container 0 is a run container */
    for (uint16_t c = 0; c < 4; c++) { put16(&b, c); put16(&b, 0); }
    for (int c = 0; c < 4; c++) put32(&b, 0);
    put16(&b, 1); put16(&b, 0); put16(&b, 1);   /* one run: start 0, length 2 */
    for (int c = 1; c < 4; c++) put16(&b, 7);   /* arrays {7} in the high containers */
    static const uint16_t v0[] = {0};
    const uint16_t *vals0[] = {v0};
    const int card1[] = {1};
    dv_array_bitmap(&b, 1, keys0, vals0, card1, 1);
    fmt(path, sizeof path, "%s/abs dv.bin", g_tmp);
    dv_file(path, &b);
    fmt(desc, sizeof desc, "{\"storageType\":\"p\",\"pathOrInlineDv\":\"file://%s/abs%%20dv.bin\",\"offset\":1,"
                                "\"sizeInBytes\":%zu,\"cardinality\":2}", g_tmp, b.n);
    NEXT_DIR();
    ck_ok(dv_scan(dir, desc, &n, &first));
    ck_assert_uint_eq(n, 4998);
    ck_assert_str_eq(first, "{\"id\":2}\n");
    llmd_free(first);
    /* a table-relative ('u') file under a prefix: a bitmap container (4097 rows: 0..4096) */
    uint8_t uuid[16];
    for (int i = 0; i < 16; i++) uuid[i] = (uint8_t)(0x11 * i);
    char zu[32];
    z85(uuid, 16, zu);
    dv_header(&b, 1);
    put32(&b, 0);
    put32(&b, 12346);
    put32(&b, 1);
    put16(&b, 0);
    put16(&b, 4096);
    put32(&b, 0);
    memset(b.d + b.n, 0, 8192);
    for (int r = 0; r <= 4096; r++) b.d[b.n + (size_t)r / 8] |= (uint8_t)(1u << (r % 8));
    b.n += 8192;
    NEXT_DIR();
    fmt(path, sizeof path, "%s/ab", dir);
    mkdir_p(path);
    fmt(path, sizeof path, "%s/ab/deletion_vector_00112233-4455-6677-8899-aabbccddeeff.bin", dir);
    dv_file(path, &b);
    fmt(desc, sizeof desc, "{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab%s\",\"offset\":1,\"sizeInBytes\":%zu,"
                                "\"cardinality\":4097}", zu, b.n);
    ck_ok(dv_scan(dir, desc, &n, &first));
    ck_assert_uint_eq(n, 903);
    ck_assert_str_eq(first, "{\"id\":4097}\n");
    llmd_free(first);
    /* the same without a prefix: the file sits at the table's root */
    NEXT_DIR();
    mkdir_p(dir);
    fmt(path, sizeof path, "%s/deletion_vector_00112233-4455-6677-8899-aabbccddeeff.bin", dir);
    dv_file(path, &b);
    fmt(desc, sizeof desc, "{\"storageType\":\"u\",\"pathOrInlineDv\":\"%s\",\"offset\":1}", zu);
    ck_ok(dv_scan(dir, desc, &n, NULL));
    ck_assert_uint_eq(n, 903);

    /* damaged vectors: the scan fails naming the data file and the problem */
    struct { const char *dv; llmd_status st; const char *needle; } bad[32];
    size_t nb = 0;
    static char descs[32][9000];
#define BAD(d, s_, nd) do { fmt(descs[nb], sizeof descs[nb], "%s", d); bad[nb].dv = descs[nb]; bad[nb].st = s_; bad[nb].needle = nd; nb++; } while (0)
    BAD("{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcdefg\"}", LLMD_ERR_PARSE, "Z85 text of 7 characters");
    BAD("{\"storageType\":\"i\",\"pathOrInlineDv\":\"abc d\"}", LLMD_ERR_PARSE, "' ' is not Z85");
    BAD("{\"storageType\":\"i\",\"pathOrInlineDv\":\"#####\"}", LLMD_ERR_PARSE, "Z85 group out of range");
    BAD("{\"storageType\":\"x\",\"pathOrInlineDv\":\"abcde\"}", LLMD_ERR_UNSUPPORTED, "deletion vector storage type 'x'");
    BAD("{\"storageType\":\"u\",\"pathOrInlineDv\":\"short\"}", LLMD_ERR_PARSE, "deletionVector path 'short' too short");
    BAD("{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab~~~~~~~~~~~~~~~~~~~~\"}", LLMD_ERR_PARSE, "'~' is not Z85");
    BAD("{\"storageType\":\"p\",\"pathOrInlineDv\":\"/nonexistent/dv.bin\"}", LLMD_ERR_NOT_FOUND, "deletion vector file /nonexistent/dv.bin");
    bytes e;
    dv_header(&e, 0);
    e.d[0] ^= 1;   /* bad magic */
    inline_dv(&e, desc, sizeof desc);
    BAD(desc, LLMD_ERR_CORRUPT, "bad magic");
    dv_header(&e, 2);   /* two bitmaps announced, none there */
    inline_dv(&e, desc, sizeof desc);
    BAD(desc, LLMD_ERR_CORRUPT, "truncated bitmap array");
    dv_header(&e, 1);
    put32(&e, 0);
    put32(&e, 999);
    inline_dv(&e, desc, sizeof desc);
    BAD(desc, LLMD_ERR_CORRUPT, "bad Roaring cookie 999");
    dv_header(&e, 1);
    put32(&e, 0);
    put32(&e, 12346);
    put32(&e, 70000);
    inline_dv(&e, desc, sizeof desc);
    BAD(desc, LLMD_ERR_CORRUPT, "70000 Roaring containers");
    dv_header(&e, 1);
    put32(&e, 0);
    put32(&e, 12346);
    put32(&e, 1);
    inline_dv(&e, desc, sizeof desc);
    BAD(desc, LLMD_ERR_CORRUPT, "Roaring bitmap truncated");
    dv_header(&e, 1);   /* run cookie, run container whose runs are cut off */
    put32(&e, 0);
    put32(&e, 12347);
    e.d[e.n++] = 1;
    put16(&e, 0);
    put16(&e, 0);
    put16(&e, 5);
    inline_dv(&e, desc, sizeof desc);
    BAD(desc, LLMD_ERR_CORRUPT, "Roaring bitmap truncated");
    /* cut short at each step: before the cookie, in the run flags, before the container count,
     * in the offsets, before a run count, in an array container, in a bitmap container */
    static const uint32_t cut_cookie[] = {0, 12347u | (15u << 16), 12346, 12346, 12347, 12346, 12346};
    for (int c = 0; c < 7; c++) {
        dv_header(&e, 1);
        put32(&e, 0);
        if (c > 0) put32(&e, cut_cookie[c]);
        if (c == 3) { put32(&e, 1); put16(&e, 0); put16(&e, 0); }
        if (c == 4) { e.d[e.n++] = 1; put16(&e, 0); put16(&e, 0); }
        if (c == 5) { put32(&e, 1); put16(&e, 0); put16(&e, 2); put32(&e, 0); put16(&e, 1); }
        if (c == 6) { put32(&e, 1); put16(&e, 0); put16(&e, 4999); put32(&e, 0); put16(&e, 1); }
        inline_dv(&e, desc, sizeof desc);
        BAD(desc, LLMD_ERR_CORRUPT, "Roaring bitmap truncated");
    }
    /* DV files: shorter than the offset, a size over 1 GiB, data cut short */
    fmt(path, sizeof path, "%s/tiny.bin", g_tmp);
    write_bytes(path, "\x01\x00", 2);
    fmt(desc, sizeof desc, "{\"storageType\":\"p\",\"pathOrInlineDv\":\"%s\",\"offset\":1}", path);
    BAD(desc, LLMD_ERR_CORRUPT, "tiny.bin: truncated at 1");
    fmt(path, sizeof path, "%s/huge.bin", g_tmp);
    write_bytes(path, "\x01\x7f\xff\xff\xff\x00", 6);
    fmt(desc, sizeof desc, "{\"storageType\":\"p\",\"pathOrInlineDv\":\"%s\",\"offset\":1}", path);
    BAD(desc, LLMD_ERR_RANGE, "deletion vector of 2147483647 bytes");
    fmt(path, sizeof path, "%s/cut.bin", g_tmp);
    write_bytes(path, "\x01\x00\x00\x00\x64\x00\x00", 7);
    fmt(desc, sizeof desc, "{\"storageType\":\"p\",\"pathOrInlineDv\":\"%s\",\"offset\":1}", path);
    BAD(desc, LLMD_ERR_CORRUPT, "cut.bin: deletion vector truncated");
    for (size_t i = 0; i < nb; i++) {
        NEXT_DIR();
        ck_fails(dv_scan(dir, bad[i].dv, &n, NULL), bad[i].st, bad[i].needle);
        ck_assert_msg(strstr(llmd_last_error(), g_dvdata) != NULL, "case %zu: '%s' does not name the data file", i, llmd_last_error());
    }
#undef BAD
#undef NEXT_DIR
    /* dl_dv_path: where each storage type lives */
    char *p = NULL;
    cJSON *d = J("{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\"}");
    ck_ok(dl_dv_path("/t", d, &p));
    ck_assert_ptr_null(p);
    cJSON_Delete(d);
    fmt(desc, sizeof desc, "{\"storageType\":\"u\",\"pathOrInlineDv\":\"xy%s\"}", zu);
    d = J(desc);
    ck_ok(dl_dv_path(NULL, d, &p));
    ck_assert_str_eq(p, "xy/deletion_vector_00112233-4455-6677-8899-aabbccddeeff.bin");
    llmd_free(p);
    ck_ok(dl_dv_path("/t", d, &p));
    ck_assert_str_eq(p, "/t/xy/deletion_vector_00112233-4455-6677-8899-aabbccddeeff.bin");
    llmd_free(p);
    cJSON_Delete(d);
    d = J("{\"storageType\":\"p\",\"pathOrInlineDv\":\"file:///a%20b/c.bin\"}");
    ck_ok(dl_dv_path("/t", d, &p));
    ck_assert_str_eq(p, "/a b/c.bin");
    llmd_free(p);
    cJSON_Delete(d);
    d = J("{\"storageType\":\"p\"}");
    ck_fails(dl_dv_path("/t", d, &p), LLMD_ERR_PARSE, "without storageType/pathOrInlineDv");
    cJSON_Delete(d);
    d = J("{\"pathOrInlineDv\":\"abcde\"}");
    ck_fails(dl_dv_path("/t", d, &p), LLMD_ERR_PARSE, "without storageType/pathOrInlineDv");
    cJSON_Delete(d);
    d = J("{\"storageType\":\"q\",\"pathOrInlineDv\":\"abcde\"}");
    ck_fails(dl_dv_path("/t", d, &p), LLMD_ERR_UNSUPPORTED, "deletion vector storage type 'q'");
    cJSON_Delete(d);
    rm_rf(g_tmp);
}
END_TEST

/* ---- allocation failures: llmdata's allocator and cJSON's, every allocation in turn ----------------------- */
static long g_fail_at = -1, g_allocs = 0;
static bool fail_now(void) { return g_fail_at >= 0 && g_allocs++ == g_fail_at; }
static void *cj_malloc(size_t n) { return fail_now() ? NULL : malloc(n); }
static void *ll_malloc(void *ctx, size_t n) { (void)ctx; return fail_now() ? NULL : malloc(n); }
static void *ll_realloc(void *ctx, void *p, size_t old, size_t n) { (void)ctx; (void)old; return fail_now() ? NULL : realloc(p, n); }
static void ll_free(void *ctx, void *p) { (void)ctx; free(p); }

/* Reads the table every way the read side offers; the results are appended to *out.  Returns the
 * first failing status (its message is checked by the caller). */
typedef struct text { char d[65536]; size_t n; } text;
/* Appends to a test-owned buffer (plain malloc-free: the allocators under test are not used). */
static void outf(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void outf(text *t, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(t->d + t->n, sizeof t->d - t->n, fmt, ap);
    va_end(ap);
    ck_assert(w >= 0 && (size_t)w < sizeof t->d - t->n);
    t->n += (size_t)w;
}

static llmd_status read_everything(const char *dir, const char *scratch, text *out) {
    llmd_delta_table *t = NULL;
    llmd_delta_snapshot *s = NULL, *s0 = NULL;
    char *js = NULL, *data = NULL;
    char path[900];
    llmd_status st = llmd_delta_table_open(&t, dir, NULL);
    if (st == LLMD_OK) st = llmd_delta_snapshot_latest(&s, t);
    for (size_t i = 0; st == LLMD_OK && i < llmd_delta_snapshot_file_count(s); i++) {
        llmd_delta_file f;
        st = llmd_delta_snapshot_file(s, i, &f);
        if (st == LLMD_OK)
            outf(out, "%s|%s|%s|%s|%s\n", f.path, f.partition_values_json, f.stats_json ? f.stats_json : "-",
                            f.deletion_vector_json ? f.deletion_vector_json : "-", f.add_json);
    }
    if (st == LLMD_OK) st = llmd_delta_snapshot_to_json(s, &js, NULL);
    if (st == LLMD_OK) { outf(out, "%s", js); llmd_free(js); js = NULL; }
    if (st == LLMD_OK) st = llmd_delta_history_json(t, 0, &js, NULL);
    if (st == LLMD_OK) { outf(out, "%s", js); llmd_free(js); js = NULL; }
    if (st == LLMD_OK) st = llmd_delta_snapshot_at_timestamp(&s0, t, 1000000);
    if (st == LLMD_OK) outf(out, "v%lld\n", (long long)llmd_delta_snapshot_version(s0));
    llmd_delta_predicate pr[2] = {{"p", LLMD_DELTA_NOT_NULL, NULL}, {"id", LLMD_DELTA_GE, "1"}};
    if (st == LLMD_OK) {
        int r = llmd_delta_snapshot_file_may_match(s, 0, pr, 2);
        if (r < 0) st = (llmd_status)r;
        else outf(out, "m%d\n", r);
    }
    llmd_delta_scan_options so = LLMD_DELTA_SCAN_OPTIONS_INIT;
    so.predicates = pr;
    so.n_predicates = 2;
    uint64_t rows = 0;
    fmt(path, sizeof path, "%s/scan.jsonl", scratch);
    if (st == LLMD_OK) st = llmd_delta_scan_jsonl(s, path, &so, &rows);
    size_t len = 0;
    if (st == LLMD_OK) st = llmd_read_file(path, &data, &len);
    if (st == LLMD_OK) { outf(out, "%s", data); llmd_free(data); }
    fmt(path, sizeof path, "%s/scan.parquet", scratch);
    if (st == LLMD_OK) st = llmd_delta_scan_parquet(s, path, NULL, &rows);
    if (st == LLMD_OK) outf(out, "rows %llu\n", (unsigned long long)rows);
    llmd_delta_snapshot_free(s0);
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    return st;
}

START_TEST(test_allocation_failures) {
    make_tmp();
    char dir[700], data[800];
    fmt(dir, sizeof dir, "%s/t", g_tmp);
    mkdir_p(dir);
    fmt(data, sizeof data, "%s/d.parquet", dir);
    write_parquet(data, STRUCT(FIELD("id", "\"long\"") "," FIELD("st", STRUCT(FIELD("x", "\"integer\""))) ","
                               FIELD("arr", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                               FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}")),
                  "[{\"id\":1,\"st\":{\"x\":2},\"arr\":[3],\"m\":{\"k\":4}},{\"id\":5}]", 0);
    const char *schema = STRUCT(FIELD("id", "\"long\"") "," FIELD("st", STRUCT(FIELD("x", "\"integer\""))) ","
                                FIELD("arr", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                                FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}") ","
                                FIELD("p", "\"string\""));
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(llmd_buf_puts(&b, P0));
    put_meta(&b, schema, "[\"p\"]", "{}");
    put_add(&b, "d.parquet", "{\"p\":\"x\"}", "{\"numRecords\":2,\"minValues\":{\"id\":1},\"maxValues\":{\"id\":5},\"nullCount\":{\"id\":0}}", NULL);
    ck_ok(llmd_buf_puts(&b, "{\"commitInfo\":{\"operation\":\"CREATE\"}}\n{\"txn\":{\"appId\":\"a\",\"version\":1}}\n"
                            "{\"domainMetadata\":{\"domain\":\"d\",\"configuration\":\"{}\",\"removed\":false}}\n"));
    commit_buf(dir, 0, &b);
    ck_ok(llmd_buf_puts(&b, "{\"add\":{\"path\":\"d.parquet\",\"partitionValues\":{\"p\":\"y\"},\"size\":1,\"modificationTime\":1,"
                            "\"dataChange\":true,\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\"}}}\n"
                            "{\"remove\":{\"path\":\"gone.parquet\",\"deletionTimestamp\":1}}\n"));
    commit_buf(dir, 1, &b);
    set_commit_mtime(dir, 0, 1000000);
    set_commit_mtime(dir, 1, 2000000);
    /* the clean run */
    static text clean, got;
    g_fail_at = -1;
    llmd_status st0 = read_everything(dir, g_tmp, &clean);
    /* the inline vector "abcde" is not a valid RoaringBitmapArray: the full scan stops there, which
     * is also a result every failing run must reproduce or fail earlier */
    ck_assert_msg(st0 == LLMD_ERR_CORRUPT, "%s", llmd_last_error());
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "bad magic"));
    /* drop the damaged file: the table then reads completely */
    ck_ok(llmd_buf_puts(&b, "{\"remove\":{\"path\":\"d.parquet\",\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"abcde\"},"
                            "\"deletionTimestamp\":3}}\n"));
    commit_buf(dir, 2, &b);
    set_commit_mtime(dir, 2, 3000000);
    clean.n = 0;
    /* a second table read from a V2 checkpoint with a JSON sidecar, with deletion vectors in a file
     * (absolute path) and inline */
    char dir2[700], p2[900];
    fmt(dir2, sizeof dir2, "%s/t2", g_tmp);
    fmt(p2, sizeof p2, "%s/_delta_log/_sidecars", dir2);
    mkdir_p(p2);
    for (int i = 0; i < 3; i++) {
        fmt(p2, sizeof p2, "%s/%c.parquet", dir2, "def"[i]);
        write_parquet(p2, STRUCT(FIELD("id", "\"long\"") "," FIELD("st", STRUCT(FIELD("x", "\"integer\""))) ","
                                 FIELD("arr", "{\"type\":\"array\",\"elementType\":\"long\"}") ","
                                 FIELD("m", "{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\"}")),
                      "[{\"id\":1,\"st\":{\"x\":2},\"arr\":[3],\"m\":{\"k\":4}},{\"id\":5}]", 0);
    }
    const char *proto = "{\"protocol\":{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\","
                        "\"v2Checkpoint\"],\"writerFeatures\":[\"deletionVectors\",\"v2Checkpoint\"]}}\n";
    ck_ok(llmd_buf_puts(&b, proto));
    put_meta(&b, schema, "[\"p\"]", "{}");
    commit_buf(dir2, 0, &b);
    write_commit(dir2, 1, "{\"add\":{\"path\":\"d.parquet\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n");
    ck_ok(llmd_buf_puts(&b, "{\"checkpointMetadata\":{\"version\":1}}\n"));
    ck_ok(llmd_buf_puts(&b, proto));
    put_meta(&b, schema, "[\"p\"]", "{}");
    ck_ok(llmd_buf_puts(&b, "{\"sidecar\":{\"path\":\"s1.json\",\"sizeInBytes\":1,\"modificationTime\":1}}\n"));
    fmt(p2, sizeof p2, "%s/_delta_log/00000000000000000001.checkpoint.0123abcd.json", dir2);
    write_text(p2, b.data);
    llmd_buf_free(&b);
    fmt(p2, sizeof p2, "%s/_delta_log/_sidecars/s1.json", dir2);
    write_text(p2, "{\"add\":{\"path\":\"d.parquet\",\"partitionValues\":{\"p\":\"x\"},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n");
    bytes dvb;
    dv_header(&dvb, 1);
    static const uint16_t k0[] = {0}, r0[] = {0}, r1[] = {1};
    const uint16_t *rv0[] = {r0}, *rv1[] = {r1};
    const int c1[] = {1};
    dv_array_bitmap(&dvb, 0, k0, rv0, c1, 1);
    fmt(p2, sizeof p2, "%s/dv.bin", g_tmp);
    dv_file(p2, &dvb);
    char dvp[1200], dvi[9000];
    fmt(dvp, sizeof dvp, "{\"storageType\":\"p\",\"pathOrInlineDv\":\"%s\",\"offset\":1,\"sizeInBytes\":%zu,\"cardinality\":1}", p2, dvb.n);
    dv_header(&dvb, 1);
    dv_array_bitmap(&dvb, 0, k0, rv1, c1, 1);
    inline_dv(&dvb, dvi, sizeof dvi);
    put_add(&b, "e.parquet", "{\"p\":\"y\"}", NULL, dvp);
    put_add(&b, "f.parquet", "{\"p\":\"z\"}", NULL, dvi);
    commit_buf(dir2, 2, &b);
    for (int v = 0; v <= 2; v++) set_commit_mtime(dir2, v, 1000000 + v);
    ck_ok(read_everything(dir, g_tmp, &clean));
    ck_ok(read_everything(dir2, g_tmp, &clean));
    ck_assert_ptr_nonnull(strstr(clean.d, "{\"id\":5,\"st\":null,\"arr\":null,\"m\":null,\"p\":\"y\"}\n"
                                          "{\"id\":1,\"st\":{\"x\":2},\"arr\":[3],\"m\":{\"k\":4},\"p\":\"z\"}\n"));
    ck_assert_ptr_nonnull(strstr(clean.d, "{\"id\":1,\"st\":{\"x\":2},\"arr\":[3],\"m\":{\"k\":4},\"p\":\"x\"}\n"));
    ck_assert_ptr_nonnull(strstr(clean.d, "rows 2\n"));
    /* each allocation of cJSON, then of llmdata, fails in turn: never a crash, every failure with a
     * message; an llmdata allocation failure is LLMD_ERR_NOMEM or absorbed with exactly the clean
     * results.  (cJSON cannot tell an allocation failure from malformed text, and the library treats
     * some JSON it re-parses leniently — stats, commitInfo lines — so those runs are only held to
     * "no crash".) */
    for (int which = 0; which < 2; which++) {
        long n_ok = 0, tried = 0;
        for (long k = 0;; k++, tried++) {
            got.n = 0;
            got.d[0] = '\0';
            g_allocs = 0;
            g_fail_at = k;
            if (which == 0) {
                cJSON_Hooks h = {cj_malloc, free};
                cJSON_InitHooks(&h);
            } else {
                llmd_allocator a = {LLMD_ALLOCATOR_VERSION, ll_malloc, ll_realloc, ll_free, NULL};
                ck_ok(llmd_set_allocator(&a));
            }
            llmd_status st = read_everything(dir, g_tmp, &got);
            if (st == LLMD_OK) st = read_everything(dir2, g_tmp, &got);
            bool injected = g_allocs > k;
            g_fail_at = -1;
            if (which == 0) cJSON_InitHooks(NULL);
            else ck_ok(llmd_set_allocator(NULL));
            if (st == LLMD_OK) {
                if (which == 1)
                    ck_assert_msg(got.n == clean.n && memcmp(got.d, clean.d, got.n) == 0, "allocation %ld failed silently:\n%.*s", k,
                                  (int)got.n, got.d);
                n_ok++;
            } else {
                ck_assert_msg(injected, "failure without an injected one: %s", llmd_last_error());
                ck_assert_msg(llmd_last_error()[0] != '\0', "allocation %ld: failure without a message", k);
                if (which == 1)
                    ck_assert_msg(st == LLMD_ERR_NOMEM, "allocation %ld: %s: %s", k, llmd_status_str(st), llmd_last_error());
            }
            if (!injected) break;   /* the run made fewer than k + 1 allocations: all were tried */
            ck_assert_int_lt(k, 200000);
        }
        ck_assert_int_ge(n_ok, 1);
        ck_assert_int_gt(tried, 200);   /* the scenario allocates: failures were really injected */
    }
    rm_rf(g_tmp);
}
END_TEST

int main(void) {
    Suite *s = suite_create("delta_read");
    TCase *c = tcase_create("log");
    tcase_set_timeout(c, 300);
    tcase_add_test(c, test_schema_types);
    tcase_add_test(c, test_schema_partitions_evolution);
    tcase_add_test(c, test_map_growth_and_deletion);
    tcase_add_test(c, test_paths_names_listing);
    tcase_add_test(c, test_file_keys);
    tcase_add_test(c, test_replay_every_action);
    tcase_add_test(c, test_replay_errors_name_file_and_line);
    tcase_add_test(c, test_writer_features);
    tcase_add_test(c, test_replay_v2_sidecars);
    tcase_add_test(c, test_values_every_type);
    tcase_add_test(c, test_parquet_checkpoint_actions);
    tcase_add_test(c, test_table_open_and_listing);
    tcase_add_test(c, test_time_travel_by_mtime);
    tcase_add_test(c, test_time_travel_in_commit_timestamps);
    tcase_add_test(c, test_snapshot_accessors);
    tcase_add_test(c, test_checkpoint_without_commits);
    tcase_add_test(c, test_multipart_checkpoint);
    tcase_add_test(c, test_scan_every_type);
    tcase_add_test(c, test_scan_parquet_unsupported_types);
    tcase_add_test(c, test_scan_partition_values);
    tcase_add_test(c, test_scan_stats_pruning_and_predicate_errors);
    tcase_add_test(c, test_scan_column_mapping);
    tcase_add_test(c, test_scan_deletion_vectors);
    tcase_add_test(c, test_allocation_failures);
    suite_add_tcase(s, c);
    return run_suite(s);
}
