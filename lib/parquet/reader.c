/* Parquet reader: footer → llmd_schema, one row group at a time → Arrow-layout columns.
 *
 * Each selected leaf column chunk is decoded into its definition/repetition levels and a dense
 * array of its non-null values; the Arrow structure (validity, list offsets, struct children) is
 * then rebuilt from the levels, node by node: the elements of a field are the level entries whose
 * repetition level is at most the field's and whose definition level says the field's slot
 * exists.  Every size read from the file is checked against the bytes actually there and against
 * max_memory before anything is allocated for it. */
#include "parquet/pq_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRY(x) do { llmd_status st_ = (x); if (st_) return st_; } while (0)
#define MAX_NESTING 64

/* Per llmd field: how its structure shows in the levels. */
typedef struct rnode {
    int d_exist;      /* def level at which this field's slot exists */
    int def_present;  /* def level at which it is non-null */
    int r;            /* repetition level of its slots */
    int item_def, item_rep;   /* LIST/MAP */
    int pq_nullable;
    int leaf;         /* primitive: leaf index; else -1 */
    int first_leaf;
} rnode;

typedef struct rleaf {
    int field;        /* llmd field id */
    int phys, type_length;
    int max_def, max_rep;
    char *path;       /* dotted */
    int top;          /* top-level field id */
} rleaf;

struct llmd_parquet_reader {
    llmd_parquet_read_options o;
    char *path;                 /* "" for memory */
    int fd;
    const uint8_t *mem;
    uint64_t size;
    uint8_t *footer_buf;
    pq_footer f;
    llmd_schema *schema;
    rnode *rn;                  /* per field */
    size_t rn_cap;
    rleaf *leaves;
    int n_leaves;
    int *selected;              /* top-level field ids */
    size_t n_selected;
};

/* ---- batches ------------------------------------------------------------------------------ */
typedef struct arena_block {
    struct arena_block *next;
    max_align_t data[];
} arena_block;

struct llmd_parquet_batch {
    int64_t rows;
    llmd_column *cols;
    int *fields;
    size_t n;
    arena_block *blocks;
    void **owned;            /* decoded buffers handed over whole (string bytes), freed with the batch */
    size_t n_owned, cap_owned;
};

/* Takes ownership of p (an llmd_malloc'd buffer); on failure p is freed and NULL returned. */
static void *batch_adopt(llmd_parquet_batch *b, void *p, size_t size) {
    if (b->n_owned == b->cap_owned) {
        size_t ncap = b->cap_owned ? b->cap_owned * 2 : 8;
        void **no = llmd_realloc(b->owned, b->cap_owned * sizeof *no, ncap * sizeof *no);
        if (!no) {
            llmd_free(p);
            return NULL;
        }
        b->owned = no;
        b->cap_owned = ncap;
    }
    (void)size;
    b->owned[b->n_owned++] = p;
    return p;
}

static void *arena_alloc(llmd_parquet_batch *b, size_t n) {
    arena_block *blk = llmd_malloc(sizeof(arena_block) + (n ? n : 1));
    if (!blk) return NULL;
    blk->next = b->blocks;
    b->blocks = blk;
    return blk->data;
}

void llmd_parquet_batch_free(llmd_parquet_batch *b) {
    if (!b) return;
    for (size_t i = 0; i < b->n_owned; i++) llmd_free(b->owned[i]);
    llmd_free(b->owned);
    while (b->blocks) {
        arena_block *n = b->blocks->next;
        llmd_free(b->blocks);
        b->blocks = n;
    }
    llmd_free(b);
}

int64_t llmd_parquet_batch_rows(const llmd_parquet_batch *b) {
    return b ? b->rows : 0;
}

size_t llmd_parquet_batch_num_columns(const llmd_parquet_batch *b) {
    return b ? b->n : 0;
}

const llmd_column *llmd_parquet_batch_column(const llmd_parquet_batch *b, size_t i) {
    return b && i < b->n ? &b->cols[i] : NULL;
}

int llmd_parquet_batch_field(const llmd_parquet_batch *b, size_t i) {
    return b && i < b->n ? b->fields[i] : -1;
}

/* ---- options, open -------------------------------------------------------------------------- */

void llmd_parquet_read_options_init(llmd_parquet_read_options *o) {
    llmd_parquet_read_options d = LLMD_PARQUET_READ_OPTIONS_INIT;
    if (o) *o = d;
}

static const size_t ropt_sizes[] = {sizeof(llmd_parquet_read_options)};

