#!/bin/sh
# llmdata pack end to end.  The expected token streams are computed independently in Python from the
# input JSONL (greedy = concatenation of ids+[EOS] cut every N tokens, remainder dropped); the .bin/.idx
# are read with tests/shards/mmidx_reader.py (standard library only, written from the MMIDIDX layout)
# and the .npy with numpy.load(mmap_mode="r").
set -u
: "${LLMDATA:?set LLMDATA to the llmdata binary}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "test_pack: $*" >&2; exit 1; }
expect() { [ "$2" = "$3" ] || fail "$1: got [$2] want [$3]"; }
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
D="$src/data/pack/docs.jsonl"
PY=/usr/bin/python3

# 1. Hand-sized input: seq 4, eos 0: 1 2 3 0 | 4 0 5 6 | 7 8 10 0 | (11 0 dropped)
printf '%s\n' '{"ids":[1,2,3]}' '{"ids":[4]}' '{"ids":[5, 6, 7, 8, 10]}' '{"ids":[11]}' > "$T/h.jsonl"
"$LLMDATA" pack -q --seq-len 4 --eos 0 --vocab-size 100 -o "$T/h" "$T/h.jsonl" || fail "pack exited $?"
for f in h.bin h.idx h.boundaries.npy h.manifest.json; do [ -s "$T/$f" ] || fail "missing $f"; done
expect "bin bytes" "$(od -An -tu2 -v "$T/h.bin" | tr -s ' \n' ' ' | sed 's/^ //;s/ $//')" "1 2 3 0 4 0 5 6 7 8 10 0"
grep -q '"docs_truncated":1' "$T/h.manifest.json" || fail "manifest: $(cat "$T/h.manifest.json")"
grep -q '"docs_dropped":1' "$T/h.manifest.json" || fail "manifest docs_dropped"
grep -q '"dtype":"uint16"' "$T/h.manifest.json" || fail "manifest dtype"

# 2. Bad input: each is an error naming the line, or skipped with --skip-bad.
B="$src/data/pack/bad.jsonl"
"$LLMDATA" pack -q --seq-len 4 -o "$T/b" "$B" 2> "$T/err" && fail "bad input accepted"
grep -q 'bad.jsonl:2' "$T/err" || fail "no line number: $(cat "$T/err")"
[ -e "$T/b.bin" ] && fail "failed run left b.bin"
printf '{"ids":[1]}\n{"text":"x"}\n' > "$T/m.jsonl"
"$LLMDATA" pack -q --seq-len 4 -o "$T/b" "$T/m.jsonl" 2> "$T/err" && fail "missing field accepted"
grep -q 'm.jsonl:2: field "ids" is missing' "$T/err" || fail "missing field message: $(cat "$T/err")"
printf '{"ids":[1,2,3,70000]}\n' > "$T/v.jsonl"
"$LLMDATA" pack -q --seq-len 4 --vocab-size 50000 -o "$T/b" "$T/v.jsonl" 2> "$T/err" && fail "id beyond vocab accepted"
grep -q 'v.jsonl:1: .*id 70000 is not below vocab_size 50000' "$T/err" || fail "vocab message: $(cat "$T/err")"
"$LLMDATA" pack --seq-len 2 --vocab-size 50000 --skip-bad -o "$T/b" "$B" 2> "$T/err" || fail "--skip-bad failed: $(cat "$T/err")"
grep -q '2 docs, 4 bad' "$T/err" || fail "skip summary: $(cat "$T/err")"
"$LLMDATA" pack -q --seq-len 4 -o /nonexistent-dir/sub/x "$T/h.jsonl" 2> "$T/err" && fail "unwritable dir accepted"
grep -q 'nonexistent-dir/sub/x' "$T/err" || fail "unwritable message: $(cat "$T/err")"
"$LLMDATA" pack -q --seq-len 4 --strategy best-fit -o "$T/x" "$T/h.jsonl" 2> "$T/err" && fail "best-fit without pad accepted"
grep -q 'pad' "$T/err" || fail "best-fit pad message"
# a full disk: 16 KiB file-size limit (ulimit -f: 512-byte blocks; SIGXFSZ ignored so write() fails
# with EFBIG) while the greedy .bin of the fixture is 189 KB: error reported, nothing left behind
mkdir "$T/full"
(trap '' XFSZ; ulimit -f 32; exec "$LLMDATA" pack -q --seq-len 512 --eos 0 --vocab-size 50000 -o "$T/full/g" "$D") \
  2> "$T/err" && fail "write beyond the file-size limit succeeded"
