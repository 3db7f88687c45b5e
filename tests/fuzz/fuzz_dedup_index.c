/* libFuzzer harness for the dedup module's outside inputs: LSH index files and document text.
 *
 * Build and run from the repository root (not built by meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *     -Iinclude -Ilib tests/fuzz/fuzz_dedup_index.c lib/dedup/[a-z]*.c lib/common/[a-z]*.c \
 *     $(pkg-config --cflags --libs libutf8proc libxxhash libzstd) -lpthread -o fuzz_dedup_index
 *   mkdir -p corpus-dedup && ./fuzz_dedup_index -max_len=8192 -max_total_time=300 corpus-dedup
 * Seeds: index files written by `llmdata dedup --index` on a few documents.
 *
 * Invariants checked (abort on violation):
 *  1. llmd_lsh_index_load on the bytes (as they are, and with a valid checksum patched in so the
 *     parser behind the checksum is reached) returns OK, CORRUPT or VERSION with a message, never
 *     crashes; an index that loads saves and reloads to the same entry count and signatures.
 *  2. The same bytes as a document: MinHash with the AVX2 and portable paths give identical
 *     signatures; the normalised exact hash equals the raw hash of llmd_fold_text's output.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "llmdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_load(const char *path, const uint8_t *d, size_t n) {
    FILE *f = fopen(path, "wb");
    if (f == NULL) return;
    fwrite(d, 1, n, f);
    fclose(f);
    llmd_lsh_index *x = NULL;
    llmd_status st = llmd_lsh_index_load(&x, path, NULL);
    if (st != LLMD_OK) {
        if (x != NULL || (st != LLMD_ERR_CORRUPT && st != LLMD_ERR_VERSION && st != LLMD_ERR_NOMEM) ||
            llmd_last_error()[0] == '\0')
            abort();
        return;
    }
    char p2[64];
    snprintf(p2, sizeof p2, "%s.2", path);
    if (llmd_lsh_index_save(x, p2) != LLMD_OK) abort();
    llmd_lsh_index *y = NULL;
    if (llmd_lsh_index_load(&y, p2, NULL) != LLMD_OK) abort();
    if (llmd_lsh_index_count(x) != llmd_lsh_index_count(y)) abort();
    uint32_t P = llmd_load_le32(d + 12);
    for (uint64_t e = 0; e < llmd_lsh_index_count(x); e++)
        if (memcmp(llmd_lsh_index_signature(x, e), llmd_lsh_index_signature(y, e), 4 * (size_t)P) != 0) abort();
    llmd_lsh_index_free(x);
    llmd_lsh_index_free(y);
    unlink(p2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_dedup_%ld.idx", (long)getpid());
    check_load(path, data, size);
    if (size >= 16) {
        uint8_t *c = malloc(size);
        memcpy(c, data, size);
        llmd_store_le64(c + size - 8, llmd_hash64(c, size - 8, 0));
        check_load(path, c, size);
        free(c);
    }
    unlink(path);

    static llmd_minhasher *hs, *hp;
    if (hs == NULL) {
        llmd_minhash_options o = LLMD_MINHASH_OPTIONS_INIT;
        o.num_perm = 64;
        o.ngram = 3;
        if (llmd_minhasher_new(&hs, &o) != LLMD_OK) abort();
        o.force_portable = 1;
        if (llmd_minhasher_new(&hp, &o) != LLMD_OK) abort();
    }
    uint32_t a[64], b[64];
    if (llmd_minhash(hs, (const char *)data, size, a, NULL) != LLMD_OK) abort();
    if (llmd_minhash(hp, (const char *)data, size, b, NULL) != LLMD_OK) abort();
    if (memcmp(a, b, sizeof a) != 0) abort();
    uint8_t h1[16], h2[16];
    char *folded;
    size_t fl;
    if (llmd_exact_hash((const char *)data, size, LLMD_EXACT_NORMALIZED, h1) != LLMD_OK) abort();
    if (llmd_fold_text((const char *)data, size, &folded, &fl) != LLMD_OK) abort();
    if (llmd_exact_hash(folded, fl, LLMD_EXACT_RAW, h2) != LLMD_OK) abort();
    if (memcmp(h1, h2, 16) != 0) abort();
    llmd_free(folded);
    return 0;
}
