/*
 * The online store: materialize (latest row per entity key in a time window) into an immutable
 * snapshot file, memory-mapped for lookups.  Snapshot layout (little-endian, sections 8-aligned):
 *   header (96 bytes): "LLMDFEAT", u32 format 1, u32 n_keys, u32 n_features, u32 0, u64 rows,
 *     u64 slots, i64 start_us, i64 end_us, i64 ttl_us, u64 body bytes, u64 XXH3-64 of the body,
 *     u64 0, u64 XXH3-64 of the 88 header bytes before it
 *   body: schema (per join key: u8 is_string, u8 0, u16 name length, name; per feature: u8 dtype,
 *     u8 0, u16 name length, u32 vector length, name), u64 key offsets[rows+1], key bytes (keys
 *     encoded as in the join: 'i' + i64, or 's' + u32 length + bytes, per join key),
 *     i64 event times[rows], i64 created times[rows], then
 *   format 2 (written since 0.3): u64 record stride, zero padding to a 64-byte file offset, one
 *     record per row (i64 event time; the fixed-width features' values -- zeros when null --,
 *     those of a width multiple of 8 first, then multiples of 4, then the rest, each group in
 *     feature order, so every value is naturally aligned; then validity bits, bit k%8 of byte k/8
 *     for the k-th fixed-width feature; the stride is a power of two up to 64 bytes, so a record
 *     never straddles two cache lines, else a multiple of 8): a lookup reads one line for all of
 *     a row's fixed-width values; then per string/bytes feature: u8
 *     validity[rows], i64 offsets[rows+1] + bytes; last, the hash index: slots of u64 tag + u64
 *     (row + 1, 0 = empty), linear probing.  The tag is the key itself when the view has a single
 *     int64 join key (slot chosen by feat_mix_int: a probe never reads key bytes), else the XXH3
 *     of the key bytes (slot = tag: key bytes are compared only when the tag matches);
 *   format 1 (0.2, still read): per feature u8 validity[rows] and either fixed-width values[rows]
 *     or i64 offsets[rows+1] + bytes; last, the hash index: u64 slots (row + 1, 0 = empty) by XXH3
 *     of the key bytes, linear probing.
 * Published with the atomic-output helper (temp, fsync, rename), so a reader that opened the old
 * file keeps it intact and a new open sees the new one whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feature/feature_internal.h"
#include "feature/result.h"

#define SNAP_MAGIC "LLMDFEAT"
#define SNAP_FORMAT 2          /* written; format 1 is still read */
#define SNAP_HEADER 96

typedef struct snap_feat {
    llmd_feature_dtype dtype;
    uint32_t veclen;
    char *name;
    const uint8_t *valid;    /* row r's validity: valid[r * vstride] (& vmask when vmask != 0) */
    uint8_t vmask;           /* format 2 records: the feature's validity bit */
    const uint8_t *vals;     /* fixed width: row r's value at vals + r * stride */
    size_t vstride, stride;  /* format 1: 1 and the width; format 2: the record stride */
    const int64_t *offs;     /* var */
    const uint8_t *blob;
} snap_feat;

struct llmd_online_snapshot {
    void *map;
    size_t map_len;
    uint32_t n_keys, n_feat;
    uint64_t rows, n_slots;
    int64_t start_us, end_us, ttl_us;
    uint8_t key_is_string[16];
    char *key_names[16];
    snap_feat *feat;
    const uint64_t *key_off;
    const uint8_t *key_bytes;
    const int64_t *ts, *created;
    const uint64_t *slots;   /* format 1: row + 1 per slot; format 2: (tag, row + 1) per slot */
    uint32_t format;
    bool int_key;            /* format 2 with one int64 join key: slot tags are the keys */
    const uint8_t *recs;     /* format 2: the row records */
    uint64_t rec_stride;
    char *view;
};

/* Format 2's record of a row: offsets of each fixed-width feature's value and validity bit
 * (vbit: byte offset * 8 + bit; features of width 0 -- strings, bytes -- get none); returns the
 * stride. */
static uint64_t record_layout(size_t n_feat, const size_t *width, uint64_t *off, uint64_t *vbit) {
    uint64_t at = 8, n_fixed = 0;   /* the event time first */
    static const size_t align[3] = {8, 4, 1};
    for (int a = 0; a < 3; a++)
        for (size_t f = 0; f < n_feat; f++) {
            size_t w = width[f];
            if (w == 0 || (w % 8 == 0 ? 8 : w % 4 == 0 ? 4 : 1) != align[a]) continue;
            off[f] = at;
            at += w;
        }
    for (size_t f = 0; f < n_feat; f++)
        if (width[f]) vbit[f] = at * 8 + n_fixed++;
    uint64_t stride = (at + (n_fixed + 7) / 8 + 7) & ~(uint64_t)7;
    if (stride <= 64) {
        uint64_t p = 8;
        while (p < stride) p <<= 1;
        stride = p;
    }
    return stride;
}

static int64_t row_ts(const llmd_online_snapshot *s, uint64_t row) {
    if (s->recs) {
        int64_t t;
        memcpy(&t, s->recs + row * s->rec_stride, 8);
        return t;
    }
    return s->ts[row];
}

/* ---- writing ------------------------------------------------------------------------------- */
/* An entry of a snapshot being written: a row of the source table, or a row of an old snapshot. */
typedef struct entry {
    const ftable *t;                     /* non-NULL: row of t */
    const llmd_online_snapshot *s;       /* else: row of s */
    uint64_t row;
} entry;

static const char *e_key(const entry *e, size_t *len) {
    if (e->t) {
        *len = e->t->key_off[e->row + 1] - e->t->key_off[e->row];
        return e->t->keys.data + e->t->key_off[e->row];
    }
    *len = e->s->key_off[e->row + 1] - e->s->key_off[e->row];
    return (const char *)e->s->key_bytes + e->s->key_off[e->row];
}
static int64_t e_ts(const entry *e) { return e->t ? e->t->ts[e->row] : e->s->ts[e->row]; }
static int64_t e_created(const entry *e) { return e->t ? e->t->created[e->row] : e->s->created[e->row]; }
static bool snap_valid(const snap_feat *sf, uint64_t row) {
    uint8_t b = sf->valid[row * sf->vstride];
    return sf->vmask ? (b & sf->vmask) != 0 : b != 0;
}
static bool e_valid(const entry *e, size_t f) {
    return e->t ? e->t->cols[f].valid[e->row] : snap_valid(&e->s->feat[f], e->row);
}
static const void *e_value(const entry *e, size_t f, size_t w, size_t *len) {
    if (e->t) {
        const fcol *c = &e->t->cols[f];
        if (w) return (const char *)c->vals + e->row * w;
        *len = (size_t)(c->offs[e->row + 1] - c->offs[e->row]);
        return c->blob.data + c->offs[e->row];
    }
    const snap_feat *c = &e->s->feat[f];
    if (w) return c->vals + e->row * c->stride;
    *len = (size_t)(c->offs[e->row + 1] - c->offs[e->row]);
    return c->blob + c->offs[e->row];
}

