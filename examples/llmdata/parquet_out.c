/* Documents out as Parquet: the JSONL commands (clean, dedup, filter, ...) write Parquet when the
 * output name ends in ".parquet".
 *
 * Two cases:
 *  - every input is Parquet with one and the same schema (its text field a string column) and the
 *    command added no member (e.g. clean's "pii" spans): the output has that schema as is.  The
 *    kept rows are taken from the inputs again at commit (column by column, in Arrow's layout) and
 *    only the text field is replaced by the command's (cleaned) text.
 *  - otherwise (JSONL input, Parquet inputs of different schemas, added members): the columns are the kept
 *    documents' top-level JSON members, in order of first appearance, typed by what they hold over
 *    the whole output: only booleans -> bool; only integral numbers within +-2^53 -> int64; only
 *    numbers -> double; only strings -> string; anything else (objects, arrays, or a mix of kinds)
 *    -> string holding each value's compact JSON text (a string keeps its quotes).  null or a
 *    missing member is a null; a member that is never non-null is a string column of nulls.  Every
 *    column is nullable.  With no document kept, the file has no rows and one string column, the
 *    text field.
 * Either way the kept documents are spooled to an unlinked temporary file beside the output while
 * the run streams (the schema is known only at the end), and the file is written at commit by
 * llmd_parquet_writer (zstd, 128 MiB row groups), which publishes it in one step. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"

#define ROWS_PER_BATCH 4096

enum { K_NULL = 1, K_BOOL = 2, K_INT = 4, K_DOUBLE = 8, K_STRING = 16, K_OTHER = 32 };

typedef struct key_info {
    char *name;
    unsigned kinds;
} key_info;

struct cli_pq_out {
    char *path;
    const char *field;
    const char *const *inputs;
    size_t n_inputs;
    bool keep_schema;         /* every input Parquet with one schema */
    llmd_schema *schema;      /* keep_schema: the inputs' schema */
    FILE *spool;              /* the kept documents as JSON lines */
    FILE *rows_spool;         /* keep_schema candidates: (input, row, text) of each kept document */
    key_info *keys;
    size_t n_keys, cap_keys;
    uint64_t rows;
};

bool cli_is_parquet_path(const char *path) {
    size_t n = path != NULL ? strlen(path) : 0;
    return n > 8 && strcmp(path + n - 8, ".parquet") == 0;
}

static bool schema_equal_at(const llmd_schema *a, int fa, const llmd_schema *b, int fb) {
    llmd_type ta = llmd_schema_type(a, fa), tb = llmd_schema_type(b, fb);
    if (memcmp(&ta, &tb, sizeof ta) != 0 || llmd_schema_nullable(a, fa) != llmd_schema_nullable(b, fb) ||
        strcmp(llmd_schema_name(a, fa), llmd_schema_name(b, fb)) != 0)
        return false;
    int n = llmd_schema_child_count(a, fa);
    if (n != llmd_schema_child_count(b, fb)) return false;
    for (int i = 0; i < n; i++)
        if (!schema_equal_at(a, llmd_schema_child(a, fa, i), b, llmd_schema_child(b, fb, i))) return false;
    return true;
}

/* The common schema of the inputs when all are Parquet with one schema whose `field` is a string. */
static int common_schema(const char *name, cli_pq_out *o) {
    for (size_t i = 0; i < o->n_inputs; i++)
        if (!cli_is_parquet_path(o->inputs[i])) return 0;
    for (size_t i = 0; i < o->n_inputs; i++) {
        llmd_parquet_reader *r;
        if (llmd_parquet_reader_open(&r, o->inputs[i], NULL) != LLMD_OK)
            return cli_error(name, "%s", llmd_last_error());
        const llmd_schema *s = llmd_parquet_reader_schema(r);
        bool same = true;
        if (o->schema == NULL) {
            int f = llmd_schema_find(s, 0, o->field);
            if (f < 0 || llmd_schema_type(s, f).id != LLMD_TYPE_STRING) same = false;
            else if (llmd_schema_clone(&o->schema, s) != LLMD_OK) {
                llmd_parquet_reader_free(r);
                return cli_error(name, "%s", llmd_last_error());
            }
        } else {
            same = schema_equal_at(o->schema, 0, s, 0);
        }
        llmd_parquet_reader_free(r);
        if (!same) {
            llmd_schema_free(o->schema);
            o->schema = NULL;
            return 0;
        }
    }
    o->keep_schema = o->schema != NULL;
    return 0;
}

