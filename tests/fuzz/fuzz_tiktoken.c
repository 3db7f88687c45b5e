/* libFuzzer harness for tiktoken rank files (outside input: `.tiktoken` files and any text).
 * Build line in tests/fuzz/README.md.
 *
 * Input: one option byte, then a rank file (the bytes before the first 0xFF byte), then a text to
 * encode (the rest).  Option byte: bits 0-2 choose the split pattern (gpt2, r50k, p50k, p50k_edit,
 * cl100k, o200k); bit 3 prepends the 256 single-byte tokens (ranks 0..255) so that most inputs
 * get past the "every byte is a token" check and reach the merge and decode paths.
 *
 * Invariants (abort on violation):
 *  1. llmd_tokenizer_from_tiktoken returns OK, or an error with a non-empty message; never
 *     crashes (bad base64, huge or repeated ranks, repeated tokens, CRLF, empty lines).
 *  2. A loaded tokenizer encodes valid UTF-8 text: every id is below vocab_size and names a token;
 *     decoding the ids gives the text back byte for byte (tiktoken ranks are raw bytes); the batch
 *     API on two threads gives the same ids.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llmdata/tokenizer.h"

static void check(int ok) {
    if (!ok) abort();
}

static const char *const PATTERNS[] = {"gpt2", "r50k", "p50k", "p50k_edit", "cl100k", "o200k", "cl100k", "gpt2"};

static size_t b64(const uint8_t *in, size_t n, char *out) {
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < n ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < n ? tab[v & 63] : '=';
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    unsigned opt = data[0];
    data++;
    size--;
    const uint8_t *sep = memchr(data, 0xFF, size);
    size_t flen = sep ? (size_t)(sep - data) : size;
    const char *text = sep ? (const char *)sep + 1 : "Hello world, 12345 <|endoftext|> caf\xC3\xA9";
    size_t tlen = sep ? size - flen - 1 : strlen(text);

    char *file = malloc(256 * 12 + flen + 1);
    if (file == NULL) return 0;
    size_t at = 0;
    if (opt & 8)
        for (int b = 0; b < 256; b++) {
            uint8_t c = (uint8_t)b;
            at += b64(&c, 1, file + at);
            at += (size_t)sprintf(file + at, " %d\n", b);
        }
    memcpy(file + at, data, flen);
    at += flen;

    llmd_tokenizer *t = NULL;
    llmd_status st = llmd_tokenizer_from_tiktoken(&t, file, at, PATTERNS[opt & 7]);
    free(file);
    if (st != LLMD_OK) {
        check(t == NULL && llmd_last_error()[0] != '\0');
        return 0;
    }
    uint64_t vocab = llmd_tokenizer_vocab_size(t);
    for (unsigned flags = 0; flags <= LLMD_TOK_MATCH_SPECIAL; flags += LLMD_TOK_MATCH_SPECIAL) {
        uint32_t *ids;
        size_t n;
        st = llmd_tokenizer_encode(t, text, tlen, flags, &ids, &n, NULL);
        if (st != LLMD_OK) {
            check(st == LLMD_ERR_UTF8 && llmd_last_error()[0] != '\0');
            continue;
        }
        for (size_t i = 0; i < n; i++) {
            const char *tok;
            size_t tl;
            check(ids[i] < vocab);
            check(llmd_tokenizer_id_to_token(t, ids[i], &tok, &tl) == LLMD_OK);
        }
        char *dec;
        size_t dl;
        check(llmd_tokenizer_decode(t, ids, n, 0, &dec, &dl) == LLMD_OK);
        check(dl == tlen && memcmp(dec, text, tlen) == 0);
        llmd_free(dec);
        const char *texts[2] = {text, text};
        size_t lens[2] = {tlen, tlen};
        uint32_t *bids;
        size_t *boffs;
        check(llmd_tokenizer_encode_batch(t, texts, lens, 2, flags, 2, &bids, &boffs) == LLMD_OK);
        check(boffs[1] == n && boffs[2] == 2 * n && (n == 0 || memcmp(bids, ids, n * sizeof *ids) == 0));
        llmd_free(bids);
        llmd_free(boffs);
        llmd_free(ids);
    }
    llmd_tokenizer_free(t);
    return 0;
}
