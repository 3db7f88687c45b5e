#!/usr/bin/python3
"""Independent Delta log replay, written from delta-io/delta PROTOCOL.md ("Action Reconciliation"),
used by tests/test_delta.c to check llmdata's replay.  Not derived from the C code.

usage: replay_ref.py TABLE_DIR [--latest]   (--latest: only the newest version's entry)
prints one JSON object: {"versions": {"V": {"files": [[path, dv_id], ...], "protocol": {...},
"error": null | "text"}, ...}} for every version V that the JSON commits (from version 0) can
reconstruct.  Only JSON commits are replayed (the protocol makes a checkpoint equal to the replay
of the commits it summarises)."""
import json
import os
import re
import sys
import urllib.parse

COMMIT = re.compile(r"^(\d{20})\.json$")


def canonical_path(raw):
    # Paths are URIs (RFC 2396): relative references or absolute URIs such as file:/a or file:///a.
    parsed = urllib.parse.urlsplit(raw)
    path = raw
    if parsed.scheme == "file":
        path = parsed.path
    return urllib.parse.unquote(path)


def dv_id(dv):
    # "uniqueId": storageType + pathOrInlineDv, plus "@" + offset when an offset is present
    if not dv:
        return None
    uid = dv["storageType"] + dv["pathOrInlineDv"]
    if dv.get("offset") is not None:
        uid += "@" + str(dv["offset"])
    return uid


def main():
    table = sys.argv[1]
    latest_only = "--latest" in sys.argv[2:]
    log = os.path.join(table, "_delta_log")
    versions = sorted(int(m.group(1)) for m in (COMMIT.match(n) for n in os.listdir(log)) if m)
    out = {}
    active = {}
    protocol = metadata = None
    expected = 0
    for v in versions:
        if v != expected:
            break  # a gap: nothing after it is reconstructable from commits alone
        expected += 1
        error = None
        with open(os.path.join(log, "%020d.json" % v), "rb") as f:
            for line in f.read().decode("utf-8").split("\n"):
                if not line.strip():
                    continue
                action = json.loads(line)
                for kind, body in action.items():
                    if kind in ("add", "remove"):
                        key = (canonical_path(body["path"]), dv_id(body.get("deletionVector")))
                        if kind == "add":
                            active[key] = body
                        else:
                            active.pop(key, None)
                    elif kind == "protocol":
                        protocol = body
                    elif kind == "metaData":
                        metadata = body
        if protocol is None:
            error = "no protocol"
        elif metadata is None:
            error = "no metaData"
        elif "schemaString" not in metadata:
            error = "no schemaString"
        elif protocol["minReaderVersion"] > 3:
            error = "reader version"
        elif protocol["minReaderVersion"] == 3:
            supported = {"deletionVectors", "columnMapping", "timestampNtz", "v2Checkpoint", "vacuumProtocolCheck"}
            bad = [f for f in protocol.get("readerFeatures") or [] if f not in supported]
            if bad:
                error = "reader feature " + bad[0]
        if latest_only and v != versions[-1]:
            continue
        out[str(v)] = {
            "files": sorted([k[0], k[1]] for k in active) if error is None else None,
            "error": error,
        }
    json.dump({"versions": out}, sys.stdout)


if __name__ == "__main__":
    main()
