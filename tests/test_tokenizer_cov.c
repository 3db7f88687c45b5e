/* Suite "tokenizer_cov": tokenizer.json components, each kind and its bad forms (issue 19 branch
 * coverage).  A tiny BPE model (vocab a b ab c ▁ <0x41> ..., merge "a b") makes every expected
 * encoding short enough to work by hand from Hugging Face tokenizers' documented behaviour of
 * each normalizer, pre-tokenizer, post-processor and decoder.  JSON in this file is written with
 * single quotes (turned into double quotes before loading) to stay readable. */
#include <unistd.h>

#include "testutil.h"

/* vocab: a=0 b=1 ab=2 c=3 ▁=4 ▁ab=5 <0x41>=6 1=7 2=8 d=9 !=10 ▁a=11 */
#define VOCAB "'vocab': {'a': 0, 'b': 1, 'ab': 2, 'c': 3, '\\u2581': 4, '\\u2581ab': 5, '<0x41>': 6, '1': 7, '2': 8," \
              " 'd': 9, '!': 10, '\\u2581a': 11}"
#define MODEL "'model': {'type': 'BPE', " VOCAB ", 'merges': ['a b', '\\u2581 ab', '\\u2581 a']}"

static char *build(const char *parts) {
    /* {'version': '1.0', <parts>} with ' -> " */
    size_t n = strlen(parts) + 64;
    char *s = malloc(n);
    snprintf(s, n, "{'version': '1.0', %s}", parts);
    for (char *p = s; *p; p++)
        if (*p == '\'') *p = '"';
    return s;
}

static llmd_status load(const char *parts, llmd_tokenizer **tok) {
    char *json = build(parts);
    llmd_status st = llmd_tokenizer_from_json(tok, json, strlen(json), NULL);
    free(json);
    return st;
}

