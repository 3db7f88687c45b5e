/* llmdata/tokenizer.h — BPE tokenization with Hugging Face tokenizer.json files (as is) and
 * tiktoken rank files, giving the same ids as the reference libraries.
 *
 * Sources
 *   - Hugging Face `tokenizer.json` with a BPE model.  Components implemented, generically:
 *       normalizers     NFC NFKC NFD NFKD Lowercase Replace Prepend Strip StripAccents Sequence
 *       pre-tokenizers  Split (Regex/String; Isolated, Removed, MergedWithPrevious,
 *                       MergedWithNext, Contiguous; invert), ByteLevel (add_prefix_space,
 *                       use_regex), Metaspace (replacement, prepend_scheme, split), Digits,
 *                       Whitespace, WhitespaceSplit, Punctuation, CharDelimiterSplit,
 *                       BertPreTokenizer, Sequence
 *       model           BPE: merges as "a b" or ["a","b"], ignore_merges, byte_fallback,
 *                       fuse_unk, unk_token, continuing_subword_prefix, end_of_word_suffix
 *       added tokens    special, normalized, lstrip, rstrip, single_word; matched before
 *                       normalization (leftmost-longest), as Hugging Face does
 *       post-processors ByteLevel, TemplateProcessing, RobertaProcessing, BertProcessing, Sequence
 *       decoders        ByteLevel, ByteFallback, Metaspace, Fuse, Strip, Replace, BPEDecoder,
 *                       Sequence
 *     Anything else (another model type, BPE dropout > 0, an unknown component, truncation or
 *     padding settings) is refused with LLMD_ERR_UNSUPPORTED naming it: never a wrong answer.
 *   - tiktoken rank files (`.tiktoken`: "base64-token rank" lines) with one of the named split
 *     patterns gpt2 (= r50k), r50k, p50k, cl100k, o200k and that encoding's special tokens.
 *
 * Regular expressions are run with PCRE2 (JIT); the well-known patterns (GPT-2, cl100k/Llama-3,
 * o200k) use hand-written splitters that give the same pieces.
 *
 * Special tokens in text: by default a tokenizer.json tokenizer recognises its added tokens inside
 * the text (as Hugging Face `encode` does), while a tiktoken tokenizer treats special-token text
 * as ordinary text (tiktoken `encode_ordinary`).  LLMD_TOK_SPECIAL_AS_TEXT and
 * LLMD_TOK_MATCH_SPECIAL override this per call.
 *
 * Thread safety: a loaded tokenizer is immutable; any number of threads may encode, decode and
 * look up with it at once (each call takes a private scratch area from a small internal pool).
 * Only llmd_tokenizer_free must not race with other calls on the same tokenizer. */
#ifndef LLMDATA_TOKENIZER_H
#define LLMDATA_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct llmd_tokenizer llmd_tokenizer;

/* Encode/decode flags (bitwise OR). */
enum {
    LLMD_TOK_ADD_SPECIAL = 1u << 0,     /* apply the post-processor (Hugging Face
                                           add_special_tokens=True: BOS/EOS templates) */
    LLMD_TOK_SPECIAL_AS_TEXT = 1u << 1, /* special tokens in the text are plain text */
    LLMD_TOK_MATCH_SPECIAL = 1u << 2,   /* special tokens in the text are recognised (tiktoken
                                           allowed_special="all") */
    LLMD_TOK_SKIP_SPECIAL = 1u << 3     /* decode: leave special tokens out */
};

typedef struct llmd_tokenizer_options {
    unsigned version;             /* LLMD_TOKENIZER_OPTIONS_VERSION */
    const char *tiktoken_pattern; /* for .tiktoken files: "gpt2", "r50k", "p50k", "cl100k" or
                                     "o200k"; NULL = guessed from the file name
                                     ("cl100k_base.tiktoken" -> cl100k) */
    int force_regex;              /* 1: run every split pattern through PCRE2, never the
                                     hand-written splitters (for checking them) */
} llmd_tokenizer_options;
#define LLMD_TOKENIZER_OPTIONS_VERSION 1
#define LLMD_TOKENIZER_OPTIONS_INIT {LLMD_TOKENIZER_OPTIONS_VERSION, NULL, 0}

/* Fills *opts with the defaults above.  Thread-safe. */
LLMD_API void llmd_tokenizer_options_init(llmd_tokenizer_options *opts);

/* Loads a tokenizer from a file: a tokenizer.json, or a .tiktoken rank file (recognised by the
 * ".tiktoken" suffix or by content).  opts may be NULL.  On success *out owns the tokenizer
 * (free with llmd_tokenizer_free).
 * Errors: LLMD_ERR_NOT_FOUND / LLMD_ERR_IO (missing / unreadable file), LLMD_ERR_PARSE (malformed JSON: byte offset in the message;
 * malformed rank line: line number; files Hugging Face or tiktoken refuse -- a raw control character
 * in a JSON string, data after the JSON value, "added_tokens" not an array, a rank given twice or
 * equal to a special token's id), LLMD_ERR_UNSUPPORTED (a component this version lacks, named; a
 * token containing NUL, "\u0000"), LLMD_ERR_INVALID_ARG (NULL path/out, unknown tiktoken pattern),
 * LLMD_ERR_VERSION, NOMEM.  Ids may be sparse (below 2^28): memory follows the number of tokens in
 * the file, not the largest id. */
LLMD_API llmd_status llmd_tokenizer_load(llmd_tokenizer **out, const char *path,
                                         const llmd_tokenizer_options *opts);

/* Same as llmd_tokenizer_load for tokenizer.json content in memory (json[0..len)). */
LLMD_API llmd_status llmd_tokenizer_from_json(llmd_tokenizer **out, const char *json, size_t len,
                                              const llmd_tokenizer_options *opts);

