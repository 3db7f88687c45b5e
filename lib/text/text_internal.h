/* Internals shared by the files of lib/text (hidden; llmd_text_ prefix). */
#ifndef LLMD_TEXT_INTERNAL_H
#define LLMD_TEXT_INTERNAL_H
#include "common/internal.h"
#include "llmdata/text.h"

/* State one thread reuses from text to text, so the per-text cost is the work on the text and not
 * allocation: cleaning's work buffers, the cleaned text while the redacted output is rendered,
 * and PCRE2 match data (made for one redactor; remade when another one comes).  A batch worker
 * owns one; the single-text calls use a fresh one.  Zero-initialised = empty. */
typedef struct llmd_text_scratch {
    llmd_buf fix, html;            /* clean: repaired UTF-8; HTML stripped */
    llmd_buf seg, norm;            /* clean: a non-ASCII run and its normal form */
    int32_t *cps;                  /* clean: code points for utf8proc */
    size_t cps_cap;
    llmd_buf region;               /* clean+redact: the cleaned text while rendering */
    void *md;                      /* pcre2_match_data * for every pattern of md_owner */
    const llmd_redactor *md_owner;
} llmd_text_scratch;
void llmd_text_scratch_free(llmd_text_scratch *s);
/* Frees the scratch's match data (detect.c, which knows PCRE2). */
void llmd_text_scratch_release_md(llmd_text_scratch *s);

/* Validated copy of caller options (defaults for NULL). */
llmd_status llmd_text_clean_opts(llmd_clean_options *dst, const llmd_clean_options *opts);
/* Appends the cleaned text to out (options already validated). */
llmd_status llmd_text_clean_buf(const char *text, size_t len, const llmd_clean_options *o, llmd_text_scratch *sc,
                                llmd_buf *out);
/* Finds spans into a growable array (*spans may be NULL initially; *cap its capacity). */
llmd_status llmd_text_find(const llmd_redactor *r, const char *text, size_t len, llmd_text_scratch *sc,
                           llmd_pii_span **spans, size_t *n, size_t *cap);
/* Appends text with spans[0..n) replaced by the redactor's template. */
llmd_status llmd_text_render(const llmd_redactor *r, const char *text, size_t len,
                             const llmd_pii_span *spans, size_t n, llmd_buf *out);
#endif
