/* Training shards as Parquet: packed windows (llmdata/pack.h) → PREFIX-00000.parquet, ... +
 * PREFIX.manifest.json (see include/llmdata/parquet.h, "training shards").
 *
 * Why here and not in lib/pack: pack comes before parquet in the module order (DESIGN.md), so pack
 * cannot call the Parquet writer; this writer takes pack's window type (a public header) instead,
 * and the pipeline and the CLI drive it from the packer's callback exactly as they drive
 * llmd_shard_writer.  Every file goes through llmd_outfile and the whole output is published as one
 * unit with the manifest last (llmd_outfile_publish_all), as the npy/MMIDIDX writer does. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "llmdata/pack.h"
#include "parquet/pq_internal.h"

/* Windows are handed to the Parquet writer in batches of about this many tokens (fewer when the
 * file target is small, so file rollover stays close to it). */
#define BATCH_TOKENS (1u << 20)
#define BATCH_WINDOWS 4096u

enum { C_IDS, C_CU, C_DOC, C_DOFF, N_COLS };

typedef struct i32vec {
    int32_t *v;
    size_t n, cap;
} i32vec;
typedef struct i64vec {
    int64_t *v;
    size_t n, cap;
} i64vec;

struct llmd_parquet_shard_writer {
    llmd_parquet_shard_options o;
    char *prefix;            /* PREFIX as given */
    char run_id[128];
    llmd_schema *schema;
    llmd_parquet_writer *cur;   /* the open data file, or NULL */
    uint64_t cur_rows;
    llmd_outfile *done;      /* closed, unpublished data files */
    uint64_t *done_rows;
    size_t n_done, cap_done;
    /* the batch being gathered: offsets (rows+1 each) and values of the four list columns */
    i32vec offs[N_COLS];
    i32vec ids, cu, doff;
    i64vec doc;
    uint32_t batch_windows, batch_cap;
    uint64_t windows, tokens, pad_tokens;
    int state;               /* 0 open, 1 finished, 2 failed */
    llmd_file_list published;
    uint64_t *published_rows;
};

static const char *base_name(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

void llmd_parquet_shard_options_init(llmd_parquet_shard_options *opts) {
    if (opts == NULL) return;
    llmd_parquet_shard_options d = LLMD_PARQUET_SHARD_OPTIONS_INIT;
    *opts = d;
}

static llmd_status i32_push(i32vec *a, int32_t x) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 1024;
        int32_t *nv = llmd_realloc(a->v, a->cap * sizeof *nv, nc * sizeof *nv);
        if (nv == NULL) return llmd_fail_nomem("a Parquet shard batch");
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
    return LLMD_OK;
}

static llmd_status i64_push(i64vec *a, int64_t x) {
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 1024;
        int64_t *nv = llmd_realloc(a->v, a->cap * sizeof *nv, nc * sizeof *nv);
        if (nv == NULL) return llmd_fail_nomem("a Parquet shard batch");
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = x;
    return LLMD_OK;
}

static void batch_reset(llmd_parquet_shard_writer *w) {
    for (int c = 0; c < N_COLS; c++) w->offs[c].n = 0;
    w->ids.n = w->cu.n = w->doff.n = w->doc.n = 0;
    w->batch_windows = 0;
}

/* The schema of every shard file (documented in parquet.h). */
static llmd_status build_schema(llmd_schema **out) {
    llmd_schema *s = NULL;
    llmd_status st = llmd_schema_new(&s);
    static const char *const names[N_COLS] = {"input_ids", "cu_seqlens", "document_ids", "document_offsets"};
    static const llmd_type_id elem[N_COLS] = {LLMD_TYPE_INT32, LLMD_TYPE_INT32, LLMD_TYPE_INT64, LLMD_TYPE_INT32};
    for (int c = 0; c < N_COLS && st == LLMD_OK; c++) {
        int id;
        llmd_type lt = {.id = LLMD_TYPE_LIST}, et = {.id = elem[c]};
        st = llmd_schema_add(s, 0, names[c], &lt, 0, &id);
        if (st == LLMD_OK) st = llmd_schema_add(s, id, "element", &et, 0, NULL);
    }
    if (st != LLMD_OK) {
        llmd_schema_free(s);
        return st;
    }
    *out = s;
    return LLMD_OK;
}

