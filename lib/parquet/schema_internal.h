/* The body of llmd_schema (shared by the Parquet reader and writer). */
#ifndef LLMD_PQ_SCHEMA_INTERNAL_H
#define LLMD_PQ_SCHEMA_INTERNAL_H

#include "common/internal.h"
#include "llmdata/parquet.h"

typedef struct llmd_field {
    char *name;
    llmd_type type;
    int nullable;
    int parent;
    int *children;
    int n_children;
} llmd_field;

struct llmd_schema {
    llmd_field *f;   /* f[0] is the root struct; a parent always precedes its children */
    int n, cap;
};

llmd_status pq_schema_check_complete(const llmd_schema *s);

#endif
