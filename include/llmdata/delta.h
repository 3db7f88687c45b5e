/*
 * llmdata/delta.h — the Delta Lake transaction log (delta-io/delta PROTOCOL.md): tables,
 * immutable snapshots (latest, at a version, at a timestamp) and transactions committed with
 * optimistic concurrency.
 *
 * ---- The log ------------------------------------------------------------------------------------
 * A table is a directory with `_delta_log/`.  Version v is the commit file `%020d.json`: one JSON
 * action per line (protocol, metaData, add, remove, commitInfo, txn, domainMetadata, cdc; any
 * other action or field is kept as read and never breaks replay).  Checkpoints
 * (`v.checkpoint.parquet`, `v.checkpoint.P.N.parquet`, V2 `v.checkpoint.UUID.json|parquet` with
 * `_sidecars/`) summarise the log up to v; `_last_checkpoint` is only a hint (the log is listed).
 * Replay starts from the newest complete checkpoint (all parts of a multi-part one; a V2 one with
 * its JSON or Parquet sidecars, read with llmdata/parquet.h); a checkpoint that fails to load is
 * passed over when an older one or the commits from version 0 rebuild the same state (the
 * protocol makes a checkpoint equal to the replay of its commits), else its error is returned,
 * naming the file.
 *
 * ---- Replay (a pure function of the listed files) -------------------------------------------------
 * Commits are applied oldest to newest, action by action: the newest protocol, metaData and txn
 * (per appId) and domainMetadata (per domain) win; an `add` makes the file with logical key
 * (path, deletion-vector id) active, a `remove` of that key makes it a tombstone.  Paths are URIs
 * (RFC 2396): the key uses the percent-decoded path, with a `file:` scheme dropped, so
 * `file:/a%20b` and `/a b` are one file.  Deletion-vector id = storageType + pathOrInlineDv
 * (+ "@" + offset when present).  A missing version between the start and the requested version,
 * a table without protocol or metaData, a metaData without schemaString, an unparsable line
 * (file and line named) → an error, never a partial state.
 *
 * ---- Reader and writer support --------------------------------------------------------------------
 * Readable: minReaderVersion 1..3; reader features deletionVectors, columnMapping, timestampNtz,
 * v2Checkpoint, vacuumProtocolCheck.  Anything else → LLMD_ERR_UNSUPPORTED naming it.  Snapshots
 * list files with their deletion vector descriptor; scans apply deletion vectors and column mapping.
 * Writable: writer versions 1..7 and the writer features appendOnly, invariants, inCommitTimestamp,
 * timestampNtz, deletionVectors (removes carry the add's descriptor), domainMetadata,
 * vacuumProtocolCheck, v2Checkpoint, checkConstraints/changeDataFeed/generatedColumns/
 * columnMapping/identityColumns only while the table does not use them (no constraint, CDF off,
 * no generation expression, mapping mode none, no identity column).  Otherwise writing is refused
 * naming the feature.
 *
 * ---- Tables this library creates -------------------------------------------------------------------
 * protocol {minReaderVersion 1, minWriterVersion 7, writerFeatures [inCommitTimestamp] (+ appendOnly
 * when delta.appendOnly=true)}, configuration delta.enableInCommitTimestamps=true: every commit
 * starts with commitInfo carrying inCommitTimestamp = max(now, previous + 1) ms.
 *
 * ---- Commit timestamps --------------------------------------------------------------------------------
 * The commit file's modification time in ms, made monotonic as Spark's DeltaHistoryManager does
 * (a time not after its predecessor's becomes predecessor + 1), or commitInfo.inCommitTimestamp
 * from delta.inCommitTimestampEnablementVersion (0 when enabled at creation) on.  Snapshot at time
 * T = the newest version whose timestamp <= T; T before the earliest or after the latest commit
 * → LLMD_ERR_RANGE (as Spark).
 *
 * ---- Commits -----------------------------------------------------------------------------------------
 * A commit writes `%020d.json` with put-if-absent (temp file, fsync, renameat2 RENAME_NOREPLACE or
 * link(2), directory fsync): a commit never replaces another.  When the version exists, the winners
 * are read and checked as Delta's ConflictChecker does at WriteSerializable isolation:
 *   - a winner changed protocol or metaData → conflict;
 *   - a winner removed a file this transaction removes or read (overwrite/restore read the whole
 *     table) → conflict;
 *   - this transaction read the table (removes) and a winner that was not a blind append added
 *     data → conflict;
 *   - a winner wrote a txn for an appId this transaction writes, or a domainMetadata of a domain
 *     this transaction writes → conflict;
 *   - anything else (blind appends) commutes: the commit is retried at the next version, at most
 *     max_commit_retries times.
 * A conflict returns LLMD_ERR_CONFLICT with a message naming the winning version and the rule.
 *
 * Thread safety: a table handle may be used by one thread at a time; snapshots are immutable and
 * any number of threads may read one at once; a transaction is used by one thread.  Any number of
 * processes may commit to one table at once.
 */
