/* Shared plumbing of the llmdata CLI: argument helpers and the JSONL streaming loop. Uses only
 * the public API. */
#ifndef LLMDATA_CLI_H
#define LLMDATA_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "llmdata.h"

/* Options every JSONL subcommand accepts. */
typedef struct cli_common {
    const char *field;        /* --field NAME (default "text") */
    bool skip_bad;            /* --skip-bad */
    const char *output;       /* -o/--output FILE (default stdout) */
    const char **inputs;      /* positional inputs (default "-") */
    size_t n_inputs;
    bool quiet;               /* --quiet: no summary, no progress */
    bool progress;            /* --progress: progress on stderr even when it is not a terminal */
    size_t batch;             /* documents per batch handed to the callback */
    const char *reads[8];     /* other files the command reads (tokenizer, ...): -o must not name them */
    size_t n_reads;
    const char *also_writes[4]; /* other outputs of the command (--report): checked against inputs */
    size_t n_also_writes;
} cli_common;

/* Result of processing one document. */
enum { CLI_KEEP = 0, CLI_DROP = 1 };

/* Called with a batch of parsed documents; sets verdict[i] to CLI_KEEP or CLI_DROP and may edit
 * docs[i].  line[i] is the 1-based input line, src[i] the input name.  Returns 0, or non-zero
 * after printing an error (the run stops with exit status 1). */
typedef int (*cli_batch_fn)(void *ctx, llmd_json_doc **docs, size_t n, int *verdict,
                            const uint64_t *line, const char *const *src);

/* Statistics a run accumulates; a command may add its own counters to the summary. */
typedef struct cli_stats {
    uint64_t docs_in, docs_out, bad, bytes_in, bytes_out;
    double seconds;           /* processing time: wall time less input_wait */
    double input_wait;        /* time blocked waiting for a piped input's producer */
    char extra[512];          /* appended to the summary line, e.g. "pii 123" */
} cli_stats;

/* The parallel part of a command: called on worker threads, several at once, each call with a
 * whole batch (the same arguments as cli_batch_fn).  `worker` (0 .. cli_worker_count()-1) tells
 * which worker calls, so a command keeps per-worker scratch; anything shared must be atomic.  It
 * may edit the batch's documents and set verdicts.  Returns 0, or non-zero after printing an
 * error. */
typedef int (*cli_work_fn)(void *ctx, unsigned worker, llmd_json_doc **docs, size_t n, int *verdict,
                           const uint64_t *line, const char *const *src);

/* Parses one common option at argv[*i]; returns 1 if consumed (advancing *i past its value),
 * 0 if not a common option, -1 on error (message printed). */
int cli_parse_common(cli_common *c, int argc, char **argv, int *i);
/* Adds a positional argument as an input. */
int cli_add_input(cli_common *c, const char *path);
void cli_common_init(cli_common *c);
void cli_common_free(cli_common *c);

/* Streams every input, batch by batch, through fn and writes kept documents as JSONL.  fn runs
 * on the calling thread, batch after batch in input order, while a reader thread reads and parses
 * the next batches.  Prints the summary line ("llmdata NAME: ...") on stderr unless quiet, and
 * progress (with an ETA when the inputs are files) while stderr is a terminal or with --progress.  Returns the process exit status (0 ok, 1 error). */
int cli_run_jsonl(const char *name, cli_common *c, cli_batch_fn fn, void *ctx, cli_stats *stats);

/* As cli_run_jsonl, with the work split over threads: a reader thread reads and parses batches,
 * `threads` workers (0 = one per CPU) run `work` on whole batches, and the writer (the calling
 * thread) takes the batches in input order, runs `fn` on each (NULL = nothing; this is the place
 * for order-dependent counters) and writes the kept documents.  With work set, the workers render
 * the kept documents right after `work`, so fn must not edit documents or change verdicts (it only
 * counts).  The reader also decodes each document's c->field string (the JSON layer then decodes
 * it while parsing the next lines), so the workers' llmd_json_doc_get_string finds it decoded.
 * The output is the same for every thread count.  With work NULL, fn does everything (it may edit
 * and drop documents), in order, on one thread while reading overlaps with it. */
