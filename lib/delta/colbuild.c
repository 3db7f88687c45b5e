/* JSON values -> Arrow-layout columns (llmdata/parquet.h's llmd_column) for the Parquet writer:
 * checkpoints (actions) and scans to Parquet (rows).  Values come as the scan and the log print
 * them: numbers, strings, "YYYY-MM-DD" dates, ISO 8601 timestamps, decimal numbers. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "delta/delta_internal.h"
#include "delta/values.h"

llmd_status dl_colb_init(dl_colb *c, const llmd_schema *s, int field) {
    memset(c, 0, sizeof *c);
    c->schema = s;
    c->field = field;
    c->type = llmd_schema_type(s, field);
    int n = llmd_schema_child_count(s, field);
    if (n > 0) {
        c->children = llmd_calloc((size_t)n, sizeof *c->children);
        if (c->children == NULL) return llmd_fail_nomem("building columns");
        c->n_children = (size_t)n;
        for (int k = 0; k < n; k++) {
            llmd_status st = dl_colb_init(&c->children[k], s, llmd_schema_child(s, field, k));
            if (st != LLMD_OK) return st;
        }
    }
    if (c->type.id == LLMD_TYPE_STRING || c->type.id == LLMD_TYPE_BINARY || c->type.id == LLMD_TYPE_LIST ||
        c->type.id == LLMD_TYPE_MAP) {
        int32_t zero = 0;
        return llmd_buf_append(&c->offsets, &zero, 4);
    }
    return LLMD_OK;
}

void dl_colb_free(dl_colb *c) {
    for (size_t k = 0; k < c->n_children; k++) dl_colb_free(&c->children[k]);
    llmd_free(c->children);
    llmd_free(c->kids);
    llmd_buf_free(&c->validity);
    llmd_buf_free(&c->values);
    llmd_buf_free(&c->offsets);
    memset(c, 0, sizeof *c);
}

void dl_colb_reset(dl_colb *c) {
    for (size_t k = 0; k < c->n_children; k++) dl_colb_reset(&c->children[k]);
    llmd_free(c->kids);
    c->kids = NULL;
    c->len = 0;
    llmd_buf_reset(&c->validity);
    llmd_buf_reset(&c->values);
    if (c->offsets.len >= 4) c->offsets.len = 4, memset(c->offsets.data, 0, 4);
}

static llmd_status set_bit(llmd_buf *b, int64_t i, bool v) {
    size_t need = (size_t)(i / 8) + 1;
    while (b->len < need) {
        llmd_status st = llmd_buf_putc(b, 0);
        if (st != LLMD_OK) return st;
    }
    if (v) b->data[i / 8] = (char)(b->data[i / 8] | (1 << (i % 8)));
    return LLMD_OK;
}

static int32_t last_offset(const dl_colb *c) {
    int32_t v;
    memcpy(&v, c->offsets.data + c->offsets.len - 4, 4);
    return v;
}

static llmd_status push_offset(dl_colb *c, int32_t v) { return llmd_buf_append(&c->offsets, &v, 4); }

static double num_of(const cJSON *v, bool *ok) {
    *ok = true;
    if (cJSON_IsNumber(v)) return v->valuedouble;
    const char *s = cJSON_IsString(v) ? v->valuestring : cJSON_IsRaw(v) ? v->valuestring : NULL;
    if (s) {
        if (!strcmp(s, "NaN")) return NAN;
        if (!strcmp(s, "Infinity")) return INFINITY;
        if (!strcmp(s, "-Infinity")) return -INFINITY;
        char *e;
        double d = strtod(s, &e);
        if (*s && *e == '\0') return d;
    }
    *ok = false;
    return 0;
}

static bool int_of(const cJSON *v, int64_t *out) {
    if (cJSON_IsRaw(v) || cJSON_IsString(v)) {
        char *e;
        long long x = strtoll(v->valuestring, &e, 10);
        if (*v->valuestring && *e == '\0') { *out = x; return true; }
        return false;
    }
    if (!cJSON_IsNumber(v)) return false;
    *out = (int64_t)v->valuedouble;
    return true;
}

/* "YYYY-MM-DD" -> days since the epoch */
static bool parse_date(const char *s, int64_t *days) {
    int y, m, d, n = 0;
    if (sscanf(s, "%d-%2d-%2d%n", &y, &m, &d, &n) != 3 || (s[n] != '\0' && s[n] != 'T' && s[n] != ' ')) return false;
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + (int64_t)doe - 719468;
    return true;
}

