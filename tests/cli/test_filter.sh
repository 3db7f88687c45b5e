#!/bin/sh
# llmdata filter end to end: dropping, C4's rewritten text, --annotate, --rejected (with the rule),
# --rules order, per-rule counters in the summary, usage errors.  Expected outputs are worked out by
# hand from datatrove's filter code (see tests/test_filter.c for the rule arithmetic).
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_filter: $*" >&2; exit 1; }
expect() {  # expect NAME GOT WANT
  [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"
}
L5='This is line one.\nThis is line two.\nThis is line three.\nThis is line four.\nThis is line five.'
# 1: kept as is; 2: "Menu" removed by C4 (no end mark); 3: 1 sentence < 5; 4: bad word (C4 keeps it:
# 5 sentences); 5: no text field
cat > "$T/in.jsonl" <<J
{"id":1,"text":"$L5","n":[1, 2]}
{"id":2,"text":"Menu\n$L5"}
{"id":3,"text":"Too short."}
{"id":4,"text":"$L5\nWhat a load of shit, really."}
{"id":5,"body":"x"}
J
"$LLMDATA" filter --rules c4,badwords --skip-bad --rejected "$T/rej.jsonl" "$T/in.jsonl" > "$T/out.jsonl" 2> "$T/err" ||
  fail "filter exited $?: $(cat "$T/err")"
expect kept1 "$(sed -n 1p "$T/out.jsonl")" "{\"id\":1,\"text\":\"$L5\",\"n\":[1, 2]}"
expect kept2 "$(sed -n 2p "$T/out.jsonl")" "{\"id\":2,\"text\":\"$L5\"}"
expect nkept "$(wc -l < "$T/out.jsonl")" 2
expect rej1 "$(sed -n 1p "$T/rej.jsonl")" '{"id":3,"text":"Too short.","filter_reason":"c4_too_few_sentences"}'
expect rej2 "$(sed -n 2p "$T/rej.jsonl")" "{\"id\":4,\"text\":\"$L5\\nWhat a load of shit, really.\",\"filter_reason\":\"badwords\"}"
grep -q 'dropped: c4_too_few_sentences 1, badwords 1; lines removed: c4_line_no_terminal_punct 1' "$T/err" ||
  fail "summary: $(cat "$T/err")"
grep -q 'bad 1' "$T/err" || fail "summary lacks the skipped line: $(cat "$T/err")"

# 2. --annotate keeps everything and says why
"$LLMDATA" filter -q --rules badwords,c4 --annotate --skip-bad "$T/in.jsonl" > "$T/ann.jsonl" || fail "annotate exited $?"
expect ann3 "$(sed -n 3p "$T/ann.jsonl")" '{"id":3,"text":"Too short.","filter":{"kept":false,"rule":"c4_too_few_sentences"}}'
expect ann4 "$(sed -n 4p "$T/ann.jsonl")" "{\"id\":4,\"text\":\"$L5\\nWhat a load of shit, really.\",\"filter\":{\"kept\":false,\"rule\":\"badwords\"}}"
expect ann1 "$(sed -n 1p "$T/ann.jsonl")" "{\"id\":1,\"text\":\"$L5\",\"n\":[1, 2],\"filter\":{\"kept\":true,\"rule\":null}}"

# 3. Gopher alone: 20 words < 50
"$LLMDATA" filter -q --rules gopher --annotate --skip-bad "$T/in.jsonl" | sed -n 1p | grep -q '"rule":"gopher_short_doc"' ||
  fail "gopher rule"

# 4. Usage errors: unknown rule, a language model that does not exist
"$LLMDATA" filter --rules c4,nope "$T/in.jsonl" > /dev/null 2> "$T/e2"; rc=$?
expect rc-unknown "$rc" 2
grep -q "unknown filter 'nope'" "$T/e2" || fail "unknown rule message: $(cat "$T/e2")"
"$LLMDATA" filter --rules language --language-model "$T/no-model.ftz" "$T/in.jsonl" > /dev/null 2> "$T/e3"; rc=$?
[ "$rc" -ne 0 ] || fail "language filter without its model exited 0"
grep -q "no-model.ftz" "$T/e3" || fail "language message: $(cat "$T/e3")"
# 5. The pipeline takes the same ordered list (--filters); its report names it and counts by rule
"$LLMDATA" pipeline -q --tokenizer bytes --seq-len 64 --filters gopher --no-clean --no-redact --no-dedup \
  --skip-bad --out "$T/pl" "$T/in.jsonl" || fail "pipeline exited $?"
grep -q '"filters":"gopher"' "$T/pl/report.json" || fail "report lacks the filter list"
grep -q '"gopher_short_doc":{"docs_dropped":4,' "$T/pl/report.json" || fail "report: gopher_short_doc should drop all 4 documents"

# The language rule predicts with the bundled fastText model by default: the same label and score as
# `llmdata langid` gives, kept or dropped by --languages / --min-language-score (datatrove's rule).
printf '%s\n' '{"text":"This is an English sentence about the weather and the city, written plainly for everyone."}' \
  '{"text":"Ceci est une phrase en français sur le temps qu il fait et la ville, écrite simplement pour tous."}' \
  > "$T/lang.jsonl"
"$LLMDATA" langid -q "$T/lang.jsonl" > "$T/lid.jsonl" || fail "langid exited $?"
"$LLMDATA" filter -q --rules language --languages en --annotate "$T/lang.jsonl" > "$T/lf.jsonl" || fail "language filter exited $?"
for n in 1 2; do
  a=$(sed -n "${n}p" "$T/lid.jsonl" | sed 's/.*"language":"\([a-z]*\)","language_score":\([0-9.e-]*\).*/\1 \2/')
  b=$(sed -n "${n}p" "$T/lf.jsonl" | sed 's/.*"language":"\([a-z]*\)","language_score":\([0-9.e-]*\).*/\1 \2/')
  [ -n "$a" ] && [ "${a%% *}" = "${b%% *}" ] || fail "language filter label differs from langid: [$a] vs [$b]"
done
grep -q '"language":"en".*"kept":true' "$T/lf.jsonl" || fail "English document not kept: $(cat "$T/lf.jsonl")"
grep -q '"language":"fr".*"kept":false,"rule":"language"' "$T/lf.jsonl" || fail "French document not dropped"
"$LLMDATA" filter -q --rules language --language-model /nonexistent.ftz "$T/lang.jsonl" > /dev/null 2> "$T/err" &&
  fail "missing model exited 0"
grep -q "nonexistent.ftz" "$T/err" || fail "missing model message: $(cat "$T/err")"

echo "test_filter: ok"
