/* Parquet writer: Arrow-layout column batches in, a Parquet file out.
 *
 * Each leaf column is shredded into definition/repetition levels and values (Dremel), values go
 * through a per-chunk dictionary (RLE_DICTIONARY pages) until the dictionary passes its size limit,
 * then PLAIN.  Pages are cut at row boundaries once their encoded size reaches page_bytes, are
 * compressed as they are cut and held in memory until the row group ends (a column chunk must be
 * contiguous in the file), so memory is about one row group after compression.  The file goes to a
 * temporary name and is published by rename in finish(). */
#include "parquet/pq_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRY(x) do { llmd_status st_ = (x); if (st_) return st_; } while (0)
#define STAT_TRUNCATE 64          /* longer min/max byte strings are truncated (still valid bounds) */
#define PAGE_MAX_ENTRIES (1u << 20) /* level entries per page, bounds page memory for null runs */

/* ---- growable arrays ---------------------------------------------------------------------- */
typedef struct u32vec {
    uint32_t *v;
    size_t n, cap;
} u32vec;

static llmd_status u32_push(u32vec *a, uint32_t x) {
    if (LLMD_UNLIKELY(a->n == a->cap)) {
        size_t ncap = a->cap ? a->cap * 2 : 1024;
        uint32_t *nv = llmd_realloc(a->v, a->cap * sizeof *nv, ncap * sizeof *nv);
        if (!nv) return llmd_fail_nomem("buffering Parquet levels");
        a->v = nv;
        a->cap = ncap;
    }
    a->v[a->n++] = x;
    return LLMD_OK;
}

/* ---- leaf column state -------------------------------------------------------------------- */
typedef struct leaf {
    int path[64];          /* llmd field ids from the top-level field down to the leaf */
    int depth;             /* entries in path */
    int child_pos[64];     /* path[d+1]'s position among path[d]'s children */
    int rep_of[64];        /* LIST/MAP at path[d]: repetition level of its repeated group */
    int max_def, max_rep;
    int phys;              /* PQ_* physical type */
    int type_length;       /* FLBA width */
    llmd_type type;        /* the leaf's logical type */
    char **pq_path;        /* path_in_schema names */
    int n_pq_path;
    int unsigned_order;    /* statistics compare as unsigned integers */
    /* current page */
    u32vec defs, reps, idx;
    llmd_buf plain;
    size_t page_entries, page_values, page_rows;
    /* dictionary */
    int dict_on;           /* dictionary encoding for the chunk's current pages */
    int dict_full;         /* passed the size limit: switch to PLAIN at the next row */
    llmd_buf dict;         /* PLAIN-encoded dictionary values (the dictionary page body) */
    uint64_t *dict_ent;    /* entry i: offset << 24 | ... (offset of the value bytes, length) */
    uint32_t *dict_len;
    size_t dict_n, dict_cap;
    uint32_t *table;       /* open addressing, index+1, 0 = empty */
    size_t table_cap;
    /* chunk */
    llmd_buf chunk;        /* encoded data pages */
    int64_t chunk_values;
    int64_t chunk_uncompressed;
    uint32_t encodings;
    int dict_pages_used;   /* data pages that reference the dictionary */
    /* statistics */
    int64_t nulls;
    int has_minmax;
    llmd_buf min, max;
    /* numeric columns keep min/max as numbers (no per-value byte compares); turned into PLAIN bytes
     * when the chunk is written */
    int stat_kind;         /* 0 bytes, 1 signed, 2 unsigned, 3 floating */
    int has_typed;
    int64_t smin, smax;
    uint64_t umin, umax;
    double dmin, dmax;
} leaf;

typedef struct chunk_meta {
    int64_t data_off, dict_off;     /* dict_off -1 = none */
    int64_t compressed, uncompressed, num_values, nulls;
    uint32_t encodings;
    int has_minmax, min_exact, max_exact;
    char *min, *max;
    size_t min_len, max_len;
} chunk_meta;

typedef struct group_meta {
    chunk_meta *chunks;
    int64_t rows, uncompressed, compressed, file_off;
} group_meta;

struct llmd_parquet_writer {
    llmd_parquet_write_options o;
    llmd_schema *schema;
    char *path;
    llmd_outfile out;              /* the temp file until published (fd -1 when none) */
    int failed, finished;
    leaf *leaves;
    int n_leaves;
    int64_t offset;                /* bytes written to the file */
    int64_t rows_total, rg_rows;
    group_meta *groups;
    int n_groups, cap_groups;
    llmd_buf kv;                   /* key\0value\0 pairs */
    size_t n_kv;
    llmd_buf scratch, page, comp;
};

void llmd_parquet_write_options_init(llmd_parquet_write_options *o) {
    llmd_parquet_write_options d = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    if (o) *o = d;
}

const char *llmd_parquet_codec_name(int codec) {
    switch (codec) {
    case LLMD_PARQUET_UNCOMPRESSED: return "uncompressed";
    case LLMD_PARQUET_SNAPPY: return "snappy";
    case LLMD_PARQUET_GZIP: return "gzip";
    case 3: return "lzo";
    case 4: return "brotli";
    case 5: return "lz4";
    case LLMD_PARQUET_ZSTD: return "zstd";
    case LLMD_PARQUET_LZ4_RAW: return "lz4_raw";
    }
    return NULL;
}

llmd_status llmd_parquet_codec_parse(const char *name, int *codec) {
    static const struct { const char *n; int c; } t[] = {
        {"uncompressed", 0}, {"none", 0}, {"snappy", 1}, {"gzip", 2}, {"zstd", 6},
        {"lz4_raw", 7}, {"lz4", 7}};
    if (!name || !codec) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_codec_parse: NULL argument");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcasecmp(name, t[i].n) == 0) {
            *codec = t[i].c;
            return LLMD_OK;
        }
    return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: unknown codec '%s' (uncompressed, snappy, gzip, zstd, lz4_raw)", name);
}

/* ---- schema → leaves ---------------------------------------------------------------------- */

int pq_decimal_bytes(int precision) {
    static const int8_t t[39] = {0, 1, 1, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7, 8, 8, 9, 9, 9,
                                 10, 10, 11, 11, 11, 12, 12, 13, 13, 13, 14, 14, 15, 15, 16, 16, 16};
    return precision >= 1 && precision <= 38 ? t[precision] : 16;
}

static void physical_of(const llmd_type *t, int *phys, int *len) {
    *len = 0;
    switch (t->id) {
    case LLMD_TYPE_BOOL: *phys = PQ_BOOLEAN; break;
    case LLMD_TYPE_INT8: case LLMD_TYPE_INT16: case LLMD_TYPE_INT32: case LLMD_TYPE_UINT8:
    case LLMD_TYPE_UINT16: case LLMD_TYPE_UINT32: case LLMD_TYPE_DATE: *phys = PQ_INT32; break;
    case LLMD_TYPE_INT64: case LLMD_TYPE_UINT64: case LLMD_TYPE_TIMESTAMP: *phys = PQ_INT64; break;
    case LLMD_TYPE_TIME: *phys = t->unit == LLMD_TIME_MILLIS ? PQ_INT32 : PQ_INT64; break;
    case LLMD_TYPE_FLOAT: *phys = PQ_FLOAT; break;
    case LLMD_TYPE_DOUBLE: *phys = PQ_DOUBLE; break;
    case LLMD_TYPE_STRING: case LLMD_TYPE_BINARY: *phys = PQ_BYTE_ARRAY; break;
    case LLMD_TYPE_FIXED_BINARY: *phys = PQ_FIXED; *len = t->byte_width; break;
    case LLMD_TYPE_UUID: *phys = PQ_FIXED; *len = 16; break;
    case LLMD_TYPE_DECIMAL:
        if (t->precision <= 9) *phys = PQ_INT32;
        else if (t->precision <= 18) *phys = PQ_INT64;
        else {
            *phys = PQ_FIXED;
            *len = pq_decimal_bytes(t->precision);
        }
        break;
    default: *phys = -1; break;
    }
}

static const char *pq_child_name(const llmd_schema *s, int parent, int pos, int child) {
    llmd_type_id pt = s->f[parent].type.id;
    if (pt == LLMD_TYPE_LIST) return "element";
    if (pt == LLMD_TYPE_MAP) return pos == 0 ? "key" : "value";
    return s->f[child].name;
}

