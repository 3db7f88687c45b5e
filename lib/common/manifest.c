/*
 * Manifests: the list of files (name, size, XXH3-64) that makes one output complete.  Writers
 * publish the manifest last; readers compare it with the files beside it, which is how a mix of two
 * runs (a crash between renames, a file copied in by hand) is told apart from a finished output.
 */
#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "common/internal.h"

llmd_status llmd_file_list_add(llmd_file_list *l, const char *name, uint64_t bytes, uint64_t xxh3) {
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        llmd_file_entry *v = llmd_realloc(l->v, l->cap * sizeof *v, cap * sizeof *v);
        if (v == NULL) return llmd_fail_nomem("a file list");
        l->v = v;
        l->cap = cap;
    }
    char *copy = llmd_strdup(name);
    if (copy == NULL) return llmd_fail_nomem("a file list");
    l->v[l->n++] = (llmd_file_entry){copy, bytes, xxh3};
    return LLMD_OK;
}

void llmd_file_list_free(llmd_file_list *l) {
    for (size_t i = 0; i < l->n; i++) llmd_free(l->v[i].name);
    llmd_free(l->v);
    memset(l, 0, sizeof *l);
}

llmd_status llmd_file_list_json(llmd_buf *b, const llmd_file_list *l) {
    llmd_status st = llmd_buf_putc(b, '[');
    for (size_t i = 0; i < l->n && st == LLMD_OK; i++) {
        if (i > 0) st = llmd_buf_putc(b, ',');
        if (st == LLMD_OK) st = llmd_buf_puts(b, "{\"name\":");
        if (st == LLMD_OK) st = llmd_buf_put_json_string(b, l->v[i].name, strlen(l->v[i].name));
        if (st == LLMD_OK)
            st = llmd_buf_printf(b, ",\"bytes\":%llu,\"xxh3\":\"%016llx\"}", (unsigned long long)l->v[i].bytes,
                                 (unsigned long long)l->v[i].xxh3);
    }
    if (st == LLMD_OK) st = llmd_buf_putc(b, ']');
    return st;
}

/* A name a manifest may list: one file in the manifest's own directory, never a path out of it. */
static bool plain_file_name(const char *s) {
    return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

static bool parse_hex64(const char *s, uint64_t *out) {
    if (strlen(s) != 16) return false;
    uint64_t v = 0;
    for (int i = 0; i < 16; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* A JSON number that is a whole byte count (cJSON keeps numbers as doubles: exact below 2^53). */
static bool whole_count(const cJSON *n, uint64_t *out) {
    if (!cJSON_IsNumber(n)) return false;
    double d = n->valuedouble;
    if (!(d >= 0 && d <= 9007199254740992.0) || d != (double)(uint64_t)d) return false;
    *out = (uint64_t)d;
    return true;
}

static llmd_status parse_entry(const cJSON *e, size_t i, const char *what, llmd_file_list *files) {
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(e, "name");
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(e, "bytes");
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(e, "xxh3");
    uint64_t nb, h;
    if (!cJSON_IsObject(e) || !cJSON_IsString(name))
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: files[%zu] has no \"name\" string", what, i);
    size_t nl = strlen(name->valuestring);
    if (llmd_utf8_validate((const unsigned char *)name->valuestring, nl) != nl)
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: files[%zu]: the name is not valid UTF-8", what, i);
    if (!plain_file_name(name->valuestring))
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: files[%zu]: \"%s\" is not a file name in the manifest's directory",
                         what, i, name->valuestring);
    if (!whole_count(bytes, &nb))
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: files[%zu] (%s): \"bytes\" is not a byte count", what, i,
                         name->valuestring);
    if (!cJSON_IsString(hash) || !parse_hex64(hash->valuestring, &h))
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: files[%zu] (%s): \"xxh3\" is not 16 lowercase hex digits", what, i,
                         name->valuestring);
    for (size_t k = 0; k < files->n; k++)
        if (strcmp(files->v[k].name, name->valuestring) == 0)
            return llmd_fail(LLMD_ERR_CORRUPT, "%s: files lists %s twice", what, name->valuestring);
    return llmd_file_list_add(files, name->valuestring, nb, h);
}