typedef struct out_ctx {
    llmd_outfile f;
    llmd_status st;
    uint64_t pos;
} out_ctx;

static void put(out_ctx *o, const void *p, size_t n) {
    if (o->st == LLMD_OK && n) o->st = llmd_outfile_write(&o->f, p, n);
    o->pos += n;
}
static void put_u64(out_ctx *o, uint64_t v) {
    uint8_t b[8];
    llmd_store_le64(b, v);
    put(o, b, 8);
}
static void pad8(out_ctx *o) {
    static const uint8_t z[8];
    if (o->pos % 8) put(o, z, 8 - o->pos % 8);
}
/* Pads to a 64-byte file offset (positions are body-relative; the body starts at SNAP_HEADER). */
static void pad64(out_ctx *o) {
    static const uint8_t z[64];
    uint64_t at = (SNAP_HEADER + o->pos) % 64;
    if (at) put(o, z, 64 - at);
}

/* The records section: one record per entry (format 2, see the top of the file). */
static void put_records(out_ctx *o, const fview *v, const entry *es, size_t n) {
    size_t *w = llmd_calloc(v->n_feat ? v->n_feat : 1, sizeof *w);
    uint64_t *off = llmd_calloc(v->n_feat ? v->n_feat : 1, sizeof *off);
    uint64_t *voff = llmd_calloc(v->n_feat ? v->n_feat : 1, sizeof *voff);
    for (size_t f = 0; w && f < v->n_feat; f++) w[f] = feat_width(v->dtypes[f], v->veclen[f]);
    uint64_t stride = w && off && voff ? record_layout(v->n_feat, w, off, voff) : 0;
    uint8_t *rec = stride ? llmd_malloc(stride) : NULL;
    if (rec == NULL && o->st == LLMD_OK) o->st = llmd_fail_nomem("writing a snapshot");
    put_u64(o, stride);
    pad64(o);
    for (size_t i = 0; i < n && o->st == LLMD_OK; i++) {
        memset(rec, 0, stride);
        llmd_store_le64(rec, (uint64_t)e_ts(&es[i]));
        for (size_t f = 0; f < v->n_feat; f++) {
            if (!w[f] || !e_valid(&es[i], f)) continue;
            size_t l;
            memcpy(rec + off[f], e_value(&es[i], f, w[f], &l), w[f]);
            rec[voff[f] / 8] |= (uint8_t)(1u << (voff[f] % 8));
        }
        put(o, rec, stride);
    }
    llmd_free(rec);
    llmd_free(w);
    llmd_free(off);
    llmd_free(voff);
}

/* The single int64 join key of an encoded key ('i' + LE64). */
static int64_t int_key_of(const char *k) { return (int64_t)llmd_load_le64((const uint8_t *)k + 1); }

