/* llmd_output: the public face of the library's one way to publish a file (common/outfile.c). */
#include "common/internal.h"
#include "llmdata/io.h"

struct llmd_output {
    llmd_outfile f;
    bool exclusive, committed;
};

static const size_t output_option_sizes[] = {sizeof(llmd_output_options)};

llmd_status llmd_output_open(llmd_output **out, const char *path, const llmd_output_options *opts) {
    if (out == NULL || path == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_output_open: NULL argument");
    *out = NULL;
    llmd_output_options o = LLMD_OUTPUT_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts, output_option_sizes, LLMD_OUTPUT_OPTIONS_VERSION, "output options");
    if (st != LLMD_OK) return st;
    llmd_output *w = llmd_calloc(1, sizeof *w);
    if (w == NULL) return llmd_fail_nomem("an output file");
    if ((st = llmd_outfile_open(&w->f, path)) != LLMD_OK) {
        llmd_free(w);
        return st;
    }
    w->exclusive = o.exclusive != 0;
    *out = w;
    return LLMD_OK;
}

llmd_status llmd_output_write(llmd_output *o, const void *data, size_t n) {
    if (o == NULL || (data == NULL && n > 0)) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_output_write: NULL argument");
    if (o->committed) return llmd_fail(LLMD_ERR_STATE, "llmd_output_write: output already committed");
    if (n == 0) return LLMD_OK;   /* data may be NULL: never hand it to memcpy */
    return llmd_outfile_write(&o->f, data, n);
}

llmd_status llmd_output_commit(llmd_output *o) {
    if (o == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_output_commit: output is NULL");
    if (o->committed) return llmd_fail(LLMD_ERR_STATE, "llmd_output_commit: output already committed");
    llmd_status st = llmd_outfile_publish(&o->f, o->exclusive ? LLMD_PUBLISH_EXCLUSIVE : LLMD_PUBLISH_REPLACE);
    if (st == LLMD_OK) o->committed = true;
    return st;
}

uint64_t llmd_output_bytes(const llmd_output *o) { return o ? o->f.bytes : 0; }

void llmd_output_free(llmd_output *o) {
    if (o == NULL) return;
    llmd_outfile_discard(&o->f);
    llmd_free(o);
}
