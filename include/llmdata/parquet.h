/* llmdata/parquet.h — Apache Parquet reader and writer, schemas, column batches in Arrow's layout.
 *
 * Files follow the Apache Parquet format (parquet-format: parquet.thrift, Encodings.md,
 * LogicalTypes.md).  Tested both ways against DuckDB, arrow-rs (parquet-wasm) and hyparquet, and on
 * the Spark-written files of real Delta tables; pyarrow (Arrow C++, which HF datasets uses) and Spark
 * are not available on the test machines, so they are covered by the format, not by a run.
 *
 * Schemas (llmd_schema) are a small tree of typed fields: a root struct whose children are the
 * table's columns; STRUCT fields hold children, a LIST field holds exactly one child (the element),
 * a MAP field exactly two (key, then value; the key is never null).  Field 0 is the root.  The same
 * tree describes Delta tables (llmdata/delta.h).
 *
 * Column batches (llmd_column) use Apache Arrow's buffer layout, so a caller holding pyarrow,
 * Polars or Spark mapInArrow batches passes its buffers without copying:
 *   validity   bitmap, bit i (LSB first) set = entry i is valid; NULL = no nulls
 *   BOOL       values: bitmap, one bit per entry
 *   INT8..UINT64, FLOAT, DOUBLE, DATE (int32 days), TIME (int32 millis, int64 micros/nanos),
 *   TIMESTAMP (int64 in its unit)   values: little-endian fixed-width array, one slot per entry
 *                                   (null slots hold any value)
 *   DECIMAL    values: 16-byte little-endian two's complement per entry (Arrow decimal128)
 *   UUID, FIXED_BINARY(w)           values: 16 / w bytes per entry
 *   STRING, BINARY   offsets: length+1 int32 (or int64 when offsets64), values: the bytes;
 *                    entry i is values[offsets[i] .. offsets[i+1])
 *   LIST       offsets: length+1 int32/int64 into children[0] (the elements)
 *   MAP        offsets: length+1 int32/int64 into children[0] (keys) and children[1] (values),
 *              which have the same length
 *   STRUCT     children: one column per child field, each of the struct's length
 * `offset` is Arrow's slice offset: entry i of this column is slot offset+i of its validity,
 * values and offsets buffers.  As in Arrow, LIST/MAP children are indexed by the offsets' values and
 * a STRUCT's children by the struct's slot (offset+i); each child then applies its own offset.
 * On write, list elements are named "element" and map entries "key_value"/"key"/"value", as
 * LogicalTypes.md asks, whatever the schema's child names.
 *
 * Example: write a table of documents (text + token count), zstd, 128 MB row groups:
 *
 *     llmd_schema *s; int text, ntok;
 *     llmd_schema_new(&s);
 *     llmd_schema_add(s, 0, "text", &(llmd_type){.id = LLMD_TYPE_STRING}, 0, &text);
 *     llmd_schema_add(s, 0, "ntok", &(llmd_type){.id = LLMD_TYPE_INT32}, 1, &ntok);
 *     llmd_parquet_writer *w;
 *     llmd_parquet_writer_open(&w, "docs.parquet", s, NULL);
 *     int32_t offs[3] = {0, 5, 11}; int32_t counts[2] = {1, 2};
 *     llmd_column cols[2] = {
 *         {.length = 2, .offsets = offs, .values = "helloworld!"},
 *         {.length = 2, .values = counts},
 *     };
 *     llmd_parquet_writer_write(w, cols, 2);      // as many batches as you like
 *     llmd_parquet_writer_finish(w);               // publishes docs.parquet atomically
 *     llmd_parquet_writer_free(w);
 *     llmd_schema_free(s);
 *
 * Thread safety: schemas are immutable once handed to a writer or returned by a reader and may then
 * be read from any number of threads.  A reader or writer may be used by one thread at a time;
 * independent readers (even of one file) may be used on different threads at once.  Batches are
 * immutable and may be read from any number of threads. */
#ifndef LLMDATA_PARQUET_H
#define LLMDATA_PARQUET_H

#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"
#include "llmdata/pack.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- types and schemas -------------------------------------------------------------------- */

