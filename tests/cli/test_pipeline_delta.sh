#!/bin/sh
# `llmdata pipeline --delta TABLE`: the run's Parquet training shards committed to a Delta table as
# ONE version (add with stats, txn, commitInfo WRITE with the settings).  Expected windows come from
# the same run written as .npy shards (an independent writer); the table's files at each version
# come from the independent PROTOCOL.md replay (tests/delta/replay_ref.py); the data files are read
# by DuckDB (tests/parquet/duck_shards.mjs) and by our `delta scan`.  Checked: a run then a rerun
# (one version, exit 0, says so), a second different run (version 2), concurrent runs (different
# ones both commit; identical ones commit once), schema enforcement, format refusal.
# Without node/the npm peers or numpy: SKIP (77), a failure under CI=true.
set -eu
dir=$(cd "$(dirname "$0")/.." && pwd)
py=/usr/bin/python3
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail() { echo "test_pipeline_delta.sh: $*" >&2; exit 1; }
missing() {
  if [ "${CI:-}" = "true" ]; then fail "$1 (CI=true: run tests/parquet/fetch_peers.sh)"; fi
  echo "SKIP: $1 (run tests/parquet/fetch_peers.sh)"; exit 77
}
command -v node >/dev/null || missing "node not found"
[ -d "$dir/parquet/peer/node_modules/@duckdb/node-api" ] || missing "npm peer @duckdb/node-api not installed"
"$py" -c 'import numpy' 2>/dev/null || missing "numpy for /usr/bin/python3 not installed"
jq_() { "$py" -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }

"$py" - "$tmp" <<'PY'
import json, random, sys
random.seed(11)
words = ["alpha", "beta", "gamma", "delta", "épsilon", "zeta", "東京", "theta"]
for name, n in (("a", 300), ("b", 120), ("c", 80), ("d", 90)):
    with open(f"{sys.argv[1]}/{name}.jsonl", "w", encoding="utf-8") as f:
        for i in range(n):
            f.write(json.dumps({"text": f"{name}{i} " + " ".join(random.choice(words) for _ in range(random.randint(1, 200)))},
                               ensure_ascii=False) + "\n")
PY
off="--no-filter --no-clean --no-redact --no-dedup --no-near-dedup"
run() { "$LLMDATA" pipeline -q --tokenizer bytes --seq-len 128 --strategy best-fit $off --parquet-file-bytes 20000 "$@"; }
T="$tmp/table"

# 1. a run creates the table and commits its shards as version 1
run --delta "$T" -o "$tmp/o1" "$tmp/a.jsonl" > "$tmp/r1.json" || fail "first run"
expect committed "$(jq_ "(d['delta']['committed'], d['delta']['version'])" < "$tmp/r1.json")" "(True, 1)"
app=$(jq_ "d['delta']['appId']" < "$tmp/r1.json")
nfiles=$(ls "$tmp/o1" | grep -c '^data-.*\.parquet$')
[ "$nfiles" -ge 3 ] || fail "expected several shard files, got $nfiles"
expect report "$(jq_ "(d['delta']['version'], d['delta']['files'])" < "$tmp/o1/report.json")" "(1, $nfiles)"
# the shard manifest names the table version its shards became (and the run still verifies)
expect manifest "$(jq_ "(d['delta']['version'], d['delta']['table'] == '$T', d['delta']['appId'] == '$app')" < "$tmp/o1/data.manifest.json")" "(1, True, True)"
# (Python cannot load the library of a sanitizer build: there the C suite's verify tests stand in)
if [ "${LLMD_SANITIZED:-0}" != 1 ]; then
  LLMDATA_LIBRARY=$(dirname "$LLMDATA")/../../lib/libllmdata.so PYTHONPATH="$dir/../bindings/python" "$py" -c \
    "import sys, llmdata; llmdata.verify_output(sys.argv[1])" "$tmp/o1" || fail "verify after the manifest patch"
