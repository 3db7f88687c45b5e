/* Feature view definitions: DIR/ *.json in Feast's field names, validated on open. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "common/json.h"
#include "feature/feature_internal.h"

static const struct { const char *name; llmd_feature_dtype dt; } dtype_names[] = {
    {"Int64", LLMD_FEATURE_INT64},     {"Float32", LLMD_FEATURE_FLOAT32}, {"Float64", LLMD_FEATURE_FLOAT64},
    {"String", LLMD_FEATURE_STRING},   {"Bytes", LLMD_FEATURE_BYTES},     {"Bool", LLMD_FEATURE_BOOL},
    {"Array(Float32)", LLMD_FEATURE_FLOAT32_VECTOR},
};

const char *llmd_feature_dtype_name(llmd_feature_dtype dtype) {
    for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
        if (dtype_names[i].dt == dtype) return dtype_names[i].name;
    return NULL;
}

size_t feat_width(llmd_feature_dtype dt, uint32_t veclen) {
    switch (dt) {
    case LLMD_FEATURE_INT64: case LLMD_FEATURE_FLOAT64: return 8;
    case LLMD_FEATURE_FLOAT32: return 4;
    case LLMD_FEATURE_BOOL: return 1;
    case LLMD_FEATURE_FLOAT32_VECTOR: return (size_t)veclen * 4;
    default: return 0;
    }
}

static void view_free(fview *v) {
    for (size_t i = 0; i < v->n_keys; i++) llmd_free(v->key_names[i]);
    for (size_t i = 0; i < v->n_feat; i++) llmd_free(v->feat_names[i]);
    llmd_free(v->key_names);
    llmd_free(v->key_is_string);
    llmd_free(v->feat_names);
    llmd_free(v->dtypes);
    llmd_free(v->veclen);
    llmd_free(v->name);
    llmd_free(v->def_path);
    llmd_free(v->source_path);
    llmd_free(v->ts_field);
    llmd_free(v->created_field);
}

void llmd_feature_repo_free(llmd_feature_repo *repo) {
    if (repo == NULL) return;
    for (size_t i = 0; i < repo->n_views; i++) view_free(&repo->views[i]);
    llmd_free(repo->views);
    llmd_free(repo->dir);
    llmd_free(repo);
}

static llmd_status dup_field(const char *s, char **out) {
    *out = llmd_strdup(s);
    return *out ? LLMD_OK : llmd_fail_nomem("a feature definition");
}

static llmd_status parse_entities(fview *v, const cJSON *root, const char *what) {
    const cJSON *ents = NULL;
    llmd_status st = llmd_json_array(root, "entities", what, true, &ents);
    if (st != LLMD_OK) return st;
    size_t n = 0;
    for (const cJSON *e = ents->child; e; e = e->next) {
        const cJSON *jk = NULL;
        if ((st = llmd_json_array(e, "join_keys", what, false, &jk)) != LLMD_OK) return st;
        n += jk ? (size_t)cJSON_GetArraySize(jk) : 1;   /* Feast: the entity name is the join key */
    }
    if (n == 0) return llmd_fail(LLMD_ERR_PARSE, "%s: field \"entities\" names no join key", what);
    if (n > 16) return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: %zu join keys (at most 16)", what, n);
    v->key_names = llmd_calloc(n, sizeof *v->key_names);
    v->key_is_string = llmd_calloc(n, sizeof *v->key_is_string);
    if (!v->key_names || !v->key_is_string) return llmd_fail_nomem("a feature definition");
    for (const cJSON *e = ents->child; e; e = e->next) {
        const char *ename = NULL, *vtype = NULL;
        const cJSON *jk = NULL;
        if ((st = llmd_json_string(e, "name", what, true, &ename)) != LLMD_OK) return st;
        if ((st = llmd_json_string(e, "value_type", what, false, &vtype)) != LLMD_OK) return st;
        if ((st = llmd_json_array(e, "join_keys", what, false, &jk)) != LLMD_OK) return st;
        int is_string = -1;
        if (vtype) {
            if (strcmp(vtype, "STRING") == 0 || strcmp(vtype, "String") == 0) is_string = 1;
            else if (strcmp(vtype, "INT64") == 0 || strcmp(vtype, "Int64") == 0) is_string = 0;
            else return llmd_fail(LLMD_ERR_PARSE, "%s: entity \"%s\": value_type \"%s\" (STRING or INT64)", what,
                                  ename, vtype);
        }
        const cJSON *k = jk ? jk->child : NULL;
        do {
            const char *kname = ename;
            if (jk) {
                if (!cJSON_IsString(k))
                    return llmd_fail(LLMD_ERR_PARSE, "%s: entity \"%s\": join_keys must be strings", what, ename);
                kname = k->valuestring;
            }
            for (size_t i = 0; i < v->n_keys; i++)
                if (strcmp(v->key_names[i], kname) == 0)
                    return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: join key \"%s\" given twice", what, kname);
            if ((st = dup_field(kname, &v->key_names[v->n_keys])) != LLMD_OK) return st;
            v->key_is_string[v->n_keys++] = is_string;
            k = k ? k->next : NULL;
        } while (k);
    }
    return LLMD_OK;
}