/* Logical field types.  Values are stable ABI. */
typedef enum llmd_type_id {
    LLMD_TYPE_BOOL = 1,
    LLMD_TYPE_INT8 = 2,
    LLMD_TYPE_INT16 = 3,
    LLMD_TYPE_INT32 = 4,
    LLMD_TYPE_INT64 = 5,
    LLMD_TYPE_UINT8 = 6,
    LLMD_TYPE_UINT16 = 7,
    LLMD_TYPE_UINT32 = 8,
    LLMD_TYPE_UINT64 = 9,
    LLMD_TYPE_FLOAT = 10,
    LLMD_TYPE_DOUBLE = 11,
    LLMD_TYPE_STRING = 12,        /* UTF-8 (Parquet STRING/UTF8, also ENUM and JSON on read) */
    LLMD_TYPE_BINARY = 13,
    LLMD_TYPE_FIXED_BINARY = 14,  /* byte_width bytes per entry */
    LLMD_TYPE_DATE = 15,          /* int32 days since 1970-01-01 */
    LLMD_TYPE_TIME = 16,          /* time of day in `unit` (millis: int32, micros/nanos: int64) */
    LLMD_TYPE_TIMESTAMP = 17,     /* int64 `unit`s since the epoch; utc: adjusted to UTC (instant)
                                   * or not (local date-time).  Parquet INT96 reads with utc=0 in
                                   * llmd_parquet_read_options.int96_unit */
    LLMD_TYPE_DECIMAL = 18,       /* precision 1..38, scale 0..precision; 16-byte values */
    LLMD_TYPE_UUID = 19,          /* 16 bytes, big-endian as written in text form */
    LLMD_TYPE_STRUCT = 20,
    LLMD_TYPE_LIST = 21,
    LLMD_TYPE_MAP = 22
} llmd_type_id;

typedef enum llmd_time_unit {
    LLMD_TIME_MILLIS = 0,
    LLMD_TIME_MICROS = 1,
    LLMD_TIME_NANOS = 2
} llmd_time_unit;

/* A field's type.  Fields other than `id` matter only for the types named beside them and are
 * otherwise ignored (leave them 0). */
typedef struct llmd_type {
    llmd_type_id id;
    int32_t byte_width;   /* FIXED_BINARY: 1 .. 2^24 */
    int32_t precision;    /* DECIMAL */
    int32_t scale;        /* DECIMAL */
    int unit;             /* TIME, TIMESTAMP: llmd_time_unit */
    int utc;              /* TIME, TIMESTAMP: 1 = adjusted to UTC */
} llmd_type;

typedef struct llmd_schema llmd_schema;

/* Creates an empty schema: only the root struct (field 0).  Free with llmd_schema_free. */
LLMD_API llmd_status llmd_schema_new(llmd_schema **out);
LLMD_API void llmd_schema_free(llmd_schema *schema);
/* Deep copy.  Free with llmd_schema_free. */
LLMD_API llmd_status llmd_schema_clone(llmd_schema **out, const llmd_schema *schema);

/* Adds a field named `name` (UTF-8, non-empty, unique among its siblings) under `parent` (0 for a
 * top-level column; a STRUCT, or a LIST/MAP that still lacks its one/two children) and writes its
 * id to *out_id (may be NULL).  nullable = 0 makes it required.  Errors: LLMD_ERR_INVALID_ARG for
 * a bad parent, duplicate or empty name, out-of-range type parameters, a nullable MAP key;
 * LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_schema_add(llmd_schema *schema, int parent, const char *name,
                                     const llmd_type *type, int nullable, int *out_id);

/* Number of fields in the tree, root included (ids run 0 .. count-1). */
LLMD_API int llmd_schema_count(const llmd_schema *schema);
/* Number of children of field `id` and the id of its i-th child (-1 when out of range). */
LLMD_API int llmd_schema_child_count(const llmd_schema *schema, int id);
LLMD_API int llmd_schema_child(const llmd_schema *schema, int id, int i);
/* Parent of a field (-1 for the root or a bad id). */
LLMD_API int llmd_schema_parent(const llmd_schema *schema, int id);
/* Name of a field (owned by the schema; "" for the root; NULL for a bad id). */
LLMD_API const char *llmd_schema_name(const llmd_schema *schema, int id);
/* Type of a field (a zeroed type for a bad id) and whether it may be null. */
LLMD_API llmd_type llmd_schema_type(const llmd_schema *schema, int id);
LLMD_API int llmd_schema_nullable(const llmd_schema *schema, int id);
/* Id of the child of `parent` named `name`, or -1. */
LLMD_API int llmd_schema_find(const llmd_schema *schema, int parent, const char *name);
/* Short type name: "bool", "int32", "string", "timestamp", "decimal", "list", ... (NULL if unknown). */
LLMD_API const char *llmd_type_name(llmd_type_id id);

