#!/bin/bash
# End-to-end pipeline throughput on the benchmark corpus (../shared/corpus/make_corpus.sh), with the
# bundled GPT-2 tokenizer, 1 and 2 threads, every stage on (filters, clean + redact, exact + near
# dedup, tokenize, best-fit packing, MMIDIDX shards); prints the per-stage report of each run and
# the MB/s of input.  Also runs bench_pack (packing alone, tokens/s).
#   usage: pipeline_bench.sh BUILD_DIR [CORPUS.jsonl]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:?usage: pipeline_bench.sh BUILD_DIR [CORPUS.jsonl]}
corpus=${2:-}
if [ -z "$corpus" ]; then
  corpus="$root/tests/tokenizer/cache/corpus/corpus.jsonl"
  [ -f "$corpus" ] || bash "$root/../shared/corpus/make_corpus.sh" "$(dirname "$corpus")" >/dev/null
fi
cli="$build/examples/llmdata/llmdata"
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
mb=$(stat -c %s "$corpus" | awk '{printf "%.1f", $1/1e6}')
for th in 1 2; do
  echo "== llmdata pipeline, $th thread(s), $corpus ($mb MB of JSONL) =="
  "$cli" pipeline --tokenizer "$root/examples/data/gpt2-tokenizer.json" --seq-len 2048 --strategy best-fit \
    --threads "$th" --out "$out/t$th" "$corpus" 2>&1 | grep -v '^ *\(c4\|gopher\|len\)_'
  /usr/bin/python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['total']; print('pipeline %s-thread: %.1f MB/s (%.2f s)' % (sys.argv[2], t['mb_per_s'], t['seconds']))" "$out/t$th/report.json" "$th"
done
echo "== packing alone =="
"$build/tests/bench/bench_pack" 100 2048 3
