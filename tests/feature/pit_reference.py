#!/usr/bin/python3
"""Point-in-time join checked against an independent reference: pandas merge_asof.

Random feature rows with many ties (event times drawn from a few values, created times with ties and
gaps), a composite key (int + string), a single int64 key (the join's integer fast path) with
fixed-width values of several types, ttls, three views, nulls; random entity rows in random order.
The join runs twice: in memory and under a tiny memory limit (the source spills to disk).
The reference sorts each view's rows by (event time, created time with missing first, source order)
and asks merge_asof(by=keys, direction="backward", tolerance=ttl, allow_exact_matches=True) for the
last row at or before each entity time -- Feast's rule.  `llmdata feature get-historical` must give
the same value for every entity row and feature.

Usage: pit_reference.py LLMDATA_CLI [SEED]   (exit 77 = skipped: pandas missing outside CI)
"""
import json, os, random, subprocess, sys, tempfile

try:
    import pandas as pd
except ImportError:
    print("pit_reference: pandas not installed (Debian python3-pandas)")
    sys.exit(1 if os.environ.get("CI") == "true" else 77)

cli = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rng = random.Random(seed)
US = 1_000_000
d = tempfile.mkdtemp(prefix="llmd_pit_")

KEYS = {"va": ["uid", "site"], "vb": ["uid", "site"], "vc": ["uid"]}
FEATS = {"va": ["v", "s"], "vb": ["v", "s"], "vc": ["v", "f", "b", "s"]}

def write_view(name, ttl, n_rows, with_created):
    rows = []
    for i in range(n_rows):
        r = {"uid": rng.randrange(12), "site": rng.choice(["a", "b", "c"]),
             "t": rng.choice([10, 20, 20, 30, 40, 40, 40, 55]) * US + rng.choice([0, 0, 0, 7]),
             "v": rng.randrange(1000) if rng.random() > 0.1 else None,
             "s": rng.choice(["x", "yy", "zzz", None])}
        if name == "vc":
            del r["site"]
            r["uid"] = rng.randrange(-3, 400) * 1_000_003   # negative and sparse ids, ~15 rows each
            r["f"] = rng.choice([None, 0.5, -1.25, 3.0 + i])
            r["b"] = rng.choice([None, True, False])
        if with_created:
            r["c"] = rng.choice([None, 1, 2, 2, 3]) if rng.random() > 0.2 else None
            if r["c"] is not None:
                r["c"] *= US
        rows.append(r)
    with open(os.path.join(d, name + ".jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    src = {"path": name + ".jsonl", "timestamp_field": "t"}
    if with_created:
        src["created_timestamp_column"] = "c"
    dtypes = {"v": "Int64", "s": "String", "f": "Float64", "b": "Bool"}
    definition = {"name": name, "entities": [{"name": "e", "join_keys": KEYS[name]}],
                  "schema": [{"name": f, "dtype": dtypes[f]} for f in FEATS[name]], "source": src}
    if ttl:
        definition["ttl_seconds"] = ttl
    with open(os.path.join(d, name + ".json"), "w") as f:
        json.dump(definition, f)
    return rows

views = {"va": (write_view("va", 15, 400, True), 15), "vb": (write_view("vb", 0, 300, False), 0),
         "vc": (write_view("vc", 25, 6000, True), 25)}   # >= 4096 rows: the radix sort of the source
entities = [{"uid": rng.randrange(14), "site": rng.choice(["a", "b", "c"]),
             "event_timestamp": rng.choice([5, 10, 20, 25, 30, 40, 45, 55, 70, 90]) * US + rng.choice([0, 0, 7, 8]),
             "row": i} for i in range(2000)]
for e in entities[::2]:
    e["uid"] = rng.randrange(-4, 401) * 1_000_003   # vc's ids (and misses); va/vb mostly miss these
rng.shuffle(entities)

inp = "".join(json.dumps(e) + "\n" for e in entities)
features = ",".join(f"{v}:{f}" for v in views for f in FEATS[v])

def run_join(extra):
    out = subprocess.run([cli, "feature", "get-historical", "--repo", d, "--full-feature-names", "-q",
                          "--features", features] + extra, input=inp.encode(), capture_output=True)
    if out.returncode != 0:
        print(out.stderr.decode())
        sys.exit(1)
    rows = [json.loads(l) for l in out.stdout.decode().splitlines()]
    assert len(rows) == len(entities), (len(rows), len(entities))
    return rows

got = run_join([])
spilled = run_join(["--memory-limit", "8K"])
if spilled != got:
    print("pit_reference: the spilled join (--memory-limit 8K) differs from the in-memory one")
    sys.exit(1)

ent = pd.DataFrame(entities)
bad = 0
for name, (rows, ttl) in views.items():
    df = pd.DataFrame(rows)
    df["order"] = range(len(df))
    if "c" not in df:
        df["c"] = None
    df["c_sort"] = df["c"].fillna(-2**62)                     # missing created sorts first
    df = df.sort_values(["t", "c_sort", "order"], kind="mergesort")
    kw = {"tolerance": ttl * US} if ttl else {}
    ref = pd.merge_asof(ent.sort_values("event_timestamp", kind="mergesort"), df,
                        left_on="event_timestamp", right_on="t", by=KEYS[name],
                        direction="backward", allow_exact_matches=True, **kw).set_index("row")
    for g, e in zip(got, entities):
        r = ref.loc[e["row"]]
        for feat in FEATS[name]:
            want = r[feat]
            want = None if (want is None or (isinstance(want, float) and want != want)) else want
            if feat == "v" and want is not None:
                want = int(want)
            elif feat == "b" and want is not None:
                want = bool(want)
            elif feat == "f" and want is not None:
                want = float(want)
            have = g[f"{name}__{feat}"]
            if have != want:
                bad += 1
                if bad <= 5:
                    print(f"row {e}: {name}:{feat} = {have!r}, merge_asof says {want!r}")
hits = {v: sum(g[f"{v}__v"] is not None for g in got) for v in views}
print(f"pit_reference: {len(entities)} entity rows x {len(features.split(','))} features, in memory and "
      f"spilled, {bad} differences (seed {seed}; non-null v per view {hits})")
if min(hits.values()) < 100:
    print("pit_reference: too few matches to test anything")
    bad += 1
sys.exit(1 if bad else 0)