/* ---- column batches ----------------------------------------------------------------------- */

/* A column in Arrow's layout (see the top of this header).  Buffers are borrowed: the writer reads
 * them during the call only; the reader's columns belong to their llmd_parquet_batch.  The layout of
 * this struct is frozen (arrays of it are passed as children). */
typedef struct llmd_column {
    int64_t length;                     /* number of entries */
    int64_t offset;                     /* Arrow slice offset into validity/values/offsets (usually 0) */
    const uint8_t *validity;            /* NULL = no nulls */
    const void *offsets;                /* STRING, BINARY, LIST, MAP */
    const void *values;                 /* fixed-width values or STRING/BINARY bytes */
    const struct llmd_column *children; /* LIST: 1, MAP: 2, STRUCT: one per child field */
    size_t n_children;
    int offsets64;                      /* 1 = offsets are int64 (Arrow large_string/large_list) */
} llmd_column;

/* ---- writer ------------------------------------------------------------------------------- */

typedef enum llmd_parquet_codec {
    LLMD_PARQUET_UNCOMPRESSED = 0,
    LLMD_PARQUET_SNAPPY = 1,
    LLMD_PARQUET_GZIP = 2,
    LLMD_PARQUET_ZSTD = 6,
    LLMD_PARQUET_LZ4_RAW = 7
} llmd_parquet_codec;   /* values are Parquet's CompressionCodec numbers */

/* Name ("zstd", "snappy", "gzip", "lz4_raw", "uncompressed") of a codec and the reverse
 * (case-insensitive; "none" and "lz4" accepted).  parse fails with LLMD_ERR_INVALID_ARG. */
LLMD_API const char *llmd_parquet_codec_name(int codec);
LLMD_API llmd_status llmd_parquet_codec_parse(const char *name, int *codec);

typedef struct llmd_parquet_write_options {
    unsigned version;            /* LLMD_PARQUET_WRITE_OPTIONS_VERSION */
    int codec;                   /* llmd_parquet_codec (default ZSTD) */
    int compression_level;       /* 0 = the codec's default (zstd 3, gzip 6) */
    uint64_t row_group_bytes;    /* cut a row group once its encoded size reaches this (128 MiB) */
    uint64_t page_bytes;         /* data page size target before compression (1 MiB) */
    uint64_t dictionary_bytes;   /* dictionary size limit per column chunk; past it the chunk's
                                  * remaining pages are PLAIN (1 MiB); 0 = never use dictionaries */
    int data_page_version;       /* 1 (default) or 2 */
    int statistics;              /* write min/max/null_count per column chunk (default 1) */
} llmd_parquet_write_options;
#define LLMD_PARQUET_WRITE_OPTIONS_VERSION 1
#define LLMD_PARQUET_WRITE_OPTIONS_INIT \
    {LLMD_PARQUET_WRITE_OPTIONS_VERSION, LLMD_PARQUET_ZSTD, 0, 128u << 20, 1u << 20, 1u << 20, 1, 1}
LLMD_API void llmd_parquet_write_options_init(llmd_parquet_write_options *opts);

typedef struct llmd_parquet_writer llmd_parquet_writer;

/* Starts writing `path` with the given schema (copied; the caller keeps its own).  Nothing appears
 * at `path` until llmd_parquet_writer_finish: the data goes to a temporary file in the same
 * directory.  Memory: the current row group's compressed pages (a column chunk must be contiguous
 * in the file), so about row_group_bytes, plus one page per leaf column.  The schema needs at least one column; every STRUCT at least one child; LIST and MAP
 * their children.  Errors: LLMD_ERR_INVALID_ARG (schema, options), LLMD_ERR_VERSION, LLMD_ERR_IO,
 * LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_parquet_writer_open(llmd_parquet_writer **out, const char *path,
                                              const llmd_schema *schema,
                                              const llmd_parquet_write_options *opts);

/* Adds a key/value pair to the file's key_value_metadata (both UTF-8; copied).  Any time before
 * finish. */
