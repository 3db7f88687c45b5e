/* Branch coverage of the Parquet module (issue 19).  Hand-built files (a small Thrift footer and
 * page builder over the module's own compact-protocol writer) with every physical type, the old
 * ConvertedType and the LogicalType annotations, every value encoding (PLAIN, PLAIN_DICTIONARY,
 * RLE_DICTIONARY, RLE booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY, DELTA_BYTE_ARRAY,
 * BYTE_STREAM_SPLIT), data pages v1 and v2, every codec, and the damaged variant of each (the
 * error names the problem).  Encoded bytes are written by hand from parquet-format Encodings.md
 * (its DELTA examples) and LogicalTypes.md; expected values follow from the spec, not from a run.
 * Then the writer over every type and option (statistics in unsigned/float order, NaN, -0.0),
 * row-group skipping with every operator, argument checks, and the shard writer's error paths.
 * Files written by real writers (DuckDB, arrow-rs) are compared in tests/parquet/run_peers.sh. */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parquet/pq_internal.h"
#include "testutil.h"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
    static char p[512];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/llmd_pqcov_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

/* ---- a hand-built file: flat columns, one row group ------------------------------------------ */

typedef struct pcol {
    const char *name;
    int phys, type_length, rep;   /* rep: PQ_REQUIRED / PQ_OPTIONAL */
    int converted;                /* -1: none */
    int scale, precision;         /* with converted DECIMAL */
    int logical;                  /* LT_NONE: none */
    int la, lb;                   /* INTEGER: bits, signed; TIME/TIMESTAMP: unit (-1 none), utc;
                                   * DECIMAL: scale, precision */
    int codec;
    llmd_buf pages;
    int64_t num_values;
    int has_dict;
} pcol;

static pcol col(const char *name, int phys, int rep) {
    pcol c = {.name = name, .phys = phys, .rep = rep, .converted = -1, .logical = LT_NONE};
    return c;
}

/* Level encodings and v2 repetition-level bytes the next pages declare (tests of rep levels). */
static int g_rep_enc = PQ_ENC_RLE, g_def_enc = PQ_ENC_RLE;
static int32_t g_rep_bytes = 0;

/* Appends a page: kind 0 = data v1, 1 = data v2, 2 = dictionary.  v1: `levels` (the def levels
 * with their 4-byte length, or NULL) then `values`, compressed together; v2: levels uncompressed
 * then compressed values.  claim: the uncompressed size written in the header (-1: the real one). */
static void add_page_ex(pcol *c, int kind, int enc, int32_t nvals, int32_t nnulls, const llmd_buf *levels,
                        const void *values, size_t vlen, int32_t claim, int is_compressed) {
    llmd_buf raw = LLMD_BUF_INIT, comp = LLMD_BUF_INIT, h = LLMD_BUF_INIT;
    size_t lvlen = levels ? levels->len : 0;
    if (kind == 0 && levels) llmd_buf_append(&raw, levels->data, levels->len);
    if (vlen) llmd_buf_append(&raw, values, vlen);
    size_t usize = raw.len + (kind == 1 ? lvlen : 0);
    if (kind == 1 && levels) llmd_buf_append(&comp, levels->data, levels->len);
    if (c->codec && is_compressed) ck_ok(pq_compress(c->codec, 0, (const uint8_t *)(raw.data ? raw.data : ""), raw.len, &comp));
    else if (raw.len) llmd_buf_append(&comp, raw.data, raw.len);
    tout t;
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, kind == 0 ? PQ_PAGE_DATA : kind == 1 ? PQ_PAGE_DATA_V2 : PQ_PAGE_DICT);
    tout_field_i32(&t, 2, claim >= 0 ? claim : (int32_t)usize);
    tout_field_i32(&t, 3, (int32_t)comp.len);
    if (kind == 0) {
        tout_struct_begin(&t, 5);
        tout_field_i32(&t, 1, nvals);
        tout_field_i32(&t, 2, enc);
        tout_field_i32(&t, 3, g_def_enc);
        tout_field_i32(&t, 4, g_rep_enc);
        tout_struct_end(&t);
    } else if (kind == 1) {
        tout_struct_begin(&t, 8);
        tout_field_i32(&t, 1, nvals);
        tout_field_i32(&t, 2, nnulls);
        tout_field_i32(&t, 3, nvals);
        tout_field_i32(&t, 4, enc);
        tout_field_i32(&t, 5, (int32_t)lvlen - g_rep_bytes);
        tout_field_i32(&t, 6, g_rep_bytes);
        if (!is_compressed) tout_field_bool(&t, 7, 0);
        tout_struct_end(&t);
    } else {
        tout_struct_begin(&t, 7);
        tout_field_i32(&t, 1, nvals);
        tout_field_i32(&t, 2, enc);
        tout_struct_end(&t);
        c->has_dict = 1;
    }
    tout_end(&t);
    ck_ok(t.st);
    llmd_buf_append(&c->pages, h.data, h.len);
    if (comp.len) llmd_buf_append(&c->pages, comp.data, comp.len);
    if (kind != 2) c->num_values += nvals;
    llmd_buf_free(&raw);
    llmd_buf_free(&comp);
    llmd_buf_free(&h);
}

static void add_page(pcol *c, int kind, int enc, int32_t nvals, const void *values, size_t vlen) {
    add_page_ex(c, kind, enc, nvals, 0, NULL, values, vlen, -1, 1);
}

/* Definition levels (max 1) as a v1 page holds them: 4-byte length, then RLE/bit-packed. */
static void def_levels(llmd_buf *out, const uint32_t *def, size_t n, int with_len) {
    llmd_buf lv = LLMD_BUF_INIT;
    ck_ok(rle_encode(def, n, 1, &lv));
    if (with_len) {
        uint8_t len[4];
        llmd_store_le32(len, (uint32_t)lv.len);
        llmd_buf_append(out, len, 4);
    }
    llmd_buf_append(out, lv.data, lv.len);
    llmd_buf_free(&lv);
}

static void schema_el(tout *t, const pcol *c) {
    tout_list_struct_begin(t);
    tout_field_i32(t, 1, c->phys);
    if (c->phys == PQ_FIXED) tout_field_i32(t, 2, c->type_length);
    tout_field_i32(t, 3, c->rep);
    tout_field_binary(t, 4, c->name, strlen(c->name));
    if (c->converted >= 0) tout_field_i32(t, 6, c->converted);
    if (c->converted == CT_DECIMAL) {
        tout_field_i32(t, 7, c->scale);
        tout_field_i32(t, 8, c->precision);
    }
    if (c->logical != LT_NONE) {
        tout_struct_begin(t, 10);
        tout_struct_begin(t, c->logical);
        if (c->logical == LT_INTEGER) {
            /* bitWidth is an i8 (Thrift type byte): written by hand */
            llmd_buf_putc(t->b, (char)(1 << 4 | TT_BYTE));
            llmd_buf_putc(t->b, (char)c->la);
            t->last_id[t->depth] = 1;
            tout_field_bool(t, 2, c->lb);
        } else if (c->logical == LT_TIME || c->logical == LT_TIMESTAMP) {
            tout_field_bool(t, 1, c->lb);
            if (c->la >= 0) {
                tout_struct_begin(t, 2);
                tout_struct_begin(t, c->la + 1);
                tout_struct_end(t);
                tout_struct_end(t);
            }
        } else if (c->logical == LT_DECIMAL) {
            tout_field_i32(t, 1, c->la);
            tout_field_i32(t, 2, c->lb);
        }
        tout_struct_end(t);
        tout_struct_end(t);
    }
    tout_struct_end(t);
}

/* Writes PAR1, every column's pages, the footer; returns the file in f. */
static void build(llmd_buf *f, pcol *cols, size_t n, int64_t rows) {
    llmd_buf_reset(f);
    llmd_buf_append(f, "PAR1", 4);
    int64_t *off = calloc(n, sizeof *off);
    for (size_t i = 0; i < n; i++) {
        off[i] = (int64_t)f->len;
        if (cols[i].pages.len) llmd_buf_append(f, cols[i].pages.data, cols[i].pages.len);
    }
    llmd_buf h = LLMD_BUF_INIT;
    tout t;
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, 1);
    tout_field_list(&t, 2, TT_STRUCT, n + 1);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 4, "schema", 6);
    tout_field_i32(&t, 5, (int32_t)n);
    tout_struct_end(&t);
    for (size_t i = 0; i < n; i++) schema_el(&t, &cols[i]);
    tout_field_i64(&t, 3, rows);
    tout_field_list(&t, 4, TT_STRUCT, 1);
    tout_list_struct_begin(&t);
    tout_field_list(&t, 1, TT_STRUCT, n);
    int64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t len = (int64_t)cols[i].pages.len;
        total += len;
        tout_list_struct_begin(&t);
        tout_field_i64(&t, 2, off[i]);
        tout_struct_begin(&t, 3);
        tout_field_i32(&t, 1, cols[i].phys);
        tout_field_list(&t, 2, TT_I32, 1);
        tout_i32(&t, PQ_ENC_PLAIN);
        tout_field_list(&t, 3, TT_BINARY, 1);
        tout_binary(&t, cols[i].name, strlen(cols[i].name));
        tout_field_i32(&t, 4, cols[i].codec);
        tout_field_i64(&t, 5, cols[i].num_values);
        tout_field_i64(&t, 6, len);
        tout_field_i64(&t, 7, len);
        tout_field_i64(&t, 9, off[i]);
        if (cols[i].has_dict) tout_field_i64(&t, 11, off[i]);
        tout_struct_end(&t);
        tout_struct_end(&t);
    }
    tout_field_i64(&t, 2, total);
    tout_field_i64(&t, 3, rows);
    tout_struct_end(&t);
    tout_end(&t);
    ck_ok(t.st);
    uint8_t tail[8];
    llmd_store_le32(tail, (uint32_t)h.len);
    memcpy(tail + 4, "PAR1", 4);
    llmd_buf_append(f, h.data, h.len);
    llmd_buf_append(f, tail, 8);
    llmd_buf_free(&h);
    free(off);
}

static void free_cols(pcol *cols, size_t n) {
    for (size_t i = 0; i < n; i++) llmd_buf_free(&cols[i].pages);
}

/* Opens the image and reads row group 0; on success *r and *b are set (the caller frees). */
static llmd_status open_read(const llmd_buf *f, llmd_parquet_reader **r, llmd_parquet_batch **b) {
    *r = NULL;
    *b = NULL;
    llmd_status st = llmd_parquet_reader_open_memory(r, f->data, f->len, NULL);
    if (st) return st;
    st = llmd_parquet_reader_read_row_group(*r, 0, b);
    if (st) {
        llmd_parquet_reader_free(*r);
        *r = NULL;
    }
    return st;
}

/* One-column file: reads it and returns the status; the message stays in llmd_last_error(). */
static llmd_status read_one(pcol *c, int64_t rows) {
    llmd_buf f = LLMD_BUF_INIT;
    build(&f, c, 1, rows);
    llmd_parquet_reader *r;
    llmd_parquet_batch *b;
    llmd_status st = open_read(&f, &r, &b);
    llmd_parquet_batch_free(b);
    llmd_parquet_reader_free(r);
    llmd_buf_free(&f);
    llmd_buf_free(&c->pages);
    return st;
}

/* PLAIN bytes of two values of a physical type (the same for every column of that type). */
static size_t plain2(int phys, int tl, uint8_t *o) {
    size_t n = 0;
    switch (phys) {
    case PQ_BOOLEAN: o[0] = 0x1; return 1;                        /* true, false */
    case PQ_INT32: llmd_store_le32(o, 200); llmd_store_le32(o + 4, (uint32_t)-5); return 8;
    case PQ_INT64: llmd_store_le64(o, 1234567890123ull); llmd_store_le64(o + 8, (uint64_t)-5); return 16;
    case PQ_FLOAT: { float x[2] = {1.5f, -2.25f}; memcpy(o, x, 8); return 8; }
    case PQ_DOUBLE: { double x[2] = {1.5, -2.25}; memcpy(o, x, 16); return 16; }
    case PQ_INT96:
        /* 1970-01-02 00:00:00.001 (Julian day 2440589, 1 000 000 ns), then the epoch */
        llmd_store_le64(o, 1000000);
        llmd_store_le32(o + 8, 2440589);
        llmd_store_le64(o + 12, 0);
        llmd_store_le32(o + 20, 2440588);
        return 24;
    case PQ_BYTE_ARRAY:
        llmd_store_le32(o, 2); memcpy(o + 4, "ab", 2);
        llmd_store_le32(o + 6, 3); memcpy(o + 10, "cde", 3);
        return 13;
    case PQ_FIXED:
        for (int k = 0; k < tl; k++) o[n++] = k == 0 ? 0xff : 0xfe;   /* big-endian negative */
        for (int k = 0; k < tl; k++) o[n++] = k == tl - 1 ? 0x07 : 0x00;   /* 7 */
        return n;
    }
    return 0;
}

/* ---- annotations: ConvertedType and LogicalType to llmd types ------------------------------- */

typedef struct ann_case {
    pcol c;
    llmd_type want;
} ann_case;

static pcol ct(const char *name, int phys, int converted) {
    pcol c = col(name, phys, PQ_REQUIRED);
    c.converted = converted;
    return c;
}
static pcol lt(const char *name, int phys, int logical, int la, int lb) {
    pcol c = col(name, phys, PQ_REQUIRED);
    c.logical = logical;
    c.la = la;
    c.lb = lb;
    return c;
}
static pcol fixed(pcol c, int tl) {
    c.type_length = tl;
    return c;
}

