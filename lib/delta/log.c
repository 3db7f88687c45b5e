/* Delta log: action parsing and replay (a pure function of the listed files and their bytes). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "common/json.h"
#include "delta/delta_internal.h"

/* ---- small helpers ---------------------------------------------------------------------------- */
int64_t dl_now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Field look-ups through the common JSON layer (common/json.h); actions keep their unknown fields,
 * so these never fail on what they do not ask for. */
bool dl_get_i64(const cJSON *obj, const char *name, int64_t *out) {
    const cJSON *v = llmd_json_field(obj, name);
    if (!cJSON_IsNumber(v)) return false;
    double d = v->valuedouble;
    if (!(d >= -9.2e18 && d <= 9.2e18)) return false;
    *out = (int64_t)d;
    return true;
}

const char *dl_get_str(const cJSON *obj, const char *name) {
    const cJSON *v = llmd_json_field(obj, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

char *dl_print(const cJSON *j) {
    char *p = cJSON_PrintUnformatted(j);
    if (p == NULL) return NULL;
    char *r = llmd_strdup(p);
    cJSON_free(p);
    return r;
}

llmd_status dl_oom_json(const char *what) { return llmd_fail_nomem(what); }

/* ---- map ----------------------------------------------------------------------------------------- */
static uint64_t key_hash(const char *k) { return llmd_hash64(k, strlen(k), 0x64656c7461ULL); }

static dl_map_entry *map_find(const dl_map *m, const char *key, uint64_t h) {
    if (m->cap == 0) return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        dl_map_entry *e = &m->slots[i];
        if (e->key == NULL) return NULL;
        if (e->hash == h && strcmp(e->key, key) == 0) return e;
    }
}

void *dl_map_get(const dl_map *m, const char *key) {
    dl_map_entry *e = map_find(m, key, key_hash(key));
    return e ? e->val : NULL;
}

static llmd_status map_grow(dl_map *m) {
    size_t ncap = m->cap ? m->cap * 2 : 64;
    dl_map_entry *ns = llmd_calloc(ncap, sizeof *ns);
    if (ns == NULL) return llmd_fail_nomem("growing the Delta log state");
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL) continue;
        size_t j = m->slots[i].hash & (ncap - 1);
        while (ns[j].key != NULL) j = (j + 1) & (ncap - 1);
        ns[j] = m->slots[i];
    }
    llmd_free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return LLMD_OK;
}

llmd_status dl_map_put(dl_map *m, const char *key, void *val, void **old) {
    uint64_t h = key_hash(key);
    if (old) *old = NULL;
    dl_map_entry *e = map_find(m, key, h);
    if (e) {
        if (old) *old = e->val;
        e->val = val;
        return LLMD_OK;
    }
    if ((m->len + 1) * 4 > m->cap * 3) {
        llmd_status st = map_grow(m);
        if (st != LLMD_OK) return st;
    }
    char *k = llmd_strdup(key);
    if (k == NULL) return llmd_fail_nomem("growing the Delta log state");
    size_t mask = m->cap - 1, i = h & mask;
    while (m->slots[i].key != NULL) i = (i + 1) & mask;
    m->slots[i] = (dl_map_entry){k, h, val};
    m->len++;
    return LLMD_OK;
}

void *dl_map_del(dl_map *m, const char *key) {
    uint64_t h = key_hash(key);
    dl_map_entry *e = map_find(m, key, h);
    if (e == NULL) return NULL;
    void *val = e->val;
    llmd_free(e->key);
    size_t mask = m->cap - 1, i = (size_t)(e - m->slots);
    /* backward-shift deletion keeps every probe chain unbroken without tombstones */
    for (size_t j = (i + 1) & mask; m->slots[j].key != NULL; j = (j + 1) & mask) {
        size_t home = m->slots[j].hash & mask;
        bool movable = (i <= j) ? (home <= i || home > j) : (home <= i && home > j);
        if (movable) {
            m->slots[i] = m->slots[j];
            i = j;
        }
    }
    m->slots[i] = (dl_map_entry){NULL, 0, NULL};
    m->len--;
    return val;
}

void dl_map_free(dl_map *m, void (*free_val)(void *)) {
    for (size_t i = 0; i < m->cap; i++) {
        if (m->slots[i].key == NULL) continue;
        llmd_free(m->slots[i].key);
        if (free_val) free_val(m->slots[i].val);
    }
    llmd_free(m->slots);
    *m = (dl_map){0};
}