LLMD_API llmd_status llmd_parquet_writer_set_metadata(llmd_parquet_writer *w, const char *key,
                                                      const char *value);

/* Appends rows: columns[i] holds the i-th top-level field's entries; all n_columns (= the number of
 * top-level fields) have the same length, the number of rows added.  Buffers are read during the
 * call only.  Errors: LLMD_ERR_SCHEMA (wrong column count or length, a null in a required field,
 * offsets not non-decreasing or past their data, STRING bytes that are not UTF-8 — the message
 * names the column and row), LLMD_ERR_IO, LLMD_ERR_NOMEM.  After an error the writer is failed:
 * every later call returns LLMD_ERR_STATE and free() removes the temporary file. */
LLMD_API llmd_status llmd_parquet_writer_write(llmd_parquet_writer *w, const llmd_column *columns,
                                               size_t n_columns);

/* Ends the current row group now (a no-op when it is empty). */
LLMD_API llmd_status llmd_parquet_writer_flush(llmd_parquet_writer *w);

/* Writes the last row group and the footer, fsyncs and renames the file to its final path
 * (replacing an existing file).  After finish only free() is allowed. */
LLMD_API llmd_status llmd_parquet_writer_finish(llmd_parquet_writer *w);

/* Rows written so far and row groups completed so far. */
LLMD_API int64_t llmd_parquet_writer_rows(const llmd_parquet_writer *w);
LLMD_API int llmd_parquet_writer_row_groups(const llmd_parquet_writer *w);

/* Frees the writer; an unfinished file is removed (nothing is published).  Accepts NULL. */
LLMD_API void llmd_parquet_writer_free(llmd_parquet_writer *w);

/* ---- reader ------------------------------------------------------------------------------- */

typedef struct llmd_parquet_read_options {
    unsigned version;            /* LLMD_PARQUET_READ_OPTIONS_VERSION */
    uint64_t max_memory;         /* limit on the memory one column chunk may take while decoded
                                  * (pages, levels, values); a file that needs more fails with
                                  * LLMD_ERR_RANGE before allocating (default 1 GiB) */
    int int96_unit;              /* unit INT96 timestamps (Spark, Impala) are read in: llmd_time_unit,
                                  * default MICROS (Spark's precision, as DuckDB reads them; NANOS
                                  * keeps Impala's nanoseconds but overflows past the year 2262) */
} llmd_parquet_read_options;
#define LLMD_PARQUET_READ_OPTIONS_VERSION 1
#define LLMD_PARQUET_READ_OPTIONS_INIT {LLMD_PARQUET_READ_OPTIONS_VERSION, 1ull << 30, LLMD_TIME_MICROS}
LLMD_API void llmd_parquet_read_options_init(llmd_parquet_read_options *opts);

typedef struct llmd_parquet_reader llmd_parquet_reader;
typedef struct llmd_parquet_batch llmd_parquet_batch;

/* Opens a Parquet file and reads its footer (schema, row groups, statistics).  Every offset and
 * length in the footer is checked against the file size.  Errors: LLMD_ERR_IO (open/read),
 * LLMD_ERR_PARSE (not Parquet: magic, footer length, Thrift; the message names the byte offset),
 * LLMD_ERR_UNSUPPORTED (encrypted files, schema features outside the list in the issue),
 * LLMD_ERR_RANGE (footer larger than max_memory), LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_parquet_reader_open(llmd_parquet_reader **out, const char *path,
                                              const llmd_parquet_read_options *opts);
/* Same over a caller-owned in-memory image of a whole file, which must outlive the reader. */
LLMD_API llmd_status llmd_parquet_reader_open_memory(llmd_parquet_reader **out, const void *data,
                                                     size_t size,
                                                     const llmd_parquet_read_options *opts);
LLMD_API void llmd_parquet_reader_free(llmd_parquet_reader *r);

