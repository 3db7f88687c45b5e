#!/bin/bash
# Parquet throughput: ours (tests/bench/bench_parquet) vs DuckDB (@duckdb/node-api, COPY TO /
# read_parquet) on the same tables in the same run, DuckDB at 1 thread and at its default (all cores).
#   usage: parquet_bench.sh BUILD_DIR [CORPUS.txt]
# The corpus defaults to tests/tokenizer/cache/corpus/corpus.txt (made by ../shared/corpus/make_corpus.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: parquet_bench.sh BUILD_DIR [CORPUS.txt]}
corpus=${2:-$here/../tokenizer/cache/corpus/corpus.txt}
if [ ! -f "$corpus" ]; then
  bash "$here/../../../shared/corpus/make_corpus.sh" "$(dirname "$corpus")" >/dev/null
fi
[ -d "$here/../parquet/peer/node_modules/@duckdb/node-api" ] || bash "$here/../parquet/fetch_peers.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
out="$work/out.txt"
"$build/tests/bench/bench_parquet" --corpus "$corpus" --dir "$work" | tee "$out"
cores=$(nproc)
node "$here/parquet_peer.mjs" "$work" 1 | tee -a "$out"
node "$here/parquet_peer.mjs" "$work" "$cores" | tee -a "$out"
/usr/bin/python3 - "$out" "$cores" <<'PY'
import re, sys
ours, peer = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"llmdata (\w+) (\w+) (write|read): ([\d.]+) MB/s, (\d+) rows/s", line)
    if m:
        ours[m.group(1, 2, 3)] = int(m.group(5))
    m = re.match(r"duckdb (\w+) (\w+) threads=(\d+) (write|read): (\d+) rows/s", line)
    if m:
        peer[(m.group(1), m.group(2), m.group(4), int(m.group(3)))] = int(m.group(5))
print(f"\nratio llmdata (1 thread) / DuckDB, rows/s (DuckDB at 1 thread | at {sys.argv[2]} threads):")
for key, r in sorted(ours.items()):
    p1, pn = peer.get(key + (1,)), peer.get(key + (int(sys.argv[2]),))
    if p1 and pn:
        print(f"  {' '.join(key):28s} {r / p1:5.2f}x | {r / pn:5.2f}x")
PY
