/* Check suite for the quality filters (include/llmdata/filter.h).  Every expectation is worked out
 * by hand from datatrove's filter code (src/datatrove/pipeline/filters/) and NLTK's tokenizers
 * (punkt.py, destructive.py); the arithmetic is written next to each case.  Threshold edges are
 * tested at, just below and just above the threshold. */
#include <pthread.h>
#include <unistd.h>

#include "filter/words.h"
#include "testutil.h"

/* ---------------------------------------------------------------- helpers */

static llmd_filter *mk(const char *filters, const llmd_filter_options *base) {
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    if (base) o = *base;
    o.filters = filters;
    llmd_filter *f = NULL;
    ck_ok(llmd_filter_new(&f, &o));
    return f;
}

static llmd_filter_rule reason_of(const llmd_filter *f, const char *text) {
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, text, strlen(text), &r, NULL));
    ck_assert_int_eq(r.keep, r.reason == LLMD_FRULE_NONE);
    llmd_free(r.text);
    return r.reason;
}

static llmd_filter_rule run1(const char *filters, const llmd_filter_options *o, const char *text) {
    llmd_filter *f = mk(filters, o);
    llmd_filter_rule r = reason_of(f, text);
    llmd_filter_free(f);
    return r;
}

/* Repeats `unit` n times into a static buffer. */
static char *rep(const char *head, const char *unit, int n, const char *tail) {
    static char buf[1 << 16];
    size_t len = 0;
    buf[0] = 0;
    len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", head);
    for (int i = 0; i < n; i++) len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", unit);
    snprintf(buf + len, sizeof buf - len, "%s", tail);
    return buf;
}

/* Tokens of nltk.word_tokenize (untrained punkt) joined by '|'. */
static char *words_of(const char *text) {
    static char out[4096];
    fw_scratch sc = {0};
    fw_tokens t = {0};
    ck_assert(fw_word_tokenize(&sc, text, strlen(text), &t));
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < t.n; i++)
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%.*s", i ? "|" : "", (int)t.blen[i], t.buf.p + t.start[i]);
    fw_tokens_free(&t);
    fw_scratch_free(&sc);
    return out;
}

static size_t sentences_of(const char *text) {
    fw_scratch sc = {0};
    fw_spans sp = {0};
    ck_assert(fw_sentence_spans(&sc, text, strlen(text), &sp));
    size_t n = sp.n;
    llmd_free(sp.v);
    fw_scratch_free(&sc);
    return n;
}

/* ---------------------------------------------------------------- tokenizer */

START_TEST(test_treebank_tokens) {
    /* NLTKWordTokenizer.tokenize docstring (destructive.py): one string, no sentence splitting */
    fw_scratch sc = {0};
    fw_tokens t = {0};
    const char *s = "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.";
    ck_assert(fw_treebank_tokenize(&sc, s, strlen(s), &t));
    const char *want[] = {"Good", "muffins", "cost", "$", "3.88", "(", "roughly", "3,36", "euros", ")", "in", "New",
                          "York.", "Please", "buy", "me", "two", "of", "them.", "Thanks", "."};
    ck_assert_uint_eq(t.n, 21);
    for (size_t i = 0; i < 21; i++) {
        ck_assert_uint_eq(t.blen[i], strlen(want[i]));
        ck_assert(memcmp(t.buf.p + t.start[i], want[i], t.blen[i]) == 0);
    }
    fw_tokens_free(&t);
    fw_scratch_free(&sc);
    /* word_tokenize docstring (nltk/tokenize/__init__.py): punkt splits first, so periods split off */
    ck_assert_str_eq(words_of("Good muffins cost $3.88\nin New York.  Please buy me\ntwo of them.\n\nThanks."),
                     "Good|muffins|cost|$|3.88|in|New|York|.|Please|buy|me|two|of|them|.|Thanks|.");
    /* contractions and quotes: STARTING_QUOTES ^" -> ``, ENDING_QUOTES " -> '', n't / 'll split */
    ck_assert_str_eq(words_of("\"They'll say I can't,\" he said."),
                     "``|They|'ll|say|I|ca|n't|,|''|he|said|.");
    ck_assert_str_eq(words_of("I cannot, gonna go -- 'tis fine."), "I|can|not|,|gon|na|go|--|'t|is|fine|.");
    /* every MacIntyre contraction in any case, and near misses (expected: NLTK 3.8's
     * NLTKWordTokenizer().tokenize on the same strings, one sentence each) */
    ck_assert_str_eq(words_of("CANNOT Gimme LeMMe GOTTA wanna go, D'ye more'n 'Twas 'TIS ok."),
                     "CAN|NOT|Gim|me|LeM|Me|GOT|TA|wan|na|go|,|D|'ye|more|'n|'T|was|'T|IS|ok|.");
    ck_assert_str_eq(words_of("xcannot gonnax can't canNot."), "xcannot|gonnax|ca|n't|can|Not|.");
    ck_assert_str_eq(words_of("Gonna'tis wannabe wanna  go"), "Gon|na|'t|is|wannabe|wan|na|go");
    /* opening quotes after space ( [ { < and the other quote passes (expected: NLTKWordTokenizer) */
    ck_assert_str_eq(words_of("He said ''hi'' and (''x'') [\"y\"] {\"z\"} <\"w\"> a\"b 'c' '''d"),
                     "He|said|``|hi|''|and|(|``|x|''|)|[|``|y|''|]|{|``|z|''|}|<|``|w|''|>|a|''|b|'|c|'|``|'d");
    ck_assert_str_eq(words_of("\"Start\" and \"\" or \" ' '' end"), "``|Start|''|and|``|''|or|``|'|``|end");
    /* #, ..., brackets padded; a non-final period stays on its word inside a sentence */
    ck_assert_str_eq(words_of("See #5 (a.b) now..."), "See|#|5|(|a.b|)|now|...");
}
END_TEST

START_TEST(test_punkt_sentences) {
    /* untrained punkt: every period-final word before another token breaks ... */
    ck_assert_uint_eq(sentences_of("One two. Three four. Five six."), 3);
    ck_assert_uint_eq(sentences_of("Mr. Smith left."), 2); /* no abbreviation list */
    /* ... except an initial or a number before a lower-case word (ortho heuristic) */
    ck_assert_uint_eq(sentences_of("He met J. Smith here."), 1);  /* initial + upper-case: not a break */
    ck_assert_uint_eq(sentences_of("It was 1999. Then came more."), 2); /* number + upper-case: break */
    ck_assert_uint_eq(sentences_of("It was 1999. then came more."), 1); /* number + lower-case: no break */
    ck_assert_uint_eq(sentences_of("Very bad acting!!! I promise."), 2);
    ck_assert_uint_eq(sentences_of("Wait... what?"), 1);            /* an ellipsis is not a break */
    ck_assert_uint_eq(sentences_of("(Sent one.) Sent two."), 2);     /* realigned: ')' stays with one */
    ck_assert_uint_eq(sentences_of("word.Next"), 1);                 /* no space: no candidate */
    ck_assert_uint_eq(sentences_of(""), 0);
}
END_TEST

/* ---------------------------------------------------------------- c4 */

#define L5 "This is line one.\nThis is line two.\nThis is line three.\nThis is line four.\nThis is line five."

