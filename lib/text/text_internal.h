/* Internals shared by the files of lib/text (hidden; llmd_text_ prefix). */
#ifndef LLMD_TEXT_INTERNAL_H
#define LLMD_TEXT_INTERNAL_H
#include "common/internal.h"
#include "llmdata/text.h"

/* Validated copy of caller options (defaults for NULL). */
llmd_status llmd_text_clean_opts(llmd_clean_options *dst, const llmd_clean_options *opts);
/* Appends the cleaned text to out (options already validated). */
llmd_status llmd_text_clean_buf(const char *text, size_t len, const llmd_clean_options *o, llmd_buf *out);
/* Finds spans into a growable array (*spans may be NULL initially; *cap its capacity). */
llmd_status llmd_text_find(const llmd_redactor *r, const char *text, size_t len, llmd_pii_span **spans,
                           size_t *n, size_t *cap);
/* Appends text with spans[0..n) replaced by the redactor's template. */
llmd_status llmd_text_render(const llmd_redactor *r, const char *text, size_t len,
                             const llmd_pii_span *spans, size_t n, llmd_buf *out);
#endif
