/* Internals of the feature store (lib/feature): definitions, source tables, key encoding. */
#ifndef LLMD_FEATURE_INTERNAL_H
#define LLMD_FEATURE_INTERNAL_H
#include "common/internal.h"
#include "llmdata/feature.h"

#define FEAT_NO_TIME INT64_MIN   /* a row without a created timestamp */

typedef struct fview {
    char *name;
    char *def_path;              /* the definition file (for messages) */
    size_t n_keys;
    char **key_names;
    int *key_is_string;          /* 1 string, 0 int64, -1 not declared (inferred from the source) */
    size_t n_feat;
    char **feat_names;
    llmd_feature_dtype *dtypes;
    uint32_t *veclen;
    int64_t ttl_us;              /* 0 = unlimited */
    char *source_path;           /* resolved against the definition's directory */
    char *ts_field, *created_field;  /* created_field NULL when absent */
    int source_kind;             /* FEAT_SRC_* */
    int64_t delta_version;       /* Delta time travel: the version to read, -1 = none */
    int64_t delta_timestamp_ms;  /* or the version current at this time (ms), INT64_MIN = none */
} fview;

enum { FEAT_SRC_JSONL = 0, FEAT_SRC_PARQUET = 1, FEAT_SRC_DELTA = 2 };

struct llmd_feature_repo {
    char *dir;
    fview *views;
    size_t n_views;
};

/* One feature's values over a table's rows. */
typedef struct fcol {
    llmd_feature_dtype dtype;
    uint32_t veclen;
    uint8_t *valid;              /* 1 = value present */
    void *vals;                  /* fixed width: rows * width bytes */
    int64_t *offs;               /* STRING/BYTES: rows + 1 offsets into blob */
    llmd_buf blob;
} fcol;

/* A view's source rows, in source order, plus the sorted grouping by key. */
typedef struct ftable {
    size_t n, cap;
    llmd_buf keys;               /* encoded keys back to back */
    uint64_t *key_off;           /* n + 1 */
    uint64_t *key_hash;
    int64_t *ts, *created;
    fcol *cols;                  /* one per feature of the view */
    size_t n_cols;
    int key_is_string[16];       /* resolved key types */
    /* after ftable_index: rows sorted by (key, ts, created, source order) */
    uint32_t *order;
    int64_t *sorted_ts;          /* ts[order[i]]: binary searches stay in one contiguous array */
    size_t n_groups;
    uint32_t *group_begin;       /* n_groups + 1 offsets into order */
    struct fslot { uint64_t hash; uint32_t group, key_len; uint64_t key_off; } *slots;  /* group + 1, 0 = empty */
    size_t n_slots;
    int64_t source_version;      /* the Delta version read, -1 for JSONL and Parquet sources */
    /* Bounded reading: once the rows held reach sink_bytes, sink(sink_ctx, t) takes them (and
     * empties the table) before the next row is added.  NULL sink = hold everything. */
    llmd_status (*sink)(void *ctx, struct ftable *t);
    void *sink_ctx;
    size_t sink_bytes;
    size_t used_bytes;           /* estimate of the bytes the rows held take */
} ftable;

/* Fixed-width size of a dtype's value (0 for STRING/BYTES). */
size_t feat_width(llmd_feature_dtype dt, uint32_t veclen);
const fview *feat_find_view(const llmd_feature_repo *repo, const char *name, size_t len);
/* Reads a view's source into t (unsorted).  With a sink, the rows go to it in chunks of about
 * sink_bytes (the rows of the last chunk stay in t). */
typedef struct feat_sink {
    llmd_status (*fn)(void *ctx, struct ftable *t);
    void *ctx;
    size_t bytes;
} feat_sink;
llmd_status feat_load_source(const fview *v, ftable *t, const feat_sink *sink);
/* Initialises an empty table for view v's rows. */
llmd_status feat_table_init(const fview *v, ftable *t);
/* Reads a Parquet file or a Delta table's files (source_parquet.c) into an initialised table. */
llmd_status feat_load_parquet_source(const fview *v, ftable *t);
/* Row building shared by the readers: begin makes room for one more row (t->n); end records its
 * key (bytes appended to t->keys since key_start) and counts it. */
llmd_status ftable_begin_row(ftable *t);
void ftable_end_row(ftable *t, size_t key_start);
/* Sorts and builds the key index. */
llmd_status ftable_index(ftable *t);
void ftable_free(ftable *t);
/* Group (distinct key) of an encoded key, or -1. */
int64_t ftable_find_group(const ftable *t, const char *key, size_t len, uint64_t hash);
/* Encodes one key part: 'i' + 8 LE bytes, or 's' + u32 LE length + bytes. */
llmd_status feat_key_put_int(llmd_buf *b, int64_t v);
llmd_status feat_key_put_str(llmd_buf *b, const char *s, size_t n);
uint64_t feat_key_hash(const char *key, size_t len);
/* Spreads an int64 join key over hash slots (murmur3's finaliser: consecutive ids land far apart).
 * Indexes on a single int64 key use it instead of hashing the encoded key bytes. */
static inline uint64_t feat_mix_int(int64_t k) {
    uint64_t x = (uint64_t)k;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}
/* Latest row of group g with lo <= ts <= hi (sorted position), or -1. */
int64_t ftable_latest(const ftable *t, size_t g, int64_t lo, int64_t hi);
#endif
