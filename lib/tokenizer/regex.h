/* Split-pattern matching for pre-tokenizers (internal to the tokenizer module).
 *
 * A pattern is compiled once from the regex text found in a tokenizer.json (Oniguruma syntax, as
 * Hugging Face runs it) or a tiktoken pattern, and matched from many threads at once.
 *  - Well-known patterns (GPT-2, cl100k, Llama-3, o200k, ...) recognised by their exact text run
 *    through hand-written splitters that give exactly the same matches as the regex.
 *  - Every other pattern runs through PCRE2 (UTF + UCP, JIT when available), after rewriting the
 *    constructs whose meaning differs between Oniguruma and PCRE2 (\s is Unicode White_Space in
 *    Oniguruma; PCRE2's UCP \s also takes U+180E, ...).
 * Match iteration follows Oniguruma's find_iter as the Rust `onig` crate does it: an empty match
 * right where the previous match ended is skipped by advancing one character. */
#ifndef LLMD_TOKENIZER_REGEX_H
#define LLMD_TOKENIZER_REGEX_H

#include <stddef.h>
#include <stdint.h>

#include "common/internal.h"

typedef struct llmd_tok_regex llmd_tok_regex;

/* Per-thread matching state (PCRE2 match data); zero-initialise, free with
 * llmd_tok_regex_state_free.  One state may serve any number of regexes, one call at a time. */
typedef struct llmd_tok_regex_state {
    void *match_data;     /* pcre2_match_data_8 *, created on first use */
    uint32_t match_data_pairs;
} llmd_tok_regex_state;

/* Compiles pattern[0..len).  force_pcre = 1 never uses a hand-written splitter.  Errors:
 * LLMD_ERR_PARSE (PCRE2 compile error; message names the pattern and offset), NOMEM. */
llmd_status llmd_tok_regex_new(llmd_tok_regex **out, const char *pattern, size_t len, int force_pcre);
void llmd_tok_regex_free(llmd_tok_regex *re);

/* The hand-written splitter in use ("gpt2", "cl100k", "llama3", "o200k", ...) or NULL (PCRE2). */
const char *llmd_tok_regex_fast_name(const llmd_tok_regex *re);

/* Finds the next match in s[0..len) (valid UTF-8) starting the search at byte *pos; *last_end is
 * the end of the previous match (SIZE_MAX before the first call; start with *pos = 0).
 * Returns 1 with [*mstart, *mend) set and *pos / *last_end advanced for the next call, 0 when
 * there are no more matches, or a negative llmd_status on a matching error (error set).  Empty
 * matches follow the rule above.  Thread-safe with a per-thread state. */
int llmd_tok_regex_next(const llmd_tok_regex *re, llmd_tok_regex_state *st, const char *s, size_t len,
                        size_t *pos, size_t *last_end, size_t *mstart, size_t *mend);

void llmd_tok_regex_state_free(llmd_tok_regex_state *st);

/* The tiktoken split pattern of a named encoding ("gpt2", "r50k", "p50k", "p50k_edit", "cl100k",
 * "o200k"), exactly as tiktoken defines it, or NULL. */
const char *llmd_tok_tiktoken_pattern(const char *name);

#endif