static llmd_status add_leaves(llmd_parquet_writer *w, int id, leaf *tmpl) {
    const llmd_schema *s = w->schema;
    const llmd_field *f = &s->f[id];
    leaf cur = *tmpl;
    if (cur.depth >= 60) return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: schema nested deeper than 60 levels");
    cur.path[cur.depth] = id;
    if (f->nullable) cur.max_def++;
    if (f->type.id == LLMD_TYPE_LIST || f->type.id == LLMD_TYPE_MAP) {
        cur.max_def++;
        cur.max_rep++;
        cur.rep_of[cur.depth] = cur.max_rep;
    }
    cur.depth++;
    if (f->n_children == 0) {
        leaf *nl = llmd_realloc(w->leaves, (size_t)w->n_leaves * sizeof *nl, (size_t)(w->n_leaves + 1) * sizeof *nl);
        if (!nl) return llmd_fail_nomem("planning Parquet columns");
        w->leaves = nl;
        leaf *L = &w->leaves[w->n_leaves++];
        memset(L, 0, sizeof *L);
        memcpy(L->path, cur.path, sizeof cur.path);
        memcpy(L->child_pos, cur.child_pos, sizeof cur.child_pos);
        memcpy(L->rep_of, cur.rep_of, sizeof cur.rep_of);
        L->depth = cur.depth;
        L->max_def = cur.max_def;
        L->max_rep = cur.max_rep;
        L->type = f->type;
        physical_of(&f->type, &L->phys, &L->type_length);
        L->unsigned_order = f->type.id == LLMD_TYPE_UINT8 || f->type.id == LLMD_TYPE_UINT16 ||
                            f->type.id == LLMD_TYPE_UINT32 || f->type.id == LLMD_TYPE_UINT64;
        /* path_in_schema: names with the LIST/MAP middle levels */
        int n = 0;
        char *names[192];
        for (int d = 0; d < cur.depth; d++) {
            int fid = cur.path[d];
            int parent = s->f[fid].parent;
            int pos = d > 0 ? cur.child_pos[d - 1] : 0;
            names[n++] = (char *)(parent == 0 ? s->f[fid].name : pq_child_name(s, parent, pos, fid));
            if (s->f[fid].type.id == LLMD_TYPE_LIST) names[n++] = "list";
            if (s->f[fid].type.id == LLMD_TYPE_MAP) names[n++] = "key_value";
        }
        L->pq_path = llmd_calloc((size_t)n, sizeof(char *));
        if (!L->pq_path) return llmd_fail_nomem("planning Parquet columns");
        L->n_pq_path = n;
        for (int i = 0; i < n; i++)
            if (!(L->pq_path[i] = llmd_strdup(names[i]))) return llmd_fail_nomem("planning Parquet columns");
        L->dict_on = w->o.dictionary_bytes > 0 && L->phys != PQ_BOOLEAN;
        if (L->phys == PQ_INT32 || L->phys == PQ_INT64) L->stat_kind = L->unsigned_order ? 2 : 1;
        else if (L->phys == PQ_FLOAT || L->phys == PQ_DOUBLE) L->stat_kind = 3;
        return LLMD_OK;
    }
    for (int i = 0; i < f->n_children; i++) {
        cur.child_pos[cur.depth - 1] = i;
        TRY(add_leaves(w, f->children[i], &cur));
    }
    return LLMD_OK;
}

/* ---- file output ------------------------------------------------------------------------
 * Through lib/common's llmd_outfile (DESIGN.md "one way to publish a file"): a temp file beside the
 * target, fsynced, published by rename in finish(); the shard writer (shards.c) instead takes the
 * closed file over and publishes it together with the other files of its output. */

static llmd_status file_write(llmd_parquet_writer *w, const void *data, size_t n) {
    llmd_status st = llmd_outfile_write(&w->out, data, n);
    if (st) return llmd_error_prefix("parquet writer at byte %lld", (long long)w->offset);
    w->offset += (int64_t)n;
    return LLMD_OK;
}

/* ---- open / free -------------------------------------------------------------------------- */

static const size_t opt_sizes[] = {sizeof(llmd_parquet_write_options)};

llmd_status llmd_parquet_writer_open(llmd_parquet_writer **out, const char *path, const llmd_schema *schema,
                                     const llmd_parquet_write_options *opts) {
    if (!out) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_writer_open: out is NULL");
    *out = NULL;
    if (!path || !schema) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_writer_open: NULL path or schema");
    llmd_parquet_writer *w = llmd_calloc(1, sizeof *w);
    if (!w) return llmd_fail_nomem("creating a Parquet writer");
    w->out.fd = -1;
    llmd_parquet_write_options_init(&w->o);
    llmd_status st = llmd_options_copy(&w->o, opts, opt_sizes, LLMD_PARQUET_WRITE_OPTIONS_VERSION,
                                       "llmd_parquet_write_options");
    if (!st && !llmd_parquet_codec_name(w->o.codec))
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: unknown codec %d", w->o.codec);
    if (!st && (w->o.codec == 3 || w->o.codec == 4 || w->o.codec == 5))
        st = llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: cannot write codec %s", llmd_parquet_codec_name(w->o.codec));
    if (!st && w->o.data_page_version != 1 && w->o.data_page_version != 2)
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: data_page_version must be 1 or 2, not %d", w->o.data_page_version);
    if (!st && (w->o.page_bytes == 0 || w->o.page_bytes > (1u << 30)))
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: page_bytes must be 1 .. 1 GiB");
    if (!st && w->o.row_group_bytes == 0) st = llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: row_group_bytes must be > 0");
    if (!st && w->o.dictionary_bytes > (1u << 30))
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: dictionary_bytes must be at most 1 GiB");
    if (!st) st = pq_schema_check_complete(schema);
    if (!st) st = llmd_schema_clone(&w->schema, schema);
    if (!st && !(w->path = llmd_strdup(path))) st = llmd_fail_nomem("creating a Parquet writer");
    leaf root;
    memset(&root, 0, sizeof root);
    for (int i = 0; !st && i < schema->f[0].n_children; i++) st = add_leaves(w, schema->f[0].children[i], &root);
    if (!st) st = llmd_outfile_open(&w->out, path);
    if (!st) st = file_write(w, "PAR1", 4);
    if (st) {
        llmd_parquet_writer_free(w);
        return st;
    }
    *out = w;
    return LLMD_OK;
}

static void leaf_free(leaf *L) {
    llmd_free(L->defs.v);
    llmd_free(L->reps.v);
    llmd_free(L->idx.v);
    llmd_buf_free(&L->plain);
    llmd_buf_free(&L->dict);
    llmd_free(L->dict_ent);
    llmd_free(L->dict_len);
    llmd_free(L->table);
    llmd_buf_free(&L->chunk);
    llmd_buf_free(&L->min);
    llmd_buf_free(&L->max);
    for (int i = 0; i < L->n_pq_path; i++) llmd_free(L->pq_path[i]);
    llmd_free(L->pq_path);
}

void llmd_parquet_writer_free(llmd_parquet_writer *w) {
    if (!w) return;
    llmd_outfile_discard(&w->out);
    llmd_free(w->path);
    for (int i = 0; i < w->n_leaves; i++) leaf_free(&w->leaves[i]);
    llmd_free(w->leaves);
    for (int g = 0; g < w->n_groups; g++) {
        for (int i = 0; i < w->n_leaves; i++) {
            llmd_free(w->groups[g].chunks[i].min);
            llmd_free(w->groups[g].chunks[i].max);
        }
        llmd_free(w->groups[g].chunks);
    }
    llmd_free(w->groups);
    llmd_buf_free(&w->kv);
    llmd_buf_free(&w->scratch);
    llmd_buf_free(&w->page);
    llmd_buf_free(&w->comp);
    llmd_schema_free(w->schema);
    llmd_free(w);
}

llmd_status llmd_parquet_writer_set_metadata(llmd_parquet_writer *w, const char *key, const char *value) {
    if (!w || !key || !value) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_writer_set_metadata: NULL argument");
    if (w->failed || w->finished) return llmd_fail(LLMD_ERR_STATE, "parquet writer: already finished or failed");
    TRY(llmd_buf_append(&w->kv, key, strlen(key) + 1));
    TRY(llmd_buf_append(&w->kv, value, strlen(value) + 1));
    w->n_kv++;
    return LLMD_OK;
}

