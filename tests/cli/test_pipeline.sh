#!/bin/sh
# llmdata pipeline end to end with the bundled GPT-2 tokenizer.  Expected token streams come from
# npm tiktoken 1.0.22 (gpt2 encode_ordinary, pasted; the same texts as test_tokenize.sh) plus EOS
# 50256, packed greedily by hand; shards are read with tests/shards/mmidx_reader.py (written from the
# MMIDIDX layout, standard library only) and numpy.load.
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_pipeline: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"; }
root=$(cd "$(dirname "$0")/../.." && pwd)
G="$root/examples/data/gpt2-tokenizer.json"
PY=/usr/bin/python3

cat > "$T/in.jsonl" <<'J'
{"id":1,"text":"Hello world! café"}
{"id":2,"text":"It's 2024, isn't it?"}
{"id":3,"text":"tab\tand\nnewline"}
{"id":4,"text":"東京 🇫🇷"}
J
# 1. Only tokenize + pack (stages off): 5 + 9 + 7 + 11 = 32 tokens = 4 windows of 8
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --no-filter --no-clean --no-redact --no-dedup \
  --out "$T/a" "$T/in.jsonl" || fail "pipeline exited $?"
for f in data.bin data.idx data.boundaries.npy data.manifest.json report.json; do [ -s "$T/a/$f" ] || fail "missing $f"; done
got=$($PY - "$root/tests/shards" "$T/a/data" <<'P'
import sys; sys.path.insert(0, sys.argv[1])
import mmidx_reader
idx, seqs = mmidx_reader.read_dataset(sys.argv[2])
assert idx["dtype_code"] == 8, idx["dtype_code"]          # uint16: the vocabulary fits
assert all(len(s) == 8 for s in seqs), [len(s) for s in seqs]
print(" ".join(str(t) for s in seqs for t in s))
P
) || fail "reading the shard"
expect stream "$got" "15496 995 0 40304 50256 1026 338 48609 11 2125 470 340 30 50256 8658 197 392 198 3605 1370 50256 30266 109 12859 105 12520 229 104 8582 229 115 50256"
$PY - "$T/a/report.json" <<'P' || fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["vocab_size"] == 50257 and r["eos_id"] == 50256 and r["seq_len"] == 8, r
st = r["stages"]
for s in ("read", "filter", "clean", "dedup", "tokenize", "pack", "write"):
    assert s in st, s
assert st["read"]["docs_in"] == 4 and st["tokenize"]["tokens_out"] == 28, st["tokenize"]
assert st["pack"]["windows"] == 4 and st["pack"]["dropped_tokens"] == 0, st["pack"]
assert st["pack"]["tokens_in"] == 32 and st["pack"]["efficiency"] == 1.0, st["pack"]   # 28 ids + 4 EOS
assert r["total"]["setup_seconds"] <= r["total"]["seconds"], r["total"]
P

# 2. The same input compressed with zstd gives the same shard bytes
if command -v zstd >/dev/null 2>&1; then
  zstd -q -o "$T/in.jsonl.zst" "$T/in.jsonl" || fail "zstd"
  "$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --no-filter --no-clean --no-redact --no-dedup \
    --out "$T/z" "$T/in.jsonl.zst" || fail "zst pipeline exited $?"
  cmp -s "$T/a/data.bin" "$T/z/data.bin" || fail ".zst input gives other tokens"
fi

# 3. The full default pipeline on the bundled sample, best-fit into .npy: numpy reads it
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 256 --strategy best-fit --format npy \
  --out "$T/b" "$root/examples/data/sample.jsonl" || fail "sample pipeline exited $?"
$PY - "$T/b" <<'P' || fail "npy shard"
import json, sys
import numpy as np
d = sys.argv[1]
a = np.load(d + "/data.npy", mmap_mode="r")
b = np.load(d + "/data.boundaries.npy", mmap_mode="r")
r = json.load(open(d + "/report.json"))
p = r["stages"]["pack"]
assert a.ndim == 2 and a.shape[1] == 256 and a.shape[0] == p["windows"] > 0, (a.shape, p)
assert a.dtype == np.uint16 and int(a.max()) < 50257
assert r["stages"]["read"]["docs_in"] == 105
assert r["stages"]["filter"]["docs_out"] < 105          # the sample holds code and boilerplate
assert r["stages"]["dedup"]["docs_out"] <= r["stages"]["clean"]["docs_out"]
assert (np.diff(b) >= 0).all() and b[0] == 0
P

