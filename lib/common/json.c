/*
 * The library's one way of reading nested JSON documents (tokenizer.json, pipeline configs, Delta
 * log actions, feature definitions): cJSON for the tree, plus typed look-ups whose errors all name
 * the document, the field and what was wanted, so every reader reports bad input the same way.
 * (io/json_doc.c stays the field-preserving JSONL editor: it never builds a tree.)
 */
#include <math.h>
#include <stdio.h>

#include "common/json.h"

llmd_status llmd_json_parse(const char *data, size_t len, const char *what, cJSON **out) {
    *out = NULL;
    if (data == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: no JSON text", what);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(data, len, &end, 0);
    if (root == NULL) {
        if (end == NULL) end = cJSON_GetErrorPtr();
        size_t at = end != NULL && end >= data && end <= data + len ? (size_t)(end - data) : 0;
        /* cJSON cannot tell a malformed document from an allocation failure; a document this
         * small that fails at its very end is most likely truncated. */
        return llmd_fail(LLMD_ERR_PARSE, "%s: malformed JSON at byte offset %zu%s", what, at,
                         at >= len ? " (truncated?)" : "");
    }
    /* Only white space may follow the value. */
    for (size_t at = (size_t)(end - data); at < len; at++) {
        char c = data[at];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            cJSON_Delete(root);
            return llmd_fail(LLMD_ERR_PARSE, "%s: data after the JSON value at byte offset %zu", what, at);
        }
    }
    *out = root;
    return LLMD_OK;
}

llmd_status llmd_json_parse_object(const char *data, size_t len, const char *what, cJSON **out) {
    llmd_status st = llmd_json_parse(data, len, what, out);
    if (st != LLMD_OK) return st;
    if (!cJSON_IsObject(*out)) {
        cJSON_Delete(*out);
        *out = NULL;
        return llmd_fail(LLMD_ERR_PARSE, "%s: not a JSON object", what);
    }
    return LLMD_OK;
}

const char *llmd_json_type_name(const cJSON *v) {
    if (v == NULL) return "missing";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "invalid";
}

static llmd_status wrong_type(const char *what, const char *key, const char *wanted, const cJSON *v) {
    if (v == NULL) return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" is missing (%s expected)", what, key, wanted);
    return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" must be %s, not %s", what, key, wanted, llmd_json_type_name(v));
}

const cJSON *llmd_json_field(const cJSON *obj, const char *key) {
    return cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
}

/* A field that is absent or JSON null counts as "not given" for the optional look-ups. */
static bool absent(const cJSON *v) { return v == NULL || cJSON_IsNull(v); }

llmd_status llmd_json_string(const cJSON *obj, const char *key, const char *what, bool required,
                             const char **out) {
    const cJSON *v = llmd_json_field(obj, key);
    if (absent(v) && !required) return LLMD_OK;
    if (!cJSON_IsString(v)) return wrong_type(what, key, "a string", v);
    *out = v->valuestring;
    return LLMD_OK;
}

llmd_status llmd_json_bool(const cJSON *obj, const char *key, const char *what, bool required, bool *out) {
    const cJSON *v = llmd_json_field(obj, key);
    if (absent(v) && !required) return LLMD_OK;
    if (!cJSON_IsBool(v)) return wrong_type(what, key, "true or false", v);
    *out = cJSON_IsTrue(v);
    return LLMD_OK;
}

llmd_status llmd_json_number_int(const cJSON *v, const char *what, const char *key, int64_t lo, int64_t hi,
                                 int64_t *out) {
    if (!cJSON_IsNumber(v)) return wrong_type(what, key, "an integer", v);
    double d = v->valuedouble;
    /* cJSON keeps numbers as doubles: integers beyond 2^53 are not exact, so they are refused
     * rather than silently rounded. */
    if (!(d == floor(d)) || fabs(d) >= 9007199254740992.0)
        return llmd_fail(LLMD_ERR_PARSE, "%s: field \"%s\" must be an integer (below 2^53, where JSON numbers stay exact), not %.17g",
                         what, key, d);
    int64_t i = (int64_t)d;
    if (i < lo || i > hi)
        return llmd_fail(LLMD_ERR_RANGE, "%s: field \"%s\" = %lld is outside [%lld, %lld]", what, key,
                         (long long)i, (long long)lo, (long long)hi);
    *out = i;
    return LLMD_OK;
}

llmd_status llmd_json_int(const cJSON *obj, const char *key, const char *what, bool required, int64_t lo,
                          int64_t hi, int64_t *out) {
    const cJSON *v = llmd_json_field(obj, key);
    if (absent(v) && !required) return LLMD_OK;
    return llmd_json_number_int(v, what, key, lo, hi, out);
}

llmd_status llmd_json_double(const cJSON *obj, const char *key, const char *what, bool required, double *out) {
    const cJSON *v = llmd_json_field(obj, key);
    if (absent(v) && !required) return LLMD_OK;
    if (!cJSON_IsNumber(v)) return wrong_type(what, key, "a number", v);
    *out = v->valuedouble;
    return LLMD_OK;
}

llmd_status llmd_json_array(const cJSON *obj, const char *key, const char *what, bool required,
                            const cJSON **out) {
    const cJSON *v = llmd_json_field(obj, key);
    if (absent(v) && !required) return LLMD_OK;
    if (!cJSON_IsArray(v)) return wrong_type(what, key, "an array", v);
    *out = v;
    return LLMD_OK;
}

llmd_status llmd_json_object(const cJSON *obj, const char *key, const char *what, bool required,
                             const cJSON **out) {
    const cJSON *v = llmd_json_field(obj, key);
    if (absent(v) && !required) return LLMD_OK;
    if (!cJSON_IsObject(v)) return wrong_type(what, key, "an object", v);
    *out = v;
    return LLMD_OK;
}

llmd_status llmd_json_scalar_text(const cJSON *v, const char *what, const char *key, char *buf, size_t cap,
                                  const char **out) {
    if (cJSON_IsString(v)) {
        *out = v->valuestring;
    } else if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? "1" : "0";
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (d == floor(d) && fabs(d) < 1e18) snprintf(buf, cap, "%lld", (long long)d);
        else snprintf(buf, cap, "%.17g", d);
        *out = buf;
    } else {
        return wrong_type(what, key, "a string, number or boolean", v);
    }
    return LLMD_OK;
}
