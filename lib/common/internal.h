/*
 * Internal helpers shared by every module (never installed).  Modules include this plus the public
 * headers of other modules; nothing else crosses module boundaries.
 */
#ifndef LLMD_INTERNAL_H
#define LLMD_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "llmdata/common.h"

#if defined(__GNUC__)
#  define LLMD_PRINTF(f, a) __attribute__((format(printf, f, a)))
#  define LLMD_LIKELY(x) __builtin_expect(!!(x), 1)
#  define LLMD_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#  define LLMD_PRINTF(f, a)
#  define LLMD_LIKELY(x) (x)
#  define LLMD_UNLIKELY(x) (x)
#endif

/* ---- errors (error.c) ---------------------------------------------------------------------- */
/* Records status + formatted message as the thread's last error and returns status, so that
 * error paths read `return llmd_fail(LLMD_ERR_PARSE, "%s: line %zu: ...", path, line);`. */
llmd_status llmd_fail(llmd_status status, const char *fmt, ...) LLMD_PRINTF(2, 3);
llmd_status llmd_failv(llmd_status status, const char *fmt, va_list ap);
/* Shorthand for allocation failures: "out of memory while <what>". */
llmd_status llmd_fail_nomem(const char *what);
/* Prefixes the current thread's last error message with "<prefix>: " (keeps its status); returns it. */
llmd_status llmd_error_prefix(const char *fmt, ...) LLMD_PRINTF(1, 2);

/* ---- allocation (alloc.c): every library allocation goes through these ----------------------- */
void *llmd_malloc(size_t size);
void *llmd_calloc(size_t count, size_t size);       /* overflow-checked, zeroed */
void *llmd_realloc(void *ptr, size_t old_size, size_t new_size);
/* llmd_free() is public (common.h). */
char *llmd_strndup(const char *s, size_t n);         /* NUL-terminated copy of n bytes */
char *llmd_strdup(const char *s);
/* Checked size arithmetic: false on overflow. */
static inline bool llmd_mul_ok(size_t a, size_t b, size_t *out) {
    return !__builtin_mul_overflow(a, b, out);
}
static inline bool llmd_add_ok(size_t a, size_t b, size_t *out) {
    return !__builtin_add_overflow(a, b, out);
}

/* ---- growable byte buffer (buf.c) ---------------------------------------------------------- */
typedef struct llmd_buf {
    char *data;   /* always NUL-terminated when cap > 0 (the NUL is not counted in len) */
    size_t len;
    size_t cap;
} llmd_buf;
#define LLMD_BUF_INIT {NULL, 0, 0}
llmd_status llmd_buf_reserve(llmd_buf *b, size_t extra);  /* room for len+extra+1 bytes */
llmd_status llmd_buf_append(llmd_buf *b, const void *data, size_t n);
llmd_status llmd_buf_putc(llmd_buf *b, char c);
llmd_status llmd_buf_puts(llmd_buf *b, const char *s);
llmd_status llmd_buf_printf(llmd_buf *b, const char *fmt, ...) LLMD_PRINTF(2, 3);
/* Appends s as a JSON string literal (quotes included), escaping per RFC 8259; NUL bytes become
 * \u0000, invalid UTF-8 bytes are emitted as U+FFFD so the output is always valid JSON. */
llmd_status llmd_buf_put_json_string(llmd_buf *b, const char *s, size_t n);
void llmd_buf_reset(llmd_buf *b);                        /* len = 0, keeps memory */
void llmd_buf_free(llmd_buf *b);
/* Hands the buffer's memory to the caller (free with llmd_free); leaves b empty. */
char *llmd_buf_detach(llmd_buf *b, size_t *len);

/* ---- UTF-8 (utf8.c) ------------------------------------------------------------------------- */
/* Decodes one code point at s[0..n); returns its length (1..4) and stores it in *cp, or returns
 * 0 for an invalid/truncated sequence (overlongs, surrogates and > U+10FFFF are invalid). */
