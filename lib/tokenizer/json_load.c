/* Loading a Hugging Face tokenizer.json: every component is read generically from its "type";
 * anything we do not implement is refused by name, so a tokenizer never gives a silently wrong
 * answer. */
#include "common/json.h"
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tok_internal.h"

/* Lenient look-ups on top of the common JSON layer (common/json.h): HF's files omit optional
 * fields freely, and a component's own parser names what is missing. */
static const char *jstr(const cJSON *o, const char *key) {
    const cJSON *v = llmd_json_field(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *jtype(const cJSON *o) { return jstr(o, "type"); }

static bool jbool(const cJSON *o, const char *key, bool dflt) {
    const cJSON *v = llmd_json_field(o, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : dflt;
}

static llmd_status dup_str(const char *s, char **out, size_t *len) {
    *len = strlen(s);
    *out = llmd_strndup(s, *len);
    return *out ? LLMD_OK : llmd_fail_nomem("tokenizer string");
}

static llmd_status first_char(const char *s, const char *what, uint32_t *cp) {
    size_t n = strlen(s);
    size_t l = n ? llmd_utf8_decode((const unsigned char *)s, n, cp) : 0;
    if (l == 0 || l != n)
        return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: %s must be exactly one character, got \"%s\"", what, s);
    return LLMD_OK;
}

static llmd_status parse_behavior(const cJSON *o, int *beh, const char *where) {
    const char *b = jstr(o, "behavior");
    if (b == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: %s lacks \"behavior\"", where);
    static const char *const names[] = {"Removed", "Isolated", "MergedWithPrevious", "MergedWithNext", "Contiguous"};
    for (int i = 0; i < 5; i++)
        if (strcmp(b, names[i]) == 0) {
            *beh = i;
            return LLMD_OK;
        }
    return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: %s behavior \"%s\" is not supported", where, b);
}

/* {"String": "..."} or {"Regex": "..."} */
static llmd_status parse_pattern(const llmd_tokenizer *tok, const cJSON *o, llmd_tok_pattern *p, const char *where) {
    memset(p, 0, sizeof *p);
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "String");
    const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "Regex");
    if (cJSON_IsString(s)) {
        p->kind = LLMD_TOK_PAT_STRING;
        return dup_str(s->valuestring, &p->str, &p->str_len);
    }
    if (cJSON_IsString(r)) {
        p->kind = LLMD_TOK_PAT_REGEX;
        llmd_status st = llmd_tok_regex_new(&p->re, r->valuestring, strlen(r->valuestring), tok->force_regex);
        return st == LLMD_OK ? st : llmd_error_prefix("tokenizer.json: %s pattern", where);
    }
    return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: %s needs a pattern {\"String\": ...} or {\"Regex\": ...}", where);
}

void llmd_tok_pattern_free(llmd_tok_pattern *p) {
    llmd_tok_regex_free(p->re);
    llmd_free(p->str);
    memset(p, 0, sizeof *p);
}

/* ---- normalizers ------------------------------------------------------------------------------ */
static llmd_status parse_normalizer(const llmd_tokenizer *tok, const cJSON *o, llmd_tok_normalizer *n) {
    memset(n, 0, sizeof *n);
    const char *t = jtype(o);
    if (t == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: a normalizer lacks \"type\"");
    if (strcmp(t, "NFC") == 0) n->kind = LLMD_TOK_N_NFC;
    else if (strcmp(t, "NFKC") == 0) n->kind = LLMD_TOK_N_NFKC;
    else if (strcmp(t, "NFD") == 0) n->kind = LLMD_TOK_N_NFD;
    else if (strcmp(t, "NFKD") == 0) n->kind = LLMD_TOK_N_NFKD;
    else if (strcmp(t, "Lowercase") == 0) n->kind = LLMD_TOK_N_LOWER;
    else if (strcmp(t, "StripAccents") == 0) n->kind = LLMD_TOK_N_STRIP_ACCENTS;
    else if (strcmp(t, "Strip") == 0) {
        n->kind = LLMD_TOK_N_STRIP;
        n->strip_left = jbool(o, "strip_left", true);
        n->strip_right = jbool(o, "strip_right", true);
    } else if (strcmp(t, "Prepend") == 0) {
        n->kind = LLMD_TOK_N_PREPEND;
        const char *s = jstr(o, "prepend");
        if (s == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: Prepend normalizer lacks \"prepend\"");
        return dup_str(s, &n->content, &n->content_len);
    } else if (strcmp(t, "Replace") == 0) {
        n->kind = LLMD_TOK_N_REPLACE;
        const cJSON *pat = cJSON_GetObjectItemCaseSensitive(o, "pattern");
        const char *c = jstr(o, "content");
        if (pat == NULL || c == NULL)
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: Replace normalizer needs \"pattern\" and \"content\"");
        llmd_status st = parse_pattern(tok, pat, &n->pat, "Replace normalizer");
        if (st != LLMD_OK) return st;
        return dup_str(c, &n->content, &n->content_len);
    } else if (strcmp(t, "Sequence") == 0) {
        n->kind = LLMD_TOK_N_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "normalizers");
        if (!cJSON_IsArray(arr)) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: normalizer Sequence lacks \"normalizers\"");
        size_t k = (size_t)cJSON_GetArraySize(arr);
        n->items = llmd_calloc(k ? k : 1, sizeof *n->items);
        if (n->items == NULL) return llmd_fail_nomem("normalizers");
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            llmd_status st = parse_normalizer(tok, it, &n->items[n->n_items]);
            n->n_items++;
            if (st != LLMD_OK) return st;
        }
    } else {
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: normalizer \"%s\" is not supported", t);
    }
    return LLMD_OK;
}

