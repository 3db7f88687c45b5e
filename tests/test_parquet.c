/* Check suite for the Parquet module: spec examples for the encodings, hand-built files, round
 * trips, statistics and row-group skipping, atomic publishing, and hostile files (truncated, wrong
 * magic, footer length past EOF, a page claiming gigabytes, a bad dictionary index, level overflow).
 * The comparisons against DuckDB / parquet-wasm / hyparquet are in tests/parquet/run_peers.sh. */
#include <sys/stat.h>
#include <unistd.h>

#include "parquet/pq_internal.h"
#include "testutil.h"

static char tmpdir[256];

static const char *tmp_path(const char *name) {
    static char p[512];
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/llmd_pq_XXXXXX");
        ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    }
    snprintf(p, sizeof p, "%s/%s", tmpdir, name);
    return p;
}

/* ---- encodings: examples from parquet-format Encodings.md ------------------------------ */

START_TEST(test_bitpacked_spec_example) {
    /* "values 0..7 with bit width 3" bit-pack to 10001000 11000110 11111010 */
    uint32_t v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(rle_encode(v, 8, 3, &b));
    ck_assert_uint_eq(b.len, 4);
    ck_assert_uint_eq((uint8_t)b.data[0], 0x03);   /* header: 1 group << 1 | 1 */
    ck_assert_uint_eq((uint8_t)b.data[1], 0x88);
    ck_assert_uint_eq((uint8_t)b.data[2], 0xC6);
    ck_assert_uint_eq((uint8_t)b.data[3], 0xFA);
    rle_dec d;
    uint32_t out[8];
    rle_dec_init(&d, (const uint8_t *)b.data, (const uint8_t *)b.data + b.len, 3);
    ck_ok(rle_dec_get(&d, out, 8));
    for (int i = 0; i < 8; i++) ck_assert_uint_eq(out[i], v[i]);
    llmd_buf_free(&b);
}
END_TEST

START_TEST(test_rle_runs_roundtrip) {
    /* a run of 100 fives (RLE: header 200, value byte 5), then mixed values, then a long run */
    uint32_t v[300];
    for (int i = 0; i < 100; i++) v[i] = 5;
    for (int i = 100; i < 150; i++) v[i] = (uint32_t)(i * 7 % 13);
    for (int i = 150; i < 300; i++) v[i] = 12;
    llmd_buf b = LLMD_BUF_INIT;
    ck_ok(rle_encode(v, 300, 4, &b));
    ck_assert_uint_eq((uint8_t)b.data[0], 0xC8);   /* varint(100 << 1) = 0xC8 0x01 */
    ck_assert_uint_eq((uint8_t)b.data[1], 0x01);
    ck_assert_uint_eq((uint8_t)b.data[2], 5);
    uint32_t out[300];
    rle_dec d;
    rle_dec_init(&d, (const uint8_t *)b.data, (const uint8_t *)b.data + b.len, 4);
    ck_ok(rle_dec_get(&d, out, 300));
    for (int i = 0; i < 300; i++) ck_assert_uint_eq(out[i], v[i]);
    /* reading past the end is an error, not a crash */
    ck_assert_int_eq(rle_dec_get(&d, out, 1), LLMD_ERR_CORRUPT);
    /* a short bit-packed run at the very end of its buffer (exact-size heap copy, so ASan sees any
     * read past it): the fast 64-bit path must not run past the run's bytes */
    for (int bw = 1; bw <= 20; bw++) {
        uint32_t vals[24];
        for (int i = 0; i < 24; i++) vals[i] = (uint32_t)(i * 2654435761u) & ((1u << bw) - 1);
        llmd_buf_reset(&b);
        ck_ok(rle_encode(vals, 24, bw, &b));
        uint8_t *exact = malloc(b.len);
        memcpy(exact, b.data, b.len);
        rle_dec_init(&d, exact, exact + b.len, bw);
        ck_ok(rle_dec_get(&d, out, 24));
        for (int i = 0; i < 24; i++) ck_assert_uint_eq(out[i], vals[i]);
        free(exact);
    }
    llmd_buf_free(&b);
}
END_TEST

