/* Thread-local last error: status + message. */
#include <stdio.h>

#include "common/internal.h"

#define LLMD_ERRMSG_MAX 1024

static _Thread_local char tls_message[LLMD_ERRMSG_MAX];
static _Thread_local llmd_status tls_status = LLMD_OK;

llmd_status llmd_failv(llmd_status status, const char *fmt, va_list ap) {
    tls_status = status;
    vsnprintf(tls_message, sizeof tls_message, fmt, ap);
    return status;
}

llmd_status llmd_fail(llmd_status status, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    llmd_failv(status, fmt, ap);
    va_end(ap);
    return status;
}

llmd_status llmd_fail_nomem(const char *what) {
    return llmd_fail(LLMD_ERR_NOMEM, "out of memory while %s", what);
}

llmd_status llmd_error_prefix(const char *fmt, ...) {
    char prefix[LLMD_ERRMSG_MAX];
    char old[LLMD_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, tls_message, sizeof old);
    /* Truncation is acceptable here: the message is capped at LLMD_ERRMSG_MAX by design. */
    size_t plen = strlen(prefix);
    if (plen > sizeof tls_message - 3) plen = sizeof tls_message - 3;
    memcpy(tls_message, prefix, plen);
    memcpy(tls_message + plen, ": ", 2);
    size_t rest = sizeof tls_message - plen - 3;
    size_t olen = strnlen(old, rest);
    memcpy(tls_message + plen + 2, old, olen);
    tls_message[plen + 2 + olen] = '\0';
    return tls_status;
}

const char *llmd_last_error(void) { return tls_message; }

llmd_status llmd_last_error_status(void) { return tls_status; }

void llmd_clear_error(void) {
    tls_status = LLMD_OK;
    tls_message[0] = '\0';
}

const char *llmd_status_str(llmd_status status) {
    switch (status) {
    case LLMD_OK: return "LLMD_OK";
    case LLMD_ERR_INVALID_ARG: return "LLMD_ERR_INVALID_ARG";
    case LLMD_ERR_NOMEM: return "LLMD_ERR_NOMEM";
    case LLMD_ERR_IO: return "LLMD_ERR_IO";
    case LLMD_ERR_PARSE: return "LLMD_ERR_PARSE";
    case LLMD_ERR_UTF8: return "LLMD_ERR_UTF8";
    case LLMD_ERR_UNSUPPORTED: return "LLMD_ERR_UNSUPPORTED";
    case LLMD_ERR_NOT_FOUND: return "LLMD_ERR_NOT_FOUND";
    case LLMD_ERR_RANGE: return "LLMD_ERR_RANGE";
    case LLMD_ERR_CORRUPT: return "LLMD_ERR_CORRUPT";
    case LLMD_ERR_STATE: return "LLMD_ERR_STATE";
    case LLMD_ERR_CONFLICT: return "LLMD_ERR_CONFLICT";
    case LLMD_ERR_SCHEMA: return "LLMD_ERR_SCHEMA";
    case LLMD_ERR_VERSION: return "LLMD_ERR_VERSION";
    case LLMD_ERR_TRUNCATED: return "LLMD_ERR_TRUNCATED";
    case LLMD_ERR_INTERNAL: return "LLMD_ERR_INTERNAL";
    }
    return "LLMD_UNKNOWN";
}

const char *llmd_version(void) { return LLMD_VERSION_STRING; }

unsigned llmd_version_number(void) { return LLMD_VERSION_NUMBER; }

llmd_status llmd_options_copy(void *dst, const void *src, const size_t *sizes, unsigned current,
                              const char *what) {
    if (src == NULL) return LLMD_OK; /* dst already holds the defaults */
    unsigned v = *(const unsigned *)src;
    if (v == 0 || v > current)
        return llmd_fail(LLMD_ERR_VERSION,
                         "%s: options version %u is not known (this library knows 1..%u); "
                         "initialise options with the _INIT macro", what, v, current);
    memcpy(dst, src, sizes[v - 1]);
    *(unsigned *)dst = current;
    return LLMD_OK;
}
