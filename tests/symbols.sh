#!/bin/sh
# Compares the dynamic symbols libllmdata exports with the committed manifest and the version script.
#   symbols.sh LIB.so MANIFEST MAP           check
#   symbols.sh LIB.so MANIFEST MAP --update  rewrite the manifest (review the diff!)
# The version script (lib/llmdata.map) must name every exported symbol explicitly, in a version node
# (no wildcard): a symbol exported by accident, or one a release forgot to list, fails here.
set -eu
so=${1:?library}; manifest=${2:?manifest}; map=${3:?version script}
actual=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u)
if [ "${4:-}" = "--update" ]; then printf '%s\n' "$actual" > "$manifest"; echo "updated $manifest"; exit 0; fi
bad=$(printf '%s\n' "$actual" | grep -v '^llmd_' || true)
if [ -n "$bad" ]; then echo "exported symbols without the llmd_ prefix:"; echo "$bad"; exit 1; fi
if ! printf '%s\n' "$actual" | diff -u "$manifest" -; then
  echo "exported symbols differ from $manifest (run tests/symbols.sh LIB MANIFEST MAP --update if intended)"
  exit 1
fi
# Symbols the version script lists (strip comments; keep names inside global: sections).
listed=$(sed 's,/\*.*\*/,,g; s/#.*//' "$map" | tr ';' '\n' | sed 's/^[[:space:]]*//; s/[[:space:]]*$//' |
         grep -E '^llmd_[A-Za-z0-9_]+$' | sort -u)
if sed 's,/\*.*\*/,,g' "$map" | grep -q 'llmd_\*'; then echo "$map: uses a wildcard; list each symbol"; exit 1; fi
if ! printf '%s\n' "$actual" | diff -u - "$(printf '%s\n' "$listed" > "${TMPDIR:-/tmp}/llmd_map_syms.$$"; echo "${TMPDIR:-/tmp}/llmd_map_syms.$$")"; then
  rm -f "${TMPDIR:-/tmp}/llmd_map_syms.$$"
  echo "exported symbols differ from those listed in $map (add new ones to a new version node)"
  exit 1
fi
rm -f "${TMPDIR:-/tmp}/llmd_map_syms.$$"
# Every function a public header declares with LLMD_API is exported (a header without its symbol
# in the map would link nowhere).
declared=$(sh "$(dirname "$0")/abi/header_symbols.sh" "$(dirname "$0")/../include")
missing=$(printf '%s\n' "$declared" | while read -r s; do printf '%s\n' "$actual" | grep -qx "$s" || echo "$s"; done)
if [ -n "$missing" ]; then echo "declared in the headers but not exported (add to $map):"; echo "$missing"; exit 1; fi
nodes=$(grep -cE '^LLMDATA_[0-9]+\.[0-9]+' "$map" || true)
echo "symbols: $(printf '%s\n' "$actual" | wc -l) exported, all in the manifest and listed in $nodes version node(s)"
