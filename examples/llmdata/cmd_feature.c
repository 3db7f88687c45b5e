/* llmdata feature apply|materialize|materialize-incremental|get-historical|get-online --repo DIR */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata feature COMMAND --repo DIR [options]\n\n"
    "Feast-style feature store over a repo of feature view definitions (DIR/*.json; see\n"
    "include/llmdata/feature.h for the format and the point-in-time rules).\n\n"
    "  apply                        validate definitions and sources, write DIR/registry.json\n"
    "  materialize START END        latest row per entity key with START <= event time <= END into\n"
    "                               DIR/online/<view>.snapshot (ISO 8601 times)\n"
    "  materialize-incremental END  merge rows newer than the last materialized end\n"
    "  get-historical --features view:feat,...  [INPUT...] [--entities FILE.parquet]\n"
    "                               point-in-time join: each entity row (JSONL: join keys +\n"
    "                               event_timestamp) is written back, in input order, with the\n"
    "                               features added (null when no row qualifies)\n"
    "  get-online --features view:feat,... [--now ISO] [--with-status] [INPUT...]\n"
    "                               online lookup of each row's keys in the materialized snapshots\n\n"
    "Options:\n"
    "  --repo DIR                   the feature repo (required)\n"
    "  --views a,b                  materialize only these views (default: all)\n"
    "  --features LIST              comma-separated view:feature references\n"
    "  --full-feature-names         name output fields view__feature (Feast's full_feature_names)\n"
    "  --timestamp-field NAME       entity rows' time field (default event_timestamp)\n"
    "  --threads N                  join threads (default 0 = one per CPU)\n"
    "  --entities FILE.parquet      get-historical: entity rows from Parquet (join keys, the time\n"
    "                               field as TIMESTAMP, DATE, integer microseconds or ISO 8601\n"
    "                               text, other columns passed through); -o OUT.parquet writes\n"
    "                               Parquet (entity columns + features, null where no row\n"
    "                               qualifies), any other -o JSONL\n"
    "  --memory-limit BYTES         get-historical: memory for a view's source rows (K/M/G\n"
    "                               suffixes); larger sources spill to zstd temp files\n"
    "  --temp-dir DIR               where spill files go (default $TMPDIR, else /tmp)\n"
    "  -o, --output FILE            write here instead of standard output\n"
    "  -q, --quiet                  no summary line\n";

/* ---- small growable arrays (the CLI uses only the public API) -------------------------------- */
typedef struct vec {
    void *p;
    size_t n, cap, size;
} vec;

static int vec_push(vec *v, const void *item) {
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 256;
        void *q = realloc(v->p, nc * v->size);
        if (q == NULL) return -1;
        v->p = q;
        v->cap = nc;
    }
    memcpy((char *)v->p + v->n * v->size, item, v->size);
    v->n++;
    return 0;
}

static int vec_append(vec *v, const void *data, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (vec_push(v, (const char *)data + i) != 0) return -1;
    return 0;
}

/* ---- options -------------------------------------------------------------------------------- */
typedef struct opts {
    const char *repo, *features, *views, *ts_field, *output, *now, *entities, *temp_dir;
    uint64_t memory_limit;
    bool full_names, quiet, with_status;
    uint64_t threads;
    const char *pos[4];
    size_t n_pos;
    const char **inputs;
    size_t n_inputs;
} opts;

/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
static int parse_bytes(const char *opt, const char *s, uint64_t *out) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    int shift = 0;
    if (end != s && *end && end[1] == '\0') {
        const char *units = "KMGT", *u = strchr(units, *end == 'k' ? 'K' : *end);
        if (u && *u) {
            shift = 10 * (int)(u - units + 1);
            end++;
        }
    }
    if (errno || end == s || *end || s[0] == '-' || (shift && v > (UINT64_MAX >> shift)))
        return cli_error("feature", "%s: \"%s\" is not a byte count (e.g. 512M, 4G)", opt, s);
    *out = (uint64_t)v << shift;
    return 0;
}

static int parse_args(int argc, char **argv, opts *o) {
    o->ts_field = "event_timestamp";
    o->threads = 0;   /* one per CPU, as every --threads */
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage_text, stdout);
            return 3;
        }
        if (strcmp(a, "--repo") == 0) { if (cli_need_value(argc, argv, &i, &o->repo)) return 2; }
        else if (strcmp(a, "--features") == 0) { if (cli_need_value(argc, argv, &i, &o->features)) return 2; }
        else if (strcmp(a, "--views") == 0) { if (cli_need_value(argc, argv, &i, &o->views)) return 2; }
        else if (strcmp(a, "--timestamp-field") == 0) { if (cli_need_value(argc, argv, &i, &o->ts_field)) return 2; }
        else if (strcmp(a, "--now") == 0) { if (cli_need_value(argc, argv, &i, &o->now)) return 2; }
        else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) { if (cli_need_value(argc, argv, &i, &o->output)) return 2; }
        else if (strcmp(a, "--entities") == 0) { if (cli_need_value(argc, argv, &i, &o->entities)) return 2; }
        else if (strcmp(a, "--temp-dir") == 0) { if (cli_need_value(argc, argv, &i, &o->temp_dir)) return 2; }
        else if (strcmp(a, "--memory-limit") == 0) {
            const char *v;
            if (cli_need_value(argc, argv, &i, &v) || parse_bytes("--memory-limit", v, &o->memory_limit)) return 2;
        } else if (strcmp(a, "--threads") == 0) {
            const char *v;
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64("--threads", v, &o->threads)) return 2;
        } else if (strcmp(a, "--full-feature-names") == 0) o->full_names = true;
        else if (strcmp(a, "--with-status") == 0) o->with_status = true;
        else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) o->quiet = true;
        else if (a[0] == '-' && a[1] != '\0') return cli_error("feature", "unknown option %s (see --help)", a) + 1;
        else if (o->n_pos < 4) o->pos[o->n_pos++] = a;
        else return cli_error("feature", "too many arguments") + 1;
    }
    if (o->repo == NULL) return cli_error("feature", "--repo DIR is required") + 1;
    return 0;
}

