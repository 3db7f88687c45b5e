/* The redactor's insides, shared by redact.c (construction, templates, rendering, the public calls)
 * and detect.c (the detectors and the scan that collects candidate spans).  Hidden. */
#ifndef LLMD_TEXT_REDACTOR_INTERNAL_H
#define LLMD_TEXT_REDACTOR_INTERNAL_H
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/internal.h"
#include "llmdata/text.h"

/* A caller rule: a PCRE2 pattern (JIT-compiled when possible) plus an optional validator. */
typedef struct rule {
    char *type;
    pcre2_code *code;
    bool jit;
    llmd_pii_validator validator;
    void *user;
} rule;

/* A parsed replacement template: literal pieces with "{type}" markers between them. */
typedef struct tpart {
    char *lit;      /* literal text (may be empty) */
    size_t lit_len;
    bool type;      /* followed by the type name */
} tpart;

struct llmd_redactor {
    uint32_t types;
    pcre2_general_context *gctx;
    pcre2_code *phone_re, *ipv6_re;
    bool phone_jit, ipv6_jit;
    rule *rules;
    size_t n_rules;
    tpart *tmpl;
    size_t n_tmpl;
};

#endif