/* ---- paths ---------------------------------------------------------------------------------------- */
static int hexval(int c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *dl_path_decode(const char *raw) {
    const char *s = raw;
    /* file:///abs, file://host/abs (host dropped only when empty or localhost), file:/abs */
    if (strncmp(s, "file://", 7) == 0) {
        const char *rest = s + 7;
        if (*rest == '/') s = rest;
        else if (strncmp(rest, "localhost/", 10) == 0) s = rest + 9;
    } else if (strncmp(s, "file:/", 6) == 0) {
        s += 5;
    }
    size_t n = strlen(s);
    char *out = llmd_malloc(n + 1);
    if (out == NULL) return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval((unsigned char)s[i + 1]) >= 0 &&
            hexval((unsigned char)s[i + 2]) >= 0) {
            out[o++] = (char)(hexval((unsigned char)s[i + 1]) * 16 + hexval((unsigned char)s[i + 2]));
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    return out;
}

/* RFC 3986 unreserved + the sub-delims and ":@/" that java.net.URI leaves in a path. */
static bool uri_path_char(unsigned char c) {
    if (isalnum(c)) return true;
    return c != 0 && strchr("-_.!~*'();:@&=+$,/", c) != NULL;
}

llmd_status dl_path_encode(llmd_buf *b, const char *path) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        llmd_status st;
        if (uri_path_char(*p)) st = llmd_buf_putc(b, (char)*p);
        else {
            char esc[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            st = llmd_buf_append(b, esc, 3);
        }
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

/* Hive's FileUtils.escapePathName / Spark's ExternalCatalogUtils.escapePathName (non-Windows). */
llmd_status dl_hive_escape(llmd_buf *b, const char *value) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        bool esc = (*p >= 0x01 && *p <= 0x1F) || *p == 0x7F || strchr("\"#%'*/:=?\\{[]^", *p) != NULL;
        llmd_status st;
        if (esc) {
            char e[3] = {'%', hex[*p >> 4], hex[*p & 15]};
            st = llmd_buf_append(b, e, 3);
        } else {
            st = llmd_buf_putc(b, (char)*p);
        }
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

/* ---- listing ---------------------------------------------------------------------------------------- */
static bool all_digits(const char *s, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return false;
    return true;
}

static bool parse_u64(const char *s, size_t n, uint64_t *out) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (v > (UINT64_MAX - 9) / 10) return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return true;
}

static bool is_uuid_like(const char *s, size_t n) {
    if (n == 0) return false;
    for (size_t i = 0; i < n; i++)
        if (!(isxdigit((unsigned char)s[i]) || s[i] == '-')) return false;
    return true;
}

bool dl_classify(const char *name, dl_kind *kind, int64_t *version, uint32_t *part, uint32_t *parts) {
    size_t n = strlen(name);
    if (n < 21 || !all_digits(name, 20) || name[20] != '.') return false;
    uint64_t v;
    if (!parse_u64(name, 20, &v) || v > (uint64_t)INT64_MAX) return false;
    *version = (int64_t)v;
    *part = *parts = 0;
    const char *rest = name + 21;
    size_t rn = n - 21;
    if (strcmp(rest, "json") == 0) { *kind = DL_COMMIT; return true; }
    if (strncmp(rest, "checkpoint.", 11) != 0) return false;
    rest += 11;
    rn -= 11;
    if (strcmp(rest, "parquet") == 0) { *kind = DL_CKPT_CLASSIC; return true; }
    /* P.N.parquet: 10 digits each */
    if (rn == 10 + 1 + 10 + 8 && all_digits(rest, 10) && rest[10] == '.' && all_digits(rest + 11, 10) &&
        strcmp(rest + 21, ".parquet") == 0) {
        uint64_t p = 0, t = 0;
        parse_u64(rest, 10, &p);
        parse_u64(rest + 11, 10, &t);
        if (p < 1 || t < 1 || p > t || t > UINT32_MAX) return false;
        *part = (uint32_t)p;
        *parts = (uint32_t)t;
        *kind = DL_CKPT_PART;
        return true;
    }
    const char *dot = strrchr(rest, '.');
    if (dot == NULL || !is_uuid_like(rest, (size_t)(dot - rest))) return false;
    if (strcmp(dot, ".json") == 0) { *kind = DL_CKPT_V2_JSON; return true; }
    if (strcmp(dot, ".parquet") == 0) { *kind = DL_CKPT_V2_PARQUET; return true; }
    return false;
}

llmd_status dl_listing_add(dl_listing *l, const char *name, int64_t size, int64_t mtime_ms) {
    dl_entry e = {0};
    if (!dl_classify(name, &e.kind, &e.version, &e.part, &e.parts)) return LLMD_OK;
    if (l->n == l->cap) {
        size_t nc = l->cap ? l->cap * 2 : 64;
        dl_entry *ne = llmd_realloc(l->e, l->cap * sizeof *ne, nc * sizeof *ne);
        if (ne == NULL) return llmd_fail_nomem("listing the Delta log");
        l->e = ne;
        l->cap = nc;
    }
    e.name = llmd_strdup(name);
    if (e.name == NULL) return llmd_fail_nomem("listing the Delta log");
    e.size = size;
    e.mtime_ms = mtime_ms;
    l->e[l->n++] = e;
    return LLMD_OK;
}

static int entry_cmp(const void *a, const void *b) {
    const dl_entry *x = a, *y = b;
    if (x->version != y->version) return x->version < y->version ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return strcmp(x->name, y->name);
}

void dl_listing_sort(dl_listing *l) {
    if (l->n > 1) qsort(l->e, l->n, sizeof *l->e, entry_cmp);
}

void dl_listing_free(dl_listing *l) {
    for (size_t i = 0; i < l->n; i++) llmd_free(l->e[i].name);
    llmd_free(l->e);
    *l = (dl_listing){0};
}

/* ---- replay state ------------------------------------------------------------------------------------ */
static void file_free(void *p) {
    dl_file *f = p;
    if (f == NULL) return;
    llmd_free(f->path);
    llmd_free(f->key);
    cJSON_Delete(f->action);
    llmd_free(f);
}

void dl_state_init(dl_state *s) {
    memset(s, 0, sizeof *s);
    s->version = -1;
    s->protocol_version = s->metadata_version = -1;
}

static void json_free(void *p) { cJSON_Delete(p); }

void dl_state_free(dl_state *s) {
    cJSON_Delete(s->protocol);
    cJSON_Delete(s->metadata);
    cJSON_Delete(s->commit_info);
    cJSON_Delete(s->sidecars);
    dl_map_free(&s->files, file_free);
    dl_map_free(&s->tombstones, file_free);
    dl_map_free(&s->txns, llmd_free);
    dl_map_free(&s->domains, json_free);
    dl_state_init(s);
}

llmd_status dl_file_key(const cJSON *action, const char *where, char **key_out, char **path_out) {
    *key_out = *path_out = NULL;
    const char *raw = dl_get_str(action, "path");
    if (raw == NULL || raw[0] == '\0')
        return llmd_fail(LLMD_ERR_PARSE, "%s%sfile action without a path", where ? where : "", where ? ": " : "");
    char *path = dl_path_decode(raw);
    if (path == NULL) return llmd_fail_nomem("decoding a Delta path");
    llmd_buf k = LLMD_BUF_INIT;
    llmd_status st = llmd_buf_puts(&k, path);
    const cJSON *dv = cJSON_GetObjectItemCaseSensitive(action, "deletionVector");
    if (st == LLMD_OK && cJSON_IsObject(dv)) {
        const char *type = dl_get_str(dv, "storageType"), *p = dl_get_str(dv, "pathOrInlineDv");
        int64_t off;
        if (type == NULL || p == NULL) {
            llmd_free(path);
            llmd_buf_free(&k);
            return llmd_fail(LLMD_ERR_PARSE, "%s%sdeletionVector of '%s' lacks storageType/pathOrInlineDv",
                             where ? where : "", where ? ": " : "", raw);
        }
        st = llmd_buf_printf(&k, "\n%s%s", type, p);
        if (st == LLMD_OK && dl_get_i64(dv, "offset", &off)) st = llmd_buf_printf(&k, "@%lld", (long long)off);
    }
    if (st != LLMD_OK) {
        llmd_free(path);
        llmd_buf_free(&k);
        return st;
    }
    *key_out = llmd_buf_detach(&k, NULL);
    if (*key_out == NULL) *key_out = llmd_strdup("");
    *path_out = path;
    return LLMD_OK;
}

static llmd_status apply_file(dl_state *s, cJSON *body, bool is_add, int64_t version) {
    if (!cJSON_IsObject(body)) {
        cJSON_Delete(body);
        return llmd_fail(LLMD_ERR_PARSE, "%s is not an object", is_add ? "add" : "remove");
    }
    if (is_add) {
        int64_t size;
        if (!dl_get_i64(body, "size", &size) || size < 0) {
            cJSON_Delete(body);
            return llmd_fail(LLMD_ERR_PARSE, "add without a valid size");
        }
        const cJSON *pv = cJSON_GetObjectItemCaseSensitive(body, "partitionValues");
        if (pv != NULL && !cJSON_IsObject(pv) && !cJSON_IsNull(pv)) {
            cJSON_Delete(body);
            return llmd_fail(LLMD_ERR_PARSE, "add.partitionValues is not an object");
        }
    }
    dl_file *f = llmd_calloc(1, sizeof *f);
    if (f == NULL) { cJSON_Delete(body); return llmd_fail_nomem("replaying the Delta log"); }
    f->action = body;
    f->version = version;
    llmd_status st = dl_file_key(body, NULL, &f->key, &f->path);
    if (st != LLMD_OK) { file_free(f); return st; }
    void *old = NULL;
    if (is_add) {
        file_free(dl_map_del(&s->tombstones, f->key));
        st = dl_map_put(&s->files, f->key, f, &old);
    } else {
        file_free(dl_map_del(&s->files, f->key));
        st = dl_map_put(&s->tombstones, f->key, f, &old);
    }
    if (st != LLMD_OK) { file_free(f); return st; }
    file_free(old);
    return LLMD_OK;
}

llmd_status dl_apply_action(dl_state *s, const char *name, cJSON *body, int64_t version, bool is_checkpoint) {
    if (strcmp(name, "add") == 0) return apply_file(s, body, true, version);
    if (strcmp(name, "remove") == 0) return apply_file(s, body, false, version);
    llmd_status st = LLMD_OK;
    if (strcmp(name, "protocol") == 0) {
        int64_t r, w;
        if (!cJSON_IsObject(body) || !dl_get_i64(body, "minReaderVersion", &r) ||
            !dl_get_i64(body, "minWriterVersion", &w) || r < 1 || w < 1) {
            st = llmd_fail(LLMD_ERR_PARSE, "protocol needs minReaderVersion and minWriterVersion >= 1");
        } else {
            cJSON_Delete(s->protocol);
            s->protocol = body;
            s->protocol_version = version;
            return LLMD_OK;
        }
    } else if (strcmp(name, "metaData") == 0) {
        if (!cJSON_IsObject(body)) {
            st = llmd_fail(LLMD_ERR_PARSE, "metaData is not an object");
        } else {
            cJSON_Delete(s->metadata);
            s->metadata = body;
            s->metadata_version = version;
            return LLMD_OK;
        }
    } else if (strcmp(name, "txn") == 0) {
        const char *app = cJSON_IsObject(body) ? dl_get_str(body, "appId") : NULL;
        dl_txn_entry *t = llmd_calloc(1, sizeof *t);
        if (t == NULL) st = llmd_fail_nomem("replaying the Delta log");
        else if (app == NULL || !dl_get_i64(body, "version", &t->version)) {
            llmd_free(t);
            st = llmd_fail(LLMD_ERR_PARSE, "txn needs appId and version");
        } else {
            if (!dl_get_i64(body, "lastUpdated", &t->last_updated)) t->last_updated = -1;
            void *old = NULL;
            st = dl_map_put(&s->txns, app, t, &old);
            if (st != LLMD_OK) llmd_free(t);
            llmd_free(old);
        }
    } else if (strcmp(name, "domainMetadata") == 0) {
        const char *domain = cJSON_IsObject(body) ? dl_get_str(body, "domain") : NULL;
        if (domain == NULL) {
            st = llmd_fail(LLMD_ERR_PARSE, "domainMetadata without a domain");
        } else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(body, "removed"))) {
            cJSON_Delete(dl_map_del(&s->domains, domain));
        } else {
            void *old = NULL;
            st = dl_map_put(&s->domains, domain, body, &old);
            if (st == LLMD_OK) {
                cJSON_Delete(old);
                return LLMD_OK;
            }
        }
    } else if (strcmp(name, "sidecar") == 0 && is_checkpoint) {
        s->has_sidecar = true;
        if (s->sidecars == NULL && (s->sidecars = cJSON_CreateArray()) == NULL) st = llmd_fail_nomem("reading sidecars");
        else if (!cJSON_AddItemToArray(s->sidecars, body)) st = llmd_fail_nomem("reading sidecars");
        else return LLMD_OK;
    } else if (strcmp(name, "commitInfo") == 0 && !is_checkpoint) {
        cJSON_Delete(s->commit_info);
        s->commit_info = body;
        return LLMD_OK;
    }
    /* cdc, checkpointMetadata, sidecar and unknown actions do not change the table state. */
    cJSON_Delete(body);
    return st;
}

