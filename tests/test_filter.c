/* Check suite for quality filters (include/llmdata/filter.h).  Expected outcomes are worked out by
 * hand from the rules as written in the header (C4: Raffel et al. 2020 / TFDS c4 clean_page;
 * Gopher: Rae et al. 2021, appendix A), noted per case. */
#include <unistd.h>

#include "testutil.h"

/* 13 words, mean core length 49/13 = 3.77, stop words the x2, and, that */
#define S "The quick brown fox jumps over the lazy dog and that was fine."
#define GOOD S "\n" S "\n" S "\n" S "\n" S "\n" /* 65 words, 5 sentences */

static llmd_filter *mk(int c4, int gopher, uint64_t minb, uint64_t maxb) {
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.c4 = c4;
    o.gopher = gopher;
    o.min_bytes = minb;
    o.max_bytes = maxb;
    llmd_filter *f = NULL;
    ck_ok(llmd_filter_new(&f, &o));
    return f;
}

static int reason_of(const llmd_filter *f, const char *text) {
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, text, strlen(text), &r));
    ck_assert_int_eq(r.keep, r.reason < 0);
    llmd_free(r.text);
    return r.reason;
}

START_TEST(test_good_kept) {
    llmd_filter *f = mk(1, 1, 0, 0);
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, GOOD, strlen(GOOD), &r));
    ck_assert_int_eq(r.keep, 1);
    ck_assert_ptr_null(r.text); /* nothing removed: keep the input as is */
    llmd_filter_free(f);
}
END_TEST

START_TEST(test_c4_lines) {
    llmd_filter *f = mk(1, 1, 0, 0);
    /* "Home About Contact" has no terminal mark, "Read the rest..." ends in an ellipsis (TFDS: not
     * an end mark); "Go!" has 1 word; the javascript line ends in '.' */
    const char *t = "Home About Contact\n" S "\nGo!\n" S "\nPlease enable JavaScript to continue.\n" S
                    "\nRead the rest...\n   \n" S "\n" S;
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, t, strlen(t), &r));
    ck_assert_int_eq(r.keep, 1);
    ck_assert_uint_eq(r.lines_removed[LLMD_FRULE_C4_LINE_TERMINAL], 2);
    ck_assert_uint_eq(r.lines_removed[LLMD_FRULE_C4_LINE_WORDS], 1);
    ck_assert_uint_eq(r.lines_removed[LLMD_FRULE_C4_LINE_JAVASCRIPT], 1);
    ck_assert_ptr_nonnull(r.text);
    ck_assert_str_eq(r.text, S "\n" S "\n" S "\n" S "\n" S);
    ck_assert_uint_eq(r.len, strlen(S) * 5 + 4);
    llmd_filter_counts c;
    memset(&c, 0, sizeof c);
    llmd_filter_counts_add(&c, &r);
    ck_assert_uint_eq(c.docs_modified, 1);
    ck_assert_uint_eq(c.lines_removed[LLMD_FRULE_C4_LINE_JAVASCRIPT], 1);
    llmd_free(r.text);
    llmd_filter_free(f);
}
END_TEST

START_TEST(test_c4_doc_rules) {
    llmd_filter *f = mk(1, 0, 0, 0);
    ck_assert_int_eq(reason_of(f, GOOD "Lorem Ipsum dolor sit amet."), LLMD_FRULE_C4_LOREM_IPSUM);
    ck_assert_int_eq(reason_of(f, GOOD "Use f(x) { return x; } here."), LLMD_FRULE_C4_CURLY_BRACE);
    ck_assert_int_eq(reason_of(f, GOOD "What a load of SHIT, really."), LLMD_FRULE_C4_BAD_WORDS);
    /* "shitake" is not the word "shit" */
    ck_assert_int_eq(reason_of(f, GOOD "We cooked shitake mushrooms today."), -1);
    ck_assert_int_eq(reason_of(f, S "\n" S "\n" S "\n" S), LLMD_FRULE_C4_SENTENCES); /* 4 sentences */
    ck_assert_int_eq(reason_of(f, "menu\nhome\n"), LLMD_FRULE_C4_EMPTY);
    ck_assert_int_eq(reason_of(f, ""), LLMD_FRULE_C4_EMPTY);
    llmd_filter_free(f);
}
END_TEST

