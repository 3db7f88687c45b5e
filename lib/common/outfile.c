/*
 * The one way llmdata publishes a file (DESIGN.md, "the storage layer"): bytes go to a temp file in
 * the target's directory, are fsynced, then appear under the final name in one step — by rename
 * (replace) or by an exclusive create that fails with LLMD_ERR_CONFLICT when the name exists (the
 * Delta commit's put-if-absent) — and the directory is fsynced so the new name survives a crash.
 * Nothing in the library writes a final name directly.
 *
 * Temp files are registered so that a program's SIGINT/SIGTERM handler can remove them
 * (llmd_remove_temp_files, async-signal-safe).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/internal.h"

#define OUTFILE_BUF_SIZE (1u << 20)

/* ---- registry of live temp files (for signal handlers) ---------------------------------------- */
/* A fixed table of atomic pointers: a signal handler may read it at any moment without a lock.
 * A process with more live temp files than slots still works; the extra ones are just not removed
 * by llmd_remove_temp_files. */
#define TEMP_SLOTS 256
static _Atomic(char *) temp_slots[TEMP_SLOTS];

static void temp_register(char *path) {
    for (int i = 0; i < TEMP_SLOTS; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&temp_slots[i], &expected, path)) return;
    }
}

static void temp_unregister(const char *path) {
    for (int i = 0; i < TEMP_SLOTS; i++) {
        char *expected = (char *)path;
        if (atomic_compare_exchange_strong(&temp_slots[i], &expected, NULL)) return;
    }
}

/* Staging directories (a pipeline run's output before it is published) and the files already
 * complete inside them: removed by llmd_remove_temp_files too, files first, then the directory. */
static _Atomic(char *) staged_slots[TEMP_SLOTS];
static _Atomic(char *) dir_slots[TEMP_SLOTS / 8];

static void slot_put(_Atomic(char *) *slots, int n, char *path) {
    for (int i = 0; i < n; i++) {
        char *expected = NULL;
        if (atomic_compare_exchange_strong(&slots[i], &expected, path)) return;
    }
}

static void slot_take(_Atomic(char *) *slots, int n, const char *path) {
    for (int i = 0; i < n; i++) {
        char *expected = (char *)path;
        if (atomic_compare_exchange_strong(&slots[i], &expected, NULL)) return;
    }
}

void llmd_temp_track_file(char *path) { slot_put(staged_slots, TEMP_SLOTS, path); }
void llmd_temp_untrack_file(const char *path) { slot_take(staged_slots, TEMP_SLOTS, path); }
void llmd_temp_track_dir(char *path) { slot_put(dir_slots, TEMP_SLOTS / 8, path); }
void llmd_temp_untrack_dir(const char *path) { slot_take(dir_slots, TEMP_SLOTS / 8, path); }

void llmd_remove_temp_files(void) {
    for (int i = 0; i < TEMP_SLOTS; i++) {
        char *p = atomic_load(&temp_slots[i]);
        if (p != NULL) unlink(p);  /* unlink is async-signal-safe */
    }
    for (int i = 0; i < TEMP_SLOTS; i++) {
        char *p = atomic_load(&staged_slots[i]);
        if (p != NULL) unlink(p);
    }
    for (int i = 0; i < TEMP_SLOTS / 8; i++) {
        char *p = atomic_load(&dir_slots[i]);
        if (p != NULL) rmdir(p);  /* rmdir is async-signal-safe; only empty directories go */
    }
}

/* ---- helpers ------------------------------------------------------------------------------------ */
static llmd_status write_all(int fd, const void *data, size_t n, const char *name) {
    const char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0)
            return llmd_fail(LLMD_ERR_IO, "%s: write failed: %s", name,
                             w == 0 ? "no progress" : strerror(errno));
        p += w;
        n -= (size_t)w;
    }
    return LLMD_OK;
}

