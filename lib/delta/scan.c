/* Scans: a snapshot's rows — data files read with the Parquet reader, partition values added as
 * typed columns, deletion vectors applied, column mapping resolved — written as JSON lines,
 * streamed one row group at a time. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "delta/delta_internal.h"
#include "delta/table_internal.h"
#include "delta/values.h"

/* ---- deletion vectors (PROTOCOL.md "Deletion Vector Format") ---------------------------------------- */
static const char k_z85[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/* Z85 text (length a multiple of 5) -> bytes (4 per 5 characters). */
static llmd_status z85_decode(const char *s, size_t n, uint8_t **out, size_t *out_len) {
    if (n % 5 != 0) return llmd_fail(LLMD_ERR_PARSE, "deletion vector: Z85 text of %zu characters (not a multiple of 5)", n);
    uint8_t *b = llmd_malloc(n / 5 * 4 + 1);
    if (b == NULL) return llmd_fail_nomem("decoding a deletion vector");
    for (size_t i = 0; i < n; i += 5) {
        uint64_t v = 0;
        for (size_t k = 0; k < 5; k++) {
            const char *p = s[i + k] ? strchr(k_z85, s[i + k]) : NULL;
            if (p == NULL) { llmd_free(b); return llmd_fail(LLMD_ERR_PARSE, "deletion vector: '%c' is not Z85", s[i + k]); }
            v = v * 85 + (uint64_t)(p - k_z85);
        }
        if (v > UINT32_MAX) { llmd_free(b); return llmd_fail(LLMD_ERR_PARSE, "deletion vector: Z85 group out of range"); }
        for (int k = 0; k < 4; k++) b[i / 5 * 4 + (size_t)k] = (uint8_t)(v >> (24 - 8 * k));
    }
    *out = b;
    *out_len = n / 5 * 4;
    return LLMD_OK;
}

typedef struct dv_set { uint64_t *rows; size_t n, cap; } dv_set;

static llmd_status dv_push(dv_set *d, uint64_t v) {
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 256;
        uint64_t *p = llmd_realloc(d->rows, d->cap * sizeof *p, nc * sizeof *p);
        if (p == NULL) return llmd_fail_nomem("reading a deletion vector");
        d->rows = p;
        d->cap = nc;
    }
    d->rows[d->n++] = v;
    return LLMD_OK;
}

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

/* One portable 32-bit Roaring bitmap (CRoaring's serialization) at p[0..n); rows get `high` << 32. */
static llmd_status roaring32(const uint8_t *p, size_t n, uint64_t high, dv_set *d, size_t *used) {
    size_t pos = 0;
#define NEED(k) do { if (pos + (k) > n) return llmd_fail(LLMD_ERR_CORRUPT, "deletion vector: Roaring bitmap truncated"); } while (0)
    NEED(4);
    uint32_t cookie = llmd_load_le32(p);
    pos = 4;
    uint32_t size;
    const uint8_t *runs = NULL;
    bool has_offsets;
    if ((cookie & 0xFFFF) == 12347) {
        size = (cookie >> 16) + 1;
        NEED((size + 7) / 8);
        runs = p + pos;
        pos += (size + 7) / 8;
        has_offsets = size >= 4;
    } else if (cookie == 12346) {
        NEED(4);
        size = llmd_load_le32(p + pos);
        pos += 4;
        has_offsets = true;
    } else {
        return llmd_fail(LLMD_ERR_CORRUPT, "deletion vector: bad Roaring cookie %u", cookie);
    }
    if (size > 65536) return llmd_fail(LLMD_ERR_CORRUPT, "deletion vector: %u Roaring containers", size);
    NEED((size_t)size * 4);
    const uint8_t *hdr = p + pos;
    pos += (size_t)size * 4;
    if (has_offsets) { NEED((size_t)size * 4); pos += (size_t)size * 4; }
    for (uint32_t c = 0; c < size; c++) {
        uint64_t key = le16(hdr + 4 * c), card = (uint64_t)le16(hdr + 4 * c + 2) + 1;
        uint64_t base = (high << 32) | (key << 16);
        llmd_status st = LLMD_OK;
        if (runs && (runs[c / 8] >> (c % 8) & 1)) {
            NEED(2);
            uint16_t nr = le16(p + pos);
            pos += 2;
            NEED((size_t)nr * 4);
            for (uint16_t r = 0; r < nr && st == LLMD_OK; r++) {
                uint32_t start = le16(p + pos + 4 * r), len = (uint32_t)le16(p + pos + 4 * r + 2) + 1;
                for (uint32_t k = 0; k < len && st == LLMD_OK; k++) st = dv_push(d, base + start + k);
            }
            pos += (size_t)nr * 4;
        } else if (card <= 4096) {
            NEED((size_t)card * 2);
            for (uint64_t k = 0; k < card && st == LLMD_OK; k++) st = dv_push(d, base + le16(p + pos + 2 * k));
            pos += (size_t)card * 2;
        } else {
            NEED(8192);
            for (uint32_t k = 0; k < 65536 && st == LLMD_OK; k++)
                if (p[pos + k / 8] >> (k % 8) & 1) st = dv_push(d, base + k);
            pos += 8192;
        }
        if (st != LLMD_OK) return st;
    }
#undef NEED
    *used = pos;
    return LLMD_OK;
}

