/* A minimal fork-join helper: contiguous ranges on pthreads, errors carried back to the caller. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "common/internal.h"

unsigned llmd_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

bool llmd_cpu_has_avx2(void) {
#if defined(__x86_64__) && defined(__GNUC__)
    static int known = -1;   /* -1 unknown, else 0/1; racing first calls store the same value */
    int v = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (v < 0) {
        __builtin_cpu_init();
        v = __builtin_cpu_supports("avx2") != 0;
        __atomic_store_n(&known, v, __ATOMIC_RELAXED);
    }
    return v != 0;
#else
    return false;
#endif
}

typedef struct range_job {
    llmd_range_fn fn;
    void *arg;
    size_t begin, end;
    unsigned worker;
    llmd_status status;
    char message[1024];  /* the worker thread's error message, carried to the caller */
} range_job;

static void *run_range(void *p) {
    range_job *job = p;
    job->status = job->fn(job->arg, job->begin, job->end, job->worker);
    if (job->status != LLMD_OK) snprintf(job->message, sizeof job->message, "%s", llmd_last_error());
    return NULL;
}

llmd_status llmd_parallel_ranges(size_t n, unsigned threads, llmd_range_fn fn, void *arg) {
    if (threads == 0) threads = llmd_cpu_count();
    if (threads > n) threads = n ? (unsigned)n : 1;
    if (threads > 256) threads = 256;
    if (threads <= 1) return fn(arg, 0, n, 0);
    range_job *jobs = llmd_calloc(threads, sizeof *jobs);
    pthread_t *tids = llmd_calloc(threads, sizeof *tids);
    if (jobs == NULL || tids == NULL) {
        llmd_free(jobs);
        llmd_free(tids);
        return llmd_fail_nomem("starting worker threads");
    }
    size_t chunk = n / threads, extra = n % threads, at = 0;
    unsigned started = 0;
    for (unsigned t = 0; t < threads; t++) {
        size_t len = chunk + (t < extra ? 1 : 0);
        jobs[t] = (range_job){.fn = fn, .arg = arg, .begin = at, .end = at + len, .worker = t};
        at += len;
    }
    /* Worker 0 runs on the calling thread; the rest on new threads. */
    for (unsigned t = 1; t < threads; t++) {
        if (pthread_create(&tids[t], NULL, run_range, &jobs[t]) != 0) {
            /* Could not start: run it inline instead of failing. */
            run_range(&jobs[t]);
            tids[t] = 0;
            continue;
        }
        started++;
    }
    run_range(&jobs[0]);
    for (unsigned t = 1; t < threads; t++)
        if (tids[t]) pthread_join(tids[t], NULL);
    llmd_status st = LLMD_OK;
    for (unsigned t = 0; t < threads; t++) {
        if (jobs[t].status != LLMD_OK) {
            st = llmd_fail(jobs[t].status, "%s", jobs[t].message);
            break;
        }
    }
    (void)started;
    llmd_free(jobs);
    llmd_free(tids);
    return st;
}
