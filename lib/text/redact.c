/* PII redaction: the redactor's construction (built-in detectors' patterns, caller rules, the
 * replacement template), rendering of found spans, and the public calls.  The detectors and the
 * scan that finds candidate spans live in detect.c. */
#include <stdlib.h>
#include <strings.h>

#include "common/internal.h"
#include "llmdata/text.h"
#include "text/text_internal.h"
#include "text/redactor_internal.h"

static const char *const builtin_names[LLMD_PII_BUILTIN_COUNT] = {
    "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "CREDIT_CARD", "IBAN_CODE", "US_SSN", "SECRET"};

static const size_t redactor_sizes[] = {sizeof(llmd_redactor_options)};

const char *llmd_pii_type_name(llmd_pii_type type) {
    if ((unsigned)type >= LLMD_PII_BUILTIN_COUNT) return NULL;
    return builtin_names[type];
}

void llmd_redactor_options_init(llmd_redactor_options *opts) {
    if (opts == NULL) return;
    llmd_redactor_options d = LLMD_REDACTOR_OPTIONS_INIT;
    *opts = d;
}

llmd_status llmd_pii_parse_types(const char *list, uint32_t *mask) {
    if (list == NULL || mask == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_pii_parse_types: NULL argument");
    uint32_t m = 0;
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',') p++;
        if (!*p) break;
        const char *e = p;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > p && t[-1] == ' ') t--;
        size_t n = (size_t)(t - p);
        if (n == 3 && memcmp(p, "all", 3) == 0) m |= LLMD_PII_ALL;
        else if (n == 4 && memcmp(p, "none", 4) == 0) { /* nothing */ }
        else {
            int found = -1;
            for (int k = 0; k < LLMD_PII_BUILTIN_COUNT; k++)
                if (strlen(builtin_names[k]) == n && memcmp(builtin_names[k], p, n) == 0) found = k;
            if (found < 0)
                return llmd_fail(LLMD_ERR_NOT_FOUND,
                                 "unknown PII type '%.*s' (known: EMAIL_ADDRESS, PHONE_NUMBER, IP_ADDRESS, "
                                 "CREDIT_CARD, IBAN_CODE, US_SSN, SECRET, all, none)", (int)n, p);
            m |= 1u << found;
        }
        p = e;
    }
    *mask = m;
    return LLMD_OK;
}

/* ---- construction ---------------------------------------------------------------------------- */

static void *gctx_malloc(size_t n, void *u) { (void)u; return llmd_malloc(n); }
static void gctx_free(void *p, void *u) { (void)u; llmd_free(p); }

/* Phones: international "+CC ..." (validated to 8-15 digits) or NANP with separators.  Anchored at
 * compile time so the JIT code only tries the trigger position; the international groups are
 * possessive so a failing match cannot backtrack through every way of splitting a digit run. */
static const char phone_pattern[] =
    "(?:"
    "\\+[1-9][0-9]{0,2}+(?:[ .-]?+(?:\\([0-9]{1,4}+\\)|[0-9]{1,5}+)){2,7}+"
    "|"
    "(?:\\+?1[ .-]?)?(?:\\([2-9][0-9]{2}\\)[ .-]?|[2-9][0-9]{2}[ .-]?)[2-9][0-9]{2}[ .-]?[0-9]{4}"
    ")(?![0-9A-Za-z_@+]|[.-][0-9])";

#define H4 "[0-9A-Fa-f]{1,4}"
#define V4O "(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#define V4 V4O "\\." V4O "\\." V4O "\\." V4O
static const char ipv6_pattern[] =
    "(?:"
    "(?:" H4 ":){6}" V4
    "|::(?:" H4 ":){0,5}" V4
    "|(?:" H4 ":){1,5}:(?:" H4 ":){0,4}" V4
    "|(?:" H4 ":){7}" H4
    "|(?:" H4 ":){1,7}:"
    "|(?:" H4 ":){1,6}:" H4
    "|(?:" H4 ":){1,5}(?::" H4 "){1,2}"
    "|(?:" H4 ":){1,4}(?::" H4 "){1,3}"
    "|(?:" H4 ":){1,3}(?::" H4 "){1,4}"
    "|(?:" H4 ":){1,2}(?::" H4 "){1,5}"
    "|" H4 ":(?::" H4 "){1,6}"
    "|:(?::" H4 "){1,7}"
    "|::"
    ")(?![0-9A-Za-z_:]|\\.[0-9])";

