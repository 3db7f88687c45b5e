#!/bin/bash
# The library picks AVX-512 / AVX2 code at run time (JSON decode and escape, UTF-8 validation,
# white-space collapse, PII scan, MinHash, word splitting) and falls back to portable code on other
# CPUs.  A development or CI machine with AVX-512 only ever runs the wide paths, so this runs the
# suites of those modules under QEMU's user-mode emulator as CPUs without them -- Haswell (AVX2, no
# AVX-512) and Nehalem (SSE4.2 only) -- and checks that `llmdata clean` (plain and --spans) writes
# the same bytes as the native run on the same documents.
#   tests/cpu/run_fallback.sh BUILD_DIR
# Needs qemu-x86_64 (Debian: qemu-user).  Without it: exit 77 (skip), or failure under CI=true.
set -euo pipefail
build=$(cd "${1:?usage: run_fallback.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
if ! command -v qemu-x86_64 >/dev/null; then
  echo "run_fallback: qemu-x86_64 not found (apt-get install qemu-user)" >&2
  [ "${CI:-}" = true ] && exit 1 || exit 77
fi
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
# Documents: the shared corpus's first 3,000 (emails, phones, IPs, keys, markup: ~6,000 PII spans)
# when it is there (CI), else the bundled sample.
docs="$T/docs.jsonl"
corpus=${LLMD_CORPUS_JSONL:-$root/tests/tokenizer/cache/corpus/corpus.jsonl}
if [ -f "$corpus" ]; then head -n 3000 "$corpus" > "$docs"; else cat "$root/examples/data/sample.jsonl" > "$docs"; fi
cli="$build/examples/llmdata/llmdata"
"$cli" clean -q --threads 1 "$docs" > "$T/native.jsonl"
"$cli" clean -q --spans --threads 2 "$docs" > "$T/native_spans.jsonl"
fail=0
for cpu in Haswell Nehalem; do
  # QEMU warns about CPUID bits its emulator lacks (pcid, x2apic, ...): not ours, filtered out.
  for suite in common io io_cov text text_cov dedup dedup_cov filter filter_cov; do
    # LLMD_SANITIZED=1: emulation is ~10x slower, like an instrumented build, so the scale checks
    # (test_text's 100 MB document, 8 MB pathological inputs with a time bound) use their small sizes.
    out=$(cd "$build" && LLMD_TEST_SRCDIR="$root/tests" LLMD_SANITIZED=1 CK_DEFAULT_TIMEOUT=900 \
          LLMD_SHARED_DIR="$root/../shared" LLMD_BUILD_ROOT="$build" \
          qemu-x86_64 -cpu "$cpu" "tests/test_$suite" 2>&1 | grep -v "TCG doesn.t support" || true)
    if echo "$out" | grep -q "^100%: Checks: [0-9]*, Failures: 0, Errors: 0"; then
      echo "ok   $cpu: $suite ($(echo "$out" | grep -o 'Checks: [0-9]*'))"
    else
      echo "FAIL $cpu: $suite"; echo "$out" | tail -20; fail=1
    fi
  done
  qemu-x86_64 -cpu "$cpu" "$cli" clean -q --threads 1 "$docs" 2>/dev/null > "$T/q.jsonl" || true
  qemu-x86_64 -cpu "$cpu" "$cli" clean -q --spans --threads 2 "$docs" 2>/dev/null > "$T/q_spans.jsonl" || true
  for k in "" _spans; do
    if cmp -s "$T/native$k.jsonl" "$T/q$k.jsonl"; then echo "ok   $cpu: llmdata clean${k:+ --spans} output identical ($(wc -l < "$docs") documents)"
    else echo "FAIL $cpu: llmdata clean${k:+ --spans} output differs from the native run"; fail=1; fi
  done
done
exit $fail
