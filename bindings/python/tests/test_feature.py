"""Feature store from Python: the seed's point-in-time example (user_001 on Jan 15 and on Mar 01
gets different values), DataFrames in and out, online lookups with statuses, pickling, errors.
Expected values are worked by hand from the rows below."""
import json
import os
import pickle
import subprocess
import tempfile
import unittest

import numpy as np

import llmdata

VIEW = {"name": "user_features", "entities": [{"name": "user", "join_keys": ["user_id"]}],
        "ttl_seconds": 7 * 86400,
        "schema": [{"name": "total_conversations", "dtype": "Int64"},
                   {"name": "avg_response_rating", "dtype": "Float32"},
                   {"name": "preferred_language", "dtype": "String"},
                   {"name": "user_embedding", "dtype": "Array(Float32)", "length": 2}],
        "source": {"path": "users.jsonl", "timestamp_field": "event_timestamp",
                   "created_timestamp_column": "created"}}
ROWS = [
    {"user_id": "user_001", "event_timestamp": "2025-01-14T00:00:00Z", "created": "2025-01-14T01:00:00Z",
     "total_conversations": 10, "avg_response_rating": 4.5, "preferred_language": "en", "user_embedding": [1, 2]},
    {"user_id": "user_001", "event_timestamp": "2025-02-28T12:00:00Z", "created": "2025-02-28T13:00:00Z",
     "total_conversations": 500, "avg_response_rating": 3.25, "preferred_language": "fr", "user_embedding": [3, 4]},
    {"user_id": "user_002", "event_timestamp": "2025-01-15T11:30:00Z", "total_conversations": 7,
     "avg_response_rating": None, "preferred_language": "de", "user_embedding": [5, 6]},
]
ENTITIES = {"user_id": ["user_001", "user_002", "user_003", "user_001"],
            "event_timestamp": ["2025-01-15 10:00:00", "2025-01-15 11:30:00", "2025-02-01 09:00:00",
                                "2025-03-01 14:00:00"]}
FEATURES = ["user_features:total_conversations", "user_features:avg_response_rating",
            "user_features:preferred_language", "user_features:user_embedding"]


class FeatureTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="llmd_feature_py_")
        with open(os.path.join(self.dir, "user_features.json"), "w") as f:
            json.dump(VIEW, f)
        with open(os.path.join(self.dir, "users.jsonl"), "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in ROWS))
        self.repo = llmdata.FeatureRepo(self.dir)

    def tearDown(self):
        self.repo.close()

    def test_point_in_time_seed_example(self):
        self.repo.apply()
        self.assertTrue(os.path.exists(os.path.join(self.dir, "registry.json")))
        out = self.repo.get_historical_features(ENTITIES, FEATURES)
        tc = out["total_conversations"]
        self.assertEqual(tc.tolist(), [10, 7, None, 500])          # user_003 has no row: null
        self.assertEqual(out["preferred_language"].tolist(), ["en", "de", None, "fr"])
        rating = out["avg_response_rating"]
        self.assertEqual(rating.mask.tolist(), [False, True, True, False])   # user_002's value is null
        self.assertAlmostEqual(float(rating[3]), 3.25)
        self.assertEqual(out["user_embedding"].dtype, np.float32)
        self.assertEqual(out["user_embedding"][3].tolist(), [3.0, 4.0])

    def test_dataframe_in_and_out(self):
        import pandas as pd
        df = pd.DataFrame({"user_id": ENTITIES["user_id"],
                           "event_timestamp": pd.to_datetime(ENTITIES["event_timestamp"]),
                           "label": [1, 0, 1, 0]})
        res = self.repo.get_historical_features(df, FEATURES[:1], full_feature_names=True)
        self.assertEqual(list(res.columns), ["user_id", "event_timestamp", "label",
                                             "user_features__total_conversations"])
        self.assertEqual(res["user_features__total_conversations"].iloc[0], 10)
        self.assertTrue(np.isnan(res["user_features__total_conversations"].iloc[2]))
        # Epoch microseconds are accepted as timestamps too.
        us = [llmdata.parse_timestamp(t) for t in ENTITIES["event_timestamp"]]
        out = self.repo.get_historical_features({"user_id": ENTITIES["user_id"], "event_timestamp": us}, FEATURES[:1])
        self.assertEqual(out["total_conversations"].tolist(), [10, 7, None, 500])

    def test_online_materialize_and_lookup(self):
        stats = self.repo.materialize("2025-01-01", "2025-02-01")
        self.assertEqual(stats[0]["keys"], 2)
        snap = self.repo.online("user_features")
        values, status = snap.get({"user_id": ["user_001", "ghost"]}, ["total_conversations"], now=0)
        self.assertEqual(values["total_conversations"].tolist(), [10, None])
        self.assertEqual(status.tolist(), [[llmdata.PRESENT], [llmdata.MISSING]])
        _, status = snap.get({"user_id": ["user_001"]}, ["total_conversations"], now="2025-02-01T00:00:00Z")
        self.assertEqual(status.tolist(), [[llmdata.OUTSIDE_TTL]])
        self.repo.materialize_incremental("2025-04-01")
        values, _ = self.repo.online("user_features").get({"user_id": ["user_001"]}, now=0)
        self.assertEqual(values["total_conversations"].tolist(), [500])
        # The snapshot opened before keeps what it had (readers never see a mix).
        values, _ = snap.get({"user_id": ["user_001"]}, now=0)
        self.assertEqual(values["total_conversations"].tolist(), [10])

    def test_pickles_by_path(self):
        self.repo.materialize("2025-01-01", "2025-04-01")
        repo2 = pickle.loads(pickle.dumps(self.repo))
        self.assertEqual(repo2.views, ["user_features"])
        snap = pickle.loads(pickle.dumps(self.repo.online("user_features")))
        self.assertEqual(len(snap), 2)

    def test_errors(self):
        with self.assertRaises(llmdata.LlmdError) as cm:
            self.repo.get_historical_features(ENTITIES, ["nope:x"])
        self.assertIn("no view", str(cm.exception))
        with self.assertRaises(KeyError):
            self.repo.get_historical_features({"event_timestamp": ["2025-01-01"]}, FEATURES[:1])
        with self.assertRaises(TypeError):
            self.repo.get_historical_features(ENTITIES, "user_features:total_conversations")
        with self.assertRaises(llmdata.LlmdError):
            self.repo.get_historical_features({"user_id": ["a"], "event_timestamp": ["2025-02-30"]}, FEATURES[:1])
        with self.assertRaises(llmdata.LlmdError):
            llmdata.FeatureRepo("/nonexistent/repo")

    def test_delta_source_version_pin_and_spill(self):
        # The seed rows as Parquet files in a Delta table: version 1 holds user_001's January row,
        # version 2 adds the rest.  Worked by hand: pinned at version 1, user_001 on Mar 01 has no
        # row within the 7-day ttl (null); the latest version gives 500 as from JSONL.
        parts = []
        for i, rows in enumerate((ROWS[:1], ROWS[1:])):
            path = os.path.join(self.dir, f"part{i}.parquet")
            us = lambda t: np.array([llmdata.parse_timestamp(r[t]) if r.get(t) else 0 for r in rows], "datetime64[us]")
            llmdata.write_parquet(path, {
                "user_id": [r["user_id"] for r in rows], "event_timestamp": us("event_timestamp"),
                "created": np.ma.masked_array(us("created"), [r.get("created") is None for r in rows]),
                "total_conversations": np.array([r["total_conversations"] for r in rows], np.int64),
                "avg_response_rating": np.ma.masked_invalid(np.array(
                    [np.nan if r["avg_response_rating"] is None else r["avg_response_rating"] for r in rows], np.float32)),
                "preferred_language": [r["preferred_language"] for r in rows],
                "user_embedding": llmdata.ListColumn(np.arange(len(rows) + 1, dtype=np.int32) * 2,
                                                     np.array([x for r in rows for x in r["user_embedding"]], np.float32))})
            parts.append(path)
        table = os.path.join(self.dir, "users_delta")
        # The table is made with the llmdata CLI (delta create --like / append), as users do.
        cli = os.path.join(os.environ.get("LLMD_BUILD_ROOT", ""), "examples", "llmdata", "llmdata")
        if not os.path.exists(cli):
            if os.environ.get("CI") == "true":
                self.fail(f"{cli} not found (LLMD_BUILD_ROOT)")
            self.skipTest("the llmdata CLI is not built (LLMD_BUILD_ROOT)")
        for args in (["create", table, "--like", parts[1]], ["append", table, parts[0]],
                     ["append", table, parts[1]]):
            subprocess.run([cli, "delta", *args], check=True, capture_output=True)
        for version, want in ((1, [10, None, None, None]), (None, [10, 7, None, 500])):
            view = dict(VIEW, source=dict(VIEW["source"], path="users_delta"))
            if version is not None:
                view["source"]["version"] = version
            with open(os.path.join(self.dir, "user_features.json"), "w") as f:
                json.dump(view, f)
            repo = llmdata.FeatureRepo(self.dir)
            out = repo.get_historical_features(ENTITIES, FEATURES, memory_limit=0 if version else 1)
            self.assertEqual(out["total_conversations"].tolist(), want)
            self.assertEqual(out.source_versions, {"user_features": version or 2})
            self.assertEqual(out.spill_bytes > 0, version is None)   # a 1-byte limit spills (3 rows)
            import pandas as pd
            df = repo.get_historical_features(pd.DataFrame(ENTITIES), FEATURES)
            self.assertEqual(df.attrs["source_versions"], {"user_features": version or 2})
            repo.close()


if __name__ == "__main__":
    unittest.main()