llmd_status dl_apply_json(dl_state *s, const char *name, int64_t version, const char *data, size_t len,
                          bool is_checkpoint) {
    size_t line = 0;
    if (!is_checkpoint) {
        cJSON_Delete(s->commit_info);
        s->commit_info = NULL;
    }
    for (size_t pos = 0; pos < len;) {
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        line++;
        const char *ls = data + pos;
        size_t ln = end - pos;
        pos = end + 1;
        size_t k = 0;
        while (k < ln && isspace((unsigned char)ls[k])) k++;
        if (k == ln) continue;
        const char *parse_end = NULL;
        cJSON *obj = cJSON_ParseWithLengthOpts(ls, ln, &parse_end, false);
        if (obj == NULL || !cJSON_IsObject(obj)) {
            size_t off = parse_end && parse_end >= ls ? (size_t)(parse_end - ls) : 0;
            cJSON_Delete(obj);
            if (obj == NULL && parse_end == NULL) off = 0;
            return llmd_fail(LLMD_ERR_PARSE, "%s:%zu: not a JSON object (truncated or malformed action near byte %zu of the line)",
                             name, line, off);
        }
        /* anything but whitespace after the object is a second, glued value: refuse */
        for (const char *p = parse_end; p && p < ls + ln; p++)
            if (!isspace((unsigned char)*p)) {
                cJSON_Delete(obj);
                return llmd_fail(LLMD_ERR_PARSE, "%s:%zu: trailing bytes after the action", name, line);
            }
        while (obj->child) {
            cJSON *item = obj->child;
            cJSON_DetachItemViaPointer(obj, item);
            char *key = item->string;
            item->string = NULL;
            llmd_status st = dl_apply_action(s, key ? key : "", item, version, is_checkpoint);
            cJSON_free(key);
            if (st != LLMD_OK) {
                cJSON_Delete(obj);
                return llmd_error_prefix("%s:%zu", name, line);
            }
        }
        cJSON_Delete(obj);
    }
    s->version = version;
    return LLMD_OK;
}

