#!/bin/sh
# llmdata dedup / minhash end to end.  Expected outputs are written by hand from the documented
# rules (include/llmdata/dedup.h, the commands' --help); the golden signature prefix comes from
# tests/dedup_quality/ref_minhash.py (an independent Python implementation of the algorithm).
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_dedup: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"; }

cat > "$T/in.jsonl" <<'J'
{"id":"a","text":"The quick brown fox jumps over the lazy dog","n":[1, 2]}
{"id":"b","text":"the QUICK brown fox -- jumps over the lazy dog."}
{"text":"something else entirely, with more than five words in it"}
{"id":7,"text":"The quick brown fox jumps over the lazy dog"}
{"id":"e1","text":""}
{"id":"e2","text":""}
J
# 1. Cluster mode (default): b (folded identical: same shingles) and 7 (same bytes) join a's
#    cluster; e2 is an exact copy of e1 (exact hashes are part of pass 1; an empty document is never
#    a NEAR duplicate, but two empty ones are the same bytes).
"$LLMDATA" dedup -q --report "$T/r.jsonl" "$T/in.jsonl" > "$T/out.jsonl" || fail "dedup exited $?"
expect kept "$(cut -c1-12 "$T/out.jsonl" | tr '\n' '|')" '{"id":"a","t|{"text":"som|{"id":"e1","|'
expect line1 "$(sed -n 1p "$T/out.jsonl")" '{"id":"a","text":"The quick brown fox jumps over the lazy dog","n":[1, 2]}'
expect report "$(tr '\n' '|' < "$T/r.jsonl")" '{"id":"b","kept":"a","linked":"a","jaccard":1.0000,"cluster_size":3}|{"id":7,"kept":"a","linked":"a","jaccard":1.0000,"cluster_size":3}|{"id":"e2","kept":"e1","linked":"e1","jaccard":1.0000,"cluster_size":2}|'
# 1b. --streaming: the one-pass mode, as before (empty documents kept, no exact hashes).
"$LLMDATA" dedup -q --streaming --report "$T/r.jsonl" "$T/in.jsonl" > "$T/out.jsonl" || fail "streaming exited $?"
expect kept-streaming "$(cut -c1-12 "$T/out.jsonl" | tr '\n' '|')" '{"id":"a","t|{"text":"som|{"id":"e1","|{"id":"e2","|'
expect report-streaming "$(tr '\n' '|' < "$T/r.jsonl")" '{"id":"b","kept":"a","jaccard":1.0000}|{"id":7,"kept":"a","jaccard":1.0000}|'

# 2. Exact only: raw bytes (b differs), then normalised (b folds to a); e2 is an exact copy of e1.
"$LLMDATA" dedup -q --exact-only --report "$T/r.jsonl" "$T/in.jsonl" > "$T/out.jsonl" || fail "exact exited $?"
expect exact "$(wc -l < "$T/out.jsonl" | tr -d ' ')" 4
expect exact-report "$(tr '\n' '|' < "$T/r.jsonl")" '{"id":7,"kept":"a","jaccard":1}|{"id":"e2","kept":"e1","jaccard":1}|'
"$LLMDATA" dedup -q --exact-only --normalize --report "$T/r.jsonl" "$T/in.jsonl" > /dev/null || fail "normalize exited $?"
expect normalized "$(cut -d, -f1 "$T/r.jsonl" | tr '\n' '|')" '{"id":"b"|{"id":7|{"id":"e2"|'

# 3. Line numbers when there is no id; --field.
printf '%s\n' '{"body":"one two three four five six"}' '{"body":"One two three four five six!"}' > "$T/nf.jsonl"
"$LLMDATA" dedup -q --field body --report "$T/r.jsonl" "$T/nf.jsonl" > /dev/null || fail "field exited $?"
expect lineno "$(cat "$T/r.jsonl")" '{"id":2,"kept":1,"linked":1,"jaccard":1.0000,"cluster_size":2}'
"$LLMDATA" dedup -q --streaming --field body --report "$T/r.jsonl" "$T/nf.jsonl" > /dev/null || fail "field exited $?"
expect lineno-streaming "$(cat "$T/r.jsonl")" '{"id":2,"kept":1,"jaccard":1.0000}'

# 4. minhash: golden prefix (first 4 values of G1's signature, ref_minhash.py), identical bytes in
#    two processes, other members kept, band keys (9 of 12 bytes by default).
"$LLMDATA" minhash -q "$T/in.jsonl" > "$T/m1.jsonl" || fail "minhash exited $?"
"$LLMDATA" minhash -q "$T/in.jsonl" > "$T/m2.jsonl" || fail "minhash exited $?"
cmp -s "$T/m1.jsonl" "$T/m2.jsonl" || fail "minhash output differs between two runs"
first=$(sed -n 1p "$T/m1.jsonl")
case "$first" in
  '{"id":"a","text":"The quick brown fox jumps over the lazy dog","n":[1, 2],"minhash":"5c6d9c5ba38555104600621ecc1aa300'*) ;;
  *) fail "minhash line 1: $first" ;;