grep -q 'g.bin.*write failed: File too large' "$T/err" || fail "full disk message: $(cat "$T/err")"
[ -z "$(ls -A "$T/full")" ] || fail "a failed pack left files: $(ls -A "$T/full")"

# 3. Fixture: best-fit truncates fewer documents than greedy.
"$LLMDATA" pack -q --seq-len 512 --eos 0 --vocab-size 50000 -o "$T/g" "$D" || fail "greedy"
"$LLMDATA" pack -q --seq-len 512 --eos 0 --pad 1 --strategy best-fit --buffer 64 --vocab-size 50000 --format npy \
  -o "$T/f" "$D" || fail "best-fit"
tg=$(sed 's/.*"docs_truncated":\([0-9]*\).*/\1/' "$T/g.manifest.json")
tf=$(sed 's/.*"docs_truncated":\([0-9]*\).*/\1/' "$T/f.manifest.json")
[ "$tf" -lt "$tg" ] || fail "best-fit truncated $tf, greedy $tg"

if [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then
  "$PY" - "$D" "$T" "$src/shards" <<'P' || fail "python checks"
import json, sys
sys.path.insert(0, sys.argv[3])
import numpy as np
import mmidx_reader
docs = [json.loads(l)["ids"] for l in open(sys.argv[1])]
T = sys.argv[2]
L = 512
stream = [t for d in docs for t in d + [0]]
want = [stream[i:i + L] for i in range(0, len(stream) - L + 1, L)]
idx, seqs = mmidx_reader.read_dataset(T + "/g")
assert idx["dtype_code"] == 8, idx["dtype_code"]
assert seqs == want, "greedy windows differ"
assert idx["document_indices"] == list(range(len(want) + 1))
b = np.load(T + "/g.boundaries.npy", mmap_mode="r")
# boundaries: every window start and every document start inside the stream
starts = {0}
pos = 0
for d in docs:
    pos += len(d) + 1
    starts.add(pos)
starts |= set(range(0, len(want) * L + 1, L))
starts = sorted(s for s in starts if s <= len(want) * L)
assert b.tolist() == starts, (b[:10], starts[:10])
# best-fit: every document's ids+[0] appear exactly once, in order, split only when longer than L
a = np.load(T + "/f.npy", mmap_mode="r")
assert a.dtype == np.uint16 and a.shape[1] == L, (a.dtype, a.shape)
fb = np.load(T + "/f.boundaries.npy", mmap_mode="r").tolist()
flat = a.reshape(-1)
segs = [flat[fb[i]:fb[i + 1]].tolist() for i in range(len(fb) - 1)]
pieces = sorted(s for s in segs if not all(t == 1 for t in s))
expect = []
for d in docs:
    seq = d + [0]
    expect += [seq[i:i + L] for i in range(0, len(seq), L)]
assert pieces == sorted(expect), "best-fit segments are not the documents' chunks"
m = json.load(open(T + "/f.manifest.json"))
assert m["pack"]["docs_truncated"] == sum(1 for d in docs if len(d) + 1 > L)
print("python: greedy %d windows, best-fit %d windows, truncated %d vs %d" % (
    len(want), a.shape[0], json.load(open(T + "/g.manifest.json"))["pack"]["docs_truncated"],
    m["pack"]["docs_truncated"]))
P
else
  # numpy is a test dependency (.ci/run installs python3-numpy): missing under CI=true is a failure;
  # elsewhere the numpy half is reported as SKIP (exit 77), never as a silent pass.
  [ "${CI:-}" = true ] && fail "numpy not importable by $PY (CI=true: a missing tool is a failure)"
  echo "test_pack: numpy not available, Python checks skipped" >&2
  exit 77
fi
exit 0