int64_t llmd_parquet_writer_rows(const llmd_parquet_writer *w) {
    return w ? w->rows_total : 0;
}

int llmd_parquet_writer_row_groups(const llmd_parquet_writer *w) {
    return w ? w->n_groups : 0;
}

/* ---- column access ------------------------------------------------------------------------ */

static inline int col_valid(const llmd_column *c, int64_t slot) {
    return !c->validity || (c->validity[slot >> 3] >> (slot & 7) & 1);
}

static inline int64_t col_off(const llmd_column *c, int64_t slot) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[slot] : ((const int32_t *)c->offsets)[slot];
}

/* ---- statistics ------------------------------------------------------------------------- */

/* Compares two PLAIN-encoded values of leaf L (byte strings without their length prefix). */
static int value_cmp(const leaf *L, const uint8_t *a, size_t an, const uint8_t *b, size_t bn) {
    switch (L->phys) {
    case PQ_BOOLEAN: return (int)a[0] - (int)b[0];
    case PQ_INT32: {
        uint32_t x = llmd_load_le32(a), y = llmd_load_le32(b);
        if (L->unsigned_order) return x < y ? -1 : x > y;
        return (int32_t)x < (int32_t)y ? -1 : (int32_t)x > (int32_t)y;
    }
    case PQ_INT64: {
        uint64_t x = llmd_load_le64(a), y = llmd_load_le64(b);
        if (L->unsigned_order) return x < y ? -1 : x > y;
        return (int64_t)x < (int64_t)y ? -1 : (int64_t)x > (int64_t)y;
    }
    case PQ_FLOAT: {
        float x, y;
        memcpy(&x, a, 4);
        memcpy(&y, b, 4);
        return x < y ? -1 : x > y;
    }
    case PQ_DOUBLE: {
        double x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        return x < y ? -1 : x > y;
    }
    case PQ_FIXED:
        if (L->type.id == LLMD_TYPE_DECIMAL) {
            /* big-endian two's complement: flip the sign bit, then bytes compare unsigned */
            int sa = a[0] ^ 0x80, sb = b[0] ^ 0x80;
            if (sa != sb) return sa - sb;
            return memcmp(a + 1, b + 1, an - 1);
        }
        /* fallthrough */
    default: {
        size_t m = an < bn ? an : bn;
        int c = m ? memcmp(a, b, m) : 0;
        if (c) return c;
        return an < bn ? -1 : an > bn;
    }
    }
}

static inline void update_typed_stats(leaf *L, const uint8_t *v) {
    switch (L->stat_kind) {
    case 1: {
        int64_t x = L->phys == PQ_INT32 ? (int64_t)(int32_t)llmd_load_le32(v) : (int64_t)llmd_load_le64(v);
        if (!L->has_typed) { L->smin = L->smax = x; L->has_typed = 1; }
        else if (x < L->smin) L->smin = x;
        else if (x > L->smax) L->smax = x;
        return;
    }
    case 2: {
        uint64_t x = L->phys == PQ_INT32 ? (uint64_t)llmd_load_le32(v) : llmd_load_le64(v);
        if (!L->has_typed) { L->umin = L->umax = x; L->has_typed = 1; }
        else if (x < L->umin) L->umin = x;
        else if (x > L->umax) L->umax = x;
        return;
    }
    default: {
        double x;
        if (L->phys == PQ_FLOAT) {
            float f;
            memcpy(&f, v, 4);
            x = f;
        } else {
            memcpy(&x, v, 8);
        }
        if (x != x) return;   /* NaN is left out of min/max */
        if (!L->has_typed) { L->dmin = L->dmax = x; L->has_typed = 1; }
        else if (x < L->dmin) L->dmin = x;
        else if (x > L->dmax) L->dmax = x;
        return;
    }
    }
}

/* Moves the typed min/max into L->min / L->max as PLAIN bytes. */
static llmd_status finish_typed_stats(leaf *L) {
    if (!L->stat_kind || !L->has_typed) return LLMD_OK;
    uint8_t a[8], b[8];
    size_t n = L->phys == PQ_INT32 || L->phys == PQ_FLOAT ? 4 : 8;
    if (L->stat_kind == 1 || L->stat_kind == 2) {
        uint64_t lo = L->stat_kind == 1 ? (uint64_t)L->smin : L->umin, hi = L->stat_kind == 1 ? (uint64_t)L->smax : L->umax;
        llmd_store_le64(a, lo);
        llmd_store_le64(b, hi);
    } else if (n == 4) {
        float lo = (float)L->dmin, hi = (float)L->dmax;
        memcpy(a, &lo, 4);
        memcpy(b, &hi, 4);
    } else {
        memcpy(a, &L->dmin, 8);
        memcpy(b, &L->dmax, 8);
    }
    llmd_buf_reset(&L->min);
    llmd_buf_reset(&L->max);
    TRY(llmd_buf_append(&L->min, a, n));
    TRY(llmd_buf_append(&L->max, b, n));
    L->has_minmax = 1;
    L->has_typed = 0;
    return LLMD_OK;
}

static llmd_status update_stats(leaf *L, const uint8_t *v, size_t n) {
    if (L->stat_kind) {
        update_typed_stats(L, v);
        return LLMD_OK;
    }
    if (L->phys == PQ_FLOAT) {
        float x;
        memcpy(&x, v, 4);
        if (x != x) return LLMD_OK;   /* NaN is left out of min/max */
    } else if (L->phys == PQ_DOUBLE) {
        double x;
        memcpy(&x, v, 8);
        if (x != x) return LLMD_OK;
    }
    if (!L->has_minmax) {
        L->has_minmax = 1;
        llmd_buf_reset(&L->min);
        llmd_buf_reset(&L->max);
        TRY(llmd_buf_append(&L->min, v, n));
        return llmd_buf_append(&L->max, v, n);
    }
    if (value_cmp(L, v, n, (const uint8_t *)L->min.data, L->min.len) < 0) {
        llmd_buf_reset(&L->min);
        TRY(llmd_buf_append(&L->min, v, n));
    } else if (value_cmp(L, v, n, (const uint8_t *)L->max.data, L->max.len) > 0) {
        llmd_buf_reset(&L->max);
        TRY(llmd_buf_append(&L->max, v, n));
    }
    return LLMD_OK;
}

/* ---- dictionary ------------------------------------------------------------------------- */

/* Hash of a dictionary value: a multiplicative hash for 4- and 8-byte values (ints, floats), XXH3
 * for the rest. */
static inline size_t dict_hash(const uint8_t *v, size_t n) {
    if (n == 4) return (size_t)((llmd_load_le32(v) * UINT64_C(0x9E3779B97F4A7C15)) >> 20);
    if (n == 8) {
        uint64_t x = llmd_load_le64(v);
        return (size_t)(((x ^ (x >> 29)) * UINT64_C(0x9E3779B97F4A7C15)) >> 20);
    }
    return (size_t)llmd_hash64(v, n, 0);
}

static llmd_status dict_grow_table(leaf *L) {
    size_t ncap = L->table_cap ? L->table_cap * 2 : 1024;
    uint32_t *nt = llmd_calloc(ncap, sizeof *nt);
    if (!nt) return llmd_fail_nomem("growing a Parquet dictionary");
    for (size_t i = 0; i < L->dict_n; i++) {
        const uint8_t *p = (const uint8_t *)L->dict.data + L->dict_ent[i];
        size_t h = dict_hash(p, L->dict_len[i]) & (ncap - 1);
        while (nt[h]) h = (h + 1) & (ncap - 1);
        nt[h] = (uint32_t)i + 1;
    }
    llmd_free(L->table);
    L->table = nt;
    L->table_cap = ncap;
    return LLMD_OK;
}