void llmd_tok_normalizer_free(llmd_tok_normalizer *n) {
    if (n == NULL) return;
    for (size_t i = 0; i < n->n_items; i++) llmd_tok_normalizer_free(&n->items[i]);
    llmd_free(n->items);
    llmd_tok_pattern_free(&n->pat);
    llmd_free(n->content);
}

/* ---- pre-tokenizers --------------------------------------------------------------------------- */
static const char GPT2_PATTERN[] = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

static llmd_status parse_prepend_scheme(const cJSON *o, int *scheme, const char *where) {
    const char *s = jstr(o, "prepend_scheme");
    if (s == NULL) {
        /* Files from before prepend_scheme: add_prefix_space true means "always". */
        *scheme = jbool(o, "add_prefix_space", true) ? LLMD_TOK_PREPEND_ALWAYS : LLMD_TOK_PREPEND_NEVER;
        return LLMD_OK;
    }
    if (strcmp(s, "always") == 0) *scheme = LLMD_TOK_PREPEND_ALWAYS;
    else if (strcmp(s, "never") == 0) *scheme = LLMD_TOK_PREPEND_NEVER;
    else if (strcmp(s, "first") == 0) *scheme = LLMD_TOK_PREPEND_FIRST;
    else return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: %s prepend_scheme \"%s\" is not supported", where, s);
    return LLMD_OK;
}

