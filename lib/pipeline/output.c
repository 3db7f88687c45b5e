/* llmd_pipeline_output: the pipeline's one-unit publishing (outdir.c) for files written by the
 * caller -- a distributed run packs and writes its shards itself and publishes them here. */
#include <string.h>

#include "pipeline_internal.h"

struct llmd_pipeline_output {
    llmd_pl_outdir dir;
    bool overwrite;
    bool published;
};

LLMD_API llmd_status llmd_pipeline_output_open(llmd_pipeline_output **out, const char *dir, int overwrite) {
    if (out == NULL || dir == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_output_open: NULL %s", out ? "directory" : "out");
    *out = NULL;
    llmd_pipeline_output *o = llmd_calloc(1, sizeof *o);
    if (o == NULL) return llmd_fail_nomem("pipeline output");
    o->overwrite = overwrite != 0;
    llmd_status st = llmd_pl_outdir_open(&o->dir, dir, o->overwrite, NULL, 0);
    if (st != LLMD_OK) {
        llmd_pl_outdir_close(&o->dir);
        llmd_free(o);
        return st;
    }
    *out = o;
    return LLMD_OK;
}

LLMD_API const char *llmd_pipeline_output_dir(const llmd_pipeline_output *o) {
    return o == NULL || o->published ? NULL : o->dir.stage;
}

static bool plain_name(const char *name) {
    return name[0] != '\0' && strchr(name, '/') == NULL && strcmp(name, ".") != 0 && strcmp(name, "..") != 0 &&
           strcmp(name, LLMD_RUN_MANIFEST) != 0;
}

LLMD_API llmd_status llmd_pipeline_output_add_file(llmd_pipeline_output *o, const char *name) {
    if (o == NULL || name == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_output_add_file: NULL %s", o ? "name" : "output");
    if (o->published) return llmd_fail(LLMD_ERR_STATE, "pipeline output: already published");
    if (!plain_name(name))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline output: \"%s\" is not a plain file name", name);
    for (size_t i = 0; i < o->dir.files.n; i++)
        if (strcmp(o->dir.files.v[i].name, name) == 0)
            return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline output: %s listed twice", name);
    llmd_buf path = LLMD_BUF_INIT;
    if (llmd_buf_printf(&path, "%s/%s", o->dir.stage, name) != LLMD_OK) return llmd_fail_nomem("pipeline output");
    uint64_t xxh3 = 0, bytes = 0;
    llmd_status st = llmd_file_xxh3(path.data, &xxh3, &bytes);
    llmd_buf_free(&path);
    if (st == LLMD_OK) st = llmd_pl_outdir_add(&o->dir, name, bytes, xxh3);
    return st;
}

LLMD_API llmd_status llmd_pipeline_output_publish(llmd_pipeline_output *o, const char *run_id) {
    if (o == NULL || run_id == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_output_publish: NULL %s", o ? "run_id" : "output");
    if (o->published) return llmd_fail(LLMD_ERR_STATE, "pipeline output: already published");
    if (strchr(run_id, '"') || strchr(run_id, '\\'))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "pipeline output: run id must not contain '\"' or '\\'");
    llmd_status st = llmd_pl_outdir_publish(&o->dir, run_id, o->overwrite);
    if (st == LLMD_OK) o->published = true;
    return st;
}

LLMD_API void llmd_pipeline_output_free(llmd_pipeline_output *o) {
    if (o == NULL) return;
    llmd_pl_outdir_close(&o->dir);
    llmd_free(o);
}
