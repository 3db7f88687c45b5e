/*
 * llmdata/text.h — text cleaning (HTML stripping, entity decoding, Unicode normalisation, control
 * characters, whitespace) and PII redaction.
 *
 * Cleaning is a pure function of (text, options).  Redaction uses a redactor compiled once from
 * its options (built-in detectors + caller rules as PCRE2 JIT code); a redactor is immutable after
 * construction and ANY NUMBER OF THREADS MAY USE ONE REDACTOR AT ONCE: every single-text call
 * allocates its own PCRE2 match data and work buffers, and each thread of a batch call keeps its
 * own for all its texts, so nothing mutable is shared.  Caller validators must be thread-safe if
 * the redactor is used from several threads (the batch functions do that).
 *
 * Byte offsets are UTF-8 byte offsets.  Every output buffer handed to the caller is NUL-terminated
 * (the NUL is not counted in lengths) and freed with llmd_free() unless stated otherwise.
 */
#ifndef LLMDATA_TEXT_H
#define LLMDATA_TEXT_H

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Cleaning ------------------------------------------------------------------------------ */

/* Unicode normalisation form applied by cleaning. */
typedef enum llmd_normalization {
    LLMD_NORM_NFC = 0,    /* canonical composition (default) */
    LLMD_NORM_NFKC = 1,   /* compatibility composition (folds ligatures, full-width forms, ...) */
    LLMD_NORM_NONE = 2    /* leave code points as they are */
} llmd_normalization;

/* What cleaning does with bytes that are not valid UTF-8 (RFC 3629). */
typedef enum llmd_invalid_utf8 {
    LLMD_INVALID_UTF8_REPLACE = 0, /* each maximal invalid subpart becomes U+FFFD (Unicode ch. 3,
                                      "U+FFFD substitution of maximal subparts"); the default */
    LLMD_INVALID_UTF8_ERROR = 1    /* fail with LLMD_ERR_UTF8 naming the byte offset */
} llmd_invalid_utf8;

typedef struct llmd_clean_options {
    unsigned version;        /* LLMD_CLEAN_OPTIONS_VERSION */
    int html;                /* 1 (default): strip HTML markup and decode character references */
    int normalization;       /* an llmd_normalization; default LLMD_NORM_NFC */
    int drop_controls;       /* 1 (default): drop C0/C1 controls and DEL, except "\n" and "\t" */
    int whitespace;          /* 1 (default): collapse whitespace runs to one space, trim the ends */
    int keep_paragraphs;     /* with whitespace: a run holding >= 2 line breaks becomes "\n\n" */
    int invalid_utf8;        /* an llmd_invalid_utf8; default LLMD_INVALID_UTF8_REPLACE */
} llmd_clean_options;
#define LLMD_CLEAN_OPTIONS_VERSION 1
#define LLMD_CLEAN_OPTIONS_INIT {LLMD_CLEAN_OPTIONS_VERSION, 1, LLMD_NORM_NFC, 1, 1, 0, \
                                 LLMD_INVALID_UTF8_REPLACE}

/* Fills *opts with the defaults (same as LLMD_CLEAN_OPTIONS_INIT).  Thread-safe. */
LLMD_API void llmd_clean_options_init(llmd_clean_options *opts);

