/* Internals of the tokenizer module (not installed).
 *
 * Text flows as in Hugging Face `tokenizers`: added tokens are split out of the raw text, each
 * remaining segment is normalized, normalized added tokens are split out of it, the rest is
 * pre-tokenized into pieces, and the BPE model turns each piece into ids.  Strings being worked on
 * live in one growable byte arena per call (pieces refer to it by offset, so growth is safe); when
 * offsets are asked for, every byte carries the [start, end) range of original bytes it came from. */
#ifndef LLMD_TOKENIZER_INTERNAL_H
#define LLMD_TOKENIZER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/internal.h"
#include "llmdata/tokenizer.h"
#include "regex.h"

/* Ids are below 2^28 (268 M tokens); larger ids in a file are refused.  Ids may be sparse: the
 * id tables are sized by the number of tokens in the file, not by the largest id (see
 * llmd_tok_slot), so one huge id costs no more than a small one. */
#define LLMD_TOK_MAX_ID (1u << 28)

/* Normalizers may not make a text longer than LLMD_TOK_NORM_GROWTH times its length plus
 * LLMD_TOK_NORM_SLACK bytes (NFKD, the largest legitimate growth, is below 12x); a file whose
 * Replace/Prepend normalizers go beyond fails the call with LLMD_ERR_RANGE instead of taking
 * gigabytes. */
#define LLMD_TOK_NORM_GROWTH 16u
#define LLMD_TOK_NORM_SLACK 4096u

/* Id -> table slot for a sparse id space: open addressing, keys are id + 1 (0 = empty). */
typedef struct llmd_tok_idmap {
    uint32_t *keys, *slots;
    size_t mask;
} llmd_tok_idmap;

/* ---- hash maps -------------------------------------------------------------------------------- */
/* Byte string -> u32.  Keys are copied into the map's own arena. */
typedef struct llmd_tok_strmap {
    uint32_t *slots;      /* index+1 into entries, 0 = empty */
    size_t mask;          /* slots - 1 (power of two) */
    struct llmd_tok_strent { uint64_t hash; uint32_t off, len, value; } *ent;
    size_t n, cap;
    char *keys;
    size_t keys_len, keys_cap;
} llmd_tok_strmap;

llmd_status llmd_tok_strmap_init(llmd_tok_strmap *m, size_t expected);
void llmd_tok_strmap_free(llmd_tok_strmap *m);
/* Inserts or overwrites; *existed tells which (may be NULL). */
llmd_status llmd_tok_strmap_put(llmd_tok_strmap *m, const char *key, size_t len, uint32_t value, bool *existed);
bool llmd_tok_strmap_get(const llmd_tok_strmap *m, const char *key, size_t len, uint32_t *value);
bool llmd_tok_strmap_get_h(const llmd_tok_strmap *m, const char *key, size_t len, uint64_t h, uint32_t *value);
static inline uint64_t llmd_tok_hash(const void *p, size_t n) { return llmd_hash64(p, n, 0x9e3779b9u); }

/* (u32, u32) pair -> (rank, new id). */
typedef struct llmd_tok_pairmap {
    struct llmd_tok_pairent { uint64_t key; uint32_t rank, id; } *slots; /* key UINT64_MAX = empty */
    size_t mask, n;
} llmd_tok_pairmap;
llmd_status llmd_tok_pairmap_init(llmd_tok_pairmap *m, size_t expected);
void llmd_tok_pairmap_free(llmd_tok_pairmap *m);
void llmd_tok_pairmap_put(llmd_tok_pairmap *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t id);
static inline bool llmd_tok_pairmap_get(const llmd_tok_pairmap *m, uint32_t a, uint32_t b, uint32_t *rank,
                                        uint32_t *id) {
    if (m->slots == NULL) return false;
    uint64_t key = (uint64_t)a << 32 | b;
    uint64_t h = key * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 20) & m->mask;
    for (;;) {
        const struct llmd_tok_pairent *e = &m->slots[i];
        if (e->key == key) {
            *rank = e->rank;
            *id = e->id;
            return true;
        }
        if (e->key == UINT64_MAX) return false;
        i = (i + 1) & m->mask;
    }
}

