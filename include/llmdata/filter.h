/* llmdata/filter.h — document quality filters that decide as datatrove's do.
 *
 * Filters (names as in llmd_filter_options.filters, applied in the order listed there; the first
 * that removes a document is its reason; C4 rewrites the text that later filters see):
 *   c4                 datatrove C4QualityFilter (TFDS c4_utils clean_page): per line (Python
 *                      str.splitlines, stripped): lines with a word over c4_max_word_length chars,
 *                      then citation markers "[1]" "[edit]" "[citation needed]" removed, lines not
 *                      ending in . ? ! " ' (or ending in "..."), lines of fewer than
 *                      c4_min_words_per_line words, lines containing "javascript" or a policy phrase
 *                      ("terms of use", "privacy policy", "cookie policy", "uses cookies",
 *                      "use of cookies", "use cookies") are removed; a kept line containing
 *                      "lorem ipsum" or '{' drops the document; fewer than c4_min_num_sentences
 *                      sentences over the kept lines (the sentence splitter below) drops it.  The
 *                      kept lines, joined by '\n' and stripped, become the text.
 *   badwords           datatrove C4BadWordsFilter: the document (lower-cased as Python's
 *                      str.lower) is dropped when an entry of the LDNOOBW list of its language
 *                      occurs flanked by non-word characters (\W) or the text's ends -- entries of
 *                      several words included; for ja, th, zh anywhere.  Lists bundled for ar cs
 *                      da de en eo es fa fi fil fr fr-CA-u-sd-caqc hi hu it ja kab ko nl no pl pt
 *                      ru sv th tlh tr zh (CC-BY-4.0, lib/filter/badwords/LICENSE).  The language is
 *                      the one the `language` filter found earlier in the list, else
 *                      badwords_default_language; a language without a list keeps the document
 *                      (datatrove's fail_on_missing_language=False).
 *   gopher             datatrove GopherQualityFilter (Rae et al. 2021), on word tokens.
 *   gopher-repetition  datatrove GopherRepetitionFilter: duplicate paragraph / line fractions and
 *                      character fractions, top n-gram and duplicate n-gram character fractions.
 *   fineweb            datatrove FineWebQualityFilter: line punctuation ratio, short-line ratio,
 *                      duplicated-line character ratio, newline-to-word ratio.
 *   language           datatrove LanguageFilter: a caller-supplied predictor (fastText-style)
 *                      scores the text with newlines replaced by spaces; kept when a wanted
 *                      language (all when `languages` is NULL) scores above language_threshold.
 * Before the list, documents outside [min_bytes, max_bytes] are dropped (len_min / len_max).
 *
 * Word tokens (gopher, gopher-repetition, fineweb) and sentences (c4) follow datatrove's
 * NLTKTokenizer: nltk.word_tokenize = Punkt sentence splitting, then NLTK's improved Treebank word
 * tokenizer (punctuation split off, "don't" -> "do" "n't", '"' -> `` / '').  The Punkt splitter
 * runs with no trained parameters (the English punkt model is not available to this build; see
 * lib/filter/words.h), so it splits after every period-final word except initials and numbers
 * followed by a lower-case word.  Lengths count characters (code points), as Python's len().
 * Parameters carry datatrove's names and defaults; for gopher and gopher-repetition 0 disables a
 * check (as datatrove's falsy test), for c4 -1 disables a count.
 *
 * Thread safety: a llmd_filter is immutable after llmd_filter_new; any number of threads may use
 * it at once (the language predictor must then be thread-safe too).  A llmd_filter_stats may be
 * used by one thread at a time. */
#ifndef LLMDATA_FILTER_H
#define LLMDATA_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reasons.  New rules are added at the end; nothing public is sized by the number of rules
 * (llmd_filter_rule_count() gives it at run time). */
