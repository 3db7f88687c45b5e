#!/usr/bin/python3
"""Independent check of the checkpoints in a Delta table, written from delta-io/delta PROTOCOL.md
("Checkpoints", "V2 Spec", "Checkpoint Naming Scheme", "Sidecar File Information", "Last
Checkpoint File Schema") and Spark's hash partitioning; Parquet files are read by DuckDB
(tests/delta/duck_rows.mjs), JSON ones here.  Not derived from the C code.

usage: checkpoint_ref.py TABLE_DIR
For every checkpoint in _delta_log (classic, multi-part with all parts, UUID-named V2 with its
sidecars): the state it holds (active files (path, dv id), protocol, metaData, txn versions) must
equal the replay of the JSON commits 0..v; multi-part parts must be clustered by Spark's
Pmod(Murmur3(path, 42), parts); V2 ones must hold exactly one checkpointMetadata {version: v},
sidecars only add/remove; no checkpoint holds commitInfo; _last_checkpoint must describe the newest
checkpoint.  Prints {"checked": [names], "errors": [...]} and exits 1 when there is an error."""
import json
import os
import re
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay_ref import canonical_path, dv_id  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
M = 0xFFFFFFFF


# ---- Spark's Murmur3_x86_32.hashUnsafeBytes (trailing bytes one by one, sign-extended) ----------
def _rotl(x, r):
    return ((x << r) | (x >> (32 - r))) & M


def _mix_k1(k):
    return (_rotl((k * 0xCC9E2D51) & M, 15) * 0x1B873593) & M


def _mix_h1(h, k):
    return (_rotl(h ^ k, 13) * 5 + 0xE6546B64) & M


def spark_hash_bytes(b, seed):
    h = seed & M
    aligned = len(b) - len(b) % 4
    for i in range(0, aligned, 4):
        h = _mix_h1(h, _mix_k1(struct.unpack("<I", b[i:i + 4])[0]))
    for i in range(aligned, len(b)):
        h = _mix_h1(h, _mix_k1(struct.unpack("<b", b[i:i + 1])[0] & M))
    h ^= len(b)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & M
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & M
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def spark_hash_int(v, seed):
    return spark_hash_bytes(struct.pack("<i", v), seed)


# Spark SQL's documented example: SELECT hash('Spark', array(123), 2) = -1321691492
assert spark_hash_int(2, spark_hash_int(123, spark_hash_bytes(b"Spark", 42))) == -1321691492


def spark_partition(path, dv, parts):
    h = 42
    if path is not None:
        h = spark_hash_bytes(path.encode("utf-8"), h)
        if dv is not None:
            h = spark_hash_bytes(dv.encode("utf-8"), h)
    return h % parts  # Python's % is Spark's pmod for a positive modulus


# ---- reading ----------------------------------------------------------------------------------
def parquet_rows(path):
    out = subprocess.run(["node", os.path.join(HERE, "duck_rows.mjs"), path], check=True, capture_output=True)
    return [json.loads(line) for line in out.stdout.decode("utf-8").splitlines() if line]


def json_rows(path):
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().decode("utf-8").split("\n") if line.strip()]


def actions_of(rows):
    """(kind, body) for every non-null action column of every row."""
    for row in rows:
        for kind, body in row.items():
            if body is not None:
                yield kind, body


def replay_commits(log, upto):
    files, protocol, metadata, txns = {}, None, None, {}
    for v in range(upto + 1):
        for kind, body in actions_of(json_rows(os.path.join(log, "%020d.json" % v))):
            if kind in ("add", "remove"):
                key = (canonical_path(body["path"]), dv_id(body.get("deletionVector")))
                if kind == "add":
                    files[key] = body
                else:
                    files.pop(key, None)
            elif kind == "protocol":
                protocol = body
            elif kind == "metaData":
                metadata = body
            elif kind == "txn":
                txns[body["appId"]] = body["version"]
    return {"files": sorted(files), "protocol": protocol, "metaData": metadata, "txns": txns}


def norm_protocol(p):
    return {k: sorted(p[k]) if isinstance(p.get(k), list) else p.get(k)
            for k in ("minReaderVersion", "minWriterVersion", "readerFeatures", "writerFeatures") if p.get(k) is not None}


def norm_metadata(m):
    return {k: m.get(k) or ({} if k == "configuration" else None)
            for k in ("id", "schemaString", "partitionColumns", "configuration")}


def state_of(actions, errors, name):
    files, protocol, metadata, txns = {}, [], [], {}
    for kind, body in actions:
        if kind == "add":
            files[(canonical_path(body["path"]), dv_id(body.get("deletionVector")))] = body
            if body.get("dataChange") is not False:
                errors.append("%s: add %s with dataChange not false" % (name, body["path"]))
        elif kind == "protocol":
            protocol.append(body)
        elif kind == "metaData":
            metadata.append(body)
        elif kind == "txn":
            txns[body["appId"]] = body["version"]
        elif kind in ("commitInfo", "cdc"):
            errors.append("%s: holds a %s action" % (name, kind))
    if len(protocol) != 1 or len(metadata) != 1:
        errors.append("%s: %d protocol and %d metaData actions" % (name, len(protocol), len(metadata)))
        return None
    return {"files": sorted(files), "protocol": protocol[0], "metaData": metadata[0], "txns": txns}


CLASSIC = re.compile(r"^(\d{20})\.checkpoint\.parquet$")
PART = re.compile(r"^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$")
SIDECAR_PART = re.compile(r"^\d{20}\.checkpoint\.(\d{10})\.(\d{10})\.[0-9a-f-]{36}\.parquet$")
UUIDNAMED = re.compile(r"^(\d{20})\.checkpoint\.([0-9a-f-]{36})\.(json|parquet)$")


