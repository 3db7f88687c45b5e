#!/usr/bin/python3
"""examples/python/dask_pipeline.py against `llmdata pipeline` (the single-process reference):
for several settings, over LocalClusters of 1, 2 and 4 worker processes and different
partitionings, the shard files must be byte-identical and the report's counts equal.

Usage: test_dask_pipeline.py LLMDATA_CLI   (env LLMDATA_LIBRARY: the built library)
Without dask/distributed: exit 77 (skip), or failure under CI=true.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "bindings", "python"))
sys.path.insert(0, os.path.join(ROOT, "examples", "python"))

try:
    import distributed  # noqa: F401
    import dask.dataframe  # noqa: F401
except ImportError as e:
    msg = f"test_dask_pipeline: dask/distributed missing ({e}): install python3-dask python3-distributed"
    if os.environ.get("CI") == "true":
        print(msg + " -- required under CI=true", file=sys.stderr)
        sys.exit(1)
    print(msg + " -- skipped", file=sys.stderr)
    sys.exit(77)

import llmdata  # noqa: E402
import dask_pipeline  # noqa: E402

# Report fields that measure this run rather than count data (time, throughput, how the work was
# spread, the cluster job's internal bookkeeping): not compared.
VOLATILE = {"seconds", "mb_per_s", "setup_seconds", "pairs_verified", "peak_bytes", "spool_bytes",
            "spooled_text_bytes", "distributed"}


def counts(x):
    if isinstance(x, dict):
        return {k: counts(v) for k, v in x.items() if k not in VOLATILE}
    if isinstance(x, list):
        return [counts(v) for v in x]
    return x


def diff(a, b, path=""):
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b)):
            out += diff(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{path}.{k}")
        return out
    return [] if a == b else [f"{path}: single {a!r} vs dask {b!r}"]


def make_inputs(tmp):
    """sample.jsonl (HTML, PII, near/exact copies, low-quality docs); the dedup cluster set as
    JSONL (chains copy-base-copy) split into a .zst part, a .gz part and a plain part."""
    sample = os.path.join(ROOT, "examples", "data", "sample.jsonl")
    rows = []
    with open(os.path.join(ROOT, "tests", "data", "dedup", "clusters_small.tsv"), encoding="utf-8") as f:
        for line in f:
            doc_id, _cluster, _flag, text = line.rstrip("\n").split("\t", 3)
            rows.append(json.dumps({"id": doc_id, "text": text}, ensure_ascii=False))
    third = len(rows) // 3
    plain = os.path.join(tmp, "clusters_c.jsonl")
    with open(plain, "w", encoding="utf-8") as f:
        f.write("\n".join(rows[2 * third:]) + "\n")
    gz = os.path.join(tmp, "clusters_b.jsonl.gz")
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        f.write("\r\n".join(rows[third:2 * third]) + "\r\n\r\n")     # CRLF and an empty line
    zst = os.path.join(tmp, "clusters_a.jsonl.zst")
    src = os.path.join(tmp, "clusters_a.jsonl")
    with open(src, "w", encoding="utf-8") as f:
        f.write("\n".join(rows[:third]))                              # no final newline
    subprocess.run(["zstd", "-q", "-f", src, "-o", zst], check=True)
    os.unlink(src)
    bad = os.path.join(tmp, "bad.jsonl")
    with open(bad, "w", encoding="utf-8") as f:
        f.write("\n".join(rows[:40]) + '\n{"text": oops}\n{"id":"no text"}\n' + "\n".join(rows[40:80]) + "\n")
    return sample, [zst, gz, plain, sample], bad


def cases(tmp):
    sample, clusters, bad = make_inputs(tmp)
    gpt2 = os.path.join(ROOT, "examples", "data", "gpt2-tokenizer.json")
    cfg = os.path.join(tmp, "config.json")
    with open(cfg, "w") as f:
        json.dump({"strategy": "best-fit", "buffer": 8, "format": "npy", "min_bytes": 50, "batch": 7,
                   "filters": ["c4", "badwords", "gopher-repetition"]}, f)
    return [
        # name, config file or None, settings (key=value), inputs
        ("defaults-gpt2", None, {"tokenizer": gpt2, "seq_len": "256"}, [sample]),
        ("nofilter-bytes-clusters", None, {"tokenizer": "bytes", "seq_len": "512", "filter": "0"}, clusters),
        ("noexact-bestfit-npy", cfg, {"tokenizer": gpt2, "seq_len": "128", "exact_dedup": "0", "gopher": "0",
                                      "near_threshold": "0.7"}, clusters),
        ("bos-pad-greedy", None, {"tokenizer": gpt2, "seq_len": "64", "bos_id": "50256", "pad_id": "0",
                                  "eos_id": "-1", "redact": "0", "filter": "0"}, [sample] + clusters[:2]),
        ("skip-bad", None, {"tokenizer": "bytes", "seq_len": "300", "skip_bad": "1", "clean": "0",
                                  "gopher": "0"}, [bad, sample]),
        ("parquet-shards", None, {"tokenizer": gpt2, "seq_len": "96", "format": "parquet", "eos_id": "50256"},
         clusters),
    ]


def cli_args(cli, name, cfg, settings, inputs, out):
    a = [cli, "pipeline", "-q", "--out", out]
    if cfg:
        a += ["--config", cfg]
    for k, v in settings.items():
        a += ["--set", f"{k}={v}"]
    return a + inputs


def same_shard_file(a, b):
    """Byte-identical, except Parquet shards: each run writes its run id into the file's key/value
    metadata, so there the row groups, every column's values and the other metadata must match."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        if fa.read() == fb.read():
            return True
    if not a.endswith(".parquet"):
        return False
    with llmdata.ParquetFile(a) as pa, llmdata.ParquetFile(b) as pb:
        strip = lambda m: {k: v for k, v in m.items() if k != "llmdata.run_id"}
        if (pa.num_rows, pa.num_row_groups, pa.schema, strip(pa.metadata)) != \
           (pb.num_rows, pb.num_row_groups, pb.schema, strip(pb.metadata)):
            return False
        return all(pa.read_column(c[0]).to_pylist() == pb.read_column(c[0]).to_pylist() for c in pa.schema)