START_TEST(test_c4_sentences_edge) {
    /* 5 lines of 4 words, 1 sentence each: 5 >= 5 kept, text unchanged */
    llmd_filter *f = mk("c4", NULL);
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, L5, strlen(L5), &r, NULL));
    ck_assert_int_eq(r.keep, 1);
    ck_assert_ptr_null(r.text);
    /* 4 sentences: below */
    ck_assert_int_eq(reason_of(f, "This is line one.\nThis is line two.\nThis is line three.\nThis is line four."),
                     LLMD_FRULE_C4_TOO_FEW_SENTENCES);
    /* one line holding 6 sentences (untrained punkt): above */
    ck_assert_int_eq(reason_of(f, "Aa bb. Cc dd. Ee ff. Gg hh. Ii jj. Kk ll."), LLMD_FRULE_NONE);
    /* an initial does not end a sentence: 4 + 1 */
    ck_assert_int_eq(reason_of(f, "Aa bb. Cc dd. Ee ff. We met J. Smith there."), LLMD_FRULE_C4_TOO_FEW_SENTENCES);
    llmd_filter_free(f);
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.c4_min_num_sentences = -1; /* disabled */
    ck_assert_int_eq(run1("c4", &o, "Just one line here."), LLMD_FRULE_NONE);
}
END_TEST

START_TEST(test_c4_line_rules) {
    llmd_filter_stats *st = NULL;
    ck_ok(llmd_filter_stats_new(&st));
    llmd_filter *f = mk("c4", NULL);
    const char *text =
        "Menu\n"                                  /* no terminal punctuation */
        "Two words.\n"                             /* 2 < 3 words */
        "Wait for it...\n"                         /* ends with ... */
        "Please enable JavaScript to continue.\n"  /* javascript */
        "Read our Privacy Policy today.\n"         /* policy */
        "She said it's 'fine'\n"                   /* ends with ': kept */
        "He said \"yes\"\n"                        /* ends with ": kept */
        "This is cited text.[1]\n"                 /* citation removed: kept */
        "This is cited too. [edit]\n"              /* -> "This is cited too. ": no end mark */
        "   \n"                                    /* empty: no end mark */
        "Three words here.\n" "Three more here!\n" "And the end?";
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, text, strlen(text), &r, st));
    ck_assert_int_eq(r.keep, 1);
    ck_assert_str_eq(r.text, "She said it's 'fine'\nHe said \"yes\"\nThis is cited text.\nThree words here.\n"
                             "Three more here!\nAnd the end?");
    llmd_free(r.text);
    uint64_t d, l;
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_C4_LINE_NO_TERMINAL_PUNCT, &d, &l));
    ck_assert_uint_eq(l, 4); /* Menu, ..., [edit] line, empty line */
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_C4_LINE_TOO_FEW_WORDS, &d, &l));
    ck_assert_uint_eq(l, 1);
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_C4_LINE_JAVASCRIPT, &d, &l));
    ck_assert_uint_eq(l, 1);
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_C4_LINE_POLICY, &d, &l));
    ck_assert_uint_eq(l, 1);
    uint64_t in, kept, mod;
    llmd_filter_stats_totals(st, &in, &kept, &mod);
    ck_assert_uint_eq(in, 1);
    ck_assert_uint_eq(kept, 1);
    ck_assert_uint_eq(mod, 1);
    /* words of 1000 characters pass, 1001 do not */
    char *w1000 = rep("", "a", 1000, ""), line[1100];
    snprintf(line, sizeof line, "%s is long.", w1000);
    ck_assert_uint_eq(strlen(line), 1009);
    char doc[4096];
    snprintf(doc, sizeof doc, "%s\n" L5, line);
    ck_ok(llmd_filter_apply(f, doc, strlen(doc), &r, NULL));
    ck_assert_ptr_null(r.text); /* kept whole */
    line[0] = 'b';
    snprintf(doc, sizeof doc, "b%s\n" L5, line); /* 1001 a-or-b characters in the first word */
    ck_ok(llmd_filter_apply(f, doc, strlen(doc), &r, NULL));
    ck_assert_str_eq(r.text, L5);
    llmd_free(r.text);
    /* characters, not bytes: 1000 x "é" (2000 bytes) is not too long, 1001 is; a no-break space
     * (U+00A0, white space for str.split) cuts a 1001-character run into two words */
    static char big[8192];
    snprintf(big, sizeof big, "%s is long.\n" L5, rep("", "\xC3\xA9", 1000, ""));
    ck_ok(llmd_filter_apply(f, big, strlen(big), &r, NULL));
    ck_assert_ptr_null(r.text);
    snprintf(big, sizeof big, "%s is long.\n" L5, rep("", "\xC3\xA9", 1001, ""));
    ck_ok(llmd_filter_apply(f, big, strlen(big), &r, NULL));
    ck_assert_str_eq(r.text, L5);
    llmd_free(r.text);
    snprintf(big, sizeof big, "%s\xC2\xA0%s is long.\n" L5, rep("", "a", 600, ""), "");
    snprintf(big + strlen(big) - strlen(" is long.\n" L5), sizeof big, "%s is long.\n" L5, rep("", "b", 401, ""));
    ck_assert_uint_eq(strlen(big), 600 + 2 + 401 + strlen(" is long.\n" L5));
    ck_ok(llmd_filter_apply(f, big, strlen(big), &r, NULL));
    ck_assert_ptr_null(r.text);
    /* 3 words at the minimum: kept */
    ck_assert_int_eq(reason_of(f, "Aa bb. Cc dd. Ee ff. Gg hh.\nOne two three."), LLMD_FRULE_NONE);
    /* parameters off: nothing removed, sentence counting still on */
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.c4_filter_no_terminal_punct = 0;
    o.c4_min_words_per_line = -1;
    ck_assert_int_eq(run1("c4", &o, "Menu\nA\n" L5), LLMD_FRULE_NONE);
    llmd_filter_free(f);
    llmd_filter_stats_free(st);
}
END_TEST

/* Lines dropped for their end are decided from their last bytes when nothing else can act; every
 * other path must still see them.  Expected text and counters: datatrove's C4QualityFilter on the
 * same document (line-filter-no_terminal_punc 2, line-filter-too_long_word 1, 10 lines kept). */
START_TEST(test_c4_end_mark_paths) {
    llmd_filter_stats *st = NULL;
    ck_ok(llmd_filter_stats_new(&st));
    llmd_filter *f = mk("c4", NULL);
    static char doc[4096];
    snprintf(doc, sizeof doc,
             "Ends with a no-break space.\xC2\xA0\n"  /* U+00A0 stripped: ends with '.' */
             "Ends with an accent \xC3\xA9\n"          /* last character not ASCII, no end mark */
             "Brackets [x] but no end\n"              /* '[' that is no citation */
             "Brackets [x] and an end.\n"
             "%s no end\n"                            /* a 1001-character word counts first */
             "Windows line ends here.\r\n"            /* \r\n is one break */
             "Line before a separator.\xE2\x80\xA8" "Another line here.\n" L5, /* U+2028 breaks lines */
             rep("", "z", 1001, ""));
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, doc, strlen(doc), &r, st));
    ck_assert_int_eq(r.keep, 1);
    ck_assert_str_eq(r.text, "Ends with a no-break space.\nBrackets [x] and an end.\nWindows line ends here.\n"
                             "Line before a separator.\nAnother line here.\n" L5);
    llmd_free(r.text);
    uint64_t d, l;
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_C4_LINE_NO_TERMINAL_PUNCT, &d, &l));
    ck_assert_uint_eq(l, 2);
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_C4_LINE_TOO_LONG_WORD, &d, &l));
    ck_assert_uint_eq(l, 1);
    llmd_filter_free(f);
    llmd_filter_stats_free(st);
}
END_TEST