/* The file's schema (owned by the reader, valid until it is freed). */
LLMD_API const llmd_schema *llmd_parquet_reader_schema(const llmd_parquet_reader *r);
LLMD_API int64_t llmd_parquet_reader_num_rows(const llmd_parquet_reader *r);
LLMD_API int llmd_parquet_reader_num_row_groups(const llmd_parquet_reader *r);
LLMD_API int64_t llmd_parquet_reader_row_group_rows(const llmd_parquet_reader *r, int row_group);
/* The footer's created_by ("" when absent) and key/value metadata (owned by the reader; value may
 * be NULL when the file stores none).  llmd_parquet_reader_metadata returns NULL for a missing key. */
LLMD_API const char *llmd_parquet_reader_created_by(const llmd_parquet_reader *r);
LLMD_API size_t llmd_parquet_reader_metadata_count(const llmd_parquet_reader *r);
LLMD_API llmd_status llmd_parquet_reader_metadata_at(const llmd_parquet_reader *r, size_t i,
                                                     const char **key, const char **value);
LLMD_API const char *llmd_parquet_reader_metadata(const llmd_parquet_reader *r, const char *key);

/* Column projection: read only these top-level fields (by name), in this order, in every later
 * read.  n = 0 (or names NULL) selects all fields.  LLMD_ERR_NOT_FOUND names an unknown field. */
LLMD_API llmd_status llmd_parquet_reader_select(llmd_parquet_reader *r, const char *const *names,
                                                size_t n);

/* Reads one row group (0 .. num_row_groups-1) of the selected columns into a new batch (free with
 * llmd_parquet_batch_free).  Memory is bounded by that row group's decoded columns.  Errors:
 * LLMD_ERR_RANGE (bad row group; a page larger than max_memory), LLMD_ERR_PARSE / LLMD_ERR_CORRUPT
 * (a malformed page: the message names the column, row group and byte offset),
 * LLMD_ERR_UNSUPPORTED (an encoding or codec this library does not read: LZO, BROTLI, LZ4 (Hadoop)),
 * LLMD_ERR_IO, LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_parquet_reader_read_row_group(llmd_parquet_reader *r, int row_group,
                                                        llmd_parquet_batch **out);

/* A batch: rows and one column per selected field, in selection order. */
LLMD_API int64_t llmd_parquet_batch_rows(const llmd_parquet_batch *b);
LLMD_API size_t llmd_parquet_batch_num_columns(const llmd_parquet_batch *b);
/* Column i (owned by the batch) and its field id in the reader's schema (-1 when out of range). */
LLMD_API const llmd_column *llmd_parquet_batch_column(const llmd_parquet_batch *b, size_t i);
LLMD_API int llmd_parquet_batch_field(const llmd_parquet_batch *b, size_t i);
LLMD_API void llmd_parquet_batch_free(llmd_parquet_batch *b);

/* ---- statistics and row-group skipping ---------------------------------------------------- */

/* Leaf (primitive) columns of the file, in file order: dotted path ("a.list.element"), physical
 * type name ("INT32", "BYTE_ARRAY", ...), and the field id of the schema field it fills. */
LLMD_API int llmd_parquet_reader_num_leaves(const llmd_parquet_reader *r);
LLMD_API const char *llmd_parquet_reader_leaf_path(const llmd_parquet_reader *r, int leaf);
LLMD_API const char *llmd_parquet_reader_leaf_physical(const llmd_parquet_reader *r, int leaf);
LLMD_API int llmd_parquet_reader_leaf_field(const llmd_parquet_reader *r, int leaf);

/* Statistics of one column chunk as stored: min/max in Parquet's PLAIN encoding of the physical
 * type (BYTE_ARRAY without its length prefix; pointers owned by the reader; NULL when absent),
 * null_count (-1 when absent), value count, sizes, codec and encodings (bit i set = Parquet
 * encoding i used). */
typedef struct llmd_parquet_chunk_info {
    const uint8_t *min;
    size_t min_len;
    const uint8_t *max;
    size_t max_len;
    int64_t null_count;
    int64_t num_values;
    int64_t compressed_bytes;
    int64_t uncompressed_bytes;
    int codec;
    uint32_t encodings;
} llmd_parquet_chunk_info;
LLMD_API llmd_status llmd_parquet_reader_chunk_info(const llmd_parquet_reader *r, int row_group,
                                                    int leaf, llmd_parquet_chunk_info *info);

