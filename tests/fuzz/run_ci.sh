#!/bin/bash
# Bounded, reproducible fuzzing for CI: builds every libFuzzer harness of tests/fuzz/ (clang,
# ASan+UBSan) against the library sources, seeds each from the repository's fixtures and runs it for
# at most RUNS inputs (per harness, below) or SECONDS, whichever comes first.  Fails on any crash,
# sanitizer report, leak or invariant violation (libFuzzer exits non-zero and leaves crash-* in the
# work directory); prints the run count of each harness.
#   tests/fuzz/run_ci.sh [SECONDS] [WORKDIR]
# Environment: FUZZ_SEED (default 1: the same input sequence on every machine, so a CI run explores
# a prefix of what a local run of the same commit explored; 0 = a random seed, for exploratory
# runs), FUZZ_RUNS_SCALE (multiplies every harness's run budget; e.g. 20 for a long local run),
# FUZZ_ONLY (run only the harnesses whose names contain this), FUZZ_CC (default clang).
# A crash found here must be fixed and its input added as a regression test of the module's suite.
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${2:-$(mktemp -d)}
seed=${FUZZ_SEED:-1}
scale=${FUZZ_RUNS_SCALE:-1}
only=${FUZZ_ONLY:-}
mkdir -p "$work"
cd "$root"
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found" >&2; exit 1; }
san=address,undefined
cflags=(-g -O1 -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Iinclude -Ilib
        -DLLMD_LANGID_INSTALLED_MODEL='"/nonexistent"' -DLLMD_LANGID_SOURCE_MODEL='"/nonexistent"')
read -r -a deps <<< "$(pkg-config --cflags --libs libutf8proc libpcre2-8 libzstd libxxhash libcjson snappy zlib liblz4)"