START_TEST(test_c4_doc_rules) {
    llmd_filter *f = mk("c4", NULL);
    /* lorem ipsum and { only count on kept lines */
    ck_assert_int_eq(reason_of(f, "Lorem Ipsum dolor sit amet.\n" L5), LLMD_FRULE_C4_LOREM_IPSUM);
    ck_assert_int_eq(reason_of(f, "lorem ipsum dolor\n" L5), LLMD_FRULE_NONE);       /* line removed first */
    ck_assert_int_eq(reason_of(f, "Use a {brace} in text.\n" L5), LLMD_FRULE_C4_CURLY_BRACKET);
    ck_assert_int_eq(reason_of(f, "function f() {\n" L5), LLMD_FRULE_NONE);
    /* "javascript" is removed before the brace is looked at */
    ck_assert_int_eq(reason_of(f, "JavaScript {code} here.\n" L5), LLMD_FRULE_NONE);
    llmd_filter_free(f);
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.c4_filter_curly_bracket = 0;
    o.c4_filter_lorem_ipsum = 0;
    ck_assert_int_eq(run1("c4", &o, "Lorem ipsum {x} ok.\n" L5), LLMD_FRULE_NONE);
}
END_TEST

/* ---------------------------------------------------------------- badwords */

START_TEST(test_badwords) {
    llmd_filter *f = mk("badwords", NULL);
    ck_assert_int_eq(reason_of(f, "What a load of shit, really."), LLMD_FRULE_BADWORDS);
    ck_assert_int_eq(reason_of(f, "SHIT at the start"), LLMD_FRULE_BADWORDS);      /* lower-cased; ^ */
    ck_assert_int_eq(reason_of(f, "ends with shit"), LLMD_FRULE_BADWORDS);         /* $ */
    ck_assert_int_eq(reason_of(f, "shitake mushrooms"), LLMD_FRULE_NONE);          /* \w follows */
    ck_assert_int_eq(reason_of(f, "bullshit_x"), LLMD_FRULE_NONE);                 /* '_' is \w */
    ck_assert_int_eq(reason_of(f, "a 2 girls 1 cup video"), LLMD_FRULE_BADWORDS);  /* multi-word entry */
    ck_assert_int_eq(reason_of(f, "a 2 girls 1 cups video"), LLMD_FRULE_NONE);
    ck_assert_int_eq(reason_of(f, "Scunthorpe"), LLMD_FRULE_NONE);
    /* word runs are skipped eight bytes at a time: the byte ending a run of k letters, at every
     * offset in a block, is \w ('_', digits, letters either case: no match) or not (Python's \w
     * excludes '@' '[' '`' '{' '-' and DEL, whose neighbours the byte tests must not confuse) */
    for (int k = 1; k <= 20; k++) {
        static const char not_word[] = "@[`{-/:\x7f", word[] = "_09AZaz";
        char buf[64];
        for (const char *p = not_word; *p; p++) {
            snprintf(buf, sizeof buf, "%.*s%cshit", k, "bcdefghijklmnopqrstuvwxyz", *p);
            ck_assert_msg(reason_of(f, buf) == LLMD_FRULE_BADWORDS, "%s", buf);
        }
        for (const char *p = word; *p; p++) {
            snprintf(buf, sizeof buf, "%.*s%cshit", k, "bcdefghijklmnopqrstuvwxyz", *p);
            ck_assert_msg(reason_of(f, buf) == LLMD_FRULE_NONE, "%s", buf);
        }
    }
    llmd_filter_free(f);
    /* language lists: French, and Japanese matched without word boundaries */
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.badwords_default_language = "fr";
    ck_assert_int_eq(run1("badwords", &o, "il veut baiser"), LLMD_FRULE_BADWORDS);
    ck_assert_int_eq(run1("badwords", &o, "What a load of shit"), LLMD_FRULE_NONE);
    o.badwords_default_language = "ja";
    ck_assert_int_eq(run1("badwords", &o, "これは3pです"), LLMD_FRULE_BADWORDS);
    o.badwords_default_language = "xx";
    llmd_filter *g = NULL;
    ck_fails(llmd_filter_new(&g, &o), LLMD_ERR_INVALID_ARG, "no bad-words list for badwords_default_language 'xx'");
    /* a custom list replaces the bundled ones */
    char path[] = "/tmp/llmd_bw_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "zebra\n  purple cow \n", 20), 20);
    close(fd);
    llmd_filter_options c = LLMD_FILTER_OPTIONS_INIT;
    c.bad_words_file = path;
    f = mk("badwords", &c);
    unlink(path);
    ck_assert_int_eq(reason_of(f, "A Purple Cow."), LLMD_FRULE_BADWORDS);
    ck_assert_int_eq(reason_of(f, "zebras"), LLMD_FRULE_NONE);
    ck_assert_int_eq(reason_of(f, "shit"), LLMD_FRULE_NONE);
    llmd_filter_free(f);
}
END_TEST

/* ---------------------------------------------------------------- gopher */

/* "the and" + 48 x "apple" + ".": 51 tokens, 50 non-symbol words, mean (3+3+240)/50 = 4.92 */
#define W48 " apple apple apple apple apple apple apple apple apple apple apple apple apple apple apple apple" \
            " apple apple apple apple apple apple apple apple apple apple apple apple apple apple apple apple" \
            " apple apple apple apple apple apple apple apple apple apple apple apple apple apple apple apple"
#define BASE "the and" W48

START_TEST(test_gopher_words_and_length) {
    ck_assert_int_eq(run1("gopher", NULL, BASE "."), LLMD_FRULE_NONE);
    /* 49 non-symbol words: below min_doc_words 50 ("." does not count) */
    ck_assert_int_eq(run1("gopher", NULL, "the" W48 "."), LLMD_FRULE_GOPHER_SHORT_DOC);
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.gopher_max_doc_words = 50;
    ck_assert_int_eq(run1("gopher", &o, BASE "."), LLMD_FRULE_NONE);
    ck_assert_int_eq(run1("gopher", &o, BASE " pear."), LLMD_FRULE_GOPHER_LONG_DOC);
    /* mean length: "the and" + 48 x "abc" = 150/50 = 3.0 (at: kept); 48 x "ab" = 102/50 = 2.04 */
    ck_assert_int_eq(run1("gopher", NULL, rep("the and", " abc", 48, ".")), LLMD_FRULE_NONE);
    ck_assert_int_eq(run1("gopher", NULL, rep("the and", " ab", 48, ".")), LLMD_FRULE_GOPHER_BELOW_AVG_WORD_LENGTH);
    /* 6 + 46*10 + 2*17 = 500 -> 10.0 (kept); one 17 -> 18: 501/50 = 10.02 */
    char buf[2048];
    snprintf(buf, sizeof buf, "%s abcdefghijklmnopq abcdefghijklmnopq.", rep("the and", " abcdefghij", 46, ""));
    ck_assert_int_eq(run1("gopher", NULL, buf), LLMD_FRULE_NONE);
    snprintf(buf, sizeof buf, "%s abcdefghijklmnopq abcdefghijklmnopqr.", rep("the and", " abcdefghij", 46, ""));
    ck_assert_int_eq(run1("gopher", NULL, buf), LLMD_FRULE_GOPHER_ABOVE_AVG_WORD_LENGTH);
    /* characters, not bytes: "é" words of 2 characters (4 bytes) -> 2.04 */
    ck_assert_int_eq(run1("gopher", NULL, rep("the and", " éé", 48, ".")), LLMD_FRULE_GOPHER_BELOW_AVG_WORD_LENGTH);
}
END_TEST