START_TEST(bad_components_are_named) {
    static const struct { const char *parts; llmd_status st; const char *needle; } bad[] = {
        /* top level */
        {"'truncation': {'max_length': 5}, " MODEL, LLMD_ERR_UNSUPPORTED, "\"truncation\" settings"},
        {"'padding': {}, " MODEL, LLMD_ERR_UNSUPPORTED, "\"padding\" settings"},
        {"'model': 5", LLMD_ERR_PARSE, "no \"model\" object"},
        {"'added_tokens': {}, " MODEL, LLMD_ERR_PARSE, "\"added_tokens\" must be an array"},
        {"'added_tokens': [{'id': 3}], " MODEL, LLMD_ERR_PARSE, "added token 0 lacks \"content\""},
        /* model */
        {"'model': {" VOCAB "}", LLMD_ERR_UNSUPPORTED, "model without \"type\" and \"merges\" is not BPE"},
        {"'model': {'type': 'WordPiece', " VOCAB ", 'merges': []}", LLMD_ERR_UNSUPPORTED, "model type \"WordPiece\""},
        {"'model': {'type': 'BPE', 'vocab': [], 'merges': []}", LLMD_ERR_PARSE, "needs \"vocab\" (object)"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': [], 'dropout': 0.1}", LLMD_ERR_UNSUPPORTED, "dropout (0.1)"},
        {"'model': {'type': 'BPE', 'vocab': {'x': 1.5}, 'merges': []}", LLMD_ERR_PARSE, "vocab entry \"x\""},
        {"'model': {'type': 'BPE', 'vocab': {'x': -1}, 'merges': []}", LLMD_ERR_PARSE, "vocab entry \"x\""},
        {"'model': {'type': 'BPE', 'vocab': {'x': 'one'}, 'merges': []}", LLMD_ERR_PARSE, "vocab entry \"x\""},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': [['a']]}", LLMD_ERR_PARSE, "merge 1 must be two strings"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': [['a', 2]]}", LLMD_ERR_PARSE, "merge 1 must be two strings"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': [5]}", LLMD_ERR_PARSE, "merge 1 is not a string"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': ['ab']}", LLMD_ERR_PARSE, "two tokens separated by one space"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': ['a b c']}", LLMD_ERR_PARSE, "two tokens separated by one space"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': ['a b', 'x b']}", LLMD_ERR_PARSE, "merge 2: token \"x\" is not in"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': ['a x']}", LLMD_ERR_PARSE, "merge 1: token \"x\" is not in"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': ['b a']}", LLMD_ERR_PARSE, "merged token \"ba\" is not in"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': ['a b'], 'continuing_subword_prefix': '##'}", LLMD_ERR_PARSE,
         "\"b\" is shorter than the subword prefix"},
        {"'model': {'type': 'BPE', " VOCAB ", 'merges': [], 'unk_token': '<unk>'}", LLMD_ERR_PARSE,
         "unk_token \"<unk>\" is not in the vocabulary"},
        /* normalizers */
        {"'normalizer': {}, " MODEL, LLMD_ERR_PARSE, "a normalizer lacks \"type\""},
        {"'normalizer': {'type': 'Precompiled'}, " MODEL, LLMD_ERR_UNSUPPORTED, "normalizer \"Precompiled\""},
        {"'normalizer': {'type': 'Prepend'}, " MODEL, LLMD_ERR_PARSE, "Prepend normalizer lacks \"prepend\""},
        {"'normalizer': {'type': 'Replace', 'pattern': {'String': 'a'}}, " MODEL, LLMD_ERR_PARSE,
         "Replace normalizer needs \"pattern\" and \"content\""},
        {"'normalizer': {'type': 'Replace', 'pattern': {'Glob': 'a'}, 'content': 'b'}, " MODEL, LLMD_ERR_PARSE,
         "Replace normalizer needs a pattern"},
        {"'normalizer': {'type': 'Replace', 'pattern': {'Regex': '('}, 'content': 'b'}, " MODEL, LLMD_ERR_PARSE,
         "Replace normalizer pattern"},
        {"'normalizer': {'type': 'Sequence'}, " MODEL, LLMD_ERR_PARSE, "normalizer Sequence lacks \"normalizers\""},
        {"'normalizer': {'type': 'Sequence', 'normalizers': [{'type': 'NFC'}, {'type': 'Nope'}]}, " MODEL,
         LLMD_ERR_UNSUPPORTED, "normalizer \"Nope\""},
        /* pre-tokenizers */
        {"'pre_tokenizer': {}, " MODEL, LLMD_ERR_PARSE, "a pre_tokenizer lacks \"type\""},
        {"'pre_tokenizer': {'type': 'UnicodeScripts'}, " MODEL, LLMD_ERR_UNSUPPORTED, "pre_tokenizer \"UnicodeScripts\""},
        {"'pre_tokenizer': {'type': 'Split', 'behavior': 'Isolated'}, " MODEL, LLMD_ERR_PARSE,
         "Split pre_tokenizer lacks \"pattern\""},
        {"'pre_tokenizer': {'type': 'Split', 'pattern': {'String': 'c'}}, " MODEL, LLMD_ERR_PARSE,
         "Split pre_tokenizer lacks \"behavior\""},
        {"'pre_tokenizer': {'type': 'Split', 'pattern': {'String': 'c'}, 'behavior': 'Sideways'}, " MODEL,
         LLMD_ERR_UNSUPPORTED, "behavior \"Sideways\""},
        {"'pre_tokenizer': {'type': 'Metaspace', 'replacement': 'ab'}, " MODEL, LLMD_ERR_PARSE,
         "Metaspace replacement must be exactly one character, got \"ab\""},
        {"'pre_tokenizer': {'type': 'Metaspace', 'replacement': ''}, " MODEL, LLMD_ERR_PARSE, "exactly one character"},
        {"'pre_tokenizer': {'type': 'Metaspace', 'prepend_scheme': 'sometimes'}, " MODEL, LLMD_ERR_UNSUPPORTED,
         "prepend_scheme \"sometimes\""},
        {"'pre_tokenizer': {'type': 'CharDelimiterSplit'}, " MODEL, LLMD_ERR_PARSE, "CharDelimiterSplit lacks \"delimiter\""},
        {"'pre_tokenizer': {'type': 'CharDelimiterSplit', 'delimiter': 'cd'}, " MODEL, LLMD_ERR_PARSE,
         "CharDelimiterSplit delimiter must be exactly one character"},
        {"'pre_tokenizer': {'type': 'Punctuation', 'behavior': 'Nowhere'}, " MODEL, LLMD_ERR_UNSUPPORTED, "behavior \"Nowhere\""},
        {"'pre_tokenizer': {'type': 'Sequence'}, " MODEL, LLMD_ERR_PARSE, "pre_tokenizer Sequence lacks \"pretokenizers\""},
        {"'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [{'type': 'Digits'}, {}]}, " MODEL, LLMD_ERR_PARSE,
         "a pre_tokenizer lacks \"type\""},
        /* decoders */
        {"'decoder': {}, " MODEL, LLMD_ERR_PARSE, "a decoder lacks \"type\""},
        {"'decoder': {'type': 'WordPiece'}, " MODEL, LLMD_ERR_UNSUPPORTED, "decoder \"WordPiece\""},
        {"'decoder': {'type': 'Strip', 'start': 1, 'stop': 0}, " MODEL, LLMD_ERR_PARSE, "Strip decoder lacks \"content\""},
        {"'decoder': {'type': 'Strip', 'content': 'ab', 'start': 1, 'stop': 0}, " MODEL, LLMD_ERR_PARSE,
         "Strip decoder content must be exactly one character"},
        {"'decoder': {'type': 'Strip', 'content': 'a', 'stop': 0}, " MODEL, LLMD_ERR_PARSE, "\"start\" and \"stop\""},
        {"'decoder': {'type': 'Strip', 'content': 'a', 'start': -1, 'stop': 0}, " MODEL, LLMD_ERR_PARSE, "\"start\" and \"stop\""},
        {"'decoder': {'type': 'Strip', 'content': 'a', 'start': 0, 'stop': 1e10}, " MODEL, LLMD_ERR_PARSE, "\"start\" and \"stop\""},
        {"'decoder': {'type': 'Replace', 'content': 'a'}, " MODEL, LLMD_ERR_PARSE, "Replace decoder needs \"pattern\" and \"content\""},
        {"'decoder': {'type': 'Replace', 'pattern': {}, 'content': 'a'}, " MODEL, LLMD_ERR_PARSE, "Replace decoder needs a pattern"},
        {"'decoder': {'type': 'Metaspace', 'replacement': 'xy'}, " MODEL, LLMD_ERR_PARSE, "exactly one character"},
        {"'decoder': {'type': 'Metaspace', 'prepend_scheme': 'often'}, " MODEL, LLMD_ERR_UNSUPPORTED,
         "Metaspace decoder prepend_scheme \"often\""},
        {"'decoder': {'type': 'Sequence'}, " MODEL, LLMD_ERR_PARSE, "decoder Sequence lacks \"decoders\""},
        {"'decoder': {'type': 'Sequence', 'decoders': [{'type': 'Fuse'}, {'type': 'CTC'}]}, " MODEL, LLMD_ERR_UNSUPPORTED,
         "decoder \"CTC\""},
        /* post-processors */
        {"'post_processor': {}, " MODEL, LLMD_ERR_PARSE, "a post_processor lacks \"type\""},
        {"'post_processor': {'type': 'Weird'}, " MODEL, LLMD_ERR_UNSUPPORTED, "post_processor \"Weird\""},
        {"'post_processor': {'type': 'TemplateProcessing'}, " MODEL, LLMD_ERR_PARSE, "TemplateProcessing lacks \"single\""},
        {"'post_processor': {'type': 'TemplateProcessing', 'single': [{'Sequence': {'id': 'B'}}]}, " MODEL,
         LLMD_ERR_UNSUPPORTED, "must hold sequence A once"},
        {"'post_processor': {'type': 'TemplateProcessing', 'single': [{'Sequence': {'id': 'A'}}, {'Sequence': {'id': 'A'}}]}, "
         MODEL, LLMD_ERR_UNSUPPORTED, "must hold sequence A once"},
        {"'post_processor': {'type': 'TemplateProcessing', 'single': [{'Other': 1}, {'Sequence': {'id': 'A'}}]}, " MODEL,
         LLMD_ERR_PARSE, "neither SpecialToken nor Sequence"},
        {"'post_processor': {'type': 'TemplateProcessing', 'single': [{'SpecialToken': {'id': '<s>'}}, {'Sequence': {'id': 'A'}}],"
         " 'special_tokens': {}}, " MODEL, LLMD_ERR_PARSE, "special token \"<s>\" is not defined"},
        {"'post_processor': {'type': 'TemplateProcessing', 'single': [{'SpecialToken': {'id': '<s>'}}, {'Sequence': {'id': 'A'}}],"
         " 'special_tokens': {'<s>': {'ids': [-1]}}}, " MODEL, LLMD_ERR_PARSE, "special token \"<s>\" has a bad id"},
        {"'post_processor': {'type': 'TemplateProcessing', 'single': [{'SpecialToken': {'id': '<s>'}}],"
         " 'special_tokens': {'<s>': {'ids': [3]}}}, " MODEL, LLMD_ERR_UNSUPPORTED, "lacks sequence A"},
        {"'post_processor': {'type': 'RobertaProcessing', 'sep': ['</s>', 2]}, " MODEL, LLMD_ERR_PARSE,
         "post_processor cls must be [token, id]"},
        {"'post_processor': {'type': 'BertProcessing', 'cls': ['[CLS]', 1], 'sep': ['[SEP]', -2]}, " MODEL, LLMD_ERR_PARSE,
         "post_processor sep must be [token, id]"},
        {"'post_processor': {'type': 'Sequence'}, " MODEL, LLMD_ERR_PARSE, "post_processor Sequence lacks \"processors\""},
        {"'post_processor': {'type': 'Sequence', 'processors': [{'type': 'ByteLevel'}, {}]}, " MODEL, LLMD_ERR_PARSE,
         "a post_processor lacks \"type\""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmd_tokenizer *tok = (llmd_tokenizer *)1;
        llmd_status st = load(bad[i].parts, &tok);
        ck_assert_msg(st == bad[i].st, "case %zu: %s (wanted %s): %s", i, llmd_status_str(st),
                      llmd_status_str(bad[i].st), llmd_last_error());
        ck_assert_msg(strstr(llmd_last_error(), bad[i].needle), "case %zu: '%s' lacks '%s'", i, llmd_last_error(),
                      bad[i].needle);
        ck_assert_msg(strstr(llmd_last_error(), "tokenizer.json"), "case %zu: '%s'", i, llmd_last_error());
        ck_assert_ptr_null(tok);
    }
    /* text-level problems */
    llmd_tokenizer *tok;
    ck_fails(llmd_tokenizer_from_json(&tok, "{\"model\": {}}\xff", 14, NULL), LLMD_ERR_PARSE, "invalid UTF-8 at byte offset 13");
    ck_fails(llmd_tokenizer_from_json(&tok, "{\"a\": \"x\ty\"}", 12, NULL), LLMD_ERR_PARSE, "raw control character 0x09");
    ck_fails(llmd_tokenizer_from_json(&tok, "{\"a\": \"x\\u0000\"}", 16, NULL), LLMD_ERR_UNSUPPORTED, "NUL character");
    ck_fails(llmd_tokenizer_from_json(&tok, "{} {}", 5, NULL), LLMD_ERR_PARSE, "data after the JSON value");
    static const char v2[] = "{\"version\": \"2.0\", \"model\": {}}";
    ck_fails(llmd_tokenizer_from_json(&tok, v2, strlen(v2), NULL), LLMD_ERR_UNSUPPORTED, "version \"2.0\"");
}
END_TEST

