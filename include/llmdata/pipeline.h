/* llmdata/pipeline.h — the whole flow in one call: JSONL(.zst) → quality filters → clean + PII
 * redaction → exact + near dedup → tokenize → pack → training shards + report.
 *
 * A llmd_pipeline holds settings (string key/value pairs, settable one by one or from a JSON config
 * file) and inputs.  llmd_pipeline_run streams every input in batches of `batch` documents; the
 * batch stages (filters, cleaning, MinHash, tokenization) use `threads` threads, the stateful
 * stages (dedup indexes, packer, writer) run on the calling thread.
 *
 * Settings (key = value; numbers and booleans as text: "1"/"0", "true"/"false"):
 *   tokenizer       tokenizer file (HF tokenizer.json, tiktoken) or "bytes" (UTF-8 bytes as ids
 *                   0..255, EOS 256, vocab 257).  Required.
 *   out             output directory (created if missing; must be writable).  Required.
 *   seq_len         tokens per window.  Required.
 *   field           JSON text field (default "text")
 *   strategy        greedy | best-fit (default greedy)
 *   format          mmidx | npy | parquet (default mmidx).  parquet: data-00000.parquet, ... one row
 *                   per window (llmd_parquet_shard_writer in parquet.h: input_ids, cu_seqlens,
 *                   document_ids, document_offsets) and data.manifest.json, instead of data.bin etc.
 *   delta           a Delta table directory (llmdata/delta.h): the run's Parquet shards (needs format
 *                   parquet) are copied into it and committed as ONE version — add actions with stats
 *                   (numRecords; the shard columns are lists, which Delta keeps no min/max for), a txn
 *                   {appId, delta_app_version} and commitInfo operation WRITE with the run's settings
 *                   as operationParameters (strings, plus mode Append and llmdata.run_id); the table is
 *                   created (schema of the shards) when it has no log, else the schema is enforced.
 *                   The commit happens after the shards are complete and before the output directory
 *                   is published; the shard manifest (data.manifest.json), report.json and the
 *                   returned report get "delta": {table, appId, appVersion, committed, version,
 *                   tableVersion, files} — the shards name the table version they became.  Idempotent: when the table
 *                   already holds the appId at that version, the run reads and writes nothing and
 *                   returns LLMD_OK with a report of just "delta" (committed false, version null);
 *                   two identical runs at once commit once.
 *   delta_app_id    the txn appId (default "llmdata-pipeline-" + a 128-bit hash of the settings that
 *                   decide the output and of the contents of the inputs and of the tokenizer / bad
 *                   words / language model files; standard input needs an explicit id)
 *   delta_app_version   the txn version (default 1): a user-given appId's run sequence number
 *   parquet_codec, parquet_row_group_bytes, parquet_file_bytes   Parquet shard codec (default zstd),
 *                   row group target (default 134217728) and file rollover size (default
 *                   1073741824; 0 = one file)
 *   bos_id, eos_id  ids added around each document; eos_id default: the tokenizer's end-of-text
 *                   token if it has one (GPT-2 "<|endoftext|>"), else none; -1 = none
 *   pad_id          padding id, -1 = drop the last partial window (default: eos_id for best-fit)
 *   buffer          best-fit buffer in windows (default 1024; `buffer_windows` is accepted as an alias)
 *   threads         threads for batch stages (default 0 = one per CPU, as every threads setting)
 *   batch           documents per batch (default 4096)
 *   filter          apply quality filters (default 1)
 *   filters         ordered filter list (filter.h names: c4, badwords, gopher, gopher-repetition,
 *                   fineweb, language), a comma string or, in a JSON config, an array of names;
 *                   default "c4,badwords,gopher" (C4 line/document rules, the LDNOOBW list of the
 *                   document's language, Gopher quality).  When unset, the older switches c4 (C4 +
 *                   bad words) and gopher (default 1 each) pick from that default list.
 *   languages, language_threshold   language filter settings (default any language, 0.65)
 *   min_bytes, max_bytes, bad_words_file   filter settings (filter.h)
 *   clean           clean text (default 1); redact: PII redaction (default 1);
 *   pii_types       comma list of PII types (text.h llmd_pii_parse_types; default all)
 *   exact_dedup     drop exact duplicates of the cleaned text (default 1)
 *   near_dedup      drop near duplicates, MinHash LSH (default 1); near_threshold (default 0.8).
 *                   Whole-corpus clusters (dedup.h "Clusters": 16x8 bands, exact verification, one
 *                   document kept per cluster, the first in input order): the cleaned documents are
 *                   spooled (zstd level 1, a file in the staging directory unlinked at once, so it
 *                   never shows and needs no cleanup) while every input is read once through the
 *                   filter/clean stages; after the last input the clusters are built and the spool
 *                   is read back (once more for the candidates' shingle sets) into tokenize and pack.
 *                   Disk: the compressed cleaned text (~1/3 of it); memory ~200 bytes per
 *                   document; the report's dedup stage gives "near_clusters" (sizes, spool bytes).
 *   near_streaming  1: one-pass near dedup instead (llmd_lsh_index, datasketch's bands, estimated
 *                   Jaccard): no spool, but order-dependent -- a copy, copy, base chain keeps both
 *                   copies (default 0)
 *   skip_bad        skip malformed lines / documents without the field (default 0: fail)
 *   overwrite       replace an existing non-empty `out` (default 0: LLMD_ERR_CONFLICT).  Even then
 *                   only a directory holding nothing but the files an earlier run listed in its
 *                   _llmdata_run.json is replaced; anything else is refused (LLMD_ERR_CONFLICT).
 * Outputs in `out`: data.bin + data.idx (or data.npy), data.boundaries.npy, data.manifest.json
 * (pack.h layouts; the manifest carries the tokenizer file's XXH3-128, seq_len, strategy and the
 * per-stage statistics), report.json (the report below), and _llmdata_run.json written last:
 * {"llmdata_run":1, "run_id", "files":[{"name","bytes","xxh3"}]} — every other file with its size
 * and XXH3-64 (seed 0).
 * Publishing: the run writes into a staging directory `<out>.tmp.<pid>.<n>` beside `out` and
 * replaces `out` with it in one step (renameat2 RENAME_EXCHANGE; rename when `out` is absent), then
 * removes the earlier run's files.  A run that fails, is killed, or whose disk fills leaves an
 * earlier `out` exactly as it was (llmd_remove_temp_files() removes the staging directory from a
 * signal handler); files of two runs are never mixed in `out`.
 *
 * Thread safety: one thread at a time per llmd_pipeline. */