/* magic 1681511377 (LE) + RoaringBitmapArray: uint64 count, then per bitmap uint32 key + bitmap. */
static llmd_status parse_dv_bytes(const uint8_t *p, size_t n, dv_set *d) {
    if (n < 12 || llmd_load_le32(p) != 1681511377u)
        return llmd_fail(LLMD_ERR_CORRUPT, "deletion vector: bad magic");
    uint64_t count = llmd_load_le64(p + 4);
    size_t pos = 12;
    for (uint64_t i = 0; i < count; i++) {
        if (pos + 4 > n) return llmd_fail(LLMD_ERR_CORRUPT, "deletion vector: truncated bitmap array");
        uint32_t key = llmd_load_le32(p + pos);
        size_t used = 0;
        llmd_status st = roaring32(p + pos + 4, n - pos - 4, key, d, &used);
        if (st != LLMD_OK) return st;
        pos += 4 + used;
    }
    return LLMD_OK;
}

static int u64_cmp(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Path of the file holding a deletion vector stored as 'u' (<table>/<prefix>/deletion_vector_<uuid>.bin;
 * relative to the table when table is NULL) or 'p' (absolute URI); *out = NULL for inline ('i')
 * vectors.  Free with llmd_free. */
llmd_status dl_dv_path(const char *table, const cJSON *dv, char **out) {
    *out = NULL;
    const char *type = dl_get_str(dv, "storageType"), *pd = dl_get_str(dv, "pathOrInlineDv");
    if (!type || !pd) return llmd_fail(LLMD_ERR_PARSE, "deletionVector without storageType/pathOrInlineDv");
    if (strcmp(type, "i") == 0) return LLMD_OK;
    if (strcmp(type, "p") == 0) {
        *out = dl_path_decode(pd);
        return *out ? LLMD_OK : llmd_fail_nomem("deletion vector path");
    }
    if (strcmp(type, "u") != 0) return llmd_fail(LLMD_ERR_UNSUPPORTED, "deletion vector storage type '%s'", type);
    size_t n = strlen(pd);
    if (n < 20) return llmd_fail(LLMD_ERR_PARSE, "deletionVector path '%s' too short", pd);
    uint8_t *u = NULL;
    size_t ul;
    llmd_status st = z85_decode(pd + n - 20, 20, &u, &ul);
    if (st != LLMD_OK) return st;
    llmd_buf b = LLMD_BUF_INIT;
    st = llmd_buf_printf(&b, "%s%s%.*s%sdeletion_vector_%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x.bin",
                         table ? table : "", table ? "/" : "", (int)(n - 20), pd, n > 20 ? "/" : "", u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8],
                         u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    llmd_free(u);
    if (st != LLMD_OK) { llmd_buf_free(&b); return st; }
    *out = llmd_buf_detach(&b, NULL);
    return LLMD_OK;
}

/* The deleted row indexes of a file (sorted), from its deletionVector descriptor. */
static llmd_status load_dv(const char *table, const cJSON *dv, dv_set *d) {
    const char *type = dl_get_str(dv, "storageType"), *pd = dl_get_str(dv, "pathOrInlineDv");
    int64_t off = 0, size = 0;
    dl_get_i64(dv, "offset", &off);
    dl_get_i64(dv, "sizeInBytes", &size);
    if (!type || !pd) return llmd_fail(LLMD_ERR_PARSE, "deletionVector without storageType/pathOrInlineDv");
    uint8_t *bytes = NULL;
    size_t len = 0;
    llmd_status st;
    if (strcmp(type, "i") == 0) {
        st = z85_decode(pd, strlen(pd), &bytes, &len);
        if (st == LLMD_OK && size > 0 && (size_t)size < len) len = (size_t)size;
        if (st == LLMD_OK) st = parse_dv_bytes(bytes, len, d);
    } else if (strcmp(type, "u") == 0 || strcmp(type, "p") == 0) {
        char *dvp = NULL;
        if ((st = dl_dv_path(table, dv, &dvp)) != LLMD_OK) return st;
        char path[4096];
        snprintf(path, sizeof path, "%s", dvp);
        llmd_free(dvp);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) return llmd_fail(LLMD_ERR_NOT_FOUND, "deletion vector file %s: %s", path, strerror(errno));
        uint8_t hdr[4];
        /* at `offset`: big-endian size of the bitmap data, the data, then its CRC-32 */
        if (pread(fd, hdr, 4, off) != 4) { close(fd); return llmd_fail(LLMD_ERR_CORRUPT, "%s: truncated at %lld", path, (long long)off); }
        len = (size_t)hdr[0] << 24 | (size_t)hdr[1] << 16 | (size_t)hdr[2] << 8 | hdr[3];
        if (len > (1u << 30)) { close(fd); return llmd_fail(LLMD_ERR_RANGE, "%s: deletion vector of %zu bytes", path, len); }
        bytes = llmd_malloc(len + 1);
        if (!bytes) { close(fd); return llmd_fail_nomem("reading a deletion vector"); }
        ssize_t got = pread(fd, bytes, len, off + 4);
        close(fd);
        st = got == (ssize_t)len ? parse_dv_bytes(bytes, len, d)
                                 : llmd_fail(LLMD_ERR_CORRUPT, "%s: deletion vector truncated", path);
    } else {
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "deletion vector storage type '%s'", type);
    }
    llmd_free(bytes);
    if (st == LLMD_OK && d->n > 1) qsort(d->rows, d->n, sizeof *d->rows, u64_cmp);
    return st;
}