START_TEST(test_gopher_symbols) {
    /* each " #" adds a token: 5/56 = 0.089 kept, 6/57 = 0.105 > 0.1 */
    ck_assert_int_eq(run1("gopher", NULL, rep(BASE, " #", 5, ".")), LLMD_FRULE_NONE);
    ck_assert_int_eq(run1("gopher", NULL, rep(BASE, " #", 6, ".")), LLMD_FRULE_GOPHER_TOO_MANY_HASHES);
    /* each " ..." adds a token "...", " pear." two more: 5/57 = 0.088 kept, 6/58 = 0.103 > 0.1 */
    ck_assert_int_eq(run1("gopher", NULL, rep(BASE, " ...", 5, " pear.")), LLMD_FRULE_NONE);
    ck_assert_int_eq(run1("gopher", NULL, rep(BASE, " ...", 6, " pear.")), LLMD_FRULE_GOPHER_TOO_MANY_ELLIPSIS);
}
END_TEST

/* 10 words + "-" + "." per bullet line */
#define BL "- the and apple apple apple apple apple apple apple apple.\n"
#define PL "x the and apple apple apple apple apple apple apple apple.\n"

START_TEST(test_gopher_lines) {
    /* 10 of 10 lines are bullets: 1.0 > 0.9; 9 of 10: 0.9 is not above */
    ck_assert_int_eq(run1("gopher", NULL, rep("", BL, 10, "")), LLMD_FRULE_GOPHER_TOO_MANY_BULLETS);
    ck_assert_int_eq(run1("gopher", NULL, rep(PL, BL, 9, "")), LLMD_FRULE_NONE);
    /* just above: 12 of 13 = 0.923 > 0.9 */
    ck_assert_int_eq(run1("gopher", NULL, rep(PL, BL, 12, "")), LLMD_FRULE_GOPHER_TOO_MANY_BULLETS);
    ck_assert_int_eq(run1("gopher", NULL, rep("", "\xE2\x80\xA2 the and apple apple apple apple apple apple apple apple.\n", 10, "")),
                     LLMD_FRULE_GOPHER_TOO_MANY_BULLETS);
    /* "*" is no bullet for datatrove */
    ck_assert_int_eq(run1("gopher", NULL, rep("", "* the and apple apple apple apple apple apple apple apple.\n", 10, "")),
                     LLMD_FRULE_NONE);
    /* lines ending in "...": 3 of 10 = 0.3 kept, 4 of 10 = 0.4 > 0.3 */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", rep("", "the and apple apple apple apple apple apple apple apple...\n", 3, ""), "");
    char doc[8192];
    snprintf(doc, sizeof doc, "%s%s", buf, rep("", PL, 7, ""));
    ck_assert_int_eq(run1("gopher", NULL, doc), LLMD_FRULE_NONE);
    snprintf(buf, sizeof buf, "%s", rep("", "the and apple apple apple apple apple apple apple apple...\n", 4, ""));
    snprintf(doc, sizeof doc, "%s%s", buf, rep("", PL, 6, ""));
    ck_assert_int_eq(run1("gopher", NULL, doc), LLMD_FRULE_GOPHER_TOO_MANY_END_ELLIPSIS);
}
END_TEST

START_TEST(test_gopher_alpha_and_stop_words) {
    /* numbers are non-symbol, non-alpha words: 50/62 = 0.806 kept, 50/63 = 0.794 < 0.8 */
    ck_assert_int_eq(run1("gopher", NULL, rep(BASE, " 123", 11, ".")), LLMD_FRULE_NONE);
    ck_assert_int_eq(run1("gopher", NULL, rep(BASE, " 123", 12, ".")), LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD);
    /* stop words are distinct and case-sensitive */
    ck_assert_int_eq(run1("gopher", NULL, "the the" W48 "."), LLMD_FRULE_GOPHER_ENOUGH_STOP_WORDS);
    ck_assert_int_eq(run1("gopher", NULL, "The And" W48 "."), LLMD_FRULE_GOPHER_ENOUGH_STOP_WORDS);
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.gopher_min_stop_words = 1;
    ck_assert_int_eq(run1("gopher", &o, "the the" W48 "."), LLMD_FRULE_NONE);
    o.gopher_min_stop_words = 0; /* disabled */
    ck_assert_int_eq(run1("gopher", &o, "The And" W48 "."), LLMD_FRULE_NONE);
}
END_TEST

/* ---------------------------------------------------------------- gopher-repetition */

static llmd_filter_options rep_only(void) {
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.rep_dup_line_frac = o.rep_dup_para_frac = o.rep_dup_line_char_frac = o.rep_dup_para_char_frac = 0;
    o.rep_n_top_n_grams = o.rep_n_dup_n_grams = 0;
    static const llmd_filter_ngram_limit none[1] = {{1, 1}};
    o.rep_top_n_grams = o.rep_dup_n_grams = none; /* count 0: no n-gram checks */
    return o;
}

START_TEST(test_repetition_lines_paragraphs) {
    llmd_filter_options o = rep_only();
    /* 10 paragraphs, 3 duplicates: 0.3 kept; 4 duplicates: 0.4 > 0.3 */
    o.rep_dup_para_frac = 0.3;
    ck_assert_int_eq(run1("gopher-repetition", &o, "p0\n\np1\n\np2\n\np3\n\np4\n\np5\n\np6\n\np0\n\np0\n\np0"), LLMD_FRULE_NONE);
    ck_assert_int_eq(run1("gopher-repetition", &o, "p0\n\np1\n\np2\n\np3\n\np4\n\np5\n\np0\n\np0\n\np0\n\np0"),
                     LLMD_FRULE_REP_DUP_PARA_FRAC);
    o = rep_only();
    /* lines split on \n+: "aa\nbb\naa\n" -> [aa, bb, aa, ""]: 1/4 = 0.25 */
    o.rep_dup_line_frac = 0.25;
    ck_assert_int_eq(run1("gopher-repetition", &o, "aa\nbb\naa\n"), LLMD_FRULE_NONE);
    o.rep_dup_line_frac = 0.24;
    ck_assert_int_eq(run1("gopher-repetition", &o, "aa\nbb\naa\n"), LLMD_FRULE_REP_DUP_LINE_FRAC);
    /* duplicate line characters over len(text): 2/9 = 0.222 */
    o = rep_only();
    o.rep_dup_line_char_frac = 2.0 / 9.0;
    ck_assert_int_eq(run1("gopher-repetition", &o, "aa\nbbb\naa"), LLMD_FRULE_NONE);
    o.rep_dup_line_char_frac = 0.22;
    ck_assert_int_eq(run1("gopher-repetition", &o, "aa\nbbb\naa"), LLMD_FRULE_REP_DUP_LINE_CHAR_FRAC);
    /* paragraph characters: "aa\n\nbbb\n\naa" -> 2/11 */
    o = rep_only();
    o.rep_dup_para_char_frac = 2.0 / 11.0;
    ck_assert_int_eq(run1("gopher-repetition", &o, "aa\n\nbbb\n\naa"), LLMD_FRULE_NONE);
    o.rep_dup_para_char_frac = 0.18;
    ck_assert_int_eq(run1("gopher-repetition", &o, "aa\n\nbbb\n\naa"), LLMD_FRULE_REP_DUP_PARA_CHAR_FRAC);
}
END_TEST

