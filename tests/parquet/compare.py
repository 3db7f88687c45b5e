"""Compares two canonical JSON-lines dumps of a Parquet file (tests/parquet/pq_tool dump and
tests/parquet/peer_dump.mjs): every row, every value.  Exits 1 naming the first difference.

    compare.py OURS PEER [--peer NAME]
    compare.py --batch LIST      (LIST: lines "ours<TAB>peer<TAB>name"; a missing peer dump with a
                                  PEER.err beside it counts as a failure; prints a count)

The one allowance: a peer that holds timestamps or times at microsecond precision (DuckDB's
TIMESTAMP/TIMESTAMPTZ/TIME) reports them as "ts~us:<micros>" / "t~us:<micros>"; our nanosecond value
must then truncate (toward zero, as DuckDB converts) to the same microsecond.  A reader without a
UUID type (arrow-rs) gives its 16 bytes as binary, compared byte for byte."""
import json
import sys


def same(a, b):
    if isinstance(b, str) and (b.startswith("ts~us:") or b.startswith("t~us:")):
        if not isinstance(a, str) or ":" not in a:
            return False
        kind, ns = a.split(":", 1)
        if kind not in ("ts", "t") or not b.startswith(kind + "~us:"):
            return False
        n = int(ns)
        trunc = abs(n) // 1000 * (1 if n >= 0 else -1)
        return trunc == int(b.split(":", 1)[1])
    if isinstance(a, str) and isinstance(b, str) and a.startswith("u:") and b.startswith("x:"):
        return a[2:].replace("-", "") == b[2:]   # a reader without a UUID type gives the 16 bytes
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, bool) != isinstance(b, bool):
        return False
    return a == b


def compare_files(ours, peer, name):
    """Returns an error message or None."""
    try:
        with open(ours, encoding="utf-8") as f:
            a = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        return f"{ours}: cannot read our dump: {e}"
    try:
        with open(peer + ".err", encoding="utf-8") as f:
            return f"{name} could not read the file: {f.read()[:400]}"
    except OSError:
        pass
    try:
        with open(peer, encoding="utf-8") as f:
            b = [json.loads(line) for line in f if line.strip()]
    except (OSError, ValueError) as e:
        return f"{peer}: cannot read the {name} dump: {e}"
    if len(a) != len(b):
        return f"{ours}: {len(a)} rows, {name} reads {len(b)}"
    for i, (x, y) in enumerate(zip(a, b)):
        if not same(x, y):
            for k, (u, v) in enumerate(zip(x, y)):
                if not same(u, v):
                    return f"{ours}: row {i} column {k}: ours {json.dumps(u)[:300]} != {name} {json.dumps(v)[:300]}"
            return f"{ours}: row {i}: ours {json.dumps(x)[:300]} != {name} {json.dumps(y)[:300]}"
    return None


def main():
    if sys.argv[1] == "--batch":
        failed = total = 0
        with open(sys.argv[2], encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    continue
                ours, peer, name = line.rstrip("\n").split("\t")
                total += 1
                err = compare_files(ours, peer, name)
                if err:
                    failed += 1
                    print("FAIL:", err)
        print(f"compared {total} dumps, {failed} differ")
        return 1 if failed else 0
    ours, peer = sys.argv[1], sys.argv[2]
    name = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--peer" else "peer"
    err = compare_files(ours, peer, name)
    if err:
        print(err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