static llmd_status compile(llmd_redactor *r, const char *what, const char *pattern, uint32_t flags,
                           pcre2_code **code, bool *jit) {
    int err;
    PCRE2_SIZE off;
    pcre2_compile_context *cc = pcre2_compile_context_create(r->gctx);
    if (cc == NULL) return llmd_fail_nomem("creating a PCRE2 compile context");
    *code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, flags, &err, &off, cc);
    pcre2_compile_context_free(cc);
    if (*code == NULL) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        if (err == PCRE2_ERROR_HEAPLIMIT || err == PCRE2_ERROR_NOMEMORY || err == PCRE2_ERROR_HEAP_FAILED) return llmd_fail_nomem("compiling a pattern");
        return llmd_fail(LLMD_ERR_PARSE, "rule %s: pattern does not compile at offset %zu: %s", what,
                         (size_t)off, (const char *)msg);
    }
    *jit = pcre2_jit_compile(*code, PCRE2_JIT_COMPLETE) == 0;
    return LLMD_OK;
}

static llmd_status parse_template(llmd_redactor *r, const char *t) {
    /* Worst case one part per character. */
    size_t n = strlen(t);
    r->tmpl = llmd_calloc(n + 1, sizeof *r->tmpl);
    if (r->tmpl == NULL) return llmd_fail_nomem("parsing the replacement template");
    llmd_buf lit = LLMD_BUF_INIT;
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i <= n; i++) {
        bool end = i == n;
        bool marker = !end && strncmp(t + i, "{type}", 6) == 0;
        if (!end && !marker) {
            char c = t[i];
            if ((c == '{' || c == '}') && t[i + 1] == c) i++;
            else if (c == '{' || c == '}') {
                st = llmd_fail(LLMD_ERR_INVALID_ARG,
                               "replacement template \"%s\": stray '%c' at offset %zu (use {type}, or {{ and }} "
                               "for literal braces)", t, c, i);
                break;
            }
            if ((st = llmd_buf_putc(&lit, c)) != LLMD_OK) break;
            continue;
        }
        tpart *p = &r->tmpl[r->n_tmpl++];
        if ((st = llmd_buf_reserve(&lit, 0)) != LLMD_OK) break;
        p->lit = llmd_buf_detach(&lit, &p->lit_len);
        p->type = marker;
        if (marker) i += 5;
    }
    llmd_buf_free(&lit);
    return st;
}

void llmd_redactor_free(llmd_redactor *r) {
    if (r == NULL) return;
    pcre2_code_free(r->phone_re);
    pcre2_code_free(r->ipv6_re);
    for (size_t i = 0; i < r->n_rules; i++) {
        llmd_free(r->rules[i].type);
        pcre2_code_free(r->rules[i].code);
    }
    llmd_free(r->rules);
    for (size_t i = 0; i < r->n_tmpl; i++) llmd_free(r->tmpl[i].lit);
    llmd_free(r->tmpl);
    pcre2_general_context_free(r->gctx);
    llmd_free(r);
}

llmd_status llmd_redactor_new(llmd_redactor **out, const llmd_redactor_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_redactor_new: out is NULL");
    *out = NULL;
    llmd_redactor_options o;
    llmd_redactor_options_init(&o);
    llmd_status st = llmd_options_copy(&o, opts, redactor_sizes, LLMD_REDACTOR_OPTIONS_VERSION,
                                       "llmd_redactor_options");
    if (st != LLMD_OK) return st;
    if (o.types & ~LLMD_PII_ALL)
        return llmd_fail(LLMD_ERR_RANGE, "llmd_redactor_options.types: unknown type bits 0x%x",
                         (unsigned)(o.types & ~LLMD_PII_ALL));
    if (o.n_rules > 0 && o.rules == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_redactor_options: n_rules is %zu but rules is NULL", o.n_rules);
    llmd_redactor *r = llmd_calloc(1, sizeof *r);
    if (r == NULL) return llmd_fail_nomem("creating a redactor");
    r->types = o.types;
    r->gctx = pcre2_general_context_create(gctx_malloc, gctx_free, NULL);
    if (r->gctx == NULL) { st = llmd_fail_nomem("creating a PCRE2 context"); goto fail; }
    if ((st = parse_template(r, o.replacement ? o.replacement : "[{type}]")) != LLMD_OK) goto fail;
    if ((st = compile(r, "PHONE_NUMBER", phone_pattern, PCRE2_ANCHORED, &r->phone_re, &r->phone_jit)) != LLMD_OK ||
        (st = compile(r, "IP_ADDRESS", ipv6_pattern, PCRE2_ANCHORED, &r->ipv6_re, &r->ipv6_jit)) != LLMD_OK) {
        if (st != LLMD_ERR_NOMEM) st = llmd_error_prefix("built-in pattern (a bug)");
        goto fail;
    }
    if (o.n_rules) {
        r->rules = llmd_calloc(o.n_rules, sizeof *r->rules);
        if (r->rules == NULL) { st = llmd_fail_nomem("copying rules"); goto fail; }
    }
    for (size_t i = 0; i < o.n_rules; i++) {
        const llmd_pii_rule *cr = &o.rules[i];
        if (cr->type == NULL || cr->type[0] == '\0') {
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "rule %zu: empty type name", i);
            goto fail;
        }
        if (cr->pattern == NULL) {
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "rule %zu (%s): pattern is NULL", i, cr->type);
            goto fail;
        }
        rule *ru = &r->rules[r->n_rules++];
        ru->validator = cr->validator;
        ru->user = cr->user;
        if ((ru->type = llmd_strdup(cr->type)) == NULL) { st = llmd_fail_nomem("copying a rule"); goto fail; }
        if ((st = compile(r, cr->type, cr->pattern, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF, &ru->code, &ru->jit)) != LLMD_OK)
            goto fail;
    }
    *out = r;
    return LLMD_OK;
