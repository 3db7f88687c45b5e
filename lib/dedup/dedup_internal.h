/* Internals shared by the files of lib/dedup (hidden; llmd_dd_ prefix). */
#ifndef LLMD_DEDUP_INTERNAL_H
#define LLMD_DEDUP_INTERNAL_H
#include "common/internal.h"
#include "llmdata/dedup.h"

/* Scratch of one folding: the folded text (words joined by one space) and each word's
 * [start, end) byte offsets in it. */
typedef struct llmd_dd_words {
    llmd_buf folded;
    uint32_t *start, *end;   /* n words */
    size_t n, cap;
} llmd_dd_words;

/* Folds text into w (reset first); allow_simd = 0 forces the scalar path (same output).
 * Errors: NOMEM, RANGE (document over 2 GiB). */
llmd_status llmd_dd_fold(const char *text, size_t len, llmd_dd_words *w, int allow_simd);
void llmd_dd_words_free(llmd_dd_words *w);

#endif