static llmd_status parse_pretok(const llmd_tokenizer *tok, const cJSON *o, llmd_tok_pretok *p) {
    memset(p, 0, sizeof *p);
    const char *t = jtype(o);
    llmd_status st;
    if (t == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: a pre_tokenizer lacks \"type\"");
    if (strcmp(t, "Split") == 0) {
        p->kind = LLMD_TOK_P_SPLIT;
        const cJSON *pat = cJSON_GetObjectItemCaseSensitive(o, "pattern");
        if (pat == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: Split pre_tokenizer lacks \"pattern\"");
        if ((st = parse_behavior(o, &p->behavior, "Split pre_tokenizer")) != LLMD_OK) return st;
        p->invert = jbool(o, "invert", false);
        return parse_pattern(tok, pat, &p->pat, "Split pre_tokenizer");
    }
    if (strcmp(t, "ByteLevel") == 0) {
        p->kind = LLMD_TOK_P_BYTELEVEL;
        p->add_prefix_space = jbool(o, "add_prefix_space", true);
        p->use_regex = jbool(o, "use_regex", true);
        if (p->use_regex) {
            p->pat.kind = LLMD_TOK_PAT_REGEX;
            st = llmd_tok_regex_new(&p->pat.re, GPT2_PATTERN, sizeof GPT2_PATTERN - 1, tok->force_regex);
            if (st != LLMD_OK) return llmd_error_prefix("ByteLevel pattern");
        }
        return LLMD_OK;
    }
    if (strcmp(t, "Metaspace") == 0) {
        p->kind = LLMD_TOK_P_METASPACE;
        const char *r = jstr(o, "replacement");
        if (r == NULL) r = "\xE2\x96\x81";
        if ((st = first_char(r, "Metaspace replacement", &p->replacement)) != LLMD_OK) return st;
        p->rep_len = strlen(r);
        memcpy(p->rep_utf8, r, p->rep_len);
        p->split = jbool(o, "split", true);
        return parse_prepend_scheme(o, &p->prepend_scheme, "Metaspace");
    }
    if (strcmp(t, "Digits") == 0) {
        p->kind = LLMD_TOK_P_DIGITS;
        p->individual_digits = jbool(o, "individual_digits", false);
        p->pat.kind = LLMD_TOK_PAT_PRED;
        p->pat.pred = LLMD_TOK_PRED_NUMERIC;
        p->behavior = p->individual_digits ? LLMD_TOK_BEH_ISOLATED : LLMD_TOK_BEH_CONTIGUOUS;
        return LLMD_OK;
    }
    if (strcmp(t, "CharDelimiterSplit") == 0) {
        p->kind = LLMD_TOK_P_WSSPLIT; /* a character split, Removed */
        const char *d = jstr(o, "delimiter");
        if (d == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: CharDelimiterSplit lacks \"delimiter\"");
        if ((st = first_char(d, "CharDelimiterSplit delimiter", &p->pat.pred_char)) != LLMD_OK) return st;
        p->pat.kind = LLMD_TOK_PAT_PRED;
        p->pat.pred = LLMD_TOK_PRED_CHAR;
        p->behavior = LLMD_TOK_BEH_REMOVED;
        return LLMD_OK;
    }
    if (strcmp(t, "BertPreTokenizer") == 0) {
        /* white-space split (Removed), then punctuation isolated */
        p->kind = LLMD_TOK_P_SEQ;
        p->items = llmd_calloc(2, sizeof *p->items);
        if (p->items == NULL) return llmd_fail_nomem("pre_tokenizers");
        p->n_items = 2;
        p->items[0].kind = LLMD_TOK_P_WSSPLIT;
        p->items[0].pat.kind = LLMD_TOK_PAT_PRED;
        p->items[0].pat.pred = LLMD_TOK_PRED_WHITESPACE;
        p->items[0].behavior = LLMD_TOK_BEH_REMOVED;
        p->items[1].kind = LLMD_TOK_P_PUNCT;
        p->items[1].pat.kind = LLMD_TOK_PAT_PRED;
        p->items[1].pat.pred = LLMD_TOK_PRED_PUNCT;
        p->items[1].behavior = LLMD_TOK_BEH_ISOLATED;
        return LLMD_OK;
    }
    if (strcmp(t, "Whitespace") == 0) {
        p->kind = LLMD_TOK_P_WHITESPACE;
        return LLMD_OK;
    }
    if (strcmp(t, "WhitespaceSplit") == 0) {
        p->kind = LLMD_TOK_P_WSSPLIT;
        p->pat.kind = LLMD_TOK_PAT_PRED;
        p->pat.pred = LLMD_TOK_PRED_WHITESPACE;
        p->behavior = LLMD_TOK_BEH_REMOVED;
        return LLMD_OK;
    }
    if (strcmp(t, "Punctuation") == 0) {
        p->kind = LLMD_TOK_P_PUNCT;
        p->pat.kind = LLMD_TOK_PAT_PRED;
        p->pat.pred = LLMD_TOK_PRED_PUNCT;
        p->behavior = LLMD_TOK_BEH_ISOLATED;
        if (cJSON_GetObjectItemCaseSensitive(o, "behavior"))
            return parse_behavior(o, &p->behavior, "Punctuation pre_tokenizer");
        return LLMD_OK;
    }
    if (strcmp(t, "Sequence") == 0) {
        p->kind = LLMD_TOK_P_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "pretokenizers");
        if (!cJSON_IsArray(arr))
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: pre_tokenizer Sequence lacks \"pretokenizers\"");
        size_t k = (size_t)cJSON_GetArraySize(arr);
        p->items = llmd_calloc(k ? k : 1, sizeof *p->items);
        if (p->items == NULL) return llmd_fail_nomem("pre_tokenizers");
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            st = parse_pretok(tok, it, &p->items[p->n_items]);
            p->n_items++;
            if (st != LLMD_OK) return st;
        }
        return LLMD_OK;
    }
    return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: pre_tokenizer \"%s\" is not supported", t);
}

void llmd_tok_pretok_free(llmd_tok_pretok *p) {
    if (p == NULL) return;
    for (size_t i = 0; i < p->n_items; i++) llmd_tok_pretok_free(&p->items[i]);
    llmd_free(p->items);
    llmd_tok_pattern_free(&p->pat);
}

