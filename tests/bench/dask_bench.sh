#!/bin/bash
# The Dask pipeline (examples/python/dask_pipeline.py) against the single-process `llmdata pipeline`
# on the benchmark corpus (../shared/corpus/make_corpus.sh), with the same settings (GPT-2
# tokenizer, seq_len 2048, best-fit, every stage on): the CLI with 1 and 2 threads, Dask with 1 and
# 2 worker processes (1 thread each).  Checks that the shard bytes are identical, then prints wall
# seconds, the ratio Dask / CLI, the overhead per document, and where the Dask run's time goes
# (cluster start, read+filter+clean, dedup shuffles, tokenize+pack, summed worker seconds).
#   usage: dask_bench.sh BUILD_DIR [CORPUS.jsonl]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: dask_bench.sh BUILD_DIR [CORPUS.jsonl]}" && pwd)
corpus=${2:-${LLMD_CORPUS_JSONL:-}}
if [ -z "$corpus" ] && [ -f "$root/../corpus/corpus.jsonl" ]; then corpus="$root/../corpus/corpus.jsonl"; fi
if [ -z "$corpus" ]; then
  corpus="$root/tests/tokenizer/cache/corpus/corpus.jsonl"
  [ -f "$corpus" ] || bash "$root/../shared/corpus/make_corpus.sh" "$(dirname "$corpus")" >/dev/null
fi
/usr/bin/python3 -c "import distributed" 2>/dev/null || { echo "dask_bench: python3-distributed missing"; exit 77; }
cli="$build/examples/llmdata/llmdata"
tok="$root/examples/data/gpt2-tokenizer.json"
export LLMDATA_LIBRARY="$build/lib/libllmdata.so" LD_LIBRARY_PATH="$build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
common=(--tokenizer "$tok" --seq-len 2048)
bench() { # name, config JSON
  local name=$1
  cfg="$out/$name.json"; echo "$2" > "$cfg"
  for th in 1 2; do
    s=$(date +%s.%N)
    "$cli" pipeline -q --config "$cfg" "${common[@]}" --threads "$th" --out "$out/cli$th" "$corpus"
    e=$(date +%s.%N)
    echo "$s $e" > "$out/cli$th.wall"
  done
  for w in 1 2; do
    s=$(date +%s.%N)
    LLMD_DASK_VERBOSE=1 /usr/bin/python3 "$root/examples/python/dask_pipeline.py" -q --workers "$w" --config "$cfg" \
      "${common[@]}" --partition-bytes $((8 << 20)) --out "$out/dask$w" "$corpus" 2> "$out/dask$w.log" ||
      { cat "$out/dask$w.log"; exit 1; }
    e=$(date +%s.%N)
    echo "$s $e" > "$out/dask$w.wall"
  done
  /usr/bin/python3 - "$out" "$corpus" "$name" <<'P'
import json, os, sys
out, corpus, name = sys.argv[1], sys.argv[2], sys.argv[3]
def wall(n):
    s, e = map(float, open(f"{out}/{n}.wall").read().split())
    return e - s
def same(a, b):
    names = [n for n in os.listdir(f"{out}/{a}") if n.startswith("data.") and not n.endswith("manifest.json")]
    return all(open(f"{out}/{a}/{n}", "rb").read() == open(f"{out}/{b}/{n}", "rb").read() for n in names)
r = json.load(open(f"{out}/cli1/report.json"))
docs = r["total"]["docs_in"]
mb = os.path.getsize(corpus) / 1e6
print(f"== {name}: corpus {mb:.1f} MB, {docs} documents, {r['stages']['tokenize']['docs_in']} tokenized, "
      f"{r['total']['windows']} windows")
for k in (1, 2):
    d = json.load(open(f"{out}/dask{k}/report.json"))
    cw, dw = wall(f"cli{k}"), wall(f"dask{k}")
    ph = d["distributed"]["phases_seconds"]
    work = {s: v["seconds"] for s, v in d["stages"].items()}
    cs = {s: v["seconds"] for s, v in json.load(open(f"{out}/cli{k}/report.json"))["stages"].items()}
    print(f"{k} worker(s) vs CLI --threads {k}: CLI {cw:.2f} s, Dask {dw:.2f} s (incl. cluster start) -> "
          f"ratio {dw / cw:.2f}x, overhead {(dw - cw) / docs * 1e3:.3f} ms/doc "
          f"({(ph['total_wall'] - cw) / docs * 1e3:.3f} ms/doc without the cluster start); identical shards: "
          f"{same(f'cli{k}', f'dask{k}')}")
    print(f"   Dask phases (wall s): " + ", ".join(f"{p} {v:.2f}" for p, v in ph.items()) +
          f"; cluster start {dw - ph['total_wall']:.2f}")
    print(f"   Dask stage seconds (summed over workers/driver): " + ", ".join(f"{s} {v:.2f}" for s, v in work.items()))
    print(f"   CLI stage seconds:                               " + ", ".join(f"{s} {v:.2f}" for s, v in cs.items()))
P
  rm -rf "$out"/cli? "$out"/dask?
}
bench "every stage on (best-fit)" '{"strategy": "best-fit"}'
bench "no quality filters (every document cleaned, deduped, tokenized)" '{"strategy": "best-fit", "filter": false}'