#ifndef LLMDATA_PIPELINE_H
#define LLMDATA_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "llmdata/common.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct llmd_pipeline llmd_pipeline;

/* Creates a pipeline with default settings.  Errors: LLMD_ERR_NOMEM.  Free with llmd_pipeline_free. */
LLMD_API llmd_status llmd_pipeline_new(llmd_pipeline **out);
LLMD_API void llmd_pipeline_free(llmd_pipeline *p);

/* Sets one setting (value copied).  Errors: LLMD_ERR_NOT_FOUND (unknown key, named),
 * LLMD_ERR_INVALID_ARG (a value that does not parse or is out of range, named). */
LLMD_API llmd_status llmd_pipeline_set(llmd_pipeline *p, const char *key, const char *value);

/* Applies a JSON config file: one object whose members are settings (string, number or boolean
 * values; "inputs": array of paths adds inputs).  Later calls to llmd_pipeline_set override.
 * Errors: LLMD_ERR_IO / NOT_FOUND (the file), LLMD_ERR_PARSE (not a JSON object), and those of
 * llmd_pipeline_set prefixed with the file name. */
LLMD_API llmd_status llmd_pipeline_load_config(llmd_pipeline *p, const char *path);

/* Adds an input file (JSONL, .zst, or "-" for standard input).  Errors: LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_pipeline_add_input(llmd_pipeline *p, const char *path);

/* Progress: called on the running thread after every full batch and once more after the last
 * document, with bytes of input read so far (of compressed input for .zst), the total size of the
 * inputs (0 if unknown, e.g. stdin), documents read and tokens packed (BOS/EOS included). */
typedef void (*llmd_pipeline_progress_fn)(void *ctx, uint64_t bytes_read, uint64_t bytes_total,
                                          uint64_t docs, uint64_t tokens);
LLMD_API void llmd_pipeline_set_progress(llmd_pipeline *p, llmd_pipeline_progress_fn fn, void *ctx);

