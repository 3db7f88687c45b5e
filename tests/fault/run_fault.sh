#!/bin/sh
# Fault injection over whole runs (issue 9 items 2 and 3): with tests/fault/fault.c preloaded, the
# Nth write / rename / renameat2 / fsync / link of a run fails, for every N the run makes, in turn.
# Each time the earlier output must be byte-identical to what it was (diff -r against a copy) and
# no temporary file or staging directory may remain.  Two writers are exercised:
#   pipeline --overwrite --out DIR   (staging directory + renameat2 RENAME_EXCHANGE)
#   pack --overwrite -o PREFIX        (several files published as a group with rollback)
#   pack --format parquet --overwrite (Parquet shards: several .parquet files + manifest as a group,
#                                      replacing an earlier shard of fewer files)
# Prints the number of calls of each operation and of runs tried.
set -u
shim=${1:?path to libllmdfault.so}; LLMDATA=${2:?path to llmdata}
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
fail() { echo "fault: $*" >&2; exit 1; }
root=$(cd "$(dirname "$0")/../.." && pwd)
S="$root/examples/data/sample.jsonl"
# A sanitizer runtime linked into llmdata must not insist on coming first in the library list.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:verify_asan_link_order=0"

head -30 "$S" > "$T/small.jsonl"
head -60 "$S" > "$T/big.jsonl"
python_ids() {  # token-id JSONL for pack: ids = byte values of each line (enough to fill windows)
  awk '{ s="["; for (i = 1; i <= length($0) && i <= 300; i++) s = s (i > 1 ? "," : "") (i % 251); print "{\"ids\":" s "]}" }' "$1"
}
python_ids "$T/small.jsonl" > "$T/ids_small.jsonl"
python_ids "$T/big.jsonl" > "$T/ids_big.jsonl"

pl() { "$LLMDATA" pipeline -q --tokenizer bytes --seq-len 256 --no-filter --threads 1 "$@"; }
pk() { "$LLMDATA" pack -q --seq-len 256 --vocab-size 300 "$@"; }

mkdir "$T/w"
pl --out "$T/w/o" "$T/small.jsonl" || fail "pipeline baseline failed"
pk -o "$T/w/s" "$T/ids_small.jsonl" || fail "pack baseline failed"
pk --format parquet -o "$T/w/q" "$T/ids_small.jsonl" || fail "pack parquet baseline failed"
cp -a "$T/w" "$T/ref"

no_temps() { find "$T/w" -name '*.tmp.*' | grep -q . && fail "$1: temp left: $(find "$T/w" -name '*.tmp.*')"; return 0; }
restore() { rm -rf "$T/w"; cp -a "$T/ref" "$T/w"; }

total=0
run_job() {  # job: the run whose output replaces the earlier one
  case $1 in
    pipeline) pl --overwrite --out "$T/w/o" "$T/big.jsonl" ;;
    pack) pk --overwrite -o "$T/w/s" "$T/ids_big.jsonl" ;;
    packpq) pk --format parquet --file-bytes 2000 --row-group-bytes 1000 --overwrite -o "$T/w/q" "$T/ids_big.jsonl" ;;
  esac
}
for job in pipeline pack packpq; do
  # count the calls of one clean run
  rm -f "$T/counts"
  LD_PRELOAD="$shim" LLMD_FAULT_COUNTS="$T/counts" run_job $job || fail "$job counting run"
  counts=$(tail -1 "$T/counts")
  echo "fault: $job run makes: $counts"
  [ $job = pipeline ] && cp -a "$T/w/o" "$T/new_o"
  restore
  set -- $counts
  while [ $# -ge 2 ]; do
    op=$1; n=$2; shift 2
    k=1
    while [ $k -le "$n" ]; do
      LD_PRELOAD="$shim" LLMD_FAULT_OP=$op LLMD_FAULT_N=$k run_job $job 2> "$T/e"
      rc=$?
      total=$((total+1))
      [ $rc -eq 1 ] || fail "$job, $op #$k of $n: exit $rc (want 1: every injected failure is an error): $(cat "$T/e")"
      grep -q 'Input/output error' "$T/e" || fail "$job, $op #$k: message does not report the error: $(cat "$T/e")"
      diff -r "$T/ref" "$T/w" > "$T/d" 2>&1 || fail "$job, $op #$k of $n: earlier output changed: $(head -5 "$T/d")"
      no_temps "$job, $op #$k"
      k=$((k+1))
    done
  done
done
# A file system without renameat2(RENAME_EXCHANGE) (EINVAL on the last renameat2, the swap): the
# run still publishes, through the two-rename fallback, and leaves nothing else behind.
restore
rm -f "$T/counts"
LD_PRELOAD="$shim" LLMD_FAULT_COUNTS="$T/counts" pl --overwrite --out "$T/w/o" "$T/big.jsonl" || fail "count run"
last=$(awk '{print $6}' "$T/counts")
restore
LD_PRELOAD="$shim" LLMD_FAULT_OP=renameat2 LLMD_FAULT_N=$last LLMD_FAULT_ERRNO=22 \
  pl --overwrite --out "$T/w/o" "$T/big.jsonl" 2> "$T/e" || fail "no RENAME_EXCHANGE: the fallback failed: $(cat "$T/e")"
for f in data.bin data.idx data.boundaries.npy; do
  cmp -s "$T/w/o/$f" "$T/new_o/$f" || fail "no RENAME_EXCHANGE: $f is not the new run's"
done
[ "$(ls "$T/w")" = "$(ls "$T/ref")" ] || fail "no RENAME_EXCHANGE: left $(ls "$T/w")"
no_temps "no RENAME_EXCHANGE"
echo "fault: $total runs with one injected failure each: earlier output byte-identical, no temp file left"