# 4. Errors name the problem
"$LLMDATA" pipeline -q --tokenizer "$T/none.json" --seq-len 8 --out "$T/c" "$T/in.jsonl" 2> "$T/e" && fail "missing tokenizer accepted"
grep -q 'none.json' "$T/e" || fail "tokenizer message: $(cat "$T/e")"
# An output directory that cannot be created: its parent is a regular file (ENOTDIR), which fails
# for root too (permission bits would not stop root, and CI runs as root).
: > "$T/notadir"
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --out "$T/notadir/x" "$T/in.jsonl" 2> "$T/e" && fail "out under a file accepted"
grep -q 'notadir/x' "$T/e" || fail "out message: $(cat "$T/e")"
grep -qi 'not a directory' "$T/e" || fail "out message lacks the cause: $(cat "$T/e")"
[ -f "$T/notadir" ] && [ ! -s "$T/notadir" ] || fail "the file in the way was changed"
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --out /proc/llmdata-cannot-write "$T/in.jsonl" 2> "$T/e" && fail "/proc out accepted"
grep -q 'llmdata-cannot-write' "$T/e" || fail "/proc message: $(cat "$T/e")"
printf '{"text":"ok"}\nnot json\n' > "$T/bad.jsonl"
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --out "$T/d" "$T/bad.jsonl" 2> "$T/e" && fail "bad line accepted"
grep -q 'bad.jsonl:2' "$T/e" || fail "bad line message: $(cat "$T/e")"
[ -e "$T/d/data.bin" ] && fail "failed run left data.bin"
printf '{"text":"ok"}\n{"body":"no text field"}\n' > "$T/nofield.jsonl"
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --out "$T/d" "$T/nofield.jsonl" 2> "$T/e" && fail "missing field accepted"
grep -q 'nofield.jsonl:2: field "text"' "$T/e" || fail "missing field message: $(cat "$T/e")"
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --skip-bad --no-filter --out "$T/d" "$T/nofield.jsonl" "$T/bad.jsonl" \
  || fail "--skip-bad run failed"
grep -q '"bad_lines":2' "$T/d/report.json" || fail "skip-bad count: $(cat "$T/d/report.json")"
# an id beyond the vocabulary (GPT-2: 50257 ids) as EOS is refused, naming it
"$LLMDATA" pipeline -q --tokenizer "$G" --seq-len 8 --eos 50257 --out "$T/v" "$T/in.jsonl" 2> "$T/e" && fail "eos beyond vocab accepted"
grep -q 'eos_id 50257 is not below vocab_size 50257' "$T/e" || fail "vocab message: $(cat "$T/e")"

# 4b. A full disk: a 64 KiB file-size limit (ulimit -f counts 512-byte blocks; SIGXFSZ ignored so
#     write() fails with EFBIG) makes data.bin overflow: the write error is reported and no shard
#     file, temporary file, manifest or report is left behind.
(trap '' XFSZ; ulimit -f 128; exec "$LLMDATA" pipeline -q --tokenizer bytes --seq-len 512 --no-filter --no-dedup \
  --out "$T/full" "$root/examples/data/sample.jsonl") 2> "$T/e" && fail "write beyond the file-size limit succeeded"
grep -q 'data.bin.*write failed: File too large' "$T/e" || fail "full disk message: $(cat "$T/e")"
left=$(ls -A "$T/full")
[ -z "$left" ] || fail "a failed run left files: $left"
# the same run without the limit works (so the failure above was the limit)
"$LLMDATA" pipeline -q --tokenizer bytes --seq-len 512 --no-filter --no-dedup --out "$T/full" \
  "$root/examples/data/sample.jsonl" || fail "unlimited run failed"
[ "$(stat -c %s "$T/full/data.bin")" -gt 65536 ] || fail "data.bin too small to test the limit"

exit 0
