/*
 * A pipeline run's output directory is published as one unit.
 *
 * The run writes every file into a fresh staging directory beside `out` (same file system, so the
 * final step is a rename), writes the run manifest (_llmdata_run.json: every file with size and
 * XXH3-64, and the run id) last, then swaps the staging directory with `out` in one
 * renameat2(RENAME_EXCHANGE) — or renames it into place when `out` does not exist.  Until that one
 * call the earlier output is untouched; after it, the earlier run's files (now under the staging
 * name) are removed.  So a crash or an error at any point leaves either the earlier output exactly
 * as it was or the new one complete, never a mix; a killed run leaves only a `*.tmp.<pid>.<n>`
 * directory, which llmd_remove_temp_files() removes from a signal handler.
 *
 * An existing `out` is replaced only with `overwrite`, and even then only when it holds nothing but
 * the files its own run manifest lists (a user's other files are never deleted).  The manifest is
 * named with a leading underscore so that Spark/Delta-style readers of the directory skip it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pipeline_internal.h"

/* Lists the entries of dir (without . and ..) into names. */
static llmd_status list_dir(const char *dir, llmd_file_list *names) {
    memset(names, 0, sizeof *names);
    DIR *d = opendir(dir);
    if (d == NULL) return llmd_fail(LLMD_ERR_IO, "pipeline: cannot read output directory %s: %s", dir, strerror(errno));
    llmd_status st = LLMD_OK;
    struct dirent *e;
    while (st == LLMD_OK && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        st = llmd_file_list_add(names, e->d_name, 0, 0);
    }
    closedir(d);
    if (st != LLMD_OK) llmd_file_list_free(names);
    return st;
}

/* The files an earlier run listed in dir's run manifest (empty list if dir has none). */
static llmd_status earlier_run(const char *dir, llmd_file_list *files, bool *has_manifest) {
    memset(files, 0, sizeof *files);
    *has_manifest = false;
    llmd_buf path = LLMD_BUF_INIT;
    char *text = NULL;
    size_t len;
    llmd_status st = llmd_buf_printf(&path, "%s/%s", dir, LLMD_RUN_MANIFEST);
    if (st == LLMD_OK) {
        st = llmd_read_file(path.data, &text, &len);
        if (st == LLMD_ERR_NOT_FOUND) {
            llmd_clear_error();
            st = LLMD_OK;
        } else if (st == LLMD_OK) {
            *has_manifest = true;
            st = llmd_manifest_parse(text, len, path.data, files, NULL);
        }
    }
    llmd_free(text);
    llmd_buf_free(&path);
    return st;
}

static bool listed(const llmd_file_list *l, const char *name) {
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0) return true;
    return false;
}

/* May the existing directory `out` be replaced?  Empty: yes.  Otherwise only with overwrite, and
 * only if every entry is a file its run manifest lists (or the manifest itself). */
static llmd_status check_replaceable(const char *out, bool overwrite) {
    llmd_file_list entries, earlier;
    llmd_status st = list_dir(out, &entries);
    if (st != LLMD_OK) return st;
    if (entries.n == 0) {
        llmd_file_list_free(&entries);
        return LLMD_OK;
    }
    bool has_manifest = false;
    if (!overwrite) {
        st = llmd_fail(LLMD_ERR_CONFLICT,
                       "pipeline: output directory %s is not empty (it holds %s); set overwrite (llmdata "
                       "pipeline --overwrite) to replace an earlier run's output",
                       out, entries.v[0].name);
    } else if ((st = earlier_run(out, &earlier, &has_manifest)) != LLMD_OK) {
        llmd_error_prefix("pipeline: output directory %s cannot be replaced", out);
    } else {
        for (size_t i = 0; i < entries.n && st == LLMD_OK; i++) {
            const char *name = entries.v[i].name;
            if (strcmp(name, LLMD_RUN_MANIFEST) == 0 && has_manifest) continue;
            if (!listed(&earlier, name))
                st = llmd_fail(LLMD_ERR_CONFLICT,
                               "pipeline: output directory %s holds %s, which no earlier llmdata run listed in "
                               "%s: refusing to replace it (choose another --out)",
                               out, name, LLMD_RUN_MANIFEST);
        }
        llmd_file_list_free(&earlier);
    }
    llmd_file_list_free(&entries);
    return st;
}

/* Resolves `out` to the directory to publish: trailing slashes dropped, a symlink followed (the
 * link stays, its target is replaced). */
