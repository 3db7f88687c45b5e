/* Exact dedup: content hashes, a bounded open-addressing set of them, repeated-line removal. */
#include "dedup_internal.h"

LLMD_API llmd_status llmd_exact_hash(const char *text, size_t len, unsigned flags, uint8_t out[16]) {
    if (out == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_exact_hash: NULL %s", out == NULL ? "out" : "text");
    if (flags & ~(unsigned)LLMD_EXACT_NORMALIZED)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_exact_hash: unknown flags 0x%x", flags);
    if (!(flags & LLMD_EXACT_NORMALIZED)) {
        llmd_hash128(text ? text : "", len, 0, out);
        return LLMD_OK;
    }
    llmd_dd_words w = {LLMD_BUF_INIT, NULL, NULL, 0, 0};
    llmd_status st = llmd_dd_fold(text ? text : "", len, &w, 1);
    if (st == LLMD_OK) llmd_hash128(w.folded.data ? w.folded.data : "", w.folded.len, 0, out);
    llmd_dd_words_free(&w);
    return st;
}

/* ---- the set ---- */
struct llmd_exact_set {
    unsigned key_bytes;
    uint8_t *slots;       /* nslots * key_bytes; an all-zero slot is empty */
    uint64_t nslots, count, max_bytes;
    int has_zero;         /* the all-zero key itself is present (kept out of the table) */
};

static const size_t exact_sizes[] = {sizeof(llmd_exact_set_options)};

static int is_zero(const uint8_t *k, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        if (k[i]) return 0;
    return 1;
}

static uint64_t slots_for(uint64_t count) {
    uint64_t s = 16;
    while ((double)count > 0.7 * (double)s) s *= 2;
    return s;
}

LLMD_API llmd_status llmd_exact_set_new(llmd_exact_set **out, const llmd_exact_set_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_exact_set_new: NULL out");
    *out = NULL;
    llmd_exact_set_options o = LLMD_EXACT_SET_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts, exact_sizes, LLMD_EXACT_SET_OPTIONS_VERSION,
                                       "llmd_exact_set_options");
    if (st != LLMD_OK) return st;
    if (o.key_bytes != 8 && o.key_bytes != 16)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "exact set key_bytes %u: must be 8 or 16", o.key_bytes);
    if (o.capacity > (UINT64_C(1) << 40))
        return llmd_fail(LLMD_ERR_RANGE, "exact set capacity %llu over the 2^40 limit",
                         (unsigned long long)o.capacity);
    uint64_t ns = slots_for(o.capacity);
    if (o.max_bytes && ns * o.key_bytes > o.max_bytes)
        return llmd_fail(LLMD_ERR_RANGE,
                         "exact set: capacity %llu needs %llu bytes (%llu slots of %u bytes at load 0.7), "
                         "over max_bytes %llu", (unsigned long long)o.capacity,
                         (unsigned long long)(ns * o.key_bytes), (unsigned long long)ns, o.key_bytes,
                         (unsigned long long)o.max_bytes);
    llmd_exact_set *s = llmd_calloc(1, sizeof *s);
    if (s == NULL) return llmd_fail_nomem("creating an exact set");
    if (ns * o.key_bytes > SIZE_MAX || (s->slots = llmd_calloc((size_t)ns, o.key_bytes)) == NULL) {
        llmd_free(s);
        return llmd_fail_nomem("creating an exact set table");
    }
    s->key_bytes = o.key_bytes;
    s->nslots = ns;
    s->max_bytes = o.max_bytes;
    *out = s;
    return LLMD_OK;
}

LLMD_API void llmd_exact_set_free(llmd_exact_set *set) {
    if (set == NULL) return;
    llmd_free(set->slots);
    llmd_free(set);
}

/* Slot holding key, or the empty slot where it would go. */
static uint64_t probe(const uint8_t *slots, uint64_t nslots, unsigned kb, const uint8_t *key) {
    uint64_t mask = nslots - 1, i = llmd_load_le64(key) & mask;
    for (;;) {
        const uint8_t *p = slots + i * kb;
        if (memcmp(p, key, kb) == 0 || is_zero(p, kb)) return i;
        i = (i + 1) & mask;
    }
}

