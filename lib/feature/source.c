/* A view's source rows: read (JSONL), typed by the view's schema, sorted by (key, event time,
 * created time, source order) and indexed by key. */
#include <math.h>
#include <stdlib.h>

#include "common/json.h"
#include "feature/feature_internal.h"
#include "llmdata/io.h"

/* ---- timestamps ---------------------------------------------------------------------------- */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    /* Howard Hinnant's algorithm: days since 1970-01-01 in the proleptic Gregorian calendar. */
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, size_t at, size_t k, int *out) {
    if (at + k > n) return false;
    int v = 0;
    for (size_t i = 0; i < k; i++) {
        if (s[at + i] < '0' || s[at + i] > '9') return false;
        v = v * 10 + (s[at + i] - '0');
    }
    *out = v;
    return true;
}

llmd_status llmd_parse_timestamp(const char *s, size_t n, int64_t *out_us) {
    if (s == NULL || out_us == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parse_timestamp: NULL argument");
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, se = 0;
    size_t i = 0;
    bool ok = digits(s, n, 0, 4, &y) && n > 4 && s[4] == '-' && digits(s, n, 5, 2, &mo) && n > 7 && s[7] == '-' &&
              digits(s, n, 8, 2, &d);
    i = 10;
    int64_t frac_us = 0;
    if (ok && i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        ok = digits(s, n, i + 1, 2, &h) && i + 3 < n && s[i + 3] == ':' && digits(s, n, i + 4, 2, &mi);
        i += 6;
        if (ok && i < n && s[i] == ':') {
            ok = digits(s, n, i + 1, 2, &se);
            i += 3;
            if (ok && i < n && (s[i] == '.' || s[i] == ',')) {
                size_t k = 0;
                int64_t scale = 100000;
                for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, k++) {
                    if (k < 6) frac_us += (s[i] - '0') * scale;
                    scale /= 10;
                }
                ok = k > 0;
            }
        }
    }
    int64_t offset_s = 0;
    if (ok && i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int oh = 0, om = 0;
            ok = digits(s, n, i + 1, 2, &oh);
            size_t j = i + 3;
            if (ok && j < n && s[j] == ':') j++;
            if (ok && j < n) {
                ok = digits(s, n, j, 2, &om);
                j += 2;
            }
            ok = ok && j == n && oh <= 23 && om <= 59;
            offset_s = (s[i] == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
            i = j;
        } else {
            ok = false;
        }
    }
    if (ok) ok = i == n && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && se <= 60;
    if (ok) {
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        ok = d <= mdays[mo - 1] && !(mo == 2 && d == 29 && !leap);
    }
    if (!ok)
        return llmd_fail(LLMD_ERR_PARSE, "timestamp \"%.*s\" is not ISO 8601 (YYYY-MM-DD[THH:MM[:SS[.ffffff]]][Z|+HH:MM])",
                         (int)(n > 64 ? 64 : n), s);
    int64_t secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se - offset_s;
    *out_us = secs * 1000000 + frac_us;
    return LLMD_OK;
}

/* A timestamp field: ISO 8601 string or integer epoch microseconds. */
static llmd_status json_time(const cJSON *v, const char *what, const char *field, int64_t *out) {
    if (cJSON_IsString(v)) {
        llmd_status st = llmd_parse_timestamp(v->valuestring, strlen(v->valuestring), out);
        return st == LLMD_OK ? st : llmd_error_prefix("%s: field \"%s\"", what, field);
    }
    if (cJSON_IsNumber(v)) return llmd_json_number_int(v, what, field, INT64_MIN / 2, INT64_MAX / 2, out);
    if (v == NULL) return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" (a timestamp) is missing", what, field);
    return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" must be an ISO 8601 string or epoch microseconds, not %s", what,
                     field, llmd_json_type_name(v));
}

/* ---- keys ---------------------------------------------------------------------------------- */
llmd_status feat_key_put_int(llmd_buf *b, int64_t v) {
    uint8_t t[9] = {'i'};
    llmd_store_le64(t + 1, (uint64_t)v);
    return llmd_buf_append(b, t, sizeof t);
}

