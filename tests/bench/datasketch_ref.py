#!/usr/bin/python3
"""datasketch's MinHash method, re-implemented for a same-machine speed reference (Debian numpy +
hashlib; datasketch itself is not installed here).  What datasketch's MinHash(num_perm=128, seed=1)
does per document with update_batch():
  - permutation parameters: numpy RandomState(seed), per permutation a in [1, 2^61-1), b in [0, 2^61-1)
  - each shingle: SHA-1, first 4 digest bytes read little-endian as uint32 h
  - per permutation: ((a*h + b) mod (2^61-1)) & 0xffffffff in uint64 numpy arithmetic (a*h wraps
    mod 2^64 as in datasketch), then the minimum over the document's shingles.
Shingles: word 5-grams of text.lower().split() (a cheap tokenizer, to time the MinHash itself).

    datasketch_ref.py CORPUS.txt [MAX_BYTES]
Documents are cut as in bench_dedup.c (after a blank line once >= 4096 bytes); prints
"datasketch-method MB/s docs/s"."""
import hashlib
import struct
import sys
import time

import numpy as np

MERSENNE = np.uint64((1 << 61) - 1)
MAXHASH = np.uint64((1 << 32) - 1)


def split_docs(data, max_bytes):
    docs, start, total = [], 0, 0
    i = data.find(b"\n\n")
    while i >= 0:
        if i + 2 - start >= 4096:
            if max_bytes and total + (i + 2 - start) > max_bytes:
                return docs, total
            docs.append(data[start:i + 2])
            total += i + 2 - start
            start = i + 2
        i = data.find(b"\n\n", i + 1)
    if start < len(data) and not (max_bytes and total + len(data) - start > max_bytes):
        docs.append(data[start:])
        total += len(data) - start
    return docs, total


class RefMinHash:
    def __init__(self, num_perm=128, seed=1):
        gen = np.random.RandomState(seed)
        pairs = [(gen.randint(1, int(MERSENNE), dtype=np.uint64), gen.randint(0, int(MERSENNE), dtype=np.uint64))
                 for _ in range(num_perm)]
        self.a = np.array([p[0] for p in pairs], dtype=np.uint64)
        self.b = np.array([p[1] for p in pairs], dtype=np.uint64)
        self.num_perm = num_perm

    def signature(self, shingles):
        sig = np.full(self.num_perm, MAXHASH, dtype=np.uint64)
        if not shingles:
            return sig
        hv = np.array([struct.unpack("<I", hashlib.sha1(s).digest()[:4])[0] for s in shingles], dtype=np.uint64)
        with np.errstate(over="ignore"):
            phv = ((np.outer(hv, self.a) + self.b) % MERSENNE) & MAXHASH
        return np.minimum(sig, phv.min(axis=0))


def shingles(text, n=5):
    w = text.lower().split()
    if len(w) < n:
        return [" ".join(w).encode()] if w else []
    return [" ".join(w[k:k + n]).encode() for k in range(len(w) - n + 1)]


def main():
    path = sys.argv[1]
    max_bytes = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    with open(path, "rb") as f:
        data = f.read()
    docs, total = split_docs(data, max_bytes)
    mh = RefMinHash()
    t0 = time.perf_counter()
    for d in docs:
        mh.signature(shingles(d.decode("utf-8", "replace")))
    t = time.perf_counter() - t0
    print("datasketch-method %.2f MB/s %.0f docs/s (%d docs, %d bytes)" % (total / t / 1e6, len(docs) / t, len(docs), total))


if __name__ == "__main__":
    main()