/* ISO 8601 "YYYY-MM-DDTHH:MM:SS[.f][Z|±hh:mm]" or "YYYY-MM-DD HH:MM:SS[.f]" -> units since the epoch */
bool dl_parse_ts(const char *s, int unit, int64_t *out) {
    int64_t days;
    if (!parse_date(s, &days)) return false;
    const char *p = strpbrk(s, "T ");
    int h = 0, mi = 0, sec = 0, n = 0;
    int64_t frac_ns = 0;
    long off = 0;
    if (p) {
        if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3) return false;
        p += 1 + n;
        if (*p == '.') {
            int digits = 0;
            for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                if (digits < 9) frac_ns = frac_ns * 10 + (*p - '0');
            for (; digits < 9; digits++) frac_ns *= 10;
        }
        if (*p == 'Z') p++;
        else if (*p == '+' || *p == '-') {
            int oh, om, k = 0;
            if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2) return false;
            off = (oh * 60L + om) * 60L * (*p == '+' ? 1 : -1);
            p += 1 + k;
        }
        if (*p) return false;
    }
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + sec - off;
    if (unit == LLMD_TIME_MILLIS) *out = secs * 1000 + frac_ns / 1000000;
    else if (unit == LLMD_TIME_MICROS) *out = secs * 1000000 + frac_ns / 1000;
    else *out = secs * 1000000000 + frac_ns;
    return true;
}

/* decimal text with `scale` digits -> 16-byte little-endian two's complement */
static bool parse_decimal(const char *s, int scale, uint8_t out[16]) {
    __extension__ typedef unsigned __int128 u128;
    bool neg = *s == '-';
    if (*s == '-' || *s == '+') s++;
    u128 v = 0;
    int frac = -1;
    for (; *s; s++) {
        if (*s == '.' && frac < 0) { frac = 0; continue; }
        if (*s < '0' || *s > '9') return false;
        if (frac >= 0) {
            if (frac == scale) continue;   /* digits past the scale are dropped (truncation) */
            frac++;
        }
        v = v * 10 + (unsigned)(*s - '0');
    }
    for (int k = frac < 0 ? 0 : frac; k < scale; k++) v *= 10;
    if (neg) v = ~v + 1;
    for (int k = 0; k < 16; k++) out[k] = (uint8_t)(v >> (8 * k));
    return true;
}

