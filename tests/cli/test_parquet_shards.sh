#!/bin/sh
# Training shards as Parquet (`pipeline --format parquet`, `pack --format parquet`), read by DuckDB
# (tests/parquet/duck_shards.mjs, @duckdb/node-api) and compared in full with the same run's .npy /
# Megatron MMIDIDX shards and with the documents' own tokens (tests/parquet/compare_shards.py:
# input_ids = the reference windows, cu_seqlens = boundaries.npy, every document segment = the
# tokens of its document at its offset).  Small row-group and file targets force many row groups
# and files.  Without node/the npm peers or numpy: SKIP (77), a failure under CI=true.
set -eu
dir=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_parquet_shards.sh: $*" >&2; exit 1; }
missing() {
  if [ "${CI:-}" = "true" ]; then fail "$1 (CI=true: run tests/parquet/fetch_peers.sh)"; fi
  echo "SKIP: $1 (run tests/parquet/fetch_peers.sh)"; exit 77
}
command -v node >/dev/null || missing "node not found"
[ -d "$dir/parquet/peer/node_modules/@duckdb/node-api" ] || missing "npm peer @duckdb/node-api not installed"
[ -d "$dir/parquet/peer/node_modules/parquet-wasm" ] || missing "npm peer parquet-wasm not installed"
[ -d "$dir/parquet/peer/node_modules/hyparquet" ] || missing "npm peer hyparquet not installed"
"$py" -c 'import numpy' 2>/dev/null || missing "numpy for /usr/bin/python3 not installed"
duck() { node "$dir/parquet/duck_shards.mjs" "$@"; }

# documents of 1..300 words (some longer than a window), ids 0..n in input order
"$py" - "$tmp/in.jsonl" "$tmp/ids.jsonl" <<'PY'
import json, random, sys
random.seed(7)
words = ["alpha", "beta", "gamma", "delta", "épsilon", "zeta", "東京", "theta", "iota", "kappa"]
with open(sys.argv[1], "w", encoding="utf-8") as f, open(sys.argv[2], "w") as g:
    for i in range(400):
        f.write(json.dumps({"text": " ".join(random.choice(words) for _ in range(random.randint(1, 300))) + ".",
                            "n": i}, ensure_ascii=False) + "\n")
        g.write(json.dumps({"ids": [random.randrange(50000) for _ in range(random.randint(0, 700))]}) + "\n")
PY

# 1. pipeline, best-fit with padding, every stage that could drop or change a document off: the
#    documents are the inputs, so each segment can be checked against its text's bytes (+ EOS 256)
off="--no-filter --no-clean --no-redact --no-dedup --no-near-dedup"
for fmt in npy parquet; do
  "$LLMDATA" pipeline -q --tokenizer bytes --seq-len 256 --strategy best-fit --buffer 4 $off --format $fmt \
    --parquet-row-group-bytes 10000 --parquet-file-bytes 30000 -o "$tmp/bf-$fmt" "$tmp/in.jsonl"
done
ls "$tmp/bf-parquet" | grep -q '^data-00003\.parquet$' || fail "expected several files: $(ls "$tmp/bf-parquet")"
[ ! -e "$tmp/bf-parquet/data.npy" ] || fail "parquet run wrote npy files"
duck "$tmp"/bf-parquet/data-*.parquet > "$tmp/bf.jsonl" 2> "$tmp/types"
grep -q 'input_ids:INTEGER\[\] cu_seqlens:INTEGER\[\] document_ids:BIGINT\[\] document_offsets:INTEGER\[\]' "$tmp/types" \
  || fail "DuckDB column types: $(cat "$tmp/types")"
"$py" "$dir/parquet/compare_shards.py" "$tmp/bf.jsonl" --npy "$tmp/bf-npy/data" --docs "$tmp/in.jsonl" --text text --eos 256 \
  || fail "pipeline best-fit: parquet shards differ from the npy run"
grep -q '"format":"parquet"' "$tmp/bf-parquet/report.json" || fail "report format"
grep -q '"data-00000.parquet"' "$tmp/bf-parquet/_llmdata_run.json" || fail "run manifest does not list the data files"
# several row groups per file (llmdata parquet schema: num_row_groups)
"$LLMDATA" parquet schema "$tmp/bf-parquet/data-00000.parquet" | grep -q '"num_row_groups":[2-9]' \
  || fail "expected several row groups: $("$LLMDATA" parquet schema "$tmp/bf-parquet/data-00000.parquet")"

