/* Parquet rows as JSON: the checkpoint reader (actions stored as Parquet structs) and the scan's
 * JSONL output share one converter over the Arrow-layout columns of llmdata/parquet.h. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "delta/delta_internal.h"
#include "delta/values.h"

static bool bit(const uint8_t *bits, int64_t i) { return (bits[i >> 3] >> (i & 7)) & 1; }

bool dl_col_valid(const llmd_column *c, int64_t i) {
    return c->validity == NULL || bit(c->validity, c->offset + i);
}

static int64_t off_at(const llmd_column *c, int64_t slot) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[slot] : ((const int32_t *)c->offsets)[slot];
}

/* 16-byte little-endian two's complement -> decimal text with `scale` digits after the point. */
static void decimal_text(const uint8_t *v, int scale, char *out, size_t n) {
    __extension__ typedef unsigned __int128 u128;
    u128 u = 0;
    for (int k = 15; k >= 0; k--) u = (u << 8) | v[k];
    bool neg = (v[15] & 0x80) != 0;
    if (neg) u = ~u + 1;
    char digits[48];
    int nd = 0;
    do {
        digits[nd++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (nd <= scale) digits[nd++] = '0';
    size_t o = 0;
    if (neg && o < n - 1) out[o++] = '-';
    for (int k = nd - 1; k >= 0 && o < n - 2; k--) {
        out[o++] = digits[k];
        if (k == scale && scale > 0) out[o++] = '.';
    }
    out[o] = '\0';
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d) {
    /* Howard Hinnant's days_from_civil inverse (proleptic Gregorian) */
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

void dl_date_text(int64_t days, char *out, size_t n) {
    int y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(out, n, "%04d-%02u-%02u", y, m, d);
}

/* ISO 8601 with microseconds, "Z" for UTC-adjusted timestamps (Spark's JSON form). */
void dl_timestamp_text(int64_t v, int unit, bool utc, char *out, size_t n) {
    int64_t per_s = unit == LLMD_TIME_MILLIS ? 1000 : unit == LLMD_TIME_MICROS ? 1000000 : 1000000000;
    int64_t secs = v / per_s, frac = v % per_s;
    if (frac < 0) { frac += per_s; secs--; }
    int64_t micros = unit == LLMD_TIME_MILLIS ? frac * 1000 : unit == LLMD_TIME_MICROS ? frac : frac / 1000;
    int64_t days = secs / 86400, rem = secs % 86400;
    if (rem < 0) { rem += 86400; days--; }
    char date[32];
    dl_date_text(days, date, sizeof date);
    snprintf(out, n, "%sT%02d:%02d:%02d.%06lld%s", date, (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60),
             (long long)micros, utc ? "Z" : "");
}

/* cJSON prints doubles through an approximate equality test and can drop the last digit (e.g.
 * 2342342.3000000003 comes out as 2342342.3, another double): print the shortest text that reads
 * back as exactly the same double (or float) instead. */
cJSON *dl_json_double(double d, bool is_float) {
    char buf[40];
    if (isnan(d)) return cJSON_CreateString("NaN");
    if (isinf(d)) return cJSON_CreateString(d > 0 ? "Infinity" : "-Infinity");
    for (int prec = is_float ? 6 : 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, d);
        double back = strtod(buf, NULL);
        if (is_float ? (float)back == (float)d : back == d) break;
    }
    /* JSON needs a digit before an exponent and no "inf"; %g gives e.g. "1e+20", valid JSON */
    return cJSON_CreateRaw(buf);
}

/* Checkpoint actions (RAW) keep JSON numbers (their readers use valuedouble); scan rows get exact
 * raw text. */
static cJSON *int_json(int64_t v, int mode) {
    if (mode == DL_JSON_RAW && v <= (INT64_C(1) << 53) && v >= -(INT64_C(1) << 53)) return cJSON_CreateNumber((double)v);
    char buf[24], *p = buf + sizeof buf;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    *--p = '\0';
    do { *--p = (char)('0' + u % 10); u /= 10; } while (u);
    if (v < 0) *--p = '-';
    return cJSON_CreateRaw(p);
}

cJSON *dl_value_json(const llmd_schema *sc, int field, const llmd_column *c, int64_t i, int mode) {
    if (!dl_col_valid(c, i)) return cJSON_CreateNull();
    llmd_type t = llmd_schema_type(sc, field);
    int64_t slot = c->offset + i;
    char buf[96];
    switch (t.id) {
    case LLMD_TYPE_BOOL: return cJSON_CreateBool(bit(c->values, slot));
    /* integers as exact decimal text (cJSON's number printer goes through %g and sscanf, and
     * loses digits past 2^53) */
    case LLMD_TYPE_INT8: return int_json(((const int8_t *)c->values)[slot], mode);
    case LLMD_TYPE_INT16: return int_json(((const int16_t *)c->values)[slot], mode);
    case LLMD_TYPE_INT32: return int_json(((const int32_t *)c->values)[slot], mode);
    case LLMD_TYPE_UINT8: return int_json(((const uint8_t *)c->values)[slot], mode);
    case LLMD_TYPE_UINT16: return int_json(((const uint16_t *)c->values)[slot], mode);
    case LLMD_TYPE_UINT32: return int_json(((const uint32_t *)c->values)[slot], mode);
    case LLMD_TYPE_INT64: return int_json(((const int64_t *)c->values)[slot], mode);
    case LLMD_TYPE_UINT64: {
        uint64_t v = ((const uint64_t *)c->values)[slot];
        snprintf(buf, sizeof buf, "%" PRIu64, v);
        return cJSON_CreateRaw(buf);
    }
    case LLMD_TYPE_FLOAT:
    case LLMD_TYPE_DOUBLE: {
        double d = t.id == LLMD_TYPE_FLOAT ? ((const float *)c->values)[slot] : ((const double *)c->values)[slot];
        return dl_json_double(d, t.id == LLMD_TYPE_FLOAT);
    }
    case LLMD_TYPE_STRING:
    case LLMD_TYPE_BINARY: {
        int64_t a = off_at(c, slot), b = off_at(c, slot + 1);
        char *s = llmd_strndup((const char *)c->values + a, (size_t)(b - a));
        if (s == NULL) return NULL;
        cJSON *j = cJSON_CreateString(s);
        llmd_free(s);
        return j;
    }
    case LLMD_TYPE_FIXED_BINARY:
    case LLMD_TYPE_UUID: {
        int w = t.id == LLMD_TYPE_UUID ? 16 : t.byte_width;
        llmd_buf hx = LLMD_BUF_INIT;
        const uint8_t *p = (const uint8_t *)c->values + slot * w;
        for (int k = 0; k < w; k++) llmd_buf_printf(&hx, "%02x", p[k]);
        cJSON *j = cJSON_CreateString(hx.data ? hx.data : "");
        llmd_buf_free(&hx);
        return j;
    }
    case LLMD_TYPE_DATE: {
        int32_t days = ((const int32_t *)c->values)[slot];
        if (mode == DL_JSON_RAW) return cJSON_CreateNumber(days);
        dl_date_text(days, buf, sizeof buf);
        return cJSON_CreateString(buf);
    }
    case LLMD_TYPE_TIMESTAMP: {
        int64_t v = ((const int64_t *)c->values)[slot];
        if (mode == DL_JSON_RAW) return cJSON_CreateNumber((double)v);
        dl_timestamp_text(v, t.unit, t.utc != 0, buf, sizeof buf);
        return cJSON_CreateString(buf);
    }
    case LLMD_TYPE_TIME: {
        int64_t v = t.unit == LLMD_TIME_MILLIS ? ((const int32_t *)c->values)[slot] : ((const int64_t *)c->values)[slot];
        return cJSON_CreateNumber((double)v);
    }
    case LLMD_TYPE_DECIMAL: {
        decimal_text((const uint8_t *)c->values + slot * 16, t.scale, buf, sizeof buf);
        return cJSON_CreateRaw(buf);
    }
    case LLMD_TYPE_STRUCT: {
        cJSON *o = cJSON_CreateObject();
        if (o == NULL) return NULL;
        int nc = llmd_schema_child_count(sc, field);
        for (int k = 0; k < nc && (size_t)k < c->n_children; k++) {
            int f = llmd_schema_child(sc, field, k);
            const char *name = llmd_schema_name(sc, f);
            /* checkpoints may carry parsed copies of stats/partition values: the strings are the truth */
            if (mode == DL_JSON_RAW && (strcmp(name, "stats_parsed") == 0 || strcmp(name, "partitionValues_parsed") == 0))
                continue;
            if (mode == DL_JSON_RAW && !dl_col_valid(&c->children[k], slot)) continue;   /* absent field */
            cJSON *v = dl_value_json(sc, f, &c->children[k], slot, mode);
            /* keys are copied: checkpoint actions outlive the reader's schema, and scans rename
             * keys under column mapping */
            if (v == NULL || !cJSON_AddItemToObject(o, name, v)) { cJSON_Delete(v); cJSON_Delete(o); return NULL; }
        }
        return o;
    }
    case LLMD_TYPE_LIST: {
        cJSON *a = cJSON_CreateArray();
        if (a == NULL) return NULL;
        int64_t s0 = off_at(c, slot), s1 = off_at(c, slot + 1);
        int f = llmd_schema_child(sc, field, 0);
        for (int64_t k = s0; k < s1; k++) {
            cJSON *v = dl_value_json(sc, f, &c->children[0], k, mode);
            if (v == NULL || !cJSON_AddItemToArray(a, v)) { cJSON_Delete(v); cJSON_Delete(a); return NULL; }
        }
        return a;
    }
    case LLMD_TYPE_MAP: {
        /* string keys become an object (Delta's maps: partitionValues, tags, configuration) */
        cJSON *o = cJSON_CreateObject();
        if (o == NULL) return NULL;
        int64_t s0 = off_at(c, slot), s1 = off_at(c, slot + 1);
        int kf = llmd_schema_child(sc, field, 0), vf = llmd_schema_child(sc, field, 1);
        for (int64_t k = s0; k < s1; k++) {
            cJSON *key = dl_value_json(sc, kf, &c->children[0], k, mode);
            cJSON *v = dl_value_json(sc, vf, &c->children[1], k, mode);
            char *ks = key && cJSON_IsString(key) ? key->valuestring : NULL;
            char kb[64];
            if (key && !ks) {
                char *p = cJSON_PrintUnformatted(key);
                snprintf(kb, sizeof kb, "%s", p ? p : "");
                cJSON_free(p);
                ks = kb;
            }
            bool ok = key && v && cJSON_AddItemToObject(o, ks, v);
            cJSON_Delete(key);
            if (!ok) { cJSON_Delete(v); cJSON_Delete(o); return NULL; }
        }
        return o;
    }
    }
    return cJSON_CreateNull();
}

/* Applies a Parquet checkpoint (or sidecar): each row holds one action in the column named after it. */
llmd_status dl_apply_parquet(dl_state *s, const char *name, int64_t version, const void *data, size_t len) {
    llmd_parquet_reader *r = NULL;
    llmd_status st = llmd_parquet_reader_open_memory(&r, data, len, NULL);
    if (st != LLMD_OK) return llmd_error_prefix("checkpoint %s", name);
    const llmd_schema *sc = llmd_parquet_reader_schema(r);
    static const char *const wanted[] = {"txn", "add", "remove", "metaData", "protocol", "domainMetadata", "sidecar",
                                         "checkpointMetadata"};
    const char *sel[8];
    size_t nsel = 0;
    for (size_t k = 0; k < 8; k++)
        if (llmd_schema_find(sc, 0, wanted[k]) >= 0) sel[nsel++] = wanted[k];
    if (nsel == 0) {
        llmd_parquet_reader_free(r);
        return llmd_fail(LLMD_ERR_CORRUPT, "checkpoint %s has none of the action columns", name);
    }
    st = llmd_parquet_reader_select(r, sel, nsel);
    for (int g = 0; st == LLMD_OK && g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_batch *b = NULL;
        st = llmd_parquet_reader_read_row_group(r, g, &b);
        if (st != LLMD_OK) { llmd_error_prefix("checkpoint %s", name); break; }
        int64_t rows = llmd_parquet_batch_rows(b);
        size_t nc = llmd_parquet_batch_num_columns(b);
        for (int64_t i = 0; st == LLMD_OK && i < rows; i++) {
            for (size_t k = 0; st == LLMD_OK && k < nc; k++) {
                const llmd_column *c = llmd_parquet_batch_column(b, k);
                if (!dl_col_valid(c, i)) continue;
                int f = llmd_parquet_batch_field(b, k);
                cJSON *body = dl_value_json(sc, f, c, i, DL_JSON_RAW);
                if (body == NULL) { st = llmd_fail_nomem("reading a checkpoint"); break; }
                st = dl_apply_action(s, llmd_schema_name(sc, f), body, version, true);
                if (st != LLMD_OK) llmd_error_prefix("checkpoint %s row %lld", name, (long long)i);
            }
        }
        llmd_parquet_batch_free(b);
    }
    llmd_parquet_reader_free(r);
    return st;
}