static llmd_status read_at(const llmd_parquet_reader *r, uint64_t off, void *dst, size_t n) {
    if (off > r->size || n > r->size - off)
        return llmd_fail(LLMD_ERR_PARSE, "%s: read of %zu bytes at %llu goes past the end of the %llu-byte file",
                         r->path, n, (unsigned long long)off, (unsigned long long)r->size);
    if (r->mem) {
        memcpy(dst, r->mem + off, n);
        return LLMD_OK;
    }
    uint8_t *p = dst;
    while (n) {
        ssize_t got = pread(r->fd, p, n, (off_t)off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return llmd_fail(LLMD_ERR_IO, "%s: read failed at byte %llu: %s", r->path, (unsigned long long)off,
                             got < 0 ? strerror(errno) : "file shrank while reading");
        p += got;
        off += (uint64_t)got;
        n -= (size_t)got;
    }
    return LLMD_OK;
}

/* internal field add without the public checks (names in a file may repeat) */
static llmd_status add_field(llmd_schema *s, int parent, const char *name, const llmd_type *t, int nullable, int *id) {
    if (s->n == s->cap) {
        int ncap = s->cap * 2;
        llmd_field *nf = llmd_realloc(s->f, (size_t)s->cap * sizeof *nf, (size_t)ncap * sizeof *nf);
        if (!nf) return llmd_fail_nomem("reading a Parquet schema");
        s->f = nf;
        s->cap = ncap;
    }
    llmd_field *p = &s->f[parent];
    int *nc = llmd_realloc(p->children, (size_t)p->n_children * sizeof(int), (size_t)(p->n_children + 1) * sizeof(int));
    if (!nc) return llmd_fail_nomem("reading a Parquet schema");
    p->children = nc;
    llmd_field *f = &s->f[s->n];
    memset(f, 0, sizeof *f);
    f->name = llmd_strdup(name ? name : "");
    if (!f->name) return llmd_fail_nomem("reading a Parquet schema");
    f->type = *t;
    f->nullable = nullable;
    f->parent = parent;
    p->children[p->n_children++] = s->n;
    *id = s->n++;
    return LLMD_OK;
}

static const char *phys_name(int p) {
    static const char *const n[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT", "DOUBLE", "BYTE_ARRAY",
                                    "FIXED_LEN_BYTE_ARRAY"};
    return p >= 0 && p <= 7 ? n[p] : "?";
}

static llmd_status primitive_type(const llmd_parquet_reader *r, const pq_schema_el *e, llmd_type *t) {
    memset(t, 0, sizeof *t);
    int p = e->type;
    if (p < 0 || p > 7) return llmd_fail(LLMD_ERR_PARSE, "%s: column '%s' has unknown physical type %d", r->path, e->name ? e->name : "", p);
    if (p == PQ_FIXED && (e->type_length < 1 || e->type_length > (1 << 24)))
        return llmd_fail(LLMD_ERR_PARSE, "%s: column '%s' has FIXED_LEN_BYTE_ARRAY length %d", r->path, e->name ? e->name : "", e->type_length);
    int lt = e->logical, ct = e->converted;
    int precision = lt == LT_DECIMAL ? e->lt_precision : e->precision, scale = lt == LT_DECIMAL ? e->lt_scale : e->scale;
    int is_int = p == PQ_INT32 || p == PQ_INT64;
    if (lt == LT_NONE || lt == LT_UNKNOWN) {
        /* the old ConvertedType annotations */
        switch (ct) {
        case CT_UTF8: case CT_ENUM: case CT_JSON: lt = LT_STRING; break;
        case CT_DECIMAL: lt = LT_DECIMAL; break;
        case CT_DATE: lt = LT_DATE; break;
        case CT_TIME_MILLIS: case CT_TIME_MICROS: lt = LT_TIME; break;
        case CT_TIMESTAMP_MILLIS: case CT_TIMESTAMP_MICROS: lt = LT_TIMESTAMP; break;
        case CT_UINT_8: case CT_UINT_16: case CT_UINT_32: case CT_UINT_64:
        case CT_INT_8: case CT_INT_16: case CT_INT_32: case CT_INT_64: lt = LT_INTEGER; break;
        default: lt = LT_NONE; break;
        }
        if (lt == LT_TIME || lt == LT_TIMESTAMP) {
            ((pq_schema_el *)e)->lt_utc = 1;
            ((pq_schema_el *)e)->lt_unit = ct == CT_TIME_MILLIS || ct == CT_TIMESTAMP_MILLIS ? LLMD_TIME_MILLIS : LLMD_TIME_MICROS;
        }
        if (lt == LT_INTEGER) {
            static const int bits[] = {8, 16, 32, 64, 8, 16, 32, 64};
            ((pq_schema_el *)e)->lt_int_bits = bits[ct - CT_UINT_8];
            ((pq_schema_el *)e)->lt_int_signed = ct >= CT_INT_8;
        }
    } else if (lt == LT_ENUM || lt == LT_JSON) {
        lt = LT_STRING;
    }
    switch (lt) {
    case LT_STRING:
        if (p == PQ_BYTE_ARRAY) { t->id = LLMD_TYPE_STRING; return LLMD_OK; }
        break;
    case LT_INTEGER:
        if (!is_int) break;
        switch (e->lt_int_bits) {
        case 8: t->id = e->lt_int_signed ? LLMD_TYPE_INT8 : LLMD_TYPE_UINT8; return LLMD_OK;
        case 16: t->id = e->lt_int_signed ? LLMD_TYPE_INT16 : LLMD_TYPE_UINT16; return LLMD_OK;
        case 32: if (p == PQ_INT32) { t->id = e->lt_int_signed ? LLMD_TYPE_INT32 : LLMD_TYPE_UINT32; return LLMD_OK; } break;
        case 64: if (p == PQ_INT64) { t->id = e->lt_int_signed ? LLMD_TYPE_INT64 : LLMD_TYPE_UINT64; return LLMD_OK; } break;
        }
        break;
    case LT_DATE:
        if (p == PQ_INT32) { t->id = LLMD_TYPE_DATE; return LLMD_OK; }
        break;
    case LT_TIME:
        if ((p == PQ_INT32 && e->lt_unit == LLMD_TIME_MILLIS) || (p == PQ_INT64 && e->lt_unit >= LLMD_TIME_MICROS)) {
            t->id = LLMD_TYPE_TIME;
            t->unit = e->lt_unit;
            t->utc = e->lt_utc;
            return LLMD_OK;
        }
        break;
    case LT_TIMESTAMP:
        if (p == PQ_INT64 && e->lt_unit >= 0) {
            t->id = LLMD_TYPE_TIMESTAMP;
            t->unit = e->lt_unit;
            t->utc = e->lt_utc;
            return LLMD_OK;
        }
        break;
    case LT_DECIMAL:
        if (precision >= 1 && precision <= 38 && scale >= 0 && scale <= precision &&
            (is_int || p == PQ_BYTE_ARRAY || (p == PQ_FIXED && e->type_length <= 16))) {
            t->id = LLMD_TYPE_DECIMAL;
            t->precision = precision;
            t->scale = scale;
            return LLMD_OK;
        }
        break;
    case LT_UUID:
        if (p == PQ_FIXED && e->type_length == 16) { t->id = LLMD_TYPE_UUID; return LLMD_OK; }
        break;
    default: break;
    }
    switch (p) {   /* no (usable) annotation: the physical type */
    case PQ_BOOLEAN: t->id = LLMD_TYPE_BOOL; break;
    case PQ_INT32: t->id = LLMD_TYPE_INT32; break;
    case PQ_INT64: t->id = LLMD_TYPE_INT64; break;
    case PQ_INT96: t->id = LLMD_TYPE_TIMESTAMP; t->unit = r->o.int96_unit; t->utc = 0; break;
    case PQ_FLOAT: t->id = LLMD_TYPE_FLOAT; break;
    case PQ_DOUBLE: t->id = LLMD_TYPE_DOUBLE; break;
    case PQ_BYTE_ARRAY: t->id = LLMD_TYPE_BINARY; break;
    case PQ_FIXED: t->id = LLMD_TYPE_FIXED_BINARY; t->byte_width = e->type_length; break;
    }
    return LLMD_OK;
}

typedef struct conv_ctx {
    llmd_parquet_reader *r;
    size_t pos;
    int depth;
    llmd_buf path;
} conv_ctx;

static llmd_status grow_rn(llmd_parquet_reader *r) {
    /* r->rn parallels the schema's fields */
    size_t want = (size_t)r->schema->cap;
    if (want <= r->rn_cap) return LLMD_OK;
    rnode *n = llmd_realloc(r->rn, r->rn_cap * sizeof *n, want * sizeof *n);
    if (!n) return llmd_fail_nomem("reading a Parquet schema");
    r->rn = n;
    r->rn_cap = want;
    return LLMD_OK;
}

static llmd_status add_leaf(conv_ctx *c, int field, const pq_schema_el *e, int max_def, int max_rep, int top) {
    llmd_parquet_reader *r = c->r;
    rleaf *nl = llmd_realloc(r->leaves, (size_t)r->n_leaves * sizeof *nl, (size_t)(r->n_leaves + 1) * sizeof *nl);
    if (!nl) return llmd_fail_nomem("reading a Parquet schema");
    r->leaves = nl;
    rleaf *L = &r->leaves[r->n_leaves];
    L->field = field;
    L->phys = e->type;
    L->type_length = e->type_length;
    L->max_def = max_def;
    L->max_rep = max_rep;
    L->top = top;
    L->path = llmd_strndup(c->path.data ? c->path.data : "", c->path.len);
    if (!L->path) return llmd_fail_nomem("reading a Parquet schema");
    r->rn[field].leaf = r->n_leaves++;
    return LLMD_OK;
}

static llmd_status conv_node(conv_ctx *c, int parent, int d_exist, int def_base, int rep, int as_required, int top,
                             const char *name_override);

/* Converts the children of group element e (at c->pos, already consumed) under llmd field `parent`. */
static llmd_status conv_children(conv_ctx *c, const pq_schema_el *e, int parent, int d_exist, int def_base, int rep, int top) {
    for (int i = 0; i < e->num_children; i++) TRY(conv_node(c, parent, d_exist, def_base, rep, 0, top, NULL));
    return LLMD_OK;
}

static int is_group(const pq_schema_el *e) {
    return e->num_children > 0 || e->type < 0;
}

static llmd_status push_path(conv_ctx *c, const char *name, size_t *saved) {
    *saved = c->path.len;
    if (c->path.len) TRY(llmd_buf_putc(&c->path, '.'));
    return llmd_buf_puts(&c->path, name);
}

static llmd_status set_rn(llmd_parquet_reader *r, int id, int d_exist, int def_present, int rep, int nullable) {
    if (r->schema->n > r->schema->cap) return LLMD_ERR_INTERNAL;
    TRY(grow_rn(r));
    rnode *n = &r->rn[id];
    memset(n, 0, sizeof *n);
    n->d_exist = d_exist;
    n->def_present = def_present;
    n->r = rep;
    n->pq_nullable = nullable;
    n->leaf = -1;
    n->first_leaf = -1;
    return LLMD_OK;
}

/* Builds the field for the element at c->pos.  as_required: the element is a repeated node whose
 * repetition was already accounted for by an enclosing list (2-level lists). */
static llmd_status conv_node(conv_ctx *c, int parent, int d_exist, int def_base, int rep, int as_required, int top,
                             const char *name_override) {
    llmd_parquet_reader *r = c->r;
    if (c->pos >= r->f.n_schema) return llmd_fail(LLMD_ERR_PARSE, "%s: schema has fewer elements than its num_children say", r->path);
    if (++c->depth > MAX_NESTING) return llmd_fail(LLMD_ERR_UNSUPPORTED, "%s: schema nested deeper than %d", r->path, MAX_NESTING);
    size_t at = c->pos++;
    const pq_schema_el *e = &r->f.schema[at];
    const char *name = name_override ? name_override : e->name ? e->name : "";
    size_t saved;
    TRY(push_path(c, e->name ? e->name : "", &saved));
    int repetition = as_required ? PQ_REQUIRED : e->repetition < 0 ? PQ_OPTIONAL : e->repetition;
    llmd_type t;
    memset(&t, 0, sizeof t);
    int id;

    if (repetition == PQ_REPEATED) {
        /* a repeated field outside a LIST annotation: a required list of required elements */
        t.id = LLMD_TYPE_LIST;
        TRY(add_field(r->schema, parent, name, &t, 0, &id));
        TRY(set_rn(r, id, d_exist, def_base, rep, 0));
        if (top < 0) top = id;
        r->rn[id].item_def = def_base + 1;
        r->rn[id].item_rep = rep + 1;
        c->pos = at;   /* re-read the same element as the list's element */
        c->path.len = saved;
        c->depth--;
        TRY(conv_node(c, id, def_base + 1, def_base + 1, rep + 1, 1, top, "element"));
        r->rn[id].first_leaf = r->rn[r->schema->f[id].children[0]].first_leaf;
        return LLMD_OK;
    }
    int nullable = repetition == PQ_OPTIONAL;
    int dp = def_base + nullable;
    if (!is_group(e)) {
        TRY(primitive_type(r, e, &t));
        TRY(add_field(r->schema, parent, name, &t, nullable, &id));
        TRY(set_rn(r, id, d_exist, dp, rep, nullable));
        TRY(add_leaf(c, id, e, dp, rep, top < 0 ? id : top));
        r->rn[id].first_leaf = r->rn[id].leaf;
        c->path.len = saved;
        c->depth--;
        return LLMD_OK;
    }
    if (e->num_children <= 0) return llmd_fail(LLMD_ERR_PARSE, "%s: group '%s' has no children", r->path, name);
    if ((size_t)e->num_children > r->f.n_schema - c->pos)
        return llmd_fail(LLMD_ERR_PARSE, "%s: group '%s' claims %d children, the schema has %zu elements left", r->path,
                         name, e->num_children, r->f.n_schema - c->pos);
    int is_list = e->logical == LT_LIST || (e->logical == LT_NONE && e->converted == CT_LIST);
    int is_map = e->logical == LT_MAP || (e->logical == LT_NONE && (e->converted == CT_MAP || e->converted == CT_MAP_KEY_VALUE));
    const pq_schema_el *rep_el = &r->f.schema[c->pos];
    if ((is_list || is_map) && e->num_children == 1 && rep_el->repetition == PQ_REPEATED) {
        t.id = is_list ? LLMD_TYPE_LIST : LLMD_TYPE_MAP;
        if (is_map && (!is_group(rep_el) || rep_el->num_children != 2)) {
            if (is_group(rep_el) && rep_el->num_children == 1) t.id = LLMD_TYPE_LIST;  /* key-only map: a set */
            else return llmd_fail(LLMD_ERR_UNSUPPORTED, "%s: map '%s' without a key/value group", r->path, name);
        }
        TRY(add_field(r->schema, parent, name, &t, nullable, &id));
        TRY(set_rn(r, id, d_exist, dp, rep, nullable));
        if (top < 0) top = id;
        r->rn[id].item_def = dp + 1;
        r->rn[id].item_rep = rep + 1;
        const char *rname = rep_el->name ? rep_el->name : "";
        int element_is_repeated = t.id == LLMD_TYPE_LIST &&
            (!is_group(rep_el) || rep_el->num_children != 1 || strcmp(rname, "array") == 0 ||
             (strlen(rname) == strlen(name) + 6 && strncmp(rname, name, strlen(name)) == 0 && strcmp(rname + strlen(name), "_tuple") == 0));
        if (element_is_repeated) {
            /* 2-level list: the repeated node is the element */
            TRY(conv_node(c, id, dp + 1, dp + 1, rep + 1, 1, top, "element"));
        } else {
            size_t saved2;
            c->pos++;   /* the repeated middle group */
            TRY(push_path(c, rname, &saved2));
            if (rep_el->num_children <= 0 || (size_t)rep_el->num_children > r->f.n_schema - c->pos)
                return llmd_fail(LLMD_ERR_PARSE, "%s: group '%s' claims %d children, the schema has %zu elements left", r->path,
                                 rname, rep_el->num_children, r->f.n_schema - c->pos);
            for (int i = 0; i < rep_el->num_children; i++) TRY(conv_node(c, id, dp + 1, dp + 1, rep + 1, 0, top, NULL));
            c->path.len = saved2;
        }
        if (t.id == LLMD_TYPE_MAP) {
            /* keys are never null in Arrow's MAP; a file marking them optional still has none */
            r->schema->f[r->schema->f[id].children[0]].nullable = 0;
        }
        r->rn[id].first_leaf = r->rn[r->schema->f[id].children[0]].first_leaf;
        c->path.len = saved;
        c->depth--;
        return LLMD_OK;
    }
    t.id = LLMD_TYPE_STRUCT;
    TRY(add_field(r->schema, parent, name, &t, nullable, &id));
    TRY(set_rn(r, id, d_exist, dp, rep, nullable));
    if (top < 0) top = id;
    TRY(conv_children(c, e, id, d_exist, dp, rep, top));
    r->rn[id].first_leaf = r->rn[r->schema->f[id].children[0]].first_leaf;
    c->path.len = saved;
    c->depth--;
    return LLMD_OK;
}

static llmd_status build_schema(llmd_parquet_reader *r) {
    TRY(llmd_schema_new(&r->schema));
    TRY(grow_rn(r));
    memset(&r->rn[0], 0, sizeof r->rn[0]);
    r->rn[0].leaf = -1;
    const pq_schema_el *root = &r->f.schema[0];
    if (root->num_children < 0 || (size_t)root->num_children >= r->f.n_schema + 1)
        return llmd_fail(LLMD_ERR_PARSE, "%s: schema root claims %d children", r->path, root->num_children);
    conv_ctx c = {r, 1, 0, LLMD_BUF_INIT};
    llmd_status st = LLMD_OK;
    for (int i = 0; i < root->num_children && !st; i++) st = conv_node(&c, 0, 0, 0, 0, 0, -1, NULL);
    llmd_buf_free(&c.path);
    TRY(st);
    if (c.pos != r->f.n_schema)
        return llmd_fail(LLMD_ERR_PARSE, "%s: schema has %zu elements, its tree uses %zu", r->path, r->f.n_schema, c.pos);
    return LLMD_OK;
}

static llmd_status check_footer(llmd_parquet_reader *r, uint64_t footer_start) {
    int64_t total = 0;
    for (size_t g = 0; g < r->f.n_groups; g++) {
        pq_row_group *rg = &r->f.groups[g];
        if (rg->n_chunks != (size_t)r->n_leaves)
            return llmd_fail(LLMD_ERR_PARSE, "%s: row group %zu has %zu column chunks, the schema %d leaves", r->path, g,
                             rg->n_chunks, r->n_leaves);
        if (rg->num_rows < 0) return llmd_fail(LLMD_ERR_PARSE, "%s: row group %zu has %lld rows", r->path, g, (long long)rg->num_rows);
        if (__builtin_add_overflow(total, rg->num_rows, &total))
            return llmd_fail(LLMD_ERR_PARSE, "%s: row counts overflow", r->path);
        for (size_t i = 0; i < rg->n_chunks; i++) {
            pq_chunk *ch = &rg->chunks[i];
            int64_t start = ch->data_page_offset;
            if (ch->dictionary_page_offset > 0 && ch->dictionary_page_offset < start) start = ch->dictionary_page_offset;
            if (start < 4 || ch->total_compressed < 0 || (uint64_t)start > footer_start ||
                (uint64_t)ch->total_compressed > footer_start - (uint64_t)start)
                return llmd_fail(LLMD_ERR_PARSE, "%s: row group %zu column %s: chunk at %lld (+%lld bytes) lies outside the data (%llu bytes)",
                                 r->path, g, r->leaves[i].path, (long long)start, (long long)ch->total_compressed,
                                 (unsigned long long)footer_start);
            if (ch->type != r->leaves[i].phys)
                return llmd_fail(LLMD_ERR_PARSE, "%s: row group %zu column %s: chunk type %d differs from the schema's %s",
                                 r->path, g, r->leaves[i].path, ch->type, phys_name(r->leaves[i].phys));
        }
    }
    if (r->f.num_rows != total && r->f.n_groups)
        return llmd_fail(LLMD_ERR_PARSE, "%s: footer says %lld rows, its row groups %lld", r->path, (long long)r->f.num_rows,
                         (long long)total);
    return LLMD_OK;
}

static llmd_status open_common(llmd_parquet_reader *r) {
    if (r->size < 12)
        return llmd_fail(LLMD_ERR_PARSE, "%s: %llu bytes is too short for a Parquet file", r->path, (unsigned long long)r->size);
    uint8_t head[4], tail[8];
    TRY(read_at(r, 0, head, 4));
    TRY(read_at(r, r->size - 8, tail, 8));
    if (memcmp(tail + 4, "PARE", 4) == 0)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "%s: encrypted Parquet files (PARE) are not supported", r->path);
    if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0)
        return llmd_fail(LLMD_ERR_PARSE, "%s: not a Parquet file (no PAR1 magic at %s)", r->path,
                         memcmp(head, "PAR1", 4) ? "the start" : "the end");
    uint32_t flen = llmd_load_le32(tail);
    if ((uint64_t)flen > r->size - 12)
        return llmd_fail(LLMD_ERR_PARSE, "%s: footer length %u goes past the start of the %llu-byte file", r->path, flen,
                         (unsigned long long)r->size);
    if (flen > r->o.max_memory)
        return llmd_fail(LLMD_ERR_RANGE, "%s: footer of %u bytes is over max_memory", r->path, flen);
    uint64_t fstart = r->size - 8 - flen;
    r->footer_buf = llmd_malloc(flen ? flen : 1);
    if (!r->footer_buf) return llmd_fail_nomem("reading a Parquet footer");
    TRY(read_at(r, fstart, r->footer_buf, flen));
    llmd_status st = pq_footer_parse(&r->f, r->footer_buf, flen, fstart);
    if (st) return llmd_error_prefix("%s", r->path);
    TRY(build_schema(r));
    TRY(check_footer(r, fstart));
    return llmd_parquet_reader_select(r, NULL, 0);
}