def comparable_manifest(man):
    """The manifest without what differs between two runs of the same work: the run id and the
    report (compared on their own), and for Parquet shards each file's XXH3 (the files carry the run id)."""
    m = {k: v for k, v in man.items() if k not in ("report", "run_id")}
    if m.get("format") == "parquet":
        m["files"] = [{k: v for k, v in f.items() if k != "xxh3"} for f in m["files"]]
    return m


def shard_files(out):
    with open(os.path.join(out, "data.manifest.json"), encoding="utf-8") as f:
        man = json.load(f)
    names = sorted(n for n in os.listdir(out) if n.startswith("data.") and n != "data.manifest.json")
    return man, names


def command_line(cli, tmp, refs):
    """The script as users run it: the same bytes through its command line, and a bad line
    without skip_bad fails like the CLI (exit status, FILE:LINE in the message)."""
    fails = []
    script = os.path.join(ROOT, "examples", "python", "dask_pipeline.py")
    name, _cfg, settings, inputs = cases(tmp)[1]
    out = os.path.join(tmp, "cmdline")
    p = subprocess.run([sys.executable, script, "--workers", "2", "--tokenizer", settings["tokenizer"], "--seq-len",
                        settings["seq_len"], "--set", "filter=0", "--out", out, "-q"] + inputs,
                       capture_output=True, text=True)
    if p.returncode != 0:
        return [f"command line: exit {p.returncode}: {p.stderr[-2000:]}"]
    for n in shard_files(refs[name][0])[1]:
        with open(os.path.join(refs[name][0], n), "rb") as a, open(os.path.join(out, n), "rb") as b:
            if a.read() != b.read():
                fails.append(f"command line: {n} differs")
    bad = os.path.join(tmp, "bad.jsonl")
    ref = subprocess.run([cli, "pipeline", "-q", "--tokenizer", "bytes", "--seq-len", "64", "--out",
                          os.path.join(tmp, "bad-ref"), bad], capture_output=True, text=True)
    p = subprocess.run([sys.executable, script, "--workers", "1", "--tokenizer", "bytes", "--seq-len", "64",
                        "--partition-bytes", "5000", "--out", os.path.join(tmp, "bad-dask"), bad],
                       capture_output=True, text=True)
    if ref.returncode == 0 or p.returncode == 0:
        fails.append(f"bad line: exit {ref.returncode} (cli) / {p.returncode} (dask), want failures")
    if f"{bad}:41" not in ref.stderr or f"{bad}:41" not in p.stderr:
        fails.append(f"bad line: messages lack {bad}:41: cli {ref.stderr.strip()!r}, dask {p.stderr.strip()[-300:]!r}")
    if os.path.exists(os.path.join(tmp, "bad-dask")):
        fails.append("bad line: the failed Dask run left its output directory")
    if not fails:
        print(f"ok   command line: same bytes; bad line reported as {bad}:41 by both", flush=True)
    return fails


