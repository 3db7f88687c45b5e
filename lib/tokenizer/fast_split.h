/* Hand-written splitters for well-known pre-tokenizer regexes (internal).  Each gives exactly the
 * matches the regex gives (checked against the PCRE2 path in tests/test_tokregex.c). */
#ifndef LLMD_TOKENIZER_FAST_SPLIT_H
#define LLMD_TOKENIZER_FAST_SPLIT_H

#include <stddef.h>
#include <stdint.h>

enum { LLMD_TOK_FAST_NONE = 0, LLMD_TOK_FAST_GPT2, LLMD_TOK_FAST_CL100K, LLMD_TOK_FAST_QWEN, LLMD_TOK_FAST_O200K };

/* The splitter for exactly this pattern text, or LLMD_TOK_FAST_NONE. */
int llmd_tok_fast_kind(const char *pattern, size_t len);
const char *llmd_tok_fast_name(int kind);
/* Next match at or after pos in valid UTF-8 s[0..len): 1 with [*ms, *me), or 0. */
int llmd_tok_fast_search(int kind, const uint8_t *s, size_t len, size_t pos, size_t *ms, size_t *me);
/* Length of the UTF-8 character at s[pos] (1 for a stray byte). */
size_t llmd_tok_fast_u8len(const uint8_t *s, size_t len, size_t pos);

#endif