/* An unlinked temporary file in the output's directory (it may be large: the kept documents). */
static FILE *open_spool(const char *path) {
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) + 1 : 0;
    char *t = malloc(dl + 32);
    if (t == NULL) return NULL;
    memcpy(t, path, dl);
    strcpy(t + dl, ".llmdata-spool-XXXXXX");
    int fd = mkstemp(t);
    if (fd >= 0) unlink(t);
    free(t);
    return fd >= 0 ? fdopen(fd, "w+b") : NULL;
}

int cli_pq_open(const char *name, cli_pq_out **out, const char *path, const char *const *inputs, size_t n_inputs,
                const char *field) {
    cli_pq_out *o = calloc(1, sizeof *o);
    if (o == NULL) return cli_error(name, "out of memory");
    o->field = field;
    o->inputs = inputs;
    o->n_inputs = n_inputs;
    o->path = strdup(path);
    if (o->path == NULL) {
        free(o);
        return cli_error(name, "out of memory");
    }
    int rc = common_schema(name, o);
    if (rc == 0 && (o->spool = open_spool(path)) == NULL)
        rc = cli_error(name, "cannot create a temporary file beside %s: %s", path, strerror(errno));
    if (rc == 0 && o->keep_schema && (o->rows_spool = open_spool(path)) == NULL)
        rc = cli_error(name, "cannot create a temporary file beside %s: %s", path, strerror(errno));
    if (rc != 0) {
        cli_pq_close(o);
        return rc;
    }
    *out = o;
    return 0;
}

void cli_pq_close(cli_pq_out *o) {
    if (o == NULL) return;
    if (o->spool) fclose(o->spool);
    if (o->rows_spool) fclose(o->rows_spool);
    for (size_t i = 0; i < o->n_keys; i++) free(o->keys[i].name);
    free(o->keys);
    llmd_schema_free(o->schema);
    free(o->path);
    free(o);
}

static unsigned kind_of(const cJSON *v) {
    if (cJSON_IsNull(v)) return K_NULL;
    if (cJSON_IsBool(v)) return K_BOOL;
    if (cJSON_IsString(v)) return K_STRING;
    if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        return (d == floor(d) && fabs(d) <= 9007199254740992.0) ? K_INT : K_DOUBLE;
    }
    return K_OTHER;
}

/* Records that member `key` held a value of kind `kind` (a new key goes last). */
static int note_key(const char *name, cli_pq_out *o, const char *key, unsigned kind) {
    size_t k = 0;
    while (k < o->n_keys && strcmp(o->keys[k].name, key) != 0) k++;
    if (k == o->n_keys) {
        if (o->n_keys == o->cap_keys) {
            size_t nc = o->cap_keys ? 2 * o->cap_keys : 16;
            key_info *nk = realloc(o->keys, nc * sizeof *nk);
            if (nk == NULL) return cli_error(name, "out of memory");
            o->keys = nk;
            o->cap_keys = nc;
        }
        o->keys[k].name = strdup(key);
        if (o->keys[k].name == NULL) return cli_error(name, "out of memory");
        o->keys[k].kinds = 0;
        o->n_keys++;
    }
    o->keys[k].kinds |= kind;
    return 0;
}

static int note_keys(const char *name, cli_pq_out *o, const cJSON *obj) {
    for (const cJSON *it = obj->child; it != NULL; it = it->next)
        if (note_key(name, o, it->string, kind_of(it)) != 0) return 1;
    return 0;
}