/* ---- decoders --------------------------------------------------------------------------------- */
static llmd_status parse_decoder(const llmd_tokenizer *tok, const cJSON *o, llmd_tok_decoder *d) {
    memset(d, 0, sizeof *d);
    const char *t = jtype(o);
    llmd_status st;
    if (t == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: a decoder lacks \"type\"");
    if (strcmp(t, "ByteLevel") == 0) d->kind = LLMD_TOK_D_BYTELEVEL;
    else if (strcmp(t, "ByteFallback") == 0) d->kind = LLMD_TOK_D_BYTEFALLBACK;
    else if (strcmp(t, "Fuse") == 0) d->kind = LLMD_TOK_D_FUSE;
    else if (strcmp(t, "BPEDecoder") == 0) {
        d->kind = LLMD_TOK_D_BPE;
        const char *suf = jstr(o, "suffix");
        return dup_str(suf ? suf : "</w>", &d->content, &d->content_len);
    }
    else if (strcmp(t, "Metaspace") == 0) {
        d->kind = LLMD_TOK_D_METASPACE;
        const char *r = jstr(o, "replacement");
        if ((st = first_char(r ? r : "\xE2\x96\x81", "Metaspace replacement", &d->ch)) != LLMD_OK) return st;
        return parse_prepend_scheme(o, &d->prepend_scheme, "Metaspace decoder");
    } else if (strcmp(t, "Strip") == 0) {
        d->kind = LLMD_TOK_D_STRIP;
        const char *c = jstr(o, "content");
        if (c == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: Strip decoder lacks \"content\"");
        if ((st = first_char(c, "Strip decoder content", &d->ch)) != LLMD_OK) return st;
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "start"), *b = cJSON_GetObjectItemCaseSensitive(o, "stop");
        if (!cJSON_IsNumber(a) || !cJSON_IsNumber(b) || !(a->valuedouble >= 0 && a->valuedouble < 1e9) ||
            !(b->valuedouble >= 0 && b->valuedouble < 1e9))
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: Strip decoder needs \"start\" and \"stop\" in [0, 1e9)");
        d->start = (size_t)a->valuedouble;
        d->stop = (size_t)b->valuedouble;
    } else if (strcmp(t, "Replace") == 0) {
        d->kind = LLMD_TOK_D_REPLACE;
        const cJSON *pat = cJSON_GetObjectItemCaseSensitive(o, "pattern");
        const char *c = jstr(o, "content");
        if (pat == NULL || c == NULL)
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: Replace decoder needs \"pattern\" and \"content\"");
        if ((st = parse_pattern(tok, pat, &d->pat, "Replace decoder")) != LLMD_OK) return st;
        return dup_str(c, &d->content, &d->content_len);
    } else if (strcmp(t, "Sequence") == 0) {
        d->kind = LLMD_TOK_D_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "decoders");
        if (!cJSON_IsArray(arr)) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: decoder Sequence lacks \"decoders\"");
        size_t k = (size_t)cJSON_GetArraySize(arr);
        d->items = llmd_calloc(k ? k : 1, sizeof *d->items);
        if (d->items == NULL) return llmd_fail_nomem("decoders");
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            st = parse_decoder(tok, it, &d->items[d->n_items]);
            d->n_items++;
            if (st != LLMD_OK) return st;
        }
    } else {
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: decoder \"%s\" is not supported", t);
    }
    return LLMD_OK;
}

void llmd_tok_decoder_free(llmd_tok_decoder *d) {
    if (d == NULL) return;
    for (size_t i = 0; i < d->n_items; i++) llmd_tok_decoder_free(&d->items[i]);
    llmd_free(d->items);
    llmd_tok_pattern_free(&d->pat);
    llmd_free(d->content);
}

/* ---- post-processors -------------------------------------------------------------------------- */
static llmd_status push_id(uint32_t **arr, size_t *n, uint32_t id) {
    uint32_t *na = llmd_realloc(*arr, *n * sizeof **arr, (*n + 1) * sizeof **arr);
    if (na == NULL) return llmd_fail_nomem("post-processor");
    na[(*n)++] = id;
    *arr = na;
    return LLMD_OK;
}

static llmd_status id_of_pair(const cJSON *pair, const char *what, uint32_t *id) {
    const cJSON *v = cJSON_IsArray(pair) ? cJSON_GetArrayItem(pair, 1) : NULL;
    if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble >= LLMD_TOK_MAX_ID)
        return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: post_processor %s must be [token, id]", what);
    *id = (uint32_t)v->valuedouble;
    return LLMD_OK;
}

