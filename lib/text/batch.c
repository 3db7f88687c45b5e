/* Combined clean+redact and the multi-threaded batch entry point. */
#include <stdint.h>

#include "common/internal.h"
#include "llmdata/text.h"
#include "text/text_internal.h"

/* Work buffers one thread reuses across texts. */
typedef struct work {
    llmd_buf clean, out;
    llmd_pii_span *spans;
    size_t n_spans, cap;
} work;

static void work_free(work *w) {
    llmd_buf_free(&w->clean);
    llmd_buf_free(&w->out);
    llmd_free(w->spans);
}

/* Cleans (if o) then redacts (if r) into w->out / w->spans. */
static llmd_status process(const char *text, size_t len, const llmd_clean_options *o, const llmd_redactor *r,
                           work *w) {
    llmd_status st;
    llmd_buf_reset(&w->clean);
    llmd_buf_reset(&w->out);
    w->n_spans = 0;
    if (text == NULL) text = "";
    const char *cur = text;
    size_t cur_len = len;
    if (o) {
        if ((st = llmd_text_clean_buf(text, len, o, r ? &w->clean : &w->out)) != LLMD_OK) return st;
        if (r == NULL) return llmd_buf_reserve(&w->out, 0);
        cur = w->clean.data ? w->clean.data : "";
        cur_len = w->clean.len;
    }
    if (r == NULL) return llmd_buf_append(&w->out, cur, cur_len);
    if ((st = llmd_text_find(r, cur, cur_len, &w->spans, &w->n_spans, &w->cap)) != LLMD_OK) return st;
    if ((st = llmd_text_render(r, cur, cur_len, w->spans, w->n_spans, &w->out)) != LLMD_OK) return st;
    return llmd_buf_reserve(&w->out, 0);
}

llmd_status llmd_clean_and_redact(const char *text, size_t len, const llmd_clean_options *copts,
                                  const llmd_redactor *r, char **out, size_t *out_len, llmd_pii_span **spans,
                                  size_t *n_spans) {
    if (out) *out = NULL;
    if (out_len) *out_len = 0;
    if (spans) *spans = NULL;
    if (n_spans) *n_spans = 0;
    if (out == NULL || (text == NULL && len > 0) || (spans != NULL && n_spans == NULL))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_clean_and_redact: NULL argument");
    llmd_clean_options o;
    llmd_status st = llmd_text_clean_opts(&o, copts);
    if (st != LLMD_OK) return st;
    work w = {LLMD_BUF_INIT, LLMD_BUF_INIT, NULL, 0, 0};
    if ((st = process(text, len, &o, r, &w)) != LLMD_OK) {
        work_free(&w);
        return st;
    }
    *out = llmd_buf_detach(&w.out, out_len);
    if (spans && w.n_spans) {
        *spans = w.spans;
        *n_spans = w.n_spans;
        w.spans = NULL;
    }
    work_free(&w);
    return LLMD_OK;
}

typedef struct item {
    char *data;
    size_t len;
    llmd_pii_span *spans;
    size_t n_spans;
} item;

typedef struct job {
    const char *const *texts;
    const size_t *lens;
    const llmd_clean_options *o;
    const llmd_redactor *r;
    item *items;
    size_t failed;   /* lowest failing index */
} job;

static llmd_status run_range(void *arg, size_t begin, size_t end, unsigned worker) {
    (void)worker;
    job *j = arg;
    work w = {LLMD_BUF_INIT, LLMD_BUF_INIT, NULL, 0, 0};
    llmd_status st = LLMD_OK;
    for (size_t i = begin; i < end; i++) {
        if (j->texts[i] == NULL && j->lens[i] > 0) {
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "text %zu: NULL with length %zu", i, j->lens[i]);
        } else if ((st = process(j->texts[i], j->lens[i], j->o, j->r, &w)) != LLMD_OK) {
            llmd_error_prefix("text %zu", i);
        }
        if (st != LLMD_OK) {
            __atomic_store_n(&j->failed, i, __ATOMIC_RELAXED);
            break;
        }
        item *it = &j->items[i];
        it->data = llmd_buf_detach(&w.out, &it->len);
        if (w.n_spans) {
            it->spans = llmd_malloc(w.n_spans * sizeof *it->spans);
            if (it->spans == NULL) { st = llmd_fail_nomem("collecting batch spans"); break; }
            memcpy(it->spans, w.spans, w.n_spans * sizeof *it->spans);
            it->n_spans = w.n_spans;
        }
    }
    work_free(&w);
    return st;
}

void llmd_text_batch_free(llmd_text_batch *b) {
    if (b == NULL) return;
    llmd_free(b->data);
    llmd_free(b->offsets);
    llmd_free(b->spans);
    llmd_free(b->span_offsets);
    llmd_free(b);
}

llmd_status llmd_text_batch_run(const char *const *texts, const size_t *lens, size_t n, int do_clean,
                                const llmd_clean_options *copts, const llmd_redactor *r, unsigned threads,
                                llmd_text_batch **out, size_t *failed_index) {
    if (failed_index) *failed_index = SIZE_MAX;
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_text_batch_run: out is NULL");
    *out = NULL;
    if (n > 0 && (texts == NULL || lens == NULL))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_text_batch_run: texts or lens is NULL");
    llmd_clean_options o;
    llmd_status st = llmd_text_clean_opts(&o, copts);
    if (st != LLMD_OK) return st;
    item *items = llmd_calloc(n ? n : 1, sizeof *items);
    llmd_text_batch *b = llmd_calloc(1, sizeof *b);
    if (items == NULL || b == NULL) {
        llmd_free(items);
        llmd_free(b);
        return llmd_fail_nomem("starting a text batch");
    }
    job j = {texts, lens, do_clean ? &o : NULL, r, items, SIZE_MAX};
    st = llmd_parallel_ranges(n, threads, run_range, &j);
    size_t total = 0, total_spans = 0;
    if (st == LLMD_OK) {
        for (size_t i = 0; i < n; i++) {
            if (!llmd_add_ok(total, items[i].len, &total)) { st = llmd_fail(LLMD_ERR_RANGE, "batch output too large"); break; }
            total_spans += items[i].n_spans;
        }
    } else if (failed_index) {
        *failed_index = j.failed;
    }
    if (st == LLMD_OK) {
        b->n = n;
        b->data = llmd_malloc(total + 1);
        b->offsets = llmd_malloc((n + 1) * sizeof *b->offsets);
        b->span_offsets = llmd_malloc((n + 1) * sizeof *b->span_offsets);
        b->spans = llmd_malloc((total_spans ? total_spans : 1) * sizeof *b->spans);
        if (!b->data || !b->offsets || !b->span_offsets || !b->spans) st = llmd_fail_nomem("assembling a text batch");
    }
    if (st == LLMD_OK) {
        size_t at = 0, sat = 0;
        for (size_t i = 0; i < n; i++) {
            b->offsets[i] = at;
            b->span_offsets[i] = sat;
            if (items[i].len) memcpy(b->data + at, items[i].data, items[i].len);
            at += items[i].len;
            if (items[i].n_spans) memcpy(b->spans + sat, items[i].spans, items[i].n_spans * sizeof *b->spans);
            sat += items[i].n_spans;
        }
        b->offsets[n] = at;
        b->span_offsets[n] = sat;
        b->data[at] = '\0';
    }
    for (size_t i = 0; i < n; i++) {
        llmd_free(items[i].data);
        llmd_free(items[i].spans);
    }
    llmd_free(items);
    if (st != LLMD_OK) {
        llmd_text_batch_free(b);
        return st;
    }
    *out = b;
    return LLMD_OK;
}