fi
"$py" - "$T/_delta_log/00000000000000000001.json" "$app" "$nfiles" <<'PY' || fail "commit 1's actions"
import json, sys
acts = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
ci = [a["commitInfo"] for a in acts if "commitInfo" in a]
assert len(ci) == 1 and ci[0]["operation"] == "WRITE", ci
p = ci[0]["operationParameters"]
assert p["seq_len"] == "128" and p["strategy"] == "best-fit" and p["format"] == "parquet" and p["mode"] == "Append", p
assert all(isinstance(v, str) for v in p.values()), p
txn = [a["txn"] for a in acts if "txn" in a]
assert txn == [{"appId": sys.argv[2], "version": 1, "lastUpdated": txn[0]["lastUpdated"]}], txn
adds = [a["add"] for a in acts if "add" in a]
assert len(adds) == int(sys.argv[3]), len(adds)
for a in adds:
    s = json.loads(a["stats"])
    assert s["numRecords"] > 0 and a["dataChange"] is True and a["path"].endswith(".parquet"), a
PY

# the windows the table holds at version 1 = the same run as .npy (independent writer), read by
# DuckDB from the files the independent replay lists, in shard order (data-NNNNN)
run --format npy -o "$tmp/npy" "$tmp/a.jsonl"
"$py" "$dir/delta/replay_ref.py" "$T" > "$tmp/ref.json" || fail "reference replay"
files_at() { "$py" - "$tmp/ref.json" "$T" "$1" <<'PY'
import json, re, sys
files = json.load(open(sys.argv[1]))["versions"][sys.argv[3]]["files"]
key = lambda f: int(re.search(r"data-(\d+)\.parquet$", f[0]).group(1))
print("\n".join(sys.argv[2] + "/" + f[0] for f in sorted(files, key=key)))
PY
}
files_at 1 > "$tmp/f1"
[ "$(wc -l < "$tmp/f1")" -eq "$nfiles" ] || fail "replay lists $(wc -l < "$tmp/f1") files at version 1"
# shellcheck disable=SC2046
node "$dir/parquet/duck_shards.mjs" $(cat "$tmp/f1") > "$tmp/duck1.jsonl" 2>/dev/null || fail "DuckDB could not read the table's files"
"$py" "$dir/parquet/compare_shards.py" "$tmp/duck1.jsonl" --npy "$tmp/npy/data" || fail "table files (DuckDB) differ from the npy run"
# our scan of the table (version 1): the same windows (file order is the table's, so as a multiset)
"$LLMDATA" delta scan "$T" --version 1 -o "$tmp/scan1.jsonl" > /dev/null || fail "delta scan"
"$py" - "$tmp/scan1.jsonl" "$tmp/duck1.jsonl" <<'PY' || fail "our scan differs from the run's windows"
import json, sys
key = lambda r: json.dumps([r["input_ids"], r["cu_seqlens"], r["document_ids"], r["document_offsets"]])
ours = sorted(key(json.loads(l)) for l in open(sys.argv[1]))
want = sorted(key(json.loads(l)) for l in open(sys.argv[2]))
assert len(ours) == len(want) > 0 and ours == want, (len(ours), len(want))
PY

# 2. the same run again (another output directory): nothing committed, nothing written, exit 0
run --delta "$T" -o "$tmp/o1b" "$tmp/a.jsonl" > "$tmp/r1b.json" 2> "$tmp/err" || fail "rerun failed: $(cat "$tmp/err")"
expect rerun "$(jq_ "(d['delta']['committed'], d['delta']['version'], d['delta']['tableVersion'], d['delta']['appId'])" < "$tmp/r1b.json")" \
  "(False, None, 1, '$app')"
[ ! -e "$tmp/o1b" ] || fail "the idempotent rerun wrote its output"
[ "$(ls "$T/_delta_log" | grep -c '^[0-9]*\.json$')" -eq 2 ] || fail "rerun committed: $(ls "$T/_delta_log")"
"$LLMDATA" pipeline --tokenizer bytes --seq-len 128 --strategy best-fit $off --parquet-file-bytes 20000 \
  --delta "$T" -o "$tmp/o1c" "$tmp/a.jsonl" 2>&1 >/dev/null | grep -q 'already in .*nothing committed' || fail "the rerun does not say so"
# the same data under another file name is the same run (the appId hashes contents, not names)
cp "$tmp/a.jsonl" "$tmp/a-copy.jsonl"
expect renamed "$(run --delta "$T" -o "$tmp/o1d" "$tmp/a-copy.jsonl" | jq_ "d['delta']['committed']")" "False"