static llmd_status parse_template(const cJSON *o, llmd_tok_post *p) {
    const cJSON *single = cJSON_GetObjectItemCaseSensitive(o, "single");
    const cJSON *specials = cJSON_GetObjectItemCaseSensitive(o, "special_tokens");
    if (!cJSON_IsArray(single)) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: TemplateProcessing lacks \"single\"");
    bool seen_seq = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, single) {
        const cJSON *sp = cJSON_GetObjectItemCaseSensitive(it, "SpecialToken");
        const cJSON *sq = cJSON_GetObjectItemCaseSensitive(it, "Sequence");
        if (sq != NULL) {
            const char *sid = jstr(sq, "id");
            if (sid == NULL || strcmp(sid, "A") != 0 || seen_seq)
                return llmd_fail(LLMD_ERR_UNSUPPORTED,
                                 "tokenizer.json: TemplateProcessing single template must hold sequence A once");
            seen_seq = true;
            continue;
        }
        const char *name = sp ? jstr(sp, "id") : NULL;
        if (name == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: TemplateProcessing item is neither SpecialToken nor Sequence");
        const cJSON *def = cJSON_GetObjectItemCaseSensitive(specials, name);
        const cJSON *ids = def ? cJSON_GetObjectItemCaseSensitive(def, "ids") : NULL;
        if (!cJSON_IsArray(ids))
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: TemplateProcessing special token \"%s\" is not defined", name);
        const cJSON *idv;
        cJSON_ArrayForEach(idv, ids) {
            if (!cJSON_IsNumber(idv) || idv->valuedouble < 0 || idv->valuedouble >= LLMD_TOK_MAX_ID)
                return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: TemplateProcessing special token \"%s\" has a bad id", name);
            llmd_status st = seen_seq ? push_id(&p->post, &p->n_post, (uint32_t)idv->valuedouble)
                                      : push_id(&p->pre, &p->n_pre, (uint32_t)idv->valuedouble);
            if (st != LLMD_OK) return st;
        }
    }
    if (!seen_seq) return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: TemplateProcessing single template lacks sequence A");
    return LLMD_OK;
}

static llmd_status parse_post(const cJSON *o, llmd_tok_post *p) {
    memset(p, 0, sizeof *p);
    const char *t = jtype(o);
    llmd_status st;
    if (t == NULL) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: a post_processor lacks \"type\"");
    if (strcmp(t, "ByteLevel") == 0) {
        p->kind = LLMD_TOK_PP_BYTELEVEL;   /* changes offsets only (trim_offsets) */
        return LLMD_OK;
    }
    if (strcmp(t, "TemplateProcessing") == 0) {
        p->kind = LLMD_TOK_PP_TEMPLATE;
        return parse_template(o, p);
    }
    if (strcmp(t, "RobertaProcessing") == 0 || strcmp(t, "BertProcessing") == 0) {
        /* single sequence: cls A sep */
        p->kind = LLMD_TOK_PP_TEMPLATE;
        uint32_t cls = 0, sep = 0;
        if ((st = id_of_pair(cJSON_GetObjectItemCaseSensitive(o, "cls"), "cls", &cls)) != LLMD_OK) return st;
        if ((st = id_of_pair(cJSON_GetObjectItemCaseSensitive(o, "sep"), "sep", &sep)) != LLMD_OK) return st;
        if ((st = push_id(&p->pre, &p->n_pre, cls)) != LLMD_OK) return st;
        return push_id(&p->post, &p->n_post, sep);
    }
    if (strcmp(t, "Sequence") == 0) {
        p->kind = LLMD_TOK_PP_SEQ;
        const cJSON *arr = cJSON_GetObjectItemCaseSensitive(o, "processors");
        if (!cJSON_IsArray(arr)) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: post_processor Sequence lacks \"processors\"");
        size_t k = (size_t)cJSON_GetArraySize(arr);
        p->items = llmd_calloc(k ? k : 1, sizeof *p->items);
        if (p->items == NULL) return llmd_fail_nomem("post_processors");
        const cJSON *it;
        cJSON_ArrayForEach(it, arr) {
            st = parse_post(it, &p->items[p->n_items]);
            p->n_items++;
            if (st != LLMD_OK) return st;
        }
        return LLMD_OK;
    }
    return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: post_processor \"%s\" is not supported", t);
}

void llmd_tok_post_free(llmd_tok_post *p) {
    if (p == NULL) return;
    for (size_t i = 0; i < p->n_items; i++) llmd_tok_post_free(&p->items[i]);
    llmd_free(p->items);
    llmd_free(p->pre);
    llmd_free(p->post);
}