static llmd_status reader_alloc(llmd_parquet_reader **out, const char *path, const llmd_parquet_read_options *opts) {
    *out = NULL;
    llmd_parquet_reader *r = llmd_calloc(1, sizeof *r);
    if (!r) return llmd_fail_nomem("opening a Parquet file");
    r->fd = -1;
    llmd_parquet_read_options_init(&r->o);
    llmd_status st = llmd_options_copy(&r->o, opts, ropt_sizes, LLMD_PARQUET_READ_OPTIONS_VERSION, "llmd_parquet_read_options");
    if (!st && r->o.max_memory == 0) st = llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: max_memory must be > 0");
    if (!st && (r->o.int96_unit < LLMD_TIME_MILLIS || r->o.int96_unit > LLMD_TIME_NANOS))
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: int96_unit %d is not a time unit", r->o.int96_unit);
    if (!st && !(r->path = llmd_strdup(path))) st = llmd_fail_nomem("opening a Parquet file");
    if (st) {
        llmd_parquet_reader_free(r);
        return st;
    }
    *out = r;
    return LLMD_OK;
}

llmd_status llmd_parquet_reader_open(llmd_parquet_reader **out, const char *path, const llmd_parquet_read_options *opts) {
    if (!out || !path) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_reader_open: NULL argument");
    llmd_parquet_reader *r;
    TRY(reader_alloc(&r, path, opts));
    llmd_status st = LLMD_OK;
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (r->fd < 0) st = llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    else if (fstat(r->fd, &sb) != 0 || !S_ISREG(sb.st_mode)) st = llmd_fail(LLMD_ERR_IO, "%s: not a regular file", path);
    else r->size = (uint64_t)sb.st_size;
    if (!st) st = open_common(r);
    if (st) {
        llmd_parquet_reader_free(r);
        return st;
    }
    *out = r;
    return LLMD_OK;
}

llmd_status llmd_parquet_reader_open_memory(llmd_parquet_reader **out, const void *data, size_t size,
                                            const llmd_parquet_read_options *opts) {
    if (!out || (!data && size)) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_reader_open_memory: NULL argument");
    llmd_parquet_reader *r;
    TRY(reader_alloc(&r, "<memory>", opts));
    r->mem = data ? data : (const uint8_t *)"";
    r->size = size;
    llmd_status st = open_common(r);
    if (st) {
        llmd_parquet_reader_free(r);
        return st;
    }
    *out = r;
    return LLMD_OK;
}

void llmd_parquet_reader_free(llmd_parquet_reader *r) {
    if (!r) return;
    if (r->fd >= 0) close(r->fd);
    pq_footer_free(&r->f);
    llmd_free(r->footer_buf);
    llmd_schema_free(r->schema);
    llmd_free(r->rn);
    for (int i = 0; i < r->n_leaves; i++) llmd_free(r->leaves[i].path);
    llmd_free(r->leaves);
    llmd_free(r->selected);
    llmd_free(r->path);
    llmd_free(r);
}

const llmd_schema *llmd_parquet_reader_schema(const llmd_parquet_reader *r) {
    return r ? r->schema : NULL;
}

int64_t llmd_parquet_reader_num_rows(const llmd_parquet_reader *r) {
    return r ? r->f.num_rows : 0;
}

