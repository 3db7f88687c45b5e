#!/bin/bash
# Bounded fuzzing for CI: builds the libFuzzer harnesses of the outside-input parsers (clang,
# ASan+UBSan) and runs each for SECONDS (default 60) from a seed corpus made of the repository's
# fixtures.  Fails on any crash, sanitizer report or invariant violation (libFuzzer exits
# non-zero and leaves crash-* in the work directory); prints the run count of each harness.
#   tests/fuzz/run_ci.sh [SECONDS] [WORKDIR]
set -euo pipefail
secs=${1:-60}
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${2:-$(mktemp -d)}
mkdir -p "$work"
cd "$root"
cc=${FUZZ_CC:-clang}
command -v "$cc" >/dev/null || { echo "fuzz: $cc not found" >&2; exit 1; }
flags=(-g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=c11 -D_GNU_SOURCE -Iinclude -Ilib)
deps_tok=$(pkg-config --cflags --libs libutf8proc libpcre2-8 libzstd libxxhash libcjson)
deps_dd=$(pkg-config --cflags --libs libutf8proc libxxhash libzstd libcjson)

build() {  # name sources... -- libs
  local name=$1; shift
  echo "fuzz: building $name"
  "$cc" "${flags[@]}" "$@" -lpthread -lm -o "$work/$name"
}
build fuzz_tokenizer tests/fuzz/fuzz_tokenizer.c lib/tokenizer/*.c lib/common/*.c $deps_tok
build fuzz_tiktoken tests/fuzz/fuzz_tiktoken.c lib/tokenizer/*.c lib/common/*.c $deps_tok
build fuzz_dedup_index tests/fuzz/fuzz_dedup_index.c lib/dedup/[a-z]*.c lib/common/[a-z]*.c $deps_dd

# Seeds.
mkdir -p "$work/corpus-tok" "$work/corpus-tiktoken" "$work/corpus-dedup"
cp tests/data/tokenizer/*.json "$work/corpus-tok/"
# Shapes that once crashed or blew up: an empty vocabulary, sparse ids, an expanding normalizer.
m='"model": {"type": "BPE", "vocab": '
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
# Index files written by the library itself (the harness patches checksums to go deeper).
if [ -x build/examples/llmdata/llmdata ]; then
  printf '%s\n' '{"text":"one two three four five six"}' '{"text":"One two three four five six!"}' \
    '{"text":"something else entirely here"}' > "$work/docs.jsonl"
  build/examples/llmdata/llmdata dedup -q --index "$work/corpus-dedup/idx" "$work/docs.jsonl" > /dev/null || true
fi
printf 'seed text for minhash' > "$work/corpus-dedup/text"

status=0
run() {  # name max_len
  local name=$1 max_len=$2 corpus=$3 log="$work/$1.log"
  (cd "$work" && "./$name" -max_len="$max_len" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=30 \
     -print_final_stats=1 "$corpus") > "$log" 2>&1 || { status=1; echo "fuzz: $name FAILED:"; tail -40 "$log"; }
  local runs
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
  echo "fuzz: $name: $runs runs in ${secs}s"
}
run fuzz_tokenizer 16384 corpus-tok
run fuzz_tiktoken 8192 corpus-tiktoken
run fuzz_dedup_index 8192 corpus-dedup
exit $status
