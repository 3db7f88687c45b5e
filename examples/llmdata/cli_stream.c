/* The CLI's streaming engine: a reader thread (read lines, parse JSON), worker threads (a
 * command's parallel part, one batch each at a time) and an ordered writer (the command's
 * sequential part, then rendering and writing), connected by a small pool of batches.
 *
 * Why threads this way: the per-document work of clean/tokenize/minhash is independent, so whole
 * batches can be processed by any worker while reading and writing overlap with it; the writer
 * takes batches strictly in input order, so the output (and the sequential part, e.g. dedup's
 * index) is the same for any number of workers. */
#include "cli.h"

#include <errno.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

/* A batch is cut at this many input bytes even when it has fewer than c->batch documents: small
 * batches share work evenly, keep a batch's documents in cache, and keep the pool of documents
 * (whose buffers grow to the largest text they held) small -- `clean` on the benchmark corpus
 * took 169 ms of CPU with 1 MiB batches, 125 ms with 64 KiB (page faults 17k -> 3.5k). */
#define BATCH_BYTES (1u << 16)

typedef struct sbatch {
    llmd_json_doc **docs;
    int *verdict;
    uint64_t *line;
    const char **src;
    size_t n, cap;
    uint64_t seq;
    int rc;             /* non-zero: the parallel part failed (message printed) */
    /* The kept documents rendered as JSONL, written with one call (reused from batch to batch). */
    char *out;
    size_t out_len, out_cap;
    uint64_t kept;
    /* A plain stream output gathers instead: each kept document's rendering (in the document,
     * valid until it is parsed again) and a newline, written with writev -- no copy of the
     * output through `out`. */
    bool gather;
    struct iovec *iov;
    size_t n_iov, iov_cap;
} sbatch;

typedef struct engine {
    const char *name;
    cli_common *c;
    const char *const *inputs;
    size_t n_inputs;
    unsigned workers;        /* worker threads started */
    bool inline_work;        /* one worker: the writer runs work itself (no handoff to a thread) */
    bool writer_works;       /* several workers: the writer is one of them while it waits */
    bool writer_waiting, reader_waiting;
    cli_work_fn work;
    cli_batch_fn fn;
    void *ctx;
    cli_out *out;
    cli_stats *s;

    pthread_mutex_t mu;
    pthread_cond_t cv_free, cv_work, cv_done;
    sbatch *pool;
    size_t n_pool;
    sbatch **free_list;
    size_t n_free;
    sbatch **queue;          /* FIFO of batches waiting for a worker */
    size_t q_head, q_len;
    sbatch **done;           /* batches ready for the writer, any order */
    size_t n_done;
    uint64_t batches_read;   /* batches handed on by the reader */
    bool reader_finished;
    int reader_rc;
    bool stop;               /* the writer gave up: every stage winds down */

    /* Reader-side counters (merged into *s at the end; the writer thread owns *s meanwhile). */
    uint64_t docs_in, bytes_in, bad;
    cli_progress progress;
    uint64_t files_done;       /* file bytes of the inputs read completely */
    llmd_reader *cur_reader;   /* the input being read (reader thread only) */
    bool timed_input;          /* an input is a pipe or a terminal: measure the wait for it */
    double free_wait;          /* reader time spent waiting for a free batch (backpressure) */
    double reader_idle;        /* reader time off the CPU, less free_wait (see reader_main) */
    double reader_wall;
    double starved;            /* writer time waiting for a batch the reader had not yet read */
} engine;

static void progress_show(engine *e, bool final) {
    if (!e->progress.on) return;
    cli_progress_show(&e->progress, e->docs_in, e->bytes_in,
                      e->files_done + (e->cur_reader ? llmd_reader_bytes_in(e->cur_reader) : 0), final);
}