static llmd_status check_run_id(const char *id) {
    size_t n = strlen(id);
    if (n == 0 || n > 100) return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet shard run id must have 1..100 characters");
    for (size_t i = 0; i < n; i++) {
        char c = id[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                  c == '_' || (c == '.' && i > 0);
        if (!ok)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet shard run id '%s': character %zu is not [A-Za-z0-9._-]",
                             id, i);
    }
    return LLMD_OK;
}

static llmd_status file_name(const llmd_parquet_shard_writer *w, size_t i, llmd_buf *b) {
    llmd_buf_reset(b);
    if (llmd_buf_printf(b, "%s-%05zu.parquet", w->prefix, i) != LLMD_OK) return llmd_fail_nomem("a shard file name");
    return LLMD_OK;
}

/* Without overwrite, refuse up front when the first file or the manifest exists (checked again at
 * publish, which is what makes it safe against a concurrent writer). */
static llmd_status check_absent(const llmd_parquet_shard_writer *w) {
    llmd_buf b = LLMD_BUF_INIT;
    llmd_status st = file_name(w, 0, &b);
    struct stat sb;
    for (int k = 0; k < 2 && st == LLMD_OK; k++) {
        if (k == 1) {
            llmd_buf_reset(&b);
            if (llmd_buf_printf(&b, "%s.manifest.json", w->prefix) != LLMD_OK) st = llmd_fail_nomem("a shard file name");
        }
        if (st == LLMD_OK && lstat(b.data, &sb) == 0)
            st = llmd_fail(LLMD_ERR_CONFLICT, "%s exists (an earlier shard; set overwrite to replace it)", b.data);
    }
    llmd_buf_free(&b);
    return st;
}

static const size_t shard_opt_sizes[] = {sizeof(llmd_parquet_shard_options)};

llmd_status llmd_parquet_shard_writer_open(llmd_parquet_shard_writer **out, const char *prefix,
                                           const llmd_parquet_shard_options *opts) {
    if (out == NULL || prefix == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_shard_writer_open: NULL argument");
    *out = NULL;
    llmd_parquet_shard_options o;
    llmd_parquet_shard_options_init(&o);
    llmd_status st = llmd_options_copy(&o, opts, shard_opt_sizes, LLMD_PARQUET_SHARD_OPTIONS_VERSION,
                                       "parquet shard options");
    if (st != LLMD_OK) return st;
    if (o.seq_len == 0 || o.seq_len > (1u << 24))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_shard_writer_open: seq_len %u not in 1..16777216",
                         o.seq_len);
    if (o.row_group_bytes == 0) return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet shards: row_group_bytes must be > 0");
    if (llmd_parquet_codec_name(o.codec) == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "parquet shards: unknown codec %d", o.codec);
    const char *b = base_name(prefix);
    if (b[0] == '\0' || strcmp(b, ".") == 0 || strcmp(b, "..") == 0)
        return llmd_fail(LLMD_ERR_INVALID_ARG,
                         "shard prefix '%s' has no file name to extend (e.g. 'dir/data' for dir/data-00000.parquet)",
                         prefix);
    if (llmd_utf8_validate((const unsigned char *)b, strlen(b)) != strlen(b))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "shard prefix '%s': the file name is not valid UTF-8", prefix);
    if (o.run_id != NULL && (st = check_run_id(o.run_id)) != LLMD_OK) return st;
    llmd_parquet_shard_writer *w = llmd_calloc(1, sizeof *w);
    if (w == NULL) return llmd_fail_nomem("parquet shard writer");
    w->o = o;
    w->o.run_id = NULL;
    if (o.run_id != NULL) snprintf(w->run_id, sizeof w->run_id, "%s", o.run_id);
    else llmd_make_run_id(w->run_id);
    w->prefix = llmd_strdup(prefix);
    st = w->prefix != NULL ? LLMD_OK : llmd_fail_nomem("parquet shard writer");
    /* a batch holds whole windows; small file targets get small batches so files end near them */
    uint64_t cap = BATCH_TOKENS / o.seq_len;
    if (o.file_bytes > 0 && cap > o.file_bytes / 8 / o.seq_len) cap = o.file_bytes / 8 / o.seq_len;
    if (cap > BATCH_WINDOWS) cap = BATCH_WINDOWS;
    w->batch_cap = cap ? (uint32_t)cap : 1;
    if (st == LLMD_OK) st = build_schema(&w->schema);
    if (st == LLMD_OK && !w->o.overwrite) st = check_absent(w);
    if (st != LLMD_OK) {
        llmd_parquet_shard_writer_free(w);
        return st;
    }
    *out = w;
    return LLMD_OK;
}