#ifndef LLMDATA_DELTA_H
#define LLMDATA_DELTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct llmd_delta_table llmd_delta_table;
typedef struct llmd_delta_snapshot llmd_delta_snapshot;
typedef struct llmd_delta_txn llmd_delta_txn;

/* ---- Tables ------------------------------------------------------------------------------------- */
typedef struct llmd_delta_table_options {
    unsigned version;              /* LLMD_DELTA_TABLE_OPTIONS_VERSION */
    unsigned max_commit_retries;   /* commits retried after commuting with winners (default 20) */
    uint64_t max_commit_bytes;     /* a log file larger than this is refused (default 1 GiB) */
} llmd_delta_table_options;
#define LLMD_DELTA_TABLE_OPTIONS_VERSION 1u
#define LLMD_DELTA_TABLE_OPTIONS_INIT {LLMD_DELTA_TABLE_OPTIONS_VERSION, 20u, (uint64_t)1 << 30}

/* Opens the table at `path` (a directory; `_delta_log/` need not exist yet: reading a table without
 * it fails with LLMD_ERR_NOT_FOUND, creating one makes it).  Reads nothing else.  opts NULL =
 * defaults.  Free with llmd_delta_table_free. */
LLMD_API llmd_status llmd_delta_table_open(llmd_delta_table **out, const char *path,
                                           const llmd_delta_table_options *opts);
/* Accepts NULL. */
LLMD_API void llmd_delta_table_free(llmd_delta_table *table);
/* The table's directory as given to open (owned by the table). */
LLMD_API const char *llmd_delta_table_path(const llmd_delta_table *table);

typedef struct llmd_delta_create_options {
    unsigned version;                     /* LLMD_DELTA_CREATE_OPTIONS_VERSION */
    const char *schema_json;              /* Spark StructType JSON: {"type":"struct","fields":[..]} */
    const char *const *partition_columns; /* top-level primitive columns of the schema */
    size_t n_partition_columns;
    const char *const *config_keys;       /* table properties (e.g. delta.appendOnly, */
    const char *const *config_values;     /* delta.checkpointInterval), n_config pairs */
    size_t n_config;
    const char *name, *description;       /* optional metaData name/description */
} llmd_delta_create_options;
#define LLMD_DELTA_CREATE_OPTIONS_VERSION 1u
#define LLMD_DELTA_CREATE_OPTIONS_INIT {LLMD_DELTA_CREATE_OPTIONS_VERSION, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL}

/* Creates version 0 of a new table (protocol, metaData, commitInfo) with put-if-absent: fails with
 * LLMD_ERR_CONFLICT when the table already has a version 0, LLMD_ERR_SCHEMA for an invalid schema
 * or partition column (named).  Creates the directories as needed. */
