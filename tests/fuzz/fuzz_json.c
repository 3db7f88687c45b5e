/* libFuzzer harness for the io module's JSON document parser and editor (outside input: every
 * JSONL line).  Build line in tests/fuzz/README.md.
 *
 * Invariants (abort on violation):
 *  1. llmd_json_doc_parse returns OK or PARSE/UTF8/SCHEMA with a non-empty message; never crashes.
 *  2. A parsed document renders to JSON that parses again, and rendering that gives the same bytes.
 *  3. After set_string("text", input bytes), get_string("text") returns exactly those bytes when
 *     they are valid UTF-8 (invalid bytes become U+FFFD), and the rendered object still parses.
 *  4. A document that learned the key "text" (get_string asked for it, so parse decodes that
 *     member while it validates it) gives the same status, the same error message and the same
 *     decoded "text" as a fresh document.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "llmdata/io.h"

static void check(int ok) {
    if (!ok) abort();
}

static void check_hinted_parse(const uint8_t *data, size_t size) {
    llmd_json_doc *fresh, *hinted;
    check(llmd_json_doc_new(&fresh) == LLMD_OK && llmd_json_doc_new(&hinted) == LLMD_OK);
    const char *v, *w;
    size_t vl, wl;
    check(llmd_json_doc_parse(hinted, "{\"text\":\"x\"}", 12) == LLMD_OK);
    check(llmd_json_doc_get_string(hinted, "text", &v, &vl) == LLMD_OK);
    llmd_status a = llmd_json_doc_parse(fresh, (const char *)data, size);
    char *msg = strdup(a == LLMD_OK ? "" : llmd_last_error());
    llmd_status b = llmd_json_doc_parse(hinted, (const char *)data, size);
    check(msg != NULL && a == b);
    if (a != LLMD_OK) {
        check(strcmp(msg, llmd_last_error()) == 0);
    } else {
        llmd_status ga = llmd_json_doc_get_string(fresh, "text", &v, &vl);
        llmd_status gb = llmd_json_doc_get_string(hinted, "text", &w, &wl);
        check(ga == gb);
        if (ga == LLMD_OK) check(vl == wl && memcmp(v, w, vl) == 0 && w[wl] == '\0');
    }
    free(msg);
    llmd_json_doc_free(fresh);
    llmd_json_doc_free(hinted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check_hinted_parse(data, size);
    llmd_json_doc *d, *d2;
    check(llmd_json_doc_new(&d) == LLMD_OK && llmd_json_doc_new(&d2) == LLMD_OK);
    llmd_status st = llmd_json_doc_parse(d, (const char *)data, size);
    if (st != LLMD_OK) {
        check(st == LLMD_ERR_PARSE || st == LLMD_ERR_UTF8 || st == LLMD_ERR_SCHEMA);
        check(llmd_last_error()[0] != '\0');
        check(llmd_json_doc_parse(d, "{}", 2) == LLMD_OK);
    }
    const char *out;
    size_t len;
    check(llmd_json_doc_render(d, &out, &len) == LLMD_OK);
    char *first = malloc(len + 1);
    memcpy(first, out, len);
    check(llmd_json_doc_parse(d2, first, len) == LLMD_OK);
    check(llmd_json_doc_render(d2, &out, &len) == LLMD_OK);
    check(memcmp(out, first, len) == 0);
    free(first);

    check(llmd_json_doc_set_string(d, "text", (const char *)data, size) == LLMD_OK);
    const char *v;
    size_t vlen;
    check(llmd_json_doc_get_string(d, "text", &v, &vlen) == LLMD_OK);
    int valid = 1;
    for (size_t i = 0; i < size; i++) if (data[i] >= 0x80) valid = 0;  /* ASCII: exact round trip */
    if (valid) check(vlen == size && memcmp(v, data, size) == 0);
    check(llmd_json_doc_render(d, &out, &len) == LLMD_OK);
    check(llmd_json_doc_parse(d2, out, len) == LLMD_OK);
    llmd_json_doc_free(d);
    llmd_json_doc_free(d2);
    return 0;
}