static void discard_done(llmd_parquet_shard_writer *w) {
    for (size_t i = 0; i < w->n_done; i++) llmd_outfile_discard(&w->done[i]);
    llmd_free(w->done);
    llmd_free(w->done_rows);
    w->done = NULL;
    w->done_rows = NULL;
    w->n_done = w->cap_done = 0;
}

void llmd_parquet_shard_writer_free(llmd_parquet_shard_writer *w) {
    if (w == NULL) return;
    llmd_parquet_writer_free(w->cur);   /* removes an unfinished temp file */
    discard_done(w);
    llmd_schema_free(w->schema);
    for (int c = 0; c < N_COLS; c++) llmd_free(w->offs[c].v);
    llmd_free(w->ids.v);
    llmd_free(w->cu.v);
    llmd_free(w->doff.v);
    llmd_free(w->doc.v);
    llmd_file_list_free(&w->published);
    llmd_free(w->published_rows);
    llmd_free(w->prefix);
    llmd_free(w);
}

static llmd_status open_next_file(llmd_parquet_shard_writer *w) {
    llmd_buf b = LLMD_BUF_INIT;
    llmd_status st = file_name(w, w->n_done, &b);
    llmd_parquet_write_options po = LLMD_PARQUET_WRITE_OPTIONS_INIT;
    po.codec = w->o.codec;
    po.compression_level = w->o.compression_level;
    po.row_group_bytes = w->o.row_group_bytes;
    /* token ids are near-random 32-bit values: a dictionary rarely pays for the cost of building it */
    po.dictionary_bytes = 0;
    if (st == LLMD_OK) st = llmd_parquet_writer_open(&w->cur, b.data, w->schema, &po);
    char sl[32];
    snprintf(sl, sizeof sl, "%u", w->o.seq_len);
    if (st == LLMD_OK) st = llmd_parquet_writer_set_metadata(w->cur, "llmdata.seq_len", sl);
    if (st == LLMD_OK) st = llmd_parquet_writer_set_metadata(w->cur, "llmdata.run_id", w->run_id);
    w->cur_rows = 0;
    llmd_buf_free(&b);
    return st;
}

static llmd_status close_file(llmd_parquet_shard_writer *w) {
    if (w->cur == NULL) return LLMD_OK;
    if (w->n_done == w->cap_done) {
        size_t nc = w->cap_done ? w->cap_done * 2 : 8;
        llmd_outfile *nd = llmd_realloc(w->done, w->cap_done * sizeof *nd, nc * sizeof *nd);
        if (nd == NULL) return llmd_fail_nomem("the shard file list");
        w->done = nd;
        uint64_t *nr = llmd_realloc(w->done_rows, w->cap_done * sizeof *nr, nc * sizeof *nr);
        if (nr == NULL) return llmd_fail_nomem("the shard file list");
        w->done_rows = nr;
        w->cap_done = nc;
    }
    llmd_outfile *f = &w->done[w->n_done];
    memset(f, 0, sizeof *f);
    f->fd = -1;
    llmd_status st = pq_writer_finish_unpublished(w->cur, f);
    if (st != LLMD_OK) return st;
    w->done_rows[w->n_done++] = w->cur_rows;
    llmd_parquet_writer_free(w->cur);
    w->cur = NULL;
    return LLMD_OK;
}

static llmd_status flush_batch(llmd_parquet_shard_writer *w) {
    if (w->batch_windows == 0) return LLMD_OK;
    llmd_status st = LLMD_OK;
    if (w->cur == NULL) st = open_next_file(w);
    if (st != LLMD_OK) return st;
    const i32vec *vals32[N_COLS] = {&w->ids, &w->cu, NULL, &w->doff};
    llmd_column child[N_COLS], col[N_COLS];
    memset(child, 0, sizeof child);
    memset(col, 0, sizeof col);
    for (int c = 0; c < N_COLS; c++) {
        child[c].length = c == C_DOC ? (int64_t)w->doc.n : (int64_t)vals32[c]->n;
        child[c].values = c == C_DOC ? (const void *)w->doc.v : (const void *)vals32[c]->v;
        col[c].length = w->batch_windows;
        col[c].offsets = w->offs[c].v;
        col[c].children = &child[c];
        col[c].n_children = 1;
    }
    st = llmd_parquet_writer_write(w->cur, col, N_COLS);
    if (st != LLMD_OK) return st;
    w->cur_rows += w->batch_windows;
    batch_reset(w);
    if (w->o.file_bytes > 0 && pq_writer_bytes(w->cur) >= w->o.file_bytes) st = close_file(w);
    return st;
}

