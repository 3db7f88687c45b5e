/* Thrift compact protocol (thrift/doc/specs/thrift-compact-protocol.md): the subset Parquet's footer
 * and page headers use, with unknown fields skipped.  Every read is bounds-checked; nesting is
 * limited so a hostile footer cannot exhaust the stack. */
#include "parquet/pq_internal.h"

#define TIN_MAX_DEPTH 64

llmd_status tin_fail(tin *t, const char *msg) {
    return llmd_fail(LLMD_ERR_PARSE, "parquet: malformed %s at byte %llu: %s", t->what,
                     (unsigned long long)(t->file_off + (uint64_t)(t->p - t->base)), msg);
}

llmd_status tin_enter(tin *t) {
    if (++t->depth > TIN_MAX_DEPTH) return tin_fail(t, "Thrift structures nested too deeply");
    return LLMD_OK;
}

llmd_status tin_varint(tin *t, uint64_t *v) {
    uint64_t r = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (t->p >= t->end) return tin_fail(t, "truncated varint");
        uint8_t b = *t->p++;
        if (shift == 63 && (b & 0x7e)) return tin_fail(t, "varint overflows 64 bits");
        r |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = r;
            return LLMD_OK;
        }
    }
    return tin_fail(t, "varint longer than 10 bytes");
}

llmd_status tin_i64(tin *t, int64_t *v) {
    uint64_t u = 0;
    llmd_status st = tin_varint(t, &u);
    if (st) return st;
    *v = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return LLMD_OK;
}

llmd_status tin_i32(tin *t, int32_t *v) {
    int64_t x = 0;
    llmd_status st = tin_i64(t, &x);
    if (st) return st;
    if (x < INT32_MIN || x > INT32_MAX) return tin_fail(t, "i32 out of range");
    *v = (int32_t)x;
    return LLMD_OK;
}

llmd_status tin_binary(tin *t, const uint8_t **p, size_t *n) {
    uint64_t len = 0;
    llmd_status st = tin_varint(t, &len);
    if (st) return st;
    if (len > (uint64_t)(t->end - t->p)) return tin_fail(t, "binary length past the end");
    *p = t->p;
    *n = (size_t)len;
    t->p += len;
    return LLMD_OK;
}

llmd_status tin_field(tin *t, int *last_id, int *id, int *type) {
    if (t->p >= t->end) return tin_fail(t, "truncated struct");
    uint8_t b = *t->p++;
    *type = b & 0x0f;
    if (*type == TT_STOP) return LLMD_OK;
    int delta = b >> 4;
    if (delta) {
        *id = *last_id + delta;
    } else {
        int32_t v = 0;
        llmd_status st = tin_i32(t, &v);
        if (st) return st;
        *id = v;
    }
    if (*type > TT_STRUCT) return tin_fail(t, "unknown field type");
    *last_id = *id;
    return LLMD_OK;
}

llmd_status tin_list(tin *t, int *elem_type, size_t *n) {
    if (t->p >= t->end) return tin_fail(t, "truncated list header");
    uint8_t b = *t->p++;
    *elem_type = b & 0x0f;
    uint64_t size = b >> 4;
    if (size == 15) {
        llmd_status st = tin_varint(t, &size);
        if (st) return st;
    }
    /* Each element takes at least one byte (except empty structs... which still take a STOP byte),
     * so a count above the bytes left is a lie: refuse before anyone allocates for it. */
    if (size > (uint64_t)(t->end - t->p)) return tin_fail(t, "list longer than the bytes left");
    *n = (size_t)size;
    return LLMD_OK;
}

llmd_status tin_bool(tin *t, int type, int *v) {
    if (type == TT_TRUE) *v = 1;
    else if (type == TT_FALSE) *v = 0;
    else return tin_fail(t, "expected a bool");
    return LLMD_OK;
}

static llmd_status skip_bytes(tin *t, size_t n) {
    if (n > (size_t)(t->end - t->p)) return tin_fail(t, "truncated value");
    t->p += n;
    return LLMD_OK;
}

static llmd_status skip_elem(tin *t, int type) {
    /* inside lists, booleans are one byte each */
    if (type == TT_TRUE || type == TT_FALSE) return skip_bytes(t, 1);
    return tin_skip(t, type);
}

