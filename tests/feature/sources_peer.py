#!/usr/bin/python3
"""Feature sources in Parquet and Delta, and Parquet entity rows in and out, checked with DuckDB.

The same random feature rows (every dtype: Int64, Float32, Float64, String, Bytes, Bool,
Array(Float32); a composite int + string key; many equal event times; created times; nulls) are
given to three repos: a JSONL file, a Parquet file written by DuckDB (the independent writer:
TIMESTAMP event times, TIMESTAMP_MS created times, FLOAT[] embeddings, BLOBs, several row groups),
and a Delta table (`llmdata delta create/append` of DuckDB-written files: version 1 holds the first
half of the rows, version 2 all).  `llmdata feature get-historical` must give identical rows for all
three; a view pinned to {"version": 1} must give what the JSONL of the first half gives (and differ
from the latest), and the CLI must name the Delta version it read.

Then `--entities FILE.parquet -o OUT.parquet` (entities written by DuckDB): DuckDB reads OUT.parquet
and every row -- entity columns passed through, features, nulls -- must equal the JSONL output for
the same entity rows, in input order.  Finally the join under a tiny --memory-limit (spilled to
disk) must give the same output and leave no temp files, also when it fails.

Usage: sources_peer.py LLMDATA_CLI [SEED]   (exit 77 = skipped: node/DuckDB peer missing outside CI)
"""
import base64, json, os, random, shutil, struct, subprocess, sys, tempfile

cli = sys.argv[1]
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
here = os.path.dirname(os.path.abspath(__file__))
ci = os.environ.get("CI") == "true"
if shutil.which("node") is None or not os.path.isdir(os.path.join(here, "..", "parquet", "peer", "node_modules", "@duckdb")):
    print("sources_peer: node or the DuckDB peer is missing (bash tests/parquet/fetch_peers.sh)")
    sys.exit(1 if ci else 77)

rng = random.Random(seed)
US = 1_000_000
d = tempfile.mkdtemp(prefix="llmd_fsrc_")


def duck(*sql):
    out = subprocess.run(["node", os.path.join(here, "duckdb_sql.mjs"), *sql], capture_output=True, cwd=d)
    if out.returncode != 0:
        sys.exit("duckdb failed: " + out.stderr.decode())
    return [json.loads(l) for l in out.stdout.decode().splitlines()]


def run(args, inp=None, env=None, ok=True):
    out = subprocess.run([cli, *args], input=inp, capture_output=True, cwd=d, env=env)
    if ok and out.returncode != 0:
        sys.exit(f"{' '.join(args)} failed: {out.stderr.decode()}")
    return out


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def row(i):
    null = lambda v, p=0.12: None if rng.random() < p else v
    return {"uid": rng.randrange(10), "site": rng.choice(["a", "bb", "ccc"]),
            "t": rng.choice([10, 20, 20, 30, 40, 40, 55]) * US + rng.choice([0, 0, 7]),
            "c": null(rng.choice([1, 2, 2, 3]) * 1000, 0.25),           # whole ms: TIMESTAMP_MS keeps them
            "i": null(rng.randrange(-10**12, 10**12)), "f": null(rng.randrange(-400, 400) / 4),
            "g": null(rng.randrange(-10**6, 10**6) / 8), "s": null(rng.choice(["x", "yy", "", "Grüße"])),
            "b": null(base64.b64encode(bytes(rng.randrange(256) for _ in range(rng.randrange(4)))).decode()),
            "ok": null(rng.random() < 0.5), "emb": null([rng.randrange(-64, 64) / 8 for _ in range(3)]),
            "n": i}


rows = [row(i) for i in range(600)]
half = rows[:300]
schema = [{"name": "i", "dtype": "Int64"}, {"name": "f", "dtype": "Float32"}, {"name": "g", "dtype": "Float64"},
          {"name": "s", "dtype": "String"}, {"name": "b", "dtype": "Bytes"}, {"name": "ok", "dtype": "Bool"},
          {"name": "emb", "dtype": "Array(Float32)", "length": 3}]
feats = ",".join("v:" + f["name"] for f in schema)


def write_jsonl(path, rs):
    with open(path, "w") as fh:
        for r in rs:
            fh.write(json.dumps(r) + "\n")


def repo(name, source):
    p = os.path.join(d, name)
    os.makedirs(p)
    src = {"timestamp_field": "t", "created_timestamp_column": "c", **source}
    with open(os.path.join(p, "v.json"), "w") as fh:
        json.dump({"name": "v", "entities": [{"name": "e", "join_keys": ["uid", "site"]}], "ttl_seconds": 25,
                   "schema": schema, "source": src}, fh)
    return p


write_jsonl(os.path.join(d, "all.jsonl"), rows)
write_jsonl(os.path.join(d, "half.jsonl"), half)
write_jsonl(os.path.join(d, "rest.jsonl"), rows[300:])
cols = ("{uid: 'BIGINT', site: 'VARCHAR', t: 'BIGINT', c: 'BIGINT', i: 'BIGINT', f: 'DOUBLE', g: 'DOUBLE', "
        "s: 'VARCHAR', b: 'VARCHAR', ok: 'BOOLEAN', emb: 'DOUBLE[]', n: 'BIGINT'}")
