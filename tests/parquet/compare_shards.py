#!/usr/bin/python3
"""Checks Parquet training shards, as DuckDB read them (tests/parquet/duck_shards.mjs output: one JSON
line per window), against the same run's numpy or Megatron MMIDIDX shard, read here with numpy from
the layouts in include/llmdata/pack.h:
  * every window's input_ids equal the .npy row / the .bin sequence (full contents);
  * cu_seqlens of window w, shifted by w*seq_len, are exactly that window's entries of
    PREFIX.boundaries.npy (and the last entry is seq_len);
  * with --docs: every document segment [cu[k], cu[k+1]) holds the tokens of document
    document_ids[k] starting at document_offsets[k], where a document's tokens are computed here
    from the input: the UTF-8 bytes of its text field (--text FIELD, the "bytes" tokenizer) or its
    ids array (--ids FIELD), followed by --eos when given.
usage: compare_shards.py DUCK_JSONL (--npy PREFIX | --mmidx PREFIX) [--docs JSONL (--text F | --ids F) [--eos ID]]
"""
import argparse
import json
import sys

import numpy as np


def fail(msg):
    print("compare_shards: " + msg, file=sys.stderr)
    sys.exit(1)


def load_windows(args):
    if args.npy:
        w = np.load(args.npy + ".npy")
        return w.astype(np.int64), np.load(args.npy + ".boundaries.npy")
    prefix = args.mmidx
    idx = open(prefix + ".idx", "rb").read()
    if idx[:9] != b"MMIDIDX\x00\x00":
        fail("bad MMIDIDX magic")
    dtype = {4: np.int32, 8: np.uint16}[idx[17]]
    n = int(np.frombuffer(idx, np.uint64, 1, 18)[0])
    sizes = np.frombuffer(idx, np.int32, n, 34)
    ptrs = np.frombuffer(idx, np.int64, n, 34 + 4 * n)
    data = np.fromfile(prefix + ".bin", dtype)
    item = np.dtype(dtype).itemsize
    rows = [data[p // item: p // item + s] for p, s in zip(ptrs, sizes)]
    w = np.stack(rows).astype(np.int64) if rows else np.zeros((0, 0), np.int64)
    return w, np.load(prefix + ".boundaries.npy")


def doc_tokens(args):
    docs = []
    for line in open(args.docs, encoding="utf-8"):
        if not line.strip():
            continue
        o = json.loads(line)
        t = list(o[args.text].encode("utf-8")) if args.text else list(o[args.ids])
        if args.eos is not None:
            t.append(args.eos)
        docs.append(t)
    return docs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("duck")
    ap.add_argument("--npy")
    ap.add_argument("--mmidx")
    ap.add_argument("--docs")
    ap.add_argument("--text")
    ap.add_argument("--ids")
    ap.add_argument("--eos", type=int)
    args = ap.parse_args()
    rows = [json.loads(l) for l in open(args.duck, encoding="utf-8")]
    windows, bounds = load_windows(args)
    if len(rows) != len(windows):
        fail(f"{len(rows)} parquet rows, {len(windows)} windows in the reference shard")
    if len(rows) == 0:
        fail("no windows: the test needs some")
    L = windows.shape[1]
    want_bounds = []
    for w, r in enumerate(rows):
        ids = np.asarray(r["input_ids"], np.int64)
        if ids.shape != (L,) or not np.array_equal(ids, windows[w]):
            bad = int(np.argmax(ids != windows[w])) if ids.shape == (L,) else -1
            fail(f"window {w}: input_ids differ from the reference (first at token {bad})")
        cu = r["cu_seqlens"]
        if cu[0] != 0 or cu[-1] != L or any(b <= a for a, b in zip(cu, cu[1:])):
            fail(f"window {w}: cu_seqlens {cu} not strictly increasing from 0 to {L}")
        want_bounds.extend(w * L + c for c in cu[:-1])
        nd = len(r["document_ids"])
        if nd != len(r["document_offsets"]) or nd not in (len(cu) - 1, len(cu) - 2):
            fail(f"window {w}: {nd} document ids for {len(cu) - 1} segments")
    want_bounds.append(len(rows) * L)
    if not np.array_equal(np.asarray(want_bounds, np.int64), bounds.astype(np.int64)):
        fail(f"cu_seqlens ({len(want_bounds)} boundaries) differ from boundaries.npy ({len(bounds)})")
    segs = 0
    if args.docs:
        docs = doc_tokens(args)
        for w, r in enumerate(rows):
            cu = r["cu_seqlens"]
            for k, (d, off) in enumerate(zip(r["document_ids"], r["document_offsets"])):
                seg = r["input_ids"][cu[k]:cu[k + 1]]
                if d >= len(docs) or docs[d][off:off + len(seg)] != seg:
                    fail(f"window {w} segment {k}: not the tokens of document {d} at offset {off}")
                segs += 1
    print(f"compare_shards: {len(rows)} windows of {L}, {len(bounds)} boundaries, {segs} document segments checked")


main()
