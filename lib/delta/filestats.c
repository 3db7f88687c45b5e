/* Appending Parquet files: the Delta schema of a file, enforcement against the table's schema,
 * and add.stats (numRecords, minValues, maxValues, nullCount) from the footer's statistics. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "delta/delta_internal.h"
#include "delta/values.h"

/* cJSON_AddItemToObject leaves `item` with the caller when it fails (its key copy ran out of memory):
 * this takes it over either way. */
static bool add_owned(cJSON *obj, const char *key, cJSON *item) {
    if (item != NULL && obj != NULL && cJSON_AddItemToObject(obj, key, item)) return true;
    cJSON_Delete(item);
    return false;
}

/* Spark type of a Parquet schema field, as cJSON (string or struct/array/map object); NULL with an
 * error for types Delta has no equivalent for. */
static cJSON *spark_type(const llmd_schema *sc, int f, const char *path) {
    llmd_type t = llmd_schema_type(sc, f);
    char buf[48];
    switch (t.id) {
    case LLMD_TYPE_BOOL: return cJSON_CreateString("boolean");
    case LLMD_TYPE_INT8: return cJSON_CreateString("byte");
    case LLMD_TYPE_INT16: case LLMD_TYPE_UINT8: return cJSON_CreateString("short");
    case LLMD_TYPE_INT32: case LLMD_TYPE_UINT16: return cJSON_CreateString("integer");
    case LLMD_TYPE_INT64: case LLMD_TYPE_UINT32: return cJSON_CreateString("long");
    case LLMD_TYPE_UINT64: return cJSON_CreateString("decimal(20,0)");
    case LLMD_TYPE_FLOAT: return cJSON_CreateString("float");
    case LLMD_TYPE_DOUBLE: return cJSON_CreateString("double");
    case LLMD_TYPE_STRING: return cJSON_CreateString("string");
    case LLMD_TYPE_BINARY: case LLMD_TYPE_FIXED_BINARY: case LLMD_TYPE_UUID: return cJSON_CreateString("binary");
    case LLMD_TYPE_DATE: return cJSON_CreateString("date");
    case LLMD_TYPE_TIMESTAMP:
        /* INT96 (nanos, not flagged UTC) is Spark's legacy instant: timestamp */
        return cJSON_CreateString(t.utc || t.unit == LLMD_TIME_NANOS ? "timestamp" : "timestamp_ntz");
    case LLMD_TYPE_DECIMAL:
        snprintf(buf, sizeof buf, "decimal(%d,%d)", t.precision, t.scale);
        return cJSON_CreateString(buf);
    case LLMD_TYPE_STRUCT: {
        /* "type" first, as Spark prints it */
        cJSON *o = cJSON_CreateObject(), *fields = cJSON_CreateArray();
        if (!o || !fields || !cJSON_AddStringToObject(o, "type", "struct")) {
            cJSON_Delete(fields);
            cJSON_Delete(o);
            return NULL;
        }
        if (!add_owned(o, "fields", fields)) { cJSON_Delete(o); return NULL; }
        for (int k = 0; k < llmd_schema_child_count(sc, f); k++) {
            int c = llmd_schema_child(sc, f, k);
            char sub[512];
            /* a top-level column is named alone ("col"), a nested one by its path ("col.child") */
            snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", llmd_schema_name(sc, c));
            cJSON *ct = spark_type(sc, c, sub), *fo = ct ? cJSON_CreateObject() : NULL;
            bool ok = fo && cJSON_AddStringToObject(fo, "name", llmd_schema_name(sc, c));
            if (!ok) cJSON_Delete(ct);
            if (!ok || !add_owned(fo, "type", ct) || !cJSON_AddBoolToObject(fo, "nullable", llmd_schema_nullable(sc, c)) ||
                !cJSON_AddObjectToObject(fo, "metadata") || !cJSON_AddItemToArray(fields, fo)) {
                cJSON_Delete(fo);
                cJSON_Delete(o);
                return NULL;
            }
        }
        return o;
    }
    case LLMD_TYPE_LIST: {
        int e = llmd_schema_child(sc, f, 0);
        cJSON *et = spark_type(sc, e, path), *o = et ? cJSON_CreateObject() : NULL;
        bool ok = o && cJSON_AddStringToObject(o, "type", "array");
        if (!ok) cJSON_Delete(et);
        if (!ok || !add_owned(o, "elementType", et) ||
            !cJSON_AddBoolToObject(o, "containsNull", llmd_schema_nullable(sc, e))) {
            cJSON_Delete(o);
            return NULL;
        }
        return o;
    }
    case LLMD_TYPE_MAP: {
        int k = llmd_schema_child(sc, f, 0), v = llmd_schema_child(sc, f, 1);
        cJSON *kt = spark_type(sc, k, path), *vt = kt ? spark_type(sc, v, path) : NULL, *o = vt ? cJSON_CreateObject() : NULL;
        bool ok = o && cJSON_AddStringToObject(o, "type", "map");
        if (!ok) cJSON_Delete(kt);
        ok = ok && add_owned(o, "keyType", kt);
        if (!ok) cJSON_Delete(vt);
        if (!ok || !add_owned(o, "valueType", vt) ||
            !cJSON_AddBoolToObject(o, "valueContainsNull", llmd_schema_nullable(sc, v))) {
            cJSON_Delete(o);
            return NULL;
        }
        return o;
    }
    case LLMD_TYPE_TIME:
        llmd_fail(LLMD_ERR_SCHEMA, "column '%s': Parquet TIME has no Delta type", path);
        return NULL;
    }
    llmd_fail(LLMD_ERR_SCHEMA, "column '%s': unknown Parquet type", path);
    return NULL;
}