START_TEST(test_annotations) {
    pcol dec_ct = ct("dec_ct", PQ_INT32, CT_DECIMAL);
    dec_ct.scale = 2;
    dec_ct.precision = 5;
    pcol unknown_utf8 = ct("unknown_utf8", PQ_BYTE_ARRAY, CT_UTF8);
    unknown_utf8.logical = LT_UNKNOWN;
    ann_case cases[] = {
        {ct("utf8", PQ_BYTE_ARRAY, CT_UTF8), {.id = LLMD_TYPE_STRING}},
        {ct("enum", PQ_BYTE_ARRAY, CT_ENUM), {.id = LLMD_TYPE_STRING}},
        {ct("json", PQ_BYTE_ARRAY, CT_JSON), {.id = LLMD_TYPE_STRING}},
        {ct("bson", PQ_BYTE_ARRAY, CT_BSON), {.id = LLMD_TYPE_BINARY}},
        {ct("utf8_on_int", PQ_INT32, CT_UTF8), {.id = LLMD_TYPE_INT32}},
        {dec_ct, {.id = LLMD_TYPE_DECIMAL, .precision = 5, .scale = 2}},
        {ct("date", PQ_INT32, CT_DATE), {.id = LLMD_TYPE_DATE}},
        {ct("time_ms", PQ_INT32, CT_TIME_MILLIS), {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_MILLIS, .utc = 1}},
        {ct("time_us", PQ_INT64, CT_TIME_MICROS), {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_MICROS, .utc = 1}},
        {ct("ts_ms", PQ_INT64, CT_TIMESTAMP_MILLIS), {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS, .utc = 1}},
        {ct("ts_us", PQ_INT64, CT_TIMESTAMP_MICROS), {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MICROS, .utc = 1}},
        {ct("u8", PQ_INT32, CT_UINT_8), {.id = LLMD_TYPE_UINT8}},
        {ct("u16", PQ_INT32, CT_UINT_16), {.id = LLMD_TYPE_UINT16}},
        {ct("u32", PQ_INT32, CT_UINT_32), {.id = LLMD_TYPE_UINT32}},
        {ct("u64", PQ_INT64, CT_UINT_64), {.id = LLMD_TYPE_UINT64}},
        {ct("i8", PQ_INT32, CT_INT_8), {.id = LLMD_TYPE_INT8}},
        {ct("i16", PQ_INT32, CT_INT_16), {.id = LLMD_TYPE_INT16}},
        {ct("i32", PQ_INT32, CT_INT_32), {.id = LLMD_TYPE_INT32}},
        {ct("i64", PQ_INT64, CT_INT_64), {.id = LLMD_TYPE_INT64}},
        {ct("u32_on_int64", PQ_INT64, CT_UINT_32), {.id = LLMD_TYPE_INT64}},
        {ct("u64_on_int32", PQ_INT32, CT_UINT_64), {.id = LLMD_TYPE_INT32}},
        {ct("u8_on_float", PQ_FLOAT, CT_UINT_8), {.id = LLMD_TYPE_FLOAT}},
        {ct("date_on_int64", PQ_INT64, CT_DATE), {.id = LLMD_TYPE_INT64}},
        {ct("interval", PQ_FIXED, CT_INTERVAL), {.id = LLMD_TYPE_FIXED_BINARY, .byte_width = 12}},
        {unknown_utf8, {.id = LLMD_TYPE_STRING}},
        {lt("l_string", PQ_BYTE_ARRAY, LT_STRING, 0, 0), {.id = LLMD_TYPE_STRING}},
        {lt("l_enum", PQ_BYTE_ARRAY, LT_ENUM, 0, 0), {.id = LLMD_TYPE_STRING}},
        {lt("l_json", PQ_BYTE_ARRAY, LT_JSON, 0, 0), {.id = LLMD_TYPE_STRING}},
        {lt("l_string_on_double", PQ_DOUBLE, LT_STRING, 0, 0), {.id = LLMD_TYPE_DOUBLE}},
        {lt("l_i8", PQ_INT32, LT_INTEGER, 8, 1), {.id = LLMD_TYPE_INT8}},
        {lt("l_u16", PQ_INT32, LT_INTEGER, 16, 0), {.id = LLMD_TYPE_UINT16}},
        {lt("l_u32", PQ_INT32, LT_INTEGER, 32, 0), {.id = LLMD_TYPE_UINT32}},
        {lt("l_i64", PQ_INT64, LT_INTEGER, 64, 1), {.id = LLMD_TYPE_INT64}},
        {lt("l_u64", PQ_INT64, LT_INTEGER, 64, 0), {.id = LLMD_TYPE_UINT64}},
        {lt("l_int12", PQ_INT32, LT_INTEGER, 12, 1), {.id = LLMD_TYPE_INT32}},
        {lt("l_int64_on_int32", PQ_INT32, LT_INTEGER, 64, 1), {.id = LLMD_TYPE_INT32}},
        {lt("l_int_on_bytes", PQ_BYTE_ARRAY, LT_INTEGER, 32, 1), {.id = LLMD_TYPE_BINARY}},
        {lt("l_date", PQ_INT32, LT_DATE, 0, 0), {.id = LLMD_TYPE_DATE}},
        {lt("l_date_on_int64", PQ_INT64, LT_DATE, 0, 0), {.id = LLMD_TYPE_INT64}},
        {lt("l_time_ns", PQ_INT64, LT_TIME, LLMD_TIME_NANOS, 0), {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_NANOS}},
        {lt("l_time_ms", PQ_INT32, LT_TIME, LLMD_TIME_MILLIS, 1), {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_MILLIS, .utc = 1}},
        {lt("l_time_ms_on_int64", PQ_INT64, LT_TIME, LLMD_TIME_MILLIS, 1), {.id = LLMD_TYPE_INT64}},
        {lt("l_time_us_on_int32", PQ_INT32, LT_TIME, LLMD_TIME_MICROS, 1), {.id = LLMD_TYPE_INT32}},
        {lt("l_ts_ns", PQ_INT64, LT_TIMESTAMP, LLMD_TIME_NANOS, 1), {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_NANOS, .utc = 1}},
        {lt("l_ts_ms_local", PQ_INT64, LT_TIMESTAMP, LLMD_TIME_MILLIS, 0), {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS}},
        {lt("l_ts_no_unit", PQ_INT64, LT_TIMESTAMP, -1, 1), {.id = LLMD_TYPE_INT64}},
        {lt("l_ts_on_int32", PQ_INT32, LT_TIMESTAMP, LLMD_TIME_MILLIS, 1), {.id = LLMD_TYPE_INT32}},
        {lt("l_dec_int64", PQ_INT64, LT_DECIMAL, 3, 18), {.id = LLMD_TYPE_DECIMAL, .precision = 18, .scale = 3}},
        {lt("l_dec_bytes", PQ_BYTE_ARRAY, LT_DECIMAL, 0, 10), {.id = LLMD_TYPE_DECIMAL, .precision = 10}},
        {fixed(lt("l_dec_fixed", PQ_FIXED, LT_DECIMAL, 2, 20), 9), {.id = LLMD_TYPE_DECIMAL, .precision = 20, .scale = 2}},
        {fixed(lt("l_dec_fixed17", PQ_FIXED, LT_DECIMAL, 2, 38), 17), {.id = LLMD_TYPE_FIXED_BINARY, .byte_width = 17}},
        {lt("l_dec_p40", PQ_INT64, LT_DECIMAL, 0, 40), {.id = LLMD_TYPE_INT64}},
        {lt("l_dec_p0", PQ_INT64, LT_DECIMAL, 0, 0), {.id = LLMD_TYPE_INT64}},
        {lt("l_dec_scale_gt_p", PQ_INT32, LT_DECIMAL, 6, 5), {.id = LLMD_TYPE_INT32}},
        {lt("l_dec_neg_scale", PQ_INT32, LT_DECIMAL, -1, 5), {.id = LLMD_TYPE_INT32}},
        {lt("l_dec_on_double", PQ_DOUBLE, LT_DECIMAL, 1, 5), {.id = LLMD_TYPE_DOUBLE}},
        {fixed(lt("l_uuid", PQ_FIXED, LT_UUID, 0, 0), 16), {.id = LLMD_TYPE_UUID}},
        {fixed(lt("l_uuid8", PQ_FIXED, LT_UUID, 0, 0), 8), {.id = LLMD_TYPE_FIXED_BINARY, .byte_width = 8}},
        {lt("l_uuid_on_bytes", PQ_BYTE_ARRAY, LT_UUID, 0, 0), {.id = LLMD_TYPE_BINARY}},
        {lt("l_bson", PQ_BYTE_ARRAY, LT_BSON, 0, 0), {.id = LLMD_TYPE_BINARY}},
        {col("bool", PQ_BOOLEAN, PQ_REQUIRED), {.id = LLMD_TYPE_BOOL}},
        {col("float", PQ_FLOAT, PQ_REQUIRED), {.id = LLMD_TYPE_FLOAT}},
        {col("double", PQ_DOUBLE, PQ_REQUIRED), {.id = LLMD_TYPE_DOUBLE}},
        {col("int96", PQ_INT96, PQ_REQUIRED), {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS}},
    };
    size_t nc = sizeof cases / sizeof *cases;
    pcol cols[sizeof cases / sizeof *cases];
    uint8_t v[64];
    for (size_t i = 0; i < nc; i++) {
        cols[i] = cases[i].c;
        if (cols[i].phys == PQ_FIXED && cols[i].type_length == 0) cols[i].type_length = 12;
        size_t n = plain2(cols[i].phys, cols[i].type_length, v);
        add_page(&cols[i], 0, PQ_ENC_PLAIN, 2, v, n);
    }
    llmd_buf f = LLMD_BUF_INIT;
    build(&f, cols, nc, 2);
    llmd_parquet_read_options o = LLMD_PARQUET_READ_OPTIONS_INIT;
    o.int96_unit = LLMD_TIME_MILLIS;
    llmd_parquet_reader *r;
    ck_ok(llmd_parquet_reader_open_memory(&r, f.data, f.len, &o));
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    ck_assert_int_eq(llmd_schema_child_count(s, 0), (int)nc);
    for (size_t i = 0; i < nc; i++) {
        llmd_type t = llmd_schema_type(s, (int)i + 1);
        const llmd_type *w = &cases[i].want;
        ck_assert_msg(t.id == w->id && t.unit == w->unit && t.utc == w->utc && t.precision == w->precision &&
                          t.scale == w->scale && t.byte_width == w->byte_width,
                      "%s: got %s unit %d utc %d p %d s %d w %d", cols[i].name, llmd_type_name(t.id), t.unit, t.utc,
                      t.precision, t.scale, t.byte_width);
        ck_assert_str_eq(llmd_schema_name(s, (int)i + 1), cols[i].name);
    }
    llmd_parquet_batch *b;
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    ck_assert_int_eq(llmd_parquet_batch_rows(b), 2);
    /* values converted to the llmd type's layout */
    for (size_t i = 0; i < nc; i++) {
        const llmd_column *c = llmd_parquet_batch_column(b, i);
        const char *nm = cols[i].name;
        if (!strcmp(nm, "dec_ct")) {   /* 16-byte little-endian: 200 and -5 sign-extended */
            const uint8_t *d = c->values;
            ck_assert_int_eq((int64_t)llmd_load_le64(d), 200);
            ck_assert_uint_eq(llmd_load_le64(d + 8), 0);
            ck_assert_int_eq((int64_t)llmd_load_le64(d + 16), -5);
            ck_assert_uint_eq(llmd_load_le64(d + 24), UINT64_MAX);
        } else if (!strcmp(nm, "l_dec_int64")) {
            const uint8_t *d = c->values;
            ck_assert_int_eq((int64_t)llmd_load_le64(d), 1234567890123);
            ck_assert_int_eq((int64_t)llmd_load_le64(d + 16), -5);
            ck_assert_uint_eq(llmd_load_le64(d + 24), UINT64_MAX);
        } else if (!strcmp(nm, "l_dec_fixed")) {   /* 9 bytes big-endian ff fe .. fe = -(0x01..02) */
            const uint8_t *d = c->values;
            uint8_t want[16];
            memset(want, 0xff, 16);
            for (int k = 0; k < 8; k++) want[k] = 0xfe;
            ck_assert_mem_eq(d, want, 16);
            memset(want, 0, 16);
            want[0] = 7;
            ck_assert_mem_eq(d + 16, want, 16);
        } else if (!strcmp(nm, "l_dec_bytes")) {   /* "ab" = 0x6162, "cde" = 0x636465 big-endian */
            const uint8_t *d = c->values;
            ck_assert_uint_eq(llmd_load_le64(d), 0x6162);
            ck_assert_uint_eq(llmd_load_le64(d + 16), 0x636465);
            ck_assert_uint_eq(llmd_load_le64(d + 24), 0);
        } else if (!strcmp(nm, "u8") || !strcmp(nm, "l_i8")) {   /* narrowed to one byte */
            const uint8_t *d = c->values;
            ck_assert_uint_eq(d[0], 200);
            ck_assert_uint_eq(d[1], 0xfb);
        } else if (!strcmp(nm, "u16") || !strcmp(nm, "l_u16")) {
            const uint16_t *d = c->values;
            ck_assert_uint_eq(d[0], 200);
            ck_assert_uint_eq(d[1], 0xfffb);
        } else if (!strcmp(nm, "int96")) {   /* milliseconds since the epoch */
            const int64_t *d = c->values;
            ck_assert_int_eq(d[0], 86400001);
            ck_assert_int_eq(d[1], 0);
        } else if (!strcmp(nm, "bool")) {
            const uint8_t *d = c->values;
            ck_assert_uint_eq(d[0] & 3, 1);
        } else if (!strcmp(nm, "utf8")) {
            const int32_t *off = c->offsets;
            ck_assert_int_eq(off[2], 5);
            ck_assert_mem_eq(c->values, "abcde", 5);
        } else if (!strcmp(nm, "l_uuid")) {
            ck_assert_uint_eq(((const uint8_t *)c->values)[16 + 15], 7);
        }
    }
    llmd_parquet_batch_free(b);
    /* INT96 in the default unit (micros) and in nanoseconds */
    llmd_parquet_reader_free(r);
    for (int unit = LLMD_TIME_MICROS; unit <= LLMD_TIME_NANOS; unit++) {
        o.int96_unit = unit;
        ck_ok(llmd_parquet_reader_open_memory(&r, f.data, f.len, &o));
        const char *name = "int96";
        ck_ok(llmd_parquet_reader_select(r, &name, 1));
        ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
        ck_assert_uint_eq(llmd_parquet_batch_num_columns(b), 1);
        const int64_t *d = llmd_parquet_batch_column(b, 0)->values;
        ck_assert_int_eq(d[0], unit == LLMD_TIME_MICROS ? 86400001000 : 86400001000000);
        llmd_parquet_batch_free(b);
        llmd_parquet_reader_free(r);
    }
    llmd_buf_free(&f);
    free_cols(cols, nc);
}
END_TEST

/* Bad schema elements: unknown physical type, FIXED_LEN_BYTE_ARRAY length 0 or over 2^24. */
START_TEST(test_bad_schema_elements) {
    uint8_t v[64];
    pcol c = col("weird", 9, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 2, v, plain2(PQ_INT32, 0, v));
    llmd_buf f = LLMD_BUF_INIT;
    build(&f, &c, 1, 2);
    llmd_parquet_reader *r;
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "unknown physical type 9");
    llmd_buf_free(&c.pages);
    c = fixed(col("fx", PQ_FIXED, PQ_REQUIRED), 0);
    build(&f, &c, 1, 0);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "FIXED_LEN_BYTE_ARRAY length 0");
    c = fixed(col("fx", PQ_FIXED, PQ_REQUIRED), (1 << 24) + 1);
    build(&f, &c, 1, 0);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "length 16777217");
    llmd_buf_free(&f);
}
END_TEST

/* ---- value encodings and their damaged forms ------------------------------------------------ */

/* Encodings.md DELTA_BINARY_PACKED examples: 1 2 3 4 5, and 7 5 3 1 2 3 4 5. */
static const uint8_t delta_ex1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
static const uint8_t delta_ex2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0x00, 0x00, 0x00,
                                    0xC0, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};

/* Reads one column of `rows` rows; returns the status and, on success, the batch. */
static llmd_status read_col(pcol *c, int64_t rows, llmd_parquet_reader **r, llmd_parquet_batch **b, llmd_buf *f) {
    build(f, c, 1, rows);
    llmd_buf_free(&c->pages);
    return open_read(f, r, b);
}

static void done(llmd_parquet_reader *r, llmd_parquet_batch *b, llmd_buf *f) {
    llmd_parquet_batch_free(b);
    llmd_parquet_reader_free(r);
    llmd_buf_free(f);
}

static const llmd_column *col0(llmd_parquet_batch *b) { return llmd_parquet_batch_column(b, 0); }

START_TEST(test_rle_booleans_and_dictionaries) {
    llmd_parquet_reader *r;
    llmd_parquet_batch *b;
    llmd_buf f = LLMD_BUF_INIT, body = LLMD_BUF_INIT;
    /* RLE booleans: 1 0 1 1 0 -> bitmap 0b01101 */
    const uint32_t bits[] = {1, 0, 1, 1, 0};
    def_levels(&body, bits, 5, 1);
    pcol c = col("b", PQ_BOOLEAN, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_RLE, 5, body.data, body.len);
    ck_ok(read_col(&c, 5, &r, &b, &f));
    ck_assert_uint_eq(((const uint8_t *)col0(b)->values)[0] & 0x1f, 0x0d);
    done(r, b, &f);
    c = col("b", PQ_BOOLEAN, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_RLE, 5, body.data, 2);
    ck_fails(read_one(&c, 5), LLMD_ERR_CORRUPT, "RLE boolean length missing");
    uint8_t big[8] = {100, 0, 0, 0, 1, 2};
    c = col("b", PQ_BOOLEAN, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_RLE, 5, big, 6);
    ck_fails(read_one(&c, 5), LLMD_ERR_CORRUPT, "RLE boolean data past the page");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_RLE, 5, body.data, body.len);
    ck_fails(read_one(&c, 5), LLMD_ERR_CORRUPT, "RLE values on a non-boolean column");
    /* PLAIN booleans: 9 values need 2 bytes */
    c = col("b", PQ_BOOLEAN, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 9, "\xff", 1);
    ck_fails(read_one(&c, 9), LLMD_ERR_CORRUPT, "PLAIN booleans truncated");

    /* PLAIN_DICTIONARY (the old name) on INT32: dictionary 111 222, four times index 1 */
    uint8_t dict[8], idx[] = {1, 4 << 1, 1};
    llmd_store_le32(dict, 111);
    llmd_store_le32(dict + 4, 222);
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 2, PQ_ENC_PLAIN_DICT, 2, dict, 8);
    add_page(&c, 0, PQ_ENC_PLAIN_DICT, 4, idx, 3);
    ck_ok(read_col(&c, 4, &r, &b, &f));
    for (int i = 0; i < 4; i++) ck_assert_int_eq(((const int32_t *)col0(b)->values)[i], 222);
    done(r, b, &f);
    /* a BYTE_ARRAY dictionary; indices 1 0 1 as three RLE runs */
    uint8_t sdict[] = {2, 0, 0, 0, 'a', 'b', 3, 0, 0, 0, 'c', 'd', 'e'};
    uint8_t sidx[] = {1, 2, 1, 2, 0, 2, 1};
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    c.converted = CT_UTF8;
    add_page(&c, 2, PQ_ENC_PLAIN, 2, sdict, sizeof sdict);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 3, sidx, sizeof sidx);
    ck_ok(read_col(&c, 3, &r, &b, &f));
    const int32_t *off = col0(b)->offsets;
    ck_assert_int_eq(off[3], 8);
    ck_assert_mem_eq(col0(b)->values, "cdeabcde", 8);
    done(r, b, &f);
    /* damaged dictionaries */
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 2, PQ_ENC_DELTA_BINARY, 2, dict, 8);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 4, idx, 3);
    ck_fails(read_one(&c, 4), LLMD_ERR_UNSUPPORTED, "dictionary page encoding 5");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 2, PQ_ENC_PLAIN, 2, dict, 8);
    add_page(&c, 2, PQ_ENC_PLAIN, 2, dict, 8);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 4, idx, 3);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "second dictionary page");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 2, dict, 8);
    add_page(&c, 2, PQ_ENC_PLAIN, 2, dict, 8);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 2, idx, 3);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "dictionary page after data pages");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 2, PQ_ENC_PLAIN, 2, dict, 8);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 4, NULL, 0);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "dictionary index bit width missing");
    uint8_t wide[] = {33, 2, 0};
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 2, PQ_ENC_PLAIN, 2, dict, 8);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 1, wide, 3);
    ck_fails(read_one(&c, 1), LLMD_ERR_CORRUPT, "bit width above 32");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 4, idx, 3);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "without a dictionary page");
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 2, PQ_ENC_PLAIN, 5, sdict, sizeof sdict);
    add_page(&c, 0, PQ_ENC_RLE_DICT, 3, sidx, sizeof sidx);
    ck_assert_int_eq(read_one(&c, 3), LLMD_ERR_CORRUPT);
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 1, sdict, 2);
    ck_fails(read_one(&c, 1), LLMD_ERR_CORRUPT, "BYTE_ARRAY value length truncated");
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 1, sdict, 5);
    ck_fails(read_one(&c, 1), LLMD_ERR_CORRUPT, "BYTE_ARRAY value longer than its page");
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 3, sdict, 2);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "more BYTE_ARRAY values than page bytes");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 3, dict, 8);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "PLAIN values run past the end of the page");
    llmd_buf_free(&body);
}
END_TEST

