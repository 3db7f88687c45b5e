#!/bin/sh
# llmdata pipeline on the shared benchmark corpus (../shared beside the clone, or LLMD_CORPUS_JSONL):
# best-fit truncates fewer documents than greedy, every window is exactly seq_len, all tokens are
# accounted for.  Users' clones lack ../shared: then this test is a SKIP (exit 77), also under CI
# (the corpus is optional data, not a tool CI installs).  Sanitizer builds leave it to the normal build.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_pipeline_corpus: $*" >&2; exit 1; }
root=$(cd "$(dirname "$0")/../.." && pwd)
G="$root/examples/data/gpt2-tokenizer.json"
PY=/usr/bin/python3

if [ "${LLMD_SANITIZED:-0}" = 1 ]; then
  echo "test_pipeline_corpus: sanitizer build, corpus packing check left to the normal build"; exit 77
fi
corpus=${LLMD_CORPUS_JSONL:-$root/tests/tokenizer/cache/corpus/corpus.jsonl}
if [ ! -f "$corpus" ] && [ -f "$root/../shared/corpus/make_corpus.sh" ]; then
  corpus=$(sh "$root/tests/tokenizer/ensure_corpus.sh" "$root/tests/tokenizer/cache" "$root/../shared") ||
    fail "../shared/corpus/make_corpus.sh failed"
fi
if [ ! -f "$corpus" ]; then
  echo "test_pipeline_corpus: shared corpus absent (no ../shared), skipped"; exit 77
fi
for s in greedy best-fit; do
  "$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 2048 --strategy $s --no-filter --no-clean --no-redact \
    --no-dedup --out "$T/$s" "$corpus" || fail "corpus $s exited $?"
done
$PY - "$T/greedy/report.json" "$T/best-fit/report.json" <<'P' || fail "corpus packing"
import json, sys
g, b = (json.load(open(p))["stages"]["pack"] for p in sys.argv[1:3])
print("test_pipeline_corpus: corpus docs truncated: greedy %d, best-fit %d" % (g["docs_truncated"], b["docs_truncated"]))
assert b["docs_truncated"] < g["docs_truncated"], (g, b)
for p in (g, b):
    assert p["tokens_in"] == p["tokens_out"] + p["dropped_tokens"], p   # ids + one EOS each, all accounted for
    assert p["tokens_out"] + p["pad_tokens"] == p["windows"] * 2048, p
P
exit 0