/* ---- protocol support ------------------------------------------------------------------------------- */
static const char *const k_reader_features[] = {"deletionVectors", "columnMapping", "timestampNtz",
                                                "v2Checkpoint", "vacuumProtocolCheck", NULL};

static bool in_list(const char *const *list, const char *s) {
    for (; *list; list++)
        if (strcmp(*list, s) == 0) return true;
    return false;
}

llmd_status dl_check_readable(const cJSON *protocol) {
    int64_t r = 0;
    dl_get_i64(protocol, "minReaderVersion", &r);
    if (r > 3)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "Delta table needs reader version %lld (this library reads up to 3)",
                         (long long)r);
    if (r == 3) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(protocol, "readerFeatures");
        if (f != NULL && !cJSON_IsArray(f) && !cJSON_IsNull(f))
            return llmd_fail(LLMD_ERR_PARSE, "protocol.readerFeatures is not an array");
        const cJSON *it;
        cJSON_ArrayForEach(it, f) {
            if (!cJSON_IsString(it)) return llmd_fail(LLMD_ERR_PARSE, "protocol.readerFeatures holds a non-string");
            if (!in_list(k_reader_features, it->valuestring))
                return llmd_fail(LLMD_ERR_UNSUPPORTED, "Delta table needs reader feature '%s', which this library does not support",
                                 it->valuestring);
        }
    }
    return LLMD_OK;
}

