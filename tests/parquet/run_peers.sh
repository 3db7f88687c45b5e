#!/bin/bash
# Parquet checks against real readers and writers (meson suite `parquet`, test `parquet-peers`):
#  1. write -> read: every case pq_tool writes (all types and logical types, nesting, null patterns,
#     codecs, page v1/v2, dictionary/plain, many row groups) is read by DuckDB and by parquet-wasm
#     (arrow-rs) with values identical to ours (full contents, canonical JSON, tests/parquet/compare.py);
#     hyparquet reads the token-window files and the primitive columns it returns losslessly.
#  2. read <- write: files DuckDB writes (each codec, PARQUET_VERSION V1/V2, small row groups) and
#     parquet-wasm writes (dictionary/plain, writer version 1/2, forced DELTA_*/BYTE_STREAM_SPLIT) are
#     read by us with the values DuckDB reads from the same files.
#  3. Every .parquet file under $LLMD_SHARED_DIR/delta-tables (Spark-written data and checkpoint
#     files; skipped when the directory is absent) is read with the values DuckDB reads.
# usage: run_peers.sh PQ_TOOL
# Exit 77 (meson SKIP) when node or the npm peers are missing, except under CI=true where that fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tool=${1:?pq_tool path}
py=/usr/bin/python3
[ -x "$py" ] || py=python3
missing() {
  if [ "${CI:-}" = "true" ]; then echo "FAIL: $1 (CI=true: run tests/parquet/fetch_peers.sh)"; exit 1; fi
  echo "SKIP: $1 (run tests/parquet/fetch_peers.sh)"; exit 77
}
command -v node >/dev/null || missing "node not found"
for m in @duckdb/node-api parquet-wasm apache-arrow hyparquet hyparquet-compressors; do
  [ -d "$here/peer/node_modules/$m" ] || missing "npm peer $m not installed"
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0 checked=0
mkdir -p "$work/ours" "$work/peers" "$work/dump"

# compare OURS_JSONL PEER_JSONL NAME: queued, checked in one Python run at the end
: > "$work/pairs"
compare() {
  checked=$((checked + 1))
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >> "$work/pairs"
}

# dump_all ENGINE LIST: one node process per engine for a list of "file<TAB>out" lines
dump_all() {
  node "$here/peer_dump.mjs" "$1" --batch "$2" || { echo "FAIL: peer_dump $1 crashed"; fail=$((fail + 1)); }
}

# ---- 1. write -> read -----------------------------------------------------------------------
"$tool" write-cases "$work/ours" || { echo "FAIL: pq_tool write-cases"; exit 1; }
: > "$work/l_duck"; : > "$work/l_wasm"
i=0
for f in "$work"/ours/*.parquet; do
  i=$((i + 1))
  "$tool" dump "$f" > "$work/dump/w$i.ours" || { echo "FAIL: our reader on our $f"; fail=$((fail + 1)); }
  printf '%s\t%s\n' "$f" "$work/dump/w$i.duckdb" >> "$work/l_duck"
  printf '%s\t%s\n' "$f" "$work/dump/w$i.wasm" >> "$work/l_wasm"
done
dump_all duckdb "$work/l_duck"
dump_all wasm "$work/l_wasm"
i=0
for f in "$work"/ours/*.parquet; do
  i=$((i + 1))
  compare "$work/dump/w$i.ours" "$work/dump/w$i.duckdb" "duckdb($(basename "$f"))"
  compare "$work/dump/w$i.ours" "$work/dump/w$i.wasm" "parquet-wasm($(basename "$f"))"
done
i=0
for f in "$work"/ours/windows_*.parquet; do
  i=$((i + 1))
  "$tool" dump "$f" > "$work/dump/h$i.ours"
  node "$here/peer_dump.mjs" hyparquet "$f" > "$work/dump/h$i.peer" 2> "$work/dump/h$i.peer.err" && rm -f "$work/dump/h$i.peer.err"
  compare "$work/dump/h$i.ours" "$work/dump/h$i.peer" "hyparquet($(basename "$f"))"
done
cols=b,i8,i16,i32,i64,u8,u16,u32,u64,f32,f64,s
for f in "$work"/ours/types_*_v1_dict.parquet "$work"/ours/types_zstd_v2_plain.parquet "$work"/ours/types_many_groups*.parquet; do
  i=$((i + 1))
  "$tool" dump "$f" "$cols" > "$work/dump/h$i.ours"
  node "$here/peer_dump.mjs" hyparquet "$f" "$cols" > "$work/dump/h$i.peer" 2> "$work/dump/h$i.peer.err" && rm -f "$work/dump/h$i.peer.err"
  compare "$work/dump/h$i.ours" "$work/dump/h$i.peer" "hyparquet($(basename "$f"))"
done
echo "write -> read: $(ls "$work"/ours/*.parquet | wc -l) files written by llmdata checked against DuckDB, parquet-wasm, hyparquet"

# ---- 2. read <- write ----------------------------------------------------------------------
node "$here/peer_write.mjs" "$work/peers" >/dev/null || { echo "FAIL: peer_write.mjs"; exit 1; }
peer_files=("$work"/peers/*.parquet)

# ---- 3. shared Delta tables ------------------------------------------------------------------
shared=${LLMD_SHARED_DIR:-$here/../../../shared}/delta-tables
shared_files=()
if [ -d "$shared" ]; then
  while IFS= read -r f; do shared_files+=("$f"); done < <(find "$shared" -name '*.parquet' | sort)
else
  echo "note: $shared absent; the Spark-written Delta files are not checked"
fi

: > "$work/l_read"
i=0
for f in "${peer_files[@]}" "${shared_files[@]}"; do
  i=$((i + 1))
  if ! "$tool" dump "$f" > "$work/dump/r$i.ours" 2> "$work/dump/r$i.ours.err"; then
    echo "FAIL: our reader on $f: $(head -c 400 "$work/dump/r$i.ours.err")"; fail=$((fail + 1))
  fi
  printf '%s\t%s\n' "$f" "$work/dump/r$i.duckdb" >> "$work/l_read"
done
dump_all duckdb "$work/l_read"
i=0
for f in "${peer_files[@]}" "${shared_files[@]}"; do
  i=$((i + 1))
  compare "$work/dump/r$i.ours" "$work/dump/r$i.duckdb" "duckdb($f)"
done
echo "read <- write: ${#peer_files[@]} files written by DuckDB/parquet-wasm and ${#shared_files[@]} shared Delta files checked against DuckDB"

"$py" "$here/compare.py" --batch "$work/pairs" || fail=$((fail + 1))
echo "parquet peers: $checked comparisons queued; $fail step(s) failed"
[ "$fail" -eq 0 ]
