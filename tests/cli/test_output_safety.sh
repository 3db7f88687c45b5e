#!/bin/sh
# A writer never destroys an input or an earlier output (issue 9 items 1, 2, 3, 11, 12):
#  1. every command refuses an output that is one of its inputs (also through a symlink, and for
#     --report / tokenizer files), before truncating anything;
#  2. a failed run leaves no file under the final name and an earlier file unchanged;
#  3. pack refuses existing outputs unless --overwrite, and `-o ""` / `-o dir/`;
#  4. pipeline refuses a non-empty --out unless --overwrite, and an input inside --out;
#  5. under `ulimit -f` the CLI reports EFBIG (SIGXFSZ ignored) and leaves no temp file;
#  6. SIGINT / SIGTERM remove temp files and the staging directory, exit 130 / 143.
# Expected contents are the inputs themselves (cmp against a copy taken before the run).
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
LLMDATA=$(cd "$(dirname "$LLMDATA")" && pwd)/$(basename "$LLMDATA")
T=$(mktemp -d); trap 'kill $bg 2>/dev/null; rm -rf "$T"' EXIT
bg=
fail() { echo "test_output_safety: $*" >&2; exit 1; }
root=$(cd "$(dirname "$0")/../.." && pwd)
G="$root/examples/data/gpt2-tokenizer.json"
S="$root/examples/data/sample.jsonl"

head -20 "$S" > "$T/x.jsonl"
cp "$T/x.jsonl" "$T/x.orig"
ln -s x.jsonl "$T/link.jsonl"

# 1. output == input, for every command, directly and through a symlink: refused, input intact
same() {  # same NAME ARGS... : must fail naming "same file" and leave x.jsonl as it was
  name=$1; shift
  "$LLMDATA" "$@" 2> "$T/e" && fail "$name: output naming an input accepted"
  grep -q 'same file' "$T/e" || fail "$name: message: $(cat "$T/e")"
  cmp -s "$T/x.jsonl" "$T/x.orig" || fail "$name: the input was changed"
  ls "$T" | grep -q '\.tmp\.' && fail "$name: a temp file was left"
  return 0
}
same clean clean -q -o "$T/x.jsonl" "$T/x.jsonl"
same clean-link clean -q -o "$T/link.jsonl" "$T/x.jsonl"
same clean-link2 clean -q -o "$T/x.jsonl" "$T/link.jsonl"
same clean-2nd-input clean -q -o "$T/x.jsonl" "$S" "$T/x.jsonl"
same tokenize tokenize -q --tokenizer "$G" -o "$T/x.jsonl" "$T/x.jsonl"
same minhash minhash -q -o "$T/link.jsonl" "$T/x.jsonl"
same dedup dedup -q -o "$T/x.jsonl" "$T/x.jsonl"
same dedup-report dedup -q -o "$T/d.jsonl" --report "$T/x.jsonl" "$T/x.jsonl"
same dedup-stdin dedup -q -o "$T/x.jsonl" < "$T/x.jsonl"
same detokenize detokenize -q --tokenizer "$G" -o "$T/x.jsonl" "$T/x.jsonl"
# the tokenizer file is an input too
cp "$G" "$T/tok.json"
"$LLMDATA" tokenize -q --tokenizer "$T/tok.json" -o "$T/tok.json" "$T/x.jsonl" 2> "$T/e" && fail "tokenizer as output accepted"
cmp -s "$T/tok.json" "$G" || fail "the tokenizer file was changed"
# pack: any of PREFIX.bin/.idx/.npy/.boundaries.npy/.manifest.json naming an input
printf '%s\n' '{"ids":[1,2,3]}' '{"ids":[4,5]}' > "$T/p.manifest.json"
cp "$T/p.manifest.json" "$T/p.orig"
"$LLMDATA" pack -q --seq-len 2 -o "$T/p" "$T/p.manifest.json" 2> "$T/e" && fail "pack over its input accepted"
grep -q 'same file' "$T/e" || fail "pack message: $(cat "$T/e")"
cmp -s "$T/p.manifest.json" "$T/p.orig" || fail "pack changed its input"
# pipeline: an input inside --out (the run replaces that directory)
mkdir "$T/po"; cp "$T/x.jsonl" "$T/po/in.jsonl"
"$LLMDATA" pipeline -q --tokenizer bytes --seq-len 64 --overwrite --out "$T/po" "$T/po/in.jsonl" 2> "$T/e" \
  && fail "pipeline input inside --out accepted"