LLMD_API llmd_status llmd_delta_table_create(llmd_delta_table *table, const llmd_delta_create_options *opts);

/* ---- Snapshots ----------------------------------------------------------------------------------- */
/* The newest version / version `version` / the version current at `timestamp_ms` (ms since the
 * epoch; see "Commit timestamps").  Errors: LLMD_ERR_NOT_FOUND (no table, version not in the log),
 * LLMD_ERR_CORRUPT (gaps, missing protocol/metaData), LLMD_ERR_PARSE (file:line), LLMD_ERR_RANGE
 * (timestamp outside the log), LLMD_ERR_UNSUPPORTED (reader version/feature, named).
 * Free with llmd_delta_snapshot_free. */
LLMD_API llmd_status llmd_delta_snapshot_latest(llmd_delta_snapshot **out, llmd_delta_table *table);
LLMD_API llmd_status llmd_delta_snapshot_at_version(llmd_delta_snapshot **out, llmd_delta_table *table,
                                                    int64_t version);
LLMD_API llmd_status llmd_delta_snapshot_at_timestamp(llmd_delta_snapshot **out, llmd_delta_table *table,
                                                      int64_t timestamp_ms);
/* Accepts NULL. */
LLMD_API void llmd_delta_snapshot_free(llmd_delta_snapshot *snap);

LLMD_API int64_t llmd_delta_snapshot_version(const llmd_delta_snapshot *snap);
/* The commit timestamp of the snapshot's version (ms), see "Commit timestamps". */
LLMD_API int64_t llmd_delta_snapshot_timestamp(const llmd_delta_snapshot *snap);
/* The protocol and metaData actions' bodies as compact JSON, and the schema (schemaString's
 * value, reformatted compactly).  Owned by the snapshot. */
LLMD_API const char *llmd_delta_snapshot_protocol_json(const llmd_delta_snapshot *snap);
LLMD_API const char *llmd_delta_snapshot_metadata_json(const llmd_delta_snapshot *snap);
LLMD_API const char *llmd_delta_snapshot_schema_json(const llmd_delta_snapshot *snap);
/* A table property from metaData.configuration, or NULL.  Owned by the snapshot. */
LLMD_API const char *llmd_delta_snapshot_property(const llmd_delta_snapshot *snap, const char *key);

/* One active file.  Strings are owned by the snapshot; the optional ones are NULL when absent. */
typedef struct llmd_delta_file {
    const char *path;                  /* percent-decoded; relative to the table unless absolute */
    const char *raw_path;              /* as in the log (URI-encoded) */
    int64_t size;
    int64_t modification_time;         /* ms */
    const char *partition_values_json; /* JSON object, values strings or null ("{}" if none) */
    const char *stats_json;            /* the add's stats string (JSON), or NULL */
    const char *deletion_vector_json;  /* the deletionVector descriptor, or NULL */
    const char *add_json;              /* the whole add action body, unknown fields included */
} llmd_delta_file;
/* Active files, sorted by path (then deletion-vector id). */
LLMD_API size_t llmd_delta_snapshot_file_count(const llmd_delta_snapshot *snap);
/* Fills *out with file i (< count); LLMD_ERR_RANGE otherwise. */
LLMD_API llmd_status llmd_delta_snapshot_file(const llmd_delta_snapshot *snap, size_t i, llmd_delta_file *out);
/* The newest txn version of appId, or LLMD_ERR_NOT_FOUND when the app never committed one. */
LLMD_API llmd_status llmd_delta_snapshot_app_version(const llmd_delta_snapshot *snap, const char *app_id,
                                                     int64_t *version);
/* The snapshot as one JSON object: version, timestamp, protocol, metaData (schema parsed into
 * "schema"), files (path, size, modificationTime, partitionValues, stats parsed, deletionVector).
 * *out is NUL-terminated, free with llmd_free. */
LLMD_API llmd_status llmd_delta_snapshot_to_json(const llmd_delta_snapshot *snap, char **out, size_t *out_len);

