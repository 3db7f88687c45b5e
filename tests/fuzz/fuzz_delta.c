/* libFuzzer harness for the Delta log's action parsing and replay (outside input: every commit
 * and checkpoint file of a table someone else wrote).  Build line in tests/fuzz/README.md.
 *
 * The input is split at its first three 0xFF bytes into up to 4 files: commits 0, 1, 2 and a checkpoint of version 1
 * (JSON V2, or classic Parquet when the chunk starts with "PAR1"); they are replayed with the pure dl_replay (no file system).  Invariants (abort on
 * violation):
 *  1. Replay returns OK or PARSE/CORRUPT/UNSUPPORTED/NOT_FOUND/SCHEMA/RANGE with a non-empty
 *     message; never crashes, never leaks (ASan).
 *  2. On OK the state has a protocol and a metaData, every active file and tombstone has a
 *     non-empty decoded path and key, and no key is both active and a tombstone.
 *  3. Replaying the same input twice gives the same number of active files (a pure function).
 *  4. dl_path_decode of any input returns a string no longer than the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "delta/delta_internal.h"

static void check(int ok) {
    if (!ok) abort();
}

typedef struct mem { const char *name[4]; const uint8_t *data[4]; size_t len[4]; size_t n; } mem;

static llmd_status mem_read(void *ctx, const char *name, char **data, size_t *len) {
    const mem *m = ctx;
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->name[i], name) == 0) {
            *data = llmd_malloc(m->len[i] + 1);
            if (*data == NULL) return llmd_fail_nomem("fuzz");
            memcpy(*data, m->data[i], m->len[i]);
            (*data)[m->len[i]] = '\0';
            *len = m->len[i];
            return LLMD_OK;
        }
    return llmd_fail(LLMD_ERR_NOT_FOUND, "%s: no such file", name);
}

static size_t replay_once(const mem *m, llmd_status *out_st) {
    dl_listing l = {0};
    for (size_t i = 0; i < m->n; i++) check(dl_listing_add(&l, m->name[i], (int64_t)m->len[i], 1000 + (int64_t)i) == LLMD_OK);
    dl_listing_sort(&l);
    dl_state s;
    llmd_status st = dl_replay(&l, -1, mem_read, (void *)m, &s);
    size_t n = 0;
    if (st == LLMD_OK) {
        check(s.protocol != NULL && s.metadata != NULL);
        for (size_t i = 0; i < s.files.cap; i++) {
            if (!s.files.slots[i].key) continue;
            const dl_file *f = s.files.slots[i].val;
            check(f->path != NULL && f->key != NULL && f->key[0] != '\0');
            check(dl_map_get(&s.tombstones, f->key) == NULL);
            n++;
        }
        check(n == s.files.len);
        dl_state_free(&s);
    } else {
        check(st == LLMD_ERR_PARSE || st == LLMD_ERR_CORRUPT || st == LLMD_ERR_UNSUPPORTED ||
              st == LLMD_ERR_NOT_FOUND || st == LLMD_ERR_SCHEMA || st == LLMD_ERR_RANGE);
        check(llmd_last_error()[0] != '\0');
    }
    dl_listing_free(&l);
    *out_st = st;
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static const char *names[4] = {"00000000000000000000.json", "00000000000000000001.json",
                                   "00000000000000000002.json",
                                   "00000000000000000001.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json"};
    mem m = {0};
    size_t start = 0;
    for (size_t i = 0; i <= size && m.n < 4; i++) {
        /* the fourth chunk runs to the end (a Parquet checkpoint holds 0xFF bytes itself) */
        if (i == size || (data[i] == 0xFF && m.n < 3)) {
            m.name[m.n] = names[m.n];
            /* a fourth chunk that looks like Parquet is a classic checkpoint (the Parquet reader's
             * action conversion gets fuzzed too) */
            if (m.n == 3 && i - start >= 4 && memcmp(data + start, "PAR1", 4) == 0)
                m.name[m.n] = "00000000000000000001.checkpoint.parquet";
            m.data[m.n] = data + start;
            m.len[m.n] = i - start;
            m.n++;
            start = i + 1;
        }
    }
    llmd_status a, b;
    size_t n1 = replay_once(&m, &a), n2 = replay_once(&m, &b);
    check(a == b && n1 == n2);

    char *s = llmd_malloc(size + 1);
    check(s != NULL);
    memcpy(s, data, size);
    s[size] = '\0';
    char *dec = dl_path_decode(s);
    check(dec != NULL && strlen(dec) <= strlen(s));
    llmd_free(dec);
    llmd_free(s);
    return 0;
}