llmd_status llmd_fsync_parent_dir(const char *path) {
    const char *slash = strrchr(path, '/');
    char *dir = slash == NULL ? llmd_strdup(".")
                : slash == path ? llmd_strdup("/") : llmd_strndup(path, (size_t)(slash - path));
    if (dir == NULL) return llmd_fail_nomem("naming a directory to fsync");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    llmd_status st = LLMD_OK;
    if (fd < 0) {
        st = llmd_fail(LLMD_ERR_IO, "%s: cannot open directory to fsync: %s", dir, strerror(errno));
    } else {
        /* Some file systems refuse fsync on a directory (EINVAL); the rename is then as durable as
         * that file system makes it, which is all we can ask for. */
        if (fsync(fd) != 0 && errno != EINVAL && errno != EROFS)
            st = llmd_fail(LLMD_ERR_IO, "%s: directory fsync failed: %s", dir, strerror(errno));
        close(fd);
    }
    llmd_free(dir);
    return st;
}

/* ---- llmd_outfile ---------------------------------------------------------------------------- */
llmd_status llmd_outfile_open(llmd_outfile *f, const char *final_path) {
    static atomic_uint counter;
    memset(f, 0, sizeof *f);
    f->fd = -1;
    if (final_path == NULL || final_path[0] == '\0')
        return llmd_fail(LLMD_ERR_INVALID_ARG, "output path is empty");
    size_t n = strlen(final_path);
    if (final_path[n - 1] == '/')
        return llmd_fail(LLMD_ERR_INVALID_ARG, "%s: output path names a directory, not a file",
                         final_path);
    f->final_path = llmd_strdup(final_path);
    llmd_buf tmp = LLMD_BUF_INIT;
    if (f->final_path == NULL ||
        llmd_buf_printf(&tmp, "%s.tmp.%ld.%u", final_path, (long)getpid(),
                        atomic_fetch_add(&counter, 1)) != LLMD_OK) {
        llmd_free(f->final_path);
        f->final_path = NULL;
        llmd_buf_free(&tmp);
        return llmd_fail_nomem("naming a temp file");
    }
    f->tmp_path = llmd_buf_detach(&tmp, NULL);
    f->buf = llmd_malloc(OUTFILE_BUF_SIZE);
    f->hash = XXH3_createState();
    if (f->buf == NULL || f->hash == NULL) {
        llmd_outfile_discard(f);
        return llmd_fail_nomem("an output buffer");
    }
    XXH3_64bits_reset(f->hash);
    f->fd = open(f->tmp_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (f->fd < 0) {
        llmd_status st = llmd_fail(LLMD_ERR_IO, "%s: cannot create: %s", final_path, strerror(errno));
        llmd_outfile_discard(f);
        return st;
    }
    temp_register(f->tmp_path);
    return LLMD_OK;
}

static llmd_status outfile_flush(llmd_outfile *f) {
    if (f->len == 0) return LLMD_OK;
    llmd_status st = write_all(f->fd, f->buf, f->len, f->final_path);
    f->len = 0;
    return st;
}

llmd_status llmd_outfile_write(llmd_outfile *f, const void *data, size_t n) {
    if (f->fd < 0) return llmd_fail(LLMD_ERR_STATE, "write to a closed output file");
    XXH3_64bits_update(f->hash, data, n);
    f->bytes += n;
    if (f->len + n > OUTFILE_BUF_SIZE) {
        llmd_status st = outfile_flush(f);
        if (st != LLMD_OK) return st;
        if (n >= OUTFILE_BUF_SIZE) return write_all(f->fd, data, n, f->final_path);
    }
    memcpy(f->buf + f->len, data, n);
    f->len += n;
    return LLMD_OK;
}

llmd_status llmd_outfile_pwrite(llmd_outfile *f, uint64_t offset, const void *data, size_t n) {
    if (f->fd < 0) return llmd_fail(LLMD_ERR_STATE, "write to a closed output file");
    llmd_status st = outfile_flush(f);
    if (st != LLMD_OK) return st;
    const char *p = data;
    while (n > 0) {
        ssize_t w = pwrite(f->fd, p, n, (off_t)offset);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return llmd_fail(LLMD_ERR_IO, "%s: write failed: %s", f->final_path, strerror(errno));
        p += w;
        n -= (size_t)w;
        offset += (uint64_t)w;
    }
    f->rewritten = true;  /* the running checksum no longer describes the file */
    return LLMD_OK;
}

/* Checksum of the whole temp file, read back: used when bytes were overwritten in place. */
static llmd_status rehash_file(llmd_outfile *f) {
    if (lseek(f->fd, 0, SEEK_SET) < 0)
        return llmd_fail(LLMD_ERR_IO, "%s: seek failed: %s", f->final_path, strerror(errno));
    XXH3_64bits_reset(f->hash);
    uint64_t total = 0;
    for (;;) {
        ssize_t r = read(f->fd, f->buf, OUTFILE_BUF_SIZE);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return llmd_fail(LLMD_ERR_IO, "%s: read back failed: %s", f->final_path, strerror(errno));
        if (r == 0) break;
        XXH3_64bits_update(f->hash, f->buf, (size_t)r);
        total += (uint64_t)r;
    }
    f->bytes = total;
    return LLMD_OK;
}

llmd_status llmd_outfile_close(llmd_outfile *f) {
    if (f->fd < 0) return llmd_fail(LLMD_ERR_STATE, "output file closed twice");
    llmd_status st = outfile_flush(f);
    if (st == LLMD_OK && f->rewritten) {
        /* O_WRONLY cannot be read back: reopen the temp for reading. */
        int rfd = open(f->tmp_path, O_RDONLY | O_CLOEXEC);
        if (rfd < 0) {
            st = llmd_fail(LLMD_ERR_IO, "%s: cannot reopen: %s", f->final_path, strerror(errno));
        } else {
            int wfd = f->fd;
            f->fd = rfd;
            st = rehash_file(f);
            f->fd = wfd;
            close(rfd);
        }
    }
    if (st == LLMD_OK && fsync(f->fd) != 0)
        st = llmd_fail(LLMD_ERR_IO, "%s: fsync failed: %s", f->final_path, strerror(errno));
    int rc = close(f->fd);
    f->fd = -1;
    if (st == LLMD_OK && rc != 0)
        st = llmd_fail(LLMD_ERR_IO, "%s: close failed: %s", f->final_path, strerror(errno));
    if (st == LLMD_OK) f->checksum = XXH3_64bits_digest(f->hash);
    return st;
}

/* Exclusive publish: renameat2(RENAME_NOREPLACE), or link+unlink where the file system lacks it. */
static llmd_status publish_exclusive(llmd_outfile *f) {
#ifdef RENAME_NOREPLACE
    if (renameat2(AT_FDCWD, f->tmp_path, AT_FDCWD, f->final_path, RENAME_NOREPLACE) == 0) return LLMD_OK;
    if (errno == EEXIST)
        return llmd_fail(LLMD_ERR_CONFLICT, "%s: already exists (another writer published it first)",
                         f->final_path);
    if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
        return llmd_fail(LLMD_ERR_IO, "%s: publish failed: %s", f->final_path, strerror(errno));
#endif
    if (link(f->tmp_path, f->final_path) != 0) {
        if (errno == EEXIST)
            return llmd_fail(LLMD_ERR_CONFLICT, "%s: already exists (another writer published it first)",
                             f->final_path);
        return llmd_fail(LLMD_ERR_IO, "%s: publish (link) failed: %s", f->final_path, strerror(errno));
    }
    unlink(f->tmp_path);
    return LLMD_OK;
}

llmd_status llmd_outfile_publish(llmd_outfile *f, llmd_publish_mode mode) {
    if (f->fd >= 0) {
        llmd_status st = llmd_outfile_close(f);
        if (st != LLMD_OK) return st;
    }
    if (f->tmp_path == NULL) return llmd_fail(LLMD_ERR_STATE, "output file published twice");
    llmd_status st;
    if (mode == LLMD_PUBLISH_EXCLUSIVE) {
        st = publish_exclusive(f);
    } else {
        st = rename(f->tmp_path, f->final_path) == 0
                 ? LLMD_OK
                 : llmd_fail(LLMD_ERR_IO, "%s: rename failed: %s", f->final_path, strerror(errno));
    }
    if (st != LLMD_OK) return st;  /* the temp stays for llmd_outfile_discard to remove */
    temp_unregister(f->tmp_path);
    llmd_free(f->tmp_path);
    f->tmp_path = NULL;
    return llmd_fsync_parent_dir(f->final_path);
}

/* Restores what publish_all displaced: the backup of an existing final goes back over it, a final
 * that did not exist before is removed. */
static void unpublish(llmd_outfile *f, const char *backup) {
    if (backup != NULL) {
        if (rename(backup, f->final_path) != 0) unlink(backup);
    } else {
        unlink(f->final_path);
    }
}

llmd_status llmd_outfile_publish_all(llmd_outfile *const *files, size_t n, llmd_publish_mode mode) {
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < n && st == LLMD_OK; i++)
        if (files[i]->fd >= 0) st = llmd_outfile_close(files[i]);
    if (st != LLMD_OK) return st;
    char **backup = llmd_calloc(n ? n : 1, sizeof *backup);
    if (backup == NULL) return llmd_fail_nomem("publishing files");
    /* REPLACE: keep a hard link to every file about to be replaced, so a failure part way through
     * puts the earlier output back exactly as it was. */
    for (size_t i = 0; i < n && st == LLMD_OK && mode == LLMD_PUBLISH_REPLACE; i++) {
        llmd_buf b = LLMD_BUF_INIT;
        if (llmd_buf_printf(&b, "%s.tmp.%ld.old", files[i]->final_path, (long)getpid()) != LLMD_OK) {
            st = llmd_fail_nomem("naming a backup");
            break;
        }
        unlink(b.data);  /* a leftover of an earlier process with our pid */
        if (link(files[i]->final_path, b.data) == 0) {
            backup[i] = llmd_buf_detach(&b, NULL);
        } else {
            if (errno != ENOENT)
                st = llmd_fail(LLMD_ERR_IO, "%s: cannot keep the earlier file while replacing it: %s",
                               files[i]->final_path, strerror(errno));
            llmd_buf_free(&b);
        }
    }
    /* SIGINT/SIGTERM wait until the group is published or rolled back: a handler that exits in
     * between would leave new and old files side by side (readers would catch it by the manifest,
     * but the earlier output would be gone). */
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old_mask);
    size_t published = 0;
    while (published < n && st == LLMD_OK) {
        st = llmd_outfile_publish(files[published], mode);
        /* a publish that failed after its rename (the directory fsync) has replaced the name */
        if (st == LLMD_OK || files[published]->tmp_path == NULL) published++;
    }
    if (st != LLMD_OK) {
        for (size_t i = 0; i < published; i++) {
            unpublish(files[i], backup[i]);
            llmd_free(backup[i]);
            backup[i] = NULL;
        }
        if (n > 0) llmd_fsync_parent_dir(files[0]->final_path);
    }
    for (size_t i = 0; i < n; i++) {
        if (backup[i] != NULL) unlink(backup[i]);
        llmd_free(backup[i]);
    }
    pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
    llmd_free(backup);
    return st;
}