esac
case "$first" in *'"bands":["00000000d25c200a4aad0b8f","01000000fcc22b9f0e9c466b",'*) ;; *) fail "bands: $first" ;; esac
nb=$(sed -n 1p "$T/m1.jsonl" | sed 's/.*"bands":\[//' | tr ',' '\n' | wc -l | tr -d ' ')
expect nbands "$nb" 9
hexlen=$(sed -n 1p "$T/m1.jsonl" | sed 's/.*"minhash":"\([0-9a-f]*\)".*/\1/' | tr -d '\n' | wc -c | tr -d ' ')
expect hexlen "$hexlen" 1024
out=$("$LLMDATA" minhash -q --num-perm 4 --no-bands "$T/in.jsonl" | sed -n 5p)
expect empty-sig "$out" '{"id":"e1","text":"","minhash":"ffffffffffffffffffffffffffffffff"}'

# 5. Incremental runs with --index.
head -1 "$T/in.jsonl" > "$T/day1.jsonl"
sed -n 2,3p "$T/in.jsonl" > "$T/day2.jsonl"
"$LLMDATA" dedup -q --index "$T/idx" "$T/day1.jsonl" > /dev/null || fail "day1 exited $?"
[ -s "$T/idx" ] || fail "index not written"
"$LLMDATA" dedup -q --index "$T/idx" --report "$T/r.jsonl" "$T/day2.jsonl" > "$T/out.jsonl" || fail "day2 exited $?"
expect day2-out "$(cut -c1-9 "$T/out.jsonl")" '{"text":"'
expect day2-report "$(cat "$T/r.jsonl")" '{"id":"b","kept":"a","jaccard":1.0000}'
# A damaged index is refused with a clear message, and left alone.
printf 'garbage' | dd of="$T/idx" bs=1 seek=40 conv=notrunc 2>/dev/null
"$LLMDATA" dedup -q --index "$T/idx" "$T/day2.jsonl" > /dev/null 2> "$T/err" && fail "corrupt index accepted"
grep -q "checksum mismatch" "$T/err" || fail "corrupt index message: $(cat "$T/err")"
# An index built with other parameters is refused.
"$LLMDATA" dedup -q --index "$T/idx2" "$T/day1.jsonl" > /dev/null || fail "idx2 exited $?"
"$LLMDATA" dedup -q --ngram 3 --index "$T/idx2" "$T/day2.jsonl" > /dev/null 2> "$T/err" && fail "ngram mismatch accepted"
grep -q "different ngram" "$T/err" || fail "mismatch message: $(cat "$T/err")"

# 5b. --verify exact: "a b c d e f" = {abcde, bcdef}, plus " g" = {abcde, bcdef, cdefg}: J = 2/3
#     exactly, over a 0.6 threshold; the estimate mode reports a signature estimate instead.
printf '%s\n' '{"id":"x","text":"a b c d e f"}' '{"id":"y","text":"A b, c d e f g"}' > "$T/ex.jsonl"
"$LLMDATA" dedup -q --streaming --threshold 0.6 --bands 64 --rows 2 --verify exact --report "$T/r.jsonl" "$T/ex.jsonl" > /dev/null \
  || fail "verify exact exited $?"
expect verify-exact "$(cat "$T/r.jsonl")" '{"id":"y","kept":"x","jaccard":0.6667}'
"$LLMDATA" dedup -q --threshold 0.6 --bands 64 --rows 2 --report "$T/r.jsonl" "$T/ex.jsonl" > /dev/null \
  || fail "cluster verify exact exited $?"
expect cluster-verify-exact "$(cat "$T/r.jsonl")" '{"id":"y","kept":"x","linked":"x","jaccard":0.6667,"cluster_size":2}'
"$LLMDATA" dedup --verify maybe "$T/ex.jsonl" > /dev/null 2>&1; expect verify-bad $? 2

# 7. The chain copy1, copy2, base (hand-worked): base = w1..w20 (16 word 5-grams); c1 = base with
#    w20 replaced (15 shared of 17: J = 0.8824), c2 = base with w1 replaced (J = 0.8824), c1 vs c2:
#    14 shared of 18 = 0.7778 < 0.8.  Cluster mode keeps c1 only (the first); one-pass streaming
#    (same bands, exact verification) has already written c2 when the base arrives.
w=""; for i in $(seq 1 19); do w="$w w$i"; done
printf '%s\n' "{\"id\":\"c1\",\"text\":\"$w zzz\"}" "{\"id\":\"c2\",\"text\":\"yyy ${w# w1 } w20\"}" \
  "{\"id\":\"b\",\"text\":\"$w w20\"}" '{"id":"u","text":"an unrelated document about something else entirely"}' > "$T/chain.jsonl"