int cli_run_jsonl_parallel(const char *name, cli_common *c, unsigned threads, cli_work_fn work, cli_batch_fn fn,
                           void *ctx, cli_stats *stats);
/* Number of workers cli_run_jsonl_parallel starts for `threads` (0 = the CPUs online; at most 256). */
unsigned cli_worker_count(unsigned threads);
/* The streaming engine behind cli_run_jsonl_parallel (cli_stream.c): reads every input, writes
 * to out, counts into stats.  Returns the exit status. */
struct cli_out;
int cli_stream(const char *name, cli_common *c, const char *const *inputs, size_t n_inputs, unsigned threads,
               cli_work_fn work, cli_batch_fn fn, void *ctx, struct cli_out *out, cli_stats *stats);

/* The running subcommand's name (set by main), named in cli_lib_error's messages. */
extern const char *cli_command;
/* Prints "llmdata COMMAND: <what>: <llmd_last_error()> (STATUS)" on stderr; returns 1. */
int cli_lib_error(const char *what, llmd_status st);
/* Prints "llmdata NAME: message" on stderr; returns 1 (for usage errors returns 2 via cli_usage). */
int cli_error(const char *name, const char *fmt, ...);
int cli_usage(const char *usage);

/* Parses a non-negative integer / a double; returns 0 on success, prints an error otherwise. */
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
int cli_parse_double(const char *opt, const char *s, double *out);
/* Fetches the value of option argv[*i] into *val (advancing *i); prints an error if missing. */
int cli_need_value(int argc, char **argv, int *i, const char **val);
/* Parses the value of --threads at argv[*i] (advancing *i) into *out, at most `max`; prints
 * "llmdata NAME: ..." and returns non-zero on a missing, malformed or too large value. */
int cli_parse_threads(const char *name, int argc, char **argv, int *i, unsigned max, unsigned *out);

double cli_now(void);

/* Progress on stderr (cli_stream, pack): redrawn over one line while stderr is a terminal, else
 * (forced with --progress) one line every 2 s and a last one at the end.  With the size of every
 * input known (all regular files) it shows the percentage of input bytes read (compressed bytes
 * for compressed inputs) and the time left at the rate so far. */
typedef struct cli_progress {
    const char *name;
    bool on, tty;
    double t0, last;
    uint64_t total;           /* bytes of all inputs, 0 = unknown (a pipe, stdin) */
} cli_progress;
/* Sets p up for the inputs ("-" = stdin); on when !quiet and (forced or stderr is a terminal). */
void cli_progress_init(cli_progress *p, const char *name, const char *const *inputs, size_t n_inputs, bool forced,
                       bool quiet);
/* docs and bytes of text so far, file_bytes: input bytes consumed (for the percentage).  At most
 * one line per interval unless final; final on a terminal clears the line for the summary. */
void cli_progress_show(cli_progress *p, uint64_t docs, uint64_t bytes, uint64_t file_bytes, bool final);

/* ---- output safety ----------------------------------------------------------------------------- */
/* 1 when a and b name the same existing file (device + inode, symlinks followed; "-" is standard
 * input/output: fstat of fd 0), else 0. */
int cli_same_file(const char *a, const char *b);
/* Refuses (message "llmdata NAME: output X is the input Y ...", returns 1) when any of outs[] names
 * the same file as any of ins[] or as another output; 0 when all are distinct.  Runs before any
 * output is opened, so nothing is truncated. */
int cli_check_outputs(const char *name, const char *const *outs, size_t n_outs, const char *const *ins,
                      size_t n_ins);
/* 1 when path (existing) lies inside directory dir (existing), at any depth, else 0. */
int cli_inside_dir(const char *path, const char *dir);
/* The checks above for a JSONL command: c->output and c->also_writes against c->inputs and c->reads. */
int cli_check_common_outputs(const char *name, const cli_common *c);
/* An output of the CLI.  A regular file is published in one step (llmd_output: nothing appears under
 * its name until cli_out_commit, an earlier file stays until then); standard output ("-" or NULL)
 * and an existing non-regular file (a pipe, /dev/stdout, a process substitution) are streams,
 * written directly.  The name chooses the compression, as for inputs: PATH ending in ".zst" or
 * ".zstd" is written zstd-compressed (level 3), ".gz" gzip-compressed (level 6), anything else
 * (and standard output) as it is. */
