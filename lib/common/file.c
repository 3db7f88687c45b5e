/* Whole-file reads (atomic writes live in outfile.c). */
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
