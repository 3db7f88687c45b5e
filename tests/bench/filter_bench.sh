#!/bin/sh
# Quality-filter throughput against datatrove's own filter classes, same documents, same run.
#   tests/bench/filter_bench.sh BUILD_DIR [CORPUS.jsonl] [DATATROVE_CHECKOUT] [DOCS]
# CORPUS defaults to $LLMD_CORPUS_JSONL, else ../corpus/corpus.jsonl next to the checkout, else it is
# built with ../shared/corpus/make_corpus.sh into tests/tokenizer/cache/corpus/ (git-ignored).
# The first DOCS documents (default 1000) are used by both sides.  bench_filter (C, one thread,
# best of 3) and tests/bench/datatrove_filters_ref.py (datatrove + Debian's python3-nltk, one
# thread) both report MB/s of text per second of thread CPU time (the machine is shared; wall time
# would measure the other jobs).  Each filter set is printed with the ratio.  Without a datatrove
# checkout (or $DATATROVE_DIR) only the C side runs ("peer absent").
set -eu
BUILD=${1:?usage: filter_bench.sh BUILD_DIR [CORPUS.jsonl] [DATATROVE_CHECKOUT] [DOCS]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CORPUS=${2:-${LLMD_CORPUS_JSONL:-}}
DT=${3:-${DATATROVE_DIR:-}}
DOCS=${4:-1000}
if [ -z "$CORPUS" ] && [ -f "$root/../corpus/corpus.jsonl" ]; then CORPUS="$root/../corpus/corpus.jsonl"; fi
if [ -z "$CORPUS" ]; then
  CORPUS="$root/tests/tokenizer/cache/corpus/corpus.jsonl"
  [ -f "$CORPUS" ] || bash "$root/../shared/corpus/make_corpus.sh" "$(dirname "$CORPUS")" >/dev/null
fi
bench="$BUILD/tests/bench/bench_filter"
[ -x "$bench" ] || { echo "filter_bench: $bench not built" >&2; exit 2; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
head -n "$DOCS" "$CORPUS" > "$T/docs.jsonl"
SETS="c4;badwords;gopher;gopher-repetition;fineweb;c4,badwords,gopher,gopher-repetition,fineweb"
echo "corpus: $CORPUS (first $DOCS documents)"
"$bench" "$T/docs.jsonl" 3 "$SETS" | tee "$T/c.txt"
if [ -z "$DT" ] || [ ! -d "$DT/src/datatrove" ]; then
  echo "filter_bench: no datatrove checkout given: peer absent, no ratio"; exit 0
fi
/usr/bin/python3 "$here/datatrove_filters_ref.py" "$DT" "$T/docs.jsonl" "$SETS" | tee "$T/p.txt"
awk 'FNR == 1 { f++ } f == 1 && $3 == "MB/s" { c[$1] = $2 } f == 2 && $3 == "MB/s" { p[$1] = $2 }
     END { for (k in c) if (k in p) printf "ratio %-48s %6.0fx (llmdata %.1f MB/s, datatrove %.2f MB/s)\n", k, c[k] / p[k], c[k], p[k] }' \
  "$T/c.txt" "$T/p.txt" | sort
