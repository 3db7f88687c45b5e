/* libFuzzer harness for the quality filters and their tokenizers (build line in tests/fuzz/README.md).
 * The first input byte picks the filter list (bits 0-4: c4, badwords, gopher, gopher-repetition,
 * fineweb; bit 5: bad-words language ja instead of en); the rest is the text (any bytes, invalid
 * UTF-8 included).  Checks, beyond "no crash, no sanitizer report":
 *  - llmd_filter_apply succeeds; a kept document's rewritten text is NUL-terminated, no longer than
 *    the input, and a dropped one has no text and a valid rule name;
 *  - punkt sentence spans are ordered, disjoint and inside the text;
 *  - every word token is non-empty and has no ASCII white space;
 *  - there are at least as many word tokens as text.split() words (FineWeb's list-ratio shortcut
 *    rests on it);
 *  - the same input gives the same decision twice (per-thread scratch carries nothing over);
 *  - applying the same filter again to C4's output keeps it unchanged (C4 is idempotent). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "filter/uni.h"
#include "filter/words.h"
#include "llmdata.h"

static llmd_filter *filters[64];

static void die(const char *what) {
    fprintf(stderr, "fuzz_filter: %s (%s)\n", what, llmd_last_error());
    abort();
}

static llmd_filter *get(unsigned sel) {
    if (filters[sel] != NULL) return filters[sel];
    static const char *const names[] = {"c4", "badwords", "gopher", "gopher-repetition", "fineweb"};
    char list[128] = "";
    for (int i = 0; i < 5; i++)
        if (sel & (1u << i)) {
            if (list[0]) strcat(list, ",");
            strcat(list, names[i]);
        }
    llmd_filter_options o = LLMD_FILTER_OPTIONS_INIT;
    o.filters = list;
    o.badwords_default_language = (sel & 32) ? "ja" : "en";
    if (llmd_filter_new(&filters[sel], &o) != LLMD_OK) die("filter_new");
    return filters[sel];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned sel = data[0] & 63;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    llmd_filter *f = get(sel);
    llmd_filter_result r;
    if (llmd_filter_apply(f, text, len, &r, NULL) != LLMD_OK) die("apply");
    if (r.keep) {
        if (r.text != NULL && (r.len > len || r.text[r.len] != '\0')) die("rewritten text");
        if (r.text != NULL && (sel & 1) && sel == 1) {
            llmd_filter_result r2;
            if (llmd_filter_apply(f, r.text, r.len, &r2, NULL) != LLMD_OK) die("apply again");
            if (!r2.keep || r2.text != NULL) die("c4 not idempotent");
        }
    } else if (r.text != NULL || llmd_filter_rule_name(r.reason) == NULL) {
        die("dropped result");
    }
    llmd_filter_result again;
    if (llmd_filter_apply(f, text, len, &again, NULL) != LLMD_OK) die("apply twice");
    if (again.keep != r.keep || again.reason != r.reason || (again.text == NULL) != (r.text == NULL) ||
        (r.text != NULL && (again.len != r.len || memcmp(again.text, r.text, r.len) != 0)))
        die("a second apply decided differently");
    llmd_free(again.text);
    llmd_free(r.text);
    fw_scratch sc = {0};
    fw_spans sp = {0};
    fw_tokens t = {0};
    if (!fw_sentence_spans(&sc, text, len, &sp)) die("spans");
    for (size_t i = 0; i < sp.n; i++)
        if (sp.v[i].start >= sp.v[i].end || sp.v[i].end > len || (i && sp.v[i].start < sp.v[i - 1].end)) die("span order");
    if (!fw_word_tokenize(&sc, text, len, &t)) die("tokenize");
    for (size_t i = 0; i < t.n; i++) {
        if (t.blen[i] == 0) die("empty token");
        for (size_t k = 0; k < t.blen[i]; k++) {
            char c = t.buf.p[t.start[i] + k];
            if (c == ' ' || c == '\n' || c == '\t' || c == '\r') die("white space in a token");
        }
    }
    size_t ws_words = 0;
    bool in_word = false;
    for (size_t i = 0; i < len;) {
        size_t l;
        bool space = uni_isspace_at((const unsigned char *)text + i, len - i, &l);
        ws_words += !space && !in_word;
        in_word = !space;
        i += l;
    }
    if (t.n < ws_words) die("fewer word tokens than text.split() words");
    llmd_free(sp.v);
    fw_tokens_free(&t);
    fw_scratch_free(&sc);
    return 0;
}