static llmd_status parse_schema(fview *v, const cJSON *root, const char *what) {
    const cJSON *sch = NULL;
    llmd_status st = llmd_json_array(root, "schema", what, true, &sch);
    if (st != LLMD_OK) return st;
    size_t n = (size_t)cJSON_GetArraySize(sch);
    if (n == 0) return llmd_fail(LLMD_ERR_PARSE, "%s: field \"schema\" lists no feature", what);
    v->feat_names = llmd_calloc(n, sizeof *v->feat_names);
    v->dtypes = llmd_calloc(n, sizeof *v->dtypes);
    v->veclen = llmd_calloc(n, sizeof *v->veclen);
    if (!v->feat_names || !v->dtypes || !v->veclen) return llmd_fail_nomem("a feature definition");
    for (const cJSON *f = sch->child; f; f = f->next) {
        const char *fname = NULL, *dt = NULL;
        if ((st = llmd_json_string(f, "name", what, true, &fname)) != LLMD_OK) return st;
        if ((st = llmd_json_string(f, "dtype", what, true, &dt)) != LLMD_OK) return st;
        if (fname[0] == '\0') return llmd_fail(LLMD_ERR_PARSE, "%s: a feature has an empty name", what);
        llmd_feature_dtype d = 0;
        for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
            if (strcmp(dtype_names[i].name, dt) == 0) d = dtype_names[i].dt;
        if (d == 0)
            return llmd_fail(LLMD_ERR_PARSE, "%s: feature \"%s\": unknown dtype \"%s\" (Int64, Float32, Float64, "
                             "String, Bytes, Bool, Array(Float32))", what, fname, dt);
        int64_t len = 0;
        if ((st = llmd_json_int(f, "length", what, d == LLMD_FEATURE_FLOAT32_VECTOR, 1, 1 << 20, &len)) != LLMD_OK)
            return llmd_error_prefix("feature \"%s\"", fname);
        for (size_t i = 0; i < v->n_feat; i++)
            if (strcmp(v->feat_names[i], fname) == 0)
                return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: feature \"%s\" given twice", what, fname);
        for (size_t i = 0; i < v->n_keys; i++)
            if (strcmp(v->key_names[i], fname) == 0)
                return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: \"%s\" is both a join key and a feature", what, fname);
        if ((st = dup_field(fname, &v->feat_names[v->n_feat])) != LLMD_OK) return st;
        v->dtypes[v->n_feat] = d;
        v->veclen[v->n_feat++] = d == LLMD_FEATURE_FLOAT32_VECTOR ? (uint32_t)len : 0;
    }
    return LLMD_OK;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* The source's format: "format" when given (jsonl, parquet, delta), else from the path: *.parquet
 * is Parquet, a directory (a Delta table has one: _delta_log beside its data files) or a
 * "version"/"timestamp" pin is Delta, anything else JSONL.  Delta time travel: "version" (an
 * integer) or "timestamp" (ISO 8601: the version current at that time), not both. */
