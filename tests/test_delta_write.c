/* Branch coverage of the Delta write side (issue 19): table creation, transactions (every check of
 * add/append/remove/properties/schema/app ids/operations), commits and the conflict rules against
 * winners written in the same process, restore, vacuum, checkpoints (classic single/multi-part, V2
 * JSON/Parquet with sidecars, tombstone retention, _last_checkpoint), add.stats and schema
 * enforcement of every column type from Parquet footers, the JSON -> column builder, and
 * allocation failures in turn over a write scenario.
 *
 * Expected values are computed by hand from the inputs (commented where not obvious) or follow
 * from PROTOCOL.md; each error path asserts the status and that the message names the problem. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"
#include "delta/values.h"
#include "testutil.h"

/* ---- helpers -------------------------------------------------------------------------------------- */
static char g_tmp[512];

static void make_tmp(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/llmd_delta_w.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(g_tmp));
}

static void rm_rf(const char *path) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", path);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

static char *read_text(const char *path) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    b[n] = '\0';
    fclose(f);
    return b;
}

static bool exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

static char *pathf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *pathf(const char *fmt, ...) {
    static char bufs[8][4400];
    static int k;
    char *b = bufs[k++ % 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b, sizeof bufs[0], fmt, ap);
    va_end(ap);
    return b;
}

/* The commit file of `version` under table dir `dir`, as text (free). */
static char *commit_text(const char *dir, int64_t version) {
    return read_text(pathf("%s/_delta_log/%020lld.json", dir, (long long)version));
}

/* The body of the first action `kind` in a commit's text (cJSON, delete it), or NULL. */
static cJSON *action_in(const char *text, const char *kind, int nth) {
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        cJSON *j = cJSON_ParseWithLength(p, n);
        cJSON *a = cJSON_DetachItemFromObjectCaseSensitive(j, kind);
        cJSON_Delete(j);
        if (a && nth-- == 0) return a;
        cJSON_Delete(a);
        p += n + (nl != NULL);
    }
    return NULL;
}

static int count_files(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    if (d == NULL) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) n += strstr(de->d_name, needle) != NULL;
    closedir(d);
    return n;
}

static const char *k_schema = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"
                              "\"metadata\":{}},{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";

static llmd_delta_table *new_table(const char *dir, bool partitioned, const char *const *ck, const char *const *cv,
                                   size_t nc) {
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *parts[] = {"part"};
    o.schema_json = k_schema;
    o.partition_columns = parts;
    o.n_partition_columns = partitioned ? 1 : 0;
    o.config_keys = ck;
    o.config_values = cv;
    o.n_config = nc;
    ck_ok(llmd_delta_table_create(t, &o));
    return t;
}

static llmd_status add_file(llmd_delta_txn *x, const char *path, const char *part) {
    llmd_delta_add a = LLMD_DELTA_ADD_INIT;
    const char *k[] = {"part"}, *v[] = {part};
    a.path = path;
    a.size = 10;
    a.modification_time = 1000;
    a.partition_keys = k;
    a.partition_values = v;
    a.n_partitions = part ? 1 : 0;
    return llmd_delta_txn_add(x, &a);
}

static int64_t commit_adds(llmd_delta_table *t, const char *const *paths, size_t n) {
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    for (size_t i = 0; i < n; i++) ck_ok(add_file(x, paths[i], NULL));
    int64_t v = -1;
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    return v;
}

/* ---- Parquet files written through the column builder --------------------------------------------- */
static int fld(llmd_schema *s, int parent, const char *name, llmd_type_id id, int nullable) {
    llmd_type t = {id, 0, 0, 0, 0, 0};
    int out = -1;
    ck_ok(llmd_schema_add(s, parent, name, &t, nullable, &out));
    return out;
}
static int fld_t(llmd_schema *s, int parent, const char *name, llmd_type t, int nullable) {
    int out = -1;
    ck_ok(llmd_schema_add(s, parent, name, &t, nullable, &out));
    return out;
}

/* Writes rows (a JSON array of objects keyed by top-level column) to a Parquet file, `per_group`
 * rows per row group (0 = one group), with or without statistics. */
static void write_pq(const char *path, const llmd_schema *s, const char *rows_json, int per_group, int stats) {
    cJSON *rows = cJSON_Parse(rows_json);
    ck_assert_msg(cJSON_IsArray(rows), "bad rows json");
    int nc = llmd_schema_child_count(s, 0);
    dl_colb cols[32];
    ck_assert_int_le(nc, 32);
    for (int k = 0; k < nc; k++) ck_ok(dl_colb_init(&cols[k], s, llmd_schema_child(s, 0, k)));
    llmd_parquet_write_options wo = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    wo.statistics = stats;
    llmd_parquet_writer *w = NULL;
    ck_ok(llmd_parquet_writer_open(&w, path, s, &wo));
    int n = cJSON_GetArraySize(rows), in_group = 0;
    for (int i = 0; i < n; i++) {
        const cJSON *row = cJSON_GetArrayItem(rows, i);
        for (int k = 0; k < nc; k++)
            ck_ok(dl_colb_append(&cols[k], cJSON_GetObjectItemCaseSensitive(row, llmd_schema_name(s, llmd_schema_child(s, 0, k)))));
        in_group++;
        if ((per_group > 0 && in_group == per_group) || i == n - 1) {
            llmd_column built[32];
            for (int k = 0; k < nc; k++) ck_ok(dl_colb_build(&cols[k], &built[k]));
            ck_ok(llmd_parquet_writer_write(w, built, (size_t)nc));
            ck_ok(llmd_parquet_writer_flush(w));
            for (int k = 0; k < nc; k++) dl_colb_reset(&cols[k]);
            in_group = 0;
        }
    }
    ck_ok(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    for (int k = 0; k < nc; k++) dl_colb_free(&cols[k]);
    cJSON_Delete(rows);
}

/* A simple {id long, text string} file. */
static void write_id_text(const char *path, const char *rows) {
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    fld(s, 0, "id", LLMD_TYPE_INT64, 1);
    fld(s, 0, "text", LLMD_TYPE_STRING, 1);
    write_pq(path, s, rows, 0, 1);
    llmd_schema_free(s);
}

static char *file_stats(const char *path) {
    llmd_parquet_reader *r = NULL;
    ck_ok(llmd_parquet_reader_open(&r, path, NULL));
    char *out = NULL;
    ck_ok(dl_file_stats(r, &out));
    llmd_parquet_reader_free(r);
    return out;
}

/* ---- the JSON -> column builder (colbuild.c) ---------------------------------------------------------- */
static int32_t i32_at(const dl_colb *c, int i) { int32_t v; memcpy(&v, c->values.data + 4 * i, 4); return v; }
static int64_t i64_at(const dl_colb *c, int i) { int64_t v; memcpy(&v, c->values.data + 8 * i, 8); return v; }
static uint8_t valid_bits(const dl_colb *c) { return (uint8_t)c->validity.data[0]; }

static void append_json(dl_colb *c, const char *json) {
    cJSON *v = cJSON_Parse(json);
    ck_assert_msg(v != NULL, "bad json %s", json);
    ck_ok(dl_colb_append(c, v));
    cJSON_Delete(v);
}
static void append_misfit(dl_colb *c, const char *json, const char *column) {
    cJSON *v = cJSON_Parse(json);
    char needle[96];
    snprintf(needle, sizeof needle, "column '%s': value does not fit its type", column);
    ck_fails(dl_colb_append(c, v), LLMD_ERR_SCHEMA, needle);
    cJSON_Delete(v);
}

START_TEST(test_colbuild_values) {
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    int i8 = fld(s, 0, "i8", LLMD_TYPE_INT8, 1), i16 = fld(s, 0, "i16", LLMD_TYPE_INT16, 1);
    int dt = fld(s, 0, "dt", LLMD_TYPE_DATE, 1), i64 = fld(s, 0, "i64", LLMD_TYPE_INT64, 1);
    int tsu = fld_t(s, 0, "tsu", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_MICROS, 1}, 1);
    int tsn = fld_t(s, 0, "tsn", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_NANOS, 1}, 1);
    int tsm = fld_t(s, 0, "tsm", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_MILLIS, 1}, 1);
    int tm = fld_t(s, 0, "tm", (llmd_type){LLMD_TYPE_TIME, 0, 0, 0, LLMD_TIME_MILLIS, 0}, 1);
    int f = fld(s, 0, "f", LLMD_TYPE_FLOAT, 1), d = fld(s, 0, "d", LLMD_TYPE_DOUBLE, 1);
    int dec = fld_t(s, 0, "dec", (llmd_type){LLMD_TYPE_DECIMAL, 0, 9, 2, 0, 0}, 1);
    int fx = fld_t(s, 0, "fx", (llmd_type){LLMD_TYPE_FIXED_BINARY, 3, 0, 0, 0, 0}, 1);
    int uu = fld(s, 0, "uu", LLMD_TYPE_UUID, 1), str = fld(s, 0, "str", LLMD_TYPE_STRING, 1);
    int b = fld(s, 0, "b", LLMD_TYPE_BOOL, 1);
    int st = fld(s, 0, "st", LLMD_TYPE_STRUCT, 1);
    fld(s, st, "a", LLMD_TYPE_INT32, 1);
    int li = fld(s, 0, "li", LLMD_TYPE_LIST, 1);
    fld(s, li, "element", LLMD_TYPE_INT32, 1);
    int mp = fld(s, 0, "mp", LLMD_TYPE_MAP, 1);
    fld(s, mp, "key", LLMD_TYPE_STRING, 0);
    fld(s, mp, "value", LLMD_TYPE_STRING, 1);
    dl_colb c;

    ck_ok(dl_colb_init(&c, s, i8));   /* number, integer text, null */
    append_json(&c, "5"); append_json(&c, "\"-3\""); append_json(&c, "null");
    ck_assert_int_eq(c.len, 3);
    ck_assert_int_eq((signed char)c.values.data[0], 5);
    ck_assert_int_eq((signed char)c.values.data[1], -3);
    ck_assert_uint_eq(valid_bits(&c), 0x3);
    append_misfit(&c, "\"x\"", "i8");
    append_misfit(&c, "\"\"", "i8");
    append_misfit(&c, "true", "i8");
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, i16));
    append_json(&c, "300");   /* 0x012C little-endian */
    ck_assert_uint_eq((uint8_t)c.values.data[0], 0x2C);
    ck_assert_uint_eq((uint8_t)c.values.data[1], 0x01);
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, dt));   /* 2022-01-08 is day 19000; a number is taken as days */
    append_json(&c, "\"2022-01-08\""); append_json(&c, "\"1969-12-31\""); append_json(&c, "7");
    append_json(&c, "\"2000-03-01T10:00:00\"");   /* a timestamp's date part: day 11017 */
    /* proleptic Gregorian before year 1: 0000-01-01 is day -719528, year -1 has 365 days */
    append_json(&c, "\"-0001-01-01\"");
    ck_assert_int_eq(i32_at(&c, 4), -719893);
    ck_assert_int_eq(i32_at(&c, 0), 19000);
    ck_assert_int_eq(i32_at(&c, 1), -1);
    ck_assert_int_eq(i32_at(&c, 2), 7);
    ck_assert_int_eq(i32_at(&c, 3), 11017);
    append_misfit(&c, "\"2022-01-08x\"", "dt");
    append_misfit(&c, "\"Jan 8\"", "dt");
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, i64));   /* beyond 2^53: exact only as text */
    cJSON *raw = cJSON_CreateRaw("9007199254740993");
    ck_ok(dl_colb_append(&c, raw));
    cJSON_Delete(raw);
    append_json(&c, "\"-12\""); append_json(&c, "3");
    ck_assert_int_eq(i64_at(&c, 0), INT64_C(9007199254740993));
    ck_assert_int_eq(i64_at(&c, 1), -12);
    ck_assert_int_eq(i64_at(&c, 2), 3);
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, tsu));
    append_json(&c, "\"1970-01-01T00:00:01.5Z\"");         /* 1.5 s */
    append_json(&c, "\"1970-01-01 00:00:00\"");
    append_json(&c, "\"1970-01-01T01:00:00+01:00\"");      /* 01:00 at +1 h = epoch */
    append_json(&c, "\"1970-01-01T00:00:00-00:30\"");      /* 30 minutes after the epoch */
    append_json(&c, "\"1970-01-02\"");
    append_json(&c, "12345");
    ck_assert_int_eq(i64_at(&c, 0), 1500000);
    ck_assert_int_eq(i64_at(&c, 1), 0);
    ck_assert_int_eq(i64_at(&c, 2), 0);
    ck_assert_int_eq(i64_at(&c, 3), INT64_C(1800000000));
    ck_assert_int_eq(i64_at(&c, 4), INT64_C(86400000000));
    ck_assert_int_eq(i64_at(&c, 5), 12345);
    append_misfit(&c, "\"1970-01-01T00:00\"", "tsu");
    append_misfit(&c, "\"1970-01-01T00:00:00x\"", "tsu");
    append_misfit(&c, "\"1970-01-01T00:00:00+5\"", "tsu");
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, tsn));   /* digits past nanoseconds are dropped */
    append_json(&c, "\"1970-01-01T00:00:00.123456789123Z\"");
    ck_assert_int_eq(i64_at(&c, 0), 123456789);
    dl_colb_free(&c);
    ck_ok(dl_colb_init(&c, s, tsm));
    append_json(&c, "\"1970-01-01T00:00:02.25Z\"");
    ck_assert_int_eq(i64_at(&c, 0), 2250);
    dl_colb_free(&c);
    ck_ok(dl_colb_init(&c, s, tm));   /* TIME(millis) is 4 bytes */
    append_json(&c, "1234"); append_json(&c, "null");
    ck_assert_uint_eq(c.values.len, 8);
    ck_assert_int_eq(i32_at(&c, 0), 1234);
    dl_colb_free(&c);
    int tmu = fld_t(s, 0, "tmu", (llmd_type){LLMD_TYPE_TIME, 0, 0, 0, LLMD_TIME_MICROS, 0}, 1);
    ck_ok(dl_colb_init(&c, s, tmu));   /* TIME(micros) is 8 */
    append_json(&c, "5"); append_json(&c, "null");
    ck_assert_uint_eq(c.values.len, 16);
    ck_assert_int_eq(i64_at(&c, 0), 5);
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, f));
    append_json(&c, "\"NaN\""); append_json(&c, "1.5"); append_json(&c, "\"-Infinity\""); append_json(&c, "null");
    ck_assert_uint_eq(valid_bits(&c), 0x7);
    float fv[3];
    memcpy(fv, c.values.data, sizeof fv);
    ck_assert(isnan(fv[0]));
    ck_assert(fv[1] == 1.5f);
    ck_assert(isinf(fv[2]) && fv[2] < 0);
    append_misfit(&c, "\"abc\"", "f");
    dl_colb_free(&c);
    ck_ok(dl_colb_init(&c, s, d));
    append_json(&c, "\"Infinity\""); append_json(&c, "\"2.5\"");
    ck_ok(dl_colb_append(&c, NULL));   /* NULL = a null entry, like JSON null */
    raw = cJSON_CreateRaw("0.125");
    ck_ok(dl_colb_append(&c, raw));
    cJSON_Delete(raw);
    ck_assert_uint_eq(valid_bits(&c), 0xB);
    double dv[4];
    memcpy(dv, c.values.data, sizeof dv);
    ck_assert(isinf(dv[0]) && dv[0] > 0);
    ck_assert(dv[1] == 2.5 && dv[2] == 0.0 && dv[3] == 0.125);
    append_misfit(&c, "\"\"", "d");
    append_misfit(&c, "[1]", "d");
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, dec));   /* scale 2: digits past it truncated; a number as printed */
    append_json(&c, "\"-12.345\""); append_json(&c, "1.5"); append_json(&c, "\"+7\""); append_json(&c, "null");
    ck_assert_uint_eq(c.values.len, 64);
    ck_assert_uint_eq(valid_bits(&c), 0x7);
    int64_t lo[3], hi[3];
    for (int i = 0; i < 3; i++) { memcpy(&lo[i], c.values.data + 16 * i, 8); memcpy(&hi[i], c.values.data + 16 * i + 8, 8); }
    ck_assert_int_eq(lo[0], -1234);
    ck_assert_int_eq(hi[0], -1);   /* sign-extended to 128 bits */
    ck_assert_int_eq(lo[1], 150);
    ck_assert_int_eq(hi[1], 0);
    ck_assert_int_eq(lo[2], 700);
    append_misfit(&c, "\"1.2.3\"", "dec");
    append_misfit(&c, "\"1e5\"", "dec");
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, fx));   /* binary values are not representable in JSON: zero bytes */
    append_json(&c, "\"abc\""); append_json(&c, "null");
    ck_assert_uint_eq(c.values.len, 6);
    ck_assert_int_eq(memcmp(c.values.data, "\0\0\0\0\0\0", 6), 0);
    ck_assert_uint_eq(valid_bits(&c), 0x1);
    dl_colb_free(&c);
    ck_ok(dl_colb_init(&c, s, uu));
    append_json(&c, "\"x\"");
    ck_assert_uint_eq(c.values.len, 16);
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, str));   /* a non-string is stored as its JSON text */
    append_json(&c, "\"h\\u00e9\""); append_json(&c, "42"); append_json(&c, "null"); append_json(&c, "{\"k\":1}");
    int32_t off[5];
    memcpy(off, c.offsets.data, sizeof off);
    ck_assert_int_eq(off[0], 0);
    ck_assert_int_eq(off[1], 3);
    ck_assert_int_eq(off[2], 5);
    ck_assert_int_eq(off[3], 5);
    ck_assert_int_eq(off[4], 12);
    ck_assert_int_eq(memcmp(c.values.data, "h\xc3\xa9" "42{\"k\":1}", 12), 0);
    ck_assert_uint_eq(valid_bits(&c), 0xB);
    llmd_column out;
    ck_ok(dl_colb_build(&c, &out));
    ck_assert_int_eq(out.length, 4);
    ck_assert_ptr_eq(out.offsets, c.offsets.data);
    dl_colb_reset(&c);   /* back to one zero offset, nothing else */
    ck_assert_int_eq(c.len, 0);
    ck_assert_uint_eq(c.offsets.len, 4);
    ck_assert_uint_eq(c.values.len, 0);
    append_json(&c, "\"z\"");
    memcpy(off, c.offsets.data, 8);
    ck_assert_int_eq(off[1], 1);
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, b));
    append_json(&c, "true"); append_json(&c, "false"); append_json(&c, "null"); append_json(&c, "true");
    ck_assert_uint_eq((uint8_t)c.values.data[0], 0x9);
    ck_assert_uint_eq(valid_bits(&c), 0xB);
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, st));   /* a non-object is a null struct */
    append_json(&c, "{\"a\":1}"); append_json(&c, "5"); append_json(&c, "null"); append_json(&c, "{}");
    ck_assert_uint_eq(valid_bits(&c), 0x9);
    ck_assert_int_eq(c.children[0].len, 4);
    ck_assert_uint_eq(valid_bits(&c.children[0]), 0x1);
    ck_assert_int_eq(i32_at(&c.children[0], 0), 1);
    ck_ok(dl_colb_build(&c, &out));
    ck_assert_uint_eq(out.n_children, 1);
    ck_assert_int_eq(out.children[0].length, 4);
    ck_assert_ptr_null(out.offsets);
    ck_ok(dl_colb_build(&c, &out));   /* twice: the children array is rebuilt, not leaked */
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, li));   /* a non-array value is an empty (valid) list */
    append_json(&c, "[1,2]"); append_json(&c, "\"x\""); append_json(&c, "null"); append_json(&c, "[3]");
    memcpy(off, c.offsets.data, sizeof off);
    ck_assert_int_eq(off[1], 2);
    ck_assert_int_eq(off[2], 2);
    ck_assert_int_eq(off[3], 2);
    ck_assert_int_eq(off[4], 3);
    ck_assert_uint_eq(valid_bits(&c), 0xB);
    ck_assert_int_eq(i32_at(&c.children[0], 2), 3);
    append_misfit(&c, "[\"q\"]", "element");
    dl_colb_free(&c);

    ck_ok(dl_colb_init(&c, s, mp));
    append_json(&c, "{\"k\":\"v\",\"k2\":null}"); append_json(&c, "null"); append_json(&c, "[1]");
    memcpy(off, c.offsets.data, 16);
    ck_assert_int_eq(off[1], 2);
    ck_assert_int_eq(off[2], 2);
    ck_assert_int_eq(off[3], 2);
    ck_assert_uint_eq(valid_bits(&c), 0x5);
    ck_assert_int_eq(memcmp(c.children[0].values.data, "kk2", 3), 0);
    ck_assert_uint_eq(valid_bits(&c.children[1]), 0x1);
    dl_colb_free(&c);
    llmd_schema_free(s);
}
END_TEST