static bool schema_has_metadata_key(const cJSON *type, const char *prefix) {
    if (!cJSON_IsObject(type)) return false;
    const char *t = dl_get_str(type, "type");
    if (t == NULL) return false;
    if (strcmp(t, "struct") == 0) {
        const cJSON *f;
        cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(type, "fields")) {
            const cJSON *md = cJSON_GetObjectItemCaseSensitive(f, "metadata"), *m;
            cJSON_ArrayForEach(m, md)
                if (m->string && strncmp(m->string, prefix, strlen(prefix)) == 0) return true;
            if (schema_has_metadata_key(cJSON_GetObjectItemCaseSensitive(f, "type"), prefix)) return true;
        }
    } else if (strcmp(t, "array") == 0) {
        return schema_has_metadata_key(cJSON_GetObjectItemCaseSensitive(type, "elementType"), prefix);
    } else if (strcmp(t, "map") == 0) {
        return schema_has_metadata_key(cJSON_GetObjectItemCaseSensitive(type, "keyType"), prefix) ||
               schema_has_metadata_key(cJSON_GetObjectItemCaseSensitive(type, "valueType"), prefix);
    }
    return false;
}

static const char *config_get(const cJSON *metadata, const char *key) {
    return dl_get_str(cJSON_GetObjectItemCaseSensitive(metadata, "configuration"), key);
}

