#!/bin/sh
# Compiles every public header alone, as C11 and as C++11, with warnings as errors.
set -eu
inc=${1:?include dir}
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
cc=${CC:-cc}; cxx=${CXX:-c++}
fail=0; n=0
for h in "$inc"/llmdata.h "$inc"/llmdata/*.h; do
  rel=${h#"$inc"/}
  printf '#include "%s"\n#include "%s"\nint llmd_header_test_dummy;\n' "$rel" "$rel" > "$tmp/t.c"
  cp "$tmp/t.c" "$tmp/t.cpp"
  n=$((n+1))
  if ! $cc -std=c11 -Wall -Wextra -Werror -pedantic -I"$inc" -c "$tmp/t.c" -o "$tmp/t.o"; then
    echo "FAIL (C11): $rel"; fail=$((fail+1))
  fi
  if command -v "$cxx" >/dev/null 2>&1 &&
     ! $cxx -std=c++11 -Wall -Wextra -Werror -pedantic -I"$inc" -c "$tmp/t.cpp" -o "$tmp/t.o"; then
    echo "FAIL (C++11): $rel"; fail=$((fail+1))
  fi
done
echo "headers: $((n*2-fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