START_TEST(test_delta_and_split_encodings) {
    llmd_parquet_reader *r;
    llmd_parquet_batch *b;
    llmd_buf f = LLMD_BUF_INIT;
    /* DELTA_BINARY_PACKED on INT32 and INT64 */
    pcol c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BINARY, 5, delta_ex1, sizeof delta_ex1);
    ck_ok(read_col(&c, 5, &r, &b, &f));
    for (int i = 0; i < 5; i++) ck_assert_int_eq(((const int32_t *)col0(b)->values)[i], i + 1);
    done(r, b, &f);
    c = col("l", PQ_INT64, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BINARY, 8, delta_ex2, sizeof delta_ex2);
    ck_ok(read_col(&c, 8, &r, &b, &f));
    const int64_t want2[] = {7, 5, 3, 1, 2, 3, 4, 5};
    ck_assert_mem_eq(col0(b)->values, want2, sizeof want2);
    done(r, b, &f);
    c = col("d", PQ_DOUBLE, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BINARY, 5, delta_ex1, sizeof delta_ex1);
    ck_fails(read_one(&c, 5), LLMD_ERR_CORRUPT, "DELTA_BINARY_PACKED on a non-integer column");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BINARY, 4, delta_ex1, sizeof delta_ex1);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "value count differs from the page's");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BINARY, 5, delta_ex1, 3);
    ck_assert_int_eq(read_one(&c, 5), LLMD_ERR_CORRUPT);

    /* DELTA_LENGTH_BYTE_ARRAY (Encodings.md): Hello World Foobar ABCDEF -> lengths 5 5 6 6:
     * first 5, deltas 0 1 0, min delta 0, bit width 1: relative 0 1 0 -> 0b010 */
    const uint8_t dlba[] = {0x80, 0x01, 0x04, 0x04, 0x0A, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,
                            'H', 'e', 'l', 'l', 'o', 'W', 'o', 'r', 'l', 'd', 'F', 'o', 'o', 'b', 'a', 'r',
                            'A', 'B', 'C', 'D', 'E', 'F'};
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_LENGTH, 4, dlba, sizeof dlba);
    ck_ok(read_col(&c, 4, &r, &b, &f));
    {
        const int32_t *o = col0(b)->offsets;
        const int32_t want[] = {0, 5, 10, 16, 22};
        ck_assert_mem_eq(o, want, sizeof want);
        ck_assert_mem_eq(col0(b)->values, "HelloWorldFoobarABCDEF", 22);
    }
    done(r, b, &f);
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_LENGTH, 4, dlba, sizeof dlba - 3);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "DELTA_LENGTH_BYTE_ARRAY value past the page");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_LENGTH, 4, dlba, sizeof dlba);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "DELTA_LENGTH_BYTE_ARRAY on a non-BYTE_ARRAY column");
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_LENGTH, 3, dlba, sizeof dlba);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "count differs");

    /* DELTA_BYTE_ARRAY (Encodings.md): axis axle babble babyhood -> prefix lengths 0 2 0 3
     * (first 0, deltas 2 -2 3, min -2, relative 4 0 5 at 3 bits: 0x44 0x01), suffixes
     * axis le babble yhood (lengths 4 2 6 5: first 4, deltas -2 4 -1, min -2, relative 0 6 1:
     * 0x70 0x00) */
    uint8_t dba[128];
    size_t n = 0;
    const uint8_t pre[] = {0x80, 0x01, 0x04, 0x04, 0x00, 0x03, 0x03, 0x00, 0x00, 0x00, 0x44, 0x01};
    const uint8_t suf[] = {0x80, 0x01, 0x04, 0x04, 0x08, 0x03, 0x03, 0x00, 0x00, 0x00, 0x70, 0x00};
    memcpy(dba + n, pre, sizeof pre);
    n += sizeof pre;
    memset(dba + n, 0, 10);   /* the rest of the 32-value miniblock at 3 bits (12 bytes) */
    n += 10;
    memcpy(dba + n, suf, sizeof suf);
    n += sizeof suf;
    memset(dba + n, 0, 10);
    n += 10;
    memcpy(dba + n, "axislebabbleyhood", 17);
    n += 17;
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BYTE_ARRAY, 4, dba, n);
    ck_ok(read_col(&c, 4, &r, &b, &f));
    {
        const int32_t *o = col0(b)->offsets;
        const int32_t want[] = {0, 4, 8, 14, 22};
        ck_assert_mem_eq(o, want, sizeof want);
        ck_assert_mem_eq(col0(b)->values, "axisaxlebabblebabyhood", 22);
    }
    done(r, b, &f);
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BYTE_ARRAY, 4, dba, n - 2);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "DELTA_BYTE_ARRAY suffix past the page");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_DELTA_BYTE_ARRAY, 4, dba, n);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "DELTA_BYTE_ARRAY on a non-byte column");
    c = fixed(col("x", PQ_FIXED, PQ_REQUIRED), 4);
    add_page(&c, 0, PQ_ENC_DELTA_BYTE_ARRAY, 4, dba, n);
    ck_fails(read_one(&c, 4), LLMD_ERR_CORRUPT, "value length differs from the fixed width");
    /* on FIXED_LEN_BYTE_ARRAY(4): abcd abce -> prefixes 0 3 (bit width 0), suffix lengths 4 1 */
    const uint8_t fdba[] = {0x80, 0x01, 0x04, 0x02, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
                            0x80, 0x01, 0x04, 0x02, 0x08, 0x05, 0x00, 0x00, 0x00, 0x00, 'a', 'b', 'c', 'd', 'e'};
    c = fixed(col("x", PQ_FIXED, PQ_REQUIRED), 4);
    add_page(&c, 0, PQ_ENC_DELTA_BYTE_ARRAY, 2, fdba, sizeof fdba);
    ck_ok(read_col(&c, 2, &r, &b, &f));
    ck_assert_mem_eq(col0(b)->values, "abcdabce", 8);
    done(r, b, &f);
    /* a first prefix longer than the (empty) previous value: prefixes 3 3 */
    uint8_t bad_pre[sizeof fdba];
    memcpy(bad_pre, fdba, sizeof fdba);
    bad_pre[4] = 0x06;
    bad_pre[5] = 0x00;
    c = fixed(col("x", PQ_FIXED, PQ_REQUIRED), 4);
    add_page(&c, 0, PQ_ENC_DELTA_BYTE_ARRAY, 2, bad_pre, sizeof bad_pre);
    ck_fails(read_one(&c, 2), LLMD_ERR_CORRUPT, "prefix longer than the previous value");

    /* BYTE_STREAM_SPLIT: byte k of every value, then byte k+1 ... */
    const float fl[3] = {1.0f, -2.5f, 1e30f};
    const double dl[2] = {3.25, -0.0};
    uint8_t split[32];
    for (int k = 0; k < 4; k++)
        for (int i = 0; i < 3; i++) split[k * 3 + i] = ((const uint8_t *)&fl[i])[k];
    c = col("f", PQ_FLOAT, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_BYTE_STREAM_SPLIT, 3, split, 12);
    ck_ok(read_col(&c, 3, &r, &b, &f));
    ck_assert_mem_eq(col0(b)->values, fl, sizeof fl);
    done(r, b, &f);
    for (int k = 0; k < 8; k++)
        for (int i = 0; i < 2; i++) split[k * 2 + i] = ((const uint8_t *)&dl[i])[k];
    c = col("d", PQ_DOUBLE, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_BYTE_STREAM_SPLIT, 2, split, 16);
    ck_ok(read_col(&c, 2, &r, &b, &f));
    ck_assert_mem_eq(col0(b)->values, dl, sizeof dl);
    done(r, b, &f);
    c = col("d", PQ_DOUBLE, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_BYTE_STREAM_SPLIT, 2, split, 15);
    ck_fails(read_one(&c, 2), LLMD_ERR_CORRUPT, "BYTE_STREAM_SPLIT data truncated");
    c = col("s", PQ_BYTE_ARRAY, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_BYTE_STREAM_SPLIT, 2, split, 16);
    ck_fails(read_one(&c, 2), LLMD_ERR_CORRUPT, "BYTE_STREAM_SPLIT on a variable-width column");
    /* an encoding no page may use for values (BIT_PACKED is for levels only) */
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_BIT_PACKED, 2, split, 8);
    ck_fails(read_one(&c, 2), LLMD_ERR_UNSUPPORTED, "encoding 4 is not supported");
}
END_TEST

/* ---- levels, page versions, codecs, page headers -------------------------------------------- */

/* A page header with only the given kind and sizes: `with_sub` 0 leaves out the type's header. */
static void raw_page(pcol *c, int type, int32_t usize, int32_t csize, int with_sub) {
    llmd_buf h = LLMD_BUF_INIT;
    tout t;
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, type);
    tout_field_i32(&t, 2, usize);
    tout_field_i32(&t, 3, csize);
    if (with_sub) {
        tout_struct_begin(&t, 5);
        tout_field_i32(&t, 1, 0);
        tout_field_i32(&t, 2, 0);
        tout_struct_end(&t);
    }
    tout_end(&t);
    llmd_buf_append(&c->pages, h.data, h.len);
    for (int32_t i = 0; i < csize; i++) llmd_buf_putc(&c->pages, 0);
    llmd_buf_free(&h);
}

START_TEST(test_levels_pages_codecs) {
    llmd_parquet_reader *r;
    llmd_parquet_batch *b;
    llmd_buf f = LLMD_BUF_INIT, lv = LLMD_BUF_INIT, lv1 = LLMD_BUF_INIT;
    /* optional INT32, rows 7 null 9 */
    const uint32_t def[] = {1, 0, 1};
    uint8_t vals[8];
    llmd_store_le32(vals, 7);
    llmd_store_le32(vals + 4, 9);
    def_levels(&lv, def, 3, 0);
    def_levels(&lv1, def, 3, 1);
    const int codecs[] = {LLMD_PARQUET_UNCOMPRESSED, LLMD_PARQUET_SNAPPY, LLMD_PARQUET_GZIP, LLMD_PARQUET_ZSTD,
                          LLMD_PARQUET_LZ4_RAW};
    for (size_t k = 0; k < 5; k++)
        for (int v2 = 0; v2 <= 1; v2++)
            for (int compressed = v2 ? 0 : 1; compressed <= 1; compressed++) {
                pcol c = col("o", PQ_INT32, PQ_OPTIONAL);
                c.codec = codecs[k];
                /* an index page first: skipped */
                raw_page(&c, PQ_PAGE_INDEX, 3, 3, 0);
                add_page_ex(&c, v2, PQ_ENC_PLAIN, 3, 1, v2 ? &lv : &lv1, vals, 8, -1, compressed);
                ck_ok(read_col(&c, 3, &r, &b, &f));
                const llmd_column *cc = col0(b);
                ck_assert_ptr_nonnull(cc->validity);
                ck_assert_uint_eq(cc->validity[0] & 7, 5);
                ck_assert_int_eq(((const int32_t *)cc->values)[0], 7);
                ck_assert_int_eq(((const int32_t *)cc->values)[2], 9);
                llmd_parquet_chunk_info ci;
                ck_ok(llmd_parquet_reader_chunk_info(r, 0, 0, &ci));
                ck_assert_int_eq(ci.codec, codecs[k]);
                ck_assert_int_eq(ci.null_count, -1);   /* no statistics written */
                ck_assert_ptr_null(ci.min);
                done(r, b, &f);
            }
    /* v2: a null count that disagrees with the levels; level bytes larger than the page */
    pcol c = col("o", PQ_INT32, PQ_OPTIONAL);
    add_page_ex(&c, 1, PQ_ENC_PLAIN, 3, 2, &lv, vals, 8, -1, 1);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "v2 page null count differs");
    c = col("o", PQ_INT32, PQ_OPTIONAL);
    add_page_ex(&c, 1, PQ_ENC_PLAIN, 3, 1, &lv, vals, 8, 1, 1);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "v2 level sizes exceed the page");
    /* v1: level length missing, level bytes past the page */
    c = col("o", PQ_INT32, PQ_OPTIONAL);
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 3, 0, NULL, "\x01\x00", 2, -1, 1);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "definition level length missing");
    c = col("o", PQ_INT32, PQ_OPTIONAL);
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 3, 0, NULL, "\x40\x00\x00\x00\x06\x01", 6, -1, 1);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "definition levels past the page");
    /* fewer values than the levels place */
    c = col("o", PQ_INT32, PQ_OPTIONAL);
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 3, 0, &lv1, vals, 4, -1, 1);
    ck_assert_int_eq(read_one(&c, 3), LLMD_ERR_CORRUPT);
    /* page headers: a data page without its data_page_header; sizes that differ uncompressed */
    c = col("i", PQ_INT32, PQ_REQUIRED);
    raw_page(&c, PQ_PAGE_DATA, 8, 8, 0);
    c.num_values = 2;
    ck_fails(read_one(&c, 2), LLMD_ERR_CORRUPT, "page header lacks its type's header");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 2, 0, NULL, vals, 8, 7, 1);
    ck_fails(read_one(&c, 2), LLMD_ERR_CORRUPT, "uncompressed page whose two sizes differ");
    /* value counts: chunk says fewer / more than the pages hold; more values than rows */
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 1, vals, 4);
    add_page(&c, 0, PQ_ENC_PLAIN, 1, vals + 4, 4);
    c.num_values = 1;
    build(&f, &c, 1, 1);
    ck_ok(open_read(&f, &r, &b));   /* stops after the values the chunk announces */
    ck_assert_int_eq(llmd_parquet_batch_rows(b), 1);
    ck_assert_int_eq(((const int32_t *)col0(b)->values)[0], 7);
    done(r, b, &f);
    c.num_values = 3;
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "pages hold 2 values, the column chunk says 3");
    c = col("i", PQ_INT32, PQ_REQUIRED);
    add_page(&c, 0, PQ_ENC_PLAIN, 2, vals, 8);
    ck_fails(read_one(&c, 1), LLMD_ERR_CORRUPT, "more values than the row group has rows");
    /* a page compressed with one codec in a chunk that names another */
    c = col("i", PQ_INT32, PQ_REQUIRED);
    c.codec = LLMD_PARQUET_SNAPPY;
    add_page(&c, 0, PQ_ENC_PLAIN, 2, vals, 8);
    c.codec = LLMD_PARQUET_ZSTD;
    ck_fails(read_one(&c, 2), LLMD_ERR_CORRUPT, "row group 0 column i");
    /* codecs this library does not read */
    static const struct { int codec; const char *name; } unsup[] = {{3, "LZO"}, {4, "BROTLI"}, {5, "LZ4"}, {42, "42"}};
    for (size_t k = 0; k < 4; k++) {
        c = col("i", PQ_INT32, PQ_REQUIRED);
        add_page(&c, 0, PQ_ENC_PLAIN, 2, vals, 8);
        c.codec = unsup[k].codec;
        llmd_status st = read_one(&c, 2);
        ck_assert_msg(st == LLMD_ERR_UNSUPPORTED || st == LLMD_ERR_CORRUPT, "%d: %s", unsup[k].codec, llmd_last_error());
    }
    llmd_buf_free(&lv);
    llmd_buf_free(&lv1);
}
END_TEST

/* ---- codecs and DELTA streams through the internal entry points ----------------------------- */