static llmd_status grow(llmd_exact_set *s) {
    uint64_t ns = s->nslots * 2;
    if (s->max_bytes && ns * s->key_bytes > s->max_bytes)
        return llmd_fail(LLMD_ERR_RANGE,
                         "exact set full: %llu keys fill %llu bytes and the next table (%llu bytes) is "
                         "over max_bytes %llu; raise max_bytes, use key_bytes 8, or shard the corpus",
                         (unsigned long long)s->count, (unsigned long long)(s->nslots * s->key_bytes),
                         (unsigned long long)(ns * s->key_bytes), (unsigned long long)s->max_bytes);
    if (ns * s->key_bytes > SIZE_MAX) return llmd_fail_nomem("growing an exact set");
    uint8_t *n = llmd_calloc((size_t)ns, s->key_bytes);
    if (n == NULL) return llmd_fail_nomem("growing an exact set");
    for (uint64_t i = 0; i < s->nslots; i++) {
        const uint8_t *k = s->slots + i * s->key_bytes;
        if (is_zero(k, s->key_bytes)) continue;
        memcpy(n + probe(n, ns, s->key_bytes, k) * s->key_bytes, k, s->key_bytes);
    }
    llmd_free(s->slots);
    s->slots = n;
    s->nslots = ns;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_exact_set_insert(llmd_exact_set *set, const uint8_t hash[16], int *was_new) {
    if (set == NULL || hash == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_exact_set_insert: NULL %s", set ? "hash" : "set");
    if (was_new) *was_new = 0;
    unsigned kb = set->key_bytes;
    if (is_zero(hash, kb)) {
        if (!set->has_zero) {
            set->has_zero = 1;
            set->count++;
            if (was_new) *was_new = 1;
        }
        return LLMD_OK;
    }
    uint64_t i = probe(set->slots, set->nslots, kb, hash);
    if (!is_zero(set->slots + i * kb, kb)) return LLMD_OK;
    if ((double)(set->count + 1) > 0.7 * (double)set->nslots) {
        llmd_status st = grow(set);
        if (st != LLMD_OK) return st;
        i = probe(set->slots, set->nslots, kb, hash);
    }
    memcpy(set->slots + i * kb, hash, kb);
    set->count++;
    if (was_new) *was_new = 1;
    return LLMD_OK;
}

LLMD_API int llmd_exact_set_contains(const llmd_exact_set *set, const uint8_t hash[16]) {
    if (set == NULL || hash == NULL) return 0;
    if (is_zero(hash, set->key_bytes)) return set->has_zero;
    uint64_t i = probe(set->slots, set->nslots, set->key_bytes, hash);
    return !is_zero(set->slots + i * set->key_bytes, set->key_bytes);
}

LLMD_API uint64_t llmd_exact_set_count(const llmd_exact_set *set) { return set ? set->count : 0; }
LLMD_API uint64_t llmd_exact_set_memory(const llmd_exact_set *set) {
    return set ? set->nslots * set->key_bytes : 0;
}

/* ---- repeated lines ---- */
typedef struct line_slot {
    uint64_t key;       /* 0 = empty (a line hashing to 0 is stored as 1) */
    uint32_t count;     /* documents containing the line */
    uint32_t last_doc;  /* 1 + index of the last document that counted it */
} line_slot;

struct llmd_line_dedup {
    line_slot *slots;
    uint64_t nslots, used, docs;
    uint32_t min_docs;
    int filtering;
};

LLMD_API llmd_status llmd_line_dedup_new(llmd_line_dedup **out, const llmd_line_dedup_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_line_dedup_new: NULL out");
    *out = NULL;
    static const size_t sizes[] = {sizeof(llmd_line_dedup_options)};
    llmd_line_dedup_options o = LLMD_LINE_DEDUP_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts, sizes, LLMD_LINE_DEDUP_OPTIONS_VERSION, "llmd_line_dedup_options");
    if (st != LLMD_OK) return st;
    uint32_t min_docs = o.min_docs;
    if (min_docs < 2) return llmd_fail(LLMD_ERR_INVALID_ARG, "line dedup min_docs %u: must be >= 2", min_docs);
    llmd_line_dedup *ld = llmd_calloc(1, sizeof *ld);
    if (ld == NULL || (ld->slots = llmd_calloc(1024, sizeof *ld->slots)) == NULL) {
        llmd_free(ld);
        return llmd_fail_nomem("creating a line counter");
    }
    ld->nslots = 1024;
    ld->min_docs = min_docs;
    *out = ld;
    return LLMD_OK;
}

LLMD_API void llmd_line_dedup_free(llmd_line_dedup *ld) {
    if (ld == NULL) return;
    llmd_free(ld->slots);
    llmd_free(ld);
}

static uint64_t line_probe(const line_slot *slots, uint64_t nslots, uint64_t key) {
    uint64_t mask = nslots - 1, i = (key ^ (key >> 29)) & mask;
    while (slots[i].key != 0 && slots[i].key != key) i = (i + 1) & mask;
    return i;
}

/* Calls fn for each non-empty trimmed line of text: (line key, start, end-with-newline). */
static uint64_t line_key(const char *text, size_t a, size_t e, size_t *ta, size_t *te) {
    size_t s = a, t = e;
    if (t > s && text[t - 1] == '\n') t--;
    if (t > s && text[t - 1] == '\r') t--;
    while (s < t && (text[s] == ' ' || text[s] == '\t')) s++;
    while (t > s && (text[t - 1] == ' ' || text[t - 1] == '\t')) t--;
    *ta = s;
    *te = t;
    if (s == t) return 0;
    uint64_t k = llmd_hash64(text + s, t - s, 0);
    return k ? k : 1;
}

static size_t next_line_end(const char *text, size_t len, size_t a) {
    const char *nl = memchr(text + a, '\n', len - a);
    return nl ? (size_t)(nl - text) + 1 : len;
}

LLMD_API llmd_status llmd_line_dedup_count(llmd_line_dedup *ld, const char *text, size_t len) {
    if (ld == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_line_dedup_count: NULL %s", ld ? "text" : "ld");
    if (ld->filtering)
        return llmd_fail(LLMD_ERR_STATE, "llmd_line_dedup_count after llmd_line_dedup_filter: counting "
                                         "(pass 1) must finish before filtering (pass 2)");
    if (ld->docs >= UINT32_MAX - 1) return llmd_fail(LLMD_ERR_RANGE, "line dedup: over 2^32-2 documents");
    uint32_t doc = (uint32_t)(ld->docs + 1);
    for (size_t a = 0; a < len;) {
        size_t e = next_line_end(text, len, a), ta, te;
        uint64_t k = line_key(text, a, e, &ta, &te);
        a = e;
        if (k == 0) continue;
        if ((ld->used + 1) * 2 > ld->nslots) {
            uint64_t ns = ld->nslots * 2;
            line_slot *n = llmd_calloc((size_t)ns, sizeof *n);
            if (n == NULL) return llmd_fail_nomem("growing the line counter");
            for (uint64_t i = 0; i < ld->nslots; i++)
                if (ld->slots[i].key) n[line_probe(n, ns, ld->slots[i].key)] = ld->slots[i];
            llmd_free(ld->slots);
            ld->slots = n;
            ld->nslots = ns;
        }
        line_slot *sl = &ld->slots[line_probe(ld->slots, ld->nslots, k)];
        if (sl->key == 0) {
            sl->key = k;
            ld->used++;
        }
        if (sl->last_doc != doc) {
            sl->last_doc = doc;
            if (sl->count < UINT32_MAX) sl->count++;
        }
    }
    ld->docs++;
    return LLMD_OK;
}

LLMD_API llmd_status llmd_line_dedup_filter(llmd_line_dedup *ld, const char *text, size_t len,
                                            char **out, size_t *out_len, size_t *removed) {
    if (ld == NULL || out == NULL || (text == NULL && len > 0))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_line_dedup_filter: NULL %s",
                         ld == NULL ? "ld" : out == NULL ? "out" : "text");
    *out = NULL;
    if (out_len) *out_len = 0;
    if (removed) *removed = 0;
    ld->filtering = 1;
    llmd_buf b = LLMD_BUF_INIT;
    llmd_status st = llmd_buf_reserve(&b, len);
    size_t rm = 0;
    for (size_t a = 0; a < len && st == LLMD_OK;) {
        size_t e = next_line_end(text, len, a), ta, te;
        uint64_t k = line_key(text, a, e, &ta, &te);
        int drop = 0;
        if (k != 0) {
            const line_slot *sl = &ld->slots[line_probe(ld->slots, ld->nslots, k)];
            drop = sl->key == k && sl->count >= ld->min_docs;
        }
        if (drop) rm++;
        else st = llmd_buf_append(&b, text + a, e - a);
        a = e;
    }
    if (st == LLMD_OK) st = llmd_buf_reserve(&b, 0);
    if (st != LLMD_OK) {
        llmd_buf_free(&b);
        return st;
    }
    size_t n;
    *out = llmd_buf_detach(&b, &n);
    if (out_len) *out_len = n;
    if (removed) *removed = rm;
    return LLMD_OK;
}

LLMD_API uint64_t llmd_line_dedup_docs(const llmd_line_dedup *ld) { return ld ? ld->docs : 0; }
LLMD_API uint64_t llmd_line_dedup_distinct_lines(const llmd_line_dedup *ld) { return ld ? ld->used : 0; }
