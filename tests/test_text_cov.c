/* Suite "text_cov": redactor options (types, templates, caller rules and validators), type lists,
 * clean+redact and batch argument paths, cleaning option combinations (issue 19 branch coverage).
 * Expected outputs are worked by hand from text.h's rules. */
#include "testutil.h"

static int only_even(const char *m, size_t len, void *user) {
    (void)user;
    return (m[len - 1] - '0') % 2 == 0;
}

START_TEST(type_lists_and_names) {
    uint32_t mask = 0;
    ck_ok(llmd_pii_parse_types(" EMAIL_ADDRESS , US_SSN ", &mask));
    ck_assert_uint_eq(mask, (1u << LLMD_PII_EMAIL_ADDRESS) | (1u << LLMD_PII_US_SSN));
    ck_ok(llmd_pii_parse_types("all", &mask));
    ck_assert_uint_eq(mask, LLMD_PII_ALL);
    ck_ok(llmd_pii_parse_types("none", &mask));
    ck_assert_uint_eq(mask, 0);
    ck_ok(llmd_pii_parse_types("", &mask));
    ck_assert_uint_eq(mask, 0);
    ck_ok(llmd_pii_parse_types(",SECRET,,", &mask));
    ck_assert_uint_eq(mask, 1u << LLMD_PII_SECRET);
    ck_fails(llmd_pii_parse_types("email_address", &mask), LLMD_ERR_NOT_FOUND, "email_address");
    ck_fails(llmd_pii_parse_types(NULL, &mask), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_pii_parse_types("all", NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_assert_str_eq(llmd_pii_type_name(LLMD_PII_IBAN_CODE), "IBAN_CODE");
    ck_assert_ptr_null(llmd_pii_type_name(LLMD_PII_BUILTIN_COUNT));
    ck_assert_ptr_null(llmd_pii_type_name((llmd_pii_type)-1));
}
END_TEST

START_TEST(redactor_options_templates_and_rules) {
    llmd_redactor *r = NULL;
    llmd_redactor_options o;
    llmd_redactor_options_init(&o);
    ck_fails(llmd_redactor_new(NULL, &o), LLMD_ERR_INVALID_ARG, "out is NULL");
    o.types = 0x80;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_RANGE, "unknown type bits 0x80");
    o.types = LLMD_PII_ALL;
    o.n_rules = 1;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_INVALID_ARG, "n_rules is 1 but rules is NULL");
    llmd_pii_rule rules[2] = {{"", "x", NULL, NULL}, {"ID", NULL, NULL, NULL}};
    o.rules = rules;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_INVALID_ARG, "rule 0: empty type name");
    o.rules = rules + 1;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_INVALID_ARG, "rule 0 (ID): pattern is NULL");
    llmd_pii_rule badpat = {"ID", "(", NULL, NULL};
    o.rules = &badpat;
    ck_fails(llmd_redactor_new(&r, &o), LLMD_ERR_PARSE, "does not compile at offset");
    o.rules = NULL;
    o.n_rules = 0;
    static const char *bad_templates[] = {"{type", "x}y", "{typo}", "{"};
    for (int i = 0; i < 4; i++) {
        o.replacement = bad_templates[i];
        ck_assert_msg(llmd_redactor_new(&r, &o) == LLMD_ERR_INVALID_ARG, "template '%s' accepted", bad_templates[i]);
        ck_assert_ptr_null(r);
    }
    o.version = 9;
    ck_assert_int_eq(llmd_redactor_new(&r, &o), LLMD_ERR_VERSION);
    /* a template with literal braces; a caller rule with a validator; only emails built in */
    llmd_redactor_options_init(&o);
    o.types = 1u << LLMD_PII_EMAIL_ADDRESS;
    o.replacement = "{{{type}}}";
    llmd_pii_rule emp = {"EMPLOYEE_ID", "EMP-[0-9]+", only_even, NULL};
    o.rules = &emp;
    o.n_rules = 1;
    ck_ok(llmd_redactor_new(&r, &o));
    ck_assert_uint_eq(llmd_redactor_type_count(r), 8);
    ck_assert_str_eq(llmd_redactor_type_name(r, 7), "EMPLOYEE_ID");
    ck_assert_str_eq(llmd_redactor_type_name(r, 0), "EMAIL_ADDRESS");
    ck_assert_ptr_null(llmd_redactor_type_name(r, 8));
    ck_assert_ptr_null(llmd_redactor_type_name(NULL, 0));
    ck_assert_uint_eq(llmd_redactor_type_count(NULL), 0);
    const char *text = "mail bob@example.com, ids EMP-12 EMP-13, ssn 123-45-6789";
    char *out;
    size_t n, ns;
    llmd_pii_span *sp;
    ck_ok(llmd_redactor_redact(r, text, strlen(text), &out, &n, &sp, &ns));
    ck_assert_str_eq(out, "mail {EMAIL_ADDRESS}, ids {EMPLOYEE_ID} EMP-13, ssn 123-45-6789");
    ck_assert_uint_eq(n, strlen(out));
    ck_assert_uint_eq(ns, 2);
    ck_assert(sp[0].start == 5 && sp[0].end == 20 && sp[1].type_id == 7 && sp[1].start == 26 && sp[1].end == 32);
    llmd_free(sp);
    llmd_free(out);
    /* redact without spans wanted */
    ck_ok(llmd_redactor_redact(r, "no pii here", 11, &out, &n, NULL, NULL));
    ck_assert_str_eq(out, "no pii here");
    llmd_free(out);
    ck_ok(llmd_redactor_find(r, "", 0, &sp, &ns));
    ck_assert_uint_eq(ns, 0);
    ck_assert_ptr_null(sp);
    ck_fails(llmd_redactor_find(NULL, "x", 1, &sp, &ns), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_redactor_find(r, NULL, 1, &sp, &ns), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_redactor_find(r, "x", 1, NULL, &ns), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_redactor_redact(NULL, "x", 1, &out, &n, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_redactor_redact(r, "x", 1, NULL, &n, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    llmd_redactor_free(r);
    llmd_redactor_free(NULL);
    /* a fixed mask (no {type}); nothing built in */
    llmd_redactor_options_init(&o);
    o.types = 0;
    o.replacement = "****";
    o.rules = &emp;
    o.n_rules = 1;
    emp.validator = NULL;
    ck_ok(llmd_redactor_new(&r, &o));
    ck_ok(llmd_redactor_redact(r, text, strlen(text), &out, &n, NULL, NULL));
    ck_assert_str_eq(out, "mail bob@example.com, ids **** ****, ssn 123-45-6789");
    llmd_free(out);
    llmd_redactor_free(r);
}
END_TEST

START_TEST(clean_and_redact_and_batches) {
    char *out;
    size_t n;
    llmd_pii_span *sp;
    size_t ns;
    ck_fails(llmd_clean_and_redact(NULL, 3, NULL, NULL, &out, &n, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_clean_and_redact("x", 1, NULL, NULL, NULL, &n, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    /* clean only (r NULL): tags out, entities decoded, white space collapsed */
    const char *html = "<p>Tom &amp; Jerry</p>\n\n<div>x@example.org</div>";
    ck_ok(llmd_clean_and_redact(html, strlen(html), NULL, NULL, &out, &n, &sp, &ns));
    ck_assert_str_eq(out, "Tom & Jerry x@example.org");
    ck_assert_uint_eq(ns, 0);
    llmd_free(out);
    llmd_redactor *r;
    ck_ok(llmd_redactor_new(&r, NULL));
    /* offsets refer to the cleaned text */
    ck_ok(llmd_clean_and_redact(html, strlen(html), NULL, r, &out, &n, &sp, &ns));
    ck_assert_str_eq(out, "Tom & Jerry [EMAIL_ADDRESS]");
    ck_assert(ns == 1 && sp[0].start == 12 && sp[0].end == 25);
    llmd_free(sp);
    llmd_free(out);
    /* keep_paragraphs, no normalisation, controls kept */
    llmd_clean_options co;
    llmd_clean_options_init(&co);
    co.keep_paragraphs = 1;
    co.normalization = LLMD_NORM_NONE;
    co.html = 0;
    ck_ok(llmd_clean_and_redact("a\n\n\nb <i>c</i>", 14, &co, NULL, &out, &n, NULL, NULL));
    ck_assert_str_eq(out, "a\n\nb <i>c</i>");
    llmd_free(out);
    co.invalid_utf8 = LLMD_INVALID_UTF8_ERROR;
    ck_assert_int_eq(llmd_clean_and_redact("a\xff", 2, &co, r, &out, &n, NULL, NULL), LLMD_ERR_UTF8);
    /* batches: a NULL text with a length is named; strict UTF-8 failure names the text index */
    const char *texts[] = {"one x@example.org", NULL, "a\xff"};
    const size_t lens[] = {17, 4, 2};
    llmd_text_batch *b;
    size_t failed = 7;
    ck_fails(llmd_text_batch_run(texts, lens, 3, 1, NULL, r, 1, NULL, &failed), LLMD_ERR_INVALID_ARG, "out is NULL");
    ck_fails(llmd_text_batch_run(NULL, lens, 3, 1, NULL, r, 1, &b, &failed), LLMD_ERR_INVALID_ARG, "texts or lens");
    ck_fails(llmd_text_batch_run(texts, lens, 3, 1, NULL, r, 2, &b, &failed), LLMD_ERR_INVALID_ARG, "text 1: NULL with length 4");
    ck_assert_uint_eq(failed, 1);
    const char *texts2[] = {"one x@example.org", "", "a\xff"};
    const size_t lens2[] = {17, 0, 2};
    ck_assert_int_eq(llmd_text_batch_run(texts2, lens2, 3, 1, &co, r, 2, &b, &failed), LLMD_ERR_UTF8);
    ck_assert_uint_eq(failed, 2);
    ck_assert_msg(strstr(llmd_last_error(), "text 2: "), "%s", llmd_last_error());
    /* no cleaning, redaction only: invalid bytes pass through, spans per text */
    ck_ok(llmd_text_batch_run(texts2, lens2, 3, 0, NULL, r, 0, &b, &failed));
    ck_assert_uint_eq(failed, SIZE_MAX);
    ck_assert_uint_eq(b->n, 3);
    ck_assert_int_eq((int)(b->offsets[1] - b->offsets[0]), (int)strlen("one [EMAIL_ADDRESS]"));
    ck_assert_mem_eq(b->data + b->offsets[0], "one [EMAIL_ADDRESS]", b->offsets[1] - b->offsets[0]);
    ck_assert(b->span_offsets[1] == 1 && b->span_offsets[3] == 1 && b->spans[0].start == 4);
    ck_assert_mem_eq(b->data + b->offsets[2], "a\xff", 2);
    llmd_text_batch_free(b);
    /* zero texts */
    ck_ok(llmd_text_batch_run(NULL, NULL, 0, 1, NULL, NULL, 1, &b, NULL));
    ck_assert_uint_eq(b->n, 0);
    llmd_text_batch_free(b);
    llmd_text_batch_free(NULL);
    llmd_redactor_free(r);
    /* clean_text argument and version errors */
    ck_fails(llmd_clean_text("x", 1, NULL, NULL, &n), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_clean_text(NULL, 1, NULL, &out, &n), LLMD_ERR_INVALID_ARG, "");
    co.version = 0;
    ck_assert_int_eq(llmd_clean_text("x", 1, &co, &out, &n), LLMD_ERR_VERSION);
    ck_ok(llmd_clean_text(NULL, 0, NULL, &out, &n));
    ck_assert_str_eq(out, "");
    llmd_free(out);
}
END_TEST

/* Secret tokens of every prefix text.h lists, and near misses (wrong letter, too short). */
START_TEST(secret_prefixes) {
    llmd_redactor_options o;
    llmd_redactor_options_init(&o);
    o.types = 1u << LLMD_PII_SECRET;
    o.replacement = "<S>";
    llmd_redactor *r;
    ck_ok(llmd_redactor_new(&r, &o));
    char tok36[40], buf[256];
    memset(tok36, 'a', 36);
    tok36[36] = 0;
    static const char *gh[] = {"ghp_", "gho_", "ghu_", "ghs_", "ghr_"};
    for (int i = 0; i < 5; i++) {
        snprintf(buf, sizeof buf, "key %s%s end", gh[i], tok36);
        char *out;
        size_t n;
        ck_ok(llmd_redactor_redact(r, buf, strlen(buf), &out, &n, NULL, NULL));
        ck_assert_msg(strcmp(out, "key <S> end") == 0, "%s -> %s", buf, out);
        llmd_free(out);
    }
    static const char *slack[] = {"xoxa-", "xoxb-", "xoxp-", "xoxr-", "xoxs-"};
    for (int i = 0; i < 5; i++) {
        snprintf(buf, sizeof buf, "key %s1234567890-abc end", slack[i]);
        char *out;
        size_t n;
        ck_ok(llmd_redactor_redact(r, buf, strlen(buf), &out, &n, NULL, NULL));
        ck_assert_msg(strcmp(out, "key <S> end") == 0, "%s -> %s", buf, out);
        llmd_free(out);
    }
    /* near misses stay: ghx_, gh without '_', a 35-character body, xoxz-, a short Slack body */
    static const char *miss[] = {"ghx_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "ghp-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                                 "ghp_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "xoxz-1234567890", "xoxb-12345", "gh", "xo"};
    for (int i = 0; i < 7; i++) {
        llmd_pii_span *sp;
        size_t ns;
        ck_ok(llmd_redactor_find(r, miss[i], strlen(miss[i]), &sp, &ns));
        ck_assert_msg(ns == 0, "'%s' redacted", miss[i]);
    }
    llmd_redactor_free(r);
}
END_TEST

/* Cleaning option combinations worked by hand from text.h's steps. */
START_TEST(cleaning_options_by_hand) {
    static const struct { int html, norm, drop, ws, para; const char *in, *want; } cases[] = {
        /* controls dropped, \r\n -> \n kept when white space is not collapsed */
        {0, LLMD_NORM_NONE, 1, 0, 0, "a\x01" "b\r\nc\x7f", "ab\nc"},
        /* white space collapsed: \r, \v, \f and U+3000 count as white space; \x1c is a control
         * (step 3 excepts only \v, \f and \r) and goes */
        {0, LLMD_NORM_NONE, 1, 1, 0, " a\rb\x0b" "c\x0c" "d\xe3\x80\x80" "e\x1c" "f ", "a b c d ef"},
        /* controls kept: then \x1c-\x1f are white space as in Python's str.split() */
        {0, LLMD_NORM_NONE, 0, 1, 0, "e\x1c" "f\x1f" "g", "e f g"},
        /* controls kept */
        {0, LLMD_NORM_NONE, 0, 0, 0, "a\x01" "b", "a\x01" "b"},
        /* keep_paragraphs: a run with two line breaks, \r\n counted once each */
        {0, LLMD_NORM_NONE, 1, 1, 1, "a\r\n\r\nb\n c", "a\n\nb c"},
        /* NFKC folds the fi ligature and full-width letters; NFC leaves them */
        {0, LLMD_NORM_NFKC, 1, 1, 0, "\xef\xac\x81" "ne \xef\xbd\x81", "fine a"},
        {0, LLMD_NORM_NFC, 1, 1, 0, "\xef\xac\x81" "ne", "\xef\xac\x81" "ne"},
        /* HTML: tags with attributes, a self-closing tag, a comment, numeric references */
        {1, LLMD_NORM_NFC, 1, 1, 0, "<a href=\"x>y\">link</a><br/>x<!-- no -->&#65;&#x42;&#150;", "link xAB\xe2\x80\x93"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        llmd_clean_options co;
        llmd_clean_options_init(&co);
        co.html = cases[i].html;
        co.normalization = cases[i].norm;
        co.drop_controls = cases[i].drop;
        co.whitespace = cases[i].ws;
        co.keep_paragraphs = cases[i].para;
        char *out;
        size_t n;
        ck_ok(llmd_clean_text(cases[i].in, strlen(cases[i].in), &co, &out, &n));
        ck_assert_msg(strcmp(out, cases[i].want) == 0 && n == strlen(out), "case %zu: got '%s' want '%s'", i, out,
                      cases[i].want);
        llmd_free(out);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("text_cov");
    TCase *tc = tcase_create("cov");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, type_lists_and_names);
    tcase_add_test(tc, redactor_options_templates_and_rules);
    tcase_add_test(tc, clean_and_redact_and_batches);
    tcase_add_test(tc, secret_prefixes);
    tcase_add_test(tc, cleaning_options_by_hand);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