/* ---- partition values (PROTOCOL.md "Partition Value Serialization") ---------------------------------- */
static cJSON *partition_json(const char *type, const char *v) {
    /* PROTOCOL.md: "An empty string for any type translates to a null partition value" */
    if (v == NULL || v[0] == '\0') return cJSON_CreateNull();
    if (!strcmp(type, "byte") || !strcmp(type, "short") || !strcmp(type, "integer") || !strcmp(type, "long")) {
        char *end;
        long long x = strtoll(v, &end, 10);
        if (*v && *end == '\0') {
            char buf[32];
            snprintf(buf, sizeof buf, "%lld", x);
            return cJSON_CreateRaw(buf);
        }
    } else if (!strcmp(type, "float") || !strcmp(type, "double")) {
        char *end;
        double d = strtod(v, &end);
        if (*v && *end == '\0') return dl_json_double(d, !strcmp(type, "float"));
    } else if (!strcmp(type, "boolean")) {
        if (!strcmp(v, "true")) return cJSON_CreateTrue();
        if (!strcmp(v, "false")) return cJSON_CreateFalse();
    } else if (!strncmp(type, "decimal", 7)) {
        /* raw only when it is a plain number: a partition value never injects JSON */
        char *end;
        strtod(v, &end);
        bool plain = *v && *end == '\0';
        for (const char *p = v; plain && *p; p++) plain = strchr("0123456789+-.eE", *p) != NULL;
        if (plain) return cJSON_CreateRaw(v);
    } else if (!strcmp(type, "timestamp") || !strcmp(type, "timestamp_ntz")) {
        /* "2021-09-08 11:11:11[.ffffff]" (Spark's form) -> the scan's ISO form, as data columns print */
        int y, mo, d, h, mi, sec, n = 0;
        if (sscanf(v, "%4d-%2d-%2d %2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6 ||
            sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) == 6) {
            long us = 0;
            int digits = 0;
            const char *p = v + n;
            if (*p == '.')
                for (p++; *p >= '0' && *p <= '9'; p++, digits++)
                    if (digits < 6) us = us * 10 + (*p - '0');
            for (; digits < 6; digits++) us *= 10;
            bool utc = !strcmp(type, "timestamp");
            if (*p == '\0' || (utc && (!strcmp(p, "Z") || !strcmp(p, "+00:00")))) {
                char buf[64];
                snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ld%s", y, mo, d, h, mi, sec, us, utc ? "Z" : "");
                return cJSON_CreateString(buf);
            }
        }
    }
    return cJSON_CreateString(v);   /* string, date, binary: as serialized */
}

/* A copy made with cJSON's allocator (a key cJSON_Delete frees). */
static char *cJSON_strdup_compat(const char *s) {
    cJSON *tmp = cJSON_CreateString(s);
    if (tmp == NULL) return NULL;
    char *out = tmp->valuestring;
    tmp->valuestring = NULL;
    cJSON_Delete(tmp);
    return out;
}

/* ---- the scan ------------------------------------------------------------------------------------------ */
typedef struct out_col {
    const char *name;       /* logical */
    const char *physical;   /* in the data files */
    const char *type;       /* Spark type name (primitive) or NULL */
    const cJSON *delta_type;/* the schema's type (nested types: for column mapping) */
    bool partition;
    bool mapped;            /* column mapping on: nested field names are physical in the files */
} out_col;

/* Column mapping inside nested values: struct keys are the files' physical names; rename them to
 * the schema's logical names, level by level. */
static void rename_physical(cJSON *v, const cJSON *type) {
    if (v == NULL || type == NULL || cJSON_IsString(type)) return;
    const char *k = dl_get_str(type, "type");
    if (k == NULL) return;
    if (!strcmp(k, "struct") && cJSON_IsObject(v)) {
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(type, "fields")) {
            const char *name = dl_get_str(f, "name");
            const char *phys = dl_get_str(cJSON_GetObjectItemCaseSensitive(f, "metadata"), "delta.columnMapping.physicalName");
            cJSON *item = cJSON_GetObjectItemCaseSensitive(v, phys ? phys : name);
            if (item == NULL) continue;
            if (phys && name && strcmp(phys, name) != 0) {
                char *nn = cJSON_strdup_compat(name);
                if (nn) { cJSON_free(item->string); item->string = nn; }
            }
            rename_physical(item, cJSON_GetObjectItemCaseSensitive(f, "type"));
        }
    } else if (!strcmp(k, "array") && cJSON_IsArray(v)) {
        cJSON *e;
        cJSON_ArrayForEach(e, v) rename_physical(e, cJSON_GetObjectItemCaseSensitive(type, "elementType"));
    } else if (!strcmp(k, "map") && cJSON_IsObject(v)) {
        cJSON *e;
        cJSON_ArrayForEach(e, v) rename_physical(e, cJSON_GetObjectItemCaseSensitive(type, "valueType"));
    }
}

/* ---- predicates ------------------------------------------------------------------------------------------ */
typedef struct pred_col {
    const char *type;        /* Spark primitive type name, or NULL */
    const char *physical;    /* stats and partitionValues key */
    bool partition;
} pred_col;

static bool is_numeric_type(const char *t) {
    return t && (!strcmp(t, "byte") || !strcmp(t, "short") || !strcmp(t, "integer") || !strcmp(t, "long") ||
                 !strcmp(t, "float") || !strcmp(t, "double") || !strncmp(t, "decimal", 7));
}