void llmd_outfile_discard(llmd_outfile *f) {
    if (f->fd >= 0) close(f->fd);
    f->fd = -1;
    if (f->tmp_path != NULL) {
        unlink(f->tmp_path);
        temp_unregister(f->tmp_path);
    }
    llmd_free(f->tmp_path);
    llmd_free(f->final_path);
    llmd_free(f->buf);
    if (f->hash != NULL) XXH3_freeState(f->hash);
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

/* ---- whole-buffer conveniences ------------------------------------------------------------------ */
static llmd_status write_whole(const char *path, const void *data, size_t n, llmd_publish_mode mode) {
    llmd_outfile f;
    llmd_status st = llmd_outfile_open(&f, path);
    if (st != LLMD_OK) return st;
    st = llmd_outfile_write(&f, data, n);
    if (st == LLMD_OK) st = llmd_outfile_publish(&f, mode);
    llmd_outfile_discard(&f);
    return st;
}

llmd_status llmd_write_file_atomic(const char *path, const void *data, size_t n) {
    return write_whole(path, data, n, LLMD_PUBLISH_REPLACE);
}

llmd_status llmd_write_file_exclusive(const char *path, const void *data, size_t n) {
    return write_whole(path, data, n, LLMD_PUBLISH_EXCLUSIVE);
}
