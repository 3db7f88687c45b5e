#!/bin/sh
# llmdata clean end to end: cleaning, every redaction type, --redact subsets, --spans offsets,
# --template, usage errors.  Expected outputs are written by hand from the documented rules.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_clean: $*" >&2; exit 1; }
expect() {  # expect NAME GOT WANT
  [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"
}

# 1. Cleaning + default redaction (all types), other fields untouched.
cat > "$T/in.jsonl" <<'J'
{"id":"a","text":"<p>Hello&nbsp;<b>World</b></p>\n\n<script>x()</script>Caf\u0065\u0301 &amp; co","n":[1, 2]}
{"id":"b","text":"Mail jane.roe@example.org or (202) 555-0143; card 4242 4242 4242 4242."}
{"id":"c","text":"IBAN GB82 WEST 1234 5698 7654 32, SSN 536-22-8762, host 192.0.2.10 / 2001:db8::7"}
{"id":"d","text":"key AKIAIOSFODNN7EXAMPLE and ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"}
J
"$LLMDATA" clean -q "$T/in.jsonl" > "$T/out.jsonl" || fail "clean exited $?"
expect line1 "$(sed -n 1p "$T/out.jsonl")" '{"id":"a","text":"Hello World Café & co","n":[1, 2]}'
expect line2 "$(sed -n 2p "$T/out.jsonl")" '{"id":"b","text":"Mail [EMAIL_ADDRESS] or [PHONE_NUMBER]; card [CREDIT_CARD]."}'
expect line3 "$(sed -n 3p "$T/out.jsonl")" '{"id":"c","text":"IBAN [IBAN_CODE], SSN [US_SSN], host [IP_ADDRESS] / [IP_ADDRESS]"}'
expect line4 "$(sed -n 4p "$T/out.jsonl")" '{"id":"d","text":"key [SECRET] and [SECRET]"}'

# 2. --redact subset, --redact none, --template.
out=$("$LLMDATA" clean -q --redact EMAIL_ADDRESS,US_SSN "$T/in.jsonl" | sed -n 2,3p | tr '\n' '|')
expect subset "$out" '{"id":"b","text":"Mail [EMAIL_ADDRESS] or (202) 555-0143; card 4242 4242 4242 4242."}|{"id":"c","text":"IBAN GB82 WEST 1234 5698 7654 32, SSN [US_SSN], host 192.0.2.10 / 2001:db8::7"}|'
out=$("$LLMDATA" clean -q --redact none "$T/in.jsonl" | sed -n 2p)
expect none "$out" '{"id":"b","text":"Mail jane.roe@example.org or (202) 555-0143; card 4242 4242 4242 4242."}'
out=$("$LLMDATA" clean -q --template '<{type}>' "$T/in.jsonl" | sed -n 4p)
expect template "$out" '{"id":"d","text":"key <SECRET> and <SECRET>"}'

# 3. --spans: offsets into the cleaned text ("Mail " is 5 bytes; "jane.roe@example.org" is 20).
out=$("$LLMDATA" clean -q --spans --redact EMAIL_ADDRESS "$T/in.jsonl" | sed -n 2p)
expect spans "$out" '{"id":"b","text":"Mail [EMAIL_ADDRESS] or (202) 555-0143; card 4242 4242 4242 4242.","pii":[{"type":"EMAIL_ADDRESS","start":5,"end":25}]}'
out=$("$LLMDATA" clean -q --spans --redact none "$T/in.jsonl" | sed -n 1p)
expect spans_empty "$out" '{"id":"a","text":"Hello World Café & co","n":[1, 2],"pii":[]}'

# 4. Cleaning switches.
printf '%s\n' '{"text":"<b>x</b>  e\u0301 \ufb01\n\ny\u0001"}' > "$T/sw.jsonl"
expect no-html "$("$LLMDATA" clean -q --no-html "$T/sw.jsonl")" '{"text":"<b>x</b> é ﬁ y"}'
expect nfkc "$("$LLMDATA" clean -q --nfkc "$T/sw.jsonl")" '{"text":"x é fi y"}'
expect no-nfc "$("$LLMDATA" clean -q --no-nfc "$T/sw.jsonl")" "$(printf '{"text":"x e\314\201 \357\254\201 y"}')"
expect paragraphs "$("$LLMDATA" clean -q --keep-paragraphs "$T/sw.jsonl")" '{"text":"x é ﬁ\n\ny"}'
expect no-ws "$("$LLMDATA" clean -q --no-whitespace "$T/sw.jsonl")" '{"text":"x  é ﬁ\n\ny"}'
expect keep-controls "$("$LLMDATA" clean -q --keep-controls --no-whitespace "$T/sw.jsonl")" '{"text":"x  é ﬁ\n\ny\u0001"}'

# 5. Threads give the same bytes as one thread.
i=0; : > "$T/many.jsonl"
while [ $i -lt 300 ]; do
  echo "{\"id\":$i,\"text\":\"doc $i <i>mail</i> u$i@example.com call +44 20 7946 0$((100 + i % 800))\"}" >> "$T/many.jsonl"
  i=$((i + 1))
done
"$LLMDATA" clean -q --spans --threads 1 "$T/many.jsonl" > "$T/t1" || fail "threads 1"
"$LLMDATA" clean -q --spans --threads 4 "$T/many.jsonl" > "$T/t4" || fail "threads 4"
cmp -s "$T/t1" "$T/t4" || fail "--threads 4 output differs from --threads 1"
[ "$(grep -c '\[EMAIL_ADDRESS\] call \[PHONE_NUMBER\]' "$T/t1")" = 300 ] || fail "threads: not every doc redacted"

# 5b. The streaming engine (reader thread, workers, ordered writer) on enough data for many batches
#     (a batch is cut at 64 KiB of input): the same bytes and the same summary for 1, 2 and 4
#     workers, with bad lines and documents without the field skipped and counted.
/usr/bin/python3 - "$T/big.jsonl" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(6000):
        if i % 997 == 5:
            f.write("{not json\n")
        elif i % 1009 == 7:
            f.write(json.dumps({"id": i, "title": "no text"}) + "\n")
        else:
            body = " ".join("w%d" % (i * 7 + k) for k in range(80))
            f.write(json.dumps({"id": i, "text": "<p>%s u%d@example.org &amp; caf\u00e9</p>" % (body, i)}) + "\n")
PY
for th in 1 2 4; do
  "$LLMDATA" clean --skip-bad --spans --threads $th "$T/big.jsonl" > "$T/big$th" 2> "$T/big$th.err" || fail "big: threads $th exit $?"
  sed 's/, [0-9.]* s, [0-9.]* MB\/s//' "$T/big$th.err" > "$T/big$th.sum"
done
cmp -s "$T/big1" "$T/big2" || fail "big: --threads 2 output differs from --threads 1"
cmp -s "$T/big1" "$T/big4" || fail "big: --threads 4 output differs from --threads 1"
cmp -s "$T/big1.sum" "$T/big2.sum" && cmp -s "$T/big1.sum" "$T/big4.sum" || fail "big: summaries differ: $(cat "$T"/big?.sum)"
# 6000 lines: 7 bad JSON (i % 997 == 5), 6 without text (i % 1009 == 7, none of them also bad).
grep -q 'docs in 6000, out 5987, bad 13' "$T/big1.err" || fail "big summary: $(cat "$T/big1.err")"
grep -q 'pii 5987 (EMAIL_ADDRESS 5987), without "text" 6' "$T/big1.err" || fail "big counts: $(cat "$T/big1.err")"
[ "$(wc -l < "$T/big1")" = 5987 ] || fail "big: $(wc -l < "$T/big1") lines out"
[ "$(sed -n 1p "$T/big1" | cut -c1-40)" = '{"id": 0,"text": "w0 w1 w2 w3 w4 w5 w6 w' ] || fail "big: first line $(sed -n 1p "$T/big1" | cut -c1-60)"
[ "$(tail -n 1 "$T/big1" | cut -c1-14)" = '{"id": 5999,"t' ] || fail "big: order lost: $(tail -n 1 "$T/big1" | cut -c1-30)"
# A bad line without --skip-bad stops every thread count the same way: exit 1, the line named, and
# what was written to standard output is every valid document before the bad line (line 6: the
# first 5 documents of the full output).
for th in 1 2; do
  "$LLMDATA" clean --spans --threads $th "$T/big.jsonl" > "$T/stop$th" 2> "$T/stop$th.err"; rc=$?
  [ $rc -eq 1 ] || fail "bad line, threads $th: exit $rc"
  grep -q "big.jsonl:6: " "$T/stop$th.err" || fail "bad line, threads $th: not named: $(cat "$T/stop$th.err")"
  n=$(wc -l < "$T/stop$th")
  [ "$n" -eq 5 ] || fail "bad line, threads $th: $n documents written before line 6, want 5"
  head -n "$n" "$T/big1" | cmp -s - "$T/stop$th" || fail "bad line, threads $th: output is not a prefix"
done

# 6. Summary line counts types.
"$LLMDATA" clean "$T/in.jsonl" > /dev/null 2> "$T/err" || fail "summary run"
grep -q 'docs in 4, out 4' "$T/err" || fail "summary: $(cat "$T/err")"
grep -q 'pii 9 (EMAIL_ADDRESS 1, PHONE_NUMBER 1, IP_ADDRESS 2, CREDIT_CARD 1, IBAN_CODE 1, US_SSN 1, SECRET 2)' "$T/err" ||
  fail "summary counts: $(cat "$T/err")"

# 7. Usage errors: unknown type (named), unknown option, bad values -> exit 2.
"$LLMDATA" clean --redact EMAIL_ADDRESS,PASSPORT "$T/in.jsonl" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "unknown type: exit $rc, want 2"
grep -q "PASSPORT" "$T/err" || fail "unknown type not named: $(cat "$T/err")"
"$LLMDATA" clean --bogus "$T/in.jsonl" > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "unknown option: exit $rc"
"$LLMDATA" clean --invalid-utf8 maybe "$T/in.jsonl" > /dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail "bad --invalid-utf8: exit $rc"
"$LLMDATA" clean --template '{oops' "$T/in.jsonl" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 2 ] || fail "bad template: exit $rc"
grep -q "template" "$T/err" || fail "bad template message: $(cat "$T/err")"
"$LLMDATA" clean --help | grep -q -- '--redact' || fail "--help"

