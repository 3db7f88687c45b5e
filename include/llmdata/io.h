/*
 * llmdata/io.h — corpus input/output: streaming line readers (plain, zstd- or gzip-compressed) and a JSON
 * object editor that changes named fields while every other field passes through byte for byte.
 *
 * Thread safety: a reader or a JSON document is used by one thread at a time; distinct objects
 * may be used from different threads at once.
 */
#ifndef LLMDATA_IO_H
#define LLMDATA_IO_H

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Line reader ---------------------------------------------------------------------------- */

typedef struct llmd_reader llmd_reader;

typedef struct llmd_reader_options {
    unsigned version;        /* LLMD_READER_OPTIONS_VERSION */
    size_t max_line_bytes;   /* a longer line fails with LLMD_ERR_RANGE; 0 = 2 GiB */
} llmd_reader_options;
#define LLMD_READER_OPTIONS_VERSION 1
#define LLMD_READER_OPTIONS_INIT {LLMD_READER_OPTIONS_VERSION, 0}

/* Opens `path` for line reading ("-" = standard input).  Zstandard input (any number of frames)
 * and gzip input (any number of members, as `cat a.gz b.gz` makes) are recognised by their magic
 * numbers and decompressed as a stream, whatever the file name; memory stays bounded by the line
 * length however well the data compresses.
 * Errors: LLMD_ERR_NOT_FOUND (no such file), LLMD_ERR_IO, LLMD_ERR_NOMEM, LLMD_ERR_VERSION. */
LLMD_API llmd_status llmd_reader_open(llmd_reader **out, const char *path,
                                      const llmd_reader_options *opts);

/* Like llmd_reader_open on an already open file descriptor; `name` is used in messages.  The
 * reader does not close fd. */
LLMD_API llmd_status llmd_reader_open_fd(llmd_reader **out, int fd, const char *name,
                                         const llmd_reader_options *opts);

/* Reads the next line.  On success *line points to its bytes (without "\n" or "\r\n"; embedded NUL
 * bytes are kept, so use *len) and stays valid until the next call; at end of input *line is NULL
 * and *len 0.  A last line without a final newline is returned as a line.
 * Errors: LLMD_ERR_IO, LLMD_ERR_CORRUPT (bad zstd/gzip data, truncated frame or member), LLMD_ERR_RANGE (line over
 * max_line_bytes), LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_reader_next_line(llmd_reader *r, const char **line, size_t *len);

/* 1-based number of the line last returned (0 before the first). */
LLMD_API uint64_t llmd_reader_line_number(const llmd_reader *r);
/* Bytes consumed from the file (compressed bytes for zstd input) and bytes of text produced. */
LLMD_API uint64_t llmd_reader_bytes_in(const llmd_reader *r);
LLMD_API uint64_t llmd_reader_bytes_out(const llmd_reader *r);
/* Size of the underlying file if it is a regular file, else 0 (for progress display). */
LLMD_API uint64_t llmd_reader_file_size(const llmd_reader *r);
/* Non-zero when the input is zstd-compressed / gzip-compressed. */
LLMD_API int llmd_reader_is_zstd(const llmd_reader *r);
LLMD_API int llmd_reader_is_gzip(const llmd_reader *r);

LLMD_API void llmd_reader_free(llmd_reader *r);

/* ---- JSON object documents (one JSONL line) ---------------------------------------------- */

typedef struct llmd_json_doc llmd_json_doc;

LLMD_API llmd_status llmd_json_doc_new(llmd_json_doc **out);
LLMD_API void llmd_json_doc_free(llmd_json_doc *doc);

/* Parses one JSON text that must be an object (RFC 8259, strict: UTF-8, no trailing commas, no
 * comments, nesting depth <= 512; surrounding whitespace allowed).  The bytes are copied.  Clears
 * earlier edits.  Errors: LLMD_ERR_PARSE with the byte offset and what was expected,
 * LLMD_ERR_UTF8 with the byte offset, LLMD_ERR_SCHEMA if the value is not an object. */
LLMD_API llmd_status llmd_json_doc_parse(llmd_json_doc *doc, const char *json, size_t len);

