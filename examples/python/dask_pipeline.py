#!/usr/bin/python3
"""The whole `llmdata pipeline` over a Dask cluster of worker processes, byte-identical output.

    /usr/bin/python3 examples/python/dask_pipeline.py --workers N [--config FILE] \\
        --tokenizer FILE --seq-len N --out DIR [--set KEY=VALUE]... [--overwrite] INPUT...

Settings are those of `llmdata pipeline` (include/llmdata/pipeline.h: a JSON --config file, then
--tokenizer/--seq-len/--out/--set/--overwrite override it; the config's "inputs" come first) and
the output directory holds the same files: data.bin + data.idx (or data.npy), data.boundaries.npy,
data.manifest.json, report.json and _llmdata_run.json, published as one unit.  The shard files are
byte-identical to a single-process `llmdata pipeline` run with the same settings, whatever the
number of workers and the partitioning (--partition-bytes); the report has the same counts
(seconds are this run's; see "Report" below).

Flow (every stage through the library's public API, via the Python binding):
  1. partitions: a plain JSONL file is cut into byte ranges at line starts (--partition-bytes);
     a .zst/.gz file (detected by its magic bytes, as the library does) is one partition.
  2. workers, per partition: parse (JsonDoc) -> quality filters -> clean + redact -> the XXH3-128
     exact hash of each cleaned text.  The cleaned texts stay on the worker (a persisted future).
  3. exact dedup: (hash, document number) rows shuffled by hash (dask.dataframe groupby); the
     smallest document number of each hash is the one kept.
  4. near dedup (whole-corpus clusters, dedup.h "Clusters"): workers compute MinHash signatures and
     band keys (16 x 8 at threshold 0.8); the 12-byte keys are shuffled as plain bytes (the band
     number and the 64-bit key hash as two integer columns) and grouped; each bucket of two or more
     documents is verified on a worker with the members' exact shingle-set Jaccard (sets computed
     where the documents live, for candidates only); the verified pairs go to a union-find
     (llmdata.UnionFind) on the driver: its connected components are the clusters.
  5. workers tokenize the kept documents of their partition; the driver packs them in input order
     into the shard writer (Packer -> ShardWriter) and publishes (PipelineOutput).

How the single process's order-dependent decisions are reproduced (why the bytes are identical):
  * a document's number is its position among the valid documents in input order (inputs in the
    order given, lines in file order): partition p's documents get offset[p] + i, where offset is
    the running count of the partitions before p, known once stage 2 has run;
  * exact dedup keeps the first occurrence in input order: the minimum document number of a hash;
  * near dedup: the library's cluster job compares each bucket member with up to 4096 earlier
    members (document order) unless already joined, so its clusters are the connected components
    of the verified pairs within that window; the workers verify exactly those pairs (skipping
    pairs their bucket has already joined, which changes no component), and llmdata.UnionFind's root
    is the smallest member -- the cluster's first document in input order, the one the library
    keeps (every priority is 0).  With exact_dedup off, documents with the same exact hash are
    joined to the first one and only that one enters the buckets, as the job does;
  * tokenization is per document, so where it runs does not matter; packing is a sequential
    decision (which window a document lands in), so the driver feeds the packer the kept
    documents in document-number order -- the same stream, hence the same windows and bytes.

Report: report.json has the fields of `llmdata pipeline`'s.  Stage seconds are summed worker
seconds (distributed stages) or driver wall seconds; near_clusters.pairs_verified counts this
run's verifications (it depends on the order buckets are processed) and peak_bytes / spool_bytes
are 0 (no spool; memory is per worker).  Every other count equals the single process's.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

VERBOSE = os.environ.get("LLMD_DASK_VERBOSE") == "1"


def _log(msg):
    if VERBOSE:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "bindings", "python"))

import llmdata  # noqa: E402

BUCKET_SCAN = 4096        # LLMD_DEDUP_BUCKET_SCAN (dedup.h): earlier bucket members compared
DEFAULTS = {"field": "text", "strategy": "greedy", "format": "mmidx", "bos_id": -1, "eos_id": None, "pad_id": None,
            "buffer": 1024, "threads": 0, "batch": 4096, "filter": True, "c4": True, "gopher": True, "clean": True,
            "redact": True, "exact_dedup": True, "near_dedup": True, "near_threshold": 0.8, "near_streaming": False,
            "skip_bad": False, "overwrite": False, "min_bytes": 0, "max_bytes": 0, "bad_words_file": None,
            "pii_types": None, "tokenizer": None, "out": None, "seq_len": 0, "filters": None, "languages": None,
            "language_threshold": 0.65, "language_model": None}
BOOLS = {"filter", "c4", "gopher", "clean", "redact", "exact_dedup", "near_dedup", "near_streaming", "skip_bad",
         "overwrite"}
INTS = {"seq_len", "buffer", "bos_id", "eos_id", "pad_id", "threads", "batch", "min_bytes", "max_bytes"}


# ---- settings -------------------------------------------------------------------------------------
def _setting(key, v):
    """A config/--set value (JSON scalar or text) as the library reads it."""
    if key in BOOLS:
        if isinstance(v, bool):
            return v
        return str(v) in ("1", "true", "yes")
    if key in INTS:
        return int(v)
    if key in ("near_threshold", "language_threshold"):
        return float(v)
    if isinstance(v, (list, tuple)):       # "filters": ["c4", "gopher"] in a JSON config
        return ",".join(str(x) for x in v)
    return None if v is None else str(v)


def load_settings(args):
    """(settings dict, inputs); every key and value is checked by the library first (a Pipeline
    configured the same way), so errors read exactly as `llmdata pipeline`'s."""
    overrides = {}
    for kv in args.set or []:
        k, sep, v = kv.partition("=")
        if not sep:
            raise SystemExit(f"dask_pipeline: --set expects KEY=VALUE, got '{kv}'")
        overrides[k] = v
    for k, v in (("tokenizer", args.tokenizer), ("seq_len", args.seq_len), ("out", args.out)):
        if v is not None:
            overrides[k] = v
    if args.overwrite:
        overrides["overwrite"] = "1"
    llmdata.Pipeline(args.config, **overrides).close()     # validation only
    s = dict(DEFAULTS)
    inputs = []
    if args.config:
        with open(args.config, encoding="utf-8") as f:
            cfg = json.load(f)
        inputs += cfg.pop("inputs", [])
        for k, v in cfg.items():
            s[k] = _setting(k, v)
    for k, v in overrides.items():
        s[k] = _setting(k, v)
    for k in ("eos_id", "pad_id"):   # explicitly set (even to -1) vs default
        s[k + "_set"] = (args.config and k in cfg) or k in overrides
    inputs += args.inputs
    if "-" in inputs:
        raise SystemExit("dask_pipeline: standard input ('-') cannot be split across workers: give files")
    if s["near_dedup"] and s["near_streaming"]:
        raise SystemExit("dask_pipeline: near_streaming (the order-dependent one-pass index) has no distributed "
                         "form; use the default cluster mode")
    if s["language_model"]:
        raise SystemExit("dask_pipeline: language_model is not offered by the Python QualityFilter; the language "
                         "filter uses the library's bundled model")
    for path in inputs:
        if path != "-" and os.path.exists(path):
            with open(path, "rb") as f:
                if f.read(4) == b"PAR1":
                    raise SystemExit(f"dask_pipeline: {path}: Parquet inputs are not partitioned by this example yet")
    if not s["tokenizer"] or not s["out"] or not s["seq_len"] or not inputs:
        raise SystemExit("dask_pipeline: --tokenizer, --seq-len, --out and at least one INPUT are required")
    return s, inputs


