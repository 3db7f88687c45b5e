#!/bin/sh
# llmdata parquet schema|head|stats on a small file DuckDB wrote (tests/data/parquet/duckdb_small.parquet:
# COPY (VALUES (1,'alpha',0.50,['x','y'],DATE '2024-02-29',TIMESTAMP '2024-02-29 12:34:56.789',12.34,{'k':7}),
# (2,NULL,-1.25,[],DATE '1969-12-31',TIMESTAMP '1969-12-31 23:59:59',-0.05,NULL),
# (3,'gamma "q"',NULL,NULL,NULL,NULL,NULL,{'k':NULL})) TO ... (COMPRESSION snappy)); the expected rows
# are DuckDB's own reading of that file, written in llmdata's JSON forms.
set -eu
dir=$(cd "$(dirname "$0")/.." && pwd)
f="$dir/data/parquet/duckdb_small.parquet"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_parquet.sh: $*" >&2; exit 1; }

"$LLMDATA" parquet head "$f" > "$tmp/head"
cat > "$tmp/want" <<'JSON'
{"id":1,"name":"alpha","score":"0.50","tags":["x","y"],"d":"2024-02-29","ts":"2024-02-29T12:34:56.789000","amount":"12.34","st":{"k":7}}
{"id":2,"name":null,"score":"-1.25","tags":[],"d":"1969-12-31","ts":"1969-12-31T23:59:59","amount":"-0.05","st":null}
{"id":3,"name":"gamma \"q\"","score":null,"tags":null,"d":null,"ts":null,"amount":null,"st":{"k":null}}
JSON
cmp -s "$tmp/head" "$tmp/want" || { diff "$tmp/want" "$tmp/head" >&2; fail "head differs from DuckDB's rows"; }

"$LLMDATA" parquet head -n 1 --columns amount,id "$f" > "$tmp/h1"
[ "$(cat "$tmp/h1")" = '{"amount":"12.34","id":1}' ] || fail "projection: $(cat "$tmp/h1")"

"$LLMDATA" parquet schema "$f" > "$tmp/schema"
grep -q '"num_rows":3,"num_row_groups":1' "$tmp/schema" || fail "schema counts: $(cat "$tmp/schema")"
grep -q '{"name":"tags","type":"list","nullable":true,"fields":\[{"name":"element","type":"string","nullable":true}\]}' "$tmp/schema" \
  || fail "schema tags: $(cat "$tmp/schema")"
grep -q '{"name":"amount","type":"decimal(5,2)","nullable":true}' "$tmp/schema" || fail "schema amount: $(cat "$tmp/schema")"
grep -q '"created_by":"DuckDB' "$tmp/schema" || fail "created_by: $(cat "$tmp/schema")"
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/schema" 2>/dev/null || [ ! -x /usr/bin/python3 ] \
  || fail "schema is not JSON"

"$LLMDATA" parquet stats "$f" > "$tmp/stats"
grep -q '{"path":"id","values":3,"nulls":0,"min":1,"max":3,' "$tmp/stats" || fail "stats id: $(cat "$tmp/stats")"
grep -q '{"path":"amount","values":3,"nulls":1,"min":"-0.05","max":"12.34",' "$tmp/stats" || fail "stats amount: $(cat "$tmp/stats")"
grep -q '"codec":"snappy"' "$tmp/stats" || fail "stats codec"

# a .parquet input to a JSONL command: every row becomes a JSON object (other columns pass through);
# row 2 has a null name, so without --skip-bad it is reported by row number
"$LLMDATA" clean -q --field name --skip-bad "$f" > "$tmp/clean"
[ "$(wc -l < "$tmp/clean")" -eq 2 ] || fail "clean over parquet: $(cat "$tmp/clean")"
head -1 "$tmp/clean" | grep -q '^{"id":1,"name":"alpha","score":"0.50","tags":\["x","y"\],"d":"2024-02-29"' \
  || fail "clean over parquet row 1: $(head -1 "$tmp/clean")"
if "$LLMDATA" clean -q --field name "$f" > /dev/null 2> "$tmp/err"; then fail "null text accepted"; fi
grep -q 'duckdb_small.parquet:2: ' "$tmp/err" || fail "row number missing: $(cat "$tmp/err")"

# errors: not Parquet, missing file, unknown subcommand
printf 'not parquet at all' > "$tmp/bad.parquet"
if "$LLMDATA" parquet head "$tmp/bad.parquet" 2> "$tmp/err"; then fail "accepted a non-Parquet file"; fi
grep -q 'not a Parquet file' "$tmp/err" || fail "message: $(cat "$tmp/err")"
if "$LLMDATA" parquet schema "$tmp/none.parquet" 2> "$tmp/err"; then fail "accepted a missing file"; fi
if "$LLMDATA" parquet frobnicate "$f" 2> "$tmp/err"; then fail "accepted an unknown subcommand"; fi
exit 0
