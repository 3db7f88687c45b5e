/* Loading entry points, post-load preparation, lookups and freeing. */
#include <stdio.h>
#include <string.h>

#include "tok_internal.h"

void llmd_tokenizer_options_init(llmd_tokenizer_options *opts) {
    if (opts == NULL) return;
    llmd_tokenizer_options d = LLMD_TOKENIZER_OPTIONS_INIT;
    *opts = d;
}

static const size_t OPTION_SIZES[] = {sizeof(llmd_tokenizer_options)};

static llmd_status new_tokenizer(llmd_tokenizer **out, const llmd_tokenizer_options *opts, llmd_tokenizer_options *o) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "tokenizer: out is NULL");
    *out = NULL;
    llmd_tokenizer_options_init(o);
    llmd_status st = llmd_options_copy(o, opts, OPTION_SIZES, LLMD_TOKENIZER_OPTIONS_VERSION, "llmd_tokenizer_options");
    if (st != LLMD_OK) return st;
    llmd_tokenizer *t = llmd_calloc(1, sizeof *t);
    if (t == NULL) return llmd_fail_nomem("tokenizer");
    t->force_regex = o->force_regex != 0;
    t->eos = -1;
    if (pthread_mutex_init(&t->pool_lock, NULL) != 0) {
        llmd_free(t);
        return llmd_fail(LLMD_ERR_INTERNAL, "tokenizer: mutex init failed");
    }
    *out = t;
    return LLMD_OK;
}

/* ---- preparation after loading ---------------------------------------------------------------- */
static llmd_tok_pretok *last_step(llmd_tok_pretok *p) {
    while (p && p->kind == LLMD_TOK_P_SEQ) p = p->n_items ? &p->items[p->n_items - 1] : NULL;
    return p;
}

/* A ByteLevel pre-tokenizer as the very last step maps each byte to one character and nothing
 * looks at the characters afterwards but the model: the model can then work on the raw bytes with
 * a vocabulary keyed by the bytes the tokens stand for (no per-piece transformation). */
static llmd_status prepare_raw_mode(llmd_tokenizer *tok) {
    llmd_tok_pretok *last = last_step(tok->pretok);
    if (last == NULL || last->kind != LLMD_TOK_P_BYTELEVEL) return LLMD_OK;
    if (tok->byte_fallback || tok->prefix || tok->suffix) return LLMD_OK;
    llmd_status st = llmd_tok_strmap_init(&tok->raw_vocab, tok->vocab.n);
    if (st != LLMD_OK) return st;
    uint8_t buf[4096];
    for (size_t i = 0; i < tok->vocab.n; i++) {
        const struct llmd_tok_strent *e = &tok->vocab.ent[i];
        const uint8_t *s = (const uint8_t *)tok->vocab.keys + e->off;
        size_t n = 0, k = 0;
        bool ok = e->len > 0 && e->len <= 2 * sizeof buf;
        while (ok && k < e->len) {
            uint32_t cp;
            size_t l = llmd_tok_u8(s, e->len, k, &cp);
            int b = llmd_tok_char_byte(cp);
            if (b < 0 || n == sizeof buf) ok = false;
            else buf[n++] = (uint8_t)b;
            k += l;
        }
        if (!ok) continue; /* cannot occur in byte-level text */
        if ((st = llmd_tok_strmap_put(&tok->raw_vocab, (const char *)buf, n, e->value, NULL)) != LLMD_OK) return st;
    }
    last->virtual_bytelevel = true;
    tok->raw = true;
    return LLMD_OK;
}

/* ---- id tables ------------------------------------------------------------------------------- */
/* Inserts id into the sparse map (if absent) with the next free slot. */
static void idmap_add(llmd_tok_idmap *m, uint32_t id, size_t *n_slots) {
    size_t i = (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) & m->mask;
    while (m->keys[i] != 0) {
        if (m->keys[i] == id + 1) return;
        i = (i + 1) & m->mask;
    }
    m->keys[i] = id + 1;
    m->slots[i] = (uint32_t)(*n_slots)++;
}