/* ---- Scans --------------------------------------------------------------------------------------- */
/* A simple predicate `column OP value` on a top-level column (value as text: a number, a string,
 * "true"/"false", a date "YYYY-MM-DD" or an ISO 8601 timestamp; unused for IS_NULL/NOT_NULL).
 * Comparisons with null are false (SQL). */
typedef enum llmd_delta_op {
    LLMD_DELTA_EQ = 0, LLMD_DELTA_LT = 1, LLMD_DELTA_LE = 2, LLMD_DELTA_GT = 3, LLMD_DELTA_GE = 4,
    LLMD_DELTA_IS_NULL = 5, LLMD_DELTA_NOT_NULL = 6, LLMD_DELTA_NE = 7
} llmd_delta_op;
typedef struct llmd_delta_predicate {
    const char *column;
    int op;                        /* llmd_delta_op */
    const char *value;
} llmd_delta_predicate;

typedef struct llmd_delta_scan_options {
    unsigned version;              /* LLMD_DELTA_SCAN_OPTIONS_VERSION */
    const char *const *columns;    /* output columns by logical name, in this order; NULL = all, */
    size_t n_columns;              /* in schema order */
    const llmd_delta_predicate *predicates;  /* rows where all hold (AND); files whose partition */
    size_t n_predicates;                     /* values or stats rule them out are not read */
} llmd_delta_scan_options;
#define LLMD_DELTA_SCAN_OPTIONS_VERSION 1u
#define LLMD_DELTA_SCAN_OPTIONS_INIT {LLMD_DELTA_SCAN_OPTIONS_VERSION, NULL, 0, NULL, 0}

/* Whether active file i may hold a row where every predicate holds: 0 when its partition values
 * or its stats (minValues, maxValues, nullCount, numRecords) prove none does, 1 otherwise (also
 * when stats are missing).  Negative status for an unknown column (LLMD_ERR_NOT_FOUND) or a bad
 * op/value (LLMD_ERR_INVALID_ARG). */
LLMD_API int llmd_delta_snapshot_file_may_match(const llmd_delta_snapshot *snap, size_t i,
                                                const llmd_delta_predicate *preds, size_t n);
/* Writes the snapshot's rows to out_path as JSON lines (published atomically): every active file
 * in path order, read with llmdata/parquet.h one row group at a time; rows deleted by the file's
 * deletion vector (inline Z85 or a RoaringBitmapArray file) skipped; partition columns filled from
 * partitionValues and typed by the schema (numbers, booleans; dates/timestamps as serialized);
 * columns looked up by their physical name under column mapping (top level); a column missing
 * from a file reads as null.  Values: integers and decimals as JSON numbers, dates "YYYY-MM-DD",
 * timestamps ISO 8601 with microseconds ("Z" when UTC-adjusted), binary as a string, NaN/Infinity
 * as strings.  *rows (optional) receives the row count.  Errors name the data file. */
LLMD_API llmd_status llmd_delta_scan_jsonl(const llmd_delta_snapshot *snap, const char *out_path,
                                           const llmd_delta_scan_options *opts, uint64_t *rows);
/* The same rows as a Parquet file (zstd; published atomically by the Parquet writer): columns
 * typed from the table's schema (boolean, byte..long, float, double, string, binary, date,
 * timestamp (micros, UTC) / timestamp_ntz, decimal(p,s), struct, array, map), written in batches
 * of 65 536 rows.  LLMD_ERR_UNSUPPORTED for a column type Parquet output lacks (void, variant). */
LLMD_API llmd_status llmd_delta_scan_parquet(const llmd_delta_snapshot *snap, const char *out_path,
                                             const llmd_delta_scan_options *opts, uint64_t *rows);

/* ---- History ---------------------------------------------------------------------------------------- */
/* A JSON array, newest first, of {version, timestamp, commitInfo (as written, or null)} for at most
 * `limit` versions (0 = all available).  Free with llmd_free. */