static llmd_status write_snapshot(const char *path, const fview *v, const int *key_is_string, const entry *es,
                                  size_t n, int64_t start, int64_t end) {
    out_ctx o = {.st = LLMD_OK};
    llmd_status st = llmd_outfile_open(&o.f, path);
    if (st != LLMD_OK) return st;
    uint64_t n_slots = 16;
    while (n_slots < (uint64_t)n * 2) n_slots <<= 1;
    uint8_t hdr[SNAP_HEADER] = {0};
    put(&o, hdr, sizeof hdr);          /* patched at the end */
    o.pos = 0;                         /* positions below are body-relative (the body starts 8-aligned) */
    /* schema */
    for (size_t k = 0; k < v->n_keys; k++) {
        uint8_t b[4] = {(uint8_t)(key_is_string[k] == 1), 0};
        size_t l = strlen(v->key_names[k]);
        b[2] = (uint8_t)l;
        b[3] = (uint8_t)(l >> 8);
        put(&o, b, 4);
        put(&o, v->key_names[k], l);
    }
    for (size_t f = 0; f < v->n_feat; f++) {
        uint8_t b[8] = {(uint8_t)v->dtypes[f], 0};
        size_t l = strlen(v->feat_names[f]);
        b[2] = (uint8_t)l;
        b[3] = (uint8_t)(l >> 8);
        llmd_store_le32(b + 4, v->veclen[f]);
        put(&o, b, 8);
        put(&o, v->feat_names[f], l);
    }
    pad8(&o);
    /* keys */
    uint64_t off = 0;
    put_u64(&o, 0);
    for (size_t i = 0; i < n; i++) {
        size_t l;
        e_key(&es[i], &l);
        off += l;
        put_u64(&o, off);
    }
    for (size_t i = 0; i < n; i++) {
        size_t l;
        const char *k = e_key(&es[i], &l);
        put(&o, k, l);
    }
    pad8(&o);
    for (size_t i = 0; i < n; i++) put_u64(&o, (uint64_t)e_ts(&es[i]));
    for (size_t i = 0; i < n; i++) put_u64(&o, (uint64_t)e_created(&es[i]));
    /* fixed-width values in records, then the string/bytes features */
    put_records(&o, v, es, n);
    pad8(&o);
    for (size_t f = 0; f < v->n_feat; f++) {
        if (feat_width(v->dtypes[f], v->veclen[f])) continue;
        for (size_t i = 0; i < n; i++) {
            uint8_t b = e_valid(&es[i], f);
            put(&o, &b, 1);
        }
        pad8(&o);
        size_t w = feat_width(v->dtypes[f], v->veclen[f]);
        if (w) {
            static const uint8_t zero[64];
            for (size_t i = 0; i < n; i++) {
                size_t l;
                if (e_valid(&es[i], f)) {
                    put(&o, e_value(&es[i], f, w, &l), w);
                } else {
                    for (size_t left = w; left; left -= left > 64 ? 64 : left) put(&o, zero, left > 64 ? 64 : left);
                }
            }
        } else {
            uint64_t vo = 0;
            put_u64(&o, 0);
            for (size_t i = 0; i < n; i++) {
                size_t l = 0;
                if (e_valid(&es[i], f)) e_value(&es[i], f, 0, &l);
                vo += l;
                put_u64(&o, vo);
            }
            for (size_t i = 0; i < n; i++) {
                size_t l = 0;
                if (!e_valid(&es[i], f)) continue;
                const void *p = e_value(&es[i], f, 0, &l);
                put(&o, p, l);
            }
        }
        pad8(&o);
    }
    /* hash index: (tag, row + 1) slots */
    bool int_key = v->n_keys == 1 && key_is_string[0] != 1;
    uint64_t *slots = llmd_calloc(n_slots, 2 * sizeof *slots);
    if (slots == NULL && o.st == LLMD_OK) o.st = llmd_fail_nomem("a snapshot index");
    /* Slots are random writes: each entry's slot is computed and prefetched 16 entries ahead. */
    enum { AHEAD = 16, RING = 32 };
    uint64_t ring_tag[RING], ring_slot[RING];
    for (size_t i = 0; i < n + AHEAD && o.st == LLMD_OK; i++) {
        if (i < n) {
            size_t l;
            const char *k = e_key(&es[i], &l);
            uint64_t tag = int_key ? (uint64_t)int_key_of(k) : feat_key_hash(k, l);
            ring_tag[i % RING] = tag;
            ring_slot[i % RING] = (int_key ? feat_mix_int((int64_t)tag) : tag) & (n_slots - 1);
            __builtin_prefetch(&slots[2 * ring_slot[i % RING]], 1);
        }
        if (i < AHEAD) continue;
        size_t j = i - AHEAD;
        uint64_t s = ring_slot[j % RING];
        while (slots[2 * s + 1]) s = (s + 1) & (n_slots - 1);
        slots[2 * s] = ring_tag[j % RING];
        slots[2 * s + 1] = j + 1;
    }
    for (uint64_t s = 0; s < 2 * n_slots && o.st == LLMD_OK; s++) put_u64(&o, slots[s]);
    llmd_free(slots);
    uint64_t body = o.pos;
    if (o.st == LLMD_OK) o.st = llmd_outfile_close(&o.f);
    /* The running checksum covered the zeroed header; the body's own checksum is computed by
     * reading it back once (the file is complete and fsynced now). */
    uint64_t body_hash = 0;
    if (o.st == LLMD_OK) {
        int fd = open(o.f.tmp_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            o.st = llmd_fail(LLMD_ERR_IO, "%s: reopen: %s", path, strerror(errno));
        } else {
            void *m = body ? mmap(NULL, SNAP_HEADER + body, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
            if (body && m == MAP_FAILED) o.st = llmd_fail(LLMD_ERR_IO, "%s: mmap: %s", path, strerror(errno));
            else {
                body_hash = llmd_hash64((const char *)m + SNAP_HEADER, body, 0);
                if (body) munmap(m, SNAP_HEADER + body);
            }
            close(fd);
        }
    }
    if (o.st == LLMD_OK) {
        memcpy(hdr, SNAP_MAGIC, 8);
        llmd_store_le32(hdr + 8, SNAP_FORMAT);
        llmd_store_le32(hdr + 12, (uint32_t)v->n_keys);
        llmd_store_le32(hdr + 16, (uint32_t)v->n_feat);
        llmd_store_le64(hdr + 24, n);
        llmd_store_le64(hdr + 32, n_slots);
        llmd_store_le64(hdr + 40, (uint64_t)start);
        llmd_store_le64(hdr + 48, (uint64_t)end);
        llmd_store_le64(hdr + 56, (uint64_t)v->ttl_us);
        llmd_store_le64(hdr + 64, body);
        llmd_store_le64(hdr + 72, body_hash);
        llmd_store_le64(hdr + 88, llmd_hash64(hdr, 88, 0));
        int fd = open(o.f.tmp_path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || pwrite(fd, hdr, sizeof hdr, 0) != (ssize_t)sizeof hdr || fsync(fd) != 0)
            o.st = llmd_fail(LLMD_ERR_IO, "%s: writing the header: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
    }
    if (o.st == LLMD_OK) o.st = llmd_outfile_publish(&o.f, LLMD_PUBLISH_REPLACE);
    llmd_outfile_discard(&o.f);
    return o.st;
}

/* ---- reading ------------------------------------------------------------------------------- */
typedef struct cursor {
    const uint8_t *base;
    uint64_t pos, len;
    const char *path;
} cursor;

static llmd_status take(cursor *c, uint64_t n, const uint8_t **out, const char *what) {
    if (n > c->len - c->pos)
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: truncated or inconsistent snapshot (%s at body byte %llu)", c->path, what,
                         (unsigned long long)c->pos);
    *out = c->base + c->pos;
    c->pos += n;
    return LLMD_OK;
}
static llmd_status align8(cursor *c) {
    const uint8_t *p = NULL;
    return c->pos % 8 ? take(c, 8 - c->pos % 8, &p, "padding") : LLMD_OK;
}
static llmd_status align64(cursor *c) {   /* to a 64-byte file offset */
    const uint8_t *p = NULL;
    uint64_t at = (SNAP_HEADER + c->pos) % 64;
    return at ? take(c, 64 - at, &p, "padding") : LLMD_OK;
}

/* Format 2's records: checks the stored stride against the schema's layout and points the
 * fixed-width features into the records. */
static llmd_status parse_records(llmd_online_snapshot *s, cursor *c) {
    const uint8_t *p = NULL;
    llmd_status st = take(c, 8, &p, "the record stride");
    if (st != LLMD_OK) return st;
    uint64_t stored = llmd_load_le64(p);
    size_t *w = llmd_calloc(s->n_feat ? s->n_feat : 1, sizeof *w);
    uint64_t *off = llmd_calloc(s->n_feat ? s->n_feat : 1, sizeof *off);
    uint64_t *voff = llmd_calloc(s->n_feat ? s->n_feat : 1, sizeof *voff);
    if (w == NULL || off == NULL || voff == NULL) st = llmd_fail_nomem("opening a snapshot");
    uint64_t stride = 0;
    if (st == LLMD_OK) {
        for (uint32_t f = 0; f < s->n_feat; f++) w[f] = feat_width(s->feat[f].dtype, s->feat[f].veclen);
        stride = record_layout(s->n_feat, w, off, voff);
        if (stored != stride)
            st = llmd_fail(LLMD_ERR_CORRUPT, "%s: record stride %llu, the schema's is %llu", c->path,
                           (unsigned long long)stored, (unsigned long long)stride);
    }
    if (st == LLMD_OK && s->rows > c->len / stride)
        st = llmd_fail(LLMD_ERR_CORRUPT, "%s: records cannot fit", c->path);
    if (st == LLMD_OK) st = align64(c);
    if (st == LLMD_OK) st = take(c, s->rows * stride, &s->recs, "records");
    if (st == LLMD_OK) {
        s->rec_stride = stride;
        for (uint32_t f = 0; f < s->n_feat; f++)
            if (w[f]) {
                s->feat[f].valid = s->recs + voff[f] / 8;
                s->feat[f].vmask = (uint8_t)(1u << (voff[f] % 8));
                s->feat[f].vals = s->recs + off[f];
                s->feat[f].vstride = s->feat[f].stride = stride;
            }
    }
    llmd_free(w);
    llmd_free(off);
    llmd_free(voff);
    return st;
}

void llmd_online_snapshot_free(llmd_online_snapshot *s) {
    if (s == NULL) return;
    if (s->map) munmap(s->map, s->map_len);
    for (uint32_t k = 0; k < s->n_keys && k < 16; k++) llmd_free(s->key_names[k]);
    if (s->feat)
        for (uint32_t f = 0; f < s->n_feat; f++) llmd_free(s->feat[f].name);
    llmd_free(s->feat);
    llmd_free(s->view);
    llmd_free(s);
}

static llmd_status read_name(cursor *c, size_t l, char **out) {
    const uint8_t *p = NULL;
    llmd_status st = take(c, l, &p, "a name");
    if (st != LLMD_OK) return st;
    *out = llmd_strndup((const char *)p, l);
    return *out ? LLMD_OK : llmd_fail_nomem("opening a snapshot");
}

static llmd_status parse_body(llmd_online_snapshot *s, cursor *c) {
    const uint8_t *p = NULL;
    llmd_status st;
    for (uint32_t k = 0; k < s->n_keys; k++) {
        if ((st = take(c, 4, &p, "a join key")) != LLMD_OK) return st;
        s->key_is_string[k] = p[0] != 0;
        if ((st = read_name(c, (size_t)p[2] | (size_t)p[3] << 8, &s->key_names[k])) != LLMD_OK) return st;
    }
    s->feat = llmd_calloc(s->n_feat ? s->n_feat : 1, sizeof *s->feat);
    if (s->feat == NULL) return llmd_fail_nomem("opening a snapshot");
    for (uint32_t f = 0; f < s->n_feat; f++) {
        if ((st = take(c, 8, &p, "a feature")) != LLMD_OK) return st;
        s->feat[f].dtype = p[0];
        s->feat[f].veclen = llmd_load_le32(p + 4);
        if (llmd_feature_dtype_name(s->feat[f].dtype) == NULL || s->feat[f].veclen > (1u << 20) ||
            (s->feat[f].dtype == LLMD_FEATURE_FLOAT32_VECTOR) != (s->feat[f].veclen > 0))
            return llmd_fail(LLMD_ERR_CORRUPT, "%s: feature %u has an invalid type", c->path, f);
        if ((st = read_name(c, (size_t)p[2] | (size_t)p[3] << 8, &s->feat[f].name)) != LLMD_OK) return st;
    }
    uint64_t rows = s->rows;
    if (rows > c->len / 8) return llmd_fail(LLMD_ERR_CORRUPT, "%s: %llu rows cannot fit", c->path, (unsigned long long)rows);
    if ((st = align8(c)) != LLMD_OK || (st = take(c, (rows + 1) * 8, &p, "key offsets")) != LLMD_OK) return st;
    s->key_off = (const uint64_t *)p;
    for (uint64_t i = 0; i < rows; i++)
        if (s->key_off[i + 1] < s->key_off[i]) return llmd_fail(LLMD_ERR_CORRUPT, "%s: key offsets decrease", c->path);
    if (s->key_off[0] != 0 || (st = take(c, s->key_off[rows], &s->key_bytes, "key bytes")) != LLMD_OK)
        return s->key_off[0] != 0 ? llmd_fail(LLMD_ERR_CORRUPT, "%s: bad first key offset", c->path) : st;
    if ((st = align8(c)) != LLMD_OK || (st = take(c, rows * 8, &p, "event times")) != LLMD_OK) return st;
    s->ts = (const int64_t *)p;
    if ((st = take(c, rows * 8, &p, "created times")) != LLMD_OK) return st;
    s->created = (const int64_t *)p;
    if (s->format >= 2 && ((st = parse_records(s, c)) != LLMD_OK || (st = align8(c)) != LLMD_OK)) return st;
    for (uint32_t f = 0; f < s->n_feat; f++) {
        snap_feat *sf = &s->feat[f];
        size_t w = feat_width(sf->dtype, sf->veclen);
        if (w && s->format >= 2) continue;   /* in the records */
        sf->vstride = 1;
        sf->stride = w;
        if ((st = take(c, rows, &sf->valid, "validity")) != LLMD_OK || (st = align8(c)) != LLMD_OK) return st;
        if (w) {
            if (rows > c->len / w) return llmd_fail(LLMD_ERR_CORRUPT, "%s: values cannot fit", c->path);
            if ((st = take(c, rows * w, &sf->vals, "values")) != LLMD_OK) return st;
        } else {
            if ((st = take(c, (rows + 1) * 8, &p, "value offsets")) != LLMD_OK) return st;
            sf->offs = (const int64_t *)p;
            for (uint64_t i = 0; i < rows; i++)
                if (sf->offs[i + 1] < sf->offs[i]) return llmd_fail(LLMD_ERR_CORRUPT, "%s: value offsets decrease", c->path);
            if (sf->offs[0] != 0 || (st = take(c, (uint64_t)sf->offs[rows], &sf->blob, "value bytes")) != LLMD_OK)
                return sf->offs[0] != 0 ? llmd_fail(LLMD_ERR_CORRUPT, "%s: bad first value offset", c->path) : st;
        }
        if ((st = align8(c)) != LLMD_OK) return st;
    }
    if (s->n_slots < rows || (s->n_slots & (s->n_slots - 1)) != 0)
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: bad index size", c->path);
    uint64_t per_slot = s->format >= 2 ? 2 : 1;   /* format 2: (tag, row + 1) */
    if (s->n_slots > c->len / (8 * per_slot)) return llmd_fail(LLMD_ERR_CORRUPT, "%s: the index cannot fit", c->path);
    if ((st = take(c, s->n_slots * 8 * per_slot, &p, "the index")) != LLMD_OK) return st;
    s->slots = (const uint64_t *)p;
    for (uint64_t i = 0; i < s->n_slots; i++)
        if (s->slots[i * per_slot + per_slot - 1] > rows)
            return llmd_fail(LLMD_ERR_CORRUPT, "%s: index entry out of range", c->path);
    s->int_key = s->format >= 2 && s->n_keys == 1 && !s->key_is_string[0];
    if (c->pos != c->len) return llmd_fail(LLMD_ERR_CORRUPT, "%s: %llu trailing bytes", c->path, (unsigned long long)(c->len - c->pos));
    return LLMD_OK;
}

llmd_status llmd_online_snapshot_open_file(llmd_online_snapshot **out, const char *path) {
    if (out == NULL || path == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_online_snapshot_open_file: NULL argument");
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return llmd_fail(LLMD_ERR_IO, "%s: not a regular file", path);
    }
    size_t len = (size_t)sb.st_size;
    if (len < SNAP_HEADER) {
        close(fd);
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: truncated snapshot (%zu bytes, header is %d)", path, len, SNAP_HEADER);
    }
    void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED) return llmd_fail(LLMD_ERR_IO, "%s: mmap: %s", path, strerror(errno));
    llmd_online_snapshot *s = llmd_calloc(1, sizeof *s);
    if (s == NULL) {
        munmap(m, len);
        return llmd_fail_nomem("opening a snapshot");
    }
    s->map = m;
    s->map_len = len;
    const uint8_t *h = m;
    llmd_status st = LLMD_OK;
    if (memcmp(h, SNAP_MAGIC, 8) != 0) st = llmd_fail(LLMD_ERR_CORRUPT, "%s: not an llmdata online snapshot (bad magic)", path);
    else if (llmd_load_le64(h + 88) != llmd_hash64(h, 88, 0)) st = llmd_fail(LLMD_ERR_CORRUPT, "%s: header checksum mismatch", path);
    else if (llmd_load_le32(h + 8) != 1 && llmd_load_le32(h + 8) != SNAP_FORMAT)
        st = llmd_fail(LLMD_ERR_VERSION, "%s: snapshot format %u (this library reads 1 and %d)", path,
                       llmd_load_le32(h + 8), SNAP_FORMAT);
    if (st == LLMD_OK) {
        s->format = llmd_load_le32(h + 8);
        s->n_keys = llmd_load_le32(h + 12);
        s->n_feat = llmd_load_le32(h + 16);
        s->rows = llmd_load_le64(h + 24);
        s->n_slots = llmd_load_le64(h + 32);
        s->start_us = (int64_t)llmd_load_le64(h + 40);
        s->end_us = (int64_t)llmd_load_le64(h + 48);
        s->ttl_us = (int64_t)llmd_load_le64(h + 56);
        uint64_t body = llmd_load_le64(h + 64);
        if (s->n_keys == 0 || s->n_keys > 16 || s->n_feat > (1u << 16))
            st = llmd_fail(LLMD_ERR_CORRUPT, "%s: %u join keys, %u features", path, s->n_keys, s->n_feat);
        else if (body != len - SNAP_HEADER)
            st = llmd_fail(LLMD_ERR_CORRUPT, "%s: truncated snapshot (body %llu bytes, file holds %zu)", path,
                           (unsigned long long)body, len - SNAP_HEADER);
        else if (llmd_hash64(h + SNAP_HEADER, body, 0) != llmd_load_le64(h + 72))
            st = llmd_fail(LLMD_ERR_CORRUPT, "%s: data checksum mismatch", path);
    }
    if (st == LLMD_OK) {
        cursor c = {h + SNAP_HEADER, 0, len - SNAP_HEADER, path};
        st = parse_body(s, &c);
    }
    if (st != LLMD_OK) {
        llmd_online_snapshot_free(s);
        return st;
    }
    *out = s;
    return LLMD_OK;
}