START_TEST(test_delta_spec_examples) {
    /* Encodings.md example 1: 1 2 3 4 5 -> block size 128, 4 miniblocks, 5 values, first 1,
     * min delta 1, bit widths 0 0 0 0 */
    const uint8_t ex1[] = {0x80, 0x01, 0x04, 0x05, 0x02, 0x02, 0x00, 0x00, 0x00, 0x00};
    int64_t out[16];
    size_t n;
    const uint8_t *p = ex1;
    ck_ok(pq_delta_decode(&p, ex1 + sizeof ex1, out, 16, &n, 0));
    ck_assert_uint_eq(n, 5);
    for (int i = 0; i < 5; i++) ck_assert_int_eq(out[i], i + 1);
    ck_assert_ptr_eq(p, ex1 + sizeof ex1);
    /* example 2: 7 5 3 1 2 3 4 5 -> deltas -2 -2 -2 1 1 1 1, min delta -2, relative 0 0 0 3 3 3 3
     * at bit width 2 in the first miniblock (32 values * 2 bits = 8 bytes) */
    const uint8_t ex2[] = {0x80, 0x01, 0x04, 0x08, 0x0E, 0x03, 0x02, 0x00, 0x00, 0x00,
                           0xC0, 0x3F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    p = ex2;
    ck_ok(pq_delta_decode(&p, ex2 + sizeof ex2, out, 16, &n, 1));
    const int64_t want[] = {7, 5, 3, 1, 2, 3, 4, 5};
    ck_assert_uint_eq(n, 8);
    for (int i = 0; i < 8; i++) ck_assert_int_eq(out[i], want[i]);
    /* more values than the caller has room for: refused */
    p = ex2;
    ck_assert_int_eq(pq_delta_decode(&p, ex2 + sizeof ex2, out, 4, &n, 1), LLMD_ERR_CORRUPT);
    /* truncated miniblock */
    p = ex2;
    ck_assert_int_eq(pq_delta_decode(&p, ex2 + 12, out, 16, &n, 1), LLMD_ERR_CORRUPT);
}
END_TEST

START_TEST(test_thrift_skip_unknown) {
    /* struct { 1: i32 7, 9: list<binary>["ab"], 10: struct{1: double}, 20: map<i32,bool>{...},
     * 2: i64 -3 } — parsing field 1 and 2 must skip the others (compact protocol by hand) */
    const uint8_t b[] = {
        0x15, 0x0E,                         /* field 1 (delta 1) i32: zigzag(7)=14 */
        0x89, 0x18, 0x02, 'a', 'b',         /* field 9 (delta 8) list, 1 binary, "ab" */
        0x1C, 0x17, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 0x00, /* field 10 struct { 1: double 1.0 } */
        0x0B, 0x28, 0x01, 0x51, 0x04, 0x01, /* field 20 (long form: type 11, zigzag 20=40) map 1 entry i32->bool */
        0x06, 0x04, 0x05,                   /* field 2 (long form) i64 zigzag(-3)=5 */
        0x00};
    tin t = {b, b + sizeof b, b, 0, "test", 0};
    int last = 0, id, type;
    int32_t v32 = 0;
    int64_t v64 = 0;
    for (;;) {
        ck_ok(tin_field(&t, &last, &id, &type));
        if (type == TT_STOP) break;
        if (id == 1) ck_ok(tin_i32(&t, &v32));
        else if (id == 2) ck_ok(tin_i64(&t, &v64));
        else ck_ok(tin_skip(&t, type));
    }
    ck_assert_int_eq(v32, 7);
    ck_assert_int_eq(v64, -3);
    ck_assert_ptr_eq(t.p, b + sizeof b);
    /* a list claiming more elements than bytes: refused before anything is allocated */
    const uint8_t bad[] = {0x19, 0xF5, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    tin t2 = {bad, bad + sizeof bad, bad, 0, "test", 0};
    last = 0;
    ck_ok(tin_field(&t2, &last, &id, &type));
    ck_assert_int_eq(tin_skip(&t2, type), LLMD_ERR_PARSE);
    /* nesting bomb: 200 nested structs */
    uint8_t deep[401];
    for (int i = 0; i < 200; i++) deep[i] = 0x1C;
    for (int i = 200; i < 401; i++) deep[i] = 0;
    tin t3 = {deep, deep + sizeof deep, deep, 0, "test", 0};
    ck_assert_int_eq(tin_skip(&t3, TT_STRUCT), LLMD_ERR_PARSE);
}
END_TEST

/* ---- round trips ------------------------------------------------------------------------- */

static int bit(const uint8_t *bm, int64_t i) {
    return !bm || (bm[i >> 3] >> (i & 7) & 1);
}

START_TEST(test_roundtrip_flat_and_stats) {
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    int f_id, f_txt, f_score, f_flag, f_dec;
    ck_ok(llmd_schema_add(s, 0, "id", &(llmd_type){.id = LLMD_TYPE_INT64}, 0, &f_id));
    ck_ok(llmd_schema_add(s, 0, "text", &(llmd_type){.id = LLMD_TYPE_STRING}, 1, &f_txt));
    ck_ok(llmd_schema_add(s, 0, "score", &(llmd_type){.id = LLMD_TYPE_DOUBLE}, 1, &f_score));
    ck_ok(llmd_schema_add(s, 0, "flag", &(llmd_type){.id = LLMD_TYPE_BOOL}, 0, &f_flag));
    ck_ok(llmd_schema_add(s, 0, "price", &(llmd_type){.id = LLMD_TYPE_DECIMAL, .precision = 20, .scale = 2}, 1, &f_dec));
    /* bad schema additions */
    ck_fails(llmd_schema_add(s, 0, "id", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL), LLMD_ERR_INVALID_ARG, "already has");
    ck_fails(llmd_schema_add(s, f_id, "x", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL), LLMD_ERR_INVALID_ARG, "holds no children");
    ck_fails(llmd_schema_add(s, 0, "d", &(llmd_type){.id = LLMD_TYPE_DECIMAL, .precision = 40}, 0, NULL), LLMD_ERR_INVALID_ARG, "decimal");

    const int64_t n = 1000;
    int64_t *ids = malloc(n * 8);
    int32_t *offs = malloc((n + 1) * 4);
    char *bytes = malloc(n * 16);
    double *scores = malloc(n * 8);
    uint8_t *tv = calloc(n / 8 + 1, 1), *sv = calloc(n / 8 + 1, 1), *flags = calloc(n / 8 + 1, 1), *dv = calloc(n / 8 + 1, 1);
    uint8_t *dec = calloc((size_t)n, 16);
    offs[0] = 0;
    for (int64_t i = 0; i < n; i++) {
        ids[i] = i * 3 - 100;
        /* "a" sorts before "z" which sorts before "é" (0xC3 0xA9) as unsigned bytes */
        const char *w = i == 500 ? "\xc3\xa9" : i == 7 ? "a" : (i % 3 == 0 ? "m" : "z");
        size_t l = strlen(w);
        memcpy(bytes + offs[i], w, l);
        offs[i + 1] = offs[i] + (int32_t)l;
        if (i % 10 != 0) tv[i >> 3] |= (uint8_t)(1 << (i & 7));
        if (i % 4 != 0) sv[i >> 3] |= (uint8_t)(1 << (i & 7));
        if (i % 2) flags[i >> 3] |= (uint8_t)(1 << (i & 7));
        if (i % 5 != 1) dv[i >> 3] |= (uint8_t)(1 << (i & 7));
        scores[i] = (double)i / 8.0 - 20.0;
        int64_t cents = i * 12345 - 600000;
        memcpy(dec + i * 16, &cents, 8);
        memset(dec + i * 16 + 8, cents < 0 ? 0xff : 0, 8);
    }
    /* i == 7 and i == 500 must be valid text */
    tv[7 >> 3] |= 1 << 7;
    tv[500 >> 3] |= 1 << (500 & 7);
    llmd_column cols[5] = {
        {.length = n, .values = ids},
        {.length = n, .validity = tv, .offsets = offs, .values = bytes},
        {.length = n, .validity = sv, .values = scores},
        {.length = n, .values = flags},
        {.length = n, .validity = dv, .values = dec},
    };
    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.row_group_bytes = 4096;   /* several row groups */
    o.page_bytes = 512;
    const char *path = tmp_path("flat.parquet");
    llmd_parquet_writer *w;
    ck_ok(llmd_parquet_writer_open(&w, path, s, &o));
    ck_ok(llmd_parquet_writer_set_metadata(w, "origin", "test_parquet"));
    ck_ok(llmd_parquet_writer_write(w, cols, 5));
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0);   /* nothing published before finish */
    ck_ok(llmd_parquet_writer_finish(w));
    ck_assert_int_eq(llmd_parquet_writer_rows(w), n);
    int groups_written = llmd_parquet_writer_row_groups(w);
    ck_assert_int_gt(groups_written, 2);
    ck_fails(llmd_parquet_writer_write(w, cols, 5), LLMD_ERR_STATE, "finished");
    llmd_parquet_writer_free(w);

    llmd_parquet_reader *r;
    ck_ok(llmd_parquet_reader_open(&r, path, NULL));
    ck_assert_int_eq(llmd_parquet_reader_num_rows(r), n);
    ck_assert_int_eq(llmd_parquet_reader_num_row_groups(r), groups_written);
    ck_assert_str_eq(llmd_parquet_reader_metadata(r, "origin"), "test_parquet");
    ck_assert_ptr_null(llmd_parquet_reader_metadata(r, "missing"));
    const llmd_schema *rs = llmd_parquet_reader_schema(r);
    ck_assert_int_eq(llmd_schema_child_count(rs, 0), 5);
    llmd_type dt = llmd_schema_type(rs, llmd_schema_find(rs, 0, "price"));
    ck_assert_int_eq(dt.id, LLMD_TYPE_DECIMAL);
    ck_assert_int_eq(dt.precision, 20);
    ck_assert_int_eq(dt.scale, 2);
    ck_assert_int_eq(llmd_schema_nullable(rs, llmd_schema_find(rs, 0, "id")), 0);
    int64_t row = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_batch *b;
        ck_ok(llmd_parquet_reader_read_row_group(r, g, &b));
        const llmd_column *ci = llmd_parquet_batch_column(b, 0), *ct = llmd_parquet_batch_column(b, 1),
                          *cs = llmd_parquet_batch_column(b, 2), *cf = llmd_parquet_batch_column(b, 3),
                          *cd = llmd_parquet_batch_column(b, 4);
        for (int64_t i = 0; i < llmd_parquet_batch_rows(b); i++, row++) {
            ck_assert_int_eq(((const int64_t *)ci->values)[i], ids[row]);
            ck_assert_int_eq(bit(ct->validity, i), bit(tv, row));
            if (bit(tv, row)) {
                const int32_t *o2 = ct->offsets;
                ck_assert_int_eq(o2[i + 1] - o2[i], offs[row + 1] - offs[row]);
                ck_assert(memcmp((const char *)ct->values + o2[i], bytes + offs[row], (size_t)(offs[row + 1] - offs[row])) == 0);
            }
            ck_assert_int_eq(bit(cs->validity, i), bit(sv, row));
            if (bit(sv, row)) ck_assert(((const double *)cs->values)[i] == scores[row]);
            ck_assert_int_eq(bit(cf->values, i), bit(flags, row));
            ck_assert_int_eq(bit(cd->validity, i), bit(dv, row));
            if (bit(dv, row)) ck_assert(memcmp((const uint8_t *)cd->values + i * 16, dec + row * 16, 16) == 0);
        }
        llmd_parquet_batch_free(b);
    }
    ck_assert_int_eq(row, n);

    /* statistics: text max is "é" (unsigned bytes), min "a"; id min/max are the first/last of the group */
    int leaf_text = 1;
    ck_assert_str_eq(llmd_parquet_reader_leaf_path(r, leaf_text), "text");
    ck_assert_str_eq(llmd_parquet_reader_leaf_physical(r, leaf_text), "BYTE_ARRAY");
    int found_e = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_chunk_info ci;
        ck_ok(llmd_parquet_reader_chunk_info(r, g, leaf_text, &ci));
        if (ci.max_len == 2 && memcmp(ci.max, "\xc3\xa9", 2) == 0) found_e = 1;
        ck_assert_int_ge(ci.null_count, 0);
    }
    ck_assert(found_e);
    llmd_parquet_chunk_info c0;
    ck_ok(llmd_parquet_reader_chunk_info(r, 0, 1, &c0));
    ck_assert_uint_eq(c0.min_len, 1);
    ck_assert_int_eq(c0.min[0], 'a');   /* row 7 is in group 0 */
    /* row-group skipping: id < -100 matches nothing; id == ids[999] only the last group */
    llmd_parquet_predicate p = {.column = "id", .op = LLMD_PARQUET_LT, .i = -100};
    for (int g = 0; g < groups_written; g++) ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &p, 1), 0);
    p = (llmd_parquet_predicate){.column = "id", .op = LLMD_PARQUET_EQ, .i = ids[n - 1]};
    for (int g = 0; g < groups_written; g++)
        ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, g, &p, 1), g == groups_written - 1);
    p = (llmd_parquet_predicate){.column = "text", .op = LLMD_PARQUET_GT, .bytes = "z", .bytes_len = 1};
    int any = 0;
    for (int g = 0; g < groups_written; g++) any += llmd_parquet_reader_row_group_may_match(r, g, &p, 1);
    ck_assert_int_eq(any, 1);   /* only the group holding "é" */
    p = (llmd_parquet_predicate){.column = "nope", .op = LLMD_PARQUET_EQ};
    ck_assert_int_eq(llmd_parquet_reader_row_group_may_match(r, 0, &p, 1), LLMD_ERR_NOT_FOUND);

    /* projection */
    const char *sel[] = {"flag", "id"};
    ck_ok(llmd_parquet_reader_select(r, sel, 2));
    llmd_parquet_batch *b;
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    ck_assert_uint_eq(llmd_parquet_batch_num_columns(b), 2);
    ck_assert_int_eq(llmd_parquet_batch_field(b, 1), llmd_schema_find(rs, 0, "id"));
    ck_assert_int_eq(((const int64_t *)llmd_parquet_batch_column(b, 1)->values)[1], ids[1]);
    llmd_parquet_batch_free(b);
    const char *bad[] = {"nope"};
    ck_fails(llmd_parquet_reader_select(r, bad, 1), LLMD_ERR_NOT_FOUND, "nope");
    ck_fails(llmd_parquet_reader_read_row_group(r, 99, &b), LLMD_ERR_RANGE, "row group 99");
    llmd_parquet_reader_free(r);
    llmd_schema_free(s);
    free(ids); free(offs); free(bytes); free(scores); free(tv); free(sv); free(flags); free(dv); free(dec);
}
END_TEST

