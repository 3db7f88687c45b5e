/* Spilling a feature source to hash-partitioned, zstd-compressed temp files (spill.c). */
#ifndef LLMD_FEATURE_SPILL_H
#define LLMD_FEATURE_SPILL_H
#include <stdio.h>

#include "feature/feature_internal.h"

typedef struct spill {
    char *dir;                   /* private temp directory, removed by spill_close */
    size_t n_parts;
    FILE **files;                /* one per partition */
    llmd_buf *pending;           /* a partition's rows not yet compressed */
    size_t block;                /* raw bytes per compressed block */
    uint8_t *zbuf;
    size_t zbuf_cap;
    uint64_t bytes_written, rows;
} spill;

/* Creates the temp directory (in temp_dir, else $TMPDIR, else /tmp) and n_parts empty files. */
llmd_status spill_open(spill *s, const char *temp_dir, size_t n_parts, size_t memory_limit);
/* Partition of a key hash. */
size_t spill_part_of(const spill *s, uint64_t hash);
/* Appends every row of t to its partition, then empties t (keeping its allocations). */
llmd_status spill_table(spill *s, ftable *t);
/* Writes what is pending and rewinds the files for reading. */
llmd_status spill_finish_writing(spill *s);
/* Appends partition p's rows (in source order) to an initialised empty table; deletes its file. */
llmd_status spill_load_part(spill *s, size_t p, ftable *t);
/* Closes and removes every temp file and the directory; safe after any failure. */
void spill_close(spill *s);
#endif
