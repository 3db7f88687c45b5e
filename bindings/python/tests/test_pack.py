"""Tests of llmdata.pack.  Expected packing is computed here in plain Python from the documented
rules (pack.h): greedy = concatenation of ids + [EOS] cut every seq_len tokens, remainder dropped;
best-fit keeps every token once and splits only documents longer than seq_len.  Shard files are
read back with tests/shards/mmidx_reader.py (standard library only, written from Megatron-LM's
MMIDIDX layout) and numpy.load, not with the binding's own loader alone."""
import json
import os
import random
import sys
import tempfile
import unittest

import numpy as np

from llmdata import LlmdError, Packer, ParquetFile, ShardWriter, load_shard, pack_documents, write_shards

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))
sys.path.insert(0, os.path.join(SRC, "shards"))
import mmidx_reader  # noqa: E402


def random_docs(seed, n, max_len):
    r = random.Random(seed)
    return [[r.randrange(1, 1000) for _ in range(r.randrange(0, max_len))] for _ in range(n)]


def greedy_reference(docs, seq_len, eos):
    stream = [t for d in docs for t in d + [eos]]
    full = len(stream) // seq_len
    return [stream[i * seq_len:(i + 1) * seq_len] for i in range(full)], len(stream) - full * seq_len


class PackTest(unittest.TestCase):
    def test_greedy_matches_reference(self):
        docs = random_docs(1, 300, 200)
        arr, wins, st = pack_documents(docs, seq_len=64, eos_id=0)
        want, dropped = greedy_reference(docs, 64, 0)
        self.assertEqual(arr.shape, (len(want), 64))
        self.assertEqual(arr.tolist(), want)
        self.assertEqual(st.dropped_tokens, dropped)
        for w in wins:   # boundaries: segments tile the window, positions restart per segment
            self.assertEqual(int(w.cu_seqlens[0]), 0)
            self.assertEqual(int(w.cu_seqlens[-1]), 64)
            for k in range(len(w.cu_seqlens) - 1):
                a, b = int(w.cu_seqlens[k]), int(w.cu_seqlens[k + 1])
                self.assertEqual(w.position_ids[a:b].tolist(), list(range(b - a)))

    def test_greedy_pad_last_window(self):
        # hand: seq 4, eos 0, pad 9: 1 2 3 0 | 4 0 9 9
        arr, wins, st = pack_documents([[1, 2, 3], [4]], seq_len=4, eos_id=0, pad_id=9)
        self.assertEqual(arr.tolist(), [[1, 2, 3, 0], [4, 0, 9, 9]])
        self.assertEqual(wins[1].cu_seqlens.tolist(), [0, 2])
        self.assertEqual(wins[1].position_ids.tolist(), [0, 1, 0, 1])   # padding restarts too
        self.assertEqual((st.pad_tokens, st.dropped_tokens), (2, 0))

    def test_bos(self):
        arr, _, _ = pack_documents([[5, 6], [7]], seq_len=3, bos_id=1, eos_id=2)
        self.assertEqual(arr.tolist(), [[1, 5, 6], [2, 1, 7]])            # 1 5 6 2 1 7 2 -> 2 windows

    def test_best_fit_keeps_every_token_once(self):
        docs = random_docs(2, 400, 150)
        arr, wins, st = pack_documents(docs, seq_len=64, eos_id=0, pad_id=999, strategy="best-fit", buffer_windows=8)
        self.assertEqual(arr.shape[1], 64)
        got = {}
        for w in wins:
            for k, d in enumerate(w.docs.tolist()):
                a, b = int(w.cu_seqlens[k]), int(w.cu_seqlens[k + 1])
                got.setdefault(d, []).append(w.tokens[a:b].tolist())
            self.assertTrue(all(t == 999 for t in w.tokens[int(w.cu_seqlens[-1]):].tolist()))
        for i, d in enumerate(docs):
            pieces = got.get(i, [])
            self.assertEqual([t for p in pieces for t in p], d + [0], i)   # once, in order
            if len(d) + 1 <= 64:
                self.assertEqual(pieces, [d + [0]], i)          # short documents are never cut
        self.assertEqual(st.docs_truncated, sum(1 for d in docs if len(d) + 1 > 64))
        greedy = pack_documents(docs, seq_len=64, eos_id=0)[2]
        self.assertLess(st.docs_truncated, greedy.docs_truncated)

    def test_errors(self):
        with self.assertRaises(LlmdError):
            Packer(seq_len=0)
        with self.assertRaises(LlmdError):
            Packer(strategy="nope")
        with self.assertRaises(LlmdError) as cm:
            Packer(strategy="best-fit")                       # best-fit pads: pad_id required
        self.assertIn("pad_id", str(cm.exception))
        p = Packer(seq_len=4, vocab_size=10)
        with self.assertRaises(LlmdError) as cm:
            p.add([1, 2, 30])
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_RANGE")
        self.assertIn("id 30", str(cm.exception))