/* ---- add.stats and the Delta schema of Parquet files (filestats.c) ----------------------------------- */
#define A32 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define E20 "\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9"
#define E15 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"

static llmd_schema *stats_schema(void) {
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    fld(s, 0, "i8", LLMD_TYPE_INT8, 1);
    fld(s, 0, "i32", LLMD_TYPE_INT32, 1);
    fld(s, 0, "big", LLMD_TYPE_INT64, 1);
    fld(s, 0, "f", LLMD_TYPE_FLOAT, 1);
    fld(s, 0, "d", LLMD_TYPE_DOUBLE, 1);
    fld(s, 0, "s", LLMD_TYPE_STRING, 1);
    fld(s, 0, "s2", LLMD_TYPE_STRING, 1);
    fld(s, 0, "s3", LLMD_TYPE_STRING, 1);
    fld(s, 0, "dt", LLMD_TYPE_DATE, 1);
    fld_t(s, 0, "ts", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_MICROS, 1}, 1);
    fld_t(s, 0, "tsn", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_MICROS, 0}, 1);
    fld_t(s, 0, "tsms", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_MILLIS, 1}, 1);
    fld_t(s, 0, "tsns", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_NANOS, 0}, 1);
    fld_t(s, 0, "tsneg", (llmd_type){LLMD_TYPE_TIMESTAMP, 0, 0, 0, LLMD_TIME_MICROS, 1}, 1);
    fld_t(s, 0, "dec", (llmd_type){LLMD_TYPE_DECIMAL, 0, 5, 2, 0, 0}, 1);
    fld(s, 0, "bin", LLMD_TYPE_BINARY, 1);
    fld(s, 0, "flag", LLMD_TYPE_BOOL, 1);
    fld(s, 0, "u8", LLMD_TYPE_UINT8, 1);
    int st = fld(s, 0, "st", LLMD_TYPE_STRUCT, 1);
    fld(s, st, "a", LLMD_TYPE_INT32, 1);
    fld(s, 0, "nul", LLMD_TYPE_STRING, 1);
    return s;
}

/* Two row groups of two rows.  Per column (by hand): group 2 is all null for i8, i32, s3, dt and the
 * timestamps (a group of nulls bounds nothing); NaN is left out of Parquet min/max; an infinite
 * bound is not a usable Delta stat (d has no max); strings longer than 32 bytes keep a 32-byte
 * prefix as minimum (cut before a UTF-8 continuation byte: s3 keeps "a" + 15 x e-acute = 31 bytes)
 * and no maximum; an int64 past 2^53 stays exact; timestamps in ms (a maximum rounded up, a negative
 * minimum rounded down), "Z" only for UTC-adjusted (and INT96-like nanosecond) ones; decimal,
 * binary, boolean, unsigned and nested columns get no min/max. */
static const char *k_stats_rows =
    "[{\"i8\":5,\"i32\":7,\"big\":\"9007199254740993\",\"f\":1.5,\"d\":2.25,\"s\":\"b\",\"s2\":\"ab\","
    "\"s3\":\"a" E20 "\",\"dt\":\"2022-01-08\",\"ts\":\"2024-01-02T03:04:05.123456Z\",\"tsn\":\"2024-01-02T03:04:05.000001\","
    "\"tsms\":\"2024-01-02T00:00:00.5Z\",\"tsns\":\"1970-01-01T00:00:00.000000001Z\",\"tsneg\":\"1969-12-31T23:59:59.9985Z\","
    "\"dec\":\"1.50\",\"bin\":\"xy\",\"flag\":true,\"u8\":3,\"st\":{\"a\":1},\"nul\":null},"
    "{\"i8\":-3,\"i32\":null,\"big\":-5,\"f\":\"NaN\",\"d\":\"Infinity\",\"s\":\"" A32 "aaaaaaaa\",\"s2\":\"" E20 "\","
    "\"s3\":\"a" E20 "\",\"dt\":\"1970-01-01\",\"ts\":\"2024-01-01T00:00:00Z\",\"tsn\":null,"
    "\"tsms\":\"2024-01-02T00:00:00.5Z\",\"tsns\":\"1970-01-01T00:00:00.000000001Z\",\"tsneg\":\"1969-12-31T23:59:59.9985Z\","
    "\"dec\":\"-2\",\"bin\":\"z\",\"flag\":false,\"u8\":4,\"st\":null,\"nul\":null},"
    "{\"big\":10,\"f\":0.25,\"d\":3,\"s\":\"c\",\"s2\":\"zz\",\"dec\":\"0\",\"bin\":\"\",\"flag\":true,\"u8\":0,\"st\":{\"a\":2}},"
    "{\"big\":20,\"f\":-1,\"d\":4,\"s\":\"bb\",\"s2\":\"b\",\"dec\":\"3\",\"bin\":\"q\",\"flag\":true,\"u8\":9,\"st\":{}}]";
static const char *k_stats_expected =
    "{\"numRecords\":4,\"minValues\":{\"i8\":-3,\"i32\":7,\"big\":-5,\"f\":-1,\"d\":2.25,\"s\":\"" A32 "\",\"s2\":\"ab\","
    "\"s3\":\"a" E15 "\",\"dt\":\"1970-01-01\",\"ts\":\"2024-01-01T00:00:00.000Z\",\"tsn\":\"2024-01-02T03:04:05.000\","
    "\"tsms\":\"2024-01-02T00:00:00.500Z\",\"tsns\":\"1970-01-01T00:00:00.000Z\",\"tsneg\":\"1969-12-31T23:59:59.998Z\"},"
    "\"maxValues\":{\"i8\":5,\"i32\":7,\"big\":9007199254740993,\"f\":1.5,\"s\":\"c\",\"dt\":\"2022-01-08\","
    "\"ts\":\"2024-01-02T03:04:05.124Z\",\"tsn\":\"2024-01-02T03:04:05.001\",\"tsms\":\"2024-01-02T00:00:00.500Z\","
    "\"tsns\":\"1970-01-01T00:00:00.001Z\",\"tsneg\":\"1969-12-31T23:59:59.999Z\"},"
    "\"nullCount\":{\"i8\":2,\"i32\":3,\"big\":0,\"f\":0,\"d\":0,\"s\":0,\"s2\":0,\"s3\":2,\"dt\":2,\"ts\":2,\"tsn\":3,"
    "\"tsms\":2,\"tsns\":2,\"tsneg\":2,\"dec\":0,\"bin\":0,\"flag\":0,\"u8\":0,\"nul\":4}}";

START_TEST(test_file_stats_every_type) {
    make_tmp();
    char path[4400];
    snprintf(path, sizeof path, "%s/stats.parquet", g_tmp);
    llmd_schema *s = stats_schema();
    write_pq(path, s, k_stats_rows, 2, 1);
    llmd_schema_free(s);
    char *got = file_stats(path);
    ck_assert_str_eq(got, k_stats_expected);
    llmd_free(got);
    /* the Spark types of the same file */
    char *js = NULL;
    ck_ok(llmd_delta_schema_from_parquet(path, &js));
    cJSON *sj = cJSON_Parse(js);
    const char *want[][2] = {{"i8", "\"byte\""}, {"i32", "\"integer\""}, {"big", "\"long\""}, {"f", "\"float\""},
                             {"d", "\"double\""}, {"s", "\"string\""}, {"dt", "\"date\""}, {"ts", "\"timestamp\""},
                             {"tsn", "\"timestamp_ntz\""}, {"tsms", "\"timestamp\""}, {"tsns", "\"timestamp\""},
                             {"dec", "\"decimal(5,2)\""}, {"bin", "\"binary\""}, {"flag", "\"boolean\""}, {"u8", "\"short\""},
                             {"st", "{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}"}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const cJSON *f = NULL, *x;
        cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(sj, "fields"))
            if (strcmp(dl_get_str(x, "name"), want[i][0]) == 0) f = x;
        ck_assert_ptr_nonnull(f);
        char *p = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(f, "type"));
        ck_assert_msg(strcmp(p, want[i][1]) == 0, "%s: %s, wanted %s", want[i][0], p, want[i][1]);
        cJSON_free(p);
    }
    cJSON_Delete(sj);
    llmd_free(js);

    /* without footer statistics: no bounds and no null counts */
    char bare[4400];
    snprintf(bare, sizeof bare, "%s/bare.parquet", g_tmp);
    llmd_schema *s2 = NULL;
    ck_ok(llmd_schema_new(&s2));
    fld(s2, 0, "id", LLMD_TYPE_INT64, 1);
    write_pq(bare, s2, "[{\"id\":1},{\"id\":null}]", 0, 0);
    llmd_schema_free(s2);
    got = file_stats(bare);
    ck_assert_str_eq(got, "{\"numRecords\":2,\"minValues\":{},\"maxValues\":{},\"nullCount\":{}}");
    llmd_free(got);
    rm_rf(g_tmp);
}
END_TEST

/* Unsigned, fixed, UUID, list and map columns map to Spark types; TIME has none (named, top level
 * and nested). */