START_TEST(test_repetition_ngrams) {
    llmd_filter_options o = rep_only();
    /* "x y x y x y": top 2-gram "x y" x3 -> 3*3 = 9 chars / 11 */
    llmd_filter_ngram_limit top = {2, 9.0 / 11.0};
    o.rep_top_n_grams = &top;
    o.rep_n_top_n_grams = 1;
    ck_assert_int_eq(run1("gopher-repetition", &o, "x y x y x y"), LLMD_FRULE_NONE);
    top.frac = 0.81;
    ck_assert_int_eq(run1("gopher-repetition", &o, "x y x y x y"), LLMD_FRULE_REP_TOP_NGRAM);
    /* ties go to the first n-gram seen (Counter.most_common): "ab c d e ab c d e" has "ab c", "c d",
     * "d e" twice each -> "ab c": 4 * 2 = 8 characters / 17 (not "c d": 6 / 17) */
    top.frac = 8.0 / 17.0;
    ck_assert_int_eq(run1("gopher-repetition", &o, "ab c d e ab c d e"), LLMD_FRULE_NONE);
    top.frac = 0.47;
    ck_assert_int_eq(run1("gopher-repetition", &o, "ab c d e ab c d e"), LLMD_FRULE_REP_TOP_NGRAM);
    /* duplicate 2-grams joined without spaces: xy, yx, xy(dup, +2, skip 2), xy(dup, +2) = 4 / 11 */
    o = rep_only();
    llmd_filter_ngram_limit dup = {2, 4.0 / 11.0};
    o.rep_dup_n_grams = &dup;
    o.rep_n_dup_n_grams = 1;
    ck_assert_int_eq(run1("gopher-repetition", &o, "x y x y x y"), LLMD_FRULE_NONE);
    dup.frac = 0.36;
    ck_assert_int_eq(run1("gopher-repetition", &o, "x y x y x y"), LLMD_FRULE_REP_DUP_NGRAM);
    /* "ab c a bc": "abc", "ca", "abc" (dup: +3) -> 3/9 */
    dup.frac = 3.0 / 9.0;
    ck_assert_int_eq(run1("gopher-repetition", &o, "ab c a bc"), LLMD_FRULE_NONE);
    dup.frac = 0.33;
    ck_assert_int_eq(run1("gopher-repetition", &o, "ab c a bc"), LLMD_FRULE_REP_DUP_NGRAM);
    /* defaults: a text of one repeated sentence fails; the empty text passes (datatrove divides by 0) */
    ck_assert_int_eq(run1("gopher-repetition", NULL, rep("", "the cat sat on the mat. ", 20, "")), LLMD_FRULE_REP_TOP_NGRAM);
    ck_assert_int_eq(run1("gopher-repetition", NULL, ""), LLMD_FRULE_NONE);
    /* an n-gram size of 0 is refused */
    dup.n = 0;
    llmd_filter *f = NULL;
    o.filters = "gopher-repetition";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "rep_dup_n_grams[0].n = 0");
}
END_TEST

/* One n-gram limit, top or duplicate, alone. */
static llmd_filter_rule run_ngram(const char *text, bool top_kind, unsigned n, double frac) {
    llmd_filter_options o = rep_only();
    llmd_filter_ngram_limit l = {n, frac};
    if (top_kind) { o.rep_top_n_grams = &l; o.rep_n_top_n_grams = 1; }
    else { o.rep_dup_n_grams = &l; o.rep_n_dup_n_grams = 1; }
    return run1("gopher-repetition", &o, text);
}

START_TEST(test_repetition_ngram_paths) {
    /* top 2-gram with no repeat: Counter.most_common gives the FIRST bigram, "a bb" (4 chars x 1)
     * / 8, not the last-counted candidate "a c" (3): 0.5 kept at 0.5, dropped at 0.49 */
    ck_assert_int_eq(run_ngram("a bb a c", true, 2, 0.5), LLMD_FRULE_NONE);
    ck_assert_int_eq(run_ngram("a bb a c", true, 2, 0.49), LLMD_FRULE_REP_TOP_NGRAM);
    /* two 25-byte tokens with the same first 16 and last 8 bytes and length (the lookup hash sees
     * only those, so they collide): the bytes decide.  top 1-gram: 25 x 1 / 51 = 0.490 */
#define T25A "aaaaaaaaaaaaaaaaXbbbbbbbb"
#define T25B "aaaaaaaaaaaaaaaaYbbbbbbbb"
    ck_assert_int_eq(run_ngram(T25A " " T25B, true, 1, 0.5), LLMD_FRULE_NONE);
    ck_assert_int_eq(run_ngram(T25A " " T25B, true, 1, 0.49), LLMD_FRULE_REP_TOP_NGRAM);
    /* duplicate 1-grams A, B (new, though its hash equals A's), A (repeat: +25) = 25 / 77 = 0.325
     * (had B matched A: 50 / 77) */
    ck_assert_int_eq(run_ngram(T25A " " T25B " " T25A, false, 1, 0.33), LLMD_FRULE_NONE);
    ck_assert_int_eq(run_ngram(T25A " " T25B " " T25A, false, 1, 0.32), LLMD_FRULE_REP_DUP_NGRAM);
    /* a 5-gram of 19 bytes repeated with other token boundaries: abcdefgh|ijklmnop|q|r|s and
     * abcdefghijkl|mnop|q|r|s join to the same "abcdefghijklmnopqrs": starts 0-4 are new, start 5
     * repeats: 19 / 47 = 0.404 */
#define SPLIT5 "abcdefgh ijklmnop q r s abcdefghijkl mnop q r s"
    ck_assert_int_eq(run_ngram(SPLIT5, false, 5, 0.41), LLMD_FRULE_NONE);
    ck_assert_int_eq(run_ngram(SPLIT5, false, 5, 0.40), LLMD_FRULE_REP_DUP_NGRAM);
    /* limits in any order (n-grams numbered again from the tokens when a smaller n follows):
     * "the cat sat on the mat and the cat sat on the rug" (49 chars): top 4 "the cat sat on" 14 x 2
     * = 28 (0.571), top 2 "the cat" 7 x 2 = 14 (0.286), top 1 "the" 3 x 4 = 12 (0.245) */
#define CAT "the cat sat on the mat and the cat sat on the rug"
    llmd_filter_options o = rep_only();
    llmd_filter_ngram_limit lim[3] = {{4, 0.58}, {2, 0.29}, {1, 0.25}};
    o.rep_top_n_grams = lim;
    o.rep_n_top_n_grams = 3;
    ck_assert_int_eq(run1("gopher-repetition", &o, CAT), LLMD_FRULE_NONE);
    lim[2].frac = 0.24;
    ck_assert_int_eq(run1("gopher-repetition", &o, CAT), LLMD_FRULE_REP_TOP_NGRAM);
    lim[2].frac = 0.25;
    lim[1].frac = 0.28;
    ck_assert_int_eq(run1("gopher-repetition", &o, CAT), LLMD_FRULE_REP_TOP_NGRAM);
    lim[1].frac = 0.29;
    lim[0].frac = 0.57;
    ck_assert_int_eq(run1("gopher-repetition", &o, CAT), LLMD_FRULE_REP_TOP_NGRAM);
}
END_TEST