START_TEST(test_codec_internals) {
    const char *text = "abcabcabcabcabcabcabcabcabcabcabcabc0123456789";
    size_t n = strlen(text);
    const int codecs[] = {LLMD_PARQUET_SNAPPY, LLMD_PARQUET_GZIP, LLMD_PARQUET_ZSTD, LLMD_PARQUET_LZ4_RAW};
    for (size_t k = 0; k < 4; k++) {
        llmd_buf z = LLMD_BUF_INIT;
        ck_ok(pq_compress(codecs[k], k == 1 ? 9 : 0, (const uint8_t *)text, n, &z));
        uint8_t out[128];
        ck_ok(pq_decompress(codecs[k], (const uint8_t *)z.data, z.len, out, n));
        ck_assert_mem_eq(out, text, n);
        ck_assert_uint_ge(pq_codec_max_expansion(codecs[k], z.len), n);
        /* claims of the wrong size, damaged data */
        ck_assert_msg(pq_decompress(codecs[k], (const uint8_t *)z.data, z.len, out, n - 1) == LLMD_ERR_CORRUPT, "codec %d", codecs[k]);
        ck_assert_msg(pq_decompress(codecs[k], (const uint8_t *)z.data, z.len, out, 1) == LLMD_ERR_CORRUPT, "codec %d", codecs[k]);
        ck_assert_int_eq(pq_decompress(codecs[k], (const uint8_t *)z.data, z.len, out, n + 1), LLMD_ERR_CORRUPT);
        /* damaged: an error, or (a literal run changed) other bytes, never a crash */
        memset(z.data + z.len / 2, 0xA5, z.len - z.len / 2);
        llmd_status st = pq_decompress(codecs[k], (const uint8_t *)z.data, z.len, out, n);
        ck_assert(st == LLMD_ERR_CORRUPT || (st == LLMD_OK && memcmp(out, text, n) != 0));
        memset(z.data, 0xff, z.len);
        ck_assert_int_eq(pq_decompress(codecs[k], (const uint8_t *)z.data, z.len, out, n), LLMD_ERR_CORRUPT);
        llmd_buf_free(&z);
    }
    /* gzip: two concatenated members (Hadoop writers) make one page; a damaged second member fails */
    llmd_buf z = LLMD_BUF_INIT;
    ck_ok(pq_compress(LLMD_PARQUET_GZIP, 0, (const uint8_t *)text, 10, &z));
    ck_ok(pq_compress(LLMD_PARQUET_GZIP, 0, (const uint8_t *)text + 10, n - 10, &z));
    uint8_t out[128];
    ck_ok(pq_decompress(LLMD_PARQUET_GZIP, (const uint8_t *)z.data, z.len, out, n));
    ck_assert_mem_eq(out, text, n);
    /* every claim but the real size is refused, the first member's size included */
    ck_assert_int_eq(pq_decompress(LLMD_PARQUET_GZIP, (const uint8_t *)z.data, z.len, out, 10), LLMD_ERR_CORRUPT);
    ck_assert_int_eq(pq_decompress(LLMD_PARQUET_GZIP, (const uint8_t *)z.data, z.len, out, n - 1), LLMD_ERR_CORRUPT);
    ck_assert_int_eq(pq_decompress(LLMD_PARQUET_GZIP, (const uint8_t *)z.data, z.len, out, 0), LLMD_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "holds more"));
    llmd_buf empty_gz = LLMD_BUF_INIT;   /* an empty page: zero bytes claimed, zero produced */
    ck_ok(pq_compress(LLMD_PARQUET_GZIP, 0, (const uint8_t *)text, 0, &empty_gz));
    ck_ok(pq_decompress(LLMD_PARQUET_GZIP, (const uint8_t *)empty_gz.data, empty_gz.len, NULL, 0));
    ck_assert_int_eq(pq_decompress(LLMD_PARQUET_GZIP, (const uint8_t *)empty_gz.data, empty_gz.len, out, 1), LLMD_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "holds fewer"));
    llmd_buf_free(&empty_gz);
    z.data[z.len - 3] ^= 0x55;   /* the second member's length trailer */
    ck_assert_int_eq(pq_decompress(LLMD_PARQUET_GZIP, (const uint8_t *)z.data, z.len, out, n), LLMD_ERR_CORRUPT);
    llmd_buf_free(&z);
    /* uncompressed: sizes must agree */
    ck_ok(pq_decompress(LLMD_PARQUET_UNCOMPRESSED, (const uint8_t *)text, n, out, n));
    ck_assert_int_eq(pq_decompress(LLMD_PARQUET_UNCOMPRESSED, (const uint8_t *)text, n, out, n - 1), LLMD_ERR_CORRUPT);
    ck_ok(pq_decompress(LLMD_PARQUET_UNCOMPRESSED, NULL, 0, out, 0));
    /* unknown codecs */
    ck_assert_int_eq(pq_decompress(4, (const uint8_t *)text, n, out, n), LLMD_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "BROTLI"));
    llmd_buf zz = LLMD_BUF_INIT;
    ck_assert_int_ne(pq_compress(99, 0, (const uint8_t *)text, n, &zz), LLMD_OK);
    llmd_buf_free(&zz);
    /* empty pages compress and decompress with every codec */
    for (size_t k = 0; k < 4; k++) {
        llmd_buf e = LLMD_BUF_INIT;
        ck_ok(pq_compress(codecs[k], 0, (const uint8_t *)"", 0, &e));
        ck_ok(pq_decompress(codecs[k], (const uint8_t *)(e.data ? e.data : ""), e.len, out, 0));
        llmd_buf_free(&e);
    }

    /* DELTA_BINARY_PACKED headers: block size not a multiple of 128, miniblocks not dividing it,
     * values per miniblock not a multiple of 32, bit width above 64, truncation everywhere */
    int64_t v[64];
    size_t cnt;
    const uint8_t *p;
    static const uint8_t bad_block[] = {0x40, 0x04, 0x01, 0x02};
    static const uint8_t bad_mini[] = {0x80, 0x01, 0x03, 0x01, 0x02};
    static const uint8_t bad_per_mini[] = {0x80, 0x01, 0x08, 0x01, 0x02};
    static const uint8_t zero_mini[] = {0x80, 0x01, 0x00, 0x01, 0x02};
    static const uint8_t wide[] = {0x80, 0x01, 0x04, 0x03, 0x02, 0x00, 0x41, 0x00, 0x00, 0x00};
    static const uint8_t one[] = {0x80, 0x01, 0x04, 0x01, 0x0C};   /* one value: 6, no block */
    static const uint8_t none[] = {0x80, 0x01, 0x04, 0x00, 0x00};
    p = bad_block;
    ck_assert_int_eq(pq_delta_decode(&p, bad_block + sizeof bad_block, v, 64, &cnt, 0), LLMD_ERR_CORRUPT);
    p = bad_mini;
    ck_assert_int_eq(pq_delta_decode(&p, bad_mini + sizeof bad_mini, v, 64, &cnt, 0), LLMD_ERR_CORRUPT);
    p = bad_per_mini;
    ck_assert_int_eq(pq_delta_decode(&p, bad_per_mini + sizeof bad_per_mini, v, 64, &cnt, 0), LLMD_ERR_CORRUPT);
    p = zero_mini;
    ck_assert_int_eq(pq_delta_decode(&p, zero_mini + sizeof zero_mini, v, 64, &cnt, 0), LLMD_ERR_CORRUPT);
    p = wide;
    ck_assert_int_eq(pq_delta_decode(&p, wide + sizeof wide, v, 64, &cnt, 0), LLMD_ERR_CORRUPT);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "bit width 65"));
    p = one;
    ck_ok(pq_delta_decode(&p, one + sizeof one, v, 64, &cnt, 1));
    ck_assert_uint_eq(cnt, 1);
    ck_assert_int_eq(v[0], 6);
    p = none;
    ck_ok(pq_delta_decode(&p, none + sizeof none, v, 64, &cnt, 0));
    ck_assert_uint_eq(cnt, 0);
    for (size_t cut = 0; cut < sizeof delta_ex2; cut++) {
        p = delta_ex2;
        ck_assert_int_eq(pq_delta_decode(&p, delta_ex2 + cut, v, 64, &cnt, 1), LLMD_ERR_CORRUPT);
        uint64_t claimed;
        if (cut < 4) ck_assert_int_ne(pq_delta_count(delta_ex2, delta_ex2 + cut, &claimed), LLMD_OK);
    }
    /* RLE decoder: a value wider than its bit width, a bit-packed run cut short */
    rle_dec d;
    uint32_t o[16];
    static const uint8_t rle_wide[] = {0x08, 0x05};   /* run of 4, value 5 at bit width 2 */
    rle_dec_init(&d, rle_wide, rle_wide + 2, 2);
    ck_assert_int_eq(rle_dec_get(&d, o, 4), LLMD_ERR_CORRUPT);
    static const uint8_t bp_short[] = {0x03, 0xff};   /* one group of 8 at 2 bits needs 2 bytes */
    rle_dec_init(&d, bp_short, bp_short + 2, 2);
    ck_assert_int_eq(rle_dec_get(&d, o, 8), LLMD_ERR_CORRUPT);
    static const uint8_t bp32[] = {0x03, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0,
                                   5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff};
    rle_dec_init(&d, bp32, bp32 + sizeof bp32, 32);
    ck_ok(rle_dec_get(&d, o, 8));
    ck_assert_uint_eq(o[6], 7);
    ck_assert_uint_eq(o[7], 0xffffffffu);
    /* encoder: bit width 0 (all zero) and long runs mixed with literals round-trip */
    uint32_t in[300];
    for (int i = 0; i < 300; i++) in[i] = i < 100 ? 3 : (uint32_t)(i * 7) % 13;
    for (int bw = 4; bw <= 32; bw += 28) {
        llmd_buf e = LLMD_BUF_INIT;
        ck_ok(rle_encode(in, 300, bw, &e));
        uint32_t back[300];
        rle_dec_init(&d, (const uint8_t *)e.data, (const uint8_t *)e.data + e.len, bw);
        ck_ok(rle_dec_get(&d, back, 300));
        ck_assert_mem_eq(back, in, sizeof in);
        llmd_buf_free(&e);
    }
    uint32_t zeros[5] = {0};
    llmd_buf e = LLMD_BUF_INIT;
    ck_ok(rle_encode(zeros, 5, 0, &e));
    rle_dec_init(&d, (const uint8_t *)e.data, (const uint8_t *)e.data + e.len, 0);
    ck_ok(rle_dec_get(&d, o, 5));
    ck_assert_uint_eq(o[4], 0);
    llmd_buf_free(&e);
    ck_assert_int_eq(pq_bit_width(0), 0);
    ck_assert_int_eq(pq_bit_width(UINT64_MAX), 64);
    const uint8_t all[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    ck_assert_uint_eq(pq_unpack_bits(all, 0, 64), UINT64_MAX);
}
END_TEST

/* ---- the writer over every type and option, read back; statistics and row-group skipping ---- */

enum { NR = 300 };
enum { C_B, C_I8, C_I16, C_I32, C_I64, C_U8, C_U16, C_U32, C_U64, C_F32, C_F64, C_S, C_BIN, C_FX, C_DT, C_TMS,
       C_TUS, C_TS, C_D5, C_D15, C_D30, C_UUID, C_LST, NCOL };
static const llmd_type col_types[NCOL] = {
    {.id = LLMD_TYPE_BOOL}, {.id = LLMD_TYPE_INT8}, {.id = LLMD_TYPE_INT16}, {.id = LLMD_TYPE_INT32},
    {.id = LLMD_TYPE_INT64}, {.id = LLMD_TYPE_UINT8}, {.id = LLMD_TYPE_UINT16}, {.id = LLMD_TYPE_UINT32},
    {.id = LLMD_TYPE_UINT64}, {.id = LLMD_TYPE_FLOAT}, {.id = LLMD_TYPE_DOUBLE}, {.id = LLMD_TYPE_STRING},
    {.id = LLMD_TYPE_BINARY}, {.id = LLMD_TYPE_FIXED_BINARY, .byte_width = 5}, {.id = LLMD_TYPE_DATE},
    {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_MILLIS, .utc = 1}, {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_MICROS},
    {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_NANOS, .utc = 1}, {.id = LLMD_TYPE_DECIMAL, .precision = 5, .scale = 2},
    {.id = LLMD_TYPE_DECIMAL, .precision = 15, .scale = 3}, {.id = LLMD_TYPE_DECIMAL, .precision = 30},
    {.id = LLMD_TYPE_UUID}, {.id = LLMD_TYPE_LIST}};
static const char *const col_names[NCOL] = {"b", "i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64", "f32", "f64",
                                            "s", "bin", "fx", "dt", "tms", "tus", "ts", "d5", "d15", "d30", "uuid", "lst"};

typedef struct table {
    uint8_t valid[NCOL][NR / 8 + 1];
    uint8_t bools[NR / 8 + 1];
    int8_t i8[NR];
    int16_t i16[NR];
    int32_t i32[NR], dt[NR], tms[NR];
    int64_t i64[NR], tus[NR], ts[NR];
    uint8_t u8[NR];
    uint16_t u16[NR];
    uint32_t u32[NR];
    uint64_t u64[NR];
    float f32[NR];
    double f64[NR];
    int32_t s_off[NR + 1], bin_off[NR + 1];
    int64_t s_off64[NR + 1];
    char s[NR * 100], bin[NR * 80];
    uint8_t fx[NR * 5], d5[NR * 16], d15[NR * 16], d30[NR * 16], uuid[NR * 16];
    int32_t lst_off[NR + 1], elem[NR * 4];
    uint8_t elem_valid[NR / 2 + 1];
    llmd_column cols[NCOL], elem_col;
} table;

static int nullable_col(int c) {
    return c == C_B || c == C_I8 || c == C_I32 || c == C_F64 || c == C_S || c == C_D5 || c == C_LST;
}
static int is_null(int c, int i) {
    switch (c) {
    case C_B: return i % 7 == 0;
    case C_I8: return i % 5 == 0;
    case C_I32: return i % 3 == 0;
    case C_F64: return i % 4 == 0;
    case C_S: return i % 6 == 0;
    case C_D5: return i % 8 == 1;
    case C_LST: return i % 10 == 0;
    }
    return 0;
}
static void store_dec(uint8_t *d, int64_t lo, int64_t hi) {
    llmd_store_le64(d, (uint64_t)lo);
    llmd_store_le64(d + 8, (uint64_t)hi);
}

static void make_table(table *t, int offsets64) {
    memset(t, 0, sizeof *t);
    size_t sp = 0, bp = 0, ep = 0;
    for (int i = 0; i < NR; i++) {
        for (int c = 0; c < NCOL; c++)
            if (!is_null(c, i)) t->valid[c][i / 8] |= (uint8_t)(1u << (i % 8));
        if (i % 3 == 0) t->bools[i / 8] |= (uint8_t)(1u << (i % 8));
        t->i8[i] = (int8_t)(i * 37);
        t->i16[i] = (int16_t)(i * 1000 - 150000 / 10);
        t->i32[i] = (int32_t)((uint32_t)i * 2654435761u);
        t->i64[i] = (int64_t)((uint64_t)i * 6364136223846793005ull);
        t->u8[i] = (uint8_t)(i * 7);
        t->u16[i] = (uint16_t)(i * 7919);
        t->u32[i] = (uint32_t)i * 2654435761u;
        t->u64[i] = (uint64_t)i * 11400714819323198485ull;
        t->f32[i] = i % 11 == 0 ? NAN : i % 13 == 0 ? -0.0f : (float)i / 7.0f - 20.0f;
        t->f64[i] = i % 17 == 0 ? NAN : i % 19 == 0 ? 0.0 : sin(i) * 1e6;
        t->s_off[i] = (int32_t)sp;
        t->s_off64[i] = (int64_t)sp;
        sp += (size_t)sprintf(t->s + sp, "s%03d%s", i % 40, i % 9 == 0 ? "-zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz-Grüße" : "");
        t->bin_off[i] = (int32_t)bp;
        if (i % 50 == 0) {
            memset(t->bin + bp, 0xff, 70);   /* longer than the statistics keep, all 0xff */
            bp += 70;
        } else {
            t->bin[bp++] = (char)i;
            t->bin[bp++] = (char)(i >> 8);
            t->bin[bp++] = (char)0xff;
        }
        for (int k = 0; k < 5; k++) t->fx[i * 5 + k] = (uint8_t)(i * (k + 1));
        t->dt[i] = i * 37 - 5000;
        t->tms[i] = i * 1000;
        t->tus[i] = (int64_t)i * 123456789;
        t->ts[i] = (int64_t)i * 987654321012 - 5000000000000;
        int64_t d5 = i * 37 - 5000;
        store_dec(t->d5 + i * 16, d5, d5 < 0 ? -1 : 0);
        int64_t d15 = (int64_t)i * 12345678901 - 1000000000000;
        store_dec(t->d15 + i * 16, d15, d15 < 0 ? -1 : 0);
        store_dec(t->d30 + i * 16, (int64_t)((uint64_t)i * 0x9E3779B97F4A7C15ull), i % 2 ? i * 1000 : -i * 1000 - 1);
        for (int k = 0; k < 16; k++) t->uuid[i * 16 + k] = (uint8_t)(i + k * 17);
        t->lst_off[i] = (int32_t)ep;
        if (!is_null(C_LST, i))
            for (int j = 0; j < i % 4; j++) {
                if (j != 2) t->elem_valid[ep / 8] |= (uint8_t)(1u << (ep % 8));
                t->elem[ep++] = i * 10 + j;
            }
    }
    t->s_off[NR] = (int32_t)sp;
    t->s_off64[NR] = (int64_t)sp;
    t->bin_off[NR] = (int32_t)bp;
    t->lst_off[NR] = (int32_t)ep;
    const void *vals[NCOL] = {t->bools, t->i8, t->i16, t->i32, t->i64, t->u8, t->u16, t->u32, t->u64, t->f32, t->f64,
                              t->s, t->bin, t->fx, t->dt, t->tms, t->tus, t->ts, t->d5, t->d15, t->d30, t->uuid, NULL};
    for (int c = 0; c < NCOL; c++) {
        t->cols[c] = (llmd_column){.length = NR, .values = vals[c]};
        if (nullable_col(c)) t->cols[c].validity = t->valid[c];
    }
    t->cols[C_S].offsets = offsets64 ? (const void *)t->s_off64 : (const void *)t->s_off;
    t->cols[C_S].offsets64 = offsets64;
    t->cols[C_BIN].offsets = t->bin_off;
    t->elem_col = (llmd_column){.length = (int64_t)ep, .validity = t->elem_valid, .values = t->elem};
    t->cols[C_LST].offsets = t->lst_off;
    t->cols[C_LST].children = &t->elem_col;
    t->cols[C_LST].n_children = 1;
}

static llmd_schema *table_schema(void) {
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    for (int c = 0; c < NCOL; c++) {
        int id;
        ck_ok(llmd_schema_add(s, 0, col_names[c], &col_types[c], nullable_col(c), &id));
        if (c == C_LST) ck_ok(llmd_schema_add(s, id, "item", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, NULL));
    }
    return s;
}

static size_t value_width(int c) {
    switch (col_types[c].id) {
    case LLMD_TYPE_INT8: case LLMD_TYPE_UINT8: return 1;
    case LLMD_TYPE_INT16: case LLMD_TYPE_UINT16: return 2;
    case LLMD_TYPE_INT32: case LLMD_TYPE_UINT32: case LLMD_TYPE_FLOAT: case LLMD_TYPE_DATE: return 4;
    case LLMD_TYPE_TIME: return col_types[c].unit == LLMD_TIME_MILLIS ? 4 : 8;
    case LLMD_TYPE_FIXED_BINARY: return 5;
    case LLMD_TYPE_DECIMAL: case LLMD_TYPE_UUID: return 16;
    default: return 8;
    }
}
static int bit(const uint8_t *bm, int64_t i) { return bm == NULL || ((bm[i / 8] >> (i % 8)) & 1); }
static int64_t off_at(const llmd_column *c, int64_t i) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[i] : ((const int32_t *)c->offsets)[i];
}

/* Compares row group g (starting at row `first`) of the reader with the table. */
static void check_group(const table *t, llmd_parquet_batch *b, int64_t first) {
    int64_t rows = llmd_parquet_batch_rows(b);
    ck_assert_uint_eq(llmd_parquet_batch_num_columns(b), NCOL);
    for (int c = 0; c < NCOL; c++) {
        const llmd_column *got = llmd_parquet_batch_column(b, (size_t)c), *want = &t->cols[c];
        ck_assert_int_eq(got->length, rows);
        for (int64_t k = 0; k < rows; k++) {
            int64_t i = first + k;
            int valid = bit(want->validity, i);
            ck_assert_msg(bit(got->validity, got->offset + k) == valid, "%s row %lld validity", col_names[c], (long long)i);
            if (!valid) continue;
            int64_t gs = got->offset + k;
            if (c == C_B) {
                ck_assert_int_eq(bit(got->values, gs), bit(t->bools, i));
            } else if (c == C_S || c == C_BIN) {
                int64_t a = off_at(want, i), e = off_at(want, i + 1), ga = off_at(got, gs), ge = off_at(got, gs + 1);
                ck_assert_int_eq(ge - ga, e - a);
                ck_assert_mem_eq((const char *)got->values + ga, (const char *)want->values + a, (size_t)(e - a));
            } else if (c == C_LST) {
                int64_t a = t->lst_off[i], e = t->lst_off[i + 1], ga = off_at(got, gs), ge = off_at(got, gs + 1);
                ck_assert_int_eq(ge - ga, e - a);
                const llmd_column *el = &got->children[0];
                for (int64_t j = 0; j < e - a; j++) {
                    int ev = bit(t->elem_valid, a + j);
                    ck_assert_int_eq(bit(el->validity, el->offset + ga + j), ev);
                    if (ev) ck_assert_int_eq(((const int32_t *)el->values)[el->offset + ga + j], t->elem[a + j]);
                }
            } else {
                size_t w = value_width(c);
                const uint8_t *gv = (const uint8_t *)got->values + (size_t)gs * w, *wv = (const uint8_t *)want->values + (size_t)i * w;
                if (c == C_F32 || c == C_F64) {
                    double x = c == C_F32 ? *(const float *)gv : *(const double *)gv;
                    double y = c == C_F32 ? *(const float *)wv : *(const double *)wv;
                    ck_assert_msg((x != x && y != y) || (x == y && signbit(x) == signbit(y)), "%s row %lld", col_names[c], (long long)i);
                } else {
                    ck_assert_msg(memcmp(gv, wv, w) == 0, "%s row %lld differs", col_names[c], (long long)i);
                }
            }
        }
    }
}

/* The predicate answer the documented statistics rule gives, from the group's true min/max. */
static int expect_match(int op, int has_stats, int64_t nulls, int64_t rows, int have_minmax, double lo, double hi, double v) {
    if (!has_stats) return 1;
    if (op == LLMD_PARQUET_IS_NULL) return nulls != 0;
    if (op == LLMD_PARQUET_NOT_NULL) return nulls != rows;
    if (nulls == rows && rows > 0) return 0;
    if (!have_minmax) return 1;
    switch (op) {
    case LLMD_PARQUET_EQ: return !(v < lo || v > hi);
    case LLMD_PARQUET_LT: return lo < v;
    case LLMD_PARQUET_LE: return lo <= v;
    case LLMD_PARQUET_GT: return hi > v;
    case LLMD_PARQUET_GE: return hi >= v;
    }
    return 1;
}