START_TEST(test_nested_roundtrip_and_slices) {
    /* list<int32 nullable> with a slice offset, and a struct{a: int8, tags: list<string>} */
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    int l, st, tags;
    ck_ok(llmd_schema_add(s, 0, "ids", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &l));
    ck_ok(llmd_schema_add(s, l, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, NULL));
    ck_ok(llmd_schema_add(s, 0, "st", &(llmd_type){.id = LLMD_TYPE_STRUCT}, 1, &st));
    ck_ok(llmd_schema_add(s, st, "a", &(llmd_type){.id = LLMD_TYPE_INT8}, 0, NULL));
    ck_ok(llmd_schema_add(s, st, "tags", &(llmd_type){.id = LLMD_TYPE_LIST}, 0, &tags));
    ck_ok(llmd_schema_add(s, tags, "element", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, NULL));
    /* ids rows (after a slice offset of 1): [1, null], null, [], [3] */
    int32_t loff[6] = {0, 2, 4, 4, 4, 5};
    uint8_t lval = 0x1B;                 /* slots 0,1,3,4 valid; slot 2 null */
    int32_t ev[5] = {100, 200, 1, 0, 3};
    uint8_t evv = 0x17;                  /* element 3 null */
    llmd_column elems = {.length = 5, .values = ev, .validity = &evv};
    /* st rows: {a:5,tags:["x","yz"]}, null, {a:-1,tags:[]}, {a:7,tags:["w"]} */
    int8_t av[4] = {5, 0, -1, 7};
    int32_t toff[5] = {0, 2, 2, 2, 3};
    int32_t soff[4] = {0, 1, 3, 4};
    llmd_column tag_el = {.length = 3, .offsets = soff, .values = "xyzw"};
    llmd_column stch[2] = {{.length = 4, .values = av}, {.length = 4, .offsets = toff, .children = &tag_el, .n_children = 1}};
    uint8_t stv = 0x0D;
    llmd_column cols[2] = {
        {.length = 4, .offset = 1, .validity = &lval, .offsets = loff, .children = &elems, .n_children = 1},
        {.length = 4, .validity = &stv, .children = stch, .n_children = 2},
    };
    const char *path = tmp_path("nested.parquet");
    for (int v = 1; v <= 2; v++) {
        llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
        o.data_page_version = v;
        llmd_parquet_writer *w;
        ck_ok(llmd_parquet_writer_open(&w, path, s, &o));
        ck_ok(llmd_parquet_writer_write(w, cols, 2));
        ck_ok(llmd_parquet_writer_finish(w));
        llmd_parquet_writer_free(w);
        llmd_parquet_reader *r;
        ck_ok(llmd_parquet_reader_open(&r, path, NULL));
        ck_assert_int_eq(llmd_parquet_reader_num_leaves(r), 3);
        ck_assert_str_eq(llmd_parquet_reader_leaf_path(r, 0), "ids.list.element");
        ck_assert_str_eq(llmd_parquet_reader_leaf_path(r, 2), "st.tags.list.element");
        llmd_parquet_batch *b;
        ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
        const llmd_column *c = llmd_parquet_batch_column(b, 0);
        const int32_t *o2 = c->offsets;
        const llmd_column *e = &c->children[0];
        ck_assert_int_eq(c->length, 4);
        ck_assert(bit(c->validity, 0) && !bit(c->validity, 1) && bit(c->validity, 2) && bit(c->validity, 3));
        ck_assert_int_eq(o2[1] - o2[0], 2);
        ck_assert_int_eq(o2[2] - o2[1], 0);
        ck_assert_int_eq(o2[3] - o2[2], 0);
        ck_assert_int_eq(o2[4] - o2[3], 1);
        ck_assert_int_eq(((const int32_t *)e->values)[o2[0]], 1);
        ck_assert(!bit(e->validity, o2[0] + 1));
        ck_assert_int_eq(((const int32_t *)e->values)[o2[3]], 3);
        const llmd_column *sc = llmd_parquet_batch_column(b, 1);
        ck_assert(bit(sc->validity, 0) && !bit(sc->validity, 1) && bit(sc->validity, 2) && bit(sc->validity, 3));
        ck_assert_int_eq(((const int8_t *)sc->children[0].values)[2], -1);
        const llmd_column *tg = &sc->children[1];
        const int32_t *to = tg->offsets, *so = tg->children[0].offsets;
        ck_assert_int_eq(to[1] - to[0], 2);
        ck_assert_int_eq(to[3] - to[2], 0);
        ck_assert_int_eq(to[4] - to[3], 1);
        const char *sv = tg->children[0].values;
        ck_assert(memcmp(sv + so[to[0] + 1], "yz", 2) == 0);
        ck_assert(memcmp(sv + so[to[3]], "w", 1) == 0);
        llmd_parquet_batch_free(b);
        llmd_parquet_reader_free(r);
    }
    llmd_schema_free(s);
}
END_TEST