/* find_top_duplicate / find_all_duplicate written out naively (datatrove's code, over the
 * tokenizer's words) for the randomized comparison below. */
static size_t naive_top(char **w, const size_t *wl, size_t nw, size_t n) {
    size_t best = 0, best_count = 0;
    for (size_t i = 0; i + n <= nw; i++) {
        size_t count = 0;
        for (size_t j = 0; j + n <= nw; j++) {
            bool eq = true;
            for (size_t k = 0; k < n && eq; k++) eq = wl[i + k] == wl[j + k] && memcmp(w[i + k], w[j + k], wl[i + k]) == 0;
            if (eq && j < i) { count = 0; break; } /* counted at its first occurrence */
            count += eq;
        }
        if (count > best_count) {
            best_count = count;
            best = i;
        }
    }
    if (best_count == 0) return 0;
    size_t chars = n - 1; /* the words are ASCII here */
    for (size_t k = 0; k < n; k++) chars += wl[best + k];
    return chars * best_count;
}

static size_t naive_join(char **w, const size_t *wl, size_t i, size_t n, char *out) {
    size_t len = 0;
    for (size_t k = 0; k < n; k++) { memcpy(out + len, w[i + k], wl[i + k]); len += wl[i + k]; }
    return len;
}

static size_t naive_dup(char **w, const size_t *wl, size_t nw, size_t n) {
    static size_t seen[600];
    size_t nseen = 0, rep = 0, idx = 0;
    static char a[4096], b[4096];
    while (idx + n <= nw) {
        size_t la = naive_join(w, wl, idx, n, a);
        bool hit = false;
        for (size_t s = 0; s < nseen && !hit; s++) {
            size_t lb = naive_join(w, wl, seen[s], n, b);
            hit = la == lb && memcmp(a, b, la) == 0;
        }
        if (hit) { rep += la; idx += n; }
        else { seen[nseen++] = idx; idx += 1; }
    }
    return rep;
}