static llmd_status fail(llmd_parquet_shard_writer *w, llmd_status st) {
    if (st != LLMD_OK) w->state = 2;
    return st;
}

llmd_status llmd_parquet_shard_writer_add(llmd_parquet_shard_writer *w, const llmd_pack_window *win) {
    if (w == NULL || win == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_shard_writer_add: NULL argument");
    if (w->state != 0)
        return llmd_fail(LLMD_ERR_STATE, "llmd_parquet_shard_writer_add: writer is finished or failed");
    uint32_t L = w->o.seq_len;
    if (win->seq_len != L)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_shard_writer_add: window of %u tokens, shard seq_len %u",
                         win->seq_len, L);
    for (uint32_t i = 0; i < L; i++)
        if (win->tokens[i] > INT32_MAX)
            return fail(w, llmd_fail(LLMD_ERR_RANGE, "%s: window %llu token %u: id %u does not fit input_ids (int32)",
                                     w->prefix, (unsigned long long)w->windows, i, win->tokens[i]));
    if (w->batch_windows == 0)
        for (int c = 0; c < N_COLS; c++)
            if (i32_push(&w->offs[c], 0) != LLMD_OK) return fail(w, LLMD_ERR_NOMEM);
    llmd_status st = LLMD_OK;
    /* input_ids: the window's tokens */
    if (w->ids.cap - w->ids.n < L) {
        size_t nc = w->ids.cap ? w->ids.cap : 1024;
        while (nc - w->ids.n < L) nc *= 2;
        int32_t *nv = llmd_realloc(w->ids.v, w->ids.cap * sizeof *nv, nc * sizeof *nv);
        if (nv == NULL) return fail(w, llmd_fail_nomem("a Parquet shard batch"));
        w->ids.v = nv;
        w->ids.cap = nc;
    }
    memcpy(w->ids.v + w->ids.n, win->tokens, (size_t)L * 4);
    w->ids.n += L;
    /* cu_seqlens: as boundaries.npy for this window alone — every segment start, the start of the
     * padding (its own attention segment), then seq_len */
    uint32_t real = win->n_segments ? win->cu_seqlens[win->n_segments] : 0;
    for (uint32_t k = 0; k < win->n_segments && st == LLMD_OK; k++) st = i32_push(&w->cu, (int32_t)win->cu_seqlens[k]);
    if (st == LLMD_OK && (win->n_segments == 0 || real < L)) st = i32_push(&w->cu, (int32_t)real);
    if (st == LLMD_OK) st = i32_push(&w->cu, (int32_t)L);
    for (uint32_t k = 0; k < win->n_segments && st == LLMD_OK; k++) {
        st = i64_push(&w->doc, (int64_t)win->seg_doc[k]);
        if (st == LLMD_OK) st = i32_push(&w->doff, (int32_t)win->seg_offset[k]);
    }
    if (st == LLMD_OK) st = i32_push(&w->offs[C_IDS], (int32_t)w->ids.n);
    if (st == LLMD_OK) st = i32_push(&w->offs[C_CU], (int32_t)w->cu.n);
    if (st == LLMD_OK) st = i32_push(&w->offs[C_DOC], (int32_t)w->doc.n);
    if (st == LLMD_OK) st = i32_push(&w->offs[C_DOFF], (int32_t)w->doff.n);
    if (st != LLMD_OK) return fail(w, st);
    w->batch_windows++;
    w->windows++;
    w->tokens += real;
    w->pad_tokens += L - real;
    if (w->batch_windows >= w->batch_cap) st = flush_batch(w);
    return fail(w, st);
}

llmd_status llmd_parquet_shard_writer_window_fn(void *ctx, const llmd_pack_window *window) {
    return llmd_parquet_shard_writer_add(ctx, window);
}

uint64_t llmd_parquet_shard_writer_windows(const llmd_parquet_shard_writer *w) { return w ? w->windows : 0; }

const char *llmd_parquet_shard_writer_run_id(const llmd_parquet_shard_writer *w) { return w ? w->run_id : NULL; }