/* Decoded string value of top-level member `key` (the last one if repeated).  *value is owned by
 * doc, valid until the next parse/free, NUL-terminated, and may contain NUL bytes (use *len).
 * Unpaired \u surrogate escapes decode to U+FFFD.
 * Errors: LLMD_ERR_NOT_FOUND (no such member), LLMD_ERR_SCHEMA (not a string). */
LLMD_API llmd_status llmd_json_doc_get_string(llmd_json_doc *doc, const char *key,
                                              const char **value, size_t *len);

/* Raw JSON text of member `key`'s value as it stands in the input (not NUL-terminated).
 * Errors: LLMD_ERR_NOT_FOUND. */
LLMD_API llmd_status llmd_json_doc_get_raw(const llmd_json_doc *doc, const char *key,
                                           const char **raw, size_t *len);

/* Sets member `key` to a string (bytes copied; invalid UTF-8 bytes become U+FFFD), or to a raw JSON
 * value (validated; LLMD_ERR_PARSE if it is not one JSON value).  An existing member keeps its
 * position; a new one is appended.  Edits show in llmd_json_doc_render(). */
LLMD_API llmd_status llmd_json_doc_set_string(llmd_json_doc *doc, const char *key,
                                              const char *value, size_t len);
LLMD_API llmd_status llmd_json_doc_set_raw(llmd_json_doc *doc, const char *key,
                                           const char *raw_json, size_t len);
/* Removes member `key` if present (not an error if absent). */
LLMD_API llmd_status llmd_json_doc_remove(llmd_json_doc *doc, const char *key);

/* The object with all edits applied: members not edited keep their exact bytes (key and value);
 * members are separated by "," and the object has no surrounding whitespace or newline.  *out is
 * owned by doc and valid until the next call on doc. */
LLMD_API llmd_status llmd_json_doc_render(llmd_json_doc *doc, const char **out, size_t *len);

/* ---- Output files published in one step ------------------------------------------------------ */

/* An output file that appears under its name only when complete: bytes go to a temporary file
 * `PATH.tmp.<pid>.<n>` in the same directory (removed by llmd_remove_temp_files() from a signal
 * handler, and by llmd_output_free), are fsynced, and llmd_output_commit renames it to PATH (then
 * fsyncs the directory).  A run that fails or is killed never leaves a half-written PATH, and the
 * previous content of PATH stays until the commit replaces it whole.  One thread at a time. */
typedef struct llmd_output llmd_output;

typedef struct llmd_output_options {
    unsigned version;   /* LLMD_OUTPUT_OPTIONS_VERSION */
    int exclusive;      /* 1: commit fails with LLMD_ERR_CONFLICT when PATH exists (put-if-absent);
                         * 0 (default): commit replaces PATH */
} llmd_output_options;
#define LLMD_OUTPUT_OPTIONS_VERSION 1
#define LLMD_OUTPUT_OPTIONS_INIT {LLMD_OUTPUT_OPTIONS_VERSION, 0}

/* Creates the temporary file for PATH.  Errors: LLMD_ERR_INVALID_ARG (empty path, a path ending in
 * '/'), LLMD_ERR_IO (the directory is missing or not writable, with errno), LLMD_ERR_VERSION,
 * LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_output_open(llmd_output **out, const char *path, const llmd_output_options *opts);
/* Appends n bytes (buffered).  Errors: LLMD_ERR_IO (e.g. "File too large" under a file-size limit,
 * "No space left on device"), LLMD_ERR_STATE after commit. */
LLMD_API llmd_status llmd_output_write(llmd_output *o, const void *data, size_t n);
/* Flushes, fsyncs and publishes under PATH.  Errors: LLMD_ERR_IO, LLMD_ERR_CONFLICT (exclusive),
 * LLMD_ERR_STATE (committed twice).  After an error PATH is unchanged. */
LLMD_API llmd_status llmd_output_commit(llmd_output *o);
/* Bytes written so far. */
LLMD_API uint64_t llmd_output_bytes(const llmd_output *o);
/* Frees; an output not committed is discarded (its temporary file removed).  NULL ok. */
LLMD_API void llmd_output_free(llmd_output *o);

#ifdef __cplusplus
}
#endif
#endif