/* -1/0/1 comparing value v with the literal under the column's type; 2 when v is null or the two
 * cannot be compared. */
static int cmp_lit(const cJSON *v, const char *lit, const char *type) {
    if (v == NULL || cJSON_IsNull(v) || lit == NULL) return 2;
    if (is_numeric_type(type)) {
        double a, b;
        char *e;
        if (cJSON_IsNumber(v)) a = v->valuedouble;
        else if (cJSON_IsRaw(v) || cJSON_IsString(v)) { a = strtod(v->valuestring, &e); if (*e) return 2; }
        else return 2;
        b = strtod(lit, &e);
        if (*e) return 2;
        return a < b ? -1 : a > b;
    }
    if (type && !strcmp(type, "boolean")) {
        if (!cJSON_IsBool(v)) return 2;
        int a = cJSON_IsTrue(v), b = !strcmp(lit, "true");
        return a < b ? -1 : a > b;
    }
    if (!cJSON_IsString(v)) return 2;
    if (type && (!strcmp(type, "timestamp") || !strcmp(type, "timestamp_ntz"))) {
        int64_t a, b;
        if (!dl_parse_ts(v->valuestring, LLMD_TIME_MICROS, &a) || !dl_parse_ts(lit, LLMD_TIME_MICROS, &b)) return 2;
        return a < b ? -1 : a > b;
    }
    int c = strcmp(v->valuestring, lit);
    return c < 0 ? -1 : c > 0;
}

static bool pred_holds(const cJSON *v, const llmd_delta_predicate *p, const char *type) {
    bool null = v == NULL || cJSON_IsNull(v);
    if (p->op == LLMD_DELTA_IS_NULL) return null;
    if (p->op == LLMD_DELTA_NOT_NULL) return !null;
    int c = cmp_lit(v, p->value, type);
    if (c == 2) return false;
    switch (p->op) {
    case LLMD_DELTA_EQ: return c == 0;
    case LLMD_DELTA_NE: return c != 0;
    case LLMD_DELTA_LT: return c < 0;
    case LLMD_DELTA_LE: return c <= 0;
    case LLMD_DELTA_GT: return c > 0;
    case LLMD_DELTA_GE: return c >= 0;
    }
    return true;
}

static llmd_status resolve_pred_col(const llmd_delta_snapshot *s, const llmd_delta_predicate *p, pred_col *out) {
    if (p->column == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "predicate without a column");
    if (p->op < LLMD_DELTA_EQ || p->op > LLMD_DELTA_NE)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "predicate on '%s': unknown op %d", p->column, p->op);
    if (p->op != LLMD_DELTA_IS_NULL && p->op != LLMD_DELTA_NOT_NULL && p->value == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "predicate on '%s' needs a value", p->column);
    const cJSON *f, *found = NULL;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(s->schema, "fields")) {
        const char *n = dl_get_str(f, "name");
        if (n && !strcmp(n, p->column)) found = f;
    }
    if (found == NULL) return llmd_fail(LLMD_ERR_NOT_FOUND, "predicate: no column '%s' in the table's schema", p->column);
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(found, "type");
    out->type = cJSON_IsString(t) ? t->valuestring : NULL;
    if (out->type == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "predicate: column '%s' is not primitive", p->column);
    if (is_numeric_type(out->type) && p->value && p->op != LLMD_DELTA_IS_NULL && p->op != LLMD_DELTA_NOT_NULL) {
        char *e;
        strtod(p->value, &e);
        if (*p->value == '\0' || *e) return llmd_fail(LLMD_ERR_INVALID_ARG, "predicate: '%s' is not a number for column '%s'",
                                                   p->value, p->column);
    }
    const char *mode = dl_get_str(cJSON_GetObjectItemCaseSensitive(s->state.metadata, "configuration"), "delta.columnMapping.mode");
    const char *phys = mode && strcmp(mode, "none") ? dl_get_str(cJSON_GetObjectItemCaseSensitive(found, "metadata"),
                                                                "delta.columnMapping.physicalName") : NULL;
    out->physical = phys ? phys : p->column;
    out->partition = false;
    const cJSON *pc;
    cJSON_ArrayForEach(pc, cJSON_GetObjectItemCaseSensitive(s->state.metadata, "partitionColumns"))
        if (cJSON_IsString(pc) && !strcmp(pc->valuestring, p->column)) out->partition = true;
    return LLMD_OK;
}

static cJSON *partition_json(const char *type, const char *v);