select = ("SELECT uid, site, make_timestamp(t) AS t, epoch_ms(c // 1000)::TIMESTAMP_MS AS c, i, f::FLOAT AS f, "
          "g, s, from_base64(b) AS b, ok, emb::FLOAT[] AS emb, n FROM read_json('SRC', columns = " + cols + ") ORDER BY n")
for name in ("all", "half", "rest"):
    duck(f"COPY ({select.replace('SRC', name + '.jsonl')}) TO '{name}.parquet' (FORMAT PARQUET, ROW_GROUP_SIZE 64)",
         "SELECT 1")
run(["delta", "create", "tbl", "--like", "half.parquet"])
run(["delta", "append", "tbl", "half.parquet"])
run(["delta", "append", "tbl", "rest.parquet"])

repos = {"jsonl": repo("r_jsonl", {"path": "../all.jsonl"}), "parquet": repo("r_parquet", {"path": "../all.parquet"}),
         "delta": repo("r_delta", {"path": "../tbl"}), "jsonl_half": repo("r_half", {"path": "../half.jsonl"}),
         "delta_v1": repo("r_delta_v1", {"path": "../tbl", "version": 1})}

entities = [{"uid": rng.randrange(11), "site": rng.choice(["a", "bb", "ccc"]),
             "event_timestamp": rng.choice([5, 10, 20, 30, 35, 40, 55, 70, 90]) * US + rng.choice([0, 7, 8]),
             "row": k} for k in range(1500)]
rng.shuffle(entities)
ent_text = "".join(json.dumps(e) + "\n" for e in entities).encode()
write_jsonl(os.path.join(d, "entities.jsonl"), entities)

fail = 0


def check(cond, msg):
    global fail
    if not cond:
        fail += 1
        print("FAIL:", msg)


def historical(r, extra=(), inp=ent_text, env=None):
    out = run(["feature", "get-historical", "--repo", r, "--features", feats, *extra], inp=inp, env=env)
    return [json.loads(l) for l in out.stdout.decode().splitlines()], out.stderr.decode()


res = {k: historical(p) for k, p in repos.items()}
base = res["jsonl"][0]
check(len(base) == len(entities), "row count")
hits = sum(1 for g in base if g["i"] is not None)
check(hits > 200 and len(base) - hits > 100, f"the data should give hits and misses ({hits} hits)")
for k in ("parquet", "delta"):
    diff = [i for i, (a, b) in enumerate(zip(base, res[k][0])) if a != b]
    check(not diff and len(res[k][0]) == len(base),
          f"{k} source differs from JSONL at {len(diff)} rows, e.g. {diff[:1] and (base[diff[0]], res[k][0][diff[0]])}")
diff = [i for i, (a, b) in enumerate(zip(res["jsonl_half"][0], res["delta_v1"][0])) if a != b]
check(not diff, f"Delta version 1 differs from the first half's JSONL at {len(diff)} rows")
check(res["delta_v1"][0] != res["delta"][0], "the version pin must return the old rows")
check("read at Delta version 2" in res["delta"][1], "CLI names the latest Delta version: " + res["delta"][1])
check("read at Delta version 1" in res["delta_v1"][1], "CLI names the pinned Delta version: " + res["delta_v1"][1])

# apply records the Delta version it validated.
run(["feature", "apply", "--repo", repos["delta_v1"]])
reg = json.load(open(os.path.join(repos["delta_v1"], "registry.json")))
check(reg["views"][0].get("delta_version") == 1, f"registry.json: {reg}")

# Online: materialize from each source, then the same lookups give the same values and statuses
# (as of t = 50 s: present / null / unknown key; as of one hour: every known key outside the ttl).
online = {}
for k in ("jsonl", "parquet", "delta"):
    run(["feature", "materialize", "--repo", repos[k], "1970-01-01T00:00:00Z", "1970-01-01T00:01:00Z"])
    online[k] = [run(["feature", "get-online", "--repo", repos[k], "--features", feats, "--with-status",
                      "--now", now], inp=ent_text).stdout.decode().splitlines()
                 for now in ("1970-01-01T00:00:50Z", "1970-01-01T01:00:00Z")]
check(len(online["jsonl"][0]) == len(entities) and online["parquet"] == online["jsonl"] and
      online["delta"] == online["jsonl"], "online lookups differ between JSONL, Parquet and Delta sources")
statuses = [set(v for l in lines for v in json.loads(l)["_status"].values()) for lines in online["jsonl"]]
check(statuses[0] == {"PRESENT", "NULL_VALUE", "NOT_FOUND"} and statuses[1] == {"OUTSIDE_MAX_AGE", "NOT_FOUND"},
      f"online statuses: {statuses}")