/* Typed value of row i of a numeric column, as a double (exact for the ranges used). */
static double num_at(const table *t, int c, int i) {
    switch (c) {
    case C_I32: return t->i32[i];
    case C_U32: return t->u32[i];
    case C_I16: return t->i16[i];
    case C_U8: return t->u8[i];
    case C_F32: return t->f32[i];
    case C_F64: return t->f64[i];
    case C_DT: return t->dt[i];
    case C_TS: return (double)t->ts[i];
    }
    return 0;
}

static void check_predicates(const table *t, llmd_parquet_reader *r, int g, int64_t first, int64_t rows, int stats) {
    static const int cs[] = {C_I32, C_U32, C_I16, C_U8, C_F32, C_F64, C_DT, C_TS};
    for (size_t k = 0; k < sizeof cs / sizeof *cs; k++) {
        int c = cs[k];
        double lo = INFINITY, hi = -INFINITY;
        int64_t nulls = 0;
        for (int64_t i = first; i < first + rows; i++) {
            if (is_null(c, (int)i)) { nulls++; continue; }
            double x = num_at(t, c, (int)i);
            if (x != x) continue;
            if (x < lo) lo = x;
            if (x > hi) hi = x;
        }
        int have = lo <= hi;
        const double probes[] = {lo - 1, lo, (lo + hi) / 2, hi, hi + 1};
        for (int op = LLMD_PARQUET_EQ; op <= LLMD_PARQUET_NOT_NULL; op++)
            for (int pi = 0; pi < 5; pi++) {
                double v = probes[pi];
                if (!have) v = 0;
                if (c != C_F32 && c != C_F64) v = floor(v);
                llmd_parquet_predicate p = {.column = col_names[c], .op = op, .i = (int64_t)v, .d = v};
                int got = llmd_parquet_reader_row_group_may_match(r, g, &p, 1);
                int want = expect_match(op, stats, nulls, rows, have, lo, hi, v);
                ck_assert_msg(got == want, "%s group %d op %d value %g: got %d want %d (min %g max %g nulls %lld)",
                              col_names[c], g, op, v, got, want, lo, hi, (long long)nulls);
            }
    }
    /* strings compare as unsigned bytes: "s000" is the least, nothing sorts before "r" */
    llmd_parquet_predicate ps = {.column = "s", .op = LLMD_PARQUET_LT, .bytes = "r", .bytes_len = 1};
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &ps, 1), stats ? 0 : 1);
    ps.op = LLMD_PARQUET_GE;
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &ps, 1), 1);
    ps.op = LLMD_PARQUET_GT;
    ps.bytes = "t";
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &ps, 1), stats ? 0 : 1);
    ps.op = LLMD_PARQUET_EQ;
    ps.bytes = "s";   /* a prefix of every value: sorts before all of them */
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &ps, 1), stats ? 0 : 1);
    ps.bytes = NULL;  /* no value: cannot decide */
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &ps, 1), 1);
    /* unsigned 64-bit: a negative value is below every uint64 */
    llmd_parquet_predicate pu = {.column = "u64", .op = LLMD_PARQUET_LT, .i = -1};
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &pu, 1), stats ? 0 : 1);
    pu.column = "u32";
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &pu, 1), stats ? 0 : 1);
    pu.op = LLMD_PARQUET_GT;
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &pu, 1), 1);
    /* decimals, booleans and fixed binaries have no usable order here: always 1 */
    llmd_parquet_predicate pd = {.column = "d15", .op = LLMD_PARQUET_LT, .i = INT64_MIN};
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &pd, 1), 1);
    pd.column = "d5";
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &pd, 1), 1);
    /* a required column never holds a null */
    llmd_parquet_predicate pn = {.column = "i64", .op = LLMD_PARQUET_IS_NULL};
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &pn, 1), stats ? 0 : 1);
    /* several predicates: all must be possible */
    llmd_parquet_predicate two[2] = {{.column = "i64", .op = LLMD_PARQUET_NOT_NULL}, pn};
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, two, 2), stats ? 0 : 1);
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, two, 0), 1);
}

/* Unsigned/float statistics as stored: min/max in the type's order, NaN left out, zeros signed. */
static void check_chunk_stats(const table *t, llmd_parquet_reader *r, int g, int64_t first, int64_t rows) {
    llmd_parquet_chunk_info ci;
    /* leaf order = column order (the list has one leaf) */
    ck_ok(llmd_parquet_reader_chunk_info(r, g, C_U32, &ci));
    uint32_t mn = UINT32_MAX, mx = 0;
    for (int64_t i = first; i < first + rows; i++) {
        if (t->u32[i] < mn) mn = t->u32[i];
        if (t->u32[i] > mx) mx = t->u32[i];
    }
    ck_assert_uint_eq(ci.min_len, 4);
    ck_assert_uint_eq(llmd_load_le32(ci.min), mn);
    ck_assert_uint_eq(llmd_load_le32(ci.max), mx);
    ck_assert_int_eq(ci.null_count, 0);
    ck_assert_int_eq(ci.num_values, rows);
    ck_ok(llmd_parquet_reader_chunk_info(r, g, C_U64, &ci));
    uint64_t mn64 = UINT64_MAX, mx64 = 0;
    for (int64_t i = first; i < first + rows; i++) {
        if (t->u64[i] < mn64) mn64 = t->u64[i];
        if (t->u64[i] > mx64) mx64 = t->u64[i];
    }
    ck_assert_uint_eq(llmd_load_le64(ci.min), mn64);
    ck_assert_uint_eq(llmd_load_le64(ci.max), mx64);
    ck_ok(llmd_parquet_reader_chunk_info(r, g, C_F32, &ci));
    float fmn = INFINITY, fmx = -INFINITY;
    for (int64_t i = first; i < first + rows; i++) {
        float x = t->f32[i];
        if (x != x) continue;
        if (x < fmn) fmn = x;
        if (x > fmx) fmx = x;
    }
    float gmn, gmx;
    memcpy(&gmn, ci.min, 4);
    memcpy(&gmx, ci.max, 4);
    ck_assert(gmn == fmn && gmx == fmx);
    if (fmn == 0) ck_assert(signbit(gmn));    /* a zero minimum is written as -0.0 */
    if (fmx == 0) ck_assert(!signbit(gmx));   /* a zero maximum as +0.0 */
    ck_ok(llmd_parquet_reader_chunk_info(r, g, C_I32, &ci));
    int64_t nulls = 0;
    for (int64_t i = first; i < first + rows; i++) nulls += is_null(C_I32, (int)i);
    ck_assert_int_eq(ci.null_count, nulls);
    ck_assert_uint_ne(ci.encodings & (1u << PQ_ENC_RLE), 0);
    /* bin: the 70 x 0xff value (row 0, 50, ...) makes the max unrepresentable when truncated */
    ck_ok(llmd_parquet_reader_chunk_info(r, g, C_BIN, &ci));
    ck_assert_ptr_nonnull(ci.min);
    int has_ff = 0;
    for (int64_t i = first; i < first + rows; i++) has_ff |= i % 50 == 0;
    if (has_ff) ck_assert_ptr_null(ci.max);
    else ck_assert_ptr_nonnull(ci.max);
    /* s: values over 64 bytes are truncated, the bounds still hold */
    ck_ok(llmd_parquet_reader_chunk_info(r, g, C_S, &ci));
    ck_assert_uint_le(ci.min_len, 64);
    ck_assert_uint_le(ci.max_len, 64);
}

START_TEST(test_writer_every_type) {
    static table t;
    llmd_schema *s = table_schema();
    const int codecs[] = {LLMD_PARQUET_UNCOMPRESSED, LLMD_PARQUET_SNAPPY, LLMD_PARQUET_GZIP, LLMD_PARQUET_ZSTD,
                          LLMD_PARQUET_LZ4_RAW};
    for (int cfg = 0; cfg < 10; cfg++) {
        make_table(&t, cfg % 2);
        llmd_parquet_write_options o;
        llmd_parquet_write_options_init(&o);
        o.codec = codecs[cfg % 5];
        o.compression_level = cfg == 3 ? 1 : 0;
        o.data_page_version = 1 + (cfg / 5);
        o.dictionary_bytes = cfg % 3 == 0 ? 0 : cfg % 3 == 1 ? 256 : 1u << 20;
        o.statistics = cfg != 4;
        o.page_bytes = cfg % 2 ? 300 : 1u << 20;
        o.row_group_bytes = cfg % 4 == 0 ? 6000 : 128u << 20;
        const char *path = tmp_path("every.parquet");
        llmd_parquet_writer *w;
        ck_ok(llmd_parquet_writer_open(&w, path, s, &o));
        ck_ok(llmd_parquet_writer_set_metadata(w, "k", "v"));
        /* in three batches, the middle one a slice (Arrow offset) of the table */
        llmd_column part[NCOL];
        int64_t cuts[] = {0, 100, 101, NR};
        for (int p = 0; p < 3; p++) {
            for (int c = 0; c < NCOL; c++) {
                part[c] = t.cols[c];
                part[c].offset = cuts[p];
                part[c].length = cuts[p + 1] - cuts[p];
            }
            ck_ok(llmd_parquet_writer_write(w, part, NCOL));
            if (p == 0 && cfg == 2) ck_ok(llmd_parquet_writer_flush(w));
        }
        ck_ok(llmd_parquet_writer_flush(w));
        ck_ok(llmd_parquet_writer_flush(w));   /* nothing buffered: no empty row group */
        ck_assert_int_eq(llmd_parquet_writer_rows(w), NR);
        int groups = llmd_parquet_writer_row_groups(w);
        ck_ok(llmd_parquet_writer_finish(w));
        ck_fails(llmd_parquet_writer_set_metadata(w, "k2", "v"), LLMD_ERR_STATE, "already finished");
        llmd_parquet_writer_free(w);
        llmd_parquet_reader *r;
        ck_ok(llmd_parquet_reader_open(&r, path, NULL));
        ck_assert_int_eq(llmd_parquet_reader_num_row_groups(r), groups);
        if (cfg % 4 == 0 || cfg == 2) ck_assert_int_gt(groups, 1);
        ck_assert_str_eq(llmd_parquet_reader_metadata(r, "k"), "v");
        int64_t first = 0;
        for (int g = 0; g < groups; g++) {
            llmd_parquet_batch *b;
            ck_ok(llmd_parquet_reader_read_row_group(r, g, &b));
            int64_t rows = llmd_parquet_batch_rows(b);
            ck_assert_int_eq(rows, llmd_parquet_reader_row_group_rows(r, g));
            check_group(&t, b, first);
            llmd_parquet_batch_free(b);
            check_predicates(&t, r, g, first, rows, o.statistics);
            if (o.statistics) check_chunk_stats(&t, r, g, first, rows);
            first += rows;
        }
        ck_assert_int_eq(first, NR);
        llmd_parquet_reader_free(r);
    }
    llmd_schema_free(s);
}
END_TEST

/* ---- schemas, options and every NULL / out-of-range argument ---------------------------------- */

