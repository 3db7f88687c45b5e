#!/bin/sh
# Documents out as Parquet: `llmdata clean|dedup ... -o out.parquet`, read back by DuckDB
# (@duckdb/node-api: to_json of every row, DESCRIBE) and compared with the JSONL output of the same
# run (tests/parquet/check_docs.py): from JSONL input the columns follow the documented type rule,
# from Parquet input (written by DuckDB: nested, decimal, date, map columns, many row groups) the
# output keeps the input's schema and rows.  Without node/the npm peer: SKIP (77), a failure under CI=true.
set -eu
dir=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_parquet_docs.sh: $*" >&2; exit 1; }
missing() {
  if [ "${CI:-}" = "true" ]; then fail "$1 (CI=true: run tests/parquet/fetch_peers.sh)"; fi
  echo "SKIP: $1 (run tests/parquet/fetch_peers.sh)"; exit 77
}
command -v node >/dev/null || missing "node not found"
[ -d "$dir/parquet/peer/node_modules/@duckdb/node-api" ] || missing "npm peer @duckdb/node-api not installed"
sql() { node "$dir/parquet/duck_sql.mjs" "$@"; }
rows() { sql "SELECT to_json(t) FROM read_parquet('$1') t" > "$2"; }
desc() { sql "DESCRIBE SELECT * FROM read_parquet('$1')" > "$2"; }

# 1. JSONL in: every kind of member, some missing, some null, duplicates for dedup
"$py" - "$tmp/in.jsonl" <<'PY'
import json, random, sys
random.seed(3)
with open(sys.argv[1], "w", encoding="utf-8") as f:
    for i in range(600):
        d = {"text": "Document %d: <b>bold</b> text, mail x%d@example.com  and café ☕" % (i % 450, i % 450), "id": i}
        if i % 5: d["score"] = i / 4 if i % 2 else i           # ints and non-integral doubles -> DOUBLE
        if i % 7: d["flag"] = bool(i % 3)
        if i % 11 == 0: d["flag"] = None
        d["meta"] = {"src": "s%d" % (i % 4), "n": [i, None]}    # objects -> JSON text
        d["mixed"] = [1, "one", 1.5, None, True, ["x"]][i % 6]  # mixed kinds -> JSON text
        d["big"] = 2 ** 60 + i                                  # beyond 2^53 -> DOUBLE
        d["name"] = None if i % 13 == 0 else "n\u00e9%d\n\"q\"" % i
        d["count"] = -i * 1000
        if i > 500: d["late"] = "added"                         # appears late: null before
        f.write(json.dumps(d, ensure_ascii=False) + "\n")
PY
for cmd in clean dedup; do
  "$LLMDATA" $cmd -q "$tmp/in.jsonl" -o "$tmp/$cmd.parquet"
  "$LLMDATA" $cmd -q "$tmp/in.jsonl" -o "$tmp/$cmd.jsonl"
  rows "$tmp/$cmd.parquet" "$tmp/$cmd.rows"
  desc "$tmp/$cmd.parquet" "$tmp/$cmd.desc"
  "$py" "$dir/parquet/check_docs.py" json "$tmp/$cmd.rows" "$tmp/$cmd.desc" "$tmp/$cmd.jsonl" || fail "$cmd: JSONL -> Parquet"
done
[ "$(wc -l < "$tmp/dedup.jsonl")" -lt 600 ] || fail "dedup dropped nothing: the test needs duplicates"
# nothing kept: a file of no rows (one string column, the text field) that DuckDB reads
"$LLMDATA" filter -q --min-bytes 1000000 "$tmp/in.jsonl" -o "$tmp/none.parquet"
[ "$(sql "SELECT count(*) FROM read_parquet('$tmp/none.parquet')")" = "[0]" ] || fail "empty output not readable"

# 2. Parquet in (DuckDB-written, 100-row row groups): the input's schema and rows, text replaced
sql "COPY (SELECT i AS id,
        CASE WHEN i % 9 = 0 THEN 'the same text again and again' ELSE 'doc ' || i || '  <i>x</i> a' || i || '@example.com' END AS text,
        CASE WHEN i % 4 = 0 THEN NULL ELSE [i, i + 1] END AS l,
        {'a': i, 'b': 's' || i, 'c': [i * 0.5]} AS st,
        MAP {'k': i, 'j': -i} AS m,
        (i * 0.25)::DECIMAL(10, 2) AS dec,
        DATE '2024-01-01' + i::INTEGER AS d,
        CASE WHEN i % 3 = 0 THEN NULL ELSE i * 1.5 END AS f,
        i % 2 = 0 AS b
      FROM range(1000) t(i)) TO '$tmp/in.parquet' (FORMAT parquet, ROW_GROUP_SIZE 100)" > /dev/null
rows "$tmp/in.parquet" "$tmp/in.rows"
desc "$tmp/in.parquet" "$tmp/in.desc"
for cmd in clean dedup; do
  "$LLMDATA" $cmd -q "$tmp/in.parquet" -o "$tmp/p$cmd.parquet"
  "$LLMDATA" $cmd -q "$tmp/in.parquet" -o "$tmp/p$cmd.jsonl"
  rows "$tmp/p$cmd.parquet" "$tmp/p$cmd.rows"
  desc "$tmp/p$cmd.parquet" "$tmp/p$cmd.desc"
  "$py" "$dir/parquet/check_docs.py" keep "$tmp/p$cmd.rows" "$tmp/p$cmd.desc" "$tmp/in.rows" "$tmp/in.desc" \
    "$tmp/p$cmd.jsonl" text id || fail "$cmd: Parquet -> Parquet"
done
[ "$(wc -l < "$tmp/pdedup.jsonl")" -lt 1000 ] || fail "dedup dropped nothing from the Parquet input"

# 3. safety: a failing run leaves an earlier output as it was, and no temporary or spool files
cp "$tmp/clean.parquet" "$tmp/keep.parquet"
if "$LLMDATA" clean -q --field nosuch "$tmp/in.jsonl" -o "$tmp/clean.parquet" 2>/dev/null; then fail "missing field accepted"; fi
cmp -s "$tmp/clean.parquet" "$tmp/keep.parquet" || fail "a failed run changed the earlier output"
ls -a "$tmp" | grep -q -e '\.tmp' -e 'llmdata-spool' && fail "temporary files left: $(ls -a "$tmp")"
exit 0
