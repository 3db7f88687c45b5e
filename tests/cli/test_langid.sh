#!/bin/sh
# llmdata langid end to end with the bundled lid.176.ftz: fields added, other members kept,
# -k / --threshold, --field, null for no prediction, --threads, errors.  Expected labels and
# probabilities are the WASM fastText's (tests/langid/peer_predict.mjs) on the same texts.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_langid: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"; }
near() {  # near NAME GOT WANT: |GOT - WANT| <= 1e-4
  awk -v g="$2" -v w="$3" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d <= 1e-4) }' || fail "$1: got $2 want $3"
}
field() { sed -n "$2p" "$1" | sed -n "s/.*\"$3\":\([^,}]*\).*/\1/p"; }

cat > "$T/in.jsonl" <<'J'
{"id":1,"text":"Bonjour tout le monde","n":[1,2]}
{"id":2,"text":"Das ist ein Test"}
{"id":3,"text":"Привет мир"}
{"id":4,"body":"这是一个测试","text":"Bonjour tout\nle monde"}
J
"$LLMDATA" langid -q "$T/in.jsonl" > "$T/out.jsonl" || fail "langid exited $?"
expect lines "$(wc -l < "$T/out.jsonl" | tr -d ' ')" 4
expect l1 "$(sed -n 1p "$T/out.jsonl" | cut -c1-60)" '{"id":1,"text":"Bonjour tout le monde","n":[1,2],"language":'
expect lang1 "$(field "$T/out.jsonl" 1 language)" '"fr"'
near score1 "$(field "$T/out.jsonl" 1 language_score)" 0.9895494
expect lang2 "$(field "$T/out.jsonl" 2 language)" '"de"'
near score2 "$(field "$T/out.jsonl" 2 language_score)" 1.0000399
expect lang3 "$(field "$T/out.jsonl" 3 language)" '"ru"'
near score3 "$(field "$T/out.jsonl" 3 language_score)" 0.5729788
# newline read as a space: the same score as line 1
expect newline "$(field "$T/out.jsonl" 4 language_score)" "$(field "$T/out.jsonl" 1 language_score)"

# --field, -k 3 (peer: ru 0.5729788, uk 0.1952358, bg 0.0898829), threads
out=$("$LLMDATA" langid -q --field body "$T/in.jsonl" --skip-bad 2>/dev/null | sed -n 1p)
expect field_zh "$(echo "$out" | sed -n 's/.*"language":"\([a-z]*\)".*/\1/p')" zh
out=$(sed -n 3p "$T/in.jsonl" | "$LLMDATA" langid -q -k 3)
expect k3 "$(echo "$out" | sed 's/"score":[0-9.e-]*//g; s/"language_score":[0-9.e-]*,//')" '{"id":3,"text":"Привет мир","language":"ru","language_predictions":[{"language":"ru",},{"language":"uk",},{"language":"bg",}]}'
out=$(sed -n 3p "$T/in.jsonl" | "$LLMDATA" langid -q -k -1 --threshold 0.1)
expect threshold "$(echo "$out" | grep -o '"language":"[a-z]*"' | tr '\n' ' ')" '"language":"ru" "language":"ru" "language":"uk" '
out=$(sed -n 3p "$T/in.jsonl" | "$LLMDATA" langid -q --threshold 0.9)
expect null "$out" '{"id":3,"text":"Привет мир","language":null,"language_score":0.0}'
"$LLMDATA" langid -q --threads 2 "$T/in.jsonl" > "$T/out2.jsonl" || fail "threads"
cmp -s "$T/out.jsonl" "$T/out2.jsonl" || fail "--threads 2 output differs"

# errors: bad model, bad -k, missing field
printf 'not a model' > "$T/bad.ftz"
err=$("$LLMDATA" langid -q --model "$T/bad.ftz" "$T/in.jsonl" 2>&1 >/dev/null); rc=$?
[ $rc -ne 0 ] || fail "bad model accepted"
echo "$err" | grep -q "bad.ftz" || fail "bad model message: $err"
"$LLMDATA" langid -k 0 "$T/in.jsonl" >/dev/null 2>&1 && fail "-k 0 accepted"
echo '{"id":9}' | "$LLMDATA" langid -q >/dev/null 2>&1 && fail "missing field accepted"
exit 0
