"""Memory safety and value checks at the binding boundary (issue 9 items 4, 9, 10; issue 10's
Python seams).  Without the fixes these tests crash the interpreter (use after free) or see
silently wrapped integers."""
import ctypes
import os
import tempfile
import threading
import time
import unittest

import numpy as np

import llmdata
from llmdata import LlmdError
from llmdata._lib import Handle, c_int, int_array

SRC = os.environ.get("LLMD_TEST_SRCDIR", os.path.join(os.path.dirname(__file__), "..", "..", "..", "tests"))
ROOT = os.path.abspath(os.path.join(SRC, ".."))
GPT2 = os.path.join(ROOT, "examples", "data", "gpt2-tokenizer.json")


class CloseWhileInFlightTest(unittest.TestCase):
    def test_tokenizer_close_during_encode_batch(self):
        texts = ["Hello world! café %d, the quick brown fox jumps over the lazy dog. " % i * 8 for i in range(400)]
        ref = llmdata.Tokenizer(GPT2)
        want_ids, want_offs = ref.encode_batch(texts, threads=2)
        t0 = time.perf_counter()
        ref.encode_batch(texts, threads=2)
        once = time.perf_counter() - t0
        ref.close()
        # Enough copies that the call runs ~1 s, so close() lands while it is in flight.
        reps = max(1, int(1.0 / max(once, 1e-4)))
        big = texts * reps
        tok = llmdata.Tokenizer(GPT2)
        result, errors, started = {}, [], threading.Event()

        def work():
            try:
                started.set()
                result["v"] = tok.encode_batch(big, threads=2)
            except BaseException as e:  # noqa: B902
                errors.append(e)

        th = threading.Thread(target=work)
        th.start()
        started.wait()
        deadline = time.monotonic() + 60
        while tok._calls_in_flight == 0 and th.is_alive() and time.monotonic() < deadline:
            time.sleep(0.001)            # until the C call has begun (the texts are converted first)
        time.sleep(0.1 * once * reps)    # well inside the ~1 s call
        in_flight = tok._calls_in_flight > 0
        tok.close()                      # must not free the tokenizer under the running call
        self.assertTrue(tok.closed)
        with self.assertRaises(ValueError):
            tok.encode("x")              # new calls see a closed tokenizer at once
        th.join()
        self.assertEqual(errors, [])
        ids, offs = result["v"]
        n = len(texts)
        for k in (0, reps - 1):          # the first and last copies are intact
            a, b = int(offs[k * n]), int(offs[(k + 1) * n])
            np.testing.assert_array_equal(ids[a:b], want_ids)
        self.assertTrue(in_flight, "the call had already returned: the test proved nothing")
        self.assertTrue(tok._freed)      # freed by the call on its way out

    def test_redactor_closed_from_its_own_validator(self):
        calls = []

        def validator(match):
            calls.append(match)
            r.close()                    # in flight for certain: we are inside the C call
            return True

        r = llmdata.Redactor(types="none", rules=[("WORD", r"\bzz\d\b", validator)])
        text = " ".join("zz%d" % (i % 10) for i in range(50))
        red, spans = r.redact(text)
        self.assertEqual(len(spans), 50)
        self.assertEqual(red, " ".join(["[WORD]"] * 50))
        self.assertEqual(len(calls), 50)
        with self.assertRaises(ValueError):
            r.redact("zz1")
        with self.assertRaises(ValueError):
            r.redact_batch(["zz1"])

    def test_packer_keeps_its_shard_writer_alive(self):
        with tempfile.TemporaryDirectory() as d:
            w = llmdata.ShardWriter(os.path.join(d, "s"), "npy", 4, 100)
            p = llmdata.Packer(seq_len=4, eos_id=0, _sink=w)
            p.add([1, 2, 3])
            w.close()                    # the writer's handle stays alive for the packer
            self.assertTrue(w.closed)
            with self.assertRaises(ValueError) as cm:
                p.add([4, 5, 6])
            self.assertIn("ShardWriter", str(cm.exception))
            with self.assertRaises(ValueError):
                p.finish()
            with self.assertRaises(ValueError):
                w.add(llmdata.PackedWindow(np.zeros(4, np.uint32), np.array([0, 4], np.uint32),
                                           np.arange(4, dtype=np.uint32), np.zeros(1, np.int64)))
            self.assertFalse(w._freed)                       # pinned by the packer
            p.close()
            self.assertTrue(w._freed)                        # released with the packer
            self.assertEqual(os.listdir(d), [])              # an unfinished writer leaves no file

    def test_every_handle_owner_uses_the_base(self):
        for cls in (llmdata.Tokenizer, llmdata.Redactor, llmdata.MinHasher, llmdata.LshIndex, llmdata.ExactSet,
                    llmdata.LineDedup, llmdata.Packer, llmdata.ShardWriter, llmdata.JsonlReader, llmdata.Pipeline,
                    llmdata.QualityFilter, llmdata.LanguageId, llmdata.ParquetFile, llmdata.DeltaTable,
                    llmdata.FeatureRepo, llmdata.OnlineSnapshot, llmdata.UnionFind, llmdata.DedupClusters,
                    llmdata.JsonDoc, llmdata.PipelineOutput):
            self.assertTrue(issubclass(cls, Handle), cls.__name__)
        h = llmdata.MinHasher()
        h.close()
        h.close()                        # idempotent
        with self.assertRaises(ValueError):
            h.signature("x")