int llmd_parquet_reader_num_row_groups(const llmd_parquet_reader *r) {
    return r ? (int)r->f.n_groups : 0;
}

int64_t llmd_parquet_reader_row_group_rows(const llmd_parquet_reader *r, int g) {
    return r && g >= 0 && (size_t)g < r->f.n_groups ? r->f.groups[g].num_rows : 0;
}

const char *llmd_parquet_reader_created_by(const llmd_parquet_reader *r) {
    return r && r->f.created_by ? r->f.created_by : "";
}

size_t llmd_parquet_reader_metadata_count(const llmd_parquet_reader *r) {
    return r ? r->f.n_kv : 0;
}

llmd_status llmd_parquet_reader_metadata_at(const llmd_parquet_reader *r, size_t i, const char **key, const char **value) {
    if (!r || i >= r->f.n_kv || !key || !value)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_reader_metadata_at: bad argument");
    *key = r->f.kv[i].key;
    *value = r->f.kv[i].value;
    return LLMD_OK;
}

const char *llmd_parquet_reader_metadata(const llmd_parquet_reader *r, const char *key) {
    if (!r || !key) return NULL;
    for (size_t i = 0; i < r->f.n_kv; i++)
        if (strcmp(r->f.kv[i].key, key) == 0) return r->f.kv[i].value;
    return NULL;
}

llmd_status llmd_parquet_reader_select(llmd_parquet_reader *r, const char *const *names, size_t n) {
    if (!r) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_reader_select: reader is NULL");
    const llmd_field *root = &r->schema->f[0];
    size_t count = (n && names) ? n : (size_t)root->n_children;
    int *sel = llmd_calloc(count ? count : 1, sizeof *sel);
    if (!sel) return llmd_fail_nomem("selecting Parquet columns");
    for (size_t i = 0; i < count; i++) {
        if (n && names) {
            sel[i] = llmd_schema_find(r->schema, 0, names[i]);
            if (sel[i] < 0) {
                llmd_free(sel);
                return llmd_fail(LLMD_ERR_NOT_FOUND, "%s: no column named '%s'", r->path, names[i] ? names[i] : "(null)");
            }
        } else {
            sel[i] = root->children[i];
        }
    }
    llmd_free(r->selected);
    r->selected = sel;
    r->n_selected = count;
    return LLMD_OK;
}

int llmd_parquet_reader_num_leaves(const llmd_parquet_reader *r) {
    return r ? r->n_leaves : 0;
}

const char *llmd_parquet_reader_leaf_path(const llmd_parquet_reader *r, int leaf) {
    return r && leaf >= 0 && leaf < r->n_leaves ? r->leaves[leaf].path : NULL;
}

const char *llmd_parquet_reader_leaf_physical(const llmd_parquet_reader *r, int leaf) {
    return r && leaf >= 0 && leaf < r->n_leaves ? phys_name(r->leaves[leaf].phys) : NULL;
}

int llmd_parquet_reader_leaf_field(const llmd_parquet_reader *r, int leaf) {
    return r && leaf >= 0 && leaf < r->n_leaves ? r->leaves[leaf].field : -1;
}

llmd_status llmd_parquet_reader_chunk_info(const llmd_parquet_reader *r, int g, int leaf, llmd_parquet_chunk_info *info) {
    if (!r || !info || g < 0 || (size_t)g >= r->f.n_groups || leaf < 0 || leaf >= r->n_leaves)
        return llmd_fail(LLMD_ERR_RANGE, "llmd_parquet_reader_chunk_info: no row group %d / leaf %d", g, leaf);
    const pq_chunk *c = &r->f.groups[g].chunks[leaf];
    memset(info, 0, sizeof *info);
    info->null_count = c->has_stats ? c->stats.null_count : -1;
    if (c->has_stats) {
        /* min_value/max_value; the deprecated min/max only where their (signed) order is right */
        if (c->stats.min || c->stats.max) {
            info->min = c->stats.min;
            info->min_len = c->stats.min_len;
            info->max = c->stats.max;
            info->max_len = c->stats.max_len;
        } else {
            llmd_type_id t = r->schema->f[r->leaves[leaf].field].type.id;
            int signed_ok = r->leaves[leaf].phys != PQ_BYTE_ARRAY && r->leaves[leaf].phys != PQ_FIXED &&
                            t != LLMD_TYPE_UINT8 && t != LLMD_TYPE_UINT16 && t != LLMD_TYPE_UINT32 && t != LLMD_TYPE_UINT64 &&
                            r->leaves[leaf].phys != PQ_INT96;
            if (signed_ok) {
                info->min = c->stats.old_min;
                info->min_len = c->stats.old_min_len;
                info->max = c->stats.old_max;
                info->max_len = c->stats.old_max_len;
            }
        }
    }
    info->num_values = c->num_values;
    info->compressed_bytes = c->total_compressed;
    info->uncompressed_bytes = c->total_uncompressed;
    info->codec = c->codec;
    info->encodings = c->encodings;
    return LLMD_OK;
}

/* ---- column chunk decoding ---------------------------------------------------------------- */

typedef struct chunk_data {
    uint8_t *def, *rep;       /* level entries (NULL when the max level is 0) */
    size_t n, def_cap, rep_cap;  /* entries */
    /* dense non-null values */
    uint8_t *vals;            /* fixed width w each; BYTE_ARRAY: the bytes */
    size_t nv, vcap;          /* values; vcap in bytes */
    size_t vbytes;            /* BYTE_ARRAY: bytes used */
    int64_t *voff;            /* BYTE_ARRAY: nv+1 offsets */
    size_t voff_cap;
    int width;                /* fixed width of a value (bool: 1) */
    /* dictionary */
    uint8_t *dict;
    int64_t *dict_off;
    size_t dict_n;
    uint64_t used;            /* bytes allocated, checked against max_memory */
    uint64_t limit;
    const char *what;         /* "row group N column X" for messages */
} chunk_data;

static void chunk_free(chunk_data *c) {
    llmd_free(c->def);
    llmd_free(c->rep);
    llmd_free(c->vals);
    llmd_free(c->voff);
    llmd_free(c->dict);
    llmd_free(c->dict_off);
}

static llmd_status budget(chunk_data *c, uint64_t more) {
    if (more > c->limit || c->used > c->limit - more)
        return llmd_fail(LLMD_ERR_RANGE, "parquet: %s needs more than max_memory (%llu bytes) to decode", c->what,
                         (unsigned long long)c->limit);
    c->used += more;
    return LLMD_OK;
}

static llmd_status grow(chunk_data *c, void **p, size_t *cap, size_t need, size_t elem) {
    if (need <= *cap) return LLMD_OK;
    size_t ncap = *cap ? *cap : 256;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 4) return llmd_fail(LLMD_ERR_RANGE, "parquet: %s too large", c->what);
        ncap *= 2;
    }
    size_t bytes;
    if (!llmd_mul_ok(ncap, elem, &bytes)) return llmd_fail(LLMD_ERR_RANGE, "parquet: %s too large", c->what);
    TRY(budget(c, (uint64_t)(ncap - *cap) * elem));
    void *np = llmd_realloc(*p, *cap * elem, bytes);
    if (!np) return llmd_fail_nomem("decoding a Parquet column");
    *p = np;
    *cap = ncap;
    return LLMD_OK;
}

static llmd_status corrupt(chunk_data *c, const char *msg) {
    return llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: %s", c->what, msg);
}

/* Appends levels for n entries decoded from an RLE/bit-packed stream (max level `max`).  The array
 * grows with the entries actually decoded, never by the page's claimed count. */
static llmd_status decode_levels(chunk_data *c, uint8_t **arr, size_t *cap, const uint8_t *p, const uint8_t *end,
                                 int max, size_t n, size_t *nonnull) {
    rle_dec d;
    rle_dec_init(&d, p, end, pq_bit_width((uint64_t)max));
    uint32_t tmp[512];
    size_t done = 0;
    while (done < n) {
        size_t k = n - done < 512 ? n - done : 512;
        TRY(rle_dec_get(&d, tmp, k));
        TRY(grow(c, (void **)arr, cap, c->n + done + k, 1));
        for (size_t i = 0; i < k; i++) {
            if (tmp[i] > (uint32_t)max) return corrupt(c, "level above the column's maximum (level overflow)");
            (*arr)[c->n + done + i] = (uint8_t)tmp[i];
            if (nonnull && tmp[i] == (uint32_t)max) (*nonnull)++;
        }
        done += k;
    }
    return LLMD_OK;
}

static llmd_status push_value_bytes(chunk_data *c, const uint8_t *p, size_t n) {
    size_t need;
    if (!llmd_add_ok(c->vbytes, n, &need)) return corrupt(c, "values too large");
    TRY(grow(c, (void **)&c->vals, &c->vcap, need, 1));
    if (n) memcpy(c->vals + c->vbytes, p, n);
    c->vbytes = need;
    TRY(grow(c, (void **)&c->voff, &c->voff_cap, c->nv + 2, sizeof(int64_t)));
    c->voff[c->nv + 1] = (int64_t)c->vbytes;
    c->nv++;
    return LLMD_OK;
}

static llmd_status reserve_fixed(chunk_data *c, size_t nvals) {
    size_t need, total;
    if (!llmd_add_ok(c->nv, nvals, &total) || !llmd_mul_ok(total, (size_t)c->width, &need))
        return corrupt(c, "too many values");
    return grow(c, (void **)&c->vals, &c->vcap, need, 1);
}

