#!/bin/bash
# Text cleaning + PII redaction throughput per document, against the seed's Python clean_text on
# the same documents in the same run.
#   tests/bench/text_bench.sh BUILD_DIR [CORPUS.jsonl] [REPEATS]
# Corpus: the argument, else $LLMD_CORPUS_JSONL, else ../corpus/corpus.jsonl next to the checkout,
# else built once with ../shared/corpus/make_corpus.sh into tests/tokenizer/cache/corpus/.
# Prints, with MB = UTF-8 bytes of the documents' "text" fields:
#   bench_text: per document (llmd_clean_and_redact per call, llmd_text_batch_run threads=1) and
#     the old one-blob figure (all documents as one text);
#   the seed (tests/bench/seed_clean.py, /usr/bin/python3), best of 2;
#   llmdata clean --threads 1 and 2 (whole process, JSONL in, JSONL to a file through standard
#     output -- `-o FILE` adds the fsync of its atomic publish), best of REPEATS, and a check that
#     both outputs are the same bytes;
#   the Python binding (text_py_bench.py: redact_batch(threads=1, clean=True) beside the seed in
#     one process);
#   a summary of ratios to the seed (goal: >= 30x per document in-process and in the CLI).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:?usage: text_bench.sh BUILD_DIR [CORPUS.jsonl] [REPEATS]}" && pwd)
corpus=${2:-${LLMD_CORPUS_JSONL:-}}
reps=${3:-3}
if [ -z "$corpus" ] && [ -f "$root/../corpus/corpus.jsonl" ]; then corpus="$root/../corpus/corpus.jsonl"; fi
if [ -z "$corpus" ]; then
  corpus="$root/tests/tokenizer/cache/corpus/corpus.jsonl"
  if [ ! -f "$corpus" ]; then
    maker="$root/../shared/corpus/make_corpus.sh"
    [ -f "$maker" ] || { echo "text_bench: no corpus given and no $maker" >&2; exit 2; }
    bash "$maker" "$(dirname "$corpus")" >/dev/null
  fi
fi
bench="$build/tests/bench/bench_text"
cli="$build/examples/llmdata/llmdata"
[ -x "$bench" ] && [ -x "$cli" ] || { echo "text_bench: build $build first (ninja -C $build)" >&2; exit 2; }
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT

echo "== bench_text (C, one thread), $corpus =="
c_out=$("$bench" "$corpus" "$reps" 2)
echo "$c_out"
mb=$(echo "$c_out" | awk '$1 == "input:" {print $3}')

echo "== seed clean_text (Python), best of 2 =="
seed_out=$(/usr/bin/python3 "$here/seed_clean.py" "$corpus" 2)
echo "$seed_out"
seed=$(echo "$seed_out" | awk '{print $3}')

cli_best() {  # threads -> best wall seconds of the whole process
  local th=$1 best="" t0 t1 dt
  for _ in $(seq "$reps"); do
    t0=$EPOCHREALTIME
    "$cli" clean -q --threads "$th" "$corpus" > "$out/t$th.jsonl"
    t1=$EPOCHREALTIME
    dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')
    if [ -z "$best" ] || awk -v a="$dt" -v b="$best" 'BEGIN {exit !(a < b)}'; then best=$dt; fi
  done
  echo "$best"
}
echo "== llmdata clean (whole process, JSONL in, JSONL out to a file via stdout), best of $reps =="
cli1=$(cli_best 1); cli2=$(cli_best 2)
cmp -s "$out/t1.jsonl" "$out/t2.jsonl" || { echo "text_bench: --threads 2 output differs from --threads 1" >&2; exit 1; }
awk -v mb="$mb" -v a="$cli1" -v b="$cli2" 'BEGIN {
  printf "clean --threads 1  %8.1f MB/s  (%.3f s)\nclean --threads 2  %8.1f MB/s  (%.3f s)  same output\n",
         mb / a, a, mb / b, b }'

echo "== Python binding =="
py_out=$(PYTHONPATH="$root/bindings/python" LLMDATA_LIBRARY="$build/lib/libllmdata.so" \
  /usr/bin/python3 "$here/text_py_bench.py" "$corpus" "$reps")
echo "$py_out"

echo "== summary: ratio to the seed (${seed} MB/s; goal 30x = $(awk -v s="$seed" 'BEGIN {printf "%.0f", 30 * s}') MB/s) =="
per_doc=$(echo "$c_out" | awk '$1 == "clean+redact" {print $2}')
batch=$(echo "$c_out" | awk '$1 == "batch" && $2 == "x1" {print $3}')
blob=$(echo "$c_out" | awk '$1 == "one-blob" {print $2}')
awk -v s="$seed" -v d="$per_doc" -v b="$batch" -v o="$blob" -v mb="$mb" -v a="$cli1" -v c="$cli2" 'BEGIN {
  printf "in-process per document (llmd_clean_and_redact)  %6.1fx\n", d / s
  printf "in-process per document (batch API, 1 thread)    %6.1fx\n", b / s
  printf "CLI clean --threads 1                            %6.1fx\n", mb / a / s
  printf "CLI clean --threads 2                            %6.1fx\n", mb / c / s
  printf "one blob (all documents as one text; old figure) %6.1fx\n", o / s }'
echo "$py_out" | awk '/redact_batch clean=True/ {print "Python redact_batch (vs the seed in its process)  " $(NF-1) " " $NF}'