LLMD_API llmd_status llmd_delta_history_json(llmd_delta_table *table, size_t limit, char **out, size_t *out_len);

/* ---- Transactions ------------------------------------------------------------------------------------ */
/* Starts a transaction reading the table's latest snapshot.  Fails as llmd_delta_snapshot_latest,
 * or with LLMD_ERR_UNSUPPORTED when the table needs a writer feature this library lacks.
 * Free with llmd_delta_txn_free (a transaction not committed leaves no trace). */
LLMD_API llmd_status llmd_delta_txn_begin(llmd_delta_txn **out, llmd_delta_table *table);
LLMD_API void llmd_delta_txn_free(llmd_delta_txn *txn);
/* The snapshot the transaction read (owned by the transaction). */
LLMD_API const llmd_delta_snapshot *llmd_delta_txn_snapshot(const llmd_delta_txn *txn);

typedef struct llmd_delta_add {
    unsigned version;                   /* LLMD_DELTA_ADD_VERSION */
    const char *path;                   /* relative to the table, not encoded ("year=2024/a b.parquet") */
    int64_t size;                       /* bytes, >= 0 */
    int64_t modification_time;          /* ms; 0 = now */
    const char *const *partition_keys;  /* one per partition column, any order */
    const char *const *partition_values;/* NULL or "" = null partition */
    size_t n_partitions;
    const char *stats_json;             /* optional: {"numRecords":..,"minValues":..,...} */
    bool data_change;                   /* default true */
} llmd_delta_add;
#define LLMD_DELTA_ADD_VERSION 1u
#define LLMD_DELTA_ADD_INIT {LLMD_DELTA_ADD_VERSION, NULL, 0, 0, NULL, NULL, 0, NULL, true}

/* Adds a data file.  Checks: partition keys are exactly the table's partition columns
 * (LLMD_ERR_SCHEMA naming the column), stats is a JSON object, path is relative and non-empty. */
LLMD_API llmd_status llmd_delta_txn_add(llmd_delta_txn *txn, const llmd_delta_add *add);
typedef struct llmd_delta_append {
    unsigned version;                   /* LLMD_DELTA_APPEND_VERSION */
    const char *source;                 /* a Parquet file to copy into the table */
    const char *const *partition_keys;  /* as llmd_delta_add: one value per partition column */
    const char *const *partition_values;
    size_t n_partitions;
    const char *stats_json;             /* stats for the add; NULL = computed from the footer */
    bool merge_schema;                  /* top-level columns the table lacks are added (nullable) */
} llmd_delta_append;
#define LLMD_DELTA_APPEND_VERSION 1u
#define LLMD_DELTA_APPEND_INIT {LLMD_DELTA_APPEND_VERSION, NULL, NULL, NULL, 0, NULL, false}
/* Copies the Parquet file `source` into the table under a new unique name (`part-<uuid>-<basename>`,
 * inside Hive-style partition directories `col=value/` escaped as Hive does, null as
 * __HIVE_DEFAULT_PARTITION__), published with put-if-absent, and adds it (as llmd_delta_txn_add).
 * Schema enforcement first (LLMD_ERR_SCHEMA naming the file and column): every column of the file
 * must be in the table with the same type (Parquet types mapped to Spark's: int32 -> integer,
 * string -> string, timestamp -> timestamp / timestamp_ntz, decimal(p,s), struct/array/map, ...),
 * unless merge_schema adds it as a nullable column; a NOT NULL table column must be in the file
 * and hold no null (by the footer's null counts); partition columns must not be in the file.
 * Stats (numRecords, and per top-level column minValues/maxValues/nullCount from the footer's
 * statistics: numbers, strings (32-byte prefixes for minimums), dates, timestamps in ms) are
 * computed unless given.  A copy whose transaction never commits is an unreferenced file that
 * vacuum removes.  *rel_path (optional, free with llmd_free) receives the path inside the table. */
