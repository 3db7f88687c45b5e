#!/usr/bin/env python3
"""Writes small valid fastText models (the shapes of tests/test_langid.c: softmax, hierarchical
softmax, one-vs-all, char n-grams, word bigrams, quantized + pruned) into DIR as fuzzing seeds.
    make_langid_seeds.py DIR"""
import os
import struct
import sys


def header(dim, word_ngrams, loss, bucket, minn, maxn):
    return (struct.pack("<ii", 793712314, 12) +
            struct.pack("<12i", dim, 5, 5, 1, 5, word_ngrams, loss, 3, bucket, minn, maxn, 100) +
            struct.pack("<d", 1e-4))


def dictionary(words, labels, prune=None):
    b = struct.pack("<iiiqq", len(words) + len(labels), len(words), len(labels), 100,
                    -1 if prune is None else len(prune))
    for w in words:
        b += w.encode() + b"\0" + struct.pack("<qb", 1, 0)
    for i, w in enumerate(labels):
        b += ("__label__" + w).encode() + b"\0" + struct.pack("<qb", 10 * (len(labels) - i), 1)
    for k, v in (prune or {}).items():
        b += struct.pack("<ii", k, v)
    return b


def dense(rows, cols, vals):
    return struct.pack("<qq", rows, cols) + struct.pack(f"<{rows * cols}f", *vals)


def pq(dim, dsub, centroids):
    nsubq = (dim + dsub - 1) // dsub
    last = dim % dsub or dsub
    return struct.pack("<4i", dim, nsubq, dsub, last) + struct.pack(f"<{dim * 256}f", *centroids)


def models():
    words = ["</s>", "hello", "bonjour"]
    inp = dense(3, 2, [0, 0, 2, 0, 0, 2])
    out2 = dense(2, 2, [1, 0, 0, 1])
    for loss in (1, 3, 4):
        yield f"dense_loss{loss}", header(2, 1, loss, 0, 0, 0) + dictionary(words, ["en", "fr"]) + b"\0" + inp + b"\0" + out2
    out3 = dense(3, 2, [1.1, 0, 0, 0, 7, 7])
    yield "hs3", header(2, 1, 1, 0, 0, 0) + dictionary(["</s>", "w"], ["a", "b", "c"]) + b"\0" + \
        dense(2, 2, [0, 0, 2, 0]) + b"\0" + out3
    yield "subwords", header(2, 1, 3, 11, 1, 3) + dictionary(["</s>"], ["en", "fr"]) + b"\0" + \
        dense(12, 2, [float(i % 5) for i in range(24)]) + b"\0" + out2
    yield "bigrams", header(2, 2, 1, 13, 2, 4) + dictionary(words, ["en", "fr"]) + b"\0" + \
        dense(16, 2, [float(i % 3) - 1 for i in range(32)]) + b"\0" + out2
    cent = [0.0, 0.0, 0.5, 0.0] + [1.0] * (2 * 256 - 4)
    qin = b"\1" + b"\1" + struct.pack("<qqi", 2, 2, 2) + b"\0\1" + pq(2, 2, cent) + b"\0\1" + \
        pq(1, 1, [1.0, 4.0] + [2.0] * 254)
    qout = b"\1" + b"\0" + struct.pack("<qqi", 2, 2, 2) + b"\0\1" + pq(2, 2, [1.0, 0.0, 0.0, 1.0] + [0.0] * 508)
    yield "quant", header(2, 1, 3, 11, 1, 1) + dictionary(["</s>"], ["en", "fr"], {8: 0}) + qin + qout
    yield "quant_hs", header(2, 1, 1, 11, 1, 1) + dictionary(["</s>"], ["en", "fr"], {8: 0}) + qin + b"\0" + out2


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    for name, data in models():
        with open(os.path.join(d, name + ".bin"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
