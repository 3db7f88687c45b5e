/* Word and sentence tokenization as datatrove's NLTKTokenizer ("english") does it:
 *   sentences: NLTK's PunktSentenceTokenizer (nltk 3.8 algorithm, span_tokenize with boundary
 *              realignment) with EMPTY parameters -- no abbreviation, collocation, sentence-starter
 *              or orthographic data.  The trained English punkt model (nltk_data
 *              tokenizers/punkt/english.pickle) is not packaged for Debian and cannot be fetched
 *              here; untrained punkt is the same algorithm minus the learned lists (so "Mr. Smith"
 *              splits after "Mr."; initials and numbers keep their special rules).
 *   words:     nltk.word_tokenize = punkt sentences, then NLTKWordTokenizer (the improved Treebank
 *              tokenizer: its regex cascade, reproduced pass by pass), then split on whitespace.
 * Character classes follow Python's Unicode `re` (uni.h). */
#ifndef LLMD_FILTER_WORDS_H
#define LLMD_FILTER_WORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Growable byte buffer with a sticky out-of-memory flag (checked once by the caller). */
typedef struct fw_buf {
    char *p;
    size_t len, cap;
    bool oom;
} fw_buf;

void fw_buf_put(fw_buf *b, const void *data, size_t n);
static inline void fw_buf_putc(fw_buf *b, char c) {
    if (b->len + 1 <= b->cap) b->p[b->len++] = c;
    else fw_buf_put(b, &c, 1);
}
void fw_buf_free(fw_buf *b);

typedef struct fw_span { size_t start, end; } fw_span;

typedef struct fw_spans {
    fw_span *v;
    size_t n, cap;
    bool oom;
} fw_spans;

/* Tokens of a text: buf holds them joined by single spaces (so " ".join of tokens i..j is the
 * contiguous slice buf[start[i] .. start[j] + blen[j])); clen = characters per token. */
typedef struct fw_tokens {
    fw_buf buf;
    size_t *start;
    uint32_t *blen, *clen;
    uint8_t *cls;    /* per token: FW_CLS_* bits of its ASCII bytes, FW_CLS_NONASCII if it has others */
    size_t n, cap;
    bool oom;
} fw_tokens;

/* Token classes gathered while tokens are split off (for Gopher's word statistics). */
#define FW_CLS_NONSYMBOL 1u /* an ASCII byte outside datatrove's PUNCTUATION_SET */
#define FW_CLS_ALPHA 2u     /* an ASCII letter */
#define FW_CLS_NONASCII 4u  /* a byte >= 0x80: the caller decodes those characters itself */

/* Reusable scratch for tokenization (one per thread / call). */
typedef struct fw_scratch {
    fw_buf a, b;     /* treebank passes ping-pong */
    fw_spans spans;  /* sentence spans */
    fw_spans ptoks;  /* punkt word tokens of one context */
    fw_spans slices; /* raw punkt slices before realignment */
    fw_buf ctx;      /* punkt: the context of one candidate break */
} fw_scratch;

void fw_scratch_free(fw_scratch *s);
void fw_tokens_reset(fw_tokens *t);
void fw_tokens_free(fw_tokens *t);

/* Punkt sentence spans of text (byte offsets), as PunktSentenceTokenizer().span_tokenize(text). */
bool fw_sentence_spans(fw_scratch *s, const char *text, size_t n, fw_spans *out);

/* nltk.word_tokenize(text) with untrained punkt, stripped, empty tokens dropped (datatrove's
 * strip_strings).  Appends to *out.  False on allocation failure. */
bool fw_word_tokenize(fw_scratch *s, const char *text, size_t n, fw_tokens *out);

/* NLTKWordTokenizer().tokenize(sentence), appended to *out. */
bool fw_treebank_tokenize(fw_scratch *s, const char *sent, size_t n, fw_tokens *out);

#endif