/* Sizes the per-id tables.  Ids are dense in every real vocabulary; a file whose largest id is
 * far beyond its token count (legal: Hugging Face keeps ids in hash maps) gets a sparse map, so
 * memory follows the file's size, never its largest id. */
static llmd_status alloc_id_tables(llmd_tokenizer *tok, const llmd_tok_strmap *model) {
    size_t count = model->n + tok->n_added;   /* >= the number of distinct ids */
    size_t n_ids = 0;
    for (size_t i = 0; i < model->n; i++)
        if (model->ent[i].value >= n_ids) n_ids = (size_t)model->ent[i].value + 1;
    for (size_t i = 0; i < tok->n_added; i++)
        if (tok->added[i].id >= n_ids) n_ids = (size_t)tok->added[i].id + 1;
    tok->n_ids = n_ids;
    tok->n_slots = n_ids;
    if (n_ids > 2 * count + 1024) {
        size_t cap = 16;
        while (cap < 2 * count) cap *= 2;
        tok->sparse.keys = llmd_calloc(cap, sizeof *tok->sparse.keys);
        tok->sparse.slots = llmd_calloc(cap, sizeof *tok->sparse.slots);
        if (tok->sparse.keys == NULL || tok->sparse.slots == NULL) return llmd_fail_nomem("vocabulary id map");
        tok->sparse.mask = cap - 1;
        size_t n = 0;
        for (size_t i = 0; i < model->n; i++) idmap_add(&tok->sparse, model->ent[i].value, &n);
        for (size_t i = 0; i < tok->n_added; i++) idmap_add(&tok->sparse, tok->added[i].id, &n);
        tok->n_slots = n;
    }
    size_t k = tok->n_slots ? tok->n_slots : 1;
    tok->id_str = llmd_calloc(k, sizeof *tok->id_str);
    tok->id_len = llmd_calloc(k, sizeof *tok->id_len);
    tok->is_special = llmd_calloc(k, sizeof *tok->is_special);
    if (tok->id_str == NULL || tok->id_len == NULL || tok->is_special == NULL) return llmd_fail_nomem("vocabulary");
    return LLMD_OK;
}

/* The slot of an id known to the tables (dense: the id itself, holes included). */
static uint32_t slot_of(const llmd_tokenizer *tok, uint32_t id) {
    if (tok->sparse.keys == NULL) return id;
    return llmd_tok_slot(tok, id);
}

static llmd_status fill_ids(llmd_tokenizer *tok) {
    const llmd_tok_strmap *model = tok->tiktoken ? &tok->raw_vocab : &tok->vocab;
    llmd_status st = alloc_id_tables(tok, model);
    if (st != LLMD_OK) return st;
    /* Model tokens: strings in the (final) key arena of the map; the first token listed with an
     * id names it when a tokenizer.json gives two tokens one id. */
    for (size_t i = 0; i < model->n; i++) {
        const struct llmd_tok_strent *e = &model->ent[i];
        uint32_t slot = slot_of(tok, e->value);
        if (tok->id_str[slot] == NULL) {
            tok->id_str[slot] = model->keys + e->off;
            tok->id_len[slot] = e->len;
        }
    }
    for (size_t i = 0; i < tok->n_added; i++) {
        llmd_tok_added *a = &tok->added[i];
        /* Hugging Face looks an id up in the added tokens first, and gives the normalized form
         * of a normalized token (simple_id_to_token) so that the decoder can invert it */
        uint32_t slot = slot_of(tok, a->id);
        tok->id_str[slot] = a->norm ? a->norm : a->content;
        tok->id_len[slot] = (uint32_t)(a->norm ? a->norm_len : a->len);
    }
    /* decode's skip_special_tokens drops an id when its token string is a special token's
     * content (AddedVocabulary::is_special_token) */
    llmd_tok_strmap specials;
    st = llmd_tok_strmap_init(&specials, tok->n_added);
    if (st != LLMD_OK) return st;
    for (size_t i = 0; i < tok->n_added && st == LLMD_OK; i++)
        if (tok->added[i].special) st = llmd_tok_strmap_put(&specials, tok->added[i].content, tok->added[i].len, 1, NULL);
    for (size_t i = 0; i < tok->n_added && st == LLMD_OK; i++) {
        uint32_t slot = slot_of(tok, tok->added[i].id), one;
        if (llmd_tok_strmap_get(&specials, tok->id_str[slot], tok->id_len[slot], &one)) tok->is_special[slot] = true;
    }
    llmd_tok_strmap_free(&specials);
    if (st != LLMD_OK) return st;
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        if (!tok->raw || !llmd_tok_strmap_get(&tok->raw_vocab, (const char *)&c, 1, &tok->raw_byte_id[b]))
            tok->raw_byte_id[b] = UINT32_MAX;
    }
    return LLMD_OK;
}