# 8. Documents without the field: error naming the line, or skipped and counted.
printf '%s\n' '{"text":"ok"}' '{"title":"no text"}' > "$T/nofield.jsonl"
"$LLMDATA" clean "$T/nofield.jsonl" > /dev/null 2> "$T/err"; rc=$?
[ $rc -eq 1 ] || fail "missing field: exit $rc"
grep -q "nofield.jsonl:2" "$T/err" || fail "missing field: line not named: $(cat "$T/err")"
out=$("$LLMDATA" clean --skip-bad "$T/nofield.jsonl" 2> "$T/err")
expect skip-missing "$out" '{"text":"ok"}'
grep -q 'bad 1' "$T/err" || fail "missing field not counted: $(cat "$T/err")"

# 9. The sample corpus: the planted fake PII, counted by hand from examples/data/make_sample.py
#    (README.md lists the items): e-mail 8 + 1 in the near-duplicate contact page, phones 8 + 3,
#    IPs 10, cards 4 (the Luhn-invalid 4242 4242 4242 4241 stays), IBANs 7, SSNs 2, secrets 8
#    (AWS key id + secret key, GitHub, Slack, Stripe, JWT, Google, PEM block).
sample="$(cd "$(dirname "$0")/../.." && pwd)/examples/data/sample.jsonl"
if [ -f "$sample" ]; then
  "$LLMDATA" clean --redact all --spans "$sample" > "$T/sample.out" 2> "$T/err" || fail "sample: exit $?"
  grep -q 'docs in 105, out 105, bad 0' "$T/err" || fail "sample summary: $(cat "$T/err")"
  grep -q 'pii 51 (EMAIL_ADDRESS 9, PHONE_NUMBER 11, IP_ADDRESS 10, CREDIT_CARD 4, IBAN_CODE 7, US_SSN 2, SECRET 8)' "$T/err" ||
    fail "sample counts: $(cat "$T/err")"
  grep -q '4242 4242 4242 4241' "$T/sample.out" || fail "sample: Luhn-invalid number was redacted"
  # Only planted documents and the near duplicate of the contact page carry spans.
  bad=$(grep -v '"kind": "planted"' "$T/sample.out" | grep -v '"pii":\[\]' | grep -vc 'near duplicate of the contact page')
  [ "$bad" = 0 ] || fail "sample: $bad real documents with PII spans"