llmd_status dl_parquet_schema_json(const llmd_schema *sc, cJSON **out) {
    *out = NULL;
    llmd_clear_error();
    cJSON *st = spark_type(sc, 0, "");
    if (st == NULL) return llmd_last_error_status() != LLMD_OK ? llmd_last_error_status() : llmd_fail_nomem("building a schema");
    *out = st;
    return LLMD_OK;
}

/* Same type, ignoring field metadata and nullability (checked separately at the top level). */
static bool same_type(const cJSON *a, const cJSON *b) {
    if (cJSON_IsString(a) || cJSON_IsString(b))
        return cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0;
    const char *ta = dl_get_str(a, "type"), *tb = dl_get_str(b, "type");
    if (!ta || !tb || strcmp(ta, tb) != 0) return false;
    if (!strcmp(ta, "array"))
        return same_type(cJSON_GetObjectItemCaseSensitive(a, "elementType"), cJSON_GetObjectItemCaseSensitive(b, "elementType"));
    if (!strcmp(ta, "map"))
        return same_type(cJSON_GetObjectItemCaseSensitive(a, "keyType"), cJSON_GetObjectItemCaseSensitive(b, "keyType")) &&
               same_type(cJSON_GetObjectItemCaseSensitive(a, "valueType"), cJSON_GetObjectItemCaseSensitive(b, "valueType"));
    const cJSON *fa = cJSON_GetObjectItemCaseSensitive(a, "fields"), *fb = cJSON_GetObjectItemCaseSensitive(b, "fields");
    if (cJSON_GetArraySize(fa) != cJSON_GetArraySize(fb)) return false;
    for (const cJSON *x = fa ? fa->child : NULL, *y = fb ? fb->child : NULL; x && y; x = x->next, y = y->next) {
        const char *nx = dl_get_str(x, "name"), *ny = dl_get_str(y, "name");
        if (!nx || !ny || strcmp(nx, ny) != 0) return false;
        if (!same_type(cJSON_GetObjectItemCaseSensitive(x, "type"), cJSON_GetObjectItemCaseSensitive(y, "type"))) return false;
    }
    return true;
}

static const cJSON *field_named(const cJSON *schema, const char *name) {
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(schema, "fields")) {
        const char *n = dl_get_str(f, "name");
        if (n && strcmp(n, name) == 0) return f;
    }
    return NULL;
}