int cli_pq_add(const char *name, cli_pq_out *o, llmd_json_doc *doc, const char *json, size_t len, const char *src,
               uint64_t row) {
    if (o->keep_schema) {
        /* input index, row (1-based), then the text */
        const char *text;
        size_t tl;
        if (llmd_json_doc_get_string(doc, o->field, &text, &tl) != LLMD_OK)
            return cli_error(name, "%s:%llu: field \"%s\": %s", src, (unsigned long long)row, o->field, llmd_last_error());
        uint32_t idx = 0;
        while (idx < o->n_inputs && o->inputs[idx] != src && strcmp(o->inputs[idx], src) != 0) idx++;
        uint64_t hdr[3] = {idx, row, tl};
        if (fwrite(hdr, sizeof hdr, 1, o->rows_spool) != 1 || fwrite(text, 1, tl, o->rows_spool) != tl)
            return cli_error(name, "writing the spool for %s: %s", o->path, strerror(errno));
    }
    cJSON *obj = cJSON_ParseWithLength(json, len);
    if (obj == NULL || !cJSON_IsObject(obj)) {
        cJSON_Delete(obj);
        return cli_error(name, "%s:%llu: output document is not a JSON object", src, (unsigned long long)row);
    }
    int rc = note_keys(name, o, obj);
    cJSON_Delete(obj);
    if (rc) return rc;
    if (fwrite(json, 1, len, o->spool) != len || fputc('\n', o->spool) == EOF)
        return cli_error(name, "writing the spool for %s: %s", o->path, strerror(errno));
    o->rows++;
    return 0;
}

/* ---- commit, JSON case ------------------------------------------------------------------------- */

static llmd_type_id type_of_kinds(unsigned k) {
    k &= ~(unsigned)K_NULL;
    if (k == K_BOOL) return LLMD_TYPE_BOOL;
    if (k == K_INT) return LLMD_TYPE_INT64;
    if (k == K_INT || k == K_DOUBLE || k == (K_INT | K_DOUBLE)) return LLMD_TYPE_DOUBLE;
    return LLMD_TYPE_STRING;   /* strings, nothing, or JSON text of anything else */
}

typedef struct colbuf {
    llmd_type_id type;
    bool json_text;           /* string column of JSON texts (mixed kinds / objects / arrays) */
    uint8_t *valid;
    void *vals;               /* int64 / double / bool bitmap */
    int64_t *offs;
    char *bytes;
    size_t nbytes, capbytes;
} colbuf;

static int put_bytes(const char *name, colbuf *c, const char *s, size_t n) {
    if (c->nbytes + n > c->capbytes) {
        size_t nc = c->capbytes ? c->capbytes : 4096;
        while (nc < c->nbytes + n) nc *= 2;
        char *nb = realloc(c->bytes, nc);
        if (nb == NULL) return cli_error(name, "out of memory");
        c->bytes = nb;
        c->capbytes = nc;
    }
    memcpy(c->bytes + c->nbytes, s, n);
    c->nbytes += n;
    return 0;
}

static int set_value(const char *name, colbuf *c, int64_t r, const cJSON *v) {
    if (v == NULL || cJSON_IsNull(v)) {
        if (c->offs) c->offs[r + 1] = (int64_t)c->nbytes;
        return 0;
    }
    c->valid[r >> 3] |= (uint8_t)(1u << (r & 7));
    switch (c->type) {
    case LLMD_TYPE_BOOL:
        if (cJSON_IsTrue(v)) ((uint8_t *)c->vals)[r >> 3] |= (uint8_t)(1u << (r & 7));
        break;
    case LLMD_TYPE_INT64: ((int64_t *)c->vals)[r] = (int64_t)v->valuedouble; break;
    case LLMD_TYPE_DOUBLE: ((double *)c->vals)[r] = v->valuedouble; break;
    default:
        if (!c->json_text) {
            if (put_bytes(name, c, v->valuestring, strlen(v->valuestring))) return 1;
        } else {
            char *t = cJSON_PrintUnformatted(v);
            if (t == NULL) return cli_error(name, "out of memory");
            int rc = put_bytes(name, c, t, strlen(t));
            cJSON_free(t);
            if (rc) return rc;
        }
        c->offs[r + 1] = (int64_t)c->nbytes;
    }
    return 0;
}

static void reset_cols(colbuf *cols, size_t n) {
    for (size_t k = 0; k < n; k++) {
        memset(cols[k].valid, 0, ROWS_PER_BATCH / 8);
        if (cols[k].type == LLMD_TYPE_BOOL) memset(cols[k].vals, 0, ROWS_PER_BATCH / 8);
        cols[k].nbytes = 0;
        if (cols[k].offs) cols[k].offs[0] = 0;
    }
}

