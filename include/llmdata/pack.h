/* llmdata/pack.h — sequence packing and training-shard writers.
 *
 * Packing turns a stream of tokenized documents into fixed-length windows of exactly `seq_len`
 * tokens.  Each document contributes [BOS] ids... [EOS] (BOS/EOS only when their ids are set).
 *
 * Strategies
 *   LLMD_PACK_GREEDY     concatenate documents and cut every seq_len tokens; a document that
 *                        straddles a cut is split (counted as truncated).  The final partial window
 *                        is dropped (its tokens counted in dropped_tokens) unless pad_id >= 0, in
 *                        which case it is padded.
 *   LLMD_PACK_BEST_FIT   best-fit-decreasing (Ding et al. 2024, "Fewer Truncations Improve Language
 *                        Modeling"): only documents longer than seq_len are split (into seq_len
 *                        chunks plus a remainder; each full chunk is a window at once).  Pieces are
 *                        buffered until they hold `buffer_windows * seq_len` tokens, sorted by
 *                        decreasing length and each placed into the open window with the smallest
 *                        remaining space that fits (new window if none) — O(log seq_len) per piece
 *                        via a 64-ary bitmap tree indexed by remaining capacity.  Windows that are
 *                        not full are padded with pad_id, so pad_id must be >= 0.  Memory is
 *                        bounded by the buffer (plus one document).
 *
 * Boundaries: every window reports its segments (maximal runs of one document inside the window)
 * as cu_seqlens, FlashAttention-varlen style: cu_seqlens[0] = 0, cu_seqlens[k+1] = end of segment
 * k, cu_seqlens[n_segments] = number of real (non-pad) tokens; pad tokens follow.  Position ids
 * restarting per segment are position[t] = t - cu_seqlens[k] for t in segment k
 * (llmd_pack_position_ids()).
 *
 * Thread safety: a packer or shard writer may be used by one thread at a time; independent objects
 * may be used on different threads at once. */
#ifndef LLMDATA_PACK_H
#define LLMDATA_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum llmd_pack_strategy {
    LLMD_PACK_GREEDY = 0,
    LLMD_PACK_BEST_FIT = 1
} llmd_pack_strategy;

typedef struct llmd_pack_options {
    unsigned version;        /* LLMD_PACK_OPTIONS_VERSION */
    uint32_t seq_len;        /* tokens per window, 1 .. 2^24 (default 2048) */
    llmd_pack_strategy strategy; /* default GREEDY */
    int64_t bos_id;          /* prepended to every document; -1 = none (default) */
    int64_t eos_id;          /* appended to every document; -1 = none (default -1) */
    int64_t pad_id;          /* pad the last (greedy) / non-full (best-fit) windows; -1 = drop */
    uint32_t buffer_windows; /* best-fit buffer, in windows' worth of tokens (default 1024) */
    uint64_t vocab_size;     /* ids must be < vocab_size (LLMD_ERR_RANGE); 0 = unchecked */
} llmd_pack_options;
#define LLMD_PACK_OPTIONS_VERSION 1
#define LLMD_PACK_OPTIONS_INIT {LLMD_PACK_OPTIONS_VERSION, 2048, LLMD_PACK_GREEDY, -1, -1, -1, 1024, 0}

/* Fills *opts with the defaults above.  Thread-safe. */
LLMD_API void llmd_pack_options_init(llmd_pack_options *opts);

/* Name of a strategy ("greedy", "best-fit") or NULL; and the reverse (also accepts "bfd").
 * llmd_pack_strategy_parse fails with LLMD_ERR_INVALID_ARG naming an unknown name. */
LLMD_API const char *llmd_pack_strategy_name(llmd_pack_strategy strategy);
LLMD_API llmd_status llmd_pack_strategy_parse(const char *name, llmd_pack_strategy *strategy);

/* One finished window, valid only during the callback.  tokens has seq_len entries; cu_seqlens
 * n_segments+1; seg_doc[k] is the 0-based index (order of llmd_packer_add calls) of the document
 * segment k came from and seg_offset[k] the offset of its first token within that document's
 * token sequence (BOS included). */
typedef struct llmd_pack_window {
    const uint32_t *tokens;
    uint32_t seq_len;
    uint32_t n_segments;
    const uint32_t *cu_seqlens;
    const uint64_t *seg_doc;
    const uint32_t *seg_offset;
} llmd_pack_window;

/* Receives windows in output order.  A non-OK return stops packing: the packer returns that status
 * from the call that produced the window (the callback should set the error message). */
typedef llmd_status (*llmd_pack_window_fn)(void *ctx, const llmd_pack_window *window);

typedef struct llmd_pack_stats {
    uint64_t docs_in;         /* documents added (empty ones included) */
    uint64_t tokens_in;       /* tokens added, BOS/EOS included */
    uint64_t windows;         /* windows emitted */
    uint64_t tokens_out;      /* real tokens emitted (windows*seq_len - pad_tokens) */
    uint64_t pad_tokens;      /* pad tokens emitted */
    uint64_t dropped_tokens;  /* tokens not emitted (greedy, last partial window, no pad) */
    uint64_t docs_truncated;  /* documents not emitted as one contiguous segment: split over
                               * windows or partly dropped */
    uint64_t docs_dropped;    /* documents none of whose tokens were emitted (empty docs excluded) */
} llmd_pack_stats;