static llmd_status normalize_added(llmd_tokenizer *tok) {
    for (size_t i = 0; i < tok->n_added; i++) {
        llmd_tok_added *a = &tok->added[i];
        if (!a->normalized || tok->normalizer == NULL) continue;
        llmd_status st = llmd_tok_normalize_string(tok, a->content, a->len, &a->norm, &a->norm_len);
        if (st != LLMD_OK) return st;
        if (a->norm_len == a->len && memcmp(a->norm, a->content, a->len) == 0) {
            llmd_free(a->norm); /* unchanged by normalization: Hugging Face keeps no normalized form */
            a->norm = NULL;
        }
    }
    return LLMD_OK;
}

static void find_eos(llmd_tokenizer *tok) {
    static const char *const names[] = {"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>", "<|eot_id|>",
                                        "<|im_end|>", "[SEP]", "<|end|>"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
        for (size_t i = 0; i < tok->n_added; i++)
            if (tok->added[i].special && strcmp(tok->added[i].content, names[k]) == 0) {
                tok->eos = tok->added[i].id;
                return;
            }
}

/* See meta_cut in tok_internal.h. */
static void detect_meta_cut(llmd_tokenizer *tok) {
    static const char META[] = "\xE2\x96\x81";
    uint32_t id;
    if (tok->raw || tok->prefix || tok->suffix || !llmd_tok_strmap_get(&tok->vocab, META, 3, &id)) return;
    for (size_t i = 0; i < tok->vocab.n; i++) {
        const struct llmd_tok_strent *e = &tok->vocab.ent[i];
        const char *k = tok->vocab.keys + e->off;
        for (size_t j = 1; j + 3 <= e->len; j++)
            if (memcmp(k + j, META, 3) == 0 && !(j >= 3 && memcmp(k + j - 3, META, 3) == 0)) return;
    }
    tok->meta_cut = true;
}

/* Ids a post-processor adds must be tokens (Hugging Face does not check; a template naming an id
 * that no token has is a broken file, and encode would then return ids decode cannot map). */
static llmd_status check_post_ids(const llmd_tokenizer *tok, const llmd_tok_post *p) {
    if (p == NULL) return LLMD_OK;
    for (size_t i = 0; i < p->n_items; i++) {
        llmd_status st = check_post_ids(tok, &p->items[i]);
        if (st != LLMD_OK) return st;
    }
    for (size_t k = 0; k < p->n_pre + p->n_post; k++) {
        uint32_t id = k < p->n_pre ? p->pre[k] : p->post[k - p->n_pre];
        if (llmd_tok_slot(tok, id) == UINT32_MAX)
            return llmd_fail(LLMD_ERR_PARSE, "tokenizer.json: post_processor adds id %u, which is not in the vocabulary", id);
    }
    return LLMD_OK;
}

llmd_status llmd_tok_finish(llmd_tokenizer *tok) {
    llmd_status st;
    if (!tok->tiktoken && (st = prepare_raw_mode(tok)) != LLMD_OK) return st;
    if ((st = normalize_added(tok)) != LLMD_OK) return st;
    if ((st = fill_ids(tok)) != LLMD_OK) return st;
    if ((st = llmd_tok_matcher_build(&tok->match_raw, tok, false)) != LLMD_OK) return st;
    if ((st = llmd_tok_matcher_build(&tok->match_norm, tok, true)) != LLMD_OK) return st;
    if ((st = check_post_ids(tok, tok->post)) != LLMD_OK) return st;
    if (!tok->tiktoken) detect_meta_cut(tok);
    find_eos(tok);
    if (!tok->ignore_merges && tok->n_slots > 0) {
        tok->whole_ok = llmd_calloc(tok->n_slots, sizeof *tok->whole_ok);
        if (tok->whole_ok == NULL) return llmd_fail_nomem("vocabulary");
    }
    return LLMD_OK;
}

/* ---- public loading --------------------------------------------------------------------------- */
llmd_status llmd_tokenizer_from_json(llmd_tokenizer **out, const char *json, size_t len,
                                     const llmd_tokenizer_options *opts) {
    llmd_tokenizer_options o;
    llmd_status st = new_tokenizer(out, opts, &o);
    if (st != LLMD_OK) return st;
    if (json == NULL) st = llmd_fail(LLMD_ERR_INVALID_ARG, "tokenizer: json is NULL");
    if (st == LLMD_OK) st = llmd_tok_load_json(*out, json, len);
    if (st == LLMD_OK) st = llmd_tok_finish(*out);
    if (st != LLMD_OK) {
        llmd_tokenizer_free(*out);
        *out = NULL;
    }
    return st;
}

llmd_status llmd_tokenizer_from_tiktoken(llmd_tokenizer **out, const char *data, size_t len, const char *pattern) {
    llmd_tokenizer_options o;
    llmd_status st = new_tokenizer(out, NULL, &o);
    if (st != LLMD_OK) return st;
    if (data == NULL) st = llmd_fail(LLMD_ERR_INVALID_ARG, "tokenizer: data is NULL");
    if (st == LLMD_OK) st = llmd_tok_load_tiktoken(*out, data, len, pattern);
    if (st == LLMD_OK) st = llmd_tok_finish(*out);
    if (st != LLMD_OK) {
        llmd_tokenizer_free(*out);
        *out = NULL;
    }
    return st;
}

static bool ends_with(const char *s, const char *suffix) {
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* "…/cl100k_base.tiktoken" -> "cl100k" */
static const char *pattern_from_name(const char *path) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    static const char *const names[] = {"p50k_edit", "cl100k", "o200k", "r50k", "p50k", "gpt2"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strstr(base, names[i])) return names[i];
    return NULL;
}

llmd_status llmd_tokenizer_load(llmd_tokenizer **out, const char *path, const llmd_tokenizer_options *opts) {
    if (out) *out = NULL;
    if (out == NULL || path == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_tokenizer_load: NULL argument");
    llmd_tokenizer_options o;
    llmd_tokenizer_options_init(&o);
    llmd_status st = llmd_options_copy(&o, opts, OPTION_SIZES, LLMD_TOKENIZER_OPTIONS_VERSION, "llmd_tokenizer_options");
    if (st != LLMD_OK) return st;
    char *data;
    size_t len;
    if ((st = llmd_read_file(path, &data, &len)) != LLMD_OK) return llmd_error_prefix("tokenizer");  /* the message names path */
    size_t i = 0;
    while (i < len && (data[i] == ' ' || data[i] == '\n' || data[i] == '\r' || data[i] == '\t')) i++;
    bool is_json = i < len && data[i] == '{';
    if (!is_json && (ends_with(path, ".tiktoken") || o.tiktoken_pattern)) {
        const char *pat = o.tiktoken_pattern ? o.tiktoken_pattern : pattern_from_name(path);
        if (pat == NULL)
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "tokenizer %s: a .tiktoken file needs a pattern name "
                                                 "(gpt2, r50k, p50k, cl100k, o200k)", path);
        else
            st = llmd_tokenizer_from_tiktoken(out, data, len, pat);
        if (st == LLMD_OK && o.force_regex) {
            /* rebuild with the regex path forced */
            llmd_tokenizer_free(*out);
            *out = NULL;
            st = new_tokenizer(out, &o, &o);
            if (st == LLMD_OK) st = llmd_tok_load_tiktoken(*out, data, len, pat);
            if (st == LLMD_OK) st = llmd_tok_finish(*out);
            if (st != LLMD_OK) {
                llmd_tokenizer_free(*out);
                *out = NULL;
            }
        }
    } else {
        st = llmd_tokenizer_from_json(out, data, len, &o);
    }
    llmd_free(data);
    if (st != LLMD_OK) return llmd_error_prefix("%s", path);
    return LLMD_OK;
}

void llmd_tokenizer_free(llmd_tokenizer *tok) {
    if (tok == NULL) return;
    for (size_t i = 0; i < tok->pool_n; i++) llmd_tok_ctx_free(tok->pool[i]);
    llmd_free(tok->pool);
    pthread_mutex_destroy(&tok->pool_lock);
    llmd_tok_strmap_free(&tok->vocab);
    llmd_tok_strmap_free(&tok->raw_vocab);
    llmd_tok_pairmap_free(&tok->merges);
    llmd_free(tok->id_str);
    llmd_free(tok->id_len);
    llmd_free(tok->sparse.keys);
    llmd_free(tok->sparse.slots);
    llmd_free(tok->prefix);
    llmd_free(tok->suffix);
    llmd_tok_normalizer_free(tok->normalizer);
    llmd_free(tok->normalizer);
    llmd_tok_pretok_free(tok->pretok);
    llmd_free(tok->pretok);
    llmd_tok_post_free(tok->post);
    llmd_free(tok->post);
    llmd_tok_decoder_free(tok->decoder);
    llmd_free(tok->decoder);
    for (size_t i = 0; i < tok->n_added; i++) {
        llmd_free(tok->added[i].content);
        llmd_free(tok->added[i].norm);
    }
    llmd_free(tok->added);
    llmd_free(tok->is_special);
    llmd_free((void *)tok->whole_ok);
    llmd_tok_matcher_free(&tok->match_raw);
    llmd_tok_matcher_free(&tok->match_norm);
    llmd_free(tok->str_arena);
    llmd_free(tok);
}

/* ---- lookups ---------------------------------------------------------------------------------- */
llmd_status llmd_tokenizer_token_to_id(const llmd_tokenizer *tok, const char *token, size_t len, uint32_t *id) {
    if (tok == NULL || token == NULL || id == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_tokenizer_token_to_id: NULL argument");
    for (size_t i = 0; i < tok->n_added; i++)
        if (tok->added[i].len == len && memcmp(tok->added[i].content, token, len) == 0) {
            *id = tok->added[i].id;
            return LLMD_OK;
        }
    const llmd_tok_strmap *m = tok->tiktoken ? &tok->raw_vocab : &tok->vocab;
    if (llmd_tok_strmap_get(m, token, len, id)) return LLMD_OK;
    return llmd_fail(LLMD_ERR_NOT_FOUND, "token \"%.*s\" is not in the vocabulary", (int)(len > 64 ? 64 : len), token);
}

llmd_status llmd_tokenizer_id_to_token(const llmd_tokenizer *tok, uint32_t id, const char **token, size_t *len) {
    if (tok == NULL || token == NULL || len == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_tokenizer_id_to_token: NULL argument");
    uint32_t slot = llmd_tok_slot(tok, id);
    if (slot == UINT32_MAX)
        return llmd_fail(LLMD_ERR_RANGE, "id %u is not in the vocabulary (size %zu)", id, tok->n_ids);
    *token = tok->id_str[slot];
    *len = tok->id_len[slot];
    return LLMD_OK;
}

uint64_t llmd_tokenizer_vocab_size(const llmd_tokenizer *tok) { return tok ? tok->n_ids : 0; }

int llmd_tokenizer_is_special(const llmd_tokenizer *tok, uint32_t id) {
    if (tok == NULL) return 0;
    uint32_t slot = llmd_tok_slot(tok, id);
    return slot != UINT32_MAX && tok->is_special[slot];
}

int64_t llmd_tokenizer_eos_id(const llmd_tokenizer *tok) { return tok ? tok->eos : -1; }