START_TEST(test_schema_from_parquet_types) {
    make_tmp();
    char path[4400];
    snprintf(path, sizeof path, "%s/types.parquet", g_tmp);
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    fld(s, 0, "u16", LLMD_TYPE_UINT16, 1);
    fld(s, 0, "u32", LLMD_TYPE_UINT32, 0);
    fld(s, 0, "u64", LLMD_TYPE_UINT64, 1);
    fld_t(s, 0, "fx", (llmd_type){LLMD_TYPE_FIXED_BINARY, 4, 0, 0, 0, 0}, 1);
    fld(s, 0, "uu", LLMD_TYPE_UUID, 1);
    int li = fld(s, 0, "li", LLMD_TYPE_LIST, 1);
    fld(s, li, "element", LLMD_TYPE_INT32, 0);
    int mp = fld(s, 0, "mp", LLMD_TYPE_MAP, 1);
    fld(s, mp, "key", LLMD_TYPE_STRING, 0);
    fld(s, mp, "value", LLMD_TYPE_INT64, 1);
    write_pq(path, s, "[{\"u16\":1,\"u32\":2,\"u64\":3,\"li\":[1],\"mp\":{\"a\":1}}]", 0, 1);
    llmd_schema_free(s);
    char *js = NULL;
    ck_ok(llmd_delta_schema_from_parquet(path, &js));
    ck_assert_str_eq(js, "{\"type\":\"struct\",\"fields\":["
                         "{\"name\":\"u16\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
                         "{\"name\":\"u32\",\"type\":\"long\",\"nullable\":false,\"metadata\":{}},"
                         "{\"name\":\"u64\",\"type\":\"decimal(20,0)\",\"nullable\":true,\"metadata\":{}},"
                         "{\"name\":\"fx\",\"type\":\"binary\",\"nullable\":true,\"metadata\":{}},"
                         "{\"name\":\"uu\",\"type\":\"binary\",\"nullable\":true,\"metadata\":{}},"
                         "{\"name\":\"li\",\"type\":{\"type\":\"array\",\"elementType\":\"integer\",\"containsNull\":false},"
                         "\"nullable\":true,\"metadata\":{}},"
                         "{\"name\":\"mp\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\","
                         "\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}}]}");
    llmd_free(js);

    char tpath[4400];
    snprintf(tpath, sizeof tpath, "%s/time.parquet", g_tmp);
    ck_ok(llmd_schema_new(&s));
    int st = fld(s, 0, "st", LLMD_TYPE_STRUCT, 1);
    fld_t(s, st, "t", (llmd_type){LLMD_TYPE_TIME, 0, 0, 0, LLMD_TIME_MILLIS, 0}, 1);
    write_pq(tpath, s, "[{\"st\":{\"t\":5}}]", 0, 1);
    llmd_schema_free(s);
    ck_fails(llmd_delta_schema_from_parquet(tpath, &js), LLMD_ERR_SCHEMA, "column 'st.t': Parquet TIME has no Delta type");
    ck_assert_ptr_null(js);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "time.parquet"));
    ck_fails(llmd_delta_schema_from_parquet(NULL, &js), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_schema_from_parquet(tpath, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_assert_int_eq(llmd_delta_schema_from_parquet(pathf("%s/none.parquet", g_tmp), &js), LLMD_ERR_NOT_FOUND);
    rm_rf(g_tmp);
}
END_TEST

/* ---- schema enforcement and llmd_delta_txn_append_file ------------------------------------------------ */
static const char *k_nested_schema =
    "{\"type\":\"struct\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"st\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"arr\",\"type\":{\"type\":\"array\",\"elementType\":\"integer\",\"containsNull\":true},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"string\",\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}},"
    "{\"name\":\"req\",\"type\":\"string\",\"nullable\":false,\"metadata\":{}}]}";

/* A file like the table's, with one column changed: which = 0 none, 1 id long, 2 st{b}, 3 st{a,c},
 * 4 arr<long>, 5 map<string,long>, 6 st string, 7 no req, 8 req nullable. */
static void write_variant(const char *path, int which, const char *rows, int stats) {
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    fld(s, 0, "id", which == 1 ? LLMD_TYPE_INT64 : LLMD_TYPE_INT32, 1);
    if (which == 6) {
        fld(s, 0, "st", LLMD_TYPE_STRING, 1);
    } else {
        int st = fld(s, 0, "st", LLMD_TYPE_STRUCT, 1);
        fld(s, st, which == 2 ? "b" : "a", LLMD_TYPE_INT32, 1);
        if (which == 3) fld(s, st, "c", LLMD_TYPE_INT32, 1);
    }
    int li = fld(s, 0, "arr", LLMD_TYPE_LIST, 1);
    fld(s, li, "element", which == 4 ? LLMD_TYPE_INT64 : LLMD_TYPE_INT32, 1);
    int mp = fld(s, 0, "m", LLMD_TYPE_MAP, 1);
    fld(s, mp, "key", LLMD_TYPE_STRING, 0);
    fld(s, mp, "value", which == 5 ? LLMD_TYPE_INT64 : LLMD_TYPE_STRING, 1);
    if (which != 7) fld(s, 0, "req", LLMD_TYPE_STRING, which == 8);
    write_pq(path, s, rows, 0, stats);
    llmd_schema_free(s);
}

static llmd_status append_src(llmd_delta_txn *x, const char *src) {
    llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
    a.source = src;
    return llmd_delta_txn_append_file(x, &a, NULL);
}

START_TEST(test_schema_enforcement) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    o.schema_json = k_nested_schema;
    ck_ok(llmd_delta_table_create(t, &o));
    const char *row = "[{\"id\":1,\"st\":{\"a\":1},\"arr\":[1],\"m\":{\"k\":\"1\"},\"req\":\"r\"}]";
    static const struct { int which; const char *rows; int stats; llmd_status st; const char *msg; } cases[] = {
        {1, NULL, 1, LLMD_ERR_SCHEMA, "column 'id' is \"long\" in the file but \"integer\" in the table"},
        {2, NULL, 1, LLMD_ERR_SCHEMA, "column 'st' is {\"type\":\"struct\",\"fields\":[{\"name\":\"b\""},
        {3, NULL, 1, LLMD_ERR_SCHEMA, "column 'st' is {"},
        {4, NULL, 1, LLMD_ERR_SCHEMA, "column 'arr' is {\"type\":\"array\",\"elementType\":\"long\""},
        {5, NULL, 1, LLMD_ERR_SCHEMA, "column 'm' is {\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"long\""},
        {6, NULL, 1, LLMD_ERR_SCHEMA, "column 'st' is \"string\" in the file"},
        {7, NULL, 1, LLMD_ERR_SCHEMA, "NOT NULL column 'req' is missing from the file"},
        {8, "[{\"id\":1,\"req\":null},{\"id\":2,\"req\":null}]", 1, LLMD_ERR_SCHEMA,
         "column 'req' is NOT NULL in the table but has 2 nulls"},
        {8, NULL, 0, LLMD_ERR_SCHEMA, "'req' is NOT NULL in the table but nullable in the file, without null counts"},
        {8, NULL, 1, LLMD_OK, NULL},   /* nullable in the file, but no null in it */
        {0, NULL, 1, LLMD_OK, NULL},
    };
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char src[4400];
        snprintf(src, sizeof src, "%s/v%zu.parquet", g_tmp, i);
        write_variant(src, cases[i].which, cases[i].rows ? cases[i].rows : row, cases[i].stats);
        llmd_status st = append_src(x, src);
        ck_assert_msg(st == cases[i].st, "case %zu: %s: %s", i, llmd_status_str(st), llmd_last_error());
        if (cases[i].msg) {
            ck_assert_msg(strstr(llmd_last_error(), cases[i].msg) != NULL, "case %zu: %s", i, llmd_last_error());
            ck_assert_msg(strstr(llmd_last_error(), src) != NULL, "case %zu names no file: %s", i, llmd_last_error());
        }
    }
    int64_t v = -1;
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 1);
    llmd_delta_txn_free(x);
    /* the two accepted files only; none of the refused ones was copied into the table */
    ck_assert_int_eq(count_files(dir, "part-"), 2);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
    llmd_delta_file f;
    ck_ok(llmd_delta_snapshot_file(s, 0, &f));
    /* nested columns get no stats; the top-level ones do (one row) */
    ck_assert_str_eq(f.stats_json, "{\"numRecords\":1,\"minValues\":{\"id\":1,\"req\":\"r\"},\"maxValues\":{\"id\":1,"
                                   "\"req\":\"r\"},\"nullCount\":{\"id\":0,\"req\":0}}");
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_append_file_paths_and_errors) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    o.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                    "{\"name\":\"text\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                    "{\"name\":\"p1\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                    "{\"name\":\"p2\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";
    const char *parts[] = {"p1", "p2"};
    o.partition_columns = parts;
    o.n_partition_columns = 2;
    ck_ok(llmd_delta_table_create(t, &o));
    char src[4400];
    snprintf(src, sizeof src, "%s/in.parquet", g_tmp);
    write_id_text(src, "[{\"id\":1,\"text\":\"a\"},{\"id\":2,\"text\":null}]");
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
    const char *pk[] = {"p2", "p1"}, *pv[] = {NULL, "a/b=c"};
    a.source = src;
    a.partition_keys = pk;
    a.partition_values = pv;
    a.n_partitions = 2;
    char *rel = NULL;
    /* directories in the table's partition order, values Hive-escaped, null as the default partition */
    ck_ok(llmd_delta_txn_append_file(x, &a, &rel));
    ck_assert_msg(strncmp(rel, "p1=a%2Fb%3Dc/p2=__HIVE_DEFAULT_PARTITION__/part-", 48) == 0, "%s", rel);
    ck_assert_str_eq(rel + strlen(rel) - strlen("-in.parquet"), "-in.parquet");
    ck_assert(exists(pathf("%s/%s", dir, rel)));
    llmd_free(rel);
    pv[0] = "";   /* "" is null too */
    a.stats_json = "{\"numRecords\":2}";
    ck_ok(llmd_delta_txn_append_file(x, &a, &rel));
    ck_assert_ptr_nonnull(strstr(rel, "/p2=__HIVE_DEFAULT_PARTITION__/"));
    llmd_free(rel);
    a.stats_json = NULL;

    /* argument and version checks */
    ck_fails(llmd_delta_txn_append_file(NULL, &a, NULL), LLMD_ERR_INVALID_ARG, "NULL transaction");
    ck_fails(llmd_delta_txn_append_file(x, NULL, &rel), LLMD_ERR_INVALID_ARG, "no source");
    ck_assert_ptr_null(rel);
    a.version = 99;
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_VERSION, "llmd_delta_append version 99");
    a.version = LLMD_DELTA_APPEND_VERSION;
    a.n_partitions = 1;   /* p1 only */
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_SCHEMA, "no value for partition column 'p1'");
    a.n_partitions = 2;
    /* sources that are not Parquet files */
    a.source = pathf("%s/missing.parquet", g_tmp);
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_NOT_FOUND, "missing.parquet: cannot open");
    a.source = g_tmp;
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_IO, "not a regular file");
    char junk[4400];
    snprintf(junk, sizeof junk, "%s/junk.parquet", g_tmp);
    write_text(junk, "PAR1 but not really a file PAR2");
    a.source = junk;
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_PARSE, "junk.parquet: not a Parquet file");
    write_text(junk, "PAR1");
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_PARSE, "no PAR1 magic");
    /* a valid-looking magic with a broken footer: the reader's error */
    write_text(junk, "PAR1xxxxxxxxxxxxPAR1");
    ck_assert_int_ne(llmd_delta_txn_append_file(x, &a, NULL), LLMD_OK);
    a.source = src;
    /* the partition directory cannot be made: a regular file where p1=x must be a directory */
    write_text(pathf("%s/p1=x", dir), "not a directory");
    pv[1] = "x";
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_IO, "cannot create directory");
    /* a key that is no partition column: refused after the copy, which is then deleted */
    const char *pk3[] = {"p2", "p1", "bogus"}, *pv3[] = {"y", "ok", "z"};
    a.partition_keys = pk3;
    a.partition_values = pv3;
    a.n_partitions = 3;
    ck_fails(llmd_delta_txn_append_file(x, &a, &rel), LLMD_ERR_SCHEMA, "'bogus' is not a partition column");
    ck_assert_ptr_null(rel);
    ck_assert_int_eq(count_files(pathf("%s/p1=ok/p2=y", dir), "part-"), 0);
    int64_t v;
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_STATE, "already committed");
    llmd_delta_txn_free(x);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
    for (size_t i = 0; i < 2; i++) {
        llmd_delta_file f;
        ck_ok(llmd_delta_snapshot_file(s, i, &f));
        ck_assert_str_eq(f.partition_values_json, "{\"p2\":null,\"p1\":\"a/b=c\"}");
        /* '%' of the Hive escape is itself escaped in the log's URI path */
        ck_assert_ptr_nonnull(strstr(f.raw_path, "p1=a%252Fb%253Dc/"));
        ck_assert(strcmp(f.stats_json, "{\"numRecords\":2}") == 0 ||
                  strcmp(f.stats_json, "{\"numRecords\":2,\"minValues\":{\"id\":1,\"text\":\"a\"},\"maxValues\":{\"id\":2,"
                                       "\"text\":\"a\"},\"nullCount\":{\"id\":0,\"text\":1}}") == 0);
    }
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* ---- table creation ----------------------------------------------------------------------------------- */
START_TEST(test_create_checks) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    ck_fails(llmd_delta_table_create(NULL, &o), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_table_create(t, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    o.version = 99;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_VERSION, "llmd_delta_create_options");
    o.version = LLMD_DELTA_CREATE_OPTIONS_VERSION;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_INVALID_ARG, "no schema");
    o.schema_json = "{\"type\":\"struct\",\"fields\":[{\"name\":\"x\",\"type\":\"nope\",\"nullable\":true}]}";
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_SCHEMA, "column 'x': unknown type 'nope'");
    o.schema_json = k_schema;
    const char *nullpart[] = {NULL};
    o.partition_columns = nullpart;
    o.n_partition_columns = 1;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_INVALID_ARG, "partition column 0 is NULL");
    const char *badpart[] = {"nope"};
    o.partition_columns = badpart;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_SCHEMA, "partition column 'nope' is not in the schema");
    o.n_partition_columns = 0;
    const char *k1[] = {"owner", NULL}, *v1[] = {"me", "x"};
    o.config_keys = k1;
    o.config_values = v1;
    o.n_config = 2;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_INVALID_ARG, "table property 1 is NULL");
    const char *k2[] = {"delta.checkpointPolicy"}, *v2[] = {"sometimes"};
    o.config_keys = k2;
    o.config_values = v2;
    o.n_config = 1;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_INVALID_ARG, "must be classic or v2, not 'sometimes'");
    ck_assert(!exists(pathf("%s/_delta_log", dir)));   /* nothing written by a refused create */
    /* a repeated key keeps its last value; in-commit timestamps are always on */
    const char *k3[] = {"owner", "owner", "delta.enableInCommitTimestamps", "delta.appendOnly", "delta.checkpointPolicy"};
    const char *v3[] = {"a", "b", "false", "true", "classic"};
    o.config_keys = k3;
    o.config_values = v3;
    o.n_config = 5;
    o.name = "nm";
    o.description = "desc";
    ck_ok(llmd_delta_table_create(t, &o));
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_CONFLICT, "already exists (version 0 is taken)");
    char *c0 = commit_text(dir, 0);
    cJSON *proto = action_in(c0, "protocol", 0), *md = action_in(c0, "metaData", 0), *ci = action_in(c0, "commitInfo", 0);
    char *p = cJSON_PrintUnformatted(proto);
    ck_assert_str_eq(p, "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":[\"inCommitTimestamp\",\"appendOnly\"]}");
    cJSON_free(p);
    p = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(md, "configuration"));
    ck_assert_str_eq(p, "{\"owner\":\"b\",\"delta.appendOnly\":\"true\",\"delta.checkpointPolicy\":\"classic\","
                        "\"delta.enableInCommitTimestamps\":\"true\"}");
    cJSON_free(p);
    ck_assert_str_eq(dl_get_str(md, "name"), "nm");
    ck_assert_str_eq(dl_get_str(md, "description"), "desc");
    ck_assert_str_eq(dl_get_str(ci, "operation"), "CREATE TABLE");
    int64_t ict = 0, ts = 0;
    ck_assert(dl_get_i64(ci, "inCommitTimestamp", &ict) && dl_get_i64(ci, "timestamp", &ts) && ict == ts);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(ci, "readVersion"));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ci, "isBlindAppend")));
    cJSON_Delete(proto);
    cJSON_Delete(md);
    cJSON_Delete(ci);
    free(c0);
    llmd_delta_table_free(t);

    /* V2 checkpoint policy: reader version 3 with the v2Checkpoint reader and writer feature */
    ck_ok(llmd_delta_table_open(&t, pathf("%s/v2", g_tmp), NULL));
    const char *k4[] = {"delta.checkpointPolicy"}, *v4[] = {"v2"};
    o.config_keys = k4;
    o.config_values = v4;
    o.n_config = 1;
    o.name = o.description = NULL;
    ck_ok(llmd_delta_table_create(t, &o));
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_str_eq(llmd_delta_snapshot_protocol_json(s), "{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":"
                     "[\"v2Checkpoint\"],\"writerFeatures\":[\"inCommitTimestamp\",\"v2Checkpoint\"]}");
    ck_assert_ptr_null(strstr(llmd_delta_snapshot_metadata_json(s), "\"name\""));
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);

    /* the log directory cannot be made: the table path is a regular file */
    char file[4400];
    snprintf(file, sizeof file, "%s/afile", g_tmp);
    write_text(file, "x");
    ck_ok(llmd_delta_table_open(&t, file, NULL));
    o.n_config = 0;
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_IO, "cannot create directory");
    llmd_delta_table_free(t);

    /* a table path so long that the commit file's path does not fit (the directories still do) */
    char deep[4200];
    size_t n = (size_t)snprintf(deep, sizeof deep, "%s", g_tmp);
    while (n < 4060) n += (size_t)snprintf(deep + n, sizeof deep - n, "/%.200s", "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
    deep[4062] = '\0';
    ck_ok(llmd_delta_table_open(&t, deep, NULL));
    ck_fails(llmd_delta_table_create(t, &o), LLMD_ERR_RANGE, "path too long");
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* ---- transactions: add / remove / properties / schema / app ids / operations ---------------------------- */
START_TEST(test_txn_add_checks) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = new_table(dir, true, NULL, NULL, 0);
    llmd_delta_txn *x = NULL;
    ck_fails(llmd_delta_txn_begin(NULL, t), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_txn_begin(&x, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_assert_ptr_null(llmd_delta_txn_snapshot(NULL));
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_assert_int_eq(llmd_delta_snapshot_version(llmd_delta_txn_snapshot(x)), 0);
    llmd_delta_add a = LLMD_DELTA_ADD_INIT;
    ck_fails(llmd_delta_txn_add(NULL, &a), LLMD_ERR_INVALID_ARG, "NULL transaction");
    ck_fails(llmd_delta_txn_add(x, NULL), LLMD_ERR_INVALID_ARG, "no path");
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_INVALID_ARG, "no path");
    a.path = "";
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_INVALID_ARG, "no path");
    a.path = "x.parquet";
    a.version = 7;
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_VERSION, "llmd_delta_add version 7 unknown");
    a.version = LLMD_DELTA_ADD_VERSION;
    a.path = "/abs/x.parquet";
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_INVALID_ARG, "'/abs/x.parquet' must be relative to the table");
    a.path = "s3://bucket/x.parquet";
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_INVALID_ARG, "must be relative");
    a.path = "part=x/a b%.parquet";
    a.size = -1;
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_INVALID_ARG, "negative size");
    a.size = 42;
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_SCHEMA, "no value for partition column 'part'");
    const char *knull[] = {NULL}, *kbad[] = {"id"}, *ktwice[] = {"part", "part"}, *k[] = {"part"};
    const char *vals[] = {"x", "y"};
    a.partition_keys = knull;
    a.partition_values = vals;
    a.n_partitions = 1;
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_INVALID_ARG, "partition key 0 is NULL");
    a.partition_keys = kbad;
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_SCHEMA, "'id' is not a partition column of the table");
    a.partition_keys = ktwice;
    a.n_partitions = 2;
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_SCHEMA, "partition column 'part' given twice");
    a.partition_keys = k;
    a.n_partitions = 1;
    a.stats_json = "[1]";
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_PARSE, "stats is not a JSON object");
    a.stats_json = "{broken";
    ck_fails(llmd_delta_txn_add(x, &a), LLMD_ERR_PARSE, "stats is not a JSON object");
    a.stats_json = "{\"numRecords\":3}";
    a.modification_time = 1234;
    a.data_change = false;
    ck_ok(llmd_delta_txn_add(x, &a));
    /* null partition value, modification time 0 = now */
    llmd_delta_add b = LLMD_DELTA_ADD_INIT;
    const char *vnull[] = {NULL};
    b.path = "part=__HIVE_DEFAULT_PARTITION__/n.parquet";
    b.partition_keys = k;
    b.partition_values = vnull;
    b.n_partitions = 1;
    int64_t before = dl_now_ms();
    ck_ok(llmd_delta_txn_add(x, &b));
    int64_t v = -1;
    ck_fails(llmd_delta_txn_commit(x, NULL), LLMD_ERR_INVALID_ARG, "NULL version");
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 1);
    ck_fails(llmd_delta_txn_commit(x, &v), LLMD_ERR_STATE, "already committed");
    ck_fails(llmd_delta_txn_commit(NULL, &v), LLMD_ERR_INVALID_ARG, "NULL transaction");
    llmd_delta_txn_free(x);
    llmd_delta_txn_free(NULL);
    char *c1 = commit_text(dir, 1);
    cJSON *a0 = action_in(c1, "add", 0), *a1 = action_in(c1, "add", 1), *ci = action_in(c1, "commitInfo", 0);
    char *p = cJSON_PrintUnformatted(a0);
    ck_assert_str_eq(p, "{\"path\":\"part=x/a%20b%25.parquet\",\"partitionValues\":{\"part\":\"x\"},\"size\":42,"
                        "\"modificationTime\":1234,\"dataChange\":false,\"stats\":\"{\\\"numRecords\\\":3}\"}");
    cJSON_free(p);
    int64_t mt = 0;
    ck_assert(dl_get_i64(a1, "modificationTime", &mt) && mt >= before && mt <= dl_now_ms());
    ck_assert(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(a1, "partitionValues"), "part")));
    ck_assert_str_eq(dl_get_str(ci, "operation"), "WRITE");
    ck_assert_str_eq(dl_get_str(ci, "isolationLevel"), "WriteSerializable");
    int64_t rv = -1;
    ck_assert(dl_get_i64(ci, "readVersion", &rv) && rv == 0);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ci, "isBlindAppend")));
    cJSON_Delete(a0);
    cJSON_Delete(a1);
    cJSON_Delete(ci);
    free(c1);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* A hand-written version 0 with the given protocol and metaData configuration. */
