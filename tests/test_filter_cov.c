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

/* ---- agreement with datatrove on hand-made hard cases ------------------------------------------
 * Texts built to reach the filters' less common paths (every line break Python's splitlines()
 * knows, Unicode white space, 4-byte characters, ASCII punctuation glued to non-ASCII words,
 * guillemets and curly quotes, contractions, citations, policy and javascript lines, bullets,
 * ellipses, repetition, lists, an empty text, a 1001-byte word).  The expected decisions (and the
 * c4 text it keeps) are datatrove's own: its C4QualityFilter, GopherQualityFilter,
 * GopherRepetitionFilter and FineWebQualityFilter with their defaults, run (datatrove commit
 * a649de79) through tests/filter/datatrove_agreement.py's loader on exactly these texts. */
static const char *const peer_texts[] = {
    "One two three.\x0b""Four five six.\xc2\x85Seven eight nine.\xe2\x80\xa8Ten.\x0d\x0a""Eleven twelve thirteen.\x1c""Fourteen fifteen sixteen.\x0c""A b c.\x0d""D e f.\xe2\x80\xa9G h i.\x1dJ k l.\x1eM n o.",
    "Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. ",
    "caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of caf\xc3\xa9!\"#$%&'()*+,-./ na\xc3\xafve:;<=>?@[\\]^_`{|}~ \xc3\xa9t\xc3\xa9\x7f end. the and of ",
    "This is a sentence with a citation[1] in it.\x0a""Another one[citation needed] here now.\x0a""Edits [edit] are removed too.\x0aPlease read the terms of use carefully.\x0aThis site uses cookies for things.\x0a""Enable JavaScript to view this.\x0a""Five sentences are here. Six. Seven. Eight.",
    "He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. ",
    "Items follow:\x0a- first item here,\x0a- second item here,\x0a\xe2\x80\xa2 third item\xe2\x80\xa6\x0aThe end...\x0aItems follow:\x0a- first item here,\x0a- second item here,\x0a\xe2\x80\xa2 third item\xe2\x80\xa6\x0aThe end...\x0aItems follow:\x0a- first item here,\x0a- second item here,\x0a\xe2\x80\xa2 third item\xe2\x80\xa6\x0aThe end...\x0aItems follow:\x0a- first item here,\x0a- second item here,\x0a\xe2\x80\xa2 third item\xe2\x80\xa6\x0aThe end...\x0aItems follow:\x0a- first item here,\x0a- second item here,\x0a\xe2\x80\xa2 third item\xe2\x80\xa6\x0aThe end...\x0aItems follow:\x0a- first item here,\x0a- second item here,\x0a\xe2\x80\xa2 third item\xe2\x80\xa6\x0aThe end...\x0a",
    "Same paragraph text appears here again and again.\x0a\x0aSame paragraph text appears here again and again.\x0a\x0aSame paragraph text appears here again and again.\x0a\x0aSame paragraph text appears here again and again.\x0a\x0aSame paragraph text appears here again and again.\x0a\x0aSame paragraph text appears here again and again.\x0a\x0aThe quick brown fox jumps over the lazy dog and then it rests with the cat.",
    "short line 0\x0ashort line 1\x0ashort line 2\x0ashort line 3\x0ashort line 4\x0ashort line 5\x0ashort line 6\x0ashort line 7\x0ashort line 8\x0ashort line 9\x0ashort line 10\x0ashort line 11\x0ashort line 12\x0ashort line 13\x0ashort line 14\x0ashort line 15\x0ashort line 16\x0ashort line 17\x0ashort line 18\x0ashort line 19\x0ashort line 20\x0ashort line 21\x0ashort line 22\x0ashort line 23\x0ashort line 24\x0ashort line 25\x0ashort line 26\x0ashort line 27\x0ashort line 28\x0ashort line 29",
    "#tag #tag #tag #tag #tag #tag #tag #tag #tag #tag The quick brown fox jumps over the lazy dog and then it rests with the cat.The quick brown fox jumps over the lazy dog and then it rests with the cat.The quick brown fox jumps over the lazy dog and then it rests with the cat.The quick brown fox jumps over the lazy dog and then it rests with the cat.",
    "Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. ",
    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80 123 456.78 \xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c \xd9\x85\xd8\xb1\xd8\xad\xd8\xa8\xd8\xa7 the and ",
    "(a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be (a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be (a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be (a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be (a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be (a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be (a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be (a) [b] {c} <d> \"e\" 'f' -- ... ?! the and of to be ",
    "Lorem ipsum dolor sit amet, consectetur adipiscing elit. The farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.",
    "The farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food. The function returns { value } to the caller.",
    "- item number 0 is listed here with the other things\x0a- item number 1 is listed here with the other things\x0a- item number 2 is listed here with the other things\x0a- item number 3 is listed here with the other things\x0a- item number 4 is listed here with the other things\x0a- item number 5 is listed here with the other things\x0a- item number 6 is listed here with the other things\x0a- item number 7 is listed here with the other things\x0a- item number 8 is listed here with the other things\x0a- item number 9 is listed here with the other things\x0a- item number 10 is listed here with the other things\x0a- item number 11 is listed here with the other things",
    "This line trails off into nothing at all and then 0...\x0aThis line trails off into nothing at all and then 1...\x0aThis line trails off into nothing at all and then 2...\x0aThis line trails off into nothing at all and then 3...\x0aThis line trails off into nothing at all and then 4...\x0aThis line trails off into nothing at all and then 5...\x0aThis line trails off into nothing at all and then 6...\x0aThis line trails off into nothing at all and then 7...\x0aThis line trails off into nothing at all and then 8...\x0aThis line trails off into nothing at all and then 9...\x0aThis line trails off into nothing at all and then 10...\x0aThis line trails off into nothing at all and then 11...",
    "alpha beta gamma delta epsilon zeta eta theta iota kappa alpha beta gamma delta epsilon zeta eta theta iota kappa alpha beta gamma delta epsilon zeta eta theta iota kappa alpha beta gamma delta epsilon zeta eta theta iota kappa alpha beta gamma delta epsilon zeta eta theta iota kappa alpha beta gamma delta epsilon zeta eta theta iota kappa alpha beta gamma delta epsilon zeta eta theta iota kappa",
    "supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and supercalifragilistic extraordinarily the and",
    "a b c d e of to the and I a b c d e of to the and I a b c d e of to the and I a b c d e of to the and I a b c d e of to the and I a b c d e of to the and I a b c d e of to the and I a b c d e of to the and I",
    "Supercalifragilistic0000 expialidocious0000 wonderful.\x0aSupercalifragilistic0001 expialidocious0007 wonderful.\x0aSupercalifragilistic0002 expialidocious0014 wonderful.\x0aSupercalifragilistic0003 expialidocious0021 wonderful.\x0aSupercalifragilistic0004 expialidocious0028 wonderful.\x0aSupercalifragilistic0005 expialidocious0035 wonderful.\x0aSupercalifragilistic0006 expialidocious0042 wonderful.\x0aSupercalifragilistic0007 expialidocious0049 wonderful.\x0aSupercalifragilistic0008 expialidocious0056 wonderful.\x0aSupercalifragilistic0009 expialidocious0063 wonderful.\x0aSupercalifragilistic0010 expialidocious0070 wonderful.\x0aSupercalifragilistic0011 expialidocious0077 wonderful.\x0aSupercalifragilistic0012 expialidocious0084 wonderful.\x0aSupercalifragilistic0013 expialidocious0091 wonderful.\x0aSupercalifragilistic0014 expialidocious0098 wonderful.\x0aSupercalifragilistic0015 expialidocious0105 wonderful.\x0aSupercalifragilistic0016 expialidocious0112 wonderful.\x0aSupercalifragilistic0017 expialidocious0119 wonderful.\x0aSupercalifragilistic0018 expialidocious0126 wonderful.\x0aSupercalifragilistic0019 expialidocious0133 wonderful.",
    "\x0a \x0a\x09\x0a",
    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx is long.\x0aThe farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.",
    "\xe2\x80\xa2 bullet point 0 with enough words to count here\x0d\xe2\x80\xa2 bullet point 1 with enough words to count here\x0d\xe2\x80\xa2 bullet point 2 with enough words to count here\x0d\xe2\x80\xa2 bullet point 3 with enough words to count here\x0d\xe2\x80\xa2 bullet point 4 with enough words to count here\x0d\xe2\x80\xa2 bullet point 5 with enough words to count here\x0d\xe2\x80\xa2 bullet point 6 with enough words to count here\x0d\xe2\x80\xa2 bullet point 7 with enough words to count here\xc2\x85The farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.",
    "I'm gonna say it: you're gotta wanna lemme gimme, 'tis 'twas cannot he'd she's they've we'll. \"Stop.\" (Really.) [Yes.] {No.} <Maybe.> 'Sure.' \xe2\x80\x9cQuoted.\xe2\x80\x9d \xe2\x80\x98Single.\xe2\x80\x99 \xc2\xab""French.\xc2\xbb \xe2\x80\x9eLow\xe2\x80\x9c \xe2\x80\x94 dash -- double --- triple.... four. Mr. and Mrs. Smith's dog's bone. I'm gonna say it: you're gotta wanna lemme gimme, 'tis 'twas cannot he'd she's they've we'll. \"Stop.\" (Really.) [Yes.] {No.} <Maybe.> 'Sure.' \xe2\x80\x9cQuoted.\xe2\x80\x9d \xe2\x80\x98Single.\xe2\x80\x99 \xc2\xab""French.\xc2\xbb \xe2\x80\x9eLow\xe2\x80\x9c \xe2\x80\x94 dash -- double --- triple.... four. Mr. and Mrs. Smith's dog's bone. I'm gonna say it: you're gotta wanna lemme gimme, 'tis 'twas cannot he'd she's they've we'll. \"Stop.\" (Really.) [Yes.] {No.} <Maybe.> 'Sure.' \xe2\x80\x9cQuoted.\xe2\x80\x9d \xe2\x80\x98Single.\xe2\x80\x99 \xc2\xab""French.\xc2\xbb \xe2\x80\x9eLow\xe2\x80\x9c \xe2\x80\x94 dash -- double --- triple.... four. Mr. and Mrs. Smith's dog's bone. I'm gonna say it: you're gotta wanna lemme gimme, 'tis 'twas cannot he'd she's they've we'll. \"Stop.\" (Really.) [Yes.] {No.} <Maybe.> 'Sure.' \xe2\x80\x9cQuoted.\xe2\x80\x9d \xe2\x80\x98Single.\xe2\x80\x99 \xc2\xab""French.\xc2\xbb \xe2\x80\x9eLow\xe2\x80\x9c \xe2\x80\x94 dash -- double --- triple.... four. Mr. and Mrs. Smith's dog's bone. ",
    "Here is a list:\x0a""first, second,\x0athird; and the coo\xe2\x84\xaaie policy applies.\x0aRead our privacy policy now.\x0aWe use cookies here.\x0aThe use of cookies is fine.\x0aThe farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.\x0aHere is a list:\x0a""first, second,\x0athird; and the coo\xe2\x84\xaaie policy applies.\x0aRead our privacy policy now.\x0aWe use cookies here.\x0aThe use of cookies is fine.\x0aThe farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.\x0aHere is a list:\x0a""first, second,\x0athird; and the coo\xe2\x84\xaaie policy applies.\x0aRead our privacy policy now.\x0aWe use cookies here.\x0aThe use of cookies is fine.\x0aThe farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.\x0a",
    "The quick brown fox jumps over the lazy dog and then it rests with the cat.\x0dThe quick brown fox jumps over the lazy dog and then it rests with the cat.\x0dThe quick brown fox jumps over the lazy dog and then it rests with the cat.\x0d""A quick brown fox runs past the lazy dog and then it sleeps by the cat.\xc2\x85""A quick brown fox runs past the lazy dog and then it sleeps by the cat.\xc2\x85""A quick brown fox runs past the lazy dog and then it sleeps by the cat.\xc2\x85The slow brown fox walks over the lazy dog and then it sits with the cat.\xe2\x80\xa8The slow brown fox walks over the lazy dog and then it sits with the cat.\xe2\x80\xa8The slow brown fox walks over the lazy dog and then it sits with the cat.\xe2\x80\xa8The old brown fox looks at the lazy dog and then it eats with the cat.\xe2\x80\xa9The old brown fox looks at the lazy dog and then it eats with the cat.\xe2\x80\xa9The old brown fox looks at the lazy dog and then it eats with the cat.\xe2\x80\xa9",
    "On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. ",
    "col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0a""col1\x09""col2\x09""col3 with the values and the rest\x0aThe farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.",
    "the and of to be with that have !\xe2\x80\x94!\xc2\xa7! word the and of to be with that have /\xe2\x80\x94/\xc2\xa7/ word the and of to be with that have :\xe2\x80\x94:\xc2\xa7: word the and of to be with that have @\xe2\x80\x94@\xc2\xa7@ word the and of to be with that have [\xe2\x80\x94[\xc2\xa7[ word the and of to be with that have `\xe2\x80\x94`\xc2\xa7` word the and of to be with that have {\xe2\x80\x94{\xc2\xa7{ word the and of to be with that have ~\xe2\x80\x94~\xc2\xa7~ word the and of to be with that have \x7f\xe2\x80\x94\x7f\xc2\xa7\x7f word the and of to be with that have \x01\xe2\x80\x94\x01\xc2\xa7\x01 word the and of to be with that have \x1f\xe2\x80\x94\x1f\xc2\xa7\x1f word the and of to be with that have #\xe2\x80\x94#\xc2\xa7# word the and of to be with that have .\xe2\x80\x94.\xc2\xa7. word the and of to be with that have !\xe2\x80\x94!\xc2\xa7! word the and of to be with that have /\xe2\x80\x94/\xc2\xa7/ word the and of to be with that have :\xe2\x80\x94:\xc2\xa7: word the and of to be with that have @\xe2\x80\x94@\xc2\xa7@ word the and of to be with that have [\xe2\x80\x94[\xc2\xa7[ word the and of to be with that have `\xe2\x80\x94`\xc2\xa7` word the and of to be with that have {\xe2\x80\x94{\xc2\xa7{ word the and of to be with that have ~\xe2\x80\x94~\xc2\xa7~ word the and of to be with that have \x7f\xe2\x80\x94\x7f\xc2\xa7\x7f word the and of to be with that have \x01\xe2\x80\x94\x01\xc2\xa7\x01 word the and of to be with that have \x1f\xe2\x80\x94\x1f\xc2\xa7\x1f word the and of to be with that have #\xe2\x80\x94#\xc2\xa7# word the and of to be with that have .\xe2\x80\x94.\xc2\xa7. word",
    "\xe2\x80\x9c""alpha\xe2\x80\x9d \xe2\x80\x93""alpha \xc2\xbf""alpha? \xc2\xa1""alpha! \xe2\x80\xa6""alpha \xe2\x80\x9cthe\xe2\x80\x9d \xe2\x80\x93the \xc2\xbfthe? \xc2\xa1the! \xe2\x80\xa6the \xe2\x80\x9c""and\xe2\x80\x9d \xe2\x80\x93""and \xc2\xbf""and? \xc2\xa1""and! \xe2\x80\xa6""and \xe2\x80\x9cof\xe2\x80\x9d \xe2\x80\x93of \xc2\xbfof? \xc2\xa1of! \xe2\x80\xa6of \xe2\x80\x9c""caf\xc3\xa9\xe2\x80\x9d \xe2\x80\x93""caf\xc3\xa9 \xc2\xbf""caf\xc3\xa9? \xc2\xa1""caf\xc3\xa9! \xe2\x80\xa6""caf\xc3\xa9 \xe2\x80\x9c""be\xe2\x80\x9d \xe2\x80\x93""be \xc2\xbf""be? \xc2\xa1""be! \xe2\x80\xa6""be \xe2\x80\x9c""alpha\xe2\x80\x9d \xe2\x80\x93""alpha \xc2\xbf""alpha? \xc2\xa1""alpha! \xe2\x80\xa6""alpha \xe2\x80\x9cthe\xe2\x80\x9d \xe2\x80\x93the \xc2\xbfthe? \xc2\xa1the! \xe2\x80\xa6the \xe2\x80\x9c""and\xe2\x80\x9d \xe2\x80\x93""and \xc2\xbf""and? \xc2\xa1""and! \xe2\x80\xa6""and \xe2\x80\x9cof\xe2\x80\x9d \xe2\x80\x93of \xc2\xbfof? \xc2\xa1of! \xe2\x80\xa6of \xe2\x80\x9c""caf\xc3\xa9\xe2\x80\x9d \xe2\x80\x93""caf\xc3\xa9 \xc2\xbf""caf\xc3\xa9? \xc2\xa1""caf\xc3\xa9! \xe2\x80\xa6""caf\xc3\xa9 \xe2\x80\x9c""be\xe2\x80\x9d \xe2\x80\x93""be \xc2\xbf""be? \xc2\xa1""be! \xe2\x80\xa6""be \xe2\x80\x9c""alpha\xe2\x80\x9d \xe2\x80\x93""alpha \xc2\xbf""alpha? \xc2\xa1""alpha! \xe2\x80\xa6""alpha \xe2\x80\x9cthe\xe2\x80\x9d \xe2\x80\x93the \xc2\xbfthe? \xc2\xa1the! \xe2\x80\xa6the \xe2\x80\x9c""and\xe2\x80\x9d \xe2\x80\x93""and \xc2\xbf""and? \xc2\xa1""and! \xe2\x80\xa6""and \xe2\x80\x9cof\xe2\x80\x9d \xe2\x80\x93of \xc2\xbfof? \xc2\xa1of! \xe2\x80\xa6of \xe2\x80\x9c""caf\xc3\xa9\xe2\x80\x9d \xe2\x80\x93""caf\xc3\xa9 \xc2\xbf""caf\xc3\xa9? \xc2\xa1""caf\xc3\xa9! \xe2\x80\xa6""caf\xc3\xa9 \xe2\x80\x9c""be\xe2\x80\x9d \xe2\x80\x93""be \xc2\xbf""be? \xc2\xa1""be! \xe2\x80\xa6""be",
    "Gonna win. GOTTA go. Wanna see? Lemme try. Gimme that. 'Tis true. 'Twas late. D'ye know? More'n ever. Cannot stop. ``Hello'' she said. It's `quoted' here. We'd've gone. Y'all come. I'd say no. Gonna win. GOTTA go. Wanna see? Lemme try. Gimme that. 'Tis true. 'Twas late. D'ye know? More'n ever. Cannot stop. ``Hello'' she said. It's `quoted' here. We'd've gone. Y'all come. I'd say no. Gonna win. GOTTA go. Wanna see? Lemme try. Gimme that. 'Tis true. 'Twas late. D'ye know? More'n ever. Cannot stop. ``Hello'' she said. It's `quoted' here. We'd've gone. Y'all come. I'd say no. Gonna win. GOTTA go. Wanna see? Lemme try. Gimme that. 'Tis true. 'Twas late. D'ye know? More'n ever. Cannot stop. ``Hello'' she said. It's `quoted' here. We'd've gone. Y'all come. I'd say no. wanna",
    "He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end.He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end.He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end.He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end.",
};
static const struct peer_case { const char *filter; int doc; int keep; llmd_filter_rule reason; const char *c4_text; } peer_cases[] = {
    {"c4", 0, 1, LLMD_FRULE_NONE, "One two three.\x0a""Four five six.\x0aSeven eight nine.\x0a""Eleven twelve thirteen.\x0a""Fourteen fifteen sixteen.\x0a""A b c.\x0a""D e f.\x0aG h i.\x0aJ k l.\x0aM n o."},
    {"c4", 1, 1, LLMD_FRULE_NONE, "Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin. Caf\xc3\xa9\xc2\xa0na\xc3\xafve\xe1\x9a\x80words\xe2\x80\x80with\xe3\x80\x80spaces\xe2\x81\x9f""and \xf0\x9f\x98\x80 emoji \xe2\x84\xaa kelvin."},
    {"c4", 2, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 3, 1, LLMD_FRULE_NONE, "This is a sentence with a citation in it.\x0a""Another one here now.\x0a""Edits  are removed too.\x0a""Five sentences are here. Six. Seven. Eight."},
    {"c4", 4, 1, LLMD_FRULE_NONE, "He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know. He said \xc2\xab""bonjour\xc2\xbb and \xe2\x80\x9chello\xe2\x80\x9d then \xe2\x80\x98yes\xe2\x80\x99 she\xe2\x80\x99s gotta go, more'n d'ye know."},
    {"c4", 5, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 6, 1, LLMD_FRULE_NONE, "Same paragraph text appears here again and again.\x0aSame paragraph text appears here again and again.\x0aSame paragraph text appears here again and again.\x0aSame paragraph text appears here again and again.\x0aSame paragraph text appears here again and again.\x0aSame paragraph text appears here again and again.\x0aThe quick brown fox jumps over the lazy dog and then it rests with the cat."},
    {"c4", 7, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 8, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 9, 1, LLMD_FRULE_NONE, "Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today. Wait -- what... really?? Yes!! No-one knows. Dr. Smith met Mr. Jones at 5 p.m. today."},
    {"c4", 10, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 11, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 12, 0, LLMD_FRULE_C4_LOREM_IPSUM, NULL},
    {"c4", 13, 0, LLMD_FRULE_C4_CURLY_BRACKET, NULL},
    {"c4", 14, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 15, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 16, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 17, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 18, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 19, 1, LLMD_FRULE_NONE, "Supercalifragilistic0000 expialidocious0000 wonderful.\x0aSupercalifragilistic0001 expialidocious0007 wonderful.\x0aSupercalifragilistic0002 expialidocious0014 wonderful.\x0aSupercalifragilistic0003 expialidocious0021 wonderful.\x0aSupercalifragilistic0004 expialidocious0028 wonderful.\x0aSupercalifragilistic0005 expialidocious0035 wonderful.\x0aSupercalifragilistic0006 expialidocious0042 wonderful.\x0aSupercalifragilistic0007 expialidocious0049 wonderful.\x0aSupercalifragilistic0008 expialidocious0056 wonderful.\x0aSupercalifragilistic0009 expialidocious0063 wonderful.\x0aSupercalifragilistic0010 expialidocious0070 wonderful.\x0aSupercalifragilistic0011 expialidocious0077 wonderful.\x0aSupercalifragilistic0012 expialidocious0084 wonderful.\x0aSupercalifragilistic0013 expialidocious0091 wonderful.\x0aSupercalifragilistic0014 expialidocious0098 wonderful.\x0aSupercalifragilistic0015 expialidocious0105 wonderful.\x0aSupercalifragilistic0016 expialidocious0112 wonderful.\x0aSupercalifragilistic0017 expialidocious0119 wonderful.\x0aSupercalifragilistic0018 expialidocious0126 wonderful.\x0aSupercalifragilistic0019 expialidocious0133 wonderful."},
    {"c4", 20, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 21, 1, LLMD_FRULE_NONE, "The farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food."},
    {"c4", 22, 1, LLMD_FRULE_NONE, "The farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food."},
    {"c4", 23, 0, LLMD_FRULE_C4_CURLY_BRACKET, NULL},
    {"c4", 24, 1, LLMD_FRULE_NONE, "The farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.\x0aThe farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food.\x0aThe farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food."},
    {"c4", 25, 1, LLMD_FRULE_NONE, "The quick brown fox jumps over the lazy dog and then it rests with the cat.\x0aThe quick brown fox jumps over the lazy dog and then it rests with the cat.\x0aThe quick brown fox jumps over the lazy dog and then it rests with the cat.\x0a""A quick brown fox runs past the lazy dog and then it sleeps by the cat.\x0a""A quick brown fox runs past the lazy dog and then it sleeps by the cat.\x0a""A quick brown fox runs past the lazy dog and then it sleeps by the cat.\x0aThe slow brown fox walks over the lazy dog and then it sits with the cat.\x0aThe slow brown fox walks over the lazy dog and then it sits with the cat.\x0aThe slow brown fox walks over the lazy dog and then it sits with the cat.\x0aThe old brown fox looks at the lazy dog and then it eats with the cat.\x0aThe old brown fox looks at the lazy dog and then it eats with the cat.\x0aThe old brown fox looks at the lazy dog and then it eats with the cat."},
    {"c4", 26, 1, LLMD_FRULE_NONE, "On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home. On 3.14 p.m. the U.S.A. team won 2-1 \xe2\x80\xa6 then e.g. they left i.e. went home."},
    {"c4", 27, 1, LLMD_FRULE_NONE, "The farmer walks to the market. She sells eggs and milk there. It is a busy place today. People come from far away. They all like the fresh food."},
    {"c4", 28, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 29, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 30, 0, LLMD_FRULE_C4_TOO_FEW_SENTENCES, NULL},
    {"c4", 31, 1, LLMD_FRULE_NONE, "He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end.He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end.He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end.He left.) then came back.] and again.} Then \"Yes.\" she said. 'No.' he said... and. ok? fine! e.g. this. Item no. 5 is here. Fig. 3 shows it. St. Louis is a city. the end."},
    {"gopher", 0, 0, LLMD_FRULE_GOPHER_SHORT_DOC, NULL},
    {"gopher", 1, 1, LLMD_FRULE_NONE, NULL},
    {"gopher", 2, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 3, 0, LLMD_FRULE_GOPHER_SHORT_DOC, NULL},
    {"gopher", 4, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 5, 0, LLMD_FRULE_GOPHER_TOO_MANY_ELLIPSIS, NULL},
    {"gopher", 6, 1, LLMD_FRULE_NONE, NULL},
    {"gopher", 7, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 8, 0, LLMD_FRULE_GOPHER_TOO_MANY_HASHES, NULL},
    {"gopher", 9, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 10, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 11, 0, LLMD_FRULE_GOPHER_BELOW_AVG_WORD_LENGTH, NULL},
    {"gopher", 12, 0, LLMD_FRULE_GOPHER_SHORT_DOC, NULL},
    {"gopher", 13, 0, LLMD_FRULE_GOPHER_SHORT_DOC, NULL},
    {"gopher", 14, 0, LLMD_FRULE_GOPHER_TOO_MANY_BULLETS, NULL},
    {"gopher", 15, 0, LLMD_FRULE_GOPHER_TOO_MANY_END_ELLIPSIS, NULL},
    {"gopher", 16, 0, LLMD_FRULE_GOPHER_ENOUGH_STOP_WORDS, NULL},
    {"gopher", 17, 0, LLMD_FRULE_GOPHER_ABOVE_AVG_WORD_LENGTH, NULL},
    {"gopher", 18, 0, LLMD_FRULE_GOPHER_BELOW_AVG_WORD_LENGTH, NULL},
    {"gopher", 19, 0, LLMD_FRULE_GOPHER_ABOVE_AVG_WORD_LENGTH, NULL},
    {"gopher", 20, 0, LLMD_FRULE_GOPHER_SHORT_DOC, NULL},
    {"gopher", 21, 0, LLMD_FRULE_GOPHER_SHORT_DOC, NULL},
    {"gopher", 22, 1, LLMD_FRULE_NONE, NULL},
    {"gopher", 23, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 24, 1, LLMD_FRULE_NONE, NULL},
    {"gopher", 25, 1, LLMD_FRULE_NONE, NULL},
    {"gopher", 26, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 27, 1, LLMD_FRULE_NONE, NULL},
    {"gopher", 28, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 29, 0, LLMD_FRULE_GOPHER_TOO_MANY_ELLIPSIS, NULL},
    {"gopher", 30, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher", 31, 0, LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD, NULL},
    {"gopher-repetition", 0, 1, LLMD_FRULE_NONE, NULL},
    {"gopher-repetition", 1, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 2, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 3, 1, LLMD_FRULE_NONE, NULL},
    {"gopher-repetition", 4, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 5, 0, LLMD_FRULE_REP_DUP_LINE_FRAC, NULL},
    {"gopher-repetition", 6, 0, LLMD_FRULE_REP_DUP_PARA_FRAC, NULL},
    {"gopher-repetition", 7, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 8, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 9, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 10, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 11, 0, LLMD_FRULE_REP_DUP_NGRAM, NULL},
    {"gopher-repetition", 12, 1, LLMD_FRULE_NONE, NULL},
    {"gopher-repetition", 13, 1, LLMD_FRULE_NONE, NULL},
    {"gopher-repetition", 14, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 15, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 16, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 17, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 18, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 19, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 20, 1, LLMD_FRULE_NONE, NULL},
    {"gopher-repetition", 21, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 22, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 23, 0, LLMD_FRULE_REP_DUP_NGRAM, NULL},
    {"gopher-repetition", 24, 0, LLMD_FRULE_REP_DUP_LINE_FRAC, NULL},
    {"gopher-repetition", 25, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 26, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 27, 0, LLMD_FRULE_REP_DUP_LINE_FRAC, NULL},
    {"gopher-repetition", 28, 0, LLMD_FRULE_REP_TOP_NGRAM, NULL},
    {"gopher-repetition", 29, 0, LLMD_FRULE_REP_DUP_NGRAM, NULL},
    {"gopher-repetition", 30, 0, LLMD_FRULE_REP_DUP_NGRAM, NULL},
    {"gopher-repetition", 31, 0, LLMD_FRULE_REP_DUP_NGRAM, NULL},
    {"fineweb", 0, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 1, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 2, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 3, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 4, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 5, 0, LLMD_FRULE_FINEWEB_SHORT_LINE_RATIO, NULL},
    {"fineweb", 6, 0, LLMD_FRULE_FINEWEB_CHAR_DUP_RATIO, NULL},
    {"fineweb", 7, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 8, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 9, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 10, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 11, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 12, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 13, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 14, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 15, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 16, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 17, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 18, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 19, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 20, 0, LLMD_FRULE_FINEWEB_EMPTY, NULL},
    {"fineweb", 21, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 22, 1, LLMD_FRULE_NONE, NULL},
    {"fineweb", 23, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 24, 0, LLMD_FRULE_FINEWEB_SHORT_LINE_RATIO, NULL},
    {"fineweb", 25, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 26, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 27, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 28, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 29, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 30, 0, LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO, NULL},
    {"fineweb", 31, 1, LLMD_FRULE_NONE, NULL},
};

START_TEST(hard_cases_agree_with_datatrove) {
    const char *names[] = {"c4", "gopher", "gopher-repetition", "fineweb"};
    for (int k = 0; k < 4; k++) {
        llmd_filter_options o;
        llmd_filter_options_init(&o);
        o.filters = names[k];
        llmd_filter *f;
        ck_ok(llmd_filter_new(&f, &o));
        for (size_t i = 0; i < sizeof peer_cases / sizeof peer_cases[0]; i++) {
            const struct peer_case *pc = &peer_cases[i];
            if (strcmp(pc->filter, names[k]) != 0) continue;
            const char *text = peer_texts[pc->doc];
            llmd_filter_result r;
            ck_ok(llmd_filter_apply(f, text, strlen(text), &r, NULL));
            ck_assert_msg(r.keep == pc->keep && r.reason == pc->reason, "%s doc %d: keep %d reason %s, datatrove %d %s",
                          pc->filter, pc->doc, r.keep, llmd_filter_rule_name(r.reason) ? llmd_filter_rule_name(r.reason) : "-",
                          pc->keep, llmd_filter_rule_name(pc->reason) ? llmd_filter_rule_name(pc->reason) : "-");
            if (pc->c4_text != NULL) {
                const char *got = r.text ? r.text : text;
                ck_assert_msg(strcmp(got, pc->c4_text) == 0, "c4 doc %d: kept text differs:\n%s\n---\n%s", pc->doc, got,
                              pc->c4_text);
            }
            llmd_free(r.text);
        }
        /* the same documents as one batch on 3 threads, with counters: the same decisions */
        size_t nd = sizeof peer_texts / sizeof peer_texts[0];
        size_t lens[64];
        llmd_filter_result res[64];
        for (size_t i = 0; i < nd; i++) lens[i] = strlen(peer_texts[i]);
        llmd_filter_stats *st;
        ck_ok(llmd_filter_stats_new(&st));
        ck_ok(llmd_filter_batch(f, peer_texts, lens, nd, 3, res, st));
        uint64_t in = 0, kept = 0;
        llmd_filter_stats_totals(st, &in, &kept, NULL);
        ck_assert_uint_eq(in, nd);
        uint64_t want_kept = 0;
        for (size_t i = 0; i < sizeof peer_cases / sizeof peer_cases[0]; i++)
            if (strcmp(peer_cases[i].filter, names[k]) == 0) {
                want_kept += (uint64_t)peer_cases[i].keep;
                ck_assert_int_eq(res[peer_cases[i].doc].keep, peer_cases[i].keep);
                ck_assert_int_eq(res[peer_cases[i].doc].reason, peer_cases[i].reason);
            }
        ck_assert_uint_eq(kept, want_kept);
        for (size_t i = 0; i < nd; i++) llmd_free(res[i].text);
        llmd_filter_stats_free(st);
        ck_ok(llmd_filter_batch(f, NULL, NULL, 0, 1, NULL, NULL));
        ck_fails(llmd_filter_batch(NULL, peer_texts, lens, 1, 1, res, NULL), LLMD_ERR_INVALID_ARG, "NULL");
        ck_fails(llmd_filter_batch(f, NULL, lens, 1, 1, res, NULL), LLMD_ERR_INVALID_ARG, "NULL");
        ck_fails(llmd_filter_batch(f, peer_texts, NULL, 1, 1, res, NULL), LLMD_ERR_INVALID_ARG, "NULL");
        ck_fails(llmd_filter_batch(f, peer_texts, lens, 1, 1, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
        llmd_filter_free(f);
    }
}
END_TEST

/* badwords with the language found by the language filter (filter.h): the list of that language;
 * ja/th/zh entries match anywhere; a language without a list keeps the document. */
START_TEST(bad_words_follow_the_language) {
    fake_lang fl = {{"de"}, {1.0}, 1, 0, 0};
    llmd_filter_options o;
    llmd_filter_options_init(&o);
    o.filters = "language,badwords";
    o.language_predict = fake_predict;
    o.language_ctx = &fl;
    o.language_threshold = 0;
    llmd_filter *f;
    ck_ok(llmd_filter_new(&f, &o));
    static const struct { const char *lang, *text; int keep; } cases[] = {
        {"de", "du arsch!", 0}, {"de", "Du ARSCH", 0}, {"de", "darsch und barsch", 1}, {"de", "hello", 1},
        {"ja", "abc3pdef", 0}, {"ja", "abc", 1}, {"xx", "du arsch", 1}, {"__label__de", "arsch", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        fl.labels[0] = cases[i].lang;
        llmd_filter_result r;
        ck_ok(apply1(f, cases[i].text, &r));
        ck_assert_msg(r.keep == cases[i].keep, "%s '%s': keep %d (%s)", cases[i].lang, cases[i].text, r.keep,
                      llmd_filter_rule_name(r.reason) ? llmd_filter_rule_name(r.reason) : "-");
        if (!r.keep) ck_assert_int_eq(r.reason, LLMD_FRULE_BADWORDS);
        llmd_free(r.text);
    }
    llmd_filter_free(f);
    /* without the language filter: badwords_default_language */
    llmd_filter_options_init(&o);
    o.filters = "badwords";
    o.badwords_default_language = "de";
    ck_ok(llmd_filter_new(&f, &o));
    llmd_filter_result r;
    ck_ok(apply1(f, "so ein arsch", &r));
    ck_assert_int_eq(r.keep, 0);
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
    tcase_add_test(tc, hard_cases_agree_with_datatrove);
    tcase_add_test(tc, bad_words_follow_the_language);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
