/* Allocation through optional caller hooks. */
#include <stdlib.h>

#include "common/internal.h"

static llmd_allocator g_alloc; /* zeroed = use libc */

llmd_status llmd_set_allocator(const llmd_allocator *a) {
    if (a == NULL) {
        memset(&g_alloc, 0, sizeof g_alloc);
        return LLMD_OK;
    }
    if (a->version != LLMD_ALLOCATOR_VERSION)
        return llmd_fail(LLMD_ERR_VERSION, "llmd_set_allocator: allocator version %u is not %d",
                         a->version, LLMD_ALLOCATOR_VERSION);
    if (a->malloc_fn == NULL || a->free_fn == NULL)
        return llmd_fail(LLMD_ERR_INVALID_ARG, "llmd_set_allocator: malloc_fn and free_fn are required");
    g_alloc = *a;
    return LLMD_OK;
}

void *llmd_malloc(size_t size) {
    if (size == 0) size = 1;
    return g_alloc.malloc_fn ? g_alloc.malloc_fn(g_alloc.ctx, size) : malloc(size);
}

void *llmd_calloc(size_t count, size_t size) {
    size_t total;
    if (!llmd_mul_ok(count, size, &total)) return NULL;
    void *p = llmd_malloc(total);
    if (p) memset(p, 0, total);
    return p;
}

void *llmd_realloc(void *ptr, size_t old_size, size_t new_size) {
    if (new_size == 0) new_size = 1;
    if (g_alloc.malloc_fn == NULL) return realloc(ptr, new_size);
    if (g_alloc.realloc_fn) return g_alloc.realloc_fn(g_alloc.ctx, ptr, old_size, new_size);
    void *p = g_alloc.malloc_fn(g_alloc.ctx, new_size);
    if (p == NULL) return NULL;
    if (ptr) {
        memcpy(p, ptr, old_size < new_size ? old_size : new_size);
        g_alloc.free_fn(g_alloc.ctx, ptr);
    }
    return p;
}

void llmd_free(void *ptr) {
    if (ptr == NULL) return;
    if (g_alloc.free_fn) g_alloc.free_fn(g_alloc.ctx, ptr);
    else free(ptr);
}

char *llmd_strndup(const char *s, size_t n) {
    char *p = llmd_malloc(n + 1);
    if (p == NULL) return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *llmd_strdup(const char *s) { return llmd_strndup(s, strlen(s)); }