/* 0 when partition values or stats prove no row of f satisfies p. */
static bool file_may_match_one(const dl_file *f, const cJSON *stats, const llmd_delta_predicate *p, const pred_col *c) {
    if (c->partition) {
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(f->action, "partitionValues"),
                                                           c->physical);
        cJSON *v = partition_json(c->type, cJSON_IsString(pv) ? pv->valuestring : NULL);
        bool ok = v == NULL || pred_holds(v, p, c->type);
        cJSON_Delete(v);
        return ok;
    }
    if (stats == NULL) return true;
    int64_t num = -1, nulls = -1;
    dl_get_i64(stats, "numRecords", &num);
    dl_get_i64(cJSON_GetObjectItemCaseSensitive(stats, "nullCount"), c->physical, &nulls);
    if (p->op == LLMD_DELTA_IS_NULL) return !(nulls == 0);
    bool all_null = num >= 0 && nulls == num;
    if (all_null) return false;   /* comparisons and NOT_NULL never hold on nulls */
    if (p->op == LLMD_DELTA_NOT_NULL || p->op == LLMD_DELTA_NE) return true;
    const cJSON *mn = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(stats, "minValues"), c->physical);
    const cJSON *mx = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(stats, "maxValues"), c->physical);
    int cmin = cmp_lit(mn, p->value, c->type), cmax = cmp_lit(mx, p->value, c->type);
    switch (p->op) {
    case LLMD_DELTA_EQ: return !((cmin != 2 && cmin > 0) || (cmax != 2 && cmax < 0));
    case LLMD_DELTA_LT: return !(cmin != 2 && cmin >= 0);
    case LLMD_DELTA_LE: return !(cmin != 2 && cmin > 0);
    case LLMD_DELTA_GT: return !(cmax != 2 && cmax <= 0);
    case LLMD_DELTA_GE: return !(cmax != 2 && cmax < 0);
    }
    return true;
}

static int file_may_match(const llmd_delta_snapshot *s, const dl_file *f, const llmd_delta_predicate *p, const pred_col *cols,
                          size_t n) {
    const char *st = dl_get_str(f->action, "stats");
    cJSON *stats = st ? cJSON_Parse(st) : NULL;
    (void)s;
    int ok = 1;
    for (size_t i = 0; ok && i < n; i++) ok = file_may_match_one(f, stats, &p[i], &cols[i]);
    cJSON_Delete(stats);
    return ok;
}

int llmd_delta_snapshot_file_may_match(const llmd_delta_snapshot *s, size_t i, const llmd_delta_predicate *preds, size_t n) {
    if (s == NULL || (n && preds == NULL)) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_snapshot_file_may_match: NULL argument");
    if (i >= s->n_files) return llmd_fail(LLMD_ERR_RANGE, "file %zu of a snapshot with %zu files", i, s->n_files);
    pred_col *cols = llmd_calloc(n ? n : 1, sizeof *cols);
    if (cols == NULL) return llmd_fail_nomem("evaluating predicates");
    llmd_status st = LLMD_OK;
    for (size_t k = 0; st == LLMD_OK && k < n; k++) st = resolve_pred_col(s, &preds[k], &cols[k]);
    int r = st == LLMD_OK ? file_may_match(s, s->file_src[i], preds, cols, n) : st;
    llmd_free(cols);
    return r;
}

static const size_t scan_sizes[] = {sizeof(llmd_delta_scan_options)};

/* Row filter: predicates (AND) and how many leading row keys are output (the rest were read for
 * the predicates only). */
typedef struct scan_filter {
    const llmd_delta_predicate *p;
    size_t n;
    const struct pred_col *cols;
    size_t n_out;
} scan_filter;

/* Where rows go: JSON lines through llmd_outfile, or Parquet through column builders flushed to
 * the writer every SINK_BATCH rows (memory bounded by one batch). */
#define SINK_BATCH 65536
typedef struct sink {
    bool parquet;
    llmd_outfile of;
    bool of_open;
    llmd_buf line;
    llmd_schema *schema;
    llmd_parquet_writer *w;
    dl_colb *cols;
    size_t nc;
    const char **names;
    int64_t pending;
    const struct scan_filter *filter;
} sink;

static llmd_status sink_flush(sink *k) {
    if (!k->parquet || k->pending == 0) return LLMD_OK;
    llmd_column *cols = llmd_calloc(k->nc ? k->nc : 1, sizeof *cols);
    if (cols == NULL) return llmd_fail_nomem("scanning to Parquet");
    llmd_status st = LLMD_OK;
    for (size_t i = 0; st == LLMD_OK && i < k->nc; i++) st = dl_colb_build(&k->cols[i], &cols[i]);
    if (st == LLMD_OK) st = llmd_parquet_writer_write(k->w, cols, k->nc);
    llmd_free(cols);
    for (size_t i = 0; i < k->nc; i++) dl_colb_reset(&k->cols[i]);
    k->pending = 0;
    return st;
}

/* Takes the row over; *kept tells whether the predicates let it through. */
static llmd_status sink_row(sink *k, cJSON *o, bool *kept) {
    llmd_status st = LLMD_OK;
    *kept = true;
    if (k->filter && k->filter->n) {
        for (size_t i = 0; *kept && i < k->filter->n; i++)
            *kept = pred_holds(cJSON_GetObjectItemCaseSensitive(o, k->filter->p[i].column), &k->filter->p[i],
                               k->filter->cols[i].type);
        if (!*kept) { cJSON_Delete(o); return LLMD_OK; }
        /* drop the columns read only for the predicates */
        size_t idx = 0;
        for (cJSON *c = o->child, *next; c; c = next, idx++) {
            next = c->next;
            if (idx >= k->filter->n_out) cJSON_Delete(cJSON_DetachItemViaPointer(o, c));
        }
    }
    if (k->parquet) {
        for (size_t i = 0; st == LLMD_OK && i < k->nc; i++)
            st = dl_colb_append(&k->cols[i], cJSON_GetObjectItemCaseSensitive(o, k->names[i]));
        cJSON_Delete(o);
        if (st == LLMD_OK && ++k->pending >= SINK_BATCH) st = sink_flush(k);
        return st;
    }
    char *p = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (p == NULL) return llmd_fail_nomem("scanning");
    llmd_buf_reset(&k->line);
    st = llmd_buf_puts(&k->line, p);
    cJSON_free(p);
    if (st == LLMD_OK) st = llmd_buf_putc(&k->line, '\n');
    if (st == LLMD_OK) st = llmd_outfile_write(&k->of, k->line.data, k->line.len);
    return st;
}