/* ---- Unicode helpers (unicode.c) --------------------------------------------------------------- */
bool llmd_tok_is_whitespace(uint32_t cp);   /* Unicode White_Space (Rust char::is_whitespace) */
bool llmd_tok_is_numeric(uint32_t cp);      /* Nd | Nl | No (Rust char::is_numeric) */
bool llmd_tok_is_punct(uint32_t cp);        /* ASCII punctuation or P* */
bool llmd_tok_is_word(uint32_t cp);         /* regex \w: L | M | Nd | Nl | Pc */
/* Full lowercase mapping of cp (Rust char::to_lowercase): 1 or 2 code points in out. */
size_t llmd_tok_lowercase(uint32_t cp, uint32_t out[3]);
/* Decodes the code point at s[i] of valid UTF-8 (length returned). */
static inline size_t llmd_tok_u8(const uint8_t *s, size_t n, size_t i, uint32_t *cp) {
    uint8_t c = s[i];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t l = llmd_utf8_decode(s + i, n - i, cp);
    if (l == 0) {
        *cp = 0xFFFD;
        return 1;
    }
    return l;
}
static inline size_t llmd_tok_u8len(uint8_t c) { return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

/* ---- components -------------------------------------------------------------------------------- */
enum { LLMD_TOK_BEH_REMOVED, LLMD_TOK_BEH_ISOLATED, LLMD_TOK_BEH_MERGED_PREV, LLMD_TOK_BEH_MERGED_NEXT,
       LLMD_TOK_BEH_CONTIGUOUS };

/* A split pattern: a regex, a literal string, or a character predicate. */
enum { LLMD_TOK_PAT_REGEX, LLMD_TOK_PAT_STRING, LLMD_TOK_PAT_PRED };
enum { LLMD_TOK_PRED_NUMERIC, LLMD_TOK_PRED_WHITESPACE, LLMD_TOK_PRED_PUNCT, LLMD_TOK_PRED_CHAR };
bool llmd_tok_is_mark(uint32_t cp);         /* Mn | Mc | Me */
typedef struct llmd_tok_pattern {
    int kind;
    llmd_tok_regex *re;
    char *str;
    size_t str_len;
    int pred;
    uint32_t pred_char;
} llmd_tok_pattern;

enum { LLMD_TOK_N_NFC, LLMD_TOK_N_NFKC, LLMD_TOK_N_NFD, LLMD_TOK_N_NFKD, LLMD_TOK_N_LOWER, LLMD_TOK_N_REPLACE,
       LLMD_TOK_N_PREPEND, LLMD_TOK_N_STRIP, LLMD_TOK_N_STRIP_ACCENTS, LLMD_TOK_N_SEQ };
typedef struct llmd_tok_normalizer {
    int kind;
    llmd_tok_pattern pat;      /* Replace */
    char *content;             /* Replace content / Prepend text */
    size_t content_len;
    bool strip_left, strip_right;
    struct llmd_tok_normalizer *items;
    size_t n_items;
} llmd_tok_normalizer;

enum { LLMD_TOK_P_SPLIT, LLMD_TOK_P_BYTELEVEL, LLMD_TOK_P_METASPACE, LLMD_TOK_P_DIGITS, LLMD_TOK_P_WHITESPACE,
       LLMD_TOK_P_WSSPLIT, LLMD_TOK_P_PUNCT, LLMD_TOK_P_SEQ };
enum { LLMD_TOK_PREPEND_ALWAYS, LLMD_TOK_PREPEND_NEVER, LLMD_TOK_PREPEND_FIRST };
typedef struct llmd_tok_pretok {
    int kind;
    llmd_tok_pattern pat;      /* Split, ByteLevel (use_regex), Digits/Punct predicates */
    int behavior;
    bool invert;
    bool add_prefix_space, use_regex;
    uint32_t replacement;      /* Metaspace */
    char rep_utf8[4];
    size_t rep_len;
    int prepend_scheme;
    bool split;
    bool individual_digits;
    bool virtual_bytelevel;    /* ByteLevel as the last step: the model works on raw bytes */
    struct llmd_tok_pretok *items;
    size_t n_items;
} llmd_tok_pretok;

enum { LLMD_TOK_D_BYTELEVEL, LLMD_TOK_D_BYTEFALLBACK, LLMD_TOK_D_METASPACE, LLMD_TOK_D_FUSE, LLMD_TOK_D_STRIP,
       LLMD_TOK_D_REPLACE, LLMD_TOK_D_BPE, LLMD_TOK_D_SEQ };
typedef struct llmd_tok_decoder {
    int kind;
    uint32_t ch;               /* Metaspace replacement / Strip content */
    int prepend_scheme;
    size_t start, stop;        /* Strip */
    llmd_tok_pattern pat;      /* Replace */
    char *content;
    size_t content_len;
    struct llmd_tok_decoder *items;
    size_t n_items;
} llmd_tok_decoder;

enum { LLMD_TOK_PP_BYTELEVEL, LLMD_TOK_PP_TEMPLATE, LLMD_TOK_PP_SEQ };
typedef struct llmd_tok_post {
    int kind;
    /* TemplateProcessing (single): ids before and after the sequence (Roberta/Bert map here). */
    uint32_t *pre, *post;
    size_t n_pre, n_post;
    struct llmd_tok_post *items;
    size_t n_items;
} llmd_tok_post;

typedef struct llmd_tok_added {
    char *content;             /* as given */
    size_t len;
    char *norm;                /* normalized form (normalized tokens), else = content */
    size_t norm_len;
    uint32_t id;
    bool special, normalized, lstrip, rstrip, single_word;
} llmd_tok_added;

/* Leftmost-longest literal matcher over a set of added tokens. */
typedef struct llmd_tok_matcher {
    uint8_t first[256];        /* 1 when some pattern starts with this byte */
    uint32_t *bucket_start;    /* 257 entries: patterns sorted by first byte, then length desc */
    uint32_t *order;           /* added-token indexes */
    size_t n;
} llmd_tok_matcher;

/* ---- the tokenizer ------------------------------------------------------------------------------ */
typedef struct llmd_tok_ctx llmd_tok_ctx;

struct llmd_tokenizer {
    bool tiktoken;             /* rank-file tokenizer: tiktoken's merge rule, raw bytes */
    bool raw;                  /* the model works on raw bytes (ByteLevel last, or tiktoken) */
    bool force_regex;
    /* model */
    llmd_tok_strmap vocab;     /* vocabulary string -> id (tokenizer.json form) */
    llmd_tok_strmap raw_vocab; /* raw bytes -> id, when raw */
    llmd_tok_pairmap merges;
    /* Per-id tables (id_str, id_len, is_special, whole_ok) are indexed by llmd_tok_slot(id):
     * the id itself when ids are dense, else a slot from `sparse` (n_slots = number of ids). */
    char **id_str;             /* slot -> vocabulary string (NULL for holes); strings in str_arena */
    uint32_t *id_len;
    size_t n_ids;              /* vocab_size: 1 + max id */
    size_t n_slots;            /* entries in the per-id tables */
    llmd_tok_idmap sparse;     /* keys == NULL: dense (slot = id) */
    bool ignore_merges, byte_fallback, fuse_unk;
    /* Whole-piece lookup for models without ignore_merges: a piece equal to a vocabulary token is
     * that one token only if BPE of its string gives back the token, which holds for almost all
     * tokens but is not guaranteed by the format; learned lazily per id (0 unknown, 1 yes, 2 no;
     * relaxed atomics, any thread may fill it, every value written is the same). */
    _Atomic unsigned char *whole_ok;
    /* SentencePiece-style vocabularies (no token has U+2581 right after another character): BPE
     * can never merge across the point before a U+2581 that follows another character, so long
     * pieces are cut there first (same ids, word-sized pieces that the cache serves). */
    bool meta_cut;
    bool has_unk;
    uint32_t unk_id;
    char *prefix, *suffix;     /* continuing_subword_prefix / end_of_word_suffix */
    size_t prefix_len, suffix_len;
    uint32_t byte_ids[256];    /* byte_fallback: id of <0xXX>, UINT32_MAX if absent */
    uint32_t raw_byte_id[256]; /* raw mode: id of each single byte, UINT32_MAX if absent */
    /* pipeline */
    llmd_tok_normalizer *normalizer;
    llmd_tok_pretok *pretok;
    llmd_tok_post *post;
    llmd_tok_decoder *decoder;
    llmd_tok_added *added;
    size_t n_added;
    bool *is_special;          /* per slot */
    llmd_tok_matcher match_raw;   /* non-normalized added tokens */
    llmd_tok_matcher match_norm;  /* normalized added tokens (their normalized form) */
    bool special_as_text_default; /* tiktoken: specials are text unless MATCH_SPECIAL */
    int64_t eos;
    /* scratch pool */
    pthread_mutex_t pool_lock;
    llmd_tok_ctx **pool;
    size_t pool_n, pool_cap;
    char *str_arena;
};

/* A piece of text being worked on: bytes at arena offset `off`, and its first byte's position in
 * the original text (`orig`, used by Metaspace prepend_scheme "first"). */
typedef struct llmd_tok_piece {
    size_t off, len, orig;
} llmd_tok_piece;

typedef struct llmd_tok_cache_ent {
    uint64_t hash;
    uint32_t key_off, key_len, ids_off, n_ids;
} llmd_tok_cache_ent;

struct llmd_tok_ctx {
    bool want_align;
    uint8_t *bytes;
    size_t n_bytes, cap_bytes;
    uint32_t *align;           /* 2 per byte when want_align */
    size_t cap_align;
    llmd_tok_piece *pieces, *pieces2;
    size_t n_pieces, cap_pieces, n_pieces2, cap_pieces2;
    /* output */
    uint32_t *ids;
    size_t n_ids, cap_ids;
    size_t *offs;              /* 2 per id when want_align */
    size_t cap_offs;
    /* BPE work */
    struct llmd_tok_sym { uint32_t id, start, len; int32_t prev, next; } *syms;
    size_t cap_syms;
    struct llmd_tok_merge { uint32_t rank, pos, id; } *heap;
    size_t cap_heap;
    /* cache: piece bytes -> ids */
    llmd_tok_cache_ent *cache;
    size_t cache_mask, cache_n;
    uint8_t *cache_keys;
    size_t cache_keys_len, cache_keys_cap;
    uint32_t *cache_ids;
    size_t cache_ids_len, cache_ids_cap;
    llmd_tok_regex_state re_state;
    size_t norm_limit;         /* while normalizing: the longest text allowed (0 = no limit) */
    llmd_buf tmp;
    struct llmd_tok_seg *segs1, *segs2;
    size_t cap_segs1, cap_segs2;
};

/* The table slot of an id, or UINT32_MAX when no token has it. */
static inline uint32_t llmd_tok_slot(const llmd_tokenizer *tok, uint32_t id) {
    if (id >= tok->n_ids) return UINT32_MAX;
    if (tok->sparse.keys == NULL) return tok->id_str[id] ? id : UINT32_MAX;
    size_t i = (size_t)(((uint64_t)id * 0x9E3779B97F4A7C15ULL) >> 32) & tok->sparse.mask;
    for (;;) {
        uint32_t k = tok->sparse.keys[i];
        if (k == id + 1) return tok->sparse.slots[i];
        if (k == 0) return UINT32_MAX;
        i = (i + 1) & tok->sparse.mask;
    }
}

/* Scratch contexts (encode.c). */
llmd_status llmd_tok_ctx_get(const llmd_tokenizer *tok, llmd_tok_ctx **out);
void llmd_tok_ctx_put(const llmd_tokenizer *tok, llmd_tok_ctx *ctx);
void llmd_tok_ctx_free(llmd_tok_ctx *ctx);

/* Arena helpers (encode.c). */
llmd_status llmd_tok_arena_reserve(llmd_tok_ctx *c, size_t extra);
llmd_status llmd_tok_push_piece(llmd_tok_ctx *c, llmd_tok_piece **list, size_t *n, size_t *cap, llmd_tok_piece p);

/* Normalizers (normalize.c): normalizes the piece in place (a new piece in the arena). */
llmd_status llmd_tok_normalize(const llmd_tokenizer *tok, const llmd_tok_normalizer *n, llmd_tok_ctx *c,
                               llmd_tok_piece *p);
/* Pattern matching shared by normalizers, pre-tokenizers and decoders (pretokenize.c): calls
 * fn for every match [s, e) of pat in text[0..len); with `inverted` false/true semantics of HF's
 * find_matches, producing the (offsets, is_match) list that tiles text. */
typedef struct llmd_tok_span { size_t start, end; bool match; } llmd_tok_span;
llmd_status llmd_tok_find_matches(const llmd_tok_pattern *pat, llmd_tok_regex_state *st, const uint8_t *text,
                                  size_t len, llmd_tok_span **spans, size_t *n, size_t *cap);
/* Pre-tokenizers (pretokenize.c): splits c->pieces into c->pieces (via pieces2). */
llmd_status llmd_tok_pretokenize(const llmd_tokenizer *tok, const llmd_tok_pretok *pt, llmd_tok_ctx *c);
/* Text transforms with alignment (normalize.c). */
llmd_status llmd_tok_bytelevel_map(llmd_tok_ctx *c, llmd_tok_piece *p);
const uint16_t *llmd_tok_byte_chars(void);      /* GPT-2 bytes_to_unicode */
llmd_status llmd_tok_metaspace_map(llmd_tok_ctx *c, llmd_tok_piece *p, const llmd_tok_pretok *pt);
llmd_status llmd_tok_normalize_string(const llmd_tokenizer *tok, const char *s, size_t len, char **out, size_t *out_len);
int llmd_tok_char_byte(uint32_t cp);           /* inverse, -1 if none */
/* BPE (bpe.c): ids of one piece appended to c->ids (and offsets when c->want_align). */
llmd_status llmd_tok_bpe_piece(const llmd_tokenizer *tok, llmd_tok_ctx *c, const llmd_tok_piece *p);
/* Matcher (added.c). */
llmd_status llmd_tok_matcher_build(llmd_tok_matcher *m, const llmd_tokenizer *tok, bool normalized);
void llmd_tok_matcher_free(llmd_tok_matcher *m);
/* Splits p by added tokens; token pieces get their id emitted via the callback order: appends to
 * `out` pieces with off = SIZE_MAX-encoded ids?  See added.c. */
typedef struct llmd_tok_seg { size_t start, end; int64_t added; } llmd_tok_seg;
llmd_status llmd_tok_find_added(const llmd_tokenizer *tok, const llmd_tok_matcher *m, const uint8_t *s, size_t len,
                                bool skip_special, llmd_tok_seg **segs, size_t *n, size_t *cap);

/* Loading (json_load.c, tiktoken.c) and shared finishing (tokenizer.c). */
llmd_status llmd_tok_load_json(llmd_tokenizer *tok, const char *json, size_t len);
llmd_status llmd_tok_load_tiktoken(llmd_tokenizer *tok, const char *data, size_t len, const char *pattern);
llmd_status llmd_tok_finish(llmd_tokenizer *tok);
void llmd_tok_pattern_free(llmd_tok_pattern *p);
void llmd_tok_normalizer_free(llmd_tok_normalizer *n);
void llmd_tok_pretok_free(llmd_tok_pretok *p);
void llmd_tok_decoder_free(llmd_tok_decoder *d);
void llmd_tok_post_free(llmd_tok_post *p);

#endif