/* Cleans text[0..len) (any bytes, NUL included).  The steps, in order:
 *  1. invalid UTF-8 is replaced by U+FFFD or rejected (opts->invalid_utf8);
 *  2. HTML (opts->html; skipped when the text holds no '<' or '&'):
 *     - a tag is '<' + ASCII letter (or "</" + letter) + name chars [A-Za-z0-9:_-] followed by
 *       whitespace, '>' or "/>", up to the closing '>' (quoted attribute values may hold '>'),
 *       and only if a '>' follows at all.  Text such as "<john@example.org>", "<https://x/>" or
 *       "a < b" is therefore kept as text (a heuristic for mixed text/HTML corpora; an HTML5
 *       parser would treat the first two as tags).  Block-level tags
 *       (p, div, br, li, h1-h6, tr, td, table, ...) become "\n", other tags nothing;
 *     - the bodies of <script> and <style> are dropped up to their end tag (or the end of text);
 *     - comments "<!-- ... -->" (unterminated: to the end), "<!DOCTYPE ...>", "<?...>" are dropped;
 *     - "<![CDATA[ x ]]>" keeps x as literal text (not entity-decoded);
 *     - character references: all 2,125 HTML5 named references that end in ';' ("&amp;",
 *       "&apos;", "&NotEqualTilde;"...), and, as HTML5 does in text, the 106 legacy ones without
 *       it ("&copy 2024", "&notit;" -> U+00AC "it;"); numeric "&#N;" / "&#xH;" (the ';' may be missing) with
 *       the HTML5 rules: 0, surrogates and > U+10FFFF become U+FFFD, 0x80-0x9F are remapped as
 *       Windows-1252 (&#150; -> U+2013).  Unknown names stay as written.
 *  3. control characters (opts->drop_controls): U+0000-U+001F except \t and \n, U+007F and
 *     U+0080-U+009F are removed ("\r\n" thus becomes "\n"; NUL bytes are removed) — except that
 *     when white space is collapsed (step 5) \v, \f and \r count as white space, so "a\rb"
 *     becomes "a b", not "ab";
 *  4. normalisation (opts->normalization) with utf8proc; pure-ASCII stretches are left as they are
 *     (ASCII is NFC and NFKC);
 *  5. whitespace (opts->whitespace): every run of white space (ASCII \t\n\v\f\r and space, and the
 *     Unicode White_Space characters U+00A0, U+1680, U+2000-U+200A, U+2028, U+2029, U+202F, U+205F,
 *     U+3000 — the set Python's str.split() uses) becomes one " " (or "\n\n" with keep_paragraphs
 *     when the run holds two or more line breaks); leading and trailing white space is removed.
 * On success *out (free with llmd_free) holds the NUL-terminated result and *out_len its length.
 * Errors: LLMD_ERR_INVALID_ARG (NULL out or text with len > 0), LLMD_ERR_UTF8 (strict mode; the
 * message names the byte offset), LLMD_ERR_VERSION, LLMD_ERR_NOMEM.  Thread-safe. */
LLMD_API llmd_status llmd_clean_text(const char *text, size_t len, const llmd_clean_options *opts,
                                     char **out, size_t *out_len);

/* ---- PII redaction ------------------------------------------------------------------------- */

/* Built-in entity types (names as in Microsoft Presidio).  Bit i of a type mask is type i.
 * Detections start and end at word boundaries (a match inside a longer word, number or hex digest
 * is not reported). */
typedef enum llmd_pii_type {
    LLMD_PII_EMAIL_ADDRESS = 0, /* local@domain.tld (dot-separated labels, alphabetic TLD >= 2) */
    LLMD_PII_PHONE_NUMBER = 1,  /* NANP (area and exchange codes start with 2-9; "(AAA) EEE-LLLL"
                                   or AAA?EEE?LLLL with the same separator twice, optional 1/+1
                                   prefix) and international "+CC ..." with 8-15 digits */
    LLMD_PII_IP_ADDRESS = 2,    /* IPv4 (octets 0-255, no leading zeros; version-like quads such
                                   as 2.8.0.3 or "(1.15.5.5)" are not addresses) and IPv6 (RFC 4291
                                   text forms incl. "::" and embedded IPv4) */
    LLMD_PII_CREDIT_CARD = 3,   /* 13-19 digits, single spaces/dashes allowed, known issuer
                                   prefix, Luhn-valid */
    LLMD_PII_IBAN_CODE = 4,     /* ISO 13616: registered country length, mod-97 == 1; spaces in
                                   groups of four allowed */
    LLMD_PII_US_SSN = 5,        /* AAA-GG-SSSS or AAA GG SSSS; area 000, 666, 900-999, group 00
                                   and serial 0000 rejected */
    LLMD_PII_SECRET = 6,        /* AWS key ids (AKIA/ASIA/ABIA/ACCA + 16) and secret keys written
                                   after aws_secret_access_key / AWS_SECRET_ACCESS_KEY; GitHub
                                   (ghp_ gho_ ghu_ ghs_ ghr_ github_pat_), GitLab (glpat-), npm
                                   (npm_), Slack (xox[abprs]-) and Stripe (sk_/rk_ live/test)
                                   tokens; Google API keys (AIza + 35); JWTs (eyJ...eyJ...);
                                   PEM "PRIVATE KEY" blocks up to their END line */
    LLMD_PII_BUILTIN_COUNT = 7
} llmd_pii_type;
#define LLMD_PII_ALL 0x7Fu      /* mask of every built-in type */

