/* Test helper for the Parquet peer checks (tests/parquet/run_peers.sh):
 *   pq_tool write-cases DIR   writes files covering every type, logical type, nesting, null pattern,
 *                             codec and encoding the writer produces (DIR/<case>.parquet)
 *   pq_tool dump FILE [COLS]  prints the file's rows as canonical JSON lines (one array per row), the
 *                             same form tests/parquet/peer_dump.mjs prints from DuckDB / parquet-wasm
 * Canonical values: ints as numbers, floats "f:<hex of the float64 bits>" ("NaN"), strings as JSON,
 * binary "x:<hex>", date days, time "t:<ns>", timestamp "ts:<ns>", decimal "d:<unscaled>/<scale>",
 * uuid "u:<8-4-4-4-12>", list [..], struct {..}, map [[k,v],..]. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmdata/parquet.h"

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define CHECK(x) do { if ((x) != LLMD_OK) { fprintf(stderr, "pq_tool: %s: %s\n", #x, llmd_last_error()); exit(1); } } while (0)

/* ---- dump ------------------------------------------------------------------------------- */

static int valid(const llmd_column *c, int64_t i) {
    int64_t s = c->offset + i;
    return !c->validity || (c->validity[s >> 3] >> (s & 7) & 1);
}

static int64_t off(const llmd_column *c, int64_t s) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[s] : ((const int32_t *)c->offsets)[s];
}

static void put_json_string(const uint8_t *p, size_t n) {
    putchar('"');
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch == '"' || ch == '\\') printf("\\%c", ch);
        else if (ch < 0x20) printf("\\u%04x", ch);
        else putchar(ch);
    }
    putchar('"');
}