static bool is_partition(const cJSON *parts, const char *name) {
    const cJSON *p;
    cJSON_ArrayForEach(p, parts) if (cJSON_IsString(p) && strcmp(p->valuestring, name) == 0) return true;
    return false;
}

/* Sum of a top-level column's null counts over the row groups (-1 when a group lacks it). */
static int64_t column_nulls(const llmd_parquet_reader *r, int field) {
    int64_t total = 0;
    for (int leaf = 0; leaf < llmd_parquet_reader_num_leaves(r); leaf++) {
        if (llmd_parquet_reader_leaf_field(r, leaf) != field) continue;
        for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
            llmd_parquet_chunk_info ci;
            if (llmd_parquet_reader_chunk_info(r, g, leaf, &ci) != LLMD_OK || ci.null_count < 0) return -1;
            total += ci.null_count;
        }
        return total;
    }
    return -1;
}

llmd_status dl_check_file_schema(const char *path, const llmd_parquet_reader *r, const cJSON *table_schema,
                                 const cJSON *partition_columns, cJSON **new_columns) {
    *new_columns = NULL;
    cJSON *fs = NULL;
    llmd_status st = dl_parquet_schema_json(llmd_parquet_reader_schema(r), &fs);
    if (st != LLMD_OK) return llmd_error_prefix("%s", path);
    const llmd_schema *sc = llmd_parquet_reader_schema(r);
    const cJSON *f;
    int idx = 0;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(fs, "fields")) {
        const char *name = dl_get_str(f, "name");
        int fid = llmd_schema_child(sc, 0, idx++);
        if (is_partition(partition_columns, name)) {
            st = llmd_fail(LLMD_ERR_SCHEMA, "%s: column '%s' is a partition column: its values belong in the "
                           "partition, not in the data file", path, name);
            break;
        }
        const cJSON *tf = field_named(table_schema, name);
        if (tf == NULL) {
            /* not in the table: a candidate for merge_schema, else refused by the caller */
            if (*new_columns == NULL) *new_columns = cJSON_CreateArray();
            cJSON *copy = cJSON_Duplicate(f, true);
            if (!*new_columns || !copy) { cJSON_Delete(copy); st = llmd_fail_nomem("checking a schema"); break; }
            /* a merged column is nullable (files before it lack it) */
            cJSON_DeleteItemFromObjectCaseSensitive(copy, "nullable");
            if (!cJSON_AddTrueToObject(copy, "nullable")) { cJSON_Delete(copy); st = llmd_fail_nomem("checking a schema"); break; }
            cJSON_AddItemToArray(*new_columns, copy);
            continue;
        }
        if (!same_type(cJSON_GetObjectItemCaseSensitive(tf, "type"), cJSON_GetObjectItemCaseSensitive(f, "type"))) {
            char *a = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(tf, "type"));
            char *b = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(f, "type"));
            st = llmd_fail(LLMD_ERR_SCHEMA, "%s: column '%s' is %s in the file but %s in the table", path, name,
                           b ? b : "?", a ? a : "?");
            cJSON_free(a);
            cJSON_free(b);
            break;
        }
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(tf, "nullable")) && llmd_schema_nullable(sc, fid)) {
            int64_t nulls = column_nulls(r, fid);
            if (nulls != 0) {
                st = nulls < 0 ? llmd_fail(LLMD_ERR_SCHEMA, "%s: column '%s' is NOT NULL in the table but nullable in the "
                                           "file, without null counts to prove it has no null", path, name)
                               : llmd_fail(LLMD_ERR_SCHEMA, "%s: column '%s' is NOT NULL in the table but has %lld nulls",
                                           path, name, (long long)nulls);
                break;
            }
        }
    }
    /* table columns the file lacks read as null: only nullable ones may be missing */
    const cJSON *tfields = st == LLMD_OK ? cJSON_GetObjectItemCaseSensitive(table_schema, "fields") : (const cJSON *)NULL;
    cJSON_ArrayForEach(f, tfields) {
        const char *name = dl_get_str(f, "name");
        if (is_partition(partition_columns, name) || field_named(fs, name)) continue;
        if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f, "nullable"))) {
            st = llmd_fail(LLMD_ERR_SCHEMA, "%s: NOT NULL column '%s' is missing from the file", path, name);
            break;
        }
    }
    cJSON_Delete(fs);
    if (st != LLMD_OK) { cJSON_Delete(*new_columns); *new_columns = NULL; }
    return st;
}

