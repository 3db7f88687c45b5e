/* Combined clean+redact and the multi-threaded batch entry point. */
#include <stdint.h>

#include "common/internal.h"
#include "llmdata/text.h"
#include "text/text_internal.h"

/* Work state one thread reuses across texts. */
typedef struct work {
    llmd_buf out;
    llmd_pii_span *spans;
    size_t n_spans, cap;
    llmd_text_scratch sc;
} work;

static void work_free(work *w) {
    llmd_buf_free(&w->out);
    llmd_free(w->spans);
    llmd_text_scratch_free(&w->sc);
}

/* Cleans (if o) then redacts (if r), appending the result to `out` (NUL-terminated after) and
 * leaving the spans in w->spans / w->n_spans. */
static llmd_status process(const char *text, size_t len, const llmd_clean_options *o, const llmd_redactor *r,
                           work *w, llmd_buf *out) {
    llmd_status st;
    w->n_spans = 0;
    if (text == NULL) text = "";
    if (r == NULL) {
        st = o ? llmd_text_clean_buf(text, len, o, &w->sc, out) : llmd_buf_append(out, text, len);
        return st != LLMD_OK ? st : llmd_buf_reserve(out, 0);
    }
    if (o == NULL) {
        if ((st = llmd_text_find(r, text, len, &w->sc, &w->spans, &w->n_spans, &w->cap)) != LLMD_OK) return st;
        if ((st = llmd_text_render(r, text, len, w->spans, w->n_spans, out)) != LLMD_OK) return st;
        return llmd_buf_reserve(out, 0);
    }
    /* Cleaned straight into the output: most texts have nothing to redact, and then nothing more
     * is copied.  Otherwise the cleaned text moves aside and the redacted one takes its place. */
    size_t base = out->len;
    if ((st = llmd_text_clean_buf(text, len, o, &w->sc, out)) != LLMD_OK) return st;
    if ((st = llmd_buf_reserve(out, 0)) != LLMD_OK) return st;
    const char *cleaned = out->data + base;
    size_t cleaned_len = out->len - base;
    if ((st = llmd_text_find(r, cleaned, cleaned_len, &w->sc, &w->spans, &w->n_spans, &w->cap)) != LLMD_OK) return st;
    if (w->n_spans == 0) return LLMD_OK;
    llmd_buf *region = &w->sc.region;
    llmd_buf_reset(region);
    if ((st = llmd_buf_append(region, cleaned, cleaned_len)) != LLMD_OK) return st;
    out->len = base;
    if ((st = llmd_text_render(r, region->data, region->len, w->spans, w->n_spans, out)) != LLMD_OK) return st;
    return llmd_buf_reserve(out, 0);
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
    work w = {0};
    if ((st = process(text, len, &o, r, &w, &w.out)) != LLMD_OK) {
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

/* Per-item results, relative to the worker that produced them. */
typedef struct item {
    size_t off, len;       /* in the worker's data buffer */
    size_t span_off, n_spans;
} item;

/* One worker's outputs: its items' bytes and spans, back to back. */
typedef struct slot {
    llmd_buf data;
    llmd_pii_span *spans;
    size_t n_spans, cap;
    size_t begin, end;
    bool used;
} slot;

#define MAX_SLOTS 256   /* llmd_parallel_ranges never uses more workers */

typedef struct job {
    const char *const *texts;
    const size_t *lens;
    const size_t *bounds;    /* worker chunk c covers texts bounds[c] .. bounds[c+1] */
    const llmd_clean_options *o;
    const llmd_redactor *r;
    item *items;
    slot *slots;
    unsigned n_slots;
    size_t failed;   /* index of a failing text */
} job;

static llmd_status run_range(void *arg, size_t chunk_begin, size_t chunk_end, unsigned worker) {
    job *j = arg;
    size_t begin = j->bounds[chunk_begin], end = j->bounds[chunk_end];
    if (worker >= j->n_slots) return llmd_fail(LLMD_ERR_INTERNAL, "text batch: worker %u out of range", worker);
    slot *sl = &j->slots[worker];
    sl->begin = begin;
    sl->end = end;
    sl->used = true;
    work w = {0};
    llmd_status st = LLMD_OK;
    /* Outputs are usually no longer than inputs: reserve that much once. */
    size_t want = 0;
    for (size_t i = begin; i < end; i++)
        if (!llmd_add_ok(want, j->lens[i], &want)) want = 0;
    if (want && (st = llmd_buf_reserve(&sl->data, want + want / 16)) != LLMD_OK) return st;
    for (size_t i = begin; i < end; i++) {
        size_t off = sl->data.len;
        if (j->texts[i] == NULL && j->lens[i] > 0) {
            st = llmd_fail(LLMD_ERR_INVALID_ARG, "text %zu: NULL with length %zu", i, j->lens[i]);
        } else if ((st = process(j->texts[i], j->lens[i], j->o, j->r, &w, &sl->data)) != LLMD_OK) {
            llmd_error_prefix("text %zu", i);
        }
        if (st != LLMD_OK) {
            __atomic_store_n(&j->failed, i, __ATOMIC_RELAXED);
            break;
        }
        item *it = &j->items[i];
        it->off = off;
        it->len = sl->data.len - off;
        it->span_off = sl->n_spans;
        it->n_spans = w.n_spans;
        if (w.n_spans) {
            if (sl->n_spans + w.n_spans > sl->cap) {
                size_t ncap = sl->cap ? sl->cap : 64;
                while (ncap < sl->n_spans + w.n_spans) ncap *= 2;
                llmd_pii_span *p = llmd_realloc(sl->spans, sl->cap * sizeof *p, ncap * sizeof *p);
                if (p == NULL) { st = llmd_fail_nomem("collecting batch spans"); break; }
                sl->spans = p;
                sl->cap = ncap;
            }
            memcpy(sl->spans + sl->n_spans, w.spans, w.n_spans * sizeof *w.spans);
            sl->n_spans += w.n_spans;
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
    /* One contiguous chunk per thread, balanced by bytes rather than by count (documents vary
     * from a line to megabytes); one slot of outputs per chunk. */
    unsigned chunks = threads ? threads : llmd_cpu_count();
    if (chunks > n) chunks = n ? (unsigned)n : 1;
    if (chunks > MAX_SLOTS) chunks = MAX_SLOTS;
    const unsigned n_slots = chunks;
    item *items = llmd_calloc(n ? n : 1, sizeof *items);
    slot *slots = llmd_calloc(n_slots, sizeof *slots);
    llmd_text_batch *b = llmd_calloc(1, sizeof *b);
    size_t *bounds = llmd_calloc((size_t)chunks + 1, sizeof *bounds);
    if (items == NULL || slots == NULL || b == NULL || bounds == NULL) {
        llmd_free(items);
        llmd_free(slots);
        llmd_free(b);
        llmd_free(bounds);
        return llmd_fail_nomem("starting a text batch");
    }
    size_t total_bytes = 0;
    for (size_t i = 0; i < n; i++)
        if (!llmd_add_ok(total_bytes, lens[i], &total_bytes)) total_bytes = SIZE_MAX;
    {
        unsigned c = 1;
        size_t acc = 0;
        for (size_t i = 0; i < n && c < chunks; i++) {
            acc = acc + lens[i] < acc ? SIZE_MAX : acc + lens[i];
            /* Chunk c starts once the bytes so far reach c/chunks of the total. */
            while (c < chunks && (double)acc >= (double)total_bytes * c / chunks) bounds[c++] = i + 1;
        }
        while (c <= chunks) bounds[c++] = n;
    }
    job j = {texts, lens, bounds, do_clean ? &o : NULL, r, items, slots, n_slots, SIZE_MAX};
    st = llmd_parallel_ranges(chunks, chunks, run_range, &j);
    llmd_free(bounds);
    if (st != LLMD_OK && failed_index) *failed_index = j.failed;
    size_t total = 0, total_spans = 0;
    unsigned used = 0;
    if (st == LLMD_OK) {
        for (unsigned k = 0; k < n_slots; k++) {
            total += slots[k].data.len;
            total_spans += slots[k].n_spans;
            used += slots[k].used;
        }
        b->n = n;
        b->offsets = llmd_malloc((n + 1) * sizeof *b->offsets);
        b->span_offsets = llmd_malloc((n + 1) * sizeof *b->span_offsets);
        if (used == 1 && slots[0].used) {
            /* One worker: hand its buffers over instead of copying them. */
            if (llmd_buf_reserve(&slots[0].data, 0) == LLMD_OK) b->data = llmd_buf_detach(&slots[0].data, NULL);
            b->spans = slots[0].spans ? slots[0].spans : llmd_malloc(sizeof *b->spans);
            slots[0].spans = NULL;
            slots[0].n_spans = 0;
        } else {
            b->data = llmd_malloc(total + 1);
            b->spans = llmd_malloc((total_spans ? total_spans : 1) * sizeof *b->spans);
        }
        if (!b->data || !b->offsets || !b->span_offsets || !b->spans) st = llmd_fail_nomem("assembling a text batch");
    }
    if (st == LLMD_OK) {
        /* Workers got contiguous, increasing ranges: concatenating their buffers in range order
         * gives the outputs in input order. */
        size_t at = 0, sat = 0;
        size_t next = 0;
        while (next < n) {
            unsigned k = 0;
            while (k < n_slots && !(slots[k].used && slots[k].begin == next && slots[k].end > next)) k++;
            if (k == n_slots) {
                st = llmd_fail(LLMD_ERR_INTERNAL, "text batch: no worker covered text %zu", next);
                break;
            }
            slot *sl = &slots[k];
            size_t dlen = used == 1 ? total : sl->data.len, slen = used == 1 ? total_spans : sl->n_spans;
            if (used != 1 && dlen) memcpy(b->data + at, sl->data.data, dlen);
            if (used != 1 && slen) memcpy(b->spans + sat, sl->spans, slen * sizeof *b->spans);
            for (size_t i = sl->begin; i < sl->end; i++) {
                b->offsets[i] = at + items[i].off;
                b->span_offsets[i] = sat + items[i].span_off;
            }
            at += dlen;
            sat += slen;
            next = sl->end;
        }
        if (st == LLMD_OK) {
            b->offsets[n] = at;
            b->span_offsets[n] = sat;
            b->data[at] = '\0';
        }
    }
    for (unsigned k = 0; k < n_slots; k++) {
        llmd_buf_free(&slots[k].data);
        llmd_free(slots[k].spans);
    }
    llmd_free(slots);
    llmd_free(items);
    if (st != LLMD_OK) {
        llmd_text_batch_free(b);
        return st;
    }
    *out = b;
    return LLMD_OK;
}