# ---- partitions -----------------------------------------------------------------------------------
def _compressed(path):
    with open(path, "rb") as f:
        head = f.read(4)
    return head == b"\x28\xb5\x2f\xfd" or head[:2] == b"\x1f\x8b"


def make_partitions(inputs, block):
    """[(path, start, end, whole_file)] in input order; end None = to the end of the file."""
    parts = []
    for path in inputs:
        size = os.path.getsize(path)
        if _compressed(path) or size == 0:
            parts.append((path, 0, None, True))
            continue
        for start in range(0, size, block):
            parts.append((path, start, min(start + block, size), False))
    return parts


def _read_lines(path, start, end, whole):
    """The lines that START in [start, end) (the reader's rules: '\\r' before '\\n' dropped, empty
    lines skipped by the caller), with their 1-based line numbers when cheap to know (else None)."""
    if whole:
        r = llmdata.JsonlReader(path)
        for i, line in enumerate(r, 1):
            yield i, line
        r.close()
        return
    with open(path, "rb") as f:
        if start > 0:
            f.seek(start - 1)
            if f.read(1) != b"\n":        # inside a line: it belongs to the previous partition
                f.readline()
        while f.tell() < end:
            line = f.readline()
            if not line:
                break
            if line.endswith(b"\n"):
                line = line[:-1]
            if line.endswith(b"\r"):
                line = line[:-1]
            yield None, line


