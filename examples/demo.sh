#!/bin/bash
# Installs the build dependencies (Debian 12), builds libllmdata and runs the demo on the bundled
# sample corpus (examples/data/).  Usage: bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends build-essential meson ninja-build pkg-config \
  libzstd-dev libxxhash-dev libutf8proc-dev libpcre2-dev libcjson-dev zlib1g-dev libsnappy-dev liblz4-dev check \
  python3-cffi python3-numpy \
  zstd >/dev/null
[ -d build ] || meson setup build -Dbuildtype=release
ninja -C build
llmdata=build/examples/llmdata/llmdata

echo "== 1. cleaning + PII redaction: llmdata clean --redact all --spans (one document, fake PII) =="
sed -n 77p examples/data/sample.jsonl > build/demo-doc.jsonl
echo "-- in:";  cut -c1-330 build/demo-doc.jsonl; echo "   ..."
echo "-- out:"; "$llmdata" clean -q --redact all --spans build/demo-doc.jsonl | sed 's/,"source".*"kind": "planted"//'
echo

echo "== 2. the whole pipeline: llmdata pipeline --config examples/pipeline.json =="
echo "   JSONL -> quality filters (length, C4, bad words, Gopher repetition) -> clean + PII redaction -> exact + near dedup"
echo "   -> GPT-2 tokenizer -> best-fit packing into windows of 1024 -> Megatron .bin/.idx shards"
echo "   (examples/data/gpt2-tokenizer.json: GPT-2's vocabulary and merges, (c) OpenAI, MIT-style"
echo "    licence in examples/data/GPT2-LICENSE.txt)"
out=build/demo-shards
rm -rf "$out"
# the same as: llmdata pipeline --tokenizer examples/data/gpt2-tokenizer.json --seq-len 1024 \
#   --strategy best-fit --min-bytes 200 --out build/demo-shards examples/data/sample.jsonl
"$llmdata" pipeline --config examples/pipeline.json --out "$out"
echo
echo "== 3. the shards in $out (report.json holds the report above as JSON) =="
ls -l "$out"
if command -v python3 >/dev/null 2>&1; then
  echo
  echo "== 4. read back: first 40 tokens of window 0 (independent MMIDIDX reader), decoded =="
  python3 - "$out/data" <<'P' > build/demo-window.jsonl
import json, sys
sys.path.insert(0, "tests/shards")
import mmidx_reader
idx, seqs = mmidx_reader.read_dataset(sys.argv[1])
print(json.dumps({"ids": seqs[0][:40]}))
P
  cat build/demo-window.jsonl
  "$llmdata" detokenize -q --tokenizer examples/data/gpt2-tokenizer.json build/demo-window.jsonl
fi