static int parse_time(const char *what, const char *s, int64_t *us) {
    if (llmd_parse_timestamp(s, strlen(s), us) != LLMD_OK)
        return cli_error("feature", "%s: %s", what, llmd_last_error());
    return 0;
}

/* Splits a comma list into a NULL-terminated array (strings point into a copy). */
static char **split_list(const char *list, size_t *n) {
    char *copy = strdup(list);
    size_t cap = 2;
    for (const char *p = list; *p; p++) cap += *p == ',';
    char **out = calloc(cap, sizeof *out);
    *n = 0;
    if (copy == NULL || out == NULL) {
        free(copy);
        free(out);
        return NULL;
    }
    for (char *tok = strtok(copy, ","); tok; tok = strtok(NULL, ",")) out[(*n)++] = tok;
    if (*n == 0) free(copy);
    return out;
}

static void free_list(char **l, size_t n) {
    if (l && n) free(l[0]);
    free(l);
}

/* ---- apply / materialize ------------------------------------------------------------------- */
static int run_materialize(llmd_feature_repo *repo, const opts *o, bool incremental) {
    int64_t start = 0, end = 0;
    if (incremental ? o->n_pos != 1 : o->n_pos != 2)
        return cli_error("feature", incremental ? "materialize-incremental takes END" : "materialize takes START END") + 1;
    if (!incremental && parse_time("START", o->pos[0], &start)) return 2;
    if (parse_time("END", o->pos[incremental ? 0 : 1], &end)) return 2;
    size_t nv = 0;
    char **views = o->views ? split_list(o->views, &nv) : NULL;
    size_t count = views ? nv : llmd_feature_repo_view_count(repo);
    printf("[");
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        const char *name = views ? views[i] : llmd_feature_repo_view_name(repo, i);
        llmd_materialize_stats st;
        double t0 = cli_now();
        llmd_status s = incremental ? llmd_feature_materialize_incremental(repo, name, end, &st)
                                    : llmd_feature_materialize(repo, name, start, end, &st);
        if (s != LLMD_OK) { rc = cli_lib_error("materialize", s); break; }
        double sec = cli_now() - t0;
        printf("%s\n {\"view\": \"%s\", \"rows_read\": %llu, \"rows_in_window\": %llu, \"keys\": %llu, "
               "\"seconds\": %.3f, \"rows_per_second\": %.0f}", i ? "," : "", name, (unsigned long long)st.rows_read,
               (unsigned long long)st.rows_in_window, (unsigned long long)st.keys, sec,
               sec > 0 ? (double)st.rows_read / sec : 0.0);
    }
    printf("\n]\n");
    free_list(views, nv);
    return rc;
}

/* ---- entity rows ----------------------------------------------------------------------------- */
typedef struct rows {
    vec text;            /* char: every input line back to back */
    vec line_off;        /* size_t: n + 1 */
    size_t n;
    vec ts;              /* int64_t */
    /* join key columns */
    size_t n_keys;
    const char *key_names[64];
    int key_kind[64];    /* -1 unknown, 0 int, 1 string */
    vec key_ints[64];    /* int64_t */
    vec key_offs[64];    /* int64_t, n + 1 */
    vec key_bytes[64];   /* char */
} rows;

static int add_key_name(rows *r, const char *name) {
    for (size_t k = 0; k < r->n_keys; k++)
        if (strcmp(r->key_names[k], name) == 0) return 0;
    if (r->n_keys == 64) return cli_error("feature", "more than 64 join keys");
    r->key_names[r->n_keys] = name;
    r->key_kind[r->n_keys] = -1;
    r->key_ints[r->n_keys].size = sizeof(int64_t);
    r->key_offs[r->n_keys].size = sizeof(int64_t);
    r->key_bytes[r->n_keys].size = 1;
    int64_t zero = 0;
    if (vec_push(&r->key_offs[r->n_keys], &zero)) return cli_error("feature", "out of memory");
    r->n_keys++;
    return 0;
}