static bool config_has_prefix(const cJSON *metadata, const char *prefix) {
    const cJSON *c;
    cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(metadata, "configuration"))
        if (c->string && strncmp(c->string, prefix, strlen(prefix)) == 0) return true;
    return false;
}

/* Why a feature the table lists stops us writing, or NULL when we honour it. */
static const char *writer_feature_problem(const char *f, const cJSON *metadata, const cJSON *schema) {
    static const char *const plain[] = {"appendOnly", "inCommitTimestamp", "timestampNtz", "deletionVectors",
                                        "domainMetadata", "vacuumProtocolCheck", "v2Checkpoint", NULL};
    if (in_list(plain, f)) return NULL;
    if (strcmp(f, "invariants") == 0)
        return schema_has_metadata_key(schema, "delta.invariants") ? "the schema has invariants" : NULL;
    if (strcmp(f, "checkConstraints") == 0)
        return config_has_prefix(metadata, "delta.constraints.") ? "the table has CHECK constraints" : NULL;
    if (strcmp(f, "changeDataFeed") == 0) {
        const char *v = config_get(metadata, "delta.enableChangeDataFeed");
        return v && strcmp(v, "true") == 0 ? "change data feed is enabled" : NULL;
    }
    if (strcmp(f, "generatedColumns") == 0)
        return schema_has_metadata_key(schema, "delta.generationExpression") ? "the schema has generated columns" : NULL;
    if (strcmp(f, "columnMapping") == 0) {
        const char *v = config_get(metadata, "delta.columnMapping.mode");
        return v && strcmp(v, "none") != 0 ? "column mapping is on" : NULL;
    }
    if (strcmp(f, "identityColumns") == 0)
        return schema_has_metadata_key(schema, "delta.identity.") ? "the schema has identity columns" : NULL;
    return "unknown to this library";
}

llmd_status dl_check_writable(const cJSON *protocol, const cJSON *metadata, const cJSON *schema) {
    llmd_status st = dl_check_readable(protocol);
    if (st != LLMD_OK) return st;
    int64_t w = 0;
    dl_get_i64(protocol, "minWriterVersion", &w);
    if (w > 7)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "Delta table needs writer version %lld (this library writes up to 7)",
                         (long long)w);
    if (w == 7) {
        const cJSON *it;
        cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(protocol, "writerFeatures")) {
            if (!cJSON_IsString(it)) return llmd_fail(LLMD_ERR_PARSE, "protocol.writerFeatures holds a non-string");
            const char *why = writer_feature_problem(it->valuestring, metadata, schema);
            if (why)
                return llmd_fail(LLMD_ERR_UNSUPPORTED, "cannot write this Delta table: writer feature '%s': %s",
                                 it->valuestring, why);
        }
        return LLMD_OK;
    }
    /* legacy writer versions imply features: 2 invariants, 3 checkConstraints, 4 changeDataFeed and
     * generatedColumns, 5 columnMapping, 6 identityColumns */
    static const struct { int64_t v; const char *f; } legacy[] = {
        {2, "invariants"}, {3, "checkConstraints"}, {4, "changeDataFeed"}, {4, "generatedColumns"},
        {5, "columnMapping"}, {6, "identityColumns"}};
    for (size_t i = 0; i < sizeof legacy / sizeof *legacy; i++) {
        if (w < legacy[i].v) continue;
        const char *why = writer_feature_problem(legacy[i].f, metadata, schema);
        if (why)
            return llmd_fail(LLMD_ERR_UNSUPPORTED, "cannot write this Delta table (writer version %lld): %s: %s",
                             (long long)w, legacy[i].f, why);
    }
    return LLMD_OK;
}