llmd_status feat_key_put_str(llmd_buf *b, const char *s, size_t n) {
    if (n > UINT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "a join key of %zu bytes", n);
    uint8_t t[5] = {'s'};
    llmd_store_le32(t + 1, (uint32_t)n);
    llmd_status st = llmd_buf_append(b, t, sizeof t);
    return st == LLMD_OK ? llmd_buf_append(b, s, n) : st;
}

uint64_t feat_key_hash(const char *key, size_t len) { return llmd_hash64(key, len, 0x6665617475726573ULL); }

/* ---- table growth ---------------------------------------------------------------------------- */
static llmd_status grow(ftable *t) {
    size_t nc = t->cap ? t->cap * 2 : 1024;
    if (nc > UINT32_MAX - 1) return llmd_fail(LLMD_ERR_RANGE, "a feature source of more than 2^32 rows");
#define GROW(p, sz) do { void *q = llmd_realloc(p, t->cap * (sz), nc * (sz)); if (!q) return llmd_fail_nomem("reading a feature source"); p = q; } while (0)
    void *ko = llmd_realloc(t->key_off, (t->cap + 1) * sizeof *t->key_off, (nc + 1) * sizeof *t->key_off);
    if (ko == NULL) return llmd_fail_nomem("reading a feature source");
    t->key_off = ko;
    GROW(t->key_hash, sizeof *t->key_hash);
    GROW(t->ts, sizeof *t->ts);
    GROW(t->created, sizeof *t->created);
    for (size_t c = 0; c < t->n_cols; c++) {
        fcol *f = &t->cols[c];
        GROW(f->valid, 1);
        size_t w = feat_width(f->dtype, f->veclen);
        if (w) {
            GROW(f->vals, w);
        } else {
            void *q = llmd_realloc(f->offs, (t->cap + 1) * sizeof *f->offs, (nc + 1) * sizeof *f->offs);
            if (q == NULL) return llmd_fail_nomem("reading a feature source");
            f->offs = q;
        }
    }
#undef GROW
    t->cap = nc;
    return LLMD_OK;
}

static int b64val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Standard or URL-safe base64, padding optional. */
static llmd_status put_base64(llmd_buf *out, const char *s, const char *what, const char *field) {
    uint32_t acc = 0;
    int bits = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '=') break;
        int v = b64val(*p);
        if (v < 0) return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" (Bytes) is not base64", what, field);
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            llmd_status st = llmd_buf_putc(out, (char)((acc >> bits) & 0xFF));
            if (st != LLMD_OK) return st;
        }
    }
    return LLMD_OK;
}

static llmd_status put_value(fcol *f, size_t row, const cJSON *v, const char *what, const char *field) {
    size_t w = feat_width(f->dtype, f->veclen);
    f->valid[row] = 0;
    if (w) memset((char *)f->vals + row * w, 0, w);
    else f->offs[row + 1] = (int64_t)f->blob.len;
    if (v == NULL || cJSON_IsNull(v)) return LLMD_OK;
    char *slot = w ? (char *)f->vals + row * w : NULL;
    llmd_status st = LLMD_OK;
    switch (f->dtype) {
    case LLMD_FEATURE_INT64: {
        int64_t x;
        if ((st = llmd_json_number_int(v, what, field, INT64_MIN / 2, INT64_MAX / 2, &x)) != LLMD_OK) return st;
        memcpy(slot, &x, 8);
        break;
    }
    case LLMD_FEATURE_FLOAT32: case LLMD_FEATURE_FLOAT64:
        if (!cJSON_IsNumber(v))
            return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" must be a number, not %s", what, field, llmd_json_type_name(v));
        if (f->dtype == LLMD_FEATURE_FLOAT32) {
            float x = (float)v->valuedouble;
            memcpy(slot, &x, 4);
        } else {
            memcpy(slot, &v->valuedouble, 8);
        }
        break;
    case LLMD_FEATURE_BOOL:
        if (!cJSON_IsBool(v))
            return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" must be true or false, not %s", what, field, llmd_json_type_name(v));
        *slot = cJSON_IsTrue(v) ? 1 : 0;
        break;
    case LLMD_FEATURE_FLOAT32_VECTOR: {
        if (!cJSON_IsArray(v) || (uint32_t)cJSON_GetArraySize(v) != f->veclen)
            return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" must be an array of %u numbers", what, field, f->veclen);
        uint32_t k = 0;
        for (const cJSON *e = v->child; e; e = e->next, k++) {
            if (!cJSON_IsNumber(e))
                return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" element %u is not a number", what, field, k);
            float x = (float)e->valuedouble;
            memcpy(slot + 4 * k, &x, 4);
        }
        break;
    }
    case LLMD_FEATURE_STRING:
    case LLMD_FEATURE_BYTES:
        if (!cJSON_IsString(v))
            return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" must be a string, not %s", what, field, llmd_json_type_name(v));
        st = f->dtype == LLMD_FEATURE_STRING ? llmd_buf_puts(&f->blob, v->valuestring)
                                             : put_base64(&f->blob, v->valuestring, what, field);
        if (st != LLMD_OK) return st;
        f->offs[row + 1] = (int64_t)f->blob.len;
        break;
    }
    f->valid[row] = 1;
    return LLMD_OK;
}