llmd_status tin_skip(tin *t, int type) {
    llmd_status st;
    uint64_t u;
    switch (type) {
    case TT_TRUE: case TT_FALSE: return LLMD_OK;
    case TT_BYTE: return skip_bytes(t, 1);
    case TT_I16: case TT_I32: case TT_I64: return tin_varint(t, &u);
    case TT_DOUBLE: return skip_bytes(t, 8);
    case TT_BINARY: {
        const uint8_t *p;
        size_t n;
        return tin_binary(t, &p, &n);
    }
    case TT_LIST: case TT_SET: {
        int et;
        size_t n;
        if ((st = tin_list(t, &et, &n))) return st;
        if ((st = tin_enter(t))) return st;
        for (size_t i = 0; i < n; i++)
            if ((st = skip_elem(t, et))) return st;
        tin_leave(t);
        return LLMD_OK;
    }
    case TT_MAP: {
        if ((st = tin_varint(t, &u))) return st;
        if (u == 0) return LLMD_OK;
        if (t->p >= t->end) return tin_fail(t, "truncated map");
        uint8_t kv = *t->p++;
        if (u > (uint64_t)(t->end - t->p)) return tin_fail(t, "map longer than the bytes left");
        if ((st = tin_enter(t))) return st;
        for (uint64_t i = 0; i < u; i++) {
            if ((st = skip_elem(t, kv >> 4))) return st;
            if ((st = skip_elem(t, kv & 15))) return st;
        }
        tin_leave(t);
        return LLMD_OK;
    }
    case TT_STRUCT: {
        if ((st = tin_enter(t))) return st;
        int last = 0, id, ft;
        for (;;) {
            if ((st = tin_field(t, &last, &id, &ft))) return st;
            if (ft == TT_STOP) break;
            if ((st = tin_skip(t, ft))) return st;
        }
        tin_leave(t);
        return LLMD_OK;
    }
    default:
        return tin_fail(t, "unknown type");
    }
}

/* ---- writer ------------------------------------------------------------------------------- */

static void put_byte(tout *t, uint8_t b) {
    if (!t->st) t->st = llmd_buf_putc(t->b, (char)b);
}

static void put_varint(tout *t, uint64_t v) {
    uint8_t tmp[10];
    int n = 0;
    do {
        uint8_t b = v & 0x7f;
        v >>= 7;
        tmp[n++] = b | (v ? 0x80 : 0);
    } while (v);
    if (!t->st) t->st = llmd_buf_append(t->b, tmp, (size_t)n);
}

static void put_zigzag(tout *t, int64_t v) {
    put_varint(t, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void field_header(tout *t, int id, int type) {
    int delta = id - t->last_id[t->depth];
    if (delta > 0 && delta <= 15) {
        put_byte(t, (uint8_t)(delta << 4 | type));
    } else {
        put_byte(t, (uint8_t)type);
        put_zigzag(t, id);
    }
    t->last_id[t->depth] = id;
}

void tout_begin(tout *t, llmd_buf *b) {
    memset(t, 0, sizeof *t);
    t->b = b;
}

void tout_struct_begin(tout *t, int id) {
    field_header(t, id, TT_STRUCT);
    if (t->depth + 1 >= 32) {
        t->st = LLMD_ERR_INTERNAL;
        return;
    }
    t->last_id[++t->depth] = 0;
}

void tout_list_struct_begin(tout *t) {
    if (t->depth + 1 >= 32) {
        t->st = LLMD_ERR_INTERNAL;
        return;
    }
    t->last_id[++t->depth] = 0;
}

void tout_struct_end(tout *t) {
    put_byte(t, TT_STOP);
    if (t->depth > 0) t->depth--;
}

void tout_end(tout *t) {
    put_byte(t, TT_STOP);
}

void tout_field_i32(tout *t, int id, int32_t v) {
    field_header(t, id, TT_I32);
    put_zigzag(t, v);
}

void tout_field_i64(tout *t, int id, int64_t v) {
    field_header(t, id, TT_I64);
    put_zigzag(t, v);
}

void tout_field_bool(tout *t, int id, int v) {
    field_header(t, id, v ? TT_TRUE : TT_FALSE);
}

void tout_field_binary(tout *t, int id, const void *p, size_t n) {
    field_header(t, id, TT_BINARY);
    tout_binary(t, p, n);
}

void tout_field_list(tout *t, int id, int elem_type, size_t n) {
    field_header(t, id, TT_LIST);
    if (n < 15) {
        put_byte(t, (uint8_t)(n << 4 | (size_t)elem_type));
    } else {
        put_byte(t, (uint8_t)(0xf0 | elem_type));
        put_varint(t, n);
    }
}

void tout_i32(tout *t, int32_t v) {
    put_zigzag(t, v);
}

void tout_binary(tout *t, const void *p, size_t n) {
    put_varint(t, n);
    if (!t->st && n) t->st = llmd_buf_append(t->b, p, n);
}
