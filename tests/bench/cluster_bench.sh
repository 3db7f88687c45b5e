#!/bin/sh
# Cluster-mode `llmdata dedup` (the default: whole-corpus clusters, exact verification) against
# --streaming (one pass) end to end, same input, same run; and peak memory per million documents.
#   tests/bench/cluster_bench.sh BUILD_DIR [CORPUS.jsonl] [N_SMALL_DOCS]
# CORPUS defaults to /work/corpus/corpus.jsonl, else the shared corpus built once with
# ../shared/corpus/make_corpus.sh into ${XDG_CACHE_HOME:-~/.cache}/llmdata-corpus.
# 1. docs/s and MB/s of both modes on the corpus (best of 3, one signature thread), and the
#    ratio cluster / streaming.
# 2. max RSS (GNU time) of both modes on N_SMALL_DOCS (default 200000) short documents (30-60
#    random corpus words, every 10th a one-word edit of one of the first 5000) and on a
#    tenth of them: (RSS(N) - RSS(N/10)) / (0.9 N) * 1e6 is the memory per million documents.
set -eu
BUILD=${1:?usage: cluster_bench.sh BUILD_DIR [CORPUS.jsonl] [N_SMALL_DOCS]}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
CORPUS=${2:-}
NS=${3:-200000}
if [ -z "$CORPUS" ]; then
  if [ -f /work/corpus/corpus.jsonl ]; then
    CORPUS=/work/corpus/corpus.jsonl
  else
    cache=${XDG_CACHE_HOME:-$HOME/.cache}/llmdata-corpus
    if [ ! -f "$cache/corpus.jsonl" ]; then
      maker="$root/../shared/corpus/make_corpus.sh"
      [ -f "$maker" ] || { echo "cluster_bench: no corpus given and no $maker" >&2; exit 2; }
      bash "$maker" "$cache" >&2
    fi
    CORPUS=$cache/corpus.jsonl
  fi
fi
L="$BUILD/examples/llmdata/llmdata"
[ -x "$L" ] || { echo "cluster_bench: $L not built" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "cluster_bench: needs GNU time (/usr/bin/time)" >&2; exit 2; }
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
bytes=$(wc -c < "$CORPUS" | tr -d ' ')
docs=$(grep -c . "$CORPUS" || true)
echo "corpus: $CORPUS ($docs docs, $bytes bytes)"

# Wall time on a shared machine is noisy: the best of 3 runs is taken, and CPU time (user + sys,
# the whole process) is printed beside it; the ratio uses CPU time.
best() {  # "wall cpu" of the best (lowest CPU) of 3 runs of: llmdata dedup ARGS INPUT
  b=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -o "$W/t" "$L" dedup -q "$@" > /dev/null
    b=$(awk -v b="$b" '{ c = $2 + $3; split(b, o, " ") } END {
      if (b == "" || c < o[2]) print $1, c; else print b }' "$W/t")
  done
  echo "$b"
}
tc=$(best "$CORPUS")
ts=$(best --streaming "$CORPUS")
awk -v d="$docs" -v by="$bytes" -v c="$tc" -v s="$ts" 'BEGIN {
  split(c, x, " "); split(s, y, " ")
  printf "cluster (default, exact verify): wall %.2f s, CPU %.2f s: %.0f docs/s, %.1f MB/s (CPU)\n", x[1], x[2], d / x[2], by / 1e6 / x[2]
  printf "streaming:                       wall %.2f s, CPU %.2f s: %.0f docs/s, %.1f MB/s (CPU)\n", y[1], y[2], d / y[2], by / 1e6 / y[2]
  printf "ratio cluster / streaming throughput (CPU): %.2f\n", y[2] / x[2] }'

# 2. memory per million documents
/usr/bin/python3 - "$CORPUS" "$W/small.jsonl" "$NS" <<'PY'
import json, random, sys
rng = random.Random(3)
words = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        words.extend(json.loads(line)["text"].split())
        if len(words) > 3_000_000:
            break
n = int(sys.argv[3])
out = open(sys.argv[2], "w", encoding="utf-8")
vocab = list(set(words))
docs = []
for i in range(n):
    if i % 10 == 9 and docs:
        t = rng.choice(docs).split()
        t[rng.randrange(len(t))] = "edited"
        text = " ".join(t)
    else:
        # random words: unrelated to each other (only the edited copies are near duplicates)
        text = " ".join(rng.choice(vocab) for _ in range(rng.randint(30, 60)))
        if len(docs) < 5000:
            docs.append(text)
    out.write(json.dumps({"id": i, "text": text}, ensure_ascii=False) + "\n")
PY
head -n $((NS / 10)) "$W/small.jsonl" > "$W/tenth.jsonl"
sbytes=$(wc -c < "$W/small.jsonl" | tr -d ' ')
for mode in cluster streaming; do
  flag=""; [ "$mode" = streaming ] && flag=--streaming
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S %M" -o "$W/t1" "$L" dedup $flag "$W/small.jsonl" 2> "$W/sum" > /dev/null
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S %M" -o "$W/t2" "$L" dedup -q $flag "$W/tenth.jsonl" > /dev/null
  awk -v m="$mode" -v n="$NS" -v by="$sbytes" -v a="$(cat "$W/t1")" -v b="$(cat "$W/t2")" 'BEGIN {
    split(a, x, " "); split(b, y, " "); c = x[2] + x[3]
    printf "%-9s %d short docs: wall %.2f s, CPU %.2f s (%.0f docs/s, %.1f MB/s CPU), max RSS %.1f MB; per million docs %.0f MB\n",
      m, n, x[1], c, n / c, by / 1e6 / c, x[4] / 1024, (x[4] - y[4]) / 1024 / (0.9 * n) * 1e6 }'
  [ "$mode" = cluster ] && sed 's/.*dups/  summary: dups/' "$W/sum"
done