static llmd_status scan_file(const llmd_delta_snapshot *s, size_t fi, const out_col *cols, size_t nc, sink *of,
                             uint64_t *rows) {
    const dl_file *f = s->file_src[fi];
    char path[8192];
    if (f->path[0] == '/') snprintf(path, sizeof path, "%s", f->path);
    else snprintf(path, sizeof path, "%s/%s", s->table_path, f->path);
    dv_set dv = {0};
    const cJSON *dvd = cJSON_GetObjectItemCaseSensitive(f->action, "deletionVector");
    llmd_status st = cJSON_IsObject(dvd) ? load_dv(s->table_path, dvd, &dv) : LLMD_OK;
    if (st != LLMD_OK) { llmd_free(dv.rows); return llmd_error_prefix("%s", path); }
    llmd_parquet_reader *r = NULL;
    st = llmd_parquet_reader_open(&r, path, NULL);
    if (st != LLMD_OK) { llmd_free(dv.rows); return st; }
    const llmd_schema *sc = llmd_parquet_reader_schema(r);
    /* data columns present in the file, in output order; absent ones read as null */
    const char **sel = llmd_calloc(nc ? nc : 1, sizeof *sel);
    int *batch_idx = llmd_calloc(nc ? nc : 1, sizeof *batch_idx);
    size_t nsel = 0;
    if (!sel || !batch_idx) st = llmd_fail_nomem("scanning");
    for (size_t k = 0; st == LLMD_OK && k < nc; k++) {
        batch_idx[k] = -1;
        if (cols[k].partition || llmd_schema_find(sc, 0, cols[k].physical) < 0) continue;
        batch_idx[k] = (int)nsel;
        sel[nsel++] = cols[k].physical;
    }
    const cJSON *pv = cJSON_GetObjectItemCaseSensitive(f->action, "partitionValues");
    if (st == LLMD_OK && nsel > 0) st = llmd_parquet_reader_select(r, sel, nsel);
    uint64_t base = 0;
    size_t dvpos = 0;
    for (int g = 0; st == LLMD_OK && g < llmd_parquet_reader_num_row_groups(r); g++) {
        int64_t grows = llmd_parquet_reader_row_group_rows(r, g);
        llmd_parquet_batch *b = NULL;
        if (nsel > 0 && (st = llmd_parquet_reader_read_row_group(r, g, &b)) != LLMD_OK) break;
        for (int64_t i = 0; st == LLMD_OK && i < grows; i++) {
            uint64_t row = base + (uint64_t)i;
            while (dvpos < dv.n && dv.rows[dvpos] < row) dvpos++;
            if (dvpos < dv.n && dv.rows[dvpos] == row) continue;   /* deleted */
            cJSON *o = cJSON_CreateObject();
            bool ok = o != NULL;
            for (size_t k = 0; ok && k < nc; k++) {
                cJSON *v;
                if (cols[k].partition) {
                    /* partitionValues are keyed by the physical name under column mapping */
                    const cJSON *pj = cJSON_GetObjectItemCaseSensitive(pv, cols[k].physical);
                    if (pj == NULL) pj = cJSON_GetObjectItemCaseSensitive(pv, cols[k].name);
                    v = partition_json(cols[k].type ? cols[k].type : "string", cJSON_IsString(pj) ? pj->valuestring : NULL);
                } else if (batch_idx[k] < 0) {
                    v = cJSON_CreateNull();
                } else {
                    int fid = llmd_parquet_batch_field(b, (size_t)batch_idx[k]);
                    v = dl_value_json(sc, fid, llmd_parquet_batch_column(b, (size_t)batch_idx[k]), i, DL_JSON_ROWS);
                    if (cols[k].mapped) rename_physical(v, cols[k].delta_type);
                    /* Delta's `timestamp` is an instant: files with INT96 or non-UTC-flagged
                     * timestamps hold UTC values too */
                    if (v && cJSON_IsString(v) && cols[k].type && strcmp(cols[k].type, "timestamp") == 0 &&
                        llmd_schema_type(sc, fid).id == LLMD_TYPE_TIMESTAMP && !llmd_schema_type(sc, fid).utc) {
                        char buf[80];
                        snprintf(buf, sizeof buf, "%sZ", v->valuestring);
                        cJSON_Delete(v);
                        v = cJSON_CreateString(buf);
                    }
                }
                /* the key is the schema's (outlives the row): no copy */
                ok = v && cJSON_AddItemToObjectCS(o, cols[k].name, v);
                if (!ok) cJSON_Delete(v);
            }
            if (!ok) { cJSON_Delete(o); st = llmd_fail_nomem("scanning"); break; }
            bool kept;
            st = sink_row(of, o, &kept);
            if (kept) (*rows)++;
        }
        llmd_parquet_batch_free(b);
        base += (uint64_t)grows;
    }
    llmd_free(sel);
    llmd_free(batch_idx);
    llmd_free(dv.rows);
    llmd_parquet_reader_free(r);
    return st;
}