/* Appends one source row (a parsed JSON object). */
/* Bytes a row takes besides its key and variable-width values. */
static size_t row_fixed_bytes(const ftable *t) {
    size_t b = 8 + 8 + 8 + 8;   /* key_off, key_hash, ts, created */
    for (size_t c = 0; c < t->n_cols; c++) {
        size_t w = feat_width(t->cols[c].dtype, t->cols[c].veclen);
        b += 1 + (w ? w : 8);
    }
    return b;
}

llmd_status ftable_begin_row(ftable *t) {
    if (t->sink != NULL && t->n > 0 && t->used_bytes >= t->sink_bytes) {
        llmd_status st = t->sink(t->sink_ctx, t);
        if (st != LLMD_OK) return st;
        t->used_bytes = 0;
    }
    return t->n == t->cap ? grow(t) : LLMD_OK;
}

void ftable_end_row(ftable *t, size_t key_start) {
    if (t->sink != NULL) {
        /* Only bounded reads pay for the estimate: fixed bytes plus this row's key and values. */
        size_t var = t->keys.len - key_start;
        for (size_t c = 0; c < t->n_cols; c++)
            if (t->cols[c].offs) var += (size_t)(t->cols[c].offs[t->n + 1] - t->cols[c].offs[t->n]);
        t->used_bytes += row_fixed_bytes(t) + var;
    }
    t->key_off[t->n + 1] = t->keys.len;
    t->key_hash[t->n] = feat_key_hash(t->keys.data + key_start, t->keys.len - key_start);
    t->n++;
}

static llmd_status add_row(const fview *v, ftable *t, const cJSON *doc, const char *what) {
    llmd_status st = ftable_begin_row(t);
    if (st != LLMD_OK) return st;
    size_t row = t->n;
    size_t key_start = t->keys.len;
    for (size_t k = 0; k < v->n_keys && st == LLMD_OK; k++) {
        const cJSON *kv = llmd_json_field(doc, v->key_names[k]);
        int want = t->key_is_string[k];
        if (cJSON_IsString(kv) && want != 0) {
            t->key_is_string[k] = 1;
            st = feat_key_put_str(&t->keys, kv->valuestring, strlen(kv->valuestring));
        } else if (cJSON_IsNumber(kv) && want != 1) {
            int64_t x;
            st = llmd_json_number_int(kv, what, v->key_names[k], INT64_MIN / 2, INT64_MAX / 2, &x);
            if (st == LLMD_OK) {
                t->key_is_string[k] = 0;
                st = feat_key_put_int(&t->keys, x);
            }
        } else {
            st = llmd_fail(LLMD_ERR_PARSE, "%s: join key \"%s\" must be %s, not %s", what, v->key_names[k],
                           want == 1 ? "a string" : want == 0 ? "an integer" : "a string or an integer",
                           llmd_json_type_name(kv));
        }
    }
    if (st == LLMD_OK) st = json_time(llmd_json_field(doc, v->ts_field), what, v->ts_field, &t->ts[row]);
    t->created[row] = FEAT_NO_TIME;
    if (st == LLMD_OK && v->created_field) {
        const cJSON *c = llmd_json_field(doc, v->created_field);
        if (c != NULL && !cJSON_IsNull(c)) st = json_time(c, what, v->created_field, &t->created[row]);
    }
    for (size_t c = 0; c < t->n_cols && st == LLMD_OK; c++)
        st = put_value(&t->cols[c], row, llmd_json_field(doc, v->feat_names[c]), what, v->feat_names[c]);
    if (st != LLMD_OK) {
        t->keys.len = key_start;
        return st;
    }
    ftable_end_row(t, key_start);
    return LLMD_OK;
}

