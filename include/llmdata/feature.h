/*
 * llmdata/feature.h — feature lookup, Feast-style: one set of feature definitions serves
 * point-in-time-correct training sets (offline) and low-latency lookups (online), in-process.
 *
 * Model (Feast's names and semantics):
 *  - A feature REPO is a directory of JSON files, one feature view per file (DIR/ *.json):
 *      {"name": "user_stats",
 *       "entities": [{"name": "user", "join_keys": ["user_id"], "value_type": "STRING"}],
 *       "ttl_seconds": 2592000,
 *       "schema": [{"name": "clicks", "dtype": "Int64"},
 *                  {"name": "emb", "dtype": "Array(Float32)", "length": 8}],
 *       "source": {"path": "user_stats.jsonl", "timestamp_field": "event_timestamp",
 *                  "created_timestamp_column": "created"}}
 *    dtypes: Int64, Float32, Float64, String, Bytes (base64 in JSONL), Bool, Array(Float32) with a
 *    fixed "length" (embeddings).  Join keys are STRING or INT64 ("value_type"; inferred from the
 *    source when absent); several join keys make a composite key.  ttl_seconds 0 or absent =
 *    unlimited.  Source paths are relative to the definition file: JSONL (.jsonl, .zst, .gz),
 *    Parquet (.parquet) or a Delta table directory ("format": "jsonl" | "parquet" | "delta"
 *    overrides the guess); a Delta source may pin "version": N or "timestamp": ISO 8601 (time
 *    travel) and is read at the latest version otherwise; the version read is reported
 *    (llmd_feature_result_source_version).  Parquet/Delta columns: join keys string or integer;
 *    times TIMESTAMP (any unit; without a zone read as UTC), DATE, integer microseconds or ISO text;
 *    Int64 from integer columns, Float32/Float64 from float, double or integer columns, String
 *    from string, Bytes from binary/string, Bool from boolean, Array(Float32) from list<float or
 *    double> of exactly `length` non-null elements.  A Delta table's rows are in the order of its
 *    files' modificationTime (when they were added), then path: that is the "source order" of
 *    the tie rule below.  Files with deletion vectors are refused (LLMD_ERR_UNSUPPORTED).
 *    Timestamps in sources and entity rows: ISO 8601 ("2025-01-15T10:00:00Z", an offset such as
 *    "+02:00", fractional seconds, a space instead of "T"; no zone = UTC, as Feast treats naive
 *    times) or integers = epoch microseconds.
 *  - Historical join (Feast get_historical_features): for each entity row (join keys + event
 *    timestamp T) and each requested view, the source row with the same keys and the latest
 *    event timestamp E with E <= T and T - E <= ttl (ttl 0: no bound); rows with equal E are
 *    ordered by their created timestamp (the later wins; a row without one loses to a row with
 *    one), then by their order in the source (the later wins).  No qualifying row -> every feature
 *    of that view is null for that entity row.  A null value in the chosen row stays null.
 *  - Online store (Feast materialize / get_online_features): materialize(view, start, end) keeps,
 *    per entity key, the latest row with start <= E <= end (same tie rule) in an immutable
 *    memory-mapped snapshot file DIR/online/<view>.snapshot, published atomically (readers keep the
 *    snapshot they opened and never see half of one); materialize-incremental merges rows newer
 *    than the last materialized end.  Lookups return each feature's value and a status: present,
 *    missing (unknown key), or outside the ttl as of the caller's "now".
 *
 * Feature references are "view:feature"; result columns are named "feature", or "view__feature"
 * with full_feature_names (Feast's names).
 *
 * Thread safety: a repo is immutable after open and may be used by any number of threads (the
 * calls that write files — apply, materialize — must not run at once for the same view).  Online
 * snapshots are immutable: any number of threads may read one at once, lock-free.  Results are
 * immutable.
 */
#ifndef LLMDATA_FEATURE_H
#define LLMDATA_FEATURE_H

#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Value types of features (and of result columns).  Values are stable ABI. */
typedef enum llmd_feature_dtype {
    LLMD_FEATURE_INT64 = 1,
    LLMD_FEATURE_FLOAT32 = 2,
    LLMD_FEATURE_FLOAT64 = 3,
    LLMD_FEATURE_STRING = 4,
    LLMD_FEATURE_BYTES = 5,
    LLMD_FEATURE_BOOL = 6,
    LLMD_FEATURE_FLOAT32_VECTOR = 7   /* fixed length per feature (embeddings) */
} llmd_feature_dtype;