static int write_cols(const char *name, llmd_parquet_writer *w, colbuf *cols, size_t n, int64_t rows) {
    llmd_column *c = calloc(n ? n : 1, sizeof *c);
    if (c == NULL) return cli_error(name, "out of memory");
    for (size_t k = 0; k < n; k++) {
        c[k].length = rows;
        c[k].validity = cols[k].valid;
        if (cols[k].offs) {
            c[k].offsets = cols[k].offs;
            c[k].offsets64 = 1;
            c[k].values = cols[k].bytes ? cols[k].bytes : "";
        } else {
            c[k].values = cols[k].vals;
        }
    }
    llmd_status st = llmd_parquet_writer_write(w, c, n);
    free(c);
    return st == LLMD_OK ? 0 : cli_error(name, "writing %s", llmd_last_error());
}

static int commit_json(const char *name, cli_pq_out *o, llmd_parquet_writer **wp) {
    /* no document kept: a file of no rows whose one column is the text field */
    if (o->n_keys == 0 && note_key(name, o, o->field, K_NULL) != 0) return 1;
    llmd_schema *s = NULL;
    if (llmd_schema_new(&s) != LLMD_OK) return cli_error(name, "%s", llmd_last_error());
    colbuf *cols = calloc(o->n_keys ? o->n_keys : 1, sizeof *cols);
    int rc = cols ? 0 : cli_error(name, "out of memory");
    for (size_t k = 0; k < o->n_keys && rc == 0; k++) {
        colbuf *c = &cols[k];
        c->type = type_of_kinds(o->keys[k].kinds);
        c->json_text = c->type == LLMD_TYPE_STRING && (o->keys[k].kinds & ~(unsigned)K_NULL) != K_STRING &&
                       (o->keys[k].kinds & ~(unsigned)K_NULL) != 0;
        llmd_type t = {.id = c->type};
        if (llmd_schema_add(s, 0, o->keys[k].name, &t, 1, NULL) != LLMD_OK) rc = cli_error(name, "%s", llmd_last_error());
        c->valid = calloc(ROWS_PER_BATCH / 8, 1);
        if (c->type == LLMD_TYPE_STRING) c->offs = calloc(ROWS_PER_BATCH + 1, sizeof *c->offs);
        else c->vals = calloc(ROWS_PER_BATCH, 8);
        if (c->valid == NULL || (c->offs == NULL && c->vals == NULL)) rc = cli_error(name, "out of memory");
    }
    if (rc == 0 && llmd_parquet_writer_open(wp, o->path, s, NULL) != LLMD_OK) rc = cli_error(name, "%s", llmd_last_error());
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int64_t r = 0;
    if (rc == 0) reset_cols(cols, o->n_keys);
    while (rc == 0 && (len = getline(&line, &cap, o->spool)) > 0) {
        cJSON *obj = cJSON_ParseWithLength(line, (size_t)len);
        if (obj == NULL) {
            rc = cli_error(name, "spool for %s: unreadable document", o->path);
            break;
        }
        for (size_t k = 0; k < o->n_keys && rc == 0; k++)
            rc = set_value(name, &cols[k], r, cJSON_GetObjectItemCaseSensitive(obj, o->keys[k].name));
        cJSON_Delete(obj);
        if (++r == ROWS_PER_BATCH && rc == 0) {
            rc = write_cols(name, *wp, cols, o->n_keys, r);
            r = 0;
            reset_cols(cols, o->n_keys);
        }
    }
    if (rc == 0 && ferror(o->spool)) rc = cli_error(name, "reading the spool for %s: %s", o->path, strerror(errno));
    if (rc == 0 && r > 0) rc = write_cols(name, *wp, cols, o->n_keys, r);
    free(line);
    for (size_t k = 0; cols && k < o->n_keys; k++) {
        free(cols[k].valid);
        free(cols[k].vals);
        free(cols[k].offs);
        free(cols[k].bytes);
    }
    free(cols);
    llmd_schema_free(s);
    return rc;
}

/* ---- commit, Parquet-schema case: take the kept rows of every column ----------------------- */

typedef struct arena {
    void **p;
    size_t n, cap;
} arena;

static void *arena_alloc(arena *a, size_t n) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? 2 * a->cap : 64;
        void **np = realloc(a->p, nc * sizeof *np);
        if (np == NULL) return NULL;
        a->p = np;
        a->cap = nc;
    }
    void *m = calloc(1, n ? n : 1);
    if (m != NULL) a->p[a->n++] = m;
    return m;
}