llmd_status feat_table_init(const fview *v, ftable *t) {
    memset(t, 0, sizeof *t);
    t->cols = llmd_calloc(v->n_feat, sizeof *t->cols);
    if (t->cols == NULL) return llmd_fail_nomem("reading a feature source");
    t->n_cols = v->n_feat; /* only once cols exists: ftable_free walks n_cols of them */
    for (size_t c = 0; c < v->n_feat; c++) {
        t->cols[c].dtype = v->dtypes[c];
        t->cols[c].veclen = v->veclen[c];
    }
    for (size_t k = 0; k < v->n_keys; k++) t->key_is_string[k] = v->key_is_string[k];
    t->source_version = -1;
    llmd_status st = grow(t);
    if (st != LLMD_OK) return st;
    t->key_off[0] = 0;
    for (size_t c = 0; c < v->n_feat; c++)
        if (t->cols[c].offs) t->cols[c].offs[0] = 0;
    return LLMD_OK;
}

static size_t prefix_len(const char *path) { return strlen(path) + 1; }   /* "path:" */

llmd_status feat_load_source(const fview *v, ftable *t, const feat_sink *sink) {
    llmd_status st = feat_table_init(v, t);
    if (sink != NULL) {
        t->sink = sink->fn;
        t->sink_ctx = sink->ctx;
        t->sink_bytes = sink->bytes;
    }
    if (st == LLMD_OK && v->source_kind != FEAT_SRC_JSONL) {
        st = feat_load_parquet_source(v, t);
        if (st != LLMD_OK) {
            llmd_error_prefix("view %s: source", v->name);
            ftable_free(t);
        }
        return st;
    }
    llmd_reader *r = NULL;
    if (st == LLMD_OK) st = llmd_reader_open(&r, v->source_path, NULL);
    if (st != LLMD_OK) {
        llmd_error_prefix("view %s: source", v->name);
        llmd_reader_free(r);
        ftable_free(t);
        return st;
    }
    llmd_buf what = LLMD_BUF_INIT;
    for (;;) {
        const char *line;
        size_t len;
        if ((st = llmd_reader_next_line(r, &line, &len)) != LLMD_OK || line == NULL) break;
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == len) continue;
        /* "path:line" for messages, without a printf per row (it showed in profiles). */
        if (what.len == 0 && (st = llmd_buf_printf(&what, "%s:", v->source_path)) != LLMD_OK) break;
        what.len = prefix_len(v->source_path);
        char digits[24];
        size_t nd = 0;
        for (unsigned long long ln = (unsigned long long)llmd_reader_line_number(r); ln || nd == 0; ln /= 10)
            digits[nd++] = (char)('0' + ln % 10);
        while (nd && st == LLMD_OK) st = llmd_buf_putc(&what, digits[--nd]);
        if (st != LLMD_OK) break;
        cJSON *doc;
        if ((st = llmd_json_parse_object(line, len, what.data, &doc)) != LLMD_OK) break;
        st = add_row(v, t, doc, what.data);
        cJSON_Delete(doc);
        if (st != LLMD_OK) break;
    }
    llmd_buf_free(&what);
    llmd_reader_free(r);
    if (st != LLMD_OK) ftable_free(t);
    return st;
}

void ftable_free(ftable *t) {
    llmd_buf_free(&t->keys);
    llmd_free(t->key_off);
    llmd_free(t->key_hash);
    llmd_free(t->ts);
    llmd_free(t->created);
    for (size_t c = 0; c < t->n_cols; c++) {
        llmd_free(t->cols[c].valid);
        llmd_free(t->cols[c].vals);
        llmd_free(t->cols[c].offs);
        llmd_buf_free(&t->cols[c].blob);
    }
    llmd_free(t->cols);
    llmd_free(t->order);
    llmd_free(t->sorted_ts);
    llmd_free(t->group_begin);
    llmd_free(t->slots);
    memset(t, 0, sizeof *t);
}

