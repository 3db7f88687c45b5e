#!/bin/sh
# Runs every tests/cli/test_*.sh with LLMDATA pointing at the built CLI; each script exits non-zero
# on failure.  Prints "cli: N passed, M failed".
set -u
LLMDATA=${1:?path to llmdata}; export LLMDATA
dir=$(cd "$(dirname "$0")" && pwd)
pass=0; fail=0
for t in "$dir"/test_*.sh; do
  [ -e "$t" ] || continue
  if sh "$t"; then pass=$((pass+1)); echo "ok   $(basename "$t")"
  else fail=$((fail+1)); echo "FAIL $(basename "$t")"; fi
done
echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