/* PLAIN values (n of them) from [p, end).  Returns the bytes consumed via *pp. */
static llmd_status decode_plain(chunk_data *c, int phys, const uint8_t **pp, const uint8_t *end, size_t n) {
    const uint8_t *p = *pp;
    if (phys == PQ_BYTE_ARRAY) {
        for (size_t i = 0; i < n; i++) {
            if (end - p < 4) return corrupt(c, "BYTE_ARRAY value length truncated");
            uint32_t len = llmd_load_le32(p);
            p += 4;
            if (len > (size_t)(end - p)) return corrupt(c, "BYTE_ARRAY value longer than its page");
            TRY(push_value_bytes(c, p, len));
            p += len;
        }
        *pp = p;
        return LLMD_OK;
    }
    if (phys == PQ_BOOLEAN) {
        if ((size_t)(end - p) < (n + 7) / 8) return corrupt(c, "PLAIN booleans truncated");
        TRY(reserve_fixed(c, n));
        for (size_t i = 0; i < n; i++) c->vals[c->nv + i] = (p[i >> 3] >> (i & 7)) & 1;
        c->nv += n;
        *pp = p + (n + 7) / 8;
        return LLMD_OK;
    }
    size_t bytes;
    if (!llmd_mul_ok(n, (size_t)c->width, &bytes) || bytes > (size_t)(end - p))
        return corrupt(c, "PLAIN values run past the end of the page");
    if (n == 0) return LLMD_OK;
    TRY(reserve_fixed(c, n));
    memcpy(c->vals + c->nv * (size_t)c->width, p, bytes);
    c->nv += n;
    *pp = p + bytes;
    return LLMD_OK;
}

static llmd_status decode_dict_page(chunk_data *c, int phys, const uint8_t *p, const uint8_t *end, size_t n) {
    /* decode into the value arrays, then move them aside as the dictionary */
    if (c->dict) return corrupt(c, "second dictionary page");
    if (c->nv) return corrupt(c, "dictionary page after data pages");
    if (phys == PQ_BYTE_ARRAY ? n > (size_t)(end - p) / 4 : (phys != PQ_BOOLEAN && n > (size_t)(end - p) / (size_t)c->width))
        return corrupt(c, "dictionary page holds fewer bytes than its value count needs");
    if (phys == PQ_BYTE_ARRAY) {
        TRY(grow(c, (void **)&c->voff, &c->voff_cap, n + 1, sizeof(int64_t)));
        c->voff[0] = 0;
    }
    TRY(decode_plain(c, phys, &p, end, n));
    c->dict = c->vals;
    c->dict_off = c->voff;
    c->dict_n = c->nv;
    c->vals = NULL;
    c->voff = NULL;
    c->vcap = c->voff_cap = 0;
    c->nv = 0;
    c->vbytes = 0;
    if (phys == PQ_BYTE_ARRAY) {
        TRY(grow(c, (void **)&c->voff, &c->voff_cap, 1, sizeof(int64_t)));
        c->voff[0] = 0;
    }
    return LLMD_OK;
}

static llmd_status decode_dict_indices(chunk_data *c, int phys, const uint8_t *p, const uint8_t *end, size_t n) {
    if (!c->dict) return corrupt(c, "dictionary-encoded page without a dictionary page");
    if (n == 0) return LLMD_OK;
    if (p >= end) return corrupt(c, "dictionary index bit width missing");
    int bw = *p++;
    if (bw > 32) return corrupt(c, "dictionary index bit width above 32");
    rle_dec d;
    rle_dec_init(&d, p, end, bw);
    uint32_t tmp[512];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 512 ? n - done : 512;
        TRY(rle_dec_get(&d, tmp, k));
        if (phys != PQ_BYTE_ARRAY) TRY(reserve_fixed(c, k));   /* grows with decoded values only */
        for (size_t i = 0; i < k; i++) {
            if (tmp[i] >= c->dict_n)
                return llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: dictionary index %u out of range (dictionary has %zu values)",
                                 c->what, tmp[i], c->dict_n);
            if (phys == PQ_BYTE_ARRAY) {
                int64_t a = c->dict_off[tmp[i]], b = c->dict_off[tmp[i] + 1];
                TRY(push_value_bytes(c, c->dict + a, (size_t)(b - a)));
            } else {
                memcpy(c->vals + (c->nv + i) * (size_t)c->width, c->dict + (size_t)tmp[i] * (size_t)c->width, (size_t)c->width);
            }
        }
        if (phys != PQ_BYTE_ARRAY) c->nv += k;
        done += k;
    }
    return LLMD_OK;
}

static llmd_status decode_delta_ints(chunk_data *c, int phys, const uint8_t *p, const uint8_t *end, size_t n) {
    if (phys != PQ_INT32 && phys != PQ_INT64) return corrupt(c, "DELTA_BINARY_PACKED on a non-integer column");
    uint64_t claimed;
    TRY(pq_delta_count(p, end, &claimed));
    if (claimed != n) return corrupt(c, "DELTA_BINARY_PACKED value count differs from the page's");
    TRY(budget(c, (uint64_t)n * 8));
    int64_t *tmp = llmd_malloc(n ? n * 8 : 1);
    if (!tmp) return llmd_fail_nomem("decoding DELTA_BINARY_PACKED");
    size_t got;
    llmd_status st = pq_delta_decode(&p, end, tmp, n, &got, phys == PQ_INT32);
    if (!st) st = reserve_fixed(c, n);
    if (!st) {
        for (size_t i = 0; i < n; i++) {
            if (phys == PQ_INT32) llmd_store_le32(c->vals + (c->nv + i) * 4, (uint32_t)tmp[i]);
            else llmd_store_le64(c->vals + (c->nv + i) * 8, (uint64_t)tmp[i]);
        }
        c->nv += n;
    }
    llmd_free(tmp);
    c->used -= (uint64_t)n * 8;
    return st;
}

/* Lengths (DELTA_BINARY_PACKED) of n values; *out owned by the caller (budgeted). */
static llmd_status delta_lengths(chunk_data *c, const uint8_t **pp, const uint8_t *end, size_t n, int64_t **out) {
    uint64_t claimed;
    TRY(pq_delta_count(*pp, end, &claimed));
    if (claimed != n) return corrupt(c, "DELTA length stream count differs from the page's value count");
    TRY(budget(c, (uint64_t)n * 8));
    int64_t *v = llmd_malloc(n ? n * 8 : 1);
    if (!v) return llmd_fail_nomem("decoding DELTA lengths");
    size_t got;
    llmd_status st = pq_delta_decode(pp, end, v, n, &got, 1);
    if (st) {
        llmd_free(v);
        return st;
    }
    *out = v;
    return LLMD_OK;
}

static llmd_status push_fixed_or_bytes(chunk_data *c, int phys, const uint8_t *v, size_t len) {
    if (phys == PQ_BYTE_ARRAY) return push_value_bytes(c, v, len);
    if (len != (size_t)c->width) return corrupt(c, "DELTA_BYTE_ARRAY value length differs from the fixed width");
    TRY(reserve_fixed(c, 1));
    memcpy(c->vals + c->nv * (size_t)c->width, v, len);
    c->nv++;
    return LLMD_OK;
}

static llmd_status decode_delta_length(chunk_data *c, int phys, const uint8_t *p, const uint8_t *end, size_t n) {
    if (phys != PQ_BYTE_ARRAY) return corrupt(c, "DELTA_LENGTH_BYTE_ARRAY on a non-BYTE_ARRAY column");
    int64_t *len;
    TRY(delta_lengths(c, &p, end, n, &len));
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < n && !st; i++) {
        if (len[i] < 0 || (uint64_t)len[i] > (uint64_t)(end - p)) st = corrupt(c, "DELTA_LENGTH_BYTE_ARRAY value past the page");
        else {
            st = push_value_bytes(c, p, (size_t)len[i]);
            p += len[i];
        }
    }
    llmd_free(len);
    c->used -= (uint64_t)n * 8;
    return st;
}

static llmd_status decode_delta_byte_array(chunk_data *c, int phys, const uint8_t *p, const uint8_t *end, size_t n) {
    if (phys != PQ_BYTE_ARRAY && phys != PQ_FIXED) return corrupt(c, "DELTA_BYTE_ARRAY on a non-byte column");
    int64_t *pre = NULL, *suf = NULL;
    TRY(delta_lengths(c, &p, end, n, &pre));
    llmd_status st = delta_lengths(c, &p, end, n, &suf);
    llmd_buf prev = LLMD_BUF_INIT, cur = LLMD_BUF_INIT;
    for (size_t i = 0; i < n && !st; i++) {
        if (pre[i] < 0 || (size_t)pre[i] > prev.len) {
            st = corrupt(c, "DELTA_BYTE_ARRAY prefix longer than the previous value");
            break;
        }
        if (suf[i] < 0 || (uint64_t)suf[i] > (uint64_t)(end - p)) {
            st = corrupt(c, "DELTA_BYTE_ARRAY suffix past the page");
            break;
        }
        llmd_buf_reset(&cur);
        if ((st = llmd_buf_append(&cur, prev.data ? prev.data : "", (size_t)pre[i]))) break;
        if ((st = llmd_buf_append(&cur, p, (size_t)suf[i]))) break;
        p += suf[i];
        if ((uint64_t)cur.len > c->limit) {
            st = corrupt(c, "DELTA_BYTE_ARRAY value over max_memory");
            break;
        }
        st = push_fixed_or_bytes(c, phys, (const uint8_t *)(cur.data ? cur.data : ""), cur.len);
        llmd_buf t = prev;
        prev = cur;
        cur = t;
    }
    llmd_buf_free(&prev);
    llmd_buf_free(&cur);
    llmd_free(pre);
    llmd_free(suf);
    if (pre) c->used -= (uint64_t)n * 8;
    if (suf) c->used -= (uint64_t)n * 8;
    return st;
}

static llmd_status decode_byte_stream_split(chunk_data *c, int phys, const uint8_t *p, const uint8_t *end, size_t n) {
    if (phys == PQ_BYTE_ARRAY || phys == PQ_BOOLEAN) return corrupt(c, "BYTE_STREAM_SPLIT on a variable-width column");
    size_t w = (size_t)c->width, bytes;
    if (!llmd_mul_ok(n, w, &bytes) || bytes > (size_t)(end - p)) return corrupt(c, "BYTE_STREAM_SPLIT data truncated");
    TRY(reserve_fixed(c, n));
    uint8_t *dst = c->vals + c->nv * w;
    for (size_t k = 0; k < w; k++)
        for (size_t i = 0; i < n; i++) dst[i * w + k] = p[k * n + i];
    c->nv += n;
    return LLMD_OK;
}