def _line_number(path, start, k):
    """1-based number of the k-th line (0-based) starting at or after byte `start` (for errors)."""
    with open(path, "rb") as f:
        before = f.read(start) if start else b""
    n = before.count(b"\n")
    if before and not before.endswith(b"\n"):
        n += 1      # the line cut at `start` belongs to the previous partition
    return n + k + 1


# ---- stage 2: read, filter, clean, redact (workers) -----------------------------------------------
class Partition:
    """A partition's cleaned documents (kept on the worker) and its counters."""

    def __init__(self):
        self.texts = []          # cleaned bytes of the documents that reach dedup, in order
        self.hashes = []         # their XXH3-128 exact hashes
        self.c = {"read_in": 0, "read_out": 0, "read_bytes_out": 0, "bad": 0, "filter_in": 0, "filter_out": 0,
                  "filter_bytes_in": 0, "filter_bytes_out": 0, "modified": 0, "clean_in": 0, "clean_out": 0,
                  "clean_bytes_in": 0, "clean_bytes_out": 0, "empty": 0, "secs_read": 0.0, "secs_filter": 0.0,
                  "secs_clean": 0.0, "secs_hash": 0.0}
        self.rules = {}          # rule -> [docs dropped, lines removed]
        self.pii = {}


def prepare(part, s, filt, red):
    path, start, end, whole = part
    p = Partition()
    c = p.c
    t = time.perf_counter()
    doc = llmdata.JsonDoc()
    texts = []
    field = s["field"]
    for k, (ln, line) in enumerate(_read_lines(path, start, end, whole)):
        if not line:
            continue
        try:
            doc.parse(line)
            text = doc.get_string(field)
        except llmdata.LlmdError as e:
            if s["skip_bad"]:
                c["bad"] += 1
                c["read_in"] += 1
                continue
            n = ln if ln is not None else _line_number(path, start, k)
            raise RuntimeError(f"{path}:{n}: {e}") from None
        c["read_in"] += 1
        c["read_out"] += 1
        c["read_bytes_out"] += len(text)
        texts.append(text)
    c["secs_read"] = time.perf_counter() - t
    if filt is not None and texts:
        t = time.perf_counter()
        rebuild, args = filt.__reduce__()
        filt = rebuild(*args)       # a fresh copy: this partition's own statistics
        c["filter_in"] = len(texts)
        c["filter_bytes_in"] = sum(map(len, texts))
        kept = []
        for text, r in zip(texts, filt.apply_batch(texts, threads=1)):
            if r.keep:
                kept.append(r.text.encode("utf-8"))
        fs = filt.stats()
        c["modified"] = fs["docs_modified"]
        for rule, v in fs["rules"].items():
            p.rules[rule] = [v["docs_dropped"], v["lines_removed"]]
        filt.close()
        texts = kept
        c["filter_out"] = len(texts)
        c["filter_bytes_out"] = sum(map(len, texts))
        c["secs_filter"] = time.perf_counter() - t
    if (s["clean"] or red is not None) and texts:
        t = time.perf_counter()
        c["clean_in"] = len(texts)
        c["clean_bytes_in"] = sum(map(len, texts))
        if red is not None:
            res = red.redact_batch(texts, threads=1, clean=bool(s["clean"]))
            out = []
            for r, spans in res:
                out.append(r.encode("utf-8") if isinstance(r, str) else r)
                for sp in spans:
                    p.pii[sp.type] = p.pii.get(sp.type, 0) + 1
        else:
            out = [x.encode("utf-8") for x in llmdata.clean_texts(texts, threads=1)]
        c["empty"] = sum(1 for x in out if not x)
        texts = [x for x in out if x]
        c["clean_out"] = len(texts)
        c["clean_bytes_out"] = sum(map(len, texts))
        c["secs_clean"] = time.perf_counter() - t
    t = time.perf_counter()
    p.texts = texts
    if s["exact_dedup"] or s["near_dedup"]:
        p.hashes = [llmdata.exact_hash(x) for x in texts]
    c["secs_hash"] = time.perf_counter() - t
    return p


