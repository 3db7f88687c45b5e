/*
 * llmdata/common.h — status codes, error messages, versions, allocator hooks.
 *
 * Every other llmdata header includes this one.  Conventions used throughout the API:
 *  - Functions return an llmd_status; LLMD_OK (0) is success, every error is negative.
 *  - On error, llmd_last_error() returns a message naming the problem (file, line or byte offset,
 *    field).  The message is thread-local: read it on the same OS thread, before the next llmdata
 *    call on that thread.
 *  - Argument order: constructors write the new object through an out parameter placed first
 *    (`llmd_x_new(&out, ..., opts)`), and every object has a matching _free() that accepts NULL.
 *    Every other call takes the object first, then its inputs, then options/flags, and its results
 *    last (`llmd_tokenizer_encode(tok, text, len, flags, &ids, &n, ...)`,
 *    `llmd_exact_hash(text, len, flags, out)`).
 *  - Unless a function says otherwise, an object may be used by one thread at a time.
 *  - Options structs start with `unsigned version`; initialise them with the matching _INIT macro
 *    or _options_init() function.  Passing NULL options means defaults.
 */
#ifndef LLMDATA_COMMON_H
#define LLMDATA_COMMON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#  if defined(LLMD_BUILDING)
#    define LLMD_API __declspec(dllexport)
#  else
#    define LLMD_API
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define LLMD_API __attribute__((visibility("default")))
#else
#  define LLMD_API
#endif

#if defined(__GNUC__) || defined(__clang__)
#  define LLMD_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
#  define LLMD_DEPRECATED(msg)
#endif

/* Version of the headers.  Compare with llmd_version_number() to check that the headers and the
 * linked library agree. */
#define LLMD_VERSION_MAJOR 0
#define LLMD_VERSION_MINOR 2
#define LLMD_VERSION_PATCH 0
#define LLMD_VERSION_NUMBER (LLMD_VERSION_MAJOR * 10000 + LLMD_VERSION_MINOR * 100 + LLMD_VERSION_PATCH)
#define LLMD_VERSION_STRING "0.2.0"

/* Status codes.  Values are stable ABI: never renumbered. */
typedef enum llmd_status {
    LLMD_OK = 0,                   /* success */
    LLMD_ERR_INVALID_ARG = -1,     /* a NULL where an object is required, a value out of its domain */
    LLMD_ERR_NOMEM = -2,           /* an allocation failed */
    LLMD_ERR_IO = -3,              /* a read, write, open, rename or fsync failed (errno in the message) */
    LLMD_ERR_PARSE = -4,           /* malformed input: JSON, a file format, a pattern (offset in the message) */
    LLMD_ERR_UTF8 = -5,            /* invalid UTF-8 where the options ask for strict input */
    LLMD_ERR_UNSUPPORTED = -6,     /* a valid input that uses a feature this version does not implement */
    LLMD_ERR_NOT_FOUND = -7,       /* a named item (token, field, file, version) does not exist */
    LLMD_ERR_RANGE = -8,           /* a number out of range: an id beyond the vocabulary, a size over a limit */
    LLMD_ERR_CORRUPT = -9,         /* a file we wrote earlier fails its checks (magic, checksum, length) */
    LLMD_ERR_STATE = -10,          /* a call made in the wrong order, or on a finished/failed object */
    LLMD_ERR_CONFLICT = -11,       /* a concurrent writer won (e.g. a commit version already exists) */
    LLMD_ERR_SCHEMA = -12,         /* data does not match the declared schema */
    LLMD_ERR_VERSION = -13,        /* an options struct or file of a version this library does not know */
    LLMD_ERR_TRUNCATED = -14,      /* a caller buffer is too small; the needed size was reported */
    LLMD_ERR_INTERNAL = -15        /* a bug in llmdata: please report it with the message */
} llmd_status;

/* Short constant name of a status ("LLMD_ERR_PARSE"), never NULL; "LLMD_UNKNOWN" for unknown values.
 * Thread-safe. */
LLMD_API const char *llmd_status_str(llmd_status status);

/* Message describing the most recent error on the calling OS thread ("" if none).  The pointer stays
 * valid until the next llmdata call on this thread; copy it to keep it.  Thread-safe (thread-local). */
LLMD_API const char *llmd_last_error(void);

/* Status code of the most recent error on the calling thread (LLMD_OK if none). */
LLMD_API llmd_status llmd_last_error_status(void);

/* Forget the calling thread's last error. */
LLMD_API void llmd_clear_error(void);

/* Version of the linked library: "MAJOR.MINOR.PATCH" and MAJOR*10000+MINOR*100+PATCH.  Thread-safe. */
LLMD_API const char *llmd_version(void);
LLMD_API unsigned llmd_version_number(void);

/* Allocator hooks.  All memory the library allocates goes through these.  Set them once, before any
 * other llmdata call, from one thread; passing NULL restores malloc/realloc/free.  realloc_fn may
 * be NULL (then malloc+copy+free is used).  Not thread-safe with respect to other llmdata calls. */
typedef struct llmd_allocator {
    unsigned version;                                     /* LLMD_ALLOCATOR_VERSION */
    void *(*malloc_fn)(void *ctx, size_t size);
    void *(*realloc_fn)(void *ctx, void *ptr, size_t old_size, size_t new_size);
    void (*free_fn)(void *ctx, void *ptr);
    void *ctx;
} llmd_allocator;
#define LLMD_ALLOCATOR_VERSION 1
LLMD_API llmd_status llmd_set_allocator(const llmd_allocator *allocator);

/* Frees memory that llmdata allocated and handed to the caller (results documented as "free with
 * llmd_free").  Accepts NULL. */
LLMD_API void llmd_free(void *ptr);

/* Removes every temp file the library is writing at this moment (outputs not yet published:
 * `<name>.tmp.<pid>.<n>`).  Async-signal-safe: meant for a program's SIGINT/SIGTERM handler, which
 * then exits (the objects that were writing are not usable afterwards).  Published files and inputs
 * are never touched.  A program that never calls it loses nothing: temp files are also removed by
 * every failing or freed writer. */
LLMD_API void llmd_remove_temp_files(void);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_COMMON_H */