START_TEST(test_dictionary_fallback_and_codecs) {
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    ck_ok(llmd_schema_add(s, 0, "v", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL));
    enum { N = 20000 };
    int32_t *v = malloc(N * 4);
    for (int i = 0; i < N; i++) v[i] = i < 5000 ? i % 7 : i;   /* low cardinality, then all distinct */
    llmd_column c = {.length = N, .values = v};
    static const int codecs[] = {LLMD_PARQUET_UNCOMPRESSED, LLMD_PARQUET_SNAPPY, LLMD_PARQUET_GZIP,
                                 LLMD_PARQUET_ZSTD, LLMD_PARQUET_LZ4_RAW};
    for (size_t k = 0; k < 5; k++) {
        llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
        o.codec = codecs[k];
        o.dictionary_bytes = 4096;   /* 1024 int32 values */
        o.page_bytes = 4096;
        const char *path = tmp_path("dict.parquet");
        llmd_parquet_writer *w;
        ck_ok(llmd_parquet_writer_open(&w, path, s, &o));
        ck_ok(llmd_parquet_writer_write(w, &c, 1));
        ck_ok(llmd_parquet_writer_finish(w));
        llmd_parquet_writer_free(w);
        llmd_parquet_reader *r;
        ck_ok(llmd_parquet_reader_open(&r, path, NULL));
        llmd_parquet_chunk_info ci;
        ck_ok(llmd_parquet_reader_chunk_info(r, 0, 0, &ci));
        ck_assert_int_eq(ci.codec, codecs[k]);
        ck_assert_msg(ci.encodings & (1u << PQ_ENC_RLE_DICT), "dictionary pages expected");
        ck_assert_msg(ci.encodings & (1u << PQ_ENC_PLAIN), "PLAIN fallback expected");
        ck_assert_int_eq(ci.num_values, N);
        llmd_parquet_batch *b;
        ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
        ck_assert_int_eq(llmd_parquet_batch_rows(b), N);
        ck_assert(memcmp(llmd_parquet_batch_column(b, 0)->values, v, N * 4) == 0);
        llmd_parquet_batch_free(b);
        llmd_parquet_reader_free(r);
    }
    free(v);
    llmd_schema_free(s);
    int codec;
    ck_ok(llmd_parquet_codec_parse("ZSTD", &codec));
    ck_assert_int_eq(codec, LLMD_PARQUET_ZSTD);
    ck_fails(llmd_parquet_codec_parse("brotli9", &codec), LLMD_ERR_INVALID_ARG, "brotli9");
}
END_TEST