START_TEST(test_repetition_ngrams_random) {
    /* random texts over a vocabulary whose words re-split into each other (ab|c vs a|bc, long
     * words sharing 16-byte prefixes), every n from 1 to 10, the limit just under and at the
     * exact fraction: the filter's decision must be the naive count's */
    static const char *const vocab[] = {"a", "ab", "abc", "bc", "c", "the", "there", "re", "of",
                                        "abcdefghijklmnopq", "abcdefghijklmnopqr", "rst", "abcdefgh", "ijklmnopq",
                                        "xyzxyzxyzxyzxyzxyz1", "xyzxyzxyzxyzxyzxyz2"};
    unsigned seed = 12345;
    static char text[8192];
    for (int round = 0; round < 300; round++) {
        size_t nwords = 1 + (size_t)(rand_r(&seed) % 120), nv = 3 + (size_t)(rand_r(&seed) % 13), len = 0;
        for (size_t i = 0; i < nwords; i++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s%s", i ? " " : "", vocab[rand_r(&seed) % nv]);
        char *w[600];
        size_t wl[600], nw = 0;
        for (char *p = text; *p;) {
            while (*p == ' ') p++;
            char *q = p;
            while (*q && *q != ' ') q++;
            if (q > p) { w[nw] = p; wl[nw++] = (size_t)(q - p); }
            p = q;
        }
        /* the vocabulary's words are single Treebank tokens: the reference may split on spaces */
        static char piped[8192];
        snprintf(piped, sizeof piped, "%s", text);
        for (char *p = piped; *p; p++) if (*p == ' ') *p = '|';
        ck_assert_str_eq(words_of(text), piped);
        for (unsigned n = 1; n <= 10; n++) {
            for (int top_kind = 0; top_kind < 2; top_kind++) {
                size_t chars = top_kind ? naive_top(w, wl, nw, n) : naive_dup(w, wl, nw, n);
                if (nw < n) continue;
                double frac = (double)chars / (double)len;
                ck_assert_msg(run_ngram(text, top_kind, n, frac) == LLMD_FRULE_NONE, "round %d n %u %s: %s", round, n,
                              top_kind ? "top" : "dup", text);
                if (chars == 0) continue;
                double below = frac * (1 - 1e-9);
                ck_assert_msg(run_ngram(text, top_kind, n, below) != LLMD_FRULE_NONE, "round %d n %u %s below: %s", round, n,
                              top_kind ? "top" : "dup", text);
            }
        }
    }
}
END_TEST

/* ---------------------------------------------------------------- fineweb */

#define LONGL "this line is longer than thirty characters"

START_TEST(test_fineweb) {
    ck_assert_int_eq(run1("fineweb", NULL, " \n\t\n"), LLMD_FRULE_FINEWEB_EMPTY);
    /* short lines are counted in characters: 25 x "é" + "." is 26 characters (51 bytes, so lines
     * straddle the 64-byte blocks of the line pass), 40 x "a" + "." is 41; 10 of 14 lines short =
     * 0.714 > 0.67 (had bytes been counted: none short, and the repeated lines would fail the
     * character-duplication check instead) */
    {
        static char mixed[4096];
        char e25[64], a40[64];
        snprintf(e25, sizeof e25, "%s", rep("", "\xC3\xA9", 25, "."));
        snprintf(a40, sizeof a40, "%s", rep("", "a", 40, "."));
        size_t len = 0;
        for (int i = 0; i < 14; i++)
            len += (size_t)snprintf(mixed + len, sizeof mixed - len, "%s%s", i ? "\n" : "", (i % 7 < 5) ? e25 : a40);
        ck_assert_int_eq(run1("fineweb", NULL, mixed), LLMD_FRULE_FINEWEB_SHORT_LINE_RATIO);
    }
    /* 1 of 8 lines ends in terminal punctuation: 0.125 >= 0.12 kept; 1 of 9 = 0.111 dropped */
    char doc[4096];
    snprintf(doc, sizeof doc, "%s", rep(LONGL " a.\n", LONGL " b\n" LONGL " c\n" LONGL " d\n" LONGL " e\n"
                                        LONGL " f\n" LONGL " g\n" LONGL " h", 1, ""));
    ck_assert_int_eq(run1("fineweb", NULL, doc), LLMD_FRULE_NONE);
    snprintf(doc + strlen(doc), sizeof doc - strlen(doc), "\n" LONGL " i");
    ck_assert_int_eq(run1("fineweb", NULL, doc), LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO);
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.fineweb_line_punct_exclude_zero = 1; /* a ratio of exactly 0 passes */
    ck_assert_int_eq(run1("fineweb", &o, LONGL " x\n" LONGL " y"), LLMD_FRULE_NONE);
    /* short lines (<= 30 characters): 2 of 3 = 0.667 < 0.67 kept; 3 of 3 dropped; 30 is short, 31 not */
    ck_assert_int_eq(run1("fineweb", NULL, "short one.\nshort two.\n" LONGL " one."), LLMD_FRULE_NONE);
    ck_assert_int_eq(run1("fineweb", NULL, "aaaa aaaa aaaa aaaa aaaa aaaa.\nbbbb bbbb bbbb bbbb bbbb bbbb.\n"
                                           "cccc cccc cccc cccc cccc cccc."),
                     LLMD_FRULE_FINEWEB_SHORT_LINE_RATIO); /* 30 characters each */
    ck_assert_int_eq(run1("fineweb", NULL, "aaaa aaaa aaaa aaaa aaaa aaaa.\nbbbb bbbb bbbb bbbb bbbb bbbb.\n"
                                           "cccc cccc cccc cccc cccc ccccc."),
                     LLMD_FRULE_NONE); /* 30, 30, 31 */
}
END_TEST

START_TEST(test_fineweb_dups_and_lists) {
    /* duplicated line characters over characters without newlines: 45 / (3*45) = 0.33 > 0.01 */
    ck_assert_int_eq(run1("fineweb", NULL, LONGL " a.\n" LONGL " b.\n" LONGL " a."), LLMD_FRULE_FINEWEB_CHAR_DUP_RATIO);
    /* newlines per word token: "a." and "b." are initials before a lower-case word, so punkt does not
     * split there and the Treebank tokenizer keeps them whole: 8 + 8 + 9 = 25 tokens, 2/25 = 0.08 */
    const char *t = LONGL " a.\n" LONGL " b.\n" LONGL " c.";
    ck_assert_int_eq(run1("fineweb", NULL, t), LLMD_FRULE_NONE);
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.fineweb_new_line_ratio = 2.0 / 25.0;
    ck_assert_int_eq(run1("fineweb", &o, t), LLMD_FRULE_NONE);
    o.fineweb_new_line_ratio = 0.079;
    ck_assert_int_eq(run1("fineweb", &o, t), LLMD_FRULE_FINEWEB_LIST_RATIO);
    /* 3 whitespace words but 46 word tokens (commas split off; count from NLTK's untrained punkt +
     * NLTKWordTokenizer): 2 / 3 would fail the ratio, 2 / 46 = 0.0435 passes it -- tokens decide */
    const char *commas = "alpha,beta,gamma,delta,epsilon,zeta,eta.\ntheta,iota,kappa,lambda,mu,nu,xi,omicron.\n"
                         "pi,rho,sigma,tau,upsilon,phi,chi,psi.";
    ck_assert_int_eq(run1("fineweb", NULL, commas), LLMD_FRULE_NONE);
    o.fineweb_new_line_ratio = 0.044;
    ck_assert_int_eq(run1("fineweb", &o, commas), LLMD_FRULE_NONE);
    o.fineweb_new_line_ratio = 0.043;
    ck_assert_int_eq(run1("fineweb", &o, commas), LLMD_FRULE_FINEWEB_LIST_RATIO);
}
END_TEST

/* ---------------------------------------------------------------- language */

/* Fake predictor: "fr:" texts are French 0.9 / English 0.1, "mix:" en 0.3 / fr 0.7, "edge:" en 0.65,
 * "raw:" fastText-style "__label__en" 0.9, others English 0.66.  Fails the test if a newline reaches it. */
static llmd_status fake_lid(void *ctx, const char *text, size_t len, size_t k, llmd_filter_lang_pred *out, size_t *n) {
    (void)ctx;
    ck_assert_ptr_null(memchr(text, '\n', len));
    llmd_filter_lang_pred p[2] = {{"en", 0.66}, {"fr", 0.34}};
    if (strncmp(text, "fr:", 3) == 0) { p[0] = (llmd_filter_lang_pred){"fr", 0.9}; p[1] = (llmd_filter_lang_pred){"en", 0.1}; }
    if (strncmp(text, "mix:", 4) == 0) { p[0] = (llmd_filter_lang_pred){"fr", 0.7}; p[1] = (llmd_filter_lang_pred){"en", 0.3}; }
    if (strncmp(text, "edge:", 5) == 0) { p[0] = (llmd_filter_lang_pred){"en", 0.65}; p[1] = (llmd_filter_lang_pred){"fr", 0.35}; }
    if (strncmp(text, "raw:", 4) == 0) { p[0] = (llmd_filter_lang_pred){"__label__en", 0.9}; p[1] = (llmd_filter_lang_pred){"__label__fr", 0.1}; }
    *n = k < 2 ? k : 2;
    memcpy(out, p, *n * sizeof *out);
    return LLMD_OK;
}

START_TEST(test_language) {
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.language_predict = fake_lid;
    o.languages = "en";
    llmd_filter *f = mk("language", &o);
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(f, "hello\nworld", 11, &r, NULL));
    ck_assert_int_eq(r.keep, 1); /* 0.66 > 0.65 */
    ck_assert_str_eq(r.language, "en");
    ck_assert(r.language_score == 0.66);
    ck_assert_int_eq(reason_of(f, "edge: at the threshold"), LLMD_FRULE_LANGUAGE); /* 0.65 is not above */
    ck_assert_int_eq(reason_of(f, "fr: bonjour"), LLMD_FRULE_LANGUAGE);
    ck_assert_int_eq(reason_of(f, "mix: en 0.3"), LLMD_FRULE_LANGUAGE);
    ck_ok(llmd_filter_apply(f, "fr: x", 5, &r, NULL));
    ck_assert_str_eq(r.language, "fr"); /* the best label is reported even when dropped */
    ck_ok(llmd_filter_apply(f, "raw: x", 6, &r, NULL));
    ck_assert_int_eq(r.keep, 1);
    ck_assert_str_eq(r.language, "en"); /* fastText's "__label__" prefix is dropped */
    llmd_filter_free(f);
    /* languages NULL: any language above the threshold */
    o.languages = NULL;
    ck_assert_int_eq(run1("language", &o, "fr: bonjour"), LLMD_FRULE_NONE);
    o.languages = "en,fr";
    o.language_threshold = 0.2; /* en 0.3 > 0.2 */
    ck_assert_int_eq(run1("language", &o, "mix: x"), LLMD_FRULE_NONE);
    /* the detected language picks the bad-words list */
    o.languages = "fr";
    o.language_threshold = 0.65;
    ck_assert_int_eq(run1("language,badwords", &o, "fr: il veut baiser"), LLMD_FRULE_BADWORDS);
    ck_assert_int_eq(run1("language,badwords", &o, "fr: shit"), LLMD_FRULE_NONE);
    /* no predictor: the fastText model named by language_model (default: the bundled lid.176.ftz);
     * one that does not exist is an error naming the file */
    llmd_filter_options n = LLMD_FILTER_OPTIONS_INIT;
    n.filters = "language";
    n.language_model = "/nonexistent/lid.ftz";
    llmd_status st = llmd_filter_new(&f, &n);
    ck_assert_int_ne(st, LLMD_OK);
    ck_assert_ptr_nonnull(strstr(llmd_last_error(), "/nonexistent/lid.ftz"));
}
END_TEST

/* ---------------------------------------------------------------- API */

/* llmd_filter_apply keeps its working memory per thread between calls: a document's decision must
 * not depend on what the thread filtered before.  The same documents in reverse order on a fresh
 * thread (fresh memory) must give the same results as in order on this one. */
#define REUSE_DOCS 7
static const char *reuse_docs[REUSE_DOCS];
static llmd_filter *reuse_filter;
typedef struct reuse_out { int keep, reason; char text[70000]; } reuse_out;
static reuse_out reuse_a[REUSE_DOCS], reuse_b[REUSE_DOCS];

static void reuse_run(int i, reuse_out *o) {
    llmd_filter_result r;
    ck_ok(llmd_filter_apply(reuse_filter, reuse_docs[i], strlen(reuse_docs[i]), &r, NULL));
    o->keep = r.keep;
    o->reason = (int)r.reason;
    snprintf(o->text, sizeof o->text, "%s", r.text ? r.text : "(same)");
    llmd_free(r.text);
}