/* ---- stats ---------------------------------------------------------------------------------------------- */
/* A min or max from PLAIN-encoded statistics bytes as JSON; NULL when the type's statistics are
 * not used (nested, binary, decimals, floats' NaN, strings whose max would need truncation). */
static cJSON *stat_value(llmd_type t, const char *physical, const uint8_t *p, size_t n, bool is_max) {
    char buf[80];
    if (p == NULL) return NULL;
    bool i32 = strcmp(physical, "INT32") == 0 && n == 4, i64 = strcmp(physical, "INT64") == 0 && n == 8;
    switch (t.id) {
    case LLMD_TYPE_INT8: case LLMD_TYPE_INT16: case LLMD_TYPE_INT32:
        return i32 ? cJSON_CreateNumber((int32_t)llmd_load_le32(p)) : NULL;
    case LLMD_TYPE_INT64:
        if (!i64) return NULL;
        {
            int64_t v = (int64_t)llmd_load_le64(p);
            if (v > (INT64_C(1) << 53) || v < -(INT64_C(1) << 53)) {
                snprintf(buf, sizeof buf, "%lld", (long long)v);
                return cJSON_CreateRaw(buf);
            }
            return cJSON_CreateNumber((double)v);
        }
    case LLMD_TYPE_FLOAT: case LLMD_TYPE_DOUBLE: {
        double d;
        if (t.id == LLMD_TYPE_FLOAT && n == 4) { uint32_t u = llmd_load_le32(p); float f; memcpy(&f, &u, 4); d = f; }
        else if (t.id == LLMD_TYPE_DOUBLE && n == 8) { uint64_t u = llmd_load_le64(p); memcpy(&d, &u, 8); }
        else return NULL;
        return isfinite(d) ? dl_json_double(d, t.id == LLMD_TYPE_FLOAT) : NULL;
    }
    case LLMD_TYPE_STRING: {
        /* Delta writers keep 32-character prefixes; a prefix is a valid min, not a valid max */
        if (n > 32) {
            if (is_max) return NULL;
            n = 32;
            while (n > 0 && (p[n] & 0xC0) == 0x80) n--;   /* never cut a UTF-8 sequence */
        }
        if (llmd_utf8_validate(p, n) != n) return NULL;
        char *s = llmd_strndup((const char *)p, n);
        cJSON *j = s ? cJSON_CreateString(s) : NULL;
        llmd_free(s);
        return j;
    }
    case LLMD_TYPE_DATE:
        if (!i32) return NULL;
        dl_date_text((int32_t)llmd_load_le32(p), buf, sizeof buf);
        return cJSON_CreateString(buf);
    case LLMD_TYPE_TIMESTAMP: {
        if (!i64) return NULL;   /* INT96 statistics are not ordered: unused */
        int64_t v = (int64_t)llmd_load_le64(p);
        /* Spark writes timestamp stats in milliseconds; a max must round up to stay an upper bound */
        int64_t per_ms = t.unit == LLMD_TIME_MILLIS ? 1 : t.unit == LLMD_TIME_MICROS ? 1000 : 1000000;
        int64_t ms = v / per_ms;
        if (v % per_ms != 0 && v < 0) ms--;
        if (is_max && v % per_ms != 0) ms++;
        dl_timestamp_text(ms, LLMD_TIME_MILLIS, true, buf, sizeof buf);
        /* "...T00:00:00.000000Z" -> Spark's millisecond form "...T00:00:00.000Z" */
        size_t L = strlen(buf);
        if (L > 4) { memmove(buf + L - 4, buf + L - 1, 2); }
        if (!t.utc && t.unit != LLMD_TIME_NANOS) buf[strlen(buf) - 1] = '\0';
        return cJSON_CreateString(buf);
    }
    default:
        return NULL;
    }
}

