/* libFuzzer harness for text cleaning and PII redaction (build line in tests/fuzz/README.md).
 * The first input byte picks the cleaning options; the rest is the text.  Checks, beyond "no crash,
 * no sanitizer report":
 *  - cleaning succeeds (replace mode) and its output is valid UTF-8 with no NUL byte;
 *  - without HTML, cleaning is idempotent;
 *  - strict mode fails exactly when the input is not valid UTF-8;
 *  - redaction spans are sorted, disjoint, non-empty and inside the text, and the redacted output
 *    equals the text with each span replaced by "[TYPE]";
 *  - a custom rule with a validator runs on invalid UTF-8 without error. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/internal.h"
#include "llmdata.h"

static llmd_redactor *redactor;

static int odd_len(const char *m, size_t len, void *user) {
    (void)m;
    (void)user;
    return (int)(len & 1);
}

static void die(const char *what) {
    fprintf(stderr, "fuzz_text: %s (%s)\n", what, llmd_last_error());
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (redactor == NULL) {
        llmd_pii_rule rule = {"ODD_WORD", "\\b\\w{3,7}\\b", odd_len, NULL};
        llmd_redactor_options ro = LLMD_REDACTOR_OPTIONS_INIT;
        ro.rules = &rule;
        ro.n_rules = 1;
        if (llmd_redactor_new(&redactor, &ro) != LLMD_OK) die("redactor_new");
    }
    if (size == 0) return 0;
    uint8_t flags = data[0];
    const char *text = (const char *)data + 1;
    size_t len = size - 1;

    llmd_clean_options o = LLMD_CLEAN_OPTIONS_INIT;
    o.html = flags & 1;
    o.normalization = (flags >> 1) % 3;
    o.drop_controls = 1;
    o.whitespace = (flags >> 3) & 1;
    o.keep_paragraphs = (flags >> 4) & 1;
    char *out;
    size_t n;
    if (llmd_clean_text(text, len, &o, &out, &n) != LLMD_OK) die("clean_text");
    if (llmd_utf8_validate((const unsigned char *)out, n) != n) die("clean output is not UTF-8");
    if (memchr(out, '\0', n) != NULL) die("clean output has a NUL byte");
    if (!o.html) {
        char *again;
        size_t n2;
        if (llmd_clean_text(out, n, &o, &again, &n2) != LLMD_OK) die("clean_text again");
        if (n2 != n || memcmp(again, out, n) != 0) die("cleaning is not idempotent");
        llmd_free(again);
    }
    llmd_free(out);

    o.invalid_utf8 = LLMD_INVALID_UTF8_ERROR;
    llmd_status st = llmd_clean_text(text, len, &o, &out, &n);
    bool valid = llmd_utf8_validate((const unsigned char *)text, len) == len;
    if ((st == LLMD_OK) != valid) die("strict mode disagrees with the validator");
    if (st == LLMD_OK) llmd_free(out);

    llmd_pii_span *sp;
    size_t ns;
    if (llmd_redactor_redact(redactor, text, len, &out, &n, &sp, &ns) != LLMD_OK) die("redact");
    /* Rebuild the expected output from the spans. */
    llmd_buf want = LLMD_BUF_INIT;
    size_t at = 0;
    for (size_t k = 0; k < ns; k++) {
        if (sp[k].start < at || sp[k].end <= sp[k].start || sp[k].end > len) die("bad span");
        llmd_buf_append(&want, text + at, sp[k].start - at);
        llmd_buf_printf(&want, "[%s]", sp[k].type);
        at = sp[k].end;
    }
    llmd_buf_append(&want, text + at, len - at);
    if (want.len != n || memcmp(want.data ? want.data : "", out, n) != 0) die("redacted output mismatch");
    llmd_buf_free(&want);
    llmd_free(out);
    llmd_free(sp);

    if (llmd_clean_and_redact(text, len, NULL, redactor, &out, &n, &sp, &ns) != LLMD_OK) die("clean_and_redact");
    llmd_free(out);
    llmd_free(sp);
    return 0;
}
