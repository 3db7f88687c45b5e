#!/bin/bash
# Installs the Parquet peers from npm (pinned in peer/package.json + package-lock.json, cached by npm):
#   @duckdb/node-api   DuckDB's C++ Parquet reader/writer
#   parquet-wasm       arrow-rs's parquet crate compiled to WebAssembly (+ apache-arrow to read its output)
#   hyparquet          an independent JavaScript reader (+ hyparquet-compressors)
# Idempotent; exits non-zero if npm or node are unavailable.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/peer"
command -v node >/dev/null && command -v npm >/dev/null || { echo "fetch_peers: node/npm not found" >&2; exit 1; }
if [ ! -d node_modules/@duckdb/node-api ] || [ ! -d node_modules/parquet-wasm ] || [ ! -d node_modules/hyparquet ] ||
   [ package.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 || npm install --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules
fi
echo "fetch_peers: Parquet peers ready in $here/peer/node_modules"