static void arena_free(arena *a) {
    for (size_t i = 0; i < a->n; i++) free(a->p[i]);
    free(a->p);
    memset(a, 0, sizeof *a);
}

static int64_t col_off(const llmd_column *c, int64_t slot) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[slot] : ((const int32_t *)c->offsets)[slot];
}

static int fixed_width(llmd_type t) {
    switch (t.id) {
    case LLMD_TYPE_INT8: case LLMD_TYPE_UINT8: return 1;
    case LLMD_TYPE_INT16: case LLMD_TYPE_UINT16: return 2;
    case LLMD_TYPE_INT32: case LLMD_TYPE_UINT32: case LLMD_TYPE_FLOAT: case LLMD_TYPE_DATE: return 4;
    case LLMD_TYPE_TIME: return t.unit == LLMD_TIME_MILLIS ? 4 : 8;
    case LLMD_TYPE_INT64: case LLMD_TYPE_UINT64: case LLMD_TYPE_DOUBLE: case LLMD_TYPE_TIMESTAMP: return 8;
    case LLMD_TYPE_DECIMAL: case LLMD_TYPE_UUID: return 16;
    case LLMD_TYPE_FIXED_BINARY: return t.byte_width;
    default: return 0;
    }
}

static void copy_bits(uint8_t *dst, int64_t at, const uint8_t *src, int64_t from, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (src[(from + i) >> 3] >> ((from + i) & 7) & 1) dst[(at + i) >> 3] |= (uint8_t)(1u << ((at + i) & 7));
}

/* dst = the entries [rs[i], re[i]) (indices before src's own offset) of src, field f, concatenated.
 * Buffers come from the arena.  Returns 0 or -1 (out of memory). */
static int take(arena *a, const llmd_schema *s, int f, const llmd_column *src, const int64_t *rs, const int64_t *re,
                size_t nr, llmd_column *dst) {
    llmd_type t = llmd_schema_type(s, f);
    int64_t n = 0;
    for (size_t i = 0; i < nr; i++) n += re[i] - rs[i];
    memset(dst, 0, sizeof *dst);
    dst->length = n;
    if (src->validity) {
        uint8_t *v = arena_alloc(a, (size_t)(n + 7) / 8);
        if (v == NULL) return -1;
        int64_t at = 0;
        for (size_t i = 0; i < nr; i++) {
            copy_bits(v, at, src->validity, src->offset + rs[i], re[i] - rs[i]);
            at += re[i] - rs[i];
        }
        dst->validity = v;
    }
    int w = fixed_width(t);
    if (t.id == LLMD_TYPE_BOOL) {
        uint8_t *v = arena_alloc(a, (size_t)(n + 7) / 8);
        if (v == NULL) return -1;
        int64_t at = 0;
        for (size_t i = 0; i < nr; i++) {
            copy_bits(v, at, src->values, src->offset + rs[i], re[i] - rs[i]);
            at += re[i] - rs[i];
        }
        dst->values = v;
    } else if (w > 0) {
        uint8_t *v = arena_alloc(a, (size_t)n * (size_t)w);
        if (v == NULL) return -1;
        size_t at = 0;
        for (size_t i = 0; i < nr; i++) {
            size_t m = (size_t)(re[i] - rs[i]) * (size_t)w;
            if (m) memcpy(v + at, (const uint8_t *)src->values + (size_t)(src->offset + rs[i]) * (size_t)w, m);
            at += m;
        }
        dst->values = v;
    } else if (t.id == LLMD_TYPE_STRING || t.id == LLMD_TYPE_BINARY || t.id == LLMD_TYPE_LIST ||
               t.id == LLMD_TYPE_MAP) {
        int64_t *o = arena_alloc(a, (size_t)(n + 1) * sizeof *o);
        int64_t *cs = arena_alloc(a, nr * sizeof *cs), *ce = arena_alloc(a, nr * sizeof *ce);
        if (o == NULL || cs == NULL || ce == NULL) return -1;
        int64_t at = 0, total = 0;
        for (size_t i = 0; i < nr; i++) {
            cs[i] = col_off(src, src->offset + rs[i]);
            ce[i] = col_off(src, src->offset + re[i]);
            for (int64_t k = rs[i]; k < re[i]; k++) {
                o[at + 1] = o[at] + col_off(src, src->offset + k + 1) - col_off(src, src->offset + k);
                at++;
            }
            total += ce[i] - cs[i];
        }
        dst->offsets = o;
        dst->offsets64 = 1;
        if (t.id == LLMD_TYPE_STRING || t.id == LLMD_TYPE_BINARY) {
            uint8_t *b = arena_alloc(a, (size_t)total);
            if (b == NULL) return -1;
            size_t p = 0;
            for (size_t i = 0; i < nr; i++) {
                size_t m = (size_t)(ce[i] - cs[i]);
                if (m) memcpy(b + p, (const uint8_t *)src->values + cs[i], m);
                p += m;
            }
            dst->values = b;
        } else {
            size_t nk = (size_t)llmd_schema_child_count(s, f);
            llmd_column *kids = arena_alloc(a, nk * sizeof *kids);
            if (kids == NULL) return -1;
            for (size_t k = 0; k < nk; k++)
                if (take(a, s, llmd_schema_child(s, f, (int)k), &src->children[k], cs, ce, nr, &kids[k]) != 0) return -1;
            dst->children = kids;
            dst->n_children = nk;
        }
    } else if (t.id == LLMD_TYPE_STRUCT) {
        size_t nk = (size_t)llmd_schema_child_count(s, f);
        llmd_column *kids = arena_alloc(a, nk * sizeof *kids);
        int64_t *ss = arena_alloc(a, nr * sizeof *ss), *se = arena_alloc(a, nr * sizeof *se);
        if (kids == NULL || ss == NULL || se == NULL) return -1;
        for (size_t i = 0; i < nr; i++) {   /* a struct's children are indexed by its slot */
            ss[i] = src->offset + rs[i];
            se[i] = src->offset + re[i];
        }
        for (size_t k = 0; k < nk; k++)
            if (take(a, s, llmd_schema_child(s, f, (int)k), &src->children[k], ss, se, nr, &kids[k]) != 0) return -1;
        dst->children = kids;
        dst->n_children = nk;
    }
    return 0;
}