/* Index of value v (PLAIN bytes, without a length prefix) in the dictionary, adding it. */
static llmd_status dict_index(llmd_parquet_writer *w, leaf *L, const uint8_t *v, size_t n, uint32_t *out) {
    if (L->dict_n * 2 >= L->table_cap) TRY(dict_grow_table(L));
    size_t h = dict_hash(v, n) & (L->table_cap - 1);
    for (;;) {
        uint32_t e = L->table[h];
        if (!e) break;
        const uint8_t *cand = (const uint8_t *)L->dict.data + L->dict_ent[e - 1];
        if (L->dict_len[e - 1] == n &&
            (n == 4 ? llmd_load_le32(cand) == llmd_load_le32(v) : memcmp(cand, v, n) == 0)) {
            *out = e - 1;
            return LLMD_OK;
        }
        h = (h + 1) & (L->table_cap - 1);
    }
    if (L->dict_n == L->dict_cap) {
        size_t ncap = L->dict_cap ? L->dict_cap * 2 : 1024;
        uint64_t *ne = llmd_realloc(L->dict_ent, L->dict_cap * sizeof *ne, ncap * sizeof *ne);
        if (!ne) return llmd_fail_nomem("growing a Parquet dictionary");
        L->dict_ent = ne;
        uint32_t *nl = llmd_realloc(L->dict_len, L->dict_cap * sizeof *nl, ncap * sizeof *nl);
        if (!nl) return llmd_fail_nomem("growing a Parquet dictionary");
        L->dict_len = nl;
        L->dict_cap = ncap;
    }
    if (L->phys == PQ_BYTE_ARRAY) {
        uint8_t len[4];
        llmd_store_le32(len, (uint32_t)n);
        TRY(llmd_buf_append(&L->dict, len, 4));
    }
    L->dict_ent[L->dict_n] = L->dict.len;
    L->dict_len[L->dict_n] = (uint32_t)n;
    TRY(llmd_buf_append(&L->dict, v, n));
    L->table[h] = (uint32_t)L->dict_n + 1;
    *out = (uint32_t)L->dict_n++;
    if (L->dict.len > w->o.dictionary_bytes) L->dict_full = 1;
    return LLMD_OK;
}

/* ---- pages -------------------------------------------------------------------------------- */

static llmd_status put_levels_v1(llmd_buf *out, const u32vec *lv, int max) {
    size_t at = out->len;
    TRY(llmd_buf_append(out, "\0\0\0\0", 4));
    TRY(rle_encode(lv->v, lv->n, pq_bit_width((uint64_t)max), out));
    llmd_store_le32((uint8_t *)out->data + at, (uint32_t)(out->len - at - 4));
    return LLMD_OK;
}

static llmd_status encode_values(llmd_parquet_writer *w, leaf *L, llmd_buf *out, int *encoding) {
    if (L->dict_on && L->idx.n) {
        int bw = pq_bit_width(L->dict_n ? L->dict_n - 1 : 0);
        if (bw == 0) bw = 1;
        TRY(llmd_buf_putc(out, (char)bw));
        TRY(rle_encode(L->idx.v, L->idx.n, bw, out));
        *encoding = PQ_ENC_RLE_DICT;
        return LLMD_OK;
    }
    *encoding = PQ_ENC_PLAIN;
    if (L->phys == PQ_BOOLEAN) {
        /* PLAIN booleans are bit-packed, LSB first */
        size_t n = L->plain.len, nbytes = (n + 7) / 8;
        TRY(llmd_buf_reserve(out, nbytes));
        uint8_t *p = (uint8_t *)out->data + out->len;
        memset(p, 0, nbytes);
        for (size_t i = 0; i < n; i++)
            if (L->plain.data[i]) p[i >> 3] |= (uint8_t)(1u << (i & 7));
        out->len += nbytes;
        out->data[out->len] = 0;
        return LLMD_OK;
    }
    (void)w;
    return llmd_buf_append(out, L->plain.data, L->plain.len);
}

static void page_header(tout *t, const llmd_parquet_writer *w, const leaf *L, int type, size_t uncompressed,
                        size_t compressed, int encoding, size_t levels_def, size_t levels_rep) {
    tout_field_i32(t, 1, type);
    tout_field_i32(t, 2, (int32_t)uncompressed);
    tout_field_i32(t, 3, (int32_t)compressed);
    if (type == PQ_PAGE_DICT) {
        tout_struct_begin(t, 7);
        tout_field_i32(t, 1, (int32_t)L->dict_n);
        tout_field_i32(t, 2, PQ_ENC_PLAIN);
        tout_struct_end(t);
    } else if (type == PQ_PAGE_DATA) {
        tout_struct_begin(t, 5);
        tout_field_i32(t, 1, (int32_t)L->page_entries);
        tout_field_i32(t, 2, encoding);
        tout_field_i32(t, 3, PQ_ENC_RLE);
        tout_field_i32(t, 4, PQ_ENC_RLE);
        tout_struct_end(t);
    } else {
        tout_struct_begin(t, 8);
        tout_field_i32(t, 1, (int32_t)L->page_entries);
        tout_field_i32(t, 2, (int32_t)(L->page_entries - L->page_values));
        tout_field_i32(t, 3, (int32_t)L->page_rows);
        tout_field_i32(t, 4, encoding);
        tout_field_i32(t, 5, (int32_t)levels_def);
        tout_field_i32(t, 6, (int32_t)levels_rep);
        tout_field_bool(t, 7, w->o.codec != LLMD_PARQUET_UNCOMPRESSED);
        tout_struct_end(t);
    }
    tout_end(t);
}

static llmd_status flush_page(llmd_parquet_writer *w, leaf *L) {
    if (L->page_entries == 0) return LLMD_OK;
    llmd_buf *page = &w->page, *comp = &w->comp, *hdr = &w->scratch;
    llmd_buf_reset(page);
    llmd_buf_reset(comp);
    llmd_buf_reset(hdr);
    int encoding;
    size_t def_bytes = 0, rep_bytes = 0, uncompressed;
    int is_dict = L->dict_on && L->idx.n > 0;
    if (w->o.data_page_version == 1) {
        if (L->max_rep) TRY(put_levels_v1(page, &L->reps, L->max_rep));
        if (L->max_def) TRY(put_levels_v1(page, &L->defs, L->max_def));
        TRY(encode_values(w, L, page, &encoding));
        uncompressed = page->len;
        TRY(pq_compress(w->o.codec, w->o.compression_level, (const uint8_t *)page->data, page->len, comp));
    } else {
        /* v2: levels stay uncompressed in front of the compressed values */
        if (L->max_rep) TRY(rle_encode(L->reps.v, L->reps.n, pq_bit_width((uint64_t)L->max_rep), comp));
        rep_bytes = comp->len;
        if (L->max_def) TRY(rle_encode(L->defs.v, L->defs.n, pq_bit_width((uint64_t)L->max_def), comp));
        def_bytes = comp->len - rep_bytes;
        TRY(encode_values(w, L, page, &encoding));
        uncompressed = rep_bytes + def_bytes + page->len;
        if (w->o.codec == LLMD_PARQUET_UNCOMPRESSED) TRY(llmd_buf_append(comp, page->data, page->len));
        else TRY(pq_compress(w->o.codec, w->o.compression_level, (const uint8_t *)page->data, page->len, comp));
    }
    if (uncompressed > INT32_MAX || comp->len > INT32_MAX)
        return llmd_fail(LLMD_ERR_RANGE, "parquet: a page of column %s passed 2 GiB", L->pq_path[0]);
    tout t;
    tout_begin(&t, hdr);
    page_header(&t, w, L, w->o.data_page_version == 1 ? PQ_PAGE_DATA : PQ_PAGE_DATA_V2, uncompressed, comp->len,
                encoding, def_bytes, rep_bytes);
    TRY(t.st);
    TRY(llmd_buf_append(&L->chunk, hdr->data, hdr->len));
    TRY(llmd_buf_append(&L->chunk, comp->data, comp->len));
    L->chunk_uncompressed += (int64_t)(hdr->len + uncompressed);
    L->encodings |= 1u << encoding;
    if (L->max_def || L->max_rep) L->encodings |= 1u << PQ_ENC_RLE;
    if (is_dict) L->dict_pages_used++;
    L->defs.n = L->reps.n = L->idx.n = 0;
    llmd_buf_reset(&L->plain);
    L->page_entries = L->page_values = L->page_rows = 0;
    return LLMD_OK;
}

static size_t page_estimate(const leaf *L) {
    size_t levels = (L->defs.n + L->reps.n) / 4;
    if (L->dict_on) return levels + L->idx.n * (size_t)(pq_bit_width(L->dict_n) + 1) / 8;
    return levels + L->plain.len;
}