grep -q 'inside the output directory' "$T/e" || fail "pipeline message: $(cat "$T/e")"
cmp -s "$T/po/in.jsonl" "$T/x.orig" || fail "pipeline changed its input"

# 2. a failed run: no file under the final name; an earlier file stays as it was
printf '{"text":"fine"}\n{"text": broken\n' > "$T/bad.jsonl"
"$LLMDATA" clean -q -o "$T/new.jsonl" "$T/bad.jsonl" 2>/dev/null && fail "bad input accepted"
[ -e "$T/new.jsonl" ] && fail "a failed clean left new.jsonl"
echo '{"text":"earlier"}' > "$T/old.jsonl"; cp "$T/old.jsonl" "$T/old.orig"
"$LLMDATA" clean -q -o "$T/old.jsonl" "$T/bad.jsonl" 2>/dev/null && fail "bad input accepted"
cmp -s "$T/old.jsonl" "$T/old.orig" || fail "a failed clean changed the earlier output"
"$LLMDATA" dedup -q -o "$T/dd.jsonl" --report "$T/rep.jsonl" "$T/bad.jsonl" 2>/dev/null && fail "bad input accepted"
[ -e "$T/dd.jsonl" ] || [ -e "$T/rep.jsonl" ] && fail "a failed dedup left an output"
ls "$T" | grep -q '\.tmp\.' && fail "a failed run left a temp file: $(ls "$T")"
# a successful run replaces it whole
"$LLMDATA" clean -q -o "$T/old.jsonl" "$T/x.jsonl" || fail "clean failed"
[ "$(wc -l < "$T/old.jsonl")" -eq 20 ] || fail "clean output: $(wc -l < "$T/old.jsonl") lines"

# streams stay streams: -o /dev/stdout and a named pipe are written directly (nothing to publish)
n=$("$LLMDATA" clean -q -o /dev/stdout "$T/x.jsonl" | wc -l)
[ "$n" -eq 20 ] || fail "-o /dev/stdout wrote $n lines"
mkfifo "$T/pipe"
(cat "$T/pipe" | wc -l > "$T/pipe.count") &
"$LLMDATA" dedup -q --exact-only -o "$T/pipe" "$T/x.jsonl" || fail "-o FIFO failed"
wait
[ "$(cat "$T/pipe.count")" -ge 1 ] || fail "-o FIFO wrote nothing"
rm -f "$T/pipe" "$T/pipe.count"

# 3. pack: no file name in -o; existing outputs refused unless --overwrite
printf '%s\n' '{"ids":[1,2,3]}' '{"ids":[4,5,6,7]}' > "$T/ids.jsonl"
mkdir "$T/pk"
for o in "" "$T/pk/" "$T/pk/." ; do
  (cd "$T/pk" && "$LLMDATA" pack -q --seq-len 2 -o "$o" "$T/ids.jsonl") 2> "$T/e" && fail "pack -o '$o' accepted"
  grep -q 'no file name' "$T/e" || fail "pack -o '$o' message: $(cat "$T/e")"
done
[ -z "$(ls -A "$T/pk")" ] || fail "pack -o dir/ wrote: $(ls -A "$T/pk")"
"$LLMDATA" pack -q --seq-len 2 --format npy -o "$T/pk/s" "$T/ids.jsonl" || fail "pack failed"
cp "$T/pk/s.npy" "$T/s.npy.orig"
"$LLMDATA" pack -q --seq-len 2 -o "$T/pk/s" "$T/ids.jsonl" 2> "$T/e" && fail "pack over an existing shard accepted"
grep -q 's.npy exists' "$T/e" || grep -q 'exists' "$T/e" || fail "pack exists message: $(cat "$T/e")"
cmp -s "$T/pk/s.npy" "$T/s.npy.orig" || fail "refused pack changed the shard"
# --overwrite with another format: the npy files of the earlier shard go, the new ones are complete
"$LLMDATA" pack -q --seq-len 2 --overwrite -o "$T/pk/s" "$T/ids.jsonl" || fail "pack --overwrite failed"
expect_ls=$(ls "$T/pk" | tr '\n' ' ')
[ "$expect_ls" = "s.bin s.boundaries.npy s.idx s.manifest.json " ] || fail "after --overwrite: $expect_ls"

