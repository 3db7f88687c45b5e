/* Whole-file reads and atomic writes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/internal.h"

llmd_status llmd_read_file(const char *path, char **out, size_t *out_len) {
    *out = NULL;
    if (out_len) *out_len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO,
                                 "%s: cannot open: %s", path, strerror(errno));
    struct stat stbuf;
    if (fstat(fd, &stbuf) != 0 || !S_ISREG(stbuf.st_mode)) {
        close(fd);
        return llmd_fail(LLMD_ERR_IO, "%s: not a regular file", path);
    }
    size_t size = (size_t)stbuf.st_size;
    char *data = llmd_malloc(size + 1);
    if (data == NULL) { close(fd); return llmd_fail_nomem("reading a file"); }
    size_t got = 0;
    while (got < size) {
        ssize_t r = read(fd, data + got, size - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            int e = errno;
            close(fd);
            llmd_free(data);
            return llmd_fail(LLMD_ERR_IO, "%s: read failed at byte %zu: %s", path, got,
                             r == 0 ? "unexpected end of file" : strerror(e));
        }
        got += (size_t)r;
    }
    close(fd);
    data[size] = '\0';
    *out = data;
    if (out_len) *out_len = size;
    return LLMD_OK;
}

llmd_status llmd_write_file_atomic(const char *path, const void *data, size_t n) {
    llmd_buf tmp = LLMD_BUF_INIT;
    if (llmd_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid()) != LLMD_OK) return LLMD_ERR_NOMEM;
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        llmd_status st = llmd_fail(LLMD_ERR_IO, "%s: cannot create: %s", tmp.data, strerror(errno));
        llmd_buf_free(&tmp);
        return st;
    }
    const char *p = data;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            llmd_status st = llmd_fail(LLMD_ERR_IO, "%s: write failed: %s", path, strerror(errno));
            close(fd);
            unlink(tmp.data);
            llmd_buf_free(&tmp);
            return st;
        }
        done += (size_t)w;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        llmd_status st = llmd_fail(LLMD_ERR_IO, "%s: fsync/close failed: %s", path, strerror(errno));
        unlink(tmp.data);
        llmd_buf_free(&tmp);
        return st;
    }
    if (rename(tmp.data, path) != 0) {
        llmd_status st = llmd_fail(LLMD_ERR_IO, "%s: rename failed: %s", path, strerror(errno));
        unlink(tmp.data);
        llmd_buf_free(&tmp);
        return st;
    }
    llmd_buf_free(&tmp);
    return LLMD_OK;
}