typedef enum llmd_filter_rule {
    LLMD_FRULE_NONE = -1,                /* kept */
    LLMD_FRULE_LEN_MIN = 0,
    LLMD_FRULE_LEN_MAX,
    /* c4: line rules (lines removed, counted per rule) */
    LLMD_FRULE_C4_LINE_TOO_LONG_WORD,
    LLMD_FRULE_C4_LINE_NO_TERMINAL_PUNCT,
    LLMD_FRULE_C4_LINE_TOO_FEW_WORDS,
    LLMD_FRULE_C4_LINE_JAVASCRIPT,
    LLMD_FRULE_C4_LINE_POLICY,
    /* c4: document rules */
    LLMD_FRULE_C4_LOREM_IPSUM,
    LLMD_FRULE_C4_CURLY_BRACKET,
    LLMD_FRULE_C4_TOO_FEW_SENTENCES,
    /* badwords */
    LLMD_FRULE_BADWORDS,
    /* gopher */
    LLMD_FRULE_GOPHER_SHORT_DOC,
    LLMD_FRULE_GOPHER_LONG_DOC,
    LLMD_FRULE_GOPHER_BELOW_AVG_WORD_LENGTH,
    LLMD_FRULE_GOPHER_ABOVE_AVG_WORD_LENGTH,
    LLMD_FRULE_GOPHER_TOO_MANY_HASHES,
    LLMD_FRULE_GOPHER_TOO_MANY_ELLIPSIS,
    LLMD_FRULE_GOPHER_TOO_MANY_BULLETS,
    LLMD_FRULE_GOPHER_TOO_MANY_END_ELLIPSIS,
    LLMD_FRULE_GOPHER_BELOW_ALPHA_THRESHOLD,
    LLMD_FRULE_GOPHER_ENOUGH_STOP_WORDS,
    /* gopher-repetition */
    LLMD_FRULE_REP_DUP_PARA_FRAC,
    LLMD_FRULE_REP_DUP_PARA_CHAR_FRAC,
    LLMD_FRULE_REP_DUP_LINE_FRAC,
    LLMD_FRULE_REP_DUP_LINE_CHAR_FRAC,
    LLMD_FRULE_REP_TOP_NGRAM,
    LLMD_FRULE_REP_DUP_NGRAM,
    /* fineweb */
    LLMD_FRULE_FINEWEB_EMPTY,
    LLMD_FRULE_FINEWEB_LINE_PUNCT_RATIO,
    LLMD_FRULE_FINEWEB_SHORT_LINE_RATIO,
    LLMD_FRULE_FINEWEB_CHAR_DUP_RATIO,
    LLMD_FRULE_FINEWEB_LIST_RATIO,
    /* language */
    LLMD_FRULE_LANGUAGE
} llmd_filter_rule;

/* Number of rules of this library build (rules are 0 .. count-1).  Thread-safe. */
LLMD_API int llmd_filter_rule_count(void);

/* Stable snake_case name of a rule ("c4_too_few_sentences", "gopher_short_doc", ...), NULL for
 * values outside 0 .. count-1.  Thread-safe. */
LLMD_API const char *llmd_filter_rule_name(llmd_filter_rule rule);

/* Name of the filter a rule belongs to ("length", "c4", "badwords", "gopher",
 * "gopher-repetition", "fineweb", "language"), NULL when out of range.  Thread-safe. */
LLMD_API const char *llmd_filter_rule_filter(llmd_filter_rule rule);

/* One language prediction: label without fastText's "__label__" prefix, and its probability. */
typedef struct llmd_filter_lang_pred {
    char label[32];
    double score;
} llmd_filter_lang_pred;

/* Language predictor: writes the k best predictions (highest score first) of text[0..len) to
 * out[0..*n_out), *n_out <= k.  The text has its newlines replaced by spaces already.  Must be
 * thread-safe when the filter is used from several threads.  Returns LLMD_OK or an error (with
 * llmd_last_error set), which llmd_filter_apply passes on. */
typedef llmd_status (*llmd_filter_lang_fn)(void *ctx, const char *text, size_t len, size_t k,
                                           llmd_filter_lang_pred *out, size_t *n_out);

/* An n-gram size and its threshold (gopher-repetition top_n_grams / dup_n_grams). */
typedef struct llmd_filter_ngram_limit {
    unsigned n;
    double frac;
} llmd_filter_ngram_limit;

