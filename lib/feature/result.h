/* Result tables shared by the historical join and online lookups (internal). */
#ifndef LLMD_FEATURE_RESULT_H
#define LLMD_FEATURE_RESULT_H
#include "feature/feature_internal.h"

typedef struct rcol {
    char *name;
    llmd_feature_dtype dtype;
    uint32_t veclen;
    uint8_t *valid;
    void *vals;        /* fixed width */
    int64_t *offs;     /* STRING/BYTES: rows + 1 */
    llmd_buf blob;
    int64_t source_version;   /* the Delta version the column's view was read at, -1 otherwise */
} rcol;

struct llmd_feature_result {
    size_t rows, n_cols;
    rcol *cols;
    uint8_t *status;   /* online lookups: rows * n_cols llmd_feature_status values */
    uint64_t spill_bytes;   /* historical joins: bytes written to temp files */
};

llmd_status result_new(llmd_feature_result **out, size_t rows, size_t n_cols);
llmd_status result_col_init(rcol *c, const char *name, llmd_feature_dtype dt, uint32_t veclen, size_t rows);
llmd_status result_set_from(rcol *c, size_t row, const fcol *f, int64_t src);
/* Encodes entity row `row`'s key (the view's join keys through map[] into the key columns). */
llmd_status feat_encode_entity(llmd_buf *b, size_t n_view_keys, const size_t *map, const llmd_key_column *keys,
                               size_t row);
#endif
