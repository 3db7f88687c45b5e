/* llmdata dedup, cluster mode (the default): whole-corpus clusters in two or three passes. */
#ifndef LLMDATA_DEDUP_CLUSTER_H
#define LLMDATA_DEDUP_CLUSTER_H

#include "cli.h"

typedef struct dedup_cluster_args {
    cli_common *common;               /* inputs, field, skip-bad, output, quiet */
    llmd_minhash_options minhash;
    llmd_dedup_cluster_options cluster;
    unsigned threads;                 /* signature threads (0 = one per CPU) */
    const char *report_path;          /* NULL: no report */
} dedup_cluster_args;

/* Runs cluster-mode dedup; returns the exit status (0 ok, 1 error, 2 usage). */
int dedup_cluster_run(const dedup_cluster_args *a);

#endif
