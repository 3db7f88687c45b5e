/* Streaming line reader over plain, zstd- or gzip-compressed files (format told by magic bytes). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "common/internal.h"
#include "llmdata/io.h"

#define IN_CHUNK (1u << 17)

struct llmd_reader {
    int fd;
    bool owns_fd;
    bool eof_in;      /* no more bytes from fd */
    bool zstd, gzip;
    char *name;
    size_t max_line;
    uint64_t line_no, bytes_in, bytes_out, file_size;
    ZSTD_DCtx *dctx;
    bool frame_open;  /* inside a zstd frame or gzip member not yet finished */
    z_stream *zs;     /* gzip decoder (members concatenated as `cat a.gz b.gz` makes them) */
    /* raw input bytes (compressed or not) */
    unsigned char *in;
    size_t in_pos, in_len;
    /* decoded text window: [start, len) holds bytes not yet returned */
    llmd_buf text;
    size_t start;
};

static const size_t reader_opt_sizes[] = {sizeof(llmd_reader_options)};

static llmd_status fill_input(llmd_reader *r) {
    if (r->in_pos < r->in_len) return LLMD_OK;
    r->in_pos = r->in_len = 0;
    for (;;) {
        ssize_t n = read(r->fd, r->in, IN_CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return llmd_fail(LLMD_ERR_IO, "%s: read failed: %s", r->name, strerror(errno));
        if (n == 0) r->eof_in = true;
        r->in_len = (size_t)n;
        r->bytes_in += (uint64_t)n;
        return LLMD_OK;
    }
}

/* Moves unread text to the front so the window can grow without unbounded memory. */
static void compact_text(llmd_reader *r) {
    if (r->start == 0) return;
    size_t keep = r->text.len - r->start;
    memmove(r->text.data, r->text.data + r->start, keep);
    r->text.len = keep;
    r->start = 0;
}

/* Appends more decoded text to r->text; sets *eof when nothing more will come. */
/* Decodes the next piece of gzip input into r->text (at most one output chunk: memory stays bounded
 * however well the data compresses). */
static llmd_status inflate_some(llmd_reader *r) {
    size_t out_room = IN_CHUNK * 2;
    llmd_status st = llmd_buf_reserve(&r->text, out_room);
    if (st != LLMD_OK) return st;
    z_stream *z = r->zs;
    if (!r->frame_open) {
        /* A new member starts here (the first, or one concatenated after a finished member). */
        if (inflateReset(z) != Z_OK) return llmd_fail(LLMD_ERR_INTERNAL, "%s: gzip decoder reset failed", r->name);
        r->frame_open = true;
    }
    z->next_in = r->in + r->in_pos;
    z->avail_in = (uInt)(r->in_len - r->in_pos);
    z->next_out = (Bytef *)r->text.data + r->text.len;
    z->avail_out = (uInt)out_room;
    int rc = inflate(z, Z_NO_FLUSH);
    size_t used = (r->in_len - r->in_pos) - z->avail_in;
    size_t made = out_room - z->avail_out;
    if (rc == Z_MEM_ERROR) return llmd_fail_nomem("decompressing gzip input");
    if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && used == 0 && made == 0))
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: gzip data is corrupt near compressed byte %llu: %s", r->name,
                         (unsigned long long)(r->bytes_in - (r->in_len - r->in_pos) + used),
                         z->msg ? z->msg : "invalid data");
    if (rc == Z_STREAM_END) r->frame_open = false;
    r->in_pos += used;
    r->text.len += made;
    r->text.data[r->text.len] = '\0';
    return LLMD_OK;
}

/* Plain input: read straight into the text window (no staging copy through r->in). */
static llmd_status read_plain(llmd_reader *r, bool *eof) {
    llmd_status st = llmd_buf_reserve(&r->text, IN_CHUNK);
    if (st != LLMD_OK) return st;
    for (;;) {
        ssize_t n = read(r->fd, r->text.data + r->text.len, IN_CHUNK);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return llmd_fail(LLMD_ERR_IO, "%s: read failed: %s", r->name, strerror(errno));
        if (n == 0) {
            r->eof_in = true;
            *eof = true;
        }
        r->text.len += (size_t)n;
        r->text.data[r->text.len] = '\0';
        r->bytes_in += (uint64_t)n;
        return LLMD_OK;
    }
}