static int read_rows(const opts *o, rows *r, llmd_json_doc *doc, bool need_time) {
    static const char *stdin_only[] = {"-"};
    const char **inputs = o->n_inputs ? o->inputs : stdin_only;
    size_t n_inputs = o->n_inputs ? o->n_inputs : 1;
    r->text.size = 1;
    r->line_off.size = sizeof(size_t);
    r->ts.size = sizeof(int64_t);
    size_t zero = 0;
    if (vec_push(&r->line_off, &zero)) return cli_error("feature", "out of memory");
    for (size_t in = 0; in < n_inputs; in++) {
        llmd_reader *rd;
        llmd_status st = llmd_reader_open(&rd, inputs[in], NULL);
        if (st != LLMD_OK) return cli_lib_error("reading entity rows", st);
        for (;;) {
            const char *line;
            size_t len;
            if ((st = llmd_reader_next_line(rd, &line, &len)) != LLMD_OK) {
                llmd_reader_free(rd);
                return cli_lib_error("reading entity rows", st);
            }
            if (line == NULL) break;
            size_t k0 = 0;
            while (k0 < len && (line[k0] == ' ' || line[k0] == '\t')) k0++;
            if (k0 == len) continue;
            unsigned long long ln = (unsigned long long)llmd_reader_line_number(rd);
            if ((st = llmd_json_doc_parse(doc, line, len)) != LLMD_OK) {
                cli_error("feature", "%s:%llu: %s", inputs[in], ln, llmd_last_error());
                llmd_reader_free(rd);
                return 1;
            }
            const char *raw;
            size_t rl;
            int64_t t = 0;
            if (!need_time) {
                /* online lookups need only the keys */
            } else if (llmd_json_doc_get_raw(doc, o->ts_field, &raw, &rl) != LLMD_OK) {
                cli_error("feature", "%s:%llu: no \"%s\" field", inputs[in], ln, o->ts_field);
                llmd_reader_free(rd);
                return 1;
            }
            if (!need_time) {
                st = LLMD_OK;
            } else if (raw[0] == '"') {
                const char *s;
                size_t sl;
                llmd_json_doc_get_string(doc, o->ts_field, &s, &sl);
                st = llmd_parse_timestamp(s, sl, &t);
            } else {
                char *end;
                errno = 0;
                t = strtoll(raw, &end, 10);
                st = errno || end != raw + rl ? LLMD_ERR_PARSE : LLMD_OK;
            }
            if (st != LLMD_OK) {
                cli_error("feature", "%s:%llu: field \"%s\": not an ISO 8601 time or integer epoch microseconds",
                          inputs[in], ln, o->ts_field);
                llmd_reader_free(rd);
                return 1;
            }
            for (size_t k = 0; k < r->n_keys; k++) {
                if (llmd_json_doc_get_raw(doc, r->key_names[k], &raw, &rl) != LLMD_OK) {
                    cli_error("feature", "%s:%llu: join key \"%s\" is missing", inputs[in], ln, r->key_names[k]);
                    llmd_reader_free(rd);
                    return 1;
                }
                int kind = raw[0] == '"' ? 1 : 0;
                if (r->key_kind[k] >= 0 && r->key_kind[k] != kind) {
                    cli_error("feature", "%s:%llu: join key \"%s\" is %s here but %s in earlier rows", inputs[in], ln,
                              r->key_names[k], kind ? "a string" : "a number", kind ? "a number" : "a string");
                    llmd_reader_free(rd);
                    return 1;
                }
                r->key_kind[k] = kind;
                if (kind) {
                    const char *s;
                    size_t sl;
                    llmd_json_doc_get_string(doc, r->key_names[k], &s, &sl);
                    int64_t off;
                    if (vec_append(&r->key_bytes[k], s, sl)) return cli_error("feature", "out of memory");
                    off = (int64_t)r->key_bytes[k].n;
                    if (vec_push(&r->key_offs[k], &off)) return cli_error("feature", "out of memory");
                } else {
                    char *end;
                    errno = 0;
                    int64_t v = strtoll(raw, &end, 10);
                    if (errno || end != raw + rl) {
                        cli_error("feature", "%s:%llu: join key \"%s\" must be an integer or a string", inputs[in], ln,
                                  r->key_names[k]);
                        llmd_reader_free(rd);
                        return 1;
                    }
                    if (vec_push(&r->key_ints[k], &v)) return cli_error("feature", "out of memory");
                }
            }
            size_t off;
            if (vec_push(&r->ts, &t) || vec_append(&r->text, line, len)) return cli_error("feature", "out of memory");
            off = r->text.n;
            if (vec_push(&r->line_off, &off)) return cli_error("feature", "out of memory");
            r->n++;
        }
        llmd_reader_free(rd);
    }
    return 0;
}

static void free_rows(rows *r) {
    free(r->text.p);
    free(r->line_off.p);
    free(r->ts.p);
    for (size_t k = 0; k < r->n_keys; k++) {
        free(r->key_ints[k].p);
        free(r->key_offs[k].p);
        free(r->key_bytes[k].p);
    }
}

static void key_columns(rows *r, llmd_key_column *cols) {
    for (size_t k = 0; k < r->n_keys; k++)
        cols[k] = (llmd_key_column){.name = r->key_names[k], .is_string = r->key_kind[k] == 1,
                                    .ints = r->key_ints[k].p ? r->key_ints[k].p : (void *)"",
                                    .offsets = r->key_offs[k].p, .bytes = r->key_bytes[k].p ? r->key_bytes[k].p : ""};
}

/* ---- rendering values as JSON ---------------------------------------------------------------- */
static int put_str(vec *b, const char *s) { return vec_append(b, s, strlen(s)); }

static int put_json_string(vec *b, const char *s, size_t n) {
    static const char hex[] = "0123456789abcdef";
    if (vec_push(b, "\"")) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[7] = {0};
        if (c == '"' || c == '\\') { esc[0] = '\\'; esc[1] = (char)c; }
        else if (c < 0x20) { esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0'; esc[4] = hex[c >> 4]; esc[5] = hex[c & 15]; }
        if (esc[0] ? put_str(b, esc) : vec_push(b, &s[i])) return -1;
    }
    return vec_push(b, "\"");
}

static int put_base64(vec *b, const unsigned char *s, size_t n) {
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    if (vec_push(b, "\"")) return -1;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)s[i] << 16 | (i + 1 < n ? (uint32_t)s[i + 1] << 8 : 0) | (i + 2 < n ? s[i + 2] : 0);
        char q[4] = {t[v >> 18 & 63], t[v >> 12 & 63], i + 1 < n ? t[v >> 6 & 63] : '=', i + 2 < n ? t[v & 63] : '='};
        if (vec_append(b, q, 4)) return -1;
    }
    return vec_push(b, "\"");
}

static int put_value(vec *b, const llmd_feature_column *c, size_t r) {
    char num[64];
    if (!c->validity[r]) return put_str(b, "null");
    switch (c->dtype) {
    case LLMD_FEATURE_INT64: snprintf(num, sizeof num, "%lld", (long long)((const int64_t *)c->values)[r]); return put_str(b, num);
    case LLMD_FEATURE_FLOAT32: snprintf(num, sizeof num, "%.9g", (double)((const float *)c->values)[r]); return put_str(b, num);
    case LLMD_FEATURE_FLOAT64: snprintf(num, sizeof num, "%.17g", ((const double *)c->values)[r]); return put_str(b, num);
    case LLMD_FEATURE_BOOL: return put_str(b, ((const uint8_t *)c->values)[r] ? "true" : "false");
    case LLMD_FEATURE_STRING:
        return put_json_string(b, (const char *)c->values + c->offsets[r], (size_t)(c->offsets[r + 1] - c->offsets[r]));
    case LLMD_FEATURE_BYTES:
        return put_base64(b, (const unsigned char *)c->values + c->offsets[r], (size_t)(c->offsets[r + 1] - c->offsets[r]));
    case LLMD_FEATURE_FLOAT32_VECTOR: {
        if (vec_push(b, "[")) return -1;
        for (uint32_t k = 0; k < c->vector_length; k++) {
            snprintf(num, sizeof num, "%s%.9g", k ? ", " : "", (double)((const float *)c->values)[r * c->vector_length + k]);
            if (put_str(b, num)) return -1;
        }
        return vec_push(b, "]");
    }
    }
    return put_str(b, "null");
}