/* Called at every row start: cut the page if it is full, switch to PLAIN once the dictionary is. */
static llmd_status row_start(llmd_parquet_writer *w, leaf *L) {
    if (L->dict_full && L->dict_on) {
        TRY(flush_page(w, L));
        L->dict_on = 0;
    } else if (L->page_entries >= PAGE_MAX_ENTRIES || page_estimate(L) >= w->o.page_bytes) {
        TRY(flush_page(w, L));
    }
    L->page_rows++;
    return LLMD_OK;
}

/* ---- shredding ---------------------------------------------------------------------------- */

typedef struct shred_ctx {
    llmd_parquet_writer *w;
    leaf *L;
    int64_t row;       /* for messages */
} shred_ctx;

static llmd_status value_bytes(shred_ctx *c, const llmd_column *col, int64_t slot, uint8_t tmp[16],
                               const uint8_t **v, size_t *n) {
    const leaf *L = c->L;
    const llmd_type *t = &L->type;
    switch (t->id) {
    case LLMD_TYPE_BOOL:
        tmp[0] = (((const uint8_t *)col->values)[slot >> 3] >> (slot & 7)) & 1;
        *v = tmp;
        *n = 1;
        return LLMD_OK;
    case LLMD_TYPE_INT8: llmd_store_le32(tmp, (uint32_t)(int32_t)((const int8_t *)col->values)[slot]); break;
    case LLMD_TYPE_UINT8: llmd_store_le32(tmp, ((const uint8_t *)col->values)[slot]); break;
    case LLMD_TYPE_INT16: llmd_store_le32(tmp, (uint32_t)(int32_t)((const int16_t *)col->values)[slot]); break;
    case LLMD_TYPE_UINT16: llmd_store_le32(tmp, ((const uint16_t *)col->values)[slot]); break;
    case LLMD_TYPE_DECIMAL: {
        const uint8_t *d = (const uint8_t *)col->values + slot * 16;   /* LE two's complement */
        int width = L->phys == PQ_INT32 ? 4 : L->phys == PQ_INT64 ? 8 : L->type_length;
        /* the dropped high bytes must be pure sign extension */
        uint8_t sign = (d[15] & 0x80) ? 0xff : 0;
        for (int k = width; k < 16; k++)
            if (d[k] != sign) goto decimal_range;
        if (((d[width - 1] & 0x80) ? 0xff : 0) != sign) goto decimal_range;
        if (L->phys == PQ_FIXED) {
            for (int k = 0; k < width; k++) tmp[k] = d[width - 1 - k];   /* big-endian */
        } else {
            memcpy(tmp, d, (size_t)width);
        }
        *v = tmp;
        *n = (size_t)width;
        return LLMD_OK;
    decimal_range:
        return llmd_fail(LLMD_ERR_SCHEMA, "parquet: column %s row %lld: decimal value does not fit precision %d",
                         L->pq_path[0], (long long)c->row, t->precision);
    }
    case LLMD_TYPE_STRING: case LLMD_TYPE_BINARY: {
        int64_t a = col_off(col, slot), b = col_off(col, slot + 1);
        if (a < 0 || b < a || b - a > INT32_MAX)
            return llmd_fail(LLMD_ERR_SCHEMA, "parquet: column %s row %lld: bad offsets %lld..%lld", L->pq_path[0],
                             (long long)c->row, (long long)a, (long long)b);
        *v = (const uint8_t *)col->values + a;
        *n = (size_t)(b - a);
        if (t->id == LLMD_TYPE_STRING && llmd_utf8_validate(*v, *n) != *n)
            return llmd_fail(LLMD_ERR_SCHEMA, "parquet: column %s row %lld: string is not valid UTF-8 (byte %zu)",
                             L->pq_path[0], (long long)c->row, llmd_utf8_validate(*v, *n));
        return LLMD_OK;
    }
    default: {
        size_t width = L->phys == PQ_INT32 || L->phys == PQ_FLOAT ? 4 : L->phys == PQ_FIXED ? (size_t)L->type_length : 8;
        *v = (const uint8_t *)col->values + (size_t)slot * width;
        *n = width;
        return LLMD_OK;
    }
    }
    *v = tmp;
    *n = 4;
    return LLMD_OK;
}

static llmd_status emit(shred_ctx *c, int def, int rep, const llmd_column *col, int64_t slot) {
    leaf *L = c->L;
    llmd_parquet_writer *w = c->w;
    if (L->max_def) TRY(u32_push(&L->defs, (uint32_t)def));
    if (L->max_rep) TRY(u32_push(&L->reps, (uint32_t)rep));
    L->page_entries++;
    L->chunk_values++;
    if (def < L->max_def) {
        L->nulls++;
        return LLMD_OK;
    }
    uint8_t tmp[16];
    const uint8_t *v = tmp;
    size_t n = 0;
    TRY(value_bytes(c, col, slot, tmp, &v, &n));
    L->page_values++;
    if (w->o.statistics) TRY(update_stats(L, v, n));
    if (L->dict_on) {
        uint32_t idx = 0;
        TRY(dict_index(w, L, v, n, &idx));
        return u32_push(&L->idx, idx);
    }
    if (L->phys == PQ_BYTE_ARRAY) {
        uint8_t len[4];
        llmd_store_le32(len, (uint32_t)n);
        TRY(llmd_buf_append(&L->plain, len, 4));
    }
    return llmd_buf_append(&L->plain, v, n);
}

static llmd_status u32_reserve(u32vec *a, size_t extra) {
    if (a->n + extra <= a->cap) return LLMD_OK;
    size_t ncap = a->cap ? a->cap : 1024;
    while (ncap < a->n + extra) ncap *= 2;
    uint32_t *nv = llmd_realloc(a->v, a->cap * sizeof *nv, ncap * sizeof *nv);
    if (!nv) return llmd_fail_nomem("buffering Parquet levels");
    a->v = nv;
    a->cap = ncap;
    return LLMD_OK;
}

/* Whether leaf values can be taken straight from the column buffer (no conversion, no checks). */
static int leaf_is_plain_fixed(const leaf *L) {
    switch (L->type.id) {
    case LLMD_TYPE_INT32: case LLMD_TYPE_INT64: case LLMD_TYPE_UINT32: case LLMD_TYPE_UINT64: case LLMD_TYPE_FLOAT:
    case LLMD_TYPE_DOUBLE: case LLMD_TYPE_DATE: case LLMD_TYPE_TIME: case LLMD_TYPE_TIMESTAMP:
        return 1;
    default:
        return 0;
    }
}

/* The elements [a, b) of a list whose element field is the (required, plain fixed-width) leaf:
 * levels and values in bulk instead of one walk() per element.  This is the token-window path. */
static llmd_status emit_required_run(shred_ctx *c, const llmd_column *ch, int64_t a, int64_t b, int def, int rep,
                                     int rep_rest) {
    leaf *L = c->L;
    llmd_parquet_writer *w = c->w;
    size_t k = (size_t)(b - a);
    if (ch->validity) {
        for (int64_t i = a; i < b; i++)
            if (!col_valid(ch, ch->offset + i))
                return llmd_fail(LLMD_ERR_SCHEMA, "parquet: row %lld: null in required list element of column %s",
                                 (long long)c->row, L->pq_path[0]);
    }
    if (L->max_def) {
        TRY(u32_reserve(&L->defs, k));
        for (size_t i = 0; i < k; i++) L->defs.v[L->defs.n + i] = (uint32_t)def;
        L->defs.n += k;
    }
    if (L->max_rep) {
        TRY(u32_reserve(&L->reps, k));
        L->reps.v[L->reps.n] = (uint32_t)rep;
        for (size_t i = 1; i < k; i++) L->reps.v[L->reps.n + i] = (uint32_t)rep_rest;
        L->reps.n += k;
    }
    L->page_entries += k;
    L->chunk_values += (int64_t)k;
    L->page_values += k;
    size_t width = L->phys == PQ_INT32 || L->phys == PQ_FLOAT ? 4 : 8;
    const uint8_t *v = (const uint8_t *)ch->values + (size_t)(ch->offset + a) * width;
    if (w->o.statistics)
        for (size_t i = 0; i < k; i++) update_typed_stats(L, v + i * width);
    if (L->dict_on) {
        TRY(u32_reserve(&L->idx, k));
        for (size_t i = 0; i < k; i++) {
            uint32_t idx = 0;
            TRY(dict_index(w, L, v + i * width, width, &idx));
            L->idx.v[L->idx.n++] = idx;
        }
        return LLMD_OK;
    }
    return llmd_buf_append(&L->plain, v, k * width);
}