/* Runs the pipeline.  On success *report_json (may be NULL) gets the report as a JSON object text
 * and *report_text (may be NULL) a readable multi-line rendering; free both with llmd_free.
 * Report: per stage (read, filter, clean, dedup, tokenize, pack, write) docs/bytes/tokens in and
 * out, seconds and MB/s of the stage's input (write: of the shard bytes); every filter rule's
 * counters; PII counts; packing statistics and efficiency (real tokens / window tokens; the pack
 * stage's tokens_in counts the BOS/EOS it adds, so tokens_in = tokens_out + dropped_tokens);
 * totals (seconds, setup_seconds: loading the tokenizer and creating the indexes, MB/s of input).
 * The copy in the manifest is taken just before the shard files are closed; report.json and the
 * returned report also count closing them (fsync, rename) in the write stage.
 * Errors: LLMD_ERR_INVALID_ARG (a required setting missing), LLMD_ERR_IO (out not writable, write
 * failed), LLMD_ERR_PARSE (a bad line without skip_bad: "FILE:LINE: ..."), LLMD_ERR_NOT_FOUND
 * (the field missing without skip_bad), LLMD_ERR_CONFLICT (`out` not empty without overwrite,
 * holding files no earlier run listed, an input inside it, or changed by another writer during the
 * run), and those of the stages.  After an error `out` is exactly as it was before the call. */
LLMD_API llmd_status llmd_pipeline_run(llmd_pipeline *p, char **report_json, char **report_text);

/* Checks that directory `dir` holds one complete pipeline output: its _llmdata_run.json parses and
 * every file it lists exists with the listed size and, with LLMD_PIPELINE_VERIFY_CHECKSUMS, the
 * listed XXH3-64 (reads every byte).  Errors: LLMD_ERR_NOT_FOUND (no run manifest, a listed file
 * missing), LLMD_ERR_CORRUPT (a size or checksum differs, a malformed manifest; the message names
 * the file and both values), LLMD_ERR_IO.  Thread-safe. */
#define LLMD_PIPELINE_VERIFY_CHECKSUMS 1u
LLMD_API llmd_status llmd_pipeline_verify_output(const char *dir, unsigned flags);

/* ---- Publishing an output written by other processes (a distributed run) ----------------------
 * The pipeline's own publishing, for callers that write the files themselves (the Dask example,
 * examples/python/dask_pipeline.py, packs and writes shards on its driver): open checks `out` by
 * the rules of the `overwrite` setting and creates a fresh staging directory beside it; the caller
 * writes its files into llmd_pipeline_output_dir() and lists each with _add_file (the library reads
 * it for its size and XXH3-64); _publish writes _llmdata_run.json (the files in the order added)
 * and replaces `out` with the staging directory in one step, exactly as llmd_pipeline_run does.
 * llmd_pipeline_output_free before _publish removes the staging directory and everything in it.
 * One thread at a time per object. */
typedef struct llmd_pipeline_output llmd_pipeline_output;

/* Opens the output `out`.  overwrite: 0 refuses a non-empty `out` (LLMD_ERR_CONFLICT); 1 replaces
 * one that holds nothing but an earlier run's listed files.  Errors: LLMD_ERR_INVALID_ARG (NULL),
 * LLMD_ERR_CONFLICT, LLMD_ERR_IO (cannot create the staging directory), LLMD_ERR_NOMEM. */
LLMD_API llmd_status llmd_pipeline_output_open(llmd_pipeline_output **out, const char *dir, int overwrite);

/* The staging directory to write into (owned by o; NULL after _publish). */
LLMD_API const char *llmd_pipeline_output_dir(const llmd_pipeline_output *o);

/* Lists `name` (a plain file name, no '/'), written by the caller in the staging directory.
 * Errors: LLMD_ERR_INVALID_ARG (a name with '/', "." or "..", or listed twice), LLMD_ERR_NOT_FOUND /
 * LLMD_ERR_IO (the file), LLMD_ERR_STATE (already published). */
LLMD_API llmd_status llmd_pipeline_output_add_file(llmd_pipeline_output *o, const char *name);

/* Writes the run manifest (run_id: the shard writer's llmd_shard_writer_run_id, or any id without
 * '"' or '\\') and publishes.  Errors: those of llmd_pipeline_run's publishing (LLMD_ERR_CONFLICT
 * when `out` changed meanwhile, LLMD_ERR_IO), LLMD_ERR_STATE (published twice).  After an error
 * `out` is as it was. */
LLMD_API llmd_status llmd_pipeline_output_publish(llmd_pipeline_output *o, const char *run_id);

/* Frees o (NULL allowed); an unpublished staging directory is removed with its files. */
LLMD_API void llmd_pipeline_output_free(llmd_pipeline_output *o);

#ifdef __cplusplus
}
#endif
#endif /* LLMDATA_PIPELINE_H */