/* ---- sorting and the key index --------------------------------------------------------------- */
static int key_cmp(const ftable *t, uint32_t a, uint32_t b) {
    if (t->key_hash[a] != t->key_hash[b]) return t->key_hash[a] < t->key_hash[b] ? -1 : 1;
    size_t la = t->key_off[a + 1] - t->key_off[a], lb = t->key_off[b + 1] - t->key_off[b];
    int c = memcmp(t->keys.data + t->key_off[a], t->keys.data + t->key_off[b], la < lb ? la : lb);
    if (c != 0) return c;
    return la == lb ? 0 : la < lb ? -1 : 1;
}

static int row_cmp(const void *pa, const void *pb, void *ctx) {
    uint32_t a = *(const uint32_t *)pa, b = *(const uint32_t *)pb;
    const ftable *t = ctx;
    int c = key_cmp(t, a, b);
    if (c != 0) return c;
    if (t->ts[a] != t->ts[b]) return t->ts[a] < t->ts[b] ? -1 : 1;
    if (t->created[a] != t->created[b]) return t->created[a] < t->created[b] ? -1 : 1;
    return a < b ? -1 : a > b;   /* source order: the later row sorts last and wins ties */
}

/* Sort records: integers only, so the sort never chases key bytes; rows of one key are
 * together because their hashes are equal. */
typedef struct srow {
    uint64_t hash;
    int64_t ts, created;
    uint32_t idx;
} srow;

static int srow_cmp(const void *pa, const void *pb) {
    const srow *a = pa, *b = pb;
    if (a->hash != b->hash) return a->hash < b->hash ? -1 : 1;
    if (a->ts != b->ts) return a->ts < b->ts ? -1 : 1;
    if (a->created != b->created) return a->created < b->created ? -1 : 1;
    return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* Sorts by (hash, ts, created, idx): an LSD radix sort on the hash (16-bit digits; stable, so rows
 * of one hash keep source order), then each run of one hash -- one key's rows, usually few -- by
 * the rest.  Small tables, or no memory for the radix buffers, take qsort (same order). */
static void sort_srows(srow *sr, size_t n) {
    enum { DIGITS = 4, BUCKETS = 1 << 16 };
    srow *tmp = n >= 4096 ? llmd_malloc(n * sizeof *tmp) : NULL;
    uint32_t *count = tmp ? llmd_calloc((size_t)DIGITS * BUCKETS, sizeof *count) : NULL;
    if (count == NULL) {
        llmd_free(tmp);
        qsort(sr, n, sizeof *sr, srow_cmp);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < DIGITS; d++) count[d * BUCKETS + (sr[i].hash >> (16 * d) & 0xFFFF)]++;
    srow *from = sr, *to = tmp;
    for (int d = 0; d < DIGITS; d++) {
        uint32_t *c = count + (size_t)d * BUCKETS;
        if (c[from[0].hash >> (16 * d) & 0xFFFF] == n) continue;   /* one bucket: nothing moves */
        uint32_t sum = 0;
        for (size_t b = 0; b < BUCKETS; b++) {
            uint32_t k = c[b];
            c[b] = sum;
            sum += k;
        }
        for (size_t i = 0; i < n; i++) to[c[from[i].hash >> (16 * d) & 0xFFFF]++] = from[i];
        srow *x = from;
        from = to;
        to = x;
    }
    if (from != sr) memcpy(sr, from, n * sizeof *sr);
    llmd_free(count);
    llmd_free(tmp);
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && sr[b].hash == sr[a].hash; b++) {}
        if (b - a > 16) {
            qsort(sr + a, b - a, sizeof *sr, srow_cmp);
            continue;
        }
        for (size_t i = a + 1; i < b; i++) {   /* insertion sort */
            srow x = sr[i];
            size_t j = i;
            for (; j > a && srow_cmp(&sr[j - 1], &x) > 0; j--) sr[j] = sr[j - 1];
            sr[j] = x;
        }
    }
}