/* ---- model ------------------------------------------------------------------------------------ */
static llmd_status load_vocab(llmd_tokenizer *tok, const cJSON *vocab) {
    size_t n = (size_t)cJSON_GetArraySize(vocab);
    llmd_status st = llmd_tok_strmap_init(&tok->vocab, n);
    if (st != LLMD_OK) return st;
    /* Vocabulary strings for id -> token live in the map's key arena once it stops growing, so
     * pre-size the id table and fill it after all puts. */
    const cJSON *e;
    cJSON_ArrayForEach(e, vocab) {
        if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble >= LLMD_TOK_MAX_ID ||
            e->valuedouble != floor(e->valuedouble))
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: vocab entry \"%s\" must map to an integer id in [0, 2^28)",
                             e->string ? e->string : "");
        st = llmd_tok_strmap_put(&tok->vocab, e->string, strlen(e->string), (uint32_t)e->valuedouble, NULL);
        if (st != LLMD_OK) return st;
    }
    return LLMD_OK;
}

static llmd_status merge_pair(const cJSON *m, size_t rank, const char **a, const char **b, char **tmp) {
    if (cJSON_IsArray(m)) {
        const cJSON *x = cJSON_GetArrayItem(m, 0), *y = cJSON_GetArrayItem(m, 1);
        if (cJSON_GetArraySize(m) != 2 || !cJSON_IsString(x) || !cJSON_IsString(y))
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: merge %zu must be two strings", rank + 1);
        *a = x->valuestring;
        *b = y->valuestring;
        return LLMD_OK;
    }
    if (!cJSON_IsString(m)) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: merge %zu is not a string", rank + 1);
    const char *s = m->valuestring;
    const char *sp = strchr(s, ' ');
    if (sp == NULL || strchr(sp + 1, ' ') != NULL)
        return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: merge %zu (\"%s\") must be two tokens separated by one space",
                         rank + 1, s);
    llmd_free(*tmp);
    *tmp = llmd_strdup(s);
    if (*tmp == NULL) return llmd_fail_nomem("merge");
    (*tmp)[sp - s] = 0;
    *a = *tmp;
    *b = *tmp + (sp - s) + 1;
    return LLMD_OK;
}

static llmd_status load_merges(llmd_tokenizer *tok, const cJSON *merges) {
    size_t n = (size_t)cJSON_GetArraySize(merges);
    llmd_status st = llmd_tok_pairmap_init(&tok->merges, n);
    if (st != LLMD_OK) return st;
    char *tmp = NULL;
    llmd_buf joined = {0};
    size_t rank = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, merges) {
        if (cJSON_IsString(m) && strncmp(m->valuestring, "#version", 8) == 0) continue;
        const char *a = NULL, *b = NULL;
        if ((st = merge_pair(m, rank, &a, &b, &tmp)) != LLMD_OK) break;
        uint32_t ia, ib, inew;
        size_t la = strlen(a), lb = strlen(b);
        if (!llmd_tok_strmap_get(&tok->vocab, a, la, &ia)) {
            st = llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: merge %zu: token \"%s\" is not in the vocabulary", rank + 1, a);
            break;
        }
        if (!llmd_tok_strmap_get(&tok->vocab, b, lb, &ib)) {
            st = llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: merge %zu: token \"%s\" is not in the vocabulary", rank + 1, b);
            break;
        }
        /* The merged token drops prefix_len bytes of the right part (Hugging Face BPE::build). */
        if (lb < tok->prefix_len) {
            st = llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: merge %zu: \"%s\" is shorter than the subword prefix", rank + 1, b);
            break;
        }
        llmd_buf_reset(&joined);
        if ((st = llmd_buf_append(&joined, a, la)) != LLMD_OK ||
            (st = llmd_buf_append(&joined, b + tok->prefix_len, lb - tok->prefix_len)) != LLMD_OK)
            break;
        if (!llmd_tok_strmap_get(&tok->vocab, joined.data, joined.len, &inew)) {
            st = llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: merge %zu: merged token \"%s\" is not in the vocabulary",
                           rank + 1, joined.data);
            break;
        }
        llmd_tok_pairmap_put(&tok->merges, ia, ib, (uint32_t)rank, inew);
        rank++;
    }
    llmd_free(tmp);
    llmd_buf_free(&joined);
    return st;
}