/* Feast's dtype name ("Int64", "Array(Float32)", ...) of a dtype, NULL if unknown. */
LLMD_API const char *llmd_feature_dtype_name(llmd_feature_dtype dtype);

/* ---- the repo ----------------------------------------------------------------------------- */
typedef struct llmd_feature_repo llmd_feature_repo;

/* Loads and validates every DIR/ *.json definition (files sorted by name).  Errors name the file
 * and the field: LLMD_ERR_NOT_FOUND (no such directory, no definitions), LLMD_ERR_PARSE (bad JSON,
 * a missing or mistyped field, an unknown dtype), LLMD_ERR_INVALID_ARG (duplicate view or feature
 * names, a vector without a length, a join key that is also a feature), LLMD_ERR_NOMEM.  Sources are
 * not read here.  Free with llmd_feature_repo_free. */
LLMD_API llmd_status llmd_feature_repo_open(llmd_feature_repo **out, const char *dir);
LLMD_API void llmd_feature_repo_free(llmd_feature_repo *repo);

/* Feast `apply`: reads every view's source (checking that each row has the join keys, a valid
 * event timestamp and values of the declared types — the message names the file, line and field)
 * and records the definitions with their source sizes, row counts, time ranges (and, for Delta
 * sources, "delta_version": the version read) in
 * DIR/registry.json (published atomically).  Errors: those of validation, LLMD_ERR_IO. */
LLMD_API llmd_status llmd_feature_repo_apply(const llmd_feature_repo *repo);

/* Views, in file-name order. */
LLMD_API size_t llmd_feature_repo_view_count(const llmd_feature_repo *repo);
LLMD_API const char *llmd_feature_repo_view_name(const llmd_feature_repo *repo, size_t i);
/* Join keys of view i: their count, and the k-th key's name (NULL when out of range). */
LLMD_API size_t llmd_feature_repo_join_key_count(const llmd_feature_repo *repo, size_t i);
LLMD_API const char *llmd_feature_repo_join_key(const llmd_feature_repo *repo, size_t i, size_t k);
/* Index of the view named `name`, or -1. */
LLMD_API int64_t llmd_feature_repo_find_view(const llmd_feature_repo *repo, const char *name);

/* ---- result tables ------------------------------------------------------------------------ */

/* One column of a result table, borrowed from the result (valid until llmd_feature_result_free).
 * validity[i] is 1 when row i has a value, 0 for null.  values: int64_t / float / double / uint8_t
 * (BOOL) per row; FLOAT32_VECTOR: `vector_length` floats per row; STRING and BYTES: the bytes of
 * row i are values[offsets[i] .. offsets[i+1]) (offsets has length+1 entries).  Null rows hold 0 /
 * empty values. */
typedef struct llmd_feature_column {
    const char *name;
    llmd_feature_dtype dtype;
    size_t length;
    uint32_t vector_length;
    const uint8_t *validity;
    const void *values;
    const int64_t *offsets;
} llmd_feature_column;

typedef struct llmd_feature_result llmd_feature_result;

LLMD_API size_t llmd_feature_result_rows(const llmd_feature_result *res);
LLMD_API size_t llmd_feature_result_column_count(const llmd_feature_result *res);
/* Column i (0-based).  Errors: LLMD_ERR_RANGE for i out of range. */
LLMD_API llmd_status llmd_feature_result_column(const llmd_feature_result *res, size_t i,
                                                llmd_feature_column *out);
/* Online lookups: per row and requested feature, one of llmd_feature_status (row-major:
 * status[row * n_features + feature]); NULL for historical results. */
LLMD_API const uint8_t *llmd_feature_result_status(const llmd_feature_result *res);
/* Bytes a historical join wrote to temp files (after zstd) because a source exceeded
 * memory_limit; 0 when it ran in memory. */
LLMD_API uint64_t llmd_feature_result_spill_bytes(const llmd_feature_result *res);
/* The Delta table version column i's view was read at (a historical join over a Delta source:
 * the pinned "version", the version current at the pinned "timestamp", or the latest), so a
 * training set names the exact data it was built from; -1 for JSONL and Parquet sources, online
 * lookups, or i out of range. */
LLMD_API int64_t llmd_feature_result_source_version(const llmd_feature_result *res, size_t i);
LLMD_API void llmd_feature_result_free(llmd_feature_result *res);