static llmd_status decode_rle_bools(chunk_data *c, const uint8_t *p, const uint8_t *end, size_t n) {
    if (end - p < 4) return corrupt(c, "RLE boolean length missing");
    uint32_t len = llmd_load_le32(p);
    p += 4;
    if (len > (size_t)(end - p)) return corrupt(c, "RLE boolean data past the page");
    rle_dec d;
    rle_dec_init(&d, p, p + len, 1);
    uint32_t tmp[512];
    for (size_t done = 0; done < n;) {
        size_t k = n - done < 512 ? n - done : 512;
        TRY(rle_dec_get(&d, tmp, k));
        TRY(reserve_fixed(c, k));
        for (size_t i = 0; i < k; i++) c->vals[c->nv + i] = (uint8_t)tmp[i];
        c->nv += k;
        done += k;
    }
    return LLMD_OK;
}

static llmd_status decode_values(chunk_data *c, int phys, int encoding, const uint8_t *p, const uint8_t *end, size_t n) {
    switch (encoding) {
    case PQ_ENC_PLAIN: return decode_plain(c, phys, &p, end, n);
    case PQ_ENC_PLAIN_DICT: case PQ_ENC_RLE_DICT: return decode_dict_indices(c, phys, p, end, n);
    case PQ_ENC_RLE:
        if (phys != PQ_BOOLEAN) return corrupt(c, "RLE values on a non-boolean column");
        return decode_rle_bools(c, p, end, n);
    case PQ_ENC_DELTA_BINARY: return decode_delta_ints(c, phys, p, end, n);
    case PQ_ENC_DELTA_LENGTH: return decode_delta_length(c, phys, p, end, n);
    case PQ_ENC_DELTA_BYTE_ARRAY: return decode_delta_byte_array(c, phys, p, end, n);
    case PQ_ENC_BYTE_STREAM_SPLIT: return decode_byte_stream_split(c, phys, p, end, n);
    }
    return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: %s: encoding %d is not supported", c->what, encoding);
}

/* Level section of a data page: entries n; fills def/rep and counts non-null values. */
static llmd_status page_levels(chunk_data *c, const rleaf *L, int v2, const pq_page_header *h, const uint8_t **pp,
                               const uint8_t *end, size_t n, size_t *nonnull) {
    const uint8_t *p = *pp;
    size_t total;
    if (!llmd_add_ok(c->n, n, &total)) return corrupt(c, "too many level entries");
    *nonnull = 0;
    if (L->max_rep) {
        const uint8_t *s = p, *e;
        if (v2) {
            if ((size_t)h->rep_bytes > (size_t)(end - p)) return corrupt(c, "repetition levels past the page");
            e = p + h->rep_bytes;
        } else {
            if (h->rep_encoding != PQ_ENC_RLE) return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: %s: repetition level encoding %d", c->what, h->rep_encoding);
            if (end - p < 4) return corrupt(c, "repetition level length missing");
            uint32_t len = llmd_load_le32(p);
            s = p + 4;
            if (len > (size_t)(end - s)) return corrupt(c, "repetition levels past the page");
            e = s + len;
        }
        TRY(decode_levels(c, &c->rep, &c->rep_cap, s, e, L->max_rep, n, NULL));
        p = e;
    }
    if (L->max_def) {
        const uint8_t *s = p, *e;
        if (v2) {
            if ((size_t)h->def_bytes > (size_t)(end - p)) return corrupt(c, "definition levels past the page");
            e = p + h->def_bytes;
        } else {
            if (h->def_encoding != PQ_ENC_RLE) return llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: %s: definition level encoding %d", c->what, h->def_encoding);
            if (end - p < 4) return corrupt(c, "definition level length missing");
            uint32_t len = llmd_load_le32(p);
            s = p + 4;
            if (len > (size_t)(end - s)) return corrupt(c, "definition levels past the page");
            e = s + len;
        }
        TRY(decode_levels(c, &c->def, &c->def_cap, s, e, L->max_def, n, nonnull));
        p = e;
    } else {
        *nonnull = n;
    }
    c->n = total;
    *pp = p;
    return LLMD_OK;
}

static llmd_status read_chunk(llmd_parquet_reader *r, int g, int li, chunk_data *c) {
    const rleaf *L = &r->leaves[li];
    const pq_chunk *ch = &r->f.groups[g].chunks[li];
    int phys = L->phys;
    c->width = phys == PQ_BOOLEAN ? 1 : phys == PQ_INT32 || phys == PQ_FLOAT ? 4 : phys == PQ_INT96 ? 12
             : phys == PQ_FIXED ? L->type_length : phys == PQ_BYTE_ARRAY ? 1 : 8;
    int64_t start = ch->data_page_offset;
    if (ch->dictionary_page_offset > 0 && ch->dictionary_page_offset < start) start = ch->dictionary_page_offset;
    uint64_t len = (uint64_t)ch->total_compressed;
    TRY(budget(c, len));
    uint8_t *buf = llmd_malloc(len ? (size_t)len : 1);
    if (!buf) return llmd_fail_nomem("reading a Parquet column chunk");
    llmd_status st = read_at(r, (uint64_t)start, buf, (size_t)len);
    uint8_t *page = NULL;
    size_t page_cap = 0;
    const uint8_t *p = buf, *end = buf + len;
    if (phys == PQ_BYTE_ARRAY && !st) {
        st = grow(c, (void **)&c->voff, &c->voff_cap, 1, sizeof(int64_t));
        if (!st) c->voff[0] = 0;
    }
    int64_t values_seen = 0;
    while (!st && p < end && values_seen < ch->num_values) {
        pq_page_header h;
        tin t = {p, end, buf, 0, "page header", (uint64_t)start};
        if ((st = pq_page_header_parse(&h, &t))) {
            st = llmd_error_prefix("%s", c->what);
            break;
        }
        p = t.p;
        if ((size_t)h.compressed > (size_t)(end - p)) {
            st = llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: page at byte %lld claims %d bytes, the chunk has %zu left", c->what,
                           (long long)(start + (t.p - buf)), h.compressed, (size_t)(end - p));
            break;
        }
        const uint8_t *body = p;
        p += h.compressed;
        if (h.type != PQ_PAGE_DATA && h.type != PQ_PAGE_DATA_V2 && h.type != PQ_PAGE_DICT) continue;  /* index pages */
        int v2 = h.type == PQ_PAGE_DATA_V2;
        if ((h.type == PQ_PAGE_DATA && !h.has_data) || (v2 && !h.has_v2) || (h.type == PQ_PAGE_DICT && !h.has_dict)) {
            st = corrupt(c, "page header lacks its type's header");
            break;
        }
        size_t lv = v2 ? (size_t)h.def_bytes + (size_t)h.rep_bytes : 0;
        if (lv > (size_t)h.compressed || lv > (size_t)h.uncompressed) {
            st = corrupt(c, "v2 level sizes exceed the page");
            break;
        }
        int compressed = ch->codec != LLMD_PARQUET_UNCOMPRESSED && (!v2 || h.is_compressed);
        size_t csize = (size_t)h.compressed - lv, usize = (size_t)h.uncompressed - lv;
        if ((uint64_t)h.uncompressed > r->o.max_memory) {
            st = llmd_fail(LLMD_ERR_RANGE, "parquet: %s: page claims %d bytes uncompressed, over max_memory (%llu)", c->what,
                           h.uncompressed, (unsigned long long)r->o.max_memory);
            break;
        }
        if (usize > pq_codec_max_expansion(compressed ? ch->codec : 0, csize)) {
            st = llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: page claims %zu bytes from %zu compressed, more than %s can expand to",
                           c->what, usize, csize, llmd_parquet_codec_name(compressed ? ch->codec : 0) ? llmd_parquet_codec_name(compressed ? ch->codec : 0) : "its codec");
            break;
        }
        const uint8_t *data;
        size_t dlen;
        if (compressed || lv) {
            if (lv + usize > page_cap) {
                if ((st = budget(c, lv + usize))) break;
                llmd_free(page);
                page_cap = lv + usize;
                page = llmd_malloc(page_cap ? page_cap : 1);
                if (!page) {
                    st = llmd_fail_nomem("decompressing a Parquet page");
                    break;
                }
            }
            if (lv) memcpy(page, body, lv);
            if (compressed) st = pq_decompress(ch->codec, body + lv, csize, page + lv, usize);
            else st = pq_decompress(0, body + lv, csize, page + lv, usize);
            if (st) {
                st = llmd_error_prefix("%s", c->what);
                break;
            }
            data = page;
            dlen = lv + usize;
        } else {
            if (h.uncompressed != h.compressed) {
                st = corrupt(c, "uncompressed page whose two sizes differ");
                break;
            }
            data = body;
            dlen = (size_t)h.compressed;
        }
        const uint8_t *q = data, *qend = data + dlen;
        if (h.type == PQ_PAGE_DICT) {
            if (h.encoding != PQ_ENC_PLAIN && h.encoding != PQ_ENC_PLAIN_DICT) {
                st = llmd_fail(LLMD_ERR_UNSUPPORTED, "parquet: %s: dictionary page encoding %d", c->what, h.encoding);
                break;
            }
            st = decode_dict_page(c, phys, q, qend, (size_t)h.num_values);
            continue;
        }
        size_t n = (size_t)h.num_values, nonnull = 0;
        if (values_seen + (int64_t)n > ch->num_values) {
            st = corrupt(c, "pages hold more values than the column chunk says");
            break;
        }
        /* One level byte per entry on each side: refuse counts the budget cannot take before
         * decoding (an RLE run can claim billions of entries in a few bytes). */
        if (L->max_rep == 0 && values_seen + (int64_t)n > r->f.groups[g].num_rows) {
            st = corrupt(c, "pages hold more values than the row group has rows");
            break;
        }
        if ((uint64_t)n * (uint64_t)((L->max_def > 0) + (L->max_rep > 0)) > r->o.max_memory) {
            st = llmd_fail(LLMD_ERR_RANGE, "parquet: %s: page claims %zu values, over max_memory", c->what, n);
            break;
        }
        if ((st = page_levels(c, L, v2, &h, &q, qend, n, &nonnull))) break;
        if (v2 && (size_t)h.num_nulls != n - nonnull) {
            st = corrupt(c, "v2 page null count differs from its definition levels");
            break;
        }
        if (phys == PQ_BYTE_ARRAY && nonnull > (size_t)(qend - q) && h.encoding == PQ_ENC_PLAIN) {
            st = corrupt(c, "more BYTE_ARRAY values than page bytes");
            break;
        }
        st = decode_values(c, phys, h.encoding, q, qend, nonnull);
        values_seen += (int64_t)n;
    }
    if (!st && values_seen != ch->num_values)
        st = llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: pages hold %lld values, the column chunk says %lld", c->what,
                       (long long)values_seen, (long long)ch->num_values);
    if (!st && !L->max_def && !L->max_rep) c->n = c->nv;  /* required flat column: one entry per value */
    if (!st && L->max_def == 0 && L->max_rep == 0 && c->nv != (size_t)values_seen) st = corrupt(c, "value count differs");
    llmd_free(page);
    llmd_free(buf);
    c->used -= len;
    return st;
}