START_TEST(test_writer_errors_discard) {
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    ck_ok(llmd_schema_add(s, 0, "t", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, NULL));
    const char *path = tmp_path("bad.parquet");
    llmd_parquet_writer *w;
    ck_ok(llmd_parquet_writer_open(&w, path, s, NULL));
    int32_t offs[3] = {0, 2, 4};
    uint8_t valid = 0x1;
    llmd_column c = {.length = 2, .offsets = offs, .values = "ok\xff\xfe", .validity = &valid};
    ck_fails(llmd_parquet_writer_write(w, &c, 1), LLMD_ERR_SCHEMA, "null in required field 't'");
    ck_fails(llmd_parquet_writer_finish(w), LLMD_ERR_STATE, "earlier call failed");
    llmd_parquet_writer_free(w);
    ck_ok(llmd_parquet_writer_open(&w, path, s, NULL));
    c.validity = NULL;
    ck_fails(llmd_parquet_writer_write(w, &c, 1), LLMD_ERR_SCHEMA, "not valid UTF-8");
    llmd_parquet_writer_free(w);
    /* nothing published, no temporary file left behind */
    struct stat st;
    ck_assert_int_ne(stat(path, &st), 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c '\\.tmp' >/dev/null", tmpdir);
    ck_assert_int_ne(system(cmd), 0);
    ck_fails(llmd_parquet_writer_open(&w, "/nonexistent-dir/x.parquet", s, NULL), LLMD_ERR_IO, "nonexistent-dir");
    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.data_page_version = 3;
    ck_fails(llmd_parquet_writer_open(&w, path, s, &o), LLMD_ERR_INVALID_ARG, "data_page_version");
    llmd_schema_free(s);
}
END_TEST

/* ---- hostile files ------------------------------------------------------------------------ */

/* Builds a one-column file (optional INT32 "x", max def 1) from one raw page, optionally preceded
 * by a dictionary page.  page_body is the uncompressed page body. */
static size_t build_file(uint8_t *out, size_t cap, int32_t claimed_uncompressed, int dict_values,
                         const uint8_t *dict_body, size_t dict_len, int encoding, int32_t num_values,
                         const uint8_t *body, size_t body_len) {
    llmd_buf f = LLMD_BUF_INIT, h = LLMD_BUF_INIT;
    llmd_buf_append(&f, "PAR1", 4);
    tout t;
    int64_t dict_off = -1;
    if (dict_values) {
        dict_off = (int64_t)f.len;
        tout_begin(&t, &h);
        tout_field_i32(&t, 1, PQ_PAGE_DICT);
        tout_field_i32(&t, 2, (int32_t)dict_len);
        tout_field_i32(&t, 3, (int32_t)dict_len);
        tout_struct_begin(&t, 7);
        tout_field_i32(&t, 1, dict_values);
        tout_field_i32(&t, 2, PQ_ENC_PLAIN);
        tout_struct_end(&t);
        tout_end(&t);
        llmd_buf_append(&f, h.data, h.len);
        llmd_buf_append(&f, dict_body, dict_len);
        llmd_buf_reset(&h);
    }
    int64_t data_off = (int64_t)f.len;
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, PQ_PAGE_DATA);
    tout_field_i32(&t, 2, claimed_uncompressed);
    tout_field_i32(&t, 3, (int32_t)body_len);
    tout_struct_begin(&t, 5);
    tout_field_i32(&t, 1, num_values);
    tout_field_i32(&t, 2, encoding);
    tout_field_i32(&t, 3, PQ_ENC_RLE);
    tout_field_i32(&t, 4, PQ_ENC_RLE);
    tout_struct_end(&t);
    tout_end(&t);
    llmd_buf_append(&f, h.data, h.len);
    llmd_buf_append(&f, body, body_len);
    int64_t chunk_len = (int64_t)f.len - (dict_off >= 0 ? dict_off : data_off);
    /* footer */
    llmd_buf_reset(&h);
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, 1);
    tout_field_list(&t, 2, TT_STRUCT, 2);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 4, "schema", 6);
    tout_field_i32(&t, 5, 1);
    tout_struct_end(&t);
    tout_list_struct_begin(&t);
    tout_field_i32(&t, 1, PQ_INT32);
    tout_field_i32(&t, 3, PQ_OPTIONAL);
    tout_field_binary(&t, 4, "x", 1);
    tout_struct_end(&t);
    tout_field_i64(&t, 3, num_values);
    tout_field_list(&t, 4, TT_STRUCT, 1);
    tout_list_struct_begin(&t);
    tout_field_list(&t, 1, TT_STRUCT, 1);
    tout_list_struct_begin(&t);
    tout_field_i64(&t, 2, data_off);
    tout_struct_begin(&t, 3);
    tout_field_i32(&t, 1, PQ_INT32);
    tout_field_list(&t, 2, TT_I32, 1);
    tout_i32(&t, encoding);
    tout_field_list(&t, 3, TT_BINARY, 1);
    tout_binary(&t, "x", 1);
    tout_field_i32(&t, 4, 0);
    tout_field_i64(&t, 5, num_values);
    tout_field_i64(&t, 6, chunk_len);
    tout_field_i64(&t, 7, chunk_len);
    tout_field_i64(&t, 9, data_off);
    if (dict_off >= 0) tout_field_i64(&t, 11, dict_off);
    tout_struct_end(&t);
    tout_struct_end(&t);
    tout_field_i64(&t, 2, chunk_len);
    tout_field_i64(&t, 3, num_values);
    tout_struct_end(&t);
    tout_end(&t);
    ck_ok(t.st);
    uint8_t tail[8];
    llmd_store_le32(tail, (uint32_t)h.len);
    memcpy(tail + 4, "PAR1", 4);
    llmd_buf_append(&f, h.data, h.len);
    llmd_buf_append(&f, tail, 8);
    ck_assert_uint_le(f.len, cap);
    memcpy(out, f.data, f.len);
    size_t n = f.len;
    llmd_buf_free(&f);
    llmd_buf_free(&h);
    return n;
}

/* A v1 page body for 4 entries, all defined: def levels (RLE run of 4 ones), then values. */
static size_t page_body(uint8_t *b, uint8_t def_value, int dict, uint8_t index) {
    size_t n = 0;
    b[n++] = 2; b[n++] = 0; b[n++] = 0; b[n++] = 0;   /* def level length 2 */
    b[n++] = 4 << 1;                                  /* RLE run of 4 */
    b[n++] = def_value;
    if (dict) {
        b[n++] = 8;                                   /* bit width 8 */
        b[n++] = 4 << 1;                              /* RLE run of 4 */
        b[n++] = index;
    } else {
        for (int i = 0; i < 4; i++) {
            llmd_store_le32(b + n, (uint32_t)(i * 10));
            n += 4;
        }
    }
    return n;
}

static llmd_status read_all(const uint8_t *data, size_t n) {
    llmd_parquet_reader *r;
    llmd_status st = llmd_parquet_reader_open_memory(&r, data, n, NULL);
    if (st) return st;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r) && !st; g++) {
        llmd_parquet_batch *b;
        st = llmd_parquet_reader_read_row_group(r, g, &b);
        if (!st) llmd_parquet_batch_free(b);
    }
    llmd_parquet_reader_free(r);
    return st;
}

START_TEST(test_hostile_files) {
    uint8_t file[4096], body[64], dict[8];
    size_t bl = page_body(body, 1, 0, 0);
    size_t n = build_file(file, sizeof file, (int32_t)bl, 0, NULL, 0, PQ_ENC_PLAIN, 4, body, bl);
    /* the hand-built file itself is fine: values 0 10 20 30 */
    llmd_parquet_reader *r;
    ck_ok(llmd_parquet_reader_open_memory(&r, file, n, NULL));
    llmd_parquet_batch *b;
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    ck_assert_int_eq(((const int32_t *)llmd_parquet_batch_column(b, 0)->values)[3], 30);
    llmd_parquet_batch_free(b);
    llmd_parquet_reader_free(r);

    /* truncated at every length: an error, never a crash */
    for (size_t cut = 0; cut < n; cut++) ck_assert_int_ne(read_all(file, cut), LLMD_OK);
    ck_fails(read_all(file, 7), LLMD_ERR_PARSE, "too short");
    /* wrong magic */
    uint8_t bad[4096];
    memcpy(bad, file, n);
    memcpy(bad + n - 4, "PAR2", 4);
    ck_fails(read_all(bad, n), LLMD_ERR_PARSE, "no PAR1 magic");
    /* footer length past the start of the file */
    memcpy(bad, file, n);
    llmd_store_le32(bad + n - 8, 0xFFFFFFF0u);
    ck_fails(read_all(bad, n), LLMD_ERR_PARSE, "footer length 4294967280");
    /* a page header claiming 2 GiB uncompressed (over max_memory), and one whose claim the
     * codec could never reach */
    n = build_file(file, sizeof file, INT32_MAX, 0, NULL, 0, PQ_ENC_PLAIN, 4, body, bl);
    ck_fails(read_all(file, n), LLMD_ERR_RANGE, "over max_memory");
    n = build_file(file, sizeof file, 1 << 20, 0, NULL, 0, PQ_ENC_PLAIN, 4, body, bl);
    ck_fails(read_all(file, n), LLMD_ERR_CORRUPT, "more than uncompressed can expand to");
    /* bad dictionary index: dictionary of 2 values, index 5 */
    llmd_store_le32(dict, 111);
    llmd_store_le32(dict + 4, 222);
    bl = page_body(body, 1, 1, 1);
    n = build_file(file, sizeof file, (int32_t)bl, 2, dict, 8, PQ_ENC_RLE_DICT, 4, body, bl);
    ck_ok(llmd_parquet_reader_open_memory(&r, file, n, NULL));
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &b));
    ck_assert_int_eq(((const int32_t *)llmd_parquet_batch_column(b, 0)->values)[2], 222);
    llmd_parquet_batch_free(b);
    llmd_parquet_reader_free(r);
    bl = page_body(body, 1, 1, 5);
    n = build_file(file, sizeof file, (int32_t)bl, 2, dict, 8, PQ_ENC_RLE_DICT, 4, body, bl);
    ck_fails(read_all(file, n), LLMD_ERR_CORRUPT, "dictionary index 5 out of range");
    /* dictionary page claiming more values than its bytes hold */
    n = build_file(file, sizeof file, (int32_t)bl, 1000000, dict, 8, PQ_ENC_RLE_DICT, 4, body, bl);
    ck_fails(read_all(file, n), LLMD_ERR_CORRUPT, "dictionary page holds fewer bytes");
    /* level overflow: definition level 1 is the maximum; the page says 3 (bit width 1 holds
     * only 0/1, so the RLE value itself is out of range) */
    bl = page_body(body, 3, 0, 0);
    n = build_file(file, sizeof file, (int32_t)bl, 0, NULL, 0, PQ_ENC_PLAIN, 4, body, bl);
    ck_assert_int_eq(read_all(file, n), LLMD_ERR_CORRUPT);
    ck_assert_msg(strstr(llmd_last_error(), "wider than 1 bits") || strstr(llmd_last_error(), "level overflow"),
                  "%s", llmd_last_error());
    /* a page claiming a billion values (the row group has 4 rows) */
    bl = page_body(body, 1, 0, 0);
    n = build_file(file, sizeof file, (int32_t)bl, 0, NULL, 0, PQ_ENC_PLAIN, 1000000000, body, bl);
    ck_assert_int_ne(read_all(file, n), LLMD_OK);
    /* an unknown encoding */
    n = build_file(file, sizeof file, (int32_t)bl, 0, NULL, 0, 42, 4, body, bl);
    ck_fails(read_all(file, n), LLMD_ERR_UNSUPPORTED, "encoding 42");
    /* random byte flips in a real file: errors or data, never a crash (ASan/UBSan builds check) */
    bl = page_body(body, 1, 0, 0);
    n = build_file(file, sizeof file, (int32_t)bl, 0, NULL, 0, PQ_ENC_PLAIN, 4, body, bl);
    uint64_t seed = 42;
    for (int k = 0; k < 3000; k++) {
        memcpy(bad, file, n);
        uint64_t x = llmd_splitmix64(&seed);
        bad[x % n] ^= (uint8_t)(x >> 32 | 1);
        (void)read_all(bad, n);
    }
}
END_TEST

