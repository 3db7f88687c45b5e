/* libFuzzer harness for shard and run manifests (lib/common/manifest.c, llmd_shard_verify,
 * llmd_pipeline_verify_output): the files readers check before trusting an output directory.
 *
 * Build and run from the repository root (not built by meson; .ci/run runs it for a bounded time):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *     -Iinclude -Ilib -I/usr/include/cjson tests/fuzz/fuzz_manifest.c lib/common/[a-z]*.c \
 *     lib/pack/[a-z]*.c lib/io/[a-z]*.c \
 *     $(pkg-config --cflags --libs libxxhash libzstd libcjson) -lpthread -o fuzz_manifest
 *   mkdir -p corpus-manifest && ./fuzz_manifest -max_len=4096 -max_total_time=60 corpus-manifest
 * Seeds: any PREFIX.manifest.json or _llmdata_run.json written by llmdata.
 *
 * Invariants (abort on violation):
 *  1. llmd_manifest_parse returns OK or CORRUPT (NOMEM allowed) with a message, never crashes.
 *  2. Every name it accepts is a plain file name (no '/', not "." / ".."), listed once — so a
 *     manifest can never make --overwrite delete a file outside its own directory.
 *  3. A parsed list written back with llmd_file_list_json parses to the same list.
 *  4. llmd_shard_verify on the bytes saved as a manifest returns OK/CORRUPT/NOT_FOUND, never crashes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/internal.h"
#include "llmdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_names(const llmd_file_list *l) {
    for (size_t i = 0; i < l->n; i++) {
        const char *s = l->v[i].name;
        if (s[0] == '\0' || strchr(s, '/') || strcmp(s, ".") == 0 || strcmp(s, "..") == 0) abort();
        for (size_t k = 0; k < i; k++)
            if (strcmp(l->v[k].name, s) == 0) abort();
    }
}

static void round_trip(const llmd_file_list *l) {
    llmd_buf b = LLMD_BUF_INIT;
    if (llmd_buf_puts(&b, "{\"files\":") != LLMD_OK || llmd_file_list_json(&b, l) != LLMD_OK ||
        llmd_buf_putc(&b, '}') != LLMD_OK) {
        llmd_buf_free(&b);
        return;
    }
    llmd_file_list again;
    if (llmd_manifest_parse(b.data, b.len, "round trip", &again, NULL) != LLMD_OK) abort();
    if (again.n != l->n) abort();
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(again.v[i].name, l->v[i].name) != 0 || again.v[i].bytes != l->v[i].bytes ||
            again.v[i].xxh3 != l->v[i].xxh3)
            abort();
    llmd_file_list_free(&again);
    llmd_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    llmd_file_list l;
    char *run_id = NULL;
    llmd_status st = llmd_manifest_parse((const char *)data, size, "fuzz", &l, &run_id);
    if (st == LLMD_OK) {
        check_names(&l);
        round_trip(&l);
        llmd_file_list_free(&l);
        llmd_free(run_id);
    } else if ((st != LLMD_ERR_CORRUPT && st != LLMD_ERR_NOMEM) || llmd_last_error()[0] == '\0' || run_id != NULL) {
        abort();
    }
    static char dir[64];
    if (dir[0] == '\0') {
        snprintf(dir, sizeof dir, "/tmp/fuzz_manifest_XXXXXX");
        if (mkdtemp(dir) == NULL) abort();
    }
    char path[128], prefix[128];
    snprintf(prefix, sizeof prefix, "%s/s", dir);
    snprintf(path, sizeof path, "%s.manifest.json", prefix);
    FILE *f = fopen(path, "wb");
    if (f == NULL) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    st = llmd_shard_verify(prefix, LLMD_SHARD_VERIFY_CHECKSUMS);
    if (st != LLMD_OK && st != LLMD_ERR_CORRUPT && st != LLMD_ERR_NOT_FOUND && st != LLMD_ERR_IO &&
        st != LLMD_ERR_NOMEM)
        abort();
    return 0;
}
