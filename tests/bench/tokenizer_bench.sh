#!/bin/bash
# Tokenizer throughput: ours (tests/bench/bench_tokenizer) vs HF tokenizers (RAYON_NUM_THREADS=1)
# and npm tiktoken, same corpus, same run.  usage: tokenizer_bench.sh BUILD_DIR [CORPUS.jsonl]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: tokenizer_bench.sh BUILD_DIR [CORPUS.jsonl]}
corpus=${2:-}
if [ -z "$corpus" ]; then
  corpus="$here/../tokenizer/cache/corpus/corpus.jsonl"
  [ -f "$corpus" ] || bash "$here/../../../shared/corpus/make_corpus.sh" "$(dirname "$corpus")" >/dev/null
fi
files="$here/../tokenizer/peer/files"
[ -f "$files/llama3.json" ] || bash "$here/../tokenizer/fetch_peers.sh"
out=$(mktemp)
RAYON_NUM_THREADS=1 node "$here/tokenizer_peer.mjs" "$corpus" \
  "HF:llama3:$files/llama3.json" "HF:gpt2:$files/gpt2.json" "TT:gpt2:gpt2" "TT:cl100k:cl100k_base" | tee "$out"
bench="$build/tests/bench/bench_tokenizer"
if [ ! -x "$bench" ]; then echo "ours: $bench not built"; exit 0; fi
for spec in "llama3 --tokenizer $files/llama3.json" "gpt2 --tokenizer $files/gpt2.json" \
            "cl100k --tokenizer $files/cl100k_base.tiktoken --tiktoken-pattern cl100k"; do
  set -- $spec; name=$1; shift
  for th in 1 2; do
    "$bench" "$@" --corpus "$corpus" --threads $th | sed "s/^llmdata [^ ]*/llmdata $name/" | tee -a "$out"
  done
done
/usr/bin/python3 - "$out" <<'PY'
import re, sys
peer, ours = {}, {}
for line in open(sys.argv[1]):
    m = re.match(r"peer (\S+) (\S+) 1-thread: ([\d.]+) MB/s", line)
    if m: peer[(m[1], m[2])] = float(m[3])
    m = re.match(r"llmdata (\S+) 1-thread: ([\d.]+) MB/s", line)
    if m: ours[m[1]] = float(m[2])
for (name, engine), v in sorted(peer.items()):
    if name in ours:
        print(f"ratio {name}: llmdata {ours[name]:.1f} MB/s / {engine} {v:.2f} MB/s = {ours[name] / v:.1f}x")
PY
rm -f "$out"