/* A simple predicate on a top-level primitive column: `column OP value`. */
typedef enum llmd_parquet_op {
    LLMD_PARQUET_EQ = 0,
    LLMD_PARQUET_LT = 1,
    LLMD_PARQUET_LE = 2,
    LLMD_PARQUET_GT = 3,
    LLMD_PARQUET_GE = 4,
    LLMD_PARQUET_IS_NULL = 5,
    LLMD_PARQUET_NOT_NULL = 6
} llmd_parquet_op;
typedef struct llmd_parquet_predicate {
    const char *column;       /* top-level field name */
    int op;                   /* llmd_parquet_op */
    int64_t i;                /* value for integer, DATE, TIME and TIMESTAMP columns */
    double d;                 /* value for FLOAT and DOUBLE columns */
    const void *bytes;        /* value for STRING/BINARY/FIXED_BINARY (compared as unsigned bytes) */
    size_t bytes_len;
} llmd_parquet_predicate;

/* Whether row group `row_group` may hold a row where every one of the n predicates holds: 0 when
 * the statistics prove no row does (the group can be skipped), 1 otherwise (also when statistics
 * are missing or the column type has no usable order).  Errors (returned as a negative status):
 * LLMD_ERR_NOT_FOUND for an unknown column, LLMD_ERR_INVALID_ARG for a nested column or bad op. */
LLMD_API int llmd_parquet_reader_row_group_may_match(const llmd_parquet_reader *r, int row_group,
                                                     const llmd_parquet_predicate *preds, size_t n);

/* ---- training shards as Parquet -------------------------------------------------------------
 * Packed windows (llmdata/pack.h) written as PREFIX-00000.parquet, PREFIX-00001.parquet, ... and
 * PREFIX.manifest.json — what `llmdata pack|pipeline --format parquet` write.  One row per window,
 * every column required, list elements never null:
 *   input_ids         list<int32>  the window's seq_len token ids (pad included)
 *   cu_seqlens        list<int32>  attention segment boundaries inside the window, as the
 *                                  window's part of PREFIX.boundaries.npy (pack.h): 0, the start of
 *                                  every further document segment, the start of the padding (when
 *                                  there is any; it is a segment of its own), then seq_len.
 *                                  Position ids restart at each: position[t] = t - cu_seqlens[k].
 *   document_ids      list<int64>  per document segment (padding excluded): the 0-based index of
 *                                  the document it came from (order of llmd_packer_add calls)
 *   document_offsets  list<int32>  per document segment: offset of its first token within that
 *                                  document's tokens (BOS included); > 0 = a continued document
 * Ids above 2^31-1 fail with LLMD_ERR_RANGE.  Files use the codec (default zstd), row groups cut
 * by row_group_bytes (default 128 MiB of encoded data) and no dictionaries (token ids rarely
 * repeat enough to pay for one); a new file starts once the current one holds file_bytes
 * (checked after every batch of windows, so a file ends a little past it; 0 = one file).  Key/value
 * metadata: llmdata.seq_len, llmdata.run_id.  The manifest is that of llmd_shard_writer (format
 * "parquet", dtype "int32", seq_len, windows, tokens, pad_tokens, codec, "rows": windows per data
 * file, "files": name/bytes/xxh3 of each, run_id, manifest_version 2, plus extra_json's members),
 * so llmd_shard_verify(PREFIX) checks these shards too.  Durability as llmd_shard_writer: every
 * file is written under a temporary name and all are published as one unit at finish, manifest
 * last; a failure leaves the earlier names as they were.  With overwrite, data files of an earlier
 * shard at PREFIX that the new one does not write (it had more files) are removed.
 * Thread safety: one thread at a time per writer.  Experimental (as the rest of this header). */
typedef struct llmd_parquet_shard_writer llmd_parquet_shard_writer;