size_t llmd_utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);
/* Encodes cp (<= U+10FFFF) into out[4]; returns its length. */
size_t llmd_utf8_encode(uint32_t cp, unsigned char out[4]);
/* Offset of the first invalid byte, or n if all of s[0..n) is valid UTF-8. */
size_t llmd_utf8_validate(const unsigned char *s, size_t n);
/* Length (>= 1) of the maximal subpart of the ill-formed sequence at s[0..n), n > 0 (Unicode §3.9):
 * the bytes one U+FFFD replaces. */
size_t llmd_utf8_maximal_subpart(const unsigned char *s, size_t n);
/* Appends s[0..n) to out with each maximal ill-formed subpart replaced by U+FFFD. */
llmd_status llmd_utf8_append_lossy(llmd_buf *out, const unsigned char *s, size_t n);

/* ---- files (file.c) -------------------------------------------------------------------------- */
/* Reads a whole file into memory (NUL-terminated; free with llmd_free). */
llmd_status llmd_read_file(const char *path, char **out, size_t *out_len);

/* ---- publishing files (outfile.c): the one way the library writes a final name --------------- */
/* Bytes go to `<final>.tmp.<pid>.<n>` in the target's directory (created O_EXCL), are fsynced on
 * close, and appear under the final name only at publish, then the directory is fsynced.  A running
 * XXH3-64 checksum and byte count describe the published file (for manifests). */
typedef enum llmd_publish_mode {
    LLMD_PUBLISH_REPLACE,    /* rename(2): replaces an existing file atomically */
    LLMD_PUBLISH_EXCLUSIVE   /* put-if-absent (renameat2 RENAME_NOREPLACE, else link(2)):
                                LLMD_ERR_CONFLICT when the final name exists */
} llmd_publish_mode;
typedef struct llmd_outfile {
    int fd;                  /* -1 once closed */
    char *final_path, *tmp_path;  /* tmp_path NULL once published */
    unsigned char *buf;
    size_t len;
    uint64_t bytes;          /* bytes in the file */
    uint64_t checksum;       /* XXH3-64 (seed 0) of the file's bytes, valid after close/publish */
    bool rewritten;          /* bytes were overwritten in place: checksum recomputed on close */
    struct XXH3_state_s *hash;
} llmd_outfile;
/* Creates the temp file.  On failure *f needs no discard (it is left cleared). */
llmd_status llmd_outfile_open(llmd_outfile *f, const char *final_path);
llmd_status llmd_outfile_write(llmd_outfile *f, const void *data, size_t n);
/* Overwrites bytes already written (e.g. a header patched at the end). */
llmd_status llmd_outfile_pwrite(llmd_outfile *f, uint64_t offset, const void *data, size_t n);
/* Flushes, fsyncs and closes the temp file (not yet visible); sets bytes and checksum. */
llmd_status llmd_outfile_close(llmd_outfile *f);
/* Closes (if open) and publishes under the final name; then fsyncs the directory. */
llmd_status llmd_outfile_publish(llmd_outfile *f, llmd_publish_mode mode);
/* Removes the temp file if not published and frees everything; safe on a cleared or published f. */
void llmd_outfile_discard(llmd_outfile *f);
/* Publishes several closed-or-open files as one unit, in order (put the manifest last).  REPLACE keeps
 * a hard link to each file it replaces until all are published, so a failure part way through puts
 * the earlier files back exactly as they were; EXCLUSIVE removes the ones it had published.  Either
 * way a failed call leaves the final names as they were before it.  Each f still needs discard. */
llmd_status llmd_outfile_publish_all(llmd_outfile *const *files, size_t n, llmd_publish_mode mode);
/* Paths that llmd_remove_temp_files() must also remove (the caller keeps the string alive until it
 * untracks it): complete files inside a staging directory, and the staging directory itself
 * (removed with rmdir after the files, so only when empty). */
void llmd_temp_track_file(char *path);
void llmd_temp_untrack_file(const char *path);
void llmd_temp_track_dir(char *path);
void llmd_temp_untrack_dir(const char *path);
/* fsync of the directory holding path (a rename is durable only after it). */
llmd_status llmd_fsync_parent_dir(const char *path);
/* Whole buffers: replace, or put-if-absent (LLMD_ERR_CONFLICT when path exists). */
llmd_status llmd_write_file_atomic(const char *path, const void *data, size_t n);
llmd_status llmd_write_file_exclusive(const char *path, const void *data, size_t n);