typedef struct spooled {
    uint64_t idx, row, len;
    char *text;
    size_t cap;
    bool have, eof;
} spooled;

static int next_spooled(const char *name, cli_pq_out *o, spooled *sp) {
    uint64_t hdr[3];
    if (fread(hdr, sizeof hdr, 1, o->rows_spool) != 1) {
        if (ferror(o->rows_spool)) return cli_error(name, "reading the spool for %s: %s", o->path, strerror(errno));
        sp->eof = true;
        sp->have = false;
        return 0;
    }
    sp->idx = hdr[0];
    sp->row = hdr[1];
    sp->len = hdr[2];
    if (sp->len + 1 > sp->cap) {
        char *nt = realloc(sp->text, sp->len + 1);
        if (nt == NULL) return cli_error(name, "out of memory");
        sp->text = nt;
        sp->cap = sp->len + 1;
    }
    if (sp->len && fread(sp->text, 1, sp->len, o->rows_spool) != sp->len)
        return cli_error(name, "reading the spool for %s: truncated", o->path);
    sp->have = true;
    return 0;
}

/* Kept rows of one row group [first, first+rows) (1-based row numbers in the spool) -> written. */
static int take_group(const char *name, cli_pq_out *o, llmd_parquet_writer *w, const llmd_parquet_batch *b,
                      uint64_t idx, uint64_t first, int64_t rows, spooled *sp) {
    arena a = {0};
    int rc = 0;
    int64_t *rs = malloc((size_t)(rows ? rows : 1) * sizeof *rs), *re = malloc((size_t)(rows ? rows : 1) * sizeof *re);
    int64_t *toff = malloc((size_t)(rows + 1) * sizeof *toff);
    size_t nr = 0;
    int64_t kept = 0;
    char *tb = NULL;
    size_t tlen = 0, tcap = 0;
    if (!rs || !re || !toff) rc = cli_error(name, "out of memory");
    if (toff) toff[0] = 0;
    while (rc == 0 && sp->have && sp->idx == idx && sp->row < first + (uint64_t)rows) {
        if (sp->row < first) {
            rc = cli_error(name, "spool for %s out of order", o->path);
            break;
        }
        int64_t i = (int64_t)(sp->row - first);
        if (nr > 0 && re[nr - 1] == i) re[nr - 1]++;
        else {
            rs[nr] = i;
            re[nr] = i + 1;
            nr++;
        }
        if (tlen + sp->len > tcap) {
            size_t nc = tcap ? tcap : 4096;
            while (nc < tlen + sp->len) nc *= 2;
            char *nt = realloc(tb, nc);
            if (nt == NULL) { rc = cli_error(name, "out of memory"); break; }
            tb = nt;
            tcap = nc;
        }
        if (sp->len) memcpy(tb + tlen, sp->text, sp->len);
        tlen += sp->len;
        toff[++kept] = (int64_t)tlen;
        rc = next_spooled(name, o, sp);
    }
    if (rc == 0 && kept > 0) {
        const llmd_schema *s = o->schema;
        size_t nc = (size_t)llmd_schema_child_count(s, 0);
        llmd_column *cols = arena_alloc(&a, nc * sizeof *cols);
        if (cols == NULL) rc = cli_error(name, "out of memory");
        for (size_t k = 0; k < nc && rc == 0; k++) {
            int f = llmd_schema_child(s, 0, (int)k);
            if (strcmp(llmd_schema_name(s, f), o->field) == 0) {
                cols[k] = (llmd_column){.length = kept, .offsets = toff, .offsets64 = 1, .values = tb ? tb : ""};
            } else if (take(&a, s, f, llmd_parquet_batch_column(b, k), rs, re, nr, &cols[k]) != 0) {
                rc = cli_error(name, "out of memory");
            }
        }
        if (rc == 0 && llmd_parquet_writer_write(w, cols, nc) != LLMD_OK)
            rc = cli_error(name, "writing %s", llmd_last_error());
    }
    arena_free(&a);
    free(rs);
    free(re);
    free(toff);
    free(tb);
    return rc;
}