START_TEST(test_gopher_rules) {
    llmd_filter *f = mk(0, 1, 0, 0);
    ck_assert_int_eq(reason_of(f, GOOD), -1);
    ck_assert_int_eq(reason_of(f, S " " S " " S), LLMD_FRULE_GOPHER_WORDS); /* 39 words */
    /* mean word length: 65 words of 12 letters */
    char buf[4096] = "";
    for (int i = 0; i < 65; i++) strcat(buf, i % 13 == 0 ? "the abcdefghijkl " : "abcdefghijkl ");
    ck_assert_int_eq(reason_of(f, buf), LLMD_FRULE_GOPHER_WORD_LEN);
    /* 7 '#' over 65+1 words > 0.1 */
    ck_assert_int_eq(reason_of(f, GOOD "#######"), LLMD_FRULE_GOPHER_SYMBOLS);
    /* 6 '#' over 66 words <= 0.1: kept */
    ck_assert_int_eq(reason_of(f, GOOD "######"), -1);
    /* every line a bullet (5/5 > 90%) */
    ck_assert_int_eq(reason_of(f, "- " S "\n- " S "\n* " S "\n\xE2\x80\xA2 " S "\n- " S), LLMD_FRULE_GOPHER_BULLETS);
    /* 4 of 5 bullets = 80%: kept */
    ck_assert_int_eq(reason_of(f, "- " S "\n- " S "\n* " S "\n\xE2\x80\xA2 " S "\n" S), -1);
    /* 2 of 5 lines end with an ellipsis = 40% > 30% */
    ck_assert_int_eq(reason_of(f, S "..\n" S "\xE2\x80\xA6\n" S "\n" S "\n" S), LLMD_FRULE_GOPHER_ELLIPSIS);
    /* no stop words */
    strcpy(buf, "");
    for (int i = 0; i < 60; i++) strcat(buf, "quick brown ");
    ck_assert_int_eq(reason_of(f, buf), LLMD_FRULE_GOPHER_STOP_WORDS);
    /* 65 words, 20 without letters: 45/65 = 69% < 80% */
    strcpy(buf, GOOD);
    for (int i = 0; i < 20; i++) strcat(buf, " 1234");
    ck_assert_int_eq(reason_of(f, buf), LLMD_FRULE_GOPHER_ALPHA);
    llmd_filter_free(f);
}
END_TEST

START_TEST(test_length_and_names) {
    llmd_filter *f = mk(0, 0, 10, 20);
    ck_assert_int_eq(reason_of(f, "short"), LLMD_FRULE_LEN_MIN);
    ck_assert_int_eq(reason_of(f, "exactly ten"), -1);
    ck_assert_int_eq(reason_of(f, "this one is longer than twenty bytes"), LLMD_FRULE_LEN_MAX);
    llmd_filter_free(f);
    for (int i = 0; i < LLMD_FRULE_COUNT; i++) ck_assert_ptr_nonnull(llmd_filter_rule_name(i));
    ck_assert_str_eq(llmd_filter_rule_name(LLMD_FRULE_GOPHER_STOP_WORDS), "gopher_stop_words");
    ck_assert_ptr_null(llmd_filter_rule_name(LLMD_FRULE_COUNT));
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.min_bytes = 5;
    o.max_bytes = 4;
    llmd_filter *g = NULL;
    ck_fails(llmd_filter_new(&g, &o), LLMD_ERR_INVALID_ARG, "min_bytes");
    o.max_bytes = 0;
    o.bad_words_file = "/nonexistent/words.txt";
    ck_fails(llmd_filter_new(&g, &o), LLMD_ERR_NOT_FOUND, "bad-words file: /nonexistent/words.txt");
    o.version = 42;
    ck_fails(llmd_filter_new(&g, &o), LLMD_ERR_VERSION, "");
}
END_TEST

START_TEST(test_custom_words_and_batch) {
    char path[] = "/tmp/llmd_filter_words_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    const char *w = "Mushroom\n  zebra  \n\n";
    ck_assert_int_eq(write(fd, w, strlen(w)), (int)strlen(w));
    close(fd);
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.bad_words_file = path;
    llmd_filter *f = NULL;
    ck_ok(llmd_filter_new(&f, &o));
    unlink(path);
    ck_assert_int_eq(reason_of(f, GOOD "Zebras are not zebra."), LLMD_FRULE_C4_BAD_WORDS);
    ck_assert_int_eq(reason_of(f, GOOD "What a load of shit, really."), -1); /* bundled list replaced */
    const char *texts[] = {GOOD, "x", GOOD "(mushroom)", "Home\n" GOOD};
    size_t lens[4];
    for (int i = 0; i < 4; i++) lens[i] = strlen(texts[i]);
    llmd_filter_result r[4];
    ck_ok(llmd_filter_batch(f, texts, lens, 4, 2, r));
    ck_assert_int_eq(r[0].reason, -1);
    ck_assert_int_eq(r[1].reason, LLMD_FRULE_C4_EMPTY); /* "x": 1 word, removed */
    ck_assert_int_eq(r[2].reason, LLMD_FRULE_C4_BAD_WORDS);
    ck_assert_int_eq(r[3].reason, -1);
    ck_assert_ptr_nonnull(r[3].text);
    for (int i = 0; i < 4; i++) llmd_free(r[i].text);
    llmd_filter_free(f);
}
END_TEST

int main(void) {
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("filter");
    tcase_add_test(tc, test_good_kept);
    tcase_add_test(tc, test_c4_lines);
    tcase_add_test(tc, test_c4_doc_rules);
    tcase_add_test(tc, test_gopher_rules);
    tcase_add_test(tc, test_length_and_names);
    tcase_add_test(tc, test_custom_words_and_batch);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