LLMD_API llmd_status llmd_delta_txn_append_file(llmd_delta_txn *txn, const llmd_delta_append *a, char **rel_path);
/* The Spark StructType JSON of a Parquet file's schema (for creating a table like a file).  Free
 * *schema_json with llmd_free.  LLMD_ERR_SCHEMA for a type Delta lacks (Parquet TIME). */
LLMD_API llmd_status llmd_delta_schema_from_parquet(const char *path, char **schema_json);
/* Removes the active file whose (decoded) path is `path` (every deletion-vector variant of it);
 * LLMD_ERR_NOT_FOUND when no such file is active in the read snapshot. */
LLMD_API llmd_status llmd_delta_txn_remove(llmd_delta_txn *txn, const char *path);
/* Removes every active file (an overwrite when followed by adds). */
LLMD_API llmd_status llmd_delta_txn_remove_all(llmd_delta_txn *txn);
/* Sets (value non-NULL) or unsets (NULL) a table property in a new metaData. */
LLMD_API llmd_status llmd_delta_txn_set_property(llmd_delta_txn *txn, const char *key, const char *value);
/* Replaces the schema after checking it: with merge, every existing column must be kept with the
 * same type and nullability may only be relaxed, new columns must be nullable (LLMD_ERR_SCHEMA
 * naming the column otherwise); without merge any valid schema keeping the partition columns. */
LLMD_API llmd_status llmd_delta_txn_set_schema(llmd_delta_txn *txn, const char *schema_json, bool merge);
/* Records txn {appId, version}: the commit is skipped (see commit) when the table already holds a
 * txn version >= `version` for app_id, and conflicts with a concurrent writer of the same appId. */
LLMD_API llmd_status llmd_delta_txn_set_app_version(llmd_delta_txn *txn, const char *app_id, int64_t version);
/* The operation name and parameters (a JSON object of strings) written in commitInfo
 * (default "WRITE"/{}). */
LLMD_API llmd_status llmd_delta_txn_set_operation(llmd_delta_txn *txn, const char *operation,
                                                  const char *parameters_json);
/* Commits: *version = the new version.  When an app version set with set_app_version is already in
 * the table, nothing is written, *version = -1 and LLMD_OK is returned.  LLMD_ERR_CONFLICT after a
 * real conflict or max_commit_retries, naming the version.  The transaction is finished after the
 * call (LLMD_ERR_STATE on reuse). */
LLMD_API llmd_status llmd_delta_txn_commit(llmd_delta_txn *txn, int64_t *version);

/* ---- Writing a set of files in one commit --------------------------------------------------------- */
typedef struct llmd_delta_write_options {
    unsigned version;                   /* LLMD_DELTA_WRITE_OPTIONS_VERSION */
    const char *const *files;           /* Parquet files to copy into the table (as llmd_delta_txn_append_file: */
    size_t n_files;                     /* unique names, stats from the footers, schema enforced) */
    const char *app_id;                 /* txn appId (NULL = no txn): a rerun with the same appId and an */
    int64_t app_version;                /* app_version <= the table's commits nothing */
    const char *operation;              /* commitInfo operation (NULL = "WRITE") */
    const char *operation_parameters_json; /* commitInfo operationParameters: a JSON object of strings */
    bool create;                        /* a table without a log is created first (schema of files[0]) */
} llmd_delta_write_options;
#define LLMD_DELTA_WRITE_OPTIONS_VERSION 1u
#define LLMD_DELTA_WRITE_OPTIONS_INIT {LLMD_DELTA_WRITE_OPTIONS_VERSION, NULL, 0, NULL, 0, NULL, NULL, true}
/* Commits every file of opts as ONE new version (add actions with stats numRecords, minValues,
 * maxValues, nullCount from the footers; txn {appId, app_version} when app_id is set; commitInfo
 * with the operation and its parameters), creating the table when asked.  Idempotent: when the
 * table already holds app_version (or newer) for app_id — checked before any file is copied, and
 * again after losing a race to a concurrent writer of the same appId — nothing is written,
 * *version = -1 and LLMD_OK is returned.  *version: the committed version (or -1);
 * *table_version (optional): the table's version after the call (the committed one, or the
 * latest one when nothing was written).  Errors: LLMD_ERR_SCHEMA (a file's schema does not match
 * the table's, naming file and column), LLMD_ERR_CONFLICT (a real conflict, naming the version),
 * I/O and parse errors naming the file.  A failed call leaves no version (copies it made are
 * unreferenced files vacuum removes).  Thread safety as transactions (one thread per table). */