def summary(p):
    return p.c, p.rules, p.pii, len(p.texts)


def hash_frame(p, offset):
    import pandas as pd
    return pd.DataFrame({"h": pd.Series([h.hex() for h in p.hashes], dtype=object),
                         "doc": np.arange(offset, offset + len(p.texts), dtype=np.int64)})


# ---- stage 4: band keys, buckets, verification (workers) ------------------------------------------
def band_frame(p, offset, dropped, hasher, bands, rows):
    """(band, key hash, doc) rows of the documents that enter the buckets: not removed by exact
    dedup, not an exact copy of an earlier document, with a non-empty signature."""
    import pandas as pd
    t = time.perf_counter()
    idx = [i for i in range(len(p.texts)) if offset + i not in dropped]
    sigs = hasher.signatures([p.texts[i] for i in idx], threads=1) if idx else np.zeros((0, hasher.num_perm))
    band, h, doc = [], [], []
    for i, sig in zip(idx, sigs):
        if np.all(sig == 0xFFFFFFFF):
            continue      # no shingle: joins only through its exact hash
        for key in llmdata.band_keys(sig, bands, rows):
            band.append(int.from_bytes(key[:4], "little"))
            h.append(int.from_bytes(key[4:], "little"))
            doc.append(offset + i)
    df = pd.DataFrame({"band": np.array(band, np.uint32), "h": np.array(h, np.uint64),
                       "doc": np.array(doc, np.int64)})
    df.attrs["secs"] = time.perf_counter() - t
    return df


def buckets_of(df):
    """Buckets (documents sharing one band key) of two or more, members ascending."""
    import pandas as pd
    out = [sorted(g.tolist()) for _, g in df.groupby(["band", "h"], sort=False)["doc"] if len(g) > 1]
    return pd.DataFrame({"members": pd.Series(out, dtype=object)})


def shingle_sets(p, offset, wanted, hasher):
    return {offset + i: hasher.shingles(p.texts[i])[1] for i in range(len(p.texts)) if offset + i in wanted}


def verify_buckets(buckets, threshold, *set_maps):
    """Verified pairs of the buckets: member i against up to BUCKET_SCAN earlier members, nearest
    first, unless this bucket already joined them; exact Jaccard >= threshold (the library's test,
    to the same double rounding)."""
    sets = {}
    for m in set_maps:
        sets.update(m)
    pairs, checked = [], 0
    for members in buckets:
        parent = {d: d for d in members}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for i in range(1, len(members)):
            di = members[i]
            for k in range(i - 1, max(0, i - BUCKET_SCAN) - 1, -1):
                dk = members[k]
                ri, rk = find(di), find(dk)
                if ri == rk:
                    continue
                checked += 1
                a, b = sets[di], sets[dk]
                inter = np.intersect1d(a, b, assume_unique=True).size
                union = a.size + b.size - inter
                jac = inter / union if union else 0.0
                if jac >= threshold - 1e-12:
                    parent[max(ri, rk)] = min(ri, rk)
                    pairs.append((dk, di))
    return np.array(pairs, dtype=np.uint64).reshape(-1, 2), checked


# ---- stage 5: tokenize (workers) ------------------------------------------------------------------
def tokenize(p, offset, dropped, tok):
    t = time.perf_counter()
    texts = [x for i, x in enumerate(p.texts) if offset + i not in dropped]
    if tok is None:   # "bytes": UTF-8 bytes as ids 0..255
        ids = [np.frombuffer(x, dtype=np.uint8).astype(np.uint32) for x in texts]
    elif texts:
        flat, offs = tok.encode_batch(texts, add_special_tokens=False, threads=1)
        ids = [flat[offs[i]:offs[i + 1]] for i in range(len(texts))]
    else:
        ids = []
    return ids, len(texts), sum(map(len, texts)), time.perf_counter() - t