static llmd_status produce_text(llmd_reader *r, bool *eof) {
    *eof = false;
    /* The first chunk (read to tell the format) is taken from r->in below; the rest directly. */
    if (!r->zstd && !r->gzip && r->in_pos >= r->in_len) {
        if (r->eof_in) {
            *eof = true;
            return LLMD_OK;
        }
        return read_plain(r, eof);
    }
    llmd_status st = fill_input(r);
    if (st != LLMD_OK) return st;
    if (r->in_len == 0 && r->eof_in) {
        if (r->zstd && r->frame_open)
            return llmd_fail(LLMD_ERR_CORRUPT, "%s: zstd stream is truncated (frame not finished)", r->name);
        if (r->gzip && r->frame_open)
            return llmd_fail(LLMD_ERR_CORRUPT, "%s: gzip stream is truncated (member not finished)", r->name);
        *eof = true;
        return LLMD_OK;
    }
    if (r->gzip) return inflate_some(r);
    if (!r->zstd) {
        st = llmd_buf_append(&r->text, r->in + r->in_pos, r->in_len - r->in_pos);
        r->in_pos = r->in_len;
        return st;
    }
    size_t out_room = ZSTD_DStreamOutSize();
    if ((st = llmd_buf_reserve(&r->text, out_room)) != LLMD_OK) return st;
    ZSTD_inBuffer ib = {r->in, r->in_len, r->in_pos};
    ZSTD_outBuffer ob = {r->text.data + r->text.len, out_room, 0};
    size_t ret = ZSTD_decompressStream(r->dctx, &ob, &ib);
    if (ZSTD_isError(ret))
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: zstd data is corrupt near compressed byte %llu: %s",
                         r->name, (unsigned long long)(r->bytes_in - (r->in_len - ib.pos)),
                         ZSTD_getErrorName(ret));
    r->frame_open = ret != 0;
    r->in_pos = ib.pos;
    r->text.len += ob.pos;
    r->text.data[r->text.len] = '\0';
    return LLMD_OK;
}

static llmd_status detect_format(llmd_reader *r) {
    llmd_status st = fill_input(r);
    if (st != LLMD_OK) return st;
    /* A zstd frame starts with 28 B5 2F FD; a JSONL file cannot. */
    if (r->in_len >= 4 && r->in[0] == 0x28 && r->in[1] == 0xB5 && r->in[2] == 0x2F && r->in[3] == 0xFD) {
        r->zstd = true;
        r->dctx = ZSTD_createDCtx();
        if (r->dctx == NULL) return llmd_fail_nomem("creating a zstd decoder");
    }
    /* A gzip member starts with 1F 8B 08 (deflate); a JSONL file cannot start with 0x1F. */
    if (r->in_len >= 3 && r->in[0] == 0x1F && r->in[1] == 0x8B && r->in[2] == 0x08) {
        r->gzip = true;
        r->zs = llmd_calloc(1, sizeof *r->zs);
        if (r->zs == NULL) return llmd_fail_nomem("creating a gzip decoder");
        if (inflateInit2(r->zs, 16 + MAX_WBITS) != Z_OK) {
            llmd_free(r->zs);
            r->zs = NULL;
            return llmd_fail_nomem("creating a gzip decoder");
        }
    }
    return LLMD_OK;
}

llmd_status llmd_reader_open_fd(llmd_reader **out, int fd, const char *name,
                                const llmd_reader_options *opts) {
    if (out == NULL) return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_reader_open_fd: out is NULL");
    *out = NULL;
    llmd_reader_options o = LLMD_READER_OPTIONS_INIT;
    llmd_status st = llmd_options_copy(&o, opts, reader_opt_sizes, LLMD_READER_OPTIONS_VERSION, "llmd_reader");
    if (st != LLMD_OK) return st;
    llmd_reader *r = llmd_calloc(1, sizeof *r);
    if (r == NULL) return llmd_fail_nomem("opening a reader");
    r->fd = fd;
    r->max_line = o.max_line_bytes ? o.max_line_bytes : ((size_t)2 << 30);
    r->name = llmd_strdup(name ? name : "(input)");
    r->in = llmd_malloc(IN_CHUNK);
    if (r->name == NULL || r->in == NULL) {
        llmd_reader_free(r);
        return llmd_fail_nomem("opening a reader");
    }
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) r->file_size = (uint64_t)sb.st_size;
    if ((st = detect_format(r)) != LLMD_OK) {
        llmd_reader_free(r);
        return st;
    }
    *out = r;
    return LLMD_OK;
}