static llmd_status resolve_out(const char *out, char **resolved, bool *exists) {
    *exists = false;
    size_t n = strlen(out);
    while (n > 1 && out[n - 1] == '/') n--;
    char *path = llmd_strndup(out, n);
    if (path == NULL) return llmd_fail_nomem("the output directory name");
    struct stat sb;
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode)) {
        char *real = realpath(path, NULL);
        if (real == NULL) {
            llmd_status st = llmd_fail(LLMD_ERR_IO, "pipeline: output %s: cannot resolve the link: %s", path,
                                       strerror(errno));
            llmd_free(path);
            return st;
        }
        llmd_free(path);
        path = llmd_strdup(real);
        free(real);
        if (path == NULL) return llmd_fail_nomem("the output directory name");
    }
    if (stat(path, &sb) == 0) {
        if (!S_ISDIR(sb.st_mode)) {
            llmd_status st = llmd_fail(LLMD_ERR_IO, "pipeline: output %s is not a directory", path);
            llmd_free(path);
            return st;
        }
        *exists = true;
    } else if (errno != ENOENT) {
        llmd_status st = llmd_fail(LLMD_ERR_IO, "pipeline: output %s: %s", path, strerror(errno));
        llmd_free(path);
        return st;
    }
    if (strcmp(path, "/") == 0 || strcmp(path, ".") == 0 || strcmp(path, "..") == 0 ||
        (strlen(path) >= 3 && strcmp(path + strlen(path) - 3, "/..") == 0) ||
        (strlen(path) >= 2 && strcmp(path + strlen(path) - 2, "/.") == 0)) {
        llmd_status st = llmd_fail(LLMD_ERR_INVALID_ARG,
                                   "pipeline: output %s must name a directory of its own (e.g. out/run1)", path);
        llmd_free(path);
        return st;
    }
    *resolved = path;
    return LLMD_OK;
}

/* LLMD_ERR_CONFLICT when the existing file `path` lies inside o->out, which publishing replaces. */
static llmd_status check_read(const llmd_pl_outdir *o, const char *path) {
    struct stat sd, sp;
    if (!o->out_exists || path == NULL || strcmp(path, "-") == 0 || stat(o->out, &sd) != 0) return LLMD_OK;
    char *real = realpath(path, NULL);
    if (real == NULL) return LLMD_OK;  /* not a file (e.g. "bytes"): the stage that opens it reports it */
    bool inside = false;
    for (;;) {
        if (stat(real, &sp) == 0 && sp.st_dev == sd.st_dev && sp.st_ino == sd.st_ino) {
            inside = true;
            break;
        }
        char *slash = strrchr(real, '/');
        if (slash == NULL || slash == real) break;
        *slash = '\0';
    }
    free(real);
    if (inside)
        return llmd_fail(LLMD_ERR_CONFLICT,
                         "pipeline: input %s lies inside the output directory %s, which the run replaces: choose "
                         "another out",
                         path, o->out);
    return LLMD_OK;
}

llmd_status llmd_pl_outdir_open(llmd_pl_outdir *o, const char *out, bool overwrite, const char *const *reads,
                                size_t n) {
    static atomic_uint counter;
    memset(o, 0, sizeof *o);
    llmd_status st = resolve_out(out, &o->out, &o->out_exists);
    for (size_t i = 0; i < n && st == LLMD_OK; i++) st = check_read(o, reads[i]);
    if (st == LLMD_OK && o->out_exists) st = check_replaceable(o->out, overwrite);
    llmd_buf b = LLMD_BUF_INIT;
    if (st == LLMD_OK &&
        llmd_buf_printf(&b, "%s.tmp.%ld.%u", o->out, (long)getpid(), atomic_fetch_add(&counter, 1)) != LLMD_OK)
        st = llmd_fail_nomem("naming the staging directory");
    if (st == LLMD_OK) {
        o->stage = llmd_buf_detach(&b, NULL);
        if (mkdir(o->stage, 0755) != 0) {
            st = llmd_fail(LLMD_ERR_IO, "pipeline: cannot create output directory %s (staging as %s): %s", o->out,
                           o->stage, strerror(errno));
            llmd_free(o->stage);
            o->stage = NULL;
        } else {
            llmd_temp_track_dir(o->stage);
        }
    }
    llmd_buf_free(&b);
    return st;
}