class IntegerBoundaryTest(unittest.TestCase):
    def test_packer_ids(self):
        p = llmdata.Packer(seq_len=4)
        with self.assertRaises(TypeError):
            p.add([-1, 1.5, 2, 3])       # used to give [4294967295, 1, 2, 3]
        with self.assertRaises(OverflowError):
            p.add([-1, 2, 3])
        with self.assertRaises(OverflowError):
            p.add([2 ** 32, 2])
        with self.assertRaises(OverflowError):
            p.add(np.array([2 ** 40], np.int64))
        with self.assertRaises(TypeError):
            p.add(np.array([1.0, 2.0]))
        with self.assertRaises(TypeError):
            p.add(["1"])
        w = p.add([1, 2, 3, 4]) + p.add(np.array([5], np.int64)) + p.add([]) + p.finish()
        self.assertEqual(w[0].tokens.tolist(), [1, 2, 3, 4])
        p.close()
        for kw in ({"seq_len": 2 ** 32}, {"seq_len": -1}, {"eos_id": -5}, {"eos_id": 2 ** 32},
                   {"buffer_windows": 2 ** 32}, {"vocab_size": -1}):
            with self.assertRaises(OverflowError, msg=str(kw)):
                llmdata.Packer(**kw)
        for kw in ({"seq_len": 4.0}, {"eos_id": 1.5}, {"seq_len": True}, {"seq_len": "4"}):
            with self.assertRaises(TypeError, msg=str(kw)):
                llmdata.Packer(**kw)

    def test_tokenizer_ids(self):
        tok = llmdata.Tokenizer(GPT2)
        self.assertTrue(tok.is_special(50256))
        self.assertTrue(tok.is_special(np.uint32(50256)))
        with self.assertRaises(OverflowError):
            tok.is_special(2 ** 32 + 50256)   # used to be True (wrapped to 50256)
        with self.assertRaises(OverflowError):
            tok.is_special(-1)
        with self.assertRaises(TypeError):
            tok.is_special(50256.0)
        with self.assertRaises(OverflowError):
            tok.id_to_token(2 ** 32 + 15496)
        with self.assertRaises(OverflowError):
            tok.decode([2 ** 32 + 15496])
        with self.assertRaises(TypeError):
            tok.decode([15496.0])
        with self.assertRaises(OverflowError):
            tok.encode_batch(["a"], threads=-1)
        self.assertEqual(tok.decode(np.array([15496, 995], np.int64)), "Hello world")
        tok.close()

    def test_dedup_values(self):
        with self.assertRaises(OverflowError):
            llmdata.MinHasher(num_perm=-1)
        with self.assertRaises(OverflowError):
            llmdata.MinHasher(seed=2 ** 64)
        with self.assertRaises(TypeError):
            llmdata.MinHasher(ngram=5.5)
        h = llmdata.MinHasher()
        sig = h.signature("one two three four five six")
        idx = llmdata.LshIndex(h)
        with self.assertRaises(OverflowError):
            idx.insert("a", sig, priority=-1)
        with self.assertRaises(OverflowError):
            idx.insert("a", sig.astype(np.int64) - 2 ** 33)
        with self.assertRaises(TypeError):
            idx.insert("a", sig.astype(np.float64))
        with self.assertRaises(OverflowError):
            idx.representative(-1)
        with self.assertRaises(OverflowError):
            h.signatures(["x"], threads=2 ** 40)
        with self.assertRaises(ValueError):
            llmdata.ExactSet().add(b"short")
        with self.assertRaises(ValueError):
            b"short" in llmdata.ExactSet()  # noqa: B015 - used to read 16 bytes past the end
        with self.assertRaises(OverflowError):
            llmdata.ExactSet(capacity=-1)
        with self.assertRaises(OverflowError):
            llmdata.LineDedup(min_docs=2 ** 32 + 3)
        with self.assertRaises(OverflowError):
            llmdata.JsonlReader(GPT2, max_line_bytes=-1)

    def test_helpers(self):
        self.assertEqual(c_int(np.int64(7), ctypes.c_uint32, "x"), 7)
        with self.assertRaises(OverflowError):
            c_int(2 ** 31, ctypes.c_int32, "x")
        self.assertEqual(c_int(-2 ** 31, ctypes.c_int32, "x"), -2 ** 31)
        a = int_array([1, 2 ** 32 - 1], np.uint32, "x")
        self.assertEqual(a.dtype, np.uint32)
        self.assertEqual(a.tolist(), [1, 2 ** 32 - 1])
        with self.assertRaises(OverflowError):
            int_array([2 ** 64], np.uint64, "x")
        self.assertEqual(int_array([2 ** 64 - 1], np.uint64, "x").tolist(), [2 ** 64 - 1])
        with self.assertRaises(TypeError):
            int_array([True, False], np.uint32, "x")


