/* Check suite of the tokenizer module.
 *
 * Expected values come from the reference libraries, never from this code:
 *  - tests/data/tokenizer/cases.jsonl: ids and decoded text from Hugging Face's Rust `tokenizers`
 *    0.23 (npm), for small tokenizer.json files exercising every implemented component; made by
 *    tests/tokenizer/make_component_cases.mjs (re-run it to regenerate);
 *  - GPT-2 ids below: npm `tiktoken` 1.0.22, get_encoding("gpt2").encode_ordinary(text), which
 *    must agree with the bundled examples/data/gpt2-tokenizer.json (the CLI exactness run checks
 *    the same on the corpus).
 * The full-corpus comparison against the peers runs in tests/tokenizer/run_exactness.sh. */
#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llmdata.h"
#include "testutil.h"
#include "tokenizer/fast_split.h"
#include "tokenizer/regex.h"
#include "tokenizer/tok_internal.h"

static char *path_in_src(const char *rel) {
    static char buf[4][1024];
    static int k;
    char *b = buf[k++ & 3];
    snprintf(b, 1024, "%s/../%s", test_srcdir(), rel);
    return b;
}

static llmd_tokenizer *load(const char *rel) {
    llmd_tokenizer *t = NULL;
    llmd_status st = llmd_tokenizer_load(&t, path_in_src(rel), NULL);
    ck_assert_msg(st == LLMD_OK, "load %s: %s", rel, llmd_last_error());
    return t;
}

/* ---- reference cases from Hugging Face ----------------------------------------------------------- */
static char *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    ck_assert(fread(d, 1, (size_t)n, f) == (size_t)n);
    d[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return d;
}

START_TEST(test_hf_component_cases) {
    size_t len;
    char *data = read_all(path_in_src("tests/data/tokenizer/cases.jsonl"), &len);
    char current[64] = "";
    llmd_tokenizer *tok = NULL;
    int cases = 0, names = 0;
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *c = cJSON_Parse(line);
        ck_assert(c != NULL);
        const char *name = cJSON_GetObjectItem(c, "tokenizer")->valuestring;
        if (strcmp(name, current) != 0) {
            llmd_tokenizer_free(tok);
            char rel[128];
            snprintf(rel, sizeof rel, "tests/data/tokenizer/%s.json", name);
            tok = load(rel);
            snprintf(current, sizeof current, "%s", name);
            names++;
        }
        const char *text = cJSON_GetObjectItem(c, "text")->valuestring;
        bool add = cJSON_IsTrue(cJSON_GetObjectItem(c, "add_special"));
        cJSON *exp = cJSON_GetObjectItem(c, "ids");
        uint32_t *ids;
        size_t n, *offs;
        ck_ok(llmd_tokenizer_encode(tok, text, strlen(text), add ? LLMD_TOK_ADD_SPECIAL : 0, &ids, &n, &offs));
        ck_assert_msg((int)n == cJSON_GetArraySize(exp), "%s %s \"%s\": %zu ids, expected %d", name,
                      add ? "+special" : "", text, n, cJSON_GetArraySize(exp));
        for (size_t i = 0; i < n; i++)
            ck_assert_msg(ids[i] == (uint32_t)cJSON_GetArrayItem(exp, (int)i)->valuedouble,
                          "%s \"%s\": id %zu is %u, expected %g", name, text, i, ids[i],
                          cJSON_GetArrayItem(exp, (int)i)->valuedouble);
        /* offsets lie inside the text and never go backwards in start */
        for (size_t i = 0; i < n; i++) ck_assert(offs[2 * i] <= offs[2 * i + 1] && offs[2 * i + 1] <= strlen(text));
        /* the same ids without offsets, and through encode_into */
        uint32_t *ids2;
        size_t n2;
        ck_ok(llmd_tokenizer_encode(tok, text, strlen(text), add ? LLMD_TOK_ADD_SPECIAL : 0, &ids2, &n2, NULL));
        ck_assert(n2 == n && memcmp(ids, ids2, n * sizeof *ids) == 0);
        char *dec;
        size_t dlen;
        ck_ok(llmd_tokenizer_decode(tok, ids, n, 0, &dec, &dlen));
        const char *edec = cJSON_GetObjectItem(c, "decoded")->valuestring;
        ck_assert_msg(strcmp(dec, edec) == 0, "%s decode \"%s\": got \"%s\", expected \"%s\"", name, text, dec, edec);
        llmd_free(dec);
        ck_ok(llmd_tokenizer_decode(tok, ids, n, LLMD_TOK_SKIP_SPECIAL, &dec, &dlen));
        edec = cJSON_GetObjectItem(c, "decoded_skip")->valuestring;
        ck_assert_msg(strcmp(dec, edec) == 0, "%s decode(skip) \"%s\": got \"%s\", expected \"%s\"", name, text, dec, edec);
        llmd_free(dec);
        llmd_free(ids);
        llmd_free(ids2);
        llmd_free(offs);
        cJSON_Delete(c);
        cases++;
    }
    llmd_tokenizer_free(tok);
    free(data);
    ck_assert_int_ge(names, 5);
    ck_assert_int_ge(cases, 200);
}
END_TEST

/* ---- GPT-2 (bundled file) against tiktoken ----------------------------------------------------- */
static void expect_ids(llmd_tokenizer *t, const char *text, unsigned flags, const uint32_t *exp, size_t n_exp) {
    uint32_t *ids;
    size_t n;
    ck_ok(llmd_tokenizer_encode(t, text, strlen(text), flags, &ids, &n, NULL));
    ck_assert_msg(n == n_exp, "\"%s\": %zu ids, expected %zu", text, n, n_exp);
    for (size_t i = 0; i < n; i++) ck_assert_msg(ids[i] == exp[i], "\"%s\": id %zu = %u, expected %u", text, i, ids[i], exp[i]);
    llmd_free(ids);
}

START_TEST(test_gpt2_known_ids) {
    llmd_tokenizer *t = load("examples/data/gpt2-tokenizer.json");
    /* tiktoken gpt2 encode_ordinary */
    static const uint32_t hello[] = {15496, 995, 0};
    expect_ids(t, "Hello world!", 0, hello, 3);
    static const uint32_t contractions[] = {1026, 338, 257, 1332, 13, 775, 821, 994};
    expect_ids(t, "It's a test. We're here", 0, contractions, 8);
    static const uint32_t spaces[] = {64, 220, 220, 275};
    expect_ids(t, "a   b", 0, spaces, 4);
    /* the special token is matched in text (Hugging Face encode) */
    static const uint32_t eot[] = {15496, 50256, 6894};
    expect_ids(t, "Hello<|endoftext|>world", 0, eot, 3);
    ck_assert_uint_eq(llmd_tokenizer_vocab_size(t), 50257);
    ck_assert_int_eq(llmd_tokenizer_eos_id(t), 50256);
    ck_assert(llmd_tokenizer_is_special(t, 50256));
    ck_assert(!llmd_tokenizer_is_special(t, 15496));
    uint32_t id;
    ck_ok(llmd_tokenizer_token_to_id(t, "\xC4\xA0world", 7, &id)); /* "Ġworld" */
    ck_assert_uint_eq(id, 995);
    ck_fails(llmd_tokenizer_token_to_id(t, "no-such-token-xyz", 17, &id), LLMD_ERR_NOT_FOUND, "not in the vocabulary");
    const char *s;
    size_t len;
    ck_ok(llmd_tokenizer_id_to_token(t, 15496, &s, &len));
    ck_assert(len == 5 && memcmp(s, "Hello", 5) == 0);
    ck_fails(llmd_tokenizer_id_to_token(t, 50257, &s, &len), LLMD_ERR_RANGE, "50257");
    llmd_tokenizer_free(t);
}
END_TEST