llmd_status llmd_pl_outdir_add(llmd_pl_outdir *o, const char *name, uint64_t bytes, uint64_t xxh3) {
    llmd_buf b = LLMD_BUF_INIT;
    char **t = llmd_realloc(o->tracked, o->n_tracked * sizeof *t, (o->n_tracked + 1) * sizeof *t);
    if (t == NULL) return llmd_fail_nomem("the output file list");
    o->tracked = t;
    if (llmd_buf_printf(&b, "%s/%s", o->stage, name) != LLMD_OK) return llmd_fail_nomem("the output file list");
    o->tracked[o->n_tracked++] = llmd_buf_detach(&b, NULL);
    llmd_temp_track_file(o->tracked[o->n_tracked - 1]);
    return llmd_file_list_add(&o->files, name, bytes, xxh3);
}

static llmd_status write_run_manifest(llmd_pl_outdir *o, const char *run_id) {
    llmd_buf text = LLMD_BUF_INIT, path = LLMD_BUF_INIT;
    llmd_status st = llmd_buf_printf(&text, "{\"llmdata_run\":1,\"run_id\":\"%s\",\"files\":", run_id);
    if (st == LLMD_OK) st = llmd_file_list_json(&text, &o->files);
    if (st == LLMD_OK) st = llmd_buf_puts(&text, "}\n");
    if (st == LLMD_OK) st = llmd_buf_printf(&path, "%s/%s", o->stage, LLMD_RUN_MANIFEST);
    if (st == LLMD_OK) st = llmd_write_file_exclusive(path.data, text.data, text.len);
    if (st == LLMD_OK) {
        /* tracked like the others, so a signal before the swap removes it too (not listed in itself) */
        char **t = llmd_realloc(o->tracked, o->n_tracked * sizeof *t, (o->n_tracked + 1) * sizeof *t);
        if (t == NULL) {
            st = llmd_fail_nomem("the output file list");
            unlink(path.data);
        } else {
            o->tracked = t;
            o->tracked[o->n_tracked++] = llmd_buf_detach(&path, NULL);
            llmd_temp_track_file(o->tracked[o->n_tracked - 1]);
        }
    }
    llmd_buf_free(&text);
    llmd_buf_free(&path);
    return st;
}

/* Removes a directory holding an earlier run: its listed files and the manifest, then the
 * directory if that left it empty.  Anything else in it stays. */
static void remove_run_dir(const char *dir, const llmd_file_list *files) {
    llmd_buf b = LLMD_BUF_INIT;
    for (size_t i = 0; i <= files->n; i++) {
        llmd_buf_reset(&b);
        if (llmd_buf_printf(&b, "%s/%s", dir, i < files->n ? files->v[i].name : LLMD_RUN_MANIFEST) == LLMD_OK)
            unlink(b.data);
    }
    llmd_buf_free(&b);
    rmdir(dir);
}

static void untrack_all(llmd_pl_outdir *o) {
    for (size_t i = 0; i < o->n_tracked; i++) {
        llmd_temp_untrack_file(o->tracked[i]);
        llmd_free(o->tracked[i]);
    }
    llmd_free(o->tracked);
    o->tracked = NULL;
    o->n_tracked = 0;
    if (o->stage != NULL) llmd_temp_untrack_dir(o->stage);
}

/* Puts the staging directory in place of o->out.  On success *swapped says whether an earlier
 * directory now sits under the staging name. */
static llmd_status swap_in(llmd_pl_outdir *o, bool *swapped) {
    *swapped = false;
    if (!o->out_exists) {
        if (renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->out, RENAME_NOREPLACE) == 0) return LLMD_OK;
        if (errno == EEXIST || errno == ENOTEMPTY)
            return llmd_fail(LLMD_ERR_CONFLICT, "pipeline: output directory %s appeared while the run wrote it", o->out);
        if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
            return llmd_fail(LLMD_ERR_IO, "pipeline: publishing %s failed: %s", o->out, strerror(errno));
        /* no RENAME_NOREPLACE here: rename fails on a non-empty directory anyway */
        if (rename(o->stage, o->out) != 0)
            return llmd_fail(LLMD_ERR_IO, "pipeline: publishing %s failed: %s", o->out, strerror(errno));
        return LLMD_OK;
    }
    if (renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->out, RENAME_EXCHANGE) == 0) {
        *swapped = true;
        return LLMD_OK;
    }
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return llmd_fail(LLMD_ERR_IO, "pipeline: replacing %s failed (renameat2 RENAME_EXCHANGE: %s); the earlier "
                         "output is unchanged", o->out, strerror(errno));
    /* A file system without RENAME_EXCHANGE: two renames, the earlier output moved aside first and
     * moved back if the second fails.  Between them `out` is briefly absent (never mixed). */
    llmd_buf aside = LLMD_BUF_INIT;
    if (llmd_buf_printf(&aside, "%s.old", o->stage) != LLMD_OK) return llmd_fail_nomem("naming a directory");
    llmd_status st = LLMD_OK;
    if (rename(o->out, aside.data) != 0) {
        st = llmd_fail(LLMD_ERR_IO, "pipeline: replacing %s failed: %s", o->out, strerror(errno));
    } else if (rename(o->stage, o->out) != 0) {
        st = llmd_fail(LLMD_ERR_IO, "pipeline: replacing %s failed: %s", o->out, strerror(errno));
        rename(aside.data, o->out);
    } else {
        /* published: the earlier run goes where an exchange would have put it, for its removal (if
         * that fails it stays under the .old name: kept, not lost) */
        rename(aside.data, o->stage);
    }
    llmd_buf_free(&aside);
    if (st == LLMD_OK) *swapped = true;
    return st;
}

