#!/bin/sh
# Runs tests/cli/test_*.sh (or the scripts named after the CLI path) with LLMDATA pointing at the
# built CLI.  A script exits 0 on success, 77 when it skipped (a missing optional input; it says
# why), anything else on failure.  Prints "cli: N passed, M failed, K skipped"; exits 1 on any
# failure, 77 when every script skipped (meson's SKIP), 0 otherwise.
set -u
LLMDATA=${1:?path to llmdata}; export LLMDATA
shift
dir=$(cd "$(dirname "$0")" && pwd)
[ $# -gt 0 ] || set -- "$dir"/test_*.sh
pass=0; fail=0; skip=0
for t in "$@"; do
  [ -e "$t" ] || { fail=$((fail+1)); echo "FAIL $t (no such script)"; continue; }
  sh "$t"; rc=$?
  if [ $rc -eq 0 ]; then pass=$((pass+1)); echo "ok   $(basename "$t")"
  elif [ $rc -eq 77 ]; then skip=$((skip+1)); echo "SKIP $(basename "$t")"
  else fail=$((fail+1)); echo "FAIL $(basename "$t") (exit $rc)"; fi
done
echo "cli: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] || exit 1
[ "$pass" -gt 0 ] || [ "$skip" -eq 0 ] || exit 77
exit 0