def check_checkpoint(log, name, version, files, errors, dv_table):
    """files: the checkpoint's files (several for a multi-part one)."""
    actions = []
    v2 = UUIDNAMED.match(name)
    for f in files:
        rows = json_rows(os.path.join(log, f)) if f.endswith(".json") else parquet_rows(os.path.join(log, f))
        m = PART.match(f)
        for kind, body in actions_of(rows):
            actions.append((kind, body))
            if m and kind in ("add", "remove"):
                parts, part = int(m.group(3)), int(m.group(2))
                dv = dv_id(body.get("deletionVector")) if dv_table else None
                want = spark_partition(body["path"], dv, parts) + 1
                if want != part:
                    errors.append("%s: %s %s belongs in part %d" % (f, kind, body["path"], want))
    metas = [b for k, b in actions if k == "checkpointMetadata"]
    sidecars = [b for k, b in actions if k == "sidecar"]
    if v2:
        if len(metas) != 1 or metas[0].get("version") != version:
            errors.append("%s: checkpointMetadata %r (want exactly one with version %d)" % (name, metas, version))
        inline = [k for k, _ in actions if k in ("add", "remove")]
        if inline and sidecars:
            errors.append("%s: file actions both inline and in sidecars" % name)
        for sc in sidecars:
            p = os.path.join(log, "_sidecars", sc["path"])
            if not os.path.exists(p):
                errors.append("%s: sidecar %s missing" % (name, sc["path"]))
                continue
            if os.path.getsize(p) != sc["sizeInBytes"]:
                errors.append("%s: sidecar %s sizeInBytes %s, file has %d" % (name, sc["path"], sc["sizeInBytes"], os.path.getsize(p)))
            clustered = SIDECAR_PART.match(sc["path"])  # Spark's names: v.checkpoint.o.p.UUID.parquet
            for kind, body in actions_of(parquet_rows(p)):
                if kind not in ("add", "remove"):
                    errors.append("%s: sidecar %s holds a %s action" % (name, sc["path"], kind))
                elif clustered:
                    parts, part = int(clustered.group(2)), int(clustered.group(1))
                    dv = dv_id(body.get("deletionVector")) if dv_table else None
                    if spark_partition(body["path"], dv, parts) + 1 != part:
                        errors.append("%s: sidecar %s: %s is not in its hash part" % (name, sc["path"], body["path"]))
                actions.append((kind, body))
    elif metas or sidecars:
        errors.append("%s: V2 actions in a %s checkpoint" % (name, "multi-part" if PART.match(files[0]) else "V1"))
    got = state_of(actions, errors, name)
    want = replay_commits(log, version)
    if got is None:
        return
    if got["files"] != want["files"]:
        errors.append("%s: files %r, the commits give %r" % (name, got["files"], want["files"]))
    if norm_protocol(got["protocol"]) != norm_protocol(want["protocol"]):
        errors.append("%s: protocol %r, the commits give %r" % (name, got["protocol"], want["protocol"]))
    if norm_metadata(got["metaData"]) != norm_metadata(want["metaData"]):
        errors.append("%s: metaData %r, the commits give %r" % (name, got["metaData"], want["metaData"]))
    if got["txns"] != want["txns"]:
        errors.append("%s: txns %r, the commits give %r" % (name, got["txns"], want["txns"]))


def main():
    log = os.path.join(sys.argv[1], "_delta_log")
    names = sorted(os.listdir(log))
    errors, checked = [], []
    groups = {}  # name -> (version, files)
    for n in names:
        m = CLASSIC.match(n) or UUIDNAMED.match(n)
        if m:
            groups[n] = (int(m.group(1)), [n])
        m = PART.match(n)
        if m:
            key = "%s.checkpoint.*.%s.parquet" % (m.group(1), m.group(3))
            groups.setdefault(key, (int(m.group(1)), []))[1].append(n)
    newest = None
    for name, (version, files) in sorted(groups.items(), key=lambda kv: kv[1][0]):
        m = PART.match(files[0])
        if m and len(files) != int(m.group(3)):
            continue  # incomplete multi-part checkpoint: readers ignore it
        protocol = replay_commits(log, version)["protocol"] or {}
        dv_table = "deletionVectors" in (protocol.get("readerFeatures") or [])
        check_checkpoint(log, name, version, files, errors, dv_table)
        checked.append(name)
        newest = (version, name, files)
    lc_path = os.path.join(log, "_last_checkpoint")
    if newest and os.path.exists(lc_path):
        with open(lc_path) as f:
            lc = json.load(f)
        version, name, files = newest
        if lc.get("version") != version:
            errors.append("_last_checkpoint version %r, newest checkpoint %d" % (lc.get("version"), version))
        m = PART.match(files[0])
        if m and lc.get("parts") != int(m.group(3)):
            errors.append("_last_checkpoint parts %r, checkpoint has %s" % (lc.get("parts"), m.group(3)))
        if not m and "parts" in lc:
            errors.append("_last_checkpoint has parts for a single-file checkpoint")
        if UUIDNAMED.match(name):
            v2 = lc.get("v2Checkpoint") or {}
            if v2.get("path") != name or v2.get("sizeInBytes") != os.path.getsize(os.path.join(log, name)):
                errors.append("_last_checkpoint v2Checkpoint %r does not describe %s" % (v2, name))
    json.dump({"checked": checked, "errors": errors}, sys.stdout)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
