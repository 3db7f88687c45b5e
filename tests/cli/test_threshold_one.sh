#!/bin/sh
# --threshold 1 is documented as allowed ((0, 1]); it used to fail with "LSH rows 128: at most 64
# rows per band" (issue 9 item 10).  datasketch's _optimal_param picks 1 band of num_perm rows for
# it, so only documents with identical signatures are duplicates.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_threshold_one: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"; }

cat > "$T/in.jsonl" <<'J'
{"id":"a","text":"one two three four five six seven eight"}
{"id":"b","text":"One two three, four five six seven eight!"}
{"id":"c","text":"one two three four five six seven nine"}
J
# b folds to a (identical shingles, Jaccard 1); c shares 3 of 5 shingles with a: kept at threshold 1.
"$LLMDATA" dedup -q --threshold 1 --report "$T/r.jsonl" "$T/in.jsonl" > "$T/out.jsonl" 2> "$T/err" \
  || fail "dedup --threshold 1 exited $?: $(cat "$T/err")"
expect kept "$(cut -d, -f1 "$T/out.jsonl" | tr '\n' '|')" '{"id":"a"|{"id":"c"|'
expect report "$(cat "$T/r.jsonl")" '{"id":"b","kept":"a","linked":"a","jaccard":1.0000,"cluster_size":2}'
# The same in streaming mode (its report names the kept document only).
"$LLMDATA" dedup -q --streaming --threshold 1 --report "$T/rs.jsonl" "$T/in.jsonl" > "$T/outs.jsonl" 2> "$T/err" \
  || fail "dedup --streaming --threshold 1 exited $?: $(cat "$T/err")"
expect kept-streaming "$(cut -d, -f1 "$T/outs.jsonl" | tr '\n' '|')" '{"id":"a"|{"id":"c"|'
expect report-streaming "$(cat "$T/rs.jsonl")" '{"id":"b","kept":"a","jaccard":1.0000}'
# minhash: one band key per document (band 0), equal for a and b, different for c.
"$LLMDATA" minhash -q --threshold 1 "$T/in.jsonl" > "$T/m.jsonl" 2> "$T/err" \
  || fail "minhash --threshold 1 exited $?: $(cat "$T/err")"
sed 's/.*"bands":\["\([0-9a-f]*\)"\]}$/\1/' "$T/m.jsonl" > "$T/keys"
expect nkeys "$(grep -c '^00000000[0-9a-f]\{16\}$' "$T/keys")" 3
expect same "$(sed -n 1p "$T/keys")" "$(sed -n 2p "$T/keys")"
[ "$(sed -n 1p "$T/keys")" != "$(sed -n 3p "$T/keys")" ] || fail "c has a's band key"
# Over 1 is still refused.
"$LLMDATA" dedup --threshold 1.01 "$T/in.jsonl" > /dev/null 2>&1; expect over-one $? 2
echo "test_threshold_one: ok"
