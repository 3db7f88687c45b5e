/* Parquet columns as JSON values (values.c). */
#ifndef LLMD_DELTA_VALUES_H
#define LLMD_DELTA_VALUES_H

#include "delta/delta_internal.h"
#include "llmdata/parquet.h"

enum {
    DL_JSON_RAW = 0,    /* checkpoint actions: dates/timestamps as numbers, null struct fields omitted */
    DL_JSON_ROWS = 1    /* scan output: dates "YYYY-MM-DD", timestamps ISO 8601, nulls kept */
};
bool dl_col_valid(const llmd_column *c, int64_t i);
/* Entry i of column c (field `field` of schema sc) as a new cJSON value (NULL when out of memory). */
cJSON *dl_value_json(const llmd_schema *sc, int field, const llmd_column *c, int64_t i, int mode);
void dl_date_text(int64_t days, char *out, size_t n);
/* A double (or float) as the shortest JSON number that reads back exactly; NaN/Infinity as strings. */
cJSON *dl_json_double(double d, bool is_float);
void dl_timestamp_text(int64_t v, int unit, bool utc, char *out, size_t n);

/* filestats.c: the Spark StructType of a Parquet schema; the file's schema checked against the
 * table's (new top-level columns returned for merge_schema); add.stats from the footer. */
llmd_status dl_parquet_schema_json(const llmd_schema *sc, cJSON **out);
llmd_status dl_check_file_schema(const char *path, const llmd_parquet_reader *r, const cJSON *table_schema,
                                 const cJSON *partition_columns, cJSON **new_columns);
llmd_status dl_file_stats(const llmd_parquet_reader *r, char **out);

/* colbuild.c: JSON values -> Arrow-layout columns for the Parquet writer (one builder per field,
 * children for nested types).  append(NULL or JSON null) = a null entry; a value that does not fit
 * the type -> LLMD_ERR_SCHEMA naming the column. */
typedef struct dl_colb {
    const llmd_schema *schema;
    int field;
    llmd_type type;
    int64_t len;
    llmd_buf validity, values, offsets;   /* offsets: int32 */
    struct dl_colb *children;
    size_t n_children;
    llmd_column *kids;                    /* built children */
} dl_colb;
llmd_status dl_colb_init(dl_colb *c, const llmd_schema *s, int field);
llmd_status dl_colb_append(dl_colb *c, const cJSON *v);
/* Points *out at the builder's buffers (valid until the next append/reset/free). */
llmd_status dl_colb_build(dl_colb *c, llmd_column *out);
void dl_colb_reset(dl_colb *c);
void dl_colb_free(dl_colb *c);
/* ISO 8601 / "YYYY-MM-DD HH:MM:SS[.f]" / "YYYY-MM-DD" -> `unit`s since the epoch (UTC). */
bool dl_parse_ts(const char *s, int unit, int64_t *out);

#endif