/* Encodes text and compares with the hand-worked ids. */
static void expect_ids(const char *parts, const char *text, unsigned flags, const uint32_t *want, size_t n_want) {
    llmd_tokenizer *tok;
    llmd_status st = load(parts, &tok);
    ck_assert_msg(st == LLMD_OK, "%s: %s", parts, llmd_last_error());
    uint32_t *ids = NULL;
    size_t n = 0;
    ck_ok(llmd_tokenizer_encode(tok, text, strlen(text), flags, &ids, &n, NULL));
    char got[256] = "", exp[256] = "";
    for (size_t i = 0; i < n && strlen(got) < 200; i++) snprintf(got + strlen(got), sizeof got - strlen(got), "%u ", ids[i]);
    for (size_t i = 0; i < n_want; i++) snprintf(exp + strlen(exp), sizeof exp - strlen(exp), "%u ", want[i]);
    ck_assert_msg(strcmp(got, exp) == 0, "%s | '%s': got [%s] want [%s]", parts, text, got, exp);
    llmd_free(ids);
    llmd_tokenizer_free(tok);
}
#define IDS(...) (const uint32_t[]){__VA_ARGS__}, sizeof((const uint32_t[]){__VA_ARGS__}) / sizeof(uint32_t)

START_TEST(normalizers_and_pre_tokenizers_by_hand) {
    /* no normalizer or pre-tokenizer: the whole text is one word, merged by "a b" */
    expect_ids(MODEL, "abab", 0, IDS(2, 2));
    expect_ids("'normalizer': {'type': 'Lowercase'}, " MODEL, "ABc", 0, IDS(2, 3));
    expect_ids("'normalizer': {'type': 'Prepend', 'prepend': 'c'}, " MODEL, "ab", 0, IDS(3, 2));
    expect_ids("'normalizer': {'type': 'Replace', 'pattern': {'String': 'd'}, 'content': 'a'}, " MODEL, "db", 0, IDS(2));
    expect_ids("'normalizer': {'type': 'Replace', 'pattern': {'Regex': 'd+'}, 'content': 'c'}, " MODEL, "addddb", 0, IDS(0, 3, 1));
    expect_ids("'normalizer': {'type': 'Strip', 'strip_left': true, 'strip_right': false}, " MODEL, "  ab", 0, IDS(2));
    /* NFKC folds fullwidth letters (U+FF41 U+FF42) to a b */
    expect_ids("'normalizer': {'type': 'NFKC'}, " MODEL, "\xef\xbd\x81\xef\xbd\x82", 0, IDS(2));
    expect_ids("'normalizer': {'type': 'NFKD'}, " MODEL, "\xef\xbd\x81", 0, IDS(0));
    /* NFD + StripAccents: a-acute -> a */
    expect_ids("'normalizer': {'type': 'Sequence', 'normalizers': [{'type': 'NFD'}, {'type': 'StripAccents'}, "
               "{'type': 'NFC'}]}, " MODEL, "\xc3\xa1" "b", 0, IDS(2));
    /* pre-tokenizers split before BPE: no merge across pieces */
    expect_ids("'pre_tokenizer': {'type': 'Split', 'pattern': {'String': 'c'}, 'behavior': 'Isolated'}, " MODEL,
               "abcab", 0, IDS(2, 3, 2));
    expect_ids("'pre_tokenizer': {'type': 'Split', 'pattern': {'String': 'c'}, 'behavior': 'Removed'}, " MODEL,
               "abcab", 0, IDS(2, 2));
    expect_ids("'pre_tokenizer': {'type': 'Split', 'pattern': {'String': 'c'}, 'behavior': 'MergedWithPrevious'}, " MODEL,
               "acb", 0, IDS(0, 3, 1));
    /* MergedWithNext: "a" | "ba" | "b" -- "ba" has no merge */
    expect_ids("'pre_tokenizer': {'type': 'Split', 'pattern': {'String': 'b'}, 'behavior': 'MergedWithNext'}, " MODEL,
               "abab", 0, IDS(0, 1, 0, 1));
    expect_ids("'pre_tokenizer': {'type': 'Split', 'pattern': {'Regex': 'b+'}, 'behavior': 'Contiguous'}, " MODEL,
               "abb", 0, IDS(0, 1, 1));
    /* invert: the matches are the pieces (the rest removed) */
    expect_ids("'pre_tokenizer': {'type': 'Split', 'pattern': {'Regex': 'ab'}, 'behavior': 'Removed', 'invert': true}, "
               MODEL, "abcab", 0, IDS(2, 2));
    expect_ids("'pre_tokenizer': {'type': 'CharDelimiterSplit', 'delimiter': 'c'}, " MODEL, "abcab", 0, IDS(2, 2));
    expect_ids("'pre_tokenizer': {'type': 'Digits', 'individual_digits': true}, " MODEL, "a12b", 0, IDS(0, 7, 8, 1));
    expect_ids("'pre_tokenizer': {'type': 'Digits'}, " MODEL, "ab12", 0, IDS(2, 7, 8));
    expect_ids("'pre_tokenizer': {'type': 'Punctuation'}, " MODEL, "a!b", 0, IDS(0, 10, 1));
    expect_ids("'pre_tokenizer': {'type': 'Punctuation', 'behavior': 'Removed'}, " MODEL, "a!b", 0, IDS(0, 1));
    expect_ids("'pre_tokenizer': {'type': 'WhitespaceSplit'}, " MODEL, "ab \t ab", 0, IDS(2, 2));
    expect_ids("'pre_tokenizer': {'type': 'Whitespace'}, " MODEL, "ab!! ab", 0, IDS(2, 10, 10, 2));
    expect_ids("'pre_tokenizer': {'type': 'BertPreTokenizer'}, " MODEL, "ab!ab c", 0, IDS(2, 10, 2, 3));
    expect_ids("'pre_tokenizer': {'type': 'Sequence', 'pretokenizers': [{'type': 'WhitespaceSplit'}, "
               "{'type': 'Digits', 'individual_digits': true}]}, " MODEL, "a1 2b", 0, IDS(0, 7, 8, 1));
    /* Metaspace: spaces become U+2581, prepended per prepend_scheme, split before each U+2581 */
    expect_ids("'pre_tokenizer': {'type': 'Metaspace', 'prepend_scheme': 'always'}, " MODEL, "ab a", 0, IDS(5, 11));
    expect_ids("'pre_tokenizer': {'type': 'Metaspace', 'prepend_scheme': 'never'}, " MODEL, "ab a", 0, IDS(2, 11));
    expect_ids("'pre_tokenizer': {'type': 'Metaspace', 'prepend_scheme': 'first'}, " MODEL, "ab", 0, IDS(5));
    expect_ids("'pre_tokenizer': {'type': 'Metaspace', 'add_prefix_space': false}, " MODEL, "ab", 0, IDS(2));
    expect_ids("'pre_tokenizer': {'type': 'Metaspace', 'add_prefix_space': true, 'split': false}, " MODEL, "ab", 0, IDS(5));
}
END_TEST