START_TEST(test_schema_api) {
    llmd_schema *s, *c;
    int id, lst, mp, st_id;
    ck_fails(llmd_schema_new(NULL), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_ok(llmd_schema_new(&s));
    const llmd_type i32 = {.id = LLMD_TYPE_INT32};
    ck_fails(llmd_schema_add(NULL, 0, "a", &i32, 1, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_schema_add(s, 0, NULL, &i32, 1, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_schema_add(s, 0, "a", NULL, 1, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_schema_add(s, 5, "a", &i32, 1, NULL), LLMD_ERR_INVALID_ARG, "no field 5");
    ck_fails(llmd_schema_add(s, -1, "a", &i32, 1, NULL), LLMD_ERR_INVALID_ARG, "no field -1");
    ck_fails(llmd_schema_add(s, 0, "", &i32, 1, NULL), LLMD_ERR_INVALID_ARG, "empty field name");
    ck_fails(llmd_schema_add(s, 0, "\xff", &i32, 1, NULL), LLMD_ERR_INVALID_ARG, "UTF-8");
    /* type parameters out of range */
    ck_fails(llmd_schema_add(s, 0, "f", &(llmd_type){.id = LLMD_TYPE_FIXED_BINARY}, 1, NULL), LLMD_ERR_INVALID_ARG, "byte_width");
    ck_fails(llmd_schema_add(s, 0, "f", &(llmd_type){.id = LLMD_TYPE_FIXED_BINARY, .byte_width = (1 << 24) + 1}, 1, NULL),
             LLMD_ERR_INVALID_ARG, "byte_width");
    static const llmd_type bad_dec[] = {{.id = LLMD_TYPE_DECIMAL, .precision = 0}, {.id = LLMD_TYPE_DECIMAL, .precision = 39},
                                        {.id = LLMD_TYPE_DECIMAL, .precision = 5, .scale = -1},
                                        {.id = LLMD_TYPE_DECIMAL, .precision = 5, .scale = 6}};
    for (size_t i = 0; i < 4; i++) ck_fails(llmd_schema_add(s, 0, "d", &bad_dec[i], 1, NULL), LLMD_ERR_INVALID_ARG, "precision");
    ck_fails(llmd_schema_add(s, 0, "t", &(llmd_type){.id = LLMD_TYPE_TIME, .unit = 3}, 1, NULL), LLMD_ERR_INVALID_ARG, "unit");
    ck_fails(llmd_schema_add(s, 0, "t", &(llmd_type){.id = LLMD_TYPE_TIMESTAMP, .unit = -1}, 1, NULL), LLMD_ERR_INVALID_ARG, "unit");
    ck_fails(llmd_schema_add(s, 0, "x", &(llmd_type){.id = 0}, 1, NULL), LLMD_ERR_INVALID_ARG, "type");
    ck_fails(llmd_schema_add(s, 0, "x", &(llmd_type){.id = 23}, 1, NULL), LLMD_ERR_INVALID_ARG, "type");
    /* containers: a list takes one child, a map two (the key not null), a leaf none */
    ck_ok(llmd_schema_add(s, 0, "a", &i32, 1, &id));
    ck_fails(llmd_schema_add(s, 0, "a", &i32, 1, NULL), LLMD_ERR_INVALID_ARG, "a");
    ck_assert_int_ne(llmd_schema_add(s, id, "under_leaf", &i32, 1, NULL), LLMD_OK);
    ck_ok(llmd_schema_add(s, 0, "l", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &lst));
    ck_ok(llmd_schema_add(s, lst, "e", &i32, 1, NULL));
    ck_assert_int_eq(llmd_schema_add(s, lst, "e2", &i32, 1, NULL), LLMD_ERR_INVALID_ARG);
    ck_ok(llmd_schema_add(s, 0, "m", &(llmd_type){.id = LLMD_TYPE_MAP}, 1, &mp));
    ck_assert_int_eq(llmd_schema_add(s, mp, "k", &i32, 1, NULL), LLMD_ERR_INVALID_ARG);   /* nullable key */
    ck_ok(llmd_schema_add(s, mp, "k", &i32, 0, NULL));
    ck_ok(llmd_schema_add(s, mp, "v", &i32, 1, NULL));
    ck_assert_int_eq(llmd_schema_add(s, mp, "v2", &i32, 1, NULL), LLMD_ERR_INVALID_ARG);
    ck_ok(llmd_schema_add(s, 0, "st", &(llmd_type){.id = LLMD_TYPE_STRUCT}, 0, &st_id));
    for (int i = 0; i < 40; i++) {   /* the field table grows */
        char nm[16];
        snprintf(nm, sizeof nm, "f%d", i);
        ck_ok(llmd_schema_add(s, st_id, nm, &(llmd_type){.id = LLMD_TYPE_DECIMAL, .precision = 38, .scale = 38}, 1, NULL));
    }
    /* accessors and bad ids */
    ck_assert_int_eq(llmd_schema_count(s), 8 + 40);   /* root a l e m k v st + 40 */
    ck_assert_int_eq(llmd_schema_count(NULL), 0);
    ck_assert_int_eq(llmd_schema_child_count(s, 999), 0);
    ck_assert_int_eq(llmd_schema_child_count(NULL, 0), 0);
    ck_assert_int_eq(llmd_schema_child(s, 0, 0), id);
    ck_assert_int_eq(llmd_schema_child(s, 0, 99), -1);
    ck_assert_int_eq(llmd_schema_child(s, 0, -1), -1);
    ck_assert_int_eq(llmd_schema_child(s, -3, 0), -1);
    ck_assert_int_eq(llmd_schema_parent(s, id), 0);
    ck_assert_int_eq(llmd_schema_parent(s, 0), -1);
    ck_assert_int_eq(llmd_schema_parent(s, 999), -1);
    ck_assert_int_eq(llmd_schema_parent(NULL, 1), -1);
    ck_assert_str_eq(llmd_schema_name(s, 0), "");
    ck_assert_ptr_null(llmd_schema_name(s, 999));
    ck_assert_int_eq(llmd_schema_type(s, 999).id, 0);
    ck_assert_int_eq(llmd_schema_type(s, lst).id, LLMD_TYPE_LIST);
    ck_assert_int_eq(llmd_schema_nullable(s, id), 1);
    ck_assert_int_eq(llmd_schema_nullable(s, st_id), 0);
    ck_assert_int_eq(llmd_schema_nullable(s, 999), 0);
    ck_assert_int_eq(llmd_schema_find(s, 0, "m"), mp);
    ck_assert_int_eq(llmd_schema_find(s, 0, "zz"), -1);
    ck_assert_int_eq(llmd_schema_find(s, 0, NULL), -1);
    ck_assert_int_eq(llmd_schema_find(s, 999, "m"), -1);
    ck_assert_ptr_null(llmd_type_name(0));
    ck_assert_ptr_null(llmd_type_name(23));
    ck_assert_str_eq(llmd_type_name(LLMD_TYPE_MAP), "map");
    ck_assert_str_eq(llmd_type_name(LLMD_TYPE_BOOL), "bool");
    /* clone: an equal, independent tree */
    ck_fails(llmd_schema_clone(NULL, s), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_schema_clone(&c, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_ok(llmd_schema_clone(&c, s));
    ck_assert_int_eq(llmd_schema_count(c), llmd_schema_count(s));
    ck_assert_int_eq(llmd_schema_child(c, st_id, 39), llmd_schema_child(s, st_id, 39));
    ck_assert_str_eq(llmd_schema_name(c, llmd_schema_child(c, st_id, 39)), "f39");
    llmd_schema_free(s);
    ck_assert_int_eq(llmd_schema_type(c, mp).id, LLMD_TYPE_MAP);
    llmd_schema_free(c);
    llmd_schema_free(NULL);

    /* a writer needs complete containers and at least one column */
    ck_ok(llmd_schema_new(&s));
    llmd_parquet_writer *w;
    const char *path = tmp_path("incomplete.parquet");
    ck_assert_int_eq(llmd_parquet_writer_open(&w, path, s, NULL), LLMD_ERR_INVALID_ARG);
    ck_ok(llmd_schema_add(s, 0, "st", &(llmd_type){.id = LLMD_TYPE_STRUCT}, 1, &st_id));
    ck_fails(llmd_parquet_writer_open(&w, path, s, NULL), LLMD_ERR_INVALID_ARG, "st");
    ck_ok(llmd_schema_add(s, st_id, "x", &i32, 1, NULL));
    ck_ok(llmd_schema_add(s, 0, "l", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &lst));
    ck_fails(llmd_parquet_writer_open(&w, path, s, NULL), LLMD_ERR_INVALID_ARG, "l");
    ck_ok(llmd_schema_add(s, lst, "e", &i32, 1, NULL));
    ck_ok(llmd_schema_add(s, 0, "m", &(llmd_type){.id = LLMD_TYPE_MAP}, 1, &mp));
    ck_ok(llmd_schema_add(s, mp, "k", &i32, 0, NULL));
    ck_fails(llmd_parquet_writer_open(&w, path, s, NULL), LLMD_ERR_INVALID_ARG, "m");
    llmd_schema_free(s);
}
END_TEST

START_TEST(test_writer_options_and_errors) {
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    int a, l;
    ck_ok(llmd_schema_add(s, 0, "a", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, &a));
    ck_ok(llmd_schema_add(s, 0, "l", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &l));
    ck_ok(llmd_schema_add(s, l, "e", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL));
    const char *path = tmp_path("errs.parquet");
    llmd_parquet_writer *w;
    llmd_parquet_write_options o;
    llmd_parquet_write_options_init(NULL);
    ck_fails(llmd_parquet_writer_open(NULL, path, s, NULL), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_fails(llmd_parquet_writer_open(&w, NULL, s, NULL), LLMD_ERR_INVALID_ARG, "NULL path or schema");
    ck_fails(llmd_parquet_writer_open(&w, path, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL path or schema");
    /* every option out of range */
    for (int k = 0; k < 10; k++) {
        llmd_parquet_write_options_init(&o);
        llmd_status want = LLMD_ERR_INVALID_ARG;
        const char *needle = "";
        switch (k) {
        case 0: o.version = 2; want = LLMD_ERR_VERSION; break;
        case 1: o.codec = 42; needle = "42"; break;
        case 2: o.codec = 3; needle = "cannot write codec lzo"; want = LLMD_ERR_UNSUPPORTED; break;
        case 3: o.codec = 4; needle = "cannot write codec brotli"; want = LLMD_ERR_UNSUPPORTED; break;
        case 4: o.codec = 5; needle = "cannot write codec lz4"; want = LLMD_ERR_UNSUPPORTED; break;
        case 5: o.data_page_version = 3; needle = "data_page_version"; break;
        case 6: o.page_bytes = 0; needle = "page_bytes"; break;
        case 7: o.page_bytes = (1u << 30) + 1; needle = "page_bytes"; break;
        case 8: o.row_group_bytes = 0; needle = "row_group_bytes"; break;
        case 9: o.dictionary_bytes = (1ull << 30) + 1; needle = "dictionary_bytes"; break;
        }
        llmd_status st = llmd_parquet_writer_open(&w, path, s, &o);
        ck_assert_msg(st == want && strstr(llmd_last_error(), needle), "option %d: %s: %s", k, llmd_status_str(st),
                      llmd_last_error());
    }
    /* the directory is a regular file (ENOTDIR: refused also when running as root) */
    char sub[600];
    snprintf(sub, sizeof sub, "%s/x.parquet", path);
    FILE *f = fopen(path, "w");
    fclose(f);
    ck_assert_int_eq(llmd_parquet_writer_open(&w, sub, s, NULL), LLMD_ERR_IO);
    /* codec names */
    int codec;
    ck_fails(llmd_parquet_codec_parse(NULL, &codec), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_codec_parse("zstd", NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_codec_parse("brotli", &codec), LLMD_ERR_INVALID_ARG, "unknown codec 'brotli'");
    static const struct { const char *n; int c; } names[] = {{"NONE", 0}, {"Snappy", 1}, {"gzip", 2}, {"ZSTD", 6},
                                                             {"lz4", 7}, {"lz4_raw", 7}, {"uncompressed", 0}};
    for (size_t i = 0; i < 7; i++) {
        ck_ok(llmd_parquet_codec_parse(names[i].n, &codec));
        ck_assert_int_eq(codec, names[i].c);
    }
    static const char *const cn[] = {"uncompressed", "snappy", "gzip", "lzo", "brotli", "lz4", "zstd", "lz4_raw"};
    for (int i = 0; i < 8; i++) ck_assert_str_eq(llmd_parquet_codec_name(i), cn[i]);
    ck_assert_ptr_null(llmd_parquet_codec_name(8));
    ck_assert_ptr_null(llmd_parquet_codec_name(-1));

    /* write errors: each leaves the writer failed (later calls: LLMD_ERR_STATE) and publishes nothing */
    int32_t offs[3] = {0, 2, 4}, loffs[3] = {0, 1, 2}, vals[2] = {1, 2};
    uint8_t null_first = 0x2;
    llmd_column el = {.length = 2, .values = vals};
    for (int k = 0; k < 10; k++) {
        unlink(path);
        ck_ok(llmd_parquet_writer_open(&w, path, s, NULL));
        llmd_column cols[2] = {{.length = 2, .offsets = offs, .values = "abcd"},
                               {.length = 2, .offsets = loffs, .children = &el, .n_children = 1}};
        int32_t bad_offs[3] = {0, 3, 2}, neg_offs[3] = {-1, 2, 4}, lbad[3] = {0, 2, 5};
        llmd_column el_null = {.length = 2, .values = vals, .validity = &null_first};
        size_t ncols = 2;
        const char *needle = "";
        llmd_status want = LLMD_ERR_SCHEMA;
        switch (k) {
        case 0: cols[0].validity = &null_first; needle = "null in required field 'a'"; break;
        case 1: cols[0].offsets = bad_offs; needle = "bad offsets"; break;
        case 2: cols[0].offsets = neg_offs; needle = "bad offsets -1..2"; break;
        case 3: cols[0].values = "a\xff" "cd"; needle = "not valid UTF-8"; break;
        case 4: ncols = 1; needle = "1 columns given, the schema has 2"; break;
        case 5: cols[1].length = 1; needle = "column 'l' has 1 entries"; break;
        case 6: cols[1].offsets = lbad; needle = "outside its 2 elements"; break;
        case 7: cols[1].n_children = 0; needle = "needs offsets and 1 child"; break;
        case 8: cols[1].children = &el_null; needle = "null in required"; break;
        case 9: cols[0].values = NULL; needle = "no values buffer"; break;
        }
        llmd_status st = llmd_parquet_writer_write(w, cols, ncols);
        ck_assert_msg(st == want && strstr(llmd_last_error(), needle), "case %d: %s: %s", k, llmd_status_str(st), llmd_last_error());
        if (k == 4 || k == 5 || k == 9) {   /* refused before any row: the writer stays usable */
            cols[0].validity = NULL;
            cols[0].values = "abcd";
            cols[1].length = 2;
            ck_ok(llmd_parquet_writer_write(w, cols, 2));
            ck_ok(llmd_parquet_writer_finish(w));
            ck_fails(llmd_parquet_writer_write(w, cols, 2), LLMD_ERR_STATE, "");
        } else {
            ck_fails(llmd_parquet_writer_write(w, cols, 2), LLMD_ERR_STATE, "");
            ck_assert_int_eq(llmd_parquet_writer_flush(w), LLMD_ERR_STATE);
            ck_assert_int_eq(llmd_parquet_writer_finish(w), LLMD_ERR_STATE);
            ck_fails(llmd_parquet_writer_set_metadata(w, "k", "v"), LLMD_ERR_STATE, "failed");
        }
        llmd_parquet_writer_free(w);
        struct stat sb;
        ck_assert_int_eq(stat(path, &sb) == 0, k == 4 || k == 5 || k == 9);
    }
    ck_fails(llmd_parquet_writer_write(NULL, NULL, 0), LLMD_ERR_INVALID_ARG, "NULL");
    ck_assert_int_eq(llmd_parquet_writer_flush(NULL), LLMD_ERR_INVALID_ARG);
    ck_assert_int_eq(llmd_parquet_writer_finish(NULL), LLMD_ERR_INVALID_ARG);
    ck_fails(llmd_parquet_writer_set_metadata(NULL, "k", "v"), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_assert_int_eq(llmd_parquet_writer_rows(NULL), 0);
    ck_assert_int_eq(llmd_parquet_writer_row_groups(NULL), 0);
    llmd_parquet_writer_free(NULL);
    ck_ok(llmd_parquet_writer_open(&w, path, s, NULL));
    ck_fails(llmd_parquet_writer_set_metadata(w, NULL, "v"), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_writer_set_metadata(w, "k", NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    llmd_parquet_writer_free(w);

    /* decimals that do not fit their physical width */
    llmd_schema *ds;
    ck_ok(llmd_schema_new(&ds));
    ck_ok(llmd_schema_add(ds, 0, "d", &(llmd_type){.id = LLMD_TYPE_DECIMAL, .precision = 9}, 0, NULL));
    ck_ok(llmd_schema_add(ds, 0, "f", &(llmd_type){.id = LLMD_TYPE_DECIMAL, .precision = 20}, 0, NULL));
    uint8_t d[2][16];
    memset(d, 0, sizeof d);
    for (int k = 0; k < 3; k++) {
        ck_ok(llmd_parquet_writer_open(&w, path, ds, NULL));
        memset(d, 0, sizeof d);
        if (k == 0) d[0][4] = 1;                     /* 2^32 in a 4-byte INT32 decimal */
        if (k == 1) d[0][3] = 0x80;                  /* 2^31: the sign bit of the INT32 */
        if (k == 2) { memset(d[1], 0xff, 16); d[1][8] = 0x7f; }   /* -2^71 + ... in 9 bytes: no */
        llmd_column dc[2] = {{.length = 1, .values = d[0]}, {.length = 1, .values = d[1]}};
        ck_fails(llmd_parquet_writer_write(w, dc, 2), LLMD_ERR_SCHEMA, "does not fit precision");
        llmd_parquet_writer_free(w);
    }
    llmd_schema_free(ds);
    llmd_schema_free(s);
}
END_TEST

START_TEST(test_reader_api) {
    /* a small valid file: a (int32) and l (list<int32>) */
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    int l;
    ck_ok(llmd_schema_add(s, 0, "a", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, NULL));
    ck_ok(llmd_schema_add(s, 0, "l", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &l));
    ck_ok(llmd_schema_add(s, l, "e", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, NULL));
    char path[512];
    snprintf(path, sizeof path, "%s", tmp_path("api.parquet"));
    llmd_parquet_writer *w;
    ck_ok(llmd_parquet_writer_open(&w, path, s, NULL));
    int32_t av[3] = {5, 6, 7}, lo[4] = {0, 1, 1, 3}, ev[3] = {1, 2, 3};
    uint8_t null_all = 0;
    llmd_column el = {.length = 3, .values = ev};
    llmd_column cols[2] = {{.length = 3, .values = av, .validity = &null_all},
                           {.length = 3, .offsets = lo, .children = &el, .n_children = 1}};
    ck_ok(llmd_parquet_writer_write(w, cols, 2));
    ck_ok(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);

    llmd_parquet_reader *r;
    llmd_parquet_read_options o;
    llmd_parquet_read_options_init(NULL);
    llmd_parquet_read_options_init(&o);
    ck_fails(llmd_parquet_reader_open(NULL, path, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_reader_open(&r, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_reader_open_memory(NULL, "x", 1, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_reader_open_memory(&r, NULL, 1, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_reader_open_memory(&r, NULL, 0, NULL), LLMD_ERR_PARSE, "too short");
    o.max_memory = 0;
    ck_fails(llmd_parquet_reader_open(&r, path, &o), LLMD_ERR_INVALID_ARG, "max_memory must be > 0");
    llmd_parquet_read_options_init(&o);
    o.int96_unit = 3;
    ck_fails(llmd_parquet_reader_open(&r, path, &o), LLMD_ERR_INVALID_ARG, "int96_unit");
    o.int96_unit = -1;
    ck_fails(llmd_parquet_reader_open(&r, path, &o), LLMD_ERR_INVALID_ARG, "int96_unit");
    llmd_parquet_read_options_init(&o);
    o.version = 9;
    ck_assert_int_eq(llmd_parquet_reader_open(&r, path, &o), LLMD_ERR_VERSION);
    ck_fails(llmd_parquet_reader_open(&r, tmpdir, NULL), LLMD_ERR_IO, "not a regular file");
    ck_fails(llmd_parquet_reader_open(&r, tmp_path("absent.parquet"), NULL), LLMD_ERR_NOT_FOUND, "absent.parquet");
    char sub[600];
    snprintf(sub, sizeof sub, "%s/below", path);
    ck_fails(llmd_parquet_reader_open(&r, sub, NULL), LLMD_ERR_IO, "cannot open");
    /* a footer larger than max_memory */
    llmd_parquet_read_options_init(&o);
    o.max_memory = 16;
    ck_fails(llmd_parquet_reader_open(&r, path, &o), LLMD_ERR_RANGE, "max_memory");
    /* encrypted footer magic */
    struct stat sb;
    ck_assert_int_eq(stat(path, &sb), 0);
    size_t n = (size_t)sb.st_size;
    uint8_t *img = malloc(n);
    FILE *f = fopen(path, "rb");
    ck_assert_uint_eq(fread(img, 1, n, f), n);
    fclose(f);
    memcpy(img + n - 4, "PARE", 4);
    ck_fails(llmd_parquet_reader_open_memory(&r, img, n, NULL), LLMD_ERR_UNSUPPORTED, "encrypted");
    memcpy(img + n - 4, "PAR1", 4);
    memcpy(img, "PAR2", 4);
    ck_assert_int_eq(llmd_parquet_reader_open_memory(&r, img, n, NULL), LLMD_ERR_PARSE);
    memcpy(img, "PAR1", 4);

    ck_ok(llmd_parquet_reader_open(&r, path, NULL));
    ck_assert_int_eq(llmd_parquet_reader_num_rows(r), 3);
    ck_assert_int_eq(llmd_parquet_reader_row_group_rows(r, 0), 3);
    ck_assert_int_eq(llmd_parquet_reader_row_group_rows(r, 1), 0);
    ck_assert_int_eq(llmd_parquet_reader_row_group_rows(r, -1), 0);
    ck_assert_ptr_nonnull(strstr(llmd_parquet_reader_created_by(r), "llmdata"));
    ck_assert_uint_eq(llmd_parquet_reader_metadata_count(r), 0);
    const char *k, *v;
    ck_assert_int_ne(llmd_parquet_reader_metadata_at(r, 0, &k, &v), LLMD_OK);
    ck_assert_ptr_null(llmd_parquet_reader_metadata(r, "x"));
    ck_assert_ptr_null(llmd_parquet_reader_metadata(r, NULL));
    ck_assert_int_eq(llmd_parquet_reader_num_leaves(r), 2);
    ck_assert_str_eq(llmd_parquet_reader_leaf_path(r, 1), "l.list.element");
    ck_assert_str_eq(llmd_parquet_reader_leaf_physical(r, 1), "INT32");
    ck_assert_int_eq(llmd_parquet_reader_leaf_field(r, 1), 3);
    ck_assert_ptr_null(llmd_parquet_reader_leaf_path(r, 2));
    ck_assert_ptr_null(llmd_parquet_reader_leaf_physical(r, -1));
    ck_assert_int_eq(llmd_parquet_reader_leaf_field(r, 5), -1);
    llmd_parquet_chunk_info ci;
    ck_ok(llmd_parquet_reader_chunk_info(r, 0, 0, &ci));
    ck_assert_int_eq(ci.null_count, 3);   /* all null: no min/max */
    ck_assert_ptr_null(ci.min);
    ck_fails(llmd_parquet_reader_chunk_info(r, 1, 0, &ci), LLMD_ERR_RANGE, "no row group");
    ck_fails(llmd_parquet_reader_chunk_info(r, 0, 2, &ci), LLMD_ERR_RANGE, "no row group");
    ck_fails(llmd_parquet_reader_chunk_info(r, -1, 0, &ci), LLMD_ERR_RANGE, "no row group");
    ck_fails(llmd_parquet_reader_chunk_info(r, 0, -1, &ci), LLMD_ERR_RANGE, "no row group");
    ck_fails(llmd_parquet_reader_chunk_info(r, 0, 0, NULL), LLMD_ERR_RANGE, "no row group");
    ck_fails(llmd_parquet_reader_chunk_info(NULL, 0, 0, &ci), LLMD_ERR_RANGE, "no row group");
    /* predicates: errors come back as negative statuses */
    llmd_parquet_predicate p = {.column = "a", .op = LLMD_PARQUET_EQ, .i = 5};
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), 0);   /* all null */
    p.op = LLMD_PARQUET_IS_NULL;
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), 1);
    p.op = LLMD_PARQUET_NOT_NULL;
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), 0);
    p.op = 7;
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), LLMD_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "op 7"));
    p.op = -1;
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), LLMD_ERR_INVALID_ARG);
    p.op = LLMD_PARQUET_EQ;
    p.column = "l";
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), LLMD_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "nested"));
    p.column = "zz";
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), LLMD_ERR_NOT_FOUND);
    p.column = NULL;
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), LLMD_ERR_NOT_FOUND);
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 1, &p, 1), LLMD_ERR_RANGE);
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, -1, &p, 1), LLMD_ERR_RANGE);
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, NULL, 1), LLMD_ERR_INVALID_ARG);
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(NULL, 0, &p, 1), LLMD_ERR_INVALID_ARG);
    /* selection: unknown names, NULL names, reorder, all */
    const char *bad_names[] = {"a", NULL};
    ck_fails(llmd_parquet_reader_select(r, bad_names, 2), LLMD_ERR_NOT_FOUND, "(null)");
    const char *unknown[] = {"nope"};
    ck_fails(llmd_parquet_reader_select(r, unknown, 1), LLMD_ERR_NOT_FOUND, "no column named 'nope'");
    ck_fails(llmd_parquet_reader_select(NULL, unknown, 1), LLMD_ERR_INVALID_ARG, "reader is NULL");
    const char *rev[] = {"l", "a"};
    ck_ok(llmd_parquet_reader_select(r, rev, 2));
    llmd_parquet_batch *b;
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    ck_assert_uint_eq(llmd_parquet_batch_num_columns(b), 2);
    ck_assert_int_eq(llmd_parquet_batch_field(b, 0), l);
    ck_assert_int_eq(llmd_parquet_batch_field(b, 1), 1);
    ck_assert_int_eq(llmd_parquet_batch_field(b, 2), -1);
    ck_assert_ptr_null(llmd_parquet_batch_column(b, 2));
    const llmd_column *lc = llmd_parquet_batch_column(b, 0);
    ck_assert_int_eq(((const int32_t *)lc->offsets)[3], 3);
    ck_assert_int_eq(((const int32_t *)lc->children[0].values)[2], 3);
    llmd_parquet_batch_free(b);
    ck_ok(llmd_parquet_reader_select(r, NULL, 0));
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    ck_assert_uint_eq(llmd_parquet_batch_num_columns(b), 2);
    ck_assert_int_eq(llmd_parquet_batch_field(b, 0), 1);
    llmd_parquet_batch_free(b);
    ck_fails(llmd_parquet_reader_read_row_group(r, 0, NULL), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_fails(llmd_parquet_reader_read_row_group(r, 1, &b), LLMD_ERR_RANGE, "no row group 1");
    ck_fails(llmd_parquet_reader_read_row_group(NULL, 0, &b), LLMD_ERR_RANGE, "no row group 0");
    llmd_parquet_reader_free(r);
    /* NULL handles */
    ck_assert_ptr_null(llmd_parquet_reader_schema(NULL));
    ck_assert_int_eq(llmd_parquet_reader_num_rows(NULL), 0);
    ck_assert_int_eq(llmd_parquet_reader_num_row_groups(NULL), 0);
    ck_assert_int_eq(llmd_parquet_reader_row_group_rows(NULL, 0), 0);
    ck_assert_str_eq(llmd_parquet_reader_created_by(NULL), "");
    ck_assert_uint_eq(llmd_parquet_reader_metadata_count(NULL), 0);
    ck_assert_int_ne(llmd_parquet_reader_metadata_at(NULL, 0, &k, &v), LLMD_OK);
    ck_assert_ptr_null(llmd_parquet_reader_metadata(NULL, "k"));
    ck_assert_int_eq(llmd_parquet_reader_num_leaves(NULL), 0);
    ck_assert_ptr_null(llmd_parquet_reader_leaf_path(NULL, 0));
    ck_assert_ptr_null(llmd_parquet_reader_leaf_physical(NULL, 0));
    ck_assert_int_eq(llmd_parquet_reader_leaf_field(NULL, 0), -1);
    ck_assert_int_eq(llmd_parquet_batch_rows(NULL), 0);
    ck_assert_uint_eq(llmd_parquet_batch_num_columns(NULL), 0);
    ck_assert_ptr_null(llmd_parquet_batch_column(NULL, 0));
    ck_assert_int_eq(llmd_parquet_batch_field(NULL, 0), -1);
    llmd_parquet_batch_free(NULL);
    llmd_parquet_reader_free(NULL);
    /* a file that shrank after open: the read fails with IO/PARSE, never a crash */
    ck_ok(llmd_parquet_reader_open(&r, path, NULL));
    ck_assert_int_eq(truncate(path, 8), 0);
    llmd_status st = llmd_parquet_reader_read_row_group(r, 0, &b);
    ck_assert_msg(st == LLMD_ERR_IO || st == LLMD_ERR_PARSE, "%s", llmd_last_error());
    llmd_parquet_reader_free(r);
    free(img);
}
END_TEST