LLMD_API llmd_status llmd_delta_write_files(llmd_delta_table *table, const llmd_delta_write_options *opts,
                                            int64_t *version, int64_t *table_version);

/* ---- Operations ------------------------------------------------------------------------------------- */
/* Commits a version whose active files equal those of `version` (removes what was added since,
 * re-adds what was removed; operation RESTORE).  *new_version receives the commit's version. */
LLMD_API llmd_status llmd_delta_restore(llmd_delta_table *table, int64_t version, int64_t *new_version);

/* Writes a checkpoint of the latest version and points `_last_checkpoint` at it; *version (optional)
 * receives the version.  Tables with the v2Checkpoint feature (created with table property
 * delta.checkpointPolicy=v2) get a JSON V2 checkpoint whose file actions are in one Parquet sidecar
 * (see llmd_delta_checkpoint_with, of which this is the default); other tables a classic single-file
 * `v.checkpoint.parquet` (snappy) with PROTOCOL.md's checkpoint schema: columns txn, add (with
 * partitionValues/tags maps, deletionVector, stats string), remove, metaData, protocol,
 * domainMetadata, one action per row; adds with dataChange false, removes newer than
 * delta.deletedFileRetentionDuration (default 1 week) kept as tombstones.  Every table is also
 * checkpointed automatically after each commit whose version is a multiple of
 * delta.checkpointInterval (default 10); a failed automatic checkpoint does not fail the commit.
 * Checkpoint and _last_checkpoint are published atomically (temp file + rename): a crash leaves
 * the previous state, and readers ignore the temp files (vacuum removes them). */
LLMD_API llmd_status llmd_delta_checkpoint(llmd_delta_table *table, int64_t *version);