static llmd_status source_kind(fview *v, const cJSON *src, const char *path, const char *what) {
    const char *format = NULL, *ts = NULL;
    int64_t version = -1;
    llmd_status st = llmd_json_string(src, "format", what, false, &format);
    if (st == LLMD_OK) st = llmd_json_int(src, "version", what, false, 0, INT64_MAX, &version);
    if (st == LLMD_OK) st = llmd_json_string(src, "timestamp", what, false, &ts);
    if (st != LLMD_OK) return st;
    v->delta_version = version;
    v->delta_timestamp_ms = INT64_MIN;
    if (ts != NULL) {
        int64_t us;
        if (version >= 0)
            return llmd_fail(LLMD_ERR_PARSE, "%s: source gives both \"version\" and \"timestamp\"", what);
        if ((st = llmd_parse_timestamp(ts, strlen(ts), &us)) != LLMD_OK)
            return llmd_error_prefix("%s: source field \"timestamp\"", what);
        v->delta_timestamp_ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);
    }
    bool pinned = version >= 0 || ts != NULL;
    struct stat sb;
    if (format != NULL) {
        if (strcmp(format, "jsonl") == 0) v->source_kind = FEAT_SRC_JSONL;
        else if (strcmp(format, "parquet") == 0) v->source_kind = FEAT_SRC_PARQUET;
        else if (strcmp(format, "delta") == 0) v->source_kind = FEAT_SRC_DELTA;
        else return llmd_fail(LLMD_ERR_PARSE, "%s: source format \"%s\" (jsonl, parquet or delta)", what, format);
    } else if (pinned || (stat(v->source_path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
        v->source_kind = FEAT_SRC_DELTA;
    } else if (ends_with(path, ".parquet") || ends_with(path, ".pq")) {
        v->source_kind = FEAT_SRC_PARQUET;
    } else {
        v->source_kind = FEAT_SRC_JSONL;
    }
    if (pinned && v->source_kind != FEAT_SRC_DELTA)
        return llmd_fail(LLMD_ERR_PARSE, "%s: source \"version\"/\"timestamp\" pins apply to Delta tables only", what);
    return LLMD_OK;
}

static llmd_status parse_source(fview *v, const cJSON *root, const char *what, const char *def_dir) {
    const cJSON *src = NULL;
    llmd_status st = llmd_json_object(root, "source", what, true, &src);
    if (st != LLMD_OK) return st;
    const char *path = NULL, *ts = NULL, *created = NULL;
    if ((st = llmd_json_string(src, "path", what, true, &path)) != LLMD_OK) return st;
    if ((st = llmd_json_string(src, "timestamp_field", what, true, &ts)) != LLMD_OK) return st;
    if ((st = llmd_json_string(src, "created_timestamp_column", what, false, &created)) != LLMD_OK) return st;
    if (path[0] == '\0') return llmd_fail(LLMD_ERR_PARSE, "%s: source \"path\" is empty", what);
    llmd_buf b = LLMD_BUF_INIT;
    st = path[0] == '/' ? llmd_buf_puts(&b, path) : llmd_buf_printf(&b, "%s/%s", def_dir, path);
    if (st != LLMD_OK) return st;
    v->source_path = llmd_buf_detach(&b, NULL);
    if ((st = source_kind(v, src, path, what)) != LLMD_OK) return st;
    if ((st = dup_field(ts, &v->ts_field)) != LLMD_OK) return st;
    if (created && created[0] && (st = dup_field(created, &v->created_field)) != LLMD_OK) return st;
    return LLMD_OK;
}

static llmd_status parse_view(fview *v, const char *path, const char *dir) {
    char *data;
    size_t len;
    llmd_status st = llmd_read_file(path, &data, &len);
    if (st != LLMD_OK) return st;
    cJSON *root;
    st = llmd_json_parse_object(data, len, path, &root);
    llmd_free(data);
    if (st != LLMD_OK) return st;
    const char *name = NULL;
    int64_t ttl = 0;
    if ((st = dup_field(path, &v->def_path)) == LLMD_OK &&
        (st = llmd_json_string(root, "name", path, true, &name)) == LLMD_OK &&
        (st = dup_field(name, &v->name)) == LLMD_OK &&
        (st = llmd_json_int(root, "ttl_seconds", path, false, 0, INT64_MAX / 1000000, &ttl)) == LLMD_OK &&
        (st = parse_entities(v, root, path)) == LLMD_OK && (st = parse_schema(v, root, path)) == LLMD_OK)
        st = parse_source(v, root, path, dir);
    v->ttl_us = ttl * 1000000;
    if (st == LLMD_OK && (v->name[0] == '\0' || strchr(v->name, ':') || strchr(v->name, '/')))
        st = llmd_fail(LLMD_ERR_PARSE, "%s: view name \"%s\" must be non-empty without ':' or '/'", path, v->name);
    cJSON_Delete(root);
    return st;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Definition files in name order. */
static llmd_status list_definitions(const char *dir, char ***names, size_t *n) {
    *names = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (d == NULL)
        return llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "feature repo %s: %s", dir, strerror(errno));
    size_t cap = 0;
    llmd_status st = LLMD_OK;
    for (struct dirent *e; (e = readdir(d)) != NULL && st == LLMD_OK;) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.' ||
            strcmp(e->d_name, "registry.json") == 0)
            continue;
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            char **p = llmd_realloc(*names, cap * sizeof *p, nc * sizeof *p);
            if (p == NULL) { st = llmd_fail_nomem("listing a feature repo"); break; }
            *names = p;
            cap = nc;
        }
        if (((*names)[*n] = llmd_strdup(e->d_name)) == NULL) st = llmd_fail_nomem("listing a feature repo");
        else (*n)++;
    }
    closedir(d);
    if (st == LLMD_OK && *n == 0) st = llmd_fail(LLMD_ERR_NOT_FOUND, "feature repo %s: no *.json definitions", dir);
    if (st == LLMD_OK) qsort(*names, *n, sizeof **names, cmp_str);
    return st;
}

