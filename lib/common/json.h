/*
 * Reading nested JSON (internal to the library): cJSON trees plus typed field look-ups whose errors
 * name the document (`what`, e.g. "tokenizer.json" or "_delta_log/00000000000000000003.json line 2"),
 * the field and the type wanted:  `what: field "ttl_seconds" must be an integer, not a string`.
 * Optional look-ups (required = false) leave *out untouched when the field is absent or null, so
 * callers set defaults first.
 */
#ifndef LLMD_COMMON_JSON_H
#define LLMD_COMMON_JSON_H
#include <cJSON.h>

#include "common/internal.h"

/* Parses data[0..len) (no NUL needed); only white space may follow the value.  LLMD_ERR_PARSE with
 * the byte offset.  Free *out with cJSON_Delete. */
llmd_status llmd_json_parse(const char *data, size_t len, const char *what, cJSON **out);
/* The same, and the value must be an object. */
llmd_status llmd_json_parse_object(const char *data, size_t len, const char *what, cJSON **out);
/* "a string", "an array", "null", "missing" (v NULL), ... for messages. */
const char *llmd_json_type_name(const cJSON *v);
/* obj[key] (case-sensitive), or NULL when obj is not an object or lacks key. */
const cJSON *llmd_json_field(const cJSON *obj, const char *key);

llmd_status llmd_json_string(const cJSON *obj, const char *key, const char *what, bool required, const char **out);
llmd_status llmd_json_bool(const cJSON *obj, const char *key, const char *what, bool required, bool *out);
/* An integral number in [lo, hi] (below 2^53: cJSON keeps doubles); LLMD_ERR_RANGE outside. */
llmd_status llmd_json_int(const cJSON *obj, const char *key, const char *what, bool required, int64_t lo,
                          int64_t hi, int64_t *out);
/* The same for a value already in hand (an array element); key names it in messages. */
llmd_status llmd_json_number_int(const cJSON *v, const char *what, const char *key, int64_t lo, int64_t hi,
                                 int64_t *out);
llmd_status llmd_json_double(const cJSON *obj, const char *key, const char *what, bool required, double *out);
llmd_status llmd_json_array(const cJSON *obj, const char *key, const char *what, bool required, const cJSON **out);
llmd_status llmd_json_object(const cJSON *obj, const char *key, const char *what, bool required, const cJSON **out);
/* A string, number or boolean as text ("1"/"0" for booleans; integers without a fraction), for
 * settings given as JSON scalars.  Numbers are formatted into buf[cap]. */
llmd_status llmd_json_scalar_text(const cJSON *v, const char *what, const char *key, char *buf, size_t cap,
                                  const char **out);
#endif