llmd_status ftable_index(ftable *t) {
    t->order = llmd_malloc((t->n ? t->n : 1) * sizeof *t->order);
    srow *sr = llmd_malloc((t->n ? t->n : 1) * sizeof *sr);
    if (t->order == NULL || sr == NULL) {
        llmd_free(sr);
        return llmd_fail_nomem("sorting a feature source");
    }
    for (size_t i = 0; i < t->n; i++) sr[i] = (srow){t->key_hash[i], t->ts[i], t->created[i], (uint32_t)i};
    sort_srows(sr, t->n);
    for (size_t i = 0; i < t->n; i++) t->order[i] = sr[i].idx;
    llmd_free(sr);
    /* Two different keys with one 64-bit hash (rare) interleave: such a run is re-sorted by the
     * full comparison, which orders by key bytes after the hash. */
    for (size_t a = 0, b; a < t->n; a = b) {
        bool mixed = false;
        for (b = a + 1; b < t->n && t->key_hash[t->order[b]] == t->key_hash[t->order[a]]; b++)
            mixed |= key_cmp(t, t->order[a], t->order[b]) != 0;
        if (mixed) qsort_r(t->order + a, b - a, sizeof *t->order, row_cmp, t);   /* glibc's qsort_r (_GNU_SOURCE) */
    }
    size_t groups = 0;
    for (size_t i = 0; i < t->n; i++)
        if (i == 0 || key_cmp(t, t->order[i - 1], t->order[i]) != 0) groups++;
    t->n_groups = groups;
    t->group_begin = llmd_malloc((groups + 1) * sizeof *t->group_begin);
    t->sorted_ts = llmd_malloc((t->n ? t->n : 1) * sizeof *t->sorted_ts);
    t->n_slots = 16;
    while (t->n_slots < groups * 2) t->n_slots <<= 1;
    t->slots = llmd_calloc(t->n_slots, sizeof *t->slots);
    if (groups >= UINT32_MAX || t->group_begin == NULL || t->slots == NULL || t->sorted_ts == NULL)
        return llmd_fail_nomem("indexing a feature source");
    size_t g = 0;
    for (size_t i = 0; i < t->n; i++) {
        t->sorted_ts[i] = t->ts[t->order[i]];
        if (i == 0 || key_cmp(t, t->order[i - 1], t->order[i]) != 0) {
            t->group_begin[g] = (uint32_t)i;
            uint64_t h = t->key_hash[t->order[i]];
            size_t s = h & (t->n_slots - 1);
            while (t->slots[s].group) s = (s + 1) & (t->n_slots - 1);
            uint32_t row = t->order[i];
            t->slots[s].hash = h;
            t->slots[s].group = (uint32_t)(g + 1);
            t->slots[s].key_off = t->key_off[row];
            t->slots[s].key_len = (uint32_t)(t->key_off[row + 1] - t->key_off[row]);
            g++;
        }
    }
    t->group_begin[groups] = (uint32_t)t->n;
    return LLMD_OK;
}

int64_t ftable_find_group(const ftable *t, const char *key, size_t len, uint64_t hash) {
    if (t->n_groups == 0) return -1;
    for (size_t s = hash & (t->n_slots - 1);; s = (s + 1) & (t->n_slots - 1)) {
        const struct fslot *sl = &t->slots[s];
        if (sl->group == 0) return -1;
        if (sl->hash == hash && sl->key_len == len && memcmp(t->keys.data + sl->key_off, key, len) == 0)
            return (int64_t)sl->group - 1;
    }
}

int64_t ftable_latest(const ftable *t, size_t g, int64_t lo, int64_t hi) {
    /* Rows of the group are sorted by (ts, created, source order): the answer is the last row with
     * ts <= hi, if its ts >= lo. */
    size_t first = t->group_begin[g], a = first, b = t->group_begin[g + 1];
    const int64_t *ts = t->sorted_ts;
    while (a < b) {
        size_t m = a + (b - a) / 2;
        if (ts[m] <= hi) a = m + 1;
        else b = m;
    }
    if (a == first || ts[a - 1] < lo) return -1;
    return (int64_t)t->order[a - 1];
}