static llmd_status walk(shred_ctx *c, int d, const llmd_column *col, int64_t i, int def, int rep) {
    leaf *L = c->L;
    const llmd_field *f = &c->w->schema->f[L->path[d]];
    int64_t slot = col->offset + i;
    if (f->nullable) {
        if (!col_valid(col, slot)) return emit(c, def, rep, NULL, 0);
        def++;
    } else if (!col_valid(col, slot)) {
        return llmd_fail(LLMD_ERR_SCHEMA, "parquet: row %lld: null in required field '%s'", (long long)c->row, f->name);
    }
    switch (f->type.id) {
    case LLMD_TYPE_STRUCT: {
        if (col->n_children != (size_t)f->n_children)
            return llmd_fail(LLMD_ERR_SCHEMA, "parquet: struct '%s' has %zu child columns, the schema %d", f->name,
                             col->n_children, f->n_children);
        const llmd_column *ch = &col->children[L->child_pos[d]];
        return walk(c, d + 1, ch, slot, def, rep);
    }
    case LLMD_TYPE_LIST: case LLMD_TYPE_MAP: {
        size_t need = f->type.id == LLMD_TYPE_LIST ? 1 : 2;
        if (col->n_children != need || !col->offsets)
            return llmd_fail(LLMD_ERR_SCHEMA, "parquet: %s '%s' needs offsets and %zu child column(s)",
                             llmd_type_name(f->type.id), f->name, need);
        const llmd_column *ch = &col->children[L->child_pos[d]];
        int64_t a = col_off(col, slot), b = col_off(col, slot + 1);
        if (a < 0 || b < a || b > ch->length)
            return llmd_fail(LLMD_ERR_SCHEMA, "parquet: row %lld: %s '%s' offsets %lld..%lld outside its %lld elements",
                             (long long)c->row, llmd_type_name(f->type.id), f->name, (long long)a, (long long)b,
                             (long long)ch->length);
        if (a == b) return emit(c, def, rep, NULL, 0);
        int rl = L->rep_of[d];
        if (d + 2 == L->depth && !c->w->schema->f[L->path[d + 1]].nullable && leaf_is_plain_fixed(L))
            return emit_required_run(c, ch, a, b, def + 1, rep, rl);
        for (int64_t k = a; k < b; k++) TRY(walk(c, d + 1, ch, k, def + 1, k == a ? rep : rl));
        return LLMD_OK;
    }
    default:
        return emit(c, def, rep, col, slot);
    }
}

static llmd_status shred_rows(llmd_parquet_writer *w, const llmd_column *cols, int64_t begin, int64_t end) {
    for (int li = 0; li < w->n_leaves; li++) {
        leaf *L = &w->leaves[li];
        shred_ctx c = {w, L, 0};
        const llmd_column *top = NULL;
        const llmd_schema *s = w->schema;
        for (int k = 0; k < s->f[0].n_children; k++)
            if (s->f[0].children[k] == L->path[0]) top = &cols[k];
        for (int64_t r = begin; r < end; r++) {
            c.row = r;
            TRY(row_start(w, L));
            TRY(walk(&c, 0, top, r, 0, 0));
        }
    }
    return LLMD_OK;
}

/* ---- row groups and footer ---------------------------------------------------------------- */

static size_t rg_bytes(const llmd_parquet_writer *w) {
    size_t n = 0;
    for (int i = 0; i < w->n_leaves; i++) n += w->leaves[i].chunk.len + page_estimate(&w->leaves[i]) + w->leaves[i].dict.len;
    return n;
}

/* Truncated statistics stay valid bounds: a prefix is <= the value; the max prefix gets its last
 * byte incremented (dropping trailing 0xff) so it is >= the value. */
static llmd_status keep_stat(const leaf *L, const llmd_buf *v, int is_max, char **out, size_t *len, int *exact) {
    size_t n = v->len;
    *exact = 1;
    if ((L->phys == PQ_BYTE_ARRAY) && n > STAT_TRUNCATE) {
        n = STAT_TRUNCATE;
        *exact = 0;
    }
    char *p = llmd_malloc(n ? n : 1);
    if (!p) return llmd_fail_nomem("keeping Parquet statistics");
    if (n) memcpy(p, v->data, n);
    if (is_max && !*exact) {
        while (n && (uint8_t)p[n - 1] == 0xff) n--;
        if (n == 0) {
            llmd_free(p);
            *out = NULL;
            *len = 0;
            return LLMD_OK;
        }
        p[n - 1] = (char)((uint8_t)p[n - 1] + 1);
    }
    *out = p;
    *len = n;
    return LLMD_OK;
}

static llmd_status write_row_group(llmd_parquet_writer *w) {
    if (w->rg_rows == 0) return LLMD_OK;
    if (w->n_groups == w->cap_groups) {
        int ncap = w->cap_groups ? w->cap_groups * 2 : 8;
        group_meta *ng = llmd_realloc(w->groups, (size_t)w->cap_groups * sizeof *ng, (size_t)ncap * sizeof *ng);
        if (!ng) return llmd_fail_nomem("recording a Parquet row group");
        w->groups = ng;
        w->cap_groups = ncap;
    }
    group_meta *g = &w->groups[w->n_groups];
    memset(g, 0, sizeof *g);
    g->chunks = llmd_calloc((size_t)w->n_leaves, sizeof *g->chunks);
    if (!g->chunks) return llmd_fail_nomem("recording a Parquet row group");
    w->n_groups++;
    g->rows = w->rg_rows;
    g->file_off = w->offset;
    for (int li = 0; li < w->n_leaves; li++) {
        leaf *L = &w->leaves[li];
        chunk_meta *m = &g->chunks[li];
        TRY(flush_page(w, L));
        int64_t start = w->offset;
        m->dict_off = -1;
        if (L->dict_pages_used > 0) {
            llmd_buf *comp = &w->comp, *hdr = &w->scratch;
            llmd_buf_reset(comp);
            llmd_buf_reset(hdr);
            TRY(pq_compress(w->o.codec, w->o.compression_level, (const uint8_t *)L->dict.data, L->dict.len, comp));
            if (L->dict.len > INT32_MAX || comp->len > INT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "parquet: dictionary page over 2 GiB");
            tout t;
            tout_begin(&t, hdr);
            page_header(&t, w, L, PQ_PAGE_DICT, L->dict.len, comp->len, PQ_ENC_PLAIN, 0, 0);
            TRY(t.st);
            m->dict_off = w->offset;
            TRY(file_write(w, hdr->data, hdr->len));
            TRY(file_write(w, comp->data, comp->len));
            L->chunk_uncompressed += (int64_t)(hdr->len + L->dict.len);
            L->encodings |= 1u << PQ_ENC_PLAIN;
        }
        m->data_off = w->offset;
        TRY(file_write(w, L->chunk.data, L->chunk.len));
        m->compressed = w->offset - start;
        m->uncompressed = L->chunk_uncompressed;
        m->num_values = L->chunk_values;
        m->nulls = L->nulls;
        m->encodings = L->encodings;
        TRY(finish_typed_stats(L));
        m->has_minmax = L->has_minmax && w->o.statistics;
        if (m->has_minmax) {
            TRY(keep_stat(L, &L->min, 0, &m->min, &m->min_len, &m->min_exact));
            TRY(keep_stat(L, &L->max, 1, &m->max, &m->max_len, &m->max_exact));
            /* -0.0/+0.0: the spec asks for min -0.0 and max +0.0 so either zero is inside */
            if (L->phys == PQ_FLOAT || L->phys == PQ_DOUBLE) {
                int wdt = L->phys == PQ_FLOAT ? 4 : 8;
                int zero_min = 1, zero_max = 1;
                for (int k = 0; k < wdt; k++) {
                    if ((uint8_t)m->min[k] != (k == wdt - 1 ? 0x80 : 0) && (uint8_t)m->min[k] != 0) zero_min = 0;
                    if ((uint8_t)m->max[k] != (k == wdt - 1 ? 0x80 : 0) && (uint8_t)m->max[k] != 0) zero_max = 0;
                }
                if (zero_min) m->min[wdt - 1] = (char)0x80;
                if (zero_max) m->max[wdt - 1] = 0;
            }
        }
        g->compressed += m->compressed;
        g->uncompressed += m->uncompressed;
        /* reset for the next chunk */
        llmd_buf_reset(&L->chunk);
        llmd_buf_reset(&L->dict);
        L->dict_n = 0;
        if (L->table) memset(L->table, 0, L->table_cap * sizeof *L->table);
        L->dict_on = w->o.dictionary_bytes > 0 && L->phys != PQ_BOOLEAN;
        L->dict_full = 0;
        L->dict_pages_used = 0;
        L->chunk_values = L->chunk_uncompressed = 0;
        L->encodings = 0;
        L->nulls = 0;
        L->has_minmax = 0;
    }
    w->rg_rows = 0;
    return LLMD_OK;
}