typedef struct llmd_packer llmd_packer;

/* Creates a packer that calls fn(ctx, window) for every window.  opts NULL = defaults.
 * Errors: LLMD_ERR_VERSION, LLMD_ERR_INVALID_ARG (seq_len 0 or > 2^24, unknown strategy, best-fit
 * without pad_id, BOS/EOS/pad id not < vocab_size, NULL fn), LLMD_ERR_NOMEM.  Free with
 * llmd_packer_free. */
LLMD_API llmd_status llmd_packer_new(llmd_packer **out, const llmd_pack_options *opts,
                                     llmd_pack_window_fn fn, void *ctx);
LLMD_API void llmd_packer_free(llmd_packer *p);

/* Adds one document of n token ids (copied).  May emit windows.  Errors: LLMD_ERR_RANGE (an id
 * >= vocab_size, naming the document index and position; nothing of that document is added),
 * LLMD_ERR_STATE after finish or after an earlier error, LLMD_ERR_NOMEM, or the callback's status. */
LLMD_API llmd_status llmd_packer_add(llmd_packer *p, const uint32_t *ids, size_t n);

/* Flushes what is buffered (padding or dropping the remainder as configured).  Afterwards only
 * llmd_packer_stats and llmd_packer_free may be called. */
LLMD_API llmd_status llmd_packer_finish(llmd_packer *p);

/* Current statistics (final after finish).  Thread safety: same as the packer. */
LLMD_API void llmd_packer_stats(const llmd_packer *p, llmd_pack_stats *stats);

/* Writes window->seq_len position ids into out: t - cu_seqlens[k] for token t of segment k, and
 * 0, 1, ... over the padding (which is a segment of its own for attention).  Thread-safe. */
LLMD_API void llmd_pack_position_ids(const llmd_pack_window *window, uint32_t *out);

/* ---- shard writers ---------------------------------------------------------------------------- */
/* Formats
 *   LLMD_SHARD_MMIDX  Megatron-LM indexed dataset: PREFIX.bin (token ids, little-endian, dtype as
 *                     below, windows back to back) + PREFIX.idx: magic "MMIDIDX\0\0", <Q version 1,
 *                     <B dtype code (4 int32, 8 uint16), <Q sequence count S, <Q document-index
 *                     count D, int32 sizes[S], int64 pointers[S] (byte offsets into .bin),
 *                     int64 document_indices[D] (0, then the end sequence of each document; as
 *                     Megatron-LM's writer, D = documents + 1).  Each packed window is one sequence
 *                     and one document: sizes all seq_len, document_indices = 0, 1, ..., windows.
 *   LLMD_SHARD_NPY    numpy .npy v1.0: PREFIX.npy, C-order 2-D [windows, seq_len], '<u2' or '<u4'.
 *   Parquet shards (PREFIX-00000.parquet, ...) are written by llmd_parquet_shard_writer in
 *   llmdata/parquet.h, which takes these windows (the parquet module comes after pack).
 * Both formats also write PREFIX.boundaries.npy: 1-D '<i8' array of offsets into the flattened
 * token stream (window w, token t -> w*seq_len + t) where an attention segment starts, plus the
 * total at the end — every window start, every document-segment start, the start of a window's
 * padding — i.e. cu_seqlens of the whole shard for flash_attn_varlen_func; and PREFIX.manifest.json
 * (format, dtype, seq_len, windows, tokens, pad tokens, run id, plus caller-provided JSON, and
 * "files": [{"name", "bytes", "xxh3"}] — every data file with its size and XXH3-64 (seed 0, 16 hex
 * digits); "manifest_version": 2).
 * dtype: uint16 when vocab_size is in 1..65536, else int32 (MMIDX) / uint32 (NPY); with vocab 0
 * (unknown) ids >= 2^31 fail with LLMD_ERR_RANGE for MMIDX.
 * Durability: every file is written under a temporary name (`NAME.tmp.<pid>.<n>`, removed by
 * llmd_remove_temp_files() from a signal handler) and, at finish, fsynced and published as one unit
 * with the manifest last: a failure part way through puts back the files that were there before, so
 * a crash or a write error never leaves a complete-looking shard, and a reader that checks the
 * manifest (llmd_shard_verify) detects any mix of two runs. */
typedef enum llmd_shard_format {
    LLMD_SHARD_MMIDX = 0,
    LLMD_SHARD_NPY = 1
} llmd_shard_format;

typedef struct llmd_shard_writer llmd_shard_writer;