static llmd_status append_extra(llmd_buf *m, const char *extra) {
    cJSON *root = NULL;
    llmd_status st = llmd_json_parse_object(extra, strlen(extra), "shard manifest extra JSON", &root);
    cJSON_Delete(root);
    if (st != LLMD_OK) return st;
    const char *a = strchr(extra, '{'), *b = strrchr(extra, '}');
    if (a == NULL || b == NULL || b < a) return llmd_fail(LLMD_ERR_PARSE, "shard manifest extra JSON: not an object");
    const char *q = a + 1;
    while (q < b && (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')) q++;
    if (q == b) return LLMD_OK;
    st = llmd_buf_putc(m, ',');
    if (st == LLMD_OK) st = llmd_buf_append(m, q, (size_t)(b - q));
    return st;
}

static llmd_status build_manifest(const llmd_parquet_shard_writer *w, const llmd_file_list *files,
                                  const char *extra, llmd_buf *m) {
    llmd_status st = llmd_buf_printf(
        m,
        "{\"format\":\"parquet\",\"dtype\":\"int32\",\"seq_len\":%u,\"windows\":%llu,\"tokens\":%llu,"
        "\"pad_tokens\":%llu,\"codec\":\"%s\",\"row_group_bytes\":%llu,\"file_bytes\":%llu,"
        "\"layout\":\"one row per window: input_ids list<int32>, cu_seqlens list<int32>, document_ids "
        "list<int64>, document_offsets list<int32>\",\"rows\":[",
        w->o.seq_len, (unsigned long long)w->windows, (unsigned long long)w->tokens,
        (unsigned long long)w->pad_tokens, llmd_parquet_codec_name(w->o.codec),
        (unsigned long long)w->o.row_group_bytes, (unsigned long long)w->o.file_bytes);
    for (size_t i = 0; i < w->n_done && st == LLMD_OK; i++)
        st = llmd_buf_printf(m, "%s%llu", i ? "," : "", (unsigned long long)w->done_rows[i]);
    if (st == LLMD_OK) st = llmd_buf_puts(m, "],\"files\":");
    if (st == LLMD_OK) st = llmd_file_list_json(m, files);
    if (st == LLMD_OK) st = llmd_buf_printf(m, ",\"run_id\":\"%s\",\"manifest_version\":2", w->run_id);
    if (st == LLMD_OK && extra != NULL) st = append_extra(m, extra);
    if (st == LLMD_OK) st = llmd_buf_puts(m, "}\n");
    return st;
}

/* Data files of an earlier shard at this prefix that the new one does not write (it had more
 * files): read from its manifest, kept to names that extend the prefix. */
static llmd_status stale_files(const llmd_parquet_shard_writer *w, const llmd_file_list *fresh, llmd_file_list *stale) {
    memset(stale, 0, sizeof *stale);
    llmd_buf mpath = LLMD_BUF_INIT;
    char *text = NULL;
    size_t len;
    llmd_status st = llmd_buf_printf(&mpath, "%s.manifest.json", w->prefix);
    if (st != LLMD_OK) return llmd_fail_nomem("a manifest name");
    if (llmd_read_file(mpath.data, &text, &len) != LLMD_OK) {
        llmd_buf_free(&mpath);
        llmd_clear_error();
        return LLMD_OK;
    }
    llmd_file_list old;
    if (llmd_manifest_parse(text, len, mpath.data, &old, NULL) != LLMD_OK) {
        llmd_clear_error();
        memset(&old, 0, sizeof old);
    }
    const char *bn = base_name(w->prefix);
    size_t bl = strlen(bn);
    for (size_t i = 0; i < old.n && st == LLMD_OK; i++) {
        const char *nm = old.v[i].name;
        bool kept = strncmp(nm, bn, bl) != 0 || (nm[bl] != '.' && nm[bl] != '-');
        for (size_t k = 0; k < fresh->n && !kept; k++) kept = strcmp(fresh->v[k].name, nm) == 0;
        if (!kept) st = llmd_file_list_add(stale, nm, 0, 0);
    }
    llmd_file_list_free(&old);
    llmd_free(text);
    llmd_buf_free(&mpath);
    return st;
}

static void remove_stale(const llmd_parquet_shard_writer *w, const llmd_file_list *stale) {
    size_t dirlen = (size_t)(base_name(w->prefix) - w->prefix);
    llmd_buf b = LLMD_BUF_INIT;
    for (size_t i = 0; i < stale->n; i++) {
        llmd_buf_reset(&b);
        if (llmd_buf_printf(&b, "%.*s%s", (int)dirlen, w->prefix, stale->v[i].name) == LLMD_OK) unlink(b.data);
    }
    llmd_buf_free(&b);
}

llmd_status llmd_parquet_shard_writer_finish(llmd_parquet_shard_writer *w, const char *extra_json) {
    if (w == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_shard_writer_finish: writer is NULL");
    if (w->state != 0)
        return llmd_fail(LLMD_ERR_STATE, "llmd_parquet_shard_writer_finish: writer is finished or failed");
    llmd_status st = flush_batch(w);
    /* no windows at all: still one (empty) file, so a reader finds the schema */
    if (st == LLMD_OK && w->n_done == 0 && w->cur == NULL) st = open_next_file(w);
    if (st == LLMD_OK) st = close_file(w);
    llmd_file_list files = {0}, stale = {0};
    llmd_outfile man;
    memset(&man, 0, sizeof man);
    man.fd = -1;
    llmd_buf text = LLMD_BUF_INIT, mpath = LLMD_BUF_INIT;
    uint64_t *rows = NULL;
    for (size_t i = 0; i < w->n_done && st == LLMD_OK; i++)
        st = llmd_file_list_add(&files, base_name(w->done[i].final_path), w->done[i].bytes, w->done[i].checksum);
    if (st == LLMD_OK) st = build_manifest(w, &files, extra_json, &text);
    if (st == LLMD_OK && llmd_buf_printf(&mpath, "%s.manifest.json", w->prefix) != LLMD_OK)
        st = llmd_fail_nomem("a manifest name");
    if (st == LLMD_OK) st = llmd_outfile_open(&man, mpath.data);
    if (st == LLMD_OK) st = llmd_outfile_write(&man, text.data, text.len);
    if (st == LLMD_OK) st = llmd_outfile_close(&man);
    if (st == LLMD_OK) st = llmd_file_list_add(&files, base_name(man.final_path), man.bytes, man.checksum);
    if (st == LLMD_OK && w->o.overwrite) st = stale_files(w, &files, &stale);
    if (st == LLMD_OK) {
        rows = llmd_calloc(w->n_done + 1, sizeof *rows);
        llmd_outfile **all = llmd_calloc(w->n_done + 1, sizeof *all);
        if (rows == NULL || all == NULL) st = llmd_fail_nomem("the shard file list");
        for (size_t i = 0; st == LLMD_OK && i < w->n_done; i++) {
            all[i] = &w->done[i];
            rows[i] = w->done_rows[i];
        }
        if (st == LLMD_OK) {
            all[w->n_done] = &man;
            st = llmd_outfile_publish_all(all, w->n_done + 1,
                                          w->o.overwrite ? LLMD_PUBLISH_REPLACE : LLMD_PUBLISH_EXCLUSIVE);
        }
        llmd_free(all);
    }
    if (st == LLMD_OK) remove_stale(w, &stale);
    llmd_outfile_discard(&man);
    llmd_buf_free(&text);
    llmd_buf_free(&mpath);
    llmd_file_list_free(&stale);
    if (st != LLMD_OK) {
        w->state = 2;
        llmd_free(rows);
        llmd_file_list_free(&files);
        discard_done(w);
        return st;
    }
    discard_done(w);   /* published: discard only frees */
    w->published = files;
    w->published_rows = rows;
    w->state = 1;
    return LLMD_OK;
}

size_t llmd_parquet_shard_writer_file_count(const llmd_parquet_shard_writer *w) { return w ? w->published.n : 0; }

llmd_status llmd_parquet_shard_writer_file(const llmd_parquet_shard_writer *w, size_t i, const char **name,
                                           uint64_t *bytes, uint64_t *xxh3, uint64_t *rows) {
    if (w == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_parquet_shard_writer_file: writer is NULL");
    if (i >= w->published.n)
        return llmd_fail(LLMD_ERR_RANGE,
                         "llmd_parquet_shard_writer_file: file %zu of %zu (files are listed after finish)", i,
                         w->published.n);
    if (name) *name = w->published.v[i].name;
    if (bytes) *bytes = w->published.v[i].bytes;
    if (xxh3) *xxh3 = w->published.v[i].xxh3;
    if (rows) *rows = w->published_rows[i];
    return LLMD_OK;
}