static void write_v0(const char *dir, const char *protocol, const char *configuration_field) {
    ck_assert_int_eq(mkdir(dir, 0777), 0);
    ck_assert_int_eq(mkdir(pathf("%s/_delta_log", dir), 0777), 0);
    char *body = pathf("{\"protocol\":%s}\n{\"metaData\":{\"id\":\"m\",\"format\":{\"provider\":\"parquet\",\"options\":{}},"
                       "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":"
                       "\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\",\"partitionColumns\":[]%s%s,"
                       "\"createdTime\":0}}\n",
                       protocol, configuration_field[0] ? "," : "", configuration_field);
    write_text(pathf("%s/_delta_log/%020d.json", dir, 0), body);
}

START_TEST(test_remove_and_properties) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = new_table(dir, false, NULL, NULL, 0);
    const char *paths[] = {"a.parquet", "b.parquet", "c.parquet"};
    commit_adds(t, paths, 3);
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_fails(llmd_delta_txn_remove(NULL, "a.parquet"), LLMD_ERR_INVALID_ARG, "NULL transaction");
    ck_fails(llmd_delta_txn_remove(x, NULL), LLMD_ERR_INVALID_ARG, "NULL path");
    ck_fails(llmd_delta_txn_remove(x, "zz.parquet"), LLMD_ERR_NOT_FOUND, "no active file 'zz.parquet' in version 1");
    ck_ok(llmd_delta_txn_remove(x, "a.parquet"));
    ck_ok(llmd_delta_txn_remove(x, "a.parquet"));   /* twice: one remove action */
    /* property checks */
    ck_fails(llmd_delta_txn_set_property(NULL, "k", "v"), LLMD_ERR_INVALID_ARG, "NULL transaction");
    ck_fails(llmd_delta_txn_set_property(x, NULL, "v"), LLMD_ERR_INVALID_ARG, "no key");
    ck_fails(llmd_delta_txn_set_property(x, "", "v"), LLMD_ERR_INVALID_ARG, "no key");
    static const char *const fixed[] = {"delta.enableInCommitTimestamps", "delta.inCommitTimestampEnablementVersion",
                                        "delta.columnMapping.mode", "delta.enableDeletionVectors",
                                        "delta.enableChangeDataFeed", "delta.constraints.positive"};
    for (size_t i = 0; i < sizeof fixed / sizeof *fixed; i++) {
        char needle[128];
        snprintf(needle, sizeof needle, "table property '%s' cannot be changed", fixed[i]);
        ck_fails(llmd_delta_txn_set_property(x, fixed[i], "x"), LLMD_ERR_UNSUPPORTED, needle);
    }
    ck_fails(llmd_delta_txn_set_property(x, "delta.appendOnly", "yes"), LLMD_ERR_INVALID_ARG, "must be true or false, not 'yes'");
    ck_fails(llmd_delta_txn_set_property(x, "delta.checkpointInterval", "0"), LLMD_ERR_INVALID_ARG, "positive integer");
    ck_fails(llmd_delta_txn_set_property(x, "delta.checkpointInterval", "5x"), LLMD_ERR_INVALID_ARG, "positive integer");
    ck_ok(llmd_delta_txn_set_property(x, "delta.checkpointInterval", "100"));
    ck_ok(llmd_delta_txn_set_property(x, "delta.checkpointInterval", NULL));   /* unset again */
    ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", "false"));
    ck_ok(llmd_delta_txn_set_property(x, "owner", "me"));
    /* operation checks */
    ck_fails(llmd_delta_txn_set_operation(x, NULL, NULL), LLMD_ERR_INVALID_ARG, "empty operation name");
    ck_fails(llmd_delta_txn_set_operation(x, "", NULL), LLMD_ERR_INVALID_ARG, "empty operation name");
    ck_fails(llmd_delta_txn_set_operation(x, "DELETE", "[1]"), LLMD_ERR_PARSE, "not a JSON object");
    ck_ok(llmd_delta_txn_set_operation(x, "DELETE", "{\"predicate\":\"x\"}"));
    ck_ok(llmd_delta_txn_set_operation(x, "DELETE", NULL));   /* replaces; no parameters = {} */
    /* app id checks */
    ck_fails(llmd_delta_txn_set_app_version(x, NULL, 1), LLMD_ERR_INVALID_ARG, "needs an appId");
    ck_fails(llmd_delta_txn_set_app_version(x, "", 1), LLMD_ERR_INVALID_ARG, "needs an appId");
    ck_fails(llmd_delta_txn_set_app_version(x, "app", -1), LLMD_ERR_INVALID_ARG, "version >= 0");
    ck_ok(llmd_delta_txn_set_app_version(x, "first", 1));
    ck_ok(llmd_delta_txn_set_app_version(x, "app", 3));   /* the last one counts */
    int64_t v = -1;
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 2);
    llmd_delta_txn_free(x);
    char *c2 = commit_text(dir, 2);
    ck_assert_ptr_nonnull(strstr(c2, "\"operation\":\"DELETE\",\"operationParameters\":{}"));
    ck_assert_ptr_nonnull(strstr(c2, "\"isBlindAppend\":false"));
    ck_assert_ptr_null(action_in(c2, "protocol", 0));   /* appendOnly=false needs no feature */
    cJSON *r = action_in(c2, "remove", 0), *tx = action_in(c2, "txn", 0), *md = action_in(c2, "metaData", 0);
    ck_assert_ptr_null(action_in(c2, "remove", 1));
    ck_assert_str_eq(dl_get_str(r, "path"), "a.parquet");
    int64_t sz = 0;
    ck_assert(dl_get_i64(r, "size", &sz) && sz == 10);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "extendedFileMetadata")));
    ck_assert_str_eq(dl_get_str(tx, "appId"), "app");
    int64_t tv = 0;
    ck_assert(dl_get_i64(tx, "version", &tv) && tv == 3);
    const cJSON *conf = cJSON_GetObjectItemCaseSensitive(md, "configuration");
    ck_assert_str_eq(dl_get_str(conf, "owner"), "me");
    ck_assert_str_eq(dl_get_str(conf, "delta.appendOnly"), "false");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(conf, "delta.checkpointInterval"));
    cJSON_Delete(r);
    cJSON_Delete(tx);
    cJSON_Delete(md);
    free(c2);

    /* the same app version again: nothing is written, version -1 */
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(add_file(x, "d.parquet", NULL));
    ck_ok(llmd_delta_txn_set_app_version(x, "app", 3));
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, -1);
    llmd_delta_txn_free(x);
    ck_assert(!exists(pathf("%s/_delta_log/%020d.json", dir, 3)));

    /* appendOnly=true adds the writer feature; removes are then refused */
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", "true"));
    ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", "true"));   /* feature added once */
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_str_eq(llmd_delta_snapshot_protocol_json(s), "{\"minReaderVersion\":1,\"minWriterVersion\":7,"
                     "\"writerFeatures\":[\"inCommitTimestamp\",\"appendOnly\"]}");
    llmd_delta_snapshot_free(s);
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", "true"));   /* already there: no new protocol */
    ck_ok(llmd_delta_txn_remove(x, "b.parquet"));
    ck_fails(llmd_delta_txn_commit(x, &v), LLMD_ERR_UNSUPPORTED, "is append-only (delta.appendOnly=true)");
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);

    /* legacy protocols: writer version 1 goes to 2 for appendOnly, 2..6 already have it; a writer-7
     * protocol without a writerFeatures list gets one; a metaData without configuration gets one */
    static const struct { const char *proto, *want; } legacy[] = {
        {"{\"minReaderVersion\":1,\"minWriterVersion\":1}", "{\"minReaderVersion\":1,\"minWriterVersion\":2}"},
        {"{\"minReaderVersion\":1,\"minWriterVersion\":4}", NULL},
        {"{\"minReaderVersion\":1,\"minWriterVersion\":7}", "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":[\"appendOnly\"]}"},
        {"{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":\"bad\"}",
         "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":[\"appendOnly\"]}"},
    };
    for (size_t i = 0; i < sizeof legacy / sizeof *legacy; i++) {
        char ld[4400];
        snprintf(ld, sizeof ld, "%s/legacy%zu", g_tmp, i);
        write_v0(ld, legacy[i].proto, i == 1 ? "\"configuration\":[]" : "");
        ck_ok(llmd_delta_table_open(&t, ld, NULL));
        ck_ok(llmd_delta_txn_begin(&x, t));
        ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", "true"));
        ck_ok(llmd_delta_txn_commit(x, &v));
        ck_assert_int_eq(v, 1);
        llmd_delta_txn_free(x);
        char *c = commit_text(ld, 1);
        cJSON *pr = action_in(c, "protocol", 0), *m = action_in(c, "metaData", 0);
        if (legacy[i].want) {
            char *pp = cJSON_PrintUnformatted(pr);
            ck_assert_str_eq(pp, legacy[i].want);
            cJSON_free(pp);
        } else {
            ck_assert_ptr_null(pr);
        }
        ck_assert_str_eq(dl_get_str(cJSON_GetObjectItemCaseSensitive(m, "configuration"), "delta.appendOnly"), "true");
        /* no in-commit timestamps on these tables: commitInfo has none */
        ck_assert_ptr_null(strstr(c, "inCommitTimestamp"));
        cJSON_Delete(pr);
        cJSON_Delete(m);
        free(c);
        llmd_delta_table_free(t);
    }
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_set_schema) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = new_table(dir, true, NULL, NULL, 0);
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_fails(llmd_delta_txn_set_schema(NULL, k_schema, true), LLMD_ERR_INVALID_ARG, "NULL transaction");
    ck_fails(llmd_delta_txn_set_schema(x, NULL, true), LLMD_ERR_INVALID_ARG, "NULL schema");
    ck_fails(llmd_delta_txn_set_schema(x, "{not json", true), LLMD_ERR_SCHEMA, "schema is not valid JSON");
    /* the partition column must stay */
    const char *no_part = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}}]}";
    ck_fails(llmd_delta_txn_set_schema(x, no_part, false), LLMD_ERR_SCHEMA, "partition column 'part' is not in the schema");
    /* merge: a type change is refused; a new nullable column is accepted */
    const char *retyped = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                          "{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}";
    ck_fails(llmd_delta_txn_set_schema(x, retyped, true), LLMD_ERR_SCHEMA, "column 'id': type \"long\" cannot change to \"string\"");
    const char *wider = "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,\"metadata\":{}},"
                        "{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                        "{\"name\":\"extra\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}}]}";
    ck_ok(llmd_delta_txn_set_schema(x, wider, true));
    ck_ok(llmd_delta_txn_set_schema(x, retyped, false));   /* without merge: any valid schema with the partition column */
    int64_t v;
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    ck_assert_ptr_nonnull(strstr(llmd_delta_snapshot_schema_json(s), "{\"name\":\"id\",\"type\":\"string\""));
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* ---- commits against winners: the conflict rules ----------------------------------------------------------- */
typedef void (*txn_fn)(llmd_delta_txn *x);
static void do_blind_add(llmd_delta_txn *x) { ck_ok(add_file(x, "new.parquet", NULL)); }
static void do_remove_a(llmd_delta_txn *x) { ck_ok(llmd_delta_txn_remove(x, "a.parquet")); }
static void do_remove_b(llmd_delta_txn *x) { ck_ok(llmd_delta_txn_remove(x, "b.parquet")); }
static void do_set_prop(llmd_delta_txn *x) { ck_ok(llmd_delta_txn_set_property(x, "owner", "w")); }
static void do_append_only(llmd_delta_txn *x) { ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", "true")); }
static void do_app(llmd_delta_txn *x) { ck_ok(llmd_delta_txn_set_app_version(x, "app", 1)); do_blind_add(x); }
static void do_read_all_add(llmd_delta_txn *x) { ck_ok(llmd_delta_txn_remove_all(x)); ck_ok(add_file(x, "w.parquet", NULL)); }
static void do_read_all_rewrite(llmd_delta_txn *x) {
    /* not blind, but adds no data (dataChange false, as OPTIMIZE) */
    ck_ok(llmd_delta_txn_remove_all(x));
    llmd_delta_add a = LLMD_DELTA_ADD_INIT;
    a.path = "compact.parquet";
    a.data_change = false;
    ck_ok(llmd_delta_txn_add(x, &a));
}

/* Table with files a, b (or none); transactions `loser` and `winner` begin on the same version, the
 * winner commits first, then the loser: want_ok or a conflict naming `msg`. */
static void race(bool with_files, txn_fn winner, txn_fn loser, bool want_ok, const char *msg) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = new_table(dir, false, NULL, NULL, 0);
    const char *paths[] = {"a.parquet", "b.parquet"};
    int64_t base = with_files ? commit_adds(t, paths, 2) : 0;
    llmd_delta_txn *l = NULL, *w = NULL;
    ck_ok(llmd_delta_txn_begin(&l, t));
    ck_ok(llmd_delta_txn_begin(&w, t));
    winner(w);
    loser(l);
    int64_t v = -1;
    ck_ok(llmd_delta_txn_commit(w, &v));
    ck_assert_int_eq(v, base + 1);
    llmd_status st = llmd_delta_txn_commit(l, &v);
    if (want_ok) {
        ck_assert_msg(st == LLMD_OK, "%s: %s", msg, llmd_last_error());
        ck_assert_int_eq(v, base + 2);
    } else {
        ck_assert_msg(st == LLMD_ERR_CONFLICT, "%s: got %s: %s", msg, llmd_status_str(st), llmd_last_error());
        ck_assert_msg(strstr(llmd_last_error(), msg) != NULL, "'%s' lacks '%s'", llmd_last_error(), msg);
        ck_assert_int_eq(v, -1);
        ck_assert(!exists(pathf("%s/_delta_log/%020lld.json", dir, (long long)base + 2)));
    }
    llmd_delta_txn_free(l);
    llmd_delta_txn_free(w);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}

START_TEST(test_conflicts) {
    race(true, do_set_prop, do_blind_add, false, "concurrent metadata change in version 2");
    race(true, do_append_only, do_blind_add, false, "concurrent protocol change in version 2");
    race(true, do_app, do_app, false, "version 2 committed a txn for the same appId 'app'");
    race(true, do_remove_a, do_remove_a, false, "version 2 concurrently removed 'a.parquet' which this transaction removes");
    race(true, do_remove_b, do_remove_a, false, "version 2 concurrently removed files this transaction read");
    race(false, do_read_all_add, do_read_all_add, false, "version 1 concurrently added data this transaction should have read");
    /* commuting: blind appends with anything that did not read; rewrites without data change */
    race(true, do_blind_add, do_blind_add, true, "blind appends commute");
    race(true, do_blind_add, do_remove_a, true, "a blind append does not touch what a remove read");
    race(true, do_remove_a, do_blind_add, true, "a blind append commutes with a remove");
    race(false, do_read_all_rewrite, do_read_all_add, true, "no data change");
    race(true, do_app, do_blind_add, true, "another app's txn");
}
END_TEST

/* Winners written by hand: blank lines and unknown actions are fine; the commit after a winner
 * whose inCommitTimestamp is in the future takes that + 1 (monotonic); a broken winner fails the
 * commit naming its file and line; retries are bounded. */
START_TEST(test_commit_winners) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = new_table(dir, false, NULL, NULL, 0);
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    do_blind_add(x);
    int64_t future = INT64_C(4102444800000);   /* 2100-01-01 */
    write_text(pathf("%s/_delta_log/%020d.json", dir, 1),
               pathf("{\"commitInfo\":{\"inCommitTimestamp\":%lld,\"isBlindAppend\":true}}\n  \n"
                     "{\"add\":{\"path\":\"w.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,"
                     "\"dataChange\":false}}\n{\"somethingNew\":{}}\n\n", (long long)future));
    /* a winner without commitInfo: the previous timestamp carries on */
    write_text(pathf("%s/_delta_log/%020d.json", dir, 2), "{\"txn\":{\"appId\":\"other\",\"version\":1}}\n");
    int64_t v = -1;
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 3);
    llmd_delta_txn_free(x);
    char *c = commit_text(dir, 3);
    cJSON *ci = action_in(c, "commitInfo", 0);
    int64_t ict = 0, rv = 0;
    ck_assert(dl_get_i64(ci, "inCommitTimestamp", &ict));
    ck_assert_int_eq(ict, future + 1);
    ck_assert(dl_get_i64(ci, "readVersion", &rv) && rv == 0);
    cJSON_Delete(ci);
    free(c);

    static const struct { const char *winner; llmd_status st; const char *msg; } bad[] = {
        {"{\"commitInfo\":{}}\n[1,2]\n", LLMD_ERR_PARSE, "00000000000000000005.json:2: not a JSON object"},
        {"{\"remove\":{\"deletionTimestamp\":1}}\n", LLMD_ERR_PARSE, "00000000000000000005.json"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        ck_ok(llmd_delta_txn_begin(&x, t));   /* reads version 4 after the first round */
        do_blind_add(x);
        if (i == 0) {
            commit_adds(t, (const char *[]){"q.parquet"}, 1);   /* version 4, a fine winner */
            llmd_delta_txn_free(x);
            ck_ok(llmd_delta_txn_begin(&x, t));
            do_blind_add(x);
        }
        write_text(pathf("%s/_delta_log/%020d.json", dir, 5), bad[i].winner);
        llmd_status st = llmd_delta_txn_commit(x, &v);
        ck_assert_msg(st != LLMD_OK, "broken winner %zu accepted", i);
        ck_assert_msg(strstr(llmd_last_error(), bad[i].msg) != NULL, "%zu: %s", i, llmd_last_error());
        llmd_delta_txn_free(x);
        unlink(pathf("%s/_delta_log/%020d.json", dir, 5));
    }
    /* a winner that cannot be read (a directory where the commit would go) */
    ck_assert_msg(mkdir(pathf("%s/_delta_log/%020d.json", dir, 5), 0777) == 0, "%s", strerror(errno));
    ck_ok(llmd_delta_txn_begin(&x, t));
    do_blind_add(x);
    ck_assert_int_ne(llmd_delta_txn_commit(x, &v), LLMD_OK);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "00000000000000000005.json"));
    llmd_delta_txn_free(x);
    ck_assert_int_eq(rmdir(pathf("%s/_delta_log/%020d.json", dir, 5)), 0);
    llmd_delta_table_free(t);

    /* retries bounded by max_commit_retries */
    llmd_delta_table_options to = LLMD_DELTA_TABLE_OPTIONS_INIT;
    to.max_commit_retries = 1;
    ck_ok(llmd_delta_table_open(&t, dir, &to));
    ck_ok(llmd_delta_txn_begin(&x, t));
    do_blind_add(x);
    commit_adds(t, (const char *[]){"r.parquet"}, 1);   /* version 5 */
    ck_fails(llmd_delta_txn_commit(x, &v), LLMD_ERR_CONFLICT, "gave up after 1 attempts (version 5 taken)");
    llmd_delta_txn_free(x);
    /* a commit that cannot be written at all (the log replaced by a file) */
    ck_ok(llmd_delta_txn_begin(&x, t));
    do_blind_add(x);
    ck_assert_int_eq(rename(pathf("%s/_delta_log", dir), pathf("%s/log.bak", dir)), 0);
    write_text(pathf("%s/_delta_log", dir), "x");
    ck_assert_int_eq(llmd_delta_txn_commit(x, &v), LLMD_ERR_IO);
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* Automatic checkpoints every delta.checkpointInterval versions (10 by default); an interval below 1
 * in the table's configuration disables them; a failing one does not fail the commit. */
