/* Parquet rows as JSON for the CLI: `llmdata parquet head` and Parquet inputs of the JSONL
 * commands.  Dates and timestamps print as ISO 8601, decimals as strings, binary as hex, NaN and
 * infinities as strings, maps with string keys as objects. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

void cli_json_str(FILE *o, const char *s, size_t n) {
    fputc('"', o);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(o, "\\%c", c);
        else if (c == '\n') fputs("\\n", o);
        else if (c == '\t') fputs("\\t", o);
        else if (c == '\r') fputs("\\r", o);
        else if (c < 0x20) fprintf(o, "\\u%04x", c);
        else fputc(c, o);
    }
    fputc('"', o);
}

void cli_json_hex(FILE *o, const uint8_t *p, size_t n) {
    fputc('"', o);
    for (size_t i = 0; i < n; i++) fprintf(o, "%02x", p[i]);
    fputc('"', o);
}


static int valid(const llmd_column *c, int64_t slot) {
    return !c->validity || (c->validity[slot >> 3] >> (slot & 7) & 1);
}

static int64_t off(const llmd_column *c, int64_t slot) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[slot] : ((const int32_t *)c->offsets)[slot];
}

/* Days since 1970-01-01 to y-m-d (proleptic Gregorian; Howard Hinnant's civil_from_days). */
static void civil(int64_t z, int64_t *y, unsigned *m, unsigned *d) {
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static void put_time_of_day(FILE *o, int64_t sub, int64_t per_sec, int digits) {
    int64_t secs = sub / per_sec, frac = sub % per_sec;
    fprintf(o, "%02" PRId64 ":%02" PRId64 ":%02" PRId64, secs / 3600, secs / 60 % 60, secs % 60);
    if (frac) fprintf(o, ".%0*" PRId64, digits, frac);
}

void cli_json_decimal(FILE *o, const uint8_t *le, int scale) {
    __extension__ unsigned __int128 u = 0;
    for (int k = 15; k >= 0; k--) u = u << 8 | le[k];
    int neg = (le[15] & 0x80) != 0;
    if (neg) u = ~u + 1;
    char digits[64];
    int n = 0;
    do {
        digits[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    while (n <= scale) digits[n++] = '0';
    fputc('"', o);
    if (neg) fputc('-', o);
    for (int i = n - 1; i >= 0; i--) {
        fputc(digits[i], o);
        if (i == scale && scale > 0) fputc('.', o);
    }
    fputc('"', o);
}

void cli_json_double(FILE *o, double d) {
    if (isnan(d)) fputs("\"NaN\"", o);
    else if (isinf(d)) fputs(d > 0 ? "\"Infinity\"" : "\"-Infinity\"", o);
    else fprintf(o, "%.17g", d);
}

static void value(FILE *o, const llmd_schema *s, int id, const llmd_column *c, int64_t i) {
    int64_t slot = c->offset + i;
    if (!valid(c, slot)) {
        fputs("null", o);
        return;
    }
    llmd_type t = llmd_schema_type(s, id);
    static const int64_t per_sec[] = {1000, 1000000, 1000000000};
    static const int digits[] = {3, 6, 9};
    switch (t.id) {
    case LLMD_TYPE_BOOL: fputs(((const uint8_t *)c->values)[slot >> 3] >> (slot & 7) & 1 ? "true" : "false", o); break;
    case LLMD_TYPE_INT8: fprintf(o, "%d", ((const int8_t *)c->values)[slot]); break;
    case LLMD_TYPE_INT16: fprintf(o, "%d", ((const int16_t *)c->values)[slot]); break;
    case LLMD_TYPE_INT32: fprintf(o, "%" PRId32, ((const int32_t *)c->values)[slot]); break;
    case LLMD_TYPE_INT64: fprintf(o, "%" PRId64, ((const int64_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT8: fprintf(o, "%u", ((const uint8_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT16: fprintf(o, "%u", ((const uint16_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT32: fprintf(o, "%" PRIu32, ((const uint32_t *)c->values)[slot]); break;
    case LLMD_TYPE_UINT64: fprintf(o, "%" PRIu64, ((const uint64_t *)c->values)[slot]); break;
    case LLMD_TYPE_FLOAT: cli_json_double(o, ((const float *)c->values)[slot]); break;
    case LLMD_TYPE_DOUBLE: cli_json_double(o, ((const double *)c->values)[slot]); break;
    case LLMD_TYPE_DATE: {
        int64_t y;
        unsigned m, d;
        civil(((const int32_t *)c->values)[slot], &y, &m, &d);
        fprintf(o, "\"%04" PRId64 "-%02u-%02u\"", y, m, d);
        break;
    }
    case LLMD_TYPE_TIME: {
        int64_t v = t.unit == LLMD_TIME_MILLIS ? ((const int32_t *)c->values)[slot] : ((const int64_t *)c->values)[slot];
        fputc('"', o);
        put_time_of_day(o, v, per_sec[t.unit], digits[t.unit]);
        fputc('"', o);
        break;
    }
    case LLMD_TYPE_TIMESTAMP: {
        int64_t v = ((const int64_t *)c->values)[slot], ps = per_sec[t.unit];
        int64_t day_len = 86400 * ps;
        int64_t days = v / day_len, sub = v % day_len;
        if (sub < 0) {
            sub += day_len;
            days--;
        }
        int64_t y;
        unsigned m, d;
        civil(days, &y, &m, &d);
        fprintf(o, "\"%04" PRId64 "-%02u-%02uT", y, m, d);
        put_time_of_day(o, sub, ps, digits[t.unit]);
        fputs(t.utc ? "Z\"" : "\"", o);
        break;
    }
    case LLMD_TYPE_DECIMAL: cli_json_decimal(o, (const uint8_t *)c->values + slot * 16, t.scale); break;
    case LLMD_TYPE_UUID: {
        const uint8_t *u = (const uint8_t *)c->values + slot * 16;
        fputc('"', o);
        for (int k = 0; k < 16; k++) fprintf(o, "%s%02x", k == 4 || k == 6 || k == 8 || k == 10 ? "-" : "", u[k]);
        fputc('"', o);
        break;
    }
    case LLMD_TYPE_FIXED_BINARY: cli_json_hex(o, (const uint8_t *)c->values + slot * t.byte_width, (size_t)t.byte_width); break;
    case LLMD_TYPE_STRING: case LLMD_TYPE_BINARY: {
        int64_t a = off(c, slot), b = off(c, slot + 1);
        if (t.id == LLMD_TYPE_STRING) cli_json_str(o, (const char *)c->values + a, (size_t)(b - a));
        else cli_json_hex(o, (const uint8_t *)c->values + a, (size_t)(b - a));
        break;
    }
    case LLMD_TYPE_STRUCT:
        fputc('{', o);
        for (int k = 0; k < llmd_schema_child_count(s, id); k++) {
            int ch = llmd_schema_child(s, id, k);
            if (k) fputc(',', o);
            cli_json_str(o, llmd_schema_name(s, ch), strlen(llmd_schema_name(s, ch)));
            fputc(':', o);
            value(o, s, ch, &c->children[k], slot);
        }
        fputc('}', o);
        break;
    case LLMD_TYPE_LIST: {
        int64_t a = off(c, slot), b = off(c, slot + 1);
        fputc('[', o);
        for (int64_t k = a; k < b; k++) {
            if (k > a) fputc(',', o);
            value(o, s, llmd_schema_child(s, id, 0), &c->children[0], k);
        }
        fputc(']', o);
        break;
    }
    case LLMD_TYPE_MAP: {
        /* a JSON object when keys are strings, else a list of [key, value] pairs */
        int key = llmd_schema_child(s, id, 0), val = llmd_schema_child(s, id, 1);
        int obj = llmd_schema_type(s, key).id == LLMD_TYPE_STRING;
        int64_t a = off(c, slot), b = off(c, slot + 1);
        fputc(obj ? '{' : '[', o);
        for (int64_t k = a; k < b; k++) {
            if (k > a) fputc(',', o);
            if (!obj) fputc('[', o);
            value(o, s, key, &c->children[0], k);
            fputc(obj ? ':' : ',', o);
            value(o, s, val, &c->children[1], k);
            if (!obj) fputc(']', o);
        }
        fputc(obj ? '}' : ']', o);
        break;
    }
    }
}

void cli_parquet_row_json(FILE *o, const llmd_schema *s, const llmd_parquet_batch *b, int64_t row) {
    fputc('{', o);
    for (size_t k = 0; k < llmd_parquet_batch_num_columns(b); k++) {
        int id = llmd_parquet_batch_field(b, k);
        if (k) fputc(',', o);
        cli_json_str(o, llmd_schema_name(s, id), strlen(llmd_schema_name(s, id)));
        fputc(':', o);
        value(o, s, id, llmd_parquet_batch_column(b, k), row);
    }
    fputc('}', o);
}