START_TEST(test_roundtrip_and_offsets) {
    llmd_tokenizer *t = load("examples/data/gpt2-tokenizer.json");
    const char *texts[] = {"", "plain ASCII text.", "naïve café 東京 👩‍👩‍👧 \xF0\x9F\x87\xAB\xF0\x9F\x87\xB7",
                           "  \t\r\n mixed   whitespace \n\n", "\xEF\xBB\xBF" "BOM and \xC2\xA0NBSP", "x\0y"};
    size_t lens[] = {0, 17, 0, 0, 0, 3};
    for (size_t k = 0; k < sizeof texts / sizeof *texts; k++) {
        size_t len = lens[k] ? lens[k] : strlen(texts[k]);
        uint32_t *ids;
        size_t n, *offs;
        ck_ok(llmd_tokenizer_encode(t, texts[k], len, 0, &ids, &n, &offs));
        /* byte-level: the byte offsets of consecutive tokens tile the text */
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            ck_assert_msg(offs[2 * i] == at, "text %zu token %zu starts at %zu, expected %zu", k, i, offs[2 * i], at);
            at = offs[2 * i + 1];
        }
        ck_assert_uint_eq(at, len);
        char *back;
        size_t blen;
        ck_ok(llmd_tokenizer_decode(t, ids, n, 0, &back, &blen));
        ck_assert_uint_eq(blen, len);
        ck_assert(memcmp(back, texts[k], len) == 0);
        llmd_free(back);
        llmd_free(ids);
        llmd_free(offs);
    }
    llmd_tokenizer_free(t);
}
END_TEST

START_TEST(test_bad_inputs) {
    llmd_tokenizer *t = NULL;
    /* malformed JSON names the byte offset */
    const char *bad = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0,, }}";
    ck_fails(llmd_tokenizer_from_json(&t, bad, strlen(bad), NULL), LLMD_ERR_PARSE, "malformed JSON at byte offset 4"); /* the second comma: 43/44 */
    ck_assert(t == NULL);
    const char *bad8 = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"\xE8\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, bad8, strlen(bad8), NULL), LLMD_ERR_PARSE, "invalid UTF-8 at byte offset 37");
    const char *tpl = "{\"post_processor\": {\"type\": \"BertProcessing\", \"cls\": [\"x\", 7], \"sep\": [\"y\", 0]}, "
                      "\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, tpl, strlen(tpl), NULL), LLMD_ERR_PARSE, "adds id 7");
    const char *wp = "{\"model\": {\"type\": \"WordPiece\", \"vocab\": {}}}";
    ck_fails(llmd_tokenizer_from_json(&t, wp, strlen(wp), NULL), LLMD_ERR_UNSUPPORTED, "WordPiece");
    const char *drop = "{\"model\": {\"type\": \"BPE\", \"dropout\": 0.1, \"vocab\": {\"a\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, drop, strlen(drop), NULL), LLMD_ERR_UNSUPPORTED, "dropout");
    const char *unk = "{\"pre_tokenizer\": {\"type\": \"UnicodeScripts\"}, \"model\": {\"type\": \"BPE\", "
                      "\"vocab\": {\"a\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, unk, strlen(unk), NULL), LLMD_ERR_UNSUPPORTED, "UnicodeScripts");
    const char *mrg = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": [\"a b\"]}}";
    ck_fails(llmd_tokenizer_from_json(&t, mrg, strlen(mrg), NULL), LLMD_ERR_PARSE, "\"ab\" is not in the vocabulary");
    const char *rx = "{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(a\"}, \"behavior\": "
                     "\"Isolated\", \"invert\": false}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, rx, strlen(rx), NULL), LLMD_ERR_PARSE, "pattern");
    const char *trunc = "{\"truncation\": {\"max_length\": 8}, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, trunc, strlen(trunc), NULL), LLMD_ERR_UNSUPPORTED, "truncation");
    ck_fails(llmd_tokenizer_load(&t, "/nonexistent/tokenizer.json", NULL), LLMD_ERR_NOT_FOUND, "/nonexistent/tokenizer.json");
    const char *tk = "IQ== 0\nnot base64! 1\n";
    ck_fails(llmd_tokenizer_from_tiktoken(&t, tk, strlen(tk), "cl100k"), LLMD_ERR_PARSE, "line 2");
    ck_fails(llmd_tokenizer_from_tiktoken(&t, tk, strlen(tk), "cl999k"), LLMD_ERR_INVALID_ARG, "cl999k");

    t = load("examples/data/gpt2-tokenizer.json");
    uint32_t *ids;
    size_t n;
    ck_fails(llmd_tokenizer_encode(t, "ab\xC3(", 4, 0, &ids, &n, NULL), LLMD_ERR_UTF8, "byte offset 2");
    uint32_t big[] = {15496, 60000};
    char *txt;
    size_t tl;
    ck_fails(llmd_tokenizer_decode(t, big, 2, 0, &txt, &tl), LLMD_ERR_RANGE, "index 1");
    uint32_t small[2];
    ck_fails(llmd_tokenizer_encode_into(t, "Hello world!", 12, 0, small, 2, &n), LLMD_ERR_TRUNCATED, "3 ids");
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(small[0], 15496);
    llmd_tokenizer_free(t);
}
END_TEST

/* A 1 MB single "word" must encode in linear-ish time (no quadratic merge). */
START_TEST(test_long_piece) {
    llmd_tokenizer *t = load("examples/data/gpt2-tokenizer.json");
    size_t len = 1 << 20;
    char *s = malloc(len);
    for (size_t i = 0; i < len; i++) s[i] = "abcdefghij"[(i * 7 + i / 13) % 10];
    uint32_t *ids;
    size_t n;
    ck_ok(llmd_tokenizer_encode(t, s, len, 0, &ids, &n, NULL));
    ck_assert(n > 1000 && n < len);
    char *back;
    size_t blen;
    ck_ok(llmd_tokenizer_decode(t, ids, n, 0, &back, &blen));
    ck_assert(blen == len && memcmp(back, s, len) == 0);
    llmd_free(back);
    llmd_free(ids);
    free(s);
    llmd_tokenizer_free(t);
}
END_TEST