/* ---- replay --------------------------------------------------------------------------------------------- */
static const dl_entry *find_commit(const dl_listing *l, int64_t v) {
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->e[mid].version < v || (l->e[mid].version == v && l->e[mid].kind < DL_COMMIT)) lo = mid + 1;
        else hi = mid;
    }
    return lo < l->n && l->e[lo].version == v && l->e[lo].kind == DL_COMMIT ? &l->e[lo] : NULL;
}

static llmd_status read_entry(const dl_entry *e, dl_read_fn read, void *ctx, char **data, size_t *len) {
    llmd_status st = read(ctx, e->name, data, len);
    if (st != LLMD_OK) return llmd_error_prefix("reading Delta log file %s", e->name);
    return LLMD_OK;
}

static llmd_status apply_entry(dl_state *s, const dl_entry *e, dl_read_fn read, void *ctx, bool ckpt) {
    char *data = NULL;
    size_t len = 0;
    llmd_status st = read_entry(e, read, ctx, &data, &len);
    if (st != LLMD_OK) return st;
    st = dl_apply_json(s, e->name, e->version, data, len, ckpt);
    llmd_free(data);
    return st;
}

/* All parts 1..N of the multi-part checkpoint whose entry is at index i are listed (entries are
 * sorted by version, kind, name, so the parts of one version and part count sit together). */
static bool parts_complete(const dl_listing *l, size_t i) {
    const dl_entry *e = &l->e[i];
    uint32_t seen = 0;
    for (size_t k = 0; k < l->n; k++)
        if (l->e[k].version == e->version && l->e[k].kind == DL_CKPT_PART && l->e[k].parts == e->parts) seen++;
    return seen == e->parts;
}

static llmd_status apply_parquet_entry(dl_state *s, const char *name, int64_t version, dl_read_fn read, void *ctx) {
    char *data = NULL;
    size_t len = 0;
    llmd_status st = read(ctx, name, &data, &len);
    if (st != LLMD_OK) return llmd_error_prefix("reading Delta checkpoint %s", name);
    st = dl_apply_parquet(s, name, version, data, len);
    llmd_free(data);
    return st;
}

/* Loads the checkpoint whose (last) entry is l->e[i]: every part, then its sidecars. */
static llmd_status load_checkpoint(const dl_listing *l, size_t i, dl_read_fn read, void *ctx, dl_state *s) {
    const dl_entry *e = &l->e[i];
    llmd_status st = LLMD_OK;
    if (e->kind == DL_CKPT_V2_JSON) {
        st = apply_entry(s, e, read, ctx, true);
    } else if (e->kind == DL_CKPT_PART) {
        for (size_t k = 0; st == LLMD_OK && k < l->n; k++)
            if (l->e[k].version == e->version && l->e[k].kind == DL_CKPT_PART && l->e[k].parts == e->parts)
                st = apply_parquet_entry(s, l->e[k].name, e->version, read, ctx);
    } else {
        st = apply_parquet_entry(s, e->name, e->version, read, ctx);
    }
    if (st != LLMD_OK) return st;
    const cJSON *sc;
    cJSON_ArrayForEach(sc, s->sidecars) {
        const char *p = dl_get_str(sc, "path");
        if (p == NULL) return llmd_fail(LLMD_ERR_PARSE, "checkpoint %s: sidecar action without a path", e->name);
        char *dec = dl_path_decode(p);
        if (dec == NULL) return llmd_fail_nomem("reading sidecars");
        char name[4200];
        /* a relative sidecar path lives in _delta_log/_sidecars/ */
        if (strchr(dec, '/') == NULL) snprintf(name, sizeof name, "_sidecars/%s", dec);
        else snprintf(name, sizeof name, "%s", dec);
        llmd_free(dec);
        size_t n = strlen(name);
        if (n > 5 && strcmp(name + n - 5, ".json") == 0) {
            char *data = NULL;
            size_t len = 0;
            st = read(ctx, name, &data, &len);
            if (st == LLMD_OK) st = dl_apply_json(s, name, e->version, data, len, true);
            else llmd_error_prefix("checkpoint %s: sidecar", e->name);
            llmd_free(data);
        } else {
            st = apply_parquet_entry(s, name, e->version, read, ctx);
        }
        if (st != LLMD_OK) return st;
    }
    return st;
}