/* Spark type (JSON) -> Parquet field under `parent` of the output schema. */
static llmd_status add_spark_field(llmd_schema *sc, int parent, const char *name, const cJSON *type, bool nullable) {
    llmd_type t = {0, 0, 0, 0, 0, 0};
    int id;
    if (cJSON_IsString(type)) {
        const char *n = type->valuestring;
        static const struct { const char *n; llmd_type_id id; } prim[] = {
            {"boolean", LLMD_TYPE_BOOL}, {"byte", LLMD_TYPE_INT8}, {"short", LLMD_TYPE_INT16}, {"integer", LLMD_TYPE_INT32},
            {"long", LLMD_TYPE_INT64}, {"float", LLMD_TYPE_FLOAT}, {"double", LLMD_TYPE_DOUBLE}, {"string", LLMD_TYPE_STRING},
            {"binary", LLMD_TYPE_BINARY}, {"date", LLMD_TYPE_DATE}};
        for (size_t i = 0; i < sizeof prim / sizeof *prim && !t.id; i++)
            if (!strcmp(n, prim[i].n)) t.id = prim[i].id;
        if (!strcmp(n, "timestamp") || !strcmp(n, "timestamp_ntz")) {
            t.id = LLMD_TYPE_TIMESTAMP;
            t.unit = LLMD_TIME_MICROS;
            t.utc = !strcmp(n, "timestamp");
        }
        int p, q;
        if (sscanf(n, "decimal(%d,%d)", &p, &q) == 2 || sscanf(n, "decimal(%d, %d)", &p, &q) == 2) {
            t.id = LLMD_TYPE_DECIMAL;
            t.precision = p;
            t.scale = q;
        }
        if (!t.id) return llmd_fail(LLMD_ERR_UNSUPPORTED, "scan to Parquet: column '%s' has type '%s'", name, n);
        return llmd_schema_add(sc, parent, name, &t, nullable, &id);
    }
    const char *k = dl_get_str(type, "type");
    if (k == NULL) return llmd_fail(LLMD_ERR_SCHEMA, "column '%s': no type", name);
    llmd_status st;
    if (!strcmp(k, "struct")) {
        t.id = LLMD_TYPE_STRUCT;
        if ((st = llmd_schema_add(sc, parent, name, &t, nullable, &id)) != LLMD_OK) return st;
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(type, "fields")) {
            st = add_spark_field(sc, id, dl_get_str(f, "name"), cJSON_GetObjectItemCaseSensitive(f, "type"),
                                 !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f, "nullable")));
            if (st != LLMD_OK) return st;
        }
        return LLMD_OK;
    }
    if (!strcmp(k, "array")) {
        t.id = LLMD_TYPE_LIST;
        if ((st = llmd_schema_add(sc, parent, name, &t, nullable, &id)) != LLMD_OK) return st;
        return add_spark_field(sc, id, "element", cJSON_GetObjectItemCaseSensitive(type, "elementType"),
                               !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(type, "containsNull")));
    }
    if (!strcmp(k, "map")) {
        t.id = LLMD_TYPE_MAP;
        if ((st = llmd_schema_add(sc, parent, name, &t, nullable, &id)) != LLMD_OK) return st;
        if ((st = add_spark_field(sc, id, "key", cJSON_GetObjectItemCaseSensitive(type, "keyType"), false)) != LLMD_OK) return st;
        return add_spark_field(sc, id, "value", cJSON_GetObjectItemCaseSensitive(type, "valueType"),
                               !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(type, "valueContainsNull")));
    }
    return llmd_fail(LLMD_ERR_UNSUPPORTED, "scan to Parquet: column '%s' has type '%s'", name, k);
}

static llmd_status scan_to(const llmd_delta_snapshot *s, const char *out_path, const llmd_delta_scan_options *opts_in,
                           uint64_t *rows_out, bool parquet);

llmd_status llmd_delta_scan_jsonl(const llmd_delta_snapshot *s, const char *out_path, const llmd_delta_scan_options *opts,
                                  uint64_t *rows_out) {
    return scan_to(s, out_path, opts, rows_out, false);
}

llmd_status llmd_delta_scan_parquet(const llmd_delta_snapshot *s, const char *out_path, const llmd_delta_scan_options *opts,
                                    uint64_t *rows_out) {
    return scan_to(s, out_path, opts, rows_out, true);
}

