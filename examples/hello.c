/* A complete program against libllmdata: tokenize documents with a Hugging Face tokenizer.json and
 * find exact and near duplicates among them.
 *
 *   cc -std=c11 examples/hello.c -o hello $(pkg-config --cflags --libs llmdata)
 *   ./hello examples/data/gpt2-tokenizer.json
 */
#include <stdio.h>
#include <string.h>

#include <llmdata.h>

static int fail(const char *what) {
    fprintf(stderr, "%s: %s\n", what, llmd_last_error());   /* names the file and the problem */
    return 1;
}

int main(int argc, char **argv) {
    const char *tokenizer_path = argc > 1 ? argv[1] : "examples/data/gpt2-tokenizer.json";
    const char *docs[] = {
        "The quick brown fox jumps over the lazy dog near the river bank today.",
        "The quick brown fox jumps over the lazy dog near the river bank today.",    /* exact copy */
        "The quick brown fox jumps over the lazy dog near the river bank tonight.",  /* near copy */
        "Completely different text about tokenizers, shards and training windows.",
    };
    const size_t n_docs = sizeof docs / sizeof docs[0];
    if (llmd_version_number() != LLMD_VERSION_NUMBER) {
        fprintf(stderr, "header %s but library %s\n", LLMD_VERSION_STRING, llmd_version());
        return 1;
    }

    /* Tokenize: the same ids as Hugging Face's tokenizer.encode(text). */
    llmd_tokenizer *tok;
    if (llmd_tokenizer_load(&tok, tokenizer_path, NULL) != LLMD_OK) return fail("loading the tokenizer");
    uint32_t *ids;
    size_t n_ids;
    if (llmd_tokenizer_encode(tok, docs[0], strlen(docs[0]), LLMD_TOK_ADD_SPECIAL, &ids, &n_ids, NULL) != LLMD_OK)
        return fail("encoding");
    printf("doc 0: %zu tokens, first ids %u %u %u\n", n_ids, ids[0], ids[1], ids[2]);
    llmd_free(ids);
    llmd_tokenizer_free(tok);                  /* a tokenizer may be shared by any number of threads */

    /* Exact duplicates: 16-byte content hashes. */
    uint8_t hash[4][16];
    for (size_t i = 0; i < n_docs; i++)
        if (llmd_exact_hash(docs[i], strlen(docs[i]), LLMD_EXACT_RAW, hash[i]) != LLMD_OK) return fail("hashing");
    for (size_t i = 1; i < n_docs; i++)
        for (size_t j = 0; j < i; j++)
            if (memcmp(hash[i], hash[j], 16) == 0) printf("doc %zu is an exact copy of doc %zu\n", i, j);

    /* Near duplicates: MinHash signatures (128 permutations of word 5-grams, datasketch's scheme). */
    llmd_minhasher *mh;
    if (llmd_minhasher_new(&mh, NULL) != LLMD_OK) return fail("creating the hasher");
    uint32_t sig[4][128];
    for (size_t i = 0; i < n_docs; i++)
        if (llmd_minhash(mh, docs[i], strlen(docs[i]), sig[i], NULL) != LLMD_OK) return fail("MinHash");
    for (size_t i = 1; i < n_docs; i++) {
        double j = llmd_minhash_jaccard(sig[0], sig[i], 128);
        printf("doc 0 ~ doc %zu: estimated Jaccard %.2f%s\n", i, j, j >= 0.5 ? " (near duplicate)" : "");
    }
    llmd_minhasher_free(mh);
    return 0;
}