/* One v1 data page of an INT32 column with max def 1 and max rep 1: rep levels, def levels, values. */
static void legacy_page(llmd_buf *f, const uint32_t *rep, const uint32_t *def, size_t n, const int32_t *vals, size_t nv) {
    llmd_buf body = LLMD_BUF_INIT, lv = LLMD_BUF_INIT, h = LLMD_BUF_INIT;
    for (int k = 0; k < 2; k++) {
        llmd_buf_reset(&lv);
        ck_ok(rle_encode(k == 0 ? rep : def, n, 1, &lv));
        uint8_t len[4];
        llmd_store_le32(len, (uint32_t)lv.len);
        llmd_buf_append(&body, len, 4);
        llmd_buf_append(&body, lv.data, lv.len);
    }
    for (size_t i = 0; i < nv; i++) {
        uint8_t b[4];
        llmd_store_le32(b, (uint32_t)vals[i]);
        llmd_buf_append(&body, b, 4);
    }
    tout t;
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, PQ_PAGE_DATA);
    tout_field_i32(&t, 2, (int32_t)body.len);
    tout_field_i32(&t, 3, (int32_t)body.len);
    tout_struct_begin(&t, 5);
    tout_field_i32(&t, 1, (int32_t)n);
    tout_field_i32(&t, 2, PQ_ENC_PLAIN);
    tout_field_i32(&t, 3, PQ_ENC_RLE);
    tout_field_i32(&t, 4, PQ_ENC_RLE);
    tout_struct_end(&t);
    tout_end(&t);
    llmd_buf_append(f, h.data, h.len);
    llmd_buf_append(f, body.data, body.len);
    llmd_buf_free(&body);
    llmd_buf_free(&lv);
    llmd_buf_free(&h);
}

static void chunk_meta(tout *t, const char *const *path, size_t np, int64_t off, int64_t len, int64_t nvals) {
    tout_list_struct_begin(t);
    tout_field_i64(t, 2, off);
    tout_struct_begin(t, 3);
    tout_field_i32(t, 1, PQ_INT32);
    tout_field_list(t, 2, TT_I32, 1);
    tout_i32(t, PQ_ENC_PLAIN);
    tout_field_list(t, 3, TT_BINARY, np);
    for (size_t i = 0; i < np; i++) tout_binary(t, path[i], strlen(path[i]));
    tout_field_i32(t, 4, 0);
    tout_field_i64(t, 5, nvals);
    tout_field_i64(t, 6, len);
    tout_field_i64(t, 7, len);
    tout_field_i64(t, 9, off);
    tout_struct_end(t);
    tout_struct_end(t);
}