/* Presidio name of a built-in type ("EMAIL_ADDRESS"), or NULL if out of range.  Thread-safe. */
LLMD_API const char *llmd_pii_type_name(llmd_pii_type type);

/* Parses a comma-separated list of built-in type names ("EMAIL_ADDRESS,US_SSN"; spaces around
 * names ignored, names case-sensitive) into a type mask.  "all" gives LLMD_PII_ALL, "none" or ""
 * gives 0.  Errors: LLMD_ERR_NOT_FOUND naming the unknown type, LLMD_ERR_INVALID_ARG.  Thread-safe. */
LLMD_API llmd_status llmd_pii_parse_types(const char *list, uint32_t *mask);

/* A caller's validator: called with a candidate match (not NUL-terminated); returns non-zero to
 * accept it.  It may be called from several threads at once (see the top of this header). */
typedef int (*llmd_pii_validator)(const char *match, size_t len, void *user);

/* A caller rule: every match of `pattern` (PCRE2 syntax, compiled with PCRE2_UTF and
 * PCRE2_MATCH_INVALID_UTF, so any bytes may be scanned) that the optional validator accepts is a
 * span of type `type`.  Empty matches are ignored. */
typedef struct llmd_pii_rule {
    const char *type;              /* type name (copied), non-empty, e.g. "EMPLOYEE_ID" */
    const char *pattern;           /* PCRE2 pattern (copied) */
    llmd_pii_validator validator;  /* NULL = accept every match */
    void *user;                    /* passed to validator */
} llmd_pii_rule;

typedef struct llmd_redactor_options {
    unsigned version;              /* LLMD_REDACTOR_OPTIONS_VERSION */
    uint32_t types;                /* mask of built-in types to detect; default LLMD_PII_ALL */
    const char *replacement;       /* template; every "{type}" is replaced by the type name and
                                      "{{"/"}}" give literal braces; NULL = "[{type}]".  A template
                                      without "{type}" is a fixed mask, e.g. "****" */
    const llmd_pii_rule *rules;    /* caller rules (copied), tried after the built-ins */
    size_t n_rules;
} llmd_redactor_options;
#define LLMD_REDACTOR_OPTIONS_VERSION 1
#define LLMD_REDACTOR_OPTIONS_INIT {LLMD_REDACTOR_OPTIONS_VERSION, LLMD_PII_ALL, NULL, NULL, 0}

/* Fills *opts with the defaults.  Thread-safe. */
LLMD_API void llmd_redactor_options_init(llmd_redactor_options *opts);

/* A detected span: text[start..end) is of type `type`. */
typedef struct llmd_pii_span {
    const char *type;   /* type name, owned by the redactor (valid while it lives) */
    uint32_t type_id;   /* 0..6 = llmd_pii_type; 7+i = caller rule i */
    size_t start, end;  /* UTF-8 byte offsets into the text given to the redactor */
} llmd_pii_span;

typedef struct llmd_redactor llmd_redactor;

/* Compiles a redactor (built-in detectors are compiled with PCRE2 JIT; caller patterns too).
 * opts NULL = every built-in type, "[{type}]" replacement, no caller rules.
 * Errors: LLMD_ERR_PARSE (a caller pattern does not compile: message names the rule's type, the
 * pattern offset and PCRE2's reason), LLMD_ERR_INVALID_ARG (empty type name, NULL pattern, bad
 * template such as an unclosed "{"), LLMD_ERR_RANGE (types has bits above LLMD_PII_ALL),
 * LLMD_ERR_VERSION, LLMD_ERR_NOMEM.  Thread-safe. */
LLMD_API llmd_status llmd_redactor_new(llmd_redactor **out, const llmd_redactor_options *opts);

