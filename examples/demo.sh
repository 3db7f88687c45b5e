#!/bin/bash
# Installs the build dependencies (Debian 12), builds libllmdata and runs the demo on the bundled
# sample corpus (examples/data/).  Usage: bash examples/demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."
sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo_cmd apt-get update -qq
$sudo_cmd apt-get install -y -qq --no-install-recommends build-essential meson ninja-build pkg-config \
  libzstd-dev libxxhash-dev libutf8proc-dev libpcre2-dev libcjson-dev check python3-cffi python3-numpy \
  zstd >/dev/null
[ -d build ] || meson setup build -Dbuildtype=release
ninja -C build
llmdata=build/examples/llmdata/llmdata
echo "== 1. cleaning + PII redaction: llmdata clean --redact all --spans (first 2 documents) =="
"$llmdata" clean --redact all --spans -o build/demo-clean.jsonl examples/data/sample.jsonl
head -n 2 build/demo-clean.jsonl | cut -c1-600
echo
echo "== 2. the whole pipeline: filters -> clean + redact -> exact + near dedup -> tokenize -> pack -> shards =="
echo "   (tokenizer: examples/data/gpt2-tokenizer.json, GPT-2's vocabulary under OpenAI's MIT-style"
echo "    licence, see examples/data/GPT2-LICENSE.txt)"
out=build/demo-shards
rm -rf "$out"
"$llmdata" pipeline --tokenizer examples/data/gpt2-tokenizer.json --seq-len 1024 --strategy best-fit \
  --out "$out" examples/data/sample.jsonl
echo
echo "== shards in $out =="
ls -l "$out"