# 4. pipeline: a non-empty --out is refused unless --overwrite; a user's file is never deleted
run_pl() { "$LLMDATA" pipeline -q --tokenizer bytes --seq-len 64 --no-filter "$@"; }
run_pl --out "$T/o" "$T/x.jsonl" || fail "pipeline failed"
cp -r "$T/o" "$T/o.orig"
run_pl --out "$T/o" "$S" 2> "$T/e" && fail "second run into a used --out accepted"
grep -q 'not empty' "$T/e" || fail "pipeline message: $(cat "$T/e")"
diff -r "$T/o" "$T/o.orig" > /dev/null || fail "a refused run changed --out"
run_pl --out "$T/o" --overwrite --format npy "$S" || fail "pipeline --overwrite failed"
[ -e "$T/o/data.npy" ] && [ ! -e "$T/o/data.bin" ] || fail "--overwrite left the old format: $(ls "$T/o")"
echo mine > "$T/o/notes.txt"
run_pl --out "$T/o" --overwrite "$T/x.jsonl" 2> "$T/e" && fail "--overwrite over a user's file accepted"
grep -q 'notes.txt' "$T/e" || fail "user file message: $(cat "$T/e")"
[ "$(cat "$T/o/notes.txt")" = mine ] || fail "the user's file was touched"

# 5. a file-size limit: EFBIG reported (not killed by SIGXFSZ, exit 1), nothing left behind
(ulimit -f 128; exec "$LLMDATA" pipeline -q --tokenizer bytes --seq-len 512 --no-filter --no-dedup \
  --out "$T/full" "$S") 2> "$T/e"
rc=$?
[ $rc -eq 1 ] || fail "under ulimit -f: exit $rc (153 = killed by SIGXFSZ): $(cat "$T/e")"
grep -q 'File too large' "$T/e" || fail "EFBIG message: $(cat "$T/e")"
[ -e "$T/full" ] && fail "under ulimit -f the run left $T/full"
ls "$T" | grep -q '\.tmp\.' && fail "under ulimit -f a temp was left: $(ls "$T")"
(ulimit -f 16; exec "$LLMDATA" pack -q --seq-len 512 -o "$T/lim" "$T/ids.jsonl" ) 2>/dev/null  # small: fits
(ulimit -f 16; exec "$LLMDATA" clean -q -o "$T/lim.jsonl" "$S") 2> "$T/e"
rc=$?
[ $rc -eq 1 ] && grep -q 'File too large' "$T/e" || fail "clean under ulimit -f: exit $rc: $(cat "$T/e")"
[ -e "$T/lim.jsonl" ] && fail "clean under ulimit -f left its output"

# 6. SIGINT / SIGTERM while the run waits on its input (temp files exist): removed, exit 130 / 143
sig_test() {  # sig_test SIGNAL WANT_EXIT FEED COMMAND...
  sig=$1; want=$2; feed=$3; shift 3
  rm -f "$T/fifo"; mkfifo "$T/fifo"
  "$LLMDATA" "$@" < "$T/fifo" 2>"$T/e_sig" &
  bg=$!
  exec 3> "$T/fifo"
  cat "$feed" >&3
  i=0  # wait until the run's temp files exist
  while ! ls "$T/sig" 2>/dev/null | grep -q 'tmp' && ! ls "$T"/sig* 2>/dev/null | grep -q tmp; do
    i=$((i+1)); [ $i -gt 200 ] && fail "$sig $*: no temp file appeared: $(cat "$T/e_sig")"; sleep 0.05
  done
  kill -"$sig" $bg
  wait $bg; rc=$?
  bg=
  exec 3>&-
  [ $rc -eq "$want" ] || fail "$sig: exit $rc, want $want"
  left=$(ls "$T" | grep -e '^sig' || true)
  [ -z "$left" ] || fail "$sig: left $left"
}
sig_test INT 130 "$T/x.jsonl" pipeline -q --tokenizer bytes --seq-len 64 --no-filter --out "$T/sig" -
sig_test TERM 143 "$T/x.jsonl" pipeline -q --tokenizer bytes --seq-len 64 --no-filter --out "$T/sig" -
printf '%s\n' '{"ids":[1,2,3]}' > "$T/one.jsonl"
sig_test TERM 143 "$T/one.jsonl" pack -q --seq-len 2 -o "$T/sigp" -
sig_test INT 130 "$T/x.jsonl" clean -q -o "$T/sigc.jsonl" -
exit 0
