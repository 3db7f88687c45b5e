#!/bin/sh
# Quick exactness check of `llmdata tokenize` against HF tokenizers / tiktoken (edge set + 300
# corpus documents) when the npm peers are installed (tests/tokenizer/fetch_peers.sh); the full
# corpus comparison runs in .ci/run.  Without the peers: SKIP (exit 77), or a failure under CI=true.
build=$(cd "$(dirname "$LLMDATA")/../.." && pwd)
mode=--quick
[ "${LLMD_SANITIZED:-0}" = 1 ] && mode=--edge   # sanitizer build: edge set only (slow under ASan)
exec bash "$(dirname "$0")/../tokenizer/run_exactness.sh" "$build" $mode