# ---- the driver -----------------------------------------------------------------------------------
def run(s, inputs, workers, block, client=None):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster
    own = client is None
    if own:
        tc = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        _log("cluster of %d workers started in %.2f s" % (workers, time.perf_counter() - tc))
    t0 = time.perf_counter()
    try:
        return _run(s, inputs, client, block, t0, dd)
    finally:
        if own:
            client.close()
            cluster.close()


def _run(s, inputs, client, block, t0, dd):
    import dask
    tok_spec = s["tokenizer"]
    tok = None if tok_spec == "bytes" else llmdata.Tokenizer(tok_spec)
    vocab = 257 if tok is None else tok.vocab_size
    tok_eos = 256 if tok is None else (tok.eos_id if tok.eos_id is not None else -1)
    eos = s["eos_id"] if s["eos_id_set"] else tok_eos
    pad = s["pad_id"] if s["pad_id_set"] else -1
    if not s["pad_id_set"] and s["strategy"] == "best-fit":
        pad = eos if eos >= 0 else 0
    # the pipeline's rule: "filters" (ordered list) wins, else the c4 / gopher switches pick from the
    # default list c4,badwords,gopher
    s["filter_list"] = (s["filters"] if s["filters"] is not None else ",".join(
        (["c4", "badwords"] if s["c4"] else []) + (["gopher"] if s["gopher"] else []))) if s["filter"] else ""
    filt = llmdata.QualityFilter(filters=s["filter_list"], min_bytes=s["min_bytes"], max_bytes=s["max_bytes"],
                                 languages=s["languages"], language_threshold=s["language_threshold"],
                                 bad_words_file=s["bad_words_file"]) if s["filter"] else None
    red = llmdata.Redactor(types=s["pii_types"] or "all") if s["redact"] else None
    out = llmdata.PipelineOutput(s["out"], overwrite=s["overwrite"])   # checks `out` before any work
    setup = time.perf_counter() - t0
    phases = {"setup": setup}
    try:
        parts = make_partitions(inputs, block)
        # Handles travel to the workers by pickling (each rebuilt from its constructor arguments).
        futs = [client.submit(prepare, part, s, filt, red, pure=False) for part in parts]
        _log("stage 2: %d partitions" % len(parts))
        sums = client.gather([client.submit(summary, f) for f in futs])
        phases["read_filter_clean_wall"] = time.perf_counter() - t0 - setup
        counts = [n for *_, n in sums]
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        n_docs = int(offsets[-1])
        dedup_t = time.perf_counter()
        dedup_secs_workers = sum(c["secs_hash"] for c, *_ in sums)
        # exact dedup: hashes shuffled, the first (smallest number) of each hash kept
        exact_removed, exact_copy_of = set(), {}
        if (s["exact_dedup"] or s["near_dedup"]) and n_docs:
            hf = dd.from_delayed([dask.delayed(hash_frame)(f, int(offsets[i])) for i, f in enumerate(futs)],
                                 meta={"h": object, "doc": np.int64})
            first = hf.groupby("h")["doc"].min().rename("first").reset_index()
            joined = hf.merge(first, on="h", how="left", shuffle="tasks")
            dup = joined[joined["doc"] != joined["first"]][["doc", "first"]].compute()
            exact_copy_of = dict(zip(dup["doc"].tolist(), dup["first"].tolist()))
        _log("exact dedup: %d copies" % len(exact_copy_of))
        if s["exact_dedup"]:
            exact_removed = set(exact_copy_of)
        near_removed, near_stats = set(), None
        if s["near_dedup"] and n_docs:
            near_removed, near_stats = near_dedup(s, client, futs, offsets, n_docs, exact_removed, exact_copy_of, dd)
        elif s["near_dedup"]:
            near_stats = {"clusters": 0, "largest": 0,
                          "sizes": dict.fromkeys(("2", "3", "4-5", "6-10", "11-100", ">100"), 0),
                          "candidates": 0, "pairs_verified": 0, "peak_bytes": 0, "spool_bytes": 0,
                          "spooled_text_bytes": 0}
        dedup_secs = dedup_secs_workers + (time.perf_counter() - dedup_t)
        _log("near dedup done")
        phases["dedup_wall"] = time.perf_counter() - dedup_t
        dropped = exact_removed | near_removed
        t_tok = time.perf_counter()
        dropped_f = _broadcast(client, dropped) if dropped else set()
        tfuts = [client.submit(tokenize, f, int(offsets[i]), dropped_f, tok, pure=False) for i, f in enumerate(futs)]
        # pack + write on the driver, in document order
        stage_dir = out.dir
        writer = llmdata.ShardWriter(os.path.join(stage_dir, "data"), format=s["format"], seq_len=s["seq_len"],
                                     vocab_size=vocab)
        packer = llmdata.Packer(seq_len=s["seq_len"], strategy=s["strategy"], bos_id=None if s["bos_id"] < 0 else
                                s["bos_id"], eos_id=None if eos < 0 else eos, pad_id=None if pad < 0 else pad,
                                buffer_windows=s["buffer"], vocab_size=vocab, sink=writer)
        tk = {"docs": 0, "bytes": 0, "tokens": 0, "secs": 0.0}
        pack_secs = 0.0
        for tf in tfuts:
            ids, nd, nb, secs = tf.result()
            tf.release()
            tk["docs"] += nd
            tk["bytes"] += nb
            tk["secs"] += secs
            t = time.perf_counter()
            for a in ids:
                tk["tokens"] += len(a)
                packer.add(a)
            pack_secs += time.perf_counter() - t
        t = time.perf_counter()
        packer.finish()
        pack_secs += time.perf_counter() - t
        ps = packer.stats
        packer.close()
        sizes = dict(read_bytes_in=sum(os.path.getsize(p) for p in inputs))
        phases["tokenize_pack_wall"] = time.perf_counter() - t_tok
        report = build_report(s, inputs, tok_spec, vocab, eos, pad, sums, n_docs, exact_removed, near_removed,
                              near_stats, tk, ps, pack_secs, sizes, setup, t0)
        report["stages"]["dedup"]["seconds"] = round(dedup_secs, 6)   # hashing (workers) + shuffles (wall)
        t = time.perf_counter()
        writer.finish({"report": report})
        report["stages"]["write"]["seconds"] = round(time.perf_counter() - t, 6)
        files = [f.name for f in writer.files]
        run_id = writer.run_id
        writer.close()
        report["total"]["seconds"] = round(time.perf_counter() - t0, 6)
        phases["total_wall"] = time.perf_counter() - t0     # up to the publish (fsync, rename)
        report["distributed"]["phases_seconds"] = {k: round(v, 3) for k, v in phases.items()}
        with open(os.path.join(stage_dir, "report.json"), "w", encoding="utf-8") as f:
            f.write(json.dumps(report, separators=(",", ":")) + "\n")
        for name in files + ["report.json"]:
            out.add_file(name)
        out.publish(run_id)
        return report
    finally:
        out.close()


