#!/bin/sh
# Text cleaning + PII redaction throughput against the seed's Python pass, on the same corpus.
#   tests/bench/text_bench.sh BUILD_DIR [CORPUS.txt]
# CORPUS defaults to /work/corpus/corpus.txt, else it is built once with
# ../shared/corpus/make_corpus.sh into ${XDG_CACHE_HOME:-~/.cache}/llmdata-corpus.
# Prints bench_text's MB/s (clean, redact, clean+redact; single thread, best of 3), the seed's MB/s
# (/usr/bin/python3, best of 1) and the ratio clean+redact / seed.
set -eu
BUILD=${1:?usage: text_bench.sh BUILD_DIR [CORPUS.txt]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CORPUS=${2:-}
if [ -z "$CORPUS" ]; then
  if [ -f /work/corpus/corpus.txt ]; then
    CORPUS=/work/corpus/corpus.txt
  else
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/llmdata-corpus
    if [ ! -f "$cache/corpus.txt" ]; then
      maker="$root/../shared/corpus/make_corpus.sh"
      [ -x "$maker" ] || maker="$(git -C "$root" rev-parse --show-toplevel)/../shared/corpus/make_corpus.sh"
      [ -f "$maker" ] || { echo "text_bench: no corpus given and no make_corpus.sh found" >&2; exit 2; }
      bash "$maker" "$cache" >&2
    fi
    CORPUS=$cache/corpus.txt
  fi
fi
bench="$BUILD/tests/bench/bench_text"
[ -x "$bench" ] || { echo "text_bench: $bench not built (ninja -C $BUILD tests/bench/bench_text)" >&2; exit 2; }
echo "corpus: $CORPUS"
c_out=$("$bench" "$CORPUS" 3)
echo "$c_out"
seed_out=$(/usr/bin/python3 "$here/seed_clean.py" "$CORPUS" 1)
echo "$seed_out"
ours=$(echo "$c_out" | awk '$1 == "clean+redact" {print $2}')
seed=$(echo "$seed_out" | awk '{print $3}')
awk -v a="$ours" -v b="$seed" 'BEGIN {
  printf "ratio clean+redact / seed: %.1fx (goal 30x = %.0f MB/s)\n", a / b, 30 * b }'
