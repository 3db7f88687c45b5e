#!/usr/bin/python3
"""Independent reference of llmdata's documented MinHash algorithm (include/llmdata/dedup.h),
written from the header's text, not from lib/dedup: Python str/unicodedata for the word rules,
XXH3 from the system libxxhash through ctypes (the same published hash function), Python ints for
splitmix64 and the permutations.  Stdlib only.

    ref_minhash.py TEXT...      prints, per text, the signature (128 perms, word 5-grams, seed 1)
                                as hex of its little-endian bytes, and the 9x13 band keys.
Its only approximation: Python's str.lower() is used per code point where it maps to one code
point (utf8proc_tolower is the simple mapping; they agree on such code points)."""
import ctypes
import ctypes.util
import struct
import sys
import unicodedata

M64 = (1 << 64) - 1
_xx = None


def xxh3_64(data, seed):
    global _xx
    if _xx is None:
        name = ctypes.util.find_library("xxhash") or "libxxhash.so.0"
        _xx = ctypes.CDLL(name)
        _xx.XXH3_64bits_withSeed.restype = ctypes.c_uint64
        _xx.XXH3_64bits_withSeed.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint64]
    return _xx.XXH3_64bits_withSeed(data, len(data), seed)


def words(text):
    """Maximal runs of L*/M*/N* code points, each lower-cased (simple mapping)."""
    out, cur = [], []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            lo = ch.lower()
            cur.append(lo if len(lo) == 1 else ch)
        elif cur:
            out.append("".join(cur))
            cur = []
    if cur:
        out.append("".join(cur))
    return out


def shingles(text, n=5, chars=False):
    w = words(text)
    if not w:
        return []
    if chars:
        f = " ".join(w)
        if len(f) < n:
            return [f]
        return [f[k:k + n] for k in range(len(f) - n + 1)]
    if len(w) < n:
        return [" ".join(w)]
    return [" ".join(w[k:k + n]) for k in range(len(w) - n + 1)]


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def params(num_perm, seed):
    st = seed ^ 0x6C6C6D6448617368
    a, b = [], []
    for _ in range(num_perm):
        st, w1 = splitmix64(st)
        st, w2 = splitmix64(st)
        a.append((w1 & 0xFFFFFFFF) | 1)
        b.append(w2 & 0xFFFFFFFF)
    return a, b


def signature(text, num_perm=128, n=5, seed=1, chars=False):
    a, b = params(num_perm, seed)
    sig = [0xFFFFFFFF] * num_perm
    for s in shingles(text, n, chars):
        h = xxh3_64(s.encode("utf-8"), seed)
        x = (h ^ (h >> 32)) & 0xFFFFFFFF
        for i in range(num_perm):
            v = (a[i] * x + b[i]) & 0xFFFFFFFF
            if v < sig[i]:
                sig[i] = v
    return sig


def sig_bytes(sig):
    return struct.pack("<%dI" % len(sig), *sig)


def band_keys(sig, bands, rows):
    keys = []
    for j in range(bands):
        chunk = struct.pack("<%dI" % rows, *sig[j * rows:(j + 1) * rows])
        keys.append(struct.pack("<I", j) + struct.pack("<Q", xxh3_64(chunk, 0)))
    return keys


if __name__ == "__main__":
    for t in sys.argv[1:]:
        s = signature(t)
        print(sig_bytes(s).hex())
        print(" ".join(k.hex() for k in band_keys(s, 9, 13)))