static llmd_status scan_to(const llmd_delta_snapshot *s, const char *out_path, const llmd_delta_scan_options *opts_in,
                           uint64_t *rows_out, bool parquet) {
    if (s == NULL || out_path == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_delta_scan: NULL argument");
    llmd_delta_scan_options o = LLMD_DELTA_SCAN_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts_in, scan_sizes, LLMD_DELTA_SCAN_OPTIONS_VERSION, "llmd_delta_scan_options");
    if (st != LLMD_OK) return st;
    /* output columns: the schema's, in order (partition columns where the schema has them) */
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(s->schema, "fields");
    size_t nf = (size_t)cJSON_GetArraySize(fields);
    out_col *cols = llmd_calloc(nf ? nf : 1, sizeof *cols);
    if (cols == NULL) return llmd_fail_nomem("scanning");
    const char *mode = llmd_delta_snapshot_property(s, "delta.columnMapping.mode");
    bool mapped = mode && strcmp(mode, "none") != 0;
    size_t nc = 0;
    const cJSON *part_cols = cJSON_GetObjectItemCaseSensitive(s->state.metadata, "partitionColumns");
    for (size_t i = 0; i < (o.n_columns ? o.n_columns : nf); i++) {
        const cJSON *f = NULL;
        if (o.n_columns) {
            const cJSON *g;
            cJSON_ArrayForEach(g, fields) {
                const char *n = dl_get_str(g, "name");
                if (n && strcmp(n, o.columns[i]) == 0) f = g;
            }
            if (f == NULL) {
                llmd_free(cols);
                return llmd_fail(LLMD_ERR_NOT_FOUND, "scan: no column '%s' in the table's schema", o.columns[i]);
            }
        } else {
            f = cJSON_GetArrayItem(fields, (int)i);
        }
        out_col *c = &cols[nc++];
        c->name = dl_get_str(f, "name");
        c->physical = c->name;
        const char *pn = mapped ? dl_get_str(cJSON_GetObjectItemCaseSensitive(f, "metadata"), "delta.columnMapping.physicalName") : NULL;
        if (pn) c->physical = pn;
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");
        c->type = cJSON_IsString(t) ? t->valuestring : NULL;
        c->delta_type = t;
        c->mapped = mapped;
        const cJSON *p;
        cJSON_ArrayForEach(p, part_cols) if (cJSON_IsString(p) && strcmp(p->valuestring, c->name) == 0) c->partition = true;
    }
    /* predicate columns not in the output are read too, then dropped from each row */
    pred_col *pcols = llmd_calloc(o.n_predicates ? o.n_predicates : 1, sizeof *pcols);
    if (pcols == NULL) { llmd_free(cols); return llmd_fail_nomem("scanning"); }
    for (size_t i = 0; st == LLMD_OK && i < o.n_predicates; i++) st = resolve_pred_col(s, &o.predicates[i], &pcols[i]);
    size_t n_out = nc;
    for (size_t i = 0; st == LLMD_OK && i < o.n_predicates; i++) {
        bool have = false;
        for (size_t k = 0; k < nc && !have; k++) have = !strcmp(cols[k].name, o.predicates[i].column);
        if (have) continue;
        out_col *grown = llmd_realloc(cols, nc * sizeof *cols, (nc + 1) * sizeof *cols);
        if (grown == NULL) { st = llmd_fail_nomem("scanning"); break; }
        cols = grown;
        const cJSON *f, *found = NULL;
        cJSON_ArrayForEach(f, fields) if (dl_get_str(f, "name") && !strcmp(dl_get_str(f, "name"), o.predicates[i].column)) found = f;
        out_col *c = &cols[nc++];
        memset(c, 0, sizeof *c);
        c->name = dl_get_str(found, "name");
        c->physical = pcols[i].physical;
        c->type = pcols[i].type;
        c->delta_type = cJSON_GetObjectItemCaseSensitive(found, "type");
        c->partition = pcols[i].partition;
        c->mapped = mapped;
    }
    if (st != LLMD_OK) { llmd_free(pcols); llmd_free(cols); return st; }
    scan_filter flt = {o.predicates, o.n_predicates, pcols, n_out};
    sink k = {.parquet = parquet, .nc = n_out, .filter = &flt};
    if (parquet) {
        k.cols = llmd_calloc(n_out ? n_out : 1, sizeof *k.cols);
        k.names = llmd_calloc(n_out ? n_out : 1, sizeof *k.names);
        st = k.cols && k.names ? llmd_schema_new(&k.schema) : llmd_fail_nomem("scanning to Parquet");
        for (size_t i = 0; st == LLMD_OK && i < n_out; i++) {
            const cJSON *f = NULL, *g;
            cJSON_ArrayForEach(g, fields) if (dl_get_str(g, "name") && !strcmp(dl_get_str(g, "name"), cols[i].name)) f = g;
            k.names[i] = cols[i].name;
            st = add_spark_field(k.schema, 0, cols[i].name, cJSON_GetObjectItemCaseSensitive(f, "type"),
                                 !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f, "nullable")));
        }
        for (size_t i = 0; st == LLMD_OK && i < n_out; i++) st = dl_colb_init(&k.cols[i], k.schema, llmd_schema_child(k.schema, 0, (int)i));
        if (st == LLMD_OK) st = llmd_parquet_writer_open(&k.w, out_path, k.schema, NULL);
    } else {
        st = llmd_outfile_open(&k.of, out_path);
        k.of_open = st == LLMD_OK;
    }
    uint64_t rows = 0;
    for (size_t i = 0; st == LLMD_OK && i < s->n_files; i++) {
        if (o.n_predicates && !file_may_match(s, s->file_src[i], o.predicates, pcols, o.n_predicates)) continue;
        st = scan_file(s, i, cols, nc, &k, &rows);
    }
    if (st == LLMD_OK && parquet) st = sink_flush(&k);
    if (st == LLMD_OK && parquet) st = llmd_parquet_writer_finish(k.w);
    if (st == LLMD_OK && !parquet) st = llmd_outfile_publish(&k.of, LLMD_PUBLISH_REPLACE);
    if (k.of_open) llmd_outfile_discard(&k.of);
    llmd_parquet_writer_free(k.w);
    for (size_t i = 0; k.cols && i < n_out; i++) dl_colb_free(&k.cols[i]);
    llmd_free(pcols);
    llmd_free(k.cols);
    llmd_free(k.names);
    llmd_schema_free(k.schema);
    llmd_buf_free(&k.line);
    llmd_free(cols);
    if (st == LLMD_OK && rows_out) *rows_out = rows;
    return st;
}