/* Batch encoding gives the same ids as one-by-one, for any thread count; many threads share one
 * tokenizer. */
typedef struct thr_arg { llmd_tokenizer *t; char **texts; size_t n; uint32_t *exp; size_t *eoff; int ok; } thr_arg;

static void *thread_main(void *p) {
    thr_arg *a = p;
    a->ok = 1;
    for (int round = 0; round < 3; round++)
        for (size_t i = 0; i < a->n; i++) {
            uint32_t *ids;
            size_t n;
            if (llmd_tokenizer_encode(a->t, a->texts[i], strlen(a->texts[i]), 0, &ids, &n, NULL) != LLMD_OK) a->ok = 0;
            else if (n != a->eoff[i + 1] - a->eoff[i] || memcmp(ids, a->exp + a->eoff[i], n * sizeof *ids) != 0) a->ok = 0;
            llmd_free(ids);
        }
    return NULL;
}

START_TEST(test_batch_and_threads) {
    llmd_tokenizer *t = load("examples/data/gpt2-tokenizer.json");
    size_t n = 400;
    char **texts = malloc(n * sizeof *texts);
    size_t *lens = malloc(n * sizeof *lens);
    for (size_t i = 0; i < n; i++) {
        texts[i] = malloc(200);
        snprintf(texts[i], 200, "Document %zu: the value is %zu, café №%zu — 東京 %s", i, i * 7919 % 1000, i % 13,
                 i % 3 ? "and more words here" : "");
        lens[i] = strlen(texts[i]);
    }
    uint32_t *ids1, *ids2;
    size_t *off1, *off2;
    ck_ok(llmd_tokenizer_encode_batch(t, (const char *const *)texts, lens, n, 0, 1, &ids1, &off1));
    ck_ok(llmd_tokenizer_encode_batch(t, (const char *const *)texts, lens, n, 0, 3, &ids2, &off2));
    ck_assert(memcmp(off1, off2, (n + 1) * sizeof *off1) == 0);
    ck_assert(memcmp(ids1, ids2, off1[n] * sizeof *ids1) == 0);
    for (size_t i = 0; i < n; i += 37) {
        uint32_t *ids;
        size_t k;
        ck_ok(llmd_tokenizer_encode(t, texts[i], lens[i], 0, &ids, &k, NULL));
        ck_assert(k == off1[i + 1] - off1[i] && memcmp(ids, ids1 + off1[i], k * sizeof *ids) == 0);
        llmd_free(ids);
    }
    pthread_t th[8];
    thr_arg args[8];
    for (int k = 0; k < 8; k++) {
        args[k] = (thr_arg){t, texts, n, ids1, off1, 0};
        ck_assert(pthread_create(&th[k], NULL, thread_main, &args[k]) == 0);
    }
    for (int k = 0; k < 8; k++) {
        pthread_join(th[k], NULL);
        ck_assert(args[k].ok);
    }
    /* a bad text in a batch names its index */
    char bad[] = "ok\xFF";
    const char *bt[] = {"fine", bad};
    size_t bl[] = {4, 3};
    uint32_t *bi;
    size_t *bo;
    ck_fails(llmd_tokenizer_encode_batch(t, bt, bl, 2, 0, 2, &bi, &bo), LLMD_ERR_UTF8, "text 1");
    ck_assert(bi == NULL && bo == NULL);
    llmd_free(ids1);
    llmd_free(ids2);
    llmd_free(off1);
    llmd_free(off2);
    for (size_t i = 0; i < n; i++) free(texts[i]);
    free(texts);
    free(lens);
    llmd_tokenizer_free(t);
}
END_TEST

/* tiktoken rank files: a small hand-made encoding (all 256 bytes, then ab, bc, abc), expected ids
 * worked out by hand with tiktoken's rule (merge the adjacent pair whose concatenation has the
 * lowest rank, leftmost first). */
static void b64(const uint8_t *in, size_t n, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    out[o] = 0;
}

START_TEST(test_tiktoken_small) {
    char *ranks = malloc(256 * 16 + 64);
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        char e[8];
        b64(&c, 1, e);
        at += (size_t)sprintf(ranks + at, "%s %d\n", e, b);
    }
    at += (size_t)sprintf(ranks + at, "YWI= 256\nYmM= 257\nYWJj 258\n"); /* ab, bc, abc */
    llmd_tokenizer *t;
    ck_ok(llmd_tokenizer_from_tiktoken(&t, ranks, at, "gpt2"));
    static const uint32_t e1[] = {258};               /* whole piece is a token */
    expect_ids(t, "abc", 0, e1, 1);
    static const uint32_t e2[] = {258, 'b'};          /* ab(256) first, then ab+c = abc(258) */
    expect_ids(t, "abcb", 0, e2, 2);
    static const uint32_t e3[] = {'c', 256};          /* only ab merges */
    expect_ids(t, "cab", 0, e3, 2);
    static const uint32_t e4[] = {'b', 257, 'a'};     /* "bbca": bc(257) */
    expect_ids(t, "bbca", 0, e4, 3);
    /* special-token text is ordinary text by default for tiktoken (encode_ordinary) ... */
    static const uint32_t e5[] = {'a', '<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|', '>'};
    expect_ids(t, "a<|endoftext|>", 0, e5, 14);
    /* ... and the special token with MATCH_SPECIAL (allowed_special="all") */
    static const uint32_t e6[] = {'a', 50256};
    expect_ids(t, "a<|endoftext|>", LLMD_TOK_MATCH_SPECIAL, e6, 2);
    char *dec;
    size_t dl;
    ck_ok(llmd_tokenizer_decode(t, e6, 2, 0, &dec, &dl));
    ck_assert_str_eq(dec, "a<|endoftext|>");
    llmd_free(dec);
    ck_ok(llmd_tokenizer_decode(t, e6, 2, LLMD_TOK_SKIP_SPECIAL, &dec, &dl));
    ck_assert_str_eq(dec, "a");
    llmd_free(dec);
    llmd_tokenizer_free(t);
    /* a rank file without every single byte cannot encode everything: refused */
    const char *partial = "YQ== 0\nYg== 1\n";
    ck_fails(llmd_tokenizer_from_tiktoken(&t, partial, strlen(partial), "gpt2"), LLMD_ERR_PARSE, "single-byte");
    free(ranks);
}
END_TEST

/* ---- hostile files (issue 9 items 6-8) ------------------------------------------------------------- */
/* A small BPE file: vocab a..z and ' ' (ids 0..26 unless given), no pre-tokenizer. */
static llmd_status small_json(llmd_tokenizer **t, const char *vocab, const char *normalizer, const char *added) {
    char js[2048];
    snprintf(js, sizeof js,
             "{\"version\": \"1.0\", \"added_tokens\": %s, \"normalizer\": %s, \"pre_tokenizer\": null, "
             "\"post_processor\": null, \"decoder\": null, \"model\": {\"type\": \"BPE\", \"vocab\": %s, "
             "\"merges\": []}}",
             added ? added : "[]", normalizer ? normalizer : "null", vocab);
    return llmd_tokenizer_from_json(t, js, strlen(js), NULL);
}

