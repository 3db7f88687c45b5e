/* llmdata parquet — a quick look at a Parquet file (like parquet-tools): schema, first rows,
 * statistics.  JSON output. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char usage_text[] =
    "usage: llmdata parquet schema FILE\n"
    "       llmdata parquet head [-n N] [--columns A,B] FILE\n"
    "       llmdata parquet stats FILE\n"
    "\n"
    "  schema   the file's fields (type, nullable, nesting), leaf columns with their physical types,\n"
    "           rows, row groups, created_by and key/value metadata, as one JSON object\n"
    "  head     the first N rows (default 10) as JSON lines, one object per row; --columns reads\n"
    "           only those top-level columns.  Dates and timestamps print as ISO 8601, decimals as\n"
    "           strings, binary as hex\n"
    "  stats    per row group and leaf column: values, nulls, min/max, sizes, codec, encodings\n";

static void type_desc(FILE *o, llmd_type t) {
    static const char *const units[] = {"millis", "micros", "nanos"};
    const char *name = llmd_type_name(t.id);
    switch (t.id) {
    case LLMD_TYPE_FIXED_BINARY: fprintf(o, "\"fixed_binary(%d)\"", t.byte_width); break;
    case LLMD_TYPE_DECIMAL: fprintf(o, "\"decimal(%d,%d)\"", t.precision, t.scale); break;
    case LLMD_TYPE_TIME: case LLMD_TYPE_TIMESTAMP:
        fprintf(o, "\"%s(%s%s)\"", name, units[t.unit], t.utc ? ",utc" : ""); break;
    default: fprintf(o, "\"%s\"", name ? name : "?"); break;
    }
}

static void schema_field(FILE *o, const llmd_schema *s, int id) {
    fputs("{\"name\":", o);
    const char *nm = llmd_schema_name(s, id);
    cli_json_str(o, nm, strlen(nm));
    fputs(",\"type\":", o);
    type_desc(o, llmd_schema_type(s, id));
    fprintf(o, ",\"nullable\":%s", llmd_schema_nullable(s, id) ? "true" : "false");
    int n = llmd_schema_child_count(s, id);
    if (n) {
        fputs(",\"fields\":[", o);
        for (int i = 0; i < n; i++) {
            if (i) fputc(',', o);
            schema_field(o, s, llmd_schema_child(s, id, i));
        }
        fputc(']', o);
    }
    fputc('}', o);
}

static int cmd_schema(llmd_parquet_reader *r) {
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    FILE *o = stdout;
    fprintf(o, "{\"num_rows\":%" PRId64 ",\"num_row_groups\":%d,\"created_by\":", llmd_parquet_reader_num_rows(r),
            llmd_parquet_reader_num_row_groups(r));
    const char *cb = llmd_parquet_reader_created_by(r);
    cli_json_str(o, cb, strlen(cb));
    fputs(",\"fields\":[", o);
    for (int i = 0; i < llmd_schema_child_count(s, 0); i++) {
        if (i) fputc(',', o);
        schema_field(o, s, llmd_schema_child(s, 0, i));
    }
    fputs("],\"leaves\":[", o);
    for (int l = 0; l < llmd_parquet_reader_num_leaves(r); l++) {
        if (l) fputc(',', o);
        const char *p = llmd_parquet_reader_leaf_path(r, l);
        fputs("{\"path\":", o);
        cli_json_str(o, p, strlen(p));
        fprintf(o, ",\"physical\":\"%s\"}", llmd_parquet_reader_leaf_physical(r, l));
    }
    fputs("],\"metadata\":{", o);
    for (size_t i = 0; i < llmd_parquet_reader_metadata_count(r); i++) {
        const char *k, *v;
        llmd_parquet_reader_metadata_at(r, i, &k, &v);
        if (i) fputc(',', o);
        cli_json_str(o, k, strlen(k));
        fputc(':', o);
        if (v) cli_json_str(o, v, strlen(v));
        else fputs("null", o);
    }
    fputs("}}\n", o);
    return 0;
}

static int cmd_head(llmd_parquet_reader *r, int64_t n) {
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    int64_t printed = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r) && printed < n; g++) {
        llmd_parquet_batch *b;
        llmd_status st = llmd_parquet_reader_read_row_group(r, g, &b);
        if (st) return cli_lib_error("parquet head", st);
        for (int64_t i = 0; i < llmd_parquet_batch_rows(b) && printed < n; i++, printed++) {
            cli_parquet_row_json(stdout, s, b, i);
            fputc('\n', stdout);
        }
        llmd_parquet_batch_free(b);
    }
    return 0;
}

/* A statistic (PLAIN bytes of the leaf's physical type) as JSON. */
static void stat_value(FILE *o, const char *phys, llmd_type t, const uint8_t *p, size_t n) {
    if (!p) {
        fputs("null", o);
        return;
    }
    int64_t v;
    if (t.id == LLMD_TYPE_DECIMAL && n >= 1 && n <= 16) {
        /* INT32/INT64 little-endian, FIXED/BYTE_ARRAY big-endian two's complement */
        uint8_t le[16];
        int little = strcmp(phys, "INT32") == 0 || strcmp(phys, "INT64") == 0;
        uint8_t sign = (little ? p[n - 1] : p[0]) & 0x80 ? 0xff : 0;
        memset(le, sign, 16);
        for (size_t k = 0; k < n; k++) le[k] = little ? p[k] : p[n - 1 - k];
        cli_json_decimal(o, le, t.scale);
    } else if (strcmp(phys, "INT32") == 0 && n == 4) {
        int32_t x;
        memcpy(&x, p, 4);
        if (t.id == LLMD_TYPE_UINT32 || t.id == LLMD_TYPE_UINT16 || t.id == LLMD_TYPE_UINT8) fprintf(o, "%" PRIu32, (uint32_t)x);
        else fprintf(o, "%" PRId32, x);
    } else if (strcmp(phys, "INT64") == 0 && n == 8) {
        memcpy(&v, p, 8);
        if (t.id == LLMD_TYPE_UINT64) fprintf(o, "%" PRIu64, (uint64_t)v);
        else fprintf(o, "%" PRId64, v);
    } else if (strcmp(phys, "FLOAT") == 0 && n == 4) {
        float f;
        memcpy(&f, p, 4);
        cli_json_double(o, f);
    } else if (strcmp(phys, "DOUBLE") == 0 && n == 8) {
        double d;
        memcpy(&d, p, 8);
        cli_json_double(o, d);
    } else if (strcmp(phys, "BOOLEAN") == 0 && n == 1) {
        fputs(p[0] ? "true" : "false", o);
    } else if (t.id == LLMD_TYPE_STRING) {
        cli_json_str(o, (const char *)p, n);
    } else {
        cli_json_hex(o, p, n);
    }
}