START_TEST(test_legacy_two_level_lists) {
    /* LogicalTypes.md backward compatibility: "required group a (LIST) { repeated int32 array; }"
     * and a bare "repeated int32 b" are both lists of required int32.  Rows: a=[1,2] b=[5];
     * a=[] b=[]; a=[3] b=[6,7]. */
    llmd_buf f = LLMD_BUF_INIT, h = LLMD_BUF_INIT;
    llmd_buf_append(&f, "PAR1", 4);
    const uint32_t arep[] = {0, 1, 0, 0}, adef[] = {1, 1, 0, 1}, brep[] = {0, 0, 0, 1}, bdef[] = {1, 0, 1, 1};
    const int32_t avals[] = {1, 2, 3}, bvals[] = {5, 6, 7};
    int64_t a_off = (int64_t)f.len;
    legacy_page(&f, arep, adef, 4, avals, 3);
    int64_t b_off = (int64_t)f.len;
    legacy_page(&f, brep, bdef, 4, bvals, 3);
    int64_t end = (int64_t)f.len;
    tout t;
    tout_begin(&t, &h);
    tout_field_i32(&t, 1, 1);
    tout_field_list(&t, 2, TT_STRUCT, 4);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 4, "schema", 6);
    tout_field_i32(&t, 5, 2);
    tout_struct_end(&t);
    tout_list_struct_begin(&t);                 /* required group a (LIST) */
    tout_field_i32(&t, 3, PQ_REQUIRED);
    tout_field_binary(&t, 4, "a", 1);
    tout_field_i32(&t, 5, 1);
    tout_field_i32(&t, 6, CT_LIST);
    tout_struct_end(&t);
    tout_list_struct_begin(&t);                 /*   repeated int32 array */
    tout_field_i32(&t, 1, PQ_INT32);
    tout_field_i32(&t, 3, PQ_REPEATED);
    tout_field_binary(&t, 4, "array", 5);
    tout_struct_end(&t);
    tout_list_struct_begin(&t);                 /* repeated int32 b */
    tout_field_i32(&t, 1, PQ_INT32);
    tout_field_i32(&t, 3, PQ_REPEATED);
    tout_field_binary(&t, 4, "b", 1);
    tout_struct_end(&t);
    tout_field_i64(&t, 3, 3);
    tout_field_list(&t, 4, TT_STRUCT, 1);
    tout_list_struct_begin(&t);
    tout_field_list(&t, 1, TT_STRUCT, 2);
    const char *pa[] = {"a", "array"}, *pb[] = {"b"};
    chunk_meta(&t, pa, 2, a_off, b_off - a_off, 4);
    chunk_meta(&t, pb, 1, b_off, end - b_off, 4);
    tout_field_i64(&t, 2, end - 4);
    tout_field_i64(&t, 3, 3);
    tout_struct_end(&t);
    tout_end(&t);
    ck_ok(t.st);
    uint8_t tail[8];
    llmd_store_le32(tail, (uint32_t)h.len);
    memcpy(tail + 4, "PAR1", 4);
    llmd_buf_append(&f, h.data, h.len);
    llmd_buf_append(&f, tail, 8);

    llmd_parquet_reader *r;
    ck_ok(llmd_parquet_reader_open_memory(&r, f.data, f.len, NULL));
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    int a = llmd_schema_find(s, 0, "a"), b = llmd_schema_find(s, 0, "b");
    ck_assert_int_eq(llmd_schema_type(s, a).id, LLMD_TYPE_LIST);
    ck_assert_int_eq(llmd_schema_type(s, b).id, LLMD_TYPE_LIST);
    ck_assert_int_eq(llmd_schema_type(s, llmd_schema_child(s, a, 0)).id, LLMD_TYPE_INT32);
    ck_assert_int_eq(llmd_schema_nullable(s, llmd_schema_child(s, b, 0)), 0);
    llmd_parquet_batch *bt;
    ck_ok(llmd_parquet_reader_read_row_group(r, 0, &bt));
    const int32_t want_off[2][4] = {{0, 2, 2, 3}, {0, 1, 1, 3}};
    const int32_t *want_vals[2] = {avals, bvals};
    for (int k = 0; k < 2; k++) {
        const llmd_column *c = llmd_parquet_batch_column(bt, (size_t)k);
        ck_assert_ptr_null(c->validity);
        const int32_t *o = c->offsets;
        for (int i = 0; i < 4; i++) ck_assert_int_eq(o[i], want_off[k][i]);
        for (int i = 0; i < 3; i++) ck_assert_int_eq(((const int32_t *)c->children[0].values)[i], want_vals[k][i]);
    }
    llmd_parquet_batch_free(bt);
    llmd_parquet_reader_free(r);
    llmd_buf_free(&f);
    llmd_buf_free(&h);
}
END_TEST

START_TEST(test_not_found_and_empty) {
    llmd_parquet_reader *r;
    ck_fails(llmd_parquet_reader_open(&r, tmp_path("missing.parquet"), NULL), LLMD_ERR_NOT_FOUND, "missing.parquet");
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    ck_fails(llmd_parquet_writer_open(&(llmd_parquet_writer *){NULL}, tmp_path("x.parquet"), s, NULL),
             LLMD_ERR_INVALID_ARG, "no columns");
    ck_ok(llmd_schema_add(s, 0, "a", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, NULL));
    llmd_parquet_writer *w;
    ck_ok(llmd_parquet_writer_open(&w, tmp_path("empty.parquet"), s, NULL));
    ck_ok(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    ck_ok(llmd_parquet_reader_open(&r, tmp_path("empty.parquet"), NULL));
    ck_assert_int_eq(llmd_parquet_reader_num_rows(r), 0);
    ck_assert_int_eq(llmd_parquet_reader_num_row_groups(r), 0);
    llmd_parquet_reader_free(r);
    llmd_schema_free(s);
}
END_TEST

/* ---- training shards (llmd_parquet_shard_writer) ------------------------------------------- */

/* Reads list column `name` of every row of file `path` as (offsets, int64 values). */
static void read_list(const char *path, const char *name, int64_t *rows, int64_t *offs, int64_t *vals, size_t cap) {
    llmd_parquet_reader *r;
    ck_ok(llmd_parquet_reader_open(&r, path, NULL));
    const char *names[1] = {name};
    ck_ok(llmd_parquet_reader_select(r, names, 1));
    int64_t row = 0, nv = 0;
    offs[0] = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_batch *b;
        ck_ok(llmd_parquet_reader_read_row_group(r, g, &b));
        const llmd_column *c = llmd_parquet_batch_column(b, 0);
        ck_assert_int_eq(c->offsets64, 0);
        const int32_t *o = c->offsets;
        llmd_type t = llmd_schema_type(llmd_parquet_reader_schema(r), llmd_schema_child(llmd_parquet_reader_schema(r),
                                                                                       llmd_parquet_batch_field(b, 0), 0));
        for (int64_t i = 0; i < c->length; i++) {
            for (int32_t k = o[c->offset + i]; k < o[c->offset + i + 1]; k++) {
                ck_assert_int_lt(nv, (int64_t)cap);
                int64_t slot = c->children[0].offset + k;
                vals[nv++] = t.id == LLMD_TYPE_INT64 ? ((const int64_t *)c->children[0].values)[slot]
                                                     : ((const int32_t *)c->children[0].values)[slot];
            }
            offs[++row] = nv;
        }
        llmd_parquet_batch_free(b);
    }
    *rows = row;
    llmd_parquet_reader_free(r);
}

/* Copies a path into a smaller buffer, failing the test when it does not fit. */
static void copy_path(char *dst, size_t cap, const char *src) {
    size_t n = strlen(src);
    ck_assert_msg(n < cap, "path too long: %s", src);
    memcpy(dst, src, n + 1);
}

