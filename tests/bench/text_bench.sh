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
#     output -- `-o FILE` adds the fsync of its atomic publish), REPEATS runs of each interleaved,
#     best and median of wall and CPU time, the load average, and a check that both outputs are
#     the same bytes;
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

load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "== bench_text (C, one thread), $corpus =="
c_out=$("$bench" "$corpus" "$reps" 2)
echo "$c_out"
mb=$(echo "$c_out" | awk '$1 == "input:" {print $3}')

echo "== seed clean_text (Python), best of 2 =="
seed_out=$(/usr/bin/python3 "$here/seed_clean.py" "$corpus" 2)
echo "$seed_out"
seed=$(echo "$seed_out" | awk '{print $3}')

# Runs `llmdata clean --threads 1` and `--threads 2` REPEATS times each, interleaved (1, 2, 1, 2, ...)
# so both see the same machine load; wall and CPU (user + sys of all threads, ms resolution from
# bash's time) of every run go to $out/runs.$th.
TIMEFORMAT='%3R %3U %3S'
for _ in $(seq "$reps"); do
  for th in 1 2; do
    # Each run writes a new file, as a user's run does: truncating the previous run's 30 MB output
    # (the shell's O_TRUNC, in the timed child) would add 10-20 ms of page freeing that is not the
    # command's work.  The output is compared after the loop.
    rm -f "$out/t$th.jsonl"
    { time "$cli" clean -q --threads "$th" "$corpus" > "$out/t$th.jsonl"; } 2> "$out/time"
    awk '{printf "%.4f %.4f\n", $1, $2 + $3}' "$out/time" >> "$out/runs.$th"
  done
done
stat_of() {  # threads column(1 wall, 2 CPU) -> "median best"
  sort -n -k"$2" "$out/runs.$1" | awk -v c="$2" '{v[NR] = $c} END {
    m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f %.4f", m, v[1] }'
}
read -r wmed1 cli1 <<< "$(stat_of 1 1)"; read -r cmed1 cpu1 <<< "$(stat_of 1 2)"
read -r wmed2 cli2 <<< "$(stat_of 2 1)"; read -r cmed2 cpu2 <<< "$(stat_of 2 2)"
echo "== llmdata clean (whole process, JSONL in, JSONL out to a file via stdout), $reps runs each, interleaved =="
echo "   load average before/after: $load0 / $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
cmp -s "$out/t1.jsonl" "$out/t2.jsonl" || { echo "text_bench: --threads 2 output differs from --threads 1" >&2; exit 1; }
awk -v mb="$mb" -v a="$cli1" -v b="$cli2" -v ca="$cpu1" -v cb="$cpu2" -v ma="$wmed1" -v mb2="$wmed2" \
    -v mca="$cmed1" -v mcb="$cmed2" 'BEGIN {
  printf "clean --threads 1  best %7.1f MB/s (%.3f s; CPU %.3f s)   median %7.1f MB/s (%.3f s; CPU %.3f s)\n", mb / a, a, ca, mb / ma, ma, mca
  printf "clean --threads 2  best %7.1f MB/s (%.3f s; CPU %.3f s)   median %7.1f MB/s (%.3f s; CPU %.3f s)  same output\n", mb / b, b, cb, mb / mb2, mb2, mcb
  printf "--threads 2 / --threads 1 wall: best %.2fx, median %.2fx (> 1: faster)\n", a / b, ma / mb2 }'

echo "== Python binding =="
py_out=$(PYTHONPATH="$root/bindings/python" LLMDATA_LIBRARY="$build/lib/libllmdata.so" \
  /usr/bin/python3 "$here/text_py_bench.py" "$corpus" "$reps")
echo "$py_out"

seed_cpu=$(echo "$seed_out" | awk '{print $NF}')
echo "== summary: ratio to the seed (wall: ${seed} MB/s, goal 30x = $(awk -v s="$seed" 'BEGIN {printf "%.0f", 30 * s}') MB/s; CPU: ${seed_cpu} MB/s) =="
echo "   (wall = what a user waits, valid on a quiet machine; CPU = busy-machine-proof work per byte)"
row() { awk "$@" 'BEGIN {printf "%-50s %6.1fx   %6.1fx\n", name, w / s, c / sc}'; }
val() { echo "$c_out" | awk -v k="$1" -v f="$2" '$1 == k || ($1 " " $2) == k {print $f}'; }
printf "%-50s %7s   %7s\n" "" "wall" "CPU"
row -v name="in-process per document (llmd_clean_and_redact)" -v w="$(val clean+redact 2)" -v s="$seed" \
    -v c="$(echo "$c_out" | awk '$1 == "clean+redact" {sub(/.*= /, ""); print $1}')" -v sc="$seed_cpu"
row -v name="in-process per document (batch API, 1 thread)" -v w="$(echo "$c_out" | awk '$1 == "batch" && $2 == "x1" {print $3}')" \
    -v s="$seed" -v c="$(echo "$c_out" | awk '$1 == "batch" && $2 == "x1" {sub(/.*= /, ""); print $1}')" -v sc="$seed_cpu"
row -v name="CLI clean --threads 1 (best run)" -v w="$(awk -v m="$mb" -v a="$cli1" 'BEGIN {print m / a}')" -v s="$seed" \
    -v c="$(awk -v m="$mb" -v a="$cpu1" 'BEGIN {print m / a}')" -v sc="$seed_cpu"
row -v name="CLI clean --threads 2 (best run)" -v w="$(awk -v m="$mb" -v a="$cli2" 'BEGIN {print m / a}')" -v s="$seed" \
    -v c="$(awk -v m="$mb" -v a="$cpu2" 'BEGIN {print m / a}')" -v sc="$seed_cpu"
row -v name="CLI clean --threads 1 (median of the runs)" -v w="$(awk -v m="$mb" -v a="$wmed1" 'BEGIN {print m / a}')" \
    -v s="$seed" -v c="$(awk -v m="$mb" -v a="$cmed1" 'BEGIN {print m / a}')" -v sc="$seed_cpu"
row -v name="CLI clean --threads 2 (median of the runs)" -v w="$(awk -v m="$mb" -v a="$wmed2" 'BEGIN {print m / a}')" \
    -v s="$seed" -v c="$(awk -v m="$mb" -v a="$cmed2" 'BEGIN {print m / a}')" -v sc="$seed_cpu"
row -v name="one blob (all documents as one text; old figure)" -v w="$(val one-blob 2)" -v s="$seed" \
    -v c="$(echo "$c_out" | awk '$1 == "one-blob" {sub(/.*= /, ""); print $1}')" -v sc="$seed_cpu"
echo "$py_out" | awk '/redact_batch clean=True/ {sub(/.*s\)  /, ""); print "Python redact_batch(clean=True) vs the seed in one process: " $0}'