START_TEST(test_auto_checkpoint) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    const char *k[] = {"delta.checkpointInterval"}, *v2[] = {"2"};
    llmd_delta_table *t = new_table(dir, false, k, v2, 1);
    commit_adds(t, (const char *[]){"a.parquet"}, 1);
    ck_assert(!exists(pathf("%s/_delta_log/%020d.checkpoint.parquet", dir, 1)));
    /* version 2's checkpoint cannot be written (a directory holds its name): the commit stands */
    ck_assert_int_eq(mkdir(pathf("%s/_delta_log/%020d.checkpoint.parquet", dir, 2), 0777), 0);
    ck_assert_int_eq(commit_adds(t, (const char *[]){"b.parquet"}, 1), 2);
    ck_assert_str_eq(llmd_last_error(), "");
    ck_assert_int_eq(rmdir(pathf("%s/_delta_log/%020d.checkpoint.parquet", dir, 2)), 0);
    commit_adds(t, (const char *[]){"c.parquet"}, 1);
    ck_assert_int_eq(commit_adds(t, (const char *[]){"d.parquet"}, 1), 4);
    ck_assert(exists(pathf("%s/_delta_log/%020d.checkpoint.parquet", dir, 4)));
    char *lc = read_text(pathf("%s/_delta_log/_last_checkpoint", dir));
    ck_assert_ptr_nonnull(strstr(lc, "{\"version\":4,\"size\":6,"));   /* protocol, metaData, 4 adds */
    ck_assert_ptr_nonnull(strstr(lc, "\"numOfAddFiles\":4}"));
    free(lc);
    llmd_delta_table_free(t);
    char d0[4400];
    snprintf(d0, sizeof d0, "%s/zero", g_tmp);
    write_v0(d0, "{\"minReaderVersion\":1,\"minWriterVersion\":2}", "\"configuration\":{\"delta.checkpointInterval\":\"0\"}");
    ck_ok(llmd_delta_table_open(&t, d0, NULL));
    commit_adds(t, (const char *[]){"a.parquet"}, 1);
    ck_assert_int_eq(count_files(pathf("%s/_delta_log", d0), "checkpoint"), 0);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

START_TEST(test_restore_checks) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = new_table(dir, false, NULL, NULL, 0);
    int64_t nv = 0;
    ck_fails(llmd_delta_restore(NULL, 0, &nv), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_restore(t, 0, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    commit_adds(t, (const char *[]){"a.parquet", "b.parquet"}, 2);   /* 1 */
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));   /* 2: remove a, add c, change a property */
    ck_ok(llmd_delta_txn_remove(x, "a.parquet"));
    ck_ok(add_file(x, "c.parquet", NULL));
    ck_ok(llmd_delta_txn_set_property(x, "owner", "x"));
    int64_t v;
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    ck_assert_int_eq(llmd_delta_restore(t, 9, &nv), LLMD_ERR_NOT_FOUND);
    ck_assert_int_eq(nv, -1);
    ck_ok(llmd_delta_restore(t, 1, &nv));
    ck_assert_int_eq(nv, 3);
    char *c = commit_text(dir, 3);
    cJSON *ci = action_in(c, "commitInfo", 0), *add = action_in(c, "add", 0), *rm = action_in(c, "remove", 0),
          *md = action_in(c, "metaData", 0);
    ck_assert_str_eq(dl_get_str(ci, "operation"), "RESTORE");
    ck_assert_str_eq(dl_get_str(cJSON_GetObjectItemCaseSensitive(ci, "operationParameters"), "version"), "1");
    ck_assert_str_eq(dl_get_str(add, "path"), "a.parquet");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(add, "dataChange")));
    ck_assert_str_eq(dl_get_str(rm, "path"), "c.parquet");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(md, "configuration"), "owner"));
    cJSON_Delete(ci);
    cJSON_Delete(add);
    cJSON_Delete(rm);
    cJSON_Delete(md);
    free(c);
    /* restoring the state it already has: same metadata, no file change */
    ck_ok(llmd_delta_restore(t, 3, &nv));
    c = commit_text(dir, 4);
    ck_assert_ptr_null(strstr(c, "\"metaData\""));
    ck_assert_ptr_null(strstr(c, "\"add\""));
    free(c);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* ---- checkpoints -------------------------------------------------------------------------------------------- */
/* The table read back from its checkpoint alone (a copy of the log without the commits up to
 * `version`) has the same files, app versions and tombstones as the full log. */
static void assert_checkpoint_alone(const char *dir, int64_t version) {
    char copy[700], cmd[3200];
    snprintf(copy, sizeof copy, "%s.copy", dir);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r '%s/_delta_log' '%s/'", copy, copy, dir, copy);
    ck_assert_int_eq(system(cmd), 0);
    for (int64_t v = 0; v <= version; v++) unlink(pathf("%s/_delta_log/%020lld.json", copy, (long long)v));
    llmd_delta_table *a = NULL, *b = NULL;
    ck_ok(llmd_delta_table_open(&a, dir, NULL));
    ck_ok(llmd_delta_table_open(&b, copy, NULL));
    llmd_delta_snapshot *sa = NULL, *sb = NULL;
    ck_ok(llmd_delta_snapshot_latest(&sa, a));
    ck_ok(llmd_delta_snapshot_latest(&sb, b));
    ck_assert_uint_eq(llmd_delta_snapshot_file_count(sa), llmd_delta_snapshot_file_count(sb));
    for (size_t i = 0; i < llmd_delta_snapshot_file_count(sa); i++) {
        llmd_delta_file fa, fb;
        ck_ok(llmd_delta_snapshot_file(sa, i, &fa));
        ck_ok(llmd_delta_snapshot_file(sb, i, &fb));
        ck_assert_str_eq(fa.path, fb.path);
        ck_assert_str_eq(fa.partition_values_json, fb.partition_values_json);
        ck_assert((fa.stats_json == NULL) == (fb.stats_json == NULL));
        ck_assert((fa.deletion_vector_json == NULL) == (fb.deletion_vector_json == NULL));
    }
    ck_assert_uint_eq(sa->state.txns.len, sb->state.txns.len);
    ck_assert_uint_eq(sa->state.domains.len, sb->state.domains.len);
    ck_assert_str_eq(llmd_delta_snapshot_protocol_json(sa), llmd_delta_snapshot_protocol_json(sb));
    llmd_delta_snapshot_free(sa);
    llmd_delta_snapshot_free(sb);
    llmd_delta_table_free(a);
    llmd_delta_table_free(b);
    rm_rf(copy);
}

static int64_t checkpoint_with(llmd_delta_table *t, int kind, uint64_t part_size, uint32_t parts, bool v2_parquet) {
    llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    o.kind = kind;
    o.part_size = part_size;
    o.parts = parts;
    o.v2_parquet = v2_parquet;
    int64_t v = -1;
    ck_ok(llmd_delta_checkpoint_with(t, &o, &v));
    return v;
}

START_TEST(test_checkpoint_checks) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    int64_t v = -1;
    ck_fails(llmd_delta_checkpoint(NULL, &v), LLMD_ERR_INVALID_ARG, "NULL table");
    ck_fails(llmd_delta_checkpoint_with(NULL, NULL, &v), LLMD_ERR_INVALID_ARG, "NULL table");
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    ck_assert_int_eq(llmd_delta_checkpoint(t, &v), LLMD_ERR_NOT_FOUND);   /* no table yet */
    llmd_delta_table_free(t);
    t = new_table(dir, true, NULL, NULL, 0);
    llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    o.version = 5;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_VERSION, "llmd_delta_checkpoint_options version 5");
    o.version = LLMD_DELTA_CHECKPOINT_OPTIONS_VERSION;
    o.kind = 3;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_INVALID_ARG, "unknown kind 3");
    o.kind = -1;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_INVALID_ARG, "unknown kind -1");
    o.kind = LLMD_DELTA_CHECKPOINT_V2;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_UNSUPPORTED, "lacks the v2Checkpoint feature");
    o.kind = LLMD_DELTA_CHECKPOINT_AUTO;
    o.v2_parquet = true;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_INVALID_ARG, "v2_parquet");
    o.v2_parquet = false;
    o.parts = UINT32_MAX;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_INVALID_ARG, "(too many)");
    ck_assert_int_eq(count_files(pathf("%s/_delta_log", dir), "checkpoint"), 0);
    /* I/O failures, each naming the file: the checkpoint's name taken by a directory, then
     * _last_checkpoint's */
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(add_file(x, "part=a/1.parquet", "a"));
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    ck_assert_int_eq(mkdir(pathf("%s/_delta_log/%020d.checkpoint.parquet", dir, 1), 0777), 0);
    ck_fails(llmd_delta_checkpoint(t, &v), LLMD_ERR_IO, "writing checkpoint");
    ck_assert_int_eq(rmdir(pathf("%s/_delta_log/%020d.checkpoint.parquet", dir, 1)), 0);
    ck_assert_int_eq(mkdir(pathf("%s/_delta_log/_last_checkpoint", dir), 0777), 0);
    ck_assert_int_ne(llmd_delta_checkpoint(t, &v), LLMD_OK);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "_last_checkpoint"));
    ck_assert_int_eq(rmdir(pathf("%s/_delta_log/_last_checkpoint", dir)), 0);
    v = -1;
    ck_ok(llmd_delta_checkpoint(t, &v));
    ck_assert_int_eq(v, 1);
    ck_ok(llmd_delta_checkpoint(t, NULL));   /* the version is optional; rewriting is harmless */
    assert_checkpoint_alone(dir, 1);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* Classic multi-part checkpoints: ceil(actions / part_size) parts or exactly `parts` (empty parts
 * allowed), named v.checkpoint.o.p.parquet with 10-digit o and p, "parts" in _last_checkpoint. */
START_TEST(test_checkpoint_parts) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = new_table(dir, false, NULL, NULL, 0);
    commit_adds(t, (const char *[]){"a.parquet", "b.parquet", "c.parquet"}, 3);
    ck_assert_int_eq(checkpoint_with(t, LLMD_DELTA_CHECKPOINT_CLASSIC, 2, 0, false), 1);
    ck_assert(exists(pathf("%s/_delta_log/%020d.checkpoint.0000000001.0000000002.parquet", dir, 1)));
    ck_assert(exists(pathf("%s/_delta_log/%020d.checkpoint.0000000002.0000000002.parquet", dir, 1)));
    char *lc = read_text(pathf("%s/_delta_log/_last_checkpoint", dir));
    ck_assert_ptr_nonnull(strstr(lc, "{\"version\":1,\"size\":5,\"parts\":2,\"sizeInBytes\":"));
    ck_assert_ptr_nonnull(strstr(lc, "\"numOfAddFiles\":3}"));
    free(lc);
    assert_checkpoint_alone(dir, 1);
    /* a removed file (tombstone) is a file action too; 5 parts for 3 actions: some are empty */
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_remove(x, "a.parquet"));
    int64_t v;
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    ck_assert_int_eq(checkpoint_with(t, LLMD_DELTA_CHECKPOINT_AUTO, 0, 5, false), 2);
    ck_assert_int_eq(count_files(pathf("%s/_delta_log", dir), "00000000000000000002.checkpoint.00000000"), 5);
    assert_checkpoint_alone(dir, 2);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* V2 checkpoints: sidecars hold the file actions, the top-level JSON (or Parquet) file the
 * checkpointMetadata, sidecar and non-file actions; _last_checkpoint embeds them unless more than
 * 30.  A V2 table refuses classic multi-part checkpoints but takes a classic single file. */
