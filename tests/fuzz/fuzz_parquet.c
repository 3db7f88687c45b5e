/* libFuzzer harness for the Parquet reader (outside input: every .parquet file a user opens).
 * Build line in tests/fuzz/README.md.
 *
 * Invariants (abort on violation):
 *  1. Opening the input as a Parquet file returns OK or PARSE/CORRUPT/UNSUPPORTED/RANGE/NOMEM with a
 *     non-empty message; never crashes, never reads out of bounds.
 *  2. When it opens, every row group either reads (every column has the row group's row count,
 *     list offsets are non-decreasing and inside their children) or fails with a message.
 *  3. Statistics and row-group skipping answer without crashing for every leaf/row group.
 * Reads use max_memory = 64 MiB so a hostile size claim fails fast instead of exhausting RAM. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmdata/parquet.h"

static void check(int ok) {
    if (!ok) abort();
}

static void check_error(llmd_status st) {
    check(st == LLMD_ERR_PARSE || st == LLMD_ERR_CORRUPT || st == LLMD_ERR_UNSUPPORTED || st == LLMD_ERR_RANGE ||
          st == LLMD_ERR_NOMEM);
    check(llmd_last_error()[0] != '\0');
}

static void check_column(const llmd_parquet_reader *r, int id, const llmd_column *c) {
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    llmd_type t = llmd_schema_type(s, id);
    if (t.id == LLMD_TYPE_LIST || t.id == LLMD_TYPE_MAP || t.id == LLMD_TYPE_STRING || t.id == LLMD_TYPE_BINARY) {
        int64_t prev = 0;
        for (int64_t i = 0; i <= c->length; i++) {
            int64_t o = c->offsets64 ? ((const int64_t *)c->offsets)[i] : ((const int32_t *)c->offsets)[i];
            check(o >= prev);
            prev = o;
        }
        for (size_t k = 0; k < c->n_children; k++) {
            check(c->children[k].length == prev);
            check_column(r, llmd_schema_child(s, id, (int)k), &c->children[k]);
        }
    } else if (t.id == LLMD_TYPE_STRUCT) {
        for (size_t k = 0; k < c->n_children; k++) {
            check(c->children[k].length == c->length);
            check_column(r, llmd_schema_child(s, id, (int)k), &c->children[k]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llmd_parquet_read_options o = LLMD_PARQUET_READ_OPTIONS_INIT;
    o.max_memory = 64u << 20;
    llmd_parquet_reader *r;
    llmd_status st = llmd_parquet_reader_open_memory(&r, data, size, &o);
    if (st) {
        check_error(st);
        return 0;
    }
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        llmd_parquet_batch *b;
        st = llmd_parquet_reader_read_row_group(r, g, &b);
        if (st) {
            check_error(st);
            continue;
        }
        check(llmd_parquet_batch_rows(b) == llmd_parquet_reader_row_group_rows(r, g));
        for (size_t i = 0; i < llmd_parquet_batch_num_columns(b); i++) {
            const llmd_column *c = llmd_parquet_batch_column(b, i);
            check(c->length == llmd_parquet_batch_rows(b));
            check_column(r, llmd_parquet_batch_field(b, i), c);
        }
        llmd_parquet_batch_free(b);
        for (int l = 0; l < llmd_parquet_reader_num_leaves(r); l++) {
            llmd_parquet_chunk_info ci;
            check(llmd_parquet_reader_chunk_info(r, g, l, &ci) == LLMD_OK);
        }
        const llmd_schema *s = llmd_parquet_reader_schema(r);
        for (int k = 0; k < llmd_schema_child_count(s, 0); k++) {
            llmd_parquet_predicate p = {.column = llmd_schema_name(s, llmd_schema_child(s, 0, k)), .op = LLMD_PARQUET_GT,
                                        .i = 5, .d = 0.5, .bytes = "m", .bytes_len = 1};
            int m = llmd_parquet_reader_row_group_may_match(r, g, &p, 1);
            check(m == 0 || m == 1 || m == LLMD_ERR_INVALID_ARG || m == LLMD_ERR_NOT_FOUND);
        }
    }
    llmd_parquet_reader_free(r);
    return 0;
}