enum { CLI_CODEC_NONE = 0, CLI_CODEC_ZSTD = 1, CLI_CODEC_GZIP = 2 };
typedef struct cli_pq_out cli_pq_out;
typedef struct cli_out {
    FILE *stream;
    llmd_output *file;
    bool own_stream;
    int codec;                /* CLI_CODEC_*, from the name */
    void *zc;                 /* ZSTD_CStream* or z_stream* of the codec */
    unsigned char *zbuf;      /* compressed bytes on their way to the file */
    size_t zcap;
    cli_pq_out *pq;           /* an output named *.parquet (parquet_out.c) */
} cli_out;
/* The codec an output name asks for (CLI_CODEC_*); NULL and "-" are CLI_CODEC_NONE. */
int cli_codec_for_name(const char *path);
/* Each returns 0, or 1 after printing "llmdata NAME: ..." (the error names the path and errno). */
int cli_out_open(const char *name, cli_out *o, const char *path);
int cli_out_write(const char *name, cli_out *o, const void *data, size_t n);
int cli_out_printf(const char *name, cli_out *o, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cli_out_commit(const char *name, cli_out *o);
/* Closes; a file not committed is discarded (its temporary removed). */
void cli_out_close(cli_out *o);
/* Installs the CLI's signal handling: SIGXFSZ ignored (a write over `ulimit -f` then fails with
 * EFBIG, reported like any write error), SIGINT/SIGTERM remove the library's temporary files
 * (llmd_remove_temp_files) and exit 130/143. */
void cli_install_signals(void);

/* The text field of every document of a batch: texts[k]/lens[k] of document map[k], k < n. */
typedef struct cli_texts {
    const char **texts;
    size_t *lens, *map;
    size_t n, cap;
} cli_texts;
/* Fills t from docs[0..n): a document without a string `field` is dropped (verdict CLI_DROP,
 * stats->bad and *missing counted) with skip_bad, else reported as "llmdata NAME: SRC:LINE: ..."
 * (returns 1).  Returns 0 on success. */
int cli_batch_texts(const char *name, cli_texts *t, llmd_json_doc **docs, size_t n, const char *field,
                    bool skip_bad, int *verdict, cli_stats *stats, uint64_t *missing, const uint64_t *line,
                    const char *const *src);
void cli_texts_free(cli_texts *t);

/* Documents out as Parquet (parquet_out.c; the rules are at its top): when the output name ends in
 * ".parquet", the kept documents are spooled (cli_pq_add, on the writer thread, in output order)
 * and written at cli_pq_commit, published in one step.  Each returns 0 or 1 after printing. */
bool cli_is_parquet_path(const char *path);   /* a name ending in ".parquet" (NULL: false) */
int cli_pq_open(const char *name, cli_pq_out **out, const char *path, const char *const *inputs, size_t n_inputs,
                const char *field);
int cli_pq_add(const char *name, cli_pq_out *o, llmd_json_doc *doc, const char *json, size_t len, const char *src,
               uint64_t row);
int cli_pq_commit(const char *name, cli_pq_out *o);
void cli_pq_close(cli_pq_out *o);

/* JSON output helpers (parquet_json.c): a JSON string of n bytes, bytes as a hex string, a 16-byte
 * little-endian decimal with `scale` as a string, a double (NaN/inf as strings), and one row of a
 * Parquet batch as an object keyed by column name. */
void cli_json_str(FILE *o, const char *s, size_t n);
void cli_json_hex(FILE *o, const uint8_t *p, size_t n);
void cli_json_decimal(FILE *o, const uint8_t *le, int scale);
void cli_json_double(FILE *o, double d);
void cli_parquet_row_json(FILE *o, const llmd_schema *s, const llmd_parquet_batch *b, int64_t row);

#endif