START_TEST(test_checkpoint_v2) {
    make_tmp();
    char dir[600], log[700];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    snprintf(log, sizeof log, "%s/_delta_log", dir);
    const char *k[] = {"delta.checkpointPolicy"}, *vv[] = {"v2"};
    llmd_delta_table *t = new_table(dir, false, k, vv, 1);
    /* no file yet: no sidecar */
    ck_assert_int_eq(checkpoint_with(t, LLMD_DELTA_CHECKPOINT_AUTO, 0, 0, false), 0);
    ck_assert(!exists(pathf("%s/_sidecars", log)));
    char *lc = read_text(pathf("%s/_last_checkpoint", log));
    ck_assert_ptr_nonnull(strstr(lc, "\"sidecarFiles\":[]"));
    ck_assert_ptr_nonnull(strstr(lc, "\"nonFileActions\":[{\"protocol\":"));
    free(lc);
    commit_adds(t, (const char *[]){"a.parquet", "b.parquet", "c.parquet"}, 3);   /* 1 */
    llmd_delta_txn *x = NULL;
    int64_t v;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_set_app_version(x, "app", 4));
    ck_ok(add_file(x, "d.parquet", NULL));
    ck_ok(llmd_delta_txn_commit(x, &v));   /* 2 */
    llmd_delta_txn_free(x);
    llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    o.kind = LLMD_DELTA_CHECKPOINT_CLASSIC;
    o.part_size = 1;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_UNSUPPORTED, "multi-part checkpoints are forbidden");
    ck_assert_int_eq(checkpoint_with(t, LLMD_DELTA_CHECKPOINT_CLASSIC, 0, 0, false), 2);
    ck_assert(exists(pathf("%s/%020d.checkpoint.parquet", log, 2)));
    /* V2 JSON with 2 sidecars */
    ck_assert_int_eq(checkpoint_with(t, LLMD_DELTA_CHECKPOINT_V2, 2, 0, false), 2);
    ck_assert_int_eq(count_files(pathf("%s/_sidecars", log), "00000000000000000002.checkpoint.000000000"), 2);
    lc = read_text(pathf("%s/_last_checkpoint", log));
    ck_assert_ptr_nonnull(strstr(lc, "{\"version\":2,"));
    ck_assert_ptr_nonnull(strstr(lc, "\"numOfAddFiles\":4,\"v2Checkpoint\":{\"path\":\"00000000000000000002.checkpoint."));
    ck_assert_ptr_nonnull(strstr(lc, ".json\",\"sizeInBytes\":"));
    ck_assert_ptr_nonnull(strstr(lc, "{\"txn\":{\"appId\":\"app\",\"version\":4,\"lastUpdated\":"));
    ck_assert_ptr_nonnull(strstr(lc, "\"sidecarFiles\":[{\"path\":\"00000000000000000002.checkpoint.0000000001.0000000002."));
    /* the top-level file: checkpointMetadata first, then the sidecars, then the other actions */
    char *name = strstr(lc, "\"path\":\"") + 8;
    *strchr(name, '"') = '\0';
    char *top = read_text(pathf("%s/%s", log, name));
    static const char head[] = "{\"checkpointMetadata\":{\"version\":2,\"tags\":{}}}\n{\"sidecar\":{\"path\":";
    ck_assert_msg(strncmp(top, head, strlen(head)) == 0, "%s", top);
    ck_assert_ptr_nonnull(strstr(top, "{\"protocol\":"));
    ck_assert_ptr_null(strstr(top, "{\"add\":"));
    free(top);
    free(lc);
    assert_checkpoint_alone(dir, 2);
    /* V2 with a Parquet top-level file; more than 30 non-file actions are not embedded */
    for (int i = 0; i < 30; i++) {
        ck_ok(llmd_delta_txn_begin(&x, t));
        char app[16];
        snprintf(app, sizeof app, "app%02d", i);
        ck_ok(llmd_delta_txn_set_app_version(x, app, 1));
        ck_ok(llmd_delta_txn_commit(x, &v));
        llmd_delta_txn_free(x);
    }
    ck_assert_int_eq(checkpoint_with(t, LLMD_DELTA_CHECKPOINT_V2, 0, 0, true), 32);
    lc = read_text(pathf("%s/_last_checkpoint", log));
    ck_assert_ptr_null(strstr(lc, "nonFileActions"));
    ck_assert_ptr_nonnull(strstr(lc, ".parquet\",\"sizeInBytes\":"));
    ck_assert_ptr_nonnull(strstr(lc, "\"sidecarFiles\":[{"));
    free(lc);
    assert_checkpoint_alone(dir, 32);
    /* the sidecar directory is a regular file: the sidecar cannot be written (named) */
    rm_rf(pathf("%s/_sidecars", log));
    write_text(pathf("%s/_sidecars", log), "x");
    o.kind = LLMD_DELTA_CHECKPOINT_V2;
    o.part_size = 0;
    ck_fails(llmd_delta_checkpoint_with(t, &o, &v), LLMD_ERR_IO, "_sidecars/00000000000000000032.checkpoint.0000000001.0000000001.");
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* Tombstones in checkpoints: kept while younger than delta.deletedFileRetentionDuration ("interval N
 * unit", default and unparsable values one week); a remove without deletionTimestamp is kept.
 * Also a deletion-vector table (its files keyed by path + DV id), domainMetadata and a txn without
 * lastUpdated — all written by hand as another writer would. */
START_TEST(test_checkpoint_tombstones) {
    make_tmp();
    static const struct { const char *retention; size_t kept; } cases[] = {
        {NULL, 2}, {"interval 1 hour", 1}, {"interval 2 days", 2}, {"interval 500 milliseconds", 1},
        {"interval 90 minutes", 1}, {"interval 3 seconds", 1}, {"interval 1 week", 2}, {"bogus", 2},
        {"interval -1 days", 2}, {"interval 3 fortnights", 2},
    };
    int64_t two_hours_ago = dl_now_ms() - 2 * 3600 * 1000;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char dir[600];
        snprintf(dir, sizeof dir, "%s/t%zu", g_tmp, i);
        char conf[200] = "";
        if (cases[i].retention)
            snprintf(conf, sizeof conf, "\"configuration\":{\"delta.deletedFileRetentionDuration\":\"%s\"}", cases[i].retention);
        write_v0(dir, "{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\"],"
                      "\"writerFeatures\":[\"deletionVectors\",\"domainMetadata\"]}", conf);
        write_text(pathf("%s/_delta_log/%020d.json", dir, 1),
                   "{\"add\":{\"path\":\"a.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true,"
                   "\"tags\":{\"k\":\"v\"}}}\n"
                   "{\"add\":{\"path\":\"b.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n"
                   "{\"add\":{\"path\":\"dv.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true,"
                   "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\",\"offset\":4,"
                   "\"sizeInBytes\":40,\"cardinality\":2}}}\n"
                   "{\"add\":{\"path\":\"dv2.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true,"
                   "\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\","
                   "\"sizeInBytes\":40,\"cardinality\":6}}}\n"
                   "{\"txn\":{\"appId\":\"noLast\",\"version\":3}}\n"
                   "{\"domainMetadata\":{\"domain\":\"d1\",\"configuration\":\"{}\",\"removed\":false}}\n");
        write_text(pathf("%s/_delta_log/%020d.json", dir, 2),
                   pathf("{\"remove\":{\"path\":\"a.parquet\",\"deletionTimestamp\":%lld,\"dataChange\":true,\"size\":1,"
                         "\"tags\":{\"k\":\"v\"},\"stats\":\"{}\"}}\n{\"remove\":{\"path\":\"b.parquet\",\"dataChange\":true}}\n",
                         (long long)two_hours_ago));
        llmd_delta_table *t = NULL;
        ck_ok(llmd_delta_table_open(&t, dir, NULL));
        /* multi-part: the parts follow Spark's hash of path (+ DV unique id) */
        ck_assert_int_eq(checkpoint_with(t, LLMD_DELTA_CHECKPOINT_CLASSIC, 0, 2, false), 2);
        llmd_delta_table_free(t);
        assert_checkpoint_alone(dir, 2);
        char copy[700], cmd[3200];
        snprintf(copy, sizeof copy, "%s/only", g_tmp);
        snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/_delta_log' && cp '%s'/_delta_log/*checkpoint* '%s/_delta_log/'",
                 copy, copy, dir, copy);
        ck_assert_int_eq(system(cmd), 0);
        ck_ok(llmd_delta_table_open(&t, copy, NULL));
        llmd_delta_snapshot *s = NULL;
        ck_ok(llmd_delta_snapshot_latest(&s, t));
        ck_assert_msg(s->state.tombstones.len == cases[i].kept, "%s: %zu tombstones kept, wanted %zu",
                      cases[i].retention ? cases[i].retention : "(default)", s->state.tombstones.len, cases[i].kept);
        ck_assert_uint_eq(llmd_delta_snapshot_file_count(s), 2);
        int64_t av = 0;
        ck_ok(llmd_delta_snapshot_app_version(s, "noLast", &av));
        ck_assert_int_eq(av, 3);
        ck_assert_uint_eq(s->state.domains.len, 1);
        llmd_delta_snapshot_free(s);
        llmd_delta_table_free(t);
    }
    rm_rf(g_tmp);
}
END_TEST

/* ---- llmd_delta_write_files ---------------------------------------------------------------------------------- */
START_TEST(test_write_files_checks) {
    make_tmp();
    char dir[600], f1[700], f2[700], bad[700];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    snprintf(f1, sizeof f1, "%s/f1.parquet", g_tmp);
    snprintf(f2, sizeof f2, "%s/f2.parquet", g_tmp);
    snprintf(bad, sizeof bad, "%s/bad.parquet", g_tmp);
    write_id_text(f1, "[{\"id\":1,\"text\":\"x\"}]");
    write_id_text(f2, "[{\"id\":5,\"text\":\"y\"},{\"id\":6,\"text\":\"z\"}]");
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    fld(s, 0, "id", LLMD_TYPE_STRING, 1);
    write_pq(bad, s, "[{\"id\":\"q\"}]", 0, 1);
    llmd_schema_free(s);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_write_options o = LLMD_DELTA_WRITE_OPTIONS_INIT;
    int64_t v = 7, tv = 7;
    ck_fails(llmd_delta_write_files(NULL, &o, &v, &tv), LLMD_ERR_INVALID_ARG, "NULL table, options or version");
    ck_assert(v == -1 && tv == -1);
    ck_fails(llmd_delta_write_files(t, NULL, &v, NULL), LLMD_ERR_INVALID_ARG, "NULL table");
    ck_fails(llmd_delta_write_files(t, &o, NULL, &tv), LLMD_ERR_INVALID_ARG, "NULL table");
    o.version = 3;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_VERSION, "llmd_delta_write_options version 3 (expected 1)");
    o.version = LLMD_DELTA_WRITE_OPTIONS_VERSION;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_INVALID_ARG, "no files");
    o.n_files = 1;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_INVALID_ARG, "no files");
    const char *withnull[] = {f1, NULL};
    o.files = withnull;
    o.n_files = 2;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_INVALID_ARG, "file 1 is NULL");
    const char *files[] = {f1, f2};
    o.files = files;
    o.app_id = "";
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_INVALID_ARG, "an appId needs a non-empty name");
    o.app_id = "job";
    o.app_version = -2;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_INVALID_ARG, "version >= 0");
    o.app_version = 1;
    o.create = false;
    ck_assert_int_eq(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_NOT_FOUND);
    o.create = true;
    const char *nofile[] = {bad + 1};   /* not a file */
    o.files = nofile;
    o.n_files = 1;
    ck_assert_int_eq(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_NOT_FOUND);
    ck_assert(!exists(pathf("%s/_delta_log", dir)));
    /* created with the first file's schema, both files in version 1 */
    o.files = files;
    o.n_files = 2;
    o.operation = "STREAMING UPDATE";
    o.operation_parameters_json = "{\"epochId\":\"3\"}";
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(tv, 1);
    char *c = commit_text(dir, 1);
    ck_assert_ptr_nonnull(strstr(c, "\"operation\":\"STREAMING UPDATE\",\"operationParameters\":{\"epochId\":\"3\"}"));
    ck_assert_ptr_nonnull(strstr(c, "{\"txn\":{\"appId\":\"job\",\"version\":1,"));
    ck_assert_ptr_nonnull(strstr(c, "\\\"numRecords\\\":2"));
    ck_assert_ptr_null(action_in(c, "add", 2));
    free(c);
    /* rerun: nothing written, the table's version reported */
    v = tv = 0;
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert_int_eq(v, -1);
    ck_assert_int_eq(tv, 1);
    ck_ok(llmd_delta_write_files(t, &o, &v, NULL));
    ck_assert_int_eq(v, -1);
    /* without an app id: always a new version; the default operation */
    o.app_id = NULL;
    o.operation = NULL;
    o.operation_parameters_json = NULL;
    o.n_files = 1;
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert(v == 2 && tv == 2);
    c = commit_text(dir, 2);
    ck_assert_ptr_nonnull(strstr(c, "\"operation\":\"WRITE\",\"operationParameters\":{}"));
    free(c);
    /* a file whose schema does not match: no version, the file and column named */
    const char *badfiles[] = {f1, bad};
    o.files = badfiles;
    o.n_files = 2;
    o.app_id = "job";
    o.app_version = 2;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_SCHEMA, "column 'id' is \"string\" in the file but \"long\"");
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "bad.parquet"));
    ck_assert(v == -1 && tv == -1);
    ck_assert(!exists(pathf("%s/_delta_log/%020d.json", dir, 3)));
    llmd_delta_table_free(t);
    /* version 0 held by something that is not a commit: creating loses to it, then nothing to read */
    char d2[700];
    snprintf(d2, sizeof d2, "%s/t2", g_tmp);
    ck_assert_int_eq(mkdir(d2, 0777), 0);
    ck_assert_int_eq(mkdir(pathf("%s/_delta_log", d2), 0777), 0);
    ck_assert_int_eq(mkdir(pathf("%s/_delta_log/%020d.json", d2, 0), 0777), 0);
    ck_ok(llmd_delta_table_open(&t, d2, NULL));
    o.files = files;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_NOT_FOUND, "holds no commit");
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST
/* ---- allocation failures in turn (the technique of tests/test_nomem.c) --------------------------------------- */
/* A counting allocator: a scenario runs once to count its allocations, then once per allocation
 * with that one failing.  Each failing run must return LLMD_ERR_NOMEM with a message saying so and
 * leave no block allocated; a run the failure did not reach, or one that absorbed it (automatic
 * checkpoints are best effort), must succeed. */
static atomic_long nm_calls, nm_live, nm_fail_at;
static atomic_int nm_injected;
static int nm_fail(void) {
    long k = atomic_fetch_add(&nm_calls, 1) + 1;
    if (k == atomic_load(&nm_fail_at)) { atomic_store(&nm_injected, 1); return 1; }
    return 0;
}
static void *nm_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (nm_fail()) return NULL;
    void *p = malloc(n);
    if (p) atomic_fetch_add(&nm_live, 1);
    return p;
}
static void *nm_realloc(void *ctx, void *p, size_t old, size_t n) {
    (void)ctx;
    (void)old;
    if (nm_fail()) return NULL;
    int fresh = p == NULL;
    void *q = realloc(p, n);
    if (q && fresh) atomic_fetch_add(&nm_live, 1);
    return q;
}
static void nm_free(void *ctx, void *p) {
    (void)ctx;
    if (p == NULL) return;
    atomic_fetch_sub(&nm_live, 1);
    free(p);
}
/* cJSON's allocations (the library's JSON trees and printing) go through the same counter: a
 * failing malloc there is as real as one in the library's own code. */
static atomic_int nm_in_cjson;
static void *nm_cj_malloc(size_t n) {
    long k = atomic_load(&nm_calls) + 1;
    if (k == atomic_load(&nm_fail_at)) atomic_store(&nm_in_cjson, 1);
    return nm_malloc(NULL, n);
}
static void nm_cj_free(void *p) { nm_free(NULL, p); }

static const char *nm_result_dir;
static char nm_stats_file[600], nm_types_file[600];
/* Scenario directories live on tmpfs when there is one (every run fsyncs its commits). */
static char nm_root[256];
static void nm_setup_root(void) {
    struct stat sb;
    snprintf(nm_root, sizeof nm_root, "%s/llmd_delta_w_nomem.%ld", stat("/dev/shm", &sb) == 0 ? "/dev/shm" : "/tmp",
             (long)getpid());
    rm_rf(nm_root);
    ck_assert_int_eq(mkdir(nm_root, 0777), 0);
}
/* Scenarios run on templates in place (thousands of runs: no process per reset): what a run adds
 * (commits after the template's last version, checkpoints, temp files, sidecars, copied data
 * files "part-*", their new directories) is removed before the next; a NULL template is a new
 * table directory removed entirely. */
static void nm_clear(const char *dir, int64_t base, bool all) {
    DIR *d = opendir(dir);
    if (d == NULL) return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *n = de->d_name;
        if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0) continue;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", dir, n);
        struct stat sb;
        if (lstat(p, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) {
            nm_clear(p, base, all || strcmp(n, "_sidecars") == 0);
            rmdir(p);   /* only when empty: the template's own directories stay */
            continue;
        }
        dl_kind k;
        int64_t v;
        uint32_t pa, pn;
        bool newer = dl_classify(n, &k, &v, &pa, &pn) && k == DL_COMMIT && v > base;
        if (all || newer || strncmp(n, "part-", 5) == 0 || strstr(n, "checkpoint") || strstr(n, ".tmp")) unlink(p);
    }
    closedir(d);
}
static struct { const char *name; int64_t base; } nm_templates[] = {{"t1", 1}, {"t1r", 2}, {"t3", 2}, {"t4", 3}};
static const char *nm_table(const char *name) {
    static char dir[400];
    snprintf(dir, sizeof dir, "%s/%s", nm_root, name ? name : "new");
    int64_t base = -1;
    for (size_t i = 0; i < sizeof nm_templates / sizeof *nm_templates; i++)
        if (name && strcmp(nm_templates[i].name, name) == 0) base = nm_templates[i].base;
    ck_assert(name == NULL || base >= 0);
    nm_clear(dir, base, name == NULL);
    if (name == NULL) rmdir(dir);
    nm_result_dir = dir;
    return dir;
}

/* What a scenario made, in numbers that do not depend on the clock or random ids: the latest
 * version, its file count, the protocol and schema lengths, and the log's and sidecars' entries. */
static uint64_t nm_digest(void) {
    llmd_delta_table *t = NULL;
    llmd_delta_snapshot *s = NULL;
    uint64_t h = 0;
    if (llmd_delta_table_open(&t, nm_result_dir, NULL) == LLMD_OK && llmd_delta_snapshot_latest(&s, t) == LLMD_OK)
        h = (uint64_t)llmd_delta_snapshot_version(s) * 1000003u + llmd_delta_snapshot_file_count(s) * 1009u +
            strlen(llmd_delta_snapshot_protocol_json(s)) * 31u + strlen(llmd_delta_snapshot_schema_json(s));
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    llmd_clear_error();
    h = h * 131 + (uint64_t)count_files(pathf("%s/_delta_log", nm_result_dir), "0");
    h = h * 131 + (uint64_t)(count_files(pathf("%s/_delta_log/_sidecars", nm_result_dir), "0") + 1);
    return h;
}

typedef llmd_status (*nm_scenario)(void);
#define TRY(expr) do { st = (expr); if (st != LLMD_OK) goto out; } while (0)

/* cjson: cJSON's allocations fail in turn too (quadratic in the allocations: for small scenarios). */
static void nm_run(const char *name, nm_scenario f, bool cjson) {
    llmd_allocator a = {LLMD_ALLOCATOR_VERSION, nm_malloc, nm_realloc, nm_free, NULL};
    ck_ok(llmd_set_allocator(&a));
    cJSON_Hooks hooks = {nm_cj_malloc, nm_cj_free};
    if (cjson) cJSON_InitHooks(&hooks);
    atomic_store(&nm_fail_at, 0);
    atomic_store(&nm_calls, 0);
    llmd_status st = f();
    ck_assert_msg(st == LLMD_OK, "%s: clean run -> %s: %s", name, llmd_status_str(st), llmd_last_error());
    long total = atomic_load(&nm_calls), failures = 0, parse_like = 0;
    uint64_t clean = nm_digest();
    for (long k = 1; k <= total; k++) {
        long live0 = atomic_load(&nm_live);
        atomic_store(&nm_calls, 0);
        atomic_store(&nm_injected, 0);
        atomic_store(&nm_in_cjson, 0);
        atomic_store(&nm_fail_at, k);
        llmd_clear_error();
        st = f();
        atomic_store(&nm_fail_at, 0);
        ck_assert_msg(atomic_load(&nm_live) == live0, "%s: failing allocation %ld of %ld -> %s, %ld block(s) leaked: %s",
                      name, k, total, llmd_status_str(st), atomic_load(&nm_live) - live0, llmd_last_error());
        if (st == LLMD_OK) {   /* not reached, or absorbed: the same results */
            ck_assert_msg(nm_digest() == clean, "%s: allocation %ld of %ld failed%s, the calls succeeded with other results",
                          name, k, total, atomic_load(&nm_injected) ? "" : " (none)");
            continue;
        }
        ck_assert_msg(atomic_load(&nm_injected), "%s: run %ld failed without an allocation failure: %s", name, k,
                      llmd_last_error());
        failures++;
        /* cJSON's parser returns NULL for running out of memory as for a syntax error: the library
         * can only report what it sees, a parse error naming the text */
        if (atomic_load(&nm_in_cjson) && st != LLMD_ERR_NOMEM &&
            (st == LLMD_ERR_PARSE || st == LLMD_ERR_SCHEMA || st == LLMD_ERR_CORRUPT)) {
            parse_like++;
            continue;
        }
        ck_assert_msg(st == LLMD_ERR_NOMEM, "%s: failing allocation %ld of %ld%s -> %s (wanted NOMEM): %s", name, k, total,
                      atomic_load(&nm_in_cjson) ? " (in cJSON)" : "", llmd_status_str(st), llmd_last_error());
        ck_assert_msg(strstr(llmd_last_error(), "memory") != NULL, "%s: allocation %ld: message '%s'", name, k,
                      llmd_last_error());
    }
    ck_ok(llmd_set_allocator(NULL));
    cJSON_InitHooks(NULL);
    ck_assert_msg(failures > 0, "%s: no allocation failure reached the caller", name);
    fprintf(stderr, "delta_write nomem: %-14s %5ld allocations, %ld failed: %ld NOMEM, %ld parse errors (in cJSON's parser)\n",
            name, total, failures, failures - parse_like, parse_like);
}

