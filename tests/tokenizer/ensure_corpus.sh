#!/bin/sh
# Builds the shared benchmark corpus once into CACHE/corpus/ and prints the path of corpus.jsonl.
#   ensure_corpus.sh CACHE SHARED_DIR
# Tests that run at the same time (meson runs them in parallel) share it: the first builds it in a
# temporary directory under a lock and renames it into place, the others wait on the lock, so no
# test ever reads a half-written corpus.
set -eu
cache=${1:?cache dir}; shared=${2:?shared dir}
mkdir -p "$cache"
exec 9> "$cache/.corpus.lock"
flock 9
if [ ! -f "$cache/corpus/corpus.jsonl" ]; then
  tmp=$(mktemp -d "$cache/corpus.tmp.XXXXXX")
  if ! bash "$shared/corpus/make_corpus.sh" "$tmp" > /dev/null 2>&1; then
    rm -rf "$tmp"
    echo "ensure_corpus: $shared/corpus/make_corpus.sh failed" >&2
    exit 1
  fi
  rm -rf "$cache/corpus"
  mv "$tmp" "$cache/corpus"
fi
echo "$cache/corpus/corpus.jsonl"
