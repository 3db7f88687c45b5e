#!/bin/sh
# The ABI gate: compares the built library with the baseline of the last release.
#   check_abi.sh BASELINE.abi LIB.so INCLUDE_DIR           check (exit 1 on a removed or changed symbol/type)
#   check_abi.sh BASELINE.abi LIB.so INCLUDE_DIR --update  write a new baseline (release step only!)
# Added functions and variables pass; removed or changed ones fail with abidiff's report.  Symbols
# of modules still marked experimental (tests/abi/suppressions.txt) are left out of the check.
set -eu
baseline=${1:?baseline}; lib=${2:?library}; incdir=${3:?include dir}
here=$(cd "$(dirname "$0")" && pwd)
supp="$here/suppressions.txt"
command -v abidiff >/dev/null || { echo "check_abi: abidiff not found (Debian abigail-tools)"; exit 1; }
if [ "${4:-}" = "--update" ]; then
  abidw --no-corpus-path --no-comp-dir-path --short-locs --no-show-locs --headers-dir "$incdir" \
        --out-file "$baseline" "$lib"
  echo "check_abi: wrote $baseline from $lib"
  exit 0
fi
[ -f "$baseline" ] || { echo "check_abi: no baseline $baseline"; exit 1; }
set +e
report=$(abidiff --headers-dir2 "$incdir" --suppressions "$supp" --no-show-locs "$baseline" "$lib" 2>&1)
rc=$?
set -e
# abidiff's exit code is a bit field: 1 error, 2 usage error, 4 ABI change, 8 incompatible change.
if [ $((rc & 3)) -ne 0 ]; then echo "check_abi: abidiff failed (exit $rc):"; echo "$report"; exit 1; fi
removed_or_changed=$(printf '%s\n' "$report" |
  sed -n 's/^\(Functions\|Variables\) changes summary: \([0-9]*\) Removed, \([0-9]*\) Changed.*/\2 \3/p' |
  awk '{s += $1 + $2} END {print s + 0}')
if [ $((rc & 8)) -ne 0 ] || [ "$removed_or_changed" -ne 0 ]; then
  echo "check_abi: the ABI of $lib breaks the baseline $(basename "$baseline"):"
  printf '%s\n' "$report"
  echo "check_abi: a deliberate break needs a soname bump and a new baseline (see README, 'Releases')."
  exit 1
fi
added=$(printf '%s\n' "$report" | sed -n 's/^Functions changes summary:.*Changed[^,]*, \([0-9]*\) Added.*/\1/p')
echo "check_abi: compatible with $(basename "$baseline") (${added:-0} functions added)"
