#!/bin/bash
# End-to-end pipeline throughput on the benchmark corpus (../shared/corpus/make_corpus.sh), with the
# bundled GPT-2 tokenizer, 1 and 2 threads: every stage on (filters, clean + redact, exact + near
# dedup, tokenize, best-fit packing, MMIDIDX shards), then tokenize + pack + write alone.  Prints the
# per-stage report of each run and a summary line of MB/s of input; then bench_pack (packing alone,
# tokens/s, greedy and best-fit).
#   usage: pipeline_bench.sh BUILD_DIR [CORPUS.jsonl]
# Corpus: the argument, else $LLMD_CORPUS_JSONL, else ../corpus/corpus.jsonl next to the checkout,
# else built with ../shared/corpus/make_corpus.sh into tests/tokenizer/cache/corpus/ (git-ignored).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:?usage: pipeline_bench.sh BUILD_DIR [CORPUS.jsonl]}
corpus=${2:-${LLMD_CORPUS_JSONL:-}}
if [ -z "$corpus" ] && [ -f "$root/../corpus/corpus.jsonl" ]; then corpus="$root/../corpus/corpus.jsonl"; fi
if [ -z "$corpus" ]; then
  corpus="$root/tests/tokenizer/cache/corpus/corpus.jsonl"
  [ -f "$corpus" ] || bash "$root/../shared/corpus/make_corpus.sh" "$(dirname "$corpus")" >/dev/null
fi
cli="$build/examples/llmdata/llmdata"
tok="$root/examples/data/gpt2-tokenizer.json"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
mb=$(stat -c %s "$corpus" | awk '{printf "%.1f", $1/1e6}')
summary=()
run() { # name threads extra-options...
  local name=$1 th=$2; shift 2
  echo "== llmdata pipeline ($name), $th thread(s), $corpus ($mb MB of JSONL) =="
  "$cli" pipeline --tokenizer "$tok" --seq-len 2048 --strategy best-fit --threads "$th" "$@" \
    --out "$out/r" "$corpus" 2>&1
  summary+=("$(/usr/bin/python3 - "$out/r/report.json" "$name" "$th" <<'P'
import json, sys
r = json.load(open(sys.argv[1]))
t, st = r["total"], r["stages"]
busy = " ".join("%s %.2fs" % (k, v["seconds"]) for k, v in st.items() if v["seconds"] >= 0.005)
print("%-22s %s thread(s): %6.1f MB/s of input (%.2f s, setup %.2f s; %s)" % (
    sys.argv[2], sys.argv[3], t["mb_per_s"], t["seconds"], t["setup_seconds"], busy))
P
)")
  rm -rf "$out/r"
}
for th in 1 2; do run "all stages" "$th"; done
for th in 1 2; do run "tokenize+pack+write" "$th" --no-filter --no-clean --no-redact --no-dedup; done
echo "== summary =="
printf '%s\n' "${summary[@]}"
echo "== packing alone (bench_pack: 100 M synthetic tokens, seq_len 2048, best of 3) =="
"$build/tests/bench/bench_pack" 100 2048 3
