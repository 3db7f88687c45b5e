#!/bin/sh
# The CLI's streaming engine (examples/llmdata/cli_stream.c) across commands: on input long enough
# for many batches (a batch is cut at 256 documents or 64 KiB), tokenize, minhash and dedup write
# the same bytes and the same summary for --threads 1, 2 and 4, with bad lines and documents
# without the field skipped and counted; each document's ids equal those of tokenizing it alone
# (a one-document run), so batching and threads cannot shift work between documents.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_threads: $*" >&2; exit 1; }
# Exactly the workers asked for: on a busy machine the engine would otherwise fall back to the
# writer doing the work (the last clean run below checks that path gives the same bytes).
export LLMDATA_EXACT_THREADS=1
root=$(cd "$(dirname "$0")/../.." && pwd)
G="$root/examples/data/gpt2-tokenizer.json"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

"$PY" - "$T/in.jsonl" <<'P'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        if i % 701 == 3:
            f.write("[1, 2]\n")                     # not an object: a bad line
        elif i % 907 == 4:
            f.write(json.dumps({"id": i}) + "\n")  # no "text"
        else:
            words = " ".join("w%d" % ((i * 31 + k * 7) % 5000) for k in range(120))
            f.write(json.dumps({"id": i, "text": "Doc %d: %s caf\u00e9 %d" % (i, words, i % 3)}) + "\n")
P
# The counts of a summary line (times and memory figures vary from run to run).
summary() { grep -o 'docs in [0-9]*, out [0-9]*, bad [0-9]*\|tokens [0-9]*\|duplicates [0-9]*' "$1"; }
for cmd in tokenize minhash dedup; do
  case $cmd in
    tokenize) args="--tokenizer $G" ;;
    minhash) args="" ;;
    dedup) args="--threshold 0.7" ;;
  esac
  for th in 1 2 4; do
    # shellcheck disable=SC2086
    "$LLMDATA" $cmd $args --skip-bad --threads $th "$T/in.jsonl" > "$T/$cmd$th" 2> "$T/$cmd$th.err" ||
      fail "$cmd --threads $th: exit $? $(cat "$T/$cmd$th.err")"
    summary "$T/$cmd$th.err" > "$T/$cmd$th.sum"
  done
  for th in 2 4; do
    cmp -s "$T/${cmd}1" "$T/$cmd$th" || fail "$cmd: --threads $th output differs from --threads 1"
    cmp -s "$T/${cmd}1.sum" "$T/$cmd$th.sum" || fail "$cmd: --threads $th summary differs: $(cat "$T/$cmd$th.sum")"
  done
  # 3000 lines: 5 not objects (i % 701 == 3), 4 without text (i % 907 == 4).
  grep -q 'docs in 3000, ' "$T/${cmd}1.err" || fail "$cmd summary: $(cat "$T/${cmd}1.err")"
  grep -q ', bad 9, ' "$T/${cmd}1.err" || fail "$cmd bad count: $(cat "$T/${cmd}1.err")"
done
[ "$(wc -l < "$T/tokenize1")" = 2991 ] || fail "tokenize: $(wc -l < "$T/tokenize1") lines out, want 2991"
[ "$(wc -l < "$T/minhash1")" = 2991 ] || fail "minhash: $(wc -l < "$T/minhash1") lines out, want 2991"
# Documents in input order, each tokenized as if alone.
for n in 1 1500 2999; do
  sed -n "$((n + 1))p" "$T/in.jsonl" > "$T/one.jsonl"
  "$LLMDATA" tokenize -q --tokenizer "$G" "$T/one.jsonl" > "$T/one.out" || fail "one-document run"
  grep -qxF "$(cat "$T/one.out")" "$T/tokenize1" || fail "tokenize: document $n differs from a run of it alone"
done
# clean (redaction, --spans) through the same engine: the same bytes for 1, 2 and 4 threads, each
# document as cleaned alone; a document without the field and no --skip-bad stops every thread
# count with the same message naming its line, and -o publishes nothing.
for th in 1 2 4; do
  "$LLMDATA" clean --spans --skip-bad --threads $th "$T/in.jsonl" > "$T/clean$th" 2> "$T/clean$th.err" ||
    fail "clean --threads $th: exit $? $(cat "$T/clean$th.err")"
  [ "$th" = 1 ] || cmp -s "$T/clean1" "$T/clean$th" || fail "clean: --threads $th output differs from --threads 1"
done
LLMDATA_EXACT_THREADS=0 "$LLMDATA" clean -q --spans --skip-bad --threads 2 "$T/in.jsonl" > "$T/clean_auto" ||
  fail "clean --threads 2 (workers chosen by load)"
cmp -s "$T/clean1" "$T/clean_auto" || fail "clean: --threads 2 with workers chosen by load differs"
[ "$(wc -l < "$T/clean1")" = 2991 ] || fail "clean: $(wc -l < "$T/clean1") lines out, want 2991"
for n in 1 1500 2999; do
  sed -n "$((n + 1))p" "$T/in.jsonl" > "$T/one.jsonl"
  "$LLMDATA" clean -q --spans "$T/one.jsonl" > "$T/one.out" || fail "clean: one-document run"
  grep -qxF "$(cat "$T/one.out")" "$T/clean1" || fail "clean: document $n differs from a run of it alone"
done
grep -v '^\[' "$T/in.jsonl" | head -2000 > "$T/stop.jsonl"   # line 4 (i = 4) has no "text"
for th in 1 2 4; do
  "$LLMDATA" clean --threads $th -o "$T/stop$th.jsonl" "$T/stop.jsonl" 2> "$T/stop$th.err"
  rc=$?
  [ "$rc" = 1 ] || fail "clean --threads $th without the field: exit $rc, want 1"
  grep -q "stop.jsonl:4: " "$T/stop$th.err" || fail "clean --threads $th: $(cat "$T/stop$th.err")"
  [ ! -e "$T/stop$th.jsonl" ] || fail "clean --threads $th: output published after an error"
done
exit 0