/* ---- the Parquet shard writer ----------------------------------------------------------------- */

static int exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

START_TEST(test_shard_writer_paths) {
    char prefix[512], p[600];
    snprintf(prefix, sizeof prefix, "%s", tmp_path("sh"));
    llmd_parquet_shard_writer *w;
    llmd_parquet_shard_options o;
    llmd_parquet_shard_options_init(NULL);
    llmd_parquet_shard_options_init(&o);
    o.seq_len = 4;
    ck_fails(llmd_parquet_shard_writer_open(NULL, prefix, &o), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_shard_writer_open(&w, NULL, &o), LLMD_ERR_INVALID_ARG, "NULL argument");
    o.version = 5;
    ck_assert_int_eq(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_VERSION);
    o.version = LLMD_PARQUET_SHARD_OPTIONS_VERSION;
    o.seq_len = (1u << 24) + 1;
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_INVALID_ARG, "seq_len 16777217");
    o.seq_len = 4;
    o.row_group_bytes = 0;
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_INVALID_ARG, "row_group_bytes");
    o.row_group_bytes = 1u << 20;
    o.codec = 42;
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_INVALID_ARG, "unknown codec 42");
    o.codec = LLMD_PARQUET_SNAPPY;
    snprintf(p, sizeof p, "%s/.", tmpdir);
    ck_fails(llmd_parquet_shard_writer_open(&w, p, &o), LLMD_ERR_INVALID_ARG, "no file name");
    snprintf(p, sizeof p, "%s/..", tmpdir);
    ck_fails(llmd_parquet_shard_writer_open(&w, p, &o), LLMD_ERR_INVALID_ARG, "no file name");
    snprintf(p, sizeof p, "%s/\xff", tmpdir);
    ck_fails(llmd_parquet_shard_writer_open(&w, p, &o), LLMD_ERR_INVALID_ARG, "not valid UTF-8");
    static const char *const bad_ids[] = {"", ".dot-first", "sp ace", "sl/ash", "x\xc3\xa9"};
    for (size_t i = 0; i < 5; i++) {
        o.run_id = bad_ids[i];
        ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_INVALID_ARG, "run id");
    }
    char long_id[102];
    memset(long_id, 'a', 101);
    long_id[101] = 0;
    o.run_id = long_id;
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_INVALID_ARG, "1..100 characters");
    long_id[100] = 0;
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));   /* exactly 100 */
    llmd_parquet_shard_writer_free(w);
    o.run_id = "Run.2024_a-b";
    /* three windows, each its own file (file_bytes tiny: a new file after every batch) */
    o.file_bytes = 1;
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    ck_assert_str_eq(llmd_parquet_shard_writer_run_id(w), "Run.2024_a-b");
    const uint32_t t1[4] = {1, 2, 3, 0}, cu1[3] = {0, 2, 3}, off1[2] = {0, 5};
    const uint64_t doc1[2] = {0, 1};
    const uint32_t t2[4] = {5, 6, 7, 8}, cu2[2] = {0, 4}, off2[1] = {7};
    const uint64_t doc2[1] = {1};
    llmd_pack_window w1 = {t1, 4, 2, cu1, doc1, off1}, w2 = {t2, 4, 1, cu2, doc2, off2};
    ck_fails(llmd_parquet_shard_writer_add(NULL, &w1), LLMD_ERR_INVALID_ARG, "NULL argument");
    ck_fails(llmd_parquet_shard_writer_add(w, NULL), LLMD_ERR_INVALID_ARG, "NULL argument");
    llmd_pack_window wrong = w1;
    wrong.seq_len = 3;
    ck_fails(llmd_parquet_shard_writer_add(w, &wrong), LLMD_ERR_INVALID_ARG, "window of 3 tokens, shard seq_len 4");
    ck_ok(llmd_parquet_shard_writer_add(w, &w1));
    ck_ok(llmd_parquet_shard_writer_window_fn(w, &w2));
    ck_ok(llmd_parquet_shard_writer_add(w, &w2));
    ck_assert_uint_eq(llmd_parquet_shard_writer_windows(w), 3);
    ck_assert_uint_eq(llmd_parquet_shard_writer_file_count(w), 0);
    ck_fails(llmd_parquet_shard_writer_file(w, 0, NULL, NULL, NULL, NULL), LLMD_ERR_RANGE, "listed after finish");
    ck_fails(llmd_parquet_shard_writer_finish(w, "[1]"), LLMD_ERR_PARSE, "extra JSON");
    llmd_parquet_shard_writer_free(w);
    ck_assert(!exists(p));
    snprintf(p, sizeof p, "%s-00000.parquet", prefix);
    ck_assert(!exists(p));   /* the failed finish published nothing */

    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    ck_ok(llmd_parquet_shard_writer_add(w, &w1));
    ck_ok(llmd_parquet_shard_writer_add(w, &w2));
    ck_ok(llmd_parquet_shard_writer_add(w, &w2));
    ck_ok(llmd_parquet_shard_writer_finish(w, " { \"note\" : \"x\" } "));
    ck_assert_uint_eq(llmd_parquet_shard_writer_file_count(w), 4);   /* 3 data files + manifest */
    const char *name;
    uint64_t bytes, xxh, rows;
    ck_ok(llmd_parquet_shard_writer_file(w, 0, &name, &bytes, &xxh, &rows));
    ck_assert_str_eq(name, "sh-00000.parquet");
    ck_assert_uint_eq(rows, 1);
    snprintf(p, sizeof p, "%s-00000.parquet", prefix);
    struct stat sb;
    ck_assert_int_eq(stat(p, &sb), 0);
    ck_assert_uint_eq(bytes, (uint64_t)sb.st_size);
    ck_ok(llmd_parquet_shard_writer_file(w, 3, &name, NULL, NULL, &rows));
    ck_assert_str_eq(name, "sh.manifest.json");
    ck_assert_uint_eq(rows, 0);
    ck_ok(llmd_parquet_shard_writer_file(w, 2, NULL, NULL, NULL, NULL));
    ck_fails(llmd_parquet_shard_writer_file(NULL, 0, NULL, NULL, NULL, NULL), LLMD_ERR_INVALID_ARG, "writer is NULL");
    llmd_parquet_shard_writer_free(w);
    /* the first file: one window, its lists as documented */
    llmd_parquet_reader *r;
    ck_ok(llmd_parquet_reader_open(&r, p, NULL));
    ck_assert_str_eq(llmd_parquet_reader_metadata(r, "llmdata.seq_len"), "4");
    ck_assert_str_eq(llmd_parquet_reader_metadata(r, "llmdata.run_id"), "Run.2024_a-b");
    llmd_parquet_batch *b;
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    const llmd_column *ids = llmd_parquet_batch_column(b, 0), *cu = llmd_parquet_batch_column(b, 1),
                      *docs = llmd_parquet_batch_column(b, 2), *doff = llmd_parquet_batch_column(b, 3);
    ck_assert_mem_eq(ids->children[0].values, ((const int32_t[]){1, 2, 3, 0}), 16);
    ck_assert_int_eq(((const int32_t *)cu->offsets)[1], 4);
    ck_assert_mem_eq(cu->children[0].values, ((const int32_t[]){0, 2, 3, 4}), 16);
    ck_assert_mem_eq(docs->children[0].values, ((const int64_t[]){0, 1}), 16);
    ck_assert_mem_eq(doff->children[0].values, ((const int32_t[]){0, 5}), 8);
    llmd_parquet_batch_free(b);
    llmd_parquet_reader_free(r);
    snprintf(p, sizeof p, "%s-00001.parquet", prefix);
    ck_ok(llmd_parquet_reader_open(&r, p, NULL));
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    cu = llmd_parquet_batch_column(b, 1);
    ck_assert_int_eq(((const int32_t *)cu->offsets)[1], 2);   /* no padding: 0 4 */
    ck_assert_mem_eq(cu->children[0].values, ((const int32_t[]){0, 4}), 8);
    llmd_parquet_batch_free(b);
    llmd_parquet_reader_free(r);
    snprintf(p, sizeof p, "%s.manifest.json", prefix);
    FILE *mf = fopen(p, "r");
    ck_assert_ptr_nonnull(mf);
    char man[4096];
    size_t ml = fread(man, 1, sizeof man - 1, mf);
    fclose(mf);
    man[ml] = 0;
    ck_assert_ptr_nonnull(strstr(man, "\"note\" : \"x\""));   /* extra members kept as given */
    ck_assert_ptr_nonnull(strstr(man, "sh-00002.parquet"));

    /* existing output: conflict without overwrite; with it, the stale later files are removed */
    o.file_bytes = 0;
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_CONFLICT, "exists");
    o.overwrite = 1;
    o.run_id = NULL;
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    ck_assert_uint_eq(strlen(llmd_parquet_shard_writer_run_id(w)), 36);   /* a UUID */
    ck_ok(llmd_parquet_shard_writer_add(w, &w2));
    ck_ok(llmd_parquet_shard_writer_finish(w, "{}"));
    ck_assert_int_eq(llmd_parquet_shard_writer_finish(w, NULL), LLMD_ERR_STATE);
    ck_assert_int_eq(llmd_parquet_shard_writer_add(w, &w2), LLMD_ERR_STATE);
    llmd_parquet_shard_writer_free(w);
    snprintf(p, sizeof p, "%s-00000.parquet", prefix);
    ck_assert(exists(p));
    snprintf(p, sizeof p, "%s-00001.parquet", prefix);
    ck_assert(!exists(p));
    snprintf(p, sizeof p, "%s-00002.parquet", prefix);
    ck_assert(!exists(p));
    /* an id above 2^31-1 fails the writer */
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    const uint32_t big[4] = {1, 0x80000000u, 0, 0};
    llmd_pack_window wb = {big, 4, 1, cu2, doc2, off2};
    ck_fails(llmd_parquet_shard_writer_add(w, &wb), LLMD_ERR_RANGE, "token 1: id 2147483648");
    ck_fails(llmd_parquet_shard_writer_add(w, &w2), LLMD_ERR_STATE, "finished or failed");
    llmd_parquet_shard_writer_free(w);
    ck_fails(llmd_parquet_shard_writer_finish(NULL, NULL), LLMD_ERR_INVALID_ARG, "writer is NULL");
    ck_assert_uint_eq(llmd_parquet_shard_writer_windows(NULL), 0);
    ck_assert_ptr_null(llmd_parquet_shard_writer_run_id(NULL));
    ck_assert_uint_eq(llmd_parquet_shard_writer_file_count(NULL), 0);
    llmd_parquet_shard_writer_free(NULL);
}
END_TEST

/* ---- nested schemas: LogicalTypes.md's list/map forms, old and new --------------------------- */

typedef struct sel {
    const char *name;
    int phys;          /* -1: group */
    int rep, nchildren, converted, logical;
} sel;

/* A file with only a schema (no row group). */
static void schema_file(llmd_buf *f, const sel *els, size_t n, int root_children) {
    llmd_buf_reset(f);
    llmd_buf_append(f, "PAR1", 4);
    llmd_buf h = LLMD_BUF_INIT;
    tout t;
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, 1);
    tout_field_list(&t, 2, TT_STRUCT, n + 1);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 4, "schema", 6);
    tout_field_i32(&t, 5, root_children);
    tout_struct_end(&t);
    for (size_t i = 0; i < n; i++) {
        tout_list_struct_begin(&t);
        if (els[i].phys >= 0) tout_field_i32(&t, 1, els[i].phys);
        if (els[i].rep >= 0) tout_field_i32(&t, 3, els[i].rep);
        tout_field_binary(&t, 4, els[i].name, strlen(els[i].name));
        if (els[i].phys < 0) tout_field_i32(&t, 5, els[i].nchildren);
        if (els[i].converted >= 0) tout_field_i32(&t, 6, els[i].converted);
        if (els[i].logical != LT_NONE) {
            tout_struct_begin(&t, 10);
            tout_struct_begin(&t, els[i].logical);
            tout_struct_end(&t);
            tout_struct_end(&t);
        }
        tout_struct_end(&t);
    }
    tout_field_i64(&t, 3, 0);
    tout_field_list(&t, 4, TT_STRUCT, 0);
    tout_end(&t);
    ck_ok(t.st);
    uint8_t tail[8];
    llmd_store_le32(tail, (uint32_t)h.len);
    memcpy(tail + 4, "PAR1", 4);
    llmd_buf_append(f, h.data, h.len);
    llmd_buf_append(f, tail, 8);
    llmd_buf_free(&h);
}

#define G(name, rep, nch, ct, lt) {name, -1, rep, nch, ct, lt}
#define P(name, phys, rep) {name, phys, rep, 0, -1, LT_NONE}

