/* Suite "feature_cov": the feature store's validation and error paths through the public API
 * (issue 19, branch coverage): every field of a definition and its bad forms (the message names
 * the file and the field), source rows of every dtype and their bad values, Parquet and Delta
 * source guesses, snapshots damaged in every section (checksums re-sealed so the structural
 * checks are the ones that fire), lookup arguments, materialize windows.  Expected values are
 * worked by hand from feature.h's rules. */
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "testutil.h"

static char repo_dir[64];

static void write_file(const char *name, const char *text) {
    char path[512];
    snprintf(path, sizeof path, "%s/%s", repo_dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static void new_repo(void) {
    strcpy(repo_dir, "/tmp/llmd_fcov_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(repo_dir));
}

static void rm_repo(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", repo_dir);
    ck_assert_int_eq(system(cmd), 0);
}

static int64_t ts(const char *iso) {
    int64_t us;
    ck_ok(llmd_parse_timestamp(iso, strlen(iso), &us));
    return us;
}

/* A definition with one piece replaced: entities, schema, source, extra top-level fields. */
#define ENT_OK "\"entities\": [{\"name\": \"k\"}]"
#define SCH_OK "\"schema\": [{\"name\": \"x\", \"dtype\": \"Int64\"}]"
#define SRC_OK "\"source\": {\"path\": \"v.jsonl\", \"timestamp_field\": \"t\"}"

/* ---- definitions: every field and its bad forms ---------------------------------------------- */
START_TEST(definition_fields_and_their_errors) {
    static const struct { const char *json; llmd_status st; const char *needle; } cases[] = {
        {"{\"name\": \"v\", " ENT_OK, LLMD_ERR_PARSE, "malformed JSON"},
        {"[1, 2]", LLMD_ERR_PARSE, "not a JSON object"},
        {"{" ENT_OK ", " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "field \"name\" is missing"},
        {"{\"name\": 7, " ENT_OK ", " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "field \"name\" must be"},
        {"{\"name\": \"\", " ENT_OK ", " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "view name \"\""},
        {"{\"name\": \"a:b\", " ENT_OK ", " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "without ':' or '/'"},
        {"{\"name\": \"a/b\", " ENT_OK ", " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "without ':' or '/'"},
        {"{\"name\": \"v\", \"ttl_seconds\": -1, " ENT_OK ", " SCH_OK ", " SRC_OK "}", LLMD_ERR_RANGE, "ttl_seconds"},
        {"{\"name\": \"v\", " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "field \"entities\" is missing"},
        {"{\"name\": \"v\", \"entities\": {}, " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "field \"entities\" must be"},
        {"{\"name\": \"v\", \"entities\": [], " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "names no join key"},
        {"{\"name\": \"v\", \"entities\": [{\"name\": \"e\", \"join_keys\": []}], " SCH_OK ", " SRC_OK "}",
         LLMD_ERR_PARSE, "names no join key"},
        {"{\"name\": \"v\", \"entities\": [{\"name\": \"e\", \"join_keys\": \"k\"}], " SCH_OK ", " SRC_OK "}",
         LLMD_ERR_PARSE, "field \"join_keys\" must be"},
        {"{\"name\": \"v\", \"entities\": [{\"join_keys\": [\"k\"]}], " SCH_OK ", " SRC_OK "}", LLMD_ERR_PARSE,
         "field \"name\" is missing"},
        {"{\"name\": \"v\", \"entities\": [{\"name\": \"e\", \"value_type\": 3}], " SCH_OK ", " SRC_OK "}",
         LLMD_ERR_PARSE, "field \"value_type\" must be"},
        {"{\"name\": \"v\", \"entities\": [{\"name\": \"e\", \"value_type\": \"FLOAT\"}], " SCH_OK ", " SRC_OK "}",
         LLMD_ERR_PARSE, "value_type \"FLOAT\" (STRING or INT64)"},
        {"{\"name\": \"v\", \"entities\": [{\"name\": \"e\", \"join_keys\": [\"a\", 5]}], " SCH_OK ", " SRC_OK "}",
         LLMD_ERR_PARSE, "entity \"e\": join_keys must be strings"},
        {"{\"name\": \"v\", \"entities\": [{\"name\": \"e\", \"join_keys\": [\"a\"]}, {\"name\": \"a\"}], " SCH_OK ", " SRC_OK "}",
         LLMD_ERR_INVALID_ARG, "join key \"a\" given twice"},
        {"{\"name\": \"v\", \"entities\": [{\"name\": \"e\", \"join_keys\": [\"a\",\"b\",\"c\",\"d\",\"e\",\"f\",\"g\",\"h\","
         "\"i\",\"j\",\"k\",\"l\",\"m\",\"n\",\"o\",\"p\",\"q\"]}], " SCH_OK ", " SRC_OK "}",
         LLMD_ERR_INVALID_ARG, "17 join keys (at most 16)"},
        {"{\"name\": \"v\", " ENT_OK ", " SRC_OK "}", LLMD_ERR_PARSE, "field \"schema\" is missing"},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [], " SRC_OK "}", LLMD_ERR_PARSE, "lists no feature"},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [{\"dtype\": \"Int64\"}], " SRC_OK "}", LLMD_ERR_PARSE,
         "field \"name\" is missing"},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [{\"name\": \"x\"}], " SRC_OK "}", LLMD_ERR_PARSE,
         "field \"dtype\" is missing"},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [{\"name\": \"\", \"dtype\": \"Int64\"}], " SRC_OK "}",
         LLMD_ERR_PARSE, "a feature has an empty name"},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [{\"name\": \"x\", \"dtype\": \"Array(Float32)\", \"length\": 0}], " SRC_OK "}",
         LLMD_ERR_RANGE, "feature \"x\""},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [{\"name\": \"x\", \"dtype\": \"Array(Float32)\", \"length\": \"8\"}], " SRC_OK "}",
         LLMD_ERR_PARSE, "field \"length\""},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [{\"name\": \"x\", \"dtype\": \"Int64\"}, {\"name\": \"x\", \"dtype\": \"Bool\"}], " SRC_OK "}",
         LLMD_ERR_INVALID_ARG, "feature \"x\" given twice"},
        {"{\"name\": \"v\", " ENT_OK ", \"schema\": [{\"name\": \"k\", \"dtype\": \"Int64\"}], " SRC_OK "}",
         LLMD_ERR_INVALID_ARG, "\"k\" is both a join key and a feature"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK "}", LLMD_ERR_PARSE, "field \"source\" is missing"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": []}", LLMD_ERR_PARSE, "field \"source\" must be"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"timestamp_field\": \"t\"}}", LLMD_ERR_PARSE,
         "field \"path\" is missing"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"v.jsonl\"}}", LLMD_ERR_PARSE,
         "field \"timestamp_field\" is missing"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"v.jsonl\", \"timestamp_field\": \"t\", "
         "\"created_timestamp_column\": 1}}", LLMD_ERR_PARSE, "field \"created_timestamp_column\" must be"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"\", \"timestamp_field\": \"t\"}}",
         LLMD_ERR_PARSE, "source \"path\" is empty"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"v.csv\", \"timestamp_field\": \"t\", "
         "\"format\": \"csv\"}}", LLMD_ERR_PARSE, "source format \"csv\" (jsonl, parquet or delta)"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"d\", \"timestamp_field\": \"t\", "
         "\"format\": 2}}", LLMD_ERR_PARSE, "field \"format\" must be"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"d\", \"timestamp_field\": \"t\", "
         "\"version\": -2}}", LLMD_ERR_RANGE, "field \"version\""},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"d\", \"timestamp_field\": \"t\", "
         "\"timestamp\": 5}}", LLMD_ERR_PARSE, "field \"timestamp\" must be"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"d\", \"timestamp_field\": \"t\", "
         "\"version\": 1, \"timestamp\": \"2025-01-01\"}}", LLMD_ERR_PARSE, "both \"version\" and \"timestamp\""},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"d\", \"timestamp_field\": \"t\", "
         "\"timestamp\": \"yesterday\"}}", LLMD_ERR_PARSE, "source field \"timestamp\""},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"v.jsonl\", \"timestamp_field\": \"t\", "
         "\"format\": \"jsonl\", \"version\": 3}}", LLMD_ERR_PARSE, "pins apply to Delta tables only"},
        {"{\"name\": \"v\", " ENT_OK ", " SCH_OK ", \"source\": {\"path\": \"v.parquet\", \"timestamp_field\": \"t\", "
         "\"format\": \"parquet\", \"timestamp\": \"2025-01-01\"}}", LLMD_ERR_PARSE, "pins apply to Delta tables only"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        new_repo();
        write_file("v.json", cases[i].json);
        llmd_feature_repo *repo = (llmd_feature_repo *)1;
        llmd_status st = llmd_feature_repo_open(&repo, repo_dir);
        ck_assert_msg(st == cases[i].st, "case %zu: %s (wanted %s): %s", i, llmd_status_str(st),
                      llmd_status_str(cases[i].st), llmd_last_error());
        ck_assert_msg(strstr(llmd_last_error(), cases[i].needle), "case %zu: '%s' lacks '%s'", i, llmd_last_error(),
                      cases[i].needle);
        ck_assert_msg(strstr(llmd_last_error(), "v.json") || strstr(llmd_last_error(), "feature \"x\""),
                      "case %zu: '%s' names no file", i, llmd_last_error());
        ck_assert_ptr_null(repo);
        rm_repo();
    }
}
END_TEST

/* Two files defining one view; a repo path that is a file; NULL arguments; the accessors. */
START_TEST(repo_level_errors_and_accessors) {
    llmd_feature_repo *repo;
    ck_fails(llmd_feature_repo_open(NULL, "/tmp"), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_feature_repo_open(&repo, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_feature_repo_apply(NULL), LLMD_ERR_INVALID_ARG, "NULL");
    new_repo();
    write_file("plain", "x");
    char file_as_dir[128];
    snprintf(file_as_dir, sizeof file_as_dir, "%s/plain", repo_dir);
    ck_fails(llmd_feature_repo_open(&repo, file_as_dir), LLMD_ERR_IO, "plain");   /* ENOTDIR */
    /* files that are not definitions are ignored: hidden, too short, other suffixes */
    write_file(".hidden.json", "not json");
    write_file("a.jsonl", "not json");
    write_file(".json", "not json");
    write_file("b.json", "{\"name\": \"same\", " ENT_OK ", " SCH_OK ", " SRC_OK "}");
    write_file("c.json", "{\"name\": \"same\", " ENT_OK ", " SCH_OK ", " SRC_OK "}");
    ck_fails(llmd_feature_repo_open(&repo, repo_dir), LLMD_ERR_INVALID_ARG, "view \"same\" is also defined in");
    ck_assert_msg(strstr(llmd_last_error(), "b.json") && strstr(llmd_last_error(), "c.json"), "%s", llmd_last_error());
    /* many definitions (more than the listing's first allocation), a composite key of both types,
     * every dtype */
    char name[64], def[1024];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "c%02d.json", i);
        snprintf(def, sizeof def,
                 "{\"name\": \"v%02d\", \"entities\": [{\"name\": \"user\", \"join_keys\": [\"uid\", \"region\"]},"
                 " {\"name\": \"item\", \"value_type\": \"INT64\"}], \"ttl_seconds\": %d,"
                 " \"schema\": [{\"name\": \"i\", \"dtype\": \"Int64\"}, {\"name\": \"f\", \"dtype\": \"Float32\"},"
                 " {\"name\": \"d\", \"dtype\": \"Float64\"}, {\"name\": \"s\", \"dtype\": \"String\"},"
                 " {\"name\": \"b\", \"dtype\": \"Bytes\"}, {\"name\": \"o\", \"dtype\": \"Bool\"},"
                 " {\"name\": \"e\", \"dtype\": \"Array(Float32)\", \"length\": 3}],"
                 " \"source\": {\"path\": \"/abs/v.jsonl\", \"timestamp_field\": \"t\", \"created_timestamp_column\": \"\"}}",
                 i, i * 60);
        write_file(name, def);
    }
    char cpath[128];
    snprintf(cpath, sizeof cpath, "%s/c.json", repo_dir);
    unlink(cpath);
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_assert_uint_eq(llmd_feature_repo_view_count(repo), 13);   /* b.json + 12 */
    ck_assert_str_eq(llmd_feature_repo_view_name(repo, 0), "same");
    ck_assert_str_eq(llmd_feature_repo_view_name(repo, 1), "v00");
    ck_assert_str_eq(llmd_feature_repo_view_name(repo, 12), "v11");
    ck_assert_ptr_null(llmd_feature_repo_view_name(repo, 13));
    ck_assert_ptr_null(llmd_feature_repo_view_name(NULL, 0));
    ck_assert_uint_eq(llmd_feature_repo_join_key_count(repo, 1), 3);
    ck_assert_uint_eq(llmd_feature_repo_join_key_count(repo, 99), 0);
    ck_assert_uint_eq(llmd_feature_repo_join_key_count(NULL, 0), 0);
    ck_assert_str_eq(llmd_feature_repo_join_key(repo, 1, 0), "uid");
    ck_assert_str_eq(llmd_feature_repo_join_key(repo, 1, 1), "region");
    ck_assert_str_eq(llmd_feature_repo_join_key(repo, 1, 2), "item");
    ck_assert_ptr_null(llmd_feature_repo_join_key(repo, 1, 3));
    ck_assert_ptr_null(llmd_feature_repo_join_key(repo, 13, 0));
    ck_assert_ptr_null(llmd_feature_repo_join_key(NULL, 0, 0));
    ck_assert_int_eq(llmd_feature_repo_find_view(repo, "v05"), 6);
    ck_assert_int_eq(llmd_feature_repo_find_view(repo, "v5"), -1);
    ck_assert_int_eq(llmd_feature_repo_find_view(repo, NULL), -1);
    ck_assert_int_eq(llmd_feature_repo_find_view(NULL, "v05"), -1);
    ck_assert_uint_eq(llmd_feature_repo_view_count(NULL), 0);
    /* apply reads the first source: the absolute path /abs/v.jsonl does not exist */
    llmd_status st = llmd_feature_repo_apply(repo);
    ck_assert_int_ne(st, LLMD_OK);
    ck_assert_msg(strstr(llmd_last_error(), "v.jsonl"), "%s", llmd_last_error());
    llmd_feature_repo_free(repo);
    llmd_feature_repo_free(NULL);
    static const struct { llmd_feature_dtype dt; const char *name; } names[] = {
        {LLMD_FEATURE_INT64, "Int64"}, {LLMD_FEATURE_FLOAT32, "Float32"}, {LLMD_FEATURE_FLOAT64, "Float64"},
        {LLMD_FEATURE_STRING, "String"}, {LLMD_FEATURE_BYTES, "Bytes"}, {LLMD_FEATURE_BOOL, "Bool"},
        {LLMD_FEATURE_FLOAT32_VECTOR, "Array(Float32)"}};
    for (size_t i = 0; i < 7; i++) ck_assert_str_eq(llmd_feature_dtype_name(names[i].dt), names[i].name);
    ck_assert_ptr_null(llmd_feature_dtype_name((llmd_feature_dtype)0));
    ck_assert_ptr_null(llmd_feature_dtype_name((llmd_feature_dtype)8));
    rm_repo();
}
END_TEST

/* ---- every dtype through a JSONL source: apply, historical join, materialize, lookups ------- */
#define ALL_DEF \
    "{\"name\": \"all\", \"entities\": [{\"name\": \"user\", \"join_keys\": [\"uid\"]}," \
    " {\"name\": \"item\", \"value_type\": \"INT64\"}], \"ttl_seconds\": 3600," \
    " \"schema\": [{\"name\": \"i\", \"dtype\": \"Int64\"}, {\"name\": \"f\", \"dtype\": \"Float32\"}," \
    " {\"name\": \"d\", \"dtype\": \"Float64\"}, {\"name\": \"s\", \"dtype\": \"String\"}," \
    " {\"name\": \"b\", \"dtype\": \"Bytes\"}, {\"name\": \"o\", \"dtype\": \"Bool\"}," \
    " {\"name\": \"e\", \"dtype\": \"Array(Float32)\", \"length\": 3}]," \
    " \"source\": {\"path\": \"all.jsonl\", \"timestamp_field\": \"t\", \"created_timestamp_column\": \"c\"}}"

static void all_repo(void) {
    new_repo();
    write_file("all.json", ALL_DEF);
    write_file("all.jsonl",
               "{\"uid\": \"a\", \"item\": 1, \"t\": \"2025-01-01T00:00:00Z\", \"c\": null, \"i\": 5, \"f\": 1.5,"
               " \"d\": 2.25, \"s\": \"h\\u00e9\", \"b\": \"aGk=\", \"o\": true, \"e\": [1, 2, 3]}\n"
               "   \n"
               "{\"uid\": \"a\", \"item\": 1, \"t\": \"2025-01-01T01:00:00Z\", \"c\": \"2025-01-01T01:00:00Z\", \"i\": -7,"
               " \"f\": null, \"d\": 0.5, \"s\": \"\", \"b\": \"_-8\", \"o\": false, \"e\": [0.5, -1, 4]}\n"
               "{\"uid\": \"b\", \"item\": 2, \"t\": 1735689600000000, \"i\": 9}\n");
}

static llmd_key_column str_col(const char *name, const char *bytes, const int64_t *offs) {
    return (llmd_key_column){.name = name, .is_string = 1, .offsets = offs, .bytes = bytes};
}
static llmd_key_column int_col(const char *name, const int64_t *ints) {
    return (llmd_key_column){.name = name, .is_string = 0, .ints = ints};
}

START_TEST(every_dtype_offline_and_online) {
    all_repo();
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_ok(llmd_feature_repo_apply(repo));
    char path[256], *reg = NULL;
    snprintf(path, sizeof path, "%s/registry.json", repo_dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    reg = calloc(1, 4096);
    ck_assert_uint_gt(fread(reg, 1, 4095, f), 0);
    fclose(f);
    /* 2025-01-01T00:00:00Z = 1735689600 s; the second row is an hour later */
    ck_assert_msg(strstr(reg, "\"rows\": 3, \"min_event_us\": 1735689600000000, \"max_event_us\": 1735693200000000,"
                              " \"ttl_seconds\": 3600, \"features\": 7}"), "%s", reg);
    free(reg);

    /* Historical: (a,1)@00:30 -> row 1; (a,1)@01:30 -> row 2; (b,2)@02:00 -> beyond the 1 h ttl;
     * (b,2)@00:59:59 -> row 3; (a,2) -> no such composite key. */
    const char kb[] = "aabba";
    const int64_t koffs[] = {0, 1, 2, 3, 4, 5};
    const int64_t items[] = {1, 1, 2, 2, 2};
    const int64_t t0 = ts("2025-01-01T00:00:00Z"), H = 3600000000LL;
    const int64_t when[] = {t0 + H / 2, t0 + 3 * H / 2, t0 + 2 * H, t0 + H - 1000000, t0 + H / 2};
    llmd_key_column keys[] = {int_col("item", items), str_col("uid", kb, koffs)};
    const char *feats[] = {"all:i", "all:f", "all:d", "all:s", "all:b", "all:o", "all:e"};
    llmd_historical_options o;
    llmd_historical_options_init(&o);
    ck_assert_uint_eq(o.version, LLMD_HISTORICAL_OPTIONS_VERSION);
    o.full_feature_names = 1;
    llmd_feature_result *res;
    ck_ok(llmd_feature_historical(repo, feats, 7, keys, 2, when, 5, &o, &res));
    ck_assert_uint_eq(llmd_feature_result_rows(res), 5);
    ck_assert_uint_eq(llmd_feature_result_column_count(res), 7);
    ck_assert_ptr_null(llmd_feature_result_status(res));
    ck_assert_uint_eq(llmd_feature_result_spill_bytes(res), 0);
    ck_assert_int_eq(llmd_feature_result_source_version(res, 0), -1);
    ck_assert_int_eq(llmd_feature_result_source_version(res, 7), -1);
    ck_assert_int_eq(llmd_feature_result_source_version(NULL, 0), -1);
    llmd_feature_column c[7];
    for (size_t i = 0; i < 7; i++) ck_ok(llmd_feature_result_column(res, i, &c[i]));
    llmd_feature_column none;
    ck_fails(llmd_feature_result_column(res, 7, &none), LLMD_ERR_RANGE, "result column 7 of 7");
    ck_fails(llmd_feature_result_column(res, 0, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_assert_str_eq(c[0].name, "all__i");
    ck_assert_str_eq(c[6].name, "all__e");
    const uint8_t valid_i[] = {1, 1, 0, 1, 0};
    const int64_t want_i[] = {5, -7, 0, 9, 0};
    for (size_t r = 0; r < 5; r++) {
        ck_assert_int_eq(c[0].validity[r], valid_i[r]);
        ck_assert_int_eq(((const int64_t *)c[0].values)[r], want_i[r]);
    }
    ck_assert_int_eq(c[1].dtype, LLMD_FEATURE_FLOAT32);
    ck_assert(c[1].validity[0] && ((const float *)c[1].values)[0] == 1.5f && !c[1].validity[1] && !c[1].validity[3]);
    ck_assert(((const double *)c[2].values)[0] == 2.25 && ((const double *)c[2].values)[1] == 0.5 && !c[2].validity[3]);
    /* String: "hé" is 3 UTF-8 bytes; row 2's "" is a present empty string */
    ck_assert_int_eq(c[3].offsets[1] - c[3].offsets[0], 3);
    ck_assert_mem_eq((const char *)c[3].values + c[3].offsets[0], "h\xc3\xa9", 3);
    ck_assert(c[3].validity[1] && c[3].offsets[2] == c[3].offsets[1]);
    /* Bytes: base64 "aGk=" = "hi"; URL-safe "_-8" = 111111 111110 111100 -> 0xFF 0xEF */
    ck_assert_mem_eq((const char *)c[4].values + c[4].offsets[0], "hi", 2);
    ck_assert_int_eq(c[4].offsets[2] - c[4].offsets[1], 2);
    ck_assert_mem_eq((const char *)c[4].values + c[4].offsets[1], "\xff\xef", 2);
    ck_assert(((const uint8_t *)c[5].values)[0] == 1 && c[5].validity[1] && ((const uint8_t *)c[5].values)[1] == 0);
    ck_assert_uint_eq(c[6].vector_length, 3);
    const float *e = c[6].values;
    ck_assert(e[0] == 1 && e[1] == 2 && e[2] == 3 && e[3] == 0.5f && e[4] == -1 && e[5] == 4 && !c[6].validity[3]);
    llmd_feature_result_free(res);
    llmd_feature_result_free(NULL);

    /* Online: materialize everything, look up every feature (n_features 0) at now = 01:30. */
    llmd_materialize_stats st;
    ck_ok(llmd_feature_materialize(repo, "all", INT64_MIN, INT64_MAX, &st));
    ck_assert_uint_eq(st.rows_read, 3);
    ck_assert_uint_eq(st.rows_in_window, 3);
    ck_assert_uint_eq(st.keys, 2);
    llmd_online_snapshot *snap;
    ck_ok(llmd_online_snapshot_open(&snap, repo, "all"));
    ck_assert_uint_eq(llmd_online_feature_count(snap), 7);
    ck_assert_str_eq(llmd_online_feature_name(snap, 4), "b");
    ck_assert_ptr_null(llmd_online_feature_name(snap, 7));
    ck_assert_ptr_null(llmd_online_feature_name(NULL, 0));
    uint32_t vl = 0;
    ck_assert_int_eq(llmd_online_feature_dtype(snap, 6, &vl), LLMD_FEATURE_FLOAT32_VECTOR);
    ck_assert_uint_eq(vl, 3);
    ck_assert_int_eq(llmd_online_feature_dtype(snap, 5, NULL), LLMD_FEATURE_BOOL);
    ck_assert_int_eq(llmd_online_feature_dtype(snap, 7, &vl), 0);
    ck_assert_int_eq(llmd_online_feature_dtype(NULL, 0, &vl), 0);
    ck_assert_uint_eq(llmd_online_feature_count(NULL), 0);
    ck_assert_uint_eq(llmd_online_snapshot_keys(NULL), 0);
    ck_assert_int_eq(llmd_online_snapshot_end(NULL), 0);
    const int64_t litems[] = {1, 2, 7};
    const char lkb[] = "abz";
    const int64_t lkoffs[] = {0, 1, 2, 3};
    llmd_key_column lk[] = {str_col("uid", lkb, lkoffs), int_col("item", litems)};
    ck_ok(llmd_online_lookup(snap, lk, 2, 3, NULL, 0, t0 + 3 * H / 2, &res));
    ck_assert_uint_eq(llmd_feature_result_column_count(res), 7);
    const uint8_t *sts = llmd_feature_result_status(res);
    /* row 0 = (a,1) -> source row 2 (f null); row 1 = (b,2) -> 1.5 h old: outside; row 2 missing */
    for (size_t i = 0; i < 7; i++) {
        ck_assert_int_eq(sts[0 * 7 + i], i == 1 ? LLMD_FEATURE_NULL : LLMD_FEATURE_PRESENT);
        ck_assert_int_eq(sts[1 * 7 + i], LLMD_FEATURE_OUTSIDE_TTL);
        ck_assert_int_eq(sts[2 * 7 + i], LLMD_FEATURE_MISSING);
    }
    llmd_feature_column lc;
    ck_ok(llmd_feature_result_column(res, 4, &lc));
    ck_assert_str_eq(lc.name, "b");
    ck_assert_int_eq(lc.offsets[1] - lc.offsets[0], 2);
    ck_assert_mem_eq(lc.values, "\xff\xef", 2);
    ck_assert_int_eq(lc.offsets[3], 2);
    llmd_feature_result_free(res);
    /* fast path with a composite key: ints and strings in join-key order (uid, item) */
    const int64_t fints[] = {0, 2};
    const char *fstr[] = {"b", NULL};
    const size_t flen[] = {1, 0};
    int64_t row = llmd_online_find(snap, fints, fstr, flen);
    ck_assert_int_ge(row, 0);
    const void *v;
    size_t len;
    int s;
    ck_ok(llmd_online_value(snap, row, 0, 0, &v, &len, &s));
    ck_assert_int_eq(*(const int64_t *)v, 9);
    ck_assert_uint_eq(len, 8);
    ck_assert_int_eq(s, LLMD_FEATURE_PRESENT);
    ck_ok(llmd_online_value(snap, row, 3, 0, &v, NULL, &s));
    ck_assert_int_eq(s, LLMD_FEATURE_NULL);
    ck_ok(llmd_online_value(snap, row, 0, t0 + 2 * H, &v, &len, NULL));
    ck_ok(llmd_online_value(snap, row, 0, t0 + 2 * H, &v, &len, &s));
    ck_assert_int_eq(s, LLMD_FEATURE_OUTSIDE_TTL);
    ck_fails(llmd_online_value(snap, -1, 0, 0, &v, &len, &s), LLMD_ERR_RANGE, "out of range");
    ck_fails(llmd_online_value(snap, 2, 0, 0, &v, &len, &s), LLMD_ERR_RANGE, "out of range");
    ck_fails(llmd_online_value(NULL, 0, 0, 0, &v, &len, &s), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_online_value(snap, 0, 0, 0, NULL, &len, &s), LLMD_ERR_INVALID_ARG, "NULL");
    ck_assert_int_eq(llmd_online_find(snap, NULL, fstr, flen), -1);      /* an int part without ints */
    ck_assert_int_eq(llmd_online_find(snap, fints, NULL, flen), -1);     /* a string part without strings */
    ck_assert_int_eq(llmd_online_find(NULL, fints, fstr, flen), -1);
    /* a long string key takes the heap path; it is absent */
    char longkey[1000];
    memset(longkey, 'q', sizeof longkey);
    const char *lstr[] = {longkey, NULL};
    const size_t llen[] = {sizeof longkey, 0};
    ck_assert_int_eq(llmd_online_find(snap, fints, lstr, llen), -1);
    /* lookup argument errors */
    ck_fails(llmd_online_lookup(snap, lk, 1, 3, NULL, 0, 0, &res), LLMD_ERR_NOT_FOUND, "join key \"item\"");
    llmd_key_column wrong[] = {int_col("uid", litems), int_col("item", litems)};
    ck_fails(llmd_online_lookup(snap, wrong, 2, 3, NULL, 0, 0, &res), LLMD_ERR_SCHEMA, "join key \"uid\" must be a string");
    llmd_key_column wrong2[] = {str_col("uid", lkb, lkoffs), str_col("item", lkb, lkoffs)};
    ck_fails(llmd_online_lookup(snap, wrong2, 2, 3, NULL, 0, 0, &res), LLMD_ERR_SCHEMA, "must be an integer");
    llmd_key_column unnamed[] = {{.name = NULL}, str_col("uid", lkb, lkoffs), int_col("item", litems)};
    const char *badf[] = {"all:i", "nope"};
    ck_fails(llmd_online_lookup(snap, unnamed, 3, 3, badf, 2, 0, &res), LLMD_ERR_NOT_FOUND, "no feature \"nope\"");
    const char *nullf[] = {NULL};
    ck_fails(llmd_online_lookup(snap, lk, 2, 3, nullf, 1, 0, &res), LLMD_ERR_NOT_FOUND, "(null)");
    ck_fails(llmd_online_lookup(snap, NULL, 2, 3, NULL, 0, 0, &res), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_online_lookup(snap, lk, 2, 3, NULL, 1, 0, &res), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_online_lookup(snap, lk, 2, 3, NULL, 0, 0, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    /* zero keys looked up: an empty result */
    ck_ok(llmd_online_lookup(snap, unnamed, 3, 0, badf, 1, 0, &res));
    ck_assert_uint_eq(llmd_feature_result_rows(res), 0);
    llmd_feature_result_free(res);
    ck_assert_uint_eq(llmd_feature_result_rows(NULL), 0);
    ck_assert_uint_eq(llmd_feature_result_column_count(NULL), 0);
    llmd_online_snapshot_free(snap);
    llmd_online_snapshot_free(NULL);
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* ---- bad source rows: each names the file, the line and the field ----------------------------- */
START_TEST(bad_source_rows_are_named) {
    all_repo();
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    static const char good[] = "{\"uid\": \"a\", \"item\": 1, \"t\": 0}\n";
    static const struct { const char *row; llmd_status st; const char *needle; } cases[] = {
        {"{\"uid\": \"a\"", LLMD_ERR_PARSE, "all.jsonl:2: malformed JSON"},
        {"[1]", LLMD_ERR_PARSE, "all.jsonl:2: not a JSON object"},
        {"{\"uid\": 5, \"item\": 1, \"t\": 0}", LLMD_ERR_PARSE, "all.jsonl:2: join key \"uid\" must be a string, not"},
        {"{\"uid\": \"a\", \"item\": \"1\", \"t\": 0}", LLMD_ERR_PARSE, "join key \"item\" must be an integer"},
        {"{\"uid\": \"a\", \"item\": 1.5, \"t\": 0}", LLMD_ERR_PARSE, "field \"item\" must be an integer"},
        {"{\"uid\": \"a\", \"item\": 1}", LLMD_ERR_PARSE, "field \"t\" (a timestamp) is missing"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": true}", LLMD_ERR_PARSE, "field \"t\" must be an ISO 8601 string"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0.5}", LLMD_ERR_PARSE, "field \"t\" must be an integer"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"c\": \"soon\"}", LLMD_ERR_PARSE, "all.jsonl:2: field \"c\""},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"i\": \"5\"}", LLMD_ERR_PARSE, "field \"i\" must be an integer"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"f\": \"x\"}", LLMD_ERR_PARSE, "field \"f\" must be a number, not"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"d\": [1]}", LLMD_ERR_PARSE, "field \"d\" must be a number, not"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"o\": 1}", LLMD_ERR_PARSE, "field \"o\" must be true or false"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"e\": [1, 2]}", LLMD_ERR_PARSE, "field \"e\" must be an array of 3 numbers"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"e\": {\"a\": 1}}", LLMD_ERR_PARSE, "must be an array of 3 numbers"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"e\": [1, \"x\", 3]}", LLMD_ERR_PARSE, "field \"e\" element 1 is not a number"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"s\": 5}", LLMD_ERR_PARSE, "field \"s\" must be a string, not"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"b\": 5}", LLMD_ERR_PARSE, "field \"b\" must be a string, not"},
        {"{\"uid\": \"a\", \"item\": 1, \"t\": 0, \"b\": \"a*b\"}", LLMD_ERR_PARSE, "field \"b\" (Bytes) is not base64"},
    };
    char text[512];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        snprintf(text, sizeof text, "%s%s\n", good, cases[i].row);
        write_file("all.jsonl", text);
        llmd_status st = llmd_feature_repo_apply(repo);
        ck_assert_msg(st == cases[i].st, "case %zu: %s: %s", i, llmd_status_str(st), llmd_last_error());
        ck_assert_msg(strstr(llmd_last_error(), cases[i].needle), "case %zu: '%s' lacks '%s'", i, llmd_last_error(),
                      cases[i].needle);
    }
    /* A key with neither type declared nor a string/number value. */
    llmd_feature_repo_free(repo);
    write_file("all.json", "{\"name\": \"all\", \"entities\": [{\"name\": \"uid\"}], \"schema\": [{\"name\": \"i\", \"dtype\": \"Int64\"}],"
                           " \"source\": {\"path\": \"all.jsonl\", \"timestamp_field\": \"t\"}}");
    write_file("all.jsonl", "{\"uid\": null, \"t\": 0}\n");
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_fails(llmd_feature_repo_apply(repo), LLMD_ERR_PARSE, "join key \"uid\" must be a string or an integer, not");
    /* the source is missing: the message names the view */
    unlink(strcat(strcpy(text, repo_dir), "/all.jsonl"));
    llmd_status st = llmd_feature_repo_apply(repo);
    ck_assert_int_ne(st, LLMD_OK);
    ck_assert_msg(strstr(llmd_last_error(), "view all: source"), "%s", llmd_last_error());
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* ---- historical: argument and reference errors ------------------------------------------------ */
START_TEST(historical_argument_errors) {
    all_repo();
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    const char kb[] = "ab";
    const int64_t koffs[] = {0, 1, 2};
    const int64_t items[] = {1, 2};
    const int64_t when[] = {ts("2025-01-01T00:30:00Z"), ts("2025-01-01T00:30:00Z")};
    llmd_key_column keys[] = {str_col("uid", kb, koffs), int_col("item", items)};
    llmd_feature_result *res = (llmd_feature_result *)1;
    const char *one[] = {"all:i"};
    ck_fails(llmd_feature_historical(NULL, one, 1, keys, 2, when, 2, NULL, &res), LLMD_ERR_INVALID_ARG, "NULL");
    ck_assert_ptr_null(res);
    ck_fails(llmd_feature_historical(repo, one, 1, keys, 2, when, 2, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_feature_historical(repo, NULL, 1, keys, 2, when, 2, NULL, &res), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_feature_historical(repo, one, 1, NULL, 2, when, 2, NULL, &res), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_feature_historical(repo, one, 1, keys, 2, NULL, 2, NULL, &res), LLMD_ERR_INVALID_ARG, "NULL");
    llmd_historical_options o = LLMD_HISTORICAL_OPTIONS_INIT;
    o.version = 99;
    ck_fails(llmd_feature_historical(repo, one, 1, keys, 2, when, 2, &o, &res), LLMD_ERR_VERSION, "llmd_historical_options");
    o.version = 0;
    ck_fails(llmd_feature_historical(repo, one, 1, keys, 2, when, 2, &o, &res), LLMD_ERR_VERSION, "llmd_historical_options");
    static const struct { const char *ref; llmd_status st; const char *needle; } refs[] = {
        {"i", LLMD_ERR_INVALID_ARG, "feature reference \"i\": expected view:feature"},
        {NULL, LLMD_ERR_INVALID_ARG, "feature reference \"(null)\""},
        {"al:i", LLMD_ERR_NOT_FOUND, "no view \"al\""},
        {"all:", LLMD_ERR_NOT_FOUND, "view all has no feature \"\""},
        {"all:ii", LLMD_ERR_NOT_FOUND, "view all has no feature \"ii\""},
    };
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        const char *f[] = {"all:d", refs[i].ref};
        ck_fails(llmd_feature_historical(repo, f, 2, keys, 2, when, 2, NULL, &res), refs[i].st, refs[i].needle);
        ck_assert_ptr_null(res);
    }
    const char *twice[] = {"all:i", "all:i"};
    ck_fails(llmd_feature_historical(repo, twice, 2, keys, 2, when, 2, NULL, &res), LLMD_ERR_INVALID_ARG,
             "both named \"i\"");
    ck_fails(llmd_feature_historical(repo, one, 1, keys, 1, when, 2, NULL, &res), LLMD_ERR_NOT_FOUND,
             "view all: join key \"item\" is not among the entity columns");
    llmd_key_column swapped[] = {str_col("uid", kb, koffs), str_col("item", kb, koffs)};
    ck_fails(llmd_feature_historical(repo, one, 1, swapped, 2, when, 2, NULL, &res), LLMD_ERR_SCHEMA,
             "join key \"item\" is an integer in the source but a string in the entity rows");
    llmd_key_column swapped2[] = {int_col("uid", items), int_col("item", items)};
    ck_fails(llmd_feature_historical(repo, one, 1, swapped2, 2, when, 2, NULL, &res), LLMD_ERR_SCHEMA,
             "join key \"uid\" is a string in the source but an integer in the entity rows");
    llmd_key_column empty[] = {{.name = "uid", .is_string = 1}, int_col("item", items)};
    ck_fails(llmd_feature_historical(repo, one, 1, empty, 2, when, 2, NULL, &res), LLMD_ERR_INVALID_ARG,
             "entity column \"uid\": no data");
    llmd_key_column empty2[] = {str_col("uid", kb, koffs), {.name = "item"}};
    ck_fails(llmd_feature_historical(repo, one, 1, empty2, 2, when, 2, NULL, &res), LLMD_ERR_INVALID_ARG,
             "entity column \"item\": no data");
    /* no features requested: one empty row per entity row; version-1 options are accepted */
    llmd_historical_options v1 = LLMD_HISTORICAL_OPTIONS_INIT;
    v1.version = 1;
    ck_ok(llmd_feature_historical(repo, NULL, 0, keys, 2, when, 2, &v1, &res));
    ck_assert_uint_eq(llmd_feature_result_rows(res), 2);
    ck_assert_uint_eq(llmd_feature_result_column_count(res), 0);
    llmd_feature_result_free(res);
    /* a spill into a temp "directory" that is a regular file fails with the directory named */
    llmd_historical_options sp = LLMD_HISTORICAL_OPTIONS_INIT;
    char tmpfile[128];
    snprintf(tmpfile, sizeof tmpfile, "%s/all.json", repo_dir);
    sp.memory_limit = 16;
    sp.temp_dir = tmpfile;
    ck_fails(llmd_feature_historical(repo, one, 1, keys, 2, when, 2, &sp, &res), LLMD_ERR_IO, tmpfile);
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* ---- materialize: windows, incremental, definition changes, unwritable online dir ------------- */
START_TEST(materialize_errors_and_incremental) {
    all_repo();
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    const int64_t t0 = ts("2025-01-01T00:00:00Z"), H = 3600000000LL;
    llmd_materialize_stats st;
    ck_fails(llmd_feature_materialize(NULL, "all", 0, 1, &st), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_feature_materialize(repo, NULL, 0, 1, &st), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_feature_materialize(repo, "nope", 0, 1, &st), LLMD_ERR_NOT_FOUND, "no view \"nope\"");
    ck_fails(llmd_feature_materialize_incremental(repo, "nope", 1, &st), LLMD_ERR_NOT_FOUND, "no view \"nope\"");
    ck_fails(llmd_feature_materialize(repo, "all", 2, 1, &st), LLMD_ERR_INVALID_ARG, "start is after end");
    llmd_online_snapshot *snap = (llmd_online_snapshot *)1;
    ck_fails(llmd_online_snapshot_open(&snap, repo, "nope"), LLMD_ERR_NOT_FOUND, "no view \"nope\"");
    ck_fails(llmd_online_snapshot_open(NULL, repo, "all"), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_online_snapshot_open(&snap, NULL, "all"), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_online_snapshot_open(&snap, repo, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_online_snapshot_open_file(&snap, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_online_snapshot_open_file(&snap, repo_dir), LLMD_ERR_IO, "not a regular file");
    char p[256];
    snprintf(p, sizeof p, "%s/all.json/x.snapshot", repo_dir);
    ck_fails(llmd_online_snapshot_open_file(&snap, p), LLMD_ERR_IO, "cannot open");   /* ENOTDIR */
    /* "online" is a regular file: the snapshot cannot be written */
    write_file("online", "x");
    ck_fails(llmd_feature_materialize(repo, "all", t0, t0 + H, &st), LLMD_ERR_IO, "online");
    snprintf(p, sizeof p, "%s/online", repo_dir);
    unlink(p);
    /* an empty window: a snapshot with no key; lookups find nothing */
    ck_ok(llmd_feature_materialize(repo, "all", t0 + 10 * H, t0 + 11 * H, &st));
    ck_assert_uint_eq(st.rows_in_window, 0);
    ck_assert_uint_eq(st.keys, 0);
    ck_ok(llmd_online_snapshot_open(&snap, repo, "all"));
    const int64_t fints[] = {0, 1};
    const char *fstr[] = {"a", NULL};
    const size_t flen[] = {1, 0};
    ck_assert_int_eq(llmd_online_find(snap, fints, fstr, flen), -1);
    const int64_t items[] = {1};
    const int64_t koffs[] = {0, 1};
    llmd_key_column lk[] = {str_col("uid", "a", koffs), int_col("item", items)};
    llmd_feature_result *res;
    ck_ok(llmd_online_lookup(snap, lk, 2, 1, NULL, 0, 0, &res));
    ck_assert_int_eq(llmd_feature_result_status(res)[0], LLMD_FEATURE_MISSING);
    llmd_feature_result_free(res);
    llmd_online_snapshot_free(snap);
    /* incremental from a never-materialized view starts at the beginning of time */
    snprintf(p, sizeof p, "%s/online/all.snapshot", repo_dir);
    unlink(p);
    ck_ok(llmd_feature_materialize_incremental(repo, "all", t0, &st));
    ck_assert_uint_eq(st.rows_in_window, 2);   /* both rows at t0 (a's first, b's) */
    ck_assert_uint_eq(st.keys, 2);
    ck_assert_int_eq(st.start_us, INT64_MIN);
    ck_fails(llmd_feature_materialize_incremental(repo, "all", t0 - 1, &st), LLMD_ERR_INVALID_ARG,
             "end is before the last materialized end");
    ck_ok(llmd_feature_materialize_incremental(repo, "all", t0 + H, &st));
    ck_assert_uint_eq(st.rows_in_window, 1);   /* a's second row */
    ck_assert_uint_eq(st.keys, 2);
    /* the definition changes: incremental refuses, a full materialize works */
    llmd_feature_repo_free(repo);
    char def[2048];
    snprintf(def, sizeof def, "%s", ALL_DEF);
    char *dt = strstr(def, "\"Float64\"");
    memcpy(dt, "\"Float32\"", 9);
    write_file("all.json", def);
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_fails(llmd_feature_materialize_incremental(repo, "all", t0 + 2 * H, &st), LLMD_ERR_SCHEMA,
             "feature \"d\" changed since the last materialize");
    llmd_feature_repo_free(repo);
    write_file("all.json", "{\"name\": \"all\", \"entities\": [{\"name\": \"user\", \"join_keys\": [\"uid\"]},"
                           " {\"name\": \"item\", \"value_type\": \"INT64\"}], \"schema\": [{\"name\": \"i\", \"dtype\": \"Int64\"}],"
                           " \"source\": {\"path\": \"all.jsonl\", \"timestamp_field\": \"t\"}}");
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_fails(llmd_feature_materialize_incremental(repo, "all", t0 + 2 * H, &st), LLMD_ERR_SCHEMA,
             "its definition changed since the last materialize");
    ck_ok(llmd_feature_materialize(repo, "all", INT64_MIN, INT64_MAX, &st));
    /* end = INT64_MAX: the next incremental has nothing newer and keeps every key */
    ck_ok(llmd_feature_materialize_incremental(repo, "all", INT64_MAX, &st));
    ck_assert_uint_eq(st.keys, 2);
    /* the join key changes type in the source: an incremental merge refuses */
    write_file("all.jsonl", "{\"uid\": 7, \"item\": 1, \"t\": 0, \"i\": 1}\n");
    ck_fails(llmd_feature_materialize_incremental(repo, "all", INT64_MAX, &st), LLMD_ERR_SCHEMA,
             "join key \"uid\" changed type");
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* ---- snapshots damaged in each section, re-sealed (both checksums recomputed with XXH3) -------- */
static uint8_t *snap_data;
static int64_t find_str(const llmd_online_snapshot *s, const char *key);
static size_t snap_len;
static char snap_bad[300];

/* Writes d[0..n) as a snapshot file and opens it: `want` and a message holding `needle`. */
static void write_and_expect(const uint8_t *d, size_t n, llmd_status want, const char *needle) {
    FILE *o = fopen(snap_bad, "wb");
    ck_assert_ptr_nonnull(o);
    ck_assert_uint_eq(fwrite(d, 1, n, o), n);
    fclose(o);
    llmd_online_snapshot *s;
    llmd_status st = llmd_online_snapshot_open_file(&s, snap_bad);
    if (want == LLMD_OK) {
        ck_assert_msg(st == LLMD_OK, "%s: %s", needle, llmd_last_error());
        llmd_online_snapshot_free(s);
        return;
    }
    ck_assert_msg(st == want, "%s: got %s: %s", needle, llmd_status_str(st), llmd_last_error());
    ck_assert_msg(strstr(llmd_last_error(), needle), "'%s' lacks '%s'", llmd_last_error(), needle);
}

/* The header's own checksum: XXH3 of bytes 0..87, stored at 88 (formats 1 and 2 alike). */
static void reseal_header(uint8_t *d) {
    uint64_t hh = XXH3_64bits_withSeed(d, 88, 0);
    memcpy(d + 88, &hh, 8);
}

/* Re-seals a snapshot of n bytes: body length at 64, body XXH3 at 72, then the header XXH3. */
static void reseal(uint8_t *d, size_t n) {
    uint64_t body = n - 96, hb = XXH3_64bits_withSeed(d + 96, body, 0);
    memcpy(d + 64, &body, 8);
    memcpy(d + 72, &hb, 8);
    reseal_header(d);
}

static void reseal_and_expect(uint8_t *d, size_t n, llmd_status want, const char *needle) {
    reseal(d, n);
    write_and_expect(d, n, want, needle);
}

/* A little-endian integer of `w` bytes to store at `at`. */
typedef struct snap_patch {
    size_t at;
    uint64_t value;
    int w;
} snap_patch;

/* Applies the patches to a copy of the snapshot, re-seals it and opens it. */
static void patches_expect(const snap_patch *p, size_t n, llmd_status want, const char *needle) {
    uint8_t *d = malloc(snap_len);
    memcpy(d, snap_data, snap_len);
    for (size_t k = 0; k < n; k++)
        for (int i = 0; i < p[k].w; i++) d[p[k].at + (size_t)i] = (uint8_t)(p[k].value >> (8 * i));
    reseal_and_expect(d, snap_len, want, needle);
    free(d);
}

static void patch_expect(size_t at, uint64_t value, int w, llmd_status want, const char *needle) {
    snap_patch p = {at, value, w};
    patches_expect(&p, 1, want, needle);
}

/* The first `body` bytes of the body only, re-sealed (the header's body length agrees). */
static void cut_expect(size_t body, const char *needle) {
    uint8_t *d = malloc(96 + body);
    memcpy(d, snap_data, 96 + body);
    reseal_and_expect(d, 96 + body, LLMD_ERR_CORRUPT, needle);
    free(d);
}

/* The copy with 8 zero bytes appended, re-sealed. */
static void trailing_expect(void) {
    uint8_t *d = calloc(1, snap_len + 8);
    memcpy(d, snap_data, snap_len);
    reseal_and_expect(d, snap_len + 8, LLMD_ERR_CORRUPT, "8 trailing bytes");
    free(d);
}

/* The checks before the structure: magic, header checksum, body length, body checksum (the
 * copy is deliberately NOT fully re-sealed, so each check is the one that fires). */
static void seal_checks(void) {
    uint8_t *d = malloc(snap_len);
    memcpy(d, snap_data, snap_len);
    d[0] = 'X';
    write_and_expect(d, snap_len, LLMD_ERR_CORRUPT, "not an llmdata online snapshot (bad magic)");
    memcpy(d, snap_data, snap_len);
    d[40] ^= 1;   /* the window start, header checksum left stale */
    write_and_expect(d, snap_len, LLMD_ERR_CORRUPT, "header checksum mismatch");
    memcpy(d, snap_data, snap_len);
    uint64_t body = snap_len - 96 - 8;
    memcpy(d + 64, &body, 8);
    reseal_header(d);
    char want[96];
    snprintf(want, sizeof want, "truncated snapshot (body %zu bytes, file holds %zu)", snap_len - 104, snap_len - 96);
    write_and_expect(d, snap_len, LLMD_ERR_CORRUPT, want);
    memcpy(d, snap_data, snap_len);
    d[snap_len - 1] ^= 0x80;   /* the last index byte, body checksum left stale */
    write_and_expect(d, snap_len, LLMD_ERR_CORRUPT, "data checksum mismatch");
    write_and_expect(d, 95, LLMD_ERR_CORRUPT, "truncated snapshot (95 bytes, header is 96)");
    free(d);
}

static void load_snapshot(const char *path) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s", path);
    snap_data = malloc(4096);
    snap_len = fread(snap_data, 1, 4096, f);
    fclose(f);
}

START_TEST(damaged_snapshot_sections) {
    new_repo();
    /* One string join key "k", features x (Int64) and s (String), two keys "p" and "q". */
    write_file("v.json", "{\"name\": \"v\", \"entities\": [{\"name\": \"k\"}], \"schema\": [{\"name\": \"x\", \"dtype\": \"Int64\"},"
                         " {\"name\": \"s\", \"dtype\": \"String\"}], \"source\": {\"path\": \"v.jsonl\", \"timestamp_field\": \"t\"}}");
    write_file("v.jsonl", "{\"k\": \"p\", \"t\": 1, \"x\": 1, \"s\": \"A\"}\n{\"k\": \"q\", \"t\": 2, \"x\": 2, \"s\": \"B\"}\n");
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_ok(llmd_feature_materialize(repo, "v", 0, 10, NULL));
    char path[256];
    snprintf(path, sizeof path, "%s/online/v.snapshot", repo_dir);
    snprintf(snap_bad, sizeof snap_bad, "%s/bad.snapshot", repo_dir);
    load_snapshot(path);
    /* Format 2 body layout worked from online.c's format comment (offsets from the body start,
     * file offset 96): key "k": 4 + 1 = 5; feature x: 8 + 1 -> 14; feature s: 8 + 1 -> 23;
     * pad -> 24; key offsets (3 x u64) 24..48: 0, 6, 12; key bytes 's' u32 1 'p' / 'q' 48..60;
     * pad -> 64; event times 64..80; created 80..96; record stride 96..104: x is the only
     * fixed-width feature, so a record is i64 time 0..8, x 8..16, validity byte 16 (bit 0 = x),
     * 17 bytes rounded to 24, then to the power of two 32; pad to file offset 256 -> body 160;
     * records 2 x 32: 160..224; s validity 224..226, pad -> 232, offsets 232..256: 0, 1, 2,
     * bytes "AB" 256..258, pad -> 264; index: 16 slots of (u64 tag, u64 row + 1) 264..520. */
    ck_assert_uint_eq(snap_len, 96 + 520);
    const size_t B = 96;
    ck_assert_int_eq((snap_data[8] | snap_data[9] << 8 | snap_data[10] << 16 | snap_data[11] << 24), 2);
    ck_assert_int_eq(snap_data[B + 5], LLMD_FEATURE_INT64);
    ck_assert_int_eq(snap_data[B + 14], LLMD_FEATURE_STRING);
    ck_assert_int_eq(snap_data[B + 48], 's');
    ck_assert_int_eq(snap_data[B + 96], 32);
    /* rows are in the snapshot's own order (by key hash): record r holds x = 1 or 2 with its
     * validity bit set, s's bytes are "AB" or "BA" in the same order */
    for (int r = 0; r < 2; r++) {
        ck_assert_int_eq(snap_data[B + 160 + r * 32 + 16], 1);
        ck_assert_int_eq(snap_data[B + 160 + r * 32 + 8] + 'A' - 1, snap_data[B + 256 + r]);
    }
    ck_assert(memcmp(snap_data + B + 256, "AB", 2) == 0 || memcmp(snap_data + B + 256, "BA", 2) == 0);
    /* the untouched copy, re-sealed, opens */
    patch_expect(0, 'L', 1, LLMD_OK, "resealed copy");
    seal_checks();
    /* header fields */
    patch_expect(8, 3, 4, LLMD_ERR_VERSION, "snapshot format 3 (this library reads 1 and 2)");
    patch_expect(8, 0, 4, LLMD_ERR_VERSION, "snapshot format 0 (this library reads 1 and 2)");
    patch_expect(12, 0, 4, LLMD_ERR_CORRUPT, "0 join keys, 2 features");
    patch_expect(12, 17, 4, LLMD_ERR_CORRUPT, "17 join keys");
    patch_expect(16, 70000, 4, LLMD_ERR_CORRUPT, "70000 features");
    patch_expect(24, 1ull << 40, 8, LLMD_ERR_CORRUPT, "1099511627776 rows cannot fit");
    patch_expect(32, 3, 8, LLMD_ERR_CORRUPT, "bad index size");
    patch_expect(32, 1, 8, LLMD_ERR_CORRUPT, "bad index size");
    patch_expect(32, 64, 8, LLMD_ERR_CORRUPT, "the index cannot fit");   /* 64 x 16 > 520 */
    patch_expect(32, 32, 8, LLMD_ERR_CORRUPT, "truncated or inconsistent snapshot (the index at body byte 264)");
    /* schema */
    cut_expect(2, "truncated or inconsistent snapshot (a join key at body byte 0)");
    patch_expect(B + 2, 0xFFFF, 2, LLMD_ERR_CORRUPT, "(a name at body byte 4)");
    cut_expect(10, "(a feature at body byte 5)");
    patch_expect(B + 5, 9, 1, LLMD_ERR_CORRUPT, "feature 0 has an invalid type");
    patch_expect(B + 5, LLMD_FEATURE_FLOAT32_VECTOR, 1, LLMD_ERR_CORRUPT, "feature 0 has an invalid type");
    patch_expect(B + 9, 2, 4, LLMD_ERR_CORRUPT, "feature 0 has an invalid type");
    patch_expect(B + 14 + 4, 1u << 21, 4, LLMD_ERR_CORRUPT, "feature 1 has an invalid type");
    /* key offsets, key bytes, times */
    cut_expect(30, "(key offsets at body byte 24)");
    patch_expect(B + 24, 1, 8, LLMD_ERR_CORRUPT, "bad first key offset");
    patch_expect(B + 32, 13, 8, LLMD_ERR_CORRUPT, "key offsets decrease");
    patch_expect(B + 40, 1000, 8, LLMD_ERR_CORRUPT, "(key bytes at body byte 48)");
    cut_expect(62, "(padding at body byte 60)");
    cut_expect(70, "(event times at body byte 64)");
    cut_expect(90, "(created times at body byte 80)");
    /* records: the stride must be the schema's, the records must fit, padding to 64 then rows */
    cut_expect(100, "(the record stride at body byte 96)");
    patch_expect(B + 96, 64, 8, LLMD_ERR_CORRUPT, "record stride 64, the schema's is 32");
    patch_expect(B + 96, 24, 8, LLMD_ERR_CORRUPT, "record stride 24, the schema's is 32");
    /* x made a 1000-float vector: its record is 8 + 4000 + 1 -> 4016 bytes (over 64: a multiple
     * of 8), stored so; two rows of it exceed the 520-byte body */
    snap_patch wide[] = {{B + 5, LLMD_FEATURE_FLOAT32_VECTOR, 1}, {B + 9, 1000, 4}, {B + 96, 4016, 8}};
    patches_expect(wide, 3, LLMD_ERR_CORRUPT, "records cannot fit");
    cut_expect(120, "(padding at body byte 104)");
    cut_expect(200, "(records at body byte 160)");
    /* s: validity, offsets, bytes */
    cut_expect(225, "(validity at body byte 224)");
    cut_expect(228, "(padding at body byte 226)");
    cut_expect(240, "(value offsets at body byte 232)");
    patch_expect(B + 232, 1, 8, LLMD_ERR_CORRUPT, "bad first value offset");
    patch_expect(B + 240, 3, 8, LLMD_ERR_CORRUPT, "value offsets decrease");
    patch_expect(B + 248, 400, 8, LLMD_ERR_CORRUPT, "(value bytes at body byte 256)");
    cut_expect(260, "(padding at body byte 258)");
    /* index entries: (tag, row + 1), row + 1 at most rows */
    size_t slot = 0;
    while (slot < 16 && snap_data[B + 264 + slot * 16 + 8] == 0) slot++;
    ck_assert_uint_lt(slot, 16);
    patch_expect(B + 264 + slot * 16 + 8, 3, 8, LLMD_ERR_CORRUPT, "index entry out of range");
    patch_expect(B + 264 + slot * 16, 12345, 8, LLMD_OK, "a wrong tag is not a structural error");
    /* every slot a copy of that one: its key found, the other key (its tag differs) probes all
     * 16 slots and ends */
    uint8_t *full = malloc(snap_len);
    memcpy(full, snap_data, snap_len);
    for (size_t i = 0; i < 16; i++) memcpy(full + B + 264 + i * 16, snap_data + B + 264 + slot * 16, 16);
    reseal_and_expect(full, snap_len, LLMD_OK, "full index");
    llmd_online_snapshot *fs;
    ck_ok(llmd_online_snapshot_open_file(&fs, snap_bad));
    size_t frow = (size_t)snap_data[B + 264 + slot * 16 + 8] - 1;
    char fkey[2] = {(char)snap_data[B + 48 + 6 * frow + 5], 0}, okey[2] = {fkey[0] == 'p' ? 'q' : 'p', 0};
    ck_assert_int_eq(find_str(fs, fkey), (int64_t)frow);
    ck_assert_int_eq(find_str(fs, okey), -1);
    llmd_online_snapshot_free(fs);
    free(full);
    trailing_expect();
    free(snap_data);
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* The 0.2 format-1 fixture damaged the same way: every validation branch of the format-1 path. */
START_TEST(damaged_format1_sections) {
    new_repo();
    snprintf(snap_bad, sizeof snap_bad, "%s/bad.snapshot", repo_dir);
    char path[512];
    snprintf(path, sizeof path, "%s/feature/user_features_format1.snapshot", test_srcdir());
    load_snapshot(path);
    /* Format 1 body layout worked from online.c's format comment (offsets from the body start,
     * file offset 96): key "user_id": 4 + 7 = 11; features (8 + name each):
     * total_conversations Int64 11..38, avg_response_rating Float32 38..65, preferred_language
     * String 65..91, user_embedding Float32 vector of 2 91..113 (vector length at 95); pad -> 120;
     * key offsets (4 x u64) 120..152: 0, 13, 26, 39; key bytes 152..191; pad -> 192;
     * event times 192..216; created 216..240; feature 0: validity 240..243, pad -> 248, values
     * 248..272; feature 1: validity 272..275, pad -> 280, values 280..292, pad -> 296; feature 2:
     * validity 296..299, pad -> 304, offsets 304..336: 0, 2, 4, 6, bytes "deenes" 336..342, pad ->
     * 344; feature 3: validity 344..347, pad -> 352, values 352..376; index: 16 u64 slots 376..504. */
    ck_assert_uint_eq(snap_len, 96 + 504);
    const size_t B = 96;
    ck_assert_int_eq((snap_data[8] | snap_data[9] << 8 | snap_data[10] << 16 | snap_data[11] << 24), 1);
    ck_assert_int_eq(snap_data[B + 11], LLMD_FEATURE_INT64);
    ck_assert_int_eq(snap_data[B + 38], LLMD_FEATURE_FLOAT32);
    ck_assert_int_eq(snap_data[B + 65], LLMD_FEATURE_STRING);
    ck_assert_int_eq(snap_data[B + 91], LLMD_FEATURE_FLOAT32_VECTOR);
    ck_assert_int_eq(snap_data[B + 95], 2);
    ck_assert_int_eq(snap_data[B + 144], 39);
    ck_assert_mem_eq(snap_data + B + 336, "deenes", 6);
    /* re-sealing the untouched fixture reproduces it byte for byte: the checksum scheme is the
     * one this test applies to every damaged copy */
    uint8_t *same = malloc(snap_len);
    memcpy(same, snap_data, snap_len);
    reseal(same, snap_len);
    ck_assert_mem_eq(same, snap_data, snap_len);
    free(same);
    patch_expect(0, 'L', 1, LLMD_OK, "resealed fixture");
    seal_checks();
    /* header fields */
    patch_expect(12, 0, 4, LLMD_ERR_CORRUPT, "0 join keys, 4 features");
    patch_expect(16, 1u << 17, 4, LLMD_ERR_CORRUPT, "131072 features");
    patch_expect(24, 64, 8, LLMD_ERR_CORRUPT, "64 rows cannot fit");   /* 64 x 8 > 504 */
    patch_expect(32, 2, 8, LLMD_ERR_CORRUPT, "bad index size");        /* fewer slots than rows */
    patch_expect(32, 24, 8, LLMD_ERR_CORRUPT, "bad index size");       /* not a power of two */
    patch_expect(32, 64, 8, LLMD_ERR_CORRUPT, "the index cannot fit");  /* 64 x 8 > 504 */
    patch_expect(32, 32, 8, LLMD_ERR_CORRUPT, "(the index at body byte 376)");
    /* schema */
    cut_expect(3, "(a join key at body byte 0)");
    patch_expect(B + 2, 0xFFFF, 2, LLMD_ERR_CORRUPT, "(a name at body byte 4)");
    cut_expect(15, "(a feature at body byte 11)");
    patch_expect(B + 91 + 4, 0, 4, LLMD_ERR_CORRUPT, "feature 3 has an invalid type");
    patch_expect(B + 65, 0, 1, LLMD_ERR_CORRUPT, "feature 2 has an invalid type");
    /* feature 3 made 1000 floats wide: 3 rows x 4000 bytes exceed the 504-byte body */
    patch_expect(B + 91 + 4, 1000, 4, LLMD_ERR_CORRUPT, "values cannot fit");
    /* keys and times */
    cut_expect(130, "(key offsets at body byte 120)");
    patch_expect(B + 120, 1, 8, LLMD_ERR_CORRUPT, "bad first key offset");
    patch_expect(B + 128, 30, 8, LLMD_ERR_CORRUPT, "key offsets decrease");
    patch_expect(B + 144, 1000, 8, LLMD_ERR_CORRUPT, "(key bytes at body byte 152)");
    cut_expect(191, "(padding at body byte 191)");
    cut_expect(200, "(event times at body byte 192)");
    cut_expect(230, "(created times at body byte 216)");
    /* fixed-width feature 0, then the string feature 2 */
    cut_expect(242, "(validity at body byte 240)");
    cut_expect(245, "(padding at body byte 243)");
    cut_expect(260, "(values at body byte 248)");
    cut_expect(290, "(values at body byte 280)");
    cut_expect(294, "(padding at body byte 292)");
    cut_expect(310, "(value offsets at body byte 304)");
    patch_expect(B + 304, 1, 8, LLMD_ERR_CORRUPT, "bad first value offset");
    patch_expect(B + 312, 5, 8, LLMD_ERR_CORRUPT, "value offsets decrease");
    patch_expect(B + 328, 1000, 8, LLMD_ERR_CORRUPT, "(value bytes at body byte 336)");
    /* index: u64 row + 1 per slot, at most rows */
    size_t slot = 0;
    while (slot < 16 && snap_data[B + 376 + slot * 8] == 0) slot++;
    ck_assert_uint_lt(slot, 16);
    patch_expect(B + 376 + slot * 8, 4, 8, LLMD_ERR_CORRUPT, "index entry out of range");
    trailing_expect();
    free(snap_data);
    rm_repo();
}
END_TEST

static int64_t le64_at(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return (int64_t)v;
}

static void put_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static llmd_online_snapshot *open_copy(const uint8_t *d, size_t n) {
    FILE *o = fopen(snap_bad, "wb");
    ck_assert_ptr_nonnull(o);
    ck_assert_uint_eq(fwrite(d, 1, n, o), n);
    fclose(o);
    llmd_online_snapshot *s;
    ck_ok(llmd_online_snapshot_open_file(&s, snap_bad));
    return s;
}

static int64_t find_str(const llmd_online_snapshot *s, const char *key) {
    const char *str[] = {key};
    size_t len[] = {strlen(key)};
    return llmd_online_find(s, NULL, str, len);
}

/* Lookups on the 0.2 format-1 fixture (layout in damaged_format1_sections): every expectation is
 * read off the fixture's bytes, statuses by feature.h's rule (outside the ttl when now - event >
 * ttl).  40 keys in one batch, so rows are prefetched ahead; then the index with every slot made
 * to point at row 0: a probe for another key ends after one pass over the slots. */
START_TEST(format1_lookups_ttl_and_full_index) {
    new_repo();
    snprintf(snap_bad, sizeof snap_bad, "%s/bad.snapshot", repo_dir);
    char path[512];
    snprintf(path, sizeof path, "%s/feature/user_features_format1.snapshot", test_srcdir());
    load_snapshot(path);
    const size_t B = 96;
    /* rows: key bytes at body 152, 13 bytes each ('s', u32 8, the id) */
    static const char *const names[4] = {"user_001", "user_002", "user_003", "nobody"};
    const int64_t row_of[4] = {1, 0, 2, -1};
    for (int q = 0; q < 3; q++) ck_assert_mem_eq(snap_data + B + 152 + 13 * row_of[q] + 5, names[q], 8);
    int64_t ttl = le64_at(snap_data + 56), ev[3];
    ck_assert_int_eq(ttl, 7LL * 86400 * 1000000);
    for (int r = 0; r < 3; r++) ev[r] = le64_at(snap_data + B + 192 + 8 * r);
    ck_assert(ev[1] < ev[0] && ev[0] < ev[2]);
    int64_t now = ev[0] + ttl;   /* row 0 exactly at the ttl (present), row 1 older (outside) */
    llmd_online_snapshot *s = open_copy(snap_data, snap_len);
    char kb[40 * 8];
    int64_t koffs[41] = {0};
    for (int i = 0; i < 40; i++) {
        size_t l = strlen(names[i % 4]);
        memcpy(kb + koffs[i], names[i % 4], l);
        koffs[i + 1] = koffs[i] + (int64_t)l;
    }
    llmd_key_column k = str_col("user_id", kb, koffs);
    llmd_feature_result *res;
    ck_ok(llmd_online_lookup(s, &k, 1, 40, NULL, 0, now, &res));
    const uint8_t *sts = llmd_feature_result_status(res);
    llmd_feature_column c[4];
    for (size_t f = 0; f < 4; f++) ck_ok(llmd_feature_result_column(res, f, &c[f]));
    static const size_t valid_at[4] = {240, 272, 296, 344};
    for (int i = 0; i < 40; i++) {
        int64_t row = row_of[i % 4];
        for (int f = 0; f < 4; f++) {
            int want = row < 0 ? LLMD_FEATURE_MISSING
                       : now - ev[row] > ttl ? LLMD_FEATURE_OUTSIDE_TTL
                       : snap_data[B + valid_at[f] + (size_t)row] ? LLMD_FEATURE_PRESENT : LLMD_FEATURE_NULL;
            ck_assert_int_eq(sts[i * 4 + f], want);
            if (want != LLMD_FEATURE_PRESENT) continue;
            const uint8_t *v = (const uint8_t *)c[f].values;
            if (f == 0) ck_assert_mem_eq(v + 8 * i, snap_data + B + 248 + 8 * row, 8);
            if (f == 1) ck_assert_mem_eq(v + 4 * i, snap_data + B + 280 + 4 * row, 4);
            if (f == 3) ck_assert_mem_eq(v + 8 * i, snap_data + B + 352 + 8 * row, 8);
            if (f == 2) {
                int64_t o = le64_at(snap_data + B + 304 + 8 * row), e = le64_at(snap_data + B + 312 + 8 * row);
                ck_assert_int_eq(c[2].offsets[i + 1] - c[2].offsets[i], e - o);
                ck_assert_mem_eq(v + c[2].offsets[i], snap_data + B + 336 + o, (size_t)(e - o));
            }
        }
    }
    ck_assert_int_eq(sts[0 * 4 + 0], LLMD_FEATURE_OUTSIDE_TTL);   /* user_001 */
    ck_assert_int_eq(sts[1 * 4 + 0], LLMD_FEATURE_PRESENT);       /* user_002, at the ttl */
    ck_assert_int_eq(sts[1 * 4 + 1], LLMD_FEATURE_NULL);          /* its rating */
    llmd_feature_result_free(res);
    /* single-key path: the same edge, one microsecond later outside; len may be NULL */
    const void *v;
    int st;
    ck_assert_int_eq(find_str(s, "user_002"), 0);
    ck_ok(llmd_online_value(s, 0, 0, now, &v, NULL, &st));
    ck_assert_int_eq(st, LLMD_FEATURE_PRESENT);
    ck_assert_int_eq(le64_at(v), le64_at(snap_data + B + 248));
    ck_ok(llmd_online_value(s, 0, 0, now + 1, &v, NULL, &st));
    ck_assert_int_eq(st, LLMD_FEATURE_OUTSIDE_TTL);
    ck_ok(llmd_online_value(s, 0, 1, now, &v, NULL, &st));
    ck_assert_int_eq(st, LLMD_FEATURE_NULL);
    llmd_online_snapshot_free(s);
    /* every slot -> row 0 (user_002): still structurally valid, probes are bounded */
    uint8_t *d = malloc(snap_len);
    memcpy(d, snap_data, snap_len);
    for (int i = 0; i < 16; i++) put_le64(d + B + 376 + 8 * i, 1);
    reseal(d, snap_len);
    s = open_copy(d, snap_len);
    ck_assert_int_eq(find_str(s, "user_002"), 0);
    ck_assert_int_eq(find_str(s, "user_001"), -1);   /* same length, other bytes */
    ck_assert_int_eq(find_str(s, "nobody"), -1);     /* other length */
    ck_ok(llmd_online_lookup(s, &k, 1, 2, NULL, 0, 0, &res));
    sts = llmd_feature_result_status(res);
    ck_assert_int_eq(sts[0], LLMD_FEATURE_MISSING);
    ck_assert_int_eq(sts[4], LLMD_FEATURE_PRESENT);
    llmd_feature_result_free(res);
    llmd_online_snapshot_free(s);
    free(d);
    free(snap_data);
    rm_repo();
}
END_TEST

/* Format 2 with a single int64 join key (slot tags are the keys) and bool, vector and float
 * features: the record bytes checked against the layout worked from online.c's comment, lookups,
 * a full index, and an incremental refused when a vector length changes. */
START_TEST(format2_int_key_records_and_full_index) {
    new_repo();
    snprintf(snap_bad, sizeof snap_bad, "%s/bad.snapshot", repo_dir);
    write_file("n.json", "{\"name\": \"n\", \"entities\": [{\"name\": \"id\", \"value_type\": \"INT64\"}], \"schema\": ["
                         "{\"name\": \"b\", \"dtype\": \"Bool\"}, {\"name\": \"e\", \"dtype\": \"Array(Float32)\", \"length\": 3},"
                         " {\"name\": \"f\", \"dtype\": \"Float32\"}], \"source\": {\"path\": \"n.jsonl\", \"timestamp_field\": \"t\"}}");
    write_file("n.jsonl", "{\"id\": 5, \"t\": 1, \"b\": true, \"e\": [1, 2, 3], \"f\": 0.5}\n"
                          "{\"id\": 9, \"t\": 2, \"b\": false, \"e\": null, \"f\": 2.5}\n");
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_ok(llmd_feature_materialize(repo, "n", 0, 10, NULL));
    char path[256];
    snprintf(path, sizeof path, "%s/online/n.snapshot", repo_dir);
    load_snapshot(path);
    /* Body: key "id" 4 + 2 = 6; b 8 + 1 -> 15; e 8 + 1 -> 24; f 8 + 1 -> 33; pad -> 40; key
     * offsets 40..64: 0, 9, 18; key bytes 'i' + i64, 64..82; pad -> 88; event times 88..104;
     * created 104..120; stride 120..128.  Record: i64 time 0..8; no width multiple of 8; widths
     * multiple of 4 in feature order: e (12) 8..20, f (4) 20..24; then b (1) 24; validity byte 25
     * (bit 0 b, bit 1 e, bit 2 f); 26 bytes -> 32, a power of two.  Records at file offset 256 =
     * body 160..224; the index last: n_slots x (u64 key, u64 row + 1) 224..end. */
    const size_t B = 96;
    uint64_t n_slots = (uint64_t)le64_at(snap_data + 32);
    ck_assert_uint_eq(snap_len, 96 + 224 + n_slots * 16);
    ck_assert_int_eq(le64_at(snap_data + B + 120), 32);
    for (int r = 0; r < 2; r++) {
        const uint8_t *rec = snap_data + B + 160 + 32 * r;
        ck_assert_int_eq(snap_data[B + 64 + 9 * r], 'i');
        int64_t id = le64_at(snap_data + B + 64 + 9 * r + 1);
        ck_assert_int_eq(le64_at(rec), le64_at(snap_data + B + 88 + 8 * r));   /* event time */
        float e[3], f;
        memcpy(e, rec + 8, 12);
        memcpy(&f, rec + 20, 4);
        if (id == 5) {
            ck_assert_int_eq(le64_at(rec), 1);   /* integer times are epoch microseconds */
            ck_assert(e[0] == 1 && e[1] == 2 && e[2] == 3 && f == 0.5f);
            ck_assert_int_eq(rec[24], 1);
            ck_assert_int_eq(rec[25], 0x7);
        } else {
            ck_assert_int_eq(id, 9);
            ck_assert(e[0] == 0 && e[1] == 0 && e[2] == 0 && f == 2.5f);   /* null: zeros */
            ck_assert_int_eq(rec[24], 0);
            ck_assert_int_eq(rec[25], 0x5);
        }
        for (int z = 26; z < 32; z++) ck_assert_int_eq(rec[z], 0);
    }
    llmd_online_snapshot *s;
    ck_ok(llmd_online_snapshot_open(&s, repo, "n"));
    const int64_t ids[3] = {9, 7, 5};
    llmd_key_column k = int_col("id", ids);
    llmd_feature_result *res;
    ck_ok(llmd_online_lookup(s, &k, 1, 3, NULL, 0, 0, &res));
    const uint8_t *sts = llmd_feature_result_status(res);
    const uint8_t want[9] = {LLMD_FEATURE_PRESENT, LLMD_FEATURE_NULL, LLMD_FEATURE_PRESENT,
                             LLMD_FEATURE_MISSING, LLMD_FEATURE_MISSING, LLMD_FEATURE_MISSING,
                             LLMD_FEATURE_PRESENT, LLMD_FEATURE_PRESENT, LLMD_FEATURE_PRESENT};
    ck_assert_mem_eq(sts, want, 9);
    llmd_feature_column cb, ce, cf;
    ck_ok(llmd_feature_result_column(res, 0, &cb));
    ck_ok(llmd_feature_result_column(res, 1, &ce));
    ck_ok(llmd_feature_result_column(res, 2, &cf));
    ck_assert_int_eq(((const uint8_t *)cb.values)[0], 0);
    ck_assert_int_eq(((const uint8_t *)cb.values)[2], 1);
    const float *ev = ce.values, *fv = cf.values;
    ck_assert(ev[6] == 1 && ev[7] == 2 && ev[8] == 3);
    ck_assert(fv[0] == 2.5f && fv[2] == 0.5f);
    llmd_feature_result_free(res);
    llmd_online_snapshot_free(s);
    /* every slot a copy of one occupied slot: its key found, the other probes all slots, ends */
    size_t idx = B + 224, occ = 0;
    while (occ < n_slots && le64_at(snap_data + idx + 16 * occ + 8) == 0) occ++;
    ck_assert_uint_lt(occ, n_slots);
    int64_t key = le64_at(snap_data + idx + 16 * occ), row = le64_at(snap_data + idx + 16 * occ + 8) - 1;
    ck_assert(key == 5 || key == 9);
    ck_assert_int_eq(le64_at(snap_data + B + 64 + 9 * row + 1), key);
    uint8_t *d = malloc(snap_len);
    memcpy(d, snap_data, snap_len);
    for (uint64_t i = 0; i < n_slots; i++) memcpy(d + idx + 16 * i, snap_data + idx + 16 * occ, 16);
    reseal(d, snap_len);
    s = open_copy(d, snap_len);
    int64_t other = key == 5 ? 9 : 5;
    ck_assert_int_eq(llmd_online_find(s, &key, NULL, NULL), row);
    ck_assert_int_eq(llmd_online_find(s, &other, NULL, NULL), -1);
    const int64_t both[2] = {key, other};
    k = int_col("id", both);
    ck_ok(llmd_online_lookup(s, &k, 1, 2, NULL, 0, 0, &res));
    sts = llmd_feature_result_status(res);
    ck_assert_int_eq(sts[0 * 3 + 2], LLMD_FEATURE_PRESENT);
    ck_assert_int_eq(sts[1 * 3 + 2], LLMD_FEATURE_MISSING);
    llmd_feature_result_free(res);
    llmd_online_snapshot_free(s);
    free(d);
    free(snap_data);
    /* e's vector length changes: an incremental over the old snapshot refuses */
    write_file("n.json", "{\"name\": \"n\", \"entities\": [{\"name\": \"id\", \"value_type\": \"INT64\"}], \"schema\": ["
                         "{\"name\": \"b\", \"dtype\": \"Bool\"}, {\"name\": \"e\", \"dtype\": \"Array(Float32)\", \"length\": 4},"
                         " {\"name\": \"f\", \"dtype\": \"Float32\"}], \"source\": {\"path\": \"n.jsonl\", \"timestamp_field\": \"t\"}}");
    llmd_feature_repo_free(repo);
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_fails(llmd_feature_materialize_incremental(repo, "n", 20, NULL), LLMD_ERR_SCHEMA,
             "feature \"e\" changed since the last materialize");
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* ---- Parquet and Delta sources ---------------------------------------------------------------- */
/* A Parquet column: name, type, nullable, and its Arrow buffers. */
typedef struct pqcol {
    const char *name;
    llmd_type type;
    llmd_type elem;   /* LIST: element type */
    llmd_column col;
} pqcol;

static void write_parquet(const char *name, pqcol *cols, size_t n) {
    llmd_schema *s;
    ck_ok(llmd_schema_new(&s));
    llmd_column c[16];
    for (size_t i = 0; i < n; i++) {
        int id;
        ck_ok(llmd_schema_add(s, 0, cols[i].name, &cols[i].type, 1, &id));
        if (cols[i].type.id == LLMD_TYPE_LIST) ck_ok(llmd_schema_add(s, id, "element", &cols[i].elem, 1, NULL));
        c[i] = cols[i].col;
    }
    char path[256];
    snprintf(path, sizeof path, "%s/%s", repo_dir, name);
    llmd_parquet_writer *w;
    ck_ok(llmd_parquet_writer_open(&w, path, s, NULL));
    ck_ok(llmd_parquet_writer_write(w, c, n));
    ck_ok(llmd_parquet_writer_finish(w));
    llmd_parquet_writer_free(w);
    llmd_schema_free(s);
}

#define COL(len, vals) ((llmd_column){.length = (len), .values = (vals)})
#define NCOL(len, valid, vals) ((llmd_column){.length = (len), .validity = (valid), .values = (vals)})
#define SCOL(len, offs, bytes) ((llmd_column){.length = (len), .offsets = (offs), .values = (bytes)})
#define TY(x) ((llmd_type){.id = LLMD_TYPE_##x})

/* The view over a Parquet file "p.parquet": key k, time t, created c, one feature per dtype. */
#define PQ_DEF(keytype) \
    "{\"name\": \"p\", \"entities\": [{\"name\": \"k\"" keytype "}]," \
    " \"schema\": [{\"name\": \"i\", \"dtype\": \"Int64\"}, {\"name\": \"f\", \"dtype\": \"Float32\"}," \
    " {\"name\": \"d\", \"dtype\": \"Float64\"}, {\"name\": \"s\", \"dtype\": \"String\"}," \
    " {\"name\": \"b\", \"dtype\": \"Bytes\"}, {\"name\": \"o\", \"dtype\": \"Bool\"}," \
    " {\"name\": \"e\", \"dtype\": \"Array(Float32)\", \"length\": 2}]," \
    " \"source\": {\"path\": \"p.parquet\", \"timestamp_field\": \"t\", \"created_timestamp_column\": \"c\"}}"

/* Three rows of every column kind the reader converts (hand-made values, checked after a join). */
static uint16_t pk[3] = {7, 7, 9};
static int64_t pt_ms[3] = {1000, 2000, 1000};                 /* TIMESTAMP(MILLIS): 1 s, 2 s, 1 s */
static int64_t pc_ns[3] = {-1500, 0, 5};                      /* TIMESTAMP(NANOS), row 1 null */
static uint8_t pc_valid = 0x5;
static int8_t pi[3] = {-3, 4, 5};
static double pf[3] = {0.25, 1.5, 2.5};
static int32_t pd[3] = {10, 20, 30};                          /* Float64 from int32 */
static int32_t ps_off[4] = {0, 1, 3, 3};
static const char ps_bytes[] = "xyz";
static const char pb_bytes[] = "AABBCC";                      /* FIXED_BINARY(2) */
static uint8_t po = 0x5;                                      /* true, false, true */
static int32_t pe_off[4] = {0, 2, 4, 6};
static float pe_vals[6] = {1, 2, 3, 4, 5, 6};

static void std_columns(pqcol *c) {
    c[0] = (pqcol){"k", TY(UINT16), {0}, COL(3, pk)};
    c[1] = (pqcol){"t", {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS, .utc = 1}, {0}, COL(3, pt_ms)};
    c[2] = (pqcol){"c", {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_NANOS}, {0}, NCOL(3, &pc_valid, pc_ns)};
    c[3] = (pqcol){"i", TY(INT8), {0}, COL(3, pi)};
    c[4] = (pqcol){"f", TY(DOUBLE), {0}, COL(3, pf)};
    c[5] = (pqcol){"d", TY(INT32), {0}, COL(3, pd)};
    c[6] = (pqcol){"s", TY(STRING), {0}, SCOL(3, ps_off, ps_bytes)};
    c[7] = (pqcol){"b", {.id = LLMD_TYPE_FIXED_BINARY, .byte_width = 2}, {0}, COL(3, pb_bytes)};
    c[8] = (pqcol){"o", TY(BOOL), {0}, COL(3, &po)};
    c[9] = (pqcol){"e", TY(LIST), TY(FLOAT), {.length = 3, .offsets = pe_off, .n_children = 1}};
}
static llmd_column pe_child = {.length = 6, .values = pe_vals};

START_TEST(parquet_source_every_column_kind) {
    new_repo();
    write_file("p.json", PQ_DEF(""));
    pqcol c[10];
    std_columns(c);
    c[9].col.children = &pe_child;
    write_parquet("p.parquet", c, 10);
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_ok(llmd_feature_repo_apply(repo));
    /* key 7 has rows at 1 s and 2 s; key 9 at 1 s.  Entity rows: (7 @ 1.5 s) -> row 0,
     * (7 @ 5 s) -> row 1, (9 @ 0.5 s) -> none, (9 @ 1 s) -> row 2. */
    const int64_t keys[] = {7, 7, 9, 9}, when[] = {1500000, 5000000, 500000, 1000000};
    llmd_key_column kc = int_col("k", keys);
    const char *feats[] = {"p:i", "p:f", "p:d", "p:s", "p:b", "p:o", "p:e"};
    llmd_feature_result *res;
    ck_ok(llmd_feature_historical(repo, feats, 7, &kc, 1, when, 4, NULL, &res));
    llmd_feature_column col[7];
    for (size_t i = 0; i < 7; i++) ck_ok(llmd_feature_result_column(res, i, &col[i]));
    const int64_t *iv = col[0].values;
    ck_assert(iv[0] == -3 && iv[1] == 4 && !col[0].validity[2] && iv[3] == 5);
    ck_assert(((const float *)col[1].values)[1] == 1.5f && ((const double *)col[2].values)[3] == 30.0);
    ck_assert_int_eq(col[3].offsets[1] - col[3].offsets[0], 1);
    ck_assert_mem_eq((const char *)col[3].values + col[3].offsets[1], "yz", 2);
    ck_assert(col[3].validity[3] && col[3].offsets[4] == col[3].offsets[3]);
    ck_assert_mem_eq((const char *)col[4].values + col[4].offsets[0], "AA", 2);
    ck_assert_mem_eq((const char *)col[4].values + col[4].offsets[3], "CC", 2);
    const uint8_t *ov = col[5].values;
    ck_assert(ov[0] == 1 && ov[1] == 0 && ov[3] == 1);
    const float *ev = col[6].values;
    ck_assert(ev[0] == 1 && ev[1] == 2 && ev[2] == 3 && ev[3] == 4 && ev[6] == 5 && ev[7] == 6);
    llmd_feature_result_free(res);
    /* materialize reads the created times: nanos floor to micros (-1500 ns -> -2 us) */
    llmd_materialize_stats ms;
    ck_ok(llmd_feature_materialize(repo, "p", 0, 10000000, &ms));
    ck_assert_uint_eq(ms.keys, 2);
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

START_TEST(parquet_time_kinds_and_string_keys) {
    new_repo();
    /* string (BINARY) keys; times as DATE, ISO text, UINT64 and INT32 microseconds */
    write_file("p.json", "{\"name\": \"p\", \"entities\": [{\"name\": \"k\"}], \"schema\": [{\"name\": \"i\", \"dtype\": \"Int64\"}],"
                         " \"source\": {\"path\": \"p.parquet\", \"timestamp_field\": \"t\", \"created_timestamp_column\": \"c\"}}");
    static int32_t koff[3] = {0, 1, 2};
    static int32_t days[2] = {1, 2};                     /* 1970-01-02, 1970-01-03 */
    static int32_t toff[3] = {0, 10, 37};
    static const char tiso[] = "1970-01-02" "1970-01-02T00:00:00.000001Z";
    static uint64_t cu[2] = {5, 6};
    static int32_t ci[2] = {5, 6};
    static int64_t iv[2] = {100, 200};
    const struct { llmd_type t; const void *offs; const void *vals; llmd_type c; const void *cvals; } kinds[] = {
        {TY(DATE), NULL, days, TY(UINT64), cu},
        {TY(STRING), toff, tiso, TY(INT32), ci},
        {{.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MICROS}, NULL, (int64_t[]){86400000000LL, 86400000001LL},
         {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS}, (int64_t[]){1, 2}},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        pqcol c[4] = {{"k", TY(BINARY), {0}, SCOL(2, koff, "ab")},
                      {"t", kinds[i].t, {0}, {.length = 2, .offsets = kinds[i].offs, .values = kinds[i].vals}},
                      {"c", kinds[i].c, {0}, COL(2, kinds[i].cvals)},
                      {"i", TY(INT64), {0}, COL(2, iv)}};
        write_parquet("p.parquet", c, 4);
        llmd_feature_repo *repo;
        ck_ok(llmd_feature_repo_open(&repo, repo_dir));
        /* key "a" has its row at 1970-01-02 (86400 s): an entity row a second later sees it, one
         * a second earlier does not; key "b"'s row is later still */
        const int64_t when[] = {86401000000LL, 86399000000LL, 86401000000LL * 2};
        static const char kb[] = "aab";
        const int64_t ko[] = {0, 1, 2, 3};
        llmd_key_column kc = str_col("k", kb, ko);
        const char *f[] = {"p:i"};
        llmd_feature_result *res;
        ck_ok(llmd_feature_historical(repo, f, 1, &kc, 1, when, 3, NULL, &res));
        llmd_feature_column col;
        ck_ok(llmd_feature_result_column(res, 0, &col));
        ck_assert_msg(col.validity[0] && ((const int64_t *)col.values)[0] == 100 && !col.validity[1] && col.validity[2] &&
                      ((const int64_t *)col.values)[2] == 200, "time kind %zu", i);
        llmd_feature_result_free(res);
        llmd_feature_repo_free(repo);
    }
    rm_repo();
}
END_TEST

START_TEST(parquet_source_errors_are_named) {
    new_repo();
    pqcol c[10];
    llmd_feature_repo *repo;
    struct { int col; pqcol with; const char *def_key; llmd_status st; const char *needle; } cases[] = {
        {1, {"tt", TY(INT64), {0}, COL(3, pt_ms)}, "", LLMD_ERR_SCHEMA, "no column \"t\" (the view p needs it)"},
        {0, {"k", TY(DOUBLE), {0}, COL(3, pf)}, "", LLMD_ERR_SCHEMA, "join key \"k\" is double"},
        {0, {"k", TY(STRING), {0}, SCOL(3, ps_off, ps_bytes)}, ", \"value_type\": \"INT64\"", LLMD_ERR_SCHEMA,
         "join key \"k\" is a string where the view has integer keys"},
        {0, {"k", TY(INT32), {0}, COL(3, pd)}, ", \"value_type\": \"STRING\"", LLMD_ERR_SCHEMA,
         "join key \"k\" is an integer where the view has string keys"},
        {1, {"t", TY(BOOL), {0}, COL(3, &po)}, "", LLMD_ERR_SCHEMA, "column \"t\" is bool, not a timestamp"},
        {2, {"c", TY(DOUBLE), {0}, COL(3, pf)}, "", LLMD_ERR_SCHEMA, "column \"c\" is double, not a timestamp"},
        {3, {"i", TY(STRING), {0}, SCOL(3, ps_off, ps_bytes)}, "", LLMD_ERR_SCHEMA,
         "feature \"i\" is declared Int64 but the column is string"},
        {4, {"f", TY(STRING), {0}, SCOL(3, ps_off, ps_bytes)}, "", LLMD_ERR_SCHEMA, "declared Float32"},
        {6, {"s", TY(INT32), {0}, COL(3, pd)}, "", LLMD_ERR_SCHEMA, "declared String but the column is int32"},
        {7, {"b", TY(INT32), {0}, COL(3, pd)}, "", LLMD_ERR_SCHEMA, "declared Bytes"},
        {8, {"o", TY(INT32), {0}, COL(3, pd)}, "", LLMD_ERR_SCHEMA, "declared Bool"},
        {9, {"e", TY(LIST), TY(INT32), {.length = 3, .offsets = pe_off, .n_children = 1}}, "", LLMD_ERR_SCHEMA,
         "declared Array(Float32) but the column is list<int32>"},
        {9, {"e", TY(FLOAT), {0}, COL(3, pe_vals)}, "", LLMD_ERR_SCHEMA, "but the column is float"},
        {0, {"k", TY(UINT16), {0}, NCOL(3, &pc_valid, pk)}, "", LLMD_ERR_PARSE, "row group 0, row 1, column \"k\": a null join key"},
        {1, {"t", TY(INT64), {0}, NCOL(3, &pc_valid, pt_ms)}, "", LLMD_ERR_PARSE, "row 1, column \"t\": a null event timestamp"},
        {0, {"k", TY(UINT64), {0}, COL(3, ((uint64_t[]){1, UINT64_MAX, 2}))}, "", LLMD_ERR_RANGE,
         "row 1, column \"k\": join key above INT64_MAX"},
        {3, {"i", TY(UINT64), {0}, COL(3, ((uint64_t[]){1, 2, UINT64_MAX}))}, "", LLMD_ERR_RANGE,
         "row 2, column \"i\": integer above INT64_MAX"},
        {1, {"t", {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS}, {0}, COL(3, ((int64_t[]){1, INT64_MAX / 100, 2}))},
         "", LLMD_ERR_RANGE, "row 1, column \"t\": timestamp out of range"},
        {1, {"t", {.id = LLMD_TYPE_TIMESTAMP, .unit = LLMD_TIME_MILLIS}, {0}, COL(3, ((int64_t[]){1, INT64_MIN / 100, 2}))},
         "", LLMD_ERR_RANGE, "timestamp out of range"},
        {1, {"t", TY(UINT64), {0}, COL(3, ((uint64_t[]){1, 2, UINT64_MAX}))}, "", LLMD_ERR_RANGE,
         "row 2, column \"t\": timestamp out of range"},
        {1, {"t", TY(STRING), {0}, SCOL(3, ps_off, ps_bytes)}, "", LLMD_ERR_PARSE, "row group 0, row 0, column \"t\""},
        {9, {"e", TY(LIST), TY(FLOAT), {.length = 3, .offsets = ((int32_t[]){0, 2, 5, 6}), .n_children = 1}}, "",
         LLMD_ERR_PARSE, "row 1, column \"e\": a list of 3 numbers where the view declares length 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char def[2048];
        snprintf(def, sizeof def, PQ_DEF("%s"), cases[i].def_key);
        write_file("p.json", def);
        std_columns(c);
        c[cases[i].col] = cases[i].with;
        c[9].col.children = &pe_child;
        write_parquet("p.parquet", c, 10);
        ck_ok(llmd_feature_repo_open(&repo, repo_dir));
        llmd_status st = llmd_feature_repo_apply(repo);
        ck_assert_msg(st == cases[i].st, "case %zu: %s: %s", i, llmd_status_str(st), llmd_last_error());
        ck_assert_msg(strstr(llmd_last_error(), cases[i].needle), "case %zu: '%s' lacks '%s'", i, llmd_last_error(),
                      cases[i].needle);
        ck_assert_msg(strstr(llmd_last_error(), "p.parquet"), "case %zu: '%s' names no file", i, llmd_last_error());
        llmd_feature_repo_free(repo);
    }
    /* a null element inside an embedding */
    write_file("p.json", PQ_DEF(""));
    std_columns(c);
    static const uint8_t ev = 0xEF;   /* element 4 null */
    llmd_column nchild = {.length = 6, .validity = &ev, .values = pe_vals};
    c[9].col.children = &nchild;
    write_parquet("p.parquet", c, 10);
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_fails(llmd_feature_repo_apply(repo), LLMD_ERR_PARSE, "row 2, column \"e\": a null element in an embedding");
    llmd_feature_repo_free(repo);
    /* not a Parquet file */
    write_file("p.parquet", "this is not parquet");
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    ck_assert_int_ne(llmd_feature_repo_apply(repo), LLMD_OK);
    ck_assert_msg(strstr(llmd_last_error(), "view p: source"), "%s", llmd_last_error());
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* A Delta table of two Parquet files (added out of path order), pinned by version and timestamp. */
START_TEST(delta_source_versions_and_order) {
    new_repo();
    char tdir[128];
    snprintf(tdir, sizeof tdir, "%s/tbl", repo_dir);
    ck_assert_int_eq(mkdir(tdir, 0755), 0);
    static int64_t k1[1] = {1}, t1[1] = {1000000}, i1[1] = {10};
    static int64_t i2[1] = {20};
    /* both files hold key 1 at the same event time: the file added later wins the tie */
    pqcol a[3] = {{"k", TY(INT64), {0}, COL(1, k1)}, {"t", TY(INT64), {0}, COL(1, t1)}, {"i", TY(INT64), {0}, COL(1, i1)}};
    write_parquet("tbl/z-first.parquet", a, 3);
    a[2].col.values = i2;
    write_parquet("tbl/a-second.parquet", a, 3);
    char *schema = NULL;
    char p[256];
    snprintf(p, sizeof p, "%s/z-first.parquet", tdir);
    ck_ok(llmd_delta_schema_from_parquet(p, &schema));
    llmd_delta_table *t;
    ck_ok(llmd_delta_table_open(&t, tdir, NULL));
    llmd_delta_create_options co = LLMD_DELTA_CREATE_OPTIONS_INIT;
    co.schema_json = schema;
    ck_ok(llmd_delta_table_create(t, &co));
    const char *names[] = {"z-first.parquet", "a-second.parquet"};
    for (int i = 0; i < 2; i++) {
        llmd_delta_txn *x;
        ck_ok(llmd_delta_txn_begin(&x, t));
        llmd_delta_add ad = LLMD_DELTA_ADD_INIT;
        ad.path = names[i];
        ad.size = 100;
        ad.modification_time = 1000 + i;
        ck_ok(llmd_delta_txn_add(x, &ad));
        int64_t v;
        ck_ok(llmd_delta_txn_commit(x, &v));
        ck_assert_int_eq(v, i + 1);
        llmd_delta_txn_free(x);
    }
    llmd_delta_table_free(t);
    llmd_free(schema);
    const char *defs[] = {"", ", \"version\": 1", ", \"timestamp\": \"2000-01-01T00:00:00Z\"", ", \"version\": 9",
                          ", \"format\": \"delta\""};
    const int64_t want_version[] = {2, 1, -1, -1, 2};
    const int64_t want_value[] = {20, 10, 0, 0, 20};
    for (size_t i = 0; i < 5; i++) {
        char def[512];
        snprintf(def, sizeof def, "{\"name\": \"d\", \"entities\": [{\"name\": \"k\"}], \"schema\": [{\"name\": \"i\", "
                 "\"dtype\": \"Int64\"}], \"source\": {\"path\": \"tbl\", \"timestamp_field\": \"t\"%s}}", defs[i]);
        write_file("d.json", def);
        llmd_feature_repo *repo;
        ck_ok(llmd_feature_repo_open(&repo, repo_dir));
        const int64_t keys[] = {1}, when[] = {2000000};
        llmd_key_column kc = int_col("k", keys);
        const char *f[] = {"d:i"};
        llmd_feature_result *res = NULL;
        llmd_status st = llmd_feature_historical(repo, f, 1, &kc, 1, when, 1, NULL, &res);
        if (want_version[i] < 0) {
            /* before the table existed / a version not in the log */
            ck_assert_msg(st != LLMD_OK, "case %zu succeeded", i);
            ck_assert_msg(strstr(llmd_last_error(), "view d: source"), "case %zu: %s", i, llmd_last_error());
        } else {
            ck_assert_msg(st == LLMD_OK, "case %zu: %s", i, llmd_last_error());
            ck_assert_int_eq(llmd_feature_result_source_version(res, 0), want_version[i]);
            llmd_feature_column col;
            ck_ok(llmd_feature_result_column(res, 0, &col));
            ck_assert_int_eq(((const int64_t *)col.values)[0], want_value[i]);
            if (i == 0) {
                ck_ok(llmd_feature_repo_apply(repo));
                char reg[256], buf[2048] = {0};
                snprintf(reg, sizeof reg, "%s/registry.json", repo_dir);
                FILE *fp = fopen(reg, "r");
                ck_assert_uint_gt(fread(buf, 1, sizeof buf - 1, fp), 0);
                fclose(fp);
                ck_assert_msg(strstr(buf, "\"delta_version\": 2}"), "%s", buf);
            }
        }
        llmd_feature_result_free(res);
        llmd_feature_repo_free(repo);
    }
    /* a file with a deletion vector is refused, not read without it */
    char log[64];
    snprintf(log, sizeof log, "tbl/_delta_log/%020d.json", 3);
    write_file(log, "{\"add\":{\"path\":\"a-second.parquet\",\"partitionValues\":{},\"size\":100,\"modificationTime\":1002,"
                    "\"dataChange\":true,\"deletionVector\":{\"storageType\":\"i\",\"pathOrInlineDv\":\"wi5b=000010000siXQKl0rr91000f55c8Xg0@fTS\","
                    "\"sizeInBytes\":34,\"cardinality\":1}}}\n"
                    "{\"commitInfo\":{\"timestamp\":1700000000000,\"operation\":\"DELETE\"}}\n");
    write_file("d.json", "{\"name\": \"d\", \"entities\": [{\"name\": \"k\"}], \"schema\": [{\"name\": \"i\", "
                         "\"dtype\": \"Int64\"}], \"source\": {\"path\": \"tbl\", \"timestamp_field\": \"t\"}}");
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    llmd_status st = llmd_feature_repo_apply(repo);
    ck_assert_msg(st == LLMD_ERR_UNSUPPORTED, "%s: %s", llmd_status_str(st), llmd_last_error());
    ck_assert_msg(strstr(llmd_last_error(), "deletion vector"), "%s", llmd_last_error());
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* ---- spilled joins of every dtype equal the in-memory join (feature.h: "the results are
 * identical"), with the temp directory from options, $TMPDIR, or /tmp ------------------------- */
static void same_columns(const llmd_feature_result *a, const llmd_feature_result *b) {
    ck_assert_uint_eq(llmd_feature_result_column_count(a), llmd_feature_result_column_count(b));
    size_t rows = llmd_feature_result_rows(a);
    ck_assert_uint_eq(rows, llmd_feature_result_rows(b));
    for (size_t i = 0; i < llmd_feature_result_column_count(a); i++) {
        llmd_feature_column x, y;
        ck_ok(llmd_feature_result_column(a, i, &x));
        ck_ok(llmd_feature_result_column(b, i, &y));
        ck_assert_mem_eq(x.validity, y.validity, rows);
        if (x.offsets) {
            ck_assert_mem_eq(x.offsets, y.offsets, (rows + 1) * sizeof(int64_t));
            if (x.offsets[rows]) ck_assert_mem_eq(x.values, y.values, (size_t)x.offsets[rows]);
        } else {
            size_t w = x.dtype == LLMD_FEATURE_FLOAT32 ? 4 : x.dtype == LLMD_FEATURE_BOOL ? 1
                     : x.dtype == LLMD_FEATURE_FLOAT32_VECTOR ? 4 * x.vector_length : 8;
            ck_assert_mem_eq(x.values, y.values, rows * w);
        }
    }
}

START_TEST(spilled_join_every_dtype) {
    new_repo();
    write_file("all.json", ALL_DEF);
    /* 300 rows over 40 keys, every dtype, some nulls */
    FILE *f;
    char p[256];
    snprintf(p, sizeof p, "%s/all.jsonl", repo_dir);
    ck_assert_ptr_nonnull(f = fopen(p, "w"));
    for (int r = 0; r < 300; r++) {
        fprintf(f, "{\"uid\": \"user%d\", \"item\": %d, \"t\": %d, \"c\": %s, \"i\": %d, \"f\": %s, \"d\": %d.5,"
                   " \"s\": \"s%d\", \"b\": \"%s\", \"o\": %s, \"e\": [%d, 1, 2]}\n",
                r % 40, r % 3, (r * 7919) % 1000, r % 5 ? "1" : "null", r, r % 4 ? "0.5" : "null", r, r,
                r % 2 ? "aGk=" : "", r % 3 ? "true" : "false", r);
    }
    fclose(f);
    llmd_feature_repo *repo;
    ck_ok(llmd_feature_repo_open(&repo, repo_dir));
    enum { N = 200 };
    static char kb[N * 8];
    static int64_t ko[N + 1], items[N], when[N];
    size_t at = 0;
    for (int i = 0; i < N; i++) {
        ko[i] = (int64_t)at;
        at += (size_t)sprintf(kb + at, "user%d", (i * 13) % 45);
        items[i] = i % 3;
        when[i] = (i * 37) % 1100;
    }
    ko[N] = (int64_t)at;
    llmd_key_column keys[] = {str_col("uid", kb, ko), int_col("item", items)};
    const char *feats[] = {"all:i", "all:f", "all:d", "all:s", "all:b", "all:o", "all:e"};
    llmd_feature_result *mem, *sp;
    llmd_historical_options o = LLMD_HISTORICAL_OPTIONS_INIT;
    ck_ok(llmd_feature_historical(repo, feats, 7, keys, 2, when, N, &o, &mem));
    ck_assert_uint_eq(llmd_feature_result_spill_bytes(mem), 0);
    o.memory_limit = 1;
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s/tmp", repo_dir);
    ck_assert_int_eq(mkdir(tmp, 0755), 0);
    o.temp_dir = tmp;
    ck_ok(llmd_feature_historical(repo, feats, 7, keys, 2, when, N, &o, &sp));
    ck_assert_uint_gt(llmd_feature_result_spill_bytes(sp), 0);
    same_columns(mem, sp);
    llmd_feature_result_free(sp);
    /* temp_dir "" / NULL: $TMPDIR */
    const char *old = getenv("TMPDIR");
    char *saved = old ? strdup(old) : NULL;
    setenv("TMPDIR", tmp, 1);
    o.temp_dir = "";
    ck_ok(llmd_feature_historical(repo, feats, 7, keys, 2, when, N, &o, &sp));
    same_columns(mem, sp);
    llmd_feature_result_free(sp);
    /* $TMPDIR pointing at a regular file: the spill directory cannot be made, the message names it */
    snprintf(p, sizeof p, "%s/all.json", repo_dir);
    setenv("TMPDIR", p, 1);
    o.temp_dir = NULL;
    ck_fails(llmd_feature_historical(repo, feats, 7, keys, 2, when, N, &o, &sp), LLMD_ERR_IO, "all.json");
    unsetenv("TMPDIR");
    ck_ok(llmd_feature_historical(repo, feats, 7, keys, 2, when, N, &o, &sp));   /* /tmp */
    same_columns(mem, sp);
    llmd_feature_result_free(sp);
    if (saved) { setenv("TMPDIR", saved, 1); free(saved); }
    /* the spill directories were removed */
    snprintf(p, sizeof p, "rmdir '%s'", tmp);
    ck_assert_int_eq(system(p), 0);
    llmd_feature_result_free(mem);
    llmd_feature_repo_free(repo);
    rm_repo();
}
END_TEST

/* ISO 8601 forms and near misses, worked by hand (2025-01-15T10:00:00Z = 1736935200 s). */
START_TEST(timestamp_forms) {
    static const struct { const char *s; int64_t us; } good[] = {
        {"2025-01-15t10:00:00z", 1736935200000000LL},
        {"2025-01-15T10:00Z", 1736935200000000LL},
        {"2025-01-15T10:00", 1736935200000000LL},
        {"2025-01-15T10:00:00,5Z", 1736935200500000LL},
        {"2025-01-15T10:00:00.1234567Z", 1736935200123456LL},
        {"2025-01-15T12:00:00+02", 1736935200000000LL},
        {"2025-01-15T10:00:00-00:30", 1736937000000000LL},
        {"2000-02-29", 951782400000000LL},
        {"2016-12-31T23:59:60Z", 1483228800000000LL},
        {"0001-01-01", -62135596800000000LL},
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        int64_t us = 0;
        ck_ok(llmd_parse_timestamp(good[i].s, strlen(good[i].s), &us));
        ck_assert_msg(us == good[i].us, "%s -> %lld", good[i].s, (long long)us);
    }
    static const char *bad[] = {"2025", "2025-", "2025-0", "2025-01", "2025-01-", "2025-01-1", "202a-01-15",
                                "2025-01-15T", "2025-01-15T1", "2025-01-15T10:", "2025-01-15T10-00",
                                "2025-01-15T10:0", "2025-01-15T10:00:", "2025-01-15T10:00:0",
                                "2025-01-15T10:00:00.", "2025-01-15T10:00:00.Z", "2025-01-15T10:00:00Zx",
                                "2025-01-15T10:00:00+2", "2025-01-15T10:00:00+24:00", "2025-01-15T10:00:00+02:60",
                                "2025-01-15T10:00:00+02:3", "2025-01-15T10:00:00+02:300", "2025-01-15T24:00:00",
                                "2025-01-15T10:60:00", "2025-01-15T10:00:61", "2025-00-15", "2025-01-00",
                                "2025-01-32", "2025-04-31", "1900-02-29", "2025-01-15x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t us;
        ck_assert_msg(llmd_parse_timestamp(bad[i], strlen(bad[i]), &us) == LLMD_ERR_PARSE, "%s accepted", bad[i]);
        ck_assert_msg(strstr(llmd_last_error(), "is not ISO 8601"), "%s", llmd_last_error());
    }
    int64_t us;
    ck_fails(llmd_parse_timestamp(NULL, 0, &us), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_parse_timestamp("2025-01-01", 10, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    /* the length bounds the text: a longer buffer is cut where told */
    ck_ok(llmd_parse_timestamp("2025-01-15T10:00:00Zgarbage", 20, &us));
    ck_assert_int_eq(us, 1736935200000000LL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("feature_cov");
    TCase *tc = tcase_create("cov");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, definition_fields_and_their_errors);
    tcase_add_test(tc, repo_level_errors_and_accessors);
    tcase_add_test(tc, every_dtype_offline_and_online);
    tcase_add_test(tc, bad_source_rows_are_named);
    tcase_add_test(tc, historical_argument_errors);
    tcase_add_test(tc, materialize_errors_and_incremental);
    tcase_add_test(tc, damaged_snapshot_sections);
    tcase_add_test(tc, damaged_format1_sections);
    tcase_add_test(tc, format1_lookups_ttl_and_full_index);
    tcase_add_test(tc, format2_int_key_records_and_full_index);
    tcase_add_test(tc, parquet_source_every_column_kind);
    tcase_add_test(tc, parquet_time_kinds_and_string_keys);
    tcase_add_test(tc, parquet_source_errors_are_named);
    tcase_add_test(tc, delta_source_versions_and_order);
    tcase_add_test(tc, spilled_join_every_dtype);
    tcase_add_test(tc, timestamp_forms);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
