/* Suite "filter_cov": filter options, rule names, custom language predictors, bad-words files,
 * disabled checks and counters (issue 19 branch coverage).  Expectations are worked by hand from
 * filter.h and datatrove's rules (LanguageFilter keeps a document when a wanted label scores above
 * the threshold; C4BadWordsFilter matches whole words of the lowercased text; a check set to 0 / -1 never drops). */
#include <math.h>
#include <unistd.h>

#include "testutil.h"

static llmd_status apply1(const llmd_filter *f, const char *text, llmd_filter_result *r) {
    llmd_status st = llmd_filter_apply(f, text, strlen(text), r, NULL);
    return st;
}

START_TEST(rule_names_and_groups) {
    ck_assert_int_eq(llmd_filter_rule_count(), LLMD_FRULE_LANGUAGE + 1);
    static const struct { llmd_filter_rule r; const char *name, *group; } want[] = {
        {LLMD_FRULE_LEN_MIN, "len_min", "length"},
        {LLMD_FRULE_LEN_MAX, "len_max", "length"},
        {LLMD_FRULE_C4_LINE_POLICY, "c4_line_policy", "c4"},
        {LLMD_FRULE_C4_TOO_FEW_SENTENCES, "c4_too_few_sentences", "c4"},
        {LLMD_FRULE_BADWORDS, "badwords", "badwords"},
        {LLMD_FRULE_GOPHER_SHORT_DOC, "gopher_short_doc", "gopher"},
        {LLMD_FRULE_GOPHER_ENOUGH_STOP_WORDS, "gopher_enough_stop_words", "gopher"},
        {LLMD_FRULE_REP_DUP_PARA_FRAC, "gopher_rep_dup_para_frac", "gopher-repetition"},
        {LLMD_FRULE_REP_DUP_NGRAM, "gopher_rep_dup_ngram", "gopher-repetition"},
        {LLMD_FRULE_FINEWEB_EMPTY, "fineweb_empty", "fineweb"},
        {LLMD_FRULE_FINEWEB_LIST_RATIO, "fineweb_list_ratio", "fineweb"},
        {LLMD_FRULE_LANGUAGE, "language", "language"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        ck_assert_str_eq(llmd_filter_rule_name(want[i].r), want[i].name);
        ck_assert_str_eq(llmd_filter_rule_filter(want[i].r), want[i].group);
    }
    ck_assert_ptr_null(llmd_filter_rule_name(LLMD_FRULE_NONE));
    ck_assert_ptr_null(llmd_filter_rule_filter(LLMD_FRULE_NONE));
    ck_assert_ptr_null(llmd_filter_rule_name((llmd_filter_rule)llmd_filter_rule_count()));
    ck_assert_ptr_null(llmd_filter_rule_filter((llmd_filter_rule)llmd_filter_rule_count()));
}
END_TEST

START_TEST(option_errors_are_named) {
    llmd_filter *f = NULL;
    llmd_filter_options o;
    ck_fails(llmd_filter_new(NULL, NULL), LLMD_ERR_INVALID_ARG, "out is NULL");
    llmd_filter_options_init(&o);
    o.version = 0;
    ck_assert_int_eq(llmd_filter_new(&f, &o), LLMD_ERR_VERSION);
    o.version = 99;
    ck_assert_int_eq(llmd_filter_new(&f, &o), LLMD_ERR_VERSION);
    llmd_filter_options_init(&o);
    o.min_bytes = 10;
    o.max_bytes = 5;
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "min_bytes 10 > max_bytes 5");
    static const struct { const char *filters; const char *needle; } lists[] = {
        {"c4,c5", "unknown filter 'c5'"}, {" c4 , gopher,c4", "filter 'c4' listed twice"},
        {"fineweb,,languagex", "unknown filter 'languagex'"}};
    for (int i = 0; i < 3; i++) {
        llmd_filter_options_init(&o);
        o.filters = lists[i].filters;
        ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, lists[i].needle);
    }
    llmd_filter_options_init(&o);
    o.filters = "gopher-repetition";
    llmd_filter_ngram_limit bad_ng[] = {{2, 0.2}, {0, 0.1}};
    o.rep_top_n_grams = bad_ng;
    o.rep_n_top_n_grams = 2;
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "rep_top_n_grams[1].n = 0 (must be 1..1000)");
    o.rep_top_n_grams = NULL;
    llmd_filter_ngram_limit big_ng[] = {{1001, 0.1}};
    o.rep_dup_n_grams = big_ng;
    o.rep_n_dup_n_grams = 1;
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "rep_dup_n_grams[0].n = 1001");
    llmd_filter_options_init(&o);
    o.filters = "c4";
    o.language_threshold = 1.5;
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "language_threshold 1.5 is outside [0, 1]");
    o.language_threshold = NAN;
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "language_threshold");
    o.language_threshold = 0.5;
    o.languages = " , ,";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "languages is empty");
    o.languages = "en,abcdefghijklmnopqrstuvwxyzabcdefgh";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "is too long");
    llmd_filter_options_init(&o);
    o.filters = "badwords";
    o.badwords_default_language = "xx-none";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "no bad-words list for badwords_default_language 'xx-none'");
    o.badwords_default_language = NULL;
    o.bad_words_file = "/nonexistent/bad.txt";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_NOT_FOUND, "bad-words file");
    llmd_filter_options_init(&o);
    o.filters = "language";
    o.language_model = "/nonexistent/model.ftz";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_NOT_FOUND, "language filter model");
    ck_assert_ptr_null(f);
    llmd_filter_free(NULL);
}
END_TEST