/* Empty vocabulary: Hugging Face (npm tokenizers 0.23) encodes "hello world" to no ids; the
 * piece cache used to memcpy from NULL (UBSan, run under the sanitizer build). */
START_TEST(test_empty_vocabulary) {
    llmd_tokenizer *t;
    ck_ok(small_json(&t, "{}", NULL, NULL));
    for (int k = 0; k < 2; k++) {   /* the second time through the piece cache */
        uint32_t *ids;
        size_t n;
        ck_ok(llmd_tokenizer_encode(t, "hello world", 11, 0, &ids, &n, NULL));
        ck_assert_uint_eq(n, 0);
        llmd_free(ids);
    }
    ck_assert_uint_eq(llmd_tokenizer_vocab_size(t), 0);
    llmd_tokenizer_free(t);
}
END_TEST

/* Files that used to load and give wrong ids.  Hugging Face (npm tokenizers 0.23) refuses a raw
 * control character in a string, added_tokens as an object and trailing data; it accepts \u0000
 * in a token, which cJSON would cut: refused here by name. */
START_TEST(test_hostile_json) {
    llmd_tokenizer *t = NULL;
    const char *added_nul = "[{\"id\": 30, \"content\": \"<|end\\u0000oftext|>\", \"special\": true}]";
    ck_fails(small_json(&t, "{\"a\": 0}", NULL, added_nul), LLMD_ERR_UNSUPPORTED, "\\u0000");
    ck_fails(small_json(&t, "{\"a\": 0, \"a\\u0000b\": 1}", NULL, NULL), LLMD_ERR_UNSUPPORTED, "NUL");
    /* an escaped backslash followed by u0000 is plain text, not a NUL */
    ck_ok(small_json(&t, "{\"a\": 0, \"\\\\u0000\": 1}", NULL, NULL));
    uint32_t id;
    ck_ok(llmd_tokenizer_token_to_id(t, "\\u0000", 6, &id));
    ck_assert_uint_eq(id, 1);
    llmd_tokenizer_free(t);
    const char *added_obj = "{\"30\": {\"id\": 30, \"content\": \"<|endoftext|>\", \"special\": true}}";
    ck_fails(small_json(&t, "{\"a\": 0}", NULL, added_obj), LLMD_ERR_PARSE, "added_tokens");
    const char *raw_ctl = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\x01\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, raw_ctl, strlen(raw_ctl), NULL), LLMD_ERR_PARSE, "control character 0x01");
    const char *raw_nul = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\0b\": 0}, \"merges\": []}}";
    ck_fails(llmd_tokenizer_from_json(&t, raw_nul, 52, NULL), LLMD_ERR_PARSE, "0x00 inside a string at byte offset 38");
    const char *trail = "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": []}} x";
    ck_fails(llmd_tokenizer_from_json(&t, trail, strlen(trail), NULL), LLMD_ERR_PARSE, "after the JSON value");
    ck_assert(t == NULL);
}
END_TEST

/* tiktoken refuses a rank given twice (CoreBPE: "Encoder and decoder must be of equal length"). */
START_TEST(test_tiktoken_duplicate_rank) {
    char *ranks = malloc(256 * 16 + 64);
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        char e[8];
        b64(&c, 1, e);
        at += (size_t)sprintf(ranks + at, "%s %d\n", e, b);
    }
    at += (size_t)sprintf(ranks + at, "YWI= 256\nYmM= 97\n");   /* "bc" takes "a"'s rank */
    llmd_tokenizer *t = NULL;
    ck_fails(llmd_tokenizer_from_tiktoken(&t, ranks, at, "gpt2"), LLMD_ERR_PARSE, "line 258: rank 97 is already the rank of line 98");
    ck_assert(t == NULL);
    /* a rank that is a special token's id (gpt2: <|endoftext|> = 50256) would decode ambiguously */
    at -= strlen("YmM= 97\n");
    at += (size_t)sprintf(ranks + at, "YmM= 50256\n");
    ck_fails(llmd_tokenizer_from_tiktoken(&t, ranks, at, "gpt2"), LLMD_ERR_PARSE, "rank 50256 is the id of the special token <|endoftext|>");
    at -= strlen("YmM= 50256\n");
    at += (size_t)sprintf(ranks + at, "YmM= 257\n");
    ck_ok(llmd_tokenizer_from_tiktoken(&t, ranks, at, "gpt2"));
    llmd_tokenizer_free(t);
    free(ranks);
}
END_TEST

/* Peak single allocation, through the allocator hooks. */
static size_t biggest_alloc;
static void *count_malloc(void *ctx, size_t n) {
    (void)ctx;
    if (n > biggest_alloc) biggest_alloc = n;
    return malloc(n);
}
static void *count_realloc(void *ctx, void *p, size_t old, size_t n) {
    (void)ctx;
    (void)old;
    if (n > biggest_alloc) biggest_alloc = n;
    return realloc(p, n);
}
static void count_free(void *ctx, void *p) {
    (void)ctx;
    free(p);
}

/* Sparse ids: one id of 2^28 - 1 used to size every id table by it (3.6 GB).  Ids and decoding as
 * Hugging Face gives them (npm tokenizers 0.23): "ab ba<|x|>" -> [0, 268435455, 7, 268435455, 0, 3]
 * (an added token not in the vocabulary takes the next id after the model's 3 tokens, whatever
 * id the file gives it); decode "a b   b a <|x|>", with skip_special_tokens "a b   b a". */
START_TEST(test_sparse_ids) {
    llmd_allocator al = {LLMD_ALLOCATOR_VERSION, count_malloc, count_realloc, count_free, NULL};
    ck_ok(llmd_set_allocator(&al));
    biggest_alloc = 0;
    llmd_tokenizer *t;
    const char *added = "[{\"id\": 200000000, \"content\": \"<|x|>\", \"special\": true}]";
    ck_ok(small_json(&t, "{\"a\": 0, \"b\": 268435455, \" \": 7}", NULL, added));
    ck_assert_msg(biggest_alloc < (1u << 20), "an allocation of %zu bytes for 4 tokens", biggest_alloc);
    ck_assert_uint_eq(llmd_tokenizer_vocab_size(t), 268435456u);
    static const uint32_t e[] = {0, 268435455, 7, 268435455, 0, 3};
    expect_ids(t, "ab ba<|x|>", 0, e, 6);
    char *txt;
    size_t tl;
    ck_ok(llmd_tokenizer_decode(t, e, 6, 0, &txt, &tl));
    ck_assert_str_eq(txt, "a b   b a <|x|>");
    llmd_free(txt);
    ck_ok(llmd_tokenizer_decode(t, e, 6, LLMD_TOK_SKIP_SPECIAL, &txt, &tl));
    ck_assert_str_eq(txt, "a b   b a");
    llmd_free(txt);
    ck_assert(llmd_tokenizer_is_special(t, 3));
    ck_assert(!llmd_tokenizer_is_special(t, 268435455));
    ck_assert(!llmd_tokenizer_is_special(t, 5));
    ck_assert(!llmd_tokenizer_is_special(t, 4000000000u));
    const char *tok;
    size_t len;
    ck_ok(llmd_tokenizer_id_to_token(t, 268435455, &tok, &len));
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(tok[0], 'b');
    ck_fails(llmd_tokenizer_id_to_token(t, 5, &tok, &len), LLMD_ERR_RANGE, "id 5");
    uint32_t bad[] = {0, 12345};
    ck_fails(llmd_tokenizer_decode(t, bad, 2, 0, &txt, &tl), LLMD_ERR_RANGE, "id 12345 at index 1");
    llmd_tokenizer_free(t);
    ck_ok(llmd_set_allocator(NULL));
}
END_TEST