static void schema_element(tout *t, const llmd_schema *s, int id, const char *name, int rep_override) {
    const llmd_field *f = &s->f[id];
    const llmd_type *ty = &f->type;
    tout_list_struct_begin(t);
    int phys, len;
    physical_of(ty, &phys, &len);
    int is_group = ty->id == LLMD_TYPE_STRUCT || ty->id == LLMD_TYPE_LIST || ty->id == LLMD_TYPE_MAP;
    if (!is_group) {
        tout_field_i32(t, 1, phys);
        if (phys == PQ_FIXED) tout_field_i32(t, 2, len);
    }
    tout_field_i32(t, 3, rep_override >= 0 ? rep_override : f->nullable ? PQ_OPTIONAL : PQ_REQUIRED);
    tout_field_binary(t, 4, name, strlen(name));
    if (is_group) tout_field_i32(t, 5, ty->id == LLMD_TYPE_MAP ? 1 : ty->id == LLMD_TYPE_LIST ? 1 : f->n_children);
    int converted = -1;
    switch (ty->id) {
    case LLMD_TYPE_STRING: converted = CT_UTF8; break;
    case LLMD_TYPE_LIST: converted = CT_LIST; break;
    case LLMD_TYPE_MAP: converted = CT_MAP; break;
    case LLMD_TYPE_DECIMAL: converted = CT_DECIMAL; break;
    case LLMD_TYPE_DATE: converted = CT_DATE; break;
    case LLMD_TYPE_INT8: converted = CT_INT_8; break;
    case LLMD_TYPE_INT16: converted = CT_INT_16; break;
    case LLMD_TYPE_UINT8: converted = CT_UINT_8; break;
    case LLMD_TYPE_UINT16: converted = CT_UINT_16; break;
    case LLMD_TYPE_UINT32: converted = CT_UINT_32; break;
    case LLMD_TYPE_UINT64: converted = CT_UINT_64; break;
    case LLMD_TYPE_TIME:
        if (ty->utc && ty->unit == LLMD_TIME_MILLIS) converted = CT_TIME_MILLIS;
        if (ty->utc && ty->unit == LLMD_TIME_MICROS) converted = CT_TIME_MICROS;
        break;
    case LLMD_TYPE_TIMESTAMP:
        if (ty->utc && ty->unit == LLMD_TIME_MILLIS) converted = CT_TIMESTAMP_MILLIS;
        if (ty->utc && ty->unit == LLMD_TIME_MICROS) converted = CT_TIMESTAMP_MICROS;
        break;
    default: break;
    }
    if (converted >= 0) tout_field_i32(t, 6, converted);
    if (ty->id == LLMD_TYPE_DECIMAL) {
        tout_field_i32(t, 7, ty->scale);
        tout_field_i32(t, 8, ty->precision);
    }
    /* logicalType (union) */
    int lt = -1;
    switch (ty->id) {
    case LLMD_TYPE_STRING: lt = LT_STRING; break;
    case LLMD_TYPE_LIST: lt = LT_LIST; break;
    case LLMD_TYPE_MAP: lt = LT_MAP; break;
    case LLMD_TYPE_DECIMAL: lt = LT_DECIMAL; break;
    case LLMD_TYPE_DATE: lt = LT_DATE; break;
    case LLMD_TYPE_TIME: lt = LT_TIME; break;
    case LLMD_TYPE_TIMESTAMP: lt = LT_TIMESTAMP; break;
    case LLMD_TYPE_UUID: lt = LT_UUID; break;
    case LLMD_TYPE_INT8: case LLMD_TYPE_INT16: case LLMD_TYPE_UINT8: case LLMD_TYPE_UINT16:
    case LLMD_TYPE_UINT32: case LLMD_TYPE_UINT64: lt = LT_INTEGER; break;
    default: break;
    }
    if (lt >= 0) {
        tout_struct_begin(t, 10);
        tout_struct_begin(t, lt);
        if (lt == LT_DECIMAL) {
            tout_field_i32(t, 1, ty->scale);
            tout_field_i32(t, 2, ty->precision);
        } else if (lt == LT_TIME || lt == LT_TIMESTAMP) {
            tout_field_bool(t, 1, ty->utc);
            tout_struct_begin(t, 2);
            tout_struct_begin(t, ty->unit + 1);
            tout_struct_end(t);
            tout_struct_end(t);
        } else if (lt == LT_INTEGER) {
            int bits = ty->id == LLMD_TYPE_INT8 || ty->id == LLMD_TYPE_UINT8 ? 8
                     : ty->id == LLMD_TYPE_INT16 || ty->id == LLMD_TYPE_UINT16 ? 16
                     : ty->id == LLMD_TYPE_UINT32 ? 32 : 64;
            /* field 1 is an i8: compact type BYTE, one raw byte */
            int delta = 1 - t->last_id[t->depth];
            uint8_t hb = (uint8_t)(delta << 4 | TT_BYTE);
            if (!t->st) t->st = llmd_buf_putc(t->b, (char)hb);
            if (!t->st) t->st = llmd_buf_putc(t->b, (char)bits);
            t->last_id[t->depth] = 1;
            tout_field_bool(t, 2, ty->id == LLMD_TYPE_INT8 || ty->id == LLMD_TYPE_INT16);
        }
        tout_struct_end(t);
        tout_struct_end(t);
    }
    tout_struct_end(t);
}

static int count_elements(const llmd_schema *s, int id) {
    const llmd_field *f = &s->f[id];
    int n = 1;
    if (f->type.id == LLMD_TYPE_LIST || f->type.id == LLMD_TYPE_MAP) n++;
    for (int i = 0; i < f->n_children; i++) n += count_elements(s, f->children[i]);
    return n;
}

static void write_schema_tree(tout *t, const llmd_schema *s, int id, const char *name) {
    const llmd_field *f = &s->f[id];
    schema_element(t, s, id, name, -1);
    if (f->type.id == LLMD_TYPE_LIST || f->type.id == LLMD_TYPE_MAP) {
        /* the repeated middle group: "list" { element } or "key_value" { key, value } */
        int is_map = f->type.id == LLMD_TYPE_MAP;
        tout_list_struct_begin(t);
        tout_field_i32(t, 3, PQ_REPEATED);
        const char *mid = is_map ? "key_value" : "list";
        tout_field_binary(t, 4, mid, strlen(mid));
        tout_field_i32(t, 5, is_map ? 2 : 1);
        tout_struct_end(t);
        for (int i = 0; i < f->n_children; i++)
            write_schema_tree(t, s, f->children[i], is_map ? (i == 0 ? "key" : "value") : "element");
        return;
    }
    for (int i = 0; i < f->n_children; i++) write_schema_tree(t, s, f->children[i], s->f[f->children[i]].name);
}