static bool json_num(const cJSON *a, double *d) {
    if (cJSON_IsNumber(a)) { *d = a->valuedouble; return true; }
    if (cJSON_IsRaw(a)) { char *e; *d = strtod(a->valuestring, &e); return *e == '\0'; }
    return false;
}

static int json_cmp(const cJSON *a, const cJSON *b) {
    double x, y;
    if (json_num(a, &x) && json_num(b, &y)) return x < y ? -1 : x > y;
    if (cJSON_IsString(a) && cJSON_IsString(b)) return strcmp(a->valuestring, b->valuestring);
    return 0;
}

llmd_status dl_file_stats(const llmd_parquet_reader *r, char **out) {
    *out = NULL;
    const llmd_schema *sc = llmd_parquet_reader_schema(r);
    cJSON *o = cJSON_CreateObject(), *mins = NULL, *maxs = NULL, *nulls = NULL;
    bool ok = o && cJSON_AddNumberToObject(o, "numRecords", (double)llmd_parquet_reader_num_rows(r)) &&
              (mins = cJSON_AddObjectToObject(o, "minValues")) && (maxs = cJSON_AddObjectToObject(o, "maxValues")) &&
              (nulls = cJSON_AddObjectToObject(o, "nullCount"));
    for (int leaf = 0; ok && leaf < llmd_parquet_reader_num_leaves(r); leaf++) {
        int f = llmd_parquet_reader_leaf_field(r, leaf);
        if (llmd_schema_parent(sc, f) != 0) continue;   /* top-level primitive columns only */
        const char *name = llmd_schema_name(sc, f);
        llmd_type t = llmd_schema_type(sc, f);
        cJSON *mn = NULL, *mx = NULL;
        int64_t nc = 0;
        bool have_min = true, have_max = true;
        for (int g = 0; ok && g < llmd_parquet_reader_num_row_groups(r); g++) {
            llmd_parquet_chunk_info ci;
            if (llmd_parquet_reader_chunk_info(r, g, leaf, &ci) != LLMD_OK) { nc = -1; have_min = have_max = false; break; }
            if (nc >= 0) nc = ci.null_count < 0 ? -1 : nc + ci.null_count;
            bool all_null = ci.null_count >= 0 && ci.null_count == ci.num_values;
            if (all_null) continue;   /* a group of nulls bounds nothing */
            const char *phys = llmd_parquet_reader_leaf_physical(r, leaf);
            cJSON *a = have_min ? stat_value(t, phys, ci.min, ci.min_len, false) : NULL;
            cJSON *b = have_max ? stat_value(t, phys, ci.max, ci.max_len, true) : NULL;
            if (!a) have_min = false;
            if (!b) have_max = false;
            if (a && (!mn || json_cmp(a, mn) < 0)) { cJSON_Delete(mn); mn = a; } else cJSON_Delete(a);
            if (b && (!mx || json_cmp(b, mx) > 0)) { cJSON_Delete(mx); mx = b; } else cJSON_Delete(b);
        }
        if (have_min && mn) ok = add_owned(mins, name, mn); else cJSON_Delete(mn);
        if (have_max && mx) { if (!add_owned(maxs, name, mx)) ok = false; } else cJSON_Delete(mx);
        if (ok && nc >= 0) ok = cJSON_AddNumberToObject(nulls, name, (double)nc) != NULL;
    }
    char *p = ok ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    if (p == NULL) return llmd_fail_nomem("computing file stats");
    *out = llmd_strdup(p);
    cJSON_free(p);
    return *out ? LLMD_OK : llmd_fail_nomem("computing file stats");
}