/* A predictor that answers from its ctx: "label:score" pairs, or a failure. */
typedef struct fake_lang {
    const char *labels[3];
    double scores[3];
    size_t n;
    int fail;
    size_t asked_k;
} fake_lang;
static llmd_status fake_predict(void *ctx, const char *text, size_t len, size_t k, llmd_filter_lang_pred *out,
                                size_t *n_out) {
    fake_lang *fl = ctx;
    (void)text;
    (void)len;
    fl->asked_k = k;
    if (fl->fail) return LLMD_ERR_IO;
    size_t n = fl->n < k ? fl->n : k;
    for (size_t i = 0; i < n; i++) {
        snprintf(out[i].label, sizeof out[i].label, "%s", fl->labels[i]);
        out[i].score = fl->scores[i];
    }
    *n_out = n;
    return LLMD_OK;
}

START_TEST(language_filter_with_a_custom_predictor) {
    fake_lang fl = {{"__label__fr", "en", "de"}, {0.7, 0.2, 0.1}, 3, 0, 0};
    llmd_filter_options o;
    llmd_filter_options_init(&o);
    o.filters = "language";
    o.language_predict = fake_predict;
    o.language_ctx = &fl;
    o.languages = " en , fr ";
    o.language_threshold = 0.65;
    llmd_filter *f;
    ck_ok(llmd_filter_new(&f, &o));
    llmd_filter_result r;
    ck_ok(apply1(f, "line one\nline two", &r));
    /* k = ceil(1/0.65) + 1 = 3; fr (prefix stripped) at 0.7 > 0.65 is wanted */
    ck_assert_uint_eq(fl.asked_k, 3);
    ck_assert_int_eq(r.keep, 1);
    ck_assert_str_eq(r.language, "fr");
    ck_assert(r.language_score == 0.7);
    llmd_filter_free(f);
    /* wanted languages only below the threshold: dropped */
    o.languages = "en,de";
    ck_ok(llmd_filter_new(&f, &o));
    ck_ok(apply1(f, "text", &r));
    ck_assert_int_eq(r.keep, 0);
    ck_assert_int_eq(r.reason, LLMD_FRULE_LANGUAGE);
    ck_assert_str_eq(r.language, "fr");
    llmd_filter_free(f);
    /* any language (languages NULL): only the best one is asked for, kept above the threshold */
    o.languages = NULL;
    ck_ok(llmd_filter_new(&f, &o));
    ck_ok(apply1(f, "text", &r));
    ck_assert_uint_eq(fl.asked_k, 1);
    ck_assert_int_eq(r.keep, 1);
    fl.n = 0;   /* no prediction at all: dropped, no language */
    ck_ok(apply1(f, "text", &r));
    ck_assert_int_eq(r.keep, 0);
    ck_assert_str_eq(r.language, "");
    ck_assert(r.language_score == 0);
    fl.fail = 1;
    ck_fails(apply1(f, "text", &r), LLMD_ERR_IO, "language predictor");
    llmd_filter_free(f);
    /* threshold 0 with wanted languages: every label may be asked for (k capped at 4096) */
    fl.fail = 0;
    fl.n = 3;
    o.languages = "de";
    o.language_threshold = 0;
    ck_ok(llmd_filter_new(&f, &o));
    ck_ok(apply1(f, "text", &r));
    ck_assert_uint_eq(fl.asked_k, 4096);
    ck_assert_int_eq(r.keep, 1);   /* de at 0.1 > 0 */
    llmd_filter_free(f);
}
END_TEST