fail:
    llmd_redactor_free(r);
    return st;
}

size_t llmd_redactor_type_count(const llmd_redactor *r) {
    return r ? LLMD_PII_BUILTIN_COUNT + r->n_rules : 0;
}

const char *llmd_redactor_type_name(const llmd_redactor *r, uint32_t id) {
    if (r == NULL) return NULL;
    if (id < LLMD_PII_BUILTIN_COUNT) return builtin_names[id];
    if (id - LLMD_PII_BUILTIN_COUNT < r->n_rules) return r->rules[id - LLMD_PII_BUILTIN_COUNT].type;
    return NULL;
}

llmd_status llmd_text_render(const llmd_redactor *r, const char *text, size_t len, const llmd_pii_span *spans,
                             size_t n, llmd_buf *out) {
    llmd_status st = llmd_buf_reserve(out, len);
    if (st != LLMD_OK) return st;
    size_t at = 0;
    for (size_t k = 0; k < n; k++) {
        if ((st = llmd_buf_append(out, text + at, spans[k].start - at)) != LLMD_OK) return st;
        for (size_t p = 0; p < r->n_tmpl; p++) {
            if ((st = llmd_buf_append(out, r->tmpl[p].lit, r->tmpl[p].lit_len)) != LLMD_OK) return st;
            if (r->tmpl[p].type && (st = llmd_buf_puts(out, spans[k].type)) != LLMD_OK) return st;
        }
        at = spans[k].end;
    }
    return llmd_buf_append(out, text + at, len - at);
}

llmd_status llmd_redactor_find(const llmd_redactor *r, const char *text, size_t len, llmd_pii_span **spans,
                               size_t *n_spans) {
    if (spans) *spans = NULL;
    if (n_spans) *n_spans = 0;
    if (r == NULL || spans == NULL || n_spans == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_redactor_find: NULL argument");
    if (text == NULL) text = "";
    size_t cap = 0;
    llmd_pii_span *sp = NULL;
    llmd_text_scratch sc = {0};
    llmd_status st = llmd_text_find(r, text, len, &sc, &sp, n_spans, &cap);
    llmd_text_scratch_free(&sc);
    if (st != LLMD_OK || *n_spans == 0) {
        llmd_free(sp);
        *n_spans = 0;
        return st;
    }
    *spans = sp;
    return LLMD_OK;
}

llmd_status llmd_redactor_redact(const llmd_redactor *r, const char *text, size_t len, char **out,
                                 size_t *out_len, llmd_pii_span **spans, size_t *n_spans) {
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (spans) *spans = NULL;
    if (n_spans) *n_spans = 0;
    if (r == NULL || out == NULL || (text == NULL && len > 0) || (spans != NULL && n_spans == NULL))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_redactor_redact: NULL argument");
    if (text == NULL) text = "";
    size_t cap = 0, n = 0;
    llmd_pii_span *sp = NULL;
    llmd_buf b = LLMD_BUF_INIT;
    llmd_text_scratch sc = {0};
    llmd_status st = llmd_text_find(r, text, len, &sc, &sp, &n, &cap);
    llmd_text_scratch_free(&sc);
    if (st == LLMD_OK) st = llmd_text_render(r, text, len, sp, n, &b);
    if (st == LLMD_OK) st = llmd_buf_reserve(&b, 0);
    if (st != LLMD_OK) {
        llmd_free(sp);
        llmd_buf_free(&b);
        return st;
    }
    *out = llmd_buf_detach(&b, out_len);
    if (spans && n) {
        *spans = sp;
        *n_spans = n;
    } else {
        llmd_free(sp);
    }
    return LLMD_OK;
}