static int commit_schema(const char *name, cli_pq_out *o, llmd_parquet_writer **wp) {
    if (llmd_parquet_writer_open(wp, o->path, o->schema, NULL) != LLMD_OK) return cli_error(name, "%s", llmd_last_error());
    spooled sp = {0};
    int rc = next_spooled(name, o, &sp);
    for (size_t i = 0; i < o->n_inputs && rc == 0; i++) {
        llmd_parquet_reader *r;
        if (llmd_parquet_reader_open(&r, o->inputs[i], NULL) != LLMD_OK) {
            rc = cli_error(name, "%s", llmd_last_error());
            break;
        }
        uint64_t first = 1;
        for (int g = 0; g < llmd_parquet_reader_num_row_groups(r) && rc == 0; g++) {
            int64_t rows = llmd_parquet_reader_row_group_rows(r, g);
            if (sp.have && sp.idx == i && sp.row < first + (uint64_t)rows) {
                llmd_parquet_batch *b;
                if (llmd_parquet_reader_read_row_group(r, g, &b) != LLMD_OK) {
                    rc = cli_error(name, "%s", llmd_last_error());
                    break;
                }
                rc = take_group(name, o, *wp, b, i, first, rows, &sp);
                llmd_parquet_batch_free(b);
            }
            first += (uint64_t)rows;
        }
        llmd_parquet_reader_free(r);
    }
    if (rc == 0 && sp.have) rc = cli_error(name, "%s: the inputs changed during the run (rows past their end)", o->path);
    free(sp.text);
    return rc;
}

int cli_pq_commit(const char *name, cli_pq_out *o) {
    if (fflush(o->spool) != 0 || fseeko(o->spool, 0, SEEK_SET) != 0 ||
        (o->rows_spool && (fflush(o->rows_spool) != 0 || fseeko(o->rows_spool, 0, SEEK_SET) != 0)))
        return cli_error(name, "the spool for %s: %s", o->path, strerror(errno));
    /* a member the command added (not a column of the inputs) needs the JSON-typed columns */
    for (size_t k = 0; k < o->n_keys && o->keep_schema; k++)
        if (llmd_schema_find(o->schema, 0, o->keys[k].name) < 0) o->keep_schema = false;
    llmd_parquet_writer *w = NULL;
    int rc = o->keep_schema ? commit_schema(name, o, &w) : commit_json(name, o, &w);
    if (rc == 0 && llmd_parquet_writer_finish(w) != LLMD_OK) rc = cli_error(name, "%s", llmd_last_error());
    llmd_parquet_writer_free(w);   /* unfinished: its temporary file is removed */
    return rc;
}