/* A Replace normalizer expanding "a" to 100 000 characters used to take 9.5 GB on a 100 KB
 * document: bounded by 16x + 4096 bytes per text, with a clear error. */
START_TEST(test_normalizer_growth_bounded) {
    size_t big = 100000;
    char *norm = malloc(big + 128);
    int k = sprintf(norm, "{\"type\": \"Replace\", \"pattern\": {\"String\": \"a\"}, \"content\": \"");
    memset(norm + k, 'b', big);
    strcpy(norm + k + big, "\"}");
    char *js = malloc(big + 1024);
    sprintf(js, "{\"normalizer\": %s, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": []}}",
            norm);
    llmd_tokenizer *t;
    ck_ok(llmd_tokenizer_from_json(&t, js, strlen(js), NULL));
    uint32_t *ids;
    size_t n;
    /* the same expansion as a Replace decoder: decode refuses instead of growing without bound */
    {
        char *jd = malloc(big + 1024);
        sprintf(jd, "{\"decoder\": %s, \"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": []}}",
                norm);
        llmd_tokenizer *td;
        ck_ok(llmd_tokenizer_from_json(&td, jd, strlen(jd), NULL));
        uint32_t many[1000] = {0};
        char *txt;
        size_t tl;
        ck_fails(llmd_tokenizer_decode(td, many, 1000, 0, &txt, &tl), LLMD_ERR_RANGE, "Replace decoder");
        uint32_t bs[3] = {1, 1, 1};   /* no "a": unchanged */
        ck_ok(llmd_tokenizer_decode(td, bs, 3, 0, &txt, &tl));
        ck_assert_str_eq(txt, "bbb");
        llmd_free(txt);
        llmd_tokenizer_free(td);
        free(jd);
    }
    char *doc = malloc(big);
    memset(doc, 'a', big);
    ck_fails(llmd_tokenizer_encode(t, doc, big, 0, &ids, &n, NULL), LLMD_ERR_RANGE, "normalizer");
    ck_fails(llmd_tokenizer_encode(t, "a", 1, 0, &ids, &n, NULL), LLMD_ERR_RANGE, "longer than 4112 bytes");
    /* text without an "a" is unaffected */
    ck_ok(llmd_tokenizer_encode(t, "bb", 2, 0, &ids, &n, NULL));
    ck_assert_uint_eq(n, 2);
    llmd_free(ids);
    llmd_tokenizer_free(t);
    free(doc);
    free(norm);
    free(js);
    /* ordinary growth passes: "a" -> "bb" doubles the text (Hugging Face: "ab ba" -> b b b ' ' b b b) */
    ck_ok(small_json(&t, "{\"a\": 0, \"b\": 1, \" \": 2}",
                     "{\"type\": \"Replace\", \"pattern\": {\"String\": \"a\"}, \"content\": \"bb\"}", NULL));
    static const uint32_t e[] = {1, 1, 1, 2, 1, 1, 1};
    expect_ids(t, "ab ba", 0, e, 7);
    llmd_tokenizer_free(t);
}
END_TEST

/* ---- hand-written splitters == PCRE2 on the same pattern ----------------------------------------- */
static const char QWEN_PATTERN[] = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
                                   "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

static int same_matches(llmd_tok_regex *f, llmd_tok_regex *p, const char *s, size_t len, char *why, size_t wl) {
    llmd_tok_regex_state a = {0}, b = {0};
    size_t pa = 0, la = SIZE_MAX, pb = 0, lb = SIZE_MAX, s1 = 0, e1 = 0, s2 = 0, e2 = 0;
    int ok = 1;
    for (;;) {
        int r1 = llmd_tok_regex_next(f, &a, s, len, &pa, &la, &s1, &e1);
        int r2 = llmd_tok_regex_next(p, &b, s, len, &pb, &lb, &s2, &e2);
        if (r1 != r2 || (r1 == 1 && (s1 != s2 || e1 != e2))) {
            snprintf(why, wl, "fast [%zu,%zu) vs pcre2 [%zu,%zu) in \"%.*s\"", s1, e1, s2, e2, (int)(len > 80 ? 80 : len), s);
            ok = 0;
            break;
        }
        if (r1 != 1) break;
    }
    llmd_tok_regex_state_free(&a);
    llmd_tok_regex_state_free(&b);
    return ok;
}