static llmd_status nm_create(void) {
    const char *dir = nm_table(NULL);
    llmd_delta_table *t = NULL;
    llmd_status st;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *parts[] = {"part"}, *ck[] = {"delta.appendOnly", "delta.checkpointPolicy", "owner"}, *cv[] = {"true", "v2", "me"};
    o.schema_json = k_schema;
    o.partition_columns = parts;
    o.n_partition_columns = 1;
    o.config_keys = ck;
    o.config_values = cv;
    o.n_config = 3;
    o.name = "n";
    o.description = "d";
    TRY(llmd_delta_table_create(t, &o));
out:
    llmd_delta_table_free(t);
    return st;
}

/* On template "t1" (files a, b; app "app" at 1): every transaction operation in one commit. */
static llmd_status nm_txn(void) {
    const char *dir = nm_table("t1");
    llmd_delta_table *t = NULL;
    llmd_delta_txn *x = NULL;
    llmd_status st;
    int64_t v;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    TRY(llmd_delta_txn_begin(&x, t));
    llmd_delta_add a = LLMD_DELTA_ADD_INIT;
    const char *k[] = {"part"}, *pv[] = {"p q"};
    a.path = "part=p q/c d.parquet";
    a.size = 5;
    a.partition_keys = k;
    a.partition_values = pv;
    a.n_partitions = 1;
    a.stats_json = "{\"numRecords\":1}";
    TRY(llmd_delta_txn_add(x, &a));
    pv[0] = NULL;
    a.path = "part=__HIVE_DEFAULT_PARTITION__/n.parquet";
    TRY(llmd_delta_txn_add(x, &a));
    TRY(llmd_delta_txn_set_app_version(x, "app2", 1));
    TRY(llmd_delta_txn_set_operation(x, "WRITE", "{\"mode\":\"Append\"}"));
    TRY(llmd_delta_txn_remove(x, "part=x/b.parquet"));
    TRY(llmd_delta_txn_set_property(x, "owner", "me"));
    TRY(llmd_delta_txn_set_property(x, "delta.appendOnly", "true"));
    TRY(llmd_delta_txn_set_schema(x, "{\"type\":\"struct\",\"fields\":[{\"name\":\"id\",\"type\":\"long\",\"nullable\":true,"
                                     "\"metadata\":{}},{\"name\":\"part\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
                                     "{\"name\":\"z\",\"type\":\"double\",\"nullable\":true,\"metadata\":{}}]}", true));
    TRY(llmd_delta_txn_set_property(x, "delta.appendOnly", "false"));
    TRY(llmd_delta_txn_commit(x, &v));
out:
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    return st;
}

/* A blind append committed after a concurrent remove (read, commuted, retried); then a restore. */
static llmd_status nm_race(void) {
    const char *dir = nm_table("t1");
    llmd_delta_table *t = NULL;
    llmd_delta_txn *x = NULL, *y = NULL;
    llmd_status st;
    int64_t v;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    TRY(llmd_delta_txn_begin(&x, t));
    TRY(llmd_delta_txn_begin(&y, t));
    TRY(add_file(x, "c.parquet", "x"));
    TRY(llmd_delta_txn_remove(y, "part=x/b.parquet"));
    TRY(llmd_delta_txn_commit(y, &v));
    TRY(llmd_delta_txn_commit(x, &v));
out:
    llmd_delta_txn_free(x);
    llmd_delta_txn_free(y);
    llmd_delta_table_free(t);
    return st;
}
static llmd_status nm_restore(void) {
    const char *dir = nm_table("t1r");
    llmd_delta_table *t = NULL;
    llmd_status st;
    int64_t v;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    TRY(llmd_delta_restore(t, 1, &v));
out:
    llmd_delta_table_free(t);
    return st;
}

/* The Delta schema of a file with nested columns; the stats of a file with every column type. */
static llmd_status nm_schema_stats(void) {
    llmd_parquet_reader *r = NULL;
    char *js = NULL;
    llmd_status st;
    TRY(llmd_delta_schema_from_parquet(nm_types_file, &js));
    TRY(llmd_parquet_reader_open(&r, nm_stats_file, NULL));
    llmd_free(js);
    js = NULL;
    TRY(dl_file_stats(r, &js));
out:
    llmd_parquet_reader_free(r);
    llmd_free(js);
    return st;
}

/* Appending Parquet files (schema checks, stats of every type, merge) and write_files creating a
 * table; the Delta schema of a file. */
static llmd_status nm_append(void) {
    const char *dir = nm_table(NULL);
    llmd_delta_table *t = NULL;
    char *js = NULL, *rel = NULL;
    llmd_status st;
    int64_t v, tv;
    TRY(llmd_delta_schema_from_parquet(nm_types_file, &js));
    llmd_free(js);
    js = NULL;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_write_options o = LLMD_DELTA_WRITE_OPTIONS_INIT;
    const char *files[] = {nm_stats_file};
    o.files = files;
    o.n_files = 1;
    o.app_id = "job";
    o.app_version = 1;
    TRY(llmd_delta_write_files(t, &o, &v, &tv));
    TRY(llmd_delta_write_files(t, &o, &v, &tv));   /* the rerun: nothing */
out:
    llmd_free(js);
    llmd_free(rel);
    llmd_delta_table_free(t);
    return st;
}

static llmd_status nm_merge(void) {
    const char *dir = nm_table("t1");
    llmd_delta_table *t = NULL;
    llmd_delta_txn *x = NULL;
    char *rel = NULL;
    llmd_status st;
    int64_t v;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    TRY(llmd_delta_txn_begin(&x, t));
    llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
    const char *k[] = {"part"}, *pv[] = {"a/b"};
    a.source = nm_types_file;
    a.partition_keys = k;
    a.partition_values = pv;
    a.n_partitions = 1;
    a.merge_schema = true;
    TRY(llmd_delta_txn_append_file(x, &a, &rel));
    TRY(llmd_delta_txn_commit(x, &v));
out:
    llmd_free(rel);
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    return st;
}

/* Checkpoints of template "t3" (tombstones, txn, domainMetadata, deletion vectors): classic; of "t4"
 * (v2Checkpoint): V2 JSON and V2 Parquet. */
static llmd_status nm_checkpoint(void) {
    const char *dir = nm_table("t3");
    llmd_delta_table *t = NULL;
    llmd_status st;
    int64_t v;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    TRY(llmd_delta_checkpoint(t, &v));
out:
    llmd_delta_table_free(t);
    return st;
}
static llmd_status nm_checkpoint_v2(bool top_parquet) {
    const char *dir = nm_table("t4");
    llmd_delta_table *t = NULL;
    llmd_status st;
    int64_t v;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_checkpoint_options o = LLMD_DELTA_CHECKPOINT_OPTIONS_INIT;
    o.v2_parquet = top_parquet;
    TRY(llmd_delta_checkpoint_with(t, &o, &v));
out:
    llmd_delta_table_free(t);
    return st;
}
static llmd_status nm_checkpoint_v2_json(void) { return nm_checkpoint_v2(false); }
static llmd_status nm_checkpoint_v2_parquet(void) { return nm_checkpoint_v2(true); }

static llmd_status nm_vacuum(void) {
    const char *dir = nm_table("t1");
    llmd_delta_table *t = NULL;
    char *report = NULL;
    llmd_status st;
    TRY(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_vacuum_options o = LLMD_DELTA_VACUUM_OPTIONS_INIT;
    o.dry_run = true;
    o.retention_hours = 0;
    o.allow_short_retention = true;
    o.now_ms = dl_now_ms() + 1000000;
    TRY(llmd_delta_vacuum(t, &o, &report));
out:
    llmd_free(report);
    llmd_delta_table_free(t);
    return st;
}

START_TEST(test_allocation_failures) {
    nm_setup_root();
    /* templates, made without injection */
    char d[700];
    snprintf(d, sizeof d, "%s/t1", nm_root);
    llmd_delta_table *t = new_table(d, true, NULL, NULL, 0);
    llmd_delta_txn *x = NULL;
    int64_t v;
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(add_file(x, "part=x/a.parquet", "x"));
    ck_ok(add_file(x, "part=x/b.parquet", "x"));
    ck_ok(llmd_delta_txn_set_app_version(x, "app", 1));
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    ck_assert_int_eq(mkdir(pathf("%s/part=x", d), 0777), 0);
    write_text(pathf("%s/part=x/a.parquet", d), "");   /* vacuum walks a partition directory */
    write_text(pathf("%s/stray.parquet", d), "");
    snprintf(d, sizeof d, "%s/t3", nm_root);
    write_v0(d, "{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\"],"
                "\"writerFeatures\":[\"deletionVectors\",\"domainMetadata\"]}", "");
    write_text(pathf("%s/_delta_log/%020d.json", d, 1),
               "{\"add\":{\"path\":\"a.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true,"
               "\"tags\":{\"k\":\"v\"},\"stats\":\"{}\"}}\n"
               "{\"add\":{\"path\":\"dv.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true,"
               "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\",\"offset\":4,"
               "\"sizeInBytes\":40,\"cardinality\":2}}}\n"
               "{\"txn\":{\"appId\":\"a\",\"version\":3,\"lastUpdated\":5}}\n"
               "{\"domainMetadata\":{\"domain\":\"d1\",\"configuration\":\"{}\",\"removed\":false}}\n");
    write_text(pathf("%s/_delta_log/%020d.json", d, 2),
               pathf("{\"remove\":{\"path\":\"b.parquet\",\"deletionTimestamp\":%lld,\"dataChange\":true}}\n",
                     (long long)dl_now_ms()));
    snprintf(d, sizeof d, "%s/t4", nm_root);
    const char *k[] = {"delta.checkpointPolicy"}, *vv[] = {"v2"};
    t = new_table(d, false, k, vv, 1);
    commit_adds(t, (const char *[]){"a.parquet", "b.parquet"}, 2);
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_remove(x, "a.parquet"));
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    snprintf(nm_stats_file, sizeof nm_stats_file, "%s/stats.parquet", nm_root);
    llmd_schema *s = stats_schema();
    write_pq(nm_stats_file, s, k_stats_rows, 2, 1);
    llmd_schema_free(s);
    snprintf(nm_types_file, sizeof nm_types_file, "%s/types.parquet", nm_root);
    ck_ok(llmd_schema_new(&s));
    fld(s, 0, "u64", LLMD_TYPE_UINT64, 1);
    int li = fld(s, 0, "li", LLMD_TYPE_LIST, 1);
    fld(s, li, "element", LLMD_TYPE_INT32, 0);
    int mp = fld(s, 0, "mp", LLMD_TYPE_MAP, 1);
    fld(s, mp, "key", LLMD_TYPE_STRING, 0);
    fld(s, mp, "value", LLMD_TYPE_INT64, 1);
    int st = fld(s, 0, "st", LLMD_TYPE_STRUCT, 1);
    fld(s, st, "a", LLMD_TYPE_INT32, 1);
    write_pq(nm_types_file, s, "[{\"u64\":3,\"li\":[1],\"mp\":{\"a\":1},\"st\":{\"a\":1}}]", 0, 1);
    llmd_schema_free(s);

    /* t1r: t1 plus a version 2 that removed a file and changed a property (restore undoes both) */
    snprintf(d, sizeof d, "%s/t1r", nm_root);
    ck_assert_int_eq(system(pathf("cp -r '%s/t1' '%s'", nm_root, d)), 0);   /* once, before any run */
    ck_ok(llmd_delta_table_open(&t, d, NULL));
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_remove(x, "part=x/a.parquet"));
    ck_ok(llmd_delta_txn_set_property(x, "owner", "o"));
    ck_ok(llmd_delta_txn_commit(x, &v));
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    nm_result_dir = nm_root;   /* scenarios without a table */

    nm_run("create", nm_create, true);
    nm_run("txn", nm_txn, true);
    nm_run("race", nm_race, true);
    nm_run("restore", nm_restore, true);
    nm_run("schema_stats", nm_schema_stats, true);
    nm_run("append", nm_append, false);
    nm_run("merge", nm_merge, true);
    nm_run("checkpoint", nm_checkpoint, true);
    nm_run("ckpt_v2_json", nm_checkpoint_v2_json, true);
    nm_run("ckpt_v2_pq", nm_checkpoint_v2_parquet, false);
    nm_run("vacuum", nm_vacuum, true);
    rm_rf(nm_root);
}
END_TEST
/* ---- vacuum ----------------------------------------------------------------------------------------------------- */
static void touch_at(const char *path, int64_t ms) {
    struct timespec ts[2] = {{(time_t)(ms / 1000), (long)(ms % 1000) * 1000000}, {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000}};
    ck_assert_msg(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0, "%s: %s", path, strerror(errno));
}

/* What vacuum keeps: live files and their deletion vectors (by the PROTOCOL.md example, "u" DV
 * "ab^-aqEH.-t@S}K{vb[*k^" is ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin), absolute
 * paths inside the table, tombstones younger than the retention (and their DVs) or without a
 * deletionTimestamp, files younger than the retention, hidden and '_' entries (but '_p=1/' partition
 * directories are walked), symlinks; the log's stale temp files go. */
START_TEST(test_vacuum_rules) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    int64_t now = dl_now_ms() + INT64_C(30) * 24 * 3600 * 1000;   /* a month from now */
    write_v0(dir, "{\"minReaderVersion\":3,\"minWriterVersion\":7,\"readerFeatures\":[\"deletionVectors\"],"
                  "\"writerFeatures\":[\"deletionVectors\"]}", "");
    write_text(pathf("%s/_delta_log/%020d.json", dir, 1),
               pathf("{\"add\":{\"path\":\"live.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true,"
                     "\"deletionVector\":{\"storageType\":\"u\",\"pathOrInlineDv\":\"ab^-aqEH.-t@S}K{vb[*k^\",\"offset\":1,"
                     "\"sizeInBytes\":40,\"cardinality\":2}}}\n"
                     "{\"add\":{\"path\":\"%s/abs.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n"
                     "{\"add\":{\"path\":\"/elsewhere/x.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true}}\n"
                     "{\"add\":{\"path\":\"inline.parquet\",\"partitionValues\":{},\"size\":1,\"modificationTime\":1,\"dataChange\":true,"
                     "\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L\","
                     "\"sizeInBytes\":40,\"cardinality\":6}}}\n", dir));
    write_text(pathf("%s/_delta_log/%020d.json", dir, 2),
               pathf("{\"remove\":{\"path\":\"tomb_new.parquet\",\"deletionTimestamp\":%lld,\"dataChange\":true,"
                     "\"deletionVector\":{\"storageType\":\"p\",\"pathOrInlineDv\":\"dvp.bin\",\"sizeInBytes\":4,\"cardinality\":1}}}\n"
                     "{\"remove\":{\"path\":\"tomb_old.parquet\",\"deletionTimestamp\":1,\"dataChange\":true}}\n"
                     "{\"remove\":{\"path\":\"tomb_nots.parquet\",\"dataChange\":true}}\n", (long long)(now - 3600 * 1000)));
    const char *files[] = {"live.parquet", "ab/deletion_vector_d2c639aa-8816-431a-aaf6-d3fe2512ff61.bin", "abs.parquet",
                           "inline.parquet", "tomb_new.parquet", "dvp.bin", "tomb_old.parquet", "tomb_nots.parquet",
                           "orphan.parquet", "_p=1/orphan3.parquet", "_skip/x.parquet", ".hidden", "young.parquet",
                           "_delta_log/00000000000000000003.json.tmp.1.2", "_delta_log/ck.tmp-abc", "_delta_log/new.tmp.9.9"};
    ck_assert_int_eq(mkdir(pathf("%s/ab", dir), 0777), 0);
    ck_assert_int_eq(mkdir(pathf("%s/_p=1", dir), 0777), 0);
    ck_assert_int_eq(mkdir(pathf("%s/_skip", dir), 0777), 0);
    ck_assert_int_eq(mkdir(pathf("%s/_delta_log/d.tmp.1.1", dir), 0777), 0);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        write_text(pathf("%s/%s", dir, files[i]), "x");
        bool young = strstr(files[i], "young") || strstr(files[i], "new.tmp");
        touch_at(pathf("%s/%s", dir, files[i]), young ? now + 1000 : 1000000);
    }
    ck_assert_int_eq(symlink("live.parquet", pathf("%s/link.parquet", dir)), 0);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    char *rep = NULL;
    llmd_delta_vacuum_options o = LLMD_DELTA_VACUUM_OPTIONS_INIT;
    ck_fails(llmd_delta_vacuum(NULL, &o, &rep), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_delta_vacuum(t, &o, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    o.version = 9;
    ck_fails(llmd_delta_vacuum(t, &o, &rep), LLMD_ERR_VERSION, "llmd_delta_vacuum_options");
    o.version = LLMD_DELTA_VACUUM_OPTIONS_VERSION;
    const double bad[] = {-1.0, NAN, INFINITY};
    for (size_t i = 0; i < 3; i++) {
        o.retention_hours = bad[i];
        o.allow_short_retention = true;
        ck_fails(llmd_delta_vacuum(t, &o, &rep), LLMD_ERR_INVALID_ARG, "vacuum retention must be >= 0 hours");
    }
    o.retention_hours = 10;
    o.allow_short_retention = false;
    ck_fails(llmd_delta_vacuum(t, &o, &rep), LLMD_ERR_INVALID_ARG, "vacuum retention 10.0 h is below the 168 h safety minimum");
    ck_assert_ptr_null(rep);
    o.retention_hours = 168;
    o.now_ms = now;
    o.dry_run = true;
    ck_ok(llmd_delta_vacuum(t, &o, &rep));
    cJSON *r = cJSON_Parse(rep);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(r, "dryRun")));
    ck_assert_int_eq(cJSON_GetObjectItem(r, "count")->valueint, 5);
    ck_assert_int_eq(cJSON_GetObjectItem(r, "bytes")->valueint, 3);   /* the data files' bytes */
    const char *gone[] = {"tomb_old.parquet", "orphan.parquet", "_p=1/orphan3.parquet",
                          "_delta_log/00000000000000000003.json.tmp.1.2", "_delta_log/ck.tmp-abc"};
    for (size_t i = 0; i < 5; i++) {
        bool seen = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(r, "files")) seen = seen || strcmp(e->valuestring, gone[i]) == 0;
        ck_assert_msg(seen, "%s not listed: %s", gone[i], rep);
        ck_assert(exists(pathf("%s/%s", dir, gone[i])));   /* a dry run deletes nothing */
    }
    cJSON_Delete(r);
    llmd_free(rep);
    o.dry_run = false;
    ck_ok(llmd_delta_vacuum(t, &o, &rep));
    ck_assert_ptr_nonnull(strstr(rep, "\"dryRun\":false,\"count\":5"));
    llmd_free(rep);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        bool deleted = false;
        for (size_t j = 0; j < 5; j++) deleted = deleted || strcmp(files[i], gone[j]) == 0;
        ck_assert_msg(exists(pathf("%s/%s", dir, files[i])) != deleted, "%s", files[i]);
    }
    ck_assert(exists(pathf("%s/_delta_log/d.tmp.1.1", dir)));
    llmd_delta_table_free(t);
    /* a writer feature vacuum does not know: refused, as a transaction is */
    char d2[700];
    snprintf(d2, sizeof d2, "%s/t2", g_tmp);
    write_v0(d2, "{\"minReaderVersion\":1,\"minWriterVersion\":7,\"writerFeatures\":[\"fancyNewThing\"]}", "");
    ck_ok(llmd_delta_table_open(&t, d2, NULL));
    o.now_ms = 0;
    ck_fails(llmd_delta_vacuum(t, &o, &rep), LLMD_ERR_UNSUPPORTED, "vacuum of");
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "fancyNewThing"));
    llmd_delta_txn *x = NULL;
    ck_fails(llmd_delta_txn_begin(&x, t), LLMD_ERR_UNSUPPORTED, "fancyNewThing");
    ck_assert_ptr_null(x);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST

