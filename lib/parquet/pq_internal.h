/* Internals of the Parquet module: Thrift compact protocol, footer structures, codecs, encodings. */
#ifndef LLMD_PQ_INTERNAL_H
#define LLMD_PQ_INTERNAL_H

#include "common/internal.h"
#include "llmdata/parquet.h"
#include "parquet/schema_internal.h"

/* parquet.thrift enums */
enum { PQ_BOOLEAN = 0, PQ_INT32 = 1, PQ_INT64 = 2, PQ_INT96 = 3, PQ_FLOAT = 4, PQ_DOUBLE = 5,
       PQ_BYTE_ARRAY = 6, PQ_FIXED = 7 };
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1, PQ_REPEATED = 2 };
enum { PQ_ENC_PLAIN = 0, PQ_ENC_PLAIN_DICT = 2, PQ_ENC_RLE = 3, PQ_ENC_BIT_PACKED = 4,
       PQ_ENC_DELTA_BINARY = 5, PQ_ENC_DELTA_LENGTH = 6, PQ_ENC_DELTA_BYTE_ARRAY = 7,
       PQ_ENC_RLE_DICT = 8, PQ_ENC_BYTE_STREAM_SPLIT = 9 };
enum { PQ_PAGE_DATA = 0, PQ_PAGE_INDEX = 1, PQ_PAGE_DICT = 2, PQ_PAGE_DATA_V2 = 3 };
/* ConvertedType */
enum { CT_UTF8 = 0, CT_MAP = 1, CT_MAP_KEY_VALUE = 2, CT_LIST = 3, CT_ENUM = 4, CT_DECIMAL = 5,
       CT_DATE = 6, CT_TIME_MILLIS = 7, CT_TIME_MICROS = 8, CT_TIMESTAMP_MILLIS = 9,
       CT_TIMESTAMP_MICROS = 10, CT_UINT_8 = 11, CT_UINT_16 = 12, CT_UINT_32 = 13, CT_UINT_64 = 14,
       CT_INT_8 = 15, CT_INT_16 = 16, CT_INT_32 = 17, CT_INT_64 = 18, CT_JSON = 19, CT_BSON = 20,
       CT_INTERVAL = 21 };
/* LogicalType union field ids */
enum { LT_NONE = 0, LT_STRING = 1, LT_MAP = 2, LT_LIST = 3, LT_ENUM = 4, LT_DECIMAL = 5, LT_DATE = 6,
       LT_TIME = 7, LT_TIMESTAMP = 8, LT_INTEGER = 10, LT_UNKNOWN = 11, LT_JSON = 12, LT_BSON = 13,
       LT_UUID = 14, LT_FLOAT16 = 15 };

/* ---- Thrift compact protocol (thrift.c) -------------------------------------------------------- */
enum { TT_STOP = 0, TT_TRUE = 1, TT_FALSE = 2, TT_BYTE = 3, TT_I16 = 4, TT_I32 = 5, TT_I64 = 6,
       TT_DOUBLE = 7, TT_BINARY = 8, TT_LIST = 9, TT_SET = 10, TT_MAP = 11, TT_STRUCT = 12 };

typedef struct tin {
    const uint8_t *p, *end, *base;
    int depth;
    const char *what;   /* "footer", "page header" — for messages */
    uint64_t file_off;  /* file offset of base, for messages */
} tin;

llmd_status tin_varint(tin *t, uint64_t *v);
llmd_status tin_i64(tin *t, int64_t *v);   /* zigzag varint */
llmd_status tin_i32(tin *t, int32_t *v);
llmd_status tin_binary(tin *t, const uint8_t **p, size_t *n);
/* Reads a field header: *type = TT_STOP at the end of a struct; *id is the field id. */
llmd_status tin_field(tin *t, int *last_id, int *id, int *type);
llmd_status tin_list(tin *t, int *elem_type, size_t *n);
llmd_status tin_skip(tin *t, int type);
llmd_status tin_bool(tin *t, int type, int *v);  /* a bool field's value is in its type nibble */
llmd_status tin_fail(tin *t, const char *msg);
llmd_status tin_enter(tin *t);  /* nesting limit */
static inline void tin_leave(tin *t) { t->depth--; }

/* Writing: appends to an llmd_buf. */
typedef struct tout {
    llmd_buf *b;
    int last_id[32];
    int depth;
    llmd_status st;
} tout;
void tout_begin(tout *t, llmd_buf *b);
void tout_struct_begin(tout *t, int id);     /* a struct-typed field (id) */
void tout_struct_end(tout *t);               /* writes STOP */
void tout_field_i32(tout *t, int id, int32_t v);
void tout_field_i64(tout *t, int id, int64_t v);
void tout_field_bool(tout *t, int id, int v);
void tout_field_binary(tout *t, int id, const void *p, size_t n);
void tout_field_list(tout *t, int id, int elem_type, size_t n);
void tout_i32(tout *t, int32_t v);           /* list element */
void tout_binary(tout *t, const void *p, size_t n);
void tout_list_struct_begin(tout *t);        /* struct as a list element */
void tout_end(tout *t);                      /* final STOP of the outermost struct */