START_TEST(test_shard_writer) {
    /* two hand-built windows of 4 tokens: [doc 0 from offset 2 (2 tokens), doc 1 (2 tokens)] and
     * [doc 1 from offset 2 (1 token), pad x3] */
    uint32_t t0[4] = {10, 11, 20, 21}, t1[4] = {22, 0, 0, 0};
    uint32_t cu0[3] = {0, 2, 4}, cu1[2] = {0, 1};
    uint64_t d0[2] = {0, 1}, d1[1] = {1};
    uint32_t o0[2] = {2, 0}, o1[1] = {2};
    llmd_pack_window w0 = {t0, 4, 2, cu0, d0, o0}, w1 = {t1, 4, 1, cu1, d1, o1};
    char prefix[300];
    copy_path(prefix, sizeof prefix, tmp_path("shard"));
    llmd_parquet_shard_options o = LLMD_PARQUET_SHARD_OPTIONS_INIT;
    o.seq_len = 4;
    o.file_bytes = 1;   /* a new file after every batch: batches are one window at this target */
    o.run_id = "run-1";
    llmd_parquet_shard_writer *w;
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    ck_ok(llmd_parquet_shard_writer_add(w, &w0));
    ck_ok(llmd_parquet_shard_writer_window_fn(w, &w1));
    llmd_pack_window bad = w0;
    bad.seq_len = 3;
    ck_fails(llmd_parquet_shard_writer_add(w, &bad), LLMD_ERR_INVALID_ARG, "seq_len 4");
    struct stat sb;
    char p0[400];
    snprintf(p0, sizeof p0, "%s-00000.parquet", prefix);
    ck_assert_int_ne(stat(p0, &sb), 0);   /* nothing visible before finish */
    ck_ok(llmd_parquet_shard_writer_finish(w, "{\"strategy\":\"test\"}"));
    ck_assert_uint_eq(llmd_parquet_shard_writer_windows(w), 2);
    ck_assert_str_eq(llmd_parquet_shard_writer_run_id(w), "run-1");
    ck_assert_uint_eq(llmd_parquet_shard_writer_file_count(w), 3);
    const char *name;
    uint64_t bytes, xxh3, rows;
    ck_ok(llmd_parquet_shard_writer_file(w, 1, &name, &bytes, &xxh3, &rows));
    ck_assert_str_eq(name, "shard-00001.parquet");
    ck_assert_uint_eq(rows, 1);
    char p1[400];
    snprintf(p1, sizeof p1, "%s-00001.parquet", prefix);
    ck_assert_int_eq(stat(p1, &sb), 0);
    ck_assert_uint_eq((uint64_t)sb.st_size, bytes);
    ck_ok(llmd_parquet_shard_writer_file(w, 2, &name, NULL, NULL, &rows));
    ck_assert_str_eq(name, "shard.manifest.json");
    ck_assert_uint_eq(rows, 0);
    ck_fails(llmd_parquet_shard_writer_file(w, 3, &name, NULL, NULL, NULL), LLMD_ERR_RANGE, "file 3 of 3");
    ck_fails(llmd_parquet_shard_writer_add(w, &w0), LLMD_ERR_STATE, "finished");
    llmd_parquet_shard_writer_free(w);
    int64_t n, offs[8], vals[16];
    read_list(p0, "input_ids", &n, offs, vals, 16);
    ck_assert_int_eq(n, 1);
    ck_assert_int_eq(offs[1], 4);
    for (int i = 0; i < 4; i++) ck_assert_int_eq(vals[i], t0[i]);
    read_list(p0, "cu_seqlens", &n, offs, vals, 16);   /* no padding: 0, 2, 4 */
    ck_assert_int_eq(offs[1], 3);
    ck_assert_int_eq(vals[0], 0);
    ck_assert_int_eq(vals[1], 2);
    ck_assert_int_eq(vals[2], 4);
    read_list(p1, "cu_seqlens", &n, offs, vals, 16);   /* padding from 1 is a segment: 0, 1, 4 */
    ck_assert_int_eq(offs[1], 3);
    ck_assert_int_eq(vals[1], 1);
    ck_assert_int_eq(vals[2], 4);
    read_list(p1, "document_ids", &n, offs, vals, 16);
    ck_assert_int_eq(offs[1], 1);
    ck_assert_int_eq(vals[0], 1);
    read_list(p0, "document_offsets", &n, offs, vals, 16);
    ck_assert_int_eq(offs[1], 2);
    ck_assert_int_eq(vals[0], 2);
    ck_assert_int_eq(vals[1], 0);
    char man[400], *text;
    size_t len;
    snprintf(man, sizeof man, "%s.manifest.json", prefix);
    ck_ok(llmd_read_file(man, &text, &len));
    ck_assert_ptr_nonnull(strstr(text, "\"format\":\"parquet\""));
    ck_assert_ptr_nonnull(strstr(text, "\"windows\":2,\"tokens\":5,\"pad_tokens\":3"));
    ck_assert_ptr_nonnull(strstr(text, "\"rows\":[1,1]"));
    ck_assert_ptr_nonnull(strstr(text, "\"strategy\":\"test\""));
    ck_assert_ptr_nonnull(strstr(text, "\"run_id\":\"run-1\""));
    llmd_free(text);
    /* an existing shard is refused without overwrite; replaced (extra files removed) with it */
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_CONFLICT, "exists");
    o.overwrite = 1;
    o.file_bytes = 0;
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    ck_ok(llmd_parquet_shard_writer_add(w, &w0));
    ck_ok(llmd_parquet_shard_writer_finish(w, NULL));
    llmd_parquet_shard_writer_free(w);
    ck_assert_int_eq(stat(p0, &sb), 0);
    ck_assert_int_ne(stat(p1, &sb), 0);
    /* ids above int32, bad options, an unfinished writer leaves nothing */
    copy_path(prefix, sizeof prefix, tmp_path("big"));
    o.overwrite = 0;
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    uint32_t tb[4] = {1, 2, 0x80000000u, 3};
    llmd_pack_window wb = {tb, 4, 1, cu1, d1, o1};
    ck_fails(llmd_parquet_shard_writer_add(w, &wb), LLMD_ERR_RANGE, "token 2: id 2147483648");
    ck_fails(llmd_parquet_shard_writer_finish(w, NULL), LLMD_ERR_STATE, "failed");
    llmd_parquet_shard_writer_free(w);
    snprintf(p0, sizeof p0, "%s-00000.parquet", prefix);
    ck_assert_int_ne(stat(p0, &sb), 0);
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    ck_ok(llmd_parquet_shard_writer_add(w, &w0));
    ck_fails(llmd_parquet_shard_writer_finish(w, "[1]"), LLMD_ERR_PARSE, "extra JSON");
    llmd_parquet_shard_writer_free(w);
    ck_assert_int_ne(stat(p0, &sb), 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls %s | grep -c '\\.tmp' >/dev/null", tmpdir);
    ck_assert_int_ne(system(cmd), 0);
    o.seq_len = 0;
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_INVALID_ARG, "seq_len 0");
    o.seq_len = 4;
    o.run_id = "a b";
    ck_fails(llmd_parquet_shard_writer_open(&w, prefix, &o), LLMD_ERR_INVALID_ARG, "run id");
    o.run_id = NULL;
    ck_fails(llmd_parquet_shard_writer_open(&w, tmp_path(""), &o), LLMD_ERR_INVALID_ARG, "no file name");
    /* no windows at all: one file with zero rows and the schema */
    ck_ok(llmd_parquet_shard_writer_open(&w, prefix, &o));
    ck_ok(llmd_parquet_shard_writer_finish(w, NULL));
    llmd_parquet_shard_writer_free(w);
    llmd_parquet_reader *r;
    ck_ok(llmd_parquet_reader_open(&r, p0, NULL));
    ck_assert_int_eq(llmd_parquet_reader_num_rows(r), 0);
    ck_assert_int_eq(llmd_schema_child_count(llmd_parquet_reader_schema(r), 0), 4);
    llmd_parquet_reader_free(r);
}
END_TEST

int main(void) {
    Suite *s = suite_create("parquet");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_bitpacked_spec_example);
    tcase_add_test(tc, test_rle_runs_roundtrip);
    tcase_add_test(tc, test_delta_spec_examples);
    tcase_add_test(tc, test_thrift_skip_unknown);
    tcase_add_test(tc, test_roundtrip_flat_and_stats);
    tcase_add_test(tc, test_nested_roundtrip_and_slices);
    tcase_add_test(tc, test_dictionary_fallback_and_codecs);
    tcase_add_test(tc, test_writer_errors_discard);
    tcase_add_test(tc, test_hostile_files);
    tcase_add_test(tc, test_legacy_two_level_lists);
    tcase_add_test(tc, test_not_found_and_empty);
    tcase_add_test(tc, test_shard_writer);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