static void *reuse_thread(void *arg) {
    (void)arg;
    for (int i = REUSE_DOCS - 1; i >= 0; i--) reuse_run(i, &reuse_b[i]);
    return NULL;
}

START_TEST(test_scratch_reuse) {
    static char big[70000], uni[4096], menu[4096];
    snprintf(big, sizeof big, "%s", rep("", "The same words come back again and again in this long text.\n", 1000, ""));
    snprintf(uni, sizeof uni, "%s", rep("", "Ce caf\xC3\xA9 est tr\xC3\xA8s bon et la vue est belle aujourd'hui. ", 40, ""));
    snprintf(menu, sizeof menu, "Home\nAbout\n%s", rep("", "This sentence has enough words to stay in the text.\n", 60, ""));
    reuse_docs[0] = big;
    reuse_docs[1] = L5;
    reuse_docs[2] = uni;
    reuse_docs[3] = "";
    reuse_docs[4] = menu;
    reuse_docs[5] = BASE ".";
    reuse_docs[6] = big;
    const char *sets[] = {"c4,badwords,gopher,gopher-repetition,fineweb", "fineweb,gopher-repetition,gopher", "c4"};
    for (size_t k = 0; k < 3; k++) {
        reuse_filter = mk(sets[k], NULL);
        for (int i = 0; i < REUSE_DOCS; i++) reuse_run(i, &reuse_a[i]);
        pthread_t th;
        ck_assert_int_eq(pthread_create(&th, NULL, reuse_thread, NULL), 0);
        ck_assert_int_eq(pthread_join(th, NULL), 0);
        for (int i = 0; i < REUSE_DOCS; i++) {
            ck_assert_int_eq(reuse_a[i].keep, reuse_b[i].keep);
            ck_assert_int_eq(reuse_a[i].reason, reuse_b[i].reason);
            ck_assert_str_eq(reuse_a[i].text, reuse_b[i].text);
        }
        llmd_filter_free(reuse_filter);
    }
}
END_TEST

START_TEST(test_api_order_and_stats) {
    ck_assert_int_eq(llmd_filter_rule_count(), LLMD_FRULE_LANGUAGE + 1);
    ck_assert_str_eq(llmd_filter_rule_name(LLMD_FRULE_C4_TOO_FEW_SENTENCES), "c4_too_few_sentences");
    ck_assert_str_eq(llmd_filter_rule_filter(LLMD_FRULE_REP_TOP_NGRAM), "gopher-repetition");
    ck_assert_ptr_null(llmd_filter_rule_name(LLMD_FRULE_NONE));
    ck_assert_ptr_null(llmd_filter_rule_name((llmd_filter_rule)llmd_filter_rule_count()));
    for (int i = 0; i < llmd_filter_rule_count(); i++) ck_assert_ptr_nonnull(llmd_filter_rule_name((llmd_filter_rule)i));
    llmd_filter *f = NULL;
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.filters = "c4,nope";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "unknown filter 'nope'");
    o.filters = "c4,c4";
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "listed twice");
    o.filters = NULL;
    o.min_bytes = 10;
    o.max_bytes = 5;
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_INVALID_ARG, "min_bytes 10 > max_bytes 5");
    o.version = 99;
    ck_fails(llmd_filter_new(&f, &o), LLMD_ERR_VERSION, "");
    /* length bounds first, then the list in order: gopher before c4 reports gopher's reason */
    o = (llmd_filter_options)LLMD_FILTER_OPTIONS_INIT;
    o.min_bytes = 3;
    o.max_bytes = 1000;
    f = mk("gopher,c4", &o);
    ck_assert_int_eq(reason_of(f, "ab"), LLMD_FRULE_LEN_MIN);
    ck_assert_int_eq(reason_of(f, rep("", "x", 1001, "")), LLMD_FRULE_LEN_MAX);
    ck_assert_int_eq(reason_of(f, "Menu"), LLMD_FRULE_GOPHER_SHORT_DOC);
    llmd_filter_free(f);
    f = mk("c4,gopher", &o);
    ck_assert_int_eq(reason_of(f, "Menu"), LLMD_FRULE_C4_TOO_FEW_SENTENCES);
    llmd_filter_free(f);
    f = mk("c4", &o);
    /* batch on 2 threads with stats */
    const char *texts[] = {L5, "ab", "Menu\n" L5, "Menu"};
    size_t lens[4];
    for (int i = 0; i < 4; i++) lens[i] = strlen(texts[i]);
    llmd_filter_result r[4];
    llmd_filter_stats *st = NULL;
    ck_ok(llmd_filter_stats_new(&st));
    ck_ok(llmd_filter_batch(f, texts, lens, 4, 2, r, st));
    ck_assert_int_eq(r[0].reason, LLMD_FRULE_NONE);
    ck_assert_int_eq(r[1].reason, LLMD_FRULE_LEN_MIN);
    ck_assert_int_eq(r[2].reason, LLMD_FRULE_NONE);
    ck_assert_str_eq(r[2].text, L5);
    ck_assert_int_eq(r[3].reason, LLMD_FRULE_C4_TOO_FEW_SENTENCES);
    for (int i = 0; i < 4; i++) llmd_free(r[i].text);
    uint64_t in, kept, mod, d, l;
    llmd_filter_stats_totals(st, &in, &kept, &mod);
    ck_assert_uint_eq(in, 4);
    ck_assert_uint_eq(kept, 2);
    ck_assert_uint_eq(mod, 1);
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_C4_LINE_NO_TERMINAL_PUNCT, &d, &l));
    ck_assert_uint_eq(d, 0);
    ck_assert_uint_eq(l, 2); /* "Menu" twice */
    ck_ok(llmd_filter_stats_rule(st, LLMD_FRULE_LEN_MIN, &d, &l));
    ck_assert_uint_eq(d, 1);
    ck_fails(llmd_filter_stats_rule(st, LLMD_FRULE_NONE, &d, &l), LLMD_ERR_INVALID_ARG, "rule out of range");
    llmd_filter_stats_free(st);
    llmd_filter_free(f);
    llmd_filter_free(NULL);
    llmd_filter_stats_free(NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("filter");
    TCase *tc = tcase_create("filter");
    tcase_add_test(tc, test_treebank_tokens);
    tcase_add_test(tc, test_punkt_sentences);
    tcase_add_test(tc, test_c4_sentences_edge);
    tcase_add_test(tc, test_c4_line_rules);
    tcase_add_test(tc, test_c4_end_mark_paths);
    tcase_add_test(tc, test_c4_doc_rules);
    tcase_add_test(tc, test_badwords);
    tcase_add_test(tc, test_gopher_words_and_length);
    tcase_add_test(tc, test_gopher_symbols);
    tcase_add_test(tc, test_gopher_lines);
    tcase_add_test(tc, test_gopher_alpha_and_stop_words);
    tcase_add_test(tc, test_repetition_lines_paragraphs);
    tcase_add_test(tc, test_repetition_ngrams);
    tcase_add_test(tc, test_repetition_ngram_paths);
    tcase_add_test(tc, test_repetition_ngrams_random);
    tcase_add_test(tc, test_fineweb);
    tcase_add_test(tc, test_fineweb_dups_and_lists);
    tcase_add_test(tc, test_language);
    tcase_add_test(tc, test_scratch_reuse);
    tcase_add_test(tc, test_api_order_and_stats);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
