/*
 * LD_PRELOAD fault injector for the data-safety tests: makes the Nth call of one file-system
 * operation fail, the way a full disk, a yanked device or a flaky network file system would.
 *
 *   LLMD_FAULT_OP     write | rename | renameat2 | fsync | link  (the operation to fail)
 *   LLMD_FAULT_N      1-based call number that fails (0 or unset: never fail, only count)
 *   LLMD_FAULT_ERRNO  errno of the failure (default EIO)
 *   LLMD_FAULT_COUNTS file to which the per-operation call counts are appended at exit
 *                     ("write 12 rename 3 ..."), so a driver knows how many calls to try
 *
 * write() calls on standard input/output/error are passed through uncounted (messages, not data).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { OP_WRITE, OP_RENAME, OP_RENAMEAT2, OP_FSYNC, OP_LINK, OP_N };
static const char *const op_names[OP_N] = {"write", "rename", "renameat2", "fsync", "link"};
static atomic_ulong counts[OP_N];
static int target = -1;
static unsigned long target_n;
static int fail_errno = EIO;

__attribute__((constructor)) static void fault_init(void) {
    const char *op = getenv("LLMD_FAULT_OP"), *n = getenv("LLMD_FAULT_N"), *e = getenv("LLMD_FAULT_ERRNO");
    for (int i = 0; op != NULL && i < OP_N; i++)
        if (strcmp(op, op_names[i]) == 0) target = i;
    target_n = n ? strtoul(n, NULL, 10) : 0;
    if (e != NULL) fail_errno = atoi(e);
}

typedef ssize_t (*write_fn)(int, const void *, size_t);
typedef int (*rename_fn)(const char *, const char *);
typedef int (*renameat2_fn)(int, const char *, int, const char *, unsigned);
typedef int (*fsync_fn)(int);
typedef void (*any_fn)(void);

/* The next definition of a libc function (dlsym's object pointer copied into a function pointer,
 * which ISO C does not allow by cast). */
static any_fn next_symbol(const char *name) {
    void *p = dlsym(RTLD_NEXT, name);
    any_fn f;
    memcpy(&f, &p, sizeof f);
    return f;
}

__attribute__((destructor)) static void fault_report(void) {
    const char *path = getenv("LLMD_FAULT_COUNTS");
    if (path == NULL) return;
    char line[256];
    int len = 0;
    for (int i = 0; i < OP_N; i++)
        len += snprintf(line + len, sizeof line - (size_t)len, "%s%s %lu", i ? " " : "", op_names[i],
                        atomic_load(&counts[i]));
    len += snprintf(line + len, sizeof line - (size_t)len, "\n");
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
        write_fn w = (write_fn)next_symbol("write");
        if (w) w(fd, line, (size_t)len);
        close(fd);
    }
}

/* True when this call is the one to fail. */
static int hit(int op) {
    unsigned long k = atomic_fetch_add(&counts[op], 1) + 1;
    if (op == target && target_n != 0 && k == target_n) {
        errno = fail_errno;
        return 1;
    }
    return 0;
}

ssize_t write(int fd, const void *buf, size_t n) {
    static write_fn real;
    if (real == NULL) real = (write_fn)next_symbol("write");
    if (fd > 2 && hit(OP_WRITE)) return -1;
    return real(fd, buf, n);
}

int rename(const char *a, const char *b) {
    static rename_fn real;
    if (real == NULL) real = (rename_fn)next_symbol("rename");
    if (hit(OP_RENAME)) return -1;
    return real(a, b);
}

int renameat2(int fa, const char *a, int fb, const char *b, unsigned flags) {
    static renameat2_fn real;
    if (real == NULL) real = (renameat2_fn)next_symbol("renameat2");
    if (hit(OP_RENAMEAT2)) return -1;
    return real(fa, a, fb, b, flags);
}

int fsync(int fd) {
    static fsync_fn real;
    if (real == NULL) real = (fsync_fn)next_symbol("fsync");
    if (hit(OP_FSYNC)) return -1;
    return real(fd);
}

int link(const char *a, const char *b) {
    static rename_fn real;
    if (real == NULL) real = (rename_fn)next_symbol("link");
    if (hit(OP_LINK)) return -1;
    return real(a, b);
}