static void put_i128(const uint8_t *le) {
    u128 u = 0;
    for (int k = 15; k >= 0; k--) u = u << 8 | le[k];
    int neg = (le[15] & 0x80) != 0;
    if (neg) u = ~u + 1;
    char buf[64];
    int n = 0;
    do {
        buf[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    if (neg) putchar('-');
    while (n) putchar(buf[--n]);
}

static void put_double(double d) {
    if (isnan(d)) {
        printf("\"NaN\"");
        return;
    }
    uint64_t b;
    memcpy(&b, &d, 8);
    printf("\"f:%016" PRIx64 "\"", b);
}

static void dump_value(const llmd_schema *s, int id, const llmd_column *c, int64_t i) {
    if (!valid(c, i)) {
        printf("null");
        return;
    }
    int64_t slot = c->offset + i;
    llmd_type t = llmd_schema_type(s, id);
    switch (t.id) {
    case LLMD_TYPE_BOOL: printf(((const uint8_t *)c->values)[slot >> 3] >> (slot & 7) & 1 ? "true" : "false"); break;
    case LLMD_TYPE_INT8: printf("%d", ((const int8_t *)c->values)[slot]); break;
    case LLMD_TYPE_INT16: printf("%d", ((const int16_t *)c->values)[slot]); break;
    case LLMD_TYPE_INT32: printf("%" PRId32, ((const int32_t *)c->values)[slot]); break;
    case LLMD_TYPE_INT64: printf("%" PRId64, ((const int64_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT8: printf("%u", ((const uint8_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT16: printf("%u", ((const uint16_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT32: printf("%" PRIu32, ((const uint32_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT64: printf("%" PRIu64, ((const uint64_t *)c->values)[slot]); break;
    case LLMD_TYPE_FLOAT: put_double(((const float *)c->values)[slot]); break;
    case LLMD_TYPE_DOUBLE: put_double(((const double *)c->values)[slot]); break;
    case LLMD_TYPE_DATE: printf("%" PRId32, ((const int32_t *)c->values)[slot]); break;
    case LLMD_TYPE_TIME: case LLMD_TYPE_TIMESTAMP: {
        /* nanoseconds, written as the value followed by zeros (no overflow for year 9999 in micros) */
        static const char *const zeros[] = {"000000", "000", ""};
        int64_t v = t.id == LLMD_TYPE_TIME && t.unit == LLMD_TIME_MILLIS ? ((const int32_t *)c->values)[slot]
                                                                          : ((const int64_t *)c->values)[slot];
        printf("\"%s:%" PRId64 "%s\"", t.id == LLMD_TYPE_TIME ? "t" : "ts", v, v ? zeros[t.unit] : "");
        break;
    }
    case LLMD_TYPE_DECIMAL:
        printf("\"d:");
        put_i128((const uint8_t *)c->values + slot * 16);
        printf("/%d\"", t.scale);
        break;
    case LLMD_TYPE_UUID: {
        const uint8_t *u = (const uint8_t *)c->values + slot * 16;
        printf("\"u:");
        for (int k = 0; k < 16; k++) printf("%s%02x", k == 4 || k == 6 || k == 8 || k == 10 ? "-" : "", u[k]);
        printf("\"");
        break;
    }
    case LLMD_TYPE_FIXED_BINARY: {
        const uint8_t *u = (const uint8_t *)c->values + slot * t.byte_width;
        printf("\"x:");
        for (int k = 0; k < t.byte_width; k++) printf("%02x", u[k]);
        printf("\"");
        break;
    }
    case LLMD_TYPE_STRING: case LLMD_TYPE_BINARY: {
        int64_t a = off(c, slot), b = off(c, slot + 1);
        const uint8_t *p = (const uint8_t *)c->values + a;
        if (t.id == LLMD_TYPE_STRING) {
            put_json_string(p, (size_t)(b - a));
        } else {
            printf("\"x:");
            for (int64_t k = 0; k < b - a; k++) printf("%02x", p[k]);
            printf("\"");
        }
        break;
    }
    case LLMD_TYPE_STRUCT: {
        printf("{");
        for (int k = 0; k < llmd_schema_child_count(s, id); k++) {
            int ch = llmd_schema_child(s, id, k);
            const char *nm = llmd_schema_name(s, ch);
            put_json_string((const uint8_t *)nm, strlen(nm));
            printf(":");
            dump_value(s, ch, &c->children[k], slot);
            if (k + 1 < llmd_schema_child_count(s, id)) printf(",");
        }
        printf("}");
        break;
    }
    case LLMD_TYPE_LIST: case LLMD_TYPE_MAP: {
        int64_t a = off(c, slot), b = off(c, slot + 1);
        printf("[");
        for (int64_t k = a; k < b; k++) {
            if (k > a) printf(",");
            if (t.id == LLMD_TYPE_LIST) {
                dump_value(s, llmd_schema_child(s, id, 0), &c->children[0], k);
            } else {
                printf("[");
                dump_value(s, llmd_schema_child(s, id, 0), &c->children[0], k);
                printf(",");
                dump_value(s, llmd_schema_child(s, id, 1), &c->children[1], k);
                printf("]");
            }
        }
        printf("]");
        break;
    }
    }
}

static int dump(const char *path, const char *columns) {
    llmd_parquet_reader *r;
    CHECK(llmd_parquet_reader_open(&r, path, NULL));
    if (columns) {
        /* projection: comma-separated top-level names */
        char *copy = strdup(columns), *save = NULL;
        const char *names[256];
        size_t n = 0;
        for (char *t = strtok_r(copy, ",", &save); t && n < 256; t = strtok_r(NULL, ",", &save)) names[n++] = t;
        CHECK(llmd_parquet_reader_select(r, names, n));
        free(copy);
    }
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_batch *b;
        CHECK(llmd_parquet_reader_read_row_group(r, g, &b));
        for (int64_t i = 0; i < llmd_parquet_batch_rows(b); i++) {
            printf("[");
            for (size_t k = 0; k < llmd_parquet_batch_num_columns(b); k++) {
                if (k) printf(",");
                dump_value(s, llmd_parquet_batch_field(b, k), llmd_parquet_batch_column(b, k), i);
            }
            printf("]\n");
        }
        llmd_parquet_batch_free(b);
    }
    llmd_parquet_reader_free(r);
    return 0;
}

/* ---- cases ------------------------------------------------------------------------------ */

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Column buffers of the case being written; freed together by free_all(). */
static void **tracked;
static size_t n_tracked, cap_tracked;
static void *track(void *p) {
    if (!p) exit(2);
    if (n_tracked == cap_tracked) {
        cap_tracked = cap_tracked ? cap_tracked * 2 : 256;
        tracked = realloc(tracked, cap_tracked * sizeof *tracked);
        if (!tracked) exit(2);
    }
    tracked[n_tracked++] = p;
    return p;
}
static void *A(size_t n) {
    return track(calloc(1, n ? n : 1));
}
static void free_all(void) {
    for (size_t i = 0; i < n_tracked; i++) free(tracked[i]);
    n_tracked = 0;
}

static uint8_t *nulls(int64_t n, int every) {
    uint8_t *v = A((size_t)n / 8 + 1);
    for (int64_t i = 0; i < n; i++)
        if (every == 0 || (int64_t)(rnd() % (uint64_t)every) != 0) v[i >> 3] |= (uint8_t)(1u << (i & 7));
    return v;
}

static const char *const words[] = {"", "a", "hello", "world", "Grüße", "日本語テキスト", "emoji 😀", "tab\there",
                                    "quote\"back\\slash", "line\nbreak", "zzz", "\x7f"};

static void fill_primitive(llmd_column *c, llmd_type t, int64_t n, int null_every, int low_card) {
    memset(c, 0, sizeof *c);
    c->length = n;
    if (null_every) c->validity = nulls(n, null_every);
    size_t w = 0;
    switch (t.id) {
    case LLMD_TYPE_BOOL: {
        uint8_t *v = A((size_t)n / 8 + 1);
        for (int64_t i = 0; i < n; i++) if (rnd() & 1) v[i >> 3] |= (uint8_t)(1u << (i & 7));
        c->values = v;
        return;
    }
    case LLMD_TYPE_INT8: case LLMD_TYPE_UINT8: w = 1; break;
    case LLMD_TYPE_INT16: case LLMD_TYPE_UINT16: w = 2; break;
    case LLMD_TYPE_INT32: case LLMD_TYPE_UINT32: case LLMD_TYPE_FLOAT: case LLMD_TYPE_DATE: w = 4; break;
    case LLMD_TYPE_TIME: w = t.unit == LLMD_TIME_MILLIS ? 4 : 8; break;
    case LLMD_TYPE_INT64: case LLMD_TYPE_UINT64: case LLMD_TYPE_DOUBLE: case LLMD_TYPE_TIMESTAMP: w = 8; break;
    case LLMD_TYPE_DECIMAL: case LLMD_TYPE_UUID: w = 16; break;
    case LLMD_TYPE_FIXED_BINARY: w = (size_t)t.byte_width; break;
    case LLMD_TYPE_STRING: case LLMD_TYPE_BINARY: {
        int32_t *o = A(((size_t)n + 1) * 4);
        size_t cap = 64, len = 0;
        char *bytes = malloc(cap);
        for (int64_t i = 0; i < n; i++) {
            char tmp[256];
            size_t k;
            if (t.id == LLMD_TYPE_STRING) {
                const char *wd = words[low_card ? rnd() % 4 : rnd() % (sizeof words / sizeof words[0])];
                k = (size_t)snprintf(tmp, sizeof tmp, "%s%s%" PRIu64, wd, low_card ? "" : "-", low_card ? 0 : rnd() % 100000);
                if (low_card) k = strlen(wd);
            } else {
                k = rnd() % 12;
                for (size_t j = 0; j < k; j++) tmp[j] = (char)rnd();
            }
            if (len + k >= cap) {
                cap = (len + k) * 2;
                bytes = realloc(bytes, cap);
                if (!bytes) exit(2);
            }
            memcpy(bytes + len, tmp, k);
            len += k;
            o[i + 1] = (int32_t)len;
        }
        c->offsets = o;
        c->values = track(bytes);
        return;
    }
    default: return;
    }
    uint8_t *v = A((size_t)n * w);
    for (int64_t i = 0; i < n; i++) {
        uint8_t *p = v + (size_t)i * w;
        uint64_t x = low_card ? rnd() % 5 : rnd();
        switch (t.id) {
        case LLMD_TYPE_FLOAT: {
            float f = (float)((double)(int64_t)x / 1e15);
            if (i % 97 == 3) f = -0.0f;
            if (i % 89 == 5) f = INFINITY;
            memcpy(p, &f, 4);
            break;
        }
        case LLMD_TYPE_DOUBLE: {
            double d = (double)(int64_t)x / 1e9;
            if (i % 97 == 3) d = -0.0;
            if (i % 89 == 5) d = -INFINITY;
            if (i % 83 == 7) d = 1e-310;   /* subnormal */
            memcpy(p, &d, 8);
            break;
        }
        case LLMD_TYPE_DATE: { int32_t d = (int32_t)(x % 40000) - 10000; memcpy(p, &d, 4); break; }
        case LLMD_TYPE_TIME:
            if (t.unit == LLMD_TIME_MILLIS) { int32_t d = (int32_t)(x % 86400000); memcpy(p, &d, 4); }
            else { int64_t d = (int64_t)(x % (t.unit == LLMD_TIME_MICROS ? 86400000000ULL : 86400000000000ULL)); memcpy(p, &d, 8); }
            break;
        case LLMD_TYPE_TIMESTAMP: {
            /* within DuckDB's range for every unit: +-200 years */
            int64_t span = t.unit == LLMD_TIME_MILLIS ? INT64_C(6311390400000) : t.unit == LLMD_TIME_MICROS ? INT64_C(6311390400000000) : INT64_C(6311390400000000000);
            int64_t d = (int64_t)(x % (uint64_t)span) - span / 2;
            memcpy(p, &d, 8);
            break;
        }
        case LLMD_TYPE_DECIMAL: {
            /* a random value with at most `precision` digits */
            u128 lim = 1;
            for (int k = 0; k < t.precision; k++) lim *= 10;
            u128 u = ((u128)rnd() << 64) | rnd();
            i128 d = (i128)(u % (2 * lim - 1)) - (i128)(lim - 1);
            if (low_card) d = (i128)(x % 5) - 2;
            memcpy(p, &d, 16);
            break;
        }
        default:
            for (size_t k = 0; k < w; k++) p[k] = (uint8_t)(k < 8 ? x >> (8 * k) : rnd());
            break;
        }
    }
    c->values = v;
}

typedef struct tcol {
    const char *name;
    llmd_type t;
} tcol;

static const tcol all_types[] = {
    {"b", {.id = LLMD_TYPE_BOOL}}, {"i8", {.id = LLMD_TYPE_INT8}}, {"i16", {.id = LLMD_TYPE_INT16}}, {"i32", {.id = LLMD_TYPE_INT32}},
    {"i64", {.id = LLMD_TYPE_INT64}}, {"u8", {.id = LLMD_TYPE_UINT8}}, {"u16", {.id = LLMD_TYPE_UINT16}}, {"u32", {.id = LLMD_TYPE_UINT32}},
    {"u64", {.id = LLMD_TYPE_UINT64}}, {"f32", {.id = LLMD_TYPE_FLOAT}}, {"f64", {.id = LLMD_TYPE_DOUBLE}}, {"s", {.id = LLMD_TYPE_STRING}},
    {"bin", {.id = LLMD_TYPE_BINARY}}, {"fix3", {.id = LLMD_TYPE_FIXED_BINARY, .byte_width = 3}}, {"date", {.id = LLMD_TYPE_DATE}},
    {"t_ms", {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_MILLIS, .utc = 1}}, {"t_us", {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_MICROS, .utc = 1}},
    {"t_ns", {.id = LLMD_TYPE_TIME, .unit = LLMD_TIME_NANOS, .utc = 0}},
    {"ts_ms", {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS, .utc = 1}},
    {"ts_us", {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MICROS, .utc = 0}},
    {"ts_ns", {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_NANOS, .utc = 1}},
    {"dec9", {.id = LLMD_TYPE_DECIMAL, .precision = 9, .scale = 2}}, {"dec18", {.id = LLMD_TYPE_DECIMAL, .precision = 18, .scale = 4}},
    {"dec38", {.id = LLMD_TYPE_DECIMAL, .precision = 38, .scale = 10}}, {"dec25", {.id = LLMD_TYPE_DECIMAL, .precision = 25, .scale = 0}},
    {"uuid", {.id = LLMD_TYPE_UUID}},
};
#define N_TYPES (sizeof all_types / sizeof all_types[0])

static void write_types(const char *dir, const char *name, int codec, int page_v, size_t dict, int null_every,
                        int low_card, int64_t rows, uint64_t rg_bytes, uint64_t page_bytes) {
    llmd_schema *s;
    CHECK(llmd_schema_new(&s));
    for (size_t i = 0; i < N_TYPES; i++) CHECK(llmd_schema_add(s, 0, all_types[i].name, &all_types[i].t, null_every != 0, NULL));
    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.codec = codec;
    o.data_page_version = page_v;
    o.dictionary_bytes = dict;
    if (rg_bytes) o.row_group_bytes = rg_bytes;
    if (page_bytes) o.page_bytes = page_bytes;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.parquet", dir, name);
    llmd_parquet_writer *w;
    CHECK(llmd_parquet_writer_open(&w, path, s, &o));
    CHECK(llmd_parquet_writer_set_metadata(w, "case", name));
    /* two batches, to exercise appends */
    for (int batch = 0; batch < 2; batch++) {
        llmd_column cols[N_TYPES];
        for (size_t i = 0; i < N_TYPES; i++) fill_primitive(&cols[i], all_types[i].t, rows / 2, null_every, low_card);
        CHECK(llmd_parquet_writer_write(w, cols, N_TYPES));
    }
    CHECK(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);
    free_all();
}

/* Nested: struct, lists (nullable elements, empty, null), list of lists, map, list of structs
 * holding lists, struct holding a list of structs. */
static void write_nested(const char *dir, const char *name, int codec, int page_v, size_t dict, int64_t rows) {
    llmd_schema *s;
    CHECK(llmd_schema_new(&s));
    int st, l1, l2, ll, lli, mp, ls, lsv, sl, sll;
    CHECK(llmd_schema_add(s, 0, "id", &(llmd_type){.id = LLMD_TYPE_INT64}, 0, NULL));
    CHECK(llmd_schema_add(s, 0, "st", &(llmd_type){.id = LLMD_TYPE_STRUCT}, 1, &st));
    CHECK(llmd_schema_add(s, st, "a", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, NULL));
    CHECK(llmd_schema_add(s, st, "b", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, NULL));
    CHECK(llmd_schema_add(s, 0, "ints", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &l1));
    CHECK(llmd_schema_add(s, l1, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, NULL));
    CHECK(llmd_schema_add(s, 0, "strs", &(llmd_type){.id = LLMD_TYPE_LIST}, 0, &l2));
    CHECK(llmd_schema_add(s, l2, "element", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, NULL));
    CHECK(llmd_schema_add(s, 0, "ll", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &ll));
    CHECK(llmd_schema_add(s, ll, "element", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &lli));
    CHECK(llmd_schema_add(s, lli, "element", &(llmd_type){.id = LLMD_TYPE_INT64}, 1, NULL));
    CHECK(llmd_schema_add(s, 0, "m", &(llmd_type){.id = LLMD_TYPE_MAP}, 1, &mp));
    CHECK(llmd_schema_add(s, mp, "key", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, NULL));
    CHECK(llmd_schema_add(s, mp, "value", &(llmd_type){.id = LLMD_TYPE_DOUBLE}, 1, NULL));
    CHECK(llmd_schema_add(s, 0, "ls", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &ls));
    CHECK(llmd_schema_add(s, ls, "element", &(llmd_type){.id = LLMD_TYPE_STRUCT}, 1, &lsv));
    CHECK(llmd_schema_add(s, lsv, "k", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL));
    int lsvl;
    CHECK(llmd_schema_add(s, lsv, "v", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &lsvl));
    CHECK(llmd_schema_add(s, lsvl, "element", &(llmd_type){.id = LLMD_TYPE_INT16}, 1, NULL));
    CHECK(llmd_schema_add(s, 0, "sl", &(llmd_type){.id = LLMD_TYPE_STRUCT}, 1, &sl));
    CHECK(llmd_schema_add(s, sl, "xs", &(llmd_type){.id = LLMD_TYPE_LIST}, 1, &sll));
    int slls;
    CHECK(llmd_schema_add(s, sll, "element", &(llmd_type){.id = LLMD_TYPE_STRUCT}, 1, &slls));
    CHECK(llmd_schema_add(s, slls, "x", &(llmd_type){.id = LLMD_TYPE_DOUBLE}, 1, NULL));
    CHECK(llmd_schema_add(s, slls, "when", &(llmd_type){.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MICROS, .utc = 1}, 1, NULL));

    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.codec = codec;
    o.data_page_version = page_v;
    o.dictionary_bytes = dict;
    o.page_bytes = 4096;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.parquet", dir, name);
    llmd_parquet_writer *w;
    CHECK(llmd_parquet_writer_open(&w, path, s, &o));
    int64_t n = rows;
    /* list offsets: lengths 0..4, some lists null */
#define LIST_OFFS(var, nn, maxlen) int32_t *var = A(((size_t)(nn) + 1) * 4); \
    for (int64_t i = 0; i < (nn); i++) var[i + 1] = var[i] + (int32_t)(rnd() % ((maxlen) + 1));
    llmd_column id, stc, stch[2], ints, intsv, strs, strsv, llc, llci, llcv, m, mch[2], lsc, lss, lssch[2], lsvlv, slc, slxs, slxss, slxssch[2];
    fill_primitive(&id, (llmd_type){.id = LLMD_TYPE_INT64}, n, 0, 0);
    for (int64_t i = 0; i < n; i++) ((int64_t *)id.values)[i] = i;
    /* struct */
    memset(&stc, 0, sizeof stc);
    stc.length = n;
    stc.validity = nulls(n, 5);
    fill_primitive(&stch[0], (llmd_type){.id = LLMD_TYPE_INT32}, n, 4, 0);
    fill_primitive(&stch[1], (llmd_type){.id = LLMD_TYPE_STRING}, n, 0, 1);
    stc.children = stch;
    stc.n_children = 2;
    /* ints */
    LIST_OFFS(io, n, 4);
    fill_primitive(&intsv, (llmd_type){.id = LLMD_TYPE_INT32}, io[n], 3, 0);
    ints = (llmd_column){.length = n, .validity = nulls(n, 6), .offsets = io, .children = &intsv, .n_children = 1};
    /* strs, required list of required strings, int64 offsets */
    int64_t *so = A(((size_t)n + 1) * 8);
    for (int64_t i = 0; i < n; i++) so[i + 1] = so[i] + (int64_t)(rnd() % 3);
    fill_primitive(&strsv, (llmd_type){.id = LLMD_TYPE_STRING}, so[n], 0, 0);
    strs = (llmd_column){.length = n, .offsets = so, .offsets64 = 1, .children = &strsv, .n_children = 1};
    /* list of lists */
    LIST_OFFS(lo, n, 3);
    LIST_OFFS(lio, lo[n], 3);
    fill_primitive(&llcv, (llmd_type){.id = LLMD_TYPE_INT64}, lio[lo[n]], 4, 0);
    llci = (llmd_column){.length = lo[n], .validity = nulls(lo[n], 4), .offsets = lio, .children = &llcv, .n_children = 1};
    llc = (llmd_column){.length = n, .validity = nulls(n, 7), .offsets = lo, .children = &llci, .n_children = 1};
    /* map<string, double> */
    LIST_OFFS(mo, n, 3);
    fill_primitive(&mch[0], (llmd_type){.id = LLMD_TYPE_STRING}, mo[n], 0, 0);
    fill_primitive(&mch[1], (llmd_type){.id = LLMD_TYPE_DOUBLE}, mo[n], 3, 0);
    m = (llmd_column){.length = n, .validity = nulls(n, 5), .offsets = mo, .children = mch, .n_children = 2};
    /* list<struct<k, v list<int16>>> */
    LIST_OFFS(lso, n, 3);
    int64_t ne = lso[n];
    fill_primitive(&lssch[0], (llmd_type){.id = LLMD_TYPE_INT32}, ne, 0, 1);
    LIST_OFFS(lsvo, ne, 2);
    fill_primitive(&lsvlv, (llmd_type){.id = LLMD_TYPE_INT16}, lsvo[ne], 3, 0);
    lssch[1] = (llmd_column){.length = ne, .validity = nulls(ne, 4), .offsets = lsvo, .children = &lsvlv, .n_children = 1};
    lss = (llmd_column){.length = ne, .validity = nulls(ne, 5), .children = lssch, .n_children = 2};
    lsc = (llmd_column){.length = n, .validity = nulls(n, 6), .offsets = lso, .children = &lss, .n_children = 1};
    /* struct<xs list<struct<x double, when timestamp>>> */
    LIST_OFFS(slo, n, 2);
    fill_primitive(&slxssch[0], (llmd_type){.id = LLMD_TYPE_DOUBLE}, slo[n], 3, 0);
    fill_primitive(&slxssch[1], (llmd_type){.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MICROS, .utc = 1}, slo[n], 3, 0);
    slxss = (llmd_column){.length = slo[n], .validity = nulls(slo[n], 4), .children = slxssch, .n_children = 2};
    slxs = (llmd_column){.length = n, .validity = nulls(n, 4), .offsets = slo, .children = &slxss, .n_children = 1};
    slc = (llmd_column){.length = n, .validity = nulls(n, 5), .children = &slxs, .n_children = 1};
    llmd_column cols[] = {id, stc, ints, strs, llc, m, lsc, slc};
    CHECK(llmd_parquet_writer_write(w, cols, sizeof cols / sizeof cols[0]));
    CHECK(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);
    free_all();
}

/* Token windows: list<int32> seq_len 2048 plus boundary columns, as pack writes shards. */
static void write_windows(const char *dir, const char *name, int codec, int64_t rows) {
    llmd_schema *s;
    CHECK(llmd_schema_new(&s));
    int ids, cu;
    CHECK(llmd_schema_add(s, 0, "input_ids", &(llmd_type){.id = LLMD_TYPE_LIST}, 0, &ids));
    CHECK(llmd_schema_add(s, ids, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL));
    CHECK(llmd_schema_add(s, 0, "cu_seqlens", &(llmd_type){.id = LLMD_TYPE_LIST}, 0, &cu));
    CHECK(llmd_schema_add(s, cu, "element", &(llmd_type){.id = LLMD_TYPE_INT32}, 0, NULL));
    llmd_parquet_write_options o = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    o.codec = codec;
    o.row_group_bytes = 1 << 20;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.parquet", dir, name);
    llmd_parquet_writer *w;
    CHECK(llmd_parquet_writer_open(&w, path, s, &o));
    int32_t *io = A(((size_t)rows + 1) * 4), *tok = A((size_t)rows * 2048 * 4);
    int32_t *co = A(((size_t)rows + 1) * 4), *cv = A((size_t)rows * 8 * 4);
    int64_t nc = 0;
    for (int64_t i = 0; i < rows; i++) {
        io[i + 1] = io[i] + 2048;
        for (int k = 0; k < 2048; k++) tok[i * 2048 + k] = (int32_t)(rnd() % 50257);
        int segs = 1 + (int)(rnd() % 4);
        cv[nc++] = 0;
        for (int k = 1; k < segs; k++) {
            int32_t prev = cv[nc - 1];
            cv[nc++] = prev + (int32_t)(rnd() % 400) + 1;
        }
        cv[nc++] = 2048;
        co[i + 1] = (int32_t)nc;
    }
    llmd_column tv = {.length = rows * 2048, .values = tok}, cvc = {.length = nc, .values = cv};
    llmd_column cols[2] = {{.length = rows, .offsets = io, .children = &tv, .n_children = 1},
                           {.length = rows, .offsets = co, .children = &cvc, .n_children = 1}};
    CHECK(llmd_parquet_writer_write(w, cols, 2));
    CHECK(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);
    free_all();
}

static int write_cases(const char *dir) {
    static const struct { const char *n; int c; } codecs[] = {
        {"none", LLMD_PARQUET_UNCOMPRESSED}, {"snappy", LLMD_PARQUET_SNAPPY}, {"gzip", LLMD_PARQUET_GZIP},
        {"zstd", LLMD_PARQUET_ZSTD}, {"lz4raw", LLMD_PARQUET_LZ4_RAW}};
    char name[128];
    for (size_t c = 0; c < 5; c++)
        for (int pv = 1; pv <= 2; pv++)
            for (int dict = 0; dict < 2; dict++) {
                snprintf(name, sizeof name, "types_%s_v%d_%s", codecs[c].n, pv, dict ? "dict" : "plain");
                write_types(dir, name, codecs[c].c, pv, dict ? 1 << 20 : 0, 5, 0, 400, 0, 0);
            }
    write_types(dir, "types_required", LLMD_PARQUET_ZSTD, 1, 1 << 20, 0, 0, 300, 0, 0);
    write_types(dir, "types_lowcard_dict", LLMD_PARQUET_SNAPPY, 1, 1 << 20, 3, 1, 3000, 0, 0);
    write_types(dir, "types_allnull", LLMD_PARQUET_ZSTD, 2, 1 << 20, 1, 0, 50, 0, 0);
    /* many row groups and pages; a dictionary limit small enough to fall back to PLAIN mid-chunk */
    write_types(dir, "types_many_groups", LLMD_PARQUET_ZSTD, 1, 2048, 7, 0, 6000, 64 << 10, 2048);
    write_types(dir, "types_many_groups_v2", LLMD_PARQUET_LZ4_RAW, 2, 2048, 7, 0, 6000, 64 << 10, 2048);
    write_types(dir, "types_empty", LLMD_PARQUET_ZSTD, 1, 1 << 20, 3, 0, 0, 0, 0);
    for (size_t c = 0; c < 5; c++) {
        snprintf(name, sizeof name, "nested_%s_v1_dict", codecs[c].n);
        write_nested(dir, name, codecs[c].c, 1, 1 << 20, 500);
    }
    write_nested(dir, "nested_zstd_v2_plain", LLMD_PARQUET_ZSTD, 2, 0, 500);
    write_nested(dir, "nested_snappy_v2_dict", LLMD_PARQUET_SNAPPY, 2, 1 << 20, 2000);
    write_windows(dir, "windows_zstd", LLMD_PARQUET_ZSTD, 300);
    write_windows(dir, "windows_none", LLMD_PARQUET_UNCOMPRESSED, 100);
    free(tracked);
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 3 && strcmp(argv[1], "write-cases") == 0) return write_cases(argv[2]);
    if ((argc == 3 || argc == 4) && strcmp(argv[1], "dump") == 0) return dump(argv[2], argc == 4 ? argv[3] : NULL);
    fprintf(stderr, "usage: pq_tool write-cases DIR | dump FILE [COLUMNS]\n");
    return 2;
}