static const char *status_name(int s) {
    switch (s) {
    case LLMD_FEATURE_PRESENT: return "PRESENT";
    case LLMD_FEATURE_MISSING: return "NOT_FOUND";
    case LLMD_FEATURE_OUTSIDE_TTL: return "OUTSIDE_MAX_AGE";
    default: return "NULL_VALUE";
    }
}

/* Writes every entity row with the given result columns added. */
static int write_rows(const opts *o, rows *r, llmd_json_doc *doc, llmd_feature_result **res, const size_t *res_col,
                      const char *const *names, size_t n_out, const uint8_t *const *status, const size_t *status_stride,
                      const size_t *status_idx) {
    cli_out out;   /* compressed by its name (.zst, .gz) and published whole, as every JSONL output */
    if (cli_out_open("feature", &out, o->output) != 0) return 1;
    vec b = {.size = 1};
    int rc = 0;
    const size_t *lo = r->line_off.p;
    for (size_t i = 0; i < r->n && rc == 0; i++) {
        llmd_status st = llmd_json_doc_parse(doc, (const char *)r->text.p + lo[i], lo[i + 1] - lo[i]);
        for (size_t f = 0; f < n_out && st == LLMD_OK; f++) {
            llmd_feature_column c;
            llmd_feature_result_column(res[f], res_col[f], &c);
            b.n = 0;
            if (put_value(&b, &c, i) != 0) { rc = cli_error("feature", "out of memory"); break; }
            st = llmd_json_doc_set_raw(doc, names[f], b.p, b.n);
        }
        if (rc == 0 && st == LLMD_OK && status) {
            b.n = 0;
            put_str(&b, "{");
            for (size_t f = 0; f < n_out; f++) {
                char head[16];
                snprintf(head, sizeof head, "%s", f ? ", " : "");
                put_str(&b, head);
                put_json_string(&b, names[f], strlen(names[f]));
                put_str(&b, ": \"");
                put_str(&b, status_name(status[f][i * status_stride[f] + status_idx[f]]));
                put_str(&b, "\"");
            }
            put_str(&b, "}");
            st = llmd_json_doc_set_raw(doc, "_status", b.p, b.n);
        }
        const char *text;
        size_t tl;
        if (rc == 0 && st == LLMD_OK) st = llmd_json_doc_render(doc, &text, &tl);
        if (rc == 0 && st != LLMD_OK) rc = cli_lib_error("writing a row", st);
        if (rc == 0 && (cli_out_write("feature", &out, text, tl) != 0 || cli_out_write("feature", &out, "\n", 1) != 0))
            rc = 1;
    }
    free(b.p);
    if (rc == 0) rc = cli_out_commit("feature", &out);
    cli_out_close(&out);
    return rc;
}

/* ---- Parquet entity rows in (--entities FILE.parquet), Parquet or JSONL out ------------------- */
typedef struct pq_in {
    llmd_parquet_reader *r;
    size_t n_batches;
    llmd_parquet_batch **batches;
    int64_t *first_row;  /* n_batches + 1 */
} pq_in;

static void pq_in_free(pq_in *p) {
    for (size_t b = 0; b < p->n_batches; b++) llmd_parquet_batch_free(p->batches[b]);
    free(p->batches);
    free(p->first_row);
    llmd_parquet_reader_free(p->r);
}

static bool pq_valid(const llmd_column *c, int64_t i) {
    int64_t s = c->offset + i;
    return c->validity == NULL || (c->validity[s >> 3] >> (s & 7)) & 1;
}

static int64_t pq_offset(const llmd_column *c, int64_t slot) {
    return c->offsets64 ? ((const int64_t *)c->offsets)[slot] : ((const int32_t *)c->offsets)[slot];
}