static double thread_cpu_seconds(void) {
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Whether any input is a pipe or terminal whose producer the run may wait on. */
static void inspect_inputs(engine *e) {
    for (size_t i = 0; i < e->n_inputs; i++) {
        struct stat sb;
        int r = strcmp(e->inputs[i], "-") == 0 ? fstat(0, &sb) : stat(e->inputs[i], &sb);
        if (r == 0 && (S_ISFIFO(sb.st_mode) || S_ISSOCK(sb.st_mode) || S_ISCHR(sb.st_mode))) e->timed_input = true;
    }
}

static int sbatch_init(sbatch *b, size_t cap) {
    b->cap = cap;
    b->docs = calloc(cap, sizeof *b->docs);
    b->verdict = calloc(cap, sizeof *b->verdict);
    b->line = calloc(cap, sizeof *b->line);
    b->src = calloc(cap, sizeof *b->src);
    if (!b->docs || !b->verdict || !b->line || !b->src) return -1;
    for (size_t i = 0; i < cap; i++)
        if (llmd_json_doc_new(&b->docs[i]) != LLMD_OK) return -1;
    return 0;
}

static void sbatch_free(sbatch *b) {
    if (b->docs)
        for (size_t i = 0; i < b->cap; i++) llmd_json_doc_free(b->docs[i]);
    free(b->docs);
    free(b->verdict);
    free(b->line);
    free(b->src);
    free(b->out);
    free(b->iov);
}

static int flush_rendered(engine *e, sbatch *b);

/* Renders the kept documents of b into b->out, one line each.  With e (the writer) the buffer is
 * written out whenever it passes 1 MiB: batches of commands without workers are cut at 256
 * documents, not at 64 KiB, and their documents may be large.  Returns 0, or 1 after printing an
 * error. */
static int gather_batch(const char *name, sbatch *b) {
    static char newline[] = "\n";
    b->out_len = 0;
    b->kept = 0;
    b->n_iov = 0;
    if (b->iov_cap < 2 * b->n) {
        struct iovec *p = realloc(b->iov, 2 * b->n * sizeof *p);
        if (p == NULL) return cli_error(name, "out of memory");
        b->iov = p;
        b->iov_cap = 2 * b->n;
    }
    for (size_t i = 0; i < b->n; i++) {
        if (b->verdict[i] != CLI_KEEP) continue;
        const char *json;
        size_t len;
        llmd_status st = llmd_json_doc_render(b->docs[i], &json, &len);
        if (st != LLMD_OK) return cli_lib_error("rendering output", st);
        /* writev only reads: the const goes away for struct iovec's sake. */
        b->iov[b->n_iov++] = (struct iovec){(void *)(uintptr_t)json, len};
        b->iov[b->n_iov++] = (struct iovec){newline, 1};
        b->out_len += len + 1;
        b->kept++;
    }
    return 0;
}

static int render_batch(const char *name, sbatch *b, engine *e) {
    if (b->gather) return gather_batch(name, b);
    b->out_len = 0;
    b->kept = 0;
    for (size_t i = 0; i < b->n; i++) {
        if (e != NULL && b->out_len >= (1u << 20) && flush_rendered(e, b) != 0) return 1;
        if (b->verdict[i] != CLI_KEEP) continue;
        const char *json;
        size_t len;
        llmd_status st = llmd_json_doc_render(b->docs[i], &json, &len);
        if (st != LLMD_OK) return cli_lib_error("rendering output", st);
        if (b->out_len + len + 1 > b->out_cap) {
            size_t cap = b->out_cap ? b->out_cap : BATCH_BYTES;
            while (cap < b->out_len + len + 1) cap *= 2;
            char *p = realloc(b->out, cap);
            if (p == NULL) return cli_error(name, "out of memory");
            b->out = p;
            b->out_cap = cap;
        }
        memcpy(b->out + b->out_len, json, len);
        b->out[b->out_len + len] = '\n';
        b->out_len += len + 1;
        b->kept++;
    }
    return 0;
}

/* ---- reader ------------------------------------------------------------------------------ */

/* Waits for an empty batch; NULL when the run is stopping.  A reader that had to wait is woken
 * only once half the pool is free again (give_back), so it reads several batches per wake-up
 * instead of one batch per thread switch. */
static sbatch *take_free(engine *e) {
    pthread_mutex_lock(&e->mu);
    double t0 = e->timed_input && e->n_free == 0 && !e->stop ? cli_now() : 0;
    while (e->n_free == 0 && !e->stop) {
        e->reader_waiting = true;
        pthread_cond_wait(&e->cv_free, &e->mu);
    }
    e->reader_waiting = false;
    if (t0 > 0) e->free_wait += cli_now() - t0;
    sbatch *b = e->stop ? NULL : e->free_list[--e->n_free];
    pthread_mutex_unlock(&e->mu);
    if (b) b->n = 0;
    return b;
}

/* Hands a filled batch on: to the workers, or straight to the writer when there is no parallel
 * part. */
static void hand_on(engine *e, sbatch *b) {
    pthread_mutex_lock(&e->mu);
    b->seq = e->batches_read++;
    b->rc = 0;
    memset(b->verdict, 0, b->n * sizeof *b->verdict);
    if (e->work && !e->inline_work) {
        e->queue[(e->q_head + e->q_len++) % e->n_pool] = b;
        pthread_cond_signal(&e->cv_work);
        if (e->writer_waiting) pthread_cond_signal(&e->cv_done);   /* the writer works too */
    } else {
        e->done[e->n_done++] = b;
        pthread_cond_signal(&e->cv_done);
    }
    pthread_mutex_unlock(&e->mu);
}

static void give_back(engine *e, sbatch *b) {
    pthread_mutex_lock(&e->mu);
    e->free_list[e->n_free++] = b;
    /* Every batch comes back here while the reader waits (it holds none), so n_free reaches the
     * mark.  With the writer as the only consumer the reader is woken with all but one batch
     * free (it reads three per wake-up instead of two: `clean --threads 1` switched threads 900
     * times instead of 600 on the corpus, ~5% of its CPU); with workers at half the pool, so that
     * they never run dry. */
    size_t mark = e->workers == 0 ? e->n_pool - 1 : (e->n_pool + 1) / 2;
    if (e->reader_waiting && e->n_free >= mark) pthread_cond_signal(&e->cv_free);
    pthread_mutex_unlock(&e->mu);
}

/* Adds one parsed document (text[0..len), a JSONL line or a Parquet row as JSON) to the current
 * batch.  Returns 0, 1 on error (message printed), -1 when stopping. */
static int add_document(engine *e, const char *path, uint64_t line_no, const char *what, const char *text,
                        size_t len, sbatch **cur, size_t *cur_bytes) {
    e->docs_in++;
    if (*cur == NULL && (*cur = take_free(e)) == NULL) return -1;
    sbatch *b = *cur;
    llmd_status st = llmd_json_doc_parse(b->docs[b->n], text, len);
    if (st != LLMD_OK) {
        if (e->c->skip_bad) { e->bad++; return 0; }
        fprintf(stderr, "llmdata %s: %s:%s%llu: %s (use --skip-bad to skip such lines)\n", e->name, path, what,
                (unsigned long long)line_no, llmd_last_error());
        return 1;
    }
    if (e->work && e->c->field) {
        const char *v;
        size_t vl;
        (void)llmd_json_doc_get_string(b->docs[b->n], e->c->field, &v, &vl);
    }
    b->line[b->n] = line_no;
    b->src[b->n] = path;
    *cur_bytes += len + 1;
    if (++b->n == b->cap || (e->work && *cur_bytes >= BATCH_BYTES)) {
        hand_on(e, b);
        *cur = NULL;
        *cur_bytes = 0;
    }
    progress_show(e, false);
    return 0;
}

/* A .parquet input: every row becomes a JSON object (parquet_json.c forms) and goes through the
 * same batches as a JSONL line; "line" numbers are 1-based row numbers. */
static int read_parquet_input(engine *e, const char *path, sbatch **cur, size_t *cur_bytes) {
    llmd_parquet_reader *r;
    llmd_status st = llmd_parquet_reader_open(&r, path, NULL);
    if (st != LLMD_OK) return cli_lib_error("opening input", st);
    const llmd_schema *schema = llmd_parquet_reader_schema(r);
    char *buf = NULL;
    size_t size = 0;
    FILE *m = open_memstream(&buf, &size);
    if (m == NULL) {
        llmd_parquet_reader_free(r);
        return cli_error(e->name, "out of memory");
    }
    int rc = 0;
    uint64_t row_no = 0;
    for (int g = 0; g < llmd_parquet_reader_num_row_groups(r) && rc == 0; g++) {
        llmd_parquet_batch *pb;
        st = llmd_parquet_reader_read_row_group(r, g, &pb);
        if (st != LLMD_OK) { rc = cli_lib_error("reading input", st); break; }
        for (int64_t i = 0; i < llmd_parquet_batch_rows(pb) && rc == 0; i++) {
            row_no++;
            fseeko(m, 0, SEEK_SET);
            cli_parquet_row_json(m, schema, pb, i);
            if (fflush(m) != 0) { rc = cli_error(e->name, "out of memory"); break; }
            e->bytes_in += size;
            rc = add_document(e, path, row_no, "row ", buf, size, cur, cur_bytes);
        }
        llmd_parquet_batch_free(pb);
    }
    fclose(m);
    free(buf);
    llmd_parquet_reader_free(r);
    return rc;
}

/* Reads one input into batches.  Returns 0, 1 on error (message printed), -1 when stopping. */
static int read_input(engine *e, const char *path, sbatch **cur, size_t *cur_bytes) {
    if (cli_is_parquet_path(path)) {
        int prc = read_parquet_input(e, path, cur, cur_bytes);
        struct stat sb;
        if (stat(path, &sb) == 0) e->files_done += (uint64_t)sb.st_size;   /* for the progress percentage */
        return prc;
    }
    llmd_reader *r;
    llmd_status st = llmd_reader_open(&r, path, NULL);
    if (st != LLMD_OK) return cli_lib_error("opening input", st);
    e->cur_reader = r;
    int rc = 0;
    for (;;) {
        const char *line;
        size_t len;
        st = llmd_reader_next_line(r, &line, &len);
        if (st != LLMD_OK) { rc = cli_lib_error("reading input", st); break; }
        if (line == NULL) break;
        uint64_t line_no = llmd_reader_line_number(r);
        e->bytes_in += len + 1;
        /* Blank lines carry no document: skip them silently, as JSONL readers do. */
        size_t k = 0;
        while (k < len && (line[k] == ' ' || line[k] == '\t')) k++;
        if (k == len) continue;
        if ((rc = add_document(e, path, line_no, "", line, len, cur, cur_bytes)) != 0) break;
    }
    e->files_done += llmd_reader_bytes_in(r);
    e->cur_reader = NULL;
    llmd_reader_free(r);
    return rc;
}

static void *reader_main(void *arg) {
    engine *e = arg;
    sbatch *cur = NULL;
    size_t cur_bytes = 0;
    int rc = 0;
    /* Reading a pipe, the reader's time off the CPU is time blocked on the producer (less the
     * time waiting for a free batch).  Two clock reads per run, nothing per line; cli_stream
     * turns it into the time the whole run waited for its input. */
    double wall0 = cli_now(), cpu0 = e->timed_input ? thread_cpu_seconds() : 0;
    for (size_t i = 0; i < e->n_inputs && rc == 0; i++) rc = read_input(e, e->inputs[i], &cur, &cur_bytes);
    if (e->timed_input) {
        e->reader_wall = cli_now() - wall0;
        double idle = e->reader_wall - (thread_cpu_seconds() - cpu0) - e->free_wait;
        e->reader_idle = idle > 0 ? idle : 0;
    }
    if (cur != NULL) {
        /* After a malformed line the valid documents before it are still processed and written:
         * a stream output (stdout, a pipe) gets every valid document before the error, a file
         * output is not published at all (cli_run_jsonl_parallel commits only after success). */
        if (rc >= 0 && cur->n > 0) hand_on(e, cur);
        else give_back(e, cur);
    }
    pthread_mutex_lock(&e->mu);
    e->reader_finished = true;
    e->reader_rc = rc > 0 ? rc : 0;
    pthread_cond_broadcast(&e->cv_done);
    pthread_cond_broadcast(&e->cv_work);
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- workers ------------------------------------------------------------------------------ */

/* The parallel part of one batch: work, then (the writer's fn only counts, cli.h) rendering. */
static void run_work(engine *e, unsigned worker, sbatch *b) {
    b->rc = e->work(e->ctx, worker, b->docs, b->n, b->verdict, b->line, (const char *const *)b->src);
    if (b->rc == 0) b->rc = render_batch(e->name, b, NULL);
}

typedef struct worker_arg {
    engine *e;
    unsigned index;
} worker_arg;

static void *worker_main(void *arg) {
    worker_arg *wa = arg;
    engine *e = wa->e;
    pthread_mutex_lock(&e->mu);
    for (;;) {
        while (e->q_len == 0 && !e->reader_finished && !e->stop) pthread_cond_wait(&e->cv_work, &e->mu);
        if (e->q_len == 0 || e->stop) break;
        sbatch *b = e->queue[e->q_head];
        e->q_head = (e->q_head + 1) % e->n_pool;
        e->q_len--;
        pthread_mutex_unlock(&e->mu);
        run_work(e, wa->index, b);
        pthread_mutex_lock(&e->mu);
        e->done[e->n_done++] = b;
        pthread_cond_broadcast(&e->cv_done);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* ---- writer ------------------------------------------------------------------------------- */

/* The batch with sequence number seq once it is ready; NULL at the end of input. */
static sbatch *next_done(engine *e, uint64_t seq) {
    pthread_mutex_lock(&e->mu);
    sbatch *b = NULL;
    for (;;) {
        for (size_t k = 0; k < e->n_done; k++) {
            if (e->done[k]->seq == seq) {
                b = e->done[k];
                e->done[k] = e->done[--e->n_done];
                break;
            }
        }
        if (b != NULL || (e->reader_finished && seq >= e->batches_read)) break;
        if (e->writer_works && e->q_len > 0 && !e->stop) {
            /* Rather than wait for the batch in order, process a queued one (as the last
             * worker). */
            sbatch *w = e->queue[e->q_head];
            e->q_head = (e->q_head + 1) % e->n_pool;
            e->q_len--;
            pthread_mutex_unlock(&e->mu);
            run_work(e, e->workers, w);
            pthread_mutex_lock(&e->mu);
            e->done[e->n_done++] = w;
            continue;
        }
        e->writer_waiting = true;
        if (e->timed_input && seq >= e->batches_read) {   /* starved: the reader is behind */
            double t0 = cli_now();
            pthread_cond_wait(&e->cv_done, &e->mu);
            e->starved += cli_now() - t0;
        } else {
            pthread_cond_wait(&e->cv_done, &e->mu);
        }
        e->writer_waiting = false;
    }
    pthread_mutex_unlock(&e->mu);
    return b;
}

/* Writes a batch's output.  A stream gets it with write(2) straight from the batch buffer (after
 * flushing what stdio holds), not copied through stdio's buffer first; a file published in one
 * step (llmd_output) takes it through its own buffer, which also checksums it. */
static bool raw_stream(const cli_out *o) { return o->file == NULL && o->stream != NULL && o->codec == CLI_CODEC_NONE && o->pq == NULL; }

static int write_out(engine *e, const char *data, size_t n) {
    if (!raw_stream(e->out)) return cli_out_write(e->name, e->out, data, n);
    if (fflush(e->out->stream) != 0) return cli_error(e->name, "write failed: %s", strerror(errno));
    int fd = fileno(e->out->stream);
    while (n > 0) {
        ssize_t w = write(fd, data, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return cli_error(e->name, "write failed: %s", w < 0 ? strerror(errno) : "no progress");
        data += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes the gathered pieces of b with writev (IOV_MAX at a time, after partial writes from
 * where they stopped). */
static int write_gathered(engine *e, sbatch *b) {
    if (fflush(e->out->stream) != 0) return cli_error(e->name, "write failed: %s", strerror(errno));
    int fd = fileno(e->out->stream);
    struct iovec *v = b->iov;
    size_t left = b->n_iov;
    while (left > 0) {
        ssize_t w = writev(fd, v, (int)(left < IOV_MAX ? left : IOV_MAX));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return cli_error(e->name, "write failed: %s", w < 0 ? strerror(errno) : "no progress");
        size_t done = (size_t)w;
        while (left > 0 && done >= v->iov_len) {
            done -= v->iov_len;
            v++;
            left--;
        }
        if (left > 0) {
            v->iov_base = (char *)v->iov_base + done;
            v->iov_len -= done;
        }
    }
    return 0;
}

/* Writes what b->out holds (or b gathered) and counts it. */
static int flush_rendered(engine *e, sbatch *b) {
    if (b->gather) {
        if (b->n_iov > 0 && write_gathered(e, b) != 0) return 1;
        b->n_iov = 0;
    } else if (b->out_len > 0 && write_out(e, b->out, b->out_len) != 0) {
        return 1;
    }
    e->s->docs_out += b->kept;
    e->s->bytes_out += b->out_len;
    b->out_len = 0;
    b->kept = 0;
    return 0;
}

/* A Parquet output (-o *.parquet) takes the kept documents one by one (parquet_out.c types their
 * members), not as rendered lines. */
static int write_parquet_docs(engine *e, sbatch *b) {
    for (size_t i = 0; i < b->n; i++) {
        if (b->verdict[i] != CLI_KEEP) continue;
        const char *json;
        size_t len;
        llmd_status st = llmd_json_doc_render(b->docs[i], &json, &len);
        if (st != LLMD_OK) return cli_lib_error("rendering output", st);
        if (cli_pq_add(e->name, e->out->pq, b->docs[i], json, len, b->src[i], b->line[i]) != 0) return 1;
        e->s->docs_out++;
        e->s->bytes_out += len + 1;
    }
    return 0;
}

static int write_batch(engine *e, sbatch *b) {
    if (e->inline_work) b->rc = e->work(e->ctx, 0, b->docs, b->n, b->verdict, b->line, (const char *const *)b->src);
    if (b->rc != 0) return 1;
    if (e->fn && e->fn(e->ctx, b->docs, b->n, b->verdict, b->line, (const char *const *)b->src) != 0) return 1;
    if (e->out->pq != NULL) return write_parquet_docs(e, b);
    /* Without worker threads fn may edit documents and verdicts: render after it. */
    if ((!e->work || e->inline_work) && render_batch(e->name, b, e) != 0) return 1;
    return flush_rendered(e, b);
}

/* CPUs other work keeps busy right now: the smaller of the runnable tasks besides this one
 * (/proc/loadavg's "running/total", an instant) and the 1-minute load average (which smooths the
 * instant but also counts this command's own earlier runs).  0 when neither can be read. */
static unsigned busy_cpus(void) {
    double load1 = 0;
    if (getloadavg(&load1, 1) != 1) return 0;
    unsigned running = 0, total = 0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL) return 0;
    double a, b, c;
    int got = fscanf(f, "%lf %lf %lf %u/%u", &a, &b, &c, &running, &total);
    fclose(f);
    if (got != 5 || running == 0) return 0;
    double others = (double)(running - 1);
    return (unsigned)(others < load1 ? others : load1);
}

/* Workers worth starting for `want`: extra workers only pay off on idle CPUs.  On a saturated
 * machine they cannot run beside the writer, and the writer, which takes batches in input order,
 * stalls whenever the worker holding the next batch is descheduled (a scheduling period, tens of
 * ms on a busy machine, against ~0.2 ms of work per batch): with two workers forced, `clean
 * --threads 2` took a median 0.53 s against 0.34 s for --threads 1 (21 runs each, load 22 on 2
 * CPUs); choosing by load, 0.28 s against 0.33 s.  LLMDATA_EXACT_THREADS=1 starts exactly `want` (tests
 * use it to exercise the parallel engine on any machine). */
static unsigned useful_workers(unsigned want) {
    if (want <= 1) return want;
    const char *exact = getenv("LLMDATA_EXACT_THREADS");
    if (exact != NULL && strcmp(exact, "1") == 0) return want;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus <= 1) return 1;
    unsigned busy = busy_cpus();
    unsigned idle = busy >= (unsigned)cpus ? 0 : (unsigned)cpus - busy;
    return idle < 1 ? 1 : idle < want ? idle : want;
}

unsigned cli_worker_count(unsigned threads) {
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? (unsigned)n : 1;
    }
    return threads > 256 ? 256 : threads;
}

int cli_stream(const char *name, cli_common *c, const char *const *inputs, size_t n_inputs, unsigned threads,
               cli_work_fn work, cli_batch_fn fn, void *ctx, cli_out *out, cli_stats *s) {
    /* On the heap: after an error a reader blocked on a pipe is left behind (see the end). */
    engine *ep = calloc(1, sizeof *ep);
    if (ep == NULL) return cli_error(name, "out of memory");
    engine *e = ep;
#if defined(__GLIBC__)
    /* Batches allocate and free the same few megabytes over and over: keep freed memory in the
     * process instead of returning it to the kernel and faulting it back in (page faults were
     * ~10% of `clean`'s time). */
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
    *e = (engine){.name = name, .c = c, .inputs = inputs, .n_inputs = n_inputs, .work = work, .fn = fn,
                  .ctx = ctx, .out = out, .s = s};
    e->workers = work ? useful_workers(cli_worker_count(threads)) : 0;
    /* One worker thread would only add a handoff per batch (and a thread switch on a busy
     * machine) to what the writer can do itself between two writes: the reader thread still
     * reads and parses ahead of it. */
    if (e->workers == 1) {
        e->inline_work = true;
        e->workers = 0;
    } else if (e->workers > 1) {
        /* The writer is the last worker (index workers - 1): one thread fewer to switch between,
         * and it works instead of waiting whenever the batch it needs next is not done yet. */
        e->writer_works = true;
        e->workers--;
    }
    /* Enough batches that the reader runs ahead: the writer takes batches in order, so while one
     * worker is descheduled the others keep going only as long as there are free batches.  Not
     * more: every batch in the pool keeps its documents' buffers (page faults were ~5% of
     * `clean` with 8 per worker + 8). */
    e->n_pool = 4 * (size_t)(e->workers + e->writer_works) + 4;
    cli_progress_init(&e->progress, name, inputs, n_inputs, c->progress, c->quiet);
    inspect_inputs(e);
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->cv_free, NULL);
    pthread_cond_init(&e->cv_work, NULL);
    pthread_cond_init(&e->cv_done, NULL);
    e->pool = calloc(e->n_pool, sizeof *e->pool);
    e->free_list = calloc(e->n_pool, sizeof *e->free_list);
    e->queue = calloc(e->n_pool, sizeof *e->queue);
    e->done = calloc(e->n_pool, sizeof *e->done);
    pthread_t *tids = calloc(e->workers + 1, sizeof *tids);
    worker_arg *wargs = calloc(e->workers + 1, sizeof *wargs);
    int rc = 0;
    if (!e->pool || !e->free_list || !e->queue || !e->done || !tids || !wargs) rc = cli_error(name, "out of memory");
    for (size_t k = 0; k < e->n_pool && rc == 0; k++) {
        if (sbatch_init(&e->pool[k], c->batch ? c->batch : 1) != 0) rc = cli_error(name, "out of memory");
        else e->free_list[e->n_free++] = &e->pool[k];
        e->pool[k].gather = raw_stream(out);
    }
    bool reader_started = false;
    unsigned started = 0;
    if (rc == 0) {
        if (pthread_create(&tids[0], NULL, reader_main, e) != 0) rc = cli_error(name, "cannot start the reader thread");
        else reader_started = true;
    }
    for (unsigned w = 0; w < e->workers && rc == 0; w++) {
        wargs[w] = (worker_arg){e, w};
        if (pthread_create(&tids[1 + w], NULL, worker_main, &wargs[w]) != 0)
            break;   /* fewer workers than asked (the writer works too) still give the same output */
        started++;
    }
    for (uint64_t seq = 0; rc == 0; seq++) {
        sbatch *b = next_done(e, seq);
        if (b == NULL) break;
        rc = write_batch(e, b);
        give_back(e, b);
    }
    /* Wind down: after an error nothing more is processed or written. */
    pthread_mutex_lock(&e->mu);
    if (rc != 0) e->stop = true;
    bool reader_busy = reader_started && !e->reader_finished;
    pthread_cond_broadcast(&e->cv_free);
    pthread_cond_broadcast(&e->cv_work);
    pthread_mutex_unlock(&e->mu);
    for (unsigned w = 0; w < started; w++) pthread_join(tids[1 + w], NULL);
    if (rc != 0 && reader_busy && e->timed_input) {
        /* The reader may be blocked reading a pipe that never ends; the process is about to exit
         * with an error, so it is left running (it stops at its next batch) and its state kept.
         * Reading files it never blocks for long: it sees `stop` at its next batch and is joined
         * below, and everything is freed. */
        pthread_detach(tids[0]);
        free(tids);
        free(wargs);
        return rc;
    }
    if (reader_started) pthread_join(tids[0], NULL);
    if (rc == 0) rc = e->reader_rc;
    s->docs_in += e->docs_in;
    s->bytes_in += e->bytes_in;
    s->bad += e->bad;
    /* The run waited for its input while the writer had nothing to write because the reader was
     * behind, and the reader was behind because it was blocked on the producer, not parsing:
     * the writer's starved time times the reader's blocked share of its time.  A command in a pipe
     * thus reports its own processing time (`(sleep 5; cat x) | llmdata clean` says ~0 s, + 5 s
     * waiting for input). */
    if (e->timed_input && e->reader_wall > 0) {
        double share = e->reader_idle / e->reader_wall;
        s->input_wait += e->starved * (share > 1 ? 1 : share);
    }
    progress_show(e, true);
    for (size_t k = 0; e->pool && k < e->n_pool; k++) sbatch_free(&e->pool[k]);
    free(e->pool);
    free(e->free_list);
    free(e->queue);
    free(e->done);
    free(tids);
    free(wargs);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->cv_free);
    pthread_cond_destroy(&e->cv_work);
    pthread_cond_destroy(&e->cv_done);
    free(e);
    return rc;
}