/* ---- assembly ----------------------------------------------------------------------------- */

typedef struct asm_ctx {
    llmd_parquet_reader *r;
    llmd_parquet_batch *b;
    chunk_data *chunks;       /* by leaf index */
    int group;
} asm_ctx;

static inline int lv(const uint8_t *a, size_t i) {
    return a ? a[i] : 0;
}

/* Level-entry indices of the elements of field id in its first leaf's levels. */
static llmd_status element_starts(asm_ctx *a, int id, int64_t **out, size_t *n) {
    const rnode *rn = &a->r->rn[id];
    chunk_data *c = &a->chunks[rn->first_leaf];
    size_t cnt = 0;
    int64_t *s = arena_alloc(a->b, (c->n + 1) * sizeof(int64_t));
    if (!s) return llmd_fail_nomem("assembling Parquet columns");
    for (size_t i = 0; i < c->n; i++)
        if (lv(c->rep, i) <= rn->r && lv(c->def, i) >= rn->d_exist) s[cnt++] = (int64_t)i;
    s[cnt] = (int64_t)c->n;
    *out = s;
    *n = cnt;
    return LLMD_OK;
}

static void set_bit(uint8_t *bm, size_t i) {
    bm[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static llmd_status convert_leaf(asm_ctx *a, int id, const int64_t *starts, size_t n, llmd_column *col);

static llmd_status assemble(asm_ctx *a, int id, size_t expect, llmd_column *col) {
    const rnode *rn = &a->r->rn[id];
    const llmd_field *f = &a->r->schema->f[id];
    chunk_data *c = &a->chunks[rn->first_leaf];
    int64_t *starts = NULL;
    size_t n = 0;
    TRY(element_starts(a, id, &starts, &n));
    if (n != expect)
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: row group %d: field '%s' has %zu entries where %zu are expected",
                         a->r->path, a->group, f->name, n, expect);
    memset(col, 0, sizeof *col);
    col->length = (int64_t)n;
    if (rn->pq_nullable) {
        uint8_t *bm = arena_alloc(a->b, n / 8 + 1);
        if (!bm) return llmd_fail_nomem("assembling Parquet columns");
        memset(bm, 0, n / 8 + 1);
        for (size_t k = 0; k < n; k++)
            if (lv(c->def, (size_t)starts[k]) >= rn->def_present) set_bit(bm, k);
        col->validity = bm;
    }
    switch (f->type.id) {
    case LLMD_TYPE_STRUCT: {
        llmd_column *ch = arena_alloc(a->b, (size_t)f->n_children * sizeof *ch);
        if (!ch) return llmd_fail_nomem("assembling Parquet columns");
        for (int i = 0; i < f->n_children; i++) TRY(assemble(a, f->children[i], n, &ch[i]));
        col->children = ch;
        col->n_children = (size_t)f->n_children;
        return LLMD_OK;
    }
    case LLMD_TYPE_LIST: case LLMD_TYPE_MAP: {
        int64_t *off = arena_alloc(a->b, (n + 1) * sizeof(int64_t));
        if (!off) return llmd_fail_nomem("assembling Parquet columns");
        int64_t items = 0;
        off[0] = 0;
        for (size_t k = 0; k < n; k++) {
            for (int64_t j = starts[k]; j < starts[k + 1]; j++)
                if (lv(c->rep, (size_t)j) <= rn->item_rep && lv(c->def, (size_t)j) >= rn->item_def) items++;
            off[k + 1] = items;
        }
        /* int32 offsets when they fit (Arrow's list/map), int64 otherwise */
        if (items <= INT32_MAX) {
            int32_t *o32 = arena_alloc(a->b, (n + 1) * sizeof(int32_t));
            if (!o32) return llmd_fail_nomem("assembling Parquet columns");
            for (size_t k = 0; k <= n; k++) o32[k] = (int32_t)off[k];
            col->offsets = o32;
        } else {
            col->offsets = off;
            col->offsets64 = 1;
        }
        llmd_column *ch = arena_alloc(a->b, (size_t)f->n_children * sizeof *ch);
        if (!ch) return llmd_fail_nomem("assembling Parquet columns");
        for (int i = 0; i < f->n_children; i++) TRY(assemble(a, f->children[i], (size_t)items, &ch[i]));
        col->children = ch;
        col->n_children = (size_t)f->n_children;
        return LLMD_OK;
    }
    default:
        return convert_leaf(a, id, starts, n, col);
    }
}

static void be_to_le128(const uint8_t *be, size_t len, uint8_t out[16]) {
    uint8_t sign = len && (be[0] & 0x80) ? 0xff : 0;
    memset(out, sign, 16);
    for (size_t k = 0; k < len && k < 16; k++) out[k] = be[len - 1 - k];
}

static llmd_status convert_leaf(asm_ctx *a, int id, const int64_t *starts, size_t n, llmd_column *col) {
    const rnode *rn = &a->r->rn[id];
    const rleaf *L = &a->r->leaves[rn->leaf];
    chunk_data *c = &a->chunks[rn->leaf];
    const llmd_type *t = &a->r->schema->f[id].type;
    size_t vi = 0;   /* next dense value */
    int max = L->max_def;
#define PRESENT(k) (lv(c->def, (size_t)starts[k]) == max)
    if (t->id == LLMD_TYPE_STRING || t->id == LLMD_TYPE_BINARY || (t->id == LLMD_TYPE_DECIMAL && L->phys == PQ_BYTE_ARRAY)) {
        if (t->id == LLMD_TYPE_DECIMAL) {
            uint8_t *v = arena_alloc(a->b, n * 16 + 1);
            if (!v) return llmd_fail_nomem("assembling Parquet columns");
            memset(v, 0, n * 16);
            for (size_t k = 0; k < n; k++)
                if (PRESENT(k)) {
                    if (vi >= c->nv) goto short_values;
                    size_t len = (size_t)(c->voff[vi + 1] - c->voff[vi]);
                    if (len > 16) return llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: decimal of %zu bytes", c->what, len);
                    be_to_le128(c->vals + c->voff[vi], len, v + k * 16);
                    vi++;
                }
            col->values = v;
            goto done;
        }
        int big = c->vbytes > INT32_MAX;
        void *off = arena_alloc(a->b, (n + 1) * (big ? 8 : 4));
        if (!off) return llmd_fail_nomem("assembling Parquet columns");
        /* the decoded bytes move into the batch as they are (no copy) */
        const uint8_t *bytes = (const uint8_t *)"";
        if (c->vals) {
            bytes = batch_adopt(a->b, c->vals, c->vcap);
            c->vals = NULL;
            c->vcap = 0;
            if (!bytes) return llmd_fail_nomem("assembling Parquet columns");
        }
        int64_t pos = 0;
        for (size_t k = 0; k < n; k++) {
            if (big) ((int64_t *)off)[k] = pos;
            else ((int32_t *)off)[k] = (int32_t)pos;
            if (PRESENT(k)) {
                if (vi >= c->nv) goto short_values;
                pos = c->voff[++vi];
            }
        }
        if (big) ((int64_t *)off)[n] = pos;
        else ((int32_t *)off)[n] = (int32_t)pos;
        col->offsets = off;
        col->offsets64 = big;
        col->values = bytes;
        goto done;
    }
    if (t->id == LLMD_TYPE_BOOL) {
        uint8_t *bm = arena_alloc(a->b, n / 8 + 1);
        if (!bm) return llmd_fail_nomem("assembling Parquet columns");
        memset(bm, 0, n / 8 + 1);
        for (size_t k = 0; k < n; k++)
            if (PRESENT(k)) {
                if (vi >= c->nv) goto short_values;
                if (c->vals[vi++]) set_bit(bm, k);
            }
        col->values = bm;
        goto done;
    }
    {
        size_t ow;   /* output width */
        switch (t->id) {
        case LLMD_TYPE_INT8: case LLMD_TYPE_UINT8: ow = 1; break;
        case LLMD_TYPE_INT16: case LLMD_TYPE_UINT16: ow = 2; break;
        case LLMD_TYPE_DECIMAL: case LLMD_TYPE_UUID: ow = 16; break;
        case LLMD_TYPE_FIXED_BINARY: ow = (size_t)t->byte_width; break;
        case LLMD_TYPE_TIMESTAMP: ow = 8; break;
        default: ow = (size_t)c->width; break;
        }
        size_t bytes;
        if (!llmd_mul_ok(n, ow, &bytes)) return llmd_fail(LLMD_ERR_RANGE, "parquet: column too large");
        uint8_t *v = arena_alloc(a->b, bytes + 1);
        if (!v) return llmd_fail_nomem("assembling Parquet columns");
        memset(v, 0, bytes);
        size_t iw = (size_t)c->width;
        if (ow == iw && L->phys != PQ_INT96 && t->id != LLMD_TYPE_DECIMAL && c->nv == n) {
            /* every entry holds a value, in order: one copy */
            if (n) memcpy(v, c->vals, n * iw);
            vi = n;
            col->values = v;
            goto done;
        }
        for (size_t k = 0; k < n; k++) {
            if (!PRESENT(k)) continue;
            if (vi >= c->nv) goto short_values;
            const uint8_t *src = c->vals + vi * iw;
            uint8_t *dst = v + k * ow;
            vi++;
            if (L->phys == PQ_INT96) {
                /* INT96 (Impala/Spark): nanoseconds of the day, then the Julian day */
                static const int64_t per_day[] = {INT64_C(86400000), INT64_C(86400000000), INT64_C(86400000000000)};
                static const int64_t div[] = {1000000, 1000, 1};
                uint64_t nanos = llmd_load_le64(src);
                int64_t jd = (int32_t)llmd_load_le32(src + 8);
                /* wrapping arithmetic: a day number beyond the unit's range cannot crash the reader */
                uint64_t ts = (uint64_t)(jd - 2440588) * (uint64_t)per_day[t->unit] + (uint64_t)((int64_t)nanos / div[t->unit]);
                llmd_store_le64(dst, ts);
            } else if (t->id == LLMD_TYPE_DECIMAL) {
                if (L->phys == PQ_FIXED) be_to_le128(src, iw, dst);
                else {
                    int64_t x = iw == 4 ? (int64_t)(int32_t)llmd_load_le32(src) : (int64_t)llmd_load_le64(src);
                    llmd_store_le64(dst, (uint64_t)x);
                    memset(dst + 8, x < 0 ? 0xff : 0, 8);
                }
            } else {
                memcpy(dst, src, ow <= iw ? ow : iw);   /* narrowing INT(8/16) keeps the low bytes */
            }
        }
        col->values = v;
    }
done:
    if (vi != c->nv)
        return llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: %zu values where the levels place %zu", c->what, c->nv, vi);
    return LLMD_OK;
short_values:
    return llmd_fail(LLMD_ERR_CORRUPT, "parquet: %s: levels place more values than the pages hold", c->what);
#undef PRESENT
}

static void mark_leaves(const llmd_parquet_reader *r, int id, uint8_t *need) {
    const llmd_field *f = &r->schema->f[id];
    if (r->rn[id].leaf >= 0) need[r->rn[id].leaf] = 1;
    for (int i = 0; i < f->n_children; i++) mark_leaves(r, f->children[i], need);
}

llmd_status llmd_parquet_reader_read_row_group(llmd_parquet_reader *r, int g, llmd_parquet_batch **out) {
    if (!out) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_reader_read_row_group: out is NULL");
    *out = NULL;
    if (!r || g < 0 || (size_t)g >= r->f.n_groups)
        return llmd_fail(LLMD_ERR_RANGE, "parquet: no row group %d (the file has %zu)", g, r ? r->f.n_groups : 0);
    llmd_parquet_batch *b = llmd_calloc(1, sizeof *b);
    uint8_t *need = llmd_calloc((size_t)r->n_leaves + 1, 1);
    chunk_data *chunks = llmd_calloc((size_t)r->n_leaves + 1, sizeof *chunks);
    char **what = llmd_calloc((size_t)r->n_leaves + 1, sizeof *what);
    llmd_status st = LLMD_OK;
    if (!b || !need || !chunks || !what) st = llmd_fail_nomem("reading a Parquet row group");
    for (size_t i = 0; !st && i < r->n_selected; i++) mark_leaves(r, r->selected[i], need);
    for (int li = 0; !st && li < r->n_leaves; li++) {
        if (!need[li]) continue;
        llmd_buf wb = LLMD_BUF_INIT;
        if ((st = llmd_buf_printf(&wb, "%s: row group %d column %s", r->path, g, r->leaves[li].path))) break;
        what[li] = llmd_buf_detach(&wb, NULL);
        chunks[li].what = what[li];
        chunks[li].limit = r->o.max_memory;
        st = read_chunk(r, g, li, &chunks[li]);
    }
    if (!st) {
        b->rows = r->f.groups[g].num_rows;
        b->n = r->n_selected;
        b->cols = arena_alloc(b, (b->n + 1) * sizeof *b->cols);
        b->fields = arena_alloc(b, (b->n + 1) * sizeof *b->fields);
        if (!b->cols || !b->fields) st = llmd_fail_nomem("reading a Parquet row group");
        asm_ctx a = {r, b, chunks, g};
        for (size_t i = 0; !st && i < b->n; i++) {
            b->fields[i] = r->selected[i];
            st = assemble(&a, r->selected[i], (size_t)b->rows, &b->cols[i]);
        }
    }
    for (int li = 0; chunks && li < r->n_leaves; li++) chunk_free(&chunks[li]);
    for (int li = 0; what && li < r->n_leaves; li++) llmd_free(what[li]);
    llmd_free(what);
    llmd_free(chunks);
    llmd_free(need);
    if (st) {
        llmd_parquet_batch_free(b);
        return st;
    }
    *out = b;
    return LLMD_OK;
}

/* ---- row-group skipping ------------------------------------------------------------------- */

static int cmp_stat(const rleaf *L, const llmd_type *t, const uint8_t *s, size_t sn, const llmd_parquet_predicate *p,
                    int *ok) {
    *ok = 1;
    int uns = t->id == LLMD_TYPE_UINT8 || t->id == LLMD_TYPE_UINT16 || t->id == LLMD_TYPE_UINT32 || t->id == LLMD_TYPE_UINT64;
    switch (L->phys) {
    case PQ_INT32:
        if (sn != 4 || t->id == LLMD_TYPE_DECIMAL) break;
        if (uns) { uint32_t x = llmd_load_le32(s); uint64_t y = (uint64_t)p->i; return p->i < 0 ? 1 : x < y ? -1 : x > y; }
        { int64_t x = (int32_t)llmd_load_le32(s); return x < p->i ? -1 : x > p->i; }
    case PQ_INT64:
        if (sn != 8 || t->id == LLMD_TYPE_DECIMAL) break;
        if (uns) { uint64_t x = llmd_load_le64(s); return p->i < 0 ? 1 : x < (uint64_t)p->i ? -1 : x > (uint64_t)p->i; }
        { int64_t x = (int64_t)llmd_load_le64(s); return x < p->i ? -1 : x > p->i; }
    case PQ_FLOAT: if (sn == 4) { float x; memcpy(&x, s, 4); if (x != x) break; return x < p->d ? -1 : x > p->d; } break;
    case PQ_DOUBLE: if (sn == 8) { double x; memcpy(&x, s, 8); if (x != x) break; return x < p->d ? -1 : x > p->d; } break;
    case PQ_BYTE_ARRAY: case PQ_FIXED:
        if (t->id == LLMD_TYPE_DECIMAL || !p->bytes) break;
        {
            size_t m = sn < p->bytes_len ? sn : p->bytes_len;
            int c = m ? memcmp(s, p->bytes, m) : 0;
            if (c) return c < 0 ? -1 : 1;
            return sn < p->bytes_len ? -1 : sn > p->bytes_len;
        }
    }
    *ok = 0;
    return 0;
}

int llmd_parquet_reader_row_group_may_match(const llmd_parquet_reader *r, int g, const llmd_parquet_predicate *preds, size_t n) {
    if (!r || (n && !preds)) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_reader_row_group_may_match: NULL argument");
    if (g < 0 || (size_t)g >= r->f.n_groups) return llmd_fail(LLMD_ERR_RANGE, "parquet: no row group %d", g);
    for (size_t i = 0; i < n; i++) {
        const llmd_parquet_predicate *p = &preds[i];
        int id = llmd_schema_find(r->schema, 0, p->column ? p->column : "");
        if (id < 0) return llmd_fail(LLMD_ERR_NOT_FOUND, "%s: no column named '%s'", r->path, p->column ? p->column : "(null)");
        int leaf = r->rn[id].leaf;
        if (leaf < 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: column '%s' is nested; predicates take primitive columns", r->path, p->column);
        if (p->op < LLMD_PARQUET_EQ || p->op > LLMD_PARQUET_NOT_NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet: predicate op %d unknown", p->op);
        llmd_parquet_chunk_info ci;
        if (llmd_parquet_reader_chunk_info(r, g, leaf, &ci)) return llmd_last_error_status();
        int64_t rows = r->f.groups[g].num_rows;
        if (p->op == LLMD_PARQUET_IS_NULL) {
            if (ci.null_count == 0) return 0;
            continue;
        }
        if (p->op == LLMD_PARQUET_NOT_NULL) {
            if (ci.null_count >= 0 && ci.null_count == rows) return 0;
            continue;
        }
        if (ci.null_count >= 0 && ci.null_count == rows && rows > 0) return 0;   /* all null: no comparison holds */
        if (!ci.min || !ci.max) continue;
        const llmd_type *t = &r->schema->f[id].type;
        int ok1, ok2;
        int cmin = cmp_stat(&r->leaves[leaf], t, ci.min, ci.min_len, p, &ok1);  /* min vs value */
        int cmax = cmp_stat(&r->leaves[leaf], t, ci.max, ci.max_len, p, &ok2);
        if (!ok1 || !ok2) continue;
        switch (p->op) {
        case LLMD_PARQUET_EQ: if (cmin > 0 || cmax < 0) return 0; break;
        case LLMD_PARQUET_LT: if (cmin >= 0) return 0; break;
        case LLMD_PARQUET_LE: if (cmin > 0) return 0; break;
        case LLMD_PARQUET_GT: if (cmax <= 0) return 0; break;
        case LLMD_PARQUET_GE: if (cmax < 0) return 0; break;
        }
    }
    return 1;
}