"$LLMDATA" dedup -q --report "$T/r.jsonl" "$T/chain.jsonl" > "$T/out.jsonl" || fail "chain exited $?"
expect chain-kept "$(cut -d, -f1 "$T/out.jsonl" | tr '\n' '|')" '{"id":"c1"|{"id":"u"|'
expect chain-report "$(tr '\n' '|' < "$T/r.jsonl")" '{"id":"c2","kept":"c1","linked":"b","jaccard":0.8824,"cluster_size":3}|{"id":"b","kept":"c1","linked":"c1","jaccard":0.8824,"cluster_size":3}|'
"$LLMDATA" dedup -q --streaming --bands 16 --rows 8 --verify exact "$T/chain.jsonl" > "$T/out.jsonl" || fail "chain streaming exited $?"
expect chain-streaming "$(cut -d, -f1 "$T/out.jsonl" | tr '\n' '|')" '{"id":"c1"|{"id":"c2"|{"id":"u"|'
# Any order: one of c1, c2, b kept, plus u.
for perm in "3 1 2 4" "2 3 1 4" "4 3 2 1"; do
  for l in $perm; do sed -n "${l}p" "$T/chain.jsonl"; done > "$T/perm.jsonl"
  "$LLMDATA" dedup -q "$T/perm.jsonl" > "$T/out.jsonl" || fail "perm exited $?"
  expect "chain-order $perm" "$(wc -l < "$T/out.jsonl" | tr -d ' ')" 2
done
# Standard input and pipes are spooled (to an unlinked file in TMPDIR: nothing left there), also
# mixed with a file; the result is the file's.
mkdir "$T/tmp"
head -2 "$T/chain.jsonl" > "$T/part1.jsonl"
tail -2 "$T/chain.jsonl" | TMPDIR="$T/tmp" "$LLMDATA" dedup -q "$T/part1.jsonl" - > "$T/out.jsonl" || fail "stdin exited $?"
expect chain-stdin "$(cut -d, -f1 "$T/out.jsonl" | tr '\n' '|')" '{"id":"c1"|{"id":"u"|'
cat "$T/chain.jsonl" | TMPDIR="$T/tmp" "$LLMDATA" dedup -q > "$T/out.jsonl" || fail "pipe exited $?"
expect chain-pipe "$(cut -d, -f1 "$T/out.jsonl" | tr '\n' '|')" '{"id":"c1"|{"id":"u"|'
expect spool-left "$(ls "$T/tmp" | wc -l | tr -d ' ')" 0
# Bad lines and documents without the field, skipped in every pass (--skip-bad): same clusters.
{ echo 'not json'; sed -n 1,2p "$T/chain.jsonl"; echo '{"id":"nofield"}'; sed -n 3,4p "$T/chain.jsonl"; } > "$T/bad.jsonl"
"$LLMDATA" dedup -q --skip-bad --report "$T/r.jsonl" "$T/bad.jsonl" > "$T/out.jsonl" || fail "skip-bad exited $?"
expect chain-skip-bad "$(cut -d, -f1 "$T/out.jsonl" | tr '\n' '|')" '{"id":"c1"|{"id":"u"|'
expect chain-skip-bad-report "$(cut -d, -f1-3 "$T/r.jsonl" | tr '\n' '|')" '{"id":"c2","kept":"c1","linked":"b"|{"id":"b","kept":"c1","linked":"c1"|'
"$LLMDATA" dedup -q "$T/bad.jsonl" > /dev/null 2> "$T/err"; expect chain-bad-line $? 1
grep -q "bad.jsonl:1" "$T/err" || fail "bad line message: $(cat "$T/err")"
# --verify none keeps the candidates' clusters without checking; not a streaming mode.
"$LLMDATA" dedup -q --verify none "$T/chain.jsonl" > "$T/out.jsonl" || fail "verify none exited $?"
expect verify-none "$(wc -l < "$T/out.jsonl" | tr -d ' ')" 2
"$LLMDATA" dedup --streaming --verify none "$T/chain.jsonl" > /dev/null 2>&1; expect verify-none-streaming $? 2
# The summary names the clusters.
"$LLMDATA" dedup "$T/chain.jsonl" 2> "$T/err" > /dev/null || fail "summary exited $?"
grep -q "clusters of 2: 0, 3: 1," "$T/err" || fail "summary: $(cat "$T/err")"

# 6. Usage errors.
"$LLMDATA" dedup --bands 4 "$T/in.jsonl" > /dev/null 2> "$T/err"; expect bands-alone $? 2
grep -q "set both" "$T/err" || fail "bands message: $(cat "$T/err")"
"$LLMDATA" dedup --threshold 2 "$T/in.jsonl" > /dev/null 2>&1; expect threshold $? 2
"$LLMDATA" dedup --bogus "$T/in.jsonl" > /dev/null 2>&1; expect unknown $? 2
"$LLMDATA" minhash --bands 20 --rows 20 "$T/in.jsonl" > /dev/null 2>&1; expect minhash-bands $? 2
printf '%s\n' '{"id":1}' > "$T/nofield.jsonl"
"$LLMDATA" dedup -q "$T/nofield.jsonl" > /dev/null 2> "$T/err"; expect nofield $? 1
grep -q "nofield.jsonl:1" "$T/err" || fail "missing-field message: $(cat "$T/err")"
echo "test_dedup: ok"