def main():
    cli = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="llmd-dask-test-")
    failures = []
    try:
        refs = {}
        for name, cfg, settings, inputs in cases(tmp):
            out = os.path.join(tmp, "ref-" + name)
            subprocess.run(cli_args(cli, name, cfg, settings, inputs, out), check=True)
            with open(os.path.join(out, "report.json")) as f:
                refs[name] = (out, json.load(f))
        nd = refs["nofilter-bytes-clusters"][1]["stages"]["dedup"]
        assert nd["near_duplicates"] > 50 and nd["exact_duplicates"] > 0, nd   # the data exercises both
        assert refs["noexact-bestfit-npy"][1]["stages"]["dedup"]["exact_duplicates"] == 0
        from distributed import Client, LocalCluster
        for workers, block in ((1, 1 << 30), (2, 30000), (4, 4096)):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
            client = Client(cluster)
            try:
                for name, cfg, settings, inputs in cases(tmp):
                    ref_out, ref_report = refs[name]
                    out = os.path.join(tmp, f"dask-{name}-{workers}")
                    argv = ["--workers", str(workers), "--out", out, "--partition-bytes", str(block)]
                    if cfg:
                        argv += ["--config", cfg]
                    for k, v in settings.items():
                        argv += ["--set", f"{k}={v}"]
                    args = dask_pipeline.argparse_args(argv + inputs)
                    s, ins = dask_pipeline.load_settings(args)
                    report = dask_pipeline.run(s, ins, workers, block, client=client)
                    tag = f"{name}, {workers} workers, partitions of {block} bytes " \
                          f"({report['distributed']['partitions']} partitions)"
                    llmdata.verify_output(out, checksums=True)
                    ref_man, ref_names = shard_files(ref_out)
                    man, names = shard_files(out)
                    if names != ref_names:
                        failures.append(f"{tag}: files {names} vs {ref_names}")
                    for n in ref_names:
                        if not same_shard_file(os.path.join(ref_out, n), os.path.join(out, n)):
                            failures.append(f"{tag}: {n} differs")
                    with open(os.path.join(out, "report.json")) as f:
                        on_disk = json.load(f)
                    for what, mine in (("report.json", on_disk), ("manifest report", man["report"])):
                        d = diff(counts(ref_report), counts(mine))
                        failures += [f"{tag}: {what} {x}" for x in d]
                    d = diff(comparable_manifest(ref_man), comparable_manifest(man))
                    failures += [f"{tag}: manifest {x}" for x in d]
                    print(f"ok   {tag}: {on_disk['total']['windows']} windows, "
                          f"{on_disk['stages']['dedup']['exact_duplicates']} exact + "
                          f"{on_disk['stages']['dedup']['near_duplicates']} near duplicates", flush=True)
            finally:
                client.close()
                cluster.close()
        failures += command_line(cli, tmp, refs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    print(f"test_dask_pipeline: {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
