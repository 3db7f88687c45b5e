/* Spark StructType JSON: validation, partition columns, evolution rules. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>

#include "delta/delta_internal.h"

static const char *const k_primitive[] = {"string", "long", "integer", "short", "byte", "float", "double",
                                          "boolean", "binary", "date", "timestamp", "timestamp_ntz",
                                          "void", "variant", NULL};

static bool is_decimal(const char *t) {
    int p, s, n = 0;
    if (sscanf(t, "decimal(%d,%d)%n", &p, &s, &n) == 2 && t[n] == '\0') return p >= 1 && p <= 38 && s >= 0 && s <= p;
    if (sscanf(t, "decimal(%d, %d)%n", &p, &s, &n) == 2 && t[n] == '\0') return p >= 1 && p <= 38 && s >= 0 && s <= p;
    return false;
}

static bool is_primitive(const char *t) {
    for (const char *const *p = k_primitive; *p; p++)
        if (strcmp(*p, t) == 0) return true;
    return is_decimal(t);
}

static llmd_status check_type(const cJSON *type, const char *where, int depth);

static llmd_status check_struct(const cJSON *st, const char *where, int depth) {
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(st, "fields");
    if (!cJSON_IsArray(fields)) return llmd_fail(LLMD_ERR_SCHEMA, "schema: %s: struct without a fields array", where);
    const cJSON *f;
    cJSON_ArrayForEach(f, fields) {
        const char *name = dl_get_str(f, "name");
        if (name == NULL) return llmd_fail(LLMD_ERR_SCHEMA, "schema: %s: a field without a name", where);
        const cJSON *nullable = cJSON_GetObjectItemCaseSensitive(f, "nullable");
        if (nullable != NULL && !cJSON_IsBool(nullable))
            return llmd_fail(LLMD_ERR_SCHEMA, "schema: field '%s': nullable is not a boolean", name);
        const cJSON *md = cJSON_GetObjectItemCaseSensitive(f, "metadata");
        if (md != NULL && !cJSON_IsObject(md))
            return llmd_fail(LLMD_ERR_SCHEMA, "schema: field '%s': metadata is not an object", name);
        /* Spark column names are case-insensitive: two that differ only in case clash */
        for (const cJSON *g = fields->child; g != f; g = g->next) {
            const char *gn = dl_get_str(g, "name");
            if (gn && strcasecmp(gn, name) == 0)
                return llmd_fail(LLMD_ERR_SCHEMA, "schema: %s: duplicate column '%s'", where, name);
        }
        char sub[512];
        snprintf(sub, sizeof sub, "%s%s%s", where[0] ? where : "", where[0] ? "." : "", name);
        llmd_status s = check_type(cJSON_GetObjectItemCaseSensitive(f, "type"), sub, depth + 1);
        if (s != LLMD_OK) return s;
    }
    return LLMD_OK;
}

static llmd_status check_type(const cJSON *type, const char *where, int depth) {
    if (depth > 64) return llmd_fail(LLMD_ERR_SCHEMA, "schema: %s: nested deeper than 64", where);
    if (cJSON_IsString(type)) {
        if (!is_primitive(type->valuestring))
            return llmd_fail(LLMD_ERR_SCHEMA, "schema: column '%s': unknown type '%s'", where, type->valuestring);
        return LLMD_OK;
    }
    const char *t = cJSON_IsObject(type) ? dl_get_str(type, "type") : NULL;
    if (t == NULL) return llmd_fail(LLMD_ERR_SCHEMA, "schema: column '%s': missing or invalid type", where);
    if (strcmp(t, "struct") == 0) return check_struct(type, where, depth);
    if (strcmp(t, "array") == 0)
        return check_type(cJSON_GetObjectItemCaseSensitive(type, "elementType"), where, depth + 1);
    if (strcmp(t, "map") == 0) {
        llmd_status s = check_type(cJSON_GetObjectItemCaseSensitive(type, "keyType"), where, depth + 1);
        return s != LLMD_OK ? s : check_type(cJSON_GetObjectItemCaseSensitive(type, "valueType"), where, depth + 1);
    }
    return llmd_fail(LLMD_ERR_SCHEMA, "schema: column '%s': unknown type '%s'", where, t);
}

llmd_status dl_schema_parse(const char *json, cJSON **out) {
    *out = NULL;
    cJSON *j = cJSON_Parse(json);
    if (j == NULL) return llmd_fail(LLMD_ERR_SCHEMA, "schema is not valid JSON");
    const char *t = dl_get_str(j, "type");
    if (t == NULL || strcmp(t, "struct") != 0) {
        cJSON_Delete(j);
        return llmd_fail(LLMD_ERR_SCHEMA, "schema is not a struct type ({\"type\":\"struct\",\"fields\":[...]})");
    }
    llmd_status s = check_struct(j, "", 0);
    if (s != LLMD_OK) { cJSON_Delete(j); return s; }
    *out = j;
    return LLMD_OK;
}