static llmd_status write_footer(llmd_parquet_writer *w) {
    llmd_buf *b = &w->scratch;
    llmd_buf_reset(b);
    tout t;
    tout_begin(&t, b);
    tout_field_i32(&t, 1, 2);
    /* 2: schema */
    const llmd_schema *s = w->schema;
    int n_el = 1;
    for (int i = 0; i < s->f[0].n_children; i++) n_el += count_elements(s, s->f[0].children[i]);
    tout_field_list(&t, 2, TT_STRUCT, (size_t)n_el);
    tout_list_struct_begin(&t);
    tout_field_binary(&t, 4, "schema", 6);
    tout_field_i32(&t, 5, s->f[0].n_children);
    tout_struct_end(&t);
    for (int i = 0; i < s->f[0].n_children; i++) write_schema_tree(&t, s, s->f[0].children[i], s->f[s->f[0].children[i]].name);
    tout_field_i64(&t, 3, w->rows_total);
    /* 4: row groups */
    tout_field_list(&t, 4, TT_STRUCT, (size_t)w->n_groups);
    for (int g = 0; g < w->n_groups; g++) {
        const group_meta *gm = &w->groups[g];
        tout_list_struct_begin(&t);
        tout_field_list(&t, 1, TT_STRUCT, (size_t)w->n_leaves);
        for (int li = 0; li < w->n_leaves; li++) {
            const leaf *L = &w->leaves[li];
            const chunk_meta *m = &gm->chunks[li];
            tout_list_struct_begin(&t);
            tout_field_i64(&t, 2, m->dict_off >= 0 ? m->dict_off : m->data_off);
            tout_struct_begin(&t, 3);
            tout_field_i32(&t, 1, L->phys);
            int n_enc = 0;
            for (int e = 0; e < 32; e++) n_enc += (m->encodings >> e) & 1;
            tout_field_list(&t, 2, TT_I32, (size_t)n_enc);
            for (int e = 0; e < 32; e++)
                if ((m->encodings >> e) & 1) tout_i32(&t, e);
            tout_field_list(&t, 3, TT_BINARY, (size_t)L->n_pq_path);
            for (int k = 0; k < L->n_pq_path; k++) tout_binary(&t, L->pq_path[k], strlen(L->pq_path[k]));
            tout_field_i32(&t, 4, w->o.codec);
            tout_field_i64(&t, 5, m->num_values);
            tout_field_i64(&t, 6, m->uncompressed);
            tout_field_i64(&t, 7, m->compressed);
            tout_field_i64(&t, 9, m->data_off);
            if (m->dict_off >= 0) tout_field_i64(&t, 11, m->dict_off);
            if (w->o.statistics) {
                tout_struct_begin(&t, 12);
                tout_field_i64(&t, 3, m->nulls);
                if (m->has_minmax && m->max) tout_field_binary(&t, 5, m->max, m->max_len);
                if (m->has_minmax) tout_field_binary(&t, 6, m->min, m->min_len);
                if (m->has_minmax && m->max) tout_field_bool(&t, 7, m->max_exact);
                if (m->has_minmax) tout_field_bool(&t, 8, m->min_exact);
                tout_struct_end(&t);
            }
            tout_struct_end(&t);
            tout_struct_end(&t);
        }
        tout_field_i64(&t, 2, gm->uncompressed);
        tout_field_i64(&t, 3, gm->rows);
        tout_field_i64(&t, 5, gm->file_off);
        tout_field_i64(&t, 6, gm->compressed);
        if (g <= INT16_MAX) {
            int delta = 7 - t.last_id[t.depth];
            uint8_t hb = (uint8_t)(delta << 4 | TT_I16);
            if (!t.st) t.st = llmd_buf_putc(t.b, (char)hb);
            tout_i32(&t, g);
            t.last_id[t.depth] = 7;
        }
        tout_struct_end(&t);
    }
    /* 5: key/value metadata */
    if (w->n_kv) {
        tout_field_list(&t, 5, TT_STRUCT, w->n_kv);
        const char *p = w->kv.data;
        for (size_t i = 0; i < w->n_kv; i++) {
            const char *k = p, *v = p + strlen(p) + 1;
            p = v + strlen(v) + 1;
            tout_list_struct_begin(&t);
            tout_field_binary(&t, 1, k, strlen(k));
            tout_field_binary(&t, 2, v, strlen(v));
            tout_struct_end(&t);
        }
    }
    const char *created = "libllmdata version " LLMD_VERSION_STRING;
    tout_field_binary(&t, 6, created, strlen(created));
    /* 7: column_orders — TYPE_ORDER for every leaf, so readers trust min_value/max_value */
    tout_field_list(&t, 7, TT_STRUCT, (size_t)w->n_leaves);
    for (int li = 0; li < w->n_leaves; li++) {
        tout_list_struct_begin(&t);
        tout_struct_begin(&t, 1);
        tout_struct_end(&t);
        tout_struct_end(&t);
    }
    tout_end(&t);
    TRY(t.st);
    if (b->len > UINT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "parquet: footer over 4 GiB");
    uint8_t tail[8];
    llmd_store_le32(tail, (uint32_t)b->len);
    memcpy(tail + 4, "PAR1", 4);
    TRY(file_write(w, b->data, b->len));
    return file_write(w, tail, 8);
}

/* ---- public entry points ------------------------------------------------------------------ */

static llmd_status check_usable(const llmd_parquet_writer *w) {
    if (!w) return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet writer is NULL");
    if (w->failed) return llmd_fail(LLMD_ERR_STATE, "parquet writer %s: an earlier call failed", w->path);
    if (w->finished) return llmd_fail(LLMD_ERR_STATE, "parquet writer %s: already finished", w->path);
    return LLMD_OK;
}

static llmd_status fail_writer(llmd_parquet_writer *w, llmd_status st) {
    if (st) w->failed = 1;
    return st;
}

llmd_status llmd_parquet_writer_write(llmd_parquet_writer *w, const llmd_column *columns, size_t n_columns) {
    TRY(check_usable(w));
    const llmd_schema *s = w->schema;
    if (!columns || n_columns != (size_t)s->f[0].n_children)
        return llmd_fail(LLMD_ERR_SCHEMA, "parquet: %zu columns given, the schema has %d", n_columns, s->f[0].n_children);
    int64_t rows = columns[0].length;
    for (size_t i = 0; i < n_columns; i++) {
        const llmd_field *f = &s->f[s->f[0].children[i]];
        if (columns[i].length != rows || columns[i].length < 0 || columns[i].offset < 0)
            return llmd_fail(LLMD_ERR_SCHEMA, "parquet: column '%s' has %lld entries, column 0 has %lld", f->name,
                             (long long)columns[i].length, (long long)rows);
        if (!columns[i].values && f->type.id != LLMD_TYPE_STRUCT && f->type.id != LLMD_TYPE_LIST &&
            f->type.id != LLMD_TYPE_MAP && rows > 0)
            return llmd_fail(LLMD_ERR_SCHEMA, "parquet: column '%s' has no values buffer", f->name);
    }
    /* Rows go in slices so a row group can end inside a large batch. */
    int64_t done = 0;
    while (done < rows) {
        size_t cur = rg_bytes(w);
        int64_t slice = 64;
        if (w->rows_total > 0) {
            double per_row = (double)(w->offset + (int64_t)cur) / (double)w->rows_total;
            double room = (double)w->o.row_group_bytes - (double)cur;
            slice = per_row > 0 ? (int64_t)(room / per_row / 2) : 4096;
            if (slice < 1) slice = 1;
            if (slice > 8192) slice = 8192;
        }
        if (slice > rows - done) slice = rows - done;
        llmd_status st = shred_rows(w, columns, done, done + slice);
        if (st) return fail_writer(w, st);
        done += slice;
        w->rows_total += slice;
        w->rg_rows += slice;
        if (rg_bytes(w) >= w->o.row_group_bytes && (st = write_row_group(w))) return fail_writer(w, st);
    }
    return LLMD_OK;
}

llmd_status llmd_parquet_writer_flush(llmd_parquet_writer *w) {
    TRY(check_usable(w));
    return fail_writer(w, write_row_group(w));
}

llmd_status llmd_parquet_writer_finish(llmd_parquet_writer *w) {
    TRY(check_usable(w));
    llmd_status st = write_row_group(w);
    if (!st) st = write_footer(w);
    if (!st) st = llmd_outfile_publish(&w->out, LLMD_PUBLISH_REPLACE);
    if (st) return fail_writer(w, st);
    w->finished = 1;
    return LLMD_OK;
}

llmd_status pq_writer_finish_unpublished(llmd_parquet_writer *w, llmd_outfile *out) {
    TRY(check_usable(w));
    llmd_status st = write_row_group(w);
    if (!st) st = write_footer(w);
    if (!st) st = llmd_outfile_close(&w->out);
    if (st) return fail_writer(w, st);
    *out = w->out;                 /* the caller now owns the temp file */
    memset(&w->out, 0, sizeof w->out);
    w->out.fd = -1;
    w->finished = 1;
    return LLMD_OK;
}

uint64_t pq_writer_bytes(const llmd_parquet_writer *w) {
    return w ? (uint64_t)w->offset + rg_bytes(w) : 0;
}
