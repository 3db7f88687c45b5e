/* tiktoken rank files: one "base64(token bytes) rank" pair per line.  The rank is the id and the
 * merge priority; the split pattern and special tokens come from the named encoding. */
#include <stdlib.h>
#include <string.h>

#include "tok_internal.h"

typedef struct special_def { const char *name; uint32_t id; } special_def;
typedef struct encoding_def {
    const char *name;
    const special_def *specials;
    size_t n_specials;
} encoding_def;

/* Special tokens of tiktoken's encodings (tiktoken_ext/openai_public.py). */
static const special_def SP_GPT2[] = {{"<|endoftext|>", 50256}};
static const special_def SP_P50K_EDIT[] = {{"<|endoftext|>", 50256}, {"<|fim_prefix|>", 50281},
                                           {"<|fim_middle|>", 50282}, {"<|fim_suffix|>", 50283}};
static const special_def SP_CL100K[] = {{"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258},
                                        {"<|fim_middle|>", 100259}, {"<|fim_suffix|>", 100260},
                                        {"<|endofprompt|>", 100276}};
static const special_def SP_O200K[] = {{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}};

static const encoding_def ENCODINGS[] = {
    {"gpt2", SP_GPT2, 1}, {"r50k", SP_GPT2, 1}, {"p50k", SP_GPT2, 1}, {"p50k_edit", SP_P50K_EDIT, 4},
    {"cl100k", SP_CL100K, 5}, {"o200k", SP_O200K, 2},
};

static const encoding_def *find_encoding(const char *name) {
    char base[32];
    size_t n = strlen(name);
    if (n >= sizeof base) return NULL;
    memcpy(base, name, n + 1);
    if (n > 5 && strcmp(base + n - 5, "_base") == 0) base[n - 5] = 0;
    for (size_t i = 0; i < sizeof ENCODINGS / sizeof *ENCODINGS; i++)
        if (strcmp(ENCODINGS[i].name, base) == 0) return &ENCODINGS[i];
    return NULL;
}

static int b64val(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Decodes standard base64 with '=' padding; returns the length or -1. */
static long b64decode(const char *s, size_t n, uint8_t *out) {
    if (n % 4 != 0) return -1;
    long o = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        int pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else {
                if (pad) return -1;
                v[k] = b64val((unsigned char)s[i + k]);
                if (v[k] < 0) return -1;
            }
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[o++] = (uint8_t)(w >> 16);
        if (pad < 2) out[o++] = (uint8_t)(w >> 8);
        if (pad < 1) out[o++] = (uint8_t)w;
    }
    return o;
}

typedef struct rank_line { uint32_t rank, line; } rank_line;
static llmd_status parse_lines(llmd_tokenizer *tok, const char *data, size_t len, rank_line *rl, size_t *n_rl);

static int cmp_rank_line(const void *a, const void *b) {
    const rank_line *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

/* tiktoken refuses a rank given to two tokens ("Encoder and decoder must be of equal length"):
 * decoding one of them would give the other's bytes. */
static llmd_status check_distinct_ranks(rank_line *rl, size_t n) {
    qsort(rl, n, sizeof *rl, cmp_rank_line);
    for (size_t i = 1; i < n; i++)
        if (rl[i].rank == rl[i - 1].rank)
            return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %u: rank %u is already the rank of line %u",
                             rl[i].line, rl[i].rank, rl[i - 1].line);
    return LLMD_OK;
}

static llmd_status parse_ranks(llmd_tokenizer *tok, const char *data, size_t len) {
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += data[i] == '\n';
    llmd_status st = llmd_tok_strmap_init(&tok->raw_vocab, lines + 1);
    if (st != LLMD_OK) return st;
    rank_line *rl = llmd_malloc((lines + 1) * sizeof *rl);
    if (rl == NULL) return llmd_fail_nomem("tiktoken ranks");
    size_t n_rl = 0;
    st = parse_lines(tok, data, len, rl, &n_rl);
    if (st == LLMD_OK) st = check_distinct_ranks(rl, n_rl);
    llmd_free(rl);
    return st;
}

static llmd_status parse_lines(llmd_tokenizer *tok, const char *data, size_t len, rank_line *rl, size_t *n_rl) {
    llmd_status st;
    uint8_t buf[1024];
    size_t line = 0, pos = 0;
    while (pos < len) {
        line++;
        const char *nl = memchr(data + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t e = end;
        if (e > pos && data[e - 1] == '\r') e--;
        if (e > pos) {
            const char *sp = memchr(data + pos, ' ', e - pos);
            if (sp == NULL) return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %zu: expected \"base64 rank\"", line);
            size_t b64len = (size_t)(sp - (data + pos));
            if (b64len / 4 * 3 > sizeof buf)
                return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %zu: token longer than %zu bytes", line, sizeof buf);
            long n = b64decode(data + pos, b64len, buf);
            if (n <= 0) return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %zu: bad base64", line);
            uint64_t rank = 0;
            const char *r = sp + 1;
            if (r >= data + e) return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %zu: missing rank", line);
            for (; r < data + e; r++) {
                if (*r < '0' || *r > '9' || rank > UINT32_MAX / 10)
                    return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %zu: bad rank", line);
                rank = rank * 10 + (uint64_t)(*r - '0');
            }
            if (rank >= LLMD_TOK_MAX_ID)
                return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %zu: rank %llu too large (max %u)", line,
                                 (unsigned long long)rank, (unsigned)LLMD_TOK_MAX_ID - 1);
            bool existed;
            if ((st = llmd_tok_strmap_put(&tok->raw_vocab, (const char *)buf, (size_t)n, (uint32_t)rank, &existed)) != LLMD_OK)
                return st;
            if (existed) return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: line %zu: token listed twice", line);
            rl[(*n_rl)++] = (rank_line){(uint32_t)rank, (uint32_t)(line > UINT32_MAX ? UINT32_MAX : line)};
        }
        pos = end + 1;
    }
    if (tok->raw_vocab.n == 0) return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: no tokens");
    /* tiktoken needs every byte as a token (its merge starts from single bytes) */
    for (int b = 0; b < 256; b++) {
        uint8_t c = (uint8_t)b;
        uint32_t id;
        if (!llmd_tok_strmap_get(&tok->raw_vocab, (const char *)&c, 1, &id))
            return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: no single-byte token for byte 0x%02X", b);
    }
    return LLMD_OK;
}