/* Odd inputs the other tests do not reach: a config value NULL, a source named without a
 * directory, a source under a regular file (ENOTDIR), a NULL partition key in an append, a head
 * without the magic, finished transactions, a raised app version, a winner's last line without a
 * newline, blank lines of tabs and CRs, another app's txn. */
START_TEST(test_odd_inputs) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options co = LLMD_DELTA_CREATE_OPTIONS_INIT;
    const char *ck[] = {"a"}, *cv[] = {NULL};
    co.schema_json = k_schema;
    co.config_keys = ck;
    co.config_values = cv;
    co.n_config = 1;
    ck_fails(llmd_delta_table_create(t, &co), LLMD_ERR_INVALID_ARG, "table property 0 is NULL");
    llmd_delta_table_free(t);
    t = new_table(dir, false, NULL, NULL, 0);
    char src[700];
    snprintf(src, sizeof src, "%s/in.parquet", g_tmp);
    llmd_schema *sc = NULL;
    ck_ok(llmd_schema_new(&sc));
    fld(sc, 0, "id", LLMD_TYPE_INT64, 1);
    fld(sc, 0, "part", LLMD_TYPE_STRING, 1);
    write_pq(src, sc, "[{\"id\":1,\"part\":\"a\"}]", 0, 1);
    llmd_schema_free(sc);
    ck_assert_int_eq(chdir(g_tmp), 0);
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
    const char *pk[] = {NULL}, *pv[] = {"v"};
    a.source = "in.parquet";   /* relative, no directory part: the base name is the whole name */
    a.partition_keys = pk;
    a.partition_values = pv;
    a.n_partitions = 1;
    char *rel = NULL;
    ck_fails(llmd_delta_txn_append_file(x, &a, &rel), LLMD_ERR_INVALID_ARG, "partition key 0 is NULL");
    a.n_partitions = 0;
    ck_ok(llmd_delta_txn_append_file(x, &a, &rel));
    ck_assert_int_eq(strncmp(rel, "part-", 5), 0);
    ck_assert_str_eq(rel + strlen(rel) - 11, "-in.parquet");
    llmd_free(rel);
    llmd_delta_append none = LLMD_DELTA_APPEND_INIT;
    ck_fails(llmd_delta_txn_append_file(x, &none, NULL), LLMD_ERR_INVALID_ARG, "no source");
    a.source = "in.parquet/x.parquet";
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_IO, "cannot open");
    write_text(pathf("%s/head.parquet", g_tmp), "XXXX56789012PAR1");
    a.source = "head.parquet";
    ck_fails(llmd_delta_txn_append_file(x, &a, NULL), LLMD_ERR_PARSE, "no PAR1 magic");
    ck_ok(llmd_delta_txn_set_app_version(x, "app", 3));
    int64_t v;
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_fails(llmd_delta_txn_set_app_version(x, "app", 4), LLMD_ERR_STATE, "already committed");
    ck_fails(llmd_delta_txn_set_operation(x, "W", NULL), LLMD_ERR_STATE, "already committed");
    ck_fails(llmd_delta_txn_set_property(x, "k", "v"), LLMD_ERR_STATE, "already committed");
    ck_fails(llmd_delta_txn_set_schema(x, k_schema, true), LLMD_ERR_STATE, "already committed");
    ck_fails(llmd_delta_txn_remove(x, "x"), LLMD_ERR_STATE, "already committed");
    ck_fails(llmd_delta_txn_remove_all(x), LLMD_ERR_STATE, "already committed");
    ck_fails(llmd_delta_txn_add(x, &(llmd_delta_add)LLMD_DELTA_ADD_INIT), LLMD_ERR_STATE, "already committed");
    llmd_delta_txn_free(x);
    /* a higher app version commits; the winner before it is fine */
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_set_app_version(x, "app", 4));
    ck_ok(llmd_delta_txn_set_property(x, "delta.appendOnly", NULL));   /* unset: no feature needed */
    write_text(pathf("%s/_delta_log/%020d.json", dir, 2),
               "{\"commitInfo\":{\"isBlindAppend\":true}}\n\t\r \n{\"txn\":{\"appId\":\"other\",\"version\":1}}");
    /* the winner changed neither metadata nor this app: this metadata change commits after it */
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 3);
    llmd_delta_txn_free(x);
    ck_ok(llmd_delta_txn_begin(&x, t));
    ck_ok(llmd_delta_txn_set_app_version(x, "app", 5));
    ck_ok(add_file(x, "z.parquet", NULL));
    ck_ok(llmd_delta_txn_commit(x, &v));
    ck_assert_int_eq(v, 4);
    llmd_delta_txn_free(x);
    llmd_delta_snapshot *s = NULL;
    ck_ok(llmd_delta_snapshot_latest(&s, t));
    int64_t av = 0;
    ck_ok(llmd_delta_snapshot_app_version(s, "app", &av));
    ck_assert_int_eq(av, 5);
    ck_ok(llmd_delta_snapshot_app_version(s, "other", &av));
    ck_assert_int_eq(av, 1);
    llmd_delta_snapshot_free(s);
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST
/* ---- more schema enforcement: nested mismatches in the other direction, partition columns, NOT NULL
 * structs, big negative int64 stats ------------------------------------------------------------------------ */
static void write_variant2(const char *path, int which) {
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    if (which == 1) {
        int x = fld(s, 0, "s", LLMD_TYPE_STRUCT, 1);
        fld(s, x, "a", LLMD_TYPE_INT32, 1);
    } else {
        fld(s, 0, "s", LLMD_TYPE_STRING, 1);
    }
    int st = fld(s, 0, "st", LLMD_TYPE_STRUCT, 1);
    fld(s, st, "a", which == 2 ? LLMD_TYPE_INT64 : LLMD_TYPE_INT32, 1);
    fld(s, st, which == 3 ? "c" : "b", LLMD_TYPE_INT32, 1);
    int mp = fld(s, 0, "m", LLMD_TYPE_MAP, 1);
    fld(s, mp, "key", which == 4 ? LLMD_TYPE_INT64 : LLMD_TYPE_STRING, 0);
    fld(s, mp, "value", LLMD_TYPE_STRING, 1);
    int ns = fld(s, 0, "ns", LLMD_TYPE_STRUCT, which == 6);
    fld(s, ns, "a", LLMD_TYPE_INT32, 1);
    if (which == 5) fld(s, 0, "p", LLMD_TYPE_INT32, 1);
    write_pq(path, s, "[{\"st\":{\"a\":1,\"b\":2},\"m\":{\"1\":\"x\"},\"ns\":{\"a\":1},\"p\":1}]", 0, 1);
    llmd_schema_free(s);
}

START_TEST(test_schema_enforcement_nested) {
    make_tmp();
    char dir[600];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_create_options o = LLMD_DELTA_CREATE_OPTIONS_INIT;
    o.schema_json = "{\"type\":\"struct\",\"fields\":["
        "{\"name\":\"s\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"st\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"b\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]},\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"keyType\":\"string\",\"valueType\":\"string\",\"valueContainsNull\":true},\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"ns\",\"type\":{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]},\"nullable\":false,\"metadata\":{}},"
        "{\"name\":\"p\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}}]}";
    const char *parts[] = {"p"};
    o.partition_columns = parts;
    o.n_partition_columns = 1;
    ck_ok(llmd_delta_table_create(t, &o));
    static const struct { int which; llmd_status st; const char *msg; } cases[] = {
        {1, LLMD_ERR_SCHEMA, "column 's' is {\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"integer\""},
        {2, LLMD_ERR_SCHEMA, "column 'st' is {\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\""},
        {3, LLMD_ERR_SCHEMA, "\"name\":\"c\""},
        {4, LLMD_ERR_SCHEMA, "column 'm' is {\"type\":\"map\",\"keyType\":\"long\""},
        {5, LLMD_ERR_SCHEMA, "column 'p' is a partition column: its values belong in the partition"},
        /* a NOT NULL struct: its null count is not a leaf's, so a nullable one in the file is refused */
        {6, LLMD_ERR_SCHEMA, "column 'ns' is NOT NULL in the table but nullable in the file, without null counts"},
        {0, LLMD_OK, NULL},
    };
    llmd_delta_txn *x = NULL;
    ck_ok(llmd_delta_txn_begin(&x, t));
    llmd_delta_append a = LLMD_DELTA_APPEND_INIT;
    const char *pk[] = {"p"}, *pv[] = {"1"};
    a.partition_keys = pk;
    a.partition_values = pv;
    a.n_partitions = 1;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char src[700];
        snprintf(src, sizeof src, "%s/n%zu.parquet", g_tmp, i);
        write_variant2(src, cases[i].which);
        a.source = src;
        llmd_status st = llmd_delta_txn_append_file(x, &a, NULL);
        ck_assert_msg(st == cases[i].st, "case %zu: %s: %s", i, llmd_status_str(st), llmd_last_error());
        if (cases[i].msg) ck_assert_msg(strstr(llmd_last_error(), cases[i].msg) != NULL, "case %zu: %s", i, llmd_last_error());
    }
    llmd_delta_txn_free(x);
    llmd_delta_table_free(t);
    /* int64 bounds beyond -2^53 stay exact */
    char big[700];
    snprintf(big, sizeof big, "%s/big.parquet", g_tmp);
    llmd_schema *s = NULL;
    ck_ok(llmd_schema_new(&s));
    fld(s, 0, "b", LLMD_TYPE_INT64, 1);
    write_pq(big, s, "[{\"b\":\"-9007199254740993\"},{\"b\":1}]", 0, 1);
    llmd_schema_free(s);
    char *got = file_stats(big);
    ck_assert_str_eq(got, "{\"numRecords\":2,\"minValues\":{\"b\":-9007199254740993},\"maxValues\":{\"b\":1},\"nullCount\":{\"b\":0}}");
    llmd_free(got);
    rm_rf(g_tmp);
}
END_TEST
/* ---- write_files losing a race to a writer of the same appId --------------------------------------------------- */
/* The concurrent writer is simulated deterministically: an allocator hook writes its commit (with
 * plain stdio, no library call) at the moment llmd_delta_write_files copies the operation name into
 * its transaction (the one allocation of that distinctive size: nothing else copies an operation),
 * i.e. after the transaction read the table and before it commits. */
#define RACE_APP "race-app"
#define RACE_OP "RACE-OPERATION-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
static char race_commit[800];
static const char *race_body;
static void *race_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (race_body && n == sizeof RACE_OP) {
        FILE *f = fopen(race_commit, "wx");
        if (f) { fputs(race_body, f); fclose(f); }
        race_body = NULL;
    }
    return malloc(n);
}
static void *race_realloc(void *ctx, void *p, size_t old, size_t n) { (void)ctx; (void)old; return realloc(p, n); }
static void race_free(void *ctx, void *p) { (void)ctx; free(p); }

START_TEST(test_write_files_race) {
    make_tmp();
    char dir[600], f1[700];
    snprintf(dir, sizeof dir, "%s/t", g_tmp);
    snprintf(f1, sizeof f1, "%s/f1.parquet", g_tmp);
    write_id_text(f1, "[{\"id\":1,\"text\":\"x\"}]");
    llmd_delta_table *t = NULL;
    ck_ok(llmd_delta_table_open(&t, dir, NULL));
    llmd_delta_write_options o = LLMD_DELTA_WRITE_OPTIONS_INIT;
    const char *files[] = {f1};
    o.files = files;
    o.n_files = 1;
    o.app_id = RACE_APP;
    o.app_version = 1;
    o.operation = RACE_OP;
    int64_t v = 0, tv = 0;
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));   /* version 0 created, version 1 written */
    ck_assert(v == 1 && tv == 1);
    llmd_allocator a = {LLMD_ALLOCATOR_VERSION, race_malloc, race_realloc, race_free, NULL};
    ck_ok(llmd_set_allocator(&a));
    /* the winner commits this very app version: this run is then already in the table */
    snprintf(race_commit, sizeof race_commit, "%s/_delta_log/%020d.json", dir, 2);
    race_body = "{\"commitInfo\":{\"isBlindAppend\":true}}\n{\"txn\":{\"appId\":\"" RACE_APP "\",\"version\":2}}\n";
    o.app_version = 2;
    ck_ok(llmd_delta_write_files(t, &o, &v, &tv));
    ck_assert_ptr_null(race_body);   /* the hook fired */
    ck_assert_int_eq(v, -1);
    ck_assert_int_eq(tv, 2);
    ck_assert(!exists(pathf("%s/_delta_log/%020d.json", dir, 3)));
    /* the winner committed an older version of the app: a real conflict, reported as such */
    snprintf(race_commit, sizeof race_commit, "%s/_delta_log/%020d.json", dir, 3);
    race_body = "{\"commitInfo\":{\"isBlindAppend\":true}}\n{\"txn\":{\"appId\":\"" RACE_APP "\",\"version\":2}}\n";
    o.app_version = 3;
    ck_fails(llmd_delta_write_files(t, &o, &v, &tv), LLMD_ERR_CONFLICT, "version 3 committed a txn for the same appId");
    ck_assert_ptr_null(race_body);
    ck_assert(v == -1 && tv == -1);
    ck_ok(llmd_set_allocator(NULL));
    llmd_delta_table_free(t);
    rm_rf(g_tmp);
}
END_TEST
/* ---- suite ------------------------------------------------------------------------------------------------ */
int main(void) {
    Suite *s = suite_create("delta_write");
    TCase *c = tcase_create("write");
    tcase_set_timeout(c, 600);
    tcase_add_test(c, test_colbuild_values);
    tcase_add_test(c, test_file_stats_every_type);
    tcase_add_test(c, test_schema_from_parquet_types);
    tcase_add_test(c, test_schema_enforcement);
    tcase_add_test(c, test_append_file_paths_and_errors);
    tcase_add_test(c, test_create_checks);
    tcase_add_test(c, test_txn_add_checks);
    tcase_add_test(c, test_remove_and_properties);
    tcase_add_test(c, test_set_schema);
    tcase_add_test(c, test_conflicts);
    tcase_add_test(c, test_commit_winners);
    tcase_add_test(c, test_auto_checkpoint);
    tcase_add_test(c, test_restore_checks);
    tcase_add_test(c, test_checkpoint_checks);
    tcase_add_test(c, test_checkpoint_parts);
    tcase_add_test(c, test_checkpoint_v2);
    tcase_add_test(c, test_checkpoint_tombstones);
    tcase_add_test(c, test_write_files_checks);
    tcase_add_test(c, test_write_files_race);
    tcase_add_test(c, test_vacuum_rules);
    tcase_add_test(c, test_schema_enforcement_nested);
    tcase_add_test(c, test_odd_inputs);
    tcase_add_test(c, test_allocation_failures);
    suite_add_tcase(s, c);
    return run_suite(s);
}
