#!/bin/bash
# Token-id exactness of `llmdata tokenize` against the real peers (HF tokenizers via npm, npm
# tiktoken) on real tokenizer files.
#   run_exactness.sh BUILD_DIR [--quick|--full]
#     --quick (default): edge set + the first 300 corpus documents
#     --edge: the edge set only (sanitizer builds)
#     --full: edge set, 1 MB cases (HF files only: tiktoken's own merge is quadratic there), and
#             every document of the shared corpus
# Expected ids are cached under tests/tokenizer/cache/, keyed by the hash of tokenizer file, input,
# mode and peer versions.  When the peers or the CLI are missing: under CI=true that is a failure
# (exit 1, says why); otherwise a skip (exit 77, meson's SKIP, says why) — never "ok".
# Ends with "tokenizer-exactness: N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run_exactness.sh BUILD_DIR [--quick|--full]}
mode=${2:---quick}
cli="$build/examples/llmdata/llmdata"
files="$here/peer/files"
cache="$here/cache"; mkdir -p "$cache"
py=/usr/bin/python3; [ -x $py ] || py=python3

skip() {
  if [ "${CI:-}" = true ]; then
    echo "tokenizer-exactness: FAILED: $1 (CI=true: a missing peer is a failure)" >&2
    echo "tokenizer-exactness: 0 passed, 1 failed"; exit 1
  fi
  echo "tokenizer-exactness: skipped: $1"; echo "tokenizer-exactness: 0 passed, 0 failed, 1 skipped"; exit 77
}
[ -x "$cli" ] || skip "no CLI at $cli"
"$cli" tokenize --help >/dev/null 2>&1 || [ $? -ne 2 ] || skip "this build has no 'llmdata tokenize'"
[ -f "$files/gpt2.json" ] && [ -d "$here/peer/node_modules/tokenizers" ] || skip "peers missing: run tests/tokenizer/fetch_peers.sh"

# Inputs.
inputs=("edge:$here/edge_cases.jsonl")
if [ "$mode" = --full ]; then
  [ -f "$cache/edge_big.jsonl" ] || $py "$here/make_edge_set.py" "$cache/edge_big.jsonl" --big 2>/dev/null
  inputs+=("big:$cache/edge_big.jsonl")
fi
corpus=${LLMD_CORPUS_JSONL:-}
[ "$mode" = --edge ] && corpus=/nonexistent
if [ -z "$corpus" ]; then
  shared="$(cd "$here/../.." && pwd)/../shared"
  if [ -x "$shared/corpus/make_corpus.sh" ] || [ -f "$shared/corpus/make_corpus.sh" ]; then
    corpus=$(sh "$here/ensure_corpus.sh" "$cache" "$shared")
  fi
fi
if [ -n "$corpus" ] && [ -f "$corpus" ]; then
  if [ "$mode" = --full ]; then inputs+=("corpus:$corpus")
  else head -n 300 "$corpus" > "$cache/corpus300.jsonl"; inputs+=("corpus300:$cache/corpus300.jsonl"); fi
elif [ "$mode" != --edge ]; then
  echo "tokenizer-exactness: no shared corpus (../shared absent): edge set only"
fi

peer_versions=$(cd "$here/peer" && node -e 'for (const p of ["tokenizers","tiktoken"]) console.log(require(p + "/package.json").version)' 2>/dev/null | tr '\n' ' ')
pass=0; fail=0
check() {  # label peer-args our-args input [roundtrip]
  local label=$1 peer_args=$2 our_args=$3 in=$4 roundtrip=${5:-}
  local key; key=$( { echo "$peer_args $peer_versions"; sha256sum "$in" | cut -c1-64; } | sha256sum | cut -c1-16)
  local exp="$cache/exp-$key.jsonl" act; act=$(mktemp)
  if [ ! -s "$exp" ]; then
    # shellcheck disable=SC2086
    node "$here/peer_encode.mjs" $peer_args --in "$in" --out "$exp.tmp" && mv "$exp.tmp" "$exp"
  fi
  # shellcheck disable=SC2086
  if "$cli" tokenize $our_args --quiet < "$in" > "$act" 2> "$act.err" &&
     $py "$here/compare.py" "$exp" "$act" --label "$label" &&
     { [ -z "$roundtrip" ] || roundtrip_ok "$label" "$our_args" "$act"; }; then
    pass=$((pass+1))
  else
    fail=$((fail+1)); echo "FAIL $label"; head -5 "$act.err"
  fi
  rm -f "$act" "$act.err"
}

# Byte-level tokenizers: detokenize(tokenize(x)) == x for every document.
roundtrip_ok() {
  local label=$1 our_args=$2 act=$3
  # shellcheck disable=SC2086
  "$cli" detokenize $our_args --field __back --quiet < "$act" > "$act.back" 2>> "$act.err" &&
  $py -c '
import json, sys
bad = 0
for line in open(sys.argv[1], encoding="utf-8"):
    d = json.loads(line)
    if d["__back"] != d.get(sys.argv[2], d.get("text")):
        bad += 1
        if bad <= 3: print("round trip differs:", d.get("id"), file=sys.stderr)
print("%s/roundtrip: %s" % (sys.argv[3], "decode(encode(x)) == x" if not bad else "%d documents differ" % bad))
sys.exit(1 if bad else 0)' "$act.back" text "$label"
  local rc=$?; rm -f "$act.back"; return $rc
}

for entry in "${inputs[@]}"; do
  name=${entry%%:*}; in=${entry#*:}
  for t in gpt2 llama3 llama2; do
    rt=""; [ "$t" != llama2 ] && rt=roundtrip
    check "$t/$name" "--tokenizer $files/$t.json" "--tokenizer $files/$t.json" "$in" $rt
    check "$t/$name/special" "--tokenizer $files/$t.json --add-special-tokens" \
          "--tokenizer $files/$t.json --add-special-tokens" "$in"
  done
  [ "$name" = big ] && continue
  for p in cl100k o200k; do
    check "$p/$name" "--tiktoken ${p}_base" "--tokenizer $files/${p}_base.tiktoken --tiktoken-pattern $p" "$in" roundtrip
  done
  if [ "$name" = edge ]; then
    for p in r50k p50k; do
      check "$p/$name" "--tiktoken ${p}_base" "--tokenizer $files/${p}_base.tiktoken --tiktoken-pattern $p" "$in"
    done
  fi
done
echo "tokenizer-exactness: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
