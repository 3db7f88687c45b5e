/* Tokenizer adapter of the pipeline: "bytes" (UTF-8 bytes as ids) or a tokenizer file through the
 * tokenizer module's public API. */
#include <stdio.h>
#include <string.h>

#include "llmdata/tokenizer.h"
#include "pipeline_internal.h"

static void hex16(const uint8_t h[16], char out[33]) {
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hx[h[i] >> 4];
        out[2 * i + 1] = hx[h[i] & 15];
    }
    out[32] = 0;
}

llmd_status llmd_pl_tok_open(llmd_pl_tok *t, const char *spec) {
    memset(t, 0, sizeof *t);
    t->eos = -1;
    if (spec == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline: setting 'tokenizer' is required");
    t->name = llmd_strdup(spec);
    if (t->name == NULL) return llmd_fail_nomem("tokenizer name");
    if (strcmp(spec, "bytes") == 0) {
        t->kind = TOK_BYTES;
        t->vocab = 257;
        t->eos = 256;
        snprintf(t->hash, sizeof t->hash, "bytes");
        return LLMD_OK;
    }
    char *data;
    size_t len;
    llmd_status st = llmd_read_file(spec, &data, &len);
    if (st != LLMD_OK) return llmd_error_prefix("tokenizer");
    uint8_t h[16];
    llmd_hash128(data, len, 0, h);
    hex16(h, t->hash);
    llmd_free(data);
    llmd_tokenizer *tok;
    if ((st = llmd_tokenizer_load(&tok, spec, NULL)) != LLMD_OK) return st;
    t->kind = TOK_FILE;
    t->impl = tok;
    t->vocab = llmd_tokenizer_vocab_size(tok);
    t->eos = llmd_tokenizer_eos_id(tok);
    return LLMD_OK;
}

void llmd_pl_tok_close(llmd_pl_tok *t) {
    if (t->kind == TOK_FILE) llmd_tokenizer_free(t->impl);
    llmd_free(t->name);
    memset(t, 0, sizeof *t);
}

static llmd_status grow(uint32_t **ids, size_t *cap, size_t need) {
    if (need <= *cap) return LLMD_OK;
    size_t nc = *cap ? *cap : 1 << 16;
    while (nc < need) nc *= 2;
    uint32_t *n = llmd_realloc(*ids, *cap * sizeof **ids, nc * sizeof **ids);
    if (n == NULL) return llmd_fail_nomem("token ids");
    *ids = n;
    *cap = nc;
    return LLMD_OK;
}

llmd_status llmd_pl_tok_encode(llmd_pl_tok *t, const char *const *texts, const size_t *lens, size_t n,
                               unsigned threads, uint32_t **ids, size_t *cap, size_t *offsets) {
    if (t->kind == TOK_FILE) {
        uint32_t *out;
        size_t *offs;
        llmd_status st = llmd_tokenizer_encode_batch(t->impl, texts, lens, n, 0, threads, &out, &offs);
        if (st != LLMD_OK) return st;
        st = grow(ids, cap, offs[n] + 1);
        if (st == LLMD_OK) {
            if (offs[n]) memcpy(*ids, out, offs[n] * sizeof *out);
            memcpy(offsets, offs, (n + 1) * sizeof *offs);
        }
        llmd_free(out);
        llmd_free(offs);
        return st;
    }
    size_t total = 0;
    for (size_t i = 0; i < n; i++) total += lens[i];
    llmd_status st = grow(ids, cap, total + 1);
    if (st != LLMD_OK) return st;
    offsets[0] = 0;
    if (t->kind == TOK_BYTES) {
        uint32_t *o = *ids;
        for (size_t i = 0; i < n; i++) {
            const unsigned char *s = (const unsigned char *)texts[i];
            for (size_t k = 0; k < lens[i]; k++) o[k] = s[k];
            o += lens[i];
            offsets[i + 1] = offsets[i] + lens[i];
        }
        return LLMD_OK;
    }
    return llmd_fail(LLMD_ERR_INTERNAL, "pipeline tokenizer: unknown kind %d", (int)t->kind);
}
