#!/bin/sh
# Feature store benchmark against pandas merge_asof, same data, same run:
#   point-in-time join of ENTITY_ROWS entity rows with FEATURE_ROWS feature rows (1 view, 4 features;
#   pandas: merge_asof(by="user_id", tolerance=ttl) including its sort of both frames), then online
#   materialize + lookups over the feature rows' keys, and over a view of ONLINE_KEYS distinct keys.
#   The join also runs under a memory limit (MEMORY_LIMIT bytes, default 64 MiB: the source spills).
#   tests/bench/feature_bench.sh BUILD [ENTITY_ROWS] [FEATURE_ROWS] [ONLINE_KEYS] [MEMORY_LIMIT]
#   (defaults 10M, 1M, 1M, 64 MiB)
set -eu
build=${1:?build dir}; ne=${2:-10000000}; nf=${3:-1000000}; nk=${4:-1000000}; ml=${5:-67108864}
bench="$build/tests/bench/bench_feature"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
/usr/bin/python3 - "$T" "$ne" "$nf" "$nk" <<'PY'
import json, sys, time
import numpy as np, pandas as pd
d, ne, nf, nk = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(7)
users = max(nf // 10, 1)
US = 1_000_000
f_user = rng.integers(0, users, nf)
f_ts = rng.integers(0, 90 * 86400, nf) * US
clicks = rng.integers(0, 1000, nf); score = rng.random(nf).astype(np.float32); ratio = rng.random(nf)
active = rng.integers(0, 2, nf).astype(bool)
with open(f"{d}/stats.jsonl", "w") as f:
    for i in range(nf):
        f.write('{"user_id": %d, "event_timestamp": %d, "clicks": %d, "score": %r, "ratio": %r, "active": %s}\n' % (
            f_user[i], f_ts[i], clicks[i], float(score[i]), float(ratio[i]), "true" if active[i] else "false"))
json.dump({"name": "stats", "entities": [{"name": "user", "join_keys": ["user_id"], "value_type": "INT64"}],
           "ttl_seconds": 7 * 86400,
           "schema": [{"name": "clicks", "dtype": "Int64"}, {"name": "score", "dtype": "Float32"},
                      {"name": "ratio", "dtype": "Float64"}, {"name": "active", "dtype": "Bool"}],
           "source": {"path": "stats.jsonl", "timestamp_field": "event_timestamp"}}, open(f"{d}/stats.json", "w"))
# The online view: one row per key, nk keys.
with open(f"{d}/online.jsonl", "w") as f:
    o_ts = rng.integers(0, 90 * 86400, nk) * US
    for i in range(nk):
        f.write('{"user_id": %d, "event_timestamp": %d, "clicks": %d, "score": 0.5, "ratio": 0.25, "active": true}\n' % (
            i, o_ts[i], i % 1000))
json.dump({"name": "online_stats", "entities": [{"name": "user", "join_keys": ["user_id"], "value_type": "INT64"}],
           "schema": [{"name": "clicks", "dtype": "Int64"}, {"name": "score", "dtype": "Float32"},
                      {"name": "ratio", "dtype": "Float64"}, {"name": "active", "dtype": "Bool"}],
           "source": {"path": "online.jsonl", "timestamp_field": "event_timestamp"}}, open(f"{d}/online_stats.json", "w"))
e_user = rng.integers(0, users, ne).astype(np.int64)
e_ts = (rng.integers(0, 90 * 86400, ne) * US).astype(np.int64)
e_user.tofile(f"{d}/keys.i64"); e_ts.tofile(f"{d}/ts.i64")
feat = pd.DataFrame({"user_id": f_user, "event_timestamp": f_ts, "clicks": clicks, "score": score, "ratio": ratio,
                     "active": active})
ent = pd.DataFrame({"user_id": e_user, "event_timestamp": e_ts})
t0, c0 = time.perf_counter(), time.process_time()
# Stable sorts: among feature rows with one key and one time, the later row wins (our tie rule);
# pandas' default quicksort would pick an arbitrary one and the sums below could differ.
r = pd.merge_asof(ent.sort_values("event_timestamp", kind="stable"), feat.sort_values("event_timestamp", kind="stable"), on="event_timestamp",
                  by="user_id", direction="backward", tolerance=7 * 86400 * US)
t, cpu = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"peer": "pandas %s merge_asof incl. sort" % pd.__version__, "entity_rows": ne, "feature_rows": nf,
                  "seconds": round(t, 3), "cpu_seconds": round(cpu, 3), "rows_per_s": round(ne / t), "hits": int(r["clicks"].notna().sum()),
                  "clicks_sum": int(r["clicks"].fillna(0).sum())}))
open(f"{d}/pandas_s", "w").write(str(t))
open(f"{d}/pandas_json", "w").write(json.dumps({"hits": int(r["clicks"].notna().sum()), "clicks_sum": int(r["clicks"].fillna(0).sum())}))
open(f"{d}/pandas_cpu_s", "w").write(str(cpu))
PY
echo "load average before our runs: $(cut -d' ' -f1-3 /proc/loadavg)"
for th in 1 2; do "$bench" "$T" "$T/keys.i64" "$T/ts.i64" "$th" | tee "$T/ours_$th"; done
"$bench" "$T" "$T/keys.i64" "$T/ts.i64" 1 "$ml" | tee "$T/ours_spill"
/usr/bin/python3 - "$T" <<'PY'
import json, sys
d = sys.argv[1]
p = float(open(f"{d}/pandas_s").read())
ref = json.loads(open(f"{d}/pandas_json").read())
pc = float(open(f"{d}/pandas_cpu_s").read())
for th in (1, 2):
    o = json.loads(open(f"{d}/ours_{th}").read())
    same = o["hits"] == ref["hits"] and o["clicks_sum"] == ref["clicks_sum"]
    print(f"{th} thread(s): hits and clicks sum {'equal to' if same else 'DIFFER FROM'} pandas' ({o['hits']}, {o['clicks_sum']})")
    print(f"point-in-time join, {th} thread(s): join alone {o['join_s']:.3f} s = {p / o['join_s']:.1f}x pandas merge_asof "
          f"({p:.3f} s); CPU {o['join_cpu_s']:.3f} s = {pc / o['join_cpu_s']:.1f}x pandas' {pc:.3f} CPU-s, "
          f"{o['join_rows_per_cpu_s'] / 1e6:.1f} M rows per CPU-second; "
          f"with reading + sorting the JSONL source {o['total_s']:.3f} s = {p / o['total_s']:.1f}x")
o = json.loads(open(f"{d}/ours_spill").read())
print(f"bounded memory ({o['memory_limit'] >> 20} MiB limit, {o['spill_bytes'] >> 20} MiB spilled), 1 thread: "
      f"{o['total_s']:.3f} s with reading = {p / o['total_s']:.1f}x pandas merge_asof")
PY
"$bench" --online "$T" 10000000
"$bench" --online "$T" 10000000 online_stats
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