static llmd_status snapshot_path(const llmd_feature_repo *repo, const char *view, llmd_buf *b) {
    return llmd_buf_printf(b, "%s/online/%s.snapshot", repo->dir, view);
}

llmd_status llmd_online_snapshot_open(llmd_online_snapshot **out, const llmd_feature_repo *repo, const char *view) {
    if (out == NULL || repo == NULL || view == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_online_snapshot_open: NULL argument");
    *out = NULL;
    if (feat_find_view(repo, view, strlen(view)) == NULL)
        return llmd_fail(LLMD_ERR_NOT_FOUND, "feature repo %s: no view \"%s\"", repo->dir, view);
    llmd_buf p = LLMD_BUF_INIT;
    llmd_status st = snapshot_path(repo, view, &p);
    if (st == LLMD_OK) st = llmd_online_snapshot_open_file(out, p.data);
    if (st == LLMD_ERR_NOT_FOUND) llmd_fail(st, "view %s has not been materialized (%s)", view, p.data);
    llmd_buf_free(&p);
    return st;
}

uint64_t llmd_online_snapshot_keys(const llmd_online_snapshot *s) { return s ? s->rows : 0; }
int64_t llmd_online_snapshot_end(const llmd_online_snapshot *s) { return s ? s->end_us : 0; }
size_t llmd_online_feature_count(const llmd_online_snapshot *s) { return s ? s->n_feat : 0; }
const char *llmd_online_feature_name(const llmd_online_snapshot *s, size_t i) {
    return s && i < s->n_feat ? s->feat[i].name : NULL;
}
llmd_feature_dtype llmd_online_feature_dtype(const llmd_online_snapshot *s, size_t i, uint32_t *vector_length) {
    if (s == NULL || i >= s->n_feat) return 0;
    if (vector_length) *vector_length = s->feat[i].veclen;
    return s->feat[i].dtype;
}

/* ---- lookups ------------------------------------------------------------------------------- */
static bool key_is(const llmd_online_snapshot *s, uint64_t r, const char *key, size_t len) {
    return s->key_off[r + 1] - s->key_off[r] == len && memcmp(s->key_bytes + s->key_off[r], key, len) == 0;
}

/* Row of an encoded key of hash h (feat_key_hash), or -1.  Every probe loop is bounded by the
 * slot count (a damaged index cannot loop forever). */
static int64_t find_hashed(const llmd_online_snapshot *s, const char *key, size_t len, uint64_t h) {
    if (s->rows == 0) return -1;
    uint64_t mask = s->n_slots - 1;
    if (s->format == 1) {
        for (uint64_t i = h & mask, probes = 0; probes < s->n_slots; i = (i + 1) & mask, probes++) {
            uint64_t r1 = s->slots[i];
            if (r1 == 0) return -1;
            if (key_is(s, r1 - 1, key, len)) return (int64_t)r1 - 1;
        }
        return -1;
    }
    if (s->int_key) {
        if (len != 9 || key[0] != 'i') return -1;
        uint64_t k = llmd_load_le64((const uint8_t *)key + 1);
        for (uint64_t i = feat_mix_int((int64_t)k) & mask, probes = 0; probes < s->n_slots; i = (i + 1) & mask, probes++) {
            const uint64_t *sl = &s->slots[2 * i];
            if (sl[1] == 0) return -1;
            if (sl[0] == k) return (int64_t)sl[1] - 1;
        }
        return -1;
    }
    for (uint64_t i = h & mask, probes = 0; probes < s->n_slots; i = (i + 1) & mask, probes++) {
        const uint64_t *sl = &s->slots[2 * i];
        if (sl[1] == 0) return -1;
        if (sl[0] == h && key_is(s, sl[1] - 1, key, len)) return (int64_t)sl[1] - 1;
    }
    return -1;
}

static int64_t find_encoded(const llmd_online_snapshot *s, const char *key, size_t len) {
    return s->int_key ? find_hashed(s, key, len, 0) : find_hashed(s, key, len, feat_key_hash(key, len));
}

int64_t llmd_online_find(const llmd_online_snapshot *s, const int64_t *ints, const char *const *strings,
                         const size_t *string_lens) {
    if (s == NULL) return -1;
    /* Encode on the stack: at most 16 parts; long strings fall back to the heap. */
    char stack[512] = {0};
    size_t need = 0;
    for (uint32_t k = 0; k < s->n_keys; k++) {
        if (s->key_is_string[k] ? (strings == NULL || string_lens == NULL || strings[k] == NULL) : ints == NULL) return -1;
        need += s->key_is_string[k] ? 5 + string_lens[k] : 9;
    }
    char *buf = need <= sizeof stack ? stack : llmd_malloc(need);
    if (buf == NULL) return -1;
    size_t at = 0;
    for (uint32_t k = 0; k < s->n_keys; k++) {
        if (s->key_is_string[k]) {
            buf[at] = 's';
            llmd_store_le32((uint8_t *)buf + at + 1, (uint32_t)string_lens[k]);
            memcpy(buf + at + 5, strings[k], string_lens[k]);
            at += 5 + string_lens[k];
        } else {
            buf[at] = 'i';
            llmd_store_le64((uint8_t *)buf + at + 1, (uint64_t)ints[k]);
            at += 9;
        }
    }
    int64_t r = find_encoded(s, buf, at);
    if (buf != stack) llmd_free(buf);
    return r;
}

static int value_status(const llmd_online_snapshot *s, uint64_t row, size_t f, int64_t now_us) {
    if (now_us != 0 && s->ttl_us > 0 && now_us - row_ts(s, row) > s->ttl_us) return LLMD_FEATURE_OUTSIDE_TTL;
    return snap_valid(&s->feat[f], row) ? LLMD_FEATURE_PRESENT : LLMD_FEATURE_NULL;
}

llmd_status llmd_online_value(const llmd_online_snapshot *s, int64_t row, size_t feature, int64_t now_us,
                              const void **out, size_t *len, int *status) {
    if (s == NULL || out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_online_value: NULL argument");
    if (row < 0 || (uint64_t)row >= s->rows || feature >= s->n_feat)
        return llmd_fail(LLMD_ERR_RANGE, "llmd_online_value: row %lld / feature %zu out of range", (long long)row, feature);
    const snap_feat *f = &s->feat[feature];
    size_t w = feat_width(f->dtype, f->veclen);
    if (w) {
        *out = f->vals + (size_t)row * f->stride;
        if (len) *len = w;
    } else {
        *out = f->blob + f->offs[row];
        if (len) *len = (size_t)(f->offs[row + 1] - f->offs[row]);
    }
    if (status) *status = value_status(s, (uint64_t)row, feature, now_us);
    return LLMD_OK;
}

/* ---- batch lookups -------------------------------------------------------------------------- */
/* Random keys in a large snapshot are cache misses at each step (slot, key offsets, key bytes,
 * values).  Keys go in blocks: every step is prefetched for the whole block before any is used,
 * so the misses of a block overlap instead of following one another. */
#define LOOKUP_BLOCK 32

static llmd_status encode_append(llmd_buf *b, uint32_t n_keys, const size_t *map, const llmd_key_column *keys,
                                 size_t row) {
    llmd_status st = LLMD_OK;
    for (uint32_t k = 0; k < n_keys && st == LLMD_OK; k++) {
        const llmd_key_column *c = &keys[map[k]];
        st = c->is_string ? feat_key_put_str(b, c->bytes + c->offsets[row], (size_t)(c->offsets[row + 1] - c->offsets[row]))
                          : feat_key_put_int(b, c->ints[row]);
    }
    return st;
}

/* Rows of a block of single int64 keys (format 2): the slot holds the key, one line answers. */
static void find_block_int(const llmd_online_snapshot *s, const int64_t *ints, size_t m, int64_t *rows) {
    uint64_t mask = s->n_slots - 1, at[LOOKUP_BLOCK];
    for (size_t i = 0; i < m; i++) {
        at[i] = feat_mix_int(ints[i]) & mask;
        __builtin_prefetch(&s->slots[2 * at[i]]);
    }
    for (size_t i = 0; i < m; i++) {
        rows[i] = -1;
        for (uint64_t j = at[i], probes = 0; probes < s->n_slots; j = (j + 1) & mask, probes++) {
            const uint64_t *sl = &s->slots[2 * j];
            if (sl[1] == 0) break;
            if (sl[0] == (uint64_t)ints[i]) {
                rows[i] = (int64_t)sl[1] - 1;
                break;
            }
        }
    }
}

/* Rows of a block of encoded keys: slots, then the candidate rows' key offsets, then their key
 * bytes are prefetched for the whole block before the probes compare them. */
static void find_block_encoded(const llmd_online_snapshot *s, const char *kb, const size_t *koff, size_t m,
                               int64_t *rows) {
    uint64_t h[LOOKUP_BLOCK], cand[LOOKUP_BLOCK];
    uint64_t mask = s->n_slots - 1, per_slot = s->format >= 2 ? 2 : 1;
    for (size_t i = 0; i < m; i++) {
        h[i] = feat_key_hash(kb + koff[i], koff[i + 1] - koff[i]);
        __builtin_prefetch(&s->slots[per_slot * (h[i] & mask)]);
    }
    for (size_t i = 0; i < m; i++) {   /* the first slot's row: the answer unless it collides */
        const uint64_t *sl = &s->slots[per_slot * (h[i] & mask)];
        cand[i] = per_slot == 2 && sl[0] != h[i] ? 0 : sl[per_slot - 1];
        if (cand[i]) __builtin_prefetch(&s->key_off[cand[i] - 1]);
    }
    for (size_t i = 0; i < m; i++)
        if (cand[i]) __builtin_prefetch(s->key_bytes + s->key_off[cand[i] - 1]);
    for (size_t i = 0; i < m; i++) rows[i] = find_hashed(s, kb + koff[i], koff[i + 1] - koff[i], h[i]);
}

static llmd_status find_rows(const llmd_online_snapshot *s, const llmd_key_column *keys, const size_t *map, size_t n,
                             int64_t *rows) {
    if (s->rows == 0) {
        for (size_t r = 0; r < n; r++) rows[r] = -1;
        return LLMD_OK;
    }
    if (s->int_key) {
        for (size_t b = 0; b < n; b += LOOKUP_BLOCK)
            find_block_int(s, keys[map[0]].ints + b, n - b < LOOKUP_BLOCK ? n - b : LOOKUP_BLOCK, rows + b);
        return LLMD_OK;
    }
    llmd_buf kb = LLMD_BUF_INIT;
    size_t koff[LOOKUP_BLOCK + 1];
    llmd_status st = LLMD_OK;
    for (size_t b = 0; b < n && st == LLMD_OK; b += LOOKUP_BLOCK) {
        size_t m = n - b < LOOKUP_BLOCK ? n - b : LOOKUP_BLOCK;
        llmd_buf_reset(&kb);
        koff[0] = 0;
        for (size_t i = 0; i < m && st == LLMD_OK; i++) {
            st = encode_append(&kb, s->n_keys, map, keys, b + i);
            koff[i + 1] = kb.len;
        }
        if (st == LLMD_OK) find_block_encoded(s, kb.data, koff, m, rows + b);
    }
    llmd_buf_free(&kb);
    return st;
}

/* Fixed-width result columns for every looked-up row, row by row: in format 2 a row's values
 * share one record (one cache line), prefetched 16 rows ahead. */
static void gather_fixed(const llmd_online_snapshot *s, const size_t *fidx, size_t nf, const int64_t *rows, size_t n,
                         int64_t now_us, llmd_feature_result *res) {
    bool check_ttl = now_us != 0 && s->ttl_us > 0;
    for (size_t r = 0; r < n; r++) {
        if (r + 16 < n && rows[r + 16] >= 0) {
            uint64_t ahead = (uint64_t)rows[r + 16];
            if (s->recs) __builtin_prefetch(s->recs + ahead * s->rec_stride);
            else
                for (size_t i = 0; i < nf; i++) {
                    const snap_feat *sf = &s->feat[fidx[i]];
                    if (!sf->stride) continue;
                    __builtin_prefetch(sf->valid + ahead);
                    __builtin_prefetch(sf->vals + ahead * sf->stride);
                }
        }
        int64_t row = rows[r];
        bool late = row >= 0 && check_ttl && now_us - row_ts(s, (uint64_t)row) > s->ttl_us;
        for (size_t i = 0; i < nf; i++) {
            const snap_feat *sf = &s->feat[fidx[i]];
            size_t w = feat_width(sf->dtype, sf->veclen);
            if (!w) continue;
            int status = row < 0 ? LLMD_FEATURE_MISSING : late ? LLMD_FEATURE_OUTSIDE_TTL
                         : snap_valid(sf, (uint64_t)row) ? LLMD_FEATURE_PRESENT : LLMD_FEATURE_NULL;
            res->status[r * nf + i] = (uint8_t)status;
            rcol *c = &res->cols[i];
            c->valid[r] = status == LLMD_FEATURE_PRESENT;
            if (status != LLMD_FEATURE_PRESENT) continue;
            const uint8_t *src = sf->vals + (size_t)row * sf->stride;
            char *dst = (char *)c->vals + r * w;
            switch (w) {   /* the common sizes become single moves */
            case 1: memcpy(dst, src, 1); break;
            case 4: memcpy(dst, src, 4); break;
            case 8: memcpy(dst, src, 8); break;
            default: memcpy(dst, src, w); break;
            }
        }
    }
}

/* String/bytes result column i (the snapshot's feature f) for every looked-up row, with statuses. */
static llmd_status gather_column(const llmd_online_snapshot *s, size_t f, size_t i, size_t nf, const int64_t *rows,
                                 size_t n, int64_t now_us, llmd_feature_result *res) {
    const snap_feat *sf = &s->feat[f];
    rcol *c = &res->cols[i];
    llmd_status st = LLMD_OK;
    for (size_t r = 0; r < n && st == LLMD_OK; r++) {
        if (r + 16 < n && rows[r + 16] >= 0) {
            __builtin_prefetch(sf->valid + rows[r + 16]);
            __builtin_prefetch(sf->offs + rows[r + 16]);
        }
        int64_t row = rows[r];
        int status = row < 0 ? LLMD_FEATURE_MISSING : value_status(s, (uint64_t)row, f, now_us);
        res->status[r * nf + i] = (uint8_t)status;
        bool has = status == LLMD_FEATURE_PRESENT;
        c->valid[r] = has;
        if (has) st = llmd_buf_append(&c->blob, sf->blob + sf->offs[row], (size_t)(sf->offs[row + 1] - sf->offs[row]));
        c->offs[r + 1] = (int64_t)c->blob.len;
    }
    return st;
}

llmd_status llmd_online_lookup(const llmd_online_snapshot *s, const llmd_key_column *keys, size_t n_keys, size_t n,
                               const char *const *features, size_t n_features, int64_t now_us,
                               llmd_feature_result **out) {
    if (out) *out = NULL;
    if (s == NULL || out == NULL || (n_keys && keys == NULL) || (n_features && features == NULL))
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_online_lookup: NULL argument");
    size_t map[16];
    for (uint32_t k = 0; k < s->n_keys; k++) {
        size_t j = 0;
        while (j < n_keys && (keys[j].name == NULL || strcmp(keys[j].name, s->key_names[k]) != 0)) j++;
        if (j == n_keys)
            return llmd_fail(LLMD_ERR_NOT_FOUND, "online lookup: join key \"%s\" is not among the key columns", s->key_names[k]);
        if ((keys[j].is_string != 0) != s->key_is_string[k])
            return llmd_fail(LLMD_ERR_SCHEMA, "online lookup: join key \"%s\" must be %s", s->key_names[k],
                             s->key_is_string[k] ? "a string" : "an integer");
        map[k] = j;
    }
    size_t nf = n_features ? n_features : s->n_feat;
    size_t *fidx = llmd_malloc((nf ? nf : 1) * sizeof *fidx);
    if (fidx == NULL) return llmd_fail_nomem("an online lookup");
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < nf && st == LLMD_OK; i++) {
        if (!n_features) { fidx[i] = i; continue; }
        const char *name = features[i];
        const char *colon = name ? strchr(name, ':') : NULL;
        if (colon) name = colon + 1;
        size_t f = 0;
        while (f < s->n_feat && (name == NULL || strcmp(s->feat[f].name, name) != 0)) f++;
        if (f == s->n_feat) st = llmd_fail(LLMD_ERR_NOT_FOUND, "online lookup: no feature \"%s\"", features[i] ? features[i] : "(null)");
        fidx[i] = f;
    }
    llmd_feature_result *res = NULL;
    if (st == LLMD_OK) st = result_new(&res, n, nf);
    if (st == LLMD_OK && (res->status = llmd_malloc(n * nf + 1)) == NULL) st = llmd_fail_nomem("an online lookup");
    for (size_t i = 0; i < nf && st == LLMD_OK; i++)
        st = result_col_init(&res->cols[i], s->feat[fidx[i]].name, s->feat[fidx[i]].dtype, s->feat[fidx[i]].veclen, n);
    int64_t *rows = st == LLMD_OK ? llmd_malloc((n ? n : 1) * sizeof *rows) : NULL;
    if (st == LLMD_OK && rows == NULL) st = llmd_fail_nomem("an online lookup");
    if (st == LLMD_OK) st = find_rows(s, keys, map, n, rows);
    if (st == LLMD_OK) gather_fixed(s, fidx, nf, rows, n, now_us, res);
    for (size_t i = 0; i < nf && st == LLMD_OK; i++)
        if (!feat_width(s->feat[fidx[i]].dtype, s->feat[fidx[i]].veclen))
            st = gather_column(s, fidx[i], i, nf, rows, n, now_us, res);
    llmd_free(rows);
    llmd_free(fidx);
    if (st != LLMD_OK) {
        llmd_feature_result_free(res);
        return st;
    }
    *out = res;
    return LLMD_OK;
}

/* ---- materialize --------------------------------------------------------------------------- */
static llmd_status ensure_online_dir(const llmd_feature_repo *repo) {
    llmd_buf d = LLMD_BUF_INIT;
    llmd_status st = llmd_buf_printf(&d, "%s/online", repo->dir);
    if (st == LLMD_OK && mkdir(d.data, 0755) != 0 && errno != EEXIST)
        st = llmd_fail(LLMD_ERR_IO, "%s: cannot create: %s", d.data, strerror(errno));
    llmd_buf_free(&d);
    return st;
}

static llmd_status materialize(const llmd_feature_repo *repo, const char *view, int64_t start, int64_t end,
                               bool incremental, llmd_materialize_stats *stats) {
    if (repo == NULL || view == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "materialize: NULL argument");
    const fview *v = feat_find_view(repo, view, strlen(view));
    if (v == NULL) return llmd_fail(LLMD_ERR_NOT_FOUND, "feature repo %s: no view \"%s\"", repo->dir, view);
    llmd_online_snapshot *old = NULL;
    llmd_status st = LLMD_OK;
    int64_t window_start = start;
    if (incremental) {
        st = llmd_online_snapshot_open(&old, repo, view);
        if (st == LLMD_ERR_NOT_FOUND) {
            st = LLMD_OK;
            start = INT64_MIN;
            window_start = INT64_MIN;
        } else if (st == LLMD_OK) {
            if (old->n_keys != v->n_keys || old->n_feat != v->n_feat)
                st = llmd_fail(LLMD_ERR_SCHEMA, "view %s: its definition changed since the last materialize; run a full "
                               "materialize", view);
            for (uint32_t f = 0; f < old->n_feat && st == LLMD_OK; f++)
                if (strcmp(old->feat[f].name, v->feat_names[f]) != 0 || old->feat[f].dtype != v->dtypes[f] ||
                    old->feat[f].veclen != v->veclen[f])
                    st = llmd_fail(LLMD_ERR_SCHEMA, "view %s: feature \"%s\" changed since the last materialize; run a "
                                   "full materialize", view, v->feat_names[f]);
            window_start = old->start_us;
            start = old->end_us == INT64_MAX ? INT64_MAX : old->end_us + 1;   /* rows newer than the last end */
        }
    }
    if (st == LLMD_OK && start > end && !(incremental && old))
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "materialize %s: start is after end", view);
    if (st == LLMD_OK && incremental && old && end < old->end_us)
        st = llmd_fail(LLMD_ERR_INVALID_ARG, "materialize-incremental %s: end is before the last materialized end", view);
    ftable t;
    bool have_t = false;
    if (st == LLMD_OK) {
        st = feat_load_source(v, &t, NULL);
        have_t = st == LLMD_OK;
    }
    if (st == LLMD_OK) st = ftable_index(&t);
    entry *es = NULL;
    size_t n = 0, in_window = 0;
    if (st == LLMD_OK) {
        size_t cap = t.n_groups + (old ? old->rows : 0);
        es = llmd_malloc((cap ? cap : 1) * sizeof *es);
        if (es == NULL) st = llmd_fail_nomem("materializing");
    }
    int key_is_string[16];
    for (size_t k = 0; k < v->n_keys && st == LLMD_OK; k++) {
        key_is_string[k] = t.key_is_string[k];
        if (old) {
            if (key_is_string[k] >= 0 && key_is_string[k] != old->key_is_string[k])
                st = llmd_fail(LLMD_ERR_SCHEMA, "view %s: join key \"%s\" changed type", view, v->key_names[k]);
            key_is_string[k] = old->key_is_string[k];
        }
    }
    if (st == LLMD_OK) {
        for (size_t r = 0; r < t.n; r++) in_window += t.ts[r] >= start && t.ts[r] <= end;
        /* New rows: the latest per key in the window, taken in source-row order so that writing
         * the snapshot reads the source's columns front to back (in key order every read was a
         * cache miss); the rows of a snapshot may come in any order. */
        uint8_t *pick = llmd_calloc(t.n ? t.n : 1, 1);
        if (pick == NULL) st = llmd_fail_nomem("materializing");
        for (size_t g = 0; pick && g < t.n_groups; g++) {
            int64_t row = ftable_latest(&t, g, start, end);
            if (row >= 0) pick[row] = 1;
        }
        for (size_t r = 0; pick && r < t.n; r++)
            if (pick[r]) es[n++] = (entry){.t = &t, .row = r};
        llmd_free(pick);
    }
    if (st == LLMD_OK) {
        /* Incremental: keys of the old snapshot without a newer row keep their old row. */
        if (old)
            for (uint64_t r = 0; r < old->rows; r++) {
                size_t l = old->key_off[r + 1] - old->key_off[r];
                const char *k = (const char *)old->key_bytes + old->key_off[r];
                int64_t g = ftable_find_group(&t, k, l, feat_key_hash(k, l));
                if (g >= 0 && ftable_latest(&t, (size_t)g, start, end) >= 0) continue;
                es[n++] = (entry){.s = old, .row = r};
            }
    }
    llmd_buf path = LLMD_BUF_INIT;
    if (st == LLMD_OK) st = ensure_online_dir(repo);
    if (st == LLMD_OK) st = snapshot_path(repo, view, &path);
    if (st == LLMD_OK) st = write_snapshot(path.data, v, key_is_string, es, n, window_start, end);
    if (st == LLMD_OK && stats)
        *stats = (llmd_materialize_stats){.rows_read = t.n, .rows_in_window = in_window, .keys = n,
                                          .start_us = window_start, .end_us = end};
    llmd_buf_free(&path);
    llmd_free(es);
    if (have_t) ftable_free(&t);
    llmd_online_snapshot_free(old);
    return st;
}

llmd_status llmd_feature_materialize(const llmd_feature_repo *repo, const char *view, int64_t start_us, int64_t end_us,
                                     llmd_materialize_stats *stats) {
    return materialize(repo, view, start_us, end_us, false, stats);
}

llmd_status llmd_feature_materialize_incremental(const llmd_feature_repo *repo, const char *view, int64_t end_us,
                                                 llmd_materialize_stats *stats) {
    return materialize(repo, view, INT64_MIN, end_us, true, stats);
}