class ThresholdOneTest(unittest.TestCase):
    def test_lsh_threshold_one(self):
        # datasketch's _optimal_param at threshold 1: no false negatives possible, fewest false
        # positives with one band of every row.
        self.assertEqual(llmdata.lsh_optimal_params(1.0, 128), (1, 128))
        h = llmdata.MinHasher()
        idx = llmdata.LshIndex(h, threshold=1.0)   # used to fail: "at most 64 rows per band"
        self.assertEqual((idx.bands, idx.rows), (1, 128))
        a = h.signature("one two three four five six seven eight")
        c = h.signature("one two three four five six seven nine")
        self.assertFalse(idx.insert("a", a).duplicate)
        self.assertFalse(idx.insert("c", c).duplicate)
        m = idx.insert("b", h.signature("One two three, four five six seven eight!"))
        self.assertTrue(m.duplicate)
        self.assertEqual(m.match, 0)
        with self.assertRaises(LlmdError):
            llmdata.LshIndex(h, threshold=1.01)
        with self.assertRaises(TypeError):
            llmdata.LshIndex(h, threshold="0.8")


class LineDedupOptionsTest(unittest.TestCase):
    def test_defaults_and_errors(self):
        ld = llmdata.LineDedup()               # min_docs 3 by default
        for t in ("x\ny", "x\nz", "x\nw"):
            ld.count(t)
        self.assertEqual(ld.filter("x\ny"), ("y", 1))
        with self.assertRaises(LlmdError) as cm:
            llmdata.LineDedup(1)
        self.assertEqual(cm.exception.status_name, "LLMD_ERR_INVALID_ARG")


class StatusNamesTest(unittest.TestCase):
    def test_names_come_from_the_library(self):
        lib = llmdata._lib.lib()
        for code in range(0, -16, -1):
            self.assertEqual(LlmdError(code, "m").status_name, lib.llmd_status_str(code).decode())
        self.assertEqual(LlmdError(-8, "m").status_name, "LLMD_ERR_RANGE")
        self.assertEqual(LlmdError(-99, "m").status_name, "LLMD_UNKNOWN")


if __name__ == "__main__":
    unittest.main()