static const cJSON *find_field(const cJSON *schema, const char *name) {
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(schema, "fields")) {
        const char *n = dl_get_str(f, "name");
        if (n && strcmp(n, name) == 0) return f;
    }
    return NULL;
}

llmd_status dl_schema_check_partitions(const cJSON *schema, const cJSON *partition_columns) {
    const cJSON *p;
    size_t nfields = (size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(schema, "fields"));
    size_t nparts = 0;
    cJSON_ArrayForEach(p, partition_columns) {
        if (!cJSON_IsString(p)) return llmd_fail(LLMD_ERR_SCHEMA, "partition column is not a string");
        const cJSON *f = find_field(schema, p->valuestring);
        if (f == NULL) return llmd_fail(LLMD_ERR_SCHEMA, "partition column '%s' is not in the schema", p->valuestring);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(f, "type");
        if (!cJSON_IsString(t) || strcmp(t->valuestring, "void") == 0 || strcmp(t->valuestring, "variant") == 0)
            return llmd_fail(LLMD_ERR_SCHEMA, "partition column '%s' must have a primitive type", p->valuestring);
        for (const cJSON *q = partition_columns->child; q != p; q = q->next)
            if (cJSON_IsString(q) && strcmp(q->valuestring, p->valuestring) == 0)
                return llmd_fail(LLMD_ERR_SCHEMA, "partition column '%s' is listed twice", p->valuestring);
        nparts++;
    }
    if (nparts > 0 && nparts >= nfields)
        return llmd_fail(LLMD_ERR_SCHEMA, "every column is a partition column: a table needs one data column");
    return LLMD_OK;
}

/* Same type, recursively; nested structs may gain nullable fields when merging. */
static llmd_status check_type_evolution(const cJSON *a, const cJSON *b, const char *where, bool merge) {
    if (cJSON_IsString(a) || cJSON_IsString(b)) {
        if (cJSON_IsString(a) && cJSON_IsString(b) && strcmp(a->valuestring, b->valuestring) == 0) return LLMD_OK;
        char *x = cJSON_PrintUnformatted(a), *y = cJSON_PrintUnformatted(b);
        llmd_status st = llmd_fail(LLMD_ERR_SCHEMA, "column '%s': type %s cannot change to %s", where,
                                   x ? x : "?", y ? y : "?");
        cJSON_free(x);
        cJSON_free(y);
        return st;
    }
    const char *ta = dl_get_str(a, "type"), *tb = dl_get_str(b, "type");
    if (!ta || !tb || strcmp(ta, tb) != 0)
        return llmd_fail(LLMD_ERR_SCHEMA, "column '%s': type %s cannot change to %s", where, ta ? ta : "?", tb ? tb : "?");
    if (strcmp(ta, "struct") == 0) {
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(a, "fields")) {
            const char *name = dl_get_str(f, "name");
            const cJSON *g = find_field(b, name);
            char sub[512];
            snprintf(sub, sizeof sub, "%s%s%s", where, where[0] ? "." : "", name);
            if (g == NULL) return llmd_fail(LLMD_ERR_SCHEMA, "column '%s' is missing from the new schema", sub);
            bool na = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f, "nullable"));
            bool nb = !cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(g, "nullable"));
            if (na && !nb) return llmd_fail(LLMD_ERR_SCHEMA, "column '%s' cannot become non-nullable", sub);
            llmd_status st = check_type_evolution(cJSON_GetObjectItemCaseSensitive(f, "type"),
                                                  cJSON_GetObjectItemCaseSensitive(g, "type"), sub, merge);
            if (st != LLMD_OK) return st;
        }
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(b, "fields")) {
            const char *name = dl_get_str(f, "name");
            if (find_field(a, name)) continue;
            if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(f, "nullable")))
                return llmd_fail(LLMD_ERR_SCHEMA, "new column '%s%s%s' must be nullable (existing rows have no value)",
                                 where, where[0] ? "." : "", name);
        }
        return LLMD_OK;
    }
    if (strcmp(ta, "array") == 0)
        return check_type_evolution(cJSON_GetObjectItemCaseSensitive(a, "elementType"),
                                    cJSON_GetObjectItemCaseSensitive(b, "elementType"), where, merge);
    if (strcmp(ta, "map") == 0) {
        llmd_status st = check_type_evolution(cJSON_GetObjectItemCaseSensitive(a, "keyType"),
                                              cJSON_GetObjectItemCaseSensitive(b, "keyType"), where, merge);
        return st != LLMD_OK ? st : check_type_evolution(cJSON_GetObjectItemCaseSensitive(a, "valueType"),
                                                         cJSON_GetObjectItemCaseSensitive(b, "valueType"), where, merge);
    }
    return LLMD_OK;
}

llmd_status dl_schema_check_evolution(const cJSON *old_schema, const cJSON *new_schema, bool merge) {
    if (!merge) return LLMD_OK;
    return check_type_evolution(old_schema, new_schema, "", merge);
}