class ShardTest(unittest.TestCase):
    def test_write_and_read_mmidx(self):
        docs = random_docs(3, 200, 300)
        with tempfile.TemporaryDirectory() as d:
            prefix = os.path.join(d, "train")
            st = write_shards(docs, prefix, seq_len=128, eos_id=0, vocab_size=1000, extra={"note": "test"})
            want, dropped = greedy_reference(docs, 128, 0)
            self.assertEqual((st.windows, st.dropped_tokens), (len(want), dropped))
            idx, seqs = mmidx_reader.read_dataset(prefix)      # the independent reader
            self.assertEqual(idx["dtype_code"], 8)             # uint16: vocabulary 1000 fits
            self.assertEqual(seqs, want)
            self.assertEqual(idx["document_indices"], list(range(len(want) + 1)))
            tokens, bounds, man = load_shard(prefix)
            self.assertEqual(tokens.dtype, np.uint16)
            self.assertEqual(tokens.tolist(), want)
            self.assertEqual((man["note"], man["strategy"], man["windows"]), ("test", "greedy", len(want)))
            self.assertEqual(man["pack"]["dropped_tokens"], dropped)
            # boundaries: window starts and document starts in the flattened stream, total at the end
            starts, pos = {0}, 0
            for doc in docs:
                pos += len(doc) + 1
                starts.add(pos)
            n = len(want) * 128
            starts = sorted(s for s in starts | set(range(0, n + 1, 128)) if s <= n)
            self.assertEqual(bounds.tolist(), starts)

    def test_write_and_read_parquet(self):
        docs = random_docs(3, 200, 300)
        with tempfile.TemporaryDirectory() as d:
            prefix = os.path.join(d, "train")
            st = write_shards(docs, prefix, format="parquet", seq_len=128, eos_id=0, extra={"note": "pq"})
            want, dropped = greedy_reference(docs, 128, 0)
            self.assertEqual((st.windows, st.dropped_tokens), (len(want), dropped))
            tokens, bounds, man = load_shard(prefix, checksums=True)
            self.assertEqual((man["format"], man["note"], man["windows"]), ("parquet", "pq", len(want)))
            self.assertEqual(tokens.tolist(), want)
            starts, pos = {0}, 0
            for doc in docs:
                pos += len(doc) + 1
                starts.add(pos)
            n = len(want) * 128
            self.assertEqual(bounds.tolist(), sorted(x for x in starts | set(range(0, n + 1, 128)) if x <= n))
            # document ids / offsets of window 1, computed from the greedy stream by hand
            f = ParquetFile(prefix + "-00000.parquet")
            try:
                ids, offs = f.read_column("document_ids").to_pylist(), f.read_column("document_offsets").to_pylist()
            finally:
                f.close()
            ends, pos = [], 0
            for doc in docs:
                pos += len(doc) + 1
                ends.append(pos)
            for w in range(len(want)):
                t = w * 128
                first = next(i for i, e in enumerate(ends) if e > t)
                self.assertEqual(ids[w][0], first)
                self.assertEqual(offs[w][0], t - (ends[first - 1] if first else 0))
            # several files through Packer(sink=ShardWriter), the same windows
            with ShardWriter(os.path.join(d, "s"), format="parquet", seq_len=128, file_bytes=4000,
                             codec="snappy") as w:
                p = Packer(seq_len=128, eos_id=0, sink=w)
                for doc in docs:
                    p.add(doc)
                p.finish()
                p.close()
                w.finish({})
                names = [x.name for x in w.files]
            self.assertGreater(len(names), 2)
            self.assertEqual(names[-1], "s.manifest.json")
            self.assertEqual(load_shard(os.path.join(d, "s"))[0].tolist(), want)
            with ShardWriter(os.path.join(d, "t"), format="parquet", seq_len=128) as w:
                with self.assertRaises(ValueError):          # document offsets would be lost
                    w.add(pack_documents(docs, seq_len=128, eos_id=0)[1][0])

    def test_npy_best_fit_and_writer(self):
        docs = random_docs(4, 150, 100)
        with tempfile.TemporaryDirectory() as d:
            a = os.path.join(d, "a")
            write_shards(docs, a, format="npy", seq_len=64, eos_id=0, pad_id=1, strategy="best-fit",
                         vocab_size=70000)
            arr = np.load(a + ".npy", mmap_mode="r")
            self.assertEqual(arr.dtype, np.uint32)             # 70000 ids do not fit uint16
            # the same windows through Packer + ShardWriter.add give the same file bytes
            b = os.path.join(d, "b")
            _, wins, _ = pack_documents(docs, seq_len=64, eos_id=0, pad_id=1, strategy="best-fit",
                                        vocab_size=70000)
            with ShardWriter(b, "npy", 64, 70000) as w:
                for win in wins:
                    w.add(win)
                self.assertEqual(w.windows, len(wins))
                w.finish()
            for suffix in (".npy", ".boundaries.npy"):
                with open(a + suffix, "rb") as fa, open(b + suffix, "rb") as fb:
                    self.assertEqual(fa.read(), fb.read(), suffix)
            with open(a + ".manifest.json") as f:
                self.assertEqual(json.load(f)["format"], "npy")

    def test_errors_leave_nothing(self):
        with tempfile.TemporaryDirectory() as d:
            with self.assertRaises(LlmdError) as cm:
                write_shards([[1, 2]], os.path.join(d, "missing", "x"), seq_len=4)
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_IO")
            self.assertIn("missing", str(cm.exception))
            with self.assertRaises(LlmdError) as cm:   # an id beyond the vocabulary mid-stream
                write_shards([[1, 2, 3]] * 50 + [[1, 5000]], os.path.join(d, "v"), seq_len=4, vocab_size=1000)
            self.assertIn("5000", str(cm.exception))
            self.assertEqual(os.listdir(d), [])               # no temporary or final file left
            with self.assertRaises(ValueError):
                ShardWriter(os.path.join(d, "z"), "feather")

    def test_mixed_runs_are_refused_on_load(self):
        # issue 9 item 2: files of two runs must not load as one shard
        with tempfile.TemporaryDirectory() as d:
            a, b = os.path.join(d, "a"), os.path.join(d, "b")
            write_shards([[1, 2, 3]] * 40, a, seq_len=4, eos_id=0, vocab_size=100)
            write_shards([[1, 2, 3]] * 80, b, seq_len=4, eos_id=0, vocab_size=100)
            tokens, _, man = load_shard(a, checksums=True)
            self.assertEqual(tokens.shape, (40, 4))          # 40 docs * 4 tokens / 4
            self.assertEqual([f["name"] for f in man["files"]], ["a.bin", "a.idx", "a.boundaries.npy"])
            # existing outputs: refused unless overwrite=True
            with self.assertRaises(LlmdError) as cm:
                write_shards([[1]], a, seq_len=4, vocab_size=100)
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_CONFLICT")
            os.replace(b + ".bin", a + ".bin")                # a longer .bin from the other run
            with self.assertRaises(LlmdError) as cm:
                load_shard(a)
            self.assertEqual(cm.exception.status_name, "LLMD_ERR_CORRUPT")
            self.assertIn("a.bin", str(cm.exception))

    def test_writer_reports_its_files(self):
        with tempfile.TemporaryDirectory() as d:
            p = os.path.join(d, "part-00000")
            with ShardWriter(p, "mmidx", 4, 100, unique_names=True, run_id="r1") as w:
                for win in pack_documents([[1, 2, 3]] * 3, seq_len=4, eos_id=0)[1]:
                    w.add(win)
                self.assertEqual(w.files, [])
                w.finish()
                files = w.files
                self.assertEqual(w.run_id, "r1")
            self.assertEqual([f.name for f in files],
                             ["part-00000-r1.bin", "part-00000-r1.idx", "part-00000-r1.boundaries.npy",
                              "part-00000-r1.manifest.json"])
            for f in files:
                self.assertEqual(os.path.getsize(os.path.join(d, f.name)), f.bytes)
            self.assertEqual(sorted(os.listdir(d)), sorted(f.name for f in files))


if __name__ == "__main__":
    unittest.main()