static llmd_status check_state(dl_state *s, int64_t target) {
    if (s->protocol == NULL)
        return llmd_fail(LLMD_ERR_CORRUPT, "Delta table has no protocol action in versions <= %lld", (long long)target);
    /* an unreadable protocol is the clearest message, so it comes before other problems */
    llmd_status st = dl_check_readable(s->protocol);
    if (st != LLMD_OK) return st;
    if (s->metadata == NULL)
        return llmd_fail(LLMD_ERR_CORRUPT, "Delta table has no metaData action in versions <= %lld", (long long)target);
    const char *schema = dl_get_str(s->metadata, "schemaString");
    if (schema == NULL)
        return llmd_fail(LLMD_ERR_CORRUPT, "Delta metaData (version %lld) has no schemaString",
                         (long long)s->metadata_version);
    cJSON *parsed = NULL;
    st = dl_schema_parse(schema, &parsed);
    cJSON_Delete(parsed);
    if (st != LLMD_OK) return llmd_error_prefix("metaData.schemaString (version %lld)", (long long)s->metadata_version);
    return LLMD_OK;
}

llmd_status dl_replay(const dl_listing *l, int64_t version, dl_read_fn read, void *ctx, dl_state *s) {
    dl_state_init(s);
    if (l->n == 0) return llmd_fail(LLMD_ERR_NOT_FOUND, "not a Delta table: no commit in _delta_log");
    for (size_t i = 1; i < l->n; i++)
        if (l->e[i].kind == DL_COMMIT && l->e[i - 1].kind == DL_COMMIT && l->e[i].version == l->e[i - 1].version)
            return llmd_fail(LLMD_ERR_CORRUPT, "Delta log lists version %lld twice (%s, %s)",
                             (long long)l->e[i].version, l->e[i - 1].name, l->e[i].name);
    int64_t latest = l->e[l->n - 1].version;
    if (version < 0) version = latest;
    if (version > latest)
        return llmd_fail(LLMD_ERR_NOT_FOUND, "Delta version %lld does not exist (latest is %lld)",
                         (long long)version, (long long)latest);

    /* newest complete checkpoint at or before the target; one that fails to load is passed over
     * when older checkpoints or the commits can still rebuild the state (its error is kept) */
    int64_t start = 0;
    char why[600] = "";
    llmd_status ck_err = LLMD_OK;
    char ck_msg[1024] = "";
    for (size_t i = l->n; i-- > 0;) {
        const dl_entry *e = &l->e[i];
        if (e->version > version || e->kind == DL_COMMIT) continue;
        if (e->kind == DL_CKPT_PART && !parts_complete(l, i)) {
            if (why[0] == '\0') snprintf(why, sizeof why, "multi-part checkpoint %s is incomplete", e->name);
            continue;
        }
        if (e->kind == DL_CKPT_PART && e->part != e->parts) continue;   /* handled at its last part */
        llmd_status st = load_checkpoint(l, i, read, ctx, s);
        if (st == LLMD_OK) {
            start = e->version + 1;
            break;
        }
        if (ck_err == LLMD_OK) {
            ck_err = st;
            snprintf(ck_msg, sizeof ck_msg, "%s", llmd_last_error());
        }
        dl_state_free(s); /* partial state of the failed checkpoint: freed before any return */
        if (st == LLMD_ERR_NOMEM) return st;
    }
    if (start == 0 && ck_err != LLMD_OK && find_commit(l, 0) == NULL)
        return llmd_fail(ck_err, "%s", ck_msg);
    for (int64_t v = start; v <= version; v++) {
        const dl_entry *c = find_commit(l, v);
        if (c == NULL) {
            llmd_status st;
            if (v == 0 && why[0])
                st = llmd_fail(LLMD_ERR_UNSUPPORTED, "Delta log starts after version 0 and %s", why);
            else if (v == 0)
                st = llmd_fail(LLMD_ERR_CORRUPT, "Delta log has no version 0 and no checkpoint to start from");
            else
                st = llmd_fail(LLMD_ERR_CORRUPT, "Delta log versions are not contiguous: version %lld is missing%s%s",
                               (long long)v, why[0] ? "; " : "", why);
            dl_state_free(s);
            return st;
        }
        llmd_status st = apply_entry(s, c, read, ctx, false);
        if (st != LLMD_OK) { dl_state_free(s); return st; }
    }
    s->version = version;
    llmd_status st = check_state(s, version);
    if (st != LLMD_OK) dl_state_free(s);
    return st;
}