/* ---- manifests (manifest.c): the list of files an output consists of ---------------------------- */
/* Every multi-file output ends with a manifest listing its files by name (a plain file name in the
 * manifest's directory), size in bytes and XXH3-64 (seed 0, 16 lowercase hex digits in JSON), so a
 * reader can tell a complete output from a mix of two runs. */
typedef struct llmd_file_entry {
    char *name;
    uint64_t bytes;
    uint64_t xxh3;
} llmd_file_entry;
typedef struct llmd_file_list {
    llmd_file_entry *v;
    size_t n, cap;
} llmd_file_list;
llmd_status llmd_file_list_add(llmd_file_list *l, const char *name, uint64_t bytes, uint64_t xxh3);
void llmd_file_list_free(llmd_file_list *l);
/* Appends the JSON array [{"name":...,"bytes":N,"xxh3":"16 hex"},...]. */
llmd_status llmd_file_list_json(llmd_buf *b, const llmd_file_list *l);
/* Parses a manifest's text (`what` names it in messages): its "files" array (names must be plain
 * file names: no '/', not "." or "..", no NUL) and, if run_id is not NULL, its "run_id" string
 * (NULL when absent; free with llmd_free).  Errors: LLMD_ERR_CORRUPT naming the problem. */
llmd_status llmd_manifest_parse(const char *json, size_t n, const char *what, llmd_file_list *files,
                                char **run_id);
/* Checks every listed file in dir: it exists, is a regular file, has the listed size and, when
 * checksums is true, the listed XXH3-64.  Errors: LLMD_ERR_CORRUPT naming the file and both values,
 * LLMD_ERR_NOT_FOUND for a missing file, LLMD_ERR_IO. */
llmd_status llmd_manifest_check_files(const char *dir, const llmd_file_list *files, bool checksums,
                                      const char *what);
/* XXH3-64 (seed 0) and size of a whole file. */
llmd_status llmd_file_xxh3(const char *path, uint64_t *xxh3, uint64_t *bytes);
/* A fresh run id: a random (version 4) UUID "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL. */
llmd_status llmd_make_run_id(char out[37]);

/* ---- hashing (hash.c): fixed, documented algorithms so bytes agree across processes ---------- */
uint64_t llmd_hash64(const void *data, size_t n, uint64_t seed);  /* XXH3-64 with seed */
void llmd_hash128(const void *data, size_t n, uint64_t seed, uint8_t out[16]); /* XXH3-128, LE bytes */
/* splitmix64: the project's one documented way to derive a stream of parameters from a seed. */
static inline uint64_t llmd_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}
/* Little-endian stores/loads, independent of the host byte order. */
static inline void llmd_store_le64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t llmd_load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline void llmd_store_le32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t llmd_load_le32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- options versioning ---------------------------------------------------------------------- */
/* Copies a caller's options struct of any known version over defaults: opts==NULL -> defaults.
 * Fails with LLMD_ERR_VERSION for version 0 or a version newer than `current`. `sizes[v-1]` is the
 * struct size at version v. */
llmd_status llmd_options_copy(void *dst, const void *src, const size_t *sizes, unsigned current,
                              const char *what);

/* ---- threads (threads.c) --------------------------------------------------------------------- */
/* Runs fn(arg, i) for i in [0, n) on up to `threads` threads (0 = number of online CPUs), splitting
 * the range into contiguous chunks; returns the first non-OK status by index. */
typedef llmd_status (*llmd_range_fn)(void *arg, size_t begin, size_t end, unsigned worker);
llmd_status llmd_parallel_ranges(size_t n, unsigned threads, llmd_range_fn fn, void *arg);
unsigned llmd_cpu_count(void);
/* Whether the CPU runs AVX2 code (x86-64 with GCC/clang; false elsewhere).  Thread-safe. */
bool llmd_cpu_has_avx2(void);

#endif