llmd_status dl_colb_append(dl_colb *c, const cJSON *v) {
    bool valid = v != NULL && !cJSON_IsNull(v);
    if (c->type.id == LLMD_TYPE_STRUCT) valid = valid && cJSON_IsObject(v);
    llmd_status st = LLMD_OK;
    int64_t i = 0;
    bool ok = true;
    switch (c->type.id) {
    case LLMD_TYPE_BOOL:
        st = set_bit(&c->values, c->len, valid && cJSON_IsTrue(v));
        break;
    case LLMD_TYPE_INT8: case LLMD_TYPE_UINT8:
    case LLMD_TYPE_INT16: case LLMD_TYPE_UINT16:
    case LLMD_TYPE_INT32: case LLMD_TYPE_UINT32:
    case LLMD_TYPE_DATE: {
        if (valid && c->type.id == LLMD_TYPE_DATE) ok = cJSON_IsString(v) ? parse_date(v->valuestring, &i) : int_of(v, &i);
        else if (valid) ok = int_of(v, &i);
        int w = (c->type.id == LLMD_TYPE_INT8 || c->type.id == LLMD_TYPE_UINT8) ? 1
                : (c->type.id == LLMD_TYPE_INT16 || c->type.id == LLMD_TYPE_UINT16) ? 2 : 4;
        uint8_t b[4];
        for (int k = 0; k < w; k++) b[k] = (uint8_t)((uint64_t)i >> (8 * k));
        st = llmd_buf_append(&c->values, b, (size_t)w);
        break;
    }
    case LLMD_TYPE_INT64: case LLMD_TYPE_UINT64:
        if (valid) ok = int_of(v, &i);
        st = llmd_buf_append(&c->values, &i, 8);
        break;
    case LLMD_TYPE_TIMESTAMP:
    case LLMD_TYPE_TIME:
        if (valid) ok = cJSON_IsString(v) ? dl_parse_ts(v->valuestring, c->type.unit, &i) : int_of(v, &i);
        if (c->type.id == LLMD_TYPE_TIME && c->type.unit == LLMD_TIME_MILLIS) {
            int32_t x = (int32_t)i;
            st = llmd_buf_append(&c->values, &x, 4);
        } else {
            st = llmd_buf_append(&c->values, &i, 8);
        }
        break;
    case LLMD_TYPE_FLOAT: {
        float f = valid ? (float)num_of(v, &ok) : 0.0f;
        st = llmd_buf_append(&c->values, &f, 4);
        break;
    }
    case LLMD_TYPE_DOUBLE: {
        double d = valid ? num_of(v, &ok) : 0.0;
        st = llmd_buf_append(&c->values, &d, 8);
        break;
    }
    case LLMD_TYPE_DECIMAL: {
        uint8_t b[16] = {0};
        if (valid) {
            char *p = (cJSON_IsRaw(v) || cJSON_IsString(v)) ? NULL : cJSON_PrintUnformatted(v);
            ok = parse_decimal(p ? p : v->valuestring, c->type.scale, b);
            cJSON_free(p);
        }
        st = llmd_buf_append(&c->values, b, 16);
        break;
    }
    case LLMD_TYPE_FIXED_BINARY: case LLMD_TYPE_UUID: {
        size_t w = c->type.id == LLMD_TYPE_UUID ? 16 : (size_t)c->type.byte_width;
        for (size_t k = 0; k < w && st == LLMD_OK; k++) st = llmd_buf_putc(&c->values, 0);
        break;
    }
    case LLMD_TYPE_STRING: case LLMD_TYPE_BINARY: {
        const char *s = valid && cJSON_IsString(v) ? v->valuestring : NULL;
        char *printed = NULL;
        if (valid && s == NULL) s = printed = cJSON_PrintUnformatted(v);   /* a non-string where one belongs */
        size_t n = s ? strlen(s) : 0;
        if (s) st = llmd_buf_append(&c->values, s, n);
        cJSON_free(printed);
        if (st == LLMD_OK) st = push_offset(c, last_offset(c) + (int32_t)n);
        break;
    }
    case LLMD_TYPE_STRUCT:
        for (size_t k = 0; st == LLMD_OK && k < c->n_children; k++) {
            const char *name = llmd_schema_name(c->schema, c->children[k].field);
            st = dl_colb_append(&c->children[k], valid ? cJSON_GetObjectItemCaseSensitive(v, name) : NULL);
        }
        break;
    case LLMD_TYPE_LIST: {
        int32_t n = 0;
        const cJSON *e;
        if (valid && cJSON_IsArray(v))
            cJSON_ArrayForEach(e, v) {
                if ((st = dl_colb_append(&c->children[0], e)) != LLMD_OK) break;
                n++;
            }
        if (st == LLMD_OK) st = push_offset(c, last_offset(c) + n);
        break;
    }
    case LLMD_TYPE_MAP: {
        int32_t n = 0;
        const cJSON *e;
        if (valid && cJSON_IsObject(v))
            cJSON_ArrayForEach(e, v) {
                cJSON *key = cJSON_CreateString(e->string ? e->string : "");
                if (key == NULL) { st = llmd_fail_nomem("building columns"); break; }
                st = dl_colb_append(&c->children[0], key);
                cJSON_Delete(key);
                if (st == LLMD_OK) st = dl_colb_append(&c->children[1], e);
                if (st != LLMD_OK) break;
                n++;
            }
        if (st == LLMD_OK) st = push_offset(c, last_offset(c) + n);
        break;
    }
    }
    if (st == LLMD_OK && valid && !ok)
        return llmd_fail(LLMD_ERR_SCHEMA, "column '%s': value does not fit its type", llmd_schema_name(c->schema, c->field));
    if (st == LLMD_OK) st = set_bit(&c->validity, c->len, valid);
    if (st == LLMD_OK) c->len++;
    return st;
}

llmd_status dl_colb_build(dl_colb *c, llmd_column *out) {
    memset(out, 0, sizeof *out);
    out->length = c->len;
    out->validity = (const uint8_t *)c->validity.data;
    if (c->type.id == LLMD_TYPE_STRING || c->type.id == LLMD_TYPE_BINARY || c->type.id == LLMD_TYPE_LIST ||
        c->type.id == LLMD_TYPE_MAP)
        out->offsets = c->offsets.data;
    out->values = c->values.data ? c->values.data : "";
    if (c->n_children) {
        llmd_free(c->kids);
        c->kids = llmd_calloc(c->n_children, sizeof *c->kids);
        if (c->kids == NULL) return llmd_fail_nomem("building columns");
        for (size_t k = 0; k < c->n_children; k++) {
            llmd_status st = dl_colb_build(&c->children[k], &c->kids[k]);
            if (st != LLMD_OK) return st;
        }
        out->children = c->kids;
        out->n_children = c->n_children;
    }
    return LLMD_OK;
}