static int cmd_stats(llmd_parquet_reader *r) {
    const llmd_schema *s = llmd_parquet_reader_schema(r);
    FILE *o = stdout;
    fputs("{\"row_groups\":[", o);
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r); g++) {
        if (g) fputc(',', o);
        fprintf(o, "{\"rows\":%" PRId64 ",\"columns\":[", llmd_parquet_reader_row_group_rows(r, g));
        for (int l = 0; l < llmd_parquet_reader_num_leaves(r); l++) {
            llmd_parquet_chunk_info ci;
            llmd_status st = llmd_parquet_reader_chunk_info(r, g, l, &ci);
            if (st) return cli_lib_error("parquet stats", st);
            const char *path = llmd_parquet_reader_leaf_path(r, l), *phys = llmd_parquet_reader_leaf_physical(r, l);
            llmd_type t = llmd_schema_type(s, llmd_parquet_reader_leaf_field(r, l));
            if (l) fputc(',', o);
            fputs("{\"path\":", o);
            cli_json_str(o, path, strlen(path));
            fprintf(o, ",\"values\":%" PRId64 ",\"nulls\":", ci.num_values);
            if (ci.null_count >= 0) fprintf(o, "%" PRId64, ci.null_count);
            else fputs("null", o);
            fputs(",\"min\":", o);
            stat_value(o, phys, t, ci.min, ci.min_len);
            fputs(",\"max\":", o);
            stat_value(o, phys, t, ci.max, ci.max_len);
            const char *codec = llmd_parquet_codec_name(ci.codec);
            fprintf(o, ",\"compressed_bytes\":%" PRId64 ",\"uncompressed_bytes\":%" PRId64 ",\"codec\":\"%s\",\"encodings\":[",
                    ci.compressed_bytes, ci.uncompressed_bytes, codec ? codec : "?");
            static const char *const enc[] = {"PLAIN", "GROUP_VAR_INT", "PLAIN_DICTIONARY", "RLE", "BIT_PACKED",
                                              "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
                                              "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
            int first = 1;
            for (int e = 0; e < 10; e++)
                if (ci.encodings >> e & 1) {
                    fprintf(o, "%s\"%s\"", first ? "" : ",", enc[e]);
                    first = 0;
                }
            fputs("]}", o);
        }
        fputs("]}", o);
    }
    fputs("]}\n", o);
    return 0;
}

int cmd_parquet(int argc, char **argv);
int cmd_parquet(int argc, char **argv) {
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage_text, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *sub = argv[1], *file = NULL, *columns = NULL;
    uint64_t n = 10;
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "-n") == 0) {
            if (cli_need_value(argc, argv, &i, &v) || cli_parse_u64("-n", v, &n)) return 2;
        } else if (strcmp(argv[i], "--columns") == 0) {
            if (cli_need_value(argc, argv, &i, &columns)) return 2;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_error("parquet", "unknown option %s (see llmdata parquet --help)", argv[i]), 2;
        } else if (!file) {
            file = argv[i];
        } else {
            return cli_error("parquet", "one FILE only"), 2;
        }
    }
    if (!file) return cli_usage(usage_text);
    int is_schema = strcmp(sub, "schema") == 0, is_head = strcmp(sub, "head") == 0, is_stats = strcmp(sub, "stats") == 0;
    if (!is_schema && !is_head && !is_stats) return cli_error("parquet", "unknown subcommand '%s' (schema, head, stats)", sub), 2;
    llmd_parquet_reader *r;
    llmd_status st = llmd_parquet_reader_open(&r, file, NULL);
    if (st) return cli_lib_error("parquet", st);
    int rc;
    if (is_head && columns) {
        char *copy = strdup(columns), *save = NULL;
        const char *names[512];
        size_t k = 0;
        for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && k < 512; t = strtok_r(NULL, ",", &save)) names[k++] = t;
        st = llmd_parquet_reader_select(r, names, k);
        free(copy);
        if (st) {
            llmd_parquet_reader_free(r);
            return cli_lib_error("parquet head", st);
        }
    }
    rc = is_schema ? cmd_schema(r) : is_head ? cmd_head(r, (int64_t)n) : cmd_stats(r);
    llmd_parquet_reader_free(r);
    if (fflush(stdout) != 0) return cli_error("parquet", "writing the output failed");
    return rc;
}
