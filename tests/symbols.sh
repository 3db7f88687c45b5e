#!/bin/sh
# Compares the dynamic symbols libllmdata exports with the committed manifest.
#   symbols.sh LIB.so MANIFEST           check
#   symbols.sh LIB.so MANIFEST --update  rewrite the manifest (review the diff!)
set -eu
so=${1:?library}; manifest=${2:?manifest}
actual=$(nm -D --defined-only "$so" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sed 's/@.*//' | sort -u)
if [ "${3:-}" = "--update" ]; then printf '%s\n' "$actual" > "$manifest"; echo "updated $manifest"; exit 0; fi
bad=$(printf '%s\n' "$actual" | grep -v '^llmd_' || true)
if [ -n "$bad" ]; then echo "exported symbols without the llmd_ prefix:"; echo "$bad"; exit 1; fi
if ! printf '%s\n' "$actual" | diff -u "$manifest" -; then
  echo "exported symbols differ from $manifest (run tests/symbols.sh LIB MANIFEST --update if intended)"
  exit 1
fi
echo "symbols: $(printf '%s\n' "$actual" | wc -l) exported, all in the manifest"
