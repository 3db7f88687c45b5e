/* The table and snapshot objects (shared by table.c and txn.c). */
#ifndef LLMD_DELTA_TABLE_INTERNAL_H
#define LLMD_DELTA_TABLE_INTERNAL_H

#include <pthread.h>

#include "delta/delta_internal.h"

struct llmd_delta_table {
    char *path;        /* table directory, no trailing '/' */
    char *log_dir;     /* path + "/_delta_log" */
    llmd_delta_table_options opts;
};

struct llmd_delta_snapshot {
    int64_t version, timestamp;
    char *table_path;
    char *protocol_json, *metadata_json, *schema_json;
    cJSON *schema;                /* parsed schemaString */
    dl_state state;               /* the replayed state (owns actions) */
    dl_file **file_src;           /* active files sorted by key */
    llmd_delta_file *files;       /* public view of file_src */
    size_t n_files;
    unsigned char *built;         /* files[i]'s JSON strings printed (lazily, under lock) */
    pthread_mutex_t lock;
    bool lock_ready;
};

llmd_status dl_fs_read(void *ctx, const char *name, char **data, size_t *len);
llmd_status dl_load_snapshot(llmd_delta_snapshot **out, llmd_delta_table *t, const dl_listing *l, int64_t version);
llmd_status dl_read_commit_info(llmd_delta_table *t, const char *name, cJSON **out);
bool dl_ict_enabled(const cJSON *metadata, int64_t *enablement_version);
llmd_status dl_commit_timestamps(llmd_delta_table *t, const dl_listing *l, const cJSON *latest_metadata,
                                 const dl_entry ***commits_out, int64_t **ts_out, size_t *n_out);

bool dl_has_feature(const cJSON *protocol, const char *list, const char *feature);
/* Checkpoint rows: one action per row, in the column of its kind (PROTOCOL.md "Checkpoint Schema"). */
enum { DL_CK_TXN, DL_CK_ADD, DL_CK_REMOVE, DL_CK_METADATA, DL_CK_PROTOCOL, DL_CK_DOMAIN, DL_CK_CKPT_META,
       DL_CK_SIDECAR, DL_CK_NCOLS };
typedef struct dl_ckpt_row {
    int col;              /* DL_CK_x */
    cJSON *body;          /* the action body */
    int part;             /* part / sidecar index (file actions), see checkpoint.c */
} dl_ckpt_row;
/* Writes the rows whose part is `part` (-1 = all) as a Parquet file with the columns of `mask`
 * (bits 1 << DL_CK_x; rows of other kinds skipped), published atomically. */
llmd_status dl_write_checkpoint_parquet(const char *path, unsigned mask, const dl_ckpt_row *rows, size_t n,
                                        int part, int64_t *rows_written);
/* Spark's Murmur3 hash (Murmur3_x86_32.hashUnsafeBytes: trailing bytes mixed one by one, sign-
 * extended) of bytes with a seed: what Spark's hash partitioning (seed 42) uses. */
int32_t dl_spark_murmur3(const void *data, size_t n, int32_t seed);
/* The checkpoint of snapshot s as the options ask (opts NULL = the table's policy, one part). */
llmd_status dl_write_checkpoint(llmd_delta_table *t, const llmd_delta_snapshot *s,
                                const llmd_delta_checkpoint_options *opts);
void dl_random_uuid(char out[37]);

llmd_status dl_dv_path(const char *table, const cJSON *dv, char **out);
int64_t dl_entry_mtime(const llmd_delta_table *t, const dl_entry *e);

#endif
