/* The project's hash functions: XXH3 (xxHash >= 0.8), fixed across versions by its spec. */
#include <xxhash.h>

#include "common/internal.h"

uint64_t llmd_hash64(const void *data, size_t n, uint64_t seed) {
    return XXH3_64bits_withSeed(data, n, seed);
}

void llmd_hash128(const void *data, size_t n, uint64_t seed, uint8_t out[16]) {
    XXH128_hash_t h = XXH3_128bits_withSeed(data, n, seed);
    /* Documented layout: low 64 bits then high 64 bits, each little-endian. */
    llmd_store_le64(out, h.low64);
    llmd_store_le64(out + 8, h.high64);
}