/* How llmd_delta_checkpoint_with writes a checkpoint. */
typedef enum llmd_delta_checkpoint_kind {
    LLMD_DELTA_CHECKPOINT_AUTO = 0,     /* the table's policy: V2 when it has the v2Checkpoint feature
                                           (delta.checkpointPolicy=v2), else classic */
    LLMD_DELTA_CHECKPOINT_CLASSIC = 1,  /* `v.checkpoint.parquet`, or `v.checkpoint.o.p.parquet` parts */
    LLMD_DELTA_CHECKPOINT_V2 = 2        /* UUID-named V2 checkpoint with sidecars (needs v2Checkpoint) */
} llmd_delta_checkpoint_kind;
typedef struct llmd_delta_checkpoint_options {
    unsigned version;      /* LLMD_DELTA_CHECKPOINT_OPTIONS_VERSION */
    int kind;              /* llmd_delta_checkpoint_kind */
    uint64_t part_size;    /* file actions (adds + kept tombstones) per part, as Spark's
                              spark.databricks.delta.checkpoint.partSize; 0 = no limit (one part) */
    bool v2_parquet;       /* V2: the top-level file as Parquet (default JSON, as Spark); with a classic
                              checkpoint LLMD_ERR_INVALID_ARG */
    uint32_t parts;        /* > 0: exactly this many parts (overrides part_size; a part may be empty) */
} llmd_delta_checkpoint_options;
#define LLMD_DELTA_CHECKPOINT_OPTIONS_VERSION 1u
#define LLMD_DELTA_CHECKPOINT_OPTIONS_INIT {LLMD_DELTA_CHECKPOINT_OPTIONS_VERSION, LLMD_DELTA_CHECKPOINT_AUTO, 0, false, 0}
/* Writes a checkpoint of the latest version as `opts` asks (NULL = defaults, = llmd_delta_checkpoint)
 * and points `_last_checkpoint` at it; *version (optional) receives the version.
 * Parts: with part_size > 0 the file actions are split into p = ceil(actions / part_size) parts (or
 * p = parts when set) by
 * Spark's hash partitioning (Murmur3, seed 42, of the add/remove path as written in the log, plus
 * the deletion vector's unique id on tables with deletionVectors; non-file actions land where a
 * null key does, part 42 mod p + 1), so every writer produces the same parts.
 *   - classic, p > 1: a multi-part V1 checkpoint `v.checkpoint.o.p.parquet` (o = 1..p, o and p
 *     zero-padded to 10 digits); `_last_checkpoint` gets "parts": p.  Each part is published
 *     atomically; readers ignore a checkpoint with a part missing (a crash mid-way leaves none
 *     usable, never a wrong one).
 *   - V2 (PROTOCOL.md "V2 Spec"): the file actions go to max(p, 1) sidecar Parquet files
 *     `_delta_log/_sidecars/v.checkpoint.o.p.UUID.parquet` (columns add, remove), then the
 *     top-level `v.checkpoint.UUID.json|parquet` holds checkpointMetadata {version}, one sidecar
 *     action {path (file name), sizeInBytes, modificationTime} per sidecar and the non-file actions
 *     (protocol, metaData, txn, domainMetadata); `_last_checkpoint` gets "v2Checkpoint" {path,
 *     sizeInBytes, modificationTime, nonFileActions, sidecarFiles}.  Multi-part checkpoints are
 *     forbidden on such tables (the protocol), so part_size only sets the number of sidecars there.
 * Errors: LLMD_ERR_UNSUPPORTED for V2 on a table without the v2Checkpoint feature (named), or a
 * classic multi-part one on a table with it,
 * LLMD_ERR_VERSION for an unknown options version, LLMD_ERR_INVALID_ARG for an unknown kind or more
 * than 2^31 - 1 parts, I/O errors naming the file.  Thread safety as llmd_delta_checkpoint. */
LLMD_API llmd_status llmd_delta_checkpoint_with(llmd_delta_table *table, const llmd_delta_checkpoint_options *opts,
                                                int64_t *version);

typedef struct llmd_delta_vacuum_options {
    unsigned version;            /* LLMD_DELTA_VACUUM_OPTIONS_VERSION */
    double retention_hours;      /* default 168 (7 days); below 168 refused unless allow_short */
    bool allow_short_retention;
    bool dry_run;                /* list what would be deleted, delete nothing */
    int64_t now_ms;              /* 0 = the clock (tests set it) */
} llmd_delta_vacuum_options;
#define LLMD_DELTA_VACUUM_OPTIONS_VERSION 1u
#define LLMD_DELTA_VACUUM_OPTIONS_INIT {LLMD_DELTA_VACUUM_OPTIONS_VERSION, 168.0, false, false, 0}
/* Deletes files under the table (outside `_delta_log/` and directories starting with '_' or '.')
 * that the latest snapshot does not reference, whose modification time is older than the retention,
 * and which no tombstone newer than the retention protects; also stale temp files in the log.
 * *report_json (free with llmd_free): {"dryRun":..,"files":[...],"count":N}.  Refused with
 * LLMD_ERR_UNSUPPORTED when the protocol has a writer feature vacuum does not know. */
LLMD_API llmd_status llmd_delta_vacuum(llmd_delta_table *table, const llmd_delta_vacuum_options *opts,
                                       char **report_json);

#ifdef __cplusplus
}
#endif
#endif
