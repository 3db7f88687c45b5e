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
echo "== llmdata clean --redact all --spans (examples/data/sample.jsonl) =="
"$llmdata" clean --redact all --spans examples/data/sample.jsonl | head -c 3000
echo