# Clear errors: a wrong embedding length, a missing column, a version the log does not have.
def fails(name, source, fields, want):
    r = repo(name, source)
    if fields:
        with open(os.path.join(r, "v.json")) as fh:
            definition = json.load(fh)
        definition["schema"] = fields
        with open(os.path.join(r, "v.json"), "w") as fh:
            json.dump(definition, fh)
    out = run(["feature", "get-historical", "--repo", r, "--features", "v:" + (fields or schema)[0]["name"]],
              inp=ent_text, ok=False)
    check(out.returncode != 0 and all(w in out.stderr.decode() for w in want),
          f"{name}: expected an error naming {want}, got: {out.stderr.decode()}")


fails("e_len", {"path": "../all.parquet"}, [{"name": "emb", "dtype": "Array(Float32)", "length": 4}],
      ["all.parquet", "emb", "length 4"])
fails("e_col", {"path": "../all.parquet"}, [{"name": "nope", "dtype": "Int64"}], ["all.parquet", "\"nope\""])
fails("e_type", {"path": "../all.parquet"}, [{"name": "s", "dtype": "Int64"}], ["feature \"s\"", "string"])
fails("e_ver", {"path": "../tbl", "version": 9}, None, ["tbl"])

# ---- Parquet entity rows in, Parquet out, read back by DuckDB ---------------------------------
duck("COPY (SELECT uid, site, make_timestamp(event_timestamp) AS event_timestamp, \"row\" FROM read_json("
     "'entities.jsonl', columns = {uid: 'BIGINT', site: 'VARCHAR', event_timestamp: 'BIGINT', \"row\": 'BIGINT'})) "
     "TO 'entities.parquet' (FORMAT PARQUET, ROW_GROUP_SIZE 500)", "SELECT 1")
for name, r in (("jsonl", repos["jsonl"]), ("delta", repos["delta"])):
    run(["feature", "get-historical", "--repo", r, "--features", feats, "--entities", "entities.parquet",
         "-o", f"out_{name}.parquet"])
    back = duck(f"SELECT uid, site, epoch_us(event_timestamp) AS event_timestamp, \"row\", i, f, g, s, "
                f"to_base64(b) AS b, ok, emb FROM read_parquet('out_{name}.parquet')")
    check(len(back) == len(base), f"Parquet output has {len(back)} rows, not {len(base)}")
    bad = 0
    for got, want in zip(back, base):
        w = dict(want)
        if w["f"] is not None:
            w["f"] = f32(w["f"])
        if w["emb"] is not None:
            w["emb"] = [f32(x) for x in w["emb"]]
        if got != w:
            bad += 1
            if bad <= 3:
                print("parquet out:", got, "\n jsonl out:", w)
    check(bad == 0, f"{name}: {bad} Parquet output rows differ from the JSONL output")

# Parquet entity rows, JSONL out: the entity columns rendered as JSON (TIMESTAMP as ISO 8601 UTC).
out = run(["feature", "get-historical", "--repo", repos["jsonl"], "--features", feats, "--entities", "entities.parquet"])
lines = [json.loads(l) for l in out.stdout.decode().splitlines()]
iso = lambda us: "%s.%06dZ" % (__import__("datetime").datetime.utcfromtimestamp(us // US).strftime("%Y-%m-%dT%H:%M:%S"), us % US)
check(lines == [dict(w, event_timestamp=iso(w["event_timestamp"])) for w in base],
      "Parquet entity rows with JSONL output differ from the JSONL run")

# ---- spilling: a tiny memory limit, the same answer, no temp files left ------------------------
tmp = os.path.join(d, "tmp")
os.makedirs(tmp)
env = dict(os.environ, TMPDIR=tmp)
for k in ("jsonl", "parquet"):
    got, err = historical(repos[k], ["--memory-limit", "64K", "--threads", "2"], env=env)
    check(got == base, f"{k}: spilled join differs from the in-memory one")
    check("spilled" in err, f"{k}: the 64 KiB limit should force a spill: {err}")
    check(os.listdir(tmp) == [], f"{k}: temp files left behind: {os.listdir(tmp)}")
bad_repo = repo("r_bad", {"path": "bad.jsonl"})
write_jsonl(os.path.join(bad_repo, "bad.jsonl"), rows + [{"uid": 1, "site": "a", "t": "not a time"}])
out = run(["feature", "get-historical", "--repo", bad_repo, "--features", feats, "--memory-limit", "64K"],
          inp=ent_text, env=env, ok=False)
check(out.returncode != 0 and b"bad.jsonl:601" in out.stderr, "a bad source row fails, naming file and line: " +
      out.stderr.decode())
check(os.listdir(tmp) == [], f"temp files left behind after an error: {os.listdir(tmp)}")

print(f"sources_peer: {len(entities)} entity rows x {len(schema)} features over JSONL, Parquet and Delta "
      f"sources, Parquet in/out, spilling: {fail} failures (seed {seed})")
if fail == 0:
    shutil.rmtree(d)
sys.exit(1 if fail else 0)