static llmd_status load_model(llmd_tokenizer *tok, const cJSON *model) {
    const char *t = jtype(model);
    const cJSON *vocab = cJSON_GetObjectItemCaseSensitive(model, "vocab");
    const cJSON *merges = cJSON_GetObjectItemCaseSensitive(model, "merges");
    if (t == NULL && merges == NULL)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: model without \"type\" and \"merges\" is not BPE");
    if (t != NULL && strcmp(t, "BPE") != 0)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: model type \"%s\" is not supported (only BPE)", t);
    if (!cJSON_IsObject(vocab) || !cJSON_IsArray(merges))
        return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: BPE model needs \"vocab\" (object) and \"merges\" (array)");
    const cJSON *dropout = cJSON_GetObjectItemCaseSensitive(model, "dropout");
    if (cJSON_IsNumber(dropout) && dropout->valuedouble != 0.0)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: BPE dropout (%g) is not supported: it is random",
                         dropout->valuedouble);
    tok->ignore_merges = jbool(model, "ignore_merges", false);
    tok->byte_fallback = jbool(model, "byte_fallback", false);
    tok->fuse_unk = jbool(model, "fuse_unk", false);
    const char *pre = jstr(model, "continuing_subword_prefix"), *suf = jstr(model, "end_of_word_suffix");
    llmd_status st;
    /* an empty prefix/suffix changes nothing: treat it as absent */
    if (pre && *pre && (st = dup_str(pre, &tok->prefix, &tok->prefix_len)) != LLMD_OK) return st;
    if (suf && *suf && (st = dup_str(suf, &tok->suffix, &tok->suffix_len)) != LLMD_OK) return st;
    if ((st = load_vocab(tok, vocab)) != LLMD_OK) return st;
    if ((st = load_merges(tok, merges)) != LLMD_OK) return st;
    const char *unk = jstr(model, "unk_token");
    if (unk) {
        /* Hugging Face fails at encode time when the unk token is not in the vocabulary; we
         * refuse at load time instead. */
        if (!llmd_tok_strmap_get(&tok->vocab, unk, strlen(unk), &tok->unk_id))
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: unk_token \"%s\" is not in the vocabulary", unk);
        tok->has_unk = true;
    }
    /* the id -> string tables are built once loading is done (fill_ids in tokenizer.c) */
    for (int b = 0; b < 256; b++) {
        char code[8];
        snprintf(code, sizeof code, "<0x%02X>", b);
        if (!tok->byte_fallback || !llmd_tok_strmap_get(&tok->vocab, code, 6, &tok->byte_ids[b]))
            tok->byte_ids[b] = UINT32_MAX;
    }
    return LLMD_OK;
}

/* ---- added tokens ----------------------------------------------------------------------------- */
static llmd_status load_added(llmd_tokenizer *tok, const cJSON *arr) {
    size_t k = (size_t)cJSON_GetArraySize(arr);
    tok->added = llmd_calloc(k ? k : 1, sizeof *tok->added);
    if (tok->added == NULL) return llmd_fail_nomem("added tokens");
    /* Ids follow Hugging Face's add_tokens: a token already in the vocabulary (or added before)
     * keeps that id, others get the next free id after the model vocabulary. */
    uint32_t next_id = (uint32_t)tok->vocab.n;
    llmd_tok_strmap seen;
    llmd_status st = llmd_tok_strmap_init(&seen, k);
    if (st != LLMD_OK) return st;
    const cJSON *it;
    cJSON_ArrayForEach(it, arr) {
        const char *content = jstr(it, "content");
        if (content == NULL) {
            st = llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: added token %zu lacks \"content\"", tok->n_added);
            break;
        }
        size_t len = strlen(content);
        if (len == 0) continue;
        llmd_tok_added a = {0};
        a.special = jbool(it, "special", false);
        a.normalized = jbool(it, "normalized", !a.special);
        a.lstrip = jbool(it, "lstrip", false);
        a.rstrip = jbool(it, "rstrip", false);
        a.single_word = jbool(it, "single_word", false);
        uint32_t id;
        size_t prev_index = SIZE_MAX;
        uint32_t pi;
        if (llmd_tok_strmap_get(&seen, content, len, &pi)) {
            prev_index = pi;
            id = tok->added[pi].id;
        } else if (!llmd_tok_strmap_get(&tok->vocab, content, len, &id)) {
            id = next_id++;
        }
        a.id = id;
        a.len = len;
        a.content = llmd_strndup(content, len);
        if (a.content == NULL) {
            st = llmd_fail_nomem("added token");
            break;
        }
        if (prev_index != SIZE_MAX) {
            /* same content again: the later definition replaces the earlier one */
            llmd_free(tok->added[prev_index].content);
            llmd_free(tok->added[prev_index].norm);
            tok->added[prev_index] = a;
            continue;
        }
        if ((st = llmd_tok_strmap_put(&seen, content, len, (uint32_t)tok->n_added, NULL)) != LLMD_OK) {
            llmd_free(a.content);
            break;
        }
        tok->added[tok->n_added++] = a;
    }
    llmd_tok_strmap_free(&seen);
    return st;
}

