/* The smallest program against libllmdata: check versions and read a JSON document. */
#include <stdio.h>
#include <string.h>

#include <llmdata.h>

int main(void) {
    if (llmd_version_number() != LLMD_VERSION_NUMBER) {
        fprintf(stderr, "header %s but library %s\n", LLMD_VERSION_STRING, llmd_version());
        return 1;
    }
    llmd_json_doc *doc;
    const char *line = "{\"id\": 7, \"text\": \"Hello, world\"}";
    if (llmd_json_doc_new(&doc) != LLMD_OK || llmd_json_doc_parse(doc, line, strlen(line)) != LLMD_OK) {
        fprintf(stderr, "error: %s\n", llmd_last_error());
        return 1;
    }
    const char *text;
    size_t len;
    if (llmd_json_doc_get_string(doc, "text", &text, &len) != LLMD_OK) {
        fprintf(stderr, "error: %s\n", llmd_last_error());
        return 1;
    }
    printf("libllmdata %s: text has %zu bytes\n", llmd_version(), len);
    llmd_json_doc_free(doc);
    return 0;
}