typedef struct llmd_filter_options {
    unsigned version;                  /* LLMD_FILTER_OPTIONS_VERSION */
    const char *filters;               /* ordered, comma-separated; NULL = "c4,badwords,gopher" */
    uint64_t min_bytes;                /* 0 = no lower bound */
    uint64_t max_bytes;                /* 0 = no upper bound */
    /* c4 (datatrove C4QualityFilter) */
    int c4_remove_citations;           /* 1 */
    int c4_filter_no_terminal_punct;   /* 1 */
    int c4_min_num_sentences;          /* 5; -1 disables */
    int c4_min_words_per_line;         /* 3; -1 disables */
    int c4_max_word_length;            /* 1000; -1 disables */
    int c4_filter_lorem_ipsum;         /* 1 */
    int c4_filter_javascript;          /* 1 */
    int c4_filter_curly_bracket;       /* 1 */
    int c4_filter_policy;              /* 1 */
    /* badwords (datatrove C4BadWordsFilter) */
    const char *badwords_default_language; /* "en" */
    const char *bad_words_file;        /* NULL = bundled lists; else one entry per line, used for
                                        * every language (word-boundary matching) */
    /* gopher (datatrove GopherQualityFilter); 0 disables a check */
    int gopher_min_doc_words;          /* 50 */
    int gopher_max_doc_words;          /* 100000 */
    double gopher_min_avg_word_length; /* 3 */
    double gopher_max_avg_word_length; /* 10 */
    double gopher_max_symbol_word_ratio;     /* 0.1 */
    double gopher_max_bullet_lines_ratio;    /* 0.9 */
    double gopher_max_ellipsis_lines_ratio;  /* 0.3 */
    double gopher_max_non_alpha_words_ratio; /* 0.8 (the minimum share of words with a letter) */
    int gopher_min_stop_words;         /* 2 (distinct, case-sensitive: the be to of and that have with) */
    /* gopher-repetition (datatrove GopherRepetitionFilter); 0 disables a check */
    double rep_dup_line_frac;          /* 0.3 */
    double rep_dup_para_frac;          /* 0.3 */
    double rep_dup_line_char_frac;     /* 0.2 */
    double rep_dup_para_char_frac;     /* 0.2 */
    const llmd_filter_ngram_limit *rep_top_n_grams; /* NULL = {2,0.2},{3,0.18},{4,0.16} */
    size_t rep_n_top_n_grams;
    const llmd_filter_ngram_limit *rep_dup_n_grams; /* NULL = {5,0.15},{6,0.14},...,{10,0.10} */
    size_t rep_n_dup_n_grams;
    /* fineweb (datatrove FineWebQualityFilter) */
    double fineweb_line_punct_thr;     /* 0.12 */
    int fineweb_line_punct_exclude_zero; /* 0 */
    double fineweb_short_line_thr;     /* 0.67 */
    int fineweb_short_line_length;     /* 30 */
    double fineweb_char_duplicates_ratio; /* 0.01 */
    double fineweb_new_line_ratio;     /* 0.3 */
    /* language (datatrove LanguageFilter) */
    const char *languages;             /* comma-separated labels ("en,fr"); NULL = any */
    double language_threshold;         /* 0.65 */
    llmd_filter_lang_fn language_predict; /* NULL: the fastText model below predicts */
    void *language_ctx;                /* passed to language_predict */
    /* version 3 */
    const char *language_model;        /* fastText model (.ftz/.bin) for the language filter when
                                        * language_predict is NULL; NULL = the bundled lid.176.ftz
                                        * (llmd_langid_default_model_path()) */
} llmd_filter_options;
#define LLMD_FILTER_OPTIONS_VERSION 3
#define LLMD_FILTER_OPTIONS_INIT                                                                       \
    {LLMD_FILTER_OPTIONS_VERSION, NULL, 0, 0, 1, 1, 5, 3, 1000, 1, 1, 1, 1, "en", NULL, 50, 100000, 3, 10, \
     0.1, 0.9, 0.3, 0.8, 2, 0.3, 0.3, 0.2, 0.2, NULL, 0, NULL, 0, 0.12, 0, 0.67, 30, 0.01, 0.3, NULL,     \
     0.65, NULL, NULL, NULL}

