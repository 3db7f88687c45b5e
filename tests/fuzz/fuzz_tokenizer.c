/* libFuzzer harness for the tokenizer module (outside input: tokenizer.json files and any text).
 * Build line in tests/fuzz/README.md.
 *
 * Input: one tokenizer.json (the bytes before the first 0xFF byte) followed by a text to encode
 * (the rest).  Invariants (abort on violation):
 *  1. llmd_tokenizer_from_json returns OK, or an error status with a non-empty message; never
 *     crashes, whatever the JSON holds (wrong types, huge numbers, bad regexes, cycles of ids).
 *  2. A loaded tokenizer encodes the text (valid UTF-8) with and without special tokens and with
 *     offsets; every id is below vocab_size; offsets lie inside the text; the batch API on two
 *     threads gives the same ids; decoding the ids succeeds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmdata/tokenizer.h"

static void check(int ok) {
    if (!ok) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t jlen = sep ? (size_t)(sep - data) : size;
    const char *text = sep ? (const char *)sep + 1 : "Hello world, 12345 <s> caf\xC3\xA9";
    size_t tlen = sep ? size - jlen - 1 : strlen(text);
    llmd_tokenizer *t = NULL;
    llmd_status st = llmd_tokenizer_from_json(&t, (const char *)data, jlen, NULL);
    if (st != LLMD_OK) {
        check(t == NULL && llmd_last_error()[0] != '\0');
        return 0;
    }
    uint64_t vocab = llmd_tokenizer_vocab_size(t);
    for (unsigned flags = 0; flags < 2; flags++) {
        uint32_t *ids;
        size_t n, *offs;
        st = llmd_tokenizer_encode(t, text, tlen, flags, &ids, &n, &offs);
        if (st != LLMD_OK) {
            check(st == LLMD_ERR_UTF8 || st == LLMD_ERR_RANGE);
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            check(ids[i] < vocab);
            check(offs[2 * i] <= offs[2 * i + 1] && offs[2 * i + 1] <= tlen);
        }
        const char *texts[2] = {text, text};
        size_t lens[2] = {tlen, tlen};
        uint32_t *bids;
        size_t *boffs;
        check(llmd_tokenizer_encode_batch(t, texts, lens, 2, flags, 2, &bids, &boffs) == LLMD_OK);
        check(boffs[1] == n && boffs[2] == 2 * n && (n == 0 || memcmp(bids, ids, n * sizeof *ids) == 0));
        char *dec;
        size_t dl;
        check(llmd_tokenizer_decode(t, ids, n, 0, &dec, &dl) == LLMD_OK);
        llmd_free(dec);
        llmd_free(bids);
        llmd_free(boffs);
        llmd_free(ids);
        llmd_free(offs);
    }
    llmd_tokenizer_free(t);
    return 0;
}