START_TEST(test_fast_splitters_match_pcre2) {
    const char *pats[] = {llmd_tok_tiktoken_pattern("gpt2"), llmd_tok_tiktoken_pattern("cl100k"),
                          llmd_tok_tiktoken_pattern("o200k"), QWEN_PATTERN};
    llmd_tok_regex *F[4], *P[4];
    for (int k = 0; k < 4; k++) {
        ck_ok(llmd_tok_regex_new(&F[k], pats[k], strlen(pats[k]), 0));
        ck_ok(llmd_tok_regex_new(&P[k], pats[k], strlen(pats[k]), 1));
        ck_assert_msg(llmd_tok_regex_fast_name(F[k]) != NULL, "pattern %d has no hand-written splitter", k);
        ck_assert(llmd_tok_regex_fast_name(P[k]) == NULL);
    }
    char why[256];
    /* the edge set (every script, space and digit kind of make_edge_set.py) */
    size_t len;
    char *data = read_all(path_in_src("tests/tokenizer/edge_cases.jsonl"), &len);
    for (char *line = strtok(data, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *c = cJSON_Parse(line);
        const char *t = cJSON_GetObjectItem(c, "text")->valuestring;
        for (int k = 0; k < 4; k++) ck_assert_msg(same_matches(F[k], P[k], t, strlen(t), why, sizeof why), "%d: %s", k, why);
        cJSON_Delete(c);
    }
    free(data);
    /* random strings over characters that stress every alternative: contractions in all cases,
     * long s (folds to s), white space of every kind incl. U+180E (not White_Space), marks,
     * digits of other scripts, Lt/Lm letters, CJK, Thai, emoji, CR/LF */
    static const char *const alphabet[] = {
        "a", "b", "Z", "Q", "s", "S", "t", "T", "r", "e", "v", "m", "l", "L", "d", "D", "'", "'", "0", "7", "9",
        " ", " ", " ", "  ", "\t", "\n", "\r", "\r\n", ".", ",", "!", "/", "-", "_", "\xC2\xA0", "\xE1\xA0\x8E",
        "\xE3\x80\x80", "\xE2\x80\x83", "\xC5\xBF", "\xC3\xA9", "\xCC\x81", "\xE4\xB8\xAD", "\xE0\xB8\x81", "\xD8\xB9",
        "\xE0\xA4\x95", "\xE0\xA5\x8D", "\xF0\x9F\x98\x80", "\xE2\x80\x8D", "\xD9\xA3", "\xE2\x85\xA0", "\xC7\x85",
        "\xCA\xB0", "\xC2\xB2", "\xEF\xBC\xA1", "\xE2\x80\xA8", "\xC2\x85", "\x0b", "\x0c", "\xD0\x96", "\xD0\xB6",
        "\xC3\x9F", "'S", "'LL", "'Re", "'vE"};
    size_t na = sizeof alphabet / sizeof *alphabet;
    uint64_t x = 12345;
    char buf[512];
    for (int it = 0; it < 100000; it++) {
        size_t n = 0;
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int parts = 1 + (int)((x >> 33) % 16);
        for (int i = 0; i < parts; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            const char *p = alphabet[(x >> 33) % na];
            size_t pl = strlen(p);
            memcpy(buf + n, p, pl);
            n += pl;
        }
        for (int k = 0; k < 4; k++) ck_assert_msg(same_matches(F[k], P[k], buf, n, why, sizeof why), "%d: %s", k, why);
    }
    for (int k = 0; k < 4; k++) {
        llmd_tok_regex_free(F[k]);
        llmd_tok_regex_free(P[k]);
    }
}
END_TEST

/* Oniguruma meanings kept on PCRE2: \s is White_Space (U+180E is not; U+3000 is), \h a hex digit,
 * empty matches step one character after the previous match (rust-onig find_iter). */
START_TEST(test_regex_onig_semantics) {
    llmd_tok_regex *re;
    llmd_tok_regex_state st = {0};
    size_t pos = 0, last = SIZE_MAX, a, b;
    ck_ok(llmd_tok_regex_new(&re, "\\s+", 3, 1));
    const char *t = "x\xE1\xA0\x8Ey\xE3\x80\x80z";
    ck_assert_int_eq(llmd_tok_regex_next(re, &st, t, strlen(t), &pos, &last, &a, &b), 1);
    ck_assert(a == 5 && b == 8); /* only U+3000 */
    ck_assert_int_eq(llmd_tok_regex_next(re, &st, t, strlen(t), &pos, &last, &a, &b), 0);
    llmd_tok_regex_free(re);
    ck_ok(llmd_tok_regex_new(&re, "[\\h]+", 5, 1));
    pos = 0;
    last = SIZE_MAX;
    ck_assert_int_eq(llmd_tok_regex_next(re, &st, "zz 0fA ", 7, &pos, &last, &a, &b), 1);
    ck_assert(a == 3 && b == 6);
    llmd_tok_regex_free(re);
    /* x* over "ab": empty matches at 0, 1, 2 (Oniguruma/rust-onig find_iter) */
    ck_ok(llmd_tok_regex_new(&re, "x*", 2, 1));
    pos = 0;
    last = SIZE_MAX;
    size_t starts[8], k = 0;
    while (k < 8 && llmd_tok_regex_next(re, &st, "ab", 2, &pos, &last, &a, &b) == 1) {
        ck_assert(a == b);
        starts[k++] = a;
    }
    ck_assert_uint_eq(k, 3);
    ck_assert(starts[0] == 0 && starts[1] == 1 && starts[2] == 2);
    llmd_tok_regex_free(re);
    llmd_tok_regex_state_free(&st);
    ck_fails(llmd_tok_regex_new(&re, "(ab", 3, 1), LLMD_ERR_PARSE, "(ab");
    ck_assert_str_eq(llmd_tok_tiktoken_pattern("cl100k_base"), llmd_tok_tiktoken_pattern("cl100k"));
    ck_assert(llmd_tok_tiktoken_pattern("nope") == NULL);
}
END_TEST

/* ---- added by the test-strength pass (issue 19) ---------------------------------------------- */

/* Equal-rank BPE ties, hand-made vocabulary (no pre-tokenizer, no normalizer): the lowest-rank
 * pair merges first and, among occurrences of the same pair, the LEFTMOST one (as HF tokenizers
 * and tiktoken do).  Expected ids derived by hand below; HF tokenizers 0.23 (npm) gives the same.
 *   merges: "a a"(0) "a b"(1) "aa a"(2) "b a"(3) "b c"(4) "c b"(5)
 *   aaab : a a a b -> [aa] a b (leftmost a a) -> aa [ab] -> [2, 3]   (rightmost first: a aa b = [0,2,1])
 *   aaaaa: [aa] a a a -> aa [aa] a -> aa [aaa] -> [2, 4]
 *   aaaa : [aa] a a -> aa [aa] -> [2, 2]
 *   baaa : b [aa] a -> (b aa: no merge) b [aaa] -> [1, 4]
 *   bcb  : b c (rank 4) before c b (rank 5) -> [bc] b -> [7, 1]
 *   cbc  : c [bc] (rank 4 wins over c b rank 5 although it is right of it) -> [6, 7]
 *   bcbcb: [bc] b c b -> bc [bc] b -> [7, 7, 1] */
static const char TIE_JSON[] =
    "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,\"added_tokens\":[],\"normalizer\":null,"
    "\"pre_tokenizer\":null,\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"BPE\",\"dropout\":null,"
    "\"unk_token\":null,\"continuing_subword_prefix\":null,\"end_of_word_suffix\":null,\"fuse_unk\":false,"
    "\"byte_fallback\":false,\"ignore_merges\":false,\"vocab\":{\"a\":0,\"b\":1,\"aa\":2,\"ab\":3,\"aaa\":4,"
    "\"ba\":5,\"c\":6,\"bc\":7,\"cb\":8},\"merges\":[\"a a\",\"a b\",\"aa a\",\"b a\",\"b c\",\"c b\"]}}";

START_TEST(test_bpe_equal_rank_ties) {
    llmd_tokenizer *t;
    ck_ok(llmd_tokenizer_from_json(&t, TIE_JSON, strlen(TIE_JSON), NULL));
    static const uint32_t aaa[] = {4}, aaab[] = {2, 3}, a5[] = {2, 4}, a4[] = {2, 2}, baaa[] = {1, 4},
                          bcb[] = {7, 1}, cbc[] = {6, 7}, bcbcb[] = {7, 7, 1}, abab[] = {3, 3};
    expect_ids(t, "aaa", 0, aaa, 1);
    expect_ids(t, "aaab", 0, aaab, 2);
    expect_ids(t, "aaaaa", 0, a5, 2);
    expect_ids(t, "aaaa", 0, a4, 2);
    expect_ids(t, "baaa", 0, baaa, 2);
    expect_ids(t, "bcb", 0, bcb, 2);
    expect_ids(t, "cbc", 0, cbc, 2);
    expect_ids(t, "bcbcb", 0, bcbcb, 3);
    expect_ids(t, "abab", 0, abab, 2);
    llmd_tokenizer_free(t);
    /* tiktoken, the same leftmost rule on ranks (only "aa" = 256 above the bytes):
     * aaa -> [aa] a;  aaaaa -> [aa] a a a -> aa [aa] a;  aaab -> [aa] a b */
    char *ranks = malloc(256 * 16 + 64);
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        char e[8];
        b64(&c, 1, e);
        at += (size_t)sprintf(ranks + at, "%s %d\n", e, b);
    }
    at += (size_t)sprintf(ranks + at, "YWE= 256\n");  /* "aa" */
    ck_ok(llmd_tokenizer_from_tiktoken(&t, ranks, at, "gpt2"));
    static const uint32_t k3[] = {256, 'a'}, k5[] = {256, 256, 'a'}, kb[] = {256, 'a', 'b'};
    expect_ids(t, "aaa", 0, k3, 2);
    expect_ids(t, "aaaaa", 0, k5, 3);
    expect_ids(t, "aaab", 0, kb, 3);
    llmd_tokenizer_free(t);
    free(ranks);
}
END_TEST