llmd_status llmd_reader_open(llmd_reader **out, const char *path, const llmd_reader_options *opts) {
    if (out == NULL || path == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_reader_open: out and path are required");
    *out = NULL;
    if (strcmp(path, "-") == 0) return llmd_reader_open_fd(out, 0, "(stdin)", opts);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "%s: cannot open: %s",
                         path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
        close(fd);
        return llmd_fail(LLMD_ERR_IO, "%s: is a directory", path);
    }
    llmd_status st = llmd_reader_open_fd(out, fd, path, opts);
    if (st != LLMD_OK) {
        close(fd);
        return st;
    }
    (*out)->owns_fd = true;
    return LLMD_OK;
}

llmd_status llmd_reader_next_line(llmd_reader *r, const char **line, size_t *len) {
    if (r == NULL || line == NULL || len == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_reader_next_line: NULL argument");
    *line = NULL;
    *len = 0;
    size_t scanned = r->start;  /* bytes before this offset hold no newline */
    for (;;) {
        char *nl = r->text.len > scanned ? memchr(r->text.data + scanned, '\n', r->text.len - scanned) : NULL;
        if (nl) {
            size_t begin = r->start, end = (size_t)(nl - r->text.data);
            r->start = end + 1;
            if (end > begin && r->text.data[end - 1] == '\r') end--;
            if (end - begin > r->max_line)
                return llmd_fail(LLMD_ERR_RANGE, "%s: line %llu is longer than %zu bytes", r->name,
                                 (unsigned long long)(r->line_no + 1), r->max_line);
            r->text.data[end] = '\0';
            r->line_no++;
            r->bytes_out += (uint64_t)(r->start - begin);
            *line = r->text.data + begin;
            *len = end - begin;
            return LLMD_OK;
        }
        if (r->text.len - r->start > r->max_line)
            return llmd_fail(LLMD_ERR_RANGE, "%s: line %llu is longer than %zu bytes", r->name,
                             (unsigned long long)(r->line_no + 1), r->max_line);
        compact_text(r);
        scanned = r->text.len;
        bool eof;
        llmd_status st = produce_text(r, &eof);
        if (st != LLMD_OK) return st;
        if (eof) {
            if (r->text.len == r->start) return LLMD_OK; /* clean end */
            size_t begin = r->start, end = r->text.len;
            r->start = end;
            r->bytes_out += (uint64_t)(end - begin);
            if (end > begin && r->text.data[end - 1] == '\r') end--;
            r->text.data[end] = '\0';
            r->line_no++;
            *line = r->text.data + begin;
            *len = end - begin;
            return LLMD_OK;
        }
    }
}

uint64_t llmd_reader_line_number(const llmd_reader *r) { return r ? r->line_no : 0; }
uint64_t llmd_reader_bytes_in(const llmd_reader *r) { return r ? r->bytes_in : 0; }
uint64_t llmd_reader_bytes_out(const llmd_reader *r) { return r ? r->bytes_out : 0; }
uint64_t llmd_reader_file_size(const llmd_reader *r) { return r ? r->file_size : 0; }
int llmd_reader_is_zstd(const llmd_reader *r) { return r ? r->zstd : 0; }
int llmd_reader_is_gzip(const llmd_reader *r) { return r ? r->gzip : 0; }

void llmd_reader_free(llmd_reader *r) {
    if (r == NULL) return;
    if (r->owns_fd) close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    if (r->zs != NULL) {
        inflateEnd(r->zs);
        llmd_free(r->zs);
    }
    llmd_buf_free(&r->text);
    llmd_free(r->in);
    llmd_free(r->name);
    llmd_free(r);
}
