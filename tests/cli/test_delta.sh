#!/bin/sh
# llmdata delta end to end: create, append (copies, Hive directories, txn idempotency), remove,
# set, history, restore, time travel, vacuum, checkpoint (V2 JSON), refusals.  Expected file lists
# come from the independent Python replay tests/delta/replay_ref.py (written from PROTOCOL.md) and
# from the commands' documented behaviour.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_delta: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"; }
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
PY=/usr/bin/python3
jq_() { "$PY" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

printf '%s' '{"type":"struct","fields":[{"name":"id","type":"long","nullable":true,"metadata":{}},{"name":"text","type":"string","nullable":true,"metadata":{}},{"name":"day","type":"string","nullable":true,"metadata":{}}]}' > "$T/schema.json"
# rows.parquet: id {1,2,3}, text {"hello", null, "last!!"}; rows_score.parquet adds score (tests/data/delta/README.md)
cp "$src/data/delta/rows.parquet" "$T/a.parquet"
printf 'not parquet' > "$T/bad.parquet"

# 1. create; a second create fails
expect create "$("$LLMDATA" delta create "$T/t" --schema "$T/schema.json" --partition-by day)" '{"version":0}'
"$LLMDATA" delta create "$T/t" --schema "$T/schema.json" 2>"$T/err" && fail "second create succeeded"
grep -q 'already exists' "$T/err" || fail "create error: $(cat "$T/err")"

# 2. append: one version per call, files copied under Hive-style directories
expect append1 "$("$LLMDATA" delta append "$T/t" "$T/a.parquet" --partition 'day=2024-01-01')" '{"version":1,"committed":true}'
expect append2 "$("$LLMDATA" delta append "$T/t" "$T/a.parquet" "$T/a.parquet" --partition 'day=a b:c' --txn job:1)" '{"version":2,"committed":true}'
expect rerun "$("$LLMDATA" delta append "$T/t" "$T/a.parquet" --partition 'day=x' --txn job:1)" '{"version":null,"committed":false}'
"$LLMDATA" delta append "$T/t" "$T/bad.parquet" --partition day=x 2>"$T/err" && fail "non-Parquet append succeeded"
grep -q 'not a Parquet file' "$T/err" || fail "bad parquet error: $(cat "$T/err")"
"$LLMDATA" delta append "$T/t" "$src/data/delta/rows_score.parquet" --partition day=x 2>"$T/err" && fail "unknown column accepted"
grep -q "column 'score' is not in the table's schema" "$T/err" || fail "schema error: $(cat "$T/err")"
"$LLMDATA" delta append "$T/t" "$T/a.parquet" 2>"$T/err" && fail "append without partition value succeeded"
grep -q "partition column 'day'" "$T/err" || fail "partition error: $(cat "$T/err")"
ls "$T/t/day=a b%3Ac/" | grep -q 'parquet$' || fail "no Hive-escaped directory: $(ls "$T/t")"
"$LLMDATA" delta files "$T/t" > "$T/f.json" || fail "files exited $?"
expect nfiles "$(jq_ "len(d['files'])" < "$T/f.json")" 3
expect version "$(jq_ "d['version']" < "$T/f.json")" 2
expect partcols "$(jq_ "d['metaData']['partitionColumns']" < "$T/f.json")" "['day']"
expect pv "$(jq_ "sorted(f['partitionValues']['day'] for f in d['files'])" < "$T/f.json")" "['2024-01-01', 'a b:c', 'a b:c']"
# the copies exist where the log says (paths are decoded)
for p in $(jq_ "' '.join(f['path'].replace(' ', '@SP@') for f in d['files'])" < "$T/f.json"); do
  p=$(printf '%s' "$p" | sed 's/@SP@/ /g'); [ -f "$T/t/$p" ] || fail "missing data file $p"
done

# stats from the footer, as the fixture's values give them
expect stats "$(jq_ "d['files'][0]['stats']" < "$T/f.json")" \
  "{'numRecords': 3, 'minValues': {'id': 1, 'text': 'hello'}, 'maxValues': {'id': 3, 'text': 'last!!'}, 'nullCount': {'id': 0, 'text': 1}}"
# scan: 3 files x 3 rows, partition values as columns
expect scan "$("$LLMDATA" delta scan "$T/t" -o "$T/rows.jsonl")" '{"version":2,"rows":9}'
expect scanrow "$(sort "$T/rows.jsonl" | head -1)" '{"id":1,"text":"hello","day":"2024-01-01"}'
expect scancols "$("$LLMDATA" delta scan "$T/t" --columns day,id -o "$T/c.jsonl" >/dev/null; sort "$T/c.jsonl" | sed -n 4p)" '{"day":"a b:c","id":1}'

# 3. remove one file, then history, restore, time travel
first=$(jq_ "d['files'][0]['path']" < "$T/f.json")
expect remove "$("$LLMDATA" delta remove "$T/t" "$first")" '{"version":3,"committed":true}'
"$LLMDATA" delta remove "$T/t" nope.parquet 2>"$T/err" && fail "remove of a missing file succeeded"
expect after-remove "$("$LLMDATA" delta files "$T/t" | jq_ "len(d['files'])")" 2
expect at-v2 "$("$LLMDATA" delta files "$T/t" --version 2 | jq_ "len(d['files'])")" 3
"$LLMDATA" delta history "$T/t" > "$T/h.json" || fail "history exited $?"
expect history "$(jq_ "[(h['version'], h['commitInfo']['operation']) for h in d]" < "$T/h.json")" \
  "[(3, 'DELETE'), (2, 'WRITE'), (1, 'WRITE'), (0, 'CREATE TABLE')]"
ts1=$(jq_ "d[2]['timestamp']" < "$T/h.json")
expect at-ts "$("$LLMDATA" delta files "$T/t" --timestamp "$ts1" | jq_ "d['version']")" 1
iso=$("$PY" -c "import datetime; print(datetime.datetime.fromtimestamp($ts1/1000, datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z')")
expect at-iso "$("$LLMDATA" delta files "$T/t" --timestamp "$iso" | jq_ "d['version']")" 1
"$LLMDATA" delta files "$T/t" --timestamp 2001-01-01 2>"$T/err" && fail "timestamp before the table succeeded"
grep -q 'before the earliest' "$T/err" || fail "timestamp error: $(cat "$T/err")"
expect restore "$("$LLMDATA" delta restore "$T/t" --version 1)" '{"version":4,"committed":true}'
expect restored "$("$LLMDATA" delta files "$T/t" | jq_ "len(d['files'])")" 1

# 4. properties; the independent replay agrees with every version
expect set "$("$LLMDATA" delta set "$T/t" team=data delta.checkpointInterval=5)" '{"version":5,"committed":true}'
expect prop "$("$LLMDATA" delta files "$T/t" | jq_ "d['metaData']['configuration']['team']")" data
"$PY" "$src/delta/replay_ref.py" "$T/t" > "$T/ref.json" || fail "reference replay failed"
for v in 0 1 2 3 4 5; do
  ours=$("$LLMDATA" delta files "$T/t" --version $v | jq_ "sorted(f['path'] for f in d['files'])")
  ref=$(jq_ "sorted(f[0] for f in d['versions']['$v']['files'])" < "$T/ref.json")
  expect "replay v$v" "$ours" "$ref"
done

# 5. vacuum: short retention refused; dry run lists the removed file once old enough
"$LLMDATA" delta vacuum "$T/t" --retention-hours 1 2>"$T/err" && fail "short retention accepted"
grep -q '168 h' "$T/err" || fail "vacuum error: $(cat "$T/err")"
expect vacuum "$("$LLMDATA" delta vacuum "$T/t" --dry-run | jq_ "d['count']")" 0
expect vacuum0 "$("$LLMDATA" delta vacuum "$T/t" --retention-hours 0 --allow-short-retention --dry-run | jq_ "d['count']")" 2

# 5b. create --like and append --merge-schema
expect like "$("$LLMDATA" delta create "$T/l" --like "$src/data/delta/rows.parquet")" '{"version":0}'
expect merge "$("$LLMDATA" delta append "$T/l" "$src/data/delta/rows_score.parquet" --merge-schema)" '{"version":1,"committed":true}'
expect merged "$("$LLMDATA" delta files "$T/l" | jq_ "[f['name'] for f in d['metaData']['schema']['fields']]")" "['id', 'text', 'score']"

# 6. checkpoints: classic Parquet ones (the table reads the same from the checkpoint alone); V2
#    tables get JSON checkpoints
before=$("$LLMDATA" delta files "$T/t" | jq_ "sorted(f['path'] for f in d['files'])")
expect classic "$("$LLMDATA" delta checkpoint "$T/t")" '{"version":5}'
[ -s "$T/t/_delta_log/00000000000000000005.checkpoint.parquet" ] || fail "no classic checkpoint"
grep -q '"version":5' "$T/t/_delta_log/_last_checkpoint" || fail "_last_checkpoint: $(cat "$T/t/_delta_log/_last_checkpoint")"
rm "$T/t/_delta_log/"0000000000000000000[0-5].json
expect from-classic "$("$LLMDATA" delta files "$T/t" | jq_ "sorted(f['path'] for f in d['files'])")" "$before"
"$LLMDATA" delta create "$T/v2" --schema "$T/schema.json" --property delta.checkpointPolicy=v2 > /dev/null || fail "v2 create"
"$LLMDATA" delta append "$T/v2" "$T/a.parquet" > /dev/null || fail "v2 append"
expect ckpt "$("$LLMDATA" delta checkpoint "$T/v2")" '{"version":1}'
ls "$T/v2/_delta_log/" | grep -q '^00000000000000000001.checkpoint\..*\.json$' || fail "no V2 checkpoint"
rm "$T/v2/_delta_log/00000000000000000000.json" "$T/v2/_delta_log/00000000000000000001.json"
expect from-ckpt "$("$LLMDATA" delta files "$T/v2" | jq_ "(d['version'], len(d['files']))")" "(1, 1)"

# 6b. other readers: DuckDB (npm peer of the Parquet tests) reads our classic checkpoint with the
#     actions the log replay gives (file paths, protocol, partition columns)
peer="$src/parquet/peer_dump.mjs"
if command -v node >/dev/null && [ -d "$src/parquet/peer/node_modules/@duckdb/node-api" ]; then
  "$LLMDATA" delta create "$T/k" --schema "$T/schema.json" --partition-by day --property delta.checkpointInterval=3 > /dev/null
  for d in 1 2 3; do "$LLMDATA" delta append "$T/k" "$T/a.parquet" --partition "day=d $d:x" > /dev/null || fail "k append"; done
  [ -s "$T/k/_delta_log/00000000000000000003.checkpoint.parquet" ] || fail "no automatic checkpoint at version 3"
  node "$peer" duckdb "$T/k/_delta_log/00000000000000000003.checkpoint.parquet" > "$T/duck.jsonl" || fail "DuckDB could not read our checkpoint"
  "$LLMDATA" delta files "$T/k" --version 3 > "$T/k3.json"
  "$PY" - "$T/duck.jsonl" "$T/k3.json" <<'PY' || fail "DuckDB's view of the checkpoint differs"
import json, sys, urllib.parse
rows = [json.loads(l) for l in open(sys.argv[1])]
ours = json.load(open(sys.argv[2]))
adds = sorted(urllib.parse.unquote(r[1]["path"]) for r in rows if r[1] is not None)
assert adds == sorted(f["path"] for f in ours["files"]), (adds, ours["files"])
for r in rows:
    if r[1] is not None:
        assert r[1]["dataChange"] is False and dict(r[1]["partitionValues"])["day"].startswith("d "), r[1]
proto = [r[4] for r in rows if r[4] is not None]
meta = [r[3] for r in rows if r[3] is not None]
assert len(proto) == 1 and proto[0]["minWriterVersion"] == 7, proto
assert len(meta) == 1 and meta[0]["partitionColumns"] == ["day"] and meta[0]["schemaString"] == ours["metaData"]["schemaString"], meta
PY
  # DuckDB reads `delta scan -o OUT.parquet` with the rows `-o OUT.jsonl` gives
  "$LLMDATA" delta scan "$T/k" -o "$T/k.parquet" > /dev/null || fail "scan to Parquet"
  "$LLMDATA" delta scan "$T/k" -o "$T/k.jsonl" > /dev/null || fail "scan to JSONL"
  node "$peer" duckdb "$T/k.parquet" > "$T/kduck.jsonl" || fail "DuckDB could not read our scan"
  "$PY" - "$T/kduck.jsonl" "$T/k.jsonl" <<'PY' || fail "DuckDB's rows of our Parquet scan differ"
import json, sys
duck = sorted(tuple(json.loads(l)) for l in open(sys.argv[1]))
ours = sorted((r["id"], r["text"], r["day"]) for r in map(json.loads, open(sys.argv[2])))
assert len(duck) == 9 and duck == ours, (duck, ours)
PY
  # 6c. multi-part and V2 checkpoints (with sidecars, JSON and Parquet top level): the independent
  #     checker (tests/delta/checkpoint_ref.py: PROTOCOL.md + Spark's hash partitioning, Parquet
  #     read by DuckDB) finds each equal to the JSON replay at its version, clustered, well named
  for d in 4 5 6 7; do "$LLMDATA" delta append "$T/k" "$T/a.parquet" --partition "day=d $d:x" > /dev/null || fail "k append"; done
  "$LLMDATA" delta remove "$T/k" "$("$LLMDATA" delta files "$T/k" | jq_ "d['files'][0]['path']")" > /dev/null || fail "k remove"
  expect parts "$("$LLMDATA" delta checkpoint "$T/k" --parts 3)" '{"version":8}'
  [ "$(ls "$T/k/_delta_log" | grep -c '^00000000000000000008\.checkpoint\.000000000[123]\.0000000003\.parquet$')" = 3 ] || fail "not 3 parts"
  "$PY" "$src/delta/checkpoint_ref.py" "$T/k" > "$T/ckref.json" || fail "checkpoint_ref: $(cat "$T/ckref.json")"
  "$LLMDATA" delta checkpoint "$T/k" --v2 2> "$T/err" && fail "V2 checkpoint on a classic table"
  grep -q v2Checkpoint "$T/err" || fail "V2 refusal does not name the feature: $(cat "$T/err")"
  "$LLMDATA" delta create "$T/w" --schema "$T/schema.json" --partition-by day --property delta.checkpointPolicy=v2 > /dev/null
  for d in 1 2 3 4 5; do "$LLMDATA" delta append "$T/w" "$T/a.parquet" --partition "day=$d" --txn "job:$d" > /dev/null || fail "w append"; done
  expect v2json "$("$LLMDATA" delta checkpoint "$T/w" --part-size 2)" '{"version":5}'
  "$LLMDATA" delta append "$T/w" "$T/a.parquet" --partition "day=6" > /dev/null || fail "w append 6"
  expect v2pq "$("$LLMDATA" delta checkpoint "$T/w" --v2-parquet --parts 2)" '{"version":6}'
  [ "$(ls "$T/w/_delta_log/_sidecars" | wc -l)" = 5 ] || fail "sidecars: $(ls "$T/w/_delta_log/_sidecars")"
  "$PY" "$src/delta/checkpoint_ref.py" "$T/w" > "$T/ckref.json" || fail "checkpoint_ref V2: $(cat "$T/ckref.json")"
  grep -q '00000000000000000005.checkpoint.*json' "$T/ckref.json" && grep -q '00000000000000000006.checkpoint.*parquet' "$T/ckref.json" ||
    fail "checkpoint_ref did not check both V2 checkpoints: $(cat "$T/ckref.json")"
  # our reader from the checkpoints alone equals the reader with all commits
  want=$("$LLMDATA" delta files "$T/w" | jq_ "sorted(f['path'] for f in d['files'])")
  cp -r "$T/w" "$T/w2" && rm "$T/w2/_delta_log/"0000000000000000000?.json
  expect from-v2 "$("$LLMDATA" delta files "$T/w2" | jq_ "sorted(f['path'] for f in d['files'])")" "$want"
  # the checker against Spark: its V2 checkpoint's two sidecars are clustered by the same hash
  #   (only when ../shared is there: users' clones lack it)
  spark_v2="${LLMD_SHARED_DIR:-/nonexistent}/delta-tables/kernel-golden/v2-checkpoint-json/delta"
  if [ -d "$spark_v2" ]; then
    "$PY" "$src/delta/checkpoint_ref.py" "$spark_v2" > "$T/ckspark.json" || fail "checkpoint_ref on Spark's table: $(cat "$T/ckspark.json")"
    grep -q '00000000000000000002.checkpoint.6374b053' "$T/ckspark.json" || fail "Spark's V2 checkpoint not checked"
  fi
elif [ "${CI:-}" = "true" ]; then
  fail "CI=true but node / the Parquet npm peers are missing (tests/parquet/fetch_peers.sh)"
else
  echo "test_delta: SKIP DuckDB checks (run tests/parquet/fetch_peers.sh)" >&2
fi

# 7. tables it must refuse: non-zero exit and a message
mkdir -p "$T/bad/_delta_log"
printf '%s\n' '{"protocol":{"minReaderVersion":4,"minWriterVersion":7}}' > "$T/bad/_delta_log/00000000000000000000.json"
"$LLMDATA" delta files "$T/bad" 2>"$T/err" && fail "reader version 4 accepted"
grep -q 'reader version 4' "$T/err" || fail "refusal: $(cat "$T/err")"
"$LLMDATA" delta files "$T/none" 2>"$T/err" && fail "missing table accepted"
grep -q 'not a Delta table' "$T/err" || fail "missing: $(cat "$T/err")"
exit 0