llmd_status llmd_manifest_parse(const char *json, size_t n, const char *what, llmd_file_list *files,
                                char **run_id) {
    memset(files, 0, sizeof *files);
    if (run_id) *run_id = NULL;
    if (memchr(json, '\0', n) != NULL)
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: a NUL byte inside the manifest", what);
    cJSON *root = cJSON_ParseWithLength(json, n);
    if (root == NULL || !cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return llmd_fail(LLMD_ERR_CORRUPT, "%s: not a JSON object", what);
    }
    llmd_status st = LLMD_OK;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (!cJSON_IsArray(arr)) st = llmd_fail(LLMD_ERR_CORRUPT, "%s: no \"files\" array", what);
    size_t i = 0;
    for (const cJSON *e = arr ? arr->child : NULL; e != NULL && st == LLMD_OK; e = e->next, i++)
        st = parse_entry(e, i, what, files);
    if (st == LLMD_OK && run_id != NULL) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "run_id");
        if (id != NULL && !cJSON_IsString(id)) st = llmd_fail(LLMD_ERR_CORRUPT, "%s: \"run_id\" is not a string", what);
        else if (id != NULL && (*run_id = llmd_strdup(id->valuestring)) == NULL) st = llmd_fail_nomem("a run id");
    }
    cJSON_Delete(root);
    if (st != LLMD_OK) {
        llmd_file_list_free(files);
        if (run_id) {
            llmd_free(*run_id);
            *run_id = NULL;
        }
    }
    return st;
}

llmd_status llmd_file_xxh3(const char *path, uint64_t *xxh3, uint64_t *bytes) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "%s: cannot open: %s", path,
                         strerror(errno));
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = llmd_malloc(CHUNK);
    XXH3_state_t *h = XXH3_createState();
    llmd_status st = buf && h ? LLMD_OK : llmd_fail_nomem("checksumming a file");
    uint64_t total = 0;
    if (st == LLMD_OK) XXH3_64bits_reset(h);
    while (st == LLMD_OK) {
        ssize_t r = read(fd, buf, CHUNK);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) st = llmd_fail(LLMD_ERR_IO, "%s: read failed: %s", path, strerror(errno));
        if (r <= 0) break;
        XXH3_64bits_update(h, buf, (size_t)r);
        total += (uint64_t)r;
    }
    if (st == LLMD_OK) {
        *xxh3 = XXH3_64bits_digest(h);
        if (bytes) *bytes = total;
    }
    if (h) XXH3_freeState(h);
    llmd_free(buf);
    close(fd);
    return st;
}

llmd_status llmd_manifest_check_files(const char *dir, const llmd_file_list *files, bool checksums,
                                      const char *what) {
    llmd_buf path = LLMD_BUF_INIT;
    llmd_status st = LLMD_OK;
    for (size_t i = 0; i < files->n && st == LLMD_OK; i++) {
        const llmd_file_entry *e = &files->v[i];
        llmd_buf_reset(&path);
        if ((st = llmd_buf_printf(&path, "%s/%s", dir, e->name)) != LLMD_OK) break;
        struct stat sb;
        if (stat(path.data, &sb) != 0) {
            st = llmd_fail(errno == ENOENT ? LLMD_ERR_NOT_FOUND : LLMD_ERR_IO, "%s: %s listed by %s: %s", path.data,
                           e->name, what, strerror(errno));
        } else if (!S_ISREG(sb.st_mode)) {
            st = llmd_fail(LLMD_ERR_CORRUPT, "%s: not a regular file (listed by %s)", path.data, what);
        } else if ((uint64_t)sb.st_size != e->bytes) {
            st = llmd_fail(LLMD_ERR_CORRUPT,
                           "%s: %llu bytes, %s lists %llu: the files are not one complete output (mixed runs or "
                           "a truncated copy)",
                           path.data, (unsigned long long)sb.st_size, what, (unsigned long long)e->bytes);
        } else if (checksums) {
            uint64_t h;
            st = llmd_file_xxh3(path.data, &h, NULL);
            if (st == LLMD_OK && h != e->xxh3)
                st = llmd_fail(LLMD_ERR_CORRUPT,
                               "%s: XXH3-64 %016llx, %s lists %016llx: the files are not one complete output",
                               path.data, (unsigned long long)h, what, (unsigned long long)e->xxh3);
        }
    }
    llmd_buf_free(&path);
    return st;
}

llmd_status llmd_make_run_id(char out[37]) {
    uint8_t r[16];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t n = getrandom(r + got, sizeof r - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    if (got < sizeof r) {
        /* no entropy source: a run id only has to differ between runs, not be secret */
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t s = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec + ((uint64_t)getpid() << 40);
        for (int i = 0; i < 16; i += 8) llmd_store_le64(r + i, llmd_splitmix64(&s));
    }
    r[6] = (uint8_t)((r[6] & 0x0f) | 0x40); /* version 4 */
    r[8] = (uint8_t)((r[8] & 0x3f) | 0x80); /* variant 10 */
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
        *p++ = hex[r[i] >> 4];
        *p++ = hex[r[i] & 15];
    }
    *p = '\0';
    return LLMD_OK;
}