# The library once, instrumented for coverage but without libFuzzer's main (fuzzer-no-link), as a
# static archive every harness links: each harness pulls only the objects it uses.
obj="$work/obj"
mkdir -p "$obj"
echo "fuzz: building the library objects"
read -r -a incs <<< "$(pkg-config --cflags libutf8proc libpcre2-8 libcjson)"
jobs_max=$(nproc)
for src in lib/*/[a-z]*.c; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do wait -n; done
  "$cc" "${cflags[@]}" -fsanitize=fuzzer-no-link,$san "${incs[@]}" -c "$src" -o "$obj/$(echo "$src" | tr / _).o" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do wait -n || { echo "fuzz: a library object failed to build" >&2; exit 1; }; done
rm -f "$work/libllmdata_fuzz.a"
ar rcs "$work/libllmdata_fuzz.a" "$obj"/*.o

build() {  # name
  echo "fuzz: building $1"
  "$cc" "${cflags[@]}" -fsanitize=fuzzer,$san "tests/fuzz/$1.c" "$work/libllmdata_fuzz.a" "${deps[@]}" \
    -lpthread -lm -o "$work/$1"
}

# ---- seeds -------------------------------------------------------------------------------------
seeds() {
  mkdir -p "$work"/corpus-{tok,tiktoken,dedup,manifest,config,langid,delta,parquet,json,text,filter}
  cp tests/data/tokenizer/*.json "$work/corpus-tok/"
  # Shapes that once crashed or blew up: an empty vocabulary, sparse ids, an expanding normalizer.
  local m='"model": {"type": "BPE", "vocab": '
  printf '{%s{}, "merges": []}}\xffhello world' "$m" > "$work/corpus-tok/empty"
  printf '{%s{"a": 0, "b": 268435455, " ": 7}, "merges": []}}\xffab ba' "$m" > "$work/corpus-tok/sparse"
  printf '{"normalizer": {"type": "Replace", "pattern": {"String": "a"}, "content": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"}, %s{"a": 0, "b": 1}, "merges": []}}\xffaaaa' \
    "$m" > "$work/corpus-tok/replace"
  /usr/bin/python3 - "$work/corpus-tiktoken" <<'PY'
import base64, sys
d = sys.argv[1]
# option byte 8|k: the harness prepends the 256 single-byte tokens; then a few merges and a text
merges = b"".join(base64.b64encode(t) + b" %d\n" % r for r, t in
                  enumerate([b"ab", b"bc", b"abc", b" the", b"in", b"ing"], start=256))
for k in range(6):
    open(f"{d}/seed{k}", "wb").write(bytes([8 | k]) + merges + b"\xffthe abc bing <|endoftext|> caf\xc3\xa9")
open(f"{d}/dup", "wb").write(bytes([8]) + merges + b"YWI= 97\n\xffab")
open(f"{d}/raw", "wb").write(bytes([0]) + b"IQ== 0\r\n\n" + b"\xffx")
PY
  local cli=build/examples/llmdata/llmdata
  if [ -x "$cli" ]; then
    # Index files, run manifests written by the library itself (harnesses patch checksums to go deeper).
    printf '%s\n' '{"text":"one two three four five six"}' '{"text":"One two three four five six!"}' \
      '{"text":"something else entirely here"}' > "$work/docs.jsonl"
    "$cli" dedup -q --streaming --index "$work/corpus-dedup/idx" "$work/docs.jsonl" > /dev/null || true
    rm -rf "$work/seedrun"
    "$cli" pipeline -q --tokenizer bytes --seq-len 64 --no-filter --out "$work/seedrun" \
      examples/data/sample.jsonl > /dev/null
    cp "$work/seedrun/_llmdata_run.json" "$work/seedrun/data.manifest.json" "$work/corpus-manifest/"
  elif [ "${CI:-}" = true ]; then
    echo "fuzz: $cli not built (seeds for the dedup index and manifests need it)" >&2; exit 1
  fi
  printf 'seed text for minhash' > "$work/corpus-dedup/text"
  cp examples/pipeline.json "$work/corpus-config/"
  /usr/bin/python3 tests/fuzz/make_langid_seeds.py "$work/corpus-langid"
  cp tests/fuzz/seeds/delta/* "$work/corpus-delta/"
  # a seed with a real classic checkpoint (one of ours) as its fourth chunk
  { printf '\377\377\377'; cat tests/fuzz/seeds/delta-ckpt.parquet; } > "$work/corpus-delta/classic"
  cp tests/data/parquet/*.parquet "$work/corpus-parquet/"
  # Text harnesses: lines of the sample corpus (JSON as is; texts behind an option byte).
  head -40 examples/data/sample.jsonl | split -l 1 - "$work/corpus-json/s"
  /usr/bin/python3 - "$work" examples/data/sample.jsonl <<'PY'
import json, sys
work, sample = sys.argv[1], sys.argv[2]
texts = [json.loads(l)["text"] for l in open(sample, encoding="utf-8") if l.strip()][:24]
for i, t in enumerate(texts):
    b = t.encode()[:3000]
    open(f"{work}/corpus-text/s{i}", "wb").write(bytes([i % 32]) + b)
    open(f"{work}/corpus-filter/s{i}", "wb").write(bytes([(i % 31) + 1]) + b)
PY
}

status=0
run() {  # name max_len runs corpus
  local name=$1 max_len=$2 runs=$(( $3 * scale )) corpus=$4 log="$work/$1.log"
  case "$name" in *"$only"*) ;; *) return 0 ;; esac
  build "$name"
  (cd "$work" && "./$name" -seed="$seed" -runs="$runs" -max_len="$max_len" -max_total_time="$secs" \
     -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 "$corpus") > "$log" 2>&1 ||
    { status=1; echo "fuzz: $name FAILED:"; tail -60 "$log"; }
  local n
  n=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $name: $n runs (budget $runs, seed $seed, at most ${secs}s)"
}

seeds
# Run budgets: what one pass gives in well under a minute on a 2-core machine.
run fuzz_tokenizer        16384 150000 corpus-tok
run fuzz_tiktoken          8192 100000 corpus-tiktoken
run fuzz_dedup_index       8192  20000 corpus-dedup
run fuzz_manifest          4096  80000 corpus-manifest
run fuzz_pipeline_config   4096  80000 corpus-config
run fuzz_langid            8192  50000 corpus-langid
run fuzz_delta            16384  50000 corpus-delta
run fuzz_parquet          65536 300000 corpus-parquet
run fuzz_json              4096 150000 corpus-json
run fuzz_text              4096  50000 corpus-text
run fuzz_filter            4096  50000 corpus-filter
exit $status
