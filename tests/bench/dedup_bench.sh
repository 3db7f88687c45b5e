#!/bin/sh
# MinHash signature throughput and end-to-end dedup against datasketch's method, same corpus.
#   tests/bench/dedup_bench.sh BUILD_DIR [CORPUS.txt] [MAX_BYTES]
# CORPUS defaults to /work/corpus/corpus.txt, else it is built once with
# ../shared/corpus/make_corpus.sh into ${XDG_CACHE_HOME:-~/.cache}/llmdata-corpus.
# bench_dedup runs on the whole corpus (best of 3, one thread); datasketch_ref.py (Debian
# /usr/bin/python3 + numpy + hashlib) on its first MAX_BYTES bytes (default 4 MB, same document
# cut).  Prints both and the ratio of the single-thread signature rates.
set -eu
BUILD=${1:?usage: dedup_bench.sh BUILD_DIR [CORPUS.txt] [MAX_BYTES]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CORPUS=${2:-}
MAXB=${3:-4000000}
if [ -z "$CORPUS" ]; then
  if [ -f /work/corpus/corpus.txt ]; then
    CORPUS=/work/corpus/corpus.txt
  else
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/llmdata-corpus
    if [ ! -f "$cache/corpus.txt" ]; then
      maker="$root/../shared/corpus/make_corpus.sh"
      [ -f "$maker" ] || { echo "dedup_bench: no corpus given and no $maker" >&2; exit 2; }
      bash "$maker" "$cache" >&2
    fi
    CORPUS=$cache/corpus.txt
  fi
fi
bench="$BUILD/tests/bench/bench_dedup"
[ -x "$bench" ] || { echo "dedup_bench: $bench not built (ninja -C $BUILD tests/bench/bench_dedup)" >&2; exit 2; }
echo "corpus: $CORPUS"
c_out=$("$bench" "$CORPUS" 3)
echo "$c_out"
ref_out=$(/usr/bin/python3 "$here/datasketch_ref.py" "$CORPUS" "$MAXB")
echo "$ref_out"
ours=$(echo "$c_out" | awk '$1 == "minhash-simd" {print $2}')
ref=$(echo "$ref_out" | awk '{print $2}')
awk -v a="$ours" -v b="$ref" 'BEGIN {
  printf "ratio signatures / datasketch method: %.0fx (goal 100x = %.0f MB/s, floor 40x = %.0f MB/s)\n", a / b, 100 * b, 40 * b }'