/* ---- footer model (meta.c) ------------------------------------------------------------------- */
typedef struct pq_schema_el {
    int type;            /* -1 for groups */
    int32_t type_length;
    int repetition;      /* -1 absent */
    char *name;
    int32_t num_children;
    int converted;       /* -1 absent */
    int32_t scale, precision;
    int logical;         /* LT_*, LT_NONE absent */
    int lt_int_bits, lt_int_signed;
    int lt_utc, lt_unit; /* TIME/TIMESTAMP */
    int32_t lt_scale, lt_precision;
} pq_schema_el;

typedef struct pq_stats {
    const uint8_t *min, *max;       /* point into the footer buffer */
    size_t min_len, max_len;
    const uint8_t *old_min, *old_max;
    size_t old_min_len, old_max_len;
    int64_t null_count;             /* -1 absent */
} pq_stats;

typedef struct pq_chunk {
    int type;
    uint32_t encodings;
    int codec;
    int64_t num_values;
    int64_t total_uncompressed, total_compressed;
    int64_t data_page_offset, dictionary_page_offset;  /* -1 absent */
    pq_stats stats;
    int has_stats;
    int n_path;
} pq_chunk;

typedef struct pq_row_group {
    pq_chunk *chunks;
    size_t n_chunks;
    int64_t num_rows;
    int64_t total_byte_size;
} pq_row_group;

typedef struct pq_kv {
    char *key, *value;
} pq_kv;

typedef struct pq_footer {
    int32_t version;
    pq_schema_el *schema;
    size_t n_schema;
    int64_t num_rows;
    pq_row_group *groups;
    size_t n_groups;
    pq_kv *kv;
    size_t n_kv;
    char *created_by;
    int column_orders_present;
    int encrypted;
} pq_footer;

/* Parses FileMetaData from buf (buf must outlive the footer: statistics point into it). */
llmd_status pq_footer_parse(pq_footer *f, const uint8_t *buf, size_t n, uint64_t file_off);
void pq_footer_free(pq_footer *f);

typedef struct pq_page_header {
    int type;
    int32_t uncompressed, compressed;
    int32_t num_values, num_nulls, num_rows;
    int encoding, def_encoding, rep_encoding;
    int32_t def_bytes, rep_bytes;   /* v2 */
    int is_compressed;              /* v2, default 1 */
    int has_data, has_dict, has_v2;
} pq_page_header;
llmd_status pq_page_header_parse(pq_page_header *h, tin *t);

/* ---- codecs (codec.c) ----------------------------------------------------------------------- */
/* Compresses src into out (appended).  level 0 = default. */
llmd_status pq_compress(int codec, int level, const uint8_t *src, size_t n, llmd_buf *out);
/* Decompresses exactly dst_len bytes (the page header's claim) from src into dst. */
llmd_status pq_decompress(int codec, const uint8_t *src, size_t n, uint8_t *dst, size_t dst_len);
/* The largest expansion a codec can produce from n bytes (used to refuse hostile size claims). */
uint64_t pq_codec_max_expansion(int codec, size_t n);

/* ---- encodings (encoding.c) ----------------------------------------------------------------- */
/* RLE/bit-packed hybrid (Encodings.md): appends the encoding of v[0..n) at bit_width to out. */
llmd_status rle_encode(const uint32_t *v, size_t n, int bit_width, llmd_buf *out);

/* RLE/bit-packed hybrid decoder over [p, end). */
typedef struct rle_dec {
    const uint8_t *p, *end;
    int bit_width;
    uint32_t rle_value;
    uint64_t rle_left;
    const uint8_t *bp;       /* bit-packed run data */
    uint64_t bp_left;        /* values left in the bit-packed run */
    uint64_t bp_index;
} rle_dec;
void rle_dec_init(rle_dec *d, const uint8_t *p, const uint8_t *end, int bit_width);
/* Decodes n values into out; LLMD_ERR_CORRUPT when the data ends early. */
llmd_status rle_dec_get(rle_dec *d, uint32_t *out, size_t n);

int pq_bit_width(uint64_t max_value);
/* Reads bit_width (0..64) bits at bit position pos of p, LSB first; the caller checked bounds. */
uint64_t pq_unpack_bits(const uint8_t *p, uint64_t pos, int bit_width);
/* DELTA_BINARY_PACKED: decodes the values of the stream at *pp into out (at most cap of them;
 * more is LLMD_ERR_CORRUPT), sets *count, advances *pp past the stream.  bits32: INT32 column
 * (arithmetic wraps at 32 bits). */
llmd_status pq_delta_decode(const uint8_t **pp, const uint8_t *end, int64_t *out, size_t cap,
                            size_t *count, int bits32);
/* Number of values a DELTA_BINARY_PACKED stream header announces (without decoding). */
llmd_status pq_delta_count(const uint8_t *p, const uint8_t *end, uint64_t *count);

int pq_decimal_bytes(int precision);  /* FIXED_LEN_BYTE_ARRAY width of a decimal precision */

/* ---- writer internals (writer.c) ---------------------------------------------------------------- */
/* Like llmd_parquet_writer_finish, but the file is only closed (fsynced, checksummed), not
 * published: *out takes over the temp file, for a caller that publishes several files as one unit
 * (llmd_outfile_publish_all); it must llmd_outfile_discard it.  The writer is finished after. */
llmd_status pq_writer_finish_unpublished(llmd_parquet_writer *w, llmd_outfile *out);
/* Bytes the file would have if finished now, footer excepted: written + the open row group. */
uint64_t pq_writer_bytes(const llmd_parquet_writer *w);

#endif