def _broadcast(client, obj):
    """One future holding obj on every worker (scatter would split a collection into elements)."""
    return client.scatter([obj], broadcast=True, hash=False)[0]


def near_dedup(s, client, futs, offsets, n_docs, exact_removed, exact_copy_of, dd):
    import dask
    hasher = llmdata.MinHasher()
    bands, rows = llmdata.dedup_default_bands(s["near_threshold"], hasher.num_perm)
    # documents the cluster job sees: all but exact dedup's removals; exact copies (exact_dedup
    # off) are joined to their first and stay out of the buckets
    out_of_buckets = exact_removed | set(exact_copy_of)
    ob = _broadcast(client, out_of_buckets) if out_of_buckets else set()
    bf = dd.from_delayed([dask.delayed(band_frame)(f, int(offsets[i]), ob, hasher, bands, rows)
                          for i, f in enumerate(futs)],
                         meta={"band": np.uint32, "h": np.uint64, "doc": np.int64})
    # the shuffle: every row of one band key lands in one partition, then buckets form locally
    shuffled = bf.shuffle(on=["band", "h"], shuffle="tasks")
    buckets = shuffled.map_partitions(buckets_of, meta={"members": object}).compute()["members"].tolist()
    _log("buckets: %d" % len(buckets))
    candidates = set()
    for m in buckets:
        candidates.update(m)
    # shingle sets of the candidates, computed where their documents live
    cand_f = _broadcast(client, candidates) if candidates else set()
    set_futs = [client.submit(shingle_sets, f, int(offsets[i]), cand_f, hasher, pure=False)
                for i, f in enumerate(futs)]
    part_of = np.searchsorted(offsets, np.arange(n_docs), side="right") - 1
    chunks = max(1, len(client.scheduler_info()["workers"]) * 4)
    vfuts = []
    for c in range(chunks):
        chunk = buckets[c::chunks]
        if not chunk:
            continue
        need = sorted({int(part_of[d]) for m in chunk for d in m})
        vfuts.append(client.submit(verify_buckets, chunk, s["near_threshold"], *[set_futs[p] for p in need],
                                   pure=False))
    _log("verify: %d tasks" % len(vfuts))
    uf = llmdata.UnionFind(n_docs)
    checked = 0
    for pairs, k in client.gather(vfuts):
        uf.union_pairs(pairs)
        checked += k
    if not s["exact_dedup"]:
        for d, first in exact_copy_of.items():
            uf.union(first, d)
    in_job = [d for d in range(n_docs) if d not in exact_removed]
    roots = {}
    for d in in_job:
        r = uf.find(d)
        roots[r] = roots.get(r, 0) + 1
    removed = {d for d in in_job if uf.find(d) != d}
    hist = [0] * 6
    for z in roots.values():
        if z >= 2:
            hist[0 if z == 2 else 1 if z == 3 else 2 if z <= 5 else 3 if z <= 10 else 4 if z <= 100 else 5] += 1
    stats = {"clusters": len(roots), "largest": max(roots.values()) if roots else 0,
             "sizes": dict(zip(("2", "3", "4-5", "6-10", "11-100", ">100"), hist)),
             "candidates": len(candidates), "pairs_verified": checked, "peak_bytes": 0, "spool_bytes": 0,
             "spooled_text_bytes": 0}
    uf.close()
    return removed, stats