static llmd_status parse_json_tree(llmd_tokenizer *tok, const cJSON *root) {
    llmd_status st;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "version")) && cJSON_IsString(v) && strcmp(v->valuestring, "1.0") != 0)
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: version \"%s\" is not supported (1.0)", v->valuestring);
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "truncation")) && !cJSON_IsNull(v))
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: \"truncation\" settings are not supported "
                                               "(set it to null; packing replaces truncation)");
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "padding")) && !cJSON_IsNull(v))
        return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: \"padding\" settings are not supported (set it to null)");
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(root, "model");
    if (!cJSON_IsObject(model)) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: no \"model\" object");
    if ((st = load_model(tok, model)) != LLMD_OK) return st;
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "normalizer")) && !cJSON_IsNull(v)) {
        tok->normalizer = llmd_calloc(1, sizeof *tok->normalizer);
        if (tok->normalizer == NULL) return llmd_fail_nomem("normalizer");
        if ((st = parse_normalizer(tok, v, tok->normalizer)) != LLMD_OK) return st;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "pre_tokenizer")) && !cJSON_IsNull(v)) {
        tok->pretok = llmd_calloc(1, sizeof *tok->pretok);
        if (tok->pretok == NULL) return llmd_fail_nomem("pre_tokenizer");
        if ((st = parse_pretok(tok, v, tok->pretok)) != LLMD_OK) return st;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "post_processor")) && !cJSON_IsNull(v)) {
        tok->post = llmd_calloc(1, sizeof *tok->post);
        if (tok->post == NULL) return llmd_fail_nomem("post_processor");
        if ((st = parse_post(v, tok->post)) != LLMD_OK) return st;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "decoder")) && !cJSON_IsNull(v)) {
        tok->decoder = llmd_calloc(1, sizeof *tok->decoder);
        if (tok->decoder == NULL) return llmd_fail_nomem("decoder");
        if ((st = parse_decoder(tok, v, tok->decoder)) != LLMD_OK) return st;
    }
    if ((v = cJSON_GetObjectItemCaseSensitive(root, "added_tokens")) != NULL) {
        /* Hugging Face: "invalid type: map, expected a sequence" -- ignoring it would drop every
         * special token */
        if (!cJSON_IsArray(v))
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: \"added_tokens\" must be an array of token objects");
        if ((st = load_added(tok, v)) != LLMD_OK) return st;
    }
    return LLMD_OK;
}

/* What cJSON lets through but would give wrong tokens: a raw control character inside a string
 * (invalid JSON: Hugging Face's serde_json refuses the file) and the escape \u0000 (valid JSON,
 * accepted by Hugging Face, but cJSON's NUL-terminated strings would cut the token at it). */
static llmd_status check_json_strings(const char *json, size_t len) {
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)json[i];
        if (!in_str) {
            if (ch == '"') in_str = true;
            continue;
        }
        if (ch == '"') {
            in_str = false;
        } else if (ch < 0x20) {
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: raw control character 0x%02X inside a string at byte "
                             "offset %zu (JSON requires it escaped)", ch, i);
        } else if (ch == '\\' && i + 1 < len) {
            if (json[i + 1] == 'u' && i + 6 <= len && memcmp(json + i + 2, "0000", 4) == 0)
                return llmd_fail(LLMD_ERR_UNSUPPORTED, "tokenizer.json: a string holds the NUL character (\\u0000) at "
                                 "byte offset %zu; tokens containing NUL are not supported", i);
            i++;   /* the escaped character (a quote or backslash does not end the escape) */
        }
    }
    return LLMD_OK;
}

llmd_status llmd_tok_load_json(llmd_tokenizer *tok, const char *json, size_t len) {
    /* JSON text is UTF-8 (RFC 8259; serde_json refuses anything else): checking it here keeps
     * invalid bytes out of every string the components use */
    size_t bad = llmd_utf8_validate((const unsigned char *)json, len);
    if (bad != len) return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: invalid UTF-8 at byte offset %zu", bad);
    llmd_status st = check_json_strings(json, len);
    if (st != LLMD_OK) return st;
    cJSON *root;
    /* serde_json refuses anything but whitespace after the value, as the common layer does */
    if ((st = llmd_json_parse_object(json, len, "tokenizer.json", &root)) != LLMD_OK) return st;
    st = parse_json_tree(tok, root);
    cJSON_Delete(root);
    return st;
}