/* Same for tiktoken rank-file content; pattern is one of the names above (required). */
LLMD_API llmd_status llmd_tokenizer_from_tiktoken(llmd_tokenizer **out, const char *data, size_t len,
                                                  const char *pattern);

/* Frees a tokenizer (NULL is a no-op).  No other call may use it at the same time. */
LLMD_API void llmd_tokenizer_free(llmd_tokenizer *tok);

/* Encodes text[0..len) (valid UTF-8; invalid input is refused with LLMD_ERR_UTF8 naming the byte
 * offset).  On success *ids (n_ids entries) is allocated by the library, free it with llmd_free().
 * When offsets is non-NULL it receives 2 * n_ids entries, also freed with llmd_free(): the
 * [start, end) byte range of text each token stands for.  Byte-level tokens map to exactly their
 * bytes (so consecutive ranges tile the text); where a normalizer changed the text (Lowercase,
 * NFC, Replace, ...) a token gets the range of the characters it came from, and after a Unicode
 * normalization that changed a piece, the range of that whole piece; tokens added by the
 * post-processor get (0, 0), as in Hugging Face.
 * flags: LLMD_TOK_ADD_SPECIAL, LLMD_TOK_SPECIAL_AS_TEXT, LLMD_TOK_MATCH_SPECIAL.
 * Thread-safe.  Errors: INVALID_ARG, UTF8, RANGE (text over 1 GiB; or the tokenizer's normalizers
 * would make a text longer than 16 times its length + 4096 bytes -- a Replace/Prepend normalizer
 * expanding text without bound, refused before the memory is taken), NOMEM. */
LLMD_API llmd_status llmd_tokenizer_encode(const llmd_tokenizer *tok, const char *text, size_t len,
                                           unsigned flags, uint32_t **ids, size_t *n_ids,
                                           size_t **offsets);

/* Encodes into a caller buffer: writes up to cap ids to ids[] and the number of ids to *n_ids.
 * When the buffer is too small the result is LLMD_ERR_TRUNCATED and *n_ids is the number needed
 * (ids[0..cap) then holds the first cap ids).  Thread-safe. */
LLMD_API llmd_status llmd_tokenizer_encode_into(const llmd_tokenizer *tok, const char *text, size_t len,
                                                unsigned flags, uint32_t *ids, size_t cap,
                                                size_t *n_ids);

/* Encodes n texts (texts[i] of lens[i] bytes) with `threads` threads (0 = one per core).
 * *ids receives all ids back to back and *doc_offsets n + 1 entries: the ids of text i are
 * (*ids)[doc_offsets[i] .. doc_offsets[i+1]).  Both are freed with llmd_free().  The result does
 * not depend on the thread count.  On error nothing is returned and the message names the text
 * index.  Thread-safe. */
LLMD_API llmd_status llmd_tokenizer_encode_batch(const llmd_tokenizer *tok, const char *const *texts,
                                                 const size_t *lens, size_t n, unsigned flags,
                                                 unsigned threads, uint32_t **ids, size_t **doc_offsets);

/* Decodes ids[0..n) to text through the tokenizer's decoder (Hugging Face `decode`; tiktoken:
 * the concatenated token bytes).  flags: LLMD_TOK_SKIP_SPECIAL.  *text is NUL-terminated,
 * *len bytes long, freed with llmd_free().  Byte sequences that are not valid UTF-8 decode to
 * U+FFFD as the reference libraries do.  Thread-safe.
 * Errors: LLMD_ERR_RANGE (an id not in the vocabulary, index named; or a Replace decoder making
 * the text longer than 16 times the tokens' bytes + 4096), INVALID_ARG, NOMEM. */
LLMD_API llmd_status llmd_tokenizer_decode(const llmd_tokenizer *tok, const uint32_t *ids, size_t n,
                                           unsigned flags, char **text, size_t *len);

/* Id of a token given as its vocabulary string (byte-level tokenizers: the mapped form, e.g.
 * "Ġthe"; tiktoken: the raw bytes), added tokens included.  LLMD_ERR_NOT_FOUND if absent.
 * Thread-safe. */
LLMD_API llmd_status llmd_tokenizer_token_to_id(const llmd_tokenizer *tok, const char *token, size_t len,
                                                uint32_t *id);

/* The vocabulary string of id: *token points into the tokenizer (valid until it is freed; not
 * NUL-terminated for tiktoken tokens holding NUL bytes: use *len).  LLMD_ERR_RANGE if no token has
 * this id.  Thread-safe. */
LLMD_API llmd_status llmd_tokenizer_id_to_token(const llmd_tokenizer *tok, uint32_t id, const char **token,
                                                size_t *len);

/* 1 + the largest id the tokenizer can produce (model vocabulary and added tokens), i.e. ids are
 * in [0, vocab_size).  Equals Hugging Face get_vocab_size(with_added_tokens=True) when the ids
 * are contiguous.  0 for NULL.  Thread-safe. */
LLMD_API uint64_t llmd_tokenizer_vocab_size(const llmd_tokenizer *tok);

/* 1 if id is a special token (an added token marked special, or a tiktoken special token). */
LLMD_API int llmd_tokenizer_is_special(const llmd_tokenizer *tok, uint32_t id);

/* The end-of-text token's id, found among the special tokens by its usual names
 * ("<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "<|eot_id|>" ... in that order), or -1.
 * Thread-safe. */
LLMD_API int64_t llmd_tokenizer_eos_id(const llmd_tokenizer *tok);

#ifdef __cplusplus
}
#endif

#endif
