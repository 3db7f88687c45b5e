/* Packing throughput: tokens/s of llmd_packer_add + finish, greedy and best-fit, on synthetic
 * documents whose lengths follow a heavy-tailed distribution like tokenized web text (median
 * ~400 tokens, a long tail to 32k), ids uniform below 50257.  The window callback only counts
 * (writing shards is measured by the pipeline benchmark).
 *   bench_pack [MTOKENS (default 100)] [SEQ_LEN (default 2048)] [REPEATS (default 3)]
 * prints per strategy: "pack <strategy>: X Gtokens/s (N windows, T docs truncated of D, efficiency E)". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "llmdata.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static llmd_status count_window(void *ctx, const llmd_pack_window *w) {
    uint64_t *n = ctx;
    *n += w->tokens[0] != UINT32_MAX; /* touch the window */
    return LLMD_OK;
}

int main(int argc, char **argv) {
    double mtok = argc > 1 ? atof(argv[1]) : 100;
    uint32_t seq = argc > 2 ? (uint32_t)atoi(argv[2]) : 2048;
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    size_t total = (size_t)(mtok * 1e6);
    uint32_t *ids = malloc(total * sizeof *ids);
    size_t cap = 1 << 16, nd = 0;
    size_t *start = malloc(cap * sizeof *start);
    if (ids == NULL || start == NULL) return 1;
    for (size_t i = 0; i < total; i++) ids[i] = (uint32_t)(next() % 50256);
    size_t at = 0;
    while (at < total) {
        /* log-normal length: exp(N(6, 1.1)), capped at 32k */
        double u1 = ((double)(next() >> 11) + 1) / 9007199254740993.0, u2 = (double)(next() >> 11) / 9007199254740992.0;
        double z = sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        size_t len = (size_t)exp(6.0 + 1.1 * z) + 1;
        if (len > 32768) len = 32768;
        if (len > total - at) len = total - at;
        if (nd + 1 == cap) start = realloc(start, (cap *= 2) * sizeof *start);
        start[nd++] = at;
        at += len;
    }
    start[nd] = total;
    for (int strategy = LLMD_PACK_GREEDY; strategy <= LLMD_PACK_BEST_FIT; strategy++) {
        double best = 1e30;
        llmd_pack_stats ps;
        for (int r = 0; r < reps; r++) {
            llmd_pack_options o;
            llmd_pack_options_init(&o);
            o.seq_len = seq;
            o.strategy = strategy;
            o.eos_id = 50256;
            o.pad_id = strategy == LLMD_PACK_BEST_FIT ? 50256 : -1;
            o.vocab_size = 50257;
            uint64_t windows = 0;
            llmd_packer *p;
            if (llmd_packer_new(&p, &o, count_window, &windows) != LLMD_OK) {
                fprintf(stderr, "bench_pack: %s\n", llmd_last_error());
                return 1;
            }
            double t0 = now_s();
            for (size_t d = 0; d < nd; d++)
                if (llmd_packer_add(p, ids + start[d], start[d + 1] - start[d]) != LLMD_OK) {
                    fprintf(stderr, "bench_pack: %s\n", llmd_last_error());
                    return 1;
                }
            llmd_packer_finish(p);
            double s = now_s() - t0;
            if (s < best) best = s;
            llmd_packer_stats(p, &ps);
            llmd_packer_free(p);
        }
        printf("pack %s: %.2f Gtokens/s (%.0f Mtokens, %zu docs, %llu windows of %u, %llu docs truncated, "
               "efficiency %.2f%%)\n",
               llmd_pack_strategy_name(strategy), (double)ps.tokens_in / best / 1e9, (double)ps.tokens_in / 1e6, nd,
               (unsigned long long)ps.windows, seq, (unsigned long long)ps.docs_truncated,
               ps.windows ? 100.0 * (double)ps.tokens_out / ((double)ps.windows * seq) : 0.0);
    }
    free(ids);
    free(start);
    return 0;
}