fi
# 10. Standard output gathers each document's rendering and writes them with writev; through a pipe
#     whose reader starts late (the writer blocks with a batch in flight) and to a file it must be
#     the same bytes as through -o FILE (copied through the output's buffer), documents of a few
#     bytes to 150 KB, escapes and non-ASCII included.
awk 'BEGIN { u = "ab\\n\\u00e9\\\"x "; big = u; for (k = 0; k < 13; k++) big = big big;
  for (i = 0; i < 300; i++) { t = ""; if (i % 7 == 0) t = big; else for (k = 0; k < i % 50; k++) t = t u;
  printf "{\"id\":%d,\"text\":\"%s caf\303\251\"}\n", i, t } }' > "$T/big.jsonl"
"$LLMDATA" clean -q --threads 1 -o "$T/big.o.jsonl" "$T/big.jsonl" || fail "big -o: exit $?"
"$LLMDATA" clean -q --threads 1 "$T/big.jsonl" > "$T/big.s.jsonl" || fail "big stdout: exit $?"
"$LLMDATA" clean -q --threads 1 "$T/big.jsonl" | { sleep 1; cat; } > "$T/big.p.jsonl" || fail "big pipe: exit $?"
[ "$(wc -l < "$T/big.o.jsonl")" = 300 ] || fail "big: $(wc -l < "$T/big.o.jsonl") lines, want 300"
cmp -s "$T/big.o.jsonl" "$T/big.s.jsonl" || fail "big: standard output (file) differs from -o"
cmp -s "$T/big.o.jsonl" "$T/big.p.jsonl" || fail "big: standard output (pipe) differs from -o"
grep -qF '{"id":1,"text":"ab é\"x café"}' "$T/big.o.jsonl" || fail "big: document 1 not cleaned as expected"
# 11. A pipe named *.zst gets zstd data (it was written uncompressed when standard-output writes
#     went straight to the descriptor): the frame magic, and the documents read back.
if command -v mkfifo > /dev/null; then
  mkfifo "$T/fifo.jsonl.zst"
  "$LLMDATA" clean -q --threads 1 -o "$T/fifo.jsonl.zst" "$T/big.jsonl" &
  cat "$T/fifo.jsonl.zst" > "$T/fifo.bin"
  wait $! || fail "fifo.zst: exit $?"
  [ "$(od -An -tx1 -N4 "$T/fifo.bin" | tr -d ' ')" = 28b52ffd ] || fail "fifo.zst: not zstd data"
  cp "$T/fifo.bin" "$T/back.jsonl.zst"
  "$LLMDATA" clean -q --redact none --no-html --no-whitespace "$T/back.jsonl.zst" > "$T/back.jsonl" || fail "fifo.zst read back"
  cmp -s "$T/back.jsonl" "$T/big.o.jsonl" || fail "fifo.zst: documents read back differ"
fi
exit 0