def _stage(docs_in=0, docs_out=0, bytes_in=0, bytes_out=0, tokens_in=0, tokens_out=0, secs=0.0):
    return {"docs_in": docs_in, "docs_out": docs_out, "bytes_in": bytes_in, "bytes_out": bytes_out,
            "tokens_in": tokens_in, "tokens_out": tokens_out, "seconds": round(secs, 6),
            "mb_per_s": round(bytes_in / 1e6 / secs, 3) if secs > 0 else 0.0}


def build_report(s, inputs, tok_spec, vocab, eos, pad, sums, n_docs, exact_removed, near_removed, near_stats, tk,
                 ps, pack_secs, sizes, setup, t0):
    tot = {}
    rules, pii = {}, {}
    for c, r, p, _ in sums:
        for k, v in c.items():
            tot[k] = tot.get(k, 0) + v
        for k, (a, b) in r.items():
            x = rules.setdefault(k, [0, 0])
            x[0] += a
            x[1] += b
        for k, v in p.items():
            pii[k] = pii.get(k, 0) + v
    kept = n_docs - len(exact_removed) - len(near_removed)
    kept_bytes = tk["bytes"]
    dedup_on = s["exact_dedup"] or s["near_dedup"]
    st = {}
    st["read"] = dict(_stage(tot["read_in"], tot["read_out"], sizes["read_bytes_in"], tot["read_bytes_out"],
                             secs=tot["secs_read"]), bad_lines=tot["bad"])
    st["filter"] = dict(_stage(tot["filter_in"], tot["filter_out"], tot["filter_bytes_in"], tot["filter_bytes_out"],
                               secs=tot["secs_filter"]), enabled=int(bool(s["filter"])), filters=s["filter_list"],
                        docs_modified=tot["modified"],
                        rules={name: {"docs_dropped": rules.get(name, [0, 0])[0],
                                      "lines_removed": rules.get(name, [0, 0])[1]} for name in llmdata.filter_rules()})
    st["clean"] = dict(_stage(tot["clean_in"], tot["clean_out"], tot["clean_bytes_in"], tot["clean_bytes_out"],
                              secs=tot["secs_clean"]), empty_dropped=tot["empty"],
                       pii={k: pii[k] for k in llmdata.PII_TYPES if k in pii})
    st["dedup"] = dict(_stage(n_docs if dedup_on else 0, kept if dedup_on else 0,
                              tot["clean_bytes_out"] if s["clean"] or s["redact"] else tot["filter_bytes_out"]
                              if s["filter"] else tot["read_bytes_out"], kept_bytes if dedup_on else 0),
                       exact_duplicates=len(exact_removed), near_duplicates=len(near_removed),
                       near_mode="cluster" if s["near_dedup"] else "off")
    if not dedup_on:
        st["dedup"]["bytes_in"] = 0
    if near_stats is not None:
        st["dedup"]["near_clusters"] = near_stats
    st["tokenize"] = _stage(tk["docs"], tk["docs"], tk["bytes"], 0, 0, tk["tokens"], tk["secs"])
    st["pack"] = dict(_stage(tk["docs"], ps.windows, 0, 0, ps.tokens_in, ps.tokens_out, pack_secs),
                      windows=ps.windows, pad_tokens=ps.pad_tokens, dropped_tokens=ps.dropped_tokens,
                      docs_truncated=ps.docs_truncated, docs_dropped=ps.docs_dropped,
                      efficiency=round(ps.tokens_out / (ps.windows * s["seq_len"]), 6) if ps.windows else 0.0)
    # token bytes written, as llmd_pipeline reports them: Parquet shards hold int32 ids whatever the
    # vocabulary; npy/MMIDIDX uint16 when the vocabulary fits
    id_bytes = 4 if s["format"] == "parquet" or vocab > 65536 else 2
    st["write"] = _stage(ps.windows, ps.windows, 0, ps.windows * s["seq_len"] * id_bytes)
    total = time.perf_counter() - t0
    return {"inputs": list(inputs), "tokenizer": tok_spec,
            "tokenizer_xxh3_128": "bytes" if tok_spec == "bytes" else llmdata.exact_hash(
                open(tok_spec, "rb").read()).hex(),
            "vocab_size": vocab, "seq_len": s["seq_len"], "strategy": s["strategy"], "format": s["format"],
            "threads": s["threads"], "batch": s["batch"], "bos_id": s["bos_id"], "eos_id": eos, "pad_id": pad,
            "stages": st,
            "total": {"seconds": round(total, 6), "setup_seconds": round(setup, 6), "bytes_in": sizes["read_bytes_in"],
                      "mb_per_s": round(sizes["read_bytes_in"] / 1e6 / total, 3), "docs_in": tot["read_out"],
                      "windows": ps.windows, "tokens_out": ps.tokens_out},
            "distributed": {"engine": "dask.distributed", "partitions": len(sums)}}


