/* libFuzzer harness for the pipeline's JSON config parser (llmd_pipeline_load_config) and its
 * settings (llmd_pipeline_set).
 *
 * Build and run from the repository root (not built by meson; .ci/run runs it for a bounded time):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_GNU_SOURCE \
 *     -Iinclude -Ilib -I/usr/include/cjson tests/fuzz/fuzz_pipeline_config.c \
 *     lib/pipeline/settings.c lib/pack/packer.c lib/common/[a-z]*.c \
 *     $(pkg-config --cflags --libs libxxhash libzstd libcjson) -lpthread -lm -o fuzz_pipeline_config
 *   mkdir -p corpus-config && cp examples/pipeline.json corpus-config/
 *   ./fuzz_pipeline_config -max_len=4096 -max_total_time=60 corpus-config
 *
 * Invariants (abort on violation): loading returns OK or PARSE / INVALID_ARG / NOT_FOUND / IO /
 * NOMEM with a non-empty message, never crashes or leaks (ASan); a config that loads can be loaded
 * a second time on the same pipeline (later settings override) with the same result.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "llmdata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int allowed(llmd_status st) {
    return st == LLMD_OK || st == LLMD_ERR_PARSE || st == LLMD_ERR_INVALID_ARG || st == LLMD_ERR_NOT_FOUND ||
           st == LLMD_ERR_IO || st == LLMD_ERR_NOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (path[0] == '\0') snprintf(path, sizeof path, "/tmp/fuzz_pipeline_config_%ld.json", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (f == NULL) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    llmd_pipeline *p = NULL;
    if (llmd_pipeline_new(&p) != LLMD_OK) return 0;
    llmd_status st = llmd_pipeline_load_config(p, path);
    if (!allowed(st) || (st != LLMD_OK && llmd_last_error()[0] == '\0')) abort();
    if (st == LLMD_OK && llmd_pipeline_load_config(p, path) != LLMD_OK) abort();
    llmd_pipeline_free(p);
    return 0;
}
