/* llmdata/filter.h — document quality filters: length bounds, C4 rules, Gopher rules.
 *
 * Rules (each with its own counter, LLMD_FRULE_*):
 *   length       LEN_MIN / LEN_MAX: document bytes outside [min_bytes, max_bytes].
 *   C4 (Raffel et al. 2020, the TFDS c4 "clean_page" rules), applied line by line (lines split on
 *   '\n', trimmed of ASCII whitespace; empty lines are dropped silently):
 *     C4_LINE_TERMINAL   line removed: does not end in '.', '!', '?' or '"', or ends in "..."
 *     C4_LINE_WORDS      line removed: fewer than 3 whitespace-separated words (checked after
 *                        the end mark, as TFDS does, so a line counts under one rule only)
 *     C4_LINE_JAVASCRIPT line removed: contains "javascript" (ASCII case-insensitive)
 *     C4_LOREM_IPSUM     document dropped: contains "lorem ipsum" (case-insensitive)
 *     C4_CURLY_BRACE     document dropped: contains '{'
 *     C4_BAD_WORDS       document dropped: a word (lower-cased, ASCII punctuation stripped at both
 *                        ends) is on the bad-words list (bundled: a small English list drawn from
 *                        LDNOOBW, CC-BY-4.0 — lib/filter/badwords_en.h; or one word per line from
 *                        bad_words_file)
 *     C4_SENTENCES       document dropped: fewer than 5 sentences in the kept lines (a sentence
 *                        ends at '.', '!' or '?' followed by whitespace or the end)
 *     C4_EMPTY           document dropped: no line survived
 *   Gopher (Rae et al. 2021, "quality filters"), on the text after the C4 line removal:
 *     GOPHER_WORDS       word count outside 50..100000
 *     GOPHER_WORD_LEN    mean word length (bytes, punctuation stripped) outside 3..10
 *     GOPHER_SYMBOLS     '#' count / words > 0.1, or "..." (and U+2026) count / words > 0.1
 *     GOPHER_BULLETS     more than 90% of lines start with a bullet (-, *, U+2022, U+25CF)
 *     GOPHER_ELLIPSIS    more than 30% of lines end with "..." or U+2026
 *     GOPHER_STOP_WORDS  fewer than 2 occurrences of the, be, to, of, and, that, have, with
 *     GOPHER_ALPHA       fewer than 80% of words contain an ASCII or non-ASCII letter
 * Document-level rules run in this order: length, lorem ipsum, curly brace, bad words (these three
 * on the original text), empty, sentences, then the Gopher rules; the first that fails is the
 * reason.  Words are runs of non-whitespace; for word length, stop words and bad words, ASCII
 * punctuation is stripped at both ends; a word "contains a letter" if it has an ASCII letter or any
 * non-ASCII byte.
 *
 * Thread safety: a llmd_filter is immutable after llmd_filter_new; any number of threads may use
 * it at once. */
#ifndef LLMDATA_FILTER_H
#define LLMDATA_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum llmd_filter_rule {
    LLMD_FRULE_LEN_MIN = 0,
    LLMD_FRULE_LEN_MAX,
    LLMD_FRULE_C4_LINE_TERMINAL,
    LLMD_FRULE_C4_LINE_WORDS,
    LLMD_FRULE_C4_LINE_JAVASCRIPT,
    LLMD_FRULE_C4_LOREM_IPSUM,
    LLMD_FRULE_C4_CURLY_BRACE,
    LLMD_FRULE_C4_BAD_WORDS,
    LLMD_FRULE_C4_SENTENCES,
    LLMD_FRULE_C4_EMPTY,
    LLMD_FRULE_GOPHER_WORDS,
    LLMD_FRULE_GOPHER_WORD_LEN,
    LLMD_FRULE_GOPHER_SYMBOLS,
    LLMD_FRULE_GOPHER_BULLETS,
    LLMD_FRULE_GOPHER_ELLIPSIS,
    LLMD_FRULE_GOPHER_STOP_WORDS,
    LLMD_FRULE_GOPHER_ALPHA,
    LLMD_FRULE_COUNT
} llmd_filter_rule;

/* Stable snake_case name of a rule ("c4_bad_words"), NULL for unknown values.  Thread-safe. */
LLMD_API const char *llmd_filter_rule_name(int rule);

typedef struct llmd_filter_options {
    unsigned version;            /* LLMD_FILTER_OPTIONS_VERSION */
    uint64_t min_bytes;          /* 0 = no lower bound (default 0) */
    uint64_t max_bytes;          /* 0 = no upper bound (default 0) */
    int c4;                      /* apply the C4 rules (default 1) */
    int gopher;                  /* apply the Gopher rules (default 1) */
    const char *bad_words_file;  /* NULL = bundled list; read at llmd_filter_new */
} llmd_filter_options;
#define LLMD_FILTER_OPTIONS_VERSION 1
#define LLMD_FILTER_OPTIONS_INIT {LLMD_FILTER_OPTIONS_VERSION, 0, 0, 1, 1, NULL}

/* Fills *opts with the defaults above.  Thread-safe. */
LLMD_API void llmd_filter_options_init(llmd_filter_options *opts);

typedef struct llmd_filter llmd_filter;

/* Builds a filter.  opts NULL = defaults.  Errors: LLMD_ERR_VERSION, LLMD_ERR_INVALID_ARG
 * (min_bytes > max_bytes), LLMD_ERR_IO / LLMD_ERR_NOT_FOUND (bad_words_file), LLMD_ERR_NOMEM.
 * Free with llmd_filter_free. */
LLMD_API llmd_status llmd_filter_new(llmd_filter **out, const llmd_filter_options *opts);
LLMD_API void llmd_filter_free(llmd_filter *f);

/* Outcome for one document. */
typedef struct llmd_filter_result {
    int keep;                                 /* 1 kept, 0 dropped */
    int reason;                               /* rule that dropped it, or -1 */
    uint32_t lines_removed[LLMD_FRULE_COUNT]; /* C4 line rules: lines removed per rule */
    char *text;                               /* kept text when lines were removed (NUL-terminated,
                                               * free with llmd_free), else NULL: keep the input */
    size_t len;                               /* length of text (when text != NULL) */
} llmd_filter_result;

/* Applies the filter to one document.  *res is overwritten (its old text is not freed).
 * Thread-safe (f is shared read-only).  Errors: LLMD_ERR_INVALID_ARG, LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_filter_apply(const llmd_filter *f, const char *text, size_t len,
                                       llmd_filter_result *res);

/* Applies the filter to n documents on up to `threads` threads (0 = one per CPU); results[i] as
 * llmd_filter_apply.  On error every text already allocated in results is freed and set NULL. */
LLMD_API llmd_status llmd_filter_batch(const llmd_filter *f, const char *const *texts, const size_t *lens,
                                       size_t n, unsigned threads, llmd_filter_result *results);

/* Per-rule counters a caller accumulates over results. */
typedef struct llmd_filter_counts {
    uint64_t docs_in, docs_kept, docs_modified;
    uint64_t docs_dropped[LLMD_FRULE_COUNT];
    uint64_t lines_removed[LLMD_FRULE_COUNT];
} llmd_filter_counts;

/* Adds one result to the counters (plain arithmetic; no locking).  NULL arguments are ignored. */
LLMD_API void llmd_filter_counts_add(llmd_filter_counts *counts, const llmd_filter_result *res);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_FILTER_H */