/* An integer column's value as int64 (false for other types and UINT64 above INT64_MAX). */
static bool pq_int(const llmd_column *c, llmd_type_id id, int64_t i, int64_t *out) {
    int64_t s = c->offset + i;
    switch (id) {
    case LLMD_TYPE_INT8: *out = ((const int8_t *)c->values)[s]; return true;
    case LLMD_TYPE_INT16: *out = ((const int16_t *)c->values)[s]; return true;
    case LLMD_TYPE_INT32: case LLMD_TYPE_DATE: *out = ((const int32_t *)c->values)[s]; return true;
    case LLMD_TYPE_INT64: case LLMD_TYPE_TIMESTAMP: *out = ((const int64_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT8: *out = ((const uint8_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT16: *out = ((const uint16_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT32: *out = ((const uint32_t *)c->values)[s]; return true;
    case LLMD_TYPE_UINT64: *out = (int64_t)((const uint64_t *)c->values)[s]; return *out >= 0;
    default: return false;
    }
}

/* Entity time in epoch microseconds: TIMESTAMP (any unit; zone-less read as UTC), DATE, an integer
 * (microseconds, as in JSONL) or ISO 8601 text. */
static int pq_time(const llmd_column *c, llmd_type ty, int64_t i, int64_t *us) {
    int64_t v;
    if (ty.id == LLMD_TYPE_STRING) {
        int64_t a = pq_offset(c, c->offset + i), b = pq_offset(c, c->offset + i + 1);
        return llmd_parse_timestamp((const char *)c->values + a, (size_t)(b - a), us) == LLMD_OK ? 0 : -1;
    }
    if (!pq_int(c, ty.id, i, &v)) return -1;
    if (ty.id == LLMD_TYPE_DATE) v *= 86400LL * 1000000;
    else if (ty.id == LLMD_TYPE_TIMESTAMP && ty.unit == LLMD_TIME_MILLIS) v *= 1000;
    else if (ty.id == LLMD_TYPE_TIMESTAMP && ty.unit == LLMD_TIME_NANOS) v = v >= 0 ? v / 1000 : -((-(v + 1)) / 1000) - 1;
    *us = v;
    return 0;
}

static int read_parquet_rows(const opts *o, rows *r, pq_in *p) {
    llmd_status st = llmd_parquet_reader_open(&p->r, o->entities, NULL);
    if (st != LLMD_OK) return cli_lib_error(o->entities, st);
    const llmd_schema *s = llmd_parquet_reader_schema(p->r);
    int ts_id = llmd_schema_find(s, 0, o->ts_field);
    if (ts_id < 0) return cli_error("feature", "%s: no \"%s\" column (--timestamp-field)", o->entities, o->ts_field);
    int key_id[64], ts_col = -1, key_col[64];
    for (size_t k = 0; k < r->n_keys; k++) {
        key_id[k] = llmd_schema_find(s, 0, r->key_names[k]);
        if (key_id[k] < 0) return cli_error("feature", "%s: no join key column \"%s\"", o->entities, r->key_names[k]);
        llmd_type_id t = llmd_schema_type(s, key_id[k]).id;
        r->key_kind[k] = t == LLMD_TYPE_STRING || t == LLMD_TYPE_BINARY ? 1 : 0;
        int64_t dummy;
        if (!r->key_kind[k] && !pq_int(&(llmd_column){.values = &(int64_t){0}}, t, 0, &dummy))
            return cli_error("feature", "%s: join key \"%s\" is %s (a string or an integer column expected)",
                             o->entities, r->key_names[k], llmd_type_name(t));
    }
    /* Which batch column is which: the batch holds every top-level field in schema order. */
    int n_top = llmd_schema_child_count(s, 0);
    for (int c = 0; c < n_top; c++) {
        int id = llmd_schema_child(s, 0, c);
        if (id == ts_id) ts_col = c;
        for (size_t k = 0; k < r->n_keys; k++)
            if (id == key_id[k]) key_col[k] = c;
    }
    llmd_type ts_type = llmd_schema_type(s, ts_id);
    int groups = llmd_parquet_reader_num_row_groups(p->r);
    p->batches = calloc((size_t)groups + 1, sizeof *p->batches);
    p->first_row = calloc((size_t)groups + 1, sizeof *p->first_row);
    r->ts.size = sizeof(int64_t);
    if (p->batches == NULL || p->first_row == NULL) return cli_error("feature", "out of memory");
    for (int g = 0; g < groups; g++) {
        llmd_parquet_batch *b;
        if ((st = llmd_parquet_reader_read_row_group(p->r, g, &b)) != LLMD_OK) return cli_lib_error(o->entities, st);
        p->batches[p->n_batches++] = b;
        int64_t n = llmd_parquet_batch_rows(b);
        const llmd_column *tc = llmd_parquet_batch_column(b, (size_t)ts_col);
        for (int64_t i = 0; i < n; i++) {
            int64_t t;
            if (!pq_valid(tc, i) || pq_time(tc, ts_type, i, &t) != 0)
                return cli_error("feature", "%s: row %lld: \"%s\" is null or not a time", o->entities,
                                 (long long)(r->n + (size_t)i), o->ts_field);
            if (vec_push(&r->ts, &t)) return cli_error("feature", "out of memory");
            for (size_t k = 0; k < r->n_keys; k++) {
                const llmd_column *kc = llmd_parquet_batch_column(b, (size_t)key_col[k]);
                if (!pq_valid(kc, i))
                    return cli_error("feature", "%s: row %lld: join key \"%s\" is null", o->entities,
                                     (long long)(r->n + (size_t)i), r->key_names[k]);
                if (r->key_kind[k]) {
                    int64_t a = pq_offset(kc, kc->offset + i), e = pq_offset(kc, kc->offset + i + 1);
                    int64_t off;
                    if (vec_append(&r->key_bytes[k], (const char *)kc->values + a, (size_t)(e - a)))
                        return cli_error("feature", "out of memory");
                    off = (int64_t)r->key_bytes[k].n;
                    if (vec_push(&r->key_offs[k], &off)) return cli_error("feature", "out of memory");
                } else {
                    int64_t v;
                    if (!pq_int(kc, llmd_schema_type(s, key_id[k]).id, i, &v))
                        return cli_error("feature", "%s: join key \"%s\" above INT64_MAX", o->entities, r->key_names[k]);
                    if (vec_push(&r->key_ints[k], &v)) return cli_error("feature", "out of memory");
                }
            }
        }
        r->n += (size_t)n;
        p->first_row[p->n_batches] = (int64_t)r->n;
    }
    return 0;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* One result column in Arrow's layout, whole (the writer takes slices through `offset`). */
typedef struct arrow_col {
    llmd_column col, child;
    uint8_t *validity, *bools;
    int64_t *list_offs;
} arrow_col;

static void arrow_col_free(arrow_col *a) {
    free(a->validity);
    free(a->bools);
    free(a->list_offs);
}

static int to_arrow(const llmd_feature_column *c, arrow_col *a) {
    size_t n = c->length;
    memset(a, 0, sizeof *a);
    a->validity = calloc(n / 8 + 1, 1);
    if (a->validity == NULL) return -1;
    for (size_t i = 0; i < n; i++)
        if (c->validity[i]) a->validity[i >> 3] |= (uint8_t)(1u << (i & 7));
    a->col = (llmd_column){.length = (int64_t)n, .validity = a->validity, .values = c->values};
    if (c->dtype == LLMD_FEATURE_BOOL) {
        if ((a->bools = calloc(n / 8 + 1, 1)) == NULL) return -1;
        for (size_t i = 0; i < n; i++)
            if (((const uint8_t *)c->values)[i]) a->bools[i >> 3] |= (uint8_t)(1u << (i & 7));
        a->col.values = a->bools;
    } else if (c->dtype == LLMD_FEATURE_STRING || c->dtype == LLMD_FEATURE_BYTES) {
        a->col.offsets = c->offsets;
        a->col.offsets64 = 1;
    } else if (c->dtype == LLMD_FEATURE_FLOAT32_VECTOR) {
        if ((a->list_offs = malloc((n + 1) * sizeof *a->list_offs)) == NULL) return -1;
        for (size_t i = 0; i <= n; i++) a->list_offs[i] = (int64_t)(i * c->vector_length);
        a->child = (llmd_column){.length = (int64_t)(n * c->vector_length), .values = c->values};
        a->col = (llmd_column){.length = (int64_t)n, .validity = a->validity, .offsets = a->list_offs, .offsets64 = 1,
                               .children = &a->child, .n_children = 1};
    }
    return 0;
}

static llmd_type arrow_type(llmd_feature_dtype dt) {
    switch (dt) {
    case LLMD_FEATURE_INT64: return (llmd_type){.id = LLMD_TYPE_INT64};
    case LLMD_FEATURE_FLOAT32: return (llmd_type){.id = LLMD_TYPE_FLOAT};
    case LLMD_FEATURE_FLOAT64: return (llmd_type){.id = LLMD_TYPE_DOUBLE};
    case LLMD_FEATURE_STRING: return (llmd_type){.id = LLMD_TYPE_STRING};
    case LLMD_FEATURE_BYTES: return (llmd_type){.id = LLMD_TYPE_BINARY};
    case LLMD_FEATURE_BOOL: return (llmd_type){.id = LLMD_TYPE_BOOL};
    case LLMD_FEATURE_FLOAT32_VECTOR: return (llmd_type){.id = LLMD_TYPE_LIST};
    }
    return (llmd_type){.id = LLMD_TYPE_INT64};
}

/* The entity file's columns, then one column per feature, one row group per input row group;
 * published atomically by the writer.  The Delta versions read go into the key/value metadata. */
static int write_parquet(const opts *o, const pq_in *p, llmd_feature_result *res, const char *versions_json) {
    size_t nf = llmd_feature_result_column_count(res);
    llmd_schema *s = NULL;
    llmd_parquet_writer *w = NULL;
    arrow_col *ac = calloc(nf ? nf : 1, sizeof *ac);
    size_t n_in = (size_t)llmd_schema_child_count(llmd_parquet_reader_schema(p->r), 0);
    llmd_column *cols = calloc(n_in + nf, sizeof *cols);
    int rc = ac && cols ? 0 : cli_error("feature", "out of memory");
    llmd_status st = LLMD_OK;
    if (rc == 0 && (st = llmd_schema_clone(&s, llmd_parquet_reader_schema(p->r))) != LLMD_OK) rc = cli_lib_error("schema", st);
    for (size_t f = 0; f < nf && rc == 0; f++) {
        llmd_feature_column c;
        llmd_feature_result_column(res, f, &c);
        if (llmd_schema_find(s, 0, c.name) >= 0) {
            rc = cli_error("feature", "feature \"%s\" has the name of an entity column (use --full-feature-names)", c.name);
            break;
        }
        llmd_type t = arrow_type(c.dtype);
        int id;
        st = llmd_schema_add(s, 0, c.name, &t, 1, &id);
        if (st == LLMD_OK && c.dtype == LLMD_FEATURE_FLOAT32_VECTOR)
            st = llmd_schema_add(s, id, "element", &(llmd_type){.id = LLMD_TYPE_FLOAT}, 0, NULL);
        if (st != LLMD_OK) rc = cli_lib_error("schema", st);
        else if (to_arrow(&c, &ac[f]) != 0) rc = cli_error("feature", "out of memory");
    }
    if (rc == 0 && (st = llmd_parquet_writer_open(&w, o->output, s, NULL)) != LLMD_OK) rc = cli_lib_error(o->output, st);
    if (rc == 0 && versions_json[0] &&
        (st = llmd_parquet_writer_set_metadata(w, "llmdata.feature.delta_versions", versions_json)) != LLMD_OK)
        rc = cli_lib_error(o->output, st);
    for (size_t b = 0; b < p->n_batches && rc == 0; b++) {
        int64_t first = p->first_row[b], n = p->first_row[b + 1] - first;
        for (size_t c = 0; c < n_in; c++) cols[c] = *llmd_parquet_batch_column(p->batches[b], c);
        for (size_t f = 0; f < nf; f++) {
            cols[n_in + f] = ac[f].col;
            cols[n_in + f].offset = first;   /* Arrow slice: rows first .. first + n */
            cols[n_in + f].length = n;
        }
        if ((st = llmd_parquet_writer_write(w, cols, n_in + nf)) != LLMD_OK ||
            (st = llmd_parquet_writer_flush(w)) != LLMD_OK)
            rc = cli_lib_error(o->output, st);
    }
    if (rc == 0 && (st = llmd_parquet_writer_finish(w)) != LLMD_OK) rc = cli_lib_error(o->output, st);
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);
    for (size_t f = 0; ac && f < nf; f++) arrow_col_free(&ac[f]);
    free(ac);
    free(cols);
    return rc;
}

/* A Parquet entity value as JSON, for JSONL output of Parquet entity rows: numbers, strings,
 * booleans, binary as base64, TIMESTAMP as ISO 8601 UTC, DATE as YYYY-MM-DD; -1 for other types. */
static int put_pq_value(vec *b, const llmd_column *c, llmd_type ty, int64_t i) {
    char num[64];
    int64_t s = c->offset + i, v;
    if (!pq_valid(c, i)) return put_str(b, "null");
    if (ty.id == LLMD_TYPE_TIMESTAMP || ty.id == LLMD_TYPE_DATE) {
        int64_t us;
        if (pq_time(c, ty, i, &us) != 0) return -1;
        int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000), frac = us - secs * 1000000;
        time_t tt = (time_t)secs;
        struct tm tm;
        gmtime_r(&tt, &tm);
        size_t k = strftime(num, sizeof num, ty.id == LLMD_TYPE_DATE ? "\"%Y-%m-%d" : "\"%Y-%m-%dT%H:%M:%S", &tm);
        if (ty.id == LLMD_TYPE_TIMESTAMP) snprintf(num + k, sizeof num - k, ".%06lldZ\"", (long long)frac);
        else snprintf(num + k, sizeof num - k, "\"");
        return put_str(b, num);
    }
    if (pq_int(c, ty.id, i, &v)) {
        snprintf(num, sizeof num, "%lld", (long long)v);
        return put_str(b, num);
    }
    switch (ty.id) {
    case LLMD_TYPE_UINT64:
        snprintf(num, sizeof num, "%llu", (unsigned long long)((const uint64_t *)c->values)[s]);
        return put_str(b, num);
    case LLMD_TYPE_FLOAT: snprintf(num, sizeof num, "%.9g", (double)((const float *)c->values)[s]); return put_str(b, num);
    case LLMD_TYPE_DOUBLE: snprintf(num, sizeof num, "%.17g", ((const double *)c->values)[s]); return put_str(b, num);
    case LLMD_TYPE_BOOL: return put_str(b, (((const uint8_t *)c->values)[s >> 3] >> (s & 7)) & 1 ? "true" : "false");
    case LLMD_TYPE_STRING: case LLMD_TYPE_BINARY: {
        int64_t a = pq_offset(c, s), e = pq_offset(c, s + 1);
        return ty.id == LLMD_TYPE_STRING ? put_json_string(b, (const char *)c->values + a, (size_t)(e - a))
                                         : put_base64(b, (const unsigned char *)c->values + a, (size_t)(e - a));
    }
    default: return -1;
    }
}

static int write_jsonl_from_parquet(const opts *o, const pq_in *p, llmd_feature_result *res) {
    FILE *out = stdout;
    if (o->output && strcmp(o->output, "-") != 0 && (out = fopen(o->output, "wb")) == NULL)
        return cli_error("feature", "cannot open output %s: %s", o->output, strerror(errno));
    const llmd_schema *s = llmd_parquet_reader_schema(p->r);
    size_t n_in = (size_t)llmd_schema_child_count(s, 0), nf = llmd_feature_result_column_count(res);
    vec b = {.size = 1};
    int rc = 0;
    for (size_t bi = 0; bi < p->n_batches && rc == 0; bi++) {
        int64_t first = p->first_row[bi], n = p->first_row[bi + 1] - first;
        for (int64_t i = 0; i < n && rc == 0; i++) {
            b.n = 0;
            int bad = put_str(&b, "{");
            for (size_t c = 0; c < n_in && !bad; c++) {
                int id = llmd_schema_child(s, 0, (int)c);
                const char *name = llmd_schema_name(s, id);
                bad = (c ? put_str(&b, ", ") : 0) || put_json_string(&b, name, strlen(name)) || put_str(&b, ": ");
                if (!bad && put_pq_value(&b, llmd_parquet_batch_column(p->batches[bi], c), llmd_schema_type(s, id), i)) {
                    rc = cli_error("feature", "%s: column \"%s\" (%s) cannot be written as JSON; use -o OUT.parquet",
                                   o->entities, name, llmd_type_name(llmd_schema_type(s, id).id));
                    break;
                }
            }
            for (size_t f = 0; f < nf && !bad && rc == 0; f++) {
                llmd_feature_column c;
                llmd_feature_result_column(res, f, &c);
                bad = put_str(&b, ", ") || put_json_string(&b, c.name, strlen(c.name)) || put_str(&b, ": ") ||
                      put_value(&b, &c, (size_t)(first + i));
            }
            if (rc == 0 && (bad || put_str(&b, "}\n"))) rc = cli_error("feature", "out of memory");
            if (rc == 0 && fwrite(b.p, 1, b.n, out) != b.n) rc = cli_error("feature", "write failed: %s", strerror(errno));
        }
    }
    free(b.p);
    if (fflush(out) != 0 && rc == 0) rc = cli_error("feature", "write failed: %s", strerror(errno));
    if (out != stdout && fclose(out) != 0 && rc == 0) rc = cli_error("feature", "closing output failed: %s", strerror(errno));
    return rc;
}

/* ---- get-historical / get-online ---------------------------------------------------------------- */
static int run_lookup(llmd_feature_repo *repo, opts *o, bool online) {
    if (o->features == NULL) return cli_error("feature", "--features view:feature,... is required") + 1;
    o->inputs = o->pos;
    o->n_inputs = o->n_pos;
    size_t nf = 0;
    char **feats = split_list(o->features, &nf);
    if (feats == NULL || nf == 0) {
        free_list(feats, nf);
        return cli_error("feature", "--features lists no feature") + 1;
    }
    rows r = {0};
    int rc = 0;
    /* Join keys of every requested view. */
    for (size_t f = 0; f < nf && rc == 0; f++) {
        char *colon = strchr(feats[f], ':');
        if (colon == NULL) { rc = cli_error("feature", "feature \"%s\": expected view:feature", feats[f]) + 1; break; }
        *colon = '\0';
        int64_t v = llmd_feature_repo_find_view(repo, feats[f]);
        *colon = ':';
        if (v < 0) { rc = cli_error("feature", "feature \"%s\": no such view in %s", feats[f], o->repo) + 1; break; }
        for (size_t k = 0; k < llmd_feature_repo_join_key_count(repo, (size_t)v) && rc == 0; k++)
            rc = add_key_name(&r, llmd_feature_repo_join_key(repo, (size_t)v, k));
    }
    pq_in pq = {0};
    bool parquet_out = o->output && ends_with(o->output, ".parquet");
    if (rc == 0 && o->entities && (online || o->n_inputs))
        rc = cli_error("feature", online ? "--entities is for get-historical" : "give entity rows either as --entities "
                       "FILE.parquet or as JSONL inputs, not both") + 1;
    if (rc == 0 && parquet_out && !o->entities)
        rc = cli_error("feature", "-o %s: Parquet output needs Parquet entity rows (--entities FILE.parquet)", o->output) + 1;
    llmd_json_doc *doc = NULL;
    if (rc == 0 && llmd_json_doc_new(&doc) != LLMD_OK) rc = cli_error("feature", "out of memory");
    double t0 = cli_now();
    if (rc == 0) rc = o->entities ? read_parquet_rows(o, &r, &pq) : read_rows(o, &r, doc, !online);
    double t_read = cli_now() - t0;
    llmd_key_column cols[64];
    key_columns(&r, cols);
    llmd_feature_result **res = calloc(nf, sizeof *res);
    size_t *res_col = calloc(nf, sizeof *res_col), *stride = calloc(nf, sizeof *stride), *sidx = calloc(nf, sizeof *sidx);
    const uint8_t **status = calloc(nf, sizeof *status);
    char **names = calloc(nf, sizeof *names);
    if (rc == 0 && (!res || !res_col || !stride || !sidx || !status || !names)) rc = cli_error("feature", "out of memory");
    double t1 = cli_now();
    char versions[4096] = "";   /* {"view": delta version, ...} */
    uint64_t spilled = 0;
    if (rc == 0 && !online) {
        llmd_historical_options ho = LLMD_HISTORICAL_OPTIONS_INIT;
        ho.full_feature_names = o->full_names;
        ho.threads = (unsigned)o->threads;
        ho.memory_limit = o->memory_limit;
        ho.temp_dir = o->temp_dir;
        llmd_feature_result *all;
        llmd_status st = llmd_feature_historical(repo, (const char *const *)feats, nf, cols, r.n_keys, r.ts.p ? r.ts.p : (void *)"",
                                                 r.n, &ho, &all);
        if (st != LLMD_OK) rc = cli_lib_error("get-historical", st);
        for (size_t f = 0; f < nf && rc == 0; f++) {
            /* A training set names the Delta version it was built from (one line per view). */
            int64_t ver = llmd_feature_result_source_version(all, f);
            bool first_of_view = true;
            for (size_t g = 0; g < f; g++)
                first_of_view &= strcspn(feats[g], ":") != strcspn(feats[f], ":") ||
                                 strncmp(feats[g], feats[f], strcspn(feats[f], ":")) != 0;
            if (ver >= 0 && first_of_view && !o->quiet)
                fprintf(stderr, "llmdata feature get-historical: view %.*s read at Delta version %lld\n",
                        (int)strcspn(feats[f], ":"), feats[f], (long long)ver);
            if (ver >= 0 && first_of_view && strlen(versions) + strlen(feats[f]) + 32 < sizeof versions)
                snprintf(versions + strlen(versions), sizeof versions - strlen(versions), "%s\"%.*s\": %lld",
                         versions[0] ? ", " : "{", (int)strcspn(feats[f], ":"), feats[f], (long long)ver);
            res[f] = all;
            res_col[f] = f;
            spilled = llmd_feature_result_spill_bytes(all);
            llmd_feature_column c;
            llmd_feature_result_column(all, f, &c);
            names[f] = strdup(c.name);
        }
    }
    int64_t now = 0;
    if (rc == 0 && online) {
        if (o->now) rc = parse_time("--now", o->now, &now) ? 2 : 0;
        else now = (int64_t)time(NULL) * 1000000;
    }
    for (size_t f = 0; f < nf && rc == 0 && online; f++) {
        char *colon = strchr(feats[f], ':');
        *colon = '\0';
        llmd_online_snapshot *snap;
        llmd_status st = llmd_online_snapshot_open(&snap, repo, feats[f]);
        const char *one = colon + 1;
        if (st == LLMD_OK) st = llmd_online_lookup(snap, cols, r.n_keys, r.n, &one, 1, now, &res[f]);
        if (st != LLMD_OK) rc = cli_lib_error("get-online", st);
        else {
            size_t l = strlen(feats[f]) + strlen(one) + 3;
            names[f] = malloc(l);
            if (names[f]) snprintf(names[f], l, o->full_names ? "%s__%s" : "%s%s", o->full_names ? feats[f] : "", one);
            status[f] = llmd_feature_result_status(res[f]);
            stride[f] = 1;
        }
        llmd_online_snapshot_free(snap);
        *colon = ':';
    }
    double t_join = cli_now() - t1;
    if (versions[0]) strcat(versions, "}");
    if (rc == 0 && o->entities)
        rc = parquet_out ? write_parquet(o, &pq, res[0], versions) : write_jsonl_from_parquet(o, &pq, res[0]);
    else if (rc == 0)
        rc = write_rows(o, &r, doc, res, res_col, (const char *const *)names, nf, o->with_status ? status : NULL,
                        stride, sidx);
    if (rc == 0 && spilled && !o->quiet)
        fprintf(stderr, "llmdata feature get-historical: sources over --memory-limit spilled %llu bytes to temp files\n",
                (unsigned long long)spilled);
    if (rc == 0 && !o->quiet)
        fprintf(stderr, "llmdata feature %s: rows %zu, features %zu, read %.3f s, %s %.3f s (%.0f rows/s)\n",
                online ? "get-online" : "get-historical", r.n, nf, t_read, online ? "lookup" : "join", t_join,
                t_join > 0 ? (double)r.n / t_join : 0.0);
    if (res) {
        for (size_t f = 0; f < nf; f++)
            if (res[f] && (f == 0 || res[f] != res[f - 1])) llmd_feature_result_free(res[f]);
    }
    for (size_t f = 0; names && f < nf; f++) free(names[f]);
    free(names);
    free(res);
    free(res_col);
    free(stride);
    free(sidx);
    free(status);
    llmd_json_doc_free(doc);
    pq_in_free(&pq);
    free_rows(&r);
    free_list(feats, nf);
    return rc;
}

int cmd_feature(int argc, char **argv);
int cmd_feature(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1];
    opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc == 3) return 0;
    if (rc != 0) return 2;
    bool known = strcmp(sub, "apply") == 0 || strcmp(sub, "materialize") == 0 ||
                 strcmp(sub, "materialize-incremental") == 0 || strcmp(sub, "get-historical") == 0 ||
                 strcmp(sub, "get-online") == 0;
    if (!known) return cli_error("feature", "unknown command '%s' (apply, materialize, materialize-incremental, "
                                 "get-historical, get-online)", sub) + 1;
    llmd_feature_repo *repo;
    llmd_status st = llmd_feature_repo_open(&repo, o.repo);
    if (st != LLMD_OK) return cli_lib_error("feature repo", st);
    if (strcmp(sub, "apply") == 0) {
        st = llmd_feature_repo_apply(repo);
        if (st == LLMD_OK) printf("{\"views\": %zu, \"registry\": \"%s/registry.json\"}\n", llmd_feature_repo_view_count(repo), o.repo);
        rc = st == LLMD_OK ? 0 : cli_lib_error("apply", st);
    } else if (strcmp(sub, "materialize") == 0) {
        rc = run_materialize(repo, &o, false);
    } else if (strcmp(sub, "materialize-incremental") == 0) {
        rc = run_materialize(repo, &o, true);
    } else {
        rc = run_lookup(repo, &o, strcmp(sub, "get-online") == 0);
    }
    llmd_feature_repo_free(repo);
    return rc;
}