typedef struct llmd_shard_options {
    unsigned version;            /* LLMD_SHARD_OPTIONS_VERSION */
    llmd_shard_format format;    /* default LLMD_SHARD_MMIDX */
    uint32_t seq_len;            /* tokens per window, > 0 (default 2048) */
    uint64_t vocab_size;         /* chooses the dtype (above); 0 = unknown (default) */
    int overwrite;               /* 0 (default): an existing output file is an error (LLMD_ERR_CONFLICT,
                                  * checked at open and again at publish); 1: replace the earlier shard
                                  * (its files that the new one does not write are removed) */
    int unique_names;            /* 1: files are named PREFIX-<run id>.bin etc., so one directory
                                  * can hold the shards of many runs (default 0: PREFIX.bin) */
    const char *run_id;          /* recorded in the manifest (and in unique names); NULL = a fresh
                                  * random UUID (default).  Copied at open.  Letters, digits, '-',
                                  * '_' and '.' only. */
} llmd_shard_options;
#define LLMD_SHARD_OPTIONS_VERSION 1
#define LLMD_SHARD_OPTIONS_INIT {LLMD_SHARD_OPTIONS_VERSION, LLMD_SHARD_MMIDX, 2048, 0, 0, 0, NULL}

/* Fills *opts with the defaults above.  Thread-safe. */
LLMD_API void llmd_shard_options_init(llmd_shard_options *opts);

/* Opens a writer for PREFIX.* (PREFIX's directory must exist and be writable; PREFIX must end in a
 * file name: "" or "dir/" are refused).  opts NULL = defaults.
 * Errors: LLMD_ERR_VERSION, LLMD_ERR_INVALID_ARG (unknown format, seq_len 0, a prefix without a
 * file name, a run id with other characters), LLMD_ERR_CONFLICT (an output file exists and
 * overwrite is 0, naming it), LLMD_ERR_IO (cannot create, with the path and errno), LLMD_ERR_NOMEM.
 * Changed in 0.2: took (prefix, format, seq_len, vocab_size) before. */
LLMD_API llmd_status llmd_shard_writer_open(llmd_shard_writer **out, const char *prefix,
                                            const llmd_shard_options *opts);

/* Appends one window (window->seq_len must equal the writer's).  Errors: LLMD_ERR_INVALID_ARG,
 * LLMD_ERR_RANGE (an id that does not fit the dtype), LLMD_ERR_IO (write failed, e.g. disk full). */
LLMD_API llmd_status llmd_shard_writer_add(llmd_shard_writer *w, const llmd_pack_window *window);

/* A llmd_pack_window_fn that forwards to llmd_shard_writer_add (ctx is the writer). */
LLMD_API llmd_status llmd_shard_writer_window_fn(void *ctx, const llmd_pack_window *window);

/* Finishes: writes headers/index and the manifest, fsyncs, and publishes every file as one unit
 * (manifest last).  extra_json: NULL or a JSON object text whose members are added to the manifest
 * (e.g. "{\"strategy\":\"greedy\",\"tokenizer_xxh3_128\":\"...\"}"; LLMD_ERR_PARSE if it is not
 * one).  After an error the temporary files are removed and the final names hold what they held
 * before the call.  Errors: LLMD_ERR_IO, LLMD_ERR_CONFLICT (another writer published a name
 * first), LLMD_ERR_STATE. */
LLMD_API llmd_status llmd_shard_writer_finish(llmd_shard_writer *w, const char *extra_json);

/* Windows written so far. */
LLMD_API uint64_t llmd_shard_writer_windows(const llmd_shard_writer *w);

/* The run id recorded in the manifest (owned by w, valid until llmd_shard_writer_free). */
LLMD_API const char *llmd_shard_writer_run_id(const llmd_shard_writer *w);

/* The files a finished writer published, the manifest last: 0 before a successful finish.  File i's
 * name (a file name in PREFIX's directory, owned by w, valid until free), size in bytes and XXH3-64
 * (seed 0) — what a table log (Delta "add" actions) records.  Any output pointer may be NULL.
 * Errors: LLMD_ERR_RANGE (i >= count), LLMD_ERR_INVALID_ARG (w NULL). */
LLMD_API size_t llmd_shard_writer_file_count(const llmd_shard_writer *w);
LLMD_API llmd_status llmd_shard_writer_file(const llmd_shard_writer *w, size_t i, const char **name,
                                            uint64_t *bytes, uint64_t *xxh3);

/* Frees the writer; if not finished, removes its temporary files.  NULL ok. */
LLMD_API void llmd_shard_writer_free(llmd_shard_writer *w);

/* Checks that the shard at PREFIX (PREFIX.manifest.json and the files it lists) is one complete
 * output: every listed file exists with the listed size, and with LLMD_SHARD_VERIFY_CHECKSUMS also
 * the listed XXH3-64 (reads every byte).  Sizes are cheap (one stat per file).
 * Errors: LLMD_ERR_NOT_FOUND (no manifest, or a listed file missing), LLMD_ERR_CORRUPT (a size or
 * checksum differs — e.g. files of two runs — or a malformed manifest, naming the file and both
 * values), LLMD_ERR_IO.  Thread-safe. */
#define LLMD_SHARD_VERIFY_CHECKSUMS 1u
LLMD_API llmd_status llmd_shard_verify(const char *prefix, unsigned flags);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_PACK_H */
