#!/bin/bash
# Mutation testing of lib/: applies each mutation of tests/mutation/mutations.sh to a private copy
# of the source tree, rebuilds, runs `meson test` and counts the mutation as KILLED when the suite
# fails, SURVIVED when it passes.  Prints one line per mutation and the score
# killed / (killed + survived).  Not part of CI: a full run rebuilds and runs the whole suite once
# per mutation (hours on 2 cores).
#
#   tests/mutation/run_mutations.sh [--quick] [--only REGEX] [--check] [--jobs N] [--timeout S]
#     --quick      run only each mutation's own suites (listed in mutations.sh) instead of the full
#                  suite: a lower bound of the full score, much faster
#     --only RE    only mutations whose name matches the extended regex RE
#     --check      only check that every mutation still applies (no build); exit 1 if one does not
#     --timeout S  per test run (default 900 s); a hang counts as KILLED (the suite would time out)
#
# The copy lives in $LLMD_MUTATION_DIR (default: a new /tmp/llmd-mutation.XXXXXX, removed at the
# end); the repository itself is never modified.  Baseline first: the unmutated copy must pass the
# chosen suites, or the run stops.  NOT-APPLIED (the statement changed: update mutations.sh) and
# BUILD-FAILED mutations are listed but left out of the score.  Exit status: 0 when the score is at
# least LLMD_MUTATION_MIN (default 90), 1 otherwise.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
quick=0; only=""; check=0; jobs=2; tmo=900
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --only) only=$2; shift ;;
    --check) check=1 ;;
    --jobs) jobs=$2; shift ;;
    --timeout) tmo=$2; shift ;;
    *) echo "usage: $0 [--quick] [--only REGEX] [--check] [--jobs N] [--timeout S]" >&2; exit 2 ;;
  esac
  shift
done

names=(); files=(); suites=(); scripts=()
m() {  # NAME FILE SUITES SED...
  local name=$1 file=$2 su=$3; shift 3
  [ -n "$only" ] && ! [[ $name =~ $only ]] && return
  local s="" e
  for e in "$@"; do s+="$e"$'\n'; done
  names+=("$name"); files+=("$file"); suites+=("$su"); scripts+=("$s")
}
# shellcheck source=mutations.sh
. "$here/mutations.sh"
[ ${#names[@]} -gt 0 ] || { echo "no mutation matches '$only'" >&2; exit 2; }

apply() {  # i dest-root: writes the mutated file; returns 1 when the script changes nothing
  local i=$1 root=$2 f=${files[$1]}
  local args=() line
  while IFS= read -r line; do [ -n "$line" ] && args+=(-e "$line"); done <<< "${scripts[$i]}"
  sed "${args[@]}" "$src/$f" > "$root/$f.mut" || return 1
  if cmp -s "$src/$f" "$root/$f.mut"; then rm -f "$root/$f.mut"; return 1; fi
  mv "$root/$f.mut" "$root/$f"
}

if [ $check -eq 1 ]; then
  t=$(mktemp -d); bad=0
  for i in "${!names[@]}"; do
    mkdir -p "$t/$(dirname "${files[$i]}")"
    if apply "$i" "$t"; then echo "applies      ${names[$i]}  (${files[$i]}: $(diff "$src/${files[$i]}" "$t/${files[$i]}" | grep -c '^>') line(s))"
    else echo "NOT-APPLIED  ${names[$i]}  (${files[$i]})"; bad=1; fi
  done
  rm -rf "$t"
  echo "${#names[@]} mutations checked"
  exit $bad
fi

work=${LLMD_MUTATION_DIR:-}
cleanup_work=0
if [ -z "$work" ]; then work=$(mktemp -d /tmp/llmd-mutation.XXXXXX); cleanup_work=1; fi
trap '[ $cleanup_work -eq 1 ] && rm -rf "$work"' EXIT
copy="$work/src"
mkdir -p "$copy"
# The tracked and new (not ignored) files of the checkout; the ignored npm peers, their tokenizer
# files and caches are linked in so that the peer tests run as they do in the checkout.
(cd "$src" && git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$copy")
for p in tests/tokenizer/peer/node_modules tests/tokenizer/peer/files tests/tokenizer/cache; do
  [ -e "$src/$p" ] && [ ! -e "$copy/$p" ] && ln -s "$src/$p" "$copy/$p"
done
[ -d "$src/../shared" ] && [ ! -e "$work/shared" ] && ln -s "$(cd "$src/../shared" && pwd)" "$work/shared"
build="$work/build"
if [ ! -f "$build/build.ninja" ]; then
  meson setup "$build" "$copy" -Dbuildtype=debugoptimized -Dbenchmarks=false >/dev/null 2>&1 || exit 1
fi

run_suites() {  # suites-csv|"" -> runs meson test
  local args=()
  if [ $quick -eq 1 ] && [ -n "$1" ]; then
    local s; IFS=, read -ra ss <<< "$1"; for s in "${ss[@]}"; do args+=(--suite "$s"); done
  fi
  timeout "$tmo" meson test -C "$build" --no-rebuild --num-processes "$jobs" "${args[@]}" >"$work/test.log" 2>&1
}

echo "mutation: baseline build and $([ $quick -eq 1 ] && echo "own suites" || echo "full suite")"
ninja -C "$build" -j"$jobs" >"$work/build.log" 2>&1 || { echo "baseline build failed: $work/build.log"; exit 1; }
if [ $quick -eq 1 ]; then
  all=$(printf '%s\n' "${suites[@]}" | tr ',' '\n' | sort -u | paste -sd,)
  run_suites "$all" || { echo "baseline fails its suites ($all): fix that first"; tail -20 "$work/test.log"; exit 1; }
else
  run_suites "" || { echo "baseline fails the suite: fix that first"; tail -20 "$work/test.log"; exit 1; }
fi

killed=0; survived=0; na=0; bf=0; surv_list=""
for i in "${!names[@]}"; do
  name=${names[$i]}; f=${files[$i]}
  t0=$(date +%s)
  if ! apply "$i" "$copy"; then
    echo "NOT-APPLIED  $name ($f: the statement changed; update tests/mutation/mutations.sh)"; na=$((na+1)); continue
  fi
  if ! ninja -C "$build" -j"$jobs" >"$work/build.log" 2>&1; then
    echo "BUILD-FAILED $name"; bf=$((bf+1))
  elif run_suites "${suites[$i]}"; then
    echo "SURVIVED     $name ($f) $(( $(date +%s) - t0 ))s"; survived=$((survived+1)); surv_list+=" $name"
  else
    failed=$(grep -E '^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT|ERROR)' "$work/test.log" | sed -E 's/^ *[0-9]+\/[0-9]+ +//; s/ +(FAIL|TIMEOUT|ERROR).*/ \1/' | head -3 | paste -sd, -)
    [ -z "$failed" ] && failed="timeout"
    echo "KILLED       $name by: $failed $(( $(date +%s) - t0 ))s"; killed=$((killed+1))
  fi
  cp -p "$src/$f" "$copy/$f"; touch "$copy/$f"
done
ninja -C "$build" -j"$jobs" >/dev/null 2>&1
scored=$((killed + survived))
score=0; [ $scored -gt 0 ] && score=$((100 * killed / scored))
echo "mutation score: $killed killed / $scored = ${score}% ($survived survived:${surv_list:- none}; $na not applied, $bf build failures; $([ $quick -eq 1 ] && echo "own suites only" || echo "full suite"))"
[ $score -ge "${LLMD_MUTATION_MIN:-90}" ]