START_TEST(test_nested_schemas) {
    llmd_buf f = LLMD_BUF_INIT;
    llmd_parquet_reader *r;
    const sel els[] = {
        /* 3-level list (LogicalTypes.md) */
        G("l3", PQ_OPTIONAL, 1, CT_LIST, LT_NONE), G("list", PQ_REPEATED, 1, -1, LT_NONE), P("element", PQ_INT32, PQ_OPTIONAL),
        /* 2-level: the repeated group named "array" is the element (a struct) */
        G("arr", PQ_OPTIONAL, 1, -1, LT_LIST), G("array", PQ_REPEATED, 1, -1, LT_NONE), P("x", PQ_INT32, PQ_REQUIRED),
        /* 2-level: "<name>_tuple" */
        G("tl", PQ_REQUIRED, 1, CT_LIST, LT_NONE), G("tl_tuple", PQ_REPEATED, 1, -1, LT_NONE), P("y", PQ_INT64, PQ_REQUIRED),
        /* 2-level: a repeated group of two fields is the element */
        G("two", PQ_OPTIONAL, 1, CT_LIST, LT_NONE), G("bag", PQ_REPEATED, 2, -1, LT_NONE), P("p", PQ_INT32, PQ_OPTIONAL),
        P("q", PQ_INT32, PQ_OPTIONAL),
        /* 2-level: a repeated primitive */
        G("prim", PQ_OPTIONAL, 1, CT_LIST, LT_NONE), P("item", PQ_INT32, PQ_REPEATED),
        /* old MAP_KEY_VALUE map, key optional in the file */
        G("m", PQ_OPTIONAL, 1, CT_MAP_KEY_VALUE, LT_NONE), G("map", PQ_REPEATED, 2, -1, LT_NONE), P("key", PQ_BYTE_ARRAY, PQ_OPTIONAL),
        P("value", PQ_INT32, PQ_OPTIONAL),
        /* a key-only map: a set (a list of keys) */
        G("set", PQ_OPTIONAL, 1, -1, LT_MAP), G("key_value", PQ_REPEATED, 1, -1, LT_NONE), P("key", PQ_INT32, PQ_REQUIRED),
        /* a LIST annotation on a group whose child is not repeated: a plain struct */
        G("notlist", PQ_OPTIONAL, 1, CT_LIST, LT_NONE), P("z", PQ_INT32, PQ_OPTIONAL),
        /* a bare repeated group outside any annotation: a required list of required structs */
        G("rg", PQ_REPEATED, 1, -1, LT_NONE), P("w", PQ_DOUBLE, PQ_OPTIONAL),
        /* repetition absent: optional */
        P("norep", PQ_INT32, -1),
    };
    schema_file(&f, els, sizeof els / sizeof *els, 10);
    ck_ok(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL));
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    static const struct { const char *name; int type, nullable, child_type, nchild; } want[] = {
        {"l3", LLMD_TYPE_LIST, 1, LLMD_TYPE_INT32, 1}, {"arr", LLMD_TYPE_LIST, 1, LLMD_TYPE_STRUCT, 1},
        {"tl", LLMD_TYPE_LIST, 0, LLMD_TYPE_STRUCT, 1}, {"two", LLMD_TYPE_LIST, 1, LLMD_TYPE_STRUCT, 1},
        {"prim", LLMD_TYPE_LIST, 1, LLMD_TYPE_INT32, 1}, {"m", LLMD_TYPE_MAP, 1, LLMD_TYPE_BINARY, 2},
        {"set", LLMD_TYPE_LIST, 1, LLMD_TYPE_INT32, 1}, {"notlist", LLMD_TYPE_STRUCT, 1, LLMD_TYPE_INT32, 1},
        {"rg", LLMD_TYPE_LIST, 0, LLMD_TYPE_STRUCT, 1}, {"norep", LLMD_TYPE_INT32, 1, 0, 0},
    };
    for (int i = 0; i < 10; i++) {
        int id = llmd_schema_find(s, 0, want[i].name);
        ck_assert_msg(id > 0, "%s missing", want[i].name);
        ck_assert_msg((int)llmd_schema_type(s, id).id == want[i].type, "%s: %s", want[i].name, llmd_type_name(llmd_schema_type(s, id).id));
        ck_assert_int_eq(llmd_schema_nullable(s, id), want[i].nullable);
        ck_assert_int_eq(llmd_schema_child_count(s, id), want[i].nchild);
        if (want[i].nchild) {
            int c0 = llmd_schema_child(s, id, 0);
            ck_assert_msg((int)llmd_schema_type(s, c0).id == want[i].child_type, "%s child: %s", want[i].name,
                          llmd_type_name(llmd_schema_type(s, c0).id));
        }
    }
    /* the map key is never null, whatever the file says */
    int m = llmd_schema_find(s, 0, "m");
    ck_assert_int_eq(llmd_schema_nullable(s, llmd_schema_child(s, m, 0)), 0);
    ck_assert_int_eq(llmd_parquet_reader_num_leaves(r), 12);
    ck_assert_str_eq(llmd_parquet_reader_leaf_path(r, 0), "l3.list.element");
    ck_assert_str_eq(llmd_parquet_reader_leaf_path(r, 1), "arr.array.x");
    ck_assert_str_eq(llmd_parquet_reader_leaf_path(r, 6), "m.map.key");
    ck_assert_str_eq(llmd_parquet_reader_leaf_physical(r, 6), "BYTE_ARRAY");
    ck_assert_int_eq(llmd_parquet_reader_num_row_groups(r), 0);
    llmd_parquet_reader_free(r);

    /* malformed trees */
    const sel no_kv[] = {G("m", PQ_OPTIONAL, 1, CT_MAP, LT_NONE), P("kv", PQ_INT32, PQ_REPEATED)};
    schema_file(&f, no_kv, 2, 1);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_UNSUPPORTED, "map 'm' without a key/value group");
    const sel three[] = {G("m", PQ_OPTIONAL, 1, -1, LT_MAP), G("kv", PQ_REPEATED, 3, -1, LT_NONE), P("a", PQ_INT32, PQ_REQUIRED),
                         P("b", PQ_INT32, PQ_REQUIRED), P("c", PQ_INT32, PQ_REQUIRED)};
    schema_file(&f, three, 5, 1);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_UNSUPPORTED, "without a key/value group");
    const sel short_group[] = {G("g", PQ_OPTIONAL, 3, -1, LT_NONE), P("a", PQ_INT32, PQ_REQUIRED)};
    schema_file(&f, short_group, 2, 1);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "group 'g' claims 3 children");
    const sel empty_group[] = {G("g", PQ_OPTIONAL, 0, -1, LT_NONE)};
    schema_file(&f, empty_group, 1, 1);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "group 'g' has no children");
    const sel short_list[] = {G("l", PQ_OPTIONAL, 1, CT_LIST, LT_NONE), G("list", PQ_REPEATED, 1, -1, LT_NONE)};
    schema_file(&f, short_list, 2, 1);
    ck_assert_int_eq(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE);
    const sel empty_mid[] = {G("l", PQ_OPTIONAL, 1, CT_LIST, LT_NONE), G("list", PQ_REPEATED, 0, -1, LT_NONE),
                             P("x", PQ_INT32, PQ_REQUIRED)};
    schema_file(&f, empty_mid, 3, 1);
    ck_assert_int_eq(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE);
    const sel one[] = {P("a", PQ_INT32, PQ_REQUIRED)};
    schema_file(&f, one, 1, 5);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "schema root claims 5 children");
    schema_file(&f, one, 1, -1);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "schema root claims -1 children");
    const sel extra[] = {P("a", PQ_INT32, PQ_REQUIRED), P("b", PQ_INT32, PQ_REQUIRED)};
    schema_file(&f, extra, 2, 1);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE, "schema has 3 elements, its tree uses 2");
    schema_file(&f, extra, 2, 3);   /* root claims more than there are: runs out */
    ck_assert_int_eq(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_PARSE);
    /* 70 nested groups: over the nesting limit */
    sel deep[71];
    for (int i = 0; i < 70; i++) deep[i] = (sel)G("g", PQ_OPTIONAL, 1, -1, LT_NONE);
    deep[70] = (sel)P("leaf", PQ_INT32, PQ_OPTIONAL);
    schema_file(&f, deep, 71, 1);
    ck_fails(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL), LLMD_ERR_UNSUPPORTED, "nested deeper than 64");
    llmd_buf_free(&f);
}
END_TEST

/* A bare repeated INT32 column (a list of required ints): rows [1 2] [] [3]. */
START_TEST(test_repetition_levels) {
    const uint32_t rep[] = {0, 1, 0, 0}, def[] = {1, 1, 0, 1};
    uint8_t vals[12];
    for (int i = 0; i < 3; i++) llmd_store_le32(vals + 4 * i, (uint32_t)(i + 1));
    llmd_buf lv1 = LLMD_BUF_INIT, lv2 = LLMD_BUF_INIT, rl = LLMD_BUF_INIT;
    def_levels(&lv1, rep, 4, 1);
    def_levels(&lv1, def, 4, 1);
    def_levels(&rl, rep, 4, 0);
    llmd_buf_append(&lv2, rl.data, rl.len);
    def_levels(&lv2, def, 4, 0);
    llmd_parquet_reader *r;
    llmd_parquet_batch *b;
    llmd_buf f = LLMD_BUF_INIT;
    for (int v2 = 0; v2 <= 1; v2++) {
        pcol c = col("r", PQ_INT32, PQ_REPEATED);
        c.codec = v2 ? LLMD_PARQUET_ZSTD : LLMD_PARQUET_UNCOMPRESSED;
        g_rep_bytes = v2 ? (int32_t)rl.len : 0;
        add_page_ex(&c, v2, PQ_ENC_PLAIN, 4, 1, v2 ? &lv2 : &lv1, vals, 12, -1, 1);
        g_rep_bytes = 0;
        ck_ok(read_col(&c, 3, &r, &b, &f));
        const llmd_column *lc = col0(b);
        ck_assert_int_eq(lc->length, 3);
        ck_assert_mem_eq(lc->offsets, ((const int32_t[]){0, 2, 2, 3}), 16);
        ck_assert_mem_eq(lc->children[0].values, ((const int32_t[]){1, 2, 3}), 12);
        done(r, b, &f);
    }
    /* v1: repetition levels in another encoding, or their length missing / past the page */
    pcol c = col("r", PQ_INT32, PQ_REPEATED);
    g_rep_enc = PQ_ENC_BIT_PACKED;
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 4, 0, &lv1, vals, 12, -1, 1);
    g_rep_enc = PQ_ENC_RLE;
    ck_fails(read_one(&c, 3), LLMD_ERR_UNSUPPORTED, "repetition level encoding 4");
    c = col("r", PQ_INT32, PQ_REPEATED);
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 4, 0, NULL, "\x01\x00", 2, -1, 1);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "repetition level length missing");
    c = col("r", PQ_INT32, PQ_REPEATED);
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 4, 0, NULL, "\x40\x00\x00\x00\x06\x01", 6, -1, 1);
    ck_fails(read_one(&c, 3), LLMD_ERR_CORRUPT, "repetition levels past the page");
    c = col("o", PQ_INT32, PQ_OPTIONAL);
    g_def_enc = PQ_ENC_BIT_PACKED;
    add_page_ex(&c, 0, PQ_ENC_PLAIN, 4, 0, &lv1, vals, 12, -1, 1);
    g_def_enc = PQ_ENC_RLE;
    ck_fails(read_one(&c, 4), LLMD_ERR_UNSUPPORTED, "definition level encoding 4");
    /* v2: repetition bytes larger than the levels given (the definition bytes come out negative) */
    c = col("r", PQ_INT32, PQ_REPEATED);
    g_rep_bytes = 200;
    add_page_ex(&c, 1, PQ_ENC_PLAIN, 4, 1, &lv2, vals, 12, 400, 1);
    g_rep_bytes = 0;
    ck_fails(read_one(&c, 3), LLMD_ERR_PARSE, "negative count in a page header");
    llmd_buf_free(&lv1);
    llmd_buf_free(&lv2);
    llmd_buf_free(&rl);
}
END_TEST

/* ---- footers: duplicated and malformed fields, Thrift limits ---------------------------------- */

/* version, schema (root + required int32 "a"), num_rows 0; the caller appends more fields. */
static void footer_begin(tout *t, llmd_buf *h) {
    tout_begin(t, h);
    tout_field_i32(t, 1, 1);
    tout_field_list(t, 2, TT_STRUCT, 2);
    tout_list_struct_begin(t);
    tout_field_binary(t, 4, "schema", 6);
    tout_field_i32(t, 5, 1);
    tout_struct_end(t);
    tout_list_struct_begin(t);
    tout_field_i32(t, 1, PQ_INT32);
    tout_field_i32(t, 3, PQ_REQUIRED);
    tout_field_binary(t, 4, "a", 1);
    tout_struct_end(t);
    tout_field_i64(t, 3, 0);
}

/* PAR1 + footer + length + PAR1, opened from memory. */
static llmd_status open_footer(const llmd_buf *h, llmd_parquet_reader **r) {
    llmd_buf f = LLMD_BUF_INIT;
    llmd_buf_append(&f, "PAR1", 4);
    llmd_buf_append(&f, h->data, h->len);
    uint8_t tail[8];
    llmd_store_le32(tail, (uint32_t)h->len);
    memcpy(tail + 4, "PAR1", 4);
    llmd_buf_append(&f, tail, 8);
    static llmd_buf keep[16];
    static int nkeep;
    /* the reader keeps pointers into its image: hold it until the next round */
    llmd_buf_free(&keep[nkeep % 16]);
    keep[nkeep++ % 16] = f;
    return llmd_parquet_reader_open_memory(r, f.data, f.len, NULL);
}

START_TEST(test_footer_fields) {
    llmd_buf h = LLMD_BUF_INIT;
    tout t;
    llmd_parquet_reader *r;
    /* key/value metadata (one without a value) and created_by */
    footer_begin(&t, &h);
    tout_field_list(&t, 4, TT_STRUCT, 0);
    tout_field_list(&t, 5, TT_STRUCT, 2);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 1, "k1", 2);
    tout_field_binary(&t, 2, "v1", 2);
    tout_struct_end(&t);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 1, "k2", 2);
    tout_struct_end(&t);
    tout_field_binary(&t, 6, "writer x", 8);
    tout_end(&t);
    ck_ok(open_footer(&h, &r));
    ck_assert_str_eq(llmd_parquet_reader_created_by(r), "writer x");
    ck_assert_uint_eq(llmd_parquet_reader_metadata_count(r), 2);
    const char *k, *v;
    ck_ok(llmd_parquet_reader_metadata_at(r, 1, &k, &v));
    ck_assert_str_eq(k, "k2");
    ck_assert_ptr_null(v);
    ck_assert_ptr_null(llmd_parquet_reader_metadata(r, "k2"));
    ck_assert_str_eq(llmd_parquet_reader_metadata(r, "k1"), "v1");
    ck_assert_int_ne(llmd_parquet_reader_metadata_at(r, 0, NULL, &v), LLMD_OK);
    ck_assert_int_ne(llmd_parquet_reader_metadata_at(r, 0, &k, NULL), LLMD_OK);
    ck_assert_int_ne(llmd_parquet_reader_metadata_at(r, 2, &k, &v), LLMD_OK);
    llmd_parquet_reader_free(r);
    /* each list given twice; a key/value without its key */
    for (int fid = 2; fid <= 5; fid++) {
        if (fid == 3) continue;
        llmd_buf_reset(&h);
        footer_begin(&t, &h);
        tout_field_list(&t, 4, TT_STRUCT, 0);
        tout_field_list(&t, 5, TT_STRUCT, 0);
        tout_field_list(&t, fid, TT_STRUCT, 0);
        tout_end(&t);
        ck_assert_int_eq(open_footer(&h, &r), LLMD_ERR_PARSE);
        ck_assert_ptr_nonnull(strstr(llmd_last_error(), "given twice"));
    }
    llmd_buf_reset(&h);
    footer_begin(&t, &h);
    tout_field_list(&t, 5, TT_STRUCT, 1);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 2, "v", 1);
    tout_struct_end(&t);
    tout_end(&t);
    ck_fails(open_footer(&h, &r), LLMD_ERR_PARSE, "key/value without a key");
    /* lists of the wrong element type */
    for (int fid = 2; fid <= 5; fid++) {
        if (fid == 3) continue;
        llmd_buf_reset(&h);
        tout_begin(&t, &h);
        tout_field_list(&t, fid, TT_I32, 1);
        tout_i32(&t, 1);
        tout_end(&t);
        ck_fails(open_footer(&h, &r), LLMD_ERR_PARSE, "are not structs");
    }
    /* no schema at all */
    llmd_buf_reset(&h);
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, 1);
    tout_end(&t);
    ck_fails(open_footer(&h, &r), LLMD_ERR_PARSE, "footer has no schema");
    /* encryption metadata (field 8) */
    llmd_buf_reset(&h);
    footer_begin(&t, &h);
    tout_struct_begin(&t, 8);
    tout_struct_end(&t);
    tout_end(&t);
    ck_fails(open_footer(&h, &r), LLMD_ERR_UNSUPPORTED, "encrypted");
    /* unknown fields of every Thrift type are skipped: bool, byte, i16, double, set, map, struct */
    llmd_buf_reset(&h);
    footer_begin(&t, &h);
    tout_field_list(&t, 4, TT_STRUCT, 0);
    tout_field_bool(&t, 20, 1);
    tout_field_bool(&t, 21, 0);
    static const uint8_t extras[] = {
        0x13, 0x7f,                               /* 22: byte */
        0x14, 0x04,                               /* 23: i16 2 */
        0x17, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f,       /* 24: double 1.0 */
        0x1A, 0x25, 0x02, 0x04,                   /* 25: set<i32> {1, 2} */
        0x1B, 0x02, 0x58, 0x02, 0x01, 'a', 0x04, 0x01, 'b',   /* 26: map<i32,binary> {1:"a", 2:"b"} */
        0x1B, 0x00,                               /* 27: empty map */
        0x1C, 0x15, 0x02, 0x11, 0x00,             /* 28: struct {1: i32 1, 2: true} */
    };
    llmd_buf_append(&h, extras, sizeof extras);
    t.last_id[0] = 28;
    tout_end(&t);
    ck_ok(open_footer(&h, &r));
    ck_assert_int_eq(llmd_parquet_reader_num_leaves(r), 1);
    llmd_parquet_reader_free(r);
    /* malformed Thrift: each an error naming the footer offset */
    static const struct { uint8_t b[16]; size_t n; const char *needle; } bad[] = {
        {{0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00}, 12, "varint overflows 64 bits"},
        {{0x15, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, 12, "varint"},
        {{0x15, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 0x00}, 8, "i32 out of range"},
        {{0x1D, 0x00}, 2, "unknown field type"},
        {{0x0B, 0x28, 0x01}, 3, "truncated map"},                       /* field 20: map */
        {{0x0B, 0x28, 0x05, 0x55, 0x02}, 5, "map longer than the bytes left"},
        {{0x1B, 0x01, 0x55}, 3, "unexpected Thrift type"},                /* version as a map */
        {{0x15}, 1, "truncated"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        llmd_buf_reset(&h);
        llmd_buf_append(&h, bad[i].b, bad[i].n);
        llmd_status st = open_footer(&h, &r);
        ck_assert_msg(st == LLMD_ERR_PARSE && strstr(llmd_last_error(), bad[i].needle), "case %zu: %s", i, llmd_last_error());
    }
    /* nesting: 100 structs deep inside an unknown field */
    llmd_buf_reset(&h);
    footer_begin(&t, &h);
    for (int i = 0; i < 100; i++) llmd_buf_putc(&h, (char)(i == 0 ? 0x0C : 0x1C));
    llmd_buf_append(&h, "\x0C\x00", 1);
    ck_fails(open_footer(&h, &r), LLMD_ERR_PARSE, "footer");
    llmd_buf_free(&h);
}
END_TEST

int main(void) {
    Suite *s = suite_create("parquet_cov");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_annotations);
    tcase_add_test(tc, test_bad_schema_elements);
    tcase_add_test(tc, test_rle_booleans_and_dictionaries);
    tcase_add_test(tc, test_delta_and_split_encodings);
    tcase_add_test(tc, test_levels_pages_codecs);
    tcase_add_test(tc, test_codec_internals);
    tcase_add_test(tc, test_writer_every_type);
    tcase_add_test(tc, test_schema_api);
    tcase_add_test(tc, test_writer_options_and_errors);
    tcase_add_test(tc, test_reader_api);
    tcase_add_test(tc, test_shard_writer_paths);
    tcase_add_test(tc, test_nested_schemas);
    tcase_add_test(tc, test_repetition_levels);
    tcase_add_test(tc, test_footer_fields);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