/* The vocabulary map from 16 slots up (expected = 0), past many growths of slots, entries and
 * key arena, against the plain list of what was put: every key found with its last value,
 * overwrites reported, absent keys absent. */
START_TEST(test_strmap_growth) {
    llmd_tok_strmap m;
    ck_ok(llmd_tok_strmap_init(&m, 0));
    enum { N = 40000 };
    char key[64];
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "token-%d-%s", i, i % 7 ? "x" : "a longer key to fill the arena");
        bool existed = true;
        ck_ok(llmd_tok_strmap_put(&m, key, (size_t)n, (uint32_t)i, &existed));
        ck_assert(!existed);
    }
    for (int i = 0; i < N; i += 3) {   /* overwrite a third */
        int n = snprintf(key, sizeof key, "token-%d-%s", i, i % 7 ? "x" : "a longer key to fill the arena");
        bool existed = false;
        ck_ok(llmd_tok_strmap_put(&m, key, (size_t)n, (uint32_t)(i + N), &existed));
        ck_assert(existed);
    }
    ck_assert_uint_eq(m.n, N);
    ck_assert_uint_ge(m.mask + 1, 2 * (size_t)N);   /* load stays at most one half */
    for (int i = 0; i < N; i++) {
        int n = snprintf(key, sizeof key, "token-%d-%s", i, i % 7 ? "x" : "a longer key to fill the arena");
        uint32_t v = 0;
        ck_assert_msg(llmd_tok_strmap_get(&m, key, (size_t)n, &v), "key %d lost", i);
        ck_assert_uint_eq(v, (uint32_t)(i % 3 ? i : i + N));
        n = snprintf(key, sizeof key, "absent-%d", i);
        ck_assert(!llmd_tok_strmap_get(&m, key, (size_t)n, &v));
    }
    /* the empty key and keys with NUL bytes are ordinary keys */
    ck_ok(llmd_tok_strmap_put(&m, "", 0, 7, NULL));
    ck_ok(llmd_tok_strmap_put(&m, "a\0b", 3, 8, NULL));
    uint32_t v;
    ck_assert(llmd_tok_strmap_get(&m, "", 0, &v) && v == 7);
    ck_assert(llmd_tok_strmap_get(&m, "a\0b", 3, &v) && v == 8);
    ck_assert(!llmd_tok_strmap_get(&m, "a\0c", 3, &v));
    llmd_tok_strmap_free(&m);
}
END_TEST

/* Decoding bytes that are not UTF-8: one U+FFFD per maximal invalid subpart (Unicode 15 §3.9,
 * "U+FFFD Substitution of Maximal Subparts", what Rust's from_utf8_lossy and TextDecoder do;
 * Python's bytes.decode("utf-8", "replace") gives the same expectations below).  Through the
 * tiktoken path (ids are bytes) and the ByteLevel decoder of the bundled GPT-2 file. */
#define FFFD "\xEF\xBF\xBD"
static const struct { const char *bytes; const char *want; } INVALID_UTF8[] = {
    {"\xE2\x82" "a", FFFD "a"},                        /* truncated 3-byte sequence: one subpart */
    {"\xF0\x80\x80", FFFD FFFD FFFD},                  /* F0 80: overlong lead, each byte alone */
    {"\xC0\xAF", FFFD FFFD},                           /* C0 never valid */
    {"\xED\xA0\x80", FFFD FFFD FFFD},                  /* surrogate */
    {"\xF4\x90\x80\x80", FFFD FFFD FFFD FFFD},         /* above U+10FFFF */
    {"x\xF1\x80\x80", "x" FFFD},                       /* truncated 4-byte at the end */
    {"a\xFF" "b", "a" FFFD "b"},
    {"\xE2\x82\xAC", "\xE2\x82\xAC"},                  /* valid: unchanged */
    {"\xE2(\xA1", FFFD "(" FFFD},
    {"\xDF", FFFD},
    {"\xF0\x9F\x98" "\xF0\x9F\x98\x80", FFFD "\xF0\x9F\x98\x80"},
};

/* GPT-2's bytes_to_unicode (openai/gpt-2 encoder.py): printable Latin-1 bytes map to themselves,
 * the others to U+0100 + n in byte order.  Writes the UTF-8 of byte b's character. */
static size_t gpt2_byte_char(uint8_t b, char out[4]) {
    uint32_t cp;
    if ((b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174)) cp = b;
    else {
        uint32_t n = 0;
        for (uint32_t x = 0; x < b; x++)
            if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174)) n++;
        cp = 256 + n;
    }
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    out[0] = (char)(0xC0 | cp >> 6);
    out[1] = (char)(0x80 | (cp & 63));
    return 2;
}

START_TEST(test_decode_invalid_utf8) {
    char *ranks = malloc(256 * 16 + 64);
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        char e[8];
        b64(&c, 1, e);
        at += (size_t)sprintf(ranks + at, "%s %d\n", e, b);
    }
    llmd_tokenizer *tk, *g2 = load("examples/data/gpt2-tokenizer.json");
    ck_ok(llmd_tokenizer_from_tiktoken(&tk, ranks, at, "gpt2"));
    for (size_t c = 0; c < sizeof INVALID_UTF8 / sizeof INVALID_UTF8[0]; c++) {
        const uint8_t *in = (const uint8_t *)INVALID_UTF8[c].bytes;
        size_t n = strlen(INVALID_UTF8[c].bytes);
        uint32_t ids[16], gids[16];
        for (size_t i = 0; i < n; i++) {
            ids[i] = in[i];
            char ch[4];
            size_t cl = gpt2_byte_char(in[i], ch);
            ck_ok(llmd_tokenizer_token_to_id(g2, ch, cl, &gids[i]));
        }
        char *dec;
        size_t dl;
        ck_ok(llmd_tokenizer_decode(tk, ids, n, 0, &dec, &dl));
        ck_assert_msg(dl == strlen(INVALID_UTF8[c].want) && memcmp(dec, INVALID_UTF8[c].want, dl) == 0,
                      "tiktoken case %zu: got %zu bytes", c, dl);
        llmd_free(dec);
        ck_ok(llmd_tokenizer_decode(g2, gids, n, 0, &dec, &dl));
        ck_assert_msg(dl == strlen(INVALID_UTF8[c].want) && memcmp(dec, INVALID_UTF8[c].want, dl) == 0,
                      "byte-level case %zu: got %zu bytes", c, dl);
        llmd_free(dec);
    }
    llmd_tokenizer_free(tk);
    llmd_tokenizer_free(g2);
    free(ranks);
}
END_TEST