llmd_status llmd_pl_outdir_publish(llmd_pl_outdir *o, const char *run_id, bool overwrite) {
    llmd_status st = write_run_manifest(o, run_id);
    /* the staging directory's entries are durable before the swap makes them visible */
    llmd_buf probe = LLMD_BUF_INIT;
    if (st == LLMD_OK && llmd_buf_printf(&probe, "%s/%s", o->stage, LLMD_RUN_MANIFEST) == LLMD_OK)
        st = llmd_fsync_parent_dir(probe.data);
    llmd_buf_free(&probe);
    /* check again right before the swap: `out` may have changed during the run */
    llmd_file_list earlier = {0};
    bool has_manifest = false, exists = false;
    if (st == LLMD_OK) {
        struct stat sb;
        exists = stat(o->out, &sb) == 0;
        if (exists && !S_ISDIR(sb.st_mode)) st = llmd_fail(LLMD_ERR_IO, "pipeline: output %s is not a directory", o->out);
        o->out_exists = exists;
    }
    if (st == LLMD_OK && exists) st = check_replaceable(o->out, overwrite);
    if (st == LLMD_OK && exists) st = earlier_run(o->out, &earlier, &has_manifest);
    bool swapped = false;
    if (st == LLMD_OK) st = swap_in(o, &swapped);
    if (st == LLMD_OK) {
        st = llmd_fsync_parent_dir(o->out);
        if (st != LLMD_OK) {
            /* not durable: undo, so that the failed run leaves the earlier output as it was */
            if (swapped) renameat2(AT_FDCWD, o->stage, AT_FDCWD, o->out, RENAME_EXCHANGE);
            else rename(o->out, o->stage);
        }
    }
    if (st == LLMD_OK) {
        /* published: the names in the staging list now live in out; the staging name holds the
         * earlier run (after an exchange) or nothing */
        untrack_all(o);
        if (swapped) remove_run_dir(o->stage, &earlier);
        llmd_free(o->stage);
        o->stage = NULL;
    }
    llmd_file_list_free(&earlier);
    return st;
}

void llmd_pl_outdir_close(llmd_pl_outdir *o) {
    if (o->stage != NULL) {
        for (size_t i = 0; i < o->n_tracked; i++) unlink(o->tracked[i]);
        untrack_all(o);
        /* The staging directory was created empty by this run under a unique name and only this
         * run writes in it: whatever a failure left there (a file published just before its
         * directory fsync failed) is ours to remove. */
        llmd_file_list left;
        if (list_dir(o->stage, &left) == LLMD_OK) {
            remove_run_dir(o->stage, &left);
            llmd_file_list_free(&left);
        }
        rmdir(o->stage);
        llmd_free(o->stage);
        o->stage = NULL;
    }
    untrack_all(o);
    llmd_file_list_free(&o->files);
    llmd_free(o->out);
    memset(o, 0, sizeof *o);
}

llmd_status llmd_pipeline_verify_output(const char *dir, unsigned flags) {
    if (dir == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pipeline_verify_output: dir is NULL");
    llmd_buf path = LLMD_BUF_INIT;
    char *text = NULL;
    size_t len;
    llmd_file_list files = {0};
    llmd_status st = llmd_buf_printf(&path, "%s/%s", dir, LLMD_RUN_MANIFEST);
    if (st == LLMD_OK) st = llmd_read_file(path.data, &text, &len);
    if (st == LLMD_OK) st = llmd_manifest_parse(text, len, path.data, &files, NULL);
    if (st == LLMD_OK)
        st = llmd_manifest_check_files(dir, &files, (flags & LLMD_PIPELINE_VERIFY_CHECKSUMS) != 0, path.data);
    llmd_file_list_free(&files);
    llmd_free(text);
    llmd_buf_free(&path);
    return st;
}