typedef struct llmd_parquet_shard_options {
    unsigned version;            /* LLMD_PARQUET_SHARD_OPTIONS_VERSION */
    uint32_t seq_len;            /* tokens per window, 1 .. 2^24 (default 2048) */
    int codec;                   /* llmd_parquet_codec (default ZSTD) */
    int compression_level;       /* 0 = the codec's default */
    uint64_t row_group_bytes;    /* row group target in encoded bytes (default 128 MiB) */
    uint64_t file_bytes;         /* start a new file past this size (default 1 GiB; 0 = one file) */
    int overwrite;               /* 0 (default): an existing PREFIX-00000.parquet or manifest is
                                  * LLMD_ERR_CONFLICT (at open and at publish); 1: replace */
    const char *run_id;          /* NULL = a fresh random UUID; else [A-Za-z0-9._-], copied */
} llmd_parquet_shard_options;
#define LLMD_PARQUET_SHARD_OPTIONS_VERSION 1
#define LLMD_PARQUET_SHARD_OPTIONS_INIT \
    {LLMD_PARQUET_SHARD_OPTIONS_VERSION, 2048, LLMD_PARQUET_ZSTD, 0, 128u << 20, 1u << 30, 0, NULL}
LLMD_API void llmd_parquet_shard_options_init(llmd_parquet_shard_options *opts);

/* Opens a writer for PREFIX-NNNNN.parquet (PREFIX's directory must exist; PREFIX must end in a file
 * name).  Nothing is visible until finish.  Errors: LLMD_ERR_VERSION, LLMD_ERR_INVALID_ARG (seq_len,
 * codec, prefix, run id), LLMD_ERR_CONFLICT (output exists, overwrite 0), LLMD_ERR_NOMEM.  Free with
 * llmd_parquet_shard_writer_free. */
LLMD_API llmd_status llmd_parquet_shard_writer_open(llmd_parquet_shard_writer **out, const char *prefix,
                                                    const llmd_parquet_shard_options *opts);
/* Appends one window (window->seq_len must equal the writer's).  Errors: LLMD_ERR_INVALID_ARG,
 * LLMD_ERR_RANGE (an id > 2^31-1), LLMD_ERR_IO, LLMD_ERR_NOMEM; after an error the writer is failed
 * (later calls: LLMD_ERR_STATE). */
LLMD_API llmd_status llmd_parquet_shard_writer_add(llmd_parquet_shard_writer *w,
                                                   const llmd_pack_window *window);
/* A llmd_pack_window_fn that forwards to llmd_parquet_shard_writer_add (ctx is the writer). */
LLMD_API llmd_status llmd_parquet_shard_writer_window_fn(void *ctx, const llmd_pack_window *window);
/* Writes the last file and the manifest (extra_json: NULL or a JSON object text whose members are
 * added, LLMD_ERR_PARSE otherwise) and publishes everything as one unit.  With no window at all one
 * file with zero rows is written.  Errors: LLMD_ERR_IO, LLMD_ERR_CONFLICT, LLMD_ERR_STATE. */
LLMD_API llmd_status llmd_parquet_shard_writer_finish(llmd_parquet_shard_writer *w, const char *extra_json);
/* Windows added so far; the run id in the manifest (owned by w). */
LLMD_API uint64_t llmd_parquet_shard_writer_windows(const llmd_parquet_shard_writer *w);
LLMD_API const char *llmd_parquet_shard_writer_run_id(const llmd_parquet_shard_writer *w);
/* After a successful finish: the published files, data files in order then the manifest; name (a
 * file name in PREFIX's directory, owned by w), size, XXH3-64 (seed 0) and rows (windows; 0 for
 * the manifest) — what a table log (Delta "add" actions) records.  Outputs may be NULL.
 * Errors: LLMD_ERR_RANGE (i >= count), LLMD_ERR_INVALID_ARG. */
LLMD_API size_t llmd_parquet_shard_writer_file_count(const llmd_parquet_shard_writer *w);
LLMD_API llmd_status llmd_parquet_shard_writer_file(const llmd_parquet_shard_writer *w, size_t i,
                                                    const char **name, uint64_t *bytes, uint64_t *xxh3,
                                                    uint64_t *rows);
/* Frees; an unfinished writer's temporary files are removed.  NULL ok. */
LLMD_API void llmd_parquet_shard_writer_free(llmd_parquet_shard_writer *w);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_PARQUET_H */
