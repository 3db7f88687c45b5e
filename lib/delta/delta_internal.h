/* Internals of the Delta log module: action parsing, the replay state (a pure function of the
 * listed log files), schema checks, listing and commit helpers. */
#ifndef LLMD_DELTA_INTERNAL_H
#define LLMD_DELTA_INTERNAL_H

#include <cjson/cJSON.h>

#include "common/internal.h"
#include "llmdata/delta.h"

/* ---- string-keyed hash map (open addressing, linear probing, backward-shift delete) ---------- */
typedef struct dl_map_entry {
    char *key;        /* owned */
    uint64_t hash;
    void *val;
} dl_map_entry;
typedef struct dl_map {
    dl_map_entry *slots;
    size_t cap, len;
} dl_map;
void *dl_map_get(const dl_map *m, const char *key);
/* Inserts or replaces; *old receives the replaced value (or NULL). */
llmd_status dl_map_put(dl_map *m, const char *key, void *val, void **old);
/* Removes key; returns its value or NULL. */
void *dl_map_del(dl_map *m, const char *key);
/* Frees keys; values with free_val (may be NULL). */
void dl_map_free(dl_map *m, void (*free_val)(void *));

/* ---- paths ------------------------------------------------------------------------------------ */
/* Percent-decodes a log path and drops a file: scheme ("file:///a" and "file:/a" -> "/a").
 * A '%' not followed by two hex digits is kept literally. */
char *dl_path_decode(const char *raw);
/* Encodes a relative path for the log: bytes outside RFC 3986 unreserved / sub-delims / ":@/" are
 * %XX-escaped ('%' too). */
llmd_status dl_path_encode(llmd_buf *b, const char *path);
/* Hive-style escaping of a partition value in a directory name (as Hive's escapePathName). */
llmd_status dl_hive_escape(llmd_buf *b, const char *value);

/* ---- the log listing -------------------------------------------------------------------------- */
typedef enum dl_kind {
    DL_COMMIT,            /* v.json */
    DL_CKPT_CLASSIC,      /* v.checkpoint.parquet */
    DL_CKPT_PART,         /* v.checkpoint.P.N.parquet */
    DL_CKPT_V2_JSON,      /* v.checkpoint.UUID.json */
    DL_CKPT_V2_PARQUET    /* v.checkpoint.UUID.parquet */
} dl_kind;
typedef struct dl_entry {
    char *name;           /* file name in _delta_log */
    dl_kind kind;
    int64_t version;
    uint32_t part, parts; /* DL_CKPT_PART */
    int64_t size, mtime_ms;
} dl_entry;
typedef struct dl_listing {
    dl_entry *e;          /* sorted by version, then kind, then name */
    size_t n, cap;
    bool has_last_checkpoint;
    int64_t last_checkpoint_version;   /* -1 when _last_checkpoint is missing or unparsable */
} dl_listing;
/* Classifies a log file name; false for names that are not log files (temp files, .crc, ...). */
bool dl_classify(const char *name, dl_kind *kind, int64_t *version, uint32_t *part, uint32_t *parts);
llmd_status dl_listing_add(dl_listing *l, const char *name, int64_t size, int64_t mtime_ms);
void dl_listing_sort(dl_listing *l);
void dl_listing_free(dl_listing *l);
/* Lists <table>/_delta_log (LLMD_ERR_NOT_FOUND when it is missing or holds no log file). */
llmd_status dl_list_log(const char *log_dir, dl_listing *out);

/* Reads log file `name` into *data (NUL-terminated, llmd_free).  For tests, any source. */
typedef llmd_status (*dl_read_fn)(void *ctx, const char *name, char **data, size_t *len);

/* ---- replay state ------------------------------------------------------------------------------ */
typedef struct dl_file {
    char *path;           /* decoded */
    char *key;            /* path + '\n' + dv id (or path alone) */
    cJSON *action;        /* the add/remove body (owned) */
    int64_t version;      /* version that added / removed it */
} dl_file;
typedef struct dl_txn_entry { int64_t version, last_updated; } dl_txn_entry;
typedef struct dl_state {
    cJSON *protocol, *metadata;     /* action bodies (owned) */
    int64_t protocol_version, metadata_version;
    dl_map files;                   /* key -> dl_file* (adds) */
    dl_map tombstones;              /* key -> dl_file* (removes) */
    dl_map txns;                    /* appId -> dl_txn_entry* */
    dl_map domains;                 /* domain -> cJSON* (domainMetadata body) */
    int64_t version;                /* last applied version, -1 before any */
    cJSON *commit_info;             /* commitInfo of the last applied commit (owned) or NULL */
    bool has_sidecar;               /* a checkpoint applied here referenced sidecar files */
    cJSON *sidecars;                /* their sidecar actions (array, owned) or NULL */
} dl_state;
void dl_state_init(dl_state *s);
void dl_state_free(dl_state *s);
/* Applies one commit/checkpoint file's bytes (JSON lines) at `version`.  `name` names errors. */
llmd_status dl_apply_json(dl_state *s, const char *name, int64_t version, const char *data, size_t len,
                          bool is_checkpoint);
/* Applies one action body (taken over) of `version`. */
llmd_status dl_apply_action(dl_state *s, const char *name, cJSON *body, int64_t version, bool is_checkpoint);
/* Applies a Parquet checkpoint part or sidecar (values.c). */
llmd_status dl_apply_parquet(dl_state *s, const char *name, int64_t version, const void *data, size_t len);
/* Replays the listed files up to `version` (-1 = latest) into *s: a pure function of the listing
 * and the files' bytes.  Checks the result (protocol, metaData, schemaString, reader support). */
llmd_status dl_replay(const dl_listing *l, int64_t version, dl_read_fn read, void *ctx, dl_state *s);

/* The logical key of an add/remove body: decoded path + dv id.  *path_out gets the decoded path. */
llmd_status dl_file_key(const cJSON *action, const char *where, char **key_out, char **path_out);

/* ---- protocol support ------------------------------------------------------------------------------ */
llmd_status dl_check_readable(const cJSON *protocol);
llmd_status dl_check_writable(const cJSON *protocol, const cJSON *metadata, const cJSON *schema);

/* ---- schema ------------------------------------------------------------------------------------------ */
/* Parses and validates a Spark StructType JSON (types, decimal precision, unique names). */
llmd_status dl_schema_parse(const char *json, cJSON **out);
llmd_status dl_schema_check_partitions(const cJSON *schema, const cJSON *partition_columns);
/* merge: existing columns kept with their type (nullable may relax), new columns nullable. */
llmd_status dl_schema_check_evolution(const cJSON *old_schema, const cJSON *new_schema, bool merge);

/* ---- misc -------------------------------------------------------------------------------------------- */
int64_t dl_now_ms(void);
/* cJSON helpers */
bool dl_get_i64(const cJSON *obj, const char *name, int64_t *out);
const char *dl_get_str(const cJSON *obj, const char *name);
/* cJSON print -> llmd-owned string */
char *dl_print(const cJSON *j);
llmd_status dl_oom_json(const char *what);

#endif