/* Fills *opts with the defaults above.  Thread-safe. */
LLMD_API void llmd_filter_options_init(llmd_filter_options *opts);

typedef struct llmd_filter llmd_filter;

/* Builds a filter.  opts NULL = defaults.  Strings in opts are copied.  Errors: LLMD_ERR_VERSION,
 * LLMD_ERR_INVALID_ARG (unknown filter name, min_bytes > max_bytes, "language" without a
 * predictor or a loadable fastText model (the message names the model file), a default language without a bad-words list, an n-gram size of 0), LLMD_ERR_IO /
 * LLMD_ERR_NOT_FOUND (bad_words_file), LLMD_ERR_NOMEM.  Free with llmd_filter_free. */
LLMD_API llmd_status llmd_filter_new(llmd_filter **out, const llmd_filter_options *opts);
/* Frees f; NULL is ignored. */
LLMD_API void llmd_filter_free(llmd_filter *f);

/* Outcome for one document. */
typedef struct llmd_filter_result {
    int keep;                   /* 1 kept, 0 dropped */
    llmd_filter_rule reason;    /* rule that dropped it, LLMD_FRULE_NONE when kept */
    char *text;                 /* rewritten text when a filter changed it (NUL-terminated, free with
                                 * llmd_free), else NULL: keep the input.  NULL for dropped docs. */
    size_t len;                 /* length of text (when text != NULL) */
    char language[32];          /* predicted language when the language filter ran, else "" */
    double language_score;      /* its score (0 when it did not run) */
} llmd_filter_result;

/* Per-rule counters (opaque: counts for rules added later need no new layout). */
typedef struct llmd_filter_stats llmd_filter_stats;

/* Creates empty counters.  Errors: LLMD_ERR_INVALID_ARG, LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_filter_stats_new(llmd_filter_stats **out);
/* Frees s; NULL is ignored. */
LLMD_API void llmd_filter_stats_free(llmd_filter_stats *s);
/* Adds src's counts to dst.  NULL arguments are ignored. */
LLMD_API void llmd_filter_stats_merge(llmd_filter_stats *dst, const llmd_filter_stats *src);
/* Documents in, kept and kept-but-rewritten.  NULL out-pointers are skipped. */
LLMD_API void llmd_filter_stats_totals(const llmd_filter_stats *s, uint64_t *docs_in, uint64_t *docs_kept,
                                       uint64_t *docs_modified);
/* Documents dropped by `rule` and lines it removed (c4 line rules).  Errors: LLMD_ERR_INVALID_ARG
 * (s NULL or rule out of range). */
LLMD_API llmd_status llmd_filter_stats_rule(const llmd_filter_stats *s, llmd_filter_rule rule,
                                            uint64_t *docs_dropped, uint64_t *lines_removed);

/* Applies the filters to one document.  *res is overwritten (its old text is not freed).  When
 * stats is not NULL the document's outcome and removed lines are added to it.  Thread-safe for f;
 * stats belongs to the calling thread.  Errors: LLMD_ERR_INVALID_ARG, LLMD_ERR_RANGE (a document
 * of 4 GiB or more), LLMD_ERR_NOMEM, or the language predictor's error (prefixed "language
 * predictor").  Working memory (token and line tables) is kept per calling thread between calls and
 * reused, so a stream of documents allocates only while it grows; it is released when the thread
 * exits, or after a call once it holds more than 64 MiB (a very large document). */
LLMD_API llmd_status llmd_filter_apply(const llmd_filter *f, const char *text, size_t len, llmd_filter_result *res,
                                       llmd_filter_stats *stats);

/* Applies the filters to n documents on up to `threads` threads (0 = one per CPU); results[i] as
 * llmd_filter_apply; stats (may be NULL) receives every document's counts.  On error every text
 * already allocated in results is freed and set NULL and stats is left unchanged. */
LLMD_API llmd_status llmd_filter_batch(const llmd_filter *f, const char *const *texts, const size_t *lens,
                                       size_t n, unsigned threads, llmd_filter_result *results,
                                       llmd_filter_stats *stats);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_FILTER_H */