static void expect_text(const char *parts, const uint32_t *ids, size_t n, unsigned flags, const char *want) {
    llmd_tokenizer *tok;
    llmd_status st = load(parts, &tok);
    ck_assert_msg(st == LLMD_OK, "%s: %s", parts, llmd_last_error());
    char *text;
    size_t len;
    ck_ok(llmd_tokenizer_decode(tok, ids, n, flags, &text, &len));
    ck_assert_msg(strcmp(text, want) == 0 && len == strlen(want), "%s: got '%s' want '%s'", parts, text, want);
    llmd_free(text);
    llmd_tokenizer_free(tok);
}

START_TEST(decoders_and_post_processors_by_hand) {
    /* without a decoder tokens are joined with spaces (Hugging Face's default) */
    expect_text(MODEL, IDS(2, 3), 0, "ab c");
    expect_text("'decoder': {'type': 'Fuse'}, " MODEL, IDS(2, 3), 0, "abc");
    /* Strip removes `start` leading / `stop` trailing copies of content from each token */
    expect_text("'decoder': {'type': 'Sequence', 'decoders': [{'type': 'Strip', 'content': 'a', 'start': 1, 'stop': 0},"
                " {'type': 'Fuse'}]}, " MODEL, IDS(2, 0, 3), 0, "bc");
    expect_text("'decoder': {'type': 'Sequence', 'decoders': [{'type': 'Replace', 'pattern': {'String': 'a'}, 'content': 'd'},"
                " {'type': 'Fuse'}]}, " MODEL, IDS(2, 0), 0, "dbd");
    expect_text("'decoder': {'type': 'BPEDecoder', 'suffix': 'b'}, " MODEL, IDS(2, 3), 0, "a c");
    /* ByteFallback: <0x41> is the byte A */
    expect_text("'decoder': {'type': 'Sequence', 'decoders': [{'type': 'ByteFallback'}, {'type': 'Fuse'}]}, "
                "'model': {'type': 'BPE', " VOCAB ", 'merges': [], 'byte_fallback': true}", IDS(6, 3), 0, "Ac");
    /* Metaspace decoder: U+2581 back to spaces, the leading one dropped (prepend_scheme always) */
    expect_text("'decoder': {'type': 'Metaspace', 'prepend_scheme': 'always'}, " MODEL, IDS(5, 11), 0, "ab a");
    expect_text("'decoder': {'type': 'Metaspace', 'prepend_scheme': 'never'}, " MODEL, IDS(5, 11), 0, " ab a");
    /* post-processors add their tokens with LLMD_TOK_ADD_SPECIAL only */
    const char *tmpl = "'added_tokens': [{'id': 20, 'content': '<s>', 'special': true}, {'id': 21, 'content': '</s>', 'special': true}],"
                       " 'post_processor': {'type': 'TemplateProcessing', 'single': [{'SpecialToken': {'id': '<s>'}},"
                       " {'Sequence': {'id': 'A'}}, {'SpecialToken': {'id': '</s>'}}], 'special_tokens': {"
                       "'<s>': {'ids': [12]}, '</s>': {'ids': [13]}}}, " MODEL;
    expect_ids(tmpl, "ab", LLMD_TOK_ADD_SPECIAL, IDS(12, 2, 13));
    expect_ids(tmpl, "ab", 0, IDS(2));
    /* (a post-processor's ids must exist: the added tokens get 12 and 13) */
    expect_ids("'added_tokens': [{'id': 12, 'content': '<s>', 'special': true}, {'id': 13, 'content': '</s>', 'special': true}],"
               " 'post_processor': {'type': 'RobertaProcessing', 'cls': ['<s>', 12], 'sep': ['</s>', 13]}, " MODEL, "ab",
               LLMD_TOK_ADD_SPECIAL, IDS(12, 2, 13));
    expect_ids("'added_tokens': [{'id': 12, 'content': '[CLS]', 'special': true}, {'id': 13, 'content': '[SEP]', 'special': true}],"
               " 'post_processor': {'type': 'Sequence', 'processors': [{'type': 'ByteLevel'}, {'type': 'BertProcessing',"
               " 'cls': ['[CLS]', 12], 'sep': ['[SEP]', 13]}]}, " MODEL, "ab", LLMD_TOK_ADD_SPECIAL, IDS(12, 2, 13));
    /* added tokens: ids follow the vocabulary; a repeated content keeps the first id; special
     * ones match inside text; an empty content is ignored */
    llmd_tokenizer *tok;
    ck_ok(load("'added_tokens': [{'id': 0, 'content': '<eos>', 'special': true}, {'id': 0, 'content': ''},"
               " {'id': 0, 'content': 'c'}, {'id': 0, 'content': '<eos>', 'special': true}], " MODEL, &tok));
    uint32_t id;
    ck_ok(llmd_tokenizer_token_to_id(tok, "<eos>", 5, &id));
    ck_assert_uint_eq(id, 12);   /* 12 vocabulary entries: the first new id is 12 */
    ck_ok(llmd_tokenizer_token_to_id(tok, "c", 1, &id));
    ck_assert_uint_eq(id, 3);    /* already in the vocabulary */
    ck_assert_int_eq(llmd_tokenizer_eos_id(tok), 12);
    ck_assert_int_eq(llmd_tokenizer_is_special(tok, 12), 1);
    ck_assert_int_eq(llmd_tokenizer_is_special(tok, 2), 0);
    ck_assert_uint_eq(llmd_tokenizer_vocab_size(tok), 13);
    uint32_t *ids;
    size_t n;
    ck_ok(llmd_tokenizer_encode(tok, "ab<eos>ab", 9, 0, &ids, &n, NULL));
    ck_assert(n == 3 && ids[0] == 2 && ids[1] == 12 && ids[2] == 2);
    llmd_free(ids);
    char *text;
    size_t len;
    const uint32_t dec[] = {2, 12, 3};
    ck_ok(llmd_tokenizer_decode(tok, dec, 3, LLMD_TOK_SKIP_SPECIAL, &text, &len));
    ck_assert_str_eq(text, "ab c");
    llmd_free(text);
    ck_fails(llmd_tokenizer_decode(tok, (const uint32_t[]){99}, 1, 0, &text, &len), LLMD_ERR_RANGE, "");
    const char *s;
    ck_fails(llmd_tokenizer_id_to_token(tok, 99, &s, &len), LLMD_ERR_RANGE, "");
    ck_fails(llmd_tokenizer_token_to_id(tok, "zz", 2, &id), LLMD_ERR_NOT_FOUND, "");
    llmd_tokenizer_free(tok);
    /* an unknown character with an unk token; "#version" lines in merges are skipped */
    expect_ids("'model': {'type': 'BPE', " VOCAB ", 'merges': ['#version: 0.2', 'a b'], 'unk_token': 'd'}", "azb", 0,
               IDS(0, 9, 1));
    expect_ids("'model': {'type': 'BPE', " VOCAB ", 'merges': [['a', 'b']], 'unk_token': 'd', 'fuse_unk': true}", "zzab", 0,
               IDS(9, 2));
}
END_TEST