START_TEST(bad_words_file_whole_words) {
    char path[] = "/tmp/llmd_fcov_bw_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    /* entries trimmed of spaces (ASCII and U+3000), blank lines and CRLF ignored, a phrase */
    static const char list[] = "  darn \r\n\n\xe3\x80\x80heck\xe3\x80\x80\nbad thing\nx";
    ck_assert_int_eq(write(fd, list, sizeof list - 1), (ssize_t)(sizeof list - 1));
    close(fd);
    llmd_filter_options o;
    llmd_filter_options_init(&o);
    o.filters = "badwords";
    o.bad_words_file = path;
    llmd_filter *f;
    ck_ok(llmd_filter_new(&f, &o));
    static const struct { const char *text; int keep; } cases[] = {
        {"well darn it", 0}, {"darnit is fine", 1}, {"oh HECK no", 0} /* datatrove matches the lowercased text */, {"oh heck no", 0}, {"a bad thing here", 0},
        {"a bad things here", 1}, {"bad  thing", 1}, {"x", 0}, {"xx x", 0}, {"xyz", 1}, {"", 1},
        {"\xc3\xa9x", 1}, {"\xc3\xa9 x.", 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmd_filter_result r;
        ck_ok(apply1(f, cases[i].text, &r));
        ck_assert_msg(r.keep == cases[i].keep, "'%s': keep %d", cases[i].text, r.keep);
        if (!r.keep) ck_assert_int_eq(r.reason, LLMD_FRULE_BADWORDS);
        llmd_free(r.text);
    }
    llmd_filter_free(f);
    unlink(path);
}
END_TEST

START_TEST(length_bounds_disabled_checks_and_counters) {
    llmd_filter_options o;
    llmd_filter_options_init(&o);
    o.filters = "";
    o.min_bytes = 3;
    o.max_bytes = 5;
    llmd_filter *f;
    ck_ok(llmd_filter_new(&f, &o));
    llmd_filter_stats *s, *t;
    ck_fails(llmd_filter_stats_new(NULL), LLMD_ERR_INVALID_ARG, "");
    ck_ok(llmd_filter_stats_new(&s));
    ck_ok(llmd_filter_stats_new(&t));
    const char *docs[] = {"ab", "abc", "abcde", "abcdef"};
    const int keep[] = {0, 1, 1, 0};
    const llmd_filter_rule why[] = {LLMD_FRULE_LEN_MIN, LLMD_FRULE_NONE, LLMD_FRULE_NONE, LLMD_FRULE_LEN_MAX};
    for (int i = 0; i < 4; i++) {
        llmd_filter_result r;
        ck_ok(llmd_filter_apply(f, docs[i], strlen(docs[i]), &r, s));
        ck_assert_int_eq(r.keep, keep[i]);
        ck_assert_int_eq(r.reason, why[i]);
        ck_assert_ptr_null(r.text);
    }
    llmd_filter_stats_merge(t, s);
    llmd_filter_stats_merge(t, s);
    llmd_filter_stats_merge(NULL, s);
    llmd_filter_stats_merge(t, NULL);
    uint64_t in = 0, kept = 0, mod = 9;
    llmd_filter_stats_totals(t, &in, &kept, &mod);
    ck_assert(in == 8 && kept == 4 && mod == 0);
    llmd_filter_stats_totals(t, NULL, NULL, NULL);
    uint64_t dropped = 0, lines = 9;
    ck_ok(llmd_filter_stats_rule(t, LLMD_FRULE_LEN_MAX, &dropped, &lines));
    ck_assert(dropped == 2 && lines == 0);
    ck_ok(llmd_filter_stats_rule(t, LLMD_FRULE_LEN_MIN, NULL, NULL));
    ck_fails(llmd_filter_stats_rule(t, LLMD_FRULE_NONE, &dropped, &lines), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_filter_stats_rule(t, (llmd_filter_rule)llmd_filter_rule_count(), &dropped, &lines),
             LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_filter_stats_rule(NULL, LLMD_FRULE_LEN_MIN, &dropped, &lines), LLMD_ERR_INVALID_ARG, "");
    llmd_filter_stats_free(s);
    llmd_filter_stats_free(t);
    llmd_filter_stats_free(NULL);
    llmd_filter_result r;
    ck_fails(llmd_filter_apply(NULL, "x", 1, &r, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_filter_apply(f, NULL, 1, &r, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_filter_apply(f, "x", 1, NULL, NULL), LLMD_ERR_INVALID_ARG, "");
    llmd_filter_free(f);
    /* every c4 and gopher check disabled: a short unpunctuated line with a long word, curly
     * brackets, "lorem ipsum", "javascript", a policy phrase and a citation is kept unchanged */
    llmd_filter_options_init(&o);
    o.filters = "c4,gopher";
    o.c4_remove_citations = 0;
    o.c4_filter_no_terminal_punct = 0;
    o.c4_min_num_sentences = -1;
    o.c4_min_words_per_line = -1;
    o.c4_max_word_length = -1;
    o.c4_filter_lorem_ipsum = 0;
    o.c4_filter_javascript = 0;
    o.c4_filter_curly_bracket = 0;
    o.c4_filter_policy = 0;
    o.gopher_min_doc_words = 0;
    o.gopher_max_doc_words = 0;
    o.gopher_min_avg_word_length = 0;
    o.gopher_max_avg_word_length = 0;
    o.gopher_max_symbol_word_ratio = 0;
    o.gopher_max_bullet_lines_ratio = 0;
    o.gopher_max_ellipsis_lines_ratio = 0;
    o.gopher_max_non_alpha_words_ratio = 0;
    o.gopher_min_stop_words = 0;
    ck_ok(llmd_filter_new(&f, &o));
    const char *odd = "lorem ipsum {javascript} terms of use[1] supercalifragilisticexpialidocious\n- # ...";
    ck_ok(apply1(f, odd, &r));
    ck_assert_int_eq(r.keep, 1);
    ck_assert_ptr_null(r.text);
    llmd_filter_free(f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("filter_cov");
    TCase *tc = tcase_create("cov");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, rule_names_and_groups);
    tcase_add_test(tc, option_errors_are_named);
    tcase_add_test(tc, language_filter_with_a_custom_predictor);
    tcase_add_test(tc, bad_words_file_whole_words);
    tcase_add_test(tc, length_bounds_disabled_checks_and_counters);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
