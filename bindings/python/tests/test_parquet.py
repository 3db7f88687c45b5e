"""Tests of llmdata.parquet.  Expectations are the arrays written (round trips) and, for the
DuckDB-written fixture tests/data/parquet/duckdb_small.parquet, the rows DuckDB itself reads from it
(see tests/cli/test_parquet.sh for the statement that wrote it)."""
import decimal
import os
import tempfile
import unittest

import numpy as np

import llmdata
from llmdata import ListColumn, LlmdError, ParquetFile, write_parquet

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))


class ParquetTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.dir.name, "t.parquet")

    def tearDown(self):
        self.dir.cleanup()

    def test_roundtrip_numpy(self):
        rng = np.random.default_rng(7)
        n = 5000
        lengths = rng.integers(0, 50, n)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(lengths, out=offsets[1:])
        tokens = rng.integers(0, 50257, int(offsets[-1])).astype(np.int32)
        ids = np.arange(n, dtype=np.int64) * 3 - 7
        score = rng.standard_normal(n).astype(np.float32)
        masked = np.ma.masked_array(rng.integers(-100, 100, n).astype(np.int16), mask=(np.arange(n) % 7 == 0))
        flags = rng.integers(0, 2, n).astype(bool)
        texts = [None if i % 11 == 0 else f"doc {i} ünï" for i in range(n)]
        when = (np.arange(n, dtype=np.int64) * 1_000_003).astype("datetime64[us]")
        for codec in ("zstd", "snappy", "gzip", "lz4_raw", "uncompressed"):
            write_parquet(self.path, {"input_ids": ListColumn(offsets, tokens), "id": ids, "score": score,
                                      "small": masked, "flag": flags, "text": texts, "when": when},
                          codec=codec, row_group_bytes=64 << 10, metadata={"source": "test"})
            with ParquetFile(self.path) as f:
                self.assertEqual(f.num_rows, n)
                self.assertGreater(f.num_row_groups, 1)
                self.assertEqual(f.metadata["source"], "test")
                self.assertEqual(f.schema[0], ("input_ids", "list", False))
                self.assertEqual(f.schema[3], ("small", "int16", True))
                col = f.read_column("input_ids")
                np.testing.assert_array_equal(col.offsets, offsets)
                np.testing.assert_array_equal(col.values, tokens)
                self.assertEqual(col.values.dtype, np.int32)
                np.testing.assert_array_equal(f.read_column("id").values, ids)
                np.testing.assert_array_equal(f.read_column("score").values, score)
                sm = f.read_column("small")
                np.testing.assert_array_equal(sm.validity, ~masked.mask)
                np.testing.assert_array_equal(sm.values[~masked.mask], masked.compressed())
                np.testing.assert_array_equal(f.read_column("flag").values, flags)
                self.assertEqual(f.read_column("text").to_pylist(), texts)
                np.testing.assert_array_equal(f.read_column("when").values, when.view(np.int64))
                first = f.read_column("input_ids", row_group=0)
                self.assertEqual(first.values[first.offsets[0]:first.offsets[1]].tolist(),
                                 tokens[offsets[0]:offsets[1]].tolist())

    def test_duckdb_written_file(self):
        with ParquetFile(os.path.join(SRC, "data", "parquet", "duckdb_small.parquet")) as f:
            self.assertEqual(f.num_rows, 3)
            self.assertEqual([s[0] for s in f.schema], ["id", "name", "score", "tags", "d", "ts", "amount", "st"])
            self.assertEqual(f.read_column("id").values.tolist(), [1, 2, 3])
            self.assertEqual(f.read_column("name").to_pylist(), ["alpha", None, 'gamma "q"'])
            tags = f.read_column("tags")                    # list<string>: offsets into a string Column
            self.assertEqual(tags.offsets.tolist(), [0, 2, 2, 2])
            self.assertEqual(tags.values.kind, "string")
            self.assertEqual(tags.to_pylist(), [["x", "y"], [], None])
            st = f.read_column("st")
            self.assertEqual(st.kind, "struct")
            self.assertEqual(st.values["k"].values[0], 7)
            self.assertEqual(st.to_pylist(), [{"k": 7}, None, {"k": None}])
            d = f.read_column("d")
            self.assertEqual(d.values[:2].tolist(), [19782, -1])   # 2024-02-29, 1969-12-31 as days
            self.assertEqual(d.validity.tolist(), [True, True, False])
            ts = f.read_column("ts")
            self.assertEqual(int(ts.values[0]), 1709210096789000)   # 2024-02-29 12:34:56.789 in micros
            amount = f.read_column("amount")
            self.assertEqual(int.from_bytes(amount.values[0].tobytes(), "little", signed=True), 1234)
            self.assertEqual(int.from_bytes(amount.values[1].tobytes(), "little", signed=True), -5)

    def test_duckdb_nested_columns(self):
        # tests/data/parquet/duckdb_nested.parquet, written by DuckDB 1.5.6:
        #   COPY (SELECT * FROM (VALUES
        #    (1, ['a','bé',NULL], MAP {'x': 1, 'y': NULL}, {'k': 7, 's': 'one', 'l': [1,2]}, [[1,2],[],NULL,[3]],
        #     [{'p': 1.5, 'q': 'u'}]),
        #    (2, [], MAP {}, {'k': NULL, 's': NULL, 'l': []}, [], []),
        #    (3, NULL, NULL, NULL, NULL, NULL),
        #    (4, ['', 'last'], MAP {'z': -5}, {'k': -1, 's': '東京', 'l': NULL}, [[4]], [NULL, {'p': NULL, 'q': 'w'}])
        #   ) t(id, tags, m, st, ll, ls)) TO '...' (FORMAT parquet, COMPRESSION zstd)
        # expected: DuckDB's own reading of the file (SELECT to_json(t) FROM read_parquet(...) t)
        with ParquetFile(os.path.join(SRC, "data", "parquet", "duckdb_nested.parquet")) as f:
            self.assertEqual(f.read_column("tags").to_pylist(), [["a", "bé", None], [], None, ["", "last"]])
            m = f.read_column("m")
            self.assertEqual(m.kind, "map")
            self.assertEqual(m.offsets.tolist(), [0, 2, 2, 2, 3])
            self.assertEqual(m.values["key"].to_pylist(), ["x", "y", "z"])
            self.assertEqual(m.values["value"].values.tolist()[0], 1)
            self.assertEqual(m.values["value"].validity.tolist(), [True, False, True])
            self.assertEqual(m.to_pylist(), [[("x", 1), ("y", None)], [], None, [("z", -5)]])
            self.assertEqual(f.read_column("st").to_pylist(),
                             [{"k": 7, "s": "one", "l": [1, 2]}, {"k": None, "s": None, "l": []}, None,
                              {"k": -1, "s": "東京", "l": None}])
            ll = f.read_column("ll")
            self.assertEqual(ll.kind, "list")
            self.assertEqual(ll.values.values.tolist(), [1, 2, 3, 4])      # the innermost int32s, numpy
            self.assertEqual(ll.to_pylist(), [[[1, 2], [], None, [3]], [], None, [[4]]])
            self.assertEqual(f.read_column("ls").to_pylist(),
                             [[{"p": decimal.Decimal("1.5"), "q": "u"}], [], None, [None, {"p": None, "q": "w"}]])

    def test_duckdb_nested_row_groups(self):
        # tests/data/parquet/duckdb_nested_groups.parquet, DuckDB 1.5.6, three row groups:
        #   COPY (SELECT i AS id,
        #     CASE WHEN i % 5 = 0 THEN NULL ELSE list_transform(range(i % 4), x -> 's' || (i + x)) END AS tags,
        #     MAP {'k' || i: i} AS m, {'a': i, 'b': CASE WHEN i % 2 = 0 THEN NULL ELSE 'v' || i END} AS st
        #   FROM range(5000) t(i)) TO '...' (FORMAT parquet, ROW_GROUP_SIZE 2048)
        # expected: that SQL's values, computed here
        n = 5000
        with ParquetFile(os.path.join(SRC, "data", "parquet", "duckdb_nested_groups.parquet")) as f:
            self.assertEqual(f.num_row_groups, 3)
            tags = f.read_column("tags")                  # concatenated over the row groups
            self.assertEqual(tags.to_pylist(),
                             [None if i % 5 == 0 else ["s%d" % (i + x) for x in range(i % 4)] for i in range(n)])
            self.assertEqual(len(tags.offsets), n + 1)
            self.assertEqual(f.read_column("m").to_pylist(), [[("k%d" % i, i)] for i in range(n)])
            st = f.read_column("st")
            self.assertEqual(st.values["a"].values.tolist(), list(range(n)))
            self.assertEqual(st.to_pylist(), [{"a": i, "b": None if i % 2 == 0 else "v%d" % i} for i in range(n)])
            g1 = f.read_column("tags", row_group=1)
            self.assertEqual(g1.to_pylist()[:2], [[], ["s2049"]])   # rows 2048 (2048 % 4 == 0: empty) and 2049

    def test_errors(self):
        with self.assertRaises(LlmdError) as e:
            ParquetFile(os.path.join(self.dir.name, "missing.parquet"))
        self.assertEqual(e.exception.status_name, "LLMD_ERR_NOT_FOUND")
        with open(self.path, "wb") as f:
            f.write(b"PAR1 not really")
        with self.assertRaises(LlmdError) as e:
            ParquetFile(self.path)
        self.assertIn("Parquet", str(e.exception))
        with self.assertRaises(LlmdError):
            write_parquet(self.path, {"x": np.arange(3)}, codec="lzma")
        write_parquet(self.path, {"x": np.arange(3, dtype=np.int32)})
        with ParquetFile(self.path) as f, self.assertRaises(LlmdError):
            f.read_column("nope")


if __name__ == "__main__":
    unittest.main()
