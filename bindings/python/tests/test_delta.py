"""Delta tables from Python: snapshots as dicts (checked against the independent replay
tests/delta/replay_ref.py on the shared real tables and on tables written here), commits,
conflicts, idempotent txn, restore, time travel, vacuum."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

import llmdata

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))
SHARED = os.environ.get("LLMD_SHARED_DIR", "")
TABLES = os.path.join(SHARED, "delta-tables")
SCHEMA = {"type": "struct", "fields": [
    {"name": "id", "type": "long", "nullable": True, "metadata": {}},
    {"name": "text", "type": "string", "nullable": True, "metadata": {}},
    {"name": "day", "type": "string", "nullable": True, "metadata": {}}]}


def reference(path):
    out = subprocess.run([sys.executable, os.path.join(SRC, "delta", "replay_ref.py"), path],
                         check=True, capture_output=True).stdout
    return json.loads(out)["versions"]


class DeltaTest(unittest.TestCase):
    def test_write_read_roundtrip(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t")
            t = llmdata.DeltaTable.create(path, SCHEMA, partition_by=["day"], properties={"team": "x"})
            v1 = t.commit(add=[{"path": "day=1/a.parquet", "size": 10, "partitionValues": {"day": "1"},
                                "stats": {"numRecords": 3, "minValues": {"id": 1}, "maxValues": {"id": 3},
                                          "nullCount": {"id": 0}}}])
            self.assertEqual(v1, 1)
            self.assertEqual(t.commit(add=[{"path": "day=2/b c.parquet", "size": 5, "partitionValues": {"day": "2"}}],
                                      app_id="run", app_version=1), 2)
            self.assertIsNone(t.commit(add=[{"path": "day=3/c.parquet", "size": 5, "partitionValues": {"day": "3"}}],
                                       app_id="run", app_version=1))
            s = t.snapshot()
            self.assertEqual(s.version, 2)
            self.assertEqual(s.metadata["partitionColumns"], ["day"])
            self.assertEqual(s.metadata["configuration"]["team"], "x")
            self.assertEqual(s.schema, SCHEMA)
            byname = {f["path"]: f for f in s.files}
            self.assertEqual(set(byname), {"day=1/a.parquet", "day=2/b c.parquet"})
            self.assertEqual(byname["day=1/a.parquet"]["stats"]["numRecords"], 3)
            self.assertEqual(byname["day=2/b c.parquet"]["partitionValues"], {"day": "2"})
            self.assertEqual(t.commit(remove=["day=1/a.parquet"], operation="DELETE"), 3)
            self.assertEqual(len(t.files()), 1)
            self.assertEqual(len(t.files(1)), 1)
            self.assertEqual(t.restore(2), 4)
            self.assertEqual(len(t.files()), 2)
            h = t.history()
            self.assertEqual([e["commitInfo"]["operation"] for e in h],
                             ["RESTORE", "DELETE", "WRITE", "WRITE", "CREATE TABLE"])
            self.assertEqual(t.snapshot(timestamp_ms=h[2]["timestamp"]).version, 2)
            # the independent replay agrees at every version
            ref = reference(path)
            for v in range(5):
                self.assertEqual(sorted(f["path"] for f in t.files(v)), sorted(f[0] for f in ref[str(v)]["files"]))
            self.assertEqual(t.vacuum(dry_run=True)["count"], 0)
            with self.assertRaises(llmdata.LlmdError) as cm:
                t.vacuum(retention_hours=1)
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_INVALID_ARG")
            t.close()

    def test_two_handles_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t")
            t = llmdata.DeltaTable.create(path, SCHEMA)
            t.commit(add=[{"path": "a.parquet", "size": 1}])
            other = llmdata.DeltaTable(path)
            self.assertEqual(t.commit(properties={"k": "v"}), 2)
            self.assertEqual(other.commit(add=[{"path": "b.parquet", "size": 1}]), 3)
            self.assertEqual(other.snapshot().metadata["configuration"]["k"], "v")
            with self.assertRaises(llmdata.LlmdError) as cm:
                t.commit(remove=["nope.parquet"])
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_NOT_FOUND")
            with self.assertRaises(llmdata.LlmdError) as cm:
                llmdata.DeltaTable.create(path, SCHEMA)
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_CONFLICT")

    def test_append_parquet_and_scan_numpy(self):
        import numpy as np
        rows_pq = os.path.join(SRC, "data", "delta", "rows.parquet")
        score_pq = os.path.join(SRC, "data", "delta", "rows_score.parquet")
        with tempfile.TemporaryDirectory() as d:
            t = llmdata.DeltaTable.create(os.path.join(d, "t"), SCHEMA, partition_by=["day"])
            bad = dict(SCHEMA)
            t.commit(append=[{"source": rows_pq, "partitionValues": {"day": "2024-01-02"}}])
            with self.assertRaises(llmdata.LlmdError) as cm:
                t.commit(append=[{"source": score_pq, "partitionValues": {"day": "x"}}])
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_SCHEMA")
            self.assertIn("'score'", str(cm.exception))
            # the fixture's values (tests/data/delta/README.md)
            stats = t.files()[0]["stats"]
            self.assertEqual(stats, {"numRecords": 3, "minValues": {"id": 1, "text": "hello"},
                                     "maxValues": {"id": 3, "text": "last!!"}, "nullCount": {"id": 0, "text": 1}})
            cols = t.scan()
            self.assertEqual(cols["id"].dtype, np.int64)
            self.assertEqual(sorted(cols["id"].tolist()), [1, 2, 3])
            self.assertEqual(sorted(cols["text"].tolist(), key=str), [None, "hello", "last!!"])
            self.assertEqual(set(cols["day"].tolist()), {"2024-01-02"})
            self.assertEqual(t.commit(append=[{"source": score_pq, "partitionValues": {"day": "x"}, "mergeSchema": True}]), 2)
            cols = t.scan(columns=["id", "score"])
            self.assertEqual(cols["score"].dtype, np.float64)
            got = sorted(zip(cols["id"].tolist(), cols["score"].tolist()))
            self.assertEqual(got[3:], [(10, 0.5), (11, 1.5), (12, -2.0)])
            self.assertTrue(all(np.isnan(v) for _, v in got[:3]))
            rows = t.scan_rows(columns=["id"], where=[("score", ">", 0), ("text", "is not null", None)])
            self.assertEqual(rows, [{"id": 10}])
            del bad

    def test_write_files_one_idempotent_commit(self):
        # DuckDB's 3-row file twice in one commit, the table created from its schema; a rerun of
        # the same (app_id, app_version) writes nothing; the independent replay agrees.
        src = os.path.join(SRC, "data", "parquet", "duckdb_small.parquet")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "t")
            t = llmdata.DeltaTable(path)
            with self.assertRaises(llmdata.NotFoundError):
                t.write_files([src])                       # no log and create=False
            v, tv = t.write_files([src, src], app_id="job", app_version=7, operation="STREAMING UPDATE",
                                  parameters={"outputMode": "Append"}, create=True)
            self.assertEqual((v, tv), (1, 1))              # version 0 creates, version 1 adds
            self.assertEqual(t.write_files([src], app_id="job", app_version=7), (None, 1))
            self.assertEqual(t.write_files([src], app_id="job", app_version=6), (None, 1))
            files = t.files()
            self.assertEqual(len(files), 2)
            self.assertEqual(len({f["path"] for f in files}), 2)
            self.assertEqual([f["stats"]["numRecords"] for f in files], [3, 3])
            self.assertEqual([f["size"] for f in files], [os.path.getsize(src)] * 2)
            info = t.history()[0]["commitInfo"]
            self.assertEqual(info["operation"], "STREAMING UPDATE")
            self.assertEqual(info["operationParameters"], {"outputMode": "Append"})
            self.assertEqual(sorted(f[0] for f in reference(path)["1"]["files"]), sorted(f["path"] for f in files))
            self.assertEqual(t.write_files([src], app_id="job", app_version=8), (2, 2))
            with self.assertRaises(TypeError):
                t.write_files(src)                         # a path, not a list of paths
            with self.assertRaises(OverflowError):
                t.write_files([src], app_id="job", app_version=2 ** 63)
            with self.assertRaises(llmdata.LlmdError):
                t.write_files([os.path.join(d, "missing.parquet")])

    def test_checkpoint_kinds(self):
        # multi-part and V2 (sidecars) checkpoints: read back alone, they give the commits' state
        import shutil
        for props, kw, pattern in (({}, {"parts": 3}, r"^00000000000000000004\.checkpoint\.000000000[123]\.0000000003\.parquet$"),
                                   ({"delta.checkpointPolicy": "v2"}, {"kind": "v2", "part_size": 2},
                                    r"^00000000000000000004\.checkpoint\.[0-9a-f-]{36}\.json$")):
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "t")
                t = llmdata.DeltaTable.create(path, SCHEMA, partition_by=["day"], properties=props)
                for i in range(1, 5):
                    t.commit(add=[{"path": f"day={i}/f{k}.parquet", "size": 10 + k, "partitionValues": {"day": str(i)}}
                                  for k in range(3)])
                self.assertEqual(t.checkpoint(**kw), 4)
                import re
                names = [n for n in os.listdir(os.path.join(path, "_delta_log")) if re.match(pattern, n)]
                self.assertEqual(len(names), 3 if "parts" in kw else 1, os.listdir(os.path.join(path, "_delta_log")))
                if "part_size" in kw:  # 12 adds, 2 per sidecar
                    self.assertEqual(len(os.listdir(os.path.join(path, "_delta_log", "_sidecars"))), 6)
                want = sorted(f["path"] for f in t.files())
                copy = os.path.join(d, "c")
                shutil.copytree(path, copy)
                for v in range(5):
                    os.remove(os.path.join(copy, "_delta_log", "%020d.json" % v))
                self.assertEqual(sorted(f["path"] for f in llmdata.DeltaTable(copy).files()), want)
                self.assertEqual(len(want), 12)
        with tempfile.TemporaryDirectory() as d:
            t = llmdata.DeltaTable.create(os.path.join(d, "t"), SCHEMA)
            with self.assertRaises(llmdata.LlmdError) as cm:
                t.checkpoint(kind="v2")
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_UNSUPPORTED")
            with self.assertRaises(ValueError):
                t.checkpoint(kind="v3")

    @unittest.skipUnless(os.path.isdir(TABLES) or os.environ.get("CI") == "true", "../shared/delta-tables absent")
    def test_real_tables(self):
        self.assertTrue(os.path.isdir(TABLES), "../shared/delta-tables is missing")
        for name in ("simple_table", "delta-0.8.0-partitioned", "checkpoints", "table-with-dv-small"):
            path = os.path.join(TABLES, name)
            ref = reference(path)
            t = llmdata.DeltaTable(path)
            for v, entry in ref.items():
                ours = sorted(f["path"] for f in t.files(int(v)))
                self.assertEqual(ours, sorted(f[0] for f in entry["files"]), f"{name}@{v}")
        with self.assertRaises(llmdata.LlmdError) as cm:
            llmdata.DeltaTable(os.path.join(TABLES, "kernel-golden", "versions-not-contiguous", "delta")).snapshot()
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_CORRUPT")


if __name__ == "__main__":
    unittest.main()