llmd_status llmd_feature_repo_open(llmd_feature_repo **out, const char *dir) {
    if (out == NULL || dir == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_feature_repo_open: NULL argument");
    *out = NULL;
    char **names;
    size_t n;
    llmd_status st = list_definitions(dir, &names, &n);
    llmd_feature_repo *r = st == LLMD_OK ? llmd_calloc(1, sizeof *r) : NULL;
    if (st == LLMD_OK && (r == NULL || (r->dir = llmd_strdup(dir)) == NULL ||
                          (r->views = llmd_calloc(n, sizeof *r->views)) == NULL))
        st = llmd_fail_nomem("opening a feature repo");
    for (size_t i = 0; i < n && st == LLMD_OK; i++) {
        llmd_buf p = LLMD_BUF_INIT;
        if ((st = llmd_buf_printf(&p, "%s/%s", dir, names[i])) != LLMD_OK) break;
        st = parse_view(&r->views[r->n_views], p.data, dir);
        r->n_views++;
        for (size_t j = 0; j + 1 < r->n_views && st == LLMD_OK; j++)
            if (strcmp(r->views[j].name, r->views[r->n_views - 1].name) == 0)
                st = llmd_fail(LLMD_ERR_INVALID_ARG, "%s: view \"%s\" is also defined in %s", p.data,
                               r->views[j].name, r->views[j].def_path);
        llmd_buf_free(&p);
    }
    for (size_t i = 0; i < n; i++) llmd_free(names[i]);
    llmd_free(names);
    if (st != LLMD_OK) {
        llmd_feature_repo_free(r);
        return st;
    }
    *out = r;
    return LLMD_OK;
}

size_t llmd_feature_repo_view_count(const llmd_feature_repo *repo) { return repo ? repo->n_views : 0; }

const char *llmd_feature_repo_view_name(const llmd_feature_repo *repo, size_t i) {
    return repo && i < repo->n_views ? repo->views[i].name : NULL;
}

size_t llmd_feature_repo_join_key_count(const llmd_feature_repo *repo, size_t i) {
    return repo && i < repo->n_views ? repo->views[i].n_keys : 0;
}

const char *llmd_feature_repo_join_key(const llmd_feature_repo *repo, size_t i, size_t k) {
    return repo && i < repo->n_views && k < repo->views[i].n_keys ? repo->views[i].key_names[k] : NULL;
}

int64_t llmd_feature_repo_find_view(const llmd_feature_repo *repo, const char *name) {
    if (repo == NULL || name == NULL) return -1;
    for (size_t i = 0; i < repo->n_views; i++)
        if (strcmp(repo->views[i].name, name) == 0) return (int64_t)i;
    return -1;
}

const fview *feat_find_view(const llmd_feature_repo *repo, const char *name, size_t len) {
    for (size_t i = 0; i < repo->n_views; i++)
        if (strlen(repo->views[i].name) == len && memcmp(repo->views[i].name, name, len) == 0) return &repo->views[i];
    return NULL;
}

/* ---- apply: validate sources, record the registry ------------------------------------------ */
llmd_status llmd_feature_repo_apply(const llmd_feature_repo *repo) {
    if (repo == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_feature_repo_apply: NULL repo");
    llmd_buf j = LLMD_BUF_INIT;
    llmd_status st = llmd_buf_puts(&j, "{\"format\": \"llmdata-feature-registry/1\", \"views\": [");
    for (size_t i = 0; i < repo->n_views && st == LLMD_OK; i++) {
        const fview *v = &repo->views[i];
        ftable t;
        if ((st = feat_load_source(v, &t, NULL)) != LLMD_OK) break;
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        for (size_t r = 0; r < t.n; r++) {
            if (t.ts[r] < lo) lo = t.ts[r];
            if (t.ts[r] > hi) hi = t.ts[r];
        }
        struct stat sb;
        uint64_t size = stat(v->source_path, &sb) == 0 ? (uint64_t)sb.st_size : 0;
        st = llmd_buf_printf(&j, "%s\n  {\"name\": ", i ? "," : "");
        if (st == LLMD_OK) st = llmd_buf_put_json_string(&j, v->name, strlen(v->name));
        if (st == LLMD_OK) st = llmd_buf_puts(&j, ", \"definition\": ");
        if (st == LLMD_OK) st = llmd_buf_put_json_string(&j, v->def_path, strlen(v->def_path));
        if (st == LLMD_OK) st = llmd_buf_puts(&j, ", \"source\": ");
        if (st == LLMD_OK) st = llmd_buf_put_json_string(&j, v->source_path, strlen(v->source_path));
        if (st == LLMD_OK)
            st = llmd_buf_printf(&j, ", \"source_bytes\": %llu, \"rows\": %zu, \"min_event_us\": %lld, "
                                 "\"max_event_us\": %lld, \"ttl_seconds\": %lld, \"features\": %zu}",
                                 (unsigned long long)size, t.n, (long long)(t.n ? lo : 0), (long long)(t.n ? hi : 0),
                                 (long long)(v->ttl_us / 1000000), v->n_feat);
        if (st == LLMD_OK && t.source_version >= 0) {   /* the Delta version validated, before the closing brace */
            j.len--;
            st = llmd_buf_printf(&j, ", \"delta_version\": %lld}", (long long)t.source_version);
        }
        ftable_free(&t);
    }
    if (st == LLMD_OK) st = llmd_buf_puts(&j, "\n]}\n");
    llmd_buf path = LLMD_BUF_INIT;
    if (st == LLMD_OK) st = llmd_buf_printf(&path, "%s/registry.json", repo->dir);
    if (st == LLMD_OK) st = llmd_write_file_atomic(path.data, j.data, j.len);
    llmd_buf_free(&path);
    llmd_buf_free(&j);
    return st;
}