/* Decoders that leave only empty tokens (Strip takes the leading "a" of each token "a") and then
 * run another decoder over them: HF gives "" (found by fuzz_tokenizer: pointer arithmetic on the
 * empty list's NULL buffer). */
START_TEST(test_decode_all_tokens_empty) {
    static const char json[] =
        "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0, \"b\": 1}, \"merges\": []},"
        " \"decoder\": {\"type\": \"Sequence\", \"decoders\": [{\"type\": \"Strip\", \"content\": \"a\","
        " \"start\": 1, \"stop\": 0}, {\"type\": \"ByteLevel\"}, {\"type\": \"Fuse\"}]}}";
    llmd_tokenizer *t;
    ck_ok(llmd_tokenizer_from_json(&t, json, strlen(json), NULL));
    uint32_t ids[] = {0, 0, 0};
    char *dec;
    size_t dl = 99;
    ck_ok(llmd_tokenizer_decode(t, ids, 3, 0, &dec, &dl));
    ck_assert_uint_eq(dl, 0);
    ck_assert_str_eq(dec, "");
    llmd_free(dec);
    llmd_tokenizer_free(t);
}
END_TEST

/* A .tiktoken file loaded by path alone takes its pattern and special tokens from the file name
 * (the base name; "p50k_edit" before "p50k").  Ranks: the 256 bytes, "34" 256, "345" 257.
 * "12345" tells the patterns apart: cl100k/o200k split numbers into runs of at most 3 digits
 * ("123" "45": no merge applies), gpt2/r50k/p50k keep the run whole ("1" "2" "345"). */
static void write_file(const char *path, const char *d, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_msg(f != NULL, "create %s", path);
    ck_assert_uint_eq(fwrite(d, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_tiktoken_pattern_from_name) {
    char *ranks = malloc(256 * 16 + 64);
    size_t at = 0;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        char e[8];
        b64(&c, 1, e);
        at += (size_t)sprintf(ranks + at, "%s %d\n", e, b);
    }
    at += (size_t)sprintf(ranks + at, "MzQ= 256\nMzQ1 257\n");
    char dir[256], sub[300], path[512];
    snprintf(dir, sizeof dir, "/tmp/llmd_test_tok_%ld", (long)getpid());
    snprintf(sub, sizeof sub, "%s/o200k_dir", dir);
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    static const uint32_t split3[] = {'1', '2', '3', '4', '5'}, whole[] = {'1', '2', 257};
    static const struct { const char *file; const uint32_t *ids; size_t n; int64_t eos; int fim; } cases[] = {
        {"cl100k_base.tiktoken", split3, 5, 100257, 1},
        {"my-o200k_base.tiktoken", split3, 5, 199999, 0},
        {"r50k_base.tiktoken", whole, 3, 50256, 0},
        {"gpt2.tiktoken", whole, 3, 50256, 0},
        {"p50k_base.tiktoken", whole, 3, 50256, 0},
        {"p50k_edit.tiktoken", whole, 3, 50256, 1},
        {"o200k_dir/r50k_base.tiktoken", whole, 3, 50256, 0},   /* the directory name does not count */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        snprintf(path, sizeof path, "%s/%s", dir, cases[c].file);
        write_file(path, ranks, at);
        llmd_tokenizer *t;
        ck_ok(llmd_tokenizer_load(&t, path, NULL));
        expect_ids(t, "12345", 0, cases[c].ids, cases[c].n);
        ck_assert_msg(llmd_tokenizer_eos_id(t) == cases[c].eos, "%s: eos %lld", cases[c].file,
                      (long long)llmd_tokenizer_eos_id(t));
        uint32_t id;
        llmd_status st = llmd_tokenizer_token_to_id(t, "<|fim_prefix|>", 14, &id);
        ck_assert_msg((st == LLMD_OK) == cases[c].fim, "%s: <|fim_prefix|> %s", cases[c].file, llmd_status_str(st));
        if (cases[c].fim) ck_assert_uint_eq(id, cases[c].eos == 100257 ? 100258 : 50281);
        llmd_tokenizer_free(t);
        unlink(path);
    }
    /* no encoding in the name: refused, saying what is needed */
    snprintf(path, sizeof path, "%s/cl100k_dir_mystery.tiktoken", sub);
    write_file(path, ranks, at);
    llmd_tokenizer *t = NULL;
    ck_ok(llmd_tokenizer_load(&t, path, NULL));   /* "cl100k" is in the base name: found */
    llmd_tokenizer_free(t);
    unlink(path);
    snprintf(path, sizeof path, "%s/mystery.tiktoken", sub);
    write_file(path, ranks, at);
    ck_fails(llmd_tokenizer_load(&t, path, NULL), LLMD_ERR_INVALID_ARG, "pattern name");
    ck_assert_ptr_null(t);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    free(ranks);
}
END_TEST

int main(void) {
    Suite *s = suite_create("tokenizer");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_hf_component_cases);
    tcase_add_test(tc, test_gpt2_known_ids);
    tcase_add_test(tc, test_roundtrip_and_offsets);
    tcase_add_test(tc, test_bad_inputs);
    tcase_add_test(tc, test_long_piece);
    tcase_add_test(tc, test_batch_and_threads);
    tcase_add_test(tc, test_tiktoken_small);
    tcase_add_test(tc, test_fast_splitters_match_pcre2);
    tcase_add_test(tc, test_regex_onig_semantics);
    tcase_add_test(tc, test_empty_vocabulary);
    tcase_add_test(tc, test_hostile_json);
    tcase_add_test(tc, test_tiktoken_duplicate_rank);
    tcase_add_test(tc, test_sparse_ids);
    tcase_add_test(tc, test_normalizer_growth_bounded);
    tcase_add_test(tc, test_bpe_equal_rank_ties);
    tcase_add_test(tc, test_strmap_growth);
    tcase_add_test(tc, test_decode_invalid_utf8);
    tcase_add_test(tc, test_decode_all_tokens_empty);
    tcase_add_test(tc, test_tiktoken_pattern_from_name);
    suite_add_tcase(s, tc);
    return run_suite(s);
}