typedef enum llmd_feature_status {
    LLMD_FEATURE_PRESENT = 0,
    LLMD_FEATURE_MISSING = 1,       /* the key has no row in the snapshot */
    LLMD_FEATURE_OUTSIDE_TTL = 2,   /* the row is older than the view's ttl as of "now" */
    LLMD_FEATURE_NULL = 3           /* the row holds a null for this feature */
} llmd_feature_status;

/* ---- entity rows -------------------------------------------------------------------------- */

/* A join-key column of entity rows: INT64 keys as `ints`, or STRING keys as `offsets` (n + 1
 * int64) into `bytes`.  `name` is the join key's name. */
typedef struct llmd_key_column {
    const char *name;
    int is_string;
    const int64_t *ints;
    const int64_t *offsets;
    const char *bytes;
} llmd_key_column;

/* ---- offline: point-in-time joins ---------------------------------------------------------- */

typedef struct llmd_historical_options {
    unsigned version;           /* LLMD_HISTORICAL_OPTIONS_VERSION */
    int full_feature_names;     /* 1: columns named "view__feature" (Feast full_feature_names) */
    unsigned threads;           /* threads for the join (0: one per CPU) */
    /* version 2: */
    uint64_t memory_limit;      /* bytes a view's source rows may take (0: no limit).  A source
                                 * larger than half of it is spilled to disk: hash-partitioned by
                                 * entity key into zstd-compressed temp files, each partition then
                                 * joined in memory; the results are identical to the in-memory
                                 * join.  The entity key columns and the result stay in memory. */
    const char *temp_dir;       /* where spill files go (NULL: $TMPDIR, else /tmp); a private
                                 * directory inside it is removed on return, on success or error */
} llmd_historical_options;
#define LLMD_HISTORICAL_OPTIONS_VERSION 2
#define LLMD_HISTORICAL_OPTIONS_INIT {LLMD_HISTORICAL_OPTIONS_VERSION, 0, 1, 0, NULL}
LLMD_API void llmd_historical_options_init(llmd_historical_options *opts);

/* Point-in-time join of n_rows entity rows (key columns + event timestamps in epoch
 * microseconds) with the requested features ("view:feature"; a view's join keys must all be among
 * the key columns).  The result has one row per entity row, in input order, and one column per
 * requested feature, in request order.  Each view's source is read once per call and sorted by
 * (key, event time, created time); entity rows are then answered in input order by a lookup of
 * their key among the source's distinct keys and a binary search of its time-sorted rows — the
 * entity rows are never sorted or copied.  Memory: one view's source rows at a time (bounded by
 * memory_limit when set: see llmd_historical_options) and the result.
 * Errors: LLMD_ERR_NOT_FOUND (unknown view or feature, a join key missing from the key columns, a
 * Delta version not in the log), LLMD_ERR_SCHEMA (a key column of the wrong type; a Parquet/Delta
 * column missing or of a type the feature's dtype cannot take — named), LLMD_ERR_UNSUPPORTED (Delta
 * deletion vectors), errors of reading the sources (file and line / row group and row named),
 * LLMD_ERR_IO (including spill files: the message names the temp directory), LLMD_ERR_NOMEM.  Temp
 * files are removed before any return.  Thread-safe (concurrent calls spill into separate
 * directories). */
LLMD_API llmd_status llmd_feature_historical(const llmd_feature_repo *repo, const char *const *features,
                                             size_t n_features, const llmd_key_column *keys, size_t n_keys,
                                             const int64_t *event_ts_us, size_t n_rows,
                                             const llmd_historical_options *opts,
                                             llmd_feature_result **out);

/* ---- online: materialize and lookup ------------------------------------------------------- */

typedef struct llmd_materialize_stats {
    uint64_t rows_read;         /* source rows read */
    uint64_t rows_in_window;    /* of them, rows with start <= event time <= end */
    uint64_t keys;              /* entity keys in the published snapshot */
    int64_t start_us, end_us;   /* the window materialized */
} llmd_materialize_stats;

/* Feast `materialize`: writes the latest row per entity key with start_us <= event time <= end_us
 * into DIR/online/<view>.snapshot (replacing it atomically).  Errors: LLMD_ERR_NOT_FOUND (view),
 * LLMD_ERR_INVALID_ARG (start > end), source errors, LLMD_ERR_IO, LLMD_ERR_NOMEM.  stats may be NULL. */