/* API arguments, tiktoken rank files (a=0 b=1 ab=2: "ab" merges by rank) and files on disk. */
START_TEST(api_arguments_and_tiktoken_files) {
    llmd_tokenizer *tok;
    ck_ok(load(MODEL, &tok));
    uint32_t *ids, buf[4];
    size_t n, *offs;
    ck_fails(llmd_tokenizer_encode(NULL, "a", 1, 0, &ids, &n, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode(tok, NULL, 1, 0, &ids, &n, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode(tok, "a", 1, 0, NULL, &n, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode(tok, "a", 1, 0, &ids, NULL, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode(tok, "a\xff", 2, 0, &ids, &n, NULL), LLMD_ERR_UTF8, "1");
    ck_ok(llmd_tokenizer_encode(tok, NULL, 0, 0, &ids, &n, &offs));
    ck_assert_uint_eq(n, 0);
    llmd_free(ids);
    llmd_free(offs);
    ck_ok(llmd_tokenizer_encode(tok, "abcab", 5, 0, &ids, &n, &offs));
    ck_assert(n == 3 && offs[0] == 0 && offs[1] == 2 && offs[2] == 2 && offs[3] == 3 && offs[5] == 5);
    llmd_free(ids);
    llmd_free(offs);
    ck_fails(llmd_tokenizer_encode_into(NULL, "a", 1, 0, buf, 4, &n), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode_into(tok, NULL, 1, 0, buf, 4, &n), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode_into(tok, "a", 1, 0, NULL, 4, &n), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode_into(tok, "a", 1, 0, buf, 4, NULL), LLMD_ERR_INVALID_ARG, "");
    /* cap 0: counting only (TRUNCATED with the count needed) */
    ck_assert_int_eq(llmd_tokenizer_encode_into(tok, "a", 1, 0, NULL, 0, &n), LLMD_ERR_TRUNCATED);
    ck_assert_uint_eq(n, 1);
    /* too small: the first cap ids, and the count needed */
    ck_assert_int_eq(llmd_tokenizer_encode_into(tok, "abcabc", 6, 0, buf, 2, &n), LLMD_ERR_TRUNCATED);
    ck_assert(n == 4 && buf[0] == 2 && buf[1] == 3);
    const char *texts[] = {"ab", NULL, "c"};
    const size_t lens[] = {2, 0, 1};
    size_t *docs;
    ck_fails(llmd_tokenizer_encode_batch(NULL, texts, lens, 3, 0, 1, &ids, &docs), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode_batch(tok, NULL, lens, 3, 0, 1, &ids, &docs), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode_batch(tok, texts, NULL, 3, 0, 1, &ids, &docs), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode_batch(tok, texts, lens, 3, 0, 1, NULL, &docs), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_encode_batch(tok, texts, lens, 3, 0, 1, &ids, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_ok(llmd_tokenizer_encode_batch(tok, texts, lens, 3, 0, 2, &ids, &docs));
    ck_assert(docs[0] == 0 && docs[1] == 1 && docs[2] == 1 && docs[3] == 2 && ids[0] == 2 && ids[1] == 3);
    llmd_free(ids);
    llmd_free(docs);
    const size_t lens_bad[] = {2, 3, 1};
    ck_fails(llmd_tokenizer_encode_batch(tok, texts, lens_bad, 3, 0, 1, &ids, &docs), LLMD_ERR_INVALID_ARG, "1");
    char *text;
    size_t len;
    ck_fails(llmd_tokenizer_decode(NULL, buf, 1, 0, &text, &len), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_decode(tok, NULL, 1, 0, &text, &len), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_decode(tok, buf, 1, 0, NULL, &len), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_decode(tok, buf, 1, 0, &text, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_ok(llmd_tokenizer_decode(tok, NULL, 0, 0, &text, &len));
    ck_assert_str_eq(text, "");
    llmd_free(text);
    uint32_t id;
    const char *t;
    ck_fails(llmd_tokenizer_token_to_id(NULL, "a", 1, &id), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_token_to_id(tok, NULL, 1, &id), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_token_to_id(tok, "a", 1, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_id_to_token(NULL, 0, &t, &len), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_id_to_token(tok, 0, NULL, &len), LLMD_ERR_INVALID_ARG, "");
    ck_fails(llmd_tokenizer_id_to_token(tok, 0, &t, NULL), LLMD_ERR_INVALID_ARG, "");
    ck_ok(llmd_tokenizer_id_to_token(tok, 2, &t, &len));
    ck_assert(len == 2 && memcmp(t, "ab", 2) == 0);
    ck_assert_uint_eq(llmd_tokenizer_vocab_size(NULL), 0);
    ck_assert_int_eq(llmd_tokenizer_is_special(NULL, 0), 0);
    ck_assert_int_eq(llmd_tokenizer_eos_id(NULL), -1);
    ck_assert_int_eq(llmd_tokenizer_eos_id(tok), -1);
    llmd_tokenizer_free(tok);
    llmd_tokenizer_free(NULL);
    /* tiktoken ranks: every single byte (ranks 0..255, as tiktoken needs), then "ab" = 256;
     * base64 with padding, CRLF and blank lines */
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char ranks[256 * 12 + 64];
    size_t rl = 0;
    for (int b = 0; b < 256; b++)
        rl += (size_t)sprintf(ranks + rl, "%c%c== %d%s", b64[b >> 2], b64[(b & 3) << 4], b, b % 7 ? "\n" : "\r\n\n");
    rl += (size_t)sprintf(ranks + rl, "YWI= 256\n");
    ck_ok(llmd_tokenizer_from_tiktoken(&tok, ranks, rl, "gpt2"));
    ck_ok(llmd_tokenizer_encode(tok, "abab", 4, 0, &ids, &n, NULL));
    ck_assert(n == 2 && ids[0] == 256 && ids[1] == 256);
    llmd_free(ids);
    llmd_tokenizer_free(tok);
    static const struct { const char *data; const char *needle; } bad[] = {
        {"YQ==0\n", "line 1: expected \"base64 rank\""}, {"YQ= 0\n", "line 1: bad base64"},
        {"Y=Q= 0\n", "bad base64"}, {"YQ=* 0\n", "bad base64"}, {"YQ== \n", "line 1: missing rank"},
        {"YQ== 1x\n", "line 1: bad rank"}, {"YQ== 99999999999\n", "bad rank"}, {"YQ== 300000000\n", "too large"},
        {"YQ== 0\nYQ== 1\n", "line 2: token listed twice"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        llmd_status st = llmd_tokenizer_from_tiktoken(&tok, bad[i].data, strlen(bad[i].data), "gpt2");
        ck_assert_msg(st == LLMD_ERR_PARSE, "case %zu: %s", i, llmd_status_str(st));
        ck_assert_msg(strstr(llmd_last_error(), bad[i].needle), "case %zu: '%s' lacks '%s'", i, llmd_last_error(),
                      bad[i].needle);
    }
    ck_assert_int_eq(llmd_tokenizer_from_tiktoken(&tok, ranks, rl, "gpt5"), LLMD_ERR_INVALID_ARG);
    char dup[sizeof ranks + 16];
    memcpy(dup, ranks, rl);
    size_t dl = rl + (size_t)sprintf(dup + rl, "YWJj 256\n");   /* "abc" given the rank of "ab" */
    ck_fails(llmd_tokenizer_from_tiktoken(&tok, dup, dl, "gpt2"), LLMD_ERR_PARSE, "rank 256 is already the rank of line");
    /* files: a .tiktoken named for its pattern, one without a pattern, a JSON file with leading
     * white space, a missing file, options of a bad version */
    char dir[] = "/tmp/llmd_tcov_XXXXXX", p[128];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(p, sizeof p, "%s/cl100k_base.tiktoken", dir);
    FILE *f = fopen(p, "w");
    fputs(ranks, f);
    fclose(f);
    llmd_tokenizer_options to;
    llmd_tokenizer_options_init(&to);
    to.force_regex = 1;
    ck_ok(llmd_tokenizer_load(&tok, p, &to));
    ck_ok(llmd_tokenizer_encode(tok, "ab", 2, 0, &ids, &n, NULL));
    ck_assert(n == 1 && ids[0] == 256);
    llmd_free(ids);
    llmd_tokenizer_free(tok);
    snprintf(p, sizeof p, "%s/mystery.tiktoken", dir);
    f = fopen(p, "w");
    fputs(ranks, f);
    fclose(f);
    ck_fails(llmd_tokenizer_load(&tok, p, NULL), LLMD_ERR_INVALID_ARG, "needs a pattern name");
    to.force_regex = 0;
    to.tiktoken_pattern = "r50k";
    ck_ok(llmd_tokenizer_load(&tok, p, &to));
    llmd_tokenizer_free(tok);
    snprintf(p, sizeof p, "%s/tok.json", dir);
    f = fopen(p, "w");
    char *json = build(MODEL);
    fprintf(f, " \r\n\t%s", json);
    free(json);
    fclose(f);
    ck_ok(llmd_tokenizer_load(&tok, p, NULL));
    llmd_tokenizer_free(tok);
    to.version = 7;
    ck_assert_int_eq(llmd_tokenizer_load(&tok, p, &to), LLMD_ERR_VERSION);
    ck_fails(llmd_tokenizer_load(NULL, p, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    ck_fails(llmd_tokenizer_load(&tok, NULL, NULL), LLMD_ERR_INVALID_ARG, "NULL");
    snprintf(p, sizeof p, "%s/none.json", dir);
    ck_fails(llmd_tokenizer_load(&tok, p, NULL), LLMD_ERR_NOT_FOUND, "none.json");
    snprintf(p, sizeof p, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(p), 0);
}
END_TEST

/* Decoders on bytes: byte fallback of lowercase / invalid hex names, partial UTF-8 sequences
 * becoming U+FFFD, Strip with stop, unknown characters fused. */
START_TEST(byte_fallback_and_strip_edges) {
    /* vocab with byte tokens for 0xC3 0xA9 (é) and a lone 0xFF, and a token that only looks like one */
    const char *m = "'decoder': {'type': 'Sequence', 'decoders': [{'type': 'ByteFallback'}, {'type': 'Fuse'},"
                    " {'type': 'Strip', 'content': 'x', 'start': 0, 'stop': 2}]},"
                    " 'model': {'type': 'BPE', 'vocab': {'<0xC3>': 0, '<0xA9>': 1, '<0xFF>': 2, '<0xzz>': 3, 'x': 4,"
                    " '<0x41>': 5, 'a': 6}, 'merges': [], 'byte_fallback': true}";
    expect_text(m, IDS(0, 1, 4, 4, 4), 0, "\xc3\xa9x");          /* é, then 2 of the 3 x stripped */
    expect_text(m, IDS(2, 6), 0, "\xef\xbf\xbd" "a");            /* an invalid byte: U+FFFD */
    expect_text(m, IDS(0, 6), 0, "\xef\xbf\xbd" "a");            /* a cut sequence: U+FFFD */
    expect_text(m, IDS(3, 5), 0, "<0xzz>A");                     /* not a byte name: kept as text */
    /* byte fallback at encode time: an unknown character becomes its UTF-8 bytes */
    expect_ids("'model': {'type': 'BPE', 'vocab': {'<0xC3>': 0, '<0xA9>': 1, 'a': 2}, 'merges': [], 'byte_fallback': true}",
               "a\xc3\xa9", 0, IDS(2, 0, 1));
}
END_TEST

int main(void) {
    Suite *s = suite_create("tokenizer_cov");
    TCase *tc = tcase_create("cov");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, bad_components_are_named);
    tcase_add_test(tc, normalizers_and_pre_tokenizers_by_hand);
    tcase_add_test(tc, decoders_and_post_processors_by_hand);
    tcase_add_test(tc, api_arguments_and_tiktoken_files);
    tcase_add_test(tc, byte_fallback_and_strip_edges);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
