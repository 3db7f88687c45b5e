#!/bin/sh
# The threaded CLI commands under a ThreadSanitizer build (issue 9 item 5: `minhash`, `dedup` and
# `pipeline --threads 2` raced on lazily built tables).  TSAN_OPTIONS=halt_on_error=1 makes a
# race fail the command; every command must exit 0.
#   tests/tsan_cli.sh BUILD_DIR_OF_A_TSAN_BUILD
set -eu
b=${1:?usage: tsan_cli.sh BUILD_DIR}
cli="$b/examples/llmdata/llmdata"
root=$(cd "$(dirname "$0")/.." && pwd)
export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
for i in 1 2 3 4; do cat "$root/examples/data/sample.jsonl"; done > "$T/in.jsonl"
run() {
  echo "tsan: $*"
  "$@" > "$T/log" 2>&1 || { rc=$?; cat "$T/log" >&2; echo "tsan: FAILED ($rc): $*" >&2; exit 1; }
}
run "$cli" clean -q --threads 2 --redact all -o "$T/c.jsonl" "$T/in.jsonl"
run "$cli" minhash -q --threads 2 -o "$T/m.jsonl" "$T/in.jsonl"
run "$cli" dedup -q --threads 2 -o "$T/d.jsonl" "$T/in.jsonl"
run "$cli" tokenize -q --threads 2 --tokenizer "$root/examples/data/gpt2-tokenizer.json" -o "$T/t.jsonl" "$T/in.jsonl"
run "$cli" pipeline --threads 2 --tokenizer "$root/examples/data/gpt2-tokenizer.json" --seq-len 128 \
  --out "$T/out" "$T/in.jsonl"
echo "tsan-cli: ok"