llmd_status llmd_tok_load_tiktoken(llmd_tokenizer *tok, const char *data, size_t len, const char *pattern) {
    if (pattern == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "tiktoken file: a pattern name is needed (gpt2, r50k, p50k, cl100k, o200k)");
    const encoding_def *enc = find_encoding(pattern);
    const char *pat = llmd_tok_tiktoken_pattern(pattern);
    if (enc == NULL || pat == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "tiktoken pattern \"%s\" is unknown (gpt2, r50k, p50k, p50k_edit, cl100k, o200k)",
                         pattern);
    tok->tiktoken = true;
    tok->raw = true;
    tok->ignore_merges = true;   /* tiktoken looks the whole piece up first */
    tok->special_as_text_default = true;
    llmd_status st = parse_ranks(tok, data, len);
    if (st != LLMD_OK) return st;
    /* pre-tokenizer: one Split (Isolated) with the encoding's pattern */
    tok->pretok = llmd_calloc(1, sizeof *tok->pretok);
    if (tok->pretok == NULL) return llmd_fail_nomem("pre_tokenizer");
    tok->pretok->kind = LLMD_TOK_P_SPLIT;
    tok->pretok->behavior = LLMD_TOK_BEH_ISOLATED;
    tok->pretok->pat.kind = LLMD_TOK_PAT_REGEX;
    if ((st = llmd_tok_regex_new(&tok->pretok->pat.re, pat, strlen(pat), tok->force_regex)) != LLMD_OK) return st;
    /* A rank equal to a special token's id would make that id decode as the special token (or
     * as the rank's bytes, depending on the reader): refused by name. */
    for (size_t i = 0; i < tok->raw_vocab.n; i++)
        for (size_t k = 0; k < enc->n_specials; k++)
            if (tok->raw_vocab.ent[i].value == enc->specials[k].id)
                return llmd_fail(LLMD_ERR_PARSE, "tiktoken file: rank %u is the id of the special token %s of "
                                 "the %s encoding", enc->specials[k].id, enc->specials[k].name, pattern);
    tok->added = llmd_calloc(enc->n_specials, sizeof *tok->added);
    if (tok->added == NULL) return llmd_fail_nomem("special tokens");
    for (size_t i = 0; i < enc->n_specials; i++) {
        llmd_tok_added *a = &tok->added[tok->n_added++];
        a->len = strlen(enc->specials[i].name);
        a->content = llmd_strndup(enc->specials[i].name, a->len);
        if (a->content == NULL) return llmd_fail_nomem("special tokens");
        a->id = enc->specials[i].id;
        a->special = true;
    }
    return LLMD_OK;
}
