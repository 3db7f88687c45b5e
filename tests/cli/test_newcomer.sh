#!/bin/sh
# Issue 16 (CLI consistency): output compression chosen by the output name, one thread default
# (0 = one per CPU), one option name per setting (old names kept), error messages naming a path
# once, --progress with an ETA, the same words for duplicates in dedup and pipeline, and a command
# in a pipe reporting its own time.  Compressed outputs are checked with the zstd and gzip tools.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
fail() { echo "test_newcomer: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
S="$root/examples/data/sample.jsonl"
G="$root/examples/data/gpt2-tokenizer.json"
for tool in zstd gzip; do
  command -v $tool > /dev/null 2>&1 && continue
  [ "${CI:-}" = true ] && fail "$tool not installed"
  echo "test_newcomer: $tool not installed, skipping" >&2; exit 77
done
T=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$T"' EXIT

# ---- output compression by name, for every command writing JSONL ----------------------------
check_codecs() {  # NAME ARGS... : runs the command with -o plain, .zst, .gz and compares
  name=$1; shift
  "$LLMDATA" "$@" -q -o "$T/$name.jsonl" || fail "$name plain: exit $?"
  [ -s "$T/$name.jsonl" ] || fail "$name wrote nothing"
  head -c 1 "$T/$name.jsonl" | grep -q '{' || fail "$name plain output is not JSONL"
  for ext in zst gz zstd; do
    "$LLMDATA" "$@" -q -o "$T/$name.jsonl.$ext" || fail "$name .$ext: exit $?"
  done
  zstd -t -q "$T/$name.jsonl.zst" || fail "$name: .zst output is not a valid zstd file"
  zstd -dc "$T/$name.jsonl.zst" | cmp -s - "$T/$name.jsonl" || fail "$name: .zst output differs from the plain one"
  zstd -dc "$T/$name.jsonl.zstd" | cmp -s - "$T/$name.jsonl" || fail "$name: .zstd output differs"
  gzip -t "$T/$name.jsonl.gz" || fail "$name: .gz output is not a valid gzip file"
  gzip -dc "$T/$name.jsonl.gz" | cmp -s - "$T/$name.jsonl" || fail "$name: .gz output differs from the plain one"
  # and our own reader reads them back as the same documents
  "$LLMDATA" clean --no-html --no-nfc --no-whitespace --no-redact -q "$T/$name.jsonl.gz" > "$T/$name.back" 2>/dev/null &&
    "$LLMDATA" clean --no-html --no-nfc --no-whitespace --no-redact -q "$T/$name.jsonl" > "$T/$name.plain" 2>/dev/null &&
    { cmp -s "$T/$name.back" "$T/$name.plain" || fail "$name: reading the .gz back differs"; }
  return 0
}
check_codecs clean clean "$S"
check_codecs tokenize tokenize --tokenizer "$G" "$S"
check_codecs filter filter --skip-bad "$S"
check_codecs dedup dedup "$S"
check_codecs minhash minhash "$S"
check_codecs langid langid "$S"
"$LLMDATA" tokenize --tokenizer "$G" -q "$S" -o "$T/ids.jsonl" || fail "tokenize for detokenize"
check_codecs detokenize detokenize --tokenizer "$G" "$T/ids.jsonl"
# a large output compresses (not just framed): the sample is text, zstd must shrink it
[ "$(wc -c < "$T/clean.jsonl.zst")" -lt "$(( $(wc -c < "$T/clean.jsonl") / 2 ))" ] || fail "clean .zst is not compressed"
# second outputs too: filter --rejected, dedup --report
"$LLMDATA" filter -q "$S" -o "$T/kept.jsonl" --rejected "$T/rej.jsonl" || fail "filter --rejected plain"
"$LLMDATA" filter -q "$S" -o "$T/kept2.jsonl" --rejected "$T/rej.jsonl.gz" || fail "filter --rejected .gz"
[ -s "$T/rej.jsonl" ] || fail "filter rejected nothing on the sample"
gzip -dc "$T/rej.jsonl.gz" | cmp -s - "$T/rej.jsonl" || fail "filter --rejected .gz differs"
"$LLMDATA" dedup -q "$S" -o /dev/null --report "$T/rep.jsonl" || fail "dedup --report plain"
"$LLMDATA" dedup -q "$S" -o /dev/null --report "$T/rep.jsonl.zst" || fail "dedup --report .zst"
zstd -dc "$T/rep.jsonl.zst" | cmp -s - "$T/rep.jsonl" || fail "dedup --report .zst differs"
# a failed run leaves no compressed file behind
printf '{"text":"a"}\nnot json\n' > "$T/bad.jsonl"
"$LLMDATA" clean -q "$T/bad.jsonl" -o "$T/fail.jsonl.zst" 2>/dev/null && fail "a malformed line exited 0"
[ -e "$T/fail.jsonl.zst" ] && fail "a failed run left $T/fail.jsonl.zst"
ls "$T" | grep -q '\.tmp\.' && fail "a failed run left a temporary file"

# ---- a malformed line: on a stream every valid document before it is written, then the error;
# ---- a file output is not published at all (an earlier file stays as it was)
printf '%s\n' '{"text":"one"}' '{"text":"two"}' '{"text":"three"' '{"text":"four"}' > "$T/bad2.jsonl"
for th in 1 3; do
  "$LLMDATA" clean -q --threads $th "$T/bad2.jsonl" > "$T/so" 2> "$T/err" && fail "a malformed line exited 0"
  [ "$(cat "$T/so")" = '{"text":"one"}
{"text":"two"}' ] || fail "stdout after a malformed line (--threads $th): $(cat "$T/so")"
  grep -q "bad2.jsonl:3" "$T/err" || fail "the error does not name line 3: $(cat "$T/err")"
done
"$LLMDATA" filter -q --filters c4 "$T/bad2.jsonl" > "$T/so" 2>/dev/null && fail "filter: a malformed line exited 0"
echo 'earlier' > "$T/keep.jsonl"
"$LLMDATA" clean -q "$T/bad2.jsonl" -o "$T/keep.jsonl" 2>/dev/null && fail "a malformed line exited 0"
[ "$(cat "$T/keep.jsonl")" = earlier ] || fail "a failed run replaced an earlier output file"

# ---- one thread rule: 0 = one per CPU, the default everywhere -------------------------------
for c in clean tokenize filter dedup minhash langid pipeline feature; do
  "$LLMDATA" help $c | grep -A1 -e '--threads' | grep -q 'default 0 = one per CPU' ||
    fail "$c --help does not give the thread default as 0 = one per CPU"
done
"$LLMDATA" clean -q "$S" > "$T/c0" || fail "clean (default threads)"
"$LLMDATA" clean -q --threads 1 "$S" > "$T/c1" || fail "clean --threads 1"
cmp -s "$T/c0" "$T/c1" || fail "clean: default threads and --threads 1 differ"
"$LLMDATA" pipeline -q --tokenizer bytes --seq-len 64 --out "$T/p0" "$S" || fail "pipeline"
grep -q '"threads":0' "$T/p0/report.json" || fail "pipeline threads default is not 0: $(grep -o '"threads":[0-9]*' "$T/p0/report.json")"

# ---- one name per setting: the config key with '-' for '_', old names kept -------------------
# (no filter and long windows: the best-fit buffer changes the packing of these documents)
P="pipeline -q --no-filter --tokenizer bytes --seq-len 4096 --strategy best-fit"
# shellcheck disable=SC2086
"$LLMDATA" $P --out "$T/pa" --bos-id 7 --pad-id 0 --buffer 1 "$S" || fail "pipeline --bos-id"
# shellcheck disable=SC2086
"$LLMDATA" $P --out "$T/pb" --bos 7 --pad 0 --set buffer_windows=1 "$S" || fail "pipeline --bos (old name)"
# shellcheck disable=SC2086
"$LLMDATA" $P --out "$T/pc" --near-threshold 0.8 --bos-id 7 --pad-id 0 --buffer-windows 1 --exact-dedup true "$S" ||
  fail "pipeline --KEY VALUE settings"
# shellcheck disable=SC2086
"$LLMDATA" $P --out "$T/pd" --bos-id 7 --pad-id 0 "$S" || fail "pipeline default buffer"
cmp -s "$T/pa/data.bin" "$T/pb/data.bin" || fail "pipeline --bos-id/--buffer and --bos/buffer_windows differ"
cmp -s "$T/pa/data.bin" "$T/pc/data.bin" || fail "pipeline --KEY VALUE differs"
grep -q '"bos_id":7' "$T/pa/report.json" || fail "--bos-id not applied"
cmp -s "$T/pa/data.bin" "$T/pd/data.bin" && fail "--buffer 1 changed nothing (the option is not applied)"
"$LLMDATA" pipeline -q --tokenizer bytes --seq-len 64 --out "$T/pe" --near-threshold 2 "$S" 2> "$T/err" &&
  fail "a bad --near-threshold was accepted"
grep -q "near_threshold" "$T/err" || fail "a bad --near-threshold is not named: $(cat "$T/err")"
"$LLMDATA" pipeline -q --tokenizer bytes --seq-len 64 --out "$T/pe" --no-such-option 1 "$S" 2> "$T/err" &&
  fail "an unknown option was accepted"
grep -q "unknown option --no-such-option" "$T/err" || fail "unknown option message: $(head -1 "$T/err")"
printf '{"text":"a"}\n' > "$T/one.jsonl"
echo '{"ids":[1,2,3]}' > "$T/ids3.jsonl"
"$LLMDATA" pack -q --seq-len 4 --bos-id 9 --eos-id 8 -o "$T/k1" "$T/ids3.jsonl" || fail "pack --bos-id"
"$LLMDATA" pack -q --seq-len 4 --bos 9 --eos 8 -o "$T/k2" "$T/ids3.jsonl" || fail "pack --bos"
cmp -s "$T/k1.bin" "$T/k2.bin" || fail "pack --bos-id and --bos differ"
"$LLMDATA" filter -q --filters c4 "$S" > "$T/f1" || fail "filter --filters"
"$LLMDATA" filter -q --rules c4 "$S" > "$T/f2" || fail "filter --rules"
"$LLMDATA" filter -q "$S" > "$T/f3" || fail "filter default"
cmp -s "$T/f1" "$T/f2" || fail "filter --filters and --rules differ"
cmp -s "$T/f1" "$T/f3" && fail "filter --filters c4 is the default list (not applied?)"
printf 'lorem\n' > "$T/bw.txt"
"$LLMDATA" filter -q --filters badwords --bad-words-file "$T/bw.txt" "$S" > "$T/b1" || fail "--bad-words-file"
"$LLMDATA" filter -q --filters badwords --bad-words "$T/bw.txt" "$S" > "$T/b2" || fail "--bad-words"
cmp -s "$T/b1" "$T/b2" || fail "filter --bad-words-file and --bad-words differ"

# ---- a path is named once in an error message ---------------------------------------------
once() {  # WHAT PATH : the stderr of the last command names PATH exactly once
  n=$(grep -o "$2" "$T/err" | wc -l)
  [ "$n" -eq 1 ] || fail "$1: '$2' appears $n times in: $(cat "$T/err")"
}
"$LLMDATA" tokenize --tokenizer "$T/missing.json" "$S" > /dev/null 2> "$T/err" && fail "missing tokenizer exit 0"
once "tokenize --tokenizer" missing.json
grep -q "^llmdata tokenize: tokenizer: " "$T/err" || fail "tokenize error: $(cat "$T/err")"
"$LLMDATA" detokenize --tokenizer "$T/missing.json" "$T/ids.jsonl" > /dev/null 2> "$T/err" && fail "detokenize exit 0"
once "detokenize --tokenizer" missing.json
"$LLMDATA" pipeline -q --tokenizer "$T/missing.json" --seq-len 8 --out "$T/px" "$S" 2> "$T/err" && fail "pipeline exit 0"
once "pipeline --tokenizer" missing.json
"$LLMDATA" clean "$T/missing.jsonl" > /dev/null 2> "$T/err" && fail "missing input exit 0"
once "clean missing input" missing.jsonl
grep -q "^llmdata clean: " "$T/err" || fail "the error does not name the command: $(cat "$T/err")"
"$LLMDATA" clean -q "$S" -o "$T/no/dir/out.jsonl" 2> "$T/err" && fail "output in a missing directory exit 0"
once "clean -o" out.jsonl
"$LLMDATA" langid --model "$T/missing.ftz" "$S" > /dev/null 2> "$T/err" && fail "missing model exit 0"
once "langid --model" missing.ftz
"$LLMDATA" filter --bad-words-file "$T/missing.txt" "$S" > /dev/null 2> "$T/err" && fail "missing bad words exit 0"
once "filter --bad-words-file" missing.txt

# ---- --progress: forced on a non-terminal stderr, with an ETA for file inputs ----------------
"$LLMDATA" clean --progress "$S" -o /dev/null 2> "$T/err" || fail "clean --progress"
grep -q "^llmdata clean: 105 docs, .* 100\.0%, ETA 0s$" "$T/err" || fail "clean --progress: $(cat "$T/err")"
grep -q "docs in 105" "$T/err" || fail "clean --progress lost the summary"
"$LLMDATA" clean "$S" -o /dev/null 2> "$T/err" || fail "clean"
grep -q "ETA" "$T/err" && fail "progress printed without --progress on a non-terminal"
"$LLMDATA" clean -q --progress "$S" -o /dev/null 2> "$T/err" || fail "clean -q --progress"
[ -s "$T/err" ] && fail "--quiet printed: $(cat "$T/err")"
"$LLMDATA" tokenize --tokenizer "$G" --progress "$S" "$S" -o /dev/null 2> "$T/err" || fail "tokenize --progress"
grep -q "^llmdata tokenize: 210 docs, .* 100\.0%, ETA 0s$" "$T/err" || fail "tokenize --progress: $(cat "$T/err")"
"$LLMDATA" tokenize -q --tokenizer "$G" "$S" -o "$T/sample.ids.jsonl" || fail "tokenize for pack"
"$LLMDATA" pack --progress --seq-len 64 --field ids -o "$T/pk" "$T/sample.ids.jsonl" 2> "$T/err" || fail "pack --progress"
grep -q "^llmdata pack: 105 docs, .* 100\.0%, ETA 0s$" "$T/err" || fail "pack --progress: $(cat "$T/err")"
"$LLMDATA" pack --seq-len 8 -o "$T/pk2" "$T/missing.jsonl" 2> "$T/err" && fail "pack of a missing input exit 0"
once "pack missing input" missing.jsonl
"$LLMDATA" pipeline --progress --tokenizer bytes --seq-len 64 --out "$T/pp" "$S" 2> "$T/err" || fail "pipeline --progress"
grep -q "^llmdata pipeline: .*100\.0%.*ETA 0m00s$" "$T/err" || fail "pipeline --progress: $(head -3 "$T/err")"

# ---- the same words for duplicates in dedup and pipeline -----------------------------------
cat "$S" "$S" > "$T/twice.jsonl"
"$LLMDATA" dedup "$S" -o /dev/null 2> "$T/err1" || fail "dedup"
"$LLMDATA" dedup "$T/twice.jsonl" -o /dev/null 2> "$T/err" || fail "dedup"
grep -q "exact duplicates [0-9]*, near duplicates [0-9]" "$T/err" || fail "dedup summary: $(cat "$T/err")"
# the second copy of every document is a duplicate on top of the sample's own duplicates, and the
# counts add up to the documents removed
dups() { sed -n 's/.*docs in [0-9]*, out \([0-9]*\),.*exact duplicates \([0-9]*\), near duplicates \([0-9]*\),.*/\1 \2 \3/p' "$1"; }
set -- $(dups "$T/err1") $(dups "$T/err")
[ $# -eq 6 ] || fail "dedup summaries: $(cat "$T/err1" "$T/err")"
[ $(($2 + $3)) -eq $((105 - $1)) ] || fail "dedup: $2 + $3 duplicates but $1 of 105 kept"
[ $(($5 + $6)) -eq $(($2 + $3 + 105)) ] || fail "dedup: the sample twice has $5 + $6 duplicates, once $2 + $3"
"$LLMDATA" dedup --streaming "$T/twice.jsonl" -o /dev/null 2> "$T/err" || fail "dedup --streaming"
grep -q "exact duplicates [0-9]* (identical signature), near duplicates [0-9]" "$T/err" || fail "dedup --streaming: $(cat "$T/err")"
"$LLMDATA" dedup --exact-only "$T/twice.jsonl" -o /dev/null 2> "$T/err" || fail "dedup --exact-only"
grep -q "exact duplicates $(($2 + 105))\$" "$T/err" || fail "dedup --exact-only summary: $(cat "$T/err")"
"$LLMDATA" pipeline --no-filter --tokenizer bytes --seq-len 64 --out "$T/pt" "$T/twice.jsonl" 2> "$T/err" || fail "pipeline"
grep -q "exact duplicates [0-9]*, near duplicates [0-9]" "$T/err" || fail "pipeline report: $(grep -i dup "$T/err")"

# ---- a command in a pipe reports its own time, not its wait for the upstream -----------------
(sleep 2; cat "$S") | "$LLMDATA" clean -o /dev/null 2> "$T/err" || fail "clean in a pipe"
secs=$(sed -n 's/.*, \([0-9.]*\) s (+ \([0-9.]*\) s waiting for input).*/\1 \2/p' "$T/err")
[ -n "$secs" ] || fail "no input wait reported: $(cat "$T/err")"
awk -v s="$secs" 'BEGIN { split(s, a, " "); exit !(a[1] < 1.0 && a[2] >= 1.5 && a[2] < 10) }' ||
  fail "clean in a pipe after a 2 s wait reports processing/wait '$secs'"
"$LLMDATA" clean "$S" -o /dev/null 2> "$T/err" || fail "clean"
grep -q "waiting for input" "$T/err" && fail "a file input reports a wait for input"
exit 0
