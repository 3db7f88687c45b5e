#!/bin/sh
# The shared JSONL plumbing (cli_run_jsonl), exercised through `llmdata clean`: malformed lines,
# --skip-bad, byte-identical passthrough of other fields, --field, zstd input, empty input, -o.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_jsonl: $*" >&2; exit 1; }

# A malformed line is an error naming file:line, exit 1.
printf '%s\n' '{"text":"one"}' '{"text":"two"' '{"text":"three"}' > "$T/bad.jsonl"
"$LLMDATA" clean "$T/bad.jsonl" > "$T/out" 2> "$T/err"; rc=$?
[ $rc -eq 1 ] || fail "bad line: exit $rc, want 1"
grep -q "bad.jsonl:2" "$T/err" || fail "bad line: message does not name line 2: $(cat "$T/err")"
# --skip-bad: the line is skipped and counted; the others come through.
"$LLMDATA" clean --skip-bad "$T/bad.jsonl" > "$T/out" 2> "$T/err" || fail "--skip-bad exited $?"
[ "$(cat "$T/out")" = '{"text":"one"}
{"text":"three"}' ] || fail "--skip-bad output: $(cat "$T/out")"
grep -q "docs in 3, out 2, bad 1" "$T/err" || fail "--skip-bad summary: $(cat "$T/err")"

# Other fields pass through byte for byte (spacing, number spelling, escapes, key order).
cat > "$T/pass.jsonl" <<'J'
{ "id" : 7 , "meta": {"b": [1.50, 2e3, null], "s": "caf\u00e9 \"q\""}, "text": "<i>A</i>  b", "z":true }
J
out=$("$LLMDATA" clean -q "$T/pass.jsonl")
[ "$out" = '{"id" : 7,"meta": {"b": [1.50, 2e3, null], "s": "caf\u00e9 \"q\""},"text": "A b","z":true}' ] ||
  fail "passthrough: $out"

# --field cleans another field and leaves "text" alone.
printf '%s\n' '{"text":"<b>keep</b>","body":"<b>x@example.com</b>  y"}' > "$T/field.jsonl"
out=$("$LLMDATA" clean -q --field body "$T/field.jsonl")
[ "$out" = '{"text":"<b>keep</b>","body":"[EMAIL_ADDRESS] y"}' ] || fail "--field: $out"

# zstd input (recognised by content), several inputs in order, stdin via "-".
printf '%s\n' '{"text":"z1  x"}' '{"text":"z2"}' | zstd -q -c > "$T/in.zst" || fail "zstd"
out=$(printf '%s\n' '{"text":"s1"}' | "$LLMDATA" clean -q "$T/in.zst" - | tr '\n' '|')
[ "$out" = '{"text":"z1 x"}|{"text":"z2"}|{"text":"s1"}|' ] || fail "zstd/stdin: $out"

# gzip input (.jsonl.gz, told by its magic bytes whatever the name), members concatenated.
printf '%s\n' '{"text":"g1  x"}' | gzip -c > "$T/in.jsonl.gz" || fail "gzip"
printf '%s\n' '{"text":"g2"}' | gzip -c >> "$T/in.jsonl.gz"
cp "$T/in.jsonl.gz" "$T/noext"
out=$("$LLMDATA" clean -q "$T/in.jsonl.gz" "$T/noext" | tr '\n' '|')
[ "$out" = '{"text":"g1 x"}|{"text":"g2"}|{"text":"g1 x"}|{"text":"g2"}|' ] || fail "gzip: $out"
# A truncated .gz is an error, not a silent short read.
head -c 20 "$T/in.jsonl.gz" > "$T/trunc.gz"
"$LLMDATA" clean -q "$T/trunc.gz" > /dev/null 2> "$T/err" && fail "truncated gzip exited 0"
grep -q "gzip" "$T/err" || fail "truncated gzip message: $(cat "$T/err")"

# --skip-bad where every line is bad (e.g. a compressed file read as text): non-zero exit, said so.
printf '%s\n' 'not json' 'still not' > "$T/allbad.jsonl"
"$LLMDATA" clean --skip-bad "$T/allbad.jsonl" > /dev/null 2> "$T/err" && fail "all-bad input exited 0"
grep -q "all 2 input lines were bad" "$T/err" || fail "all-bad message: $(cat "$T/err")"

# Empty input and blank lines: no output, success.
: > "$T/empty.jsonl"
out=$("$LLMDATA" clean "$T/empty.jsonl" 2> "$T/err") || fail "empty input exited $?"
[ -z "$out" ] || fail "empty input produced output"
grep -q "docs in 0, out 0" "$T/err" || fail "empty summary: $(cat "$T/err")"
printf '\n  \n' > "$T/blank.jsonl"
out=$("$LLMDATA" clean -q "$T/blank.jsonl") || fail "blank lines exited $?"
[ -z "$out" ] || fail "blank lines produced output"

# -o writes the file; a missing input is an error.
"$LLMDATA" clean -q -o "$T/o.jsonl" "$T/field.jsonl" || fail "-o exited $?"
[ "$(cat "$T/o.jsonl")" = '{"text":"keep","body":"<b>x@example.com</b>  y"}' ] || fail "-o content: $(cat "$T/o.jsonl")"
"$LLMDATA" clean -q "$T/nonexistent.jsonl" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 1 ] || fail "missing input: exit $rc"
grep -q "nonexistent" "$T/err" || fail "missing input not named: $(cat "$T/err")"

# A value that is not a string in the field: error with line, or skipped with --skip-bad.
printf '%s\n' '{"text":42}' > "$T/num.jsonl"
"$LLMDATA" clean "$T/num.jsonl" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 1 ] || fail "non-string field: exit $rc"
grep -q "num.jsonl:1" "$T/err" || fail "non-string field: $(cat "$T/err")"
exit 0