# 3. a different run (other input; then other settings): versions 2 and 3
expect second "$(run --delta "$T" -o "$tmp/o2" "$tmp/b.jsonl" | jq_ "(d['delta']['committed'], d['delta']['version'])")" "(True, 2)"
expect settings "$(run --delta "$T" --seq-len 64 -o "$tmp/o3" "$tmp/b.jsonl" | jq_ "d['delta']['version']")" "3"
# a user-given appId/version: its own run sequence
expect app1 "$(run --delta "$T" --app-id nightly --app-version 7 -o "$tmp/o4" "$tmp/c.jsonl" | jq_ "d['delta']['version']")" "4"
expect app1again "$(run --delta "$T" --app-id nightly --app-version 7 -o "$tmp/o5" "$tmp/d.jsonl" | jq_ "d['delta']['committed']")" "False"
# the config keys (delta, delta_app_id, delta_app_version) do the same as the options
printf '{"delta": "%s", "format": "parquet", "delta_app_id": "from-config", "delta_app_version": 3}' "$T" > "$tmp/cfg.json"
expect config "$(run --config "$tmp/cfg.json" -o "$tmp/o5c" "$tmp/d.jsonl" | jq_ "(d['delta']['version'], d['delta']['appId'])")" "(5, 'from-config')"

# 4. concurrent writers: two different runs both commit (blind appends commute); two identical
#    runs commit once (txn of the same appId)
run --delta "$T" -o "$tmp/p1" "$tmp/c.jsonl" > "$tmp/p1.json" & a1=$!
run --delta "$T" -o "$tmp/p2" "$tmp/d.jsonl" > "$tmp/p2.json" & a2=$!
wait $a1 || fail "concurrent run 1"; wait $a2 || fail "concurrent run 2"
expect concurrent "$(cat "$tmp/p1.json" "$tmp/p2.json" | "$py" -c "import json,sys; print(sorted(json.loads(l)['delta']['version'] for l in sys.stdin))")" "[6, 7]"
cp "$tmp/b.jsonl" "$tmp/e.jsonl"; echo '{"text": "one more document for a new run id"}' >> "$tmp/e.jsonl"
run --delta "$T" -o "$tmp/q1" "$tmp/e.jsonl" > "$tmp/q1.json" & b1=$!
run --delta "$T" -o "$tmp/q2" "$tmp/e.jsonl" > "$tmp/q2.json" & b2=$!
wait $b1 || fail "identical concurrent run 1"; wait $b2 || fail "identical concurrent run 2"
expect once "$(cat "$tmp/q1.json" "$tmp/q2.json" | "$py" -c "import json,sys; print(sorted(json.loads(l)['delta']['committed'] for l in sys.stdin))")" "[False, True]"
[ "$(ls "$T/_delta_log" | grep -c '^[0-9]*\.json$')" -eq 9 ] || fail "expected versions 0..8: $(ls "$T/_delta_log")"
# every version's files: the replay's add count per version = that run's shard count
"$py" "$dir/delta/replay_ref.py" "$T" > "$tmp/ref.json" || fail "reference replay"
"$LLMDATA" delta files "$T" > "$tmp/latest.json"
expect latest-files "$(jq_ "len(d['files'])" < "$tmp/latest.json")" \
  "$("$py" -c "import json; print(len(json.load(open('$tmp/ref.json'))['versions']['8']['files']))")"

# 5. schema enforcement: a table of another schema refuses the shards, naming a column; nothing committed
"$LLMDATA" delta create "$tmp/other" --like "$dir/data/delta/rows.parquet" > /dev/null
if run --delta "$tmp/other" -o "$tmp/o6" "$tmp/c.jsonl" 2> "$tmp/err" > /dev/null; then fail "schema mismatch accepted"; fi
grep -q 'input_ids' "$tmp/err" || fail "schema error does not name the column: $(cat "$tmp/err")"
[ "$(ls "$tmp/other/_delta_log" | grep -c '^[0-9]*\.json$')" -eq 1 ] || fail "a refused run committed"
# --delta with a non-Parquet format is refused
if run --delta "$tmp/t2" --format npy -o "$tmp/o7" "$tmp/c.jsonl" 2> "$tmp/err"; then fail "--delta --format npy accepted"; fi
grep -q 'format parquet' "$tmp/err" || fail "format refusal: $(cat "$tmp/err")"
exit 0