def _parser():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, required=True, help="worker processes of the LocalCluster")
    ap.add_argument("--config", help="JSON settings file (as `llmdata pipeline --config`)")
    ap.add_argument("--tokenizer", help="tokenizer file or 'bytes'")
    ap.add_argument("--seq-len", dest="seq_len", help="tokens per window")
    ap.add_argument("--out", help="output directory")
    ap.add_argument("--set", action="append", metavar="KEY=VALUE", help="any pipeline setting")
    ap.add_argument("--overwrite", action="store_true")
    ap.add_argument("--partition-bytes", type=int, default=64 << 20,
                    help="byte range per partition of a plain JSONL file (default 64 MiB)")
    ap.add_argument("-q", "--quiet", action="store_true")
    ap.add_argument("inputs", nargs="*")
    return ap


def argparse_args(argv):
    """The parsed command line (for callers that drive run() themselves, e.g. the test)."""
    return _parser().parse_args(argv)


def main(argv=None):
    ap = _parser()
    args = ap.parse_args(argv)
    if args.workers < 1 or args.partition_bytes < 1:
        ap.error("--workers and --partition-bytes must be >= 1")
    try:
        s, inputs = load_settings(args)
        report = run(s, inputs, args.workers, args.partition_bytes)
    except (llmdata.LlmdError, RuntimeError, OSError) as e:
        print(f"dask_pipeline: {e}", file=sys.stderr)
        return 1
    if not args.quiet:
        t = report["total"]
        print(f"dask_pipeline: {t['docs_in']} docs -> {t['windows']} windows ({t['tokens_out']} tokens) in "
              f"{t['seconds']:.2f} s on {args.workers} workers, {report['distributed']['partitions']} partitions",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
