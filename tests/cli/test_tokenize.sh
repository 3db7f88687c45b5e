#!/bin/sh
# llmdata tokenize / detokenize end to end with the bundled GPT-2 tokenizer.  Expected ids come from
# npm tiktoken 1.0.22, get_encoding("gpt2").encode_ordinary(text) (computed once, pasted here);
# offsets and the decoded text follow from the documented contract (tokenizer.h).
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_tokenize: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"; }
root=$(cd "$(dirname "$0")/../.." && pwd)
G="$root/examples/data/gpt2-tokenizer.json"

cat > "$T/in.jsonl" <<'J'
{"id":1,"text":"Hello world! café","keep":{"a":[1, 2]}}
{"id":2,"text":"It's 2024, isn't it?"}
{"id":3,"text":"tab\tand\nnewline"}
{"id":4,"text":"東京 🇫🇷"}
J
# 1. ids added, every other member byte-identical
"$LLMDATA" tokenize -q --tokenizer "$G" "$T/in.jsonl" > "$T/out.jsonl" || fail "tokenize exited $?"
expect line1 "$(sed -n 1p "$T/out.jsonl")" '{"id":1,"text":"Hello world! café","keep":{"a":[1, 2]},"ids":[15496,995,0,40304]}'
expect line2 "$(sed -n 2p "$T/out.jsonl" | sed 's/.*"ids"://')" '[1026,338,48609,11,2125,470,340,30]}'
expect line3 "$(sed -n 3p "$T/out.jsonl" | sed 's/.*"ids"://')" '[8658,197,392,198,3605,1370]}'
expect line4 "$(sed -n 4p "$T/out.jsonl" | sed 's/.*"ids"://')" '[30266,109,12859,105,12520,229,104,8582,229,115]}'

# 2. two threads give the same bytes as one
"$LLMDATA" tokenize -q --threads 2 --tokenizer "$G" "$T/in.jsonl" > "$T/out2.jsonl" || fail "threads exited $?"
cmp -s "$T/out.jsonl" "$T/out2.jsonl" || fail "--threads 2 output differs"

# 3. detokenize restores the text (byte-level round trip) into another field
"$LLMDATA" detokenize -q --tokenizer "$G" --field back "$T/out.jsonl" > "$T/back.jsonl" || fail "detokenize exited $?"
/usr/bin/python3 - "$T/back.jsonl" <<'P' || fail "round trip"
import json, sys
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    assert d["back"] == d["text"], (d["back"], d["text"])
P

# 4. offsets: [start, end) UTF-8 byte ranges that tile the text
echo '{"text":"Hello world! café"}' | "$LLMDATA" tokenize -q --offsets --tokenizer "$G" > "$T/off.jsonl" || fail "offsets exited $?"
expect offsets "$(sed 's/.*"offsets"://' "$T/off.jsonl")" '[[0,5],[5,11],[11,12],[12,18]]}'

# 5. --add-special-tokens on GPT-2 adds nothing (its post-processor is ByteLevel); the special token
#    written in text is recognised (Hugging Face encode), or text with --special-as-text
echo '{"text":"a<|endoftext|>"}' | "$LLMDATA" tokenize -q --add-special-tokens --tokenizer "$G" > "$T/s.jsonl" || fail "special exited $?"
expect special "$(sed 's/.*"ids"://' "$T/s.jsonl")" '[64,50256]}'
echo '{"text":"a<|endoftext|>"}' | "$LLMDATA" tokenize -q --special-as-text --tokenizer "$G" > "$T/s.jsonl" || fail "as-text exited $?"
expect as-text "$(sed 's/.*"ids"://' "$T/s.jsonl")" '[64,27,91,437,1659,5239,91,29]}'
"$LLMDATA" detokenize -q --skip-special-tokens --tokenizer "$G" "$T/s.jsonl" > /dev/null || fail "skip-special exited $?"
echo '{"ids":[64,50256]}' | "$LLMDATA" detokenize -q --skip-special-tokens --tokenizer "$G" > "$T/d.jsonl" || fail "skip exited $?"
expect skip "$(cat "$T/d.jsonl")" '{"ids":[64,50256],"text":"a"}'

# 6. errors: name the problem, exit non-zero; --skip-bad counts instead
echo '{"ids":[1,-2]}' | "$LLMDATA" detokenize -q --tokenizer "$G" 2> "$T/e" && fail "negative id accepted"
grep -q 'line\|:1:' "$T/e" && grep -q 'non-negative' "$T/e" || fail "negative id message: $(cat "$T/e")"
echo '{"ids":[50257]}' | "$LLMDATA" detokenize -q --tokenizer "$G" 2> "$T/e" && fail "id beyond vocab accepted"
grep -q 'not in the vocabulary' "$T/e" || fail "vocab message: $(cat "$T/e")"
printf '{"ids":[50257]}\n{"ids":[64]}\n' | "$LLMDATA" detokenize --skip-bad --tokenizer "$G" > "$T/d.jsonl" 2> "$T/e" || fail "skip-bad exited $?"
expect skip-bad "$(cat "$T/d.jsonl")" '{"ids":[64],"text":"a"}'
grep -q 'bad 1' "$T/e" || fail "skip-bad summary: $(cat "$T/e")"
echo '{"text":"x"}' | "$LLMDATA" tokenize -q --tokenizer "$T/none.json" 2> "$T/e" && fail "missing file accepted"
grep -q 'none.json' "$T/e" || fail "missing file message: $(cat "$T/e")"
printf '{"model": {"type": "BPE", "vocab": {"a": 0,, }}}' > "$T/bad.json"
echo '{"text":"x"}' | "$LLMDATA" tokenize -q --tokenizer "$T/bad.json" 2> "$T/e" && fail "bad json accepted"
grep -q 'byte offset' "$T/e" || fail "bad json message: $(cat "$T/e")"
printf '{"text":"ok"}\n{"text":5}\n' | "$LLMDATA" tokenize -q --tokenizer "$G" 2> "$T/e" > /dev/null && fail "non-string text accepted"
grep -q ':2:' "$T/e" || fail "line number missing: $(cat "$T/e")"
"$LLMDATA" tokenize -q < /dev/null 2> /dev/null; [ $? -eq 2 ] || fail "missing --tokenizer is not a usage error"
exit 0