# 1b. the same shards through arrow-rs's reader (parquet-wasm: the Arrow implementation family HF
#     datasets/pyarrow belong to, which Debian 12 does not package) and hyparquet: every file's rows
#     equal DuckDB's, value for value
for f in "$tmp"/bf-parquet/data-*.parquet; do
  node "$dir/parquet/peer_dump.mjs" duckdb "$f" > "$tmp/d.dump" || fail "DuckDB dump of $f"
  for engine in wasm hyparquet; do
    node "$dir/parquet/peer_dump.mjs" $engine "$f" > "$tmp/e.dump" || fail "$engine could not read $f"
    cmp -s "$tmp/d.dump" "$tmp/e.dump" || fail "$engine reads $(basename "$f") differently from DuckDB"
  done
  [ -s "$tmp/d.dump" ] || fail "empty dump of $f"
done

# 2. the pipeline with cleaning, PII redaction and dedup (the random texts would not pass the quality
#    filters), greedy, against MMIDIDX; default targets: one file
for fmt in mmidx parquet; do
  "$LLMDATA" pipeline -q --tokenizer bytes --seq-len 64 --no-filter --format $fmt -o "$tmp/g-$fmt" "$tmp/in.jsonl"
done
[ "$(ls "$tmp/g-parquet" | grep -c '\.parquet$')" -eq 1 ] || fail "default targets: expected one file"
duck "$tmp/g-parquet/data-00000.parquet" > "$tmp/g.jsonl" 2>/dev/null
"$py" "$dir/parquet/compare_shards.py" "$tmp/g.jsonl" --mmidx "$tmp/g-mmidx/data" || fail "pipeline greedy vs mmidx"

# 3. llmdata pack: parquet vs mmidx of the same ids (best-fit, EOS, pad), gzip, several files
for fmt in mmidx parquet; do
  "$LLMDATA" pack -q --seq-len 512 --strategy best-fit --eos 50000 --pad 50001 --vocab-size 50002 --format $fmt \
    --codec gzip --file-bytes 100000 -o "$tmp/p-$fmt" "$tmp/ids.jsonl"
done
[ -e "$tmp/p-parquet-00001.parquet" ] || fail "pack: expected several files"
duck "$tmp"/p-parquet-*.parquet > "$tmp/p.jsonl" 2>/dev/null
"$py" "$dir/parquet/compare_shards.py" "$tmp/p.jsonl" --mmidx "$tmp/p-mmidx" --docs "$tmp/ids.jsonl" --ids ids --eos 50000 \
  || fail "pack: parquet shards differ from the mmidx shard"
"$LLMDATA" parquet stats "$tmp/p-parquet-00000.parquet" | grep -q '"codec":"gzip"' || fail "pack --codec gzip"

# 4. data safety: an existing shard is refused without --overwrite and left as it was; with it, a
#    shard of fewer files replaces the earlier one and its extra files go
n_before=$(ls "$tmp" | grep -c '^p-parquet-.*\.parquet$')
sum_before=$(cat "$tmp"/p-parquet* | cksum)
if "$LLMDATA" pack -q --seq-len 512 --format parquet -o "$tmp/p-parquet" "$tmp/ids.jsonl" 2> "$tmp/err"; then
  fail "pack over an existing parquet shard without --overwrite succeeded"
fi
grep -q 'exists' "$tmp/err" || fail "conflict message: $(cat "$tmp/err")"
[ "$(cat "$tmp"/p-parquet* | cksum)" = "$sum_before" ] || fail "a refused run changed the shard"
"$LLMDATA" pack -q --seq-len 512 --format parquet --overwrite -o "$tmp/p-parquet" "$tmp/ids.jsonl"
[ "$n_before" -gt 1 ] && [ "$(ls "$tmp" | grep -c '^p-parquet-.*\.parquet$')" -eq 1 ] \
  || fail "overwrite left stale files: $(ls "$tmp")"
ls "$tmp" | grep -q '\.tmp\.' && fail "temporary files left: $(ls "$tmp")"
exit 0