LLMD_API llmd_status llmd_feature_materialize(const llmd_feature_repo *repo, const char *view, int64_t start_us,
                                              int64_t end_us, llmd_materialize_stats *stats);
/* Feast `materialize-incremental`: merges rows with last_end < event time <= end_us into the
 * existing snapshot (last_end: the end of the previous materialization; a view never materialized
 * starts from the beginning of time).  Errors: as llmd_feature_materialize, LLMD_ERR_CORRUPT (the
 * existing snapshot fails its checks). */
LLMD_API llmd_status llmd_feature_materialize_incremental(const llmd_feature_repo *repo, const char *view,
                                                          int64_t end_us, llmd_materialize_stats *stats);

typedef struct llmd_online_snapshot llmd_online_snapshot;

/* Opens a view's snapshot (memory-mapped; header and data checksums verified).  Errors:
 * LLMD_ERR_NOT_FOUND (never materialized), LLMD_ERR_CORRUPT (truncated file, bad magic, checksum
 * mismatch — the message says which), LLMD_ERR_VERSION, LLMD_ERR_IO. */
LLMD_API llmd_status llmd_online_snapshot_open(llmd_online_snapshot **out, const llmd_feature_repo *repo,
                                               const char *view);
/* The same for a snapshot file by path. */
LLMD_API llmd_status llmd_online_snapshot_open_file(llmd_online_snapshot **out, const char *path);
LLMD_API void llmd_online_snapshot_free(llmd_online_snapshot *snap);
LLMD_API uint64_t llmd_online_snapshot_keys(const llmd_online_snapshot *snap);
/* The window the snapshot holds (end = what materialize-incremental continues from). */
LLMD_API int64_t llmd_online_snapshot_end(const llmd_online_snapshot *snap);

/* Batch lookup (Feast get_online_features): n keys given as key columns (every join key of the
 * view), features by name ("feature" or "view:feature"; NULL/0 = every feature of the view), "now"
 * in epoch microseconds for the ttl (0: no ttl check).  The result has one row per key and one
 * column per feature, plus per-value statuses.  Errors: LLMD_ERR_NOT_FOUND (unknown feature, a
 * missing join key), LLMD_ERR_SCHEMA (key type), LLMD_ERR_NOMEM.  Thread-safe. */
LLMD_API llmd_status llmd_online_lookup(const llmd_online_snapshot *snap, const llmd_key_column *keys,
                                        size_t n_keys, size_t n, const char *const *features,
                                        size_t n_features, int64_t now_us, llmd_feature_result **out);

/* Single-key fast path, no allocation: finds the row of one key (parts in the view's join-key
 * order; strings as bytes + length, ints in ints[]).  Returns the row number (>= 0) or -1 when
 * the key is absent.  Thread-safe, lock-free. */
LLMD_API int64_t llmd_online_find(const llmd_online_snapshot *snap, const int64_t *ints,
                                  const char *const *strings, const size_t *string_lens);
/* Reads one feature of a found row (feature index in the view's schema order).  *status as in
 * llmd_feature_status (PRESENT, NULL or OUTSIDE_TTL given now_us; 0 = no ttl check).  For
 * numbers *out points at the value (int64/float/double/uint8 bool or vector_length floats); for
 * STRING/BYTES at the bytes, with *len their length.  Pointers stay valid while the snapshot is
 * open.  Errors: LLMD_ERR_RANGE (row or feature out of range). */
LLMD_API llmd_status llmd_online_value(const llmd_online_snapshot *snap, int64_t row, size_t feature,
                                       int64_t now_us, const void **out, size_t *len, int *status);
/* Schema of the snapshot's view: feature count, name, dtype, vector length. */
LLMD_API size_t llmd_online_feature_count(const llmd_online_snapshot *snap);
LLMD_API const char *llmd_online_feature_name(const llmd_online_snapshot *snap, size_t i);
LLMD_API llmd_feature_dtype llmd_online_feature_dtype(const llmd_online_snapshot *snap, size_t i,
                                                      uint32_t *vector_length);

/* ---- timestamps ---------------------------------------------------------------------------- */
/* Parses an ISO 8601 timestamp (see the top) to epoch microseconds.  Errors: LLMD_ERR_PARSE
 * naming the offending text. */
LLMD_API llmd_status llmd_parse_timestamp(const char *text, size_t len, int64_t *out_us);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_FEATURE_H */