/* Frees a redactor (NULL ok).  No other thread may be using it. */
LLMD_API void llmd_redactor_free(llmd_redactor *r);

/* Number of type ids (7 + number of caller rules) and the name of one (NULL if out of range).
 * Thread-safe. */
LLMD_API size_t llmd_redactor_type_count(const llmd_redactor *r);
LLMD_API const char *llmd_redactor_type_name(const llmd_redactor *r, uint32_t type_id);

/* Finds the PII spans of text[0..len) (any bytes).  Overlaps are resolved deterministically:
 * candidates are ordered by start (earliest first), then length (longest first), then type id
 * (built-ins in enum order, then caller rules in their order), and a candidate is kept only if it
 * starts at or after the end of the last kept one.  The kept spans are sorted and disjoint.
 * *spans (free with llmd_free; NULL when *n_spans is 0) receives them.
 * Errors: LLMD_ERR_INVALID_ARG, LLMD_ERR_NOMEM, LLMD_ERR_INTERNAL (a PCRE2 match error, named).
 * Thread-safe: any number of threads may call this on one redactor. */
LLMD_API llmd_status llmd_redactor_find(const llmd_redactor *r, const char *text, size_t len,
                                        llmd_pii_span **spans, size_t *n_spans);

/* Redacts text[0..len): each span (as llmd_redactor_find finds them) is replaced by the
 * replacement template.  *out (free with llmd_free) gets the NUL-terminated result, *out_len its
 * length; if spans is not NULL, *spans and *n_spans receive the spans (offsets into the INPUT text;
 * free with llmd_free).  Errors as llmd_redactor_find.  Thread-safe as llmd_redactor_find. */
LLMD_API llmd_status llmd_redactor_redact(const llmd_redactor *r, const char *text, size_t len,
                                          char **out, size_t *out_len, llmd_pii_span **spans,
                                          size_t *n_spans);

/* Cleans then redacts in one call: the spans' offsets refer to the CLEANED text (the text the
 * redactor was given), not to `text` nor to the redacted output.  r may be NULL (clean only);
 * copts NULL = default cleaning.  Output and errors as llmd_clean_text + llmd_redactor_redact.
 * Thread-safe. */
LLMD_API llmd_status llmd_clean_and_redact(const char *text, size_t len,
                                           const llmd_clean_options *copts,
                                           const llmd_redactor *r, char **out, size_t *out_len,
                                           llmd_pii_span **spans, size_t *n_spans);

/* ---- Batches ------------------------------------------------------------------------------- */

/* Results of a batch, owned by the library (free with llmd_text_batch_free).  Output i is
 * data[offsets[i] .. offsets[i+1]) (data is NUL-terminated after the last one; outputs are not
 * individually terminated); its spans are spans[span_offsets[i] .. span_offsets[i+1]) with
 * offsets relative to the start of text i as given to the redactor (the cleaned text when
 * cleaning ran). */
typedef struct llmd_text_batch {
    size_t n;
    char *data;
    size_t *offsets;        /* n + 1 entries */
    llmd_pii_span *spans;
    size_t *span_offsets;   /* n + 1 entries */
} llmd_text_batch;

/* Processes n texts (texts[i] of lens[i] bytes): cleaning with copts when do_clean is non-zero
 * (copts NULL = defaults), then redaction with r when r is not NULL.  Work is split over
 * `threads` threads (0 = one per CPU; 1 = the calling thread only); results are the same for any
 * thread count.  If a text fails (e.g. LLMD_ERR_UTF8 in strict mode) the whole call fails, the
 * message starts with "text <i>: ", and *failed_index (if not NULL) is set to i (else SIZE_MAX).
 * Errors: those of llmd_clean_text / llmd_redactor_redact, LLMD_ERR_INVALID_ARG.  Thread-safe. */
LLMD_API llmd_status llmd_text_batch_run(const char *const *texts, const size_t *lens, size_t n,
                                         int do_clean, const llmd_clean_options *copts,
                                         const llmd_redactor *r, unsigned threads,
                                         llmd_text_batch **out, size_t *failed_index);

/* Frees a batch result (NULL ok). */
LLMD_API void llmd_text_batch_free(llmd_text_batch *b);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_TEXT_H */
