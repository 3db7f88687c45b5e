/* Open-addressing hash maps of the tokenizer: byte string -> id, and id pair -> (rank, id). */
#include <string.h>

#include "tok_internal.h"

static size_t pow2_at_least(size_t n) {
    size_t p = 16;
    while (p < n) p <<= 1;
    return p;
}

llmd_status llmd_tok_strmap_init(llmd_tok_strmap *m, size_t expected) {
    memset(m, 0, sizeof *m);
    size_t slots = pow2_at_least(expected * 2 + 16);
    m->slots = llmd_calloc(slots, sizeof *m->slots);
    m->cap = expected + 16;
    m->ent = llmd_malloc(m->cap * sizeof *m->ent);
    m->keys_cap = expected * 8 + 256;
    m->keys = llmd_malloc(m->keys_cap);
    if (m->slots == NULL || m->ent == NULL || m->keys == NULL) {
        llmd_tok_strmap_free(m);
        return llmd_fail_nomem("tokenizer vocabulary map");
    }
    m->mask = slots - 1;
    return LLMD_OK;
}

void llmd_tok_strmap_free(llmd_tok_strmap *m) {
    llmd_free(m->slots);
    llmd_free(m->ent);
    llmd_free(m->keys);
    memset(m, 0, sizeof *m);
}

static llmd_status strmap_grow(llmd_tok_strmap *m) {
    size_t slots = (m->mask + 1) * 2;
    uint32_t *ns = llmd_calloc(slots, sizeof *ns);
    if (ns == NULL) return llmd_fail_nomem("tokenizer vocabulary map");
    for (size_t i = 0; i < m->n; i++) {
        size_t j = (size_t)m->ent[i].hash & (slots - 1);
        while (ns[j]) j = (j + 1) & (slots - 1);
        ns[j] = (uint32_t)(i + 1);
    }
    llmd_free(m->slots);
    m->slots = ns;
    m->mask = slots - 1;
    return LLMD_OK;
}

bool llmd_tok_strmap_get_h(const llmd_tok_strmap *m, const char *key, size_t len, uint64_t h, uint32_t *value) {
    if (m->slots == NULL) return false;
    size_t i = (size_t)h & m->mask;
    for (;;) {
        uint32_t s = m->slots[i];
        if (s == 0) return false;
        const struct llmd_tok_strent *e = &m->ent[s - 1];
        if (e->hash == h && e->len == len && memcmp(m->keys + e->off, key, len) == 0) {
            *value = e->value;
            return true;
        }
        i = (i + 1) & m->mask;
    }
}

bool llmd_tok_strmap_get(const llmd_tok_strmap *m, const char *key, size_t len, uint32_t *value) {
    return llmd_tok_strmap_get_h(m, key, len, llmd_tok_hash(key, len), value);
}

llmd_status llmd_tok_strmap_put(llmd_tok_strmap *m, const char *key, size_t len, uint32_t value, bool *existed) {
    uint64_t h = llmd_tok_hash(key, len);
    size_t i = (size_t)h & m->mask;
    if (existed) *existed = false;
    for (;;) {
        uint32_t s = m->slots[i];
        if (s == 0) break;
        struct llmd_tok_strent *e = &m->ent[s - 1];
        if (e->hash == h && e->len == len && memcmp(m->keys + e->off, key, len) == 0) {
            e->value = value;
            if (existed) *existed = true;
            return LLMD_OK;
        }
        i = (i + 1) & m->mask;
    }
    if (len > UINT32_MAX / 2 || m->keys_len + len > UINT32_MAX) return llmd_fail(LLMD_ERR_RANGE, "vocabulary too large");
    if (m->n == m->cap) {
        size_t nc = m->cap * 2;
        void *ne = llmd_realloc(m->ent, m->cap * sizeof *m->ent, nc * sizeof *m->ent);
        if (ne == NULL) return llmd_fail_nomem("tokenizer vocabulary map");
        m->ent = ne;
        m->cap = nc;
    }
    if (m->keys_len + len + 1 > m->keys_cap) {
        size_t nc = m->keys_cap * 2 + len + 1;
        char *nk = llmd_realloc(m->keys, m->keys_cap, nc);
        if (nk == NULL) return llmd_fail_nomem("tokenizer vocabulary map");
        m->keys = nk;
        m->keys_cap = nc;
    }
    memcpy(m->keys + m->keys_len, key, len);
    m->keys[m->keys_len + len] = 0;
    m->ent[m->n] = (struct llmd_tok_strent){h, (uint32_t)m->keys_len, (uint32_t)len, value};
    m->keys_len += len + 1;
    m->slots[i] = (uint32_t)(++m->n);
    if (m->n * 2 > m->mask + 1) return strmap_grow(m);
    return LLMD_OK;
}

llmd_status llmd_tok_pairmap_init(llmd_tok_pairmap *m, size_t expected) {
    size_t slots = pow2_at_least(expected * 2 + 16);
    m->slots = llmd_malloc(slots * sizeof *m->slots);
    if (m->slots == NULL) return llmd_fail_nomem("tokenizer merges");
    for (size_t i = 0; i < slots; i++) m->slots[i].key = UINT64_MAX;
    m->mask = slots - 1;
    m->n = 0;
    return LLMD_OK;
}

void llmd_tok_pairmap_free(llmd_tok_pairmap *m) {
    llmd_free(m->slots);
    memset(m, 0, sizeof *m);
}

/* Later puts of the same pair overwrite earlier ones, as a Rust HashMap collected from the merge
 * list does.  The map is sized at init for all merges, so it never grows. */
void llmd_tok_pairmap_put(llmd_tok_pairmap *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t id) {
    uint64_t key = (uint64_t)a << 32 | b;
    uint64_t h = key * 0x9E3779B97F4A7C15ULL;
    size_t i = (size_t)(h >> 20) & m->mask;
    while (m->slots[i].key != UINT64_MAX && m->slots[i].key != key) i = (i + 1) & m->mask;
    if (m->slots[i].key == UINT64_MAX) m->n++;
    m->slots[i] = (struct llmd_tok_pairent){key, rank, id};
}
